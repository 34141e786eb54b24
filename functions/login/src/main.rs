shared::http_main!(login::handle, login::WIRING);
