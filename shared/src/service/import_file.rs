//! Reading an import file a chunk at a time: NDJSON (one position per line, in
//! the operator API's shape) or CSV (one payment option per row; consecutive
//! rows with the same `iupd` are one position's options). Pure: bytes in,
//! drafts and row errors out, so the worker holds one chunk at a time whatever
//! the file's size, and resumes at any chunk boundary.
//!
//! A chunk is read up to the last whole record (and, for CSV, the last whole
//! position): what is left is read again with the next chunk.
//!
//! Hand-written around `csv` (which splits records) and `serde_json` (which
//! reads each line): chunked, resumable reading with 1-based line numbers is
//! what no crate offers.

use serde_json::{json, Map, Value};

pub use crate::domain::import::{Format, RowError};
use crate::domain::{FieldErrors, PositionDraft};
use crate::service::positions::parse_draft;

/// A longer record is a row error (and, when no record ends within a chunk,
/// the file cannot be read).
pub const MAX_RECORD_BYTES: usize = 1 << 20;

/// One position read from the file (or why it could not be).
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The lines (1-based) it spans: one for NDJSON, one per option for CSV.
    pub rows: Vec<u64>,
    /// Its iupd, when one could be read (for the report).
    pub iupd: Option<String>,
    pub draft: Result<PositionDraft, Vec<RowError>>,
}

/// What a chunk gave.
#[derive(Debug, Default)]
pub struct Chunk {
    pub entries: Vec<Entry>,
    /// Bytes of the chunk read (the next chunk starts here).
    pub consumed: usize,
    /// Lines those bytes hold (the next chunk's first line is this much later).
    pub lines: u64,
    /// CSV: the header, when this chunk read it.
    pub header: Option<Vec<String>>,
}

/// Why the file cannot be read at all (the import fails; rows are never the cause).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error("{0}")]
    Unreadable(String),
}

/// Reads one chunk that starts at line `first_line` of the file. `last`: the
/// chunk ends the file. `header`: the CSV header read from the first chunk.
pub fn read_chunk(
    format: Format,
    bytes: &[u8],
    first_line: u64,
    last: bool,
    header: Option<&[String]>,
) -> Result<Chunk, FileError> {
    match format {
        Format::Ndjson => Ok(read_ndjson(bytes, first_line, last)),
        Format::Csv => read_csv(bytes, first_line, last, header),
    }
}

fn read_ndjson(bytes: &[u8], first_line: u64, last: bool) -> Chunk {
    let mut chunk = Chunk::default();
    let mut start = 0;
    let mut line = first_line;
    while start < bytes.len() {
        let end = match bytes[start..].iter().position(|b| *b == b'\n') {
            Some(i) => start + i + 1,
            None if last => bytes.len(),
            None => break,
        };
        let text = &bytes[start..end];
        if !text.iter().all(u8::is_ascii_whitespace) {
            chunk.entries.push(ndjson_entry(text, line));
        }
        start = end;
        line += 1;
    }
    chunk.consumed = start;
    chunk.lines = line - first_line;
    chunk
}

fn row_errors(row: u64, errors: FieldErrors) -> Vec<RowError> {
    errors
        .iter()
        .map(|e| RowError {
            row,
            field: e.field.clone(),
            message: e.message.clone(),
        })
        .collect()
}

fn ndjson_entry(text: &[u8], row: u64) -> Entry {
    let fail = |message: String| Entry {
        rows: vec![row],
        iupd: None,
        draft: Err(vec![RowError {
            row,
            field: String::new(),
            message,
        }]),
    };
    if text.len() > MAX_RECORD_BYTES {
        return fail(format!("riga più lunga di {MAX_RECORD_BYTES} byte"));
    }
    let doc: Value = match serde_json::from_slice(text) {
        Ok(v) => v,
        Err(e) => {
            return fail(format!(
                "non è un oggetto JSON valido (colonna {})",
                e.column()
            ))
        }
    };
    let iupd = doc.get("iupd").and_then(Value::as_str).map(str::to_owned);
    Entry {
        rows: vec![row],
        iupd,
        draft: parse_draft(&doc).map_err(|e| row_errors(row, e)),
    }
}

/// The CSV columns: of the position (repeated on each of its rows), of the
/// option, and `transfer<k><Field>` for transfers 1 to 5.
pub const POSITION_COLUMNS: [&str; 14] = [
    "iupd",
    "debtorType",
    "debtorFiscalCode",
    "debtorFullName",
    "debtorEmail",
    "debtorStreetName",
    "debtorCivicNumber",
    "debtorPostalCode",
    "debtorCity",
    "debtorProvince",
    "debtorCountry",
    "serviceCode",
    "description",
    "switchToExpired",
];
pub const OPTION_COLUMNS: [&str; 5] = [
    "noticeNumber",
    "amountCents",
    "dueDate",
    "optionDescription",
    "installment",
];
pub const TRANSFER_FIELDS: [&str; 6] = [
    "EcFiscalCode",
    "Iban",
    "PostalIban",
    "AmountCents",
    "RemittanceInformation",
    "Category",
];
/// Columns every CSV header must have.
pub const REQUIRED_COLUMNS: [&str; 14] = [
    "iupd",
    "debtorType",
    "debtorFiscalCode",
    "debtorFullName",
    "serviceCode",
    "description",
    "amountCents",
    "dueDate",
    "optionDescription",
    "transfer1EcFiscalCode",
    "transfer1Iban",
    "transfer1AmountCents",
    "transfer1RemittanceInformation",
    "transfer1Category",
];

fn known_column(c: &str) -> bool {
    POSITION_COLUMNS.contains(&c)
        || OPTION_COLUMNS.contains(&c)
        || c.strip_prefix("transfer").is_some_and(|rest| {
            let (k, field) = rest.split_at(rest.len().min(1));
            matches!(k, "1" | "2" | "3" | "4" | "5") && TRANSFER_FIELDS.contains(&field)
        })
}

/// Checks a CSV header: every required column, nothing unknown, nothing twice.
pub fn check_header(header: &[String]) -> Result<(), FileError> {
    let unknown: Vec<&str> = header
        .iter()
        .map(String::as_str)
        .filter(|c| !known_column(c))
        .collect();
    if !unknown.is_empty() {
        return Err(FileError::Unreadable(format!(
            "intestazione CSV: colonne non previste: {}",
            unknown.join(", ")
        )));
    }
    let missing: Vec<&str> = REQUIRED_COLUMNS
        .iter()
        .copied()
        .filter(|c| !header.iter().any(|h| h == c))
        .collect();
    if !missing.is_empty() {
        return Err(FileError::Unreadable(format!(
            "intestazione CSV: colonne obbligatorie mancanti: {}",
            missing.join(", ")
        )));
    }
    for (i, h) in header.iter().enumerate() {
        if header[..i].contains(h) {
            return Err(FileError::Unreadable(format!(
                "intestazione CSV: colonna ripetuta: {h}"
            )));
        }
    }
    Ok(())
}

/// Where each known column is in the header (read once per chunk, so a
/// row's cells are found by position, not by name).
struct Columns {
    count: usize,
    position: [Option<usize>; POSITION_COLUMNS.len()],
    option: [Option<usize>; OPTION_COLUMNS.len()],
    transfer: [[Option<usize>; TRANSFER_FIELDS.len()]; 5],
}

impl Columns {
    fn of(header: &[String]) -> Self {
        let at = |name: &str| header.iter().position(|h| h == name);
        Self {
            count: header.len(),
            position: POSITION_COLUMNS.map(at),
            option: OPTION_COLUMNS.map(at),
            transfer: std::array::from_fn(|k| {
                TRANSFER_FIELDS.map(|f| at(&format!("transfer{}{f}", k + 1)))
            }),
        }
    }
}

/// A cell, trimmed; `None` when the column is absent or the cell empty.
fn at(cells: &csv::StringRecord, i: Option<usize>) -> Option<&str> {
    i.and_then(|i| cells.get(i))
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// One CSV record: its line, where it starts, its cells.
struct Record {
    line: u64,
    start: usize,
    cells: Result<csv::StringRecord, String>,
}

fn read_csv(
    bytes: &[u8],
    first_line: u64,
    last: bool,
    header: Option<&[String]>,
) -> Result<Chunk, FileError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut chunk = Chunk::default();
    let mut columns: Option<Columns> = header.map(Columns::of);
    let mut records: Vec<Record> = Vec::new();
    let mut record = csv::ByteRecord::new();
    let mut end_of_whole = 0usize;
    let mut lines_of_whole = 0u64;
    loop {
        let start = reader.position().byte() as usize;
        let line = reader.position().line();
        let more = match reader.read_byte_record(&mut record) {
            Ok(more) => more,
            Err(e) => {
                return Err(FileError::Unreadable(format!(
                    "CSV illeggibile alla riga {}: {e}",
                    first_line + line - 1
                )))
            }
        };
        if !more {
            break;
        }
        let end = reader.position().byte() as usize;
        // A record that reaches the chunk's end may go on in the next chunk:
        // read again from its start.
        if end >= bytes.len() && !last {
            break;
        }
        let file_line = first_line + line - 1;
        let Some(cols) = &columns else {
            let names = record
                .iter()
                .map(|c| {
                    std::str::from_utf8(c)
                        .map(|s| s.trim().trim_start_matches('\u{feff}').to_owned())
                        .map_err(|_| FileError::Unreadable("intestazione CSV non in UTF-8".into()))
                })
                .collect::<Result<Vec<_>, _>>()?;
            check_header(&names)?;
            columns = Some(Columns::of(&names));
            chunk.header = Some(names);
            end_of_whole = end;
            lines_of_whole = reader.position().line() - 1;
            continue;
        };
        let blank = record.iter().all(|c| c.iter().all(u8::is_ascii_whitespace));
        if !blank {
            let cells = if record.len() != cols.count {
                Err(format!(
                    "{} campi invece dei {} dell'intestazione",
                    record.len(),
                    cols.count
                ))
            } else if end - start > MAX_RECORD_BYTES {
                Err(format!("riga più lunga di {MAX_RECORD_BYTES} byte"))
            } else {
                csv::StringRecord::from_byte_record(record.clone())
                    .map_err(|_| "testo non in UTF-8".to_owned())
            };
            records.push(Record {
                line: file_line,
                start,
                cells,
            });
        }
        end_of_whole = end;
        lines_of_whole = reader.position().line() - 1;
    }
    let Some(cols) = columns else {
        if last {
            return Err(FileError::Unreadable(
                "file CSV vuoto: manca l'intestazione".into(),
            ));
        }
        return Ok(chunk);
    };
    // Group consecutive records by iupd; a chunk that does not end the file
    // keeps its last group for the next one (more options may follow).
    let mut groups: Vec<Vec<Record>> = Vec::new();
    for r in records {
        let key = iupd_of(&cols, &r);
        match groups.last_mut() {
            Some(g) if key.is_some() && iupd_of(&cols, &g[0]) == key => g.push(r),
            _ => groups.push(vec![r]),
        }
    }
    if !last {
        if let Some(held) = groups.pop() {
            chunk.consumed = held[0].start;
            chunk.lines = held[0].line - first_line;
            chunk.entries = groups.into_iter().map(|g| csv_entry(&cols, g)).collect();
            return Ok(chunk);
        }
    }
    chunk.consumed = end_of_whole;
    chunk.lines = lines_of_whole;
    chunk.entries = groups.into_iter().map(|g| csv_entry(&cols, g)).collect();
    Ok(chunk)
}

fn iupd_of<'r>(cols: &Columns, r: &'r Record) -> Option<&'r str> {
    r.cells.as_ref().ok().and_then(|c| at(c, cols.position[0]))
}

/// A cell as JSON: integers and booleans as such where the column expects
/// them (anything else stays text, and the position's checks name it).
fn typed(number: bool, flag: bool, v: &str) -> Value {
    if number {
        if let Ok(n) = v.parse::<u64>() {
            return json!(n);
        }
    }
    if flag {
        match v.to_ascii_lowercase().as_str() {
            "true" | "1" | "si" | "sì" => return json!(true),
            "false" | "0" | "no" => return json!(false),
            _ => {}
        }
    }
    json!(v)
}

/// The JSON keys of the option's and the transfer's columns, in their order.
const OPTION_KEYS: [&str; 5] = [
    "noticeNumber",
    "amountCents",
    "dueDate",
    "description",
    "installment",
];
const TRANSFER_KEYS: [&str; 6] = [
    "ecFiscalCode",
    "iban",
    "postalIban",
    "amountCents",
    "remittanceInformation",
    "category",
];

fn option_of(cols: &Columns, cells: &csv::StringRecord) -> Value {
    let mut o = Map::new();
    for (i, key) in OPTION_KEYS.iter().enumerate() {
        if let Some(v) = at(cells, cols.option[i]) {
            o.insert((*key).into(), typed(i == 1, i == 4, v));
        }
    }
    let mut transfers = Vec::new();
    for k in 0..5 {
        let mut t = Map::new();
        for (i, key) in TRANSFER_KEYS.iter().enumerate() {
            if let Some(v) = at(cells, cols.transfer[k][i]) {
                t.insert((*key).into(), typed(i == 3, false, v));
            }
        }
        if !t.is_empty() {
            transfers.push(Value::Object(t));
        }
    }
    o.insert("transfers".into(), Value::Array(transfers));
    Value::Object(o)
}

fn position_doc(cols: &Columns, cells: &csv::StringRecord, options: Vec<Value>) -> Value {
    // POSITION_COLUMNS by index: 0 iupd, 1-4 debtor, 5-10 address, 11-13 the rest.
    let p = |i: usize| at(cells, cols.position[i]);
    let mut debtor = Map::new();
    for (i, key) in [
        (1, "type"),
        (2, "fiscalCode"),
        (3, "fullName"),
        (4, "email"),
    ] {
        if let Some(v) = p(i) {
            debtor.insert(key.into(), json!(v));
        }
    }
    let mut address = Map::new();
    for (i, key) in [
        (5, "streetName"),
        (6, "civicNumber"),
        (7, "postalCode"),
        (8, "city"),
        (9, "stateProvinceRegion"),
        (10, "country"),
    ] {
        if let Some(v) = p(i) {
            address.insert(key.into(), json!(v));
        }
    }
    if !address.is_empty() {
        debtor.insert("address".into(), Value::Object(address));
    }
    let mut doc = Map::new();
    doc.insert("debtor".into(), Value::Object(debtor));
    for (i, key) in [
        (0, "iupd"),
        (11, "serviceCode"),
        (12, "description"),
        (13, "switchToExpired"),
    ] {
        if let Some(v) = p(i) {
            doc.insert(key.into(), typed(false, i == 13, v));
        }
    }
    doc.insert("paymentOptions".into(), Value::Array(options));
    Value::Object(doc)
}

/// The CSV column (and row) a JSON path of the position names.
fn column_of(path: &str, rows: &[u64]) -> (u64, String) {
    let first = rows[0];
    let Some(rest) = path.strip_prefix("paymentOptions[") else {
        let column = match path {
            "debtor.type" => "debtorType".into(),
            "debtor.fiscalCode" => "debtorFiscalCode".into(),
            "debtor.fullName" => "debtorFullName".into(),
            "debtor.email" => "debtorEmail".into(),
            "debtor.address.stateProvinceRegion" => "debtorProvince".into(),
            p if p.starts_with("debtor.address.") => {
                let f = &p["debtor.address.".len()..];
                format!("debtor{}{}", f[..1].to_ascii_uppercase(), &f[1..])
            }
            other => other.to_owned(),
        };
        return (first, column);
    };
    let Some((index, tail)) = rest.split_once(']') else {
        return (first, path.to_owned());
    };
    let row = index
        .parse::<usize>()
        .ok()
        .and_then(|i| rows.get(i).copied())
        .unwrap_or(first);
    let tail = tail.trim_start_matches('.');
    let column = if let Some(t) = tail.strip_prefix("transfers[") {
        match t.split_once(']') {
            Some((k, field)) => {
                let k = k.parse::<usize>().map(|k| k + 1).unwrap_or(1);
                let field = field.trim_start_matches('.');
                if field.is_empty() {
                    format!("transfer{k}")
                } else {
                    format!(
                        "transfer{k}{}{}",
                        field[..1].to_ascii_uppercase(),
                        &field[1..]
                    )
                }
            }
            None => "transfers".into(),
        }
    } else {
        match tail {
            "description" => "optionDescription".into(),
            "" => "paymentOptions".into(),
            t => t.to_owned(),
        }
    };
    (row, column)
}

/// A position's errors as row errors: on the rows and, for CSV, the columns
/// their fields come from.
pub fn row_errors_of(format: Format, rows: &[u64], errors: &FieldErrors) -> Vec<RowError> {
    errors
        .iter()
        .map(|f| {
            let (row, field) = match format {
                Format::Csv => column_of(&f.field, rows),
                Format::Ndjson => (rows[0], f.field.clone()),
            };
            RowError {
                row,
                field,
                message: f.message.clone(),
            }
        })
        .collect()
}

fn csv_entry(cols: &Columns, group: Vec<Record>) -> Entry {
    let rows: Vec<u64> = group.iter().map(|r| r.line).collect();
    let iupd = iupd_of(cols, &group[0]).map(str::to_owned);
    let mut errors = Vec::new();
    let mut first: Option<&csv::StringRecord> = None;
    let mut options = Vec::new();
    for r in &group {
        match &r.cells {
            Err(message) => errors.push(RowError {
                row: r.line,
                field: String::new(),
                message: message.clone(),
            }),
            Ok(cells) => {
                match first {
                    None => first = Some(cells),
                    Some(f) => {
                        for (i, column) in POSITION_COLUMNS.iter().enumerate() {
                            let here = at(cells, cols.position[i]);
                            if here.is_some_and(|v| Some(v) != at(f, cols.position[i])) {
                                errors.push(RowError {
                                    row: r.line,
                                    field: (*column).into(),
                                    message: "deve coincidere con la prima riga della posizione"
                                        .into(),
                                });
                            }
                        }
                    }
                }
                options.push(option_of(cols, cells));
            }
        }
    }
    let draft = match first {
        Some(cells) if errors.is_empty() => parse_draft(&position_doc(cols, cells, options))
            .map_err(|e| row_errors_of(Format::Csv, &rows, &e)),
        _ => Err(errors),
    };
    Entry { rows, iupd, draft }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    pub(crate) const CSV_HEAD: &str = "iupd,debtorType,debtorFiscalCode,debtorFullName,serviceCode,description,switchToExpired,amountCents,dueDate,optionDescription,installment,transfer1EcFiscalCode,transfer1Iban,transfer1AmountCents,transfer1RemittanceInformation,transfer1Category,transfer2EcFiscalCode,transfer2Iban,transfer2AmountCents,transfer2RemittanceInformation,transfer2Category\n";

    fn csv_row(iupd: &str, cents: u64, installment: bool, second: Option<u64>) -> String {
        let (t1, t2) = match second {
            Some(c) => (
                cents - c,
                format!("80001234568,IT36A0301503200000003517230,{c},quota provincia,9/0101100IM/"),
            ),
            None => (cents, ",,,,".into()),
        };
        format!("{iupd},F,RSSMRA85T10A562S,Mario Rossi,TARI,TARI 2026,true,{cents},2026-12-31,Rata,{installment},77777777777,IT60X0542811101000000123456,{t1},TARI 2026,9/0101100IM/,{t2}\n")
    }

    pub(crate) fn ndjson_row(iupd: &str, cents: u64) -> String {
        format!(
            "{}\n",
            json!({"iupd": iupd,
                "debtor": {"type": "F", "fiscalCode": "RSSMRA85T10A562S", "fullName": "Mario Rossi"},
                "serviceCode": "TARI", "description": "TARI 2026",
                "paymentOptions": [{"amountCents": cents, "dueDate": "2026-12-31", "description": "Rata unica",
                    "transfers": [{"ecFiscalCode": "77777777777", "iban": "IT60X0542811101000000123456",
                        "amountCents": cents, "remittanceInformation": "TARI 2026", "category": "9/0101100IM/"}]}]})
        )
    }

    fn whole(format: Format, bytes: &[u8]) -> Vec<Entry> {
        read_chunk(format, bytes, 1, true, None).unwrap().entries
    }

    #[test]
    fn ndjson_lines_are_rows_and_a_bad_line_is_a_row_error() {
        let file = format!(
            "{}\n{}not json\n{}",
            ndjson_row("A", 100),
            r#"{"iupd": "B", "debtor": 5}"#.to_owned() + "\n",
            ndjson_row("C", 300).trim_end()
        );
        let e = whole(Format::Ndjson, file.as_bytes());
        assert_eq!(e.len(), 4);
        assert_eq!(e[0].rows, vec![1]);
        assert!(e[0].draft.is_ok());
        // Line 2 is blank: skipped, but counted.
        let b = e[1].draft.as_ref().unwrap_err();
        assert_eq!(e[1].rows, vec![3]);
        assert_eq!(e[1].iupd.as_deref(), Some("B"));
        assert!(b.iter().all(|r| r.row == 3));
        assert!(b.iter().any(|r| r.field == "debtor"));
        let bad = e[2].draft.as_ref().unwrap_err();
        assert_eq!((bad[0].row, bad[0].field.as_str()), (4, ""));
        assert!(bad[0].message.contains("JSON"));
        // The last line has no newline: read when the chunk ends the file.
        assert_eq!(e[3].rows, vec![5]);
        assert!(e[3].draft.is_ok());
        // Not the file's end: the unterminated line waits for the next chunk.
        let c = read_chunk(Format::Ndjson, file.as_bytes(), 1, false, None).unwrap();
        assert_eq!(c.entries.len(), 3);
        assert_eq!(c.lines, 4);
        assert_eq!(
            &file.as_bytes()[c.consumed..],
            ndjson_row("C", 300).trim_end().as_bytes()
        );
    }

    #[test]
    fn csv_rows_of_one_iupd_are_one_positions_options_with_up_to_five_transfers() {
        let file = format!(
            "{CSV_HEAD}{}{}{}{}",
            csv_row("A", 10_000, false, Some(2_500)),
            csv_row("A", 5_000, true, None),
            csv_row("A", 5_000, true, None),
            csv_row("B", 100, false, None)
        );
        let e = whole(Format::Csv, file.as_bytes());
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].rows, vec![2, 3, 4]);
        let a = e[0].draft.as_ref().unwrap();
        assert_eq!(a.payment_options.len(), 3);
        assert_eq!(a.payment_options[0].transfers.len(), 2);
        assert_eq!(
            a.payment_options[0].transfers[1].amount_cents.cents(),
            2_500
        );
        assert!(a.payment_options[1].installment);
        assert!(a.switch_to_expired);
        assert_eq!(e[1].rows, vec![5]);
    }

    #[test]
    fn csv_errors_name_the_row_and_the_column() {
        let bad_iban =
            csv_row("A", 100, false, None).replace("IT60X0542811101000000123456", "IT00");
        let bad_second = csv_row("A", 100, true, None).replace("2026-12-31", "31/12/2026");
        let other_name = csv_row("B", 100, false, None).replace("Mario Rossi", "M. Rossi");
        let file = format!(
            "{CSV_HEAD}{bad_iban}{bad_second}{}{other_name}a,b\n",
            csv_row("B", 100, true, None)
        );
        let e = whole(Format::Csv, file.as_bytes());
        assert_eq!(e.len(), 3);
        let a = e[0].draft.as_ref().unwrap_err();
        let mut got: Vec<(u64, &str)> = a.iter().map(|r| (r.row, r.field.as_str())).collect();
        got.sort();
        assert_eq!(got, vec![(2, "transfer1Iban"), (3, "dueDate")]);
        let b = e[1].draft.as_ref().unwrap_err();
        assert_eq!((b[0].row, b[0].field.as_str()), (5, "debtorFullName"));
        let short = e[2].draft.as_ref().unwrap_err();
        assert_eq!(short[0].row, 6);
        assert!(short[0].message.contains("campi"), "{}", short[0].message);
    }

    #[test]
    fn a_csv_header_must_name_the_required_columns_and_nothing_unknown() {
        let err = |h: &str| read_chunk(Format::Csv, h.as_bytes(), 1, true, None).unwrap_err();
        assert!(err("iupd,colour\n").to_string().contains("colour"));
        assert!(err("iupd,debtorType\n")
            .to_string()
            .contains("debtorFiscalCode"));
        assert!(err("").to_string().contains("intestazione"));
        let twice = CSV_HEAD.trim_end().to_owned() + ",iupd\n";
        assert!(err(&twice).to_string().contains("ripetuta"));
        assert!(check_header(&["transfer6Iban".to_owned()]).is_err());
        // A byte-order mark before the header is tolerated.
        let bom = format!("\u{feff}{CSV_HEAD}{}", csv_row("A", 100, false, None));
        assert_eq!(whole(Format::Csv, bom.as_bytes()).len(), 1);
    }

    #[test]
    fn content_types_name_the_format() {
        assert_eq!(
            Format::from_content_type("text/csv; charset=utf-8"),
            Some(Format::Csv)
        );
        assert_eq!(
            Format::from_content_type("application/x-ndjson"),
            Some(Format::Ndjson)
        );
        assert_eq!(Format::from_content_type("application/json"), None);
    }

    /// Reads a file in chunks of `size` bytes as the worker does.
    fn chunked(format: Format, file: &[u8], size: usize) -> Vec<Entry> {
        let (mut offset, mut line, mut header, mut out) = (0, 1, None::<Vec<String>>, Vec::new());
        loop {
            let mut len = size;
            let c = loop {
                let end = (offset + len).min(file.len());
                let last = end == file.len();
                let c =
                    read_chunk(format, &file[offset..end], line, last, header.as_deref()).unwrap();
                // No whole record in the chunk: a longer one.
                if c.consumed == 0 && !last {
                    len *= 2;
                    continue;
                }
                break (c, last);
            };
            let (c, last) = c;
            if let Some(h) = c.header {
                header = Some(h);
            }
            out.extend(c.entries);
            offset += c.consumed;
            line += c.lines;
            if last && (offset >= file.len() || c.consumed == 0) {
                return out;
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn any_chunking_reads_the_same_entries(
            sizes in proptest::collection::vec((1u8..4, 0u8..3), 1..12),
            chunk in 40usize..2000,
        ) {
            let mut nd = String::new();
            let mut csv = CSV_HEAD.to_owned();
            for (i, (options, blank)) in sizes.iter().enumerate() {
                nd.push_str(&ndjson_row(&format!("P{i}"), 100 + i as u64));
                for _ in 0..*blank { nd.push('\n'); }
                for o in 0..*options {
                    csv.push_str(&csv_row(&format!("P{i}"), 100 + o as u64, *options > 1, None));
                }
                if *blank == 2 { csv.push_str("not,a,row\n"); }
            }
            for (format, file) in [(Format::Ndjson, nd.as_bytes()), (Format::Csv, csv.as_bytes())] {
                let all = whole(format, file);
                prop_assert_eq!(chunked(format, file, chunk), all);
            }
        }
    }
}
