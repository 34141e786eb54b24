//! AWS adapters of the ports, and building the SDK clients from the environment.
//!
//! The clients are configured by hand from what Lambda puts in the
//! environment (`AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//! `AWS_SESSION_TOKEN`), not through aws-config's provider chains: the chains
//! look for profile files, IMDS and STS that a Lambda never uses, and linking
//! them (STS is a whole SDK client) makes every binary larger and its cold
//! start slower. `AWS_ENDPOINT_URL` points every client at a local emulator;
//! S3 then uses path-style addressing.
//!
//! The HTTPS connector trusts Amazon Trust Services' roots only (embedded,
//! `assets/certs`): every AWS endpoint chains to them, and reading and parsing
//! the system's whole CA store took 3 ms of every cold start.

pub mod dynamo;
pub mod s3;
pub mod ses;

pub use dynamo::DynamoTable;
pub use s3::S3Documents;
pub use ses::SesMailer;

use aws_sdk_dynamodb::config::{BehaviorVersion, Region};
pub use aws_types::SdkConfig;

/// The SDK clients a function may need. Building them does no network I/O.
#[derive(Clone, Debug)]
pub struct Clients {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub s3: aws_sdk_s3::Client,
    pub sesv2: aws_sdk_sesv2::Client,
}

impl Clients {
    pub fn from_env() -> Result<Self, SdkConfigError> {
        let conf = sdk_config_from_env(|name| std::env::var(name).ok())?;
        Ok(Self::from_conf(&conf))
    }

    /// Clients of one SDK configuration; an emulator's endpoint selects S3
    /// path-style addressing, which emulators on an IP address need.
    pub fn from_conf(conf: &SdkConfig) -> Self {
        Self {
            dynamodb: aws_sdk_dynamodb::Client::new(conf),
            s3: s3_client(conf),
            sesv2: aws_sdk_sesv2::Client::new(conf),
        }
    }
}

/// The S3 client of an SDK configuration (path-style for an emulator).
pub fn s3_client(conf: &SdkConfig) -> aws_sdk_s3::Client {
    let s3_conf = aws_sdk_s3::config::Builder::from(conf)
        .force_path_style(conf.endpoint_url().is_some())
        .build();
    aws_sdk_s3::Client::from_conf(s3_conf)
}

/// What is missing from the environment to configure the SDK.
#[derive(Debug, thiserror::Error)]
pub enum SdkConfigError {
    #[error("variabile d'ambiente {0} mancante")]
    Missing(&'static str),
    #[error("certificati radice AWS non utilizzabili: {0}")]
    Roots(String),
}

/// Amazon Trust Services' root certificates (PEM).
const AWS_ROOTS: &[u8] = include_bytes!("../../assets/certs/amazon-trust-services.pem");

/// The SDK configuration from the environment (`var` reads a variable): the
/// region, the credentials Lambda gives the function, an emulator's endpoint.
pub fn sdk_config_from_env(
    var: impl Fn(&str) -> Option<String>,
) -> Result<SdkConfig, SdkConfigError> {
    use aws_credential_types::{provider::SharedCredentialsProvider, Credentials};
    use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode, TlsContext, TrustStore};
    let var = |name: &str| var(name).filter(|v| !v.trim().is_empty());
    let region = var("AWS_REGION")
        .or_else(|| var("AWS_DEFAULT_REGION"))
        .ok_or(SdkConfigError::Missing("AWS_REGION"))?;
    let credentials = Credentials::new(
        var("AWS_ACCESS_KEY_ID").ok_or(SdkConfigError::Missing("AWS_ACCESS_KEY_ID"))?,
        var("AWS_SECRET_ACCESS_KEY").ok_or(SdkConfigError::Missing("AWS_SECRET_ACCESS_KEY"))?,
        var("AWS_SESSION_TOKEN"),
        None,
        "environment",
    );
    let tls = TlsContext::builder()
        .with_trust_store(TrustStore::empty().with_pem_certificate(AWS_ROOTS))
        .build()
        .map_err(|e| SdkConfigError::Roots(e.to_string()))?;
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
        .tls_context(tls)
        .build_https();
    let mut conf = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region))
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .http_client(http);
    if let Some(url) = var("AWS_ENDPOINT_URL") {
        conf = conf.endpoint_url(url);
    }
    Ok(conf.build())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    #[test]
    fn the_sdk_is_configured_from_lambdas_environment() {
        let conf = sdk_config_from_env(vars(&[
            ("AWS_REGION", "eu-south-1"),
            ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
            ("AWS_SESSION_TOKEN", "token"),
        ]))
        .expect("config");
        assert_eq!(conf.region().map(|r| r.as_ref()), Some("eu-south-1"));
        assert_eq!(conf.endpoint_url(), None);
        assert!(conf.credentials_provider().is_some());
        assert!(conf.http_client().is_some());
        let local = sdk_config_from_env(vars(&[
            ("AWS_DEFAULT_REGION", "eu-west-1"),
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:5000"),
        ]))
        .expect("config");
        assert_eq!(local.region().map(|r| r.as_ref()), Some("eu-west-1"));
        assert_eq!(local.endpoint_url(), Some("http://127.0.0.1:5000"));
    }

    #[test]
    fn missing_region_or_credentials_is_a_configuration_error() {
        let err = sdk_config_from_env(vars(&[("AWS_ACCESS_KEY_ID", "a")])).unwrap_err();
        assert!(err.to_string().contains("AWS_REGION"), "{err}");
        let err = sdk_config_from_env(vars(&[
            ("AWS_REGION", "eu-south-1"),
            ("AWS_ACCESS_KEY_ID", "a"),
        ]))
        .unwrap_err();
        assert!(err.to_string().contains("AWS_SECRET_ACCESS_KEY"), "{err}");
    }

    #[test]
    fn the_embedded_roots_are_amazon_trust_services_five() {
        let pem = std::str::from_utf8(AWS_ROOTS).expect("PEM is text");
        assert_eq!(pem.matches("-----BEGIN CERTIFICATE-----").count(), 5);
        for name in [
            "Amazon Root CA 1",
            "Amazon Root CA 4",
            "Starfield Services Root",
        ] {
            assert!(pem.contains(name), "{name}");
        }
    }
}
