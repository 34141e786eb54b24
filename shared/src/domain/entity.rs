//! The Enti Creditori this deployment serves, and the pagoPA identity of their station.
//! Loaded once per cold start from JSON (`ENTITIES_FILE` or `ENTITIES_JSON`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::fiscal_code::EcFiscalCode;
use super::notice::SegregationCode;
use super::text::Iban;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Entity {
    pub fiscal_code: EcFiscalCode,
    /// Ente name as printed on the avviso ("Comune di ...").
    pub name: String,
    /// Settore / ufficio, optional.
    #[serde(default)]
    pub office: Option<String>,
    /// Segregation code used to generate this EC's notice numbers (aux digit 3).
    pub segregation_code: SegregationCode,
    /// Interbank code for the CBILL channel, if the EC has one.
    #[serde(default)]
    pub cbill: Option<String>,
    /// Accounts the EC collects on; the first is the default.
    pub ibans: Vec<Iban>,
    /// Postal account (Poste Italiane), for the Bollettino block of the avviso.
    #[serde(default)]
    pub postal_iban: Option<Iban>,
    /// Path or URL of the logo shown on pages and on the avviso.
    #[serde(default)]
    pub logo: Option<String>,
    /// pagoPA broker (intermediario) fiscal code: `idBrokerPA`.
    pub broker_id: EcFiscalCode,
    /// pagoPA station ids (`idStation`) through which the Nodo calls this EC.
    pub station_ids: Vec<String>,
    /// Contact shown to citizens (email or phone), optional.
    #[serde(default)]
    pub contact: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum EntitiesError {
    #[error("configurazione enti non leggibile: {0}")]
    Json(#[from] serde_json::Error),
    #[error("configurazione enti non valida: {0}")]
    Invalid(String),
}

/// The configured ECs, by fiscal code.
#[derive(Debug, Clone, Default)]
pub struct Entities(BTreeMap<EcFiscalCode, Entity>);

impl Entities {
    pub fn from_json(json: &str) -> Result<Self, EntitiesError> {
        let list: Vec<Entity> = serde_json::from_str(json)?;
        Self::new(list)
    }

    pub fn new(list: Vec<Entity>) -> Result<Self, EntitiesError> {
        let mut map = BTreeMap::new();
        for e in list {
            if e.name.trim().is_empty() {
                return Err(EntitiesError::Invalid(format!(
                    "ente {}: nome vuoto",
                    e.fiscal_code
                )));
            }
            if e.ibans.is_empty() {
                return Err(EntitiesError::Invalid(format!(
                    "ente {}: nessun IBAN",
                    e.fiscal_code
                )));
            }
            if e.station_ids.is_empty() {
                return Err(EntitiesError::Invalid(format!(
                    "ente {}: nessuna stazione",
                    e.fiscal_code
                )));
            }
            let key = e.fiscal_code.clone();
            if map.insert(key.clone(), e).is_some() {
                return Err(EntitiesError::Invalid(format!("ente {key} ripetuto")));
            }
        }
        Ok(Self(map))
    }

    pub fn get(&self, cf: &EcFiscalCode) -> Option<&Entity> {
        self.0.get(cf)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Entity> {
        self.0.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: &str = r#"[{"fiscalCode":"77777777777","name":"Ente di prova","segregationCode":"01",
        "ibans":["IT60X0542811101000000123456"],"brokerId":"77777777777","stationIds":["77777777777_01"]}]"#;

    #[test]
    fn loads_and_refuses_bad_configs() {
        let e = Entities::from_json(ONE).unwrap();
        let cf = EcFiscalCode::parse("77777777777").unwrap();
        assert_eq!(e.get(&cf).unwrap().segregation_code.value(), 1);
        assert!(Entities::from_json(&ONE.replace("\"01\"", "\"1\"")).is_err());
        assert!(Entities::from_json(&ONE.replace("name", "nome")).is_err());
        let twice = format!("[{},{}]", &ONE[1..ONE.len() - 1], &ONE[1..ONE.len() - 1]);
        assert!(Entities::from_json(&twice).is_err());
        assert!(Entities::from_json(&ONE.replace(r#"["77777777777_01"]"#, "[]")).is_err());
    }
}
