//! Who may act for an EC in the back-office console: each operator (a person,
//! known by the fiscal code their SPID/CIE login proves) holds grants, one per
//! EC, each with a role.

use serde::{Deserialize, Serialize};

use super::{EcFiscalCode, FiscalCode};

/// What an operator may do for an EC. Ordered: each role can do what the ones
/// before it can.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Sees positions, payments, reconciliation; downloads exports.
    ReadOnly,
    /// Also cancels and edits positions, imports, edits the catalogue.
    Operator,
    /// Also manages the EC's operator API keys.
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::ReadOnly, Role::Operator, Role::Admin];

    /// `read-only`, `operator` or `admin` (the API's and the CLI's spelling).
    pub fn code(self) -> &'static str {
        match self {
            Role::ReadOnly => "read-only",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == s.trim())
    }

    /// Whether this role includes `needed`.
    pub fn allows(self, needed: Role) -> bool {
        self >= needed
    }
}

/// One EC an operator may act for, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Grant {
    pub ec: EcFiscalCode,
    pub role: Role,
}

/// An operator and the ECs they may act for (at most one grant per EC).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Operator {
    pub fiscal_code: FiscalCode,
    pub grants: Vec<Grant>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl std::fmt::Debug for Operator {
    /// The fiscal code stays out of debug output.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Operator")
            .field("fiscal_code", &self.fiscal_code.masked())
            .field("grants", &self.grants)
            .finish_non_exhaustive()
    }
}

impl Operator {
    /// The role the operator holds for the EC, if any.
    pub fn role_for(&self, ec: &EcFiscalCode) -> Option<Role> {
        self.grants.iter().find(|g| &g.ec == ec).map(|g| g.role)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_order_and_serialise() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.code()), Some(r));
            assert_eq!(serde_json::to_value(r).unwrap(), r.code());
        }
        assert_eq!(Role::parse("Admin"), None);
        assert_eq!(Role::parse("root"), None);
        assert!(Role::Admin.allows(Role::Operator));
        assert!(Role::Operator.allows(Role::ReadOnly));
        assert!(!Role::ReadOnly.allows(Role::Operator));
        assert!(!Role::Operator.allows(Role::Admin));
    }

    #[test]
    fn role_for_an_ec_and_no_fiscal_code_in_debug() {
        let ec = EcFiscalCode::parse("01234567890").unwrap();
        let other = EcFiscalCode::parse("01199250158").unwrap();
        let op = Operator {
            fiscal_code: FiscalCode::parse("VRDGPP80A01H501U").unwrap(),
            grants: vec![Grant {
                ec: ec.clone(),
                role: Role::Operator,
            }],
            updated_at: chrono::Utc::now(),
        };
        assert_eq!(op.role_for(&ec), Some(Role::Operator));
        assert_eq!(op.role_for(&other), None);
        assert!(!format!("{op:?}").contains("VRDGPP80A01H501U"));
    }
}
