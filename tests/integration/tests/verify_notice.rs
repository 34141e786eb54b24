//! Verify notice against moto: every status, the same 404 for an unknown notice
//! and a wrong fiscal code, and 400 for malformed input.

use chrono::{TimeZone, Utc};
use integration::{position, TestEnv};
use serde_json::json;

const EC: &str = "77777777777";
const MARIO: &str = "RSSMRA85T10A562S";
const CHIARA: &str = "CNTCHR83T41D969D";

async fn env_with_positions() -> (TestEnv, String) {
    // 1 December 2026, 10:00 in Italy.
    let env = TestEnv::at(Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap()).await;
    let r = env
        .create(EC, &position(EC, "P-1", MARIO, 15050, "2026-12-31"))
        .await;
    assert_eq!(r.status, 201);
    let notice = r.json()["paymentOptions"][0]["noticeNumber"]
        .as_str()
        .unwrap()
        .to_owned();
    (env, notice)
}

#[tokio::test]
async fn answers_the_summary_of_a_payable_notice() {
    let (env, notice) = env_with_positions().await;
    let r = env
        .get(&format!("/api/v1/notices/{notice}?fiscalCode={MARIO}"))
        .await;
    assert_eq!(r.status, 200);
    let b = r.json();
    assert_eq!(
        b,
        json!({"noticeNumber": notice, "iuv": &notice[1..], "ecFiscalCode": EC, "companyName": "Comune di Prova",
               "officeName": "Ente di test pagoPA", "serviceCode": "TARI", "description": "Rata unica",
               "debtor": {"type": "F", "fullName": "Mario Rossi"}, "amountCents": 15050, "dueDate": "2026-12-31",
               "status": "payable"})
    );
    // The debtor's fiscal code is not echoed back.
    assert!(!String::from_utf8_lossy(&r.body).contains(MARIO));
    // As printed on the avviso (groups of four) and in lower case.
    let grouped: String = notice
        .chars()
        .enumerate()
        .flat_map(|(i, c)| {
            if i > 0 && i % 4 == 0 {
                vec!['%', '2', '0', c]
            } else {
                vec![c]
            }
        })
        .collect();
    let r = env
        .get(&format!(
            "/api/v1/notices/{grouped}?fiscalCode={}",
            MARIO.to_lowercase()
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.json());
}

#[tokio::test]
async fn unknown_notice_and_wrong_debtor_get_the_same_answer() {
    let (env, notice) = env_with_positions().await;
    let wrong_debtor = env
        .get(&format!("/api/v1/notices/{notice}?fiscalCode={CHIARA}"))
        .await;
    let never_issued = shared::domain::NoticeNumber::generate(
        shared::domain::SegregationCode::new(1).unwrap(),
        99_999,
    )
    .unwrap();
    let unknown = env
        .get(&format!(
            "/api/v1/notices/{never_issued}?fiscalCode={MARIO}"
        ))
        .await;
    let a = wrong_debtor.problem(404);
    let b = unknown.problem(404);
    assert_eq!(a, b);
    assert_eq!(wrong_debtor.body, unknown.body);
}

#[tokio::test]
async fn malformed_input_is_a_400_naming_the_parameter() {
    let (env, notice) = env_with_positions().await;
    let cases = [
        (
            format!("/api/v1/notices/12345?fiscalCode={MARIO}"),
            vec!["noticeNumber"],
        ),
        (
            format!("/api/v1/notices/301000000000000145?fiscalCode={MARIO}"),
            vec!["noticeNumber"],
        ),
        (
            format!("/api/v1/notices/{notice}?fiscalCode=RSSMRA85T10A562X"),
            vec!["fiscalCode"],
        ),
        (format!("/api/v1/notices/{notice}"), vec!["fiscalCode"]),
        (
            "/api/v1/notices/abc?fiscalCode=".to_string(),
            vec!["noticeNumber", "fiscalCode"],
        ),
    ];
    for (uri, fields) in cases {
        let r = env.get(&uri).await;
        r.problem(400);
        assert_eq!(r.error_fields(), fields, "{uri}");
    }
    env.call(
        "POST",
        &format!("/api/v1/notices/{notice}?fiscalCode={MARIO}"),
        &[],
        b"",
    )
    .await
    .problem(404);
}

#[tokio::test]
async fn reports_expired_paid_and_cancelled() {
    let (env, _) = env_with_positions().await;
    let mut exp = position(EC, "EXP", MARIO, 100, "2026-11-30");
    exp["switchToExpired"] = json!(true);
    let expired = env.create(EC, &exp).await.json()["paymentOptions"][0]["noticeNumber"]
        .as_str()
        .unwrap()
        .to_owned();
    // Past due, but the EC accepts late payments.
    let late = env
        .create(EC, &position(EC, "LATE", MARIO, 100, "2026-11-30"))
        .await
        .json()["paymentOptions"][0]["noticeNumber"]
        .as_str()
        .unwrap()
        .to_owned();
    let cancelled = env
        .create(EC, &position(EC, "CAN", MARIO, 100, "2026-12-31"))
        .await
        .json()["paymentOptions"][0]["noticeNumber"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        env.operator(
            "DELETE",
            "/api/v1/organizations/77777777777/debt-positions/CAN",
            &json!(null)
        )
        .await
        .status,
        200
    );

    let status = |n: String| {
        let env = &env;
        async move {
            env.get(&format!("/api/v1/notices/{n}?fiscalCode={MARIO}"))
                .await
                .json()["status"]
                .clone()
        }
    };
    assert_eq!(status(expired).await, "expired");
    assert_eq!(status(late).await, "payable");
    assert_eq!(status(cancelled).await, "cancelled");
}

#[tokio::test]
async fn finds_the_notice_of_the_right_ec_when_two_share_a_number() {
    let (env, notice) = env_with_positions().await;
    let other_ec = "80001234568";
    let mut p = position(other_ec, "SAME-NUMBER", CHIARA, 999, "2026-12-31");
    p["paymentOptions"][0]["noticeNumber"] = json!(notice);
    assert_eq!(env.create(other_ec, &p).await.status, 201);
    let mario = env
        .get(&format!("/api/v1/notices/{notice}?fiscalCode={MARIO}"))
        .await
        .json();
    let chiara = env
        .get(&format!("/api/v1/notices/{notice}?fiscalCode={CHIARA}"))
        .await
        .json();
    assert_eq!(mario["ecFiscalCode"], EC);
    assert_eq!(chiara["ecFiscalCode"], other_ec);
    assert_eq!(chiara["companyName"], "Comune di Borgo Esempio");
}

#[tokio::test]
async fn lookups_are_limited_per_client() {
    use lambda_http::http;
    let env = TestEnv::new().await;
    let mut app = (*env.app).clone();
    app.settings.lookup_limit_per_minute = 3;
    let routes = devstack::router::routes_from_file(&devstack::template_path()).unwrap();
    let stack = devstack::server::Stack::new(std::sync::Arc::new(app), routes).unwrap();
    let never = shared::domain::NoticeNumber::generate(
        shared::domain::SegregationCode::new(1).unwrap(),
        5_555,
    )
    .unwrap();
    let call = |ip: [u8; 4]| {
        let stack = &stack;
        async move {
            let (parts, ()) =
                http::Request::get(format!("/api/v1/notices/{never}?fiscalCode={MARIO}"))
                    .body(())
                    .unwrap()
                    .into_parts();
            stack
                .dispatch_from(parts, bytes::Bytes::new(), Some(std::net::IpAddr::from(ip)))
                .await
        }
    };
    for _ in 0..3 {
        assert_eq!(call([10, 0, 0, 1]).await.status(), 404);
    }
    let limited = call([10, 0, 0, 1]).await;
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["retry-after"], "60");
    assert_eq!(
        limited.headers()["content-type"],
        "application/problem+json"
    );
    // Another client is not affected.
    assert_eq!(call([10, 0, 0, 2]).await.status(), 404);
}
