//! [`DocumentStore`] on an S3 bucket.

use async_trait::async_trait;
use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;

use crate::ports::{Document, DocumentStore, StoreError};

#[derive(Clone)]
pub struct S3Documents {
    client: Client,
    bucket: String,
}

impl S3Documents {
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
        }
    }
}

#[async_trait]
impl DocumentStore for S3Documents {
    async fn put(&self, key: &str, doc: &Document) -> Result<(), StoreError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(&doc.content_type)
            .body(ByteStream::from(doc.bytes.clone()))
            .send()
            .await
            .map_err(|e| StoreError::Unavailable(DisplayErrorContext(e).to_string()))?;
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<Document>, StoreError> {
        let out = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => return Ok(None),
            Err(e) => return Err(StoreError::Unavailable(DisplayErrorContext(e).to_string())),
        };
        let content_type = out
            .content_type()
            .unwrap_or("application/octet-stream")
            .to_owned();
        let bytes = out
            .body
            .collect()
            .await
            .map_err(|e| StoreError::Unavailable(e.to_string()))?
            .into_bytes()
            .to_vec();
        Ok(Some(Document {
            content_type,
            bytes,
        }))
    }

    async fn presign_get(&self, key: &str, expires_secs: u64) -> Result<String, StoreError> {
        let config = aws_sdk_s3::presigning::PresigningConfig::expires_in(
            std::time::Duration::from_secs(expires_secs),
        )
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let req = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .presigned(config)
            .await
            .map_err(|e| StoreError::Unavailable(DisplayErrorContext(e).to_string()))?;
        Ok(req.uri().to_owned())
    }
}
