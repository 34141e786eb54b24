//! Positions with their IUV claims, and rate counters.

use async_trait::async_trait;

use super::*;
use crate::domain::text::Iupd;
use crate::domain::{EcFiscalCode, FiscalCode, Iuv, NoticeNumber, Position};
use crate::ports::{PositionStore, RateCounter};

#[async_trait]
impl PositionStore for DynamoTable {
    async fn insert(&self, p: &Position) -> Result<(), StoreError> {
        // One position is a batch of one (the same transaction and conditions).
        self.insert_batch(std::slice::from_ref(p))
            .await?
            .pop()
            .unwrap_or_else(|| Err(StoreError::Unavailable("not written".into())))
    }

    async fn insert_batch(
        &self,
        positions: &[Position],
    ) -> Result<Vec<Result<(), StoreError>>, StoreError> {
        let mut results: Vec<Option<Result<(), StoreError>>> = vec![None; positions.len()];
        // A cancelled transaction names the items whose condition failed:
        // those positions get their error, the others are tried again.
        for _ in 0..positions.len().max(1) + 2 {
            let pending: Vec<usize> = (0..positions.len())
                .filter(|i| results[*i].is_none())
                .collect();
            if pending.is_empty() {
                break;
            }
            let mut items = Vec::new();
            let mut owner = Vec::new();
            for &i in &pending {
                let p = &positions[i];
                items.push(conditional_put(
                    &self.table,
                    position_item(p, 1)?,
                    "attribute_not_exists(pk)",
                    None,
                )?);
                owner.push((i, None));
                for o in &p.payment_options {
                    items.push(conditional_put(
                        &self.table,
                        claim_item(p, &o.notice_number),
                        "attribute_not_exists(pk)",
                        None,
                    )?);
                    owner.push((i, Some(o.notice_number)));
                }
            }
            match self.transact(items).await? {
                None => {
                    for i in pending {
                        results[i] = Some(Ok(()));
                    }
                }
                Some(failed) => {
                    let mut any = false;
                    for (k, f) in failed.iter().enumerate() {
                        if !*f {
                            continue;
                        }
                        any = true;
                        let (i, notice) = owner[k];
                        if results[i].is_none() {
                            results[i] = Some(Err(match notice {
                                None => StoreError::DuplicateIupd,
                                Some(n) => StoreError::DuplicateNotice(n),
                            }));
                        }
                    }
                    if !any {
                        return Err(StoreError::Unavailable("transaction cancelled".into()));
                    }
                }
            }
        }
        Ok(results
            .into_iter()
            .map(|r| r.unwrap_or(Err(StoreError::Unavailable("not written".into()))))
            .collect())
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

    async fn positions_of_ec(
        &self,
        ec: &EcFiscalCode,
        due_from: Option<chrono::NaiveDate>,
        due_to: Option<chrono::NaiveDate>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Position>, StoreError> {
        // `after` + " " sorts after `after` and before anything longer that
        // starts with it or anything greater (listing keys have no spaces).
        let lo = match (after, due_from) {
            (Some(a), Some(d)) => std::cmp::max(format!("{a} "), d.to_string()),
            (Some(a), None) => format!("{a} "),
            (None, Some(d)) => d.to_string(),
            // A key attribute's value cannot be empty: "0" sorts before any date.
            (None, None) => "0".into(),
        };
        let hi = due_to
            .map(|d| format!("{d}#~"))
            .unwrap_or_else(|| "~".into());
        let mut found = Vec::new();
        let mut start = None;
        while found.len() < limit {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(GSI_PAYER)
                .key_condition_expression("gsi2pk = :pk AND gsi2sk BETWEEN :lo AND :hi")
                .expression_attribute_values(":pk", s(format!("POSITIONS#{ec}")))
                .expression_attribute_values(":lo", s(lo.clone()))
                .expression_attribute_values(":hi", s(hi.clone()))
                .limit((limit - found.len()).min(1000) as i32)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(unavailable)?;
            for item in out.items() {
                found.push(read_position(item)?.value);
            }
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => break,
            }
        }
        found.truncate(limit);
        Ok(found)
    }

    async fn replace(&self, p: &Position, expected_version: u64) -> Result<(), StoreError> {
        let item = position_item(p, expected_version + 1)?;
        match self
            .put_if(item, "version = :v", &[(":v", n(expected_version))])
            .await?
        {
            true => Ok(()),
            false => Err(StoreError::VersionConflict),
        }
    }

    async fn revise(
        &self,
        p: &Position,
        expected_version: u64,
        claims: &[NoticeNumber],
    ) -> Result<(), StoreError> {
        let mut items = vec![conditional_put(
            &self.table,
            position_item(p, expected_version + 1)?,
            "version = :v",
            Some((":v", n(expected_version))),
        )?];
        for notice in claims {
            items.push(conditional_put(
                &self.table,
                claim_item(p, notice),
                "attribute_not_exists(pk)",
                None,
            )?);
        }
        match self.transact(items).await? {
            None => Ok(()),
            Some(failed) => match failed.iter().position(|f| *f) {
                Some(0) => Err(StoreError::VersionConflict),
                Some(i) => Err(StoreError::DuplicateNotice(claims[i - 1])),
                None => Err(StoreError::Unavailable("transaction cancelled".into())),
            },
        }
    }
}

/// The item that reserves a notice number (its IUV) to a position of the EC.
fn claim_item(p: &Position, notice: &NoticeNumber) -> Item {
    HashMap::from([
        ("pk".into(), s(iuv_pk(&notice.iuv()))),
        ("sk".into(), s(ec_sk(&p.ec_fiscal_code))),
        ("kind".into(), s("iuv")),
        ("noticeNumber".into(), s(notice.as_str())),
        (
            "positionPk".into(),
            s(position_pk(&p.ec_fiscal_code, &p.iupd)),
        ),
    ])
}

#[async_trait]
impl RateCounter for DynamoTable {
    async fn count_hit(
        &self,
        key: &str,
        hits: u64,
        window_start: i64,
        window_secs: i64,
    ) -> Result<u64, StoreError> {
        let expires = (window_start + 2 * window_secs).max(0) as u64;
        self.add(
            format!("RATE#{key}"),
            window_start.to_string(),
            "rate",
            hits,
            Some(expires),
        )
        .await
    }
}
