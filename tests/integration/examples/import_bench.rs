//! Positions per second a bulk import writes into the emulator (moto):
//! `tests/with-moto.sh cargo run -p integration --example import_bench [rows]`.
//!
//! Imports an NDJSON file of `rows` positions (default 5,000) through the
//! operator API and the import worker, and prints the time and the rate.
//! moto (Python, one process) is the bottleneck here, not the worker: the
//! figure is a floor for DynamoDB, not an estimate of it.

use std::time::Instant;

use integration::{TestEnv, API_KEY};
use serde_json::json;

#[tokio::main]
async fn main() {
    let rows: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(5_000);
    let env = TestEnv::new().await;
    let mut file = String::new();
    for i in 0..rows {
        let cents = 5_000 + i as u64 % 10_000;
        file.push_str(&json!({"iupd": format!("BENCH-{i:07}"),
            "debtor": {"type": "F", "fiscalCode": "RSSMRA85T10A562S", "fullName": "Mario Rossi"},
            "serviceCode": "TARI", "description": "TARI 2026",
            "paymentOptions": [{"amountCents": cents, "dueDate": "2099-12-31", "description": "Rata unica",
                "transfers": [{"ecFiscalCode": "77777777777", "iban": "IT60X0542811101000000123456",
                    "amountCents": cents, "remittanceInformation": "TARI 2026", "category": "9/0101100IM/"}]}]})
            .to_string());
        file.push('\n');
    }
    let t = Instant::now();
    let r = env
        .call(
            "POST",
            "/api/v1/organizations/77777777777/imports",
            &[
                ("x-api-key", API_KEY),
                ("content-type", "application/x-ndjson"),
            ],
            file.as_bytes(),
        )
        .await;
    assert_eq!(r.status, 202, "{}", String::from_utf8_lossy(&r.body));
    let id = r.json()["importId"].as_str().unwrap().to_owned();
    env.deliver_triggers().await;
    let secs = t.elapsed().as_secs_f64();
    let s = env
        .operator(
            "GET",
            &format!("/api/v1/organizations/77777777777/imports/{id}"),
            &json!(null),
        )
        .await
        .json();
    assert_eq!(s["rowsCreated"], rows as u64, "{s}");
    println!(
        "{rows} positions ({:.1} MB) imported into moto in {secs:.1} s: {:.0} positions/s",
        file.len() as f64 / 1e6,
        rows as f64 / secs
    );
}
