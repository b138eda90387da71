//! Incremental refresh: each input file's parsed, validated rows are kept
//! between runs, keyed by the file's content hash and by everything else that
//! shapes them (the tool's own binary, the reference tables, the row
//! settings, the party-hash key), so a nightly run where one of 360 files
//! changed parses one file. A cached parse is the very value a fresh parse
//! gives; the cache never changes a figure, it only skips work.
//!
//! Layout of the cache folder (`.NAME.courtstat.cache` beside the output):
//! - `SHA256.SALT.rows`: one parsed file (format in `codec`);
//! - `TABLE.FORMAT.FINGERPRINT.SALT.chunk`: one encoded chunk of a large
//!   output table (`output::reuse`), so a refresh re-encodes only the
//!   chunks whose rows changed;
//! - `run.KEY.SALT.state`: what the last run found per file and per court
//!   (`crate::refresh`), so that a refresh where a few files changed
//!   deduplicates and tallies only their courts;
//! - `OWNER.SALT.court`: what the figures count of one court's kept cases,
//!   under the fingerprint of the files holding them, so that a refresh for
//!   a new period recounts every court without deduplicating it;
//! - `stamps.index` (not `.tsv`: a cache inside an input folder must not
//!   look like an export): path, size, mtime, ctime, device and inode of each input
//!   with the sha256 its bytes had, so an untouched file is not even read.
//!   Its stamp is trusted only when its mtime is over two seconds older than
//!   the run that recorded it (as git does with racily clean files);
//!   `--no-cache` skips the cache altogether.
//!
//! The cache is written under the output lock and each entry is renamed into
//! place whole; a damaged entry fails its checksum and is parsed afresh.
//! After a successful run every entry the run did not use is deleted, so the
//! folder holds one run's worth.

pub mod codec;

use crate::ingest::Encoding;
use crate::normalize::FileRows;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// What a file became in stages 1 and 2 before anything depending on the
/// run (its position among the inputs, `max_bad_row_ratio`) is applied.
#[derive(Debug)]
pub struct Parsed {
    pub encoding: Encoding,
    pub delimiter: u8,
    pub header_cells: Vec<String>,
    /// court codes named by a file whose header did not map
    pub codes_without_header: BTreeSet<String>,
    /// `None` when the header did not map
    pub rows: Option<FileRows>,
}

/// What identifies a file's bytes without reading them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
    dev: u64,
    ino: u64,
}

impl Stamp {
    pub fn of(path: &Path) -> Option<Stamp> {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(path).ok()?;
        Some(Stamp { size: m.size(), mtime: (m.mtime(), m.mtime_nsec()), ctime: (m.ctime(), m.ctime_nsec()), dev: m.dev(), ino: m.ino() })
    }
}

/// What the cache did in one run, for the manifest and the summary.
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub struct CacheStats {
    /// files whose rows came from the cache
    pub files_cached: u64,
    /// of those, files not even read (size, times and inode unchanged)
    pub files_not_read: u64,
    /// files parsed in this run
    pub files_parsed: u64,
    /// chunks of the large tables (per format) taken from an earlier run
    pub chunks_reused: u64,
    /// chunks encoded in this run and kept for the next
    pub chunks_stored: u64,
    /// entries that could not be written or read back (costs time only)
    pub entry_errors: u64,
    /// the run refreshed from the last run's state (`crate::refresh`):
    /// only the courts whose files changed, and their neighbours in the
    /// large tables, were deduplicated and tallied again
    pub refreshed: bool,
    /// how many courts that was
    pub courts_recounted: u64,
}

pub struct Cache {
    dir: PathBuf,
    salt: String,
    known: HashMap<PathBuf, (Stamp, String)>,
    /// stamps are trusted only for mtimes before this (seconds since 1970)
    trust_before: i64,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    seen: Vec<(PathBuf, Stamp, String)>,
    used: HashSet<String>,
    stats: CacheStats,
}

/// Everything besides a file's bytes that its parse depends on.
pub struct SaltParts {
    pub courts: u64,
    pub causes: u64,
    pub first_enforcement_months: u32,
    pub limits: crate::ingest::Limits,
    /// an HMAC of a fixed word under the party-hash key (not the key)
    pub party_key: Option<String>,
}

impl Cache {
    /// Opens (creating) the cache folder. `Err` when it cannot be used at all;
    /// the run then goes on without it.
    pub fn open(dir: &Path, parts: &SaltParts) -> std::io::Result<Cache> {
        std::fs::create_dir_all(dir)?;
        let exe = std::fs::read(std::env::current_exe()?)?;
        let salt_text = format!(
            "exe {:032x}\ncourts {:016x}\ncauses {:016x}\nmonths {}\nlimits {} {}\nkey {:?}\n",
            xxhash_rust::xxh3::xxh3_128(&exe),
            parts.courts,
            parts.causes,
            parts.first_enforcement_months,
            parts.limits.max_record_bytes,
            parts.limits.max_fields,
            parts.party_key,
        );
        let salt = format!("{:032x}", xxhash_rust::xxh3::xxh3_128(salt_text.as_bytes()));
        let known = std::fs::read_to_string(dir.join(INDEX)).map(|t| parse_index(&t)).unwrap_or_default();
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
        Ok(Cache { dir: dir.to_path_buf(), salt, known, trust_before: now - 2, state: Mutex::new(State::default()) })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The sha256 a file had when it last had this stamp.
    pub fn known_sha256(&self, path: &Path, stamp: &Stamp) -> Option<String> {
        let (s, sha) = self.known.get(&absolute(path))?;
        (s == stamp).then(|| sha.clone())
    }

    fn entry_name(&self, sha256: &str) -> String {
        format!("{sha256}.{}.rows", self.salt)
    }

    /// The cached parse of the bytes with this sha256, if any.
    pub fn get(&self, sha256: &str, read: bool) -> Option<Parsed> {
        let name = self.entry_name(sha256);
        let bytes = std::fs::read(self.dir.join(&name)).ok()?;
        let parsed = codec::decode(&bytes);
        let mut state = self.lock();
        match &parsed {
            Some(_) => {
                state.used.insert(name);
                state.stats.files_cached += 1;
                if !read {
                    state.stats.files_not_read += 1;
                }
            }
            None => state.stats.entry_errors += 1,
        }
        parsed
    }

    /// The cached parse of the bytes with this sha256, read for its rows by
    /// a refresh (which counted the file with `keep`).
    pub fn rows_of(&self, sha256: &str) -> Option<Parsed> {
        let bytes = std::fs::read(self.dir.join(self.entry_name(sha256))).ok()?;
        let parsed = codec::decode(&bytes);
        if parsed.is_none() {
            self.lock().stats.entry_errors += 1;
        }
        parsed
    }

    /// The quarantined rows alone of the cached parse of these bytes.
    pub fn quarantined_of(&self, sha256: &str) -> Option<Vec<crate::normalize::QuarantinedRow>> {
        let bytes = std::fs::read(self.dir.join(self.entry_name(sha256))).ok()?;
        let rows = codec::decode_quarantined(&bytes);
        if rows.is_none() {
            self.lock().stats.entry_errors += 1;
        }
        rows
    }

    /// Keeps the cached parse of the bytes with this sha256 without reading
    /// it (the court-scoped refresh needs only some files' rows); `false`
    /// when there is none.
    pub fn keep(&self, sha256: &str) -> bool {
        let name = self.entry_name(sha256);
        if !self.dir.join(&name).is_file() {
            return false;
        }
        let mut state = self.lock();
        state.used.insert(name);
        state.stats.files_cached += 1;
        state.stats.files_not_read += 1;
        true
    }

    /// The run state (`crate::refresh`) the last run left under `key`, if
    /// any and intact.
    pub fn read_state(&self, key: &str) -> Option<Vec<u8>> {
        // not kept by reading it: only a run that writes its own leaves one
        self.read_checked(self.state_name(key), false)
    }

    /// Keeps the run state for the next run (replacing any other).
    pub fn write_state(&self, key: &str, bytes: &[u8]) {
        self.write_checked(self.state_name(key), bytes);
    }

    /// An entry written by `write_checked`, its checksum cut off, and kept
    /// for the next run if `keep`; `None` when missing or damaged (counted).
    fn read_checked(&self, name: String, keep: bool) -> Option<Vec<u8>> {
        let mut bytes = std::fs::read(self.dir.join(&name)).ok()?;
        let body = codec::checked(&bytes).map(<[u8]>::len);
        let mut state = self.lock();
        let Some(len) = body else {
            state.stats.entry_errors += 1;
            return None;
        };
        bytes.truncate(len);
        if keep {
            state.used.insert(name);
        }
        Some(bytes)
    }

    /// Writes `bytes` with their checksum behind; `true` when it was.
    fn write_checked(&self, name: String, bytes: &[u8]) -> bool {
        self.write_entry(name, &[bytes, &codec::with_checksum(bytes)])
    }

    /// A court's counted cases (`crate::refresh`), stored under the court's
    /// owner fingerprint; `None` when missing or damaged.
    pub fn get_counted(&self, owner: &str) -> Option<Vec<u8>> {
        self.read_checked(self.counted_name(owner), true)
    }

    pub fn put_counted(&self, owner: &str, bytes: &[u8]) {
        self.write_checked(self.counted_name(owner), bytes);
    }

    /// Keeps a court's counted cases for the next run without reading them.
    pub fn keep_counted(&self, owner: &str) {
        let name = self.counted_name(owner);
        self.lock().used.insert(name);
    }

    fn counted_name(&self, owner: &str) -> String {
        format!("{owner}.{}.court", self.salt)
    }

    fn state_name(&self, key: &str) -> String {
        format!("run.{key}.{}.state", self.salt)
    }

    /// Stores a fresh parse. Failing to store costs the next run time only.
    pub fn put(&self, sha256: &str, parsed: &Parsed) {
        self.lock().stats.files_parsed += 1;
        self.write_entry(self.entry_name(sha256), &[&codec::encode(parsed)]);
    }

    /// Writes an entry whole (its parts one after another) and renames it
    /// into place; `true` when it was. Failing costs the next run time only.
    fn write_entry(&self, name: String, parts: &[&[u8]]) -> bool {
        let tmp = self.dir.join(format!("{name}.{}.tmp", std::process::id()));
        let written = std::fs::File::create(&tmp).and_then(|mut f| {
            use std::io::Write;
            parts.iter().try_for_each(|p| f.write_all(p))
        });
        let ok = written.and_then(|_| std::fs::rename(&tmp, self.dir.join(&name))).is_ok();
        let mut state = self.lock();
        if ok {
            state.used.insert(name);
        } else {
            let _ = std::fs::remove_file(&tmp);
            state.stats.entry_errors += 1;
        }
        ok
    }

    /// Records that the file had `sha256` when it had `stamp` (taken before
    /// it was read, so a later change shows as a new stamp).
    pub fn remember(&self, path: &Path, stamp: Stamp, sha256: &str) {
        if stamp.mtime.0 >= self.trust_before {
            return;
        }
        self.lock().seen.push((absolute(path), stamp, sha256.to_string()));
    }

    /// After a successful run: writes the stamps seen and deletes every
    /// entry this run did not use.
    pub fn finish(&self) -> CacheStats {
        let mut state = self.lock();
        let mut index = String::new();
        // a refresh that gave up and the full path both saw the files: the
        // later stamp of each (a stable sort keeps the reversed order)
        state.seen.reverse();
        state.seen.sort_by(|a, b| a.0.cmp(&b.0));
        state.seen.dedup_by(|later, kept| later.0 == kept.0);
        for (path, s, sha) in &state.seen {
            let Some(p) = path.to_str().filter(|p| !p.contains(['\t', '\n', '\r'])) else { continue };
            index.push_str(&format!("{sha}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{p}\n", s.size, s.mtime.0, s.mtime.1, s.ctime.0, s.ctime.1, s.dev, s.ino));
        }
        let tmp = self.dir.join(format!("{INDEX}.{}.tmp", std::process::id()));
        if std::fs::write(&tmp, index).and_then(|_| std::fs::rename(&tmp, self.dir.join(INDEX))).is_err() {
            state.stats.entry_errors += 1;
        }
        if let Ok(dir) = std::fs::read_dir(&self.dir) {
            for e in dir.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if name != INDEX && !state.used.contains(&name) {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
        state.stats
    }

    /// Records that the run took the refresh path, recounting `courts`.
    pub fn note_refresh(&self, courts: u64) {
        let mut state = self.lock();
        state.stats.refreshed = true;
        state.stats.courts_recounted = courts;
    }

    /// A refresh gave up after counting: the full path counts afresh (the
    /// entries it used stay until the next run).
    pub fn restart_stats(&self) {
        self.lock().stats = CacheStats::default();
    }

    pub fn stats(&self) -> CacheStats {
        self.lock().stats
    }
}

/// Encoded chunks of the output tables (`output::reuse`), each entry the
/// bytes with their xxh3 behind, renamed into place whole like the parses.
impl crate::output::reuse::ChunkStore for Cache {
    fn get(&self, name: &str) -> Option<Vec<u8>> {
        let bytes = self.read_checked(format!("{name}.{}.chunk", self.salt), true)?;
        self.lock().stats.chunks_reused += 1;
        Some(bytes)
    }

    fn has(&self, name: &str) -> bool {
        self.dir.join(format!("{name}.{}.chunk", self.salt)).is_file()
    }

    fn put(&self, name: &str, bytes: &[u8]) {
        if self.write_checked(format!("{name}.{}.chunk", self.salt), bytes) {
            self.lock().stats.chunks_stored += 1;
        }
    }
}

const INDEX: &str = "stamps.index";

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

fn parse_index(text: &str) -> HashMap<PathBuf, (Stamp, String)> {
    let mut known = HashMap::new();
    for line in text.lines() {
        let f: Vec<&str> = line.splitn(9, '\t').collect();
        let [sha, size, ms, mn, cs, cn, dev, ino, path] = f[..] else { continue };
        let n = |s: &str| s.parse::<i64>().ok();
        let u = |s: &str| s.parse::<u64>().ok();
        let (Some(size), Some(ms), Some(mn), Some(cs), Some(cn), Some(dev), Some(ino)) = (u(size), n(ms), n(mn), n(cs), n(cn), u(dev), u(ino)) else {
            continue;
        };
        if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
            continue;
        }
        known.insert(PathBuf::from(path), (Stamp { size, mtime: (ms, mn), ctime: (cs, cn), dev, ino }, sha.to_string()));
    }
    known
}

#[cfg(test)]
mod tests;
