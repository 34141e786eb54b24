//! Receipts for citizens: finding one (same answer for an unknown notice and a
//! fiscal code that is neither the debtor's nor the payer's), its PDF, and the
//! work owed after it arrives (PDF in S3, mail to debtor and payer).

use crate::domain::receipt::{Anomaly, Outcome, Work};
use crate::domain::text::Email;
use crate::domain::{FiscalCode, NoticeNumber};
use crate::pdf::{render_receipt, Lang, PdfError, ReceiptDocument};
use crate::ports::{Attachment, Document, Mail, MailError, ReceiptRecord, StoreError};
use crate::App;

/// How long one worker may hold the mail of a receipt before another may retry.
pub const MAIL_LEASE_SECS: i64 = 300;

/// Why a receipt cannot be given to a citizen.
#[derive(Debug, thiserror::Error)]
pub enum ReceiptError {
    /// No receipt of that notice whose debtor or payer has that fiscal code:
    /// the same answer in both cases.
    #[error("no receipt matches the notice number and the fiscal code")]
    NotFound,
    /// The PDF could not be made: a defect of ours, not worth retrying.
    #[error("receipt PDF not rendered")]
    Render(#[from] PdfError),
    #[error("receipts or documents not readable")]
    Store(#[from] StoreError),
}

/// Why the work a receipt owes was not (all) done. Nothing is lost: the work
/// stays owed and the worker is run again.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("receipt PDF not rendered")]
    Render(#[source] PdfError),
    #[error("receipt or document store failed")]
    Store(#[from] StoreError),
    #[error("receipt mail not sent")]
    Mail(#[from] MailError),
}

impl DeliveryError {
    /// Whether running the work again may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            DeliveryError::Render(_) => false,
            DeliveryError::Store(e) => e.is_transient(),
            DeliveryError::Mail(e) => e.is_transient(),
        }
    }
}

impl From<ReceiptError> for DeliveryError {
    fn from(e: ReceiptError) -> Self {
        match e {
            ReceiptError::Render(e) => DeliveryError::Render(e),
            ReceiptError::Store(e) => DeliveryError::Store(e),
            // `pdf` never answers NotFound: the record is at hand.
            ReceiptError::NotFound => DeliveryError::Store(StoreError::Corrupt(
                "receipt vanished while delivering".into(),
            )),
        }
    }
}

/// The receipt of a notice, for its debtor or its payer. When a notice was paid
/// twice, the receipt that paid it comes first.
pub async fn find(
    app: &App,
    notice: &NoticeNumber,
    who: &FiscalCode,
) -> Result<ReceiptRecord, ReceiptError> {
    let mut found: Vec<ReceiptRecord> = app
        .receipts
        .receipts_for_notice(notice.as_str())
        .await?
        .into_iter()
        .filter(|r| r.receipt.outcome == Outcome::Ok && r.anomaly != Some(Anomaly::NotOwned))
        .filter(|r| {
            r.receipt.debtor.id.eq_ignore_ascii_case(who.as_str())
                || r.receipt
                    .payer
                    .as_ref()
                    .is_some_and(|p| p.id.eq_ignore_ascii_case(who.as_str()))
        })
        .collect();
    found.sort_by_key(|r| (r.anomaly.is_some(), r.received_at));
    found.into_iter().next().ok_or(ReceiptError::NotFound)
}

pub fn document_key(r: &ReceiptRecord, ext: &str) -> String {
    let safe: String = r
        .receipt
        .receipt_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("receipts/{}/{}-{safe}.{ext}", r.ec, r.receipt.notice_number)
}

fn render(app: &App, r: &ReceiptRecord) -> Result<Vec<u8>, PdfError> {
    let ec_name = app
        .entities
        .get(&r.ec)
        .map(|e| e.name.clone())
        .unwrap_or_else(|| r.receipt.company_name.clone());
    let doc = ReceiptDocument {
        lang: Lang::It,
        ec_name,
        ec_fiscal_code: r.ec.to_string(),
        receipt: r.receipt.clone(),
        notice_number: r.receipt.notice_number.clone(),
    };
    render_receipt(&doc)
}

/// The receipt PDF: from S3 when the worker already stored it, else rendered now
/// (rendering takes milliseconds) and stored for next time.
pub async fn pdf(app: &App, r: &ReceiptRecord) -> Result<Vec<u8>, ReceiptError> {
    let key = document_key(r, "pdf");
    if let Some(doc) = app.documents.get(&key).await? {
        return Ok(doc.bytes);
    }
    let bytes = render(app, r)?;
    let doc = Document {
        content_type: "application/pdf".into(),
        bytes: bytes.clone(),
    };
    if let Err(e) = app.documents.put(&key, &doc).await {
        tracing::warn!(error = %e, "receipt PDF not cached");
    }
    Ok(bytes)
}

/// The addresses a receipt is mailed to: the debtor's and the payer's, once each.
pub async fn recipients(app: &App, r: &ReceiptRecord) -> Vec<Email> {
    let mut out: Vec<Email> = Vec::new();
    let mut add = |e: Option<&str>| {
        if let Some(Ok(e)) = e.map(Email::parse) {
            if !out
                .iter()
                .any(|o| o.as_str().eq_ignore_ascii_case(e.as_str()))
            {
                out.push(e);
            }
        }
    };
    add(r.receipt.debtor.email.as_deref());
    add(r.receipt.payer.as_ref().and_then(|p| p.email.as_deref()));
    // The position's debtor email, when the receipt does not carry one.
    if let Ok(n) = NoticeNumber::parse(&r.receipt.notice_number) {
        if let Ok(Some(p)) = app.positions.find_by_iuv(&r.ec, &n.iuv()).await {
            add(p.value.debtor.email.as_ref().map(|e| e.as_str()));
        }
    }
    out
}

fn mail_text(r: &ReceiptRecord, ec_name: &str) -> String {
    let rc = &r.receipt;
    let amount = crate::domain::amount::soap_cents(rc.payment_amount_cents).replace('.', ",");
    format!(
        "Gentile utente,\n\nè stato registrato il pagamento dell'avviso {notice} a favore di {ec_name}.\n\n\
Importo: {amount} €\nCausale: {desc}\nCodice IUV: {iuv}\nIdentificativo ricevuta: {id}\nPrestatore: {psp}\n\n\
In allegato la ricevuta in formato PDF.\n\n---\n\nDear user,\n\nthe payment of notice {notice} to {ec_name} has been recorded \
(amount {amount} EUR). The receipt is attached as a PDF.\n",
        notice = rc.notice_number,
        desc = rc.description,
        iuv = rc.creditor_reference_id,
        id = rc.receipt_id,
        psp = rc.psp_company_name,
    )
}

/// Does the work a receipt still owes. Safe to run any number of times, by any
/// number of workers: the PDF is idempotent, the mail is claimed with a lease.
pub async fn deliver(app: &App, r: &ReceiptRecord) -> Result<(), DeliveryError> {
    let rid = r.receipt.receipt_id.as_str();
    if r.owed.is_empty() {
        return Ok(());
    }
    let bytes = pdf(app, r).await?;
    if r.owes(Work::Pdf) {
        app.receipts.complete_owed(&r.ec, rid, Work::Pdf).await?;
    }
    if !r.owes(Work::Mail)
        || !app
            .receipts
            .claim_mail(&r.ec, rid, app.clock.now(), MAIL_LEASE_SECS)
            .await?
    {
        return Ok(());
    }
    let to = recipients(app, r).await;
    if to.is_empty() {
        app.receipts
            .complete_mail(&r.ec, rid, "", app.clock.now())
            .await?;
        return Ok(());
    }
    let ec_name = app
        .entities
        .get(&r.ec)
        .map(|e| e.name.clone())
        .unwrap_or_else(|| r.receipt.company_name.clone());
    let mail = Mail {
        to,
        subject: format!("Ricevuta di pagamento – {}", r.receipt.description),
        text: mail_text(r, &ec_name),
        attachments: vec![Attachment {
            filename: format!("ricevuta-{}.pdf", r.receipt.notice_number),
            content_type: "application/pdf".into(),
            bytes,
        }],
    };
    match app.mailer.send(&mail).await {
        Ok(id) => {
            app.receipts
                .complete_mail(&r.ec, rid, &id, app.clock.now())
                .await?;
            tracing::info!(ec = %r.ec, receipt_id = rid, recipients = mail.to.len(), "receipt mailed");
            Ok(())
        }
        Err(e) => {
            if let Err(release) = app.receipts.release_mail(&r.ec, rid).await {
                tracing::warn!(error = %release, receipt_id = rid, "mail lease not released");
            }
            Err(e.into())
        }
    }
}
