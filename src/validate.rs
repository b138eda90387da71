//! `courtstat validate`: reads and checks the inputs exactly as `run` does
//! (the same per-file path), publishes nothing, and says per file what it
//! found — for a statistician checking a county's new export before the
//! nightly run.

use crate::normalize::{self, parties::PartyHasher, ParsedFile, RowContext};
use crate::reference::Courts;
use crate::{discover_inputs, ingest, Error, Settings};
use std::collections::BTreeMap;
use std::fmt::Write as _;

pub const USAGE_EXAMPLES: &str = "Examples:
  courtstat validate pipelines/hebei.toml
  courtstat validate --input incoming/承德县/

Exit codes: 0 every file would be accepted; 1 a file would be rejected (or
none was found); 2 a usage or pipeline-file error.";

/// What `validate` found in one file.
#[derive(Debug, Clone)]
pub struct FileReport {
    pub file: String,
    pub encoding: Option<ingest::Encoding>,
    /// `comma` or `tab`
    pub delimiter: Option<String>,
    /// canonical column → header cell as written
    pub mapping: Vec<(String, String)>,
    pub unknown: Vec<String>,
    pub records: u64,
    pub cases: u64,
    /// reason → (count, first line, its raw text with party names hashed or redacted)
    pub quarantined: BTreeMap<&'static str, (u64, u64, String)>,
    pub court_codes: Vec<String>,
    pub rejected: Option<String>,
}

pub fn validate(settings: &Settings) -> Result<Vec<FileReport>, Error> {
    let courts = Courts::load(settings.courts.as_deref())?;
    let causes = crate::load_causes(settings)?;
    let discovery = discover_inputs(settings)?;
    let hasher = PartyHasher::new(settings.hash_key.clone());
    let ctx = RowContext::new(settings.rules(), &courts, &causes, &hasher);
    let positions: Vec<u32> = (0..discovery.files.len() as u32).collect();
    let parsed = normalize::parse_all(&discovery.files, &positions, &ctx, &|_| ());
    Ok(parsed.into_iter().map(report_of).collect())
}

fn report_of(p: ParsedFile) -> FileReport {
    let mut quarantined: BTreeMap<&'static str, (u64, u64, String)> = BTreeMap::new();
    if let Some(rows) = &p.rows {
        for q in &rows.quarantined {
            quarantined.entry(q.reason.code()).and_modify(|e| e.0 += 1).or_insert((1, q.line, q.raw.clone()));
        }
    }
    let e = p.account.entry;
    FileReport {
        file: e.file,
        encoding: e.encoding,
        delimiter: e.delimiter,
        mapping: e.header.into_iter().collect(),
        unknown: e.unknown_columns,
        records: e.data_records,
        cases: e.cases,
        quarantined,
        court_codes: p.account.court_codes,
        rejected: e.rejected,
    }
}

/// The report as people read it.
pub fn render(reports: &[FileReport]) -> String {
    let mut s = String::new();
    for r in reports {
        let _ = writeln!(s, "{}", r.file);
        let enc = r
            .encoding
            .map(|e| serde_json::to_value(e).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default())
            .unwrap_or_else(|| "-".into());
        let delim = r.delimiter.as_deref().unwrap_or("-");
        let q: u64 = r.quarantined.values().map(|v| v.0).sum();
        let _ = writeln!(s, "  encoding {enc}, delimiter {delim}; {} data records: {} valid, {q} quarantined", r.records, r.cases);
        if !r.mapping.is_empty() {
            let m: Vec<String> = r.mapping.iter().map(|(c, cell)| format!("{c} ← {cell}")).collect();
            let _ = writeln!(s, "  header: {}", m.join(", "));
        }
        if !r.unknown.is_empty() {
            let _ = writeln!(s, "  unrecognised columns (ignored): {}", r.unknown.join(", "));
        }
        if !r.court_codes.is_empty() {
            let _ = writeln!(s, "  court codes: {}", r.court_codes.join(", "));
        }
        for (reason, (n, line, raw)) in &r.quarantined {
            let _ = writeln!(s, "  {reason}: {n} (first: line {line}: {raw})");
        }
        match &r.rejected {
            Some(why) => {
                let _ = writeln!(s, "  WOULD BE REJECTED: {why}");
            }
            None => {
                let _ = writeln!(s, "  would be accepted");
            }
        }
    }
    let rejected = reports.iter().filter(|r| r.rejected.is_some()).count();
    let _ = writeln!(s, "{} files checked, {rejected} would be rejected", reports.len());
    s
}
