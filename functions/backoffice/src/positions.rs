//! Positions: search, one position with its receipts, edit, cancel.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, RequestExt, Response};
use serde_json::{json, Value};
use shared::domain::access::Role;
use shared::domain::receipt::{Anomaly, Outcome, Work};
use shared::domain::text::Iupd;
use shared::domain::{AmountCents, FieldErrors, NoticeStatus, Position};
use shared::http::ApiError;
use shared::service::positions::{self, PositionError};
use shared::service::{console, receipts, reconciliation};
use shared::web::{self, read_form, Ctx};
use shared::App;

use crate::pages::{self, Badge, Console, Input, OptionInput, OptionView, ReceiptView};
use crate::{tr, Caller};

fn iupd_of(iupd: &str) -> Result<Iupd, ApiError> {
    Iupd::parse(iupd).map_err(|_| ApiError::NotFound("posizione non trovata".into()))
}

fn status_options(ctx: &Ctx) -> Vec<(&'static str, &'static str)> {
    [
        ("payable", NoticeStatus::Payable),
        ("expired", NoticeStatus::Expired),
        ("paid", NoticeStatus::Paid),
        ("cancelled", NoticeStatus::Cancelled),
    ]
    .into_iter()
    .map(|(v, s)| (v, web::status_view(ctx.t, s).0))
    .collect()
}

pub async fn search(
    app: &App,
    ctx: &Ctx,
    req: &Request,
    caller: &Caller,
) -> Result<Response<Body>, ApiError> {
    let params = req.query_string_parameters();
    let field = |name: &str| params.first(name).map(str::to_owned);
    let names = [
        "avviso",
        "iuv",
        "iupd",
        "cf",
        "stato",
        "scadenza_da",
        "scadenza_a",
    ];
    let searched = names
        .iter()
        .any(|n| field(n).is_some_and(|v| !v.trim().is_empty()));
    let (found, errors) = match console::parse_search(field) {
        Ok(s) => (
            Some((console::search(app, &caller.ec, &s).await?, s)),
            FieldErrors::default(),
        ),
        Err(e) => (None, e),
    };
    let today = app.clock.today();
    let base = format!("/backoffice/{}/posizioni", caller.ec);
    let (rows, next) = match found {
        None => (vec![], None),
        Some((f, _)) => {
            let rows = f
                .positions
                .iter()
                .map(|p| row(ctx, &base, p, today))
                .collect();
            let next = f.next.map(|after| {
                let mut q = form_urlencoded::Serializer::new(String::new());
                for n in names {
                    if let Some(v) = field(n).filter(|v| !v.is_empty()) {
                        q.append_pair(n, &v);
                    }
                }
                q.append_pair("dopo", &after);
                format!("{base}?{}", q.finish())
            });
            (rows, next)
        }
    };
    let input = |n: &'static str| Input::new(n, field(n).unwrap_or_default(), &errors);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let page = pages::Positions {
        c: Console::new(ctx, caller, "posizioni"),
        avviso: input("avviso"),
        iuv: input("iuv"),
        iupd: input("iupd"),
        cf: input("cf"),
        stato: input("stato"),
        scadenza_da: input("scadenza_da"),
        scadenza_a: input("scadenza_a"),
        searched,
        rows,
        next,
        statuses: status_options(ctx),
        ctx,
    };
    Ok(pages::render(app, ctx, status, &page))
}

fn total(p: &Position) -> String {
    // The single payment's amount, or the first option's when all are installments.
    let o = p
        .payment_options
        .iter()
        .find(|o| !o.installment)
        .or(p.payment_options.first());
    o.map(|o| o.amount_cents.to_italian()).unwrap_or_default()
}

fn row(ctx: &Ctx, base: &str, p: &Position, today: chrono::NaiveDate) -> pages::PositionRow {
    let due = p.payment_options.iter().map(|o| o.due_date).min();
    pages::PositionRow {
        iupd: p.iupd.to_string(),
        href: format!("{base}/{}", p.iupd),
        debtor: p.debtor.full_name.to_string(),
        fiscal_code: p.debtor.fiscal_code.to_string(),
        description: p.description.to_string(),
        service: p.service_code.to_string(),
        amount: total(p),
        due: due.map(|d| web::date(ctx.lang, d)).unwrap_or_default(),
        status: pages::status_badge(ctx, p.status(today)),
    }
}

/// What a receipt's anomaly means, for the operator.
fn anomaly_label(ctx: &Ctx, a: Anomaly) -> &'static str {
    let l = ctx.lang;
    match a {
        Anomaly::DoublePayment => tr(
            l,
            "pagamento doppio: da rimborsare",
            "paid twice: to be refunded",
        ),
        Anomaly::PaidExpired => tr(l, "pagato dopo la scadenza", "paid after the due date"),
        Anomaly::PaidCancelled => tr(l, "pagato dopo l'annullamento", "paid after cancellation"),
        Anomaly::PaidSuperseded => tr(
            l,
            "pagato per l'altra via (rata e pagamento unico)",
            "paid the other way (installment and single payment)",
        ),
        Anomaly::UnknownNotice => tr(l, "avviso sconosciuto", "unknown notice"),
        Anomaly::NotOwned => tr(l, "avviso di un altro ente", "another body's notice"),
        Anomaly::AmountMismatch => tr(
            l,
            "importo diverso da quello dovuto",
            "amount differs from what was owed",
        ),
        Anomaly::FailedPayment => tr(l, "esito negativo", "failed payment"),
        Anomaly::SchemaDeviation => tr(
            l,
            "ricevuta non conforme allo schema (accettata)",
            "receipt not conforming to the schema (accepted)",
        ),
    }
}

fn rome(ctx: &Ctx, at: chrono::DateTime<chrono::Utc>) -> String {
    let t = shared::domain::clock::rome_time(at);
    format!("{} {}", web::date(ctx.lang, t.date()), t.format("%H:%M"))
}

fn mail_badge(ctx: &Ctx, r: &shared::ports::ReceiptRecord) -> (Badge, Option<String>) {
    let l = ctx.lang;
    if let Some(f) = &r.mail.failed {
        return (
            Badge {
                label: tr(l, "non inviata", "not sent"),
                class: "bg-danger",
            },
            Some(format!("{} ({})", f.reason, rome(ctx, f.at))),
        );
    }
    if r.owes(Work::Mail) {
        return (
            Badge {
                label: tr(l, "da inviare", "to be sent"),
                class: "bg-warning text-dark",
            },
            (r.mail.attempts > 0)
                .then(|| format!("{} {}", r.mail.attempts, tr(l, "tentativi", "attempts"))),
        );
    }
    match r.mail.sent_at {
        Some(at) => (
            Badge {
                label: tr(l, "inviata", "sent"),
                class: "bg-success",
            },
            Some(rome(ctx, at)),
        ),
        None => (
            Badge {
                label: tr(l, "nessun indirizzo", "no address"),
                class: "bg-secondary",
            },
            None,
        ),
    }
}

pub async fn detail(
    app: &App,
    ctx: &Ctx,
    req: &Request,
    caller: &Caller,
    iupd: &str,
) -> Result<Response<Body>, ApiError> {
    let iupd = iupd_of(iupd)?;
    let p = positions::get(app, &caller.ec, &iupd).await?.value;
    let today = app.clock.today();
    let base = format!("/backoffice/{}/posizioni/{}", caller.ec, p.iupd);
    // What pagoPA's flows reported of each paid option (the EC's transfer).
    let reported = reconciliation::reported_of_position(app, &p).await?;
    let mut options = vec![];
    for o in &p.payment_options {
        let mut list: Vec<_> = app
            .receipts
            .receipts_for_notice(o.notice_number.as_str())
            .await?
            .into_iter()
            .filter(|r| r.ec == caller.ec && r.receipt.outcome == Outcome::Ok)
            .collect();
        list.sort_by_key(|r| r.received_at);
        let receipts = list
            .iter()
            .map(|r| {
                let (mail, mail_detail) = mail_badge(ctx, r);
                let id = &r.receipt.receipt_id;
                let enc: String = form_urlencoded::byte_serialize(id.as_bytes()).collect();
                ReceiptView {
                    id: id.clone(),
                    received: rome(ctx, r.paid_at()),
                    psp: r.receipt.psp_company_name.clone(),
                    pdf_href: format!("{base}/ricevute/{enc}.pdf"),
                    xml_href: format!("{base}/ricevute/{enc}.xml"),
                    pdf_ready: !r.owes(Work::Pdf),
                    mail,
                    mail_detail,
                    anomaly: r.anomaly.map(|a| anomaly_label(ctx, a).to_owned()),
                }
            })
            .collect();
        let rep = reported
            .iter()
            .find(|(iuv, _)| iuv == o.iuv().as_str())
            .map(|(_, r)| {
                format!(
                    "{} {} ({})",
                    tr(ctx.lang, "Rendicontato nel flusso", "Reported in flow"),
                    r.flow_id,
                    r.psp_id
                )
            })
            .or_else(|| {
                o.is_paid()
                    .then(|| tr(ctx.lang, "Non ancora rendicontato", "Not yet reported").to_owned())
            });
        options.push(OptionView {
            notice: o.notice_number.to_string(),
            iuv: o.iuv().to_string(),
            amount: web::amount(ctx.lang, o.amount_cents),
            due: web::date(ctx.lang, o.due_date),
            description: o.description.to_string(),
            installment: o.installment,
            status: pages::status_badge(ctx, p.notice_status(o, today)),
            receipts,
            reported: rep,
        });
    }
    let iuvs: Vec<String> = p
        .payment_options
        .iter()
        .map(|o| o.iuv().to_string())
        .collect();
    let anomalies = reconciliation::anomalies(app, &caller.ec)
        .await?
        .into_iter()
        .filter(|a| a.anomaly.iuv.as_ref().is_some_and(|i| iuvs.contains(i)))
        .map(|a| crate::payments::anomaly_view(ctx, &a))
        .collect();
    let outcome = match shared::http::query_param(req, "esito").as_deref() {
        Some("annullata") => Some(tr(ctx.lang, "Posizione annullata.", "Position cancelled.")),
        Some("modificata") => Some(tr(ctx.lang, "Posizione modificata.", "Position changed.")),
        _ => None,
    };
    let status = p.status(today);
    let page = pages::PositionPage {
        c: Console::new(ctx, caller, "posizioni"),
        iupd: p.iupd.to_string(),
        description: p.description.to_string(),
        service: p.service_code.to_string(),
        debtor: p.debtor.full_name.to_string(),
        fiscal_code: p.debtor.fiscal_code.to_string(),
        email: p
            .debtor
            .email
            .as_ref()
            .map(|e| e.as_str().to_owned())
            .unwrap_or_default(),
        created: rome(ctx, p.created_at),
        status: pages::status_badge(ctx, status),
        editable: caller.can(Role::Operator)
            && !p.is_cancelled()
            && !p.payment_options.iter().any(|o| o.is_paid()),
        options,
        anomalies,
        outcome,
        ctx,
    };
    Ok(pages::render(app, ctx, StatusCode::OK, &page))
}

pub async fn cancel(
    app: &App,
    ctx: &Ctx,
    req: &Request,
    caller: &Caller,
    iupd: &str,
) -> Result<Response<Body>, ApiError> {
    read_form(app, req)?;
    caller.require(Role::Operator)?;
    let iupd = iupd_of(iupd)?;
    positions::cancel(app, &caller.ec, &iupd).await?;
    tracing::info!(ec = %caller.ec, iupd = %iupd, "console: position cancelled");
    Ok(web::see_other(
        app,
        ctx,
        &format!("/backoffice/{}/posizioni/{iupd}?esito=annullata", caller.ec),
        &[],
    ))
}

/// The form's fields, from the position (`None`) or as submitted.
fn edit_page<'a>(
    ctx: &'a Ctx,
    caller: &Caller,
    p: &Position,
    form: Option<&web::Form>,
    errors: &FieldErrors,
    messages: Vec<String>,
) -> pages::PositionEdit<'a> {
    let val = |name: &str, stored: String| match form {
        Some(f) => f.get(name).to_owned(),
        None => stored,
    };
    let options = p
        .payment_options
        .iter()
        .enumerate()
        .map(|(i, o)| OptionInput {
            notice: o.notice_number.to_string(),
            amount: Input::new(
                format!("importo_{i}"),
                val(
                    &format!("importo_{i}"),
                    o.amount_cents
                        .to_italian()
                        .trim_end_matches(" €")
                        .to_owned(),
                ),
                errors,
            ),
            due: Input::new(
                format!("scadenza_{i}"),
                val(&format!("scadenza_{i}"), o.due_date.to_string()),
                errors,
            ),
            description: Input::new(
                format!("causale_{i}"),
                val(&format!("causale_{i}"), o.description.to_string()),
                errors,
            ),
            amount_fixed: o.transfers.len() > 1,
        })
        .collect();
    pages::PositionEdit {
        c: Console::new(ctx, caller, "posizioni"),
        iupd: p.iupd.to_string(),
        description: Input::new(
            "descrizione",
            val("descrizione", p.description.to_string()),
            errors,
        ),
        full_name: Input::new("nome", val("nome", p.debtor.full_name.to_string()), errors),
        email: Input::new(
            "email",
            val(
                "email",
                p.debtor
                    .email
                    .as_ref()
                    .map(|e| e.as_str().to_owned())
                    .unwrap_or_default(),
            ),
            errors,
        ),
        options,
        errors: messages,
        ctx,
    }
}

pub async fn edit_form(
    app: &App,
    ctx: &Ctx,
    caller: &Caller,
    iupd: &str,
) -> Result<Response<Body>, ApiError> {
    caller.require(Role::Operator)?;
    let p = positions::get(app, &caller.ec, &iupd_of(iupd)?)
        .await?
        .value;
    if p.is_cancelled() {
        return Err(PositionError::AlreadyCancelled.into());
    }
    if p.payment_options.iter().any(|o| o.is_paid()) {
        return Err(PositionError::Paid.into());
    }
    let page = edit_page(ctx, caller, &p, None, &FieldErrors::default(), vec![]);
    Ok(pages::render(app, ctx, StatusCode::OK, &page))
}

/// The API's document of the position with the form's changes: the same
/// checks as the operator API's PUT follow.
fn edited_doc(p: &Position, form: &web::Form) -> Result<Value, FieldErrors> {
    let mut errors = FieldErrors::default();
    let mut doc = serde_json::to_value(p).map_err(|e| FieldErrors::single("", e.to_string()))?;
    if let Some(o) = doc.as_object_mut() {
        for k in ["ecFiscalCode", "createdAt", "cancelledAt", "anonymous"] {
            o.remove(k);
        }
    }
    doc["description"] = json!(form.get("descrizione").trim());
    doc["debtor"]["fullName"] = json!(form.get("nome").trim());
    match form.get("email").trim() {
        "" => {
            if let Some(d) = doc["debtor"].as_object_mut() {
                d.remove("email");
            }
        }
        e => doc["debtor"]["email"] = json!(e),
    }
    for (i, o) in p.payment_options.iter().enumerate() {
        let opt = &mut doc["paymentOptions"][i];
        if let Some(m) = opt.as_object_mut() {
            m.remove("payment");
        }
        if o.transfers.len() == 1 {
            match AmountCents::parse_euro(form.get(&format!("importo_{i}"))) {
                Ok(a) => {
                    opt["amountCents"] = json!(a.cents());
                    opt["transfers"][0]["amountCents"] = json!(a.cents());
                }
                Err(_) => errors.push(format!("importo_{i}"), "importo non valido (es. 150,50)"),
            }
        }
        opt["dueDate"] = json!(form.get(&format!("scadenza_{i}")).trim());
        opt["description"] = json!(form.get(&format!("causale_{i}")).trim());
    }
    if errors.is_empty() {
        Ok(doc)
    } else {
        Err(errors)
    }
}

/// The API's field paths as the form's field names.
fn form_field(path: &str) -> String {
    if path == "description" {
        return "descrizione".into();
    }
    if path == "debtor.fullName" {
        return "nome".into();
    }
    if path == "debtor.email" {
        return "email".into();
    }
    if let Some(rest) = path.strip_prefix("paymentOptions[") {
        if let Some((i, field)) = rest.split_once("].") {
            let name = match field {
                "amountCents" => "importo",
                "dueDate" => "scadenza",
                "description" => "causale",
                f if f.starts_with("transfers") => "importo",
                _ => return path.to_owned(),
            };
            return format!("{name}_{i}");
        }
    }
    path.to_owned()
}

pub async fn edit(
    app: &App,
    ctx: &Ctx,
    req: &Request,
    caller: &Caller,
    iupd: &str,
) -> Result<Response<Body>, ApiError> {
    let form = read_form(app, req)?;
    caller.require(Role::Operator)?;
    let iupd = iupd_of(iupd)?;
    let p = positions::get(app, &caller.ec, &iupd).await?.value;
    let invalid = |errors: FieldErrors| {
        let renamed = errors.iter().fold(FieldErrors::default(), |mut acc, e| {
            acc.push(form_field(&e.field), e.message.clone());
            acc
        });
        let messages = errors.iter().map(|e| e.message.clone()).collect();
        let page = edit_page(ctx, caller, &p, Some(&form), &renamed, messages);
        Ok(pages::render(
            app,
            ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            &page,
        ))
    };
    let doc = match edited_doc(&p, &form) {
        Ok(d) => d,
        Err(e) => return invalid(e),
    };
    let draft = match positions::parse_draft(&doc) {
        Ok(d) => d,
        Err(e) => return invalid(e),
    };
    match positions::update(app, &caller.ec, &iupd, draft).await {
        Ok(_) => {
            tracing::info!(ec = %caller.ec, iupd = %iupd, "console: position changed");
            Ok(web::see_other(
                app,
                ctx,
                &format!(
                    "/backoffice/{}/posizioni/{iupd}?esito=modificata",
                    caller.ec
                ),
                &[],
            ))
        }
        Err(PositionError::Invalid(e)) => invalid(e),
        Err(e) => Err(e.into()),
    }
}

/// A receipt's PDF or XML, when it is one of this EC's and paid this position.
pub async fn receipt(
    app: &App,
    caller: &Caller,
    iupd: &str,
    file: &str,
) -> Result<Response<Body>, ApiError> {
    let not_found = || ApiError::NotFound("ricevuta non trovata".into());
    let iupd = iupd_of(iupd)?;
    let (id, ext) = file.rsplit_once('.').ok_or_else(not_found)?;
    let p = positions::get(app, &caller.ec, &iupd).await?.value;
    let r = app
        .receipts
        .get_receipt(&caller.ec, id)
        .await?
        .filter(|r| {
            p.payment_options
                .iter()
                .any(|o| o.notice_number.as_str() == r.receipt.notice_number)
        })
        .ok_or_else(not_found)?;
    let name = format!("ricevuta-{}", r.receipt.notice_number);
    match ext {
        // The PDF the receipt worker stored (it owes it for a few seconds at most).
        "pdf" => match app
            .documents
            .get(&receipts::document_key(&r, "pdf"))
            .await?
        {
            Some(doc) => Ok(crate::attachment(
                "application/pdf",
                &format!("{name}.pdf"),
                doc.bytes,
            )),
            None => Err(ApiError::NotFound(
                "il PDF della ricevuta è in preparazione: riprova tra qualche secondo".into(),
            )),
        },
        "xml" => Ok(crate::attachment(
            "application/xml",
            &format!("{name}.xml"),
            receipts::xml(app, &r).await?,
        )),
        _ => Err(not_found()),
    }
}
