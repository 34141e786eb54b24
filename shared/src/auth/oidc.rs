//! The portal as an OpenID Connect relying party (authorization code flow with
//! PKCE S256, nonce and state) of an identity gateway for SPID, CIE and CNS
//! (e.g. IAM Proxy Italia).
//!
//! The flow: the login handler creates an [`AuthRequest`], keeps it server side
//! (keyed by its `state`) and sends the browser to
//! [`IdentityProvider::authorize_url`]; the callback handler finds the request by
//! the returned `state` (checking it with [`AuthRequest::state_matches`]) and calls
//! [`IdentityProvider::redeem`] with the returned `code`, which yields the
//! citizen's [`Identity`].
//!
//! The fiscal code and the names come from the ID token or, when it does not
//! carry the fiscal code (as SPID and CIE OpenID Connect providers do), from the
//! UserInfo endpoint, as plain JSON or as a JWT signed by the provider. They
//! are asked for with the `claims` request parameter (OpenID Connect Core §5.5),
//! under every name of [`OidcSettings::fiscal_code_claims`].
//!
//! Nothing here logs tokens, codes or fiscal codes, and errors carry none of them.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::jwt::{self, Claims, Expectations, Jwks, TokenError};
use crate::domain::FiscalCode;

/// The SPID level the portal asks for (also honoured by gateways for CIE).
pub const ACR_SPID_L2: &str = "https://www.spid.gov.it/SpidL2";
/// Every call to the identity provider gives up after this long.
pub const HTTP_TIMEOUT: Duration = Duration::from_secs(10);
/// The JWKS is fetched again for an unknown key at most this often.
pub const JWKS_REFRESH_INTERVAL: Duration = Duration::from_secs(60);
/// Largest answer read from the identity provider.
const MAX_BODY: usize = 1024 * 1024;

/// `n` random bytes, base64url without padding.
pub fn random_token(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).expect("system randomness");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The PKCE S256 code challenge of a verifier (RFC 7636 §4.2):
/// base64url(SHA-256(ASCII(verifier))).
pub fn code_challenge_s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// One login attempt's secrets, kept server side between the redirect to the
/// identity provider and its callback.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthRequest {
    /// Binds the callback to this attempt (CSRF).
    pub state: String,
    /// Binds the ID token to this attempt (replay).
    pub nonce: String,
    /// PKCE: binds the code to this attempt.
    pub code_verifier: String,
}

impl fmt::Debug for AuthRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuthRequest { .. }")
    }
}

impl Default for AuthRequest {
    fn default() -> Self {
        Self::new()
    }
}

impl AuthRequest {
    /// Fresh random state, nonce and code verifier (32 bytes each, base64url).
    pub fn new() -> Self {
        Self {
            state: random_token(32),
            nonce: random_token(32),
            code_verifier: random_token(32),
        }
    }

    /// The PKCE S256 challenge of the code verifier.
    pub fn code_challenge(&self) -> String {
        code_challenge_s256(&self.code_verifier)
    }

    /// Whether the callback's `state` is this request's (constant time).
    pub fn state_matches(&self, state: &str) -> bool {
        !self.state.is_empty()
            && bool::from(subtle::ConstantTimeEq::ct_eq(
                self.state.as_bytes(),
                state.as_bytes(),
            ))
    }
}

/// How the citizen authenticates at the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LoginMethod {
    Spid,
    Cie,
    Cns,
}

impl LoginMethod {
    pub const ALL: [LoginMethod; 3] = [LoginMethod::Spid, LoginMethod::Cie, LoginMethod::Cns];

    /// `spid`, `cie` or `cns` (also the `idp_hint` sent to the gateway).
    pub fn code(self) -> &'static str {
        match self {
            LoginMethod::Spid => "spid",
            LoginMethod::Cie => "cie",
            LoginMethod::Cns => "cns",
        }
    }

    /// `SPID`, `CIE` or `CNS`, for pages.
    pub fn label(self) -> &'static str {
        match self {
            LoginMethod::Spid => "SPID",
            LoginMethod::Cie => "CIE",
            LoginMethod::Cns => "CNS",
        }
    }

    /// Parses a code (case-insensitive).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|m| m.code().eq_ignore_ascii_case(s.trim()))
    }
}

/// The authenticated citizen.
#[derive(Clone, PartialEq, Eq)]
pub struct Identity {
    pub fiscal_code: FiscalCode,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub method: LoginMethod,
    /// The ID token, for the provider's logout (`id_token_hint`).
    pub id_token: Option<String>,
}

impl fmt::Debug for Identity {
    /// Personal data stays out of debug output.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity")
            .field("fiscal_code", &self.fiscal_code.masked())
            .field("method", &self.method)
            .finish_non_exhaustive()
    }
}

/// Why a login did not succeed. The messages are for logs (in English, without
/// tokens, codes or personal data).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginError {
    /// The identity provider could not be reached or failed (network, timeout, 5xx,
    /// unusable discovery document or JWKS): try again later.
    #[error("identity provider unavailable: {0}")]
    Unavailable(String),
    /// The identity provider refused the code (4xx) or its ID token is invalid.
    #[error("login refused: {0}")]
    Refused(String),
}

/// The identity provider, as the login handlers see it.
#[async_trait]
pub trait IdentityProvider: Send + Sync {
    /// Where to send the browser to log in.
    async fn authorize_url(
        &self,
        req: &AuthRequest,
        method: LoginMethod,
        redirect_uri: &str,
    ) -> Result<String, LoginError>;

    /// Redeems the code of the callback and verifies the ID token.
    /// Where to send the browser so that the provider's own session ends too
    /// (OpenID Connect RP-initiated logout), when the provider offers it.
    async fn end_session_url(
        &self,
        id_token_hint: Option<&str>,
        post_logout_redirect_uri: &str,
    ) -> Result<Option<String>, LoginError>;

    /// `now` is the app's clock, against which the ID token's times are checked.
    async fn redeem(
        &self,
        code: &str,
        req: &AuthRequest,
        method: LoginMethod,
        redirect_uri: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Identity, LoginError>;
}

/// The relying party's registration at the identity provider.
#[derive(Clone, PartialEq, Eq)]
pub struct OidcSettings {
    /// Exactly as the provider's `iss` (e.g. `https://iam-proxy.example.it/oidc/op`).
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// The claims the fiscal code is read from, in order (`OIDC_FISCAL_CODE_CLAIMS`,
    /// default [`jwt::DEFAULT_FISCAL_CODE_CLAIMS`]).
    pub fiscal_code_claims: Vec<String>,
}

impl fmt::Debug for OidcSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OidcSettings")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("fiscal_code_claims", &self.fiscal_code_claims)
            .finish_non_exhaustive()
    }
}

impl OidcSettings {
    /// A registration reading the fiscal code from the default claims.
    pub fn new(issuer: &str, client_id: &str, client_secret: &str) -> Self {
        Self {
            issuer: issuer.to_owned(),
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            fiscal_code_claims: jwt::default_fiscal_code_claims(),
        }
    }

    /// From `OIDC_ISSUER`, `OIDC_CLIENT_ID` and `OIDC_CLIENT_SECRET`, and the
    /// optional `OIDC_FISCAL_CODE_CLAIMS` (comma-separated claim names, in order
    /// of preference; unset or empty: [`jwt::DEFAULT_FISCAL_CODE_CLAIMS`]). All
    /// three unset (or empty): `Ok(None)`, login disabled. A development issuer (plain
    /// http or loopback) is refused when running in AWS Lambda
    /// (`AWS_LAMBDA_FUNCTION_NAME` set): see [`check_issuer`].
    pub fn from_env() -> Result<Option<Self>, String> {
        Self::from_vars(
            |name| std::env::var(name).ok(),
            std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some(),
        )
    }

    /// [`Self::from_env`] with the environment given.
    pub fn from_vars(
        var: impl Fn(&str) -> Option<String>,
        in_lambda: bool,
    ) -> Result<Option<Self>, String> {
        let get = |name: &str| {
            var(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        match (
            get("OIDC_ISSUER"),
            get("OIDC_CLIENT_ID"),
            get("OIDC_CLIENT_SECRET"),
        ) {
            (None, None, None) => Ok(None),
            (Some(issuer), Some(client_id), Some(client_secret)) => {
                check_issuer(&issuer, in_lambda)?;
                let fiscal_code_claims = match get("OIDC_FISCAL_CODE_CLAIMS") {
                    Some(list) => parse_claim_names(&list)?,
                    None => jwt::default_fiscal_code_claims(),
                };
                Ok(Some(Self {
                    issuer,
                    client_id,
                    client_secret,
                    fiscal_code_claims,
                }))
            }
            _ => Err(
                "OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET must be set together".into(),
            ),
        }
    }
}

/// `OIDC_FISCAL_CODE_CLAIMS`: comma-separated claim names (spaces around them
/// ignored), at least one, none with spaces or control characters inside.
fn parse_claim_names(list: &str) -> Result<Vec<String>, String> {
    let names: Vec<String> = list
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .collect();
    if names.is_empty() {
        return Err("OIDC_FISCAL_CODE_CLAIMS names no claim".into());
    }
    if let Some(bad) = names
        .iter()
        .find(|n| n.chars().any(|c| c.is_whitespace() || c.is_control()) || n.len() > 200)
    {
        return Err(format!(
            "OIDC_FISCAL_CODE_CLAIMS: {bad:?} is not a claim name"
        ));
    }
    Ok(names)
}

/// The `claims` request parameter (OpenID Connect Core §5.5): the fiscal code
/// (essential) under each of `fiscal_code_claims`, and the given and family
/// names, both in the ID token and from UserInfo. Providers deliver what they
/// have where they deliver it; the ID token's `acr` is asked with `acr_values`.
pub fn claims_request(fiscal_code_claims: &[String]) -> String {
    let mut wanted = serde_json::Map::new();
    for name in fiscal_code_claims {
        wanted.insert(name.clone(), serde_json::json!({ "essential": true }));
    }
    wanted.insert("given_name".into(), Value::Null);
    wanted.insert("family_name".into(), Value::Null);
    serde_json::json!({ "id_token": wanted, "userinfo": wanted }).to_string()
}

/// Whether a host name is this machine: `localhost`, `*.localhost`, loopback or
/// unspecified addresses, and numeric forms a resolver may read as one (`127.1`,
/// `2130706433`, `0x7f.0.0.1`).
fn is_local_host(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() || host == "localhost" || host.ends_with(".localhost") {
        return true;
    }
    if let Ok(ip) = host.parse::<IpAddr>() {
        return match ip {
            IpAddr::V4(v4) => v4.is_loopback() || v4.is_unspecified(),
            IpAddr::V6(v6) => {
                v6.is_loopback()
                    || v6.is_unspecified()
                    || v6
                        .to_ipv4_mapped()
                        .is_some_and(|v4| v4.is_loopback() || v4.is_unspecified())
            }
        };
    }
    let numeric_label = |l: &str| {
        !l.is_empty()
            && (l.bytes().all(|b| b.is_ascii_digit())
                || l.strip_prefix("0x")
                    .is_some_and(|h| h.bytes().all(|b| b.is_ascii_hexdigit())))
    };
    // Numeric, but not a plain dotted quad: treat as suspicious.
    host.split('.').all(numeric_label) && host.parse::<Ipv4Addr>().is_err()
}

/// The safety rule that keeps the development identity provider out of a
/// deployed stack: an issuer must be an absolute `http(s)` URL without user
/// info, query or fragment; a development issuer (`http://`, or a loopback
/// host) is accepted only outside AWS Lambda.
pub fn check_issuer(issuer: &str, in_lambda: bool) -> Result<(), String> {
    let bad = |why: &str| Err(format!("OIDC_ISSUER {issuer:?} {why}"));
    if issuer.contains(['?', '#']) || issuer.contains(char::is_whitespace) {
        return bad("must not have a query, a fragment or spaces");
    }
    let Ok(uri) = issuer.parse::<hyper::Uri>() else {
        return bad("is not a URL");
    };
    let https = match uri.scheme_str() {
        Some("https") => true,
        Some("http") => false,
        _ => return bad("must be an https URL"),
    };
    let Some(authority) = uri.authority() else {
        return bad("has no host");
    };
    if authority.as_str().contains('@') {
        return bad("must not contain user information");
    }
    if authority.host().is_empty() {
        return bad("has no host");
    }
    let development = !https || is_local_host(authority.host());
    if development && in_lambda {
        return bad(
            "is a development issuer (plain http or a loopback host): refused in AWS Lambda",
        );
    }
    Ok(())
}

/// The provider's endpoints, from its discovery document.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Discovery {
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
    /// RP-initiated logout, when the provider offers it.
    end_session_endpoint: Option<String>,
    /// Where the fiscal code and names are read when the ID token lacks them.
    userinfo_endpoint: Option<String>,
}

#[derive(Default)]
struct JwksCache {
    keys: Option<Arc<Jwks>>,
    fetched: Option<Instant>,
}

/// An OpenID Connect provider reached over HTTP(S): discovery document fetched
/// once (lazily), JWKS cached, client authentication `client_secret_basic`.
pub struct OidcProvider {
    settings: OidcSettings,
    client: crate::net::LazyClient,
    discovery: Mutex<Option<Arc<Discovery>>>,
    jwks: Mutex<JwksCache>,
    jwks_refresh: Duration,
}

impl fmt::Debug for OidcProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OidcProvider")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// An OAuth2 error code fit for a log line.
fn error_code(body: &[u8]) -> String {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v["error"].as_str().map(str::to_owned))
        .map(|e| {
            e.chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                .take(40)
                .collect()
        })
        .unwrap_or_default()
}

fn endpoint(doc: &Value, name: &str, https: bool) -> Result<String, LoginError> {
    let url = doc[name]
        .as_str()
        .ok_or_else(|| LoginError::Unavailable(format!("discovery document without {name}")))?;
    let ok = url
        .parse::<hyper::Uri>()
        .ok()
        .filter(|u| u.host().is_some_and(|h| !h.is_empty()))
        .and_then(|u| u.scheme_str().map(str::to_owned))
        .is_some_and(|s| s == "https" || (!https && s == "http"));
    if ok {
        Ok(url.to_owned())
    } else {
        Err(LoginError::Unavailable(format!(
            "discovery document: {name} is not a usable URL"
        )))
    }
}

impl OidcProvider {
    pub fn new(settings: OidcSettings) -> Self {
        Self {
            settings,
            client: crate::net::LazyClient::default(),
            discovery: Mutex::default(),
            jwks: Mutex::default(),
            jwks_refresh: JWKS_REFRESH_INTERVAL,
        }
    }

    /// How often the JWKS may be fetched again for an unknown key (default
    /// [`JWKS_REFRESH_INTERVAL`]; tests of key rotation use zero).
    pub fn with_jwks_refresh_interval(mut self, interval: Duration) -> Self {
        self.jwks_refresh = interval;
        self
    }

    pub fn settings(&self) -> &OidcSettings {
        &self.settings
    }

    /// The TLS setup (reading the system's CA certificates) waits for the first
    /// login, as Checkout's does; plain http works too (development provider).
    fn client(&self) -> Result<&crate::net::HttpsClient, LoginError> {
        self.client.get().map_err(LoginError::Unavailable)
    }

    /// Sends a request and reads the answer, all within [`HTTP_TIMEOUT`].
    async fn send(
        &self,
        req: hyper::Request<Full<Bytes>>,
        what: &str,
    ) -> Result<(u16, Bytes), LoginError> {
        let (status, _, body) = self.send_typed(req, what).await?;
        Ok((status, body))
    }

    /// Sends a request and reads the answer and its `content-type`, all
    /// within [`HTTP_TIMEOUT`].
    async fn send_typed(
        &self,
        req: hyper::Request<Full<Bytes>>,
        what: &str,
    ) -> Result<(u16, String, Bytes), LoginError> {
        let client = self.client()?;
        let exchange = async {
            let resp = client
                .request(req)
                .await
                .map_err(|e| LoginError::Unavailable(format!("{what}: {e}")))?;
            let status = resp.status().as_u16();
            let content_type = resp
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let body = Limited::new(resp.into_body(), MAX_BODY)
                .collect()
                .await
                .map_err(|e| LoginError::Unavailable(format!("{what}: {e}")))?
                .to_bytes();
            Ok((status, content_type, body))
        };
        tokio::time::timeout(HTTP_TIMEOUT, exchange)
            .await
            .map_err(|_| LoginError::Unavailable(format!("{what}: timeout")))?
    }

    async fn get_json(&self, url: &str, what: &str) -> Result<Value, LoginError> {
        let req = hyper::Request::get(url)
            .header("accept", "application/json")
            .body(Full::new(Bytes::new()))
            .map_err(|e| LoginError::Unavailable(format!("{what}: {e}")))?;
        let (status, body) = self.send(req, what).await?;
        if status != 200 {
            return Err(LoginError::Unavailable(format!("{what}: HTTP {status}")));
        }
        serde_json::from_slice(&body)
            .map_err(|_| LoginError::Unavailable(format!("{what}: not JSON")))
    }

    async fn discovery(&self) -> Result<Arc<Discovery>, LoginError> {
        if let Some(d) = self.discovery.lock().expect("lock").clone() {
            return Ok(d);
        }
        let issuer = &self.settings.issuer;
        let url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let doc = self.get_json(&url, "discovery").await?;
        if doc["issuer"].as_str() != Some(issuer.as_str()) {
            return Err(LoginError::Unavailable(
                "discovery document: its issuer is not the configured one".into(),
            ));
        }
        let https = issuer.starts_with("https://");
        let d = Arc::new(Discovery {
            authorization_endpoint: endpoint(&doc, "authorization_endpoint", https)?,
            token_endpoint: endpoint(&doc, "token_endpoint", https)?,
            jwks_uri: endpoint(&doc, "jwks_uri", https)?,
            end_session_endpoint: match doc.get("end_session_endpoint") {
                Some(_) => Some(endpoint(&doc, "end_session_endpoint", https)?),
                None => None,
            },
            userinfo_endpoint: match doc.get("userinfo_endpoint") {
                Some(_) => Some(endpoint(&doc, "userinfo_endpoint", https)?),
                None => None,
            },
        });
        *self.discovery.lock().expect("lock") = Some(d.clone());
        Ok(d)
    }

    /// The cached JWKS; fetched when there is none, or when `refresh` and the last
    /// fetch is older than the refresh interval. `None`: a refresh was asked
    /// for but is not due.
    async fn jwks(&self, d: &Discovery, refresh: bool) -> Result<Option<Arc<Jwks>>, LoginError> {
        {
            let cache = self.jwks.lock().expect("lock");
            match (&cache.keys, refresh) {
                (Some(k), false) => return Ok(Some(k.clone())),
                (Some(_), true)
                    if cache
                        .fetched
                        .is_some_and(|t| t.elapsed() < self.jwks_refresh) =>
                {
                    return Ok(None)
                }
                _ => {}
            }
        }
        let doc = self.get_json(&d.jwks_uri, "jwks").await?;
        let keys =
            Arc::new(Jwks::from_value(&doc).map_err(|e| LoginError::Unavailable(e.to_string()))?);
        let mut cache = self.jwks.lock().expect("lock");
        cache.keys = Some(keys.clone());
        cache.fetched = Some(Instant::now());
        Ok(Some(keys))
    }

    /// What the ID token and UserInfo are checked against.
    fn expectations(&self, nonce: &str) -> Expectations {
        Expectations::new(&self.settings.issuer, &self.settings.client_id, nonce)
            .with_fiscal_code_claims(&self.settings.fiscal_code_claims)
    }

    /// Runs `check` with the cached JWKS, and once more with a fresh one
    /// (at most every refresh interval) when the key is unknown.
    async fn with_keys<T>(
        &self,
        d: &Discovery,
        check: impl Fn(&Jwks) -> Result<T, TokenError>,
        refused: impl Fn(TokenError) -> LoginError,
    ) -> Result<T, LoginError> {
        let keys = self.jwks(d, false).await?.expect("cached or fetched");
        match check(&keys) {
            Err(e @ (TokenError::UnknownKey | TokenError::MissingKeyId)) => {
                match self.jwks(d, true).await? {
                    Some(fresh) => check(&fresh).map_err(refused),
                    None => Err(refused(e)),
                }
            }
            other => other.map_err(refused),
        }
    }

    /// Verifies the ID token, fetching the JWKS again (once) for an unknown key.
    async fn verify(
        &self,
        d: &Discovery,
        token: &str,
        nonce: &str,
        now: i64,
    ) -> Result<Claims, LoginError> {
        let expect = self.expectations(nonce);
        self.with_keys(
            d,
            |keys| jwt::verify_id_token(token, keys, &expect, now),
            |e| LoginError::Refused(format!("invalid ID token: {e}")),
        )
        .await
    }

    /// The UserInfo answer for `access_token` (OpenID Connect Core §5.3): plain
    /// JSON, or a JWT verified as the ID token is; its `sub` must be `sub`.
    async fn userinfo(
        &self,
        d: &Discovery,
        endpoint: &str,
        access_token: &str,
        sub: &str,
        now: i64,
    ) -> Result<Claims, LoginError> {
        let req = hyper::Request::get(endpoint)
            .header("accept", "application/jwt, application/json")
            .header("authorization", format!("Bearer {access_token}"))
            .body(Full::new(Bytes::new()))
            .map_err(|_| LoginError::Unavailable("userinfo: invalid request".into()))?;
        let (status, content_type, body) = self.send_typed(req, "userinfo").await?;
        match status {
            200 => {}
            400..=499 => {
                return Err(LoginError::Refused(format!(
                    "userinfo endpoint answered {status}"
                )))
            }
            _ => {
                return Err(LoginError::Unavailable(format!(
                    "userinfo endpoint answered {status}"
                )))
            }
        }
        let expect = self.expectations("");
        let refused = |e: TokenError| LoginError::Refused(format!("invalid UserInfo: {e}"));
        let media = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match media.as_str() {
            "application/jwt" => {
                let token = std::str::from_utf8(&body)
                    .map_err(|_| refused(TokenError::Malformed("not text")))?
                    .trim();
                self.with_keys(
                    d,
                    |keys| jwt::verify_userinfo_jwt(token, keys, &expect, sub, now),
                    refused,
                )
                .await
            }
            "application/json" => {
                let answer: Value = serde_json::from_slice(&body)
                    .map_err(|_| refused(TokenError::Malformed("not JSON")))?;
                jwt::userinfo_claims(&answer, &expect, sub).map_err(refused)
            }
            _ => Err(LoginError::Refused(
                "userinfo endpoint answered neither application/json nor application/jwt".into(),
            )),
        }
    }
}

/// The citizen's fiscal code and names: from the ID token, or from UserInfo
/// where the ID token lacks them. No fiscal code in either: refused.
pub fn identity_of(
    id_token: &Claims,
    userinfo: Option<&Claims>,
) -> Result<(FiscalCode, Option<String>, Option<String>), LoginError> {
    let fiscal_code = id_token
        .fiscal_code
        .clone()
        .or_else(|| userinfo.and_then(|u| u.fiscal_code.clone()))
        .ok_or_else(|| {
            LoginError::Refused("no fiscal code in the ID token nor from UserInfo".into())
        })?;
    let name = |f: fn(&Claims) -> &Option<String>| {
        f(id_token)
            .clone()
            .or_else(|| userinfo.and_then(|u| f(u).clone()))
    };
    Ok((
        fiscal_code,
        name(|c| &c.given_name),
        name(|c| &c.family_name),
    ))
}

/// `client_secret_basic` (RFC 6749 §2.3.1: id and secret form-encoded first).
fn basic_auth(client_id: &str, secret: &str) -> String {
    let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", enc(client_id), enc(secret)))
    )
}

#[async_trait]
impl IdentityProvider for OidcProvider {
    async fn end_session_url(
        &self,
        id_token_hint: Option<&str>,
        post_logout_redirect_uri: &str,
    ) -> Result<Option<String>, LoginError> {
        let d = self.discovery().await?;
        let Some(end) = &d.end_session_endpoint else {
            return Ok(None);
        };
        let mut q = form_urlencoded::Serializer::new(String::new());
        q.append_pair("client_id", &self.settings.client_id)
            .append_pair("post_logout_redirect_uri", post_logout_redirect_uri);
        if let Some(hint) = id_token_hint {
            q.append_pair("id_token_hint", hint);
        }
        let sep = if end.contains('?') { '&' } else { '?' };
        Ok(Some(format!("{end}{sep}{}", q.finish())))
    }

    async fn authorize_url(
        &self,
        req: &AuthRequest,
        method: LoginMethod,
        redirect_uri: &str,
    ) -> Result<String, LoginError> {
        let d = self.discovery().await?;
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.settings.client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("scope", "openid profile")
            .append_pair("claims", &claims_request(&self.settings.fiscal_code_claims))
            .append_pair("state", &req.state)
            .append_pair("nonce", &req.nonce)
            .append_pair("code_challenge", &req.code_challenge())
            .append_pair("code_challenge_method", "S256")
            .append_pair("acr_values", ACR_SPID_L2)
            .append_pair("idp_hint", method.code())
            .finish();
        let sep = if d.authorization_endpoint.contains('?') {
            '&'
        } else {
            '?'
        };
        Ok(format!("{}{sep}{query}", d.authorization_endpoint))
    }

    async fn redeem(
        &self,
        code: &str,
        req: &AuthRequest,
        method: LoginMethod,
        redirect_uri: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Identity, LoginError> {
        if code.is_empty() {
            return Err(LoginError::Refused("empty authorization code".into()));
        }
        let d = self.discovery().await?;
        let form = form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "authorization_code")
            .append_pair("code", code)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("code_verifier", &req.code_verifier)
            .finish();
        let http = hyper::Request::post(&d.token_endpoint)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .header(
                "authorization",
                basic_auth(&self.settings.client_id, &self.settings.client_secret),
            )
            .body(Full::new(Bytes::from(form)))
            .map_err(|e| LoginError::Unavailable(format!("token: {e}")))?;
        let (status, body) = self.send(http, "token").await?;
        match status {
            200 => {}
            400..=499 => {
                return Err(LoginError::Refused(format!(
                    "token endpoint answered {status} {}",
                    error_code(&body)
                )))
            }
            _ => {
                return Err(LoginError::Unavailable(format!(
                    "token endpoint answered {status}"
                )))
            }
        }
        let answer: Value = serde_json::from_slice(&body)
            .map_err(|_| LoginError::Unavailable("token endpoint answered non-JSON".into()))?;
        let id_token = answer["id_token"]
            .as_str()
            .ok_or_else(|| LoginError::Refused("token endpoint answered no id_token".into()))?;
        let claims = self
            .verify(&d, id_token, &req.nonce, now.timestamp())
            .await?;
        check_acr(&claims.raw, ACR_SPID_L2)?;
        // UserInfo when the ID token lacks the fiscal code (required then), or a
        // name (then best effort: the fiscal code is what the login needs).
        let complete = claims.given_name.is_some() && claims.family_name.is_some();
        let userinfo = match (
            &d.userinfo_endpoint,
            answer["access_token"].as_str().filter(|t| !t.is_empty()),
        ) {
            _ if claims.fiscal_code.is_some() && complete => None,
            (Some(endpoint), Some(access_token)) => {
                match self
                    .userinfo(&d, endpoint, access_token, &claims.sub, now.timestamp())
                    .await
                {
                    Ok(u) => Some(u),
                    Err(e) if claims.fiscal_code.is_none() => return Err(e),
                    Err(e) => {
                        tracing::warn!("names not read from UserInfo: {e}");
                        None
                    }
                }
            }
            _ if claims.fiscal_code.is_none() => {
                return Err(LoginError::Refused(
                    "no fiscal code in the ID token, and no UserInfo endpoint or access token"
                        .into(),
                ))
            }
            _ => None,
        };
        let (fiscal_code, given_name, family_name) = identity_of(&claims, userinfo.as_ref())?;
        Ok(Identity {
            fiscal_code,
            given_name,
            family_name,
            method,
            id_token: Some(id_token.to_owned()),
        })
    }
}

/// The level of assurance of a SPID/CIE `acr` value (`…/SpidL1` to `…/SpidL3`).
fn acr_level(acr: &str) -> Option<u8> {
    let level = acr.strip_prefix("https://www.spid.gov.it/SpidL")?;
    match level {
        "1" => Some(1),
        "2" => Some(2),
        "3" => Some(3),
        _ => None,
    }
}

/// Refuses an ID token whose `acr` is missing or below the level asked for
/// (`acr_values`): a provider may authenticate at a lower level than asked.
pub fn check_acr(claims: &Value, asked: &str) -> Result<(), LoginError> {
    let want = acr_level(asked).unwrap_or(2);
    match claims["acr"].as_str().and_then(acr_level) {
        Some(got) if got >= want => Ok(()),
        Some(got) => Err(LoginError::Refused(format!(
            "invalid ID token: acr level {got} below the {want} asked for"
        ))),
        None => Err(LoginError::Refused(
            "invalid ID token: acr missing or unknown".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_level_of_assurance_must_be_the_one_asked_for_or_higher() {
        let acr = |v: &str| serde_json::json!({ "acr": v });
        assert!(check_acr(&acr(ACR_SPID_L2), ACR_SPID_L2).is_ok());
        assert!(check_acr(&acr("https://www.spid.gov.it/SpidL3"), ACR_SPID_L2).is_ok());
        for bad in [
            acr("https://www.spid.gov.it/SpidL1"),
            acr("https://www.spid.gov.it/SpidL9"),
            acr("SpidL2"),
            serde_json::json!({}),
        ] {
            assert!(check_acr(&bad, ACR_SPID_L2).is_err(), "{bad}");
        }
    }

    #[test]
    fn pkce_rfc7636_appendix_b() {
        assert_eq!(
            code_challenge_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        let req = AuthRequest {
            state: "s".into(),
            nonce: "n".into(),
            code_verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into(),
        };
        assert_eq!(
            req.code_challenge(),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn auth_requests_are_random_and_well_formed() {
        let a = AuthRequest::new();
        let b = AuthRequest::new();
        for s in [&a.state, &a.nonce, &a.code_verifier] {
            // 32 bytes: 43 base64url characters, a valid PKCE verifier (43..=128).
            assert_eq!(s.len(), 43);
            assert!(s
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        }
        assert_ne!(a.state, b.state);
        assert_ne!(a.nonce, a.state);
        assert_ne!(a.code_verifier, b.code_verifier);
        assert!(a.state_matches(&a.state.clone()));
        assert!(!a.state_matches(&b.state));
        assert!(!a.state_matches(""));
        assert_eq!(format!("{a:?}"), "AuthRequest { .. }");
        let json = serde_json::to_string(&a).unwrap();
        assert!(json.contains("codeVerifier"));
        assert_eq!(serde_json::from_str::<AuthRequest>(&json).unwrap(), a);
    }

    #[test]
    fn login_methods() {
        for m in LoginMethod::ALL {
            assert_eq!(LoginMethod::parse(m.code()), Some(m));
            assert_eq!(LoginMethod::parse(m.label()), Some(m));
        }
        assert_eq!(LoginMethod::Spid.code(), "spid");
        assert_eq!(LoginMethod::Cie.code(), "cie");
        assert_eq!(LoginMethod::Cns.code(), "cns");
        assert_eq!(LoginMethod::parse("eidas"), None);
        assert_eq!(serde_json::to_string(&LoginMethod::Cie).unwrap(), "\"cie\"");
    }

    #[test]
    fn issuer_rule() {
        for good in [
            "https://iam-proxy.example.it/oidc/op",
            "https://login.comune.example.it",
            "https://10.0.0.8/oidc",
        ] {
            assert!(check_issuer(good, true).is_ok(), "{good}");
            assert!(check_issuer(good, false).is_ok(), "{good}");
        }
        for dev in [
            "http://127.0.0.1:3001/oidc",
            "http://iam-proxy.example.it/oidc",
            "https://localhost/oidc",
            "https://LOCALHOST./oidc",
            "https://idp.localhost/oidc",
            "https://127.0.0.1/oidc",
            "https://127.8.9.1/oidc",
            "https://[::1]:8443/oidc",
            "https://[::ffff:127.0.0.1]/oidc",
            "https://0.0.0.0/oidc",
            "https://127.1/oidc",
            "https://2130706433/oidc",
            "https://0x7f.0.0.1/oidc",
        ] {
            assert!(check_issuer(dev, false).is_ok(), "{dev}");
            let err = check_issuer(dev, true).unwrap_err();
            assert!(err.contains("AWS Lambda"), "{dev}: {err}");
        }
        for bad in [
            "",
            "iam-proxy.example.it",
            "ftp://idp.example.it",
            "https://",
            "https://user:pw@idp.example.it/oidc",
            "https://idp.example.it/oidc?x=1",
            "https://idp.example.it/oidc#f",
            "https://idp.example.it/o idc",
        ] {
            assert!(check_issuer(bad, false).is_err(), "{bad}");
            assert!(check_issuer(bad, true).is_err(), "{bad}");
        }
    }

    #[test]
    fn settings_from_the_environment() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                vars.iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(OidcSettings::from_vars(env(&[]), true), Ok(None));
        assert_eq!(
            OidcSettings::from_vars(env(&[("OIDC_ISSUER", " "), ("OIDC_CLIENT_ID", "")]), true),
            Ok(None)
        );
        let dev = &[
            ("OIDC_ISSUER", "http://127.0.0.1:3001/oidc"),
            ("OIDC_CLIENT_ID", "portale-dev"),
            ("OIDC_CLIENT_SECRET", "portale-dev-secret"),
        ];
        let s = OidcSettings::from_vars(env(dev), false).unwrap().unwrap();
        assert_eq!(s.issuer, "http://127.0.0.1:3001/oidc");
        assert_eq!(s.client_id, "portale-dev");
        assert_eq!(s.client_secret, "portale-dev-secret");
        assert!(!format!("{s:?}").contains("portale-dev-secret"));
        assert!(OidcSettings::from_vars(env(dev), true).is_err());
        let prod = &[
            ("OIDC_ISSUER", "https://iam-proxy.example.it/oidc/op"),
            ("OIDC_CLIENT_ID", "portale"),
            ("OIDC_CLIENT_SECRET", "s3cret"),
        ];
        assert!(OidcSettings::from_vars(env(prod), true).unwrap().is_some());
        let partial = &[("OIDC_ISSUER", "https://iam-proxy.example.it/oidc/op")];
        assert!(OidcSettings::from_vars(env(partial), false).is_err());
    }

    #[test]
    fn fiscal_code_claims_from_the_environment() {
        let with = |list: &'static str| {
            move |name: &str| match name {
                "OIDC_ISSUER" => Some("https://iam-proxy.example.it/oidc/op".to_owned()),
                "OIDC_CLIENT_ID" => Some("portale".to_owned()),
                "OIDC_CLIENT_SECRET" => Some("s3cret".to_owned()),
                "OIDC_FISCAL_CODE_CLAIMS" => Some(list.to_owned()),
                _ => None,
            }
        };
        let names =
            |list| OidcSettings::from_vars(with(list), true).map(|s| s.unwrap().fiscal_code_claims);
        let default = jwt::default_fiscal_code_claims();
        assert_eq!(
            default,
            [
                "fiscal_number",
                "https://attributes.eid.gov.it/fiscal_number",
                "fiscalNumber",
                "https://attributes.spid.gov.it/fiscalNumber"
            ]
        );
        assert_eq!(names("").unwrap(), default);
        assert_eq!(names("  ").unwrap(), default);
        assert_eq!(
            names(" fiscalNumber, ,https://attributes.eid.gov.it/fiscal_number ").unwrap(),
            [
                "fiscalNumber",
                "https://attributes.eid.gov.it/fiscal_number"
            ]
        );
        assert!(names(",,").is_err());
        assert!(names("fiscal number").is_err());
        assert_eq!(
            OidcSettings::new("https://idp.example.it", "c", "s").fiscal_code_claims,
            default
        );
    }

    #[test]
    fn the_claims_parameter_asks_for_the_fiscal_code_and_names_everywhere() {
        let names = jwt::default_fiscal_code_claims();
        let asked: Value = serde_json::from_str(&claims_request(&names)).unwrap();
        for target in ["id_token", "userinfo"] {
            let wanted = asked[target].as_object().unwrap();
            assert_eq!(wanted.len(), names.len() + 2, "{target}");
            for name in &names {
                assert_eq!(
                    wanted[name],
                    serde_json::json!({"essential": true}),
                    "{name}"
                );
            }
            assert_eq!(wanted["given_name"], Value::Null);
            assert_eq!(wanted["family_name"], Value::Null);
        }
        assert_eq!(asked.as_object().unwrap().len(), 2);
        let one = claims_request(&["cf".to_owned()]);
        assert_eq!(
            serde_json::from_str::<Value>(&one).unwrap()["userinfo"]["cf"]["essential"],
            true
        );
    }

    fn claims(fiscal_code: Option<&str>, given: Option<&str>, family: Option<&str>) -> Claims {
        Claims {
            sub: "abc".into(),
            fiscal_code: fiscal_code.map(|f| FiscalCode::parse(f).unwrap()),
            given_name: given.map(str::to_owned),
            family_name: family.map(str::to_owned),
            raw: Value::Null,
        }
    }

    #[test]
    fn the_identity_comes_from_the_id_token_then_from_userinfo() {
        const MARIO: &str = "RSSMRA85T10A562S";
        const CHIARA: &str = "CNTCHR83T41D969D";
        let id = claims(Some(MARIO), Some("Mario"), None);
        let info = claims(Some(CHIARA), Some("Chiara"), Some("Conti"));
        // The ID token first, UserInfo for what it lacks.
        let (cf, given, family) = identity_of(&id, Some(&info)).unwrap();
        assert_eq!(
            (cf.as_str(), given.as_deref(), family.as_deref()),
            (MARIO, Some("Mario"), Some("Conti"))
        );
        // Only UserInfo has the fiscal code.
        let id = claims(None, None, None);
        let (cf, given, family) = identity_of(&id, Some(&info)).unwrap();
        assert_eq!(
            (cf.as_str(), given.as_deref(), family.as_deref()),
            (CHIARA, Some("Chiara"), Some("Conti"))
        );
        // Only the ID token, no UserInfo.
        let (cf, ..) = identity_of(&claims(Some(MARIO), None, None), None).unwrap();
        assert_eq!(cf.as_str(), MARIO);
        // Missing everywhere: refused.
        for info in [None, Some(&claims(None, Some("Chiara"), Some("Conti")))] {
            let err = identity_of(&id, info).unwrap_err();
            assert!(matches!(err, LoginError::Refused(_)), "{err}");
            assert!(err.to_string().contains("no fiscal code"), "{err}");
        }
    }

    #[test]
    fn client_secret_basic_encodes_first() {
        assert_eq!(
            basic_auth("a", "b"),
            format!("Basic {}", STANDARD.encode("a:b"))
        );
        assert_eq!(
            basic_auth("a:b", "c d+é"),
            format!("Basic {}", STANDARD.encode("a%3Ab:c+d%2B%C3%A9"))
        );
    }

    #[test]
    fn identity_debug_hides_the_fiscal_code() {
        let id = Identity {
            fiscal_code: FiscalCode::parse("RSSMRA85T10A562S").unwrap(),
            given_name: Some("Mario".into()),
            family_name: Some("Rossi".into()),
            method: LoginMethod::Spid,
            id_token: Some("eyJ.secret.token".into()),
        };
        let s = format!("{id:?}");
        assert!(
            !s.contains("RSSMRA85T10A562S") && !s.contains("Mario"),
            "{s}"
        );
    }

    #[test]
    fn oauth_error_codes_are_sanitised() {
        assert_eq!(error_code(br#"{"error":"invalid_grant"}"#), "invalid_grant");
        assert_eq!(error_code(br#"{"error":"a b\nc<script>"}"#), "abcscript");
        assert_eq!(error_code(b"<html>"), "");
    }
}
