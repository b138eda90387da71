//! `courtstat explain OUT_DIR UNIT INDICATOR [--part numerator|denominator]
//! [--month YYYY-MM]` (§12): the cases behind one published figure, read
//! from the published folder alone (its `cases.parquet` and `run.json`), so
//! that a county court disputing its rank can be shown every case its
//! figure counts. The cases are chosen by the same `indicators::Facts` the
//! figures were counted with, under the run's own period and definitions.
//! The only module that reads Parquet (arrow-rs' `parquet` crate).

use crate::indicators::columns::{Amount, Cases, COLUMNS, MONTHLY};
use crate::indicators::{Counted, Definitions, Facts, Period};
use crate::output::table::Table;
use chrono::{Datelike, NaiveDate};
use parquet::column::reader::ColumnReader;
use parquet::file::reader::{FileReader, RowGroupReader, SerializedFileReader};
use std::path::Path;

pub const USAGE_EXAMPLES: &str = "Examples:
  courtstat explain out/hebei 冀0821 completion_rate
  courtstat explain out/hebei 冀0821 completion_rate --part denominator
  courtstat explain out/hebei 承德市 claim_amount
  courtstat explain out/hebei province overdue_pending
  courtstat explain out/hebei 冀0821 closed --month 2023-03

Prints the cases as CSV (UTF-8 with BOM) on standard output. Exit codes: 0
the cases listed; 1 the folder holds no published run (or one without the
columns needed); 2 an unknown unit, indicator or part.";

/// Which part of a ratio to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Part {
    Numerator,
    Denominator,
}

#[derive(Debug, thiserror::Error)]
pub enum ExplainError {
    /// an unknown unit, indicator, part or month (exit 2)
    #[error("{0}")]
    Usage(Said),
    /// the folder holds no published run it can read (exit 1)
    #[error("{0}")]
    NoRun(Said),
}

use crate::messages::{Lang, Msg, Said};

impl ExplainError {
    pub fn message(&self, lang: Lang) -> String {
        match self {
            ExplainError::Usage(s) | ExplainError::NoRun(s) => s.in_lang(lang),
        }
    }
}

/// What to list, resolved against the published run.
pub struct Question {
    pub unit: Unit,
    pub cases: Cases,
    pub denominator: bool,
    /// the first day of the month, with `--month`
    pub month: Option<NaiveDate>,
    pub period: Period,
    pub definitions: Definitions,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unit {
    Court(String),
    City(String),
    Province,
}

/// The cases behind the figure, as a table (`case_no` order), and the sum
/// of the amount the figure sums, when it sums one (in fen).
pub fn explain(dir: &Path, unit: &str, indicator: &str, part: Option<Part>, month: Option<&str>) -> Result<(Table, Option<i128>), ExplainError> {
    let q = question(dir, unit, indicator, part, month)?;
    read_cases(dir, &q)
}

/// Resolves the arguments against the folder's run.
pub fn question(dir: &Path, unit: &str, indicator: &str, part: Option<Part>, month: Option<&str>) -> Result<Question, ExplainError> {
    let no_run = |why: String| ExplainError::NoRun(Said::new(Msg::ExNoRun, &[&dir.display(), &why]));
    let manifest: serde_json::Value = std::fs::read(dir.join("run.json"))
        .map_err(|e| no_run(format!("run.json: {e}")))
        .and_then(|b| serde_json::from_slice(&b).map_err(|e| no_run(format!("run.json: {e}"))))?;
    let settings = &manifest["settings"];
    let date = |k: &str| settings[k].as_str().and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok());
    let (Some(from), Some(as_of)) = (date("from"), date("as_of")) else { return Err(no_run("run.json names no period".into())) };
    let period = Period { from, as_of };
    let definitions = match settings.get("definitions") {
        Some(d) => Definitions::from_json(d).ok_or_else(|| no_run("run.json's definitions do not read".into()))?,
        None => Definitions::default(),
    };
    let month = match month {
        None => None,
        Some(m) => {
            let first = NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d")
                .map_err(|_| ExplainError::Usage(Said::new(Msg::ExMonthForm, &[&format!("{m:?}")])))?;
            let months = crate::indicators::months_of(&period);
            if !months.contains(&first) {
                return Err(ExplainError::Usage(Said::new(Msg::ExMonthOutside, &[&m, &from, &as_of])));
            }
            Some(first)
        }
    };
    let cases = match month {
        Some(_) => MONTHLY.iter().find(|(n, _)| *n == indicator).map(|(_, c)| *c).ok_or_else(|| {
            let names: Vec<&str> = MONTHLY.iter().map(|(n, _)| *n).collect();
            ExplainError::Usage(Said::new(Msg::ExMonthlyIndicator, &[&format!("{indicator:?}"), &names.join(", ")]))
        })?,
        None => crate::indicators::columns::column(indicator).map(|c| c.cases).ok_or_else(|| {
            let names: Vec<&str> = COLUMNS.iter().map(|c| c.name).collect();
            ExplainError::Usage(Said::new(Msg::ExIndicator, &[&format!("{indicator:?}"), &names.join(", ")]))
        })?,
    };
    let denominator = part == Some(Part::Denominator);
    if part.is_some() && !cases.has_parts() {
        return Err(ExplainError::Usage(Said::new(Msg::ExNotRatio, &[&indicator])));
    }
    let unit = resolve_unit(dir, unit)?;
    Ok(Question { unit, cases, denominator, month, period, definitions })
}

/// A unit of the published tables: a court code, a city, or `province`.
fn resolve_unit(dir: &Path, unit: &str) -> Result<Unit, ExplainError> {
    if unit == "province" {
        return Ok(Unit::Province);
    }
    let first_column = |table: &str| -> Result<Vec<String>, ExplainError> {
        let path = dir.join(format!("{table}.csv"));
        let bytes = std::fs::read(&path).map_err(|e| ExplainError::NoRun(Said::new(Msg::ExUnreadable, &[&path.display(), &e])))?;
        let mut r = csv::Reader::from_reader(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes));
        Ok(r.records().filter_map(Result::ok).filter_map(|rec| rec.get(0).map(String::from)).collect())
    };
    let courts = first_column("indicators_court")?;
    if courts.iter().any(|c| c == unit) {
        return Ok(Unit::Court(unit.to_string()));
    }
    let cities = first_column("indicators_city")?;
    if cities.iter().any(|c| c == unit) {
        return Ok(Unit::City(unit.to_string()));
    }
    let shown: Vec<&str> = courts.iter().take(8).map(String::as_str).collect();
    Err(ExplainError::Usage(Said::new(Msg::ExUnit, &[&format!("{unit:?}"), &shown.join(", "), &courts.len(), &cities.join(", ")])))
}

/// The columns read from `cases.parquet`, in the output's order (`days`
/// is worked out, `executed_flag` read when the run had it).
const READ: [&str; 16] = [
    "case_no",
    "court_code",
    "court_name",
    "city",
    "type_code",
    "filing_date",
    "deadline",
    "closing_date",
    "closure_method",
    "cause",
    "cause_category",
    "involves_enterprise",
    "claim_amount",
    "recovered_amount",
    "source_file",
    "source_line",
];

/// One column of one row group, as read.
enum Col {
    Text(Vec<Option<String>>),
    Date(Vec<Option<NaiveDate>>),
    Int(Vec<Option<i64>>),
    Float(Vec<Option<f64>>),
    Bool(Vec<Option<bool>>),
}

fn read_column(rg: &dyn RowGroupReader, j: usize, rows: usize) -> parquet::errors::Result<Col> {
    let mut defs = Vec::new();
    macro_rules! read {
        ($r:expr, $map:expr, $variant:ident) => {{
            let mut r = $r;
            let mut values = Vec::new();
            r.read_records(rows, Some(&mut defs), None, &mut values)?;
            let mut it = values.into_iter();
            Col::$variant(defs.iter().map(|&d| if d == 0 { None } else { it.next().map($map) }).collect())
        }};
    }
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    Ok(match rg.get_column_reader(j)? {
        ColumnReader::ByteArrayColumnReader(r) => read!(r, |v: parquet::data_type::ByteArray| String::from_utf8_lossy(v.data()).into_owned(), Text),
        ColumnReader::Int32ColumnReader(r) => read!(r, |v: i32| epoch + chrono::TimeDelta::days(i64::from(v)), Date),
        ColumnReader::Int64ColumnReader(r) => read!(r, |v: i64| v, Int),
        ColumnReader::DoubleColumnReader(r) => read!(r, |v: f64| v, Float),
        ColumnReader::BoolColumnReader(r) => read!(r, |v: bool| v, Bool),
        _ => return Err(parquet::errors::ParquetError::General(format!("column {j}: a type courtstat does not write"))),
    })
}

/// Whether a row group may hold the unit's rows, by its statistics.
fn may_hold(rg: &parquet::file::metadata::RowGroupMetaData, column: Option<usize>, value: &str) -> bool {
    let Some(j) = column else { return true };
    match rg.column(j).statistics() {
        Some(s) => match (s.min_bytes_opt(), s.max_bytes_opt()) {
            (Some(lo), Some(hi)) => lo <= value.as_bytes() && value.as_bytes() <= hi,
            _ => true,
        },
        None => true,
    }
}

fn read_cases(dir: &Path, q: &Question) -> Result<(Table, Option<i128>), ExplainError> {
    let path = dir.join("cases.parquet");
    let no_run = |why: String| ExplainError::NoRun(Said::new(Msg::ExUnreadable, &[&path.display(), &why]));
    let file = std::fs::File::open(&path).map_err(|e| no_run(e.to_string()))?;
    let reader = SerializedFileReader::new(file).map_err(|e| no_run(e.to_string()))?;
    let schema = reader.metadata().file_metadata().schema_descr_ptr();
    let index = |name: &str| schema.columns().iter().position(|c| c.name() == name);
    let at: Vec<usize> = READ
        .iter()
        .map(|n| index(n).ok_or_else(|| ExplainError::NoRun(Said::new(Msg::ExOlderRun, &[&path.display(), n]))))
        .collect::<Result<_, _>>()?;
    let flag_at = index("executed_flag");
    let (set, amount) = q.cases.part(q.denominator);
    let (filter_at, filter) = match &q.unit {
        Unit::Court(c) => (Some(at[1]), Some(c.as_str())),
        Unit::City(c) => (Some(at[3]), Some(c.as_str())),
        Unit::Province => (None, None),
    };
    let mut out = Rows::default();
    let contract = q.definitions.contract_category.as_str();
    for g in 0..reader.metadata().num_row_groups() {
        let meta = reader.metadata().row_group(g);
        if filter.is_some_and(|f| !may_hold(meta, filter_at, f)) {
            continue;
        }
        let rg = reader.get_row_group(g).map_err(|e| no_run(e.to_string()))?;
        let n = meta.num_rows() as usize;
        let mut cols: Vec<Col> = Vec::with_capacity(at.len());
        for &j in &at {
            cols.push(read_column(rg.as_ref(), j, n).map_err(|e| no_run(e.to_string()))?);
        }
        let flags = match flag_at {
            Some(j) => Some(read_column(rg.as_ref(), j, n).map_err(|e| no_run(e.to_string()))?),
            None => None,
        };
        let text = |k: usize, i: usize| if let Col::Text(v) = &cols[k] { v[i].as_deref() } else { None };
        let date = |k: usize, i: usize| if let Col::Date(v) = &cols[k] { v[i] } else { None };
        let float = |k: usize, i: usize| if let Col::Float(v) = &cols[k] { v[i] } else { None };
        let boolean = |k: usize, i: usize| if let Col::Bool(v) = &cols[k] { v[i] } else { None };
        let fen = |yuan: Option<f64>| yuan.map(|y| (y * 100.0).round() as i64);
        for i in 0..n {
            if let Some(f) = filter {
                if text(if filter_at == Some(at[1]) { 1 } else { 3 }, i) != Some(f) {
                    continue;
                }
            }
            let (Some(filing), Some(type_code)) = (date(5, i), text(4, i).and_then(crate::domain::TypeCode::new)) else {
                return Err(no_run(format!("row group {g}, row {i}: no filing date or type code")));
            };
            let method = text(8, i).and_then(|m| crate::domain::ClosureMethod::ALL.into_iter().find(|x| x.label() == m));
            let c = Counted {
                filing,
                closing: date(7, i),
                deadline: date(6, i),
                type_code,
                method,
                contract: text(10, i) == Some(contract),
                enterprise: boolean(11, i).unwrap_or(false),
                claim: fen(float(12, i)),
                recovered: fen(float(13, i)),
                executed_flag: flags.as_ref().and_then(|f| if let Col::Bool(v) = f { v[i] } else { None }),
            };
            let Some(facts) = Facts::of(&c, &q.period, &q.definitions) else { continue };
            if !facts.has(set) {
                continue;
            }
            if let Some(m) = q.month {
                // filings count in their month, closings in theirs
                let day = if set == crate::indicators::Count::Filed { Some(c.filing) } else { c.closing };
                if day.is_none_or(|d| (d.year(), d.month()) != (m.year(), m.month())) {
                    continue;
                }
            }
            let days = c.closing.filter(|d| *d <= q.period.as_of).map(|d| (d - c.filing).num_days());
            out.push(&cols, i, days);
            if let Some(a) = amount {
                let v = if a == Amount::Claim { c.claim } else { c.recovered };
                out.sum += i128::from(v.unwrap_or(0));
            }
        }
    }
    let sum = amount.map(|_| out.sum);
    Ok((out.table(), sum))
}

/// The listed rows, column by column.
#[derive(Default)]
struct Rows {
    text: [Vec<Option<String>>; 16],
    dates: [Vec<Option<NaiveDate>>; 3],
    amounts: [Vec<Option<i128>>; 2],
    flags: Vec<Option<bool>>,
    lines: Vec<Option<i64>>,
    days: Vec<Option<i64>>,
    sum: i128,
}

impl Rows {
    fn push(&mut self, cols: &[Col], i: usize, days: Option<i64>) {
        for (k, col) in cols.iter().enumerate() {
            match col {
                Col::Text(v) => self.text[k].push(v[i].clone()),
                Col::Date(v) => self.dates[[5, 6, 7].iter().position(|&x| x == k).unwrap_or(0)].push(v[i]),
                Col::Float(v) => self.amounts[usize::from(k == 13)].push(v[i].map(|y| (y * 100.0).round() as i128)),
                Col::Bool(v) => self.flags.push(v[i]),
                Col::Int(v) => self.lines.push(v[i]),
            }
        }
        self.days.push(days);
    }

    fn table(self) -> Table {
        let Rows { mut text, dates, amounts, flags, lines, days, .. } = self;
        let [filing, deadline, closing] = dates;
        let [claim, recovered] = amounts;
        let mut take = |k: usize| std::mem::take(&mut text[k]);
        let mut t = Table::new("explain");
        t.text("case_no", take(0))
            .text("court_code", take(1))
            .text("court_name", take(2))
            .text("city", take(3))
            .text("type_code", take(4))
            .date("filing_date", filing)
            .date("deadline", deadline)
            .date("closing_date", closing)
            .text("closure_method", take(8))
            .text("cause", take(9))
            .text("cause_category", take(10))
            .boolean("involves_enterprise", flags)
            .yuan("claim_amount", claim)
            .yuan("recovered_amount", recovered)
            .int("days", days)
            .text("source_file", take(14))
            .int("source_line", lines);
        t
    }
}
