//! Small validated text types shared by the model.

use serde::{Deserialize, Serialize};

macro_rules! bounded_text {
    ($(#[$m:meta])* $name:ident, $max:expr, $what:expr) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub const MAX_CHARS: usize = $max;
            /// Trims the text and checks it is not empty, not longer than the
            /// limit and free of control characters.
            pub fn parse(s: &str) -> Result<Self, String> {
                let t = s.trim();
                if t.is_empty() {
                    return Err(format!("{} è obbligatorio", $what));
                }
                if t.chars().count() > $max {
                    return Err(format!("{} può avere al massimo {} caratteri", $what, $max));
                }
                if t.chars().any(char::is_control) {
                    return Err(format!("{} contiene caratteri non ammessi", $what));
                }
                Ok(Self(t.to_owned()))
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        super::string_conversions!($name, String);
    };
}

bounded_text!(
    /// Free text of at most 140 characters (pagoPA `stText140`): descriptions, remittance information.
    Text140, 140, "il testo"
);
bounded_text!(
    /// A person's or organisation's full name (pagoPA `stText70`).
    FullName, 70, "il nome"
);
bounded_text!(
    /// A taxonomy category (`transferCategory`), e.g. `9/0101100IM/`.
    Category, 140, "la categoria tassonomica"
);

/// The EC's own identifier of a debt position (GPD `iupd`): 1–35 characters
/// among letters, digits, `-`, `_` and `.`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Iupd(String);

impl Iupd {
    pub fn parse(s: &str) -> Result<Self, String> {
        let ok = !s.is_empty()
            && s.len() <= 35
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err("l'identificativo (iupd) deve avere da 1 a 35 caratteri tra lettere, cifre, '-', '_' e '.'".into())
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

super::string_conversions!(Iupd, String);

/// A service code of an EC's catalogue (`TARI`, `CDS`, `MENSA`): 1–35 letters, digits, `-`, `_`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ServiceCode(String);

impl ServiceCode {
    pub fn parse(s: &str) -> Result<Self, String> {
        let ok = !s.is_empty()
            && s.len() <= 35
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b));
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(
                "il codice servizio deve avere da 1 a 35 caratteri tra lettere, cifre, '-' e '_'"
                    .into(),
            )
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

super::string_conversions!(ServiceCode, String);

/// An e-mail address: one `@`, a dotted domain, no spaces, at most 254 characters.
/// Never logged in clear: use [`Email::masked`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// An address in the form SES sends to: a dot-atom local part (RFC 5322
    /// `atext`: no spaces, quotes, commas or angle brackets) and a domain of
    /// ASCII labels (an international domain must be given in its punycode
    /// form, `xn--…`).
    pub fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim();
        let err = || "indirizzo email non valido".to_string();
        if t.len() > 254 {
            return Err(err());
        }
        let (local, domain) = t.rsplit_once('@').ok_or_else(err)?;
        let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-".contains(c);
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && local
                .split('.')
                .all(|a| !a.is_empty() && a.chars().all(atext));
        if !local_ok {
            return Err(err());
        }
        if !domain.is_ascii() {
            return Err(
                "indirizzo email non valido: un dominio con lettere accentate va scritto nella forma punycode (xn--…)"
                    .into(),
            );
        }
        let label_ok = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        };
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2 || !labels.iter().all(|l| label_ok(l)) {
            return Err(err());
        }
        Ok(Self(t.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn masked(&self) -> String {
        let (local, domain) = self.0.split_once('@').expect("validated");
        format!("{}***@{}", local.chars().next().unwrap_or('*'), domain)
    }
}

impl TryFrom<String> for Email {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s)
    }
}
impl From<Email> for String {
    fn from(v: Email) -> String {
        v.0
    }
}

/// An IBAN (ISO 13616): country, check digits verified modulo 97, 15–34 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Iban(String);

impl Iban {
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut compact = String::with_capacity(s.len());
        compact.extend(
            s.chars()
                .filter(|c| !c.is_whitespace())
                .map(|c| c.to_ascii_uppercase()),
        );
        let b = compact.as_bytes();
        let shape = (15..=34).contains(&b.len())
            && b[..2].iter().all(u8::is_ascii_uppercase)
            && b[2..4].iter().all(u8::is_ascii_digit)
            && b.iter().all(u8::is_ascii_alphanumeric)
            && (&b[..2] != b"IT" || b.len() == 27);
        if !shape {
            return Err("IBAN non valido".into());
        }
        // ISO 7064 mod 97-10, reduced only when the sum grows large (one
        // division every few characters instead of one each).
        let rem = b[4..].iter().chain(&b[..4]).fold(0u64, |acc, &c| {
            let acc = if c.is_ascii_digit() {
                acc * 10 + u64::from(c - b'0')
            } else {
                acc * 100 + u64::from(c - b'A' + 10)
            };
            if acc >= 1 << 50 {
                acc % 97
            } else {
                acc
            }
        }) % 97;
        if rem == 1 {
            Ok(Self(compact))
        } else {
            Err("IBAN non valido: cifre di controllo errate".into())
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// Italian postal accounts (Poste Italiane, ABI 07601).
    pub fn is_postal(&self) -> bool {
        self.0.starts_with("IT") && &self.0[5..10] == "07601"
    }
}

super::string_conversions!(Iban, String);

/// Cuts a text to at most `max` characters (pagoPA's stTextNN types).
pub fn fit(s: &str, max: usize) -> String {
    s.trim()
        .chars()
        .take(max)
        .collect::<String>()
        .trim_end()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_what_ses_sends_to() {
        for ok in [
            "mario.rossi@example.org",
            "a+b_c-d@sub.example.it",
            "o'brien@example.ie",
            "x@xn--citt-5qa.it",
        ] {
            assert!(Email::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "mario rossi@example.org",
            "\"mario\"@example.org",
            "a,b@example.org",
            "a<b>@example.org",
            ".a@example.org",
            "a..b@example.org",
            "a.@example.org",
            "a@example",
            "a@-example.org",
            "a@example-.org",
            "a@@example.org",
            "a@exa_mple.org",
            "àlvaro@example.org",
            "",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
        let idn = Email::parse("mario@città.it").unwrap_err();
        assert!(idn.contains("punycode"), "{idn}");
    }
    use proptest::prelude::*;

    #[test]
    fn ibans() {
        assert!(Iban::parse("IT60X0542811101000000123456").is_ok());
        assert!(Iban::parse("it60 x054 2811 1010 0000 0123 456").is_ok());
        assert!(Iban::parse("IT61X0542811101000000123456").is_err());
        assert!(Iban::parse("IT60X054281110100000012345").is_err());
        assert!(Iban::parse("GB82WEST12345698765432").is_ok());
        assert!(Iban::parse("").is_err());
        assert!(!Iban::parse("IT60X0542811101000000123456")
            .unwrap()
            .is_postal());
        assert!(Iban::parse("IT57N0760114800000011050036")
            .unwrap()
            .is_postal());
    }

    #[test]
    fn emails() {
        assert!(Email::parse("mario.rossi@example.org").is_ok());
        for bad in [
            "mario",
            "mario@",
            "@example.org",
            "a b@example.org",
            "a@b@example.org",
            "a@example",
            "a@exa..mple.org",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Email::parse("mario.rossi@example.org").unwrap().masked(),
            "m***@example.org"
        );
    }

    #[test]
    fn texts() {
        assert_eq!(
            Text140::parse("  TARI 2026 ").unwrap().as_str(),
            "TARI 2026"
        );
        assert!(Text140::parse("   ").is_err());
        assert!(Text140::parse(&"x".repeat(141)).is_err());
        assert!(Text140::parse(&"è".repeat(140)).is_ok());
        assert!(Text140::parse("a\u{0}b").is_err());
        assert!(Iupd::parse("TARI-2026-0001").is_ok());
        assert!(Iupd::parse("TARI 2026").is_err());
        assert!(Iupd::parse(&"a".repeat(36)).is_err());
        assert!(ServiceCode::parse("TARI").is_ok());
        assert!(ServiceCode::parse("TA.RI").is_err());
    }

    proptest! {
        #[test]
        fn parsers_never_panic(s in "\\PC{0,60}") {
            let _ = Iban::parse(&s);
            let _ = Email::parse(&s);
            let _ = Text140::parse(&s);
            let _ = Iupd::parse(&s);
        }
    }
}
