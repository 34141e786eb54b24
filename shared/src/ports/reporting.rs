//! Reporting flows acquired from pagoPA, what they reported, and the
//! reconciliation's anomalies.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::StoreError;
use crate::domain::reporting::{Anomaly, Flow, FlowState};
use crate::domain::EcFiscalCode;

/// A flow as stored: its header (the lines stay in the raw document) and how
/// it reconciled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FlowRecord {
    /// The header; `lines` empty.
    pub flow: Flow,
    pub state: FlowState,
    pub lines: u64,
    pub matched: u64,
    pub anomalies: u64,
    pub acquired_at: DateTime<Utc>,
    /// Where the flow is kept as pagoPA sent it (document store key).
    pub raw_key: String,
}

/// A transfer a flow reported, and the receipt it was matched to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reported {
    pub flow_id: String,
    pub psp_id: String,
    pub revision: u64,
    pub regulation_date: NaiveDate,
    pub receipt_id: String,
}

/// An anomaly as stored, with when it was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnomalyRecord {
    pub anomaly: Anomaly,
    pub detected_at: DateTime<Utc>,
}

#[async_trait]
pub trait ReportingStore: Send + Sync {
    /// The revision stored of a flow (per EC, PSP and flow id), if any.
    async fn flow_revision(
        &self,
        ec: &EcFiscalCode,
        psp_id: &str,
        flow_id: &str,
    ) -> Result<Option<u64>, StoreError>;

    /// Stores a flow unless the same or a later revision is stored (false then).
    async fn put_flow(&self, record: &FlowRecord) -> Result<bool, StoreError>;

    /// The EC's flows, latest publication first.
    async fn flows(&self, ec: &EcFiscalCode, limit: usize) -> Result<Vec<FlowRecord>, StoreError>;

    /// Records transfers (IUV, index) as reported; a later revision overwrites.
    async fn mark_reported(
        &self,
        ec: &EcFiscalCode,
        lines: &[(String, u8, Reported)],
    ) -> Result<(), StoreError>;

    /// What was reported of each transfer (IUV, index), in order.
    async fn reported(
        &self,
        ec: &EcFiscalCode,
        keys: &[(String, u8)],
    ) -> Result<Vec<Option<Reported>>, StoreError>;

    /// Replaces the anomalies of one scope (a flow's id, or `-` for those of
    /// no flow) with these (found again: the same records).
    async fn replace_anomalies(
        &self,
        ec: &EcFiscalCode,
        scope: &str,
        anomalies: &[AnomalyRecord],
    ) -> Result<(), StoreError>;

    /// The EC's anomalies, by scope.
    async fn anomalies(&self, ec: &EcFiscalCode) -> Result<Vec<AnomalyRecord>, StoreError>;

    /// The publication time of the last flow acquired (the next run lists after it).
    async fn cursor(&self, ec: &EcFiscalCode) -> Result<Option<DateTime<Utc>>, StoreError>;

    async fn set_cursor(&self, ec: &EcFiscalCode, at: DateTime<Utc>) -> Result<(), StoreError>;
}
