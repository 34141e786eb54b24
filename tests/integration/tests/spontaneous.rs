//! Spontaneous payments: the catalogue API, idempotent creation (also under
//! concurrency), the pages, and the catalogue managed through the operator API.

use std::collections::HashSet;

use integration::{Browser, Reply, TestEnv, API_KEY};
use serde_json::{json, Value};

const EC: &str = "77777777777";
const MARIO: &str = "RSSMRA85T10A562S";

fn debtor() -> Value {
    json!({"type": "F", "fiscalCode": MARIO, "fullName": "Mario Rossi"})
}

fn cert_request() -> Value {
    json!({"debtor": debtor(), "fields": {"tipoCertificato": "residenza", "richiedente": "Mario Rossi"}})
}

async fn post(env: &TestEnv, ec: &str, code: &str, key: Option<&str>, body: &Value) -> Reply {
    let mut headers = vec![("content-type", "application/json")];
    if let Some(k) = key {
        headers.push(("idempotency-key", k));
    }
    env.call(
        "POST",
        &format!("/api/v1/services/{ec}/{code}/positions"),
        &headers,
        body.to_string().as_bytes(),
    )
    .await
}

fn html(r: &Reply) -> String {
    String::from_utf8_lossy(&r.body).into_owned()
}

#[tokio::test]
async fn lists_the_enabled_services_with_their_forms() {
    let env = TestEnv::new().await;
    let r = env.get("/api/v1/services").await;
    assert_eq!(r.status, 200);
    let list = r.json();
    let codes: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"CERT") && codes.contains(&"MENSA") && codes.contains(&"CIMITERO"));
    assert!(
        !codes.contains(&"TARI"),
        "TARI is not spontaneous: {codes:?}"
    );
    let cert = list
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["code"] == "CERT")
        .unwrap();
    assert_eq!(cert["ecFiscalCode"], EC);
    assert_eq!(cert["spontaneous"], true);
    assert_eq!(cert["amount"]["fixedCents"], 1600);
    let fields = cert["form"]["fields"].as_array().unwrap();
    let select = fields.iter().find(|f| f["type"] == "select").unwrap();
    assert!(select["options"].as_array().unwrap().len() >= 2);
    assert!(select["label"].is_string());
    let mensa = list
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["code"] == "MENSA")
        .unwrap();
    assert_eq!(mensa["amount"]["minCents"], 500);
    // English labels on request.
    let en = env
        .call(
            "GET",
            "/api/v1/services",
            &[("accept-language", "en-GB,en;q=0.9")],
            b"",
        )
        .await
        .json();
    let en_cert = en
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["code"] == "CERT")
        .unwrap();
    assert_ne!(
        en_cert["form"]["fields"][0]["label"],
        cert["form"]["fields"][0]["label"]
    );
}

#[tokio::test]
async fn creates_once_per_idempotency_key() {
    let env = TestEnv::new().await;
    let first = post(&env, EC, "CERT", Some("key-1"), &cert_request()).await;
    assert_eq!(first.status, 201, "{}", html(&first));
    let p = first.json();
    assert_eq!(p["debtor"]["fiscalCode"], MARIO);
    assert_eq!(p["serviceCode"], "CERT");
    assert_eq!(p["paymentOptions"][0]["amountCents"], 1600);
    assert_eq!(p["paymentOptions"][0]["status"], "payable");
    assert_eq!(p["description"], "Certificato di residenza - Mario Rossi");
    assert_eq!(p["serviceData"]["richiedente"], "Mario Rossi");
    let notice = p["paymentOptions"][0]["noticeNumber"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(notice.starts_with('3'), "aux digit 3: {notice}");

    let again = post(&env, EC, "CERT", Some("key-1"), &cert_request()).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(
        again.json()["paymentOptions"][0]["noticeNumber"],
        notice.as_str()
    );

    let mut changed = cert_request();
    changed["fields"]["richiedente"] = json!("Giulia Rossi");
    let reused = post(&env, EC, "CERT", Some("key-1"), &changed).await;
    reused.problem(422);
    assert_eq!(reused.error_fields(), vec!["Idempotency-Key"]);

    post(&env, EC, "CERT", None, &cert_request())
        .await
        .problem(422);
    let other = post(&env, EC, "CERT", Some("key-2"), &cert_request()).await;
    assert_eq!(other.status, 201);
    assert_ne!(
        other.json()["paymentOptions"][0]["noticeNumber"],
        notice.as_str()
    );

    // The new notice verifies as any other.
    let v = env
        .get(&format!("/api/v1/notices/{notice}?fiscalCode={MARIO}"))
        .await;
    assert_eq!(v.status, 200, "{}", html(&v));
    assert_eq!(v.json()["amountCents"], 1600);
}

#[tokio::test]
async fn names_every_invalid_field() {
    let env = TestEnv::new().await;
    let r = post(
        &env,
        EC,
        "MENSA",
        Some("k"),
        &json!({"debtor": {"type": "F", "fiscalCode": "RSSMRA85T10A562X", "fullName": "Mario Rossi"},
                "fields": {"alunno": "", "scuola": "nessuna", "inventato": "x"}, "amountCents": 100}),
    )
    .await;
    r.problem(422);
    let fields = r.error_fields();
    assert!(
        fields.contains(&"debtor.fiscalCode".to_owned()),
        "{fields:?}"
    );
    let r = post(
        &env,
        EC,
        "MENSA",
        Some("k"),
        &json!({"debtor": debtor(), "fields": {"alunno": "", "scuola": "nessuna", "inventato": "x"}, "amountCents": 100}),
    )
    .await;
    r.problem(422);
    let fields = r.error_fields();
    for f in [
        "fields.alunno",
        "fields.scuola",
        "fields.inventato",
        "amountCents",
    ] {
        assert!(fields.contains(&f.to_owned()), "{f} in {fields:?}");
    }
    // Unknown, non-spontaneous and foreign services are not found.
    post(&env, EC, "TARI", Some("k"), &cert_request())
        .await
        .problem(404);
    post(&env, EC, "NOPE", Some("k"), &cert_request())
        .await
        .problem(404);
    post(&env, "12345678901", "CERT", Some("k"), &cert_request())
        .await
        .problem(404);
}

#[tokio::test]
async fn concurrent_requests_create_one_position_per_key() {
    let env = TestEnv::new().await;
    let body = cert_request();
    let same = futures::future::join_all(
        (0..10).map(|_| post(&env, EC, "CERT", Some("double-click"), &body)),
    )
    .await;
    let notices: HashSet<String> = same
        .iter()
        .map(|r| {
            assert!(r.status == 201 || r.status == 200, "{}", html(r));
            r.json()["paymentOptions"][0]["noticeNumber"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(notices.len(), 1);
    assert_eq!(same.iter().filter(|r| r.status == 201).count(), 1);

    let keys: Vec<String> = (0..10).map(|i| format!("k-{i}")).collect();
    let distinct =
        futures::future::join_all(keys.iter().map(|k| post(&env, EC, "CERT", Some(k), &body)))
            .await;
    let notices: HashSet<String> = distinct
        .iter()
        .map(|r| {
            assert_eq!(r.status, 201, "{}", html(r));
            r.json()["paymentOptions"][0]["noticeNumber"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        notices.len(),
        10,
        "the counter gives every request its own number"
    );
    let mine = env
        .app
        .positions
        .find_by_debtor(&shared::domain::FiscalCode::parse(MARIO).unwrap())
        .await
        .unwrap();
    assert_eq!(mine.len(), 11);
}

#[tokio::test]
async fn the_pages_from_list_to_summary() {
    let env = TestEnv::new().await;
    let mut b = Browser::default();
    let list = b.get(&env, "/pagamento-spontaneo").await;
    assert_eq!(list.status, 200);
    let page = html(&list);
    assert!(page.contains("/pagamento-spontaneo/77777777777/CERT"));
    assert!(!page.contains("/pagamento-spontaneo/77777777777/TARI"));
    let found = html(&b.get(&env, "/pagamento-spontaneo?q=votiva").await);
    assert!(found.contains("/pagamento-spontaneo/80001234568/CIMITERO"));
    assert!(!found.contains("/CERT"));
    assert!(html(&b.get(&env, "/pagamento-spontaneo?q=zzzz").await).contains("no-services"));

    let form = b.get(&env, "/pagamento-spontaneo/77777777777/MENSA").await;
    assert_eq!(form.status, 200);
    let page = html(&form);
    let key = page
        .split("name=\"idempotencyKey\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    assert!(page.contains("id=\"f-alunno\"") && page.contains("id=\"amount\""));
    // Back from the summary must find this form (and its key) in the browser's
    // cache: cacheable, and posted to another address (a post to an address
    // drops the browser's cached copy of it).
    assert_eq!(form.headers["cache-control"], "private, no-cache");
    assert!(page.contains("action=\"/pagamento-spontaneo/77777777777/MENSA?invio\""));

    let bad = b
        .post(
            &env,
            "/pagamento-spontaneo/77777777777/MENSA",
            &[
                ("idempotencyKey", &key),
                ("debtor-type", "F"),
                ("debtor-fiscalCode", "RSSMRA85T10A562X"),
                ("debtor-fullName", "Mario Rossi"),
                ("amount", "2"),
                ("privacy", "yes"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    // A page with what the citizen typed is never kept.
    assert_eq!(bad.headers["cache-control"], "no-store");
    let page = html(&bad);
    for id in ["debtor-fiscalCode-error", "f-alunno-error", "amount-error"] {
        assert!(
            page.contains(&format!("id=\"{id}\" class=\"invalid-feedback d-block\"")),
            "{id}"
        );
    }
    assert!(
        page.contains("value=\"Mario Rossi\""),
        "entered values are kept"
    );

    let good = [
        ("idempotencyKey", key.as_str()),
        ("debtor-type", "F"),
        ("debtor-fiscalCode", MARIO),
        ("debtor-fullName", "Mario Rossi"),
        ("f-alunno", "Luca Rossi"),
        ("f-codiceFiscaleAlunno", "CNTCHR83T41D969D"),
        ("f-scuola", "secondaria-dante"),
        ("f-anno", "2026"),
        ("amount", "25,50"),
        ("privacy", "yes"),
    ];
    let ok = b
        .post(&env, "/pagamento-spontaneo/77777777777/MENSA", &good)
        .await;
    let page = html(&ok);
    assert_eq!(ok.status, 200, "{page}");
    assert!(page.contains("id=\"pay\"") && page.contains("id=\"print\""));
    assert!(page.contains("25,50"));
    // The same form again (double click, back button): the same notice.
    let again = b
        .post(&env, "/pagamento-spontaneo/77777777777/MENSA", &good)
        .await;
    let notice_of = |p: &str| {
        p.split("id=\"s-notice\">")
            .nth(1)
            .and_then(|s| s.split('<').next())
            .unwrap()
            .to_owned()
    };
    assert_eq!(notice_of(&page), notice_of(&html(&again)));
    let mine = env
        .app
        .positions
        .find_by_debtor(&shared::domain::FiscalCode::parse(MARIO).unwrap())
        .await
        .unwrap();
    assert_eq!(mine.len(), 1);
    // Without the CSRF token the form is refused.
    let forged = b
        .post(
            &env,
            "/pagamento-spontaneo/77777777777/MENSA",
            &[("csrf", "x"), ("idempotencyKey", "y")],
        )
        .await;
    assert_eq!(forged.status, 403);
}

#[tokio::test]
async fn the_operator_api_manages_the_catalogue() {
    let env = TestEnv::new().await;
    let uri = format!("/api/v1/organizations/{EC}/services/PASSI");
    let service = json!({"name": "Passo carrabile", "spontaneous": true, "category": "9/0101100IM/",
        "iban": "IT60X0542811101000000123456", "amount": {"fixedCents": 5000}, "dueDays": 30,
        "form": {"fields": [{"name": "targa", "type": "text", "label": {"it": "Targa", "en": "Plate"},
                             "required": true, "pattern": "[A-Z]{2}[0-9]{3}[A-Z]{2}"}],
                 "description": "Passo carrabile {targa}"}});
    let created = env.operator("PUT", &uri, &service).await;
    assert_eq!(created.status, 201, "{}", html(&created));
    assert_eq!(env.operator("PUT", &uri, &service).await.status, 200);
    assert_eq!(
        env.operator("GET", &uri, &Value::Null).await.json()["name"],
        "Passo carrabile"
    );
    let listed = env
        .operator(
            "GET",
            &format!("/api/v1/organizations/{EC}/services"),
            &Value::Null,
        )
        .await
        .json();
    assert!(listed
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["code"] == "PASSI"));
    assert!(env
        .get("/api/v1/services")
        .await
        .json()
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["code"] == "PASSI"));

    let p = post(
        &env,
        EC,
        "PASSI",
        Some("p1"),
        &json!({"debtor": debtor(), "fields": {"targa": "ab123cd"}}),
    )
    .await;
    p.problem(422);
    let p = post(
        &env,
        EC,
        "PASSI",
        Some("p1"),
        &json!({"debtor": debtor(), "fields": {"targa": "AB123CD"}}),
    )
    .await;
    assert_eq!(p.status, 201);
    assert_eq!(p.json()["description"], "Passo carrabile AB123CD");

    let mut broken = service.clone();
    broken["form"]["fields"][0]["pattern"] = json!("([");
    env.operator("PUT", &uri, &broken).await.problem(422);
    let mut mismatched = service.clone();
    mismatched["code"] = json!("ALTRO");
    assert_eq!(
        env.operator("PUT", &uri, &mismatched).await.problem(422)["errors"][0]["field"],
        "code"
    );
    assert_eq!(
        env.call(
            "PUT",
            &uri,
            &[("x-api-key", "wrong")],
            service.to_string().as_bytes()
        )
        .await
        .status,
        401
    );
    assert_eq!(env.operator("DELETE", &uri, &Value::Null).await.status, 204);
    env.operator("DELETE", &uri, &Value::Null)
        .await
        .problem(404);
    env.operator("GET", &uri, &Value::Null).await.problem(404);
    post(
        &env,
        EC,
        "PASSI",
        Some("p2"),
        &json!({"debtor": debtor(), "fields": {"targa": "AB123CD"}}),
    )
    .await
    .problem(404);
    let _ = API_KEY;
}
