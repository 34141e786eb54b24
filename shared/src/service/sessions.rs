//! Sessions of the reserved area. The browser holds only an opaque random
//! token (in an HttpOnly cookie, set by the web edge); the store keeps the
//! session under the token's SHA-256, with an expiry (DynamoDB TTL, and checked
//! on every read). A session ends after [`LIFETIME`] from login, or after
//! [`IDLE`] without a request, whichever comes first.

use chrono::{DateTime, Duration, Utc};

use crate::domain::FiscalCode;
use crate::ports::{Session, StoreError};
use crate::secret::{self, key};
use crate::App;

/// The cookie's base name (`__Host-session` when cookies are secure).
pub const COOKIE: &str = "session";

/// How long a session lasts from login.
pub const LIFETIME: Duration = Duration::hours(1);

/// How long a session lasts without a request.
pub const IDLE: Duration = Duration::minutes(15);

/// How often the last request is written down (not on every request).
const TOUCH_AFTER: Duration = Duration::minutes(1);

/// Who signed in, however they did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    pub fiscal_code: FiscalCode,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    /// `spid`, `cie` or `cns`.
    pub method: String,
    /// The ID token (SPID/CIE), for the provider's logout.
    pub id_token: Option<String>,
}

/// Starts a session; returns the token the browser keeps.
pub async fn start(app: &App, who: SignedIn) -> Result<String, StoreError> {
    let now = app.clock.now();
    let token = secret::secret();
    let session = Session {
        fiscal_code: who.fiscal_code,
        given_name: who.given_name,
        family_name: who.family_name,
        method: who.method,
        id_token: who.id_token,
        created_at: now,
        expires_at: now + LIFETIME,
        last_seen_at: Some(now),
    };
    app.sessions.put_session(&key(&token), &session).await?;
    tracing::info!(method = %session.method, "session started");
    Ok(token)
}

/// The session a token stands for, if it is valid now: not past its lifetime,
/// nor idle for [`IDLE`] (then it is ended). A valid one is marked as seen.
pub async fn current(app: &App, token: Option<&str>) -> Result<Option<Session>, StoreError> {
    let Some(t) = token.filter(|t| secret::well_formed(t)) else {
        return Ok(None);
    };
    let now = app.clock.now();
    let Some(mut s) = app.sessions.session(&key(t), now).await? else {
        return Ok(None);
    };
    let last = s.last_seen_at.unwrap_or(s.created_at);
    if now - last >= IDLE {
        app.sessions.delete_session(&key(t)).await?;
        tracing::info!("session ended after inactivity");
        return Ok(None);
    }
    if now - last >= TOUCH_AFTER {
        s.last_seen_at = Some(now);
        if let Err(e) = app.sessions.put_session(&key(t), &s).await {
            tracing::warn!(error = %e, "session activity not recorded");
        }
    }
    Ok(Some(s))
}

/// Ends the session a token stands for, server-side.
pub async fn end(app: &App, token: Option<&str>) -> Result<(), StoreError> {
    if let Some(t) = token.filter(|t| secret::well_formed(t)) {
        app.sessions.delete_session(&key(t)).await?;
        tracing::info!("session ended");
    }
    Ok(())
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
