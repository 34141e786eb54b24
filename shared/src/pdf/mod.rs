//! Native PDF rendering (no browser) of the two documents a debtor holds:
//!
//! - the pagoPA **avviso di pagamento** (payment notice), laid out after pagoPA's
//!   guideline "L'avviso di pagamento analogico nel sistema pagoPA" 3.x
//!   (pagopa.md §4): header, Ente Creditore and Destinatario, amount and due date,
//!   where to pay, payment data with the QR code of each payment option and, when
//!   the EC has a postal account, the Bollettino Postale PA with its Data Matrix;
//! - the **receipt** (proof of payment) built from a `ctReceiptV2`, with every field
//!   pagoPA requires of a proof of payment (pagopa.md §5.1).
//!
//! Both in Italian (default) or English. Text is set in Titillium Web, embedded
//! (subset) in the PDF; codes are drawn as vector modules. Pages are A4.
//!
//! The PDFs are tagged (logical structure, reading order, alternative text of the
//! codes: `structure`) and conform to PDF/A-2a (`conformance`), so that public
//! bodies can publish and archive them.

mod avviso;
mod codes;
mod conformance;
mod draw;
mod fonts;
mod receipt;
mod structure;

use chrono::{DateTime, NaiveDate, Utc};

pub use avviso::render_avviso;
pub use codes::{poste_datamatrix_payload, qr_payload};
pub use receipt::render_receipt;

use crate::domain::receipt::Receipt;
use crate::domain::{AmountCents, NoticeNumber};

/// Language of a document: the one of the pages.
pub use crate::domain::lang::Lang;

/// The documents as the use cases ask for them: a port, so that tests can make
/// a rendering fail (the in-memory adapter wraps [`Native`] with faults).
pub trait Renderer: Send + Sync {
    fn receipt(&self, doc: &ReceiptDocument) -> Result<Vec<u8>, PdfError>;
    fn avviso(&self, data: &AvvisoData) -> Result<Vec<u8>, PdfError>;
}

/// The native renderer of this module.
#[derive(Debug, Default, Clone, Copy)]
pub struct Native;

impl Renderer for Native {
    fn receipt(&self, doc: &ReceiptDocument) -> Result<Vec<u8>, PdfError> {
        render_receipt(doc)
    }
    fn avviso(&self, data: &AvvisoData) -> Result<Vec<u8>, PdfError> {
        render_avviso(data)
    }
}

/// BCP 47 tag of the document's language, written into the PDF.
fn lang_tag(lang: Lang) -> &'static str {
    match lang {
        Lang::It => "it-IT",
        Lang::En => "en",
    }
}

/// The Ente Creditore as the avviso shows it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AvvisoEc {
    /// 11 digits.
    pub fiscal_code: String,
    /// `ENTE.NOME`, up to 50 characters.
    pub name: String,
    /// `ENTE.SETTORE`: the organisational unit, up to 50 characters.
    pub office: Option<String>,
    /// `ENTE.INFO`: contacts (web site, e-mail, phone, separated by ` · `), up to 100 characters.
    pub info: Option<String>,
    /// CBILL (SIA) code of the EC.
    pub cbill: Option<String>,
    /// `ENTE.CANALE.ONLINE`, e.g. "sul sito del Comune di Prova"; `None` if the
    /// notice cannot be paid on the EC's own site or app.
    pub online_channel: Option<String>,
    /// Postal current account (up to 12 digits): adds the Bollettino Postale PA.
    pub postal_account: Option<String>,
    /// Poste's authorisation to print bollettini, `AUT. DB/xxxx/xxx xxxxx DEL xx/xx/xxxx`.
    pub poste_auth: Option<String>,
    /// Logo, PNG (300 dpi or more), printed in a 30×30 mm box top right.
    pub logo_png: Option<Vec<u8>>,
}

/// The Destinatario (debtor) of the avviso.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AvvisoDebtor {
    /// Fiscal code (16 characters) or VAT number; empty if unknown.
    pub fiscal_code: String,
    /// Up to 70 characters.
    pub full_name: String,
    /// Up to 140 characters.
    pub address: Option<String>,
}

/// One payment option: the single payment or one installment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvvisoPayment {
    pub notice_number: NoticeNumber,
    pub amount: AmountCents,
    pub due_date: Option<NaiveDate>,
}

/// Everything an avviso prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvvisoData {
    pub lang: Lang,
    /// `AVVISO.OGGETTO`, up to 90 characters, sentence case.
    pub subject: String,
    pub ec: AvvisoEc,
    pub debtor: AvvisoDebtor,
    /// The payment in full ("Rata unica"), if offered.
    pub single: Option<AvvisoPayment>,
    /// The installments, if offered (none, or at least two).
    pub installments: Vec<AvvisoPayment>,
    /// When the notice is issued: the PDF's creation date (PDF/A requires one).
    /// Given, not read from the clock, so that the same data give the same PDF.
    pub created: DateTime<Utc>,
}

/// A receipt to print as proof of payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptDocument {
    pub lang: Lang,
    /// The EC that receives the receipt.
    pub ec_name: String,
    pub ec_fiscal_code: String,
    pub receipt: Receipt,
    /// The notice number (18 digits), printed in groups of four.
    pub notice_number: String,
    /// When the document is made: the PDF's creation date (PDF/A requires one).
    pub created: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// The embedded fonts could not be read.
    #[error("font non utilizzabile: {0}")]
    Font(String),
    /// The data cannot be printed as given (e.g. no payment option, a fiscal
    /// code of the wrong shape).
    #[error("dati non stampabili ({field}): {reason}")]
    InvalidData { field: &'static str, reason: String },
    /// The EC logo is not a readable PNG.
    #[error("logo dell'ente non valido: {0}")]
    Logo(String),
    /// A QR code or Data Matrix could not be built.
    #[error("codice grafico non generabile: {0}")]
    Code(String),
    /// The PDF writer failed.
    #[error("generazione del PDF non riuscita: {0}")]
    Pdf(String),
    /// The document would not conform to PDF/A-2a (krilla's validation): e.g. a
    /// character the standard does not allow.
    #[error("PDF non conforme a PDF/A-2a: {0}")]
    Conformance(String),
}

fn invalid(field: &'static str, reason: impl Into<String>) -> PdfError {
    PdfError::InvalidData {
        field,
        reason: reason.into(),
    }
}

fn group_thousands(n: u64, sep: char) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(ch);
    }
    out
}

/// An amount of cents (zero allowed: fees) in the document's language:
/// `1.020,99 €` in Italian, `€1,020.99` in English.
pub fn format_cents(cents: u64, lang: Lang) -> String {
    match lang {
        Lang::It => format!("{},{:02} €", group_thousands(cents / 100, '.'), cents % 100),
        Lang::En => format!("€{}.{:02}", group_thousands(cents / 100, ','), cents % 100),
    }
}

/// English display form of an amount: `€1,020.99`.
pub fn amount_english(amount: AmountCents) -> String {
    format_cents(amount.cents(), Lang::En)
}

/// Dates are printed `dd/mm/yyyy` in both languages, as the guideline asks.
fn format_date(date: NaiveDate) -> String {
    date.format("%d/%m/%Y").to_string()
}

/// Digits in groups of four separated by spaces (notice numbers).
fn group4(code: &str) -> String {
    let mut out = String::with_capacity(code.len() + code.len() / 4);
    for (i, ch) in code.trim().chars().enumerate() {
        if i > 0 && i % 4 == 0 {
            out.push(' ');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amount_formats() {
        let a = AmountCents::new(102_099).unwrap();
        assert_eq!(format_cents(a.cents(), Lang::It), a.to_italian());
        assert_eq!(format_cents(a.cents(), Lang::It), "1.020,99 €");
        assert_eq!(amount_english(a), "€1,020.99");
        assert_eq!(format_cents(5, Lang::En), "€0.05");
        assert_eq!(format_cents(0, Lang::It), "0,00 €");
        assert_eq!(format_cents(15_050, Lang::It), "150,50 €");
        assert_eq!(format_cents(15_050, Lang::En), "€150.50");
        assert_eq!(format_cents(100_000, Lang::En), "€1,000.00");
        assert_eq!(format_cents(99_999_999_999, Lang::En), "€999,999,999.99");
        assert_eq!(format_cents(99_999_999_999, Lang::It), "999.999.999,99 €");
        for c in [1, 99, 100, 12_345, 1_000_000, 123_456_789] {
            let a = AmountCents::new(c).unwrap();
            assert_eq!(format_cents(c, Lang::It), a.to_italian());
        }
    }

    #[test]
    fn dates_and_groups() {
        let d = NaiveDate::from_ymd_opt(2026, 1, 31).unwrap();
        assert_eq!(format_date(d), "31/01/2026");
        assert_eq!(group4("301000000000000144"), "3010 0000 0000 0001 44");
        let n = NoticeNumber::parse("301000000000000144").unwrap();
        assert_eq!(group4(n.as_str()), n.grouped());
    }
}
