//! Imports: upload a file (a multipart form), follow its progress, read its
//! errors, download its report.

use lambda_http::http::{header, StatusCode};
use lambda_http::{Body, Request, Response};
use serde_json::json;
use shared::domain::access::Role;
use shared::domain::import::{Format, Import, ImportStatus};
use shared::http::{body_bytes, json_response, query_param, ApiError};
use shared::service::imports::{self, ImportError};
use shared::web::{self, Ctx};
use shared::App;

use crate::pages::{self, Badge, Console, ImportRow};
use crate::{tr, Caller};

/// The largest file the form takes: Lambda's 6 MB request limit holds the
/// form base64-encoded (API Gateway encodes multipart bodies). Larger files
/// go through the API's presigned upload (`portale import`).
pub const MAX_UPLOAD: usize = 4 << 20;

/// Errors shown on the page (the report has them all).
const SHOWN_ERRORS: usize = 50;

fn status_badge(ctx: &Ctx, s: ImportStatus) -> Badge {
    let l = ctx.lang;
    match s {
        ImportStatus::AwaitingUpload => Badge {
            label: tr(l, "in attesa del file", "awaiting the file"),
            class: "bg-secondary",
        },
        ImportStatus::Queued => Badge {
            label: tr(l, "in coda", "queued"),
            class: "bg-info text-dark",
        },
        ImportStatus::Running => Badge {
            label: tr(l, "in corso", "running"),
            class: "bg-primary",
        },
        ImportStatus::Done => Badge {
            label: tr(l, "completata", "done"),
            class: "bg-success",
        },
        ImportStatus::Failed => Badge {
            label: tr(l, "non riuscita", "failed"),
            class: "bg-danger",
        },
    }
}

/// How far the import is, in percent (by bytes read; 100 once final).
pub fn percent(i: &Import) -> u64 {
    if i.status.is_final() {
        return 100;
    }
    match i.bytes_total {
        Some(t) if t > 0 => (i.bytes_done.min(t) * 100 / t).min(99),
        _ => 0,
    }
}

fn when(ctx: &Ctx, at: chrono::DateTime<chrono::Utc>) -> String {
    let t = shared::domain::clock::rome_time(at);
    format!("{} {}", web::date(ctx.lang, t.date()), t.format("%H:%M"))
}

pub async fn list(
    app: &App,
    ctx: &Ctx,
    caller: &Caller,
    error: Option<(StatusCode, String)>,
) -> Result<Response<Body>, ApiError> {
    let rows = imports::list(app, &caller.ec, 20)
        .await?
        .into_iter()
        .map(|i| ImportRow {
            href: format!("/backoffice/{}/importazioni/{}", caller.ec, i.import_id),
            created: when(ctx, i.created_at),
            format: match i.format {
                Format::Csv => "CSV",
                Format::Ndjson => "NDJSON",
            }
            .into(),
            status: status_badge(ctx, i.status),
            rows: format!("{} / {} ✗", i.rows_done, i.rows_failed),
            id: i.import_id,
        })
        .collect();
    let (status, error) = match error {
        Some((s, m)) => (s, Some(m)),
        None => (StatusCode::OK, None),
    };
    let page = pages::Imports {
        c: Console::new(ctx, caller, "importazioni"),
        rows,
        error,
        max_mb: MAX_UPLOAD >> 20,
        ctx,
    };
    Ok(pages::render(app, ctx, status, &page))
}

/// The fields of the upload form.
#[derive(Default)]
struct Upload {
    csrf: String,
    format: String,
    file_name: String,
    bytes: Vec<u8>,
    /// Why the form could not be read whole (the fields before it are kept:
    /// the CSRF token comes first, so a file too large is still answered).
    error: Option<String>,
}

/// Reads the multipart form (multer: boundaries, headers and encodings are
/// its business), refusing a file over [`MAX_UPLOAD`].
async fn read_upload(req: &Request) -> Upload {
    let mut up = Upload::default();
    if let Err(e) = read_fields(req, &mut up).await {
        up.error = Some(e);
    }
    up
}

async fn read_fields(req: &Request, up: &mut Upload) -> Result<(), String> {
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let boundary = multer::parse_boundary(ct).map_err(|_| "modulo non valido".to_owned())?;
    let body = body_bytes(req).to_vec();
    let stream = futures::stream::once(async move { Ok::<_, std::convert::Infallible>(body) });
    let constraints = multer::Constraints::new()
        .allowed_fields(vec!["csrf", "formato", "file"])
        .size_limit(
            multer::SizeLimit::new()
                .whole_stream(MAX_UPLOAD as u64 + 64 * 1024)
                .for_field("file", MAX_UPLOAD as u64)
                .for_field("csrf", 100)
                .for_field("formato", 20),
        );
    let mut mp = multer::Multipart::with_constraints(stream, boundary, constraints);
    let too_large = |e: multer::Error| match e {
        multer::Error::FieldSizeExceeded { .. } | multer::Error::StreamSizeExceeded { .. } => {
            format!("il file supera i {} MB", MAX_UPLOAD >> 20)
        }
        _ => "modulo non valido".to_owned(),
    };
    while let Some(field) = mp.next_field().await.map_err(too_large)? {
        match field.name() {
            Some("csrf") => up.csrf = field.text().await.map_err(too_large)?,
            Some("formato") => up.format = field.text().await.map_err(too_large)?,
            Some("file") => {
                up.file_name = field.file_name().unwrap_or_default().to_owned();
                up.bytes = field.bytes().await.map_err(too_large)?.to_vec();
            }
            _ => {}
        }
    }
    Ok(())
}

/// The file's format: the one chosen, else its extension's.
fn format_of(chosen: &str, file_name: &str) -> Option<Format> {
    match chosen {
        "csv" => return Some(Format::Csv),
        "ndjson" => return Some(Format::Ndjson),
        _ => {}
    }
    let lower = file_name.to_ascii_lowercase();
    if lower.ends_with(".csv") {
        Some(Format::Csv)
    } else if lower.ends_with(".ndjson") || lower.ends_with(".jsonl") {
        Some(Format::Ndjson)
    } else {
        None
    }
}

pub async fn upload(
    app: &App,
    ctx: &Ctx,
    req: &Request,
    caller: &Caller,
) -> Result<Response<Body>, ApiError> {
    let bad = |m: String| Some((StatusCode::BAD_REQUEST, m));
    let up = read_upload(req).await;
    web::check_csrf(app, req, &up.csrf)?;
    caller.require(Role::Operator)?;
    if let Some(m) = up.error {
        return list(app, ctx, caller, bad(m)).await;
    }
    if up.bytes.is_empty() {
        let m = tr(
            ctx.lang,
            "Scegli un file da importare.",
            "Choose a file to import.",
        );
        return list(app, ctx, caller, bad(m.into())).await;
    }
    let Some(format) = format_of(&up.format, &up.file_name) else {
        let m = tr(
            ctx.lang,
            "Formato non riconosciuto: scegli CSV o NDJSON.",
            "Format not recognised: choose CSV or NDJSON.",
        );
        return list(app, ctx, caller, bad(m.into())).await;
    };
    match imports::start_direct(app, &caller.ec, format, &up.bytes).await {
        Ok(imp) => {
            tracing::info!(ec = %caller.ec, import = %imp.import_id, "console: import started");
            Ok(web::see_other(
                app,
                ctx,
                &format!("/backoffice/{}/importazioni/{}", caller.ec, imp.import_id),
                &[],
            ))
        }
        Err(ImportError::NotReadable(m)) => {
            let m = format!(
                "{}: {m}",
                tr(ctx.lang, "File non leggibile", "File not readable")
            );
            list(app, ctx, caller, bad(m)).await
        }
        Err(ImportError::TooLarge) => {
            let m = format!("il file supera i {} MB", MAX_UPLOAD >> 20);
            list(app, ctx, caller, Some((StatusCode::PAYLOAD_TOO_LARGE, m))).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn show(
    app: &App,
    ctx: &Ctx,
    req: &Request,
    caller: &Caller,
    id: &str,
) -> Result<Response<Body>, ApiError> {
    let imp = imports::get(app, &caller.ec, id).await?;
    let base = format!("/backoffice/{}/importazioni/{}", caller.ec, imp.import_id);
    let badge = status_badge(ctx, imp.status);
    if query_param(req, "formato").as_deref() == Some("json") {
        // What the page's script polls.
        let mut r = json_response(
            StatusCode::OK,
            &json!({
                "status": imp.status,
                "statusLabel": badge.label,
                "statusClass": badge.class,
                "final": imp.status.is_final(),
                "percent": percent(&imp),
                "rowsDone": imp.rows_done,
                "rowsCreated": imp.rows_created,
                "rowsUnchanged": imp.rows_unchanged,
                "rowsFailed": imp.rows_failed,
            }),
        );
        r.headers_mut().insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("no-store"),
        );
        return Ok(r);
    }
    let page = pages::ImportPage {
        c: Console::new(ctx, caller, "importazioni"),
        id: imp.import_id.clone(),
        status: badge,
        running: !imp.status.is_final(),
        percent: percent(&imp),
        rows_done: imp.rows_done,
        rows_created: imp.rows_created,
        rows_unchanged: imp.rows_unchanged,
        rows_failed: imp.rows_failed,
        more_errors: imp.errors.len() > SHOWN_ERRORS || imp.rows_failed > imp.errors.len() as u64,
        errors: imp.errors.iter().take(SHOWN_ERRORS).cloned().collect(),
        report_href: imp.report_key.as_ref().map(|_| format!("{base}/rapporto")),
        failure: imp.failure.clone(),
        status_href: format!("{base}?formato=json"),
        ctx,
    };
    Ok(pages::render(app, ctx, StatusCode::OK, &page))
}

pub async fn report(app: &App, caller: &Caller, id: &str) -> Result<Response<Body>, ApiError> {
    let imp = imports::get(app, &caller.ec, id).await?;
    let not_ready = || ApiError::NotFound("il rapporto non è ancora pronto".into());
    let key = imp.report_key.as_ref().ok_or_else(not_ready)?;
    let doc = app.documents.get(key).await?.ok_or_else(not_ready)?;
    Ok(crate::attachment(
        "text/csv; charset=utf-8",
        &format!("rapporto-importazione-{}.csv", imp.import_id),
        doc.bytes,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn multipart(file: &[u8]) -> Request {
        let mut body = Vec::new();
        for (name, value) in [
            ("csrf", "0123456789abcdef0123456789abcdef"),
            ("formato", "csv"),
        ] {
            body.extend_from_slice(
                format!(
                    "--XyZ\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(
            b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"tari.csv\"\r\nContent-Type: text/csv\r\n\r\n",
        );
        body.extend_from_slice(file);
        body.extend_from_slice(b"\r\n--XyZ--\r\n");
        lambda_http::http::Request::builder()
            .method("POST")
            .header(header::CONTENT_TYPE, "multipart/form-data; boundary=XyZ")
            .body(Body::Binary(body))
            .unwrap()
    }

    #[tokio::test]
    async fn the_upload_form_is_read_with_its_limits() {
        let up = read_upload(&multipart(b"iupd,debtorType\nA,F\n")).await;
        assert_eq!(up.error, None);
        assert_eq!(up.csrf, "0123456789abcdef0123456789abcdef");
        assert_eq!(up.format, "csv");
        assert_eq!(up.file_name, "tari.csv");
        assert_eq!(up.bytes, b"iupd,debtorType\nA,F\n");
        // Over the limit: refused, with the limit named.
        let big = vec![b'x'; MAX_UPLOAD + 1];
        let big = read_upload(&multipart(&big)).await;
        assert_eq!(big.error.as_deref(), Some("il file supera i 4 MB"));
        // The token before it was read: the page can say why.
        assert_eq!(big.csrf, "0123456789abcdef0123456789abcdef");
        // Not a multipart form.
        let plain = lambda_http::http::Request::builder()
            .method("POST")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::Text("csrf=x".into()))
            .unwrap();
        assert_eq!(
            read_upload(&plain).await.error.as_deref(),
            Some("modulo non valido")
        );
    }

    #[test]
    fn formats_from_the_choice_or_the_extension() {
        assert_eq!(format_of("csv", "x.ndjson"), Some(Format::Csv));
        assert_eq!(format_of("", "Posizioni.CSV"), Some(Format::Csv));
        assert_eq!(format_of("", "p.jsonl"), Some(Format::Ndjson));
        assert_eq!(format_of("", "p.xlsx"), None);
    }
}
