//! The cache folder: one key type for every entry, one checked format for
//! every entry's bytes, and the pruning that leaves one run's worth.
//!
//! Every entry is `MAGIC`, its body, then the xxh3 of both: the magic holds
//! the format's version (bumped whenever any body's layout changes), so an
//! entry another build wrote, a truncated one or one with a flipped byte is
//! refused as a whole and never half-read. Entries are written to a
//! temporary name and renamed into place whole.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The format of every entry; bump the digit when a body's layout changes.
const MAGIC: &[u8; 8] = b"CSTAT\x08\r\n";

/// What an entry holds, and so the first word of its file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// the last run's state (`state::State`): one per cache folder
    State,
    /// one court's kept cases and duplicates, under the fingerprint of the
    /// files holding them
    Court,
    /// one file's quarantined rows, under the file's sha256
    Quarantine,
    /// one encoded chunk of a large output table (`output::reuse`)
    Chunk,
}

impl Kind {
    fn word(self) -> &'static str {
        match self {
            Kind::State => "state",
            Kind::Court => "court",
            Kind::Quarantine => "quarantine",
            Kind::Chunk => "chunk",
        }
    }
}

/// The one key type of the cache: what an entry is and which one. Its file
/// name adds the salt of everything that shaped the entry (`Key` in
/// `super`), so entries made under other settings or by another build are
/// never read, only pruned; the state alone has a fixed name, so that a run
/// can tell *why* the last run's state does not serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryKey {
    kind: Kind,
    id: String,
}

impl EntryKey {
    pub fn state() -> EntryKey {
        EntryKey { kind: Kind::State, id: "run".into() }
    }
    pub fn court(owner: u128) -> EntryKey {
        EntryKey { kind: Kind::Court, id: format!("{owner:032x}") }
    }
    pub fn quarantine(sha256: &str) -> EntryKey {
        EntryKey { kind: Kind::Quarantine, id: sha256.to_string() }
    }
    pub fn chunk(name: &str) -> EntryKey {
        EntryKey { kind: Kind::Chunk, id: name.to_string() }
    }

    fn file_name(&self, salt: &str) -> String {
        match self.kind {
            Kind::State => format!("{}.{}", self.id, self.kind.word()),
            _ => format!("{}.{}.{salt}", self.kind.word(), self.id),
        }
    }
}

/// Why an entry could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Miss {
    Missing,
    Damaged,
}

pub struct Store {
    dir: PathBuf,
    salt: String,
    /// entries this run read, kept or wrote: every other one is pruned
    used: Mutex<HashSet<String>>,
    errors: std::sync::atomic::AtomicU64,
}

impl Store {
    /// Opens (creating) the folder; `Err` when it cannot be made or written.
    pub fn open(dir: &Path, salt: String) -> std::io::Result<Store> {
        std::fs::create_dir_all(dir)?;
        // a folder we cannot write into serves no run: find out now, once
        let probe = dir.join(format!(".probe.{}", std::process::id()));
        std::fs::write(&probe, b"")?;
        std::fs::remove_file(&probe)?;
        Ok(Store { dir: dir.to_path_buf(), salt, used: Mutex::default(), errors: Default::default() })
    }

    fn use_name(&self, name: String) {
        self.used.lock().unwrap_or_else(|e| e.into_inner()).insert(name);
    }

    /// The body of an entry, kept for the next run.
    pub fn read(&self, key: &EntryKey) -> Result<Vec<u8>, Miss> {
        let name = key.file_name(&self.salt);
        let read = read_entry(&self.dir.join(&name)).map_err(|_| Miss::Missing)?;
        match read {
            Some(body) => {
                self.use_name(name);
                Ok(body)
            }
            None => {
                // gone, so that nothing keeps it for the next run
                let _ = std::fs::remove_file(self.dir.join(&name));
                self.count_error();
                Err(Miss::Damaged)
            }
        }
    }

    /// Keeps an entry for the next run without reading it; `false` when
    /// there is none (a damaged one shows when it is read).
    pub fn keep(&self, key: &EntryKey) -> bool {
        let name = key.file_name(&self.salt);
        let there = self.dir.join(&name).is_file();
        if there {
            self.use_name(name);
        }
        there
    }

    /// Writes an entry whole; `false` when it could not be (counted: a
    /// failed write costs the next run time, never a figure).
    pub fn write(&self, key: &EntryKey, body: &[u8]) -> bool {
        let name = key.file_name(&self.salt);
        let tmp = self.dir.join(format!("{name}.{}.tmp", std::process::id()));
        let sum = checksum(body);
        let written = std::fs::File::create(&tmp).and_then(|mut f| {
            use std::io::Write;
            f.write_all(MAGIC)?;
            f.write_all(body)?;
            f.write_all(&sum)
        });
        if written.and_then(|_| std::fs::rename(&tmp, self.dir.join(&name))).is_ok() {
            self.use_name(name);
            true
        } else {
            let _ = std::fs::remove_file(&tmp);
            self.count_error();
            false
        }
    }

    fn count_error(&self) {
        self.errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// Entries that could not be read back or written.
    pub fn errors(&self) -> u64 {
        self.errors.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// After a successful run: deletes every entry this run did not use
    /// (other settings', other builds', half-written ones of killed runs),
    /// so the folder holds one run's worth.
    pub fn prune(&self) {
        let used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        let Ok(dir) = std::fs::read_dir(&self.dir) else { return };
        for e in dir.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if !used.contains(&name) {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

fn checksum(body: &[u8]) -> [u8; 8] {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    h.update(MAGIC);
    h.update(body);
    h.digest().to_le_bytes()
}

/// The body of the entry at `path`, `None` when its magic or checksum does
/// not hold. Read after the magic straight into the body's own buffer: the
/// watch list's and the case table's chunks are a few hundred MB a run,
/// and a copy of them cost a tenth of a warm run.
fn read_entry(path: &Path) -> std::io::Result<Option<Vec<u8>>> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let size = usize::try_from(file.metadata()?.len()).unwrap_or(usize::MAX);
    let mut magic = [0; MAGIC.len()];
    if size < MAGIC.len() + 8 || file.read_exact(&mut magic).is_err() || &magic != MAGIC {
        return Ok(None);
    }
    let mut rest = Vec::with_capacity(size - MAGIC.len());
    file.read_to_end(&mut rest)?;
    Ok(split_sum(rest))
}

/// The body of an entry's bytes after its magic, when the checksum at their
/// end holds.
fn split_sum(mut rest: Vec<u8>) -> Option<Vec<u8>> {
    let at = rest.len().checked_sub(8)?;
    let sum: [u8; 8] = rest[at..].try_into().ok()?;
    rest.truncate(at);
    (checksum(&rest) == sum).then_some(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_reads_back_as_written_and_every_damage_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), "salt".into()).unwrap();
        let key = EntryKey::court(7);
        let body: Vec<u8> = (0..200u8).collect();
        assert!(store.write(&key, &body));
        assert_eq!(store.read(&key), Ok(body.clone()));
        let path = dir.path().join(key.file_name("salt"));
        let whole = std::fs::read(&path).unwrap();
        for cut in 0..whole.len() {
            std::fs::write(&path, &whole[..cut]).unwrap();
            assert_eq!(store.read(&key), Err(Miss::Damaged), "cut at {cut}");
            assert!(!path.exists(), "a damaged entry is removed");
        }
        for i in 0..whole.len() {
            let mut b = whole.clone();
            b[i] ^= 0x10;
            std::fs::write(&path, &b).unwrap();
            assert_eq!(store.read(&key), Err(Miss::Damaged), "byte {i} flipped");
        }
        assert_eq!(store.read(&EntryKey::quarantine("ab")), Err(Miss::Missing));
    }

    #[test]
    fn another_salt_never_reads_an_entry_and_pruning_keeps_only_what_was_used() {
        let dir = tempfile::tempdir().unwrap();
        let a = Store::open(dir.path(), "one".into()).unwrap();
        assert!(a.write(&EntryKey::court(1), b"x") && a.write(&EntryKey::chunk("cases.csv.9"), b"y") && a.write(&EntryKey::state(), b"{}"));
        let b = Store::open(dir.path(), "two".into()).unwrap();
        assert_eq!(b.read(&EntryKey::court(1)), Err(Miss::Missing));
        assert_eq!(b.read(&EntryKey::state()), Ok(b"{}".to_vec()), "the state has one name: its content says whose it is");
        assert!(b.write(&EntryKey::quarantine("ff"), b"z"));
        std::fs::write(dir.path().join("court.x.one.123.tmp"), b"half").unwrap();
        b.prune();
        let mut left: Vec<String> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        left.sort();
        assert_eq!(left, ["quarantine.ff.two", "run.state"]);
    }
}
