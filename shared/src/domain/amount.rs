//! Money as integer euro cents. Never a float.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Largest amount pagoPA accepts (`stAmount` maxInclusive 999999999.99).
pub const MAX_CENTS: u64 = 99_999_999_999;

/// A strictly positive amount of euro cents, at most [`MAX_CENTS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u64", into = "u64")]
pub struct AmountCents(u64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("l'importo deve essere maggiore di zero")]
    Zero,
    #[error("l'importo supera il massimo consentito (999.999.999,99 €)")]
    TooLarge,
    #[error("importo non valido: usare il formato 123.45")]
    Malformed,
}

impl AmountCents {
    pub fn new(cents: u64) -> Result<Self, AmountError> {
        match cents {
            0 => Err(AmountError::Zero),
            c if c > MAX_CENTS => Err(AmountError::TooLarge),
            c => Ok(Self(c)),
        }
    }

    pub fn cents(self) -> u64 {
        self.0
    }

    /// Sum of amounts; `None` when it would exceed [`MAX_CENTS`].
    pub fn checked_sum<I: IntoIterator<Item = AmountCents>>(items: I) -> Option<AmountCents> {
        let mut total: u64 = 0;
        for a in items {
            total = total.checked_add(a.0)?;
            if total > MAX_CENTS {
                return None;
            }
        }
        AmountCents::new(total).ok()
    }

    /// The SOAP form: `xsd:decimal` with exactly two decimals, e.g. `1020.99`.
    pub fn to_soap(self) -> String {
        format!("{}.{:02}", self.0 / 100, self.0 % 100)
    }

    /// Parses an amount as a citizen types it in euro: `25`, `25,5`, `1.250,00`,
    /// `25.50`, optionally with `€` and spaces.
    pub fn parse_euro(s: &str) -> Result<Self, AmountError> {
        let s: String = s
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '€')
            .collect();
        let (int, dec) = match (s.rsplit_once(','), s.rsplit_once('.')) {
            (Some((i, d)), _) => (i.replace('.', ""), d.to_owned()),
            (None, Some((i, d))) if d.len() <= 2 && !i.contains('.') => {
                (i.to_owned(), d.to_owned())
            }
            (None, _) => (s.replace('.', ""), String::new()),
        };
        let digits = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
        if int.is_empty() || int.len() > 12 || dec.len() > 2 || !digits(&int) || !digits(&dec) {
            return Err(AmountError::Malformed);
        }
        let euros: u64 = int.parse().map_err(|_| AmountError::Malformed)?;
        let cents: u64 = format!("{dec:0<2}")
            .parse()
            .map_err(|_| AmountError::Malformed)?;
        Self::new(
            euros
                .checked_mul(100)
                .and_then(|e| e.checked_add(cents))
                .ok_or(AmountError::TooLarge)?,
        )
    }

    /// Parses the SOAP form (`\d+\.\d{2}`).
    pub fn parse_soap(s: &str) -> Result<Self, AmountError> {
        Self::new(parse_soap_cents(s)?)
    }
}

/// Parses the SOAP form of an amount that may be zero (fees): `\d+\.\d{2}`,
/// at most [`MAX_CENTS`].
pub fn parse_soap_cents(s: &str) -> Result<u64, AmountError> {
    {
        let (int, dec) = s.split_once('.').ok_or(AmountError::Malformed)?;
        if int.is_empty()
            || dec.len() != 2
            || !int.bytes().all(|b| b.is_ascii_digit())
            || !dec.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(AmountError::Malformed);
        }
        let int: u64 = int.parse().map_err(|_| AmountError::TooLarge)?;
        let dec: u64 = dec.parse().map_err(|_| AmountError::Malformed)?;
        let cents = int
            .checked_mul(100)
            .and_then(|c| c.checked_add(dec))
            .ok_or(AmountError::TooLarge)?;
        if cents > MAX_CENTS {
            return Err(AmountError::TooLarge);
        }
        Ok(cents)
    }
}

/// Cents as written in SOAP: `0.00` allowed (fees), never a float.
pub fn soap_cents(cents: u64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

impl AmountCents {
    /// Italian display form: `1.020,99 €`.
    pub fn to_italian(self) -> String {
        let euros = (self.0 / 100).to_string();
        let mut grouped = String::with_capacity(euros.len() + euros.len() / 3);
        for (i, ch) in euros.chars().enumerate() {
            if i > 0 && (euros.len() - i).is_multiple_of(3) {
                grouped.push('.');
            }
            grouped.push(ch);
        }
        format!("{},{:02} €", grouped, self.0 % 100)
    }
}

impl TryFrom<u64> for AmountCents {
    type Error = AmountError;
    fn try_from(v: u64) -> Result<Self, Self::Error> {
        Self::new(v)
    }
}

impl From<AmountCents> for u64 {
    fn from(a: AmountCents) -> u64 {
        a.0
    }
}

impl fmt::Display for AmountCents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_italian())
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn parses_euro_as_typed() {
        let c = |s: &str| AmountCents::parse_euro(s).map(AmountCents::cents);
        assert_eq!(c("25"), Ok(2500));
        assert_eq!(c("25,5"), Ok(2550));
        assert_eq!(c("1.250,00 €"), Ok(125000));
        assert_eq!(c("25.50"), Ok(2550));
        assert_eq!(c("1.250"), Ok(125000));
        assert_eq!(c("€ 7,05"), Ok(705));
        for bad in [
            "",
            ",50",
            "1,234",
            "abc",
            "-5",
            "0",
            "1,2,3",
            "99999999999999",
        ] {
            assert!(c(bad).is_err(), "{bad}");
        }
    }
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formats() {
        let a = AmountCents::new(102_099).unwrap();
        assert_eq!(a.to_soap(), "1020.99");
        assert_eq!(a.to_italian(), "1.020,99 €");
        assert_eq!(AmountCents::new(5).unwrap().to_soap(), "0.05");
        assert_eq!(AmountCents::new(5).unwrap().to_italian(), "0,05 €");
        assert_eq!(AmountCents::new(15050).unwrap().to_soap(), "150.50");
        assert_eq!(
            AmountCents::new(MAX_CENTS).unwrap().to_italian(),
            "999.999.999,99 €"
        );
        assert_eq!(
            AmountCents::new(100_000).unwrap().to_italian(),
            "1.000,00 €"
        );
    }

    #[test]
    fn rejects_zero_and_overflow() {
        assert_eq!(AmountCents::new(0), Err(AmountError::Zero));
        assert_eq!(AmountCents::new(MAX_CENTS + 1), Err(AmountError::TooLarge));
        assert!(serde_json::from_str::<AmountCents>("-5").is_err());
        assert!(serde_json::from_str::<AmountCents>("1.5").is_err());
        assert!(serde_json::from_str::<AmountCents>("0").is_err());
        assert_eq!(
            serde_json::from_str::<AmountCents>("150").unwrap().cents(),
            150
        );
    }

    #[test]
    fn parse_soap_is_strict() {
        assert_eq!(AmountCents::parse_soap("150.50").unwrap().cents(), 15050);
        assert_eq!(AmountCents::parse_soap("0.01").unwrap().cents(), 1);
        for bad in [
            "150.5",
            "150",
            ".50",
            "1,50",
            "-1.00",
            "0.00",
            "1000000000.00",
            "1.5a",
            "",
            "99999999999999999999.00",
        ] {
            assert!(AmountCents::parse_soap(bad).is_err(), "{bad}");
        }
        assert!(AmountCents::parse_soap("999999999.99").is_ok());
    }

    #[test]
    fn sums_with_overflow_check() {
        let a = AmountCents::new(MAX_CENTS).unwrap();
        let b = AmountCents::new(1).unwrap();
        assert_eq!(AmountCents::checked_sum([a, b]), None);
        assert_eq!(AmountCents::checked_sum([b, b]).unwrap().cents(), 2);
        assert_eq!(AmountCents::checked_sum([]), None);
    }

    proptest! {
        #[test]
        fn soap_roundtrip(c in 1u64..=MAX_CENTS) {
            let a = AmountCents::new(c).unwrap();
            prop_assert_eq!(AmountCents::parse_soap(&a.to_soap()).unwrap(), a);
        }

        #[test]
        fn italian_form_keeps_digits(c in 1u64..=MAX_CENTS) {
            let s = AmountCents::new(c).unwrap().to_italian();
            let digits: String = s.chars().filter(|ch| ch.is_ascii_digit()).collect();
            prop_assert_eq!(digits.parse::<u64>().unwrap(), c);
            prop_assert!(s.ends_with(" €"));
        }
    }
}
