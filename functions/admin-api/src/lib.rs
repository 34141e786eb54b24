//! Admin API: the operator keys of each EC. Served on its own API (see the
//! template), never on the citizens' one; every call needs the admin key in
//! `x-api-key`. An operator key is not an admin key: 401.
//!
//! - `POST   /api/v1/admin/organizations/{ecFiscalCode}/keys`: issues a key
//!   (201; the key is in this answer only), body optional `{"label": "…"}`
//! - `GET    /api/v1/admin/organizations/{ecFiscalCode}/keys`: the EC's keys, without secrets
//! - `DELETE /api/v1/admin/organizations/{ecFiscalCode}/keys/{keyId}`: revokes a key at once (204)

/// The optional adapters this function wires (see `shared::app::wiring`).
pub const WIRING: u32 = 0;

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};
use shared::domain::{EcFiscalCode, FieldErrors};
use shared::http::{
    body_bytes, check_api_key, json_body, json_response, path_param, required_param, respond,
    ApiError,
};
use shared::ports::OperatorKey;
use shared::service::keys;
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
