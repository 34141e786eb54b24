//! The operator API against moto: create, read, cancel; every refusal.

use integration::{position, TestEnv, API_KEY};
use serde_json::json;
use shared::domain::NoticeNumber;

const EC: &str = "77777777777";
const MARIO: &str = "RSSMRA85T10A562S";
const BASE: &str = "/api/v1/organizations/77777777777/debt-positions";

#[tokio::test]
async fn creates_a_position_with_generated_notice_and_reads_it_back() {
    let env = TestEnv::new().await;
    let r = env
        .create(
            EC,
            &position(EC, "TARI-2026-0001", MARIO, 15050, "2099-12-31"),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.json());
    assert_eq!(r.content_type(), "application/json");
    let body = r.json();
    let opt = &body["paymentOptions"][0];
    let notice =
        NoticeNumber::parse(opt["noticeNumber"].as_str().unwrap()).expect("valid notice number");
    // Drawn at random: aux digit 3, segregation code 01, valid check digits.
    assert!(notice.as_str().starts_with("301"), "{notice}");
    assert_eq!(opt["iuv"], &notice.as_str()[1..]);
    assert_eq!(opt["status"], "payable");
    assert_eq!(body["status"], "payable");
    assert_eq!(body["debtor"]["fiscalCode"], MARIO);

    let got = env
        .operator("GET", &format!("{BASE}/TARI-2026-0001"), &json!(null))
        .await;
    assert_eq!(got.status, 200);
    assert_eq!(got.json(), body);
}

#[tokio::test]
async fn keeps_supplied_notice_numbers_and_refuses_duplicates() {
    let env = TestEnv::new().await;
    let mut p = position(EC, "A-1", MARIO, 100, "2099-12-31");
    p["paymentOptions"][0]["noticeNumber"] = json!("347123456789012389");
    let r = env.create(EC, &p).await;
    assert_eq!(r.status, 201);
    assert_eq!(
        r.json()["paymentOptions"][0]["noticeNumber"],
        "347123456789012389"
    );

    // Same iupd.
    let again = env
        .create(EC, &position(EC, "A-1", MARIO, 100, "2099-12-31"))
        .await;
    assert!(again.problem(409)["detail"]
        .as_str()
        .unwrap()
        .contains("A-1"));

    // Same notice number under another iupd: nothing of the second position is stored.
    p["iupd"] = json!("A-2");
    let dup = env.create(EC, &p).await;
    assert!(dup.problem(409)["detail"]
        .as_str()
        .unwrap()
        .contains("347123456789012389"));
    env.operator("GET", &format!("{BASE}/A-2"), &json!(null))
        .await
        .problem(404);

    // The same notice number is free for another EC.
    let mut other = p.clone();
    other["paymentOptions"][0]["transfers"][0]["ecFiscalCode"] = json!("80001234568");
    assert_eq!(env.create("80001234568", &other).await.status, 201);
}

#[tokio::test]
async fn generated_numbers_skip_ones_taken_explicitly() {
    let env = TestEnv::new().await;
    let mut p = position(EC, "EXPLICIT", MARIO, 100, "2099-12-31");
    p["paymentOptions"][0]["noticeNumber"] = json!("301000000000000144"); // sequence 1
    assert_eq!(env.create(EC, &p).await.status, 201);
    let r = env
        .create(EC, &position(EC, "GENERATED", MARIO, 100, "2099-12-31"))
        .await;
    assert_eq!(r.status, 201);
    assert_ne!(
        r.json()["paymentOptions"][0]["noticeNumber"],
        "301000000000000144"
    );
}

#[tokio::test]
async fn concurrent_creations_get_distinct_notice_numbers() {
    let env = TestEnv::new().await;
    let calls = (0..20).map(|i| {
        let env = &env;
        async move {
            env.create(
                EC,
                &position(EC, &format!("C-{i}"), MARIO, 100, "2099-12-31"),
            )
            .await
        }
    });
    let replies = futures::future::join_all(calls).await;
    let mut notices: Vec<String> = replies
        .iter()
        .map(|r| {
            assert_eq!(r.status, 201);
            r.json()["paymentOptions"][0]["noticeNumber"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    notices.sort();
    notices.dedup();
    assert_eq!(notices.len(), 20);
}

#[tokio::test]
async fn installments_and_transfer_rules() {
    let env = TestEnv::new().await;
    let mut p = position(EC, "RATE-1", MARIO, 300, "2099-12-31");
    let inst = |cents: u64, due: &str| {
        json!({"amountCents": cents, "dueDate": due, "description": "Rata", "installment": true,
        "transfers": [{"ecFiscalCode": EC, "iban": "IT60X0542811101000000123456", "amountCents": cents,
                       "remittanceInformation": "Rata", "category": "9/0101100IM/"}]})
    };
    p["paymentOptions"].as_array_mut().unwrap().extend([
        inst(100, "2099-01-31"),
        inst(100, "2099-02-28"),
        inst(100, "2099-03-31"),
    ]);
    let r = env.create(EC, &p).await;
    assert_eq!(r.status, 201, "{}", r.json());
    let opts = r.json()["paymentOptions"].as_array().unwrap().clone();
    assert_eq!(opts.len(), 4);
    assert_eq!(opts.iter().filter(|o| o["installment"] == true).count(), 3);

    let mut bad = position(EC, "BAD-SUM", MARIO, 300, "2099-12-31");
    bad["paymentOptions"][0]["transfers"][0]["amountCents"] = json!(299);
    let r = env.create(EC, &bad).await;
    r.problem(422);
    assert_eq!(r.error_fields(), vec!["paymentOptions[0].transfers"]);
}

#[tokio::test]
async fn names_every_invalid_field() {
    let env = TestEnv::new().await;
    let mut p = position(EC, "BAD", "RSSMRA85T10A562X", 0, "2026-02-30");
    p["paymentOptions"][0]["transfers"][0]["iban"] = json!("IT00X");
    p["debtor"]["email"] = json!("not-an-email");
    p["unexpected"] = json!(true);
    let r = env.create(EC, &p).await;
    let problem = r.problem(422);
    let mut fields = r.error_fields();
    fields.sort();
    assert_eq!(
        fields,
        vec![
            "debtor.email",
            "debtor.fiscalCode",
            "paymentOptions[0].amountCents",
            "paymentOptions[0].dueDate",
            "paymentOptions[0].transfers[0].amountCents",
            "paymentOptions[0].transfers[0].iban",
            "unexpected",
        ]
    );
    // Messages are in Italian.
    assert!(problem["errors"].to_string().contains("codice fiscale"));
}

#[tokio::test]
async fn bad_input_gets_clear_4xx() {
    let env = TestEnv::new().await;
    let post = |body: &'static [u8], ct: &'static str| {
        let env = &env;
        async move {
            env.call(
                "POST",
                BASE,
                &[("x-api-key", API_KEY), ("content-type", ct)],
                body,
            )
            .await
        }
    };
    post(b"{\"iupd\": ", "application/json").await.problem(400);
    post(b"[]", "application/json").await.problem(400);
    post(b"\xff\xfe", "application/json").await.problem(400);
    post(b"{}", "text/plain").await.problem(415);
    let huge = format!("{{\"iupd\":\"{}\"}}", "x".repeat(300 * 1024));
    env.call(
        "POST",
        BASE,
        &[("x-api-key", API_KEY), ("content-type", "application/json")],
        huge.as_bytes(),
    )
    .await
    .problem(413);
    // Wrong types and overflowing amounts.
    let r = env
        .create(EC, &json!({"iupd": 1, "debtor": "x", "serviceCode": [], "description": {}, "paymentOptions": [
            {"amountCents": 18446744073709551616u128 as f64, "dueDate": 5, "description": "d", "transfers": []}]}))
        .await;
    r.problem(422);
    let fields = r.error_fields();
    for f in [
        "iupd",
        "debtor",
        "serviceCode",
        "description",
        "paymentOptions[0].amountCents",
        "paymentOptions[0].dueDate",
        "paymentOptions[0].transfers",
    ] {
        assert!(
            fields.contains(&f.to_owned()),
            "{f} missing from {fields:?}"
        );
    }
    // Malformed path parameters.
    let r = env
        .operator(
            "GET",
            "/api/v1/organizations/7777/debt-positions/ok",
            &json!(null),
        )
        .await;
    r.problem(400);
    assert_eq!(r.error_fields(), vec!["ecFiscalCode"]);
    let r = env
        .operator("GET", &format!("{BASE}/has%20space"), &json!(null))
        .await;
    r.problem(400);
    assert_eq!(r.error_fields(), vec!["iupd"]);
    // An EC this deployment does not serve.
    env.create(
        "01199250158",
        &position("01199250158", "X", MARIO, 100, "2099-12-31"),
    )
    .await
    .problem(404);
    // A method no route has: as on API Gateway, the catch-all route answers 404.
    env.operator("PATCH", &format!("{BASE}/X"), &json!({}))
        .await
        .problem(404);
}

#[tokio::test]
async fn requires_a_valid_api_key() {
    let env = TestEnv::new().await;
    let body = position(EC, "K-1", MARIO, 100, "2099-12-31").to_string();
    for headers in [
        vec![("content-type", "application/json")],
        vec![("content-type", "application/json"), ("x-api-key", "wrong")],
        vec![("content-type", "application/json"), ("x-api-key", "")],
    ] {
        let r = env.call("POST", BASE, &headers, body.as_bytes()).await;
        r.problem(401);
    }
    let r = env.call("GET", &format!("{BASE}/K-1"), &[], b"").await;
    r.problem(401);
    // Nothing was stored.
    env.operator("GET", &format!("{BASE}/K-1"), &json!(null))
        .await
        .problem(404);

    // A deployment without a configured key refuses everything.
    let locked = TestEnv::build(shared::app::Clock::system(), "").await;
    locked
        .call("GET", &format!("{BASE}/K-1"), &[("x-api-key", "")], b"")
        .await
        .problem(401);
}

#[tokio::test]
async fn cancels_once_and_never_a_paid_position() {
    let env = TestEnv::new().await;
    assert_eq!(
        env.create(EC, &position(EC, "DEL-1", MARIO, 100, "2099-12-31"))
            .await
            .status,
        201
    );
    let r = env
        .operator("DELETE", &format!("{BASE}/DEL-1"), &json!(null))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["status"], "cancelled");
    assert!(r.json()["cancelledAt"].is_string());
    env.operator("DELETE", &format!("{BASE}/DEL-1"), &json!(null))
        .await
        .problem(409);
    env.operator("DELETE", &format!("{BASE}/NOPE"), &json!(null))
        .await
        .problem(404);

    // A paid position (paid through the domain transition, as the receipt flow does).
    assert_eq!(
        env.create(EC, &position(EC, "PAID-1", MARIO, 100, "2099-12-31"))
            .await
            .status,
        201
    );
    let ec = shared::domain::EcFiscalCode::parse(EC).unwrap();
    let iupd = shared::domain::text::Iupd::parse("PAID-1").unwrap();
    let current = env.app.positions.get(&ec, &iupd).await.unwrap().unwrap();
    let n = current.value.payment_options[0].notice_number;
    let payment = shared::domain::position::Payment {
        receipt_id: "r-1".into(),
        paid_at: chrono::Utc::now(),
    };
    let shared::domain::position::Recorded::Paid(paid) = current
        .value
        .record_payment(&n, payment, env.app.clock.today())
        .unwrap()
    else {
        panic!("payable option expected")
    };
    env.app
        .positions
        .replace(&paid, current.version)
        .await
        .unwrap();
    // A stale version is refused.
    assert_eq!(
        env.app.positions.replace(&paid, current.version).await,
        Err(shared::ports::StoreError::VersionConflict)
    );
    env.operator("DELETE", &format!("{BASE}/PAID-1"), &json!(null))
        .await
        .problem(409);
    let got = env
        .operator("GET", &format!("{BASE}/PAID-1"), &json!(null))
        .await
        .json();
    assert_eq!(got["status"], "paid");
    assert_eq!(got["paymentOptions"][0]["payment"]["receiptId"], "r-1");
}

#[tokio::test]
async fn routes_by_exact_path_segments() {
    let env = TestEnv::new().await;
    for iupd in ["services", "services-2026", "x-services"] {
        let r = env
            .create(EC, &position(EC, iupd, MARIO, 100, "2099-12-31"))
            .await;
        assert_eq!(r.status, 201, "{}", r.json());
        let got = env
            .operator("GET", &format!("{BASE}/{iupd}"), &json!(null))
            .await;
        assert_eq!(got.status, 200);
        assert_eq!(got.json()["iupd"], iupd, "the position, not the catalogue");
        let cancelled = env
            .operator("DELETE", &format!("{BASE}/{iupd}"), &json!(null))
            .await;
        assert_eq!(cancelled.json()["status"], "cancelled");
    }
    let catalogue = env
        .operator(
            "GET",
            "/api/v1/organizations/77777777777/services",
            &json!(null),
        )
        .await;
    assert_eq!(catalogue.status, 200);
    assert!(catalogue.json().is_array());
}
