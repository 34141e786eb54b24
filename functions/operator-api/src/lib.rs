//! Operator API: the EC's systems push, read and cancel debt positions.
//!
//! - `POST   /api/v1/organizations/{ecFiscalCode}/debt-positions`
//! - `GET    /api/v1/organizations/{ecFiscalCode}/debt-positions/{iupd}`
//! - `PUT    /api/v1/organizations/{ecFiscalCode}/debt-positions/{iupd}`: replaces an
//!   unpaid position, keeping its notice numbers (409 when an option is paid or being paid)
//! - `DELETE /api/v1/organizations/{ecFiscalCode}/debt-positions/{iupd}`
//!
//! - `GET    /api/v1/organizations/{ecFiscalCode}/services`: the EC's service catalogue
//! - `GET    /api/v1/organizations/{ecFiscalCode}/services/{code}`
//! - `PUT    /api/v1/organizations/{ecFiscalCode}/services/{code}`: creates or replaces a service
//!   (201 / 200), checked as the catalogue file is
//! - `DELETE /api/v1/organizations/{ecFiscalCode}/services/{code}` (204)
//!
//! - `POST|GET /api/v1/organizations/{ecFiscalCode}/imports[/{importId}]`: bulk imports (see `imports`)
//! - `GET    /api/v1/organizations/{ecFiscalCode}/payments`: the payments export (see `payments`)
//! - reporting flows and reconciliation (see `reporting`)
//!
//! Every call needs the `x-api-key` header: a key of the path's EC (issued by
//! the admin API), or locally the development key.

/// The optional adapters this function wires (see `shared::app::wiring`).
pub const WIRING: u32 = shared::app::wiring::DOCUMENTS;

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use shared::domain::catalog::Service;
use shared::domain::text::{Iupd, ServiceCode};
use shared::domain::{EcFiscalCode, FieldErrors};
use shared::http::{
    json_body, json_response, optional_param, path_param, required_param, respond, ApiError,
};
use shared::service::{keys, positions};
use shared::App;

mod imports;
mod payments;
mod reporting;

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    respond(route(app, &req).await)
}

async fn route(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    authenticate(app, req).await?;
    // By the path's exact segments: `/api/v1/organizations/{ec}/<collection>[/{id}]`
    // (an iupd may well contain "services").
    let segments: Vec<&str> = req.uri().path().trim_matches('/').split('/').collect();
    match segments.get(4).copied() {
        Some("services") => return services(app, req).await,
        Some("imports") if segments.len() <= 6 => {
            let ec = ec_of(req)?;
            positions::entity(&app.entities, &ec)?;
            return imports::route(app, req, &ec).await;
        }
        Some("reporting-flows" | "reconciliation") => {
            let ec = ec_of(req)?;
            positions::entity(&app.entities, &ec)?;
            return reporting::route(app, req, &ec, &segments[4..]).await;
        }
        Some("payments") if segments.len() == 5 => {
            let ec = ec_of(req)?;
            positions::entity(&app.entities, &ec)?;
            return match *req.method() {
                Method::GET => payments::get(app, req, &ec).await,
                _ => Err(ApiError::MethodNotAllowed),
            };
        }
        Some("debt-positions") => {}
        _ => return Err(ApiError::NotFound("risorsa non trovata".into())),
    }
    let mut errors = FieldErrors::default();
    let ec = required_param(
        &mut errors,
        "ecFiscalCode",
        path_param(req, "ecFiscalCode"),
        EcFiscalCode::parse,
    );
    let iupd = optional_param(&mut errors, "iupd", path_param(req, "iupd"), Iupd::parse);
    let (Some(ec), Some(iupd)) = (ec, iupd) else {
        return Err(ApiError::InvalidParams(errors));
    };
    positions::entity(&app.entities, &ec)?;
    let today = app.clock.today();
    match (req.method(), iupd) {
        (&Method::POST, None) => {
            let doc = json_body(req)?;
            let draft = positions::parse_draft(&doc).map_err(ApiError::Validation)?;
            let p = positions::create(app, &ec, draft).await?;
            Ok(json_response(
                StatusCode::CREATED,
                &positions::view(&p, today),
            ))
        }
        (&Method::GET, Some(iupd)) => {
            let p = positions::get(app, &ec, &iupd).await?;
            let mut v = positions::view(&p.value, today);
            // Each paid option's receipt: anomaly, PDF and mail, as the worker left them.
            for (notice, r) in positions::paying_receipts(app, &p.value).await? {
                let options = v["paymentOptions"].as_array_mut().expect("an array");
                if let Some(o) = options
                    .iter_mut()
                    .find(|o| o["noticeNumber"] == notice.as_str())
                {
                    o["payment"]["receipt"] = positions::receipt_view(&r);
                }
            }
            // Paid options a reporting flow has reported (the EC's transfer, index 1).
            for (iuv, rep) in
                shared::service::reconciliation::reported_of_position(app, &p.value).await?
            {
                let options = v["paymentOptions"].as_array_mut().expect("an array");
                if let Some(o) = options.iter_mut().find(|o| o["iuv"] == iuv.as_str()) {
                    o["status"] = serde_json::json!("reported");
                    o["reporting"] = serde_json::json!({"flowId": rep.flow_id, "pspId": rep.psp_id,
                        "revision": rep.revision, "regulationDate": rep.regulation_date});
                }
            }
            Ok(json_response(StatusCode::OK, &v))
        }
        (&Method::PUT, Some(iupd)) => {
            let doc = json_body(req)?;
            let draft = positions::parse_draft(&doc).map_err(ApiError::Validation)?;
            let p = positions::update(app, &ec, &iupd, draft).await?;
            Ok(json_response(StatusCode::OK, &positions::view(&p, today)))
        }
        (&Method::DELETE, Some(iupd)) => {
            let p = positions::cancel(app, &ec, &iupd).await?;
            Ok(json_response(StatusCode::OK, &positions::view(&p, today)))
        }
        _ => Err(ApiError::MethodNotAllowed),
    }
}

/// The path's EC, or 400 naming it.
fn ec_of(req: &Request) -> Result<EcFiscalCode, ApiError> {
    let mut errors = FieldErrors::default();
    required_param(
        &mut errors,
        "ecFiscalCode",
        path_param(req, "ecFiscalCode"),
        EcFiscalCode::parse,
    )
    .ok_or(ApiError::InvalidParams(errors))
}

/// The caller's key must be one of the path's EC (401 without a valid key,
/// 403 with another EC's).
async fn authenticate(app: &App, req: &Request) -> Result<(), ApiError> {
    let given = req
        .headers()
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let ec = path_param(req, "ecFiscalCode").and_then(|e| EcFiscalCode::parse(&e).ok());
    match ec {
        Some(ec) => Ok(keys::authenticate(app, given, &ec).await?),
        // A malformed EC is named by the route, once the caller is known to hold a key.
        None if given.trim().is_empty() => Err(ApiError::Unauthorized),
        None => Ok(()),
    }
}

async fn services(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let mut errors = FieldErrors::default();
    let ec = required_param(
        &mut errors,
        "ecFiscalCode",
        path_param(req, "ecFiscalCode"),
        EcFiscalCode::parse,
    );
    let code = optional_param(
        &mut errors,
        "code",
        path_param(req, "code"),
        ServiceCode::parse,
    );
    let (Some(ec), Some(code)) = (ec, code) else {
        return Err(ApiError::InvalidParams(errors));
    };
    positions::entity(&app.entities, &ec)?;
    let view = |s: &Service| serde_json::to_value(s).map_err(ApiError::internal);
    let not_found = || ApiError::NotFound("servizio non presente nel catalogo".into());
    match (req.method(), code) {
        (&Method::GET, None) => {
            let list = app.catalog.services(&ec).await?;
            let list = list.iter().map(view).collect::<Result<Vec<_>, _>>()?;
            Ok(json_response(
                StatusCode::OK,
                &serde_json::Value::Array(list),
            ))
        }
        (&Method::GET, Some(code)) => {
            let s = app
                .catalog
                .service(&ec, &code)
                .await?
                .ok_or_else(not_found)?;
            Ok(json_response(StatusCode::OK, &view(&s)?))
        }
        (&Method::PUT, Some(code)) => {
            let (service, created) =
                shared::service::catalog::save(app, &ec, &code, json_body(req)?).await?;
            Ok(json_response(
                if created {
                    StatusCode::CREATED
                } else {
                    StatusCode::OK
                },
                &view(&service)?,
            ))
        }
        (&Method::DELETE, Some(code)) => {
            if !app.catalog.delete_service(&ec, &code).await? {
                return Err(not_found());
            }
            tracing::info!(ec = %ec, service = %code, "service deleted");
            Ok(lambda_http::http::Response::builder()
                .status(StatusCode::NO_CONTENT)
                .body(Body::Empty)
                .expect("valid response"))
        }
        _ => Err(ApiError::MethodNotAllowed),
    }
}
