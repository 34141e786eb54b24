//! Texts a service gives in Italian and, optionally, English, and the checks
//! every one-line text of the catalogue passes.

use serde::{Deserialize, Serialize};

use crate::domain::lang::Lang;

/// A text in Italian and, optionally, English.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Label {
    pub it: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub en: Option<String>,
}

impl Label {
    /// The text in `lang`; Italian when there is no English text.
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => self
                .en
                .as_deref()
                .filter(|e| !e.trim().is_empty())
                .unwrap_or(&self.it),
            Lang::It => &self.it,
        }
    }

    /// Checks both texts as [`check_line`]; errors name the language.
    pub(super) fn check(&self, what: &str, max: usize) -> Result<(), String> {
        check_line(&self.it, &format!("{what} (it)"), max)?;
        if let Some(en) = &self.en {
            check_line(en, &format!("{what} (en)"), max)?;
        }
        Ok(())
    }
}

/// Non-empty after trimming, no control characters, at most `max` characters.
pub(super) fn check_line(s: &str, what: &str, max: usize) -> Result<(), String> {
    if s.trim().is_empty() {
        return Err(format!("{what} è obbligatorio"));
    }
    if s.chars().count() > max {
        return Err(format!("{what} può avere al massimo {max} caratteri"));
    }
    if s.chars().any(char::is_control) {
        return Err(format!("{what} contiene caratteri non ammessi"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_falls_back_to_italian() {
        let label = |en: Option<&str>| Label {
            it: "Etichetta".into(),
            en: en.map(str::to_owned),
        };
        assert_eq!(label(Some("Label")).get(Lang::En), "Label");
        assert_eq!(label(Some("Label")).get(Lang::It), "Etichetta");
        assert_eq!(label(None).get(Lang::En), "Etichetta");
        assert_eq!(label(Some(" ")).get(Lang::En), "Etichetta");
        assert_eq!(
            label(Some("")).check("l'etichetta", 10),
            Err("l'etichetta (en) è obbligatorio".into())
        );
    }

    #[test]
    fn one_line_texts() {
        assert_eq!(check_line("abc", "il nome", 3), Ok(()));
        assert_eq!(
            check_line(" \t", "il nome", 3),
            Err("il nome è obbligatorio".into())
        );
        assert_eq!(
            check_line("àèìò", "il nome", 3),
            Err("il nome può avere al massimo 3 caratteri".into())
        );
        assert_eq!(
            check_line("a\nb", "il nome", 3),
            Err("il nome contiene caratteri non ammessi".into())
        );
    }
}
