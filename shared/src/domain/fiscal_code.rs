//! Italian codice fiscale: the 16-character personal code and the 11-digit numeric
//! code (partita IVA, legal persons, temporary codes). Rules in pagopa.md §6.

use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::lang::Lang;

/// Why a text is not a fiscal code. `Display` is the short Italian form of the
/// JSON API; [`FiscalCodeError::message`] the sentence a citizen reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FiscalCodeError {
    #[error("il codice fiscale deve avere 16 caratteri (persona fisica) o 11 cifre")]
    Length,
    #[error("il codice fiscale contiene caratteri non ammessi")]
    Characters,
    #[error("il codice fiscale contiene una data di nascita non valida")]
    BirthDate,
    #[error("il codice fiscale non è corretto: il carattere di controllo non corrisponde")]
    CheckCharacter,
    #[error("il codice fiscale numerico non è valido")]
    Numeric,
}

impl FiscalCodeError {
    /// The error as a sentence in `lang`, for pages and form messages.
    pub fn message(&self, lang: Lang) -> &'static str {
        use FiscalCodeError::*;
        match lang {
            Lang::It => match self {
                Length => "Il codice fiscale deve avere 16 caratteri (persona fisica) o 11 cifre.",
                Characters => "Il codice fiscale contiene caratteri non ammessi.",
                BirthDate => "Il codice fiscale contiene una data di nascita non valida.",
                CheckCharacter => {
                    "Il codice fiscale non è corretto: il carattere di controllo non corrisponde."
                }
                Numeric => "Il codice fiscale numerico (partita IVA) non è valido.",
            },
            Lang::En => match self {
                Length => "The tax code must have 16 characters (natural person) or 11 digits.",
                Characters => "The tax code contains characters that are not allowed.",
                BirthDate => "The tax code contains an invalid date of birth.",
                CheckCharacter => {
                    "The tax code is not correct: its check character does not match."
                }
                Numeric => "The numeric tax code (VAT number) is not valid.",
            },
        }
    }
}

/// A valid codice fiscale or partita IVA, in upper case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FiscalCode(String);

const MONTHS: &[u8; 12] = b"ABCDEHLMPRST";
/// Omocodia substitutes for the digits 0..=9.
const OMOCODIA: &[u8; 10] = b"LMNPQRSTUV";
/// Zero-based positions of the seven characters that are digits unless replaced by omocodia.
const DIGIT_POSITIONS: [usize; 7] = [6, 7, 9, 10, 12, 13, 14];
const ODD_VALUES: [u32; 26] = [
    1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23,
];

fn char_index(c: u8) -> u32 {
    if c.is_ascii_digit() {
        u32::from(c - b'0')
    } else {
        u32::from(c - b'A')
    }
}

/// The check character of the first fifteen characters of a personal code.
pub fn personal_check_char(first15: &[u8]) -> u8 {
    let sum: u32 = first15
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            if i % 2 == 0 {
                ODD_VALUES[char_index(c) as usize]
            } else {
                char_index(c)
            }
        })
        .sum();
    b'A' + (sum % 26) as u8
}

/// The check digit of the first ten digits of a numeric code (Luhn variant).
pub fn numeric_check_digit(first10: &[u8]) -> u8 {
    let sum: u32 = first10
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let d = u32::from(c - b'0');
            if i % 2 == 0 {
                d
            } else if d * 2 > 9 {
                d * 2 - 9
            } else {
                d * 2
            }
        })
        .sum();
    b'0' + ((10 - sum % 10) % 10) as u8
}

fn decode_digit(c: u8) -> Option<u8> {
    if c.is_ascii_digit() {
        Some(c - b'0')
    } else {
        OMOCODIA.iter().position(|&o| o == c).map(|p| p as u8)
    }
}

fn parse_personal(b: &[u8]) -> Result<(), FiscalCodeError> {
    for (i, &c) in b.iter().enumerate() {
        let ok = if DIGIT_POSITIONS.contains(&i) {
            decode_digit(c).is_some()
        } else {
            c.is_ascii_uppercase()
        };
        if !ok {
            return Err(FiscalCodeError::Characters);
        }
    }
    let month = MONTHS
        .iter()
        .position(|&m| m == b[8])
        .ok_or(FiscalCodeError::BirthDate)? as u32
        + 1;
    let d = |i: usize| u32::from(decode_digit(b[i]).expect("checked above"));
    let year = d(6) * 10 + d(7);
    let mut day = d(9) * 10 + d(10);
    if day > 40 {
        day -= 40;
    }
    // The century is not encoded: a date is real if it exists in either century
    // (29 February of a year divisible by 4 in 1900 or 2000).
    let real = [1900, 2000]
        .iter()
        .any(|c| NaiveDate::from_ymd_opt(c + year as i32, month, day).is_some());
    if !real {
        return Err(FiscalCodeError::BirthDate);
    }
    if personal_check_char(&b[..15]) != b[15] {
        return Err(FiscalCodeError::CheckCharacter);
    }
    Ok(())
}

impl FiscalCode {
    /// Parses a personal (16) or numeric (11) code. Surrounding spaces are ignored and
    /// letters may be in lower case.
    pub fn parse(s: &str) -> Result<Self, FiscalCodeError> {
        let code = s.trim().to_ascii_uppercase();
        let b = code.as_bytes();
        if !b.iter().all(u8::is_ascii_alphanumeric) {
            return Err(FiscalCodeError::Characters);
        }
        match b.len() {
            16 => parse_personal(b)?,
            11 => {
                if !b.iter().all(u8::is_ascii_digit) {
                    return Err(FiscalCodeError::Characters);
                }
                if b[..7].iter().all(|&c| c == b'0') || numeric_check_digit(&b[..10]) != b[10] {
                    return Err(FiscalCodeError::Numeric);
                }
            }
            _ => return Err(FiscalCodeError::Length),
        }
        Ok(Self(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_personal(&self) -> bool {
        self.0.len() == 16
    }

    /// A form for logs: never the code in clear.
    pub fn masked(&self) -> String {
        format!("{}***{}", &self.0[..2], &self.0[self.0.len() - 1..])
    }
}

impl FromStr for FiscalCode {
    type Err = FiscalCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

super::string_conversions!(FiscalCode, FiscalCodeError);

/// The fiscal code of an Ente Creditore: eleven digits, nothing more is checked
/// (pagoPA's test EC `77777777777` has a wrong check digit and must be accepted).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EcFiscalCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("il codice fiscale dell'ente deve avere 11 cifre")]
pub struct EcFiscalCodeError;

impl EcFiscalCode {
    pub fn parse(s: &str) -> Result<Self, EcFiscalCodeError> {
        if s.len() == 11 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(s.to_owned()))
        } else {
            Err(EcFiscalCodeError)
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

super::string_conversions!(EcFiscalCode, EcFiscalCodeError);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn messages_in_both_languages() {
        use FiscalCodeError::*;
        for e in [Length, Characters, BirthDate, CheckCharacter, Numeric] {
            let (it, en) = (e.message(Lang::It), e.message(Lang::En));
            assert!(
                it.starts_with("Il codice fiscale") && it.ends_with('.'),
                "{it}"
            );
            assert!(en.starts_with("The ") && en.ends_with('.'), "{en}");
        }
        assert_eq!(
            CheckCharacter.message(Lang::It),
            "Il codice fiscale non è corretto: il carattere di controllo non corrisponde."
        );
        assert_eq!(
            Length.message(Lang::En),
            "The tax code must have 16 characters (natural person) or 11 digits."
        );
    }

    #[test]
    fn personal_vectors() {
        for ok in [
            "RCCMNL83S18D969H",
            "CNTCHR83T41D969D",
            "RCCMRZ88A52C409A",
            "JHNDOE00A01F205N",
            "RSSMRA85T10A562S",
            "RSSMRA85T10A56NH",
            "RSSMRA85T10A5SNT",
            "RSSMRA85T10ARSNO",
            "RSSMRA85T1LARSNR",
            "RSSMRA85TMLARSNC",
            "RSSMRA8RTMLARSNO",
            "RSSMRAURTMLARSNL",
        ] {
            assert!(FiscalCode::parse(ok).is_ok(), "{ok} should be valid");
        }
        for bad in ["RSSMRA60D20F205R", "BNCGSP70A12F205X", "MRARSS80A01H501U"] {
            assert_eq!(
                FiscalCode::parse(bad),
                Err(FiscalCodeError::CheckCharacter),
                "{bad}"
            );
        }
    }

    #[test]
    fn normalises_case_and_spaces() {
        let f = FiscalCode::parse(" rssmra85t10a562s ").unwrap();
        assert_eq!(f.as_str(), "RSSMRA85T10A562S");
        assert!(f.is_personal());
        assert_eq!(f.masked(), "RS***S");
    }

    #[test]
    fn rejects_bad_dates_and_characters() {
        // Month letter F does not exist.
        let mut b = *b"RSSMRA85F10A562S";
        b[15] = personal_check_char(&b[..15]);
        assert_eq!(
            FiscalCode::parse(std::str::from_utf8(&b).unwrap()),
            Err(FiscalCodeError::BirthDate)
        );
        // Day 32 and day 35 (neither a man's nor a woman's day).
        for day in [b"32", b"35", b"00", b"72"] {
            let mut b = *b"RSSMRA85T10A562S";
            b[9..11].copy_from_slice(day);
            b[15] = personal_check_char(&b[..15]);
            assert_eq!(
                FiscalCode::parse(std::str::from_utf8(&b).unwrap()),
                Err(FiscalCodeError::BirthDate)
            );
        }
        // 30 February.
        let mut b = *b"RSSMRA85B30A562S";
        b[15] = personal_check_char(&b[..15]);
        assert_eq!(
            FiscalCode::parse(std::str::from_utf8(&b).unwrap()),
            Err(FiscalCodeError::BirthDate)
        );
        // 29 February of year 01 exists in neither 1901 nor 2001.
        let mut b = *b"RSSMRA01B29A562S";
        b[15] = personal_check_char(&b[..15]);
        assert_eq!(
            FiscalCode::parse(std::str::from_utf8(&b).unwrap()),
            Err(FiscalCodeError::BirthDate)
        );
        // 29 February of year 00 exists (2000).
        let mut b = *b"RSSMRA00B29A562S";
        b[15] = personal_check_char(&b[..15]);
        assert!(FiscalCode::parse(std::str::from_utf8(&b).unwrap()).is_ok());
        // A digit where a letter is due, a letter that is not an omocodia substitute.
        assert_eq!(
            FiscalCode::parse("R5SMRA85T10A562S"),
            Err(FiscalCodeError::Characters)
        );
        assert_eq!(
            FiscalCode::parse("RSSMRA85T10A56AS"),
            Err(FiscalCodeError::Characters)
        );
        assert_eq!(
            FiscalCode::parse("RSSMRA85T10A562-"),
            Err(FiscalCodeError::Characters)
        );
        assert_eq!(
            FiscalCode::parse("RSSMRA85T10A562"),
            Err(FiscalCodeError::Length)
        );
        assert_eq!(FiscalCode::parse(""), Err(FiscalCodeError::Length));
    }

    #[test]
    fn numeric_vectors() {
        for ok in [
            "00743110157",
            "01199250158",
            "15376371009",
            "80015010723",
            "02438750586",
        ] {
            assert!(FiscalCode::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(
            FiscalCode::parse("00743110158"),
            Err(FiscalCodeError::Numeric)
        );
        assert_eq!(
            FiscalCode::parse("77777777777"),
            Err(FiscalCodeError::Numeric)
        );
        assert_eq!(
            FiscalCode::parse("00000000000"),
            Err(FiscalCodeError::Numeric)
        );
        assert_eq!(
            FiscalCode::parse("0074311015A"),
            Err(FiscalCodeError::Characters)
        );
        assert_eq!(numeric_check_digit(b"0074311015"), b'7');
    }

    #[test]
    fn ec_codes_are_only_eleven_digits() {
        assert!(EcFiscalCode::parse("77777777777").is_ok());
        assert!(EcFiscalCode::parse("01199250158").is_ok());
        assert!(EcFiscalCode::parse("7777777777").is_err());
        assert!(EcFiscalCode::parse("7777777777a").is_err());
    }

    fn personal_strategy() -> impl Strategy<Value = String> {
        (
            "[A-Z]{6}",
            0u32..100,
            0usize..12,
            1u32..=28,
            any::<bool>(),
            "[A-Z][0-9]{3}",
            proptest::collection::vec(any::<bool>(), 7),
        )
            .prop_map(|(names, yy, m, day, female, place, omo)| {
                let day = if female { day + 40 } else { day };
                let mut b: Vec<u8> =
                    format!("{names}{yy:02}{}{day:02}{place}", MONTHS[m] as char).into_bytes();
                for (k, pos) in DIGIT_POSITIONS.iter().enumerate() {
                    if omo[k] {
                        b[*pos] = OMOCODIA[(b[*pos] - b'0') as usize];
                    }
                }
                b.push(personal_check_char(&b));
                String::from_utf8(b).unwrap()
            })
    }

    proptest! {
        #[test]
        fn generated_personal_codes_are_valid(code in personal_strategy()) {
            prop_assert!(FiscalCode::parse(&code).is_ok());
            prop_assert!(FiscalCode::parse(&code.to_lowercase()).is_ok());
        }

        #[test]
        fn changing_the_check_character_is_caught(code in personal_strategy(), shift in 1u8..26) {
            let mut b = code.into_bytes();
            b[15] = b'A' + (b[15] - b'A' + shift) % 26;
            prop_assert_eq!(FiscalCode::parse(std::str::from_utf8(&b).unwrap()), Err(FiscalCodeError::CheckCharacter));
        }

        #[test]
        fn generated_numeric_codes_are_valid(first in "[0-9]{10}") {
            prop_assume!(!first.starts_with("0000000"));
            let mut b = first.into_bytes();
            b.push(numeric_check_digit(&b));
            let code = String::from_utf8(b).unwrap();
            prop_assert!(FiscalCode::parse(&code).is_ok());
            let mut wrong = code.into_bytes();
            wrong[10] = b'0' + (wrong[10] - b'0' + 1) % 10;
            prop_assert!(FiscalCode::parse(std::str::from_utf8(&wrong).unwrap()).is_err());
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,30}") {
            let _ = FiscalCode::parse(&s);
        }
    }
}
