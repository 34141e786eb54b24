//! pagoPA Checkout's carts API, version 2 (`POST {CHECKOUT_URL}/carts`,
//! checkout_v2.json: the v1 cart plus `returnWaitingUrl`, where the citizen is
//! sent when the payment's outcome is not known yet):
//! the portal sends the citizen there to pay.

use async_trait::async_trait;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CartNotice {
    pub notice_number: String,
    /// The EC's fiscal code.
    pub fiscal_code: String,
    /// Euro cents.
    pub amount: u64,
    pub company_name: String,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReturnUrls {
    pub return_ok_url: String,
    pub return_cancel_url: String,
    pub return_error_url: String,
    pub return_waiting_url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CartRequest {
    pub payment_notices: Vec<CartNotice>,
    pub return_urls: ReturnUrls,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_notice: Option<String>,
    pub id_cart: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckoutError {
    /// Checkout refused the cart (4xx): the notices cannot be paid now.
    #[error("pagoPA Checkout ha rifiutato il carrello ({status}): {detail}")]
    Refused { status: u16, detail: String },
    /// Checkout could not be reached or failed (5xx, network).
    #[error("pagoPA Checkout non raggiungibile: {0}")]
    Unavailable(String),
}

#[async_trait]
pub trait Checkout: Send + Sync {
    /// Creates the cart; returns the URL to send the citizen to.
    async fn create_cart(&self, cart: &CartRequest) -> Result<String, CheckoutError>;
}

/// The HTTP client of Checkout (rustls with the same crypto provider as the AWS
/// SDK). The TLS setup (reading the system's CA certificates) waits for the first
/// cart, so functions that never start a payment do not pay for it at cold start.
pub struct HttpCheckout {
    base: String,
    client: crate::net::LazyClient,
}

impl HttpCheckout {
    pub fn new(base: &str) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            client: crate::net::LazyClient::default(),
        }
    }

    fn client(&self) -> Result<&crate::net::HttpsClient, CheckoutError> {
        self.client.get().map_err(CheckoutError::Unavailable)
    }
}

#[async_trait]
impl Checkout for HttpCheckout {
    async fn create_cart(&self, cart: &CartRequest) -> Result<String, CheckoutError> {
        let body =
            serde_json::to_vec(cart).map_err(|e| CheckoutError::Unavailable(e.to_string()))?;
        let req = hyper::Request::post(format!("{}/carts", self.base))
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| CheckoutError::Unavailable(e.to_string()))?;
        let call = self.client()?.request(req);
        let resp = tokio::time::timeout(std::time::Duration::from_secs(8), call)
            .await
            .map_err(|_| CheckoutError::Unavailable("timeout".into()))?
            .map_err(|e| CheckoutError::Unavailable(e.to_string()))?;
        let status = resp.status().as_u16();
        let location = resp
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .map(str::to_owned);
        let bytes = resp
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        match (status, location) {
            (302 | 303 | 201 | 200, Some(l)) => Ok(l),
            (400..=499, _) => {
                let detail = serde_json::from_slice::<serde_json::Value>(&bytes)
                    .ok()
                    .and_then(|v| v["detail"].as_str().map(str::to_owned))
                    .unwrap_or_default();
                Err(CheckoutError::Refused { status, detail })
            }
            (s, _) => Err(CheckoutError::Unavailable(format!("HTTP {s}"))),
        }
    }
}
