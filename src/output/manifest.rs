//! `run.json`, the manifest (§9): what was read, what became of it, and what
//! was written, so that every dropped row can be accounted for.

use crate::normalize::FileEntry;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Serialize)]
pub struct Manifest {
    pub tool: &'static str,
    pub version: &'static str,
    pub complete: bool,
    pub settings: serde_json::Value,
    pub party_names: String,
    pub files: Vec<FileEntry>,
    pub ignored_files: Vec<String>,
    pub rejected_files: Vec<String>,
    pub rows_read: u64,
    pub rows_quarantined: u64,
    pub quarantine_by_reason: BTreeMap<String, u64>,
    /// fields of quarantined records that lost personal data (§5.1)
    pub fields_redacted: u64,
    /// every warning by code, with how many rows, files or courts: the
    /// rows' and files' (§2, §5) and the run's (§10)
    pub warnings: BTreeMap<String, u64>,
    /// §10's warnings in full: what each says and the courts it names
    pub run_warnings: Vec<crate::run_warnings::RunWarning>,
    /// §9: basic courts with a kept case, of all in the courts table
    pub courts_reported: u64,
    pub courts_expected: u64,
    pub cases_valid: u64,
    pub duplicates_dropped: u64,
    /// case numbers sent more than once, and those whose versions disagree on the filing date
    pub duplicate_keys: u64,
    pub duplicate_conflicts: u64,
    pub cases_kept: u64,
    pub courts_ranked: usize,
    /// where `indicators_comparison`'s `previous` came from (§15); `null`
    /// with `compare = false`
    pub comparison: Option<serde_json::Value>,
    /// the watch lists per court and each city's longest-overdue cases (the
    /// report's 需关注 section)
    pub watchlist: crate::watchlist::Summary,
    pub rows_per_output: BTreeMap<&'static str, usize>,
    pub outputs: Vec<super::publish::WrittenFile>,
    /// what the incremental cache did (`incremental::CacheStats`); `null`
    /// with `--no-cache`
    pub cache: Option<serde_json::Value>,
    pub timings_ms: BTreeMap<&'static str, u64>,
    /// resident memory after each stage and the peak (Linux), in MB
    pub memory_mb: BTreeMap<&'static str, u64>,
}

impl Manifest {
    /// The manifest of a run about to be published.
    pub fn of(
        f: &super::Findings,
        rows_per_output: BTreeMap<&'static str, usize>,
        outputs: Vec<super::publish::WrittenFile>,
        cache: Option<serde_json::Value>,
        clock: &mut crate::clock::Clock,
    ) -> Manifest {
        let files = &f.found.files;
        let counts = Counts::of(files.iter().map(|a| &a.entry));
        let cases_kept = f.found.cases.len() as u64;
        let rejected_files: Vec<String> = files.iter().filter(|a| a.is_rejected()).map(|a| a.name().to_string()).collect();
        Manifest {
            tool: "courtstat",
            version: env!("CARGO_PKG_VERSION"),
            complete: rejected_files.is_empty(),
            settings: f.target.settings.clone(),
            party_names: if f.with_parties {
                "replaced by HMAC-SHA-256 keyed hashes (applicant_hash, respondent_hash)".into()
            } else {
                format!(
                    "no hash key set: party columns left out of cases.parquet, shown as {} in quarantine.csv",
                    crate::normalize::parties::REDACTED
                )
            },
            files: files.iter().map(|a| a.entry.clone()).collect(),
            ignored_files: f.ignored.to_vec(),
            rejected_files,
            rows_read: counts.rows_read,
            rows_quarantined: counts.rows_quarantined,
            quarantine_by_reason: counts.quarantine_by_reason,
            fields_redacted: counts.fields_redacted,
            warnings: counts.warnings.into_iter().chain(f.warnings.iter().map(|w| (w.kind.code().to_string(), w.count()))).collect(),
            run_warnings: f.warnings.to_vec(),
            courts_reported: f.figures.province_coverage.reported,
            courts_expected: f.figures.province_coverage.expected,
            cases_valid: counts.cases_valid,
            duplicates_dropped: counts.cases_valid.saturating_sub(cases_kept),
            duplicate_keys: f.found.duplicates.len() as u64,
            duplicate_conflicts: f.found.duplicates.iter().filter(|d| d.conflict).count() as u64,
            cases_kept,
            courts_ranked: f.ranks.ranked_courts(),
            comparison: f.comparison.map(|c| c.source.to_json()),
            watchlist: f.lists.summary.clone(),
            rows_per_output,
            outputs,
            cache,
            timings_ms: std::mem::take(&mut clock.timings),
            memory_mb: std::mem::take(&mut clock.memory),
        }
    }
}

/// The counts of the manifest, summed over the accepted files.
#[derive(Debug, Default, Clone)]
pub struct Counts {
    pub rows_read: u64,
    pub rows_quarantined: u64,
    pub quarantine_by_reason: BTreeMap<String, u64>,
    pub fields_redacted: u64,
    pub warnings: BTreeMap<String, u64>,
    pub cases_valid: u64,
}

impl Counts {
    /// Every quarantine reason (zeros included) and warning over the
    /// accepted files' entries.
    pub fn of<'a>(entries: impl IntoIterator<Item = &'a FileEntry>) -> Counts {
        let mut c = Counts {
            quarantine_by_reason: crate::domain::QuarantineReason::ALL.iter().map(|q| (q.code().to_string(), 0)).collect(),
            ..Counts::default()
        };
        for e in entries.into_iter().filter(|e| e.rejected.is_none()) {
            for (k, n) in &e.quarantine_by_reason {
                *c.quarantine_by_reason.entry(k.clone()).or_default() += n;
            }
            for (k, n) in &e.warnings {
                *c.warnings.entry(k.clone()).or_default() += n;
            }
            c.rows_read += e.data_records;
            c.rows_quarantined += e.quarantined;
            c.fields_redacted += e.fields_redacted;
            c.cases_valid += e.cases;
        }
        c
    }
}
