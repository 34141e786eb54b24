//! Payments and reconciliation at a glance: what was collected per day and
//! per service, what pagoPA's flows reported, the flows, the anomalies; the
//! exports.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::domain::access::Role;
use shared::domain::{AmountCents, FieldErrors};
use shared::http::export::deliver;
use shared::http::{query_param, ApiError};
use shared::ports::AnomalyRecord;
use shared::service::ledger::{self, ExportError};
use shared::service::{console, reconciliation};
use shared::web::{self, read_form, Ctx};
use shared::App;

use crate::chart::{self, Bar};
use crate::pages::{self, AnomalyView, Console, FlowRow, Input, ServiceTotal};
use crate::{tr, Caller};

/// Days shown when no period is asked for.
const DEFAULT_DAYS: i64 = 30;

fn money(ctx: &Ctx, cents: u64) -> String {
    match AmountCents::new(cents) {
        Ok(a) => web::amount(ctx.lang, a),
        // An amount is positive; a sum may be nothing.
        Err(_) => tr(ctx.lang, "0,00 €", "€0.00").to_owned(),
    }
}

/// A label short enough to sit under a bar.
fn short(name: &str) -> String {
    const MAX: usize = 14;
    if name.chars().count() <= MAX {
        name.to_owned()
    } else {
        format!("{}…", name.chars().take(MAX - 1).collect::<String>())
    }
}

pub fn anomaly_view(ctx: &Ctx, a: &AnomalyRecord) -> AnomalyView {
    AnomalyView {
        kind: serde_json::to_value(a.anomaly.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        message: a.anomaly.message.clone(),
        iuv: a.anomaly.iuv.clone().unwrap_or_default(),
        flow: a.anomaly.flow_id.clone().unwrap_or_default(),
        detected: web::date(ctx.lang, shared::domain::clock::rome_date(a.detected_at)),
    }
}

/// The period asked for (`da`, `a`), or the last [`DEFAULT_DAYS`] days.
fn period_of(app: &App, req: &Request) -> (String, String) {
    let today = app.clock.today();
    let da = query_param(req, "da")
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| (today - Duration::days(DEFAULT_DAYS - 1)).to_string());
    let a = query_param(req, "a")
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| today.to_string());
    (da.trim().to_owned(), a.trim().to_owned())
}

/// The ledger's field names (`from`, `to`) as the form's.
fn form_errors(e: &FieldErrors) -> FieldErrors {
    e.iter().fold(FieldErrors::default(), |mut acc, f| {
        let name = match f.field.as_str() {
            "from" => "da",
            "to" => "a",
            other => other,
        };
        acc.push(name, f.message.replace("from", "la data iniziale"));
        acc
    })
}

pub async fn page(
    app: &App,
    ctx: &Ctx,
    req: &Request,
    caller: &Caller,
) -> Result<Response<Body>, ApiError> {
    let (da, a) = period_of(app, req);
    let mut errors = FieldErrors::default();
    let mut status = StatusCode::OK;
    let days = match ledger::period(Some(&da), Some(&a)) {
        Ok(_) => da
            .parse::<NaiveDate>()
            .ok()
            .zip(a.parse::<NaiveDate>().ok()),
        Err(e) => {
            errors = form_errors(&e);
            status = StatusCode::BAD_REQUEST;
            None
        }
    };
    let summary = match days {
        Some((from, to)) => Some(console::payments(app, &caller.ec, from, to).await.map_err(
            |e| match e {
                ExportError::Invalid(f) => ApiError::InvalidParams(f),
                other => other.into(),
            },
        )?),
        None => None,
    };
    let names: HashMap<String, String> = app
        .catalog
        .services(&caller.ec)
        .await?
        .into_iter()
        .map(|s| (s.code.to_string(), s.name))
        .collect();
    let l = ctx.lang;
    let chart = summary.as_ref().map(|s| {
        let bars: Vec<Bar> = s
            .per_day
            .iter()
            .map(|(d, t)| Bar {
                label: d.format("%d/%m").to_string(),
                value: t.cents,
                text: format!(
                    "{} ({} {})",
                    money(ctx, t.cents),
                    t.count,
                    tr(l, "pagamenti", "payments")
                ),
            })
            .collect();
        chart::bars(
            "per-day",
            tr(l, "Incassato per giorno", "Collected per day"),
            &format!(
                "{} {} – {}: {}, {} {}",
                tr(l, "Dal", "From"),
                web::date(l, s.per_day.first().map(|d| d.0).unwrap_or_default()),
                web::date(l, s.per_day.last().map(|d| d.0).unwrap_or_default()),
                money(ctx, s.total.cents),
                s.total.count,
                tr(l, "pagamenti", "payments"),
            ),
            &bars,
            |v| money(ctx, v),
        )
    });
    let per_service: Vec<ServiceTotal> = summary
        .as_ref()
        .map(|s| {
            s.per_service
                .iter()
                .map(|(code, t)| ServiceTotal {
                    code: code.as_ref().map(|c| c.to_string()).unwrap_or_default(),
                    name: match code {
                        Some(c) => names
                            .get(c.as_str())
                            .cloned()
                            .unwrap_or_else(|| c.to_string()),
                        None => tr(l, "Altri (senza posizione)", "Other (no position)").into(),
                    },
                    count: t.count,
                    cents: t.cents,
                    amount: money(ctx, t.cents),
                })
                .collect()
        })
        .unwrap_or_default();
    let service_chart = (!per_service.is_empty()).then(|| {
        let bars: Vec<Bar> = per_service
            .iter()
            .map(|t| Bar {
                label: short(&t.name),
                value: t.cents,
                text: format!(
                    "{} — {} ({} {})",
                    t.name,
                    t.amount,
                    t.count,
                    tr(l, "pagamenti", "payments")
                ),
            })
            .collect();
        chart::bars(
            "per-service",
            tr(l, "Incassato per servizio", "Collected per service"),
            &format!("{} {}", per_service.len(), tr(l, "servizi", "services")),
            &bars,
            |v| money(ctx, v),
        )
    });
    let flows = reconciliation::flows(app, &caller.ec, 20)
        .await?
        .into_iter()
        .map(|f| FlowRow {
            id: f.flow.flow_id.clone(),
            psp: f.flow.psp_name.clone(),
            published: web::date(l, shared::domain::clock::rome_date(f.flow.published)),
            regulation_date: web::date(l, f.flow.regulation_date),
            amount: money(ctx, f.flow.sum_cents),
            lines: f.lines,
            matched: f.matched,
            anomalies: f.anomalies,
        })
        .collect();
    let anomalies = reconciliation::anomalies(app, &caller.ec)
        .await?
        .iter()
        .take(100)
        .map(|a| anomaly_view(ctx, a))
        .collect();
    let outcome = match query_param(req, "esito").as_deref() {
        Some("riconciliazione") => Some(tr(
            l,
            "Acquisizione dei flussi e riconciliazione avviate: i risultati compaiono qui tra poco.",
            "Fetching the flows and reconciling: the results appear here shortly.",
        )),
        _ => None,
    };
    let export_query = form_urlencoded::Serializer::new(String::new())
        .append_pair("da", &da)
        .append_pair("a", &a)
        .finish();
    let s = summary.unwrap_or_default();
    let page = pages::Payments {
        c: Console::new(ctx, caller, "pagamenti"),
        da: Input::new("da", da, &errors),
        a: Input::new("a", a, &errors),
        chart,
        service_chart,
        total: money(ctx, s.total.cents),
        total_count: s.total.count,
        reported: money(ctx, s.reported.cents),
        reported_count: s.reported.count,
        not_reported: money(ctx, s.not_reported.cents),
        not_reported_count: s.not_reported.count,
        per_service,
        flows,
        anomalies,
        export_query,
        can_reconcile: caller.can(Role::Operator) && app.settings.fdr_configured,
        outcome,
        ctx,
    };
    Ok(pages::render(app, ctx, status, &page))
}

pub async fn export(app: &App, req: &Request, caller: &Caller) -> Result<Response<Body>, ApiError> {
    let (da, a) = period_of(app, req);
    let period = ledger::period(Some(&da), Some(&a))
        .map_err(|e| ApiError::InvalidParams(form_errors(&e)))?;
    let name = format!("pagamenti-{}-{da}-{a}", caller.ec);
    match query_param(req, "formato").as_deref() {
        Some("csv") => {
            let bytes = ledger::csv(app, &caller.ec, period).await?;
            deliver(
                app,
                &caller.ec,
                bytes,
                "text/csv; charset=utf-8",
                &format!("{name}.csv"),
            )
            .await
        }
        Some("zip") => {
            let bytes = ledger::receipts_zip(app, &caller.ec, period).await?;
            deliver(
                app,
                &caller.ec,
                bytes,
                "application/zip",
                &format!("ricevute-{name}.zip"),
            )
            .await
        }
        _ => Err(ApiError::InvalidParams(FieldErrors::single(
            "formato",
            "deve essere csv o zip",
        ))),
    }
}

pub async fn reconcile(
    app: &App,
    ctx: &Ctx,
    req: &Request,
    caller: &Caller,
) -> Result<Response<Body>, ApiError> {
    read_form(app, req)?;
    caller.require(Role::Operator)?;
    reconciliation::request_run(app, &caller.ec).await?;
    tracing::info!(ec = %caller.ec, "console: reconciliation run asked for");
    Ok(web::see_other(
        app,
        ctx,
        &format!("/backoffice/{}/pagamenti?esito=riconciliazione", caller.ec),
        &[],
    ))
}
