//! [`DocumentStore`] on an S3 bucket.

use async_trait::async_trait;
use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;

use crate::ports::{Document, DocumentStore, StoreError};

fn unavailable<E: std::error::Error + Send + Sync + 'static, R: std::fmt::Debug>(
    e: aws_sdk_s3::error::SdkError<E, R>,
) -> StoreError {
    StoreError::Unavailable(DisplayErrorContext(e).to_string())
}

/// How long a presigned URL stays valid.
fn presigning(expires_secs: u64) -> Result<aws_sdk_s3::presigning::PresigningConfig, StoreError> {
    aws_sdk_s3::presigning::PresigningConfig::expires_in(std::time::Duration::from_secs(
        expires_secs,
    ))
    .map_err(|e| StoreError::Corrupt(e.to_string()))
}

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
        let config = presigning(expires_secs)?;
        let req = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .presigned(config)
            .await
            .map_err(unavailable)?;
        Ok(req.uri().to_owned())
    }

    async fn presign_put(
        &self,
        key: &str,
        content_type: &str,
        expires_secs: u64,
    ) -> Result<String, StoreError> {
        let config = presigning(expires_secs)?;
        let req = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .presigned(config)
            .await
            .map_err(unavailable)?;
        Ok(req.uri().to_owned())
    }

    async fn read_range(
        &self,
        key: &str,
        offset: u64,
        len: u64,
    ) -> Result<Option<(Vec<u8>, u64)>, StoreError> {
        let range = format!("bytes={offset}-{}", offset + len.max(1) - 1);
        let out = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .range(range)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => return Ok(None),
            // Past the end (or an empty document): nothing, and its size.
            Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 416) => {
                let head = self
                    .client
                    .head_object()
                    .bucket(&self.bucket)
                    .key(key)
                    .send()
                    .await
                    .map_err(unavailable)?;
                let size = head.content_length().unwrap_or(0).max(0) as u64;
                return Ok(Some((Vec::new(), size)));
            }
            Err(e) => return Err(unavailable(e)),
        };
        // `Content-Range: bytes a-b/total`.
        let total = out
            .content_range()
            .and_then(|r| r.rsplit('/').next())
            .and_then(|t| t.parse::<u64>().ok())
            .or_else(|| out.content_length().map(|l| l.max(0) as u64))
            .unwrap_or(0);
        let bytes = out
            .body
            .collect()
            .await
            .map_err(|e| StoreError::Unavailable(e.to_string()))?
            .into_bytes()
            .to_vec();
        Ok(Some((bytes, total)))
    }

    async fn concat(
        &self,
        parts: &[String],
        into: &str,
        content_type: &str,
    ) -> Result<(), StoreError> {
        use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
        // S3's parts are at least 5 MiB but the last: small parts are joined
        // in a buffer first (so memory stays under two parts' worth).
        const PART: usize = 5 << 20;
        let mut buffer: Vec<u8> = Vec::new();
        let mut upload: Option<String> = None;
        let mut done: Vec<CompletedPart> = Vec::new();
        let mut i = 0;
        loop {
            let finished = i == parts.len();
            if !finished {
                let doc = self
                    .get(&parts[i])
                    .await?
                    .ok_or_else(|| StoreError::Corrupt(format!("part {} missing", parts[i])))?;
                buffer.extend_from_slice(&doc.bytes);
                i += 1;
            }
            if buffer.len() >= PART || (finished && upload.is_some()) {
                let id = match &upload {
                    Some(id) => id.clone(),
                    None => {
                        let out = self
                            .client
                            .create_multipart_upload()
                            .bucket(&self.bucket)
                            .key(into)
                            .content_type(content_type)
                            .send()
                            .await
                            .map_err(unavailable)?;
                        let id = out.upload_id().unwrap_or_default().to_owned();
                        upload = Some(id.clone());
                        id
                    }
                };
                let number = done.len() as i32 + 1;
                let out = self
                    .client
                    .upload_part()
                    .bucket(&self.bucket)
                    .key(into)
                    .upload_id(&id)
                    .part_number(number)
                    .body(ByteStream::from(std::mem::take(&mut buffer)))
                    .send()
                    .await
                    .map_err(unavailable)?;
                done.push(
                    CompletedPart::builder()
                        .part_number(number)
                        .set_e_tag(out.e_tag().map(str::to_owned))
                        .build(),
                );
            }
            if finished {
                break;
            }
        }
        match upload {
            None => {
                let doc = Document {
                    content_type: content_type.to_owned(),
                    bytes: buffer,
                };
                self.put(into, &doc).await
            }
            Some(id) => {
                self.client
                    .complete_multipart_upload()
                    .bucket(&self.bucket)
                    .key(into)
                    .upload_id(id)
                    .multipart_upload(
                        CompletedMultipartUpload::builder()
                            .set_parts(Some(done))
                            .build(),
                    )
                    .send()
                    .await
                    .map_err(unavailable)?;
                Ok(())
            }
        }
    }
}
