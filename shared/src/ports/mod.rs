//! The small traits behind which storage, documents and mail sit, one per
//! concern. Use cases depend on these, never on an SDK. Each has a DynamoDB,
//! S3 or SES adapter in [`crate::aws`] and an in-memory one in
//! `crate::memory` (feature `test-util`) that can inject faults.
//!
//! | port | what |
//! |---|---|
//! | [`PositionStore`] | debt positions and the notice numbers they claim |
//! | [`ReceiptStore`] | receipts and the work each still owes (PDF, mail) |
//! | [`PaymentLog`] | payments started at Checkout, activations by the Nodo |
//! | [`RateCounter`] | per-client request counters |
//! | [`CatalogStore`] | the service catalogue |
//! | [`SessionStore`] | sessions and single-use records |
//! | [`DocumentStore`] | documents (receipt PDFs) |
//! | [`Mailer`] | outgoing mail |
//! | [`KeyStore`] | operator API keys, per EC |
//! | [`ImportStore`] | bulk imports of positions: progress and errors |
//! | [`ReportingStore`] | reporting flows, reported transfers, anomalies |
//! | [`Ledger`] | an EC's payments by time of payment (export) |

mod catalog;
mod documents;
mod imports;
mod keys;
mod ledger;
mod mail;
mod payments;
mod positions;
mod receipts;
mod reporting;
mod sessions;

pub use catalog::CatalogStore;
pub use documents::{Document, DocumentStore};
pub use imports::ImportStore;
pub use keys::{KeyStore, OperatorKey};
pub use ledger::{Ledger, LedgerPage};
pub use mail::{Attachment, Mail, MailError, Mailer};
pub use payments::{Activation, AttemptNotice, PaymentAttempt, PaymentLog};
pub use positions::{listing_key, PositionStore, RateCounter};
pub use receipts::{MailClaim, MailDelivery, MailFailure, ReceiptRecord, ReceiptStore};
pub use reporting::{AnomalyRecord, FlowRecord, Reported, ReportingStore};
pub use sessions::{Session, SessionStore};

/// What a store can answer besides the value asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// A position with this iupd already exists for the EC.
    #[error("position already exists")]
    DuplicateIupd,
    /// A notice number (IUV) of the position is already used by the EC.
    #[error("notice number {0} already in use")]
    DuplicateNotice(crate::domain::NoticeNumber),
    /// A receipt with this receiptId is already stored for the EC.
    #[error("receipt already stored")]
    DuplicateReceipt,
    /// Someone else changed the item since it was read (optimistic locking).
    #[error("concurrent change")]
    VersionConflict,
    /// A bounded set is full (an EC's active operator keys).
    #[error("limit reached")]
    LimitReached,
    /// The store refused the call for its rate; retrying later may work.
    #[error("store throttled: {0}")]
    Throttled(String),
    /// The store could not be reached, or the call's outcome is unknown (a
    /// timeout after the write may have happened); retrying may work.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// An item could not be read back into a valid value.
    #[error("unreadable item: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// Whether the same call may succeed later.
    pub fn is_transient(&self) -> bool {
        matches!(self, StoreError::Throttled(_) | StoreError::Unavailable(_))
    }
}

/// A value with the version it was read at, for conditional writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versioned<T> {
    pub value: T,
    pub version: u64,
}
