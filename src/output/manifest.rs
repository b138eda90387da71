//! `run.json`, the manifest (§9): what was read, what became of it, and what
//! was written, so that every dropped row can be accounted for.

use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Serialize)]
pub struct Manifest {
    pub tool: &'static str,
    pub version: &'static str,
    pub complete: bool,
    pub settings: serde_json::Value,
    pub party_names: String,
    pub files: Vec<FileEntry>,
    pub ignored_files: Vec<String>,
    pub rejected_files: Vec<String>,
    pub rows_read: u64,
    pub rows_quarantined: u64,
    pub quarantine_by_reason: BTreeMap<String, u64>,
    pub warnings: BTreeMap<String, u64>,
    pub cases_valid: u64,
    pub duplicates_dropped: u64,
    /// case numbers sent more than once, and those whose versions disagree on the filing date
    pub duplicate_keys: u64,
    pub duplicate_conflicts: u64,
    pub cases_kept: u64,
    pub courts_ranked: usize,
    pub rows_per_output: BTreeMap<&'static str, usize>,
    pub outputs: Vec<super::publish::WrittenFile>,
    /// what the incremental cache saved; `null` with `--no-cache`
    pub cache: Option<crate::cache::CacheStats>,
    pub timings_ms: BTreeMap<&'static str, u64>,
    /// resident memory after each stage and the peak (Linux), in MB
    pub memory_mb: BTreeMap<&'static str, u64>,
}

/// One input file's line of the manifest. Kept between runs too (see
/// `crate::refresh`), so its names are owned.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct FileEntry {
    pub file: String,
    pub bytes: u64,
    pub sha256: Option<String>,
    pub encoding: Option<crate::ingest::Encoding>,
    pub delimiter: Option<String>,
    /// canonical column → header cell as written
    pub header: BTreeMap<String, String>,
    pub unknown_columns: Vec<String>,
    pub data_records: u64,
    pub quarantined: u64,
    pub cases: u64,
    pub quarantine_by_reason: BTreeMap<String, u64>,
    pub warnings: BTreeMap<String, u64>,
    pub rejected: Option<String>,
}
