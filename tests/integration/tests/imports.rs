//! Bulk imports against moto: the file as the body or uploaded through a
//! presigned URL, its arrival delivered to the import worker as EventBridge
//! would, progress and the per-row report read back.

use integration::{Reply, TestEnv, API_KEY};
use serde_json::{json, Value};

const EC: &str = "77777777777";
const IMPORTS: &str = "/api/v1/organizations/77777777777/imports";

fn row(iupd: &str, cents: u64) -> String {
    json!({"iupd": iupd,
        "debtor": {"type": "F", "fiscalCode": "RSSMRA85T10A562S", "fullName": "Mario Rossi"},
        "serviceCode": "TARI", "description": "TARI 2026",
        "paymentOptions": [{"amountCents": cents, "dueDate": "2099-12-31", "description": "Rata unica",
            "transfers": [{"ecFiscalCode": EC, "iban": "IT60X0542811101000000123456",
                "amountCents": cents, "remittanceInformation": "TARI 2026", "category": "9/0101100IM/"}]}]})
    .to_string()
}

async fn post(env: &TestEnv, content_type: &str, body: &[u8]) -> Reply {
    env.call(
        "POST",
        IMPORTS,
        &[("x-api-key", API_KEY), ("content-type", content_type)],
        body,
    )
    .await
}

async fn status(env: &TestEnv, id: &str) -> Value {
    let r = env
        .operator("GET", &format!("{IMPORTS}/{id}"), &json!(null))
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.json()
}

#[tokio::test]
async fn an_ndjson_body_is_imported_and_reported_row_by_row() {
    let env = TestEnv::new().await;
    let mut file = String::new();
    for i in 0..40 {
        file.push_str(&row(&format!("IMP-{i}"), 1000 + i));
        file.push('\n');
    }
    file.push_str("{\"iupd\": \"BAD\"}\n{ not json\n");
    file.push_str(&row("IMP-0", 1000));
    file.push('\n');
    let r = post(&env, "application/x-ndjson", file.as_bytes()).await;
    assert_eq!(r.status, 202, "{}", String::from_utf8_lossy(&r.body));
    let accepted = r.json();
    let id = accepted["importId"].as_str().unwrap().to_owned();
    assert_eq!(accepted["status"], "queued");
    assert!(r.headers["location"].to_str().unwrap().ends_with(&id));
    assert_eq!(status(&env, &id).await["status"], "queued");

    env.deliver_triggers().await;
    let s = status(&env, &id).await;
    assert_eq!(s["status"], "done", "{s}");
    assert_eq!(s["rowsTotal"], 43);
    assert_eq!(s["rowsDone"], 43);
    assert_eq!(s["rowsCreated"], 40);
    assert_eq!(s["rowsUnchanged"], 1);
    assert_eq!(s["rowsFailed"], 2);
    let errors = s["errors"].as_array().unwrap();
    assert!(errors
        .iter()
        .any(|e| e["row"] == 41 && e["field"] == "debtor"));
    assert!(errors.iter().any(|e| e["row"] == 42 && e["field"] == ""));
    // The whole report, through its URL.
    let url = s["reportUrl"].as_str().unwrap();
    let report = reqwest::get(url).await.unwrap().text().await.unwrap();
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(lines[0], "row,iupd,outcome,field,message");
    assert_eq!(lines[1], "1,IMP-0,created,,");
    assert!(lines.contains(&"43,IMP-0,unchanged,,"));
    // The positions exist, with notice numbers the Nodo can verify.
    let p = env
        .operator(
            "GET",
            "/api/v1/organizations/77777777777/debt-positions/IMP-39",
            &json!(null),
        )
        .await
        .json();
    assert_eq!(p["paymentOptions"][0]["amountCents"], 1039);
    assert_eq!(p["paymentOptions"][0]["status"], "payable");
    let listed = env.operator("GET", IMPORTS, &json!(null)).await.json();
    assert_eq!(listed[0]["importId"], id.as_str());
}

#[tokio::test]
async fn a_large_file_goes_through_a_presigned_upload() {
    let env = TestEnv::new().await;
    let r = env
        .operator("POST", IMPORTS, &json!({"format": "csv"}))
        .await;
    assert_eq!(r.status, 202, "{}", String::from_utf8_lossy(&r.body));
    let a = r.json();
    assert_eq!(a["status"], "awaiting_upload");
    assert_eq!(a["uploadMethod"], "PUT");
    let id = a["importId"].as_str().unwrap().to_owned();
    let csv = "iupd,debtorType,debtorFiscalCode,debtorFullName,serviceCode,description,amountCents,dueDate,optionDescription,installment,transfer1EcFiscalCode,transfer1Iban,transfer1AmountCents,transfer1RemittanceInformation,transfer1Category\n\
CSV-1,F,RSSMRA85T10A562S,Mario Rossi,TARI,TARI 2026,200,2099-12-31,Prima rata,true,77777777777,IT60X0542811101000000123456,200,TARI 2026,9/0101100IM/\n\
CSV-1,F,RSSMRA85T10A562S,Mario Rossi,TARI,TARI 2026,300,2099-12-31,Seconda rata,true,77777777777,IT60X0542811101000000123456,300,TARI 2026,9/0101100IM/\n\
CSV-2,F,RSSMRA85T10A562X,Mario Rossi,TARI,TARI 2026,300,2099-12-31,Rata unica,false,77777777777,IT60X0542811101000000123456,300,TARI 2026,9/0101100IM/\n";
    let put = reqwest::Client::new()
        .put(a["uploadUrl"].as_str().unwrap())
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert!(put.status().is_success(), "{}", put.status());
    env.deliver_triggers().await;
    let s = status(&env, &id).await;
    assert_eq!(s["status"], "done", "{s}");
    assert_eq!(
        (s["rowsCreated"].as_u64(), s["rowsFailed"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(s["errors"][0]["row"], 4);
    assert_eq!(s["errors"][0]["field"], "debtorFiscalCode");
    let p = env
        .operator(
            "GET",
            "/api/v1/organizations/77777777777/debt-positions/CSV-1",
            &json!(null),
        )
        .await
        .json();
    assert_eq!(p["paymentOptions"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn files_that_are_not_ndjson_or_csv_are_refused_with_a_reason() {
    let env = TestEnv::new().await;
    let r = post(&env, "application/xml", b"<positions/>").await;
    assert!(r.problem(415)["detail"]
        .as_str()
        .unwrap()
        .contains("text/csv"));
    let r = post(&env, "text/csv", row("X", 1).as_bytes()).await;
    assert!(r.problem(422)["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("NDJSON"));
    let r = post(&env, "application/x-ndjson", b"iupd,debtorType\n").await;
    assert_eq!(r.error_fields(), vec!["file"]);
    let r = post(&env, "text/csv", b"iupd,colour\nA,red\n").await;
    assert!(r.problem(422)["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("colour"));
    let r = env
        .operator("POST", IMPORTS, &json!({"format": "xlsx"}))
        .await;
    assert_eq!(r.error_fields(), vec!["format"]);
    env.operator(
        "GET",
        &format!("{IMPORTS}/00000000000000000000000000000000"),
        &json!(null),
    )
    .await
    .problem(404);
    env.operator("GET", &format!("{IMPORTS}/nope"), &json!(null))
        .await
        .problem(404);
    // Another EC's key or none at all.
    env.call("GET", IMPORTS, &[], b"").await.problem(401);
}
