//! The whole authorization code flow of `shared::auth::oidc::OidcProvider`
//! against the simulator's development identity provider, over real HTTP.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use pagopa_simulator::oidc::{DevIdpSettings, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET};
use pagopa_simulator::{serve, Simulator};
use serde_json::{json, Value};
use shared::auth::oidc::{
    AuthRequest, IdentityProvider, LoginError, LoginMethod, OidcProvider, OidcSettings,
};
use tokio::net::TcpListener;

const PORTAL: &str = "http://127.0.0.1:9";
const REDIRECT: &str = "http://127.0.0.1:9/accesso/esito";

struct Idp {
    sim: Arc<Simulator>,
    base: String,
    http: reqwest::Client,
}

fn query_map(url: &str) -> HashMap<String, String> {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
    form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

async fn start_with(settings: DevIdpSettings) -> Idp {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let sim = Simulator::with_dev_idp(&base, PORTAL, HashMap::new(), settings);
    tokio::spawn(serve(listener, sim.clone(), std::future::pending()));
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    Idp { sim, base, http }
}

async fn start() -> Idp {
    start_with(DevIdpSettings::for_portal(PORTAL)).await
}

impl Idp {
    fn settings(&self) -> OidcSettings {
        OidcSettings::new(
            self.sim.dev_idp().issuer(),
            DEFAULT_CLIENT_ID,
            DEFAULT_CLIENT_SECRET,
        )
    }

    fn provider(&self) -> OidcProvider {
        OidcProvider::new(self.settings())
    }

    /// Opens the login page the provider sends the browser to; returns its parameters.
    async fn open_login(
        &self,
        p: &OidcProvider,
        req: &AuthRequest,
        method: LoginMethod,
    ) -> HashMap<String, String> {
        let url = p.authorize_url(req, method, REDIRECT).await.unwrap();
        let page = self.http.get(&url).send().await.unwrap();
        assert_eq!(page.status(), 200, "{url}");
        let html = page.text().await.unwrap();
        assert!(html.contains("non usare in produzione"), "{html}");
        query_map(&url)
    }

    /// Submits the login page's form; returns the redirect's parameters.
    async fn submit(
        &self,
        params: &HashMap<String, String>,
        extra: &[(&str, &str)],
    ) -> HashMap<String, String> {
        let mut form: Vec<(String, String)> = params.clone().into_iter().collect();
        form.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let resp = self
            .http
            .post(format!("{}/oidc/authorize", self.base))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 302);
        let location = resp.headers()["location"].to_str().unwrap().to_owned();
        assert!(location.starts_with(&format!("{REDIRECT}?")), "{location}");
        query_map(&location)
    }

    /// Logs in as `user`; returns the authorization code.
    async fn code(
        &self,
        p: &OidcProvider,
        req: &AuthRequest,
        method: LoginMethod,
        user: &str,
    ) -> String {
        let params = self.open_login(p, req, method).await;
        let back = self.submit(&params, &[("user", user)]).await;
        assert_eq!(back["state"], req.state);
        back["code"].clone()
    }

    async fn login(
        &self,
        p: &OidcProvider,
        method: LoginMethod,
        user: &str,
    ) -> Result<shared::auth::oidc::Identity, LoginError> {
        let req = AuthRequest::new();
        let code = self.code(p, &req, method, user).await;
        p.redeem(&code, &req, method, REDIRECT, chrono::Utc::now())
            .await
    }

    async fn control(&self, path: &str, body: Value) -> reqwest::Response {
        self.http
            .post(format!("{}/control/oidc/{path}", self.base))
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    async fn token_request(
        &self,
        auth: Option<(&str, &str)>,
        form: &[(&str, &str)],
    ) -> (u16, Value) {
        let mut req = self
            .http
            .post(format!("{}/oidc/token", self.base))
            .form(form);
        if let Some((id, secret)) = auth {
            req = req.basic_auth(id, Some(secret));
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap())
    }
}

fn refused(r: Result<shared::auth::oidc::Identity, LoginError>) -> String {
    match r {
        Err(LoginError::Refused(why)) => why,
        other => panic!("expected Refused, got {other:?}"),
    }
}

#[tokio::test]
async fn a_valid_login_yields_the_identity() {
    let idp = start().await;
    let p = idp.provider();
    let mario = idp
        .login(&p, LoginMethod::Spid, "RSSMRA85T10A562S")
        .await
        .unwrap();
    assert_eq!(mario.fiscal_code.as_str(), "RSSMRA85T10A562S");
    assert_eq!(mario.given_name.as_deref(), Some("Mario"));
    assert_eq!(mario.family_name.as_deref(), Some("Rossi"));
    assert_eq!(mario.method, LoginMethod::Spid);

    let luca = idp
        .login(&p, LoginMethod::Cie, "BNCLCU90E12H501G")
        .await
        .unwrap();
    assert_eq!(luca.fiscal_code.as_str(), "BNCLCU90E12H501G");
    assert_eq!(luca.family_name.as_deref(), Some("Bianchi"));
    assert_eq!(luca.method, LoginMethod::Cie);

    // Any valid codice fiscale can log in; it has no names.
    let other = idp
        .login(&p, LoginMethod::Cns, "cntchr83t41d969d")
        .await
        .unwrap();
    assert_eq!(other.fiscal_code.as_str(), "CNTCHR83T41D969D");
    assert_eq!(other.given_name.as_deref(), Some("Chiara"));
    let nameless = idp
        .login(&p, LoginMethod::Spid, "01234567897")
        .await
        .unwrap();
    assert_eq!(nameless.fiscal_code.as_str(), "01234567897");
    assert_eq!(nameless.given_name, None);
    // The discovery document and the JWKS were fetched once.
    assert_eq!(idp.sim.dev_idp().jwks_served(), 1);
}

#[tokio::test]
async fn the_authorization_request_and_the_login_page() {
    let idp = start().await;
    let p = idp.provider();
    let req = AuthRequest::new();
    let url = p
        .authorize_url(&req, LoginMethod::Cie, REDIRECT)
        .await
        .unwrap();
    assert!(url.starts_with(&format!("{}/oidc/authorize?", idp.base)));
    let q = query_map(&url);
    let expected = [
        ("response_type", "code"),
        ("client_id", DEFAULT_CLIENT_ID),
        ("redirect_uri", REDIRECT),
        ("scope", "openid profile"),
        ("code_challenge_method", "S256"),
        ("acr_values", "https://www.spid.gov.it/SpidL2"),
        ("idp_hint", "cie"),
    ];
    for (k, v) in expected {
        assert_eq!(q[k], v, "{k}");
    }
    assert_eq!(q["state"], req.state);
    assert_eq!(q["nonce"], req.nonce);
    assert_eq!(q["code_challenge"], req.code_challenge());
    assert!(url.contains("scope=openid+profile"));
    assert!(url.contains("redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Faccesso%2Fesito"));

    let html = idp
        .http
        .get(&url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for needle in [
        "<html lang=\"it\">",
        "<main>",
        "<title>Provider di identità di sviluppo — non usare in produzione</title>",
        "<h1>",
        "Entra come Mario Rossi (RSSMRA85T10A562S)",
        "Entra come Chiara Conti (CNTCHR83T41D969D)",
        "Entra come Luca Bianchi (BNCLCU90E12H501G)",
        "Entra come Operatore (Operatore Demo, VRDGPP80A01H501U)",
        "<label for=\"cf\">Codice fiscale</label>",
        ">Annulla</button>",
        "con CIE",
    ] {
        assert!(html.contains(needle), "{needle}");
    }

    // Annulla: back to the portal with access_denied and the state.
    let back = idp.submit(&q, &[("action", "cancel")]).await;
    assert_eq!(back["error"], "access_denied");
    assert_eq!(back["state"], req.state);
    assert!(!back.contains_key("code"));
}

#[tokio::test]
async fn bad_authorization_requests() {
    let idp = start().await;
    let p = idp.provider();
    let req = AuthRequest::new();
    let url = p
        .authorize_url(&req, LoginMethod::Spid, REDIRECT)
        .await
        .unwrap();
    let get = |url: String| {
        let http = idp.http.clone();
        async move { http.get(url).send().await.unwrap() }
    };
    // An unknown client or redirect URI: a page, never a redirect.
    for (from, to) in [
        ("client_id=portale-dev", "client_id=altro"),
        (
            "redirect_uri=http%3A%2F%2F127.0.0.1%3A9",
            "redirect_uri=https%3A%2F%2Fevil.example",
        ),
    ] {
        let resp = get(url.replace(from, to)).await;
        assert_eq!(resp.status(), 400, "{to}");
        assert!(resp
            .text()
            .await
            .unwrap()
            .contains("Richiesta di accesso non valida"));
    }
    // Everything else goes back to the client as an OAuth2 error.
    for (from, to, error) in [
        (
            "response_type=code",
            "response_type=token",
            "unsupported_response_type",
        ),
        (
            "code_challenge_method=S256",
            "code_challenge_method=plain",
            "invalid_request",
        ),
        ("code_challenge=", "code_challenge=x", "invalid_request"),
        ("nonce=", "nonce_=", "invalid_request"),
        ("scope=openid+profile", "scope=profile", "invalid_scope"),
    ] {
        let resp = get(url.replace(from, to)).await;
        assert_eq!(resp.status(), 302, "{to}");
        let back = query_map(resp.headers()["location"].to_str().unwrap());
        assert_eq!(back["error"], error, "{to}");
        assert_eq!(back["state"], req.state);
    }
    // An invalid fiscal code on the form.
    let params = query_map(&url);
    let mut form: Vec<(String, String)> = params.into_iter().collect();
    form.push(("user".into(), "RSSMRA85T10A562X".into()));
    let resp = idp
        .http
        .post(format!("{}/oidc/authorize", idp.base))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
}

#[tokio::test]
async fn each_spoilt_token_is_refused() {
    let idp = start().await;
    let p = idp.provider();
    let modes = [
        ("expired", "expired"),
        ("wrong-audience", "aud"),
        ("alg-none", "algorithm"),
        ("forged", "signature"),
        ("wrong-nonce", "nonce"),
        ("low-assurance", "acr"),
    ];
    for (mode, why) in modes {
        let resp = idp.control("mode", json!({ "mode": mode })).await;
        assert_eq!(resp.status(), 200);
        let err = refused(idp.login(&p, LoginMethod::Spid, "RSSMRA85T10A562S").await);
        assert!(err.contains(why), "{mode}: {err}");
        // No personal data in the message.
        assert!(!err.contains("RSSMRA85T10A562S"));
    }
    let resp = idp.control("mode", json!({"mode": "sbagliato"})).await;
    assert_eq!(resp.status(), 400);
    idp.control("mode", json!({"mode": "normal"})).await;
    assert!(idp
        .login(&p, LoginMethod::Spid, "RSSMRA85T10A562S")
        .await
        .is_ok());
}

#[tokio::test]
async fn the_fiscal_code_and_names_only_from_userinfo_json_or_jwt() {
    let idp = start().await;
    let p = idp.provider();
    // Asked for with the claims parameter, in the ID token and from UserInfo.
    let url = p
        .authorize_url(&AuthRequest::new(), LoginMethod::Spid, REDIRECT)
        .await
        .unwrap();
    let claims: Value = serde_json::from_str(&query_map(&url)["claims"]).unwrap();
    for target in ["id_token", "userinfo"] {
        assert_eq!(
            claims[target]["https://attributes.eid.gov.it/fiscal_number"]["essential"],
            true
        );
        assert!(claims[target]
            .as_object()
            .unwrap()
            .contains_key("family_name"));
    }
    // Everything in the ID token: UserInfo is not called.
    idp.login(&p, LoginMethod::Spid, "RSSMRA85T10A562S")
        .await
        .unwrap();
    assert_eq!(idp.sim.dev_idp().userinfo_served(), 0);
    for (n, delivery) in ["userinfo-json", "userinfo-jwt"].into_iter().enumerate() {
        let resp = idp.control("claims", json!({ "delivery": delivery })).await;
        assert_eq!(resp.status(), 200);
        let chiara = idp
            .login(&p, LoginMethod::Cie, "CNTCHR83T41D969D")
            .await
            .unwrap();
        assert_eq!(
            chiara.fiscal_code.as_str(),
            "CNTCHR83T41D969D",
            "{delivery}"
        );
        assert_eq!(chiara.given_name.as_deref(), Some("Chiara"), "{delivery}");
        assert_eq!(chiara.family_name.as_deref(), Some("Conti"), "{delivery}");
        assert_eq!(idp.sim.dev_idp().userinfo_served(), n as u64 + 1);
    }
    // A UserInfo answer about someone else is refused.
    idp.control("claims", json!({"delivery": "userinfo-wrong-subject"}))
        .await;
    let err = refused(idp.login(&p, LoginMethod::Spid, "RSSMRA85T10A562S").await);
    assert!(err.contains("sub"), "{err}");
    assert!(!err.contains("RSSMRA85T10A562S"), "{err}");
    let resp = idp.control("claims", json!({"delivery": "altrove"})).await;
    assert_eq!(resp.status(), 400);
    idp.control("claims", json!({"delivery": "id-token"})).await;
    assert!(idp
        .login(&p, LoginMethod::Spid, "RSSMRA85T10A562S")
        .await
        .is_ok());
}

#[tokio::test]
async fn the_userinfo_endpoint_wants_a_valid_access_token() {
    let idp = start().await;
    let endpoint = format!("{}/userinfo", idp.sim.dev_idp().issuer());
    for auth in [None, Some("Bearer nope"), Some("Basic eDp5")] {
        let mut req = idp.http.get(&endpoint);
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 401, "{auth:?}");
        assert!(resp.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer"));
    }
    // With the token of a token answer: the citizen's claims, under the same sub.
    let p = idp.provider();
    let req = AuthRequest::new();
    let code = idp
        .code(&p, &req, LoginMethod::Spid, "VRDGPP80A01H501U")
        .await;
    let (status, answer) = idp
        .token_request(
            Some((DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", &req.code_verifier),
            ],
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let info: Value = idp
        .http
        .get(&endpoint)
        .bearer_auth(answer["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["fiscal_number"], "TINIT-VRDGPP80A01H501U");
    assert_eq!(info["given_name"], "Operatore");
    assert_eq!(info["family_name"], "Demo");
    assert!(info["sub"].as_str().is_some_and(|s| !s.is_empty()));
}

#[tokio::test]
async fn codes_are_single_use_and_bound_to_the_verifier_and_redirect_uri() {
    let idp = start().await;
    let p = idp.provider();
    let req = AuthRequest::new();
    let code = idp
        .code(&p, &req, LoginMethod::Spid, "CNTCHR83T41D969D")
        .await;
    assert!(p
        .redeem(&code, &req, LoginMethod::Spid, REDIRECT, chrono::Utc::now())
        .await
        .is_ok());
    let err = refused(
        p.redeem(&code, &req, LoginMethod::Spid, REDIRECT, chrono::Utc::now())
            .await,
    );
    assert!(err.contains("invalid_grant"), "{err}");

    // Another verifier (same state and nonce).
    let req = AuthRequest::new();
    let code = idp
        .code(&p, &req, LoginMethod::Spid, "CNTCHR83T41D969D")
        .await;
    let thief = AuthRequest {
        code_verifier: AuthRequest::new().code_verifier,
        ..req.clone()
    };
    let err = refused(
        p.redeem(
            &code,
            &thief,
            LoginMethod::Spid,
            REDIRECT,
            chrono::Utc::now(),
        )
        .await,
    );
    assert!(err.contains("invalid_grant"), "{err}");
    // The failed attempt consumed the code.
    refused(
        p.redeem(&code, &req, LoginMethod::Spid, REDIRECT, chrono::Utc::now())
            .await,
    );

    // Another redirect URI.
    let req = AuthRequest::new();
    let code = idp
        .code(&p, &req, LoginMethod::Spid, "CNTCHR83T41D969D")
        .await;
    let err = refused(
        p.redeem(
            &code,
            &req,
            LoginMethod::Spid,
            "http://127.0.0.1:9/altro",
            chrono::Utc::now(),
        )
        .await,
    );
    assert!(err.contains("invalid_grant"), "{err}");

    // An unknown code.
    refused(
        p.redeem(
            "nope",
            &req,
            LoginMethod::Spid,
            REDIRECT,
            chrono::Utc::now(),
        )
        .await,
    );
    refused(
        p.redeem("", &req, LoginMethod::Spid, REDIRECT, chrono::Utc::now())
            .await,
    );
}

#[tokio::test]
async fn codes_expire() {
    let mut settings = DevIdpSettings::for_portal(PORTAL);
    settings.code_ttl = Duration::from_millis(50);
    let idp = start_with(settings).await;
    let p = idp.provider();
    let req = AuthRequest::new();
    let code = idp
        .code(&p, &req, LoginMethod::Spid, "RSSMRA85T10A562S")
        .await;
    tokio::time::sleep(Duration::from_millis(120)).await;
    let err = refused(
        p.redeem(&code, &req, LoginMethod::Spid, REDIRECT, chrono::Utc::now())
            .await,
    );
    assert!(err.contains("invalid_grant"), "{err}");
}

#[tokio::test]
async fn the_token_endpoint_authenticates_the_client() {
    let idp = start().await;
    let wrong = OidcProvider::new(OidcSettings {
        client_secret: "sbagliato".into(),
        ..idp.settings()
    });
    let req = AuthRequest::new();
    let code = idp
        .code(&wrong, &req, LoginMethod::Spid, "RSSMRA85T10A562S")
        .await;
    let err = refused(
        wrong
            .redeem(&code, &req, LoginMethod::Spid, REDIRECT, chrono::Utc::now())
            .await,
    );
    assert!(
        err.contains("401") && err.contains("invalid_client"),
        "{err}"
    );

    let ok = Some((DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET));
    type Case<'a> = (
        Option<(&'a str, &'a str)>,
        &'a [(&'a str, &'a str)],
        u16,
        &'a str,
    );
    let cases: [Case; 4] = [
        (
            None,
            &[("grant_type", "authorization_code")],
            401,
            "invalid_client",
        ),
        (
            ok,
            &[("grant_type", "password")],
            400,
            "unsupported_grant_type",
        ),
        (
            ok,
            &[
                ("grant_type", "authorization_code"),
                ("code", "x"),
                ("redirect_uri", REDIRECT),
            ],
            400,
            "invalid_request",
        ),
        (
            ok,
            &[
                ("grant_type", "authorization_code"),
                ("code", "x"),
                ("redirect_uri", REDIRECT),
                ("code_verifier", "y"),
            ],
            400,
            "invalid_grant",
        ),
    ];
    for (auth, form, status, error) in cases {
        let (s, body) = idp.token_request(auth, form).await;
        assert_eq!(
            (s, body["error"].as_str().unwrap()),
            (status, error),
            "{form:?}"
        );
    }
}

#[tokio::test]
async fn a_rotated_key_is_fetched_again_at_most_once_a_minute() {
    let idp = start().await;
    let patient = idp.provider();
    let eager = idp.provider().with_jwks_refresh_interval(Duration::ZERO);
    assert!(idp
        .login(&patient, LoginMethod::Spid, "RSSMRA85T10A562S")
        .await
        .is_ok());
    assert!(idp
        .login(&eager, LoginMethod::Spid, "RSSMRA85T10A562S")
        .await
        .is_ok());
    assert_eq!(idp.sim.dev_idp().jwks_served(), 2);

    let resp = idp.control("rotate-key", json!({})).await;
    assert_eq!(resp.status(), 200);
    // The unknown key is fetched again right away...
    assert!(idp
        .login(&eager, LoginMethod::Spid, "RSSMRA85T10A562S")
        .await
        .is_ok());
    assert_eq!(idp.sim.dev_idp().jwks_served(), 3);
    // ...but not within a minute of the last fetch.
    let err = refused(
        idp.login(&patient, LoginMethod::Spid, "RSSMRA85T10A562S")
            .await,
    );
    assert!(err.contains("key"), "{err}");
    assert_eq!(idp.sim.dev_idp().jwks_served(), 3);
}

#[tokio::test]
async fn discovery_must_name_the_configured_issuer() {
    let idp = start().await;
    let req = AuthRequest::new();
    let slash = OidcProvider::new(OidcSettings {
        issuer: format!("{}/", idp.sim.dev_idp().issuer()),
        ..idp.settings()
    });
    match slash.authorize_url(&req, LoginMethod::Spid, REDIRECT).await {
        Err(LoginError::Unavailable(why)) => assert!(why.contains("issuer"), "{why}"),
        other => panic!("{other:?}"),
    }
    // Nothing listens there.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let gone = format!("http://{}/oidc", listener.local_addr().unwrap());
    drop(listener);
    let down = OidcProvider::new(OidcSettings {
        issuer: gone,
        ..idp.settings()
    });
    assert!(matches!(
        down.authorize_url(&req, LoginMethod::Spid, REDIRECT).await,
        Err(LoginError::Unavailable(_))
    ));
    assert!(matches!(
        down.redeem("c", &req, LoginMethod::Spid, REDIRECT, chrono::Utc::now())
            .await,
        Err(LoginError::Unavailable(_))
    ));
}

#[tokio::test]
async fn discovery_and_jwks_documents() {
    let idp = start().await;
    let issuer = idp.sim.dev_idp().issuer().to_owned();
    assert_eq!(issuer, format!("{}/oidc", idp.base));
    let doc: Value = idp
        .http
        .get(format!("{issuer}/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["issuer"], issuer.as_str());
    assert_eq!(doc["token_endpoint"], format!("{issuer}/token"));
    assert_eq!(doc["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(doc["userinfo_endpoint"], format!("{issuer}/userinfo"));
    assert_eq!(doc["claims_parameter_supported"], true);
    let jwks: Value = idp
        .http
        .get(format!("{issuer}/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks["keys"][0]["kty"], "EC");
    assert_eq!(jwks["keys"][0]["alg"], "ES256");
    assert!(shared::auth::jwt::Jwks::from_value(&jwks).unwrap().len() == 1);
}
