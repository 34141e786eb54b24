shared::http_main!(admin_api::handle);
