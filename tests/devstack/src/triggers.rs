//! The local stand-in for S3 → EventBridge → the workers: finds the objects
//! whose creation would trigger a worker in AWS (an import's file, its
//! `continue` marker, a reconciliation run asked for) and hands that worker
//! the event EventBridge would.

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

/// The worker an object's creation triggers (the rules' patterns in the template).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Worker {
    Import,
    Reconciliation,
}

pub fn worker_of(key: &str) -> Option<Worker> {
    let parts: Vec<&str> = key.split('/').collect();
    match parts.as_slice() {
        ["imports", _, _, last] if last.starts_with("source.") || *last == "continue" => {
            Some(Worker::Import)
        }
        ["reconciliation", _, "runs", _] => Some(Worker::Reconciliation),
        _ => None,
    }
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
        for prefix in ["imports/", "reconciliation/"] {
            self.created_under(prefix, &mut found).await?;
        }
        found.sort();
        Ok(found.into_iter().map(|(_, k)| k).collect())
    }

    async fn created_under(
        &self,
        prefix: &str,
        found: &mut Vec<(Option<i64>, String)>,
    ) -> Result<(), String> {
        let mut token = None;
        loop {
            let out = self
                .s3
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(prefix)
                .set_continuation_token(token)
                .send()
                .await
                .map_err(|e| aws_sdk_s3::error::DisplayErrorContext(e).to_string())?;
            for o in out.contents() {
                let (Some(key), Some(etag)) = (o.key(), o.e_tag()) else {
                    continue;
                };
                if worker_of(key).is_none() {
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
                None => return Ok(()),
            }
        }
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
            let outcome = match worker_of(key) {
                Some(Worker::Import) => import_worker::handle(app, event, &time_left)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string()),
                _ => reconciliation_worker::handle(app, event)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string()),
            };
            if let Err(e) = outcome {
                eprintln!("worker ({key}): {e}");
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
