shared::http_main!(initiate_payment::handle);
