//! The operators' web console (`/backoffice`): the back office for EC staff,
//! in the browser, on the same use cases as the operator API.
//!
//! Operators sign in with SPID/CIE like citizens (the same session); the
//! admin API's operator table says which ECs each fiscal code may act for, and
//! how (`shared::service::operators`). Every page names its EC in the path and
//! is checked against that table: an operator never reaches another EC's data.
//!
//! - `GET  /backoffice`: the ECs the operator may act for
//! - `GET  /backoffice/{ec}/posizioni[?avviso&iuv&iupd&cf&stato&scadenza_da&scadenza_a&dopo]`
//! - `GET  /backoffice/{ec}/posizioni/{iupd}`: options, receipts, mails, anomalies
//! - `GET|POST /backoffice/{ec}/posizioni/{iupd}/modifica`, `POST …/annulla`
//! - `GET  /backoffice/{ec}/posizioni/{iupd}/ricevute/{receiptId}.pdf|.xml`
//! - `GET|POST /backoffice/{ec}/importazioni`, `GET …/{id}[?formato=json]`, `GET …/{id}/rapporto`
//! - `GET  /backoffice/{ec}/pagamenti[?da&a]`, `GET …/esporta?formato=csv|zip`,
//!   `POST /backoffice/{ec}/riconciliazione`
//! - `GET  /backoffice/{ec}/catalogo`, `GET|POST …/{code}` (`nuovo`: a new service)
//! - `GET|POST /backoffice/{ec}/chiavi` (EC admins: the operator API keys)
//!
//! Pages work without JavaScript; the import page's progress bar is refreshed
//! by `/static/app/backoffice.js` when it runs, by the page itself otherwise.

/// The optional adapters this function wires (see `shared::app::wiring`): the
/// document store (receipts' PDF and XML, imports' files and reports,
/// exports). Not the PDF renderer: the receipt worker renders and stores every
/// receipt's PDF within seconds, and the console serves the stored one, which
/// keeps the renderer and its fonts out of this function's zip.
pub const WIRING: u32 = shared::app::wiring::DOCUMENTS;

mod catalogue;
pub mod chart;
mod form_editor;
mod imports;
mod keys;
mod pages;
mod payments;
mod positions;

use lambda_http::http::{header, Method, StatusCode};
use lambda_http::{Body, Request, Response};
use shared::domain::access::Role;
use shared::domain::{EcFiscalCode, FieldErrors, Lang};
use shared::http::ApiError;
use shared::service::operators;
use shared::web::{self, Ctx};
use shared::App;

pub use pages::Console;

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    let ctx = Ctx::new(app, &req);
    let r = route(app, &ctx, &req).await;
    web::respond_page(app, &ctx, r)
}

/// The EC a page is about, as the console shows it.
#[derive(Debug, Clone)]
pub struct EcView {
    pub code: String,
    pub name: String,
    pub role: Role,
}

/// Who is asking and for which EC: the signed-in operator with the role
/// they hold for the path's EC.
pub struct Caller {
    pub operator: String,
    pub ecs: Vec<EcView>,
    pub ec: EcFiscalCode,
    pub role: Role,
}

impl Caller {
    pub fn can(&self, needs: Role) -> bool {
        self.role.allows(needs)
    }

    /// Refuses what the role does not allow.
    pub fn require(&self, needs: Role) -> Result<(), ApiError> {
        if self.can(needs) {
            Ok(())
        } else {
            Err(operators::AccessError::Role {
                has: self.role,
                needs,
            }
            .into())
        }
    }
}

/// The signed-in operator and their ECs; `None`: not signed in.
async fn operator_of(
    app: &App,
    req: &Request,
) -> Result<Option<(String, shared::domain::FiscalCode, Vec<EcView>)>, ApiError> {
    let Some(session) = web::current_session(app, req).await? else {
        return Ok(None);
    };
    let grants = operators::grants_of(app, &session.fiscal_code).await?;
    let ecs = grants
        .iter()
        .filter_map(|g| {
            app.entities.get(&g.ec).map(|e| EcView {
                code: g.ec.to_string(),
                name: e.name.clone(),
                role: g.role,
            })
        })
        .collect();
    let name = match (&session.given_name, &session.family_name) {
        (Some(g), Some(f)) => format!("{g} {f}"),
        _ => session.fiscal_code.to_string(),
    };
    Ok(Some((name, session.fiscal_code, ecs)))
}

fn login_redirect(app: &App, ctx: &Ctx, path: &str) -> Response<Body> {
    let back: String = form_urlencoded::byte_serialize(path.as_bytes()).collect();
    web::see_other(app, ctx, &format!("/accesso?torna={back}"), &[])
}

async fn route(app: &App, ctx: &Ctx, req: &Request) -> Result<Response<Body>, ApiError> {
    let path = req.uri().path().trim_end_matches('/').to_owned();
    let segments: Vec<String> = path
        .trim_start_matches('/')
        .split('/')
        .skip(1)
        .map(str::to_owned)
        .collect();
    let Some((operator, _cf, ecs)) = operator_of(app, req).await? else {
        if req.method() == Method::GET {
            return Ok(login_redirect(app, ctx, &path));
        }
        return Err(ApiError::Unauthorized);
    };
    if ecs.is_empty() {
        return Ok(pages::no_access(app, ctx, &operator));
    }
    let Some(ec_code) = segments.first() else {
        // The start: straight to the only EC, else the choice.
        if let [only] = ecs.as_slice() {
            return Ok(web::see_other(
                app,
                ctx,
                &format!("/backoffice/{}/posizioni", only.code),
                &[],
            ));
        }
        return pages::choose_ec(app, ctx, &operator, &ecs);
    };
    let ec = EcFiscalCode::parse(ec_code)
        .map_err(|_| ApiError::NotFound("ente creditore non trovato".into()))?;
    let Some(role) = ecs.iter().find(|e| e.code == ec.as_str()).map(|e| e.role) else {
        tracing::warn!(ec = %ec, "console: operator without a grant for this EC");
        return Err(operators::AccessError::NoGrant.into());
    };
    let caller = Caller {
        operator,
        ecs,
        ec,
        role,
    };
    let rest: Vec<&str> = segments[1..].iter().map(String::as_str).collect();
    let get = req.method() == Method::GET || req.method() == Method::HEAD;
    let post = req.method() == Method::POST;
    match rest.as_slice() {
        [] if get => Ok(web::see_other(
            app,
            ctx,
            &format!("/backoffice/{}/posizioni", caller.ec),
            &[],
        )),
        ["posizioni"] if get => positions::search(app, ctx, req, &caller).await,
        ["posizioni", iupd] if get => positions::detail(app, ctx, req, &caller, iupd).await,
        ["posizioni", iupd, "modifica"] if get => {
            positions::edit_form(app, ctx, &caller, iupd).await
        }
        ["posizioni", iupd, "modifica"] if post => {
            positions::edit(app, ctx, req, &caller, iupd).await
        }
        ["posizioni", iupd, "annulla"] if post => {
            positions::cancel(app, ctx, req, &caller, iupd).await
        }
        ["posizioni", iupd, "ricevute", file] if get => {
            positions::receipt(app, &caller, iupd, file).await
        }
        ["importazioni"] if get => imports::list(app, ctx, &caller, None).await,
        ["importazioni"] if post => imports::upload(app, ctx, req, &caller).await,
        ["importazioni", id] if get => imports::show(app, ctx, req, &caller, id).await,
        ["importazioni", id, "rapporto"] if get => imports::report(app, &caller, id).await,
        ["pagamenti"] if get => payments::page(app, ctx, req, &caller).await,
        ["pagamenti", "esporta"] if get => payments::export(app, req, &caller).await,
        ["riconciliazione"] if post => payments::reconcile(app, ctx, req, &caller).await,
        ["catalogo"] if get => catalogue::list(app, ctx, req, &caller).await,
        ["catalogo", code] if get => catalogue::edit_form(app, ctx, &caller, code).await,
        ["catalogo", code] if post => catalogue::save(app, ctx, req, &caller, code).await,
        ["chiavi"] if get => keys::page(app, ctx, &caller, keys::Shown::default()).await,
        ["chiavi"] if post => keys::act(app, ctx, req, &caller).await,
        _ if get || post => Err(ApiError::NotFound("pagina non trovata".into())),
        _ => Err(ApiError::MethodNotAllowed),
    }
}

/// Italian first, English second: the text of the page's language.
pub fn tr(lang: Lang, it: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::It => it,
        Lang::En => en,
    }
}

/// A form's errors by field, for the page.
pub fn error_of(errors: &FieldErrors, field: &str) -> Option<String> {
    errors
        .iter()
        .find(|e| e.field == field)
        .map(|e| e.message.clone())
}

/// A download.
pub fn attachment(content_type: &str, file_name: &str, bytes: Vec<u8>) -> Response<Body> {
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, content_type)
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file_name}\""),
        )
        .header(header::CACHE_CONTROL, "no-store")
        .header("x-content-type-options", "nosniff")
        .body(Body::Binary(bytes))
        .expect("valid response")
}
