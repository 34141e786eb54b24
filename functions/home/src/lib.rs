//! The home page (`GET /`) and the static assets of the pages (`GET /static/{proxy+}`:
//! Bootstrap Italia and the portal's own stylesheet), read from `STATIC_DIR`.

use std::path::{Path, PathBuf};

use lambda_http::http::{header, Method, StatusCode};
use lambda_http::{Body, Request, Response};
use shared::http::{path_param, ApiError};
use shared::web::{self, pages, Ctx};
use shared::App;

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    let ctx = Ctx::new(app, &req);
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return web::error_page(app, &ctx, ApiError::MethodNotAllowed);
    }
    match (path_param(&req, "proxy"), req.uri().path()) {
        (Some(rest), _) => static_file(app, &ctx, &rest).await,
        (None, "/privacy") => web::render(app, &ctx, StatusCode::OK, &pages::Privacy { ctx: &ctx }),
        (None, _) => web::render(app, &ctx, StatusCode::OK, &pages::Home { ctx: &ctx }),
    }
}

/// Where the assets are: `STATIC_DIR`, else `static` beside the binary.
fn static_root(app: &App) -> PathBuf {
    app.settings.static_dir.as_ref().map(PathBuf::from).unwrap_or_else(|| {
        std::env::current_exe()
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .unwrap_or_default()
            .join("static")
    })
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
        && rest.split('/').all(|seg| !seg.is_empty() && seg != "." && seg != "..")
        && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-/".contains(&b));
    if !safe {
        return web::error_page(app, ctx, ApiError::NotFound("risorsa non trovata".into()));
    }
    match tokio::fs::read(static_root(app).join(rest)).await {
        Ok(bytes) => web::secure(app, Response::builder().status(StatusCode::OK))
            .header(header::CONTENT_TYPE, content_type(rest))
            .header(header::CACHE_CONTROL, "public, max-age=86400")
            .body(Body::Binary(bytes))
            .expect("valid response"),
        Err(_) => web::error_page(app, ctx, ApiError::NotFound("risorsa non trovata".into())),
    }
}
