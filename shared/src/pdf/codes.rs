//! The two 2D codes of the avviso: the pagoPA QR code (pagopa.md §4.3) and
//! Poste Italiane's Data Matrix of the Bollettino Postale PA (§4.4).

use datamatrix::{DataMatrix, SymbolList};
use qrcode::{EcLevel, QrCode, Version};

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

/// QR code modules: version 4 (33×33) as the guideline asks, error correction M;
/// a larger version only if the payload does not fit (it always does for valid data).
pub(crate) fn qr_matrix(payload: &str) -> Result<Matrix, PdfError> {
    let code = QrCode::with_version(payload.as_bytes(), Version::Normal(4), EcLevel::M)
        .or_else(|_| QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M))
        .map_err(|e| PdfError::Code(format!("QR: {e}")))?;
    let width = code.width();
    let dark = code
        .to_colors()
        .into_iter()
        .map(|c| c == qrcode::Color::Dark)
        .collect();
    Ok(Matrix { width, dark })
}

/// Data Matrix (ECC 200) modules, square symbol.
pub(crate) fn datamatrix_matrix(payload: &str) -> Result<Matrix, PdfError> {
    let code = DataMatrix::encode(payload.as_bytes(), SymbolList::default().enforce_square())
        .map_err(|e| PdfError::Code(format!("Data Matrix: {e:?}")))?;
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
