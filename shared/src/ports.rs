//! The small traits behind which storage, documents and mail sit. Handlers and
//! use cases depend on these, never on an SDK.

use async_trait::async_trait;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::catalog::Service;
use crate::domain::receipt::{Anomaly, Receipt};
use crate::domain::text::{Email, Iupd, ServiceCode};
use crate::domain::{EcFiscalCode, FiscalCode, Iuv, NoticeNumber, Position, SegregationCode};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// A position with this iupd already exists for the EC.
    #[error("posizione già presente")]
    DuplicateIupd,
    /// A notice number (IUV) of the position is already used by the EC.
    #[error("codice avviso {0} già utilizzato")]
    DuplicateNotice(NoticeNumber),
    /// A receipt with this receiptId is already stored for the EC.
    #[error("ricevuta già acquisita")]
    DuplicateReceipt,
    /// Someone else changed the item since it was read (optimistic locking).
    #[error("modifica concorrente")]
    VersionConflict,
    /// The store could not be reached or refused the call; retrying may work.
    #[error("archivio non disponibile: {0}")]
    Unavailable(String),
    /// An item could not be read back into a valid value.
    #[error("dato non leggibile: {0}")]
    Corrupt(String),
}

/// A value with the version it was read at, for conditional writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versioned<T> {
    pub value: T,
    pub version: u64,
}

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
    /// Work still owed for this receipt (`pdf`, `mail`), done by the receipt worker.
    #[serde(default)]
    pub owed: Vec<String>,
}

/// What the Nodo asked when it activated a payment (paGetPayment): kept for
/// reconciliation; it never changes a position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Activation {
    pub ec: EcFiscalCode,
    pub notice_number: NoticeNumber,
    /// The Checkout cart id when the payment comes from a cart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_note: Option<String>,
    pub amount_cents: u64,
    pub at: DateTime<Utc>,
}

/// One notice of a payment started by the portal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttemptNotice {
    pub ec: EcFiscalCode,
    pub notice_number: NoticeNumber,
    /// The fiscal code the citizen gave (the debtor's).
    pub fiscal_code: FiscalCode,
    pub amount_cents: u64,
    pub description: String,
    pub company_name: String,
}

/// A payment the portal started at Checkout: what the return pages and the
/// payments API report on. The outcome comes from the receipts, never from here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentAttempt {
    /// Also the Checkout `idCart`, so receipts (paymentNote) lead back here.
    pub id: String,
    pub notices: Vec<AttemptNotice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<Email>,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkout_url: Option<String>,
}

#[async_trait]
pub trait PositionStore: Send + Sync {
    /// Stores a new position and claims its notice numbers (IUVs), atomically.
    async fn insert(&self, position: &Position) -> Result<(), StoreError>;

    async fn get(
        &self,
        ec: &EcFiscalCode,
        iupd: &Iupd,
    ) -> Result<Option<Versioned<Position>>, StoreError>;

    /// Every position, of any configured EC, that holds this notice number.
    async fn find_by_notice(
        &self,
        notice: &NoticeNumber,
    ) -> Result<Vec<Versioned<Position>>, StoreError>;

    /// The position of one EC that holds this IUV.
    async fn find_by_iuv(
        &self,
        ec: &EcFiscalCode,
        iuv: &Iuv,
    ) -> Result<Option<Versioned<Position>>, StoreError>;

    /// Positions whose debtor has this fiscal code.
    async fn find_by_debtor(&self, debtor: &FiscalCode) -> Result<Vec<Position>, StoreError>;

    /// Replaces a position if it is still at `expected_version`
    /// ([`StoreError::VersionConflict`] otherwise).
    async fn replace(&self, position: &Position, expected_version: u64) -> Result<(), StoreError>;

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

    async fn record_activation(&self, activation: &Activation) -> Result<(), StoreError>;

    /// Marks one piece of owed work (`pdf`) done.
    async fn complete_owed(
        &self,
        ec: &EcFiscalCode,
        receipt_id: &str,
        work: &str,
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

    /// Counts one hit of `key` in the current window and returns the count so far
    /// (an atomic counter item that expires with its window).
    async fn count_hit(
        &self,
        key: &str,
        window_start: i64,
        window_secs: i64,
    ) -> Result<u64, StoreError>;

    /// Stores (or replaces) a payment attempt.
    async fn put_attempt(&self, attempt: &PaymentAttempt) -> Result<(), StoreError>;

    async fn get_attempt(&self, id: &str) -> Result<Option<PaymentAttempt>, StoreError>;

    /// Reserves `count` consecutive sequence numbers for a segregation code of an
    /// EC, atomically; returns the first.
    async fn reserve_sequence(
        &self,
        ec: &EcFiscalCode,
        segregation: SegregationCode,
        count: u64,
    ) -> Result<u64, StoreError>;
}

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
}

/// Sessions and short-lived single-use records (login state, CNS hand-off).
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
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub content_type: String,
    pub bytes: Vec<u8>,
}

#[async_trait]
pub trait DocumentStore: Send + Sync {
    async fn put(&self, key: &str, doc: &Document) -> Result<(), StoreError>;
    async fn get(&self, key: &str) -> Result<Option<Document>, StoreError>;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: Vec<Email>,
    pub subject: String,
    pub text: String,
    pub attachments: Vec<Attachment>,
}

#[async_trait]
pub trait Mailer: Send + Sync {
    /// Sends one message; returns the provider's message id.
    async fn send(&self, mail: &Mail) -> Result<String, StoreError>;
}
