//! The demo dataset loaded by `make run`: positions in every state, for two ECs.
//! It goes through the same use cases as the operator API. Notice numbers are
//! fixed (high sequence numbers, far from the ones the counter hands out), so
//! the README can list them; due dates are relative to today.

use chrono::Duration;
use serde_json::{json, Value};
use shared::domain::text::Iupd;
use shared::domain::{EcFiscalCode, NoticeNumber, SegregationCode};
use shared::http::ApiError;
use shared::service::positions::{self, PositionError};
use shared::App;

/// First demo sequence number: notice numbers `3<seg>9000000000001..`.
const DEMO_BASE: u64 = 9_000_000_000_000;

pub fn demo_notice(seg: u8, k: u64) -> NoticeNumber {
    NoticeNumber::generate(
        SegregationCode::new(seg).expect("segregation code"),
        DEMO_BASE + k,
    )
    .expect("demo sequence")
}

/// One demo notice, as listed in the README.
#[derive(Debug, Clone)]
pub struct DemoNotice {
    pub label: &'static str,
    pub ec: &'static str,
    pub notice: NoticeNumber,
    pub debtor: String,
}

struct Demo {
    ec: &'static str,
    seg: u8,
    iupd: &'static str,
    debtor: Value,
    service: &'static str,
    description: &'static str,
    switch_to_expired: bool,
    options: Vec<Opt>,
    then: Then,
}

/// Another EC's share of a payment: (EC fiscal code, IBAN, cents).
type Share = (&'static str, &'static str, u64);

/// One payment option: label, demo sequence k, cents, due in days from today,
/// installment, share of another EC.
struct Opt(&'static str, u64, u64, i64, bool, Option<Share>);

#[derive(PartialEq)]
enum Then {
    Nothing,
    Pay,
    Cancel,
}

fn mario() -> Value {
    json!({"type": "F", "fiscalCode": "RSSMRA85T10A562S", "fullName": "Mario Rossi", "email": "mario.rossi@example.org",
           "address": {"streetName": "Via Roma", "civicNumber": "1", "postalCode": "00100", "city": "Roma",
                       "stateProvinceRegion": "RM", "country": "IT"}})
}
fn chiara() -> Value {
    json!({"type": "F", "fiscalCode": "CNTCHR83T41D969D", "fullName": "Chiara Conti", "email": "chiara.conti@example.org"})
}
fn company() -> Value {
    json!({"type": "G", "fiscalCode": "01234567897", "fullName": "Esempio Servizi S.r.l.", "email": "amministrazione@esempio-servizi.example"})
}

fn dataset() -> Vec<Demo> {
    vec![
        Demo {
            ec: "77777777777",
            seg: 1,
            iupd: "DEMO-TARI-2026-001",
            debtor: mario(),
            service: "TARI",
            description: "TARI 2026 - tassa sui rifiuti",
            switch_to_expired: false,
            options: vec![Opt("da pagare", 1, 15050, 60, false, None)],
            then: Then::Nothing,
        },
        Demo {
            ec: "77777777777",
            seg: 1,
            iupd: "DEMO-MENSA-2026-002",
            debtor: chiara(),
            service: "MENSA",
            description: "Mensa scolastica - ottobre 2026",
            switch_to_expired: true,
            options: vec![Opt("scaduto", 2, 8900, -30, false, None)],
            then: Then::Nothing,
        },
        Demo {
            ec: "77777777777",
            seg: 1,
            iupd: "DEMO-CDS-2026-003",
            debtor: mario(),
            service: "CDS",
            description: "Sanzione codice della strada n. 1234/2026",
            switch_to_expired: false,
            options: vec![Opt("pagato", 3, 4200, 20, false, None)],
            then: Then::Pay,
        },
        Demo {
            ec: "77777777777",
            seg: 1,
            iupd: "DEMO-COSAP-2026-004",
            debtor: company(),
            service: "COSAP",
            description: "Canone occupazione suolo pubblico 2026",
            switch_to_expired: false,
            options: vec![Opt("annullato", 4, 32000, 40, false, None)],
            then: Then::Cancel,
        },
        Demo {
            ec: "77777777777",
            seg: 1,
            iupd: "DEMO-TARI-2026-005",
            debtor: chiara(),
            service: "TARI",
            description: "TARI 2026 - tassa sui rifiuti",
            switch_to_expired: false,
            options: vec![
                Opt("unica soluzione", 5, 30000, 30, false, None),
                Opt("rata 1 di 3", 6, 10000, 30, true, None),
                Opt("rata 2 di 3", 7, 10000, 60, true, None),
                Opt("rata 3 di 3", 8, 10000, 90, true, None),
            ],
            then: Then::Nothing,
        },
        Demo {
            ec: "80001234568",
            seg: 2,
            iupd: "DEMO-IMU-2026-001",
            debtor: mario(),
            service: "IMU",
            description: "IMU 2026 - acconto",
            switch_to_expired: false,
            options: vec![Opt(
                "da pagare, due beneficiari",
                1,
                51200,
                45,
                false,
                Some(("77777777777", "IT60X0542811101000000123456", 12800)),
            )],
            then: Then::Nothing,
        },
    ]
}

fn iban_of(ec: &str) -> &'static str {
    match ec {
        "77777777777" => "IT60X0542811101000000123456",
        _ => "IT36A0301503200000003517230",
    }
}

/// Pays a demo position as pagoPA does: paGetPaymentV2, then a receipt delivered
/// with paSendRTV2 to the station endpoint, so the receipt exists and can be
/// downloaded and mailed like any other.
async fn pay_through_the_nodo(app: &App, ec: &EcFiscalCode, iupd: &Iupd) -> Result<(), ApiError> {
    use pagopa_simulator::nodo;
    let p = positions::get(app, ec, iupd).await?.value;
    let o = &p.payment_options[0];
    let entity = positions::entity(&app.entities, ec)?;
    let station = nodo::Station {
        id_pa: ec.to_string(),
        id_broker_pa: entity.broker_id.to_string(),
        id_station: entity.station_ids[0].clone(),
    };
    let fail = |m: String| ApiError::internal(format!("demo payment: {m}"));
    let request = nodo::get_payment_request(
        &station,
        o.notice_number.as_str(),
        true,
        o.amount_cents.cents(),
        Some("demo"),
    );
    let answer = shared::soap::station::handle(app, request.as_bytes(), None).await;
    let message = nodo::body_element(&answer.body).map_err(fail)?;
    let data = message
        .child("data")
        .ok_or_else(|| fail(answer.body.clone()))?;
    let psp = nodo::PspPayment {
        receipt_id: format!("demo{}", o.notice_number),
        payer_email: p.debtor.email.as_ref().map(|e| e.as_str().to_owned()),
        payment_note: Some("demo".into()),
        fee_cents: 100,
        payment_date_time: (app.clock.now() + Duration::hours(1)).naive_utc(),
    };
    let receipt =
        nodo::receipt_from_payment(data, o.notice_number.as_str(), ec.as_str(), &psp, true)
            .map_err(fail)?;
    let answer = shared::soap::station::handle(
        app,
        nodo::send_rt_request(&station, &receipt, true).as_bytes(),
        None,
    )
    .await;
    let outcome = nodo::body_element(&answer.body).map_err(fail)?;
    match outcome.child("outcome").map(|o| o.text.as_str()) {
        Some("OK") => Ok(()),
        _ => Err(fail(answer.body)),
    }
}

/// Loads the dataset; positions that already exist are left as they are.
pub async fn seed(app: &App) -> Result<Vec<DemoNotice>, ApiError> {
    let today = app.clock.today();
    let mut listed = Vec::new();
    for d in dataset() {
        let several = d.options.len() > 1;
        let options: Vec<Value> = d
            .options
            .iter()
            .map(|Opt(label, k, cents, due, installment, extra)| {
                let mut transfers = vec![];
                let own = cents - extra.map(|e| e.2).unwrap_or(0);
                transfers.push(json!({"ecFiscalCode": d.ec, "iban": iban_of(d.ec), "amountCents": own,
                    "remittanceInformation": d.description, "category": "9/0101100IM/"}));
                if let Some((ec, iban, c)) = extra {
                    transfers.push(json!({"ecFiscalCode": ec, "iban": iban, "amountCents": c,
                        "remittanceInformation": format!("{} - quota {}", d.description, ec), "category": "9/0101100IM/"}));
                }
                listed.push(DemoNotice {
                    label,
                    ec: d.ec,
                    notice: demo_notice(d.seg, *k),
                    debtor: d.debtor["fiscalCode"].as_str().expect("demo debtor").to_owned(),
                });
                json!({"noticeNumber": demo_notice(d.seg, *k), "amountCents": cents,
                       "dueDate": (today + Duration::days(*due)).to_string(),
                       "description": if several { format!("{} ({label})", d.description) } else { d.description.to_owned() },
                       "installment": installment,
                       "transfers": transfers})
            })
            .collect();
        let doc = json!({"iupd": d.iupd, "debtor": d.debtor, "serviceCode": d.service, "description": d.description,
                         "switchToExpired": d.switch_to_expired, "paymentOptions": options});
        let draft = positions::parse_draft(&doc)
            .map_err(|e| ApiError::internal(format!("demo data: {e}")))?;
        let ec = EcFiscalCode::parse(d.ec).expect("demo EC");
        match positions::create(app, &ec, draft).await {
            Ok(_) => {}
            Err(PositionError::DuplicateIupd(_) | PositionError::NoticeInUse(_)) => continue,
            Err(e) => return Err(e.into()),
        }
        let iupd = Iupd::parse(d.iupd).expect("demo iupd");
        match d.then {
            Then::Nothing => {}
            Then::Cancel => {
                positions::cancel(app, &ec, &iupd).await?;
            }
            Then::Pay => pay_through_the_nodo(app, &ec, &iupd).await?,
        }
    }
    // The development identity provider's "Operatore" may act for the demo EC,
    // as its administrator (the whole console, API keys included).
    shared::service::operators::set(
        app,
        &shared::domain::FiscalCode::parse(DEMO_OPERATOR).expect("valid fiscal code"),
        vec![shared::domain::access::Grant {
            ec: EcFiscalCode::parse(DEMO_OPERATOR_EC).expect("valid EC"),
            role: shared::domain::access::Role::Admin,
        }],
    )
    .await
    .map_err(ApiError::from)?;
    Ok(listed)
}

/// The development identity provider's operator ("Operatore Demo").
pub const DEMO_OPERATOR: &str = "VRDGPP80A01H501U";
/// The EC the demo operator administers.
pub const DEMO_OPERATOR_EC: &str = "77777777777";
