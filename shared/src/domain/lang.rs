//! The language of a citizen's pages and documents: Italian (the default) or
//! English, and the language-dependent formatting the domain needs.

use chrono::NaiveDate;
use serde::Serialize;

/// Italian first; English for foreign citizens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
pub enum Lang {
    #[default]
    It,
    En,
}

impl Lang {
    /// The language of an ISO 639-1 code, `it` or `en`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "it" => Some(Lang::It),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The ISO 639-1 code: `it` or `en`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::It => "it",
            Lang::En => "en",
        }
    }

    /// A date as the language writes it: `31/01/2026`, `31 Jan 2026`.
    pub fn format_date(self, d: NaiveDate) -> String {
        match self {
            Lang::It => d.format("%d/%m/%Y").to_string(),
            Lang::En => d.format("%d %b %Y").to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for lang in [Lang::It, Lang::En] {
            assert_eq!(Lang::parse(lang.code()), Some(lang));
        }
        assert_eq!(Lang::parse("IT"), None);
        assert_eq!(Lang::parse("fr"), None);
        assert_eq!(Lang::default(), Lang::It);
        assert_eq!(serde_json::to_value(Lang::En).unwrap(), "En");
    }

    #[test]
    fn dates() {
        let d = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
        assert_eq!(Lang::It.format_date(d), "05/01/2026");
        assert_eq!(Lang::En.format_date(d), "05 Jan 2026");
    }
}
