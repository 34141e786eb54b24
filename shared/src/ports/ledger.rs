//! The EC's payments by time of payment: what the payments export reads.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{ReceiptRecord, StoreError};
use crate::domain::EcFiscalCode;

/// One page of payments, and where the next begins.
#[derive(Debug, Clone, Default)]
pub struct LedgerPage {
    pub records: Vec<ReceiptRecord>,
    /// The [`ReceiptRecord::ledger_key`] of the last record, when more may follow.
    pub next: Option<String>,
}

#[async_trait]
pub trait Ledger: Send + Sync {
    /// The receipts delivered to `ec` with a positive outcome, paid in
    /// `[from, to)`, by time of payment; at most `limit`, after `after` (a
    /// [`ReceiptRecord::ledger_key`]).
    async fn paid_between(
        &self,
        ec: &EcFiscalCode,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<LedgerPage, StoreError>;
}
