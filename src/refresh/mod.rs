//! Court-scoped refresh: when a few of a province's files changed since the
//! last run, only the courts those files hold cases of are deduplicated and
//! tallied again. Every other court's tally, its blocks of rows in the large
//! tables and their encoded chunks come from the run state the last run left
//! in the cache. A whole-table pass over millions of cases was the floor of
//! a warm run; this makes a refresh's work proportional to what changed.
//!
//! The outputs are the bytes a full run writes (the tests compare them).
//! Wherever that could not be shown cheaply — other settings, another
//! cause order, a rejected file, an entry missing or damaged — the run takes
//! the full path instead.
//!
//! Why it holds:
//! - Two equal case numbers name the same court, so a court's kept cases,
//!   duplicates and tally depend only on the files holding its cases (their
//!   names and contents, in input order): its *owner fingerprint*. A file's
//!   quarantined rows depend only on the file. Positions do not count, so a
//!   file added, dropped or renamed recounts only its own courts.
//! - The case and duplicates tables are sorted by case number, year first,
//!   then court code: one court's numbers of one year are consecutive rows,
//!   a *block*. The quarantine table's blocks are its files.
//! - Chunk boundaries depend only on which rows' hashes are multiples of the
//!   spacing (`ranges_from_candidates`), so the blocks' sizes and those rows'
//!   offsets lay a table out without its rows.
//! - A chunk made of the same pieces of the same owners' blocks as a chunk of
//!   the last run holds the same rows: its stored encoding is reused. The
//!   other chunks are built from the rows of the courts (and files) they
//!   touch, deduplicated again here: the changed courts and their neighbours
//!   in case-number order.

use crate::cache::Cache;
use crate::dedup::Duplicate;
use crate::domain::{Case, CaseKey};
use crate::indicators::{Counted, CourtTally, Indicators, Period};
use crate::ingest::InputFile;
use crate::normalize::{FileRows, QuarantinedRow, RunCauses};
use crate::output::manifest::FileEntry;
use crate::output::reuse::{self, ChunkStore};
use crate::output::table::{ranges_from_candidates, ChunkSizes, Source};
use crate::output::tables::{case_chunks, duplicate_chunks, name_hashes, number_hash, quarantine_chunks, quarantine_hash, quarantine_order};
use crate::output::Formats;
use crate::reference::{CourtId, Courts};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::ops::Range;

/// The large tables, in the order of `RunState::chunks` and `Draft::layouts`.
const TABLES: [(&str, Formats); 3] =
    [("cases", crate::output::PARQUET_ONLY), ("duplicates", crate::output::BOTH), ("quarantine", crate::output::BOTH)];
const CASES: usize = 0;
const DUPLICATES: usize = 1;
const QUARANTINE: usize = 2;

/// Consecutive rows of a large table that one owner's inputs alone decide:
/// a court's cases (or duplicates) of one year, in case-number order, or a
/// file's quarantined rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Block {
    /// court id (cases, duplicates) or file index (quarantine)
    pub owner: u32,
    /// the year (cases, duplicates); 0 for quarantine
    pub tag: u32,
    pub rows: u32,
    /// the first and the last row's sort key (case number, or file name):
    /// blocks are put in order by these
    pub first: String,
    pub last: String,
    /// offsets of the rows whose chunk-boundary hash is a multiple of the
    /// table's spacing
    pub candidates: Vec<u32>,
}

/// What the last run found of one input file (named by `entry.file`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileState {
    pub sha256: String,
    pub entry: FileEntry,
    /// the courts its valid cases name
    pub courts: Vec<CourtId>,
    /// its causes in its own order (the run numbers them file by file)
    pub causes: Vec<String>,
    pub quarantine: Option<Block>,
}

/// What the last run found of one court with valid cases.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CourtState {
    /// `court_owner` of the files holding its cases, in hex
    pub owner: String,
    pub kept: u64,
    pub duplicate_keys: u64,
    pub duplicate_conflicts: u64,
    pub tally: Option<CourtTally>,
    pub cases: Vec<Block>,
    pub duplicates: Vec<Block>,
}

/// The run state: kept in the cache under a key naming the settings and the
/// file list, so a refresh with other settings or files never reads it.
#[derive(Debug, Serialize, Deserialize)]
pub struct RunState {
    /// the period the courts' tallies are for (`from..as_of`)
    pub period: String,
    pub causes: Vec<String>,
    pub files: Vec<FileState>,
    pub courts: BTreeMap<CourtId, CourtState>,
    /// per table: each chunk's composition → its content fingerprint (hex)
    pub chunks: [BTreeMap<String, String>; 3],
}

/// What names a run state: every setting but the period (the limits, the
/// outputs…). A new period (the nightly run's `as_of` is today) recounts
/// every court from its counted cases; files added, dropped or changed
/// recount the courts they hold cases of.
pub fn state_key(settings: &crate::Settings) -> String {
    let mut json = settings.to_json();
    if let Some(o) = json.as_object_mut() {
        o.remove("from");
        o.remove("as_of");
    }
    format!("{:032x}", xxhash_rust::xxh3::xxh3_128(json.to_string().as_bytes()))
}

pub fn period_text(p: &Period) -> String {
    format!("{}..{}", p.from, p.as_of)
}

/// The owner fingerprint of a court: itself and the files holding its cases
/// by name and sha256, in input order (which orders their versions in
/// dedup), not by position: a file added elsewhere changes no court's.
fn court_owner(court: CourtId, files: &[(&str, &str)]) -> u128 {
    let mut text = format!("court {court}\n");
    for (name, sha) in files {
        text.push_str(&format!("{sha} {name}\n"));
    }
    xxhash_rust::xxh3::xxh3_128(text.as_bytes())
}

/// The owner fingerprint of a file's quarantine block.
fn file_owner(f: &FileState) -> u128 {
    xxhash_rust::xxh3::xxh3_128(format!("file {} {}\n", f.sha256, f.entry.file).as_bytes())
}

fn hex(v: u128) -> String {
    format!("{v:032x}")
}

/// Each court's owner fingerprint, from the files in input order.
fn court_owners(files: &[FileState]) -> BTreeMap<CourtId, u128> {
    let mut holders: BTreeMap<CourtId, Vec<(&str, &str)>> = BTreeMap::new();
    for f in files {
        for &c in &f.courts {
            holders.entry(c).or_default().push((&f.entry.file, &f.sha256));
        }
    }
    holders.into_iter().map(|(c, f)| (c, court_owner(c, &f))).collect()
}

/// The blocks of rows sorted by case number: `items` in `order` (or as they
/// are), `row` giving each one's court and number. `None` when a court's
/// year comes in two runs (court codes that sort into each other: the
/// refresh is then off).
pub fn number_blocks<T: Sync>(
    items: &[T],
    order: Option<&[u32]>,
    row: impl Fn(&T) -> (CourtId, CaseKey) + Sync,
    courts: &Courts,
    sizes: ChunkSizes,
) -> Option<Vec<Block>> {
    let mask = sizes.spacing.next_power_of_two() - 1;
    // court, year and whether a boundary may fall there, read in input
    // order; the walk in case-number order then touches 8 bytes a row, not
    // the scattered rows themselves
    let packed: Vec<u64> = items
        .par_iter()
        .map(|x| {
            let (court, key) = row(x);
            (u64::from(court) << 32) | (u64::from(key.year) << 1) | u64::from(number_hash(&key, court) & mask == 0)
        })
        .collect();
    let text = |i: usize| {
        let (court, key) = row(&items[i]);
        key.with_court(courts.code(court)).to_string()
    };
    let mut blocks: Vec<Block> = Vec::new();
    let mut seen = HashSet::new();
    let mut previous = None;
    for k in 0..items.len() {
        let i = order.map_or(Some(k), |o| o.get(k).map(|&i| i as usize))?;
        let p = *packed.get(i)?;
        let (court, tag) = ((p >> 32) as CourtId, ((p >> 1) & 0xFFFF) as u32);
        if blocks.last().is_none_or(|b| (b.owner, b.tag) != (court, tag)) {
            if let (Some(b), Some(j)) = (blocks.last_mut(), previous) {
                b.last = text(j);
            }
            if !seen.insert((court, tag)) {
                return None;
            }
            blocks.push(Block { owner: court, tag, rows: 0, first: text(i), last: String::new(), candidates: Vec::new() });
        }
        let b = blocks.last_mut()?;
        if p & 1 == 1 {
            b.candidates.push(b.rows);
        }
        b.rows += 1;
        previous = Some(i);
    }
    if let (Some(b), Some(j)) = (blocks.last_mut(), previous) {
        b.last = text(j);
    }
    Some(blocks)
}

/// One file's quarantine block from its rows in table order (by line).
fn quarantine_block(index: u32, rows: &[&QuarantinedRow], name: &str, sizes: ChunkSizes) -> Option<Block> {
    if rows.is_empty() {
        return None;
    }
    let mask = sizes.spacing.next_power_of_two() - 1;
    let file_hash = name_hashes(std::slice::from_ref(&name.to_string()))[0];
    let candidates = rows.iter().enumerate().filter(|(_, r)| quarantine_hash(file_hash, r.line) & mask == 0).map(|(k, _)| k as u32).collect();
    Some(Block { owner: index, tag: 0, rows: rows.len() as u32, first: name.to_string(), last: name.to_string(), candidates })
}

/// A large table laid out from its blocks in order.
#[derive(Debug)]
pub struct Layout {
    pub blocks: Vec<Block>,
    /// where each block starts
    starts: Vec<usize>,
    pub rows: usize,
    pub ranges: Vec<Range<usize>>,
}

impl Layout {
    /// The blocks in table order: by their first key, each ending before the
    /// next begins (else `None`: the blocks' rows would interleave).
    fn sorted(mut blocks: Vec<Block>, sizes: ChunkSizes) -> Option<Layout> {
        blocks.sort_by(|a, b| a.first.cmp(&b.first));
        if blocks.windows(2).any(|w| w[0].last >= w[1].first) {
            return None;
        }
        Some(Layout::new(blocks, sizes))
    }

    fn new(blocks: Vec<Block>, sizes: ChunkSizes) -> Layout {
        let mut starts = Vec::with_capacity(blocks.len());
        let mut rows = 0;
        for b in &blocks {
            starts.push(rows);
            rows += b.rows as usize;
        }
        let candidates = blocks.iter().zip(&starts).flat_map(|(b, &s)| b.candidates.iter().map(move |&c| s + c as usize));
        let ranges = ranges_from_candidates(rows, sizes, candidates);
        Layout { blocks, starts, rows, ranges }
    }

    /// The pieces of blocks `range` is made of: block index and rows within.
    fn pieces(&self, range: &Range<usize>) -> Vec<(usize, Range<usize>)> {
        let mut out = Vec::new();
        let mut k = self.starts.partition_point(|&s| s <= range.start).saturating_sub(1);
        while k < self.blocks.len() && self.starts[k] < range.end {
            let (s, e) = (self.starts[k], self.starts[k] + self.blocks[k].rows as usize);
            let (lo, hi) = (range.start.max(s), range.end.min(e));
            if lo < hi {
                out.push((k, lo - s..hi - s));
            }
            k += 1;
        }
        out
    }

    /// What a chunk is made of, as a fingerprint: its pieces, each by its
    /// block's owner fingerprint, tag and rows.
    fn composition(&self, range: &Range<usize>, owner: &dyn Fn(&Block) -> Option<u128>) -> Option<u128> {
        let mut bytes = Vec::new();
        for (k, rows) in self.pieces(range) {
            let b = &self.blocks[k];
            bytes.extend_from_slice(&owner(b)?.to_le_bytes());
            for v in [b.tag as u64, rows.start as u64, rows.end as u64] {
                bytes.extend_from_slice(&v.to_le_bytes());
            }
        }
        Some(xxhash_rust::xxh3::xxh3_128(&bytes))
    }
}

/// The run state but for the chunks' fingerprints, which the writers learn.
pub struct Draft {
    pub key: String,
    pub period: String,
    pub causes: Vec<String>,
    pub files: Vec<FileState>,
    pub courts: BTreeMap<CourtId, CourtState>,
    pub layouts: [Layout; 3],
}

impl Draft {
    fn owner_of(&self, table: usize) -> impl Fn(&Block) -> Option<u128> + '_ {
        move |b: &Block| {
            if table == QUARANTINE {
                self.files.get(b.owner as usize).map(file_owner)
            } else {
                self.courts.get(&b.owner).and_then(|c| u128::from_str_radix(&c.owner, 16).ok())
            }
        }
    }

    fn composition(&self, table: usize, range: &Range<usize>) -> Option<u128> {
        self.layouts[table].composition(range, &self.owner_of(table))
    }

    /// The state to keep, given each table's chunk fingerprints by first row
    /// (as `Chunked::recording` saw them).
    pub fn finish(self, seen: [&BTreeMap<usize, u128>; 3]) -> (String, RunState) {
        let mut chunks: [BTreeMap<String, String>; 3] = Default::default();
        for (t, seen) in seen.iter().enumerate() {
            for r in self.layouts[t].ranges.iter().filter(|r| !r.is_empty()) {
                if let (Some(c), Some(f)) = (self.composition(t, r), seen.get(&r.start)) {
                    chunks[t].insert(hex(c), hex(*f));
                }
            }
        }
        let Draft { key, period, causes, files, courts, .. } = self;
        (key, RunState { period, causes, files, courts, chunks })
    }
}

/// What a full run hands over to make the state from.
pub struct FullRun<'a> {
    pub key: String,
    pub period: &'a Period,
    pub causes: &'a [String],
    pub names: &'a [String],
    /// per file in input order, its quarantine block still to be found
    pub files: Vec<FileState>,
    pub cases: &'a [Case],
    pub case_order: &'a [u32],
    pub duplicates: &'a [Duplicate],
    pub quarantined: &'a [QuarantinedRow],
    pub tallies: &'a [Option<CourtTally>],
    pub courts: &'a Courts,
}

/// The draft state of a full run; `None` when its tables do not fall into
/// blocks (then there is no refresh next time, only the cached parses).
pub fn draft_of_full_run(run: FullRun) -> Option<Draft> {
    let case_blocks = number_blocks(run.cases, Some(run.case_order), |c| (c.court, c.key), run.courts, case_chunks())?;
    let dup_blocks = number_blocks(run.duplicates, None, |d| (d.court, d.key), run.courts, duplicate_chunks())?;
    let order = quarantine_order(run.quarantined, run.names);
    let mut by_file: BTreeMap<u32, Vec<&QuarantinedRow>> = BTreeMap::new();
    let mut file_order = Vec::new();
    for &i in &order {
        let q = &run.quarantined[i as usize];
        if file_order.last() != Some(&q.file) {
            file_order.push(q.file);
        }
        by_file.entry(q.file).or_default().push(q);
    }
    let mut files = run.files;
    for (&index, rows) in &by_file {
        let f = files.get_mut(index as usize)?;
        f.quarantine = quarantine_block(index, rows, &run.names[index as usize], quarantine_chunks());
    }
    let quarantine_blocks: Vec<Block> = file_order.iter().filter_map(|&i| files[i as usize].quarantine.clone()).collect();
    let courts = court_states(&court_owners(&files), |_| true, &case_blocks, &dup_blocks, run.duplicates, run.tallies);
    let layouts =
        [Layout::new(case_blocks, case_chunks()), Layout::new(dup_blocks, duplicate_chunks()), Layout::new(quarantine_blocks, quarantine_chunks())];
    Some(Draft { key: run.key, period: period_text(run.period), causes: run.causes.to_vec(), files, courts, layouts })
}

/// Stores every court's counted cases (`kept`: the run's kept cases) under
/// its owner fingerprint, for a refresh with a new period.
pub fn store_counted(cache: &Cache, kept: &[Case], draft: &Draft) {
    // by court id, not a map lookup per case (millions)
    let mut members: Vec<Vec<u32>> = Vec::new();
    for (i, c) in kept.iter().enumerate() {
        let k = c.court as usize;
        if k >= members.len() {
            members.resize_with(k + 1, Vec::new);
        }
        members[k].push(i as u32);
    }
    members.par_iter().enumerate().filter(|(_, m)| !m.is_empty()).for_each(|(court, m)| {
        if let Some(s) = draft.courts.get(&(court as CourtId)) {
            cache.put_counted(&s.owner, &encode_counted(m.iter().map(|&i| Counted::of(&kept[i as usize]))));
        }
    });
}

/// A court's counted cases, 29 bytes each: filing, closing and deadline as
/// days (`i32::MIN` for none), flags, claim and recovered fen (`i64::MIN`).
fn encode_counted(cases: impl Iterator<Item = Counted>) -> Vec<u8> {
    use chrono::Datelike;
    let day = |d: Option<chrono::NaiveDate>| d.map_or(i32::MIN, |d| d.num_days_from_ce());
    let mut out = Vec::new();
    for c in cases {
        out.extend_from_slice(&day(Some(c.filing)).to_le_bytes());
        out.extend_from_slice(&day(c.closing).to_le_bytes());
        out.extend_from_slice(&day(c.deadline).to_le_bytes());
        let flags = [c.first, c.completed, c.terminated_this_round, c.contract, c.enterprise]
            .iter()
            .enumerate()
            .fold(0u8, |f, (k, &b)| f | (u8::from(b) << k));
        out.push(flags);
        out.extend_from_slice(&c.claim.unwrap_or(i64::MIN).to_le_bytes());
        out.extend_from_slice(&c.recovered.unwrap_or(i64::MIN).to_le_bytes());
    }
    out
}

fn decode_counted(bytes: &[u8]) -> Option<Vec<Counted>> {
    const RECORD: usize = 29;
    if !bytes.len().is_multiple_of(RECORD) {
        return None;
    }
    let i32_at = |b: &[u8], at: usize| b.get(at..at + 4).and_then(|x| x.try_into().ok()).map(i32::from_le_bytes);
    let i64_at = |b: &[u8], at: usize| b.get(at..at + 8).and_then(|x| x.try_into().ok()).map(i64::from_le_bytes);
    let date = |d: i32| -> Option<Option<chrono::NaiveDate>> {
        if d == i32::MIN {
            Some(None)
        } else {
            chrono::NaiveDate::from_num_days_from_ce_opt(d).map(Some)
        }
    };
    bytes
        .chunks_exact(RECORD)
        .map(|r| {
            let flags = r[12];
            let bit = |k: u8| flags & (1 << k) != 0;
            let amount = |v: i64| (v != i64::MIN).then_some(v);
            Some(Counted {
                filing: date(i32_at(r, 0)?)??,
                closing: date(i32_at(r, 4)?)?,
                deadline: date(i32_at(r, 8)?)?,
                first: bit(0),
                completed: bit(1),
                terminated_this_round: bit(2),
                contract: bit(3),
                enterprise: bit(4),
                claim: amount(i64_at(r, 13)?),
                recovered: amount(i64_at(r, 21)?),
            })
        })
        .collect()
}

/// The states of the courts of `owners` that `wanted` picks, from their
/// blocks, duplicates and tallies (a full run's, or a refresh's held rows).
fn court_states(
    owners: &BTreeMap<CourtId, u128>,
    wanted: impl Fn(CourtId) -> bool,
    case_blocks: &[Block],
    dup_blocks: &[Block],
    duplicates: &[Duplicate],
    tallies: &[Option<CourtTally>],
) -> BTreeMap<CourtId, CourtState> {
    let mut courts: BTreeMap<CourtId, CourtState> = owners
        .iter()
        .filter(|(c, _)| wanted(**c))
        .map(|(&c, &owner)| {
            let tally = tallies.get(c as usize).cloned().flatten();
            let state = CourtState {
                owner: hex(owner),
                kept: 0,
                duplicate_keys: 0,
                duplicate_conflicts: 0,
                tally,
                cases: Vec::new(),
                duplicates: Vec::new(),
            };
            (c, state)
        })
        .collect();
    // a court's kept cases are its blocks' rows
    for b in case_blocks {
        if let Some(s) = courts.get_mut(&b.owner) {
            s.kept += u64::from(b.rows);
            s.cases.push(b.clone());
        }
    }
    for b in dup_blocks {
        if let Some(s) = courts.get_mut(&b.owner) {
            s.duplicates.push(b.clone());
        }
    }
    for d in duplicates {
        if let Some(s) = courts.get_mut(&d.court) {
            s.duplicate_keys += 1;
            s.duplicate_conflicts += u64::from(d.conflict);
        }
    }
    courts
}

/// What the refresh needs of the run.
pub(crate) struct Inputs<'a> {
    pub files: &'a [InputFile],
    pub names: &'a [String],
    pub ctx: &'a crate::normalize::RowContext<'a>,
    pub courts: &'a Courts,
    pub period: &'a Period,
    pub max_bad: f64,
    pub cache: &'a Cache,
    pub clock: &'a crate::StageClock,
    pub done: &'a (dyn Fn(&InputFile) + Sync),
}

/// The totals of the manifest.
#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    pub cases_kept: u64,
    pub duplicate_keys: u64,
    pub duplicate_conflicts: u64,
}

/// A refresh's results: the figures, and the rows of the chunks it builds
/// (the others are reused), with where each chunk comes from.
pub(crate) struct Refreshed {
    pub outcomes: Vec<(usize, crate::FileOutcome)>,
    pub entries: Vec<FileEntry>,
    pub indicators: Indicators,
    pub counts: Counts,
    pub cases: Vec<Case>,
    pub duplicates: Vec<Duplicate>,
    pub quarantined: Vec<QuarantinedRow>,
    /// per table, one per chunk of its layout
    pub sources: [Vec<Source>; 3],
    pub draft: Draft,
}

/// Where a file's rows come from in a refresh.
enum Rows<'a> {
    /// parsed (or decoded) this run: the file changed
    Fresh(&'a FileRows),
    /// unchanged: its cached parse (by sha256), decoded only if its rows are
    /// needed
    Cached(String),
}

/// The rows of some courts and files, as a full run would have them.
struct Held {
    /// the courts' kept cases, by case number
    cases: Vec<Case>,
    case_blocks: Vec<Block>,
    /// their duplicates, by case number
    duplicates: Vec<Duplicate>,
    duplicate_blocks: Vec<Block>,
    tallies: Vec<Option<CourtTally>>,
    /// the files' quarantined rows, by line
    quarantined: BTreeMap<u32, Vec<QuarantinedRow>>,
}

struct Scope<'a> {
    inputs: &'a Inputs<'a>,
    rows: Vec<Rows<'a>>,
    courts_of: Vec<Vec<CourtId>>,
    causes: &'a [String],
}

impl Scope<'_> {
    /// Deduplicates `courts` and gathers `files`' quarantined rows, decoding
    /// the cached parses needed. `None` when a parse is missing or damaged,
    /// or disagrees with the run state.
    fn hold(&self, courts: &BTreeSet<CourtId>, files: &BTreeSet<u32>) -> Option<Held> {
        let wanted: Vec<usize> =
            (0..self.rows.len()).filter(|&i| files.contains(&(i as u32)) || self.courts_of[i].iter().any(|c| courts.contains(c))).collect();
        let parts: Vec<Option<(Vec<Case>, Vec<QuarantinedRow>)>> = wanted
            .par_iter()
            .map(|&i| {
                let decoded;
                let rows = match &self.rows[i] {
                    Rows::Fresh(r) => *r,
                    // wanted for its quarantined rows alone: its cases are
                    // not decoded (most of an entry)
                    Rows::Cached(sha) if !self.courts_of[i].iter().any(|c| courts.contains(c)) => {
                        let mut q = self.inputs.cache.quarantined_of(sha)?;
                        q.iter_mut().for_each(|q| q.file = i as u32);
                        q.sort_by_key(|q| q.line);
                        return Some((Vec::new(), q));
                    }
                    Rows::Cached(sha) => {
                        let mut r = self.inputs.cache.rows_of(sha)?.rows?;
                        let mut run = RunCauses::from_names(self.causes);
                        run.renumber(&mut r);
                        if run.names.len() != self.causes.len() {
                            return None;
                        }
                        r.cases.iter_mut().for_each(|c| c.file = i as u32);
                        r.quarantined.iter_mut().for_each(|q| q.file = i as u32);
                        decoded = r;
                        &decoded
                    }
                };
                let cases = rows.cases.iter().filter(|c| courts.contains(&c.court)).cloned().collect();
                let mut quarantined = if files.contains(&(i as u32)) { rows.quarantined.clone() } else { Vec::new() };
                quarantined.sort_by_key(|q| q.line);
                Some((cases, quarantined))
            })
            .collect();
        let mut cases = Vec::new();
        let mut quarantined = BTreeMap::new();
        for (&i, part) in wanted.iter().zip(parts) {
            let (c, q) = part?;
            cases.extend(c);
            if files.contains(&(i as u32)) {
                quarantined.insert(i as u32, q);
            }
        }
        let courts_table = self.inputs.courts;
        let deduped = crate::dedup::dedup(cases, courts_table);
        let tallies = crate::indicators::court_tallies(&deduped.cases, courts_table, self.inputs.period);
        let order = crate::number_order::by_case_number(&deduped.cases, |c| c.number(courts_table));
        let sorted: Vec<Case> = order.iter().map(|&i| deduped.cases[i as usize].clone()).collect();
        let case_blocks = number_blocks(&sorted, None, |c| (c.court, c.key), courts_table, case_chunks())?;
        let duplicate_blocks = number_blocks(&deduped.duplicates, None, |d| (d.court, d.key), courts_table, duplicate_chunks())?;
        Some(Held { cases: sorted, case_blocks, duplicates: deduped.duplicates, duplicate_blocks, tallies, quarantined })
    }
}

/// Refreshes from the last run's state, or `None` for the full path.
pub(crate) fn refresh(inputs: &Inputs, state: RunState, key: String) -> Option<Refreshed> {
    let (files, names, cache) = (inputs.files, inputs.names, inputs.cache);
    // 1. which files changed: a file of the last run's (by name) with an
    // unchanged stamp and the state's sha256 did not; any other did
    let last: HashMap<&str, &FileState> = state.files.iter().map(|f| (f.entry.file.as_str(), f)).collect();
    let mut kept: Vec<Option<FileState>> = Vec::with_capacity(files.len());
    let mut fresh = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let stamp = crate::cache::Stamp::of(&f.path);
        let known = stamp.and_then(|st| cache.known_sha256(&f.path, &st));
        match (stamp, known, last.get(f.name.as_str())) {
            (Some(st), Some(sha), Some(s)) if sha == s.sha256 && cache.keep(&sha) => {
                cache.remember(&f.path, st, &sha);
                (inputs.done)(f);
                // its quarantine block is now at its new position
                let mut s = (*s).clone();
                if let Some(q) = s.quarantine.as_mut() {
                    q.owner = i as u32;
                }
                kept.push(Some(s));
            }
            _ => {
                fresh.push(i);
                kept.push(None);
            }
        }
    }
    let subset: Vec<InputFile> = fresh.iter().map(|&i| files[i].clone()).collect();
    let parsed = crate::read_and_validate_all(&subset, inputs.ctx, inputs.max_bad, inputs.clock, Some(cache), inputs.done);
    let mut outcomes: Vec<(usize, crate::FileOutcome)> = fresh.into_iter().zip(parsed).collect();
    for (i, o) in &mut outcomes {
        if o.rejection.is_some() {
            return None;
        }
        let rows = o.rows.as_mut()?;
        rows.cases.iter_mut().for_each(|c| c.file = *i as u32);
        rows.quarantined.iter_mut().for_each(|q| q.file = *i as u32);
    }

    // 2. the run's causes must be the last run's: they are in every chunk
    let fresh_at: HashMap<usize, usize> = outcomes.iter().enumerate().map(|(k, (i, _))| (*i, k)).collect();
    let mut run_causes = RunCauses::default();
    for (i, k) in kept.iter().enumerate() {
        match (fresh_at.get(&i), k) {
            (Some(&f), _) => run_causes.ids_for(&outcomes[f].1.rows.as_ref()?.causes),
            (None, Some(s)) => run_causes.ids_for(&s.causes),
            (None, None) => return None,
        };
    }
    if run_causes.names != state.causes {
        return None;
    }
    for (_, o) in &mut outcomes {
        run_causes.renumber(o.rows.as_mut()?);
    }

    // 3. the files' new states, and the courts whose files changed
    let mut new_files: Vec<FileState> = Vec::with_capacity(files.len());
    for (i, k) in kept.into_iter().enumerate() {
        let s = match (k, fresh_at.get(&i)) {
            (Some(s), _) => s,
            (None, Some(&f)) => {
                let o = &outcomes[f].1;
                let rows = o.rows.as_ref()?;
                let courts: BTreeSet<CourtId> = rows.cases.iter().map(|c| c.court).collect();
                let mut in_order: Vec<&QuarantinedRow> = rows.quarantined.iter().collect();
                in_order.sort_by_key(|q| q.line);
                FileState {
                    sha256: o.sha256.clone()?,
                    entry: crate::file_entry(o, &files[i], &names[i], Some(rows)),
                    courts: courts.into_iter().collect(),
                    causes: rows.causes.clone(),
                    quarantine: quarantine_block(i as u32, &in_order, &names[i], quarantine_chunks()),
                }
            }
            (None, None) => return None,
        };
        new_files.push(s);
    }
    let owners = court_owners(&new_files);
    let changed: BTreeSet<CourtId> = owners
        .iter()
        .filter(|(c, o)| state.courts.get(c).map(|s| s.owner.as_str()) != Some(hex(**o).as_str()))
        .map(|(c, _)| *c)
        .chain(state.courts.keys().filter(|c| !owners.contains_key(c)).copied())
        .collect();
    let rows: Vec<Rows> = (0..files.len())
        .map(|i| match fresh_at.get(&i) {
            Some(&k) => outcomes[k].1.rows.as_ref().map(Rows::Fresh),
            None => Some(Rows::Cached(new_files[i].sha256.clone())),
        })
        .collect::<Option<_>>()?;
    let scope = Scope { inputs, rows, courts_of: new_files.iter().map(|f| f.courts.clone()).collect(), causes: &state.causes };

    // 4. the changed courts afresh; the others as they were
    let held = scope.hold(&changed, &BTreeSet::new())?;
    let mut courts = court_states(&owners, |c| changed.contains(&c), &held.case_blocks, &held.duplicate_blocks, &held.duplicates, &held.tallies);
    for c in owners.keys().filter(|c| !changed.contains(c)) {
        courts.insert(*c, state.courts.get(c)?.clone());
    }
    // the courts' counted cases: the changed ones stored, the others kept,
    // or read to recount them for a new period
    let period = period_text(inputs.period);
    for (&c, s) in &courts {
        if changed.contains(&c) {
            cache.put_counted(&s.owner, &encode_counted(held.cases.iter().filter(|x| x.court == c).map(Counted::of)));
        } else if period == state.period {
            cache.keep_counted(&s.owner);
        }
    }
    if period != state.period {
        let recounted: Vec<Option<(CourtId, CourtTally)>> = courts
            .iter()
            .filter(|(c, _)| !changed.contains(c))
            .collect::<Vec<_>>()
            .par_iter()
            .map(|(&c, s)| Some((c, CourtTally::of(&decode_counted(&cache.get_counted(&s.owner)?)?, inputs.period))))
            .collect();
        for r in recounted {
            let (c, t) = r?;
            if let Some(s) = courts.get_mut(&c) {
                s.tally = Some(t);
            }
        }
    }
    drop(held);
    let layouts = [
        Layout::sorted(courts.values().flat_map(|c| c.cases.iter().cloned()).collect(), case_chunks())?,
        Layout::sorted(courts.values().flat_map(|c| c.duplicates.iter().cloned()).collect(), duplicate_chunks())?,
        Layout::sorted(new_files.iter().filter_map(|f| f.quarantine.clone()).collect(), quarantine_chunks())?,
    ];
    let draft = Draft { key, period, causes: state.causes.clone(), files: new_files, courts, layouts };

    // 5. each chunk: reused when the last run stored the same composition,
    // else built from its owners' rows
    let store: &dyn ChunkStore = cache;
    let mut plan: [Vec<Option<u128>>; 3] = Default::default();
    let (mut need_courts, mut need_files) = (BTreeSet::new(), BTreeSet::new());
    for (t, (name, formats)) in TABLES.iter().enumerate() {
        let layout = &draft.layouts[t];
        for r in &layout.ranges {
            let stored = draft
                .composition(t, r)
                .and_then(|c| state.chunks[t].get(&hex(c)))
                .and_then(|f| u128::from_str_radix(f, 16).ok())
                .filter(|&f| reuse::formats(*formats).iter().all(|fmt| store.has(&reuse::entry_name(name, fmt, f))));
            if stored.is_none() {
                for (k, _) in layout.pieces(r) {
                    let owner = layout.blocks[k].owner;
                    if t == QUARANTINE {
                        need_files.insert(owner)
                    } else {
                        need_courts.insert(owner)
                    };
                }
            }
            plan[t].push(stored);
        }
    }
    let held = scope.hold(&need_courts, &need_files)?;
    cache.note_refresh(changed.union(&need_courts).count() as u64);

    // 6. the rows of the chunks built here, in table order
    let place = |blocks: &[Block]| -> HashMap<(u32, u32), (usize, u32)> {
        let mut at = 0;
        blocks
            .iter()
            .map(|b| {
                let v = ((b.owner, b.tag), (at, b.rows));
                at += b.rows as usize;
                v
            })
            .collect()
    };
    let (case_at, dup_at) = (place(&held.case_blocks), place(&held.duplicate_blocks));
    let mut out_cases = Vec::new();
    let mut out_dups = Vec::new();
    let mut out_quarantined = Vec::new();
    let mut sources: [Vec<Source>; 3] = Default::default();
    for (t, plan) in plan.iter().enumerate() {
        let layout = &draft.layouts[t];
        for (r, stored) in layout.ranges.iter().zip(plan) {
            if let Some(f) = stored {
                sources[t].push(Source::Stored(*f));
                continue;
            }
            let before = [out_cases.len(), out_dups.len(), out_quarantined.len()][t];
            for (k, within) in layout.pieces(r) {
                let b = &layout.blocks[k];
                match t {
                    CASES => {
                        let &(at, rows) = case_at.get(&(b.owner, b.tag))?;
                        if rows != b.rows {
                            return None;
                        }
                        out_cases.extend_from_slice(&held.cases[at + within.start..at + within.end]);
                    }
                    DUPLICATES => {
                        let &(at, rows) = dup_at.get(&(b.owner, b.tag))?;
                        if rows != b.rows {
                            return None;
                        }
                        out_dups.extend_from_slice(&held.duplicates[at + within.start..at + within.end]);
                    }
                    _ => {
                        let q = held.quarantined.get(&b.owner)?;
                        if q.len() != b.rows as usize {
                            return None;
                        }
                        out_quarantined.extend_from_slice(&q[within]);
                    }
                }
            }
            let after = [out_cases.len(), out_dups.len(), out_quarantined.len()][t];
            sources[t].push(Source::Held(before..after));
        }
    }
    drop(held);

    // 7. the figures: every court's tally, the changed ones afresh
    let tallies: Vec<Option<CourtTally>> =
        (0..inputs.courts.list.len() as CourtId).map(|c| draft.courts.get(&c).and_then(|s| s.tally.clone())).collect();
    let indicators = crate::indicators::roll_up(tallies, inputs.courts, inputs.period, &Default::default());
    let counts = draft.courts.values().fold(Counts::default(), |mut n, c| {
        n.cases_kept += c.kept;
        n.duplicate_keys += c.duplicate_keys;
        n.duplicate_conflicts += c.duplicate_conflicts;
        n
    });
    let entries = draft.files.iter().map(|f| f.entry.clone()).collect();
    Some(Refreshed { outcomes, entries, indicators, counts, cases: out_cases, duplicates: out_dups, quarantined: out_quarantined, sources, draft })
}

/// Reads the run state kept under `key`, if any.
pub fn load(cache: &Cache, key: &str) -> Option<RunState> {
    serde_json::from_slice(&cache.read_state(key)?).ok()
}

/// Keeps the run state for the next run.
pub fn save(cache: &Cache, key: &str, state: &RunState) {
    if let Ok(bytes) = serde_json::to_vec(state) {
        cache.write_state(key, &bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::TypeCode;

    fn key(year: u16, seq: u64) -> CaseKey {
        CaseKey { year, special_code: None, type_code: TypeCode::new("执").unwrap(), seq }
    }

    #[test]
    fn counted_cases_read_back_as_written() {
        let d = |y, m, day| chrono::NaiveDate::from_ymd_opt(y, m, day);
        let cases = [
            Counted {
                filing: d(2023, 1, 31).unwrap(),
                closing: d(2023, 8, 1),
                deadline: d(2023, 7, 31),
                first: true,
                completed: true,
                terminated_this_round: false,
                contract: true,
                enterprise: false,
                claim: Some(-5),
                recovered: Some(i64::MAX),
            },
            Counted {
                filing: d(1, 1, 1).unwrap(),
                closing: None,
                deadline: None,
                first: false,
                completed: false,
                terminated_this_round: true,
                contract: false,
                enterprise: true,
                claim: None,
                recovered: None,
            },
        ];
        let bytes = encode_counted(cases.iter().copied());
        assert_eq!(decode_counted(&bytes).unwrap(), cases);
        assert!(decode_counted(&bytes[1..]).is_none(), "a torn record is refused");
    }

    #[test]
    fn a_courts_year_in_two_runs_is_not_a_block() {
        let courts = Courts::load(None).unwrap();
        let rows = [(3, key(2023, 1)), (3, key(2023, 2)), (4, key(2023, 1)), (3, key(2023, 3))];
        assert!(number_blocks(&rows, None, |r| *r, &courts, case_chunks()).is_none());
        let blocks = number_blocks(&rows[..3], None, |r| *r, &courts, case_chunks()).unwrap();
        assert_eq!(blocks.iter().map(|b| (b.owner, b.tag, b.rows)).collect::<Vec<_>>(), [(3, 2023, 2), (4, 2023, 1)]);
        assert!(blocks[0].first < blocks[0].last && blocks[0].last < blocks[1].first);
    }

    #[test]
    fn a_layouts_pieces_cover_each_chunk_exactly() {
        let block =
            |owner, rows, candidates: Vec<u32>| Block { owner, tag: 0, rows, first: format!("{owner:03}"), last: format!("{owner:03}"), candidates };
        let sizes = ChunkSizes { min: 3, spacing: 2, max: 6 };
        let layout = Layout::sorted(vec![block(2, 4, vec![1, 3]), block(1, 5, vec![0, 4]), block(3, 1, vec![])], sizes).unwrap();
        assert_eq!(layout.blocks.iter().map(|b| b.owner).collect::<Vec<_>>(), [1, 2, 3]);
        // candidates at 0, 4 (block 1), 6, 8 (block 2): cuts at 4 and 8
        assert_eq!(layout.ranges, [0..4, 4..8, 8..10]);
        assert_eq!(layout.pieces(&(4..8)), [(0, 4..5), (1, 0..3)]);
        assert_eq!(layout.pieces(&(8..10)), [(1, 3..4), (2, 0..1)]);
        let mut overlapping = vec![block(1, 2, vec![]), block(2, 2, vec![])];
        overlapping[0].last = "002".into();
        assert!(Layout::sorted(overlapping, sizes).is_none(), "blocks whose keys interleave");
    }
}
