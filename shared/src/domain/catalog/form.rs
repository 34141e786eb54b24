//! The form a citizen fills in to pay a service, the values it yields, and the
//! template that turns them into the payment description.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::field::Field;
use super::label::check_line;
use crate::domain::lang::Lang;

/// The placeholder of the service name in a description template.
const SERVICE_PLACEHOLDER: &str = "service";
/// At most this many fields in a form.
pub const MAX_FIELDS: usize = 30;
/// The longest description template, in characters.
const MAX_TEMPLATE_CHARS: usize = 500;

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
    pub(super) fn check(&self) -> Result<(), String> {
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

    /// The description template filled in with `values` (a select by its
    /// option's Italian label, a date as `dd/mm/yyyy`, a missing value by
    /// nothing, `{service}` by `service_name`); `None` without a template or
    /// with one that does not parse.
    pub(super) fn render_description(
        &self,
        service_name: &str,
        values: &FormValues,
    ) -> Option<String> {
        let pieces = parse_template(self.description.as_deref()?).ok()?;
        let mut out = String::new();
        for piece in pieces {
            match piece {
                Piece::Text(s) => out.push_str(s),
                Piece::Placeholder(SERVICE_PLACEHOLDER) => out.push_str(service_name),
                Piece::Placeholder(name) => {
                    if let (Some(f), Some(v)) = (self.field(name), values.get(name)) {
                        out.push_str(&f.display_value(v, Lang::It));
                    }
                }
            }
        }
        Some(out)
    }
}

/// A piece of a description template.
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
pub struct FormValues(pub(super) BTreeMap<String, String>);

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::test_support::*;
    use serde_json::json;

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
    fn form_values_are_a_json_object_ordered_by_name() {
        let v = FormValues(values(&[("b", "2"), ("a", "1")]));
        assert_eq!(v.len(), 2);
        assert!(!v.is_empty());
        assert_eq!(v.get("a"), Some("1"));
        assert_eq!(v.get("c"), None);
        assert_eq!(v.iter().collect::<Vec<_>>(), [("a", "1"), ("b", "2")]);
        assert_eq!(v.as_map(), &v.to_map());
        assert_eq!(serde_json::to_string(&v).unwrap(), r#"{"a":"1","b":"2"}"#);
        let back: FormValues = serde_json::from_str(r#"{"b":"2","a":"1"}"#).unwrap();
        assert_eq!(back.into_map(), v.to_map());
        assert!(FormValues::default().is_empty());
    }
}
