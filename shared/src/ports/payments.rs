//! Payments the portal started at Checkout, and activations by the Nodo.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::StoreError;
use crate::domain::text::Email;
use crate::domain::{EcFiscalCode, FiscalCode, NoticeNumber};

/// What the Nodo asked when it activated a payment (paGetPayment): kept for
/// reconciliation; it never changes a position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Activation {
    pub ec: EcFiscalCode,
    pub notice_number: NoticeNumber,
    /// The Checkout cart id when the payment comes from a cart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_note: Option<String>,
    pub amount_cents: u64,
    pub at: DateTime<Utc>,
}

/// One notice of a payment started by the portal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttemptNotice {
    pub ec: EcFiscalCode,
    pub notice_number: NoticeNumber,
    /// The fiscal code the citizen gave (the debtor's).
    pub fiscal_code: FiscalCode,
    pub amount_cents: u64,
    pub description: String,
    pub company_name: String,
}

/// A payment the portal started at Checkout: what the return pages and the
/// payments API report on. The outcome comes from the receipts, never from here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentAttempt {
    /// Also the Checkout `idCart`, so receipts (paymentNote) lead back here.
    pub id: String,
    pub notices: Vec<AttemptNotice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<Email>,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkout_url: Option<String>,
}

#[async_trait]
pub trait PaymentLog: Send + Sync {
    /// Stores (or replaces) a payment attempt.
    async fn put_attempt(&self, attempt: &PaymentAttempt) -> Result<(), StoreError>;

    async fn get_attempt(&self, id: &str) -> Result<Option<PaymentAttempt>, StoreError>;

    async fn record_activation(&self, activation: &Activation) -> Result<(), StoreError>;

    /// When the Nodo last activated a payment of this notice, if it did.
    async fn last_activation(
        &self,
        ec: &EcFiscalCode,
        notice: &NoticeNumber,
    ) -> Result<Option<DateTime<Utc>>, StoreError>;
}
