//! The regular expression a text, textarea or number field may require:
//! anchored to the whole value, compiled once and kept with the field.

use std::fmt;
use std::sync::OnceLock;

use regex_lite::Regex;

/// The longest `pattern` a field may declare, in bytes.
pub(super) const MAX_PATTERN_LEN: usize = 500;

/// The compiled form of a field's `pattern`: compiled once (when the catalogue
/// is checked, or at first use) and kept with the field, with the expression it
/// was compiled from. Not serialised; never part of equality.
#[derive(Clone, Default)]
pub(super) struct CompiledPattern(OnceLock<(String, Result<Regex, String>)>);

impl CompiledPattern {
    /// Runs `f` on `source` compiled (or on why it does not compile): the
    /// expression compiled at first use, or compiled afresh if the field's
    /// pattern was changed since.
    pub(super) fn with<R>(&self, source: &str, f: impl FnOnce(Result<&Regex, &str>) -> R) -> R {
        let (compiled_from, compiled) = self
            .0
            .get_or_init(|| (source.to_owned(), compile_anchored(source)));
        if compiled_from == source {
            f(compiled.as_ref().map_err(String::as_str))
        } else {
            // The pattern was changed after compilation: no stale answer.
            let fresh = compile_anchored(source);
            f(fresh.as_ref().map_err(String::as_str))
        }
    }
}

impl fmt::Debug for CompiledPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.get().is_some() {
            "compiled"
        } else {
            "not compiled"
        })
    }
}

impl PartialEq for CompiledPattern {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl Eq for CompiledPattern {}

/// Compiles a field's `pattern` as the whole value must match it: `^(?:…)$`.
fn compile_anchored(source: &str) -> Result<Regex, String> {
    if source.is_empty() {
        return Err("l'espressione regolare (pattern) è vuota".into());
    }
    if source.len() > MAX_PATTERN_LEN {
        return Err(format!(
            "l'espressione regolare (pattern) può avere al massimo {MAX_PATTERN_LEN} caratteri"
        ));
    }
    // Compiled alone first: an expression with unbalanced groups such as
    // `a)|(b` would otherwise escape the anchoring group.
    Regex::new(source)
        .and_then(|_| Regex::new(&format!("^(?:{source})$")))
        .map_err(|e| format!("espressione regolare (pattern) non valida: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::test_support::*;
    use crate::domain::catalog::Service;
    use serde_json::json;

    #[test]
    fn compiled_patterns_follow_the_pattern() {
        let s = one(json!({"name": "lotto", "type": "text", "label": {"it": "Lotto"}, "pattern": "[A-Z]-[0-9]{1,4}"}))
            .unwrap();
        assert_eq!(accepts(&s, "lotto", "A-1"), "A-1");
        let mut changed = s.clone();
        changed.form.fields[0].pattern = Some("[0-9]+".into());
        assert!(changed
            .validate_fields(&values(&[("lotto", "A-1")]))
            .is_err());
        assert_eq!(accepts(&changed, "lotto", "42"), "42");
        assert_eq!(changed, changed.clone());
        assert_ne!(changed, s);
        // Read through serde alone, the pattern is compiled at first use.
        let plain: Service = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        assert!(plain.field("lotto").unwrap().matches_pattern("Z-9999"));
        assert!(!plain.field("lotto").unwrap().matches_pattern("Z-99999"));
        // An invalid pattern that slipped past the checks matches nothing.
        let mut bad = s.clone();
        bad.form.fields[0].pattern = Some("(".into());
        assert!(!bad.field("lotto").unwrap().matches_pattern("A-1"));
        assert!(bad.check().is_err());
    }

    #[test]
    fn patterns_are_checked_at_load() {
        let with_pattern = |kind: &str, p: &str| {
            let mut f = field("campo", kind);
            f["pattern"] = p.into();
            one(f)
        };
        for kind in ["text", "textarea", "number"] {
            assert!(with_pattern(kind, "[0-9]{2}").is_ok(), "{kind}");
        }
        for kind in ["date", "fiscalCode", "email"] {
            let e = with_pattern(kind, "[0-9]{2}").unwrap_err();
            assert!(e.contains("pattern è ammesso solo"), "{e}");
        }
        let mut select = field("campo", "select");
        select["options"] = json!([{"value": "a", "label": {"it": "A"}}]);
        select["pattern"] = "a".into();
        assert!(one(select).is_err());

        let e = with_pattern("text", "[A-Z").unwrap_err();
        assert!(
            e.starts_with("servizio X: campo campo: espressione regolare (pattern) non valida"),
            "{e}"
        );
        // Unbalanced groups cannot escape the anchoring.
        assert!(with_pattern("text", "a)|(b").is_err());
        assert!(with_pattern("text", "").is_err());
        assert!(with_pattern("text", &"a".repeat(MAX_PATTERN_LEN + 1)).is_err());
    }

    #[test]
    fn patterns_match_the_whole_value() {
        let mut f = field("codice", "text");
        f["pattern"] = "[0-9]{3}|X".into();
        let s = one(f).unwrap();
        assert_eq!(accepts(&s, "codice", " 123 "), "123");
        assert_eq!(accepts(&s, "codice", "X"), "X");
        for bad in ["1234", "a123", "123a", "XX", "12"] {
            assert_eq!(
                only_error(&s, &[("codice", bad)]),
                ("fields.codice".into(), "formato non valido".into()),
                "{bad}"
            );
        }
        let mut n = field("numero", "number");
        n["pattern"] = "[0-9]{4}".into();
        let s = one(n).unwrap();
        assert_eq!(accepts(&s, "numero", "0042"), "0042");
        assert!(s.validate_fields(&values(&[("numero", "42")])).is_err());
    }
}
