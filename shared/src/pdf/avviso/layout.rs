//! The avviso's text styles and sizes, and the drawing helpers its sections
//! share: labelled values, rows of codes, boxes and rows of cells.

use crate::pdf::draw::{
    Canvas, Look, Op, Style, BLUE, CONTENT_W, GREY, GREY70, INK, MARGIN, MM, RULE, WHITE,
};
use crate::pdf::fonts::Weight;
use crate::pdf::structure::Kind;

// Text styles.
pub(super) const S_TITLE: Style = Style::new(Weight::SemiBold, 9.0, GREY);
pub(super) const S_MARK: Style = Style::new(Weight::Bold, 13.0, BLUE);
pub(super) const S_SUBJECT: Style = Style::new(Weight::Bold, 20.0, INK);
pub(super) const S_SECTION: Style = Style::new(Weight::Bold, 9.5, BLUE);
pub(super) const S_SMALL: Style = Style::new(Weight::Regular, 8.5, GREY);
pub(super) const S_SMALL_STRONG: Style = Style::new(Weight::SemiBold, 8.5, INK);
pub(super) const S_NAME: Style = Style::new(Weight::Bold, 12.0, INK);
pub(super) const S_BODY: Style = Style::new(Weight::Regular, 9.5, INK);
pub(super) const S_BODY_STRONG: Style = Style::new(Weight::Bold, 9.5, INK);
pub(super) const S_AMOUNT: Style = Style::new(Weight::Bold, 22.0, INK);
pub(super) const S_DUE: Style = Style::new(Weight::Regular, 11.0, INK);
pub(super) const S_DUE_DATE: Style = Style::new(Weight::Bold, 14.0, INK);
pub(super) const S_LEGAL: Style = Style::new(Weight::Regular, 7.5, GREY);
pub(super) const S_LABEL: Style = Style::new(Weight::SemiBold, 7.5, GREY);
pub(super) const S_VALUE: Style = Style::new(Weight::SemiBold, 10.0, INK);
pub(super) const S_CODE: Style = Style::new(Weight::Bold, 10.5, INK);
pub(super) const S_BLOCK_LABEL: Style = Style::new(Weight::Bold, 10.0, BLUE);
pub(super) const S_BLOCK_DUE: Style = Style::new(Weight::Regular, 9.5, INK);
pub(super) const S_BLOCK_DUE_DATE: Style = Style::new(Weight::Bold, 9.5, INK);
pub(super) const S_BLOCK_AMOUNT: Style = Style::new(Weight::Bold, 16.0, INK);
pub(super) const S_AUT: Style = Style::new(Weight::Regular, 7.5, GREY70);

/// White boxes of the payment data.
const CARD: Look = Look::outlined(WHITE, RULE, 0.8, 4.0);
/// Width of the labels left of their values.
const LABEL_W: f32 = 34.0 * MM;

/// Side of the QR code and of the Data Matrix (25 mm).
pub(super) const CODE: f32 = 25.0 * MM;
/// Quiet zone kept clear around the QR code (4 modules of a 33-module symbol).
pub(super) const QUIET: f32 = CODE * 4.0 / 33.0;
/// Inner padding of the payment boxes.
pub(super) const PAD: f32 = 4.0 * MM;
/// Side of the EC logo box (30 mm).
pub(super) const LOGO: f32 = 30.0 * MM;

/// A section label with a value aligned right on the same line ("ENTE CREDITORE
/// Cod. Fiscale 01199250158"): a heading, and a paragraph; returns the line height.
pub(super) fn label_line(
    c: &mut Canvas,
    x: f32,
    y: f32,
    w: f32,
    label: &str,
    key: &str,
    value: &str,
) -> f32 {
    let label = label.to_uppercase();
    let lw = c.width(S_SECTION, &label);
    c.tagged(Kind::H(2), |c| c.text(x, y, S_SECTION, &label));
    if !value.trim().is_empty() {
        let room = w - lw - 8.0;
        let value = c.fit(S_SMALL_STRONG, value.trim(), room);
        let vw = c.width(S_SMALL_STRONG, &value);
        let key = format!("{key} ");
        let kw = c.width(S_SMALL, &key);
        c.open(Kind::P);
        if kw + vw <= room {
            c.text(x + w - vw - kw, y + 1.0, S_SMALL, &key);
        }
        c.text(x + w - vw, y + 1.0, S_SMALL_STRONG, &value);
        c.close();
    }
    S_SECTION.line_height()
}

/// Label over value; returns the height used.
pub(super) fn pair(
    c: &mut Canvas,
    x: f32,
    y: f32,
    w: f32,
    label: &str,
    value: &str,
    style: Style,
) -> f32 {
    c.text_fit(x, y, w, S_LABEL, label);
    c.text_fit(x, y + S_LABEL.line_height(), w, style, value);
    S_LABEL.line_height() + style.line_height() + 3.0
}

/// Label over value as a table row headed by the label; returns the height used.
pub(super) fn pair_row(
    c: &mut Canvas,
    x: f32,
    y: f32,
    w: f32,
    label: &str,
    value: &str,
    style: Style,
) -> f32 {
    c.tagged(Kind::TR, |c| {
        c.tagged(Kind::RowHeader, |c| c.text_fit(x, y, w, S_LABEL, label));
        c.tagged(Kind::TD, |c| {
            c.text_fit(x, y + S_LABEL.line_height(), w, style, value)
        });
    });
    S_LABEL.line_height() + style.line_height() + 3.0
}

/// Label on the left, value on the right of it, as a table row headed by the
/// label; returns the height used.
pub(super) fn row(
    c: &mut Canvas,
    x: f32,
    y: f32,
    w: f32,
    label: &str,
    value: &str,
    lines: usize,
) -> f32 {
    c.open(Kind::TR);
    c.tagged(Kind::RowHeader, |c| {
        c.text_fit(x, y + 1.5, LABEL_W - 6.0, S_LABEL, label)
    });
    let h = c.tagged(Kind::TD, |c| {
        c.para(x + LABEL_W, y, w - LABEL_W, S_VALUE, value, lines)
    });
    c.close();
    h.max(S_VALUE.line_height()) + 3.0
}

/// Codes on one line, each label over value, left to right (table rows).
pub(super) fn codes_line(c: &mut Canvas, x: f32, y: f32, w: f32, items: &[(&str, String)]) -> f32 {
    let mut cx = x;
    for (label, value) in items {
        let vw = c.width(S_CODE, value).max(c.width(S_LABEL, label));
        let room = x + w - cx;
        if room <= 20.0 {
            break;
        }
        pair_row(c, cx, y, room, label, value, S_CODE);
        cx += vw + 7.0 * MM;
    }
    S_LABEL.line_height() + S_CODE.line_height() + 3.0
}

/// Puts the ops drawn so far on a white box with a border.
pub(super) fn boxed(c: &mut Canvas, x: f32, w: f32, h: f32) {
    let content = c.take();
    c.rect(x, 0.0, w, h, CARD);
    c.extend(content, 0.0, 0.0);
}

/// Draws cells side by side on boxes of equal height, with a note under them.
pub(super) fn cells_row(
    c: &mut Canvas,
    cells: Vec<(Vec<Op>, f32)>,
    cols: usize,
    note: Option<&str>,
) -> f32 {
    let gap = 4.0 * MM;
    let w = (CONTENT_W - gap * (cols as f32 - 1.0)) / cols as f32;
    let h = cells.iter().map(|(_, h)| *h).fold(0.0, f32::max);
    let mut all = Vec::new();
    for (i, (ops, _)) in cells.into_iter().enumerate() {
        let x = MARGIN + i as f32 * (w + gap);
        c.rect(x, 0.0, w, h, CARD);
        all.push((ops, x));
    }
    for (ops, x) in all {
        c.extend(ops, x, 0.0);
    }
    match note {
        Some(note) => {
            let nh = c.tagged(Kind::P, |c| {
                c.para(MARGIN, h + 2.0 * MM, CONTENT_W, S_SMALL, note, 2)
            });
            h + 2.0 * MM + nh
        }
        None => h,
    }
}

/// Width of one of `cols` cells side by side.
pub(super) fn cell_width(cols: usize) -> f32 {
    let gap = 4.0 * MM;
    (CONTENT_W - gap * (cols as f32 - 1.0)) / cols as f32
}
