//! The small traits behind which storage, documents and mail sit. Handlers and
//! use cases depend on these, never on an SDK.

use async_trait::async_trait;

use crate::domain::text::{Email, Iupd};
use crate::domain::{EcFiscalCode, FiscalCode, Iuv, NoticeNumber, Position, SegregationCode};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// A position with this iupd already exists for the EC.
    #[error("posizione già presente")]
    DuplicateIupd,
    /// A notice number (IUV) of the position is already used by the EC.
    #[error("codice avviso {0} già utilizzato")]
    DuplicateNotice(NoticeNumber),
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

    /// Reserves `count` consecutive sequence numbers for a segregation code of an
    /// EC, atomically; returns the first.
    async fn reserve_sequence(
        &self,
        ec: &EcFiscalCode,
        segregation: SegregationCode,
        count: u64,
    ) -> Result<u64, StoreError>;
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
