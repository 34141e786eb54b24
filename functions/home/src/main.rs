shared::http_main!(home::handle);
