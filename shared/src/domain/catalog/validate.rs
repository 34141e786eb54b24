//! The server-side validation of a submitted form, for the pages and the JSON
//! API alike: values trimmed, checked against their field and normalised.

use std::collections::BTreeMap;

use super::field::{parse_iso_date, Field, FieldType};
use super::form::FormValues;
use super::problem::Problem;
use super::service::Service;
use crate::domain::errors::FieldErrors;
use crate::domain::fiscal_code::FiscalCode;
use crate::domain::lang::Lang;
use crate::domain::text::Email;

impl Field {
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
}

impl Service {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::test_support::*;
    use crate::domain::text::Text140;
    use proptest::prelude::*;
    use serde_json::json;

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
