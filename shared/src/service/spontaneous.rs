//! Spontaneous payments: a citizen (or a PSP, through paDemandPaymentNotice)
//! fills a service's form and gets a new position with a new notice number.
//!
//! Re-submitting the same request does not create a second position: the
//! position's iupd is derived from the service and the request's idempotency key,
//! and the store refuses a second position with the same iupd.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::domain::catalog::Service;
use crate::domain::input::{cents, Reader};
use crate::domain::position::Debtor;
use crate::domain::text::{Iupd, ServiceCode};
use crate::domain::{AmountCents, EcFiscalCode, FieldErrors, FiscalCode, Position};
use crate::ports::StoreError;
use crate::service::positions::{self, PositionError};
use crate::App;

/// Why a spontaneous payment's position was not created.
#[derive(Debug, thiserror::Error)]
pub enum SpontaneousError {
    /// Unknown EC or service, or a service not payable without a notice.
    #[error("service not available for spontaneous payments")]
    ServiceNotFound,
    /// The form's values or the amount break the service's rules, each named.
    #[error("invalid request: {0}")]
    Invalid(FieldErrors),
    /// The idempotency key is missing or malformed.
    #[error("invalid idempotency key")]
    InvalidKey,
    /// The idempotency key was used for a different request.
    #[error("idempotency key reused for a different request")]
    KeyReused,
    /// The position could not be created.
    #[error("position not created")]
    Position(#[from] PositionError),
}

impl From<StoreError> for SpontaneousError {
    fn from(e: StoreError) -> Self {
        SpontaneousError::Position(PositionError::Store(e))
    }
}

/// Longest idempotency key accepted.
pub const MAX_KEY_LEN: usize = 200;

/// What a citizen asks for: who pays, the form's values, the amount when free.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub debtor: Debtor,
    pub fields: BTreeMap<String, String>,
    pub amount_cents: Option<AmountCents>,
}

/// Every enabled service of the ECs this portal serves, in the ECs' order.
pub async fn enabled_services(app: &App) -> Result<Vec<Service>, StoreError> {
    let mut all = Vec::new();
    for entity in app.entities.iter() {
        let mut services = app.catalog.services(&entity.fiscal_code).await?;
        services.retain(|s| s.spontaneous);
        services.sort_by(|a, b| a.name.cmp(&b.name));
        all.extend(services);
    }
    Ok(all)
}

/// One enabled service; 404 when unknown or not payable without a notice.
pub async fn service(app: &App, ec: &str, code: &str) -> Result<Service, SpontaneousError> {
    let not_found = SpontaneousError::ServiceNotFound;
    let (Ok(ec), Ok(code)) = (EcFiscalCode::parse(ec), ServiceCode::parse(code)) else {
        return Err(not_found);
    };
    if app.entities.get(&ec).is_none() {
        return Err(not_found);
    }
    match app.catalog.service(&ec, &code).await? {
        Some(s) if s.spontaneous => Ok(s),
        _ => Err(not_found),
    }
}

/// Reads the JSON body of `POST /api/v1/services/{ec}/{code}/positions`.
pub fn parse_request(doc: &Value) -> Result<Request, FieldErrors> {
    let mut r = Reader::default();
    let req = (|| {
        let o = r.object(doc, "")?;
        o.deny_unknown(&mut r, &["debtor", "fields", "amountCents"]);
        let debtor = o
            .object(&mut r, "debtor")
            .and_then(|d| positions::read_debtor(&mut r, &d));
        let fields = o.opt(&mut r, "fields", |v| {
            let map = v
                .as_object()
                .ok_or("deve essere un oggetto nome → valore")?;
            map.iter()
                .map(|(k, v)| match v {
                    Value::String(s) => Ok((k.clone(), s.clone())),
                    Value::Number(n) => Ok((k.clone(), n.to_string())),
                    Value::Null => Ok((k.clone(), String::new())),
                    _ => Err(format!("{k}: deve essere un testo o un numero")),
                })
                .collect::<Result<BTreeMap<_, _>, _>>()
        });
        let amount = o.opt(&mut r, "amountCents", cents);
        Some(Request {
            debtor: debtor?,
            fields: fields?.unwrap_or_default(),
            amount_cents: amount?,
        })
    })();
    r.finish(req)
}

/// The iupd of the position a request creates: the same key for the same
/// service always names the same position.
pub fn iupd_for(service: &Service, key: &str) -> Iupd {
    let mut h = Sha256::new();
    h.update(service.ec_fiscal_code.as_str().as_bytes());
    h.update([0]);
    h.update(service.code.as_str().as_bytes());
    h.update([0]);
    h.update(key.as_bytes());
    let digest = h.finalize();
    let hex: String = digest.iter().take(14).map(|b| format!("{b:02x}")).collect();
    Iupd::parse(&format!("SPO-{hex}")).expect("valid iupd")
}

/// Checks an idempotency key: 1–200 visible ASCII characters.
pub fn check_key(key: &str) -> Result<&str, SpontaneousError> {
    let ok =
        !key.is_empty() && key.len() <= MAX_KEY_LEN && key.bytes().all(|b| b.is_ascii_graphic());
    if ok {
        Ok(key)
    } else {
        Err(SpontaneousError::InvalidKey)
    }
}

/// Whether an existing position is what this request would have created.
fn same_request(
    p: &Position,
    debtor: &Debtor,
    amount: AmountCents,
    data: &BTreeMap<String, String>,
) -> bool {
    p.debtor.fiscal_code == debtor.fiscal_code
        && p.payment_options.first().map(|o| o.amount_cents) == Some(amount)
        && &p.service_data == data
}

/// Creates the position of a spontaneous payment, or returns the one this key
/// already created (`false`). Every invalid field is named. `signed_in` is the
/// citizen signed in, if any: a position for anyone else's fiscal code (or made
/// without login) is anonymous, due within `anonymous_position_days` at most,
/// and expires unpaid.
pub async fn create(
    app: &App,
    service: &Service,
    req: Request,
    key: &str,
    signed_in: Option<&FiscalCode>,
) -> Result<(Position, bool), SpontaneousError> {
    let key = check_key(key)?;
    let entity = positions::entity(&app.entities, &service.ec_fiscal_code)?;
    let mut errors = FieldErrors::default();
    let values = match service.validate_fields(&req.fields) {
        Ok(v) => Some(v),
        Err(e) => {
            errors.extend(e);
            None
        }
    };
    let amount = match service.amount.amount(req.amount_cents) {
        Ok(a) => Some(a),
        Err(m) => {
            errors.push("amountCents", m);
            None
        }
    };
    let (Some(values), Some(amount)) = (values, amount) else {
        return Err(SpontaneousError::Invalid(errors));
    };
    let description = service.payment_description(&values);
    let data: BTreeMap<String, String> = values.as_map().clone();
    let iupd = iupd_for(service, key);
    let reuse = |p: Position| {
        if same_request(&p, &req.debtor, amount, &data) {
            Ok((p, false))
        } else {
            Err(SpontaneousError::KeyReused)
        }
    };
    if let Some(existing) = app.positions.get(&entity.fiscal_code, &iupd).await? {
        return reuse(existing.value);
    }
    let anonymous = signed_in != Some(&req.debtor.fiscal_code);
    let (mut due, mut switch_to_expired) = service.due_date(app.clock.today());
    if anonymous {
        let days = chrono::Days::new(u64::from(app.settings.anonymous_position_days));
        let cap = app.clock.today().checked_add_days(days).unwrap_or(due);
        due = due.min(cap);
        switch_to_expired = true;
    }
    let debtor = serde_json::to_value(&req.debtor).expect("a debtor serialises");
    let doc = json!({
        "iupd": iupd.as_str(),
        "debtor": debtor,
        "serviceCode": service.code.as_str(),
        "description": description.as_str(),
        "switchToExpired": switch_to_expired,
        "serviceData": data,
        "paymentOptions": [{
            "amountCents": amount.cents(), "dueDate": due.to_string(), "description": description.as_str(),
            "transfers": [{
                "ecFiscalCode": entity.fiscal_code.as_str(), "iban": service.iban.as_str(),
                "postalIban": service.postal_iban.as_ref().map(|p| p.as_str()),
                "amountCents": amount.cents(), "remittanceInformation": description.as_str(),
                "category": service.category.as_str()}]}]
    });
    let mut draft = positions::parse_draft(&doc).map_err(SpontaneousError::Invalid)?;
    draft.anonymous = anonymous;
    match positions::create(app, &entity.fiscal_code, draft).await {
        Ok(p) => {
            tracing::info!(ec = %p.ec_fiscal_code, service = %service.code, iupd = %p.iupd, "spontaneous position created");
            Ok((p, true))
        }
        // The same request, submitted twice at once: the other one won.
        Err(PositionError::DuplicateIupd(_)) => {
            match app.positions.get(&entity.fiscal_code, &iupd).await? {
                Some(existing) => reuse(existing.value),
                None => Err(PositionError::Contention(1).into()),
            }
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(ec: &str, code: &str) -> Service {
        Service::from_json(&format!(
            r#"{{"ecFiscalCode":"{ec}","code":"{code}","name":"Servizio","spontaneous":true,
            "category":"9/0101100IM/","iban":"IT60X0542811101000000123456","amount":{{"fixedCents":100}}}}"#
        ))
        .unwrap()
    }

    #[test]
    fn the_iupd_is_a_function_of_service_and_key() {
        let a = service("77777777777", "CERT");
        let b = service("77777777777", "MENSA");
        let c = service("80001234568", "CERT");
        assert_eq!(iupd_for(&a, "k1"), iupd_for(&a, "k1"));
        assert_ne!(iupd_for(&a, "k1"), iupd_for(&a, "k2"));
        assert_ne!(iupd_for(&a, "k1"), iupd_for(&b, "k1"));
        assert_ne!(iupd_for(&a, "k1"), iupd_for(&c, "k1"));
        let long = iupd_for(&a, &"x".repeat(MAX_KEY_LEN));
        assert!(long.as_str().len() <= 35 && long.as_str().starts_with("SPO-"));
    }

    #[test]
    fn keys_are_checked() {
        assert!(check_key("a1b2-c3").is_ok());
        assert!(check_key("").is_err());
        assert!(check_key("with space").is_err());
        assert!(check_key(&"x".repeat(201)).is_err());
        assert!(check_key("àèì").is_err());
    }

    mod use_cases {
        use super::super::*;
        use crate::domain::position::SubjectType;
        use crate::domain::text::FullName;
        use crate::domain::FiscalCode;
        use crate::memory::Fault;
        use crate::service::testkit::{kit, EC};

        fn mario() -> FiscalCode {
            FiscalCode::parse("RSSMRA85T10A562S").unwrap()
        }

        fn request(name: &str) -> Request {
            Request {
                debtor: Debtor {
                    kind: SubjectType::F,
                    fiscal_code: FiscalCode::parse("RSSMRA85T10A562S").unwrap(),
                    full_name: FullName::parse("Mario Rossi").unwrap(),
                    address: None,
                    email: None,
                },
                fields: BTreeMap::from([
                    ("tipoCertificato".to_owned(), "residenza".to_owned()),
                    ("richiedente".to_owned(), name.to_owned()),
                ]),
                amount_cents: None,
            }
        }

        #[tokio::test]
        async fn creates_once_per_key() {
            let (app, fakes) = kit().await;
            let cert = service(&app, EC, "CERT").await.unwrap();
            let (p, created) = create(&app, &cert, request("Mario Rossi"), "k-1", Some(&mario()))
                .await
                .unwrap();
            assert!(created);
            assert_eq!(p.payment_options[0].amount_cents.cents(), 1600);
            assert_eq!(p.payment_options[0].due_date.to_string(), "2026-07-01");
            let (again, created) =
                create(&app, &cert, request("Mario Rossi"), "k-1", Some(&mario()))
                    .await
                    .unwrap();
            assert!(!created);
            assert_eq!(
                again.payment_options[0].notice_number,
                p.payment_options[0].notice_number
            );
            assert_eq!(fakes.store.faults.calls("insert"), 1);
            assert!(matches!(
                create(&app, &cert, request("Luca Bianchi"), "k-1", Some(&mario())).await,
                Err(SpontaneousError::KeyReused)
            ));
            assert!(matches!(
                create(
                    &app,
                    &cert,
                    request("Mario Rossi"),
                    "with space",
                    Some(&mario())
                )
                .await,
                Err(SpontaneousError::InvalidKey)
            ));
        }

        #[tokio::test]
        async fn a_position_made_without_login_is_anonymous_and_expires_soon() {
            let (app, _) = kit().await;
            let cert = service(&app, EC, "CERT").await.unwrap();
            let stranger = FiscalCode::parse("CNTCHR83T41D969D").unwrap();
            for (key, who) in [("a-1", None), ("a-2", Some(&stranger))] {
                let (p, _) = create(&app, &cert, request("Mario Rossi"), key, who)
                    .await
                    .unwrap();
                assert!(p.anonymous, "{key}");
                assert!(p.switch_to_expired);
                // Seven days, not the service's thirty.
                assert_eq!(p.payment_options[0].due_date.to_string(), "2026-06-08");
            }
            let (own, _) = create(&app, &cert, request("Mario Rossi"), "a-3", Some(&mario()))
                .await
                .unwrap();
            assert!(!own.anonymous);
            assert_eq!(own.payment_options[0].due_date.to_string(), "2026-07-01");
        }

        #[tokio::test]
        async fn concurrent_requests_with_one_key_make_one_position() {
            let (app, fakes) = kit().await;
            let cert = service(&app, EC, "CERT").await.unwrap();
            let me = mario();
            let (a, b) = tokio::join!(
                create(&app, &cert, request("Mario Rossi"), "same", Some(&me)),
                create(&app, &cert, request("Mario Rossi"), "same", Some(&me))
            );
            let (a, b) = (a.unwrap(), b.unwrap());
            assert_eq!(a.0.iupd, b.0.iupd);
            assert_eq!(a.1 as u8 + b.1 as u8, 1, "one of the two created it");
            assert!(fakes.store.faults.calls("insert") >= 1);
        }

        #[tokio::test]
        async fn every_invalid_field_is_named() {
            let (app, _) = kit().await;
            let cert = service(&app, EC, "CERT").await.unwrap();
            let mut bad = request("");
            bad.fields.insert("tipoCertificato".into(), "altro".into());
            bad.amount_cents = Some(AmountCents::new(5).unwrap());
            let Err(SpontaneousError::Invalid(errors)) =
                create(&app, &cert, bad, "k", Some(&mario())).await
            else {
                panic!("invalid request accepted")
            };
            let mut fields = errors.fields();
            fields.sort();
            assert_eq!(
                fields,
                vec![
                    "amountCents",
                    "fields.richiedente",
                    "fields.tipoCertificato"
                ]
            );
        }

        #[tokio::test]
        async fn only_enabled_services_of_served_ecs_are_offered() {
            let (app, fakes) = kit().await;
            assert!(matches!(
                service(&app, EC, "TARI").await,
                Err(SpontaneousError::ServiceNotFound)
            ));
            assert!(matches!(
                service(&app, "01199250158", "CERT").await,
                Err(SpontaneousError::ServiceNotFound)
            ));
            assert!(matches!(
                service(&app, "x", "CERT").await,
                Err(SpontaneousError::ServiceNotFound)
            ));
            let all = enabled_services(&app).await.unwrap();
            assert!(all.iter().all(|s| s.spontaneous));
            assert!(all.iter().any(|s| s.code.as_str() == "CERT"));
            fakes.store.faults.inject("services", Fault::Unavailable, 1);
            assert!(enabled_services(&app).await.is_err());
        }

        #[tokio::test]
        async fn a_store_failure_creates_nothing() {
            let (app, fakes) = kit().await;
            let cert = service(&app, EC, "CERT").await.unwrap();
            fakes.store.faults.inject("insert", Fault::Unavailable, 1);
            assert!(matches!(
                create(&app, &cert, request("Mario Rossi"), "k-2", Some(&mario())).await,
                Err(SpontaneousError::Position(PositionError::Store(_)))
            ));
            let (_, created) = create(&app, &cert, request("Mario Rossi"), "k-2", Some(&mario()))
                .await
                .unwrap();
            assert!(created, "the retry creates it");
        }
    }

    #[test]
    fn parses_requests_and_names_invalid_fields() {
        let ok = parse_request(&json!({"debtor": {"type": "F", "fiscalCode": "RSSMRA85T10A562S", "fullName": "Mario Rossi"},
            "fields": {"richiedente": "Mario Rossi", "anno": 2026}, "amountCents": 1500}))
        .unwrap();
        assert_eq!(ok.fields["anno"], "2026");
        assert_eq!(ok.amount_cents.unwrap().cents(), 1500);
        let errs = parse_request(
            &json!({"debtor": {"type": "F", "fiscalCode": "RSSMRA85T10A562X", "fullName": ""},
            "fields": {"a": [1]}, "amountCents": -1, "extra": 1}),
        )
        .unwrap_err();
        let mut f = errs.fields();
        f.sort();
        assert_eq!(
            f,
            vec![
                "amountCents",
                "debtor.fiscalCode",
                "debtor.fullName",
                "extra",
                "fields"
            ]
        );
    }
}
