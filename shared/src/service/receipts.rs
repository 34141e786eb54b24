//! Receipts for citizens: finding one (same answer for an unknown notice and a
//! fiscal code that is neither the debtor's nor the payer's), its PDF, and the
//! work owed after it arrives (PDF in S3, mail to debtor and payer).

use chrono::Utc;

use crate::domain::receipt::Anomaly;
use crate::domain::text::Email;
use crate::domain::{FiscalCode, NoticeNumber};
use crate::http::ApiError;
use crate::pdf::{render_receipt, Lang, ReceiptDocument};
use crate::ports::{Attachment, Document, Mail, ReceiptRecord, StoreError};
use crate::App;

/// How long one worker may hold the mail of a receipt before another may retry.
pub const MAIL_LEASE_SECS: i64 = 300;

pub fn not_found() -> ApiError {
    ApiError::NotFound(
        "nessuna ricevuta corrisponde al codice avviso e al codice fiscale indicati".into(),
    )
}

/// The receipt of a notice, for its debtor or its payer. When a notice was paid
/// twice, the receipt that paid it comes first.
pub async fn find(
    app: &App,
    notice: &NoticeNumber,
    who: &FiscalCode,
) -> Result<ReceiptRecord, ApiError> {
    let mut found: Vec<ReceiptRecord> = app
        .positions
        .receipts_for_notice(notice.as_str())
        .await?
        .into_iter()
        .filter(|r| r.receipt.outcome == "OK" && r.anomaly != Some(Anomaly::NotOwned))
        .filter(|r| {
            r.receipt.debtor.id.eq_ignore_ascii_case(who.as_str())
                || r.receipt
                    .payer
                    .as_ref()
                    .is_some_and(|p| p.id.eq_ignore_ascii_case(who.as_str()))
        })
        .collect();
    found.sort_by_key(|r| (r.anomaly.is_some(), r.received_at));
    found.into_iter().next().ok_or_else(not_found)
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

fn render(app: &App, r: &ReceiptRecord) -> Result<Vec<u8>, ApiError> {
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
    render_receipt(&doc).map_err(|e| ApiError::Internal(format!("receipt PDF: {e}")))
}

/// The receipt PDF: from S3 when the worker already stored it, else rendered now
/// (rendering takes milliseconds) and stored for next time.
pub async fn pdf(app: &App, r: &ReceiptRecord) -> Result<Vec<u8>, ApiError> {
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
pub async fn deliver(app: &App, r: &ReceiptRecord) -> Result<(), StoreError> {
    let fail = |e: ApiError| StoreError::Unavailable(e.to_string());
    let rid = r.receipt.receipt_id.as_str();
    let owes = |work: &str| r.owed.iter().any(|w| w == work);
    if !owes("pdf") && !owes("mail") {
        return Ok(());
    }
    if r.anomaly == Some(Anomaly::NotOwned) || r.receipt.outcome != "OK" {
        // Kept for reconciliation; nothing to send to citizens.
        app.positions.complete_owed(&r.ec, rid, "pdf").await?;
        app.positions.complete_owed(&r.ec, rid, "mail").await?;
        return Ok(());
    }
    let bytes = pdf(app, r).await.map_err(fail)?;
    if owes("pdf") {
        app.positions.complete_owed(&r.ec, rid, "pdf").await?;
    }
    if owes("mail")
        && app
            .positions
            .claim_mail(&r.ec, rid, Utc::now(), MAIL_LEASE_SECS)
            .await?
    {
        let to = recipients(app, r).await;
        if to.is_empty() {
            app.positions
                .complete_mail(&r.ec, rid, "", Utc::now())
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
                app.positions
                    .complete_mail(&r.ec, rid, &id, Utc::now())
                    .await?;
                tracing::info!(ec = %r.ec, receipt_id = rid, recipients = mail.to.len(), "receipt mailed");
            }
            Err(e) => {
                let _ = app.positions.release_mail(&r.ec, rid).await;
                return Err(e);
            }
        }
    }
    Ok(())
}
