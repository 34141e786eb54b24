//! Exports (CSV, ZIP) as downloads: in the answer when small enough, else
//! stored and linked (a Lambda answer is at most 6 MB).

use lambda_http::http::{header, StatusCode};
use lambda_http::{Body, Response};
use serde_json::json;

use super::ApiError;
use crate::domain::EcFiscalCode;
use crate::ports::Document;
use crate::{secret, App};

/// How long the link to a stored export works.
pub const LINK_SECS: u64 = 15 * 60;

/// The export as an attachment, or a 303 to a presigned URL of its stored copy
/// when over `inline_export_bytes`.
pub async fn deliver(
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
