//! Rendering time of the PDFs: `cargo bench -p shared --bench pdf`.
//!
//! A plain loop (no framework): a warm-up, then `RUNS` renders of each document;
//! prints the mean and the 95th percentile in milliseconds, and the PDF size.

use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use shared::domain::receipt::{Receipt, ReceiptTransfer, ReceiptVersion, Subject};
use shared::domain::{AmountCents, EcFiscalCode, NoticeNumber, SegregationCode};
use shared::pdf::{
    render_avviso, render_receipt, AvvisoData, AvvisoDebtor, AvvisoEc, AvvisoPayment, Lang,
    PdfError, ReceiptDocument,
};

const WARM_UP: usize = 20;
const RUNS: usize = 200;

/// The documents' creation date (fixed: the same data give the same PDF).
fn created() -> DateTime<Utc> {
    DateTime::from_timestamp(1_773_310_530, 0).expect("date")
}

fn payment(sequence: u64, cents: u64, month: u32) -> AvvisoPayment {
    AvvisoPayment {
        notice_number: NoticeNumber::generate(
            SegregationCode::new(1).expect("segregation code"),
            sequence,
        )
        .expect("notice number"),
        amount: AmountCents::new(cents).expect("amount"),
        due_date: NaiveDate::from_ymd_opt(2026, month, 28),
    }
}

fn avviso(installments: bool) -> AvvisoData {
    AvvisoData {
        lang: Lang::It,
        subject: "TARI 2026 - Tassa sui rifiuti".into(),
        ec: AvvisoEc {
            fiscal_code: "01199250158".into(),
            name: "Comune di Prova".into(),
            office: Some("Settore Tributi locali".into()),
            info: Some("www.comune.prova.it · tributi@comune.prova.it".into()),
            cbill: Some("A0EDT".into()),
            online_channel: Some("sul sito del Comune di Prova".into()),
            postal_account: installments.then(|| "123456789012".into()),
            poste_auth: installments.then(|| "AUT. DB/SSIC/E 1234 DEL 01/01/2024".into()),
            logo_png: None,
        },
        debtor: AvvisoDebtor {
            fiscal_code: "RSSMRA60D20F205C".into(),
            full_name: "Mario Rossi".into(),
            address: Some("Vicolo Corto 12, 20133 Milano (MI)".into()),
        },
        single: (!installments).then(|| payment(1, 15_050, 1)),
        installments: if installments {
            vec![
                payment(2, 5_000, 1),
                payment(3, 5_000, 3),
                payment(4, 5_050, 5),
            ]
        } else {
            Vec::new()
        },
        created: created(),
    }
}

fn receipt() -> ReceiptDocument {
    let ec = EcFiscalCode::parse("01199250158").expect("EC fiscal code");
    let subject =
        |id: &str, name: &str| Subject::new(shared::domain::position::SubjectType::F, id, name);
    ReceiptDocument {
        lang: Lang::It,
        ec_name: "Comune di Prova".into(),
        ec_fiscal_code: ec.as_str().into(),
        notice_number: "301000000000000144".into(),
        receipt: Receipt {
            version: ReceiptVersion::V2,
            receipt_id: "c110729d258c4ab1b765fe902aae41d6".into(),
            notice_number: "301000000000000144".into(),
            fiscal_code: ec.clone(),
            outcome: shared::domain::receipt::Outcome::Ok,
            creditor_reference_id: "01000000000000144".into(),
            payment_amount_cents: 15_050,
            description: "TARI 2026 - Tassa sui rifiuti".into(),
            company_name: "Comune di Prova".into(),
            office_name: None,
            debtor: subject("RSSMRA60D20F205C", "Mario Rossi"),
            transfers: vec![ReceiptTransfer {
                id_transfer: 1,
                amount_cents: 15_050,
                fiscal_code_pa: ec,
                company_name: Some("Comune di Prova".into()),
                iban: Some("IT60X0542811101000000123456".into()),
                mbd_attachment: None,
                remittance_information: "TARI 2026".into(),
                transfer_category: "9/0101101IM/".into(),
                metadata: Vec::new(),
            }],
            id_psp: "BCITITMM".into(),
            psp_fiscal_code: Some("00799960158".into()),
            psp_partita_iva: None,
            psp_company_name: "Intesa Sanpaolo S.p.A.".into(),
            id_channel: "00799960158_01".into(),
            channel_description: "app".into(),
            payer: None,
            payment_method: Some("creditCard".into()),
            payment_note: None,
            fee_cents: Some(100),
            primary_ci_incurred_fee_cents: None,
            id_bundle: None,
            id_ci_bundle: None,
            payment_date_time: Some("2026-03-12T10:15:30".into()),
            application_date: None,
            transfer_date: None,
            metadata: Vec::new(),
            stand_in: None,
        },
        created: created(),
    }
}

fn bench(name: &str, render: impl Fn() -> Result<Vec<u8>, PdfError>) -> Result<(), PdfError> {
    let first = Instant::now();
    let size = render()?.len();
    let cold = first.elapsed();
    for _ in 0..WARM_UP {
        black_box(render()?);
    }
    let mut times: Vec<Duration> = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let start = Instant::now();
        black_box(render()?);
        times.push(start.elapsed());
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let mean = times.iter().map(|d| ms(*d)).sum::<f64>() / RUNS as f64;
    let p95 = ms(times[(RUNS * 95).div_ceil(100) - 1]);
    println!(
        "{name:<28} mean {mean:7.2} ms   p95 {p95:7.2} ms   first {:7.2} ms   {size:>7} bytes",
        ms(cold)
    );
    Ok(())
}

fn main() -> Result<(), PdfError> {
    println!("{RUNS} renders after {WARM_UP} warm-up renders each");
    let single = avviso(false);
    let installments = avviso(true);
    let receipt = receipt();
    bench("avviso (single payment)", || render_avviso(&single))?;
    bench("avviso (3 installments, PA)", || {
        render_avviso(&installments)
    })?;
    bench("receipt", || render_receipt(&receipt))?;
    Ok(())
}
