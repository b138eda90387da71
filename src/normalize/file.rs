//! Stage 2 for whole files: what each input file became — its rows, or why
//! it was rejected (§5.2) — and the accepted files' rows merged in input
//! order, each file's causes numbered into the run's.

use super::{court_codes_in, validate_file, FileRows, QuarantinedRow, RowContext, RunCauses};
use crate::domain::{Case, CourtId};
use crate::ingest::{self, Encoding, InputFile, ReadFile, Rejection, Stamp};
use std::collections::{BTreeMap, BTreeSet};

/// One input file's line of the manifest (§9).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FileEntry {
    pub file: String,
    pub bytes: u64,
    pub sha256: Option<String>,
    pub encoding: Option<Encoding>,
    pub delimiter: Option<String>,
    /// canonical column → header cell as written
    pub header: BTreeMap<String, String>,
    pub unknown_columns: Vec<String>,
    /// non-blank lines above the header (§2)
    pub title_lines: u64,
    pub data_records: u64,
    pub quarantined: u64,
    pub cases: u64,
    pub quarantine_by_reason: BTreeMap<String, u64>,
    /// fields of its quarantined records that lost personal data (§5.1)
    pub fields_redacted: u64,
    pub warnings: BTreeMap<String, u64>,
    pub rejected: Option<String>,
    /// the same in Chinese, for the messages of `--lang zh`
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub rejected_zh: Option<String>,
    /// a workbook's sheet: its name
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sheet: Option<String>,
    /// a workbook's sheet without a header, skipped because another sheet
    /// of the workbook has one (§2): why it has none
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub skipped: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub skipped_zh: Option<String>,
}

/// Everything a run needs to know of one input file but its rows: the
/// manifest line, whether and why it was rejected, the courts it holds
/// cases of, and the causes its rows' numbers index. Plain data, so that
/// the incremental layer can keep it for a file that did not change.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FileAccount {
    pub entry: FileEntry,
    /// what identified the bytes read (`None` when the file could not be read)
    pub stamp: Option<Stamp>,
    /// the court code of every case number that parsed, valid or not (for
    /// `complete = false` when the file is rejected)
    pub court_codes: Vec<String>,
    /// the courts of its valid cases
    pub courts: Vec<CourtId>,
    /// its causes in order of first appearance (what its cases' `CauseId`s
    /// index before the merge)
    pub causes: Vec<String>,
    /// no line maps every required column (or there is no line at all)
    pub header_missing: bool,
}

impl FileAccount {
    pub fn name(&self) -> &str {
        &self.entry.file
    }
    pub fn is_rejected(&self) -> bool {
        self.entry.rejected.is_some()
    }
}

/// A file after stages 1 and 2: its account, and its rows when its header
/// mapped (a rejected file may still have rows: they enter nothing).
#[derive(Debug)]
pub struct ParsedFile {
    pub account: FileAccount,
    pub rows: Option<FileRows>,
}

/// Stages 1 and 2 for `files`, which sit at `positions` among the run's
/// inputs (what their cases' and quarantined rows' `file` say); results in
/// the order given. `done` is told of each file as it is finished.
pub fn parse_all(files: &[InputFile], positions: &[u32], ctx: &RowContext, done: &(dyn Fn(&InputFile) + Sync)) -> Vec<ParsedFile> {
    ingest::each_read(files, |k, read| {
        let parsed = parse_read(positions[k], &files[k], read, ctx);
        done(&files[k]);
        parsed
    })
}

/// Stage 2 for one file read (or not) by stage 1.
pub fn parse_read(position: u32, file: &InputFile, read: Result<ReadFile, Rejection>, ctx: &RowContext) -> ParsedFile {
    let read = match read {
        Ok(r) => r,
        Err(r) => return unread(file, r, None, None),
    };
    let stamp = Some(read.stamp);
    let loaded = match ingest::load(file, read.bytes, read.sha256, &ctx.limits) {
        Ok(l) => l,
        Err((rejection, sha256, encoding)) => return unread(file, rejection, sha256, encoding).with_stamp(stamp),
    };
    let (rows, rejection, court_codes) = match &loaded.header {
        Ok(h) => {
            let rows = validate_file(&loaded, h, position, ctx);
            let rejection = rows.too_many_bad(ctx.max_bad_row_ratio);
            let codes = rows.court_codes.clone();
            (Some(rows), rejection, codes)
        }
        Err(e) => (None, Some(Rejection::Header(e.clone())), court_codes_in(&loaded)),
    };
    let header = loaded.header.as_ref().ok();
    let mut entry = entry_of(file, Some(loaded.sha256.clone()), Some(loaded.encoding), rejection.as_ref());
    if !file.is_workbook() {
        entry.delimiter = Some(if loaded.delimiter == b'\t' { "tab" } else { "comma" }.to_string());
    }
    entry.title_lines = loaded.title_lines;
    if let Some(h) = header {
        entry.header = h.mapping.iter().map(|(c, cell)| (c.name().to_string(), cell.clone())).collect();
        entry.unknown_columns = h.unknown.clone();
    }
    if let Some(r) = &rows {
        count_rows(&mut entry, r);
    }
    let courts: BTreeSet<CourtId> = rows.iter().flat_map(|r| r.cases.iter().map(|c| c.court)).collect();
    let header_missing = matches!(&loaded.header, Err(e) if e.missing_count().is_some());
    let account = FileAccount {
        entry,
        stamp,
        court_codes: court_codes.into_iter().collect(),
        courts: courts.into_iter().collect(),
        causes: rows.as_ref().map(|r| r.causes.clone()).unwrap_or_default(),
        header_missing,
    };
    ParsedFile { account, rows }
}

impl ParsedFile {
    fn with_stamp(mut self, stamp: Option<Stamp>) -> ParsedFile {
        self.account.stamp = stamp;
        self
    }
}

/// A file that could not be read or had no line to take a header from.
fn unread(file: &InputFile, rejection: Rejection, sha256: Option<String>, encoding: Option<Encoding>) -> ParsedFile {
    let header_missing = matches!(rejection, Rejection::Empty);
    let entry = entry_of(file, sha256, encoding, Some(&rejection));
    ParsedFile {
        account: FileAccount { entry, stamp: None, court_codes: Vec::new(), courts: Vec::new(), causes: Vec::new(), header_missing },
        rows: None,
    }
}

fn entry_of(file: &InputFile, sha256: Option<String>, encoding: Option<Encoding>, rejection: Option<&Rejection>) -> FileEntry {
    FileEntry {
        file: file.name.clone(),
        bytes: file.size,
        sha256,
        encoding,
        delimiter: None,
        header: BTreeMap::new(),
        unknown_columns: Vec::new(),
        title_lines: 0,
        data_records: 0,
        quarantined: 0,
        cases: 0,
        quarantine_by_reason: BTreeMap::new(),
        fields_redacted: 0,
        warnings: BTreeMap::new(),
        rejected: rejection.map(|r| r.to_string()),
        rejected_zh: rejection.map(|r| r.message(crate::messages::Lang::Zh)),
        sheet: file.sheet.clone(),
        skipped: None,
        skipped_zh: None,
    }
}

/// §2: a workbook's sheet without a header is skipped (listed, not
/// rejected) when another sheet of the workbook has one; a workbook with no
/// such sheet stays rejected, sheet by sheet. Run on the accounts of both
/// roads, so it is idempotent.
pub fn settle_workbooks<'a>(files: impl IntoIterator<Item = &'a mut FileAccount>) {
    let mut files: Vec<&mut FileAccount> = files.into_iter().collect();
    let workbook = |a: &FileAccount| a.entry.sheet.as_ref().and_then(|s| a.entry.file.strip_suffix(&format!("#{s}")).map(str::to_string));
    let with_header: BTreeSet<String> = files.iter().filter(|a| !a.header_missing).filter_map(|a| workbook(a)).collect();
    for a in files.iter_mut() {
        let skip = a.header_missing && a.entry.rejected.is_some() && workbook(a).is_some_and(|w| with_header.contains(&w));
        if skip {
            a.entry.skipped = a.entry.rejected.take();
            a.entry.skipped_zh = a.entry.rejected_zh.take();
            a.court_codes.clear();
        }
    }
}

fn count_rows(e: &mut FileEntry, r: &FileRows) {
    e.data_records = r.data_records;
    e.quarantined = r.quarantined.len() as u64;
    e.cases = r.cases.len() as u64;
    e.fields_redacted = r.fields_redacted;
    for q in &r.quarantined {
        *e.quarantine_by_reason.entry(q.reason.code().to_string()).or_default() += 1;
    }
    for (w, n) in &r.warnings {
        e.warnings.insert(w.code().to_string(), *n);
    }
}

/// Every input file's account and the accepted files' rows, merged: what
/// stage 3 deduplicates.
#[derive(Debug, Default)]
pub struct Validated {
    /// every input file, in input order (rejected ones too)
    pub files: Vec<FileAccount>,
    /// the accepted files' valid rows in input order, causes numbered into `causes`
    pub cases: Vec<Case>,
    pub quarantined: Vec<QuarantinedRow>,
    /// the run's causes: each accepted file's, in input order, each once
    pub causes: Vec<String>,
}

impl Validated {
    /// The files rejected, with why (§5.2).
    pub fn rejected(files: &[FileAccount]) -> Vec<RejectedFile> {
        files
            .iter()
            .filter_map(|f| {
                let why = f.entry.rejected.clone()?;
                Some(RejectedFile { file: f.entry.file.clone(), why_zh: f.entry.rejected_zh.clone().unwrap_or_else(|| why.clone()), why })
            })
            .collect()
    }
}

/// A rejected file and why, in English and Chinese.
#[derive(Debug, Clone, PartialEq)]
pub struct RejectedFile {
    pub file: String,
    pub why: String,
    pub why_zh: String,
}

/// The run's causes: every accepted file's, in input order.
pub fn run_causes<'a>(files: impl IntoIterator<Item = &'a FileAccount>) -> RunCauses {
    let mut run = RunCauses::default();
    for f in files.into_iter().filter(|f| !f.is_rejected()) {
        run.ids_for(&f.causes);
    }
    run
}

/// Merges the parsed files into one: the accepted files' rows in input order
/// (a rejected file's rows enter nothing, §5.2).
pub fn merge(parsed: Vec<ParsedFile>) -> Validated {
    // sized up front: growing by doubling would briefly hold two copies
    let accepted = |p: &ParsedFile| !p.account.is_rejected();
    let total = parsed.iter().filter(|p| accepted(p)).filter_map(|p| p.rows.as_ref()).map(|r| r.cases.len()).sum();
    let mut cases = Vec::with_capacity(total);
    // faulted in ahead of the copy by both threads, 8 MB at a time: the
    // moved-from vectors go back as the copy goes (see `memory::prefault`)
    let prefault_step = (8 << 20) / std::mem::size_of::<Case>();
    let mut prefaulted = 0;
    let mut quarantined = Vec::new();
    let mut causes = RunCauses::default();
    let mut trims = crate::memory::TrimEvery::new();
    let mut files = Vec::with_capacity(parsed.len());
    for p in parsed {
        let keep = accepted(&p);
        files.push(p.account);
        let Some(mut rows) = p.rows.filter(|_| keep) else { continue };
        causes.renumber(&mut rows);
        let moved = rows.cases.len();
        if cases.len() + moved > prefaulted {
            let ahead = moved.max(prefault_step);
            crate::memory::prefault(&mut cases, ahead);
            prefaulted = cases.len() + ahead;
        }
        cases.extend(rows.cases);
        // the per-file vectors freed so far go back now, or the cases
        // would be resident twice by the end of the merge
        trims.freed::<Case>(moved);
        quarantined.extend(rows.quarantined);
    }
    crate::memory::trim();
    Validated { files, cases, quarantined, causes: causes.names }
}
