//! A pagoPA simulator for local runs and tests. It plays:
//! - **Checkout**: `POST /checkout/ec/v2/carts` answers 302 to its own payment page
//!   (`GET /checkout/carts/{id}`), where the user pays, cancels or fails;
//! - **the Nodo**: paying calls the portal's paVerifyPaymentNotice, paGetPaymentV2
//!   (paymentNote = idCart) and delivers a realistic receipt with paSendRTV2, then
//!   sends the browser to the bare return URL, as Checkout does.
//!
//! - **the SPID/CIE identity gateway**: a development OpenID Connect provider
//!   under `/oidc` ([`oidc`]), issuer `{public_base}/oidc`, client
//!   `portale-dev` / `portale-dev-secret` by default ([`oidc::DevIdpSettings`]),
//!   signing its ID tokens with [`signer::JwtSigner`].
//!
//! Fault modes per notice ([`checkout::Mode`]), per ID token
//! ([`oidc::TokenMode`]) and of the claims' delivery ([`oidc::ClaimsDelivery`]), a JSON control API for tests (`/control/...`), and an
//! XSD check of every SOAP message, reported loudly.

pub mod checkout;
pub mod fdr;
pub mod nodo;
pub mod oidc;
pub mod signer;

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use checkout::{CartRequest, Mode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::HeaderMap;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use nodo::{NodoClient, PspPayment, Station};
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;

/// A cart lives ten minutes at Checkout.
pub const CART_TTL: Duration = Duration::from_secs(600);

/// What one notice's payment went through.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NoticeResult {
    pub notice_number: String,
    pub fiscal_code: String,
    pub mode: Mode,
    pub exchanges: Vec<nodo::Exchange>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receipt_id: Option<String>,
    /// `delivered`, `pending` (late mode), or why it failed.
    pub receipt: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PayResult {
    /// `ok` or `error`.
    pub outcome: String,
    /// Where Checkout sends the browser.
    pub redirect: String,
    pub notices: Vec<NoticeResult>,
}

struct Cart {
    request: CartRequest,
    created: Instant,
    state: String,
    results: Vec<NoticeResult>,
}

pub struct Simulator {
    public_base: String,
    stations: HashMap<String, Station>,
    nodo: NodoClient,
    carts: Mutex<HashMap<String, Cart>>,
    counter: AtomicU64,
    idp: oidc::DevIdp,
    /// What was collected, and the reporting flows published for it.
    pub reporting: fdr::Reporting,
}

/// The station each EC is reached through, from the portal's EC configuration.
pub fn stations_from_entities(entities: &shared::domain::Entities) -> HashMap<String, Station> {
    entities
        .iter()
        .map(|e| {
            (
                e.fiscal_code.to_string(),
                Station {
                    id_pa: e.fiscal_code.to_string(),
                    id_broker_pa: e.broker_id.to_string(),
                    id_station: e.station_ids.first().cloned().unwrap_or_default(),
                },
            )
        })
        .collect()
}

fn rome_now() -> chrono::NaiveDateTime {
    let now = chrono::Utc::now();
    (now + chrono::Duration::hours(shared::domain::clock::rome_offset_hours(now))).naive_utc()
}

impl Simulator {
    /// `public_base` is where browsers reach the simulator; `portal_base` where the portal listens.
    /// The development identity provider accepts the default client
    /// ([`oidc::DevIdpSettings::for_portal`]).
    pub fn new(
        public_base: &str,
        portal_base: &str,
        stations: HashMap<String, Station>,
    ) -> Arc<Self> {
        Self::with_dev_idp(
            public_base,
            portal_base,
            stations,
            oidc::DevIdpSettings::for_portal(portal_base),
        )
    }

    /// [`Self::new`] with the development identity provider's client given.
    pub fn with_dev_idp(
        public_base: &str,
        portal_base: &str,
        stations: HashMap<String, Station>,
        idp: oidc::DevIdpSettings,
    ) -> Arc<Self> {
        let public_base = public_base.trim_end_matches('/').to_owned();
        Arc::new(Self {
            idp: oidc::DevIdp::new(&format!("{public_base}/oidc"), idp),
            public_base,
            stations,
            nodo: NodoClient::new(portal_base),
            carts: Mutex::default(),
            counter: AtomicU64::new(0),
            reporting: fdr::Reporting::default(),
        })
    }

    /// The development identity provider (issuer `{public_base}/oidc`).
    pub fn dev_idp(&self) -> &oidc::DevIdp {
        &self.idp
    }

    /// Every XSD violation seen so far (tests assert it stays empty).
    pub fn violations(&self) -> Vec<String> {
        self.nodo.violations.lock().expect("lock").clone()
    }

    fn new_id(&self, salt: &str) -> String {
        let n = self.counter.fetch_add(1, Ordering::SeqCst);
        let nanos = chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default();
        let digest = Sha256::digest(format!("{salt}|{n}|{nanos}|{}", std::process::id()));
        digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
    }

    pub fn create_cart(&self, req: CartRequest) -> String {
        let id = self.new_id("cart");
        let cart = Cart {
            request: req,
            created: Instant::now(),
            state: "open".into(),
            results: vec![],
        };
        self.carts.lock().expect("lock").insert(id.clone(), cart);
        id
    }

    fn cart(&self, id: &str) -> Option<(CartRequest, String)> {
        let carts = self.carts.lock().expect("lock");
        carts.get(id).map(|c| {
            let state = if c.state == "open" && c.created.elapsed() > CART_TTL {
                "expired".to_owned()
            } else {
                c.state.clone()
            };
            (c.request.clone(), state)
        })
    }

    fn set_state(&self, id: &str, state: &str, results: Option<Vec<NoticeResult>>) {
        if let Some(c) = self.carts.lock().expect("lock").get_mut(id) {
            c.state = state.to_owned();
            if let Some(r) = results {
                c.results = r;
            }
        }
    }

    /// Ends a cart without paying: `cancel` or `fail`.
    pub fn abandon(&self, id: &str, cancel: bool) -> Option<String> {
        let (req, state) = self.cart(id)?;
        if state != "open" {
            return Some(req.return_urls.return_error_url);
        }
        self.set_state(id, if cancel { "cancelled" } else { "failed" }, None);
        Some(if cancel {
            req.return_urls.return_cancel_url
        } else {
            req.return_urls.return_error_url
        })
    }

    async fn deliver(
        &self,
        station: &Station,
        receipt_xml: &str,
        v2: bool,
        timeout: Option<Duration>,
    ) -> Result<nodo::Exchange, String> {
        let action = if v2 { "paSendRTV2" } else { "paSendRT" };
        self.nodo
            .call(
                action,
                &nodo::send_rt_request(station, receipt_xml, v2),
                timeout,
            )
            .await
    }

    /// Delivers until the portal has the receipt (OK, or PAA_RECEIPT_DUPLICATA for a repeat).
    async fn deliver_until_stored(
        &self,
        station: &Station,
        receipt_xml: &str,
        v2: bool,
        exchanges: &mut Vec<nodo::Exchange>,
    ) -> String {
        for attempt in 0..5 {
            match self.deliver(station, receipt_xml, v2, None).await {
                Ok(x) => {
                    let stored = x.outcome == "OK"
                        || x.fault_code.as_deref() == Some("PAA_RECEIPT_DUPLICATA");
                    let why = x.fault_code.clone().unwrap_or_default();
                    exchanges.push(x);
                    if stored {
                        // Collected: the PSP will report it in a flow.
                        self.reporting.record(receipt_xml);
                        return "delivered".into();
                    }
                    if why != "PAA_SYSTEM_ERROR" {
                        return format!("refused: {why}");
                    }
                }
                Err(e) => tracing::warn!("delivery attempt {attempt}: {e}"),
            }
            tokio::time::sleep(Duration::from_millis(200 * (attempt + 1))).await;
        }
        "not delivered".into()
    }

    async fn pay_notice(
        self: &Arc<Self>,
        id_cart: &str,
        n: &checkout::PaymentNotice,
        mode: Mode,
        email: Option<String>,
        delay: Duration,
    ) -> (bool, NoticeResult) {
        let mut result = NoticeResult {
            notice_number: n.notice_number.clone(),
            fiscal_code: n.fiscal_code.clone(),
            mode,
            exchanges: vec![],
            receipt_id: None,
            receipt: "none".into(),
        };
        let Some(station) = self.stations.get(&n.fiscal_code).cloned() else {
            result.receipt = format!("EC {} has no station", n.fiscal_code);
            return (false, result);
        };
        let v2 = mode != Mode::V1;
        let verify = self
            .nodo
            .call(
                "paVerifyPaymentNotice",
                &nodo::verify_request(&station, &n.notice_number),
                None,
            )
            .await;
        match verify {
            Ok(x) if x.outcome == "OK" => result.exchanges.push(x),
            Ok(x) => {
                result.receipt = format!("verify KO: {}", x.fault_code.clone().unwrap_or_default());
                result.exchanges.push(x);
                return (false, result);
            }
            Err(e) => {
                result.receipt = e;
                return (false, result);
            }
        }
        let action = if v2 { "paGetPaymentV2" } else { "paGetPayment" };
        let activation =
            nodo::get_payment_request(&station, &n.notice_number, v2, n.amount, Some(id_cart));
        let data = match self.nodo.call(action, &activation, None).await {
            Ok(x) if x.outcome == "OK" => {
                let data = x.message.as_ref().and_then(|m| m.child("data")).cloned();
                result.exchanges.push(x);
                data
            }
            Ok(x) => {
                result.receipt = format!(
                    "activation KO: {}",
                    x.fault_code.clone().unwrap_or_default()
                );
                result.exchanges.push(x);
                return (false, result);
            }
            Err(e) => {
                result.receipt = e;
                return (false, result);
            }
        };
        let Some(data) = data else {
            result.receipt = "activation without data".into();
            return (false, result);
        };
        let receipt_id = self.new_id(&n.notice_number);
        let psp = PspPayment {
            receipt_id: receipt_id.clone(),
            payer_email: email,
            payment_note: Some(id_cart.to_owned()),
            fee_cents: 100,
            payment_date_time: rome_now(),
        };
        let receipt_xml =
            match nodo::receipt_from_payment(&data, &n.notice_number, &n.fiscal_code, &psp, v2) {
                Ok(x) => x,
                Err(e) => {
                    result.receipt = e;
                    return (false, result);
                }
            };
        result.receipt_id = Some(receipt_id);
        match mode {
            Mode::Normal | Mode::V1 => {
                result.receipt = self
                    .deliver_until_stored(&station, &receipt_xml, v2, &mut result.exchanges)
                    .await;
            }
            Mode::Twice => {
                result.receipt = self
                    .deliver_until_stored(&station, &receipt_xml, v2, &mut result.exchanges)
                    .await;
                if let Ok(x) = self.deliver(&station, &receipt_xml, v2, None).await {
                    if x.fault_code.as_deref() != Some("PAA_RECEIPT_DUPLICATA") {
                        result.receipt =
                            format!("second delivery answered {} {:?}", x.outcome, x.fault_code);
                    }
                    result.exchanges.push(x);
                }
            }
            Mode::Timeout => {
                // The Nodo gives up after 1 ms; its scheduler then sends the receipt again.
                let _ = self
                    .deliver(&station, &receipt_xml, v2, Some(Duration::from_millis(1)))
                    .await;
                tokio::time::sleep(Duration::from_millis(300)).await;
                result.receipt = self
                    .deliver_until_stored(&station, &receipt_xml, v2, &mut result.exchanges)
                    .await;
            }
            Mode::Late | Mode::Waiting => {
                let sim = self.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(delay).await;
                    let mut ex = vec![];
                    let outcome = sim
                        .deliver_until_stored(&station, &receipt_xml, v2, &mut ex)
                        .await;
                    tracing::info!("late receipt: {outcome}");
                });
                result.receipt = "pending".into();
            }
        }
        let ok = result.receipt == "delivered" || result.receipt == "pending";
        (ok, result)
    }

    /// Pays a cart as Checkout and the Nodo would. `mode` overrides the per-notice modes.
    pub async fn pay(
        self: &Arc<Self>,
        id: &str,
        mode: Option<Mode>,
        email: Option<String>,
        delay: Option<Duration>,
    ) -> Result<PayResult, String> {
        let (req, state) = self.cart(id).ok_or("cart not found")?;
        if state != "open" {
            return Err(format!("cart is {state}"));
        }
        self.set_state(id, "paying", None);
        let id_cart = req.id_cart.clone().unwrap_or_else(|| id.to_owned());
        let email = email
            .filter(|e| !e.trim().is_empty())
            .or(req.email_notice.clone());
        let mut all_ok = true;
        let mut waiting = false;
        let mut notices = vec![];
        for n in &req.payment_notices {
            let m = mode.unwrap_or_else(|| Mode::from_notice(&n.notice_number));
            waiting |= m == Mode::Waiting;
            let (ok, r) = self
                .pay_notice(
                    &id_cart,
                    n,
                    m,
                    email.clone(),
                    delay.unwrap_or(checkout::LATE_DELAY),
                )
                .await;
            all_ok &= ok;
            notices.push(r);
        }
        self.set_state(
            id,
            if all_ok { "paid" } else { "failed" },
            Some(notices.clone()),
        );
        Ok(PayResult {
            outcome: if all_ok { "ok" } else { "error" }.into(),
            redirect: if all_ok && waiting && req.return_urls.return_waiting_url.is_some() {
                req.return_urls
                    .return_waiting_url
                    .clone()
                    .unwrap_or_default()
            } else if all_ok {
                req.return_urls.return_ok_url
            } else {
                req.return_urls.return_error_url
            },
            notices,
        })
    }

    fn cart_json(&self, id: &str) -> Option<Value> {
        let carts = self.carts.lock().expect("lock");
        carts
            .get(id)
            .map(|c| json!({"id": id, "state": c.state, "cart": c.request, "results": c.results}))
    }

    async fn route(
        self: &Arc<Self>,
        method: &Method,
        path: &str,
        query: &HashMap<String, String>,
        headers: &HeaderMap,
        body: Bytes,
    ) -> Response<Full<Bytes>> {
        let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
        match (method, segs.as_slice()) {
            (&Method::GET, ["health"]) => json_reply(StatusCode::OK, &json!({"status": "ok"})),
            (_, ["oidc", rest @ ..]) => self.idp.route(method, rest, query, headers, &body),
            (&Method::POST, ["control", "oidc", "mode"]) => {
                let opts: Value = serde_json::from_slice(&body).unwrap_or(json!({}));
                match opts["mode"].as_str().and_then(oidc::TokenMode::parse) {
                    Some(mode) => {
                        self.idp.set_mode(mode);
                        json_reply(StatusCode::OK, &json!({"mode": mode}))
                    }
                    None => json_reply(StatusCode::BAD_REQUEST, &json!({"status": 400, "detail": "mode must be normal, expired, wrong-audience, alg-none, forged or wrong-nonce"})),
                }
            }
            (&Method::POST, ["control", "oidc", "claims"]) => {
                let opts: Value = serde_json::from_slice(&body).unwrap_or(json!({}));
                match opts["delivery"].as_str().and_then(oidc::ClaimsDelivery::parse) {
                    Some(delivery) => {
                        self.idp.set_claims_delivery(delivery);
                        json_reply(StatusCode::OK, &json!({"delivery": delivery}))
                    }
                    None => json_reply(StatusCode::BAD_REQUEST, &json!({"status": 400, "detail": "delivery must be id-token, userinfo-json, userinfo-jwt or userinfo-wrong-subject"})),
                }
            }
            (&Method::POST, ["control", "oidc", "rotate-key"]) => {
                json_reply(StatusCode::OK, &json!({"kid": self.idp.rotate_key()}))
            }
            (&Method::POST, ["checkout", "ec", version @ ("v1" | "v2"), "carts"]) => match checkout::check_cart(&body, *version == "v2") {
                Ok(req) => {
                    let id = self.create_cart(req);
                    redirect(StatusCode::FOUND, &format!("{}/checkout/carts/{id}", self.public_base))
                }
                Err(p) => json_reply(StatusCode::from_u16(p.status).expect("status"), &p.body()),
            },
            (&Method::GET, ["checkout", "carts", id]) => match self.cart(id) {
                Some((req, state)) => html(StatusCode::OK, checkout::page(id, &req, &state)),
                None => html(StatusCode::NOT_FOUND, "<!doctype html><html lang=\"it\"><title>Carrello non trovato</title><p>Carrello non trovato</p></html>".into()),
            },
            (&Method::POST, ["checkout", "carts", id, action]) => {
                let form: HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
                let target = match *action {
                    "pay" => {
                        let mode = query.get("mode").and_then(|m| Mode::parse(m));
                        match self.pay(id, mode, form.get("email").cloned(), None).await {
                            Ok(r) => Some(r.redirect),
                            Err(_) => self.abandon(id, false),
                        }
                    }
                    "cancel" => self.abandon(id, true),
                    "fail" => self.abandon(id, false),
                    _ => None,
                };
                match target {
                    Some(url) => redirect(StatusCode::SEE_OTHER, &url),
                    None => json_reply(StatusCode::NOT_FOUND, &json!({"status": 404, "detail": "cart not found"})),
                }
            }
            (&Method::POST, ["control", "carts", id, "pay"]) => {
                let opts: Value = serde_json::from_slice(&body).unwrap_or(json!({}));
                let mode = opts["mode"].as_str().map(|m| Mode::parse(m).ok_or(m.to_owned()));
                let mode = match mode.transpose() {
                    Ok(m) => m,
                    Err(m) => return json_reply(StatusCode::BAD_REQUEST, &json!({"status": 400, "detail": format!("unknown mode {m}")})),
                };
                let delay = opts["delayMs"].as_u64().map(Duration::from_millis);
                match self.pay(id, mode, opts["email"].as_str().map(str::to_owned), delay).await {
                    Ok(r) => json_reply(StatusCode::OK, &serde_json::to_value(r).expect("serialisable")),
                    Err(e) => json_reply(StatusCode::CONFLICT, &json!({"status": 409, "detail": e})),
                }
            }
            (&Method::POST, ["control", "carts", id, action @ ("cancel" | "fail")]) => match self.abandon(id, *action == "cancel") {
                Some(url) => json_reply(StatusCode::OK, &json!({"redirect": url})),
                None => json_reply(StatusCode::NOT_FOUND, &json!({"status": 404})),
            },
            (&Method::GET, ["control", "carts", id]) => match self.cart_json(id) {
                Some(v) => json_reply(StatusCode::OK, &v),
                None => json_reply(StatusCode::NOT_FOUND, &json!({"status": 404})),
            },
            (&Method::POST, ["control", "fdr", "publish"]) => {
                let opts: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                let Some(org) = opts["organization"].as_str() else {
                    return json_reply(StatusCode::BAD_REQUEST, &json!({"status": 400, "detail": "organization missing"}));
                };
                let Some(mode) = fdr::FaultMode::parse(opts["mode"].as_str().unwrap_or("normal")) else {
                    return json_reply(StatusCode::BAD_REQUEST, &json!({"status": 400, "detail": "mode must be normal, omit, wrong-amount, unknown-iuv or revision"}));
                };
                match self.reporting.publish(org, mode) {
                    Some((fdr, revision)) => json_reply(StatusCode::OK, &json!({"fdr": fdr, "revision": revision})),
                    None => json_reply(StatusCode::NOT_FOUND, &json!({"status": 404, "detail": "nothing to report"})),
                }
            }
            (&Method::GET, ["fdr-org", "service", "v1", "organizations", org, "fdrs", rest @ ..]) => {
                if headers.get("ocp-apim-subscription-key").is_none_or(|k| k.is_empty()) {
                    return json_reply(StatusCode::UNAUTHORIZED, &json!({"statusCode": 401, "message": "missing subscription key"}));
                }
                let num = |k: &str, d: usize| query.get(k).and_then(|v| v.parse().ok()).unwrap_or(d);
                let found = match rest {
                    [] => {
                        let gt = query.get("publishedGt").and_then(|v| v.parse().ok());
                        Some(self.reporting.list(org, gt, num("page", 1), num("size", 1000)))
                    }
                    [fdr, "revisions", rev, "psps", psp] => {
                        self.reporting.header(org, fdr, rev.parse().unwrap_or(0), psp)
                    }
                    [fdr, "revisions", rev, "psps", psp, "payments"] => self.reporting.payments(
                        org, fdr, rev.parse().unwrap_or(0), psp, num("page", 1), num("size", 1000)),
                    _ => None,
                };
                match found {
                    Some(v) => json_reply(StatusCode::OK, &v),
                    None => json_reply(StatusCode::NOT_FOUND, &json!({"httpStatusCode": 404, "appErrorCode": "FDR-3001", "errors": [{"message": "flow not found"}]})),
                }
            }
            (&Method::GET, ["control", "violations"]) => json_reply(StatusCode::OK, &json!(self.violations())),
            _ => json_reply(StatusCode::NOT_FOUND, &json!({"status": 404, "detail": "not found"})),
        }
    }
}

fn json_reply(status: StatusCode, v: &Value) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header(
            "content-type",
            if status.is_success() {
                "application/json"
            } else {
                "application/problem+json"
            },
        )
        .body(Full::new(Bytes::from(v.to_string())))
        .expect("response")
}

fn html(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "text/html; charset=utf-8")
        .body(Full::new(Bytes::from(body)))
        .expect("response")
}

fn redirect(status: StatusCode, to: &str) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("location", to)
        .body(Full::new(Bytes::new()))
        .expect("response")
}

async fn handle(sim: Arc<Simulator>, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, 1024 * 1024).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return json_reply(StatusCode::PAYLOAD_TOO_LARGE, &json!({"status": 413})),
    };
    let query: HashMap<String, String> = parts
        .uri
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    sim.route(
        &parts.method,
        parts.uri.path(),
        &query,
        &parts.headers,
        body,
    )
    .await
}

/// Serves the simulator until `shutdown` completes.
pub async fn serve(listener: TcpListener, sim: Arc<Simulator>, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let sim = sim.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let sim = sim.clone();
                        async move { Ok::<_, Infallible>(handle(sim, req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
                });
            }
        }
    }
}
