//! A JWT signer for tests and the development identity provider (the pagoPA
//! simulator's `/oidc`): generates an ES256 (P-256) or RS256 (RSA 2048) key,
//! publishes it as a JWK and signs arbitrary claims under any header, so tests
//! can forge tokens too. The verifier ([`super::jwt`]) does not use it.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    EcdsaKeyPair, KeyPair, RsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING, RSA_PKCS1_SHA256,
};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

enum Key {
    Es256(EcdsaKeyPair),
    Rs256(RsaKeyPair),
}

/// A signing key with its `kid`.
pub struct JwtSigner {
    kid: String,
    key: Key,
}

impl std::fmt::Debug for JwtSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtSigner")
            .field("kid", &self.kid)
            .field("alg", &self.alg())
            .finish_non_exhaustive()
    }
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

/// Reads one DER element of `tag` at the start of `der`: (content, rest).
fn der_element(der: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&t, rest) = der.split_first()?;
    if t != tag {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| rest.split_at(len))
}

/// `n` and `e` of a DER `RSAPublicKey` (RFC 8017), without leading zeros.
fn rsa_components(der: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let (seq, _) = der_element(der, 0x30)?;
    let (n, rest) = der_element(seq, 0x02)?;
    let (e, _) = der_element(rest, 0x02)?;
    let strip = |b: &[u8]| b.iter().skip_while(|&&x| x == 0).copied().collect();
    Some((strip(n), strip(e)))
}

impl JwtSigner {
    /// A new P-256 key (ES256).
    pub fn generate_es256(kid: &str) -> Self {
        let key = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).expect("P-256 key");
        Self {
            kid: kid.to_owned(),
            key: Key::Es256(key),
        }
    }

    /// A new RSA 2048-bit key (RS256). Takes a moment.
    pub fn generate_rs256(kid: &str) -> Self {
        let key = RsaKeyPair::generate(KeySize::Rsa2048).expect("RSA key");
        Self {
            kid: kid.to_owned(),
            key: Key::Rs256(key),
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

    /// The JWK thumbprint of the public key (RFC 7638, SHA-256, base64url): a
    /// `kid` that changes whenever the key does.
    pub fn thumbprint(&self) -> String {
        let jwk = self.public_jwk();
        // The required members only, in lexicographic order, no spaces.
        let canonical = match &self.key {
            Key::Es256(_) => format!(
                r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
                jwk["x"].as_str().unwrap_or_default(),
                jwk["y"].as_str().unwrap_or_default()
            ),
            Key::Rs256(_) => format!(
                r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
                jwk["e"].as_str().unwrap_or_default(),
                jwk["n"].as_str().unwrap_or_default()
            ),
        };
        URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
    }

    /// `ES256` or `RS256`.
    pub fn alg(&self) -> &'static str {
        match self.key {
            Key::Es256(_) => "ES256",
            Key::Rs256(_) => "RS256",
        }
    }

    /// The public key as a JWK (`kid`, `use: sig`, `alg`).
    pub fn public_jwk(&self) -> Value {
        match &self.key {
            Key::Es256(k) => {
                let point = k.public_key().as_ref();
                json!({"kty": "EC", "crv": "P-256", "kid": self.kid, "use": "sig", "alg": "ES256",
                    "x": URL_SAFE_NO_PAD.encode(&point[1..33]), "y": URL_SAFE_NO_PAD.encode(&point[33..65])})
            }
            Key::Rs256(k) => {
                let (n, e) = rsa_components(k.public_key().as_ref()).expect("RSAPublicKey DER");
                json!({"kty": "RSA", "kid": self.kid, "use": "sig", "alg": "RS256",
                    "n": URL_SAFE_NO_PAD.encode(n), "e": URL_SAFE_NO_PAD.encode(e)})
            }
        }
    }

    /// A JWKS document (`{"keys": [...]}`) of these signers' public keys.
    pub fn jwks(signers: &[&JwtSigner]) -> Value {
        json!({ "keys": signers.iter().map(|s| s.public_jwk()).collect::<Vec<_>>() })
    }

    /// The raw signature of `message` (ES256: 64 bytes `r || s`).
    pub fn sign_bytes(&self, message: &[u8]) -> Vec<u8> {
        let rng = SystemRandom::new();
        match &self.key {
            Key::Es256(k) => k
                .sign(&rng, message)
                .expect("ECDSA signature")
                .as_ref()
                .to_vec(),
            Key::Rs256(k) => {
                let mut sig = vec![0; k.public_modulus_len()];
                k.sign(&RSA_PKCS1_SHA256, &rng, message, &mut sig)
                    .expect("RSA signature");
                sig
            }
        }
    }

    /// A token with the usual header (`alg`, `kid`, `typ: JWT`).
    pub fn sign(&self, claims: &Value) -> String {
        let header = json!({"alg": self.alg(), "kid": self.kid, "typ": "JWT"});
        self.sign_with_header(&header, claims)
    }

    /// A token with any header, signed with this key whatever the header says.
    pub fn sign_with_header(&self, header: &Value, claims: &Value) -> String {
        let h = URL_SAFE_NO_PAD.encode(header.to_string());
        let p = URL_SAFE_NO_PAD.encode(claims.to_string());
        let sig = self.sign_bytes(format!("{h}.{p}").as_bytes());
        format!("{h}.{p}.{}", URL_SAFE_NO_PAD.encode(sig))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_lengths() {
        assert_eq!(
            der_element(&[0x02, 1, 5], 0x02),
            Some((&[5u8][..], &[][..]))
        );
        assert_eq!(der_element(&[0x02, 2, 5], 0x02), None);
        assert_eq!(der_element(&[0x30, 1, 5], 0x02), None);
        let long = [&[0x04u8, 0x81, 0x80][..], &[7; 128]].concat();
        assert_eq!(der_element(&long, 0x04).unwrap().0.len(), 128);
        assert_eq!(der_element(&[0x04, 0x80], 0x04), None);
    }

    #[test]
    fn jwks_shape() {
        let s = JwtSigner::generate_es256("k1");
        let jwk = s.public_jwk();
        assert_eq!(jwk["kty"], "EC");
        assert_eq!(
            URL_SAFE_NO_PAD
                .decode(jwk["x"].as_str().unwrap())
                .unwrap()
                .len(),
            32
        );
        assert_eq!(s.sign_bytes(b"x").len(), 64);
        assert_eq!(JwtSigner::jwks(&[&s])["keys"][0]["kid"], "k1");
        assert!(!format!("{s:?}").is_empty());
        let t = s.thumbprint();
        assert_eq!(t.len(), 43);
        assert_ne!(t, JwtSigner::generate_es256("k1").thumbprint());
        assert_eq!(s.with_kid("k2").kid(), "k2");
    }

    #[test]
    fn rfc7638_thumbprint_form() {
        // RFC 7638 §3.1's example key, rebuilt from its canonical JSON.
        let canonical = r#"{"e":"AQAB","kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"}"#;
        assert_eq!(
            URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes())),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }
}
