//! The development identity provider: an OpenID Connect provider under `/oidc`
//! that plays the SPID/CIE gateway for local runs and tests. It lets anyone log
//! in as a test citizen, and it is never to be used in production: the portal
//! refuses a plain-http or loopback issuer when it runs in AWS Lambda
//! (`shared::auth::oidc::check_issuer`).
//!
//! - `GET /oidc/.well-known/openid-configuration`, `GET /oidc/jwks`;
//! - `GET /oidc/authorize`: checks the request and shows the test users;
//! - `POST /oidc/authorize`: the chosen user (or `Annulla`) back to `redirect_uri`;
//! - `POST /oidc/token`: `client_secret_basic`, single-use codes valid 60 s,
//!   PKCE S256; the ID token is ES256-signed with a key generated at start;
//! - `GET /oidc/userinfo` (or `POST`): the bearer access token of the token
//!   answer (valid as long as the ID token) → the citizen's claims, JSON.
//!
//! Test hooks: [`TokenMode`] (`POST /control/oidc/mode`) spoils the next ID
//! tokens; [`ClaimsDelivery`] (`POST /control/oidc/claims`) moves the fiscal code
//! and the names from the ID token to UserInfo, as SPID and CIE OpenID Connect
//! providers deliver them; `POST /control/oidc/rotate-key` replaces the signing key.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use http_body_util::Full;
use hyper::body::Bytes;
use hyper::header::HeaderMap;
use hyper::{Method, Response, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use shared::auth::oidc::{code_challenge_s256, random_token, ACR_SPID_L2};
use shared::domain::FiscalCode;

use crate::signer::{compact, JwtSigner};

/// The client id the development provider accepts by default.
pub const DEFAULT_CLIENT_ID: &str = "portale-dev";
/// The client secret the development provider accepts by default.
pub const DEFAULT_CLIENT_SECRET: &str = "portale-dev-secret";
/// How long an authorization code can be redeemed.
pub const CODE_TTL: Duration = Duration::from_secs(60);
/// How long an ID token is valid.
pub const ID_TOKEN_TTL_SECS: i64 = 300;

/// The relying party the development provider accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevIdpSettings {
    pub client_id: String,
    pub client_secret: String,
    /// Origins (`http://127.0.0.1:3000`) a `redirect_uri` may be on.
    pub redirect_origins: Vec<String>,
    /// How long a code can be redeemed ([`CODE_TTL`]).
    pub code_ttl: Duration,
}

impl DevIdpSettings {
    /// The default client (`portale-dev` / `portale-dev-secret`) redirecting to
    /// the portal at `portal_base` (and its `localhost` twin for `127.0.0.1`).
    pub fn for_portal(portal_base: &str) -> Self {
        let origin = portal_base.trim_end_matches('/').to_owned();
        let mut redirect_origins = vec![origin.clone()];
        if origin.contains("://127.0.0.1") {
            redirect_origins.push(origin.replacen("://127.0.0.1", "://localhost", 1));
        }
        Self {
            client_id: DEFAULT_CLIENT_ID.into(),
            client_secret: DEFAULT_CLIENT_SECRET.into(),
            redirect_origins,
            code_ttl: CODE_TTL,
        }
    }
}

/// A citizen one can log in as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TestUser {
    pub given_name: &'static str,
    pub family_name: &'static str,
    pub fiscal_code: &'static str,
    /// What the user is for, when not a citizen (its button names it first).
    pub role: Option<&'static str>,
}

impl TestUser {
    /// The text of its button on the login page.
    pub fn button_label(&self) -> String {
        match self.role {
            None => format!(
                "Entra come {} {} ({})",
                self.given_name, self.family_name, self.fiscal_code
            ),
            Some(role) => format!(
                "Entra come {role} ({} {}, {})",
                self.given_name, self.family_name, self.fiscal_code
            ),
        }
    }
}

/// The test users on the login page: the demo data's debtors, one with no
/// positions, and the operator of the operator console.
pub const TEST_USERS: [TestUser; 4] = [
    TestUser {
        given_name: "Mario",
        family_name: "Rossi",
        fiscal_code: "RSSMRA85T10A562S",
        role: None,
    },
    TestUser {
        given_name: "Chiara",
        family_name: "Conti",
        fiscal_code: "CNTCHR83T41D969D",
        role: None,
    },
    TestUser {
        given_name: "Luca",
        family_name: "Bianchi",
        fiscal_code: "BNCLCU90E12H501G",
        role: None,
    },
    TestUser {
        given_name: "Operatore",
        family_name: "Demo",
        fiscal_code: "VRDGPP80A01H501U",
        role: Some("Operatore"),
    },
];

/// The claim UserInfo carries the fiscal code under, when [`ClaimsDelivery`]
/// moves it there (the name of SPID and CIE OpenID Connect providers).
pub const USERINFO_FISCAL_CODE_CLAIM: &str = "https://attributes.eid.gov.it/fiscal_number";

/// How the next ID tokens are spoilt (tests of the relying party).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum TokenMode {
    /// Valid tokens.
    #[default]
    Normal,
    /// Expired ten minutes ago.
    Expired,
    /// `aud` is another client.
    WrongAudience,
    /// `alg: none`, empty signature.
    AlgNone,
    /// Signed by another key under the real `kid`.
    Forged,
    /// A nonce other than the request's.
    WrongNonce,
    /// Authentication of level 1 only (`acr` SpidL1), below what was asked.
    LowAssurance,
}

impl TokenMode {
    pub fn parse(s: &str) -> Option<Self> {
        serde_json::from_value(Value::String(s.to_owned())).ok()
    }
}

/// Where the next logins' fiscal code and names are delivered (tests of the
/// relying party's UserInfo path).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum ClaimsDelivery {
    /// In the ID token (`fiscal_number`), and in UserInfo too.
    #[default]
    IdToken,
    /// Only from UserInfo, plain JSON, under [`USERINFO_FISCAL_CODE_CLAIM`];
    /// the ID token has neither the fiscal code nor the names.
    UserinfoJson,
    /// As `UserinfoJson`, the answer a JWT signed with the ID tokens' key.
    UserinfoJwt,
    /// As `UserinfoJson`, with a `sub` other than the ID token's.
    UserinfoWrongSubject,
}

impl ClaimsDelivery {
    pub fn parse(s: &str) -> Option<Self> {
        serde_json::from_value(Value::String(s.to_owned())).ok()
    }
}

/// An issued access token: whose claims UserInfo answers with, and how.
struct Access {
    client_id: String,
    sub: String,
    fiscal_code: FiscalCode,
    delivery: ClaimsDelivery,
    expires: Instant,
}

/// An issued authorization code.
struct Grant {
    client_id: String,
    redirect_uri: String,
    code_challenge: String,
    nonce: String,
    fiscal_code: FiscalCode,
    issued: Instant,
}

/// The validated parameters of an authorization request.
struct AuthParams {
    redirect_uri: String,
    state: String,
    nonce: String,
    code_challenge: String,
    idp_hint: String,
}

/// Why an authorization request fails: shown on a page (the client or the
/// redirect URI cannot be trusted) or sent back to the client.
enum AuthFailure {
    Page(String),
    Redirect {
        redirect_uri: String,
        error: &'static str,
        description: String,
        state: Option<String>,
    },
}

/// The development identity provider's state.
pub struct DevIdp {
    issuer: String,
    settings: DevIdpSettings,
    /// The signing key; the previous one stays in the JWKS after a rotation.
    keys: Mutex<(Arc<JwtSigner>, Option<Arc<JwtSigner>>)>,
    /// Signs forged tokens.
    forger: JwtSigner,
    mode: Mutex<TokenMode>,
    delivery: Mutex<ClaimsDelivery>,
    grants: Mutex<HashMap<String, Grant>>,
    access_tokens: Mutex<HashMap<String, Access>>,
    userinfo_served: AtomicU64,
    jwks_served: AtomicU64,
    logouts: AtomicU64,
}

fn new_key() -> Arc<JwtSigner> {
    let key = JwtSigner::generate_es256("");
    let kid = format!("dev-idp-{}", &key.thumbprint()[..16]);
    Arc::new(key.with_kid(&kid))
}

fn esc(s: &str) -> String {
    shared::soap::xml::escape(s)
}

fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

/// `uri` with the parameters appended to its query.
fn with_query(uri: &str, params: &[(&str, &str)]) -> String {
    let mut ser = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        ser.append_pair(k, v);
    }
    let sep = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{sep}{}", ser.finish())
}

fn reply(status: StatusCode, content_type: &str, body: String) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .header("cache-control", "no-store")
        .body(Full::new(Bytes::from(body)))
        .expect("response")
}

fn json_ok(v: &Value) -> Response<Full<Bytes>> {
    reply(StatusCode::OK, "application/json", v.to_string())
}

/// An OAuth2 error answer (RFC 6749 §5.2).
fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response<Full<Bytes>> {
    let mut resp = reply(
        status,
        "application/json",
        json!({"error": error, "error_description": description}).to_string(),
    );
    if status == StatusCode::UNAUTHORIZED {
        resp.headers_mut().insert(
            "www-authenticate",
            hyper::header::HeaderValue::from_static("Basic realm=\"dev-idp\""),
        );
    }
    resp
}

fn found(to: &str) -> Response<Full<Bytes>> {
    Response::builder()
        .status(StatusCode::FOUND)
        .header("location", to)
        .header("cache-control", "no-store")
        .body(Full::new(Bytes::new()))
        .expect("response")
}

const STYLE: &str =
    "body{font-family:sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;line-height:1.5}\
.warning{border:2px solid #a61919;padding:.5rem 1rem;color:#5c0000}\
button{font-size:1rem;padding:.5rem 1rem;margin:.25rem 0;display:block}\
label{display:block;margin-top:.5rem}input{font-size:1rem;padding:.4rem}\
form{margin:1rem 0}";

const TITLE: &str = "Provider di identità di sviluppo — non usare in produzione";

fn page(status: StatusCode, body: &str) -> Response<Full<Bytes>> {
    reply(
        status,
        "text/html; charset=utf-8",
        format!(
            r#"<!doctype html><html lang="it"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{TITLE}</title><style>{STYLE}</style></head><body><main>
<h1>{TITLE}</h1>
{body}</main></body></html>"#
        ),
    )
}

/// `fiscal_number`: SPID's `TINIT-<CF>`.
fn fiscal_number(cf: &FiscalCode) -> String {
    format!("TINIT-{}", cf.as_str())
}

impl DevIdp {
    /// `issuer` is where browsers and the portal reach `/oidc` (`http://127.0.0.1:3001/oidc`).
    pub fn new(issuer: &str, settings: DevIdpSettings) -> Self {
        Self {
            issuer: issuer.trim_end_matches('/').to_owned(),
            settings,
            keys: Mutex::new((new_key(), None)),
            forger: JwtSigner::generate_es256("forger"),
            mode: Mutex::default(),
            delivery: Mutex::default(),
            grants: Mutex::default(),
            access_tokens: Mutex::default(),
            userinfo_served: AtomicU64::new(0),
            jwks_served: AtomicU64::new(0),
            logouts: AtomicU64::new(0),
        }
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn settings(&self) -> &DevIdpSettings {
        &self.settings
    }

    pub fn set_mode(&self, mode: TokenMode) {
        *self.mode.lock().expect("lock") = mode;
    }

    pub fn mode(&self) -> TokenMode {
        *self.mode.lock().expect("lock")
    }

    pub fn set_claims_delivery(&self, delivery: ClaimsDelivery) {
        *self.delivery.lock().expect("lock") = delivery;
    }

    pub fn claims_delivery(&self) -> ClaimsDelivery {
        *self.delivery.lock().expect("lock")
    }

    /// How many UserInfo answers the provider gave.
    pub fn userinfo_served(&self) -> u64 {
        self.userinfo_served.load(Ordering::SeqCst)
    }

    /// A new signing key under a new `kid`; the previous key stays in the JWKS.
    /// Returns the new `kid`.
    pub fn rotate_key(&self) -> String {
        let mut keys = self.keys.lock().expect("lock");
        let old = keys.0.clone();
        *keys = (new_key(), Some(old));
        keys.0.kid().to_owned()
    }

    /// How many times the JWKS was served.
    pub fn jwks_served(&self) -> u64 {
        self.jwks_served.load(Ordering::SeqCst)
    }

    /// How many logouts (end_session_endpoint) the provider saw.
    pub fn logouts(&self) -> u64 {
        self.logouts.load(Ordering::SeqCst)
    }

    fn discovery(&self) -> Value {
        let i = &self.issuer;
        json!({
            "issuer": i,
            "authorization_endpoint": format!("{i}/authorize"),
            "token_endpoint": format!("{i}/token"),
            "jwks_uri": format!("{i}/jwks"),
            "end_session_endpoint": format!("{i}/logout"),
            "userinfo_endpoint": format!("{i}/userinfo"),
            "userinfo_signing_alg_values_supported": ["ES256"],
            "claims_parameter_supported": true,
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["ES256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": ["openid", "profile"],
            "acr_values_supported": [ACR_SPID_L2],
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "acr",
                "fiscal_number", USERINFO_FISCAL_CODE_CLAIM, "given_name", "family_name"],
        })
    }

    fn jwks(&self) -> Value {
        self.jwks_served.fetch_add(1, Ordering::SeqCst);
        let keys = self.keys.lock().expect("lock");
        match &keys.1 {
            Some(old) => JwtSigner::jwks(&[&keys.0, old]),
            None => JwtSigner::jwks(&[&keys.0]),
        }
    }

    fn redirect_allowed(&self, uri: &str) -> bool {
        let parses = uri
            .parse::<hyper::Uri>()
            .is_ok_and(|u| matches!(u.scheme_str(), Some("http" | "https")));
        parses
            && !uri.contains('#')
            && self.settings.redirect_origins.iter().any(|o| {
                uri.strip_prefix(o.as_str())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '?']))
            })
    }

    /// Checks an authorization request (RFC 6749 §4.1.1, RFC 7636, OIDC Core §3.1.2.1).
    fn check_auth(&self, p: &HashMap<String, String>) -> Result<AuthParams, AuthFailure> {
        let get = |k: &str| p.get(k).map(String::as_str).unwrap_or_default();
        if get("client_id") != self.settings.client_id {
            return Err(AuthFailure::Page(format!(
                "Il client <code>{}</code> non è registrato presso questo provider (atteso <code>{}</code>).",
                esc(get("client_id")),
                esc(&self.settings.client_id)
            )));
        }
        let redirect_uri = get("redirect_uri").to_owned();
        if !self.redirect_allowed(&redirect_uri) {
            return Err(AuthFailure::Page(format!(
                "L'indirizzo di ritorno <code>{}</code> non è ammesso (origini ammesse: {}).",
                esc(&redirect_uri),
                esc(&self.settings.redirect_origins.join(", "))
            )));
        }
        let state = get("state").to_owned();
        let fail = |error: &'static str, description: &str| {
            Err(AuthFailure::Redirect {
                redirect_uri: redirect_uri.clone(),
                error,
                description: description.to_owned(),
                state: Some(state.clone()).filter(|s| !s.is_empty()),
            })
        };
        if get("response_type") != "code" {
            return fail(
                "unsupported_response_type",
                "only the authorization code flow (response_type=code)",
            );
        }
        if !get("scope").split(' ').any(|s| s == "openid") {
            return fail("invalid_scope", "scope must include openid");
        }
        if state.is_empty() {
            return fail("invalid_request", "state is required");
        }
        if get("nonce").is_empty() {
            return fail("invalid_request", "nonce is required");
        }
        if get("code_challenge_method") != "S256" {
            return fail("invalid_request", "code_challenge_method must be S256");
        }
        let challenge = get("code_challenge");
        if challenge.len() != 43
            || !challenge
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return fail(
                "invalid_request",
                "code_challenge must be a base64url SHA-256",
            );
        }
        Ok(AuthParams {
            redirect_uri: redirect_uri.clone(),
            state: state.clone(),
            nonce: get("nonce").to_owned(),
            code_challenge: challenge.to_owned(),
            idp_hint: get("idp_hint").to_owned(),
        })
    }

    fn failure(f: AuthFailure) -> Response<Full<Bytes>> {
        match f {
            AuthFailure::Page(why) => page(
                StatusCode::BAD_REQUEST,
                &format!("<h2>Richiesta di accesso non valida</h2><p>{why}</p>"),
            ),
            AuthFailure::Redirect {
                redirect_uri,
                error,
                description,
                state,
            } => {
                let mut params = vec![("error", error), ("error_description", &description)];
                if let Some(s) = &state {
                    params.push(("state", s));
                }
                found(&with_query(&redirect_uri, &params))
            }
        }
    }

    fn login_page(&self, query: &HashMap<String, String>, a: &AuthParams) -> Response<Full<Bytes>> {
        const FORWARDED: [&str; 10] = [
            "client_id",
            "redirect_uri",
            "response_type",
            "scope",
            "state",
            "nonce",
            "code_challenge",
            "code_challenge_method",
            "acr_values",
            "idp_hint",
        ];
        let hidden: String = FORWARDED
            .iter()
            .filter_map(|k| {
                query
                    .get(*k)
                    .map(|v| format!("<input type=\"hidden\" name=\"{k}\" value=\"{}\">", esc(v)))
            })
            .collect();
        let method = match a.idp_hint.as_str() {
            "spid" => "SPID",
            "cie" => "CIE",
            "cns" => "CNS",
            _ => "SPID o CIE",
        };
        let users: String = TEST_USERS
            .iter()
            .map(|u| {
                format!(
                    "<button type=\"submit\" name=\"user\" value=\"{}\">{}</button>",
                    u.fiscal_code,
                    esc(&u.button_label())
                )
            })
            .collect();
        page(
            StatusCode::OK,
            &format!(
                r#"<p class="warning" role="note"><strong>Attenzione:</strong> questo provider simula l'accesso con {method} per lo sviluppo e i test. Non verifica alcuna identità: chiunque può entrare come qualunque utente.</p>
<h2>Scegli un utente di prova</h2>
<form method="post" action="{issuer}/authorize">{hidden}{users}</form>
<h2>Oppure entra con un altro codice fiscale</h2>
<form method="post" action="{issuer}/authorize">{hidden}<label for="cf">Codice fiscale</label>
<input id="cf" name="user" type="text" autocomplete="off" spellcheck="false" required minlength="11" maxlength="16" pattern="[A-Za-z0-9]{{11,16}}">
<button type="submit">Entra</button></form>
<form method="post" action="{issuer}/authorize">{hidden}<button type="submit" name="action" value="cancel">Annulla</button></form>"#,
                issuer = esc(&self.issuer)
            ),
        )
    }

    fn user(fiscal_code: &FiscalCode) -> Option<&'static TestUser> {
        TEST_USERS
            .iter()
            .find(|u| u.fiscal_code == fiscal_code.as_str())
    }

    fn authorize_post(&self, form: &HashMap<String, String>) -> Response<Full<Bytes>> {
        let a = match self.check_auth(form) {
            Ok(a) => a,
            Err(f) => return Self::failure(f),
        };
        if form.get("action").map(String::as_str) == Some("cancel") {
            return found(&with_query(
                &a.redirect_uri,
                &[
                    ("error", "access_denied"),
                    ("error_description", "the user cancelled the login"),
                    ("state", &a.state),
                ],
            ));
        }
        let user = form.get("user").map(String::as_str).unwrap_or_default();
        let Ok(fiscal_code) = FiscalCode::parse(user) else {
            return page(
                StatusCode::BAD_REQUEST,
                "<h2>Codice fiscale non valido</h2><p>Torna indietro e scegli un utente di prova o inserisci un codice fiscale valido.</p>",
            );
        };
        let code = random_token(32);
        let grant = Grant {
            client_id: self.settings.client_id.clone(),
            redirect_uri: a.redirect_uri.clone(),
            code_challenge: a.code_challenge,
            nonce: a.nonce,
            fiscal_code,
            issued: Instant::now(),
        };
        {
            let mut grants = self.grants.lock().expect("lock");
            let ttl = self.settings.code_ttl;
            grants.retain(|_, g| g.issued.elapsed() <= ttl);
            grants.insert(code.clone(), grant);
        }
        found(&with_query(
            &a.redirect_uri,
            &[("code", &code), ("state", &a.state)],
        ))
    }

    /// The client of `client_secret_basic`, if its credentials are right.
    fn authenticate(&self, headers: &HeaderMap) -> bool {
        let Some(encoded) = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Basic "))
        else {
            return false;
        };
        let Some(decoded) = STANDARD
            .decode(encoded.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
        else {
            return false;
        };
        let Some((id, secret)) = decoded.split_once(':') else {
            return false;
        };
        let dec = |s: &str| {
            form_urlencoded::parse(format!("x={s}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        };
        dec(id) == self.settings.client_id && dec(secret) == self.settings.client_secret
    }

    /// The pairwise-looking, stable subject of a citizen.
    fn subject(fiscal_code: &FiscalCode) -> String {
        let sub = Sha256::digest(format!("portale-dev-idp|{}", fiscal_code.as_str()));
        sub.iter().take(16).map(|b| format!("{b:02x}")).collect()
    }

    fn id_token(&self, grant: &Grant, delivery: ClaimsDelivery) -> String {
        let now = now_secs();
        let user = Self::user(&grant.fiscal_code);
        let sub = Self::subject(&grant.fiscal_code);
        let mut claims = json!({
            "iss": self.issuer,
            "sub": sub,
            "aud": grant.client_id,
            "iat": now,
            "auth_time": now,
            "exp": now + ID_TOKEN_TTL_SECS,
            "nonce": grant.nonce,
            "acr": ACR_SPID_L2,
            "fiscal_number": fiscal_number(&grant.fiscal_code),
        });
        if let Some(u) = user {
            claims["given_name"] = json!(u.given_name);
            claims["family_name"] = json!(u.family_name);
        }
        if delivery != ClaimsDelivery::IdToken {
            for name in ["fiscal_number", "given_name", "family_name"] {
                claims.as_object_mut().expect("object").remove(name);
            }
        }
        let key = self.keys.lock().expect("lock").0.clone();
        match self.mode() {
            TokenMode::Normal => key.sign(&claims),
            TokenMode::Expired => {
                claims["iat"] = json!(now - 900);
                claims["auth_time"] = json!(now - 900);
                claims["exp"] = json!(now - 600);
                key.sign(&claims)
            }
            TokenMode::WrongAudience => {
                claims["aud"] = json!("un-altro-client");
                key.sign(&claims)
            }
            TokenMode::WrongNonce => {
                claims["nonce"] = json!(random_token(16));
                key.sign(&claims)
            }
            TokenMode::LowAssurance => {
                claims["acr"] = json!("https://www.spid.gov.it/SpidL1");
                key.sign(&claims)
            }
            TokenMode::AlgNone => compact(&json!({"alg": "none", "typ": "JWT"}), &claims, b""),
            TokenMode::Forged => self.forger.sign_with_header(&key.header(), &claims),
        }
    }

    fn token(&self, headers: &HeaderMap, body: &[u8]) -> Response<Full<Bytes>> {
        if !self.authenticate(headers) {
            return oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "client_secret_basic with the registered client id and secret",
            );
        }
        let form: HashMap<String, String> = form_urlencoded::parse(body).into_owned().collect();
        let get = |k: &str| form.get(k).map(String::as_str).unwrap_or_default();
        if get("grant_type") != "authorization_code" {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "only authorization_code",
            );
        }
        if form
            .get("client_id")
            .is_some_and(|c| *c != self.settings.client_id)
        {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "client_id differs from the authenticated client",
            );
        }
        for required in ["code", "redirect_uri", "code_verifier"] {
            if get(required).is_empty() {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    &format!("{required} is required"),
                );
            }
        }
        // A code is consumed by any attempt to redeem it.
        let grant = self.grants.lock().expect("lock").remove(get("code"));
        let invalid = |why: &str| oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", why);
        let Some(grant) = grant else {
            return invalid("unknown, used or expired code");
        };
        if grant.issued.elapsed() > self.settings.code_ttl {
            return invalid("unknown, used or expired code");
        }
        if grant.client_id != self.settings.client_id {
            return invalid("the code was issued to another client");
        }
        if grant.redirect_uri != get("redirect_uri") {
            return invalid("redirect_uri differs from the authorization request's");
        }
        if code_challenge_s256(get("code_verifier")) != grant.code_challenge {
            return invalid("code_verifier does not match the code_challenge");
        }
        let delivery = self.claims_delivery();
        let access_token = random_token(32);
        {
            let mut tokens = self.access_tokens.lock().expect("lock");
            tokens.retain(|_, a| a.expires > Instant::now());
            tokens.insert(
                access_token.clone(),
                Access {
                    client_id: grant.client_id.clone(),
                    sub: Self::subject(&grant.fiscal_code),
                    fiscal_code: grant.fiscal_code.clone(),
                    delivery,
                    expires: Instant::now() + Duration::from_secs(ID_TOKEN_TTL_SECS as u64),
                },
            );
        }
        json_ok(&json!({
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": ID_TOKEN_TTL_SECS,
            "scope": "openid profile",
            "id_token": self.id_token(&grant, delivery),
        }))
    }

    /// The UserInfo endpoint (OpenID Connect Core §5.3): the bearer access token
    /// of a token answer → the citizen's claims, JSON or a signed JWT.
    fn userinfo(&self, headers: &HeaderMap) -> Response<Full<Bytes>> {
        let token = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .unwrap_or_default();
        let found = {
            let tokens = self.access_tokens.lock().expect("lock");
            tokens
                .get(token)
                .filter(|a| a.expires > Instant::now())
                .map(|a| {
                    (
                        a.client_id.clone(),
                        a.sub.clone(),
                        a.fiscal_code.clone(),
                        a.delivery,
                    )
                })
        };
        let Some((client_id, sub, fiscal_code, delivery)) = found else {
            let mut resp = oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                "unknown or expired access token",
            );
            resp.headers_mut().insert(
                "www-authenticate",
                hyper::header::HeaderValue::from_static("Bearer error=\"invalid_token\""),
            );
            return resp;
        };
        self.userinfo_served.fetch_add(1, Ordering::SeqCst);
        let mut claims = json!({ "sub": sub });
        let name = match delivery {
            ClaimsDelivery::IdToken => "fiscal_number",
            _ => USERINFO_FISCAL_CODE_CLAIM,
        };
        claims[name] = json!(fiscal_number(&fiscal_code));
        if let Some(u) = Self::user(&fiscal_code) {
            claims["given_name"] = json!(u.given_name);
            claims["family_name"] = json!(u.family_name);
        }
        match delivery {
            ClaimsDelivery::UserinfoJwt => {
                let now = now_secs();
                claims["iss"] = json!(self.issuer);
                claims["aud"] = json!(client_id);
                claims["iat"] = json!(now);
                claims["exp"] = json!(now + ID_TOKEN_TTL_SECS);
                let key = self.keys.lock().expect("lock").0.clone();
                reply(StatusCode::OK, "application/jwt", key.sign(&claims))
            }
            ClaimsDelivery::UserinfoWrongSubject => {
                claims["sub"] = json!(Self::subject(
                    &FiscalCode::parse(TEST_USERS[1].fiscal_code).expect("valid")
                ));
                json_ok(&claims)
            }
            ClaimsDelivery::IdToken | ClaimsDelivery::UserinfoJson => json_ok(&claims),
        }
    }

    /// Serves `/oidc/...`; `rest` is the path after `oidc`.
    pub fn route(
        &self,
        method: &Method,
        rest: &[&str],
        query: &HashMap<String, String>,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Response<Full<Bytes>> {
        match (method, rest) {
            (&Method::GET, [".well-known", "openid-configuration"]) => json_ok(&self.discovery()),
            (&Method::GET, ["jwks"]) => json_ok(&self.jwks()),
            (&Method::GET, ["authorize"]) => match self.check_auth(query) {
                Ok(a) => self.login_page(query, &a),
                Err(f) => Self::failure(f),
            },
            (&Method::POST, ["authorize"]) => {
                let form: HashMap<String, String> =
                    form_urlencoded::parse(body).into_owned().collect();
                self.authorize_post(&form)
            }
            (&Method::POST, ["token"]) => self.token(headers, body),
            (&Method::GET | &Method::POST, ["userinfo"]) => self.userinfo(headers),
            // RP-initiated logout: the provider's session ends (it keeps none
            // here) and the browser goes back to a registered address.
            (&Method::GET, ["logout"]) => match query.get("post_logout_redirect_uri") {
                Some(to) if self.redirect_allowed(to) => {
                    self.logouts.fetch_add(1, Ordering::SeqCst);
                    found(to)
                }
                _ => oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "post_logout_redirect_uri missing or not registered",
                ),
            },
            _ => reply(
                StatusCode::NOT_FOUND,
                "application/json",
                json!({"error": "not_found"}).to_string(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_users_have_valid_fiscal_codes() {
        for u in TEST_USERS {
            assert_eq!(
                FiscalCode::parse(u.fiscal_code).unwrap().as_str(),
                u.fiscal_code
            );
        }
    }

    #[test]
    fn test_user_buttons() {
        let labels: Vec<String> = TEST_USERS.iter().map(TestUser::button_label).collect();
        assert_eq!(
            labels,
            [
                "Entra come Mario Rossi (RSSMRA85T10A562S)",
                "Entra come Chiara Conti (CNTCHR83T41D969D)",
                "Entra come Luca Bianchi (BNCLCU90E12H501G)",
                "Entra come Operatore (Operatore Demo, VRDGPP80A01H501U)",
            ]
        );
    }

    #[test]
    fn claims_deliveries_parse() {
        assert_eq!(
            ClaimsDelivery::parse("userinfo-jwt"),
            Some(ClaimsDelivery::UserinfoJwt)
        );
        assert_eq!(
            ClaimsDelivery::parse("userinfo-json"),
            Some(ClaimsDelivery::UserinfoJson)
        );
        assert_eq!(
            ClaimsDelivery::parse("id-token"),
            Some(ClaimsDelivery::IdToken)
        );
        assert_eq!(ClaimsDelivery::parse("nope"), None);
    }

    #[test]
    fn modes_parse() {
        assert_eq!(TokenMode::parse("alg-none"), Some(TokenMode::AlgNone));
        assert_eq!(
            TokenMode::parse("wrong-audience"),
            Some(TokenMode::WrongAudience)
        );
        assert_eq!(TokenMode::parse("normal"), Some(TokenMode::Normal));
        assert_eq!(TokenMode::parse("nope"), None);
    }

    #[test]
    fn redirect_origins() {
        let idp = DevIdp::new(
            "http://127.0.0.1:3001/oidc",
            DevIdpSettings::for_portal("http://127.0.0.1:3000/"),
        );
        assert!(idp.redirect_allowed("http://127.0.0.1:3000/accesso/esito"));
        assert!(idp.redirect_allowed("http://localhost:3000/accesso/esito?x=1"));
        assert!(!idp.redirect_allowed("http://127.0.0.1:30001/accesso"));
        assert!(!idp.redirect_allowed("http://127.0.0.1:3000.evil.example/x"));
        assert!(!idp.redirect_allowed("http://127.0.0.1:3000/x#frag"));
        assert!(!idp.redirect_allowed("https://evil.example/"));
        assert!(!idp.redirect_allowed(""));
    }

    #[test]
    fn key_rotation_keeps_the_previous_key_published() {
        let idp = DevIdp::new("http://x/oidc", DevIdpSettings::for_portal("http://p"));
        let first = idp.jwks()["keys"][0]["kid"].clone();
        let kid = idp.rotate_key();
        let jwks = idp.jwks();
        assert_eq!(jwks["keys"][0]["kid"], kid.as_str());
        assert_eq!(jwks["keys"][1]["kid"], first);
        assert_eq!(idp.jwks_served(), 2);
    }
}
