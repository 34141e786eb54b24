shared::http_main!(fetch_receipt::handle, fetch_receipt::WIRING);
