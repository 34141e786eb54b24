//! The avviso di pagamento as a reader and a payment app see it: text extracted by
//! poppler, QR codes decoded by zbar and Data Matrix codes by libdmtx from a 300 dpi
//! rendering, fonts embedded; and as a screen reader and an archive see it: a
//! tagged PDF/A-2a with its logical structure and the codes' alternative texts.

#[path = "pdf_tools.rs"]
mod tools;

use chrono::{DateTime, NaiveDate, Utc};
use shared::domain::{AmountCents, NoticeNumber, SegregationCode};
use shared::pdf::{
    poste_datamatrix_payload, qr_payload, render_avviso, AvvisoData, AvvisoDebtor, AvvisoEc,
    AvvisoPayment, Lang, PdfError,
};
use tools::*;

const EC_CF: &str = "01199250158";

/// The creation date of the documents: 12/03/2026 10:15:30 UTC.
fn created() -> DateTime<Utc> {
    DateTime::from_timestamp(1_773_310_530, 0).unwrap()
}

fn notice(sequence: u64) -> NoticeNumber {
    NoticeNumber::generate(SegregationCode::new(1).unwrap(), sequence).unwrap()
}

fn payment(sequence: u64, cents: u64, due: Option<(i32, u32, u32)>) -> AvvisoPayment {
    AvvisoPayment {
        notice_number: notice(sequence),
        amount: AmountCents::new(cents).unwrap(),
        due_date: due.map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap()),
    }
}

fn ec() -> AvvisoEc {
    AvvisoEc {
        fiscal_code: EC_CF.into(),
        name: "Comune di Prova".into(),
        office: Some("Settore Tributi locali".into()),
        info: Some("www.comune.prova.it · tributi@comune.prova.it · 02 1234567".into()),
        cbill: Some("A0EDT".into()),
        online_channel: Some("sul sito del Comune di Prova".into()),
        postal_account: None,
        poste_auth: None,
        logo_png: None,
    }
}

fn debtor() -> AvvisoDebtor {
    AvvisoDebtor {
        fiscal_code: "RSSMRA60D20F205C".into(),
        full_name: "Mario Rossi".into(),
        address: Some("Vicolo Corto 12, 20133 Milano (MI)".into()),
    }
}

fn single() -> AvvisoData {
    AvvisoData {
        lang: Lang::It,
        subject: "TARI 2026 - Tassa sui rifiuti".into(),
        ec: ec(),
        debtor: debtor(),
        single: Some(payment(1, 15_050, Some((2026, 1, 31)))),
        installments: Vec::new(),
        created: created(),
    }
}

fn installments_with_postal_account() -> AvvisoData {
    AvvisoData {
        lang: Lang::It,
        subject: "TARI 2026 - Tassa sui rifiuti".into(),
        ec: AvvisoEc {
            postal_account: Some("123456789012".into()),
            poste_auth: Some("AUT. DB/SSIC/E 1234 DEL 01/01/2024".into()),
            ..ec()
        },
        debtor: debtor(),
        single: None,
        installments: vec![
            payment(2, 5_000, Some((2026, 1, 31))),
            payment(3, 5_000, Some((2026, 3, 31))),
            payment(4, 5_050, Some((2026, 5, 31))),
        ],
        created: created(),
    }
}

fn payloads(data: &AvvisoData) -> Vec<String> {
    let mut all: Vec<String> = data
        .single
        .iter()
        .chain(&data.installments)
        .map(|p| qr_payload(&p.notice_number, &data.ec.fiscal_code, p.amount))
        .collect();
    all.sort();
    all
}

fn datamatrix_payloads(data: &AvvisoData) -> Vec<String> {
    let account = data.ec.postal_account.as_deref().unwrap();
    let mut all: Vec<String> = data
        .single
        .iter()
        .chain(&data.installments)
        .map(|p| {
            poste_datamatrix_payload(
                &p.notice_number,
                account,
                p.amount,
                &data.ec.fiscal_code,
                &data.debtor.fiscal_code,
                &data.debtor.full_name,
                &data.subject,
            )
        })
        .collect();
    all.sort();
    all
}

/// The alternative text of a payment's QR code.
fn qr_alt(p: &AvvisoPayment) -> String {
    format!(
        "Codice QR per il pagamento dell'avviso {}",
        p.notice_number.grouped()
    )
}

/// The alternative text of a payment's Data Matrix.
fn datamatrix_alt(p: &AvvisoPayment) -> String {
    format!(
        "Codice Data Matrix del Bollettino Postale PA per il pagamento dell'avviso {}",
        p.notice_number.grouped()
    )
}

/// Asserts that `needles` appear in `haystack` in this order.
fn assert_in_order(haystack: &str, needles: &[&str]) {
    let mut from = 0;
    for needle in needles {
        match haystack[from..].find(needle) {
            Some(i) => from += i + needle.len(),
            None => panic!("{needle:?} missing or out of order in:\n{haystack}"),
        }
    }
}

#[test]
fn single_payment_avviso() {
    let data = single();
    let dir = out_dir("single_payment_avviso");
    let pdf = write(&dir, "avviso.pdf", &render_avviso(&data).unwrap());

    assert_eq!(pages(&pdf), 1);
    let text = text(&pdf);
    assert_contains_all(
        &text,
        &[
            "AVVISO DI PAGAMENTO",
            "pagoPA",
            "TARI 2026 - Tassa sui rifiuti",
            "ENTE CREDITORE",
            "Comune di Prova",
            EC_CF,
            "Settore Tributi locali",
            "www.comune.prova.it",
            "DESTINATARIO",
            "Mario Rossi",
            "RSSMRA60D20F205C",
            "Vicolo Corto 12, 20133 Milano (MI)",
            "QUANTO E QUANDO PAGARE?",
            "150,50 €",
            "entro il",
            "31/01/2026",
            "DOVE PAGARE?",
            "PAGA CON L'APP IO",
            "oppure sul sito del Comune di Prova, dal tuo Home Banking",
            "PAGA SUL TERRITORIO",
            "presso Banche e Sportelli ATM",
            "DATI PER IL PAGAMENTO",
            "RATA UNICA",
            "Inquadra il codice QR con la tua app di pagamento o usa i dati accanto.",
            "Cod. CBILL",
            "A0EDT",
            "Cod. Avviso",
            "3010 0000 0000 0001 44",
            "Cod. Fiscale Ente",
            "Oggetto del pagamento",
        ],
    );
    assert!(!text.contains("Puoi pagare"), "no installments offered");
    assert!(!text.contains("BOLLETTINO"), "no postal account");

    assert_eq!(qr_codes(&pdf), payloads(&data));
    assert_eq!(
        qr_codes(&pdf),
        ["PAGOPA|002|301000000000000144|01199250158|15050"]
    );
    assert_titillium_embedded(&pdf);
    assert_text_within_margins(&pdf);
}

#[test]
fn three_installments_with_postal_account() {
    let data = installments_with_postal_account();
    let dir = out_dir("three_installments_with_postal_account");
    let pdf = write(&dir, "avviso.pdf", &render_avviso(&data).unwrap());

    let text = text(&pdf);
    let mut expected = vec![
        "Comune di Prova",
        EC_CF,
        "Mario Rossi",
        "RSSMRA60D20F205C",
        "QUANTO E QUANDO PAGARE?",
        "150,50 €",
        "Puoi pagare in 3 rate",
        "RATA 1",
        "RATA 2",
        "RATA 3",
        "50,00 €",
        "50,50 €",
        "31/01/2026",
        "31/03/2026",
        "31/05/2026",
        "Inquadra il codice QR con la tua app di pagamento o usa i dati sopra.",
        "BOLLETTINO POSTALE PA",
        "123456789012",
        "AUT. DB/SSIC/E 1234 DEL 01/01/2024",
        "A0EDT",
    ];
    let grouped: Vec<String> = data
        .installments
        .iter()
        .map(|p| p.notice_number.grouped())
        .collect();
    expected.extend(grouped.iter().map(String::as_str));
    assert_contains_all(&text, &expected);
    assert!(!text.contains("RATA UNICA"));
    // Each notice code is printed on its installment and on its bollettino.
    for code in &grouped {
        assert_eq!(text.matches(code.as_str()).count(), 2, "{code}");
    }

    // The header is repeated on every page.
    let page_count = pages(&pdf);
    let page_texts: Vec<&str> = text
        .split('\u{c}')
        .filter(|p| !p.trim().is_empty())
        .collect();
    assert_eq!(page_texts.len(), page_count);
    for page in &page_texts {
        assert_contains_all(
            page,
            &["AVVISO DI PAGAMENTO", "TARI 2026 - Tassa sui rifiuti"],
        );
    }

    assert_eq!(qr_codes(&pdf), payloads(&data));
    assert_titillium_embedded(&pdf);
    assert_text_within_margins(&pdf);
}

#[test]
fn single_payment_avviso_is_a_tagged_pdf_a_2a() {
    let data = single();
    let dir = out_dir("single_payment_avviso_pdf_a");
    let pdf = write(&dir, "avviso.pdf", &render_avviso(&data).unwrap());

    assert_tagged_pdf_a2a(&pdf, "it-IT");
    // The QR code is a figure that says which notice it pays.
    assert_eq!(figure_alts(&pdf), [qr_alt(data.single.as_ref().unwrap())]);

    // Headings, sections and the payment data in reading order.
    let structure = structure(&pdf);
    assert_in_order(
        &structure,
        &[
            "H1 \"pagoPA AVVISO DI PAGAMENTO\"",
            "\"TARI 2026 - Tassa sui rifiuti\"",
            "Sect",
            "H2 \"ENTE CREDITORE\"",
            "\"Cod. Fiscale 01199250158\"",
            "\"Comune di Prova\"",
            "H2 \"DESTINATARIO\"",
            "\"Mario Rossi\"",
            "H2 \"QUANTO E QUANDO PAGARE?\"",
            "\"150,50 € entro il 31/01/2026\"",
            "H2 \"DOVE PAGARE?\"",
            "H3 \"PAGA CON L'APP IO\"",
            "H3 \"PAGA SUL TERRITORIO\"",
            "H2 \"DATI PER IL PAGAMENTO\"",
            "H3 \"RATA UNICA entro il 31/01/2026\"",
            "\"150,50 €\"",
            "Figure",
            "Table",
            "TH:",
            "/Scope /Row",
            "\"Destinatario\"",
            "TD",
            "\"Mario Rossi\"",
            "\"Cod. Avviso\"",
            "\"3010 0000 0000 0001 44\"",
            "\"Inquadra il codice QR con la tua app di pagamento o usa i dati accanto.\"",
        ],
    );
    // Words on different lines of a paragraph stay apart.
    assert!(
        structure.contains("\"oppure sul sito del Comune di Prova, dal tuo Home Banking, con la tua app di pagamento o con gli altri canali abilitati.\""),
        "{structure}"
    );
    // The word mark beside "Dati per il pagamento" is decoration: "pagoPA" is read
    // only in the heading (its title and its text).
    assert_eq!(structure.matches("pagoPA").count(), 2, "{structure}");
    verapdf_2a(&pdf);
}

#[test]
fn three_installments_avviso_is_a_tagged_pdf_a_2a_and_its_codes_decode() {
    let data = installments_with_postal_account();
    let dir = out_dir("three_installments_pdf_a");
    let pdf = write(&dir, "avviso.pdf", &render_avviso(&data).unwrap());

    assert_tagged_pdf_a2a(&pdf, "it-IT");
    assert!(pages(&pdf) >= 2);
    // The QR codes of the installments, then the Data Matrix codes of their
    // bollettini: figures saying which notice each pays.
    let mut alts: Vec<String> = data.installments.iter().map(qr_alt).collect();
    alts.extend(data.installments.iter().map(datamatrix_alt));
    assert_eq!(figure_alts(&pdf), alts);

    let structure = structure(&pdf);
    // The header repeated on the second page is an artifact: read once.
    assert_eq!(structure.matches("H1 ").count(), 1, "{structure}");
    // Each installment is a row of a table, headed by its label and due date.
    assert_in_order(
        &structure,
        &[
            "H2 \"DATI PER IL PAGAMENTO\"",
            "Table",
            "TR",
            "/Scope /Row",
            "\"RATA 1 entro il 31/01/2026\"",
            "\"50,00 €\"",
            "Figure",
            "\"Cod. Avviso 3010 0000 0000 0002 45\"",
            "\"RATA 2 entro il 31/03/2026\"",
            "\"RATA 3 entro il 31/05/2026\"",
            "\"50,50 €\"",
            "\"Inquadra il codice QR con la tua app di pagamento o usa i dati sopra.\"",
            "Table",
            "\"BOLLETTINO POSTALE PA RATA 1 entro il 31/01/2026\"",
            "\"sul C/C n. 123456789012\"",
            "\"BOLLETTINO POSTALE PA RATA 3 entro il 31/05/2026\"",
            "\"AUT. DB/SSIC/E 1234 DEL 01/01/2024\"",
        ],
    );

    // The codes still scan: the QR codes with zbar, the Data Matrix with libdmtx.
    assert_eq!(qr_codes(&pdf), payloads(&data));
    assert_eq!(datamatrix_codes(&pdf, 3), datamatrix_payloads(&data));
    verapdf_2a(&pdf);
}

#[test]
fn english_avviso_is_tagged_in_english() {
    let data = AvvisoData {
        lang: Lang::En,
        ..single()
    };
    let dir = out_dir("english_avviso_pdf_a");
    let pdf = write(&dir, "avviso.pdf", &render_avviso(&data).unwrap());
    assert_tagged_pdf_a2a(&pdf, "en");
    let notice = data.single.as_ref().unwrap().notice_number.grouped();
    assert_eq!(
        figure_alts(&pdf),
        [format!("QR code to pay the notice {notice}")]
    );
    assert_in_order(
        &structure(&pdf),
        &[
            "H1 \"pagoPA PAYMENT NOTICE\"",
            "H2 \"PAYEE\"",
            "H2 \"RECIPIENT\"",
            "H2 \"PAYMENT DETAILS\"",
            "H3 \"FULL AMOUNT Due Date 31/01/2026\"",
        ],
    );
}

#[test]
fn characters_pdf_a_forbids_are_printed_as_question_marks() {
    // A private-use character and a byte order mark in the data: PDF/A-2a has no
    // place for them, so they are replaced instead of failing the document.
    let mut data = single();
    data.subject = "TARI 2026 \u{E000} rifiuti\u{FEFF}".into();
    data.debtor.full_name = "Mario \u{F8FF}Rossi".into();
    let dir = out_dir("forbidden_characters");
    let pdf = write(&dir, "avviso.pdf", &render_avviso(&data).unwrap());
    assert_tagged_pdf_a2a(&pdf, "it-IT");
    assert_contains_all(&text(&pdf), &["TARI 2026 ? rifiuti?", "Mario ?Rossi"]);
}

#[test]
fn english_avviso_with_full_amount_and_installments_without_due_dates() {
    let data = AvvisoData {
        lang: Lang::En,
        single: Some(payment(5, 102_099, None)),
        installments: vec![payment(6, 51_050, None), payment(7, 51_049, None)],
        ec: AvvisoEc {
            online_channel: None,
            cbill: None,
            ..ec()
        },
        ..single()
    };
    let dir = out_dir("english_avviso");
    let pdf = write(&dir, "avviso.pdf", &render_avviso(&data).unwrap());

    let text = text(&pdf);
    assert_contains_all(
        &text,
        &[
            "PAYMENT NOTICE",
            "PAYEE",
            "RECIPIENT",
            "Tax Code",
            "HOW MUCH TO PAY?",
            "€1,020.99",
            "€510.50",
            "€510.49",
            "You can pay the full amount or split in 2 installments",
            "WHERE TO PAY?",
            "PAY WITH IO APP",
            "or with your Home Banking, payment app",
            "PAY LOCALLY",
            "PAYMENT DETAILS",
            "FULL AMOUNT",
            "INSTALLMENT #1",
            "INSTALLMENT #2",
            "Notice Code",
            "Payee Tax Code",
            "Payment Description",
        ],
    );
    assert!(!text.contains("Due Date"), "no due dates given");
    assert!(!text.contains("CBILL"), "no CBILL code given");
    assert_eq!(qr_codes(&pdf), payloads(&data));
    assert_text_within_margins(&pdf);
}

/// A PNG without compression (stored deflate blocks), RGB, one colour.
fn solid_png(width: u32, height: u32, rgb: [u8; 3]) -> Vec<u8> {
    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend((data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend(data);
        out.extend(&body);
        out.extend(crc32(&body).to_be_bytes());
    }
    // Each row: filter byte 0 (none), then the pixels.
    let mut row = vec![0u8];
    row.extend(rgb.repeat(width as usize));
    let raw = row.repeat(height as usize);
    let mut zlib = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(65_535).collect();
    for (i, block) in blocks.iter().enumerate() {
        zlib.push(u8::from(i + 1 == blocks.len()));
        let len = block.len() as u16;
        zlib.extend(len.to_le_bytes());
        zlib.extend((!len).to_le_bytes());
        zlib.extend(*block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in &raw {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    zlib.extend(((b << 16) | a).to_be_bytes());

    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend(width.to_be_bytes());
    ihdr.extend(height.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    chunk(&mut png, b"IHDR", &ihdr);
    chunk(&mut png, b"IDAT", &zlib);
    chunk(&mut png, b"IEND", &[]);
    png
}

#[test]
fn logo_is_drawn_and_bad_logo_is_an_error() {
    let mut data = single();
    data.ec.logo_png = Some(solid_png(120, 60, [0x00, 0x66, 0xCC]));
    let dir = out_dir("logo");
    let pdf = write(&dir, "avviso.pdf", &render_avviso(&data).unwrap());
    let out = run("pdfimages", &["-list", pdf.to_str().unwrap()]);
    let listing = String::from_utf8_lossy(&out.stdout);
    let images: Vec<&str> = listing.lines().skip(2).collect();
    assert_eq!(images.len(), 1, "{listing}");
    assert!(
        images[0].contains(" 120 ") && images[0].contains(" 60 "),
        "{listing}"
    );
    assert_eq!(qr_codes(&pdf), payloads(&data));
    // The logo is a figure named after the EC (and PDF/A: not interpolated).
    assert_tagged_pdf_a2a(&pdf, "it-IT");
    assert_eq!(
        figure_alts(&pdf),
        [
            "Logo di Comune di Prova".to_owned(),
            qr_alt(data.single.as_ref().unwrap())
        ]
    );

    data.ec.logo_png = Some(b"not a png".to_vec());
    assert!(matches!(render_avviso(&data), Err(PdfError::Logo(_))));
}

#[test]
fn long_texts_are_cut_or_wrapped_inside_the_page() {
    let long = "Denominazione estremamente lunga dell'ente creditore che supera ogni limite \
                previsto dalle linee guida pagoPA per questo campo";
    let mut data = installments_with_postal_account();
    data.subject = "Oggetto molto lungo ".repeat(10);
    data.ec.name = long.into();
    data.ec.office = Some(long.into());
    data.ec.info = Some(long.repeat(3));
    data.ec.online_channel = Some(format!("sul sito di {long}"));
    data.ec.cbill = Some("ABCDEFGHIJKLMNOPQRSTUVWXYZ".into());
    data.debtor.full_name = "Maria Giovanna Francesca Antonietta Lucrezia Benedetta Serafina \
                             Dell'Acqua Bianchi Rossi Verdi"
        .into();
    data.debtor.address = Some(long.repeat(2));
    data.ec.poste_auth = Some(long.into());
    data.installments = (10..17)
        .map(|n| payment(n, 9_999_999_999 - n, Some((2026, 12, 31))))
        .collect();
    data.single = Some(payment(20, 9_999_999_999, Some((2026, 12, 31))));
    let dir = out_dir("long_texts");
    let pdf = write(&dir, "avviso.pdf", &render_avviso(&data).unwrap());
    assert!(pages(&pdf) >= 2);
    assert_text_within_margins(&pdf);
    assert_eq!(qr_codes(&pdf), payloads(&data));
    assert_tagged_pdf_a2a(&pdf, "it-IT");
    // The header repeated on every page and the page numbers are artifacts.
    let structure = structure(&pdf);
    assert_eq!(structure.matches("H1 ").count(), 1, "{structure}");
    assert!(!structure.contains("Pagina 1 di"), "{structure}");
    assert_eq!(figure_alts(&pdf).len(), 2 * (data.installments.len() + 1));
}

#[test]
fn rendering_is_deterministic() {
    let data = installments_with_postal_account();
    assert_eq!(render_avviso(&data).unwrap(), render_avviso(&data).unwrap());
}

#[test]
fn invalid_data_is_refused() {
    let mut data = single();
    data.single = None;
    assert!(matches!(
        render_avviso(&data),
        Err(PdfError::InvalidData { .. })
    ));
    data.installments = vec![payment(2, 100, None)];
    assert!(matches!(
        render_avviso(&data),
        Err(PdfError::InvalidData { .. })
    ));

    let mut data = single();
    data.ec.fiscal_code = "RSSMRA60D20F205C".into();
    assert!(matches!(
        render_avviso(&data),
        Err(PdfError::InvalidData {
            field: "ec.fiscal_code",
            ..
        })
    ));

    let mut data = single();
    data.ec.postal_account = Some("12345678901234".into());
    assert!(matches!(
        render_avviso(&data),
        Err(PdfError::InvalidData {
            field: "ec.postal_account",
            ..
        })
    ));

    // The bollettino's amount field has ten digits.
    let mut data = single();
    data.ec.postal_account = Some("123456789012".into());
    data.single = Some(payment(1, 10_000_000_000, None));
    assert!(matches!(
        render_avviso(&data),
        Err(PdfError::InvalidData {
            field: "amount",
            ..
        })
    ));
}
