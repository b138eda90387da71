//! All-or-nothing publishing (§10). Tables are written into a fresh hidden
//! folder beside the output path; the output path is a symbolic link that is
//! swapped onto the new folder in one `rename`, so readers see either the
//! previous complete set or the new one, never a mix.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// A folder being filled; removed on drop unless published.
pub struct Staging {
    pub dir: PathBuf,
    out: PathBuf,
    parent: PathBuf,
    prefix: String,
    published: bool,
}

/// What was written, for the manifest.
#[derive(Debug, Clone, serde::Serialize)]
pub struct WrittenFile {
    pub name: String,
    pub bytes: u64,
    pub sha256: String,
    /// time to build and write it, for the manifest's timings
    pub ms: u64,
}

/// ring's SHA-256 (OpenSSL's assembly, AVX2 here) runs at ~350 MB/s on this
/// CPU against ~190 MB/s for the `sha2` crate: outputs are hashed as they
/// are written, on the writing thread.
struct HashingWriter<W: Write> {
    inner: W,
    hasher: ring::digest::Context,
    bytes: u64,
}

/// A large write (a chunk of the watch list's CSV, 5 MB) is written and
/// hashed a piece of this size at a time, each piece hashed while the
/// kernel's copy has left it in the cache: a warm run measured 0.82 s
/// against 0.89 s with the whole chunk hashed on another thread beside its
/// write.
const PIECE_BYTES: usize = 1 << 20;

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        for piece in buf.chunks(PIECE_BYTES) {
            self.inner.write_all(piece)?;
            self.hasher.update(piece);
            self.bytes += piece.len() as u64;
        }
        Ok(())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A large output file flushed to disk as it is written, and its written
/// pages dropped from the page cache once they are on disk, so that a
/// file of hundreds of megabytes holds a few windows of the cache instead
/// of its whole size (decision 0009). Every `WINDOW` bytes the window just
/// filled is handed to the disk (`sync_file_range`, which does not wait),
/// and the window `LAG` windows back, long since written, is waited for
/// and dropped (`posix_fadvise(DONTNEED)`). The run fsyncs every file
/// before publishing anyway; this spreads that work over the write and
/// lets the pages of one window serve the next. On a virtual machine
/// whose host takes back the guest's free memory, fresh page-cache pages
/// cost the bench ~0.4 s of system time for the watch list's 185 MB;
/// recycled ones cost next to nothing. Any failure of these calls is a
/// hint not taken: the data is the same, and the fsync before publishing
/// still makes it durable.
struct FlushBehind {
    file: File,
    /// bytes handed to the disk at a time (`WINDOW`; smaller in tests)
    size: u64,
    written: u64,
    /// where the window being filled begins
    window: u64,
    /// what lies before this has left the cache
    dropped: u64,
}

/// Bytes handed to the disk at a time.
const WINDOW: u64 = 8 << 20;
/// Windows in flight before one is waited for and dropped: the writer
/// never waits on the disk unless it falls that far behind.
const LAG: u64 = 4;
/// What the dropped ranges are aligned to: the largest block (folio) the
/// page cache holds a file in.
const FOLIO: u64 = 2 << 20;

impl FlushBehind {
    fn new(file: File) -> Self {
        FlushBehind::with_window(file, WINDOW)
    }

    fn with_window(file: File, size: u64) -> Self {
        FlushBehind { file, size, written: 0, window: 0, dropped: 0 }
    }

    fn into_file(self) -> File {
        self.file
    }

    /// The window just filled goes to the disk; the one `LAG` back leaves
    /// the cache.
    #[cfg(target_os = "linux")]
    fn window_filled(&mut self) {
        use std::os::fd::AsRawFd;
        let fd = self.file.as_raw_fd();
        let (start, len) = (self.window as libc::off64_t, (self.written - self.window) as libc::off64_t);
        // SAFETY: both calls take a descriptor this struct owns and plain
        // integers; they touch no memory of ours, and their failure (an
        // unsupported file system) only leaves the pages where they were.
        unsafe {
            libc::sync_file_range(fd, start, len, libc::SYNC_FILE_RANGE_WRITE);
            // whole large folios only: the cache holds a file in blocks of
            // up to 2 MiB, and one that straddles the range is kept
            let until = self.window.saturating_sub(LAG * self.size) & !(FOLIO - 1);
            if until > self.dropped {
                let (from, len) = (self.dropped as libc::off64_t, (until - self.dropped) as libc::off64_t);
                let all = libc::SYNC_FILE_RANGE_WAIT_BEFORE | libc::SYNC_FILE_RANGE_WRITE | libc::SYNC_FILE_RANGE_WAIT_AFTER;
                if libc::sync_file_range(fd, from, len, all) == 0 {
                    libc::posix_fadvise(fd, from as libc::off_t, len as libc::off_t, libc::POSIX_FADV_DONTNEED);
                }
                self.dropped = until;
            }
        }
        self.window = self.written;
    }

    #[cfg(not(target_os = "linux"))]
    fn window_filled(&mut self) {
        self.window = self.written;
    }
}

impl Write for FlushBehind {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.written += n as u64;
        if self.written - self.window >= self.size {
            self.window_filled();
        }
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

fn split_out(out: &Path) -> io::Result<(PathBuf, String)> {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, format!("{}: not a folder name", out.display())))?;
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((parent, name))
}

fn pid_alive(pid: u32) -> bool {
    pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists()
}

impl Staging {
    pub fn new(out: &Path) -> io::Result<Staging> {
        let (parent, name) = split_out(out)?;
        fs::create_dir_all(&parent)?;
        let prefix = format!(".{name}.courtstat-");
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let dir = parent.join(format!("{prefix}{}-{nanos}", std::process::id()));
        fs::create_dir(&dir)?;
        Ok(Staging { dir, out: out.to_path_buf(), parent, prefix, published: false })
    }

    /// The folder the files are written into until `publish`.
    #[cfg(test)]
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Writes one file into the folder through a hashing, buffered writer.
    pub fn write<F>(&self, name: &str, fill: F) -> io::Result<WrittenFile>
    where
        F: FnOnce(&mut dyn Write) -> io::Result<()>,
    {
        let started = std::time::Instant::now();
        let path = self.dir.join(name);
        let file = FlushBehind::new(File::create(&path)?);
        let mut w =
            HashingWriter { inner: BufWriter::with_capacity(1 << 20, file), hasher: ring::digest::Context::new(&ring::digest::SHA256), bytes: 0 };
        fill(&mut w)?;
        w.flush()?;
        let HashingWriter { inner, hasher, bytes } = w;
        let file = inner.into_inner().map_err(|e| e.into_error())?.into_file();
        file.sync_all()?;
        Ok(WrittenFile {
            name: name.to_string(),
            bytes,
            sha256: crate::ingest::hex(hasher.finish().as_ref()),
            ms: started.elapsed().as_millis() as u64,
        })
    }

    /// Swaps the output link onto this folder, then removes the previous
    /// folder and any left behind by runs that were killed.
    pub fn publish(mut self) -> io::Result<()> {
        File::open(&self.dir)?.sync_all()?;
        let dir_name = self.dir.file_name().map(|n| n.to_os_string()).unwrap_or_default();
        let pid = std::process::id();
        let link_tmp = self.parent.join(format!("{}link-{pid}", self.prefix));
        let _ = fs::remove_file(&link_tmp);
        std::os::unix::fs::symlink(&dir_name, &link_tmp)?;
        if let Err(e) = self.swap(&link_tmp, pid) {
            // nothing was published: the new link goes with the staging folder
            let _ = fs::remove_file(&link_tmp);
            return Err(e);
        }
        self.published = true;
        if let Ok(d) = File::open(&self.parent) {
            let _ = d.sync_all();
        }
        self.clean_leftovers(&dir_name);
        Ok(())
    }

    /// Puts the new link in the output path's place: a folder from before
    /// courtstat owned it is set aside first, a file there is refused.
    fn swap(&self, link_tmp: &Path, pid: u32) -> io::Result<()> {
        let aside = match fs::symlink_metadata(&self.out) {
            Ok(m) if m.file_type().is_dir() => {
                // an output folder from before courtstat owned it: set it aside
                let aside = self.parent.join(format!("{}old-{pid}", self.prefix));
                fs::rename(&self.out, &aside)?;
                Some(aside)
            }
            Ok(m) if m.file_type().is_file() => {
                return Err(io::Error::new(io::ErrorKind::AlreadyExists, format!("{} is a file, not an output folder", self.out.display())));
            }
            _ => None,
        };
        fs::rename(link_tmp, &self.out).inspect_err(|_| {
            // the old folder goes back where it was
            if let Some(aside) = aside {
                let _ = fs::rename(&aside, &self.out);
            }
        })
    }

    fn clean_leftovers(&self, current: &std::ffi::OsStr) {
        let Ok(entries) = fs::read_dir(&self.parent) else { return };
        for e in entries.flatten() {
            let name = e.file_name();
            if name == current {
                continue;
            }
            let n = name.to_string_lossy();
            let Some(rest) = n.strip_prefix(&self.prefix) else { continue };
            // a staging folder of a run still going is not ours to remove
            let owner = rest.split('-').nth(if rest.starts_with("old-") || rest.starts_with("link-") { 1 } else { 0 });
            if owner.and_then(|p| p.parse::<u32>().ok()).is_some_and(|p| p != std::process::id() && pid_alive(p)) {
                continue;
            }
            let path = e.path();
            let removed = if e.file_type().is_ok_and(|t| t.is_dir()) { fs::remove_dir_all(&path) } else { fs::remove_file(&path) };
            if let Err(why) = removed {
                // the tables are published; what is left is said, not hidden
                eprintln!("{}", crate::messages::Msg::LeftoverKept.text(&[&path.display(), &why]));
            }
        }
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.published {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn publish_one(out: &Path, body: &str) {
        let s = Staging::new(out).unwrap();
        s.write("t.csv", |w| w.write_all(body.as_bytes())).unwrap();
        s.publish().unwrap();
    }

    #[test]
    fn second_publish_replaces_the_first_and_leaves_one_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        publish_one(&out, "one");
        publish_one(&out, "two");
        assert_eq!(fs::read_to_string(out.join("t.csv")).unwrap(), "two");
        let hidden = fs::read_dir(tmp.path()).unwrap().filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().starts_with('.')).count();
        assert_eq!(hidden, 1, "only the published folder stays beside the link");
    }

    #[test]
    fn a_failed_run_leaves_the_previous_outputs_untouched() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        publish_one(&out, "one");
        {
            let s = Staging::new(&out).unwrap();
            s.write("t.csv", |w| w.write_all(b"half")).unwrap();
            // dropped without publish: a failed run
        }
        assert_eq!(fs::read_to_string(out.join("t.csv")).unwrap(), "one");
    }

    /// The pages of `path` in the page cache, and all its pages.
    fn cached_pages(path: &Path) -> (usize, usize) {
        use std::os::fd::AsRawFd;
        let f = File::open(path).unwrap();
        let len = f.metadata().unwrap().len() as usize;
        let page = 4096;
        let pages = len.div_ceil(page);
        let mut resident = vec![0u8; pages];
        // SAFETY: a read-only shared mapping of a file we opened, unmapped
        // before it goes; mincore writes one byte per page into `resident`.
        unsafe {
            let at = libc::mmap(std::ptr::null_mut(), len, libc::PROT_READ, libc::MAP_SHARED, f.as_raw_fd(), 0);
            assert_ne!(at, libc::MAP_FAILED);
            assert_eq!(libc::mincore(at, len, resident.as_mut_ptr()), 0);
            libc::munmap(at, len);
        }
        (resident.iter().filter(|r| **r & 1 == 1).count(), pages)
    }

    #[test]
    fn a_large_output_is_written_whole_and_leaves_the_page_cache_behind_it() {
        // on the checkout's own file system: a tmpfs /tmp keeps every page
        let tmp = tempfile::tempdir_in(env!("CARGO_MANIFEST_DIR")).unwrap();
        let path = tmp.path().join("big.csv");
        let window = 1 << 20;
        let body: Vec<u8> = (0..32_000_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
        let mut w = BufWriter::with_capacity(1 << 16, FlushBehind::with_window(File::create(&path).unwrap(), window));
        for piece in body.chunks(100_003) {
            w.write_all(piece).unwrap();
        }
        let file = w.into_inner().map_err(|e| e.into_error()).unwrap().into_file();
        file.sync_all().unwrap();
        // (before the file is read back, which brings its pages back)
        let (resident, pages) = cached_pages(&path);
        // all but the last LAG windows, the one being filled and the
        // alignment's slack have left
        let kept = ((LAG + 2) * window + FOLIO) as usize / 4096;
        assert!(resident <= kept, "{resident} of {pages} pages still cached (at most {kept} expected)");
        assert!(fs::read(&path).unwrap() == body, "the file holds every byte written, in order");
    }

    #[test]
    fn a_plain_output_folder_from_before_is_replaced() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        fs::create_dir(&out).unwrap();
        fs::write(out.join("old.csv"), "x").unwrap();
        publish_one(&out, "new");
        assert_eq!(fs::read_to_string(out.join("t.csv")).unwrap(), "new");
        assert!(!out.join("old.csv").exists());
    }
}
