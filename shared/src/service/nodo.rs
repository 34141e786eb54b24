//! What the EC does when the pagoPA Nodo calls (paForNode): verify and activate
//! notices, take receipts, create positions on demand. The use cases answer
//! domain values or a [`NodoError`]; the SOAP edge (`soap::station`) reads the
//! requests, builds the envelopes and maps each error to pagoPA's fault code.

use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::catalog::{self, Service};
use crate::domain::intake::{self, Intake};
use crate::domain::position::NotPayable;
use crate::domain::receipt::{Anomaly, Receipt};
use crate::domain::{EcFiscalCode, Entity, NoticeNumber, Position};
use crate::ports::{Activation, ReceiptRecord, StoreError, Versioned};
use crate::service::positions::PositionError;
use crate::service::spontaneous::{self, SpontaneousError};
use crate::App;

/// How many times a receipt is re-applied after losing an optimistic-locking race.
const MAX_ATTEMPTS: usize = 8;

/// Above this size a receipt's XML goes to the document store: a DynamoDB item
/// holds at most 400 KB, and the receipt's JSON and indexes share it.
pub const LARGE_RECEIPT_BYTES: usize = 200 * 1024;

/// Why the Nodo's request is refused, in the terms of paForNode's faults.
#[derive(Debug, thiserror::Error)]
pub enum NodoError {
    #[error("idBrokerPA not served by this station")]
    UnknownBroker,
    #[error("idStation not served")]
    UnknownStation,
    #[error("idPA not served")]
    UnknownDomain,
    /// The notice's EC (qrCode.fiscalCode) is not the idPA of the request.
    #[error("qrCode.fiscalCode {0} differs from idPA")]
    ForeignNotice(EcFiscalCode),
    #[error("notice {0} unknown")]
    UnknownNotice(String),
    #[error("notice paid at {at}, receipt {receipt_id}")]
    Paid {
        at: DateTime<Utc>,
        receipt_id: String,
    },
    #[error("notice expired on {0}")]
    Expired(NaiveDate),
    #[error("position cancelled")]
    Cancelled,
    /// The debt is being paid through the other route (installments or the single payment).
    #[error("notice superseded by the other payment route")]
    Superseded,
    #[error("receipt {0} already stored")]
    DuplicateReceipt(String),
    #[error("service {0} not available for spontaneous payments")]
    UnknownService(String),
    /// The request is well formed but breaks a rule (a demand's service data).
    #[error("request refused: {0}")]
    Refused(String),
    /// Lost too many optimistic-locking races: the Nodo may retry.
    #[error("too many concurrent changes")]
    Contention,
    #[error("storage failed")]
    Store(#[from] StoreError),
    #[error("position not created")]
    Position(#[source] PositionError),
}

impl From<SpontaneousError> for NodoError {
    fn from(e: SpontaneousError) -> Self {
        match e {
            SpontaneousError::Invalid(errors) => NodoError::Refused(errors.to_string()),
            SpontaneousError::Position(PositionError::Store(s)) => NodoError::Store(s),
            SpontaneousError::Position(p) => NodoError::Position(p),
            other => NodoError::Refused(other.to_string()),
        }
    }
}

/// Who the Nodo says it is calling: the request's idPA, idBrokerPA, idStation.
#[derive(Debug, Clone, Copy)]
pub struct Caller<'a> {
    pub id_pa: &'a str,
    pub id_broker_pa: &'a str,
    pub id_station: &'a str,
}

/// Checks idBrokerPA, idStation and idPA against the configuration, in the
/// order pagoPA's reference implementations use.
pub fn check_caller<'a>(app: &'a App, caller: Caller<'_>) -> Result<&'a Entity, NodoError> {
    let all: Vec<&Entity> = app.entities.iter().collect();
    if !all
        .iter()
        .any(|e| e.broker_id.as_str() == caller.id_broker_pa)
    {
        return Err(NodoError::UnknownBroker);
    }
    let on_station: Vec<&&Entity> = all
        .iter()
        .filter(|e| e.station_ids.iter().any(|s| s == caller.id_station))
        .collect();
    if on_station.is_empty() {
        return Err(NodoError::UnknownStation);
    }
    let entity = EcFiscalCode::parse(caller.id_pa)
        .ok()
        .and_then(|cf| app.entities.get(&cf))
        .ok_or(NodoError::UnknownDomain)?;
    if !on_station
        .iter()
        .any(|e| e.broker_id.as_str() == caller.id_broker_pa)
    {
        return Err(NodoError::UnknownBroker);
    }
    if !entity.station_ids.iter().any(|s| s == caller.id_station) {
        return Err(NodoError::UnknownStation);
    }
    Ok(entity)
}

/// A notice of the EC's, with the position that holds it.
#[derive(Debug, Clone)]
pub struct Found {
    pub position: Versioned<Position>,
    pub notice: NoticeNumber,
}

impl Found {
    pub fn option(&self) -> &crate::domain::position::PaymentOption {
        self.position
            .value
            .option(&self.notice)
            .expect("found by its notice")
    }
}

/// Finds the payable notice of this EC (`qr_ec`, `qr_notice`: the request's qrCode).
async fn find_payable(
    app: &App,
    entity: &Entity,
    qr_ec: &EcFiscalCode,
    qr_notice: &str,
) -> Result<Found, NodoError> {
    if qr_ec != &entity.fiscal_code {
        return Err(NodoError::ForeignNotice(qr_ec.clone()));
    }
    let unknown = || NodoError::UnknownNotice(qr_notice.to_owned());
    let notice = NoticeNumber::parse(qr_notice).map_err(|_| unknown())?;
    let found = app
        .positions
        .find_by_iuv(&entity.fiscal_code, &notice.iuv())
        .await?;
    let found = match found {
        Some(p) if p.value.option(&notice).is_some() => Found {
            position: p,
            notice,
        },
        _ => return Err(unknown()),
    };
    let option = found.option();
    match found.position.value.not_payable(option, app.clock.today()) {
        None => Ok(found),
        Some(NotPayable::Paid) => {
            let payment = option
                .payment
                .clone()
                .expect("a paid option has its payment");
            Err(NodoError::Paid {
                at: payment.paid_at,
                receipt_id: payment.receipt_id,
            })
        }
        Some(NotPayable::Expired) => Err(NodoError::Expired(option.due_date)),
        Some(NotPayable::Cancelled) => Err(NodoError::Cancelled),
        Some(NotPayable::Superseded) => Err(NodoError::Superseded),
    }
}

/// paVerifyPaymentNotice: the notice, if it can be paid now.
pub async fn verify(
    app: &App,
    entity: &Entity,
    qr_ec: &EcFiscalCode,
    qr_notice: &str,
) -> Result<Found, NodoError> {
    find_payable(app, entity, qr_ec, qr_notice).await
}

/// paGetPayment(V2): the notice, if it can be paid now; the activation is
/// recorded for reconciliation (bookkeeping only: its failure does not stop
/// the citizen's payment).
pub async fn activate(
    app: &App,
    entity: &Entity,
    qr_ec: &EcFiscalCode,
    qr_notice: &str,
    payment_note: Option<String>,
) -> Result<Found, NodoError> {
    let found = find_payable(app, entity, qr_ec, qr_notice).await?;
    let activation = Activation {
        ec: entity.fiscal_code.clone(),
        notice_number: found.notice,
        payment_note,
        amount_cents: found.option().amount_cents.cents(),
        at: app.clock.now(),
    };
    if let Err(e) = app.payments.record_activation(&activation).await {
        tracing::warn!(error = %e, "activation not recorded");
    }
    Ok(found)
}

/// What a stored receipt meant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub anomaly: Option<Anomaly>,
    /// Whether it paid a position.
    pub paid: bool,
}

/// paSendRT(V2): stores the receipt, with the payment it records, before the
/// Nodo is answered. [`NodoError::DuplicateReceipt`] when it was already
/// stored; a storage failure is an error, so the Nodo retries.
pub async fn receive(
    app: &App,
    entity: &Entity,
    receipt: Receipt,
    xml: String,
    deviations: Vec<String>,
) -> Result<Received, NodoError> {
    let ec = &entity.fiscal_code;
    let paid_at = intake::paid_at(&receipt, app.clock.now());
    let (receipt, xml, xml_document) = keep_large(app, ec, receipt, xml).await?;
    for _ in 0..MAX_ATTEMPTS {
        let found = match intake::notice_to_read(ec, &receipt) {
            Some(n) => app.positions.find_by_iuv(ec, &n.iuv()).await?,
            None => None,
        };
        let Intake {
            anomaly,
            pays,
            owed,
        } = intake::classify(
            ec,
            &receipt,
            found.as_ref().map(|p| &p.value),
            paid_at,
            app.clock.today(),
        );
        let anomaly =
            anomaly.or_else(|| (!deviations.is_empty()).then_some(Anomaly::SchemaDeviation));
        let record = ReceiptRecord {
            ec: ec.clone(),
            receipt: receipt.clone(),
            xml: xml.clone(),
            received_at: app.clock.now(),
            paid_at: Some(paid_at),
            iupd: found
                .as_ref()
                .filter(|p| &p.value.ec_fiscal_code == ec)
                .map(|p| p.value.iupd.clone()),
            service_code: found
                .as_ref()
                .filter(|p| &p.value.ec_fiscal_code == ec)
                .map(|p| p.value.service_code.clone()),
            anomaly,
            owed,
            xml_document: xml_document.clone(),
            deviations: deviations.clone(),
            mail: Default::default(),
        };
        let version = found.as_ref().map(|p| p.version).unwrap_or_default();
        let result = app
            .receipts
            .store_receipt(&record, pays.as_ref().map(|p| (p, version)))
            .await;
        match result {
            Ok(()) => {
                tracing::info!(
                    ec = %ec,
                    receipt_id = %receipt.receipt_id,
                    anomaly = ?anomaly,
                    deviations = ?deviations,
                    pays = pays.is_some(),
                    "receipt stored"
                );
                return Ok(Received {
                    anomaly,
                    paid: pays.is_some(),
                });
            }
            Err(StoreError::DuplicateReceipt) => {
                return Err(NodoError::DuplicateReceipt(receipt.receipt_id))
            }
            Err(StoreError::VersionConflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(NodoError::Contention)
}

/// A receipt too large for a table item: its XML goes to the document store
/// first (the same key for a retry), the digital stamps' attachments leave its
/// JSON (they stay in the XML), and the record points to the document.
async fn keep_large(
    app: &App,
    ec: &EcFiscalCode,
    mut receipt: Receipt,
    xml: String,
) -> Result<(Receipt, String, Option<String>), NodoError> {
    let attachments: usize = receipt
        .transfers
        .iter()
        .filter_map(|t| t.mbd_attachment.as_ref().map(String::len))
        .sum();
    if xml.len() + attachments < LARGE_RECEIPT_BYTES {
        return Ok((receipt, xml, None));
    }
    let key = super::receipts::object_key(
        ec,
        &receipt.notice_number,
        &receipt.receipt_id,
        "receipt.xml",
    );
    let doc = crate::ports::Document {
        content_type: "application/xml; charset=utf-8".into(),
        bytes: xml.into_bytes(),
    };
    app.documents.put(&key, &doc).await?;
    for t in &mut receipt.transfers {
        t.mbd_attachment = None;
    }
    tracing::info!(ec = %ec, receipt_id = %receipt.receipt_id, bytes = doc.bytes.len(), "large receipt kept in the document store");
    Ok((receipt, String::new(), Some(key)))
}

/// paDemandPaymentNotice, first step: the EC's spontaneous service the PSP
/// names (`idServizio`, the service's `demandServiceId`).
pub async fn demand_service(
    app: &App,
    entity: &Entity,
    id_servizio: &str,
) -> Result<Service, NodoError> {
    let services = app.catalog.services(&entity.fiscal_code).await?;
    catalog::by_demand_id(&services, id_servizio)
        .cloned()
        .ok_or_else(|| NodoError::UnknownService(id_servizio.to_owned()))
}

/// How long the same demand from the same station is answered with the same notice.
pub const DEMAND_WINDOW_SECS: i64 = 3600;

/// The idempotency key of a demand in the window starting at `window`: the
/// station, the service and the request's content (debtor, fields, amount).
fn demand_key(
    station: &str,
    service: &Service,
    request: &spontaneous::Request,
    window: i64,
) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for part in [
        station,
        service.code.as_str(),
        request.debtor.fiscal_code.as_str(),
        request.debtor.full_name.as_str(),
    ] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    for (k, v) in &request.fields {
        h.update(k.as_bytes());
        h.update([1]);
        h.update(v.as_bytes());
        h.update([0]);
    }
    h.update(
        request
            .amount_cents
            .map(|a| a.cents())
            .unwrap_or(0)
            .to_be_bytes(),
    );
    h.update(window.to_be_bytes());
    let hex: String = h
        .finalize()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("PSP-{hex}")
}

/// paDemandPaymentNotice: a new position for the service, through the same
/// checks and creation as the portal's spontaneous payments. A PSP's retry of
/// the same request from the same station within [`DEMAND_WINDOW_SECS`] gets
/// the same notice, not a second position.
pub async fn demand(
    app: &App,
    station: &str,
    service: &Service,
    request: spontaneous::Request,
) -> Result<(Position, NoticeNumber), NodoError> {
    let now = app.clock.now();
    let window = now.timestamp().div_euclid(DEMAND_WINDOW_SECS);
    // The same request made in the previous window, if recent enough.
    let previous =
        spontaneous::iupd_for(service, &demand_key(station, service, &request, window - 1));
    if let Some(p) = app
        .positions
        .get(&service.ec_fiscal_code, &previous)
        .await?
    {
        let recent = (now - p.value.created_at).num_seconds() < DEMAND_WINDOW_SECS;
        if recent {
            let notice = p.value.payment_options[0].notice_number;
            return Ok((p.value, notice));
        }
    }
    let key = demand_key(station, service, &request, window);
    // A PSP's customer is not signed in to the portal: the position is anonymous.
    let (p, created) = spontaneous::create(app, service, request, &key, None).await?;
    if !created {
        tracing::info!(ec = %p.ec_fiscal_code, iupd = %p.iupd, "demand repeated: same notice");
    }
    let notice = p.payment_options[0].notice_number;
    Ok((p, notice))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::receipt::{Outcome, Work};
    use crate::memory::Fault;
    use crate::service::testkit::{
        self, ec, entity, kit, payable, position, receipt, send_receipt, stored, EC,
    };
    use crate::soap::station;

    fn caller<'a>(pa: &'a str, broker: &'a str, station: &'a str) -> Caller<'a> {
        Caller {
            id_pa: pa,
            id_broker_pa: broker,
            id_station: station,
        }
    }

    #[tokio::test]
    async fn the_caller_is_checked_broker_station_then_domain() {
        let (app, _) = kit().await;
        let st = "77777777777_01";
        assert!(check_caller(&app, caller(EC, EC, st)).is_ok());
        assert!(matches!(
            check_caller(&app, caller(EC, "11111111111", st)),
            Err(NodoError::UnknownBroker)
        ));
        assert!(matches!(
            check_caller(&app, caller(EC, EC, "77777777777_99")),
            Err(NodoError::UnknownStation)
        ));
        assert!(matches!(
            check_caller(&app, caller("01199250158", EC, st)),
            Err(NodoError::UnknownDomain)
        ));
    }

    #[tokio::test]
    async fn verify_finds_a_payable_notice() {
        let (app, _) = kit().await;
        let (_, n) = payable(&app, "V-1").await;
        let found = verify(&app, entity(&app), &ec(), n.as_str()).await.unwrap();
        assert_eq!(found.notice, n);
        assert_eq!(found.option().amount_cents.cents(), 15_050);
    }

    #[tokio::test]
    async fn verify_refuses_unknown_foreign_and_malformed_notices() {
        let (app, _) = kit().await;
        let (_, n) = payable(&app, "V-2").await;
        let other = EcFiscalCode::parse(testkit::OTHER_EC).unwrap();
        assert!(matches!(
            verify(&app, entity(&app), &other, n.as_str()).await,
            Err(NodoError::ForeignNotice(_))
        ));
        assert!(matches!(
            verify(&app, entity(&app), &ec(), "301000000000009999").await,
            Err(NodoError::UnknownNotice(_))
        ));
        assert!(matches!(
            verify(&app, entity(&app), &ec(), "12").await,
            Err(NodoError::UnknownNotice(_))
        ));
    }

    #[tokio::test]
    async fn verify_refuses_paid_expired_and_cancelled_notices() {
        let (app, _) = kit().await;
        let (_, paid) = payable(&app, "V-PAID").await;
        send_receipt(&app, &paid, "r-paid").await.unwrap();
        assert!(matches!(
            verify(&app, entity(&app), &ec(), paid.as_str()).await,
            Err(NodoError::Paid { receipt_id, .. }) if receipt_id == "r-paid"
        ));
        let expired = position(&app, "V-EXP", &[(1000, "2026-01-31", false)]).await;
        let n = expired.payment_options[0].notice_number;
        assert!(matches!(
            verify(&app, entity(&app), &ec(), n.as_str()).await,
            Err(NodoError::Expired(d)) if d.to_string() == "2026-01-31"
        ));
        let (p, n) = payable(&app, "V-CANC").await;
        crate::service::positions::cancel(&app, &ec(), &p.iupd)
            .await
            .unwrap();
        assert!(matches!(
            verify(&app, entity(&app), &ec(), n.as_str()).await,
            Err(NodoError::Cancelled)
        ));
    }

    #[tokio::test]
    async fn verify_answers_a_system_error_when_the_store_is_down() {
        let (app, fakes) = kit().await;
        let (_, n) = payable(&app, "V-DOWN").await;
        fakes
            .store
            .faults
            .inject("find_by_iuv", Fault::Throttled, 1);
        let e = verify(&app, entity(&app), &ec(), n.as_str())
            .await
            .unwrap_err();
        assert!(matches!(e, NodoError::Store(StoreError::Throttled(_))));
        assert_eq!(station::fault_of(&e).0.code(), "PAA_SYSTEM_ERROR");
        assert!(verify(&app, entity(&app), &ec(), n.as_str()).await.is_ok());
    }

    #[tokio::test]
    async fn activation_is_recorded_and_its_failure_does_not_stop_the_payment() {
        let (app, fakes) = kit().await;
        let (_, n) = payable(&app, "A-1").await;
        activate(&app, entity(&app), &ec(), n.as_str(), Some("cart-1".into()))
            .await
            .unwrap();
        let recorded = fakes.store.activations();
        assert_eq!(recorded.len(), 1);
        assert_eq!(recorded[0].payment_note.as_deref(), Some("cart-1"));
        assert_eq!(recorded[0].at, testkit::now());
        fakes
            .store
            .faults
            .inject("record_activation", Fault::Unavailable, 1);
        assert!(activate(&app, entity(&app), &ec(), n.as_str(), None)
            .await
            .is_ok());
        assert_eq!(fakes.store.activations().len(), 1);
    }

    fn get_payment(notice: &str, v2: bool) -> String {
        let op = if v2 {
            "paGetPaymentV2Request"
        } else {
            "paGetPaymentReq"
        };
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" \
xmlns:pafn=\"http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd\"><soapenv:Body><pafn:{op}><idPA>{EC}</idPA><idBrokerPA>{EC}</idBrokerPA>\
<idStation>77777777777_01</idStation><qrCode><fiscalCode>{EC}</fiscalCode><noticeNumber>{notice}</noticeNumber></qrCode>\
<amount>150.50</amount><transferType>PAGOPA</transferType></pafn:{op}></soapenv:Body></soapenv:Envelope>"
        )
    }

    #[tokio::test]
    async fn get_payment_v1_and_v2_describe_the_transfers() {
        let (app, _) = kit().await;
        let (_, n) = payable(&app, "G-1").await;
        let v1 = station::handle(&app, get_payment(n.as_str(), false).as_bytes(), None).await;
        assert_eq!(v1.status, 200);
        assert!(v1.body.contains("paGetPaymentRes"), "{}", v1.body);
        assert!(v1.body.contains("<outcome>OK</outcome>"));
        assert!(v1.body.contains("IT60X0542811101000000123456"));
        assert!(!v1.body.contains("IBANAPPOGGIO"));
        let v2 = station::handle(&app, get_payment(n.as_str(), true).as_bytes(), None).await;
        assert!(v2.body.contains("paGetPaymentV2Response"), "{}", v2.body);
        assert!(v2.body.contains("IBANAPPOGGIO"));
        assert!(v2
            .body
            .contains("<companyName>Comune di Prova</companyName>"));
    }

    #[tokio::test]
    async fn get_payment_of_an_unknown_notice_is_a_fault() {
        let (app, _) = kit().await;
        let a = station::handle(
            &app,
            get_payment("301000000000009999", true).as_bytes(),
            None,
        )
        .await;
        assert_eq!(a.status, 200);
        assert!(a.body.contains("PAA_PAGAMENTO_SCONOSCIUTO"), "{}", a.body);
    }

    #[tokio::test]
    async fn a_receipt_pays_its_option_once() {
        let (app, fakes) = kit().await;
        let (p, n) = payable(&app, "R-1").await;
        let got = send_receipt(&app, &n, "r-1").await.unwrap();
        assert_eq!(
            got,
            Received {
                anomaly: None,
                paid: true
            }
        );
        let stored = fakes.store.all_receipts();
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].owed, vec![Work::Pdf, Work::Mail]);
        assert_eq!(stored[0].received_at, testkit::now());
        let after = app.positions.get(&ec(), &p.iupd).await.unwrap().unwrap();
        let payment = after.value.payment_options[0].payment.clone().unwrap();
        assert_eq!(payment.receipt_id, "r-1");
        // 11:30 Italian summer time.
        assert_eq!(payment.paid_at.to_rfc3339(), "2026-06-01T09:30:00+00:00");
        // The Nodo's retry of the same receipt.
        assert!(matches!(
            send_receipt(&app, &n, "r-1").await,
            Err(NodoError::DuplicateReceipt(id)) if id == "r-1"
        ));
        assert_eq!(fakes.store.all_receipts().len(), 1);
    }

    async fn anomaly_of(app: &App, r: Receipt) -> Option<Anomaly> {
        receive(app, entity(app), r, "<r/>".into(), vec![])
            .await
            .unwrap()
            .anomaly
    }

    #[tokio::test]
    async fn a_second_payment_is_a_double_payment() {
        let (app, _) = kit().await;
        let (_, n) = payable(&app, "R-2").await;
        assert_eq!(anomaly_of(&app, receipt(&n, "first", 15_050)).await, None);
        assert_eq!(
            anomaly_of(&app, receipt(&n, "second", 15_050)).await,
            Some(Anomaly::DoublePayment)
        );
    }

    #[tokio::test]
    async fn receipts_of_unknown_foreign_expired_and_different_amounts_are_kept() {
        let (app, fakes) = kit().await;
        let unknown = NoticeNumber::parse("301000000000009999").unwrap_or_else(|_| {
            NoticeNumber::generate(entity(&app).segregation_code, 9_999).unwrap()
        });
        assert_eq!(
            anomaly_of(&app, receipt(&unknown, "orphan", 100)).await,
            Some(Anomaly::UnknownNotice)
        );
        let (_, n) = payable(&app, "R-3").await;
        let mut foreign = receipt(&n, "broadcast", 15_050);
        foreign.fiscal_code = EcFiscalCode::parse(testkit::OTHER_EC).unwrap();
        assert_eq!(anomaly_of(&app, foreign).await, Some(Anomaly::NotOwned));
        let expired = position(&app, "R-EXP", &[(1000, "2026-01-31", false)]).await;
        let e = expired.payment_options[0].notice_number;
        assert_eq!(
            anomaly_of(&app, receipt(&e, "late", 1000)).await,
            Some(Anomaly::PaidExpired)
        );
        let (_, m) = payable(&app, "R-4").await;
        assert_eq!(
            anomaly_of(&app, receipt(&m, "less", 15_000)).await,
            Some(Anomaly::AmountMismatch)
        );
        let owed: Vec<_> = fakes
            .store
            .all_receipts()
            .into_iter()
            .map(|r| (r.receipt.receipt_id, r.owed.len()))
            .collect();
        assert!(owed.contains(&("broadcast".into(), 0)), "{owed:?}");
        assert!(owed.contains(&("orphan".into(), 2)), "{owed:?}");
    }

    #[tokio::test]
    async fn money_collected_on_a_cancelled_or_superseded_notice_is_recorded() {
        let (app, fakes) = kit().await;
        let (p, n) = payable(&app, "R-CANC").await;
        crate::service::positions::cancel(&app, &ec(), &p.iupd)
            .await
            .unwrap();
        assert_eq!(
            anomaly_of(&app, receipt(&n, "on-cancelled", 15_050)).await,
            Some(Anomaly::PaidCancelled)
        );
        let split = position(
            &app,
            "R-SPLIT",
            &[
                (20_000, "2026-12-31", false),
                (10_000, "2026-09-30", true),
                (10_000, "2026-12-31", true),
            ],
        )
        .await;
        let [single, first, _] = [0, 1, 2].map(|i| split.payment_options[i].notice_number);
        assert_eq!(
            anomaly_of(&app, receipt(&first, "rata-1", 10_000)).await,
            None
        );
        assert_eq!(
            anomaly_of(&app, receipt(&single, "whole", 20_000)).await,
            Some(Anomaly::PaidSuperseded)
        );
        let after = app
            .positions
            .get(&ec(), &split.iupd)
            .await
            .unwrap()
            .unwrap();
        assert!(
            after.value.payment_options[0].payment.is_some(),
            "recorded, not dropped"
        );
        assert_eq!(fakes.store.all_receipts().len(), 3);
    }

    #[tokio::test]
    async fn a_receipt_too_large_for_the_table_is_kept_whole_in_the_document_store() {
        let (app, fakes) = kit().await;
        let (_, n) = payable(&app, "R-BIG").await;
        let mut big = receipt(&n, "r-big", 15_050);
        big.transfers.push(crate::domain::receipt::ReceiptTransfer {
            id_transfer: 1,
            amount_cents: 1_600,
            fiscal_code_pa: ec(),
            company_name: None,
            iban: None,
            mbd_attachment: Some("A".repeat(900_000)),
            remittance_information: "bollo".into(),
            transfer_category: "9/0201102IM/".into(),
            metadata: vec![],
        });
        let xml = format!("<receipt>{}</receipt>", "x".repeat(950_000));
        receive(&app, entity(&app), big, xml.clone(), vec![])
            .await
            .unwrap();
        let big = stored(&app, "r-big").await.unwrap();
        assert!(big.xml.is_empty());
        assert_eq!(big.receipt.transfers[0].mbd_attachment, None);
        assert!(serde_json::to_vec(&big).unwrap().len() < LARGE_RECEIPT_BYTES);
        assert_eq!(
            crate::service::receipts::xml(&app, &big).await.unwrap(),
            xml.as_bytes(),
            "returned exactly"
        );
        // The XML could not be stored: nothing is, and the Nodo retries.
        let (_, m) = payable(&app, "R-BIG-2").await;
        fakes.documents.faults.inject("put", Fault::Unavailable, 1);
        let e = receive(
            &app,
            entity(&app),
            receipt(&m, "r-big-2", 15_050),
            xml,
            vec![],
        )
        .await
        .unwrap_err();
        assert_eq!(station::fault_of(&e).0.code(), "PAA_SYSTEM_ERROR");
        assert!(stored(&app, "r-big-2").await.is_none());
    }

    #[tokio::test]
    async fn a_receipt_with_deviations_is_taken_and_they_are_recorded() {
        let (app, _) = kit().await;
        let (_, n) = payable(&app, "R-DEV").await;
        let got = receive(
            &app,
            entity(&app),
            receipt(&n, "r-dev", 15_050),
            "<r/>".into(),
            vec!["receipt/newElement: elemento non previsto".into()],
        )
        .await
        .unwrap();
        assert_eq!(got.anomaly, Some(Anomaly::SchemaDeviation));
        assert!(got.paid, "the money moved: the option is paid");
        let stored = stored(&app, "r-dev").await.unwrap();
        assert_eq!(stored.deviations.len(), 1);
    }

    #[tokio::test]
    async fn a_failed_payment_changes_nothing_and_sends_nothing() {
        let (app, fakes) = kit().await;
        let (p, n) = payable(&app, "R-KO").await;
        let mut ko = receipt(&n, "ko-1", 15_050);
        ko.outcome = Outcome::Ko;
        let got = receive(&app, entity(&app), ko, "<r/>".into(), vec![])
            .await
            .unwrap();
        assert_eq!(
            got,
            Received {
                anomaly: Some(Anomaly::FailedPayment),
                paid: false
            }
        );
        assert!(fakes.store.all_receipts()[0].owed.is_empty());
        let after = app.positions.get(&ec(), &p.iupd).await.unwrap().unwrap();
        assert!(after.value.payment_options[0].payment.is_none());
    }

    #[tokio::test]
    async fn a_store_failure_stores_nothing_and_the_retry_succeeds() {
        let (app, fakes) = kit().await;
        let (_, n) = payable(&app, "R-5").await;
        fakes
            .store
            .faults
            .inject("store_receipt", Fault::Unavailable, 1);
        let e = send_receipt(&app, &n, "r-5").await.unwrap_err();
        assert_eq!(station::fault_of(&e).0.code(), "PAA_SYSTEM_ERROR");
        assert!(fakes.store.all_receipts().is_empty());
        send_receipt(&app, &n, "r-5").await.unwrap();
        assert_eq!(fakes.store.all_receipts().len(), 1);
    }

    #[tokio::test]
    async fn a_lost_race_is_retried_with_the_new_version() {
        let (app, fakes) = kit().await;
        let (_, n) = payable(&app, "R-6").await;
        fakes
            .store
            .faults
            .inject("store_receipt", Fault::Conflict, 3);
        let got = send_receipt(&app, &n, "r-6").await.unwrap();
        assert!(got.paid);
        assert_eq!(fakes.store.faults.calls("store_receipt"), 4);
        fakes
            .store
            .faults
            .inject("store_receipt", Fault::Conflict, MAX_ATTEMPTS);
        let (_, m) = payable(&app, "R-7").await;
        assert!(matches!(
            send_receipt(&app, &m, "r-7").await,
            Err(NodoError::Contention)
        ));
    }

    #[tokio::test]
    async fn a_timeout_after_the_write_is_retried_into_a_duplicate_not_a_second_payment() {
        let (app, fakes) = kit().await;
        let (p, n) = payable(&app, "R-8").await;
        fakes
            .store
            .faults
            .inject("store_receipt", Fault::TimeoutAfterWrite, 1);
        let first = send_receipt(&app, &n, "r-8").await;
        assert!(
            matches!(first, Err(NodoError::Store(_))),
            "the Nodo retries"
        );
        let retry = send_receipt(&app, &n, "r-8").await;
        assert!(matches!(retry, Err(NodoError::DuplicateReceipt(_))));
        assert_eq!(
            station::fault_of(&retry.unwrap_err()).0.code(),
            "PAA_RECEIPT_DUPLICATA"
        );
        assert_eq!(fakes.store.all_receipts().len(), 1);
        let after = app.positions.get(&ec(), &p.iupd).await.unwrap().unwrap();
        assert_eq!(after.version, 2, "paid once");
    }

    #[tokio::test]
    async fn a_demand_creates_a_position_of_the_named_service() {
        let (app, _) = kit().await;
        let service = demand_service(&app, entity(&app), "00001").await.unwrap();
        assert_eq!(service.code.as_str(), "CERT");
        let dati = b"<datiSpecificiServizioRequest><codiceFiscale>RSSMRA85T10A562S</codiceFiscale>\
<denominazione>Mario Rossi</denominazione><tipoCertificato>residenza</tipoCertificato>\
<richiedente>Mario Rossi</richiedente></datiSpecificiServizioRequest>";
        let request = station::demand_request(&service, dati).unwrap();
        let st = "77777777777_01";
        // At 10:30 UTC, half way through a window.
        let app = testkit::at(&app, testkit::now() + chrono::Duration::minutes(30));
        let (p, n) = demand(&app, st, &service, request.clone()).await.unwrap();
        assert_eq!(p.payment_options[0].amount_cents.cents(), 1600);
        let again = demand(&app, st, &service, request.clone()).await.unwrap();
        assert_eq!(again.1, n, "a PSP's retry gets the same notice");
        // 40 minutes later, in the next window: still the same.
        let later = testkit::at(&app, testkit::now() + chrono::Duration::minutes(70));
        assert_eq!(
            demand(&later, st, &service, request.clone())
                .await
                .unwrap()
                .1,
            n
        );
        // Another station, another request, or the same one much later: a new notice.
        let other_station = demand(&app, "77777777777_02", &service, request.clone()).await;
        assert_ne!(other_station.unwrap().1, n);
        let mut other = request.clone();
        other
            .fields
            .insert("richiedente".into(), "Luca Bianchi".into());
        assert_ne!(demand(&app, st, &service, other).await.unwrap().1, n);
        let much_later = testkit::at(&app, testkit::now() + chrono::Duration::hours(3));
        assert_ne!(
            demand(&much_later, st, &service, request).await.unwrap().1,
            n
        );
        assert!(matches!(
            demand_service(&app, entity(&app), "99999").await,
            Err(NodoError::UnknownService(_))
        ));
        let mut bad = station::demand_request(&service, dati).unwrap();
        bad.fields.insert("tipoCertificato".into(), "altro".into());
        let e = demand(&app, st, &service, bad).await.unwrap_err();
        assert_eq!(station::fault_of(&e).0.code(), "PAA_SEMANTICA");
    }
}
