//! Bulk imports: their records (progress, counts, first errors).

use async_trait::async_trait;

use super::{StoreError, Versioned};
use crate::domain::import::Import;
use crate::domain::EcFiscalCode;

#[async_trait]
pub trait ImportStore: Send + Sync {
    /// Stores a new import (its id is new: a clash is [`StoreError::VersionConflict`]).
    async fn create_import(&self, import: &Import) -> Result<(), StoreError>;

    async fn get_import(
        &self,
        ec: &EcFiscalCode,
        import_id: &str,
    ) -> Result<Option<Versioned<Import>>, StoreError>;

    /// Replaces an import still at `expected_version` ([`StoreError::VersionConflict`] otherwise).
    async fn save_import(&self, import: &Import, expected_version: u64) -> Result<(), StoreError>;

    /// The EC's imports, newest first, at most `limit`.
    async fn imports(&self, ec: &EcFiscalCode, limit: usize) -> Result<Vec<Import>, StoreError>;
}
