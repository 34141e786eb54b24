//! The two 2D codes of the avviso: the pagoPA QR code (pagopa.md §4.3) and
//! Poste Italiane's Data Matrix of the Bollettino Postale PA (§4.4).
//!
//! Both are built with their crates, faster than the crates' own entry points
//! (building the codes was a third of the time of an avviso with installments):
//! - the QR code is the one `QrCode::with_version` makes, module for module, but
//!   its mask is chosen on the modules as booleans: the eight masked symbols are
//!   a precomputed template (function patterns, format information, mask bits)
//!   combined with the data, and scored with the crate's penalty rules;
//! - the Data Matrix is planned over the ASCII, C40 and Text encodations only
//!   (the ones text and digits need), five times faster than over all six, with
//!   the same symbol size for the payloads of the bollettino; a larger symbol
//!   than 52 × 52 makes it try all six and keep the smaller.

use std::sync::OnceLock;

use datamatrix::data::EncodationType;
use datamatrix::{DataMatrix, DataMatrixBuilder, SymbolList};
use qrcode::bits::Bits;
use qrcode::canvas::{is_functional, Canvas, MaskPattern};
use qrcode::{ec, Color, EcLevel, QrCode, Version};

use super::draw::Matrix;
use super::PdfError;
use crate::domain::{AmountCents, NoticeNumber};

/// The payload of the pagoPA QR code:
/// `PAGOPA|002|<notice number, 18>|<EC fiscal code, 11>|<amount in cents>`.
///
/// The amount is written without padding but with at least two digits (pagoPA's
/// own generator writes it unpadded; the guideline asks for 2 to 11 digits).
pub fn qr_payload(notice: &NoticeNumber, ec_fiscal_code: &str, amount: AmountCents) -> String {
    format!(
        "PAGOPA|002|{}|{:0>11}|{:02}",
        notice.as_str(),
        ec_fiscal_code.trim(),
        amount.cents()
    )
}

/// ASCII form of a text for the Data Matrix, whose fields are fixed-width in
/// characters: accented letters lose their accent, other characters become `?`.
fn ascii(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            ' '..='~' => c,
            'à' | 'á' | 'â' | 'ä' | 'ã' | 'å' => 'a',
            'À' | 'Á' | 'Â' | 'Ä' | 'Ã' | 'Å' => 'A',
            'è' | 'é' | 'ê' | 'ë' => 'e',
            'È' | 'É' | 'Ê' | 'Ë' => 'E',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'Ì' | 'Í' | 'Î' | 'Ï' => 'I',
            'ò' | 'ó' | 'ô' | 'ö' | 'õ' => 'o',
            'Ò' | 'Ó' | 'Ô' | 'Ö' | 'Õ' => 'O',
            'ù' | 'ú' | 'û' | 'ü' => 'u',
            'Ù' | 'Ú' | 'Û' | 'Ü' => 'U',
            'ç' => 'c',
            'Ç' => 'C',
            'ñ' => 'n',
            'Ñ' => 'N',
            '\u{2018}' | '\u{2019}' => '\'',
            '\u{201C}' | '\u{201D}' => '"',
            '\u{2013}' | '\u{2014}' => '-',
            c if c.is_whitespace() || c.is_control() => ' ',
            _ => '?',
        })
        .collect()
}

/// `text` in exactly `width` characters: cut, or padded with spaces on the right.
fn right_padded(text: &str, width: usize) -> String {
    let mut out: String = ascii(text.trim()).chars().take(width).collect();
    while out.len() < width {
        out.push(' ');
    }
    out
}

/// The last `width` digits of `digits` (non-digits dropped), zero-padded on the left.
fn zero_padded(digits: &str, width: usize) -> String {
    let digits: Vec<char> = digits.chars().filter(char::is_ascii_digit).collect();
    let start = digits.len().saturating_sub(width);
    let kept: String = digits[start..].iter().collect();
    format!("{kept:0>width$}")
}

/// The 256-character payload of the Poste Italiane Data Matrix, as pagoPA's notice
/// generator and GovPay build it:
///
/// ```text
/// codfase=NBPA; 18<notice 18> 12<postal account 12> 10<cents 10> 3896 1P1
/// <EC CF 11> <debtor CF 16> <debtor name 40> <subject 110> <12 spaces> A
/// ```
///
/// IO reads the notice at 15..33, the amount at 49..59 and the EC CF at 66..77.
///
/// The amount field has ten digits (up to 99.999.999,99 €): [`render_avviso`]
/// refuses a Bollettino for a larger amount; this function, which always returns
/// 256 characters, would keep only the ten lowest digits.
///
/// [`render_avviso`]: super::render_avviso
pub fn poste_datamatrix_payload(
    notice: &NoticeNumber,
    postal_account: &str,
    amount: AmountCents,
    ec_cf: &str,
    debtor_cf: &str,
    debtor_name: &str,
    subject: &str,
) -> String {
    let mut s = String::with_capacity(256);
    s.push_str("codfase=NBPA;");
    s.push_str("18");
    s.push_str(notice.as_str());
    s.push_str("12");
    s.push_str(&zero_padded(postal_account, 12));
    s.push_str("10");
    s.push_str(&zero_padded(&amount.cents().to_string(), 10));
    s.push_str("3896");
    s.push_str("1P1");
    s.push_str(&right_padded(ec_cf, 11));
    s.push_str(&right_padded(&debtor_cf.to_uppercase(), 16));
    s.push_str(&right_padded(debtor_name, 40));
    s.push_str(&right_padded(subject, 110));
    s.push_str(&" ".repeat(12));
    s.push('A');
    s
}

/// The QR version of the avviso (33×33) and its error correction level.
const QR_VERSION: Version = Version::Normal(4);
const QR_EC: EcLevel = EcLevel::M;
const QR_WIDTH: usize = 33;

/// The masks in the order `qrcode` tries them (the first of equal scores wins).
const QR_MASKS: [MaskPattern; 8] = [
    MaskPattern::Checkerboard,
    MaskPattern::HorizontalLines,
    MaskPattern::VerticalLines,
    MaskPattern::DiagonalLines,
    MaskPattern::LargeCheckerboard,
    MaskPattern::Fields,
    MaskPattern::Diamonds,
    MaskPattern::Meadow,
];

/// What every version 4-M symbol shares: which modules are function patterns
/// (finders, timing, alignment, format information), and, for each mask, the
/// symbol of all-light data: function patterns and format information as drawn,
/// data modules equal to the mask.
struct QrTemplates {
    functional: Vec<bool>,
    masked: Vec<Vec<bool>>,
    data_len: usize,
    ec_len: usize,
}

fn qr_templates() -> Result<&'static QrTemplates, PdfError> {
    static TEMPLATES: OnceLock<Result<QrTemplates, String>> = OnceLock::new();
    TEMPLATES
        .get_or_init(|| {
            let mut bits = Bits::new(QR_VERSION);
            bits.push_terminator(QR_EC).map_err(|e| e.to_string())?;
            let (data, ec) = ec::construct_codewords(&bits.into_bytes(), QR_VERSION, QR_EC)
                .map_err(|e| e.to_string())?;
            let mut canvas = Canvas::new(QR_VERSION, QR_EC);
            canvas.draw_all_functional_patterns();
            canvas.draw_data(&vec![0; data.len()], &vec![0; ec.len()]);
            let masked = QR_MASKS
                .iter()
                .map(|mask| {
                    let mut c = canvas.clone();
                    c.apply_mask(*mask);
                    dark_modules(c.into_colors())
                })
                .collect();
            let width = QR_WIDTH as i16;
            let functional = (0..width)
                .flat_map(|y| (0..width).map(move |x| is_functional(QR_VERSION, width, x, y)))
                .collect();
            Ok(QrTemplates {
                functional,
                masked,
                data_len: data.len(),
                ec_len: ec.len(),
            })
        })
        .as_ref()
        .map_err(|e| PdfError::Code(format!("QR: {e}")))
}

fn dark_modules(colors: Vec<Color>) -> Vec<bool> {
    colors.into_iter().map(|c| c == Color::Dark).collect()
}

/// QR code modules: version 4 (33×33) as the guideline asks, error correction M;
/// a larger version only if the payload does not fit (it always does for valid data).
pub(crate) fn qr_matrix(payload: &str) -> Result<Matrix, PdfError> {
    let fast = || -> Result<Option<Matrix>, PdfError> {
        let templates = qr_templates()?;
        let mut bits = Bits::new(QR_VERSION);
        if bits.push_optimal_data(payload.as_bytes()).is_err()
            || bits.push_terminator(QR_EC).is_err()
        {
            return Ok(None);
        }
        let Ok((data, ec)) = ec::construct_codewords(&bits.into_bytes(), QR_VERSION, QR_EC) else {
            return Ok(None);
        };
        if data.len() != templates.data_len || ec.len() != templates.ec_len {
            return Ok(None);
        }
        let mut canvas = Canvas::new(QR_VERSION, QR_EC);
        canvas.draw_all_functional_patterns();
        canvas.draw_data(&data, &ec);
        let unmasked = dark_modules(canvas.into_colors());
        let mut best: Option<(u32, Vec<bool>)> = None;
        for template in &templates.masked {
            // Data modules: the data flipped where the mask is dark; the others
            // as in the template.
            let dark: Vec<bool> = template
                .iter()
                .zip(&unmasked)
                .zip(&templates.functional)
                .map(|((mask, data), functional)| if *functional { *mask } else { mask ^ data })
                .collect();
            let score = qr_penalty(&dark, QR_WIDTH);
            if best.as_ref().is_none_or(|(min, _)| score < *min) {
                best = Some((score, dark));
            }
        }
        Ok(best.map(|(_, dark)| Matrix {
            width: QR_WIDTH,
            dark,
        }))
    };
    if let Some(matrix) = fast()? {
        return Ok(matrix);
    }
    let code = QrCode::with_version(payload.as_bytes(), QR_VERSION, QR_EC)
        .or_else(|_| QrCode::with_error_correction_level(payload.as_bytes(), QR_EC))
        .map_err(|e| PdfError::Code(format!("QR: {e}")))?;
    let width = code.width();
    Ok(Matrix {
        width,
        dark: dark_modules(code.to_colors()),
    })
}

/// The penalty score of a masked symbol, as `qrcode` computes it (ISO/IEC 18004
/// §7.8.3: runs of five or more, 2×2 blocks, finder-like patterns, balance).
fn qr_penalty(dark: &[bool], width: usize) -> u32 {
    let at = |x: usize, y: usize| dark[y * width + x];
    let mut score: i64 = 0;
    for horizontal in [true, false] {
        let line = |i: usize, j: usize| if horizontal { at(j, i) } else { at(i, j) };
        for i in 0..width {
            // Runs of 5 + n modules of one colour: 3 + n points.
            let mut run = 0;
            let mut last = None;
            for j in 0..width {
                let c = line(i, j);
                if Some(c) == last {
                    run += 1;
                } else {
                    if run >= 5 {
                        score += run - 2;
                    }
                    last = Some(c);
                    run = 1;
                }
            }
            if run >= 5 {
                score += run - 2;
            }
            // Dark-light-dark-dark-dark-light-dark with four light modules (or
            // the edge) on either side: 40 points.
            const FINDER: [bool; 7] = [true, false, true, true, true, false, true];
            for j in 0..width - 6 {
                if (0..7).any(|k| line(i, j + k) != FINDER[k]) {
                    continue;
                }
                let dark_at = |k: usize| k < width && line(i, k);
                let before = (j.saturating_sub(4)..j).any(dark_at);
                let after = (j + 7..j + 11).any(dark_at);
                if !before || !after {
                    score += 40;
                }
            }
        }
        // `qrcode` takes off the finder patterns' own 360 points per direction.
        score -= 360;
    }
    // 2×2 blocks of one colour: 3 points each.
    for y in 0..width - 1 {
        for x in 0..width - 1 {
            let c = at(x, y);
            if at(x + 1, y) == c && at(x, y + 1) == c && at(x + 1, y + 1) == c {
                score += 3;
            }
        }
    }
    // Distance of the dark proportion from one half.
    let darks = dark.iter().filter(|d| **d).count();
    let ratio = darks * 200 / dark.len();
    score += ratio.abs_diff(100) as i64;
    u32::try_from(score.max(0)).unwrap_or(u32::MAX)
}

/// Data Matrix (ECC 200) modules, square symbol.
pub(crate) fn datamatrix_matrix(payload: &str) -> Result<Matrix, PdfError> {
    let encode = |types| {
        DataMatrixBuilder::new()
            .with_encodation_types(types)
            .with_symbol_list(SymbolList::default().enforce_square())
            .encode(payload.as_bytes())
    };
    let text = EncodationType::Ascii | EncodationType::C40 | EncodationType::Text;
    let mut code = encode(text).ok();
    if code.as_ref().is_none_or(|c| c.bitmap().width() > 52) {
        if let Ok(all) = encode(EncodationType::all()) {
            if code
                .as_ref()
                .is_none_or(|c| all.bitmap().width() < c.bitmap().width())
            {
                code = Some(all);
            }
        }
    }
    let code = match code {
        Some(code) => code,
        None => DataMatrix::encode(payload.as_bytes(), SymbolList::default().enforce_square())
            .map_err(|e| PdfError::Code(format!("Data Matrix: {e:?}")))?,
    };
    let bitmap = code.bitmap();
    Ok(Matrix {
        width: bitmap.width(),
        dark: bitmap.bits().to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice() -> NoticeNumber {
        NoticeNumber::parse("301000000000000144").unwrap()
    }

    fn cents(c: u64) -> AmountCents {
        AmountCents::new(c).unwrap()
    }

    #[test]
    fn qr_payload_examples() {
        assert_eq!(
            qr_payload(&notice(), "01199250158", cents(15050)),
            "PAGOPA|002|301000000000000144|01199250158|15050"
        );
        // At least two digits.
        assert_eq!(
            qr_payload(&notice(), "01199250158", cents(5)),
            "PAGOPA|002|301000000000000144|01199250158|05"
        );
        assert_eq!(
            qr_payload(&notice(), "01199250158", cents(10)),
            "PAGOPA|002|301000000000000144|01199250158|10"
        );
        // GovPay's test case (pagopa.md §4.3); the maximum amount has 11 digits.
        let n = NoticeNumber::parse("347123456789012389").unwrap();
        assert_eq!(
            qr_payload(&n, "12345678901", cents(99_999_999_999)),
            "PAGOPA|002|347123456789012389|12345678901|99999999999"
        );
        // The EC fiscal code is left-padded to 11, as pagoPA's generator does.
        assert_eq!(
            qr_payload(&notice(), "1199250158", cents(100)),
            "PAGOPA|002|301000000000000144|01199250158|100"
        );
    }

    #[test]
    fn qr_is_version_4_even_for_the_longest_payload() {
        let longest = qr_payload(&notice(), "01199250158", cents(99_999_999_999));
        // 11 + 18 + 1 + 11 + 1 + 11 characters (IO's parser stops at 10 amount digits, 52).
        assert_eq!(longest.len(), 53);
        let m = qr_matrix(&longest).unwrap();
        assert_eq!(m.width, 33);
        assert_eq!(m.dark.len(), 33 * 33);
    }

    #[test]
    fn datamatrix_payload_layout() {
        let p = poste_datamatrix_payload(
            &notice(),
            "123456789",
            cents(15050),
            "01199250158",
            "rccmnl83s18d969h",
            "Manuel Rocca",
            "TARI 2026 - prima rata",
        );
        assert_eq!(p.len(), 256);
        assert_eq!(p.chars().count(), 256);
        // IO's offsets (decodePosteDataMatrix).
        assert_eq!(&p[15..33], "301000000000000144");
        assert_eq!(&p[49..59], "0000015050");
        assert_eq!(&p[66..77], "01199250158");
        // The example of pagopa.md §4.4.
        assert!(p.starts_with(
            "codfase=NBPA;18301000000000000144120001234567891000000150503896\
             1P101199250158RCCMNL83S18D969HManuel Rocca"
        ));
        assert_eq!(&p[93..133], format!("{:<40}", "Manuel Rocca"));
        assert_eq!(&p[133..243], format!("{:<110}", "TARI 2026 - prima rata"));
        assert_eq!(&p[243..255], " ".repeat(12));
        assert!(p.ends_with('A'));
    }

    #[test]
    fn datamatrix_payload_is_256_whatever_the_text() {
        let long = "Niccolò Dell'Acqua è più lungo di quaranta caratteri, davvero".repeat(4);
        let p = poste_datamatrix_payload(
            &notice(),
            "0012345678901234",
            cents(9_999_999_999),
            "01199250158",
            "",
            &long,
            &long,
        );
        assert_eq!(p.len(), 256);
        assert!(p.is_ascii());
        assert_eq!(&p[35..47], "345678901234");
        assert_eq!(&p[49..59], "9999999999");
        assert!(p[93..133].starts_with("Niccolo Dell'Acqua e piu"));
        assert_eq!(&p[77..93], " ".repeat(16));
    }

    #[test]
    fn qr_codes_are_the_ones_qrcode_makes() {
        // Payloads of every shape: amounts of 2 to 11 digits, notices and fiscal codes.
        for i in 0..400u64 {
            let notice = format!("{:018}", i.wrapping_mul(7_919_000_001) % 10u64.pow(18));
            let n = NoticeNumber::parse(&notice);
            let payload = match n {
                Ok(n) => qr_payload(
                    &n,
                    &format!("{:011}", i * 104_729 % 100_000_000_000),
                    cents((i * 7_777) % 99_999_999_999 + 1),
                ),
                Err(_) => format!("PAGOPA|002|{notice}|01199250158|{}", i * 31),
            };
            let ours = qr_matrix(&payload).unwrap();
            let theirs =
                QrCode::with_version(payload.as_bytes(), Version::Normal(4), EcLevel::M).unwrap();
            assert_eq!(ours.width, theirs.width());
            assert_eq!(ours.dark, dark_modules(theirs.to_colors()), "{payload}");
        }
        // Too long for version 4: a larger symbol, as before.
        let long = "PAGOPA|002|".repeat(10);
        assert!(qr_matrix(&long).unwrap().width > 33);
    }

    #[test]
    fn datamatrix_keeps_the_symbol_size() {
        let long = "Maria Giovanna Francesca Antonietta Lucrezia";
        for (name, subject) in [
            ("Manuel Rocca", "TARI 2026 - prima rata"),
            (long, "Oggetto molto lungo ".repeat(6).as_str()),
            ("ACME S.P.A.", "CANONE UNICO PATRIMONIALE 2026 RATA 1"),
            (
                "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.",
                "!!!???...,,,;;;",
            ),
        ] {
            let p = poste_datamatrix_payload(
                &notice(),
                "123456789012",
                cents(15050),
                "01199250158",
                "RCCMNL83S18D969H",
                name,
                subject,
            );
            let ours = datamatrix_matrix(&p).unwrap();
            let all =
                DataMatrix::encode(p.as_bytes(), SymbolList::default().enforce_square()).unwrap();
            assert!(ours.width <= all.bitmap().width(), "{name} {subject}");
            let decoded = DataMatrix::decode(&ours.dark, ours.width).unwrap();
            assert_eq!(String::from_utf8(decoded).unwrap(), p);
        }
    }

    #[test]
    fn datamatrix_symbol_decodes_back() {
        let p = poste_datamatrix_payload(
            &notice(),
            "123456789012",
            cents(15050),
            "01199250158",
            "RCCMNL83S18D969H",
            "Manuel Rocca",
            "TARI 2026",
        );
        let m = datamatrix_matrix(&p).unwrap();
        assert_eq!(m.dark.len(), m.width * m.width);
        let decoded = DataMatrix::decode(&m.dark, m.width).unwrap();
        assert_eq!(String::from_utf8(decoded).unwrap(), p);
    }
}
