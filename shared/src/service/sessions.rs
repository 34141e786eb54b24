//! Sessions of the reserved area. The browser holds only an opaque random
//! token in an HttpOnly cookie; the store keeps the session under the token's
//! SHA-256, with an expiry (DynamoDB TTL, and checked on every read).

use chrono::{DateTime, Duration, Utc};
use lambda_http::Request;
use sha2::{Digest, Sha256};

use crate::domain::FiscalCode;
use crate::http::ApiError;
use crate::ports::Session;
use crate::web::{cookie_name, cookies, set_cookie};
use crate::App;

/// The cookie's base name (`__Host-session` when cookies are secure).
pub const COOKIE: &str = "session";

/// How long a session lasts from login.
pub const LIFETIME: Duration = Duration::hours(1);

/// A random secret: 32 bytes, hex.
pub fn secret() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("system randomness");
    hex(&bytes)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The store key of a secret: its SHA-256, so that reading the table does not
/// give anyone a usable session or code.
pub fn key(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// Whether a cookie value looks like one of our secrets.
fn well_formed(secret: &str) -> bool {
    secret.len() == 64 && secret.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Who signed in, however they did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    pub fiscal_code: FiscalCode,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    /// `spid`, `cie` or `cns`.
    pub method: String,
}

/// Starts a session; returns the `Set-Cookie` value.
pub async fn start(app: &App, who: SignedIn) -> Result<String, ApiError> {
    let now = app.clock.now();
    let token = secret();
    let session = Session {
        fiscal_code: who.fiscal_code,
        given_name: who.given_name,
        family_name: who.family_name,
        method: who.method,
        created_at: now,
        expires_at: now + LIFETIME,
    };
    app.sessions.put_session(&key(&token), &session).await?;
    tracing::info!(method = %session.method, "session started");
    Ok(set_cookie(
        app,
        COOKIE,
        &token,
        Some(LIFETIME.num_seconds() as u64),
    ))
}

fn token(app: &App, req: &Request) -> Option<String> {
    cookies(req)
        .get(&cookie_name(app, COOKIE))
        .filter(|t| well_formed(t))
        .cloned()
}

/// The session of the request, if it has a valid one.
pub async fn current(app: &App, req: &Request) -> Result<Option<Session>, ApiError> {
    let Some(t) = token(app, req) else {
        return Ok(None);
    };
    Ok(app.sessions.session(&key(&t), app.clock.now()).await?)
}

/// The session of the request, or 401.
pub async fn require(app: &App, req: &Request) -> Result<Session, ApiError> {
    current(app, req).await?.ok_or(ApiError::Unauthorized)
}

/// Ends the session server-side; returns the `Set-Cookie` that clears it.
pub async fn end(app: &App, req: &Request) -> Result<String, ApiError> {
    if let Some(t) = token(app, req) {
        app.sessions.delete_session(&key(&t)).await?;
        tracing::info!("session ended");
    }
    Ok(set_cookie(app, COOKIE, "", Some(0)))
}

/// The display name of a session.
pub fn display_name(s: &Session) -> String {
    match (&s.given_name, &s.family_name) {
        (Some(g), Some(f)) => format!("{g} {f}"),
        (Some(n), None) | (None, Some(n)) => n.clone(),
        (None, None) => String::new(),
    }
}

/// Whether a session is still valid at `now` (the store checks it too).
pub fn valid_at(s: &Session, now: DateTime<Utc>) -> bool {
    s.expires_at > now
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_and_keys_hide_them() {
        let a = secret();
        let b = secret();
        assert_ne!(a, b);
        assert!(well_formed(&a));
        assert_eq!(key(&a).len(), 64);
        assert_ne!(key(&a), a);
        assert_eq!(key(&a), key(&a));
        assert!(!well_formed("../etc"));
        assert!(!well_formed(&"g".repeat(64)));
    }
}
