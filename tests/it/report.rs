//! report.html: written with every run, reproducible by `courtstat report`,
//! and checked in a real browser (headless Chromium) when one is installed.

use super::common::*;
use std::fs;
use std::path::{Path, PathBuf};

fn run(out: &Path, extra: &[&str]) {
    let o = courtstat().arg("run").arg(fixture().join("pipeline.toml")).arg("--out").arg(out).args(extra).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn the_report_states_the_headline_ranks_cities_trends_and_data_quality() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    run(&out, &[]);
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    // province: completed 5/9, contract 4/5, in term 8/9; nothing filed a year earlier
    assert!(
        html.contains("截至2023年8月22日，全省法院首次执行案件执行完毕率55.56%，上年同期无可比数据；涉合同类首次执行案件执行完毕率80.00%，上年同期无可比数据；首次执行案件法定期限内结案率88.89%，上年同期无可比数据。"),
        "headline"
    );
    assert!(html.contains("同比数据按本次相同的输入文件重算上年同期（2022-01-01 至 2022-08-22）得出。"));
    // each bar says its counts, rank, tier and the cases to the next tier
    assert!(html.contains("75.00% 3/4 第2名 良好 再增1件升优秀 少1件降一般"), "bar notes");
    // 需关注: each court's list counts, each city's longest-overdue cases
    assert!(html.contains("<tr><td>承德县人民法院</td><td>1</td><td>2</td><td>1</td><td>0</td><td>0</td><td>3</td></tr>"), "list counts");
    assert!(html.contains("超期最久：（2022）冀0821执9号（承德县人民法院，超期254天）；（2023）冀0821执6号（承德县人民法院，超期33天）"));
    assert!(html.contains("<h2>统计口径</h2>") && html.contains("计入首次执行案件的案件类型代字"), "definitions beneath the figures");
    assert!(html.contains("<li>承德市：涉合同类首次执行案件执行完毕率为75.00%，首次执行案件法定期限内结案率为87.50%。</li>"));
    for chart in ["rank-completion_rate", "rank-contract_completion_rate", "rank-in_term_rate", "trend-承德市", "trend-唐山市"] {
        assert!(html.contains(&format!("data-chart=\"{chart}\"")), "{chart}");
    }
    // 冀0802 is unranked on the contract rate: one closed contract case
    assert!(html.contains("未排名（已结案件少于2件）：承德市双桥区人民法院（1件）"));
    assert!(html.contains("重复案号 2 个（舍弃旧版本 2 条，其中立案日期不一致 1 个）"));
    // quarantine reasons in Chinese, their code beside
    assert!(html.contains("<td>金额无效</td><td>bad_amount</td>") && html.contains("<td>字段数不符</td><td>bad_shape</td>"));
    // self-contained: no script, and no address but the SVG namespace
    assert!(!html.contains("<script"));
    assert!(!html.replace("http://www.w3.org/2000/svg", "").contains("http"), "nothing fetched from a network");
    let manifest = fs::read_to_string(out.join("run.json")).unwrap();
    assert!(manifest.contains("\"name\": \"report.html\""));
}

#[test]
fn courtstat_report_rewrites_the_same_page_from_the_published_tables() {
    let tmp = tempfile::tempdir().unwrap();
    for headers in ["en", "zh"] {
        let out = tmp.path().join(headers);
        run(&out, &["--csv-headers", headers]);
        let written = fs::read(out.join("report.html")).unwrap();
        fs::remove_file(out.join("report.html")).unwrap();
        let o = courtstat().arg("report").arg(&out).output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(fs::read(out.join("report.html")).unwrap() == written, "same bytes from the {headers} tables");
    }
}

fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"].iter().find_map(|b| {
        std::process::Command::new("which")
            .arg(b)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
    })
}

fn headless(browser: &Path, profile: &Path) -> std::process::Command {
    let mut c = std::process::Command::new(browser);
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--enable-logging=stderr",
        "--v=0",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    c
}

#[test]
fn the_report_renders_in_headless_chromium_without_errors() {
    let Some(browser) = chromium() else {
        // CI installs Chromium and sets this: there a missing browser fails
        assert!(
            std::env::var_os("COURTSTAT_REQUIRE_BROWSER").is_none(),
            "no Chromium, and COURTSTAT_REQUIRE_BROWSER is set (apt-get install chromium)"
        );
        eprintln!("SKIPPED: no Chromium on this machine (apt-get install chromium); CI installs it and fails without it");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    run(&out, &[]);
    let page = format!("file://{}", out.join("report.html").display());
    let dom = headless(&browser, &tmp.path().join("p1")).arg("--dump-dom").arg(&page).output().unwrap();
    assert!(dom.status.success(), "{}", String::from_utf8_lossy(&dom.stderr));
    let dom_text = String::from_utf8_lossy(&dom.stdout);
    // every chart is in the rendered DOM and has content
    assert_eq!(dom_text.matches("data-chart=\"rank-").count(), 3);
    assert!(dom_text.matches("class=\"bar\"").count() >= 5, "bars drawn");
    assert!(dom_text.contains("<polyline"), "trend lines drawn");
    let log = String::from_utf8_lossy(&dom.stderr);
    for line in log.lines().filter(|l| l.contains("CONSOLE")) {
        assert!(!line.contains("ERROR") && !line.contains("Uncaught"), "console error: {line}");
    }
    let png = out.join("report.png");
    let shot = headless(&browser, &tmp.path().join("p2"))
        .arg("--window-size=900,2400")
        .arg(format!("--screenshot={}", png.display()))
        .arg(&page)
        .output()
        .unwrap();
    assert!(shot.status.success(), "{}", String::from_utf8_lossy(&shot.stderr));
    let bytes = fs::read(&png).unwrap();
    assert!(bytes.starts_with(b"\x89PNG") && bytes.len() > 20_000, "a non-empty screenshot");
    if let Ok(dir) = std::env::var("COURTSTAT_SCREENSHOT_DIR") {
        let _ = fs::copy(&png, Path::new(&dir).join("report.png"));
    }
}
