//! Documents: receipt PDFs kept for citizens, large receipts' XML, exports.

use async_trait::async_trait;

use super::StoreError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub content_type: String,
    pub bytes: Vec<u8>,
}

#[async_trait]
pub trait DocumentStore: Send + Sync {
    async fn put(&self, key: &str, doc: &Document) -> Result<(), StoreError>;
    async fn get(&self, key: &str) -> Result<Option<Document>, StoreError>;

    /// A URL that reads the document, without credentials, for `expires_secs`
    /// (exports too large for an API answer).
    async fn presign_get(&self, key: &str, expires_secs: u64) -> Result<String, StoreError>;
}
