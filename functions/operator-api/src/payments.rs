//! `GET /api/v1/organizations/{ecFiscalCode}/payments?from=YYYY-MM-DD&to=YYYY-MM-DD`:
//! what was paid to the EC in a period, one row per transfer.
//!
//! - `Accept: text/csv`: the whole period as CSV;
//! - `Accept: application/zip`: the receipts' XML of the period, one file each;
//! - otherwise JSON, a page at a time: `{"items": [...], "next": "<cursor>"}`
//!   (`limit` receipts, default 100, at most 1,000; `cursor` = the last `next`).
//!
//! A CSV or ZIP too large for an API answer is stored (kept a week) and
//! answered with `303 See Other` to a presigned URL valid 15 minutes.

use lambda_http::http::{header, StatusCode};
use lambda_http::{Body, Request, Response};
use serde_json::json;
use shared::domain::{EcFiscalCode, FieldErrors};
use shared::http::export::deliver;
use shared::http::{json_response, query_param, ApiError};
use shared::service::ledger;
use shared::App;

fn wants(req: &Request, mime: &str) -> bool {
    req.headers()
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(',').any(|m| m.trim().starts_with(mime)))
}

pub async fn get(app: &App, req: &Request, ec: &EcFiscalCode) -> Result<Response<Body>, ApiError> {
    let period = ledger::period(
        query_param(req, "from").as_deref(),
        query_param(req, "to").as_deref(),
    )
    .map_err(ApiError::InvalidParams)?;
    let name = format!(
        "pagamenti-{ec}-{}-{}",
        query_param(req, "from").unwrap_or_default(),
        query_param(req, "to").unwrap_or_default()
    );
    if wants(req, "text/csv") {
        let bytes = ledger::csv(app, ec, period).await?;
        return deliver(
            app,
            ec,
            bytes,
            "text/csv; charset=utf-8",
            &format!("{name}.csv"),
        )
        .await;
    }
    if wants(req, "application/zip") {
        let bytes = ledger::receipts_zip(app, ec, period).await?;
        return deliver(
            app,
            ec,
            bytes,
            "application/zip",
            &format!("ricevute-{name}.zip"),
        )
        .await;
    }
    let limit = match query_param(req, "limit") {
        None => 100,
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|l| (1..=ledger::MAX_PAGE).contains(l))
            .ok_or_else(|| {
                ApiError::InvalidParams(FieldErrors::single(
                    "limit",
                    format!("deve essere un numero da 1 a {}", ledger::MAX_PAGE),
                ))
            })?,
    };
    let cursor = query_param(req, "cursor");
    if let Some(c) = &cursor {
        if c.len() > 300 || !c.contains('#') {
            return Err(ApiError::InvalidParams(FieldErrors::single(
                "cursor",
                "usare il valore next della pagina precedente",
            )));
        }
    }
    let (rows, next) = ledger::page(app, ec, period, cursor.as_deref(), limit).await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({"items": rows, "next": next}),
    ))
}
