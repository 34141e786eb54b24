//! paForNode requests, read from the SOAP envelope into typed values. What the
//! XSD forbids is refused (PAA_SINTASSI_XSD); what is not XML at all is refused
//! as PAA_SINTASSI_EXTRAXSD.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::xml::{parse, Element, XmlError};
use crate::domain::amount::parse_soap_cents;
use crate::domain::position::SubjectType;
use crate::domain::receipt::{Outcome, Receipt, ReceiptTransfer, ReceiptVersion, Subject};
use crate::domain::EcFiscalCode;

pub const SOAP_ENV_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
pub const PAFORNODE_NS: &str = "http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    VerifyPaymentNotice,
    GetPayment,
    GetPaymentV2,
    SendRt,
    SendRtV2,
    DemandPaymentNotice,
}

impl Operation {
    pub const ALL: [Operation; 6] = [
        Operation::VerifyPaymentNotice,
        Operation::GetPayment,
        Operation::GetPaymentV2,
        Operation::SendRt,
        Operation::SendRtV2,
        Operation::DemandPaymentNotice,
    ];

    /// The operation name, which is also the SOAPAction.
    pub fn name(self) -> &'static str {
        match self {
            Operation::VerifyPaymentNotice => "paVerifyPaymentNotice",
            Operation::GetPayment => "paGetPayment",
            Operation::GetPaymentV2 => "paGetPaymentV2",
            Operation::SendRt => "paSendRT",
            Operation::SendRtV2 => "paSendRTV2",
            Operation::DemandPaymentNotice => "paDemandPaymentNotice",
        }
    }

    pub fn request_element(self) -> &'static str {
        match self {
            Operation::VerifyPaymentNotice => "paVerifyPaymentNoticeReq",
            Operation::GetPayment => "paGetPaymentReq",
            Operation::GetPaymentV2 => "paGetPaymentV2Request",
            Operation::SendRt => "paSendRTReq",
            Operation::SendRtV2 => "paSendRTV2Request",
            Operation::DemandPaymentNotice => "paDemandPaymentNoticeRequest",
        }
    }

    pub fn response_element(self) -> &'static str {
        match self {
            Operation::VerifyPaymentNotice => "paVerifyPaymentNoticeRes",
            Operation::GetPayment => "paGetPaymentRes",
            Operation::GetPaymentV2 => "paGetPaymentV2Response",
            Operation::SendRt => "paSendRTRes",
            Operation::SendRtV2 => "paSendRTV2Response",
            Operation::DemandPaymentNotice => "paDemandPaymentNoticeResponse",
        }
    }

    pub fn from_request_element(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.request_element() == name)
    }

    /// From a SOAPAction header, quoted or not.
    pub fn from_soap_action(action: &str) -> Option<Self> {
        let a = action.trim().trim_matches('"');
        let a = a.rsplit('/').next().unwrap_or(a);
        Self::ALL.into_iter().find(|o| o.name() == a)
    }
}

/// The station identity every request carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub id_pa: String,
    pub id_broker_pa: String,
    pub id_station: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrCode {
    pub fiscal_code: EcFiscalCode,
    /// 18 digits.
    pub notice_number: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferType {
    Postal,
    Pagopa,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    Verify {
        caller: Caller,
        qr: QrCode,
    },
    GetPayment {
        caller: Caller,
        qr: QrCode,
        v2: bool,
        amount_cents: Option<u64>,
        payment_note: Option<String>,
        transfer_type: Option<TransferType>,
        due_date: Option<String>,
    },
    SendRt {
        caller: Caller,
        receipt: Box<Receipt>,
        /// The `receipt` element exactly as received.
        receipt_xml: String,
        /// Where the receipt departs from the schema in what does not identify
        /// the payment (unknown elements, missing or malformed descriptions):
        /// kept and recorded, never a reason to refuse the money.
        deviations: Vec<String>,
    },
    Demand {
        caller: Caller,
        id_servizio: String,
        id_soggetto_servizio: String,
        dati_specifici: Vec<u8>,
    },
}

impl Request {
    pub fn caller(&self) -> &Caller {
        match self {
            Request::Verify { caller, .. }
            | Request::GetPayment { caller, .. }
            | Request::SendRt { caller, .. }
            | Request::Demand { caller, .. } => caller,
        }
    }
}

/// Why a request could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestError {
    /// Not a SOAP envelope of a paForNode operation: no operation can be told.
    UnknownOperation(String),
    /// The operation is known but the body is not well-formed XML or not SOAP.
    ExtraXsd {
        operation: Operation,
        id_pa: Option<String>,
        detail: String,
    },
    /// The body breaks the XSD.
    Xsd {
        operation: Operation,
        id_pa: Option<String>,
        detail: String,
    },
}

type Errs = std::cell::RefCell<Vec<String>>;

/// Reads fields of one element, collecting XSD violations.
struct Fields<'a> {
    el: &'a Element,
    path: String,
    errors: &'a Errs,
}

impl<'a> Fields<'a> {
    fn new(el: &'a Element, path: &str, errors: &'a Errs, allowed: &[&str]) -> Self {
        for c in &el.children {
            if !allowed.contains(&c.name.as_str()) {
                errors
                    .borrow_mut()
                    .push(format!("{path}/{}: elemento non previsto", c.name));
            } else if c.ns.is_some() {
                errors.borrow_mut().push(format!(
                    "{path}/{}: l'elemento deve essere senza namespace",
                    c.name
                ));
            }
        }
        for name in allowed {
            if el.children_named(name).count() > 1 && !matches!(*name, "transfer" | "mapEntry") {
                errors
                    .borrow_mut()
                    .push(format!("{path}/{name}: elemento ripetuto"));
            }
        }
        Self {
            el,
            path: path.to_owned(),
            errors,
        }
    }

    /// Reads an element's fields without checking which children it has (the
    /// strict reading of a receipt's identifying fields, beside a lenient one).
    fn plain(el: &'a Element, path: &str, errors: &'a Errs) -> Self {
        Self {
            el,
            path: path.to_owned(),
            errors,
        }
    }

    fn err(&mut self, name: &str, msg: &str) {
        self.errors
            .borrow_mut()
            .push(format!("{}/{name}: {msg}", self.path));
    }

    fn opt_text(&mut self, name: &str, min: usize, max: usize) -> Option<String> {
        let c = self.el.child(name)?;
        let t = c.text.trim();
        let n = t.chars().count();
        if n < min || n > max || !c.children.is_empty() {
            self.err(
                name,
                &format!("lunghezza non valida (da {min} a {max} caratteri)"),
            );
            return None;
        }
        Some(t.to_owned())
    }

    fn text(&mut self, name: &str, min: usize, max: usize) -> Option<String> {
        if self.el.child(name).is_none() {
            self.err(name, "elemento obbligatorio mancante");
            return None;
        }
        self.opt_text(name, min, max)
    }

    fn digits(&mut self, name: &str, len: usize) -> Option<String> {
        let t = self.text(name, len, len)?;
        if t.bytes().all(|b| b.is_ascii_digit()) {
            Some(t)
        } else {
            self.err(name, &format!("servono {len} cifre"));
            None
        }
    }

    fn opt_amount(&mut self, name: &str, not_zero: bool) -> Option<Option<u64>> {
        let Some(t) = self.opt_text(name, 1, 20) else {
            return Some(None).filter(|_| self.el.child(name).is_none());
        };
        match parse_soap_cents(&t) {
            Ok(c) if !(not_zero && c == 0) => Some(Some(c)),
            _ => {
                self.err(name, "importo non valido");
                None
            }
        }
    }

    fn amount(&mut self, name: &str, not_zero: bool) -> Option<u64> {
        if self.el.child(name).is_none() {
            self.err(name, "elemento obbligatorio mancante");
            return None;
        }
        self.opt_amount(name, not_zero).flatten()
    }

    fn opt_pattern(
        &mut self,
        name: &str,
        check: fn(&str) -> bool,
        what: &str,
    ) -> Option<Option<String>> {
        match self.el.child(name) {
            None => Some(None),
            Some(_) => {
                let t = self.opt_text(name, 1, 256)?;
                if check(&t) {
                    Some(Some(t))
                } else {
                    self.err(name, what);
                    None
                }
            }
        }
    }

    fn child(&mut self, name: &str) -> Option<&'a Element> {
        let c = self.el.child(name);
        if c.is_none() {
            self.err(name, "elemento obbligatorio mancante");
        }
        c
    }
}

fn is_date(s: &str) -> bool {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
}

fn is_date_time(s: &str) -> bool {
    chrono::DateTime::parse_from_rfc3339(s).is_ok()
        || chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").is_ok()
}

fn is_bool(s: &str) -> bool {
    matches!(s, "true" | "false" | "1" | "0")
}

fn read_caller(f: &mut Fields) -> Option<Caller> {
    let id_pa = f.text("idPA", 1, 35);
    let id_broker_pa = f.text("idBrokerPA", 1, 35);
    let id_station = f.text("idStation", 1, 35);
    Some(Caller {
        id_pa: id_pa?,
        id_broker_pa: id_broker_pa?,
        id_station: id_station?,
    })
}

fn read_qr(el: &Element, path: &str, errors: &Errs) -> Option<QrCode> {
    let mut f = Fields::new(el, path, errors, &["fiscalCode", "noticeNumber"]);
    let cf = f.digits("fiscalCode", 11);
    let notice = f.digits("noticeNumber", 18);
    Some(QrCode {
        fiscal_code: EcFiscalCode::parse(&cf?).ok()?,
        notice_number: notice?,
    })
}

fn read_metadata(el: Option<&Element>, path: &str, errors: &Errs) -> Vec<(String, String)> {
    let Some(el) = el else { return vec![] };
    let _ = Fields::new(el, path, errors, &["mapEntry"]);
    let entries: Vec<_> = el.children_named("mapEntry").collect();
    if entries.is_empty() || entries.len() > 15 {
        errors
            .borrow_mut()
            .push(format!("{path}: da 1 a 15 mapEntry"));
    }
    entries
        .into_iter()
        .filter_map(|e| {
            let mut f = Fields::new(e, &format!("{path}/mapEntry"), errors, &["key", "value"]);
            Some((f.text("key", 1, 140)?, f.text("value", 1, 140)?))
        })
        .collect()
}

fn read_subject(el: &Element, path: &str, errors: &Errs) -> Option<Subject> {
    let mut f = Fields::new(
        el,
        path,
        errors,
        &[
            "uniqueIdentifier",
            "fullName",
            "streetName",
            "civicNumber",
            "postalCode",
            "city",
            "stateProvinceRegion",
            "country",
            "e-mail",
        ],
    );
    let uid = f.child("uniqueIdentifier");
    let full_name = f.text("fullName", 1, 70);
    let street_name = f.opt_text("streetName", 1, 70);
    let civic_number = f.opt_text("civicNumber", 1, 16);
    let postal_code = f.opt_text("postalCode", 1, 16);
    let city = f.opt_text("city", 1, 35);
    let state_province_region = f.opt_text("stateProvinceRegion", 1, 35);
    let country = f.opt_pattern(
        "country",
        |s| s.len() == 2 && s.bytes().all(|b| b.is_ascii_uppercase()),
        "due lettere maiuscole",
    )?;
    let email = f.opt_pattern(
        "e-mail",
        |s| {
            s.len() <= 256
                && s.split_once('@').is_some_and(|(l, d)| {
                    !l.is_empty()
                        && l.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"_.+-".contains(&b))
                        && !d.is_empty()
                        && d.split('.').all(|p| {
                            !p.is_empty()
                                && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                        })
                })
        },
        "indirizzo email non valido",
    )?;
    let uid = uid?;
    let mut u = Fields::new(
        uid,
        &format!("{path}/uniqueIdentifier"),
        errors,
        &["entityUniqueIdentifierType", "entityUniqueIdentifierValue"],
    );
    let kind = u.text("entityUniqueIdentifierType", 1, 1);
    let id = u.text("entityUniqueIdentifierValue", 2, 16);
    let kind = match kind?.as_str() {
        "F" => SubjectType::F,
        "G" => SubjectType::G,
        _ => {
            u.err("entityUniqueIdentifierType", "deve essere F o G");
            return None;
        }
    };
    Some(Subject {
        kind,
        id: id?,
        full_name: full_name?,
        street_name,
        civic_number,
        postal_code,
        city,
        state_province_region,
        country,
        email,
    })
}

/// Reads a receipt. Strict (`errors`: the request is refused) only on what
/// identifies the payment: receiptId, notice number, EC, outcome, IUV, amount.
/// Everything else departing from the schema goes to `deviations`: the money
/// has moved, and a receipt refused for a description leaves a paid notice payable.
fn read_receipt(el: &Element, v2: bool, errors: &Errs, deviations: &Errs) -> Option<Receipt> {
    let path = "receipt";
    let mut allowed = vec![
        "receiptId",
        "noticeNumber",
        "fiscalCode",
        "outcome",
        "creditorReferenceId",
        "paymentAmount",
        "description",
        "companyName",
        "officeName",
        "debtor",
        "transferList",
        "idPSP",
        "pspFiscalCode",
        "pspPartitaIVA",
        "PSPCompanyName",
        "idChannel",
        "channelDescription",
        "payer",
        "paymentMethod",
        "fee",
        "paymentDateTime",
        "applicationDate",
        "transferDate",
        "metadata",
        "standIn",
    ];
    if v2 {
        allowed.extend([
            "paymentNote",
            "primaryCiIncurredFee",
            "idBundle",
            "idCiBundle",
        ]);
    }
    let mut strict = Fields::plain(el, path, errors);
    let receipt_id = strict.text("receiptId", 1, 256);
    let notice_number = strict.digits("noticeNumber", 18);
    let fiscal_code = strict.digits("fiscalCode", 11);
    let outcome = strict.text("outcome", 2, 2).and_then(|o| {
        let parsed = Outcome::parse(&o);
        if parsed.is_none() {
            strict.err("outcome", "deve essere OK o KO");
        }
        parsed
    });
    let creditor_reference_id = strict.text("creditorReferenceId", 1, 35);
    let payment_amount_cents = strict.amount("paymentAmount", false);
    let errors = deviations;
    let mut f = Fields::new(el, path, errors, &allowed);
    let description = f.text("description", 1, 140);
    let company_name = f.text("companyName", 1, 140);
    let office_name = f.opt_text("officeName", 1, 140);
    let debtor_el = f.child("debtor");
    let transfers_el = f.child("transferList");
    let id_psp = f.text("idPSP", 1, 35);
    let psp_fiscal_code = f.opt_text("pspFiscalCode", 1, 70);
    let psp_partita_iva = f.opt_text("pspPartitaIVA", 1, 20);
    let psp_company_name = f.text("PSPCompanyName", 1, 70);
    let id_channel = f.text("idChannel", 1, 35);
    let channel_description = f.text("channelDescription", 1, 35);
    let payer_el = el.child("payer");
    let payment_method = f.opt_text("paymentMethod", 1, 35);
    let payment_note = f.opt_text("paymentNote", 1, 210);
    let fee_cents = f.opt_amount("fee", false);
    let primary_ci_incurred_fee_cents = f.opt_amount("primaryCiIncurredFee", false);
    let id_bundle = f.opt_text("idBundle", 1, 70);
    let id_ci_bundle = f.opt_text("idCiBundle", 1, 70);
    let payment_date_time = f.opt_pattern("paymentDateTime", is_date_time, "data e ora non valide");
    let application_date = f.opt_pattern("applicationDate", is_date, "data non valida");
    let transfer_date = f.opt_pattern("transferDate", is_date, "data non valida");
    let stand_in = f.opt_pattern("standIn", is_bool, "deve essere true o false");
    let metadata = read_metadata(el.child("metadata"), "receipt/metadata", errors);

    let debtor = debtor_el.and_then(|d| read_subject(d, "receipt/debtor", errors));
    let payer = payer_el.and_then(|p| read_subject(p, "receipt/payer", errors));
    let mut transfers = Vec::new();
    if let Some(tl) = transfers_el {
        let _ = Fields::new(tl, "receipt/transferList", errors, &["transfer"]);
        let items: Vec<_> = tl.children_named("transfer").collect();
        if items.is_empty() || items.len() > 5 {
            errors
                .borrow_mut()
                .push("receipt/transferList: da 1 a 5 transfer".into());
        }
        for t in items {
            let mut allowed = vec![
                "idTransfer",
                "transferAmount",
                "fiscalCodePA",
                "IBAN",
                "remittanceInformation",
                "transferCategory",
                "metadata",
            ];
            if v2 {
                allowed.extend(["companyName", "MBDAttachment"]);
            }
            let p = "receipt/transferList/transfer";
            let mut tf = Fields::new(t, p, errors, &allowed);
            let id = tf
                .text("idTransfer", 1, 1)
                .and_then(|s| s.parse::<u8>().ok())
                .filter(|n| (1..=5).contains(n));
            if id.is_none() {
                tf.err("idTransfer", "deve essere da 1 a 5");
            }
            let amount = tf.amount("transferAmount", true);
            let cf = tf.digits("fiscalCodePA", 11);
            let company = tf.opt_text("companyName", 1, 140);
            let iban = tf.opt_text("IBAN", 1, 35);
            let mbd = tf.opt_text("MBDAttachment", 1, 1_000_000);
            if iban.is_some() == mbd.is_some() {
                tf.err("IBAN", "serve IBAN oppure MBDAttachment");
            }
            let remittance = tf.text("remittanceInformation", 1, 140);
            let category = tf.text("transferCategory", 1, 140);
            let id = id.or(u8::try_from(transfers.len() + 1).ok());
            let (remittance, category) = (
                Some(remittance.unwrap_or_default()),
                Some(category.unwrap_or_default()),
            );
            let md = read_metadata(
                t.child("metadata"),
                "receipt/transferList/transfer/metadata",
                errors,
            );
            if let (Some(id), Some(amount), Some(cf), Some(remittance), Some(category)) =
                (id, amount, cf, remittance, category)
            {
                let Ok(fiscal_code_pa) = EcFiscalCode::parse(&cf) else {
                    continue;
                };
                transfers.push(ReceiptTransfer {
                    id_transfer: id,
                    amount_cents: amount,
                    fiscal_code_pa,
                    company_name: company,
                    iban,
                    mbd_attachment: mbd,
                    remittance_information: remittance,
                    transfer_category: category,
                    metadata: md,
                });
            }
        }
    }
    Some(Receipt {
        version: if v2 {
            ReceiptVersion::V2
        } else {
            ReceiptVersion::V1
        },
        receipt_id: receipt_id?,
        notice_number: notice_number?,
        fiscal_code: EcFiscalCode::parse(&fiscal_code?).ok()?,
        outcome: outcome?,
        creditor_reference_id: creditor_reference_id?,
        payment_amount_cents: payment_amount_cents?,
        description: description.unwrap_or_default(),
        company_name: company_name.unwrap_or_default(),
        office_name,
        debtor: debtor.unwrap_or_else(|| Subject::new(SubjectType::F, "ANONIMO", "")),
        transfers,
        id_psp: id_psp.unwrap_or_default(),
        psp_fiscal_code,
        psp_partita_iva,
        psp_company_name: psp_company_name.unwrap_or_default(),
        id_channel: id_channel.unwrap_or_default(),
        channel_description: channel_description.unwrap_or_default(),
        payer,
        payment_method,
        payment_note,
        fee_cents: fee_cents.flatten(),
        primary_ci_incurred_fee_cents: primary_ci_incurred_fee_cents.flatten(),
        id_bundle,
        id_ci_bundle,
        payment_date_time: payment_date_time.flatten(),
        application_date: application_date.flatten(),
        transfer_date: transfer_date.flatten(),
        metadata,
        stand_in: stand_in.flatten().map(|s| s == "true" || s == "1"),
    })
}

fn read_body(op: Operation, el: &Element, source: &[u8]) -> Result<Request, Vec<String>> {
    let errors = Errs::default();
    let errors = &errors;
    let path = op.request_element();
    let allowed: &[&str] = match op {
        Operation::VerifyPaymentNotice => &["idPA", "idBrokerPA", "idStation", "qrCode"],
        Operation::GetPayment | Operation::GetPaymentV2 => &[
            "idPA",
            "idBrokerPA",
            "idStation",
            "qrCode",
            "amount",
            "paymentNote",
            "transferType",
            "dueDate",
        ],
        Operation::SendRt | Operation::SendRtV2 => &["idPA", "idBrokerPA", "idStation", "receipt"],
        Operation::DemandPaymentNotice => &[
            "idPA",
            "idBrokerPA",
            "idStation",
            "idServizio",
            "idSoggettoServizio",
            "datiSpecificiServizioRequest",
        ],
    };
    let mut f = Fields::new(el, path, errors, allowed);
    let caller = read_caller(&mut f);
    let request = match op {
        Operation::VerifyPaymentNotice | Operation::GetPayment | Operation::GetPaymentV2 => {
            let qr_el = f.child("qrCode");
            let amount = f.opt_amount("amount", false);
            let payment_note = f.opt_text("paymentNote", 1, 210);
            let transfer_type = match f.opt_text("transferType", 1, 6).as_deref() {
                None => Some(None),
                Some("POSTAL") => Some(Some(TransferType::Postal)),
                Some("PAGOPA") => Some(Some(TransferType::Pagopa)),
                Some(_) => {
                    f.err("transferType", "deve essere POSTAL o PAGOPA");
                    None
                }
            };
            let due_date = f.opt_pattern("dueDate", is_date, "data non valida");
            let qr = qr_el.and_then(|q| read_qr(q, &format!("{path}/qrCode"), errors));
            match (caller, qr) {
                (Some(caller), Some(qr)) if op == Operation::VerifyPaymentNotice => {
                    Some(Request::Verify { caller, qr })
                }
                (Some(caller), Some(qr)) => (|| {
                    Some(Request::GetPayment {
                        caller,
                        qr,
                        v2: op == Operation::GetPaymentV2,
                        amount_cents: amount?,
                        payment_note,
                        transfer_type: transfer_type?,
                        due_date: due_date?,
                    })
                })(),
                _ => None,
            }
        }
        Operation::SendRt | Operation::SendRtV2 => {
            let receipt_el = f.child("receipt");
            let deviations = Errs::default();
            let receipt = receipt_el
                .and_then(|r| read_receipt(r, op == Operation::SendRtV2, errors, &deviations));
            match (caller, receipt, receipt_el) {
                (Some(caller), Some(receipt), Some(r)) => Some(Request::SendRt {
                    deviations: deviations.into_inner(),
                    caller,
                    receipt: Box::new(receipt),
                    // Kept exactly as sent (the element's own bytes).
                    receipt_xml: source
                        .get(r.span.0..r.span.1)
                        .map(|b| String::from_utf8_lossy(b).into_owned())
                        .unwrap_or_else(|| r.to_xml()),
                }),
                _ => None,
            }
        }
        Operation::DemandPaymentNotice => {
            let id_servizio = f.text("idServizio", 5, 5);
            let id_soggetto = f.text("idSoggettoServizio", 5, 5);
            let dati = f.text("datiSpecificiServizioRequest", 1, 100_000);
            let decoded = dati.and_then(|d| {
                let compact: String = d.chars().filter(|c| !c.is_whitespace()).collect();
                match STANDARD.decode(compact) {
                    Ok(b) => Some(b),
                    Err(_) => {
                        f.err("datiSpecificiServizioRequest", "base64 non valido");
                        None
                    }
                }
            });
            match (caller, id_servizio, id_soggetto, decoded) {
                (
                    Some(caller),
                    Some(id_servizio),
                    Some(id_soggetto_servizio),
                    Some(dati_specifici),
                ) => Some(Request::Demand {
                    caller,
                    id_servizio,
                    id_soggetto_servizio,
                    dati_specifici,
                }),
                _ => None,
            }
        }
    };
    let mut errors = errors.take();
    match request {
        Some(r) if errors.is_empty() => Ok(r),
        _ => {
            if errors.is_empty() {
                errors.push("richiesta non valida".into());
            }
            Err(errors)
        }
    }
}

/// Reads a SOAP request. `soap_action` helps only to name the operation of a
/// body that cannot be parsed.
pub fn read_request(body: &[u8], soap_action: Option<&str>) -> Result<Request, RequestError> {
    let from_action = soap_action.and_then(Operation::from_soap_action);
    let root = match parse(body) {
        Ok(r) => r,
        Err(e) => {
            return Err(match from_action {
                Some(operation) => RequestError::ExtraXsd {
                    operation,
                    id_pa: None,
                    detail: e.to_string(),
                },
                None => RequestError::UnknownOperation(e.to_string()),
            })
        }
    };
    let payload = (root.name == "Envelope" && root.ns.as_deref() == Some(SOAP_ENV_NS))
        .then(|| root.child("Body"))
        .flatten()
        .and_then(|b| b.children.first());
    let Some(payload) = payload else {
        let detail = "non è una busta SOAP 1.1 con un Body".to_string();
        return Err(match from_action {
            Some(operation) => RequestError::ExtraXsd {
                operation,
                id_pa: None,
                detail,
            },
            None => RequestError::UnknownOperation(detail),
        });
    };
    let Some(op) = Operation::from_request_element(&payload.name) else {
        return Err(RequestError::UnknownOperation(format!(
            "operazione sconosciuta: {}",
            payload.name
        )));
    };
    let id_pa = payload
        .child("idPA")
        .map(|e| e.text.trim().to_owned())
        .filter(|s| !s.is_empty());
    if payload.ns.as_deref() != Some(PAFORNODE_NS) {
        return Err(RequestError::Xsd {
            operation: op,
            id_pa,
            detail: format!("{}: namespace atteso {PAFORNODE_NS}", payload.name),
        });
    }
    read_body(op, payload, body).map_err(|errors| RequestError::Xsd {
        operation: op,
        id_pa,
        detail: errors.join("; "),
    })
}

impl From<XmlError> for RequestError {
    fn from(e: XmlError) -> Self {
        RequestError::UnknownOperation(e.to_string())
    }
}
