//! What can be wrong with one submitted value of a form, and how the citizen
//! reads it in either language.

use crate::domain::fiscal_code::FiscalCodeError;
use crate::domain::lang::Lang;

/// What is wrong with one submitted value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Problem {
    Required,
    Unknown,
    Characters,
    TooShort(u32),
    TooLong(u32),
    NotInteger,
    OutOfRange,
    Below(i64),
    Above(i64),
    Date,
    NotAnOption,
    FiscalCode(FiscalCodeError),
    Email,
    Pattern,
}

impl Problem {
    pub(super) fn message(&self, lang: Lang) -> String {
        use Problem::*;
        match lang {
            Lang::It => match self {
                Required => "campo obbligatorio".into(),
                Unknown => "campo non previsto".into(),
                Characters => "il testo contiene caratteri non ammessi".into(),
                TooShort(n) => format!("deve avere almeno {n} caratteri"),
                TooLong(n) => format!("può avere al massimo {n} caratteri"),
                NotInteger => "deve essere un numero intero, senza separatori".into(),
                OutOfRange => "numero fuori dall'intervallo ammesso".into(),
                Below(n) => format!("deve essere almeno {n}"),
                Above(n) => format!("deve essere al massimo {n}"),
                Date => "data non valida: usare il formato AAAA-MM-GG".into(),
                NotAnOption => "valore non ammesso: scegliere una delle opzioni".into(),
                FiscalCode(e) => e.to_string(),
                Email => "indirizzo email non valido".into(),
                Pattern => "formato non valido".into(),
            },
            Lang::En => match self {
                Required => "required field".into(),
                Unknown => "unexpected field".into(),
                Characters => "the text contains characters that are not allowed".into(),
                TooShort(n) => format!("must be at least {n} characters long"),
                TooLong(n) => format!("must be at most {n} characters long"),
                NotInteger => "must be a whole number, without separators".into(),
                OutOfRange => "number out of the allowed range".into(),
                Below(n) => format!("must be at least {n}"),
                Above(n) => format!("must be at most {n}"),
                Date => "invalid date: use the format YYYY-MM-DD".into(),
                NotAnOption => "value not allowed: choose one of the options".into(),
                FiscalCode(e) => e.message(Lang::En).to_owned(),
                Email => "invalid email address".into(),
                Pattern => "invalid format".into(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fiscal_code_problems_read_as_the_error_does() {
        let e = FiscalCodeError::Length;
        assert_eq!(
            Problem::FiscalCode(e.clone()).message(Lang::It),
            e.to_string()
        );
        assert_eq!(
            Problem::FiscalCode(e.clone()).message(Lang::En),
            e.message(Lang::En)
        );
        assert_eq!(
            Problem::TooLong(5).message(Lang::It),
            "può avere al massimo 5 caratteri"
        );
        assert_eq!(Problem::Below(-3).message(Lang::En), "must be at least -3");
    }
}
