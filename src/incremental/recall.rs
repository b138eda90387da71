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
use std::collections::{BTreeSet, HashMap};

type Why = (Fallback, Option<String>);
/// A court's kept cases and duplicates, read from its entry.
type Recalled = Result<(Vec<Case>, Vec<Duplicate>), Why>;

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

    // 5. every other court from its entry, onto this run's positions and
    // causes, a few courts at a time so that their vectors are not all held
    // beside the whole
    let ids = |name: &str| causes.id(name);
    let unchanged: Vec<(CourtId, &super::Owner)> = owners.iter().filter(|(c, _)| !changed.contains(c)).map(|(c, o)| (*c, o)).collect();
    let total: usize = fresh.cases.len() + unchanged.iter().map(|(c, _)| state.courts.get(c).map_or(0, |s| s.cases as usize)).sum::<usize>();
    let mut cases = Vec::with_capacity(total);
    cases.extend(fresh.cases);
    let mut duplicates = fresh.duplicates;
    let wave = 4 * rayon::current_num_threads().max(1);
    for courts in unchanged.chunks(wave) {
        let decoded: Vec<Recalled> = courts
            .par_iter()
            .map(|&(court, owner)| {
                let what = || format!("court {}", ctx.courts.get(court).code);
                let body = store.read(&EntryKey::court(owner.fingerprint)).map_err(|m| miss(m, &what()))?;
                codec::decode_court(&body, court, &owner.files, ids).ok_or((Fallback::EntryDamaged, Some(what())))
            })
            .collect();
        for d in decoded {
            let (c, d) = d?;
            crate::memory::prefault(&mut cases, c.len());
            cases.extend(c);
            duplicates.extend(d);
        }
    }
    counts.courts_recalled = unchanged.len() as u64;

    // 6. the quarantined rows, file by file in input order
    let quarantined = quarantined_rows(store, &accounts, &mut parsed)?;

    // 7. the duplicates in the order stage 3 returns them in (the cases'
    // order is the courts', which no output depends on: each sorts by its
    // own key)
    dedup::sort_by_number(&mut duplicates, ctx.courts);
    Ok((Deduplicated { files: accounts, causes: causes.names, quarantined, cases, duplicates }, counts))
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
