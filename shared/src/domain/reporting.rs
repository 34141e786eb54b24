//! Reporting flows (FdR, *flussi di rendicontazione*) and their reconciliation
//! with the receipts: pure.
//!
//! A flow reports, line by line, the transfers a PSP credited to the EC in one
//! SEPA transfer. Each line is matched to a stored receipt's transfer by IUV
//! and transfer index (the IUR, which PSPs fill with the receiptId, confirms
//! it). What does not fit is an anomaly, with GovPay's codes where it has one.
//! Amounts are integer cents: pagoPA's decimal euro are read as text, never
//! as floating point.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::EcFiscalCode;

/// `payStatus` (`codiceEsitoSingoloPagamento`): every value is accepted; an
/// unknown one is an anomaly, never a rejected flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PayStatus {
    /// 0: executed.
    Executed,
    /// 3: revoked (reversed): not income.
    Revoked,
    /// 4: executed in stand-in while the EC was unreachable (a receipt follows).
    StandIn,
    /// 8: stand-in without a payment request.
    StandInNoRpt,
    /// 9: executed without a request reaching the EC: no receipt expected.
    NoRpt,
    Unknown(String),
}

impl PayStatus {
    pub fn parse(s: &str) -> Self {
        match s {
            "EXECUTED" | "0" => Self::Executed,
            "REVOKED" | "3" => Self::Revoked,
            "STAND_IN" | "4" => Self::StandIn,
            "STAND_IN_NO_RPT" | "8" => Self::StandInNoRpt,
            "NO_RPT" | "9" => Self::NoRpt,
            other => Self::Unknown(other.to_owned()),
        }
    }
}

/// Decimal euro (`150.5`, `150.50`, `0.01`) as cents; `None` for anything
/// else (a third decimal, a sign, an exponent).
pub fn euro_cents(text: &str) -> Option<u64> {
    let (units, decimals) = text.trim().split_once('.').unwrap_or((text.trim(), ""));
    if units.is_empty()
        || decimals.len() > 2
        || !units.bytes().all(|b| b.is_ascii_digit())
        || !decimals.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let cents = format!("{decimals:0<2}").parse::<u64>().ok()?;
    units
        .parse::<u64>()
        .ok()?
        .checked_mul(100)?
        .checked_add(cents)
}

/// One line of a flow: one transfer paid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FlowLine {
    pub index: u64,
    pub iuv: String,
    pub iur: String,
    pub id_transfer: u8,
    pub amount_cents: u64,
    pub status: PayStatus,
    /// The day of payment, in Italy.
    pub pay_date: NaiveDate,
}

/// A flow as acquired: its header and every line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Flow {
    /// The EC that fetched it.
    pub ec: EcFiscalCode,
    pub flow_id: String,
    pub psp_id: String,
    pub psp_name: String,
    pub revision: u64,
    pub published: DateTime<Utc>,
    /// The settling SEPA transfer (TRN/CRO) and its day.
    pub regulation: String,
    pub regulation_date: NaiveDate,
    /// The EC the flow is addressed to.
    pub receiver: String,
    pub tot_payments: u64,
    pub sum_cents: u64,
    pub lines: Vec<FlowLine>,
}

/// What a flow's line is reconciled against: one transfer of a stored receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaidTransfer {
    pub receipt_id: String,
    pub amount_cents: u64,
}

/// A kind of anomaly, with GovPay's code where it has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AnomalyKind {
    /// A receipt no flow has reported days after the payment (MyPivot RT_NO_IUF).
    PaidNotReported,
    /// A reported line without a stored receipt (007101).
    ReportedWithoutReceipt,
    /// The line's amount is not the receipt transfer's (007104).
    AmountMismatch,
    /// The header's sum or count is not its lines' (007106 / 007107).
    TotalsMismatch,
    /// A revoked line (007112): not income.
    Revoked,
    /// A stand-in or no-request line (codes 4, 8, 9): paid without the EC.
    StandIn,
    /// The same IUV and transfer twice (in a flow, or in two flows) (007115 / 007102).
    Duplicate,
    /// A flow addressed to another EC, or a line of another EC's IUV (007116).
    OtherEc,
    /// An unknown `payStatus` (007110).
    UnknownStatus,
}

impl AnomalyKind {
    /// GovPay's code, or the MyPivot class where GovPay has none.
    pub fn code(self) -> &'static str {
        match self {
            Self::PaidNotReported => "RT_NO_IUF",
            Self::ReportedWithoutReceipt => "007101",
            Self::AmountMismatch => "007104",
            Self::TotalsMismatch => "007106",
            Self::Revoked => "007112",
            Self::StandIn => "STAND_IN",
            Self::Duplicate => "007115",
            Self::OtherEc => "007116",
            Self::UnknownStatus => "007110",
        }
    }
}

/// One anomaly found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Anomaly {
    pub kind: AnomalyKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psp_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iuv: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_transfer: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt_id: Option<String>,
    /// In Italian, for the operator.
    pub message: String,
}

impl Anomaly {
    fn of_line(kind: AnomalyKind, flow: &Flow, line: &FlowLine, message: String) -> Self {
        Self {
            kind,
            flow_id: Some(flow.flow_id.clone()),
            psp_id: Some(flow.psp_id.clone()),
            iuv: Some(line.iuv.clone()),
            id_transfer: Some(line.id_transfer),
            receipt_id: None,
            message,
        }
    }

    /// A stable key: the same anomaly found again is the same record.
    pub fn key(&self) -> String {
        format!(
            "{}#{}#{}#{}#{}",
            self.kind.code(),
            self.flow_id.as_deref().unwrap_or("-"),
            self.iuv.as_deref().unwrap_or("-"),
            self.id_transfer.map(|t| t.to_string()).unwrap_or_default(),
            self.receipt_id.as_deref().unwrap_or("-"),
        )
    }
}

/// A line matched to its receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matched {
    pub iuv: String,
    pub id_transfer: u8,
    pub receipt_id: String,
}

/// Whether a flow reconciled cleanly (GovPay's ACCETTATA / ANOMALA).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FlowState {
    Accepted,
    Anomalous,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reconciled {
    pub state: FlowState,
    pub matched: Vec<Matched>,
    pub anomalies: Vec<Anomaly>,
}

fn euro(cents: u64) -> String {
    format!("{},{:02} €", cents / 100, cents % 100)
}

/// Reconciles one flow of `ec`. `paid(iuv, id_transfer)`: the stored
/// receipts' transfers of that IUV and index credited to `ec`; `ours(iuv)`:
/// whether `ec` issued that IUV (a position of its own holds it).
pub fn reconcile(
    ec: &EcFiscalCode,
    flow: &Flow,
    paid: &dyn Fn(&str, u8) -> Vec<PaidTransfer>,
    ours: &dyn Fn(&str) -> bool,
) -> Reconciled {
    let mut anomalies = Vec::new();
    let mut matched = Vec::new();
    if flow.receiver != ec.as_str() {
        anomalies.push(Anomaly {
            kind: AnomalyKind::OtherEc,
            flow_id: Some(flow.flow_id.clone()),
            psp_id: Some(flow.psp_id.clone()),
            iuv: None,
            id_transfer: None,
            receipt_id: None,
            message: format!("flusso indirizzato all'ente {}", flow.receiver),
        });
    }
    let count = flow.lines.len() as u64;
    let sum: u64 = flow.lines.iter().map(|l| l.amount_cents).sum();
    if count != flow.tot_payments || sum != flow.sum_cents {
        anomalies.push(Anomaly {
            kind: AnomalyKind::TotalsMismatch,
            flow_id: Some(flow.flow_id.clone()),
            psp_id: Some(flow.psp_id.clone()),
            iuv: None,
            id_transfer: None,
            receipt_id: None,
            message: format!(
                "dichiarati {} pagamenti per {}, righe {} per {}",
                flow.tot_payments,
                euro(flow.sum_cents),
                count,
                euro(sum)
            ),
        });
    }
    for (i, line) in flow.lines.iter().enumerate() {
        let anomaly = |kind, message| Anomaly::of_line(kind, flow, line, message);
        if flow.lines[..i]
            .iter()
            .any(|l| l.iuv == line.iuv && l.id_transfer == line.id_transfer)
        {
            anomalies.push(anomaly(
                AnomalyKind::Duplicate,
                format!("riga {} ripetuta nel flusso", line.index),
            ));
            continue;
        }
        match &line.status {
            PayStatus::Revoked => {
                anomalies.push(anomaly(
                    AnomalyKind::Revoked,
                    format!("pagamento revocato di {}", euro(line.amount_cents)),
                ));
                continue;
            }
            PayStatus::Unknown(s) => anomalies.push(anomaly(
                AnomalyKind::UnknownStatus,
                format!("esito sconosciuto \"{s}\""),
            )),
            PayStatus::StandIn | PayStatus::StandInNoRpt | PayStatus::NoRpt => {
                anomalies.push(anomaly(
                    AnomalyKind::StandIn,
                    "pagamento eseguito senza l'ente (stand-in o senza richiesta)".into(),
                ))
            }
            PayStatus::Executed => {}
        }
        let receipts = paid(&line.iuv, line.id_transfer);
        let chosen = receipts
            .iter()
            .find(|r| r.receipt_id == line.iur)
            .or_else(|| (receipts.len() == 1).then(|| &receipts[0]));
        match chosen {
            None if receipts.len() > 1 => anomalies.push(anomaly(
                AnomalyKind::Duplicate,
                format!("{} ricevute per la stessa riga", receipts.len()),
            )),
            None if !ours(&line.iuv) => anomalies.push(anomaly(
                AnomalyKind::OtherEc,
                "IUV non emesso da questo ente".into(),
            )),
            None => anomalies.push(anomaly(
                AnomalyKind::ReportedWithoutReceipt,
                format!(
                    "rendicontati {} senza ricevuta: da recuperare",
                    euro(line.amount_cents)
                ),
            )),
            Some(r) if r.amount_cents != line.amount_cents => {
                let mut a = anomaly(
                    AnomalyKind::AmountMismatch,
                    format!(
                        "rendicontati {}, ricevuta di {}",
                        euro(line.amount_cents),
                        euro(r.amount_cents)
                    ),
                );
                a.receipt_id = Some(r.receipt_id.clone());
                anomalies.push(a);
            }
            Some(r) => matched.push(Matched {
                iuv: line.iuv.clone(),
                id_transfer: line.id_transfer,
                receipt_id: r.receipt_id.clone(),
            }),
        }
    }
    Reconciled {
        state: if anomalies.is_empty() {
            FlowState::Accepted
        } else {
            FlowState::Anomalous
        },
        matched,
        anomalies,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ec() -> EcFiscalCode {
        EcFiscalCode::parse("77777777777").unwrap()
    }

    fn line(index: u64, iuv: &str, transfer: u8, cents: u64, status: &str) -> FlowLine {
        FlowLine {
            index,
            iuv: iuv.into(),
            iur: format!("r-{iuv}"),
            id_transfer: transfer,
            amount_cents: cents,
            status: PayStatus::parse(status),
            pay_date: "2026-06-01".parse().unwrap(),
        }
    }

    fn flow(lines: Vec<FlowLine>) -> Flow {
        Flow {
            ec: ec(),
            flow_id: "2026-06-02BCITITMM-0000001".into(),
            psp_id: "BCITITMM".into(),
            psp_name: "Banca".into(),
            revision: 1,
            published: "2026-06-02T10:00:00Z".parse().unwrap(),
            regulation: "SCT-1".into(),
            regulation_date: "2026-06-02".parse().unwrap(),
            receiver: "77777777777".into(),
            tot_payments: lines.len() as u64,
            sum_cents: lines.iter().map(|l| l.amount_cents).sum(),
            lines,
        }
    }

    /// Receipts: IUV "a" 100 (two transfers, 1 ours of 100), "b" 200, "c" 300 twice.
    fn paid(iuv: &str, t: u8) -> Vec<PaidTransfer> {
        let r = |id: &str, c| PaidTransfer {
            receipt_id: id.into(),
            amount_cents: c,
        };
        match (iuv, t) {
            ("a", 1) => vec![r("r-a", 100)],
            ("b", 1) => vec![r("r-b", 200)],
            ("c", 1) => vec![r("r-c1", 300), r("r-c2", 300)],
            _ => vec![],
        }
    }

    fn ours(iuv: &str) -> bool {
        iuv != "zz"
    }

    fn kinds(r: &Reconciled) -> Vec<AnomalyKind> {
        r.anomalies.iter().map(|a| a.kind).collect()
    }

    #[test]
    fn euro_amounts_are_read_as_text_into_cents() {
        assert_eq!(euro_cents("150.5"), Some(15050));
        assert_eq!(euro_cents("150.50"), Some(15050));
        assert_eq!(euro_cents("0.01"), Some(1));
        assert_eq!(euro_cents("7"), Some(700));
        assert_eq!(euro_cents("0.1"), Some(10));
        for bad in ["", "1.234", "-1.00", "1e3", "1,00", ".5", "abc"] {
            assert_eq!(euro_cents(bad), None, "{bad}");
        }
    }

    #[test]
    fn matching_lines_reconcile_and_the_flow_is_accepted() {
        let r = reconcile(
            &ec(),
            &flow(vec![
                line(1, "a", 1, 100, "EXECUTED"),
                line(2, "b", 1, 200, "0"),
            ]),
            &paid,
            &ours,
        );
        assert_eq!(r.state, FlowState::Accepted);
        assert_eq!(r.matched.len(), 2);
        assert_eq!(r.matched[1].receipt_id, "r-b");
    }

    #[test]
    fn every_kind_of_anomaly_is_named() {
        let mut f = flow(vec![
            line(1, "a", 1, 101, "EXECUTED"), // amount
            line(2, "x", 1, 50, "EXECUTED"),  // no receipt
            line(3, "zz", 1, 50, "EXECUTED"), // another EC's IUV
            line(4, "b", 1, 200, "REVOKED"),  // revoked
            line(5, "b", 1, 200, "EXECUTED"), // duplicate of line 4's key
            line(6, "c", 1, 300, "EXECUTED"), // two receipts, neither by IUR
            line(7, "d", 2, 10, "STAND_IN"),  // stand-in, no receipt
            line(8, "e", 1, 10, "WHATEVER"),  // unknown status
        ]);
        f.tot_payments = 9;
        f.receiver = "80001234568".into();
        let r = reconcile(&ec(), &f, &paid, &ours);
        assert_eq!(r.state, FlowState::Anomalous);
        assert!(r.matched.is_empty());
        assert_eq!(
            kinds(&r),
            vec![
                AnomalyKind::OtherEc,
                AnomalyKind::TotalsMismatch,
                AnomalyKind::AmountMismatch,
                AnomalyKind::ReportedWithoutReceipt,
                AnomalyKind::OtherEc,
                AnomalyKind::Revoked,
                AnomalyKind::Duplicate,
                AnomalyKind::Duplicate,
                AnomalyKind::StandIn,
                AnomalyKind::ReportedWithoutReceipt,
                AnomalyKind::UnknownStatus,
                AnomalyKind::ReportedWithoutReceipt,
            ]
        );
        assert!(r.anomalies[2].message.contains("1,01 €"));
        assert_eq!(r.anomalies[2].receipt_id.as_deref(), Some("r-a"));
        assert_ne!(r.anomalies[2].key(), r.anomalies[3].key());
    }

    #[test]
    fn the_iur_picks_the_receipt_among_several() {
        let mut l = line(1, "c", 1, 300, "EXECUTED");
        l.iur = "r-c2".into();
        let r = reconcile(&ec(), &flow(vec![l]), &paid, &ours);
        assert_eq!(r.matched[0].receipt_id, "r-c2");
        assert_eq!(r.state, FlowState::Accepted);
    }
}
