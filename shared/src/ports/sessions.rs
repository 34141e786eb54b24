//! Sessions of the reserved area and short-lived single-use records.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::StoreError;
use crate::domain::FiscalCode;

/// A signed-in citizen, kept server-side behind an opaque cookie.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    pub fiscal_code: FiscalCode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    /// `spid`, `cie` or `cns`.
    pub method: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// The ID token of the login, for the provider's logout (`id_token_hint`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    /// The last request seen with this session (for the idle timeout).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen_at: Option<DateTime<Utc>>,
}

/// Sessions, short-lived single-use records (login state, CNS hand-off) and
/// other records behind a browser's opaque token (the cart).
/// Keys are hashes of the secrets the browser holds, never the secrets.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Stores a single-use record until `expires_at`.
    async fn put_once(
        &self,
        key: &str,
        doc: &serde_json::Value,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Reads and deletes a single-use record atomically: only one caller gets
    /// it, and never after it expired.
    async fn take_once(
        &self,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<serde_json::Value>, StoreError>;

    async fn put_session(&self, key: &str, session: &Session) -> Result<(), StoreError>;

    /// The session, if it exists and has not expired at `now`.
    async fn session(&self, key: &str, now: DateTime<Utc>) -> Result<Option<Session>, StoreError>;

    async fn delete_session(&self, key: &str) -> Result<(), StoreError>;

    /// Stores (or replaces) a short-lived record kept server-side behind a
    /// browser's opaque token (the cart), until `expires_at`.
    async fn put_doc(
        &self,
        key: &str,
        doc: &serde_json::Value,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// The record, if it exists and has not expired at `now`.
    async fn doc(
        &self,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<serde_json::Value>, StoreError>;
}
