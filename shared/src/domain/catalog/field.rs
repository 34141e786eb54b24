//! The fields of a service's form: their types, texts and limits, and the
//! checks the catalogue makes of each field when it is loaded.

use std::fmt;

use chrono::NaiveDate;
use regex_lite::Regex;
use serde::{Deserialize, Serialize};

use super::label::Label;
use super::pattern::CompiledPattern;
use crate::domain::lang::Lang;

/// Names a form field may not take: they are the portal's own parameters, or
/// (`service`) the template placeholder of the service name.
pub const RESERVED_FIELD_NAMES: [&str; 11] = [
    "debtor",
    "amountCents",
    "csrf",
    "idempotencyKey",
    "fiscalCode",
    "fullName",
    "email",
    "type",
    "step",
    "lang",
    "service",
];
/// At most this many options in a select field.
pub const MAX_OPTIONS: usize = 100;
/// Length limit of a text field without `max`.
pub const TEXT_DEFAULT_MAX: u32 = 140;
/// Length limit of a textarea field without `max`.
pub const TEXTAREA_DEFAULT_MAX: u32 = 1000;
/// The largest `max` a text field may declare.
const TEXT_MAX_LIMIT: i64 = 1000;
/// The largest `max` a textarea field may declare.
const TEXTAREA_MAX_LIMIT: i64 = 4000;
/// The longest label, in characters.
const MAX_LABEL_CHARS: usize = 200;
/// The longest help text, in characters.
const MAX_HELP_CHARS: usize = 500;

/// The kind of a form field; in JSON exactly `text`, `number`, `date`,
/// `select`, `fiscalCode`, `email`, `textarea`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FieldType {
    Text,
    Number,
    Date,
    Select,
    FiscalCode,
    Email,
    Textarea,
}

impl FieldType {
    /// The JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::Number => "number",
            FieldType::Date => "date",
            FieldType::Select => "select",
            FieldType::FiscalCode => "fiscalCode",
            FieldType::Email => "email",
            FieldType::Textarea => "textarea",
        }
    }
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One choice of a select field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelectOption {
    pub value: String,
    pub label: Label,
}

impl SelectOption {
    pub fn label(&self, lang: Lang) -> &str {
        self.label.get(lang)
    }
}

/// One field of a service's form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Field {
    /// `^[a-z][A-Za-z0-9_]{0,39}$`, unique in the form, not reserved.
    pub name: String,
    #[serde(rename = "type")]
    pub kind: FieldType,
    pub label: Label,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<Label>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub required: bool,
    /// A regular expression the whole value must match (it is anchored as
    /// `^(?:…)$`). Only for text, textarea and number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// Text and textarea: least length in characters; number: least value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<i64>,
    /// Text and textarea: greatest length in characters (default 140 and 1000);
    /// number: greatest value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<i64>,
    /// The choices of a select field (and of no other).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<SelectOption>,
    #[serde(skip)]
    compiled: CompiledPattern,
}

impl Field {
    pub fn label(&self, lang: Lang) -> &str {
        self.label.get(lang)
    }

    pub fn help(&self, lang: Lang) -> Option<&str> {
        self.help.as_ref().map(|h| h.get(lang))
    }

    /// Runs `f` on the compiled pattern (or on why it does not compile);
    /// `None` without a pattern.
    fn with_pattern<R>(&self, f: impl FnOnce(Result<&Regex, &str>) -> R) -> Option<R> {
        let source = self.pattern.as_deref()?;
        Some(self.compiled.with(source, f))
    }

    /// Whether the whole of `value` matches the field's pattern: always without
    /// a pattern, never with an invalid one.
    pub fn matches_pattern(&self, value: &str) -> bool {
        self.with_pattern(|r| r.is_ok_and(|r| r.is_match(value)))
            .unwrap_or(true)
    }

    /// Text or textarea.
    pub(super) fn is_textual(&self) -> bool {
        matches!(self.kind, FieldType::Text | FieldType::Textarea)
    }

    /// Least length in characters of a text or textarea field.
    pub fn min_length(&self) -> Option<u32> {
        if self.is_textual() {
            self.min.and_then(|m| u32::try_from(m).ok())
        } else {
            None
        }
    }

    /// Greatest length in characters of a text or textarea field, the default
    /// when the catalogue sets none (for the page's `maxlength`).
    pub fn max_length(&self) -> Option<u32> {
        let default = match self.kind {
            FieldType::Text => TEXT_DEFAULT_MAX,
            FieldType::Textarea => TEXTAREA_DEFAULT_MAX,
            _ => return None,
        };
        Some(
            self.max
                .and_then(|m| u32::try_from(m).ok())
                .unwrap_or(default),
        )
    }

    /// The option of a select field with this value.
    pub fn option(&self, value: &str) -> Option<&SelectOption> {
        self.options.iter().find(|o| o.value == value)
    }

    /// How a validated value reads in `lang`: a select's option label, a date
    /// in the language's format, other values as they are.
    pub fn display_value(&self, value: &str, lang: Lang) -> String {
        match self.kind {
            FieldType::Select => self
                .option(value)
                .map_or_else(|| value.to_owned(), |o| o.label(lang).to_owned()),
            FieldType::Date => {
                parse_iso_date(value).map_or_else(|| value.to_owned(), |d| lang.format_date(d))
            }
            _ => value.to_owned(),
        }
    }

    /// Everything the catalogue must get right about one field, except the
    /// uniqueness of its name.
    pub(super) fn check(&self) -> Result<(), String> {
        if !is_field_name(&self.name) {
            return Err(
                "il nome deve iniziare con una lettera minuscola e avere al massimo 40 caratteri tra lettere, cifre e '_'"
                    .into(),
            );
        }
        if RESERVED_FIELD_NAMES.contains(&self.name.as_str()) {
            return Err("il nome è riservato al portale".into());
        }
        self.label.check("l'etichetta", MAX_LABEL_CHARS)?;
        if let Some(h) = &self.help {
            h.check("il testo di aiuto", MAX_HELP_CHARS)?;
        }
        let kind = self.kind;
        if self.pattern.is_some() {
            if !matches!(
                kind,
                FieldType::Text | FieldType::Textarea | FieldType::Number
            ) {
                return Err(format!(
                    "pattern è ammesso solo per i campi text, textarea e number, non per {kind}"
                ));
            }
            if let Some(Err(e)) = self.with_pattern(|r| r.map(|_| ()).map_err(str::to_owned)) {
                return Err(e);
            }
        }
        match kind {
            FieldType::Text | FieldType::Textarea => {
                let limit = if kind == FieldType::Text {
                    TEXT_MAX_LIMIT
                } else {
                    TEXTAREA_MAX_LIMIT
                };
                if self.min.is_some_and(|m| m < 0) {
                    return Err("min (lunghezza minima) non può essere negativo".into());
                }
                if self.max.is_some_and(|m| !(1..=limit).contains(&m)) {
                    return Err(format!(
                        "max (lunghezza massima) deve essere compreso tra 1 e {limit}"
                    ));
                }
                let max = self.max_length().map(i64::from);
                if let (Some(a), Some(b)) = (self.min, max) {
                    if a > b {
                        return Err(format!(
                            "min ({a}) non può superare la lunghezza massima ({b})"
                        ));
                    }
                }
            }
            FieldType::Number => {
                if let (Some(a), Some(b)) = (self.min, self.max) {
                    if a > b {
                        return Err(format!("min ({a}) non può superare max ({b})"));
                    }
                }
            }
            _ => {
                if self.min.is_some() || self.max.is_some() {
                    return Err(format!(
                        "min e max sono ammessi solo per i campi text, textarea e number, non per {kind}"
                    ));
                }
            }
        }
        if kind == FieldType::Select {
            if self.options.is_empty() {
                return Err("un campo select deve avere almeno un'opzione (options)".into());
            }
            if self.options.len() > MAX_OPTIONS {
                return Err(format!(
                    "un campo select può avere al massimo {MAX_OPTIONS} opzioni"
                ));
            }
            for (i, o) in self.options.iter().enumerate() {
                if o.value.trim().is_empty()
                    || o.value.trim() != o.value
                    || o.value.chars().count() > 140
                    || o.value.chars().any(char::is_control)
                {
                    return Err(format!(
                        "il valore dell'opzione {} deve avere da 1 a 140 caratteri, senza spazi iniziali o finali",
                        i + 1
                    ));
                }
                o.label.check(
                    &format!("l'etichetta dell'opzione {}", o.value),
                    MAX_LABEL_CHARS,
                )?;
                if self.options[..i].iter().any(|p| p.value == o.value) {
                    return Err(format!("l'opzione {} è ripetuta", o.value));
                }
            }
        } else if !self.options.is_empty() {
            return Err(format!(
                "options è ammesso solo per i campi select, non per {kind}"
            ));
        }
        Ok(())
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// `^[a-z][A-Za-z0-9_]{0,39}$`.
fn is_field_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 40
        && b[0].is_ascii_lowercase()
        && b.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'_')
}

/// Strictly `YYYY-MM-DD`, a real date.
pub(super) fn parse_iso_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s[r].parse::<u32>().ok();
    NaiveDate::from_ymd_opt(i32::try_from(n(0..4)?).ok()?, n(5..7)?, n(8..10)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::test_support::*;
    use crate::domain::catalog::MAX_FIELDS;
    use serde_json::{json, Value};

    #[test]
    fn field_names_are_checked() {
        for ok in [
            "a",
            "anno",
            "codiceFiscaleAlunno",
            "x_1",
            &format!("a{}", "B".repeat(39)),
        ] {
            assert!(one(field(ok, "text")).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "Anno",
            "1anno",
            "_a",
            "a-b",
            "a b",
            "àbc",
            &format!("a{}", "b".repeat(40)),
        ] {
            let e = one(field(bad, "text")).unwrap_err();
            assert!(
                e.starts_with(&format!("servizio X: campo {bad}: il nome")),
                "{e}"
            );
        }
        for reserved in RESERVED_FIELD_NAMES {
            let e = one(field(reserved, "text")).unwrap_err();
            assert_eq!(
                e,
                format!("servizio X: campo {reserved}: il nome è riservato al portale")
            );
        }
        let e = with_form(
            json!([field("anno", "text"), field("anno", "number")]),
            None,
        )
        .unwrap_err();
        assert_eq!(e, "servizio X: campo anno: il nome è ripetuto nel modulo");
        let many: Vec<Value> = (0..=MAX_FIELDS)
            .map(|i| field(&format!("f{i}"), "text"))
            .collect();
        assert!(with_form(json!(many), None)
            .unwrap_err()
            .contains("al massimo 30 campi"));
    }

    #[test]
    fn field_types_and_labels_are_checked() {
        for kind in ["text", "number", "date", "fiscalCode", "email", "textarea"] {
            let s = one(field("campo", kind)).unwrap();
            assert_eq!(s.form.fields[0].kind.as_str(), kind);
        }
        for bad in ["checkbox", "fiscalcode", "Text", ""] {
            assert!(one(field("campo", bad)).is_err(), "{bad}");
        }
        assert!(
            one(json!({"name": "campo", "type": "text", "label": {"en": "Only English"}})).is_err()
        );
        let e = one(json!({"name": "campo", "type": "text", "label": {"it": " "}})).unwrap_err();
        assert_eq!(
            e,
            "servizio X: campo campo: l'etichetta (it) è obbligatorio"
        );
        assert!(
            one(json!({"name": "campo", "type": "text", "label": {"it": "a", "en": ""}})).is_err()
        );
        assert!(one(json!({"name": "campo", "type": "text", "label": {"it": "a\nb"}})).is_err());
        assert!(
            one(json!({"name": "campo", "type": "text", "label": {"it": "a", "fr": "b"}})).is_err()
        );
        assert!(one(
            json!({"name": "campo", "type": "text", "label": {"it": "a"}, "help": {"it": ""}})
        )
        .is_err());
        assert!(one(
            json!({"name": "campo", "type": "text", "label": {"it": "a"}, "colour": "red"})
        )
        .is_err());
        assert!(one(json!({"name": "campo", "type": "text", "label": "a"})).is_err());

        let s = one(json!({"name": "campo", "type": "text", "label": {"it": "Etichetta"}, "help": {"it": "Aiuto"}}))
            .unwrap();
        let f = &s.form.fields[0];
        assert_eq!(f.label(Lang::En), "Etichetta");
        assert_eq!(f.help(Lang::En), Some("Aiuto"));
        assert!(!f.required);
    }

    #[test]
    fn bounds_are_checked_at_load() {
        let bounded = |kind: &str, min: Option<i64>, max: Option<i64>| {
            let mut f = field("campo", kind);
            if let Some(m) = min {
                f["min"] = m.into();
            }
            if let Some(m) = max {
                f["max"] = m.into();
            }
            one(f)
        };
        assert!(bounded("text", Some(2), Some(10)).is_ok());
        assert!(bounded("text", Some(0), None).is_ok());
        assert!(bounded("text", Some(140), None).is_ok());
        assert!(bounded("text", Some(141), None).is_err());
        assert!(bounded("text", None, Some(1000)).is_ok());
        assert!(bounded("text", None, Some(1001)).is_err());
        assert!(bounded("text", None, Some(0)).is_err());
        assert!(bounded("text", Some(-1), None).is_err());
        assert!(bounded("text", Some(11), Some(10)).is_err());
        assert!(bounded("textarea", Some(500), None).is_ok());
        assert!(bounded("textarea", Some(1001), None).is_err());
        assert!(bounded("textarea", None, Some(4000)).is_ok());
        assert!(bounded("textarea", None, Some(4001)).is_err());
        assert!(bounded("number", Some(-10), Some(-5)).is_ok());
        assert!(bounded("number", Some(i64::MIN), Some(i64::MAX)).is_ok());
        let e = bounded("number", Some(5), Some(4)).unwrap_err();
        assert_eq!(
            e,
            "servizio X: campo campo: min (5) non può superare max (4)"
        );
        for kind in ["date", "fiscalCode", "email"] {
            assert!(bounded(kind, Some(1), None).is_err(), "{kind}");
            let e = bounded(kind, None, Some(1)).unwrap_err();
            assert!(e.contains("min e max sono ammessi solo"), "{e}");
        }
        assert!(bounded("number", None, Some(1)).is_ok());
        assert!(
            one(json!({"name": "campo", "type": "number", "label": {"it": "a"}, "min": 1.5}))
                .is_err()
        );
    }

    #[test]
    fn select_options_are_checked() {
        let select = |options: Value| {
            let mut f = field("scelta", "select");
            f["options"] = options;
            one(f)
        };
        assert!(select(json!([{"value": "a", "label": {"it": "A"}}])).is_ok());
        let e = select(json!([])).unwrap_err();
        assert!(e.contains("almeno un'opzione"), "{e}");
        assert!(one(field("scelta", "select")).is_err());
        let e = select(
            json!([{"value": "a", "label": {"it": "A"}}, {"value": "a", "label": {"it": "B"}}]),
        )
        .unwrap_err();
        assert_eq!(e, "servizio X: campo scelta: l'opzione a è ripetuta");
        assert!(select(json!([{"value": "", "label": {"it": "A"}}])).is_err());
        assert!(select(json!([{"value": " a", "label": {"it": "A"}}])).is_err());
        assert!(select(json!([{"value": "a", "label": {"it": ""}}])).is_err());
        assert!(select(json!([{"value": "a"}])).is_err());
        let many: Vec<Value> = (0..=MAX_OPTIONS)
            .map(|i| json!({"value": i.to_string(), "label": {"it": "x"}}))
            .collect();
        assert!(select(json!(many)).is_err());
        let mut text = field("campo", "text");
        text["options"] = json!([{"value": "a", "label": {"it": "A"}}]);
        let e = one(text).unwrap_err();
        assert!(
            e.contains("options è ammesso solo per i campi select"),
            "{e}"
        );
    }
}
