//! "Dati per il pagamento" for the payment in full: the heading, the block
//! with its QR code and, with a postal account, its Bollettino Postale PA.

use super::layout::{
    boxed, codes_line, row, CODE, PAD, QUIET, S_AUT, S_BLOCK_AMOUNT, S_BLOCK_DUE, S_BLOCK_DUE_DATE,
    S_BLOCK_LABEL, S_MARK, S_SECTION, S_SMALL,
};
use super::texts::{aut_text, datamatrix_alt, qr_alt, Texts};
use crate::pdf::codes::{datamatrix_matrix, qr_matrix};
use crate::pdf::draw::{Canvas, Matrix, Style, BLUE, CONTENT_W, MARGIN, MM};
use crate::pdf::structure::Kind;
use crate::pdf::{
    format_cents, format_date, poste_datamatrix_payload, qr_payload, AvvisoData, AvvisoPayment,
    PdfError,
};

/// "DATI PER IL PAGAMENTO" (a heading) with the pagoPA word mark on the right
/// (decoration).
pub(super) fn payment_heading(c: &mut Canvas, t: &Texts) -> f32 {
    c.tagged(Kind::H(2), |c| {
        c.text(MARGIN, 2.0, S_SECTION, &t.payment_data.to_uppercase())
    });
    c.decorative(|c| c.text_right(MARGIN + CONTENT_W, 0.0, 80.0, S_MARK, "pagoPA"));
    let h = S_MARK.line_height() + 2.0;
    c.hline(MARGIN, MARGIN + CONTENT_W, h, BLUE, 1.0);
    h + 1.0
}

/// "Rata unica … entro il …" on the left (a heading) and the amount on the right
/// (a paragraph).
fn option_line(
    c: &mut Canvas,
    x: f32,
    y: f32,
    w: f32,
    t: &Texts,
    label: &str,
    payment: &AvvisoPayment,
) -> f32 {
    let amount = format_cents(payment.amount.cents(), t.lang);
    let aw = c.width(S_BLOCK_AMOUNT, &c.fit(S_BLOCK_AMOUNT, &amount, w / 2.0));
    let top = y + (S_BLOCK_AMOUNT.size - S_BLOCK_LABEL.size) * 0.95;
    let label = label.to_uppercase();
    let mut spans: Vec<(Style, &str)> = vec![(S_BLOCK_LABEL, &label)];
    let due_label = format!("   {} ", t.due);
    let date = payment.due_date.map(format_date);
    if let Some(date) = &date {
        spans.push((S_BLOCK_DUE, &due_label));
        spans.push((S_BLOCK_DUE_DATE, date));
    }
    c.tagged(Kind::H(3), |c| c.spans(x, top, w - aw - 6.0 * MM, &spans));
    c.tagged(Kind::P, |c| {
        c.text_right(x + w, y, w / 2.0, S_BLOCK_AMOUNT, &amount)
    });
    S_BLOCK_AMOUNT.line_height()
}

/// The single payment: QR code, option line, data beside the code (a section
/// with a figure and a table).
pub(super) fn single_block(
    c: &mut Canvas,
    data: &AvvisoData,
    t: &Texts,
    p: &AvvisoPayment,
) -> Result<f32, PdfError> {
    let x = MARGIN + PAD;
    let w = CONTENT_W - 2.0 * PAD;
    let ec_cf = data.ec.fiscal_code.trim();
    let qr = qr_matrix(&qr_payload(&p.notice_number, ec_cf, p.amount))?;

    let mut y = PAD;
    c.open(Kind::Sect);
    y += option_line(c, x, y, w, t, t.full_amount, p) + QUIET;
    let alt = qr_alt(data.lang, &p.notice_number.grouped());
    c.tagged(Kind::Figure(alt), |c| c.matrix(x, y, CODE, 0.0, qr));

    let fx = x + CODE + QUIET + 4.0 * MM;
    let fw = x + w - fx;
    let mut fy = y;
    c.open(Kind::Table);
    fy += row(c, fx, fy, fw, t.l_recipient, &data.debtor.full_name, 1);
    fy += row(c, fx, fy, fw, t.l_payee, &data.ec.name, 1);
    fy += row(c, fx, fy, fw, t.l_subject, &data.subject, 2);
    fy += 3.0;
    let mut codes = Vec::with_capacity(3);
    if let Some(cbill) = data.ec.cbill.as_deref().filter(|s| !s.trim().is_empty()) {
        codes.push((t.l_cbill, cbill.trim().to_uppercase()));
    }
    codes.push((t.l_notice, p.notice_number.grouped()));
    codes.push((t.l_ec_cf, ec_cf.to_owned()));
    fy += codes_line(c, fx, fy, fw, &codes);
    c.close();

    y = (y + CODE).max(fy) + QUIET;
    y += c.tagged(Kind::P, |c| c.para(x, y, w, S_SMALL, t.scan_beside, 2));
    c.close();
    let h = y + PAD;
    boxed(c, MARGIN, CONTENT_W, h);
    Ok(h)
}

/// The Data Matrix of a payment's Bollettino Postale PA.
pub(super) fn datamatrix_for(data: &AvvisoData, p: &AvvisoPayment) -> Result<Matrix, PdfError> {
    let account = data.ec.postal_account.as_deref().unwrap_or_default();
    datamatrix_matrix(&poste_datamatrix_payload(
        &p.notice_number,
        account,
        p.amount,
        data.ec.fiscal_code.trim(),
        &data.debtor.fiscal_code,
        &data.debtor.full_name,
        &data.subject,
    ))
}

/// Bollettino Postale PA of the single payment (full width).
pub(super) fn postal_block(
    c: &mut Canvas,
    data: &AvvisoData,
    t: &Texts,
    p: &AvvisoPayment,
) -> Result<f32, PdfError> {
    let x = MARGIN + PAD;
    let w = CONTENT_W - 2.0 * PAD;
    let account = data.ec.postal_account.as_deref().unwrap_or_default().trim();
    let dm = datamatrix_for(data, p)?;

    let mut y = PAD;
    c.open(Kind::Sect);
    y += option_line(c, x, y, w, t, t.postal_title, p) + 3.0 * MM;
    let alt = datamatrix_alt(data.lang, &p.notice_number.grouped());
    c.tagged(Kind::Figure(alt), |c| c.matrix(x, y, CODE, 0.0, dm));

    let fx = x + CODE + 8.0 * MM;
    let fw = x + w - fx;
    let mut fy = y;
    c.open(Kind::Table);
    fy += row(c, fx, fy, fw, t.postal_holder, &data.ec.name, 1);
    fy += row(c, fx, fy, fw, t.l_recipient, &data.debtor.full_name, 1);
    fy += row(c, fx, fy, fw, t.l_subject, &data.subject, 1);
    fy += 3.0;
    let codes = [
        (t.postal_account, format!("{account:0>12}")),
        (t.l_notice, p.notice_number.grouped()),
        (t.l_ec_cf, data.ec.fiscal_code.trim().to_owned()),
    ];
    fy += codes_line(c, fx, fy, fw, &codes);
    c.close();

    y = (y + CODE).max(fy) + 3.0 * MM;
    if let Some(aut) = aut_text(data) {
        y += c.tagged(Kind::P, |c| c.text_fit(x, y, w, S_AUT, &aut));
    }
    c.close();
    let h = y + PAD;
    boxed(c, MARGIN, CONTENT_W, h);
    Ok(h)
}
