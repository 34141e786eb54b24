//! The pagoPA "Avviso di pagamento" (guideline 3.x, pagopa.md §4): A4, sections in
//! the mandatory order, the header repeated on every page.

use krilla::image::Image;

use super::codes::{datamatrix_matrix, qr_matrix};
use super::draw::{
    write_pdf, Canvas, Look, Meta, Op, Pages, Style, BLUE, CONTENT_W, GAP, GREY, GREY70, INK,
    LIGHT, MARGIN, MM, RULE, WHITE,
};
use super::fonts::{fonts, Weight};
use super::{
    format_cents, format_date, invalid, poste_datamatrix_payload, qr_payload, AvvisoData,
    AvvisoPayment, Lang, PdfError,
};

/// Fixed texts of the guideline ("Stringhe dei testi fissi"), Italian and English.
struct Texts {
    lang: Lang,
    title: &'static str,
    payee: &'static str,
    recipient: &'static str,
    fiscal_code: &'static str,
    how_much_when: &'static str,
    how_much: &'static str,
    due: &'static str,
    many_details: &'static str,
    legal: &'static str,
    where_to_pay: &'static str,
    cta: &'static str,
    app_title: &'static str,
    locally_title: &'static str,
    locally: &'static str,
    payment_data: &'static str,
    full_amount: &'static str,
    scan_beside: &'static str,
    scan_above: &'static str,
    l_payee: &'static str,
    l_recipient: &'static str,
    l_subject: &'static str,
    l_cbill: &'static str,
    l_notice: &'static str,
    l_ec_cf: &'static str,
    postal_title: &'static str,
    postal_account: &'static str,
    postal_holder: &'static str,
}

const IT: Texts = Texts {
    lang: Lang::It,
    title: "Avviso di pagamento",
    payee: "Ente Creditore",
    recipient: "Destinatario",
    fiscal_code: "Cod. Fiscale",
    how_much_when: "Quanto e quando pagare?",
    how_much: "Quanto pagare?",
    due: "entro il",
    many_details: "Importi e scadenze sono riportati nel dettaglio di ogni singola rata.",
    legal:
        "In fase di pagamento, se previsto dall\u{2019}ente, l'importo potrebbe essere aggiornato \
            automaticamente e subire variazioni in diminuzione (per sgravi, note di credito) o in \
            aumento (per sanzioni, interessi, ecc.).",
    where_to_pay: "Dove pagare?",
    cta: "vai su pagopa.gov.it",
    app_title: "PAGA CON L'APP IO",
    locally_title: "PAGA SUL TERRITORIO",
    locally:
        "presso Banche e Sportelli ATM, negli Uffici Postali e Punti Postali, nei Bar, Edicole, \
              Ricevitorie, Supermercati, Tabaccherie e altri Esercenti Convenzionati.",
    payment_data: "Dati per il pagamento",
    full_amount: "Rata unica",
    scan_beside: "Inquadra il codice QR con la tua app di pagamento o usa i dati accanto.",
    scan_above: "Inquadra il codice QR con la tua app di pagamento o usa i dati sopra.",
    l_payee: "Ente Creditore",
    l_recipient: "Destinatario",
    l_subject: "Oggetto del pagamento",
    l_cbill: "Cod. CBILL",
    l_notice: "Cod. Avviso",
    l_ec_cf: "Cod. Fiscale Ente",
    postal_title: "BOLLETTINO POSTALE PA",
    postal_account: "sul C/C n.",
    postal_holder: "Intestato a",
};

const EN: Texts = Texts {
    lang: Lang::En,
    title: "Payment Notice",
    payee: "Payee",
    recipient: "Recipient",
    fiscal_code: "Tax Code",
    how_much_when: "How much and when to pay?",
    how_much: "How much to pay?",
    due: "Due Date",
    many_details: "You can find due dates and amounts within each installment.",
    legal:
        "During payment, if allowed by the payee, the amount could be updated automatically and \
            be subject to changes in decrease (for allowances, credit notes) or increase (for \
            penalties, interest, etc.).",
    where_to_pay: "Where to pay?",
    cta: "Go to pagopa.gov.it",
    app_title: "PAY WITH IO APP",
    locally_title: "PAY LOCALLY",
    locally: "at Banks and ATMs, in Post Offices, Cafés, Newsagents, Betting and Tobacco Shops, \
              Supermarkets and other Enabled Merchants.",
    payment_data: "Payment details",
    full_amount: "Full amount",
    scan_beside: "Scan the QR Code with your payment app or use the data printed here.",
    scan_above: "Scan the QR Code with your payment app or use the data printed above.",
    l_payee: "Payee",
    l_recipient: "Recipient",
    l_subject: "Payment Description",
    l_cbill: "CBILL Code",
    l_notice: "Notice Code",
    l_ec_cf: "Payee Tax Code",
    postal_title: "BOLLETTINO POSTALE PA",
    postal_account: "Postal account no.",
    postal_holder: "Account holder",
};

fn texts(lang: Lang) -> &'static Texts {
    match lang {
        Lang::It => &IT,
        Lang::En => &EN,
    }
}

fn installments_info(lang: Lang, n: usize, with_full: bool) -> String {
    match (lang, with_full) {
        (Lang::It, true) => format!("Puoi pagare per intero oppure in {n} rate"),
        (Lang::It, false) => format!("Puoi pagare in {n} rate"),
        (Lang::En, true) => format!("You can pay the full amount or split in {n} installments"),
        (Lang::En, false) => format!("You can pay in {n} installments"),
    }
}

fn installment_label(lang: Lang, n: usize) -> String {
    match lang {
        Lang::It => format!("Rata {n}"),
        Lang::En => format!("Installment #{n}"),
    }
}

/// "PAGA CON L'APP IO" text, with the EC's own channel when it has one.
fn online_text(data: &AvvisoData) -> String {
    let channel = data
        .ec
        .online_channel
        .as_deref()
        .map(|c| c.trim().trim_end_matches(',').trim())
        .filter(|c| !c.is_empty());
    match (data.lang, channel) {
        (Lang::It, Some(c)) => format!(
            "oppure {c}, dal tuo Home Banking, con la tua app di pagamento o con gli altri canali abilitati."
        ),
        (Lang::It, None) => {
            "oppure dal tuo Home Banking, con la tua app di pagamento o con gli altri canali abilitati."
                .to_owned()
        }
        (Lang::En, Some(c)) => {
            let lower = c.to_lowercase();
            let what = match (lower.contains("sito"), lower.contains("app")) {
                (true, true) => "website or app",
                (false, true) => "app",
                _ => "website",
            };
            format!(
                "or with {}\u{2019}s {what}, your Home Banking, payment app or the other authorized channels.",
                data.ec.name.trim()
            )
        }
        (Lang::En, None) => {
            "or with your Home Banking, payment app or the other authorized channels.".to_owned()
        }
    }
}

// Text styles.
const S_TITLE: Style = Style::new(Weight::SemiBold, 9.0, GREY);
const S_MARK: Style = Style::new(Weight::Bold, 13.0, BLUE);
const S_SUBJECT: Style = Style::new(Weight::Bold, 20.0, INK);
const S_SECTION: Style = Style::new(Weight::Bold, 9.5, BLUE);
const S_SMALL: Style = Style::new(Weight::Regular, 8.5, GREY);
const S_SMALL_STRONG: Style = Style::new(Weight::SemiBold, 8.5, INK);
const S_NAME: Style = Style::new(Weight::Bold, 12.0, INK);
const S_BODY: Style = Style::new(Weight::Regular, 9.5, INK);
const S_BODY_STRONG: Style = Style::new(Weight::Bold, 9.5, INK);
const S_AMOUNT: Style = Style::new(Weight::Bold, 22.0, INK);
const S_DUE: Style = Style::new(Weight::Regular, 11.0, INK);
const S_DUE_DATE: Style = Style::new(Weight::Bold, 14.0, INK);
const S_LEGAL: Style = Style::new(Weight::Regular, 7.5, GREY);
const S_LABEL: Style = Style::new(Weight::SemiBold, 7.5, GREY);
const S_VALUE: Style = Style::new(Weight::SemiBold, 10.0, INK);
const S_CODE: Style = Style::new(Weight::Bold, 10.5, INK);
const S_BLOCK_LABEL: Style = Style::new(Weight::Bold, 10.0, BLUE);
const S_BLOCK_DUE: Style = Style::new(Weight::Regular, 9.5, INK);
const S_BLOCK_DUE_DATE: Style = Style::new(Weight::Bold, 9.5, INK);
const S_BLOCK_AMOUNT: Style = Style::new(Weight::Bold, 16.0, INK);
const S_AUT: Style = Style::new(Weight::Regular, 7.5, GREY70);

/// White boxes of the payment data.
const CARD: Look = Look::outlined(WHITE, RULE, 0.8, 4.0);
/// Width of the labels left of their values.
const LABEL_W: f32 = 34.0 * MM;

/// Side of the QR code and of the Data Matrix (25 mm).
const CODE: f32 = 25.0 * MM;
/// Quiet zone kept clear around the QR code (4 modules of a 33-module symbol).
const QUIET: f32 = CODE * 4.0 / 33.0;
/// Inner padding of the payment boxes.
const PAD: f32 = 4.0 * MM;
/// Side of the EC logo box (30 mm).
const LOGO: f32 = 30.0 * MM;

/// `text` cut to the guideline's maximum length, with an ellipsis when cut.
fn limit(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max - 1).collect();
    out.truncate(out.trim_end().len());
    out.push('\u{2026}');
    out
}

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

fn logo(data: &AvvisoData) -> Result<Option<Image>, PdfError> {
    let Some(png) = &data.ec.logo_png else {
        return Ok(None);
    };
    let image = Image::from_png(png.clone().into(), true).map_err(PdfError::Logo)?;
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
    let first_h = blocks.first().map_or(0.0, |b| b.1);
    pages.place(heading, heading_h, first_h, 2.0 * MM)?;
    for (ops, h, gap) in blocks {
        pages.place(ops, h, 0.0, gap)?;
    }

    let all = pages.finish(&mut c, "", data.lang);
    write_pdf(
        fonts,
        all,
        Meta {
            title: format!("{} - {}", t.title, data.subject.trim()),
            subject: data.ec.name.trim().to_owned(),
            language: super::lang_tag(data.lang),
        },
    )
}

/// Intestazione: the pagoPA word mark and title, the subject, the EC logo top right.
fn header(c: &mut Canvas, data: &AvvisoData, t: &Texts, logo: Option<Image>) -> f32 {
    let x = MARGIN;
    let text_w = if logo.is_some() {
        CONTENT_W - LOGO - 6.0 * MM
    } else {
        CONTENT_W
    };
    let title = t.title.to_uppercase();
    c.spans(
        x,
        0.0,
        text_w,
        &[(S_MARK, "pagoPA"), (S_TITLE, "  "), (S_TITLE, &title)],
    );
    let mut y = S_MARK.line_height() + 2.0;
    let subject = limit(&data.subject, 90);
    y += c.para(x, y, text_w, S_SUBJECT, &subject, 2);
    let mut h = y;
    if let Some(image) = logo {
        let (iw, ih) = image.size();
        let scale = (LOGO / iw as f32).min(LOGO / ih as f32);
        let (w, lh) = (iw as f32 * scale, ih as f32 * scale);
        c.image(MARGIN + CONTENT_W - w, 0.0, w, lh, image);
        h = h.max(lh);
    }
    h += 3.0 * MM;
    c.hline(MARGIN, MARGIN + CONTENT_W, h, RULE, 0.8);
    h
}

/// A section label with a value aligned right on the same line ("ENTE CREDITORE
/// Cod. Fiscale 01199250158"); returns the line height.
fn label_line(c: &mut Canvas, x: f32, y: f32, w: f32, label: &str, key: &str, value: &str) -> f32 {
    let label = label.to_uppercase();
    let lw = c.width(S_SECTION, &label);
    c.text(x, y, S_SECTION, &label);
    if !value.trim().is_empty() {
        let room = w - lw - 8.0;
        let value = c.fit(S_SMALL_STRONG, value.trim(), room);
        let vw = c.width(S_SMALL_STRONG, &value);
        let key = format!("{key} ");
        let kw = c.width(S_SMALL, &key);
        if kw + vw <= room {
            c.text(x + w - vw - kw, y + 1.0, S_SMALL, &key);
        }
        c.text(x + w - vw, y + 1.0, S_SMALL_STRONG, &value);
    }
    S_SECTION.line_height()
}

/// Informazioni sull'Ente Creditore and sul Destinatario, side by side.
fn parties(c: &mut Canvas, data: &AvvisoData, t: &Texts) -> f32 {
    let col = (CONTENT_W - 10.0 * MM) / 2.0;
    let x1 = MARGIN;
    let x2 = MARGIN + col + 10.0 * MM;

    let ec = &data.ec;
    let mut y1 = label_line(c, x1, 0.0, col, t.payee, t.fiscal_code, &ec.fiscal_code) + 4.0;
    let name = limit(&ec.name, 50);
    y1 += c.para(x1, y1, col, S_NAME, &name, 2);
    if let Some(office) = ec.office.as_deref().filter(|s| !s.trim().is_empty()) {
        let office = limit(office, 50);
        y1 += c.para(x1, y1, col, S_BODY, &office, 2);
    }
    if let Some(info) = ec.info.as_deref().filter(|s| !s.trim().is_empty()) {
        let info = limit(info, 100);
        y1 += 2.0 + c.para(x1, y1 + 2.0, col, S_SMALL, &info, 3);
    }

    let debtor = &data.debtor;
    let cf = debtor.fiscal_code.trim().to_uppercase();
    let mut y2 = label_line(c, x2, 0.0, col, t.recipient, t.fiscal_code, &cf) + 4.0;
    let name = limit(&debtor.full_name, 70);
    y2 += c.para(x2, y2, col, S_NAME, &name, 2);
    if let Some(address) = debtor.address.as_deref().filter(|s| !s.trim().is_empty()) {
        let address = limit(address, 140);
        y2 += c.para(x2, y2, col, S_BODY, &address, 3);
    }
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
fn amount_and_where(c: &mut Canvas, data: &AvvisoData, t: &Texts) -> f32 {
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
    c.text_fit(x1, y1, left_w, S_SECTION, &heading.to_uppercase());
    y1 += S_SECTION.line_height() + 4.0;
    let amount = format_cents(cents, data.lang);
    let amount_w = c.width(S_AMOUNT, &amount);
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
    let n = data.installments.len();
    if n >= 2 {
        y1 += 2.0;
        let info = installments_info(data.lang, n, data.single.is_some());
        y1 += c.para(x1, y1, left_w, S_BODY_STRONG, &info, 2);
        if data.single.is_none() {
            y1 += c.para(x1, y1, left_w, S_BODY, t.many_details, 2);
        }
    }
    y1 += 4.0;
    y1 += c.para(x1, y1, left_w, S_LEGAL, t.legal, 5);

    // Dove pagare?
    let mut y2 = PAD;
    c.text_fit(x2, y2, right_w, S_SECTION, &t.where_to_pay.to_uppercase());
    let cta_w = c.width(S_SMALL_STRONG, t.cta) + 12.0;
    let cta_h = S_SMALL_STRONG.line_height() + 3.0;
    c.rect(
        x2 + right_w - cta_w,
        y2 - 2.0,
        cta_w,
        cta_h,
        Look::outlined(WHITE, BLUE, 0.8, cta_h / 2.0),
    );
    c.text(
        x2 + right_w - cta_w + 6.0,
        y2 - 0.5,
        Style::new(Weight::SemiBold, 8.5, BLUE),
        t.cta,
    );
    y2 += S_SECTION.line_height() + 6.0;
    c.text_fit(x2, y2, right_w, S_BODY_STRONG, t.app_title);
    y2 += S_BODY_STRONG.line_height();
    y2 += c.para(x2, y2, right_w, S_BODY, &online_text(data), 4) + 6.0;
    c.text_fit(x2, y2, right_w, S_BODY_STRONG, t.locally_title);
    y2 += S_BODY_STRONG.line_height();
    y2 += c.para(x2, y2, right_w, S_BODY, t.locally, 4);

    let h = y1.max(y2) + PAD;
    let content = c.take();
    c.extend(under, 0.0, 0.0);
    c.rect(MARGIN, 0.0, CONTENT_W, h, Look::filled(LIGHT, 4.0));
    c.extend(content, 0.0, 0.0);
    h
}

/// "DATI PER IL PAGAMENTO" with the pagoPA word mark on the right.
fn payment_heading(c: &mut Canvas, t: &Texts) -> f32 {
    c.text(MARGIN, 2.0, S_SECTION, &t.payment_data.to_uppercase());
    c.text_right(MARGIN + CONTENT_W, 0.0, 80.0, S_MARK, "pagoPA");
    let h = S_MARK.line_height() + 2.0;
    c.hline(MARGIN, MARGIN + CONTENT_W, h, BLUE, 1.0);
    h + 1.0
}

/// Label over value; returns the height used.
fn pair(c: &mut Canvas, x: f32, y: f32, w: f32, label: &str, value: &str, style: Style) -> f32 {
    c.text_fit(x, y, w, S_LABEL, label);
    c.text_fit(x, y + S_LABEL.line_height(), w, style, value);
    S_LABEL.line_height() + style.line_height() + 3.0
}

/// Label on the left, value on the right of it; returns the height used.
fn row(c: &mut Canvas, x: f32, y: f32, w: f32, label: &str, value: &str, lines: usize) -> f32 {
    c.text_fit(x, y + 1.5, LABEL_W - 6.0, S_LABEL, label);
    let h = c.para(x + LABEL_W, y, w - LABEL_W, S_VALUE, value, lines);
    h.max(S_VALUE.line_height()) + 3.0
}

/// Codes on one line, each label over value, left to right.
fn codes_line(c: &mut Canvas, x: f32, y: f32, w: f32, items: &[(&str, String)]) -> f32 {
    let mut cx = x;
    for (label, value) in items {
        let vw = c.width(S_CODE, value).max(c.width(S_LABEL, label));
        let room = x + w - cx;
        if room <= 20.0 {
            break;
        }
        pair(c, cx, y, room, label, value, S_CODE);
        cx += vw + 7.0 * MM;
    }
    S_LABEL.line_height() + S_CODE.line_height() + 3.0
}

/// "Rata unica … entro il …" on the left and the amount on the right.
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
    let aw = c.text_right(x + w, y, w / 2.0, S_BLOCK_AMOUNT, &amount);
    let top = y + (S_BLOCK_AMOUNT.size - S_BLOCK_LABEL.size) * 0.95;
    let label = label.to_uppercase();
    let mut spans: Vec<(Style, &str)> = vec![(S_BLOCK_LABEL, &label)];
    let due_label = format!("   {} ", t.due);
    let date = payment.due_date.map(super::format_date);
    if let Some(date) = &date {
        spans.push((S_BLOCK_DUE, &due_label));
        spans.push((S_BLOCK_DUE_DATE, date));
    }
    c.spans(x, top, w - aw - 6.0 * MM, &spans);
    S_BLOCK_AMOUNT.line_height()
}

/// The single payment: QR code, option line, data beside the code.
fn single_block(
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
    y += option_line(c, x, y, w, t, t.full_amount, p) + QUIET;
    c.matrix(x, y, CODE, 0.0, qr);

    let fx = x + CODE + QUIET + 4.0 * MM;
    let fw = x + w - fx;
    let mut fy = y;
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

    y = (y + CODE).max(fy) + QUIET;
    y += c.para(x, y, w, S_SMALL, t.scan_beside, 2);
    let h = y + PAD;
    boxed(c, MARGIN, CONTENT_W, h);
    Ok(h)
}

/// Puts the ops drawn so far on a white box with a border.
fn boxed(c: &mut Canvas, x: f32, w: f32, h: f32) {
    let content = c.take();
    c.rect(x, 0.0, w, h, CARD);
    c.extend(content, 0.0, 0.0);
}

fn aut_text(data: &AvvisoData) -> Option<String> {
    let aut = data.ec.poste_auth.as_deref()?.trim();
    if aut.is_empty() {
        None
    } else if aut.to_uppercase().starts_with("AUT") {
        Some(aut.to_owned())
    } else {
        Some(format!("AUT. {aut}"))
    }
}

fn datamatrix_for(data: &AvvisoData, p: &AvvisoPayment) -> Result<super::draw::Matrix, PdfError> {
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
fn postal_block(
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
    y += option_line(c, x, y, w, t, t.postal_title, p) + 3.0 * MM;
    c.matrix(x, y, CODE, 0.0, dm);

    let fx = x + CODE + 8.0 * MM;
    let fw = x + w - fx;
    let mut fy = y;
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

    y = (y + CODE).max(fy) + 3.0 * MM;
    if let Some(aut) = aut_text(data) {
        y += c.text_fit(x, y, w, S_AUT, &aut);
    }
    let h = y + PAD;
    boxed(c, MARGIN, CONTENT_W, h);
    Ok(h)
}

/// Draws cells side by side on boxes of equal height, with a note under them.
fn cells_row(c: &mut Canvas, cells: Vec<(Vec<Op>, f32)>, cols: usize, note: Option<&str>) -> f32 {
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
            let nh = c.para(MARGIN, h + 2.0 * MM, CONTENT_W, S_SMALL, note, 2);
            h + 2.0 * MM + nh
        }
        None => h,
    }
}

fn cell_width(cols: usize) -> f32 {
    let gap = 4.0 * MM;
    (CONTENT_W - gap * (cols as f32 - 1.0)) / cols as f32
}

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
    if let Some(date) = p.due_date.map(super::format_date) {
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
    y += cell_title(c, x, y, w, t, &installment_label(data.lang, number), p);
    let amount = format_cents(p.amount.cents(), data.lang);
    y += c.text_fit(x, y, w, S_BLOCK_AMOUNT, &amount) + QUIET;
    c.matrix(x, y, CODE, 0.0, qr);

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
            fy += pair(c, fx, fy, beside, label, value, S_CODE);
        }
        y = (y + CODE).max(fy) + QUIET;
    } else {
        y += CODE + QUIET;
        for (label, value) in &codes {
            y += pair(c, x, y, w, label, value, S_CODE);
        }
    }
    if cols == 2 {
        y += pair(c, x, y, w, t.l_recipient, &data.debtor.full_name, S_VALUE);
    }
    c.text_fit(x, y, w, S_LABEL, t.l_subject);
    y += S_LABEL.line_height();
    y += c.para(x, y, w, S_BODY, &data.subject, 2);
    Ok(y + PAD)
}

fn installment_row(
    c: &mut Canvas,
    data: &AvvisoData,
    t: &Texts,
    row: &[AvvisoPayment],
    first: usize,
    cols: usize,
) -> Result<f32, PdfError> {
    let mut cells = Vec::with_capacity(row.len());
    for (i, p) in row.iter().enumerate() {
        let h = installment_cell(c, data, t, p, first + i, cols)?;
        cells.push((c.take(), h));
    }
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
    y += c.text_fit(x, y, w, S_BODY_STRONG, t.postal_title);
    y += cell_title(c, x, y, w, t, &installment_label(data.lang, number), p);
    let amount = format_cents(p.amount.cents(), data.lang);
    y += c.text_fit(x, y, w, S_BLOCK_AMOUNT, &amount) + 3.0 * MM;
    c.matrix(x, y, CODE, 0.0, dm);

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
            fy += pair(c, fx, fy, beside, label, value, S_CODE);
        }
        y = (y + CODE).max(fy) + 3.0 * MM;
    } else {
        y += CODE + 3.0 * MM;
        for (label, value) in &codes {
            y += pair(c, x, y, w, label, value, S_CODE);
        }
    }
    y += pair(c, x, y, w, t.postal_holder, &data.ec.name, S_VALUE);
    if let Some(aut) = aut_text(data) {
        y += c.para(x, y, w, S_AUT, &aut, 2);
    }
    Ok(y + PAD)
}

fn postal_row(
    c: &mut Canvas,
    data: &AvvisoData,
    t: &Texts,
    row: &[AvvisoPayment],
    first: usize,
    cols: usize,
) -> Result<f32, PdfError> {
    let mut cells = Vec::with_capacity(row.len());
    for (i, p) in row.iter().enumerate() {
        let h = postal_cell(c, data, t, p, first + i, cols)?;
        cells.push((c.take(), h));
    }
    Ok(cells_row(c, cells, cols, None))
}
