//! [`Mailer`] on SES (v2 API), sending a raw MIME message so attachments travel.

use async_trait::async_trait;
use aws_sdk_sesv2::error::{DisplayErrorContext, SdkError};
use aws_sdk_sesv2::operation::send_email::SendEmailError;
use aws_sdk_sesv2::primitives::Blob;
use aws_sdk_sesv2::types::{Destination, EmailContent, RawMessage};
use aws_sdk_sesv2::Client;

use crate::domain::text::Email;
use crate::mail::mime_message;
use crate::ports::{Mail, MailError, Mailer};

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
    async fn send(&self, mail: &Mail) -> Result<String, MailError> {
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
                            .map_err(|e| MailError::Rejected(e.to_string()))?,
                    )
                    .build(),
            )
            .send()
            .await
            .map_err(classify)?;
        Ok(out.message_id.unwrap_or_default())
    }
}

/// SES's refusals of the message itself (a bad address, a message too large,
/// an unverified or paused sender) are permanent; the rest may pass later.
fn classify<R: std::fmt::Debug>(e: SdkError<SendEmailError, R>) -> MailError {
    let permanent = e.as_service_error().is_some_and(|s| {
        matches!(
            s,
            SendEmailError::BadRequestException(_)
                | SendEmailError::MessageRejected(_)
                | SendEmailError::MailFromDomainNotVerifiedException(_)
                | SendEmailError::AccountSuspendedException(_)
                | SendEmailError::SendingPausedException(_)
                | SendEmailError::NotFoundException(_)
        )
    });
    let detail = DisplayErrorContext(e).to_string();
    if permanent {
        MailError::Rejected(detail)
    } else {
        MailError::Unavailable(detail)
    }
}
