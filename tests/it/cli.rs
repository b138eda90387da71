//! End-to-end tests: the real binary in a temporary folder, on the
//! hand-worked fixture of tests/fixtures/small (derived in its README).

use super::common::*;
use std::fs;
use std::path::{Path, PathBuf};

/// Runs the fixture's pipeline into `out` with extra arguments.
fn run_fixture(out: &Path, extra: &[&str]) -> std::process::Output {
    courtstat().arg("run").arg(fixture().join("pipeline.toml")).arg("--out").arg(out).args(extra).output().unwrap()
}

fn ok_run() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let o = run_fixture(&out, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    (tmp, out)
}

/// Compares a table with its golden file; `UPDATE_GOLDEN=1` rewrites them.
fn golden(out: &Path, name: &str) {
    let got = fs::read(out.join(name)).unwrap();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/small").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, &got).unwrap();
    }
    let want = fs::read(&path).unwrap_or_else(|_| panic!("missing golden file {}; run with UPDATE_GOLDEN=1", path.display()));
    assert!(got == want, "{name} differs from {}:\n{}", path.display(), String::from_utf8_lossy(&got));
}

#[test]
fn golden_indicators_court() {
    let (_t, out) = ok_run();
    golden(&out, "indicators_court.csv");
}

#[test]
fn golden_indicators_city() {
    let (_t, out) = ok_run();
    golden(&out, "indicators_city.csv");
}

#[test]
fn golden_indicators_province() {
    let (_t, out) = ok_run();
    golden(&out, "indicators_province.csv");
}

#[test]
fn golden_indicators_monthly() {
    let (_t, out) = ok_run();
    golden(&out, "indicators_monthly.csv");
}

#[test]
fn golden_quarantine() {
    let (_t, out) = ok_run();
    golden(&out, "quarantine.csv");
}

#[test]
fn golden_duplicates() {
    let (_t, out) = ok_run();
    golden(&out, "duplicates.csv");
}

#[test]
fn golden_watchlist() {
    let (_t, out) = ok_run();
    golden(&out, "watchlist.csv");
}

#[test]
fn golden_cases_parquet() {
    // cases.parquet comes from our own writer (output::parquet_file) and the
    // indicator files from polars, pinned exactly: a change to either's bytes
    // shows here and is reviewed before the golden moves
    let (_t, out) = ok_run();
    golden(&out, "cases.parquet");
    golden(&out, "indicators_court.parquet");
}

#[test]
fn basic_court_figures_match_the_hand_worked_example() {
    let (_t, out) = ok_run();
    let courts = table(&out, "indicators_court");
    let c = row(&courts, "court_code", "冀0821");
    let get = |k: &str| c[k].as_str();
    assert_eq!((get("filed"), get("accepted"), get("closed"), get("pending")), ("5", "7", "4", "3"));
    assert_eq!((get("completed"), get("completion_rate")), ("2", "0.5"));
    assert_eq!((get("contract_closed"), get("contract_completed"), get("contract_completion_rate")), ("3", "2", "0.6666666666666666"));
    assert_eq!((get("enterprise_closed"), get("enterprise_completed")), ("1", "1"));
    assert_eq!((get("in_term"), get("in_term_rate"), get("overdue_pending")), ("4", "1.0", "2"));
    assert_eq!((get("terminated"), get("termination_rate")), ("1", "0.25"));
    assert_eq!((get("claim_amount"), get("recovered_amount")), ("18000.50", "8000.50"));
    assert_eq!(get("recovery_rate").parse::<f64>().unwrap(), 800050.0 / 1800050.0);
    assert_eq!((get("avg_days"), get("median_days")), ("115.5", "118.5"));
    assert_eq!((get("clearance_rate"), get("disposition_days")), ("0.8", "175.5"));
    assert_eq!((get("all_filed"), get("all_closed"), get("all_pending")), ("6", "5", "3"));
    assert_eq!(
        (get("city"), get("level"), get("period_from"), get("as_of"), get("complete")),
        ("承德市", "基层", "2023-01-01", "2023-08-22", "true")
    );
}

#[test]
fn ranks_tie_share_and_skip_small_denominators() {
    let (_t, out) = ok_run();
    let courts = table(&out, "indicators_court");
    let a = row(&courts, "court_code", "冀0821");
    let b = row(&courts, "court_code", "冀0802");
    // completion 2/4 and 2/4 tie at rank 1
    assert_eq!((a["rank_completion"].as_str(), b["rank_completion"].as_str()), ("1", "1"));
    assert_eq!((a["tier_completion"].as_str(), b["tier_completion"].as_str()), ("优秀", "优秀"));
    // 冀0802 closed only one contract case (< min_closed 2): no rank, no tier
    assert_eq!((a["rank_contract_completion"].as_str(), b["rank_contract_completion"].as_str()), ("1", ""));
    assert_eq!(b["tier_contract_completion"], "");
    assert_eq!((a["rank_in_term"].as_str(), b["rank_in_term"].as_str()), ("1", "2"));
    assert_eq!((a["tier_in_term"].as_str(), b["tier_in_term"].as_str()), ("优秀", "良好"));
    assert_eq!((a["city_rank_in_term"].as_str(), b["city_rank_in_term"].as_str()), ("1", "2"));
    // an intermediate court has a row (it has cases) but no ranks or tiers
    let mid = row(&courts, "court_code", "冀02");
    assert_eq!((mid["rank_completion"].as_str(), mid["tier_completion"].as_str(), mid["closed"].as_str()), ("", "", "1"));
    assert_eq!(courts.len(), 168, "167 basic courts and 冀02");
}

#[test]
fn city_and_province_add_up() {
    let (_t, out) = ok_run();
    let cities = table(&out, "indicators_city");
    assert_eq!(cities.len(), 11);
    let cd = row(&cities, "city", "承德市");
    assert_eq!(
        (cd["filed"].as_str(), cd["closed"].as_str(), cd["completion_rate"].as_str(), cd["in_term_rate"].as_str()),
        ("10", "8", "0.5", "0.875")
    );
    assert_eq!((cd["rank_completion"].as_str(), cd["tier_in_term"].as_str()), ("1", "良好"));
    let ts = row(&cities, "city", "唐山市");
    assert_eq!((ts["closed"].as_str(), ts["rank_completion"].as_str()), ("1", ""), "1 closed < min_closed");
    let p = &table(&out, "indicators_province")[0];
    assert_eq!((p["filed"].as_str(), p["accepted"].as_str(), p["closed"].as_str(), p["pending"].as_str()), ("12", "14", "9", "5"));
    assert_eq!((p["avg_days"].as_str(), p["median_days"].as_str(), p["disposition_days"].as_str()), ("92.0", "59.0", "130.0"));
    assert_eq!((p["claim_amount"].as_str(), p["recovered_amount"].as_str()), ("122000.50", "109500.50"));
    assert_eq!((p["all_filed"].as_str(), p["all_closed"].as_str(), p["all_pending"].as_str()), ("14", "11", "5"));
}

#[test]
fn every_quarantine_reason_with_its_file_and_line() {
    let (_t, out) = ok_run();
    let q = table(&out, "quarantine");
    let got: Vec<(String, String, String)> = q.iter().map(|r| (r["file"].clone(), r["line"].clone(), r["reason"].clone())).collect();
    let f = |s: &str| s.to_string();
    let ts = "唐山市/河北省唐山市中级人民法院_执行案件_20230825.csv";
    let cd = "承德市/承德县人民法院_执行案件_20230825.csv";
    let sq = "承德市/承德市双桥区人民法院_执行案件_20230825.tsv";
    let want = vec![
        (f(ts), f("6"), f("bad_updated_at")),
        (f(cd), f("6"), f("bad_filing_date")),
        (f(cd), f("8"), f("not_enforcement")),
        (f(cd), f("9"), f("closed_before_filed")),
        (f(cd), f("13"), f("inconsistent_closure")),
        (f(cd), f("14"), f("bad_amount")),
        (f(cd), f("15"), f("bad_days")),
        (f(cd), f("16"), f("bad_closing_date")),
        (f(sq), f("7"), f("bad_shape")),
        (f(sq), f("8"), f("bad_case_no")),
        (f(sq), f("9"), f("unknown_court")),
    ];
    assert_eq!(got, want);
    // raw text, decoded from GB18030, with party names redacted (no key set)
    let raw = &q[1]["raw"];
    assert!(raw.starts_with("（2023）冀0821执4号,2023-02-30,"), "{raw}");
    assert!(!raw.contains("吴五") && raw.contains("[redacted]"), "{raw}");
}

#[test]
fn duplicates_keep_the_newest_then_the_closed_version() {
    let (_t, out) = ok_run();
    let d = table(&out, "duplicates");
    let cd = "承德市/承德县人民法院_执行案件_20230825.csv";
    let one = row(&d, "case_no", "（2023）冀0821执1号");
    assert_eq!((one["versions"].as_str(), one["kept_file"].as_str(), one["kept_line"].as_str(), one["conflict"].as_str()), ("2", cd, "2", "false"));
    let eight = row(&d, "case_no", "（2023）冀0821执8号");
    assert_eq!((eight["kept_line"].as_str(), eight["conflict"].as_str()), ("12", "true"));
}

#[test]
fn manifest_accounts_for_every_file_and_row() {
    let (_t, out) = ok_run();
    let m: serde_json::Value = serde_json::from_slice(&fs::read(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(m["ignored_files"], serde_json::json!(["说明.txt"]));
    let files = m["files"].as_array().unwrap();
    assert_eq!(files.len(), 4);
    let enc: Vec<&str> = files.iter().map(|f| f["encoding"].as_str().unwrap()).collect();
    assert_eq!(enc, vec!["UTF-8", "GB18030", "GB18030", "UTF-8 with BOM"]);
    assert_eq!(files[3]["delimiter"], "tab");
    assert_eq!(files[1]["header"]["case_no"], "案号");
    assert_eq!(files[1]["unknown_columns"], serde_json::json!(["承办人", "备注"]));
    let rows = m["rows_read"].as_u64().unwrap();
    let q = m["rows_quarantined"].as_u64().unwrap();
    let valid = m["cases_valid"].as_u64().unwrap();
    assert_eq!((rows, q, valid), (29, 11, 18));
    assert_eq!(m["duplicates_dropped"].as_u64().unwrap() + m["cases_kept"].as_u64().unwrap(), valid);
    assert_eq!(m["quarantine_by_reason"]["bad_shape"], 1);
    assert!(m["outputs"].as_array().unwrap().iter().any(|o| o["name"] == "cases.parquet" && o["sha256"].as_str().unwrap().len() == 64));
}

#[test]
fn two_runs_write_byte_identical_tables() {
    let (_t, out) = ok_run();
    let (_t2, out2) = ok_run();
    for name in ["indicators_court", "indicators_city", "indicators_province", "indicators_monthly", "quarantine", "duplicates"] {
        for ext in ["csv", "parquet"] {
            let f = format!("{name}.{ext}");
            assert!(fs::read(out.join(&f)).unwrap() == fs::read(out2.join(&f)).unwrap(), "{f} differs");
        }
    }
    assert!(fs::read(out.join("cases.parquet")).unwrap() == fs::read(out2.join("cases.parquet")).unwrap());
}

#[test]
fn parquet_files_start_and_end_with_the_magic_bytes() {
    let (_t, out) = ok_run();
    for name in ["indicators_court", "indicators_city", "indicators_province", "indicators_monthly", "cases"] {
        let b = fs::read(out.join(format!("{name}.parquet"))).unwrap();
        assert!(b.starts_with(b"PAR1") && b.ends_with(b"PAR1"), "{name}.parquet");
    }
}

#[test]
fn party_hashes_with_a_key_and_never_names_in_clear() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let o = courtstat().arg("run").arg(fixture().join("pipeline.toml")).arg("--out").arg(&out).env("COURTSTAT_HASH_KEY", "secret").output().unwrap();
    assert!(o.status.success());
    let q = fs::read_to_string(out.join("quarantine.csv")).unwrap();
    // party names replaced by hashes (other columns of no use to a reason are `[redacted]`, §5.1)
    assert!(!q.contains("吴五") && !q.contains("张三"), "names replaced by hashes");
    assert!(q.lines().skip(1).any(|l| l.split(',').any(|f| f.len() == 32 && f.bytes().all(|b| b.is_ascii_hexdigit()))), "{q}");
    let cases = fs::read(out.join("cases.parquet")).unwrap();
    let text = String::from_utf8_lossy(&cases);
    assert!(text.contains("applicant_hash") && !text.contains("张三"));
}

/// The fixture's pipeline file on another input folder.
fn run_on(input: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    courtstat().arg("run").arg(fixture().join("pipeline.toml")).arg("--input").arg(input).arg("--out").arg(out).args(extra).output().unwrap()
}

#[test]
fn a_file_missing_a_column_fails_the_run_and_leaves_previous_outputs() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("input");
    copy_dir(&fixture().join("input"), &input);
    let out = tmp.path().join("out");
    let ok = run_on(&input, &out, &[]);
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    let before = fs::read(out.join("indicators_court.csv")).unwrap();
    fs::write(input.join("承德市/兴隆县人民法院_执行案件_20230825.csv"), "案号,立案日期,结案日期,案由\n（2023）冀0822执1号,2023-01-01,,借款\n")
        .unwrap();
    let o = run_on(&input, &out, &[]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("兴隆县人民法院_执行案件_20230825.csv") && err.contains("closure_method") && err.contains("结案方式, 执结方式"), "{err}");
    assert_eq!(fs::read(out.join("indicators_court.csv")).unwrap(), before);
}

#[test]
fn too_many_bad_rows_reject_the_file_and_allow_partial_marks_incomplete() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("input");
    copy_dir(&fixture().join("input"), &input);
    // 2 of 3 records bad: more than the fixture's max_bad_row_ratio of 0.5
    let bad = "案号,立案日期,结案日期,结案方式,案由\n（2023）冀0822执1号,2023-01-01,,,借款\n（2023）冀0822执2号,2023-02-30,,,借款\n（2023）冀0822执3号,bad,,,借款\n";
    fs::write(input.join("承德市/兴隆县人民法院_执行案件_20230825.csv"), bad).unwrap();
    let out = tmp.path().join("out");
    let args = |extra: &[&str]| run_on(&input, &out, extra);
    let o = args(&[]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("兴隆县人民法院_执行案件_20230825.csv: 2 of 3 data records quarantined"), "{err}");
    assert!(!err.contains("承德县"), "only the bad file is named: {err}");
    assert!(!out.exists(), "nothing published");
    let o = args(&["--allow-partial"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let courts = table(&out, "indicators_court");
    assert_eq!(row(&courts, "court_code", "冀0822")["complete"], "false");
    assert_eq!(row(&courts, "court_code", "冀0822")["filed"], "0", "the rejected file's rows enter no figure");
    assert_eq!(row(&courts, "court_code", "冀0821")["complete"], "true");
    assert_eq!(row(&table(&out, "indicators_city"), "city", "承德市")["complete"], "false");
    assert_eq!(row(&table(&out, "indicators_city"), "city", "唐山市")["complete"], "true");
    assert_eq!(table(&out, "indicators_province")[0]["complete"], "false");
    assert!(!table(&out, "quarantine").iter().any(|r| r["file"].contains("兴隆县")), "nor quarantine.csv");
    let m: serde_json::Value = serde_json::from_slice(&fs::read(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(m["rejected_files"], serde_json::json!(["承德市/兴隆县人民法院_执行案件_20230825.csv"]));
}

#[test]
fn pipeline_file_mistakes_exit_2_naming_the_key() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("p.toml");
    fs::write(&p, "input = [\"in\"]\nout = \"o\"\nmax_bad_ratio = 0.2\n").unwrap();
    let o = courtstat().arg("run").arg(&p).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("max_bad_ratio"));
}

#[test]
fn missing_input_folder_and_from_after_as_of_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let o = courtstat().args(["run", "--input"]).arg(tmp.path().join("nope")).arg("--out").arg(tmp.path().join("o")).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("nope"));
    let input = tmp.path().join("in");
    fs::create_dir(&input).unwrap();
    let o = courtstat()
        .args(["run", "--from", "2023-09-01", "--as-of", "2023-08-22", "--input"])
        .arg(&input)
        .arg("--out")
        .arg(tmp.path().join("o"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("is after as_of"));
}

#[test]
fn no_input_file_at_all_exits_1() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    fs::create_dir(&input).unwrap();
    fs::write(input.join("readme.txt"), "x").unwrap();
    let o = courtstat().args(["run", "--as-of", "2023-08-22", "--input"]).arg(&input).arg("--out").arg(tmp.path().join("o")).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no input file"));
}

#[test]
fn a_missing_reference_file_is_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    let o = run_fixture(&tmp.path().join("o"), &["--courts", "/nonexistent/courts.csv"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("/nonexistent/courts.csv"));
}

#[test]
fn an_output_folder_inside_an_input_folder_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("input");
    copy_dir(&fixture().join("input"), &input);
    let o = courtstat().args(["run", "--as-of", "2023-08-22", "--input"]).arg(&input).arg("--out").arg(input.join("out")).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("would read its own outputs"));
}

#[test]
fn as_of_turns_later_closures_back_into_pending() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let o = run_fixture(&out, &["--as-of", "2023-06-29"]);
    assert!(o.status.success());
    let c = table(&out, "indicators_court");
    let a = row(&c, "court_code", "冀0821");
    // 执1 (closed 07-01) and 执7 (closed 06-30) are pending on 06-29
    assert_eq!((a["closed"].as_str(), a["pending"].as_str(), a["as_of"].as_str()), ("2", "5", "2023-06-29"));
}

#[test]
fn gen_is_deterministic_and_its_output_runs_clean() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    for d in [&a, &b] {
        let o = courtstat().args(["gen", "--rows", "3000", "--seed", "5", "--messy", "--cities", "承德市,唐山市", "--out"]).arg(d).output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let list = |d: &Path| {
        let mut v: Vec<(String, Vec<u8>)> = Vec::new();
        for city in fs::read_dir(d).unwrap() {
            for f in fs::read_dir(city.unwrap().path()).unwrap() {
                let p = f.unwrap().path();
                v.push((p.strip_prefix(d).unwrap().display().to_string(), fs::read(&p).unwrap()));
            }
        }
        v.sort();
        v
    };
    assert!(list(&a) == list(&b), "same seed, same bytes");
    let out = tmp.path().join("out");
    let o = courtstat().args(["run", "--as-of", "2023-08-22", "--input"]).arg(&a).arg("--out").arg(&out).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let q = table(&out, "quarantine");
    assert!(!q.is_empty(), "--messy spoils some rows");
    assert!(table(&out, "duplicates").len() > 100, "the refresh re-exports cases");
}

#[test]
fn gen_with_a_city_the_courts_table_lacks_exits_2_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let o = courtstat().args(["gen", "--rows", "100", "--cities", "承德市,承得市", "--out"]).arg(tmp.path().join("g")).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("承得市") && err.contains("承德市"), "{err}");
    assert!(!tmp.path().join("g").exists(), "nothing written");
}

#[test]
fn a_second_run_on_the_same_output_fails_at_once_naming_the_lock_and_holder() {
    use std::io::Write;
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let lock_path = tmp.path().join(".out.courtstat.lock");
    let mut held = fs::OpenOptions::new().create(true).truncate(false).write(true).open(&lock_path).unwrap();
    held.lock().unwrap();
    write!(held, "424242").unwrap();
    let o = run_fixture(&out, &[]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains(".out.courtstat.lock") && err.contains("424242"), "{err}");
    assert!(!out.exists());
    // --wait blocks until the holder lets go, then runs
    let out2 = out.clone();
    let waiter = std::thread::spawn(move || {
        courtstat()
            .arg("run")
            .arg(fixture().join("pipeline.toml"))
            .arg("--out")
            .arg(&out2)
            .arg("--wait")
            .timeout(std::time::Duration::from_secs(60))
            .output()
    });
    std::thread::sleep(std::time::Duration::from_millis(300));
    held.unlock().unwrap();
    let o = waiter.join().unwrap().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.join("indicators_court.csv").exists());
}

#[test]
fn validate_reports_each_file_and_publishes_nothing() {
    let o = courtstat().arg("validate").arg(fixture().join("pipeline.toml")).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let s = String::from_utf8_lossy(&o.stdout);
    assert!(
        s.contains(
            "承德市/承德市双桥区人民法院_执行案件_20230825.tsv\n  encoding UTF-8 with BOM, delimiter tab; 8 data records: 5 valid, 3 quarantined"
        ),
        "{s}"
    );
    assert!(s.contains("filing_date ← 收案日期") && s.contains("unrecognised columns (ignored): 承办人, 备注"), "{s}");
    assert!(s.contains("  court codes: 冀0802, 冀0899"), "{s}");
    assert!(s.contains("  bad_filing_date: 1 (first: line 6: （2023）冀0821执4号,2023-02-30,"), "{s}");
    assert!(s.contains("4 files checked, 0 would be rejected"), "{s}");
    assert!(!fixture().join("out").exists(), "validate publishes nothing");
}

#[test]
fn validate_exits_1_when_a_file_would_be_rejected() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("x.csv"), "案号,立案日期\n（2023）冀0821执1号,2023-01-01\n").unwrap();
    let o = courtstat().args(["validate", "--input"]).arg(tmp.path()).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    let s = String::from_utf8_lossy(&o.stdout);
    assert!(
        s.contains("WOULD BE REJECTED: no header: line 1, the closest among the first 10 lines, lacks the required columns closing_date")
            && s.contains("court codes: 冀0821"),
        "{s}"
    );
}

#[test]
fn json_prints_one_summary_object_on_stdout() {
    let tmp = tempfile::tempdir().unwrap();
    let o = run_fixture(&tmp.path().join("out"), &["--json", "--quiet"]);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!((v["ok"].as_bool(), v["exit_code"].as_i64()), (Some(true), Some(0)));
    assert_eq!((v["summary"]["files"].as_u64(), v["summary"]["rows"].as_u64(), v["summary"]["cases"].as_u64()), (Some(4), Some(29), Some(16)));
    assert_eq!(v["summary"]["quarantined"]["bad_shape"], 1);
    let o = courtstat().args(["run", "--json", "--input", "/nonexistent", "--out"]).arg(tmp.path().join("o")).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!((v["ok"].as_bool(), v["exit_code"].as_i64()), (Some(false), Some(2)));
}

#[test]
fn chinese_csv_headers_and_english_parquet() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let o = run_fixture(&out, &["--csv-headers", "zh"]);
    assert!(o.status.success());
    let court = fs::read_to_string(out.join("indicators_court.csv")).unwrap();
    assert!(court.starts_with("\u{feff}法院代码,法院名称,城市,法院层级,统计起始日,统计截止日,数据完整,新收案件数"), "{}", &court[..200]);
    assert!(court.contains("首次执行案件执行完毕率") && court.contains("法定期限内结案率等次"));
    let q = fs::read_to_string(out.join("quarantine.csv")).unwrap();
    assert!(q.starts_with("\u{feff}文件,行号,隔离原因,原始记录\r\n"));
    let pq = fs::read(out.join("indicators_court.parquet")).unwrap();
    assert!(String::from_utf8_lossy(&pq).contains("completion_rate"), "Parquet keeps the English names");
    // the same numbers as with English headers, flags as 是/否
    let (_t, en) = ok_run();
    let body = |s: &str| s.split_once("\r\n").unwrap().1.to_string();
    let flags_in_chinese = |s: String| {
        let line = |l: &str| {
            l.split(',')
                .map(|f| {
                    if f == "true" {
                        "是"
                    } else if f == "false" {
                        "否"
                    } else {
                        f
                    }
                })
                .collect::<Vec<_>>()
                .join(",")
        };
        s.split("\r\n").map(line).collect::<Vec<_>>().join("\r\n")
    };
    assert!(body(&court).contains(",是,") && !body(&court).contains("true"));
    assert_eq!(body(&court), flags_in_chinese(body(&fs::read_to_string(en.join("indicators_court.csv")).unwrap())));
}

#[test]
fn a_chinese_locale_or_lang_zh_says_the_summary_warnings_and_errors_in_chinese() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let o = courtstat().arg("run").arg(fixture().join("pipeline.toml")).arg("--out").arg(&out).env("LANG", "zh_CN.UTF-8").output().unwrap();
    assert!(o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("courtstat：警告：") && err.contains("个基层法院未报送数据"), "{err}");
    assert!(err.contains("个文件，") && err.contains("个基层法院中") && err.contains("courtstat：结果已发布到"), "{err}");
    assert!(!err.contains("basic courts reported"), "{err}");
    // --lang wins over the locale, both ways; LC_ALL wins over LANG
    let o = courtstat().args(["run", "--lang", "en", "--input", "/nonexistent", "--out"]).arg(&out).env("LANG", "zh_CN.UTF-8").output().unwrap();
    assert_eq!(String::from_utf8_lossy(&o.stderr).trim(), "courtstat: error: input folder /nonexistent does not exist or is not a folder");
    let o = courtstat().args(["run", "--input", "/nonexistent", "--out"]).arg(&out).arg("--lang").arg("zh").output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&o.stderr).trim(), "courtstat：错误：输入文件夹 /nonexistent 不存在或不是文件夹");
    let o = courtstat().args(["run", "--input", "/nonexistent", "--out"]).arg(&out).env("LANG", "zh_CN.UTF-8").env("LC_ALL", "C").output().unwrap();
    assert!(String::from_utf8_lossy(&o.stderr).starts_with("courtstat: error:"));
    // a rejected file, in Chinese, with its reason
    let bad = tmp.path().join("bad");
    fs::create_dir(&bad).unwrap();
    fs::write(bad.join("承德县.csv"), "名称,日期\n甲,2023-01-01\n").unwrap();
    let o = courtstat()
        .args(["run", "--lang", "zh", "--as-of", "2023-08-22", "--input"])
        .arg(&bad)
        .arg("--out")
        .arg(tmp.path().join("o2"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("1 个输入文件被拒收") && err.contains("承德县.csv：未找到表头：前 10 行中最接近的第 1 行缺少必需列 case_no（可用的表头名称："),
        "{err}"
    );
}

#[test]
fn validate_reports_in_chinese_with_lang_zh() {
    let o = courtstat().args(["validate", "--lang", "zh"]).arg(fixture().join("pipeline.toml")).output().unwrap();
    let report = String::from_utf8_lossy(&o.stdout);
    assert!(report.contains("  编码 GB18030，分隔符 逗号；数据记录 3 条：有效 3 条，隔离 0 条"), "{report}");
    assert!(report.contains("  将被接收") && report.contains("共检查 "), "{report}");
    assert!(report.contains("金额无效：1 条（首条：第 14 行："), "{report}");
    assert!(!report.contains("would be"), "{report}");
}
