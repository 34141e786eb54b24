//! The JSON APIs of payments, avvisi and receipts, and the receipt worker
//! (PDF in S3, mail through SES on moto, never twice), over the simulator.

use std::sync::Arc;

use integration::{position, TestEnv};
use pagopa_simulator::Simulator;
use serde_json::{json, Value};
use shared::app::Clock;

const EC: &str = "77777777777";
const MARIO: &str = "RSSMRA85T10A562S";
const CHIARA: &str = "CNTCHR83T41D969D";

struct World {
    env: TestEnv,
    sim: Arc<Simulator>,
    sim_url: String,
}

/// The portal in-process, with a live simulator whose Nodo calls a real HTTP portal.
async fn world() -> World {
    let portal_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sim_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let portal = format!("http://{}", portal_listener.local_addr().unwrap());
    let sim_url = format!("http://{}", sim_listener.local_addr().unwrap());
    let env = TestEnv::build_with(
        Clock::system(),
        integration::API_KEY,
        &portal,
        &format!("{sim_url}/checkout/ec/v2"),
    )
    .await;
    let routes = devstack::router::routes_from_file(&devstack::template_path()).unwrap();
    let stack = Arc::new(devstack::server::Stack::new(env.app.clone(), routes).unwrap());
    tokio::spawn(devstack::server::serve(
        portal_listener,
        stack,
        std::future::pending(),
    ));
    let sim = Simulator::new(
        &sim_url,
        &portal,
        pagopa_simulator::stations_from_entities(&env.app.entities),
    );
    tokio::spawn(pagopa_simulator::serve(
        sim_listener,
        sim.clone(),
        std::future::pending(),
    ));
    World { env, sim, sim_url }
}

async fn notice(env: &TestEnv, iupd: &str, cents: u64) -> String {
    let r = env
        .create(EC, &position(EC, iupd, MARIO, cents, "2099-12-31"))
        .await;
    assert_eq!(r.status, 201);
    r.json()["paymentOptions"][0]["noticeNumber"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn post_json(env: &TestEnv, uri: &str, body: &Value) -> integration::Reply {
    env.call(
        "POST",
        uri,
        &[("content-type", "application/json")],
        body.to_string().as_bytes(),
    )
    .await
}

/// Starts a payment through the API; returns where Checkout is.
async fn checkout_url(w: &World, body: &Value) -> String {
    let r = post_json(&w.env, "/api/v1/payments", body).await;
    assert_eq!(r.status, 201, "{}", r.json());
    r.json()["checkoutUrl"].as_str().unwrap().to_owned()
}

/// Pays a cart through the simulator's control API.
async fn pay_cart(w: &World, checkout_url: &str) -> Value {
    let id = checkout_url.rsplit('/').next().unwrap();
    let r = reqwest::Client::new()
        .post(format!("{}/control/carts/{id}/pay", w.sim_url))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    r.json().await.unwrap()
}

#[tokio::test]
async fn payments_api_starts_at_checkout_and_reports_from_receipts() {
    let w = world().await;
    let a = notice(&w.env, "PAY-A", 1000).await;
    let b = notice(&w.env, "PAY-B", 2000).await;
    let r = post_json(&w.env, "/api/v1/payments", &json!({"notices": [{"noticeNumber": a, "fiscalCode": MARIO}, {"noticeNumber": b, "fiscalCode": MARIO}], "email": "mario.rossi@example.org"})).await;
    assert_eq!(r.status, 201, "{}", r.json());
    let body = r.json();
    let url = body["checkoutUrl"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("{}/checkout/carts/", w.sim_url)),
        "{url}"
    );
    let cart_id = body["cartId"].as_str().unwrap().to_owned();

    let status = w
        .env
        .get(&format!("/api/v1/payments/{cart_id}"))
        .await
        .json();
    assert_eq!(status["status"], "pending");

    let paid = pay_cart(&w, url).await;
    assert_eq!(paid["outcome"], "ok", "{paid}");
    let status = w
        .env
        .get(&format!("/api/v1/payments/{cart_id}"))
        .await
        .json();
    assert_eq!(status["status"], "paid", "{status}");
    // The receipts carry our cart id (paymentNote).
    let receipts = w.env.app.receipts.receipts_for_notice(&a).await.unwrap();
    assert_eq!(
        receipts[0].receipt.payment_note.as_deref(),
        Some(cart_id.as_str())
    );
    assert!(w.sim.violations().is_empty(), "{:?}", w.sim.violations());

    // The return page says so.
    let page = String::from_utf8(
        w.env
            .get(&format!("/pagamento/esito/ok?id={cart_id}"))
            .await
            .body,
    )
    .unwrap();
    assert!(page.contains("Pagamento completato"));
    w.env.get("/api/v1/payments/not-an-id").await.problem(404);
}

#[tokio::test]
async fn payments_api_refuses_what_cannot_be_paid() {
    let w = world().await;
    let a = notice(&w.env, "REF-A", 1000).await;
    let cases = [
        (json!({"notices": []}), vec!["notices"]),
        (
            json!({"notices": [{"noticeNumber": a, "fiscalCode": CHIARA}]}),
            vec!["notices[0].noticeNumber"],
        ),
        (
            json!({"notices": [{"noticeNumber": a, "fiscalCode": MARIO}, {"noticeNumber": a, "fiscalCode": MARIO}]}),
            vec!["notices[1].noticeNumber"],
        ),
        (
            json!({"notices": [{"noticeNumber": "123", "fiscalCode": MARIO}], "email": "x"}),
            vec!["email", "notices[0].noticeNumber"],
        ),
    ];
    for (body, fields) in cases {
        let r = post_json(&w.env, "/api/v1/payments", &body).await;
        r.problem(422);
        let mut got = r.error_fields();
        got.sort();
        assert_eq!(got, fields, "{body}");
    }
    let six: Vec<Value> = (0..6)
        .map(|_| json!({"noticeNumber": a, "fiscalCode": MARIO}))
        .collect();
    post_json(&w.env, "/api/v1/payments", &json!({"notices": six}))
        .await
        .problem(422);
    w.env
        .call(
            "POST",
            "/api/v1/payments",
            &[("content-type", "application/json")],
            b"{",
        )
        .await
        .problem(400);
    // Not payable any more.
    let url = checkout_url(
        &w,
        &json!({"notices": [{"noticeNumber": a, "fiscalCode": MARIO}]}),
    )
    .await;
    pay_cart(&w, &url).await;
    let r = post_json(
        &w.env,
        "/api/v1/payments",
        &json!({"notices": [{"noticeNumber": a, "fiscalCode": MARIO}]}),
    )
    .await;
    r.problem(422);
    assert!(r.json()["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("già pagato"));
}

#[tokio::test]
async fn avviso_pdf_for_the_debtor_of_a_payable_notice() {
    let w = world().await;
    let a = notice(&w.env, "AVV-A", 15050).await;
    let r = w
        .env
        .get(&format!(
            "/api/v1/notices/{a}/avviso.pdf?fiscalCode={MARIO}"
        ))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.content_type(), "application/pdf");
    assert!(r.body.starts_with(b"%PDF"));
    assert!(r.headers["content-disposition"]
        .to_str()
        .unwrap()
        .contains(&format!("avviso-{a}.pdf")));
    w.env
        .get(&format!(
            "/api/v1/notices/{a}/avviso.pdf?fiscalCode={CHIARA}"
        ))
        .await
        .problem(404);
    w.env
        .get(&format!("/api/v1/notices/{a}/avviso.pdf"))
        .await
        .problem(400);
    let url = checkout_url(
        &w,
        &json!({"notices": [{"noticeNumber": a, "fiscalCode": MARIO}]}),
    )
    .await;
    pay_cart(&w, &url).await;
    w.env
        .get(&format!(
            "/api/v1/notices/{a}/avviso.pdf?fiscalCode={MARIO}"
        ))
        .await
        .problem(409);
}

#[tokio::test]
async fn receipts_for_debtor_or_payer_in_every_format_and_mailed_once() {
    let w = world().await;
    let a = notice(&w.env, "RCP-A", 4200).await;
    // Unknown until paid: the same 404 as a wrong fiscal code.
    let before = w
        .env
        .get(&format!(
            "/api/v1/receipts/{a}?fiscalCode={MARIO}&format=json"
        ))
        .await;
    before.problem(404);
    let url = checkout_url(&w, &json!({"notices": [{"noticeNumber": a, "fiscalCode": MARIO}], "email": "payer@example.org"})).await;
    let result = pay_cart(&w, &url).await;
    let receipt_id = result["notices"][0]["receiptId"]
        .as_str()
        .unwrap()
        .to_owned();

    let json = w
        .env
        .get(&format!(
            "/api/v1/receipts/{a}?fiscalCode={MARIO}&format=json"
        ))
        .await;
    assert_eq!(json.status, 200);
    assert_eq!(json.json()["receipt"]["receiptId"], receipt_id.as_str());
    let xml = w
        .env
        .get(&format!(
            "/api/v1/receipts/{a}?fiscalCode={MARIO}&format=xml"
        ))
        .await;
    assert_eq!(xml.status, 200);
    let text = String::from_utf8(xml.body.clone()).unwrap();
    assert!(
        text.starts_with("<receipt>")
            && text.contains(&format!("<receiptId>{receipt_id}</receiptId>")),
        "{text}"
    );
    let pdf = w
        .env
        .get(&format!(
            "/api/v1/receipts/{a}?fiscalCode={MARIO}&format=pdf"
        ))
        .await;
    assert_eq!(pdf.content_type(), "application/pdf");
    assert!(pdf.body.starts_with(b"%PDF"));
    // Wrong fiscal code, unknown format.
    let wrong = w
        .env
        .get(&format!(
            "/api/v1/receipts/{a}?fiscalCode={CHIARA}&format=json"
        ))
        .await;
    assert_eq!(wrong.problem(404), before.problem(404));
    w.env
        .get(&format!(
            "/api/v1/receipts/{a}?fiscalCode={MARIO}&format=doc"
        ))
        .await
        .problem(400);

    // The worker stores the PDF and mails debtor and payer, once.
    let ec = shared::domain::EcFiscalCode::parse(EC).unwrap();
    assert_eq!(
        w.env
            .app
            .receipts
            .get_receipt(&ec, &receipt_id)
            .await
            .unwrap()
            .unwrap()
            .owed
            .len(),
        2
    );
    receipt_worker::sweep(&w.env.app, everything())
        .await
        .unwrap();
    receipt_worker::sweep(&w.env.app, everything())
        .await
        .unwrap();
    let stored = w
        .env
        .app
        .receipts
        .get_receipt(&ec, &receipt_id)
        .await
        .unwrap()
        .unwrap();
    assert!(stored.owed.is_empty(), "{:?}", stored.owed);
    let key = shared::service::receipts::document_key(&stored, "pdf");
    assert!(w
        .env
        .app
        .documents
        .get(&key)
        .await
        .unwrap()
        .unwrap()
        .bytes
        .starts_with(b"%PDF"));
    let mails = sent_mails_mentioning(&receipt_id).await;
    assert_eq!(mails, 1, "exactly one mail for the receipt");
    // A stream event for the same receipt sends nothing more.
    let event = json!({"Records": [{"eventName": "MODIFY", "dynamodb": {"Keys": {"pk": {"S": format!("RECEIPT#{receipt_id}")}, "sk": {"S": format!("EC#{EC}")}}}}]});
    receipt_worker::handle(&w.env.app, event).await.unwrap();
    assert_eq!(sent_mails_mentioning(&receipt_id).await, 1);
}

/// Mails on moto (`GET /moto-api/data.json`, SES raw messages) whose text part
/// mentions `needle`; each must go to both the debtor and the payer.
async fn sent_mails_mentioning(needle: &str) -> usize {
    use base64::Engine;
    // moto builds data.json from live state; another test writing at the same
    // moment can make one read fail, so read it again.
    let mut data = Value::Null;
    for _ in 0..10 {
        let r = reqwest::get(format!("{}/moto-api/data.json", integration::endpoint())).await;
        if let Ok(Ok(v)) = match r {
            Ok(r) => Ok(r.json::<Value>().await),
            Err(e) => Err(e),
        } {
            data = v;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(!data.is_null(), "moto's data.json could not be read");
    let mut count = 0;
    for m in data["ses"]["RawMessage"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        let raw = m["raw_data"].as_str().unwrap_or_default();
        // The text part, however it was encoded: quoted-printable (soft line
        // breaks joined) or base64 (the lines after the part's blank line).
        let quoted = raw.replace("=\r\n", "");
        let base64_text: String = raw
            .split("Content-Transfer-Encoding: base64\r\n\r\n")
            .nth(1)
            .and_then(|rest| rest.split("\r\n--").next())
            .map(|b64| b64.replace("\r\n", ""))
            .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        if quoted.contains(needle) || base64_text.contains(needle) {
            assert!(
                raw.contains("To: <mario.rossi@example.org>, <payer@example.org>"),
                "{raw}"
            );
            assert!(raw.contains("Content-Type: application/pdf"));
            count += 1;
        }
    }
    count
}

#[tokio::test]
async fn a_failed_mail_stays_owed_and_is_retried() {
    let w = world().await;
    let a = notice(&w.env, "RETRY-A", 999).await;
    let url = checkout_url(&w, &json!({"notices": [{"noticeNumber": a, "fiscalCode": MARIO}], "email": "payer@example.org"})).await;
    let receipt_id = pay_cart(&w, &url).await["notices"][0]["receiptId"]
        .as_str()
        .unwrap()
        .to_owned();

    // SES refuses a sender whose identity is not verified: a real failure, on moto.
    let clients = devstack::emulator_clients(&integration::endpoint()).await;
    let mut broken = (*w.env.app).clone();
    broken.mailer = Arc::new(shared::aws::SesMailer::new(
        clients.sesv2.clone(),
        shared::domain::text::Email::parse("noreply@not-verified.example").unwrap(),
    ));
    receipt_worker::sweep(&broken, everything()).await.unwrap();
    let ec = shared::domain::EcFiscalCode::parse(EC).unwrap();
    let after_failure = w
        .env
        .app
        .receipts
        .get_receipt(&ec, &receipt_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        after_failure.owed,
        vec![shared::domain::receipt::Work::Mail],
        "the PDF is done, the mail is still owed"
    );
    assert_eq!(sent_mails_mentioning(&receipt_id).await, 0);
    let event = json!({"Records": [{"eventName": "INSERT", "dynamodb": {"SequenceNumber": "111",
        "Keys": {"pk": {"S": format!("RECEIPT#{receipt_id}")}, "sk": {"S": format!("EC#{EC}")}}}}]});
    assert_eq!(
        receipt_worker::handle(&broken, event.clone())
            .await
            .unwrap()["batchItemFailures"],
        json!([{"itemIdentifier": "111"}]),
        "the stream retries that record"
    );

    // The retry with a working sender delivers it, once.
    receipt_worker::handle(&w.env.app, event).await.unwrap();
    receipt_worker::sweep(&w.env.app, everything())
        .await
        .unwrap();
    assert_eq!(sent_mails_mentioning(&receipt_id).await, 1);
    assert!(w
        .env
        .app
        .receipts
        .get_receipt(&ec, &receipt_id)
        .await
        .unwrap()
        .unwrap()
        .owed
        .is_empty());
}

/// A sweep's bound that takes all owed work.
fn everything() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now() + chrono::Duration::hours(1)
}

#[tokio::test]
async fn a_mail_refused_three_times_is_given_up_and_the_operator_sees_it() {
    let w = world().await;
    let a = notice(&w.env, "GIVEUP-A", 1234).await;
    let url = checkout_url(&w, &json!({"notices": [{"noticeNumber": a, "fiscalCode": MARIO}], "email": "payer@example.org"})).await;
    pay_cart(&w, &url).await;
    let clients = devstack::emulator_clients(&integration::endpoint()).await;
    let mut broken = (*w.env.app).clone();
    broken.mailer = Arc::new(shared::aws::SesMailer::new(
        clients.sesv2.clone(),
        shared::domain::text::Email::parse("noreply@not-verified.example").unwrap(),
    ));
    let view = || async {
        w.env
            .operator(
                "GET",
                "/api/v1/organizations/77777777777/debt-positions/GIVEUP-A",
                &json!(null),
            )
            .await
            .json()["paymentOptions"][0]["payment"]["receipt"]
            .clone()
    };
    receipt_worker::sweep(&broken, everything()).await.unwrap();
    let first = view().await;
    assert_eq!(
        (first["pdf"].as_str(), first["mail"].as_str()),
        (Some("stored"), Some("owed"))
    );
    for _ in 0..2 {
        receipt_worker::sweep(&broken, everything()).await.unwrap();
    }
    let last = view().await;
    assert_eq!(last["mail"], "failed", "{last}");
    assert_eq!(last["mailAttempts"], 3);
    assert!(
        last["mailError"].as_str().unwrap().contains("refused"),
        "{last}"
    );
    // Nothing owed any more: no endless retries, and the sweep finds nothing.
    let swept = receipt_worker::sweep(&w.env.app, everything())
        .await
        .unwrap();
    assert_eq!(swept.delivered + swept.failed, 0);
    assert_eq!(sent_mails_mentioning(&a).await, 0);
}

#[tokio::test]
async fn checkout_v2_sends_a_payment_of_unknown_outcome_to_the_waiting_page() {
    let w = world().await;
    let a = notice(&w.env, "WAIT-A", 2500).await;
    let url = checkout_url(
        &w,
        &json!({"notices": [{"noticeNumber": a, "fiscalCode": MARIO}]}),
    )
    .await;
    let id = url.rsplit('/').next().unwrap();
    let paid: Value = reqwest::Client::new()
        .post(format!("{}/control/carts/{id}/pay", w.sim_url))
        .json(&json!({"mode": "waiting", "delayMs": 400}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let back = paid["redirect"].as_str().unwrap();
    let path = back
        .split_once("/pagamento/")
        .map(|(_, p)| format!("/pagamento/{p}"))
        .unwrap();
    assert!(path.starts_with("/pagamento/esito/attesa?id="), "{back}");
    let page = |body: &[u8]| String::from_utf8_lossy(body).into_owned();
    let first = w.env.get(&path).await;
    assert_eq!(first.status, 200);
    assert!(page(&first.body).contains("Pagamento in verifica"));
    // The receipt arrives: the same page now tells the outcome.
    let mut done = false;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        if page(&w.env.get(&path).await.body).contains("Pagamento completato") {
            done = true;
            break;
        }
    }
    assert!(done, "the waiting page turns into the outcome");
}
