//! `recall`: stages 1–3's result from the last run's state. Files whose
//! bytes did not change keep their accounts; the changed ones, and every
//! file holding a case of a court whose owner changed, are parsed by stage
//! 2's own `parse_read`/`parse_all`; those courts are deduplicated by stage
//! 3's own `keep_one`; every other court is read from its entry.

use super::store::{EntryKey, Miss, Store};
use super::{codec, owners, Fallback, State};
use crate::dedup::{self, Deduplicated, Duplicate};
use crate::domain::{Case, CourtId};
use crate::ingest::{self, Discovery, InputFile, Stamp};
use crate::normalize::{self, FileAccount, ParsedFile, RowContext};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};

type Why = (Fallback, Option<String>);

/// What the recall did, for the cache's statistics.
#[derive(Debug, Default)]
pub(super) struct Counts {
    files_not_read: u64,
    files_parsed: u64,
    files_cached: u64,
    courts_recounted: u64,
    courts_recalled: u64,
}

impl Counts {
    pub(super) fn add_to(&self, s: &mut super::CacheStats) {
        s.files_not_read += self.files_not_read;
        s.files_parsed += self.files_parsed;
        s.files_cached += self.files_cached;
        s.courts_recounted += self.courts_recounted;
        s.courts_recalled += self.courts_recalled;
    }
}

/// A file read to see whether its bytes changed.
enum Checked {
    /// the same bytes as last time, now with this stamp
    Same(Stamp),
    Parsed(Box<ParsedFile>),
}

pub(super) fn recall(
    store: &Store,
    state: &State,
    inputs: &Discovery,
    ctx: &RowContext,
    done: &(dyn Fn(&InputFile) + Sync),
) -> Result<(Deduplicated, Counts), Why> {
    let files = &inputs.files;
    let last: HashMap<&str, &FileAccount> = state.files.iter().map(|f| (f.name(), f)).collect();
    if last.len() != state.files.len() || files.iter().map(|f| f.name.as_str()).collect::<BTreeSet<_>>().len() != files.len() {
        return Err((Fallback::AmbiguousNames, None));
    }
    let mut counts = Counts::default();

    // 1. each file's account: an untouched file's is the last run's; a file
    // whose stamp moved is read, and parsed only if its bytes changed
    let mut accounts: Vec<Option<FileAccount>> = vec![None; files.len()];
    let mut parsed: Vec<Option<ParsedFile>> = (0..files.len()).map(|_| None).collect();
    let mut to_read = Vec::new();
    let mut untouched = vec![false; files.len()];
    for (i, f) in files.iter().enumerate() {
        let before = last.get(f.name.as_str()).filter(|a| a.stamp.is_some_and(|s| trusted(&s, state.started) && Stamp::of(&f.path).ok() == Some(s)));
        match before {
            Some(a) => {
                accounts[i] = Some((*a).clone());
                untouched[i] = true;
                done(f);
            }
            None => to_read.push(i),
        }
    }
    let subset: Vec<InputFile> = to_read.iter().map(|&i| files[i].clone()).collect();
    let checked = ingest::each_read(&subset, |k, read| {
        let i = to_read[k];
        let same = match (&read, last.get(files[i].name.as_str())) {
            (Ok(r), Some(a)) => a.entry.sha256.as_deref() == Some(r.sha256.as_str()),
            _ => false,
        };
        let c = match read {
            Ok(r) if same => Checked::Same(r.stamp),
            read => Checked::Parsed(Box::new(normalize::parse_read(i as u32, &files[i], read, ctx))),
        };
        done(&files[i]);
        c
    });
    for (&i, c) in to_read.iter().zip(checked) {
        match c {
            Checked::Same(stamp) => {
                let mut a = last.get(files[i].name.as_str()).map(|a| (*a).clone()).ok_or((Fallback::StateDamaged, None))?;
                a.stamp = Some(stamp);
                accounts[i] = Some(a);
            }
            Checked::Parsed(p) => {
                accounts[i] = Some(p.account.clone());
                parsed[i] = Some(*p);
            }
        }
    }
    let mut accounts: Vec<FileAccount> = accounts.into_iter().collect::<Option<_>>().ok_or((Fallback::StateDamaged, None))?;

    // 2. the run's causes and each court's owner, as a cold run has them
    let mut causes = normalize::run_causes(&accounts);
    let owners = owners(&accounts);
    let changed: BTreeSet<CourtId> = owners
        .iter()
        .filter(|(c, o)| state.courts.get(c).map(|s| s.owner.as_str()) != Some(&format!("{:032x}", o.fingerprint)))
        .map(|(c, _)| *c)
        .collect();

    // 3. the changed courts' files not parsed yet, parsed now
    let holds_changed = |a: &FileAccount| !a.is_rejected() && a.courts.iter().any(|c| changed.contains(c));
    let more: Vec<u32> = (0..files.len()).filter(|&i| parsed[i].is_none() && holds_changed(&accounts[i])).map(|i| i as u32).collect();
    let more_files: Vec<InputFile> = more.iter().map(|&i| files[i as usize].clone()).collect();
    for (p, &i) in normalize::parse_all(&more_files, &more, ctx, &|_| ()).into_iter().zip(&more) {
        let i = i as usize;
        if p.account.entry != accounts[i].entry {
            return Err((Fallback::InputChanged, Some(p.account.name().to_string())));
        }
        accounts[i] = p.account.clone();
        parsed[i] = Some(p);
    }
    counts.files_parsed = parsed.iter().filter(|p| p.is_some()).count() as u64;
    counts.files_not_read = (0..files.len()).filter(|&i| untouched[i] && parsed[i].is_none()).count() as u64;
    counts.files_cached = files.len() as u64 - counts.files_parsed;

    // 4. the changed courts' versions in input order, deduplicated afresh
    let mut versions: Vec<Case> = Vec::new();
    for (i, p) in parsed.iter_mut().enumerate() {
        let Some(rows) = p.as_mut().filter(|_| !accounts[i].is_rejected()).and_then(|p| p.rows.as_mut()) else { continue };
        causes.renumber(rows);
        versions.extend(rows.cases.iter().filter(|c| changed.contains(&c.court)).cloned());
    }
    let fresh = dedup::keep_one(versions, ctx.courts);
    counts.courts_recounted = changed.len() as u64;

    // 5. where each court's cases of each year go: the case table's order
    // is runs of one court and one year (`court_block_key`), so every case
    // is put straight into its place and nothing is sorted
    let unchanged: Vec<(CourtId, &super::Owner)> = owners.iter().filter(|(c, _)| !changed.contains(c)).map(|(c, o)| (*c, o)).collect();
    let mut years: Vec<(u16, Vec<u8>, CourtId, usize)> = Vec::new();
    for (court, runs) in year_runs(&fresh.cases) {
        years.extend(runs.into_iter().map(|(y, n)| (y, Vec::new(), court, n)));
    }
    for &(court, _) in &unchanged {
        let s = state.courts.get(&court).ok_or((Fallback::StateDamaged, None))?;
        years.extend(s.years.iter().map(|&(y, n)| (y, Vec::new(), court, n as usize)));
    }
    for y in &mut years {
        y.1 = crate::number_order::court_block_key(&ctx.courts.get(y.2).code);
    }
    years.sort_unstable();
    let total: usize = years.iter().map(|y| y.3).sum();
    // filled on every thread: the first touch of a few hundred MB of fresh
    // pages was a tenth of a warm run on one
    let mut cases = Vec::new();
    (0..total).into_par_iter().map(|_| blank()).collect_into_vec(&mut cases);
    let mut slots: BTreeMap<CourtId, Vec<&mut [Case]>> = BTreeMap::new();
    let mut rest = cases.as_mut_slice();
    for &(_, _, court, n) in &years {
        let (run, tail) = rest.split_at_mut(n);
        slots.entry(court).or_default().push(run);
        rest = tail;
    }

    // 6. the changed courts' cases into their places, and every other
    // court's from its entry, onto this run's positions and causes
    let mut fresh_of: BTreeMap<CourtId, Vec<Case>> = BTreeMap::new();
    for c in fresh.cases {
        fresh_of.entry(c.court).or_default().push(c);
    }
    let ids = |name: &str| causes.id(name);
    let fills: Vec<Result<Vec<Duplicate>, Why>> = slots
        .into_iter()
        .collect::<Vec<_>>()
        .into_par_iter()
        .map(|(court, runs)| {
            let what = || format!("court {}", ctx.courts.get(court).code);
            if let Some(kept) = fresh_of.get(&court) {
                let mut slots = Slots::new(runs);
                return kept
                    .iter()
                    .all(|c| slots.put(c.clone()))
                    .then_some(Vec::new())
                    .filter(|_| slots.full())
                    .ok_or((Fallback::StateDamaged, None));
            }
            let owner = owners.get(&court).ok_or((Fallback::StateDamaged, None))?;
            let body = store.read(&EntryKey::court(owner.fingerprint)).map_err(|m| miss(m, &what()))?;
            let mut slots = Slots::new(runs);
            let dups = codec::decode_court_with(&body, court, &owner.files, ids, |c| slots.put(c));
            dups.filter(|_| slots.full()).ok_or((Fallback::EntryDamaged, Some(what())))
        })
        .collect();
    counts.courts_recalled = unchanged.len() as u64;
    let mut duplicates = fresh.duplicates;
    for d in fills {
        duplicates.extend(d?);
    }

    // 7. the quarantined rows, file by file in input order
    let quarantined = quarantined_rows(store, &accounts, &mut parsed)?;

    // 8. the duplicates in the order stage 3 returns them in
    dedup::sort_by_number(&mut duplicates, ctx.courts);
    Ok((Deduplicated { files: accounts, causes: causes.names, quarantined, cases, duplicates }, counts))
}

/// Each court's runs of cases of one year, in the order of `cases` (one
/// court's cases of a year are consecutive in the case table's order).
pub(super) fn year_runs(cases: &[Case]) -> BTreeMap<CourtId, Vec<(u16, usize)>> {
    let mut runs: BTreeMap<CourtId, Vec<(u16, usize)>> = BTreeMap::new();
    // counted a run at a time: the map is asked once per court and year
    let mut run: Option<(CourtId, u16, usize)> = None;
    for c in cases {
        match &mut run {
            Some((court, year, n)) if *court == c.court && *year == c.key.year => *n += 1,
            _ => {
                if let Some((court, year, n)) = run.replace((c.court, c.key.year, 1)) {
                    add_run(&mut runs, court, year, n);
                }
            }
        }
    }
    if let Some((court, year, n)) = run {
        add_run(&mut runs, court, year, n);
    }
    runs
}

fn add_run(runs: &mut BTreeMap<CourtId, Vec<(u16, usize)>>, court: CourtId, year: u16, n: usize) {
    let r = runs.entry(court).or_default();
    match r.last_mut() {
        Some((y, k)) if *y == year => *k += n,
        _ => r.push((year, n)),
    }
}

/// A court's places in the case table, one run a year in ascending years,
/// filled in the case table's order.
struct Slots<'a> {
    runs: std::vec::IntoIter<&'a mut [Case]>,
    run: &'a mut [Case],
    at: usize,
}

impl<'a> Slots<'a> {
    fn new(runs: Vec<&'a mut [Case]>) -> Slots<'a> {
        Slots { runs: runs.into_iter(), run: &mut [], at: 0 }
    }

    /// Puts the next case in its place; `false` when there is none left for
    /// it, or it is of another year than its run's.
    fn put(&mut self, c: Case) -> bool {
        while self.at == self.run.len() {
            match self.runs.next() {
                Some(r) => (self.run, self.at) = (r, 0),
                None => return false,
            }
        }
        if self.at > 0 && self.run[0].key.year != c.key.year {
            return false;
        }
        self.run[self.at] = c;
        self.at += 1;
        true
    }

    /// Every place is filled.
    fn full(&mut self) -> bool {
        self.at == self.run.len() && self.runs.all(|r| r.is_empty())
    }
}

/// What stands in a place until its case is moved there.
fn blank() -> Case {
    Case {
        key: crate::domain::CaseKey { year: 0, special_code: None, type_code: crate::domain::TypeCode::FIRST_ENFORCEMENT, seq: 0 },
        court: 0,
        filing: chrono::NaiveDate::MIN,
        closing: None,
        method: None,
        cause: None,
        category: crate::domain::CauseCategory::Other,
        claim: crate::domain::MaybeFen::UNKNOWN,
        recovered: crate::domain::MaybeFen::UNKNOWN,
        suspended_days: 0,
        extended_days: 0,
        enterprise: false,
        executed_flag: None,
        parties: None,
        updated_at: crate::domain::UpdatedAt::MISSING,
        deadline: None,
        file: 0,
        line: 0,
    }
}

/// Every accepted file's quarantined rows: a parsed file's own, else its entry's.
fn quarantined_rows(
    store: &Store,
    accounts: &[FileAccount],
    parsed: &mut [Option<ParsedFile>],
) -> Result<Vec<crate::normalize::QuarantinedRow>, Why> {
    let parts: Vec<Result<Vec<crate::normalize::QuarantinedRow>, Why>> = accounts
        .par_iter()
        .zip(parsed.par_iter_mut())
        .enumerate()
        .map(|(i, (a, p))| {
            if a.is_rejected() {
                return Ok(Vec::new());
            }
            if let Some(rows) = p.as_mut().and_then(|p| p.rows.as_mut()) {
                return Ok(std::mem::take(&mut rows.quarantined));
            }
            if a.entry.quarantined == 0 {
                return Ok(Vec::new());
            }
            let sha = a.entry.sha256.as_deref().unwrap_or_default();
            let body = store.read(&EntryKey::quarantine(sha)).map_err(|m| miss(m, a.name()))?;
            codec::decode_quarantine(&body, i as u32).ok_or((Fallback::EntryDamaged, Some(a.name().to_string())))
        })
        .collect();
    let mut all = Vec::new();
    for p in parts {
        all.extend(p?);
    }
    Ok(all)
}

fn miss(m: Miss, what: &str) -> Why {
    match m {
        Miss::Missing => (Fallback::EntryMissing, Some(what.to_string())),
        Miss::Damaged => (Fallback::EntryDamaged, Some(what.to_string())),
    }
}

/// A stamp says nothing of a file written in the same moment the last run
/// read it (a second write within the mtime's granularity keeps the
/// stamp): only mtimes over two seconds before that run began count.
fn trusted(stamp: &Stamp, started: i64) -> bool {
    stamp.mtime.0 < started - 2
}
