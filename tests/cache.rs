//! The incremental cache on the real binary: a warm run after one file
//! changed publishes the very bytes a cold run does, parses only that file,
//! recounts only the courts it touches, reuses the large tables' unchanged
//! chunks, and neither a damaged entry nor a changed setting can leak a
//! stale parse, chunk or court.

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
    run_with(courtstat(), input, out, extra)
}

/// Chunks of 32 to 64 rows: a small export's large tables in many chunks.
fn small_chunks() -> Command {
    let mut c = courtstat();
    c.env("COURTSTAT_CHUNK_ROWS", "32");
    c
}

/// `run` as of 2023-08-22 unless `extra` names another day.
fn run_with(mut command: Command, input: &Path, out: &Path, extra: &[&str]) -> serde_json::Value {
    command.arg("run").arg("--input").arg(input).arg("--out").arg(out).args(extra);
    if !extra.contains(&"--as-of") {
        command.args(["--as-of", "2023-08-22"]);
    }
    let o = command.output().unwrap();
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
    // and the run state a refresh starts from, each court's counted cases,
    // and the stamps
    assert_eq!(ext("state"), 1);
    assert!(ext("court") > 0);
    assert_eq!(ext("rows") + ext("chunk") + ext("state") + ext("court") + 1, entries.len() as u64, "{entries:?}");
    assert!(second["cache"]["refreshed"].as_bool().unwrap(), "one file changed: a refresh of its courts");
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

fn refreshed(m: &serde_json::Value) -> bool {
    m["cache"]["refreshed"].as_bool().unwrap_or_else(|| panic!("run.json cache.refreshed: {}", m["cache"]))
}

/// A small deterministic generator for the edits below (xorshift).
struct Dice(u64);

impl Dice {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}

/// The file's lines (without their ends).
fn lines_of(bytes: &[u8]) -> Vec<Vec<u8>> {
    bytes.split(|&b| b == b'\n').filter(|l| !l.is_empty()).map(<[u8]>::to_vec).collect()
}

fn join(lines: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for l in lines {
        out.extend_from_slice(l);
        out.push(b'\n');
    }
    out
}

/// One random edit of the kind a re-export makes: a case re-sent, a line
/// dropped, another court's case sent by this court, a figure or a case
/// number changed, a bad line, a whole file re-sent from another court, a
/// file added under a new name, removed or renamed.
fn edit(input: &Path, dice: &mut Dice) -> String {
    let all: Vec<PathBuf> = files(input).into_iter().filter(|f| f.extension().is_some_and(|e| e == "csv" || e == "tsv")).collect();
    let f = &all[dice.below(all.len())];
    let other = &all[dice.below(all.len())];
    let mut lines = lines_of(&fs::read(f).unwrap());
    let theirs = lines_of(&fs::read(other).unwrap());
    let data = |n: usize, dice: &mut Dice| 1 + dice.below(n.saturating_sub(1));
    let kind = dice.below(9);
    let beside =
        |tag: String| f.with_file_name(format!("{}-{tag}.{}", f.file_stem().unwrap().to_string_lossy(), f.extension().unwrap().to_string_lossy()));
    match kind {
        // a re-export under a new name (another date), beside the old one
        6 => {
            fs::copy(other, beside(format!("new{}", dice.below(1000)))).unwrap();
            return format!("edit 6: {} copied beside {}", other.display(), f.display());
        }
        7 if all.len() > 20 => {
            fs::remove_file(f).unwrap();
            return format!("edit 7: {} removed", f.display());
        }
        8 => {
            let to = beside(format!("renamed{}", dice.below(1000)));
            fs::rename(f, &to).unwrap();
            return format!("edit 8: {} renamed {}", f.display(), to.display());
        }
        _ => {}
    }
    match kind {
        0 => {
            let l = lines[data(lines.len(), dice)].clone();
            lines.push(l);
        }
        1 if lines.len() > 2 => {
            let at = data(lines.len(), dice);
            lines.remove(at);
        }
        2 => {
            let l = theirs[data(theirs.len(), dice)].clone();
            lines.push(l);
        }
        3 => {
            // a digit changed: a date, an amount or the case number's seq
            let at = data(lines.len(), dice);
            let digits: Vec<usize> = lines[at].iter().enumerate().filter(|(_, b)| b.is_ascii_digit()).map(|(i, _)| i).collect();
            if !digits.is_empty() {
                let i = digits[dice.below(digits.len())];
                lines[at][i] = b'0' + ((lines[at][i] - b'0' + 1) % 10);
            }
        }
        4 => lines.push(b"not,a,case".to_vec()),
        _ => lines = theirs,
    }
    fs::write(f, join(&lines)).unwrap();
    format!("edit {kind} of {} (other {})", f.display(), other.display())
}

#[test]
fn refreshes_after_random_edits_publish_what_cold_runs_do() {
    let tmp = tempfile::tempdir().unwrap();
    let input = export(tmp.path());
    let (warm, cold) = (tmp.path().join("warm"), tmp.path().join("cold"));
    let partial = ["--allow-partial"];
    run_with(small_chunks(), &input, &warm, &partial);
    let mut dice = Dice(0x9E37_79B9_7F4A_7C15);
    let (mut refreshes, mut partly) = (0, 0);
    for round in 0..20 {
        let edits: Vec<String> = (0..1 + dice.below(2)).map(|_| edit(&input, &mut dice)).collect();
        // the nightly run's period moves on some nights
        let day = ["2023-08-22", "2023-08-22", "2023-08-25", "2023-07-31"][dice.below(4)];
        let m = run_with(small_chunks(), &input, &warm, &["--allow-partial", "--as-of", day]);
        refreshes += usize::from(refreshed(&m));
        let courts = m["rows_per_output"]["indicators_court"].as_u64().unwrap();
        // some courts recounted and some chunks reused: the pieces joined
        partly +=
            usize::from(cache_stat(&m, "courts_recounted") < courts && cache_stat(&m, "chunks_reused") > 0 && cache_stat(&m, "chunks_stored") > 0);
        eprintln!("round {round}, as of {day}: {edits:?}: {}", m["cache"]);
        run_with(small_chunks(), &input, &cold, &["--allow-partial", "--no-cache", "--as-of", day]);
        let names = |d: &Path| files(d).iter().map(|p| p.file_name().unwrap().to_owned()).collect::<Vec<_>>();
        for name in names(&cold) {
            if name != "run.json" {
                assert!(
                    fs::read(warm.join(&name)).unwrap() == fs::read(cold.join(&name)).unwrap(),
                    "round {round} as of {day} ({edits:?}): {name:?} differs"
                );
            }
        }
        let manifest = |d: &Path| serde_json::from_slice::<serde_json::Value>(&fs::read(d.join("run.json")).unwrap()).unwrap();
        let (a, b) = (manifest(&warm), manifest(&cold));
        for key in [
            "files",
            "rows_read",
            "rows_quarantined",
            "quarantine_by_reason",
            "warnings",
            "cases_valid",
            "cases_kept",
            "duplicates_dropped",
            "duplicate_keys",
            "duplicate_conflicts",
            "courts_ranked",
            "rows_per_output",
            "complete",
        ] {
            assert_eq!(a[key], b[key], "round {round} ({edits:?}): run.json {key}");
        }
    }
    assert!(refreshes >= 14 && partly >= 10, "most rounds are refreshes reusing part of the tables: {refreshes}, {partly} of 20");
}

#[test]
fn a_refresh_recounts_the_changed_courts_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let input = export(tmp.path());
    let out = tmp.path().join("out");
    let first = run_with(small_chunks(), &input, &out, &[]);
    assert!(!refreshed(&first), "an empty cache: the full path");
    let same = run_with(small_chunks(), &input, &out, &[]);
    assert!(refreshed(&same));
    assert_eq!(cache_stat(&same, "courts_recounted"), 0, "nothing changed, nothing recounted");
    change_one_file(&input);
    let m = run_with(small_chunks(), &input, &out, &[]);
    assert!(refreshed(&m));
    let courts = m["rows_per_output"]["indicators_court"].as_u64().unwrap();
    let recounted = cache_stat(&m, "courts_recounted");
    assert!((1..courts / 2).contains(&recounted), "{recounted} of {courts} courts");
    let cold = tmp.path().join("cold");
    run_with(small_chunks(), &input, &cold, &["--no-cache"]);
    assert_same_outputs(&out, &cold);
}

#[test]
fn a_refresh_rebuilds_a_missing_chunk_and_starts_over_on_a_damaged_one() {
    let tmp = tempfile::tempdir().unwrap();
    let input = export(tmp.path());
    let (out, cold) = (tmp.path().join("out"), tmp.path().join("cold"));
    run(&input, &out, &[]);
    run(&input, &cold, &["--no-cache"]);
    let chunks = || -> Vec<PathBuf> {
        files(&tmp.path().join(".out.courtstat.cache")).into_iter().filter(|p| p.extension().is_some_and(|e| e == "chunk")).collect()
    };
    fs::remove_file(&chunks()[0]).unwrap();
    let m = run(&input, &out, &[]);
    assert!(refreshed(&m), "a missing chunk is built from its courts' rows");
    assert_eq!(cache_stat(&m, "chunks_stored"), 1);
    assert_same_outputs(&out, &cold);

    let damaged = chunks()[1].clone();
    let mut b = fs::read(&damaged).unwrap();
    let mid = b.len() / 2;
    b[mid] ^= 1;
    fs::write(&damaged, b).unwrap();
    let m = run(&input, &out, &[]);
    assert!(!refreshed(&m), "a damaged chunk shows only as it is written: the run starts over in full");
    assert_eq!((cache_stat(&m, "entry_errors"), cache_stat(&m, "chunks_stored")), (1, 1));
    assert_same_outputs(&out, &cold);
}

#[test]
fn a_new_cause_a_rejected_file_or_a_damaged_state_take_the_full_path() {
    let tmp = tempfile::tempdir().unwrap();
    let input = export(tmp.path());
    let (out, cold) = (tmp.path().join("out"), tmp.path().join("cold"));
    let partial = ["--allow-partial"];
    run(&input, &out, &partial);
    let check = |what: &str| {
        let n = files(&input).len() as u64;
        let m = run(&input, &out, &partial);
        assert!(!refreshed(&m), "{what}: the full path");
        // counted once, by the full path, though the refresh began
        assert_eq!(cache_stat(&m, "files_cached") + cache_stat(&m, "files_parsed"), n, "{what}: {}", m["cache"]);
        run(&input, &cold, &["--allow-partial", "--no-cache"]);
        assert_same_outputs(&out, &cold);
        assert!(refreshed(&run(&input, &out, &partial)), "{what}, then nothing changed: a refresh again");
    };

    // a cause no file had: the run's cause list, in every chunk, changes
    let (f, text) = files(&input)
        .into_iter()
        .filter(|f| f.extension().is_some_and(|e| e == "csv"))
        .find_map(|f| {
            String::from_utf8(fs::read(&f).unwrap()).ok().filter(|t| t.lines().nth(1).is_some_and(|l| l.contains("合同纠纷"))).map(|t| (f, t))
        })
        .expect("a UTF-8 export with a contract case on its first line");
    let line = text.lines().nth(1).unwrap().replacen("合同纠纷", "新型合同纠纷", 1);
    fs::write(&f, format!("{}\n{line}\n", text.trim_end_matches(['\r', '\n']))).unwrap();
    check("a new cause");

    // a file rejected (--allow-partial): its courts are incomplete
    let g = files(&input).into_iter().filter(|f| f.extension().is_some_and(|e| e == "csv")).nth(1).unwrap();
    let mut bytes = fs::read(&g).unwrap();
    for _ in 0..lines_of(&bytes).len() {
        bytes.extend_from_slice(b"x,y\n");
    }
    fs::write(&g, bytes).unwrap();
    let m = run(&input, &out, &partial);
    assert!(!refreshed(&m) && !m["complete"].as_bool().unwrap());
    run(&input, &cold, &["--allow-partial", "--no-cache"]);
    assert_same_outputs(&out, &cold);

    // a damaged run state is not read
    let state = files(&tmp.path().join(".out.courtstat.cache")).into_iter().find(|p| p.extension().is_some_and(|e| e == "state"));
    assert!(state.is_none(), "a run with a rejected file leaves no state");
    fs::remove_file(&g).unwrap();
    run(&input, &out, &partial);
    let state = files(&tmp.path().join(".out.courtstat.cache")).into_iter().find(|p| p.extension().is_some_and(|e| e == "state")).unwrap();
    let mut b = fs::read(&state).unwrap();
    b[10] ^= 1;
    fs::write(&state, b).unwrap();
    check("a damaged state");
}

#[test]
fn a_refresh_for_a_new_period_recounts_every_court_from_its_counted_cases() {
    let tmp = tempfile::tempdir().unwrap();
    let input = export(tmp.path());
    let (out, cold) = (tmp.path().join("out"), tmp.path().join("cold"));
    run_with(small_chunks(), &input, &out, &[]);
    for (day, refreshes) in [("2023-08-25", true), ("2023-07-31", true), ("2023-09-30", false)] {
        change_one_file(&input);
        if !refreshes {
            // a court's counted cases gone: it cannot be recounted
            let counted = files(&tmp.path().join(".out.courtstat.cache")).into_iter().find(|p| p.extension().is_some_and(|e| e == "court")).unwrap();
            fs::remove_file(counted).unwrap();
        }
        let m = run_with(small_chunks(), &input, &out, &["--as-of", day]);
        assert_eq!(refreshed(&m), refreshes, "as of {day}");
        run_with(small_chunks(), &input, &cold, &["--as-of", day, "--no-cache"]);
        assert_same_outputs(&out, &cold);
    }
    // the counted entries are the last run's, one per court with cases: a
    // refresh that changes nothing neither adds nor drops any
    let counted = || -> Vec<PathBuf> {
        files(&tmp.path().join(".out.courtstat.cache")).into_iter().filter(|p| p.extension().is_some_and(|e| e == "court")).collect()
    };
    let before = counted();
    assert!(before.len() > 10, "{before:?}");
    assert!(refreshed(&run_with(small_chunks(), &input, &out, &["--as-of", "2023-10-01"])));
    assert_eq!(before, counted());
}
