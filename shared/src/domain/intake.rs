//! What a receipt the Nodo delivers does to the EC's positions: which position
//! it pays, which anomaly it carries, what work it owes citizens. Pure: the use
//! case reads the position, calls [`classify`], and stores the result.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use super::clock::{from_rome_time, sane};
use super::fiscal_code::EcFiscalCode;
use super::notice::NoticeNumber;
use super::position::{NotPayable, Payment, Position, Recorded, TransitionError};
use super::receipt::{Anomaly, Outcome, Receipt, Work};

/// What storing a receipt means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intake {
    /// Why the EC must look at it, if it must.
    pub anomaly: Option<Anomaly>,
    /// The position as it is once paid by this receipt, if the receipt pays one.
    pub pays: Option<Position>,
    /// The work owed to citizens (PDF, mail).
    pub owed: Vec<Work>,
}

/// The notice whose position must be read before classifying: `None` when the
/// receipt cannot pay a position of this EC (another EC's notice, a failed
/// payment, a malformed notice number).
pub fn notice_to_read(ec: &EcFiscalCode, receipt: &Receipt) -> Option<NoticeNumber> {
    if &receipt.fiscal_code != ec || receipt.outcome != Outcome::Ok {
        return None;
    }
    NoticeNumber::parse(&receipt.notice_number).ok()
}

/// Classifies a receipt delivered to `ec`, given the position of `ec` that
/// holds its notice (`found`, as read for [`notice_to_read`]).
pub fn classify(
    ec: &EcFiscalCode,
    receipt: &Receipt,
    found: Option<&Position>,
    paid_at: DateTime<Utc>,
    today: NaiveDate,
) -> Intake {
    let keep = |anomaly| Intake {
        anomaly: Some(anomaly),
        pays: None,
        owed: vec![],
    };
    if &receipt.fiscal_code != ec {
        // A secondary beneficiary's copy: the owner EC mails the citizen.
        return keep(Anomaly::NotOwned);
    }
    if receipt.outcome == Outcome::Ko {
        return keep(Anomaly::FailedPayment);
    }
    let owed = Work::ALL.to_vec();
    let unknown = || Intake {
        anomaly: Some(Anomaly::UnknownNotice),
        pays: None,
        owed: owed.clone(),
    };
    let (Some(position), Some(notice)) = (found, notice_to_read(ec, receipt)) else {
        return unknown();
    };
    let Some(option) = position.option(&notice) else {
        return unknown();
    };
    let payment = Payment {
        receipt_id: receipt.receipt_id.clone(),
        paid_at,
    };
    match position.record_payment(&notice, payment, today) {
        Ok(Recorded::Paid(next)) => Intake {
            anomaly: (receipt.payment_amount_cents != option.amount_cents.cents())
                .then_some(Anomaly::AmountMismatch),
            pays: Some(next),
            owed,
        },
        Ok(Recorded::PaidAnomalous(next, why)) => Intake {
            anomaly: Some(match why {
                NotPayable::Expired => Anomaly::PaidExpired,
                NotPayable::Cancelled => Anomaly::PaidCancelled,
                NotPayable::Superseded | NotPayable::Paid => Anomaly::PaidSuperseded,
            }),
            pays: Some(next),
            owed,
        },
        Err(TransitionError::AlreadyPaid) => {
            let same = option
                .payment
                .as_ref()
                .is_some_and(|p| p.receipt_id == receipt.receipt_id);
            Intake {
                anomaly: (!same).then_some(Anomaly::DoublePayment),
                pays: None,
                owed,
            }
        }
        Err(TransitionError::UnknownNotice | TransitionError::Cancelled) => unknown(),
    }
}

/// When the payment happened: the receipt's `paymentDateTime` (Italian local
/// time when it has no offset), else `now`; `now` too when it names a year
/// outside [`SANE_YEARS`](super::clock::SANE_YEARS) (the receipt is kept all
/// the same: the money has moved).
pub fn paid_at(receipt: &Receipt, now: DateTime<Utc>) -> DateTime<Utc> {
    let Some(s) = receipt.payment_date_time.as_deref() else {
        return now;
    };
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        let t = t.with_timezone(&Utc);
        return if sane(t.date_naive()) { t } else { now };
    }
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .and_then(from_rome_time)
        .unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::position::{Debtor, OptionDraft, SubjectType, Transfer};
    use crate::domain::receipt::samples;
    use crate::domain::text::{Category, FullName, Iban, Iupd, ServiceCode, Text140};
    use crate::domain::{AmountCents, FiscalCode, PositionDraft, SegregationCode};

    fn ec() -> EcFiscalCode {
        EcFiscalCode::parse("77777777777").unwrap()
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn option(amount: u64, due: &str, installment: bool) -> OptionDraft {
        OptionDraft {
            notice_number: None,
            amount_cents: AmountCents::new(amount).unwrap(),
            due_date: day(due),
            description: Text140::parse("TARI 2026").unwrap(),
            installment,
            transfers: vec![Transfer {
                ec_fiscal_code: ec(),
                iban: Iban::parse("IT60X0542811101000000123456").unwrap(),
                postal_iban: None,
                amount_cents: AmountCents::new(amount).unwrap(),
                remittance_information: Text140::parse("TARI").unwrap(),
                category: Category::parse("9/0101100IM/").unwrap(),
            }],
        }
    }

    fn position(options: Vec<OptionDraft>, switch_to_expired: bool) -> Position {
        let n = options.len() as u64;
        PositionDraft {
            iupd: Iupd::parse("TARI-1").unwrap(),
            debtor: Debtor {
                kind: SubjectType::F,
                fiscal_code: FiscalCode::parse("RSSMRA85T10A562S").unwrap(),
                full_name: FullName::parse("Mario Rossi").unwrap(),
                address: None,
                email: None,
            },
            service_code: ServiceCode::parse("TARI").unwrap(),
            description: Text140::parse("TARI 2026").unwrap(),
            switch_to_expired,
            payment_options: options,
            service_data: Default::default(),
            anonymous: false,
        }
        .build(
            ec(),
            (1..=n).map(|i| NoticeNumber::generate(SegregationCode::new(1).unwrap(), i).unwrap()),
            "2026-01-01T00:00:00Z".parse().unwrap(),
        )
        .unwrap()
    }

    fn receipt(p: &Position, idx: usize, id: &str, amount: u64) -> Receipt {
        samples::receipt(&ec(), &p.payment_options[idx].notice_number, id, amount)
    }

    fn at() -> DateTime<Utc> {
        "2026-06-01T08:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_payable_notice_is_paid_and_owes_pdf_and_mail() {
        let p = position(vec![option(1000, "2026-12-31", false)], false);
        let r = receipt(&p, 0, "r1", 1000);
        let i = classify(&ec(), &r, Some(&p), at(), day("2026-06-01"));
        assert_eq!(i.anomaly, None);
        assert_eq!(i.owed, vec![Work::Pdf, Work::Mail]);
        let paid = i.pays.unwrap();
        assert_eq!(
            paid.payment_options[0].payment.as_ref().unwrap().receipt_id,
            "r1"
        );
    }

    #[test]
    fn a_different_amount_pays_with_an_anomaly() {
        let p = position(vec![option(1000, "2026-12-31", false)], false);
        let i = classify(
            &ec(),
            &receipt(&p, 0, "r1", 900),
            Some(&p),
            at(),
            day("2026-06-01"),
        );
        assert_eq!(i.anomaly, Some(Anomaly::AmountMismatch));
        assert!(i.pays.is_some());
    }

    #[test]
    fn expired_superseded_and_cancelled_payments_are_recorded_as_anomalies() {
        let p = position(vec![option(1000, "2026-01-31", false)], true);
        let i = classify(
            &ec(),
            &receipt(&p, 0, "r1", 1000),
            Some(&p),
            at(),
            day("2026-06-01"),
        );
        assert_eq!(i.anomaly, Some(Anomaly::PaidExpired));
        assert!(i.pays.is_some());

        let p = position(
            vec![
                option(1000, "2026-12-31", false),
                option(500, "2026-07-31", true),
                option(500, "2026-12-31", true),
            ],
            false,
        );
        let paid_installment = classify(
            &ec(),
            &receipt(&p, 1, "r1", 500),
            Some(&p),
            at(),
            day("2026-06-01"),
        )
        .pays
        .unwrap();
        let i = classify(
            &ec(),
            &receipt(&paid_installment, 0, "r2", 1000),
            Some(&paid_installment),
            at(),
            day("2026-06-01"),
        );
        assert_eq!(i.anomaly, Some(Anomaly::PaidSuperseded));

        let p = position(vec![option(1000, "2026-12-31", false)], false);
        let cancelled = p.cancel(at()).unwrap();
        let i = classify(
            &ec(),
            &receipt(&cancelled, 0, "r1", 1000),
            Some(&cancelled),
            at(),
            day("2026-06-01"),
        );
        assert_eq!(i.anomaly, Some(Anomaly::PaidCancelled));
        assert_eq!(i.owed, vec![Work::Pdf, Work::Mail]);
    }

    #[test]
    fn a_second_receipt_is_a_double_payment_the_same_one_is_not() {
        let p = position(vec![option(1000, "2026-12-31", false)], false);
        let paid = classify(
            &ec(),
            &receipt(&p, 0, "r1", 1000),
            Some(&p),
            at(),
            day("2026-06-01"),
        )
        .pays
        .unwrap();
        let again = classify(
            &ec(),
            &receipt(&paid, 0, "r1", 1000),
            Some(&paid),
            at(),
            day("2026-06-01"),
        );
        assert_eq!((again.anomaly, again.pays), (None, None));
        let other = classify(
            &ec(),
            &receipt(&paid, 0, "r2", 1000),
            Some(&paid),
            at(),
            day("2026-06-01"),
        );
        assert_eq!(other.anomaly, Some(Anomaly::DoublePayment));
        assert_eq!(other.pays, None);
        assert_eq!(other.owed, vec![Work::Pdf, Work::Mail]);
    }

    #[test]
    fn unknown_foreign_and_failed_receipts() {
        let p = position(vec![option(1000, "2026-12-31", false)], false);
        let r = receipt(&p, 0, "r1", 1000);
        let i = classify(&ec(), &r, None, at(), day("2026-06-01"));
        assert_eq!(i.anomaly, Some(Anomaly::UnknownNotice));
        assert_eq!(i.owed, vec![Work::Pdf, Work::Mail]);

        let other_ec = EcFiscalCode::parse("01199250158").unwrap();
        assert_eq!(notice_to_read(&other_ec, &r), None);
        let i = classify(&other_ec, &r, None, at(), day("2026-06-01"));
        assert_eq!((i.anomaly, i.owed.len()), (Some(Anomaly::NotOwned), 0));

        let mut ko = r.clone();
        ko.outcome = Outcome::Ko;
        assert_eq!(notice_to_read(&ec(), &ko), None);
        let i = classify(&ec(), &ko, Some(&p), at(), day("2026-06-01"));
        assert_eq!(i.anomaly, Some(Anomaly::FailedPayment));
        assert!(i.pays.is_none() && i.owed.is_empty());
    }

    #[test]
    fn payment_time_is_italian_local_time_without_an_offset() {
        let p = position(vec![option(1000, "2026-12-31", false)], false);
        let mut r = receipt(&p, 0, "r1", 1000);
        assert_eq!(paid_at(&r, at()).to_rfc3339(), "2026-06-01T09:30:00+00:00");
        r.payment_date_time = Some("2026-01-15T10:00:00.123".into());
        assert_eq!(
            paid_at(&r, at()).to_rfc3339(),
            "2026-01-15T09:00:00.123+00:00"
        );
        r.payment_date_time = Some("2026-06-01T10:00:00+02:00".into());
        assert_eq!(paid_at(&r, at()).to_rfc3339(), "2026-06-01T08:00:00+00:00");
        r.payment_date_time = Some("garbage".into());
        assert_eq!(paid_at(&r, at()), at());
        for hostile in [
            "-262143-01-01T00:00:00",
            "+262142-12-31T23:59:59",
            "1000-01-01T00:00:00",
            "9999-12-31T23:59:59+14:00",
            "-262143-01-01T00:00:00Z",
        ] {
            r.payment_date_time = Some(hostile.into());
            assert_eq!(paid_at(&r, at()), at(), "{hostile}");
        }
        r.payment_date_time = None;
        assert_eq!(paid_at(&r, at()), at());
    }
}
