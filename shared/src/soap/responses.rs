//! paForNode responses. Each is built so that it validates against pagoPA's
//! XSD: root element qualified, children unqualified, amounts with two
//! decimals, texts cut to the length their type allows.

use super::messages::{Operation, PAFORNODE_NS, SOAP_ENV_NS};
use super::xml::{escape, Writer};
use crate::domain::amount::soap_cents;

/// The EC's fault codes (pagoPA "Gestione degli errori", Dominio EC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultCode {
    PagamentoSconosciuto,
    PagamentoScaduto,
    PagamentoDuplicato,
    PagamentoAnnullato,
    IdDominioErrato,
    IdIntermediarioErrato,
    StazioneIntErrata,
    SintassiXsd,
    SintassiExtraXsd,
    ReceiptDuplicata,
    Semantica,
    SystemError,
}

impl FaultCode {
    pub fn code(self) -> &'static str {
        match self {
            FaultCode::PagamentoSconosciuto => "PAA_PAGAMENTO_SCONOSCIUTO",
            FaultCode::PagamentoScaduto => "PAA_PAGAMENTO_SCADUTO",
            FaultCode::PagamentoDuplicato => "PAA_PAGAMENTO_DUPLICATO",
            FaultCode::PagamentoAnnullato => "PAA_PAGAMENTO_ANNULLATO",
            FaultCode::IdDominioErrato => "PAA_ID_DOMINIO_ERRATO",
            FaultCode::IdIntermediarioErrato => "PAA_ID_INTERMEDIARIO_ERRATO",
            FaultCode::StazioneIntErrata => "PAA_STAZIONE_INT_ERRATA",
            FaultCode::SintassiXsd => "PAA_SINTASSI_XSD",
            FaultCode::SintassiExtraXsd => "PAA_SINTASSI_EXTRAXSD",
            FaultCode::ReceiptDuplicata => "PAA_RECEIPT_DUPLICATA",
            FaultCode::Semantica => "PAA_SEMANTICA",
            FaultCode::SystemError => "PAA_SYSTEM_ERROR",
        }
    }

    /// The official faultString.
    pub fn fault_string(self) -> &'static str {
        match self {
            FaultCode::PagamentoSconosciuto => {
                "Pagamento in attesa risulta sconosciuto all'Ente Creditore"
            }
            FaultCode::PagamentoScaduto => "Pagamento in attesa risulta scaduto all'Ente Creditore",
            FaultCode::PagamentoDuplicato => {
                "Pagamento in attesa risulta concluso all'Ente Creditore"
            }
            FaultCode::PagamentoAnnullato => {
                "Pagamento in attesa risulta annullato all'Ente Creditore"
            }
            FaultCode::IdDominioErrato => "La PAA non corrisponde al Dominio indicato",
            FaultCode::IdIntermediarioErrato => "Identificativo intermediario non corrispondente",
            FaultCode::StazioneIntErrata => "Stazione intermediario non corrispondente",
            FaultCode::SintassiXsd => "Errore di sintassi XSD",
            FaultCode::SintassiExtraXsd => "Errore di sintassi extra XSD",
            FaultCode::ReceiptDuplicata => "Receipt già acquisita",
            FaultCode::Semantica => "Errore semantico",
            FaultCode::SystemError => "Errore generico",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub code: FaultCode,
    /// `id` of the fault bean: the idPA of the request.
    pub id: String,
    pub description: String,
}

pub use crate::domain::text::fit;

/// One payment option as paVerifyPaymentNotice (and paDemandPaymentNotice) present it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentOptionDescription {
    pub amount_cents: u64,
    pub due_date: String,
    pub detail_description: String,
    pub all_ccp: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyOk {
    pub option: PaymentOptionDescription,
    pub payment_description: String,
    pub fiscal_code_pa: String,
    pub company_name: String,
    pub office_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectOut {
    pub kind: &'static str,
    pub id: String,
    pub full_name: String,
    pub street_name: Option<String>,
    pub civic_number: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub state_province_region: Option<String>,
    pub country: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferOut {
    pub id_transfer: u8,
    pub amount_cents: u64,
    pub fiscal_code_pa: String,
    /// V2 only.
    pub company_name: Option<String>,
    pub iban: String,
    pub remittance_information: String,
    pub transfer_category: String,
    pub metadata: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentOut {
    pub creditor_reference_id: String,
    pub amount_cents: u64,
    pub due_date: String,
    pub description: String,
    pub company_name: String,
    pub office_name: Option<String>,
    pub debtor: SubjectOut,
    pub transfers: Vec<TransferOut>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemandOk {
    pub fiscal_code_pa: String,
    pub notice_number: String,
    pub verify: VerifyOk,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    Verify(VerifyOk),
    GetPayment { v2: bool, payment: PaymentOut },
    SendRt { v2: bool },
    Demand(DemandOk),
    Ko(Operation, Fault),
}

fn metadata(w: &mut Writer, entries: &[(String, String)]) {
    if entries.is_empty() {
        return;
    }
    w.el("metadata", |w| {
        for (k, v) in entries.iter().take(15) {
            w.el("mapEntry", |w| {
                w.leaf("key", &fit(k, 140)).leaf("value", &fit(v, 140));
            });
        }
    });
}

fn option_list(w: &mut Writer, o: &PaymentOptionDescription) {
    w.el("paymentList", |w| {
        w.el("paymentOptionDescription", |w| {
            w.leaf("amount", &soap_cents(o.amount_cents))
                .leaf("options", "EQ")
                .leaf("dueDate", &o.due_date)
                .leaf("detailDescription", &fit(&o.detail_description, 140))
                .leaf("allCCP", if o.all_ccp { "true" } else { "false" });
        });
    });
}

fn verify_tail(w: &mut Writer, v: &VerifyOk) {
    option_list(w, &v.option);
    w.leaf("paymentDescription", &fit(&v.payment_description, 140))
        .leaf("fiscalCodePA", &v.fiscal_code_pa)
        .leaf("companyName", &fit(&v.company_name, 140))
        .opt_leaf(
            "officeName",
            v.office_name.as_deref().map(|o| fit(o, 140)).as_deref(),
        );
}

fn subject(w: &mut Writer, s: &SubjectOut) {
    w.el("uniqueIdentifier", |w| {
        w.leaf("entityUniqueIdentifierType", s.kind)
            .leaf("entityUniqueIdentifierValue", &s.id);
    });
    let f = |v: &Option<String>, max: usize| {
        v.as_deref().map(|t| fit(t, max)).filter(|t| !t.is_empty())
    };
    w.leaf("fullName", &fit(&s.full_name, 70))
        .opt_leaf("streetName", f(&s.street_name, 70).as_deref())
        .opt_leaf("civicNumber", f(&s.civic_number, 16).as_deref())
        .opt_leaf("postalCode", f(&s.postal_code, 16).as_deref())
        .opt_leaf("city", f(&s.city, 35).as_deref())
        .opt_leaf(
            "stateProvinceRegion",
            f(&s.state_province_region, 35).as_deref(),
        )
        .opt_leaf(
            "country",
            s.country
                .as_deref()
                .filter(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase())),
        )
        .opt_leaf(
            "e-mail",
            s.email.as_deref().filter(|e| {
                e.len() <= 256
                    && e.split_once('@').is_some_and(|(l, d)| {
                        !l.is_empty()
                            && l.bytes()
                                .all(|b| b.is_ascii_alphanumeric() || b"_.+-".contains(&b))
                            && d.split('.').all(|p| {
                                !p.is_empty()
                                    && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                            })
                    })
            }),
        );
}

fn payment(w: &mut Writer, p: &PaymentOut, v2: bool) {
    w.el("data", |w| {
        w.leaf("creditorReferenceId", &p.creditor_reference_id)
            .leaf("paymentAmount", &soap_cents(p.amount_cents))
            .leaf("dueDate", &p.due_date)
            .leaf("description", &fit(&p.description, 140))
            .leaf("companyName", &fit(&p.company_name, 140))
            .opt_leaf(
                "officeName",
                p.office_name.as_deref().map(|o| fit(o, 140)).as_deref(),
            );
        w.el("debtor", |w| subject(w, &p.debtor));
        w.el("transferList", |w| {
            for t in p.transfers.iter().take(5) {
                w.el("transfer", |w| {
                    w.leaf("idTransfer", &t.id_transfer.to_string())
                        .leaf("transferAmount", &soap_cents(t.amount_cents))
                        .leaf("fiscalCodePA", &t.fiscal_code_pa);
                    if v2 {
                        w.opt_leaf(
                            "companyName",
                            t.company_name.as_deref().map(|c| fit(c, 140)).as_deref(),
                        );
                    }
                    w.leaf("IBAN", &t.iban)
                        .leaf(
                            "remittanceInformation",
                            &fit(&t.remittance_information, 140),
                        )
                        .leaf("transferCategory", &fit(&t.transfer_category, 140));
                    metadata(w, &t.metadata);
                });
            }
        });
    });
}

fn ko(w: &mut Writer, f: &Fault) {
    w.leaf("outcome", "KO").el("fault", |w| {
        w.leaf("faultCode", f.code.code())
            .leaf("faultString", f.code.fault_string())
            .leaf("id", &f.id)
            .leaf("description", &f.description);
    });
}

impl Response {
    pub fn operation(&self) -> Operation {
        match self {
            Response::Verify(_) => Operation::VerifyPaymentNotice,
            Response::GetPayment { v2: false, .. } => Operation::GetPayment,
            Response::GetPayment { v2: true, .. } => Operation::GetPaymentV2,
            Response::SendRt { v2: false } => Operation::SendRt,
            Response::SendRt { v2: true } => Operation::SendRtV2,
            Response::Demand(_) => Operation::DemandPaymentNotice,
            Response::Ko(op, _) => *op,
        }
    }

    /// The response element alone, with its namespace declared on it.
    pub fn body_xml(&self) -> String {
        let name = format!("paf:{}", self.operation().response_element());
        let mut w = Writer::new();
        w.raw(&format!("<{name} xmlns:paf=\"{}\">", escape(PAFORNODE_NS)));
        match self {
            Response::Verify(v) => {
                w.leaf("outcome", "OK");
                verify_tail(&mut w, v);
            }
            Response::GetPayment { v2, payment: p } => {
                w.leaf("outcome", "OK");
                payment(&mut w, p, *v2);
            }
            Response::SendRt { .. } => {
                w.leaf("outcome", "OK");
            }
            Response::Demand(d) => {
                w.leaf("outcome", "OK");
                w.el("qrCode", |w| {
                    w.leaf("fiscalCode", &d.fiscal_code_pa)
                        .leaf("noticeNumber", &d.notice_number);
                });
                verify_tail(&mut w, &d.verify);
            }
            Response::Ko(_, f) => ko(&mut w, f),
        }
        w.raw(&format!("</{name}>"));
        w.finish()
    }

    /// The whole SOAP 1.1 envelope.
    pub fn envelope(&self) -> String {
        envelope(&self.body_xml())
    }
}

pub fn envelope(body: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><soapenv:Envelope xmlns:soapenv=\"{SOAP_ENV_NS}\"><soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>"
    )
}

/// A SOAP 1.1 Fault, for a request in which no paForNode operation can be recognised.
pub fn soap_fault(detail: &str) -> String {
    envelope(&format!(
        "<soapenv:Fault><faultcode>soapenv:Client</faultcode><faultstring>{}</faultstring></soapenv:Fault>",
        escape(&fit(detail, 500))
    ))
}
