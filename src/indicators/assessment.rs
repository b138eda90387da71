//! Reference intervals (合理区间, §14): since 2024 the Supreme People's
//! Court assesses a figure by whether it lies within an interval (达标), not
//! by rank. One row per unit and interval, the units those of the
//! indicators tables.

use super::columns::{self, COLUMNS};
use super::{Figures, Indicators};
use crate::reference::Courts;

/// An interval on one column of §7, bounds included; either may be open.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub column: &'static str,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

impl Interval {
    /// Within the interval (bounds included); `None` for a null value.
    pub fn meets(&self, value: Option<f64>) -> Option<bool> {
        let v = value?;
        Some(self.min.is_none_or(|lo| v >= lo) && self.max.is_none_or(|hi| v <= hi))
    }
}

/// A unit of the indicators tables, as §14 and §15 name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum UnitKind {
    Court,
    City,
    Province,
}

impl UnitKind {
    pub fn code(self) -> &'static str {
        match self {
            UnitKind::Court => "court",
            UnitKind::City => "city",
            UnitKind::Province => "province",
        }
    }
}

/// Every unit of the tables with its figures, in the tables' order:
/// courts by code, cities by name, then the province.
pub fn units<'a>(ind: &'a Indicators, courts: &'a Courts) -> impl Iterator<Item = (UnitKind, String, &'a Figures)> + 'a {
    let court_rows = ind.courts.iter().map(|c| (UnitKind::Court, courts.get(c.court).code.clone(), &c.figures));
    let city_rows = ind.cities.iter().map(|c| (UnitKind::City, c.city.clone(), &c.figures));
    court_rows.chain(city_rows).chain(std::iter::once((UnitKind::Province, "province".to_string(), &ind.province)))
}

/// One row of `indicators_assessment`.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    pub kind: UnitKind,
    pub unit: String,
    pub interval: Interval,
    pub value: Option<f64>,
    pub meets: Option<bool>,
}

/// Each unit against each interval (`intervals` in §7's column order).
pub fn assess(ind: &Indicators, courts: &Courts, intervals: &[Interval]) -> Vec<Assessment> {
    let mut out = Vec::new();
    for (kind, unit, figures) in units(ind, courts) {
        for i in intervals {
            let value = COLUMNS.iter().find(|c| c.name == i.column).and_then(|c| columns::Value::number((c.value)(figures)));
            out.push(Assessment { kind, unit: unit.clone(), interval: *i, value, meets: i.meets(value) });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_bounds_are_inside_and_a_null_value_meets_nothing() {
        let i = Interval { column: "completion_rate", min: Some(0.3), max: Some(0.5) };
        assert_eq!(i.meets(Some(0.3)), Some(true));
        assert_eq!(i.meets(Some(0.5)), Some(true));
        assert_eq!(i.meets(Some(0.299_999)), Some(false));
        assert_eq!(i.meets(Some(0.500_001)), Some(false));
        assert_eq!(i.meets(None), None);
        let open_above = Interval { column: "completion_rate", min: Some(0.3), max: None };
        assert_eq!(open_above.meets(Some(1e9)), Some(true));
        let open_below = Interval { column: "disposition_days", min: None, max: Some(180.0) };
        assert_eq!((open_below.meets(Some(180.0)), open_below.meets(Some(180.5))), (Some(true), Some(false)));
    }
}
