//! What the use-case tests share: an [`App`] on the in-memory adapters with the
//! demo ECs and catalogue, at a fixed time, and builders of positions and
//! receipts. Tests only.

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::app::Clock;
use crate::domain::catalog::Catalog;
use crate::domain::receipt::Receipt;
use crate::domain::{EcFiscalCode, Entities, Entity, NoticeNumber, Position};
use crate::memory::{self, Fakes};
use crate::service::nodo::{self, NodoError, Received};
use crate::service::positions;
use crate::App;

/// The demo EC (pagoPA's test EC) and a second one on the same station.
pub const EC: &str = "77777777777";
pub const OTHER_EC: &str = "80001234568";
pub const DEBTOR: &str = "RSSMRA85T10A562S";
pub const PAYER: &str = "VRDGPP80A01H501U";

/// The tests' "now": 1 June 2026, noon in Italy.
pub fn now() -> DateTime<Utc> {
    "2026-06-01T10:00:00Z".parse().expect("valid time")
}

pub fn ec() -> EcFiscalCode {
    EcFiscalCode::parse(EC).expect("valid EC")
}

/// An app on in-memory adapters, with the ECs and catalogue of `infra/config`.
pub async fn kit() -> (App, Fakes) {
    let entities =
        Entities::from_json(include_str!("../../../infra/config/entities.json")).expect("demo ECs");
    let (app, fakes) = memory::app(entities, Clock::fixed(now()));
    let catalog = Catalog::from_json(include_str!("../../../infra/config/services.json"))
        .expect("demo catalogue");
    for s in catalog.iter() {
        app.catalog.put_service(s).await.expect("catalogue stored");
    }
    (app, fakes)
}

/// The same app at another time (same adapters).
pub fn at(app: &App, when: DateTime<Utc>) -> App {
    let mut later = app.clone();
    later.clock = Clock::fixed(when);
    later
}

pub fn entity(app: &App) -> &Entity {
    app.entities.get(&ec()).expect("demo EC")
}

/// A position of the demo EC: one option per `(cents, due date, installment)`,
/// its debtor with an email address.
pub async fn position(app: &App, iupd: &str, options: &[(u64, &str, bool)]) -> Position {
    let options: Vec<serde_json::Value> = options
        .iter()
        .map(|(cents, due, installment)| {
            json!({"amountCents": cents, "dueDate": due, "description": "TARI 2026",
                "installment": installment,
                "transfers": [{"ecFiscalCode": EC, "iban": "IT60X0542811101000000123456",
                    "postalIban": "IT57N0760114800000011050036",
                    "amountCents": cents, "remittanceInformation": "TARI 2026", "category": "9/0101100IM/"}]})
        })
        .collect();
    let draft = positions::parse_draft(&json!({"iupd": iupd,
        "debtor": {"type": "F", "fiscalCode": DEBTOR, "fullName": "Mario Rossi",
                   "email": "mario.rossi@example.org"},
        "serviceCode": "TARI", "description": "TARI 2026", "switchToExpired": true,
        "paymentOptions": options}))
    .expect("valid position");
    positions::create(app, &ec(), draft)
        .await
        .expect("position created")
}

/// A payable position with one option of 150,50 € due at the end of the year.
pub async fn payable(app: &App, iupd: &str) -> (Position, NoticeNumber) {
    let p = position(app, iupd, &[(15_050, "2026-12-31", false)]).await;
    let n = p.payment_options[0].notice_number;
    (p, n)
}

/// A V2 receipt of `notice` delivered to the demo EC, paid by another citizen.
pub fn receipt(notice: &NoticeNumber, id: &str, cents: u64) -> Receipt {
    crate::domain::receipt::samples::receipt(&ec(), notice, id, cents)
}

/// The Nodo sends receipt `id` of 150,50 € for notice `n`, in a plain body.
pub async fn send_receipt(app: &App, n: &NoticeNumber, id: &str) -> Result<Received, NodoError> {
    nodo::receive(
        app,
        entity(app),
        receipt(n, id, 15_050),
        "<r/>".into(),
        vec![],
    )
    .await
}

/// The receipt `id` of the demo EC, as stored.
pub async fn stored(app: &App, id: &str) -> Option<crate::ports::ReceiptRecord> {
    app.receipts
        .get_receipt(&ec(), id)
        .await
        .expect("get_receipt")
}
