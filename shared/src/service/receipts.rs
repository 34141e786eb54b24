//! Receipts for citizens: finding one (same answer for an unknown notice and a
//! fiscal code that is neither the debtor's nor the payer's), its PDF, and the
//! work owed after it arrives (PDF in S3, mail to debtor and payer).

use crate::domain::receipt::{Anomaly, Outcome, Work};
use crate::domain::text::Email;
use crate::domain::{EcFiscalCode, FiscalCode, NoticeNumber};
use crate::pdf::{Lang, PdfError, ReceiptDocument};
use crate::ports::{Attachment, Document, Mail, MailClaim, MailError, ReceiptRecord, StoreError};
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
    /// Another worker holds the mail's lease: try again after it expires.
    #[error("another worker holds the mail lease")]
    Busy,
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
            DeliveryError::Busy => true,
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
    object_key(&r.ec, &r.receipt.notice_number, &r.receipt.receipt_id, ext)
}

/// The S3 key of a receipt's document (`pdf`) or of its XML kept aside
/// (`receipt.xml`): the receiptId, which the PSP writes, keeps only
/// characters safe in a key.
pub fn object_key(ec: &EcFiscalCode, notice: &str, receipt_id: &str, ext: &str) -> String {
    let safe: String = receipt_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("receipts/{ec}/{notice}-{safe}.{ext}")
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
        created: app.clock.now(),
    };
    app.pdf.receipt(&doc)
}

/// The receipt PDF for a citizen: the one the worker stored, else rendered now
/// (rendering takes milliseconds). Only the worker writes documents: the
/// citizen-facing function may not.
pub async fn pdf(app: &App, r: &ReceiptRecord) -> Result<Vec<u8>, ReceiptError> {
    let key = document_key(r, "pdf");
    if let Some(doc) = app.documents.get(&key).await? {
        return Ok(doc.bytes);
    }
    Ok(render(app, r)?)
}

/// The `receipt` element exactly as the Nodo sent it (from the document store
/// when it was too large for the table).
pub async fn xml(app: &App, r: &ReceiptRecord) -> Result<Vec<u8>, ReceiptError> {
    match &r.xml_document {
        None => Ok(r.xml.clone().into_bytes()),
        Some(key) => match app.documents.get(key).await? {
            Some(doc) => Ok(doc.bytes),
            None => Err(ReceiptError::Store(StoreError::Corrupt(format!(
                "receipt XML {key} missing"
            )))),
        },
    }
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

/// How many times a mail the provider refuses (a bad address) is tried before
/// it is given up.
pub const MAX_REFUSED_ATTEMPTS: u32 = 3;

/// How many times a mail is tried at all before it is given up.
pub const MAX_MAIL_ATTEMPTS: u32 = 10;

/// Does the work a receipt still owes: the PDF in the document store, then the
/// mail. Safe to run any number of times, by any number of workers: the PDF is
/// idempotent, the mail is claimed with a lease. A failure leaves its work
/// owed and is returned, so the stream or the sweep runs it again; a PDF that
/// could not be stored is not marked done (the mail still goes, with it
/// attached). A mail refused [`MAX_REFUSED_ATTEMPTS`] times, or failed
/// [`MAX_MAIL_ATTEMPTS`] times, is given up and recorded as failed.
pub async fn deliver(app: &App, r: &ReceiptRecord) -> Result<(), DeliveryError> {
    if r.owed.is_empty() {
        return Ok(());
    }
    let key = document_key(r, "pdf");
    let stored = app.documents.get(&key).await?;
    let bytes = match &stored {
        Some(doc) => doc.bytes.clone(),
        None => render(app, r).map_err(DeliveryError::Render)?,
    };
    let mut pdf_failed = None;
    if r.owes(Work::Pdf) {
        let put = match stored {
            Some(_) => Ok(()),
            None => {
                let doc = Document {
                    content_type: "application/pdf".into(),
                    bytes: bytes.clone(),
                };
                app.documents.put(&key, &doc).await
            }
        };
        match put {
            Ok(()) => {
                app.receipts
                    .complete_owed(&r.ec, &r.receipt.receipt_id, Work::Pdf)
                    .await?
            }
            Err(e) => pdf_failed = Some(e),
        }
    }
    if r.owes(Work::Mail) {
        mail(app, r, bytes).await?;
    }
    match pdf_failed {
        Some(e) => Err(DeliveryError::Store(e)),
        None => Ok(()),
    }
}

async fn mail(app: &App, r: &ReceiptRecord, pdf: Vec<u8>) -> Result<(), DeliveryError> {
    let rid = r.receipt.receipt_id.as_str();
    let attempt = match app
        .receipts
        .claim_mail(&r.ec, rid, app.clock.now(), MAIL_LEASE_SECS)
        .await?
    {
        MailClaim::Claimed { attempt } => attempt,
        MailClaim::NotOwed => return Ok(()),
        // Retried later: the holder may have died, and its lease then expires.
        MailClaim::Leased => return Err(DeliveryError::Busy),
    };
    let to = recipients(app, r).await;
    if to.is_empty() {
        return complete_mail(app, r, "").await;
    }
    let ec_name = app
        .entities
        .get(&r.ec)
        .map(|e| e.name.clone())
        .unwrap_or_else(|| r.receipt.company_name.clone());
    let mail = Mail {
        date: app.clock.now(),
        to,
        subject: format!("Ricevuta di pagamento – {}", r.receipt.description),
        text: mail_text(r, &ec_name),
        attachments: vec![Attachment {
            filename: format!("ricevuta-{}.pdf", r.receipt.notice_number),
            content_type: "application/pdf".into(),
            bytes: pdf,
        }],
    };
    match app.mailer.send(&mail).await {
        Ok(id) => {
            complete_mail(app, r, &id).await?;
            tracing::info!(ec = %r.ec, receipt_id = rid, recipients = mail.to.len(), "receipt mailed");
            Ok(())
        }
        Err(e) => {
            let give_up = match e {
                MailError::Rejected(_) => attempt >= MAX_REFUSED_ATTEMPTS,
                MailError::Unavailable(_) => attempt >= MAX_MAIL_ATTEMPTS,
            };
            if give_up {
                app.receipts
                    .fail_mail(&r.ec, rid, &e.to_string(), app.clock.now())
                    .await?;
                tracing::error!(ec = %r.ec, receipt_id = rid, attempt, error = %e, "receipt mail given up");
                return Ok(());
            }
            if let Err(release) = app.receipts.release_mail(&r.ec, rid).await {
                tracing::warn!(error = %release, receipt_id = rid, "mail lease not released");
            }
            Err(e.into())
        }
    }
}

/// Records a sent mail, trying the write again a few times: the mail is out,
/// and a lost record would send it twice once the lease expires.
async fn complete_mail(app: &App, r: &ReceiptRecord, id: &str) -> Result<(), DeliveryError> {
    let mut last = None;
    for _ in 0..3 {
        match app
            .receipts
            .complete_mail(&r.ec, &r.receipt.receipt_id, id, app.clock.now())
            .await
        {
            Ok(()) => return Ok(()),
            Err(e) => last = Some(e),
        }
    }
    Err(last.expect("three attempts").into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::{Fakes, Fault};
    use crate::service::nodo;
    use crate::service::testkit::{
        self, ec, entity, kit, payable, receipt, send_receipt, stored, DEBTOR, PAYER,
    };

    async fn paid(app: &App, iupd: &str, id: &str) -> ReceiptRecord {
        let (_, n) = payable(app, iupd).await;
        send_receipt(app, &n, id).await.unwrap();
        stored(app, id).await.unwrap()
    }

    fn mails_to(fakes: &Fakes) -> Vec<Vec<String>> {
        fakes
            .mailer
            .sent()
            .iter()
            .map(|m| m.to.iter().map(|e| e.as_str().to_owned()).collect())
            .collect()
    }

    #[tokio::test]
    async fn a_function_without_the_pdf_and_mail_adapters_cannot_deliver_and_loses_nothing() {
        use crate::app::wiring;
        let (app, fakes) = kit().await;
        let r = paid(&app, "W-1", "w-1").await;
        for w in [
            0,
            wiring::MAIL,
            wiring::PDF | wiring::MAIL,
            wiring::MAIL | wiring::DOCUMENTS,
            wiring::PDF | wiring::DOCUMENTS,
        ] {
            let restricted = app.restricted_to(w);
            assert!(deliver(&restricted, &r).await.is_err(), "wiring {w}");
            assert!(fakes.mailer.sent().is_empty(), "wiring {w}");
            assert!(!stored(&app, "w-1").await.unwrap().owed.is_empty());
        }
        // The receipt worker's wiring delivers it.
        deliver(
            &app.restricted_to(wiring::PDF | wiring::MAIL | wiring::DOCUMENTS),
            &r,
        )
        .await
        .unwrap();
        assert_eq!(fakes.mailer.sent().len(), 1);
        assert!(stored(&app, "w-1").await.unwrap().owed.is_empty());
    }

    #[tokio::test]
    async fn delivery_stores_the_pdf_and_mails_debtor_and_payer_once() {
        let (app, fakes) = kit().await;
        let r = paid(&app, "D-1", "d-1").await;
        deliver(&app, &r).await.unwrap();
        let key = document_key(&r, "pdf");
        assert_eq!(fakes.documents.keys(), vec![key.clone()]);
        assert_eq!(
            mails_to(&fakes),
            vec![vec![
                "giuseppe.verdi@example.org".to_owned(),
                "mario.rossi@example.org".to_owned()
            ]]
        );
        let mail = &fakes.mailer.sent()[0];
        assert!(mail.attachments[0].bytes.starts_with(b"%PDF"));
        let after = stored(&app, "d-1").await.unwrap();
        assert!(after.owed.is_empty());
        assert!(fakes.store.mail_message_id(&ec(), "d-1").is_some());
        // The stream delivers the same record again: nothing more is sent.
        deliver(&app, &r).await.unwrap();
        deliver(&app, &after).await.unwrap();
        assert_eq!(fakes.mailer.sent().len(), 1);
    }

    #[tokio::test]
    async fn a_mail_that_fails_stays_owed_and_the_retry_sends_it_once() {
        let (app, fakes) = kit().await;
        let r = paid(&app, "D-2", "d-2").await;
        fakes.mailer.faults.inject("send", Fault::Unavailable, 1);
        let e = deliver(&app, &r).await.unwrap_err();
        assert!(matches!(e, DeliveryError::Mail(MailError::Unavailable(_))));
        assert!(e.is_transient());
        let after = stored(&app, "d-2").await.unwrap();
        assert_eq!(
            after.owed,
            vec![Work::Mail],
            "the PDF is done, the mail is owed"
        );
        // The lease was given back: the retry does not wait for it.
        deliver(&app, &after).await.unwrap();
        assert_eq!(fakes.mailer.sent().len(), 1);
        assert!(stored(&app, "d-2").await.unwrap().owed.is_empty());
    }

    #[tokio::test]
    async fn a_refused_mail_is_a_permanent_failure() {
        let (app, fakes) = kit().await;
        let r = paid(&app, "D-3", "d-3").await;
        fakes.mailer.faults.inject("send", Fault::Rejected, 1);
        let e = deliver(&app, &r).await.unwrap_err();
        assert!(matches!(e, DeliveryError::Mail(MailError::Rejected(_))));
        assert!(!e.is_transient());
    }

    #[tokio::test]
    async fn a_store_failure_during_delivery_is_retried_without_a_second_mail() {
        let (app, fakes) = kit().await;
        let r = paid(&app, "D-4", "d-4").await;
        fakes
            .store
            .faults
            .inject("complete_owed", Fault::Throttled, 1);
        let e = deliver(&app, &r).await.unwrap_err();
        assert!(e.is_transient());
        assert!(fakes.mailer.sent().is_empty(), "stopped before the mail");
        fakes
            .store
            .faults
            .inject("claim_mail", Fault::Unavailable, 1);
        assert!(deliver(&app, &r).await.is_err());
        assert!(fakes.mailer.sent().is_empty());
        deliver(&app, &r).await.unwrap();
        assert_eq!(fakes.mailer.sent().len(), 1);
    }

    #[tokio::test]
    async fn a_worker_holding_the_lease_keeps_others_from_mailing_but_not_for_ever() {
        let (app, fakes) = kit().await;
        let r = paid(&app, "D-5", "d-5").await;
        assert_eq!(
            app.receipts
                .claim_mail(&ec(), "d-5", testkit::now(), MAIL_LEASE_SECS)
                .await
                .unwrap(),
            MailClaim::Claimed { attempt: 1 }
        );
        // That worker died. Another one is told to come back, not that all is done.
        let e = deliver(&app, &r).await.unwrap_err();
        assert!(matches!(e, DeliveryError::Busy) && e.is_transient());
        assert!(fakes.mailer.sent().is_empty());
        let later = testkit::at(
            &app,
            testkit::now() + chrono::Duration::seconds(MAIL_LEASE_SECS + 1),
        );
        deliver(&later, &r).await.unwrap();
        assert_eq!(fakes.mailer.sent().len(), 1, "the lease expired");
        let after = stored(&app, "d-5").await.unwrap();
        assert_eq!(after.mail.attempts, 2);
        assert!(after.mail.sent_at.is_some());
    }

    #[tokio::test]
    async fn a_refused_address_is_given_up_after_a_few_attempts() {
        let (app, fakes) = kit().await;
        let r = paid(&app, "D-9", "d-9").await;
        fakes.mailer.faults.inject("send", Fault::Rejected, 10);
        for _ in 1..MAX_REFUSED_ATTEMPTS {
            assert!(deliver(&app, &r).await.is_err());
        }
        deliver(&app, &r).await.unwrap();
        let after = stored(&app, "d-9").await.unwrap();
        assert!(after.owed.is_empty(), "nothing left to loop on");
        let failed = after.mail.failed.clone().expect("recorded as failed");
        assert!(failed.reason.contains("refused"), "{}", failed.reason);
        assert_eq!(after.mail.attempts, MAX_REFUSED_ATTEMPTS);
        assert_eq!(
            fakes.mailer.faults.calls("send"),
            MAX_REFUSED_ATTEMPTS as usize
        );
        deliver(&app, &after).await.unwrap();
        assert_eq!(
            fakes.mailer.faults.calls("send"),
            MAX_REFUSED_ATTEMPTS as usize
        );
    }

    #[tokio::test]
    async fn a_mail_that_never_goes_is_given_up_too() {
        let (app, fakes) = kit().await;
        let r = paid(&app, "D-10", "d-10").await;
        fakes.mailer.faults.inject("send", Fault::Unavailable, 100);
        for _ in 1..MAX_MAIL_ATTEMPTS {
            assert!(deliver(&app, &r).await.unwrap_err().is_transient());
        }
        deliver(&app, &r).await.unwrap();
        let after = stored(&app, "d-10").await.unwrap();
        assert!(after.owed.is_empty() && after.mail.failed.is_some());
    }

    #[tokio::test]
    async fn a_pdf_that_was_not_stored_stays_owed_and_is_stored_once() {
        let (app, fakes) = kit().await;
        let r = paid(&app, "D-11", "d-11").await;
        fakes.documents.faults.inject("put", Fault::Unavailable, 1);
        let e = deliver(&app, &r).await.unwrap_err();
        assert!(matches!(e, DeliveryError::Store(_)) && e.is_transient());
        let after = stored(&app, "d-11").await.unwrap();
        assert_eq!(after.owed, vec![Work::Pdf], "not marked done");
        assert_eq!(fakes.mailer.sent().len(), 1, "the mail went with the PDF");
        assert!(fakes.documents.keys().is_empty());
        deliver(&app, &after).await.unwrap();
        assert_eq!(fakes.documents.keys().len(), 1);
        assert_eq!(fakes.mailer.sent().len(), 1);
        assert!(stored(&app, "d-11").await.unwrap().owed.is_empty());
    }

    #[tokio::test]
    async fn a_lost_record_of_a_sent_mail_is_written_again_not_sent_again() {
        let (app, fakes) = kit().await;
        let r = paid(&app, "D-12", "d-12").await;
        fakes
            .store
            .faults
            .inject("complete_mail", Fault::Unavailable, 2);
        deliver(&app, &r).await.unwrap();
        assert_eq!(fakes.mailer.sent().len(), 1);
        let after = stored(&app, "d-12").await.unwrap();
        assert!(after.owed.is_empty());
    }

    #[tokio::test]
    async fn the_sweep_finds_work_owed_since_before_a_time() {
        let (app, _) = kit().await;
        paid(&app, "D-13", "d-13").await;
        let before = |t| app.receipts.receipts_owing_work(t);
        assert!(
            before(testkit::now()).await.unwrap().is_empty(),
            "received at now"
        );
        let later = testkit::now() + chrono::Duration::minutes(1);
        assert_eq!(before(later).await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn a_receipt_with_no_address_completes_without_mail() {
        let (app, fakes) = kit().await;
        let (_, n) = payable(&app, "D-6").await;
        let mut rc = receipt(&n, "d-6", 15_050);
        rc.payer = None;
        nodo::receive(&app, entity(&app), rc, "<receipt/>".into(), vec![])
            .await
            .unwrap();
        // The position's debtor has an address: it is used.
        let r = stored(&app, "d-6").await.unwrap();
        deliver(&app, &r).await.unwrap();
        assert_eq!(
            mails_to(&fakes),
            vec![vec!["mario.rossi@example.org".to_owned()]]
        );
    }

    #[tokio::test]
    async fn the_receipt_is_found_by_debtor_or_payer_only() {
        let (app, _) = kit().await;
        let r = paid(&app, "D-7", "d-7").await;
        let n = NoticeNumber::parse(&r.receipt.notice_number).unwrap();
        for who in [DEBTOR, PAYER] {
            let f = find(&app, &n, &FiscalCode::parse(who).unwrap())
                .await
                .unwrap();
            assert_eq!(f.receipt.receipt_id, "d-7");
        }
        let stranger = FiscalCode::parse("CNTCHR83T41D969D").unwrap();
        assert!(matches!(
            find(&app, &n, &stranger).await,
            Err(ReceiptError::NotFound)
        ));
    }

    #[tokio::test]
    async fn a_citizen_gets_the_stored_pdf_or_one_rendered_without_writing() {
        let (app, fakes) = kit().await;
        let r = paid(&app, "D-8", "d-8").await;
        let first = pdf(&app, &r).await.unwrap();
        assert!(first.starts_with(b"%PDF"));
        assert_eq!(
            fakes.documents.faults.calls("put"),
            0,
            "only the worker writes"
        );
        deliver(&app, &r).await.unwrap();
        assert_eq!(fakes.documents.keys().len(), 1);
        let gets = fakes.documents.faults.calls("get");
        assert!(pdf(&app, &r).await.unwrap().starts_with(b"%PDF"));
        assert_eq!(
            fakes.documents.faults.calls("get"),
            gets + 1,
            "read from the store"
        );
        assert_eq!(fakes.documents.faults.calls("put"), 1);
        fakes.documents.faults.inject("get", Fault::Unavailable, 1);
        assert!(matches!(
            pdf(&app, &r).await,
            Err(ReceiptError::Store(StoreError::Unavailable(_)))
        ));
    }
}
