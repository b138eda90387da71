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
        Values::Dict { .. } | Values::Packed { .. } => Column::new(name, (0..v.len()).map(|i| v.text_at(i)).collect::<Vec<Option<&str>>>()),
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

fn writer<W: Write>(w: W) -> ParquetWriter<W> {
    ParquetWriter::new(w).with_compression(ParquetCompression::Zstd(None))
}

pub fn write<W: Write>(table: &Table, w: W) -> PolarsResult<()> {
    let mut df = frame(table)?;
    writer(w).finish(&mut df)?;
    Ok(())
}

/// Writes a large table one chunk (one row group) at a time, so that only a
/// chunk is ever held as columns. `chunks` must yield at least one table
/// (an empty one for no rows) and all with the same columns.
pub fn write_chunks<W: Write>(mut chunks: impl Iterator<Item = Table>, w: W) -> PolarsResult<()> {
    let Some(first) = chunks.next() else { return Err(PolarsError::NoData("no chunk to write".into())) };
    let df = frame(&first)?;
    drop(first);
    let mut batched = writer(w).batched(df.schema())?;
    batched.write_batch(&df)?;
    drop(df);
    for t in chunks {
        batched.write_batch(&frame(&t)?)?;
    }
    batched.finish()?;
    Ok(())
}
