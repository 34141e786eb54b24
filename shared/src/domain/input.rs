//! Reading a JSON document into domain types while collecting every error with
//! the path of its field, so that every invalid field is named at once.

use std::fmt::Display;

use chrono::NaiveDate;
use serde_json::{Map, Value};

use super::FieldErrors;

/// Collects the errors found while reading one document.
#[derive(Debug, Default)]
pub struct Reader {
    errors: FieldErrors,
}

/// A JSON object being read, with its path in the document.
pub struct Obj<'v> {
    map: &'v Map<String, Value>,
    path: String,
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

impl Reader {
    pub fn error(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.errors.push(field, message);
    }

    /// Reads `v` as an object; records an error otherwise.
    pub fn object<'v>(&mut self, v: &'v Value, path: &str) -> Option<Obj<'v>> {
        match v.as_object() {
            Some(map) => Some(Obj {
                map,
                path: path.to_owned(),
            }),
            None => {
                let field = if path.is_empty() { "(documento)" } else { path };
                self.error(field, "deve essere un oggetto JSON");
                None
            }
        }
    }

    /// The value read, if no error was recorded; every error otherwise.
    pub fn finish<T>(self, value: Option<T>) -> Result<T, FieldErrors> {
        match value {
            Some(v) if self.errors.is_empty() => Ok(v),
            _ => Err(self.errors),
        }
    }
}

impl<'v> Obj<'v> {
    pub fn path(&self, key: &str) -> String {
        join(&self.path, key)
    }

    /// Records an error for every key not in `allowed` (a typo must not be ignored).
    pub fn deny_unknown(&self, r: &mut Reader, allowed: &[&str]) {
        for k in self.map.keys() {
            if !allowed.contains(&k.as_str()) {
                r.error(self.path(k), "campo non previsto");
            }
        }
    }

    fn get(&self, key: &str) -> Option<&'v Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// A required field, converted by `parse`.
    pub fn req<T>(
        &self,
        r: &mut Reader,
        key: &str,
        parse: impl FnOnce(&'v Value) -> Result<T, String>,
    ) -> Option<T> {
        match self.get(key) {
            None => {
                r.error(self.path(key), "campo obbligatorio");
                None
            }
            Some(v) => parse(v).map_err(|m| r.error(self.path(key), m)).ok(),
        }
    }

    /// An optional field: `Some(None)` when absent or null, `None` when invalid.
    pub fn opt<T>(
        &self,
        r: &mut Reader,
        key: &str,
        parse: impl FnOnce(&'v Value) -> Result<T, String>,
    ) -> Option<Option<T>> {
        match self.get(key) {
            None => Some(None),
            Some(v) => parse(v)
                .map(Some)
                .map_err(|m| r.error(self.path(key), m))
                .ok(),
        }
    }

    /// A required object field.
    pub fn object(&self, r: &mut Reader, key: &str) -> Option<Obj<'v>> {
        match self.get(key) {
            None => {
                r.error(self.path(key), "campo obbligatorio");
                None
            }
            Some(v) => r.object(v, &self.path(key)),
        }
    }

    /// A required array of `min..=max` elements, each with its path.
    pub fn array(
        &self,
        r: &mut Reader,
        key: &str,
        min: usize,
        max: usize,
    ) -> Option<Vec<(String, &'v Value)>> {
        let items = self.req(r, key, |v| {
            v.as_array()
                .ok_or_else(|| "deve essere una lista".to_string())
        })?;
        if items.len() < min || items.len() > max {
            r.error(
                self.path(key),
                format!("deve contenere da {min} a {max} elementi"),
            );
            return None;
        }
        Some(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| (format!("{}[{i}]", self.path(key)), v))
                .collect(),
        )
    }
}

/// Converts a JSON string with a domain parser.
pub fn string<T, E: Display>(
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> impl FnOnce(&Value) -> Result<T, String> {
    move |v| match v.as_str() {
        Some(s) => parse(s).map_err(|e| e.to_string()),
        None => Err("deve essere una stringa".into()),
    }
}

/// A non-negative integer.
pub fn integer(v: &Value) -> Result<u64, String> {
    v.as_u64()
        .ok_or_else(|| "deve essere un numero intero non negativo".to_string())
}

/// An amount in cents: a positive integer within pagoPA's maximum.
pub fn cents(v: &Value) -> Result<super::AmountCents, String> {
    let n = integer(v)
        .map_err(|_| "deve essere un importo in centesimi (numero intero positivo)".to_string())?;
    super::AmountCents::new(n).map_err(|e| e.to_string())
}

pub fn boolean(v: &Value) -> Result<bool, String> {
    v.as_bool()
        .ok_or_else(|| "deve essere true o false".to_string())
}

/// `YYYY-MM-DD`, read by hand: chrono's format parser costs a tenth of an
/// imported row's time.
fn ymd(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| {
        b[r].iter().try_fold(0u32, |acc, c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    NaiveDate::from_ymd_opt(digits(0..4)? as i32, digits(5..7)?, digits(8..10)?)
}

/// A calendar date `YYYY-MM-DD` of a plausible year ([`SANE_YEARS`]).
///
/// [`SANE_YEARS`]: super::clock::SANE_YEARS
pub fn date(v: &Value) -> Result<NaiveDate, String> {
    string(|s: &str| {
        if s.len() != 10 {
            return Err("data non valida: usare il formato AAAA-MM-GG".to_string());
        }
        let d = ymd(s).ok_or_else(|| "data non valida: usare il formato AAAA-MM-GG".to_string())?;
        let years = super::clock::SANE_YEARS;
        if !super::clock::sane(d) {
            return Err(format!(
                "data non valida: l'anno deve essere tra {} e {}",
                years.start(),
                years.end()
            ));
        }
        Ok(d)
    })(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn collects_every_error_with_paths() {
        let doc = json!({"a": "x", "n": -1, "list": [{"d": "2026-02-30"}, {"d": "2026-02-28"}], "extra": 1});
        let mut r = Reader::default();
        let o = r.object(&doc, "").unwrap();
        o.deny_unknown(&mut r, &["a", "n", "list", "b"]);
        assert_eq!(
            o.req(&mut r, "a", string(|s: &str| Ok::<_, String>(s.to_owned()))),
            Some("x".into())
        );
        assert_eq!(o.req(&mut r, "n", integer), None);
        assert_eq!(o.req(&mut r, "b", integer), None);
        assert_eq!(o.opt(&mut r, "missing", integer), Some(None));
        let items = o.array(&mut r, "list", 1, 5).unwrap();
        for (path, v) in items {
            let item = r.object(v, &path).unwrap();
            item.req(&mut r, "d", date);
        }
        let errs = r.finish(Some(())).unwrap_err();
        assert_eq!(errs.fields(), vec!["extra", "n", "b", "list[0].d"]);
    }

    #[test]
    fn dates_name_plausible_years() {
        assert!(date(&json!("2026-12-31")).is_ok());
        for bad in [
            "0001-01-01",
            "1999-12-31",
            "2200-01-01",
            "9999-12-31",
            "2026-02-30",
            "26-12-31",
        ] {
            assert!(date(&json!(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn cents_are_strict() {
        assert!(cents(&json!(150)).is_ok());
        for bad in [
            json!(0),
            json!(-1),
            json!(1.5),
            json!("150"),
            json!(1e20),
            json!(99_999_999_999u64 + 1),
        ] {
            assert!(cents(&bad).is_err(), "{bad}");
        }
    }
}
