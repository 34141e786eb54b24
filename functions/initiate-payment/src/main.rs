shared::http_main!(initiate_payment::handle, initiate_payment::WIRING);
