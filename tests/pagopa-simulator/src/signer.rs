//! The development identity provider's JWT signer: an ES256 (P-256) key made
//! with aws-lc-rs, published as a JWK, signing with `jsonwebtoken::encode`.
//! It also makes the spoilt tokens of [`crate::oidc::TokenMode`]: `alg: none`
//! ([`compact`]) and signatures by another key under the real key's `kid`
//! ([`JwtSigner::sign_with_header`]).
//!
//! For development and tests only: the portal itself only verifies tokens
//! (`shared::auth::jwt`).

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::jwk::{Jwk, JwkSet, PublicKeyUse, ThumbprintHash};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::Value;

/// An ES256 signing key with its `kid`.
pub struct JwtSigner {
    kid: String,
    key: EncodingKey,
    /// The public key, without `kid`.
    public: Jwk,
}

impl std::fmt::Debug for JwtSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtSigner")
            .field("kid", &self.kid)
            .field("alg", &self.alg())
            .finish_non_exhaustive()
    }
}

/// `header.payload.signature`, each part base64url without padding, whatever
/// the header says: for tokens no signer makes (`alg: none`).
pub fn compact(header: &Value, claims: &Value, signature: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        URL_SAFE_NO_PAD.encode(signature)
    )
}

impl JwtSigner {
    /// A new P-256 key (ES256).
    pub fn generate_es256(kid: &str) -> Self {
        let pkcs8 =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
                .expect("P-256 key");
        let key = EncodingKey::from_ec_der(pkcs8.as_ref());
        let public = Jwk::from_encoding_key(&key, Algorithm::ES256).expect("P-256 public key");
        Self {
            kid: kid.to_owned(),
            key,
            public,
        }
    }

    /// The same key under another `kid`.
    pub fn with_kid(mut self, kid: &str) -> Self {
        self.kid = kid.to_owned();
        self
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn alg(&self) -> Algorithm {
        Algorithm::ES256
    }

    /// The JWK thumbprint of the public key (RFC 7638, SHA-256, base64url): a
    /// `kid` that changes whenever the key does.
    pub fn thumbprint(&self) -> String {
        self.public.thumbprint(ThumbprintHash::SHA256)
    }

    fn jwk(&self) -> Jwk {
        let mut jwk = self.public.clone();
        jwk.common.key_id = Some(self.kid.clone());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        jwk
    }

    /// The public key as a JWK (`kid`, `use: sig`, `alg`).
    pub fn public_jwk(&self) -> Value {
        serde_json::to_value(self.jwk()).expect("JWK as JSON")
    }

    /// A JWKS document (`{"keys": [...]}`) of these signers' public keys.
    pub fn jwks(signers: &[&JwtSigner]) -> Value {
        let set = JwkSet {
            keys: signers.iter().map(|s| s.jwk()).collect(),
        };
        serde_json::to_value(set).expect("JWKS as JSON")
    }

    /// The usual header: `alg`, `kid`, `typ: JWT`.
    pub fn header(&self) -> Header {
        let mut header = Header::new(self.alg());
        header.kid = Some(self.kid.clone());
        header
    }

    /// A token with the usual header.
    pub fn sign(&self, claims: &Value) -> String {
        self.sign_with_header(&self.header(), claims)
    }

    /// A token with this header (its `alg` must be ES256), signed with this key
    /// whatever `kid` the header names: another signer's header makes a forgery.
    pub fn sign_with_header(&self, header: &Header, claims: &Value) -> String {
        jsonwebtoken::encode(header, claims, &self.key).expect("ES256 signature")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use shared::auth::jwt::{verify_id_token, Expectations, Jwks, TokenError};

    #[test]
    fn jwks_shape() {
        let s = JwtSigner::generate_es256("k1");
        let jwk = s.public_jwk();
        assert_eq!(jwk["kty"], "EC");
        assert_eq!(jwk["crv"], "P-256");
        assert_eq!(jwk["alg"], "ES256");
        assert_eq!(jwk["use"], "sig");
        assert_eq!(
            URL_SAFE_NO_PAD
                .decode(jwk["x"].as_str().unwrap())
                .unwrap()
                .len(),
            32
        );
        assert!(jwk.get("d").is_none());
        assert_eq!(JwtSigner::jwks(&[&s])["keys"][0]["kid"], "k1");
        assert!(!format!("{s:?}").is_empty());
        let t = s.thumbprint();
        assert_eq!(t.len(), 43);
        assert_ne!(t, JwtSigner::generate_es256("k1").thumbprint());
        assert_eq!(s.with_kid("k2").kid(), "k2");
    }

    #[test]
    fn rfc7638_thumbprint() {
        // RFC 7638 §3.1's example key.
        let jwk: Jwk = serde_json::from_value(json!({"kty": "RSA", "e": "AQAB", "kid": "2011-04-29",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"}))
            .unwrap();
        assert_eq!(
            jwk.thumbprint(ThumbprintHash::SHA256),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn the_portal_accepts_its_tokens_and_refuses_the_spoilt_ones() {
        let s = JwtSigner::generate_es256("dev-1");
        let jwks = Jwks::from_value(&JwtSigner::jwks(&[&s])).unwrap();
        let now = 1_800_000_000;
        let claims = json!({"iss": "http://127.0.0.1:3001/oidc", "sub": "s", "aud": "portale-dev",
            "iat": now, "exp": now + 300, "nonce": "n", "fiscal_number": "TINIT-RSSMRA85T10A562S"});
        let expect = Expectations::new("http://127.0.0.1:3001/oidc", "portale-dev", "n");
        let check = |t: &str| verify_id_token(t, &jwks, &expect, now);
        assert!(check(&s.sign(&claims)).is_ok());
        let none = compact(&json!({"alg": "none", "typ": "JWT"}), &claims, b"");
        assert_eq!(
            check(&none).unwrap_err(),
            TokenError::UnsupportedAlgorithm("none".into())
        );
        let forger = JwtSigner::generate_es256("forger");
        assert_eq!(
            check(&forger.sign_with_header(&s.header(), &claims)).unwrap_err(),
            TokenError::BadSignature
        );
    }
}
