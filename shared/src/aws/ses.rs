//! [`Mailer`] on SES (v2 API), sending a raw MIME message so attachments travel.

use async_trait::async_trait;
use aws_sdk_sesv2::error::DisplayErrorContext;
use aws_sdk_sesv2::primitives::Blob;
use aws_sdk_sesv2::types::{Destination, EmailContent, RawMessage};
use aws_sdk_sesv2::Client;

use crate::domain::text::Email;
use crate::mail::mime_message;
use crate::ports::{Mail, Mailer, StoreError};

#[derive(Clone)]
pub struct SesMailer {
    client: Client,
    from: Email,
}

impl SesMailer {
    pub fn new(client: Client, from: Email) -> Self {
        Self { client, from }
    }
}

#[async_trait]
impl Mailer for SesMailer {
    async fn send(&self, mail: &Mail) -> Result<String, StoreError> {
        let raw = mime_message(&self.from, mail);
        let out = self
            .client
            .send_email()
            .from_email_address(self.from.as_str())
            .destination(
                Destination::builder()
                    .set_to_addresses(Some(
                        mail.to.iter().map(|e| e.as_str().to_owned()).collect(),
                    ))
                    .build(),
            )
            .content(
                EmailContent::builder()
                    .raw(
                        RawMessage::builder()
                            .data(Blob::new(raw.into_bytes()))
                            .build()
                            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    )
                    .build(),
            )
            .send()
            .await
            .map_err(|e| StoreError::Unavailable(DisplayErrorContext(e).to_string()))?;
        Ok(out.message_id.unwrap_or_default())
    }
}
