//! Spontaneous payments: pay for an EC's service without a notice.
//!
//! - `GET /pagamento-spontaneo[?q=…]`: the ECs and their enabled services, with search;
//! - `GET /pagamento-spontaneo/{ecFiscalCode}/{code}`: the service's form;
//! - `POST /pagamento-spontaneo/{ecFiscalCode}/{code}`: creates the position (once per
//!   form: the form carries an idempotency key) and shows its summary, with
//!   **Paga** and **Stampa avviso** as for a notice;
//! - `GET /api/v1/services`: the enabled services as JSON;
//! - `POST /api/v1/services/{ecFiscalCode}/{code}/positions` (`Idempotency-Key`
//!   header): 201 with the new position, 200 with the same one when replayed.

/// The optional adapters this function wires (see `shared::app::wiring`).
pub const WIRING: u32 = 0;

use std::collections::BTreeMap;

use lambda_http::http::{header, HeaderValue, Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde_json::Value;
use shared::domain::catalog::{Field, FieldType, Service};
use shared::domain::AmountCents;
use shared::http::request::{json_body, path_param, query_param};
use shared::http::{json_response, limit, respond, ApiError};
use shared::service::spontaneous::{self, SpontaneousError};
use shared::service::{notices, positions};
use shared::web::spontaneous::{read_request, Entered};
use shared::web::{self, pages, read_form, Ctx, Lang};
use shared::App;

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    let path = req.uri().path().to_owned();
    if path.starts_with("/api/") {
        return respond(api(app, &req).await);
    }
    let ctx = Ctx::new(app, &req);
    let ec = path_param(&req, "ecFiscalCode");
    let code = path_param(&req, "code");
    let result = match (req.method().clone(), ec, code) {
        (Method::GET, None, _) => list_page(app, &ctx, &req).await,
        (Method::GET, Some(ec), Some(code)) => form_get(app, &ctx, &ec, &code).await,
        (Method::POST, Some(ec), Some(code)) => form_post(app, &ctx, &req, &ec, &code).await,
        _ => Err(ApiError::MethodNotAllowed),
    };
    web::respond_page(app, &ctx, result)
}

/// `?lang=it|en` (any other value is refused), else an English `Accept-Language`.
fn api_lang(req: &Request) -> Result<Lang, ApiError> {
    let asked = match query_param(req, "lang") {
        Some(l) => Some(Lang::parse(&l).ok_or_else(|| {
            ApiError::InvalidParams(shared::domain::FieldErrors::single(
                "lang",
                "lingua non prevista: it o en",
            ))
        })?),
        None => None,
    };
    Ok(asked
        .or_else(|| {
            req.headers()
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .filter(|v| v.trim_start().to_ascii_lowercase().starts_with("en"))
                .map(|_| Lang::En)
        })
        .unwrap_or_default())
}

async fn api(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    match (
        req.method(),
        path_param(req, "ecFiscalCode"),
        path_param(req, "code"),
    ) {
        (&Method::GET, None, None) => {
            let lang = api_lang(req)?;
            let services = spontaneous::enabled_services(app).await?;
            let list: Vec<Value> = services.iter().map(|s| s.api_view(lang)).collect();
            Ok(json_response(StatusCode::OK, &Value::Array(list)))
        }
        (&Method::POST, Some(ec), Some(code)) => {
            let key = req
                .headers()
                .get("idempotency-key")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .trim()
                .to_owned();
            spontaneous::check_key(&key)?;
            let service = spontaneous::service(app, &ec, &code).await?;
            let body = json_body(req)?;
            let request = spontaneous::parse_request(&body).map_err(ApiError::Validation)?;
            limit::creation(app, req).await?;
            let session = web::current_session(app, req).await?;
            let signed_in = session.as_ref().map(|s| &s.fiscal_code);
            let (position, created) =
                spontaneous::create(app, &service, request, &key, signed_in).await?;
            let status = if created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            let mut r = json_response(status, &positions::view(&position, app.clock.today()));
            let location = format!(
                "/api/v1/organizations/{}/debt-positions/{}",
                position.ec_fiscal_code, position.iupd
            );
            if let Ok(v) = HeaderValue::from_str(&location) {
                r.headers_mut().insert(header::LOCATION, v);
            }
            if !created {
                r.headers_mut()
                    .insert("idempotent-replayed", HeaderValue::from_static("true"));
            }
            Ok(r)
        }
        _ => Err(ApiError::MethodNotAllowed),
    }
}

/// How a service's amount reads on a page.
fn amount_text(ctx: &Ctx, s: &Service) -> String {
    let a = |c: AmountCents| web::amount(ctx.lang, c);
    match (s.amount.fixed_cents, s.amount.min_cents, s.amount.max_cents) {
        (Some(f), _, _) => format!("{} {}", ctx.t.amount_fixed, a(f)),
        (None, Some(min), Some(max)) => {
            format!(
                "{} {} {} {}",
                ctx.t.amount_from,
                a(min),
                ctx.t.amount_to,
                a(max)
            )
        }
        (None, Some(min), None) => format!("{} {}", ctx.t.amount_min, a(min)),
        (None, None, Some(max)) => format!("{} {}", ctx.t.amount_max, a(max)),
        (None, None, None) => ctx.t.amount_free.to_owned(),
    }
}

fn matches(query: &str, texts: &[&str]) -> bool {
    let q = query.trim().to_lowercase();
    q.is_empty()
        || q.split_whitespace()
            .all(|w| texts.iter().any(|t| t.to_lowercase().contains(w)))
}

async fn list_page(app: &App, ctx: &Ctx, req: &Request) -> Result<Response<Body>, ApiError> {
    let query: String = query_param(req, "q")
        .unwrap_or_default()
        .chars()
        .take(100)
        .collect();
    let services = spontaneous::enabled_services(app).await?;
    let mut groups: Vec<pages::EcServices> = Vec::new();
    let mut count = 0;
    for entity in app.entities.iter() {
        let items: Vec<pages::ServiceItem> = services
            .iter()
            .filter(|s| s.ec_fiscal_code == entity.fiscal_code)
            .filter(|s| {
                matches(
                    &query,
                    &[
                        s.display_name(ctx.lang),
                        s.display_description(ctx.lang).unwrap_or(""),
                        &entity.name,
                    ],
                )
            })
            .map(|s| pages::ServiceItem {
                name: s.display_name(ctx.lang).to_owned(),
                description: s.display_description(ctx.lang).unwrap_or("").to_owned(),
                amount: amount_text(ctx, s),
                url: format!("/pagamento-spontaneo/{}/{}", s.ec_fiscal_code, s.code),
            })
            .collect();
        count += items.len();
        if !items.is_empty() {
            groups.push(pages::EcServices {
                ec_name: entity.name.clone(),
                services: items,
            });
        }
    }
    let page = pages::SpontaneousList {
        ctx,
        step: 1,
        query: &query,
        groups,
        count,
    };
    Ok(web::render(app, ctx, StatusCode::OK, &page))
}

fn field_view(ctx: &Ctx, f: &Field, entered: &Entered) -> pages::FieldView {
    let id = format!("f-{}", f.name);
    let value = entered.value(&id);
    let (input_type, inputmode) = match f.kind {
        FieldType::Number => ("text", Some("numeric")),
        FieldType::Date => ("date", None),
        FieldType::Email => ("email", None),
        _ => ("text", None),
    };
    pages::FieldView {
        name: f.name.clone(),
        label: f.label(ctx.lang).to_owned(),
        help: f.help(ctx.lang).map(str::to_owned),
        textarea: f.kind == FieldType::Textarea,
        select: f.kind == FieldType::Select,
        input_type,
        inputmode,
        uppercase: f.kind == FieldType::FiscalCode,
        autocomplete: "off",
        required: f.required,
        pattern: f.pattern.as_ref().map(|p| p.as_str().to_owned()),
        maxlength: f.max_length(),
        options: f
            .options
            .iter()
            .map(|o| pages::OptionView {
                selected: o.value == value,
                value: o.value.clone(),
                label: o.label(ctx.lang).to_owned(),
            })
            .collect(),
        error: entered.error(&id),
        value,
        id,
    }
}

async fn render_form(
    app: &App,
    ctx: &Ctx,
    service: &Service,
    entered: &Entered,
    key: &str,
    status: StatusCode,
) -> Result<Response<Body>, ApiError> {
    let entity = positions::entity(&app.entities, &service.ec_fiscal_code)?;
    let t = ctx.t;
    let plain = |id: &str,
                 label: &str,
                 input_type,
                 autocomplete,
                 required,
                 maxlength,
                 help: Option<&str>| pages::FieldView {
        id: id.to_owned(),
        name: id.to_owned(),
        label: label.to_owned(),
        help: help.map(str::to_owned),
        textarea: false,
        select: false,
        input_type,
        inputmode: None,
        uppercase: id == "debtor-fiscalCode",
        autocomplete,
        required,
        pattern: None,
        maxlength,
        options: vec![],
        value: entered.value(id),
        error: entered.error(id),
    };
    let debtor_fields = vec![
        plain(
            "debtor-fiscalCode",
            t.fiscal_code,
            "text",
            "off",
            true,
            Some(16),
            None,
        ),
        plain(
            "debtor-fullName",
            t.full_name_or_company,
            "text",
            "name",
            true,
            Some(70),
            None,
        ),
        plain(
            "debtor-email",
            t.email_optional,
            "email",
            "email",
            false,
            Some(256),
            None,
        ),
    ];
    let mut fields: Vec<pages::FieldView> = service
        .form
        .fields
        .iter()
        .map(|f| field_view(ctx, f, entered))
        .collect();
    if service.amount.fixed_cents.is_none() {
        let help = format!("{} · {}", t.amount_help, amount_text(ctx, service));
        let mut amount = plain(
            "amount",
            t.amount,
            "text",
            "off",
            true,
            Some(20),
            Some(&help),
        );
        amount.inputmode = Some("decimal");
        fields.push(amount);
    }
    // The summary at the top lists the errors in the order of the form, as a
    // user reads it; an error of an input the page does not show goes last.
    let order: Vec<&str> = std::iter::once("debtor-type")
        .chain(debtor_fields.iter().map(|f| f.id.as_str()))
        .chain(fields.iter().map(|f| f.id.as_str()))
        .chain(std::iter::once("privacy"))
        .collect();
    let mut summary: Vec<(String, String)> = entered
        .errors
        .iter()
        .map(|(id, m)| (id.clone(), m.clone()))
        .collect();
    summary.sort_by_key(|(id, _)| order.iter().position(|o| o == id).unwrap_or(order.len()));
    let page = pages::SpontaneousForm {
        ctx,
        step: 2,
        // Not the form's own address: a browser drops its cached copy of an
        // address a form is posted to, and Back must find the blank form (and
        // its idempotency key) in the cache (see `form_get`).
        action: format!(
            "/pagamento-spontaneo/{}/{}?invio",
            service.ec_fiscal_code, service.code
        ),
        ec_name: entity.name.clone(),
        name: service.display_name(ctx.lang).to_owned(),
        description: service
            .display_description(ctx.lang)
            .unwrap_or("")
            .to_owned(),
        amount_text: amount_text(ctx, service),
        amount_free: service.amount.fixed_cents.is_none(),
        legal: entered.value("debtor-type") == "G",
        values: entered.values.clone(),
        field_errors: entered.errors.clone(),
        debtor_fields,
        fields,
        key,
        errors: summary,
    };
    Ok(web::render(app, ctx, status, &page))
}

async fn form_get(app: &App, ctx: &Ctx, ec: &str, code: &str) -> Result<Response<Body>, ApiError> {
    let service = spontaneous::service(app, ec, code).await?;
    let key = web::random_token();
    let mut r = render_form(
        app,
        ctx,
        &service,
        &Entered::default(),
        &key,
        StatusCode::OK,
    )
    .await?;
    // The blank form holds no personal data, only its idempotency key: the
    // browser may keep it, so that Back from the summary shows this very form
    // (same key) instead of fetching a new one, and sending it again yields the
    // same position rather than a second one. (`no-store` would make Back
    // fetch a fresh form with a fresh key; `no-cache` still revalidates every
    // ordinary visit, so a new visit gets a new key.) The form posts to another
    // address (`?invio`), as a post invalidates the cached copy of its target.
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    Ok(r)
}

async fn form_post(
    app: &App,
    ctx: &Ctx,
    req: &Request,
    ec: &str,
    code: &str,
) -> Result<Response<Body>, ApiError> {
    let form = read_form(app, req)?;
    let service = spontaneous::service(app, ec, code).await?;
    let mut key = form.get("idempotencyKey").to_owned();
    if spontaneous::check_key(&key).is_err() {
        key = web::random_token();
    }
    let mut entered = Entered::default();
    let request = read_request(ctx, &service, &form, &mut entered);
    // The form's own checks first; the service's rules (fields, amount) next,
    // so that every error shows at once.
    let fields: BTreeMap<String, String> = service
        .form
        .fields
        .iter()
        .map(|f| (f.name.clone(), entered.value(&format!("f-{}", f.name))))
        .collect();
    let check = service.validate_fields_in(&fields, ctx.lang);
    if let Err(errors) = check {
        entered.add(&errors);
    }
    let request = match request {
        Some(r) if entered.errors.is_empty() => r,
        _ => {
            return render_form(
                app,
                ctx,
                &service,
                &entered,
                &key,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    };
    limit::creation(app, req).await?;
    let cf = request.debtor.fiscal_code.clone();
    let session = web::current_session(app, req).await?;
    let signed_in = session.as_ref().map(|s| &s.fiscal_code);
    let created = match spontaneous::create(app, &service, request.clone(), &key, signed_in).await {
        // Back button, changed data, same form: a new request.
        Err(SpontaneousError::KeyReused) => {
            spontaneous::create(app, &service, request, &web::random_token(), signed_in).await
        }
        other => other,
    };
    let position = match created {
        Ok((p, _)) => p,
        Err(SpontaneousError::Invalid(errors)) => {
            entered.add(&errors);
            return render_form(
                app,
                ctx,
                &service,
                &entered,
                &key,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
        Err(e) => return Err(e.into()),
    };
    let notice = position.payment_options[0].notice_number;
    let summary = notices::summarise(app, &position, &notice)
        .ok_or_else(|| ApiError::internal("new position without its notice"))?;
    let s = web::summary_view(ctx, &summary, &cf);
    Ok(web::render(
        app,
        ctx,
        StatusCode::OK,
        &pages::NoticeSummaryPage { ctx, step: 3, s },
    ))
}
