//! Reading requests: path and query parameters, JSON bodies with a size limit,
//! and the operator API key.

use lambda_http::http::header;
use lambda_http::{Body, Request, RequestExt};
use serde_json::Value;

use super::problem::ApiError;
use crate::app::ApiKey;
use crate::domain::FieldErrors;

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
        return Err(ApiError::UnsupportedMediaType("application/json"));
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

/// Checks the `x-api-key` header against the configured key (none: locked).
pub fn check_api_key(expected: Option<&ApiKey>, req: &Request) -> Result<(), ApiError> {
    let given = req
        .headers()
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    match expected {
        Some(k) if k.matches(given) => Ok(()),
        _ => Err(ApiError::Unauthorized),
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
            Err(ApiError::UnsupportedMediaType("application/json"))
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
        assert!(check_api_key(k.as_ref(), &req("application/json", "")).is_ok());
        let other = ApiKey::new("other");
        assert!(check_api_key(other.as_ref(), &req("application/json", "")).is_err());
        assert!(ApiKey::new("  ").is_none());
        assert!(check_api_key(None, &req("application/json", "")).is_err());
    }
}
