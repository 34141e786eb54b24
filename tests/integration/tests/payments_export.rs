//! The payments export against moto: receipts delivered over SOAP, read back
//! as JSON pages, CSV and a ZIP of their XML; large exports through S3.

use integration::soap::{receipt, send_rt};
use integration::{position, Reply, TestEnv, API_KEY};
use serde_json::{json, Value};

const EC: &str = "77777777777";
const MARIO: &str = "RSSMRA85T10A562S";
const PAYMENTS: &str = "/api/v1/organizations/77777777777/payments";

async fn pay(env: &TestEnv, iupd: &str, receipt_id: &str, time: &str) -> String {
    let created = env
        .create(EC, &position(EC, iupd, MARIO, 15050, "2099-12-31"))
        .await
        .json();
    let notice = created["paymentOptions"][0]["noticeNumber"]
        .as_str()
        .unwrap()
        .to_owned();
    let xml = receipt(true, EC, &notice, receipt_id, 15050).replace("2026-12-01T10:15:00", time);
    let r = env.soap(&send_rt(true, EC, &xml), None).await;
    assert_eq!(r.outcome(), "OK", "{}", r.raw);
    notice
}

async fn export(env: &TestEnv, query: &str, accept: &str) -> Reply {
    env.call(
        "GET",
        &format!("{PAYMENTS}?{query}"),
        &[("x-api-key", API_KEY), ("accept", accept)],
        b"",
    )
    .await
}

#[tokio::test]
async fn paid_receipts_are_exported_as_pages_csv_and_zip() {
    let env = TestEnv::new().await;
    let a = pay(&env, "P-1", "rcpt-a", "2026-12-01T10:15:00").await;
    pay(&env, "P-2", "rcpt-b", "2026-12-01T23:30:00").await;
    // 2 December 00:30 in Italy is still 1 December 23:30 UTC: the next day.
    pay(&env, "P-3", "rcpt-c", "2026-12-02T00:30:00").await;

    let r = export(
        &env,
        "from=2026-12-01&to=2026-12-01&limit=1",
        "application/json",
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let body = r.json();
    let row = &body["items"][0];
    assert_eq!(row["receiptId"], "rcpt-a");
    assert_eq!(row["noticeNumber"], a.as_str());
    assert_eq!(row["iuv"], &a[1..]);
    assert_eq!(row["iupd"], "P-1");
    assert_eq!(row["transferId"], 1);
    assert_eq!(row["amountCents"], 15050);
    assert_eq!(row["iban"], "IT60X0542811101000000123456");
    assert_eq!(row["category"], "9/0101100IM/");
    assert_eq!(row["debtorFiscalCode"], MARIO);
    assert_eq!(row["payerFiscalCode"], "CNTCHR83T41D969D");
    assert_eq!(row["pspId"], "BCITITMM");
    assert_eq!(row["paidAt"], "2026-12-01T09:15:00Z");
    let next = body["next"].as_str().expect("a next page").to_owned();
    let r = export(
        &env,
        &format!(
            "from=2026-12-01&to=2026-12-01&limit=1&cursor={}",
            percent(&next)
        ),
        "application/json",
    )
    .await;
    let body = r.json();
    assert_eq!(body["items"][0]["receiptId"], "rcpt-b");
    assert_eq!(body["next"], Value::Null);

    let r = export(&env, "from=2026-12-01&to=2026-12-02", "text/csv").await;
    assert_eq!(r.status, 200);
    assert!(r.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(r.headers["content-disposition"]
        .to_str()
        .unwrap()
        .contains("pagamenti-77777777777-2026-12-01-2026-12-02.csv"));
    let mut reader = csv::Reader::from_reader(r.body.as_slice());
    let header = reader.headers().unwrap().clone();
    assert_eq!(&header[0], "paidAt");
    let ids: Vec<String> = reader
        .records()
        .map(|rec| rec.unwrap()[4].to_owned())
        .collect();
    assert_eq!(ids, ["rcpt-a", "rcpt-b", "rcpt-c"]);

    let r = export(&env, "from=2026-12-02&to=2026-12-02", "application/zip").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.content_type(), "application/zip");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(r.body)).unwrap();
    assert_eq!(zip.len(), 1);
    let mut xml = String::new();
    std::io::Read::read_to_string(&mut zip.by_index(0).unwrap(), &mut xml).unwrap();
    assert!(xml.contains("<receiptId>rcpt-c</receiptId>"), "{xml}");

    // An empty period: the header only.
    let r = export(&env, "from=2027-01-01&to=2027-01-01", "text/csv").await;
    assert_eq!(String::from_utf8_lossy(&r.body).lines().count(), 1);
}

#[tokio::test]
async fn bad_periods_and_other_ecs_are_refused() {
    let env = TestEnv::new().await;
    for (query, field) in [
        ("to=2026-12-01", "from"),
        ("from=2026-12-01", "to"),
        ("from=01/12/2026&to=2026-12-01", "from"),
        ("from=2026-12-02&to=2026-12-01", "to"),
        ("from=2025-01-01&to=2026-12-01", "to"),
        ("from=2026-12-01&to=2026-12-01&limit=0", "limit"),
        ("from=2026-12-01&to=2026-12-01&cursor=zzz", "cursor"),
    ] {
        let r = export(&env, query, "application/json").await;
        assert_eq!(r.status, 400, "{query}");
        assert_eq!(r.error_fields(), vec![field.to_owned()], "{query}");
    }
    let r = env
        .call(
            "GET",
            "/api/v1/organizations/01199250158/payments?from=2026-12-01&to=2026-12-01",
            &[("x-api-key", API_KEY)],
            b"",
        )
        .await;
    r.problem(404);
    let r = env
        .call(
            "GET",
            &format!("{PAYMENTS}?from=2026-12-01&to=2026-12-01"),
            &[],
            b"",
        )
        .await;
    r.problem(401);
    let r = env
        .operator(
            "POST",
            &format!("{PAYMENTS}?from=2026-12-01&to=2026-12-01"),
            &json!({}),
        )
        .await;
    // No such route (API Gateway answers 404 for a method it does not route).
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn a_large_export_is_stored_and_linked() {
    let env = TestEnv::build_custom(
        shared::app::Clock::system(),
        API_KEY,
        "http://127.0.0.1:3000",
        "http://127.0.0.1:3001/checkout/ec/v2",
        |names| names.inline_export_bytes = 100,
    )
    .await;
    pay(&env, "P-9", "rcpt-z", "2026-12-01T10:15:00").await;
    let r = export(&env, "from=2026-12-01&to=2026-12-01", "text/csv").await;
    assert_eq!(r.status, 303, "{}", String::from_utf8_lossy(&r.body));
    let url = r.headers["location"].to_str().unwrap().to_owned();
    assert!(url.contains("/exports/77777777777/"), "{url}");
    assert!(url.contains("X-Amz-Signature="), "{url}");
    // The link reads the export without credentials.
    let got = reqwest::get(&url).await.unwrap();
    assert_eq!(got.status(), 200);
    let text = got.text().await.unwrap();
    assert!(text.starts_with("paidAt,"));
    assert!(text.contains("rcpt-z"));
}

fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
