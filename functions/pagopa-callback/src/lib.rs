//! The EC's station endpoint for the pagoPA Nodo: `POST /pagopa/paForNode`,
//! SOAP 1.1 document/literal, all six operations of paForNode.wsdl.
//!
//! Every paForNode outcome, KO included, is HTTP 200 with a SOAP body; only a
//! request in which no operation can be recognised gets a SOAP Fault (HTTP 500).
//! The Nodo is recognised by its client certificate (mutual TLS, checked by API
//! Gateway against pagoPA's CAs): its subject must be one the EC configured
//! (`NODO_CLIENT_SUBJECTS`), else 403.

/// The optional adapters this function wires (see `shared::app::wiring`).
pub const WIRING: u32 = shared::app::wiring::DOCUMENTS;

use lambda_http::http::{header, Method, StatusCode};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use shared::http::request::body_bytes;
use shared::soap::responses::soap_fault;
use shared::soap::station;
use shared::soap::xml::MAX_XML_BYTES;
use shared::App;

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    let subject = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(c)) => c
            .authentication
            .as_ref()
            .and_then(|a| a.client_cert.as_ref())
            .and_then(|cert| cert.subject_dn.clone()),
        _ => None,
    };
    if !station::client_allowed(&app.settings, subject.as_deref()) {
        tracing::warn!(subject = ?subject, "Nodo call with a client certificate not allowed");
        return xml(
            StatusCode::FORBIDDEN,
            soap_fault("certificato client non autorizzato"),
        );
    }
    if req.method() != Method::POST {
        return xml(StatusCode::METHOD_NOT_ALLOWED, soap_fault("usare POST"));
    }
    let body = body_bytes(&req);
    if body.len() > MAX_XML_BYTES {
        return xml(
            StatusCode::PAYLOAD_TOO_LARGE,
            soap_fault("richiesta troppo grande"),
        );
    }
    let action = req
        .headers()
        .get("soapaction")
        .and_then(|v| v.to_str().ok());
    let answer = station::handle(app, body, action).await;
    xml(
        StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK),
        answer.body,
    )
}

fn xml(status: StatusCode, body: String) -> Response<Body> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/xml; charset=utf-8")
        .body(Body::Text(body))
        .expect("valid response")
}
