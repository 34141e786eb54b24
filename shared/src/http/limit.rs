//! Per-client limits on lookups by notice number and fiscal code, so that
//! notices, avvisi and receipts cannot be enumerated. API Gateway's throttling
//! (in the SAM template) caps the totals; this caps each client.

use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};

use super::request::{path_param, query_param, required_param};
use super::ApiError;
use crate::domain::{FieldErrors, FiscalCode, NoticeNumber};
use crate::App;

const WINDOW_SECS: i64 = 60;

/// The client's address as API Gateway saw it.
pub fn client_ip(req: &Request) -> String {
    match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(c)) => c.http.source_ip.clone(),
        _ => None,
    }
    .unwrap_or_else(|| "unknown".into())
}

/// Counts one lookup of this client; 429 past the limit. A storage failure does
/// not block citizens: the lookup goes on and the failure is logged.
pub async fn lookup(app: &App, req: &Request) -> Result<(), ApiError> {
    hit(app, req, "lookup", 1).await
}

/// Counts `pairs` lookups at once: a request that checks several (notice,
/// fiscal code) pairs costs one lookup each.
pub async fn lookups(app: &App, req: &Request, pairs: usize) -> Result<(), ApiError> {
    hit(app, req, "lookup", pairs.max(1) as u64).await
}

/// A citizen's lookup through the JSON API: counts one hit of the client (429
/// past the limit), then reads the notice number (path `{noticeNumber}`, spaces
/// allowed), the fiscal code (query `fiscalCode`) and what `more` reads; every
/// invalid parameter is named (400).
pub async fn notice_lookup<T>(
    app: &App,
    req: &Request,
    more: impl FnOnce(&mut FieldErrors) -> Option<T>,
) -> Result<(NoticeNumber, FiscalCode, T), ApiError> {
    lookup(app, req).await?;
    let mut errors = FieldErrors::default();
    let notice = required_param(
        &mut errors,
        "noticeNumber",
        path_param(req, "noticeNumber"),
        NoticeNumber::parse_lenient,
    );
    let who = required_param(
        &mut errors,
        "fiscalCode",
        query_param(req, "fiscalCode"),
        FiscalCode::parse,
    );
    let more = more(&mut errors);
    match (notice, who, more) {
        (Some(n), Some(c), Some(m)) if errors.is_empty() => Ok((n, c, m)),
        _ => Err(ApiError::InvalidParams(errors)),
    }
}

/// Counts one login started or completed by this client: logins write
/// single-use records and call the identity provider.
pub async fn login(app: &App, req: &Request) -> Result<(), ApiError> {
    hit(app, req, "login", 1).await
}

/// Counts one new position (spontaneous payments) of this client, with the
/// same per-minute limit: positions cannot be created in bulk.
pub async fn creation(app: &App, req: &Request) -> Result<(), ApiError> {
    hit(app, req, "create", 1).await
}

async fn hit(app: &App, req: &Request, scope: &str, hits: u64) -> Result<(), ApiError> {
    let now = app.clock.now().timestamp();
    let window = now - now.rem_euclid(WINDOW_SECS);
    let key = format!("{scope}#{}", client_ip(req));
    match app
        .counters
        .count_hit(&key, hits, window, WINDOW_SECS)
        .await
    {
        Ok(hits) if hits > app.settings.lookup_limit_per_minute => {
            tracing::warn!(hits, scope, "per-client limit reached");
            Err(ApiError::TooManyRequests)
        }
        Ok(_) => Ok(()),
        Err(e) => {
            tracing::warn!(error = %e, "rate counter unavailable");
            Ok(())
        }
    }
}
