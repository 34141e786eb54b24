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
use shared::http::{json_response, query_param, ApiError};
use shared::ports::Document;
use shared::service::ledger;
use shared::{secret, App};

/// How long the URL of a stored export stays valid.
const LINK_SECS: u64 = 15 * 60;

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

/// The export itself, or a link to it when it is too large to answer.
async fn deliver(
    app: &App,
    ec: &EcFiscalCode,
    bytes: Vec<u8>,
    content_type: &str,
    file_name: &str,
) -> Result<Response<Body>, ApiError> {
    let disposition = format!("attachment; filename=\"{file_name}\"");
    if bytes.len() <= app.settings.inline_export_bytes {
        let body = if content_type.starts_with("text/") {
            Body::Text(String::from_utf8(bytes).map_err(ApiError::internal)?)
        } else {
            Body::Binary(bytes)
        };
        return Ok(Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, content_type)
            .header(header::CONTENT_DISPOSITION, disposition)
            .body(body)
            .expect("valid response"));
    }
    let key = format!("exports/{ec}/{}/{file_name}", secret::random_token());
    let doc = Document {
        content_type: content_type.to_owned(),
        bytes,
    };
    app.documents.put(&key, &doc).await?;
    let url = app.documents.presign_get(&key, LINK_SECS).await?;
    tracing::info!(ec = %ec, size = doc.bytes.len(), "export stored for download");
    Ok(Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, url)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::Text(
            json!({"detail": "esportazione troppo grande per la risposta: scaricarla dall'indirizzo in Location (valido 15 minuti)"})
                .to_string(),
        ))
        .expect("valid response"))
}
