//! A list of services checked together: the demo catalogue, a bulk import.

use serde_json::Value;

use super::service::Service;
use crate::domain::fiscal_code::EcFiscalCode;

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
    use crate::domain::catalog::test_support::*;
    use crate::domain::lang::Lang;
    use serde_json::{json, Value};
    use std::collections::BTreeMap;

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
}
