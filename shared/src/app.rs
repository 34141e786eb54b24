//! What every handler is given: the ports, the configured ECs and settings.
//! Built once per cold start.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};

use crate::auth::oidc::{IdentityProvider, OidcProvider, OidcSettings};
use crate::aws::{Clients, DynamoTable, S3Documents, SesMailer};
use crate::checkout::{Checkout, HttpCheckout};
use crate::domain::clock::rome_date;
use crate::domain::text::Email;
use crate::domain::Entities;
use crate::ports::{
    CatalogStore, DocumentStore, ImportStore, KeyStore, Ledger, Mailer, PaymentLog, PositionStore,
    RateCounter, ReceiptStore, ReportingStore, SessionStore, StoreError,
};

/// The time source. Fixed in tests that need a given day.
#[derive(Clone, Copy, Debug, Default)]
pub struct Clock(Option<DateTime<Utc>>);

impl Clock {
    pub fn system() -> Self {
        Self(None)
    }
    pub fn fixed(at: DateTime<Utc>) -> Self {
        Self(Some(at))
    }
    pub fn now(&self) -> DateTime<Utc> {
        self.0.unwrap_or_else(Utc::now)
    }
    /// Today in Italy.
    pub fn today(&self) -> NaiveDate {
        rome_date(self.now())
    }
}

/// An operator API key, kept only as its SHA-256 digest.
#[derive(Clone)]
pub struct ApiKey([u8; 32]);

impl ApiKey {
    /// `None` for an empty key: an unset key must lock the API, not open it.
    pub fn new(key: &str) -> Option<Self> {
        use sha2::{Digest, Sha256};
        (!key.trim().is_empty()).then(|| Self(Sha256::digest(key.trim().as_bytes()).into()))
    }

    /// Whether `given` is this key, compared in constant time.
    pub fn matches(&self, given: &str) -> bool {
        use sha2::{Digest, Sha256};
        use subtle::ConstantTimeEq;
        let digest: [u8; 32] = Sha256::digest(given.as_bytes()).into();
        !given.is_empty() && bool::from(self.0.ct_eq(&digest))
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(**)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("variabile d'ambiente {0} mancante")]
    Missing(&'static str),
    #[error("variabile d'ambiente {0} non valida: {1}")]
    Invalid(&'static str, String),
    #[error(transparent)]
    Secret(#[from] crate::secrets::SecretError),
    #[error(transparent)]
    Sdk(#[from] crate::aws::SdkConfigError),
}

/// Settings read from the environment.
#[derive(Clone, Debug)]
pub struct Settings {
    pub table_name: String,
    pub bucket_name: String,
    pub mail_from: Email,
    /// The development operator key (`OPERATOR_API_KEY`): valid for every EC
    /// served, and so never honoured in Lambda, where each EC has its own keys.
    pub operator_api_key: Option<ApiKey>,
    /// The admin API's key (`ADMIN_API_KEY`, or the SSM parameter named by
    /// `ADMIN_API_KEY_PARAMETER`): issues and revokes the ECs' operator keys.
    pub admin_api_key: Option<ApiKey>,
    /// Exports (CSV, ZIP) up to this size are answered directly; larger ones
    /// are stored and linked (`INLINE_EXPORT_BYTES`, default 4 MB: under the
    /// 6 MB Lambda answer once base64-encoded).
    pub inline_export_bytes: usize,
    /// Where citizens reach the portal (return URLs of Checkout are built on it).
    pub public_base_url: String,
    /// pagoPA Checkout's carts API base, e.g. `https://api.platform.pagopa.it/checkout/ec/v2`.
    pub checkout_url: String,
    /// `__Host-` cookies with Secure; off only for a plain-HTTP local run.
    pub secure_cookies: bool,
    /// Shown in the header of every page.
    pub portal_name: String,
    /// Where the static assets are (`STATIC_DIR`); `static` beside the binary when unset.
    pub static_dir: Option<String>,
    /// Lookups by notice and fiscal code one client may make per minute
    /// (`LOOKUP_LIMIT_PER_MINUTE`, default 30): notices and receipts cannot be enumerated.
    pub lookup_limit_per_minute: u64,
    /// The host of CNS login (`CNS_DOMAIN`), whose custom domain asks for the
    /// smart card's certificate (mutual TLS); none: no CNS login.
    pub cns_domain: Option<String>,
    /// How many days a position created without login (`ANONYMOUS_POSITION_DAYS`,
    /// default 7) stays payable: created for anyone's fiscal code, it must not
    /// sit in that person's reserved area for ever.
    pub anonymous_position_days: u32,
    /// Subjects of the client certificates the Nodo's endpoint accepts
    /// (`NODO_CLIENT_SUBJECTS`, `;`-separated: whole DNs, or one attribute such
    /// as `CN=…`). Empty: any caller, which only a local run may allow.
    pub nodo_client_subjects: Vec<String>,
    /// Running in AWS Lambda (not the local stack): what only development may
    /// relax stays strict.
    pub in_lambda: bool,
    /// pagoPA's reporting flows API is configured for this deployment
    /// (`FDR_URL` set): the reconciliation worker has its client, and the
    /// operator API, which has none, may queue runs for it.
    pub fdr_configured: bool,
    /// Whether login goes to the development identity provider (an issuer on
    /// loopback, refused when running in Lambda): the login page says so.
    pub dev_identity_provider: bool,
    /// The identity provider's origin (`https://host`): logout's form may be
    /// redirected there (its end_session_endpoint), so the pages' CSP allows it.
    pub identity_origin: Option<String>,
}

fn env(name: &'static str) -> Result<String, ConfigError> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .ok_or(ConfigError::Missing(name))
}

impl Settings {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            table_name: env("TABLE_NAME")?,
            bucket_name: env("BUCKET_NAME")?,
            mail_from: Email::parse(&env("MAIL_FROM")?)
                .map_err(|e| ConfigError::Invalid("MAIL_FROM", e))?,
            operator_api_key: std::env::var("OPERATOR_API_KEY")
                .ok()
                .filter(|_| std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_none())
                .and_then(|k| ApiKey::new(&k)),
            admin_api_key: std::env::var("ADMIN_API_KEY")
                .ok()
                .and_then(|k| ApiKey::new(&k)),
            inline_export_bytes: match std::env::var("INLINE_EXPORT_BYTES") {
                Ok(v) => v
                    .parse()
                    .map_err(|_| ConfigError::Invalid("INLINE_EXPORT_BYTES", v))?,
                Err(_) => 4_000_000,
            },
            public_base_url: env("PUBLIC_BASE_URL")?.trim_end_matches('/').to_owned(),
            checkout_url: std::env::var("CHECKOUT_URL")
                .ok()
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| "https://api.platform.pagopa.it/checkout/ec/v2".into())
                .trim_end_matches('/')
                .to_owned(),
            secure_cookies: std::env::var("SECURE_COOKIES")
                .map(|v| v != "false")
                .unwrap_or(true),
            portal_name: std::env::var("PORTAL_NAME")
                .ok()
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| "Portale dei Pagamenti".into()),
            static_dir: std::env::var("STATIC_DIR").ok().filter(|v| !v.is_empty()),
            lookup_limit_per_minute: match std::env::var("LOOKUP_LIMIT_PER_MINUTE") {
                Ok(v) => v
                    .parse()
                    .map_err(|_| ConfigError::Invalid("LOOKUP_LIMIT_PER_MINUTE", v))?,
                Err(_) => 30,
            },
            cns_domain: std::env::var("CNS_DOMAIN").ok().filter(|v| !v.is_empty()),
            nodo_client_subjects: std::env::var("NODO_CLIENT_SUBJECTS")
                .unwrap_or_default()
                .split(';')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            in_lambda: std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some(),
            fdr_configured: std::env::var("FDR_URL").is_ok_and(|v| !v.trim().is_empty()),
            anonymous_position_days: match std::env::var("ANONYMOUS_POSITION_DAYS") {
                Ok(v) => v
                    .parse()
                    .ok()
                    .filter(|d| (1..=365).contains(d))
                    .ok_or(ConfigError::Invalid("ANONYMOUS_POSITION_DAYS", v))?,
                Err(_) => 7,
            },
            dev_identity_provider: false,
            identity_origin: None,
        })
    }
}

/// The origin (`scheme://host[:port]`) of a URL.
pub fn origin(url: &str) -> String {
    url.split('/').take(3).collect::<Vec<_>>().join("/")
}

/// Reads the configured ECs from `ENTITIES_JSON`, or from the file named by `ENTITIES_FILE`.
pub fn entities_from_env() -> Result<Entities, ConfigError> {
    let json = match std::env::var("ENTITIES_JSON")
        .ok()
        .filter(|v| !v.is_empty())
    {
        Some(j) => j,
        None => {
            let path = env("ENTITIES_FILE")?;
            std::fs::read_to_string(&path)
                .map_err(|e| ConfigError::Invalid("ENTITIES_FILE", format!("{path}: {e}")))?
        }
    };
    Entities::from_json(&json).map_err(|e| ConfigError::Invalid("ENTITIES_JSON", e.to_string()))
}

/// The ports, the configured ECs, the settings and the clock: what every use
/// case and handler is given.
#[derive(Clone)]
pub struct App {
    pub positions: Arc<dyn PositionStore>,
    pub receipts: Arc<dyn ReceiptStore>,
    pub payments: Arc<dyn PaymentLog>,
    pub counters: Arc<dyn RateCounter>,
    pub documents: Arc<dyn DocumentStore>,
    /// The avviso and receipt PDFs.
    pub pdf: Arc<dyn crate::pdf::Renderer>,
    pub mailer: Arc<dyn Mailer>,
    pub checkout: Arc<dyn Checkout>,
    pub entities: Arc<Entities>,
    /// The service catalogue (managed through the operator API).
    pub catalog: Arc<dyn CatalogStore>,
    pub sessions: Arc<dyn SessionStore>,
    /// The ECs' operator API keys.
    pub keys: Arc<dyn KeyStore>,
    /// The ECs' payments by time of payment.
    pub ledger: Arc<dyn Ledger>,
    /// Bulk imports of positions.
    pub imports: Arc<dyn ImportStore>,
    /// Reporting flows, what they reported, the reconciliation's anomalies.
    pub reporting: Arc<dyn ReportingStore>,
    /// pagoPA's reporting flows API; none when not configured (`FDR_URL`).
    pub fdr: Option<Arc<dyn crate::fdr::FdrApi>>,
    /// The SPID/CIE identity gateway; none when login is not configured.
    pub identity: Option<Arc<dyn IdentityProvider>>,
    pub settings: Settings,
    pub clock: Clock,
}

/// What a function wires beyond the table, the bucket and Checkout, named by
/// its `main` (`App::from_env_wired::<{ wiring::PDF }>()`). What a function
/// does not name is left out of its binary, not only of its `App`: the PDF
/// renderer with its fonts, the mail client, pagoPA's reporting API, the
/// identity gateway's client. That keeps every zip small and every cold start
/// short. A port left out answers that it is not available in this function.
pub mod wiring {
    /// The avviso and receipt PDFs (`App::pdf`).
    pub const PDF: u32 = 1;
    /// Mail through SES (`App::mailer`).
    pub const MAIL: u32 = 1 << 1;
    /// pagoPA's reporting flows API (`App::fdr`, when `FDR_URL` is set).
    pub const FDR: u32 = 1 << 2;
    /// The SPID/CIE identity gateway (`App::identity`, when `OIDC_ISSUER` is set).
    pub const LOGIN: u32 = 1 << 3;
    /// The document store on S3 (`App::documents`).
    pub const DOCUMENTS: u32 = 1 << 4;
    /// Everything: the local stack and the tests, one process for every route.
    pub const ALL: u32 = PDF | MAIL | FDR | LOGIN | DOCUMENTS;
}

/// The stand-in for a port a function did not wire (see [`wiring`]).
#[derive(Debug, Clone, Copy)]
pub struct NotWired;

impl crate::pdf::Renderer for NotWired {
    fn receipt(&self, _: &crate::pdf::ReceiptDocument) -> Result<Vec<u8>, crate::pdf::PdfError> {
        Err(crate::pdf::PdfError::Pdf(
            "PDF non disponibili in questa funzione".into(),
        ))
    }
    fn avviso(&self, _: &crate::pdf::AvvisoData) -> Result<Vec<u8>, crate::pdf::PdfError> {
        Err(crate::pdf::PdfError::Pdf(
            "PDF non disponibili in questa funzione".into(),
        ))
    }
}

#[async_trait::async_trait]
impl DocumentStore for NotWired {
    async fn put(&self, _: &str, _: &crate::ports::Document) -> Result<(), StoreError> {
        Err(not_wired())
    }
    async fn get(&self, _: &str) -> Result<Option<crate::ports::Document>, StoreError> {
        Err(not_wired())
    }
    async fn presign_get(&self, _: &str, _: u64) -> Result<String, StoreError> {
        Err(not_wired())
    }
    async fn presign_put(&self, _: &str, _: &str, _: u64) -> Result<String, StoreError> {
        Err(not_wired())
    }
    async fn read_range(
        &self,
        _: &str,
        _: u64,
        _: u64,
    ) -> Result<Option<(Vec<u8>, u64)>, StoreError> {
        Err(not_wired())
    }
    async fn concat(&self, _: &[String], _: &str, _: &str) -> Result<(), StoreError> {
        Err(not_wired())
    }
}

fn not_wired() -> StoreError {
    StoreError::Unavailable("document store not wired in this function".into())
}

#[async_trait::async_trait]
impl Mailer for NotWired {
    async fn send(&self, _: &crate::ports::Mail) -> Result<String, crate::ports::MailError> {
        Err(crate::ports::MailError::Unavailable(
            "mail not wired in this function".into(),
        ))
    }
}

impl App {
    /// Wires every AWS adapter (the local stack and the tests).
    pub fn with_aws(
        clients: &Clients,
        settings: Settings,
        entities: Entities,
        clock: Clock,
    ) -> Result<Self, ConfigError> {
        Self::with_aws_wired::<{ wiring::ALL }>(clients, settings, entities, clock)
    }

    /// Wires the AWS adapters every function has, and those named in `W`
    /// (see [`wiring`]).
    pub fn with_aws_wired<const W: u32>(
        clients: &Clients,
        settings: Settings,
        entities: Entities,
        clock: Clock,
    ) -> Result<Self, ConfigError> {
        Ok(Self::wire::<W>(
            clients.dynamodb.clone(),
            || clients.s3.clone(),
            || clients.sesv2.clone(),
            settings,
            entities,
            clock,
        ))
    }

    /// The SDK clients of optional adapters are asked for (`s3`, `ses`) only
    /// when the adapter is wired, so a function without it builds none.
    fn wire<const W: u32>(
        dynamodb: aws_sdk_dynamodb::Client,
        s3: impl FnOnce() -> aws_sdk_s3::Client,
        ses: impl FnOnce() -> aws_sdk_sesv2::Client,
        settings: Settings,
        entities: Entities,
        clock: Clock,
    ) -> Self {
        let checkout = HttpCheckout::new(&settings.checkout_url);
        let table = Arc::new(DynamoTable::new(dynamodb, &settings.table_name));
        // `W` is a constant: the branch not taken, and the adapter it names,
        // are not compiled into the function.
        let pdf: Arc<dyn crate::pdf::Renderer> = if W & wiring::PDF != 0 {
            Arc::new(crate::pdf::Native)
        } else {
            Arc::new(NotWired)
        };
        let mailer: Arc<dyn Mailer> = if W & wiring::MAIL != 0 {
            Arc::new(SesMailer::new(ses(), settings.mail_from.clone()))
        } else {
            Arc::new(NotWired)
        };
        let documents: Arc<dyn DocumentStore> = if W & wiring::DOCUMENTS != 0 {
            Arc::new(S3Documents::new(s3(), &settings.bucket_name))
        } else {
            Arc::new(NotWired)
        };
        Self {
            positions: table.clone(),
            receipts: table.clone(),
            payments: table.clone(),
            counters: table.clone(),
            catalog: table.clone(),
            keys: table.clone(),
            ledger: table.clone(),
            imports: table.clone(),
            reporting: table.clone(),
            fdr: None,
            sessions: table,
            identity: None,
            documents,
            pdf,
            mailer,
            checkout: Arc::new(checkout),
            entities: Arc::new(entities),
            settings,
            clock,
        }
    }

    /// This `App` with only the optional adapters named in `w` (see
    /// [`wiring`]): what the local stack gives each function, so that its
    /// tests see what the function sees in Lambda.
    pub fn restricted_to(&self, w: u32) -> Self {
        let mut app = self.clone();
        if w & wiring::PDF == 0 {
            app.pdf = Arc::new(NotWired);
        }
        if w & wiring::MAIL == 0 {
            app.mailer = Arc::new(NotWired);
        }
        if w & wiring::DOCUMENTS == 0 {
            app.documents = Arc::new(NotWired);
        }
        if w & wiring::FDR == 0 {
            app.fdr = None;
        }
        if w & wiring::LOGIN == 0 {
            app.identity = None;
        }
        app
    }

    /// Everything from the environment, every adapter wired.
    pub async fn from_env() -> Result<Self, ConfigError> {
        Self::from_env_wired::<{ wiring::ALL }>().await
    }

    /// Everything from the environment, as a Lambda's `main` does it, with
    /// the adapters named in `W` (see [`wiring`]). Secrets named by the
    /// environment are read now, through the Parameters and Secrets extension
    /// (see [`crate::secrets`]).
    pub async fn from_env_wired<const W: u32>() -> Result<Self, ConfigError> {
        let mut settings = Settings::from_env()?;
        let named = |v: &str| std::env::var(v).ok().filter(|s| !s.trim().is_empty());
        if let Some(name) = named("ADMIN_API_KEY_PARAMETER") {
            settings.admin_api_key = ApiKey::new(&crate::secrets::parameter(&name).await?);
        }
        // pagoPA's reporting flows API: its base and subscription key (an SSM
        // SecureString on AWS, never in the environment there).
        let fdr_key = match named("FDR_SUBSCRIPTION_KEY_PARAMETER") {
            Some(name) if W & wiring::FDR != 0 => Some(crate::secrets::parameter(&name).await?),
            _ => named("FDR_SUBSCRIPTION_KEY"),
        };
        let oidc = if W & wiring::LOGIN != 0 {
            let oidc_secret = match named("OIDC_CLIENT_SECRET_ARN") {
                Some(arn) => Some(crate::secrets::secret_string(&arn).await?),
                None => None,
            };
            OidcSettings::from_vars(
                |name| match (name, &oidc_secret) {
                    ("OIDC_CLIENT_SECRET", Some(s)) => Some(s.clone()),
                    _ => std::env::var(name).ok(),
                },
                settings.in_lambda,
            )
            .map_err(|e| ConfigError::Invalid("OIDC_ISSUER", e))?
        } else {
            None
        };
        settings.identity_origin = oidc.as_ref().map(|o| origin(&o.issuer));
        settings.dev_identity_provider = oidc
            .as_ref()
            .is_some_and(|o| crate::auth::oidc::check_issuer(&o.issuer, true).is_err());
        let entities = entities_from_env()?;
        let conf = crate::aws::sdk_config_from_env(|name| std::env::var(name).ok())?;
        let mut app = Self::wire::<W>(
            aws_sdk_dynamodb::Client::new(&conf),
            || crate::aws::s3_client(&conf),
            || aws_sdk_sesv2::Client::new(&conf),
            settings,
            entities,
            Clock::system(),
        );
        if W & wiring::LOGIN != 0 {
            app.identity =
                oidc.map(|o| Arc::new(OidcProvider::new(o)) as Arc<dyn IdentityProvider>);
        }
        if W & wiring::FDR != 0 {
            if let (Some(url), Some(key)) = (named("FDR_URL"), fdr_key) {
                app.fdr = Some(Arc::new(crate::fdr::HttpFdr::new(&url, &key)));
            }
        }
        Ok(app)
    }
}
