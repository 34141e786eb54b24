//! The payments export's index (`gsi4`): an EC's paid receipts by time of payment.

use async_trait::async_trait;

use super::*;
use crate::ports::{Ledger, LedgerPage};

#[async_trait]
impl Ledger for DynamoTable {
    async fn paid_between(
        &self,
        ec: &EcFiscalCode,
        from: chrono::DateTime<chrono::Utc>,
        to: chrono::DateTime<chrono::Utc>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<LedgerPage, StoreError> {
        let stamp = |t: chrono::DateTime<chrono::Utc>| {
            t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        };
        // Keys read `<time>#<receiptId>` with times of one fixed width, so
        // `[from, to)` is `from` ≤ key ≤ `to#` (every key at `to` sorts after `to#`).
        let mut q = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(GSI_LEDGER)
            .key_condition_expression("gsi4pk = :pk AND gsi4sk BETWEEN :lo AND :hi")
            .expression_attribute_values(":pk", s(ledger_pk(ec)))
            .expression_attribute_values(":lo", s(stamp(from)))
            .expression_attribute_values(":hi", s(format!("{}#", stamp(to))))
            .limit(limit.clamp(1, 1000) as i32 + 1);
        if let Some(after) = after {
            let receipt_id = after.split_once('#').map(|(_, id)| id).unwrap_or_default();
            q = q.set_exclusive_start_key(Some(HashMap::from([
                ("pk".into(), s(format!("RECEIPT#{receipt_id}"))),
                ("sk".into(), s(ec_sk(ec))),
                ("gsi4pk".into(), s(ledger_pk(ec))),
                ("gsi4sk".into(), s(after)),
            ])));
        }
        let out = q.send().await.map_err(unavailable)?;
        let mut records = out
            .items()
            .iter()
            .map(read_receipt)
            .collect::<Result<Vec<_>, _>>()?;
        // One more than asked, so a last full page does not promise another;
        // fewer with a LastEvaluatedKey: DynamoDB's 1 MB page ended first.
        let limit = limit.clamp(1, 1000);
        let more = records.len() > limit || out.last_evaluated_key.is_some_and(|k| !k.is_empty());
        records.truncate(limit);
        let next = more
            .then(|| records.last().map(|r| r.ledger_key()))
            .flatten();
        Ok(LedgerPage { records, next })
    }
}
