//! The one-line run summary printed on stderr (and the data behind it).

use crate::messages::{Lang, Msg};
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
    /// the same in Chinese (`--lang zh`)
    #[serde(skip)]
    pub run_warnings_zh: Vec<String>,
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
            run_warnings_zh: m.run_warnings.iter().map(|w| w.message_zh.clone()).collect(),
            courts_reported: m.courts_reported,
            courts_expected: m.courts_expected,
            cache,
        }
    }

    /// §10's warnings in `lang`, one a line.
    pub fn warnings_in(&self, lang: Lang) -> &[String] {
        if lang == Lang::Zh {
            &self.run_warnings_zh
        } else {
            &self.run_warnings
        }
    }

    /// The summary line in `lang` (quarantine reasons by code in English,
    /// by their Chinese label in Chinese).
    pub fn line(&self, lang: Lang) -> String {
        let q: u64 = self.quarantined.values().sum();
        let reason = |code: &String| match lang {
            Lang::Zh => crate::domain::QuarantineReason::of_code(code).map_or(code.clone(), |r| r.label().to_string()),
            Lang::En => code.clone(),
        };
        let reasons: Vec<String> = self.quarantined.iter().map(|(r, n)| format!("{} {n}", reason(r))).collect();
        let mut s = Msg::SumFiles.say(lang, &[&self.files]);
        if !self.rejected.is_empty() {
            s += &Msg::SumRejected.say(lang, &[&self.rejected.len()]);
        }
        s += &Msg::SumRows.say(lang, &[&self.rows, &q]);
        if !reasons.is_empty() {
            s += &Msg::SumReasons.say(lang, &[&reasons.join(if lang == Lang::Zh { "，" } else { ", " })]);
        }
        s += &Msg::SumCases.say(lang, &[&self.duplicates_dropped, &self.cases]);
        s += &Msg::SumReported.say(lang, &[&self.courts_reported, &self.courts_expected]);
        s += &match self.courts_ranked {
            Some(n) => Msg::SumRanked.say(lang, &[&n]),
            None => Msg::SumRankingOff.say(lang, &[]),
        };
        if let Some(c) = self.cache.as_ref().filter(|c| c.files_cached > 0) {
            s += &Msg::SumCached.say(lang, &[&c.files_cached, &self.files]);
        }
        s
    }
}

impl fmt::Display for RunSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.line(Lang::En))
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
