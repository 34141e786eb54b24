//! The local stack of Portale dei Pagamenti: everything `make run` and the
//! integration tests need to run the real function handlers without AWS,
//! Docker or the internet.
//!
//! - [`moto`]: start the moto AWS emulator on loopback;
//! - [`provision`]: create the table, bucket and mail identity from the SAM template;
//! - [`demo`]: load the demo dataset;
//! - [`router`] and [`server`]: serve every route of the template with its function's handler.

pub mod demo;
pub mod moto;
pub mod provision;
pub mod router;
pub mod server;
pub mod triggers;

use std::sync::Arc;

use aws_config::BehaviorVersion;
use aws_credential_types::Credentials;
use shared::app::{Clock, Settings};
use shared::auth::oidc::{IdentityProvider, OidcProvider, OidcSettings};
use shared::aws::Clients;
use shared::domain::text::Email;
use shared::domain::Entities;
use shared::http::ApiKey;
use shared::App;

pub const REGION: &str = "eu-south-1";

/// SDK clients for an emulator endpoint, with dummy credentials.
pub async fn emulator_clients(endpoint: &str) -> Clients {
    let conf = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new(REGION))
        .credentials_provider(Credentials::new("test", "test", None, None, "devstack"))
        .load()
        .await;
    Clients::from_conf(&conf)
}

pub fn template_path() -> std::path::PathBuf {
    moto::repo_root().join("infra/template.yaml")
}

pub fn demo_entities() -> Entities {
    let path = moto::repo_root().join("infra/config/entities.json");
    let json = std::fs::read_to_string(&path).expect("infra/config/entities.json");
    Entities::from_json(&json).expect("valid demo entities")
}

pub fn demo_catalog() -> shared::domain::catalog::Catalog {
    let path = moto::repo_root().join("infra/config/services.json");
    let json = std::fs::read_to_string(&path).expect("infra/config/services.json");
    shared::domain::catalog::Catalog::from_json(&json).expect("valid demo catalogue")
}

/// Names and addresses of one local environment.
#[derive(Debug, Clone)]
pub struct Names {
    pub table: String,
    pub bucket: String,
    pub mail_from: Email,
    /// Where the portal is reached (`http://127.0.0.1:3000`).
    pub public_base_url: String,
    /// The simulator's Checkout carts API (`http://127.0.0.1:3001/checkout/ec/v2`).
    pub checkout_url: String,
    /// Lookups per minute and client (high locally: tests and demos make many).
    pub lookup_limit_per_minute: u64,
    /// The identity provider of the reserved area: the simulator's development
    /// one ([`dev_oidc`]), or a standard provider (`OIDC_ISSUER` and the rest).
    pub oidc: Option<OidcSettings>,
    /// The host of CNS login, if any (see `CNS_DOMAIN`).
    pub cns_domain: Option<String>,
    /// The Nodo's client certificate subjects accepted (`NODO_CLIENT_SUBJECTS`);
    /// none locally unless a test sets them.
    pub nodo_client_subjects: Vec<String>,
    /// The admin API's key (`ADMIN_API_KEY`).
    pub admin_api_key: String,
    /// Exports up to this size are answered directly (see `Settings`).
    pub inline_export_bytes: usize,
    /// pagoPA's reporting flows API (the simulator's), if any.
    pub fdr_url: Option<String>,
}

/// The subscription key the simulator's FdR API wants (any non-empty key).
pub const DEV_FDR_KEY: &str = "dev-fdr-key";

/// The simulator's development identity provider, as the relying party sees it.
pub fn dev_oidc(simulator_base_url: &str) -> OidcSettings {
    OidcSettings::new(
        &format!("{}/oidc", simulator_base_url.trim_end_matches('/')),
        pagopa_simulator::oidc::DEFAULT_CLIENT_ID,
        pagopa_simulator::oidc::DEFAULT_CLIENT_SECRET,
    )
}

/// Whether `oidc` is the simulator's development provider: the one registered
/// with its default client ([`dev_oidc`]), the login page then says so. Any
/// other (a standard provider set with `OIDC_ISSUER`…) is not.
pub fn is_dev_oidc(oidc: &OidcSettings) -> bool {
    oidc.client_id == pagopa_simulator::oidc::DEFAULT_CLIENT_ID
        && oidc.client_secret == pagopa_simulator::oidc::DEFAULT_CLIENT_SECRET
        && oidc.issuer.ends_with("/oidc")
}

/// Creates the resources and returns an [`App`] wired to them.
pub async fn provisioned_app(
    clients: &Clients,
    names: &Names,
    entities: Entities,
    operator_api_key: &str,
    clock: Clock,
) -> Result<Arc<App>, provision::BoxError> {
    let template = std::fs::read_to_string(template_path())?;
    provision::create_table(clients, &template, &names.table).await?;
    provision::create_bucket(clients, &names.bucket, REGION).await?;
    provision::create_mail_identity(clients, &names.mail_from).await?;
    let settings = Settings {
        table_name: names.table.clone(),
        bucket_name: names.bucket.clone(),
        mail_from: names.mail_from.clone(),
        operator_api_key: ApiKey::new(operator_api_key),
        admin_api_key: ApiKey::new(&names.admin_api_key),
        inline_export_bytes: names.inline_export_bytes,
        public_base_url: names.public_base_url.clone(),
        checkout_url: names.checkout_url.clone(),
        secure_cookies: false,
        portal_name: "Comune di Prova".into(),
        static_dir: Some(
            moto::repo_root()
                .join("web/public")
                .to_string_lossy()
                .into_owned(),
        ),
        lookup_limit_per_minute: names.lookup_limit_per_minute,
        cns_domain: names.cns_domain.clone(),
        anonymous_position_days: 7,
        nodo_client_subjects: names.nodo_client_subjects.clone(),
        in_lambda: false,
        fdr_configured: names.fdr_url.is_some(),
        dev_identity_provider: names.oidc.as_ref().is_some_and(is_dev_oidc),
        identity_origin: names.oidc.as_ref().map(|o| shared::app::origin(&o.issuer)),
    };
    let mut app = App::with_aws(clients, settings, entities, clock)?;
    app.identity = names
        .oidc
        .clone()
        .map(|o| Arc::new(OidcProvider::new(o)) as Arc<dyn IdentityProvider>);
    app.fdr = names.fdr_url.as_ref().map(|url| {
        Arc::new(shared::fdr::HttpFdr::new(url, DEV_FDR_KEY)) as Arc<dyn shared::fdr::FdrApi>
    });
    for service in demo_catalog().iter() {
        app.catalog.put_service(service).await?;
    }
    Ok(Arc::new(app))
}
