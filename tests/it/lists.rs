//! The watch lists (§11) and `courtstat explain` (§12) against the figures
//! they stand beside: the cases explain lists are exactly as many as each
//! published count says, and their amounts sum to each published amount to
//! the fen, for every unit and every indicator of generated provinces.

use super::common::*;
use courtstat::explain::{explain, Part};
use courtstat::indicators::columns::{Cases, COLUMNS, MONTHLY};
use std::collections::HashMap;
use std::fs;
use std::path::Path;

fn run_province(tmp: &Path, seed: u64, as_of: &str, extra: &[&str]) -> std::path::PathBuf {
    let input = export(tmp, 4000, seed);
    let out = tmp.join("out");
    let o = courtstat().args(["run", "--no-cache", "--as-of", as_of, "--input"]).arg(&input).arg("--out").arg(&out).args(extra).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    out
}

/// `explain`'s rows (and sum) for a unit, an indicator and a part.
fn listed(out: &Path, unit: &str, indicator: &str, part: Option<Part>, month: Option<&str>) -> (usize, Option<i128>) {
    let (t, sum) = explain(out, unit, indicator, part, month).unwrap_or_else(|e| panic!("{unit} {indicator}: {e}"));
    (t.rows(), sum)
}

fn fen(yuan: &str) -> i128 {
    let (whole, cents) = yuan.split_once('.').unwrap();
    whole.parse::<i128>().unwrap() * 100 + cents.parse::<i128>().unwrap()
}

/// The count column that counts a set.
fn count_column(k: courtstat::indicators::Count) -> &'static str {
    COLUMNS
        .iter()
        .find(|c| c.cases == Cases::Set(k) && c.kind() == courtstat::indicators::columns::Kind::Count)
        .map(|c| c.name)
        .unwrap_or_else(|| panic!("no count column for {k:?}"))
}

#[test]
fn explain_lists_as_many_cases_as_every_figure_counts_and_their_amounts_sum_to_it() {
    // every court of one province; the cities and the province of another
    for (seed, as_of, courts) in [(31, "2023-08-22", usize::MAX), (32, "2023-03-31", 0)] {
        let tmp = tempfile::tempdir().unwrap();
        let out = run_province(tmp.path(), seed, as_of, &[]);
        let units: Vec<(String, Row)> = table(&out, "indicators_court")
            .into_iter()
            .filter(|r| r["all_filed"] != "0" || r["all_pending"] != "0")
            .take(courts)
            .map(|r| (r["court_code"].clone(), r))
            .chain(table(&out, "indicators_city").into_iter().map(|r| (r["city"].clone(), r)))
            .chain(table(&out, "indicators_province").into_iter().map(|r| ("province".to_string(), r)))
            .collect();
        let mut checked = 0;
        for (unit, row) in &units {
            let value = |name: &str| row[name].clone();
            for c in COLUMNS {
                let (set, _) = c.cases.part(false);
                match c.cases {
                    Cases::Set(_) => {
                        let (n, _) = listed(&out, unit, c.name, None, None);
                        assert_eq!(n.to_string(), value(count_column(set)), "{as_of} {unit} {}", c.name);
                    }
                    Cases::Sum(..) => {
                        let (n, sum) = listed(&out, unit, c.name, None, None);
                        assert_eq!(sum, Some(fen(&value(c.name))), "{as_of} {unit} {}: the amounts sum to the figure", c.name);
                        assert_eq!(n.to_string(), value(count_column(set)), "{as_of} {unit} {}", c.name);
                    }
                    Cases::Ratio { .. } => {
                        let (num, _) = listed(&out, unit, c.name, Some(Part::Numerator), None);
                        let (den, _) = listed(&out, unit, c.name, Some(Part::Denominator), None);
                        let want = if den == 0 { String::new() } else { value(c.name) };
                        let got = if den == 0 { String::new() } else { (num as f64 / den as f64).to_string() };
                        assert_eq!(got.trim_end_matches(".0"), want.trim_end_matches(".0"), "{as_of} {unit} {}: {num}/{den}", c.name);
                    }
                    Cases::SumRatio(_) => {
                        let (_, recovered) = listed(&out, unit, c.name, Some(Part::Numerator), None);
                        let (_, claim) = listed(&out, unit, c.name, Some(Part::Denominator), None);
                        let (r, a) = (recovered.unwrap(), claim.unwrap());
                        let got = if a == 0 { String::new() } else { (r as f64 / a as f64).to_string() };
                        assert_eq!(got.trim_end_matches(".0"), value(c.name).trim_end_matches(".0"), "{as_of} {unit} {}", c.name);
                    }
                }
                checked += 1;
            }
        }
        assert!(checked >= 12 * COLUMNS.len(), "{checked} figures checked");
        // and the monthly figures, court by court
        let monthly = table(&out, "indicators_monthly");
        for r in monthly.iter().filter(|r| r["filed"] != "0" || r["closed"] != "0").take(60) {
            for (name, cases) in MONTHLY {
                if let Cases::Set(_) = cases {
                    let (n, _) = listed(&out, &r["court_code"], name, None, Some(&r["month"]));
                    assert_eq!(n.to_string(), r[*name], "{} {} {name}", r["court_code"], r["month"]);
                }
            }
        }
    }
}

#[test]
fn explain_refuses_unknown_units_indicators_and_parts_and_folders_without_a_run() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run_province(tmp.path(), 33, "2023-08-22", &[]);
    let o = |args: &[&str]| courtstat().arg("explain").arg(&out).args(args).output().unwrap();
    for (args, word) in [
        (vec!["冀9999", "filed"], "冀9999"),
        (vec!["冀0802", "filled"], "filled"),
        (vec!["冀0802", "filed", "--part", "denominator"], "not a ratio"),
        (vec!["冀0802", "closed", "--month", "2024-01"], "2024-01"),
        (vec!["冀0802", "avg_days", "--month", "2023-03"], "avg_days"),
        (vec!["冀0802", "filed", "--part", "half"], "half"),
    ] {
        let r = o(&args);
        assert_eq!(r.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&r.stderr);
        assert!(err.contains(word), "{args:?}: {err}");
    }
    let listing = o(&["冀0802", "filled"]);
    assert!(String::from_utf8_lossy(&listing.stderr).contains("completion_rate"), "the accepted indicators are listed");
    let empty = tmp.path().join("empty");
    fs::create_dir(&empty).unwrap();
    let r = courtstat().arg("explain").arg(&empty).args(["province", "filed"]).output().unwrap();
    assert_eq!(r.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&r.stderr).contains("no published courtstat run"));
    // a run of an older courtstat: a case table without the columns explain needs
    fs::remove_file(out.join("cases.parquet")).unwrap();
    fs::copy(out.join("duplicates.parquet"), out.join("cases.parquet")).unwrap();
    let r = o(&["province", "filed"]);
    assert_eq!(r.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&r.stderr).contains("older courtstat"), "{}", String::from_utf8_lossy(&r.stderr));
}

#[test]
fn explain_prints_csv_with_a_bom_and_safe_cells_and_no_party_names() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let o = courtstat().arg("run").arg(fixture().join("pipeline.toml")).arg("--out").arg(&out).env("COURTSTAT_HASH_KEY", "k").output().unwrap();
    assert!(o.status.success());
    let r = courtstat().arg("explain").arg(&out).args(["冀0821", "completion_rate"]).output().unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert!(r.stdout.starts_with(b"\xEF\xBB\xBF"));
    let text = String::from_utf8_lossy(&r.stdout);
    assert!(text.contains("\r\n"));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "2 completed of 4 closed: {text}");
    assert!(lines[1].starts_with("（2023）冀0821执2号,") && lines[2].starts_with("（2023）冀0821执8号,"), "by case number");
    assert!(!text.contains("张三") && !text.contains("hash"), "no party names, in clear or hashed");
}

#[test]
fn the_watch_lists_hold_the_cases_the_list_figures_count() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run_province(tmp.path(), 34, "2023-08-22", &[]);
    let lists = table(&out, "watchlist");
    assert!(lists.len() > 100, "{} entries", lists.len());
    let mut per: HashMap<(String, String), u64> = HashMap::new();
    for r in &lists {
        *per.entry((r["list"].clone(), r["court_code"].clone())).or_default() += 1;
    }
    for c in table(&out, "indicators_court") {
        for (list, column) in [("approaching", "approaching"), ("overdue", "overdue_pending"), ("long_pending", "long_pending")] {
            let n = per.get(&(list.to_string(), c["court_code"].clone())).copied().unwrap_or(0);
            assert_eq!(n.to_string(), c[column], "{} {list}", c["court_code"]);
        }
    }
    // sorted by list (in §11's order), court code, then case number
    let order = ["approaching", "overdue", "long_pending", "early_termination", "termination_review", "contract_unexecuted"];
    let key = |r: &Row| (order.iter().position(|l| *l == r["list"]).unwrap(), r["court_code"].clone(), r["case_no"].clone());
    assert!(lists.windows(2).all(|w| key(&w[0]) < key(&w[1])), "rows in the table's order");
    for l in order {
        assert!(lists.iter().any(|r| r["list"] == l), "the generated province has cases on {l}");
    }
    // in Chinese with --csv-headers zh; Parquet keeps the codes
    let zh = tmp.path().join("zh");
    let o = courtstat()
        .args(["run", "--no-cache", "--as-of", "2023-08-22", "--csv-headers", "zh", "--input"])
        .arg(tmp.path().join("input"))
        .arg("--out")
        .arg(&zh)
        .output()
        .unwrap();
    assert!(o.status.success());
    let text = fs::read_to_string(zh.join("watchlist.csv")).unwrap();
    let head = text.lines().next().unwrap();
    assert!(head.contains("清单") && head.contains("执行期限届满日期") && head.contains("预警级别"), "{head}");
    for label in ["临期预警", "超期未结", "长期未结", "终本过快", "终本案件定期查询", "合同类未实际执结"] {
        assert!(text.contains(&format!("\n{label},")), "{label}");
    }
    assert!(!text.contains("\napproaching,"));
    assert_eq!(fs::read(zh.join("watchlist.parquet")).unwrap(), fs::read(out.join("watchlist.parquet")).unwrap(), "the same Parquet file");
}

#[test]
fn the_bench_switch_empties_the_lists_and_leaves_every_figure_as_it_was() {
    // make bench times the lists' cost with COURTSTAT_BENCH_NO_LISTS=1: it
    // must take away the lists and nothing else
    let tmp = tempfile::tempdir().unwrap();
    let input = export(tmp.path(), 3000, 41);
    let run = |out: &Path, no_lists: &str| {
        let o = courtstat()
            .args(["run", "--no-cache", "--as-of", "2023-08-22", "--input"])
            .arg(&input)
            .arg("--out")
            .arg(out)
            .env("COURTSTAT_BENCH_NO_LISTS", no_lists)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    let (with, without) = (tmp.path().join("with"), tmp.path().join("without"));
    run(&with, "0");
    run(&without, "1");
    assert!(!table(&with, "watchlist").is_empty(), "the province has cases to list");
    assert!(table(&without, "watchlist").is_empty());
    for t in ["indicators_court", "indicators_city", "indicators_province", "indicators_monthly", "quarantine", "duplicates"] {
        assert_eq!(fs::read(with.join(format!("{t}.csv"))).unwrap(), fs::read(without.join(format!("{t}.csv"))).unwrap(), "{t}.csv");
    }
}
