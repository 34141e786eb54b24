//! Server-rendered pages: the shared layout, language, cookies, CSRF
//! protection and security headers. Pages work without JavaScript.

pub mod i18n;
mod lookup;
pub mod pages;
mod session;
pub mod spontaneous;

use std::collections::HashMap;

use askama::Template;
use lambda_http::http::{header, HeaderValue, Method, StatusCode};
use lambda_http::{Body, Request, RequestExt, Response};
use subtle::ConstantTimeEq;

pub use i18n::{Lang, PageTexts, T};
pub use lookup::{notice_form, NoticeForm};
pub use session::{current_session, end_session, require_session, session_cookie, session_token};

use crate::http::request::body_bytes;
use crate::http::ApiError;
use crate::App;

/// Largest form body accepted.
pub const MAX_FORM_BODY: usize = 16 * 1024;

/// Cookies of the request, by name.
pub fn cookies(req: &Request) -> HashMap<String, String> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| {
            let (k, v) = pair.trim().split_once('=')?;
            Some((k.to_owned(), v.to_owned()))
        })
        .collect()
}

pub use crate::secret::random_token;

/// Cookie names: `__Host-` ones need Secure, which a plain-HTTP local run cannot set.
pub fn cookie_name(app: &App, base: &str) -> String {
    if app.settings.secure_cookies {
        format!("__Host-{base}")
    } else {
        base.to_owned()
    }
}

pub fn set_cookie(app: &App, base: &str, value: &str, max_age: Option<u64>) -> String {
    let mut c = format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Lax",
        cookie_name(app, base)
    );
    if app.settings.secure_cookies {
        c.push_str("; Secure");
    }
    if let Some(a) = max_age {
        c.push_str(&format!("; Max-Age={a}"));
    }
    c
}

/// What every page needs: language, strings, the CSRF token, cookies to set.
pub struct Ctx {
    pub lang: Lang,
    pub t: &'static T,
    pub csrf: String,
    pub portal_name: String,
    /// The current path, for the language switch.
    pub path: String,
    pub set_cookies: Vec<String>,
}

impl Ctx {
    pub fn new(app: &App, req: &Request) -> Self {
        let jar = cookies(req);
        let from_query = req
            .query_string_parameters()
            .first("lang")
            .and_then(Lang::parse);
        let lang = from_query
            .or_else(|| jar.get("lang").and_then(|l| Lang::parse(l)))
            .unwrap_or_default();
        let mut set_cookies = vec![];
        if let Some(l) = from_query {
            set_cookies.push(format!(
                "lang={}; Path=/; SameSite=Lax; Max-Age=31536000",
                l.code()
            ));
        }
        let existing = jar
            .get(&cookie_name(app, "csrf"))
            .filter(|t| t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit()))
            .cloned();
        let csrf = match existing {
            Some(t) => t,
            None => {
                let t = random_token();
                set_cookies.push(set_cookie(app, "csrf", &t, None));
                t
            }
        };
        Self {
            lang,
            t: lang.t(),
            csrf,
            portal_name: app.settings.portal_name.clone(),
            path: req.uri().path().to_owned(),
            set_cookies,
        }
    }
}

/// A submitted form: fields by name, after the CSRF check.
pub struct Form(HashMap<String, String>);

impl Form {
    pub fn get(&self, name: &str) -> &str {
        self.0.get(name).map(String::as_str).unwrap_or("")
    }
}

/// Reads a urlencoded POST form and checks its CSRF token against the cookie
/// (double submit; the cookie is SameSite and HttpOnly).
pub fn read_form(app: &App, req: &Request) -> Result<Form, ApiError> {
    if req.method() != Method::POST {
        return Err(ApiError::MethodNotAllowed);
    }
    let body = body_bytes(req);
    if body.len() > MAX_FORM_BODY {
        return Err(ApiError::PayloadTooLarge(MAX_FORM_BODY));
    }
    let fields: HashMap<String, String> = form_urlencoded::parse(body).into_owned().collect();
    check_csrf(
        app,
        req,
        fields.get("csrf").map(String::as_str).unwrap_or(""),
    )?;
    Ok(Form(fields))
}

/// Checks a form's CSRF token against the cookie (double submit), for forms
/// read otherwise than by [`read_form`] (a file upload).
pub fn check_csrf(app: &App, req: &Request, given: &str) -> Result<(), ApiError> {
    let cookie = cookies(req)
        .get(&cookie_name(app, "csrf"))
        .cloned()
        .unwrap_or_default();
    let ok = !cookie.is_empty() && bool::from(cookie.as_bytes().ct_eq(given.as_bytes()));
    if ok {
        Ok(())
    } else {
        Err(ApiError::Forbidden("csrf".into()))
    }
}

/// The Content-Security-Policy of every page: only our own scripts and styles;
/// forms may go to Checkout (the payment redirect follows a form post) and to
/// the identity provider (logout's redirect to its end_session_endpoint).
pub fn csp(app: &App) -> String {
    let checkout = crate::app::origin(&app.settings.checkout_url);
    let idp = app
        .settings
        .identity_origin
        .as_deref()
        .map(|o| format!(" {o}"))
        .unwrap_or_default();
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self' data:; \
connect-src 'self'; form-action 'self' {checkout}{idp}; frame-ancestors 'none'; base-uri 'none'"
    )
}

/// Security headers shared by pages and documents.
pub fn secure(
    app: &App,
    mut b: lambda_http::http::response::Builder,
) -> lambda_http::http::response::Builder {
    b = b
        .header("content-security-policy", csp(app))
        .header("x-content-type-options", "nosniff")
        .header("referrer-policy", "same-origin")
        .header("x-frame-options", "DENY")
        .header(
            "permissions-policy",
            "camera=(), microphone=(), geolocation=()",
        );
    if app.settings.secure_cookies {
        b = b.header(
            "strict-transport-security",
            "max-age=63072000; includeSubDomains",
        );
    }
    b
}

/// An HTML page.
pub fn page(app: &App, ctx: &Ctx, status: StatusCode, html: String) -> Response<Body> {
    let mut b = secure(app, Response::builder().status(status))
        .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-store")
        .header(header::CONTENT_LANGUAGE, ctx.lang.code());
    for c in &ctx.set_cookies {
        if let Ok(v) = HeaderValue::from_str(c) {
            b = b.header(header::SET_COOKIE, v);
        }
    }
    b.body(Body::Text(html)).expect("valid response")
}

/// Renders a template into a page; a template error is a defect of ours.
pub fn render(app: &App, ctx: &Ctx, status: StatusCode, t: &impl Template) -> Response<Body> {
    match t.render() {
        Ok(html) => page(app, ctx, status, html),
        Err(e) => error_page(app, ctx, ApiError::internal(e)),
    }
}

/// A redirect after a POST (303), keeping the cookies to set.
pub fn see_other(app: &App, ctx: &Ctx, to: &str, extra_cookies: &[String]) -> Response<Body> {
    let mut b = secure(app, Response::builder().status(StatusCode::SEE_OTHER))
        .header(header::LOCATION, to)
        .header(header::CACHE_CONTROL, "no-store");
    for c in ctx.set_cookies.iter().chain(extra_cookies) {
        if let Ok(v) = HeaderValue::from_str(c) {
            b = b.header(header::SET_COOKIE, v);
        }
    }
    b.body(Body::Empty).expect("valid response")
}

/// The HTML face of [`ApiError`]: the same status table, a page instead of
/// problem+json.
pub fn error_page(app: &App, ctx: &Ctx, e: ApiError) -> Response<Body> {
    let status = e.status();
    e.log();
    let message = match &e {
        ApiError::Forbidden(m) if m == "csrf" => ctx.t.session_expired.to_owned(),
        other => other.to_string(),
    };
    let title = if status == StatusCode::NOT_FOUND {
        ctx.t.not_found_title
    } else {
        ctx.t.error_title
    };
    let tpl = pages::ErrorPage {
        ctx,
        title,
        message: &message,
    };
    match tpl.render() {
        Ok(html) => page(app, ctx, status, html),
        Err(_) => page(
            app,
            ctx,
            status,
            format!("<!doctype html><title>{title}</title><p>{message}</p>"),
        ),
    }
}

/// Turns a page result into the response.
pub fn respond_page(app: &App, ctx: &Ctx, r: Result<Response<Body>, ApiError>) -> Response<Body> {
    r.unwrap_or_else(|e| error_page(app, ctx, e))
}

/// A malformed notice code, in the page's language.
pub fn notice_error(t: &T, e: &crate::domain::notice::NoticeError) -> String {
    e.message(t.language()).to_owned()
}

/// A malformed fiscal code, in the page's language.
pub fn fiscal_code_error(t: &T, e: &crate::domain::fiscal_code::FiscalCodeError) -> String {
    e.message(t.language()).to_owned()
}

/// How a notice status reads on a page: label, explanation, badge class.
pub fn status_view(
    t: &T,
    s: crate::domain::NoticeStatus,
) -> (&'static str, Option<&'static str>, &'static str) {
    use crate::domain::NoticeStatus::*;
    match s {
        Payable => (t.status_payable, None, "bg-primary"),
        Expired => (
            t.status_expired,
            Some(t.expired_text),
            "bg-warning text-dark",
        ),
        Paid => (t.status_paid, Some(t.paid_text), "bg-success"),
        Cancelled => (t.status_cancelled, Some(t.cancelled_text), "bg-secondary"),
    }
}

/// Formats an amount for the page's language.
pub fn amount(lang: Lang, a: crate::domain::AmountCents) -> String {
    match lang {
        Lang::It => a.to_italian(),
        Lang::En => {
            let it = a.to_italian();
            let digits = it.trim_end_matches(" €").replace('.', ",");
            let (int, dec) = digits.rsplit_once(',').unwrap_or((&digits, "00"));
            format!("€{int}.{dec}")
        }
    }
}

/// Formats a date for the page's language.
pub fn date(lang: Lang, d: chrono::NaiveDate) -> String {
    lang.format_date(d)
}

/// The summary (riepilogo) of a notice, as every page shows it.
pub fn summary_view(
    ctx: &Ctx,
    summary: &crate::service::notices::NoticeSummary,
    cf: &crate::domain::FiscalCode,
) -> pages::SummaryView {
    use crate::domain::NoticeStatus;
    let (status_label, status_text, badge) = status_view(ctx.t, summary.status);
    let notice = summary.notice_number;
    pages::SummaryView {
        notice: notice.to_string(),
        notice_grouped: notice.grouped(),
        fiscal_code: cf.to_string(),
        iuv: summary.iuv.to_string(),
        ec_name: match &summary.office_name {
            Some(o) => format!("{} – {o}", summary.company_name),
            None => summary.company_name.clone(),
        },
        service: summary.description.to_string(),
        holder: summary.debtor.full_name.to_string(),
        amount: amount(ctx.lang, summary.amount_cents),
        due_date: date(ctx.lang, summary.due_date),
        status_label,
        status_text,
        badge,
        payable: summary.status == NoticeStatus::Payable,
        printable: matches!(summary.status, NoticeStatus::Payable),
        paid: summary.status == NoticeStatus::Paid,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fiscal_code::FiscalCodeError;
    use crate::domain::notice::NoticeError;

    #[test]
    fn field_errors_in_the_page_language() {
        assert_eq!(
            fiscal_code_error(&i18n::IT, &FiscalCodeError::Numeric),
            "Il codice fiscale numerico (partita IVA) non è valido."
        );
        assert_eq!(
            fiscal_code_error(&i18n::EN, &FiscalCodeError::BirthDate),
            "The tax code contains an invalid date of birth."
        );
        assert_eq!(
            notice_error(&i18n::IT, &NoticeError::Length),
            "Il codice avviso deve avere 18 cifre."
        );
        assert_eq!(
            notice_error(&i18n::EN, &NoticeError::NotDigits),
            "The notice code can contain digits only."
        );
    }

    #[test]
    fn amounts_and_dates_in_the_page_language() {
        let a = crate::domain::AmountCents::new(102_099).unwrap();
        assert_eq!(amount(Lang::It, a), "1.020,99 €");
        assert_eq!(amount(Lang::En, a), "€1,020.99");
        let d = chrono::NaiveDate::from_ymd_opt(2026, 3, 9).unwrap();
        assert_eq!(date(Lang::It, d), "09/03/2026");
        assert_eq!(date(Lang::En, d), "09 Mar 2026");
    }
}
