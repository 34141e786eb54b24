shared::http_main!(home::handle, home::WIRING);
