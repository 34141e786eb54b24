//! The Nodo's side of paForNode: builds the requests pagoPA sends to an EC's
//! station, calls the portal, and checks every message, both ways, against
//! pagoPA's XSD with `xmllint` (libxml2-utils).

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use shared::soap::xml::{escape, parse, Element, Writer};

pub const PAFN: &str = "http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd";

/// pagoPA's schema, from the reference folder beside the checkout (`PAGOPA_XSD` overrides).
pub fn xsd_path() -> PathBuf {
    if let Some(p) = std::env::var_os("PAGOPA_XSD") {
        return p.into();
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/spec/pagopa-xsd/wsdl/xsd/paForNode.xsd")
}

/// Validates one paForNode message (the element inside a SOAP Body).
pub fn validate(message_xml: &str) -> Result<(), String> {
    let xsd = xsd_path();
    if !xsd.exists() {
        return Err(format!("pagoPA XSD not found at {}", xsd.display()));
    }
    let mut child = Command::new("xmllint")
        .args(["--noout", "--nonet", "--schema"])
        .arg(&xsd)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("xmllint (apt package libxml2-utils) cannot run: {e}"))?;
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(message_xml.as_bytes())
        .map_err(|e| e.to_string())?;
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// The element inside the SOAP Body of an envelope.
pub fn body_element(envelope: &str) -> Result<Element, String> {
    let root = parse(envelope.as_bytes()).map_err(|e| format!("not XML: {e}"))?;
    if root.name != "Envelope" {
        return Err(format!("not a SOAP envelope: {}", root.name));
    }
    root.child("Body")
        .and_then(|b| b.children.first())
        .cloned()
        .ok_or_else(|| "empty SOAP Body".to_string())
}

pub fn envelope(op_element: &str, inner: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:pafn=\"{PAFN}\"><soapenv:Body><pafn:{op_element}>{inner}</pafn:{op_element}></soapenv:Body></soapenv:Envelope>"
    )
}

/// The station identity a request carries.
#[derive(Debug, Clone)]
pub struct Station {
    pub id_pa: String,
    pub id_broker_pa: String,
    pub id_station: String,
}

impl Station {
    fn xml(&self) -> String {
        let mut w = Writer::new();
        w.leaf("idPA", &self.id_pa)
            .leaf("idBrokerPA", &self.id_broker_pa)
            .leaf("idStation", &self.id_station);
        w.finish()
    }
}

fn qr(ec: &str, notice: &str) -> String {
    format!(
        "<qrCode><fiscalCode>{}</fiscalCode><noticeNumber>{}</noticeNumber></qrCode>",
        escape(ec),
        escape(notice)
    )
}

pub fn verify_request(station: &Station, notice: &str) -> String {
    envelope(
        "paVerifyPaymentNoticeReq",
        &format!("{}{}", station.xml(), qr(&station.id_pa, notice)),
    )
}

pub fn get_payment_request(
    station: &Station,
    notice: &str,
    v2: bool,
    amount_cents: u64,
    payment_note: Option<&str>,
) -> String {
    let mut tail = Writer::new();
    tail.leaf(
        "amount",
        &format!("{}.{:02}", amount_cents / 100, amount_cents % 100),
    )
    .opt_leaf("paymentNote", payment_note)
    .leaf("transferType", "PAGOPA");
    envelope(
        if v2 {
            "paGetPaymentV2Request"
        } else {
            "paGetPaymentReq"
        },
        &format!(
            "{}{}{}",
            station.xml(),
            qr(&station.id_pa, notice),
            tail.finish()
        ),
    )
}

pub fn send_rt_request(station: &Station, receipt_xml: &str, v2: bool) -> String {
    envelope(
        if v2 {
            "paSendRTV2Request"
        } else {
            "paSendRTReq"
        },
        &format!("{}{receipt_xml}", station.xml()),
    )
}

/// What the PSP side adds to a receipt.
#[derive(Debug, Clone)]
pub struct PspPayment {
    pub receipt_id: String,
    pub payer_email: Option<String>,
    pub payment_note: Option<String>,
    pub fee_cents: u64,
    /// Italian local time, as the Nodo sends it.
    pub payment_date_time: chrono::NaiveDateTime,
}

/// Builds a receipt (ctReceiptV2, or ctReceipt when `v2` is false) from the
/// `data` element of the portal's paGetPayment(V2) answer.
pub fn receipt_from_payment(
    data: &Element,
    notice: &str,
    ec: &str,
    psp: &PspPayment,
    v2: bool,
) -> Result<String, String> {
    let text = |el: &Element, name: &str| {
        el.child(name)
            .map(|c| c.text.clone())
            .ok_or_else(|| format!("data/{name} missing"))
    };
    let debtor = data.child("debtor").ok_or("data/debtor missing")?;
    let transfers = data
        .child("transferList")
        .ok_or("data/transferList missing")?;
    let mut w = Writer::new();
    w.open("receipt")
        .leaf("receiptId", &psp.receipt_id)
        .leaf("noticeNumber", notice)
        .leaf("fiscalCode", ec)
        .leaf("outcome", "OK")
        .leaf("creditorReferenceId", &text(data, "creditorReferenceId")?)
        .leaf("paymentAmount", &text(data, "paymentAmount")?)
        .leaf("description", &text(data, "description")?)
        .leaf(
            "companyName",
            &text(data, "companyName").unwrap_or_else(|_| "Ente".into()),
        )
        .opt_leaf(
            "officeName",
            data.child("officeName").map(|o| o.text.as_str()),
        );
    w.raw(&debtor.to_xml());
    w.open("transferList");
    for t in transfers.children_named("transfer") {
        w.open("transfer")
            .leaf("idTransfer", &text(t, "idTransfer")?)
            .leaf("transferAmount", &text(t, "transferAmount")?)
            .leaf("fiscalCodePA", &text(t, "fiscalCodePA")?);
        if v2 {
            w.opt_leaf(
                "companyName",
                t.child("companyName").map(|c| c.text.as_str()),
            );
        }
        w.leaf("IBAN", &text(t, "IBAN")?)
            .leaf("remittanceInformation", &text(t, "remittanceInformation")?)
            .leaf("transferCategory", &text(t, "transferCategory")?);
        if let Some(m) = t.child("metadata") {
            w.raw(&m.to_xml());
        }
        w.close("transfer");
    }
    w.close("transferList");
    w.leaf("idPSP", "SIMPSP01")
        .leaf("pspFiscalCode", "00000000000")
        .leaf("pspPartitaIVA", "00000000000")
        .leaf("PSPCompanyName", "Banca Simulata S.p.A.")
        .leaf("idChannel", "SIMPSP01_01")
        .leaf("channelDescription", "app");
    // The payer is the debtor here, with the email given at Checkout.
    let mut payer = debtor.clone();
    payer.name = "payer".into();
    payer.children.retain(|c| c.name != "e-mail");
    if let Some(e) = &psp.payer_email {
        payer.children.push(Element {
            name: "e-mail".into(),
            text: e.clone(),
            ..Default::default()
        });
    }
    w.raw(&payer.to_xml());
    w.leaf("paymentMethod", "creditCard");
    if v2 {
        w.opt_leaf("paymentNote", psp.payment_note.as_deref());
    }
    w.leaf(
        "fee",
        &format!("{}.{:02}", psp.fee_cents / 100, psp.fee_cents % 100),
    );
    if v2 {
        w.leaf("primaryCiIncurredFee", "0.00")
            .leaf("idBundle", "SIM-BUNDLE-1");
    }
    let at = psp.payment_date_time;
    w.leaf(
        "paymentDateTime",
        &at.format("%Y-%m-%dT%H:%M:%S").to_string(),
    )
    .leaf("applicationDate", &at.format("%Y-%m-%d").to_string())
    .leaf(
        "transferDate",
        &(at.date() + chrono::Duration::days(1))
            .format("%Y-%m-%d")
            .to_string(),
    )
    .leaf("standIn", "false");
    w.close("receipt");
    Ok(w.finish())
}

/// One exchange with the portal.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Exchange {
    pub operation: String,
    pub http_status: u16,
    pub outcome: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault_description: Option<String>,
    #[serde(skip)]
    pub message: Option<Element>,
}

/// Calls the portal's station and records every XSD violation it sees.
#[derive(Clone)]
pub struct NodoClient {
    http: reqwest::Client,
    endpoint: String,
    pub violations: Arc<Mutex<Vec<String>>>,
}

impl NodoClient {
    pub fn new(portal_base: &str) -> Self {
        Self {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(15))
                .build()
                .expect("HTTP client"),
            endpoint: format!("{}/pagopa/paForNode", portal_base.trim_end_matches('/')),
            violations: Arc::default(),
        }
    }

    fn violation(&self, what: String) {
        tracing::error!("XSD VIOLATION: {what}");
        eprintln!("pagopa-simulator: XSD VIOLATION: {what}");
        self.violations.lock().expect("lock").push(what);
    }

    /// Sends one request. `timeout` shorter than the portal's answer simulates
    /// the Nodo giving up (the portal may still have done the work).
    pub async fn call(
        &self,
        action: &str,
        request: &str,
        timeout: Option<Duration>,
    ) -> Result<Exchange, String> {
        match body_element(request)
            .map(|m| m.to_xml())
            .and_then(|x| validate(&x))
        {
            Ok(()) => {}
            Err(e) => self.violation(format!("{action} request: {e}")),
        }
        let mut rb = self
            .http
            .post(&self.endpoint)
            .header("content-type", "text/xml; charset=utf-8")
            .header("SOAPAction", format!("\"{action}\""))
            .body(request.to_owned());
        if let Some(t) = timeout {
            rb = rb.timeout(t);
        }
        let resp = rb.send().await.map_err(|e| format!("{action}: {e}"))?;
        let status = resp.status().as_u16();
        let text = resp.text().await.map_err(|e| format!("{action}: {e}"))?;
        let message = match body_element(&text) {
            Ok(m) => m,
            Err(e) => {
                self.violation(format!(
                    "{action} answer is not a SOAP envelope ({e}): {text}"
                ));
                return Err(format!("{action}: malformed answer"));
            }
        };
        if let Err(e) = validate(&message.to_xml()) {
            self.violation(format!("{action} answer: {e}\n{text}"));
        }
        let fault = message.child("fault");
        Ok(Exchange {
            operation: action.to_owned(),
            http_status: status,
            outcome: message
                .child("outcome")
                .map(|o| o.text.clone())
                .unwrap_or_default(),
            fault_code: fault
                .and_then(|f| f.child("faultCode"))
                .map(|c| c.text.clone()),
            fault_description: fault
                .and_then(|f| f.child("description"))
                .map(|c| c.text.clone()),
            message: Some(message),
        })
    }
}
