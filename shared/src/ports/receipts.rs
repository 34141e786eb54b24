//! Receipts as stored, and the work each still owes.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::StoreError;
use crate::domain::receipt::{Anomaly, Receipt, Work};
use crate::domain::{EcFiscalCode, FiscalCode, Position};

/// A receipt as stored: what the Nodo sent, to whom, and what it needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceiptRecord {
    /// The EC the receipt was delivered to (`idPA`); not always the notice's owner.
    pub ec: EcFiscalCode,
    pub receipt: Receipt,
    /// The `receipt` element exactly as received.
    pub xml: String,
    pub received_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anomaly: Option<Anomaly>,
    /// Work still owed for this receipt, done by the receipt worker.
    #[serde(default)]
    pub owed: Vec<Work>,
}

impl ReceiptRecord {
    pub fn owes(&self, work: Work) -> bool {
        self.owed.contains(&work)
    }
}

#[async_trait]
pub trait ReceiptStore: Send + Sync {
    /// Stores a receipt, once per (receiptId, EC), and in the same transaction
    /// replaces the position it pays when `pays` is given. Fails with
    /// [`StoreError::DuplicateReceipt`] when the receipt is already stored, and
    /// with [`StoreError::VersionConflict`] when the position changed meanwhile;
    /// nothing is written then.
    async fn store_receipt(
        &self,
        record: &ReceiptRecord,
        pays: Option<(&Position, u64)>,
    ) -> Result<(), StoreError>;

    async fn get_receipt(
        &self,
        ec: &EcFiscalCode,
        receipt_id: &str,
    ) -> Result<Option<ReceiptRecord>, StoreError>;

    /// Every receipt stored for a notice number, for any EC.
    async fn receipts_for_notice(
        &self,
        notice_number: &str,
    ) -> Result<Vec<ReceiptRecord>, StoreError>;

    /// Receipts whose payer (not debtor) has this fiscal code.
    async fn receipts_for_payer(
        &self,
        payer: &FiscalCode,
    ) -> Result<Vec<ReceiptRecord>, StoreError>;

    /// Marks one piece of owed work (the PDF) done.
    async fn complete_owed(
        &self,
        ec: &EcFiscalCode,
        receipt_id: &str,
        work: Work,
    ) -> Result<(), StoreError>;

    /// Claims the mail of a receipt for `lease_secs`, so that only one worker sends
    /// it; `false` when it is not owed or another worker holds the lease.
    async fn claim_mail(
        &self,
        ec: &EcFiscalCode,
        receipt_id: &str,
        now: DateTime<Utc>,
        lease_secs: i64,
    ) -> Result<bool, StoreError>;

    /// Records the mail as sent: no longer owed, never sent again.
    async fn complete_mail(
        &self,
        ec: &EcFiscalCode,
        receipt_id: &str,
        message_id: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Gives the lease back after a failed send, so the next attempt can retry at once.
    async fn release_mail(&self, ec: &EcFiscalCode, receipt_id: &str) -> Result<(), StoreError>;

    /// Receipts that still owe work (a sweep for the local stack and for recovery).
    async fn receipts_owing_work(&self) -> Result<Vec<ReceiptRecord>, StoreError>;
}
