//! Fixtures shared by the catalogue's tests: a minimal service, fields, the
//! demo catalogue.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{Catalog, Service};
use crate::domain::amount::AmountCents;

pub(super) const DEMO: &str = include_str!("../../../../infra/config/services.json");
pub(super) const MARIO: &str = "RSSMRA85T10A562S";
pub(super) const CHIARA: &str = "CNTCHR83T41D969D";

pub(super) fn c(n: u64) -> AmountCents {
    AmountCents::new(n).unwrap()
}

pub(super) fn base() -> Value {
    json!({"ecFiscalCode": "77777777777", "code": "X", "name": "Servizio di prova", "spontaneous": true,
        "category": "9/0101100IM/", "iban": "IT60X0542811101000000123456", "amount": {"fixedCents": 100}})
}

/// A service with these form fields and template.
pub(super) fn with_form(fields: Value, template: Option<&str>) -> Result<Service, String> {
    let mut v = base();
    let mut form = json!({ "fields": fields });
    if let Some(t) = template {
        form["description"] = t.into();
    }
    v["form"] = form;
    Service::from_json(&v.to_string())
}

/// A service with one field.
pub(super) fn one(field: Value) -> Result<Service, String> {
    with_form(json!([field]), None)
}

pub(super) fn field(name: &str, kind: &str) -> Value {
    json!({"name": name, "type": kind, "label": {"it": "Etichetta", "en": "Label"}})
}

pub(super) fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// The message of the only error, at `fields.<name>`.
pub(super) fn only_error(s: &Service, pairs: &[(&str, &str)]) -> (String, String) {
    let e = s.validate_fields(&values(pairs)).unwrap_err();
    let all: Vec<_> = e.iter().collect();
    assert_eq!(all.len(), 1, "{e}");
    (all[0].field.clone(), all[0].message.clone())
}

pub(super) fn accepts(s: &Service, name: &str, value: &str) -> String {
    let v = s
        .validate_fields(&values(&[(name, value)]))
        .unwrap_or_else(|e| panic!("{value:?}: {e}"));
    v.get(name).unwrap_or("").to_owned()
}

pub(super) fn demo() -> Catalog {
    Catalog::from_json(DEMO).expect("the demo catalogue loads")
}

pub(super) fn demo_service(code: &str) -> Service {
    demo()
        .iter()
        .find(|s| s.code.as_str() == code)
        .unwrap()
        .clone()
}
