//! The session cookie: the browser's side of `service::sessions`.

use lambda_http::Request;

use super::{cookie_name, cookies, set_cookie};
use crate::http::ApiError;
use crate::ports::Session;
use crate::service::sessions::{self, COOKIE, LIFETIME};
use crate::App;

/// The session token the request carries, if any.
pub fn session_token(app: &App, req: &Request) -> Option<String> {
    cookies(req).get(&cookie_name(app, COOKIE)).cloned()
}

/// The `Set-Cookie` that gives the browser a session token.
pub fn session_cookie(app: &App, token: &str) -> String {
    set_cookie(app, COOKIE, token, Some(LIFETIME.num_seconds() as u64))
}

/// The session of the request, if it has a valid one.
pub async fn current_session(app: &App, req: &Request) -> Result<Option<Session>, ApiError> {
    Ok(sessions::current(app, session_token(app, req).as_deref()).await?)
}

/// The session of the request, or 401.
pub async fn require_session(app: &App, req: &Request) -> Result<Session, ApiError> {
    current_session(app, req)
        .await?
        .ok_or(ApiError::Unauthorized)
}

/// Ends the session server-side; returns the `Set-Cookie` that clears it.
pub async fn end_session(app: &App, req: &Request) -> Result<String, ApiError> {
    sessions::end(app, session_token(app, req).as_deref()).await?;
    Ok(set_cookie(app, COOKIE, "", Some(0)))
}
