//! The operators' command-line tool against a local stack on loopback: keys,
//! an import followed to its end, the payments export.

use clap::Parser;
use integration::soap::{receipt, send_rt};
use integration::{position, Live, ADMIN_KEY, API_KEY};
use portale::{run, Cli};

const EC: &str = "77777777777";

async fn portale(live: &Live, key: &str, args: &[&str]) -> Result<String, String> {
    let mut argv = vec![
        "portale",
        "--url",
        &live.portal,
        "--api-key",
        key,
        "--admin-key",
        ADMIN_KEY,
    ];
    argv.extend_from_slice(args);
    let cli = Cli::try_parse_from(argv).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    run(cli, &mut out).await.map_err(|e| e.to_string())?;
    Ok(String::from_utf8(out).unwrap())
}

#[tokio::test]
async fn an_operator_issues_a_key_imports_a_file_and_exports_payments() {
    let live = Live::start(|_, _| {}).await;
    // The import worker's events, as EventBridge would deliver them.
    let app = live.env.app.clone();
    let triggers = devstack::triggers::Triggers::new(
        devstack::emulator_clients(&integration::endpoint())
            .await
            .s3,
        live.env.names.bucket.clone(),
    );
    tokio::spawn(async move {
        loop {
            let _ = triggers.deliver(&app).await;
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    });

    // A key of the EC, issued with the admin key; then used for everything.
    let out = portale(
        &live,
        "",
        &["keys", "create", EC, "--label", "ufficio tributi"],
    )
    .await
    .unwrap();
    let key = out
        .lines()
        .find_map(|l| l.strip_prefix("PORTALE_API_KEY="))
        .unwrap()
        .to_owned();
    let listed = portale(&live, "", &["keys", "list", EC]).await.unwrap();
    assert!(listed.contains("ufficio tributi"), "{listed}");
    assert!(!listed.contains(&key[33..]));

    let dir = std::env::temp_dir().join(format!("portale-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("tari.ndjson");
    let mut text = String::new();
    for i in 0..25 {
        text.push_str(
            &position(
                EC,
                &format!("CLI-{i}"),
                "RSSMRA85T10A562S",
                1000 + i,
                "2099-12-31",
            )
            .to_string(),
        );
        text.push('\n');
    }
    text.push_str("{\"iupd\": \"BROKEN\"}\n");
    std::fs::write(&file, text).unwrap();
    let report = dir.join("report.csv");
    let out = portale(
        &live,
        &key,
        &[
            "import",
            EC,
            file.to_str().unwrap(),
            "--report",
            report.to_str().unwrap(),
        ],
    )
    .await
    .unwrap();
    assert!(
        out.contains("stato done: 26 righe, 25 create, 0 invariate, 1 con errori"),
        "{out}"
    );
    assert!(out.contains("riga 26:"), "{out}");
    let report = std::fs::read_to_string(&report).unwrap();
    assert!(report.starts_with("row,iupd,outcome,field,message"));
    assert_eq!(
        report.lines().filter(|l| l.contains(",created,")).count(),
        25
    );
    // The same file through a presigned upload: every row unchanged.
    let out = portale(
        &live,
        &key,
        &["import", EC, file.to_str().unwrap(), "--upload"],
    )
    .await
    .unwrap();
    assert!(
        out.contains("stato done: 26 righe, 0 create, 25 invariate, 1 con errori"),
        "{out}"
    );

    // A payment, then the export as CSV.
    let got = live
        .env
        .operator(
            "GET",
            &format!("/api/v1/organizations/{EC}/debt-positions/CLI-3"),
            &serde_json::json!(null),
        )
        .await
        .json();
    let notice = got["paymentOptions"][0]["noticeNumber"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = live
        .env
        .soap(
            &send_rt(true, EC, &receipt(true, EC, &notice, "rcpt-cli", 1003)),
            None,
        )
        .await;
    assert_eq!(r.outcome(), "OK", "{}", r.raw);
    let csv = portale(
        &live,
        &key,
        &["payments", EC, "--from", "2026-12-01", "--to", "2026-12-01"],
    )
    .await
    .unwrap();
    assert!(csv.starts_with("paidAt,"), "{csv}");
    assert!(csv.contains(",rcpt-cli,"), "{csv}");
    let zip = dir.join("ricevute.zip");
    portale(
        &live,
        &key,
        &[
            "payments",
            EC,
            "--from",
            "2026-12-01",
            "--to",
            "2026-12-01",
            "--format",
            "zip",
            "-o",
            zip.to_str().unwrap(),
        ],
    )
    .await
    .unwrap();
    assert!(std::fs::read(&zip).unwrap().starts_with(b"PK"));

    // Refusals read as sentences: another EC, a bad period, a missing key, a bad file.
    let err = portale(
        &live,
        &key,
        &[
            "payments",
            "80001234568",
            "--from",
            "2026-12-01",
            "--to",
            "2026-12-01",
        ],
    )
    .await
    .unwrap_err();
    assert!(err.contains("errore 403"), "{err}");
    let err = portale(
        &live,
        &key,
        &["payments", EC, "--from", "2026-12-02", "--to", "2026-12-01"],
    )
    .await
    .unwrap_err();
    assert!(err.contains("errore 400") && err.contains("to:"), "{err}");
    let err = portale(&live, "", &["import-status", EC, "x"])
        .await
        .unwrap_err();
    assert!(err.contains("PORTALE_API_KEY"), "{err}");
    let bad = dir.join("posizioni.txt");
    std::fs::write(&bad, "x").unwrap();
    let err = portale(&live, API_KEY, &["import", EC, bad.to_str().unwrap()])
        .await
        .unwrap_err();
    assert!(err.contains("--format"), "{err}");
    let err = portale(
        &live,
        API_KEY,
        &["import", EC, bad.to_str().unwrap(), "--format", "csv"],
    )
    .await
    .unwrap_err();
    assert!(err.contains("errore 422"), "{err}");

    // Revoked: refused from the next call.
    let id = key.split('.').next().unwrap().to_owned();
    portale(&live, "", &["keys", "revoke", EC, &id])
        .await
        .unwrap();
    let err = portale(
        &live,
        &key,
        &["import-status", EC, "00000000000000000000000000000000"],
    )
    .await
    .unwrap_err();
    assert!(err.contains("errore 401"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn the_admin_grants_and_revokes_console_operators() {
    let live = Live::start(|_, _| {}).await;
    const OPERATOR: &str = "VRDGPP80A01H501U";
    let out = portale(
        &live,
        "",
        &["operators", "grant", OPERATOR, EC, "--role", "read-only"],
    )
    .await
    .unwrap();
    assert!(out.contains("read-only"), "{out}");
    // A second EC keeps the first; granting again replaces the role.
    portale(&live, "", &["operators", "grant", OPERATOR, "80001234568"])
        .await
        .unwrap();
    portale(
        &live,
        "",
        &["operators", "grant", OPERATOR, EC, "--role", "admin"],
    )
    .await
    .unwrap();
    let listed = portale(&live, "", &["operators", "list"]).await.unwrap();
    assert!(
        listed.contains(&format!("{OPERATOR}  80001234568 (operator), {EC} (admin)")),
        "{listed}"
    );
    // The console sees the grants at once.
    let grants = shared::service::operators::grants_of(
        &live.env.app,
        &shared::domain::FiscalCode::parse(OPERATOR).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(grants.len(), 2);
    // Unknown EC: the admin API's message.
    let err = portale(&live, "", &["operators", "grant", OPERATOR, "01199250158"])
        .await
        .unwrap_err();
    assert!(
        err.contains("errore 422") && err.contains("non gestito"),
        "{err}"
    );
    // Revoke one, then the last: the operator is gone.
    portale(&live, "", &["operators", "revoke", OPERATOR, EC])
        .await
        .unwrap();
    portale(&live, "", &["operators", "revoke", OPERATOR, "80001234568"])
        .await
        .unwrap();
    let err = portale(&live, "", &["operators", "revoke", OPERATOR, EC])
        .await
        .unwrap_err();
    assert!(err.contains("non è abilitato"), "{err}");
    let listed = portale(&live, "", &["operators", "list"]).await.unwrap();
    assert!(!listed.contains(OPERATOR), "{listed}");
}
