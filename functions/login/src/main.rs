shared::http_main!(login::handle);
