//! The receipt worker: does the work a stored receipt owes (the PDF in S3, the
//! mail to the debtor and the payer). Two inputs:
//!
//! - the table's stream, for each new receipt (`INSERT` only: the worker's own
//!   updates of a receipt must not feed it again). A receipt whose work fails is
//!   reported in `batchItemFailures`, so the stream retries that record alone
//!   (and, past the retries, parks it in the dead-letter queue);
//! - a schedule (every five minutes in AWS; continuously in the local stack):
//!   a sweep of receipts still owing work received more than [`SWEEP_AGE`]
//!   ago, whatever happened to their stream records. It logs the age of the
//!   oldest owed work as a CloudWatch metric (embedded metric format), on which
//!   an alarm fires past an hour.
//!
//! Nothing is dropped, and the mail lease keeps a mail from being sent twice.

/// The optional adapters this function wires (see `shared::app::wiring`).
pub const WIRING: u32 =
    shared::app::wiring::PDF | shared::app::wiring::MAIL | shared::app::wiring::DOCUMENTS;

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};
use shared::domain::EcFiscalCode;
use shared::http::problem::cause_chain;
use shared::ports::StoreError;
use shared::service::receipts::{self, DeliveryError};
use shared::App;

/// How old owed work must be before the scheduled sweep takes it (younger work
/// is the stream's).
pub const SWEEP_AGE: Duration = Duration::minutes(5);

/// The metric the sweep logs, and the alarm of the template watches.
pub const OLDEST_METRIC: &str = "OldestOwedWorkAgeSeconds";

/// A new receipt of a stream record: (EC, receiptId, the record's sequence number).
fn new_receipt(record: &Value) -> Option<(EcFiscalCode, String, String)> {
    if record["eventName"] != "INSERT" {
        return None;
    }
    let keys = &record["dynamodb"]["Keys"];
    let id = keys["pk"]["S"].as_str()?.strip_prefix("RECEIPT#")?;
    let ec = EcFiscalCode::parse(keys["sk"]["S"].as_str()?.strip_prefix("EC#")?).ok()?;
    let seq = record["dynamodb"]["SequenceNumber"]
        .as_str()
        .unwrap_or_default();
    Some((ec, id.to_owned(), seq.to_owned()))
}

/// The receipts a DynamoDB stream batch adds: (EC, receiptId).
pub fn receipt_keys(event: &Value) -> Vec<(EcFiscalCode, String)> {
    event["Records"]
        .as_array()
        .map(|records| {
            records
                .iter()
                .filter_map(new_receipt)
                .map(|(ec, id, _)| (ec, id))
                .collect()
        })
        .unwrap_or_default()
}

/// Handles one invocation: a stream batch (with `Records`) or the schedule.
pub async fn handle(app: &App, event: Value) -> Result<Value, StoreError> {
    if event.get("Records").is_some() {
        return Ok(stream(app, &event).await);
    }
    let swept = sweep(app, app.clock.now() - SWEEP_AGE).await?;
    // CloudWatch embedded metric format: one JSON line on standard output.
    println!(
        "{}",
        json!({
            "_aws": {"Timestamp": app.clock.now().timestamp_millis(), "CloudWatchMetrics": [{
                "Namespace": "PortaleDeiPagamenti", "Dimensions": [[]],
                "Metrics": [{"Name": OLDEST_METRIC, "Unit": "Seconds"}]}]},
            OLDEST_METRIC: swept.oldest_age_secs,
        })
    );
    Ok(json!({"delivered": swept.delivered, "failed": swept.failed}))
}

async fn deliver_one(app: &App, ec: &EcFiscalCode, id: &str) -> Result<bool, DeliveryError> {
    // Read again: the stream image may be older than what was done since.
    match app.receipts.get_receipt(ec, id).await? {
        Some(r) if !r.owed.is_empty() => receipts::deliver(app, &r).await.map(|()| true),
        _ => Ok(false),
    }
}

/// A stream batch: each new receipt's work; the ones that failed are returned
/// as `batchItemFailures` (Lambda's partial batch response).
pub async fn stream(app: &App, event: &Value) -> Value {
    let mut failures = Vec::new();
    let mut delivered = 0;
    for record in event["Records"].as_array().into_iter().flatten() {
        let Some((ec, id, seq)) = new_receipt(record) else {
            continue;
        };
        match deliver_one(app, &ec, &id).await {
            Ok(done) => delivered += usize::from(done),
            Err(e) => {
                tracing::warn!(
                    error = %cause_chain(&e),
                    transient = e.is_transient(),
                    receipt_id = %id,
                    "receipt work failed, the stream retries it"
                );
                failures.push(json!({"itemIdentifier": seq}));
            }
        }
    }
    json!({"batchItemFailures": failures, "delivered": delivered})
}

/// What a sweep did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Swept {
    pub delivered: usize,
    pub failed: usize,
    /// Age of the oldest work still owed when the sweep started, in seconds.
    pub oldest_age_secs: i64,
}

/// Does the owed work of every receipt received before `received_before`.
pub async fn sweep(app: &App, received_before: DateTime<Utc>) -> Result<Swept, StoreError> {
    let owing = app.receipts.receipts_owing_work(received_before).await?;
    let now = app.clock.now();
    let mut swept = Swept {
        oldest_age_secs: owing
            .iter()
            .map(|r| (now - r.received_at).num_seconds())
            .max()
            .unwrap_or(0),
        ..Swept::default()
    };
    for r in owing {
        match receipts::deliver(app, &r).await {
            Ok(()) => swept.delivered += 1,
            Err(e) => {
                swept.failed += 1;
                tracing::warn!(
                    error = %cause_chain(&e),
                    transient = e.is_transient(),
                    receipt_id = %r.receipt.receipt_id,
                    "receipt work failed, will retry"
                )
            }
        }
    }
    Ok(swept)
}
