//! Test harness: each test gets its own table and bucket on the moto server that
//! `make test` starts (AWS_ENDPOINT_URL), and calls the handlers in-process
//! through the devstack's router, exactly as the local server does.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use devstack::server::Stack;
use devstack::Names;
use lambda_http::http::{self, Method};
use lambda_http::Body;
use serde_json::Value;
use shared::app::Clock;
use shared::domain::text::Email;
use shared::App;

pub mod soap;

pub const API_KEY: &str = "test-operator-key";
pub const ADMIN_KEY: &str = "test-admin-key";

/// The moto endpoint; a test run without one is a broken run, not a skipped one.
pub fn endpoint() -> String {
    std::env::var("AWS_ENDPOINT_URL").unwrap_or_else(|_| {
        panic!("AWS_ENDPOINT_URL is not set: run the integration tests with `make test`, which starts moto")
    })
}

fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default();
    format!(
        "{prefix}-{}-{nanos}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

pub struct TestEnv {
    pub app: Arc<App>,
    pub stack: Stack,
    pub names: Names,
    /// S3's events to the import worker (see [`TestEnv::deliver_triggers`]).
    pub triggers: devstack::triggers::Triggers,
}

/// A response, with its body parsed as JSON when it is JSON.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    pub fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
    /// Asserts an RFC 9457 problem with this status; returns the body.
    pub fn problem(&self, status: u16) -> Value {
        assert_eq!(
            self.status,
            status,
            "body: {}",
            String::from_utf8_lossy(&self.body)
        );
        assert_eq!(self.content_type(), "application/problem+json");
        let b = self.json();
        assert_eq!(b["status"], status);
        assert!(b["title"].is_string() && b["detail"].is_string(), "{b}");
        b
    }
    /// The fields named by a problem's `errors`.
    pub fn error_fields(&self) -> Vec<String> {
        self.json()["errors"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|e| e["field"].as_str().unwrap().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl TestEnv {
    pub async fn new() -> Self {
        Self::with_clock(Clock::system()).await
    }

    pub async fn with_clock(clock: Clock) -> Self {
        Self::build(clock, API_KEY).await
    }

    pub async fn at(now: DateTime<Utc>) -> Self {
        Self::with_clock(Clock::fixed(now)).await
    }

    pub async fn build(clock: Clock, api_key: &str) -> Self {
        Self::build_with(
            clock,
            api_key,
            "http://127.0.0.1:3000",
            "http://127.0.0.1:3001/checkout/ec/v2",
        )
        .await
    }

    /// An environment whose portal and Checkout live at the given addresses.
    pub async fn build_with(
        clock: Clock,
        api_key: &str,
        public_base_url: &str,
        checkout_url: &str,
    ) -> Self {
        Self::build_custom(clock, api_key, public_base_url, checkout_url, |_| {}).await
    }

    /// [`Self::build_with`], with the names adjusted (identity provider, CNS host).
    pub async fn build_custom(
        clock: Clock,
        api_key: &str,
        public_base_url: &str,
        checkout_url: &str,
        adjust: impl FnOnce(&mut Names),
    ) -> Self {
        let clients = devstack::emulator_clients(&endpoint()).await;
        let mut names = Names {
            table: unique("t"),
            bucket: unique("b").to_lowercase(),
            mail_from: Email::parse("noreply@comune-di-prova.example").unwrap(),
            public_base_url: public_base_url.to_owned(),
            checkout_url: checkout_url.to_owned(),
            lookup_limit_per_minute: 10_000,
            oidc: None,
            cns_domain: None,
            nodo_client_subjects: vec![],
            admin_api_key: ADMIN_KEY.into(),
            inline_export_bytes: 4_000_000,
            fdr_url: None,
        };
        adjust(&mut names);
        let app =
            devstack::provisioned_app(&clients, &names, devstack::demo_entities(), api_key, clock)
                .await
                .expect("provisioning on moto");
        let routes = devstack::router::routes_from_file(&devstack::template_path()).unwrap();
        let stack = Stack::new(app.clone(), routes).unwrap();
        let triggers = devstack::triggers::Triggers::new(clients.s3.clone(), names.bucket.clone());
        Self {
            app,
            stack,
            names,
            triggers,
        }
    }

    /// Sends a request through the router to the function's handler.
    pub async fn call(
        &self,
        method: &str,
        uri: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Reply {
        let mut b = http::Request::builder()
            .method(Method::from_bytes(method.as_bytes()).unwrap())
            .uri(uri);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let (parts, ()) = b.body(()).unwrap().into_parts();
        let resp = self
            .stack
            .dispatch(parts, bytes::Bytes::copy_from_slice(body))
            .await;
        let (parts, body) = resp.into_parts();
        let body = match body {
            Body::Empty => vec![],
            Body::Text(t) => t.into_bytes(),
            Body::Binary(b) => b,
            _ => vec![],
        };
        Reply {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
        }
    }

    /// Delivers S3's events to the import worker, as EventBridge would,
    /// until no new object appears.
    pub async fn deliver_triggers(&self) {
        self.triggers
            .settle(&self.app)
            .await
            .expect("triggers delivered");
    }

    pub async fn get(&self, uri: &str) -> Reply {
        self.call("GET", uri, &[], b"").await
    }

    /// An operator API call with the right key.
    pub async fn operator(&self, method: &str, uri: &str, body: &Value) -> Reply {
        let bytes = if body.is_null() {
            vec![]
        } else {
            body.to_string().into_bytes()
        };
        self.call(
            method,
            uri,
            &[("x-api-key", API_KEY), ("content-type", "application/json")],
            &bytes,
        )
        .await
    }

    pub async fn create(&self, ec: &str, body: &Value) -> Reply {
        self.operator(
            "POST",
            &format!("/api/v1/organizations/{ec}/debt-positions"),
            body,
        )
        .await
    }
}

/// A browser-like cookie jar for in-process calls.
#[derive(Default)]
pub struct Browser {
    pub cookies: Vec<(String, String)>,
}

impl Browser {
    pub fn header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
    pub fn absorb(&mut self, r: &Reply) {
        for v in r.headers.get_all("set-cookie") {
            let s = v.to_str().unwrap();
            let (kv, attrs) = s.split_once(';').unwrap_or((s, ""));
            let (k, val) = kv.split_once('=').unwrap();
            self.cookies.retain(|(n, _)| n != k);
            if !attrs.contains("Max-Age=0") {
                self.cookies.push((k.to_owned(), val.to_owned()));
            }
        }
    }
    pub fn csrf(&self) -> String {
        self.cookies
            .iter()
            .find(|(k, _)| k == "csrf")
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }
    pub async fn get(&mut self, env: &TestEnv, uri: &str) -> Reply {
        let r = env
            .call("GET", uri, &[("cookie", &self.header())], b"")
            .await;
        self.absorb(&r);
        r
    }
    pub async fn post(&mut self, env: &TestEnv, uri: &str, fields: &[(&str, &str)]) -> Reply {
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        let token = self.csrf();
        if !fields.iter().any(|(k, _)| *k == "csrf") {
            all.push(("csrf", &token));
        }
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(all)
            .finish();
        let r = env
            .call(
                "POST",
                uri,
                &[
                    ("cookie", &self.header()),
                    ("content-type", "application/x-www-form-urlencoded"),
                ],
                body.as_bytes(),
            )
            .await;
        self.absorb(&r);
        r
    }
}

/// The operator API's documented example, with a chosen iupd and EC.
pub fn position(ec: &str, iupd: &str, debtor_cf: &str, cents: u64, due: &str) -> Value {
    serde_json::json!({"iupd": iupd,
      "debtor": {"type": "F", "fiscalCode": debtor_cf, "fullName": "Mario Rossi", "email": "mario.rossi@example.org"},
      "serviceCode": "TARI", "description": "TARI 2026",
      "paymentOptions": [{"amountCents": cents, "dueDate": due, "description": "Rata unica",
        "transfers": [{"ecFiscalCode": ec, "iban": "IT60X0542811101000000123456",
                       "amountCents": cents, "remittanceInformation": "TARI 2026", "category": "9/0101100IM/"}]}]})
}

/// The portal (the devstack's router, as `make run` serves it) and the pagoPA
/// simulator (Checkout, the Nodo, the development identity provider), over real
/// HTTP on loopback ports of their own.
pub struct Live {
    pub portal: String,
    pub sim: String,
    pub simulator: Arc<pagopa_simulator::Simulator>,
    /// A client that does not follow redirects.
    pub http: reqwest::Client,
    pub env: TestEnv,
}

impl Live {
    /// Starts both; `adjust` may change the environment's names, given the
    /// simulator's address (e.g. to log in through its identity provider).
    pub async fn start(adjust: impl FnOnce(&mut Names, &str)) -> Self {
        let portal_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let sim_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let portal = format!("http://{}", portal_listener.local_addr().unwrap());
        let sim = format!("http://{}", sim_listener.local_addr().unwrap());
        let env = TestEnv::build_custom(
            Clock::system(),
            API_KEY,
            &portal,
            &format!("{sim}/checkout/ec/v2"),
            |names| adjust(names, &sim),
        )
        .await;
        let routes = devstack::router::routes_from_file(&devstack::template_path()).unwrap();
        let serving = Arc::new(Stack::new(env.app.clone(), routes).unwrap());
        serving.set_ready();
        tokio::spawn(devstack::server::serve(
            portal_listener,
            serving,
            std::future::pending(),
        ));
        let simulator = pagopa_simulator::Simulator::new(
            &sim,
            &portal,
            pagopa_simulator::stations_from_entities(&env.app.entities),
        );
        tokio::spawn(pagopa_simulator::serve(
            sim_listener,
            simulator.clone(),
            std::future::pending(),
        ));
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            portal,
            sim,
            simulator,
            http,
            env,
        }
    }
}
