//! PDF/A-2a: the documents are fit for long-term archiving and publication by
//! public bodies.
//!
//! krilla writes what the standard asks for (XMP metadata with `pdfaid:part` 2 and
//! `pdfaid:conformance` A, an sRGB output intent and ICC-based colours, embedded
//! font subsets with a Unicode mapping of every glyph, the mark-info and
//! structure tree of a tagged PDF) and its validator refuses, when the document is
//! finished, what the input would break (a glyph without a character, a private-use
//! character, a figure without alternative text, no language or no date). Those
//! refusals become [`PdfError::Conformance`]: a document that does not conform
//! is an error, never a non-conforming PDF.
//!
//! Level A (accessible) rather than B or U because the documents are tagged
//! (see `structure`). PDF/A-2 is PDF 1.7, which krilla writes by default.
//!
//! PDF/A asks for a creation date: the documents take it from their data
//! (`created`), so the same data always give the same bytes.

use chrono::{DateTime, Datelike, Timelike, Utc};
use krilla::configure::{Archival, ConfigurationBuilder, ValidationError};
use krilla::error::KrillaError;
use krilla::metadata::{self, Metadata};
use krilla::SerializeSettings;

use super::PdfError;

/// The conformance level written: PDF/A-2a.
const ARCHIVAL: Archival = Archival::A2_A;

/// Document-level information written into the PDF.
pub(crate) struct Meta {
    pub title: String,
    pub subject: String,
    /// BCP 47 tag of the document's language.
    pub language: &'static str,
    pub created: DateTime<Utc>,
}

/// krilla's settings for a tagged PDF/A-2a.
///
/// Page content streams (and the fonts' Unicode maps) are written without
/// compression: deflating them was a fifth to a quarter of the rendering time
/// (krilla compresses at level 6 and sets up a new compressor for every stream),
/// and the documents have to render in a millisecond or a few
/// (`benches/pdf.rs`). The files are larger (about 50 KB for a receipt or an
/// avviso with one payment, 115 KB with three installments and their
/// bollettini); the embedded fonts stay compressed, krilla always compresses them.
pub(crate) fn settings() -> Result<SerializeSettings, PdfError> {
    let configuration = ConfigurationBuilder::new()
        .with_archival_validator(ARCHIVAL)
        .finish()
        .map_err(|e| PdfError::Pdf(format!("PDF/A configuration: {e:?}")))?;
    Ok(SerializeSettings {
        configuration,
        enable_tagging: true,
        compress_content_streams: false,
        ..SerializeSettings::default()
    })
}

/// The document metadata: title (shown by readers instead of the file name),
/// subject, language, creator and creation date.
pub(crate) fn metadata(meta: Meta) -> Metadata {
    Metadata::new()
        .title(meta.title)
        .description(meta.subject)
        .language(meta.language.to_owned())
        .creator("Portale dei Pagamenti".to_owned())
        .creation_date(pdf_date(meta.created))
}

/// A UTC instant as krilla's date (written with a zero offset).
fn pdf_date(t: DateTime<Utc>) -> metadata::DateTime {
    let narrow = |v: u32| u8::try_from(v).unwrap_or(u8::MAX);
    metadata::DateTime::new(u16::try_from(t.year()).unwrap_or(0))
        .month(narrow(t.month()))
        .day(narrow(t.day()))
        .hour(narrow(t.hour()))
        .minute(narrow(t.minute()))
        .second(narrow(t.second()))
        .utc_offset_hour(0)
        .utc_offset_minute(0)
}

/// krilla's failure as a [`PdfError`]: validation failures list what breaks PDF/A.
pub(crate) fn pdf_error(error: KrillaError) -> PdfError {
    match error {
        KrillaError::Validation(errors) => {
            let mut reasons: Vec<String> = errors.iter().map(|(e, _)| describe(e)).collect();
            reasons.dedup();
            PdfError::Conformance(reasons.join("; "))
        }
        other => PdfError::Pdf(other.to_string()),
    }
}

/// A short description of a validation error (without the font, which krilla
/// would print whole).
fn describe(error: &ValidationError) -> String {
    match error {
        ValidationError::ContainsNotDefGlyph(_, _, text) => {
            format!("text without a glyph: {text:?}")
        }
        ValidationError::NoCodepointMapping(_, glyph, _) => {
            format!("glyph {} without a character", glyph.to_u32())
        }
        ValidationError::InvalidCodepointMapping(_, _, c, _) => {
            format!("character U+{:04X} not allowed", u32::from(*c))
        }
        ValidationError::UnicodePrivateArea(_, _, c, _) => {
            format!("private-use character U+{:04X}", u32::from(*c))
        }
        ValidationError::RestrictedLicense(_) => "a font may not be embedded".to_owned(),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_errors_become_conformance_errors() {
        let error = KrillaError::Validation(vec![
            (
                ValidationError::MissingAltText(None),
                krilla::configure::Validators::default(),
            ),
            (
                ValidationError::MissingAltText(None),
                krilla::configure::Validators::default(),
            ),
            (
                ValidationError::NoDocumentLanguage,
                krilla::configure::Validators::default(),
            ),
        ]);
        match pdf_error(error) {
            PdfError::Conformance(reason) => {
                assert_eq!(reason, "MissingAltText(None); NoDocumentLanguage");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            pdf_error(KrillaError::DuplicateNamedDestination(std::sync::Arc::new(
                "x".into()
            ))),
            PdfError::Pdf(_)
        ));
    }

    #[test]
    fn dates_are_utc() {
        let t = DateTime::parse_from_rfc3339("2026-03-12T10:15:30+01:00")
            .unwrap()
            .with_timezone(&Utc);
        let d = pdf_date(t);
        assert_eq!(
            d,
            metadata::DateTime::new(2026)
                .month(3)
                .day(12)
                .hour(9)
                .minute(15)
                .second(30)
                .utc_offset_hour(0)
                .utc_offset_minute(0)
        );
    }
}
