//! Reconciliation with pagoPA's reporting flows (FdR), per EC: hourly and on
//! demand.
//!
//! A run lists the flows published since the EC's cursor (within pagoPA's
//! 30-day window), acquires each flow not stored at that revision (its raw
//! JSON kept in the document store, its header in the table: a revision
//! replaces the flow, the same revision again is skipped), matches every line
//! to the receipts (`domain::reporting::reconcile`), records the matched
//! transfers as reported and the anomalies per flow, and then looks for
//! receipts paid days ago that no flow has reported.

use std::collections::{HashMap, HashSet};

use chrono::Duration;
use serde::Serialize;

use crate::domain::receipt::Outcome;
use crate::domain::reporting::{reconcile, Anomaly, AnomalyKind, Flow, PaidTransfer};
use crate::domain::EcFiscalCode;
use crate::fdr::{FdrError, FlowRef};
use crate::ports::{AnomalyRecord, Document, FlowRecord, Reported, StoreError};
use crate::App;

/// pagoPA lists flows published in the last 30 days only.
pub const WINDOW_DAYS: i64 = 30;
/// A receipt no flow has reported this many days after the payment is an
/// anomaly (flows are due by D+2 working days; a long weekend and a margin).
pub const PAID_NOT_REPORTED_DAYS: i64 = 5;

#[derive(Debug, thiserror::Error)]
pub enum ReconError {
    #[error("EC not served by this portal")]
    UnknownEc,
    /// No FdR API configured (`FDR_URL` and its subscription key).
    #[error("reporting flows API not configured")]
    NotConfigured,
    #[error(transparent)]
    Fdr(#[from] FdrError),
    #[error("reconciliation not stored")]
    Store(#[from] StoreError),
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunReport {
    pub flows_listed: u64,
    pub flows_acquired: u64,
    pub lines: u64,
    pub matched: u64,
    pub anomalies: u64,
    pub paid_not_reported: u64,
}

fn served(app: &App, ec: &EcFiscalCode) -> Result<(), ReconError> {
    app.entities
        .get(ec)
        .map(|_| ())
        .ok_or(ReconError::UnknownEc)
}

/// Runs the reconciliation of one EC.
pub async fn run(app: &App, ec: &EcFiscalCode) -> Result<RunReport, ReconError> {
    served(app, ec)?;
    let fdr = app.fdr.as_ref().ok_or(ReconError::NotConfigured)?;
    let now = app.clock.now();
    // Inside the window by an hour, so the API never refuses the date.
    let floor = now - Duration::days(WINDOW_DAYS) + Duration::hours(1);
    let since = app
        .reporting
        .cursor(ec)
        .await?
        .filter(|c| *c > floor)
        .unwrap_or(floor);
    let mut refs: Vec<FlowRef> = Vec::new();
    let mut page = 1;
    loop {
        let (found, pages) = fdr.list(ec, since, page).await?;
        refs.extend(found);
        if page >= pages {
            break;
        }
        page += 1;
    }
    refs.sort_by_key(|r| r.published);
    let mut report = RunReport {
        flows_listed: refs.len() as u64,
        ..Default::default()
    };
    let mut cursor = since;
    for r in &refs {
        let stored = app
            .reporting
            .flow_revision(ec, &r.psp_id, &r.flow_id)
            .await?;
        if stored.is_none_or(|s| s < r.revision) {
            let (flow, raw) = fdr.flow(ec, r).await?;
            report.lines += flow.lines.len() as u64;
            let (matched, anomalies) = acquire(app, ec, flow, raw).await?;
            report.flows_acquired += 1;
            report.matched += matched;
            report.anomalies += anomalies;
        }
        cursor = cursor.max(r.published);
    }
    if cursor > since {
        app.reporting.set_cursor(ec, cursor).await?;
    }
    report.paid_not_reported = paid_not_reported(app, ec).await?;
    tracing::info!(ec = %ec, flows = report.flows_acquired, matched = report.matched,
        anomalies = report.anomalies, unreported = report.paid_not_reported, "reconciliation run");
    Ok(report)
}

/// Runs every EC served (the hourly schedule); one EC's failure does not stop the others.
pub async fn run_all(app: &App) -> Vec<(EcFiscalCode, Result<RunReport, ReconError>)> {
    let mut out = Vec::new();
    for e in app.entities.iter() {
        let r = run(app, &e.fiscal_code).await;
        if let Err(err) = &r {
            tracing::warn!(ec = %e.fiscal_code, error = %err, "reconciliation failed");
        }
        out.push((e.fiscal_code.clone(), r));
    }
    out
}

/// The receipts' transfers credited to `ec` for an IUV, by transfer index.
async fn paid_of(
    app: &App,
    ec: &EcFiscalCode,
    iuv: &str,
) -> Result<(bool, HashMap<u8, Vec<PaidTransfer>>), StoreError> {
    let mut by_transfer: HashMap<u8, Vec<PaidTransfer>> = HashMap::new();
    let mut ours = false;
    if let Ok(iuv) = crate::domain::Iuv::parse(iuv) {
        ours = app.positions.find_by_iuv(ec, &iuv).await?.is_some();
        // Receipts are filed by notice number: the IUV's, with aux digit 3.
        let notice = format!("3{iuv}");
        {
            for r in app.receipts.receipts_for_notice(&notice).await? {
                if &r.ec != ec || r.receipt.outcome != Outcome::Ok {
                    continue;
                }
                ours = true;
                for t in r
                    .receipt
                    .transfers
                    .iter()
                    .filter(|t| &t.fiscal_code_pa == ec)
                {
                    by_transfer
                        .entry(t.id_transfer)
                        .or_default()
                        .push(PaidTransfer {
                            receipt_id: r.receipt.receipt_id.clone(),
                            amount_cents: t.amount_cents,
                        });
                }
            }
        }
    }
    Ok((ours, by_transfer))
}

/// Reconciles and stores one flow: its raw JSON, the transfers it reported,
/// its anomalies, its header (last: a run that stops before it acquires the
/// flow again). How many lines matched, and how many anomalies.
async fn acquire(
    app: &App,
    ec: &EcFiscalCode,
    flow: Flow,
    raw: serde_json::Value,
) -> Result<(u64, u64), ReconError> {
    let raw_key = format!(
        "flows/{ec}/{}/{}/{}.json",
        flow.psp_id, flow.flow_id, flow.revision
    );
    app.documents
        .put(
            &raw_key,
            &Document {
                content_type: "application/json".into(),
                bytes: raw.to_string().into_bytes(),
            },
        )
        .await?;
    let iuvs: HashSet<&str> = flow.lines.iter().map(|l| l.iuv.as_str()).collect();
    let mut known: HashMap<String, (bool, HashMap<u8, Vec<PaidTransfer>>)> = HashMap::new();
    for iuv in iuvs {
        known.insert(iuv.to_owned(), paid_of(app, ec, iuv).await?);
    }
    let paid = |iuv: &str, t: u8| {
        known
            .get(iuv)
            .and_then(|(_, m)| m.get(&t))
            .cloned()
            .unwrap_or_default()
    };
    let ours = |iuv: &str| known.get(iuv).is_some_and(|(o, _)| *o);
    let result = reconcile(ec, &flow, &paid, &ours);
    let reported: Vec<(String, u8, Reported)> = result
        .matched
        .iter()
        .map(|m| {
            (
                m.iuv.clone(),
                m.id_transfer,
                Reported {
                    flow_id: flow.flow_id.clone(),
                    psp_id: flow.psp_id.clone(),
                    revision: flow.revision,
                    regulation_date: flow.regulation_date,
                    receipt_id: m.receipt_id.clone(),
                },
            )
        })
        .collect();
    app.reporting.mark_reported(ec, &reported).await?;
    let now = app.clock.now();
    let records: Vec<AnomalyRecord> = result
        .anomalies
        .iter()
        .map(|a| AnomalyRecord {
            anomaly: a.clone(),
            detected_at: now,
        })
        .collect();
    app.reporting
        .replace_anomalies(ec, &flow.flow_id, &records)
        .await?;
    let counts = (result.matched.len() as u64, result.anomalies.len() as u64);
    let record = FlowRecord {
        lines: flow.lines.len() as u64,
        flow: Flow {
            lines: vec![],
            ..flow
        },
        state: result.state,
        matched: counts.0,
        anomalies: counts.1,
        acquired_at: now,
        raw_key,
    };
    app.reporting.put_flow(&record).await?;
    Ok(counts)
}

/// Receipts paid between the window's start and a few days ago that no flow
/// has reported: the anomalies of no flow, replaced at each run (a receipt
/// reported since is no longer one).
async fn paid_not_reported(app: &App, ec: &EcFiscalCode) -> Result<u64, ReconError> {
    let now = app.clock.now();
    let (from, to) = (
        now - Duration::days(WINDOW_DAYS),
        now - Duration::days(PAID_NOT_REPORTED_DAYS),
    );
    let mut found = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = app
            .ledger
            .paid_between(ec, from, to, after.as_deref(), 1000)
            .await?;
        let mut keys = Vec::new();
        for r in &page.records {
            for t in r
                .receipt
                .transfers
                .iter()
                .filter(|t| &t.fiscal_code_pa == ec)
            {
                keys.push((r, t.id_transfer));
            }
        }
        let lookup: Vec<(String, u8)> = keys
            .iter()
            .map(|(r, t)| (r.receipt.creditor_reference_id.clone(), *t))
            .collect();
        let reported = app.reporting.reported(ec, &lookup).await?;
        for ((r, t), rep) in keys.iter().zip(reported) {
            if rep.is_none() {
                found.push(AnomalyRecord {
                    anomaly: Anomaly {
                        kind: AnomalyKind::PaidNotReported,
                        flow_id: None,
                        psp_id: Some(r.receipt.id_psp.clone()),
                        iuv: Some(r.receipt.creditor_reference_id.clone()),
                        id_transfer: Some(*t),
                        receipt_id: Some(r.receipt.receipt_id.clone()),
                        message: format!(
                            "pagato il {} e non ancora rendicontato",
                            crate::domain::clock::rome_date(r.paid_at())
                        ),
                    },
                    detected_at: now,
                });
            }
        }
        match page.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    app.reporting.replace_anomalies(ec, "-", &found).await?;
    Ok(found.len() as u64)
}

pub async fn flows(
    app: &App,
    ec: &EcFiscalCode,
    limit: usize,
) -> Result<Vec<FlowRecord>, ReconError> {
    served(app, ec)?;
    Ok(app.reporting.flows(ec, limit).await?)
}

pub async fn anomalies(app: &App, ec: &EcFiscalCode) -> Result<Vec<AnomalyRecord>, ReconError> {
    served(app, ec)?;
    let mut list = app.reporting.anomalies(ec).await?;
    list.sort_by_key(|a| std::cmp::Reverse(a.detected_at));
    Ok(list)
}

/// What was reported of each transfer (IUV, index) of the EC.
pub async fn reported(
    app: &App,
    ec: &EcFiscalCode,
    keys: &[(String, u8)],
) -> Result<Vec<Option<Reported>>, StoreError> {
    app.reporting.reported(ec, keys).await
}

/// What the reporting flows reported of a position's paid options (the EC's
/// transfer, index 1), by IUV.
pub async fn reported_of_position(
    app: &App,
    p: &crate::domain::Position,
) -> Result<Vec<(String, Reported)>, StoreError> {
    let paid: Vec<(String, u8)> = p
        .payment_options
        .iter()
        .filter(|o| o.is_paid())
        .map(|o| (o.iuv().to_string(), 1))
        .collect();
    let reported = reported(app, &p.ec_fiscal_code, &paid).await?;
    Ok(paid
        .into_iter()
        .zip(reported)
        .filter_map(|((iuv, _), r)| r.map(|r| (iuv, r)))
        .collect())
}

/// Asks for a run now: a marker whose arrival triggers the reconciliation
/// worker (as the import worker's files do). Its id.
pub async fn request_run(app: &App, ec: &EcFiscalCode) -> Result<String, ReconError> {
    served(app, ec)?;
    // The operator API has no client of the FdR API (the worker has): the
    // setting says whether there is one to run against.
    if !app.settings.fdr_configured {
        return Err(ReconError::NotConfigured);
    }
    let id = crate::secret::random_token();
    let doc = Document {
        content_type: "text/plain".into(),
        bytes: app.clock.now().to_rfc3339().into_bytes(),
    };
    app.documents
        .put(&format!("reconciliation/{ec}/runs/{id}"), &doc)
        .await?;
    Ok(id)
}

/// The EC a run marker's key names.
pub fn ec_of_run_key(key: &str) -> Option<EcFiscalCode> {
    let parts: Vec<&str> = key.split('/').collect();
    match parts.as_slice() {
        ["reconciliation", ec, "runs", id] if crate::secret::well_formed_token(id) => {
            EcFiscalCode::parse(ec).ok()
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::receipt::ReceiptTransfer;
    use crate::domain::reporting::{FlowLine, FlowState, PayStatus};
    use crate::memory::Fault;
    use crate::ports::DocumentStore;
    use crate::service::nodo;
    use crate::service::testkit::{at, ec, entity, kit, now, payable, receipt, EC};

    async fn pay(app: &App, iupd: &str, id: &str) -> String {
        let (_, n) = payable(app, iupd).await;
        let mut r = receipt(&n, id, 15_050);
        r.transfers = vec![ReceiptTransfer {
            id_transfer: 1,
            amount_cents: 15_050,
            fiscal_code_pa: ec(),
            company_name: None,
            iban: Some("IT60X0542811101000000123456".into()),
            mbd_attachment: None,
            remittance_information: "TARI".into(),
            transfer_category: "9/0101100IM/".into(),
            metadata: vec![],
        }];
        nodo::receive(app, entity(app), r, "<r/>".into(), vec![])
            .await
            .unwrap();
        n.iuv().to_string()
    }

    fn line(index: u64, iuv: &str, cents: u64, iur: &str) -> FlowLine {
        FlowLine {
            index,
            iuv: iuv.into(),
            iur: iur.into(),
            id_transfer: 1,
            amount_cents: cents,
            status: PayStatus::Executed,
            pay_date: "2026-06-01".parse().unwrap(),
        }
    }

    fn flow(revision: u64, hours: i64, lines: Vec<FlowLine>) -> Flow {
        Flow {
            ec: ec(),
            flow_id: "2026-06-02BCITITMM-0000001".into(),
            psp_id: "BCITITMM".into(),
            psp_name: "Banca".into(),
            revision,
            published: now() + Duration::hours(hours),
            regulation: "SCT-1".into(),
            regulation_date: "2026-06-02".parse().unwrap(),
            receiver: EC.into(),
            tot_payments: lines.len() as u64,
            sum_cents: lines.iter().map(|l| l.amount_cents).sum(),
            lines,
        }
    }

    #[tokio::test]
    async fn flows_are_acquired_once_per_revision_and_reconciled() {
        let (app, fakes) = kit().await;
        let a = pay(&app, "A", "rcpt-a").await;
        let b = pay(&app, "B", "rcpt-b").await;
        let c = pay(&app, "C", "rcpt-c").await;
        fakes.fdr.publish(flow(
            1,
            20,
            vec![
                line(1, &a, 15_050, "rcpt-a"),
                line(2, &b, 15_150, "rcpt-b"),
                line(3, "00000000000000099", 500, "x"),
            ],
        ));
        let day2 = at(&app, now() + Duration::days(1));
        let r = run(&day2, &ec()).await.unwrap();
        assert_eq!(
            (r.flows_listed, r.flows_acquired, r.matched, r.anomalies),
            (1, 1, 1, 2)
        );
        assert_eq!(r.lines, 3);
        let flows = flows(&day2, &ec(), 10).await.unwrap();
        assert_eq!(flows[0].state, FlowState::Anomalous);
        assert_eq!((flows[0].lines, flows[0].matched), (3, 1));
        assert!(fakes
            .documents
            .get(&flows[0].raw_key)
            .await
            .unwrap()
            .is_some());
        let kinds: Vec<AnomalyKind> = anomalies(&day2, &ec())
            .await
            .unwrap()
            .iter()
            .map(|a| a.anomaly.kind)
            .collect();
        assert!(kinds.contains(&AnomalyKind::AmountMismatch), "{kinds:?}");
        let rep = reported(&day2, &ec(), &[(a.clone(), 1), (c.clone(), 1)])
            .await
            .unwrap();
        assert_eq!(rep[0].as_ref().unwrap().receipt_id, "rcpt-a");
        assert!(rep[1].is_none());
        // Again: nothing new.
        assert_eq!(run(&day2, &ec()).await.unwrap().flows_acquired, 0);
        // A revision replaces the flow: its anomalies go with it.
        fakes.fdr.publish(flow(
            2,
            30,
            vec![line(1, &a, 15_050, "rcpt-a"), line(2, &b, 15_050, "rcpt-b")],
        ));
        let r = run(&day2, &ec()).await.unwrap();
        assert_eq!((r.flows_acquired, r.matched, r.anomalies), (1, 2, 0));
        assert_eq!(flows_of(&day2).await[0].flow.revision, 2);
        assert!(anomalies(&day2, &ec()).await.unwrap().is_empty());
        // Ten days on, C was never reported.
        let later = at(&app, now() + Duration::days(10));
        let r = run(&later, &ec()).await.unwrap();
        assert_eq!(r.paid_not_reported, 1);
        let list = anomalies(&later, &ec()).await.unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].anomaly.kind, AnomalyKind::PaidNotReported);
        assert_eq!(list[0].anomaly.receipt_id.as_deref(), Some("rcpt-c"));
        assert_eq!(list[0].anomaly.iuv.as_deref(), Some(c.as_str()));
    }

    async fn flows_of(app: &App) -> Vec<FlowRecord> {
        flows(app, &ec(), 10).await.unwrap()
    }

    #[tokio::test]
    async fn a_failing_api_stops_the_run_and_the_next_one_catches_up() {
        let (app, fakes) = kit().await;
        let a = pay(&app, "A", "rcpt-a").await;
        fakes
            .fdr
            .publish(flow(1, 1, vec![line(1, &a, 15_050, "rcpt-a")]));
        fakes.fdr.faults.inject("flow", Fault::Unavailable, 1);
        assert!(matches!(run(&app, &ec()).await, Err(ReconError::Fdr(_))));
        assert!(flows_of(&app).await.is_empty());
        let r = run(&app, &ec()).await.unwrap();
        assert_eq!((r.flows_acquired, r.matched), (1, 1));
        let mut unconfigured = app.clone();
        unconfigured.fdr = None;
        assert!(matches!(
            run(&unconfigured, &ec()).await,
            Err(ReconError::NotConfigured)
        ));
        unconfigured.settings.fdr_configured = false;
        assert!(matches!(
            request_run(&unconfigured, &ec()).await,
            Err(ReconError::NotConfigured)
        ));
        // The operator API queues a run with no FdR client of its own.
        let mut api = app.restricted_to(crate::app::wiring::DOCUMENTS);
        assert!(api.fdr.is_none());
        let id = request_run(&api, &ec()).await.unwrap();
        api.settings.fdr_configured = false;
        assert!(request_run(&api, &ec()).await.is_err());
        let key = format!("reconciliation/{EC}/runs/{id}");
        assert!(fakes.documents.get(&key).await.unwrap().is_some());
        assert_eq!(ec_of_run_key(&key), Some(ec()));
        assert_eq!(ec_of_run_key("reconciliation/x/runs/y"), None);
    }
}
