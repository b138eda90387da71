//! Every Parquet file a run writes, held to the format by two readers that
//! are not ours: arrow-rs' `parquet` reads the footer's statistics, the
//! schema's types and the dictionary pages as they are stored; polars reads
//! the cells, which must be the CSV's. Written after readers that keep
//! dictionaries counted wrong (a dictionary with repeated entries), a
//! footer held a megabyte statistic and text came out as `string_view`.

use super::common::*;
use parquet::basic::{ConvertedType, LogicalType, Type as Physical};
use parquet::column::page::Page;
use parquet::column::reader::ColumnReader;
use parquet::file::reader::{FileReader, SerializedFileReader};
use std::collections::HashSet;
use std::fs;
use std::path::Path;

/// What a column chunk's values are, read back, in the statistics' terms.
#[derive(Default)]
struct Read {
    nulls: u64,
    /// each value's PLAIN bytes (doubles and integers little-endian), or
    /// its text for byte arrays
    values: Vec<Vec<u8>>,
    doubles: Vec<f64>,
}

fn read_column(r: ColumnReader, rows: usize) -> Read {
    let mut out = Read::default();
    let mut defs = Vec::new();
    macro_rules! all {
        ($reader:expr, $push:expr) => {{
            let mut reader = $reader;
            let mut values = Vec::new();
            let (records, _, levels) = reader.read_records(rows, Some(&mut defs), None, &mut values).unwrap();
            assert_eq!((records, levels), (rows, rows), "every row read");
            out.nulls = defs.iter().filter(|d| **d == 0).count() as u64;
            for v in values {
                $push(&mut out, v);
            }
        }};
    }
    match r {
        ColumnReader::BoolColumnReader(r) => all!(r, |o: &mut Read, v: bool| o.values.push(vec![u8::from(v)])),
        ColumnReader::Int32ColumnReader(r) => all!(r, |o: &mut Read, v: i32| o.values.push(v.to_le_bytes().to_vec())),
        ColumnReader::Int64ColumnReader(r) => all!(r, |o: &mut Read, v: i64| o.values.push(v.to_le_bytes().to_vec())),
        ColumnReader::DoubleColumnReader(r) => all!(r, |o: &mut Read, v: f64| o.doubles.push(v)),
        ColumnReader::ByteArrayColumnReader(r) => all!(r, |o: &mut Read, v: parquet::data_type::ByteArray| o.values.push(v.data().to_vec())),
        _ => panic!("a physical type the writer never writes"),
    }
    out
}

/// The RLE/bit-packed hybrid's first `count` values of `width` bits.
fn hybrid(mut b: &[u8], width: u8, count: usize) -> Vec<u32> {
    let mut out = Vec::with_capacity(count);
    let varint = |b: &mut &[u8]| {
        let (mut v, mut shift) = (0u64, 0);
        loop {
            let byte = b[0];
            *b = &b[1..];
            v |= u64::from(byte & 0x7F) << shift;
            if byte < 0x80 {
                return v;
            }
            shift += 7;
        }
    };
    while out.len() < count {
        let header = varint(&mut b);
        if header & 1 == 1 {
            // bit-packed groups of eight, lowest bits first
            let n = (header >> 1) as usize * 8;
            let bytes = n * usize::from(width) / 8;
            let (mut acc, mut bits, mut at) = (0u64, 0u32, 0);
            for _ in 0..n {
                while bits < u32::from(width) {
                    acc |= u64::from(b[at]) << bits;
                    at += 1;
                    bits += 8;
                }
                out.push((acc & ((1u64 << width) - 1)) as u32);
                acc >>= width;
                bits -= u32::from(width);
            }
            b = &b[bytes..];
        } else {
            let n = (header >> 1) as usize;
            let len = usize::from(width).div_ceil(8);
            let v = b[..len].iter().rev().fold(0u32, |v, &x| (v << 8) | u32::from(x));
            b = &b[len..];
            out.extend(std::iter::repeat_n(v, n));
        }
    }
    out.truncate(count);
    out
}

/// The dictionary indices of a data page v1 (definition levels first).
fn dictionary_indices(page: &[u8], rows: usize) -> Vec<u32> {
    let levels_len = u32::from_le_bytes(page[..4].try_into().unwrap()) as usize;
    let present = hybrid(&page[4..4 + levels_len], 1, rows).iter().filter(|l| **l == 1).count();
    let values = &page[4 + levels_len..];
    if present == 0 {
        return Vec::new();
    }
    hybrid(&values[1..], values[0], present)
}

/// The entries of a PLAIN dictionary page of byte arrays.
fn plain_byte_arrays(mut b: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while let Some((len, rest)) = b.split_first_chunk::<4>() {
        let n = u32::from_le_bytes(*len) as usize;
        out.push(rest[..n].to_vec());
        b = &rest[n..];
    }
    out
}

/// Checks one file: plain STRING text and no Arrow schema to say otherwise;
/// every statistic within 64 bytes and true of the values (a truncated text
/// bound a bound still); dictionary pages of distinct entries, and counts
/// through them the decoded values' counts. Returns the rows, the row groups
/// and the dictionary column chunks counted through their entries.
pub fn check_file(path: &Path) -> (usize, usize, usize) {
    let what = path.display().to_string();
    let reader = SerializedFileReader::new(fs::File::open(path).unwrap()).unwrap_or_else(|e| panic!("{what}: {e}"));
    let meta = reader.metadata();
    let kv = meta.file_metadata().key_value_metadata();
    assert!(kv.is_none_or(|kv| kv.iter().all(|k| k.key != "ARROW:schema")), "{what}: no Arrow schema (it said string_view)");
    let schema = meta.file_metadata().schema_descr();
    for c in schema.columns() {
        if c.physical_type() == Physical::BYTE_ARRAY {
            assert_eq!((c.logical_type_ref(), c.converted_type()), (Some(&LogicalType::String), ConvertedType::UTF8), "{what}: {}", c.name());
        }
    }
    let (mut rows, mut dictionaries) = (0, 0);
    for g in 0..meta.num_row_groups() {
        let group = reader.get_row_group(g).unwrap();
        let n = meta.row_group(g).num_rows() as usize;
        rows += n;
        for j in 0..schema.num_columns() {
            let name = schema.column(j).name().to_string();
            let at = format!("{what}: row group {g}, column {name}");
            let stats = meta.row_group(g).column(j).statistics().unwrap_or_else(|| panic!("{at}: no statistics"));
            let read = read_column(group.get_column_reader(j).unwrap(), n);
            assert_eq!(stats.null_count_opt(), Some(read.nulls), "{at}: null count");
            let (lo, hi) = (stats.min_bytes_opt(), stats.max_bytes_opt());
            assert!(lo.is_none_or(|b| b.len() <= 64) && hi.is_none_or(|b| b.len() <= 64), "{at}: a statistic over 64 bytes");
            if !read.doubles.is_empty() {
                let (lo, hi) = (f64::from_le_bytes(lo.unwrap().try_into().unwrap()), f64::from_le_bytes(hi.unwrap().try_into().unwrap()));
                let min = read.doubles.iter().copied().fold(f64::INFINITY, f64::min);
                let max = read.doubles.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                assert!(lo == min && hi == max, "{at}: [{lo}, {hi}] against [{min}, {max}]");
            } else if let (Some(min), Some(max)) =
                (read.values.iter().min_by(|a, b| cmp(a, b, &schema.column(j))), read.values.iter().max_by(|a, b| cmp(a, b, &schema.column(j))))
            {
                let (lo, hi) = (lo.unwrap_or_else(|| panic!("{at}: no minimum")), hi.unwrap_or_else(|| panic!("{at}: no maximum")));
                if stats.min_is_exact() && stats.max_is_exact() {
                    assert!(lo == min.as_slice() && hi == max.as_slice(), "{at}: exact bounds are the values");
                } else {
                    assert_eq!(schema.column(j).physical_type(), Physical::BYTE_ARRAY, "{at}: only text is truncated");
                    assert!(lo <= min.as_slice() && hi >= max.as_slice(), "{at}: truncated bounds still bound the values");
                    assert!(std::str::from_utf8(lo).is_ok() && std::str::from_utf8(hi).is_ok(), "{at}: bounds are whole characters");
                }
            } else {
                assert!(lo.is_none() && hi.is_none(), "{at}: bounds without values");
            }
            // a reader that keeps the dictionary counts each value through
            // its entry: those counts must be the decoded values' counts
            let text = schema.column(j).physical_type() == Physical::BYTE_ARRAY;
            let mut pages = group.get_column_page_reader(j).unwrap();
            let mut entries: Option<Vec<Vec<u8>>> = None;
            let mut through_entries: std::collections::HashMap<Vec<u8>, u64> = Default::default();
            while let Some(page) = pages.get_next_page().unwrap() {
                match page {
                    Page::DictionaryPage { buf, num_values, .. } if text => {
                        let e = plain_byte_arrays(&buf);
                        assert_eq!(e.len(), num_values as usize, "{at}");
                        assert_eq!(e.iter().collect::<HashSet<_>>().len(), e.len(), "{at}: a dictionary page repeats an entry");
                        entries = Some(e);
                    }
                    Page::DataPage { buf, num_values, encoding: parquet::basic::Encoding::RLE_DICTIONARY, .. } if text => {
                        let e = entries.as_ref().unwrap_or_else(|| panic!("{at}: dictionary indices without a dictionary page"));
                        for k in dictionary_indices(&buf, num_values as usize) {
                            *through_entries.entry(e[k as usize].clone()).or_default() += 1;
                        }
                    }
                    _ => {}
                }
            }
            if entries.is_some() {
                let mut decoded: std::collections::HashMap<Vec<u8>, u64> = Default::default();
                for v in &read.values {
                    *decoded.entry(v.clone()).or_default() += 1;
                }
                assert_eq!(through_entries, decoded, "{at}: counts through the kept dictionary");
                dictionaries += 1;
            }
        }
    }
    assert_eq!(rows as i64, meta.file_metadata().num_rows(), "{what}");
    (rows, meta.num_row_groups(), dictionaries)
}

/// The order the statistics use: signed for integers, bytes for text.
fn cmp(a: &[u8], b: &[u8], c: &parquet::schema::types::ColumnDescriptor) -> std::cmp::Ordering {
    match c.physical_type() {
        Physical::INT32 => i32::from_le_bytes(a.try_into().unwrap()).cmp(&i32::from_le_bytes(b.try_into().unwrap())),
        Physical::INT64 => i64::from_le_bytes(a.try_into().unwrap()).cmp(&i64::from_le_bytes(b.try_into().unwrap())),
        _ => a.cmp(b),
    }
}

/// Every Parquet file under `out`, checked; the rows and row groups of each.
pub fn check_folder(out: &Path) -> Vec<(String, usize, usize, usize)> {
    let mut seen = Vec::new();
    for f in files(out).into_iter().filter(|f| f.extension().is_some_and(|e| e == "parquet")) {
        let (rows, groups, dictionaries) = check_file(&f);
        seen.push((f.file_name().unwrap().to_string_lossy().into_owned(), rows, groups, dictionaries));
    }
    assert!(seen.len() >= 7, "{seen:?}");
    let cases = seen.iter().find(|s| s.0 == "cases.parquet").unwrap();
    assert!(cases.3 >= cases.2 * 5, "the case table's text columns counted through their dictionaries: {seen:?}");
    seen
}

/// A table's cells as polars reads them from its Parquet file, formatted by
/// the CSV's rules (§9): they must be the CSV's cells.
pub fn polars_cells(path: &Path) -> Vec<Vec<String>> {
    use polars::prelude::*;
    let df = ParquetReader::new(fs::File::open(path).unwrap()).finish().unwrap();
    let mut rows = vec![Vec::new(); df.height()];
    for c in df.columns() {
        let s = c.as_materialized_series();
        for (i, row) in rows.iter_mut().enumerate() {
            let v = s.get(i).unwrap();
            row.push(match v {
                AnyValue::Null => String::new(),
                AnyValue::String(t) => t.to_string(),
                AnyValue::StringOwned(t) => t.to_string(),
                AnyValue::Int64(n) => n.to_string(),
                AnyValue::Boolean(b) => b.to_string(),
                AnyValue::Float64(f) if c.name().contains("amount") => format!("{f:.2}"),
                AnyValue::Float64(f) => {
                    let t = format!("{f}");
                    if t.contains('.') {
                        t
                    } else {
                        t + ".0"
                    }
                }
                AnyValue::Date(d) => (chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap() + chrono::Days::new(d as u64)).to_string(),
                other => panic!("{}: {other:?}", c.name()),
            });
        }
    }
    rows
}

fn csv_cells(path: &Path) -> Vec<Vec<String>> {
    let bytes = fs::read(path).unwrap();
    let mut r = csv::Reader::from_reader(&bytes[3..]);
    r.records().map(|rec| rec.unwrap().iter().map(|c| c.strip_prefix('\'').unwrap_or(c).to_string()).collect()).collect()
}

fn generated_run(tmp: &Path, key: Option<&str>) -> std::path::PathBuf {
    let input = export(tmp, 20_000, 21);
    let out = tmp.join("out");
    let mut c = courtstat();
    c.args(["run", "--no-cache", "--as-of", "2023-08-22", "--input"]).arg(&input).arg("--out").arg(&out).env("COURTSTAT_CHUNK_ROWS", "700");
    if let Some(k) = key {
        c.env("COURTSTAT_HASH_KEY", k);
    }
    let o = c.output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    out
}

#[test]
fn every_parquet_files_statistics_types_and_dictionaries_hold_for_its_values() {
    let tmp = tempfile::tempdir().unwrap();
    let out = generated_run(tmp.path(), Some("k"));
    let seen = check_folder(&out);
    let cases = seen.iter().find(|s| s.0 == "cases.parquet").unwrap();
    assert!(cases.2 >= 10, "many row groups: {seen:?}");
    let fixture_out = tmp.path().join("fixture");
    assert!(courtstat().arg("run").arg(fixture().join("pipeline.toml")).arg("--out").arg(&fixture_out).output().unwrap().status.success());
    check_folder(&fixture_out);
}

#[test]
fn every_table_reads_the_same_from_its_parquet_file_as_from_its_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let out = generated_run(tmp.path(), None);
    for t in ["indicators_court", "indicators_city", "indicators_province", "indicators_monthly", "quarantine", "duplicates"] {
        let (p, c) = (polars_cells(&out.join(format!("{t}.parquet"))), csv_cells(&out.join(format!("{t}.csv"))));
        assert_eq!(p.len(), c.len(), "{t}");
        for (i, (a, b)) in p.iter().zip(&c).enumerate() {
            assert_eq!(a, b, "{t}, row {i}");
        }
    }
    // the case table has no CSV: its cities, counted through its dictionary,
    // are its courts' cities
    use polars::prelude::*;
    let df = ParquetReader::new(fs::File::open(out.join("cases.parquet")).unwrap()).finish().unwrap();
    let courts = table(&out, "indicators_court");
    let city_of: std::collections::HashMap<&str, &str> = courts.iter().map(|r| (r["court_code"].as_str(), r["city"].as_str())).collect();
    let (codes, cities) = (df.column("court_code").unwrap().str().unwrap(), df.column("city").unwrap().str().unwrap());
    for i in 0..df.height() {
        assert_eq!(city_of.get(codes.get(i).unwrap()).copied(), cities.get(i), "row {i}");
    }
    let updated = df.column("updated_at").unwrap();
    assert_eq!(updated.dtype(), &DataType::Datetime(TimeUnit::Milliseconds, None), "a timestamp in milliseconds, local time");
}

#[test]
fn a_megabyte_quarantined_line_leaves_a_small_footer_and_the_calendars_ends_round_trip() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    fs::create_dir(&input).unwrap();
    let header = "案号,立案日期,结案日期,结案方式,案由,申请执行标的,扣除天数,延长天数,更新时间";
    let good: String = (1..=30).map(|i| format!("（2023）冀0821执{i}号,2023-01-{:02},,,民间借贷纠纷,100,0,0,\n", i % 28 + 1)).collect();
    let long = format!("（2023）冀0821执99号,2023-01-01,,,{},x,0,0,\n", "长".repeat(300_000));
    let ends = "（2023）冀0821执98号,1900-01-01,2099-12-31,执行完毕,借款,1,10000,10000,2099-12-31 23:59:59\n";
    fs::write(input.join("a.csv"), format!("{header}\n{good}{long}{ends}")).unwrap();
    let out = tmp.path().join("out");
    let o = courtstat().args(["run", "--as-of", "2023-08-22", "--input"]).arg(&input).arg("--out").arg(&out).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    check_folder(&out);
    let q = fs::read(out.join("quarantine.parquet")).unwrap();
    let footer = u32::from_le_bytes(q[q.len() - 8..q.len() - 4].try_into().unwrap());
    assert!(footer < 4096, "a {footer}-byte footer");

    use polars::prelude::*;
    let df = ParquetReader::new(fs::File::open(out.join("cases.parquet")).unwrap()).finish().unwrap();
    let row = (0..df.height()).find(|&i| df.column("case_no").unwrap().str().unwrap().get(i) == Some("（2023）冀0821执98号")).unwrap();
    let day = |c: &str| {
        df.column(c)
            .unwrap()
            .date()
            .unwrap()
            .physical()
            .get(row)
            .map(|d| chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap() + chrono::TimeDelta::days(d.into()))
    };
    assert_eq!(day("filing_date"), chrono::NaiveDate::from_ymd_opt(1900, 1, 1));
    assert_eq!(day("closing_date"), chrono::NaiveDate::from_ymd_opt(2099, 12, 31));
    assert_eq!(day("deadline"), chrono::NaiveDate::from_ymd_opt(1955, 4, 4), "1900-07-01 plus 20,000 days");
    let ms = df.column("updated_at").unwrap().datetime().unwrap().physical().get(row).unwrap();
    assert_eq!(chrono::DateTime::from_timestamp_millis(ms).unwrap().naive_utc().to_string(), "2099-12-31 23:59:59");
}

/// `make bench` checks its cold run's files with this (`--ignored`).
#[test]
#[ignore = "run by make bench on its published folder (COURTSTAT_CHECK_PARQUET)"]
fn the_bench_runs_parquet_files_hold_their_statistics() {
    let dir = std::env::var_os("COURTSTAT_CHECK_PARQUET").expect("COURTSTAT_CHECK_PARQUET names a published folder");
    for (name, rows, groups, dictionaries) in check_folder(Path::new(&dir)) {
        eprintln!("{name}: {rows} rows in {groups} row groups ({dictionaries} dictionary column chunks): statistics, types and dictionaries hold");
    }
}
