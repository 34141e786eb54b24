shared::http_main!(verify_notice::handle);
