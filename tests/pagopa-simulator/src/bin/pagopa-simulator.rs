//! Runs the simulator alone: `SIMULATOR_PORT` (3001), `PORTAL_URL`
//! (http://127.0.0.1:3000), ECs from `ENTITIES_FILE` (infra/config/entities.json).
//! The development identity provider (`/oidc`) accepts the client
//! `OIDC_CLIENT_ID` / `OIDC_CLIENT_SECRET` (default `portale-dev` / `portale-dev-secret`),
//! redirecting to `PORTAL_URL`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let port: u16 = std::env::var("SIMULATOR_PORT")
            .ok()
            .and_then(|p| p.parse().ok())
            .unwrap_or(3001);
        let portal = std::env::var("PORTAL_URL").unwrap_or_else(|_| "http://127.0.0.1:3000".into());
        let file = std::env::var("ENTITIES_FILE").unwrap_or_else(|_| {
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../infra/config/entities.json"
            )
            .into()
        });
        let entities = shared::domain::Entities::from_json(&std::fs::read_to_string(&file)?)?;
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        let mut idp = pagopa_simulator::oidc::DevIdpSettings::for_portal(&portal);
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        if let Some(id) = var("OIDC_CLIENT_ID") {
            idp.client_id = id;
        }
        if let Some(secret) = var("OIDC_CLIENT_SECRET") {
            idp.client_secret = secret;
        }
        let client_id = idp.client_id.clone();
        let sim = pagopa_simulator::Simulator::with_dev_idp(
            &format!("http://127.0.0.1:{port}"),
            &portal,
            pagopa_simulator::stations_from_entities(&entities),
            idp,
        );
        println!("pagoPA simulator on http://127.0.0.1:{port} (portal {portal})");
        println!(
            "development identity provider: issuer {}, client {client_id}",
            sim.dev_idp().issuer()
        );
        pagopa_simulator::serve(listener, sim, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await;
        Ok(())
    })
}
