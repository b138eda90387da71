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

pub fn write<W: Write>(table: &Table, w: W) -> PolarsResult<()> {
    let columns = table.columns.iter().map(|(n, v)| column(n, v)).collect::<PolarsResult<Vec<_>>>()?;
    let mut df = DataFrame::new(table.rows(), columns)?;
    ParquetWriter::new(w).with_compression(ParquetCompression::Zstd(None)).finish(&mut df)?;
    Ok(())
}
