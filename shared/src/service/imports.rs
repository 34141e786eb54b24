//! Bulk imports of debt positions: an NDJSON or CSV file of up to 1 GB,
//! processed away from the request that brought it.
//!
//! - The file lands in the document store (`imports/<ec>/<id>/source.<ext>`):
//!   sent as the request's body (small files) or uploaded through a presigned
//!   URL. Its arrival triggers [`process`] (S3 → EventBridge → the import
//!   worker; locally the devstack delivers the same event).
//! - [`process`] reads the file a chunk at a time ([`CHUNK_BYTES`], so memory
//!   stays flat whatever the size), writes the positions in transactions of
//!   up to 100 items with conditional checks (an iupd or notice number
//!   already there is never overwritten), and checkpoints after each chunk:
//!   where the next begins, the counts, the first errors, the report's part.
//! - Near the function's deadline it leaves a `continue` marker beside the
//!   file, whose arrival triggers the next run from the checkpoint; a run
//!   that dies is retried by its trigger and resumes there too. A lease on
//!   the record keeps two runs from working on one import at once.
//! - A row read again (a retried chunk, a file imported twice) whose iupd
//!   exists with identical content counts as unchanged, never as a duplicate;
//!   with different content it is a row error (updates go through PUT).
//!   New notice numbers are drawn at random (see `positions::create`): no
//!   counter item, so no hot key however fast rows are written.

use std::time::Duration;

use crate::domain::import::{Import, ImportStatus, RowError, RowOutcome};
use crate::domain::revision::same_content;
use crate::domain::{EcFiscalCode, Entity, Position, PositionDraft};
use crate::ports::{Document, StoreError};
use crate::secret;
use crate::service::import_file::{self, Entry, FileError, Format};
use crate::service::positions::draw_numbers;
use crate::App;

/// Bytes read per chunk.
pub const CHUNK_BYTES: u64 = 4 << 20;
/// The largest file an import takes.
pub const MAX_FILE_BYTES: u64 = 1 << 30;
/// The largest file sent as a request's body (API Gateway and Lambda take
/// 6 MB); larger files go through a presigned upload.
pub const MAX_DIRECT_BYTES: usize = 5 << 20;
/// Items (a position and one notice claim per option) per transaction.
const BATCH_ITEMS: usize = 100;
/// How long a run owns an import without checkpointing.
const LEASE_SECS: i64 = 300;
/// How long a presigned upload URL is valid.
pub const UPLOAD_SECS: u64 = 3600;
/// How long the report's URL is valid.
const REPORT_SECS: u64 = 900;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("EC not served by this portal")]
    UnknownEc,
    #[error("no such import")]
    NotFound,
    /// The file is not what its content type says, or has a bad header.
    #[error("file not readable: {0}")]
    NotReadable(String),
    #[error("file too large for the request body")]
    TooLarge,
    #[error("imports not reachable")]
    Store(#[from] StoreError),
}

/// Where an import's file is kept.
pub fn source_key(ec: &EcFiscalCode, import_id: &str, format: Format) -> String {
    format!("imports/{ec}/{import_id}/source.{}", format.extension())
}

/// The import a document store key belongs to (its file, or a `continue` marker).
pub fn import_of_key(key: &str) -> Option<(EcFiscalCode, String)> {
    let mut parts = key.split('/');
    let (Some("imports"), Some(ec), Some(id), Some(what)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let ec = EcFiscalCode::parse(ec).ok()?;
    let ok = secret::well_formed_token(id) && (what.starts_with("source.") || what == "continue");
    ok.then(|| (ec, id.to_owned()))
}

fn served<'a>(app: &'a App, ec: &EcFiscalCode) -> Result<&'a Entity, ImportError> {
    app.entities.get(ec).ok_or(ImportError::UnknownEc)
}

fn new_import(app: &App, ec: &EcFiscalCode, format: Format, status: ImportStatus) -> Import {
    let import_id = secret::random_token();
    let now = app.clock.now();
    Import {
        ec: ec.clone(),
        source_key: source_key(ec, &import_id, format),
        import_id,
        format,
        status,
        created_at: now,
        updated_at: now,
        bytes_total: None,
        bytes_done: 0,
        next_line: 1,
        header: None,
        rows_done: 0,
        rows_created: 0,
        rows_unchanged: 0,
        rows_failed: 0,
        errors: vec![],
        report_parts: vec![],
        report_key: None,
        failure: None,
        lease: None,
    }
}

/// Whether the start of a file is of its format: NDJSON begins with an
/// object; CSV with a header naming the required columns.
pub fn sniff(format: Format, body: &[u8]) -> Result<(), ImportError> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace()).copied();
    match format {
        Format::Ndjson if first.is_some_and(|b| b != b'{') => Err(ImportError::NotReadable(
            "il file non è NDJSON: ogni riga deve essere un oggetto JSON (una posizione)".into(),
        )),
        Format::Ndjson => Ok(()),
        Format::Csv if first == Some(b'{') => Err(ImportError::NotReadable(
            "il file non è CSV (sembra NDJSON: inviarlo come application/x-ndjson)".into(),
        )),
        Format::Csv => {
            let head = &body[..body.len().min(64 << 10)];
            match import_file::read_chunk(Format::Csv, head, 1, head.len() == body.len(), None) {
                Err(FileError::Unreadable(m)) => Err(ImportError::NotReadable(m)),
                Ok(_) => Ok(()),
            }
        }
    }
}

/// An import of a file sent as the request's body: stored, then processed.
pub async fn start_direct(
    app: &App,
    ec: &EcFiscalCode,
    format: Format,
    body: &[u8],
) -> Result<Import, ImportError> {
    served(app, ec)?;
    if body.len() > MAX_DIRECT_BYTES {
        return Err(ImportError::TooLarge);
    }
    sniff(format, body)?;
    let mut import = new_import(app, ec, format, ImportStatus::Queued);
    import.bytes_total = Some(body.len() as u64);
    app.imports.create_import(&import).await?;
    // Its arrival starts the processing.
    let doc = Document {
        content_type: format.content_type().into(),
        bytes: body.to_vec(),
    };
    app.documents.put(&import.source_key, &doc).await?;
    tracing::info!(ec = %ec, import = %import.import_id, bytes = body.len(), "import queued");
    Ok(import)
}

/// An import whose file will be uploaded to the URL returned (HTTP PUT with
/// the format's content type, within [`UPLOAD_SECS`]).
pub async fn start_upload(
    app: &App,
    ec: &EcFiscalCode,
    format: Format,
) -> Result<(Import, String), ImportError> {
    served(app, ec)?;
    let import = new_import(app, ec, format, ImportStatus::AwaitingUpload);
    app.imports.create_import(&import).await?;
    let url = app
        .documents
        .presign_put(&import.source_key, format.content_type(), UPLOAD_SECS)
        .await?;
    tracing::info!(ec = %ec, import = %import.import_id, "import awaiting upload");
    Ok((import, url))
}

pub async fn get(app: &App, ec: &EcFiscalCode, import_id: &str) -> Result<Import, ImportError> {
    served(app, ec)?;
    if !secret::well_formed_token(import_id) {
        return Err(ImportError::NotFound);
    }
    Ok(app
        .imports
        .get_import(ec, import_id)
        .await?
        .ok_or(ImportError::NotFound)?
        .value)
}

pub async fn list(app: &App, ec: &EcFiscalCode, limit: usize) -> Result<Vec<Import>, ImportError> {
    served(app, ec)?;
    Ok(app.imports.imports(ec, limit).await?)
}

/// A URL of the whole per-row report, once the import is done.
pub async fn report_url(app: &App, import: &Import) -> Result<Option<String>, ImportError> {
    match &import.report_key {
        Some(key) => Ok(Some(app.documents.presign_get(key, REPORT_SECS).await?)),
        None => Ok(None),
    }
}

/// What the document store's trigger delivers: processes the import the key
/// belongs to (other keys are ignored).
pub async fn triggered(
    app: &App,
    key: &str,
    time_left: &(dyn Fn() -> Duration + Sync),
) -> Result<Option<Import>, ImportError> {
    match import_of_key(key) {
        Some((ec, id)) => process(app, &ec, &id, time_left).await.map(Some),
        None => {
            tracing::warn!(key, "not an import's file: ignored");
            Ok(None)
        }
    }
}

/// The report's lines of one entry: `row,iupd,outcome,field,message`.
fn report_lines(
    w: &mut csv::Writer<Vec<u8>>,
    entry: &Entry,
    outcome: RowOutcome,
    errors: &[RowError],
) {
    let outcome = match outcome {
        RowOutcome::Created => "created",
        RowOutcome::Unchanged => "unchanged",
        RowOutcome::Failed => "failed",
    };
    let iupd = entry.iupd.as_deref().unwrap_or("");
    for row in &entry.rows {
        let mine: Vec<&RowError> = errors.iter().filter(|e| e.row == *row).collect();
        let row = row.to_string();
        if mine.is_empty() {
            let _ = w.write_record([row.as_str(), iupd, outcome, "", ""]);
        }
        for e in mine {
            let _ = w.write_record([row.as_str(), iupd, outcome, &e.field, &e.message]);
        }
    }
}

/// Runs an import from its checkpoint until it is done, fails, or time is
/// short (then a `continue` marker triggers the next run).
pub async fn process(
    app: &App,
    ec: &EcFiscalCode,
    import_id: &str,
    time_left: &(dyn Fn() -> Duration + Sync),
) -> Result<Import, ImportError> {
    process_in(app, ec, import_id, time_left, CHUNK_BYTES).await
}

/// [`process`] with chunks of `chunk_bytes`.
async fn process_in(
    app: &App,
    ec: &EcFiscalCode,
    import_id: &str,
    time_left: &(dyn Fn() -> Duration + Sync),
    chunk_bytes: u64,
) -> Result<Import, ImportError> {
    let entity = served(app, ec)?;
    let me = secret::random_token();
    // The lease first: a second trigger of the same import finds it held.
    let current = app
        .imports
        .get_import(ec, import_id)
        .await?
        .ok_or(ImportError::NotFound)?;
    let mut imp = current.value;
    let now = app.clock.now();
    if imp.status.is_final() || imp.lease.as_ref().is_some_and(|(_, until)| *until > now) {
        return Ok(imp);
    }
    imp.lease = Some((me.clone(), now + chrono::Duration::seconds(LEASE_SECS)));
    imp.status = ImportStatus::Running;
    imp.updated_at = now;
    match app.imports.save_import(&imp, current.version).await {
        Ok(()) => {}
        Err(StoreError::VersionConflict) => return Ok(imp),
        Err(e) => return Err(e.into()),
    }
    let result = run(app, entity, ec, import_id, &me, time_left, chunk_bytes).await;
    if result.is_err() {
        // Given back at once, so the trigger's retry can go on.
        let _ = release(app, ec, import_id, &me).await;
    }
    result
}

/// Gives the lease back, if this run still holds it.
async fn release(
    app: &App,
    ec: &EcFiscalCode,
    import_id: &str,
    me: &str,
) -> Result<Import, ImportError> {
    let current = app
        .imports
        .get_import(ec, import_id)
        .await?
        .ok_or(ImportError::NotFound)?;
    let mut imp = current.value;
    if imp.lease.as_ref().is_some_and(|(owner, _)| owner == me) {
        imp.lease = None;
        app.imports.save_import(&imp, current.version).await?;
    }
    Ok(imp)
}

/// Chunk after chunk, holding the lease.
async fn run(
    app: &App,
    entity: &Entity,
    ec: &EcFiscalCode,
    import_id: &str,
    me: &str,
    time_left: &(dyn Fn() -> Duration + Sync),
    chunk_bytes: u64,
) -> Result<Import, ImportError> {
    let mut slowest = Duration::from_secs(5);
    loop {
        let started = std::time::Instant::now();
        let current = app
            .imports
            .get_import(ec, import_id)
            .await?
            .ok_or(ImportError::NotFound)?;
        let mut imp = current.value.clone();
        let now = app.clock.now();
        if imp.status.is_final() {
            return Ok(imp);
        }
        if let Some((owner, until)) = &imp.lease {
            if owner != me && *until > now {
                tracing::info!(import = %import_id, "another run holds the import");
                return Ok(imp);
            }
        }
        imp.lease = Some((me.to_owned(), now + chrono::Duration::seconds(LEASE_SECS)));
        imp.status = ImportStatus::Running;
        imp.updated_at = now;
        let read = app
            .documents
            .read_range(&imp.source_key, imp.bytes_done, chunk_bytes)
            .await?;
        let Some((bytes, total)) = read else {
            return fail(app, imp, current.version, "file non trovato".into()).await;
        };
        if total > MAX_FILE_BYTES {
            let m = format!("file più grande di {} MB", MAX_FILE_BYTES >> 20);
            return fail(app, imp, current.version, m).await;
        }
        imp.bytes_total = Some(total);
        let last = imp.bytes_done + bytes.len() as u64 >= total;
        let chunk = match import_file::read_chunk(
            imp.format,
            &bytes,
            imp.next_line,
            last,
            imp.header.as_deref(),
        ) {
            Ok(c) => c,
            Err(FileError::Unreadable(m)) => return fail(app, imp, current.version, m).await,
        };
        if imp.bytes_done == 0 && imp.format == Format::Ndjson {
            if let Err(ImportError::NotReadable(m)) = sniff(Format::Ndjson, &bytes) {
                return fail(app, imp, current.version, m).await;
            }
        }
        if chunk.consumed == 0 && !last {
            let m = format!(
                "riga {}: una posizione occupa più di {} MB",
                imp.next_line,
                chunk_bytes >> 20
            );
            return fail(app, imp, current.version, m).await;
        }
        if let Some(h) = &chunk.header {
            imp.header = Some(h.clone());
        }
        let outcomes = write_entries(app, entity, imp.format, &chunk.entries).await?;
        let mut w = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(Vec::new());
        if imp.report_parts.is_empty() {
            let _ = w.write_record(["row", "iupd", "outcome", "field", "message"]);
        }
        for (entry, (outcome, errors)) in chunk.entries.iter().zip(&outcomes) {
            report_lines(&mut w, entry, *outcome, errors);
            for (k, _) in entry.rows.iter().enumerate() {
                imp.count(*outcome, if k == 0 { errors } else { &[] });
            }
        }
        let part = format!(
            "imports/{ec}/{import_id}/report/{:06}-{me}.csv",
            imp.report_parts.len()
        );
        let doc = Document {
            content_type: "text/csv".into(),
            bytes: w.into_inner().unwrap_or_default(),
        };
        app.documents.put(&part, &doc).await?;
        imp.report_parts.push(part);
        imp.bytes_done += chunk.consumed as u64;
        imp.next_line += chunk.lines;
        let finished = last;
        if finished {
            let key = format!("imports/{ec}/{import_id}/report.csv");
            app.documents
                .concat(&imp.report_parts, &key, "text/csv; charset=utf-8")
                .await?;
            imp.report_key = Some(key);
            imp.status = ImportStatus::Done;
            imp.lease = None;
            imp.bytes_done = total;
        }
        imp.updated_at = app.clock.now();
        match app.imports.save_import(&imp, current.version).await {
            Ok(()) => {}
            Err(StoreError::VersionConflict) => {
                tracing::warn!(import = %import_id, "lease lost: another run goes on");
                return Ok(imp);
            }
            Err(e) => return Err(e.into()),
        }
        tracing::info!(import = %import_id, rows = imp.rows_done, bytes = imp.bytes_done, "import chunk done");
        if finished {
            tracing::info!(ec = %ec, import = %import_id, created = imp.rows_created,
                unchanged = imp.rows_unchanged, failed = imp.rows_failed, "import done");
            return Ok(imp);
        }
        slowest = slowest.max(started.elapsed());
        if time_left() < slowest * 2 {
            return requeue(app, ec, import_id, me).await;
        }
    }
}

/// Imports left behind (a run that died after its trigger's last retry):
/// not finished, not leased, untouched for a lease's length. The worker's
/// schedule runs them on.
pub async fn sweep(
    app: &App,
    time_left: &(dyn Fn() -> Duration + Sync),
) -> Result<usize, ImportError> {
    let stale = app.clock.now() - chrono::Duration::seconds(LEASE_SECS);
    let mut resumed = 0;
    for entity in app.entities.iter() {
        for imp in app.imports.imports(&entity.fiscal_code, 20).await? {
            let idle = !imp.status.is_final()
                && imp.status != ImportStatus::AwaitingUpload
                && imp.updated_at < stale
                && imp
                    .lease
                    .as_ref()
                    .is_none_or(|(_, until)| *until < app.clock.now());
            if idle && time_left() > Duration::from_secs(30) {
                tracing::info!(import = %imp.import_id, "resuming a stalled import");
                process(app, &entity.fiscal_code, &imp.import_id, time_left).await?;
                resumed += 1;
            }
        }
    }
    Ok(resumed)
}

/// Gives the import up for the next run, triggered by a `continue` marker.
async fn requeue(
    app: &App,
    ec: &EcFiscalCode,
    import_id: &str,
    me: &str,
) -> Result<Import, ImportError> {
    let imp = release(app, ec, import_id, me).await?;
    let marker = format!("imports/{ec}/{import_id}/continue");
    let doc = Document {
        content_type: "text/plain".into(),
        bytes: imp.bytes_done.to_string().into_bytes(),
    };
    app.documents.put(&marker, &doc).await?;
    tracing::info!(import = %import_id, bytes = imp.bytes_done, "import continues in the next run");
    Ok(imp)
}

async fn fail(
    app: &App,
    mut imp: Import,
    version: u64,
    why: String,
) -> Result<Import, ImportError> {
    tracing::warn!(import = %imp.import_id, reason = %why, "import failed");
    imp.status = ImportStatus::Failed;
    imp.failure = Some(why);
    imp.lease = None;
    imp.updated_at = app.clock.now();
    match app.imports.save_import(&imp, version).await {
        Ok(()) | Err(StoreError::VersionConflict) => Ok(imp),
        Err(e) => Err(e.into()),
    }
}

/// A position to write: the entry it comes from, its draft, the position.
struct Pending {
    entry: usize,
    draft: PositionDraft,
    position: Position,
}

fn build(
    app: &App,
    entity: &Entity,
    format: Format,
    entry: &Entry,
    draft: &PositionDraft,
) -> Result<Position, Vec<RowError>> {
    let numbers = draw_numbers(entity, draft.missing_notice_numbers());
    draft
        .clone()
        .build(entity.fiscal_code.clone(), numbers, app.clock.now())
        .map_err(|e| import_file::row_errors_of(format, &entry.rows, &e))
}

fn failed(entry: &Entry, field: &str, message: &str) -> (RowOutcome, Vec<RowError>) {
    (
        RowOutcome::Failed,
        vec![RowError {
            row: entry.rows[0],
            field: field.into(),
            message: message.into(),
        }],
    )
}

/// Writes a chunk's positions in transactions of at most [`BATCH_ITEMS`]
/// items; one outcome per entry. A store failure is an error (the chunk is
/// run again, and what was written counts as unchanged).
async fn write_entries(
    app: &App,
    entity: &Entity,
    format: Format,
    entries: &[Entry],
) -> Result<Vec<(RowOutcome, Vec<RowError>)>, ImportError> {
    let mut outcomes: Vec<Option<(RowOutcome, Vec<RowError>)>> = vec![None; entries.len()];
    let mut queue: Vec<Pending> = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        match &e.draft {
            Err(errors) => outcomes[i] = Some((RowOutcome::Failed, errors.clone())),
            Ok(d) => match build(app, entity, format, e, d) {
                Ok(position) => queue.push(Pending {
                    entry: i,
                    draft: d.clone(),
                    position,
                }),
                Err(errors) => outcomes[i] = Some((RowOutcome::Failed, errors)),
            },
        }
    }
    // Drawn numbers already taken are drawn again, a few times.
    for _round in 0..5 {
        if queue.is_empty() {
            break;
        }
        let mut retry = Vec::new();
        for batch in batches(std::mem::take(&mut queue)) {
            let positions: Vec<Position> = batch.iter().map(|p| p.position.clone()).collect();
            let results = app.positions.insert_batch(&positions).await?;
            for (p, r) in batch.into_iter().zip(results) {
                let e = &entries[p.entry];
                let outcome = match r {
                    Ok(()) => (RowOutcome::Created, vec![]),
                    Err(StoreError::DuplicateIupd) => {
                        match app.positions.get(&entity.fiscal_code, &p.draft.iupd).await? {
                            Some(x) if x.value.is_cancelled() => failed(
                                e,
                                "iupd",
                                "esiste una posizione annullata con questo iupd",
                            ),
                            Some(x) if same_content(&x.value, &p.draft) => {
                                (RowOutcome::Unchanged, vec![])
                            }
                            _ => failed(
                                e,
                                "iupd",
                                "esiste già una posizione con questo iupd e contenuto diverso: per modificarla usare PUT",
                            ),
                        }
                    }
                    Err(StoreError::DuplicateNotice(n))
                        if p.draft
                            .payment_options
                            .iter()
                            .any(|o| o.notice_number == Some(n)) =>
                    {
                        failed(
                            e,
                            "noticeNumber",
                            &format!("il codice avviso {n} è già utilizzato"),
                        )
                    }
                    Err(StoreError::DuplicateNotice(_)) => {
                        match build(app, entity, format, e, &p.draft) {
                            Ok(position) => retry.push(Pending { position, ..p }),
                            Err(errors) => outcomes[p.entry] = Some((RowOutcome::Failed, errors)),
                        }
                        continue;
                    }
                    Err(other) => return Err(other.into()),
                };
                outcomes[p.entry] = Some(outcome);
            }
        }
        queue = retry;
    }
    Ok(outcomes
        .into_iter()
        .map(|o| {
            o.unwrap_or_else(|| {
                (
                    RowOutcome::Failed,
                    vec![RowError {
                        row: 0,
                        field: "noticeNumber".into(),
                        message: "nessun codice avviso libero trovato: riprovare".into(),
                    }],
                )
            })
        })
        .collect())
}

/// Splits positions into transactions: at most [`BATCH_ITEMS`] items, and
/// never one iupd or notice number twice in one (a later row with the same
/// iupd goes after the earlier one's batch, so it meets it as existing).
fn batches(queue: Vec<Pending>) -> Vec<Vec<Pending>> {
    let mut out: Vec<Vec<Pending>> = Vec::new();
    let mut current: Vec<Pending> = Vec::new();
    let mut items = 0;
    for p in queue {
        let size = 1 + p.position.payment_options.len();
        let clash = current.iter().any(|q| {
            q.position.iupd == p.position.iupd
                || q.position.payment_options.iter().any(|a| {
                    p.position
                        .payment_options
                        .iter()
                        .any(|b| a.notice_number.iuv() == b.notice_number.iuv())
                })
        });
        if !current.is_empty() && (items + size > BATCH_ITEMS || clash) {
            out.push(std::mem::take(&mut current));
            items = 0;
        }
        items += size;
        current.push(p);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::import::ImportStatus;
    use crate::memory::Fault;
    use crate::ports::DocumentStore;
    use crate::service::import_file::tests::{ndjson_row, CSV_HEAD};
    use crate::service::positions;
    use crate::service::testkit::{ec, kit};

    fn plenty() -> Duration {
        Duration::from_secs(600)
    }

    async fn report(app: &App, imp: &Import) -> Vec<String> {
        let doc = app
            .documents
            .get(imp.report_key.as_ref().unwrap())
            .await
            .unwrap()
            .unwrap();
        String::from_utf8(doc.bytes)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    #[tokio::test]
    async fn an_ndjson_file_is_imported_with_row_errors_and_a_report() {
        let (app, _) = kit().await;
        let mut file = String::new();
        for i in 0..30 {
            file.push_str(&ndjson_row(&format!("TARI-{i}"), 100 + i));
        }
        file.push_str("{\"iupd\": \"BAD\", \"debtor\": {}}\n");
        file.push_str("not json at all\n");
        // The same row twice: the second is unchanged; the same iupd with
        // another amount: a row error.
        file.push_str(&ndjson_row("TARI-0", 100));
        file.push_str(&ndjson_row("TARI-1", 999));
        let imp = start_direct(&app, &ec(), Format::Ndjson, file.as_bytes())
            .await
            .unwrap();
        assert_eq!(imp.status, ImportStatus::Queued);
        let done = process_in(&app, &ec(), &imp.import_id, &plenty, 700)
            .await
            .unwrap();
        assert_eq!(done.status, ImportStatus::Done, "{:?}", done.failure);
        assert_eq!(done.rows_total(), Some(34));
        assert_eq!(
            (done.rows_created, done.rows_unchanged, done.rows_failed),
            (30, 1, 3)
        );
        assert!(done.report_parts.len() > 3, "read in several chunks");
        let rows: Vec<u64> = done.errors.iter().map(|e| e.row).collect();
        assert!(
            rows.contains(&31) && rows.contains(&32) && rows.contains(&34),
            "{rows:?}"
        );
        let iupd_error = done.errors.iter().find(|e| e.row == 34).unwrap();
        assert_eq!(iupd_error.field, "iupd");
        assert!(iupd_error.message.contains("PUT"));
        // Created for real, with drawn notice numbers.
        let p = positions::get(
            &app,
            &ec(),
            &crate::domain::text::Iupd::parse("TARI-7").unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(p.value.payment_options[0].amount_cents.cents(), 107);
        let lines = report(&app, &done).await;
        assert_eq!(lines[0], "row,iupd,outcome,field,message");
        assert_eq!(lines[1], "1,TARI-0,created,,");
        assert!(lines.iter().any(|l| l.starts_with("33,TARI-0,unchanged")));
        assert!(lines.iter().any(|l| l.starts_with("32,,failed,,")));
        // Imported again: every valid row unchanged, nothing duplicated.
        let again = start_direct(&app, &ec(), Format::Ndjson, file.as_bytes())
            .await
            .unwrap();
        let again = process(&app, &ec(), &again.import_id, &plenty)
            .await
            .unwrap();
        assert_eq!(
            (again.rows_created, again.rows_unchanged, again.rows_failed),
            (0, 31, 3)
        );
        assert!(report_url(&app, &again).await.unwrap().is_some());
        assert_eq!(list(&app, &ec(), 10).await.unwrap().len(), 2);
    }

    #[tokio::test]
    async fn a_run_short_of_time_leaves_a_marker_and_the_next_resumes() {
        let (app, fakes) = kit().await;
        let mut file = String::new();
        for i in 0..20 {
            file.push_str(&ndjson_row(&format!("R-{i}"), 100));
        }
        let imp = start_direct(&app, &ec(), Format::Ndjson, file.as_bytes())
            .await
            .unwrap();
        let short = || Duration::from_secs(1);
        let first = process_in(&app, &ec(), &imp.import_id, &short, 1000)
            .await
            .unwrap();
        assert_eq!(first.status, ImportStatus::Running);
        assert!(first.rows_done > 0 && first.rows_done < 20);
        assert!(first.lease.is_none(), "given up for the next run");
        let marker = format!("imports/{}/{}/continue", ec(), imp.import_id);
        assert!(fakes.documents.get(&marker).await.unwrap().is_some());
        assert_eq!(import_of_key(&marker), Some((ec(), imp.import_id.clone())));
        // The marker's trigger: the next run goes on from the checkpoint.
        let done = triggered(&app, &marker, &plenty).await.unwrap().unwrap();
        assert_eq!(done.status, ImportStatus::Done);
        assert_eq!((done.rows_created, done.rows_done), (20, 20));
        // A trigger for a finished import does nothing more.
        let again = triggered(&app, &imp.source_key, &plenty)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(again.rows_done, 20);
        assert!(triggered(&app, "receipts/x.pdf", &plenty)
            .await
            .unwrap()
            .is_none());
    }

    #[tokio::test]
    async fn a_store_failure_mid_chunk_is_retried_without_duplicates() {
        let (app, fakes) = kit().await;
        let mut file = String::new();
        for i in 0..10 {
            file.push_str(&ndjson_row(&format!("F-{i}"), 100));
        }
        let imp = start_direct(&app, &ec(), Format::Ndjson, file.as_bytes())
            .await
            .unwrap();
        // The batch is written, then the call times out: the run fails.
        fakes
            .store
            .faults
            .inject("insert_batch", Fault::TimeoutAfterWrite, 1);
        assert!(matches!(
            process(&app, &ec(), &imp.import_id, &plenty).await,
            Err(ImportError::Store(_))
        ));
        // The failed run gave its lease back: the trigger's retry reads the
        // chunk again; what was written is unchanged, nothing twice.
        let done = process(&app, &ec(), &imp.import_id, &plenty).await.unwrap();
        assert_eq!(done.status, ImportStatus::Done);
        assert_eq!(done.rows_done, 10);
        assert_eq!(done.rows_failed, 0);
        assert_eq!(done.rows_created + done.rows_unchanged, 10);
    }

    #[tokio::test]
    async fn a_held_lease_keeps_a_second_run_out() {
        let (app, _) = kit().await;
        let imp = start_direct(&app, &ec(), Format::Ndjson, ndjson_row("L-1", 1).as_bytes())
            .await
            .unwrap();
        let v = app
            .imports
            .get_import(&ec(), &imp.import_id)
            .await
            .unwrap()
            .unwrap();
        let mut held = v.value.clone();
        held.lease = Some((
            "other".into(),
            app.clock.now() + chrono::Duration::seconds(60),
        ));
        app.imports.save_import(&held, v.version).await.unwrap();
        let r = process(&app, &ec(), &imp.import_id, &plenty).await.unwrap();
        assert_eq!(r.rows_done, 0);
        assert_eq!(r.status, ImportStatus::Queued);
    }

    #[tokio::test]
    async fn the_sweep_resumes_an_import_whose_run_died() {
        use crate::service::testkit::{at, now};
        let (app, _) = kit().await;
        let imp = start_direct(&app, &ec(), Format::Ndjson, ndjson_row("W-1", 1).as_bytes())
            .await
            .unwrap();
        let v = app
            .imports
            .get_import(&ec(), &imp.import_id)
            .await
            .unwrap()
            .unwrap();
        let mut dead = v.value.clone();
        dead.status = ImportStatus::Running;
        dead.lease = Some(("dead".into(), now() + chrono::Duration::seconds(LEASE_SECS)));
        app.imports.save_import(&dead, v.version).await.unwrap();
        // While its lease runs, the sweep leaves it alone.
        assert_eq!(sweep(&app, &plenty).await.unwrap(), 0);
        let later = at(&app, now() + chrono::Duration::seconds(LEASE_SECS + 1));
        assert_eq!(sweep(&later, &plenty).await.unwrap(), 1);
        let done = get(&later, &ec(), &imp.import_id).await.unwrap();
        assert_eq!((done.status, done.rows_created), (ImportStatus::Done, 1));
        assert_eq!(sweep(&later, &plenty).await.unwrap(), 0);
    }

    #[tokio::test]
    async fn csv_imports_and_unreadable_files() {
        let (app, _) = kit().await;
        let row = |iupd: &str, cents: u64, inst: bool| {
            format!("{iupd},F,RSSMRA85T10A562S,Mario Rossi,TARI,TARI 2026,true,{cents},2026-12-31,Rata,{inst},77777777777,IT60X0542811101000000123456,{cents},TARI 2026,9/0101100IM/,,,,,\n")
        };
        let file = format!(
            "{CSV_HEAD}{}{}{}{}",
            row("C-1", 300, false),
            row("C-1", 150, true),
            row("C-1", 150, true),
            row("C-2", 100, false)
        );
        let imp = start_direct(&app, &ec(), Format::Csv, file.as_bytes())
            .await
            .unwrap();
        let done = process(&app, &ec(), &imp.import_id, &plenty).await.unwrap();
        assert_eq!((done.rows_done, done.rows_created), (4, 4));
        let c1 = positions::get(
            &app,
            &ec(),
            &crate::domain::text::Iupd::parse("C-1").unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(c1.value.payment_options.len(), 3);
        // Not the format it claims: refused at once.
        for (format, body, says) in [
            (Format::Csv, ndjson_row("X", 1), "NDJSON"),
            (Format::Ndjson, file.clone(), "NDJSON"),
            (Format::Csv, "a,b\n1,2\n".to_owned(), "colonne"),
        ] {
            match start_direct(&app, &ec(), format, body.as_bytes()).await {
                Err(ImportError::NotReadable(m)) => assert!(m.contains(says), "{m}"),
                other => panic!("{other:?}"),
            }
        }
        // Uploaded through the URL instead: found unreadable by the run.
        let (imp, url) = start_upload(&app, &ec(), Format::Csv).await.unwrap();
        assert!(url.contains(&imp.import_id));
        assert_eq!(imp.status, ImportStatus::AwaitingUpload);
        let doc = Document {
            content_type: "text/csv".into(),
            bytes: b"colour\nred\n".to_vec(),
        };
        app.documents.put(&imp.source_key, &doc).await.unwrap();
        let failed = triggered(&app, &imp.source_key, &plenty)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(failed.status, ImportStatus::Failed);
        assert!(failed.failure.unwrap().contains("colour"));
        assert!(matches!(
            get(&app, &ec(), "nope").await,
            Err(ImportError::NotFound)
        ));
    }
}
