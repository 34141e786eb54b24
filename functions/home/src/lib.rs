//! The home page (`GET /`), the privacy notice, the "page not found" page of every
//! other address (`ANY /{proxy+}`), and the static assets (`GET /static/{proxy+}`:
//! Bootstrap Italia and the portal's own stylesheets), embedded at build time.

/// The optional adapters this function wires (see `shared::app::wiring`).
pub const WIRING: u32 = 0;

use std::path::PathBuf;

use lambda_http::http::{header, Method, StatusCode};
use lambda_http::{Body, Request, Response};
use shared::http::{path_param, ApiError};
use shared::web::{self, pages, Ctx};
use shared::App;

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    let path = req.uri().path().to_owned();
    let not_found = || ApiError::NotFound("risorsa non trovata".into());
    if path.starts_with("/api/") {
        return not_found().into_response();
    }
    let ctx = Ctx::new(app, &req);
    let get = req.method() == Method::GET || req.method() == Method::HEAD;
    match (get, path.as_str()) {
        (true, "/") => web::render(app, &ctx, StatusCode::OK, &pages::Home { ctx: &ctx }),
        (true, "/privacy") => web::render(app, &ctx, StatusCode::OK, &pages::Privacy { ctx: &ctx }),
        (true, p) if p.starts_with("/static/") => match path_param(&req, "proxy") {
            Some(rest) => static_file(app, &ctx, &rest).await,
            None => web::error_page(app, &ctx, not_found()),
        },
        _ => web::error_page(app, &ctx, not_found()),
    }
}

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

/// An asset: from `STATIC_DIR` when set (local development: edit and reload),
/// else from the copy embedded at build time.
async fn asset(app: &App, rest: &str) -> Option<Vec<u8>> {
    match &app.settings.static_dir {
        Some(dir) => tokio::fs::read(PathBuf::from(dir).join(rest)).await.ok(),
        None => ASSETS
            .iter()
            .find(|(p, _)| *p == rest)
            .map(|(_, b)| b.to_vec()),
    }
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "ttf" => "font/ttf",
        "ico" => "image/x-icon",
        "map" | "json" => "application/json",
        _ => "application/octet-stream",
    }
}

async fn static_file(app: &App, ctx: &Ctx, rest: &str) -> Response<Body> {
    let safe = !rest.is_empty()
        && rest
            .split('/')
            .all(|seg| !seg.is_empty() && seg != "." && seg != "..")
        && rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-/".contains(&b));
    if !safe {
        return web::error_page(app, ctx, ApiError::NotFound("risorsa non trovata".into()));
    }
    match asset(app, rest).await {
        Some(bytes) => web::secure(app, Response::builder().status(StatusCode::OK))
            .header(header::CONTENT_TYPE, content_type(rest))
            .header(header::CACHE_CONTROL, "public, max-age=86400")
            .body(Body::Binary(bytes))
            .expect("valid response"),
        None => web::error_page(app, ctx, ApiError::NotFound("risorsa non trovata".into())),
    }
}
