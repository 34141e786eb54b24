//! The one status table of the HTTP edge: [`ApiError`] is what a request can
//! fail with, its status, title and detail; JSON routes answer it as RFC 9457
//! `application/problem+json`, pages as the HTML error page (`web`), both with
//! the same status. Use cases' errors become `ApiError` in `http::errors`.

use lambda_http::http::{header, StatusCode};
use lambda_http::{Body, Response};
use serde_json::json;

use crate::domain::FieldErrors;

/// What caused a server-side failure: kept whole for the log, never shown.
pub type Cause = Box<dyn std::error::Error + Send + Sync>;

/// An error and its sources, outermost first, for the log.
pub fn cause_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(s) = next {
        out.push_str(": ");
        out.push_str(&s.to_string());
        next = s.source();
    }
    out
}

/// Every error a handler can answer with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed (unparsable JSON, a malformed parameter).
    #[error("{0}")]
    BadRequest(String),
    /// Malformed path or query parameters, each named.
    #[error("parametri non validi: {0}")]
    InvalidParams(FieldErrors),
    /// The document is well formed but some fields are invalid, each named.
    #[error("dati non validi: {0}")]
    Validation(FieldErrors),
    #[error("credenziali mancanti o non valide")]
    Unauthorized,
    /// The request is refused (a form without a valid CSRF token, a foreign origin).
    #[error("richiesta non consentita")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("metodo non consentito")]
    MethodNotAllowed,
    /// Too many lookups from one client: protects notices and receipts from enumeration.
    #[error("troppe richieste: riprovare tra un minuto")]
    TooManyRequests,
    #[error("richiesta troppo grande (massimo {0} byte)")]
    PayloadTooLarge(usize),
    /// The body's content type is not one the route takes (named here).
    #[error("formato non supportato: inviare {0}")]
    UnsupportedMediaType(&'static str),
    /// A dependency (storage, mail) is unavailable: the caller may retry.
    #[error("servizio temporaneamente non disponibile")]
    Unavailable(#[source] Cause),
    /// A defect of ours. The cause is logged, never shown.
    #[error("errore interno")]
    Internal(#[source] Cause),
}

impl ApiError {
    pub fn internal(cause: impl Into<Cause>) -> Self {
        ApiError::Internal(cause.into())
    }

    pub fn unavailable(cause: impl Into<Cause>) -> Self {
        ApiError::Unavailable(cause.into())
    }

    /// Logs a server-side failure with its whole cause chain (once, where the
    /// response is made).
    pub fn log(&self) {
        match self {
            ApiError::Internal(cause) => {
                tracing::error!(cause = %cause_chain(cause.as_ref()), "internal error")
            }
            ApiError::Unavailable(cause) => {
                tracing::warn!(cause = %cause_chain(cause.as_ref()), "dependency unavailable")
            }
            _ => {}
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) | ApiError::InvalidParams(_) => StatusCode::BAD_REQUEST,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn title(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) | ApiError::InvalidParams(_) => "Richiesta non valida",
            ApiError::Validation(_) => "Dati non validi",
            ApiError::Unauthorized => "Non autorizzato",
            ApiError::Forbidden(_) => "Non consentito",
            ApiError::NotFound(_) => "Non trovato",
            ApiError::Conflict(_) => "Conflitto",
            ApiError::MethodNotAllowed => "Metodo non consentito",
            ApiError::TooManyRequests => "Troppe richieste",
            ApiError::PayloadTooLarge(_) => "Richiesta troppo grande",
            ApiError::UnsupportedMediaType(_) => "Formato non supportato",
            ApiError::Unavailable(_) => "Servizio non disponibile",
            ApiError::Internal(_) => "Errore interno",
        }
    }

    fn slug(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) | ApiError::InvalidParams(_) => "bad-request",
            ApiError::Validation(_) => "validation",
            ApiError::Unauthorized => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not-found",
            ApiError::Conflict(_) => "conflict",
            ApiError::MethodNotAllowed => "method-not-allowed",
            ApiError::TooManyRequests => "too-many-requests",
            ApiError::PayloadTooLarge(_) => "payload-too-large",
            ApiError::UnsupportedMediaType(_) => "unsupported-media-type",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Internal(_) => "internal",
        }
    }

    fn detail(&self) -> String {
        match self {
            ApiError::Unavailable(_) => {
                "Il servizio non è al momento disponibile. Riprovare tra qualche istante.".into()
            }
            ApiError::Internal(_) => {
                "Si è verificato un errore imprevisto. Riprovare più tardi.".into()
            }
            ApiError::InvalidParams(_) => "Uno o più parametri non sono validi.".into(),
            ApiError::Validation(_) => "Uno o più campi non sono validi.".into(),
            other => {
                let text = other.to_string();
                let mut chars = text.chars();
                let mut s: String = chars
                    .next()
                    .map(|c| c.to_uppercase().collect())
                    .unwrap_or_default();
                s.push_str(chars.as_str());
                if !s.ends_with('.') {
                    s.push('.');
                }
                s
            }
        }
    }

    /// The problem+json response. Server-side failures are logged here, once.
    pub fn into_response(self) -> Response<Body> {
        self.log();
        let status = self.status();
        let mut body = json!({
            "type": format!("https://portale-pagamenti.example/problems/{}", self.slug()),
            "title": self.title(),
            "status": status.as_u16(),
            "detail": self.detail(),
        });
        if let ApiError::Validation(errors) | ApiError::InvalidParams(errors) = &self {
            body["errors"] = serde_json::to_value(errors).expect("serialisable");
        }
        let mut b = Response::builder()
            .status(status)
            .header(header::CONTENT_TYPE, "application/problem+json")
            .header(header::CACHE_CONTROL, "no-store");
        match self {
            ApiError::Unavailable(_) => b = b.header(header::RETRY_AFTER, "5"),
            ApiError::TooManyRequests => b = b.header(header::RETRY_AFTER, "60"),
            _ => {}
        }
        if let ApiError::Unauthorized = self {
            b = b.header(header::WWW_AUTHENTICATE, "ApiKey header=\"x-api-key\"");
        }
        b.body(Body::Text(body.to_string()))
            .expect("valid response")
    }
}

/// A JSON response.
pub fn json_response(status: StatusCode, value: &serde_json::Value) -> Response<Body> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CACHE_CONTROL, "no-store")
        .body(Body::Text(value.to_string()))
        .expect("valid response")
}

/// Turns a handler result into the response; the only place errors become HTTP.
pub fn respond(result: Result<Response<Body>, ApiError>) -> Response<Body> {
    result.unwrap_or_else(ApiError::into_response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(r: &Response<Body>) -> serde_json::Value {
        match r.body() {
            Body::Text(t) => serde_json::from_str(t).unwrap(),
            _ => panic!("text body expected"),
        }
    }

    #[test]
    fn validation_problem_names_fields() {
        let r = ApiError::Validation(FieldErrors::single("iupd", "obbligatorio")).into_response();
        assert_eq!(r.status(), 422);
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let b = body(&r);
        assert_eq!(b["status"], 422);
        assert_eq!(b["errors"][0]["field"], "iupd");
        assert_eq!(b["title"], "Dati non validi");
    }

    #[test]
    fn internal_details_are_not_leaked() {
        let r = ApiError::internal("dynamodb said: secret table name").into_response();
        assert_eq!(r.status(), 500);
        assert!(!body(&r).to_string().contains("secret"));
        let r = ApiError::unavailable("timeout").into_response();
        assert_eq!(r.status(), 503);
        assert_eq!(r.headers()["retry-after"], "5");
    }

    #[test]
    fn the_log_keeps_the_whole_cause_chain() {
        #[derive(Debug, thiserror::Error)]
        #[error("receipt not stored")]
        struct Outer(#[source] crate::ports::StoreError);
        let e = ApiError::internal(Outer(crate::ports::StoreError::Unavailable(
            "connection reset".into(),
        )));
        let ApiError::Internal(cause) = &e else {
            unreachable!()
        };
        assert_eq!(
            cause_chain(cause.as_ref()),
            "receipt not stored: store unavailable: connection reset"
        );
        assert_eq!(e.to_string(), "errore interno");
    }

    #[test]
    fn detail_is_a_sentence() {
        let b = body(&ApiError::NotFound("avviso non trovato".into()).into_response());
        assert_eq!(b["detail"], "Avviso non trovato.");
    }
}
