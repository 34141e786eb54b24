//! Recover a receipt (ricevuta telematica): notice code + fiscal code of the
//! debtor or the payer + format.
//!
//! - `GET /ricevuta`, `POST /ricevuta`: the page and the download (PDF or XML);
//! - `GET /api/v1/receipts/{noticeNumber}?fiscalCode=&format=pdf|xml|json`.

/// The optional adapters this function wires (see `shared::app::wiring`).
pub const WIRING: u32 = shared::app::wiring::PDF | shared::app::wiring::DOCUMENTS;

use lambda_http::http::{header, Method, StatusCode};
use lambda_http::{Body, Request, Response};
use shared::http::{json_response, limit, query_param, required_param, respond, ApiError};
use shared::ports::ReceiptRecord;
use shared::service::receipts::{self, ReceiptError};
use shared::web::{self, notice_form, pages, Ctx};
use shared::App;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Pdf,
    Xml,
    Json,
}

impl Format {
    fn parse(s: &str) -> Result<Self, String> {
        match s {
            "" | "pdf" => Ok(Format::Pdf),
            "xml" => Ok(Format::Xml),
            "json" => Ok(Format::Json),
            _ => Err("formato non valido: pdf, xml o json".into()),
        }
    }
}

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    if req.uri().path().starts_with("/api/") {
        return respond(api(app, &req).await);
    }
    let ctx = Ctx::new(app, &req);
    let result = match *req.method() {
        Method::GET => Ok(form(app, &ctx, "", "", None, None, None)),
        Method::POST => post(app, &ctx, &req).await,
        _ => Err(ApiError::MethodNotAllowed),
    };
    web::respond_page(app, &ctx, result)
}

async fn download(
    app: &App,
    r: &ReceiptRecord,
    format: Format,
) -> Result<Response<Body>, ApiError> {
    let name = format!("ricevuta-{}", r.receipt.notice_number);
    let (ct, ext, bytes) = match format {
        Format::Pdf => ("application/pdf", "pdf", receipts::pdf(app, r).await?),
        Format::Xml => (
            "application/xml; charset=utf-8",
            "xml",
            receipts::xml(app, r).await?,
        ),
        Format::Json => {
            return Ok(json_response(
                StatusCode::OK,
                &serde_json::json!({"ecFiscalCode": r.ec, "receivedAt": r.received_at, "receipt": r.receipt}),
            ))
        }
    };
    Ok(web::secure(app, Response::builder().status(StatusCode::OK))
        .header(header::CONTENT_TYPE, ct)
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}.{ext}\""),
        )
        .header(header::CACHE_CONTROL, "no-store")
        .body(Body::Binary(bytes))
        .expect("valid response"))
}

async fn api(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    if req.method() != Method::GET {
        return Err(ApiError::MethodNotAllowed);
    }
    let (notice, who, format) = limit::notice_lookup(app, req, |errors| {
        required_param(
            errors,
            "format",
            Some(query_param(req, "format").unwrap_or_default()),
            Format::parse,
        )
    })
    .await?;
    let r = receipts::find(app, &notice, &who).await?;
    download(app, &r, format).await
}

fn form(
    app: &App,
    ctx: &Ctx,
    notice: &str,
    cf: &str,
    notice_error: Option<String>,
    cf_error: Option<String>,
    message: Option<String>,
) -> Response<Body> {
    let status = if notice_error.is_some() || cf_error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else if message.is_some() {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::OK
    };
    let page = pages::ReceiptForm {
        ctx,
        notice,
        fiscal_code: cf,
        notice_error,
        cf_error,
        message,
    };
    web::render(app, ctx, status, &page)
}

async fn post(app: &App, ctx: &Ctx, req: &Request) -> Result<Response<Body>, ApiError> {
    let lookup = notice_form(app, ctx, req).await?;
    let (notice_in, cf_in) = (lookup.notice_in.as_str(), lookup.cf_in.as_str());
    let format = Format::parse(lookup.form.get("format")).map_err(ApiError::BadRequest)?;
    let (notice, who) = match lookup.parsed {
        Ok(parsed) => parsed,
        Err((notice_error, cf_error)) => {
            return Ok(form(
                app,
                ctx,
                notice_in,
                cf_in,
                notice_error,
                cf_error,
                None,
            ))
        }
    };
    match receipts::find(app, &notice, &who).await {
        Ok(r) => {
            download(
                app,
                &r,
                if format == Format::Json {
                    Format::Pdf
                } else {
                    format
                },
            )
            .await
        }
        Err(ReceiptError::NotFound) => Ok(form(
            app,
            ctx,
            notice_in,
            cf_in,
            None,
            None,
            Some(ctx.t.receipt_not_found.into()),
        )),
        Err(e) => Err(e.into()),
    }
}
