//! pagoPA's reporting flows API, organization side (`fdr_organization.json`:
//! `GET {FDR_URL}/organizations/{ec}/fdrs`, a flow's header, its payments),
//! with the subscription key in `Ocp-Apim-Subscription-Key`. Hand-written
//! over the portal's HTTP client: three GETs and their JSON, for which an
//! OpenAPI client generator would add a crate and its dependencies.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use serde_json::Value;

use crate::domain::clock::rome_date;
use crate::domain::reporting::{euro_cents, Flow, FlowLine, PayStatus};
use crate::domain::EcFiscalCode;

/// A flow as listed: the latest revision of each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowRef {
    pub flow_id: String,
    pub psp_id: String,
    pub revision: u64,
    pub published: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FdrError {
    /// pagoPA refused the request (4xx): the key, the EC, a date out of the window.
    #[error("FdR ha rifiutato la richiesta ({status}): {detail}")]
    Refused { status: u16, detail: String },
    /// pagoPA could not be reached or failed (5xx, network).
    #[error("FdR non raggiungibile: {0}")]
    Unavailable(String),
    /// An answer that is not what the API describes.
    #[error("risposta FdR non valida: {0}")]
    Invalid(String),
}

#[async_trait]
pub trait FdrApi: Send + Sync {
    /// One page (from 1) of the flows published after `published_gt`; and
    /// how many pages there are.
    async fn list(
        &self,
        ec: &EcFiscalCode,
        published_gt: DateTime<Utc>,
        page: u64,
    ) -> Result<(Vec<FlowRef>, u64), FdrError>;

    /// A flow's header and every line, read; and the raw JSON (`{"header",
    /// "payments"}`) to keep.
    async fn flow(&self, ec: &EcFiscalCode, r: &FlowRef) -> Result<(Flow, Value), FdrError>;
}

fn text<'a>(v: &'a Value, key: &str) -> Result<&'a str, FdrError> {
    v[key]
        .as_str()
        .ok_or_else(|| FdrError::Invalid(format!("{key} missing")))
}

fn instant(v: &Value, key: &str) -> Result<DateTime<Utc>, FdrError> {
    DateTime::parse_from_rfc3339(text(v, key)?)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| FdrError::Invalid(format!("{key}: {e}")))
}

/// An amount of decimal euro, from the JSON number's text (never a float).
fn amount(v: &Value, key: &str) -> Result<u64, FdrError> {
    let n = match &v[key] {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        _ => return Err(FdrError::Invalid(format!("{key} missing"))),
    };
    euro_cents(&n).ok_or_else(|| FdrError::Invalid(format!("{key}: {n}")))
}

/// Reads a listing page.
pub fn read_list(v: &Value) -> Result<(Vec<FlowRef>, u64), FdrError> {
    let refs = v["data"]
        .as_array()
        .ok_or_else(|| FdrError::Invalid("data missing".into()))?
        .iter()
        .map(|f| {
            Ok(FlowRef {
                flow_id: text(f, "fdr")?.to_owned(),
                psp_id: text(f, "pspId")?.to_owned(),
                revision: f["revision"]
                    .as_u64()
                    .ok_or_else(|| FdrError::Invalid("revision".into()))?,
                published: instant(f, "published")?,
            })
        })
        .collect::<Result<Vec<_>, FdrError>>()?;
    Ok((refs, v["metadata"]["totPage"].as_u64().unwrap_or(1)))
}

/// Reads a flow from its header and its payments' pages.
pub fn read_flow(ec: &EcFiscalCode, header: &Value, payments: &[Value]) -> Result<Flow, FdrError> {
    let mut lines = Vec::new();
    for page in payments {
        for p in page["data"].as_array().into_iter().flatten() {
            let id_transfer = p["idTransfer"].as_u64().unwrap_or(1);
            lines.push(FlowLine {
                index: p["index"].as_u64().unwrap_or(lines.len() as u64 + 1),
                iuv: text(p, "iuv")?.to_owned(),
                iur: p["iur"].as_str().unwrap_or_default().to_owned(),
                id_transfer: u8::try_from(id_transfer)
                    .ok()
                    .filter(|t| (1..=5).contains(t))
                    .ok_or_else(|| FdrError::Invalid(format!("idTransfer {id_transfer}")))?,
                amount_cents: amount(p, "pay")?,
                status: PayStatus::parse(p["payStatus"].as_str().unwrap_or("")),
                // The business day in Italy (SOAP-born flows carry its midnight).
                pay_date: rome_date(instant(p, "payDate")?),
            });
        }
    }
    let regulation_date = text(header, "regulationDate")?
        .parse::<NaiveDate>()
        .map_err(|e| FdrError::Invalid(format!("regulationDate: {e}")))?;
    Ok(Flow {
        ec: ec.clone(),
        flow_id: text(header, "fdr")?.to_owned(),
        psp_id: text(&header["sender"], "pspId")?.to_owned(),
        psp_name: header["sender"]["pspName"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        revision: header["revision"].as_u64().unwrap_or(1),
        published: instant(header, "published")?,
        regulation: header["regulation"].as_str().unwrap_or_default().to_owned(),
        regulation_date,
        receiver: text(&header["receiver"], "organizationId")?.to_owned(),
        tot_payments: header["totPayments"].as_u64().unwrap_or(0),
        sum_cents: amount(header, "sumPayments")?,
        lines,
    })
}

/// The HTTP client of the FdR API.
pub struct HttpFdr {
    base: String,
    key: String,
    client: crate::net::LazyClient,
}

impl HttpFdr {
    pub fn new(base: &str, key: &str) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            key: key.to_owned(),
            client: crate::net::LazyClient::default(),
        }
    }

    async fn get(&self, path_and_query: &str) -> Result<Value, FdrError> {
        let client = self.client.get().map_err(FdrError::Unavailable)?;
        let req = hyper::Request::get(format!("{}{path_and_query}", self.base))
            .header("ocp-apim-subscription-key", &self.key)
            .header("accept", "application/json")
            .body(Full::new(Bytes::new()))
            .map_err(|e| FdrError::Invalid(e.to_string()))?;
        let resp = tokio::time::timeout(std::time::Duration::from_secs(20), client.request(req))
            .await
            .map_err(|_| FdrError::Unavailable("timeout".into()))?
            .map_err(|e| FdrError::Unavailable(e.to_string()))?;
        let status = resp.status().as_u16();
        let body = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| FdrError::Unavailable(e.to_string()))?
            .to_bytes();
        match status {
            200..=299 => {
                serde_json::from_slice(&body).map_err(|e| FdrError::Invalid(e.to_string()))
            }
            400..=499 => Err(FdrError::Refused {
                status,
                detail: String::from_utf8_lossy(&body).chars().take(300).collect(),
            }),
            _ => Err(FdrError::Unavailable(format!("status {status}"))),
        }
    }
}

#[async_trait]
impl FdrApi for HttpFdr {
    async fn list(
        &self,
        ec: &EcFiscalCode,
        published_gt: DateTime<Utc>,
        page: u64,
    ) -> Result<(Vec<FlowRef>, u64), FdrError> {
        let gt = published_gt.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let q = form_urlencoded::Serializer::new(String::new())
            .append_pair("publishedGt", &gt)
            .append_pair("page", &page.to_string())
            .append_pair("size", "1000")
            .finish();
        read_list(&self.get(&format!("/organizations/{ec}/fdrs?{q}")).await?)
    }

    async fn flow(&self, ec: &EcFiscalCode, r: &FlowRef) -> Result<(Flow, Value), FdrError> {
        let base = format!(
            "/organizations/{ec}/fdrs/{}/revisions/{}/psps/{}",
            r.flow_id, r.revision, r.psp_id
        );
        let header = self.get(&base).await?;
        let mut pages = Vec::new();
        let mut page = 1;
        loop {
            let p = self
                .get(&format!("{base}/payments?page={page}&size=1000"))
                .await?;
            let total = p["metadata"]["totPage"].as_u64().unwrap_or(1);
            pages.push(p);
            if page >= total {
                break;
            }
            page += 1;
        }
        let flow = read_flow(ec, &header, &pages)?;
        Ok((
            flow,
            serde_json::json!({"header": header, "payments": pages}),
        ))
    }
}
