shared::http_main!(operator_api::handle, operator_api::WIRING);
