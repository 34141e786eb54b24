//! [`PositionStore`] on one DynamoDB table (single-table design, see docs/storage.md).
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
//!
//! A receipt whose payer is not its debtor also carries `gsi2pk` = `PAYER#<cf>`,
//! `gsi2sk` = `RECEIPT#<receivedAt>#<receiptId>` (index `gsi2`).

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, ReturnValue, TransactWriteItem};
use aws_sdk_dynamodb::Client;

use crate::domain::catalog::Service;
use crate::domain::text::{Iupd, ServiceCode};
use crate::domain::{EcFiscalCode, FiscalCode, Iuv, NoticeNumber, Position, SegregationCode};
use crate::ports::{
    Activation, CatalogStore, PaymentAttempt, PositionStore, ReceiptRecord, Session, SessionStore,
    StoreError, Versioned,
};

/// Payment attempts are kept this long (DynamoDB TTL).
const ATTEMPT_TTL_DAYS: i64 = 30;

/// Activations are kept for reconciliation this long (DynamoDB TTL).
const ACTIVATION_TTL_DAYS: i64 = 90;

pub const GSI_DEBTOR: &str = "gsi1";
pub const GSI_PAYER: &str = "gsi2";

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

fn unavailable<E, R>(e: SdkError<E, R>) -> StoreError
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    StoreError::Unavailable(DisplayErrorContext(e).to_string())
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
        item.insert("owed".into(), AttributeValue::Ss(r.owed.clone()));
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

fn read_receipt(item: &Item) -> Result<ReceiptRecord, StoreError> {
    serde_json::from_str(get_s(item, "doc")?)
        .map_err(|e| StoreError::Corrupt(format!("receipt: {e}")))
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
pub struct DynamoPositions {
    client: Client,
    table: String,
}

impl DynamoPositions {
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

#[async_trait]
impl PositionStore for DynamoPositions {
    async fn insert(&self, p: &Position) -> Result<(), StoreError> {
        let mut items = vec![conditional_put(
            &self.table,
            position_item(p, 1)?,
            "attribute_not_exists(pk)",
            None,
        )?];
        for o in &p.payment_options {
            let claim = HashMap::from([
                ("pk".into(), s(iuv_pk(&o.iuv()))),
                ("sk".into(), s(ec_sk(&p.ec_fiscal_code))),
                ("kind".into(), s("iuv")),
                ("noticeNumber".into(), s(o.notice_number.as_str())),
                (
                    "positionPk".into(),
                    s(position_pk(&p.ec_fiscal_code, &p.iupd)),
                ),
            ]);
            items.push(conditional_put(
                &self.table,
                claim,
                "attribute_not_exists(pk)",
                None,
            )?);
        }
        match self.transact(items).await? {
            None => Ok(()),
            Some(failed) => match failed.iter().position(|f| *f) {
                Some(0) => Err(StoreError::DuplicateIupd),
                Some(i) => Err(StoreError::DuplicateNotice(
                    p.payment_options[i - 1].notice_number,
                )),
                None => Err(StoreError::Unavailable("transaction cancelled".into())),
            },
        }
    }

    async fn get(
        &self,
        ec: &EcFiscalCode,
        iupd: &Iupd,
    ) -> Result<Option<Versioned<Position>>, StoreError> {
        self.get_by_pk(position_pk(ec, iupd)).await
    }

    async fn find_by_notice(
        &self,
        notice: &NoticeNumber,
    ) -> Result<Vec<Versioned<Position>>, StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(iuv_pk(&notice.iuv())))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        let mut found = Vec::new();
        for claim in out.items() {
            if get_s(claim, "noticeNumber")? != notice.as_str() {
                continue;
            }
            if let Some(p) = self
                .get_by_pk(get_s(claim, "positionPk")?.to_owned())
                .await?
            {
                found.push(p);
            }
        }
        Ok(found)
    }

    async fn find_by_iuv(
        &self,
        ec: &EcFiscalCode,
        iuv: &Iuv,
    ) -> Result<Option<Versioned<Position>>, StoreError> {
        match self.get_item(iuv_pk(iuv), ec_sk(ec)).await? {
            None => Ok(None),
            Some(claim) => {
                self.get_by_pk(get_s(&claim, "positionPk")?.to_owned())
                    .await
            }
        }
    }

    async fn find_by_debtor(&self, debtor: &FiscalCode) -> Result<Vec<Position>, StoreError> {
        let items = self
            .query_all(
                Some(GSI_DEBTOR),
                "gsi1pk = :pk AND begins_with(gsi1sk, :pos)",
                &[(":pk", s(debtor_pk(debtor))), (":pos", s("POSITION#"))],
            )
            .await?;
        items
            .iter()
            .map(|i| read_position(i).map(|p| p.value))
            .collect()
    }

    async fn replace(&self, p: &Position, expected_version: u64) -> Result<(), StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(position_item(p, expected_version + 1)?))
            .condition_expression("version = :v")
            .expression_attribute_values(":v", n(expected_version))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Err(StoreError::VersionConflict)
            }
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn store_receipt(
        &self,
        record: &ReceiptRecord,
        pays: Option<(&Position, u64)>,
    ) -> Result<(), StoreError> {
        let mut items = vec![conditional_put(
            &self.table,
            receipt_item(record)?,
            "attribute_not_exists(pk)",
            None,
        )?];
        if let Some((p, version)) = pays {
            items.push(conditional_put(
                &self.table,
                position_item(p, version + 1)?,
                "version = :v",
                Some((":v", n(version))),
            )?);
        }
        match self.transact(items).await? {
            None => Ok(()),
            Some(failed) if failed.first() == Some(&true) => Err(StoreError::DuplicateReceipt),
            Some(failed) if failed.get(1) == Some(&true) => Err(StoreError::VersionConflict),
            Some(_) => Err(StoreError::Unavailable("transaction cancelled".into())),
        }
    }

    async fn get_receipt(
        &self,
        ec: &EcFiscalCode,
        receipt_id: &str,
    ) -> Result<Option<ReceiptRecord>, StoreError> {
        let item = self
            .get_item(format!("RECEIPT#{receipt_id}"), ec_sk(ec))
            .await?;
        item.as_ref()
            .map(|item| {
                let mut r = read_receipt(item)?;
                r.owed = item
                    .get("owed")
                    .and_then(|v| v.as_ss().ok())
                    .cloned()
                    .unwrap_or_default();
                Ok(r)
            })
            .transpose()
    }

    async fn receipts_for_notice(
        &self,
        notice_number: &str,
    ) -> Result<Vec<ReceiptRecord>, StoreError> {
        let items = self
            .query_all(
                Some(GSI_DEBTOR),
                "gsi1pk = :pk",
                &[(":pk", s(format!("RECEIPTS#{notice_number}")))],
            )
            .await?;
        items.iter().map(read_receipt).collect()
    }

    async fn receipts_for_payer(
        &self,
        payer: &FiscalCode,
    ) -> Result<Vec<ReceiptRecord>, StoreError> {
        let items = self
            .query_all(
                Some(GSI_PAYER),
                "gsi2pk = :pk",
                &[(":pk", s(format!("PAYER#{payer}")))],
            )
            .await?;
        items.iter().map(read_receipt).collect()
    }

    async fn record_activation(&self, a: &Activation) -> Result<(), StoreError> {
        let pk = format!("ACTIVATION#{}#{}", a.ec, a.notice_number);
        let sk = a.at.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
        let expires = a.at + chrono::Duration::days(ACTIVATION_TTL_DAYS);
        self.put_doc(pk, sk, "activation", a, expires).await
    }

    async fn complete_owed(
        &self,
        ec: &EcFiscalCode,
        receipt_id: &str,
        work: &str,
    ) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(format!("RECEIPT#{receipt_id}")))
            .key("sk", s(ec_sk(ec)))
            .update_expression("DELETE owed :w")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":w", AttributeValue::Ss(vec![work.to_owned()]))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn claim_mail(
        &self,
        ec: &EcFiscalCode,
        receipt_id: &str,
        now: chrono::DateTime<chrono::Utc>,
        lease_secs: i64,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(format!("RECEIPT#{receipt_id}")))
            .key("sk", s(ec_sk(ec)))
            .update_expression("SET mailLease = :until")
            .condition_expression(
                "contains(owed, :mail) AND (attribute_not_exists(mailLease) OR mailLease < :now)",
            )
            .expression_attribute_values(":mail", s("mail"))
            .expression_attribute_values(":now", n(now.timestamp().max(0) as u64))
            .expression_attribute_values(":until", n((now.timestamp() + lease_secs).max(0) as u64))
            .send()
            .await;
        match result {
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

    async fn complete_mail(
        &self,
        ec: &EcFiscalCode,
        receipt_id: &str,
        message_id: &str,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(format!("RECEIPT#{receipt_id}")))
            .key("sk", s(ec_sk(ec)))
            .update_expression(
                "DELETE owed :mail SET mailSentAt = :at, mailMessageId = :id REMOVE mailLease",
            )
            .expression_attribute_values(":mail", AttributeValue::Ss(vec!["mail".into()]))
            .expression_attribute_values(":at", s(at.to_rfc3339()))
            .expression_attribute_values(
                ":id",
                s(if message_id.is_empty() {
                    "-"
                } else {
                    message_id
                }),
            )
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn release_mail(&self, ec: &EcFiscalCode, receipt_id: &str) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(format!("RECEIPT#{receipt_id}")))
            .key("sk", s(ec_sk(ec)))
            .update_expression("REMOVE mailLease")
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn receipts_owing_work(&self) -> Result<Vec<ReceiptRecord>, StoreError> {
        let mut found = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .scan()
                .table_name(&self.table)
                .filter_expression("attribute_exists(owed)")
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(unavailable)?;
            for item in out.items() {
                let mut r = read_receipt(item)?;
                r.owed = item
                    .get("owed")
                    .and_then(|v| v.as_ss().ok())
                    .cloned()
                    .unwrap_or_default();
                found.push(r);
            }
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => break,
            }
        }
        Ok(found)
    }

    async fn count_hit(
        &self,
        key: &str,
        window_start: i64,
        window_secs: i64,
    ) -> Result<u64, StoreError> {
        let expires = (window_start + 2 * window_secs).max(0) as u64;
        self.add(
            format!("RATE#{key}"),
            window_start.to_string(),
            "rate",
            1,
            Some(expires),
        )
        .await
    }

    async fn put_attempt(&self, a: &PaymentAttempt) -> Result<(), StoreError> {
        let expires = a.created_at + chrono::Duration::days(ATTEMPT_TTL_DAYS);
        self.put_doc(
            format!("ATTEMPT#{}", a.id),
            "ATTEMPT".into(),
            "attempt",
            a,
            expires,
        )
        .await
    }

    async fn get_attempt(&self, id: &str) -> Result<Option<PaymentAttempt>, StoreError> {
        let item = self.get_item(format!("ATTEMPT#{id}"), "ATTEMPT").await?;
        item.as_ref()
            .map(|i| {
                serde_json::from_str(get_s(i, "doc")?)
                    .map_err(|e| StoreError::Corrupt(format!("attempt: {e}")))
            })
            .transpose()
    }

    async fn reserve_sequence(
        &self,
        ec: &EcFiscalCode,
        segregation: SegregationCode,
        count: u64,
    ) -> Result<u64, StoreError> {
        let pk = format!("SEQUENCE#{ec}#{segregation}");
        let last = self
            .add(pk, "SEQUENCE".into(), "sequence", count, None)
            .await?;
        Ok(last + 1 - count)
    }
}

fn read_doc<T: serde::de::DeserializeOwned>(item: &Item, what: &str) -> Result<T, StoreError> {
    serde_json::from_str(get_s(item, "doc")?)
        .map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

fn expired(item: &Item, now: chrono::DateTime<chrono::Utc>) -> bool {
    get_n(item, "expiresAt").map_or(true, |e| (e as i64) <= now.timestamp())
}

#[async_trait]
impl CatalogStore for DynamoPositions {
    async fn services(&self, ec: &EcFiscalCode) -> Result<Vec<Service>, StoreError> {
        let items = self
            .query_all(None, "pk = :pk", &[(":pk", s(format!("SERVICES#{ec}")))])
            .await?;
        items.iter().map(|i| read_doc(i, "service")).collect()
    }

    async fn service(
        &self,
        ec: &EcFiscalCode,
        code: &ServiceCode,
    ) -> Result<Option<Service>, StoreError> {
        let item = self
            .get_item(format!("SERVICES#{ec}"), format!("SERVICE#{code}"))
            .await?;
        item.as_ref().map(|i| read_doc(i, "service")).transpose()
    }

    async fn put_service(&self, service: &Service) -> Result<bool, StoreError> {
        let doc = serde_json::to_string(service).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let out = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(format!("SERVICES#{}", service.ec_fiscal_code)))
            .item("sk", s(format!("SERVICE#{}", service.code)))
            .item("kind", s("service"))
            .item("doc", s(doc))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(out.attributes.is_none_or(|a| a.is_empty()))
    }

    async fn delete_service(
        &self,
        ec: &EcFiscalCode,
        code: &ServiceCode,
    ) -> Result<bool, StoreError> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(format!("SERVICES#{ec}")))
            .key("sk", s(format!("SERVICE#{code}")))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(out.attributes.is_some_and(|a| !a.is_empty()))
    }
}

#[async_trait]
impl SessionStore for DynamoPositions {
    async fn put_once(
        &self,
        key: &str,
        doc: &serde_json::Value,
        expires_at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError> {
        self.put_doc(
            format!("ONCE#{key}"),
            "ONCE".into(),
            "once",
            doc,
            expires_at,
        )
        .await
    }

    async fn take_once(
        &self,
        key: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<serde_json::Value>, StoreError> {
        // A conditional delete returning the old item: of two concurrent takes,
        // only one sees it.
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(format!("ONCE#{key}")))
            .key("sk", s("ONCE"))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(unavailable)?;
        match out.attributes {
            Some(item) if !item.is_empty() && !expired(&item, now) => {
                Ok(Some(read_doc(&item, "single-use record")?))
            }
            _ => Ok(None),
        }
    }

    async fn put_session(&self, key: &str, session: &Session) -> Result<(), StoreError> {
        self.put_doc(
            format!("SESSION#{key}"),
            "SESSION".into(),
            "session",
            session,
            session.expires_at,
        )
        .await
    }

    async fn session(
        &self,
        key: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<Session>, StoreError> {
        match self.get_item(format!("SESSION#{key}"), "SESSION").await? {
            // DynamoDB deletes expired items lazily: the expiry is checked here.
            Some(item) if !expired(&item, now) => Ok(Some(read_doc(&item, "session")?)),
            _ => Ok(None),
        }
    }

    async fn delete_session(&self, key: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(format!("SESSION#{key}")))
            .key("sk", s("SESSION"))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}
