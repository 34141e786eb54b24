//! Admin API: the operator keys of each EC. Served on its own API (see the
//! template), never on the citizens' one; every call needs the admin key in
//! `x-api-key`. An operator key is not an admin key: 401.
//!
//! - `POST   /api/v1/admin/organizations/{ecFiscalCode}/keys`: issues a key
//!   (201; the key is in this answer only), body optional `{"label": "…"}`
//! - `GET    /api/v1/admin/organizations/{ecFiscalCode}/keys`: the EC's keys, without secrets
//! - `DELETE /api/v1/admin/organizations/{ecFiscalCode}/keys/{keyId}`: revokes a key at once (204)
//!
//! The console's operators (see `shared::service::operators`):
//! - `GET    /api/v1/admin/operators`: every operator with their grants
//! - `GET    /api/v1/admin/operators/{fiscalCode}`
//! - `PUT    /api/v1/admin/operators/{fiscalCode}`: sets the grants,
//!   `{"grants": [{"ecFiscalCode": "…", "role": "read-only|operator|admin"}]}`
//!   (an empty list removes the operator: 204)
//! - `DELETE /api/v1/admin/operators/{fiscalCode}` (204)

/// The optional adapters this function wires (see `shared::app::wiring`).
pub const WIRING: u32 = 0;

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};
use shared::domain::access::{Grant, Operator, Role};
use shared::domain::FiscalCode;
use shared::domain::{EcFiscalCode, FieldErrors};
use shared::http::{
    body_bytes, check_api_key, json_body, json_response, optional_param, path_param,
    required_param, respond, ApiError,
};
use shared::ports::OperatorKey;
use shared::service::{keys, operators};
use shared::App;

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    respond(route(app, &req).await)
}

fn view(k: &OperatorKey) -> Value {
    let mut v = json!({"keyId": k.key_id, "ecFiscalCode": k.ec, "createdAt": k.created_at});
    if let Some(l) = &k.label {
        v["label"] = json!(l);
    }
    v
}

async fn route(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    check_api_key(app.settings.admin_api_key.as_ref(), req)?;
    if req
        .uri()
        .path()
        .trim_end_matches('/')
        .starts_with("/api/v1/admin/operators")
    {
        return operators(app, req).await;
    }
    let mut errors = FieldErrors::default();
    let ec = required_param(
        &mut errors,
        "ecFiscalCode",
        path_param(req, "ecFiscalCode"),
        EcFiscalCode::parse,
    );
    let Some(ec) = ec else {
        return Err(ApiError::InvalidParams(errors));
    };
    match (req.method(), path_param(req, "keyId")) {
        (&Method::POST, None) => {
            let label = if body_bytes(req).is_empty() {
                None
            } else {
                let doc = json_body(req)?;
                let Some(obj) = doc.as_object() else {
                    return Err(ApiError::Validation(FieldErrors::single(
                        "",
                        "deve essere un oggetto JSON",
                    )));
                };
                if let Some(k) = obj.keys().find(|k| *k != "label") {
                    return Err(ApiError::Validation(FieldErrors::single(
                        k.clone(),
                        "campo non previsto",
                    )));
                }
                match doc.get("label") {
                    None | Some(Value::Null) => None,
                    Some(Value::String(s)) => Some(s.clone()),
                    Some(_) => {
                        return Err(ApiError::Validation(FieldErrors::single(
                            "label",
                            "deve essere un testo",
                        )))
                    }
                }
            };
            let issued = keys::issue(app, &ec, label.as_deref()).await?;
            let mut v = view(&issued.record);
            v["key"] = json!(issued.key);
            Ok(json_response(StatusCode::CREATED, &v))
        }
        (&Method::GET, None) => {
            let list = keys::list(app, &ec).await?;
            Ok(json_response(
                StatusCode::OK,
                &Value::Array(list.iter().map(view).collect()),
            ))
        }
        (&Method::DELETE, Some(key_id)) => {
            keys::revoke(app, &ec, &key_id).await?;
            Ok(Response::builder()
                .status(StatusCode::NO_CONTENT)
                .body(Body::Empty)
                .expect("valid response"))
        }
        _ => Err(ApiError::MethodNotAllowed),
    }
}

fn operator_view(o: &Operator) -> Value {
    json!({
        "fiscalCode": o.fiscal_code,
        "grants": o.grants.iter().map(|g| json!({"ecFiscalCode": g.ec, "role": g.role})).collect::<Vec<_>>(),
        "updatedAt": o.updated_at,
    })
}

/// Reads `{"grants": [{"ecFiscalCode", "role"}]}`, naming every wrong field.
fn parse_grants(doc: &Value) -> Result<Vec<Grant>, FieldErrors> {
    let mut errors = FieldErrors::default();
    let Some(obj) = doc.as_object() else {
        return Err(FieldErrors::single("", "deve essere un oggetto JSON"));
    };
    if let Some(k) = obj.keys().find(|k| *k != "grants") {
        return Err(FieldErrors::single(k.clone(), "campo non previsto"));
    }
    let Some(list) = doc.get("grants").and_then(Value::as_array) else {
        return Err(FieldErrors::single("grants", "deve essere un elenco"));
    };
    let mut grants = vec![];
    for (i, g) in list.iter().enumerate() {
        let at = |f: &str| format!("grants[{i}].{f}");
        let Some(o) = g.as_object() else {
            errors.push(format!("grants[{i}]"), "deve essere un oggetto");
            continue;
        };
        if let Some(k) = o.keys().find(|k| *k != "ecFiscalCode" && *k != "role") {
            errors.push(at(k), "campo non previsto");
        }
        let ec = match g.get("ecFiscalCode").and_then(Value::as_str) {
            Some(s) => match EcFiscalCode::parse(s) {
                Ok(ec) => Some(ec),
                Err(_) => {
                    errors.push(at("ecFiscalCode"), "codice fiscale dell'ente non valido");
                    None
                }
            },
            None => {
                errors.push(at("ecFiscalCode"), "obbligatorio");
                None
            }
        };
        let role = match g.get("role").and_then(Value::as_str).and_then(Role::parse) {
            Some(r) => Some(r),
            None => {
                errors.push(at("role"), "deve essere read-only, operator o admin");
                None
            }
        };
        if let (Some(ec), Some(role)) = (ec, role) {
            grants.push(Grant { ec, role });
        }
    }
    if errors.is_empty() {
        Ok(grants)
    } else {
        Err(errors)
    }
}

async fn operators(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let mut errors = FieldErrors::default();
    let cf = optional_param(
        &mut errors,
        "fiscalCode",
        path_param(req, "fiscalCode"),
        FiscalCode::parse,
    );
    let Some(cf) = cf else {
        return Err(ApiError::InvalidParams(errors));
    };
    let no_content = || {
        Response::builder()
            .status(StatusCode::NO_CONTENT)
            .body(Body::Empty)
            .expect("valid response")
    };
    match (req.method(), cf) {
        (&Method::GET, None) => {
            let list = operators::list(app).await?;
            Ok(json_response(
                StatusCode::OK,
                &Value::Array(list.iter().map(operator_view).collect()),
            ))
        }
        (&Method::GET, Some(cf)) => Ok(json_response(
            StatusCode::OK,
            &operator_view(&operators::get(app, &cf).await?),
        )),
        (&Method::PUT, Some(cf)) => {
            let grants = parse_grants(&json_body(req)?).map_err(ApiError::Validation)?;
            match operators::set(app, &cf, grants).await? {
                Some(o) => Ok(json_response(StatusCode::OK, &operator_view(&o))),
                None => Ok(no_content()),
            }
        }
        (&Method::DELETE, Some(cf)) => {
            operators::remove(app, &cf).await?;
            Ok(no_content())
        }
        _ => Err(ApiError::MethodNotAllowed),
    }
}
