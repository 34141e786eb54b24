//! The paForNode station endpoint against moto. Every answer with HTTP 200 is
//! validated against pagoPA's XSD by `TestEnv::soap`.

use chrono::{TimeZone, Utc};
use integration::soap::{self, envelope, get_payment, receipt, send_rt, verify};
use integration::{position, TestEnv};
use serde_json::json;
use shared::domain::receipt::{Anomaly, Work};
use shared::domain::EcFiscalCode;

const EC: &str = "77777777777";
const OTHER_EC: &str = "80001234568";
const MARIO: &str = "RSSMRA85T10A562S";
const BASE: &str = "/api/v1/organizations/77777777777/debt-positions";

/// 1 December 2026, 10:00 in Italy.
async fn env() -> TestEnv {
    TestEnv::at(Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap()).await
}

async fn create(env: &TestEnv, ec: &str, iupd: &str, body: serde_json::Value) -> String {
    let r = env.create(ec, &body).await;
    assert_eq!(r.status, 201, "{iupd}: {}", r.json());
    r.json()["paymentOptions"][0]["noticeNumber"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn payable(env: &TestEnv, iupd: &str) -> String {
    create(
        env,
        EC,
        iupd,
        position(EC, iupd, MARIO, 15050, "2026-12-31"),
    )
    .await
}

#[tokio::test]
async fn verify_answers_the_current_amount_and_names() {
    let env = env().await;
    let notice = payable(&env, "V-1").await;
    let r = env
        .soap(&verify(EC, &notice), Some("\"paVerifyPaymentNotice\""))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.outcome(), "OK", "{}", r.raw);
    assert_eq!(r.message.name, "paVerifyPaymentNoticeRes");
    assert_eq!(r.message.ns.as_deref(), Some(soap::PAFN));
    assert_eq!(
        r.text(&["paymentList", "paymentOptionDescription", "amount"])
            .unwrap(),
        "150.50"
    );
    assert_eq!(
        r.text(&["paymentList", "paymentOptionDescription", "options"])
            .unwrap(),
        "EQ"
    );
    assert_eq!(
        r.text(&["paymentList", "paymentOptionDescription", "dueDate"])
            .unwrap(),
        "2026-12-31"
    );
    assert_eq!(
        r.text(&["paymentList", "paymentOptionDescription", "allCCP"])
            .unwrap(),
        "false"
    );
    assert_eq!(r.text(&["fiscalCodePA"]).unwrap(), EC);
    assert_eq!(r.text(&["companyName"]).unwrap(), "Comune di Prova");
    assert_eq!(r.text(&["paymentDescription"]).unwrap(), "TARI 2026");
    // The SOAPAction header may be missing or unquoted.
    assert_eq!(env.soap(&verify(EC, &notice), None).await.outcome(), "OK");
    assert_eq!(
        env.soap(&verify(EC, &notice), Some("paVerifyPaymentNotice"))
            .await
            .outcome(),
        "OK"
    );
}

#[tokio::test]
async fn verify_faults_for_every_state() {
    let env = env().await;
    let notice = payable(&env, "F-1").await;
    let never = shared::domain::NoticeNumber::generate(
        shared::domain::SegregationCode::new(1).unwrap(),
        424_242,
    )
    .unwrap();
    let r = env.soap(&verify(EC, never.as_str()), None).await;
    assert_eq!(r.fault_code(), Some("PAA_PAGAMENTO_SCONOSCIUTO"));
    assert_eq!(r.text(&["fault", "id"]).unwrap(), EC);
    assert_eq!(
        r.text(&["fault", "faultString"]).unwrap(),
        "Pagamento in attesa risulta sconosciuto all'Ente Creditore"
    );
    // Wrong check digits: a notice we never issued.
    let wrong = format!(
        "{}{}",
        &notice[..16],
        if &notice[16..] == "00" { "01" } else { "00" }
    );
    assert_eq!(
        env.soap(&verify(EC, &wrong), None).await.fault_code(),
        Some("PAA_PAGAMENTO_SCONOSCIUTO")
    );

    let mut exp = position(EC, "F-EXP", MARIO, 100, "2026-11-30");
    exp["switchToExpired"] = json!(true);
    let expired = create(&env, EC, "F-EXP", exp).await;
    assert_eq!(
        env.soap(&verify(EC, &expired), None).await.fault_code(),
        Some("PAA_PAGAMENTO_SCADUTO")
    );

    let cancelled = create(
        &env,
        EC,
        "F-CAN",
        position(EC, "F-CAN", MARIO, 100, "2026-12-31"),
    )
    .await;
    env.operator("DELETE", &format!("{BASE}/F-CAN"), &json!(null))
        .await;
    assert_eq!(
        env.soap(&verify(EC, &cancelled), None).await.fault_code(),
        Some("PAA_PAGAMENTO_ANNULLATO")
    );

    // Paid: through a receipt.
    let r = env
        .soap(
            &send_rt(true, EC, &receipt(true, EC, &notice, "rcpt-F-1", 15050)),
            None,
        )
        .await;
    assert_eq!(r.outcome(), "OK", "{}", r.raw);
    let r = env.soap(&verify(EC, &notice), None).await;
    assert_eq!(r.fault_code(), Some("PAA_PAGAMENTO_DUPLICATO"));
    assert!(r
        .text(&["fault", "description"])
        .unwrap()
        .contains("rcpt-F-1"));
    let r = env.soap(&get_payment(true, EC, &notice, ""), None).await;
    assert_eq!(r.fault_code(), Some("PAA_PAGAMENTO_DUPLICATO"));
}

#[tokio::test]
async fn caller_identity_is_checked_in_order() {
    let env = env().await;
    let notice = payable(&env, "C-1").await;
    let req = |pa: &str, broker: &str, station: &str| {
        envelope(
            "paVerifyPaymentNoticeReq",
            &format!("<idPA>{pa}</idPA><idBrokerPA>{broker}</idBrokerPA><idStation>{station}</idStation><qrCode><fiscalCode>{pa}</fiscalCode><noticeNumber>{notice}</noticeNumber></qrCode>"),
        )
    };
    let cases = [
        (
            req(EC, "11111111111", "77777777777_01"),
            "PAA_ID_INTERMEDIARIO_ERRATO",
        ),
        (
            req(EC, "77777777777", "77777777777_99"),
            "PAA_STAZIONE_INT_ERRATA",
        ),
        (
            req("01199250158", "77777777777", "77777777777_01"),
            "PAA_ID_DOMINIO_ERRATO",
        ),
        // Unknown broker wins over unknown station and unknown EC.
        (
            req("01199250158", "11111111111", "x"),
            "PAA_ID_INTERMEDIARIO_ERRATO",
        ),
    ];
    for (body, code) in cases {
        let r = env.soap(&body, None).await;
        assert_eq!(r.fault_code(), Some(code), "{}", r.raw);
    }
    // qrCode of another EC than idPA.
    let body = envelope(
        "paVerifyPaymentNoticeReq",
        &format!("{}<qrCode><fiscalCode>{OTHER_EC}</fiscalCode><noticeNumber>{notice}</noticeNumber></qrCode>", soap::caller(EC)),
    );
    assert_eq!(
        env.soap(&body, None).await.fault_code(),
        Some("PAA_ID_DOMINIO_ERRATO")
    );
}

#[tokio::test]
async fn station_and_broker_must_belong_together() {
    // A configuration with two brokers: the station of one and the broker of the other.
    let env = env().await;
    let mut entities: Vec<shared::domain::Entity> = env.app.entities.iter().cloned().collect();
    entities[1].broker_id = EcFiscalCode::parse("15376371009").unwrap();
    entities[1].station_ids = vec!["15376371009_01".into()];
    let mut app = (*env.app).clone();
    app.entities = std::sync::Arc::new(shared::domain::Entities::new(entities).unwrap());
    let req = |pa: &str, broker: &str, station: &str| {
        envelope(
            "paVerifyPaymentNoticeReq",
            &format!("<idPA>{pa}</idPA><idBrokerPA>{broker}</idBrokerPA><idStation>{station}</idStation><qrCode><fiscalCode>{pa}</fiscalCode><noticeNumber>301000000000000144</noticeNumber></qrCode>"),
        )
    };
    let code = |body: String| {
        let app = app.clone();
        async move {
            let a = shared::soap::station::handle(&app, body.as_bytes(), None).await;
            soap::validate(&soap::body_element(&a.body).to_xml()).unwrap();
            soap::body_element(&a.body)
                .child("fault")
                .and_then(|f| f.child("faultCode"))
                .map(|c| c.text.clone())
        }
    };
    // Station 15376371009_01 is not the broker 77777777777's.
    assert_eq!(
        code(req(EC, "77777777777", "15376371009_01"))
            .await
            .as_deref(),
        Some("PAA_ID_INTERMEDIARIO_ERRATO")
    );
    // The EC is not on that station.
    assert_eq!(
        code(req(EC, "15376371009", "15376371009_01"))
            .await
            .as_deref(),
        Some("PAA_STAZIONE_INT_ERRATA")
    );
}

#[tokio::test]
async fn malformed_requests_get_syntax_faults() {
    let env = env().await;
    let notice = payable(&env, "S-1").await;
    // Missing idStation.
    let body = envelope("paVerifyPaymentNoticeReq", &format!("<idPA>{EC}</idPA><idBrokerPA>{EC}</idBrokerPA><qrCode><fiscalCode>{EC}</fiscalCode><noticeNumber>{notice}</noticeNumber></qrCode>"));
    let r = env.soap(&body, None).await;
    assert_eq!(r.fault_code(), Some("PAA_SINTASSI_XSD"));
    assert!(r
        .text(&["fault", "description"])
        .unwrap()
        .contains("idStation"));
    // A 17-digit notice, an unexpected element, a qualified child.
    for inner in [
        format!("{}<qrCode><fiscalCode>{EC}</fiscalCode><noticeNumber>{}</noticeNumber></qrCode>", soap::caller(EC), &notice[1..]),
        format!("{}<qrCode><fiscalCode>{EC}</fiscalCode><noticeNumber>{notice}</noticeNumber></qrCode><extra>1</extra>", soap::caller(EC)),
        format!("<pafn:idPA>{EC}</pafn:idPA><idBrokerPA>{EC}</idBrokerPA><idStation>77777777777_01</idStation><qrCode><fiscalCode>{EC}</fiscalCode><noticeNumber>{notice}</noticeNumber></qrCode>"),
    ] {
        let r = env.soap(&envelope("paVerifyPaymentNoticeReq", &inner), None).await;
        assert_eq!(r.fault_code(), Some("PAA_SINTASSI_XSD"), "{inner}");
    }
    // Not XML, with the operation named by SOAPAction.
    let r = env.soap("<soapenv:Envelope", Some("paGetPaymentV2")).await;
    assert_eq!(r.message.name, "paGetPaymentV2Response");
    assert_eq!(r.fault_code(), Some("PAA_SINTASSI_EXTRAXSD"));
    // XXE and billion laughs are refused before anything is expanded.
    let xxe = format!(
        r#"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>{}"#,
        verify(EC, &notice).replacen("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", "", 1)
    );
    let r = env.soap(&xxe, Some("paVerifyPaymentNotice")).await;
    assert_eq!(r.fault_code(), Some("PAA_SINTASSI_EXTRAXSD"));
    assert!(!r.raw.contains("root:"));
    // No operation can be told: a SOAP Fault with HTTP 500.
    let r = env.soap("<a/>", None).await;
    assert_eq!(r.status, 500);
    assert_eq!(r.message.name, "Fault");
    let r = env
        .soap(&envelope("paSomethingElseReq", "<x/>"), None)
        .await;
    assert_eq!(r.status, 500);
    // Too large a body (a receipt with digital stamps may be close to 1 MB).
    let big = "x".repeat(3 * 1024 * 1024);
    let r = env
        .call(
            "POST",
            "/pagopa/paForNode",
            &[("content-type", "text/xml")],
            big.as_bytes(),
        )
        .await;
    assert_eq!(r.status, 413);
}

#[tokio::test]
async fn get_payment_returns_debtor_transfers_and_keeps_the_cart_id() {
    let env = env().await;
    let mut body = position(EC, "G-1", MARIO, 15050, "2026-12-31");
    body["debtor"]["address"] = json!({"streetName": "Via Roma", "civicNumber": "1", "postalCode": "00100", "city": "Roma", "country": "IT"});
    body["paymentOptions"][0]["transfers"] = json!([
        {"ecFiscalCode": EC, "iban": "IT60X0542811101000000123456", "postalIban": "IT57N0760114800000011050036",
         "amountCents": 10050, "remittanceInformation": "TARI quota comune", "category": "9/0101100IM/"},
        {"ecFiscalCode": OTHER_EC, "iban": "IT36A0301503200000003517230", "amountCents": 5000,
         "remittanceInformation": "TARI quota altro ente", "category": "9/0101100IM/"}]);
    let notice = create(&env, EC, "G-1", body).await;

    for v2 in [false, true] {
        let r = env.soap(&get_payment(v2, EC, &notice, "<amount>150.50</amount><paymentNote>cart-42</paymentNote><transferType>PAGOPA</transferType>"), None).await;
        assert_eq!(r.outcome(), "OK", "{}", r.raw);
        let data = r.message.child("data").unwrap();
        assert_eq!(
            data.child("creditorReferenceId").unwrap().text,
            &notice[1..]
        );
        assert_eq!(data.child("paymentAmount").unwrap().text, "150.50");
        assert_eq!(data.child("companyName").unwrap().text, "Comune di Prova");
        let debtor = data.child("debtor").unwrap();
        assert_eq!(
            debtor
                .child("uniqueIdentifier")
                .unwrap()
                .child("entityUniqueIdentifierValue")
                .unwrap()
                .text,
            MARIO
        );
        assert_eq!(debtor.child("city").unwrap().text, "Roma");
        let transfers: Vec<_> = data
            .child("transferList")
            .unwrap()
            .children_named("transfer")
            .collect();
        assert_eq!(transfers.len(), 2);
        assert_eq!(
            transfers[0].child("IBAN").unwrap().text,
            "IT60X0542811101000000123456"
        );
        assert_eq!(transfers[1].child("fiscalCodePA").unwrap().text, OTHER_EC);
        assert_eq!(transfers[1].child("transferAmount").unwrap().text, "50.00");
        if v2 {
            assert_eq!(
                transfers[1].child("companyName").unwrap().text,
                "Comune di Borgo Esempio"
            );
            assert!(transfers[0].to_xml().contains("IBANAPPOGGIO"));
        } else {
            assert!(transfers[0].child("companyName").is_none());
        }
    }
    // transferType=POSTAL: the postal IBAN where there is one.
    let r = env
        .soap(
            &get_payment(true, EC, &notice, "<transferType>POSTAL</transferType>"),
            None,
        )
        .await;
    let data = r.message.child("data").unwrap();
    let transfers: Vec<_> = data
        .child("transferList")
        .unwrap()
        .children_named("transfer")
        .collect();
    assert_eq!(
        transfers[0].child("IBAN").unwrap().text,
        "IT57N0760114800000011050036"
    );
    assert_eq!(
        transfers[1].child("IBAN").unwrap().text,
        "IT36A0301503200000003517230"
    );

    // Neither verify nor getPayment changed the position.
    let got = env
        .operator("GET", &format!("{BASE}/G-1"), &json!(null))
        .await
        .json();
    assert_eq!(got["status"], "payable");
    assert!(got["paymentOptions"][0].get("payment").is_none());
}

#[tokio::test]
async fn send_rt_stores_the_receipt_then_marks_the_option_paid() {
    let env = env().await;
    for (v2, iupd) in [(true, "R-V2"), (false, "R-V1")] {
        let notice = payable(&env, iupd).await;
        let id = format!("rcpt-{iupd}");
        let r = env
            .soap(
                &send_rt(v2, EC, &receipt(v2, EC, &notice, &id, 15050)),
                None,
            )
            .await;
        assert_eq!(
            r.message.name,
            if v2 {
                "paSendRTV2Response"
            } else {
                "paSendRTRes"
            }
        );
        assert_eq!(r.outcome(), "OK", "{}", r.raw);

        let ec = EcFiscalCode::parse(EC).unwrap();
        let stored = env
            .app
            .receipts
            .get_receipt(&ec, &id)
            .await
            .unwrap()
            .expect("receipt stored");
        assert_eq!(stored.anomaly, None);
        assert_eq!(stored.owed, vec![Work::Pdf, Work::Mail]);
        assert_eq!(
            stored.xml,
            receipt(v2, EC, &notice, &id, 15050),
            "the receipt element is kept exactly as sent"
        );
        assert_eq!(stored.receipt.psp_company_name, "Intesa Sanpaolo");
        assert_eq!(stored.receipt.fee_cents, Some(150));
        assert_eq!(
            stored.receipt.payer.as_ref().unwrap().id,
            "CNTCHR83T41D969D"
        );

        let got = env
            .operator("GET", &format!("{BASE}/{iupd}"), &json!(null))
            .await
            .json();
        assert_eq!(got["status"], "paid");
        assert_eq!(
            got["paymentOptions"][0]["payment"]["receiptId"],
            id.as_str()
        );
        // 10:15 Italian time is 09:15 UTC in December.
        assert_eq!(
            got["paymentOptions"][0]["payment"]["paidAt"],
            "2026-12-01T09:15:00Z"
        );
        let v = env
            .get(&format!("/api/v1/notices/{notice}?fiscalCode={MARIO}"))
            .await
            .json();
        assert_eq!(v["status"], "paid");

        // The same receipt again: nothing new, PAA_RECEIPT_DUPLICATA.
        let r = env
            .soap(
                &send_rt(v2, EC, &receipt(v2, EC, &notice, &id, 15050)),
                None,
            )
            .await;
        assert_eq!(r.fault_code(), Some("PAA_RECEIPT_DUPLICATA"));
    }
}

/// Delivers a V2 receipt to `id_pa` and expects it to be stored (OK).
async fn deliver_ok(
    env: &TestEnv,
    id_pa: &str,
    ec: &str,
    notice: &str,
    receipt_id: &str,
    cents: u64,
) {
    let r = env
        .soap(
            &send_rt(true, id_pa, &receipt(true, ec, notice, receipt_id, cents)),
            None,
        )
        .await;
    assert_eq!(r.outcome(), "OK", "{}", r.raw);
}

#[tokio::test]
async fn receipts_that_cannot_pay_a_position_are_kept_and_flagged() {
    let env = env().await;
    let ec = EcFiscalCode::parse(EC).unwrap();
    let notice = payable(&env, "A-1").await;
    deliver_ok(&env, EC, EC, &notice, "first", 15050).await;
    // A second payment of the same notice (a double payment): stored, flagged, position untouched.
    deliver_ok(&env, EC, EC, &notice, "second", 15050).await;
    assert_eq!(
        env.app
            .receipts
            .get_receipt(&ec, "second")
            .await
            .unwrap()
            .unwrap()
            .anomaly,
        Some(Anomaly::DoublePayment)
    );
    let got = env
        .operator("GET", &format!("{BASE}/A-1"), &json!(null))
        .await
        .json();
    assert_eq!(got["paymentOptions"][0]["payment"]["receiptId"], "first");

    // A notice no position holds.
    let never = shared::domain::NoticeNumber::generate(
        shared::domain::SegregationCode::new(1).unwrap(),
        777_777,
    )
    .unwrap();
    assert_eq!(
        env.soap(
            &send_rt(true, EC, &receipt(true, EC, never.as_str(), "orphan", 100)),
            None
        )
        .await
        .outcome(),
        "OK"
    );
    assert_eq!(
        env.app
            .receipts
            .get_receipt(&ec, "orphan")
            .await
            .unwrap()
            .unwrap()
            .anomaly,
        Some(Anomaly::UnknownNotice)
    );

    // Broadcast to a secondary beneficiary: the notice belongs to another EC.
    let r = env
        .soap(
            &send_rt(
                true,
                OTHER_EC,
                &receipt(true, EC, &notice, "broadcast", 15050),
            ),
            None,
        )
        .await;
    assert_eq!(r.outcome(), "OK", "{}", r.raw);
    let other = EcFiscalCode::parse(OTHER_EC).unwrap();
    assert_eq!(
        env.app
            .receipts
            .get_receipt(&other, "broadcast")
            .await
            .unwrap()
            .unwrap()
            .anomaly,
        Some(Anomaly::NotOwned)
    );

    // Paid after the due date of an option that no longer accepted payments.
    let mut exp = position(EC, "A-EXP", MARIO, 100, "2026-11-30");
    exp["switchToExpired"] = json!(true);
    let expired = create(&env, EC, "A-EXP", exp).await;
    deliver_ok(&env, EC, EC, &expired, "late", 100).await;
    assert_eq!(
        env.app
            .receipts
            .get_receipt(&ec, "late")
            .await
            .unwrap()
            .unwrap()
            .anomaly,
        Some(Anomaly::PaidExpired)
    );
    assert_eq!(
        env.operator("GET", &format!("{BASE}/A-EXP"), &json!(null))
            .await
            .json()["status"],
        "paid"
    );

    // A different amount.
    let n = payable(&env, "A-AMT").await;
    deliver_ok(&env, EC, EC, &n, "less", 15000).await;
    assert_eq!(
        env.app
            .receipts
            .get_receipt(&ec, "less")
            .await
            .unwrap()
            .unwrap()
            .anomaly,
        Some(Anomaly::AmountMismatch)
    );
    // All of them can be found by notice.
    assert_eq!(
        env.app
            .receipts
            .receipts_for_notice(&notice)
            .await
            .unwrap()
            .len(),
        3
    );
}

#[tokio::test]
async fn the_same_receipt_twenty_times_is_stored_once() {
    let env = env().await;
    let notice = payable(&env, "IDEM").await;
    let body = send_rt(true, EC, &receipt(true, EC, &notice, "idem-1", 15050));
    let concurrent = (0..10).map(|_| env.soap(&body, Some("paSendRTV2")));
    let mut replies = futures::future::join_all(concurrent).await;
    for _ in 0..10 {
        replies.push(env.soap(&body, Some("paSendRTV2")).await);
    }
    let ok = replies.iter().filter(|r| r.outcome() == "OK").count();
    let dup = replies
        .iter()
        .filter(|r| r.fault_code() == Some("PAA_RECEIPT_DUPLICATA"))
        .count();
    assert_eq!(
        (ok, dup),
        (1, 19),
        "{:?}",
        replies.iter().map(|r| r.fault_code()).collect::<Vec<_>>()
    );
    let receipts = env.app.receipts.receipts_for_notice(&notice).await.unwrap();
    assert_eq!(receipts.len(), 1);
    let got = env
        .operator("GET", &format!("{BASE}/IDEM"), &json!(null))
        .await
        .json();
    assert_eq!(got["paymentOptions"][0]["payment"]["receiptId"], "idem-1");
    assert_eq!(got["status"], "paid");
}

#[tokio::test]
async fn different_receipts_racing_for_one_notice_pay_it_once() {
    let env = env().await;
    let notice = payable(&env, "RACE").await;
    let bodies: Vec<String> = (0..8)
        .map(|i| {
            send_rt(
                true,
                EC,
                &receipt(true, EC, &notice, &format!("race-{i}"), 15050),
            )
        })
        .collect();
    let replies = futures::future::join_all(bodies.iter().map(|b| env.soap(b, None))).await;
    assert!(replies.iter().all(|r| r.outcome() == "OK"));
    let ec = EcFiscalCode::parse(EC).unwrap();
    let mut normal = 0;
    for i in 0..8 {
        let r = env
            .app
            .receipts
            .get_receipt(&ec, &format!("race-{i}"))
            .await
            .unwrap()
            .unwrap();
        match r.anomaly {
            None => normal += 1,
            Some(Anomaly::DoublePayment) => {}
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(
        normal, 1,
        "exactly one receipt pays the option; the others are double payments"
    );
}

#[tokio::test]
async fn storage_failure_is_a_system_error_so_the_nodo_retries() {
    let env = env().await;
    let notice = payable(&env, "SYS").await;
    let mut app = (*env.app).clone();
    let clients = devstack::emulator_clients(&integration::endpoint()).await;
    let broken = std::sync::Arc::new(shared::aws::DynamoTable::new(
        clients.dynamodb.clone(),
        "no-such-table",
    ));
    app.positions = broken.clone();
    app.receipts = broken;
    for body in [
        verify(EC, &notice),
        send_rt(true, EC, &receipt(true, EC, &notice, "sys-1", 15050)),
    ] {
        let a = shared::soap::station::handle(&app, body.as_bytes(), None).await;
        assert_eq!(a.status, 200);
        let m = soap::body_element(&a.body);
        soap::validate(&m.to_xml()).unwrap();
        assert_eq!(
            m.child("fault").unwrap().child("faultCode").unwrap().text,
            "PAA_SYSTEM_ERROR"
        );
    }
    // Nothing was stored; the retry on a working store succeeds.
    let r = env
        .soap(
            &send_rt(true, EC, &receipt(true, EC, &notice, "sys-1", 15050)),
            None,
        )
        .await;
    assert_eq!(r.outcome(), "OK");
}

#[tokio::test]
async fn demand_payment_notice_creates_a_spontaneous_position() {
    use base64::Engine;
    let env = env().await;
    let dati = |xml: &str| base64::engine::general_purpose::STANDARD.encode(xml);
    let req = |service: &str, xml: &str| {
        envelope(
            "paDemandPaymentNoticeRequest",
            &format!("{}<idServizio>{service}</idServizio><idSoggettoServizio>00042</idSoggettoServizio><datiSpecificiServizioRequest>{}</datiSpecificiServizioRequest>", soap::caller(EC), dati(xml)),
        )
    };
    // The service's form applies: its required fields must be there.
    let r = env.soap(&req("00001", "<service><codiceFiscale>RSSMRA85T10A562S</codiceFiscale><denominazione>Mario Rossi</denominazione></service>"), None).await;
    assert_eq!(r.fault_code(), Some("PAA_SEMANTICA"), "{}", r.raw);
    let r = env.soap(&req("00001", "<service><codiceFiscale>RSSMRA85T10A562S</codiceFiscale><denominazione>Mario Rossi</denominazione><tipoCertificato>nascita</tipoCertificato><richiedente>Mario Rossi</richiedente></service>"), None).await;
    assert_eq!(r.outcome(), "OK", "{}", r.raw);
    let notice = r.text(&["qrCode", "noticeNumber"]).unwrap();
    assert_eq!(r.text(&["qrCode", "fiscalCode"]).unwrap(), EC);
    // The PSP's retry of the same request: the same notice, no second position.
    let again = env.soap(&req("00001", "<service><codiceFiscale>RSSMRA85T10A562S</codiceFiscale><denominazione>Mario Rossi</denominazione><tipoCertificato>nascita</tipoCertificato><richiedente>Mario Rossi</richiedente></service>"), None).await;
    assert_eq!(again.text(&["qrCode", "noticeNumber"]).unwrap(), notice);
    assert_eq!(
        r.text(&["paymentList", "paymentOptionDescription", "amount"])
            .unwrap(),
        "16.00"
    );
    // The new notice is payable at once.
    assert_eq!(env.soap(&verify(EC, &notice), None).await.outcome(), "OK");
    let v = env
        .get(&format!("/api/v1/notices/{notice}?fiscalCode={MARIO}"))
        .await
        .json();
    assert_eq!(v["serviceCode"], "CERT");
    assert_eq!(v["description"], "Certificato di nascita - Mario Rossi");

    // A free-amount service takes the amount from the request, within its bounds.
    let r = env.soap(&req("00002", "<s><fiscalCode>RSSMRA85T10A562S</fiscalCode><fullName>Mario Rossi</fullName><alunno>Luca Rossi</alunno><codiceFiscaleAlunno>CNTCHR83T41D969D</codiceFiscaleAlunno><scuola>primaria-collodi</scuola><importo>25.00</importo></s>"), None).await;
    assert_eq!(
        r.text(&["paymentList", "paymentOptionDescription", "amount"])
            .unwrap(),
        "25.00"
    );
    let r = env.soap(&req("00002", "<s><fiscalCode>RSSMRA85T10A562S</fiscalCode><fullName>Mario Rossi</fullName><alunno>Luca Rossi</alunno><codiceFiscaleAlunno>CNTCHR83T41D969D</codiceFiscaleAlunno><scuola>primaria-collodi</scuola><importo>1.00</importo></s>"), None).await;
    assert_eq!(r.fault_code(), Some("PAA_SEMANTICA"));

    assert_eq!(
        env.soap(&req("99999", "<s/>"), None).await.fault_code(),
        Some("PAA_SEMANTICA")
    );
    assert_eq!(
        env.soap(
            &req("00001", "<s><denominazione>X</denominazione></s>"),
            None
        )
        .await
        .fault_code(),
        Some("PAA_SINTASSI_XSD")
    );
    assert_eq!(
        env.soap(&req("00001", "not xml"), None).await.fault_code(),
        Some("PAA_SINTASSI_XSD")
    );
}

#[test]
fn the_xsd_check_itself_rejects_what_the_schema_forbids() {
    let ok = format!(
        "<paf:paSendRTV2Response xmlns:paf=\"{}\"><outcome>OK</outcome></paf:paSendRTV2Response>",
        soap::PAFN
    );
    assert!(soap::validate(&ok).is_ok());
    for bad in [
        ok.replace("OK", "MAYBE"),
        ok.replace("<outcome>", "<paf:outcome>").replace("</outcome>", "</paf:outcome>"),
        format!("<paf:paVerifyPaymentNoticeRes xmlns:paf=\"{}\"><outcome>OK</outcome><paymentList><paymentOptionDescription><amount>150.5</amount><options>EQ</options><allCCP>false</allCCP></paymentOptionDescription></paymentList></paf:paVerifyPaymentNoticeRes>", soap::PAFN),
    ] {
        assert!(soap::validate(&bad).is_err(), "{bad}");
    }
}

#[tokio::test]
async fn a_receipt_with_an_absurd_payment_time_is_stored_not_a_crash() {
    let env = env().await;
    let mut stored = vec![];
    for (i, when) in [
        "-262143-01-01T00:00:00",
        "+262142-12-31T23:59:59",
        "9999-12-31T23:59:59+14:00",
    ]
    .iter()
    .enumerate()
    {
        let iupd = format!("ABSURD-{i}");
        let notice = payable(&env, &iupd).await;
        let id = format!("absurd-{i}");
        let xml = receipt(true, EC, &notice, &id, 15050).replace(
            "<paymentDateTime>2026-12-01T10:15:00</paymentDateTime>",
            &format!("<paymentDateTime>{when}</paymentDateTime>"),
        );
        let r = env.soap(&send_rt(true, EC, &xml), None).await;
        if r.outcome() == "KO" {
            // Refused by the schema check: never a crash, and a syntax fault.
            assert_eq!(r.fault_code(), Some("PAA_SINTASSI_XSD"), "{}", r.raw);
            continue;
        }
        assert_eq!(r.outcome(), "OK", "{}", r.raw);
        let got = env
            .operator("GET", &format!("{BASE}/{iupd}"), &json!(null))
            .await
            .json();
        assert_eq!(got["status"], "paid", "{when}");
        let paid_at = got["paymentOptions"][0]["payment"]["paidAt"]
            .as_str()
            .unwrap();
        assert!(
            paid_at.starts_with("20"),
            "the time of receipt instead: {paid_at}"
        );
        let pdf = env
            .get(&format!(
                "/api/v1/receipts/{notice}?fiscalCode={MARIO}&format=pdf"
            ))
            .await;
        assert_eq!(pdf.status, 200, "{when}");
        stored.push(*when);
    }
    assert!(
        stored.contains(&"-262143-01-01T00:00:00"),
        "the schema takes it, so the portal must: {stored:?}"
    );
}

#[tokio::test]
async fn a_receipt_departing_from_the_schema_in_details_is_taken_not_refused() {
    let env = env().await;
    let notice = payable(&env, "DEV-1").await;
    let ec = EcFiscalCode::parse(EC).unwrap();
    // pagoPA added an element; the channel description is missing.
    let xml = receipt(true, EC, &notice, "dev-1", 15050)
        .replace("<channelDescription>app</channelDescription>", "")
        .replace(
            "<fee>",
            "<newElementOfTomorrow>x</newElementOfTomorrow><fee>",
        );
    let r = env.soap(&send_rt(true, EC, &xml), None).await;
    assert_eq!(r.outcome(), "OK", "{}", r.raw);
    let stored = env
        .app
        .receipts
        .get_receipt(&ec, "dev-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.anomaly, Some(Anomaly::SchemaDeviation));
    assert_eq!(stored.deviations.len(), 2, "{:?}", stored.deviations);
    assert_eq!(stored.xml, xml, "kept exactly as sent");
    let got = env
        .operator("GET", &format!("{BASE}/DEV-1"), &json!(null))
        .await
        .json();
    assert_eq!(got["status"], "paid");
    // What identifies the payment stays strict.
    let notice2 = payable(&env, "DEV-2").await;
    for broken in [
        receipt(true, EC, &notice2, "dev-2", 15050).replace("<receiptId>dev-2</receiptId>", ""),
        receipt(true, EC, &notice2, "dev-2", 15050).replace(
            "<paymentAmount>150.50</paymentAmount>",
            "<paymentAmount>abc</paymentAmount>",
        ),
        receipt(true, EC, &notice2, "dev-2", 15050)
            .replace("<outcome>OK</outcome>", "<outcome>MAYBE</outcome>"),
    ] {
        let r = env.soap(&send_rt(true, EC, &broken), None).await;
        assert_eq!(r.fault_code(), Some("PAA_SINTASSI_XSD"), "{}", r.raw);
    }
}

#[tokio::test]
async fn a_receipt_close_to_one_megabyte_is_kept_and_returned_exactly() {
    let env = env().await;
    let notice = payable(&env, "BIG-1").await;
    let stamp = "QUJD".repeat(230_000);
    let xml = receipt(true, EC, &notice, "big-1", 15050).replace(
        "<IBAN>IT60X0542811101000000123456</IBAN>",
        &format!("<MBDAttachment>{stamp}</MBDAttachment>"),
    );
    assert!(xml.len() > 900_000);
    let r = env.soap(&send_rt(true, EC, &xml), None).await;
    assert_eq!(r.outcome(), "OK", "{}", &r.raw[..r.raw.len().min(2000)]);
    let download = env
        .get(&format!(
            "/api/v1/receipts/{notice}?fiscalCode={MARIO}&format=xml"
        ))
        .await;
    assert_eq!(download.status, 200);
    assert_eq!(download.body, xml.as_bytes(), "returned exactly");
}

#[tokio::test]
async fn only_the_nodo_s_certificate_is_let_in() {
    use lambda_http::http;
    let env = env().await;
    let notice = payable(&env, "MTLS-1").await;
    let mut app = (*env.app).clone();
    app.settings.nodo_client_subjects = vec!["CN=nodo.pagopa.example".into()];
    let routes = devstack::router::routes_from_file(&devstack::template_path()).unwrap();
    let stack = devstack::server::Stack::new(std::sync::Arc::new(app), routes).unwrap();
    let call = |subject: Option<&'static str>| {
        let stack = &stack;
        let body = verify(EC, &notice);
        async move {
            let mut b = http::Request::post("/pagopa/paForNode").header("content-type", "text/xml");
            if let Some(s) = subject {
                b = b.header(devstack::server::CLIENT_CERT_HEADER, s);
            }
            let (parts, ()) = b.body(()).unwrap().into_parts();
            stack
                .dispatch(parts, bytes::Bytes::from(body))
                .await
                .status()
        }
    };
    assert_eq!(call(None).await, 403);
    assert_eq!(call(Some("CN=someone.else,O=X,C=IT")).await, 403);
    assert_eq!(
        call(Some("CN=nodo.pagopa.example,O=PagoPA S.p.A.,C=IT")).await,
        200
    );
}
