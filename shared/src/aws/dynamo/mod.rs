//! Every storage port on one DynamoDB table (single-table design, see docs/storage.md):
//! [`DynamoTable`] implements positions and rate counters (`positions`),
//! receipts and payments (`receipts`), the catalogue and sessions (`sessions`).
//!
//! | item            | pk                          | sk              | gsi1pk           | gsi1sk                 |
//! |-----------------|-----------------------------|-----------------|------------------|------------------------|
//! | position        | `POSITION#<ec>#<iupd>`      | `POSITION`      | `DEBTOR#<cf>`    | `POSITION#<ec>#<iupd>` |
//! | IUV claim       | `IUV#<iuv>`                 | `EC#<ec>`       |                  |                        |
//! | notice sequence | `SEQUENCE#<ec>#<seg>`       | `SEQUENCE`      |                  |                        |
//! | receipt         | `RECEIPT#<receiptId>`       | `EC#<idPA>`     | `RECEIPTS#<notice>` | `EC#<idPA>#<receiptId>` |
//! | rate counter    | `RATE#<scope>#<client>`     | `<window start>` |                 |                        |
//! | payment attempt | `ATTEMPT#<id>`              | `ATTEMPT`       |                  |                        |
//! | activation      | `ACTIVATION#<ec>#<notice>`  | `<RFC 3339 time>` |                |                        |
//! | service         | `SERVICES#<ec>`             | `SERVICE#<code>` |                 |                        |
//! | session         | `SESSION#<sha256(id)>`      | `SESSION`       |                  |                        |
//! | single-use      | `ONCE#<sha256(secret)>`     | `ONCE`          |                  |                        |
//! | operator key    | `KEY#<keyId>`               | `KEY`           | `KEYS#<ec>`      | `KEY#<created>#<keyId>` |
//! | import          | `IMPORT#<ec>#<id>`          | `IMPORT`        | `IMPORTS#<ec>`   | `IMPORT#<created>#<id>` |
//! | key ring        | `KEYS#<ec>`                 | `KEYS`          |                  |                        |
//!
//! A position is listed per EC on `gsi2`: `gsi2pk` = `POSITIONS#<ec>`, `gsi2sk` =
//! `<first due date>#<iupd>` (the console's search).
//! A receipt whose payer is not its debtor also carries `gsi2pk` = `PAYER#<cf>`,
//! `gsi2sk` = `RECEIPT#<receivedAt>#<receiptId>` (index `gsi2`). A receipt with
//! a positive outcome carries `gsi4pk` = `PAID#<idPA>`, `gsi4sk` =
//! `<paidAt>#<receiptId>` (index `gsi4`, the payments export).

use std::collections::HashMap;

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, ReturnValue, TransactWriteItem};
use aws_sdk_dynamodb::Client;

use crate::domain::receipt::Work;
use crate::domain::text::Iupd;
use crate::domain::{EcFiscalCode, FiscalCode, Iuv, Position};
use crate::ports::{ReceiptRecord, StoreError, Versioned};

mod imports;
mod keys;
mod ledger;
mod positions;
mod receipts;
mod reporting;
mod sessions;

/// Payment attempts are kept this long (DynamoDB TTL).
const ATTEMPT_TTL_DAYS: i64 = 30;

/// Activations are kept for reconciliation this long (DynamoDB TTL).
const ACTIVATION_TTL_DAYS: i64 = 90;

pub const GSI_DEBTOR: &str = "gsi1";
pub const GSI_PAYER: &str = "gsi2";
/// Paid receipts by EC and time of payment (the payments export).
pub const GSI_LEDGER: &str = "gsi4";
fn ledger_pk(ec: &EcFiscalCode) -> String {
    format!("PAID#{ec}")
}
/// Receipts that still owe work, by time of receipt (sparse: only those).
pub const GSI_OWED: &str = "gsi3";
const OWED: &str = "OWED";

/// The owed-work index's sort key: sortable time of receipt, then the id.
fn owed_sort_key(received_at: chrono::DateTime<chrono::Utc>, receipt_id: &str) -> String {
    format!(
        "{}#{receipt_id}",
        received_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    )
}

type Item = HashMap<String, AttributeValue>;

pub fn position_pk(ec: &EcFiscalCode, iupd: &Iupd) -> String {
    format!("POSITION#{ec}#{iupd}")
}
pub fn iuv_pk(iuv: &Iuv) -> String {
    format!("IUV#{iuv}")
}
pub fn ec_sk(ec: &EcFiscalCode) -> String {
    format!("EC#{ec}")
}
pub fn debtor_pk(cf: &FiscalCode) -> String {
    format!("DEBTOR#{cf}")
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}
fn n(v: u64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// A failed call: throttled when DynamoDB says so, unavailable otherwise.
fn unavailable<E, R>(e: SdkError<E, R>) -> StoreError
where
    E: std::error::Error + ProvideErrorMetadata + 'static,
    R: std::fmt::Debug,
{
    let throttled = e
        .as_service_error()
        .and_then(|s| s.code())
        .is_some_and(|c| {
            matches!(
                c,
                "ThrottlingException"
                    | "ProvisionedThroughputExceededException"
                    | "RequestLimitExceeded"
            )
        });
    let detail = DisplayErrorContext(e).to_string();
    if throttled {
        StoreError::Throttled(detail)
    } else {
        StoreError::Unavailable(detail)
    }
}

fn get_s<'a>(item: &'a Item, key: &str) -> Result<&'a str, StoreError> {
    item.get(key)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
        .ok_or_else(|| StoreError::Corrupt(format!("attribute {key} missing")))
}

fn get_n(item: &Item, key: &str) -> Result<u64, StoreError> {
    item.get(key)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| StoreError::Corrupt(format!("attribute {key} missing")))
}

fn position_item(p: &Position, version: u64) -> Result<Item, StoreError> {
    let doc = serde_json::to_string(p).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let pk = position_pk(&p.ec_fiscal_code, &p.iupd);
    Ok(HashMap::from([
        ("pk".into(), s(pk.clone())),
        ("sk".into(), s("POSITION")),
        ("gsi1pk".into(), s(debtor_pk(&p.debtor.fiscal_code))),
        ("gsi1sk".into(), s(pk)),
        (
            "gsi2pk".into(),
            s(format!("POSITIONS#{}", p.ec_fiscal_code)),
        ),
        ("gsi2sk".into(), s(crate::ports::listing_key(p))),
        ("kind".into(), s("position")),
        ("doc".into(), s(doc)),
        ("version".into(), n(version)),
    ]))
}

fn read_position(item: &Item) -> Result<Versioned<Position>, StoreError> {
    let value: Position = serde_json::from_str(get_s(item, "doc")?)
        .map_err(|e| StoreError::Corrupt(format!("position: {e}")))?;
    Ok(Versioned {
        value,
        version: get_n(item, "version")?,
    })
}

fn receipt_item(r: &ReceiptRecord) -> Result<Item, StoreError> {
    let doc = serde_json::to_string(r).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let mut item: Item = HashMap::from([
        ("pk".into(), s(format!("RECEIPT#{}", r.receipt.receipt_id))),
        ("sk".into(), s(ec_sk(&r.ec))),
        (
            "gsi1pk".into(),
            s(format!("RECEIPTS#{}", r.receipt.notice_number)),
        ),
        (
            "gsi1sk".into(),
            s(format!("EC#{}#{}", r.ec, r.receipt.receipt_id)),
        ),
        ("kind".into(), s("receipt")),
        ("doc".into(), s(doc)),
        ("receivedAt".into(), s(r.received_at.to_rfc3339())),
    ]);
    if let Some(a) = r.anomaly {
        item.insert(
            "anomaly".into(),
            s(serde_json::to_value(a)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?
                .as_str()
                .unwrap_or("unknown")),
        );
    }
    if !r.owed.is_empty() {
        item.insert("owed".into(), work_set(&r.owed));
        item.insert("gsi3pk".into(), s(OWED));
        item.insert(
            "gsi3sk".into(),
            s(owed_sort_key(r.received_at, &r.receipt.receipt_id)),
        );
    }
    if r.receipt.outcome == crate::domain::receipt::Outcome::Ok {
        item.insert("gsi4pk".into(), s(ledger_pk(&r.ec)));
        item.insert("gsi4sk".into(), s(r.ledger_key()));
    }
    if let Some(payer) = &r.receipt.payer {
        let id = payer.id.trim().to_ascii_uppercase();
        if !id.is_empty() && id != r.receipt.debtor.id.trim().to_ascii_uppercase() {
            item.insert("gsi2pk".into(), s(format!("PAYER#{id}")));
            item.insert(
                "gsi2sk".into(),
                s(format!(
                    "RECEIPT#{}#{}",
                    r.received_at.to_rfc3339(),
                    r.receipt.receipt_id
                )),
            );
        }
    }
    Ok(item)
}

/// A receipt item, with the work it still owes (the `owed` set) and where its
/// mail stands (attributes beside the document).
fn read_receipt(item: &Item) -> Result<ReceiptRecord, StoreError> {
    let mut r: ReceiptRecord = serde_json::from_str(get_s(item, "doc")?)
        .map_err(|e| StoreError::Corrupt(format!("receipt: {e}")))?;
    r.owed = owed_work(item);
    let time = |key: &str| {
        get_s(item, key)
            .ok()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&chrono::Utc))
    };
    r.mail = crate::ports::MailDelivery {
        attempts: get_n(item, "mailAttempts")
            .ok()
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(0),
        sent_at: time("mailSentAt"),
        failed: time("mailFailedAt").map(|at| crate::ports::MailFailure {
            at,
            reason: get_s(item, "mailError").unwrap_or_default().to_owned(),
        }),
    };
    Ok(r)
}

/// A Put for a transaction, with its condition.
fn conditional_put(
    table: &str,
    item: Item,
    condition: &str,
    value: Option<(&str, AttributeValue)>,
) -> Result<TransactWriteItem, StoreError> {
    let mut put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression(condition);
    if let Some((k, v)) = value {
        put = put.expression_attribute_values(k, v);
    }
    let put = put
        .build()
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(TransactWriteItem::builder().put(put).build())
}

#[derive(Clone)]
pub struct DynamoTable {
    client: Client,
    table: String,
}

impl DynamoTable {
    /// Runs a transaction. `Ok(None)`: committed; `Ok(Some(failed))`: cancelled,
    /// with which items' conditions failed, in order.
    async fn transact(
        &self,
        items: Vec<TransactWriteItem>,
    ) -> Result<Option<Vec<bool>>, StoreError> {
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => Ok(None),
            Err(e) => match e.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(c)) => Ok(Some(
                    c.cancellation_reasons()
                        .iter()
                        .map(|r| r.code() == Some("ConditionalCheckFailed"))
                        .collect(),
                )),
                _ => Err(unavailable(e)),
            },
        }
    }

    /// Puts an item holding `value` as a JSON document, expiring (TTL) at `expires`.
    async fn put_doc(
        &self,
        pk: String,
        sk: String,
        kind: &str,
        value: &impl serde::Serialize,
        expires: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError> {
        let doc = serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(pk))
            .item("sk", s(sk))
            .item("kind", s(kind))
            .item("doc", s(doc))
            .item("expiresAt", n(expires.timestamp().max(0) as u64))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    /// An atomic counter: adds `by` to the item's `count` and returns the new value.
    async fn add(
        &self,
        pk: String,
        sk: String,
        kind: &str,
        by: u64,
        expires_at: Option<u64>,
    ) -> Result<u64, StoreError> {
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .update_expression(match expires_at {
                Some(_) => "ADD #count :by SET #kind = :kind, expiresAt = :exp",
                None => "ADD #count :by SET #kind = :kind",
            })
            .expression_attribute_names("#count", "count")
            .expression_attribute_names("#kind", "kind")
            .expression_attribute_values(":by", n(by))
            .expression_attribute_values(":kind", s(kind))
            .return_values(ReturnValue::UpdatedNew);
        if let Some(exp) = expires_at {
            update = update.expression_attribute_values(":exp", n(exp));
        }
        let out = update.send().await.map_err(unavailable)?;
        out.attributes
            .as_ref()
            .map(|a| get_n(a, "count"))
            .transpose()?
            .ok_or_else(|| StoreError::Corrupt("counter not returned".into()))
    }

    /// Puts an item if `condition` holds: false when it does not.
    async fn put_if(
        &self,
        item: Item,
        condition: &str,
        values: &[(&str, AttributeValue)],
    ) -> Result<bool, StoreError> {
        let mut put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(condition);
        for (k, v) in values {
            put = put.expression_attribute_values(*k, v.clone());
        }
        match put.send().await {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(unavailable(e)),
        }
    }

    /// One item, read consistently.
    async fn get_item(
        &self,
        pk: impl Into<String>,
        sk: impl Into<String>,
    ) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(out.item)
    }

    /// Every item of a query, following pages.
    async fn query_all(
        &self,
        index: Option<&str>,
        condition: &str,
        values: &[(&str, AttributeValue)],
    ) -> Result<Vec<Item>, StoreError> {
        let mut found = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .set_index_name(index.map(str::to_owned))
                .key_condition_expression(condition)
                .set_expression_attribute_values(Some(
                    values
                        .iter()
                        .map(|(k, v)| ((*k).to_owned(), v.clone()))
                        .collect(),
                ))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(unavailable)?;
            found.extend(out.items().iter().cloned());
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => break,
            }
        }
        Ok(found)
    }

    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    async fn get_by_pk(&self, pk: String) -> Result<Option<Versioned<Position>>, StoreError> {
        let item = self.get_item(pk, "POSITION").await?;
        item.as_ref().map(read_position).transpose()
    }
}

fn read_doc<T: serde::de::DeserializeOwned>(item: &Item, what: &str) -> Result<T, StoreError> {
    serde_json::from_str(get_s(item, "doc")?)
        .map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

fn expired(item: &Item, now: chrono::DateTime<chrono::Utc>) -> bool {
    get_n(item, "expiresAt").map_or(true, |e| (e as i64) <= now.timestamp())
}

/// The owed work as a string set (`DELETE` removes members atomically).
fn work_set(work: &[Work]) -> AttributeValue {
    AttributeValue::Ss(work.iter().map(|w| w.as_str().to_owned()).collect())
}

/// The owed work of a receipt item: the set is the truth (the document keeps
/// what was owed when it was stored).
fn owed_work(item: &Item) -> Vec<Work> {
    item.get("owed")
        .and_then(|v| v.as_ss().ok())
        .map(|set| set.iter().filter_map(|w| Work::parse(w)).collect())
        .unwrap_or_default()
}
