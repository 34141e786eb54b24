//! The amount rule of a service: a fixed amount, or one the citizen chooses
//! within optional bounds.

use serde::{Deserialize, Serialize};

use crate::domain::amount::AmountCents;

/// What a service costs: `fixedCents`, or an amount the citizen chooses
/// between the optional `minCents` and `maxCents`.
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

    /// Whether the rule makes sense: a fixed amount has no bounds, and the
    /// least is not above the greatest.
    pub(super) fn is_consistent(&self) -> bool {
        match self.fixed_cents {
            Some(_) => self.min_cents.is_none() && self.max_cents.is_none(),
            None => match (self.min_cents, self.max_cents) {
                (Some(a), Some(b)) => a <= b,
                _ => true,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::test_support::*;
    use crate::domain::catalog::Catalog;

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
}
