//! The service catalogue: what each EC lets citizens (and PSPs, through
//! paDemandPaymentNotice) pay without a notice. Data, not code: loaded from JSON.
//!
//! A service describes itself completely: names and texts in Italian (and
//! optionally English), the amount rule, the due date of new positions and the
//! form the citizen fills in. The form's fields are validated here, on the
//! server, for the pages and for the JSON API alike, and a template turns the
//! submitted values into the payment description.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::OnceLock;

use chrono::{Datelike, Days, NaiveDate};
use regex_lite::Regex;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::amount::AmountCents;
use super::errors::FieldErrors;
use super::fiscal_code::{EcFiscalCode, FiscalCode, FiscalCodeError};
use super::lang::Lang;
use super::text::{Category, Email, Iban, ServiceCode, Text140};

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
/// The placeholder of the service name in a description template.
const SERVICE_PLACEHOLDER: &str = "service";
/// At most this many fields in a form.
pub const MAX_FIELDS: usize = 30;
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
/// The largest `dueDays`: ten years.
pub const MAX_DUE_DAYS: u32 = 3650;
const MAX_PATTERN_LEN: usize = 500;
const MAX_LABEL_CHARS: usize = 200;
const MAX_HELP_CHARS: usize = 500;
const MAX_TEMPLATE_CHARS: usize = 500;
const MAX_NAME_CHARS: usize = 140;
const MAX_DESCRIPTION_CHARS: usize = 2000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AmountRule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_cents: Option<AmountCents>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_cents: Option<AmountCents>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_cents: Option<AmountCents>,
}

impl AmountRule {
    /// The amount to charge: the fixed one, or `requested` within min..=max.
    pub fn amount(&self, requested: Option<AmountCents>) -> Result<AmountCents, String> {
        match (self.fixed_cents, requested) {
            (Some(f), None) => Ok(f),
            (Some(f), Some(r)) if r == f => Ok(f),
            (Some(_), Some(_)) => Err("l'importo di questo servizio è fisso".into()),
            (None, None) => Err("importo obbligatorio".into()),
            (None, Some(r)) => {
                if self.min_cents.is_some_and(|m| r < m) {
                    Err(format!(
                        "l'importo minimo è {}",
                        self.min_cents.expect("checked")
                    ))
                } else if self.max_cents.is_some_and(|m| r > m) {
                    Err(format!(
                        "l'importo massimo è {}",
                        self.max_cents.expect("checked")
                    ))
                } else {
                    Ok(r)
                }
            }
        }
    }

    fn is_consistent(&self) -> bool {
        match self.fixed_cents {
            Some(_) => self.min_cents.is_none() && self.max_cents.is_none(),
            None => match (self.min_cents, self.max_cents) {
                (Some(a), Some(b)) => a <= b,
                _ => true,
            },
        }
    }

    /// `{"fixedCents"}` or `{"minCents", "maxCents"}`, absent bounds left out.
    fn view(&self) -> Value {
        let mut m = Map::new();
        match self.fixed_cents {
            Some(f) => {
                m.insert("fixedCents".into(), f.cents().into());
            }
            None => {
                if let Some(a) = self.min_cents {
                    m.insert("minCents".into(), a.cents().into());
                }
                if let Some(b) = self.max_cents {
                    m.insert("maxCents".into(), b.cents().into());
                }
            }
        }
        Value::Object(m)
    }
}

/// A text in Italian and, optionally, English.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Label {
    pub it: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub en: Option<String>,
}

impl Label {
    /// The text in `lang`; Italian when there is no English text.
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => self
                .en
                .as_deref()
                .filter(|e| !e.trim().is_empty())
                .unwrap_or(&self.it),
            Lang::It => &self.it,
        }
    }

    fn check(&self, what: &str, max: usize) -> Result<(), String> {
        check_line(&self.it, &format!("{what} (it)"), max)?;
        if let Some(en) = &self.en {
            check_line(en, &format!("{what} (en)"), max)?;
        }
        Ok(())
    }
}

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

/// The compiled form of a field's `pattern`: compiled once (when the catalogue
/// is checked, or at first use) and kept with the field, with the expression it
/// was compiled from. Not serialised; never part of equality.
#[derive(Clone, Default)]
struct CompiledPattern(OnceLock<(String, Result<Regex, String>)>);

impl fmt::Debug for CompiledPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.get().is_some() {
            "compiled"
        } else {
            "not compiled"
        })
    }
}

impl PartialEq for CompiledPattern {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl Eq for CompiledPattern {}

/// Compiles a field's `pattern` as the whole value must match it: `^(?:…)$`.
fn compile_anchored(source: &str) -> Result<Regex, String> {
    if source.is_empty() {
        return Err("l'espressione regolare (pattern) è vuota".into());
    }
    if source.len() > MAX_PATTERN_LEN {
        return Err(format!(
            "l'espressione regolare (pattern) può avere al massimo {MAX_PATTERN_LEN} caratteri"
        ));
    }
    // Compiled alone first: an expression with unbalanced groups such as
    // `a)|(b` would otherwise escape the anchoring group.
    Regex::new(source)
        .and_then(|_| Regex::new(&format!("^(?:{source})$")))
        .map_err(|e| format!("espressione regolare (pattern) non valida: {e}"))
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
        let (compiled_from, compiled) = self
            .compiled
            .0
            .get_or_init(|| (source.to_owned(), compile_anchored(source)));
        if compiled_from == source {
            Some(f(compiled.as_ref().map_err(String::as_str)))
        } else {
            // The pattern was changed after compilation: no stale answer.
            let fresh = compile_anchored(source);
            Some(f(fresh.as_ref().map_err(String::as_str)))
        }
    }

    /// Whether the whole of `value` matches the field's pattern: always without
    /// a pattern, never with an invalid one.
    pub fn matches_pattern(&self, value: &str) -> bool {
        self.with_pattern(|r| r.is_ok_and(|r| r.is_match(value)))
            .unwrap_or(true)
    }

    fn is_textual(&self) -> bool {
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

    /// Checks the trimmed, non-empty `value` and returns it normalised.
    fn accept(&self, value: &str) -> Result<String, Problem> {
        match self.kind {
            FieldType::Text => {
                if value.chars().any(char::is_control) {
                    return Err(Problem::Characters);
                }
                self.check_length(value)?;
                self.check_pattern(value)?;
                Ok(value.to_owned())
            }
            FieldType::Textarea => {
                let value = value.replace("\r\n", "\n").replace('\r', "\n");
                if value
                    .chars()
                    .any(|c| c.is_control() && c != '\n' && c != '\t')
                {
                    return Err(Problem::Characters);
                }
                self.check_length(&value)?;
                self.check_pattern(&value)?;
                Ok(value)
            }
            FieldType::Number => {
                let digits = value.strip_prefix('-').unwrap_or(value);
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(Problem::NotInteger);
                }
                let n: i64 = value.parse().map_err(|_| Problem::OutOfRange)?;
                if let Some(min) = self.min.filter(|&m| n < m) {
                    return Err(Problem::Below(min));
                }
                if let Some(max) = self.max.filter(|&m| n > m) {
                    return Err(Problem::Above(max));
                }
                self.check_pattern(value)?;
                Ok(value.to_owned())
            }
            FieldType::Date => parse_iso_date(value)
                .map(|_| value.to_owned())
                .ok_or(Problem::Date),
            FieldType::Select => self
                .option(value)
                .map(|o| o.value.clone())
                .ok_or(Problem::NotAnOption),
            FieldType::FiscalCode => FiscalCode::parse(value)
                .map(String::from)
                .map_err(Problem::FiscalCode),
            FieldType::Email => Email::parse(value)
                .map(String::from)
                .map_err(|_| Problem::Email),
        }
    }

    fn check_length(&self, value: &str) -> Result<(), Problem> {
        let len = value.chars().count();
        if let Some(min) = self.min_length().filter(|&m| len < m as usize) {
            return Err(Problem::TooShort(min));
        }
        if let Some(max) = self.max_length().filter(|&m| len > m as usize) {
            return Err(Problem::TooLong(max));
        }
        Ok(())
    }

    fn check_pattern(&self, value: &str) -> Result<(), Problem> {
        if self.matches_pattern(value) {
            Ok(())
        } else {
            Err(Problem::Pattern)
        }
    }

    /// The field's part of [`Service::api_view`].
    fn view(&self, lang: Lang) -> Value {
        let mut m = Map::new();
        m.insert("name".into(), self.name.clone().into());
        m.insert("type".into(), self.kind.as_str().into());
        m.insert("label".into(), self.label(lang).into());
        if let Some(h) = self.help(lang) {
            m.insert("help".into(), h.into());
        }
        m.insert("required".into(), self.required.into());
        if let Some(p) = &self.pattern {
            m.insert("pattern".into(), p.as_str().into());
        }
        let (min, max) = if self.is_textual() {
            (self.min, self.max_length().map(i64::from))
        } else {
            (self.min, self.max)
        };
        if let Some(min) = min {
            m.insert("min".into(), min.into());
        }
        if let Some(max) = max {
            m.insert("max".into(), max.into());
        }
        if self.kind == FieldType::Select {
            let options: Vec<Value> = self
                .options
                .iter()
                .map(|o| json!({"value": o.value, "label": o.label(lang)}))
                .collect();
            m.insert("options".into(), options.into());
        }
        Value::Object(m)
    }

    /// Everything the catalogue must get right about one field, except the
    /// uniqueness of its name.
    fn check(&self) -> Result<(), String> {
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
fn parse_iso_date(s: &str) -> Option<NaiveDate> {
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

/// Non-empty after trimming, no control characters, at most `max` characters.
fn check_line(s: &str, what: &str, max: usize) -> Result<(), String> {
    if s.trim().is_empty() {
        return Err(format!("{what} è obbligatorio"));
    }
    if s.chars().count() > max {
        return Err(format!("{what} può avere al massimo {max} caratteri"));
    }
    if s.chars().any(char::is_control) {
        return Err(format!("{what} contiene caratteri non ammessi"));
    }
    Ok(())
}

/// The form a citizen fills in to pay a service.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Form {
    #[serde(default)]
    pub fields: Vec<Field>,
    /// Template of the payment description: text with `{fieldName}` and
    /// `{service}` placeholders. Without it the description is the service name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl Form {
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.description.is_none()
    }

    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Checks every field and the template; errors name the field.
    fn check(&self) -> Result<(), String> {
        if self.fields.len() > MAX_FIELDS {
            return Err(format!("il modulo può avere al massimo {MAX_FIELDS} campi"));
        }
        for (i, f) in self.fields.iter().enumerate() {
            let at = |m: String| format!("campo {}: {m}", f.name);
            f.check().map_err(at)?;
            if self.fields[..i].iter().any(|g| g.name == f.name) {
                return Err(at("il nome è ripetuto nel modulo".into()));
            }
        }
        if let Some(t) = &self.description {
            let at = |m: String| format!("modello della descrizione: {m}");
            check_line(t, "il modello", MAX_TEMPLATE_CHARS).map_err(at)?;
            for piece in parse_template(t).map_err(at)? {
                if let Piece::Placeholder(name) = piece {
                    if name != SERVICE_PLACEHOLDER && self.field(name).is_none() {
                        return Err(at(format!(
                            "il segnaposto {{{name}}} non corrisponde a nessun campo del modulo"
                        )));
                    }
                }
            }
        }
        Ok(())
    }
}

enum Piece<'a> {
    Text(&'a str),
    Placeholder(&'a str),
}

/// Splits a template into text and `{name}` placeholders. Braces are allowed only
/// around a placeholder.
fn parse_template(t: &str) -> Result<Vec<Piece<'_>>, String> {
    let mut pieces = Vec::new();
    let mut rest = t;
    while let Some(i) = rest.find(['{', '}']) {
        if rest.as_bytes()[i] == b'}' {
            return Err("'}' senza la '{' corrispondente".into());
        }
        if i > 0 {
            pieces.push(Piece::Text(&rest[..i]));
        }
        let after = &rest[i + 1..];
        let end = after
            .find(['{', '}'])
            .filter(|&j| after.as_bytes()[j] == b'}')
            .ok_or("'{' senza la '}' corrispondente")?;
        pieces.push(Piece::Placeholder(&after[..end]));
        rest = &after[end + 1..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest));
    }
    Ok(pieces)
}

/// The values of a submitted form, validated and normalised: only the fields
/// of the form that have a value, ordered by name. A JSON object.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FormValues(BTreeMap<String, String>);

impl FormValues {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn as_map(&self) -> &BTreeMap<String, String> {
        &self.0
    }
    pub fn to_map(&self) -> BTreeMap<String, String> {
        self.0.clone()
    }
    pub fn into_map(self) -> BTreeMap<String, String> {
        self.0
    }
}

/// What is wrong with one submitted value.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Problem {
    Required,
    Unknown,
    Characters,
    TooShort(u32),
    TooLong(u32),
    NotInteger,
    OutOfRange,
    Below(i64),
    Above(i64),
    Date,
    NotAnOption,
    FiscalCode(FiscalCodeError),
    Email,
    Pattern,
}

impl Problem {
    fn message(&self, lang: Lang) -> String {
        use Problem::*;
        match lang {
            Lang::It => match self {
                Required => "campo obbligatorio".into(),
                Unknown => "campo non previsto".into(),
                Characters => "il testo contiene caratteri non ammessi".into(),
                TooShort(n) => format!("deve avere almeno {n} caratteri"),
                TooLong(n) => format!("può avere al massimo {n} caratteri"),
                NotInteger => "deve essere un numero intero, senza separatori".into(),
                OutOfRange => "numero fuori dall'intervallo ammesso".into(),
                Below(n) => format!("deve essere almeno {n}"),
                Above(n) => format!("deve essere al massimo {n}"),
                Date => "data non valida: usare il formato AAAA-MM-GG".into(),
                NotAnOption => "valore non ammesso: scegliere una delle opzioni".into(),
                FiscalCode(e) => e.to_string(),
                Email => "indirizzo email non valido".into(),
                Pattern => "formato non valido".into(),
            },
            Lang::En => match self {
                Required => "required field".into(),
                Unknown => "unexpected field".into(),
                Characters => "the text contains characters that are not allowed".into(),
                TooShort(n) => format!("must be at least {n} characters long"),
                TooLong(n) => format!("must be at most {n} characters long"),
                NotInteger => "must be a whole number, without separators".into(),
                OutOfRange => "number out of the allowed range".into(),
                Below(n) => format!("must be at least {n}"),
                Above(n) => format!("must be at most {n}"),
                Date => "invalid date: use the format YYYY-MM-DD".into(),
                NotAnOption => "value not allowed: choose one of the options".into(),
                FiscalCode(e) => e.message(Lang::En).to_owned(),
                Email => "invalid email address".into(),
                Pattern => "invalid format".into(),
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Service {
    pub ec_fiscal_code: EcFiscalCode,
    pub code: ServiceCode,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_en: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description_en: Option<String>,
    /// Whether citizens may start a payment of this service without a notice.
    pub spontaneous: bool,
    /// The 5-character `idServizio` of pagoPA's service catalogue, for paDemandPaymentNotice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub demand_service_id: Option<String>,
    pub category: Category,
    pub iban: Iban,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_iban: Option<Iban>,
    pub amount: AmountRule,
    /// Days from creation to the due date of a new position, which then expires;
    /// none: no binding due date. See [`Service::due_date`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_days: Option<u32>,
    #[serde(default, skip_serializing_if = "Form::is_empty")]
    pub form: Form,
}

impl Service {
    /// Reads and checks one service (the operator API's PUT).
    pub fn from_json(json: &str) -> Result<Service, String> {
        let v: Value =
            serde_json::from_str(json).map_err(|e| format!("servizio: JSON non valido: {e}"))?;
        Self::read(v, None)
    }

    /// Reads and checks one service already parsed as JSON.
    pub fn from_value(v: Value) -> Result<Service, String> {
        Self::read(v, None)
    }

    /// `position` names a service without a code in a list.
    fn read(v: Value, position: Option<usize>) -> Result<Service, String> {
        let who = match (v.get("code").and_then(Value::as_str), position) {
            (Some(code), _) => format!("servizio {code}"),
            (None, Some(i)) => format!("servizio n. {}", i + 1),
            (None, None) => "servizio".to_owned(),
        };
        let service: Service = serde_json::from_value(v).map_err(|e| format!("{who}: {e}"))?;
        service.check()?;
        Ok(service)
    }

    /// Everything the catalogue must get right about one service, with an Italian
    /// message naming the service and the field. Compiles the patterns.
    pub fn check(&self) -> Result<(), String> {
        let at = |m: String| format!("servizio {}: {m}", self.code);
        check_line(&self.name, "il nome (name)", MAX_NAME_CHARS).map_err(at)?;
        if let Some(n) = &self.name_en {
            check_line(n, "il nome inglese (nameEn)", MAX_NAME_CHARS).map_err(at)?;
        }
        for (d, what) in [
            (&self.description, "la descrizione (description)"),
            (
                &self.description_en,
                "la descrizione inglese (descriptionEn)",
            ),
        ] {
            if let Some(d) = d {
                if d.trim().is_empty() {
                    return Err(at(format!("{what} è vuota")));
                }
                if d.chars().count() > MAX_DESCRIPTION_CHARS {
                    return Err(at(format!(
                        "{what} può avere al massimo {MAX_DESCRIPTION_CHARS} caratteri"
                    )));
                }
            }
        }
        if !self.amount.is_consistent() {
            return Err(at("regola di importo non valida".into()));
        }
        if self
            .demand_service_id
            .as_deref()
            .is_some_and(|d| d.chars().count() != 5)
        {
            return Err(at("demandServiceId deve avere 5 caratteri".into()));
        }
        if self.due_days.is_some_and(|d| d > MAX_DUE_DAYS) {
            return Err(at(format!(
                "dueDays deve essere compreso tra 0 e {MAX_DUE_DAYS}"
            )));
        }
        self.form.check().map_err(at)
    }

    /// The due date of a position created `today`, and whether it expires then
    /// (`switchToExpired`): with `dueDays`, `today + dueDays` and true; without,
    /// 31 December of the next year and false.
    pub fn due_date(&self, today: NaiveDate) -> (NaiveDate, bool) {
        match self.due_days {
            Some(n) => (
                today
                    .checked_add_days(Days::new(u64::from(n)))
                    .unwrap_or(NaiveDate::MAX),
                true,
            ),
            None => (
                NaiveDate::from_ymd_opt(today.year() + 1, 12, 31).unwrap_or(NaiveDate::MAX),
                false,
            ),
        }
    }

    /// The name in `lang`, Italian when there is no English one.
    pub fn display_name(&self, lang: Lang) -> &str {
        match (lang, &self.name_en) {
            (Lang::En, Some(n)) if !n.trim().is_empty() => n,
            _ => &self.name,
        }
    }

    /// The description in `lang`, Italian when there is no English one.
    pub fn display_description(&self, lang: Lang) -> Option<&str> {
        match (lang, &self.description_en) {
            (Lang::En, Some(d)) if !d.trim().is_empty() => Some(d),
            _ => self.description.as_deref(),
        }
    }

    pub fn field(&self, name: &str) -> Option<&Field> {
        self.form.field(name)
    }

    /// Validates submitted values (Italian messages, paths `fields.<name>`).
    pub fn validate_fields(
        &self,
        values: &BTreeMap<String, String>,
    ) -> Result<FormValues, FieldErrors> {
        self.validate_fields_in(values, Lang::It)
    }

    /// Validates submitted values with messages in `lang`: values are trimmed
    /// and an empty value counts as missing.
    pub fn validate_fields_in(
        &self,
        values: &BTreeMap<String, String>,
        lang: Lang,
    ) -> Result<FormValues, FieldErrors> {
        let mut errors = FieldErrors::default();
        let mut accepted = BTreeMap::new();
        for field in &self.form.fields {
            let path = || format!("fields.{}", field.name);
            let value = values.get(&field.name).map_or("", |v| v.trim());
            if value.is_empty() {
                if field.required {
                    errors.push(path(), Problem::Required.message(lang));
                }
                continue;
            }
            match field.accept(value) {
                Ok(v) => {
                    accepted.insert(field.name.clone(), v);
                }
                Err(p) => errors.push(path(), p.message(lang)),
            }
        }
        for name in values.keys() {
            if self.form.field(name).is_none() {
                errors.push(format!("fields.{name}"), Problem::Unknown.message(lang));
            }
        }
        if errors.is_empty() {
            Ok(FormValues(accepted))
        } else {
            Err(errors)
        }
    }

    /// The payment description: the form's template filled in (a select by its
    /// option's Italian label, a date as `dd/mm/yyyy`, a missing value by
    /// nothing), whitespace collapsed, cut to 140 characters. The service name
    /// when there is no template or it renders empty.
    pub fn payment_description(&self, values: &FormValues) -> Text140 {
        let rendered = self.form.description.as_deref().and_then(|t| {
            let pieces = parse_template(t).ok()?;
            let mut out = String::new();
            for piece in pieces {
                match piece {
                    Piece::Text(s) => out.push_str(s),
                    Piece::Placeholder(SERVICE_PLACEHOLDER) => out.push_str(&self.name),
                    Piece::Placeholder(name) => {
                        if let (Some(f), Some(v)) = (self.field(name), values.get(name)) {
                            out.push_str(&f.display_value(v, Lang::It));
                        }
                    }
                }
            }
            Some(out)
        });
        let candidates = rendered.iter().chain([&self.name]);
        let fitted = candidates
            .into_iter()
            .find_map(|s| Text140::parse(&fit_text140(s)).ok());
        fitted.unwrap_or_else(|| {
            Text140::parse(self.code.as_str()).expect("a service code is a valid text")
        })
    }

    /// The labels and displayed values of the submitted fields, in form order
    /// (for confirmation pages and receipts).
    pub fn field_summary(&self, values: &FormValues, lang: Lang) -> Vec<(String, String)> {
        self.form
            .fields
            .iter()
            .filter_map(|f| {
                let v = values.get(&f.name)?;
                Some((f.label(lang).to_owned(), f.display_value(v, lang)))
            })
            .collect()
    }

    /// The service as the public JSON API shows it, texts in `lang`.
    pub fn api_view(&self, lang: Lang) -> Value {
        json!({
            "ecFiscalCode": self.ec_fiscal_code.as_str(),
            "code": self.code.as_str(),
            "name": self.display_name(lang),
            "description": self.display_description(lang),
            "spontaneous": self.spontaneous,
            "amount": self.amount.view(),
            "dueDays": self.due_days,
            "form": {
                "fields": self.form.fields.iter().map(|f| f.view(lang)).collect::<Vec<_>>(),
            },
        })
    }
}

/// Collapses whitespace, drops control characters and keeps at most
/// [`Text140::MAX_CHARS`] characters.
fn fit_text140(s: &str) -> String {
    let collapsed = s
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace(char::is_control, "");
    collapsed
        .chars()
        .take(Text140::MAX_CHARS)
        .collect::<String>()
        .trim_end()
        .to_owned()
}

/// The spontaneous service a PSP asks for with paDemandPaymentNotice, among
/// the services of one EC.
pub fn by_demand_id<'a>(services: &'a [Service], id_servizio: &str) -> Option<&'a Service> {
    services
        .iter()
        .find(|s| s.spontaneous && s.demand_service_id.as_deref() == Some(id_servizio))
}

/// A list of services, checked together (the demo catalogue, a bulk import).
#[derive(Debug, Clone, Default)]
pub struct Catalog(Vec<Service>);

impl Catalog {
    /// Reads and checks the list of services: each as [`Service::from_json`], and
    /// no two with the same EC and code, or the same EC and `demandServiceId`.
    pub fn from_json(json: &str) -> Result<Self, String> {
        let list: Vec<Value> = serde_json::from_str(json)
            .map_err(|e| format!("catalogo dei servizi: JSON non valido: {e}"))?;
        let mut services: Vec<Service> = Vec::with_capacity(list.len());
        for (i, v) in list.into_iter().enumerate() {
            let s = Service::read(v, Some(i))?;
            let same_ec = || {
                services
                    .iter()
                    .filter(|o| o.ec_fiscal_code == s.ec_fiscal_code)
            };
            if same_ec().any(|o| o.code == s.code) {
                return Err(format!(
                    "servizio {}: codice ripetuto per l'ente {}",
                    s.code, s.ec_fiscal_code
                ));
            }
            if let Some(d) = &s.demand_service_id {
                if same_ec().any(|o| o.demand_service_id.as_ref() == Some(d)) {
                    return Err(format!(
                        "servizio {}: demandServiceId {d} già usato da un altro servizio dell'ente {}",
                        s.code, s.ec_fiscal_code
                    ));
                }
            }
            services.push(s);
        }
        Ok(Self(services))
    }

    pub fn iter(&self) -> impl Iterator<Item = &Service> {
        self.0.iter()
    }

    pub fn get(&self, ec: &EcFiscalCode, code: &str) -> Option<&Service> {
        self.0
            .iter()
            .find(|s| &s.ec_fiscal_code == ec && s.code.as_str() == code)
    }

    /// The spontaneous service a PSP asks for with paDemandPaymentNotice.
    pub fn by_demand_id(&self, ec: &EcFiscalCode, id_servizio: &str) -> Option<&Service> {
        self.0.iter().find(|s| {
            &s.ec_fiscal_code == ec
                && s.spontaneous
                && s.demand_service_id.as_deref() == Some(id_servizio)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const DEMO: &str = include_str!("../../../infra/config/services.json");
    const MARIO: &str = "RSSMRA85T10A562S";
    const CHIARA: &str = "CNTCHR83T41D969D";

    fn c(n: u64) -> AmountCents {
        AmountCents::new(n).unwrap()
    }

    fn base() -> Value {
        json!({"ecFiscalCode": "77777777777", "code": "X", "name": "Servizio di prova", "spontaneous": true,
            "category": "9/0101100IM/", "iban": "IT60X0542811101000000123456", "amount": {"fixedCents": 100}})
    }

    /// A service with these form fields and template.
    fn with_form(fields: Value, template: Option<&str>) -> Result<Service, String> {
        let mut v = base();
        let mut form = json!({ "fields": fields });
        if let Some(t) = template {
            form["description"] = t.into();
        }
        v["form"] = form;
        Service::from_json(&v.to_string())
    }

    /// A service with one field.
    fn one(field: Value) -> Result<Service, String> {
        with_form(json!([field]), None)
    }

    fn field(name: &str, kind: &str) -> Value {
        json!({"name": name, "type": kind, "label": {"it": "Etichetta", "en": "Label"}})
    }

    fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    /// The message of the only error, at `fields.<name>`.
    fn only_error(s: &Service, pairs: &[(&str, &str)]) -> (String, String) {
        let e = s.validate_fields(&values(pairs)).unwrap_err();
        let all: Vec<_> = e.iter().collect();
        assert_eq!(all.len(), 1, "{e}");
        (all[0].field.clone(), all[0].message.clone())
    }

    fn accepts(s: &Service, name: &str, value: &str) -> String {
        let v = s
            .validate_fields(&values(&[(name, value)]))
            .unwrap_or_else(|e| panic!("{value:?}: {e}"));
        v.get(name).unwrap_or("").to_owned()
    }

    fn demo() -> Catalog {
        Catalog::from_json(DEMO).expect("the demo catalogue loads")
    }

    fn demo_service(code: &str) -> Service {
        demo()
            .iter()
            .find(|s| s.code.as_str() == code)
            .unwrap()
            .clone()
    }

    #[test]
    fn amount_rules() {
        let fixed = AmountRule {
            fixed_cents: Some(c(1600)),
            min_cents: None,
            max_cents: None,
        };
        assert_eq!(fixed.amount(None), Ok(c(1600)));
        assert!(fixed.amount(Some(c(1))).is_err());
        let free = AmountRule {
            fixed_cents: None,
            min_cents: Some(c(100)),
            max_cents: Some(c(500)),
        };
        assert!(free.amount(None).is_err());
        assert!(free.amount(Some(c(99))).is_err());
        assert!(free.amount(Some(c(501))).is_err());
        assert_eq!(free.amount(Some(c(250))), Ok(c(250)));
    }

    #[test]
    fn refuses_inconsistent_rules() {
        let base = r#"[{"ecFiscalCode":"77777777777","code":"X","name":"X","spontaneous":true,"category":"9/0101100IM/",
            "iban":"IT60X0542811101000000123456","amount":RULE}]"#;
        assert!(Catalog::from_json(&base.replace("RULE", r#"{"fixedCents":100}"#)).is_ok());
        assert!(
            Catalog::from_json(&base.replace("RULE", r#"{"fixedCents":100,"minCents":1}"#))
                .is_err()
        );
        let e = Catalog::from_json(&base.replace("RULE", r#"{"minCents":500,"maxCents":100}"#))
            .unwrap_err();
        assert_eq!(e, "servizio X: regola di importo non valida");
        assert!(Catalog::from_json(&base.replace("RULE", r#"{"fixedCents":0}"#)).is_err());
    }

    #[test]
    fn the_demo_catalogue_loads_and_its_forms_work() {
        let cat = demo();
        let codes: Vec<&str> = cat.iter().map(|s| s.code.as_str()).collect();
        assert_eq!(codes, ["CERT", "MENSA", "TARI", "DONAZIONE", "CIMITERO"]);
        assert!(
            !cat.get(&EcFiscalCode::parse("77777777777").unwrap(), "TARI")
                .unwrap()
                .spontaneous
        );

        let cert = demo_service("CERT");
        let v = cert
            .validate_fields(&values(&[
                ("tipoCertificato", "stato-famiglia"),
                ("richiedente", " Mario Rossi "),
            ]))
            .unwrap();
        assert_eq!(
            cert.payment_description(&v).as_str(),
            "Certificato di stato di famiglia - Mario Rossi"
        );
        assert_eq!(cert.amount.amount(None), Ok(c(1600)));
        let long_reason = "x".repeat(201);
        assert_eq!(
            only_error(
                &cert,
                &[
                    ("tipoCertificato", "nascita"),
                    ("richiedente", "Mario Rossi"),
                    ("motivo", &long_reason)
                ]
            ),
            (
                "fields.motivo".into(),
                "può avere al massimo 200 caratteri".into()
            )
        );

        let mensa = demo_service("MENSA");
        let v = mensa
            .validate_fields(&values(&[
                ("alunno", "Chiara Conte"),
                ("codiceFiscaleAlunno", &CHIARA.to_lowercase()),
                ("scuola", "primaria-collodi"),
                ("anno", "2025"),
            ]))
            .unwrap();
        assert_eq!(v.get("codiceFiscaleAlunno"), Some(CHIARA));
        assert_eq!(
            mensa.payment_description(&v).as_str(),
            "Ricarica mensa Chiara Conte - Primaria C. Collodi"
        );
        assert_eq!(mensa.amount.amount(Some(c(2500))), Ok(c(2500)));
        assert!(mensa
            .validate_fields(&values(&[
                ("alunno", "Chiara Conte"),
                ("codiceFiscaleAlunno", MARIO),
                ("scuola", "primaria-collodi"),
                ("anno", "2019"),
            ]))
            .is_err());

        let cimitero = demo_service("CIMITERO");
        let v = cimitero
            .validate_fields(&values(&[
                ("defunto", "Giuseppe Verdi"),
                ("dataDecesso", "2001-01-27"),
                ("lotto", "B-123"),
            ]))
            .unwrap();
        assert_eq!(
            cimitero.payment_description(&v).as_str(),
            "Illuminazione votiva Giuseppe Verdi lotto B-123"
        );
        assert_eq!(
            only_error(
                &cimitero,
                &[("defunto", "Giuseppe Verdi"), ("lotto", "b-123")]
            ),
            ("fields.lotto".into(), "formato non valido".into())
        );
        assert_eq!(
            cimitero.field("lotto").unwrap().help(Lang::En).unwrap(),
            "Section letter and plot number. E.g. B-123"
        );

        let gift = demo_service("DONAZIONE");
        assert!(gift.form.fields.is_empty());
        let v = gift.validate_fields(&BTreeMap::new()).unwrap();
        assert!(v.is_empty());
        assert_eq!(
            gift.payment_description(&v).as_str(),
            "Contributo libero / donazione"
        );
        assert_eq!(gift.amount.amount(Some(c(100))), Ok(c(100)));
        assert!(gift.amount.amount(Some(c(99))).is_err());
        assert_eq!(gift.api_view(Lang::En)["form"], json!({"fields": []}));
    }

    #[test]
    fn round_trips_to_the_same_json() {
        for s in demo().iter() {
            let json = serde_json::to_string(s).unwrap();
            let back = Service::from_json(&json).unwrap();
            assert_eq!(&back, s);
            assert_eq!(serde_json::to_string(&back).unwrap(), json);
            // Through serde alone, too (as a stored document is read).
            let plain: Service = serde_json::from_str(&json).unwrap();
            assert_eq!(&plain, s);
        }
        // The demo file itself is the serialised form, key for key.
        let file: Value = serde_json::from_str(DEMO).unwrap();
        let ours = serde_json::to_value(demo().iter().collect::<Vec<_>>()).unwrap();
        assert_eq!(ours, file);
    }

    #[test]
    fn compiled_patterns_follow_the_pattern() {
        let s = one(json!({"name": "lotto", "type": "text", "label": {"it": "Lotto"}, "pattern": "[A-Z]-[0-9]{1,4}"}))
            .unwrap();
        assert_eq!(accepts(&s, "lotto", "A-1"), "A-1");
        let mut changed = s.clone();
        changed.form.fields[0].pattern = Some("[0-9]+".into());
        assert!(changed
            .validate_fields(&values(&[("lotto", "A-1")]))
            .is_err());
        assert_eq!(accepts(&changed, "lotto", "42"), "42");
        assert_eq!(changed, changed.clone());
        assert_ne!(changed, s);
        // Read through serde alone, the pattern is compiled at first use.
        let plain: Service = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        assert!(plain.field("lotto").unwrap().matches_pattern("Z-9999"));
        assert!(!plain.field("lotto").unwrap().matches_pattern("Z-99999"));
        // An invalid pattern that slipped past the checks matches nothing.
        let mut bad = s.clone();
        bad.form.fields[0].pattern = Some("(".into());
        assert!(!bad.field("lotto").unwrap().matches_pattern("A-1"));
        assert!(bad.check().is_err());
    }

    #[test]
    fn due_dates() {
        let today = NaiveDate::from_ymd_opt(2026, 3, 15).unwrap();
        let mut s = demo_service("CERT");
        assert_eq!(
            s.due_date(today),
            (NaiveDate::from_ymd_opt(2026, 4, 14).unwrap(), true)
        );
        s.due_days = Some(0);
        assert_eq!(s.due_date(today), (today, true));
        s.due_days = None;
        assert_eq!(
            s.due_date(today),
            (NaiveDate::from_ymd_opt(2027, 12, 31).unwrap(), false)
        );
        assert_eq!(
            s.due_date(NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()).0,
            NaiveDate::from_ymd_opt(2027, 12, 31).unwrap()
        );
        s.due_days = Some(u32::MAX);
        assert_eq!(s.due_date(NaiveDate::MAX), (NaiveDate::MAX, true));

        let mut v = base();
        v["dueDays"] = 3650.into();
        assert!(Service::from_json(&v.to_string()).is_ok());
        v["dueDays"] = Value::Null;
        assert_eq!(Service::from_json(&v.to_string()).unwrap().due_days, None);
        v["dueDays"] = 3651.into();
        assert!(Service::from_json(&v.to_string())
            .unwrap_err()
            .contains("dueDays"));
        v["dueDays"] = (-1).into();
        assert!(Service::from_json(&v.to_string()).is_err());
    }

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
    fn patterns_are_checked_at_load() {
        let with_pattern = |kind: &str, p: &str| {
            let mut f = field("campo", kind);
            f["pattern"] = p.into();
            one(f)
        };
        for kind in ["text", "textarea", "number"] {
            assert!(with_pattern(kind, "[0-9]{2}").is_ok(), "{kind}");
        }
        for kind in ["date", "fiscalCode", "email"] {
            let e = with_pattern(kind, "[0-9]{2}").unwrap_err();
            assert!(e.contains("pattern è ammesso solo"), "{e}");
        }
        let mut select = field("campo", "select");
        select["options"] = json!([{"value": "a", "label": {"it": "A"}}]);
        select["pattern"] = "a".into();
        assert!(one(select).is_err());

        let e = with_pattern("text", "[A-Z").unwrap_err();
        assert!(
            e.starts_with("servizio X: campo campo: espressione regolare (pattern) non valida"),
            "{e}"
        );
        // Unbalanced groups cannot escape the anchoring.
        assert!(with_pattern("text", "a)|(b").is_err());
        assert!(with_pattern("text", "").is_err());
        assert!(with_pattern("text", &"a".repeat(MAX_PATTERN_LEN + 1)).is_err());
    }

    #[test]
    fn patterns_match_the_whole_value() {
        let mut f = field("codice", "text");
        f["pattern"] = "[0-9]{3}|X".into();
        let s = one(f).unwrap();
        assert_eq!(accepts(&s, "codice", " 123 "), "123");
        assert_eq!(accepts(&s, "codice", "X"), "X");
        for bad in ["1234", "a123", "123a", "XX", "12"] {
            assert_eq!(
                only_error(&s, &[("codice", bad)]),
                ("fields.codice".into(), "formato non valido".into()),
                "{bad}"
            );
        }
        let mut n = field("numero", "number");
        n["pattern"] = "[0-9]{4}".into();
        let s = one(n).unwrap();
        assert_eq!(accepts(&s, "numero", "0042"), "0042");
        assert!(s.validate_fields(&values(&[("numero", "42")])).is_err());
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

    #[test]
    fn templates_are_checked() {
        let fields = json!([field("nome", "text"), field("anno", "number")]);
        assert!(with_form(fields.clone(), Some("Quota {anno} - {nome}")).is_ok());
        assert!(with_form(fields.clone(), Some("{service} {anno}")).is_ok());
        assert!(with_form(fields.clone(), Some("Testo fisso")).is_ok());
        assert!(with_form(json!([]), Some("{service} 2026")).is_ok());
        let e = with_form(fields.clone(), Some("Quota {mese}")).unwrap_err();
        assert_eq!(
            e,
            "servizio X: modello della descrizione: il segnaposto {mese} non corrisponde a nessun campo del modulo"
        );
        for bad in [
            "Quota {anno",
            "Quota anno}",
            "{}",
            "{{anno}}",
            "{ anno }",
            " ",
            "a\tb",
            "{Anno}",
        ] {
            assert!(with_form(fields.clone(), Some(bad)).is_err(), "{bad:?}");
        }
        assert!(with_form(fields.clone(), Some(&"x".repeat(MAX_TEMPLATE_CHARS + 1))).is_err());
    }

    #[test]
    fn services_are_checked() {
        let mut v = base();
        v["name"] = "".into();
        assert!(Service::from_json(&v.to_string()).is_err());
        let mut v = base();
        v["name"] = "x".repeat(141).into();
        assert!(Service::from_json(&v.to_string()).is_err());
        let mut v = base();
        v["nameEn"] = " ".into();
        assert!(Service::from_json(&v.to_string()).is_err());
        let mut v = base();
        v["demandServiceId"] = "0001".into();
        assert_eq!(
            Service::from_json(&v.to_string()).unwrap_err(),
            "servizio X: demandServiceId deve avere 5 caratteri"
        );
        let mut v = base();
        v["unknown"] = 1.into();
        let e = Service::from_json(&v.to_string()).unwrap_err();
        assert!(e.starts_with("servizio X: unknown field `unknown`"), "{e}");
        let mut v = base();
        v["form"] = json!({"fields": [], "layout": "x"});
        assert!(Service::from_json(&v.to_string()).is_err());
        assert!(Service::from_json("{")
            .unwrap_err()
            .starts_with("servizio: JSON non valido"));
        let mut v = base();
        v.as_object_mut().unwrap().remove("code");
        assert!(Catalog::from_json(&json!([base(), v]).to_string())
            .unwrap_err()
            .starts_with("servizio n. 2: missing field `code`"));
        // A form with neither fields nor template is no form, and is not written.
        let mut v = base();
        v["form"] = json!({});
        let s = Service::from_json(&v.to_string()).unwrap();
        assert!(s.form.is_empty());
        assert!(serde_json::to_value(&s).unwrap().get("form").is_none());
    }

    #[test]
    fn catalogues_refuse_duplicates() {
        let other_ec = json!({"ecFiscalCode": "80001234568", "code": "X", "name": "Altro", "spontaneous": true,
            "category": "9/0101100IM/", "iban": "IT60X0542811101000000123456", "amount": {"fixedCents": 100}});
        assert!(Catalog::from_json(&json!([base(), other_ec]).to_string()).is_ok());
        let e = Catalog::from_json(&json!([base(), base()]).to_string()).unwrap_err();
        assert_eq!(e, "servizio X: codice ripetuto per l'ente 77777777777");
        let mut a = base();
        a["demandServiceId"] = "00001".into();
        let mut b = a.clone();
        b["code"] = "Y".into();
        let e = Catalog::from_json(&json!([a, b]).to_string()).unwrap_err();
        assert!(e.contains("demandServiceId 00001 già usato"), "{e}");
        assert!(Catalog::from_json("{}")
            .unwrap_err()
            .starts_with("catalogo dei servizi"));
    }

    #[test]
    fn finds_services_by_demand_id() {
        let cat = demo();
        let ec = EcFiscalCode::parse("77777777777").unwrap();
        assert_eq!(
            cat.by_demand_id(&ec, "00002").unwrap().code.as_str(),
            "MENSA"
        );
        assert!(cat.by_demand_id(&ec, "00009").is_none());
        let other = EcFiscalCode::parse("80001234568").unwrap();
        assert_eq!(
            cat.by_demand_id(&other, "00001").unwrap().code.as_str(),
            "CIMITERO"
        );
        let services: Vec<Service> = cat
            .iter()
            .filter(|s| s.ec_fiscal_code == ec)
            .cloned()
            .collect();
        assert_eq!(
            by_demand_id(&services, "00001").unwrap().code.as_str(),
            "CERT"
        );
        assert!(by_demand_id(&services, "00003").is_none());
        let mut hidden = services.clone();
        hidden[0].spontaneous = false;
        assert!(by_demand_id(&hidden, "00001").is_none());
    }

    #[test]
    fn required_missing_and_unknown_fields() {
        let mut req = field("nome", "text");
        req["required"] = true.into();
        let s = with_form(json!([req, field("note", "text")]), None).unwrap();
        for missing in [&[][..], &[("nome", "")][..], &[("nome", "  \t ")][..]] {
            assert_eq!(
                only_error(&s, missing),
                ("fields.nome".into(), "campo obbligatorio".into())
            );
        }
        let v = s
            .validate_fields(&values(&[("nome", " Mario "), ("note", "  ")]))
            .unwrap();
        assert_eq!(v.get("nome"), Some("Mario"));
        assert_eq!(v.get("note"), None, "empty optional values are left out");
        assert_eq!(v.len(), 1);
        assert_eq!(serde_json::to_value(&v).unwrap(), json!({"nome": "Mario"}));

        let e = s
            .validate_fields(&values(&[("nome", "Mario"), ("extra", "1"), ("csrf", "")]))
            .unwrap_err();
        let mut fields = e.fields();
        fields.sort();
        assert_eq!(fields, ["fields.csrf", "fields.extra"]);
        assert!(e.iter().all(|e| e.message == "campo non previsto"));

        // Every error at once.
        let e = s
            .validate_fields(&values(&[("note", &"x".repeat(141)), ("altro", "1")]))
            .unwrap_err();
        assert_eq!(e.fields(), ["fields.nome", "fields.note", "fields.altro"]);

        let e = s
            .validate_fields_in(&values(&[("altro", "1")]), Lang::En)
            .unwrap_err();
        let messages: Vec<&str> = e.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(messages, ["required field", "unexpected field"]);
    }

    #[test]
    fn text_lengths() {
        let s = one(field("t", "text")).unwrap();
        assert_eq!(accepts(&s, "t", &"è".repeat(140)), "è".repeat(140));
        assert_eq!(
            only_error(&s, &[("t", &"è".repeat(141))]),
            (
                "fields.t".into(),
                "può avere al massimo 140 caratteri".into()
            )
        );
        assert_eq!(
            only_error(&s, &[("t", "a\u{7}b")]),
            (
                "fields.t".into(),
                "il testo contiene caratteri non ammessi".into()
            )
        );
        assert!(s.validate_fields(&values(&[("t", "a\nb")])).is_err());
        assert_eq!(accepts(&s, "t", "  spazi  interni "), "spazi  interni");

        let mut f = field("t", "text");
        f["min"] = 3.into();
        f["max"] = 5.into();
        let s = one(f).unwrap();
        assert_eq!(
            only_error(&s, &[("t", "ab")]),
            ("fields.t".into(), "deve avere almeno 3 caratteri".into())
        );
        assert_eq!(accepts(&s, "t", "àbc"), "àbc");
        assert_eq!(accepts(&s, "t", "abcde"), "abcde");
        assert_eq!(
            only_error(&s, &[("t", "abcdef")]),
            ("fields.t".into(), "può avere al massimo 5 caratteri".into())
        );
        assert_eq!(s.form.fields[0].min_length(), Some(3));
        assert_eq!(s.form.fields[0].max_length(), Some(5));
        let e = s
            .validate_fields_in(&values(&[("t", "ab")]), Lang::En)
            .unwrap_err();
        assert_eq!(
            e.iter().next().unwrap().message,
            "must be at least 3 characters long"
        );
    }

    #[test]
    fn textarea_lengths_and_lines() {
        let s = one(field("t", "textarea")).unwrap();
        assert_eq!(s.form.fields[0].max_length(), Some(1000));
        assert_eq!(accepts(&s, "t", &"a".repeat(1000)), "a".repeat(1000));
        assert!(s
            .validate_fields(&values(&[("t", &"a".repeat(1001))]))
            .is_err());
        // Browsers send CRLF: a line break counts once.
        assert_eq!(accepts(&s, "t", "riga 1\r\nriga 2\r\n"), "riga 1\nriga 2");
        let mut f = field("t", "textarea");
        f["max"] = 3.into();
        let s = one(f).unwrap();
        assert_eq!(accepts(&s, "t", "a\r\nb"), "a\nb");
        assert_eq!(accepts(&s, "t", "a\tb"), "a\tb");
        assert!(s.validate_fields(&values(&[("t", "a\u{0}b")])).is_err());
        assert!(one(field("n", "number")).unwrap().form.fields[0]
            .max_length()
            .is_none());
    }

    #[test]
    fn numbers() {
        let s = one(field("n", "number")).unwrap();
        for ok in [
            "0",
            "42",
            "-7",
            "007",
            "9223372036854775807",
            "-9223372036854775808",
        ] {
            assert_eq!(accepts(&s, "n", ok), ok);
        }
        for bad in [
            "+1", "1.5", "1,5", "1 000", "1e3", "-", "--1", "abc", "１２",
        ] {
            assert_eq!(
                only_error(&s, &[("n", bad)]),
                (
                    "fields.n".into(),
                    "deve essere un numero intero, senza separatori".into()
                ),
                "{bad}"
            );
        }
        assert_eq!(
            only_error(&s, &[("n", "9223372036854775808")]).1,
            "numero fuori dall'intervallo ammesso"
        );
        let mut f = field("n", "number");
        f["min"] = 2020.into();
        f["max"] = 2035.into();
        let s = one(f).unwrap();
        assert_eq!(accepts(&s, "n", "2020"), "2020");
        assert_eq!(accepts(&s, "n", "2035"), "2035");
        assert_eq!(
            only_error(&s, &[("n", "2019")]).1,
            "deve essere almeno 2020"
        );
        assert_eq!(
            only_error(&s, &[("n", "2036")]).1,
            "deve essere al massimo 2035"
        );
        assert_eq!(
            only_error(&s, &[("n", "-2030")]).1,
            "deve essere almeno 2020"
        );
    }

    #[test]
    fn dates() {
        let s = one(field("d", "date")).unwrap();
        for ok in ["2024-02-29", "2026-12-31", "1900-01-01"] {
            assert_eq!(accepts(&s, "d", ok), ok);
        }
        for bad in [
            "2023-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-1-05",
            "20260105",
            "05/01/2026",
            "2026-01-05T00:00",
            "+2026-01-05",
            "2026-01-0a",
        ] {
            assert_eq!(
                only_error(&s, &[("d", bad)]),
                (
                    "fields.d".into(),
                    "data non valida: usare il formato AAAA-MM-GG".into()
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn selects() {
        let mut f = field("scelta", "select");
        f["options"] = json!([{"value": "res", "label": {"it": "residenza", "en": "residence"}},
            {"value": "nas", "label": {"it": "nascita"}}]);
        let s = one(f).unwrap();
        assert_eq!(accepts(&s, "scelta", " res "), "res");
        for bad in ["residenza", "RES", "x"] {
            assert_eq!(
                only_error(&s, &[("scelta", bad)]),
                (
                    "fields.scelta".into(),
                    "valore non ammesso: scegliere una delle opzioni".into()
                )
            );
        }
        let f = &s.form.fields[0];
        assert_eq!(f.display_value("res", Lang::En), "residence");
        assert_eq!(f.display_value("nas", Lang::En), "nascita");
        assert_eq!(f.option("nas").unwrap().label(Lang::It), "nascita");
    }

    #[test]
    fn fiscal_codes_and_emails() {
        let s = with_form(
            json!([field("cf", "fiscalCode"), field("mail", "email")]),
            None,
        )
        .unwrap();
        let v = s
            .validate_fields(&values(&[
                ("cf", &format!(" {} ", MARIO.to_lowercase())),
                ("mail", " mario.rossi@example.org "),
            ]))
            .unwrap();
        assert_eq!(v.get("cf"), Some(MARIO));
        assert_eq!(v.get("mail"), Some("mario.rossi@example.org"));
        assert_eq!(accepts(&s, "cf", CHIARA), CHIARA);
        assert_eq!(accepts(&s, "cf", "80001234568"), "80001234568");
        assert_eq!(
            only_error(&s, &[("cf", "RSSMRA85T10A562X")]),
            (
                "fields.cf".into(),
                "il codice fiscale non è corretto: il carattere di controllo non corrisponde"
                    .into()
            )
        );
        assert_eq!(
            only_error(&s, &[("mail", "mario@")]),
            ("fields.mail".into(), "indirizzo email non valido".into())
        );
        let e = s
            .validate_fields_in(&values(&[("cf", "RSS")]), Lang::En)
            .unwrap_err();
        assert!(
            e.iter().next().unwrap().message.starts_with("The tax code"),
            "{e}"
        );
    }

    #[test]
    fn descriptions_render_the_template() {
        let mut sel = field("tipo", "select");
        sel["options"] = json!([{"value": "a", "label": {"it": "Tipo A", "en": "Type A"}}]);
        let s = with_form(
            json!([
                sel,
                field("nome", "text"),
                field("note", "textarea"),
                field("data", "date")
            ]),
            Some("{service}: {tipo}  -  {nome} {note} {data}"),
        )
        .unwrap();
        let v = s
            .validate_fields(&values(&[
                ("tipo", "a"),
                ("nome", "Mario"),
                ("note", "riga 1\r\n\r\n  riga 2"),
                ("data", "2026-01-05"),
            ]))
            .unwrap();
        assert_eq!(
            s.payment_description(&v).as_str(),
            "Servizio di prova: Tipo A - Mario riga 1 riga 2 05/01/2026"
        );
        // Missing optional values render as nothing; spaces collapse.
        let v = s.validate_fields(&values(&[("nome", "Mario")])).unwrap();
        assert_eq!(
            s.payment_description(&v).as_str(),
            "Servizio di prova: - Mario"
        );

        // Without a template: the service name.
        let plain = one(field("nome", "text")).unwrap();
        let v = plain
            .validate_fields(&values(&[("nome", "Mario")]))
            .unwrap();
        assert_eq!(plain.payment_description(&v).as_str(), "Servizio di prova");

        // A template that renders empty: the service name.
        let empty = with_form(json!([field("nome", "text")]), Some("{nome}")).unwrap();
        assert_eq!(
            empty.payment_description(&FormValues::default()).as_str(),
            "Servizio di prova"
        );
    }

    #[test]
    fn descriptions_are_cut_to_140_characters_on_char_boundaries() {
        let mut long = field("nome", "text");
        long["max"] = 1000.into();
        let s = with_form(json!([long]), Some("Pagamento {nome}")).unwrap();
        let v = s
            .validate_fields(&values(&[("nome", &"è€😀".repeat(100))]))
            .unwrap();
        let d = s.payment_description(&v);
        assert_eq!(d.as_str().chars().count(), 140);
        assert!(d.as_str().starts_with("Pagamento è€😀"));
        // A space at the cut is not kept at the end.
        let v = s
            .validate_fields(&values(&[(
                "nome",
                &format!("{} {}", "a".repeat(129), "b".repeat(20)),
            )]))
            .unwrap();
        assert_eq!(
            s.payment_description(&v).as_str(),
            format!("Pagamento {}", "a".repeat(129))
        );
    }

    #[test]
    fn api_views() {
        let s = demo_service("CIMITERO");
        assert_eq!(
            s.api_view(Lang::It),
            json!({
                "ecFiscalCode": "80001234568", "code": "CIMITERO", "name": "Illuminazione votiva",
                "description": "Canone annuale di illuminazione votiva", "spontaneous": true,
                "amount": {"fixedCents": 2500}, "dueDays": 30,
                "form": {"fields": [
                    {"name": "defunto", "type": "text", "label": "Nome e cognome del defunto", "required": true, "max": 70},
                    {"name": "dataDecesso", "type": "date", "label": "Data del decesso", "required": false},
                    {"name": "lotto", "type": "text", "label": "Lotto",
                        "help": "Lettera del settore e numero del lotto. Es. B-123",
                        "required": true, "pattern": "[A-Z]-[0-9]{1,4}", "max": 140}
                ]}
            })
        );
        let mensa = demo_service("MENSA").api_view(Lang::En);
        assert_eq!(mensa["name"], "School canteen top-up");
        assert_eq!(mensa["description"], "Top-up of the school canteen account");
        assert_eq!(mensa["amount"], json!({"minCents": 500, "maxCents": 50000}));
        assert_eq!(mensa["dueDays"], 15);
        assert_eq!(
            mensa["form"]["fields"][2]["options"][0],
            json!({"value": "infanzia-rodari", "label": "G. Rodari nursery school"})
        );
        assert_eq!(
            mensa["form"]["fields"][3],
            json!({"name": "anno", "type": "number", "label": "School year (starting year)",
                "help": "E.g. 2025 for the 2025/2026 school year", "required": false, "min": 2020, "max": 2035})
        );
        assert!(mensa["form"]["fields"][0].get("options").is_none());
        let tari = demo_service("TARI").api_view(Lang::En);
        assert_eq!(tari["amount"], json!({"minCents": 100}));
        assert_eq!(tari["dueDays"], Value::Null);
        assert_eq!(tari["description"], Value::Null);
        assert_eq!(tari["spontaneous"], false);
    }

    #[test]
    fn page_helpers() {
        let s = demo_service("CERT");
        assert_eq!(
            s.display_name(Lang::It),
            "Diritti di segreteria per certificati anagrafici"
        );
        assert_eq!(
            s.display_name(Lang::En),
            "Registry office fees for civil status certificates"
        );
        assert_eq!(
            s.display_description(Lang::En),
            Some("Fees for issuing civil status certificates")
        );
        let mut it_only = s.clone();
        it_only.name_en = None;
        it_only.description_en = None;
        assert_eq!(it_only.display_name(Lang::En), s.name);
        assert_eq!(
            it_only.display_description(Lang::En),
            s.description.as_deref()
        );
        let f = s.field("richiedente").unwrap();
        assert_eq!(
            f.label(Lang::En),
            "Full name of the person the certificate is about"
        );
        assert_eq!(f.max_length(), Some(70));
        assert!(s.field("nessuno").is_none());
        let v = s
            .validate_fields(&values(&[
                ("tipoCertificato", "nascita"),
                ("richiedente", "Mario Rossi"),
            ]))
            .unwrap();
        assert_eq!(
            s.field_summary(&v, Lang::En),
            [
                ("Certificate type".to_owned(), "birth".to_owned()),
                (
                    "Full name of the person the certificate is about".to_owned(),
                    "Mario Rossi".to_owned()
                )
            ]
        );
        let d = demo_service("CIMITERO");
        assert_eq!(
            d.field("dataDecesso")
                .unwrap()
                .display_value("2001-01-27", Lang::It),
            "27/01/2001"
        );
        assert_eq!(v.to_map(), v.clone().into_map());
    }

    /// A service with a field of every type, bounds and patterns.
    fn every_type() -> Service {
        let mut text = field("testo", "text");
        text["min"] = 2.into();
        text["max"] = 150.into();
        text["pattern"] = "[^0-9]*".into();
        let mut num = field("numero", "number");
        num["min"] = (-50).into();
        num["max"] = 5000.into();
        let mut sel = field("scelta", "select");
        sel["options"] = json!([{"value": "a", "label": {"it": "Àèìòù €"}}, {"value": "b", "label": {"it": "B"}}]);
        let mut area = field("note", "textarea");
        area["required"] = true.into();
        with_form(
            json!([
                text,
                num,
                sel,
                area,
                field("data", "date"),
                field("cf", "fiscalCode"),
                field("mail", "email")
            ]),
            Some("{service} {testo} {numero} {scelta} {note} {data} {cf} {mail} {testo}"),
        )
        .unwrap()
    }

    fn value_strategy() -> impl Strategy<Value = String> {
        prop_oneof![
            "\\PC{0,200}",
            "[ \t\r\n]{0,3}[a-zA-Z0-9 èé€😀\r\n\t-]{0,300}",
            "-?[0-9]{1,20}",
            "[0-9]{4}-[0-9]{2}-[0-9]{2}",
            Just(MARIO.to_owned()),
            Just(CHIARA.to_lowercase()),
            Just("a@example.org".to_owned()),
            Just("a".to_owned()),
            Just(String::new()),
        ]
    }

    fn name_strategy() -> impl Strategy<Value = String> {
        prop_oneof![
            3 => prop::sample::select(vec!["testo", "numero", "scelta", "note", "data", "cf", "mail"]).prop_map(str::to_owned),
            1 => "\\PC{0,12}",
        ]
    }

    proptest! {
        #[test]
        fn validation_never_panics_and_descriptions_fit(
            map in prop::collection::btree_map(name_strategy(), value_strategy(), 0..10),
        ) {
            let services = [every_type(), demo_service("CERT"), demo_service("MENSA"), demo_service("CIMITERO")];
            for s in &services {
                for lang in [Lang::It, Lang::En] {
                    if let Ok(v) = s.validate_fields_in(&map, lang) {
                        let d = s.payment_description(&v);
                        prop_assert!(d.as_str().chars().count() <= 140);
                        prop_assert!(Text140::parse(d.as_str()).is_ok());
                        prop_assert!(v.iter().all(|(k, v)| s.field(k).is_some() && !v.is_empty()));
                    }
                }
            }
        }

        #[test]
        fn valid_forms_always_validate(
            testo in "[a-zA-Zè ]{2,150}",
            numero in -50i64..=5000,
            note in "[a-z€😀\n ]{1,1000}",
        ) {
            prop_assume!(testo.trim().chars().count() >= 2 && !note.trim().is_empty());
            let s = every_type();
            let v = s.validate_fields(&values(&[
                ("testo", &testo), ("numero", &numero.to_string()), ("scelta", "a"),
                ("note", &note), ("data", "2026-02-28"), ("cf", MARIO), ("mail", "a@example.org"),
            ]));
            let v = v.map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(v.len(), 7);
            prop_assert!(s.payment_description(&v).as_str().chars().count() <= 140);
        }
    }
}
