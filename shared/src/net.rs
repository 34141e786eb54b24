//! The outbound HTTP client of the portal (pagoPA Checkout, the identity
//! gateway): rustls with the same crypto provider as the AWS SDK, plain http
//! for the local simulators.

use std::sync::OnceLock;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

pub type HttpsClient = Client<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
    Full<Bytes>,
>;

/// A client built on first use: the TLS setup (reading the system's CA
/// certificates) waits for the first call, so functions that never make one do
/// not pay for it at cold start.
#[derive(Default)]
pub struct LazyClient(OnceLock<Result<HttpsClient, String>>);

impl LazyClient {
    pub fn get(&self) -> Result<&HttpsClient, String> {
        self.0
            .get_or_init(|| {
                let https = hyper_rustls::HttpsConnectorBuilder::new()
                    .with_native_roots()
                    .map_err(|e| format!("no CA certificates: {e}"))?
                    .https_or_http()
                    .enable_http1()
                    .build();
                Ok(Client::builder(TokioExecutor::new()).build(https))
            })
            .as_ref()
            .map_err(Clone::clone)
    }
}
