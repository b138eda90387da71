//! A small typed, column-oriented table: what every output is built as, so
//! that the CSV and the Parquet writer format one thing in one place each.

use chrono::NaiveDate;
use std::ops::Range;

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
    /// a local date and time (no time zone), in milliseconds since
    /// 1970-01-01 00:00: `YYYY-MM-DDTHH:MM:SS` in CSV, a TIMESTAMP(MILLIS,
    /// not adjusted to UTC) in Parquet
    Timestamp(Vec<Option<i64>>),
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
            Values::Timestamp(v) => v.len(),
            Values::Bool(v) => v.len(),
        }
    }

    /// The rows in `r`, as a column of their own.
    pub fn slice(&self, r: Range<usize>) -> Values {
        match self {
            Values::Text(v) => Values::Text(v[r].to_vec()),
            Values::Dict { dict, codes } => Values::Dict { dict: dict.clone(), codes: codes[r].to_vec() },
            Values::Packed { buf, spans } => Values::Packed { buf: buf.clone(), spans: spans[r].to_vec() },
            Values::Int(v) => Values::Int(v[r].to_vec()),
            Values::Float(v) => Values::Float(v[r].to_vec()),
            Values::Yuan(v) => Values::Yuan(v[r].to_vec()),
            Values::Date(v) => Values::Date(v[r].to_vec()),
            Values::Timestamp(v) => Values::Timestamp(v[r].to_vec()),
            Values::Bool(v) => Values::Bool(v[r].to_vec()),
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
    pub fn timestamp(&mut self, name: &'static str, v: Vec<Option<i64>>) -> &mut Self {
        self.columns.push((name, Values::Timestamp(v)));
        self
    }

    /// The rows in `r`, as a table of their own.
    pub fn slice(&self, r: Range<usize>) -> Table {
        Table { name: self.name, columns: self.columns.iter().map(|(n, v)| (*n, v.slice(r.clone()))).collect() }
    }

    /// The whole table as one chunk (a small table's Parquet file is one
    /// row group).
    pub fn whole(&self) -> Chunked<'_> {
        Chunked {
            name: self.name,
            rows: self.rows(),
            ranges: std::iter::once(0..self.rows()).collect(),
            build: Box::new(move |r| Ok(if r == (0..self.rows()) { self.clone() } else { self.slice(r) })),
            fingerprint: None,
        }
    }
}

/// A table too large to hold whole as columns (the case, duplicates and
/// quarantine tables): built a chunk of rows at a time, once per format,
/// each chunk one Parquet row group.
pub struct Chunked<'a> {
    pub name: &'static str,
    pub rows: usize,
    /// the chunks' row ranges in order, covering `0..rows`; at least one
    /// (empty for no rows)
    pub ranges: Vec<Range<usize>>,
    /// the table's rows in `range`, in output order
    pub build: Box<dyn Fn(Range<usize>) -> std::io::Result<Table> + Sync + 'a>,
    /// a fingerprint of everything the rows in `range` show, when the table
    /// can tell: a chunk encoded by an earlier run under the same
    /// fingerprint is reused instead of built again (see `output::reuse`)
    pub fingerprint: Option<Box<dyn Fn(Range<usize>) -> u128 + Sync + 'a>>,
}

/// `rows` rows in chunks of `size`; at least one chunk.
pub fn fixed_ranges(rows: usize, size: usize) -> Vec<Range<usize>> {
    let size = size.max(1);
    (0..rows.div_ceil(size).max(1)).map(|k| k * size..((k + 1) * size).min(rows)).collect()
}

/// How large content-defined chunks are: at least `min` rows, about `min +
/// spacing` on average (`spacing` a power of two), at most `max`.
#[derive(Debug, Clone, Copy)]
pub struct ChunkSizes {
    pub min: usize,
    pub spacing: u64,
    pub max: usize,
}

/// Content-defined chunks: a chunk ends before a row whose `row_hash` is a
/// multiple of `sizes.spacing` once it has `sizes.min` rows, and at
/// `sizes.max` rows otherwise. A boundary depends on the row there, not on
/// its position, so a row added, dropped or changed moves the boundaries of
/// its own chunk only (rarely the next ones too): every other chunk keeps
/// its exact rows, and its encoded bytes can be reused by the next run (a
/// nightly refresh changes a few courts' rows out of millions). At least
/// one chunk.
pub fn content_defined_ranges(rows: usize, sizes: ChunkSizes, row_hash: impl Fn(usize) -> u64) -> Vec<Range<usize>> {
    let mask = sizes.spacing.next_power_of_two() - 1;
    let (min, max) = (sizes.min.max(1), sizes.max.max(sizes.min.max(1)));
    let mut ranges = Vec::with_capacity(rows / (min + mask as usize) + 1);
    let mut start = 0;
    let mut i = min;
    while i < rows {
        if i - start >= max || row_hash(i) & mask == 0 {
            ranges.push(start..i);
            start = i;
            i += min;
        } else {
            i += 1;
        }
    }
    ranges.push(start..rows);
    ranges
}

/// A well-mixed 64-bit value of `x` (splitmix64's finaliser): the chunk
/// boundaries' hashes, the same in every run and on every machine.
pub fn mix64(mut x: u64) -> u64 {
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
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

    proptest::proptest! {
        #[test]
        fn content_defined_chunks_cover_the_rows_within_their_sizes(
            hashes in proptest::collection::vec(proptest::num::u64::ANY, 0..400),
            min in 1usize..20, spacing in 1u64..16, extra in 0usize..40, insert_at in proptest::num::usize::ANY, inserted in proptest::num::u64::ANY,
        ) {
            let sizes = ChunkSizes { min, spacing, max: min + extra };
            let ranges = content_defined_ranges(hashes.len(), sizes, |i| hashes[i]);
            proptest::prop_assert_eq!(ranges.first().map(|r| r.start), Some(0));
            proptest::prop_assert_eq!(ranges.last().map(|r| r.end), Some(hashes.len()));
            for pair in ranges.windows(2) {
                proptest::prop_assert_eq!(pair[0].end, pair[1].start);
                proptest::prop_assert!((min..=min + extra).contains(&pair[0].len()), "{:?}", ranges);
            }
            proptest::prop_assert!(ranges.last().unwrap().len() <= min + extra);
            // a row inserted leaves every chunk that ends before it as it was
            let at = insert_at % (hashes.len() + 1);
            let mut changed = hashes.clone();
            changed.insert(at, inserted);
            let after = content_defined_ranges(changed.len(), sizes, |i| changed[i]);
            let before_row: Vec<_> = ranges.iter().filter(|r| r.end < at).collect();
            proptest::prop_assert_eq!(before_row, after.iter().filter(|r| r.end < at).collect::<Vec<_>>());
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
