//! The pagoPA "Avviso di pagamento" (guideline 3.x, pagopa.md §4): A4, sections in
//! the mandatory order, the header repeated on every page.
//!
//! The sections are drawn one by one on a `Canvas` and laid out on pages by
//! `Pages`: `overview` (header, parties, amount, where to pay), `payment` (the
//! payment in full) and `installments`, with the words in `texts` and the
//! styles and shared helpers in `layout`.

mod installments;
mod layout;
mod overview;
mod payment;
mod texts;

use krilla::image::Image;

use self::installments::{installment_row, postal_row};
use self::overview::{amount_and_where, header, parties};
use self::payment::{payment_heading, postal_block, single_block};
use self::texts::texts;
use super::conformance::Meta;
use super::draw::{write_pdf, Canvas, Op, Pages, GAP, MM};
use super::fonts::fonts;
use super::structure::Kind;
use super::{invalid, lang_tag, AvvisoData, PdfError};

/// The checks the guideline's limits need before anything is drawn.
fn validate(data: &AvvisoData) -> Result<(), PdfError> {
    if data.single.is_none() && data.installments.is_empty() {
        return Err(invalid("payments", "nessuna opzione di pagamento"));
    }
    if data.installments.len() == 1 {
        return Err(invalid("installments", "le rate devono essere almeno due"));
    }
    let cf = data.ec.fiscal_code.trim();
    if cf.len() != 11 || !cf.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid("ec.fiscal_code", "deve avere 11 cifre"));
    }
    if let Some(account) = &data.ec.postal_account {
        let account = account.trim();
        if account.is_empty() || account.len() > 12 || !account.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(invalid("ec.postal_account", "da 1 a 12 cifre"));
        }
        let too_large = data
            .single
            .iter()
            .chain(&data.installments)
            .any(|p| p.amount.cents() > 9_999_999_999);
        if too_large {
            return Err(invalid(
                "amount",
                "il Bollettino Postale PA ammette importi fino a 99.999.999,99 €",
            ));
        }
    }
    Ok(())
}

/// The EC logo, if any, read from its PNG.
fn logo(data: &AvvisoData) -> Result<Option<Image>, PdfError> {
    let Some(png) = &data.ec.logo_png else {
        return Ok(None);
    };
    // Not interpolated: PDF/A forbids asking viewers to smooth images.
    let image = Image::from_png(png.clone().into(), false).map_err(PdfError::Logo)?;
    let (w, h) = image.size();
    if w == 0 || h == 0 {
        return Err(PdfError::Logo("immagine vuota".into()));
    }
    Ok(Some(image))
}

/// Renders the avviso as a PDF.
pub fn render_avviso(data: &AvvisoData) -> Result<Vec<u8>, PdfError> {
    validate(data)?;
    let fonts = fonts()?;
    let t = texts(data.lang);
    let logo = logo(data)?;
    let mut c = Canvas::new(fonts);

    let header_h = header(&mut c, data, t, logo);
    let mut pages = Pages::new(c.take(), header_h);

    let h = parties(&mut c, data, t);
    pages.place(c.take(), h, 0.0, GAP)?;
    let h = amount_and_where(&mut c, data, t);
    pages.place(c.take(), h, 0.0, GAP)?;

    // "Dati per il pagamento": heading kept with the first block.
    c.open(Kind::Sect);
    let heading_h = payment_heading(&mut c, t);
    let heading = c.take();
    let mut blocks: Vec<(Vec<Op>, f32, f32)> = Vec::new();
    let postal = data.ec.postal_account.is_some();
    if let Some(single) = &data.single {
        let h = single_block(&mut c, data, t, single)?;
        blocks.push((c.take(), h, if postal { 3.0 * MM } else { GAP }));
        if postal {
            let h = postal_block(&mut c, data, t, single)?;
            blocks.push((c.take(), h, GAP));
        }
    }
    let cols = if data.installments.len().is_multiple_of(3) {
        3
    } else {
        2
    };
    let mut number = 0;
    for row in data.installments.chunks(cols) {
        let first = number + 1;
        number += row.len();
        let h = installment_row(&mut c, data, t, row, first, cols)?;
        blocks.push((c.take(), h, if postal { 3.0 * MM } else { GAP }));
        if postal {
            let h = postal_row(&mut c, data, t, row, first, cols)?;
            blocks.push((c.take(), h, GAP));
        }
    }
    c.close();
    let first_h = blocks.first().map_or(0.0, |b| b.1);
    pages.place(heading, heading_h, first_h, 2.0 * MM)?;
    for (ops, h, gap) in blocks {
        pages.place(ops, h, 0.0, gap)?;
    }

    let all = pages.finish(&mut c, "", data.lang);
    write_pdf(
        fonts,
        all,
        c.into_structure(),
        Meta {
            title: format!("{} - {}", t.title, data.subject.trim()),
            subject: data.ec.name.trim().to_owned(),
            language: lang_tag(data.lang),
            created: data.created,
        },
    )
}
