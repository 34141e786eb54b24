//! The local stand-in for API Gateway: an HTTP server on loopback that routes
//! each request, by the template's routes, to the real handler of the function,
//! converted to the `lambda_http::Request` API Gateway would deliver.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use lambda_http::aws_lambda_events::apigw::{
    ApiGatewayV2httpRequestContext, ApiGatewayV2httpRequestContextAuthentication,
    ApiGatewayV2httpRequestContextAuthenticationClientCert,
};

/// The header that stands, locally, for the client certificate API Gateway
/// verified (mutual TLS): its value is the certificate's subject DN. The local
/// router moves it into the request context, as API Gateway does.
pub const CLIENT_CERT_HEADER: &str = "x-devstack-client-cert-subject";
use lambda_http::http::{self, header, StatusCode};
use lambda_http::request::RequestContext;
use lambda_http::{Body, RequestExt};
use shared::http::ApiError;
use shared::App;
use tokio::net::TcpListener;

use crate::router::{find, Match, Route};

/// API Gateway's payload limit.
pub const MAX_BODY: usize = 10 * 1024 * 1024;

pub type BoxFuture = Pin<Box<dyn Future<Output = http::Response<Body>> + Send>>;
/// A function's library handler.
pub type Handler = fn(Arc<App>, lambda_http::Request) -> BoxFuture;

/// The optional adapters each function wires in Lambda (its `WIRING`): the
/// local stack gives each function only those (see `App::restricted_to`).
pub fn wiring_of(function: &str) -> u32 {
    match function {
        "operator-api" => operator_api::WIRING,
        "admin-api" => admin_api::WIRING,
        "verify-notice" => verify_notice::WIRING,
        "pagopa-callback" => pagopa_callback::WIRING,
        "home" => home::WIRING,
        "print-notice" => print_notice::WIRING,
        "initiate-payment" => initiate_payment::WIRING,
        "fetch-receipt" => fetch_receipt::WIRING,
        "spontaneous-payment" => spontaneous_payment::WIRING,
        "list-positions" => list_positions::WIRING,
        "login" => login::WIRING,
        "backoffice" => backoffice::WIRING,
        "receipt-worker" => receipt_worker::WIRING,
        "import-worker" => import_worker::WIRING,
        "reconciliation-worker" => reconciliation_worker::WIRING,
        _ => shared::app::wiring::ALL,
    }
}

/// Every function's handler, by binary name. A route of the template whose
/// function is missing here is an error at start-up (see [`Stack::new`]).
pub fn handlers() -> HashMap<&'static str, Handler> {
    let mut h: HashMap<&'static str, Handler> = HashMap::new();
    h.insert("operator-api", |app, req| {
        Box::pin(async move { operator_api::handle(&app, req).await })
    });
    h.insert("admin-api", |app, req| {
        Box::pin(async move { admin_api::handle(&app, req).await })
    });
    h.insert("verify-notice", |app, req| {
        Box::pin(async move { verify_notice::handle(&app, req).await })
    });
    h.insert("pagopa-callback", |app, req| {
        Box::pin(async move { pagopa_callback::handle(&app, req).await })
    });
    h.insert("home", |app, req| {
        Box::pin(async move { home::handle(&app, req).await })
    });
    h.insert("print-notice", |app, req| {
        Box::pin(async move { print_notice::handle(&app, req).await })
    });
    h.insert("initiate-payment", |app, req| {
        Box::pin(async move { initiate_payment::handle(&app, req).await })
    });
    h.insert("fetch-receipt", |app, req| {
        Box::pin(async move { fetch_receipt::handle(&app, req).await })
    });
    h.insert("spontaneous-payment", |app, req| {
        Box::pin(async move { spontaneous_payment::handle(&app, req).await })
    });
    h.insert("list-positions", |app, req| {
        Box::pin(async move { list_positions::handle(&app, req).await })
    });
    h.insert("login", |app, req| {
        Box::pin(async move { login::handle(&app, req).await })
    });
    h.insert("backoffice", |app, req| {
        Box::pin(async move { backoffice::handle(&app, req).await })
    });
    h
}

pub struct Stack {
    app: Arc<App>,
    /// Each function's `App`, with only the adapters it wires in Lambda.
    apps: HashMap<&'static str, Arc<App>>,
    routes: Vec<Route>,
    handlers: HashMap<&'static str, Handler>,
    ready: AtomicBool,
}

impl Stack {
    pub fn new(app: Arc<App>, routes: Vec<Route>) -> Result<Self, String> {
        let handlers = handlers();
        for r in &routes {
            if !handlers.contains_key(r.function.as_str()) {
                return Err(format!(
                    "the template routes {} {} to `{}`, which the devstack does not know",
                    r.method, r.path, r.function
                ));
            }
        }
        let apps = handlers
            .keys()
            .map(|&f| (f, Arc::new(app.restricted_to(wiring_of(f)))))
            .collect();
        Ok(Self {
            app,
            apps,
            routes,
            handlers,
            ready: AtomicBool::new(false),
        })
    }

    pub fn app(&self) -> &Arc<App> {
        &self.app
    }

    pub fn set_ready(&self) {
        self.ready.store(true, Ordering::SeqCst);
    }

    /// Handles one request exactly as API Gateway plus Lambda would.
    /// (See [`CLIENT_CERT_HEADER`] for a client certificate.)
    pub async fn dispatch(&self, parts: http::request::Parts, body: Bytes) -> http::Response<Body> {
        self.dispatch_from(parts, body, None).await
    }

    /// As [`Stack::dispatch`], with the client's address in the request context.
    pub async fn dispatch_from(
        &self,
        parts: http::request::Parts,
        body: Bytes,
        peer: Option<std::net::IpAddr>,
    ) -> http::Response<Body> {
        let path = parts.uri.path().to_owned();
        if path == "/health" {
            let ready = self.ready.load(Ordering::SeqCst);
            let status = if ready {
                StatusCode::OK
            } else {
                StatusCode::SERVICE_UNAVAILABLE
            };
            return shared::http::json_response(
                status,
                &serde_json::json!({"status": if ready { "ok" } else { "starting" }}),
            );
        }
        let (route, params) = match find(&self.routes, parts.method.as_str(), &path) {
            Match::Found(r, p) => (r, p),
            Match::MethodNotAllowed => return ApiError::MethodNotAllowed.into_response(),
            Match::NotFound => {
                return ApiError::NotFound("risorsa non trovata".into()).into_response()
            }
        };
        let query: HashMap<String, Vec<String>> = parts
            .uri
            .query()
            .map(|q| {
                let mut m: HashMap<String, Vec<String>> = HashMap::new();
                for (k, v) in form_urlencoded::parse(q.as_bytes()) {
                    m.entry(k.into_owned()).or_default().push(v.into_owned());
                }
                m
            })
            .unwrap_or_default();
        let body = if body.is_empty() {
            Body::Empty
        } else {
            match String::from_utf8(body.to_vec()) {
                Ok(t) => Body::Text(t),
                Err(e) => Body::Binary(e.into_bytes()),
            }
        };
        let mut context = ApiGatewayV2httpRequestContext::default();
        context.http.method = parts.method.clone();
        context.http.path = Some(path.clone());
        context.http.source_ip = peer.map(|p| p.to_string());
        let mut parts = parts;
        context.domain_name = parts
            .headers
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(|h| h.split(':').next().unwrap_or(h).to_owned());
        // Mutual TLS, simulated: API Gateway hands the function the subject of
        // the client certificate it verified; locally a test names it in this
        // header, which never reaches a function.
        if let Some(subject) = parts.headers.remove(CLIENT_CERT_HEADER) {
            let mut cert = ApiGatewayV2httpRequestContextAuthenticationClientCert::default();
            cert.subject_dn = subject.to_str().ok().map(str::to_owned);
            let mut auth = ApiGatewayV2httpRequestContextAuthentication::default();
            auth.client_cert = Some(cert);
            context.authentication = Some(auth);
        }
        let req = http::Request::from_parts(parts, body)
            .with_path_parameters(params)
            .with_query_string_parameters(query)
            .with_request_context(RequestContext::ApiGatewayV2(context));
        let handler = self.handlers[route.function.as_str()];
        handler(self.apps[route.function.as_str()].clone(), req).await
    }
}

fn to_hyper(resp: http::Response<Body>) -> http::Response<Full<Bytes>> {
    let (parts, body) = resp.into_parts();
    let bytes = match body {
        Body::Empty => Bytes::new(),
        Body::Text(t) => Bytes::from(t),
        Body::Binary(b) => Bytes::from(b),
        _ => Bytes::new(),
    };
    http::Response::from_parts(parts, Full::new(bytes))
}

async fn serve_one(
    stack: Arc<Stack>,
    req: http::Request<Incoming>,
    peer: std::net::IpAddr,
) -> http::Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let too_large = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        .is_some_and(|n| n > MAX_BODY);
    if too_large {
        return to_hyper(ApiError::PayloadTooLarge(MAX_BODY).into_response());
    }
    let bytes = match Limited::new(body, MAX_BODY).collect().await {
        Ok(c) => c.to_bytes(),
        Err(_) => return to_hyper(ApiError::PayloadTooLarge(MAX_BODY).into_response()),
    };
    to_hyper(stack.dispatch_from(parts, bytes, Some(peer)).await)
}

/// Serves until `shutdown` completes.
pub async fn serve(listener: TcpListener, stack: Arc<Stack>, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => {
                let Ok((stream, peer)) = accepted else { continue };
                let stack = stack.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| {
                        let stack = stack.clone();
                        async move { Ok::<_, Infallible>(serve_one(stack, req, peer.ip()).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        }
    }
}
