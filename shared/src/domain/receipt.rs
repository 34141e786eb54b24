//! The receipt (ricevuta telematica) the Nodo delivers with paSendRT / paSendRTV2,
//! as `ctReceipt` / `ctReceiptV2` of paForNode.xsd describe it.

use serde::{Deserialize, Serialize};

use super::fiscal_code::EcFiscalCode;
use super::position::SubjectType;

/// A ctSubject: the debtor or the payer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subject {
    pub kind: SubjectType,
    /// A fiscal code, a VAT number or `ANONIMO` (2–16 characters).
    pub id: String,
    pub full_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub civic_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_province_region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

impl Subject {
    /// A subject with its required fields only: no address, no e-mail.
    pub fn new(kind: SubjectType, id: impl Into<String>, full_name: impl Into<String>) -> Self {
        Subject {
            kind,
            id: id.into(),
            full_name: full_name.into(),
            street_name: None,
            civic_number: None,
            postal_code: None,
            city: None,
            state_province_region: None,
            country: None,
            email: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceiptTransfer {
    pub id_transfer: u8,
    pub amount_cents: u64,
    pub fiscal_code_pa: EcFiscalCode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_name: Option<String>,
    /// The IBAN credited, or `None` for a digital revenue stamp (@e.bollo).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iban: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mbd_attachment: Option<String>,
    pub remittance_information: String,
    pub transfer_category: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub metadata: Vec<(String, String)>,
}

/// The receipt's `outcome` (`stOutcome`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// The payment was made.
    #[serde(rename = "OK")]
    Ok,
    /// The payment failed: no money moved.
    #[serde(rename = "KO")]
    Ko,
}

impl Outcome {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "OK" => Some(Outcome::Ok),
            "KO" => Some(Outcome::Ko),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "OK",
            Outcome::Ko => "KO",
        }
    }
}

/// Work a stored receipt still owes citizens, done by the receipt worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Work {
    /// The receipt PDF, stored for downloads and attached to the mail.
    Pdf,
    /// The mail to the debtor and the payer.
    Mail,
}

impl Work {
    pub const ALL: [Work; 2] = [Work::Pdf, Work::Mail];
    pub fn as_str(self) -> &'static str {
        match self {
            Work::Pdf => "pdf",
            Work::Mail => "mail",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|w| w.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReceiptVersion {
    V1,
    V2,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Receipt {
    pub version: ReceiptVersion,
    /// Unique id of the payment (the paymentToken): the idempotency key.
    pub receipt_id: String,
    /// 18 digits, as sent (check digits are not ours to enforce on another EC's notice).
    pub notice_number: String,
    /// The EC that owns the notice (primary EC).
    pub fiscal_code: EcFiscalCode,
    pub outcome: Outcome,
    /// The IUV.
    pub creditor_reference_id: String,
    /// Total paid to the ECs, without the PSP fee.
    pub payment_amount_cents: u64,
    pub description: String,
    pub company_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub office_name: Option<String>,
    pub debtor: Subject,
    pub transfers: Vec<ReceiptTransfer>,
    pub id_psp: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psp_fiscal_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psp_partita_iva: Option<String>,
    pub psp_company_name: String,
    pub id_channel: String,
    pub channel_description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer: Option<Subject>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee_cents: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_ci_incurred_fee_cents: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_bundle: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_ci_bundle: Option<String>,
    /// `xsd:dateTime` as sent: pagoPA's examples carry Italian local time without an offset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_date_time: Option<String>,
    /// `xsd:date` as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer_date: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub metadata: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stand_in: Option<bool>,
}

/// Why a stored receipt needs the EC's attention. The money was collected in
/// every case: the receipt is kept, never dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Anomaly {
    /// The option was already paid with another receipt: a double payment to refund.
    DoublePayment,
    /// Paid after the due date of an option that no longer accepted payments.
    PaidExpired,
    /// Paid on a cancelled position.
    PaidCancelled,
    /// Paid the single payment after installments, or the reverse.
    PaidSuperseded,
    /// No position of this EC holds the notice.
    UnknownNotice,
    /// Sent to this EC as a secondary beneficiary (or broadcast): the notice is another EC's.
    NotOwned,
    /// The amount paid differs from the option's amount.
    AmountMismatch,
    /// A receipt with outcome KO: the payment failed and no money moved; kept
    /// for the record, nothing changes and nothing is sent.
    FailedPayment,
    /// The receipt departs from the schema in what does not identify the
    /// payment (an element unknown to our XSD version, a missing description):
    /// taken all the same, its deviations recorded with it.
    SchemaDeviation,
}

/// Receipts for tests: a V2 receipt of a notice, paid by another citizen.
#[cfg(test)]
pub(crate) mod samples {
    use super::*;
    use crate::domain::NoticeNumber;

    pub fn subject(id: &str, name: &str, email: Option<&str>) -> Subject {
        Subject {
            email: email.map(str::to_owned),
            ..Subject::new(SubjectType::F, id, name)
        }
    }

    pub fn receipt(ec: &EcFiscalCode, notice: &NoticeNumber, id: &str, cents: u64) -> Receipt {
        Receipt {
            version: ReceiptVersion::V2,
            receipt_id: id.into(),
            notice_number: notice.to_string(),
            fiscal_code: ec.clone(),
            outcome: Outcome::Ok,
            creditor_reference_id: notice.iuv().to_string(),
            payment_amount_cents: cents,
            description: "TARI 2026".into(),
            company_name: "Comune di Prova".into(),
            office_name: None,
            debtor: subject("RSSMRA85T10A562S", "Mario Rossi", None),
            transfers: vec![],
            id_psp: "BCITITMM".into(),
            psp_fiscal_code: None,
            psp_partita_iva: None,
            psp_company_name: "Banca di prova".into(),
            id_channel: "BCITITMM_01".into(),
            channel_description: "app".into(),
            payer: Some(subject(
                "VRDGPP80A01H501U",
                "Giuseppe Verdi",
                Some("giuseppe.verdi@example.org"),
            )),
            payment_method: Some("CP".into()),
            payment_note: None,
            fee_cents: Some(100),
            primary_ci_incurred_fee_cents: None,
            id_bundle: None,
            id_ci_bundle: None,
            payment_date_time: Some("2026-06-01T11:30:00".into()),
            application_date: None,
            transfer_date: None,
            metadata: vec![],
            stand_in: None,
        }
    }
}
