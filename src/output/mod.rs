//! Stage 6, output: the only stage that writes files. Builds the tables of
//! §9, writes each as CSV and/or Parquet into a staging folder with the
//! manifest last, and publishes the folder all at once.

pub mod csv;
pub mod labels;
pub mod lock;
pub mod manifest;
pub mod parquet;
pub mod parquet_file;
pub mod publish;
pub mod reuse;
pub mod table;
pub mod tables;

pub use publish::{Staging, WrittenFile};
pub use table::{Chunked, Table};

#[derive(Debug, thiserror::Error)]
#[error("writing {path}: {message}")]
pub struct OutputError {
    pub path: String,
    pub message: String,
}

/// Which files a table is written as.
#[derive(Debug, Clone, Copy)]
pub struct Formats {
    pub csv: bool,
    pub parquet: bool,
}

pub const BOTH: Formats = Formats { csv: true, parquet: true };
pub const PARQUET_ONLY: Formats = Formats { csv: false, parquet: true };

/// Writes every table into the staging folder, in order.
pub fn write_tables(staging: &Staging, tables: &[(Table, Formats)], headers: labels::HeaderLanguage) -> Result<Vec<WrittenFile>, OutputError> {
    let mut written = Vec::new();
    for (t, f) in tables {
        let err = |ext: &str, e: String| OutputError { path: format!("{}.{ext}", t.name), message: e };
        if f.csv {
            written.push(staging.write(&format!("{}.csv", t.name), |w| csv::write_with(t, w, headers)).map_err(|e| err("csv", e.to_string()))?);
        }
        if f.parquet {
            written.push(
                staging
                    .write(&format!("{}.parquet", t.name), |w| parquet::write(t, w).map_err(|e| std::io::Error::other(e.to_string())))
                    .map_err(|e| err("parquet", e.to_string()))?,
            );
        }
    }
    Ok(written)
}

/// Writes large tables chunk by chunk, in order: each chunk is built once per
/// format (the Parquet file by `parquet_file`, not polars), or taken from
/// `store` when an earlier run wrote the same rows (see `reuse`).
pub fn write_chunked(
    staging: &Staging,
    tables: &[(&Chunked, Formats)],
    headers: labels::HeaderLanguage,
    store: Option<&dyn reuse::ChunkStore>,
) -> Result<Vec<WrittenFile>, OutputError> {
    let mut written = Vec::new();
    for (t, f) in tables {
        let err = |file: &str, e: String| OutputError { path: file.to_string(), message: e };
        if f.csv {
            let file = format!("{}.csv", t.name);
            written.push(staging.write(&file, |w| csv::write_chunked(t, w, headers, store)).map_err(|e| err(&file, e.to_string()))?);
        }
        if f.parquet {
            let file = format!("{}.parquet", t.name);
            written.push(staging.write(&file, |w| parquet_file::write_chunked(t, w, store)).map_err(|e| err(&file, e.to_string()))?);
        }
    }
    Ok(written)
}

pub fn write_json<T: serde::Serialize>(staging: &Staging, name: &str, value: &T) -> Result<WrittenFile, OutputError> {
    staging
        .write(name, |w| {
            serde_json::to_writer_pretty(&mut *w, value).map_err(std::io::Error::other)?;
            w.write_all(b"\n")
        })
        .map_err(|e| OutputError { path: name.to_string(), message: e.to_string() })
}
