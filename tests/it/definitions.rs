//! 口径 as settings (§13), reference intervals and optional ranking (§14),
//! and the same period last year (§15), on the real binary over generated
//! provinces.

use super::common::*;
use courtstat::explain::explain;
use std::fs;
use std::path::{Path, PathBuf};

/// A pipeline file in `tmp` over `input` with `extra` TOML appended.
fn pipeline(tmp: &Path, input: &Path, name: &str, extra: &str) -> PathBuf {
    let p = tmp.join(format!("{name}.toml"));
    fs::write(&p, format!("input = [{:?}]\nout = {:?}\n{extra}", input.display().to_string(), tmp.join(name).display().to_string())).unwrap();
    p
}

fn run(args: &[&str], pipeline: &Path) -> std::process::Output {
    courtstat().arg("run").arg(pipeline).args(["--quiet"]).args(args).output().unwrap()
}

fn run_ok(args: &[&str], pipeline: &Path) -> PathBuf {
    let o = run(args, pipeline);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    pipeline.with_extension("")
}

fn number(r: &Row, column: &str) -> f64 {
    r[column].parse().unwrap_or_else(|_| panic!("{column} = {:?}", r[column]))
}

#[test]
fn a_province_counting_only_sales_contracts_gets_its_own_contract_figures() {
    let tmp = tempfile::tempdir().unwrap();
    let input = export(tmp.path(), 3000, 41);
    let causes = tmp.path().join("causes.csv");
    fs::write(&causes, "cause,category\n买卖合同纠纷,买卖合同\n").unwrap();
    let extra = format!("causes = {:?}\nas_of = 2023-08-22\n[definitions]\ncontract_category = \"买卖合同\"\n", causes.display().to_string());
    let own = run_ok(&["--no-cache"], &pipeline(tmp.path(), &input, "own", &extra));
    let usual = run_ok(&["--no-cache"], &pipeline(tmp.path(), &input, "usual", "as_of = 2023-08-22\n"));
    let (p_own, p_usual) = (&table(&own, "indicators_province")[0], &table(&usual, "indicators_province")[0]);
    assert!(number(p_own, "contract_closed") > 0.0 && number(p_own, "contract_closed") < number(p_usual, "contract_closed"));
    // every case it counts is a sales contract, and its cases say so
    let (listed, _) = explain(&own, "province", "contract_closed", None, None).unwrap();
    assert_eq!(listed.rows() as f64, number(p_own, "contract_closed"));
    let cause = listed.columns.iter().find(|(n, _)| *n == "cause").map(|(_, v)| v).unwrap();
    assert!((0..listed.rows()).all(|i| cause.text_at(i) == Some("买卖合同纠纷")));
    // the definitions travel with the figures
    let defs = table(&own, "definitions");
    assert_eq!(row(&defs, "key", "contract_category")["value"], "买卖合同");
    assert_eq!(manifest(&own)["settings"]["definitions"]["contract_category"], "买卖合同");
    assert!(fs::read_to_string(own.join("report.html")).unwrap().contains("买卖合同"));
}

#[test]
fn resumed_cases_count_as_first_enforcement_when_the_definitions_say_so() {
    let tmp = tempfile::tempdir().unwrap();
    let input = export(tmp.path(), 3000, 42);
    let both = run_ok(
        &["--no-cache"],
        &pipeline(tmp.path(), &input, "both", "as_of = 2023-08-22\n[definitions]\nfirst_enforcement_types = [\"执\", \"执恢\"]\n"),
    );
    let usual = run_ok(&["--no-cache"], &pipeline(tmp.path(), &input, "usual", "as_of = 2023-08-22\n"));
    let (b, u) = (&table(&both, "indicators_province")[0], &table(&usual, "indicators_province")[0]);
    for column in ["filed", "closed", "accepted"] {
        assert!(number(b, column) > number(u, column), "{column}");
    }
    assert!(number(b, "filed") <= number(b, "all_filed") && number(b, "closed") <= number(b, "all_closed"));
    // what is counted is the two types, and some of it is 执恢
    let (listed, _) = explain(&both, "province", "filed", None, None).unwrap();
    let numbers = listed.columns.iter().find(|(n, _)| *n == "case_no").map(|(_, v)| v).unwrap();
    let types: Vec<bool> = (0..listed.rows()).map(|i| numbers.text_at(i).unwrap().contains("执恢")).collect();
    assert!(types.iter().any(|&r| r) && types.iter().any(|&r| !r));
    assert!(table(&both, "watchlist").len() > table(&usual, "watchlist").len());
}

#[test]
fn a_bad_definition_or_interval_exits_2_naming_its_key() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    fs::create_dir(&input).unwrap();
    for (extra, key) in [
        ("[definitions]\nfirst_enforcement_types = []\n", "first_enforcement_types"),
        ("[definitions]\nfirst_enforcement_types = [\"民初\"]\n", "first_enforcement_types"),
        ("[definitions]\nexecuted_methods = [\"执行完了\"]\n", "executed_methods"),
        ("[definitions]\nwarn_days = [0, 5]\n", "warn_days"),
        ("[definitions]\ncontract_category = \"买卖合同\"\n", "contract_category"),
        ("[definitions]\nwarn_dayz = [5]\n", "warn_dayz"),
        ("[intervals.completion_rat]\nmin = 0.3\n", "completion_rat"),
        ("[intervals.completion_rate]\nmin = 0.5\nmax = 0.3\n", "completion_rate"),
    ] {
        let o = run(&["--no-cache"], &pipeline(tmp.path(), &input, "bad", extra));
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{extra}: {err}");
        assert!(err.contains(key), "{extra}: {err}");
    }
}

#[test]
fn ranking_off_leaves_ranks_empty_and_intervals_assess_every_unit() {
    let tmp = tempfile::tempdir().unwrap();
    let input = export(tmp.path(), 3000, 43);
    let extra = "as_of = 2023-08-22\nranking = false\n[intervals.completion_rate]\nmin = 0.3\n[intervals.disposition_days]\nmax = 180\n";
    let out = run_ok(&["--no-cache"], &pipeline(tmp.path(), &input, "hebei2024", extra));
    let courts = table(&out, "indicators_court");
    assert!(courts.iter().all(|r| r["rank_completion"].is_empty() && r["city_rank_in_term"].is_empty()));
    assert!(courts.iter().any(|r| !r["tier_completion"].is_empty()), "tiers stay");
    let a = table(&out, "indicators_assessment");
    let units = courts.len() + table(&out, "indicators_city").len() + 1;
    assert_eq!(a.len(), units * 2);
    for r in &a {
        let meets = match (r["indicator"].as_str(), r["value"].as_str()) {
            (_, "") => "",
            ("completion_rate", v) => {
                if v.parse::<f64>().unwrap() >= 0.3 {
                    "true"
                } else {
                    "false"
                }
            }
            (_, v) => {
                if v.parse::<f64>().unwrap() <= 180.0 {
                    "true"
                } else {
                    "false"
                }
            }
        };
        assert_eq!(r["meets"], meets, "{r:?}");
    }
    assert!(a.iter().any(|r| r["meets"] == "true") && a.iter().any(|r| r["meets"] == "false") && a.iter().any(|r| r["meets"].is_empty()));
    let page = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(page.contains("达标"), "the headline assesses instead of ranking");
}

/// The comparison's `previous` for every unit and column equals the same
/// figure of a separate run a year earlier on the same inputs.
fn assert_previous_is_the_run_a_year_earlier(out: &Path, earlier: &Path) {
    let mut published = std::collections::HashMap::new();
    for (kind, name, key) in
        [("court", "indicators_court", "court_code"), ("city", "indicators_city", "city"), ("province", "indicators_province", "")]
    {
        for r in table(earlier, name) {
            let unit = if key.is_empty() { "province".to_string() } else { r[key].clone() };
            for (column, cell) in &r {
                published.insert((kind.to_string(), unit.clone(), column.clone()), cell.clone());
            }
        }
    }
    let rows = table(out, "indicators_comparison");
    assert!(rows.len() > 100);
    for r in &rows {
        let cell = &published[&(r["unit_kind"].clone(), r["unit"].clone(), r["indicator"].clone())];
        let parse = |s: &str| (!s.is_empty()).then(|| s.parse::<f64>().unwrap());
        assert_eq!(parse(&r["previous"]), parse(cell), "{r:?}");
        if let (Some(v), Some(p)) = (parse(&r["value"]), parse(&r["previous"])) {
            // the change is exact (in fen for amounts); the test's difference of floats is not
            assert!((parse(&r["change"]).unwrap() - (v - p)).abs() <= 1e-9 * v.abs().max(p.abs()).max(1.0), "{r:?}");
        }
    }
}

#[test]
fn the_same_period_last_year_equals_a_run_a_year_earlier_also_from_29_february() {
    for (seed, from, as_of, from_before, as_of_before) in [
        (44, "2024-01-01", "2024-02-29", "2023-01-01", "2023-02-28"),
        (45, "2024-02-29", "2024-09-30", "2023-02-28", "2023-09-30"),
        (46, "2023-01-01", "2023-08-22", "2022-01-01", "2022-08-22"),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let input = tmp.path().join("input");
        let o = courtstat()
            .args([
                "gen",
                "--rows",
                "3000",
                "--years",
                "3",
                "--export-date",
                as_of,
                "--seed",
                &seed.to_string(),
                "--cities",
                "承德市,唐山市",
                "--out",
            ])
            .arg(&input)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let now = run_ok(&["--no-cache", "--from", from, "--as-of", as_of], &pipeline(tmp.path(), &input, "now", ""));
        let then = run_ok(&["--no-cache", "--from", from_before, "--as-of", as_of_before], &pipeline(tmp.path(), &input, "then", ""));
        assert_previous_is_the_run_a_year_earlier(&now, &then);
        let m = manifest(&now);
        assert_eq!(m["comparison"]["period_from"], from_before, "{}", m["comparison"]);
    }
}

#[test]
fn a_baseline_folder_gives_previous_and_compare_false_writes_no_comparison() {
    let tmp = tempfile::tempdir().unwrap();
    let input = export(tmp.path(), 3000, 47);
    let earlier = run_ok(&["--no-cache", "--as-of", "2023-05-31", "--csv-headers", "zh"], &pipeline(tmp.path(), &input, "earlier", ""));
    let p = pipeline(tmp.path(), &input, "now", "as_of = 2023-08-22\n");
    let o = courtstat().arg("run").arg(&p).args(["--quiet", "--no-cache", "--baseline"]).arg(&earlier).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // the baseline wrote Chinese headers: read as the same columns
    let english = run_ok(&["--no-cache", "--as-of", "2023-05-31"], &pipeline(tmp.path(), &input, "english", ""));
    assert_previous_is_the_run_a_year_earlier(&tmp.path().join("now"), &english);
    let off = run_ok(&["--no-cache"], &pipeline(tmp.path(), &input, "off", "as_of = 2023-08-22\ncompare = false\n"));
    assert!(!off.join("indicators_comparison.csv").exists() && !off.join("indicators_comparison.parquet").exists());
    let o = courtstat().arg("run").arg(&p).args(["--quiet", "--no-cache", "--baseline"]).arg(tmp.path().join("nowhere")).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("nowhere"));
}

#[test]
fn a_changed_definition_never_reuses_the_cache_made_under_another() {
    let tmp = tempfile::tempdir().unwrap();
    let input = export(tmp.path(), 3000, 48);
    let causes = tmp.path().join("causes.csv");
    fs::write(&causes, "cause,category\n买卖合同纠纷,买卖合同\n").unwrap();
    let base = format!("causes = {:?}\nas_of = 2023-08-22\n", causes.display().to_string());
    let p = pipeline(tmp.path(), &input, "cached", &base);
    let first = fs::read_to_string(&p).unwrap();
    run_ok(&[], &p);
    // the same pipeline file, now counting only sales contracts
    fs::write(&p, format!("{first}[definitions]\ncontract_category = \"买卖合同\"\n")).unwrap();
    let cached = run_ok(&[], &p);
    assert_eq!(manifest(&cached)["cache"]["fallback"], "reference_changed", "{}", manifest(&cached)["cache"]);
    let fresh_p = pipeline(tmp.path(), &input, "fresh", &format!("{base}[definitions]\ncontract_category = \"买卖合同\"\n"));
    let fresh = run_ok(&["--no-cache"], &fresh_p);
    assert_same_outputs(&cached, &fresh, "a run after the definition changed");
    // a definition that only counts (no parse depends on it) still refuses the old state
    fs::write(&p, format!("{first}[definitions]\ncontract_category = \"买卖合同\"\nwarn_days = [7]\n")).unwrap();
    let again = run_ok(&[], &p);
    assert_eq!(manifest(&again)["cache"]["fallback"], "settings_changed", "{}", manifest(&again)["cache"]);
}
