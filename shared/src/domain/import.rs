//! Bulk imports of debt positions: the file formats, the state of an import,
//! and the errors of its rows.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::EcFiscalCode;

/// The formats an import accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Ndjson,
    Csv,
}

impl Format {
    /// From a `Content-Type` (parameters ignored).
    pub fn from_content_type(ct: &str) -> Option<Format> {
        match ct.split(';').next().unwrap_or("").trim() {
            m if m.eq_ignore_ascii_case("application/x-ndjson") => Some(Format::Ndjson),
            m if m.eq_ignore_ascii_case("text/csv") => Some(Format::Csv),
            _ => None,
        }
    }
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Ndjson => "application/x-ndjson",
            Format::Csv => "text/csv",
        }
    }
    pub fn extension(self) -> &'static str {
        match self {
            Format::Ndjson => "ndjson",
            Format::Csv => "csv",
        }
    }
}

/// One error of one row: `row` is the 1-based line number in the file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RowError {
    pub row: u64,
    pub field: String,
    pub message: String,
}

/// Where an import stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    /// Created for an upload through a presigned URL that has not arrived yet.
    AwaitingUpload,
    Queued,
    Running,
    Done,
    /// The file could not be read (not NDJSON or CSV, a bad header, missing).
    /// Rows never fail an import: a bad row is a row error.
    Failed,
}

impl ImportStatus {
    pub fn is_final(self) -> bool {
        matches!(self, ImportStatus::Done | ImportStatus::Failed)
    }
}

/// How many row errors an import keeps in its record (the report has all).
pub const KEPT_ERRORS: usize = 100;

/// An import as stored: its file, how far it got, and what it found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Import {
    pub ec: EcFiscalCode,
    pub import_id: String,
    pub format: Format,
    pub status: ImportStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Where the file is (document store key).
    pub source_key: String,
    /// The file's size, once known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes_total: Option<u64>,
    /// Bytes read so far: where the next chunk starts.
    #[serde(default)]
    pub bytes_done: u64,
    /// The file line the next chunk starts at (1-based).
    pub next_line: u64,
    /// The CSV header, once read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<Vec<String>>,
    #[serde(default)]
    pub rows_done: u64,
    #[serde(default)]
    pub rows_created: u64,
    #[serde(default)]
    pub rows_unchanged: u64,
    #[serde(default)]
    pub rows_failed: u64,
    /// The first [`KEPT_ERRORS`] row errors.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<RowError>,
    /// The report's parts, one per chunk, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub report_parts: Vec<String>,
    /// The whole report, once done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_key: Option<String>,
    /// Why the file could not be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    /// The worker processing it, until when (a worker that dies loses it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease: Option<(String, DateTime<Utc>)>,
}

impl Import {
    /// Rows in the file: known once it has been read to the end.
    pub fn rows_total(&self) -> Option<u64> {
        (self.status == ImportStatus::Done).then_some(self.rows_done)
    }

    /// Counts one row's outcome, keeping the first errors.
    pub fn count(&mut self, outcome: RowOutcome, errors: &[RowError]) {
        self.rows_done += 1;
        match outcome {
            RowOutcome::Created => self.rows_created += 1,
            RowOutcome::Unchanged => self.rows_unchanged += 1,
            RowOutcome::Failed => self.rows_failed += 1,
        }
        let room = KEPT_ERRORS.saturating_sub(self.errors.len());
        self.errors.extend(errors.iter().take(room).cloned());
    }
}

/// What became of one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RowOutcome {
    Created,
    Unchanged,
    Failed,
}
