//! Pay with a notice: look a notice up with the debtor's fiscal code.
//!
//! - `GET /api/v1/notices/{noticeNumber}?fiscalCode=CF`: the summary as JSON;
//! - `GET /pagamento-avviso`, `POST /pagamento-avviso`: the pages (notice code and
//!   fiscal code → debtor's details and privacy notice → summary).

/// The optional adapters this function wires (see `shared::app::wiring`).
pub const WIRING: u32 = 0;

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use shared::domain::position::SubjectType;
use shared::http::{json_response, limit, respond, ApiError};
use shared::service::notices::{self, LookupError};
use shared::web::{self, notice_form, pages, Ctx};
use shared::App;

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    if req.uri().path().starts_with("/api/") {
        return respond(verify_api(app, &req).await);
    }
    let ctx = Ctx::new(app, &req);
    let result = match *req.method() {
        Method::GET => Ok(form_page(app, &ctx, "", "", None, None)),
        Method::POST => post(app, &ctx, &req).await,
        _ => Err(ApiError::MethodNotAllowed),
    };
    web::respond_page(app, &ctx, result)
}

async fn verify_api(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    if req.method() != Method::GET {
        return Err(ApiError::MethodNotAllowed);
    }
    let (notice, debtor, ()) = limit::notice_lookup(app, req, |_| Some(())).await?;
    let summary = notices::verify(app, &notice, &debtor).await?;
    Ok(json_response(
        StatusCode::OK,
        &serde_json::to_value(summary).map_err(ApiError::internal)?,
    ))
}

fn form_page(
    app: &App,
    ctx: &Ctx,
    notice: &str,
    cf: &str,
    notice_error: Option<String>,
    cf_error: Option<String>,
) -> Response<Body> {
    let invalid = notice_error.is_some() || cf_error.is_some();
    let errors: Vec<String> = notice_error
        .iter()
        .chain(cf_error.iter())
        .cloned()
        .collect();
    let page = pages::NoticeForm {
        ctx,
        step: 1,
        notice,
        fiscal_code: cf,
        notice_error,
        cf_error,
        errors,
    };
    web::render(
        app,
        ctx,
        if invalid {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        },
        &page,
    )
}

async fn post(app: &App, ctx: &Ctx, req: &Request) -> Result<Response<Body>, ApiError> {
    let lookup = notice_form(app, ctx, req).await?;
    let (form, notice_in, cf_in) = (
        &lookup.form,
        lookup.notice_in.as_str(),
        lookup.cf_in.as_str(),
    );
    let (notice, cf) = match lookup.parsed {
        Ok(parsed) => parsed,
        Err((notice_error, cf_error)) => {
            return Ok(form_page(
                app,
                ctx,
                notice_in,
                cf_in,
                notice_error,
                cf_error,
            ))
        }
    };
    let summary = match notices::verify(app, &notice, &cf).await {
        Ok(s) => s,
        Err(LookupError::NotFound) => {
            return Ok(form_page(
                app,
                ctx,
                notice_in,
                cf_in,
                Some(ctx.t.notice_not_found.into()),
                None,
            ))
        }
        Err(e) => return Err(e.into()),
    };
    let t = ctx.t;
    if form.get("step") != "summary" || form.get("privacy") != "yes" {
        let page = pages::NoticeDebtor {
            ctx,
            step: 2,
            notice: notice.as_str(),
            fiscal_code: cf.as_str(),
            subject_type: match summary.debtor.kind {
                SubjectType::F => t.natural_person,
                SubjectType::G => t.legal_person,
            },
            full_name: summary.debtor.full_name.as_str(),
            privacy_error: form.get("step") == "summary",
        };
        let status = if page.privacy_error {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        };
        return Ok(web::render(app, ctx, status, &page));
    }
    let s = web::summary_view(ctx, &summary, &cf);
    Ok(web::render(
        app,
        ctx,
        StatusCode::OK,
        &pages::NoticeSummaryPage { ctx, step: 3, s },
    ))
}
