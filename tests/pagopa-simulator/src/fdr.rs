//! pagoPA's reporting flows (FdR), organization side, as the simulator's PSP
//! publishes them: every transfer it collected and delivered a receipt for is
//! reported in a flow of the EC it credits, over the REST API of
//! `fdr_organization.json` (`/fdr-org/service/v1/organizations/{org}/fdrs…`).
//!
//! Flows are published on `POST /control/fdr/publish` (`{"organization":
//! "<ec>", "mode": …}`) and on the devstack's schedule. Fault modes:
//! `omit` leaves the last payment out, `wrong-amount` reports the first one
//! a euro higher, `unknown-iuv` adds a line for an IUV nobody paid, and
//! `revision` publishes the last flow again as its next revision (with every
//! line of it, corrected).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{json, Value};
use shared::soap::xml::parse;

/// The PSP the simulator plays.
pub const PSP_ID: &str = "BCITITMM";
pub const PSP_NAME: &str = "Banca di Simulazione";

#[derive(Debug, Clone)]
struct Collected {
    org: String,
    iuv: String,
    iur: String,
    id_transfer: u32,
    cents: u64,
    pay_date: NaiveDate,
    reported: bool,
}

#[derive(Debug, Clone)]
struct Line {
    iuv: String,
    iur: String,
    id_transfer: u32,
    cents: u64,
    pay_date: NaiveDate,
}

#[derive(Debug, Clone)]
struct Flow {
    org: String,
    fdr: String,
    revision: u64,
    published: DateTime<Utc>,
    regulation_date: NaiveDate,
    lines: Vec<Line>,
}

/// What a publication does wrong, on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultMode {
    Normal,
    Omit,
    WrongAmount,
    UnknownIuv,
    Revision,
}

impl FaultMode {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "normal" => Self::Normal,
            "omit" => Self::Omit,
            "wrong-amount" => Self::WrongAmount,
            "unknown-iuv" => Self::UnknownIuv,
            "revision" => Self::Revision,
            _ => return None,
        })
    }
}

#[derive(Default)]
pub struct Reporting {
    collected: Mutex<Vec<Collected>>,
    flows: Mutex<Vec<Flow>>,
    seq: AtomicU64,
}

fn euro(cents: u64) -> Value {
    // pagoPA sends `pay` as a JSON number of euro; the portal reads its text.
    serde_json::Number::from_f64(cents as f64 / 100.0)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

fn parse_cents(s: &str) -> Option<u64> {
    let (units, decimals) = s.split_once('.').unwrap_or((s, "0"));
    let decimals = format!("{decimals:0<2}");
    Some(units.parse::<u64>().ok()? * 100 + decimals.get(..2)?.parse::<u64>().ok()?)
}

impl Reporting {
    /// Remembers the transfers of a receipt the portal stored.
    pub fn record(&self, receipt_xml: &str) {
        let Ok(r) = parse(receipt_xml.as_bytes()) else {
            return;
        };
        let text = |e: &shared::soap::xml::Element, n: &str| {
            e.child(n)
                .map(|c| c.text.trim().to_owned())
                .unwrap_or_default()
        };
        let pay_date = text(&r, "paymentDateTime")
            .get(..10)
            .and_then(|d| d.parse().ok())
            .unwrap_or_else(|| Utc::now().date_naive());
        let Some(list) = r.child("transferList") else {
            return;
        };
        let mut collected = self.collected.lock().expect("lock");
        for t in list.children_named("transfer") {
            collected.push(Collected {
                org: text(t, "fiscalCodePA"),
                iuv: text(&r, "creditorReferenceId"),
                iur: text(&r, "receiptId"),
                id_transfer: text(t, "idTransfer").parse().unwrap_or(1),
                cents: parse_cents(&text(t, "transferAmount")).unwrap_or(0),
                pay_date,
                reported: false,
            });
        }
    }

    /// Publishes a flow of what was collected for `org` and not yet reported;
    /// its id and revision, or `None` when there is nothing to report.
    pub fn publish(&self, org: &str, mode: FaultMode) -> Option<(String, u64)> {
        let now = Utc::now();
        if mode == FaultMode::Revision {
            let mut flows = self.flows.lock().expect("lock");
            let last = flows.iter().rev().find(|f| f.org == org)?.clone();
            let next = Flow {
                revision: last.revision + 1,
                published: now,
                ..last
            };
            let key = (next.fdr.clone(), next.revision);
            flows.push(next);
            return Some(key);
        }
        let mut collected = self.collected.lock().expect("lock");
        let mut lines: Vec<Line> = collected
            .iter_mut()
            .filter(|c| c.org == org && !c.reported)
            .map(|c| {
                c.reported = true;
                Line {
                    iuv: c.iuv.clone(),
                    iur: c.iur.clone(),
                    id_transfer: c.id_transfer,
                    cents: c.cents,
                    pay_date: c.pay_date,
                }
            })
            .collect();
        drop(collected);
        match mode {
            FaultMode::Omit => {
                lines.pop();
            }
            FaultMode::WrongAmount => {
                if let Some(l) = lines.first_mut() {
                    l.cents += 100;
                }
            }
            FaultMode::UnknownIuv => lines.push(Line {
                iuv: "99999999999999999".into(),
                iur: "unknown-iur".into(),
                id_transfer: 1,
                cents: 1234,
                pay_date: now.date_naive(),
            }),
            _ => {}
        }
        if lines.is_empty() {
            return None;
        }
        let n = self.seq.fetch_add(1, Ordering::SeqCst) + 1;
        let fdr = format!("{}{PSP_ID}-{n:07}", now.format("%Y-%m-%d"));
        self.flows.lock().expect("lock").push(Flow {
            org: org.to_owned(),
            fdr: fdr.clone(),
            revision: 1,
            published: now,
            regulation_date: now.date_naive(),
            lines,
        });
        Some((fdr, 1))
    }

    /// `GET …/organizations/{org}/fdrs`: the latest revision of each flow
    /// published after `published_gt`, a page at a time.
    pub fn list(
        &self,
        org: &str,
        published_gt: Option<DateTime<Utc>>,
        page: usize,
        size: usize,
    ) -> Value {
        let flows = self.flows.lock().expect("lock");
        let mut latest: Vec<&Flow> = Vec::new();
        for f in flows.iter().filter(|f| f.org == org) {
            latest.retain(|l| l.fdr != f.fdr || l.revision > f.revision);
            if !latest.iter().any(|l| l.fdr == f.fdr) {
                latest.push(f);
            }
        }
        latest.retain(|f| published_gt.is_none_or(|gt| f.published > gt));
        latest.sort_by_key(|f| (f.published, f.fdr.clone()));
        let size = size.clamp(1, 1000);
        let total_pages = latest.len().div_ceil(size).max(1);
        let data: Vec<Value> = latest
            .iter()
            .skip((page.max(1) - 1) * size)
            .take(size)
            .map(|f| {
                json!({"fdr": f.fdr, "pspId": PSP_ID, "revision": f.revision,
                    "published": f.published, "flowDate": f.published})
            })
            .collect();
        json!({"metadata": {"pageSize": size, "pageNumber": page.max(1), "totPage": total_pages},
            "count": latest.len(), "data": data})
    }

    fn find(&self, org: &str, fdr: &str, revision: u64, psp: &str) -> Option<Flow> {
        if psp != PSP_ID {
            return None;
        }
        self.flows
            .lock()
            .expect("lock")
            .iter()
            .find(|f| f.org == org && f.fdr == fdr && f.revision == revision)
            .cloned()
    }

    /// `GET …/fdrs/{fdr}/revisions/{revision}/psps/{pspId}`: the header.
    pub fn header(&self, org: &str, fdr: &str, revision: u64, psp: &str) -> Option<Value> {
        let f = self.find(org, fdr, revision, psp)?;
        let sum: u64 = f.lines.iter().map(|l| l.cents).sum();
        Some(json!({
            "status": "PUBLISHED", "revision": f.revision, "created": f.published,
            "updated": f.published, "fdr": f.fdr, "fdrDate": f.published,
            "regulation": format!("SCT-{}", f.fdr), "regulationDate": f.regulation_date,
            "sender": {"type": "ABI_CODE", "id": "03069", "pspId": PSP_ID, "pspName": PSP_NAME,
                "pspBrokerId": PSP_ID, "channelId": format!("{PSP_ID}_01")},
            "receiver": {"id": org, "organizationId": org, "organizationName": org},
            "published": f.published,
            "computedTotPayments": f.lines.len(), "computedSumPayments": euro(sum),
            "totPayments": f.lines.len(), "sumPayments": euro(sum),
        }))
    }

    /// `GET …/payments`: the flow's lines, a page at a time.
    pub fn payments(
        &self,
        org: &str,
        fdr: &str,
        revision: u64,
        psp: &str,
        page: usize,
        size: usize,
    ) -> Option<Value> {
        let f = self.find(org, fdr, revision, psp)?;
        let size = size.clamp(1, 1000);
        let data: Vec<Value> = f
            .lines
            .iter()
            .enumerate()
            .skip((page.max(1) - 1) * size)
            .take(size)
            .map(|(i, l)| {
                json!({"index": i + 1, "iuv": l.iuv, "iur": l.iur, "idTransfer": l.id_transfer,
                    "pay": euro(l.cents), "payStatus": "EXECUTED",
                    "payDate": format!("{}T00:00:00Z", l.pay_date)})
            })
            .collect();
        Some(
            json!({"metadata": {"pageSize": size, "pageNumber": page.max(1),
            "totPage": f.lines.len().div_ceil(size).max(1)}, "count": f.lines.len(), "data": data}),
        )
    }
}
