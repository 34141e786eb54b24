//! Receipts as stored, and the work each still owes.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::StoreError;
use crate::domain::receipt::{Anomaly, Receipt, Work};
use crate::domain::text::Iupd;
use crate::domain::{EcFiscalCode, FiscalCode, Position};

/// A receipt as stored: what the Nodo sent, to whom, and what it needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceiptRecord {
    /// The EC the receipt was delivered to (`idPA`); not always the notice's owner.
    pub ec: EcFiscalCode,
    pub receipt: Receipt,
    /// The `receipt` element exactly as received; empty when it was too large
    /// for a table item (see `xml_document`).
    pub xml: String,
    /// Where the `receipt` element is kept when it is too large for a table
    /// item (a digital stamp's `MBDAttachment` may be close to 1 MB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub xml_document: Option<String>,
    pub received_at: DateTime<Utc>,
    /// When the payment happened (see `intake::paid_at`); records stored
    /// before it was kept have `received_at` instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid_at: Option<DateTime<Utc>>,
    /// The position it paid (its EC's own), for the payments export.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iupd: Option<Iupd>,
    /// That position's service, for the console's payments per service
    /// (records stored before it was kept have none: the position says).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_code: Option<crate::domain::text::ServiceCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anomaly: Option<Anomaly>,
    /// Work still owed for this receipt, done by the receipt worker.
    #[serde(default)]
    pub owed: Vec<Work>,
    /// How the receipt departed from the schema, where it did not matter (see
    /// `Anomaly::SchemaDeviation`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deviations: Vec<String>,
    /// Where the mail stands (kept beside the receipt, not in its document).
    #[serde(default, skip_serializing_if = "MailDelivery::is_empty")]
    pub mail: MailDelivery,
}

impl ReceiptRecord {
    pub fn owes(&self, work: Work) -> bool {
        self.owed.contains(&work)
    }

    /// When the payment happened, as far as the record knows.
    pub fn paid_at(&self) -> DateTime<Utc> {
        self.paid_at.unwrap_or(self.received_at)
    }

    /// The key that orders an EC's payments: time of payment, then receipt id.
    pub fn ledger_key(&self) -> String {
        format!(
            "{}#{}",
            self.paid_at()
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            self.receipt.receipt_id
        )
    }
}

/// The mail of a receipt: how many times sending was tried, when it was sent,
/// or why it was given up.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MailDelivery {
    #[serde(default, skip_serializing_if = "is_zero")]
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<DateTime<Utc>>,
    /// Given up (a refused address, or too many failures): the EC must reach
    /// the citizen another way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed: Option<MailFailure>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl MailDelivery {
    pub fn is_empty(&self) -> bool {
        self == &MailDelivery::default()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MailFailure {
    pub at: DateTime<Utc>,
    pub reason: String,
}

/// The answer to a claim of a receipt's mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailClaim {
    /// This worker may send it; `attempt` counts from 1.
    Claimed { attempt: u32 },
    /// Sent already, given up, or never owed.
    NotOwed,
    /// Another worker holds the lease (it may have died: the lease expires).
    Leased,
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

    /// Claims the mail of a receipt for `lease_secs`, so that only one worker
    /// sends it, and counts the attempt.
    async fn claim_mail(
        &self,
        ec: &EcFiscalCode,
        receipt_id: &str,
        now: DateTime<Utc>,
        lease_secs: i64,
    ) -> Result<MailClaim, StoreError>;

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

    /// Gives the mail up: no longer owed, recorded as failed with its reason.
    async fn fail_mail(
        &self,
        ec: &EcFiscalCode,
        receipt_id: &str,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Receipts received before `received_before` that still owe work (the
    /// scheduled sweep; a sparse index keeps it cheap).
    async fn receipts_owing_work(
        &self,
        received_before: DateTime<Utc>,
    ) -> Result<Vec<ReceiptRecord>, StoreError>;
}
