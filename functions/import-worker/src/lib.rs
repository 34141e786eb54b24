//! The import worker: runs bulk imports of debt positions.
//!
//! Invoked by EventBridge with
//! - S3's "Object Created" event for an import's file or its `continue`
//!   marker (`detail.object.key`): processes that import from its checkpoint;
//! - its schedule ("Scheduled Event"): resumes imports whose run died.
//!
//! An error makes the invocation fail, so EventBridge's asynchronous
//! invocation retries it; the import resumes from its last checkpoint.

/// The optional adapters this function wires (see `shared::app::wiring`).
pub const WIRING: u32 = shared::app::wiring::DOCUMENTS;

use std::time::Duration;

use serde_json::Value;
use shared::service::imports::{self, ImportError};
use shared::App;

/// Handles one event; `time_left` says how long the invocation may still run.
pub async fn handle(
    app: &App,
    event: Value,
    time_left: &(dyn Fn() -> Duration + Sync),
) -> Result<Value, ImportError> {
    match event.get("detail-type").and_then(Value::as_str) {
        Some("Object Created") => {
            let key = event
                .pointer("/detail/object/key")
                .and_then(Value::as_str)
                .unwrap_or_default();
            // Our keys hold only characters no encoding changes.
            let done = imports::triggered(app, key, time_left).await?;
            Ok(serde_json::json!({
                "import": done.as_ref().map(|i| i.import_id.clone()),
                "status": done.as_ref().map(|i| i.status),
            }))
        }
        _ => {
            let resumed = imports::sweep(app, time_left).await?;
            Ok(serde_json::json!({ "resumed": resumed }))
        }
    }
}
