shared::http_main!(operator_api::handle);
