//! Looking up a notice as a citizen does: notice number plus the debtor's fiscal code.

use serde::Serialize;

use crate::domain::position::SubjectType;
use crate::domain::text::{FullName, ServiceCode, Text140};
use crate::domain::{
    AmountCents, EcFiscalCode, FiscalCode, Iuv, NoticeNumber, NoticeStatus, Position,
};
use crate::ports::StoreError;
use crate::App;

/// Why a notice cannot be shown.
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    /// No notice with that number whose debtor has that fiscal code: the same
    /// answer in both cases, so that notices cannot be probed.
    #[error("no notice matches the notice number and the fiscal code")]
    NotFound,
    #[error("positions not readable")]
    Store(#[from] StoreError),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DebtorSummary {
    #[serde(rename = "type")]
    pub kind: SubjectType,
    pub full_name: FullName,
}

/// What the summary page (riepilogo) shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NoticeSummary {
    pub notice_number: NoticeNumber,
    pub iuv: Iuv,
    pub ec_fiscal_code: EcFiscalCode,
    pub company_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub office_name: Option<String>,
    pub service_code: ServiceCode,
    pub description: Text140,
    pub debtor: DebtorSummary,
    pub amount_cents: AmountCents,
    pub due_date: chrono::NaiveDate,
    pub status: NoticeStatus,
}

/// The summary of one notice of a position (none if the notice is not the
/// position's or its EC is not served).
pub fn summarise(app: &App, p: &Position, notice: &NoticeNumber) -> Option<NoticeSummary> {
    let o = p.option(notice)?;
    let entity = app.entities.get(&p.ec_fiscal_code)?;
    Some(NoticeSummary {
        notice_number: o.notice_number,
        iuv: o.iuv(),
        ec_fiscal_code: p.ec_fiscal_code.clone(),
        company_name: entity.name.clone(),
        office_name: entity.office.clone(),
        service_code: p.service_code.clone(),
        description: o.description.clone(),
        debtor: DebtorSummary {
            kind: p.debtor.kind,
            full_name: p.debtor.full_name.clone(),
        },
        amount_cents: o.amount_cents,
        due_date: o.due_date,
        status: p.notice_status(o, app.clock.today()),
    })
}

/// Finds the notice of a debtor among the configured ECs.
pub async fn verify(
    app: &App,
    notice: &NoticeNumber,
    debtor: &FiscalCode,
) -> Result<NoticeSummary, LookupError> {
    let found = app.positions.find_by_notice(notice).await?;
    found
        .iter()
        .filter(|p| &p.value.debtor.fiscal_code == debtor)
        .find_map(|p| summarise(app, &p.value, notice))
        .ok_or(LookupError::NotFound)
}
