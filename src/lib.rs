//! courtstat: enforcement-case exports of a province's courts in, the
//! indicators and rankings the province ranks its courts by out.
//!
//! This file is the pipeline in stage order and nothing else:
//! ingest → normalize → dedup → indicators → rank → output. Each stage takes
//! typed input, returns typed output and says what it dropped and why.

pub mod cache;
pub mod cli;
pub mod config;
pub mod dedup;
pub mod domain;
pub mod error;
pub mod gen;
pub mod indicators;
pub mod ingest;
pub(crate) mod memory;
pub mod normalize;
pub mod number_order;
pub mod output;
pub mod progress;
pub mod rank;
pub mod reference;
pub mod refresh;
pub mod report;
mod summary;
pub mod validate;

pub use config::Settings;
pub use error::Error;
pub use summary::{display_path, RunSummary};

use indicators::Incomplete;
use ingest::{InputFile, LoadedFile, Rejection};
use normalize::{FileRows, RowContext};
use output::manifest::{FileEntry, Manifest};
use rayon::prelude::*;
use reference::{Causes, Courts};
use std::collections::BTreeMap;
use std::time::Instant;

/// What became of one input file in stages 1 and 2.
pub(crate) struct FileOutcome {
    pub(crate) delimiter: Option<u8>,
    pub(crate) header: Option<ingest::HeaderMap>,
    pub(crate) sha256: Option<String>,
    pub(crate) encoding: Option<ingest::Encoding>,
    pub(crate) rows: Option<FileRows>,
    pub(crate) rejection: Option<Rejection>,
    pub(crate) court_codes: std::collections::BTreeSet<String>,
}

/// CPU time spent per stage across the rayon tasks, in nanoseconds.
#[derive(Default)]
pub(crate) struct StageClock {
    read_decode: std::sync::atomic::AtomicU64,
    validate: std::sync::atomic::AtomicU64,
}

impl StageClock {
    fn add(counter: &std::sync::atomic::AtomicU64, since: Instant) {
        counter.fetch_add(since.elapsed().as_nanos() as u64, std::sync::atomic::Ordering::Relaxed);
    }
    fn ms(counter: &std::sync::atomic::AtomicU64) -> u64 {
        counter.load(std::sync::atomic::Ordering::Relaxed) / 1_000_000
    }
}

/// Files read per batch: two tasks' worth of SIMD lanes (see
/// `ingest::sha256`), or fewer once they add up to this many bytes, so that
/// a national run does not hold dozens of large files at once (two batches
/// are in memory: one validated, the next read)...
const BATCH_BYTES: u64 = 256 << 20;
/// and at least this many files when they are small (without SIMD lanes a
/// batch of two would wait on its slower file too often)
const BATCH_FILES: usize = 16;

/// Stages 1 and 2 for every file, results in input order. Files go in
/// batches: each batch's files are read in parallel and hashed side by side
/// (one SIMD lane per file), then validated in parallel while the next
/// batch is read and hashed, so that no core waits for a batch's slowest
/// file. `done` is told of each file as it is finished.
pub(crate) fn read_and_validate_all(
    files: &[InputFile],
    ctx: &RowContext,
    max_bad: f64,
    clock: &StageClock,
    cache: Option<&cache::Cache>,
    done: &(dyn Fn(&InputFile) + Sync),
) -> Vec<FileOutcome> {
    let lanes = ingest::sha256::lanes();
    // batch boundaries: [first, end) each
    let mut batches = Vec::new();
    let mut first = 0;
    while first < files.len() {
        let mut end = first + 1;
        let mut bytes = files[first].size;
        while end < files.len() && end - first < BATCH_FILES.max(2 * lanes) && bytes + files[end].size <= BATCH_BYTES {
            bytes += files[end].size;
            end += 1;
        }
        batches.push(first..end);
        first = end;
    }
    let fetch_batch = |range: std::ops::Range<usize>| fetch_and_hash(&files[range], lanes, clock, cache);
    let validate_batch = |range: std::ops::Range<usize>, fetched: Vec<(Fetched, Option<String>)>| -> Vec<FileOutcome> {
        let first = range.start;
        files[range]
            .par_iter()
            .zip(fetched)
            .enumerate()
            .map(|(k, (file, (f, sha)))| {
                let index = (first + k) as u32;
                let o = match (f, sha) {
                    (Fetched::Cached(p, sha), _) => outcome(p, sha, index, max_bad),
                    (Fetched::Unreadable(r), _) => rejected(r, None, None),
                    (Fetched::Read { bytes, stamp, known }, Some(sha)) => {
                        validate_read(index, file, bytes, sha, (stamp, known), ctx, max_bad, clock, cache)
                    }
                    (Fetched::Read { .. }, None) => rejected(Rejection::Unreadable("not hashed".into()), None, None),
                };
                done(file);
                o
            })
            .collect()
    };
    let mut outcomes = Vec::with_capacity(files.len());
    let mut ranges = batches.into_iter();
    let mut current = ranges.next().map(|r| (r.clone(), fetch_batch(r)));
    while let Some((range, fetched)) = current.take() {
        let next = ranges.next();
        let (validated, prepared) = rayon::join(|| validate_batch(range, fetched), || next.map(|r| (r.clone(), fetch_batch(r))));
        outcomes.extend(validated);
        current = prepared;
    }
    outcomes
}

/// Reads a batch of files in parallel and hashes those read side by side:
/// each file with its sha256 (hex) when it was read.
fn fetch_and_hash(batch: &[InputFile], lanes: usize, clock: &StageClock, cache: Option<&cache::Cache>) -> Vec<(Fetched, Option<String>)> {
    // timed inside each task: the clock sums CPU time over threads
    let fetched: Vec<Fetched> = batch
        .par_iter()
        .map(|f| {
            let t = Instant::now();
            let got = fetch(f, cache);
            StageClock::add(&clock.read_decode, t);
            got
        })
        .collect();
    let reads: Vec<&[u8]> = fetched.iter().filter_map(|f| if let Fetched::Read { bytes, .. } = f { Some(bytes.as_slice()) } else { None }).collect();
    // at most a register's lanes per task, and every thread a share when the
    // batch is smaller (large national files)
    let per_task = reads.len().div_ceil(rayon::current_num_threads().max(1)).clamp(1, lanes);
    let mut shas = reads
        .par_chunks(per_task)
        .flat_map_iter(|files| {
            let t = Instant::now();
            let hashed = ingest::sha256::sha256_many(files);
            StageClock::add(&clock.read_decode, t);
            hashed
        })
        .collect::<Vec<_>>()
        .into_iter();
    drop(reads);
    fetched
        .into_iter()
        .map(|f| {
            let sha = matches!(f, Fetched::Read { .. }).then(|| shas.next().map(|s| ingest::hex(&s))).flatten();
            (f, sha)
        })
        .collect()
}

/// A file before hashing.
enum Fetched {
    /// unchanged since the run that cached its parse (size, times, inode)
    Cached(cache::Parsed, String),
    Read {
        bytes: Vec<u8>,
        stamp: Option<cache::Stamp>,
        known: Option<String>,
    },
    Unreadable(Rejection),
}

fn fetch(file: &InputFile, cache: Option<&cache::Cache>) -> Fetched {
    // taken before reading, so a change while we read shows next time
    let stamp = cache.and_then(|_| cache::Stamp::of(&file.path));
    let known = cache.zip(stamp).and_then(|(c, s)| c.known_sha256(&file.path, &s));
    if let (Some(c), Some(s), Some(sha)) = (cache, stamp, &known) {
        if let Some(p) = c.get(sha, false) {
            c.remember(&file.path, s, sha);
            return Fetched::Cached(p, sha.clone());
        }
    }
    match ingest::read(file) {
        Ok(bytes) => Fetched::Read { bytes, stamp, known },
        Err(r) => Fetched::Unreadable(r),
    }
}

/// Stages 1 and 2 for a file read and hashed: from the cache when these
/// bytes were parsed before under the same settings, else validated afresh.
#[allow(clippy::too_many_arguments)]
fn validate_read(
    index: u32,
    file: &InputFile,
    bytes: Vec<u8>,
    sha256: String,
    (stamp, known): (Option<cache::Stamp>, Option<String>),
    ctx: &RowContext,
    max_bad: f64,
    clock: &StageClock,
    cache: Option<&cache::Cache>,
) -> FileOutcome {
    let t = Instant::now();
    if let (Some(c), Some(s)) = (cache, stamp) {
        c.remember(&file.path, s, &sha256);
        // an entry already found damaged by `fetch` is not read twice
        if let Some(p) = (known.as_deref() != Some(&sha256)).then(|| c.get(&sha256, true)).flatten() {
            StageClock::add(&clock.read_decode, t);
            return outcome(p, sha256, index, max_bad);
        }
    }
    let loaded = ingest::load_bytes(bytes, sha256, &ctx.limits);
    StageClock::add(&clock.read_decode, t);
    let t = Instant::now();
    let loaded = match loaded {
        Ok(l) => l,
        Err((rejection, sha256, encoding)) => return rejected(rejection, sha256, encoding),
    };
    let (rows, codes_without_header) = match &loaded.header {
        Ok(h) => (Some(normalize::validate_file(&loaded, h, index, ctx)), Default::default()),
        Err(_) => (None, normalize::court_codes_in(&loaded)),
    };
    // the decoded text is dropped here: only its facts travel on
    let LoadedFile { sha256, encoding, delimiter, header_cells, .. } = loaded;
    let parsed = cache::Parsed { encoding, delimiter, header_cells, codes_without_header, rows };
    if let Some(c) = cache {
        c.put(&sha256, &parsed);
    }
    StageClock::add(&clock.validate, t);
    outcome(parsed, sha256, index, max_bad)
}

/// A file that could not be read or had no line to take a header from.
fn rejected(rejection: Rejection, sha256: Option<String>, encoding: Option<ingest::Encoding>) -> FileOutcome {
    FileOutcome { delimiter: None, header: None, sha256, encoding, rows: None, rejection: Some(rejection), court_codes: Default::default() }
}

/// What this run makes of a parsed file: its place among the inputs, and
/// whether it is rejected (§5.2).
fn outcome(p: cache::Parsed, sha256: String, index: u32, max_bad: f64) -> FileOutcome {
    let header = ingest::header::map_header(&p.header_cells);
    let mut rows = p.rows;
    if let Some(r) = rows.as_mut() {
        r.cases.iter_mut().for_each(|c| c.file = index);
        r.quarantined.iter_mut().for_each(|q| q.file = index);
    }
    let (rejection, court_codes) = match (&header, &rows) {
        (Err(e), _) => (Some(Rejection::Header(e.clone())), p.codes_without_header),
        (Ok(_), Some(r)) => (r.too_many_bad(max_bad), r.court_codes.clone()),
        (Ok(_), None) => (None, p.codes_without_header),
    };
    FileOutcome { delimiter: Some(p.delimiter), header: header.ok(), sha256: Some(sha256), encoding: Some(p.encoding), rows, rejection, court_codes }
}

/// Runs the whole job and publishes its outputs, or publishes nothing.
pub fn run(settings: &Settings, progress: &progress::Progress) -> Result<RunSummary, Error> {
    let mut clock = RunClock::default();
    memory::return_large_frees_to_the_os();
    let courts = Courts::load(settings.courts.as_deref())?;
    let causes = Causes::load(settings.causes.as_deref())?;
    check_out_not_inside_inputs(settings)?;
    let _lock = output::lock::acquire(&settings.out, settings.wait_for_lock)?;

    let discovery = discover_inputs(settings)?;
    progress.start_reading(discovery.files.len(), discovery.files.iter().map(|f| f.size).sum());
    let hasher = normalize::parties::PartyHasher::new(settings.hash_key.clone());
    let ctx = RowContext::new(settings, &courts, &causes, &hasher);
    let stage_clock = StageClock::default();
    let cache = open_cache(settings, &courts, &causes, &hasher);
    let names: Vec<String> = discovery.files.iter().map(|f| f.name.clone()).collect();
    // each large table's chunk fingerprints as written, for the run state
    let seen: [std::sync::Mutex<BTreeMap<usize, u128>>; 3] = Default::default();
    let run = Run { settings, courts: &courts, hasher: &hasher, cache: cache.as_ref(), names: &names, discovery: &discovery, progress, seen: &seen };

    // a refresh of the courts whose files changed, when the last run left
    // its state; anything it cannot vouch for goes the full way below
    let key = cache.as_ref().map(|_| refresh::state_key(settings));
    if let Some((c, state)) = cache.as_ref().zip(key.as_ref()).and_then(|(c, k)| refresh::load(c, k).map(|s| (c, s))) {
        let t = Instant::now();
        let inputs = refresh::Inputs {
            files: &discovery.files,
            names: &names,
            ctx: &ctx,
            courts: &courts,
            period: &settings.period,
            max_bad: settings.max_bad_row_ratio,
            cache: c,
            clock: &stage_clock,
            done: &|f| progress.file_done(f.size),
        };
        if let Some(r) = refresh::refresh(&inputs, state, key.clone().unwrap_or_default()) {
            clock.timings.insert("refresh", t.elapsed().as_millis() as u64);
            clock.memory.insert("after_refresh", memory::mb().0);
            match run.publish_refreshed(r, &mut clock) {
                // a stored chunk turned out damaged: start over, in full
                Err(Error::Output(e)) if e.message.contains(output::table::UNAVAILABLE) => {}
                done => return done,
            }
        }
        // the full path counts afresh what the refresh counted
        clock = RunClock::default();
        c.restart_stats();
        seen.iter().for_each(|m| m.lock().unwrap_or_else(|e| e.into_inner()).clear());
    }

    // 1 + 2. ingest and normalize, one file per task, results in input order
    let t = Instant::now();
    let mut outcomes =
        read_and_validate_all(&discovery.files, &ctx, settings.max_bad_row_ratio, &stage_clock, cache.as_ref(), &|f| progress.file_done(f.size));
    clock.timings.insert("ingest_normalize", t.elapsed().as_millis() as u64);
    // summed over threads: CPU time, so it can exceed the wall time above
    clock.timings.insert("read_decode_cpu", StageClock::ms(&stage_clock.read_decode));
    clock.timings.insert("validate_cpu", StageClock::ms(&stage_clock.validate));

    let rejected: Vec<(String, Rejection)> = outcomes.iter().zip(&names).filter_map(|(o, n)| o.rejection.clone().map(|r| (n.clone(), r))).collect();
    if !rejected.is_empty() && !settings.allow_partial {
        progress.finish();
        return Err(Error::Rejected(rejected));
    }
    let incomplete = incomplete_units(&outcomes, &courts);
    clock.memory.insert("after_ingest_normalize", memory::mb().0);

    // manifest entries, then the accepted files' rows in input order
    let t = Instant::now();
    let mut entries = Vec::with_capacity(outcomes.len());
    // what the run state keeps of each file (with a cache and no rejection)
    let keep_state = cache.is_some() && rejected.is_empty();
    let mut file_states = Vec::new();
    // sized up front: growing by doubling would briefly hold two copies
    let accepted_cases = outcomes.iter().filter(|o| o.rejection.is_none()).filter_map(|o| o.rows.as_ref()).map(|r| r.cases.len()).sum();
    let mut all_cases = Vec::with_capacity(accepted_cases);
    // faulted in ahead of the copy by both threads, 8 MB at a time: the
    // moved-from vectors go back as the copy goes (see `memory::prefault`)
    let prefault_step = (8 << 20) / std::mem::size_of::<domain::Case>();
    let mut prefaulted = 0;
    let mut quarantined = Vec::new();
    let mut causes = normalize::RunCauses::default();
    let mut trims = memory::TrimEvery::new();
    for ((o, f), name) in outcomes.iter_mut().zip(&discovery.files).zip(&names) {
        let rows = o.rows.take();
        entries.push(file_entry(o, f, name, rows.as_ref()));
        if let (None, Some(mut rows)) = (&o.rejection, rows) {
            if keep_state {
                let courts: std::collections::BTreeSet<_> = rows.cases.iter().map(|c| c.court).collect();
                // the entry just made above
                let entry = entries[entries.len() - 1].clone();
                let sha256 = o.sha256.clone().unwrap_or_default();
                file_states.push(refresh::FileState {
                    sha256,
                    entry,
                    courts: courts.into_iter().collect(),
                    causes: rows.causes.clone(),
                    quarantine: None,
                });
            }
            causes.renumber(&mut rows);
            let moved = rows.cases.len();
            if all_cases.len() + moved > prefaulted {
                let ahead = moved.max(prefault_step);
                memory::prefault(&mut all_cases, ahead);
                prefaulted = all_cases.len() + ahead;
            }
            all_cases.extend(rows.cases);
            // the per-file vectors freed so far go back now, or the cases
            // would be resident twice by the end of the merge
            trims.freed::<domain::Case>(moved);
            quarantined.extend(rows.quarantined);
        }
    }
    let causes = causes.names;
    // the per-file vectors just emptied into `all_cases`
    memory::trim();
    clock.timings.insert("merge", t.elapsed().as_millis() as u64);

    // 3. dedup
    progress.stage("dedup");
    let t = Instant::now();
    let deduped = dedup::dedup(all_cases, &courts);
    // the dedup maps and the dropped versions' space
    memory::trim();
    clock.timings.insert("dedup", t.elapsed().as_millis() as u64);
    clock.memory.insert("after_dedup", memory::mb().0);

    // 4. indicators, and beside them the case table's order (mostly one
    // core's work each)
    progress.stage("indicators");
    let t = Instant::now();
    let (tallies, case_order) = rayon::join(
        || indicators::court_tallies(&deduped.cases, &courts, &settings.period),
        || number_order::by_case_number(&deduped.cases, |c| c.number(&courts)),
    );
    let draft = keep_state
        .then(|| {
            refresh::draft_of_full_run(refresh::FullRun {
                key: key.clone().unwrap_or_default(),
                period: &settings.period,
                causes: &causes,
                names: &names,
                files: file_states,
                cases: &deduped.cases,
                case_order: &case_order,
                duplicates: &deduped.duplicates,
                quarantined: &quarantined,
                tallies: &tallies,
                courts: &courts,
            })
        })
        .flatten();
    if let (Some(c), Some(d)) = (&cache, &draft) {
        refresh::store_counted(c, &deduped.cases, d);
    }
    let ind = indicators::roll_up(tallies, &courts, &settings.period, &incomplete);
    clock.timings.insert("indicators", t.elapsed().as_millis() as u64);

    use output::tables::*;
    let names_of = CaseNames { courts: &courts, files: &names, causes: &causes };
    let results = Results {
        entries,
        rejected,
        ind,
        counts: refresh::Counts {
            cases_kept: deduped.cases.len() as u64,
            duplicate_keys: deduped.duplicates.len() as u64,
            duplicate_conflicts: deduped.duplicates.iter().filter(|d| d.conflict).count() as u64,
        },
        quarantine: quarantine_table(&quarantined, &names, quarantine_chunks()),
        duplicates: duplicates_table(&deduped.duplicates, &courts, &names, duplicate_chunks()),
        cases: cases_table(&deduped.cases, case_order, names_of, hasher.has_key(), case_chunks()),
        draft,
    };
    let summary = run.publish(results, &mut clock)?;
    free_in_background((deduped, quarantined, outcomes));
    Ok(summary)
}

/// Wall times and memory per stage, for the manifest.
struct RunClock {
    started: Instant,
    timings: BTreeMap<&'static str, u64>,
    memory: BTreeMap<&'static str, u64>,
}

impl Default for RunClock {
    fn default() -> Self {
        RunClock { started: Instant::now(), timings: BTreeMap::new(), memory: BTreeMap::new() }
    }
}

/// What every path of a run shares.
struct Run<'a> {
    settings: &'a Settings,
    courts: &'a Courts,
    hasher: &'a normalize::parties::PartyHasher,
    cache: Option<&'a cache::Cache>,
    names: &'a [String],
    discovery: &'a ingest::Discovery,
    progress: &'a progress::Progress,
    seen: &'a [std::sync::Mutex<BTreeMap<usize, u128>>; 3],
}

/// A run's findings, ready to write: the full path and the refresh end here.
struct Results<'a> {
    entries: Vec<FileEntry>,
    rejected: Vec<(String, Rejection)>,
    ind: indicators::Indicators,
    counts: refresh::Counts,
    quarantine: output::Chunked<'a>,
    duplicates: output::Chunked<'a>,
    cases: output::Chunked<'a>,
    /// the run state to keep, when there is a cache
    draft: Option<refresh::Draft>,
}

impl Run<'_> {
    /// Writes a refresh's results: its chunks either built from the rows it
    /// holds or reused.
    fn publish_refreshed(&self, r: refresh::Refreshed, clock: &mut RunClock) -> Result<RunSummary, Error> {
        use output::tables::*;
        let refresh::Refreshed { outcomes, entries, indicators, counts, cases, duplicates, quarantined, sources, draft } = r;
        let [case_sources, dup_sources, q_sources] = sources;
        let causes = draft.causes.clone();
        let names_of = CaseNames { courts: self.courts, files: self.names, causes: &causes };
        fn patched<'a>(held: output::Chunked<'a>, layout: &refresh::Layout, sources: Vec<output::table::Source>) -> output::Chunked<'a> {
            output::Chunked::patched(held, layout.rows, layout.ranges.clone(), sources)
        }
        let order: Vec<u32> = (0..cases.len() as u32).collect();
        let results = Results {
            entries,
            rejected: Vec::new(),
            ind: indicators,
            counts,
            quarantine: patched(quarantine_table(&quarantined, self.names, quarantine_chunks()), &draft.layouts[2], q_sources),
            duplicates: patched(duplicates_table(&duplicates, self.courts, self.names, duplicate_chunks()), &draft.layouts[1], dup_sources),
            cases: patched(cases_table(&cases, order, names_of, self.hasher.has_key(), case_chunks()), &draft.layouts[0], case_sources),
            draft: Some(draft),
        };
        let summary = self.publish(results, clock)?;
        free_in_background((cases, duplicates, quarantined, outcomes));
        Ok(summary)
    }

    /// Stages 5 and 6: ranks, writes every output into a staging folder and
    /// publishes it; keeps the run state for the next refresh.
    fn publish(&self, r: Results, clock: &mut RunClock) -> Result<RunSummary, Error> {
        let (settings, courts, progress) = (self.settings, self.courts, self.progress);
        // 5. rank
        let t = Instant::now();
        let rank_settings = rank::RankSettings { min_closed: settings.min_closed, tiers: settings.tiers };
        let ranks = rank::rank(&r.ind, courts, &rank_settings);
        clock.timings.insert("rank", t.elapsed().as_millis() as u64);
        clock.memory.insert("peak_before_write", memory::mb().1);

        // 6. output
        progress.stage("writing tables");
        let t = Instant::now();
        use output::tables::*;
        let tables = vec![
            (court_table(&r.ind, &ranks, courts, &settings.period), output::BOTH),
            (city_table(&r.ind, &ranks, &settings.period), output::BOTH),
            (province_table(&r.ind, &settings.period), output::BOTH),
            (monthly_table(&r.ind, courts), output::BOTH),
        ];
        let [seen_cases, seen_dups, seen_quarantine] = self.seen;
        let (quarantine, duplicates, cases) =
            (r.quarantine.recording(seen_quarantine), r.duplicates.recording(seen_dups), r.cases.recording(seen_cases));
        let staging = output::Staging::new(&settings.out)
            .map_err(|e| output::OutputError { path: settings.out.display().to_string(), message: e.to_string() })?;
        let store = self.cache.map(|c| c as &dyn output::reuse::ChunkStore);
        // the case table, by far the largest, is written beside the others
        let (small, cases_file) = rayon::join(
            || {
                let mut w = output::write_tables(&staging, &tables, settings.csv_headers)?;
                w.extend(output::write_chunked(&staging, &[(&quarantine, output::BOTH), (&duplicates, output::BOTH)], settings.csv_headers, store)?);
                Ok::<_, output::OutputError>(w)
            },
            || output::write_chunked(&staging, &[(&cases, output::PARQUET_ONLY)], settings.csv_headers, store),
        );
        let mut written = small?;
        written.extend(cases_file?);
        clock.timings.insert("write", t.elapsed().as_millis() as u64);
        // every output is written: the state for the next run, then entries
        // this run did not use can go
        if let (Some(c), Some(draft)) = (self.cache, r.draft) {
            let lock = |m: &'_ std::sync::Mutex<BTreeMap<usize, u128>>| m.lock().map(|g| g.clone()).unwrap_or_default();
            let seen = [lock(seen_cases), lock(seen_dups), lock(seen_quarantine)];
            let (key, state) = draft.finish([&seen[0], &seen[1], &seen[2]]);
            refresh::save(c, &key, &state);
        }
        let cache_stats = self.cache.map(cache::Cache::finish);
        let (rss, peak) = memory::mb();
        clock.memory.insert("after_write", rss);
        clock.memory.insert("peak", peak);
        clock.timings.insert("total", clock.started.elapsed().as_millis() as u64);

        let accepted = || r.entries.iter().filter(|e| e.rejected.is_none());
        let mut by_reason: BTreeMap<String, u64> = domain::QuarantineReason::ALL.iter().map(|q| (q.code().to_string(), 0)).collect();
        let mut warnings: BTreeMap<String, u64> = BTreeMap::new();
        for e in accepted() {
            for (k, n) in &e.quarantine_by_reason {
                *by_reason.entry(k.clone()).or_default() += n;
            }
            for (k, n) in &e.warnings {
                *warnings.entry(k.clone()).or_default() += n;
            }
        }
        let rows_read: u64 = accepted().map(|e| e.data_records).sum();
        let rows_quarantined: u64 = accepted().map(|e| e.quarantined).sum();
        let cases_valid: u64 = accepted().map(|e| e.cases).sum();
        let duplicates_dropped = cases_valid - r.counts.cases_kept;
        let hasher = self.hasher;
        let mut manifest = Manifest {
            tool: "courtstat",
            version: env!("CARGO_PKG_VERSION"),
            complete: r.rejected.is_empty(),
            settings: settings.to_json(),
            party_names: if hasher.has_key() {
                "replaced by HMAC-SHA-256 keyed hashes (applicant_hash, respondent_hash)".into()
            } else {
                format!("no hash key set: party columns left out of cases.parquet, shown as {} in quarantine.csv", normalize::parties::REDACTED)
            },
            files: r.entries,
            ignored_files: self.discovery.ignored.clone(),
            rejected_files: r.rejected.iter().map(|(n, _)| n.clone()).collect(),
            rows_read,
            rows_quarantined,
            quarantine_by_reason: by_reason.clone(),
            warnings: warnings.clone(),
            cases_valid,
            duplicates_dropped,
            duplicate_keys: r.counts.duplicate_keys,
            duplicate_conflicts: r.counts.duplicate_conflicts,
            cases_kept: r.counts.cases_kept,
            courts_ranked: ranks.ranked_courts(),
            rows_per_output: tables
                .iter()
                .map(|(t, _)| (t.name, t.rows()))
                .chain([(quarantine.name, quarantine.rows), (duplicates.name, duplicates.rows), (cases.name, cases.rows)])
                .collect(),
            outputs: written,
            cache: cache_stats,
            timings_ms: std::mem::take(&mut clock.timings),
            memory_mb: std::mem::take(&mut clock.memory),
        };
        progress.stage("writing report.html");
        let report_input = report::ReportInput {
            court: report::StrTable::from_table(&tables[0].0),
            city: report::StrTable::from_table(&tables[1].0),
            province: report::StrTable::from_table(&tables[2].0),
            monthly: report::StrTable::from_table(&tables[3].0),
            manifest: serde_json::to_value(&manifest).unwrap_or_default(),
        };
        let html = report::render(&report_input);
        let written = staging
            .write("report.html", |w| w.write_all(html.as_bytes()))
            .map_err(|e| output::OutputError { path: "report.html".into(), message: e.to_string() })?;
        manifest.outputs.push(written);
        output::write_json(&staging, "run.json", &manifest)?;
        staging.publish().map_err(|e| output::OutputError { path: settings.out.display().to_string(), message: e.to_string() })?;
        progress.finish();
        let summary = RunSummary {
            out: settings.out.clone(),
            files: self.names.len(),
            rejected: r.rejected.into_iter().map(|(n, _)| n).collect(),
            rows: rows_read,
            quarantined: by_reason.into_iter().filter(|(_, n)| *n > 0).collect(),
            duplicates_dropped,
            cases: r.counts.cases_kept,
            courts_ranked: ranks.ranked_courts(),
            warnings,
            cache: cache_stats,
        };
        drop((quarantine, duplicates, cases, tables));
        free_in_background(manifest);
        Ok(summary)
    }
}

/// Drops the run's bulk on a thread of its own: with the tables published,
/// freeing millions of cases and unmapping their memory (25-30 ms on the
/// bench) need not hold up the caller, and a process that exits next
/// skips it. Without a thread to spare it is dropped here.
fn free_in_background<T: Send + 'static>(bulk: T) {
    let _ = std::thread::Builder::new().name("courtstat-free".into()).spawn(move || drop(bulk));
}

/// The incremental cache, unless switched off; a cache folder that cannot be
/// made only costs speed, so the run goes on without it.
fn open_cache(settings: &Settings, courts: &Courts, causes: &Causes, hasher: &normalize::parties::PartyHasher) -> Option<cache::Cache> {
    let dir = settings.cache_dir.as_ref()?;
    let parts = cache::SaltParts {
        courts: courts.fingerprint,
        causes: causes.fingerprint,
        first_enforcement_months: settings.first_enforcement_months,
        limits: settings.limits,
        party_key: hasher.hash_normalized("courtstat cache"),
    };
    match cache::Cache::open(dir, &parts) {
        Ok(c) => Some(c),
        Err(e) => {
            eprintln!("courtstat: warning: cache folder {} cannot be used ({e}); parsing every file", dir.display());
            None
        }
    }
}

/// The export files under the input folders; none at all fails the run.
pub(crate) fn discover_inputs(settings: &Settings) -> Result<ingest::Discovery, Error> {
    let discovery = ingest::discover(&settings.inputs)?;
    if discovery.files.is_empty() {
        let folders: Vec<String> = settings.inputs.iter().map(|p| p.display().to_string()).collect();
        return Err(Error::NoInput(folders.join(", ")));
    }
    Ok(discovery)
}

/// §5.2: the courts a rejected file's case numbers name, their cities, and
/// the province (alone when no court can be told).
fn incomplete_units(outcomes: &[FileOutcome], courts: &Courts) -> Incomplete {
    let mut inc = Incomplete::default();
    for o in outcomes.iter().filter(|o| o.rejection.is_some()) {
        inc.province = true;
        for code in &o.court_codes {
            if let Some(id) = courts.id(code) {
                inc.courts.insert(id);
                if let Some(city) = &courts.get(id).city {
                    inc.cities.insert(city.clone());
                }
            }
        }
    }
    inc
}

pub(crate) fn file_entry(o: &FileOutcome, f: &InputFile, name: &str, rows: Option<&FileRows>) -> FileEntry {
    let header = o.header.as_ref().map(|h| h.mapping.iter().map(|(c, cell)| (c.name().to_string(), cell.clone())).collect()).unwrap_or_default();
    let unknown = o.header.as_ref().map(|h| h.unknown.clone()).unwrap_or_default();
    let mut e = FileEntry {
        file: name.to_string(),
        bytes: f.size,
        sha256: o.sha256.clone(),
        encoding: o.encoding,
        delimiter: o.delimiter.map(|d| if d == b'\t' { "tab" } else { "comma" }.to_string()),
        header,
        unknown_columns: unknown,
        data_records: 0,
        quarantined: 0,
        cases: 0,
        quarantine_by_reason: BTreeMap::new(),
        warnings: BTreeMap::new(),
        rejected: o.rejection.as_ref().map(|r| r.to_string()),
    };
    if let Some(r) = rows {
        e.data_records = r.data_records;
        e.quarantined = r.quarantined.len() as u64;
        e.cases = r.cases.len() as u64;
        for q in &r.quarantined {
            *e.quarantine_by_reason.entry(q.reason.code().to_string()).or_default() += 1;
        }
        for (w, n) in &r.warnings {
            e.warnings.insert(w.code().to_string(), *n);
        }
    }
    e
}

fn check_out_not_inside_inputs(s: &Settings) -> Result<(), Error> {
    let abs = |p: &std::path::Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let out = abs(&s.out);
    let out = out.parent().and_then(|p| p.canonicalize().ok()).map(|p| p.join(out.file_name().unwrap_or_default())).unwrap_or(out);
    for input in &s.inputs {
        let input = input.canonicalize().unwrap_or_else(|_| abs(input));
        if out.starts_with(&input) {
            return Err(Error::OutputInsideInput { out: s.out.display().to_string(), input: input.display().to_string() });
        }
    }
    Ok(())
}
