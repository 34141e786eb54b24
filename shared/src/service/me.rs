//! The reserved area: what a signed-in citizen owes and paid. A citizen sees
//! only positions where they are the debtor, and receipts where they are the
//! debtor or the payer.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::domain::{AmountCents, EcFiscalCode, FiscalCode, NoticeNumber, NoticeStatus, Position};
use crate::ports::{ReceiptRecord, StoreError};
use crate::service::notices::{self, LookupError, NoticeSummary};
use crate::App;

/// One notice of the citizen's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    pub ec_fiscal_code: EcFiscalCode,
    pub company_name: String,
    pub notice_number: NoticeNumber,
    pub description: String,
    pub amount_cents: AmountCents,
    pub due_date: NaiveDate,
    pub installment: bool,
    pub status: NoticeStatus,
    /// Created without login by someone else (see `Position::anonymous`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub anonymous: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paid_at: Option<DateTime<Utc>>,
    /// Receipts of this notice: `(ec, receiptId)`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub receipts: Vec<ReceiptRef>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceiptRef {
    pub ec_fiscal_code: EcFiscalCode,
    pub receipt_id: String,
}

/// A receipt the citizen paid for somebody else's notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PaidForOthers {
    pub ec_fiscal_code: EcFiscalCode,
    pub company_name: String,
    pub notice_number: String,
    pub description: String,
    pub amount_cents: u64,
    /// The debtor's name (not their fiscal code).
    pub debtor_name: String,
    pub receipt_id: String,
    pub received_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct MyPositions {
    pub to_pay: Vec<Entry>,
    pub expired: Vec<Entry>,
    pub paid: Vec<Entry>,
    /// Payable notices created in the citizen's name by someone not signed in
    /// as them: shown apart, so that nobody can fill another's list of debts.
    /// Once expired or cancelled they are not listed at all.
    pub created_without_login: Vec<Entry>,
    pub paid_for_others: Vec<PaidForOthers>,
}

/// Sorts a citizen's positions into to pay (by due date), expired and paid
/// (latest first), and the payable ones created without login apart.
/// Cancelled and withdrawn notices are left out, and so are expired ones
/// created without login.
pub fn classify(
    positions: &[Position],
    company_name: impl Fn(&EcFiscalCode) -> String,
    today: NaiveDate,
) -> MyPositions {
    let mut out = MyPositions::default();
    for p in positions {
        for o in &p.payment_options {
            let status = p.notice_status(o, today);
            let e = Entry {
                ec_fiscal_code: p.ec_fiscal_code.clone(),
                company_name: company_name(&p.ec_fiscal_code),
                notice_number: o.notice_number,
                description: if o.description.as_str() == p.description.as_str() {
                    p.description.to_string()
                } else {
                    format!("{} – {}", p.description, o.description)
                },
                amount_cents: o.amount_cents,
                due_date: o.due_date,
                installment: o.installment,
                status,
                anonymous: p.anonymous,
                paid_at: o.payment.as_ref().map(|x| x.paid_at),
                receipts: o
                    .payment
                    .as_ref()
                    .map(|x| {
                        vec![ReceiptRef {
                            ec_fiscal_code: p.ec_fiscal_code.clone(),
                            receipt_id: x.receipt_id.clone(),
                        }]
                    })
                    .unwrap_or_default(),
            };
            match (status, p.anonymous) {
                (NoticeStatus::Payable, true) => out.created_without_login.push(e),
                (NoticeStatus::Payable, false) => out.to_pay.push(e),
                (NoticeStatus::Expired, false) => out.expired.push(e),
                (NoticeStatus::Paid, _) => out.paid.push(e),
                (NoticeStatus::Expired | NoticeStatus::Cancelled, _) => {}
            }
        }
    }
    out.to_pay.sort_by_key(|e| (e.due_date, e.notice_number));
    out.created_without_login
        .sort_by_key(|e| (e.due_date, e.notice_number));
    out.expired
        .sort_by_key(|e| std::cmp::Reverse((e.due_date, e.notice_number)));
    out.paid.sort_by_key(|e| std::cmp::Reverse(e.paid_at));
    out
}

fn paid_for_others(
    receipts: Vec<ReceiptRecord>,
    me: &FiscalCode,
    company_name: impl Fn(&EcFiscalCode) -> String,
) -> Vec<PaidForOthers> {
    let mut list: Vec<PaidForOthers> = receipts
        .into_iter()
        .filter(|r| {
            r.receipt
                .payer
                .as_ref()
                .is_some_and(|p| p.id.eq_ignore_ascii_case(me.as_str()))
                && !r.receipt.debtor.id.eq_ignore_ascii_case(me.as_str())
        })
        .map(|r| PaidForOthers {
            company_name: company_name(&r.receipt.fiscal_code),
            ec_fiscal_code: r.receipt.fiscal_code.clone(),
            notice_number: r.receipt.notice_number.clone(),
            description: r.receipt.description.clone(),
            amount_cents: r.receipt.payment_amount_cents,
            debtor_name: r.receipt.debtor.full_name.clone(),
            receipt_id: r.receipt.receipt_id.clone(),
            received_at: r.received_at,
        })
        .collect();
    list.sort_by_key(|e| std::cmp::Reverse(e.received_at));
    list
}

/// Everything the reserved area lists for this citizen.
pub async fn positions(app: &App, me: &FiscalCode) -> Result<MyPositions, StoreError> {
    let name = |ec: &EcFiscalCode| {
        app.entities
            .get(ec)
            .map(|e| e.name.clone())
            .unwrap_or_else(|| ec.to_string())
    };
    let (mine, paid) = tokio::try_join!(
        app.positions.find_by_debtor(me),
        app.receipts.receipts_for_payer(me)
    )?;
    let mut out = classify(&mine, name, app.clock.today());
    out.paid_for_others = paid_for_others(paid, me, name);
    Ok(out)
}

/// The summary of one of the citizen's own notices; 404 for anybody else's.
pub async fn notice(
    app: &App,
    me: &FiscalCode,
    notice: &NoticeNumber,
) -> Result<NoticeSummary, LookupError> {
    notices::verify(app, notice, me).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn position(iupd: &str, options: serde_json::Value) -> Position {
        let draft = crate::service::positions::parse_draft(&json!({"iupd": iupd,
            "debtor": {"type": "F", "fiscalCode": "RSSMRA85T10A562S", "fullName": "Mario Rossi"},
            "serviceCode": "TARI", "description": "TARI 2026", "switchToExpired": true,
            "paymentOptions": options}))
        .unwrap();
        let n = draft.missing_notice_numbers() as u64;
        let generated = (1..=n).map(|s| {
            NoticeNumber::generate(
                crate::domain::SegregationCode::new(1).unwrap(),
                s + iupd.len() as u64 * 10,
            )
            .unwrap()
        });
        draft
            .build(
                EcFiscalCode::parse("77777777777").unwrap(),
                generated,
                Utc::now(),
            )
            .unwrap()
    }

    fn option(cents: u64, due: &str) -> serde_json::Value {
        json!({"amountCents": cents, "dueDate": due, "description": "TARI 2026",
            "transfers": [{"ecFiscalCode": "77777777777", "iban": "IT60X0542811101000000123456",
                "amountCents": cents, "remittanceInformation": "TARI", "category": "9/0101100IM/"}]})
    }

    #[test]
    fn sorts_into_to_pay_expired_and_paid() {
        let today = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
        let due_later = position("A", json!([option(100, "2026-12-31")]));
        let due_sooner = position("BB", json!([option(200, "2026-07-01")]));
        let expired = position("CCC", json!([option(300, "2026-01-31")]));
        let mut paid = position("DDDD", json!([option(400, "2026-12-31")]));
        let n = paid.payment_options[0].notice_number;
        let payment = crate::domain::position::Payment {
            receipt_id: "r-1".into(),
            paid_at: Utc::now(),
        };
        paid = match paid.record_payment(&n, payment, today) {
            Ok(crate::domain::position::Recorded::Paid(p)) => p,
            other => panic!("{other:?}"),
        };
        let amounts = |v: &[Entry]| v.iter().map(|e| e.amount_cents.cents()).collect::<Vec<_>>();
        let mut cancelled = position("EEEEE", json!([option(500, "2026-12-31")]));
        cancelled = cancelled.cancel(Utc::now()).unwrap();
        let mut anonymous = position("FFFFFF", json!([option(600, "2026-06-08")]));
        anonymous.anonymous = true;
        let mut anonymous_expired = position("GGGGGGG", json!([option(700, "2026-05-08")]));
        anonymous_expired.anonymous = true;
        let all = [
            due_later,
            due_sooner,
            expired,
            paid,
            cancelled,
            anonymous,
            anonymous_expired,
        ];
        let m = classify(&all, |_| "Comune di Prova".into(), today);
        assert_eq!(amounts(&m.created_without_login), vec![600]);
        assert!(m.created_without_login[0].anonymous);
        assert_eq!(amounts(&m.to_pay), vec![200, 100]);
        assert_eq!(amounts(&m.expired), vec![300]);
        assert_eq!(amounts(&m.paid), vec![400]);
        assert_eq!(m.paid[0].receipts[0].receipt_id, "r-1");
        assert_eq!(m.to_pay[0].company_name, "Comune di Prova");
    }
}
