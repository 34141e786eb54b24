shared::http_main!(print_notice::handle, print_notice::WIRING);
