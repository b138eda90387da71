//! One run per output folder at a time. The lock is an advisory file lock
//! (flock) on `.NAME.courtstat.lock` beside the output path: the kernel drops
//! it when its holder exits or is killed, so a dead run never leaves a stale
//! lock, and the pid written inside names the holder in the error.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("{}", self.message(Lang::En))]
    Held { path: String, pid: String },
    #[error("{}", self.message(Lang::En))]
    Io { path: String, message: String },
}

use crate::messages::{Lang, Msg};

impl LockError {
    pub fn message(&self, lang: Lang) -> String {
        match self {
            LockError::Held { path, pid } => Msg::ErrLockHeld.say(lang, &[pid, path]),
            LockError::Io { path, message } => Msg::ErrLock.say(lang, &[path, message]),
        }
    }
}

/// Held for the life of the run.
#[derive(Debug)]
pub struct OutputLock {
    _file: File,
    pub path: PathBuf,
}

pub fn lock_path(out: &Path) -> PathBuf {
    beside_output(out, "lock")
}

/// `.NAME.courtstat.WHAT` beside the output path `…/NAME`: where the lock and
/// the cache live. The published folders are `.NAME.courtstat-…`, so a
/// cleanup of those never matches these.
pub fn beside_output(out: &Path, what: &str) -> PathBuf {
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "out".into());
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    parent.join(format!(".{name}.courtstat.{what}"))
}

pub fn acquire(out: &Path, wait: bool) -> Result<OutputLock, LockError> {
    let path = lock_path(out);
    let io = |e: std::io::Error| LockError::Io { path: path.display().to_string(), message: e.to_string() };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    let mut file = OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path).map_err(io)?;
    if wait {
        file.lock().map_err(io)?;
    } else {
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut pid = String::new();
                let _ = file.read_to_string(&mut pid);
                let pid = pid.trim().to_string();
                return Err(LockError::Held { path: path.display().to_string(), pid: if pid.is_empty() { "unknown".into() } else { pid } });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
    }
    file.set_len(0).map_err(io)?;
    file.rewind().map_err(io)?;
    write!(file, "{}", std::process::id()).map_err(io)?;
    file.flush().map_err(io)?;
    Ok(OutputLock { _file: file, path })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_with_the_first_holders_pid() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let first = acquire(&out, false).unwrap();
        let e = acquire(&out, false).unwrap_err().to_string();
        assert!(e.contains(&std::process::id().to_string()) && e.contains(".out.courtstat.lock"), "{e}");
        drop(first);
        assert!(acquire(&out, false).is_ok(), "released when the holder goes away");
    }
}
