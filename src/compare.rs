//! §15, the same period last year (同比): every unit's figures and ranks
//! beside the same figures one year earlier — recomputed from the same
//! deduplicated cases for the shifted period, exactly as §4 turns the
//! exports into an earlier snapshot, or read from an earlier run's
//! published tables (`--baseline DIR`).

use crate::indicators::columns::{Kind, Value, COLUMNS};
use crate::indicators::{Indicators, Period, UnitKind};
use crate::rank::Rankings;
use crate::reference::{CourtLevel, Courts};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// A figure held exactly: counts and ranks as whole numbers, amounts in
/// fen, so that a change is exact too.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Num {
    Int(i64),
    Float(f64),
    Fen(i128),
}

impl Num {
    /// As the table writes it: amounts in yuan.
    pub fn number(self) -> f64 {
        match self {
            Num::Int(n) => n as f64,
            Num::Float(f) => f,
            // exact to the conversion's one rounding, as the tables write it
            Num::Fen(f) => f as f64 / 100.0,
        }
    }

    fn minus(self, other: Num) -> f64 {
        match (self, other) {
            (Num::Int(a), Num::Int(b)) => (i128::from(a) - i128::from(b)) as f64,
            (Num::Fen(a), Num::Fen(b)) => (a - b) as f64 / 100.0,
            (a, b) => a.number() - b.number(),
        }
    }
}

/// The rank columns of §8 a unit of `kind` has in the tables.
pub fn rank_columns(kind: UnitKind) -> &'static [&'static str] {
    const COURT: &[&str] = &[
        "rank_completion",
        "rank_contract_completion",
        "rank_in_term",
        "city_rank_completion",
        "city_rank_contract_completion",
        "city_rank_in_term",
    ];
    match kind {
        UnitKind::Court => COURT,
        UnitKind::City => &COURT[..3],
        UnitKind::Province => &[],
    }
}

/// The compared columns of a unit of `kind`, in order: §7's, then the ranks.
pub fn compared(kind: UnitKind) -> impl Iterator<Item = &'static str> {
    COLUMNS.iter().map(|c| c.name).chain(rank_columns(kind).iter().copied())
}

/// Every unit's compared figures, by unit, each in `compared` order.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    units: Vec<(UnitKind, String)>,
    values: HashMap<(UnitKind, String), Vec<Option<Num>>>,
}

impl Snapshot {
    /// The figures and ranks a run computed (ranks of the courts that are
    /// ranked: intermediate and high courts have none).
    pub fn of(ind: &Indicators, ranks: &Rankings, courts: &Courts) -> Snapshot {
        let figure = |v: Value| match v {
            Value::Int(n) => Some(Num::Int(n as i64)),
            Value::Float(f) => f.map(Num::Float),
            Value::Fen(f) => Some(Num::Fen(f)),
        };
        let standing_values = |s: Option<&crate::rank::Standing>, kind: UnitKind| -> Vec<Option<Num>> {
            let rank = |r: Option<u32>| r.map(|r| Num::Int(i64::from(r)));
            let Some(s) = s else { return vec![None; rank_columns(kind).len()] };
            let all = s.rank.iter().chain(&s.city_rank).map(|r| rank(*r));
            all.take(rank_columns(kind).len()).collect()
        };
        let mut out = Snapshot::default();
        for (i, c) in ind.courts.iter().enumerate() {
            let basic = courts.get(c.court).level == CourtLevel::Basic;
            let mut v: Vec<_> = COLUMNS.iter().map(|col| figure((col.value)(&c.figures))).collect();
            v.extend(standing_values(ranks.courts.get(i).filter(|_| basic), UnitKind::Court));
            out.insert(UnitKind::Court, courts.get(c.court).code.clone(), v);
        }
        for (i, c) in ind.cities.iter().enumerate() {
            let mut v: Vec<_> = COLUMNS.iter().map(|col| figure((col.value)(&c.figures))).collect();
            v.extend(standing_values(ranks.cities.get(i), UnitKind::City));
            out.insert(UnitKind::City, c.city.clone(), v);
        }
        out.insert(UnitKind::Province, "province".into(), COLUMNS.iter().map(|col| figure((col.value)(&ind.province))).collect());
        out
    }

    fn insert(&mut self, kind: UnitKind, unit: String, values: Vec<Option<Num>>) {
        self.units.push((kind, unit.clone()));
        self.values.insert((kind, unit), values);
    }

    fn get(&self, kind: UnitKind, unit: &str) -> Option<&[Option<Num>]> {
        self.values.get(&(kind, unit.to_string())).map(Vec::as_slice)
    }
}

/// The period one year earlier: both ends back twelve calendar months
/// (29 February becomes 28 February).
pub fn shifted(p: &Period) -> Period {
    let back = |d: chrono::NaiveDate| d.checked_sub_months(chrono::Months::new(12)).unwrap_or(d);
    Period { from: back(p.from), as_of: back(p.as_of) }
}

/// One row of `indicators_comparison`.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub kind: UnitKind,
    pub unit: String,
    pub indicator: &'static str,
    pub value: Option<f64>,
    pub previous: Option<f64>,
    /// `value − previous`, exact for counts, ranks and amounts
    pub change: Option<f64>,
}

/// Where the comparison's `previous` came from, for the manifest and the
/// report.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    PreviousYear(Period),
    Baseline(PathBuf),
}

impl Source {
    /// As `run.json` records it.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Source::PreviousYear(p) => {
                serde_json::json!({ "source": "previous_year", "period_from": p.from.to_string(), "as_of": p.as_of.to_string() })
            }
            Source::Baseline(dir) => serde_json::json!({ "source": "baseline", "baseline": dir.display().to_string() }),
        }
    }
}

/// The comparison (§15), its rows in the tables' unit order.
#[derive(Debug, Clone)]
pub struct Comparison {
    pub source: Source,
    pub rows: Vec<Row>,
}

impl Comparison {
    /// Each unit of `now`, each compared column, against `then` (a unit or a
    /// column `then` lacks gives an empty `previous`).
    pub fn of(now: &Snapshot, then: &Snapshot, source: Source) -> Comparison {
        let mut rows = Vec::new();
        for (kind, unit) in &now.units {
            let (Some(values), previous) = (now.get(*kind, unit), then.get(*kind, unit)) else { continue };
            for (k, indicator) in compared(*kind).enumerate() {
                let value = values.get(k).copied().flatten();
                let previous = previous.and_then(|p| p.get(k).copied().flatten());
                let change = value.zip(previous).map(|(v, p)| v.minus(p));
                rows.push(Row {
                    kind: *kind,
                    unit: unit.clone(),
                    indicator,
                    value: value.map(Num::number),
                    previous: previous.map(Num::number),
                    change,
                });
            }
        }
        Comparison { source, rows }
    }
}

/// What `indicators_comparison` compares with (§15).
#[derive(Debug, Clone, PartialEq)]
pub enum CompareWith {
    /// no comparison (`compare = false`)
    Nothing,
    /// the same figures recomputed for the period one year earlier
    PreviousYear,
    /// an earlier run's published tables
    Baseline(PathBuf),
}

/// How this run counted and ranked, for the same count a year back.
pub struct Counting<'a> {
    pub period: &'a Period,
    pub definitions: &'a crate::indicators::Definitions,
    pub ranking: crate::rank::RankSettings,
    pub incomplete: &'a crate::indicators::Incomplete,
}

/// The comparison asked for (§15), or `None` with `compare = false`: the
/// previous year recomputed from the run's own cases (counted and ranked as
/// this run counts and ranks), or a baseline run's tables.
pub fn compare(
    with: &CompareWith,
    how: &Counting,
    cases: &[crate::domain::Case],
    courts: &Courts,
    figures: &Indicators,
    ranks: &Rankings,
) -> Result<Option<Comparison>, BaselineError> {
    let now = Snapshot::of(figures, ranks, courts);
    match with {
        CompareWith::Nothing => Ok(None),
        CompareWith::PreviousYear => {
            let period = shifted(how.period);
            let then = crate::indicators::compute(cases, courts, &period, how.definitions, how.incomplete);
            let then_ranks = crate::rank::rank(&then, courts, &how.ranking);
            Ok(Some(Comparison::of(&now, &Snapshot::of(&then, &then_ranks, courts), Source::PreviousYear(period))))
        }
        CompareWith::Baseline(dir) => Ok(Some(Comparison::of(&now, &read_baseline(dir)?, Source::Baseline(dir.clone())))),
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{}", self.message(crate::messages::Lang::En))]
pub struct BaselineError {
    pub dir: String,
    pub message: String,
}

impl BaselineError {
    pub fn message(&self, lang: crate::messages::Lang) -> String {
        crate::messages::Msg::ErrBaseline.say(lang, &[&self.dir, &self.message])
    }
}

/// An earlier run's published indicators tables (`--baseline DIR`), read
/// from their CSV files under English or Chinese headers.
pub fn read_baseline(dir: &Path) -> Result<Snapshot, BaselineError> {
    let err = |message: String| BaselineError { dir: dir.display().to_string(), message };
    let mut out = Snapshot::default();
    for (kind, table, key) in [
        (UnitKind::Court, "indicators_court", "court_code"),
        (UnitKind::City, "indicators_city", "city"),
        (UnitKind::Province, "indicators_province", ""),
    ] {
        let path = dir.join(format!("{table}.csv"));
        let text = std::fs::read_to_string(&path).map_err(|e| err(format!("cannot read {}: {e}", path.display())))?;
        let mut rdr = csv::ReaderBuilder::new().from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        let headers: Vec<String> =
            rdr.headers().map_err(|e| err(format!("{table}.csv: {e}")))?.iter().map(|h| crate::labels::english(h).to_string()).collect();
        let at = |name: &str| headers.iter().position(|h| h == name);
        let key_at = if key.is_empty() { None } else { Some(at(key).ok_or_else(|| err(format!("{table}.csv has no column {key}")))?) };
        let columns: Vec<(Option<usize>, &str)> = compared(kind).map(|c| (at(c), c)).collect();
        for (line, record) in rdr.records().enumerate() {
            let record = record.map_err(|e| err(format!("{table}.csv line {}: {e}", line + 2)))?;
            let unit = key_at.and_then(|k| record.get(k)).unwrap_or("province").to_string();
            let values = columns.iter().map(|(j, name)| j.and_then(|j| record.get(j)).and_then(|cell| parse_num(name, cell))).collect();
            out.insert(kind, unit, values);
        }
    }
    Ok(out)
}

/// A published cell as the figure it holds; empty or unreadable is null.
fn parse_num(column: &str, cell: &str) -> Option<Num> {
    let cell = cell.trim();
    if cell.is_empty() {
        return None;
    }
    match crate::indicators::columns::column(column).map(|c| c.kind()) {
        Some(Kind::Amount) => parse_fen(cell).map(Num::Fen),
        Some(Kind::Float) => cell.parse().ok().map(Num::Float),
        // counts and ranks
        _ => cell.parse().ok().map(Num::Int),
    }
}

/// `1234.56` (as the tables write amounts) in fen, exactly.
fn parse_fen(cell: &str) -> Option<i128> {
    let (neg, digits) = cell.strip_prefix('-').map_or((false, cell), |d| (true, d));
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() || frac.len() > 2 || !whole.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let fen = whole.parse::<i128>().ok()? * 100 + format!("{frac:0<2}").parse::<i128>().ok()?;
    Some(if neg { -fen } else { fen })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn the_shifted_period_is_one_year_back_and_29_february_becomes_28() {
        let p = shifted(&Period { from: d("2024-02-29"), as_of: d("2024-08-22") });
        assert_eq!((p.from, p.as_of), (d("2023-02-28"), d("2023-08-22")));
        let p = shifted(&Period { from: d("2023-01-01"), as_of: d("2024-02-29") });
        assert_eq!((p.from, p.as_of), (d("2022-01-01"), d("2023-02-28")));
    }

    #[test]
    fn changes_are_exact_for_amounts_and_counts_and_empty_when_either_is_null() {
        assert_eq!(Num::Fen(30).minus(Num::Fen(10)), 0.2);
        assert_eq!(Num::Int(3).minus(Num::Int(5)), -2.0);
        assert_eq!(parse_fen("1234.5"), Some(123_450));
        assert_eq!(parse_fen("-0.07"), Some(-7));
        assert_eq!(parse_fen("1e3"), None);
        let mut now = Snapshot::default();
        now.insert(UnitKind::Province, "province".into(), compared(UnitKind::Province).map(|_| Some(Num::Int(4))).collect());
        let mut then = Snapshot::default();
        let mut v: Vec<Option<Num>> = compared(UnitKind::Province).map(|_| Some(Num::Int(1))).collect();
        v[0] = None;
        then.insert(UnitKind::Province, "province".into(), v);
        let c = Comparison::of(&now, &then, Source::Baseline(PathBuf::new()));
        assert_eq!(c.rows.len(), COLUMNS.len());
        assert_eq!((c.rows[0].previous, c.rows[0].change), (None, None));
        assert_eq!((c.rows[1].value, c.rows[1].previous, c.rows[1].change), (Some(4.0), Some(1.0), Some(3.0)));
        // a unit the baseline lacks: every previous empty
        let c = Comparison::of(&now, &Snapshot::default(), Source::Baseline(PathBuf::new()));
        assert!(c.rows.iter().all(|r| r.previous.is_none() && r.change.is_none()));
    }
}
