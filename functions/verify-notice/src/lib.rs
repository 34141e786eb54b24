//! Verify a notice as a citizen: `GET /api/v1/notices/{noticeNumber}?fiscalCode=CF`.

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use shared::domain::{FieldErrors, FiscalCode, NoticeNumber};
use shared::http::{json_response, path_param, query_param, required_param, respond, ApiError};
use shared::service::notices;
use shared::App;

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    respond(verify(app, &req).await)
}

async fn verify(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    if req.method() != Method::GET {
        return Err(ApiError::MethodNotAllowed);
    }
    let mut errors = FieldErrors::default();
    let notice = required_param(
        &mut errors,
        "noticeNumber",
        path_param(req, "noticeNumber"),
        NoticeNumber::parse_lenient,
    );
    let debtor = required_param(
        &mut errors,
        "fiscalCode",
        query_param(req, "fiscalCode"),
        FiscalCode::parse,
    );
    let (Some(notice), Some(debtor)) = (notice, debtor) else {
        return Err(ApiError::InvalidParams(errors));
    };
    let summary = notices::verify(app, &notice, &debtor).await?;
    Ok(json_response(
        StatusCode::OK,
        &serde_json::to_value(summary).map_err(|e| ApiError::Internal(e.to_string()))?,
    ))
}
