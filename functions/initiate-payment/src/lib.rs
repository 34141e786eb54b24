//! Paying: the cart (up to five notices), the start of the payment at pagoPA
//! Checkout, and the pages the citizen comes back to.
//!
//! - `GET /carrello`, `POST /carrello` (add), `POST /carrello/rimuovi`: the cart,
//!   kept server-side behind an opaque cookie;
//! - `POST /pagamento`: creates the Checkout cart and redirects there;
//! - `GET /pagamento/esito/{outcome}?id=`: ok / attesa (Checkout does not know
//!   the outcome yet: "payment being verified", turning into the outcome when
//!   the receipt arrives) / annullato / errore, from the receipts;
//! - `POST /api/v1/payments`, `GET /api/v1/payments/{cartId}`: the same as JSON.

/// The optional adapters this function wires (see `shared::app::wiring`).
pub const WIRING: u32 = 0;

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};
use shared::domain::input::{string, Reader};
use shared::domain::text::Email;
use shared::domain::{FieldErrors, FiscalCode, NoticeNumber, NoticeStatus};
use shared::http::limit;
use shared::http::{json_body, json_response, path_param, query_param, respond, ApiError};
use shared::secret;
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
        (Method::POST, "/carrello/rimuovi") => remove(app, &ctx, &req).await,
        (Method::POST, "/pagamento") => pay(app, &ctx, &req).await,
        (Method::GET, p) if p.starts_with("/pagamento/esito/") => outcome(app, &ctx, &req).await,
        _ => Err(ApiError::MethodNotAllowed),
    };
    web::respond_page(app, &ctx, result)
}

/// How long a cart is kept.
const CART_TTL_SECS: i64 = 86_400;

/// The cart lives server-side, under the SHA-256 of an opaque random token the
/// browser keeps in a cookie: no fiscal code travels in a cookie, and a forged
/// cookie is just an empty cart (it names no stored cart), so the per-client
/// limit on lookups cannot be bypassed through it.
async fn read_cart(app: &App, req: &Request) -> Result<(Option<String>, Items), ApiError> {
    let Some(token) = cookies(req)
        .get(&cookie_name(app, "cart"))
        .filter(|t| secret::well_formed(t))
        .cloned()
    else {
        return Ok((None, Vec::new()));
    };
    let doc = app
        .sessions
        .doc(&format!("cart#{}", secret::key(&token)), app.clock.now())
        .await?;
    let items = doc
        .as_ref()
        .and_then(|d| d["items"].as_array())
        .map(|items| {
            items
                .iter()
                .filter_map(|i| {
                    Some((
                        NoticeNumber::parse(i["noticeNumber"].as_str()?).ok()?,
                        FiscalCode::parse(i["fiscalCode"].as_str()?).ok()?,
                    ))
                })
                .take(payments::MAX_NOTICES)
                .collect()
        })
        .unwrap_or_default();
    Ok((Some(token), items))
}

/// Stores the cart; returns the `Set-Cookie` of its token (a new token for a
/// new cart; an empty cart clears the cookie).
async fn save_cart(app: &App, token: Option<String>, items: &Items) -> Result<String, ApiError> {
    if items.is_empty() {
        return Ok(set_cookie(app, "cart", "", Some(0)));
    }
    let token = token.unwrap_or_else(secret::secret);
    let doc = json!({"items": items.iter().map(|(n, cf)| json!({"noticeNumber": n, "fiscalCode": cf})).collect::<Vec<_>>()});
    app.sessions
        .put_doc(
            &format!("cart#{}", secret::key(&token)),
            &doc,
            app.clock.now() + chrono::Duration::seconds(CART_TTL_SECS),
        )
        .await?;
    Ok(set_cookie(app, "cart", &token, Some(CART_TTL_SECS as u64)))
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
    let (token, in_cookie) = read_cart(app, req).await?;
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
        let cookie = save_cart(app, token, &kept).await?;
        if let Ok(v) = lambda_http::http::HeaderValue::from_str(&cookie) {
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
    let (token, mut items) = read_cart(app, req).await?;
    if !items.iter().any(|(n, _)| *n == notice) {
        if items.len() >= payments::MAX_NOTICES {
            return cart_page(app, ctx, req, "", None, Some(ctx.t.cart_full.into())).await;
        }
        payments::check_notices(app, &[(notice, cf.clone())]).await?;
        items.push((notice, cf));
    }
    let cookie = save_cart(app, token, &items).await?;
    Ok(web::see_other(app, ctx, "/carrello", &[cookie]))
}

async fn remove(app: &App, ctx: &Ctx, req: &Request) -> Result<Response<Body>, ApiError> {
    let form = read_form(app, req)?;
    let (token, items) = read_cart(app, req).await?;
    let items: Items = items
        .into_iter()
        .filter(|(n, _)| n.as_str() != form.get("notice"))
        .collect();
    let cookie = save_cart(app, token, &items).await?;
    Ok(web::see_other(app, ctx, "/carrello", &[cookie]))
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
    let (_, items) = read_cart(app, req).await?;
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
        ("ok" | "attesa", false) => (
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
            let doc = json_body(req)?;
            let (items, email) = parse_payment(&doc).map_err(ApiError::Validation)?;
            // One lookup for each (notice, fiscal code) pair checked.
            limit::lookups(app, req, items.len()).await?;
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
