//! "Dati per il pagamento" for the installments: rows of two or three cells,
//! each with its QR code and, with a postal account, a row of Bollettini
//! Postali PA under them.
//!
//! In the logical structure each row of cells is a table, and each cell a row of
//! it: its title (label and due date) heads the row, its amount, code and data
//! are the cells.

use super::layout::{
    cell_width, cells_row, pair, CODE, PAD, QUIET, S_AUT, S_BLOCK_AMOUNT, S_BLOCK_DUE,
    S_BLOCK_DUE_DATE, S_BLOCK_LABEL, S_BODY, S_BODY_STRONG, S_CODE, S_LABEL, S_VALUE,
};
use super::payment::datamatrix_for;
use super::texts::{aut_text, datamatrix_alt, installment_label, qr_alt, Texts};
use crate::pdf::codes::qr_matrix;
use crate::pdf::draw::{Canvas, MM};
use crate::pdf::structure::Kind;
use crate::pdf::{format_cents, format_date, qr_payload, AvvisoData, AvvisoPayment, PdfError};

/// Label left, due date right (or below when there is no room); returns the height.
fn cell_title(
    c: &mut Canvas,
    x: f32,
    y: f32,
    w: f32,
    t: &Texts,
    label: &str,
    p: &AvvisoPayment,
) -> f32 {
    let label = label.to_uppercase();
    c.text_fit(x, y, w, S_BLOCK_LABEL, &label);
    let mut h = S_BLOCK_LABEL.line_height();
    if let Some(date) = p.due_date.map(format_date) {
        let due = format!("{} ", t.due);
        let dw = c.width(S_BLOCK_DUE, &due) + c.width(S_BLOCK_DUE_DATE, &date);
        let lw = c.width(S_BLOCK_LABEL, &label);
        if lw + 8.0 + dw <= w {
            c.spans(
                x + w - dw,
                y + 0.5,
                dw + 1.0,
                &[(S_BLOCK_DUE, &due), (S_BLOCK_DUE_DATE, &date)],
            );
        } else {
            c.spans(
                x,
                y + h,
                w,
                &[(S_BLOCK_DUE, &due), (S_BLOCK_DUE_DATE, &date)],
            );
            h += S_BLOCK_DUE.line_height();
        }
    }
    h
}

/// One installment cell, drawn at x = 0 (the row moves it); returns its height.
fn installment_cell(
    c: &mut Canvas,
    data: &AvvisoData,
    t: &Texts,
    p: &AvvisoPayment,
    number: usize,
    cols: usize,
) -> Result<f32, PdfError> {
    let w = cell_width(cols) - 2.0 * PAD;
    let x = PAD;
    let ec_cf = data.ec.fiscal_code.trim();
    let qr = qr_matrix(&qr_payload(&p.notice_number, ec_cf, p.amount))?;

    let mut y = PAD;
    y += c.tagged(Kind::RowHeader, |c| {
        cell_title(c, x, y, w, t, &installment_label(data.lang, number), p)
    });
    let amount = format_cents(p.amount.cents(), data.lang);
    y += c.tagged(Kind::TD, |c| c.text_fit(x, y, w, S_BLOCK_AMOUNT, &amount)) + QUIET;
    let alt = qr_alt(data.lang, &p.notice_number.grouped());
    c.tagged(Kind::TD, |c| {
        c.tagged(Kind::Figure(alt), |c| c.matrix(x, y, CODE, 0.0, qr))
    });

    let mut codes: Vec<(&str, String)> = vec![
        (t.l_notice, p.notice_number.grouped()),
        (t.l_ec_cf, ec_cf.to_owned()),
    ];
    if let Some(cbill) = data.ec.cbill.as_deref().filter(|s| !s.trim().is_empty()) {
        codes.push((t.l_cbill, cbill.trim().to_uppercase()));
    }
    let beside = w - CODE - QUIET - 3.0 * MM;
    let widest = codes
        .iter()
        .map(|(_, v)| c.width(S_CODE, v))
        .fold(0.0, f32::max);
    if widest <= beside {
        let fx = x + CODE + QUIET + 3.0 * MM;
        let mut fy = y;
        for (label, value) in &codes {
            fy += c.tagged(Kind::TD, |c| pair(c, fx, fy, beside, label, value, S_CODE));
        }
        y = (y + CODE).max(fy) + QUIET;
    } else {
        y += CODE + QUIET;
        for (label, value) in &codes {
            y += c.tagged(Kind::TD, |c| pair(c, x, y, w, label, value, S_CODE));
        }
    }
    if cols == 2 {
        y += c.tagged(Kind::TD, |c| {
            pair(c, x, y, w, t.l_recipient, &data.debtor.full_name, S_VALUE)
        });
    }
    c.open(Kind::TD);
    c.text_fit(x, y, w, S_LABEL, t.l_subject);
    y += S_LABEL.line_height();
    y += c.para(x, y, w, S_BODY, &data.subject, 2);
    c.close();
    Ok(y + PAD)
}

/// A row of installment cells, with the note to scan the codes under it.
pub(super) fn installment_row(
    c: &mut Canvas,
    data: &AvvisoData,
    t: &Texts,
    row: &[AvvisoPayment],
    first: usize,
    cols: usize,
) -> Result<f32, PdfError> {
    let mut cells = Vec::with_capacity(row.len());
    c.open(Kind::Table);
    for (i, p) in row.iter().enumerate() {
        c.open(Kind::TR);
        let h = installment_cell(c, data, t, p, first + i, cols)?;
        c.close();
        cells.push((c.take(), h));
    }
    c.close();
    Ok(cells_row(c, cells, cols, Some(t.scan_above)))
}

/// One Bollettino Postale PA cell for an installment.
fn postal_cell(
    c: &mut Canvas,
    data: &AvvisoData,
    t: &Texts,
    p: &AvvisoPayment,
    number: usize,
    cols: usize,
) -> Result<f32, PdfError> {
    let w = cell_width(cols) - 2.0 * PAD;
    let x = PAD;
    let account = data.ec.postal_account.as_deref().unwrap_or_default().trim();
    let dm = datamatrix_for(data, p)?;

    let mut y = PAD;
    c.open(Kind::RowHeader);
    y += c.text_fit(x, y, w, S_BODY_STRONG, t.postal_title);
    y += cell_title(c, x, y, w, t, &installment_label(data.lang, number), p);
    c.close();
    let amount = format_cents(p.amount.cents(), data.lang);
    y += c.tagged(Kind::TD, |c| c.text_fit(x, y, w, S_BLOCK_AMOUNT, &amount)) + 3.0 * MM;
    let alt = datamatrix_alt(data.lang, &p.notice_number.grouped());
    c.tagged(Kind::TD, |c| {
        c.tagged(Kind::Figure(alt), |c| c.matrix(x, y, CODE, 0.0, dm))
    });

    let codes = [
        (t.postal_account, format!("{account:0>12}")),
        (t.l_notice, p.notice_number.grouped()),
        (t.l_ec_cf, data.ec.fiscal_code.trim().to_owned()),
    ];
    let beside = w - CODE - 4.0 * MM;
    let widest = codes
        .iter()
        .map(|(_, v)| c.width(S_CODE, v))
        .fold(0.0, f32::max);
    if widest <= beside {
        let fx = x + CODE + 4.0 * MM;
        let mut fy = y;
        for (label, value) in &codes {
            fy += c.tagged(Kind::TD, |c| pair(c, fx, fy, beside, label, value, S_CODE));
        }
        y = (y + CODE).max(fy) + 3.0 * MM;
    } else {
        y += CODE + 3.0 * MM;
        for (label, value) in &codes {
            y += c.tagged(Kind::TD, |c| pair(c, x, y, w, label, value, S_CODE));
        }
    }
    y += c.tagged(Kind::TD, |c| {
        pair(c, x, y, w, t.postal_holder, &data.ec.name, S_VALUE)
    });
    if let Some(aut) = aut_text(data) {
        y += c.tagged(Kind::TD, |c| c.para(x, y, w, S_AUT, &aut, 2));
    }
    Ok(y + PAD)
}

/// A row of Bollettino Postale PA cells, under the installments they pay.
pub(super) fn postal_row(
    c: &mut Canvas,
    data: &AvvisoData,
    t: &Texts,
    row: &[AvvisoPayment],
    first: usize,
    cols: usize,
) -> Result<f32, PdfError> {
    let mut cells = Vec::with_capacity(row.len());
    c.open(Kind::Table);
    for (i, p) in row.iter().enumerate() {
        c.open(Kind::TR);
        let h = postal_cell(c, data, t, p, first + i, cols)?;
        c.close();
        cells.push((c.take(), h));
    }
    c.close();
    Ok(cells_row(c, cells, cols, None))
}
