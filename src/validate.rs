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
    /// non-blank lines above the header, and 合计 rows skipped (§2)
    pub title_lines: u64,
    pub summary_rows: u64,
    /// a workbook sheet without a header, skipped (§2)
    pub skipped: Option<String>,
    pub rejected: Option<String>,
}

/// What `validate` found: each file, and the basic courts of the courts
/// table that no file would give a case of (未报送 in a run, §9).
#[derive(Debug, Clone)]
pub struct Validation {
    pub files: Vec<FileReport>,
    /// (code, name), in the table's order
    pub unreported: Vec<(String, String)>,
}

impl Validation {
    pub fn any_rejected(&self) -> bool {
        self.files.iter().any(|r| r.rejected.is_some())
    }
}

pub fn validate(settings: &Settings) -> Result<Validation, Error> {
    let courts = Courts::load(settings.courts.as_deref())?;
    let causes = crate::load_causes(settings)?;
    let discovery = discover_inputs(settings)?;
    let hasher = PartyHasher::new(settings.hash_key.clone());
    let ctx = RowContext::new(settings.rules(), &courts, &causes, &hasher);
    let positions: Vec<u32> = (0..discovery.files.len() as u32).collect();
    let mut parsed = normalize::parse_all(&discovery.files, &positions, &ctx, &|_| ());
    normalize::settle_workbooks(parsed.iter_mut().map(|p| &mut p.account));
    let held: std::collections::BTreeSet<crate::reference::CourtId> =
        parsed.iter().filter(|p| !p.account.is_rejected()).flat_map(|p| p.account.courts.iter().copied()).collect();
    let unreported = courts
        .list
        .iter()
        .enumerate()
        .filter(|(id, c)| c.level == crate::reference::CourtLevel::Basic && !held.contains(&(*id as crate::reference::CourtId)))
        .map(|(_, c)| (c.code.clone(), c.name.clone()))
        .collect();
    Ok(Validation { files: parsed.into_iter().map(report_of).collect(), unreported })
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
        title_lines: e.title_lines,
        skipped: e.skipped,
        summary_rows: e.warnings.get("summary_row").copied().unwrap_or(0),
        rejected: e.rejected,
    }
}

/// The report as people read it.
pub fn render(v: &Validation) -> String {
    let mut s = String::new();
    let reports = &v.files;
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
        if r.title_lines > 0 {
            let _ = writeln!(s, "  {} title lines above the header skipped", r.title_lines);
        }
        if r.summary_rows > 0 {
            let _ = writeln!(s, "  {} summary rows (合计) skipped", r.summary_rows);
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
        if let Some(why) = &r.skipped {
            let _ = writeln!(s, "  sheet skipped: {why}");
            continue;
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
    if !v.unreported.is_empty() {
        let names: Vec<String> = v.unreported.iter().map(|(code, name)| format!("{code} {name}")).collect();
        let _ = writeln!(s, "{} basic courts of the courts table have no case in any file (未报送): {}", names.len(), names.join(", "));
    }
    let rejected = reports.iter().filter(|r| r.rejected.is_some()).count();
    let _ = writeln!(s, "{} files checked, {rejected} would be rejected", reports.len());
    s
}
