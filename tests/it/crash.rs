//! Crash safety: `courtstat run` killed with SIGKILL at many moments leaves
//! the output folder holding either the previous complete set of tables or
//! the new complete set, never a mix and never a truncated file; `run.json`
//! lists every table with its sha256, which is checked each time. The next
//! successful run removes the folders killed runs left behind, and the cache
//! entries they left half written.
//!
//! `COURTSTAT_KILL_ITERATIONS` sets the number of kills (default 20, a few
//! seconds); `make soak` runs many more.

use super::common::bin;
use sha2::{Digest, Sha256};
use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

fn run(input: &Path, out: &Path, as_of: &str) -> Command {
    let mut c = Command::new(bin());
    c.args(["run", "--quiet", "--as-of", as_of, "--input"]).arg(input).arg("--out").arg(out).env_remove("COURTSTAT_HASH_KEY");
    c
}

/// The as-of date of the complete set in `out`, after checking every file
/// the manifest lists against its size and sha256, and that nothing else is
/// there.
fn verify_complete(out: &Path) -> String {
    let manifest: serde_json::Value = serde_json::from_slice(&fs::read(out.join("run.json")).expect("run.json present")).expect("run.json whole");
    let mut listed = vec!["run.json".to_string()];
    for o in manifest["outputs"].as_array().unwrap() {
        let name = o["name"].as_str().unwrap();
        let bytes = fs::read(out.join(name)).unwrap_or_else(|_| panic!("{name} listed but missing"));
        assert_eq!(bytes.len() as u64, o["bytes"].as_u64().unwrap(), "{name} truncated");
        let sha: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(sha, o["sha256"].as_str().unwrap(), "{name} differs from its manifest: a mix of two runs");
        listed.push(name.to_string());
    }
    let mut present: Vec<String> = fs::read_dir(out).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    present.sort();
    listed.sort();
    assert_eq!(present, listed, "files beyond the manifest");
    manifest["settings"]["as_of"].as_str().unwrap().to_string()
}

/// The two kinds of run a night sees: a refresh from the last run's state,
/// and a full run that parses everything and fills the cache (its state
/// removed first).
#[derive(Clone, Copy, Debug)]
enum Kind {
    Refresh,
    Full,
}

fn prepare(kind: Kind, cache: &Path) {
    if let Kind::Full = kind {
        let _ = fs::remove_file(cache.join("run.state"));
    }
}

/// How long a run of this kind takes here: the median of three.
fn run_time(kind: Kind, input: &Path, out: &Path, cache: &Path) -> std::time::Duration {
    let mut times: Vec<_> = (0..3)
        .map(|_| {
            prepare(kind, cache);
            let started = Instant::now();
            assert!(run(input, out, "2023-06-30").status().unwrap().success());
            started.elapsed()
        })
        .collect();
    times.sort();
    times[1]
}

#[test]
fn killed_runs_leave_the_previous_or_the_new_complete_set() {
    let iterations: u64 = std::env::var("COURTSTAT_KILL_ITERATIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(20);
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    let out = tmp.path().join("out");
    let cache = tmp.path().join(".out.courtstat.cache");
    let g = Command::new(bin())
        .args(["gen", "--rows", "20000", "--seed", "3", "--messy", "--cities", "承德市,唐山市", "--out"])
        .arg(&input)
        .output()
        .unwrap();
    assert!(g.status.success());

    // a first complete set, and how long each kind of run takes
    assert!(run(&input, &out, "2023-06-30").status().unwrap().success());
    assert_eq!(verify_complete(&out), "2023-06-30");
    let times = [run_time(Kind::Refresh, &input, &out, &cache), run_time(Kind::Full, &input, &out, &cache)];

    let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
    let (mut old_sets, mut new_sets, mut mid_run) = (0, 0, 0);
    for i in 0..iterations {
        let before = verify_complete(&out);
        let as_of = if i % 2 == 0 { "2023-08-22" } else { "2023-06-30" };
        let kind = if i % 4 < 2 { Kind::Refresh } else { Kind::Full };
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        // anywhere from reading through writing, the cache's entries and
        // publishing, sized from the kind of run killed
        let delay = times[kind as usize].mul_f64(0.05 + 1.05 * (seed % 1000) as f64 / 1000.0);
        prepare(kind, &cache);
        let mut child = run(&input, &out, as_of).spawn().unwrap();
        std::thread::sleep(delay);
        if child.try_wait().unwrap().is_none() {
            mid_run += 1;
        }
        let _ = child.kill(); // SIGKILL; it may have finished already
        let _ = child.wait();
        let after = verify_complete(&out);
        if after == before {
            old_sets += 1;
        } else {
            assert_eq!(after, as_of);
            new_sets += 1;
        }
    }
    eprintln!(
        "{iterations} kills ({mid_run} mid-run; runs take {times:?}): {old_sets} left the previous set, {new_sets} the new one; every set complete"
    );
    assert!(mid_run * 2 >= iterations, "most kills land while the run is going: {mid_run} of {iterations}");

    // the next run cleans what killed runs left beside the output
    assert!(run(&input, &out, "2023-08-22").status().unwrap().success());
    verify_complete(&out);
    let mut beside: Vec<String> = fs::read_dir(tmp.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    beside.retain(|n| n.starts_with(".out."));
    beside.sort();
    assert_eq!(beside.len(), 3, "the published folder, the lock file and the cache only: {beside:?}");
    assert!(beside.iter().any(|n| n == ".out.courtstat.lock"));
    assert!(beside.iter().any(|n| n == ".out.courtstat.cache"));
    // and the cache holds the last run's entries only: no half-written ones
    let entries: Vec<String> = fs::read_dir(&cache).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert!(
        entries.iter().all(|n| n == "run.state" || ["court.", "quarantine.", "chunk."].iter().any(|k| n.starts_with(k)) && !n.ends_with(".tmp")),
        "{entries:?}"
    );
    assert!(entries.iter().any(|n| n == "run.state"), "the last run's state");
}
