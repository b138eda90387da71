//! Stage 6, output: the only stage that writes files. Builds the tables of
//! §9, writes each as CSV and/or Parquet into a staging folder, then the
//! report and the manifest, and publishes the folder all at once.

pub mod csv;
pub mod labels;
pub mod lock;
pub mod manifest;
#[cfg(test)]
mod parquet;
pub mod parquet_file;
pub mod publish;
pub mod report;
pub mod reuse;
pub mod table;
pub mod tables;
pub mod workbook;

use crate::dedup::Deduplicated;
use crate::indicators::Indicators;
use crate::rank::Rankings;
use crate::reference::Courts;

pub use publish::{Staging, WrittenFile};
pub use table::{Chunked, Table};

#[derive(Debug, thiserror::Error)]
#[error("{}", self.message(crate::messages::Lang::En))]
pub struct OutputError {
    pub path: String,
    pub message: String,
}

impl OutputError {
    pub fn message(&self, lang: crate::messages::Lang) -> String {
        crate::messages::Msg::ErrWriting.say(lang, &[&self.path, &self.message])
    }

    /// The error with its file named under the output folder (what the
    /// person on call looks for), not the staging folder's hidden name.
    pub fn under(self, out: &std::path::Path) -> OutputError {
        let path = if std::path::Path::new(&self.path).is_absolute() { self.path } else { out.join(&self.path).display().to_string() };
        OutputError { path, message: self.message }
    }
}

/// Which files a table is written as.
#[derive(Debug, Clone, Copy)]
pub struct Formats {
    pub csv: bool,
    pub parquet: bool,
}

pub const BOTH: Formats = Formats { csv: true, parquet: true };
pub const PARQUET_ONLY: Formats = Formats { csv: false, parquet: true };
pub const CSV_ONLY: Formats = Formats { csv: true, parquet: false };

/// Writes every table into the staging folder, in order.
pub fn write_tables(staging: &Staging, tables: &[(Table, Formats)], headers: labels::HeaderLanguage) -> Result<Vec<WrittenFile>, OutputError> {
    let mut written = Vec::new();
    for (t, f) in tables {
        let err = |ext: &str, e: String| OutputError { path: format!("{}.{ext}", t.name), message: e };
        if f.csv {
            written.push(staging.write(&format!("{}.csv", t.name), |w| csv::write_with(t, w, headers)).map_err(|e| err("csv", e.to_string()))?);
        }
        if f.parquet {
            written
                .push(staging.write(&format!("{}.parquet", t.name), |w| parquet_file::write_table(t, w)).map_err(|e| err("parquet", e.to_string()))?);
        }
    }
    Ok(written)
}

/// Writes large tables chunk by chunk, in order: each chunk is built once per
/// format, or taken from
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

/// A chunked table as CSV and Parquet from one build of each chunk, for a
/// table whose chunks cost more to build than to encode (the watch list's
/// rows are gathered from the cases): the Parquet writer builds and encodes
/// the chunks on every thread and hands each one's CSV text, made on the
/// same thread, to the CSV file in order; a chunk an earlier run wrote in
/// both is taken from `store`. (For the quarantine and duplicates tables,
/// whose rows are copied, the two files written one after the other
/// measured faster.)
fn write_csv_and_parquet(
    staging: &Staging,
    t: &Chunked,
    headers: labels::HeaderLanguage,
    store: Option<&dyn reuse::ChunkStore>,
) -> Result<[WrittenFile; 2], OutputError> {
    let (csv_name, parquet_name) = (format!("{}.csv", t.name), format!("{}.parquet", t.name));
    let mut parquet_file = None;
    let make = |chunk: &Table| csv::chunk_text(chunk, headers);
    let csv_file = staging
        .write(&csv_name, |csv_w| {
            csv::write_chunked_header(t, &mut *csv_w, headers)?;
            let side = parquet_file::Side { make: &make, format: csv::chunk_format(headers), sink: csv_w };
            parquet_file = Some(staging.write(&parquet_name, |pq_w| parquet_file::write_chunked_with_side(t, pq_w, store, side))?);
            Ok(())
        })
        .map_err(|e| OutputError { path: csv_name.clone(), message: e.to_string() })?;
    let parquet_file = parquet_file.ok_or_else(|| OutputError { path: parquet_name, message: "not written".into() })?;
    Ok([csv_file, parquet_file])
}

/// `courtstat.xlsx` (§16), from the tables just written.
fn write_workbook(staging: &Staging, f: &Findings, tables: &[(Table, Formats)], lists: &Chunked) -> Result<WrittenFile, OutputError> {
    let found = f.found;
    let counts = manifest::Counts::of(found.files.iter().map(|a| &a.entry));
    let list_counts = || f.lists.counts_by_court(f.courts);
    let input = workbook::Input {
        tables,
        lists,
        list_counts: &list_counts,
        courts: f.courts,
        quality: workbook::Quality {
            files: &found.files,
            by_reason: &counts.quarantine_by_reason,
            duplicate_keys: found.duplicates.len() as u64,
            duplicates_dropped: counts.cases_valid.saturating_sub(found.cases.len() as u64),
            duplicate_conflicts: found.duplicates.iter().filter(|d| d.conflict).count() as u64,
        },
        as_of: f.target.period.as_of,
        spool: &staging.dir,
    };
    staging
        .write(workbook::FILE, |w| w.write_all(&workbook::build(&input).map_err(std::io::Error::other)?))
        .map_err(|e| OutputError { path: workbook::FILE.into(), message: e.to_string() })
}

pub fn write_json<T: serde::Serialize>(staging: &Staging, name: &str, value: &T) -> Result<WrittenFile, OutputError> {
    staging
        .write(name, |w| {
            serde_json::to_writer_pretty(&mut *w, value).map_err(std::io::Error::other)?;
            w.write_all(b"\n")
        })
        .map_err(|e| OutputError { path: name.to_string(), message: e.to_string() })
}

/// Where and how the output stage writes.
#[derive(Debug, Clone)]
pub struct Target {
    pub out: std::path::PathBuf,
    pub period: crate::indicators::Period,
    pub headers: labels::HeaderLanguage,
    /// the run's resolved settings, as the manifest records them
    pub settings: serde_json::Value,
}

/// What the output stage writes: stages 1–5's results.
pub struct Findings<'a> {
    pub target: &'a Target,
    pub courts: &'a Courts,
    pub found: &'a Deduplicated,
    pub figures: &'a Indicators,
    /// §10: what the run warns of
    pub warnings: &'a [crate::run_warnings::RunWarning],
    /// the watch lists (§11)
    pub lists: &'a crate::watchlist::WatchList,
    pub ranks: &'a Rankings,
    /// §14: each unit against each reference interval, when there are any
    pub assessment: Option<&'a [crate::indicators::assessment::Assessment]>,
    /// §15: the same period last year, unless `compare = false`
    pub comparison: Option<&'a crate::compare::Comparison>,
    /// §13: the definitions the figures were counted under
    pub definitions: &'a crate::indicators::Definitions,
    /// the files under the input folders that are not exports
    pub ignored: &'a [String],
    /// party names were hashed under a key: the case table has hash columns
    pub with_parties: bool,
}

/// Writes every table into a staging folder, then the report and the
/// manifest (`cache_report` is asked once the tables are written: what the
/// chunk store did is part of it), and publishes the folder all at once.
pub fn publish(
    f: Findings,
    chunks: Option<&dyn reuse::ChunkStore>,
    cache_report: &dyn Fn() -> Option<serde_json::Value>,
    clock: &mut crate::clock::Clock,
) -> Result<manifest::Manifest, OutputError> {
    use tables::*;
    let (target, courts, found) = (f.target, f.courts, f.found);
    let at_out = |e: std::io::Error| OutputError { path: target.out.display().to_string(), message: e.to_string() };
    let staging = Staging::new(&target.out).map_err(at_out)?;
    let period = &target.period;
    let mut tables = vec![
        (court_table(f.figures, f.ranks, courts, period), BOTH),
        (city_table(f.figures, f.ranks, period), BOTH),
        (province_table(f.figures, period), BOTH),
        (monthly_table(f.figures, courts), BOTH),
    ];
    tables.extend(f.comparison.map(|c| (comparison_table(c), BOTH)));
    tables.extend(f.assessment.map(|a| (assessment_table(a), BOTH)));
    tables.push((definitions_table(f.definitions, f.target), CSV_ONLY));
    let contract = f.definitions.contract_category.as_str();
    // one layout of the causes for the two tables that show them
    let causes = CausesByName::of(&found.causes);
    let lists = watchlist_table(&f.lists.entries, &found.cases, courts, &causes, contract, watchlist_chunks());
    let names = found.file_names();
    let case_names = CaseNames { courts, files: &names, causes: &causes, contract };
    let quarantine = quarantine_table(&found.quarantined, &names, quarantine_chunks());
    let duplicates = duplicates_table(&found.duplicates, courts, &names, duplicate_chunks());
    let cases = cases_table(&found.cases, case_names, f.with_parties, case_chunks());
    let headers = target.headers;
    let mut written = clock
        .time("write", || -> Result<Vec<WrittenFile>, OutputError> {
            // the two largest, the case table and the watch list, are each
            // written beside the others: a file is written by one thread
            // (its hash, its writes), which a refresh that reuses nearly
            // every chunk leaves as most of its work
            let (small, (lists_files, cases_file)) = rayon::join(
                || {
                    let mut w = write_tables(&staging, &tables, headers)?;
                    w.extend(write_chunked(&staging, &[(&quarantine, BOTH), (&duplicates, BOTH)], headers, chunks)?);
                    w.push(write_workbook(&staging, &f, &tables, &lists)?);
                    Ok::<_, OutputError>(w)
                },
                || {
                    rayon::join(
                        || write_csv_and_parquet(&staging, &lists, headers, chunks),
                        || write_chunked(&staging, &[(&cases, PARQUET_ONLY)], headers, chunks),
                    )
                },
            );
            let mut w = small?;
            w.extend(lists_files?);
            w.extend(cases_file?);
            Ok(w)
        })
        .map_err(|e| e.under(&target.out))?;
    let rows_per_output = tables
        .iter()
        .map(|(t, _)| (t.name, t.rows()))
        .chain([(quarantine.name, quarantine.rows), (duplicates.name, duplicates.rows), (lists.name, lists.rows), (cases.name, cases.rows)])
        .collect();
    drop((quarantine, duplicates, lists, cases));
    let cache = cache_report();
    clock.finish();
    let mut manifest = manifest::Manifest::of(&f, rows_per_output, std::mem::take(&mut written), cache, clock);
    let find = |name: &str| tables.iter().find(|(t, _)| t.name == name).map(|(t, _)| report::StrTable::from_table(t));
    let report_input = report::ReportInput {
        court: report::StrTable::from_table(&tables[0].0),
        city: report::StrTable::from_table(&tables[1].0),
        province: report::StrTable::from_table(&tables[2].0),
        monthly: report::StrTable::from_table(&tables[3].0),
        // the page shows the province's comparison alone: its rows come last
        comparison: tables.iter().find(|(t, _)| t.name == "indicators_comparison").map(|(t, _)| {
            let province = t.rows().saturating_sub(crate::indicators::columns::COLUMNS.len());
            report::StrTable::from_table(&t.slice(province..t.rows()))
        }),
        assessment: find("indicators_assessment"),
        definitions: find("definitions"),
        manifest: serde_json::to_value(&manifest).unwrap_or_default(),
    };
    let html = report::render(&report_input);
    let page = staging
        .write("report.html", |w| w.write_all(html.as_bytes()))
        .map_err(|e| OutputError { path: "report.html".into(), message: e.to_string() }.under(&target.out))?;
    manifest.outputs.push(page);
    write_json(&staging, "run.json", &manifest).map_err(|e| e.under(&target.out))?;
    staging.publish().map_err(at_out)?;
    Ok(manifest)
}
