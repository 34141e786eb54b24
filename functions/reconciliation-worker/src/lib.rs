//! The reconciliation worker: acquires pagoPA's reporting flows and
//! reconciles them with the receipts.
//!
//! Invoked by EventBridge with
//! - its schedule ("Scheduled Event", hourly): every EC served;
//! - S3's "Object Created" event for a run asked through the operator API
//!   (`reconciliation/<ec>/runs/<id>`): that EC.
//!
//! An error makes the invocation fail, so EventBridge retries it; a run
//! resumes where the last one stopped (flows already stored are skipped).

/// The optional adapters this function wires (see `shared::app::wiring`).
pub const WIRING: u32 = shared::app::wiring::FDR | shared::app::wiring::DOCUMENTS;

use serde_json::{json, Value};
use shared::service::reconciliation::{self, ReconError};
use shared::App;

pub async fn handle(app: &App, event: Value) -> Result<Value, ReconError> {
    match event.get("detail-type").and_then(Value::as_str) {
        Some("Object Created") => {
            let key = event
                .pointer("/detail/object/key")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let Some(ec) = reconciliation::ec_of_run_key(key) else {
                tracing::warn!(key, "not a reconciliation run: ignored");
                return Ok(json!({"ignored": key}));
            };
            let report = reconciliation::run(app, &ec).await?;
            Ok(json!({"ec": ec, "report": report}))
        }
        _ => {
            let mut failed = None;
            let mut done = Vec::new();
            for (ec, r) in reconciliation::run_all(app).await {
                match r {
                    Ok(report) => done.push(json!({"ec": ec, "report": report})),
                    Err(e) => failed = Some(e),
                }
            }
            // Every EC was tried; a failure still fails the invocation (retried).
            match failed {
                Some(e) => Err(e),
                None => Ok(Value::Array(done)),
            }
        }
    }
}
