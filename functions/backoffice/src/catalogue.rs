//! The service catalogue: the services payable without a notice, their
//! forms. Saved through `service::catalog::save`, the operator API's checks.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::{json, Map, Value};
use shared::domain::access::Role;
use shared::domain::catalog::Service;
use shared::domain::text::ServiceCode;
use shared::domain::{AmountCents, FieldErrors};
use shared::http::{query_param, ApiError};
use shared::service::catalog::{self, CatalogError};
use shared::web::{self, read_form, Ctx};
use shared::App;

use crate::form_editor::{self, FieldInput};
use crate::pages::{self, Console, Input, ServiceRow};
use crate::{tr, Caller};

/// The code of the page that creates a service.
const NEW: &str = "nuovo";

fn euro(a: AmountCents) -> String {
    a.to_italian().trim_end_matches(" €").to_owned()
}

fn amount_text(ctx: &Ctx, s: &Service) -> String {
    let a = &s.amount;
    match (a.fixed_cents, a.min_cents, a.max_cents) {
        (Some(f), _, _) => web::amount(ctx.lang, f),
        (None, None, None) => tr(ctx.lang, "libero", "free").into(),
        (None, min, max) => format!(
            "{}{}{}",
            min.map(|m| format!(
                "{} {}",
                tr(ctx.lang, "da", "from"),
                web::amount(ctx.lang, m)
            ))
            .unwrap_or_default(),
            if min.is_some() && max.is_some() {
                " "
            } else {
                ""
            },
            max.map(|m| format!(
                "{} {}",
                tr(ctx.lang, "fino a", "up to"),
                web::amount(ctx.lang, m)
            ))
            .unwrap_or_default(),
        ),
    }
}

pub async fn list(
    app: &App,
    ctx: &Ctx,
    req: &Request,
    caller: &Caller,
) -> Result<Response<Body>, ApiError> {
    let rows = app
        .catalog
        .services(&caller.ec)
        .await?
        .iter()
        .map(|s| ServiceRow {
            code: s.code.to_string(),
            href: format!("/backoffice/{}/catalogo/{}", caller.ec, s.code),
            name: s.name.clone(),
            spontaneous: s.spontaneous,
            amount: amount_text(ctx, s),
            fields: s.form.fields.len(),
        })
        .collect();
    let outcome = (query_param(req, "esito").as_deref() == Some("salvato"))
        .then(|| tr(ctx.lang, "Servizio salvato.", "Service saved."));
    let page = pages::Catalogue {
        c: Console::new(ctx, caller, "catalogo"),
        rows,
        outcome,
        ctx,
    };
    Ok(pages::render(app, ctx, StatusCode::OK, &page))
}

/// What the service page shows in its inputs: a stored service's values, or
/// what was submitted.
struct Inputs<'v> {
    new: bool,
    values: &'v dyn Fn(&str) -> String,
    spontaneous: bool,
    fields: Vec<FieldInput>,
}

fn edit_page<'a>(
    ctx: &'a Ctx,
    caller: &Caller,
    inputs: Inputs<'_>,
    errors: &FieldErrors,
    messages: Vec<String>,
) -> pages::ServiceEdit<'a> {
    let Inputs {
        new,
        values,
        spontaneous,
        fields,
    } = inputs;
    let input = |n: &'static str| Input::new(n, values(n), errors);
    let kind = values("importo");
    pages::ServiceEdit {
        c: Console::new(ctx, caller, "catalogo"),
        new,
        code: input("code"),
        name: input("name"),
        name_en: input("name_en"),
        description: input("description"),
        description_en: input("description_en"),
        spontaneous,
        demand_service_id: input("demand_service_id"),
        category: input("category"),
        iban: input("iban"),
        postal_iban: input("postal_iban"),
        due_days: input("due_days"),
        amount_kind: if kind == "libero" {
            kind
        } else {
            "fisso".into()
        },
        fixed: input("fixed"),
        min: input("min"),
        max: input("max"),
        form_description: input("descrizione_modulo"),
        fields: fields
            .into_iter()
            .map(|mut f| {
                let prefix = format!("campo_{}_", f.i);
                let mine: Vec<String> = errors
                    .iter()
                    .filter(|e| e.field.starts_with(&prefix))
                    .map(|e| e.message.clone())
                    .collect();
                f.error = (!mine.is_empty()).then(|| mine.join("; "));
                f
            })
            .collect(),
        kinds: form_editor::KINDS
            .iter()
            .map(|(v, it, en)| (*v, tr(ctx.lang, it, en)))
            .collect(),
        errors: messages,
        ctx,
    }
}

/// A stored service as the form's values.
fn values_of(s: &Service) -> impl Fn(&str) -> String + '_ {
    move |name: &str| match name {
        "code" => s.code.to_string(),
        "name" => s.name.clone(),
        "name_en" => s.name_en.clone().unwrap_or_default(),
        "description" => s.description.clone().unwrap_or_default(),
        "description_en" => s.description_en.clone().unwrap_or_default(),
        "demand_service_id" => s.demand_service_id.clone().unwrap_or_default(),
        "category" => s.category.to_string(),
        "iban" => s.iban.to_string(),
        "postal_iban" => s
            .postal_iban
            .as_ref()
            .map(|i| i.to_string())
            .unwrap_or_default(),
        "due_days" => s.due_days.map(|d| d.to_string()).unwrap_or_default(),
        "importo" => if s.amount.fixed_cents.is_some() {
            "fisso"
        } else {
            "libero"
        }
        .into(),
        "fixed" => s.amount.fixed_cents.map(euro).unwrap_or_default(),
        "min" => s.amount.min_cents.map(euro).unwrap_or_default(),
        "max" => s.amount.max_cents.map(euro).unwrap_or_default(),
        "descrizione_modulo" => s.form.description.clone().unwrap_or_default(),
        _ => String::new(),
    }
}

pub async fn edit_form(
    app: &App,
    ctx: &Ctx,
    caller: &Caller,
    code: &str,
) -> Result<Response<Body>, ApiError> {
    let no_errors = FieldErrors::default();
    if code == NEW {
        caller.require(Role::Operator)?;
        let blank = |n: &str| match n {
            "importo" => "fisso".to_owned(),
            _ => String::new(),
        };
        let fields = form_editor::of_form(&shared::domain::catalog::Form::default());
        let inputs = Inputs {
            new: true,
            values: &blank,
            spontaneous: true,
            fields,
        };
        let page = edit_page(ctx, caller, inputs, &no_errors, vec![]);
        return Ok(pages::render(app, ctx, StatusCode::OK, &page));
    }
    let not_found = || ApiError::NotFound("servizio non presente nel catalogo".into());
    let code = ServiceCode::parse(code).map_err(|_| not_found())?;
    let s = app
        .catalog
        .service(&caller.ec, &code)
        .await?
        .ok_or_else(not_found)?;
    let values = values_of(&s);
    let inputs = Inputs {
        new: false,
        values: &values,
        spontaneous: s.spontaneous,
        fields: form_editor::of_form(&s.form),
    };
    let page = edit_page(ctx, caller, inputs, &no_errors, vec![]);
    Ok(pages::render(app, ctx, StatusCode::OK, &page))
}

/// The catalogue's JSON document of a service from the form; the form's own
/// mistakes (an amount, a field's limits or options) named by input.
pub fn service_doc(get: &dyn Fn(&str) -> String) -> Result<Value, FieldErrors> {
    let mut errors = FieldErrors::default();
    let mut doc = Map::new();
    let text = |n: &str| get(n).trim().to_owned();
    doc.insert("name".into(), json!(text("name")));
    for (field, key) in [
        ("name_en", "nameEn"),
        ("description", "description"),
        ("description_en", "descriptionEn"),
        ("demand_service_id", "demandServiceId"),
        ("postal_iban", "postalIban"),
    ] {
        if !text(field).is_empty() {
            doc.insert(key.into(), json!(text(field)));
        }
    }
    doc.insert("spontaneous".into(), json!(get("spontaneous") == "1"));
    doc.insert("category".into(), json!(text("category")));
    doc.insert("iban".into(), json!(text("iban").replace(' ', "")));
    if !text("due_days").is_empty() {
        match text("due_days").parse::<u32>() {
            Ok(d) => {
                doc.insert("dueDays".into(), json!(d));
            }
            Err(_) => errors.push("due_days", "deve essere un numero intero di giorni"),
        }
    }
    let mut amount = Map::new();
    let mut cents = |field: &str, key: &str, required: bool| {
        let v = text(field);
        if v.is_empty() {
            if required {
                errors.push(field, "obbligatorio");
            }
            return;
        }
        match AmountCents::parse_euro(&v) {
            Ok(a) => {
                amount.insert(key.into(), json!(a.cents()));
            }
            Err(_) => errors.push(field, "importo non valido (es. 16,00)"),
        }
    };
    if get("importo") == "libero" {
        cents("min", "minCents", false);
        cents("max", "maxCents", false);
    } else {
        cents("fixed", "fixedCents", true);
    }
    doc.insert("amount".into(), Value::Object(amount));
    let fields = form_editor::of_submission(get, 0);
    match form_editor::form_doc(&fields, &get("descrizione_modulo")) {
        Ok(Some(form)) => {
            doc.insert("form".into(), form);
        }
        Ok(None) => {}
        Err(e) => {
            for f in e.iter() {
                errors.push(f.field.clone(), f.message.clone());
            }
        }
    }
    if errors.is_empty() {
        Ok(Value::Object(doc))
    } else {
        Err(errors)
    }
}

pub async fn save(
    app: &App,
    ctx: &Ctx,
    req: &Request,
    caller: &Caller,
    code: &str,
) -> Result<Response<Body>, ApiError> {
    let form = read_form(app, req)?;
    caller.require(Role::Operator)?;
    let new = code == NEW;
    let values = |n: &str| form.get(n).to_owned();
    // Shown again as submitted (its blank blocks included), `extra` more blank.
    let invalid = |errors: FieldErrors, status: StatusCode, extra: usize| {
        let messages = errors
            .iter()
            .map(|e| {
                if e.field.is_empty() {
                    e.message.clone()
                } else {
                    format!("{}: {}", e.field, e.message)
                }
            })
            .collect();
        let inputs = Inputs {
            new,
            values: &values,
            spontaneous: form.get("spontaneous") == "1",
            fields: form_editor::of_submission(&values, extra),
        };
        let page = edit_page(ctx, caller, inputs, &errors, messages);
        Ok(pages::render(app, ctx, status, &page))
    };
    if form.get("azione") == "aggiungi" {
        return invalid(FieldErrors::default(), StatusCode::OK, 1);
    }
    let code_text = if new {
        form.get("code").trim().to_owned()
    } else {
        code.to_owned()
    };
    let code = match ServiceCode::parse(&code_text) {
        Ok(c) => c,
        Err(m) => {
            return invalid(
                FieldErrors::single("code", m),
                StatusCode::UNPROCESSABLE_ENTITY,
                0,
            )
        }
    };
    if new && app.catalog.service(&caller.ec, &code).await?.is_some() {
        return invalid(
            FieldErrors::single("code", "esiste già un servizio con questo codice"),
            StatusCode::CONFLICT,
            0,
        );
    }
    let doc = match service_doc(&values) {
        Ok(d) => d,
        Err(e) => return invalid(e, StatusCode::UNPROCESSABLE_ENTITY, 0),
    };
    match catalog::save(app, &caller.ec, &code, doc).await {
        Ok(_) => {
            tracing::info!(ec = %caller.ec, service = %code, "console: service saved");
            Ok(web::see_other(
                app,
                ctx,
                &format!("/backoffice/{}/catalogo?esito=salvato", caller.ec),
                &[],
            ))
        }
        Err(CatalogError::Invalid(e)) => invalid(e, StatusCode::UNPROCESSABLE_ENTITY, 0),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::form_editor::submitted as form;

    #[test]
    fn the_form_becomes_the_catalogue_document() {
        let doc = service_doc(&form(&[
            ("name", " Trasporto scolastico "),
            ("name_en", "School transport"),
            ("spontaneous", "1"),
            ("category", "9/0201102IM/"),
            ("iban", "IT60 X054 2811 1010 0000 0123 456"),
            ("due_days", "30"),
            ("importo", "libero"),
            ("min", "10"),
            ("max", "1.200,50"),
            ("campi", "1"),
            ("campo_0_nome", "targa"),
            ("campo_0_tipo", "text"),
            ("campo_0_etichetta", "Targa"),
        ]))
        .unwrap();
        assert_eq!(doc["name"], "Trasporto scolastico");
        assert_eq!(doc["nameEn"], "School transport");
        assert_eq!(doc["spontaneous"], true);
        assert_eq!(doc["iban"], "IT60X0542811101000000123456");
        assert_eq!(doc["dueDays"], 30);
        assert_eq!(doc["amount"], json!({"minCents": 1000, "maxCents": 120050}));
        assert_eq!(
            doc["form"],
            json!({"fields": [{"name": "targa", "type": "text", "label": {"it": "Targa"}}]})
        );
        assert!(doc.get("description").is_none());
    }

    #[test]
    fn the_forms_own_mistakes_are_named() {
        let e = service_doc(&form(&[
            ("importo", "fisso"),
            ("due_days", "trenta"),
            ("campi", "1"),
            ("campo_0_nome", "n"),
            ("campo_0_max", "dieci"),
        ]))
        .unwrap_err();
        let fields: Vec<&str> = e.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["due_days", "fixed", "campo_0_max"]);
    }
}
