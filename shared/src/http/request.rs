//! Reading requests: path and query parameters, JSON bodies with a size limit,
//! and the operator API key.

use lambda_http::http::header;
use lambda_http::{Body, Request, RequestExt};
use serde_json::Value;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::problem::ApiError;
use crate::domain::{FieldErrors, FiscalCode, NoticeNumber};

/// Largest JSON body accepted by any endpoint.
pub const MAX_JSON_BODY: usize = 256 * 1024;

pub fn path_param(req: &Request, name: &str) -> Option<String> {
    req.path_parameters().first(name).map(str::to_owned)
}

pub fn query_param(req: &Request, name: &str) -> Option<String> {
    req.query_string_parameters().first(name).map(str::to_owned)
}

/// Parses a required parameter, recording an error named after it when it is
/// missing or invalid.
pub fn required_param<T, E: std::fmt::Display>(
    errors: &mut FieldErrors,
    name: &str,
    value: Option<String>,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Option<T> {
    match value {
        None => {
            errors.push(name, "campo obbligatorio");
            None
        }
        Some(v) => parse(&v).map_err(|e| errors.push(name, e.to_string())).ok(),
    }
}

/// Parses an optional parameter: `Some(None)` when absent, `None` when invalid.
pub fn optional_param<T, E: std::fmt::Display>(
    errors: &mut FieldErrors,
    name: &str,
    value: Option<String>,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Option<Option<T>> {
    match value {
        None => Some(None),
        Some(v) => required_param(errors, name, Some(v), parse).map(Some),
    }
}

/// The notice number (path `{noticeNumber}`, spaces allowed) and the fiscal code
/// (query `fiscalCode`) that every citizen lookup takes; errors are recorded by name.
pub fn notice_lookup(
    req: &Request,
    errors: &mut FieldErrors,
) -> Option<(NoticeNumber, FiscalCode)> {
    let notice = required_param(
        errors,
        "noticeNumber",
        path_param(req, "noticeNumber"),
        NoticeNumber::parse_lenient,
    );
    let who = required_param(
        errors,
        "fiscalCode",
        query_param(req, "fiscalCode"),
        FiscalCode::parse,
    );
    Some((notice?, who?))
}

pub fn body_bytes(req: &Request) -> &[u8] {
    match req.body() {
        Body::Empty => &[],
        Body::Text(t) => t.as_bytes(),
        Body::Binary(b) => b,
        _ => &[],
    }
}

/// Parses a JSON object body: 415 without a JSON content type, 413 above
/// [`MAX_JSON_BODY`], 400 for malformed JSON or a body that is not an object.
pub fn json_body(req: &Request) -> Result<Value, ApiError> {
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if mime != "application/json" && !mime.ends_with("+json") {
        return Err(ApiError::UnsupportedMediaType);
    }
    let bytes = body_bytes(req);
    if bytes.len() > MAX_JSON_BODY {
        return Err(ApiError::PayloadTooLarge(MAX_JSON_BODY));
    }
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        ApiError::BadRequest(format!(
            "il corpo della richiesta non è JSON valido (riga {}, colonna {})",
            e.line(),
            e.column()
        ))
    })?;
    if !value.is_object() {
        return Err(ApiError::BadRequest(
            "il corpo della richiesta deve essere un oggetto JSON".into(),
        ));
    }
    Ok(value)
}

/// An operator API key, kept only as its SHA-256 digest.
#[derive(Clone)]
pub struct ApiKey([u8; 32]);

impl ApiKey {
    /// `None` for an empty key: an unset key must lock the API, not open it.
    pub fn new(key: &str) -> Option<Self> {
        (!key.trim().is_empty()).then(|| Self(Sha256::digest(key.trim().as_bytes()).into()))
    }

    /// Checks the `x-api-key` header in constant time.
    pub fn check(expected: Option<&ApiKey>, req: &Request) -> Result<(), ApiError> {
        let given = req
            .headers()
            .get("x-api-key")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let digest: [u8; 32] = Sha256::digest(given.as_bytes()).into();
        match expected {
            Some(k) if !given.is_empty() && bool::from(k.0.ct_eq(&digest)) => Ok(()),
            _ => Err(ApiError::Unauthorized),
        }
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(**)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::http;

    fn req(ct: &str, body: &str) -> Request {
        http::Request::builder()
            .header("content-type", ct)
            .header("x-api-key", "s3cret")
            .body(Body::Text(body.into()))
            .unwrap()
    }

    #[test]
    fn json_body_errors() {
        assert!(matches!(
            json_body(&req("text/plain", "{}")),
            Err(ApiError::UnsupportedMediaType)
        ));
        assert!(matches!(
            json_body(&req("application/json", "{")),
            Err(ApiError::BadRequest(_))
        ));
        assert!(matches!(
            json_body(&req("application/json", "[1]")),
            Err(ApiError::BadRequest(_))
        ));
        let huge = format!("{{\"a\":\"{}\"}}", "x".repeat(MAX_JSON_BODY));
        assert!(matches!(
            json_body(&req("application/json", &huge)),
            Err(ApiError::PayloadTooLarge(_))
        ));
        assert!(json_body(&req("application/json; charset=utf-8", "{\"a\":1}")).is_ok());
    }

    #[test]
    fn api_key() {
        let k = ApiKey::new("s3cret");
        assert!(ApiKey::check(k.as_ref(), &req("application/json", "")).is_ok());
        let other = ApiKey::new("other");
        assert!(ApiKey::check(other.as_ref(), &req("application/json", "")).is_err());
        assert!(ApiKey::new("  ").is_none());
        assert!(ApiKey::check(None, &req("application/json", "")).is_err());
    }
}
