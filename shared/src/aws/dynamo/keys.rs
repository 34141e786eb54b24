//! Operator keys: one item per key (`KEY#<keyId>`, listed per EC on `gsi1`),
//! and one ring item per EC (`KEYS#<ec>`) counting the active keys, so the
//! limit holds under concurrent creation (both written in one transaction).
//! Console operators: one item each (`OPERATOR#<fiscal code>`), listed on
//! `gsi1` under `OPERATORS`.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Delete, Update};

use super::*;
use crate::domain::access::Operator;
use crate::domain::FiscalCode;
use crate::ports::{KeyStore, OperatorKey};

fn key_pk(key_id: &str) -> String {
    format!("KEY#{key_id}")
}
fn operator_pk(cf: &FiscalCode) -> String {
    format!("OPERATOR#{cf}")
}
const OPERATORS: &str = "OPERATORS";

fn ring_pk(ec: &EcFiscalCode) -> String {
    format!("KEYS#{ec}")
}

fn ring_update(
    table: &str,
    ec: &EcFiscalCode,
    by: i64,
    condition: &str,
    bound: (&str, u64),
) -> Result<TransactWriteItem, StoreError> {
    let u = Update::builder()
        .table_name(table)
        .key("pk", s(ring_pk(ec)))
        .key("sk", s("KEYS"))
        .update_expression("ADD active :by SET kind = :kind")
        .condition_expression(condition)
        .expression_attribute_values(":by", AttributeValue::N(by.to_string()))
        .expression_attribute_values(":kind", s("keyring"))
        .expression_attribute_values(bound.0, n(bound.1))
        .build()
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(TransactWriteItem::builder().update(u).build())
}

#[async_trait]
impl KeyStore for DynamoTable {
    async fn add_key(&self, key: &OperatorKey, max_active: u64) -> Result<(), StoreError> {
        let doc = serde_json::to_string(key).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let item = HashMap::from([
            ("pk".into(), s(key_pk(&key.key_id))),
            ("sk".into(), s("KEY")),
            ("kind".into(), s("key")),
            ("doc".into(), s(doc)),
            ("gsi1pk".into(), s(ring_pk(&key.ec))),
            (
                "gsi1sk".into(),
                s(format!(
                    "KEY#{}#{}",
                    key.created_at.to_rfc3339(),
                    key.key_id
                )),
            ),
        ]);
        let ring = ring_update(
            &self.table,
            &key.ec,
            1,
            "attribute_not_exists(active) OR active < :max",
            (":max", max_active),
        )?;
        let put = conditional_put(&self.table, item, "attribute_not_exists(pk)", None)?;
        match self.transact(vec![ring, put]).await? {
            None => Ok(()),
            Some(failed) if failed.first() == Some(&true) => Err(StoreError::LimitReached),
            Some(_) => Err(StoreError::Unavailable("key transaction cancelled".into())),
        }
    }

    async fn key(&self, key_id: &str) -> Result<Option<OperatorKey>, StoreError> {
        let item = self.get_item(key_pk(key_id), "KEY").await?;
        item.as_ref().map(|i| read_doc(i, "key")).transpose()
    }

    async fn keys(&self, ec: &EcFiscalCode) -> Result<Vec<OperatorKey>, StoreError> {
        let items = self
            .query_all(
                Some(GSI_DEBTOR),
                "gsi1pk = :pk AND begins_with(gsi1sk, :key)",
                &[(":pk", s(ring_pk(ec))), (":key", s("KEY#"))],
            )
            .await?;
        items.iter().map(|i| read_doc(i, "key")).collect()
    }

    async fn revoke_key(&self, ec: &EcFiscalCode, key_id: &str) -> Result<bool, StoreError> {
        let delete = Delete::builder()
            .table_name(&self.table)
            .key("pk", s(key_pk(key_id)))
            .key("sk", s("KEY"))
            .condition_expression("gsi1pk = :ring")
            .expression_attribute_values(":ring", s(ring_pk(ec)))
            .build()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let ring = ring_update(&self.table, ec, -1, "active > :zero", (":zero", 0))?;
        let delete = TransactWriteItem::builder().delete(delete).build();
        match self.transact(vec![delete, ring]).await? {
            None => Ok(true),
            Some(failed) if failed.first() == Some(&true) => Ok(false),
            Some(_) => Err(StoreError::Unavailable("key transaction cancelled".into())),
        }
    }

    async fn put_operator(&self, operator: &Operator) -> Result<(), StoreError> {
        let doc =
            serde_json::to_string(operator).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let pk = operator_pk(&operator.fiscal_code);
        let item = HashMap::from([
            ("pk".into(), s(pk.clone())),
            ("sk".into(), s("OPERATOR")),
            ("kind".into(), s("operator")),
            ("doc".into(), s(doc)),
            ("gsi1pk".into(), s(OPERATORS)),
            ("gsi1sk".into(), s(pk)),
        ]);
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn operator(&self, fiscal_code: &FiscalCode) -> Result<Option<Operator>, StoreError> {
        let item = self.get_item(operator_pk(fiscal_code), "OPERATOR").await?;
        item.as_ref().map(|i| read_doc(i, "operator")).transpose()
    }

    async fn operators(&self) -> Result<Vec<Operator>, StoreError> {
        let items = self
            .query_all(
                Some(GSI_DEBTOR),
                "gsi1pk = :pk AND begins_with(gsi1sk, :op)",
                &[(":pk", s(OPERATORS)), (":op", s("OPERATOR#"))],
            )
            .await?;
        items.iter().map(|i| read_doc(i, "operator")).collect()
    }

    async fn remove_operator(&self, fiscal_code: &FiscalCode) -> Result<bool, StoreError> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(operator_pk(fiscal_code)))
            .key("sk", s("OPERATOR"))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(out.attributes.is_some_and(|a| !a.is_empty()))
    }
}
