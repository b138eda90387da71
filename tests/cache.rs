//! The incremental cache on the real binary: a warm run after one file
//! changed publishes the very bytes a cold run does, parses only that file,
//! reuses the large tables' unchanged chunks, and neither a damaged entry
//! nor a changed setting can leak a stale parse or chunk.

use assert_cmd::Command;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

fn courtstat() -> Command {
    let mut c = Command::cargo_bin("courtstat").unwrap();
    c.env_remove("COURTSTAT_HASH_KEY");
    c
}

/// Every file under `dir`, recursively, sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v = Vec::new();
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            v.extend(files(&p));
        } else {
            v.push(p);
        }
    }
    v.sort();
    v
}

/// A messy generated export of two cities, its files dated an hour back (as
/// last night's files are), so their stamps are trusted.
fn export(tmp: &Path) -> PathBuf {
    let input = tmp.join("input");
    let o =
        courtstat().args(["gen", "--rows", "3000", "--seed", "11", "--messy", "--cities", "承德市,唐山市", "--out"]).arg(&input).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for f in files(&input) {
        backdate(&f);
    }
    input
}

fn backdate(f: &Path) {
    let file = fs::File::options().write(true).open(f).unwrap();
    file.set_modified(SystemTime::now() - Duration::from_secs(3600)).unwrap();
}

fn run(input: &Path, out: &Path, extra: &[&str]) -> serde_json::Value {
    let o = courtstat().arg("run").arg("--input").arg(input).arg("--out").arg(out).args(["--as-of", "2023-08-22"]).args(extra).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&fs::read(out.join("run.json")).unwrap()).unwrap()
}

fn cache_stat(m: &serde_json::Value, key: &str) -> u64 {
    m["cache"][key].as_u64().unwrap_or_else(|| panic!("run.json cache.{key}: {}", m["cache"]))
}

/// Every published file but run.json (which holds timings) is the same.
fn assert_same_outputs(a: &Path, b: &Path) {
    let names = |d: &Path| files(d).iter().map(|p| p.file_name().unwrap().to_owned()).collect::<Vec<_>>();
    assert_eq!(names(a), names(b));
    for name in names(a) {
        if name == "run.json" {
            continue;
        }
        assert!(fs::read(a.join(&name)).unwrap() == fs::read(b.join(&name)).unwrap(), "{name:?} differs between the cached and the cold run");
    }
    let manifest = |d: &Path| serde_json::from_slice::<serde_json::Value>(&fs::read(d.join("run.json")).unwrap()).unwrap();
    let (ma, mb) = (manifest(a), manifest(b));
    for key in ["files", "rows_read", "rows_quarantined", "quarantine_by_reason", "warnings", "cases_valid", "cases_kept", "duplicates_dropped"] {
        assert_eq!(ma[key], mb[key], "run.json {key}");
    }
}

/// Appends a copy of the file's last line: a re-sent version of a case.
fn change_one_file(input: &Path) -> PathBuf {
    let f = files(input).into_iter().find(|f| f.to_string_lossy().ends_with(".csv")).unwrap();
    let mut bytes = fs::read(&f).unwrap();
    let body = bytes.strip_suffix(b"\n").unwrap_or(&bytes);
    let last = body[body.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1)..].to_vec();
    if !bytes.ends_with(b"\n") {
        bytes.push(b'\n');
    }
    bytes.extend_from_slice(&last);
    bytes.push(b'\n');
    fs::write(&f, bytes).unwrap();
    f
}

#[test]
fn a_warm_run_after_one_file_changed_parses_it_alone_and_matches_a_cold_run() {
    let tmp = tempfile::tempdir().unwrap();
    let input = export(tmp.path());
    let n = files(&input).len() as u64;
    let (warm, cold) = (tmp.path().join("warm"), tmp.path().join("cold"));

    let first = run(&input, &warm, &[]);
    assert_eq!((cache_stat(&first, "files_parsed"), cache_stat(&first, "files_cached")), (n, 0));
    change_one_file(&input);
    let second = run(&input, &warm, &[]);
    assert_eq!(cache_stat(&second, "files_parsed"), 1, "only the changed file is parsed");
    assert_eq!(cache_stat(&second, "files_cached"), n - 1);
    assert_eq!(cache_stat(&second, "files_not_read"), n - 1, "untouched files are not even read");
    assert_eq!(first["rows_read"].as_u64().unwrap() + 1, second["rows_read"].as_u64().unwrap(), "the appended line was read");

    let cold_manifest = run(&input, &cold, &["--no-cache"]);
    assert!(cold_manifest["cache"].is_null());
    assert!(!tmp.path().join(".cold.courtstat.cache").exists(), "--no-cache writes no cache");
    assert_same_outputs(&warm, &cold);

    // the cache holds this run's entries only: one per input file, and one
    // per chunk of each large table's CSV and Parquet file
    let entries = files(&tmp.path().join(".warm.courtstat.cache"));
    let ext = |x: &str| entries.iter().filter(|p| p.extension().is_some_and(|e| e == x)).count() as u64;
    assert_eq!(ext("rows"), n);
    let chunks = cache_stat(&second, "chunks_reused") + cache_stat(&second, "chunks_stored");
    assert_eq!(ext("chunk"), chunks);
    assert!(chunks >= 5, "cases.parquet, duplicates and quarantine as CSV and Parquet: {chunks}");
    assert_eq!(ext("rows") + ext("chunk") + 1, entries.len() as u64, "{entries:?}");
}

#[test]
fn a_touched_file_is_read_again_and_its_unchanged_content_still_hits() {
    let tmp = tempfile::tempdir().unwrap();
    let input = export(tmp.path());
    let out = tmp.path().join("out");
    run(&input, &out, &[]);
    let f = files(&input)[0].clone();
    fs::File::options().write(true).open(&f).unwrap().set_modified(SystemTime::now() - Duration::from_secs(60)).unwrap();
    let m = run(&input, &out, &[]);
    let n = files(&input).len() as u64;
    assert_eq!((cache_stat(&m, "files_cached"), cache_stat(&m, "files_not_read"), cache_stat(&m, "files_parsed")), (n, n - 1, 0));
    // nothing changed: every chunk of the large tables is taken as it was
    assert_eq!(
        (cache_stat(&m, "chunks_reused"), cache_stat(&m, "chunks_stored")),
        (5, 0),
        "cases.parquet, duplicates and quarantine as CSV and Parquet"
    );
    let cold = tmp.path().join("cold");
    run(&input, &cold, &["--no-cache"]);
    assert_same_outputs(&out, &cold);
}

#[test]
fn damaged_entries_are_parsed_afresh_and_change_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let input = export(tmp.path());
    let (warm, cold) = (tmp.path().join("warm"), tmp.path().join("cold"));
    run(&input, &warm, &[]);
    // the parses and the encoded chunks
    let entries: Vec<PathBuf> =
        files(&tmp.path().join(".warm.courtstat.cache")).into_iter().filter(|p| p.extension().is_some_and(|e| e == "rows" || e == "chunk")).collect();
    let chunks = entries.iter().filter(|p| p.extension().is_some_and(|e| e == "chunk")).count() as u64;
    assert_eq!(chunks, 5);
    for (i, e) in entries.iter().enumerate() {
        let mut b = fs::read(e).unwrap();
        if i % 2 == 0 {
            b.truncate(b.len() / 2);
        } else {
            let mid = b.len() / 2;
            b[mid] ^= 1;
        }
        fs::write(e, b).unwrap();
    }
    let m = run(&input, &warm, &[]);
    let n = files(&input).len() as u64;
    assert_eq!((cache_stat(&m, "files_parsed"), cache_stat(&m, "entry_errors")), (n, n + chunks));
    assert_eq!((cache_stat(&m, "chunks_reused"), cache_stat(&m, "chunks_stored")), (0, chunks));
    run(&input, &cold, &["--no-cache"]);
    assert_same_outputs(&warm, &cold);
}

#[test]
fn entries_made_under_other_settings_or_another_key_are_not_used() {
    let tmp = tempfile::tempdir().unwrap();
    let input = export(tmp.path());
    let cache = tmp.path().join("shared-cache");
    let cache_arg = cache.to_str().unwrap();
    let out = tmp.path().join("out");
    let n = files(&input).len() as u64;
    let m = run(&input, &out, &["--cache-dir", cache_arg]);
    assert_eq!(cache_stat(&m, "files_parsed"), n);
    let m = run(&input, &out, &["--cache-dir", cache_arg]);
    assert_eq!(cache_stat(&m, "files_cached"), n, "same settings: every file hits");

    // a different first-enforcement term changes every deadline
    let pipeline = tmp.path().join("p.toml");
    fs::write(&pipeline, "first_enforcement_months = 3\n").unwrap();
    let o = courtstat()
        .arg("run")
        .arg(&pipeline)
        .arg("--input")
        .arg(&input)
        .arg("--out")
        .arg(&out)
        .args(["--as-of", "2023-08-22", "--cache-dir", cache_arg])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let m: serde_json::Value = serde_json::from_slice(&fs::read(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(cache_stat(&m, "files_cached"), 0, "another term: nothing reused");

    // a party-hash key changes the quarantined lines and hash columns
    let keyed = |key: &str| {
        let o = courtstat()
            .arg("run")
            .arg("--input")
            .arg(&input)
            .arg("--out")
            .arg(&out)
            .args(["--as-of", "2023-08-22", "--cache-dir", cache_arg])
            .env("COURTSTAT_HASH_KEY", key)
            .output()
            .unwrap();
        assert!(o.status.success());
        let m: serde_json::Value = serde_json::from_slice(&fs::read(out.join("run.json")).unwrap()).unwrap();
        cache_stat(&m, "files_cached")
    };
    assert_eq!(keyed("one"), 0);
    assert_eq!(keyed("one"), n);
    assert_eq!(keyed("two"), 0, "another key: nothing reused");
}
