shared::http_main!(list_positions::handle, list_positions::WIRING);
