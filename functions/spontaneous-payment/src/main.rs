shared::http_main!(spontaneous_payment::handle);
