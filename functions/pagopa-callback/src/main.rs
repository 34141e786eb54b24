shared::http_main!(pagopa_callback::handle, pagopa_callback::WIRING);
