//! SOAP helpers for tests: build paForNode requests, call the station endpoint
//! through the router, and validate every answer against pagoPA's XSD with
//! `xmllint` (libxml2-utils), as the pagoPA simulator does.

pub use pagopa_simulator::nodo::{
    body_element as try_body_element, envelope, validate, xsd_path, PAFN,
};
use shared::soap::xml::Element;

use crate::TestEnv;

/// The element inside the SOAP Body of an envelope.
pub fn body_element(envelope: &str) -> Element {
    try_body_element(envelope).unwrap_or_else(|e| panic!("{e}: {envelope}"))
}

pub fn caller(id_pa: &str) -> String {
    format!("<idPA>{id_pa}</idPA><idBrokerPA>77777777777</idBrokerPA><idStation>77777777777_01</idStation>")
}

pub fn verify(id_pa: &str, notice: &str) -> String {
    envelope(
        "paVerifyPaymentNoticeReq",
        &format!("{}<qrCode><fiscalCode>{id_pa}</fiscalCode><noticeNumber>{notice}</noticeNumber></qrCode>", caller(id_pa)),
    )
}

pub fn get_payment(v2: bool, id_pa: &str, notice: &str, extra: &str) -> String {
    envelope(
        if v2 { "paGetPaymentV2Request" } else { "paGetPaymentReq" },
        &format!(
            "{}<qrCode><fiscalCode>{id_pa}</fiscalCode><noticeNumber>{notice}</noticeNumber></qrCode>{extra}",
            caller(id_pa)
        ),
    )
}

/// A realistic receipt (ctReceiptV2, or ctReceipt when `v2` is false).
pub fn receipt(v2: bool, ec: &str, notice: &str, receipt_id: &str, cents: u64) -> String {
    let amount = format!("{}.{:02}", cents / 100, cents % 100);
    let iuv = &notice[1..];
    let company = if v2 {
        "<companyName>Comune di Prova</companyName>"
    } else {
        ""
    };
    let v2_tail = if v2 {
        "<paymentNote>cart-1</paymentNote><primaryCiIncurredFee>0.00</primaryCiIncurredFee><idBundle>b1</idBundle>"
    } else {
        ""
    };
    format!(
        "<receipt><receiptId>{receipt_id}</receiptId><noticeNumber>{notice}</noticeNumber><fiscalCode>{ec}</fiscalCode>\
<outcome>OK</outcome><creditorReferenceId>{iuv}</creditorReferenceId><paymentAmount>{amount}</paymentAmount>\
<description>TARI 2026</description><companyName>Comune di Prova</companyName><officeName>Tributi</officeName>\
<debtor><uniqueIdentifier><entityUniqueIdentifierType>F</entityUniqueIdentifierType>\
<entityUniqueIdentifierValue>RSSMRA85T10A562S</entityUniqueIdentifierValue></uniqueIdentifier><fullName>Mario Rossi</fullName></debtor>\
<transferList><transfer><idTransfer>1</idTransfer><transferAmount>{amount}</transferAmount><fiscalCodePA>{ec}</fiscalCodePA>{company}\
<IBAN>IT60X0542811101000000123456</IBAN><remittanceInformation>TARI 2026</remittanceInformation><transferCategory>9/0101100IM/</transferCategory></transfer></transferList>\
<idPSP>BCITITMM</idPSP><pspFiscalCode>00799960158</pspFiscalCode><PSPCompanyName>Intesa Sanpaolo</PSPCompanyName>\
<idChannel>00799960158_01</idChannel><channelDescription>app</channelDescription>\
<payer><uniqueIdentifier><entityUniqueIdentifierType>F</entityUniqueIdentifierType>\
<entityUniqueIdentifierValue>CNTCHR83T41D969D</entityUniqueIdentifierValue></uniqueIdentifier><fullName>Chiara Conti</fullName>\
<e-mail>chiara.conti@example.org</e-mail></payer><paymentMethod>creditCard</paymentMethod>{v2_tail}\
<fee>1.50</fee><paymentDateTime>2026-12-01T10:15:00</paymentDateTime><applicationDate>2026-12-01</applicationDate>\
<transferDate>2026-12-02</transferDate></receipt>"
    )
}

pub fn send_rt(v2: bool, id_pa: &str, receipt_xml: &str) -> String {
    envelope(
        if v2 {
            "paSendRTV2Request"
        } else {
            "paSendRTReq"
        },
        &format!("{}{receipt_xml}", caller(id_pa)),
    )
}

/// What the station answered.
#[derive(Debug)]
pub struct SoapReply {
    pub status: u16,
    pub raw: String,
    pub message: Element,
}

impl SoapReply {
    pub fn outcome(&self) -> &str {
        self.message
            .child("outcome")
            .map(|o| o.text.as_str())
            .unwrap_or("")
    }
    pub fn fault_code(&self) -> Option<&str> {
        self.message
            .child("fault")
            .and_then(|f| f.child("faultCode"))
            .map(|c| c.text.as_str())
    }
    pub fn text(&self, path: &[&str]) -> Option<String> {
        let mut el = &self.message;
        for p in path {
            el = el.child(p)?;
        }
        Some(el.text.clone())
    }
}

impl TestEnv {
    /// POSTs a SOAP request and, for every paForNode answer, checks it against the XSD.
    pub async fn soap(&self, body: &str, action: Option<&str>) -> SoapReply {
        let mut headers = vec![("content-type", "text/xml; charset=utf-8")];
        if let Some(a) = action {
            headers.push(("soapaction", a));
        }
        let r = self
            .call("POST", "/pagopa/paForNode", &headers, body.as_bytes())
            .await;
        let raw = String::from_utf8(r.body).expect("UTF-8 answer");
        assert!(r.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/xml"));
        let message = body_element(&raw);
        if r.status == 200 {
            let xml = message.to_xml();
            if let Err(e) = validate(&xml) {
                panic!("answer does not validate against paForNode.xsd:\n{e}\n{xml}");
            }
        }
        SoapReply {
            status: r.status,
            raw,
            message,
        }
    }
}
