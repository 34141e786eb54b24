//! The service catalogue.

use async_trait::async_trait;

use super::StoreError;
use crate::domain::catalog::Service;
use crate::domain::text::ServiceCode;
use crate::domain::EcFiscalCode;

/// The service catalogue, as the operator API manages it.
#[async_trait]
pub trait CatalogStore: Send + Sync {
    /// Every service of one EC, by code.
    async fn services(&self, ec: &EcFiscalCode) -> Result<Vec<Service>, StoreError>;

    async fn service(
        &self,
        ec: &EcFiscalCode,
        code: &ServiceCode,
    ) -> Result<Option<Service>, StoreError>;

    /// Creates or replaces a service; `true` when it was new.
    async fn put_service(&self, service: &Service) -> Result<bool, StoreError>;

    /// `false` when there was no such service.
    async fn delete_service(
        &self,
        ec: &EcFiscalCode,
        code: &ServiceCode,
    ) -> Result<bool, StoreError>;
}
