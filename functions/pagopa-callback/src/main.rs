shared::http_main!(pagopa_callback::handle);
