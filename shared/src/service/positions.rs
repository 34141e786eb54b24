//! Debt positions pushed by the EC's systems (operator API, modelled on GPD).

use serde_json::{json, Value};

use crate::domain::input::{boolean, cents, date, string, Obj, Reader};
use crate::domain::notice::MAX_SEQUENCE;
use crate::domain::position::TransitionError;
use crate::domain::position::{
    Address, Debtor, OptionDraft, PaymentOption, SubjectType, Transfer, MAX_OPTIONS, MAX_TRANSFERS,
};
use crate::domain::text::{Category, Email, FullName, Iban, Iupd, ServiceCode, Text140};
use crate::domain::{
    EcFiscalCode, Entities, Entity, FieldErrors, FiscalCode, NoticeNumber, Position, PositionDraft,
};
use crate::ports::{StoreError, Versioned};
use crate::secret;
use crate::App;

/// Why a position was not created, read, or cancelled.
#[derive(Debug, thiserror::Error)]
pub enum PositionError {
    /// The EC is not one this deployment serves.
    #[error("EC not served by this portal")]
    UnknownEc,
    /// The position breaks a rule; every field named.
    #[error("invalid position: {0}")]
    Invalid(FieldErrors),
    #[error("a position with iupd {0} already exists")]
    DuplicateIupd(Iupd),
    /// A notice number the EC supplied is already used by another position.
    #[error("notice number {0} already in use")]
    NoticeInUse(NoticeNumber),
    #[error("no position with iupd {0}")]
    NotFound(Iupd),
    #[error("the position has payments and cannot be cancelled")]
    HasPayments,
    #[error("the position is already cancelled")]
    AlreadyCancelled,
    /// An option is paid: the position cannot be replaced.
    #[error("the position has a paid option and cannot be changed")]
    Paid,
    /// The Nodo activated a payment of an option moments ago.
    #[error("an option is being paid")]
    BeingPaid,
    /// Too many concurrent changes, or no free notice number after retries.
    #[error("gave up after {0} attempts")]
    Contention(usize),
    #[error("positions not writable")]
    Store(#[from] StoreError),
}

/// How many times a write is retried after losing an optimistic-locking race.
const MAX_ATTEMPTS: usize = 5;

fn parse_subject_type(s: &str) -> Result<SubjectType, String> {
    match s {
        "F" => Ok(SubjectType::F),
        "G" => Ok(SubjectType::G),
        _ => Err("deve essere \"F\" (persona fisica) o \"G\" (persona giuridica)".into()),
    }
}

fn read_address(r: &mut Reader, o: &Obj) -> Option<Address> {
    const KEYS: [&str; 6] = [
        "streetName",
        "civicNumber",
        "postalCode",
        "city",
        "stateProvinceRegion",
        "country",
    ];
    o.deny_unknown(r, &KEYS);
    let mut a = Address::default();
    let mut ok = true;
    for key in KEYS {
        match o.opt(r, key, string(Text140::parse)) {
            Some(v) => match key {
                "streetName" => a.street_name = v,
                "civicNumber" => a.civic_number = v,
                "postalCode" => a.postal_code = v,
                "city" => a.city = v,
                "stateProvinceRegion" => a.state_province_region = v,
                _ => a.country = v,
            },
            None => ok = false,
        }
    }
    ok.then_some(a)
}

/// Reads a debtor object (shared with the spontaneous-payment form).
pub fn read_debtor(r: &mut Reader, o: &Obj) -> Option<Debtor> {
    o.deny_unknown(r, &["type", "fiscalCode", "fullName", "email", "address"]);
    let kind = o.req(r, "type", string(parse_subject_type));
    let fiscal_code = o.req(r, "fiscalCode", string(FiscalCode::parse));
    let full_name = o.req(r, "fullName", string(FullName::parse));
    let email = o.opt(r, "email", string(Email::parse));
    let address = match o.opt(r, "address", |v| Ok(v.clone())) {
        Some(Some(v)) => r
            .object(&v, &o.path("address"))
            .map(|a| read_address(r, &a).map(Some))
            .unwrap_or(None),
        other => other.map(|_| None),
    };
    Some(Debtor {
        kind: kind?,
        fiscal_code: fiscal_code?,
        full_name: full_name?,
        address: address?,
        email: email?,
    })
}

fn read_transfer(r: &mut Reader, o: &Obj) -> Option<Transfer> {
    o.deny_unknown(
        r,
        &[
            "ecFiscalCode",
            "iban",
            "postalIban",
            "amountCents",
            "remittanceInformation",
            "category",
        ],
    );
    let ec = o.req(r, "ecFiscalCode", string(EcFiscalCode::parse));
    let iban = o.req(r, "iban", string(Iban::parse));
    let postal_iban = o.opt(r, "postalIban", string(Iban::parse));
    let amount = o.req(r, "amountCents", cents);
    let remittance = o.req(r, "remittanceInformation", string(Text140::parse));
    let category = o.req(r, "category", string(Category::parse));
    if let Some(Some(p)) = &postal_iban {
        if !p.is_postal() {
            r.error(
                o.path("postalIban"),
                "deve essere l'IBAN di un conto corrente postale",
            );
            return None;
        }
    }
    Some(Transfer {
        ec_fiscal_code: ec?,
        iban: iban?,
        postal_iban: postal_iban?,
        amount_cents: amount?,
        remittance_information: remittance?,
        category: category?,
    })
}

fn read_option(r: &mut Reader, o: &Obj) -> Option<OptionDraft> {
    o.deny_unknown(
        r,
        &[
            "noticeNumber",
            "amountCents",
            "dueDate",
            "description",
            "installment",
            "transfers",
        ],
    );
    let notice_number = o.opt(r, "noticeNumber", string(NoticeNumber::parse));
    let amount = o.req(r, "amountCents", cents);
    let due_date = o.req(r, "dueDate", date);
    let description = o.req(r, "description", string(Text140::parse));
    let installment = o.opt(r, "installment", boolean);
    let mut transfers = Vec::new();
    let mut ok = true;
    for (path, v) in o
        .array(r, "transfers", 1, MAX_TRANSFERS)
        .unwrap_or_default()
    {
        match r.object(v, &path).and_then(|t| read_transfer(r, &t)) {
            Some(t) => transfers.push(t),
            None => ok = false,
        }
    }
    if transfers.is_empty() {
        ok = false;
    }
    Some(OptionDraft {
        notice_number: notice_number?,
        amount_cents: amount?,
        due_date: due_date?,
        description: description?,
        installment: installment?.unwrap_or(false),
        transfers: ok.then_some(transfers)?,
    })
}

/// `serviceData`: at most 30 entries, string values of at most 1,000 characters.
fn service_data(v: &Value) -> Result<std::collections::BTreeMap<String, String>, String> {
    let o = v
        .as_object()
        .ok_or("deve essere un oggetto di coppie nome → testo")?;
    if o.len() > 30 {
        return Err("al massimo 30 voci".into());
    }
    o.iter()
        .map(|(k, v)| match v.as_str() {
            Some(s) if !k.is_empty() && k.len() <= 40 && s.chars().count() <= 1000 => {
                Ok((k.clone(), s.to_owned()))
            }
            _ => Err(format!(
                "{k}: deve essere un testo di al massimo 1000 caratteri"
            )),
        })
        .collect()
}

/// Reads a position as the operator API receives it, naming every invalid field.
pub fn parse_draft(doc: &Value) -> Result<PositionDraft, FieldErrors> {
    let mut r = Reader::default();
    let draft = (|| {
        let o = r.object(doc, "")?;
        o.deny_unknown(
            &mut r,
            &[
                "iupd",
                "debtor",
                "serviceCode",
                "description",
                "switchToExpired",
                "paymentOptions",
                "serviceData",
            ],
        );
        let iupd = o.req(&mut r, "iupd", string(Iupd::parse));
        let debtor = o
            .object(&mut r, "debtor")
            .and_then(|d| read_debtor(&mut r, &d));
        let service_code = o.req(&mut r, "serviceCode", string(ServiceCode::parse));
        let description = o.req(&mut r, "description", string(Text140::parse));
        let switch_to_expired = o.opt(&mut r, "switchToExpired", boolean);
        let service_data = o.opt(&mut r, "serviceData", service_data);
        let mut options = Vec::new();
        let mut ok = true;
        for (path, v) in o
            .array(&mut r, "paymentOptions", 1, MAX_OPTIONS)
            .unwrap_or_default()
        {
            match r.object(v, &path).and_then(|p| read_option(&mut r, &p)) {
                Some(p) => options.push(p),
                None => ok = false,
            }
        }
        Some(PositionDraft {
            iupd: iupd?,
            debtor: debtor?,
            service_code: service_code?,
            description: description?,
            switch_to_expired: switch_to_expired?.unwrap_or(false),
            payment_options: (ok && !options.is_empty()).then_some(options)?,
            service_data: service_data?.unwrap_or_default(),
            anonymous: false,
        })
    })();
    r.finish(draft)
}

fn option_view(p: &Position, o: &PaymentOption, today: chrono::NaiveDate) -> Value {
    let mut v = serde_json::to_value(o).expect("serialisable");
    v["iuv"] = json!(o.iuv());
    v["status"] = json!(p.notice_status(o, today));
    v
}

/// The position as the operator API shows it: the stored fields plus each
/// option's IUV and status, and the position's status.
pub fn view(p: &Position, today: chrono::NaiveDate) -> Value {
    let mut v = serde_json::to_value(p).expect("serialisable");
    v["status"] = json!(p.status(today));
    v["paymentOptions"] = Value::Array(
        p.payment_options
            .iter()
            .map(|o| option_view(p, o, today))
            .collect(),
    );
    v
}

/// The stored receipts that paid a position's options, by notice number.
pub async fn paying_receipts(
    app: &App,
    p: &Position,
) -> Result<Vec<(NoticeNumber, crate::ports::ReceiptRecord)>, StoreError> {
    let mut out = Vec::new();
    for o in &p.payment_options {
        if let Some(pay) = &o.payment {
            if let Some(r) = app
                .receipts
                .get_receipt(&p.ec_fiscal_code, &pay.receipt_id)
                .await?
            {
                out.push((o.notice_number, r));
            }
        }
    }
    Ok(out)
}

/// Where a receipt stands for the operator: its anomaly and deviations, the
/// PDF, and the mail (sent, owed, or given up with its reason).
pub fn receipt_view(r: &crate::ports::ReceiptRecord) -> Value {
    use crate::domain::receipt::Work;
    let mail = if r.mail.failed.is_some() {
        "failed"
    } else if r.owes(Work::Mail) {
        "owed"
    } else if r.mail.sent_at.is_some() {
        "sent"
    } else {
        "none"
    };
    let mut v = json!({
        "receiptId": r.receipt.receipt_id,
        "receivedAt": r.received_at,
        "pdf": if r.owes(Work::Pdf) { "owed" } else { "stored" },
        "mail": mail,
        "mailAttempts": r.mail.attempts,
    });
    if let Some(a) = r.anomaly {
        v["anomaly"] = json!(a);
    }
    if !r.deviations.is_empty() {
        v["deviations"] = json!(r.deviations);
    }
    if let Some(at) = r.mail.sent_at {
        v["mailSentAt"] = json!(at);
    }
    if let Some(f) = &r.mail.failed {
        v["mailFailedAt"] = json!(f.at);
        v["mailError"] = json!(f.reason);
    }
    v
}

/// The EC, if this deployment serves it.
pub fn entity<'a>(entities: &'a Entities, ec: &EcFiscalCode) -> Result<&'a Entity, PositionError> {
    entities.get(ec).ok_or(PositionError::UnknownEc)
}

/// Creates a position, generating the notice numbers it lacks.
pub async fn create(
    app: &App,
    ec: &EcFiscalCode,
    draft: PositionDraft,
) -> Result<Position, PositionError> {
    let entity = entity(&app.entities, ec)?;
    let supplied: Vec<NoticeNumber> = draft
        .payment_options
        .iter()
        .filter_map(|o| o.notice_number)
        .collect();
    let missing = draft.missing_notice_numbers() as u64;
    for attempt in 1..=MAX_ATTEMPTS {
        // New notice numbers are drawn at random (13 digits: 10^13 per EC and
        // segregation code), not counted: they cannot be walked. The IUV
        // claim written with the position makes each unique; a number already
        // taken is drawn again.
        let generated = draw_numbers(entity, missing as usize);
        let position = draft
            .clone()
            .build(ec.clone(), generated, app.clock.now())
            .map_err(PositionError::Invalid)?;
        match app.positions.insert(&position).await {
            Ok(()) => {
                tracing::info!(ec = %ec, iupd = %position.iupd, options = position.payment_options.len(), "position created");
                return Ok(position);
            }
            Err(StoreError::DuplicateIupd) => {
                return Err(PositionError::DuplicateIupd(position.iupd))
            }
            Err(StoreError::DuplicateNotice(n)) if supplied.contains(&n) => {
                return Err(PositionError::NoticeInUse(n))
            }
            // A generated number was already taken by an explicitly supplied one: draw again.
            Err(StoreError::DuplicateNotice(n)) => {
                tracing::warn!(notice = %n, attempt, "generated notice number already in use")
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(PositionError::Contention(MAX_ATTEMPTS))
}

/// `count` notice numbers of the EC drawn at random (not yet claimed: the
/// store's claim makes each unique).
pub(crate) fn draw_numbers(entity: &Entity, count: usize) -> Vec<NoticeNumber> {
    (0..count)
        .map(|_| {
            let n = secret::random_up_to(MAX_SEQUENCE);
            NoticeNumber::generate(entity.segregation_code, n).expect("within the range")
        })
        .collect()
}

/// How long after the Nodo activated a payment (paGetPayment) the option
/// counts as being paid: the longest validity of a pagoPA payment token.
pub const PAYMENT_IN_PROGRESS: chrono::Duration = chrono::Duration::minutes(30);

/// Replaces an unpaid position (debtor, options, amounts, due dates,
/// transfers), keeping its notice numbers (see [`crate::domain::revision`]).
/// The Nodo reads positions afresh, so it sees the new amounts at once.
pub async fn update(
    app: &App,
    ec: &EcFiscalCode,
    iupd: &Iupd,
    draft: PositionDraft,
) -> Result<Position, PositionError> {
    use crate::domain::revision::{self, RevisionError};
    let entity = entity(&app.entities, ec)?;
    let now = app.clock.now();
    for attempt in 1..=MAX_ATTEMPTS {
        let current = get(app, ec, iupd).await?;
        let numbers = revision::assign_numbers(&current.value, &draft).map_err(|e| match e {
            RevisionError::Cancelled => PositionError::AlreadyCancelled,
            RevisionError::Paid => PositionError::Paid,
            RevisionError::Invalid(f) => PositionError::Invalid(f),
        })?;
        for o in &current.value.payment_options {
            let last = app.payments.last_activation(ec, &o.notice_number).await?;
            if last.is_some_and(|at| now - at < PAYMENT_IN_PROGRESS) {
                return Err(PositionError::BeingPaid);
            }
        }
        let missing = numbers.iter().filter(|n| n.is_none()).count();
        let next = revision::revise(
            &current.value,
            draft.clone(),
            numbers,
            draw_numbers(entity, missing),
            current.value.created_at,
        )
        .map_err(|e| match e {
            RevisionError::Invalid(f) => PositionError::Invalid(f),
            _ => PositionError::Contention(attempt),
        })?;
        let claims = revision::new_numbers(&current.value, &next);
        match app.positions.revise(&next, current.version, &claims).await {
            Ok(()) => {
                tracing::info!(ec = %ec, iupd = %iupd, options = next.payment_options.len(), "position replaced");
                return Ok(next);
            }
            // Changed meanwhile, or a drawn number taken meanwhile: again.
            Err(StoreError::VersionConflict | StoreError::DuplicateNotice(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(PositionError::Contention(MAX_ATTEMPTS))
}

pub async fn get(
    app: &App,
    ec: &EcFiscalCode,
    iupd: &Iupd,
) -> Result<Versioned<Position>, PositionError> {
    entity(&app.entities, ec)?;
    app.positions
        .get(ec, iupd)
        .await?
        .ok_or_else(|| PositionError::NotFound(iupd.clone()))
}

/// Cancels a position (optimistic locking, retried on a lost race).
pub async fn cancel(app: &App, ec: &EcFiscalCode, iupd: &Iupd) -> Result<Position, PositionError> {
    for _ in 0..MAX_ATTEMPTS {
        let current = get(app, ec, iupd).await?;
        let next = current.value.cancel(app.clock.now()).map_err(|e| match e {
            TransitionError::AlreadyPaid => PositionError::HasPayments,
            TransitionError::Cancelled | TransitionError::UnknownNotice => {
                PositionError::AlreadyCancelled
            }
        })?;
        match app.positions.replace(&next, current.version).await {
            Ok(()) => {
                tracing::info!(ec = %ec, iupd = %iupd, "position cancelled");
                return Ok(next);
            }
            Err(StoreError::VersionConflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(PositionError::Contention(MAX_ATTEMPTS))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Value {
        json!({"iupd": "TARI-2026-0001",
          "debtor": {"type": "F", "fiscalCode": "RSSMRA85T10A562S", "fullName": "Mario Rossi",
                     "email": "mario.rossi@example.org"},
          "serviceCode": "TARI", "description": "TARI 2026",
          "paymentOptions": [{"amountCents": 15050, "dueDate": "2026-12-31", "description": "Rata unica",
            "transfers": [{"ecFiscalCode": "01199250158", "iban": "IT60X0542811101000000123456",
                           "amountCents": 15050, "remittanceInformation": "TARI 2026", "category": "9/0101100IM/"}]}]})
    }

    mod use_cases {
        use super::super::*;
        use crate::memory::Fault;
        use crate::service::testkit::{ec, kit};

        fn draft(iupd: &str, notice: Option<&str>) -> PositionDraft {
            let mut doc = super::sample();
            doc["iupd"] = json!(iupd);
            doc["paymentOptions"][0]["transfers"][0]["ecFiscalCode"] = json!("77777777777");
            if let Some(n) = notice {
                doc["paymentOptions"][0]["noticeNumber"] = json!(n);
            }
            parse_draft(&doc).unwrap()
        }

        #[tokio::test]
        async fn notice_numbers_are_drawn_at_random_and_iupds_are_unique() {
            let (app, fakes) = kit().await;
            let a = create(&app, &ec(), draft("A", None)).await.unwrap();
            let b = create(&app, &ec(), draft("B", None)).await.unwrap();
            let (na, nb) = (
                a.payment_options[0].notice_number,
                b.payment_options[0].notice_number,
            );
            assert_ne!(na, nb);
            assert!(
                na.as_str().starts_with("301"),
                "aux digit 3, segregation code 01"
            );
            assert!(matches!(
                create(&app, &ec(), draft("A", None)).await,
                Err(PositionError::DuplicateIupd(_))
            ));
            assert!(matches!(
                create(&app, &ec(), draft("C", Some(na.as_str()))).await,
                Err(PositionError::NoticeInUse(n)) if n == na
            ));
            fakes.store.faults.inject("insert", Fault::Unavailable, 1);
            assert!(matches!(
                create(&app, &ec(), draft("D", None)).await,
                Err(PositionError::Store(_))
            ));
            // Not walkable: consecutive positions are nowhere near each other.
            let seq = |n: NoticeNumber| n.as_str()[3..16].parse::<i64>().unwrap();
            assert!((seq(na) - seq(nb)).abs() > 1_000, "{na} {nb}");
            // A number drawn that another position took meanwhile: drawn again.
            fakes.store.faults.inject("insert", Fault::Conflict, 2);
            let before = fakes.store.faults.calls("insert");
            let f = create(&app, &ec(), draft("F", None)).await.unwrap();
            assert_eq!(fakes.store.faults.calls("insert") - before, 3);
            assert!(f.payment_options[0]
                .notice_number
                .as_str()
                .starts_with("301"));
            let other = crate::domain::EcFiscalCode::parse("01199250158").unwrap();
            assert!(matches!(
                create(&app, &other, draft("E", None)).await,
                Err(PositionError::UnknownEc)
            ));
        }

        #[tokio::test]
        async fn an_update_keeps_the_numbers_and_the_nodo_sees_it_at_once() {
            use crate::service::nodo;
            use crate::service::testkit::{at, entity, now, send_receipt};
            let (app, fakes) = kit().await;
            let p = create(&app, &ec(), draft("U", None)).await.unwrap();
            let n = p.payment_options[0].notice_number;
            let mut doc = super::sample();
            doc["iupd"] = json!("U");
            doc["paymentOptions"][0]["amountCents"] = json!(20000);
            doc["paymentOptions"][0]["transfers"][0]["amountCents"] = json!(20000);
            doc["paymentOptions"][0]["transfers"][0]["ecFiscalCode"] = json!("77777777777");
            doc["debtor"]["fullName"] = json!("Maria Rossi");
            let mut second = doc["paymentOptions"][0].clone();
            second["installment"] = json!(true);
            doc["paymentOptions"][0]["installment"] = json!(false);
            doc["paymentOptions"] = json!([doc["paymentOptions"][0].clone(), second]);
            // A lost race on the first write: read again and retried.
            fakes.store.faults.inject("revise", Fault::Conflict, 1);
            let u = update(&app, &ec(), &p.iupd, parse_draft(&doc).unwrap())
                .await
                .unwrap();
            assert_eq!(u.payment_options[0].notice_number, n);
            let fresh = u.payment_options[1].notice_number;
            assert_ne!(fresh, n);
            assert_eq!(u.debtor.full_name.as_str(), "Maria Rossi");
            // The Nodo sees the new amount; the new number is claimed.
            let found = nodo::verify(&app, entity(&app), &ec(), n.as_str())
                .await
                .unwrap();
            assert_eq!(found.option().amount_cents.cents(), 20000);
            assert!(nodo::verify(&app, entity(&app), &ec(), fresh.as_str())
                .await
                .is_ok());
            let mut other = draft("V", Some(fresh.as_str()));
            other.iupd = Iupd::parse("V").unwrap();
            assert!(matches!(
                create(&app, &ec(), other).await,
                Err(PositionError::NoticeInUse(_))
            ));
            // Being paid: the Nodo activated a payment moments ago.
            nodo::activate(&app, entity(&app), &ec(), n.as_str(), None)
                .await
                .unwrap();
            assert!(matches!(
                update(&app, &ec(), &p.iupd, parse_draft(&doc).unwrap()).await,
                Err(PositionError::BeingPaid)
            ));
            let later = at(
                &app,
                now() + PAYMENT_IN_PROGRESS + chrono::Duration::seconds(1),
            );
            update(&later, &ec(), &p.iupd, parse_draft(&doc).unwrap())
                .await
                .unwrap();
            // Paid: never replaced again; a missing iupd is not found.
            send_receipt(&later, &n, "r-u").await.unwrap();
            assert!(matches!(
                update(&later, &ec(), &p.iupd, parse_draft(&doc).unwrap()).await,
                Err(PositionError::Paid)
            ));
            let mut missing = parse_draft(&doc).unwrap();
            missing.iupd = Iupd::parse("NOPE").unwrap();
            assert!(matches!(
                update(&later, &ec(), &missing.iupd.clone(), missing).await,
                Err(PositionError::NotFound(_))
            ));
        }

        #[tokio::test]
        async fn a_cancellation_is_retried_after_a_lost_race_and_happens_once() {
            let (app, fakes) = kit().await;
            let p = create(&app, &ec(), draft("X", None)).await.unwrap();
            fakes.store.faults.inject("replace", Fault::Conflict, 2);
            let cancelled = cancel(&app, &ec(), &p.iupd).await.unwrap();
            assert!(cancelled.is_cancelled());
            assert!(matches!(
                cancel(&app, &ec(), &p.iupd).await,
                Err(PositionError::AlreadyCancelled)
            ));
            let missing = Iupd::parse("NOPE").unwrap();
            assert!(matches!(
                get(&app, &ec(), &missing).await,
                Err(PositionError::NotFound(_))
            ));
        }
    }

    #[test]
    fn parses_the_documented_example() {
        let d = parse_draft(&sample()).unwrap();
        assert_eq!(d.iupd.as_str(), "TARI-2026-0001");
        assert_eq!(d.payment_options[0].amount_cents.cents(), 15050);
        assert_eq!(d.missing_notice_numbers(), 1);
        assert!(!d.switch_to_expired);
    }

    #[test]
    fn names_every_invalid_field() {
        let mut doc = sample();
        doc["debtor"]["fiscalCode"] = json!("RSSMRA85T10A562X");
        doc["debtor"]["type"] = json!("X");
        doc["paymentOptions"][0]["amountCents"] = json!(-5);
        doc["paymentOptions"][0]["dueDate"] = json!("31/12/2026");
        doc["paymentOptions"][0]["transfers"][0]["iban"] = json!("IT00");
        doc["paymentOptions"][0]["noticeNumber"] = json!("301000000000000145");
        doc["colour"] = json!("blue");
        let errs = parse_draft(&doc).unwrap_err();
        let mut fields = errs.fields();
        fields.sort();
        assert_eq!(
            fields,
            vec![
                "colour",
                "debtor.fiscalCode",
                "debtor.type",
                "paymentOptions[0].amountCents",
                "paymentOptions[0].dueDate",
                "paymentOptions[0].noticeNumber",
                "paymentOptions[0].transfers[0].iban",
            ]
        );
    }

    #[test]
    fn wrong_types_and_missing_fields() {
        let errs = parse_draft(&json!({"iupd": 5, "paymentOptions": {}})).unwrap_err();
        let fields = errs.fields();
        for f in [
            "iupd",
            "debtor",
            "serviceCode",
            "description",
            "paymentOptions",
        ] {
            assert!(fields.contains(&f), "{f} in {fields:?}");
        }
        let errs = parse_draft(&json!({"iupd": "A", "debtor": {"type": "F", "fiscalCode": "RSSMRA85T10A562S", "fullName": "M", "address": "via Roma"},
            "serviceCode": "X", "description": "d", "paymentOptions": []})).unwrap_err();
        assert_eq!(errs.fields(), vec!["debtor.address", "paymentOptions"]);
    }
}
