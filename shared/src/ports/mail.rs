//! Outgoing mail.

use async_trait::async_trait;

use crate::domain::text::Email;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// When it was written (its `Date`), from the app's clock.
    pub date: chrono::DateTime<chrono::Utc>,
    pub to: Vec<Email>,
    pub subject: String,
    pub text: String,
    pub attachments: Vec<Attachment>,
}

/// Why a mail was not sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    /// The provider could not be reached, or throttled us: retrying may work.
    #[error("mail provider unavailable: {0}")]
    Unavailable(String),
    /// The provider refused this message (a bad address, a message too large, an
    /// unverified sender): the same message will be refused again.
    #[error("mail refused: {0}")]
    Rejected(String),
}

impl MailError {
    pub fn is_transient(&self) -> bool {
        matches!(self, MailError::Unavailable(_))
    }
}

#[async_trait]
pub trait Mailer: Send + Sync {
    /// Sends one message; returns the provider's message id.
    async fn send(&self, mail: &Mail) -> Result<String, MailError>;
}
