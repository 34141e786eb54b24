shared::http_main!(admin_api::handle, admin_api::WIRING);
