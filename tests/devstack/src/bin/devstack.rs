//! `make run`: the whole portal on loopback. Starts the AWS emulator, creates the
//! resources, loads the demo data and serves every route of the SAM template
//! with the real handlers. Ctrl-C stops everything it started.

use std::sync::Arc;

use devstack::{demo, moto::Moto, router, server, Names};
use shared::app::Clock;
use shared::auth::oidc::OidcSettings;
use shared::domain::text::Email;

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

fn port(name: &str, default: u16) -> Result<u16, String> {
    env_or(name, &default.to_string())
        .parse()
        .map_err(|_| format!("{name} must be a port number"))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    tracing_subscriber_init();
    let http_port = port("PORT", 3000)?;
    let aws_port = port("AWS_EMULATOR_PORT", 5000)?;
    let sim_port = port("SIMULATOR_PORT", 3001)?;
    let api_key = env_or("OPERATOR_API_KEY", "dev-operator-key");

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", http_port))
        .await
        .map_err(|e| {
            format!("cannot listen on 127.0.0.1:{http_port}: {e} (set PORT to another port)")
        })?;
    let sim_listener = tokio::net::TcpListener::bind(("127.0.0.1", sim_port))
        .await
        .map_err(|e| {
            format!(
                "cannot listen on 127.0.0.1:{sim_port}: {e} (set SIMULATOR_PORT to another port)"
            )
        })?;

    // OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET (and OIDC_FISCAL_CODE_CLAIMS):
    // a standard OpenID Connect provider instead of the simulator's.
    let standard_oidc = OidcSettings::from_env()?;
    let oidc = match &standard_oidc {
        Some(o) => {
            println!(
                "• login through the OpenID Connect provider {} (client {}; fiscal code from {})",
                o.issuer,
                o.client_id,
                o.fiscal_code_claims.join(", ")
            );
            o.clone()
        }
        None => {
            let o = devstack::dev_oidc(&format!("http://127.0.0.1:{sim_port}"));
            println!(
                "• login through the development identity provider {} (set OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET for another)",
                o.issuer
            );
            o
        }
    };

    println!("• starting the AWS emulator (moto) on 127.0.0.1:{aws_port}");
    let moto = Moto::start(aws_port).await?;
    let clients = devstack::emulator_clients(&moto.endpoint).await;
    let names = Names {
        table: "portale-pagamenti".into(),
        bucket: "portale-pagamenti-documents".into(),
        mail_from: Email::parse("noreply@comune-di-prova.example").expect("valid sender"),
        public_base_url: format!("http://127.0.0.1:{http_port}"),
        checkout_url: format!("http://127.0.0.1:{sim_port}/checkout/ec/v2"),
        lookup_limit_per_minute: env_or("LOOKUP_LIMIT_PER_MINUTE", "600")
            .parse()
            .map_err(|_| "LOOKUP_LIMIT_PER_MINUTE must be a number")?,
        oidc: Some(oidc),
        cns_domain: None,
        nodo_client_subjects: vec![],
        admin_api_key: env_or("ADMIN_API_KEY", "dev-admin-key"),
        inline_export_bytes: 4_000_000,
        fdr_url: Some(format!("http://127.0.0.1:{sim_port}/fdr-org/service/v1")),
    };
    let app = devstack::provisioned_app(
        &clients,
        &names,
        devstack::demo_entities(),
        &api_key,
        Clock::system(),
    )
    .await?;
    println!("• table, bucket and mail identity created");

    let routes = router::routes_from_file(&devstack::template_path())?;
    let stack = Arc::new(server::Stack::new(app.clone(), routes.clone())?);
    let serving = tokio::spawn(server::serve(listener, stack.clone(), shutdown_signal()));

    let simulator = pagopa_simulator::Simulator::new(
        &format!("http://127.0.0.1:{sim_port}"),
        &format!("http://127.0.0.1:{http_port}"),
        pagopa_simulator::stations_from_entities(&app.entities),
    );
    tokio::spawn(pagopa_simulator::serve(
        sim_listener,
        simulator.clone(),
        std::future::pending(),
    ));

    // The simulator's PSP publishes its reporting flows, and the portal's
    // hourly reconciliation runs, every minute locally.
    let recon_app = app.restricted_to(devstack::server::wiring_of("reconciliation-worker"));
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
            for e in recon_app.entities.iter() {
                let ec = e.fiscal_code.to_string();
                simulator
                    .reporting
                    .publish(&ec, pagopa_simulator::fdr::FaultMode::Normal);
            }
            shared::service::reconciliation::run_all(&recon_app).await;
        }
    });

    // The local stand-in for the table's stream and schedule: the receipt worker
    // sweeps all owed work, at once.
    let worker_app = app.restricted_to(devstack::server::wiring_of("receipt-worker"));
    tokio::spawn(async move {
        loop {
            let now = worker_app.clock.now() + chrono::Duration::seconds(1);
            if let Err(e) = receipt_worker::sweep(&worker_app, now).await {
                eprintln!("receipt worker: {e}");
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
    });

    // The local stand-in for S3's events to EventBridge: imports' files and
    // markers reach the import worker; and its schedule's sweep.
    let triggers = devstack::triggers::Triggers::new(clients.s3.clone(), names.bucket.clone());
    let import_app = app.restricted_to(devstack::server::wiring_of("import-worker"));
    tokio::spawn(async move {
        let mut ticks = 0u64;
        loop {
            if let Err(e) = triggers.deliver(&import_app).await {
                eprintln!("import triggers: {e}");
            }
            ticks += 1;
            if ticks.is_multiple_of(1200) {
                let time_left = || std::time::Duration::from_secs(900);
                if let Err(e) = shared::service::imports::sweep(&import_app, &time_left).await {
                    eprintln!("import sweep: {e}");
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        }
    });

    let notices = demo::seed(&app).await?;
    println!("• demo data loaded:");
    for n in &notices {
        println!(
            "    {}  EC {}  debitore {}  ({})",
            n.notice.grouped(),
            n.ec,
            n.debtor,
            n.label
        );
    }
    stack.set_ready();
    println!("\nPortale dei Pagamenti on http://127.0.0.1:{http_port}  (health: /health)");
    println!(
        "Back office (operators' console): http://127.0.0.1:{http_port}/backoffice  — with the development provider, \"Entra come Operatore\" ({} administers EC {})",
        devstack::demo::DEMO_OPERATOR,
        devstack::demo::DEMO_OPERATOR_EC
    );
    for r in &routes {
        println!("    {:6} {}  → {}", r.method, r.path, r.function);
    }
    println!("pagoPA simulator (Checkout and Nodo) on http://127.0.0.1:{sim_port}");
    match &standard_oidc {
        Some(o) => println!(
            "Area riservata: login through the OpenID Connect provider {} (redirect URI http://127.0.0.1:{http_port}/accesso/callback)",
            o.issuer
        ),
        None => println!(
            "Area riservata: login through the development identity provider http://127.0.0.1:{sim_port}/oidc \
(test citizens Mario Rossi, Chiara Conti, Luca Bianchi; Operatore Demo for the operator console)"
        ),
    }
    println!(
        "Operator API key (development, every EC): x-api-key: {api_key}\n\
Admin API key (issues each EC's keys): x-api-key: {}\n\
Back office: cargo run -q -p portale -- --help (see docs/backoffice.md)\nCtrl-C to stop.",
        names.admin_api_key
    );

    serving.await?;
    println!("stopping…");
    moto.stop().await;
    Ok(())
}

async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

fn tracing_subscriber_init() {
    // Handlers log through `tracing`; RUST_LOG filters by module here
    // (e.g. `info,hyper=warn`), which the functions' own logging does not.
    use tracing_subscriber::EnvFilter;
    tracing_subscriber::fmt()
        .with_target(false)
        .without_time()
        .with_env_filter(
            EnvFilter::builder()
                .with_default_directive(tracing_subscriber::filter::LevelFilter::INFO.into())
                .from_env_lossy(),
        )
        .init();
}
