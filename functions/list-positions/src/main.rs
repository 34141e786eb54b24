shared::http_main!(list_positions::handle);
