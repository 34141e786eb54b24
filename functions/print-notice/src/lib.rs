//! Print the pagoPA notice (avviso di pagamento) as a PDF rendered natively.
//!
//! - `POST /avviso` (form: notice, fiscalCode) from the summary page;
//! - `GET /api/v1/notices/{noticeNumber}/avviso.pdf?fiscalCode=CF`.

/// The optional adapters this function wires (see `shared::app::wiring`).
pub const WIRING: u32 = shared::app::wiring::PDF;

use lambda_http::http::{header, Method, StatusCode};
use lambda_http::{Body, Request, Response};
use shared::domain::NoticeNumber;
use shared::http::{limit, query_param, respond, ApiError};
use shared::pdf::Lang;
use shared::service::avviso;
use shared::web::{self, notice_form, Ctx};
use shared::App;

fn pdf_response(app: &App, notice: &NoticeNumber, bytes: Vec<u8>) -> Response<Body> {
    web::secure(app, Response::builder().status(StatusCode::OK))
        .header(header::CONTENT_TYPE, "application/pdf")
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"avviso-{notice}.pdf\""),
        )
        .header(header::CACHE_CONTROL, "no-store")
        .body(Body::Binary(bytes))
        .expect("valid response")
}

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    if req.uri().path().starts_with("/api/") {
        return respond(api(app, &req).await);
    }
    let ctx = Ctx::new(app, &req);
    let result = page(app, &ctx, &req).await;
    web::respond_page(app, &ctx, result)
}

async fn api(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    if req.method() != Method::GET {
        return Err(ApiError::MethodNotAllowed);
    }
    let (notice, debtor, ()) = limit::notice_lookup(app, req, |_| Some(())).await?;
    let lang = if query_param(req, "lang").as_deref() == Some("en") {
        Lang::En
    } else {
        Lang::It
    };
    let bytes = avviso::pdf(app, &notice, &debtor, lang).await?;
    Ok(pdf_response(app, &notice, bytes))
}

async fn page(app: &App, ctx: &Ctx, req: &Request) -> Result<Response<Body>, ApiError> {
    let lookup = notice_form(app, ctx, req).await?;
    let (notice, debtor) = lookup
        .parsed
        .map_err(|(n, c)| ApiError::BadRequest(n.or(c).unwrap_or_default()))?;
    let lang = match ctx.lang {
        web::Lang::En => Lang::En,
        web::Lang::It => Lang::It,
    };
    let bytes = avviso::pdf(app, &notice, &debtor, lang).await?;
    Ok(pdf_response(app, &notice, bytes))
}
