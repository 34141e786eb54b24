//! Login and logout of the reserved area.
//!
//! - `GET /accesso`: the login page (SPID, CIE, and CNS when its host is configured);
//! - `GET /accesso/avvia?metodo=spid|cie`: to the identity gateway (OIDC);
//! - `GET /accesso/callback`: the gateway's answer → session → `/area-riservata`;
//! - `GET /accesso/cns`: on the CNS mutual-TLS host → `/accesso/cns/completa` on the portal's host;
//! - `POST /esci`: ends the session server-side.

/// The optional adapters this function wires (see `shared::app::wiring`).
pub const WIRING: u32 = shared::app::wiring::LOGIN;

use lambda_http::http::{header, HeaderValue, StatusCode};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use shared::auth::oidc::LoginMethod;
use shared::http::limit;
use shared::http::request::query_param;
use shared::http::ApiError;
use shared::service::login::{self, Failure};
use shared::service::sessions;
use shared::web::{self, cookie_name, cookies, pages, read_form, session_cookie, set_cookie, Ctx};
use shared::App;

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    let ctx = Ctx::new(app, &req);
    let get = req.method() == lambda_http::http::Method::GET;
    let path = req.uri().path().to_owned();
    match (get, path.as_str()) {
        (true, "/accesso") => {
            let (message, alert, status) = match query_param(&req, "esito").as_deref() {
                Some("uscito") => (Some(ctx.t.logged_out), "alert-success", StatusCode::OK),
                Some("annullato") => (Some(ctx.t.login_cancelled), "alert-info", StatusCode::OK),
                _ => (None, "", StatusCode::OK),
            };
            let landing = query_param(&req, "torna");
            login_page(app, &ctx, message, alert, status, landing.as_deref())
        }
        (true, "/accesso/avvia" | "/accesso/callback" | "/accesso/cns/avvia")
            if limit::login(app, &req).await.is_err() =>
        {
            web::error_page(app, &ctx, ApiError::TooManyRequests)
        }
        (true, "/accesso/avvia") => start(app, &ctx, &req).await,
        (true, "/accesso/callback") => callback(app, &ctx, &req).await,
        (true, "/accesso/cns/avvia") => match login::cns_start(app) {
            Ok(state) => {
                let bind = set_cookie(
                    app,
                    login::LOGIN_COOKIE,
                    &state,
                    Some(login::LOGIN_TTL.num_seconds() as u64),
                );
                let host = app.settings.cns_domain.as_deref().unwrap_or_default();
                let to = format!("https://{host}/accesso/cns?stato={state}");
                web::see_other(app, &ctx, &to, &[bind])
            }
            Err(e) => login_failed(app, &ctx, ApiError::from(e).status(), ctx.t.login_failed),
        },
        (true, "/accesso/cns") => match cns(app, &req).await {
            Ok(code) => redirect(
                app,
                &ctx,
                &format!(
                    "{}/accesso/cns/completa?codice={code}",
                    app.settings.public_base_url
                ),
                &[],
            ),
            Err(e) => login_failed(app, &ctx, ApiError::from(e).status(), ctx.t.login_failed),
        },
        (true, "/accesso/cns/completa") => {
            let code = query_param(&req, "codice").unwrap_or_default();
            let bound = cookies(&req)
                .get(&cookie_name(app, login::LOGIN_COOKIE))
                .cloned();
            let result = login::cns_complete(app, &code, bound.as_deref())
                .await
                .map(|token| (token, login::landing(None).to_owned()));
            finish(app, &ctx, result)
        }
        (false, "/esci") => logout(app, &ctx, &req).await,
        _ => web::error_page(app, &ctx, ApiError::MethodNotAllowed),
    }
}

/// CNS login on its mutual-TLS host: the host the request came through and the
/// subject of the certificate API Gateway verified.
async fn cns(app: &App, req: &Request) -> Result<String, Failure> {
    let (domain, subject) = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(c)) => (
            c.domain_name.as_deref(),
            c.authentication
                .as_ref()
                .and_then(|a| a.client_cert.as_ref())
                .and_then(|cert| cert.subject_dn.as_deref()),
        ),
        _ => (None, None),
    };
    let state = query_param(req, "stato").unwrap_or_default();
    login::cns(app, domain, subject, &state).await
}

fn login_page(
    app: &App,
    ctx: &Ctx,
    message: Option<&str>,
    alert: &str,
    status: StatusCode,
    landing: Option<&str>,
) -> Response<Body> {
    let landing = login::landing(landing);
    let page = pages::LoginPage {
        landing: (landing != login::landing(None)).then(|| landing.to_owned()),
        operator: landing.starts_with("/backoffice"),
        ctx,
        enabled: app.identity.is_some(),
        cns_url: app
            .settings
            .cns_domain
            .as_ref()
            .map(|_| "/accesso/cns/avvia".to_owned()),
        message,
        alert,
        dev: app.settings.dev_identity_provider,
    };
    web::render(app, ctx, status, &page)
}

fn login_failed(app: &App, ctx: &Ctx, status: StatusCode, message: &str) -> Response<Body> {
    login_page(app, ctx, Some(message), "alert-danger", status, None)
}

/// A 303 with cookies (the login cookie is cleared on the way).
fn redirect(app: &App, ctx: &Ctx, to: &str, extra: &[String]) -> Response<Body> {
    let mut cookies = extra.to_vec();
    cookies.push(set_cookie(app, login::LOGIN_COOKIE, "", Some(0)));
    web::see_other(app, ctx, to, &cookies)
}

async fn start(app: &App, ctx: &Ctx, req: &Request) -> Response<Body> {
    let method = match query_param(req, "metodo")
        .as_deref()
        .and_then(LoginMethod::parse)
    {
        Some(m @ (LoginMethod::Spid | LoginMethod::Cie)) => m,
        _ => return login_failed(app, ctx, StatusCode::BAD_REQUEST, ctx.t.login_failed),
    };
    if app.identity.is_none() {
        return login_page(app, ctx, None, "", StatusCode::NOT_FOUND, None);
    }
    let landing = query_param(req, "torna");
    match login::start(app, method, landing.as_deref()).await {
        Ok((url, state)) => {
            let bind = set_cookie(
                app,
                login::LOGIN_COOKIE,
                &state,
                Some(login::LOGIN_TTL.num_seconds() as u64),
            );
            web::see_other(app, ctx, &url, &[bind])
        }
        Err(e) => web::error_page(app, ctx, e.into()),
    }
}

async fn callback(app: &App, ctx: &Ctx, req: &Request) -> Response<Body> {
    let state = query_param(req, "state").unwrap_or_default();
    let bound = cookies(req)
        .get(&cookie_name(app, login::LOGIN_COOKIE))
        .cloned();
    let code = query_param(req, "code");
    let error = query_param(req, "error");
    let result = login::callback(
        app,
        &state,
        bound.as_deref(),
        code.as_deref(),
        error.as_deref(),
    )
    .await;
    finish(app, ctx, result)
}

fn finish(app: &App, ctx: &Ctx, result: Result<(String, String), Failure>) -> Response<Body> {
    match result {
        Ok((token, landing)) => redirect(app, ctx, &landing, &[session_cookie(app, &token)]),
        Err(Failure::Cancelled) => redirect(app, ctx, "/accesso?esito=annullato", &[]),
        Err(e @ (Failure::State | Failure::Refused(_) | Failure::NoCertificate)) => {
            tracing::warn!(error = %e, "login refused");
            let mut r = login_failed(app, ctx, StatusCode::UNAUTHORIZED, ctx.t.login_failed);
            if let Ok(v) = HeaderValue::from_str(&set_cookie(app, login::LOGIN_COOKIE, "", Some(0)))
            {
                r.headers_mut().append(header::SET_COOKIE, v);
            }
            r
        }
        Err(e) => web::error_page(app, ctx, e.into()),
    }
}

async fn logout(app: &App, ctx: &Ctx, req: &Request) -> Response<Body> {
    if let Err(e) = read_form(app, req) {
        return web::error_page(app, ctx, e);
    }
    let token = web::session_token(app, req);
    match login::logout(app, token.as_deref()).await {
        Ok(provider) => {
            let clear = set_cookie(app, sessions::COOKIE, "", Some(0));
            let to = provider.unwrap_or_else(|| "/accesso?esito=uscito".into());
            web::see_other(app, ctx, &to, &[clear])
        }
        Err(e) => web::error_page(app, ctx, e.into()),
    }
}
