shared::http_main!(spontaneous_payment::handle, spontaneous_payment::WIRING);
