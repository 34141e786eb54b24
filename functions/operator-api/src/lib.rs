//! Operator API: the EC's systems push, read and cancel debt positions.
//!
//! - `POST   /api/v1/organizations/{ecFiscalCode}/debt-positions`
//! - `GET    /api/v1/organizations/{ecFiscalCode}/debt-positions/{iupd}`
//! - `DELETE /api/v1/organizations/{ecFiscalCode}/debt-positions/{iupd}`
//!
//! Every call needs the `x-api-key` header.

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use shared::domain::text::Iupd;
use shared::domain::{EcFiscalCode, FieldErrors};
use shared::http::{
    json_body, json_response, optional_param, path_param, required_param, respond, ApiError, ApiKey,
};
use shared::service::positions;
use shared::App;

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    respond(route(app, &req).await)
}

async fn route(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    ApiKey::check(app.settings.operator_api_key.as_ref(), req)?;
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
            Ok(json_response(
                StatusCode::OK,
                &positions::view(&p.value, today),
            ))
        }
        (&Method::DELETE, Some(iupd)) => {
            let p = positions::cancel(app, &ec, &iupd).await?;
            Ok(json_response(StatusCode::OK, &positions::view(&p, today)))
        }
        _ => Err(ApiError::MethodNotAllowed),
    }
}
