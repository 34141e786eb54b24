//! Replacing an unpaid position (the operator API's PUT): what may change and
//! which notice numbers the new options carry.
//!
//! The position keeps its notice numbers: an option may name one of them
//! (`noticeNumber`); the options that name none take the position's numbers
//! not named elsewhere, in their order; only options beyond those get new
//! numbers. A number the revision drops stays claimed by the position (a
//! printed notice carrying it must never pay another debt), and answers as
//! unknown from then on.

use chrono::{DateTime, Utc};

use super::errors::FieldErrors;
use super::notice::NoticeNumber;
use super::position::{Position, PositionDraft};

/// Why a position cannot be replaced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RevisionError {
    #[error("the position is cancelled")]
    Cancelled,
    /// An option is paid: the position is history, not a debt to correct.
    #[error("an option is paid")]
    Paid,
    #[error("invalid revision: {0}")]
    Invalid(FieldErrors),
}

/// The numbers the revised options take; `None` where a new one is needed.
pub fn assign_numbers(
    current: &Position,
    draft: &PositionDraft,
) -> Result<Vec<Option<NoticeNumber>>, RevisionError> {
    if current.is_cancelled() {
        return Err(RevisionError::Cancelled);
    }
    if current.payment_options.iter().any(|o| o.is_paid()) {
        return Err(RevisionError::Paid);
    }
    let mut errors = FieldErrors::default();
    if draft.iupd != current.iupd {
        errors.push(
            "iupd",
            "deve coincidere con l'iupd dell'indirizzo della richiesta",
        );
    }
    let owned: Vec<NoticeNumber> = current
        .payment_options
        .iter()
        .map(|o| o.notice_number)
        .collect();
    for (i, o) in draft.payment_options.iter().enumerate() {
        if let Some(n) = o.notice_number {
            if !owned.contains(&n) {
                errors.push(
                    format!("paymentOptions[{i}].noticeNumber"),
                    "non è un codice avviso di questa posizione: ometterlo per generarne uno nuovo",
                );
            }
        }
    }
    if !errors.is_empty() {
        return Err(RevisionError::Invalid(errors));
    }
    let named: Vec<NoticeNumber> = draft
        .payment_options
        .iter()
        .filter_map(|o| o.notice_number)
        .collect();
    let mut free = owned.into_iter().filter(|n| !named.contains(n));
    Ok(draft
        .payment_options
        .iter()
        .map(|o| o.notice_number.or_else(|| free.next()))
        .collect())
}

/// The revised position: the draft with its numbers (`generated` fills the
/// gaps left by [`assign_numbers`]), created when the original was.
pub fn revise(
    current: &Position,
    mut draft: PositionDraft,
    numbers: Vec<Option<NoticeNumber>>,
    generated: impl IntoIterator<Item = NoticeNumber>,
    created_at: DateTime<Utc>,
) -> Result<Position, RevisionError> {
    for (o, n) in draft.payment_options.iter_mut().zip(numbers) {
        o.notice_number = n;
    }
    let p = draft
        .build(current.ec_fiscal_code.clone(), generated, created_at)
        .map_err(RevisionError::Invalid)?;
    Ok(Position {
        anonymous: current.anonymous,
        ..p
    })
}

/// The numbers of `revised` that `current` did not hold (to be claimed).
pub fn new_numbers(current: &Position, revised: &Position) -> Vec<NoticeNumber> {
    revised
        .payment_options
        .iter()
        .map(|o| o.notice_number)
        .filter(|n| current.option(n).is_none())
        .collect()
}

/// Whether `draft` says what `existing` holds (an import's row read again):
/// every field the same, and each option's notice number where the draft
/// names one (otherwise the one drawn for it stands).
pub fn same_content(existing: &Position, draft: &PositionDraft) -> bool {
    existing.iupd == draft.iupd
        && existing.debtor == draft.debtor
        && existing.service_code == draft.service_code
        && existing.description == draft.description
        && existing.switch_to_expired == draft.switch_to_expired
        && existing.service_data == draft.service_data
        && existing.anonymous == draft.anonymous
        && existing.payment_options.len() == draft.payment_options.len()
        && existing
            .payment_options
            .iter()
            .zip(&draft.payment_options)
            .all(|(e, d)| {
                d.notice_number.is_none_or(|n| n == e.notice_number)
                    && e.amount_cents == d.amount_cents
                    && e.due_date == d.due_date
                    && e.description == d.description
                    && e.installment == d.installment
                    && e.transfers == d.transfers
            })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::positions::parse_draft;
    use crate::service::testkit::{ec, kit, payable, position};
    use serde_json::json;

    fn draft_of(p: &Position, options: serde_json::Value) -> PositionDraft {
        let mut doc = crate::service::positions::view(p, chrono::NaiveDate::MIN);
        let obj = doc.as_object_mut().unwrap();
        for k in ["ecFiscalCode", "createdAt", "status", "cancelledAt"] {
            obj.remove(k);
        }
        doc["paymentOptions"] = options;
        parse_draft(&doc).unwrap()
    }

    fn option(cents: u64, notice: Option<&NoticeNumber>) -> serde_json::Value {
        let mut o = json!({"amountCents": cents, "dueDate": "2026-12-31", "description": "Rata",
            "installment": true,
            "transfers": [{"ecFiscalCode": crate::service::testkit::EC, "iban": "IT60X0542811101000000123456",
                "amountCents": cents, "remittanceInformation": "TARI", "category": "9/0101100IM/"}]});
        if let Some(n) = notice {
            o["noticeNumber"] = json!(n.as_str());
        }
        o
    }

    #[tokio::test]
    async fn options_keep_the_positions_numbers_and_only_extra_ones_are_new() {
        let (app, _) = kit().await;
        let p = position(
            &app,
            "R-1",
            &[(100, "2026-12-31", true), (200, "2026-12-31", true)],
        )
        .await;
        let (a, b) = (
            p.payment_options[0].notice_number,
            p.payment_options[1].notice_number,
        );
        // Unnamed options take the numbers in order; a third needs a new one.
        let d = draft_of(
            &p,
            json!([option(1, None), option(2, None), option(3, None)]),
        );
        assert_eq!(
            assign_numbers(&p, &d).unwrap(),
            vec![Some(a), Some(b), None]
        );
        // A named number is kept where named; the others fill the gaps.
        let d = draft_of(&p, json!([option(1, None), option(2, Some(&a))]));
        assert_eq!(assign_numbers(&p, &d).unwrap(), vec![Some(b), Some(a)]);
        // Fewer options: the dropped number is not reused elsewhere.
        let d = draft_of(&p, json!([option(5, Some(&b))]));
        let numbers = assign_numbers(&p, &d).unwrap();
        let revised = revise(&p, d, numbers, [], p.created_at).unwrap();
        assert_eq!(revised.payment_options[0].notice_number, b);
        assert_eq!(revised.payment_options[0].amount_cents.cents(), 5);
        assert!(new_numbers(&p, &revised).is_empty());
        // A number of another position, a different iupd: named fields.
        let (_, foreign) = payable(&app, "R-2").await;
        let mut d = draft_of(&p, json!([option(1, Some(&foreign))]));
        d.iupd = crate::domain::text::Iupd::parse("R-9").unwrap();
        match assign_numbers(&p, &d) {
            Err(RevisionError::Invalid(f)) => {
                assert_eq!(f.fields(), vec!["iupd", "paymentOptions[0].noticeNumber"])
            }
            other => panic!("{other:?}"),
        }
        // A new number drawn for the third option is reported for claiming.
        let d = draft_of(
            &p,
            json!([option(1, None), option(2, None), option(3, None)]),
        );
        let numbers = assign_numbers(&p, &d).unwrap();
        let fresh = NoticeNumber::parse("347123456789012389").unwrap();
        let revised = revise(&p, d, numbers, [fresh], p.created_at).unwrap();
        assert_eq!(new_numbers(&p, &revised), vec![fresh]);
        assert_eq!(revised.created_at, p.created_at);
        assert_eq!(revised.ec_fiscal_code, ec());
    }

    #[tokio::test]
    async fn the_same_content_is_recognised_whatever_numbers_were_drawn() {
        let (app, _) = kit().await;
        let (p, n) = payable(&app, "S-1").await;
        let mut doc = crate::service::positions::view(&p, chrono::NaiveDate::MIN);
        for k in ["ecFiscalCode", "createdAt", "status"] {
            doc.as_object_mut().unwrap().remove(k);
        }
        for o in doc["paymentOptions"].as_array_mut().unwrap() {
            for k in ["noticeNumber", "iuv", "status"] {
                o.as_object_mut().unwrap().remove(k);
            }
        }
        assert!(same_content(&p, &parse_draft(&doc).unwrap()));
        doc["paymentOptions"][0]["noticeNumber"] = json!(n.as_str());
        assert!(same_content(&p, &parse_draft(&doc).unwrap()));
        let mut other = doc.clone();
        other["paymentOptions"][0]["noticeNumber"] = json!("347123456789012389");
        assert!(!same_content(&p, &parse_draft(&other).unwrap()));
        let mut other = doc.clone();
        other["paymentOptions"][0]["dueDate"] = json!("2026-12-30");
        assert!(!same_content(&p, &parse_draft(&other).unwrap()));
        let mut other = doc.clone();
        other["debtor"]["fullName"] = json!("Maria Rossi");
        assert!(!same_content(&p, &parse_draft(&other).unwrap()));
    }

    #[tokio::test]
    async fn paid_or_cancelled_positions_are_not_revised() {
        let (app, _) = kit().await;
        let (p, n) = payable(&app, "R-3").await;
        let d = draft_of(&p, json!([option(1, None)]));
        let cancelled = p.cancel(p.created_at).unwrap();
        assert_eq!(
            assign_numbers(&cancelled, &d),
            Err(RevisionError::Cancelled)
        );
        crate::service::testkit::send_receipt(&app, &n, "r-1")
            .await
            .unwrap();
        let paid = crate::service::positions::get(&app, &ec(), &p.iupd)
            .await
            .unwrap()
            .value;
        assert_eq!(assign_numbers(&paid, &d), Err(RevisionError::Paid));
    }
}
