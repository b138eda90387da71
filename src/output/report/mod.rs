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
        let columns = r.headers().map_err(|e| format!("{}: {e}", path.display()))?.iter().map(|h| crate::labels::english(h).to_string()).collect();
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
    /// §15, §14, §13: present when the run wrote them
    pub comparison: Option<StrTable>,
    pub assessment: Option<StrTable>,
    pub definitions: Option<StrTable>,
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
            comparison: t("indicators_comparison").ok(),
            assessment: t("indicators_assessment").ok(),
            definitions: t("definitions").ok(),
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
h2, h3 { break-after: avoid; } section.chart > h3 { break-after: avoid; } thead { display: table-header-group; } tr { break-inside: avoid; }
";

/// The whole page, section by section.
pub fn render(input: &ReportInput) -> String {
    let page = Page::of(input);
    let mut h = String::new();
    let _ = writeln!(
        h,
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>执行案件指标报告（截至{}）</title><style>{CSS}</style></head><body>",
        chinese_date(page.as_of)
    );
    let _ = writeln!(
        h,
        "<h1>全省法院执行案件主要指标</h1><p class=\"meta\">统计期间 {} 至 {}；courtstat {}</p>",
        page.from,
        page.as_of,
        escape(input.manifest["version"].as_str().unwrap_or(""))
    );
    warnings(&mut h, input);
    headline(&mut h, input, &page);
    court_bars(&mut h, input, &page);
    city_table(&mut h, input, &page);
    attention(&mut h, input);
    trends(&mut h, input);
    definitions(&mut h, input);
    data_quality(&mut h, input);
    h.push_str("\n</body></html>\n");
    h
}

/// What every section reads from the run's settings.
struct Page<'a> {
    from: &'a str,
    as_of: &'a str,
    min_closed: u64,
    ranking: bool,
    /// per ranked indicator (as `RANKED`): (excellent, good)
    tiers: [(f64, f64); 3],
}

impl<'a> Page<'a> {
    fn of(input: &'a ReportInput) -> Page<'a> {
        let settings = &input.manifest["settings"];
        let tier = |col: &str| {
            let t = &settings["tiers"][col];
            (t["excellent"].as_f64().unwrap_or(f64::INFINITY), t["good"].as_f64().unwrap_or(f64::INFINITY))
        };
        Page {
            from: settings["from"].as_str().unwrap_or(""),
            as_of: settings["as_of"].as_str().unwrap_or(""),
            min_closed: settings["min_closed"].as_u64().unwrap_or(10),
            ranking: settings["ranking"].as_bool().unwrap_or(true),
            tiers: [tier(RANKED[0].0), tier(RANKED[1].0), tier(RANKED[2].0)],
        }
    }
}

/// `同比上升2.10个百分点`: a ratio's change ×100 in percentage points.
fn change_text(change: Option<f64>) -> String {
    match change {
        None => "上年同期无可比数据".to_string(),
        Some(c) if (c * 100.0).abs() < 0.005 => "与上年同期持平".to_string(),
        Some(c) if c > 0.0 => format!("同比上升{:.2}个百分点", c * 100.0),
        Some(c) => format!("同比下降{:.2}个百分点", -c * 100.0),
    }
}

/// The province's row of a long table (comparison or assessment) for an
/// indicator, under English or Chinese values.
fn province_row<'a>(t: &'a StrTable, indicator: &str) -> Option<&'a [String]> {
    let zh = LABELS.iter().find(|l| l.0 == indicator).map_or(indicator, |l| l.1);
    t.rows
        .iter()
        .find(|r| matches!(t.get(r, "unit_kind"), "province" | "全省") && (t.get(r, "indicator") == indicator || t.get(r, "indicator") == zh))
        .map(Vec::as_slice)
}

/// The headline, as a bulletin puts it: the three ranked indicators, each
/// with its change on the same period last year and, when the run has
/// reference intervals, whether it meets them.
fn headline(h: &mut String, input: &ReportInput, page: &Page) {
    let p = &input.province;
    let Some(row) = p.rows.first() else { return };
    let parts: Vec<String> = RANKED
        .iter()
        .map(|(col, title, _, _)| {
            let mut s = format!("{title}{}", rate_text(p.num(row, col)));
            if let Some(c) = input.comparison.as_ref().and_then(|c| province_row(c, col).map(|r| c.num(r, "change"))) {
                s.push('，');
                s.push_str(&change_text(c));
            }
            if let Some(a) = input.assessment.as_ref().and_then(|a| province_row(a, col).map(|r| a.get(r, "meets").to_string())) {
                s.push_str(match a.as_str() {
                    "true" | "是" => "（达标）",
                    "false" | "否" => "（未达标）",
                    _ => "",
                });
            }
            s
        })
        .collect();
    let _ = writeln!(h, "<p class=\"headline\" id=\"headline\">截至{}，全省法院{}。</p>", chinese_date(page.as_of), parts.join("；"));
    if let Some(source) = input.manifest["comparison"].as_object() {
        let note = match source.get("source").and_then(|s| s.as_str()) {
            Some("baseline") => {
                format!("同比数据取自基准运行 {} 的已发布表格。", escape(source.get("baseline").and_then(|b| b.as_str()).unwrap_or("")))
            }
            _ => format!(
                "同比数据按本次相同的输入文件重算上年同期（{} 至 {}）得出。",
                source.get("period_from").and_then(|b| b.as_str()).unwrap_or(""),
                source.get("as_of").and_then(|b| b.as_str()).unwrap_or("")
            ),
        };
        let _ = writeln!(h, "<p class=\"small\">{note}</p>");
    }
    assessment_summary(h, input);
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
}

/// §10's warnings, first: what must be known before the figures are sent on.
fn warnings(h: &mut String, input: &ReportInput) {
    let Some(list) = input.manifest["run_warnings"].as_array().filter(|l| !l.is_empty()) else { return };
    h.push_str("<div class=\"warn\" id=\"warnings\"><strong>提示</strong><ul>");
    for w in list {
        let _ = write!(h, "<li>{}</li>", escape(w["message_zh"].as_str().unwrap_or("")));
    }
    h.push_str("</ul></div>\n");
}

/// How many courts and cities meet each reference interval (§14).
fn assessment_summary(h: &mut String, input: &ReportInput) {
    let Some(a) = &input.assessment else { return };
    let mut by: BTreeMap<(usize, &str), [u64; 3]> = BTreeMap::new();
    for r in &a.rows {
        let kind = match a.get(r, "unit_kind") {
            "court" | "法院" => "法院",
            "city" | "城市" => "城市",
            _ => continue,
        };
        let indicator = a.get(r, "indicator");
        let order = LABELS.iter().position(|l| l.0 == indicator || l.1 == indicator).unwrap_or(usize::MAX);
        let k = match a.get(r, "meets") {
            "true" | "是" => 0,
            "false" | "否" => 1,
            _ => 2,
        };
        by.entry((order, kind)).or_default()[k] += 1;
    }
    if by.is_empty() {
        return;
    }
    h.push_str("<h3>合理区间达标情况</h3><table id=\"assessment\"><tr><th>指标</th><th>单位</th><th>达标</th><th>未达标</th><th>无数据</th></tr>");
    for ((order, kind), n) in &by {
        let name = LABELS.get(*order).map_or("", |l| l.1);
        let _ = write!(h, "<tr><td>{name}</td><td>{kind}</td><td>{}</td><td>{}</td><td>{}</td></tr>", n[0], n[1], n[2]);
    }
    h.push_str("</table>\n");
}

/// The fewest more numerator cases that lift `n/d` to at least `t`, and
/// the fewest fewer that drop it below `below` (`None`: never, or already).
fn to_next_tier(n: u64, d: u64, up: Option<f64>, below: Option<f64>) -> (Option<u64>, Option<u64>) {
    let rate = |k: u64| k as f64 / d as f64;
    let more = up.filter(|t| *t <= 1.0 && rate(n) < *t).map(|t| (n..=d).find(|&k| rate(k) >= t).map_or(d - n, |k| k - n));
    let fewer = below.filter(|t| rate(n) >= *t && *t > 0.0).and_then(|t| (0..=n).rev().find(|&k| rate(k) < t).map(|k| n - k));
    (more, fewer)
}

/// The note beside a court's bar: its counts, rank and tier, and how many
/// cases separate it from the tier above and below.
fn bar_note(c: &StrTable, r: &[String], k: usize, page: &Page) -> String {
    let (col, _, tier_col, rank_col) = RANKED[k];
    let (num, den) = match col {
        "completion_rate" => ("completed", "closed"),
        "contract_completion_rate" => ("contract_completed", "contract_closed"),
        _ => ("in_term", "closed"),
    };
    let (n, d) = (c.num(r, num).unwrap_or(0.0) as u64, c.num(r, den).unwrap_or(0.0) as u64);
    let tier = c.get(r, tier_col);
    let (excellent, good) = page.tiers[k];
    let (up, up_name, below, down_name) = match tier {
        "优秀" => (None, "", Some(excellent), "良好"),
        "良好" => (Some(excellent), "优秀", Some(good), "一般"),
        _ => (Some(good), "良好", None, ""),
    };
    let mut note = format!("{n}/{d}");
    if page.ranking && !c.get(r, rank_col).is_empty() {
        let _ = write!(note, " 第{}名", c.get(r, rank_col));
    }
    let _ = write!(note, " {tier}");
    let (more, fewer) = to_next_tier(n, d, up, below);
    if let Some(m) = more {
        let _ = write!(note, " 再增{m}件升{up_name}");
    }
    if let Some(f) = fewer {
        let _ = write!(note, " 少{f}件降{down_name}");
    }
    note
}

/// Each ranked indicator's basic courts as bars: by rank when the run
/// ranks, by court code when it does not (§14).
fn court_bars(h: &mut String, input: &ReportInput, page: &Page) {
    let heading = if page.ranking { "基层法院排名" } else { "基层法院指标与等次" };
    let _ = writeln!(
        h,
        "<h2>{heading}</h2><p class=\"legend small\">等次：<span style=\"background:#2e7d32\"></span>优秀<span style=\"background:#1565c0\"></span>良好<span style=\"background:#ef6c00\"></span>一般；红色虚线为全省数值；数字为分子/分母，及距上下等次的案件数。</p>"
    );
    let (c, p) = (&input.court, &input.province);
    for (k, (col, title, tier_col, rank_col)) in RANKED.iter().enumerate() {
        let mut shown: Vec<(u32, &str, &[String])> = c
            .rows
            .iter()
            .filter(|r| c.get(r, "level") == "基层" && !c.get(r, tier_col).is_empty())
            .map(|r| (c.get(r, rank_col).parse::<u32>().unwrap_or(0), c.get(r, "court_code"), r.as_slice()))
            .collect();
        shown.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        let bars: Vec<Bar> = shown
            .iter()
            .map(|(_, _, r)| Bar {
                label: c.get(r, "court_name"),
                value: c.num(r, col).unwrap_or(0.0),
                color: tier_color(c.get(r, tier_col)),
                note: bar_note(c, r, k, page),
            })
            .collect();
        let reference = p.rows.first().and_then(|r| p.num(r, col)).map(|v| (v, "全省"));
        // the title and its chart are kept together across a page break
        let _ = write!(h, "<section class=\"chart\"><h3>{title}</h3>");
        if bars.is_empty() {
            h.push_str("<p class=\"small\">没有达到排名条件的基层法院。</p>");
        } else {
            let _ = write!(h, "<figure>{}</figure>", svg::bar_chart(&format!("rank-{col}"), title, &bars, reference));
        }
        // courts without a tier but with cases are named; those without any are counted
        let den = if *col == "contract_completion_rate" { "contract_closed" } else { "closed" };
        let untiered: Vec<&[String]> =
            c.rows.iter().filter(|r| c.get(r, "level") == "基层" && c.get(r, tier_col).is_empty()).map(Vec::as_slice).collect();
        let (named, empty): (Vec<&[String]>, Vec<&[String]>) = untiered.iter().partition(|r| c.num(r, den).unwrap_or(0.0) > 0.0);
        if !named.is_empty() {
            let names: Vec<String> = named.iter().map(|r| format!("{}（{}件）", escape(c.get(r, "court_name")), c.get(r, den))).collect();
            let _ = write!(h, "<p class=\"small unranked\">未排名（已结案件少于{}件）：{}</p>", page.min_closed, names.join("、"));
        }
        // a court that sent nothing is 未报送, not a court without cases (§9)
        let unreported = empty.iter().filter(|r| matches!(c.get(r, "reported"), "false" | "否")).count();
        let quiet = empty.len() - unreported;
        if unreported > 0 {
            let _ = write!(h, "<p class=\"small\">另有{unreported}个基层法院未报送数据（见本页开头的提示）。</p>");
        }
        if quiet > 0 {
            let _ = write!(h, "<p class=\"small\">另有{quiet}个基层法院本期没有可计算的已结案件。</p>");
        }
        h.push_str("</section>\n");
    }
}

/// The cities, their header repeated on every printed page.
fn city_table(h: &mut String, input: &ReportInput, page: &Page) {
    let rank_header = if page.ranking { "<th>排名</th>" } else { "" };
    let _ = write!(
        h,
        "<h2>各市法院</h2><table id=\"cities\"><thead><tr><th>城市</th><th>受理</th><th>已结</th><th>执行完毕率</th>{rank_header}<th>等次</th><th>涉合同类执行完毕率</th>{rank_header}<th>等次</th><th>法定期限内结案率</th>{rank_header}<th>等次</th><th>已报送/应报送</th><th>完整</th></tr></thead><tbody>"
    );
    for row in &input.city.rows {
        let t = &input.city;
        let r = |v: &str| if v.is_empty() { "—".to_string() } else { v.to_string() };
        let _ = write!(h, "<tr><td>{}</td><td>{}</td><td>{}</td>", escape(t.get(row, "city")), t.get(row, "accepted"), t.get(row, "closed"));
        for (col, _, tier_col, rank_col) in RANKED {
            let _ = write!(h, "<td>{}</td>", t.num(row, col).map_or("—".into(), percent));
            if page.ranking {
                let _ = write!(h, "<td>{}</td>", r(t.get(row, rank_col)));
            }
            let _ = write!(h, "<td>{}</td>", r(t.get(row, tier_col)));
        }
        let _ = write!(h, "<td>{}/{}</td>", t.get(row, "courts_reported"), t.get(row, "courts_expected"));
        let _ = write!(h, "<td>{}</td></tr>", if t.get(row, "complete") == "false" { "不完整" } else { "是" });
    }
    h.push_str("</tbody></table>\n");
}

/// 需关注: per city, each court's count on each watch list (§11) and the
/// cases longest past their deadline.
fn attention(h: &mut String, input: &ReportInput) {
    let Ok(summary) = serde_json::from_value::<crate::watchlist::Summary>(input.manifest["watchlist"].clone()) else { return };
    let c = &input.court;
    h.push_str(
        "<h2>需关注</h2><p class=\"small\">各清单的案件数（清单明细见 watchlist.csv）；超期天数为截至统计截止日超过执行期限的天数。</p>
",
    );
    let lists = crate::watchlist::List::ALL;
    let mut cities: Vec<&str> = c.rows.iter().map(|r| c.get(r, "city")).filter(|x| !x.is_empty()).collect();
    cities.dedup();
    for city in cities {
        let courts: Vec<(&str, &[u64; 6])> = c
            .rows
            .iter()
            .filter(|r| c.get(r, "city") == city)
            .filter_map(|r| summary.by_court.get(c.get(r, "court_code")).map(|n| (c.get(r, "court_name"), n)))
            .filter(|(_, n)| n.iter().any(|&k| k > 0))
            .collect();
        if courts.is_empty() {
            continue;
        }
        let _ = write!(h, "<section class=\"attention\"><h3>{}</h3><table><thead><tr><th>法院</th>", escape(city));
        for l in lists {
            let _ = write!(h, "<th>{}</th>", l.label());
        }
        h.push_str("</tr></thead><tbody>");
        for (name, n) in &courts {
            let _ = write!(h, "<tr><td>{}</td>", escape(name));
            for k in n.iter() {
                let _ = write!(h, "<td>{k}</td>");
            }
            h.push_str("</tr>");
        }
        h.push_str("</tbody></table>");
        let worst: Vec<String> = summary
            .longest_overdue
            .iter()
            .filter(|o| o.city == city)
            .map(|o| format!("{}（{}，超期{}天）", escape(&o.case_no), escape(&o.court_name), o.days))
            .collect();
        if !worst.is_empty() {
            let _ = write!(h, "<p class=\"small\">超期最久：{}</p>", worst.join("；"));
        }
        h.push_str(
            "</section>
",
        );
    }
}

/// Monthly completion and in-term rates, one small chart per city.
fn trends(h: &mut String, input: &ReportInput) {
    h.push_str("<h2>月度走势</h2><p class=\"small legend\"><span style=\"background:#1565c0\"></span>执行完毕率<span style=\"background:#c62828\"></span>法定期限内结案率（各月已结案件）</p><div class=\"multiples\">");
    let c = &input.court;
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
}

/// The definitions (口径) the figures were counted under (§13).
fn definitions(h: &mut String, input: &ReportInput) {
    let Some(d) = &input.definitions else { return };
    h.push_str("<h2>统计口径</h2><table id=\"definitions\"><thead><tr><th>口径项</th><th>取值</th><th>含义</th></tr></thead><tbody>");
    for r in &d.rows {
        let _ =
            write!(h, "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", escape(d.get(r, "key")), escape(d.get(r, "value")), escape(d.get(r, "meaning")));
    }
    h.push_str("</tbody></table>\n");
}

/// A quarantine reason's code in Chinese (the code itself if unknown).
fn reason_label(code: &str) -> String {
    crate::domain::QuarantineReason::of_code(code).map_or_else(|| code.to_string(), |q| q.label().to_string())
}

/// Files read and rejected, rows quarantined by reason and by file.
fn data_quality(h: &mut String, input: &ReportInput) {
    let mf = &input.manifest;
    let files = mf["files"].as_array().cloned().unwrap_or_default();
    let incomplete = mf["rejected_files"].as_array().map_or(0, Vec::len);
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
        h.push_str("<h3>隔离原因</h3><table id=\"reasons\"><thead><tr><th>原因</th><th>代码</th><th>行数</th></tr></thead><tbody>");
        for (r, n) in &reasons {
            let _ = write!(h, "<tr><td>{}</td><td>{}</td><td>{n}</td></tr>", escape(&reason_label(r)), escape(r));
        }
        h.push_str("</tbody></table>");
    }
    let mut by_file: Vec<(&str, u64, String)> = files
        .iter()
        .filter_map(|f| {
            let q = f["quarantined"].as_u64().unwrap_or(0);
            let top = f["quarantine_by_reason"]
                .as_object()
                .map(|o| o.iter().map(|(k, v)| format!("{} {}", reason_label(k), v.as_u64().unwrap_or(0))).collect::<Vec<_>>().join("、"))
                .unwrap_or_default();
            (q > 0).then(|| (f["file"].as_str().unwrap_or(""), q, top))
        })
        .collect();
    by_file.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    if !by_file.is_empty() {
        h.push_str("<h3>各文件隔离行数（前20）</h3><table id=\"files\"><thead><tr><th>文件</th><th>隔离</th><th>原因</th></tr></thead><tbody>");
        for (f, n, top) in by_file.iter().take(20) {
            let _ = write!(h, "<tr><td>{}</td><td>{n}</td><td>{}</td></tr>", escape(f), escape(top));
        }
        h.push_str("</tbody></table>");
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_tier_counts_are_the_fewest_cases_that_cross_a_threshold() {
        // 13/40 = 32.5 %: 良好 under 35 % / 25 %; 14/40 = 35 % lifts it, 9/40 = 22.5 % drops it
        assert_eq!(to_next_tier(13, 40, Some(0.35), Some(0.25)), (Some(1), Some(4)));
        // exactly on the threshold: one fewer drops it
        assert_eq!(to_next_tier(10, 40, Some(0.35), Some(0.25)), (Some(4), Some(1)));
        // 一般 with nothing below; 优秀 with nothing above
        assert_eq!(to_next_tier(0, 10, Some(0.25), None), (Some(3), None));
        assert_eq!(to_next_tier(10, 10, None, Some(0.35)), (None, Some(7)));
    }

    #[test]
    fn changes_read_as_percentage_points() {
        assert_eq!(change_text(Some(0.021)), "同比上升2.10个百分点");
        assert_eq!(change_text(Some(-0.0404)), "同比下降4.04个百分点");
        assert_eq!(change_text(Some(0.00001)), "与上年同期持平");
        assert_eq!(change_text(None), "上年同期无可比数据");
    }
}
