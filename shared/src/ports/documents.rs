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

    /// A URL to which the document can be uploaded (HTTP PUT with this
    /// content type), without credentials, for `expires_secs`.
    async fn presign_put(
        &self,
        key: &str,
        content_type: &str,
        expires_secs: u64,
    ) -> Result<String, StoreError>;

    /// At most `len` bytes from `offset`, and the document's whole size;
    /// `None` when there is no such document.
    async fn read_range(
        &self,
        key: &str,
        offset: u64,
        len: u64,
    ) -> Result<Option<(Vec<u8>, u64)>, StoreError>;

    /// Writes the documents `parts`, one after the other, as document `into`
    /// (the parts stay).
    async fn concat(
        &self,
        parts: &[String],
        into: &str,
        content_type: &str,
    ) -> Result<(), StoreError>;
}
