//! Typed Parquet through polars (§9). The only module that touches polars:
//! its API moves between releases (notes/polars-0.55.md), so it stays here.

use super::table::{Table, Values};
use polars::prelude::*;
use std::io::Write;

fn days_since_epoch(d: chrono::NaiveDate) -> i32 {
    (d - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()).num_days() as i32
}

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
        Values::Yuan(x) => Column::new(name, x.iter().map(|f| f.map(|f| f as f64 / 100.0)).collect::<Vec<_>>()),
        Values::Bool(x) => Column::new(name, x),
        Values::Date(x) => Column::new(name, x.iter().map(|d| d.map(days_since_epoch)).collect::<Vec<_>>()).cast(&DataType::Date)?,
    })
}

fn frame(table: &Table) -> PolarsResult<DataFrame> {
    let columns = table.columns.iter().map(|(n, v)| column(n, v)).collect::<PolarsResult<Vec<_>>>()?;
    DataFrame::new(table.rows(), columns)
}

/// As `frame`, dropping each column once converted: a chunk is never held
/// twice over.
fn into_frame(table: Table) -> PolarsResult<DataFrame> {
    let rows = table.rows();
    let columns = table.columns.into_iter().map(|(n, v)| column(n, &v)).collect::<PolarsResult<Vec<_>>>()?;
    DataFrame::new(rows, columns)
}

fn writer<W: Write>(w: W) -> ParquetWriter<W> {
    ParquetWriter::new(w).with_compression(ParquetCompression::Zstd(None))
}

pub fn write<W: Write>(table: &Table, w: W) -> PolarsResult<()> {
    let mut df = frame(table)?;
    writer(w).finish(&mut df)?;
    Ok(())
}

/// Writes a large table one chunk (one row group) at a time, so that only a
/// chunk or two is ever held as columns. `chunks` must yield at least one
/// table (an empty one for no rows) and all with the same columns. The
/// chunks are built and turned into frames on a second thread while this one
/// encodes the previous chunk.
pub fn write_chunks<W: Write>(chunks: impl Iterator<Item = Table> + Send, w: W) -> PolarsResult<()> {
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<PolarsResult<DataFrame>>(0);
        scope.spawn(move || {
            for t in chunks {
                // the writer has stopped (an error): stop building
                if tx.send(into_frame(t)).is_err() {
                    break;
                }
                // what the chunks before and their encoding took goes back
                // before the next is built (polars' threads each keep their
                // own heap otherwise): ~90 MB less peak on the bench for
                // ~0.3 s of page faults, done here rather than on the
                // encoding thread, which is the busier one
                crate::memory::trim();
            }
        });
        let mut frames = rx.into_iter();
        let Some(first) = frames.next() else { return Err(PolarsError::NoData("no chunk to write".into())) };
        let first = first?;
        let mut batched = writer(w).batched(first.schema())?;
        batched.write_batch(&first)?;
        drop(first);
        for df in frames {
            batched.write_batch(&df?)?;
        }
        batched.finish()?;
        Ok(())
    })
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
                write_chunks([sample(), sample()].into_iter(), &mut buf).unwrap();
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
}
