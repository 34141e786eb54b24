//! Operator API keys, one EC each: issued and revoked through the admin API,
//! checked on every operator API call.
//!
//! A key reads `<keyId>.<secret>`: the id (public, 32 hex digits) finds the
//! stored record in one read; the record holds only the SHA-256 of the whole
//! key, compared in constant time. A key is 384 random bits, so a fast hash is
//! enough (a slow one only helps low-entropy passwords). Revocation deletes
//! the record: the next call with that key fails, there is no cache.

use subtle::ConstantTimeEq;

use crate::domain::EcFiscalCode;
use crate::ports::{OperatorKey, StoreError};
use crate::secret;
use crate::App;

/// Active keys per EC: the one in use and its successor, for rotation.
pub const MAX_ACTIVE_KEYS: u64 = 2;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("EC not served by this portal")]
    UnknownEc,
    #[error("the EC already has {MAX_ACTIVE_KEYS} active keys")]
    LimitReached,
    #[error("no such key for this EC")]
    NotFound,
    #[error("invalid label")]
    InvalidLabel,
    #[error("keys not reachable")]
    Store(#[from] StoreError),
}

/// Why an operator call is refused.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No key, a malformed key, an unknown or revoked key.
    #[error("missing or invalid operator key")]
    Unauthenticated,
    /// A valid key of another EC.
    #[error("the key belongs to another EC")]
    OtherEc,
    #[error("keys not reachable")]
    Store(#[from] StoreError),
}

/// A key just issued: the only time the key itself exists outside the caller.
#[derive(Debug)]
pub struct IssuedKey {
    pub record: OperatorKey,
    pub key: String,
}

fn ensure_served(app: &App, ec: &EcFiscalCode) -> Result<(), KeyError> {
    app.entities.get(ec).map(|_| ()).ok_or(KeyError::UnknownEc)
}

/// Issues a new key for the EC (at most [`MAX_ACTIVE_KEYS`] at once).
pub async fn issue(
    app: &App,
    ec: &EcFiscalCode,
    label: Option<&str>,
) -> Result<IssuedKey, KeyError> {
    ensure_served(app, ec)?;
    let label = match label.map(str::trim) {
        None | Some("") => None,
        Some(l) if l.chars().count() <= 100 && !l.chars().any(char::is_control) => {
            Some(l.to_owned())
        }
        Some(_) => return Err(KeyError::InvalidLabel),
    };
    let key_id = secret::random_token();
    let key = format!("{key_id}.{}", secret::secret());
    let record = OperatorKey {
        key_id,
        ec: ec.clone(),
        digest: secret::key(&key),
        created_at: app.clock.now(),
        label,
    };
    match app.keys.add_key(&record, MAX_ACTIVE_KEYS).await {
        Ok(()) => {
            tracing::info!(ec = %ec, key_id = %record.key_id, "operator key issued");
            Ok(IssuedKey { record, key })
        }
        Err(StoreError::LimitReached) => Err(KeyError::LimitReached),
        Err(e) => Err(e.into()),
    }
}

pub async fn list(app: &App, ec: &EcFiscalCode) -> Result<Vec<OperatorKey>, KeyError> {
    ensure_served(app, ec)?;
    Ok(app.keys.keys(ec).await?)
}

pub async fn revoke(app: &App, ec: &EcFiscalCode, key_id: &str) -> Result<(), KeyError> {
    ensure_served(app, ec)?;
    if !secret::well_formed_token(key_id) || !app.keys.revoke_key(ec, key_id).await? {
        return Err(KeyError::NotFound);
    }
    tracing::info!(ec = %ec, key_id = %key_id, "operator key revoked");
    Ok(())
}

/// Checks that `given` is a key of `ec`. The development key (`OPERATOR_API_KEY`,
/// never honoured in Lambda) speaks for every EC this deployment serves.
pub async fn authenticate(app: &App, given: &str, ec: &EcFiscalCode) -> Result<(), AuthError> {
    let given = given.trim();
    if given.is_empty() {
        return Err(AuthError::Unauthenticated);
    }
    if !app.settings.in_lambda {
        if let Some(dev) = &app.settings.operator_api_key {
            if dev.matches(given) {
                return Ok(());
            }
        }
    }
    let Some((key_id, _)) = given.split_once('.') else {
        return Err(AuthError::Unauthenticated);
    };
    if !secret::well_formed_token(key_id) {
        return Err(AuthError::Unauthenticated);
    }
    let Some(record) = app.keys.key(key_id).await? else {
        return Err(AuthError::Unauthenticated);
    };
    let digest = secret::key(given);
    if !bool::from(digest.as_bytes().ct_eq(record.digest.as_bytes())) {
        return Err(AuthError::Unauthenticated);
    }
    if &record.ec != ec {
        tracing::warn!(key_id = %key_id, ec = %ec, "operator key used on another EC");
        return Err(AuthError::OtherEc);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::Fault;
    use crate::service::testkit::{ec, kit, OTHER_EC};

    #[tokio::test]
    async fn a_key_opens_its_own_ec_only_and_dies_when_revoked() {
        let (app, fakes) = kit().await;
        let other = EcFiscalCode::parse(OTHER_EC).unwrap();
        let k = issue(&app, &ec(), Some("gestionale TARI")).await.unwrap();
        assert!(k.key.starts_with(&format!("{}.", k.record.key_id)));
        assert_eq!(k.record.digest, secret::key(&k.key));
        assert!(!k.record.digest.contains(&k.key[33..]));
        authenticate(&app, &k.key, &ec()).await.unwrap();
        assert!(matches!(
            authenticate(&app, &k.key, &other).await,
            Err(AuthError::OtherEc)
        ));
        // A wrong secret behind a real id, a bare id, garbage, nothing.
        let forged = format!("{}.{}", k.record.key_id, "0".repeat(64));
        for bad in [forged.as_str(), &k.record.key_id, "x.y", "", "  "] {
            assert!(
                matches!(
                    authenticate(&app, bad, &ec()).await,
                    Err(AuthError::Unauthenticated)
                ),
                "{bad}"
            );
        }
        // Two at once for rotation, not three.
        let k2 = issue(&app, &ec(), None).await.unwrap();
        assert!(matches!(
            issue(&app, &ec(), None).await,
            Err(KeyError::LimitReached)
        ));
        // Another EC's list and revocation do not reach these keys.
        assert!(list(&app, &other).await.unwrap().is_empty());
        assert!(matches!(
            revoke(&app, &other, &k.record.key_id).await,
            Err(KeyError::NotFound)
        ));
        let listed = list(&app, &ec()).await.unwrap();
        assert_eq!(listed.len(), 2);
        revoke(&app, &ec(), &k.record.key_id).await.unwrap();
        assert!(matches!(
            authenticate(&app, &k.key, &ec()).await,
            Err(AuthError::Unauthenticated)
        ));
        authenticate(&app, &k2.key, &ec()).await.unwrap();
        assert!(matches!(
            revoke(&app, &ec(), &k.record.key_id).await,
            Err(KeyError::NotFound)
        ));
        issue(&app, &ec(), None).await.unwrap();
        // The store down: refused as unavailable, never let through.
        fakes.backoffice.faults.inject("key", Fault::Unavailable, 1);
        assert!(matches!(
            authenticate(&app, &k2.key, &ec()).await,
            Err(AuthError::Store(_))
        ));
        assert!(matches!(
            issue(&app, &ec(), Some("a\nb")).await,
            Err(KeyError::InvalidLabel)
        ));
        let unknown = EcFiscalCode::parse("01199250158").unwrap();
        assert!(matches!(
            issue(&app, &unknown, None).await,
            Err(KeyError::UnknownEc)
        ));
    }

    #[tokio::test]
    async fn the_development_key_opens_every_ec_but_never_in_lambda() {
        let (mut app, _) = kit().await;
        authenticate(&app, "test-operator-key", &ec())
            .await
            .unwrap();
        app.settings.in_lambda = true;
        assert!(matches!(
            authenticate(&app, "test-operator-key", &ec()).await,
            Err(AuthError::Unauthenticated)
        ));
    }
}
