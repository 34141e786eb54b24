//! The spontaneous-payment form of a service, as a page submits it: its
//! inputs read into a [`Request`] for the use case, every error kept under its
//! input, in the page's language.

use std::collections::BTreeMap;

use super::{amount, fiscal_code_error, Ctx, Form};
use crate::domain::catalog::Service;
use crate::domain::position::{Debtor, SubjectType};
use crate::domain::text::{Email, FullName};
use crate::domain::{AmountCents, FieldErrors, FiscalCode};
use crate::service::spontaneous::Request;

/// Why the amount typed on a service's form is refused, in the page's
/// language (the rule's own message is the API's, in Italian).
fn amount_refused(ctx: &Ctx, s: &Service, a: AmountCents) -> String {
    let money = |c: AmountCents| amount(ctx.lang, c);
    match (s.amount.min_cents, s.amount.max_cents) {
        (Some(min), _) if a < min => format!("{} {}", ctx.t.amount_min, money(min)),
        (_, Some(max)) if a > max => format!("{} {}", ctx.t.amount_max, money(max)),
        _ => ctx.t.amount_error.to_owned(),
    }
}

/// What the form shows: the values entered and the errors, by input id.
#[derive(Default)]
pub struct Entered {
    pub values: BTreeMap<String, String>,
    pub errors: BTreeMap<String, String>,
}

impl Entered {
    pub fn value(&self, id: &str) -> String {
        self.values.get(id).cloned().unwrap_or_default()
    }
    pub fn error(&self, id: &str) -> Option<String> {
        self.errors.get(id).cloned()
    }
    /// The service's errors (already in the page's language), each under its
    /// input; the form's own errors come first.
    pub fn add(&mut self, errors: &FieldErrors) {
        for e in errors.iter() {
            self.errors
                .entry(input_id(&e.field))
                .or_insert_with(|| e.message.clone());
        }
    }
}

/// The input id of an error's field path.
fn input_id(path: &str) -> String {
    match path {
        "amountCents" => "amount".into(),
        p => match p.strip_prefix("fields.") {
            Some(name) => format!("f-{name}"),
            None => p.replace('.', "-"),
        },
    }
}

/// Reads the page's form into a request, collecting every error by input id.
pub fn read_request(
    ctx: &Ctx,
    service: &Service,
    form: &Form,
    entered: &mut Entered,
) -> Option<Request> {
    let mut put = |id: &str, v: &str| {
        entered.values.insert(id.to_owned(), v.trim().to_owned());
    };
    for id in [
        "debtor-type",
        "debtor-fiscalCode",
        "debtor-fullName",
        "debtor-email",
        "amount",
        "privacy",
    ] {
        put(id, form.get(id));
    }
    let mut fields = BTreeMap::new();
    for f in &service.form.fields {
        let id = format!("f-{}", f.name);
        put(&id, form.get(&id));
        fields.insert(f.name.clone(), form.get(&id).trim().to_owned());
    }
    let t = ctx.t;
    let mut err = |id: &str, m: String| {
        entered.errors.insert(id.to_owned(), m);
    };
    let kind = match form.get("debtor-type") {
        "G" => SubjectType::G,
        _ => SubjectType::F,
    };
    let cf = match FiscalCode::parse(form.get("debtor-fiscalCode").trim()) {
        Ok(c) => Some(c),
        Err(e) => {
            err("debtor-fiscalCode", fiscal_code_error(t, &e));
            None
        }
    };
    let name = match FullName::parse(form.get("debtor-fullName").trim()) {
        Ok(n) => Some(n),
        Err(_) => {
            err("debtor-fullName", t.full_name_error.to_owned());
            None
        }
    };
    let email = match form.get("debtor-email").trim() {
        "" => Some(None),
        e => match Email::parse(e) {
            Ok(e) => Some(Some(e)),
            Err(_) => {
                err("debtor-email", t.email_error.to_owned());
                None
            }
        },
    };
    let amount = if service.amount.fixed_cents.is_some() {
        Some(None)
    } else {
        match AmountCents::parse_euro(form.get("amount")) {
            Ok(a) => match service.amount.amount(Some(a)) {
                Ok(a) => Some(Some(a)),
                Err(_) => {
                    err("amount", amount_refused(ctx, service, a));
                    None
                }
            },
            Err(_) => {
                err("amount", t.amount_error.to_owned());
                None
            }
        }
    };
    if form.get("privacy") != "yes" {
        err("privacy", t.privacy_required.to_owned());
    }
    Some(Request {
        debtor: Debtor {
            kind,
            fiscal_code: cf?,
            full_name: name?,
            address: None,
            email: email?,
        },
        fields,
        amount_cents: amount?,
    })
}
