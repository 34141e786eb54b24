//! Receipts with the work they owe, payment attempts and activations.

use async_trait::async_trait;

use super::*;
use crate::domain::{EcFiscalCode, FiscalCode, NoticeNumber, Position};
use crate::ports::{Activation, MailClaim, PaymentAttempt, PaymentLog, ReceiptStore};

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
        self.update_receipt(
            ec,
            receipt_id,
            "DELETE owed :w",
            vec![(":w", work_set(&[work]))],
        )
        .await?;
        self.unlist_if_done(ec, receipt_id).await
    }

    async fn claim_mail(
        &self,
        ec: &EcFiscalCode,
        receipt_id: &str,
        now: chrono::DateTime<chrono::Utc>,
        lease_secs: i64,
    ) -> Result<MailClaim, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(format!("RECEIPT#{receipt_id}")))
            .key("sk", s(ec_sk(ec)))
            .update_expression("SET mailLease = :until ADD mailAttempts :one")
            .condition_expression(
                "contains(owed, :mail) AND (attribute_not_exists(mailLease) OR mailLease < :now)",
            )
            .expression_attribute_values(":mail", s(Work::Mail.as_str()))
            .expression_attribute_values(":now", n(now.timestamp().max(0) as u64))
            .expression_attribute_values(":until", n((now.timestamp() + lease_secs).max(0) as u64))
            .expression_attribute_values(":one", n(1))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await;
        match result {
            Ok(out) => {
                let attempt = out
                    .attributes
                    .as_ref()
                    .and_then(|a| get_n(a, "mailAttempts").ok())
                    .unwrap_or(1);
                Ok(MailClaim::Claimed {
                    attempt: u32::try_from(attempt).unwrap_or(u32::MAX),
                })
            }
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                // Told apart by reading the item: owed (so leased), or not.
                let item = self
                    .get_item(format!("RECEIPT#{receipt_id}"), ec_sk(ec))
                    .await?;
                let owed = item
                    .as_ref()
                    .is_some_and(|i| owed_work(i).contains(&Work::Mail));
                Ok(if owed {
                    MailClaim::Leased
                } else {
                    MailClaim::NotOwed
                })
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
        let id = if message_id.is_empty() {
            "-"
        } else {
            message_id
        };
        self.update_receipt(
            ec,
            receipt_id,
            "DELETE owed :mail SET mailSentAt = :at, mailMessageId = :id REMOVE mailLease",
            vec![
                (":mail", work_set(&[Work::Mail])),
                (":at", s(at.to_rfc3339())),
                (":id", s(id)),
            ],
        )
        .await?;
        self.unlist_if_done(ec, receipt_id).await
    }

    async fn release_mail(&self, ec: &EcFiscalCode, receipt_id: &str) -> Result<(), StoreError> {
        self.update_receipt(ec, receipt_id, "REMOVE mailLease", vec![])
            .await
    }

    async fn fail_mail(
        &self,
        ec: &EcFiscalCode,
        receipt_id: &str,
        reason: &str,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError> {
        let reason: String = reason.chars().take(500).collect();
        self.update_receipt(
            ec,
            receipt_id,
            "DELETE owed :mail SET mailFailedAt = :at, mailError = :why REMOVE mailLease",
            vec![
                (":mail", work_set(&[Work::Mail])),
                (":at", s(at.to_rfc3339())),
                (":why", s(reason)),
            ],
        )
        .await?;
        self.unlist_if_done(ec, receipt_id).await
    }

    async fn receipts_owing_work(
        &self,
        received_before: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<ReceiptRecord>, StoreError> {
        let items = self
            .query_all(
                Some(GSI_OWED),
                "gsi3pk = :owed AND gsi3sk < :before",
                &[
                    (":owed", s(OWED)),
                    (":before", s(owed_sort_key(received_before, ""))),
                ],
            )
            .await?;
        items
            .iter()
            .filter(|i| !owed_work(i).is_empty())
            .map(read_receipt)
            .collect()
    }
}

impl DynamoTable {
    /// One update of a receipt item that must exist.
    async fn update_receipt(
        &self,
        ec: &EcFiscalCode,
        receipt_id: &str,
        expression: &str,
        values: Vec<(&str, AttributeValue)>,
    ) -> Result<(), StoreError> {
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(format!("RECEIPT#{receipt_id}")))
            .key("sk", s(ec_sk(ec)))
            .update_expression(expression)
            .condition_expression("attribute_exists(pk)");
        for (k, v) in values {
            update = update.expression_attribute_values(k, v);
        }
        update.send().await.map_err(unavailable)?;
        Ok(())
    }

    /// Takes a receipt out of the owed-work index once it owes nothing (DynamoDB
    /// drops an emptied set; the index keys go here, conditionally).
    async fn unlist_if_done(&self, ec: &EcFiscalCode, receipt_id: &str) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(format!("RECEIPT#{receipt_id}")))
            .key("sk", s(ec_sk(ec)))
            .update_expression("REMOVE gsi3pk, gsi3sk")
            .condition_expression("attribute_exists(pk) AND attribute_not_exists(owed)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(unavailable(e)),
        }
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

    async fn last_activation(
        &self,
        ec: &EcFiscalCode,
        notice: &NoticeNumber,
    ) -> Result<Option<chrono::DateTime<chrono::Utc>>, StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(format!("ACTIVATION#{ec}#{notice}")))
            .scan_index_forward(false)
            .limit(1)
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        out.items()
            .first()
            .map(|i| read_doc::<Activation>(i, "activation").map(|a| a.at))
            .transpose()
    }
}
