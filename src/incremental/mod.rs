//! The incremental refresh, behind one seam. A nightly run where a few
//! courts' exports changed should not parse and deduplicate the whole
//! province again; it must still publish the very bytes a cold run would.
//!
//! The seam is the output of stages 1–3, `dedup::Deduplicated`: every
//! file's account, the quarantined rows, one version of each case.
//! `recall` returns that value from what the last run left here, parsing
//! only the files that changed and deduplicating only the courts they hold
//! cases of, or says why it cannot (`Fallback`); the caller then runs the
//! cold stages. `remember` keeps what the next run needs. Everything after
//! stage 3 — figures, ranks, watch lists, every table — is computed by the
//! same code on both roads, so no table or figure needs anything here.
//!
//! Why a court can be taken as it was: equal case numbers name the same
//! court, so a court's kept cases and duplicates depend only on the files
//! holding its valid cases, their names and contents in input order (its
//! *owner*, fingerprinted). A court whose owner is unchanged is read from
//! its entry; any other is deduplicated again from its files' rows, parsed
//! afresh by stage 2's own code. Positions among the inputs are mapped on
//! reading, so a file added, dropped or renamed recounts only its courts.
//!
//! It also lends the output stage a store for encoded chunks of the large
//! tables (`output::reuse::ChunkStore`), which the writer consults by the
//! chunk's content fingerprint: no knowledge of tables lives here.
//!
//! The folder (`.NAME.courtstat.cache` beside the output, or `cache_dir`):
//! `run.state` (JSON: the key, each file's account and stamp, each court's
//! owner), `court.OWNER.SALT`, `quarantine.SHA256.SALT` and
//! `chunk.TABLE.FORMAT.FINGERPRINT.SALT`; see `store`.

mod codec;
mod recall;
mod store;

use crate::dedup::Deduplicated;
use crate::domain::CourtId;
use crate::normalize::FileAccount;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use store::{EntryKey, Store};

/// Why a run went the cold way although it had a cache folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fallback {
    /// no state in the cache folder (its first run, or the last one failed)
    FirstRun,
    /// the state could not be read back whole
    StateDamaged,
    /// another courtstat build made the state
    BinaryChanged,
    /// the courts or causes table differs
    ReferenceChanged,
    /// a setting that shapes the parsed rows differs (see `Key::settings`)
    SettingsChanged,
    /// an entry the state relies on is gone
    EntryMissing,
    /// an entry the state relies on fails its checksum or layout
    EntryDamaged,
    /// two input files have the same name (two input folders of one name)
    AmbiguousNames,
    /// an input file changed while the run read it
    InputChanged,
    /// the folder could not be made or written: no cache this run
    CacheUnavailable,
}

impl Fallback {
    /// The word `run.json` names it by.
    pub fn code(self) -> String {
        serde_json::to_value(self).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default()
    }
}

impl CacheStats {
    /// One line for `--verbose`: which road the run took, and why.
    pub fn explain(&self) -> String {
        match self.fallback {
            None if self.refreshed => format!(
                "refreshed from the last run: {} files parsed, {} not even read; {} courts deduplicated afresh, {} taken as they were; {} chunks reused, {} encoded",
                self.files_parsed, self.files_not_read, self.courts_recounted, self.courts_recalled, self.chunks_reused, self.chunks_stored
            ),
            None => "full run".into(),
            Some(f) => {
                let detail = self.fallback_detail.as_deref().map(|d| format!(" ({d})")).unwrap_or_default();
                format!("full run ({}): {f}{detail}", f.code())
            }
        }
    }
}

impl std::fmt::Display for Fallback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Fallback::FirstRun => "no state from an earlier run",
            Fallback::StateDamaged => "the last run's state is damaged",
            Fallback::BinaryChanged => "another courtstat build made the last run's state",
            Fallback::ReferenceChanged => "the courts or causes table changed",
            Fallback::SettingsChanged => "a setting that shapes the parsed rows changed",
            Fallback::EntryMissing => "an entry of the last run is missing",
            Fallback::EntryDamaged => "an entry of the last run is damaged",
            Fallback::AmbiguousNames => "two input files have the same name",
            Fallback::InputChanged => "an input file changed while the run read it",
            Fallback::CacheUnavailable => "the cache folder cannot be used",
        })
    }
}

/// What the cache did in one run, for `run.json` and the summary.
#[derive(Debug, Default, Clone, Serialize)]
pub struct CacheStats {
    /// stages 1–3 came from the last run's state (`recall`)
    pub refreshed: bool,
    /// why not, when they did not
    pub fallback: Option<Fallback>,
    /// what exactly differed, when the fallback can say
    pub fallback_detail: Option<String>,
    /// files whose rows were not parsed this run (their content unchanged)
    pub files_cached: u64,
    /// of those, files not even read (size, times and inode unchanged)
    pub files_not_read: u64,
    /// files parsed this run
    pub files_parsed: u64,
    /// courts deduplicated afresh (their files changed)
    pub courts_recounted: u64,
    /// courts taken from their entries
    pub courts_recalled: u64,
    /// chunks of the large tables (per format) taken from an earlier run
    pub chunks_reused: u64,
    /// chunks encoded in this run and kept for the next
    pub chunks_stored: u64,
    /// entries that could not be written or read back (costs time only)
    pub entry_errors: u64,
}

/// Everything that shapes an entry's content besides the inputs: a state
/// made under another key is not used, and entries are named by its salt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Key {
    /// xxh3 of the running binary: new code never reads old entries
    binary: String,
    courts: String,
    causes: String,
    /// the settings stages 1–3 depend on (the period is not one of them)
    settings: BTreeMap<String, serde_json::Value>,
}

impl Key {
    fn salt(&self) -> String {
        let text = serde_json::to_string(self).unwrap_or_default();
        format!("{:032x}", xxhash_rust::xxh3::xxh3_128(text.as_bytes()))
    }

    /// Why a state made under `self` does not serve a run under `now`.
    fn differs(&self, now: &Key) -> Option<(Fallback, Option<String>)> {
        if self.binary != now.binary {
            return Some((Fallback::BinaryChanged, None));
        }
        if (&self.courts, &self.causes) != (&now.courts, &now.causes) {
            return Some((Fallback::ReferenceChanged, None));
        }
        let changed: Vec<&str> =
            self.settings.keys().chain(now.settings.keys()).filter(|k| self.settings.get(*k) != now.settings.get(*k)).map(String::as_str).collect();
        let mut changed = changed;
        changed.sort_unstable();
        changed.dedup();
        (!changed.is_empty()).then(|| (Fallback::SettingsChanged, Some(changed.join(", "))))
    }
}

/// What a run leaves for the next one.
#[derive(Debug, Serialize, Deserialize)]
struct State {
    key: Key,
    /// when the run that left it began (seconds since 1970): a file's stamp
    /// is trusted only when its mtime is over two seconds older
    started: i64,
    /// every input of that run, in its input order
    files: Vec<FileAccount>,
    /// each court with kept cases
    courts: BTreeMap<CourtId, CourtState>,
}

#[derive(Debug, Serialize, Deserialize)]
struct CourtState {
    /// the owner's fingerprint (hex): what names its entry
    owner: String,
    /// how many kept cases of each year its entry holds, ascending years
    years: Vec<(u16, u64)>,
}

pub struct Incremental {
    store: Option<Store>,
    key: Key,
    started: i64,
    stats: std::sync::Mutex<CacheStats>,
}

impl Incremental {
    /// The cache of a run, unless `--no-cache`. A folder that cannot be used
    /// costs speed only: the run goes on without it and says so once.
    pub fn open(settings: &crate::Settings, ctx: &crate::normalize::RowContext) -> Option<Incremental> {
        let dir = settings.cache_dir.as_ref()?;
        let key = Key {
            binary: binary_fingerprint(),
            courts: format!("{:016x}", ctx.courts.fingerprint),
            causes: format!("{:016x}", ctx.causes.fingerprint),
            settings: parse_settings(settings, ctx),
        };
        let started = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
        let mut stats = CacheStats::default();
        let store = match Store::open(dir, key.salt()) {
            Ok(s) => Some(s),
            Err(e) => {
                eprintln!("{}", crate::messages::Msg::CacheUnusable.text(&[&dir.display(), &e]));
                stats.fallback = Some(Fallback::CacheUnavailable);
                None
            }
        };
        Some(Incremental { store, key, started, stats: std::sync::Mutex::new(stats) })
    }

    fn stats(&self) -> std::sync::MutexGuard<'_, CacheStats> {
        self.stats.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// What stages 1–3 would return for `inputs`, from the last run's state,
    /// or why not (also kept for `run.json`).
    pub fn recall(
        &self,
        inputs: &crate::ingest::Discovery,
        ctx: &crate::normalize::RowContext,
        done: &(dyn Fn(&crate::ingest::InputFile) + Sync),
    ) -> Result<Deduplicated, Fallback> {
        let result = match &self.store {
            None => Err((Fallback::CacheUnavailable, None)),
            Some(store) => self.last_state(store).and_then(|state| recall::recall(store, &state, inputs, ctx, done)),
        };
        let mut stats = self.stats();
        match result {
            Ok((d, counts)) => {
                stats.refreshed = true;
                counts.add_to(&mut stats);
                Ok(d)
            }
            Err((why, detail)) => {
                stats.fallback = Some(why);
                stats.fallback_detail = detail;
                Err(why)
            }
        }
    }

    fn last_state(&self, store: &Store) -> Result<State, (Fallback, Option<String>)> {
        let body = store.read(&EntryKey::state()).map_err(|m| match m {
            store::Miss::Missing => (Fallback::FirstRun, None),
            store::Miss::Damaged => (Fallback::StateDamaged, None),
        })?;
        let state: State = serde_json::from_slice(&body).map_err(|e| (Fallback::StateDamaged, Some(e.to_string())))?;
        match state.key.differs(&self.key) {
            Some(why) => Err(why),
            None => Ok(state),
        }
    }

    /// Keeps what the next run needs of stages 1–3's result: each court's
    /// kept cases and duplicates under its owner, each file's quarantined
    /// rows, and the state. Entries already there are kept as they are.
    pub fn remember(&self, d: &Deduplicated) {
        let Some(store) = &self.store else { return };
        let owners = owners(&d.files);
        let years = recall::year_runs(&d.cases);
        let counts = vec![0u64; owners.keys().next_back().map_or(0, |&c| c as usize + 1)];
        // a refresh read every entry it kept and found it whole; after the
        // cold road every entry is written afresh (one may be damaged)
        let refreshed = {
            let mut stats = self.stats();
            if !stats.refreshed {
                // the cold road: every file parsed, every court deduplicated
                stats.files_parsed = d.files.len() as u64;
                stats.courts_recounted = owners.len() as u64;
            }
            stats.refreshed
        };
        let kept = |key: &EntryKey| refreshed && store.keep(key);
        // only the courts without an entry are encoded: on a refresh, the
        // changed ones
        let missing: BTreeMap<CourtId, &Owner> =
            owners.iter().filter(|(_, o)| !kept(&EntryKey::court(o.fingerprint))).map(|(c, o)| (*c, o)).collect();
        let mut wanted = vec![false; counts.len()];
        missing.keys().for_each(|&c| wanted[c as usize] = true);
        let wanted = |c: CourtId| wanted.get(c as usize).copied().unwrap_or(false);
        let by_court = group_by(d.cases.iter().filter(|c| wanted(c.court)), |c| c.court);
        let dups_by_court = group_by(d.duplicates.iter().filter(|x| wanted(x.court)), |x| x.court);
        missing.par_iter().for_each(|(court, owner)| {
            let cases = by_court.get(court).map(Vec::as_slice).unwrap_or_default();
            let dups = dups_by_court.get(court).map(Vec::as_slice).unwrap_or_default();
            let file_of = |p: u32| owner.files.iter().position(|&f| f == p).map(|k| k as u32);
            if let Some(body) = codec::encode_court(cases, dups, file_of, &d.causes) {
                store.write(&EntryKey::court(owner.fingerprint), &body);
            }
        });
        let quarantined = group_by(d.quarantined.iter(), |q| q.file);
        d.files.par_iter().enumerate().for_each(|(i, f)| {
            let (Some(rows), Some(sha)) = (quarantined.get(&(i as u32)), f.entry.sha256.as_deref()) else { return };
            let key = EntryKey::quarantine(sha);
            if !kept(&key) {
                store.write(&key, &codec::encode_quarantine(rows));
            }
        });
        let state = State {
            key: self.key.clone(),
            started: self.started,
            files: d.files.clone(),
            courts: owners
                .iter()
                .map(|(&c, o)| {
                    let years = years.get(&c).map(|r| r.iter().map(|&(y, n)| (y, n as u64)).collect()).unwrap_or_default();
                    (c, CourtState { owner: format!("{:032x}", o.fingerprint), years })
                })
                .collect(),
        };
        match serde_json::to_vec(&state) {
            Ok(body) if store.write(&EntryKey::state(), &body) => {}
            _ => eprintln!("{}", crate::messages::Msg::CacheStateUnwritten.text(&[])),
        }
    }

    /// The chunk store for the output stage.
    pub fn chunks(&self) -> Option<&dyn crate::output::reuse::ChunkStore> {
        self.store.as_ref().map(|_| self as &dyn crate::output::reuse::ChunkStore)
    }

    /// After the outputs are written: prunes what this run did not use and
    /// returns what the cache did.
    pub fn finish(&self) -> CacheStats {
        if let Some(store) = &self.store {
            store.prune();
        }
        self.report()
    }

    /// What the cache did so far.
    pub fn report(&self) -> CacheStats {
        let mut stats = self.stats().clone();
        stats.entry_errors = self.store.as_ref().map_or(0, Store::errors);
        stats
    }
}

impl crate::output::reuse::ChunkStore for Incremental {
    fn get(&self, name: &str) -> Option<Vec<u8>> {
        let body = self.store.as_ref()?.read(&EntryKey::chunk(name)).ok()?;
        self.stats().chunks_reused += 1;
        Some(body)
    }

    fn put(&self, name: &str, bytes: &[u8]) {
        if self.store.as_ref().is_some_and(|s| s.write(&EntryKey::chunk(name), bytes)) {
            self.stats().chunks_stored += 1;
        }
    }
}

/// A court's owner: the run positions of the accepted files holding its
/// valid cases, in input order, and the fingerprint of their names and
/// contents (not their positions).
#[derive(Debug)]
struct Owner {
    files: Vec<u32>,
    fingerprint: u128,
}

fn owners(files: &[FileAccount]) -> BTreeMap<CourtId, Owner> {
    let mut holders: BTreeMap<CourtId, Vec<u32>> = BTreeMap::new();
    for (i, f) in files.iter().enumerate().filter(|(_, f)| !f.is_rejected()) {
        for &c in &f.courts {
            holders.entry(c).or_default().push(i as u32);
        }
    }
    holders
        .into_iter()
        .map(|(court, held)| {
            let mut text = format!("court {court}\n");
            for &i in &held {
                let f = &files[i as usize];
                text.push_str(&format!("{} {}\n", f.entry.sha256.as_deref().unwrap_or("-"), f.entry.file));
            }
            (court, Owner { files: held, fingerprint: xxhash_rust::xxh3::xxh3_128(text.as_bytes()) })
        })
        .collect()
}

/// Items grouped by a key, each group in the items' order.
fn group_by<'a, T, K: Ord>(items: impl Iterator<Item = &'a T>, key: impl Fn(&T) -> K) -> BTreeMap<K, Vec<&'a T>> {
    let mut groups: BTreeMap<K, Vec<&T>> = BTreeMap::new();
    for x in items {
        groups.entry(key(x)).or_default().push(x);
    }
    groups
}

/// The settings the output of stages 1–3 depends on. The period, the tiers,
/// the thresholds and the output's form are not among them: a new `--as-of`
/// refreshes (figures are always computed afresh from the kept cases).
fn parse_settings(settings: &crate::Settings, ctx: &crate::normalize::RowContext) -> BTreeMap<String, serde_json::Value> {
    use serde_json::json;
    BTreeMap::from([
        ("first_enforcement_months".into(), json!(settings.first_enforcement_months)),
        ("max_bad_row_ratio".into(), json!(settings.max_bad_row_ratio)),
        ("max_record_bytes".into(), json!(settings.limits.max_record_bytes)),
        ("max_fields".into(), json!(settings.limits.max_fields)),
        // what quarantined rows keep of unknown columns
        ("raw_columns".into(), json!(settings.raw_columns)),
        // an HMAC of a fixed word under the party-hash key, never the key
        ("party_key".into(), json!(ctx.hasher.hash_normalized("courtstat cache"))),
        // the definitions (§13): 涉合同类's category is classified while
        // parsing; the others only count, but a changed 口径 never meets a
        // state made under another
        ("definitions".into(), settings.definitions.to_json()),
    ])
}

/// xxh3 of the running binary, so that a new build never reads entries an
/// older one wrote (their layout or their content may differ).
fn binary_fingerprint() -> String {
    let exe = std::env::current_exe().and_then(std::fs::read).unwrap_or_default();
    format!("{:032x}", xxhash_rust::xxh3::xxh3_128(&exe))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> Key {
        Key {
            binary: "b".into(),
            courts: "c".into(),
            causes: "d".into(),
            settings: BTreeMap::from([("first_enforcement_months".into(), serde_json::json!(6)), ("party_key".into(), serde_json::Value::Null)]),
        }
    }

    #[test]
    fn a_key_says_what_differs_first_the_binary_then_the_tables_then_the_settings() {
        let k = key();
        assert_eq!(k.differs(&key()), None);
        let mut other = key();
        other.settings.insert("first_enforcement_months".into(), serde_json::json!(3));
        assert_eq!(k.differs(&other), Some((Fallback::SettingsChanged, Some("first_enforcement_months".into()))));
        other.courts = "x".into();
        assert_eq!(k.differs(&other).map(|d| d.0), Some(Fallback::ReferenceChanged));
        other.binary = "y".into();
        assert_eq!(k.differs(&other).map(|d| d.0), Some(Fallback::BinaryChanged));
        assert_ne!(k.salt(), other.salt());
    }
}
