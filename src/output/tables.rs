//! Builds each output table of §9 from the stages' typed results, with the
//! contract's column order and row order.

use super::table::{content_defined_ranges, mix64, ChunkSizes, Chunked, Table};
use crate::dedup::Duplicate;
use crate::domain::Case;
use crate::indicators::{ratio, Figures, Indicators, Period};
use crate::normalize::QuarantinedRow;
use crate::rank::{Rankings, Standing};
use crate::reference::{CourtLevel, Courts};

/// Appends §7's columns, in order, for a list of figures.
fn figures_columns(t: &mut Table, f: &[&Figures]) {
    use crate::indicators::columns::{Kind, Value, COLUMNS};
    for c in COLUMNS {
        let values = f.iter().map(|x| (c.value)(x));
        match c.kind() {
            Kind::Count => t.int(c.name, values.map(|v| if let Value::Int(n) = v { Some(n as i64) } else { None }).collect()),
            Kind::Float => t.float(c.name, values.map(|v| if let Value::Float(x) = v { x } else { None }).collect()),
            Kind::Amount => t.yuan(c.name, values.map(|v| if let Value::Fen(x) = v { Some(x) } else { None }).collect()),
        };
    }
}

fn period_columns(t: &mut Table, n: usize, p: &Period, complete: Vec<Option<bool>>) {
    t.date("period_from", vec![Some(p.from); n]).date("as_of", vec![Some(p.as_of); n]).boolean("complete", complete);
}

fn rank_columns(t: &mut Table, s: &[&Standing], with_city: bool) {
    let ranks = |k: usize, city: bool| s.iter().map(|x| (if city { x.city_rank[k] } else { x.rank[k] }).map(i64::from)).collect::<Vec<_>>();
    t.int("rank_completion", ranks(0, false)).int("rank_contract_completion", ranks(1, false)).int("rank_in_term", ranks(2, false));
    if with_city {
        t.int("city_rank_completion", ranks(0, true)).int("city_rank_contract_completion", ranks(1, true)).int("city_rank_in_term", ranks(2, true));
    }
    let tiers = |k: usize| s.iter().map(|x| x.tier[k].map(|t| t.label().to_string())).collect::<Vec<_>>();
    t.text("tier_completion", tiers(0)).text("tier_contract_completion", tiers(1)).text("tier_in_term", tiers(2));
}

pub fn court_table(ind: &Indicators, ranks: &Rankings, courts: &Courts, p: &Period) -> Table {
    let mut t = Table::new("indicators_court");
    let rows = &ind.courts;
    let court = |i: usize| courts.get(rows[i].court);
    let n = rows.len();
    t.text("court_code", (0..n).map(|i| Some(court(i).code.clone())).collect())
        .text("court_name", (0..n).map(|i| Some(court(i).name.clone())).collect())
        .text("city", (0..n).map(|i| court(i).city.clone()).collect())
        .text("level", (0..n).map(|i| Some(court(i).level.label().to_string())).collect());
    period_columns(&mut t, n, p, rows.iter().map(|r| Some(r.complete)).collect());
    figures_columns(&mut t, &rows.iter().map(|r| &r.figures).collect::<Vec<_>>());
    // intermediate and high courts get no ranks and no tiers
    let empty = Standing::default();
    let standings: Vec<&Standing> = (0..n).map(|i| if court(i).level == CourtLevel::Basic { &ranks.courts[i] } else { &empty }).collect();
    rank_columns(&mut t, &standings, true);
    t.boolean("reported", rows.iter().map(|r| Some(r.reported)).collect()).date("latest_update", rows.iter().map(|r| r.latest_update).collect());
    t
}

fn coverage_columns(t: &mut Table, c: &[crate::indicators::Coverage]) {
    t.int("courts_reported", c.iter().map(|c| Some(c.reported as i64)).collect())
        .int("courts_expected", c.iter().map(|c| Some(c.expected as i64)).collect());
}

pub fn city_table(ind: &Indicators, ranks: &Rankings, p: &Period) -> Table {
    let mut t = Table::new("indicators_city");
    let n = ind.cities.len();
    t.text("city", ind.cities.iter().map(|c| Some(c.city.clone())).collect());
    period_columns(&mut t, n, p, ind.cities.iter().map(|c| Some(c.complete)).collect());
    figures_columns(&mut t, &ind.cities.iter().map(|c| &c.figures).collect::<Vec<_>>());
    rank_columns(&mut t, &ranks.cities.iter().collect::<Vec<_>>(), false);
    coverage_columns(&mut t, &ind.cities.iter().map(|c| c.coverage).collect::<Vec<_>>());
    t
}

pub fn province_table(ind: &Indicators, p: &Period) -> Table {
    let mut t = Table::new("indicators_province");
    period_columns(&mut t, 1, p, vec![Some(ind.province_complete)]);
    figures_columns(&mut t, &[&ind.province]);
    coverage_columns(&mut t, &[ind.province_coverage]);
    t
}

pub fn monthly_table(ind: &Indicators, courts: &Courts) -> Table {
    let mut t = Table::new("indicators_monthly");
    let m = &ind.monthly;
    let int = |g: fn(&crate::indicators::MonthCounts) -> u64| m.iter().map(|r| Some(g(&r.counts) as i64)).collect::<Vec<_>>();
    t.text("court_code", m.iter().map(|r| Some(courts.get(r.court).code.clone())).collect())
        .text("month", m.iter().map(|r| Some(r.month.format("%Y-%m").to_string())).collect())
        .int("filed", int(|c| c.filed))
        .int("closed", int(|c| c.closed))
        .int("completed", int(|c| c.completed))
        .int("in_term", int(|c| c.in_term))
        .float("completion_rate", m.iter().map(|r| ratio(r.counts.completed, r.counts.closed)).collect())
        .float("in_term_rate", m.iter().map(|r| ratio(r.counts.in_term, r.counts.closed)).collect());
    t
}

/// `cause_category`'s two words: the category 涉合同类 counts (§13
/// `contract_category`), and 其他 for every other cause.
fn category_labels(contract: &str) -> Vec<String> {
    vec![contract.to_string(), crate::domain::CauseCategory::Other.label().to_string()]
}

/// `indicators_comparison` (§15), in the units' order.
pub fn comparison_table(c: &crate::compare::Comparison) -> Table {
    let r = &c.rows;
    let mut t = Table::new("indicators_comparison");
    t.text("unit_kind", r.iter().map(|x| Some(x.kind.code().to_string())).collect())
        .text("unit", r.iter().map(|x| Some(x.unit.clone())).collect())
        .text("indicator", r.iter().map(|x| Some(x.indicator.to_string())).collect())
        .float("value", r.iter().map(|x| x.value).collect())
        .float("previous", r.iter().map(|x| x.previous).collect())
        .float("change", r.iter().map(|x| x.change).collect());
    t
}

/// `indicators_assessment` (§14), in the units' order.
pub fn assessment_table(a: &[crate::indicators::assessment::Assessment]) -> Table {
    let mut t = Table::new("indicators_assessment");
    t.text("unit_kind", a.iter().map(|x| Some(x.kind.code().to_string())).collect())
        .text("unit", a.iter().map(|x| Some(x.unit.clone())).collect())
        .text("indicator", a.iter().map(|x| Some(x.interval.column.to_string())).collect())
        .float("value", a.iter().map(|x| x.value).collect())
        .float("interval_min", a.iter().map(|x| x.interval.min).collect())
        .float("interval_max", a.iter().map(|x| x.interval.max).collect())
        .boolean("meets", a.iter().map(|x| x.meets).collect());
    t
}

/// `definitions.csv` (§13): each definition the figures were counted under,
/// its value and what it means, in Chinese.
pub fn definitions_table(d: &crate::indicators::Definitions, target: &super::Target) -> Table {
    let mut rows = d.described();
    let setting = |k: &str| target.settings.get(k).map(|v| v.to_string()).unwrap_or_default();
    rows.push(("first_enforcement_months", setting("first_enforcement_months"), "执行期限：立案后月数"));
    rows.push(("min_closed", setting("min_closed"), "参与排名的最少分母案件数"));
    let mut t = Table::new("definitions");
    t.text("key", rows.iter().map(|r| Some(r.0.to_string())).collect())
        .text("value", rows.iter().map(|r| Some(r.1.clone())).collect())
        .text("meaning", rows.iter().map(|r| Some(r.2.to_string())).collect());
    t
}

/// The watch lists (§11), already in their order, in content-defined chunks
/// (a busy province's lists run to a million rows: built and encoded on
/// every thread, a row group each, and a refresh reuses the chunks whose
/// rows did not change).
pub fn watchlist_table<'a>(
    entries: &'a [crate::watchlist::Entry],
    cases: &'a [Case],
    courts: &'a Courts,
    causes: &'a CausesByName,
    contract: &'a str,
    sizes: ChunkSizes,
) -> Chunked<'a> {
    // a list's rows run court by court, so one court's changed cases move
    // the boundaries of their own chunk in each list only
    let ranges = content_defined_ranges(entries.len(), sizes, |k| {
        let (e, c) = (&entries[k], &cases[entries[k].case as usize]);
        mix64(number_hash(&c.key, c.court) ^ e.list as u64)
    });
    Chunked {
        name: "watchlist",
        rows: entries.len(),
        ranges,
        build: Box::new(move |range| Ok(watchlist_rows(&entries[range], sizes.max, cases, courts, causes, contract))),
        fingerprint: Some(Box::new(move |range| {
            let mut f = Fingerprint::with_capacity(sizes.max * ENTRY_RECORD);
            for e in &entries[range] {
                fingerprint_entry(&mut f, e, &cases[e.case as usize], &causes.hashes);
            }
            f.finish()
        })),
    }
}

/// Everything a watch-list row shows, for the chunk fingerprint: the list,
/// the days and level (they move with `as_of`), and the fields of its case
/// the row shows (a court's code, name and city are its id's, as in
/// `fingerprint_case`).
fn fingerprint_entry(f: &mut Fingerprint, e: &crate::watchlist::Entry, c: &Case, cause_hashes: &[u64]) {
    let crate::watchlist::Entry { list, case: _, days, level } = e;
    let date = |d: Option<chrono::NaiveDate>| d.map_or(u32::MAX, |d| chrono::Datelike::num_days_from_ce(&d) as u32);
    let mut r = Record::<ENTRY_RECORD>::default();
    r.u8(*list as u8).u64(*days as u64).u32(level.unwrap_or(u32::MAX));
    r.key(&c.key).u32(c.court).u32(date(Some(c.filing))).u32(date(c.deadline)).u32(date(c.closing));
    r.u8(c.method.map_or(u8::MAX, |m| m as u8));
    match c.cause {
        Some(id) => r.u8(1).u64(cause_hashes[id.index()]),
        None => r.u8(0).u64(0),
    };
    r.u8(c.category as u8).u8(u8::from(c.enterprise)).u64(c.claim.get().map_or(i64::MIN, |x| x.0) as u64);
    debug_assert_eq!(r.at, ENTRY_RECORD);
    f.put(&r.bytes);
}

/// The bytes of `fingerprint_entry`'s record (checked by a debug assertion).
const ENTRY_RECORD: usize = 73;

/// `capacity`: room for the largest chunk in every column, so that the heap,
/// given the same sizes for each chunk, reuses their blocks (chunks differ in
/// size; exact sizes cost 25 MB of fragmented heap)
fn watchlist_rows(
    entries: &[crate::watchlist::Entry],
    capacity: usize,
    cases: &[Case],
    courts: &Courts,
    causes: &CausesByName,
    contract: &str,
) -> Table {
    let n = entries.len().max(capacity);
    let cities = courts.cities();
    let city_of: Vec<Option<u32>> =
        courts.list.iter().map(|x| x.city.as_ref().and_then(|name| cities.binary_search(name).ok()).map(|k| k as u32)).collect();
    // one pass over the entries, each case read once (a chunk is built for
    // the CSV and again for the Parquet file)
    let mut numbers = String::with_capacity(n * 30);
    let (mut list, mut court, mut city, mut spans) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    let (mut filing, mut deadline, mut closing) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    let (mut method, mut cause, mut category) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    let (mut enterprise, mut claim, mut days, mut level) =
        (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    for e in entries {
        let c = &cases[e.case as usize];
        list.push(Some(e.list as u32));
        court.push(Some(c.court));
        city.push(city_of.get(c.court as usize).copied().flatten());
        let start = numbers.len();
        c.number(courts).push_to(&mut numbers);
        spans.push(Some((start, numbers.len())));
        filing.push(Some(c.filing));
        deadline.push(c.deadline);
        closing.push(c.closing);
        method.push(c.method.map(|m| m as u32));
        cause.push(causes.code(c.cause));
        category.push(Some(u32::from(c.category != crate::reference::CauseCategory::Contract)));
        enterprise.push(Some(c.enterprise));
        claim.push(c.claim.get().map(|f| i128::from(f.0)));
        days.push(Some(e.days));
        level.push(e.level.map(i64::from));
    }
    let court_dict = |f: fn(&crate::reference::Court) -> String| courts.list.iter().map(f).collect::<Vec<_>>();
    let mut t = Table::new("watchlist");
    t.dict("list", crate::watchlist::List::ALL.iter().map(|l| l.code().to_string()).collect(), list)
        .dict("court_code", court_dict(|x| x.code.clone()), court.clone())
        .dict("court_name", court_dict(|x| x.name.clone()), court)
        .dict("city", cities, city)
        .packed("case_no", numbers, spans)
        .date("filing_date", filing)
        .date("deadline", deadline)
        .date("closing_date", closing)
        .dict("closure_method", crate::domain::ClosureMethod::ALL.iter().map(|m| m.label().to_string()).collect(), method)
        .dict("cause", causes.names.clone(), cause)
        .dict("cause_category", category_labels(contract), category)
        .boolean("involves_enterprise", enterprise)
        .yuan("claim_amount", claim)
        .int("days", days)
        .int("level", level);
    t
}

// The large tables are built a chunk (a Parquet row group) at a time, its
// boundaries content-defined so that a refresh can reuse the chunks whose
// rows did not change. Two chunks are built at once, so wide rows (cases,
// and quarantined rows with their raw text) come in smaller chunks: about
// 24k rows, at most 32k, against about 32k and at most 64k.
const WIDE_ROWS: ChunkSizes = ChunkSizes { min: 1 << 14, spacing: 1 << 13, max: 1 << 15 };
const NARROW_ROWS: ChunkSizes = ChunkSizes { min: 1 << 14, spacing: 1 << 14, max: 1 << 16 };
/// Quarantined rows come from every file (a few per cent of each), in file
/// order: a chunk spans many files, all of which a refresh must read again
/// when one of them changed. Smaller chunks (4–16k rows, about 8k; 2–3 MB
/// of raw text) keep that to a few dozen files.
const QUARANTINE_ROWS: ChunkSizes = ChunkSizes { min: 1 << 12, spacing: 1 << 12, max: 1 << 14 };

/// The watch list's chunks: 28–32k rows, about 30k. Chunks of nearly one
/// size let the heap reuse one chunk's blocks for the next; the case
/// table's spread (16–32k) measured 20 MB more peak memory here.
const WATCHLIST_ROWS: ChunkSizes = ChunkSizes { min: 7 << 12, spacing: 1 << 11, max: 1 << 15 };

/// `COURTSTAT_CHUNK_ROWS=N`, for tests only: chunks of N to 2N rows, so
/// that a small export has many (what the refresh's reuse needs testing on).
fn test_chunk_rows() -> Option<ChunkSizes> {
    static ROWS: std::sync::OnceLock<Option<ChunkSizes>> = std::sync::OnceLock::new();
    *ROWS.get_or_init(|| {
        let n: usize = std::env::var("COURTSTAT_CHUNK_ROWS").ok()?.parse().ok().filter(|&n| n > 0)?;
        Some(ChunkSizes { min: n, spacing: (n as u64 / 2).max(1), max: 2 * n })
    })
}

pub fn case_chunks() -> ChunkSizes {
    test_chunk_rows().unwrap_or(WIDE_ROWS)
}
pub fn quarantine_chunks() -> ChunkSizes {
    test_chunk_rows().unwrap_or(QUARANTINE_ROWS)
}
pub fn watchlist_chunks() -> ChunkSizes {
    test_chunk_rows().unwrap_or(WATCHLIST_ROWS)
}
pub fn duplicate_chunks() -> ChunkSizes {
    test_chunk_rows().unwrap_or(NARROW_ROWS)
}

/// The quarantine table's order: by file name, then line as a number.
fn quarantine_order(rows: &[QuarantinedRow], files: &[String]) -> Vec<u32> {
    let mut order: Vec<u32> = (0..rows.len() as u32).collect();
    let key = |i: &u32| {
        let r = &rows[*i as usize];
        (files[r.file as usize].as_str(), r.line)
    };
    order.sort_by(|a, b| key(a).cmp(&key(b)));
    order
}

/// Quarantined rows sorted by file name, then line as a number.
pub fn quarantine_table<'a>(rows: &'a [QuarantinedRow], files: &'a [String], sizes: ChunkSizes) -> Chunked<'a> {
    let order: std::sync::Arc<[u32]> = quarantine_order(rows, files).into();
    let file_hashes = name_hashes(files);
    let ranges = content_defined_ranges(rows.len(), sizes, |k| {
        let r = &rows[order[k] as usize];
        quarantine_hash(file_hashes[r.file as usize], r.line)
    });
    let fingerprinted = order.clone();
    Chunked {
        name: "quarantine",
        rows: rows.len(),
        ranges,
        build: Box::new(move |range| {
            let part: Vec<&QuarantinedRow> = order[range].iter().map(|&i| &rows[i as usize]).collect();
            let mut t = Table::new("quarantine");
            t.dict("file", files.to_vec(), part.iter().map(|r| Some(r.file)).collect())
                .int("line", part.iter().map(|r| Some(r.line as i64)).collect())
                .text("reason", part.iter().map(|r| Some(r.reason.code().to_string())).collect())
                .text("raw", part.iter().map(|r| Some(r.raw.clone())).collect());
            Ok(t)
        }),
        fingerprint: Some(Box::new(move |range| {
            let mut f = Fingerprint::default();
            let mut files = UsedFiles::of(&file_hashes);
            for &i in &fingerprinted[range] {
                // every field, named: a field added later fails to compile here
                let QuarantinedRow { file, line, reason, raw } = &rows[i as usize];
                f.u64(files.add(*file as usize)).u64(*line).u32(*reason as u32).text(raw);
            }
            files.put(&mut f);
            f.finish()
        })),
    }
}

/// `d` already sorted by case number (as dedup returns it).
pub fn duplicates_table<'a>(dups: &'a [Duplicate], courts: &'a Courts, files: &'a [String], sizes: ChunkSizes) -> Chunked<'a> {
    let file_hashes = name_hashes(files);
    Chunked {
        name: "duplicates",
        rows: dups.len(),
        ranges: content_defined_ranges(dups.len(), sizes, |k| number_hash(&dups[k].key, dups[k].court)),
        fingerprint: Some(Box::new(move |range| {
            let mut f = Fingerprint::default();
            let mut files = UsedFiles::of(&file_hashes);
            for x in &dups[range] {
                // every field, named: a field added later fails to compile here
                let Duplicate { key, court, versions, kept_file, kept_line, conflict } = x;
                f.key(key).u32(*court).u32(*versions).u64(files.add(*kept_file as usize)).u32(*kept_line).u8(u8::from(*conflict));
            }
            files.put(&mut f);
            f.finish()
        })),
        build: Box::new(move |range| {
            let d = &dups[range];
            let mut numbers = String::with_capacity(d.len() * 30);
            let spans = d
                .iter()
                .map(|x| {
                    let start = numbers.len();
                    x.number(courts).push_to(&mut numbers);
                    Some((start, numbers.len()))
                })
                .collect();
            let mut t = Table::new("duplicates");
            t.packed("case_no", numbers, spans)
                .int("versions", d.iter().map(|x| Some(i64::from(x.versions))).collect())
                .dict("kept_file", files.to_vec(), d.iter().map(|x| Some(x.kept_file)).collect())
                .int("kept_line", d.iter().map(|x| Some(x.kept_line as i64)).collect())
                .boolean("conflict", d.iter().map(|x| Some(x.conflict)).collect());
            Ok(t)
        }),
    }
}

/// What a case's numbers name: its court, source file and cause.
#[derive(Clone, Copy)]
pub struct CaseNames<'a> {
    pub courts: &'a Courts,
    pub files: &'a [String],
    pub causes: &'a CausesByName,
    /// the category 涉合同类 counts (§13)
    pub contract: &'a str,
}

/// The deduplicated case table, in chunks: `cases` come sorted by canonical
/// case number (as stage 3 returns them), so each chunk is a slice.
pub fn cases_table<'a>(cases: &'a [Case], names: CaseNames<'a>, with_parties: bool, sizes: ChunkSizes) -> Chunked<'a> {
    let ranges = content_defined_ranges(cases.len(), sizes, |k| number_hash(&cases[k].key, cases[k].court));
    let file_hashes = name_hashes(names.files);
    Chunked {
        name: "cases",
        rows: cases.len(),
        ranges,
        build: Box::new(move |range| Ok(cases_rows(&cases[range], &names, with_parties))),
        fingerprint: Some(Box::new(move |range| {
            // room for the largest chunk: chunks differ in size, and the
            // heap, given the same size for this largest block each time,
            // reuses it (exact sizes cost 30-40 MB of fragmented heap)
            let mut f = Fingerprint::with_capacity(sizes.max * CASE_RECORD);
            f.put(&[u8::from(with_parties)]);
            let mut files = UsedFiles::of(&file_hashes);
            for c in &cases[range] {
                fingerprint_case(&mut f, c, &mut files, &names.causes.hashes);
            }
            files.put(&mut f);
            f.finish()
        })),
    }
}

/// Everything of a case its row in the case table shows, for the chunk
/// fingerprint. A court's code, name and city are its id's (the courts
/// table is part of the cache's salt); a file and a cause show as their
/// names (a file's position is taken care of by `UsedFiles`, a cause's by
/// `CausesByName`). Laid
/// out in a fixed record (absent values as fixed markers) and appended
/// whole: field by field, the appends cost more than the hashing.
fn fingerprint_case(f: &mut Fingerprint, c: &Case, files: &mut UsedFiles, cause_hashes: &[u64]) {
    // every field, named: a field added later fails to compile here
    let Case {
        key,
        court,
        filing,
        closing,
        method,
        cause,
        category,
        claim,
        recovered,
        suspended_days,
        extended_days,
        enterprise,
        executed_flag,
        parties,
        updated_at,
        deadline,
        file,
        line,
    } = c;
    let date = |d: Option<chrono::NaiveDate>| d.map_or(u32::MAX, |d| chrono::Datelike::num_days_from_ce(&d) as u32);
    let mut r = Record::<CASE_RECORD>::default();
    r.key(key).u32(*court).u32(date(Some(*filing))).u32(date(*closing)).u8(method.map_or(u8::MAX, |m| m as u8));
    match cause {
        Some(id) => r.u8(1).u64(cause_hashes[id.index()]),
        None => r.u8(0).u64(0),
    };
    r.u8(*category as u8)
        .u64(claim.get().map_or(i64::MIN, |x| x.0) as u64)
        .u64(recovered.get().map_or(i64::MIN, |x| x.0) as u64)
        .u32(*suspended_days)
        .u32(*extended_days)
        .u8(u8::from(*enterprise))
        .u8(executed_flag.map_or(2, u8::from));
    let parties = parties.as_deref();
    for h in [parties.and_then(|p| p.applicant), parties.and_then(|p| p.respondent)] {
        match h {
            Some(h) => r.u8(1).put(&h),
            None => r.u8(0).put(&[0; 16]),
        };
    }
    r.u64(updated_at.to_bits() as u64).u32(date(*deadline)).u64(files.add(*file as usize)).u32(*line);
    debug_assert_eq!(r.at, CASE_RECORD);
    f.put(&r.bytes);
}

/// The bytes of `fingerprint_case`'s record (checked by a debug assertion).
const CASE_RECORD: usize = 131;

/// The source files a chunk's rows name. A row shows its file by name; the
/// chunk's dictionary page holds the names it uses in the files' order. So a
/// fingerprint takes each row's file name and, once, the names used in
/// that order, but not the files' positions: a file added to or dropped
/// from the inputs moves the other files' positions, not their chunks'
/// bytes.
struct UsedFiles<'h> {
    hashes: &'h [u64],
    used: Vec<bool>,
}

impl<'h> UsedFiles<'h> {
    fn of(hashes: &'h [u64]) -> Self {
        UsedFiles { hashes, used: vec![false; hashes.len()] }
    }

    /// A row's file `i`: its name's hash, for the row's record.
    fn add(&mut self, i: usize) -> u64 {
        self.used[i] = true;
        self.hashes[i]
    }

    /// The names used, in the files' order, after the rows.
    fn put(self, f: &mut Fingerprint) {
        f.put(b"files");
        for (h, _) in self.hashes.iter().zip(&self.used).filter(|(_, u)| **u) {
            f.u64(*h);
        }
    }
}

/// Where content-defined chunk boundaries fall in a table sorted by case
/// number: a hash of the number itself (see `content_defined_ranges`).
fn number_hash(key: &crate::domain::CaseKey, court: u32) -> u64 {
    let head = (u64::from(key.year) << 48) ^ (u64::from(court) << 24) ^ u64::from(key.special_code.map_or(0, u32::from));
    mix64(mix64(head ^ key.type_code.bits()) ^ key.seq)
}

/// Where content-defined chunk boundaries fall in the quarantine table: a
/// hash of the row's file name (`name_hashes`) and line.
fn quarantine_hash(file_hash: u64, line: u64) -> u64 {
    mix64(file_hash ^ mix64(line))
}

/// The run's causes in name order, as the case table and the watch list
/// show them: a chunk's dictionary page lists the causes it uses in this
/// order. The run's own order is that of first sight, which moves when the
/// first files change (a cause first seen in a later file than before) and
/// would have changed every chunk's bytes; in name order, the causes a
/// chunk's rows name (their names are in its fingerprint) say its page.
pub struct CausesByName {
    /// the names, sorted
    names: Vec<String>,
    /// by the run's cause index: its place in `names`
    place: Vec<u32>,
    /// by the run's cause index: a hash of its name
    hashes: Vec<u64>,
}

impl CausesByName {
    pub fn of(causes: &[String]) -> Self {
        let mut order: Vec<u32> = (0..causes.len() as u32).collect();
        order.sort_by(|a, b| causes[*a as usize].cmp(&causes[*b as usize]).then(a.cmp(b)));
        let mut place = vec![0; causes.len()];
        for (p, &i) in order.iter().enumerate() {
            place[i as usize] = p as u32;
        }
        CausesByName { names: order.iter().map(|&i| causes[i as usize].clone()).collect(), place, hashes: name_hashes(causes) }
    }

    /// A case's cause as a code into `names`.
    fn code(&self, cause: Option<crate::domain::CauseId>) -> Option<u32> {
        cause.and_then(|id| self.place.get(id.index()).copied())
    }
}

/// A 64-bit hash of each name (file or cause), for chunk fingerprints and
/// chunk boundaries.
fn name_hashes(names: &[String]) -> Vec<u64> {
    names.iter().map(|n| xxhash_rust::xxh3::xxh3_64(n.as_bytes())).collect()
}

/// Fields laid end to end, little-endian.
trait Sink {
    fn put(&mut self, b: &[u8]) -> &mut Self;
    fn u8(&mut self, v: u8) -> &mut Self {
        self.put(&[v])
    }
    fn u32(&mut self, v: u32) -> &mut Self {
        self.put(&v.to_le_bytes())
    }
    fn u64(&mut self, v: u64) -> &mut Self {
        self.put(&v.to_le_bytes())
    }
    /// length first, so that two texts cannot run into each other
    fn text(&mut self, t: &str) -> &mut Self {
        self.u64(t.len() as u64).put(t.as_bytes())
    }
    fn key(&mut self, k: &crate::domain::CaseKey) -> &mut Self {
        self.u32(u32::from(k.year)).u32(k.special_code.map_or(u32::MAX, u32::from)).u64(k.type_code.bits()).u64(k.seq)
    }
}

/// The bytes of a chunk's rows, and their 128-bit xxh3 (a chance collision
/// is out of reach at any scale).
#[derive(Default)]
struct Fingerprint(Vec<u8>);

impl Sink for Fingerprint {
    fn put(&mut self, b: &[u8]) -> &mut Self {
        self.0.extend_from_slice(b);
        self
    }
}

impl Fingerprint {
    fn with_capacity(n: usize) -> Self {
        Fingerprint(Vec::with_capacity(n))
    }
    fn finish(&self) -> u128 {
        xxhash_rust::xxh3::xxh3_128(&self.0)
    }
}

/// A record of `N` bytes filled in place, whose writes compile to stores.
struct Record<const N: usize> {
    bytes: [u8; N],
    at: usize,
}

impl<const N: usize> Default for Record<N> {
    fn default() -> Self {
        Record { bytes: [0; N], at: 0 }
    }
}

impl<const N: usize> Sink for Record<N> {
    fn put(&mut self, b: &[u8]) -> &mut Self {
        self.bytes[self.at..self.at + b.len()].copy_from_slice(b);
        self.at += b.len();
        self
    }
}

/// Rows of the case table, already in order. The party hash columns are
/// present only when a key was set. Repeated text is dictionary-encoded and
/// case numbers share one buffer, so building it allocates per column, not
/// per row.
fn cases_rows(c: &[Case], names: &CaseNames, with_parties: bool) -> Table {
    let CaseNames { courts, files, causes, contract } = *names;
    let mut keys = String::with_capacity(c.len() * 30);
    let mut spans: Vec<Option<(usize, usize)>> = Vec::with_capacity(c.len());
    for x in c {
        let start = keys.len();
        x.number(courts).push_to(&mut keys);
        spans.push(Some((start, keys.len())));
    }
    let court_dict = |f: fn(&crate::reference::Court) -> Option<String>| courts.list.iter().map(|x| f(x).unwrap_or_default()).collect::<Vec<_>>();
    let court_codes = || c.iter().map(|x| Some(x.court)).collect::<Vec<_>>();
    let mut type_index: foldhash::HashMap<crate::domain::TypeCode, u32> = Default::default();
    let mut type_dict = Vec::new();
    let type_codes = c
        .iter()
        .map(|x| {
            Some(*type_index.entry(x.key.type_code).or_insert_with(|| {
                type_dict.push(x.key.type_code.to_string());
                (type_dict.len() - 1) as u32
            }))
        })
        .collect();
    let cause_codes = c.iter().map(|x| causes.code(x.cause)).collect();
    let updated = c.iter().map(|x| x.updated_at.get().map(|u| u.and_utc().timestamp_millis())).collect();
    // a dictionary's entries are distinct: the cities by name, each court
    // pointing at its own
    let cities = courts.cities();
    let city_of: Vec<Option<u32>> =
        courts.list.iter().map(|x| x.city.as_ref().and_then(|name| cities.binary_search(name).ok()).map(|k| k as u32)).collect();
    let methods = crate::domain::ClosureMethod::ALL;
    let mut t = Table::new("cases");
    t.packed("case_no", keys, spans)
        .int("year", c.iter().map(|x| Some(i64::from(x.key.year))).collect())
        .dict("court_code", court_dict(|x| Some(x.code.clone())), court_codes())
        .text("special_code", c.iter().map(|x| x.key.special_code.map(String::from)).collect())
        .dict("type_code", type_dict, type_codes)
        .int("seq", c.iter().map(|x| i64::try_from(x.key.seq).ok()).collect())
        .dict("court_name", court_dict(|x| Some(x.name.clone())), court_codes())
        .dict("city", cities.clone(), c.iter().map(|x| city_of.get(x.court as usize).copied().flatten()).collect())
        .date("filing_date", c.iter().map(|x| Some(x.filing)).collect())
        .date("closing_date", c.iter().map(|x| x.closing).collect())
        .dict(
            "closure_method",
            methods.iter().map(|m| m.label().to_string()).collect(),
            c.iter().map(|x| x.method.and_then(|m| methods.iter().position(|k| *k == m)).map(|p| p as u32)).collect(),
        )
        .dict("cause", causes.names.clone(), cause_codes)
        .dict(
            "cause_category",
            category_labels(contract),
            c.iter().map(|x| Some(if x.category == crate::reference::CauseCategory::Contract { 0 } else { 1 })).collect(),
        )
        .yuan("claim_amount", c.iter().map(|x| x.claim.get().map(|f| i128::from(f.0))).collect())
        .yuan("recovered_amount", c.iter().map(|x| x.recovered.get().map(|f| i128::from(f.0))).collect())
        .int("suspended_days", c.iter().map(|x| Some(i64::from(x.suspended_days))).collect())
        .int("extended_days", c.iter().map(|x| Some(i64::from(x.extended_days))).collect())
        .boolean("involves_enterprise", c.iter().map(|x| Some(x.enterprise)).collect())
        .timestamp("updated_at", updated)
        .date("deadline", c.iter().map(|x| x.deadline).collect())
        .boolean("executed_flag", c.iter().map(|x| x.executed_flag).collect());
    if with_parties {
        let hex = |h: Option<[u8; 16]>| h.map(|h| crate::ingest::hex(&h));
        t.text("applicant_hash", c.iter().map(|x| hex(x.parties.as_ref().and_then(|p| p.applicant))).collect())
            .text("respondent_hash", c.iter().map(|x| hex(x.parties.as_ref().and_then(|p| p.respondent))).collect());
    }
    t.dict("source_file", files.to_vec(), c.iter().map(|x| Some(x.file)).collect())
        .int("source_line", c.iter().map(|x| Some(i64::from(x.line))).collect());
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv_of(t: &Chunked) -> Vec<u8> {
        let mut out = Vec::new();
        crate::output::csv::write_chunked(t, &mut out, crate::output::labels::HeaderLanguage::English, None).unwrap();
        out
    }

    #[test]
    fn a_table_written_in_chunks_is_the_table_written_whole() {
        use crate::domain::{CaseKey, QuarantineReason, TypeCode};
        let files = vec!["b.csv".to_string(), "a.csv".to_string()];
        let courts = crate::dedup::tests::courts();
        let key = |seq| CaseKey { year: 2023, special_code: None, type_code: TypeCode::new("执").unwrap(), seq };
        let dups: Vec<Duplicate> = (1..=7)
            .map(|seq| Duplicate {
                key: key(seq),
                court: (seq % 3) as u32,
                versions: 2,
                kept_file: (seq % 2) as u32,
                kept_line: seq as u32 + 1,
                conflict: seq == 3,
            })
            .collect();
        let quarantined: Vec<QuarantinedRow> = (0..7)
            .map(|i| QuarantinedRow { file: i % 2, line: 10 - u64::from(i), reason: QuarantineReason::BadAmount, raw: format!("row {i}") })
            .collect();
        let whole_sizes = ChunkSizes { min: 100, spacing: 1, max: 100 };
        let small = ChunkSizes { min: 1, spacing: 2, max: 3 };
        for (whole, parts) in [
            (duplicates_table(&dups, &courts, &files, whole_sizes), duplicates_table(&dups, &courts, &files, small)),
            (quarantine_table(&quarantined, &files, whole_sizes), quarantine_table(&quarantined, &files, small)),
        ] {
            assert_eq!(whole.ranges.len(), 1);
            assert!(parts.ranges.len() >= 3, "{:?}", parts.ranges);
            let text = csv_of(&whole);
            assert_eq!(csv_of(&parts), text);
            assert_eq!(String::from_utf8(text).unwrap().lines().count(), 8);
        }
        // sorted by file name, then line as a number
        let q = String::from_utf8(csv_of(&quarantine_table(&quarantined, &files, small))).unwrap();
        assert!(q.lines().nth(1).unwrap().starts_with("a.csv,5,"), "{q}");
        // an empty table still has its header
        let none = duplicates_table(&[], &courts, &files, small);
        assert_eq!(none.ranges.len(), 1);
        assert_eq!(String::from_utf8(csv_of(&none)).unwrap().lines().count(), 1);
    }

    fn case_chunks<'a>(cases: &'a [Case], names: CaseNames<'a>, sizes: ChunkSizes) -> Chunked<'a> {
        cases_table(cases, names, true, sizes)
    }

    /// Cases in the case table's order, as stage 3 returns them.
    fn sorted(cases: &[Case], courts: &Courts) -> Vec<Case> {
        crate::number_order::by_case_number(cases, |c| c.number(courts)).into_iter().map(|i| cases[i as usize].clone()).collect()
    }

    #[test]
    fn a_case_differing_in_any_shown_field_changes_its_chunk_fingerprint() {
        use crate::domain::{ClosureMethod, MaybeFen, PartyHashes, UpdatedAt};
        let courts = crate::dedup::tests::courts();
        let files = vec!["a.csv".to_string(), "b.csv".to_string()];
        let causes = vec!["借款合同纠纷".to_string(), "买卖合同纠纷".to_string()];
        let by_name = CausesByName::of(&causes);
        let names = CaseNames { courts: &courts, files: &files, causes: &by_name, contract: "合同" };
        let base = crate::dedup::tests::case(7, 0, 3);
        let edits: Vec<fn(&mut Case)> = vec![
            |c| c.key.year = 2022,
            |c| c.key.special_code = Some('知'),
            |c| c.key.type_code = crate::domain::TypeCode::new("执恢").unwrap(),
            |c| c.key.seq = 8,
            |c| c.court = 1,
            |c| c.filing = chrono::NaiveDate::from_ymd_opt(2023, 1, 11).unwrap(),
            |c| c.closing = chrono::NaiveDate::from_ymd_opt(2023, 2, 1),
            |c| c.method = Some(ClosureMethod::Completed),
            |c| c.cause = crate::domain::CauseId::at(1),
            |c| c.category = crate::reference::CauseCategory::Contract,
            |c| c.claim = MaybeFen::new(Some(crate::domain::Fen(100))),
            |c| c.recovered = MaybeFen::new(Some(crate::domain::Fen(100))),
            |c| c.suspended_days = 1,
            |c| c.extended_days = 1,
            |c| c.enterprise = true,
            |c| c.parties = Some(Box::new(PartyHashes { applicant: Some([1; 16]), respondent: None })),
            |c| c.parties = Some(Box::new(PartyHashes { applicant: None, respondent: Some([1; 16]) })),
            |c| c.updated_at = UpdatedAt::new(chrono::NaiveDateTime::parse_from_str("2023-08-25 10:00", "%Y-%m-%d %H:%M").ok()),
            |c| c.deadline = chrono::NaiveDate::from_ymd_opt(2023, 7, 10),
            |c| c.file = 1,
            |c| c.line = 4,
        ];
        let fingerprint = |c: &Case, names: CaseNames| {
            let cases = [c.clone()];
            let t = case_chunks(&cases, names, ChunkSizes { min: 1, spacing: 1, max: 1 });
            (t.fingerprint.as_ref().unwrap())(0..1)
        };
        let before = fingerprint(&base, names);
        assert_eq!(fingerprint(&base.clone(), names), before, "the same rows, the same fingerprint");
        for (k, edit) in edits.iter().enumerate() {
            let mut c = base.clone();
            edit(&mut c);
            assert_ne!(fingerprint(&c, names), before, "edit {k} went unnoticed");
        }
        // a renamed file or cause shows in the row, so it counts too
        let mut with_cause = base.clone();
        with_cause.cause = crate::domain::CauseId::at(0);
        let renamed_files = vec!["c.csv".to_string(), "b.csv".to_string()];
        let renamed_causes = vec!["其他".to_string(), "买卖合同纠纷".to_string()];
        assert_ne!(fingerprint(&base, CaseNames { files: &renamed_files, ..names }), before);
        assert_ne!(fingerprint(&with_cause, CaseNames { causes: &CausesByName::of(&renamed_causes), ..names }), fingerprint(&with_cause, names));
    }

    #[test]
    fn a_file_added_to_the_inputs_leaves_the_other_files_chunks_as_they_were() {
        let courts = crate::dedup::tests::courts();
        let sizes = ChunkSizes { min: 20, spacing: 32, max: 200 };
        // the same cases from a.csv and c.csv, with b.csv added between them
        let before = vec!["a.csv".to_string(), "c.csv".to_string()];
        let after = vec!["a.csv".to_string(), "b.csv".to_string(), "c.csv".to_string()];
        let cases_in = |c_at: u32| -> Vec<Case> {
            let all: Vec<Case> = (1..=300).map(|seq| crate::dedup::tests::case(seq, if seq % 3 == 0 { c_at } else { 0 }, seq as u32)).collect();
            sorted(&all, &courts)
        };
        let (old_cases, new_cases) = (cases_in(1), cases_in(2));
        let table = |cases, files| {
            let no_causes = CausesByName::of(&[]);
            let t = case_chunks(cases, CaseNames { courts: &courts, files, causes: &no_causes, contract: "合同" }, sizes);
            let prints: Vec<u128> = t.ranges.iter().map(|r| t.fingerprint.as_ref().unwrap()(r.clone())).collect();
            let mut parquet = Vec::new();
            crate::output::parquet_file::write_chunked(&t, &mut parquet, None).unwrap();
            (prints, parquet)
        };
        let (old, new) = (table(&old_cases, &before), table(&new_cases, &after));
        assert!(old.0.len() > 3);
        assert_eq!(old, new, "same fingerprints, same bytes");
        // the same names in the other order do change the bytes: so must the
        // fingerprints
        let swapped = vec!["c.csv".to_string(), "a.csv".to_string()];
        let flipped: Vec<Case> = old_cases.iter().map(|c| Case { file: 1 - c.file, ..c.clone() }).collect();
        let other = table(&flipped, &swapped);
        assert_ne!(other.1, old.1);
        assert!(other.0.iter().zip(&old.0).all(|(a, b)| a != b));
    }

    #[test]
    fn causes_first_seen_in_another_order_leave_the_case_and_watch_list_chunks_as_they_were() {
        use crate::watchlist::{Entry, List};
        let courts = crate::dedup::tests::courts();
        let files = vec!["a.csv".to_string()];
        let sizes = ChunkSizes { min: 20, spacing: 32, max: 200 };
        // the run's causes in order of first sight: a re-export of the
        // first file can turn it round
        let (seen, turned) =
            (vec!["借款合同纠纷".to_string(), "买卖合同纠纷".to_string()], vec!["买卖合同纠纷".to_string(), "借款合同纠纷".to_string()]);
        let cases_with = |first: usize| -> Vec<Case> {
            let all: Vec<Case> = (1..=300)
                .map(|seq| Case {
                    cause: crate::domain::CauseId::at(if seq % 2 == 0 { first } else { 1 - first }),
                    ..crate::dedup::tests::case(seq, 0, seq as u32)
                })
                .collect();
            sorted(&all, &courts)
        };
        let both = |cases: &[Case], causes: &[String]| {
            let causes = CausesByName::of(causes);
            let names = CaseNames { courts: &courts, files: &files, causes: &causes, contract: "合同" };
            let entries: Vec<Entry> =
                (0..cases.len() as u32).map(|case| Entry { list: List::ContractUnexecuted, case, days: 3, level: None }).collect();
            let (t, w) = (case_chunks(cases, names, sizes), watchlist_table(&entries, cases, &courts, &causes, "合同", sizes));
            let prints = |t: &Chunked| t.ranges.iter().map(|r| t.fingerprint.as_ref().unwrap()(r.clone())).collect::<Vec<_>>();
            let mut parquet = Vec::new();
            crate::output::parquet_file::write_chunked(&t, &mut parquet, None).unwrap();
            crate::output::parquet_file::write_chunked(&w, &mut parquet, None).unwrap();
            (prints(&t), prints(&w), parquet, csv_of(&w))
        };
        let (before, after) = (both(&cases_with(0), &seen), both(&cases_with(1), &turned));
        assert!(before.0.len() > 3 && before.1.len() > 3);
        assert_eq!(before, after, "same fingerprints, same bytes");
        // another cause does change both
        let renamed = vec!["借款合同纠纷".to_string(), "其他合同纠纷".to_string()];
        let other = both(&cases_with(0), &renamed);
        assert_ne!(other.2, before.2);
        assert!(other.0.iter().zip(&before.0).all(|(a, b)| a != b) && other.1.iter().zip(&before.1).all(|(a, b)| a != b));
    }

    #[test]
    fn a_changed_or_added_case_re_encodes_its_own_chunk_and_reuses_the_others() {
        use crate::output::reuse::tests::MemoryStore;
        let courts = crate::dedup::tests::courts();
        let files = vec!["a.csv".to_string()];
        let no_causes = CausesByName::of(&[]);
        let names = CaseNames { courts: &courts, files: &files, causes: &no_causes, contract: "合同" };
        let sizes = ChunkSizes { min: 20, spacing: 32, max: 200 };
        let mut cases: Vec<Case> = (1..=2000).map(|seq| crate::dedup::tests::case(seq, 0, seq as u32 + 1)).collect();
        let write = |cases: &[Case], store: Option<&dyn crate::output::reuse::ChunkStore>| {
            let cases = sorted(cases, &courts);
            let t = case_chunks(&cases, names, sizes);
            let mut out = Vec::new();
            crate::output::parquet_file::write_chunked(&t, &mut out, store).unwrap();
            (out, t.ranges.len())
        };
        let store = MemoryStore::default();
        let (_, chunks) = write(&cases, Some(&store));
        assert!(chunks > 20, "{chunks} chunks");
        assert_eq!(store.counts(), (0, chunks));
        cases[1000].closing = chrono::NaiveDate::from_ymd_opt(2023, 5, 1);
        cases.push(crate::dedup::tests::case(5000, 0, 9999));
        cases.insert(10, crate::dedup::tests::case(7_000_000, 0, 7));
        let (reused, chunks) = write(&cases, Some(&store));
        assert_eq!(reused, write(&cases, None).0, "reused chunks give the bytes of a fresh write");
        let (hits, encoded) = store.counts();
        assert_eq!(hits + encoded, chunks);
        assert!((3..=6).contains(&encoded), "{encoded} of {chunks} chunks encoded again");
    }

    #[test]
    fn datetimes_format_like_chrono() {
        for s in ["2023-08-25 09:05:07", "0999-01-01 00:00:00", "2023-12-31 23:59:59"] {
            let t = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap();
            let mut out = Vec::new();
            crate::output::csv::push_datetime(&mut out, &t);
            assert_eq!(String::from_utf8(out).unwrap(), t.format("%Y-%m-%dT%H:%M:%S").to_string());
        }
    }
}
