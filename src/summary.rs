//! The one-line run summary printed on stderr (and the data behind it).

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

#[derive(Debug, Clone, serde::Serialize)]
pub struct RunSummary {
    pub out: PathBuf,
    pub files: usize,
    pub rejected: Vec<String>,
    pub rows: u64,
    pub quarantined: BTreeMap<String, u64>,
    pub duplicates_dropped: u64,
    pub cases: u64,
    /// `None` with `ranking = false` (§14)
    pub courts_ranked: Option<usize>,
    pub warnings: BTreeMap<String, u64>,
    /// §10: each printed on a line of its own
    pub run_warnings: Vec<String>,
    pub courts_reported: u64,
    pub courts_expected: u64,
    pub cache: Option<crate::incremental::CacheStats>,
}

impl RunSummary {
    /// The summary of a published run, from its manifest.
    pub fn of(m: &crate::output::manifest::Manifest, settings: &crate::Settings, cache: Option<crate::incremental::CacheStats>) -> RunSummary {
        RunSummary {
            out: settings.out.clone(),
            files: m.files.len(),
            rejected: m.rejected_files.clone(),
            rows: m.rows_read,
            quarantined: m.quarantine_by_reason.iter().filter(|(_, n)| **n > 0).map(|(k, n)| (k.clone(), *n)).collect(),
            duplicates_dropped: m.duplicates_dropped,
            cases: m.cases_kept,
            courts_ranked: settings.ranking.then_some(m.courts_ranked),
            warnings: m.warnings.clone(),
            run_warnings: m.run_warnings.iter().map(|w| w.message.clone()).collect(),
            courts_reported: m.courts_reported,
            courts_expected: m.courts_expected,
            cache,
        }
    }
}

impl fmt::Display for RunSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let q: u64 = self.quarantined.values().sum();
        let reasons: Vec<String> = self.quarantined.iter().map(|(r, n)| format!("{r} {n}")).collect();
        write!(f, "{} files", self.files)?;
        if !self.rejected.is_empty() {
            write!(f, " ({} rejected)", self.rejected.len())?;
        }
        write!(f, ", {} rows, {q} quarantined", self.rows)?;
        if !reasons.is_empty() {
            write!(f, " ({})", reasons.join(", "))?;
        }
        write!(f, ", {} duplicates dropped, {} cases", self.duplicates_dropped, self.cases)?;
        write!(f, ", {} of {} basic courts reported", self.courts_reported, self.courts_expected)?;
        match self.courts_ranked {
            Some(n) => write!(f, ", {n} courts ranked")?,
            None => write!(f, ", ranking off")?,
        }
        match &self.cache {
            Some(c) if c.files_cached > 0 => write!(f, "; {} of {} files unchanged since the last run (cached)", c.files_cached, self.files),
            _ => Ok(()),
        }
    }
}

/// `pipelines/../out/hebei` → `out/hebei`, for messages only (it does not
/// resolve links, so it is never used to open a file).
pub fn display_path(p: &std::path::Path) -> String {
    use std::path::Component;
    let mut parts: Vec<Component> = Vec::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(parts.last(), Some(Component::Normal(_))) => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    let out: std::path::PathBuf = parts.iter().collect();
    if out.as_os_str().is_empty() {
        ".".into()
    } else {
        out.display().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_path_drops_dot_dot_after_a_name() {
        assert_eq!(display_path(std::path::Path::new("pipelines/../out/hebei")), "out/hebei");
        assert_eq!(display_path(std::path::Path::new("../out/./x")), "../out/x");
    }
}
