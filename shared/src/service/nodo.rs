//! What the EC answers the pagoPA Nodo (paForNode): verify, activate, receive
//! receipts, and create positions on demand. Every answer is a SOAP envelope;
//! every error is `outcome=KO` with the fault code pagoPA prescribes.

use chrono::{Duration, NaiveDateTime, TimeZone, Utc};

use crate::domain::position::{NotPayable, Payment, Recorded, TransitionError};
use crate::domain::receipt::Anomaly;
use crate::domain::{EcFiscalCode, Entity, NoticeNumber, Position};
use crate::ports::{Activation, ReceiptRecord, StoreError, Versioned};
use crate::soap::messages::{
    read_request, Caller, Operation, QrCode, Request, RequestError, TransferType,
};
use crate::soap::responses::{
    fit, soap_fault, DemandOk, Fault, FaultCode, PaymentOptionDescription, PaymentOut, Response,
    SubjectOut, TransferOut, VerifyOk,
};
use crate::soap::xml::{parse, Element};
use crate::App;

/// How many times a receipt is re-applied after losing an optimistic-locking race.
const MAX_ATTEMPTS: usize = 8;

/// The HTTP answer to one SOAP call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoapAnswer {
    pub status: u16,
    pub body: String,
}

fn fault(op: Operation, code: FaultCode, id: &str, description: impl Into<String>) -> Response {
    Response::Ko(
        op,
        Fault {
            code,
            id: id.to_owned(),
            description: description.into(),
        },
    )
}

/// The default `id` of a fault when the request named no idPA.
fn default_id(app: &App) -> String {
    app.entities
        .iter()
        .next()
        .map(|e| e.broker_id.to_string())
        .unwrap_or_else(|| "EC".into())
}

/// Handles one SOAP request body.
pub async fn handle(app: &App, body: &[u8], soap_action: Option<&str>) -> SoapAnswer {
    let request = match read_request(body, soap_action) {
        Ok(r) => r,
        Err(RequestError::UnknownOperation(detail)) => {
            tracing::warn!(%detail, "SOAP request of no known operation");
            return SoapAnswer {
                status: 500,
                body: soap_fault(&detail),
            };
        }
        Err(RequestError::ExtraXsd {
            operation,
            id_pa,
            detail,
        }) => {
            tracing::warn!(op = operation.name(), %detail, "malformed SOAP request");
            let id = id_pa.unwrap_or_else(|| default_id(app));
            return ok(fault(operation, FaultCode::SintassiExtraXsd, &id, detail));
        }
        Err(RequestError::Xsd {
            operation,
            id_pa,
            detail,
        }) => {
            tracing::warn!(op = operation.name(), %detail, "SOAP request breaks the XSD");
            let id = id_pa.unwrap_or_else(|| default_id(app));
            return ok(fault(operation, FaultCode::SintassiXsd, &id, detail));
        }
    };
    let response = respond(app, request).await;
    if let Response::Ko(op, f) = &response {
        tracing::info!(op = op.name(), fault = f.code.code(), "KO answered");
    }
    ok(response)
}

fn ok(r: Response) -> SoapAnswer {
    SoapAnswer {
        status: 200,
        body: r.envelope(),
    }
}

/// Checks idBrokerPA, idStation and idPA against the configuration, in the
/// order pagoPA's reference implementations use.
pub fn check_caller<'a>(app: &'a App, caller: &Caller) -> Result<&'a Entity, FaultCode> {
    let all: Vec<&Entity> = app.entities.iter().collect();
    if !all
        .iter()
        .any(|e| e.broker_id.as_str() == caller.id_broker_pa)
    {
        return Err(FaultCode::IdIntermediarioErrato);
    }
    let on_station: Vec<&&Entity> = all
        .iter()
        .filter(|e| e.station_ids.contains(&caller.id_station))
        .collect();
    if on_station.is_empty() {
        return Err(FaultCode::StazioneIntErrata);
    }
    let entity = EcFiscalCode::parse(&caller.id_pa)
        .ok()
        .and_then(|cf| app.entities.get(&cf))
        .ok_or(FaultCode::IdDominioErrato)?;
    if !on_station
        .iter()
        .any(|e| e.broker_id.as_str() == caller.id_broker_pa)
    {
        return Err(FaultCode::IdIntermediarioErrato);
    }
    if !entity.station_ids.contains(&caller.id_station) {
        return Err(FaultCode::StazioneIntErrata);
    }
    Ok(entity)
}

async fn respond(app: &App, request: Request) -> Response {
    let caller = request.caller().clone();
    let op = match &request {
        Request::Verify { .. } => Operation::VerifyPaymentNotice,
        Request::GetPayment { v2: false, .. } => Operation::GetPayment,
        Request::GetPayment { v2: true, .. } => Operation::GetPaymentV2,
        Request::SendRt { receipt, .. } => match receipt.version {
            crate::domain::receipt::ReceiptVersion::V1 => Operation::SendRt,
            crate::domain::receipt::ReceiptVersion::V2 => Operation::SendRtV2,
        },
        Request::Demand { .. } => Operation::DemandPaymentNotice,
    };
    let entity = match check_caller(app, &caller) {
        Ok(e) => e,
        Err(code) => {
            return fault(
                op,
                code,
                &caller.id_pa,
                format!(
                    "idPA {}, idBrokerPA {}, idStation {}",
                    caller.id_pa, caller.id_broker_pa, caller.id_station
                ),
            )
        }
    };
    let result = match request {
        Request::Verify { qr, .. } => verify(app, entity, &qr).await,
        Request::GetPayment {
            qr,
            v2,
            transfer_type,
            payment_note,
            ..
        } => get_payment(app, entity, &qr, v2, transfer_type, payment_note).await,
        Request::SendRt {
            receipt,
            receipt_xml,
            ..
        } => send_rt(app, entity, *receipt, receipt_xml)
            .await
            .map(|()| Response::SendRt {
                v2: op == Operation::SendRtV2,
            }),
        Request::Demand {
            id_servizio,
            dati_specifici,
            id_soggetto_servizio,
            ..
        } => {
            demand(
                app,
                entity,
                &id_servizio,
                &id_soggetto_servizio,
                &dati_specifici,
            )
            .await
        }
    };
    result.unwrap_or_else(|(code, description)| fault(op, code, &caller.id_pa, description))
}

type Outcome<T> = Result<T, (FaultCode, String)>;

fn system_error(e: StoreError) -> (FaultCode, String) {
    tracing::error!(error = %e, "storage failure answering the Nodo");
    (
        FaultCode::SystemError,
        "errore temporaneo, riprovare".into(),
    )
}

/// Finds the position of this EC that holds the notice.
async fn find(
    app: &App,
    entity: &Entity,
    qr: &QrCode,
) -> Outcome<(Versioned<Position>, NoticeNumber)> {
    if qr.fiscal_code != entity.fiscal_code {
        return Err((
            FaultCode::IdDominioErrato,
            format!("qrCode.fiscalCode {} diverso da idPA", qr.fiscal_code),
        ));
    }
    let unknown = || {
        (
            FaultCode::PagamentoSconosciuto,
            format!("avviso {} sconosciuto", qr.notice_number),
        )
    };
    let notice = NoticeNumber::parse(&qr.notice_number).map_err(|_| unknown())?;
    let found = app
        .positions
        .find_by_iuv(&entity.fiscal_code, &notice.iuv())
        .await
        .map_err(system_error)?;
    match found {
        Some(p) if p.value.option(&notice).is_some() => Ok((p, notice)),
        _ => Err(unknown()),
    }
}

/// Refuses a notice that cannot be paid, with the matching fault.
fn payable(app: &App, p: &Position, notice: &NoticeNumber) -> Outcome<()> {
    let option = p.option(notice).expect("found by notice");
    match p.not_payable(option, app.clock.today()) {
        None => Ok(()),
        Some(NotPayable::Paid) => {
            let when = option.payment.as_ref().map(|p| p.paid_at.to_rfc3339()).unwrap_or_default();
            let id = option.payment.as_ref().map(|p| p.receipt_id.as_str()).unwrap_or_default();
            Err((FaultCode::PagamentoDuplicato, format!("avviso pagato il {when}, ricevuta {id}")))
        }
        Some(NotPayable::Expired) => {
            Err((FaultCode::PagamentoScaduto, format!("avviso scaduto il {}", option.due_date)))
        }
        Some(NotPayable::Cancelled) => Err((FaultCode::PagamentoAnnullato, "posizione annullata".into())),
        Some(NotPayable::Superseded) => Err((
            FaultCode::PagamentoAnnullato,
            "avviso non più pagabile: la posizione è in pagamento con l'altra modalità (rate o unica soluzione)".into(),
        )),
    }
}

fn verify_ok(entity: &Entity, p: &Position, notice: &NoticeNumber) -> VerifyOk {
    let o = p.option(notice).expect("found by notice");
    VerifyOk {
        option: PaymentOptionDescription {
            amount_cents: o.amount_cents.cents(),
            due_date: o.due_date.to_string(),
            detail_description: o.description.to_string(),
            all_ccp: o.transfers.iter().all(|t| t.postal_iban.is_some()),
        },
        payment_description: p.description.to_string(),
        fiscal_code_pa: entity.fiscal_code.to_string(),
        company_name: entity.name.clone(),
        office_name: entity.office.clone(),
    }
}

async fn verify(app: &App, entity: &Entity, qr: &QrCode) -> Outcome<Response> {
    let (p, notice) = find(app, entity, qr).await?;
    payable(app, &p.value, &notice)?;
    Ok(Response::Verify(verify_ok(entity, &p.value, &notice)))
}

fn debtor_out(p: &Position) -> SubjectOut {
    let d = &p.debtor;
    let a = d.address.clone().unwrap_or_default();
    let t = |v: Option<crate::domain::text::Text140>| v.map(|t| t.to_string());
    SubjectOut {
        kind: match d.kind {
            crate::domain::position::SubjectType::F => "F",
            crate::domain::position::SubjectType::G => "G",
        },
        id: d.fiscal_code.to_string(),
        full_name: d.full_name.to_string(),
        street_name: t(a.street_name),
        civic_number: t(a.civic_number),
        postal_code: t(a.postal_code),
        city: t(a.city),
        state_province_region: t(a.state_province_region),
        country: t(a.country),
        email: d.email.as_ref().map(|e| e.as_str().to_owned()),
    }
}

async fn get_payment(
    app: &App,
    entity: &Entity,
    qr: &QrCode,
    v2: bool,
    transfer_type: Option<TransferType>,
    payment_note: Option<String>,
) -> Outcome<Response> {
    let (p, notice) = find(app, entity, qr).await?;
    payable(app, &p.value, &notice)?;
    let o = p.value.option(&notice).expect("found by notice");
    let postal = transfer_type == Some(TransferType::Postal);
    let transfers = o
        .transfers
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let use_postal = postal && t.postal_iban.is_some();
            let iban = if use_postal {
                t.postal_iban.as_ref()
            } else {
                Some(&t.iban)
            };
            let mut metadata = vec![];
            if v2 && !use_postal {
                if let Some(pi) = &t.postal_iban {
                    metadata.push(("IBANAPPOGGIO".to_owned(), pi.to_string()));
                }
            }
            TransferOut {
                id_transfer: (i + 1) as u8,
                amount_cents: t.amount_cents.cents(),
                fiscal_code_pa: t.ec_fiscal_code.to_string(),
                company_name: v2.then(|| {
                    app.entities
                        .get(&t.ec_fiscal_code)
                        .map(|e| e.name.clone())
                        .unwrap_or_else(|| entity.name.clone())
                }),
                iban: iban.expect("an IBAN").to_string(),
                remittance_information: t.remittance_information.to_string(),
                transfer_category: t.category.to_string(),
                metadata,
            }
        })
        .collect();
    let activation = Activation {
        ec: entity.fiscal_code.clone(),
        notice_number: notice,
        payment_note,
        amount_cents: o.amount_cents.cents(),
        at: app.clock.now(),
    };
    // Bookkeeping only: a failure here must not stop the citizen's payment.
    if let Err(e) = app.positions.record_activation(&activation).await {
        tracing::warn!(error = %e, "activation not recorded");
    }
    Ok(Response::GetPayment {
        v2,
        payment: PaymentOut {
            creditor_reference_id: o.iuv().to_string(),
            amount_cents: o.amount_cents.cents(),
            due_date: o.due_date.to_string(),
            description: o.description.to_string(),
            company_name: entity.name.clone(),
            office_name: entity.office.clone(),
            debtor: debtor_out(&p.value),
            transfers,
        },
    })
}

/// When the payment happened: the receipt's `paymentDateTime` (Italian local
/// time when it has no offset), else now.
fn paid_at(app: &App, receipt: &crate::domain::receipt::Receipt) -> chrono::DateTime<Utc> {
    let Some(s) = receipt.payment_date_time.as_deref() else {
        return app.clock.now();
    };
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return t.with_timezone(&Utc);
    }
    match NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f") {
        Ok(local) => {
            let guess = Utc.from_utc_datetime(&local);
            let offset = crate::domain::clock::rome_offset_hours(guess);
            Utc.from_utc_datetime(&(local - Duration::hours(offset)))
        }
        Err(_) => app.clock.now(),
    }
}

/// Stores a receipt before answering: OK once it is stored, PAA_RECEIPT_DUPLICATA
/// when it already was, PAA_SYSTEM_ERROR when storage fails (the Nodo retries).
async fn send_rt(
    app: &App,
    entity: &Entity,
    receipt: crate::domain::receipt::Receipt,
    xml: String,
) -> Outcome<()> {
    let paid_at = paid_at(app, &receipt);
    for _ in 0..MAX_ATTEMPTS {
        let mut record = ReceiptRecord {
            ec: entity.fiscal_code.clone(),
            receipt: receipt.clone(),
            xml: xml.clone(),
            received_at: app.clock.now(),
            anomaly: None,
            owed: vec!["pdf".into(), "mail".into()],
        };
        let mut pays: Option<(Position, u64)> = None;
        let notice = NoticeNumber::parse(&receipt.notice_number).ok();
        if receipt.fiscal_code != entity.fiscal_code {
            record.anomaly = Some(Anomaly::NotOwned);
        } else if receipt.outcome != "OK" {
            record.anomaly = Some(Anomaly::UnknownNotice);
            record.owed.clear();
        } else {
            let found = match notice {
                Some(n) => app
                    .positions
                    .find_by_iuv(&entity.fiscal_code, &n.iuv())
                    .await
                    .map_err(system_error)?,
                None => None,
            };
            match (found, notice) {
                (Some(p), Some(n)) if p.value.option(&n).is_some() => {
                    let payment = Payment {
                        receipt_id: receipt.receipt_id.clone(),
                        paid_at,
                    };
                    let amount = p.value.option(&n).expect("checked").amount_cents.cents();
                    match p.value.record_payment(&n, payment, app.clock.today()) {
                        Ok(Recorded::Paid(next)) => {
                            if receipt.payment_amount_cents != amount {
                                record.anomaly = Some(Anomaly::AmountMismatch);
                            }
                            pays = Some((next, p.version));
                        }
                        Ok(Recorded::PaidAnomalous(next, why)) => {
                            record.anomaly = Some(match why {
                                NotPayable::Expired => Anomaly::PaidExpired,
                                NotPayable::Cancelled => Anomaly::PaidCancelled,
                                NotPayable::Superseded | NotPayable::Paid => {
                                    Anomaly::PaidSuperseded
                                }
                            });
                            pays = Some((next, p.version));
                        }
                        Err(TransitionError::AlreadyPaid) => {
                            let same = p
                                .value
                                .option(&n)
                                .and_then(|o| o.payment.as_ref())
                                .is_some_and(|pm| pm.receipt_id == receipt.receipt_id);
                            if !same {
                                record.anomaly = Some(Anomaly::DoublePayment);
                            }
                        }
                        Err(_) => record.anomaly = Some(Anomaly::UnknownNotice),
                    }
                }
                _ => record.anomaly = Some(Anomaly::UnknownNotice),
            }
        }
        let result = app
            .positions
            .store_receipt(&record, pays.as_ref().map(|(p, v)| (p, *v)))
            .await;
        match result {
            Ok(()) => {
                tracing::info!(
                    ec = %entity.fiscal_code,
                    receipt_id = %receipt.receipt_id,
                    anomaly = ?record.anomaly,
                    pays = pays.is_some(),
                    "receipt stored"
                );
                return Ok(());
            }
            Err(StoreError::DuplicateReceipt) => {
                return Err((
                    FaultCode::ReceiptDuplicata,
                    format!("ricevuta {} già acquisita", receipt.receipt_id),
                ))
            }
            Err(StoreError::VersionConflict) => continue,
            Err(e) => return Err(system_error(e)),
        }
    }
    Err(system_error(StoreError::Unavailable(
        "too many concurrent changes".into(),
    )))
}

/// Finds the first element named like one of `names`, at any depth.
fn find_text(el: &Element, names: &[&str]) -> Option<String> {
    if names.contains(&el.name.as_str()) && !el.text.trim().is_empty() {
        return Some(el.text.trim().to_owned());
    }
    el.children.iter().find_map(|c| find_text(c, names))
}

/// paDemandPaymentNotice: a PSP asks for a new notice of a spontaneous service.
/// `datiSpecificiServizioRequest` carries the debtor (`codiceFiscale` or
/// `fiscalCode`, `denominazione` or `fullName`), for services with a free
/// amount `importo` (e.g. `25.00`), and the service form's fields as elements
/// named like them. The same catalogue, checks and creation as the portal's
/// spontaneous payments.
async fn demand(
    app: &App,
    entity: &Entity,
    id_servizio: &str,
    id_soggetto: &str,
    dati: &[u8],
) -> Outcome<Response> {
    let unavailable = || {
        (
            FaultCode::SystemError,
            "errore temporaneo, riprovare".to_owned(),
        )
    };
    let services = app
        .catalog
        .services(&entity.fiscal_code)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "catalogue not readable");
            unavailable()
        })?;
    let service =
        crate::domain::catalog::by_demand_id(&services, id_servizio).ok_or_else(|| {
            (
                FaultCode::Semantica,
                format!("servizio {id_servizio} non disponibile per pagamenti spontanei"),
            )
        })?;
    let xsd = |m: &str| {
        (
            FaultCode::SintassiXsd,
            format!("datiSpecificiServizioRequest: {m}"),
        )
    };
    let doc = parse(dati).map_err(|e| xsd(&e.to_string()))?;
    let cf = find_text(
        &doc,
        &["codiceFiscale", "fiscalCode", "codiceIdentificativoUnivoco"],
    )
    .ok_or_else(|| xsd("codice fiscale mancante"))?;
    let name = find_text(&doc, &["denominazione", "fullName", "anagrafica"])
        .ok_or_else(|| xsd("denominazione mancante"))?;
    let requested = match find_text(&doc, &["importo", "amount"]) {
        Some(a) => {
            Some(crate::domain::AmountCents::parse_soap(&a).map_err(|e| xsd(&e.to_string()))?)
        }
        None => None,
    };
    let fiscal = crate::domain::FiscalCode::parse(&cf).map_err(|e| xsd(&e.to_string()))?;
    let full_name = crate::domain::text::FullName::parse(&fit(&name, 70)).map_err(|e| xsd(&e))?;
    let fields = service
        .form
        .fields
        .iter()
        .filter_map(|f| find_text(&doc, &[f.name.as_str()]).map(|v| (f.name.clone(), v)))
        .collect();
    let request = super::spontaneous::Request {
        debtor: crate::domain::position::Debtor {
            kind: if fiscal.is_personal() {
                crate::domain::position::SubjectType::F
            } else {
                crate::domain::position::SubjectType::G
            },
            fiscal_code: fiscal,
            full_name,
            address: None,
            email: None,
        },
        fields,
        amount_cents: requested,
    };
    // Every demand is a new request: the PSP's retries of a failed call get a new notice.
    let subject: String = id_soggetto
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(40)
        .collect();
    let key = format!("PSP-{subject}-{}", crate::web::random_token());
    match super::spontaneous::create(app, service, request, &key).await {
        Ok((p, _)) => {
            let notice = p.payment_options[0].notice_number;
            Ok(Response::Demand(DemandOk {
                fiscal_code_pa: entity.fiscal_code.to_string(),
                notice_number: notice.to_string(),
                verify: verify_ok(entity, &p, &notice),
            }))
        }
        Err(crate::http::ApiError::Validation(e)) => Err((FaultCode::Semantica, e.to_string())),
        Err(e) => {
            tracing::error!(error = %e, "position not created on demand");
            Err(unavailable())
        }
    }
}
