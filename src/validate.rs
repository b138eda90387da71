//! `courtstat validate`: reads and checks the inputs exactly as `run` does
//! (the same per-file path), publishes nothing, and says per file what it
//! found — for a statistician checking a county's new export before the
//! nightly run.

use crate::messages::{Lang, Msg};
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
    /// the two above in Chinese
    pub skipped_zh: Option<String>,
    pub rejected_zh: Option<String>,
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
        skipped_zh: e.skipped_zh,
        rejected_zh: e.rejected_zh,
        summary_rows: e.warnings.get("summary_row").copied().unwrap_or(0),
        rejected: e.rejected,
    }
}

/// The report as people read it, in `lang`.
pub fn render(v: &Validation, lang: Lang) -> String {
    let mut s = String::new();
    let reports = &v.files;
    let zh = lang == Lang::Zh;
    let mut lines: Vec<String> = Vec::new();
    let mut line = |m: Msg, args: &[&dyn std::fmt::Display]| lines.push(m.say(lang, args));
    for r in reports {
        line(Msg::ValFile, &[&r.file]);
        let enc = r
            .encoding
            .map(|e| serde_json::to_value(e).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default())
            .unwrap_or_else(|| "-".into());
        let delim = match (r.delimiter.as_deref(), zh) {
            (Some("comma"), true) => "逗号",
            (Some("tab"), true) => "制表符",
            (d, _) => d.unwrap_or("-"),
        };
        let q: u64 = r.quarantined.values().map(|v| v.0).sum();
        line(Msg::ValEncoding, &[&enc, &delim, &r.records, &r.cases, &q]);
        if !r.mapping.is_empty() {
            let m: Vec<String> = r.mapping.iter().map(|(c, cell)| format!("{c} ← {cell}")).collect();
            line(Msg::ValHeader, &[&m.join(if zh { "，" } else { ", " })]);
        }
        if r.title_lines > 0 {
            line(Msg::ValTitleLines, &[&r.title_lines]);
        }
        if r.summary_rows > 0 {
            line(Msg::ValSummaryRows, &[&r.summary_rows]);
        }
        if !r.unknown.is_empty() {
            line(Msg::ValUnknown, &[&r.unknown.join(if zh { "，" } else { ", " })]);
        }
        if !r.court_codes.is_empty() {
            line(Msg::ValCourtCodes, &[&r.court_codes.join(if zh { "，" } else { ", " })]);
        }
        for (reason, (n, at, raw)) in &r.quarantined {
            let shown = if zh { crate::domain::QuarantineReason::of_code(reason).map_or(*reason, |q| q.label()) } else { reason };
            line(Msg::ValQuarantined, &[&shown, n, at, raw]);
        }
        let (skipped, rejected) = if zh { (&r.skipped_zh, &r.rejected_zh) } else { (&r.skipped, &r.rejected) };
        if let Some(why) = skipped {
            line(Msg::ValSkipped, &[why]);
            continue;
        }
        match rejected {
            Some(why) => line(Msg::ValRejected, &[why]),
            None => line(Msg::ValAccepted, &[]),
        }
    }
    if !v.unreported.is_empty() {
        let names: Vec<String> = v.unreported.iter().map(|(code, name)| format!("{code} {name}")).collect();
        line(Msg::ValUnreported, &[&names.len(), &names.join(if zh { "、" } else { ", " })]);
    }
    let rejected = reports.iter().filter(|r| r.rejected.is_some()).count();
    line(Msg::ValTotal, &[&reports.len(), &rejected]);
    for l in lines {
        let _ = writeln!(s, "{l}");
    }
    s
}
