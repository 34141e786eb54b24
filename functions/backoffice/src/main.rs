shared::http_main!(backoffice::handle, backoffice::WIRING);
