//! The console's operators: who may act for which EC, with which role. Managed
//! through the admin API and the CLI; checked on every console request against
//! the fiscal code the operator's SPID/CIE login proved.

use crate::domain::access::{Grant, Operator, Role};
use crate::domain::{EcFiscalCode, FiscalCode};
use crate::ports::StoreError;
use crate::App;

/// Grants per operator (one per EC).
pub const MAX_GRANTS: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    #[error("EC not served by this portal: {0}")]
    UnknownEc(EcFiscalCode),
    #[error("more than one grant for EC {0}")]
    DuplicateEc(EcFiscalCode),
    #[error("at most {MAX_GRANTS} grants")]
    TooManyGrants,
    #[error("no such operator")]
    NotFound,
    #[error("operators not reachable")]
    Store(#[from] StoreError),
}

/// Why a console request is refused.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// Signed in, but no grant for this EC (or none at all).
    #[error("no grant for this EC")]
    NoGrant,
    /// A grant, with a role below the one needed.
    #[error("role {has:?} cannot do what needs {needs:?}")]
    Role { has: Role, needs: Role },
    #[error("operators not reachable")]
    Store(#[from] StoreError),
}

/// Creates or replaces an operator's grants (each EC at most once, each served
/// by this portal). No grants at all removes the operator.
pub async fn set(
    app: &App,
    fiscal_code: &FiscalCode,
    grants: Vec<Grant>,
) -> Result<Option<Operator>, OperatorError> {
    if grants.len() > MAX_GRANTS {
        return Err(OperatorError::TooManyGrants);
    }
    for (i, g) in grants.iter().enumerate() {
        if app.entities.get(&g.ec).is_none() {
            return Err(OperatorError::UnknownEc(g.ec.clone()));
        }
        if grants[..i].iter().any(|o| o.ec == g.ec) {
            return Err(OperatorError::DuplicateEc(g.ec.clone()));
        }
    }
    if grants.is_empty() {
        app.keys.remove_operator(fiscal_code).await?;
        tracing::info!(operator = %fiscal_code.masked(), "operator removed");
        return Ok(None);
    }
    let op = Operator {
        fiscal_code: fiscal_code.clone(),
        grants,
        updated_at: app.clock.now(),
    };
    app.keys.put_operator(&op).await?;
    tracing::info!(operator = %fiscal_code.masked(), grants = ?op.grants, "operator grants set");
    Ok(Some(op))
}

pub async fn get(app: &App, fiscal_code: &FiscalCode) -> Result<Operator, OperatorError> {
    app.keys
        .operator(fiscal_code)
        .await?
        .ok_or(OperatorError::NotFound)
}

pub async fn list(app: &App) -> Result<Vec<Operator>, OperatorError> {
    Ok(app.keys.operators().await?)
}

pub async fn remove(app: &App, fiscal_code: &FiscalCode) -> Result<(), OperatorError> {
    if !app.keys.remove_operator(fiscal_code).await? {
        return Err(OperatorError::NotFound);
    }
    tracing::info!(operator = %fiscal_code.masked(), "operator removed");
    Ok(())
}

/// The ECs the signed-in person may act for, with their roles (grants of ECs
/// no longer served are left out).
pub async fn grants_of(app: &App, fiscal_code: &FiscalCode) -> Result<Vec<Grant>, AccessError> {
    Ok(app
        .keys
        .operator(fiscal_code)
        .await?
        .map(|o| o.grants)
        .unwrap_or_default()
        .into_iter()
        .filter(|g| app.entities.get(&g.ec).is_some())
        .collect())
}

/// Checks that the signed-in person may do what needs `needs` for `ec`;
/// returns the role they hold.
pub async fn authorize(
    app: &App,
    fiscal_code: &FiscalCode,
    ec: &EcFiscalCode,
    needs: Role,
) -> Result<Role, AccessError> {
    let has = grants_of(app, fiscal_code)
        .await?
        .into_iter()
        .find(|g| &g.ec == ec)
        .map(|g| g.role)
        .ok_or(AccessError::NoGrant)?;
    if !has.allows(needs) {
        return Err(AccessError::Role { has, needs });
    }
    Ok(has)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::testkit;

    fn cf(s: &str) -> FiscalCode {
        FiscalCode::parse(s).unwrap()
    }

    #[tokio::test]
    async fn grants_are_checked_per_ec_and_role() {
        let (app, _) = testkit::kit().await;
        let ec = testkit::ec();
        let other = EcFiscalCode::parse(testkit::OTHER_EC).unwrap();
        let op = cf("VRDGPP80A01H501U");
        assert!(matches!(
            authorize(&app, &op, &ec, Role::ReadOnly).await,
            Err(AccessError::NoGrant)
        ));
        set(
            &app,
            &op,
            vec![Grant {
                ec: ec.clone(),
                role: Role::Operator,
            }],
        )
        .await
        .unwrap();
        assert_eq!(
            authorize(&app, &op, &ec, Role::Operator).await.unwrap(),
            Role::Operator
        );
        assert!(matches!(
            authorize(&app, &op, &ec, Role::Admin).await,
            Err(AccessError::Role { .. })
        ));
        assert!(matches!(
            authorize(&app, &op, &other, Role::ReadOnly).await,
            Err(AccessError::NoGrant)
        ));
        // Someone else holds nothing.
        assert!(matches!(
            authorize(&app, &cf("RSSMRA85T10A562S"), &ec, Role::ReadOnly).await,
            Err(AccessError::NoGrant)
        ));
        // Revoked at once.
        remove(&app, &op).await.unwrap();
        assert!(matches!(
            authorize(&app, &op, &ec, Role::ReadOnly).await,
            Err(AccessError::NoGrant)
        ));
        assert!(matches!(
            remove(&app, &op).await,
            Err(OperatorError::NotFound)
        ));
    }

    #[tokio::test]
    async fn grants_must_name_served_ecs_once() {
        let (app, _) = testkit::kit().await;
        let ec = testkit::ec();
        let op = cf("VRDGPP80A01H501U");
        let unknown = EcFiscalCode::parse("01199250158").unwrap();
        let g = |ec: &EcFiscalCode, role| Grant {
            ec: ec.clone(),
            role,
        };
        assert!(matches!(
            set(&app, &op, vec![g(&unknown, Role::Admin)]).await,
            Err(OperatorError::UnknownEc(_))
        ));
        assert!(matches!(
            set(&app, &op, vec![g(&ec, Role::Admin), g(&ec, Role::ReadOnly)]).await,
            Err(OperatorError::DuplicateEc(_))
        ));
        assert!(list(&app).await.unwrap().is_empty());
        set(&app, &op, vec![g(&ec, Role::Admin)]).await.unwrap();
        assert_eq!(
            get(&app, &op).await.unwrap().role_for(&ec),
            Some(Role::Admin)
        );
        // No grants: removed.
        assert!(set(&app, &op, vec![]).await.unwrap().is_none());
        assert!(matches!(get(&app, &op).await, Err(OperatorError::NotFound)));
    }
}
