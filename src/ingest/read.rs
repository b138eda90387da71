//! Reading the export files: each file's bytes, their sha256 and the stamp
//! (size, times, inode) that identified them, in batches sized for memory
//! and for the SIMD lanes of `sha256`. The caller says what becomes of each
//! file read (`each_read`): ingest does not know what normalize does with
//! the bytes, only that batch k is worked on while batch k+1 is read.

use super::{InputFile, Rejection};
use rayon::prelude::*;

/// What identifies a file's bytes without reading them: when a later run
/// finds the same stamp, the file has not been written since (the
/// incremental layer trusts it only for files older than the run that
/// recorded it, as git does with racily clean files).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Stamp {
    pub size: u64,
    pub mtime: (i64, i64),
    pub ctime: (i64, i64),
    pub dev: u64,
    pub ino: u64,
}

impl Stamp {
    pub fn of(path: &std::path::Path) -> std::io::Result<Stamp> {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(path)?;
        Ok(Stamp { size: m.size(), mtime: (m.mtime(), m.mtime_nsec()), ctime: (m.ctime(), m.ctime_nsec()), dev: m.dev(), ino: m.ino() })
    }
}

/// A file's bytes as read, with their sha256 (hex) and the stamp taken
/// before reading.
pub struct ReadFile {
    pub bytes: Vec<u8>,
    pub sha256: String,
    pub stamp: Stamp,
}

/// Files read per batch: two tasks' worth of SIMD lanes (see `sha256`), or
/// fewer once they add up to this many bytes, so that a national run does
/// not hold dozens of large files at once (two batches are in memory: one
/// worked on, the next read)...
const BATCH_BYTES: u64 = 256 << 20;
/// and at least this many files when they are small (without SIMD lanes a
/// batch of two would wait on its slower file too often)
const BATCH_FILES: usize = 16;

/// Reads every file and hands it to `work` with its index in `files`; the
/// results come back in input order. A batch's files are read in parallel
/// and hashed side by side (one SIMD lane per file), then worked on in
/// parallel while the next batch is read and hashed, so that no core waits
/// for a batch's slowest file.
pub fn each_read<T: Send>(files: &[InputFile], work: impl Fn(usize, Result<ReadFile, Rejection>) -> T + Sync) -> Vec<T> {
    let lanes = super::sha256::lanes();
    let batches = batches(files, lanes);
    let work_on = |range: std::ops::Range<usize>, read: Vec<Result<ReadFile, Rejection>>| -> Vec<T> {
        let first = range.start;
        read.into_par_iter().enumerate().map(|(k, r)| work(first + k, r)).collect()
    };
    let mut out = Vec::with_capacity(files.len());
    let mut ranges = batches.into_iter();
    let mut current = ranges.next().map(|r| (r.clone(), read_batch(&files[r], lanes)));
    while let Some((range, read)) = current.take() {
        let next = ranges.next();
        let (done, prepared) = rayon::join(|| work_on(range, read), || next.map(|r| (r.clone(), read_batch(&files[r], lanes))));
        out.extend(done);
        current = prepared;
    }
    out
}

/// Batch boundaries, `[first, end)` each.
fn batches(files: &[InputFile], lanes: usize) -> Vec<std::ops::Range<usize>> {
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
    batches
}

/// Reads a batch of files in parallel and hashes them side by side.
fn read_batch(batch: &[InputFile], lanes: usize) -> Vec<Result<ReadFile, Rejection>> {
    let read: Vec<Result<(Vec<u8>, Stamp), Rejection>> = batch.par_iter().map(read_whole).collect();
    let ok: Vec<&[u8]> = read.iter().filter_map(|r| r.as_ref().ok().map(|(b, _)| b.as_slice())).collect();
    // at most a register's lanes per task, and every thread a share when the
    // batch is smaller (large national files)
    let per_task = ok.len().div_ceil(rayon::current_num_threads().max(1)).clamp(1, lanes);
    let mut shas = ok.par_chunks(per_task).flat_map_iter(super::sha256::sha256_many).collect::<Vec<_>>().into_iter();
    drop(ok);
    read.into_iter()
        .map(|r| {
            let (bytes, stamp) = r?;
            let sha = shas.next().ok_or_else(|| Rejection::Unreadable("not hashed".into()))?;
            Ok(ReadFile { bytes, sha256: super::hex(&sha), stamp })
        })
        .collect()
}

/// One file's bytes and the stamp taken before reading them; a file that
/// changed while it was read (another size or modification time after the
/// read) is refused, so that no figure rests on half of two versions.
fn read_whole(file: &InputFile) -> Result<(Vec<u8>, Stamp), Rejection> {
    let unreadable = |e: std::io::Error| Rejection::Unreadable(e.to_string());
    let before = Stamp::of(&file.path).map_err(unreadable)?;
    let bytes = std::fs::read(&file.path).map_err(unreadable)?;
    let after = Stamp::of(&file.path).map_err(unreadable)?;
    if (after.size, after.mtime) != (before.size, before.mtime) || bytes.len() as u64 != before.size {
        return Err(Rejection::ChangedWhileRead);
    }
    Ok((bytes, before))
}

/// One file read and hashed on its own (the incremental layer's check of a
/// file whose stamp moved).
pub fn read_one(file: &InputFile) -> Result<ReadFile, Rejection> {
    let (bytes, stamp) = read_whole(file)?;
    let sha = super::sha256::sha256_many(&[&bytes]);
    let sha256 = sha.first().map(|s| super::hex(s)).ok_or_else(|| Rejection::Unreadable("not hashed".into()))?;
    Ok(ReadFile { bytes, sha256, stamp })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(size: u64) -> InputFile {
        InputFile { path: "x".into(), name: "x".into(), size, sheet: None }
    }

    #[test]
    fn batches_cover_every_file_once_in_order_within_their_bounds() {
        let files: Vec<InputFile> = [1u64, 5, 300 << 20, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 200 << 20, 100 << 20].map(file).to_vec();
        for lanes in [1, 8, 16] {
            let b = batches(&files, lanes);
            assert_eq!(b.first().map(|r| r.start), Some(0));
            assert_eq!(b.last().map(|r| r.end), Some(files.len()));
            for w in b.windows(2) {
                assert_eq!(w[0].end, w[1].start);
            }
            for r in &b {
                let bytes: u64 = files[r.clone()].iter().map(|f| f.size).sum();
                assert!(r.len() == 1 || (bytes <= BATCH_BYTES && r.len() <= BATCH_FILES.max(2 * lanes)), "{r:?} with {lanes} lanes");
            }
        }
    }

    #[test]
    fn each_read_returns_results_in_input_order_with_the_bytes_sha256() {
        let dir = tempfile::tempdir().unwrap();
        let files: Vec<InputFile> = (0..40)
            .map(|i| {
                let path = dir.path().join(format!("{i}.csv"));
                std::fs::write(&path, "x".repeat(i * 7)).unwrap();
                InputFile { path, name: format!("{i}.csv"), size: (i * 7) as u64, sheet: None }
            })
            .chain(std::iter::once(InputFile { path: dir.path().join("gone.csv"), name: "gone.csv".into(), size: 3, sheet: None }))
            .collect();
        let got = each_read(&files, |i, r| (i, r.map(|f| (f.bytes.len(), f.sha256, f.stamp.size))));
        for (k, (i, r)) in got.iter().enumerate() {
            assert_eq!(*i, k);
            if k == 40 {
                assert!(matches!(r, Err(Rejection::Unreadable(_))), "a vanished file is unreadable");
                continue;
            }
            let (len, sha, size) = r.as_ref().unwrap();
            use sha2::Digest;
            let want: String = sha2::Sha256::digest("x".repeat(k * 7)).iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!((*len, sha.as_str(), *size), (k * 7, want.as_str(), (k * 7) as u64));
        }
    }
}
