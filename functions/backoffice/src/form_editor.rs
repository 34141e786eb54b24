//! The editor of a service's form, without JavaScript: one block of inputs
//! per field (`campo_<i>_<what>`), existing ones first, then blank ones to add
//! a field; a field whose name is cleared is removed. Select options are
//! typed one per line, `value | Italian label | English label`. What comes
//! out is the catalogue's JSON (`form`), checked by the catalogue's own rules.

use serde_json::{json, Map, Value};
use shared::domain::catalog::{Form, MAX_FIELDS};
use shared::domain::FieldErrors;

/// Blank fields offered after the existing ones.
pub const BLANK: usize = 2;

/// One field's inputs, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldInput {
    pub i: usize,
    pub name: String,
    pub kind: String,
    pub label: String,
    pub label_en: String,
    pub help: String,
    pub help_en: String,
    pub required: bool,
    pub min: String,
    pub max: String,
    pub pattern: String,
    /// One option per line: `value | label | English label`.
    pub options: String,
    /// What is wrong with this field's inputs, when shown again.
    pub error: Option<String>,
}

/// The kinds a field may have: the catalogue's name and how the page says it.
pub const KINDS: [(&str, &str, &str); 7] = [
    ("text", "testo breve", "short text"),
    ("textarea", "testo lungo", "long text"),
    ("number", "numero", "number"),
    ("date", "data", "date"),
    ("select", "scelta da un elenco", "choice from a list"),
    ("fiscalCode", "codice fiscale", "fiscal code"),
    ("email", "email", "email"),
];

fn with_blanks(mut fields: Vec<FieldInput>, blanks: usize) -> Vec<FieldInput> {
    let total = (fields.len() + blanks).min(MAX_FIELDS).max(fields.len());
    while fields.len() < total {
        fields.push(FieldInput {
            i: fields.len(),
            kind: "text".into(),
            ..FieldInput::default()
        });
    }
    fields
}

/// A stored form's fields, and blank ones.
pub fn of_form(form: &Form) -> Vec<FieldInput> {
    let fields = form
        .fields
        .iter()
        .enumerate()
        .map(|(i, f)| FieldInput {
            i,
            name: f.name.clone(),
            kind: f.kind.as_str().into(),
            label: f.label.it.clone(),
            label_en: f.label.en.clone().unwrap_or_default(),
            help: f.help.as_ref().map(|h| h.it.clone()).unwrap_or_default(),
            help_en: f
                .help
                .as_ref()
                .and_then(|h| h.en.clone())
                .unwrap_or_default(),
            required: f.required,
            min: f.min.map(|m| m.to_string()).unwrap_or_default(),
            max: f.max.map(|m| m.to_string()).unwrap_or_default(),
            pattern: f.pattern.clone().unwrap_or_default(),
            options: f
                .options
                .iter()
                .map(|o| match &o.label.en {
                    Some(en) => format!("{} | {} | {en}", o.value, o.label.it),
                    None => format!("{} | {}", o.value, o.label.it),
                })
                .collect::<Vec<_>>()
                .join("\n"),
            error: None,
        })
        .collect();
    with_blanks(fields, BLANK)
}

/// The fields as submitted (`campi` of them), with `extra` more blank ones
/// (the "add a field" button).
pub fn of_submission(get: &dyn Fn(&str) -> String, extra: usize) -> Vec<FieldInput> {
    let count = get("campi")
        .trim()
        .parse::<usize>()
        .unwrap_or(0)
        .min(MAX_FIELDS);
    let fields: Vec<FieldInput> = (0..count)
        .map(|i| {
            let v = |what: &str| get(&format!("campo_{i}_{what}"));
            FieldInput {
                i,
                name: v("nome").trim().to_owned(),
                kind: v("tipo"),
                label: v("etichetta"),
                label_en: v("etichetta_en"),
                help: v("aiuto"),
                help_en: v("aiuto_en"),
                required: v("obbligatorio") == "1",
                min: v("min"),
                max: v("max"),
                pattern: v("pattern"),
                options: v("opzioni"),
                error: None,
            }
        })
        .collect();
    with_blanks(fields, extra)
}

fn label(it: &str, en: &str) -> Value {
    let mut l = json!({"it": it.trim()});
    if !en.trim().is_empty() {
        l["en"] = json!(en.trim());
    }
    l
}

/// The catalogue's `form` from the inputs (fields without a name are left
/// out); `None` when there is nothing. The inputs' own mistakes are named by
/// input; the rest is the catalogue's to check.
pub fn form_doc(fields: &[FieldInput], description: &str) -> Result<Option<Value>, FieldErrors> {
    let mut errors = FieldErrors::default();
    let mut out = vec![];
    for f in fields.iter().filter(|f| !f.name.is_empty()) {
        let mut o = Map::new();
        o.insert("name".into(), json!(f.name));
        o.insert("type".into(), json!(f.kind.trim()));
        o.insert("label".into(), label(&f.label, &f.label_en));
        if !f.help.trim().is_empty() {
            o.insert("help".into(), label(&f.help, &f.help_en));
        }
        if f.required {
            o.insert("required".into(), json!(true));
        }
        for (key, text) in [("min", &f.min), ("max", &f.max)] {
            let t = text.trim();
            if t.is_empty() {
                continue;
            }
            match t.parse::<i64>() {
                Ok(n) => {
                    o.insert(key.into(), json!(n));
                }
                Err(_) => errors.push(
                    format!("campo_{}_{key}", f.i),
                    "deve essere un numero intero",
                ),
            }
        }
        if !f.pattern.trim().is_empty() {
            o.insert("pattern".into(), json!(f.pattern.trim()));
        }
        let mut options = vec![];
        for (n, line) in f
            .options
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let parts: Vec<&str> = line.split('|').map(str::trim).collect();
            match parts.as_slice() {
                [value, it] if !value.is_empty() && !it.is_empty() => {
                    options.push(json!({"value": value, "label": label(it, "")}))
                }
                [value, it, en] if !value.is_empty() && !it.is_empty() => {
                    options.push(json!({"value": value, "label": label(it, en)}))
                }
                _ => errors.push(
                    format!("campo_{}_opzioni", f.i),
                    format!(
                        "riga {}: scrivere valore | etichetta | etichetta in inglese",
                        n + 1
                    ),
                ),
            }
        }
        if !options.is_empty() {
            o.insert("options".into(), Value::Array(options));
        }
        out.push(Value::Object(o));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let description = description.trim();
    if out.is_empty() && description.is_empty() {
        return Ok(None);
    }
    let mut form = json!({ "fields": out });
    if !description.is_empty() {
        form["description"] = json!(description);
    }
    Ok(Some(form))
}

/// A submitted form in tests: its fields by name, blank when absent.
#[cfg(test)]
pub fn submitted(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> String {
    move |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.to_string())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::domain::catalog::Service;

    #[test]
    fn a_typed_form_becomes_the_catalogue_form_and_back() {
        let get = submitted(&[
            ("campi", "3"),
            ("campo_0_nome", "tipo"),
            ("campo_0_tipo", "select"),
            ("campo_0_etichetta", "Tipo di certificato"),
            ("campo_0_etichetta_en", "Certificate type"),
            ("campo_0_obbligatorio", "1"),
            (
                "campo_0_opzioni",
                "residenza | residenza | residence\n\nnascita | nascita\n",
            ),
            ("campo_1_nome", ""),
            ("campo_1_etichetta", "removed: no name"),
            ("campo_2_nome", "targa"),
            ("campo_2_tipo", "text"),
            ("campo_2_etichetta", "Targa"),
            ("campo_2_max", "10"),
            ("campo_2_aiuto", "Senza spazi"),
        ]);
        let fields = of_submission(&get, 1);
        assert_eq!(fields.len(), 4, "three submitted, one more blank");
        let form = form_doc(&fields, "Certificato di {tipo}").unwrap().unwrap();
        assert_eq!(
            form,
            json!({"description": "Certificato di {tipo}", "fields": [
                {"name": "tipo", "type": "select", "required": true,
                 "label": {"it": "Tipo di certificato", "en": "Certificate type"},
                 "options": [{"value": "residenza", "label": {"it": "residenza", "en": "residence"}},
                             {"value": "nascita", "label": {"it": "nascita"}}]},
                {"name": "targa", "type": "text", "label": {"it": "Targa"}, "max": 10,
                 "help": {"it": "Senza spazi"}}]})
        );
        // The catalogue accepts it; shown again, the same inputs (and blanks).
        let service = Service::from_json(
            &json!({"ecFiscalCode": "77777777777", "code": "CERT", "name": "Certificati",
                "spontaneous": true, "category": "9/0301109AP/", "iban": "IT60X0542811101000000123456",
                "amount": {"fixedCents": 1600}, "form": form})
            .to_string(),
        )
        .unwrap();
        let again = of_form(&service.form);
        assert_eq!(again.len(), 2 + BLANK);
        assert_eq!(
            again[0].options,
            "residenza | residenza | residence\nnascita | nascita"
        );
        assert_eq!(again[1].max, "10");
        assert!(again[2].name.is_empty());
    }

    #[test]
    fn the_inputs_own_mistakes_are_named_and_an_empty_form_is_none() {
        let get = submitted(&[
            ("campi", "1"),
            ("campo_0_nome", "n"),
            ("campo_0_tipo", "number"),
            ("campo_0_min", "uno"),
            ("campo_0_opzioni", "solo-valore"),
        ]);
        let e = form_doc(&of_submission(&get, 0), "").unwrap_err();
        let fields: Vec<&str> = e.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["campo_0_min", "campo_0_opzioni"]);
        assert_eq!(
            form_doc(&of_submission(&submitted(&[]), BLANK), " ").unwrap(),
            None
        );
        // Never more than the catalogue's limit of fields.
        let many = submitted(&[("campi", "500")]);
        assert_eq!(of_submission(&many, 5).len(), MAX_FIELDS);
    }
}
