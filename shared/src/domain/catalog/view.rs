//! The service as the public JSON API shows it, texts in the asked language.

use serde_json::{json, Map, Value};

use super::amount::AmountRule;
use super::field::{Field, FieldType};
use super::service::Service;
use crate::domain::lang::Lang;

impl Service {
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

impl AmountRule {
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

impl Field {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::test_support::*;
    use serde_json::json;

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
}
