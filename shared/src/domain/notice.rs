//! Notice numbers (codice avviso) and IUVs, as defined by pagoPA's SACI
//! "Generazione dell'Identificativo Univoco di Versamento".
//!
//! | aux | layout                  | IUV                         |
//! |-----|-------------------------|-----------------------------|
//! | 0   | `0 AA BBBBBBBBBBBBB CC` | base ‖ check (15 digits)    |
//! | 1   | `1 BBBBBBBBBBBBBBBBB`   | base (17 digits)            |
//! | 2   | `2 BBBBBBBBBBBBBBB CC`  | base ‖ check (17 digits)    |
//! | 3   | `3 SS BBBBBBBBBBBBB CC` | seg ‖ base ‖ check (17)     |
//!
//! The check digits are the number formed by the preceding digits (aux digit
//! included) modulo 93, written with two digits.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::lang::Lang;

/// Why a text is not a notice number. `Display` is the short Italian form of
/// the JSON API; [`NoticeError::message`] the sentence a citizen reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoticeError {
    #[error("il codice avviso deve avere 18 cifre")]
    Length,
    #[error("il codice avviso può contenere solo cifre")]
    NotDigits,
    #[error("il codice avviso deve iniziare con 0, 1, 2 o 3")]
    AuxDigit,
    #[error("il codice avviso non è corretto: controllare le ultime due cifre")]
    CheckDigits,
}

impl NoticeError {
    /// The error as a sentence in `lang`, for pages.
    pub fn message(&self, lang: Lang) -> &'static str {
        use NoticeError::*;
        match lang {
            Lang::It => match self {
                Length => "Il codice avviso deve avere 18 cifre.",
                NotDigits => "Il codice avviso può contenere solo cifre.",
                AuxDigit => "Il codice avviso deve iniziare con 0, 1, 2 o 3.",
                CheckDigits => "Il codice avviso non è corretto: controlla le ultime due cifre.",
            },
            Lang::En => match self {
                Length => "The notice code must have 18 digits.",
                NotDigits => "The notice code can contain digits only.",
                AuxDigit => "The notice code must start with 0, 1, 2 or 3.",
                CheckDigits => "The notice code is not correct: check its last two digits.",
            },
        }
    }
}

/// A two-digit segregation code assigned by PagoPA to one of an EC's IUV generation points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SegregationCode(u8);

impl SegregationCode {
    pub fn new(code: u8) -> Option<Self> {
        (code < 100).then_some(Self(code))
    }
    pub fn value(self) -> u8 {
        self.0
    }
}

impl TryFrom<String> for SegregationCode {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        if s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(s.parse().expect("two digits")))
        } else {
            Err(format!(
                "codice di segregazione non valido: {s:?} (due cifre)"
            ))
        }
    }
}

impl From<SegregationCode> for String {
    fn from(s: SegregationCode) -> String {
        format!("{:02}", s.0)
    }
}

impl fmt::Display for SegregationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}", self.0)
    }
}

/// Largest IUV base a sequence can produce for aux digit 3 (13 digits).
pub const MAX_SEQUENCE: u64 = 9_999_999_999_999;

/// An 18-digit pagoPA notice number whose structure and check digits are valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NoticeNumber([u8; 18]);

fn check_digits(digits: &[u8]) -> [u8; 2] {
    // At most 16 significant digits: fits in a u64.
    let n = digits
        .iter()
        .fold(0u64, |acc, d| acc * 10 + u64::from(d - b'0'));
    let r = (n % 93) as u8;
    [b'0' + r / 10, b'0' + r % 10]
}

impl NoticeNumber {
    /// Parses exactly 18 digits.
    pub fn parse(s: &str) -> Result<Self, NoticeError> {
        let b = s.as_bytes();
        if !b.iter().all(u8::is_ascii_digit) {
            return Err(NoticeError::NotDigits);
        }
        let digits: [u8; 18] = b.try_into().map_err(|_| NoticeError::Length)?;
        let expected = match digits[0] {
            b'0' | b'2' | b'3' => Some(check_digits(&digits[..16])),
            b'1' => None,
            _ => return Err(NoticeError::AuxDigit),
        };
        if let Some(check) = expected {
            if digits[16..] != check {
                return Err(NoticeError::CheckDigits);
            }
        }
        Ok(Self(digits))
    }

    /// Parses a notice number as a person types or reads it: spaces, dots and dashes
    /// between the digits are ignored (`3010 0000 0000 0001 44`).
    pub fn parse_lenient(s: &str) -> Result<Self, NoticeError> {
        let compact: String = s
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-' && *c != '.')
            .collect();
        Self::parse(&compact)
    }

    /// Builds the aux-digit-3 notice number for sequence number `sequence`
    /// (the 13-digit IUV base) of a segregation code.
    pub fn generate(seg: SegregationCode, sequence: u64) -> Option<Self> {
        if sequence > MAX_SEQUENCE {
            return None;
        }
        let head = format!("3{:02}{:013}", seg.0, sequence);
        let mut digits = [0u8; 18];
        digits[..16].copy_from_slice(head.as_bytes());
        let check = check_digits(&digits[..16]);
        digits[16..].copy_from_slice(&check);
        Some(Self(digits))
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("ASCII digits")
    }

    pub fn aux_digit(&self) -> u8 {
        self.0[0] - b'0'
    }

    /// The segregation code, for aux digit 3.
    pub fn segregation_code(&self) -> Option<SegregationCode> {
        (self.0[0] == b'3').then(|| SegregationCode((self.0[1] - b'0') * 10 + (self.0[2] - b'0')))
    }

    /// The IUV (`creditorReferenceId`) this notice number carries.
    pub fn iuv(&self) -> Iuv {
        let start = if self.0[0] == b'0' { 3 } else { 1 };
        Iuv(self.as_str()[start..].to_owned())
    }

    /// Display form on the avviso: groups of four digits, `3010 0000 0000 0001 44`.
    pub fn grouped(&self) -> String {
        let s = self.as_str();
        let mut out = String::with_capacity(22);
        for (i, ch) in s.chars().enumerate() {
            if i > 0 && i % 4 == 0 {
                out.push(' ');
            }
            out.push(ch);
        }
        out
    }
}

impl FromStr for NoticeNumber {
    type Err = NoticeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

super::string_conversions!(NoticeNumber, NoticeError);

/// Identificativo Univoco di Versamento: the 15 (aux 0) or 17 digits of a notice
/// number that identify the payment at the EC. Only obtainable from a valid
/// [`NoticeNumber`] or from a string of 15 or 17 digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Iuv(String);

impl Iuv {
    pub fn parse(s: &str) -> Result<Self, NoticeError> {
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(NoticeError::NotDigits);
        }
        if s.len() != 15 && s.len() != 17 {
            return Err(NoticeError::Length);
        }
        Ok(Self(s.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

super::string_conversions!(Iuv, NoticeError);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn messages_in_both_languages() {
        use NoticeError::*;
        for e in [Length, NotDigits, AuxDigit, CheckDigits] {
            let (it, en) = (e.message(Lang::It), e.message(Lang::En));
            assert!(
                it.starts_with("Il codice avviso") && it.ends_with('.'),
                "{it}"
            );
            assert!(
                en.starts_with("The notice code") && en.ends_with('.'),
                "{en}"
            );
        }
        assert_eq!(
            CheckDigits.message(Lang::It),
            "Il codice avviso non è corretto: controlla le ultime due cifre."
        );
        assert_eq!(
            AuxDigit.message(Lang::En),
            "The notice code must start with 0, 1, 2 or 3."
        );
    }

    fn seg(n: u8) -> SegregationCode {
        SegregationCode::new(n).unwrap()
    }

    /// The worked examples of pagopa.md §3 (cross-checked against GovPay and the pagoPA toolkit).
    #[test]
    fn worked_examples() {
        let cases = [
            (1, 1, "01000000000000144", "301000000000000144"),
            (
                47,
                1_234_567_890_123,
                "47123456789012389",
                "347123456789012389",
            ),
            (
                2,
                123_876_543_123,
                "02012387654312386",
                "302012387654312386",
            ),
            (99, 123_456, "99000000012345609", "399000000012345609"),
            (0, 0, "00000000000000003", "300000000000000003"),
        ];
        for (s, seq, iuv, notice) in cases {
            let n = NoticeNumber::generate(seg(s), seq).unwrap();
            assert_eq!(n.as_str(), notice);
            assert_eq!(n.iuv().as_str(), iuv);
            assert_eq!(NoticeNumber::parse(notice).unwrap(), n);
            assert_eq!(n.segregation_code(), Some(seg(s)));
        }
    }

    #[test]
    fn aux_zero_examples() {
        let n = NoticeNumber::parse("001000000000000141").unwrap();
        assert_eq!(n.iuv().as_str(), "000000000000141");
        assert_eq!(n.aux_digit(), 0);
        assert_eq!(n.segregation_code(), None);
        let n = NoticeNumber::parse("012123456789012381").unwrap();
        assert_eq!(n.iuv().as_str(), "123456789012381");
    }

    #[test]
    fn aux_one_and_two() {
        let n = NoticeNumber::parse("112345678901234567").unwrap();
        assert_eq!(n.iuv().as_str(), "12345678901234567");
        // aux 2: check = (2 ‖ base15) mod 93
        let base = "123456789012345";
        let r = format!("2{base}").parse::<u64>().unwrap() % 93;
        let notice = format!("2{base}{r:02}");
        assert!(NoticeNumber::parse(&notice).is_ok());
        let wrong = format!("2{base}{:02}", (r + 1) % 93);
        assert_eq!(NoticeNumber::parse(&wrong), Err(NoticeError::CheckDigits));
    }

    #[test]
    fn rejects_malformed() {
        assert_eq!(
            NoticeNumber::parse("30100000000000014"),
            Err(NoticeError::Length)
        );
        assert_eq!(
            NoticeNumber::parse("3010000000000001444"),
            Err(NoticeError::Length)
        );
        assert_eq!(NoticeNumber::parse(""), Err(NoticeError::Length));
        assert_eq!(
            NoticeNumber::parse("30100000000000014a"),
            Err(NoticeError::NotDigits)
        );
        assert_eq!(
            NoticeNumber::parse("３01000000000000144"),
            Err(NoticeError::NotDigits)
        );
        assert_eq!(
            NoticeNumber::parse("401000000000000144"),
            Err(NoticeError::AuxDigit)
        );
        // pagoPA's documentation examples carry wrong check digits.
        assert_eq!(
            NoticeNumber::parse("302012387654312384"),
            Err(NoticeError::CheckDigits)
        );
        assert_eq!(
            NoticeNumber::parse("311111111112222222"),
            Err(NoticeError::CheckDigits)
        );
    }

    #[test]
    fn lenient_and_grouped() {
        let n = NoticeNumber::parse_lenient(" 3010 0000 0000 0001 44 ").unwrap();
        assert_eq!(n.grouped(), "3010 0000 0000 0001 44");
        assert_eq!(
            NoticeNumber::parse_lenient("3010-0000-0000-0001-44").unwrap(),
            n
        );
        assert!(NoticeNumber::parse("3010 0000 0000 0001 44").is_err());
    }

    #[test]
    fn sequence_bounds() {
        assert!(NoticeNumber::generate(seg(1), MAX_SEQUENCE).is_some());
        assert!(NoticeNumber::generate(seg(1), MAX_SEQUENCE + 1).is_none());
        assert!(SegregationCode::new(100).is_none());
    }

    #[test]
    fn serde_roundtrip() {
        let n = NoticeNumber::generate(seg(1), 42).unwrap();
        let json = serde_json::to_string(&n).unwrap();
        assert_eq!(json, format!("\"{}\"", n.as_str()));
        assert_eq!(serde_json::from_str::<NoticeNumber>(&json).unwrap(), n);
        assert!(serde_json::from_str::<NoticeNumber>("\"301000000000000145\"").is_err());
        assert_eq!(serde_json::to_string(&seg(1)).unwrap(), "\"01\"");
    }

    proptest! {
        #[test]
        fn generated_numbers_parse_back(s in 0u8..100, seq in 0u64..=MAX_SEQUENCE) {
            let n = NoticeNumber::generate(seg(s), seq).unwrap();
            prop_assert_eq!(NoticeNumber::parse(n.as_str()).unwrap(), n);
            prop_assert_eq!(NoticeNumber::parse_lenient(&n.grouped()).unwrap(), n);
            prop_assert_eq!(n.iuv().as_str().to_owned(), n.as_str()[1..].to_owned());
            prop_assert_eq!(n.segregation_code(), Some(seg(s)));
        }

        #[test]
        fn any_single_digit_change_of_the_check_is_caught(s in 0u8..100, seq in 0u64..=MAX_SEQUENCE, pos in 16usize..18, delta in 1u8..10) {
            let n = NoticeNumber::generate(seg(s), seq).unwrap();
            let mut bytes = n.as_str().as_bytes().to_vec();
            bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
            let changed = String::from_utf8(bytes).unwrap();
            prop_assert!(NoticeNumber::parse(&changed).is_err());
        }

        #[test]
        fn distinct_sequences_give_distinct_numbers(s in 0u8..100, a in 0u64..=MAX_SEQUENCE, b in 0u64..=MAX_SEQUENCE) {
            prop_assume!(a != b);
            prop_assert_ne!(NoticeNumber::generate(seg(s), a), NoticeNumber::generate(seg(s), b));
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,40}") {
            let _ = NoticeNumber::parse(&s);
            let _ = NoticeNumber::parse_lenient(&s);
        }
    }
}
