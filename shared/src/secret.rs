//! Random secrets (session cookies, single-use codes, cart ids) and the keys
//! they are stored under: a secret's SHA-256, so that reading the table gives
//! nobody a usable session or code.

use sha2::{Digest, Sha256};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn random<const N: usize>() -> String {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("system randomness");
    hex(&bytes)
}

/// A random secret: 32 bytes, hex.
pub fn secret() -> String {
    random::<32>()
}

/// A random token: 16 bytes, hex (CSRF tokens, payment ids).
pub fn random_token() -> String {
    random::<16>()
}

/// A uniformly random number in `0..=max`, from the system's randomness.
pub fn random_up_to(max: u64) -> u64 {
    let span = max.saturating_add(1);
    // Rejection sampling: no bias towards small numbers.
    let limit = u64::MAX - u64::MAX % span;
    loop {
        let mut bytes = [0u8; 8];
        getrandom::fill(&mut bytes).expect("system randomness");
        let n = u64::from_le_bytes(bytes);
        if n < limit {
            return n % span;
        }
    }
}

/// The store key of a secret.
pub fn key(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// Whether a value looks like one of our secrets.
pub fn well_formed(secret: &str) -> bool {
    secret.len() == 64 && secret.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Whether a value looks like one of our tokens ([`random_token`]).
pub fn well_formed_token(token: &str) -> bool {
    token.len() == 32 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_and_keys_hide_them() {
        let a = secret();
        let b = secret();
        assert_ne!(a, b);
        assert!(well_formed(&a));
        assert_eq!(key(&a).len(), 64);
        assert_ne!(key(&a), a);
        assert_eq!(key(&a), key(&a));
        assert!(!well_formed("../etc"));
        assert!(!well_formed(&"g".repeat(64)));
        assert_eq!(random_token().len(), 32);
    }
}
