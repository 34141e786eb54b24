//! Per-client limits on lookups by notice number and fiscal code, so that
//! notices, avvisi and receipts cannot be enumerated. API Gateway's throttling
//! (in the SAM template) caps the totals; this caps each client.

use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};

use super::ApiError;
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
    hit(app, req, "lookup").await
}

/// Counts one new position (spontaneous payments) of this client, with the
/// same per-minute limit: positions cannot be created in bulk.
pub async fn creation(app: &App, req: &Request) -> Result<(), ApiError> {
    hit(app, req, "create").await
}

async fn hit(app: &App, req: &Request, scope: &str) -> Result<(), ApiError> {
    let now = app.clock.now().timestamp();
    let window = now - now.rem_euclid(WINDOW_SECS);
    let key = format!("{scope}#{}", client_ip(req));
    match app.positions.count_hit(&key, window, WINDOW_SECS).await {
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
