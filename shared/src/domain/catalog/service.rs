//! A service of the catalogue: what it is, what it costs, when a position
//! created for it falls due, and how it is read and checked.

use chrono::{Datelike, Days, NaiveDate};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::amount::AmountRule;
use super::field::Field;
use super::form::{Form, FormValues};
use super::label::check_line;
use crate::domain::fiscal_code::EcFiscalCode;
use crate::domain::lang::Lang;
use crate::domain::text::{Category, Iban, ServiceCode, Text140};

/// The largest `dueDays`: ten years.
pub const MAX_DUE_DAYS: u32 = 3650;
/// The longest name, in characters.
const MAX_NAME_CHARS: usize = 140;
/// The longest description, in characters.
const MAX_DESCRIPTION_CHARS: usize = 2000;

/// A service of an EC, as the catalogue describes it.
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
    pub(super) fn read(v: Value, position: Option<usize>) -> Result<Service, String> {
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

    /// The payment description: the form's template filled in (a select by its
    /// option's Italian label, a date as `dd/mm/yyyy`, a missing value by
    /// nothing), whitespace collapsed, cut to 140 characters. The service name
    /// when there is no template or it renders empty.
    pub fn payment_description(&self, values: &FormValues) -> Text140 {
        let rendered = self.form.render_description(&self.name, values);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::test_support::*;
    use crate::domain::catalog::Catalog;
    use serde_json::json;

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
}
