//! The reserved area: a signed-in citizen's positions.
//!
//! - `GET /area-riservata`: "Da pagare", "Scaduti", "Pagati" (with receipts);
//! - `GET /area-riservata/avvisi/{noticeNumber}`: one of the citizen's notices,
//!   with **Paga** and **Stampa avviso**;
//! - `GET /api/v1/me/positions`: the same lists as JSON (401 without a session).
//!
//! Without a valid session the pages send the browser to the login page.

/// The optional adapters this function wires (see `shared::app::wiring`).
pub const WIRING: u32 = 0;

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use shared::domain::NoticeNumber;
use shared::http::request::path_param;
use shared::http::{json_response, respond, ApiError};
use shared::ports::Session;
use shared::service::me::{self, Entry};
use shared::service::sessions;
use shared::web::{self, pages, status_view, Ctx};
use shared::App;

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    if req.uri().path().starts_with("/api/") {
        return respond(api(app, &req).await);
    }
    let ctx = Ctx::new(app, &req);
    if req.method() != Method::GET {
        return web::error_page(app, &ctx, ApiError::MethodNotAllowed);
    }
    let session = match web::current_session(app, &req).await {
        Ok(Some(s)) => s,
        Ok(None) => {
            // Back here after login (only reserved-area paths are kept).
            let landing = shared::service::login::landing(Some(req.uri().path()));
            let to = if landing == "/area-riservata" {
                "/accesso".to_owned()
            } else {
                format!("/accesso?torna={landing}")
            };
            return web::see_other(app, &ctx, &to, &[]);
        }
        Err(e) => return web::error_page(app, &ctx, e),
    };
    let result = match path_param(&req, "noticeNumber") {
        Some(n) => notice_page(app, &ctx, &session, &n).await,
        None => list_page(app, &ctx, &session).await,
    };
    web::respond_page(app, &ctx, result)
}

async fn api(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    if req.method() != Method::GET {
        return Err(ApiError::MethodNotAllowed);
    }
    let session = web::require_session(app, req).await?;
    let mine = me::positions(app, &session.fiscal_code).await?;
    Ok(json_response(
        StatusCode::OK,
        &serde_json::to_value(mine).map_err(ApiError::internal)?,
    ))
}

fn row(ctx: &Ctx, e: &Entry) -> pages::MyRow {
    let (label, _, badge) = status_view(ctx.t, e.status);
    pages::MyRow {
        notice: e.notice_number.to_string(),
        notice_grouped: e.notice_number.grouped(),
        ec_name: e.company_name.clone(),
        description: e.description.clone(),
        amount: web::amount(ctx.lang, e.amount_cents),
        due_date: web::date(ctx.lang, e.due_date),
        paid_on: e
            .paid_at
            .map(|d| web::date(ctx.lang, shared::domain::clock::rome_date(d)))
            .unwrap_or_default(),
        status_label: label,
        badge,
        url: format!("/area-riservata/avvisi/{}", e.notice_number),
        debtor_name: String::new(),
    }
}

async fn list_page(app: &App, ctx: &Ctx, session: &Session) -> Result<Response<Body>, ApiError> {
    let mine = me::positions(app, &session.fiscal_code).await?;
    let others = mine
        .paid_for_others
        .iter()
        .map(|p| pages::MyRow {
            notice: p.notice_number.clone(),
            notice_grouped: NoticeNumber::parse(&p.notice_number)
                .map(|n| n.grouped())
                .unwrap_or_else(|_| p.notice_number.clone()),
            ec_name: p.company_name.clone(),
            description: p.description.clone(),
            amount: shared::domain::AmountCents::new(p.amount_cents)
                .map(|a| web::amount(ctx.lang, a))
                .unwrap_or_default(),
            due_date: String::new(),
            paid_on: web::date(ctx.lang, shared::domain::clock::rome_date(p.received_at)),
            status_label: ctx.t.status_paid,
            badge: "bg-success",
            url: String::new(),
            debtor_name: p.debtor_name.clone(),
        })
        .collect();
    let page = pages::MyPositionsPage {
        ctx,
        user: sessions::display_name(session),
        method: session.method.to_uppercase(),
        fiscal_code: session.fiscal_code.to_string(),
        to_pay: mine.to_pay.iter().map(|e| row(ctx, e)).collect(),
        expired: mine.expired.iter().map(|e| row(ctx, e)).collect(),
        paid: mine.paid.iter().map(|e| row(ctx, e)).collect(),
        paid_for_others: others,
        created_without_login: mine
            .created_without_login
            .iter()
            .map(|e| row(ctx, e))
            .collect(),
    };
    Ok(web::render(app, ctx, StatusCode::OK, &page))
}

async fn notice_page(
    app: &App,
    ctx: &Ctx,
    session: &Session,
    notice: &str,
) -> Result<Response<Body>, ApiError> {
    let notice = NoticeNumber::parse(notice)
        .map_err(|_| ApiError::NotFound(ctx.t.notice_not_found.into()))?;
    let summary = me::notice(app, &session.fiscal_code, &notice).await?;
    let s = web::summary_view(ctx, &summary, &session.fiscal_code);
    Ok(web::render(
        app,
        ctx,
        StatusCode::OK,
        &pages::NoticeSummaryPage { ctx, step: 0, s },
    ))
}
