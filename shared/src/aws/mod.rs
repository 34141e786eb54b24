//! AWS adapters of the ports, and building the SDK clients from the environment.
//!
//! `AWS_ENDPOINT_URL` (read by aws-config) points every client at a local
//! emulator; S3 then uses path-style addressing.

pub mod dynamo;
pub mod s3;
pub mod ses;

pub use dynamo::DynamoTable;
pub use s3::S3Documents;
pub use ses::SesMailer;

/// The SDK clients a function may need. Building them does no network I/O.
#[derive(Clone, Debug)]
pub struct Clients {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub s3: aws_sdk_s3::Client,
    pub sesv2: aws_sdk_sesv2::Client,
}

impl Clients {
    pub async fn from_env() -> Self {
        let conf = aws_config::load_from_env().await;
        Self::from_conf(&conf, std::env::var_os("AWS_ENDPOINT_URL").is_some())
    }

    /// Clients of one SDK configuration; `emulated` selects S3 path-style
    /// addressing, which emulators on an IP address need.
    pub fn from_conf(conf: &aws_config::SdkConfig, emulated: bool) -> Self {
        let s3_conf = aws_sdk_s3::config::Builder::from(conf)
            .force_path_style(emulated)
            .build();
        Self {
            dynamodb: aws_sdk_dynamodb::Client::new(conf),
            s3: aws_sdk_s3::Client::from_conf(s3_conf),
            sesv2: aws_sdk_sesv2::Client::new(conf),
        }
    }
}
