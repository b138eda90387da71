//! The incremental refresh on the real binary: a warm run publishes the
//! very bytes a cold run does; it parses only the changed files and those
//! of the courts they hold cases of; every reason it has to take the cold
//! road instead is named in run.json; and neither a damaged entry nor a
//! changed setting can leak a stale case, chunk or figure.

use super::common::*;
use assert_cmd::Command;
use std::fs;
use std::path::{Path, PathBuf};

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
    manifest(out)
}

fn stat(m: &serde_json::Value, key: &str) -> u64 {
    m["cache"][key].as_u64().unwrap_or_else(|| panic!("run.json cache.{key}: {}", m["cache"]))
}

fn refreshed(m: &serde_json::Value) -> bool {
    m["cache"]["refreshed"].as_bool().unwrap_or_else(|| panic!("run.json cache.refreshed: {}", m["cache"]))
}

fn fallback(m: &serde_json::Value) -> String {
    m["cache"]["fallback"].as_str().unwrap_or("none").to_string()
}

/// The cold run's outputs for the same inputs and day.
fn assert_like_cold(input: &Path, warm: &Path, extra: &[&str], what: &str) {
    let cold = warm.with_file_name(format!("{}-cold", warm.file_name().unwrap().to_string_lossy()));
    let mut args = vec!["--no-cache"];
    args.extend_from_slice(extra);
    let m = run(input, &cold, &args);
    assert!(m["cache"].is_null(), "--no-cache: no cache statistics");
    assert_same_outputs(warm, &cold, what);
}

fn cache_of(out: &Path) -> PathBuf {
    out.with_file_name(format!(".{}.courtstat.cache", out.file_name().unwrap().to_string_lossy()))
}

/// The cache's entries whose names start with `kind.` (court, quarantine, chunk).
fn entries(out: &Path, kind: &str) -> Vec<PathBuf> {
    files(&cache_of(out)).into_iter().filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(&format!("{kind}."))).collect()
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
fn a_warm_run_after_one_file_changed_parses_only_its_courts_files_and_matches_a_cold_run() {
    let tmp = tempfile::tempdir().unwrap();
    let input = export(tmp.path(), 3000, 11);
    let n = files(&input).len() as u64;
    let warm = tmp.path().join("warm");

    let first = run(&input, &warm, &[]);
    assert!(!refreshed(&first));
    assert_eq!(fallback(&first), "first_run");
    assert_eq!((stat(&first, "files_parsed"), stat(&first, "files_cached")), (n, 0));
    change_one_file(&input);
    let second = run(&input, &warm, &[]);
    assert!(refreshed(&second), "{}", second["cache"]);
    assert_eq!(stat(&second, "courts_recounted"), 1, "the changed file holds one court's cases");
    // that court's exports (the earlier one and the refresh), no other file
    let parsed = stat(&second, "files_parsed");
    assert!((1..=2).contains(&parsed), "{parsed} files parsed");
    assert_eq!(stat(&second, "files_cached"), n - parsed);
    assert_eq!(stat(&second, "files_not_read"), n - parsed, "untouched files are not even read");
    assert_eq!(first["rows_read"].as_u64().unwrap() + 1, second["rows_read"].as_u64().unwrap(), "the appended line was read");
    assert_like_cold(&input, &warm, &[], "one file changed");
    assert!(!tmp.path().join(".warm-cold.courtstat.cache").exists(), "--no-cache writes no cache");

    // the cache holds this run's entries only: one per court with cases, one
    // per file with quarantined rows, the chunks of the large tables' CSV
    // and Parquet files, and the state
    let courts = first["rows_per_output"]["indicators_court"].as_u64().unwrap() as usize;
    assert!((1..=courts).contains(&entries(&warm, "court").len()), "one entry per court with cases");
    let quarantined = first["files"].as_array().unwrap().iter().filter(|f| f["quarantined"].as_u64().unwrap() > 0).count();
    assert_eq!(entries(&warm, "quarantine").len(), quarantined);
    let chunks = stat(&second, "chunks_reused") + stat(&second, "chunks_stored");
    assert_eq!(entries(&warm, "chunk").len() as u64, chunks);
    assert!(chunks >= 7, "cases.parquet; duplicates, quarantine and watchlist as CSV and Parquet: {chunks}");
    let all = files(&cache_of(&warm)).len();
    assert_eq!(all, entries(&warm, "court").len() + entries(&warm, "quarantine").len() + chunks as usize + 1, "and run.state");
}

#[test]
fn a_touched_file_is_read_again_and_its_unchanged_content_is_not_parsed() {
    let tmp = tempfile::tempdir().unwrap();
    let input = export(tmp.path(), 3000, 11);
    let out = tmp.path().join("out");
    run(&input, &out, &[]);
    let f = files(&input)[0].clone();
    fs::File::options().write(true).open(&f).unwrap().set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(60)).unwrap();
    let m = run(&input, &out, &[]);
    let n = files(&input).len() as u64;
    assert!(refreshed(&m));
    assert_eq!((stat(&m, "files_cached"), stat(&m, "files_not_read"), stat(&m, "files_parsed")), (n, n - 1, 0));
    assert_eq!(stat(&m, "courts_recounted"), 0, "nothing changed, nothing deduplicated");
    // nothing changed: every chunk of the large tables is taken as it was
    assert_eq!(
        (stat(&m, "chunks_reused"), stat(&m, "chunks_stored")),
        (7, 0),
        "cases.parquet; duplicates, quarantine and watchlist as CSV and Parquet"
    );
    assert_like_cold(&input, &out, &[], "a touched file");
}

#[test]
fn a_court_whose_cases_changed_re_encodes_its_own_chunks_of_the_watch_list_only() {
    let tmp = tempfile::tempdir().unwrap();
    let input = export(tmp.path(), 3000, 11);
    let out = tmp.path().join("out");
    run_with(small_chunks(), &input, &out, &[]);
    let list_chunks = || -> std::collections::BTreeSet<String> {
        entries(&out, "chunk")
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("chunk.watchlist.csv."))
            .collect()
    };
    let before = list_chunks();
    // one court's export loses its second half: its cases leave the lists
    let f = files(&input).into_iter().find(|f| f.extension().is_some_and(|e| e == "csv")).unwrap();
    let lines = lines_of(&fs::read(&f).unwrap());
    fs::write(&f, join(&lines[..lines.len() / 2])).unwrap();
    let m = run_with(small_chunks(), &input, &out, &[]);
    assert!(refreshed(&m), "{}", m["cache"]);
    let after = list_chunks();
    let kept = after.intersection(&before).count();
    assert!(kept < after.len(), "the court's chunks are encoded afresh");
    assert!(kept * 4 > after.len() * 3, "the other courts' chunks are taken as they were: {kept} of {}", after.len());
    let cold = tmp.path().join("cold");
    run_with(small_chunks(), &input, &cold, &["--no-cache"]);
    assert_same_outputs(&out, &cold, "one court's cases changed");
}

#[test]
fn a_damaged_or_missing_entry_sends_the_run_the_cold_road_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let input = export(tmp.path(), 3000, 11);
    let out = tmp.path().join("out");
    run(&input, &out, &[]);
    let flip = |p: &Path| {
        let mut b = fs::read(p).unwrap();
        let mid = b.len() / 2;
        b[mid] ^= 1;
        fs::write(p, b).unwrap();
    };
    flip(&entries(&out, "court")[0]);
    let m = run(&input, &out, &[]);
    assert_eq!((refreshed(&m), fallback(&m).as_str()), (false, "entry_damaged"));
    assert!(m["cache"]["fallback_detail"].as_str().unwrap().starts_with("court 冀"), "{}", m["cache"]);
    assert_like_cold(&input, &out, &[], "a damaged court entry");
    assert!(refreshed(&run(&input, &out, &[])), "the cold run wrote the entry again");

    fs::remove_file(&entries(&out, "quarantine")[0]).unwrap();
    let m = run(&input, &out, &[]);
    assert_eq!((refreshed(&m), fallback(&m).as_str()), (false, "entry_missing"));
    assert_like_cold(&input, &out, &[], "a missing quarantine entry");

    // a damaged chunk is encoded again, on the warm road
    let chunk = entries(&out, "chunk")[0].clone();
    flip(&chunk);
    let m = run(&input, &out, &[]);
    assert!(refreshed(&m));
    assert_eq!((stat(&m, "chunks_stored"), stat(&m, "entry_errors")), (1, 1));
    assert_like_cold(&input, &out, &[], "a damaged chunk");
    fs::remove_file(&entries(&out, "chunk")[1]).unwrap();
    let m = run(&input, &out, &[]);
    assert_eq!((refreshed(&m), stat(&m, "chunks_stored")), (true, 1), "a missing chunk is encoded again");
}

/// A pipeline file for `run`, in `tmp`, with these lines.
fn pipeline(tmp: &Path, lines: &str) -> PathBuf {
    let p = tmp.join("p.toml");
    fs::write(&p, lines).unwrap();
    p
}

fn run_pipeline(p: &Path, input: &Path, out: &Path, extra: &[&str]) -> serde_json::Value {
    let o =
        courtstat().arg("run").arg(p).arg("--input").arg(input).arg("--out").arg(out).args(["--as-of", "2023-08-22"]).args(extra).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    manifest(out)
}

#[test]
fn every_reason_to_take_the_cold_road_is_named_and_the_next_run_refreshes_again() {
    let tmp = tempfile::tempdir().unwrap();
    let input = export(tmp.path(), 2000, 5);
    let out = tmp.path().join("out");
    let check = |m: &serde_json::Value, want: &str, extra: &[&str]| {
        assert_eq!((refreshed(m), fallback(m)), (false, want.to_string()), "{}", m["cache"]);
        assert_eq!(stat(m, "files_parsed"), files(&input).len() as u64, "{want}: every file parsed");
        assert_like_cold(&input, &out, extra, want);
    };
    check(&run(&input, &out, &[]), "first_run", &[]);
    assert!(refreshed(&run(&input, &out, &[])));

    // a setting that shapes the parsed rows: every deadline moves
    let p = pipeline(tmp.path(), "first_enforcement_months = 3\n");
    let m = run_pipeline(&p, &input, &out, &[]);
    assert_eq!(m["cache"]["fallback_detail"], "first_enforcement_months");
    let cold = tmp.path().join("out-cold");
    let c = run_pipeline(&p, &input, &cold, &["--no-cache"]);
    assert_eq!((refreshed(&m), fallback(&m).as_str(), c["cache"].is_null()), (false, "settings_changed", true));
    assert_same_outputs(&out, &cold, "another term");
    assert!(refreshed(&run_pipeline(&p, &input, &out, &[])));
    // one that does not: the tiers shape ranks and tiers, not rows
    let p = pipeline(tmp.path(), "first_enforcement_months = 3\n[tiers.completion_rate]\nexcellent = 0.5\ngood = 0.4\n");
    assert!(refreshed(&run_pipeline(&p, &input, &out, &[])), "new tiers, the same rows");

    // the party-hash key: the quarantined lines and the hash columns change
    let keyed = |key: &str| {
        let mut c = courtstat();
        c.env("COURTSTAT_HASH_KEY", key);
        run_with(c, &input, &out, &[])
    };
    let m = keyed("one");
    assert_eq!((fallback(&m).as_str(), m["cache"]["fallback_detail"].as_str()), ("settings_changed", Some("first_enforcement_months, party_key")));
    assert!(refreshed(&keyed("one")));
    let m = keyed("two");
    assert_eq!(m["cache"]["fallback_detail"], "party_key");

    // another courts table
    let courts = tmp.path().join("courts.csv");
    fs::write(&courts, format!("{}冀0899,新设法院,承德市,基层\n", courtstat_courts())).unwrap();
    let courts_arg = courts.to_str().unwrap();
    check(&run(&input, &out, &["--courts", courts_arg]), "reference_changed", &["--courts", courts_arg]);

    // a damaged state
    let state = cache_of(&out).join("run.state");
    let mut b = fs::read(&state).unwrap();
    b[20] ^= 1;
    fs::write(&state, b).unwrap();
    check(&run(&input, &out, &[]), "state_damaged", &[]);

    // another build of courtstat (the same program with a byte appended)
    let other = tmp.path().join("courtstat-other");
    let mut exe = fs::read(bin()).unwrap();
    exe.push(0);
    fs::write(&other, exe).unwrap();
    fs::set_permissions(&other, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let m = run_with(Command::new(&other), &input, &out, &[]);
    assert_eq!(fallback(&m), "binary_changed");

    // two input folders of the same name give two files of the same name
    let (a, b) = (tmp.path().join("a/input"), tmp.path().join("b/input"));
    copy_dir(&input, &a);
    copy_dir(&input, &b);
    let both = || {
        let o = courtstat().args(["run", "--as-of", "2023-08-22", "--input"]).arg(&a).arg("--input").arg(&b).arg("--out").arg(&out).output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        manifest(&out)
    };
    both();
    assert_eq!(fallback(&both()), "ambiguous_names");

    // a cache folder that cannot be made: the run goes on without it
    let blocked = tmp.path().join("blocked");
    fs::write(&blocked, b"a file").unwrap();
    let o = courtstat()
        .args(["run", "--as-of", "2023-08-22", "--input"])
        .arg(&input)
        .arg("--out")
        .arg(&out)
        .arg("--cache-dir")
        .arg(blocked.join("cache"))
        .output()
        .unwrap();
    assert!(o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.matches("cannot be used").count(), 1, "said once: {err}");
    let m = manifest(&out);
    assert_eq!(fallback(&m), "cache_unavailable");
    assert_like_cold(&input, &out, &[], "no cache folder");
}

/// The built-in courts table, as `--courts` takes it.
fn courtstat_courts() -> String {
    fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("data/reference/courts_hebei.csv")).unwrap()
}

#[test]
fn verbose_says_why_a_run_took_the_cold_road() {
    let tmp = tempfile::tempdir().unwrap();
    let input = export(tmp.path(), 500, 2);
    let out = tmp.path().join("out");
    let o = courtstat().args(["run", "--verbose", "--as-of", "2023-08-22", "--input"]).arg(&input).arg("--out").arg(&out).output().unwrap();
    assert!(o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("full run (first_run): no state from an earlier run"), "{err}");
    let o = courtstat().args(["run", "--verbose", "--as-of", "2023-08-23", "--input"]).arg(&input).arg("--out").arg(&out).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("refreshed from the last run"), "{err}");
}

#[test]
fn a_new_cause_a_rejected_file_and_a_new_period_still_refresh_and_match_a_cold_run() {
    let tmp = tempfile::tempdir().unwrap();
    let input = export(tmp.path(), 3000, 11);
    let out = tmp.path().join("out");
    let partial = ["--allow-partial"];
    run(&input, &out, &partial);
    let check = |what: &str, extra: &[&str]| {
        let m = run(&input, &out, extra);
        assert!(refreshed(&m), "{what}: {}", m["cache"]);
        assert_like_cold(&input, &out, extra, what);
    };

    // a cause no file had: the run's cause list changes, in every chunk
    let (f, text) = files(&input)
        .into_iter()
        .filter(|f| f.extension().is_some_and(|e| e == "csv"))
        .find_map(|f| {
            String::from_utf8(fs::read(&f).unwrap()).ok().filter(|t| t.lines().nth(1).is_some_and(|l| l.contains("合同纠纷"))).map(|t| (f, t))
        })
        .expect("a UTF-8 export with a contract case on its first line");
    let line = text.lines().nth(1).unwrap().replacen("合同纠纷", "新型合同纠纷", 1);
    fs::write(&f, format!("{}\n{line}\n", text.trim_end_matches(['\r', '\n']))).unwrap();
    check("a new cause", &partial);

    // a file rejected (--allow-partial): its courts are incomplete
    let g = files(&input).into_iter().filter(|f| f.extension().is_some_and(|e| e == "csv")).nth(1).unwrap();
    let mut bytes = fs::read(&g).unwrap();
    for _ in 0..bytes.split(|&b| b == b'\n').count() {
        bytes.extend_from_slice(b"x,y\n");
    }
    fs::write(&g, bytes).unwrap();
    check("a rejected file", &partial);
    assert!(!manifest(&out)["complete"].as_bool().unwrap());
    check("a rejected file, unchanged", &partial);

    // without --allow-partial it fails and publishes nothing; the state stays
    let o = courtstat().args(["run", "--as-of", "2023-08-22", "--input"]).arg(&input).arg("--out").arg(&out).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    fs::remove_file(&g).unwrap();
    check("the rejected file removed", &partial);

    // new periods, forward and back
    for day in ["2023-08-25", "2023-07-31", "2024-01-31"] {
        change_one_file(&input);
        check(&format!("as of {day}"), &["--as-of", day]);
    }
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
    let input = export(tmp.path(), 3000, 11);
    let warm = tmp.path().join("warm");
    let cold = tmp.path().join("cold");
    run_with(small_chunks(), &input, &warm, &["--allow-partial"]);
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
        partly += usize::from(stat(&m, "courts_recounted") < courts && stat(&m, "chunks_reused") > 0 && stat(&m, "chunks_stored") > 0);
        eprintln!("round {round}, as of {day}: {edits:?}: {}", m["cache"]);
        run_with(small_chunks(), &input, &cold, &["--allow-partial", "--no-cache", "--as-of", day]);
        assert_same_outputs(&warm, &cold, &format!("round {round} as of {day} ({edits:?})"));
    }
    assert_eq!(refreshes, 20, "every round refreshes");
    assert!(partly >= 15, "most rounds reuse part of the tables: {partly} of 20");
}
