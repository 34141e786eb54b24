//! Parse + validate speed of bulk imports on one core:
//! `cargo bench -p shared --bench import`.
//!
//! Builds 200,000 realistic rows (NDJSON, and CSV with two transfers), then
//! reads them as the import worker does (chunks of 4 MB through
//! `import_file::read_chunk`, every field checked into a `PositionDraft`) and
//! prints rows per second, best of a few runs. The goal is 300,000 rows/s.

use std::hint::black_box;
use std::time::Instant;

use shared::service::import_file::{read_chunk, Format};

/// The import worker's allocator.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

const ROWS: usize = 200_000;
const CHUNK: usize = 4 << 20;
const RUNS: usize = 3;

const DEBTORS: [&str; 3] = ["RSSMRA85T10A562S", "VRDGPP80A01H501U", "CNTCHR83T41D969D"];

fn ndjson() -> Vec<u8> {
    let mut out = String::with_capacity(ROWS * 520);
    for i in 0..ROWS {
        let cents = 5_000 + (i % 40_000) as u64;
        out.push_str(&format!(
            r#"{{"iupd":"TARI-2026-{i:07}","debtor":{{"type":"F","fiscalCode":"{cf}","fullName":"Mario Rossi","email":"mario.rossi@example.org"}},"serviceCode":"TARI","description":"TARI 2026 - Tassa sui rifiuti","switchToExpired":false,"paymentOptions":[{{"amountCents":{cents},"dueDate":"2026-12-31","description":"Rata unica","transfers":[{{"ecFiscalCode":"77777777777","iban":"IT60X0542811101000000123456","amountCents":{cents},"remittanceInformation":"TARI 2026 utenza {i}","category":"9/0101100IM/"}}]}}]}}"#,
            cf = DEBTORS[i % DEBTORS.len()]
        ));
        out.push('\n');
    }
    out.into_bytes()
}

fn csv() -> Vec<u8> {
    let mut out = String::from("iupd,debtorType,debtorFiscalCode,debtorFullName,debtorEmail,serviceCode,description,amountCents,dueDate,optionDescription,transfer1EcFiscalCode,transfer1Iban,transfer1AmountCents,transfer1RemittanceInformation,transfer1Category,transfer2EcFiscalCode,transfer2Iban,transfer2AmountCents,transfer2RemittanceInformation,transfer2Category\n");
    for i in 0..ROWS {
        let cents = 5_000 + (i % 40_000) as u64;
        out.push_str(&format!(
            "TARI-2026-{i:07},F,{cf},Mario Rossi,mario.rossi@example.org,TARI,TARI 2026,{cents},2026-12-31,Rata unica,77777777777,IT60X0542811101000000123456,{a},TARI 2026 utenza {i},9/0101100IM/,80001234568,IT36A0301503200000003517230,1000,TEFA 2026,9/0101100IM/\n",
            cf = DEBTORS[i % DEBTORS.len()],
            a = cents - 1000
        ));
    }
    out.into_bytes()
}

/// Reads the whole file chunk by chunk; the positions read.
fn read_all(format: Format, file: &[u8]) -> usize {
    let (mut offset, mut line, mut header, mut ok) = (0usize, 1u64, None::<Vec<String>>, 0);
    while offset < file.len() {
        let end = (offset + CHUNK).min(file.len());
        let last = end == file.len();
        let c = read_chunk(format, &file[offset..end], line, last, header.as_deref())
            .expect("readable");
        if let Some(h) = c.header {
            header = Some(h);
        }
        ok += c.entries.iter().filter(|e| e.draft.is_ok()).count();
        black_box(&c.entries);
        offset += c.consumed;
        line += c.lines;
        if last {
            break;
        }
    }
    ok
}

fn main() {
    for (name, format, file) in [
        ("NDJSON", Format::Ndjson, ndjson()),
        ("CSV", Format::Csv, csv()),
    ] {
        assert_eq!(read_all(format, &file), ROWS, "every row valid");
        let mut best = f64::MAX;
        for _ in 0..RUNS {
            let t = Instant::now();
            black_box(read_all(format, &file));
            best = best.min(t.elapsed().as_secs_f64());
        }
        println!(
            "{name:6} {ROWS} rows, {:.1} MB: {:.0} rows/s ({:.2} µs/row, best of {RUNS})",
            file.len() as f64 / 1e6,
            ROWS as f64 / best,
            best * 1e6 / ROWS as f64
        );
    }
}
