//! The local stand-in for S3 → EventBridge → the import worker: finds the
//! objects whose creation would trigger the worker in AWS (an import's file,
//! its `continue` marker) and hands the worker the event EventBridge would.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::json;
use shared::App;

/// Which objects were delivered, by key and ETag (a marker written again is new).
pub struct Triggers {
    s3: aws_sdk_s3::Client,
    bucket: String,
    seen: Mutex<HashMap<String, String>>,
}

/// The keys whose creation triggers the worker (the rule's pattern in the template).
pub fn triggers_worker(key: &str) -> bool {
    let parts: Vec<&str> = key.split('/').collect();
    parts.len() == 4
        && parts[0] == "imports"
        && (parts[3].starts_with("source.") || parts[3] == "continue")
}

impl Triggers {
    pub fn new(s3: aws_sdk_s3::Client, bucket: impl Into<String>) -> Self {
        Self {
            s3,
            bucket: bucket.into(),
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Objects created since the last call, oldest first.
    async fn created(&self) -> Result<Vec<String>, String> {
        let mut found = Vec::new();
        let mut token = None;
        loop {
            let out = self
                .s3
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix("imports/")
                .set_continuation_token(token)
                .send()
                .await
                .map_err(|e| aws_sdk_s3::error::DisplayErrorContext(e).to_string())?;
            for o in out.contents() {
                let (Some(key), Some(etag)) = (o.key(), o.e_tag()) else {
                    continue;
                };
                if !triggers_worker(key) {
                    continue;
                }
                let mut seen = self.seen.lock().expect("seen");
                if seen.get(key).map(String::as_str) != Some(etag) {
                    seen.insert(key.to_owned(), etag.to_owned());
                    found.push((o.last_modified().map(|t| t.secs()), key.to_owned()));
                }
            }
            match out.next_continuation_token() {
                Some(t) => token = Some(t.to_owned()),
                None => break,
            }
        }
        found.sort();
        Ok(found.into_iter().map(|(_, k)| k).collect())
    }

    /// Delivers every new object's event to the import worker; how many.
    pub async fn deliver(&self, app: &App) -> Result<usize, String> {
        let keys = self.created().await?;
        for key in &keys {
            let event = json!({
                "source": "aws.s3",
                "detail-type": "Object Created",
                "detail": {"bucket": {"name": self.bucket}, "object": {"key": key}},
            });
            let time_left = || Duration::from_secs(900);
            if let Err(e) = import_worker::handle(app, event, &time_left).await {
                eprintln!("import worker ({key}): {e}");
            }
        }
        Ok(keys.len())
    }

    /// Delivers until nothing new appears (a run may leave a marker).
    pub async fn settle(&self, app: &App) -> Result<(), String> {
        while self.deliver(app).await? > 0 {}
        Ok(())
    }
}
