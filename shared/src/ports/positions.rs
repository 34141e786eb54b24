//! Debt positions, and the rate counters that sit beside them in the table.

use async_trait::async_trait;

use super::{StoreError, Versioned};
use crate::domain::text::Iupd;
use crate::domain::{EcFiscalCode, FiscalCode, Iuv, NoticeNumber, Position};

#[async_trait]
pub trait PositionStore: Send + Sync {
    /// Stores a new position and claims its notice numbers (IUVs), atomically:
    /// [`StoreError::DuplicateIupd`] or [`StoreError::DuplicateNotice`] and nothing written.
    async fn insert(&self, position: &Position) -> Result<(), StoreError>;

    /// Inserts positions as [`PositionStore::insert`] does, many at a time
    /// (at most 100 items: a position and one claim per option, each):
    /// one result per position, in order.
    async fn insert_batch(
        &self,
        positions: &[Position],
    ) -> Result<Vec<Result<(), StoreError>>, StoreError>;

    async fn get(
        &self,
        ec: &EcFiscalCode,
        iupd: &Iupd,
    ) -> Result<Option<Versioned<Position>>, StoreError>;

    /// Every position, of any configured EC, that holds this notice number.
    async fn find_by_notice(
        &self,
        notice: &NoticeNumber,
    ) -> Result<Vec<Versioned<Position>>, StoreError>;

    /// The position of one EC that holds this IUV.
    async fn find_by_iuv(
        &self,
        ec: &EcFiscalCode,
        iuv: &Iuv,
    ) -> Result<Option<Versioned<Position>>, StoreError>;

    /// Positions whose debtor has this fiscal code.
    async fn find_by_debtor(&self, debtor: &FiscalCode) -> Result<Vec<Position>, StoreError>;

    /// The EC's positions by due date (their first option's) and iupd, with the
    /// due date in `[due_from, due_to]` when given; at most `limit`, after
    /// `after` (the [`listing_key`] of the last position of the previous page).
    async fn positions_of_ec(
        &self,
        ec: &EcFiscalCode,
        due_from: Option<chrono::NaiveDate>,
        due_to: Option<chrono::NaiveDate>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Position>, StoreError>;

    /// Replaces a position if it is still at `expected_version`
    /// ([`StoreError::VersionConflict`] otherwise).
    async fn replace(&self, position: &Position, expected_version: u64) -> Result<(), StoreError>;

    /// Replaces a position at `expected_version` and claims the notice numbers
    /// in `claims` (new to it), atomically: [`StoreError::VersionConflict`] or
    /// [`StoreError::DuplicateNotice`] and nothing written.
    async fn revise(
        &self,
        position: &Position,
        expected_version: u64,
        claims: &[NoticeNumber],
    ) -> Result<(), StoreError>;
}

/// Where a position sits in its EC's listing: `<first due date>#<iupd>`
/// (an iupd has no spaces or `#`, so the order is by date, then iupd).
pub fn listing_key(p: &Position) -> String {
    let due = p
        .payment_options
        .iter()
        .map(|o| o.due_date)
        .min()
        .map(|d| d.to_string())
        .unwrap_or_default();
    format!("{due}#{}", p.iupd)
}

/// Per-client request counters (rate limits).
#[async_trait]
pub trait RateCounter: Send + Sync {
    /// Counts `hits` hits of `key` in the current window and returns the count
    /// so far (an atomic counter that expires with its window).
    async fn count_hit(
        &self,
        key: &str,
        hits: u64,
        window_start: i64,
        window_secs: i64,
    ) -> Result<u64, StoreError>;
}
