//! Receipts with the work they owe, payment attempts and activations.

use async_trait::async_trait;

use super::*;
use crate::domain::{EcFiscalCode, FiscalCode, Position};
use crate::ports::{Activation, PaymentAttempt, PaymentLog, ReceiptStore};

impl DynamoTable {
    /// Every receipt of an index's partition.
    async fn receipts_by(
        &self,
        index: &str,
        key: &str,
        value: String,
    ) -> Result<Vec<ReceiptRecord>, StoreError> {
        let condition = format!("{key} = :pk");
        let items = self
            .query_all(Some(index), &condition, &[(":pk", s(value))])
            .await?;
        items.iter().map(read_receipt).collect()
    }
}

#[async_trait]
impl ReceiptStore for DynamoTable {
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
        item.as_ref().map(read_receipt).transpose()
    }

    async fn receipts_for_notice(
        &self,
        notice_number: &str,
    ) -> Result<Vec<ReceiptRecord>, StoreError> {
        self.receipts_by(GSI_DEBTOR, "gsi1pk", format!("RECEIPTS#{notice_number}"))
            .await
    }

    async fn receipts_for_payer(
        &self,
        payer: &FiscalCode,
    ) -> Result<Vec<ReceiptRecord>, StoreError> {
        self.receipts_by(GSI_PAYER, "gsi2pk", format!("PAYER#{payer}"))
            .await
    }

    async fn complete_owed(
        &self,
        ec: &EcFiscalCode,
        receipt_id: &str,
        work: Work,
    ) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(format!("RECEIPT#{receipt_id}")))
            .key("sk", s(ec_sk(ec)))
            .update_expression("DELETE owed :w")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":w", work_set(&[work]))
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
            .expression_attribute_values(":mail", s(Work::Mail.as_str()))
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
            .expression_attribute_values(":mail", work_set(&[Work::Mail]))
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
                found.push(read_receipt(item)?);
            }
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => break,
            }
        }
        Ok(found)
    }
}

#[async_trait]
impl PaymentLog for DynamoTable {
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

    async fn record_activation(&self, a: &Activation) -> Result<(), StoreError> {
        let pk = format!("ACTIVATION#{}#{}", a.ec, a.notice_number);
        let sk = a.at.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
        let expires = a.at + chrono::Duration::days(ACTIVATION_TTL_DAYS);
        self.put_doc(pk, sk, "activation", a, expires).await
    }
}
