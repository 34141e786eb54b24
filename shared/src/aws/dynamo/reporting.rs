//! Reporting flows and reconciliation.
//!
//! | item     | pk                              | sk               | gsi1pk        | gsi1sk                  |
//! |----------|---------------------------------|------------------|---------------|-------------------------|
//! | flow     | `FLOW#<ec>#<psp>#<flowId>`      | `FLOW`           | `FLOWS#<ec>`  | `<published>#<flowId>`  |
//! | reported | `REPORTED#<ec>#<iuv>`           | `T#<idTransfer>` |               |                         |
//! | anomaly  | `ANOMALIES#<ec>`                | `<scope>#<key>`  |               |                         |
//! | cursor   | `FDRCURSOR#<ec>`                | `CURSOR`         |               |                         |

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{DeleteRequest, KeysAndAttributes, PutRequest, WriteRequest};

use super::*;
use chrono::{DateTime, Utc};

use crate::ports::{AnomalyRecord, FlowRecord, Reported, ReportingStore};

fn flow_pk(ec: &EcFiscalCode, psp: &str, flow_id: &str) -> String {
    format!("FLOW#{ec}#{psp}#{flow_id}")
}
fn reported_key(ec: &EcFiscalCode, iuv: &str, t: u8) -> Item {
    HashMap::from([
        ("pk".into(), s(format!("REPORTED#{ec}#{iuv}"))),
        ("sk".into(), s(format!("T#{t}"))),
    ])
}

impl DynamoTable {
    /// Writes or deletes items 25 at a time, retrying what DynamoDB leaves unprocessed.
    async fn batch_write(&self, mut requests: Vec<WriteRequest>) -> Result<(), StoreError> {
        while !requests.is_empty() {
            let rest = requests.split_off(requests.len().min(25));
            let mut batch = HashMap::from([(self.table.clone(), requests)]);
            for attempt in 0..8 {
                let out = self
                    .client
                    .batch_write_item()
                    .set_request_items(Some(batch))
                    .send()
                    .await
                    .map_err(unavailable)?;
                match out.unprocessed_items {
                    Some(u) if !u.is_empty() => {
                        batch = u;
                        tokio::time::sleep(std::time::Duration::from_millis(50 << attempt)).await;
                    }
                    _ => {
                        batch = HashMap::new();
                        break;
                    }
                }
            }
            if !batch.is_empty() {
                return Err(StoreError::Throttled(
                    "batch write left items unprocessed".into(),
                ));
            }
            requests = rest;
        }
        Ok(())
    }
}

#[async_trait]
impl ReportingStore for DynamoTable {
    async fn flow_revision(
        &self,
        ec: &EcFiscalCode,
        psp_id: &str,
        flow_id: &str,
    ) -> Result<Option<u64>, StoreError> {
        let item = self.get_item(flow_pk(ec, psp_id, flow_id), "FLOW").await?;
        item.map(|i| get_n(&i, "revision")).transpose()
    }

    async fn put_flow(&self, r: &FlowRecord) -> Result<bool, StoreError> {
        let f = &r.flow;
        let doc = serde_json::to_string(r).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let item = HashMap::from([
            ("pk".into(), s(flow_pk(&f.ec, &f.psp_id, &f.flow_id))),
            ("sk".into(), s("FLOW")),
            ("kind".into(), s("flow")),
            ("doc".into(), s(doc)),
            ("revision".into(), n(f.revision)),
            ("gsi1pk".into(), s(format!("FLOWS#{}", f.ec))),
            (
                "gsi1sk".into(),
                s(format!("{}#{}", f.published.to_rfc3339(), f.flow_id)),
            ),
        ]);
        // A later revision replaces the flow; the same one again is skipped.
        self.put_if(
            item,
            "attribute_not_exists(pk) OR revision < :rev",
            &[(":rev", n(f.revision))],
        )
        .await
    }

    async fn flows(&self, ec: &EcFiscalCode, limit: usize) -> Result<Vec<FlowRecord>, StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(GSI_DEBTOR)
            .key_condition_expression("gsi1pk = :pk")
            .expression_attribute_values(":pk", s(format!("FLOWS#{ec}")))
            .scan_index_forward(false)
            .limit(limit.clamp(1, 500) as i32)
            .send()
            .await
            .map_err(unavailable)?;
        out.items().iter().map(|i| read_doc(i, "flow")).collect()
    }

    async fn mark_reported(
        &self,
        ec: &EcFiscalCode,
        lines: &[(String, u8, Reported)],
    ) -> Result<(), StoreError> {
        let mut requests = Vec::new();
        for (iuv, t, r) in lines {
            let mut item = reported_key(ec, iuv, *t);
            let doc = serde_json::to_string(r).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            item.insert("kind".into(), s("reported"));
            item.insert("doc".into(), s(doc));
            let put = PutRequest::builder()
                .set_item(Some(item))
                .build()
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            requests.push(WriteRequest::builder().put_request(put).build());
        }
        self.batch_write(requests).await
    }

    async fn reported(
        &self,
        ec: &EcFiscalCode,
        keys: &[(String, u8)],
    ) -> Result<Vec<Option<Reported>>, StoreError> {
        let mut found: HashMap<(String, String), Reported> = HashMap::new();
        let mut unique: Vec<Item> = Vec::new();
        for (iuv, t) in keys {
            let k = reported_key(ec, iuv, *t);
            if !unique.contains(&k) {
                unique.push(k);
            }
        }
        for chunk in unique.chunks(100) {
            let mut pending = Some(
                KeysAndAttributes::builder()
                    .set_keys(Some(chunk.to_vec()))
                    .consistent_read(true)
                    .build()
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            );
            let mut attempt = 0;
            while let Some(ka) = pending.take() {
                let out = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, ka)
                    .send()
                    .await
                    .map_err(unavailable)?;
                for item in out
                    .responses()
                    .and_then(|r| r.get(&self.table))
                    .into_iter()
                    .flatten()
                {
                    found.insert(
                        (get_s(item, "pk")?.to_owned(), get_s(item, "sk")?.to_owned()),
                        read_doc(item, "reported")?,
                    );
                }
                pending = out
                    .unprocessed_keys
                    .and_then(|mut u| u.remove(&self.table))
                    .filter(|k| !k.keys().is_empty());
                attempt += 1;
                if pending.is_some() {
                    if attempt > 8 {
                        return Err(StoreError::Throttled("batch get left keys".into()));
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(50 << attempt)).await;
                }
            }
        }
        Ok(keys
            .iter()
            .map(|(iuv, t)| {
                found
                    .get(&(format!("REPORTED#{ec}#{iuv}"), format!("T#{t}")))
                    .cloned()
            })
            .collect())
    }

    async fn replace_anomalies(
        &self,
        ec: &EcFiscalCode,
        scope: &str,
        anomalies: &[AnomalyRecord],
    ) -> Result<(), StoreError> {
        let pk = format!("ANOMALIES#{ec}");
        let old = self
            .query_all(
                None,
                "pk = :pk AND begins_with(sk, :scope)",
                &[(":pk", s(pk.clone())), (":scope", s(format!("{scope}#")))],
            )
            .await?;
        let new_sks: Vec<String> = anomalies
            .iter()
            .map(|a| format!("{scope}#{}", a.anomaly.key()))
            .collect();
        let mut requests = Vec::new();
        for item in &old {
            let sk = get_s(item, "sk")?;
            if !new_sks.iter().any(|n| n == sk) {
                let del = DeleteRequest::builder()
                    .key("pk", s(pk.clone()))
                    .key("sk", s(sk))
                    .build()
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                requests.push(WriteRequest::builder().delete_request(del).build());
            }
        }
        for (a, sk) in anomalies.iter().zip(new_sks) {
            let known = old.iter().any(|i| get_s(i, "sk").is_ok_and(|o| o == sk));
            if known {
                continue; // found again: it keeps its first detection time
            }
            let doc = serde_json::to_string(a).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let put = PutRequest::builder()
                .item("pk", s(pk.clone()))
                .item("sk", s(sk))
                .item("kind", s("anomaly"))
                .item("doc", s(doc))
                .build()
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            requests.push(WriteRequest::builder().put_request(put).build());
        }
        self.batch_write(requests).await
    }

    async fn anomalies(&self, ec: &EcFiscalCode) -> Result<Vec<AnomalyRecord>, StoreError> {
        let items = self
            .query_all(None, "pk = :pk", &[(":pk", s(format!("ANOMALIES#{ec}")))])
            .await?;
        items.iter().map(|i| read_doc(i, "anomaly")).collect()
    }

    async fn cursor(&self, ec: &EcFiscalCode) -> Result<Option<DateTime<Utc>>, StoreError> {
        let item = self.get_item(format!("FDRCURSOR#{ec}"), "CURSOR").await?;
        Ok(item
            .as_ref()
            .and_then(|i| get_s(i, "at").ok())
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc)))
    }

    async fn set_cursor(&self, ec: &EcFiscalCode, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(format!("FDRCURSOR#{ec}")))
            .item("sk", s("CURSOR"))
            .item("kind", s("cursor"))
            .item("at", s(at.to_rfc3339()))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}
