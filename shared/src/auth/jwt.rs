//! Verification of an OpenID Connect ID token (a compact JWS, RFC 7515/7519)
//! against the identity provider's JWKS (RFC 7517). Pure: no I/O, no clock.
//!
//! Only `RS256` (RSASSA-PKCS1-v1_5 with SHA-256, keys of 2048 to 8192 bits) and
//! `ES256` (ECDSA P-256 with SHA-256, the 64-byte `r || s` signature of RFC 7518
//! §3.4) are accepted. The key is chosen by `kid` among the JWKS's keys and never
//! from the token's own header (`jwk`, `jku`, `x5u`, `x5c` are ignored).
//!
//! # What `jsonwebtoken` does
//!
//! The JOSE formats and the cryptography, on aws-lc-rs (the provider rustls
//! already uses; no PEM support, no second crypto stack):
//! - reading each JWKS key ([`jsonwebtoken::jwk::Jwk`]) and making it a
//!   [`DecodingKey`];
//! - [`jsonwebtoken::decode`]: the header, the signature with the one algorithm
//!   allowed for this token and a key of its family (so neither an RSA key for
//!   `ES256` nor a public key used as an HMAC secret), the payload's base64url and
//!   JSON. aws-lc-rs itself refuses RSA moduli outside 2048..=8192 bits and ECDSA
//!   signatures other than the fixed 64-byte form;
//! - `iss` and `aud` against the expected issuer and client id, when they are
//!   present and of a form it reads. It also reads `exp`, `nbf` and `sub`: an
//!   array or object there can stop its reading of the whole payload, and the
//!   token is then refused as [`TokenError::Malformed`] rather than
//!   [`TokenError::InvalidClaim`].
//!
//! # What we still check ourselves, and why
//!
//! - Before `decode`: the length limit and the three parts; `alg` against our own
//!   allow-list, so that `none`, `HS256` and the rest are refused by name before
//!   any key is looked at; `crit`, which jsonwebtoken reads but does not act on
//!   (RFC 7515 §4.1.11: a token relying on extensions we do not understand is
//!   refused); the choice of the key by `kid` and whether it suits the token's
//!   `alg` (its type, and the JWK's own `alg` if any): jsonwebtoken verifies with
//!   the one key it is given, picking it is ours.
//! - In the JWKS: `use` must be `sig` if present, RSA keys must be of 2048 to 8192
//!   bits with an exponent of at most 33 bits, EC keys on P-256 with 32-byte
//!   coordinates. aws-lc-rs checks sizes only when verifying; checking them
//!   when the JWKS is read drops an unusable key instead of failing every token.
//! - `exp`, `iat` and `nbf` with our leeway against the `now` passed in:
//!   jsonwebtoken's time validation reads the system clock (and has no `iat`
//!   check), so it is turned off and no claim is required by it.
//! - The presence and form of `iss` (one string: jsonwebtoken also takes an
//!   array) and `aud` (jsonwebtoken skips an `aud` it cannot read, or calls it
//!   missing when required), each with its own error; `azp` when there are
//!   several audiences (OpenID Connect Core §3.1.3.7); the nonce (in constant
//!   time), `sub`, and the fiscal code (the first of
//!   [`Expectations::fiscal_code_claims`] present, `fiscal_number` first).
//!
//! # UserInfo
//!
//! A provider may deliver the fiscal code and the names only from its UserInfo
//! endpoint (as SPID and CIE OpenID Connect providers do). A signed UserInfo
//! answer (`application/jwt`) is verified by [`verify_userinfo_jwt`] with the same
//! key selection, algorithms, `iss` and `aud` checks as the ID token; a plain JSON
//! answer is read by [`userinfo_claims`]. Either way its `sub` must be the ID
//! token's (OpenID Connect Core §5.3.2).

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::domain::FiscalCode;

/// Longest token accepted (SPID/CIE ID tokens are a few kilobytes).
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

/// Why an ID token is refused. The messages are for logs: they carry no personal
/// data and no part of the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not three base64url parts of JSON objects, too long, or an unsupported critical header.
    #[error("malformed token: {0}")]
    Malformed(&'static str),
    /// `alg` is not RS256 or ES256 (`none`, `HS256`, ...).
    #[error("unsupported signature algorithm {0:?}")]
    UnsupportedAlgorithm(String),
    /// No `kid`, and the JWKS does not have exactly one usable key.
    #[error("the token names no key and the key set has more than one")]
    MissingKeyId,
    /// The `kid` is not in the JWKS.
    #[error("the token's key is not in the key set")]
    UnknownKey,
    /// The key's type (or declared `alg`) does not match the token's `alg`.
    #[error("the token's algorithm does not match its key")]
    KeyMismatch,
    #[error("invalid signature")]
    BadSignature,
    #[error("missing claim {0}")]
    MissingClaim(&'static str),
    /// A claim of the wrong JSON type or form.
    #[error("invalid claim {0}")]
    InvalidClaim(&'static str),
    #[error("wrong issuer")]
    WrongIssuer,
    #[error("the token is not meant for this client (aud)")]
    WrongAudience,
    #[error("the token was issued to another party (azp)")]
    WrongAuthorizedParty,
    #[error("the token has expired")]
    Expired,
    #[error("the token was issued in the future (iat)")]
    IssuedInFuture,
    #[error("the token is not valid yet (nbf)")]
    NotYetValid,
    #[error("wrong nonce")]
    WrongNonce,
    /// The fiscal code claim is not a valid codice fiscale (`TINIT-<CF>` or a bare CF).
    #[error("invalid fiscal code claim")]
    InvalidFiscalNumber,
    /// The UserInfo answer's `sub` is not the ID token's.
    #[error("the UserInfo subject is not the ID token's (sub)")]
    WrongSubject,
}

/// The claims the fiscal code is read from, in this order (the first present
/// wins): OpenID Connect gateways' `fiscal_number`, the CIE/SPID OpenID Connect
/// Federation attribute, SPID's SAML attribute name, and its URI form.
pub const DEFAULT_FISCAL_CODE_CLAIMS: [&str; 4] = [
    "fiscal_number",
    "https://attributes.eid.gov.it/fiscal_number",
    "fiscalNumber",
    "https://attributes.spid.gov.it/fiscalNumber",
];

/// [`DEFAULT_FISCAL_CODE_CLAIMS`], owned.
pub fn default_fiscal_code_claims() -> Vec<String> {
    DEFAULT_FISCAL_CODE_CLAIMS
        .iter()
        .map(|s| (*s).to_owned())
        .collect()
}

/// What the relying party expects of the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectations {
    /// The issuer, compared exactly with `iss`.
    pub issuer: String,
    /// The client id: must be in `aud`.
    pub audience: String,
    /// The nonce sent in the authorization request.
    pub nonce: String,
    /// Clock skew tolerated on `exp`, `iat` and `nbf`.
    pub leeway_secs: i64,
    /// Where the fiscal code is read from, in order ([`DEFAULT_FISCAL_CODE_CLAIMS`]).
    pub fiscal_code_claims: Vec<String>,
}

impl Expectations {
    /// The default leeway (60 s).
    pub const LEEWAY_SECS: i64 = 60;

    pub fn new(issuer: &str, audience: &str, nonce: &str) -> Self {
        Self {
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            nonce: nonce.to_owned(),
            leeway_secs: Self::LEEWAY_SECS,
            fiscal_code_claims: default_fiscal_code_claims(),
        }
    }

    /// Reads the fiscal code from these claims, in order.
    pub fn with_fiscal_code_claims(mut self, names: &[String]) -> Self {
        self.fiscal_code_claims = names.to_vec();
        self
    }
}

/// The verified claims of an ID token or of a UserInfo answer.
#[derive(Clone, PartialEq)]
pub struct Claims {
    pub sub: String,
    /// From the first of [`Expectations::fiscal_code_claims`] present
    /// (`TINIT-<CF>`, or a bare CF); `None` when none is.
    pub fiscal_code: Option<FiscalCode>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    /// Every claim, as sent.
    pub raw: Value,
}

impl fmt::Debug for Claims {
    /// Personal data stays out of debug output.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Claims")
            .field(
                "fiscal_code",
                &self.fiscal_code.as_ref().map(|f| f.masked()),
            )
            .finish_non_exhaustive()
    }
}

/// The algorithms accepted, by their JOSE names (case-sensitive).
fn parse_alg(s: &str) -> Option<Algorithm> {
    match s {
        "RS256" => Some(Algorithm::RS256),
        "ES256" => Some(Algorithm::ES256),
        _ => None,
    }
}

/// A usable key of the JWKS.
#[derive(Clone, Debug)]
struct Key {
    /// As published; `kid`, `alg` and equality come from it.
    jwk: Jwk,
    decoding: DecodingKey,
}

impl PartialEq for Key {
    /// The decoding key is made from the JWK: comparing the JWKs is enough.
    fn eq(&self, other: &Self) -> bool {
        self.jwk == other.jwk
    }
}

impl Eq for Key {}

impl Key {
    fn kid(&self) -> Option<&str> {
        self.jwk.common.key_id.as_deref()
    }

    /// Whether the key's type, and its declared `alg` if any, fit `alg`.
    fn suits(&self, alg: Algorithm) -> bool {
        let declared = match self.jwk.common.key_algorithm {
            None => None,
            Some(KeyAlgorithm::RS256) => Some(Algorithm::RS256),
            Some(KeyAlgorithm::ES256) => Some(Algorithm::ES256),
            // Not kept by `parse_jwk`.
            Some(_) => return false,
        };
        self.decoding.family() == alg.family() && declared.is_none_or(|a| a == alg)
    }
}

/// The JWKS could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid JWKS: {0}")]
pub struct InvalidJwks(pub &'static str);

/// An identity provider's signing keys. Keys of unsupported types, curves or
/// algorithms, encryption keys (`use` other than `sig`) and keys that do not
/// decode are left out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Jwks {
    keys: Vec<Key>,
}

fn b64(s: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(s).ok()
}

/// A big-endian unsigned integer without its leading zeros.
fn significant(b: &[u8]) -> &[u8] {
    &b[b.iter().take_while(|&&x| x == 0).count()..]
}

fn parse_jwk(v: &Value) -> Option<Key> {
    let jwk = Jwk::deserialize(v).ok()?;
    if !matches!(
        jwk.common.public_key_use,
        None | Some(PublicKeyUse::Signature)
    ) {
        return None;
    }
    if !matches!(
        jwk.common.key_algorithm,
        None | Some(KeyAlgorithm::RS256 | KeyAlgorithm::ES256)
    ) {
        return None;
    }
    let decoding = match &jwk.algorithm {
        AlgorithmParameters::RSA(rsa) => {
            let (n, e) = (b64(&rsa.n)?, b64(&rsa.e)?);
            let (n, e) = (significant(&n), significant(&e));
            // RS256 keys of 2048 to 8192 bits, exponent of at most 33 bits.
            if !(256..=1024).contains(&n.len()) || !(1..=5).contains(&e.len()) {
                return None;
            }
            // Without the leading zeros some encoders add (RFC 7518 §6.3.1.1
            // forbids them; aws-lc-rs refuses them).
            DecodingKey::from_rsa_raw_components(n, e)
        }
        AlgorithmParameters::EllipticCurve(ec) => {
            if ec.curve != EllipticCurve::P256 || b64(&ec.x)?.len() != 32 || b64(&ec.y)?.len() != 32
            {
                return None;
            }
            DecodingKey::from_jwk(&jwk).ok()?
        }
        _ => return None,
    };
    Some(Key { jwk, decoding })
}

impl Jwks {
    /// Parses a JWKS document (`{"keys": [...]}`).
    pub fn parse(json: &[u8]) -> Result<Self, InvalidJwks> {
        let v: Value = serde_json::from_slice(json).map_err(|_| InvalidJwks("not JSON"))?;
        Self::from_value(&v)
    }

    pub fn from_value(v: &Value) -> Result<Self, InvalidJwks> {
        let keys = v
            .get("keys")
            .and_then(Value::as_array)
            .ok_or(InvalidJwks("no keys array"))?;
        Ok(Self {
            keys: keys.iter().filter_map(parse_jwk).collect(),
        })
    }

    /// How many usable keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Whether a usable key has this `kid`.
    pub fn has_kid(&self, kid: &str) -> bool {
        self.keys.iter().any(|k| k.kid() == Some(kid))
    }

    fn select(&self, kid: Option<&str>, alg: Algorithm) -> Result<&Key, TokenError> {
        match kid {
            Some(kid) => {
                let mut named = self.keys.iter().filter(|k| k.kid() == Some(kid)).peekable();
                if named.peek().is_none() {
                    return Err(TokenError::UnknownKey);
                }
                named.find(|k| k.suits(alg)).ok_or(TokenError::KeyMismatch)
            }
            None => match self.keys.as_slice() {
                [only] if only.suits(alg) => Ok(only),
                [_] => Err(TokenError::KeyMismatch),
                _ => Err(TokenError::MissingKeyId),
            },
        }
    }
}

fn json_object(part: &str, what: &'static str) -> Result<Map<String, Value>, TokenError> {
    let bytes = b64(part).ok_or(TokenError::Malformed(what))?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(TokenError::Malformed(what)),
    }
}

/// An algorithm name fit for a log line: short and printable.
fn loggable(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_graphic())
        .take(16)
        .collect()
}

/// A NumericDate (seconds since the epoch; fractions allowed).
fn numeric_date(
    claims: &Map<String, Value>,
    name: &'static str,
) -> Result<Option<i64>, TokenError> {
    match claims.get(name) {
        None => Ok(None),
        Some(v) => {
            if let Some(i) = v.as_i64() {
                Ok(Some(i))
            } else {
                match v.as_f64() {
                    Some(f) if f.is_finite() && f.abs() < 1e15 => Ok(Some(f.floor() as i64)),
                    _ => Err(TokenError::InvalidClaim(name)),
                }
            }
        }
    }
}

fn optional_string(
    claims: &Map<String, Value>,
    name: &'static str,
) -> Result<Option<String>, TokenError> {
    match claims.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(TokenError::InvalidClaim(name)),
    }
}

fn required_string<'a>(
    claims: &'a Map<String, Value>,
    name: &'static str,
) -> Result<&'a str, TokenError> {
    match claims.get(name) {
        None => Err(TokenError::MissingClaim(name)),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(TokenError::InvalidClaim(name)),
    }
}

/// The codice fiscale of SPID's `fiscalNumber` (`TINIT-<CF>`); a bare CF is accepted.
pub fn parse_fiscal_number(s: &str) -> Option<FiscalCode> {
    let cf = match s.get(..6) {
        Some(p) if p.eq_ignore_ascii_case("TINIT-") => &s[6..],
        _ => s,
    };
    if cf.len() != cf.trim().len() {
        return None;
    }
    FiscalCode::parse(cf).ok()
}

/// What jsonwebtoken is asked to check: the signature with `alg` only, `iss`
/// and `aud`; no time claim (it would read the system clock) and no required
/// claim (their presence is checked here, each with its own error).
fn validation(alg: Algorithm, expect: &Expectations) -> Validation {
    let mut v = Validation::new(alg);
    v.validate_exp = false;
    v.validate_nbf = false;
    v.required_spec_claims.clear();
    v.set_issuer(&[&expect.issuer]);
    v.set_audience(&[&expect.audience]);
    v
}

/// jsonwebtoken's refusal in our terms. The header and the signature's encoding
/// were read before `decode`, so a decoding error is the payload's.
fn refusal(e: &jsonwebtoken::errors::Error) -> TokenError {
    match e.kind() {
        ErrorKind::InvalidSignature => TokenError::BadSignature,
        ErrorKind::InvalidAlgorithm
        | ErrorKind::InvalidKeyFormat
        | ErrorKind::InvalidEcdsaKey
        | ErrorKind::InvalidRsaKey(_) => TokenError::KeyMismatch,
        ErrorKind::InvalidIssuer => TokenError::WrongIssuer,
        ErrorKind::InvalidAudience => TokenError::WrongAudience,
        ErrorKind::Base64(_) | ErrorKind::Json(_) | ErrorKind::Utf8(_) => {
            TokenError::Malformed("payload")
        }
        _ => TokenError::Malformed("refused by the verifier"),
    }
}

/// The fiscal code of the first of `names` present in `claims` (`Ok(None)`
/// when none is); a value that is not a fiscal code is refused, not skipped.
pub fn fiscal_code_claim(
    claims: &Map<String, Value>,
    names: &[String],
) -> Result<Option<FiscalCode>, TokenError> {
    match names
        .iter()
        .find_map(|n| claims.get(n).filter(|v| !v.is_null()))
    {
        None => Ok(None),
        Some(Value::String(f)) => parse_fiscal_number(f)
            .map(Some)
            .ok_or(TokenError::InvalidFiscalNumber),
        Some(_) => Err(TokenError::InvalidFiscalNumber),
    }
}

/// The identity claims (`sub`, fiscal code, names) of verified claims.
fn identity_claims(
    claims: Map<String, Value>,
    expect: &Expectations,
) -> Result<Claims, TokenError> {
    let sub = required_string(&claims, "sub")?;
    if sub.is_empty() {
        return Err(TokenError::InvalidClaim("sub"));
    }
    Ok(Claims {
        sub: sub.to_owned(),
        fiscal_code: fiscal_code_claim(&claims, &expect.fiscal_code_claims)?,
        given_name: optional_string(&claims, "given_name")?,
        family_name: optional_string(&claims, "family_name")?,
        raw: Value::Object(claims),
    })
}

/// Verifies `token` (signature, then claims) and returns its claims. `now` is
/// the current time in seconds since the epoch. The fiscal code may be absent
/// (`Claims::fiscal_code` `None`: it is then to be read from UserInfo).
pub fn verify_id_token(
    token: &str,
    jwks: &Jwks,
    expect: &Expectations,
    now: i64,
) -> Result<Claims, TokenError> {
    let claims = verify_signed(token, jwks, expect)?;
    let leeway = expect.leeway_secs.max(0);
    let exp = numeric_date(&claims, "exp")?.ok_or(TokenError::MissingClaim("exp"))?;
    if now.saturating_sub(leeway) >= exp {
        return Err(TokenError::Expired);
    }
    let iat = numeric_date(&claims, "iat")?.ok_or(TokenError::MissingClaim("iat"))?;
    if iat > now.saturating_add(leeway) {
        return Err(TokenError::IssuedInFuture);
    }
    if let Some(nbf) = numeric_date(&claims, "nbf")? {
        if nbf > now.saturating_add(leeway) {
            return Err(TokenError::NotYetValid);
        }
    }
    let nonce = required_string(&claims, "nonce")?;
    if expect.nonce.is_empty()
        || !bool::from(subtle::ConstantTimeEq::ct_eq(
            nonce.as_bytes(),
            expect.nonce.as_bytes(),
        ))
    {
        return Err(TokenError::WrongNonce);
    }
    identity_claims(claims, expect)
}

/// Verifies a signed UserInfo answer (`application/jwt`, OpenID Connect Core
/// §5.3.2): the signature against the provider's JWKS as for the ID token, `iss`
/// the issuer, `aud` the client, `exp` and `nbf` when present, and its `sub` the
/// ID token's `id_token_sub`. `expect.nonce` is not used (UserInfo has none).
pub fn verify_userinfo_jwt(
    token: &str,
    jwks: &Jwks,
    expect: &Expectations,
    id_token_sub: &str,
    now: i64,
) -> Result<Claims, TokenError> {
    let claims = verify_signed(token, jwks, expect)?;
    let leeway = expect.leeway_secs.max(0);
    if let Some(exp) = numeric_date(&claims, "exp")? {
        if now.saturating_sub(leeway) >= exp {
            return Err(TokenError::Expired);
        }
    }
    if let Some(nbf) = numeric_date(&claims, "nbf")? {
        if nbf > now.saturating_add(leeway) {
            return Err(TokenError::NotYetValid);
        }
    }
    userinfo_subject(identity_claims(claims, expect)?, id_token_sub)
}

/// Reads a plain JSON UserInfo answer (`application/json`): an object whose
/// `sub` is the ID token's `id_token_sub` (OpenID Connect Core §5.3.2).
pub fn userinfo_claims(
    answer: &Value,
    expect: &Expectations,
    id_token_sub: &str,
) -> Result<Claims, TokenError> {
    let Value::Object(claims) = answer else {
        return Err(TokenError::Malformed("userinfo is not a JSON object"));
    };
    userinfo_subject(identity_claims(claims.clone(), expect)?, id_token_sub)
}

fn userinfo_subject(claims: Claims, id_token_sub: &str) -> Result<Claims, TokenError> {
    if claims.sub == id_token_sub {
        Ok(claims)
    } else {
        Err(TokenError::WrongSubject)
    }
}

/// The signature, `iss`, `aud` and `azp` of a JWS; its claims.
fn verify_signed(
    token: &str,
    jwks: &Jwks,
    expect: &Expectations,
) -> Result<Map<String, Value>, TokenError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(TokenError::Malformed("too long"));
    }
    let mut parts = token.split('.');
    let (Some(h), Some(_), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed("not three parts"));
    };
    let header = json_object(h, "header")?;
    let alg = match header.get("alg") {
        Some(Value::String(a)) => {
            parse_alg(a).ok_or_else(|| TokenError::UnsupportedAlgorithm(loggable(a)))?
        }
        Some(_) => return Err(TokenError::Malformed("header alg")),
        None => return Err(TokenError::Malformed("no alg")),
    };
    if header.contains_key("crit") {
        return Err(TokenError::Malformed("critical header"));
    }
    let kid = match header.get("kid") {
        None => None,
        Some(Value::String(k)) => Some(k.as_str()),
        Some(_) => return Err(TokenError::Malformed("header kid")),
    };
    let key = jwks.select(kid, alg)?;
    // jsonwebtoken reads the header with its own types (`typ` a string, ...).
    jsonwebtoken::decode_header(token).map_err(|_| TokenError::Malformed("header"))?;
    if b64(s).is_none() {
        return Err(TokenError::Malformed("signature"));
    }
    let claims =
        jsonwebtoken::decode::<Map<String, Value>>(token, &key.decoding, &validation(alg, expect))
            .map_err(|e| refusal(&e))?
            .claims;

    // The signature is good: now the claims. jsonwebtoken has matched `iss` and
    // `aud` when it could read them; their form, and `azp`, are checked here.
    if required_string(&claims, "iss")? != expect.issuer {
        return Err(TokenError::WrongIssuer);
    }
    let audience_ok = match claims.get("aud") {
        None => return Err(TokenError::MissingClaim("aud")),
        Some(Value::String(a)) => a == &expect.audience,
        Some(Value::Array(list)) => {
            let mut found = false;
            for a in list {
                match a.as_str() {
                    Some(a) => found |= a == expect.audience,
                    None => return Err(TokenError::InvalidClaim("aud")),
                }
            }
            if found && list.len() > 1 && !claims.contains_key("azp") {
                return Err(TokenError::WrongAuthorizedParty);
            }
            found
        }
        Some(_) => return Err(TokenError::InvalidClaim("aud")),
    };
    if !audience_ok {
        return Err(TokenError::WrongAudience);
    }
    if let Some(azp) = claims.get("azp") {
        if azp.as_str() != Some(expect.audience.as_str()) {
            return Err(TokenError::WrongAuthorizedParty);
        }
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use keys::{compact, TestKey};
    use serde_json::json;
    use std::sync::OnceLock;

    /// Signing keys for the tests: made with aws-lc-rs, signing with jsonwebtoken.
    mod keys {
        use aws_lc_rs::encoding::AsDer;
        use aws_lc_rs::rand::SystemRandom;
        use aws_lc_rs::rsa::KeySize;
        use aws_lc_rs::signature::{EcdsaKeyPair, RsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use base64::Engine;
        use jsonwebtoken::jwk::{Jwk, PublicKeyUse};
        use jsonwebtoken::{Algorithm, EncodingKey, Header};
        use serde_json::{json, Value};

        pub struct TestKey {
            kid: &'static str,
            alg: Algorithm,
            key: EncodingKey,
        }

        /// `header.payload.signature`, each part base64url without padding.
        pub fn compact(header: &Value, claims: &Value, signature: &[u8]) -> String {
            format!(
                "{}.{}.{}",
                URL_SAFE_NO_PAD.encode(header.to_string()),
                URL_SAFE_NO_PAD.encode(claims.to_string()),
                URL_SAFE_NO_PAD.encode(signature)
            )
        }

        /// One DER element at the start of `der`: (tag, content, rest).
        fn der_element(der: &[u8]) -> (u8, &[u8], &[u8]) {
            let (tag, first) = (der[0], der[1]);
            let (len, start) = if first < 0x80 {
                (usize::from(first), 2)
            } else {
                let n = usize::from(first & 0x7f);
                let len = der[2..2 + n]
                    .iter()
                    .fold(0, |acc, &b| (acc << 8) | usize::from(b));
                (len, 2 + n)
            };
            (tag, &der[start..start + len], &der[start + len..])
        }

        /// The `RSAPrivateKey` (PKCS #1) that jsonwebtoken signs with, from
        /// aws-lc-rs's PKCS #8 `PrivateKeyInfo`: its OCTET STRING `privateKey`.
        fn pkcs1_of_pkcs8(pkcs8: &[u8]) -> &[u8] {
            let (_, info, _) = der_element(pkcs8);
            let (_, _version, rest) = der_element(info);
            let (_, _algorithm, rest) = der_element(rest);
            let (tag, private_key, _) = der_element(rest);
            assert_eq!(tag, 0x04, "privateKey is an OCTET STRING");
            private_key
        }

        impl TestKey {
            /// A new P-256 key (ES256).
            pub fn generate_es256(kid: &'static str) -> Self {
                let pkcs8 = EcdsaKeyPair::generate_pkcs8(
                    &ECDSA_P256_SHA256_FIXED_SIGNING,
                    &SystemRandom::new(),
                )
                .unwrap();
                Self {
                    kid,
                    alg: Algorithm::ES256,
                    key: EncodingKey::from_ec_der(pkcs8.as_ref()),
                }
            }

            /// A new RSA 2048-bit key (RS256). Takes a moment.
            pub fn generate_rs256(kid: &'static str) -> Self {
                let pkcs8 = RsaKeyPair::generate(KeySize::Rsa2048)
                    .unwrap()
                    .as_der()
                    .unwrap();
                Self {
                    kid,
                    alg: Algorithm::RS256,
                    key: EncodingKey::from_rsa_der(pkcs1_of_pkcs8(pkcs8.as_ref())),
                }
            }

            /// The public key as a JWK (`kid`, `use: sig`, `alg`).
            pub fn public_jwk(&self) -> Value {
                let mut jwk = Jwk::from_encoding_key(&self.key, self.alg).unwrap();
                jwk.common.key_id = Some(self.kid.to_owned());
                jwk.common.public_key_use = Some(PublicKeyUse::Signature);
                serde_json::to_value(jwk).unwrap()
            }

            /// A JWKS document of these keys' public keys.
            pub fn jwks(keys: &[&TestKey]) -> Value {
                json!({ "keys": keys.iter().map(|k| k.public_jwk()).collect::<Vec<_>>() })
            }

            /// A token with the usual header (`typ: JWT`, `alg`, `kid`).
            pub fn sign(&self, claims: &Value) -> String {
                let mut header = Header::new(self.alg);
                header.kid = Some(self.kid.to_owned());
                jsonwebtoken::encode(&header, claims, &self.key).unwrap()
            }

            /// The base64url signature of `signing_input`.
            pub fn signature(&self, signing_input: &str) -> String {
                jsonwebtoken::crypto::sign(signing_input.as_bytes(), &self.key, self.alg).unwrap()
            }

            /// A token with any header, signed with this key whatever it says.
            pub fn sign_with_header(&self, header: &Value, claims: &Value) -> String {
                let input = format!(
                    "{}.{}",
                    URL_SAFE_NO_PAD.encode(header.to_string()),
                    URL_SAFE_NO_PAD.encode(claims.to_string())
                );
                format!("{input}.{}", self.signature(&input))
            }
        }
    }

    const ISS: &str = "https://idp.example.it/oidc";
    const CLIENT: &str = "portale";
    const NONCE: &str = "n-0S6_WzA2Mj";
    const NOW: i64 = 1_800_000_000;

    fn es() -> &'static TestKey {
        static K: OnceLock<TestKey> = OnceLock::new();
        K.get_or_init(|| TestKey::generate_es256("ec-1"))
    }

    fn rs() -> &'static TestKey {
        static K: OnceLock<TestKey> = OnceLock::new();
        K.get_or_init(|| TestKey::generate_rs256("rsa-1"))
    }

    fn jwks() -> Jwks {
        Jwks::from_value(&TestKey::jwks(&[es(), rs()])).unwrap()
    }

    fn expect() -> Expectations {
        Expectations::new(ISS, CLIENT, NONCE)
    }

    fn claims() -> Value {
        json!({
            "iss": ISS, "sub": "abc-123", "aud": CLIENT, "iat": NOW - 5, "exp": NOW + 300,
            "nonce": NONCE, "fiscal_number": "TINIT-RSSMRA85T10A562S",
            "given_name": "Mario", "family_name": "Rossi", "acr": "https://www.spid.gov.it/SpidL2"
        })
    }

    fn with(changes: Value) -> Value {
        let mut c = claims();
        for (k, v) in changes.as_object().unwrap() {
            if v.is_null() {
                c.as_object_mut().unwrap().remove(k);
            } else {
                c[k] = v.clone();
            }
        }
        c
    }

    fn check(token: &str) -> Result<Claims, TokenError> {
        verify_id_token(token, &jwks(), &expect(), NOW)
    }

    #[test]
    fn valid_es256_and_rs256_tokens_pass() {
        for signer in [es(), rs()] {
            let c = check(&signer.sign(&claims())).unwrap();
            assert_eq!(c.sub, "abc-123");
            assert_eq!(c.fiscal_code.as_ref().unwrap().as_str(), "RSSMRA85T10A562S");
            assert_eq!(c.given_name.as_deref(), Some("Mario"));
            assert_eq!(c.family_name.as_deref(), Some("Rossi"));
            assert_eq!(c.raw["acr"], "https://www.spid.gov.it/SpidL2");
            assert!(!format!("{c:?}").contains("RSSMRA85T10A562S"));
        }
    }

    #[test]
    fn bare_fiscal_code_multi_audience_with_azp_and_leeway_pass() {
        let t = es().sign(&with(json!({"fiscal_number": "cntchr83t41d969d",
            "aud": ["other", CLIENT], "azp": CLIENT, "exp": NOW - 30, "iat": NOW + 30, "nbf": NOW + 30,
            "given_name": null})));
        let c = check(&t).unwrap();
        assert_eq!(c.fiscal_code.as_ref().unwrap().as_str(), "CNTCHR83T41D969D");
        assert_eq!(c.given_name, None);
        // A one-element array needs no azp.
        assert!(check(&es().sign(&with(json!({"aud": [CLIENT]})))).is_ok());
    }

    #[test]
    fn a_single_key_may_be_used_without_kid() {
        let only = Jwks::from_value(&TestKey::jwks(&[es()])).unwrap();
        let t = es().sign_with_header(&json!({"alg": "ES256"}), &claims());
        assert!(verify_id_token(&t, &only, &expect(), NOW).is_ok());
        assert_eq!(check(&t).unwrap_err(), TokenError::MissingKeyId);
        // The single key is RSA, the token says ES256.
        let only_rsa = Jwks::from_value(&TestKey::jwks(&[rs()])).unwrap();
        assert_eq!(
            verify_id_token(&t, &only_rsa, &expect(), NOW).unwrap_err(),
            TokenError::KeyMismatch
        );
    }

    #[test]
    fn tampered_payload_is_refused() {
        let t = es().sign(&claims());
        let parts: Vec<&str> = t.split('.').collect();
        let other = URL_SAFE_NO_PAD
            .encode(with(json!({"fiscal_number": "TINIT-CNTCHR83T41D969D"})).to_string());
        let forged = format!("{}.{}.{}", parts[0], other, parts[2]);
        assert_eq!(check(&forged).unwrap_err(), TokenError::BadSignature);
        let rt = rs().sign(&claims());
        let parts: Vec<&str> = rt.split('.').collect();
        let forged = format!("{}.{}.{}", parts[0], other, parts[2]);
        assert_eq!(check(&forged).unwrap_err(), TokenError::BadSignature);
    }

    #[test]
    fn signature_by_another_key_is_refused() {
        let impostor = TestKey::generate_es256("ec-1");
        assert_eq!(
            check(&impostor.sign(&claims())).unwrap_err(),
            TokenError::BadSignature
        );
        // An RSA signature under the EC key's kid.
        let t = rs().sign_with_header(&json!({"alg": "RS256", "kid": "ec-1"}), &claims());
        assert_eq!(check(&t).unwrap_err(), TokenError::KeyMismatch);
        // An EC token claiming the RSA key.
        let t = es().sign_with_header(&json!({"alg": "ES256", "kid": "rsa-1"}), &claims());
        assert_eq!(check(&t).unwrap_err(), TokenError::KeyMismatch);
    }

    #[test]
    fn alg_none_is_refused() {
        for alg in ["none", "None", "NONE"] {
            let header = json!({"alg": alg, "kid": "ec-1"});
            for sig in [&b""[..], b"x"] {
                let t = compact(&header, &claims(), sig);
                assert_eq!(
                    check(&t).unwrap_err(),
                    TokenError::UnsupportedAlgorithm(alg.into())
                );
            }
        }
        // Without the third part at all.
        let t = compact(&json!({"alg": "none"}), &claims(), b"");
        let t = t.trim_end_matches('.');
        assert_eq!(
            check(t).unwrap_err(),
            TokenError::Malformed("not three parts")
        );
    }

    #[test]
    fn hs256_with_the_public_key_as_secret_is_refused() {
        use jsonwebtoken::{EncodingKey, Header};
        for (signer, kid) in [(es(), "ec-1"), (rs(), "rsa-1")] {
            let mut header = Header::new(Algorithm::HS256);
            header.kid = Some(kid.into());
            let secret = EncodingKey::from_secret(signer.public_jwk().to_string().as_bytes());
            let t = jsonwebtoken::encode(&header, &claims(), &secret).unwrap();
            assert_eq!(
                check(&t).unwrap_err(),
                TokenError::UnsupportedAlgorithm("HS256".into())
            );
        }
        for alg in ["RS512", "ES384", "PS256", "EdDSA", "es256"] {
            let t = es().sign_with_header(&json!({"alg": alg, "kid": "ec-1"}), &claims());
            assert!(matches!(
                check(&t).unwrap_err(),
                TokenError::UnsupportedAlgorithm(_)
            ));
        }
    }

    #[test]
    fn unknown_or_missing_kid_is_refused() {
        let t = es().sign_with_header(&json!({"alg": "ES256", "kid": "other"}), &claims());
        assert_eq!(check(&t).unwrap_err(), TokenError::UnknownKey);
        let t = es().sign_with_header(&json!({"alg": "ES256", "kid": 7}), &claims());
        assert_eq!(check(&t).unwrap_err(), TokenError::Malformed("header kid"));
        let empty = Jwks::default();
        assert_eq!(
            verify_id_token(&es().sign(&claims()), &empty, &expect(), NOW).unwrap_err(),
            TokenError::UnknownKey
        );
    }

    #[test]
    fn embedded_keys_and_critical_headers_are_not_honoured() {
        let impostor = TestKey::generate_es256("mine");
        let header = json!({"alg": "ES256", "kid": "mine", "jwk": impostor.public_jwk()});
        let t = impostor.sign_with_header(&header, &claims());
        assert_eq!(check(&t).unwrap_err(), TokenError::UnknownKey);
        let t = es().sign_with_header(
            &json!({"alg": "ES256", "kid": "ec-1", "crit": ["exp"]}),
            &claims(),
        );
        assert_eq!(
            check(&t).unwrap_err(),
            TokenError::Malformed("critical header")
        );
    }

    #[test]
    fn expired_and_future_tokens_are_refused() {
        let cases = [
            (json!({"exp": NOW - 61}), TokenError::Expired),
            (json!({"exp": NOW - 60}), TokenError::Expired),
            (json!({"exp": null}), TokenError::MissingClaim("exp")),
            (json!({"exp": "tomorrow"}), TokenError::InvalidClaim("exp")),
            (json!({"iat": NOW + 61}), TokenError::IssuedInFuture),
            (json!({"iat": null}), TokenError::MissingClaim("iat")),
            (json!({"nbf": NOW + 120}), TokenError::NotYetValid),
        ];
        for (change, err) in cases {
            assert_eq!(check(&es().sign(&with(change))).unwrap_err(), err);
        }
        assert!(check(&es().sign(&with(json!({"exp": NOW - 59})))).is_ok());
        assert!(check(&es().sign(&with(json!({"exp": (NOW + 10) as f64 + 0.5})))).is_ok());
    }

    #[test]
    fn issuer_audience_and_azp_are_checked() {
        let cases = [
            (
                json!({"iss": "https://evil.example/oidc"}),
                TokenError::WrongIssuer,
            ),
            (json!({"iss": format!("{ISS}/")}), TokenError::WrongIssuer),
            (json!({"iss": null}), TokenError::MissingClaim("iss")),
            (json!({"aud": "other"}), TokenError::WrongAudience),
            (json!({"aud": ["a", "b"]}), TokenError::WrongAudience),
            (json!({"aud": []}), TokenError::WrongAudience),
            (json!({"aud": null}), TokenError::MissingClaim("aud")),
            (json!({"aud": 5}), TokenError::InvalidClaim("aud")),
            (json!({"aud": [CLIENT, 5]}), TokenError::InvalidClaim("aud")),
            (
                json!({"aud": [CLIENT, "other"]}),
                TokenError::WrongAuthorizedParty,
            ),
            (
                json!({"aud": [CLIENT, "other"], "azp": "other"}),
                TokenError::WrongAuthorizedParty,
            ),
            (json!({"azp": "other"}), TokenError::WrongAuthorizedParty),
        ];
        for (change, err) in cases {
            assert_eq!(
                check(&es().sign(&with(change.clone()))).unwrap_err(),
                err,
                "{change}"
            );
        }
    }

    #[test]
    fn nonce_subject_and_fiscal_number_are_checked() {
        let cases = [
            (json!({"nonce": "other"}), TokenError::WrongNonce),
            (
                json!({"nonce": format!("{NONCE}x")}),
                TokenError::WrongNonce,
            ),
            (json!({"nonce": null}), TokenError::MissingClaim("nonce")),
            (json!({"sub": null}), TokenError::MissingClaim("sub")),
            (json!({"sub": ""}), TokenError::InvalidClaim("sub")),
            (
                json!({"fiscal_number": "TINIT-RSSMRA85T10A562X"}),
                TokenError::InvalidFiscalNumber,
            ),
            (
                json!({"fiscal_number": "TINXX-RSSMRA85T10A562S"}),
                TokenError::InvalidFiscalNumber,
            ),
            (
                json!({"fiscal_number": " RSSMRA85T10A562S"}),
                TokenError::InvalidFiscalNumber,
            ),
            (
                json!({"fiscal_number": 12}),
                TokenError::InvalidFiscalNumber,
            ),
            (
                json!({"given_name": 12}),
                TokenError::InvalidClaim("given_name"),
            ),
        ];
        for (change, err) in cases {
            assert_eq!(
                check(&es().sign(&with(change.clone()))).unwrap_err(),
                err,
                "{change}"
            );
        }
        let mut e = expect();
        e.nonce = String::new();
        let t = es().sign(&with(json!({"nonce": ""})));
        assert_eq!(
            verify_id_token(&t, &jwks(), &e, NOW).unwrap_err(),
            TokenError::WrongNonce
        );
    }

    #[test]
    fn malformed_inputs_are_refused() {
        let good = es().sign(&claims());
        let parts: Vec<&str> = good.split('.').collect();
        let cases: Vec<(String, TokenError)> = vec![
            (String::new(), TokenError::Malformed("not three parts")),
            ("a.b".into(), TokenError::Malformed("not three parts")),
            (
                format!("{good}.x"),
                TokenError::Malformed("not three parts"),
            ),
            ("!!.b.c".into(), TokenError::Malformed("header")),
            (
                format!(
                    "{}.{}.{}",
                    URL_SAFE_NO_PAD.encode("[1]"),
                    parts[1],
                    parts[2]
                ),
                TokenError::Malformed("header"),
            ),
            (
                format!("{}=.{}.{}", parts[0], parts[1], parts[2]),
                TokenError::Malformed("header"),
            ),
            (
                format!("{}.{}.{}", URL_SAFE_NO_PAD.encode("{}"), parts[1], parts[2]),
                TokenError::Malformed("no alg"),
            ),
            (
                format!("{}.{}.{}", parts[0], parts[1], "***"),
                TokenError::Malformed("signature"),
            ),
            (
                format!("{}.{}.{}", parts[0], parts[1], &parts[2][..40]),
                TokenError::BadSignature,
            ),
            (
                "x".repeat(MAX_TOKEN_LEN + 1),
                TokenError::Malformed("too long"),
            ),
        ];
        for (t, err) in cases {
            assert_eq!(check(&t).unwrap_err(), err, "{t}");
        }
        // A valid signature over a payload that is not JSON.
        let h = URL_SAFE_NO_PAD.encode(json!({"alg": "ES256", "kid": "ec-1"}).to_string());
        let p = URL_SAFE_NO_PAD.encode("not json");
        let t = format!("{h}.{p}.{}", es().signature(&format!("{h}.{p}")));
        assert_eq!(check(&t).unwrap_err(), TokenError::Malformed("payload"));
    }

    #[test]
    fn jwks_parsing_skips_unusable_keys() {
        let mut keys = vec![es().public_jwk(), rs().public_jwk()];
        keys.push(json!({"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"}));
        keys.push(json!({"kty": "EC", "crv": "P-384", "x": "AA", "y": "AA", "kid": "p384"}));
        let mut enc = es().public_jwk();
        enc["use"] = json!("enc");
        enc["kid"] = json!("enc");
        keys.push(enc);
        let mut short = rs().public_jwk();
        short["n"] = json!(URL_SAFE_NO_PAD.encode([0xffu8; 128]));
        short["kid"] = json!("rsa-1024");
        keys.push(short);
        keys.push(json!({"kty": "RSA", "n": "***", "e": "AQAB", "kid": "bad"}));
        let mut rs512 = rs().public_jwk();
        rs512["alg"] = json!("RS512");
        rs512["kid"] = json!("rs512");
        keys.push(rs512);
        let jwks = Jwks::from_value(&json!({ "keys": keys })).unwrap();
        assert_eq!(jwks.len(), 2);
        assert!(jwks.has_kid("ec-1") && jwks.has_kid("rsa-1") && !jwks.has_kid("hmac"));
        assert!(Jwks::parse(b"{}").is_err());
        assert!(Jwks::parse(b"nope").is_err());
        assert!(Jwks::parse(br#"{"keys": []}"#).unwrap().is_empty());
        // A JWK restricted to RS256 refuses an ES256 key of the same kid.
        let mut only_rs = es().public_jwk();
        only_rs["alg"] = json!("RS256");
        let jwks = Jwks::from_value(&json!({ "keys": [only_rs] })).unwrap();
        assert_eq!(
            verify_id_token(&es().sign(&claims()), &jwks, &expect(), NOW).unwrap_err(),
            TokenError::KeyMismatch
        );
    }

    #[test]
    fn the_time_checks_use_the_given_now_not_the_clock() {
        // Long expired by the system clock, valid at the `now` passed in.
        let then = 1_000_000_000;
        let t = es().sign(&with(json!({"iat": then - 5, "exp": then + 300})));
        assert!(verify_id_token(&t, &jwks(), &expect(), then).is_ok());
        // Valid by the system clock for decades, expired at the `now` passed in.
        let t = es().sign(&with(json!({"iat": NOW - 900, "exp": NOW - 600})));
        assert_eq!(check(&t).unwrap_err(), TokenError::Expired);
    }

    #[test]
    fn claims_of_the_wrong_form_are_refused() {
        let cases = [
            (json!({"iss": [ISS]}), TokenError::InvalidClaim("iss")),
            (json!({"iss": ["other"]}), TokenError::WrongIssuer),
            (json!({"iss": 5}), TokenError::InvalidClaim("iss")),
            (json!({"sub": 5}), TokenError::InvalidClaim("sub")),
            (
                json!({"aud": {"a": CLIENT}}),
                TokenError::InvalidClaim("aud"),
            ),
            (json!({"nbf": "soon"}), TokenError::InvalidClaim("nbf")),
        ];
        for (change, err) in cases {
            assert_eq!(
                check(&es().sign(&with(change.clone()))).unwrap_err(),
                err,
                "{change}"
            );
        }
        // An array or object where jsonwebtoken reads a number or a string may
        // stop its reading of the whole payload.
        for (name, value) in [
            ("exp", json!([1])),
            ("nbf", json!({})),
            ("sub", json!({})),
            ("sub", json!(["abc-123"])),
        ] {
            let err = check(&es().sign(&with(json!({ name: value })))).unwrap_err();
            assert!(
                err == TokenError::InvalidClaim(name) || err == TokenError::Malformed("payload"),
                "{name}: {err:?}"
            );
        }
    }

    #[test]
    fn a_header_the_verifier_cannot_read_is_malformed() {
        let t = es().sign_with_header(&json!({"alg": "ES256", "kid": "ec-1", "typ": 5}), &claims());
        assert_eq!(check(&t).unwrap_err(), TokenError::Malformed("header"));
    }

    #[test]
    fn an_rsa_modulus_with_a_leading_zero_is_the_same_key() {
        let mut jwk = rs().public_jwk();
        let n = URL_SAFE_NO_PAD.decode(jwk["n"].as_str().unwrap()).unwrap();
        jwk["n"] = json!(URL_SAFE_NO_PAD.encode([&[0u8][..], &n].concat()));
        let jwks = Jwks::from_value(&json!({ "keys": [jwk] })).unwrap();
        assert_eq!(jwks.len(), 1);
        assert!(verify_id_token(&rs().sign(&claims()), &jwks, &expect(), NOW).is_ok());
        // 8192 bits is the most; one byte more is left out.
        let mut big = rs().public_jwk();
        big["n"] = json!(URL_SAFE_NO_PAD.encode([0xffu8; 1025]));
        assert!(Jwks::from_value(&json!({ "keys": [big] }))
            .unwrap()
            .is_empty());
    }

    #[test]
    fn the_fiscal_code_is_read_from_the_first_claim_name_present() {
        const EID: &str = "https://attributes.eid.gov.it/fiscal_number";
        const SPID_URI: &str = "https://attributes.spid.gov.it/fiscalNumber";
        let cf = |t: &str| check(t).unwrap().fiscal_code.map(|f| f.as_str().to_owned());
        // Each alternative name alone.
        for name in DEFAULT_FISCAL_CODE_CLAIMS {
            let t = es().sign(&with(
                json!({"fiscal_number": null, name: "TINIT-CNTCHR83T41D969D"}),
            ));
            assert_eq!(cf(&t).as_deref(), Some("CNTCHR83T41D969D"), "{name}");
        }
        // Several: the order of the list decides, not the token's.
        let t = es().sign(&with(json!({
            "fiscal_number": null, SPID_URI: "TINIT-BNCLCU90E12H501G",
            "fiscalNumber": "TINIT-CNTCHR83T41D969D", EID: "TINIT-RSSMRA85T10A562S"
        })));
        assert_eq!(cf(&t).as_deref(), Some("RSSMRA85T10A562S"));
        assert_eq!(
            cf(&es().sign(&with(json!({EID: "TINIT-CNTCHR83T41D969D"})))).as_deref(),
            Some("RSSMRA85T10A562S"),
            "fiscal_number comes first"
        );
        // A configured order.
        let names = vec!["fiscalNumber".to_owned(), "fiscal_number".to_owned()];
        let e = expect().with_fiscal_code_claims(&names);
        let t = es().sign(&with(json!({"fiscalNumber": "CNTCHR83T41D969D"})));
        let c = verify_id_token(&t, &jwks(), &e, NOW).unwrap();
        assert_eq!(c.fiscal_code.unwrap().as_str(), "CNTCHR83T41D969D");
        // A name not in the list is not read.
        let t = es().sign(&with(
            json!({"fiscal_number": null, "codice_fiscale": "RSSMRA85T10A562S"}),
        ));
        assert_eq!(cf(&t), None);
        // None at all: no fiscal code, the rest verified (UserInfo may have it).
        let c = check(&es().sign(&with(json!({"fiscal_number": null})))).unwrap();
        assert_eq!((c.fiscal_code, c.sub.as_str()), (None, "abc-123"));
        // The first name present decides: an invalid value is not skipped.
        let t = es().sign(&with(
            json!({"fiscal_number": "TINIT-XX", EID: "TINIT-RSSMRA85T10A562S"}),
        ));
        assert_eq!(check(&t).unwrap_err(), TokenError::InvalidFiscalNumber);
        let t = es().sign(&with(json!({"fiscal_number": null, EID: 5})));
        assert_eq!(check(&t).unwrap_err(), TokenError::InvalidFiscalNumber);
    }

    fn userinfo() -> Value {
        json!({
            "iss": ISS, "sub": "abc-123", "aud": CLIENT, "iat": NOW - 1, "exp": NOW + 300,
            "https://attributes.eid.gov.it/fiscal_number": "TINIT-CNTCHR83T41D969D",
            "given_name": "Chiara", "family_name": "Conti"
        })
    }

    fn userinfo_with(changes: Value) -> Value {
        let mut c = userinfo();
        for (k, v) in changes.as_object().unwrap() {
            if v.is_null() {
                c.as_object_mut().unwrap().remove(k);
            } else {
                c[k] = v.clone();
            }
        }
        c
    }

    fn check_userinfo(token: &str) -> Result<Claims, TokenError> {
        verify_userinfo_jwt(token, &jwks(), &expect(), "abc-123", NOW)
    }

    #[test]
    fn userinfo_as_plain_json() {
        let c = userinfo_claims(&userinfo(), &expect(), "abc-123").unwrap();
        assert_eq!(c.fiscal_code.unwrap().as_str(), "CNTCHR83T41D969D");
        assert_eq!(c.given_name.as_deref(), Some("Chiara"));
        assert_eq!(c.family_name.as_deref(), Some("Conti"));
        // Only sub is required of plain JSON: no iss, aud or times.
        let bare = json!({"sub": "abc-123", "fiscalNumber": "RSSMRA85T10A562S"});
        let c = userinfo_claims(&bare, &expect(), "abc-123").unwrap();
        assert_eq!(c.fiscal_code.unwrap().as_str(), "RSSMRA85T10A562S");
        assert_eq!(c.given_name, None);
        let cases = [
            (json!({"sub": "someone-else"}), TokenError::WrongSubject),
            (json!({"sub": "abc-1234"}), TokenError::WrongSubject),
            (json!({"sub": null}), TokenError::MissingClaim("sub")),
            (json!({"sub": 7}), TokenError::InvalidClaim("sub")),
            (
                json!({"https://attributes.eid.gov.it/fiscal_number": "TINIT-nope"}),
                TokenError::InvalidFiscalNumber,
            ),
            (
                json!({"family_name": ["Conti"]}),
                TokenError::InvalidClaim("family_name"),
            ),
        ];
        for (change, err) in cases {
            assert_eq!(
                userinfo_claims(&userinfo_with(change.clone()), &expect(), "abc-123").unwrap_err(),
                err,
                "{change}"
            );
        }
        assert_eq!(
            userinfo_claims(&json!(["abc-123"]), &expect(), "abc-123").unwrap_err(),
            TokenError::Malformed("userinfo is not a JSON object")
        );
        // Without a fiscal code: read, and left for the caller to refuse.
        let c = userinfo_claims(&json!({"sub": "abc-123"}), &expect(), "abc-123").unwrap();
        assert_eq!(c.fiscal_code, None);
    }

    #[test]
    fn userinfo_as_a_signed_jwt() {
        for signer in [es(), rs()] {
            let c = check_userinfo(&signer.sign(&userinfo())).unwrap();
            assert_eq!(c.fiscal_code.as_ref().unwrap().as_str(), "CNTCHR83T41D969D");
            assert_eq!(c.given_name.as_deref(), Some("Chiara"));
            assert!(!format!("{c:?}").contains("CNTCHR83T41D969D"));
        }
        // No nonce, iat or exp needed; an audience list with azp.
        let t = es().sign(&userinfo_with(
            json!({"iat": null, "exp": null, "aud": ["other", CLIENT], "azp": CLIENT}),
        ));
        assert!(check_userinfo(&t).is_ok());
        let cases = [
            (json!({"aud": "other"}), TokenError::WrongAudience),
            (json!({"aud": null}), TokenError::MissingClaim("aud")),
            (
                json!({"iss": "https://evil.example/oidc"}),
                TokenError::WrongIssuer,
            ),
            (json!({"iss": null}), TokenError::MissingClaim("iss")),
            (json!({"sub": "someone-else"}), TokenError::WrongSubject),
            (json!({"sub": null}), TokenError::MissingClaim("sub")),
            (json!({"exp": NOW - 600}), TokenError::Expired),
            (json!({"nbf": NOW + 600}), TokenError::NotYetValid),
            (
                json!({"https://attributes.eid.gov.it/fiscal_number": 12}),
                TokenError::InvalidFiscalNumber,
            ),
        ];
        for (change, err) in cases {
            assert_eq!(
                check_userinfo(&es().sign(&userinfo_with(change.clone()))).unwrap_err(),
                err,
                "{change}"
            );
        }
        // Signed by another key under a published kid; tampered; unknown kid; alg none.
        let impostor = TestKey::generate_es256("ec-1");
        assert_eq!(
            check_userinfo(&impostor.sign(&userinfo())).unwrap_err(),
            TokenError::BadSignature
        );
        let t = es().sign(&userinfo());
        let parts: Vec<&str> = t.split('.').collect();
        let other = URL_SAFE_NO_PAD.encode(
            userinfo_with(
                json!({"https://attributes.eid.gov.it/fiscal_number": "TINIT-RSSMRA85T10A562S"}),
            )
            .to_string(),
        );
        assert_eq!(
            check_userinfo(&format!("{}.{other}.{}", parts[0], parts[2])).unwrap_err(),
            TokenError::BadSignature
        );
        let t = TestKey::generate_es256("elsewhere").sign(&userinfo());
        assert_eq!(check_userinfo(&t).unwrap_err(), TokenError::UnknownKey);
        let t = compact(&json!({"alg": "none"}), &userinfo(), b"");
        assert_eq!(
            check_userinfo(&t).unwrap_err(),
            TokenError::UnsupportedAlgorithm("none".into())
        );
        // An encrypted answer (JWE, five parts) is not read.
        assert_eq!(
            check_userinfo("a.b.c.d.e").unwrap_err(),
            TokenError::Malformed("not three parts")
        );
    }

    #[test]
    fn fiscal_numbers() {
        assert_eq!(
            parse_fiscal_number("TINIT-RSSMRA85T10A562S")
                .unwrap()
                .as_str(),
            "RSSMRA85T10A562S"
        );
        assert!(parse_fiscal_number("tinit-RSSMRA85T10A562S").is_some());
        assert!(parse_fiscal_number("RSSMRA85T10A562S").is_some());
        assert!(parse_fiscal_number("TINIT-01234567897").is_some());
        assert!(parse_fiscal_number("TINIT-").is_none());
        assert!(parse_fiscal_number("").is_none());
        assert!(parse_fiscal_number("TINIT-è").is_none());
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn valid_es256() -> &'static String {
            static T: OnceLock<String> = OnceLock::new();
            T.get_or_init(|| es().sign(&claims()))
        }

        proptest! {
            #[test]
            fn arbitrary_strings_never_panic(s in ".{0,400}") {
                let _ = check(&s);
            }

            #[test]
            fn arbitrary_three_part_tokens_never_panic(
                h in "[A-Za-z0-9_=-]{0,60}", p in "[A-Za-z0-9_=-]{0,60}", s in "[A-Za-z0-9_=-]{0,90}"
            ) {
                let _ = check(&format!("{h}.{p}.{s}"));
            }

            #[test]
            fn arbitrary_json_parts_never_panic(
                header in prop::collection::hash_map("[a-z]{1,4}", "[A-Za-z0-9]{0,8}", 0..4),
                payload in ".{0,80}", sig in prop::collection::vec(any::<u8>(), 0..80)
            ) {
                let mut h: Value = serde_json::to_value(&header).unwrap();
                h["alg"] = json!("ES256");
                let t = format!("{}.{}.{}", URL_SAFE_NO_PAD.encode(h.to_string()),
                    URL_SAFE_NO_PAD.encode(payload), URL_SAFE_NO_PAD.encode(sig));
                prop_assert!(check(&t).is_err());
            }

            #[test]
            fn any_one_character_change_is_refused(i in 0usize..2000, c in "[A-Za-z0-9_.-]") {
                let good = valid_es256();
                let i = i % good.len();
                let c = c.chars().next().unwrap();
                prop_assume!(good.as_bytes()[i] != c as u8);
                let mut t = good.clone().into_bytes();
                t[i] = c as u8;
                prop_assert!(check(&String::from_utf8(t).unwrap()).is_err());
            }

            #[test]
            fn arbitrary_jwks_never_panic(s in ".{0,200}") {
                let _ = Jwks::parse(s.as_bytes());
            }
        }
    }
}
