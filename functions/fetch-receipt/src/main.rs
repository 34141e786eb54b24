shared::http_main!(fetch_receipt::handle);
