shared::http_main!(print_notice::handle);
