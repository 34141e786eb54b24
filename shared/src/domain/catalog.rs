//! The service catalogue: what each EC lets citizens (and PSPs, through
//! paDemandPaymentNotice) pay without a notice. Data, not code: loaded from JSON.

use serde::{Deserialize, Serialize};

use super::amount::AmountCents;
use super::fiscal_code::EcFiscalCode;
use super::text::{Category, Iban, ServiceCode};

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
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Service {
    pub ec_fiscal_code: EcFiscalCode,
    pub code: ServiceCode,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Whether citizens may start a payment of this service without a notice.
    pub spontaneous: bool,
    /// The 5-character `idServizio` of pagoPA's service catalogue, for paDemandPaymentNotice.
    #[serde(default)]
    pub demand_service_id: Option<String>,
    pub category: Category,
    pub iban: Iban,
    #[serde(default)]
    pub postal_iban: Option<Iban>,
    pub amount: AmountRule,
    /// Days from creation to the due date of a new position.
    #[serde(default = "default_due_days")]
    pub due_days: u32,
}

fn default_due_days() -> u32 {
    30
}

#[derive(Debug, Clone, Default)]
pub struct Catalog(Vec<Service>);

impl Catalog {
    pub fn from_json(json: &str) -> Result<Self, String> {
        let list: Vec<Service> = serde_json::from_str(json).map_err(|e| e.to_string())?;
        for s in &list {
            let rule = &s.amount;
            let ok = match rule.fixed_cents {
                Some(_) => rule.min_cents.is_none() && rule.max_cents.is_none(),
                None => match (rule.min_cents, rule.max_cents) {
                    (Some(a), Some(b)) => a <= b,
                    _ => true,
                },
            };
            if !ok {
                return Err(format!("servizio {}: regola di importo non valida", s.code));
            }
            if s.demand_service_id
                .as_deref()
                .is_some_and(|d| d.chars().count() != 5)
            {
                return Err(format!(
                    "servizio {}: demandServiceId deve avere 5 caratteri",
                    s.code
                ));
            }
        }
        Ok(Self(list))
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

    fn c(n: u64) -> AmountCents {
        AmountCents::new(n).unwrap()
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
        assert!(
            Catalog::from_json(&base.replace("RULE", r#"{"minCents":500,"maxCents":100}"#))
                .is_err()
        );
        assert!(Catalog::from_json(&base.replace("RULE", r#"{"fixedCents":0}"#)).is_err());
    }
}
