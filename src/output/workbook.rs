//! `courtstat.xlsx` (§16): the tables a statistician opens in Excel and
//! sends out as a 通报, one sheet each, in Chinese, with typed cells.
//!
//! Built from the very `Table`s the CSV and Parquet files are written from
//! (a cell of the workbook is the cell of the CSV, as a number, percentage,
//! amount or date cell), so no figure is computed twice; only the layout is
//! the workbook's own: each rate beside its count, rank and tier, cities in
//! the order of their intermediate court's code, 未报送 courts marked, A4
//! landscape with the header row repeated. The bytes depend on the tables
//! alone (the creation date is the snapshot's `as_of`).

use super::labels::{in_chinese, HeaderLanguage};
use super::table::{Chunked, Table, Values};
use crate::indicators::columns;
use crate::reference::{CourtLevel, Courts};
use chrono::NaiveDate;
use rust_xlsxwriter::{Color, DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};
use std::collections::BTreeMap;

pub const FILE: &str = "courtstat.xlsx";

/// The most watch-list rows the 清单 sheet lists case by case. A busy
/// province's lists run to a million rows: Excel's limit, and ~8 s to write
/// on this machine (longer than the whole run). Above it the sheet holds
/// each court's count per list (what a 通报 shows), and says where the cases
/// are: `watchlist.csv`, which every court filters to its own.
pub const LIST_ROWS: usize = 100_000;

/// `LIST_ROWS`, or `COURTSTAT_WORKBOOK_LIST_ROWS=N` for tests only (so that
/// a small export shows the counts sheet).
fn list_rows() -> usize {
    std::env::var("COURTSTAT_WORKBOOK_LIST_ROWS").ok().and_then(|n| n.parse().ok()).unwrap_or(LIST_ROWS)
}

/// What the 数据质量 sheet shows beside the files.
pub struct Quality<'a> {
    pub files: &'a [crate::normalize::FileAccount],
    pub by_reason: &'a BTreeMap<String, u64>,
    pub duplicate_keys: u64,
    pub duplicates_dropped: u64,
    pub duplicate_conflicts: u64,
}

/// Everything the workbook shows: the published tables, the watch list,
/// and the data-quality counts.
pub struct Input<'a> {
    pub tables: &'a [(Table, super::Formats)],
    pub lists: &'a Chunked<'a>,
    /// each court's count per list, asked only when the lists are too long
    /// to show case by case
    pub list_counts: &'a dyn Fn() -> BTreeMap<String, [u64; 6]>,
    pub courts: &'a Courts,
    pub quality: Quality<'a>,
    pub as_of: NaiveDate,
    /// the folder the 清单 sheet's rows are spooled in while written
    pub spool: &'a std::path::Path,
}

/// The workbook's bytes.
pub fn build(input: &Input) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    book.set_properties(&DocProperties::new().set_creation_datetime(&created(input.as_of)?).set_title("执行案件统计").set_author("courtstat"));
    book.set_tempdir(input.spool)?;
    book.set_zip_compression_level(1);
    let st = Styles::new();
    let table = |name: &str| input.tables.iter().map(|(t, _)| t).find(|t| t.name == name);
    if let Some(t) = table("indicators_court") {
        unit_sheet(book.add_worksheet_with_constant_memory()?, "法院", t, None, &st)?;
    }
    if let Some(t) = table("indicators_city") {
        unit_sheet(book.add_worksheet_with_constant_memory()?, "城市", t, Some(&city_order(t, input.courts)), &st)?;
    }
    if let Some(t) = table("indicators_province") {
        unit_sheet(book.add_worksheet_with_constant_memory()?, "全省", t, None, &st)?;
    }
    if let Some(t) = table("indicators_monthly") {
        plain_sheet(book.add_worksheet_with_constant_memory()?, "月度", &with_court_names(t, input.courts), &st)?;
    }
    lists_sheet(&mut book, input, &st)?;
    if let Some(t) = table("indicators_comparison") {
        plain_sheet(book.add_worksheet_with_constant_memory()?, "同比", t, &st)?;
    }
    if let Some(t) = table("indicators_assessment") {
        plain_sheet(book.add_worksheet_with_constant_memory()?, "达标", t, &st)?;
    }
    if let Some(t) = table("definitions") {
        plain_sheet(book.add_worksheet_with_constant_memory()?, "口径", t, &st)?;
    }
    quality_sheet(book.add_worksheet_with_constant_memory()?, &input.quality, &st)?;
    book.save_to_buffer()
}

/// The document's creation time: the snapshot's date, so that the bytes
/// depend on the inputs alone (the writer's default is the clock).
fn created(as_of: NaiveDate) -> Result<ExcelDateTime, XlsxError> {
    use chrono::Datelike;
    ExcelDateTime::from_ymd(as_of.year().clamp(1900, 9999) as u16, as_of.month() as u8, as_of.day() as u8)
}

/// The cell formats, made once.
struct Styles {
    header: Format,
    percent: Format,
    days: Format,
    yuan: Format,
    date: Format,
    moment: Format,
    /// 优秀, 良好, 一般 (Excel's own "good", "neutral", "bad" colours)
    tiers: [Format; 3],
    unreported: Format,
    note: Format,
}

impl Styles {
    fn new() -> Styles {
        let fill = |bg: u32, fg: u32| Format::new().set_background_color(Color::RGB(bg)).set_font_color(Color::RGB(fg));
        Styles {
            header: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter)
                .set_background_color(Color::RGB(0xD9E1F2))
                .set_border(FormatBorder::Thin),
            percent: Format::new().set_num_format("0.00%"),
            days: Format::new().set_num_format("0.0"),
            yuan: Format::new().set_num_format("#,##0.00"),
            date: Format::new().set_num_format("yyyy-mm-dd"),
            moment: Format::new().set_num_format("yyyy-mm-dd hh:mm:ss"),
            tiers: [fill(0xC6EFCE, 0x006100), fill(0xFFEB9C, 0x9C5700), fill(0xFFC7CE, 0x9C0006)].map(|f| f.set_align(FormatAlign::Center)),
            unreported: Format::new().set_italic().set_align(FormatAlign::Center).set_font_color(Color::RGB(0x808080)),
            note: Format::new().set_italic(),
        }
    }

    fn tier(&self, label: &str) -> Option<&Format> {
        ["优秀", "良好", "一般"].iter().position(|t| *t == label).map(|k| &self.tiers[k])
    }
}

/// How a column's cells are written.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Cell {
    Text,
    /// a tier word, coloured
    Tier,
    Int,
    Percent,
    Days,
    Yuan,
    Date,
    Moment,
    /// 是 / 否
    Flag,
    /// 达标 / 未达标, coloured
    Meets,
    /// a number whose kind the row's `indicator` names (§14, §15)
    ByIndicator,
}

/// A figure column's kind: a ratio is a percentage, other floats are days.
fn figure_cell(name: &str) -> Option<Cell> {
    // the comparison's rank rows (§15) hold places, whole numbers
    if name.starts_with("rank_") || name.starts_with("city_rank_") {
        return Some(Cell::Int);
    }
    let monthly = columns::MONTHLY.iter().find(|m| m.0 == name).map(|m| m.1);
    let cases = columns::column(name).map(|c| c.cases).or(monthly)?;
    Some(match columns::column(name).map(|c| c.kind()) {
        Some(columns::Kind::Amount) => Cell::Yuan,
        Some(columns::Kind::Count) => Cell::Int,
        _ if cases.has_parts() => Cell::Percent,
        _ if monthly.is_some() => Cell::Int,
        _ => Cell::Days,
    })
}

fn cell_of(name: &str, v: &Values) -> Cell {
    match v {
        Values::Int(_) => Cell::Int,
        Values::Yuan(_) => Cell::Yuan,
        Values::Date(_) => Cell::Date,
        Values::Timestamp(_) => Cell::Moment,
        Values::Bool(_) if name == "meets" => Cell::Meets,
        Values::Bool(_) => Cell::Flag,
        Values::Float(_) => match name {
            "value" | "previous" | "change" | "interval_min" | "interval_max" => Cell::ByIndicator,
            _ => figure_cell(name).unwrap_or(Cell::Days),
        },
        _ if name.starts_with("tier_") => Cell::Tier,
        _ => Cell::Text,
    }
}

/// Excel's serial day number (1900 date system) of a date.
fn serial(d: NaiveDate) -> f64 {
    let epoch = NaiveDate::from_ymd_opt(1899, 12, 30).unwrap_or(NaiveDate::MIN);
    (d - epoch).num_days() as f64
}

/// Display width of a text in Excel's character units: a CJK character is
/// two.
fn width(s: &str) -> usize {
    s.chars().map(|c| if (c as u32) < 0x1100 { 1 } else { 2 }).sum()
}

/// One sheet's columns as written: which of the table's columns, in which
/// order, and how.
struct Layout {
    order: Vec<usize>,
    cells: Vec<Cell>,
    widths: Vec<f64>,
    /// a figure, rank or tier: what a 未报送 court has none of
    figures: Vec<bool>,
}

fn is_figure(name: &str) -> bool {
    columns::column(name).is_some() || ["rank_", "city_rank_", "tier_"].iter().any(|p| name.starts_with(p))
}

impl Layout {
    fn of(t: &Table, order: Vec<usize>, zh: &Table) -> Layout {
        let cells: Vec<Cell> = order.iter().map(|&k| cell_of(t.columns[k].0, &t.columns[k].1)).collect();
        let widths = order
            .iter()
            .zip(&cells)
            .map(|(&k, cell)| {
                let label = width(HeaderLanguage::Chinese.label(t.name, t.columns[k].0));
                let content = match cell {
                    Cell::Text | Cell::Tier => (0..zh.rows().min(2000)).filter_map(|r| zh.columns[k].1.text_at(r)).map(width).max().unwrap_or(0),
                    Cell::Int => 6,
                    Cell::Percent | Cell::ByIndicator => 8,
                    Cell::Days | Cell::Flag | Cell::Meets => 6,
                    Cell::Yuan => 14,
                    Cell::Date => 10,
                    Cell::Moment => 19,
                };
                // the header row wraps: a label fits in its cell on two lines
                (content.max(label.div_ceil(2)).clamp(4, 60) + 2) as f64
            })
            .collect();
        let figures = order.iter().map(|&k| is_figure(t.columns[k].0)).collect();
        Layout { order, cells, widths, figures }
    }
}

/// What of a sheet stays in view: the columns frozen beside the header
/// row, and the leading columns printed (one page wide).
#[derive(Clone, Copy)]
struct View {
    freeze_cols: u16,
    print_cols: usize,
}

/// Which of a table's rows a sheet shows, in order (all of them in the
/// table's order when `None`), and which of them are 未报送.
struct Rows<'a> {
    order: Option<&'a [usize]>,
    unreported: &'a dyn Fn(usize) -> bool,
}

/// The sheet's frame: name, header row, widths, frozen panes, filter and
/// print setup (A4 landscape, one page wide, the header repeated, the
/// sheet's name above and the page number below every page).
fn frame(ws: &mut Worksheet, name: &str, t: &Table, l: &Layout, rows: usize, view: View, st: &Styles) -> Result<(), XlsxError> {
    let View { freeze_cols, print_cols } = view;
    ws.set_name(name)?;
    for (j, &k) in l.order.iter().enumerate() {
        let col = j as u16;
        ws.write_string_with_format(0, col, HeaderLanguage::Chinese.label(t.name, t.columns[k].0), &st.header)?;
        ws.set_column_width(col, l.widths[j])?;
    }
    let last_col = l.order.len().saturating_sub(1) as u16;
    ws.set_row_height(0, 45)?;
    ws.set_freeze_panes(1, freeze_cols)?;
    ws.autofilter(0, 0, rows as u32, last_col)?;
    ws.set_paper_size(9).set_landscape().set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(0, 0)?;
    ws.set_print_area(0, 0, rows as u32, print_cols.clamp(1, l.order.len().max(1)) as u16 - 1)?;
    ws.set_header("&C&A").set_footer("&C第 &P 页，共 &N 页");
    Ok(())
}

/// Writes the table's rows `rows` from sheet row `first`. `unreported(r)`
/// rows are 未报送: their figures are left empty, the first one says so.
fn put_rows(ws: &mut Worksheet, t: &Table, zh: &Table, l: &Layout, first: u32, rows: Rows, st: &Styles) -> Result<(), XlsxError> {
    let Rows { order, unreported } = rows;
    let indicator = t.columns.iter().position(|c| c.0 == "indicator");
    for i in 0..order.map_or(t.rows(), <[usize]>::len) {
        let (row, r) = (first + i as u32, order.map_or(i, |o| o[i]));
        let first_figure = if unreported(r) { l.figures.iter().position(|f| *f) } else { None };
        for (j, (&k, &cell)) in l.order.iter().zip(&l.cells).enumerate() {
            let col = j as u16;
            if first_figure.is_some() && l.figures[j] {
                if first_figure == Some(j) {
                    ws.write_string_with_format(row, col, "未报送", &st.unreported)?;
                }
                continue;
            }
            let cell = match cell {
                Cell::ByIndicator => indicator.and_then(|x| t.columns[x].1.text_at(r)).and_then(figure_cell).unwrap_or(Cell::Days),
                c => c,
            };
            put_cell(ws, row, col, &t.columns[k].1, &zh.columns[k].1, r, cell, st)?;
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
/// Writes one cell. A cell with a format costs the writer a hash of the
/// whole `Format` (most of the workbook's time on a province), so counts,
/// flags and plain text go without one: Excel's General shows a whole
/// number as it is.
fn put_cell(ws: &mut Worksheet, row: u32, col: u16, v: &Values, zh: &Values, r: usize, cell: Cell, st: &Styles) -> Result<(), XlsxError> {
    let number = |ws: &mut Worksheet, x: f64, f: Option<&Format>| match f {
        Some(f) => ws.write_number_with_format(row, col, x, f).map(|_| ()),
        None => ws.write_number(row, col, x).map(|_| ()),
    };
    let text = |ws: &mut Worksheet, s: &str, f: Option<&Format>| match f {
        // a string cell: text that starts with `=` stays text
        Some(f) => ws.write_string_with_format(row, col, s, f).map(|_| ()),
        None => ws.write_string(row, col, s).map(|_| ()),
    };
    match v {
        Values::Int(x) => x[r].map_or(Ok(()), |n| number(ws, n as f64, None)),
        Values::Float(x) => match x[r] {
            None => Ok(()),
            Some(f) => number(
                ws,
                f,
                match cell {
                    Cell::Percent => Some(&st.percent),
                    Cell::Int => None,
                    Cell::Yuan => Some(&st.yuan),
                    _ => Some(&st.days),
                },
            ),
        },
        Values::Yuan(x) => x[r].map_or(Ok(()), |fen| number(ws, super::table::yuan(fen), Some(&st.yuan))),
        Values::Date(x) => x[r].map_or(Ok(()), |d| number(ws, serial(d), Some(&st.date))),
        Values::Timestamp(x) => x[r].map_or(Ok(()), |ms| number(ws, 25_569.0 + ms as f64 / 86_400_000.0, Some(&st.moment))),
        Values::Bool(x) => match (x[r], cell) {
            (None, _) => Ok(()),
            (Some(b), Cell::Meets) => text(ws, if b { "达标" } else { "未达标" }, Some(&st.tiers[if b { 0 } else { 2 }])),
            (Some(b), _) => text(ws, super::labels::FLAG_LABELS[usize::from(b)], None),
        },
        _ => match zh.text_at(r) {
            None => Ok(()),
            Some(s) => text(ws, s, if cell == Cell::Tier { st.tier(s) } else { None }),
        },
    }
}

/// A unit table's columns as the workbook shows them: who, then each
/// ranking indicator's count, denominator, rate, ranks and tier side by
/// side, then every other column in the table's order.
fn unit_order(t: &Table) -> (Vec<usize>, usize) {
    const LEAD: &[&str] = &["court_code", "court_name", "city", "level", "reported", "courts_reported", "courts_expected"];
    const GROUPS: &[&str] = &[
        "completed",
        "closed",
        "completion_rate",
        "rank_completion",
        "city_rank_completion",
        "tier_completion",
        "contract_completed",
        "contract_closed",
        "contract_completion_rate",
        "rank_contract_completion",
        "city_rank_contract_completion",
        "tier_contract_completion",
        "in_term",
        "in_term_rate",
        "rank_in_term",
        "city_rank_in_term",
        "tier_in_term",
    ];
    let at = |name: &str| t.columns.iter().position(|c| c.0 == name);
    let mut order: Vec<usize> = LEAD.iter().filter_map(|n| at(n)).collect();
    order.extend(GROUPS.iter().filter_map(|n| at(n)));
    let shown = order.len();
    let rest: Vec<usize> = (0..t.columns.len()).filter(|k| !order.contains(k)).collect();
    order.extend(rest);
    (order, shown)
}

/// 法院, 城市, 全省: the ranking indicators first; a basic court without a
/// kept case shows 未报送 instead of zeros. Prints its leading columns (who,
/// and the three ranking indicators) one page wide.
fn unit_sheet(ws: &mut Worksheet, name: &str, t: &Table, rows: Option<&[usize]>, st: &Styles) -> Result<(), XlsxError> {
    let zh = in_chinese(t);
    let (order, shown) = unit_order(t);
    let l = Layout::of(t, order, &zh);
    let names = |c: &str| t.columns.iter().position(|x| x.0 == c);
    let (reported, level) = (names("reported"), names("level"));
    let unreported = |r: usize| {
        let basic = level.and_then(|k| t.columns[k].1.text_at(r)).is_some_and(|v| v == CourtLevel::Basic.label());
        let sent = reported.map(|k| matches!(&t.columns[k].1, Values::Bool(b) if b[r] == Some(true)));
        basic && sent == Some(false)
    };
    let all: Vec<usize> = rows.map_or_else(|| (0..t.rows()).collect(), <[usize]>::to_vec);
    let freeze = if name == "法院" { 2 } else { u16::from(name == "城市") };
    frame(ws, name, t, &l, all.len(), View { freeze_cols: freeze, print_cols: shown }, st)?;
    put_rows(ws, t, &zh, &l, 1, Rows { order: Some(&all), unreported: &unreported }, st)
}

/// Every row of a table, none 未报送.
const EVERY_ROW: Rows<'static> = Rows { order: None, unreported: &|_| false };

/// A table as it is, in Chinese, one page wide.
fn plain_sheet(ws: &mut Worksheet, name: &str, t: &Table, st: &Styles) -> Result<(), XlsxError> {
    let zh = in_chinese(t);
    let l = Layout::of(t, (0..t.columns.len()).collect(), &zh);
    frame(ws, name, t, &l, t.rows(), View { freeze_cols: 0, print_cols: l.order.len() }, st)?;
    put_rows(ws, t, &zh, &l, 1, EVERY_ROW, st)
}

/// The city table's rows in the order of each city's intermediate court
/// code (冀01 石家庄 … 冀11 衡水); a city without one after them, by name.
fn city_order(t: &Table, courts: &Courts) -> Vec<usize> {
    let code_of = |city: &str| {
        courts.list.iter().filter(|c| c.level == CourtLevel::Intermediate && c.city.as_deref() == Some(city)).map(|c| c.code.as_str()).min()
    };
    let Some(k) = t.columns.iter().position(|c| c.0 == "city") else { return (0..t.rows()).collect() };
    let mut rows: Vec<(Option<&str>, &str, usize)> = (0..t.rows())
        .map(|r| {
            let city = t.columns[k].1.text_at(r).unwrap_or("");
            (code_of(city), city, r)
        })
        .collect();
    // courts with a code first (None sorts first, so compare is_none)
    rows.sort_by(|a, b| a.0.is_none().cmp(&b.0.is_none()).then_with(|| a.0.cmp(&b.0)).then_with(|| a.1.cmp(b.1)).then_with(|| a.2.cmp(&b.2)));
    rows.into_iter().map(|x| x.2).collect()
}

/// The monthly table with each court's name beside its code.
fn with_court_names(t: &Table, courts: &Courts) -> Table {
    let mut out = t.clone();
    if let Some(k) = t.columns.iter().position(|c| c.0 == "court_code") {
        let names = (0..t.rows()).map(|r| t.columns[k].1.text_at(r).and_then(|code| courts.id(code)).map(|id| courts.get(id).name.clone())).collect();
        out.columns.insert(k + 1, ("court_name", Values::Text(names)));
    }
    out
}

/// 清单: the watch lists case by case, or each court's counts when they are
/// longer than `LIST_ROWS`.
fn lists_sheet(book: &mut Workbook, input: &Input, st: &Styles) -> Result<(), XlsxError> {
    let lists = input.lists;
    if lists.rows > list_rows() {
        return list_counts_sheet(book.add_worksheet_with_constant_memory()?, input, st);
    }
    // one row in memory at a time: a list of 100k rows is 1.5M cells
    let ws = book.add_worksheet_with_constant_memory()?;
    let mut first = 1u32;
    // the columns' layout (and widths) from the first chunk
    let mut layout: Option<Layout> = None;
    for range in &lists.ranges {
        let t = (lists.build)(range.clone()).map_err(XlsxError::IoError)?;
        let zh = in_chinese(&t);
        let l = match &layout {
            Some(l) => l,
            None => {
                let l = layout.insert(Layout::of(&t, (0..t.columns.len()).collect(), &zh));
                frame(ws, "清单", &t, l, lists.rows, View { freeze_cols: 0, print_cols: l.order.len() }, st)?;
                l
            }
        };
        put_rows(ws, &t, &zh, l, first, EVERY_ROW, st)?;
        first += t.rows() as u32;
    }
    Ok(())
}

fn list_counts_sheet(ws: &mut Worksheet, input: &Input, st: &Styles) -> Result<(), XlsxError> {
    let counts = (input.list_counts)();
    let courts = input.courts;
    let mut t = Table::new("watchlist_counts");
    let rows: Vec<(&String, &[u64; 6])> = counts.iter().collect();
    let court = |code: &str| courts.id(code).map(|id| courts.get(id));
    t.text("court_code", rows.iter().map(|r| Some(r.0.clone())).collect())
        .text("court_name", rows.iter().map(|r| court(r.0).map(|c| c.name.clone())).collect())
        .text("city", rows.iter().map(|r| court(r.0).and_then(|c| c.city.clone())).collect());
    let labels: Vec<&'static str> = crate::watchlist::List::ALL.iter().map(|l| l.label()).collect();
    for (k, label) in labels.iter().enumerate() {
        t.int(label, rows.iter().map(|r| Some(r.1[k] as i64)).collect());
    }
    t.int("合计", rows.iter().map(|r| Some(r.1.iter().sum::<u64>() as i64)).collect());
    let l = Layout::of(&t, (0..t.columns.len()).collect(), &t);
    frame(ws, "清单", &t, &l, t.rows(), View { freeze_cols: 2, print_cols: l.order.len() }, st)?;
    put_rows(ws, &t, &t, &l, 1, EVERY_ROW, st)?;
    let note = format!(
        "清单共 {} 行，超过工作簿逐案列出的上限 {} 行：本表为各院各清单的案件数，逐案明细见同一文件夹的 watchlist.csv（或 watchlist.parquet）。",
        input.lists.rows,
        list_rows()
    );
    ws.write_string_with_format(t.rows() as u32 + 2, 0, note, &st.note)?;
    Ok(())
}

/// 数据质量: each file with its rows and what became of them, then the
/// quarantined rows by reason, then the duplicates.
fn quality_sheet(ws: &mut Worksheet, q: &Quality, st: &Styles) -> Result<(), XlsxError> {
    let f: Vec<&crate::normalize::FileEntry> = q.files.iter().map(|a| &a.entry).collect();
    let status = |e: &crate::normalize::FileEntry| match (&e.rejected, &e.skipped) {
        (Some(why), _) => format!("拒收：{why}"),
        (None, Some(why)) => format!("跳过（无表头）：{why}"),
        (None, None) => "已接收".to_string(),
    };
    let mut t = Table::new("data_quality");
    // a sheet of the workbook's own: its columns are named in Chinese
    t.text("文件", f.iter().map(|e| Some(e.file.clone())).collect())
        .text("编码", f.iter().map(|e| e.encoding.and_then(|x| serde_json::to_value(x).ok()).and_then(|v| v.as_str().map(String::from))).collect())
        .int("数据行数", f.iter().map(|e| Some(e.data_records as i64)).collect())
        .int("有效案件数", f.iter().map(|e| Some(e.cases as i64)).collect())
        .int("隔离行数", f.iter().map(|e| Some(e.quarantined as i64)).collect())
        .int("标题行数", f.iter().map(|e| Some(e.title_lines as i64)).collect())
        .text("状态", f.iter().map(|e| Some(status(e))).collect());
    let l = Layout::of(&t, (0..t.columns.len()).collect(), &t);
    frame(ws, "数据质量", &t, &l, t.rows(), View { freeze_cols: 1, print_cols: l.order.len() }, st)?;
    put_rows(ws, &t, &t, &l, 1, EVERY_ROW, st)?;
    let mut row = t.rows() as u32 + 2;
    ws.write_string_with_format(row, 0, "隔离原因", &st.header)?;
    ws.write_string_with_format(row, 1, "隔离行数", &st.header)?;
    // in the contract's order of the checks (§5.1)
    for reason in crate::domain::QuarantineReason::ALL {
        row += 1;
        ws.write_string(row, 0, reason.label())?;
        ws.write_number(row, 1, q.by_reason.get(reason.code()).copied().unwrap_or(0) as f64)?;
    }
    row += 1;
    ws.write_string(row, 0, "合计")?;
    ws.write_number(row, 1, q.by_reason.values().sum::<u64>() as f64)?;
    row += 2;
    for (label, n) in
        [("重复报送的案号数", q.duplicate_keys), ("删除的重复版本数", q.duplicates_dropped), ("立案日期不一致的重复案号数", q.duplicate_conflicts)]
    {
        ws.write_string(row, 0, label)?;
        ws.write_number(row, 1, n as f64)?;
        row += 1;
    }
    Ok(())
}
