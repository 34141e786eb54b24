//! Bulk imports of debt positions.
//!
//! - `POST /api/v1/organizations/{ecFiscalCode}/imports` with the file as the
//!   body (`application/x-ndjson` or `text/csv`, up to 5 MB) → 202
//!   `{"importId", "status"}`; or with `{"format": "ndjson"|"csv"}`
//!   (`application/json`) → 202 with an `uploadUrl` to PUT the file to (up to
//!   1 GB, within an hour), whose arrival starts the import.
//! - `GET /api/v1/organizations/{ecFiscalCode}/imports`: the latest imports.
//! - `GET /api/v1/organizations/{ecFiscalCode}/imports/{importId}`: progress,
//!   counts, the first 100 row errors, and the report's URL once done.

use lambda_http::http::{header, Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};
use shared::domain::import::Import;
use shared::domain::{EcFiscalCode, FieldErrors};
use shared::http::{body_bytes, json_body, json_response, path_param, ApiError};
use shared::service::import_file::Format;
use shared::service::imports;
use shared::App;

/// The import as the API shows it.
pub fn view(imp: &Import, report_url: Option<String>) -> Value {
    let mut v = json!({
        "importId": imp.import_id,
        "status": imp.status,
        "format": imp.format,
        "createdAt": imp.created_at,
        "updatedAt": imp.updated_at,
        "rowsTotal": imp.rows_total(),
        "rowsDone": imp.rows_done,
        "rowsCreated": imp.rows_created,
        "rowsUnchanged": imp.rows_unchanged,
        "rowsFailed": imp.rows_failed,
        "bytesTotal": imp.bytes_total,
        "bytesDone": imp.bytes_done,
        "errors": imp.errors,
    });
    if let Some(f) = &imp.failure {
        v["failure"] = json!(f);
    }
    if let Some(url) = report_url {
        v["reportUrl"] = json!(url);
    }
    v
}

fn accepted(imp: &Import, ec: &EcFiscalCode, extra: Value) -> Response<Body> {
    let mut v = view(imp, None);
    if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
        o.extend(e.clone());
    }
    let mut resp = json_response(StatusCode::ACCEPTED, &v);
    if let Ok(loc) = format!("/api/v1/organizations/{ec}/imports/{}", imp.import_id).parse() {
        resp.headers_mut().insert(header::LOCATION, loc);
    }
    resp
}

pub async fn route(
    app: &App,
    req: &Request,
    ec: &EcFiscalCode,
) -> Result<Response<Body>, ApiError> {
    match (req.method(), path_param(req, "importId")) {
        (&Method::POST, None) => start(app, req, ec).await,
        (&Method::GET, None) => {
            let list = imports::list(app, ec, 50).await?;
            Ok(json_response(
                StatusCode::OK,
                &Value::Array(list.iter().map(|i| view(i, None)).collect()),
            ))
        }
        (&Method::GET, Some(id)) => {
            let imp = imports::get(app, ec, &id).await?;
            let url = imports::report_url(app, &imp).await?;
            Ok(json_response(StatusCode::OK, &view(&imp, url)))
        }
        _ => Err(ApiError::MethodNotAllowed),
    }
}

async fn start(app: &App, req: &Request, ec: &EcFiscalCode) -> Result<Response<Body>, ApiError> {
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if let Some(format) = Format::from_content_type(ct) {
        let imp = imports::start_direct(app, ec, format, body_bytes(req)).await?;
        return Ok(accepted(&imp, ec, json!({})));
    }
    if !ct.trim().starts_with("application/json") {
        return Err(ApiError::UnsupportedMediaType(
            "il file come application/x-ndjson o text/csv, oppure {\"format\"} come application/json per caricarlo con un indirizzo prefirmato",
        ));
    }
    let doc = json_body(req)?;
    let mut errors = FieldErrors::default();
    for key in doc.as_object().into_iter().flat_map(|o| o.keys()) {
        if key != "format" {
            errors.push(key.clone(), "campo non previsto");
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let format = match doc.get("format").and_then(Value::as_str) {
        Some("ndjson") => Format::Ndjson,
        Some("csv") => Format::Csv,
        _ => {
            return Err(ApiError::Validation(FieldErrors::single(
                "format",
                "deve essere \"ndjson\" o \"csv\"",
            )))
        }
    };
    let (imp, url) = imports::start_upload(app, ec, format).await?;
    Ok(accepted(
        &imp,
        ec,
        json!({
            "uploadUrl": url,
            "uploadMethod": "PUT",
            "uploadHeaders": {"content-type": format.content_type()},
            "uploadExpiresInSeconds": imports::UPLOAD_SECS,
        }),
    ))
}
