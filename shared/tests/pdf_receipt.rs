//! The receipt PDF carries everything pagoPA requires of a proof of payment
//! (pagopa.md §5.1), as poppler extracts it; it is a tagged PDF/A-2a.

#[path = "pdf_tools.rs"]
mod tools;

use shared::domain::position::SubjectType;
use shared::domain::receipt::{Receipt, ReceiptTransfer, ReceiptVersion, Subject};
use shared::domain::EcFiscalCode;
use shared::pdf::{render_receipt, Lang, ReceiptDocument};
use tools::*;

fn subject(kind: &str, id: &str, name: &str) -> Subject {
    let kind = match kind {
        "G" => SubjectType::G,
        _ => SubjectType::F,
    };
    Subject::new(kind, id, name)
}

fn receipt() -> Receipt {
    Receipt {
        version: ReceiptVersion::V2,
        receipt_id: "c110729d258c4ab1b765fe902aae41d6".into(),
        notice_number: "301000000000000144".into(),
        fiscal_code: EcFiscalCode::parse("01199250158").unwrap(),
        outcome: shared::domain::receipt::Outcome::Ok,
        creditor_reference_id: "01000000000000144".into(),
        payment_amount_cents: 15_050,
        description: "TARI 2026 - Tassa sui rifiuti, prima rata".into(),
        company_name: "Comune di Prova".into(),
        office_name: Some("Settore Tributi locali".into()),
        debtor: Subject {
            street_name: Some("Vicolo Corto".into()),
            civic_number: Some("12".into()),
            postal_code: Some("20133".into()),
            city: Some("Milano".into()),
            state_province_region: Some("MI".into()),
            country: Some("IT".into()),
            email: Some("mario.rossi@example.com".into()),
            ..subject("F", "RSSMRA60D20F205C", "Mario Rossi")
        },
        transfers: vec![
            ReceiptTransfer {
                id_transfer: 1,
                amount_cents: 12_000,
                fiscal_code_pa: EcFiscalCode::parse("01199250158").unwrap(),
                company_name: Some("Comune di Prova".into()),
                iban: Some("IT60X0542811101000000123456".into()),
                mbd_attachment: None,
                remittance_information:
                    "/RFB/01000000000000144/120.00/TXT/TARI 2026 quota comunale".into(),
                transfer_category: "9/0101101IM/".into(),
                metadata: Vec::new(),
            },
            ReceiptTransfer {
                id_transfer: 2,
                amount_cents: 3_050,
                fiscal_code_pa: EcFiscalCode::parse("80012345678").unwrap(),
                company_name: Some("Città Metropolitana di Prova".into()),
                iban: Some("IT02L1234512345123456789012".into()),
                mbd_attachment: None,
                remittance_information: "TEFA 2026".into(),
                transfer_category: "9/0101108TS/".into(),
                metadata: Vec::new(),
            },
        ],
        id_psp: "BCITITMM".into(),
        psp_fiscal_code: Some("00799960158".into()),
        psp_partita_iva: Some("10810700152".into()),
        psp_company_name: "Intesa Sanpaolo S.p.A.".into(),
        id_channel: "00799960158_01".into(),
        channel_description: "app".into(),
        payer: Some(subject("F", "VRDGPP80A01H501U", "Giuseppe Verdi")),
        payment_method: Some("creditCard".into()),
        payment_note: None,
        fee_cents: Some(100),
        primary_ci_incurred_fee_cents: None,
        id_bundle: None,
        id_ci_bundle: None,
        payment_date_time: Some("2026-03-12T10:15:30".into()),
        application_date: Some("2026-03-12".into()),
        transfer_date: Some("2026-03-13".into()),
        metadata: Vec::new(),
        stand_in: Some(false),
    }
}

fn document(lang: Lang) -> ReceiptDocument {
    ReceiptDocument {
        lang,
        ec_name: "Comune di Prova".into(),
        ec_fiscal_code: "01199250158".into(),
        receipt: receipt(),
        notice_number: "301000000000000144".into(),
        created: chrono::DateTime::from_timestamp(1_773_310_530, 0).unwrap(),
    }
}

#[test]
fn italian_receipt_has_the_minimum_content_of_a_proof_of_payment() {
    let dir = out_dir("italian_receipt");
    let pdf = write(
        &dir,
        "ricevuta.pdf",
        &render_receipt(&document(Lang::It)).unwrap(),
    );

    assert_eq!(pages(&pdf), 1);
    let text = text(&pdf);
    assert_contains_all(
        &text,
        &[
            "Ricevuta di pagamento",
            "PAGAMENTO ESEGUITO",
            // Date and time of the payment.
            "12/03/2026 10:15",
            // EC name and fiscal code.
            "Comune di Prova",
            "01199250158",
            "Settore Tributi locali",
            // IUV and notice code.
            "Codice IUV",
            "01000000000000144",
            "3010 0000 0000 0001 44",
            // PSP.
            "Intesa Sanpaolo S.p.A.",
            "BCITITMM",
            "00799960158",
            "10810700152",
            "app (00799960158_01)",
            // receiptId (paymentToken).
            "c110729d258c4ab1b765fe902aae41d6",
            // Amount, fee, total.
            "150,50 €",
            "1,00 €",
            "151,50 €",
            // Description.
            "TARI 2026 - Tassa sui rifiuti, prima rata",
            // Debtor and payer.
            "Mario Rossi",
            "RSSMRA60D20F205C",
            "Vicolo Corto 12, 20133 Milano MI IT",
            "Giuseppe Verdi",
            "VRDGPP80A01H501U",
            // Payment method.
            "Carta di pagamento",
            // Transfers.
            "IT60 X054 2811 1010 0000 0123 456",
            "IT02 L123 4512 3451 2345 6789 012",
            "Città Metropolitana di Prova",
            "80012345678",
            "120,00 €",
            "30,50 €",
            "TARI 2026 quota comunale",
            "TEFA 2026",
            "13/03/2026",
        ],
    );
    assert!(
        !text.contains("mario.rossi@example.com"),
        "no e-mail on the receipt"
    );
    assert_titillium_embedded(&pdf);
    assert_text_within_margins(&pdf);
}

#[test]
fn receipt_is_a_tagged_pdf_a_2a() {
    let dir = out_dir("receipt_pdf_a");
    let pdf = write(
        &dir,
        "ricevuta.pdf",
        &render_receipt(&document(Lang::It)).unwrap(),
    );
    assert_tagged_pdf_a2a(&pdf, "it-IT");
    assert!(figure_alts(&pdf).is_empty(), "no figures on a receipt");
    let structure = structure(&pdf);
    let order = [
        "H1 \"Ricevuta di pagamento\"",
        "\"Comune di Prova\"",
        "\"PAGAMENTO ESEGUITO\"",
        // The amounts: a table whose labels head the columns.
        "Table",
        "THead",
        "/Scope /Column",
        "\"Importo\"",
        "\"Totale pagato\"",
        "TBody",
        "\"150,50 €\"",
        "\"151,50 €\"",
        // The sections: a heading and a table whose labels head the rows.
        "H2 \"DATI DEL PAGAMENTO\"",
        "/Scope /Row",
        "\"Codice IUV\"",
        "\"01000000000000144\"",
        "H2 \"PRESTATORE DI SERVIZI DI PAGAMENTO (PSP)\"",
        "\"Intesa Sanpaolo S.p.A.\"",
        "H2 \"DEBITORE\"",
        "\"Cod. Fiscale RSSMRA60D20F205C\"",
        "H2 \"PAGATORE\"",
        // The transfers: a table with a heading row and a row for each.
        "H2 \"DETTAGLIO DEI VERSAMENTI\"",
        "\"Beneficiario\"",
        "\"IT60 X054 2811 1010 0000 0123 456\"",
        "\"Città Metropolitana di Prova 80012345678\"",
        "\"Documento generato dal Portale dei Pagamenti sulla base della ricevuta telematica pagoPA.\"",
    ];
    let mut from = 0;
    for needle in order {
        match structure[from..].find(needle) {
            Some(i) => from += i + needle.len(),
            None => panic!("{needle:?} missing or out of order in:\n{structure}"),
        }
    }
    // The word mark is decoration: "pagoPA" is read only in the footer note.
    assert_eq!(structure.matches("pagoPA").count(), 1, "{structure}");
    verapdf_2a(&pdf);
}

#[test]
fn english_receipt() {
    let dir = out_dir("english_receipt");
    let pdf = write(
        &dir,
        "receipt.pdf",
        &render_receipt(&document(Lang::En)).unwrap(),
    );
    let text = text(&pdf);
    assert_contains_all(
        &text,
        &[
            "Payment receipt",
            "PAYMENT COMPLETED",
            "€150.50",
            "€1.00",
            "€151.50",
            "12/03/2026 10:15",
            "Payment card",
            "Receipt ID",
            "c110729d258c4ab1b765fe902aae41d6",
            "3010 0000 0000 0001 44",
        ],
    );
    assert_text_within_margins(&pdf);
    assert_tagged_pdf_a2a(&pdf, "en");
}

#[test]
fn minimal_receipt_and_long_texts() {
    let mut doc = document(Lang::It);
    let r = &mut doc.receipt;
    r.fee_cents = None;
    r.payer = None;
    r.payment_method = None;
    r.psp_fiscal_code = None;
    r.psp_partita_iva = None;
    r.office_name = None;
    r.payment_date_time = Some("2026-07-01T08:00:00Z".into());
    r.description = "Descrizione lunghissima ".repeat(12);
    r.payment_note = Some("Nota ".repeat(60));
    r.stand_in = Some(true);
    r.transfers = (1..=5)
        .map(|i| ReceiptTransfer {
            id_transfer: i,
            amount_cents: 3_010,
            fiscal_code_pa: EcFiscalCode::parse("77777777777").unwrap(),
            company_name: Some("Ente beneficiario con una denominazione molto lunga ".repeat(3)),
            iban: (i != 5).then(|| "IT60X0542811101000000123456".into()),
            mbd_attachment: (i == 5).then(|| "PD94bWwgdmVyc2lvbj0iMS4wIj8+".into()),
            remittance_information: "Causale ".repeat(20),
            transfer_category: "9/0101101IM/".into(),
            metadata: Vec::new(),
        })
        .collect();
    let dir = out_dir("minimal_receipt");
    let pdf = write(&dir, "ricevuta.pdf", &render_receipt(&doc).unwrap());
    let text = text(&pdf);
    assert_contains_all(
        &text,
        &[
            // UTC in July is Italian summer time + 2 h.
            "01/07/2026 10:00",
            "Marca da bollo digitale",
            "Pagamento in Stand-In",
            "77777777777",
        ],
    );
    assert!(!text.contains("Commissione"), "no fee, no fee line");
    assert!(!text.contains("PAGATORE"), "no payer");
    assert_text_within_margins(&pdf);
    assert_titillium_embedded(&pdf);

    // On more pages: the continued table heading, the page numbers and the note
    // repeated in the footer are read once, or not at all.
    assert!(pages(&pdf) >= 2);
    assert_tagged_pdf_a2a(&pdf, "it-IT");
    let structure = structure(&pdf);
    assert_eq!(
        structure.matches("H2 \"DETTAGLIO DEI VERSAMENTI\"").count(),
        1,
        "{structure}"
    );
    assert_eq!(structure.matches("\"Beneficiario\"").count(), 1);
    assert_eq!(structure.matches("Documento generato").count(), 1);
    assert!(!structure.contains("Pagina 1 di"), "{structure}");
}
