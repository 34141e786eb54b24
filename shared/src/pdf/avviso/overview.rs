//! The top of the avviso, what the debtor reads first: the header, the
//! Ente Creditore and the Destinatario, the amount and due date, and where to pay.

use krilla::image::Image;

use super::layout::{
    label_line, LOGO, PAD, S_AMOUNT, S_BODY, S_BODY_STRONG, S_DUE, S_DUE_DATE, S_LEGAL, S_MARK,
    S_NAME, S_SECTION, S_SMALL, S_SMALL_STRONG, S_SUBJECT, S_TITLE,
};
use super::texts::{installments_info, limit, logo_alt, online_text, Texts};
use crate::pdf::draw::{Canvas, Look, Style, BLUE, CONTENT_W, LIGHT, MARGIN, MM, RULE, WHITE};
use crate::pdf::fonts::Weight;
use crate::pdf::structure::Kind;
use crate::pdf::{format_cents, format_date, AvvisoData};

/// Intestazione: the pagoPA word mark and title (the document's heading), the
/// subject, the EC logo top right.
pub(super) fn header(c: &mut Canvas, data: &AvvisoData, t: &Texts, logo: Option<Image>) -> f32 {
    let x = MARGIN;
    let text_w = if logo.is_some() {
        CONTENT_W - LOGO - 6.0 * MM
    } else {
        CONTENT_W
    };
    let title = t.title.to_uppercase();
    c.tagged(Kind::H(1), |c| {
        c.spans(
            x,
            0.0,
            text_w,
            &[(S_MARK, "pagoPA"), (S_TITLE, "  "), (S_TITLE, &title)],
        )
    });
    let mut y = S_MARK.line_height() + 2.0;
    let subject = limit(&data.subject, 90);
    y += c.tagged(Kind::P, |c| c.para(x, y, text_w, S_SUBJECT, &subject, 2));
    let mut h = y;
    if let Some(image) = logo {
        let (iw, ih) = image.size();
        let scale = (LOGO / iw as f32).min(LOGO / ih as f32);
        let (w, lh) = (iw as f32 * scale, ih as f32 * scale);
        let alt = logo_alt(data.lang, data.ec.name.trim());
        c.tagged(Kind::Figure(alt), |c| {
            c.image(MARGIN + CONTENT_W - w, 0.0, w, lh, image)
        });
        h = h.max(lh);
    }
    h += 3.0 * MM;
    c.hline(MARGIN, MARGIN + CONTENT_W, h, RULE, 0.8);
    h
}

/// Informazioni sull'Ente Creditore and sul Destinatario, side by side.
pub(super) fn parties(c: &mut Canvas, data: &AvvisoData, t: &Texts) -> f32 {
    let col = (CONTENT_W - 10.0 * MM) / 2.0;
    let x1 = MARGIN;
    let x2 = MARGIN + col + 10.0 * MM;

    let ec = &data.ec;
    c.open(Kind::Sect);
    let mut y1 = label_line(c, x1, 0.0, col, t.payee, t.fiscal_code, &ec.fiscal_code) + 4.0;
    let name = limit(&ec.name, 50);
    y1 += c.tagged(Kind::P, |c| c.para(x1, y1, col, S_NAME, &name, 2));
    if let Some(office) = ec.office.as_deref().filter(|s| !s.trim().is_empty()) {
        let office = limit(office, 50);
        y1 += c.tagged(Kind::P, |c| c.para(x1, y1, col, S_BODY, &office, 2));
    }
    if let Some(info) = ec.info.as_deref().filter(|s| !s.trim().is_empty()) {
        let info = limit(info, 100);
        y1 += 2.0 + c.tagged(Kind::P, |c| c.para(x1, y1 + 2.0, col, S_SMALL, &info, 3));
    }
    c.close();

    let debtor = &data.debtor;
    let cf = debtor.fiscal_code.trim().to_uppercase();
    c.open(Kind::Sect);
    let mut y2 = label_line(c, x2, 0.0, col, t.recipient, t.fiscal_code, &cf) + 4.0;
    let name = limit(&debtor.full_name, 70);
    y2 += c.tagged(Kind::P, |c| c.para(x2, y2, col, S_NAME, &name, 2));
    if let Some(address) = debtor.address.as_deref().filter(|s| !s.trim().is_empty()) {
        let address = limit(address, 140);
        y2 += c.tagged(Kind::P, |c| c.para(x2, y2, col, S_BODY, &address, 3));
    }
    c.close();
    y1.max(y2)
}

/// The total of the installments, for a notice without a single payment.
fn headline(data: &AvvisoData) -> (u64, Option<chrono::NaiveDate>) {
    match &data.single {
        Some(p) => (p.amount.cents(), p.due_date),
        None => (
            data.installments.iter().map(|p| p.amount.cents()).sum(),
            None,
        ),
    }
}

/// Importo e scadenza, and Dove pagare, on a light band.
pub(super) fn amount_and_where(c: &mut Canvas, data: &AvvisoData, t: &Texts) -> f32 {
    let inner = CONTENT_W - 2.0 * PAD;
    let left_w = inner * 0.47;
    let right_w = inner - left_w - 8.0 * MM;
    let x1 = MARGIN + PAD;
    let x2 = x1 + left_w + 8.0 * MM;
    let under = c.take();

    // Quanto e quando pagare?
    let (cents, due) = headline(data);
    let has_dates = due.is_some()
        || (data.single.is_none() && data.installments.iter().any(|p| p.due_date.is_some()));
    let heading = if has_dates {
        t.how_much_when
    } else {
        t.how_much
    };
    let mut y1 = PAD;
    c.open(Kind::Sect);
    c.tagged(Kind::H(2), |c| {
        c.text_fit(x1, y1, left_w, S_SECTION, &heading.to_uppercase())
    });
    y1 += S_SECTION.line_height() + 4.0;
    let amount = format_cents(cents, data.lang);
    let amount_w = c.width(S_AMOUNT, &amount);
    c.open(Kind::P);
    match due {
        Some(date) => {
            let date = format_date(date);
            let due_label = format!("  {} ", t.due);
            let due_w = c.width(S_DUE, &due_label) + c.width(S_DUE_DATE, &date);
            if amount_w + due_w <= left_w {
                c.spans(
                    x1,
                    y1,
                    left_w,
                    &[
                        (S_AMOUNT, &amount),
                        (S_DUE, &due_label),
                        (S_DUE_DATE, &date),
                    ],
                );
                y1 += S_AMOUNT.line_height();
            } else {
                y1 += c.text_fit(x1, y1, left_w, S_AMOUNT, &amount);
                let label = format!("{} ", t.due);
                c.spans(x1, y1, left_w, &[(S_DUE, &label), (S_DUE_DATE, &date)]);
                y1 += S_DUE_DATE.line_height();
            }
        }
        None => y1 += c.text_fit(x1, y1, left_w, S_AMOUNT, &amount),
    }
    c.close();
    let n = data.installments.len();
    if n >= 2 {
        y1 += 2.0;
        let info = installments_info(data.lang, n, data.single.is_some());
        y1 += c.tagged(Kind::P, |c| c.para(x1, y1, left_w, S_BODY_STRONG, &info, 2));
        if data.single.is_none() {
            y1 += c.tagged(Kind::P, |c| {
                c.para(x1, y1, left_w, S_BODY, t.many_details, 2)
            });
        }
    }
    y1 += 4.0;
    y1 += c.tagged(Kind::P, |c| c.para(x1, y1, left_w, S_LEGAL, t.legal, 5));
    c.close();

    // Dove pagare?
    let mut y2 = PAD;
    c.open(Kind::Sect);
    c.tagged(Kind::H(2), |c| {
        c.text_fit(x2, y2, right_w, S_SECTION, &t.where_to_pay.to_uppercase())
    });
    let cta_w = c.width(S_SMALL_STRONG, t.cta) + 12.0;
    let cta_h = S_SMALL_STRONG.line_height() + 3.0;
    c.rect(
        x2 + right_w - cta_w,
        y2 - 2.0,
        cta_w,
        cta_h,
        Look::outlined(WHITE, BLUE, 0.8, cta_h / 2.0),
    );
    c.tagged(Kind::P, |c| {
        c.text(
            x2 + right_w - cta_w + 6.0,
            y2 - 0.5,
            Style::new(Weight::SemiBold, 8.5, BLUE),
            t.cta,
        )
    });
    y2 += S_SECTION.line_height() + 6.0;
    c.tagged(Kind::H(3), |c| {
        c.text_fit(x2, y2, right_w, S_BODY_STRONG, t.app_title)
    });
    y2 += S_BODY_STRONG.line_height();
    y2 += c.tagged(Kind::P, |c| {
        c.para(x2, y2, right_w, S_BODY, &online_text(data), 4)
    }) + 6.0;
    c.tagged(Kind::H(3), |c| {
        c.text_fit(x2, y2, right_w, S_BODY_STRONG, t.locally_title)
    });
    y2 += S_BODY_STRONG.line_height();
    y2 += c.tagged(Kind::P, |c| c.para(x2, y2, right_w, S_BODY, t.locally, 4));
    c.close();

    let h = y1.max(y2) + PAD;
    let content = c.take();
    c.extend(under, 0.0, 0.0);
    c.rect(MARGIN, 0.0, CONTENT_W, h, Look::filled(LIGHT, 4.0));
    c.extend(content, 0.0, 0.0);
    h
}
