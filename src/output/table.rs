//! A small typed, column-oriented table: what every output is built as, so
//! that the CSV and the Parquet writer format one thing in one place each.

use chrono::NaiveDate;

#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    Text(Vec<Option<String>>),
    /// repeated text (court names, file names, causes): each row an index
    /// into `dict`, so a million rows share a handful of strings
    Dict {
        dict: Vec<String>,
        codes: Vec<Option<u32>>,
    },
    /// distinct text per row packed in one buffer (case numbers): row `i` is
    /// `buf[start..end]` of `spans[i]`, one allocation for the whole column
    Packed {
        buf: String,
        spans: Vec<Option<(usize, usize)>>,
    },
    Int(Vec<Option<i64>>),
    /// rates and day counts: Float64
    Float(Vec<Option<f64>>),
    /// amounts, exact in fen: two decimals of yuan in CSV, Float64 yuan in Parquet
    Yuan(Vec<Option<i128>>),
    Date(Vec<Option<NaiveDate>>),
    Bool(Vec<Option<bool>>),
}

impl Values {
    /// The text of row `row` for the three text layouts; `None` for null or
    /// for a column that is not text.
    pub fn text_at(&self, row: usize) -> Option<&str> {
        match self {
            Values::Text(x) => x[row].as_deref(),
            Values::Dict { dict, codes } => codes[row].and_then(|c| dict.get(c as usize)).map(String::as_str),
            Values::Packed { buf, spans } => spans[row].map(|(s, e)| &buf[s..e]),
            _ => None,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Values::Text(v) => v.len(),
            Values::Dict { codes, .. } => codes.len(),
            Values::Packed { spans, .. } => spans.len(),
            Values::Int(v) => v.len(),
            Values::Float(v) => v.len(),
            Values::Yuan(v) => v.len(),
            Values::Date(v) => v.len(),
            Values::Bool(v) => v.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// An amount as Parquet stores it: Float64 yuan (both Parquet writers).
pub fn yuan(fen: i128) -> f64 {
    // i128 to f64 is a library call (1% of the write stage). Below 2^85 the
    // high part times 2^32 is exact, so the one rounding of the sum is the
    // conversion's own. (Converting through i64 when the value fits was
    // folded by the compiler back into the i128 call.)
    let (high, low) = (fen >> 32, (fen & 0xFFFF_FFFF) as i64);
    let value = if high.unsigned_abs() < 1 << 53 { high as i64 as f64 * 4_294_967_296.0 + low as f64 } else { fen as f64 };
    value / 100.0
}

/// A date as Parquet stores it: days since 1970-01-01 (Date32).
pub fn days_since_epoch(d: NaiveDate) -> i32 {
    // 1970-01-01 is day 719,163 of the common era; chrono's subtraction of
    // two dates cost 6% of the write stage
    chrono::Datelike::num_days_from_ce(&d) - 719_163
}

#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub name: &'static str,
    pub columns: Vec<(&'static str, Values)>,
}

impl Table {
    pub fn new(name: &'static str) -> Self {
        Table { name, columns: Vec::new() }
    }
    pub fn rows(&self) -> usize {
        self.columns.first().map_or(0, |c| c.1.len())
    }
    pub fn text(&mut self, name: &'static str, v: Vec<Option<String>>) -> &mut Self {
        self.columns.push((name, Values::Text(v)));
        self
    }
    pub fn dict(&mut self, name: &'static str, dict: Vec<String>, codes: Vec<Option<u32>>) -> &mut Self {
        self.columns.push((name, Values::Dict { dict, codes }));
        self
    }
    pub fn packed(&mut self, name: &'static str, buf: String, spans: Vec<Option<(usize, usize)>>) -> &mut Self {
        self.columns.push((name, Values::Packed { buf, spans }));
        self
    }
    pub fn int(&mut self, name: &'static str, v: Vec<Option<i64>>) -> &mut Self {
        self.columns.push((name, Values::Int(v)));
        self
    }
    pub fn float(&mut self, name: &'static str, v: Vec<Option<f64>>) -> &mut Self {
        self.columns.push((name, Values::Float(v)));
        self
    }
    pub fn yuan(&mut self, name: &'static str, v: Vec<Option<i128>>) -> &mut Self {
        self.columns.push((name, Values::Yuan(v)));
        self
    }
    pub fn date(&mut self, name: &'static str, v: Vec<Option<NaiveDate>>) -> &mut Self {
        self.columns.push((name, Values::Date(v)));
        self
    }
    pub fn boolean(&mut self, name: &'static str, v: Vec<Option<bool>>) -> &mut Self {
        self.columns.push((name, Values::Bool(v)));
        self
    }
}

/// A table too large to hold whole as columns (the case, duplicates and
/// quarantine tables): built `chunk_rows` rows at a time, once per format,
/// each chunk one Parquet row group.
pub struct Chunked<'a> {
    pub name: &'static str,
    pub rows: usize,
    pub chunk_rows: usize,
    /// the table's rows in `range`, in output order
    pub build: Box<dyn Fn(std::ops::Range<usize>) -> Table + Sync + 'a>,
}

impl Chunked<'_> {
    /// The chunks' row ranges in order; at least one (empty for no rows).
    pub fn ranges(&self) -> impl Iterator<Item = std::ops::Range<usize>> + Send + '_ {
        let size = self.chunk_rows.max(1);
        (0..self.rows.div_ceil(size).max(1)).map(move |k| k * size..((k + 1) * size).min(self.rows))
    }

    /// The chunks in order; at least one (an empty table has its columns).
    pub fn chunks(&self) -> impl Iterator<Item = Table> + Send + '_ {
        self.ranges().map(move |r| (self.build)(r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_rounds_as_the_i128_division_does() {
        for fen in [0, 1, -1, 12_345, 9_007_199_254_740_993, i128::from(i64::MAX), i128::from(i64::MIN), i128::from(i64::MAX) + 1, i128::MAX] {
            assert_eq!(yuan(fen).to_bits(), (fen as f64 / 100.0).to_bits(), "{fen}");
        }
    }

    proptest::proptest! {
        #[test]
        fn yuan_is_the_i128_conversion(fen in proptest::prop_oneof![proptest::num::i128::ANY, -(1i128 << 90)..(1i128 << 90), -(1i128 << 60)..(1i128 << 60)]) {
            proptest::prop_assert_eq!(yuan(fen).to_bits(), (fen as f64 / 100.0).to_bits());
        }
    }

    #[test]
    fn days_since_epoch_counts_from_1970_both_ways() {
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
        assert_eq!(days_since_epoch(epoch), 0);
        for d in [NaiveDate::MIN, NaiveDate::from_ymd_opt(1969, 12, 31).unwrap(), NaiveDate::from_ymd_opt(2023, 8, 22).unwrap(), NaiveDate::MAX] {
            assert_eq!(i64::from(days_since_epoch(d)), (d - epoch).num_days(), "{d}");
        }
    }
}
