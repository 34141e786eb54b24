//! The EC's station endpoint for the Nodo, as SOAP: reads a paForNode request,
//! calls the use case (`service::nodo`), and answers an envelope that validates
//! against pagoPA's XSD. Every refusal is `outcome=KO` with the fault code
//! pagoPA prescribes; this is the one place [`NodoError`]s become fault codes.

use crate::domain::catalog::Service;
use crate::domain::position::Debtor;
use crate::domain::position::SubjectType;
use crate::domain::receipt::ReceiptVersion;
use crate::domain::text::{FullName, Text140};
use crate::domain::{AmountCents, Entity, FiscalCode, NoticeNumber, Position};
use crate::service::nodo::{self, Caller, Found, NodoError};
use crate::service::spontaneous;
use crate::App;

use super::messages::{read_request, Operation, Request, RequestError, TransferType};
use super::responses::{
    fit, soap_fault, DemandOk, Fault, FaultCode, PaymentOptionDescription, PaymentOut, Response,
    SubjectOut, TransferOut, VerifyOk,
};
use super::xml::{parse, Element};

/// The HTTP answer to one SOAP call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoapAnswer {
    pub status: u16,
    pub body: String,
}

/// The fault code and description of a refusal.
pub fn fault_of(e: &NodoError) -> (FaultCode, String) {
    use FaultCode::*;
    match e {
        NodoError::UnknownBroker => (IdIntermediarioErrato, e.to_string()),
        NodoError::UnknownStation => (StazioneIntErrata, e.to_string()),
        NodoError::UnknownDomain => (IdDominioErrato, e.to_string()),
        NodoError::ForeignNotice(ec) => (
            IdDominioErrato,
            format!("qrCode.fiscalCode {ec} diverso da idPA"),
        ),
        NodoError::UnknownNotice(n) => (PagamentoSconosciuto, format!("avviso {n} sconosciuto")),
        NodoError::Paid { at, receipt_id } => (
            PagamentoDuplicato,
            format!("avviso pagato il {}, ricevuta {receipt_id}", at.to_rfc3339()),
        ),
        NodoError::Expired(d) => (PagamentoScaduto, format!("avviso scaduto il {d}")),
        NodoError::Cancelled => (PagamentoAnnullato, "posizione annullata".into()),
        NodoError::Superseded => (
            PagamentoAnnullato,
            "avviso non più pagabile: la posizione è in pagamento con l'altra modalità (rate o unica soluzione)".into(),
        ),
        NodoError::DuplicateReceipt(id) => (ReceiptDuplicata, format!("ricevuta {id} già acquisita")),
        NodoError::UnknownService(id) => (
            Semantica,
            format!("servizio {id} non disponibile per pagamenti spontanei"),
        ),
        NodoError::Refused(detail) => (Semantica, detail.clone()),
        NodoError::Contention | NodoError::Store(_) | NodoError::Position(_) => {
            (SystemError, "errore temporaneo, riprovare".into())
        }
    }
}

/// Whether the Nodo's client certificate (its subject DN, as API Gateway
/// verified it over mutual TLS) is one the EC accepts. An entry is a whole DN
/// or one of its attributes (`CN=…`). With no list configured, only a local run
/// accepts any caller.
pub fn client_allowed(settings: &crate::app::Settings, subject_dn: Option<&str>) -> bool {
    if settings.nodo_client_subjects.is_empty() {
        return !settings.in_lambda;
    }
    let Some(dn) = subject_dn else {
        return false;
    };
    let norm = |s: &str| {
        s.split(',')
            .map(|p| p.trim().to_owned())
            .collect::<Vec<_>>()
    };
    let attrs = norm(dn);
    settings.nodo_client_subjects.iter().any(|allowed| {
        let want = norm(allowed);
        want == attrs || (want.len() == 1 && attrs.contains(&want[0]))
    })
}

/// The default `id` of a fault when the request named no idPA.
fn default_id(app: &App) -> String {
    app.entities
        .iter()
        .next()
        .map(|e| e.broker_id.to_string())
        .unwrap_or_else(|| "EC".into())
}

fn ok(r: Response) -> SoapAnswer {
    SoapAnswer {
        status: 200,
        body: r.envelope(),
    }
}

fn ko(op: Operation, code: FaultCode, id: &str, description: impl Into<String>) -> Response {
    Response::Ko(
        op,
        Fault {
            code,
            id: id.to_owned(),
            description: description.into(),
        },
    )
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
            return ok(ko(operation, FaultCode::SintassiExtraXsd, &id, detail));
        }
        Err(RequestError::Xsd {
            operation,
            id_pa,
            detail,
        }) => {
            tracing::warn!(op = operation.name(), %detail, "SOAP request breaks the XSD");
            let id = id_pa.unwrap_or_else(|| default_id(app));
            return ok(ko(operation, FaultCode::SintassiXsd, &id, detail));
        }
    };
    let response = respond(app, request).await;
    if let Response::Ko(op, f) = &response {
        tracing::info!(op = op.name(), fault = f.code.code(), "KO answered");
    }
    ok(response)
}

fn operation(request: &Request) -> Operation {
    match request {
        Request::Verify { .. } => Operation::VerifyPaymentNotice,
        Request::GetPayment { v2: false, .. } => Operation::GetPayment,
        Request::GetPayment { v2: true, .. } => Operation::GetPaymentV2,
        Request::SendRt { receipt, .. } => match receipt.version {
            ReceiptVersion::V1 => Operation::SendRt,
            ReceiptVersion::V2 => Operation::SendRtV2,
        },
        Request::Demand { .. } => Operation::DemandPaymentNotice,
    }
}

async fn respond(app: &App, request: Request) -> Response {
    let op = operation(&request);
    let caller = request.caller().clone();
    let entity = match nodo::check_caller(
        app,
        Caller {
            id_pa: &caller.id_pa,
            id_broker_pa: &caller.id_broker_pa,
            id_station: &caller.id_station,
        },
    ) {
        Ok(e) => e,
        Err(e) => {
            let (code, _) = fault_of(&e);
            return ko(
                op,
                code,
                &caller.id_pa,
                format!(
                    "idPA {}, idBrokerPA {}, idStation {}",
                    caller.id_pa, caller.id_broker_pa, caller.id_station
                ),
            );
        }
    };
    let result = match request {
        Request::Verify { qr, .. } => nodo::verify(app, entity, &qr.fiscal_code, &qr.notice_number)
            .await
            .map(|f| Response::Verify(verify_ok(entity, &f.position.value, &f.notice))),
        Request::GetPayment {
            qr,
            v2,
            transfer_type,
            payment_note,
            ..
        } => nodo::activate(
            app,
            entity,
            &qr.fiscal_code,
            &qr.notice_number,
            payment_note,
        )
        .await
        .map(|f| Response::GetPayment {
            v2,
            payment: payment_out(app, entity, &f, v2, transfer_type),
        }),
        Request::SendRt {
            receipt,
            receipt_xml,
            deviations,
            ..
        } => nodo::receive(app, entity, *receipt, receipt_xml, deviations)
            .await
            .map(|_| Response::SendRt {
                v2: op == Operation::SendRtV2,
            }),
        Request::Demand {
            id_servizio,
            dati_specifici,
            ..
        } => {
            demand(
                app,
                entity,
                &caller.id_station,
                &id_servizio,
                &dati_specifici,
            )
            .await
        }
    };
    result.unwrap_or_else(|e| {
        if matches!(
            e,
            NodoError::Store(_) | NodoError::Position(_) | NodoError::Contention
        ) {
            tracing::error!(
                error = %crate::http::problem::cause_chain(&e),
                op = op.name(),
                "answering the Nodo failed"
            );
        }
        let (code, description) = fault_of(&e);
        ko(op, code, &caller.id_pa, description)
    })
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

fn debtor_out(p: &Position) -> SubjectOut {
    let d = &p.debtor;
    let a = d.address.clone().unwrap_or_default();
    let t = |v: Option<Text140>| v.map(|t| t.to_string());
    SubjectOut {
        kind: match d.kind {
            SubjectType::F => "F",
            SubjectType::G => "G",
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

fn payment_out(
    app: &App,
    entity: &Entity,
    found: &Found,
    v2: bool,
    transfer_type: Option<TransferType>,
) -> PaymentOut {
    let o = found.option();
    let postal = transfer_type == Some(TransferType::Postal);
    let transfers = o
        .transfers
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let use_postal = postal && t.postal_iban.is_some();
            let iban = match (use_postal, &t.postal_iban) {
                (true, Some(p)) => p,
                _ => &t.iban,
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
                iban: iban.to_string(),
                remittance_information: t.remittance_information.to_string(),
                transfer_category: t.category.to_string(),
                metadata,
            }
        })
        .collect();
    PaymentOut {
        creditor_reference_id: o.iuv().to_string(),
        amount_cents: o.amount_cents.cents(),
        due_date: o.due_date.to_string(),
        description: o.description.to_string(),
        company_name: entity.name.clone(),
        office_name: entity.office.clone(),
        debtor: debtor_out(&found.position.value),
        transfers,
    }
}

/// Finds the first element named like one of `names`, at any depth.
fn find_text(el: &Element, names: &[&str]) -> Option<String> {
    if names.contains(&el.name.as_str()) && !el.text.trim().is_empty() {
        return Some(el.text.trim().to_owned());
    }
    el.children.iter().find_map(|c| find_text(c, names))
}

/// Reads `datiSpecificiServizioRequest`: the debtor (`codiceFiscale` or
/// `fiscalCode`, `denominazione` or `fullName`), for services with a free
/// amount `importo` (e.g. `25.00`), and the service form's fields as elements
/// named like them. Errors are PAA_SINTASSI_XSD with their description.
pub fn demand_request(service: &Service, dati: &[u8]) -> Result<spontaneous::Request, String> {
    let xsd = |m: &str| format!("datiSpecificiServizioRequest: {m}");
    let doc = parse(dati).map_err(|e| xsd(&e.to_string()))?;
    let cf = find_text(
        &doc,
        &["codiceFiscale", "fiscalCode", "codiceIdentificativoUnivoco"],
    )
    .ok_or_else(|| xsd("codice fiscale mancante"))?;
    let name = find_text(&doc, &["denominazione", "fullName", "anagrafica"])
        .ok_or_else(|| xsd("denominazione mancante"))?;
    let requested = match find_text(&doc, &["importo", "amount"]) {
        Some(a) => Some(AmountCents::parse_soap(&a).map_err(|e| xsd(&e.to_string()))?),
        None => None,
    };
    let fiscal = FiscalCode::parse(&cf).map_err(|e| xsd(&e.to_string()))?;
    let full_name = FullName::parse(&fit(&name, 70)).map_err(|e| xsd(&e))?;
    let fields = service
        .form
        .fields
        .iter()
        .filter_map(|f| find_text(&doc, &[f.name.as_str()]).map(|v| (f.name.clone(), v)))
        .collect();
    Ok(spontaneous::Request {
        debtor: Debtor {
            kind: if fiscal.is_personal() {
                SubjectType::F
            } else {
                SubjectType::G
            },
            fiscal_code: fiscal,
            full_name,
            address: None,
            email: None,
        },
        fields,
        amount_cents: requested,
    })
}

async fn demand(
    app: &App,
    entity: &Entity,
    station: &str,
    id_servizio: &str,
    dati: &[u8],
) -> Result<Response, NodoError> {
    let service = nodo::demand_service(app, entity, id_servizio).await?;
    let request = match demand_request(&service, dati) {
        Ok(r) => r,
        Err(detail) => {
            return Ok(ko(
                Operation::DemandPaymentNotice,
                FaultCode::SintassiXsd,
                entity.fiscal_code.as_str(),
                detail,
            ))
        }
    };
    let (p, notice) = nodo::demand(app, station, &service, request).await?;
    Ok(Response::Demand(DemandOk {
        fiscal_code_pa: entity.fiscal_code.to_string(),
        notice_number: notice.to_string(),
        verify: verify_ok(entity, &p, &notice),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_configured_certificate_subjects_may_call() {
        let mut s = crate::memory::settings();
        assert!(client_allowed(&s, None), "a local run with no list");
        s.in_lambda = true;
        assert!(!client_allowed(&s, Some("CN=anyone")), "never in Lambda");
        s.nodo_client_subjects = vec![
            "CN=nodo.pagopa.it".into(),
            "CN=nodo-uat.pagopa.it, O=PagoPA S.p.A., C=IT".into(),
        ];
        assert!(client_allowed(
            &s,
            Some("CN=nodo.pagopa.it,O=PagoPA S.p.A.,C=IT")
        ));
        assert!(client_allowed(
            &s,
            Some("CN=nodo-uat.pagopa.it,O=PagoPA S.p.A.,C=IT")
        ));
        assert!(!client_allowed(
            &s,
            Some("CN=nodo-uat.pagopa.it,O=Other,C=IT")
        ));
        assert!(!client_allowed(&s, Some("CN=nodo.pagopa.it.evil.example")));
        assert!(!client_allowed(&s, None));
    }
}
