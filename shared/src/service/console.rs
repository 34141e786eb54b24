//! What the operators' web console asks that the operator API does not: the
//! search of an EC's positions by any of their identifiers, state and due
//! date, and the payments of a period summed per day and per service.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;

use crate::domain::clock::rome_date;
use crate::domain::text::{Iupd, ServiceCode};
use crate::domain::Position;
use crate::domain::{EcFiscalCode, FieldErrors, FiscalCode, Iuv, NoticeNumber, NoticeStatus};
use crate::ports::{listing_key, StoreError};
use crate::service::ledger::{self, ExportError, Period};
use crate::App;

/// Positions per page of results.
pub const PAGE: usize = 25;
/// Listing reads per page at most, when a state filter leaves few matches.
const MAX_READS: usize = 8;

/// A search of an EC's positions: any identifier narrows it to a lookup;
/// otherwise the EC's positions by due date.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Search {
    pub notice: Option<NoticeNumber>,
    pub iuv: Option<Iuv>,
    pub iupd: Option<Iupd>,
    pub debtor: Option<FiscalCode>,
    pub status: Option<NoticeStatus>,
    pub due_from: Option<NaiveDate>,
    pub due_to: Option<NaiveDate>,
    /// The listing key after which the page starts.
    pub after: Option<String>,
}

/// Reads a search from its form fields (the console's query string):
/// `avviso`, `iuv`, `iupd`, `cf`, `stato`, `scadenza_da`, `scadenza_a`, `dopo`.
/// Blank fields are ignored; every wrong one is named.
pub fn parse_search(field: impl Fn(&str) -> Option<String>) -> Result<Search, FieldErrors> {
    let mut errors = FieldErrors::default();
    let get = |name: &str| {
        field(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let mut s = Search::default();
    if let Some(v) = get("avviso") {
        match NoticeNumber::parse(&v.replace(' ', "")) {
            Ok(n) => s.notice = Some(n),
            Err(e) => errors.push("avviso", e.message(crate::domain::Lang::It)),
        }
    }
    if let Some(v) = get("iuv") {
        match Iuv::parse(&v) {
            Ok(i) => s.iuv = Some(i),
            Err(e) => errors.push("iuv", e.message(crate::domain::Lang::It)),
        }
    }
    if let Some(v) = get("iupd") {
        match Iupd::parse(&v) {
            Ok(i) => s.iupd = Some(i),
            Err(m) => errors.push("iupd", m),
        }
    }
    if let Some(v) = get("cf") {
        match FiscalCode::parse(&v) {
            Ok(cf) => s.debtor = Some(cf),
            Err(e) => errors.push("cf", e.message(crate::domain::Lang::It)),
        }
    }
    if let Some(v) = get("stato") {
        match serde_json::from_value::<NoticeStatus>(serde_json::Value::String(v)) {
            Ok(st) => s.status = Some(st),
            Err(_) => errors.push("stato", "stato non valido"),
        }
    }
    let mut date = |name: &str| {
        get(name).and_then(|v| match v.parse::<NaiveDate>() {
            Ok(d) if crate::domain::clock::sane(d) => Some(d),
            _ => {
                errors.push(name, "deve essere una data AAAA-MM-GG");
                None
            }
        })
    };
    s.due_from = date("scadenza_da");
    s.due_to = date("scadenza_a");
    if let (Some(a), Some(b)) = (s.due_from, s.due_to) {
        if b < a {
            errors.push("scadenza_a", "non può precedere la data iniziale");
        }
    }
    if let Some(v) = get("dopo") {
        let ok = v.len() <= 60
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.#".contains(&b));
        if ok {
            s.after = Some(v);
        } else {
            errors.push("dopo", "pagina non valida");
        }
    }
    if errors.is_empty() {
        Ok(s)
    } else {
        Err(errors)
    }
}

/// One page of results, and the key the next page starts after.
#[derive(Debug, Clone, Default)]
pub struct Found {
    pub positions: Vec<Position>,
    pub next: Option<String>,
}

fn first_due(p: &Position) -> Option<NaiveDate> {
    p.payment_options.iter().map(|o| o.due_date).min()
}

/// Whether a position passes the search's filters (the lookups' results
/// are filtered as the listing's are).
pub fn matches(s: &Search, p: &Position, today: NaiveDate) -> bool {
    let due = first_due(p);
    s.notice
        .is_none_or(|n| p.payment_options.iter().any(|o| o.notice_number == n))
        && s.iuv
            .as_ref()
            .is_none_or(|i| p.payment_options.iter().any(|o| &o.iuv() == i))
        && s.iupd.as_ref().is_none_or(|i| &p.iupd == i)
        && s.debtor.as_ref().is_none_or(|d| &p.debtor.fiscal_code == d)
        && s.status.is_none_or(|st| p.status(today) == st)
        && s.due_from.is_none_or(|f| due.is_some_and(|d| d >= f))
        && s.due_to.is_none_or(|t| due.is_some_and(|d| d <= t))
}

/// Searches the EC's positions.
pub async fn search(app: &App, ec: &EcFiscalCode, s: &Search) -> Result<Found, StoreError> {
    let today = app.clock.today();
    let keep = |list: Vec<Position>| -> Found {
        let mut positions: Vec<Position> = list
            .into_iter()
            .filter(|p| &p.ec_fiscal_code == ec && matches(s, p, today))
            .collect();
        positions.sort_by_key(listing_key);
        Found {
            positions,
            next: None,
        }
    };
    if let Some(n) = &s.notice {
        let list = app.positions.find_by_notice(n).await?;
        return Ok(keep(list.into_iter().map(|v| v.value).collect()));
    }
    if let Some(i) = &s.iuv {
        let list = app.positions.find_by_iuv(ec, i).await?;
        return Ok(keep(list.into_iter().map(|v| v.value).collect()));
    }
    if let Some(i) = &s.iupd {
        let list = app.positions.get(ec, i).await?;
        return Ok(keep(list.into_iter().map(|v| v.value).collect()));
    }
    if let Some(d) = &s.debtor {
        return Ok(keep(app.positions.find_by_debtor(d).await?));
    }
    // The listing: pages of the EC's positions, filtered, until a page is full.
    let mut found = Vec::new();
    let mut after = s.after.clone();
    for _ in 0..MAX_READS {
        let batch = app
            .positions
            .positions_of_ec(ec, s.due_from, s.due_to, after.as_deref(), PAGE * 2)
            .await?;
        let exhausted = batch.len() < PAGE * 2;
        for p in batch {
            after = Some(listing_key(&p));
            if matches(s, &p, today) {
                found.push(p);
                if found.len() == PAGE {
                    return Ok(Found {
                        positions: found,
                        next: after,
                    });
                }
            }
        }
        if exhausted {
            return Ok(Found {
                positions: found,
                next: None,
            });
        }
    }
    Ok(Found {
        positions: found,
        next: after,
    })
}

/// Money collected in a period, as the console's payments page shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Every day of the period (Italian time), with what was collected.
    pub per_day: Vec<(NaiveDate, Total)>,
    /// Per service code (`None`: a receipt of no position of ours).
    pub per_service: BTreeMap<Option<ServiceCode>, Total>,
    pub reported: Total,
    pub not_reported: Total,
    pub total: Total,
}

/// Payments (transfers credited to the EC) and their sum.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Total {
    pub count: u64,
    pub cents: u64,
}

impl Total {
    fn add(&mut self, cents: u64) {
        self.count += 1;
        self.cents += cents;
    }
}

/// One transfer as the summary counts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collected {
    pub day: NaiveDate,
    pub service: Option<ServiceCode>,
    pub cents: u64,
    pub reported: bool,
}

/// Sums transfers per day (every day of `[from, to]`, empty ones too), per
/// service, and by reconciliation.
pub fn summarise(from: NaiveDate, to: NaiveDate, items: &[Collected]) -> Summary {
    let mut days: BTreeMap<NaiveDate, Total> = from
        .iter_days()
        .take_while(|d| *d <= to)
        .map(|d| (d, Total::default()))
        .collect();
    let mut s = Summary::default();
    for c in items {
        if let Some(t) = days.get_mut(&c.day) {
            t.add(c.cents);
        }
        s.per_service
            .entry(c.service.clone())
            .or_default()
            .add(c.cents);
        if c.reported {
            s.reported.add(c.cents);
        } else {
            s.not_reported.add(c.cents);
        }
        s.total.add(c.cents);
    }
    s.per_day = days.into_iter().collect();
    s
}

/// The summary of the EC's payments in `[from, to]` (days, Italian time).
pub async fn payments(
    app: &App,
    ec: &EcFiscalCode,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Summary, ExportError> {
    let period: Period = ledger::period(Some(&from.to_string()), Some(&to.to_string()))
        .map_err(ExportError::Invalid)?;
    let mut items = Vec::new();
    let mut services: HashMap<String, Option<ServiceCode>> = HashMap::new();
    let mut after: Option<String> = None;
    loop {
        let (rows, next) =
            ledger::page(app, ec, period, after.as_deref(), ledger::MAX_PAGE).await?;
        for row in rows {
            // Kept on the receipt since it was stored; older ones: ask the position.
            let stored = row
                .service_code
                .as_deref()
                .and_then(|c| ServiceCode::parse(c).ok());
            let service = match (&row.iupd, stored) {
                (_, Some(s)) => Some(s),
                (None, None) => None,
                (Some(iupd), None) => match services.get(iupd) {
                    Some(s) => s.clone(),
                    None => {
                        let s = match Iupd::parse(iupd) {
                            Ok(i) => app
                                .positions
                                .get(ec, &i)
                                .await?
                                .map(|p| p.value.service_code),
                            Err(_) => None,
                        };
                        services.insert(iupd.clone(), s.clone());
                        s
                    }
                },
            };
            items.push(Collected {
                day: rome_date(row.paid_at),
                service,
                cents: row.amount_cents,
                reported: row.reconciliation == "reported",
            });
        }
        match next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    Ok(summarise(from, to, &items))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::{nodo, testkit};

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn summaries_cover_every_day_and_split_by_service_and_reporting() {
        let tari = Some(ServiceCode::parse("TARI").unwrap());
        let items = [
            Collected {
                day: day("2026-05-02"),
                service: tari.clone(),
                cents: 1000,
                reported: true,
            },
            Collected {
                day: day("2026-05-02"),
                service: None,
                cents: 250,
                reported: false,
            },
            Collected {
                day: day("2026-05-04"),
                service: tari.clone(),
                cents: 500,
                reported: false,
            },
        ];
        let s = summarise(day("2026-05-01"), day("2026-05-04"), &items);
        assert_eq!(s.per_day.len(), 4);
        assert_eq!(s.per_day[0].1, Total::default());
        assert_eq!(
            s.per_day[1].1,
            Total {
                count: 2,
                cents: 1250
            }
        );
        assert_eq!(
            s.per_day[3].1,
            Total {
                count: 1,
                cents: 500
            }
        );
        assert_eq!(
            s.per_service[&tari],
            Total {
                count: 2,
                cents: 1500
            }
        );
        assert_eq!(
            s.per_service[&None],
            Total {
                count: 1,
                cents: 250
            }
        );
        assert_eq!(
            s.reported,
            Total {
                count: 1,
                cents: 1000
            }
        );
        assert_eq!(
            s.not_reported,
            Total {
                count: 2,
                cents: 750
            }
        );
        assert_eq!(
            s.total,
            Total {
                count: 3,
                cents: 1750
            }
        );
        // One day.
        let one = summarise(day("2026-05-02"), day("2026-05-02"), &items);
        assert_eq!(
            one.per_day,
            vec![(
                day("2026-05-02"),
                Total {
                    count: 2,
                    cents: 1250
                }
            )]
        );
    }

    #[tokio::test]
    async fn payments_are_summed_per_day_and_per_service_from_the_receipts() {
        use crate::domain::receipt::ReceiptTransfer;
        let (app, _) = testkit::kit().await;
        let ec = testkit::ec();
        for (iupd, id) in [("SUM-1", "rcpt-sum-1"), ("SUM-2", "rcpt-sum-2")] {
            let (_, n) = testkit::payable(&app, iupd).await;
            let mut r = testkit::receipt(&n, id, 15_050);
            r.transfers = vec![ReceiptTransfer {
                id_transfer: 1,
                amount_cents: 15_050,
                fiscal_code_pa: ec.clone(),
                company_name: None,
                iban: Some("IT60X0542811101000000123456".into()),
                mbd_attachment: None,
                remittance_information: "TARI".into(),
                transfer_category: "9/0101100IM/".into(),
                metadata: vec![],
            }];
            nodo::receive(&app, testkit::entity(&app), r, "<r/>".into(), vec![])
                .await
                .unwrap();
        }
        // The service is kept on the receipt as it is stored.
        let stored = testkit::stored(&app, "rcpt-sum-1").await.unwrap();
        assert_eq!(
            stored.service_code.as_ref().map(|c| c.as_str()),
            Some("TARI")
        );
        let today = app.clock.today();
        let s = payments(&app, &ec, today - chrono::Duration::days(29), today)
            .await
            .unwrap();
        assert_eq!(s.per_day.len(), 30);
        assert_eq!(
            s.per_day[29],
            (
                today,
                Total {
                    count: 2,
                    cents: 30_100
                }
            )
        );
        assert_eq!(
            s.total,
            Total {
                count: 2,
                cents: 30_100
            }
        );
        let tari = Some(ServiceCode::parse("TARI").unwrap());
        assert_eq!(s.per_service[&tari].count, 2);
        assert_eq!(s.not_reported.count, 2);
        assert_eq!(s.reported.count, 0);
        // Another EC collected nothing.
        let other = EcFiscalCode::parse(testkit::OTHER_EC).unwrap();
        assert_eq!(
            payments(&app, &other, today, today)
                .await
                .unwrap()
                .total
                .count,
            0
        );
    }

    #[test]
    fn search_fields_are_read_and_named_when_wrong() {
        let form = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let s = parse_search(form(&[
            ("cf", " rssmra85t10a562s "),
            ("stato", "paid"),
            ("scadenza_da", "2026-01-01"),
            ("iupd", ""),
        ]))
        .unwrap();
        assert_eq!(s.debtor.unwrap().as_str(), "RSSMRA85T10A562S");
        assert_eq!(s.status, Some(NoticeStatus::Paid));
        assert_eq!(s.due_from, Some(day("2026-01-01")));
        assert!(s.iupd.is_none());
        let e = parse_search(form(&[
            ("avviso", "123"),
            ("cf", "XYZ"),
            ("stato", "lost"),
            ("scadenza_da", "2026-02-01"),
            ("scadenza_a", "2026-01-01"),
            ("dopo", "<script>"),
        ]))
        .unwrap_err();
        let fields: Vec<&str> = e.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["avviso", "cf", "stato", "scadenza_a", "dopo"]);
    }

    #[tokio::test]
    async fn search_by_identifier_state_and_due_date_pages_and_stays_in_the_ec() {
        let (app, _) = testkit::kit().await;
        let ec = testkit::ec();
        let mut made = vec![];
        for i in 0..30 {
            let due = format!("2026-{:02}-15", 7 + i % 5);
            let p =
                testkit::position(&app, &format!("POS-{i:02}"), &[(1000 + i, &due, false)]).await;
            made.push(p);
        }
        // Everything, by due date, in pages.
        let first = search(&app, &ec, &Search::default()).await.unwrap();
        assert_eq!(first.positions.len(), PAGE);
        let dues: Vec<_> = first.positions.iter().map(listing_key).collect();
        let mut sorted = dues.clone();
        sorted.sort();
        assert_eq!(dues, sorted);
        let second = search(
            &app,
            &ec,
            &Search {
                after: first.next.clone(),
                ..Search::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(second.positions.len(), 30 - PAGE);
        assert!(second.next.is_none());
        // By due date range.
        let july = search(
            &app,
            &ec,
            &Search {
                due_from: Some(day("2026-07-01")),
                due_to: Some(day("2026-07-31")),
                ..Search::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(july.positions.len(), 6);
        // By identifiers.
        let target = &made[7];
        let notice = target.payment_options[0].notice_number;
        for s in [
            Search {
                notice: Some(notice),
                ..Search::default()
            },
            Search {
                iuv: Some(notice.iuv()),
                ..Search::default()
            },
            Search {
                iupd: Some(target.iupd.clone()),
                ..Search::default()
            },
        ] {
            let f = search(&app, &ec, &s).await.unwrap();
            assert_eq!(f.positions.len(), 1, "{s:?}");
            assert_eq!(f.positions[0].iupd, target.iupd);
        }
        let by_debtor = search(
            &app,
            &ec,
            &Search {
                debtor: Some(FiscalCode::parse(testkit::DEBTOR).unwrap()),
                status: Some(NoticeStatus::Payable),
                ..Search::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(by_debtor.positions.len(), 30);
        let paid = search(
            &app,
            &ec,
            &Search {
                status: Some(NoticeStatus::Paid),
                ..Search::default()
            },
        )
        .await
        .unwrap();
        assert!(paid.positions.is_empty());
        // Another EC sees none of them, by any route.
        let other = EcFiscalCode::parse(testkit::OTHER_EC).unwrap();
        for s in [
            Search::default(),
            Search {
                notice: Some(notice),
                ..Search::default()
            },
            Search {
                debtor: Some(FiscalCode::parse(testkit::DEBTOR).unwrap()),
                ..Search::default()
            },
        ] {
            assert!(search(&app, &other, &s).await.unwrap().positions.is_empty());
        }
    }
}
