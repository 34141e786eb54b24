shared::http_main!(verify_notice::handle, verify_notice::WIRING);
