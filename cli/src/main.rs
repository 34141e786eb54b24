use clap::Parser;

#[tokio::main]
async fn main() {
    let cli = portale::Cli::parse();
    let mut out = std::io::stdout();
    if let Err(e) = portale::run(cli, &mut out).await {
        eprintln!("{e}");
        std::process::exit(1);
    }
}
