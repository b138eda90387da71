//! `report.html`: one self-contained page (inline SVG and CSS, no script,
//! no network) in Chinese that shows a court statistician how the province,
//! each city and each basic court stand. Written with every run and by
//! `courtstat report OUT_DIR` from published tables; both read the same
//! string tables, so they produce the same bytes.

pub mod svg;

use crate::output::labels::LABELS;
use crate::output::table::Table;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use svg::{escape, percent, Bar, Series};

pub const USAGE_EXAMPLES: &str = "Examples:
  courtstat report out/hebei          (writes out/hebei/report.html)";

/// A table as text cells, the form both the CSV files and the in-memory
/// tables can be turned into.
#[derive(Debug, Clone, Default)]
pub struct StrTable {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl StrTable {
    pub fn from_table(t: &Table) -> StrTable {
        let columns = t.columns.iter().map(|c| c.0.to_string()).collect();
        let rows = (0..t.rows()).map(|r| t.columns.iter().map(|c| crate::output::csv::cell(&c.1, r)).collect()).collect();
        StrTable { columns, rows }
    }

    /// Reads a published CSV table; Chinese headers are mapped back.
    pub fn from_csv(path: &Path) -> Result<StrTable, String> {
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
        let mut r = csv::ReaderBuilder::new().from_reader(body);
        let english = |h: &str| LABELS.iter().find(|l| l.1 == h).map_or(h, |l| l.0).to_string();
        let columns = r.headers().map_err(|e| format!("{}: {e}", path.display()))?.iter().map(english).collect();
        let mut rows = Vec::new();
        for rec in r.records() {
            let rec = rec.map_err(|e| format!("{}: {e}", path.display()))?;
            rows.push(rec.iter().map(|c| crate::output::csv::unneutralize(c).to_string()).collect());
        }
        Ok(StrTable { columns, rows })
    }

    fn col(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    pub fn get<'a>(&'a self, row: &'a [String], name: &str) -> &'a str {
        self.col(name).and_then(|i| row.get(i)).map_or("", String::as_str)
    }

    fn num(&self, row: &[String], name: &str) -> Option<f64> {
        self.get(row, name).parse().ok()
    }
}

/// Everything the page shows.
pub struct ReportInput {
    pub court: StrTable,
    pub city: StrTable,
    pub province: StrTable,
    pub monthly: StrTable,
    /// the run's manifest (settings, files, quarantine, duplicates)
    pub manifest: serde_json::Value,
}

impl ReportInput {
    pub fn from_dir(dir: &Path) -> Result<ReportInput, String> {
        let t = |n: &str| StrTable::from_csv(&dir.join(format!("{n}.csv")));
        let manifest = std::fs::read(dir.join("run.json")).map_err(|e| format!("{}: {e}", dir.join("run.json").display()))?;
        Ok(ReportInput {
            court: t("indicators_court")?,
            city: t("indicators_city")?,
            province: t("indicators_province")?,
            monthly: t("indicators_monthly")?,
            manifest: serde_json::from_slice(&manifest).map_err(|e| format!("run.json: {e}"))?,
        })
    }
}

const RANKED: [(&str, &str, &str, &str); 3] = [
    ("completion_rate", "首次执行案件执行完毕率", "tier_completion", "rank_completion"),
    ("contract_completion_rate", "涉合同类首次执行案件执行完毕率", "tier_contract_completion", "rank_contract_completion"),
    ("in_term_rate", "首次执行案件法定期限内结案率", "tier_in_term", "rank_in_term"),
];

fn tier_color(tier: &str) -> &'static str {
    match tier {
        "优秀" => "#2e7d32",
        "良好" => "#1565c0",
        _ => "#ef6c00",
    }
}

fn chinese_date(iso: &str) -> String {
    let mut p = iso.split('-');
    match (p.next(), p.next().and_then(|m| m.parse::<u32>().ok()), p.next().and_then(|d| d.parse::<u32>().ok())) {
        (Some(y), Some(m), Some(d)) => format!("{y}年{m}月{d}日"),
        _ => iso.to_string(),
    }
}

fn rate_text(v: Option<f64>) -> String {
    v.map_or_else(|| "—（无已结案件）".to_string(), percent)
}

const CSS: &str = "
@page { size: A4; margin: 14mm; }
body { font-family: 'Noto Sans CJK SC', 'Source Han Sans SC', 'Microsoft YaHei', 'PingFang SC', 'WenQuanYi Zen Hei', sans-serif; color: #222; max-width: 760px; margin: 24px auto; line-height: 1.55; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; border-bottom: 2px solid #444; padding-bottom: 2px; margin-top: 28px; }
h3 { font-size: 14px; margin: 16px 0 4px; }
.meta { color: #666; font-size: 12px; } .headline { font-size: 15px; background: #f5f5f5; padding: 10px 14px; border-left: 4px solid #1565c0; }
.warn { background: #fff3e0; border-left: 4px solid #ef6c00; padding: 8px 12px; }
table { border-collapse: collapse; font-size: 12px; width: 100%; } th, td { border: 1px solid #ccc; padding: 3px 6px; text-align: right; }
th:first-child, td:first-child { text-align: left; } th { background: #eee; }
.legend span { display: inline-block; width: 10px; height: 10px; margin: 0 4px 0 12px; }
.small { font-size: 12px; color: #555; } .multiples { display: flex; flex-wrap: wrap; gap: 6px; }
svg { max-width: 100%; height: auto; } section { break-inside: auto; } figure { margin: 8px 0; break-inside: avoid; }
";

/// The whole page.
pub fn render(input: &ReportInput) -> String {
    let settings = &input.manifest["settings"];
    let as_of = settings["as_of"].as_str().unwrap_or("");
    let from = settings["from"].as_str().unwrap_or("");
    let min_closed = settings["min_closed"].as_u64().unwrap_or(10);
    let mut h = String::new();
    let _ = writeln!(h, "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>执行案件指标报告（截至{}）</title><style>{CSS}</style></head><body>", chinese_date(as_of));
    let _ = writeln!(
        h,
        "<h1>全省法院执行案件主要指标</h1><p class=\"meta\">统计期间 {from} 至 {as_of}；courtstat {}</p>",
        escape(input.manifest["version"].as_str().unwrap_or(""))
    );

    // headline, as a press release would put it
    let p = &input.province;
    if let Some(row) = p.rows.first() {
        let _ = writeln!(
            h,
            "<p class=\"headline\" id=\"headline\">截至{}，全省法院涉合同类首次执行案件执行完毕率为{}，首次执行案件法定期限内结案率为{}。</p>",
            chinese_date(as_of),
            rate_text(p.num(row, "contract_completion_rate")),
            rate_text(p.num(row, "in_term_rate"))
        );
    }
    let incomplete = input.manifest["rejected_files"].as_array().map_or(0, Vec::len);
    if incomplete > 0 {
        let _ = writeln!(h, "<p class=\"warn\">有 {incomplete} 个文件被拒收，标注“不完整”的法院、城市和全省数字未包含其数据（见“数据质量”）。</p>");
    }
    h.push_str("<ul class=\"cities\">");
    for row in &input.city.rows {
        if input.city.num(row, "accepted").unwrap_or(0.0) == 0.0 {
            continue;
        }
        let _ = write!(
            h,
            "<li>{}：涉合同类首次执行案件执行完毕率为{}，首次执行案件法定期限内结案率为{}。</li>",
            escape(input.city.get(row, "city")),
            rate_text(input.city.num(row, "contract_completion_rate")),
            rate_text(input.city.num(row, "in_term_rate"))
        );
    }
    h.push_str("</ul>\n");

    // ranked bar charts of basic courts
    h.push_str("<h2>基层法院排名</h2><p class=\"legend small\">等次：<span style=\"background:#2e7d32\"></span>优秀<span style=\"background:#1565c0\"></span>良好<span style=\"background:#ef6c00\"></span>一般；红色虚线为全省数值。</p>\n");
    let c = &input.court;
    for (col, title, tier_col, rank_col) in RANKED {
        let mut ranked: Vec<(u32, &str, &[String])> = c
            .rows
            .iter()
            .filter(|r| c.get(r, "level") == "基层")
            .filter_map(|r| c.get(r, rank_col).parse::<u32>().ok().map(|k| (k, c.get(r, "court_code"), r.as_slice())))
            .collect();
        ranked.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        let bars: Vec<Bar> = ranked
            .iter()
            .map(|(k, _, r)| Bar {
                label: c.get(r, "court_name"),
                value: c.num(r, col).unwrap_or(0.0),
                color: tier_color(c.get(r, tier_col)),
                note: format!("第{k}名 {}", c.get(r, tier_col)),
            })
            .collect();
        let reference = p.rows.first().and_then(|r| p.num(r, col)).map(|v| (v, "全省"));
        let _ = write!(h, "<section><h3>{title}</h3>");
        if bars.is_empty() {
            h.push_str("<p class=\"small\">没有达到排名条件的基层法院。</p>");
        } else {
            let _ = write!(h, "<figure>{}</figure>", svg::bar_chart(&format!("rank-{col}"), title, &bars, reference));
        }
        // unranked courts with cases are named; those without any are counted
        let den = if col == "contract_completion_rate" { "contract_closed" } else { "closed" };
        let unranked: Vec<&[String]> =
            c.rows.iter().filter(|r| c.get(r, "level") == "基层" && c.get(r, rank_col).is_empty()).map(Vec::as_slice).collect();
        let (named, empty): (Vec<&[String]>, Vec<&[String]>) = unranked.iter().partition(|r| c.num(r, den).unwrap_or(0.0) > 0.0);
        if !named.is_empty() {
            let names: Vec<String> = named.iter().map(|r| format!("{}（{}件）", escape(c.get(r, "court_name")), c.get(r, den))).collect();
            let _ = write!(h, "<p class=\"small unranked\">未排名（已结案件少于{min_closed}件）：{}</p>", names.join("、"));
        }
        if !empty.is_empty() {
            let _ = write!(h, "<p class=\"small\">另有{}个基层法院本期没有可计算的已结案件。</p>", empty.len());
        }
        h.push_str("</section>\n");
    }

    // the city table
    h.push_str("<h2>各市法院</h2><table id=\"cities\"><tr><th>城市</th><th>受理</th><th>已结</th><th>执行完毕率</th><th>排名</th><th>等次</th><th>涉合同类执行完毕率</th><th>排名</th><th>等次</th><th>法定期限内结案率</th><th>排名</th><th>等次</th><th>完整</th></tr>");
    for row in &input.city.rows {
        let t = &input.city;
        let r = |v: &str| if v.is_empty() { "—".to_string() } else { v.to_string() };
        let _ = write!(h, "<tr><td>{}</td><td>{}</td><td>{}</td>", escape(t.get(row, "city")), t.get(row, "accepted"), t.get(row, "closed"));
        for (col, _, tier_col, rank_col) in RANKED {
            let _ = write!(
                h,
                "<td>{}</td><td>{}</td><td>{}</td>",
                t.num(row, col).map_or("—".into(), percent),
                r(t.get(row, rank_col)),
                r(t.get(row, tier_col))
            );
        }
        let _ = write!(h, "<td>{}</td></tr>", if t.get(row, "complete") == "false" { "不完整" } else { "是" });
    }
    h.push_str("</table>\n");

    // monthly trends per city
    h.push_str("<h2>月度走势</h2><p class=\"small legend\"><span style=\"background:#1565c0\"></span>执行完毕率<span style=\"background:#c62828\"></span>法定期限内结案率（各月已结案件）</p><div class=\"multiples\">");
    let city_of: BTreeMap<&str, &str> = c.rows.iter().map(|r| (c.get(r, "court_code"), c.get(r, "city"))).collect();
    let m = &input.monthly;
    let mut months: Vec<String> = m.rows.iter().map(|r| m.get(r, "month").to_string()).collect();
    months.sort();
    months.dedup();
    let mut per_city: BTreeMap<&str, Vec<(f64, f64, f64)>> = BTreeMap::new();
    for r in &m.rows {
        let Some(city) = city_of.get(m.get(r, "court_code")).filter(|c| !c.is_empty()) else { continue };
        let Ok(i) = months.binary_search(&m.get(r, "month").to_string()) else { continue };
        let v = per_city.entry(city).or_insert_with(|| vec![(0.0, 0.0, 0.0); months.len()]);
        v[i].0 += m.num(r, "closed").unwrap_or(0.0);
        v[i].1 += m.num(r, "completed").unwrap_or(0.0);
        v[i].2 += m.num(r, "in_term").unwrap_or(0.0);
    }
    for (city, v) in &per_city {
        if v.iter().all(|x| x.0 == 0.0) {
            continue;
        }
        let rate = |k: usize| v.iter().map(|x| (x.0 > 0.0).then(|| if k == 1 { x.1 / x.0 } else { x.2 / x.0 })).collect::<Vec<_>>();
        let series = [
            Series { name: "执行完毕率", color: "#1565c0", values: rate(1) },
            Series { name: "法定期限内结案率", color: "#c62828", values: rate(2) },
        ];
        let _ = write!(h, "<figure>{}</figure>", svg::line_chart(&format!("trend-{city}"), city, &months, &series));
    }
    h.push_str("</div>\n");

    // data quality, top problems first
    let mf = &input.manifest;
    let files = mf["files"].as_array().cloned().unwrap_or_default();
    let _ = write!(
        h,
        "<h2>数据质量</h2><p>读取文件 {} 个，拒收 {} 个；数据行 {} 行，隔离 {} 行；重复案号 {} 个（舍弃旧版本 {} 条，其中立案日期不一致 {} 个）。</p>",
        files.len(),
        incomplete,
        mf["rows_read"].as_u64().unwrap_or(0),
        mf["rows_quarantined"].as_u64().unwrap_or(0),
        mf["duplicate_keys"].as_u64().unwrap_or(0),
        mf["duplicates_dropped"].as_u64().unwrap_or(0),
        mf["duplicate_conflicts"].as_u64().unwrap_or(0)
    );
    if let Some(rej) = mf["rejected_files"].as_array().filter(|r| !r.is_empty()) {
        h.push_str("<h3>拒收的文件</h3><ul>");
        for f in rej {
            let name = f.as_str().unwrap_or("");
            let why = files.iter().find(|e| e["file"] == name).and_then(|e| e["rejected"].as_str()).unwrap_or("");
            let _ = write!(h, "<li>{}：{}</li>", escape(name), escape(why));
        }
        h.push_str("</ul>");
    }
    let mut reasons: Vec<(String, u64)> = mf["quarantine_by_reason"]
        .as_object()
        .map(|o| o.iter().map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0))).filter(|x| x.1 > 0).collect())
        .unwrap_or_default();
    reasons.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    if !reasons.is_empty() {
        h.push_str("<h3>隔离原因</h3><table id=\"reasons\"><tr><th>原因</th><th>行数</th></tr>");
        for (r, n) in &reasons {
            let _ = write!(h, "<tr><td>{}</td><td>{n}</td></tr>", escape(r));
        }
        h.push_str("</table>");
    }
    let mut by_file: Vec<(&str, u64, String)> = files
        .iter()
        .filter_map(|f| {
            let q = f["quarantined"].as_u64().unwrap_or(0);
            let top = f["quarantine_by_reason"]
                .as_object()
                .map(|o| o.iter().map(|(k, v)| format!("{k} {}", v.as_u64().unwrap_or(0))).collect::<Vec<_>>().join("、"))
                .unwrap_or_default();
            (q > 0).then(|| (f["file"].as_str().unwrap_or(""), q, top))
        })
        .collect();
    by_file.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    if !by_file.is_empty() {
        h.push_str("<h3>各文件隔离行数（前20）</h3><table id=\"files\"><tr><th>文件</th><th>隔离</th><th>原因</th></tr>");
        for (f, n, top) in by_file.iter().take(20) {
            let _ = write!(h, "<tr><td>{}</td><td>{n}</td><td>{}</td></tr>", escape(f), escape(top));
        }
        h.push_str("</table>");
    }
    h.push_str("\n</body></html>\n");
    h
}

/// `courtstat report OUT_DIR`: rewrites OUT_DIR/report.html from the
/// published tables (atomically: a temporary file renamed into place).
pub fn write_for_dir(dir: &Path) -> Result<std::path::PathBuf, String> {
    let input = ReportInput::from_dir(dir)?;
    let html = render(&input);
    let target = dir.join("report.html");
    let tmp = dir.join(format!(".report.html.{}", std::process::id()));
    std::fs::write(&tmp, html).map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, &target).map_err(|e| format!("{}: {e}", target.display()))?;
    Ok(target)
}
