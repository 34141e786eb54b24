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
) -> Result<Received, NodoError> {
    let ec = &entity.fiscal_code;
    let paid_at = intake::paid_at(&receipt, app.clock.now());
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
        let record = ReceiptRecord {
            ec: ec.clone(),
            receipt: receipt.clone(),
            xml: xml.clone(),
            received_at: app.clock.now(),
            anomaly,
            owed,
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

/// paDemandPaymentNotice: a new position for the service, through the same
/// checks and creation as the portal's spontaneous payments. Every demand is a
/// new request: `id_soggetto` (the PSP's subject id) only names its key.
pub async fn demand(
    app: &App,
    service: &Service,
    request: spontaneous::Request,
    id_soggetto: &str,
) -> Result<(Position, NoticeNumber), NodoError> {
    let subject: String = id_soggetto
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(40)
        .collect();
    let key = format!("PSP-{subject}-{}", crate::secret::random_token());
    let (p, _) = spontaneous::create(app, service, request, &key).await?;
    let notice = p.payment_options[0].notice_number;
    Ok((p, notice))
}
