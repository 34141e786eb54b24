//! Login to the reserved area.
//!
//! - SPID and CIE: the portal is an OpenID Connect relying party of an identity
//!   gateway (authorization code + PKCE + nonce + state). The state, nonce and
//!   code verifier wait server-side, single use, for ten minutes; a short-lived
//!   cookie binds the login to the browser that started it.
//! - CNS: mutual TLS on a dedicated host. API Gateway verifies the smart card's
//!   certificate against the CNS truststore and passes its subject to the
//!   function, which hands the login over to the portal's host with a
//!   single-use code valid for one minute (cookies are per host).

use chrono::Duration;
use serde_json::json;

use crate::auth::oidc::{AuthRequest, IdentityProvider, LoginError, LoginMethod};
use crate::domain::FiscalCode;
use crate::ports::StoreError;
use crate::secret::{self, key};
use crate::service::sessions::{self, SignedIn};
use crate::App;

/// The cookie that binds a login to the browser that started it.
pub const LOGIN_COOKIE: &str = "login";

/// How long a started login may wait for the identity provider's answer.
pub const LOGIN_TTL: Duration = Duration::minutes(10);

/// How long the CNS hand-off code lives.
pub const HANDOFF_TTL: Duration = Duration::seconds(60);

/// Why a login did not complete.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// The citizen cancelled at the identity provider.
    #[error("login cancelled")]
    Cancelled,
    /// Unknown, reused or expired state, or a state of another browser.
    #[error("login state not valid")]
    State,
    /// The identity provider's answer was refused (token not valid).
    #[error("login refused: {0}")]
    Refused(String),
    /// No identity provider is configured (or no CNS host).
    #[error("login not configured")]
    NotConfigured,
    /// A CNS login without a verified certificate naming a fiscal code.
    #[error("no usable client certificate")]
    NoCertificate,
    #[error("identity provider unavailable")]
    ProviderUnavailable(#[source] LoginError),
    #[error("login state not readable or writable")]
    Store(#[from] StoreError),
}

/// Where the citizen lands after login: a page of the reserved area (or of
/// the operators' console) they asked for, or the reserved area's start. Only
/// local paths of those two are kept (no open redirect).
pub fn landing(requested: Option<&str>) -> &str {
    const HOME: &str = "/area-riservata";
    const CONSOLE: &str = "/backoffice";
    match requested {
        Some(p)
            if (p == HOME
                || p.starts_with("/area-riservata/")
                || p == CONSOLE
                || p.starts_with("/backoffice/"))
                && p.len() <= 100
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"/-_".contains(&b)) =>
        {
            p
        }
        _ => HOME,
    }
}

pub fn redirect_uri(app: &App) -> String {
    format!("{}/accesso/callback", app.settings.public_base_url)
}

fn provider(app: &App) -> Result<&dyn IdentityProvider, Failure> {
    app.identity.as_deref().ok_or(Failure::NotConfigured)
}

/// Starts a login: returns where to send the browser and the state for the
/// binding cookie.
pub async fn start(
    app: &App,
    method: LoginMethod,
    requested: Option<&str>,
) -> Result<(String, String), Failure> {
    let idp = provider(app)?;
    let req = AuthRequest::new();
    let url = idp
        .authorize_url(&req, method, &redirect_uri(app))
        .await
        .map_err(Failure::ProviderUnavailable)?;
    app.sessions
        .put_once(
            &key(&req.state),
            &json!({"nonce": req.nonce, "codeVerifier": req.code_verifier, "method": method.code(),
                "landing": landing(requested)}),
            app.clock.now() + LOGIN_TTL,
        )
        .await?;
    Ok((url, req.state))
}

/// Completes a login from the identity provider's answer; returns the session
/// token and where to go.
pub async fn callback(
    app: &App,
    state: &str,
    bound_state: Option<&str>,
    code: Option<&str>,
    error: Option<&str>,
) -> Result<(String, String), Failure> {
    let idp = provider(app)?;
    if state.is_empty() || state.len() > 200 || bound_state != Some(state) {
        return Err(Failure::State);
    }
    // Single use: taken even when the answer is an error.
    let Some(saved) = app.sessions.take_once(&key(state), app.clock.now()).await? else {
        return Err(Failure::State);
    };
    if error.is_some() {
        return Err(Failure::Cancelled);
    }
    let code = code
        .filter(|c| !c.is_empty() && c.len() <= 2048)
        .ok_or(Failure::State)?;
    let text = |k: &str| saved[k].as_str().unwrap_or_default().to_owned();
    let method = LoginMethod::parse(&text("method")).unwrap_or(LoginMethod::Spid);
    let req = AuthRequest {
        state: state.to_owned(),
        nonce: text("nonce"),
        code_verifier: text("codeVerifier"),
    };
    let who = idp
        .redeem(code, &req, method, &redirect_uri(app), app.clock.now())
        .await
        .map_err(|e| match e {
            LoginError::Refused(m) => Failure::Refused(m),
            e @ LoginError::Unavailable(_) => Failure::ProviderUnavailable(e),
        })?;
    let token = sessions::start(
        app,
        SignedIn {
            fiscal_code: who.fiscal_code,
            given_name: who.given_name,
            family_name: who.family_name,
            method: method.code().to_owned(),
            id_token: who.id_token,
        },
    )
    .await?;
    Ok((token, landing(saved["landing"].as_str()).to_owned()))
}

/// Ends the session of `token`; returns where the browser goes so that the
/// identity provider's session ends too (SPID/CIE, when the provider offers
/// RP-initiated logout), or `None` to stay on the portal. The portal's session
/// is ended first, whatever the provider answers.
pub async fn logout(app: &App, token: Option<&str>) -> Result<Option<String>, Failure> {
    let session = sessions::current(app, token).await?;
    sessions::end(app, token).await?;
    let (Some(s), Some(idp)) = (session, app.identity.as_deref()) else {
        return Ok(None);
    };
    if s.method == "cns" {
        return Ok(None);
    }
    let back = format!("{}/accesso?esito=uscito", app.settings.public_base_url);
    match idp.end_session_url(s.id_token.as_deref(), &back).await {
        Ok(url) => Ok(url),
        Err(e) => {
            tracing::warn!(error = %e, "provider logout not available");
            Ok(None)
        }
    }
}

/// The fiscal code in a CNS certificate's subject: the `serialNumber`
/// attribute (`TINIT-<CF>`), or the common name `<CF>/<card serial>.<hash>`.
pub fn fiscal_code_from_dn(dn: &str) -> Option<FiscalCode> {
    let attrs = dn
        .split([',', '/'].as_slice())
        .filter_map(|part| part.split_once('='))
        .map(|(k, v)| (k.trim().to_ascii_uppercase(), v.trim()));
    let mut from_cn = None;
    for (k, v) in attrs {
        match k.as_str() {
            "SERIALNUMBER" | "2.5.4.5" => {
                let cf = v.strip_prefix("TINIT-").unwrap_or(v);
                if let Ok(c) = FiscalCode::parse(cf) {
                    return Some(c);
                }
            }
            "CN" | "2.5.4.3" => {
                let cf: String = v.chars().take(16).collect();
                if let Ok(c) = FiscalCode::parse(&cf) {
                    from_cn.get_or_insert(c);
                }
            }
            _ => {}
        }
    }
    from_cn
}

/// Starts a CNS login on the portal's host: a state for the binding cookie,
/// which the CNS host carries back in the hand-off (login CSRF: a hand-off code
/// made for another browser is refused).
pub fn cns_start(app: &App) -> Result<String, Failure> {
    app.settings
        .cns_domain
        .as_ref()
        .ok_or(Failure::NotConfigured)?;
    Ok(secret::secret())
}

/// CNS login on its mutual-TLS host: `domain` is the host the request came
/// through, `subject_dn` the subject of the certificate API Gateway verified,
/// `state` the one of the browser that started the login; returns a
/// single-use hand-off code for the portal's host.
pub async fn cns(
    app: &App,
    domain: Option<&str>,
    subject_dn: Option<&str>,
    state: &str,
) -> Result<String, Failure> {
    if !secret::well_formed(state) {
        return Err(Failure::State);
    }
    let expected = app
        .settings
        .cns_domain
        .as_deref()
        .ok_or(Failure::NotConfigured)?;
    // Only requests that came through the CNS domain carry a verified certificate.
    if domain != Some(expected) {
        return Err(Failure::NoCertificate);
    }
    let cf = subject_dn
        .and_then(fiscal_code_from_dn)
        .ok_or(Failure::NoCertificate)?;
    let code = secret::secret();
    app.sessions
        .put_once(
            &key(&code),
            &json!({"fiscalCode": cf.as_str(), "state": key(state)}),
            app.clock.now() + HANDOFF_TTL,
        )
        .await?;
    tracing::info!("CNS login handed off");
    Ok(code)
}

/// Completes a CNS login on the portal's host, in the browser that started it
/// (`bound_state`, its binding cookie); returns the session token.
pub async fn cns_complete(
    app: &App,
    code: &str,
    bound_state: Option<&str>,
) -> Result<String, Failure> {
    if code.is_empty() || code.len() > 200 {
        return Err(Failure::State);
    }
    // Single use: taken even when the browser is not the one that started it.
    let saved = app
        .sessions
        .take_once(&key(code), app.clock.now())
        .await?
        .ok_or(Failure::State)?;
    let same_browser = bound_state.is_some_and(|s| saved["state"].as_str() == Some(&key(s)));
    if !same_browser {
        return Err(Failure::State);
    }
    let cf = saved["fiscalCode"]
        .as_str()
        .and_then(|c| FiscalCode::parse(c).ok())
        .ok_or(Failure::State)?;
    Ok(sessions::start(
        app,
        SignedIn {
            fiscal_code: cf,
            given_name: None,
            family_name: None,
            method: "cns".into(),
            id_token: None,
        },
    )
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    mod use_cases {
        use super::super::*;
        use crate::auth::oidc::Identity;
        use crate::memory::{Fakes, Fault};
        use crate::service::testkit::{self, kit, DEBTOR};

        fn mario() -> Identity {
            Identity {
                fiscal_code: FiscalCode::parse(DEBTOR).unwrap(),
                given_name: Some("Mario".into()),
                family_name: Some("Rossi".into()),
                method: LoginMethod::Spid,
                id_token: Some("the.id.token".into()),
            }
        }

        async fn started(app: &App, fakes: &Fakes) -> String {
            let (url, state) = start(app, LoginMethod::Spid, Some("/area-riservata/avvisi/1"))
                .await
                .unwrap();
            assert!(url.contains(&state) && url.contains("idp_hint=spid"));
            fakes.identity.will_sign_in("code-1", mario());
            state
        }

        #[tokio::test]
        async fn a_login_starts_a_session_and_lands_where_asked() {
            let (app, fakes) = kit().await;
            let state = started(&app, &fakes).await;
            let (token, landing) = callback(&app, &state, Some(&state), Some("code-1"), None)
                .await
                .unwrap();
            assert_eq!(landing, "/area-riservata/avvisi/1");
            let s = sessions::current(&app, Some(&token))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(s.fiscal_code.as_str(), DEBTOR);
            assert_eq!(sessions::display_name(&s), "Mario Rossi");
            assert_eq!(s.method, "spid");
        }

        #[tokio::test]
        async fn the_state_is_single_use_and_bound_to_the_browser() {
            let (app, fakes) = kit().await;
            let state = started(&app, &fakes).await;
            assert!(matches!(
                callback(&app, &state, Some("another-browser"), Some("code-1"), None).await,
                Err(Failure::State)
            ));
            callback(&app, &state, Some(&state), Some("code-1"), None)
                .await
                .unwrap();
            fakes.identity.will_sign_in("code-1", mario());
            assert!(matches!(
                callback(&app, &state, Some(&state), Some("code-1"), None).await,
                Err(Failure::State)
            ));
        }

        #[tokio::test]
        async fn a_stale_state_is_refused() {
            let (app, fakes) = kit().await;
            let state = started(&app, &fakes).await;
            let later = testkit::at(&app, testkit::now() + LOGIN_TTL + Duration::seconds(1));
            assert!(matches!(
                callback(&later, &state, Some(&state), Some("code-1"), None).await,
                Err(Failure::State)
            ));
        }

        #[tokio::test]
        async fn cancelled_refused_and_unavailable_logins() {
            let (app, fakes) = kit().await;
            let state = started(&app, &fakes).await;
            assert!(matches!(
                callback(&app, &state, Some(&state), None, Some("access_denied")).await,
                Err(Failure::Cancelled)
            ));
            let state = started(&app, &fakes).await;
            assert!(matches!(
                callback(&app, &state, Some(&state), Some("forged"), None).await,
                Err(Failure::Refused(_))
            ));
            let state = started(&app, &fakes).await;
            fakes
                .identity
                .faults
                .inject("redeem", Fault::Unavailable, 1);
            assert!(matches!(
                callback(&app, &state, Some(&state), Some("code-1"), None).await,
                Err(Failure::ProviderUnavailable(_))
            ));
            fakes.store.faults.inject("put_once", Fault::Unavailable, 1);
            assert!(matches!(
                start(&app, LoginMethod::Cie, None).await,
                Err(Failure::Store(_))
            ));
        }

        #[tokio::test]
        async fn cns_hands_the_login_over_once_to_the_browser_that_started_it() {
            let (app, _) = kit().await;
            let dn = "SERIALNUMBER=TINIT-RSSMRA85T10A562S,CN=ROSSI MARIO,C=IT";
            let state = cns_start(&app).unwrap();
            let host = Some("cns.portale.example");
            assert!(matches!(
                cns(&app, Some("portale.example"), Some(dn), &state).await,
                Err(Failure::NoCertificate)
            ));
            assert!(matches!(
                cns(&app, host, None, &state).await,
                Err(Failure::NoCertificate)
            ));
            assert!(matches!(
                cns(&app, host, Some(dn), "not-a-state").await,
                Err(Failure::State)
            ));
            let code = cns(&app, host, Some(dn), &state).await.unwrap();
            let token = cns_complete(&app, &code, Some(&state)).await.unwrap();
            let s = sessions::current(&app, Some(&token))
                .await
                .unwrap()
                .unwrap();
            assert_eq!((s.fiscal_code.as_str(), s.method.as_str()), (DEBTOR, "cns"));
            assert!(matches!(
                cns_complete(&app, &code, Some(&state)).await,
                Err(Failure::State)
            ));
            // An attacker's own hand-off code, opened in the victim's browser.
            let attacker = cns_start(&app).unwrap();
            let code = cns(&app, host, Some(dn), &attacker).await.unwrap();
            let victim = cns_start(&app).unwrap();
            for bound in [Some(victim.as_str()), None] {
                assert!(matches!(
                    cns_complete(&app, &code, bound).await,
                    Err(Failure::State)
                ));
            }
        }

        #[tokio::test]
        async fn sessions_end_and_expire() {
            let (app, _) = kit().await;
            let token = sessions::start(
                &app,
                sessions::SignedIn {
                    fiscal_code: FiscalCode::parse(DEBTOR).unwrap(),
                    given_name: None,
                    family_name: None,
                    method: "cie".into(),
                    id_token: None,
                },
            )
            .await
            .unwrap();
            let seen = |at: &App| {
                let at = at.clone();
                let token = token.clone();
                async move {
                    sessions::current(&at, Some(&token))
                        .await
                        .unwrap()
                        .is_some()
                }
            };
            assert!(seen(&app).await);
            // Used every ten minutes, it lives its whole lifetime, and no longer.
            let minutes = |m| testkit::at(&app, testkit::now() + Duration::minutes(m));
            for m in [10, 20, 30, 40, 50] {
                assert!(seen(&minutes(m)).await, "{m}");
            }
            assert!(!seen(&testkit::at(&app, testkit::now() + sessions::LIFETIME)).await);
            assert!(sessions::current(&app, Some("../etc"))
                .await
                .unwrap()
                .is_none());
            assert!(sessions::current(&app, None).await.unwrap().is_none());
            sessions::end(&app, Some(&token)).await.unwrap();
            assert!(!seen(&app).await);
        }

        #[tokio::test]
        async fn logout_ends_the_portal_session_then_the_provider_s() {
            let (app, fakes) = kit().await;
            let state = started(&app, &fakes).await;
            let (token, _) = callback(&app, &state, Some(&state), Some("code-1"), None)
                .await
                .unwrap();
            let to = logout(&app, Some(&token))
                .await
                .unwrap()
                .expect("provider logout");
            assert!(to.contains("hint=the.id.token"), "{to}");
            assert!(
                to.ends_with("back=https://portale.example/accesso?esito=uscito"),
                "{to}"
            );
            assert!(sessions::current(&app, Some(&token))
                .await
                .unwrap()
                .is_none());
            // No session (or the provider down): the portal's logout only.
            assert_eq!(logout(&app, Some(&token)).await.unwrap(), None);
            let state = started(&app, &fakes).await;
            let (token, _) = callback(&app, &state, Some(&state), Some("code-1"), None)
                .await
                .unwrap();
            fakes
                .identity
                .faults
                .inject("end_session_url", Fault::Unavailable, 1);
            assert_eq!(logout(&app, Some(&token)).await.unwrap(), None);
            assert!(sessions::current(&app, Some(&token))
                .await
                .unwrap()
                .is_none());
        }

        #[tokio::test]
        async fn an_idle_session_ends() {
            let (app, fakes) = kit().await;
            let who = sessions::SignedIn {
                fiscal_code: FiscalCode::parse(DEBTOR).unwrap(),
                given_name: None,
                family_name: None,
                method: "spid".into(),
                id_token: None,
            };
            let token = sessions::start(&app, who).await.unwrap();
            let idle = testkit::at(&app, testkit::now() + sessions::IDLE);
            assert!(sessions::current(&idle, Some(&token))
                .await
                .unwrap()
                .is_none());
            assert!(
                sessions::current(&app, Some(&token))
                    .await
                    .unwrap()
                    .is_none(),
                "ended, not just hidden"
            );
            assert_eq!(fakes.store.faults.calls("delete_session"), 1);
        }
    }

    #[test]
    fn lands_only_in_the_reserved_area_or_the_console() {
        assert_eq!(landing(None), "/area-riservata");
        assert_eq!(
            landing(Some("/area-riservata/avvisi/301900000000000180")),
            "/area-riservata/avvisi/301900000000000180"
        );
        assert_eq!(landing(Some("/backoffice")), "/backoffice");
        assert_eq!(
            landing(Some("/backoffice/77777777777/pagamenti")),
            "/backoffice/77777777777/pagamenti"
        );
        for bad in [
            "https://evil.example/area-riservata",
            "//evil.example",
            "/area-riservata-x",
            "/area-riservata/../esci",
            "/area-riservata/a?b=c",
            "/carrello",
            "/backoffice-x",
            "/backoffice/../esci",
            "//backoffice",
        ] {
            assert_eq!(landing(Some(bad)), "/area-riservata", "{bad}");
        }
    }

    #[test]
    fn finds_the_fiscal_code_in_cns_subjects() {
        let cf = |dn: &str| fiscal_code_from_dn(dn).map(|c| c.to_string());
        assert_eq!(
            cf("CN=RSSMRA85T10A562S/7420091000049623.FbPkopq2QwfWENtsDzDLxvGpb0U=,OU=Regione Lombardia,O=Ente,C=IT"),
            Some("RSSMRA85T10A562S".into())
        );
        assert_eq!(
            cf("SERIALNUMBER=TINIT-CNTCHR83T41D969D,GN=CHIARA,SN=CONTI,CN=CONTI CHIARA,C=IT"),
            Some("CNTCHR83T41D969D".into())
        );
        assert_eq!(
            cf("2.5.4.5=TINIT-RSSMRA85T10A562S, CN=Mario Rossi"),
            Some("RSSMRA85T10A562S".into())
        );
        assert_eq!(cf("CN=www.example.org,O=Example,C=IT"), None);
        assert_eq!(cf("SERIALNUMBER=TINIT-RSSMRA85T10A562X"), None);
        assert_eq!(cf(""), None);
    }
}
