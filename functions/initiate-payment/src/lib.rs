//! Paying: the cart (up to five notices), the start of the payment at pagoPA
//! Checkout, and the pages the citizen comes back to.
//!
//! - `GET /carrello`, `POST /carrello` (add), `POST /carrello/rimuovi`;
//! - `POST /pagamento`: creates the Checkout cart and redirects there;
//! - `GET /pagamento/esito/{outcome}?id=`: ok / annullato / errore, from the receipts;
//! - `POST /api/v1/payments`, `GET /api/v1/payments/{cartId}`: the same as JSON.

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};
use shared::domain::input::{string, Reader};
use shared::domain::text::Email;
use shared::domain::{FieldErrors, FiscalCode, NoticeNumber, NoticeStatus};
use shared::http::limit;
use shared::http::{json_body, json_response, path_param, query_param, respond, ApiError};
use shared::service::notices::{self, LookupError};
use shared::service::payments::{self, PaymentError};
use shared::web::{self, cookie_name, cookies, pages, read_form, set_cookie, status_view, Ctx};
use shared::App;

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    let path = req.uri().path().to_owned();
    if path.starts_with("/api/") {
        return respond(api(app, &req).await);
    }
    let ctx = Ctx::new(app, &req);
    let result = match (req.method().clone(), path.as_str()) {
        (Method::GET, "/carrello") => cart_page(app, &ctx, &req, "", None, None).await,
        (Method::POST, "/carrello") => add(app, &ctx, &req).await,
        (Method::POST, "/carrello/rimuovi") => remove(app, &ctx, &req),
        (Method::POST, "/pagamento") => pay(app, &ctx, &req).await,
        (Method::GET, p) if p.starts_with("/pagamento/esito/") => outcome(app, &ctx, &req).await,
        _ => Err(ApiError::MethodNotAllowed),
    };
    web::respond_page(app, &ctx, result)
}

/// The cart lives in a cookie: `notice.fiscalcode` pairs joined by `-`.
fn read_cart(app: &App, req: &Request) -> Items {
    cookies(req)
        .get(&cookie_name(app, "cart"))
        .map(|v| {
            v.split('-')
                .filter_map(|pair| {
                    let (n, cf) = pair.split_once('.')?;
                    Some((NoticeNumber::parse(n).ok()?, FiscalCode::parse(cf).ok()?))
                })
                .take(payments::MAX_NOTICES)
                .collect()
        })
        .unwrap_or_default()
}

fn cart_cookie(app: &App, items: &[(NoticeNumber, FiscalCode)]) -> String {
    let v: Vec<String> = items.iter().map(|(n, cf)| format!("{n}.{cf}")).collect();
    set_cookie(
        app,
        "cart",
        &v.join("-"),
        Some(if items.is_empty() { 0 } else { 86_400 }),
    )
}

async fn cart_page(
    app: &App,
    ctx: &Ctx,
    req: &Request,
    email: &str,
    email_error: Option<String>,
    message: Option<String>,
) -> Result<Response<Body>, ApiError> {
    let mut items = Vec::new();
    let mut kept = Vec::new();
    let mut total = 0u64;
    let in_cookie = read_cart(app, req);
    for (n, cf) in &in_cookie {
        match notices::verify(app, n, cf).await {
            Ok(s) if s.status == NoticeStatus::Payable => {
                total += s.amount_cents.cents();
                kept.push((*n, cf.clone()));
                items.push(pages::ItemView {
                    notice: n.to_string(),
                    notice_grouped: n.grouped(),
                    fiscal_code: cf.to_string(),
                    ec_name: s.company_name.clone(),
                    description: s.description.to_string(),
                    amount: web::amount(ctx.lang, s.amount_cents),
                    status_label: status_view(ctx.t, s.status).0,
                    paid: false,
                });
            }
            Ok(_) | Err(LookupError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
    }
    // Paid, expired or cancelled notices leave the cart (after a payment, all of them).
    let dropped = kept.len() != in_cookie.len();
    let message = message
        .or_else(|| (dropped && !kept.is_empty()).then(|| ctx.t.not_payable_in_cart.to_owned()));
    let total = shared::domain::AmountCents::new(total)
        .map(|a| web::amount(ctx.lang, a))
        .unwrap_or_default();
    let status = if email_error.is_some() || message.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = pages::CartPage {
        ctx,
        items,
        total,
        email,
        email_error,
        message,
    };
    let mut response = web::render(app, ctx, status, &page);
    if dropped {
        if let Ok(v) = lambda_http::http::HeaderValue::from_str(&cart_cookie(app, &kept)) {
            response
                .headers_mut()
                .append(lambda_http::http::header::SET_COOKIE, v);
        }
    }
    Ok(response)
}

async fn add(app: &App, ctx: &Ctx, req: &Request) -> Result<Response<Body>, ApiError> {
    let form = read_form(app, req)?;
    limit::lookup(app, req).await?;
    let notice = NoticeNumber::parse_lenient(form.get("notice"))
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let cf = FiscalCode::parse(form.get("fiscalCode"))
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let mut items = read_cart(app, req);
    if !items.iter().any(|(n, _)| *n == notice) {
        if items.len() >= payments::MAX_NOTICES {
            return cart_page(app, ctx, req, "", None, Some(ctx.t.cart_full.into())).await;
        }
        payments::check_notices(app, &[(notice, cf.clone())]).await?;
        items.push((notice, cf));
    }
    Ok(web::see_other(
        app,
        ctx,
        "/carrello",
        &[cart_cookie(app, &items)],
    ))
}

fn remove(app: &App, ctx: &Ctx, req: &Request) -> Result<Response<Body>, ApiError> {
    let form = read_form(app, req)?;
    let items: Vec<_> = read_cart(app, req)
        .into_iter()
        .filter(|(n, _)| n.as_str() != form.get("notice"))
        .collect();
    Ok(web::see_other(
        app,
        ctx,
        "/carrello",
        &[cart_cookie(app, &items)],
    ))
}

async fn pay(app: &App, ctx: &Ctx, req: &Request) -> Result<Response<Body>, ApiError> {
    let form = read_form(app, req)?;
    let email_in = form.get("email").trim();
    let email = match email_in {
        "" => None,
        e => match Email::parse(e) {
            Ok(e) => Some(e),
            Err(_) => {
                return cart_page(
                    app,
                    ctx,
                    req,
                    email_in,
                    Some(ctx.t.email_invalid.into()),
                    None,
                )
                .await
            }
        },
    };
    let items = read_cart(app, req);
    if items.is_empty() {
        return Ok(web::see_other(app, ctx, "/carrello", &[]));
    }
    match payments::start(app, &items, email).await {
        Ok(attempt) => {
            let to = attempt.checkout_url.unwrap_or_else(|| "/carrello".into());
            Ok(web::see_other(app, ctx, &to, &[]))
        }
        Err(PaymentError::NotPayable(errors)) => {
            let message = errors
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join("; ");
            cart_page(app, ctx, req, email_in, None, Some(message)).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn outcome(app: &App, ctx: &Ctx, req: &Request) -> Result<Response<Body>, ApiError> {
    let which = req
        .uri()
        .path()
        .trim_start_matches("/pagamento/esito/")
        .to_owned();
    let id = query_param(req, "id").unwrap_or_default();
    let (attempt, statuses) = payments::status(app, &id).await?;
    let all_paid = statuses.iter().all(|s| *s == NoticeStatus::Paid);
    let t = ctx.t;
    let items = attempt
        .notices
        .iter()
        .zip(&statuses)
        .map(|(n, s)| pages::ItemView {
            notice: n.notice_number.to_string(),
            notice_grouped: n.notice_number.grouped(),
            fiscal_code: n.fiscal_code.to_string(),
            ec_name: n.company_name.clone(),
            description: n.description.clone(),
            amount: shared::domain::AmountCents::new(n.amount_cents)
                .map(|a| web::amount(ctx.lang, a))
                .unwrap_or_default(),
            status_label: status_view(t, *s).0,
            paid: *s == NoticeStatus::Paid,
        })
        .collect();
    // The outcome is what the receipts say; the return URL only tells which page to show.
    let (title, text, alert, refresh, retry) = match (which.as_str(), all_paid) {
        (_, true) => (
            t.outcome_ok,
            t.outcome_ok_text,
            "alert-success",
            false,
            false,
        ),
        ("ok", false) => (
            t.outcome_checking,
            t.outcome_checking_text,
            "alert-info",
            true,
            false,
        ),
        ("annullato", false) => (
            t.outcome_cancel,
            t.outcome_cancel_text,
            "alert-warning",
            false,
            true,
        ),
        ("errore", false) => (
            t.outcome_error,
            t.outcome_error_text,
            "alert-danger",
            false,
            true,
        ),
        _ => return Err(ApiError::NotFound("pagina non trovata".into())),
    };
    let page = pages::OutcomePage {
        ctx,
        title,
        text,
        alert,
        items,
        refresh,
        retry,
        self_url: format!("/pagamento/esito/{which}?id={}", attempt.id),
        payment_id: attempt.id.clone(),
    };
    Ok(web::render(app, ctx, StatusCode::OK, &page))
}

async fn api(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    match (req.method(), path_param(req, "cartId")) {
        (&Method::POST, None) => {
            limit::lookup(app, req).await?;
            let doc = json_body(req)?;
            let (items, email) = parse_payment(&doc).map_err(ApiError::Validation)?;
            let attempt = payments::start(app, &items, email).await?;
            Ok(json_response(
                StatusCode::CREATED,
                &json!({"checkoutUrl": attempt.checkout_url, "cartId": attempt.id}),
            ))
        }
        (&Method::GET, Some(id)) => {
            let (attempt, statuses) = payments::status(app, &id).await?;
            Ok(json_response(
                StatusCode::OK,
                &payments::status_json(&attempt, &statuses),
            ))
        }
        _ => Err(ApiError::MethodNotAllowed),
    }
}

/// The notices of a payment, each with the fiscal code given for it.
type Items = Vec<(NoticeNumber, FiscalCode)>;

/// `{"notices": [{"noticeNumber", "fiscalCode"}], "email"}`.
fn parse_payment(doc: &Value) -> Result<(Items, Option<Email>), FieldErrors> {
    let mut r = Reader::default();
    let parsed = (|| {
        let o = r.object(doc, "")?;
        o.deny_unknown(&mut r, &["notices", "email"]);
        let email = o.opt(&mut r, "email", string(Email::parse));
        let mut items = Vec::new();
        for (path, v) in o
            .array(&mut r, "notices", 1, payments::MAX_NOTICES)
            .unwrap_or_default()
        {
            let Some(n) = r.object(v, &path) else {
                continue;
            };
            n.deny_unknown(&mut r, &["noticeNumber", "fiscalCode"]);
            let notice = n.req(&mut r, "noticeNumber", string(NoticeNumber::parse_lenient));
            let cf = n.req(&mut r, "fiscalCode", string(FiscalCode::parse));
            if let (Some(notice), Some(cf)) = (notice, cf) {
                items.push((notice, cf));
            }
        }
        Some((items, email?))
    })();
    r.finish(parsed)
}
