//! polars as the tests' oracle for the hand-written Parquet writer
//! (`parquet_file`): files read back through polars' reader, and polars' own
//! writer for the same tables. The only module that touches polars (a
//! dev-dependency): its API moves between releases (notes/polars-0.55.md).

use super::table::{days_since_epoch, yuan, Table, Values};
use polars::prelude::*;
use std::io::Write;

fn column(name: &str, v: &Values) -> PolarsResult<Column> {
    let name: PlSmallStr = name.into();
    Ok(match v {
        Values::Text(x) => Column::new(name, x),
        // each row a view into one copy of the dictionary's text, not a copy
        // of its own (a gather keeps the source's buffers)
        Values::Dict { dict, codes } => {
            let rows: IdxCa = codes.iter().map(|c| c.map(|c| c as IdxSize)).collect();
            Column::new(name, dict).take(&rows)?
        }
        Values::Packed { .. } => Column::new(name, (0..v.len()).map(|i| v.text_at(i)).collect::<Vec<Option<&str>>>()),
        Values::Int(x) => Column::new(name, x),
        Values::Float(x) => Column::new(name, x),
        Values::Yuan(x) => Column::new(name, x.iter().map(|f| f.map(yuan)).collect::<Vec<_>>()),
        Values::Bool(x) => Column::new(name, x),
        Values::Date(x) => Column::new(name, x.iter().map(|d| d.map(days_since_epoch)).collect::<Vec<_>>()).cast(&DataType::Date)?,
        Values::Timestamp(x) => Column::new(name, x).cast(&DataType::Datetime(TimeUnit::Milliseconds, None))?,
    })
}

fn frame(table: &Table) -> PolarsResult<DataFrame> {
    let columns = table.columns.iter().map(|(n, v)| column(n, v)).collect::<PolarsResult<Vec<_>>>()?;
    DataFrame::new(table.rows(), columns)
}

fn writer<W: Write>(w: W) -> ParquetWriter<W> {
    ParquetWriter::new(w).with_compression(ParquetCompression::Zstd(None))
}

pub fn write<W: Write>(table: &Table, w: W) -> PolarsResult<()> {
    let mut df = frame(table)?;
    writer(w).finish(&mut df)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::table::Table;

    fn sample() -> Table {
        let d = chrono::NaiveDate::from_ymd_opt(2023, 8, 22);
        let mut t = Table::new("t");
        t.text("name", vec![Some("承德市".into()), None])
            .dict("city", vec!["唐山市".into()], vec![Some(0), None])
            .packed("case_no", "（2023）冀执1号".into(), vec![Some((0, "（2023）冀执1号".len())), None])
            .int("closed", vec![Some(3), None])
            .float("rate", vec![Some(0.5), None])
            .yuan("amount", vec![Some(12345), None])
            .date("as_of", vec![d, None])
            .boolean("complete", vec![Some(true), None]);
        t
    }

    #[test]
    fn columns_are_typed_and_read_back_the_same() {
        for chunked in [false, true] {
            let mut buf = Vec::new();
            if chunked {
                let chunked = crate::output::Chunked {
                    name: "t",
                    rows: 4,
                    ranges: crate::output::table::fixed_ranges(4, 2),
                    build: Box::new(|_| Ok(sample())),
                    fingerprint: None,
                };
                crate::output::parquet_file::write_chunked(&chunked, &mut buf, None).unwrap();
            } else {
                write(&sample(), &mut buf).unwrap();
            }
            let df = ParquetReader::new(std::io::Cursor::new(buf)).finish().unwrap();
            let types: Vec<DataType> = df.columns().iter().map(|c| c.dtype().clone()).collect();
            assert_eq!(
                types,
                vec![
                    DataType::String,
                    DataType::String,
                    DataType::String,
                    DataType::Int64,
                    DataType::Float64,
                    DataType::Float64,
                    DataType::Date,
                    DataType::Boolean
                ]
            );
            assert_eq!(df.height(), if chunked { 4 } else { 2 });
            assert_eq!(df.column("amount").unwrap().f64().unwrap().get(0), Some(123.45));
            assert_eq!(df.column("city").unwrap().str().unwrap().get(0), Some("唐山市"));
            assert_eq!(df.column("case_no").unwrap().str().unwrap().get(0), Some("（2023）冀执1号"));
            assert_eq!(df.column("rate").unwrap().f64().unwrap().get(1), None, "nulls stay null");
        }
    }

    fn read(buf: Vec<u8>) -> DataFrame {
        ParquetReader::new(std::io::Cursor::new(buf)).finish().unwrap()
    }

    /// A table of every column layout, rows from `seed`: nulls, unused and
    /// unusual dictionary entries, extremes, −0.0, dates before 1970.
    fn varied(rows: std::ops::Range<usize>, seed: u64) -> Table {
        let pick = |i: usize, k: u64| (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(seed.wrapping_mul(k + 1)).rotate_left(17) % 97;
        let mut packed = String::new();
        let spans = rows
            .clone()
            .map(|i| {
                (pick(i, 1) % 5 != 0).then(|| {
                    let start = packed.len();
                    packed.push_str(&format!("（{}）冀{:04}执{}号", 2000 + pick(i, 2), pick(i, 3), i));
                    (start, packed.len())
                })
            })
            .collect();
        let dict: Vec<String> = ["石家庄市", "", "唐山市", "a,\"b\"", "承德市"].iter().map(|s| s.to_string()).collect();
        let ints = [i64::MIN, -1, 0, 1, 42, i64::MAX];
        let floats = [-0.0, 0.0, -1.5, 2.25, 1e300];
        let mut t = Table::new("varied");
        t.packed("case_no", packed, spans)
            .text("note", rows.clone().map(|i| (pick(i, 4) % 3 == 0).then(|| format!("备注{i}"))).collect())
            .dict("city", dict.clone(), rows.clone().map(|i| (pick(i, 5) % 4 != 0).then_some((pick(i, 6) % 4) as u32)).collect())
            .dict("all_null", dict, rows.clone().map(|_| None).collect())
            .int("count", rows.clone().map(|i| (pick(i, 7) % 6 != 0).then(|| ints[(pick(i, 8) % 6) as usize])).collect())
            .float("rate", rows.clone().map(|i| (pick(i, 9) % 6 != 0).then(|| floats[(pick(i, 10) % 5) as usize])).collect())
            .yuan("amount", rows.clone().map(|i| (pick(i, 11) % 5 != 0).then(|| pick(i, 12) as i128 * 1_000_003 - 5)).collect())
            .date(
                "day",
                rows.clone().map(|i| chrono::NaiveDate::from_ymd_opt(1960 + pick(i, 13) as i32, 1 + (pick(i, 14) % 12) as u32, 28)).collect(),
            )
            .boolean("flag", rows.clone().map(|i| (pick(i, 15) % 3 != 0).then(|| pick(i, 16) % 2 == 0)).collect())
            // small ranges (dictionary-encoded) around zero, at the range's
            // edge (4095 apart) and just past it (4096 apart, plain)
            .int("days", rows.clone().map(|i| (pick(i, 17) % 4 != 0).then(|| pick(i, 18) as i64 - 3)).collect())
            .int("edge", rows.clone().map(|i| Some(if pick(i, 19) % 2 == 0 { -5 } else { 4090 })).collect())
            .int("past_edge", rows.clone().map(|i| Some(if pick(i, 20) % 2 == 0 { -5 } else { 4091 })).collect())
            .date(
                "near",
                rows.map(|i| {
                    (pick(i, 21) % 5 != 0).then(|| chrono::NaiveDate::from_ymd_opt(1969, 12, 1).unwrap() + chrono::Days::new(pick(i, 22) * 3))
                })
                .collect(),
            );
        t
    }

    #[test]
    fn the_hand_written_chunked_file_reads_back_as_polars_own_file() {
        // (rows, rows per chunk, bytes per page, seed): pages of 1 and 100
        // bytes force a page per row and pages of a few rows
        for (rows, chunk_rows, page_bytes, seed) in [
            (0, 3, 1 << 20, 1),
            (1, 3, 1 << 20, 2),
            (7, 3, 1 << 20, 3),
            (1000, 64, 1 << 20, 4),
            (2000, 2000, 1 << 20, 5),
            (3, 1, 1, 6),
            (500, 200, 100, 7),
        ] {
            let chunked = varied_chunked(rows, chunk_rows, seed);
            let mut ours = Vec::new();
            crate::output::parquet_file::write_chunked_in_pages(&chunked, &mut ours, page_bytes, None, None).unwrap();
            let mut theirs = Vec::new();
            write(&varied(0..rows, seed), &mut theirs).unwrap();
            let (ours, theirs) = (read(ours), read(theirs));
            assert_eq!(ours.schema(), theirs.schema(), "{rows} rows");
            assert!(ours.equals_missing(&theirs), "{rows} rows in chunks of {chunk_rows}:\n{ours}\n{theirs}");
        }
    }

    fn varied_chunked(rows: usize, chunk_rows: usize, seed: u64) -> crate::output::Chunked<'static> {
        crate::output::Chunked {
            name: "varied",
            rows,
            ranges: crate::output::table::fixed_ranges(rows, chunk_rows),
            build: Box::new(move |r| Ok(varied(r, seed))),
            // a chunk's rows are those of its range and seed
            fingerprint: Some(Box::new(move |r| (u128::from(seed) << 96) ^ ((r.start as u128) << 48) ^ r.end as u128)),
        }
    }

    #[test]
    fn one_build_of_each_chunk_gives_the_bytes_of_the_csv_and_parquet_written_apart() {
        use crate::output::labels::HeaderLanguage;
        for (rows, chunk_rows, headers) in [(0, 3, HeaderLanguage::English), (7, 3, HeaderLanguage::Chinese), (1000, 64, HeaderLanguage::English)] {
            let mut chunked = varied_chunked(rows, chunk_rows, 11);
            chunked.fingerprint = None;
            let (mut csv_apart, mut parquet_apart) = (Vec::new(), Vec::new());
            crate::output::csv::write_chunked(&chunked, &mut csv_apart, headers, None).unwrap();
            crate::output::parquet_file::write_chunked(&chunked, &mut parquet_apart, None).unwrap();
            let tmp = tempfile::tempdir().unwrap();
            let staging = crate::output::Staging::new(&tmp.path().join("out")).unwrap();
            let files = crate::output::write_chunked(&staging, &[(&chunked, crate::output::BOTH)], headers, None).unwrap();
            let read = |name: &str| std::fs::read(staging.path().join(name)).unwrap();
            assert_eq!(files.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(), ["varied.csv", "varied.parquet"]);
            assert!(read("varied.csv") == csv_apart, "{rows} rows: the CSV");
            assert!(read("varied.parquet") == parquet_apart, "{rows} rows: the Parquet file");
            assert_eq!(files[0].bytes as usize, csv_apart.len());
        }
    }

    #[test]
    fn reused_chunks_give_the_bytes_of_chunks_encoded_afresh() {
        use crate::output::reuse::{tests::MemoryStore, ChunkStore};
        for (rows, chunk_rows, page_bytes) in [(1000, 64, 1 << 20), (500, 200, 100), (0, 3, 1 << 20), (7, 3, 1)] {
            let chunked = varied_chunked(rows, chunk_rows, 9);
            let write = |store: Option<&dyn ChunkStore>| {
                let mut out = Vec::new();
                crate::output::parquet_file::write_chunked_in_pages(&chunked, &mut out, page_bytes, store, None).unwrap();
                out
            };
            let fresh = write(None);
            let store = MemoryStore::default();
            assert_eq!(write(Some(&store)), fresh, "{rows} rows, filling the store");
            let chunks = rows.div_ceil(chunk_rows);
            assert_eq!(store.counts(), (0, chunks));
            assert_eq!(write(Some(&store)), fresh, "{rows} rows, from the store");
            assert_eq!(store.counts(), (chunks, 0));
            // a damaged entry is encoded again, not trusted
            if let Some(entry) = store.entries.lock().unwrap().values_mut().next() {
                entry.truncate(entry.len() / 2);
            }
            assert_eq!(write(Some(&store)), fresh, "{rows} rows, one entry damaged");
            assert_eq!(store.counts(), (chunks, chunks.min(1)));
        }
    }
}
