//! The payments export: what was paid to an EC in a period, for its
//! accounting. One row per transfer credited to the EC (a receipt that pays
//! several ECs gives each its own rows), in order of payment; and the
//! receipts' XML of the period as one ZIP.

use std::io::Write;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use serde::Serialize;

use crate::domain::clock::from_rome_time;
use crate::domain::{EcFiscalCode, FieldErrors};
use crate::ports::{ReceiptRecord, StoreError};
use crate::service::receipts;
use crate::App;

/// The longest period one export covers.
pub const MAX_DAYS: i64 = 366;
/// Rows of one JSON page, at most.
pub const MAX_PAGE: usize = 1000;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("EC not served by this portal")]
    UnknownEc,
    #[error("invalid period: {0}")]
    Invalid(FieldErrors),
    #[error("payments not readable")]
    Store(#[from] StoreError),
    #[error("archive not written: {0}")]
    Archive(String),
}

/// Days `from` to `to`, both included, in Italian time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

fn rome_midnight(d: NaiveDate) -> Option<DateTime<Utc>> {
    from_rome_time(d.and_time(NaiveTime::MIN))
}

/// Reads `from` and `to` (`YYYY-MM-DD`, both included, at most [`MAX_DAYS`]).
pub fn period(from: Option<&str>, to: Option<&str>) -> Result<Period, FieldErrors> {
    let mut errors = FieldErrors::default();
    let mut day = |name: &str, v: Option<&str>| match v.map(|v| v.parse::<NaiveDate>()) {
        Some(Ok(d)) if crate::domain::clock::sane(d) => Some(d),
        Some(_) => {
            errors.push(name, "deve essere una data AAAA-MM-GG");
            None
        }
        None => {
            errors.push(name, "obbligatorio (AAAA-MM-GG)");
            None
        }
    };
    let (from, to) = (day("from", from), day("to", to));
    let (Some(from), Some(to)) = (from, to) else {
        return Err(errors);
    };
    if to < from {
        return Err(FieldErrors::single("to", "non può precedere from"));
    }
    if (to - from).num_days() >= MAX_DAYS {
        return Err(FieldErrors::single(
            "to",
            format!("il periodo può coprire al massimo {MAX_DAYS} giorni"),
        ));
    }
    match (rome_midnight(from), rome_midnight(to + Duration::days(1))) {
        (Some(from), Some(to)) => Ok(Period { from, to }),
        _ => Err(FieldErrors::single("from", "data non valida")),
    }
}

/// One transfer of one receipt, as accounting reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentRow {
    pub paid_at: DateTime<Utc>,
    pub notice_number: String,
    pub iuv: String,
    pub iupd: Option<String>,
    /// The position's service (not exported: the console's summary).
    #[serde(skip)]
    pub service_code: Option<String>,
    pub receipt_id: String,
    pub transfer_id: u8,
    /// The transfer's amount (what this EC is credited).
    pub amount_cents: u64,
    /// The whole payment (every transfer; without the PSP's fee).
    pub payment_amount_cents: u64,
    pub iban: Option<String>,
    pub remittance_information: String,
    pub category: String,
    pub debtor_fiscal_code: String,
    pub payer_fiscal_code: Option<String>,
    pub psp_id: String,
    pub psp_name: String,
    /// `reported` once a reporting flow reported the transfer, else `not_reported`.
    pub reconciliation: &'static str,
    pub flow_id: Option<String>,
    /// The day the PSP's transfer settled, from the flow.
    pub regulation_date: Option<NaiveDate>,
}

/// The CSV header: the JSON field names, in order.
pub const CSV_HEADER: [&str; 18] = [
    "paidAt",
    "noticeNumber",
    "iuv",
    "iupd",
    "receiptId",
    "transferId",
    "amountCents",
    "paymentAmountCents",
    "iban",
    "remittanceInformation",
    "category",
    "debtorFiscalCode",
    "payerFiscalCode",
    "pspId",
    "pspName",
    "reconciliation",
    "flowId",
    "regulationDate",
];

/// The rows of one receipt for `ec`: its transfers credited to `ec`.
pub fn rows(ec: &EcFiscalCode, r: &ReceiptRecord) -> Vec<PaymentRow> {
    let t = &r.receipt;
    t.transfers
        .iter()
        .filter(|tr| &tr.fiscal_code_pa == ec)
        .map(|tr| PaymentRow {
            paid_at: r.paid_at(),
            notice_number: t.notice_number.clone(),
            iuv: t.creditor_reference_id.clone(),
            iupd: r.iupd.as_ref().map(|i| i.to_string()),
            service_code: r.service_code.as_ref().map(|c| c.to_string()),
            receipt_id: t.receipt_id.clone(),
            transfer_id: tr.id_transfer,
            amount_cents: tr.amount_cents,
            payment_amount_cents: t.payment_amount_cents,
            iban: tr.iban.clone(),
            remittance_information: tr.remittance_information.clone(),
            category: tr.transfer_category.clone(),
            debtor_fiscal_code: t.debtor.id.clone(),
            payer_fiscal_code: t.payer.as_ref().map(|p| p.id.clone()),
            psp_id: t.id_psp.clone(),
            psp_name: t.psp_company_name.clone(),
            reconciliation: "not_reported",
            flow_id: None,
            regulation_date: None,
        })
        .collect()
}

/// The rows of a page of receipts, with what the reporting flows said of each.
async fn rows_of(
    app: &App,
    ec: &EcFiscalCode,
    records: &[ReceiptRecord],
) -> Result<Vec<PaymentRow>, ExportError> {
    let mut out: Vec<PaymentRow> = records.iter().flat_map(|r| rows(ec, r)).collect();
    let keys: Vec<(String, u8)> = out.iter().map(|r| (r.iuv.clone(), r.transfer_id)).collect();
    let reported = app.reporting.reported(ec, &keys).await?;
    for (row, rep) in out.iter_mut().zip(reported) {
        if let Some(rep) = rep {
            row.reconciliation = "reported";
            row.flow_id = Some(rep.flow_id);
            row.regulation_date = Some(rep.regulation_date);
        }
    }
    Ok(out)
}

fn served(app: &App, ec: &EcFiscalCode) -> Result<(), ExportError> {
    app.entities
        .get(ec)
        .map(|_| ())
        .ok_or(ExportError::UnknownEc)
}

/// One page of rows: receipts after `after` (a cursor a previous page gave),
/// at most `limit` receipts; and the cursor of the next page.
pub async fn page(
    app: &App,
    ec: &EcFiscalCode,
    period: Period,
    after: Option<&str>,
    limit: usize,
) -> Result<(Vec<PaymentRow>, Option<String>), ExportError> {
    served(app, ec)?;
    let page = app
        .ledger
        .paid_between(ec, period.from, period.to, after, limit.clamp(1, MAX_PAGE))
        .await?;
    Ok((rows_of(app, ec, &page.records).await?, page.next))
}

pub async fn csv(app: &App, ec: &EcFiscalCode, period: Period) -> Result<Vec<u8>, ExportError> {
    served(app, ec)?;
    // The header written once, even for an empty period.
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    let fail = |e: csv::Error| ExportError::Archive(e.to_string());
    w.write_record(CSV_HEADER).map_err(fail)?;
    let mut after: Option<String> = None;
    loop {
        let page = app
            .ledger
            .paid_between(ec, period.from, period.to, after.as_deref(), MAX_PAGE)
            .await?;
        for row in rows_of(app, ec, &page.records).await? {
            w.serialize(row).map_err(fail)?;
        }
        match page.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    w.into_inner()
        .map_err(|e| ExportError::Archive(e.to_string()))
}

/// The receipts' XML of the period (exactly as the Nodo sent each), one
/// `<noticeNumber>-<receiptId>.xml` entry each, in a ZIP.
pub async fn receipts_zip(
    app: &App,
    ec: &EcFiscalCode,
    period: Period,
) -> Result<Vec<u8>, ExportError> {
    served(app, ec)?;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let fail = |e: &dyn std::fmt::Display| ExportError::Archive(e.to_string());
    // Page by page: only one page of records is held at a time.
    let mut after: Option<String> = None;
    loop {
        let page = app
            .ledger
            .paid_between(ec, period.from, period.to, after.as_deref(), MAX_PAGE)
            .await?;
        for r in &page.records {
            let xml = match receipts::xml(app, r).await {
                Ok(x) => x,
                Err(receipts::ReceiptError::Store(s)) => return Err(s.into()),
                Err(e) => return Err(fail(&e)),
            };
            let key =
                receipts::object_key(ec, &r.receipt.notice_number, &r.receipt.receipt_id, "xml");
            let name = key.rsplit('/').next().unwrap_or(&key).to_owned();
            zip.start_file(name, options).map_err(|e| fail(&e))?;
            zip.write_all(&xml).map_err(|e| fail(&e))?;
        }
        match page.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    Ok(zip.finish().map_err(|e| fail(&e))?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::receipt::ReceiptTransfer;
    use crate::service::nodo;
    use crate::service::testkit::{ec, entity, kit, payable, receipt, EC, OTHER_EC};

    fn transfer(id: u8, ec: &str, cents: u64) -> ReceiptTransfer {
        ReceiptTransfer {
            id_transfer: id,
            amount_cents: cents,
            fiscal_code_pa: EcFiscalCode::parse(ec).unwrap(),
            company_name: None,
            iban: Some("IT60X0542811101000000123456".into()),
            mbd_attachment: None,
            remittance_information: "TARI 2026".into(),
            transfer_category: "9/0101100IM/".into(),
            metadata: vec![],
        }
    }

    #[test]
    fn a_period_is_whole_italian_days_of_at_most_a_year() {
        let p = period(Some("2026-06-01"), Some("2026-06-30")).unwrap();
        assert_eq!(p.from.to_rfc3339(), "2026-05-31T22:00:00+00:00");
        assert_eq!(p.to.to_rfc3339(), "2026-06-30T22:00:00+00:00");
        let winter = period(Some("2026-01-01"), Some("2026-01-01")).unwrap();
        assert_eq!(winter.from.to_rfc3339(), "2025-12-31T23:00:00+00:00");
        assert_eq!(winter.to.to_rfc3339(), "2026-01-01T23:00:00+00:00");
        assert_eq!(
            period(None, Some("x")).unwrap_err().fields(),
            vec!["from", "to"]
        );
        assert_eq!(
            period(Some("2026-06-02"), Some("2026-06-01"))
                .unwrap_err()
                .fields(),
            vec!["to"]
        );
        assert!(period(Some("2026-01-01"), Some("2026-12-31")).is_ok());
        assert!(period(Some("2025-01-01"), Some("2026-01-01")).is_ok());
        assert!(period(Some("2024-12-31"), Some("2026-01-01")).is_err());
        assert!(period(Some("31/01/2026"), Some("2026-02-01")).is_err());
    }

    #[tokio::test]
    async fn rows_follow_the_time_of_payment_page_by_page_and_only_the_ecs_transfers() {
        let (app, fakes) = kit().await;
        let mut notices = Vec::new();
        for i in 0..5 {
            let (_, n) = payable(&app, &format!("L-{i}")).await;
            notices.push(n);
        }
        // Paid an hour apart, the first one to the EC and another EC.
        for (i, n) in notices.iter().enumerate() {
            let mut r = receipt(n, &format!("rcpt-{i}"), 15_050);
            r.payment_date_time = Some(format!("2026-06-01T1{}:00:00", 5 - i));
            r.transfers = vec![transfer(1, EC, 15_050 - 5_000 * u64::from(i == 0))];
            if i == 0 {
                r.transfers.push(transfer(2, OTHER_EC, 5_000));
            }
            nodo::receive(&app, entity(&app), r, "<r/>".into(), vec![])
                .await
                .unwrap();
        }
        let day = period(Some("2026-06-01"), Some("2026-06-01")).unwrap();
        let (first, next) = page(&app, &ec(), day, None, 2).await.unwrap();
        assert_eq!(
            first
                .iter()
                .map(|r| r.receipt_id.as_str())
                .collect::<Vec<_>>(),
            ["rcpt-4", "rcpt-3"]
        );
        assert_eq!(first[0].iupd.as_deref(), Some("L-4"));
        assert_eq!(first[0].amount_cents, 15_050);
        assert_eq!(first[0].notice_number, notices[4].as_str());
        assert_eq!(first[0].paid_at.to_rfc3339(), "2026-06-01T09:00:00+00:00");
        let (rest, end) = page(&app, &ec(), day, next.as_deref(), 10).await.unwrap();
        assert_eq!(rest.len(), 3);
        assert!(end.is_none());
        // The receipt that paid two ECs: only this EC's transfer.
        let last = rest.last().unwrap();
        assert_eq!((last.receipt_id.as_str(), last.transfer_id), ("rcpt-0", 1));
        assert_eq!(
            (last.amount_cents, last.payment_amount_cents),
            (10_050, 15_050)
        );
        // Another day, another EC: nothing.
        let other_day = period(Some("2026-06-02"), Some("2026-06-02")).unwrap();
        assert!(page(&app, &ec(), other_day, None, 10)
            .await
            .unwrap()
            .0
            .is_empty());
        let other = EcFiscalCode::parse(OTHER_EC).unwrap();
        assert!(page(&app, &other, day, None, 10)
            .await
            .unwrap()
            .0
            .is_empty());
        // CSV: the header and one line per transfer.
        let text = String::from_utf8(csv(&app, &ec(), day).await.unwrap()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], CSV_HEADER.join(","));
        assert_eq!(lines.len(), 6);
        assert!(lines[1].contains(",rcpt-4,1,15050,15050,"), "{}", lines[1]);
        assert!(lines[5].contains(",rcpt-0,1,10050,15050,"), "{}", lines[5]);
        // ZIP: one XML per receipt, as received.
        let bytes = receipts_zip(&app, &ec(), day).await.unwrap();
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(zip.len(), 5);
        let mut xml = String::new();
        std::io::Read::read_to_string(&mut zip.by_index(0).unwrap(), &mut xml).unwrap();
        assert_eq!(xml, "<r/>");
        // The store down: an error, not an empty export.
        fakes
            .store
            .faults
            .inject("paid_between", crate::memory::Fault::Unavailable, 1);
        assert!(matches!(
            csv(&app, &ec(), day).await,
            Err(ExportError::Store(_))
        ));
        let unknown = EcFiscalCode::parse("01199250158").unwrap();
        assert!(matches!(
            page(&app, &unknown, day, None, 1).await,
            Err(ExportError::UnknownEc)
        ));
    }
}
