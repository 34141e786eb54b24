//! Documents kept for citizens (receipt PDFs).

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
}
