//! The outbound HTTP client of the portal (pagoPA Checkout, the identity
//! gateway, pagoPA's reporting flows): rustls with the same crypto provider as
//! the AWS SDK, plain http for the local simulators. It trusts Mozilla's root
//! programme compiled into the binary (webpki-roots), not the system's store:
//! reading and parsing the hundred-odd files of that store took 3 ms of the
//! first request that needed the client.

use std::sync::OnceLock;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

pub type HttpsClient = Client<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
    Full<Bytes>,
>;

/// A client built on first use: functions that never make a call do not build
/// one at cold start.
#[derive(Default)]
pub struct LazyClient(OnceLock<Result<HttpsClient, String>>);

impl LazyClient {
    pub fn get(&self) -> Result<&HttpsClient, String> {
        self.0
            .get_or_init(|| {
                let https = hyper_rustls::HttpsConnectorBuilder::new()
                    .with_webpki_roots()
                    .https_or_http()
                    .enable_http1()
                    .build();
                Ok(Client::builder(TokioExecutor::new()).build(https))
            })
            .as_ref()
            .map_err(Clone::clone)
    }
}
