//! Memory as the operating system sees it: measuring it for the manifest,
//! and keeping glibc from holding on to what the pipeline has freed.

/// Resident and peak memory of this process in MB (Linux /proc; 0 elsewhere).
pub fn mb() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status.lines().find(|l| l.starts_with(name)).and_then(|l| l.split_whitespace().nth(1)).and_then(|kb| kb.parse::<u64>().ok()).unwrap_or(0)
            / 1024
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Each file's cases are gathered in their own vector and moved into one
/// after reading. glibc raises its mmap threshold each time a large block is
/// freed, after which later blocks come from the heap and, once freed, stay
/// resident: the cases were counted twice in peak memory. The threshold is
/// fixed at 8 MiB instead (larger blocks always go back at once) and `trim`
/// hands back the freed heap after the merge. A lower threshold (256 KiB)
/// measured ~120 MB less peak on the bench but 1.2–1.7 s more system time,
/// the kernel zeroing fresh pages for every chunk of the case table.
///
/// Fixing the mmap threshold also fixes glibc's trim threshold at its
/// 128 KiB default, so every free at the top of the heap handed pages back,
/// to be faulted in again by the next allocation. It is set to 64 MiB: the
/// explicit trims return the rest where it matters. Measured: −0.2 s (6%)
/// of system time on the bench, national peak unchanged (5.5 GB).
pub fn return_large_frees_to_the_os() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; a failure (0) leaves
    // the default in place, which is merely slower to give memory back.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 8 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 64 << 20);
    }
}

/// Gives the heap's free pages back to the system (glibc `malloc_trim`).
pub fn trim() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases memory that is already free.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Trims once every so many bytes freed, for loops that move many small
/// heap vectors into one large one: the moved-from vectors go back as the
/// loop goes, so the data is never resident twice by its end.
pub struct TrimEvery {
    bytes: usize,
    freed: usize,
}

impl Default for TrimEvery {
    fn default() -> TrimEvery {
        TrimEvery::new()
    }
}

impl TrimEvery {
    /// Every 64 MB: a trim walks the heap, so not after each small vector.
    pub fn new() -> TrimEvery {
        TrimEvery { bytes: 64 << 20, freed: 0 }
    }

    /// `items` elements of `T` were just freed.
    pub fn freed<T>(&mut self, items: usize) {
        self.freed += items * std::mem::size_of::<T>();
        if self.freed > self.bytes {
            trim();
            self.freed = 0;
        }
    }
}

/// Faults in the pages of the next `items` unused slots of `v` before they
/// are filled, split between the pool's threads. A fresh vector above the
/// mmap threshold is otherwise faulted a 4 KiB page at a time by the one
/// thread that fills it: the merge of every file's cases (130 MB on the
/// bench) spent 130 ms there with the other core idle; populated in advance
/// by two threads, the pages take 35 ms and the copy 18 ms. Callers go a
/// slice at a time so that the freed source and the filled target are not
/// both resident in full. Advice only: before Linux 5.14 (no
/// `MADV_POPULATE_WRITE`) the pages fault in as before.
pub fn prefault<T>(v: &mut Vec<T>, items: usize) {
    #[cfg(target_os = "linux")]
    {
        const PAGE: usize = 4096;
        let spare = v.spare_capacity_mut();
        let items = items.min(spare.len());
        let spare = &mut spare[..items];
        let start = spare.as_mut_ptr() as usize;
        let end = start + std::mem::size_of_val(spare);
        // whole pages inside those slots only
        let (first, last) = (start.div_ceil(PAGE) * PAGE, end / PAGE * PAGE);
        if last <= first {
            return;
        }
        let pages = (last - first) / PAGE;
        let parts = rayon::current_num_threads().clamp(1, pages);
        use rayon::prelude::*;
        (0..parts).into_par_iter().for_each(|k| {
            let from = first + pages * k / parts * PAGE;
            let to = first + pages * (k + 1) / parts * PAGE;
            // SAFETY: [from, to) is whole pages inside `v`'s own allocation,
            // which nothing reads or writes while this runs (`v` is borrowed
            // mutably); MADV_POPULATE_WRITE only faults the pages in (zeroed
            // if new, contents kept if not) and changes no byte of them.
            unsafe {
                libc::madvise(from as *mut libc::c_void, to - from, libc::MADV_POPULATE_WRITE);
            }
        });
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (v, items);
}
