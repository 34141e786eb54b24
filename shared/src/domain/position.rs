//! Debt positions (posizioni debitorie), modelled on pagoPA GPD.
//!
//! A [`Position`] can only be built through [`PositionDraft::build`] (or read back
//! from storage, which runs the same checks), so every instance satisfies:
//! - one to [`MAX_OPTIONS`] payment options, at most one of them a single (full) payment;
//! - notice numbers distinct within the position;
//! - each option has 1–5 transfers whose amounts add up to the option's amount;
//! - the first transfer belongs to the position's EC.
//!
//! State is derived, never stored twice: an option is paid when it carries a
//! receipt; the position is cancelled when `cancelledAt` is set; an unpaid option
//! is expired when its due date has passed and the position has `switchToExpired`.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::amount::AmountCents;
use super::errors::FieldErrors;
use super::fiscal_code::{EcFiscalCode, FiscalCode};
use super::notice::{Iuv, NoticeNumber};
use super::text::{Category, Email, FullName, Iban, Iupd, ServiceCode, Text140};

/// Bounded by DynamoDB: a position and one pointer item per option are written in one
/// transaction of at most 100 items.
pub const MAX_OPTIONS: usize = 90;
pub const MAX_TRANSFERS: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SubjectType {
    /// Persona fisica.
    F,
    /// Persona giuridica.
    G,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street_name: Option<Text140>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub civic_number: Option<Text140>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<Text140>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<Text140>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_province_region: Option<Text140>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<Text140>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Debtor {
    #[serde(rename = "type")]
    pub kind: SubjectType,
    pub fiscal_code: FiscalCode,
    pub full_name: FullName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<Email>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transfer {
    pub ec_fiscal_code: EcFiscalCode,
    pub iban: Iban,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_iban: Option<Iban>,
    pub amount_cents: AmountCents,
    pub remittance_information: Text140,
    pub category: Category,
}

/// Evidence that an option was paid: the receipt that says so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payment {
    pub receipt_id: String,
    pub paid_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentOption {
    pub notice_number: NoticeNumber,
    pub amount_cents: AmountCents,
    pub due_date: NaiveDate,
    pub description: Text140,
    /// An installment (rata) rather than the single payment of the whole debt.
    #[serde(default)]
    pub installment: bool,
    pub transfers: Vec<Transfer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment: Option<Payment>,
}

impl PaymentOption {
    pub fn iuv(&self) -> Iuv {
        self.notice_number.iuv()
    }
    pub fn is_paid(&self) -> bool {
        self.payment.is_some()
    }
}

/// What a citizen (and the Nodo) is told about one notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NoticeStatus {
    Payable,
    Expired,
    Paid,
    Cancelled,
}

/// Why a notice cannot be paid, when it cannot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotPayable {
    Paid,
    Expired,
    Cancelled,
    /// The debt is being paid through the other route: installments after the
    /// single payment or the single payment after an installment.
    Superseded,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", try_from = "PositionRecord")]
pub struct Position {
    pub ec_fiscal_code: EcFiscalCode,
    pub iupd: Iupd,
    pub debtor: Debtor,
    pub service_code: ServiceCode,
    pub description: Text140,
    /// When true an unpaid option can no longer be paid after its due date (GPD `switchToExpired`).
    pub switch_to_expired: bool,
    pub payment_options: Vec<PaymentOption>,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled_at: Option<DateTime<Utc>>,
    /// What the citizen entered in the service's form (spontaneous payments),
    /// or what the EC's systems attach: name → value.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub service_data: BTreeMap<String, String>,
    /// Created for a spontaneous payment by someone who was not signed in as
    /// its debtor (a page or API call without a session, a PSP's demand):
    /// the debtor's reserved area shows it apart, and it expires unpaid.
    #[serde(default, skip_serializing_if = "is_false")]
    pub anonymous: bool,
}

fn is_false(b: &bool) -> bool {
    !b
}

/// The stored form of a position, checked again when read back.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PositionRecord {
    ec_fiscal_code: EcFiscalCode,
    iupd: Iupd,
    debtor: Debtor,
    service_code: ServiceCode,
    description: Text140,
    #[serde(default)]
    switch_to_expired: bool,
    payment_options: Vec<PaymentOption>,
    created_at: DateTime<Utc>,
    #[serde(default)]
    cancelled_at: Option<DateTime<Utc>>,
    #[serde(default)]
    service_data: BTreeMap<String, String>,
    #[serde(default)]
    anonymous: bool,
}

impl TryFrom<PositionRecord> for Position {
    type Error = String;
    fn try_from(r: PositionRecord) -> Result<Self, String> {
        let p = Position {
            ec_fiscal_code: r.ec_fiscal_code,
            iupd: r.iupd,
            debtor: r.debtor,
            service_code: r.service_code,
            description: r.description,
            switch_to_expired: r.switch_to_expired,
            payment_options: r.payment_options,
            created_at: r.created_at,
            cancelled_at: r.cancelled_at,
            service_data: r.service_data,
            anonymous: r.anonymous,
        };
        let errors = p.invariant_errors();
        if errors.is_empty() {
            Ok(p)
        } else {
            Err(errors.to_string())
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("avviso non presente nella posizione")]
    UnknownNotice,
    #[error("avviso già pagato")]
    AlreadyPaid,
    #[error("posizione annullata")]
    Cancelled,
}

/// The outcome of recording a payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// The option was payable and is now paid.
    Paid(Position),
    /// The money was collected although the option was not payable (expired,
    /// superseded by the other route, or cancelled): the receipt is recorded and
    /// the anomaly must be reconciled by the EC.
    PaidAnomalous(Position, NotPayable),
}

impl Position {
    /// Checks the cross-field invariants listed in the module documentation.
    fn invariant_errors(&self) -> FieldErrors {
        let mut e = FieldErrors::default();
        let opts = &self.payment_options;
        if opts.is_empty() || opts.len() > MAX_OPTIONS {
            e.push(
                "paymentOptions",
                format!("servono da 1 a {MAX_OPTIONS} opzioni di pagamento"),
            );
        }
        if opts.iter().filter(|o| !o.installment).count() > 1 {
            e.push(
                "paymentOptions",
                "al massimo un'opzione può essere il pagamento in un'unica soluzione",
            );
        }
        for (i, o) in opts.iter().enumerate() {
            if opts[..i].iter().any(|p| p.notice_number == o.notice_number) {
                e.push(
                    format!("paymentOptions[{i}].noticeNumber"),
                    "codice avviso ripetuto nella posizione",
                );
            }
            if o.transfers.is_empty() || o.transfers.len() > MAX_TRANSFERS {
                e.push(
                    format!("paymentOptions[{i}].transfers"),
                    format!("servono da 1 a {MAX_TRANSFERS} trasferimenti"),
                );
            } else {
                let sum = AmountCents::checked_sum(o.transfers.iter().map(|t| t.amount_cents));
                if sum != Some(o.amount_cents) {
                    e.push(
                        format!("paymentOptions[{i}].transfers"),
                        "la somma degli importi dei trasferimenti deve essere uguale all'importo dell'opzione",
                    );
                }
                if o.transfers[0].ec_fiscal_code != self.ec_fiscal_code {
                    e.push(
                        format!("paymentOptions[{i}].transfers[0].ecFiscalCode"),
                        "il primo trasferimento deve essere a favore dell'ente creditore",
                    );
                }
            }
        }
        e
    }

    pub fn option(&self, notice: &NoticeNumber) -> Option<&PaymentOption> {
        self.payment_options
            .iter()
            .find(|o| &o.notice_number == notice)
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled_at.is_some()
    }

    fn single_paid(&self) -> bool {
        self.payment_options
            .iter()
            .any(|o| !o.installment && o.is_paid())
    }

    fn installment_paid(&self) -> bool {
        self.payment_options
            .iter()
            .any(|o| o.installment && o.is_paid())
    }

    /// Whether the whole debt is settled: the single payment, or every installment.
    pub fn is_paid(&self) -> bool {
        let installments: Vec<_> = self
            .payment_options
            .iter()
            .filter(|o| o.installment)
            .collect();
        self.single_paid() || (!installments.is_empty() && installments.iter().all(|o| o.is_paid()))
    }

    /// Why an option cannot be paid on `today` (Europe/Rome), or `None` if it can.
    pub fn not_payable(&self, option: &PaymentOption, today: NaiveDate) -> Option<NotPayable> {
        if option.is_paid() {
            Some(NotPayable::Paid)
        } else if self.is_cancelled() {
            Some(NotPayable::Cancelled)
        } else if (option.installment && self.single_paid())
            || (!option.installment && self.installment_paid())
        {
            Some(NotPayable::Superseded)
        } else if self.switch_to_expired && option.due_date < today {
            Some(NotPayable::Expired)
        } else {
            None
        }
    }

    /// The status of one notice of this position as the citizen sees it.
    pub fn notice_status(&self, option: &PaymentOption, today: NaiveDate) -> NoticeStatus {
        match self.not_payable(option, today) {
            None => NoticeStatus::Payable,
            Some(NotPayable::Paid) => NoticeStatus::Paid,
            Some(NotPayable::Expired) => NoticeStatus::Expired,
            // A superseded option can no longer be paid: to the citizen it is withdrawn.
            Some(NotPayable::Cancelled | NotPayable::Superseded) => NoticeStatus::Cancelled,
        }
    }

    /// The status of the whole position: paid when the debt is settled, cancelled,
    /// expired when no option is payable any more, payable otherwise.
    pub fn status(&self, today: NaiveDate) -> NoticeStatus {
        if self.is_paid() {
            NoticeStatus::Paid
        } else if self.is_cancelled() {
            NoticeStatus::Cancelled
        } else if self
            .payment_options
            .iter()
            .any(|o| self.not_payable(o, today).is_none())
        {
            NoticeStatus::Payable
        } else {
            NoticeStatus::Expired
        }
    }

    /// Records the payment of one option. A payment is recorded even when the
    /// option was not payable (money collected must never be dropped): the
    /// result says so. Only a second payment of the same option is refused.
    pub fn record_payment(
        &self,
        notice: &NoticeNumber,
        payment: Payment,
        today: NaiveDate,
    ) -> Result<Recorded, TransitionError> {
        let idx = self
            .payment_options
            .iter()
            .position(|o| &o.notice_number == notice)
            .ok_or(TransitionError::UnknownNotice)?;
        let why = self.not_payable(&self.payment_options[idx], today);
        if why == Some(NotPayable::Paid) {
            return Err(TransitionError::AlreadyPaid);
        }
        let mut next = self.clone();
        next.payment_options[idx].payment = Some(payment);
        Ok(match why {
            None => Recorded::Paid(next),
            Some(w) => Recorded::PaidAnomalous(next, w),
        })
    }

    /// Cancels the position. Refused when any option is already paid, or when it
    /// is already cancelled.
    pub fn cancel(&self, at: DateTime<Utc>) -> Result<Position, TransitionError> {
        if self.is_cancelled() {
            return Err(TransitionError::Cancelled);
        }
        if self.payment_options.iter().any(PaymentOption::is_paid) {
            return Err(TransitionError::AlreadyPaid);
        }
        let mut next = self.clone();
        next.cancelled_at = Some(at);
        Ok(next)
    }
}

/// A payment option as submitted, before its notice number is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionDraft {
    pub notice_number: Option<NoticeNumber>,
    pub amount_cents: AmountCents,
    pub due_date: NaiveDate,
    pub description: Text140,
    pub installment: bool,
    pub transfers: Vec<Transfer>,
}

/// A position as submitted by the EC, before notice numbers are assigned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PositionDraft {
    pub iupd: Iupd,
    pub debtor: Debtor,
    pub service_code: ServiceCode,
    pub description: Text140,
    pub switch_to_expired: bool,
    pub payment_options: Vec<OptionDraft>,
    pub service_data: BTreeMap<String, String>,
    /// See [`Position::anonymous`].
    pub anonymous: bool,
}

impl PositionDraft {
    /// How many notice numbers must be generated for this draft.
    pub fn missing_notice_numbers(&self) -> usize {
        self.payment_options
            .iter()
            .filter(|o| o.notice_number.is_none())
            .count()
    }

    /// Builds the position, taking one generated notice number for each option
    /// that has none. Fails with every broken invariant, each naming its field.
    pub fn build(
        self,
        ec: EcFiscalCode,
        generated: impl IntoIterator<Item = NoticeNumber>,
        now: DateTime<Utc>,
    ) -> Result<Position, FieldErrors> {
        let mut generated = generated.into_iter();
        let mut options = Vec::with_capacity(self.payment_options.len());
        for (i, o) in self.payment_options.into_iter().enumerate() {
            let notice_number = match o.notice_number.or_else(|| generated.next()) {
                Some(n) => n,
                None => {
                    return Err(FieldErrors::single(
                        format!("paymentOptions[{i}].noticeNumber"),
                        "nessun codice avviso disponibile",
                    ))
                }
            };
            options.push(PaymentOption {
                notice_number,
                amount_cents: o.amount_cents,
                due_date: o.due_date,
                description: o.description,
                installment: o.installment,
                transfers: o.transfers,
                payment: None,
            });
        }
        let p = Position {
            ec_fiscal_code: ec,
            iupd: self.iupd,
            debtor: self.debtor,
            service_code: self.service_code,
            description: self.description,
            switch_to_expired: self.switch_to_expired,
            payment_options: options,
            created_at: now,
            cancelled_at: None,
            service_data: self.service_data,
            anonymous: self.anonymous,
        };
        let errors = p.invariant_errors();
        if errors.is_empty() {
            Ok(p)
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::notice::SegregationCode;
    use chrono::TimeZone;
    use proptest::prelude::*;

    const EC: &str = "01199250158";

    fn ec() -> EcFiscalCode {
        EcFiscalCode::parse(EC).unwrap()
    }
    fn notice(seq: u64) -> NoticeNumber {
        NoticeNumber::generate(SegregationCode::new(1).unwrap(), seq).unwrap()
    }
    fn day(d: &str) -> NaiveDate {
        d.parse().unwrap()
    }
    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 1, 10, 0, 0).unwrap()
    }
    fn transfer(cents: u64) -> Transfer {
        Transfer {
            ec_fiscal_code: ec(),
            iban: Iban::parse("IT60X0542811101000000123456").unwrap(),
            postal_iban: None,
            amount_cents: AmountCents::new(cents).unwrap(),
            remittance_information: Text140::parse("TARI 2026").unwrap(),
            category: Category::parse("9/0101100IM/").unwrap(),
        }
    }
    fn option(cents: u64, due: &str, installment: bool) -> OptionDraft {
        OptionDraft {
            notice_number: None,
            amount_cents: AmountCents::new(cents).unwrap(),
            due_date: day(due),
            description: Text140::parse("Rata").unwrap(),
            installment,
            transfers: vec![transfer(cents)],
        }
    }
    fn draft(options: Vec<OptionDraft>) -> PositionDraft {
        PositionDraft {
            iupd: Iupd::parse("TARI-2026-0001").unwrap(),
            debtor: Debtor {
                kind: SubjectType::F,
                fiscal_code: FiscalCode::parse("RSSMRA85T10A562S").unwrap(),
                full_name: FullName::parse("Mario Rossi").unwrap(),
                address: None,
                email: None,
            },
            service_code: ServiceCode::parse("TARI").unwrap(),
            description: Text140::parse("TARI 2026").unwrap(),
            switch_to_expired: true,
            payment_options: options,
            service_data: BTreeMap::new(),
            anonymous: false,
        }
    }
    fn build(options: Vec<OptionDraft>) -> Position {
        let n = options.len() as u64;
        draft(options)
            .build(ec(), (1..=n).map(notice), now())
            .unwrap()
    }
    fn payment(id: &str) -> Payment {
        Payment {
            receipt_id: id.into(),
            paid_at: now(),
        }
    }

    #[test]
    fn builds_and_assigns_notice_numbers() {
        let mut d = draft(vec![
            option(100, "2026-12-31", false),
            option(50, "2026-12-31", true),
        ]);
        d.payment_options[1].notice_number = Some(notice(99));
        assert_eq!(d.missing_notice_numbers(), 1);
        let p = d.build(ec(), [notice(7)], now()).unwrap();
        assert_eq!(p.payment_options[0].notice_number, notice(7));
        assert_eq!(p.payment_options[1].notice_number, notice(99));
    }

    #[test]
    fn refuses_broken_invariants_naming_fields() {
        let mut bad = option(100, "2026-12-31", false);
        bad.transfers = vec![transfer(60), transfer(30)];
        let err = draft(vec![bad])
            .build(ec(), [notice(1)], now())
            .unwrap_err();
        assert_eq!(err.fields(), vec!["paymentOptions[0].transfers"]);

        let err = draft(vec![
            option(1, "2026-12-31", false),
            option(1, "2026-12-31", false),
        ])
        .build(ec(), [notice(1), notice(1)], now())
        .unwrap_err();
        assert!(err.fields().contains(&"paymentOptions"));
        assert!(err.fields().contains(&"paymentOptions[1].noticeNumber"));

        let err = draft(vec![]).build(ec(), [], now()).unwrap_err();
        assert_eq!(err.fields(), vec!["paymentOptions"]);

        let mut foreign = option(100, "2026-12-31", false);
        foreign.transfers[0].ec_fiscal_code = EcFiscalCode::parse("77777777777").unwrap();
        let err = draft(vec![foreign])
            .build(ec(), [notice(1)], now())
            .unwrap_err();
        assert_eq!(
            err.fields(),
            vec!["paymentOptions[0].transfers[0].ecFiscalCode"]
        );

        let mut six = option(6, "2026-12-31", false);
        six.transfers = (0..6).map(|_| transfer(1)).collect();
        assert!(draft(vec![six]).build(ec(), [notice(1)], now()).is_err());

        assert!(draft(vec![option(1, "2026-12-31", false)])
            .build(ec(), [], now())
            .is_err());
    }

    #[test]
    fn states_and_transitions() {
        let p = build(vec![option(100, "2026-12-31", false)]);
        let n = notice(1);
        let o = p.option(&n).unwrap();
        assert_eq!(p.notice_status(o, day("2026-12-31")), NoticeStatus::Payable);
        assert_eq!(p.notice_status(o, day("2027-01-01")), NoticeStatus::Expired);
        assert_eq!(p.status(day("2027-01-01")), NoticeStatus::Expired);

        let Recorded::Paid(paid) = p
            .record_payment(&n, payment("r1"), day("2026-12-01"))
            .unwrap()
        else {
            panic!("expected a normal payment")
        };
        assert_eq!(
            paid.notice_status(paid.option(&n).unwrap(), day("2026-12-01")),
            NoticeStatus::Paid
        );
        assert_eq!(paid.status(day("2030-01-01")), NoticeStatus::Paid);
        assert_eq!(
            paid.record_payment(&n, payment("r2"), day("2026-12-01")),
            Err(TransitionError::AlreadyPaid)
        );
        assert_eq!(paid.cancel(now()), Err(TransitionError::AlreadyPaid));

        let cancelled = p.cancel(now()).unwrap();
        assert_eq!(cancelled.status(day("2026-12-01")), NoticeStatus::Cancelled);
        assert_eq!(cancelled.cancel(now()), Err(TransitionError::Cancelled));
        // Money collected on a cancelled position is recorded, flagged.
        match cancelled
            .record_payment(&n, payment("r3"), day("2026-12-01"))
            .unwrap()
        {
            Recorded::PaidAnomalous(_, NotPayable::Cancelled) => {}
            other => panic!("{other:?}"),
        }
        // ... and so is a late payment.
        match p
            .record_payment(&n, payment("r4"), day("2027-02-01"))
            .unwrap()
        {
            Recorded::PaidAnomalous(_, NotPayable::Expired) => {}
            other => panic!("{other:?}"),
        }
        assert_eq!(
            p.record_payment(&notice(50), payment("r5"), day("2026-12-01")),
            Err(TransitionError::UnknownNotice)
        );
    }

    #[test]
    fn late_payment_allowed_without_switch_to_expired() {
        let mut d = draft(vec![option(100, "2026-01-31", false)]);
        d.switch_to_expired = false;
        let p = d.build(ec(), [notice(1)], now()).unwrap();
        assert_eq!(p.status(day("2026-12-01")), NoticeStatus::Payable);
    }

    #[test]
    fn installments_and_single_payment_exclude_each_other() {
        let p = build(vec![
            option(300, "2026-12-31", false),
            option(100, "2026-12-31", true),
            option(100, "2027-01-31", true),
            option(100, "2027-02-28", true),
        ]);
        let today = day("2026-12-01");
        let Recorded::Paid(p1) = p.record_payment(&notice(2), payment("r1"), today).unwrap() else {
            panic!()
        };
        assert_eq!(
            p1.notice_status(&p1.payment_options[0], today),
            NoticeStatus::Cancelled
        );
        assert_eq!(
            p1.not_payable(&p1.payment_options[0], today),
            Some(NotPayable::Superseded)
        );
        assert_eq!(p1.status(today), NoticeStatus::Payable);
        let Recorded::Paid(p2) = p1.record_payment(&notice(3), payment("r2"), today).unwrap()
        else {
            panic!()
        };
        let Recorded::Paid(p3) = p2.record_payment(&notice(4), payment("r3"), today).unwrap()
        else {
            panic!()
        };
        assert!(p3.is_paid());
        assert_eq!(p3.status(today), NoticeStatus::Paid);

        let Recorded::Paid(full) = p.record_payment(&notice(1), payment("r9"), today).unwrap()
        else {
            panic!()
        };
        assert_eq!(full.status(today), NoticeStatus::Paid);
        assert_eq!(
            full.not_payable(&full.payment_options[3], today),
            Some(NotPayable::Superseded)
        );
    }

    #[test]
    fn storage_roundtrip_rechecks_invariants() {
        let p = build(vec![option(100, "2026-12-31", false)]);
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<Position>(&json).unwrap(), p);
        let tampered = json.replace(
            "\"amountCents\":100,\"dueDate\"",
            "\"amountCents\":101,\"dueDate\"",
        );
        assert_ne!(tampered, json);
        assert!(serde_json::from_str::<Position>(&tampered).is_err());
    }

    proptest! {
        #[test]
        fn transfer_sum_must_match(amounts in proptest::collection::vec(1u64..1_000_000, 1..=5), delta in 0u64..3) {
            let total: u64 = amounts.iter().sum::<u64>() + delta;
            let mut o = option(total, "2026-12-31", false);
            o.transfers = amounts.iter().map(|a| transfer(*a)).collect();
            let built = draft(vec![o]).build(ec(), [notice(1)], now());
            prop_assert_eq!(built.is_ok(), delta == 0);
        }

        #[test]
        fn a_paid_option_stays_paid(days in 0i64..2000) {
            let p = build(vec![option(100, "2026-12-31", false)]);
            let today = day("2025-01-01") + chrono::Duration::days(days);
            let recorded = p.record_payment(&notice(1), payment("r"), today).unwrap();
            let paid = match recorded { Recorded::Paid(p) | Recorded::PaidAnomalous(p, _) => p };
            prop_assert_eq!(paid.status(today), NoticeStatus::Paid);
            prop_assert!(paid.cancel(now()).is_err());
        }
    }
}
