//! The operators' console against moto: the admin API's operator grants
//! (stored beside the keys), the console's listing of an EC's positions (the
//! `gsi2` index), grants per EC and role, CSRF, and the CLI's `operators`.

use integration::{position, Browser, TestEnv, ADMIN_KEY};
use serde_json::{json, Value};
use shared::domain::FiscalCode;
use shared::service::sessions::{self, SignedIn};

const EC: &str = "77777777777";
const OTHER: &str = "80001234568";
const OPERATOR: &str = "VRDGPP80A01H501U";
const MARIO: &str = "RSSMRA85T10A562S";

async fn admin(env: &TestEnv, method: &str, uri: &str, body: &Value) -> integration::Reply {
    let bytes = if body.is_null() {
        vec![]
    } else {
        body.to_string().into_bytes()
    };
    env.call(
        method,
        uri,
        &[
            ("x-api-key", ADMIN_KEY),
            ("content-type", "application/json"),
        ],
        &bytes,
    )
    .await
}

/// A browser signed in as `cf` (a session as the login leaves it).
async fn signed_in(env: &TestEnv, cf: &str) -> Browser {
    let token = sessions::start(
        &env.app,
        SignedIn {
            fiscal_code: FiscalCode::parse(cf).unwrap(),
            given_name: Some("Operatore".into()),
            family_name: Some("Demo".into()),
            method: "spid".into(),
            id_token: None,
        },
    )
    .await
    .unwrap();
    let mut b = Browser::default();
    b.cookies.push(("session".into(), token));
    b
}

fn html(r: &integration::Reply) -> String {
    String::from_utf8_lossy(&r.body).into_owned()
}

#[tokio::test]
async fn operators_are_granted_listed_and_removed_through_the_admin_api() {
    let env = TestEnv::new().await;
    let path = format!("/api/v1/admin/operators/{OPERATOR}");
    // Only with the admin key.
    let r = env.call("GET", "/api/v1/admin/operators", &[], b"").await;
    assert_eq!(r.status, 401);
    let r = admin(&env, "GET", &path, &json!(null)).await;
    assert_eq!(r.status, 404);
    // Every wrong field named.
    let r = admin(
        &env,
        "PUT",
        &path,
        &json!({"grants": [{"ecFiscalCode": "123", "role": "root"}, {"ecFiscalCode": EC, "role": "admin", "x": 1}]}),
    )
    .await;
    assert_eq!(r.status, 422, "{}", html(&r));
    let fields = r.error_fields();
    assert!(
        fields.contains(&"grants[0].ecFiscalCode".to_owned()),
        "{fields:?}"
    );
    assert!(fields.contains(&"grants[0].role".to_owned()), "{fields:?}");
    assert!(fields.contains(&"grants[1].x".to_owned()), "{fields:?}");
    // An EC the portal does not serve, or twice.
    let r = admin(
        &env,
        "PUT",
        &path,
        &json!({"grants": [{"ecFiscalCode": "01199250158", "role": "admin"}]}),
    )
    .await;
    assert_eq!(r.status, 422);
    let r = admin(
        &env,
        "PUT",
        &path,
        &json!({"grants": [{"ecFiscalCode": EC, "role": "admin"}, {"ecFiscalCode": EC, "role": "read-only"}]}),
    )
    .await;
    assert_eq!(r.status, 422);
    // Granted, read back, listed.
    let r = admin(
        &env,
        "PUT",
        &path,
        &json!({"grants": [{"ecFiscalCode": EC, "role": "operator"}, {"ecFiscalCode": OTHER, "role": "read-only"}]}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", html(&r));
    assert_eq!(r.json()["grants"][1]["role"], "read-only");
    let got = admin(&env, "GET", &path, &json!(null)).await.json();
    assert_eq!(got["fiscalCode"], OPERATOR);
    assert_eq!(got["grants"].as_array().unwrap().len(), 2);
    let list = admin(&env, "GET", "/api/v1/admin/operators", &json!(null))
        .await
        .json();
    assert_eq!(list.as_array().unwrap().len(), 1);
    // An empty list removes the operator; DELETE of none is 404.
    let r = admin(&env, "PUT", &path, &json!({"grants": []})).await;
    assert_eq!(r.status, 204);
    assert_eq!(admin(&env, "DELETE", &path, &json!(null)).await.status, 404);
    // A malformed fiscal code in the path.
    let r = admin(&env, "GET", "/api/v1/admin/operators/NOTACF", &json!(null)).await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn the_console_lists_searches_and_keeps_each_operator_to_their_ec() {
    let env = TestEnv::new().await;
    for (i, due) in ["2099-03-01", "2099-01-15", "2099-02-10"]
        .iter()
        .enumerate()
    {
        let r = env
            .create(
                EC,
                &position(EC, &format!("CONS-{i}"), MARIO, 1000 + i as u64, due),
            )
            .await;
        assert_eq!(r.status, 201, "{}", html(&r));
    }
    let r = env
        .create(OTHER, &position(OTHER, "OTHER-1", MARIO, 500, "2099-01-01"))
        .await;
    assert_eq!(r.status, 201, "{}", html(&r));

    // Not signed in: to the login page, coming back here.
    let r = env.call("GET", "/backoffice", &[], b"").await;
    assert_eq!(r.status, 303);
    assert_eq!(r.headers["location"], "/accesso?torna=%2Fbackoffice");

    // Signed in without a grant: 403.
    let mut b = signed_in(&env, OPERATOR).await;
    let r = b.get(&env, "/backoffice").await;
    assert_eq!(r.status, 403);
    assert!(html(&r).contains("console-message"));

    let put = admin(
        &env,
        "PUT",
        &format!("/api/v1/admin/operators/{OPERATOR}"),
        &json!({"grants": [{"ecFiscalCode": EC, "role": "read-only"}]}),
    )
    .await;
    assert_eq!(put.status, 200);
    // One EC: straight there.
    let r = b.get(&env, "/backoffice").await;
    assert_eq!(r.status, 303);
    assert_eq!(r.headers["location"], format!("/backoffice/{EC}/posizioni"));
    // The listing (DynamoDB's gsi2 on moto): by first due date, only this EC's.
    let r = b.get(&env, &format!("/backoffice/{EC}/posizioni")).await;
    assert_eq!(r.status, 200, "{}", html(&r));
    let page = html(&r);
    let at = |s: &str| page.find(s).unwrap_or_else(|| panic!("{s} missing"));
    assert!(at("CONS-1") < at("CONS-2") && at("CONS-2") < at("CONS-0"));
    assert!(!page.contains("OTHER-1"));
    // A due-date window.
    let r = b
        .get(
            &env,
            &format!("/backoffice/{EC}/posizioni?scadenza_da=2099-02-01&scadenza_a=2099-02-28"),
        )
        .await;
    let page = html(&r);
    assert!(page.contains("CONS-2") && !page.contains("CONS-1") && !page.contains("CONS-0"));
    // Another EC's pages: 403, nothing of its positions.
    for path in [
        format!("/backoffice/{OTHER}/posizioni"),
        format!("/backoffice/{OTHER}/posizioni/OTHER-1"),
        format!("/backoffice/{OTHER}/pagamenti/esporta?formato=csv"),
    ] {
        let r = b.get(&env, &path).await;
        assert_eq!(r.status, 403, "{path}");
        assert!(!html(&r).contains("Mario Rossi"), "{path}");
    }
    // Read-only: a cancel is refused (after the CSRF check), the position stays.
    let r = b
        .post(
            &env,
            &format!("/backoffice/{EC}/posizioni/CONS-0/annulla"),
            &[],
        )
        .await;
    assert_eq!(r.status, 403);
    // Operator: without the CSRF token, refused; with it, cancelled.
    admin(
        &env,
        "PUT",
        &format!("/api/v1/admin/operators/{OPERATOR}"),
        &json!({"grants": [{"ecFiscalCode": EC, "role": "operator"}]}),
    )
    .await;
    let r = b
        .post(
            &env,
            &format!("/backoffice/{EC}/posizioni/CONS-0/annulla"),
            &[("csrf", "0123456789abcdef0123456789abcdef")],
        )
        .await;
    assert_eq!(r.status, 403);
    let r = b
        .post(
            &env,
            &format!("/backoffice/{EC}/posizioni/CONS-0/annulla"),
            &[],
        )
        .await;
    assert_eq!(r.status, 303, "{}", html(&r));
    let api = env
        .operator(
            "GET",
            &format!("/api/v1/organizations/{EC}/debt-positions/CONS-0"),
            &json!(null),
        )
        .await
        .json();
    assert_eq!(api["status"], "cancelled");
    // Revoked: at once.
    admin(
        &env,
        "DELETE",
        &format!("/api/v1/admin/operators/{OPERATOR}"),
        &json!(null),
    )
    .await;
    let r = b.get(&env, &format!("/backoffice/{EC}/posizioni")).await;
    assert_eq!(r.status, 403);
}

#[tokio::test]
async fn bad_addresses_and_inputs_get_clear_answers() {
    let env = TestEnv::new().await;
    let r = env
        .create(EC, &position(EC, "EDGE-1", MARIO, 1000, "2099-03-01"))
        .await;
    assert_eq!(r.status, 201, "{}", html(&r));
    admin(
        &env,
        "PUT",
        &format!("/api/v1/admin/operators/{OPERATOR}"),
        &json!({"grants": [{"ecFiscalCode": EC, "role": "admin"}]}),
    )
    .await;
    let mut b = signed_in(&env, OPERATOR).await;
    let base = format!("/backoffice/{EC}");
    for (path, status) in [
        ("/backoffice/NOT-AN-EC/posizioni".to_owned(), 404),
        (format!("{base}/pagina-inesistente"), 404),
        (format!("{base}/posizioni/NO-SUCH-IUPD"), 404),
        (format!("{base}/posizioni/bad%20iupd"), 404),
        (format!("{base}/posizioni/EDGE-1/ricevute/nope.pdf"), 404),
        (format!("{base}/posizioni/EDGE-1/ricevute/nope.exe"), 404),
        (format!("{base}/importazioni/not-an-id"), 404),
        (
            format!("{base}/importazioni/00000000000000000000000000000000/rapporto"),
            404,
        ),
        (format!("{base}/catalogo/NOPE"), 404),
        (format!("{base}/pagamenti?da=2026-13-01"), 400),
        (format!("{base}/pagamenti/esporta?formato=pdf"), 400),
        (format!("{base}/posizioni?scadenza_da=ieri"), 400),
    ] {
        let r = b.get(&env, &path).await;
        assert_eq!(r.status, status, "{path}: {}", html(&r));
        assert!(r.content_type().starts_with("text/html"), "{path}");
    }
    // A method the page does not take.
    let r = env
        .call(
            "PUT",
            &format!("{base}/posizioni"),
            &[("cookie", &b.header())],
            b"",
        )
        .await;
    assert_eq!(r.status, 405);
    // A paid option cannot be edited: the form is refused, with the reason.
    let r = b
        .post(&env, &format!("{base}/posizioni/EDGE-1/annulla"), &[])
        .await;
    assert_eq!(r.status, 303);
    let r = b
        .get(&env, &format!("{base}/posizioni/EDGE-1/modifica"))
        .await;
    assert_eq!(r.status, 409, "{}", html(&r));
    // Cancelling twice: a conflict, not a server error.
    let r = b
        .post(&env, &format!("{base}/posizioni/EDGE-1/annulla"), &[])
        .await;
    assert_eq!(r.status, 409, "{}", html(&r));
    // The import page's progress, as its script polls it.
    let started = env
        .call(
            "POST",
            &format!("/api/v1/organizations/{EC}/imports"),
            &[
                ("x-api-key", integration::API_KEY),
                ("content-type", "application/x-ndjson"),
            ],
            format!("{}\n", position(EC, "EDGE-2", MARIO, 500, "2099-04-01")).as_bytes(),
        )
        .await;
    assert_eq!(started.status, 202, "{}", html(&started));
    let id = started.json()["importId"].as_str().unwrap().to_owned();
    let r = b
        .get(&env, &format!("{base}/importazioni/{id}?formato=json"))
        .await;
    assert_eq!(r.status, 200);
    assert!(r.content_type().starts_with("application/json"));
    let p = r.json();
    assert!(p["percent"].as_u64().unwrap() <= 100, "{p}");
    assert!(p["final"].is_boolean());
}
