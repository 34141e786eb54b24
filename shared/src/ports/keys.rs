//! Access to the back office: operator API keys (each bound to one EC, kept
//! only as a digest) and the console's operators with their grants.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::StoreError;
use crate::domain::access::Operator;
use crate::domain::{EcFiscalCode, FiscalCode};

/// An operator key as stored: never the key itself, only its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OperatorKey {
    /// Public: the part of the key before the dot, and how the key is revoked.
    pub key_id: String,
    pub ec: EcFiscalCode,
    /// SHA-256 of the whole key, lower-case hex.
    pub digest: String,
    pub created_at: DateTime<Utc>,
    /// A label the admin gave (who or what uses the key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

#[async_trait]
pub trait KeyStore: Send + Sync {
    /// Stores a new key unless the EC already has `max_active` keys
    /// ([`StoreError::LimitReached`], nothing written).
    async fn add_key(&self, key: &OperatorKey, max_active: u64) -> Result<(), StoreError>;

    /// The key with this id (strongly consistent: a revoked key is gone at once).
    async fn key(&self, key_id: &str) -> Result<Option<OperatorKey>, StoreError>;

    /// The EC's keys, oldest first.
    async fn keys(&self, ec: &EcFiscalCode) -> Result<Vec<OperatorKey>, StoreError>;

    /// Deletes a key of the EC; false when it had no such key.
    async fn revoke_key(&self, ec: &EcFiscalCode, key_id: &str) -> Result<bool, StoreError>;

    /// Creates or replaces an operator's grants.
    async fn put_operator(&self, operator: &Operator) -> Result<(), StoreError>;

    /// The operator with this fiscal code (strongly consistent: a revoked grant
    /// is gone at once).
    async fn operator(&self, fiscal_code: &FiscalCode) -> Result<Option<Operator>, StoreError>;

    /// Every operator, by fiscal code.
    async fn operators(&self) -> Result<Vec<Operator>, StoreError>;

    /// Removes an operator; false when there was none.
    async fn remove_operator(&self, fiscal_code: &FiscalCode) -> Result<bool, StoreError>;
}
