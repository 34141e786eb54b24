//! The receipt worker: fed by the table's stream in AWS (and by a sweep in the
//! local stack), it does the work a stored receipt owes: the PDF in S3 and the
//! mail to the debtor and the payer. Failures are returned, so the stream
//! retries the batch (and, past the retries, parks it in the dead-letter queue):
//! nothing is dropped, and the mail lease keeps it from being sent twice.

use serde_json::{json, Value};
use shared::domain::EcFiscalCode;
use shared::ports::StoreError;
use shared::service::receipts::{self, DeliveryError};
use shared::App;

/// The receipts a DynamoDB stream batch touches: (EC, receiptId).
pub fn receipt_keys(event: &Value) -> Vec<(EcFiscalCode, String)> {
    event["Records"]
        .as_array()
        .map(|records| {
            records
                .iter()
                .filter(|r| r["eventName"] != "REMOVE")
                .filter_map(|r| {
                    let keys = &r["dynamodb"]["Keys"];
                    let id = keys["pk"]["S"].as_str()?.strip_prefix("RECEIPT#")?;
                    let ec =
                        EcFiscalCode::parse(keys["sk"]["S"].as_str()?.strip_prefix("EC#")?).ok()?;
                    Some((ec, id.to_owned()))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Handles one stream batch.
pub async fn handle(app: &App, event: Value) -> Result<Value, DeliveryError> {
    let mut done = 0;
    for (ec, id) in receipt_keys(&event) {
        // Read again: the stream image may be older than what was done since.
        if let Some(r) = app.receipts.get_receipt(&ec, &id).await? {
            if !r.owed.is_empty() {
                receipts::deliver(app, &r).await?;
                done += 1;
            }
        }
    }
    Ok(json!({"delivered": done}))
}

/// Does the owed work of every receipt (the local stack's stand-in for the stream).
pub async fn sweep(app: &App) -> Result<usize, StoreError> {
    let owing = app.receipts.receipts_owing_work().await?;
    let mut done = 0;
    for r in owing {
        match receipts::deliver(app, &r).await {
            Ok(()) => done += 1,
            Err(e) => {
                tracing::warn!(
                    error = %shared::http::problem::cause_chain(&e),
                    transient = e.is_transient(),
                    receipt_id = %r.receipt.receipt_id,
                    "receipt work failed, will retry"
                )
            }
        }
    }
    Ok(done)
}
