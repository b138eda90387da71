//! Raw flags and the pipeline file (§10) become one validated `Settings`.
//! Every mistake here is a usage error (exit 2) that names the key or file.

use crate::indicators::Period;
use crate::rank::Thresholds;
use chrono::NaiveDate;
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{}", self.message(Lang::En))]
    Pipeline { file: String, message: String },
    #[error("{0}")]
    Invalid(String),
    /// a message of the table, in either language
    #[error("{0}")]
    Said(crate::messages::Said),
}

use crate::messages::{Lang, Msg};

impl ConfigError {
    /// The error in `lang` (a setting's own complaint stays as written).
    pub fn message(&self, lang: Lang) -> String {
        match self {
            ConfigError::Pipeline { file, message } => Msg::ErrPipeline.say(lang, &[file, message]),
            ConfigError::Invalid(m) => m.clone(),
            ConfigError::Said(said) => said.in_lang(lang),
        }
    }

    pub fn said(msg: Msg, args: &[&dyn std::fmt::Display]) -> ConfigError {
        ConfigError::Said(crate::messages::Said::new(msg, args))
    }
}

/// The pipeline file as written. Unknown keys are errors.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineFile {
    pub input: Option<OneOrMany>,
    pub out: Option<String>,
    pub from: Option<DateValue>,
    pub as_of: Option<DateValue>,
    pub courts: Option<String>,
    pub causes: Option<String>,
    pub first_enforcement_months: Option<u32>,
    pub min_closed: Option<u64>,
    pub max_bad_row_ratio: Option<f64>,
    pub tiers: Option<TiersFile>,
    /// a file holding the key for the party-name hash (else COURTSTAT_HASH_KEY)
    pub hash_key_file: Option<String>,
    /// a record longer than this many bytes rejects its file (default 1 MiB)
    pub max_record_bytes: Option<u64>,
    /// a record with more fields rejects its file (default 1000)
    pub max_fields: Option<u64>,
    /// "en" (default) or "zh": the words heading the CSV columns
    pub csv_headers: Option<String>,
    /// where parsed files are kept between runs (default: `.NAME.courtstat.cache`
    /// beside the output folder)
    pub cache_dir: Option<String>,
    /// the definitions (口径) of §13
    pub definitions: Option<DefinitionsFile>,
    /// §14: `false` leaves every rank column empty
    pub ranking: Option<bool>,
    /// §14: reference intervals by §7 column
    pub intervals: Option<std::collections::BTreeMap<String, IntervalFile>>,
    /// §15: `false` writes no comparison
    pub compare: Option<bool>,
    /// §15: an earlier run's published folder to compare with
    pub baseline: Option<String>,
    /// §5.1: header words of unknown columns whose raw text quarantined rows keep
    pub raw_columns: Option<Vec<String>>,
}

/// `[definitions]` as written (§13); every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefinitionsFile {
    pub first_enforcement_types: Option<Vec<String>>,
    pub contract_category: Option<String>,
    pub executed_methods: Option<Vec<String>>,
    pub termination_min_months: Option<u32>,
    pub warn_days: Option<Vec<i64>>,
    pub review_days: Option<u32>,
    pub stale_days: Option<u32>,
}

/// `[intervals.COLUMN]` as written (§14): either bound may be left out.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntervalFile {
    pub min: Option<f64>,
    pub max: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// `"2023-08-22"` or a bare TOML date `2023-08-22`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum DateValue {
    Text(String),
    Toml(toml::value::Datetime),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TiersFile {
    pub completion_rate: Option<ThresholdFile>,
    pub contract_completion_rate: Option<ThresholdFile>,
    pub in_term_rate: Option<ThresholdFile>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThresholdFile {
    pub excellent: f64,
    pub good: f64,
}

/// Values given on the command line; each overrides the pipeline file.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub pipeline: Option<PathBuf>,
    pub input: Vec<PathBuf>,
    pub out: Option<PathBuf>,
    pub from: Option<String>,
    pub as_of: Option<String>,
    pub courts: Option<PathBuf>,
    pub causes: Option<PathBuf>,
    pub allow_partial: bool,
    pub wait_for_lock: bool,
    pub csv_headers: Option<String>,
    /// `validate` reads and checks without an output folder
    pub no_output: bool,
    pub cache_dir: Option<PathBuf>,
    /// parse every file, neither reading nor writing the cache
    pub no_cache: bool,
    /// §15: compare with this published folder
    pub baseline: Option<PathBuf>,
}

pub use crate::compare::CompareWith;

/// The validated settings of one run.
#[derive(Debug, Clone)]
pub struct Settings {
    pub pipeline: Option<PathBuf>,
    pub inputs: Vec<PathBuf>,
    pub out: PathBuf,
    pub period: Period,
    pub courts: Option<PathBuf>,
    pub causes: Option<PathBuf>,
    pub first_enforcement_months: u32,
    pub min_closed: u64,
    pub max_bad_row_ratio: f64,
    /// completion, contract completion, in-term
    pub tiers: [Thresholds; 3],
    pub allow_partial: bool,
    pub limits: crate::ingest::Limits,
    pub csv_headers: crate::output::labels::HeaderLanguage,
    /// wait for another run on the same output folder instead of failing
    pub wait_for_lock: bool,
    pub hash_key: Option<Vec<u8>>,
    /// where the key came from, for the manifest (never the key itself)
    pub hash_key_source: Option<String>,
    /// the incremental cache's folder; `None` runs without one
    pub cache_dir: Option<PathBuf>,
    /// the definitions (口径) of §13
    pub definitions: crate::indicators::Definitions,
    /// §14: rank the courts and cities (else every rank column is empty)
    pub ranking: bool,
    /// §14: the reference intervals, in §7's column order
    pub intervals: Vec<crate::indicators::Interval>,
    /// §15
    pub compare: CompareWith,
    /// §5.1: unknown columns kept in quarantined raw text (header words, normalised)
    pub raw_columns: Vec<String>,
    /// the day of the run (the default `as_of`; §10 warns of an `as_of` after it)
    pub today: NaiveDate,
}

/// The contract's example thresholds, used when the pipeline file has none.
pub const DEFAULT_TIERS: [Thresholds; 3] =
    [Thresholds { excellent: 0.35, good: 0.25 }, Thresholds { excellent: 0.35, good: 0.25 }, Thresholds { excellent: 0.98, good: 0.95 }];

/// The day of the run: today's local date, or `COURTSTAT_TODAY`
/// (YYYY-MM-DD) when set, so that a test or a rerun of a past night's job
/// sees the day that job saw.
pub fn today() -> Result<NaiveDate, ConfigError> {
    match std::env::var("COURTSTAT_TODAY") {
        Ok(s) if !s.is_empty() => parse_date(&s, "COURTSTAT_TODAY"),
        _ => Ok(chrono::Local::now().date_naive()),
    }
}

pub fn parse_date(s: &str, what: &str) -> Result<NaiveDate, ConfigError> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| ConfigError::said(Msg::CfgDate, &[&what, &format!("{s:?}")]))
}

fn date_value(v: &DateValue, what: &str) -> Result<NaiveDate, ConfigError> {
    match v {
        DateValue::Text(s) => parse_date(s, what),
        DateValue::Toml(d) => parse_date(&d.to_string(), what),
    }
}

impl Settings {
    /// Reads the pipeline file (if any) and applies the command line over it.
    /// `today` is the default as-of date.
    pub fn resolve(o: &Overrides, hash_key_env: Option<String>, today: NaiveDate) -> Result<Settings, ConfigError> {
        let (file, base) = match &o.pipeline {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .map_err(|e| ConfigError::Pipeline { file: p.display().to_string(), message: format!("cannot read: {e}") })?;
                let parsed: PipelineFile = toml::from_str(&text)
                    .map_err(|e| ConfigError::Pipeline { file: p.display().to_string(), message: e.to_string().trim_end().to_string() })?;
                let base = p.parent().map(Path::to_path_buf).filter(|b| !b.as_os_str().is_empty()).unwrap_or_else(|| PathBuf::from("."));
                (parsed, base)
            }
            None => (PipelineFile::default(), PathBuf::from(".")),
        };
        let rel = |s: &str| crate::reference::resolve(&base, Path::new(s));
        let inputs: Vec<PathBuf> = if !o.input.is_empty() {
            o.input.clone()
        } else {
            match &file.input {
                Some(OneOrMany::One(s)) => vec![rel(s)],
                Some(OneOrMany::Many(v)) => v.iter().map(|s| rel(s)).collect(),
                None => Vec::new(),
            }
        };
        if inputs.is_empty() {
            return Err(ConfigError::said(Msg::CfgNoInput, &[]));
        }
        for i in &inputs {
            if !i.is_dir() {
                return Err(ConfigError::said(Msg::CfgInputMissing, &[&i.display()]));
            }
        }
        let out = match o.out.clone().or_else(|| file.out.as_deref().map(rel)) {
            Some(out) => out,
            None if o.no_output => PathBuf::new(),
            None => return Err(ConfigError::said(Msg::CfgNoOutput, &[])),
        };
        let headers_word = o.csv_headers.clone().or(file.csv_headers.clone()).unwrap_or_else(|| "en".into());
        let csv_headers = crate::output::labels::HeaderLanguage::parse(&headers_word)
            .ok_or_else(|| ConfigError::Invalid(format!("csv_headers = {headers_word:?}: must be \"en\" or \"zh\"")))?;
        let as_of = match (&o.as_of, &file.as_of) {
            (Some(s), _) => parse_date(s, "--as-of")?,
            (None, Some(v)) => date_value(v, "as_of")?,
            (None, None) => today,
        };
        let from = match (&o.from, &file.from) {
            (Some(s), _) => parse_date(s, "--from")?,
            (None, Some(v)) => date_value(v, "from")?,
            (None, None) => NaiveDate::from_ymd_opt(chrono::Datelike::year(&as_of), 1, 1).unwrap_or(as_of),
        };
        if from > as_of {
            return Err(ConfigError::said(Msg::CfgFromAfterAsOf, &[&from, &as_of]));
        }
        let months = file.first_enforcement_months.unwrap_or(6);
        if !(1..=120).contains(&months) {
            return Err(ConfigError::Invalid(format!("first_enforcement_months = {months}: must be between 1 and 120")));
        }
        let max_bad_row_ratio = file.max_bad_row_ratio.unwrap_or(0.10);
        if !(0.0..=1.0).contains(&max_bad_row_ratio) {
            return Err(ConfigError::Invalid(format!("max_bad_row_ratio = {max_bad_row_ratio}: must be between 0 and 1")));
        }
        let tf = file.tiers.unwrap_or_default();
        let mut tiers = DEFAULT_TIERS;
        for (k, (name, t)) in
            [("completion_rate", tf.completion_rate), ("contract_completion_rate", tf.contract_completion_rate), ("in_term_rate", tf.in_term_rate)]
                .into_iter()
                .enumerate()
        {
            if let Some(t) = t {
                if !(0.0..=1.0).contains(&t.good) || !(0.0..=1.0).contains(&t.excellent) || t.good > t.excellent {
                    return Err(ConfigError::Invalid(format!(
                        "tiers.{name}: need 0 ≤ good ≤ excellent ≤ 1, got good = {}, excellent = {}",
                        t.good, t.excellent
                    )));
                }
                tiers[k] = Thresholds { excellent: t.excellent, good: t.good };
            }
        }
        let (hash_key, hash_key_source) = match (&file.hash_key_file, hash_key_env) {
            (Some(f), _) => {
                let p = rel(f);
                let k = std::fs::read(&p).map_err(|e| ConfigError::said(Msg::CfgKeyUnreadable, &[&p.display(), &e]))?;
                let k: Vec<u8> = k.trim_ascii().to_vec();
                if k.is_empty() {
                    return Err(ConfigError::said(Msg::CfgKeyEmpty, &[&p.display()]));
                }
                (Some(k), Some(format!("hash_key_file {}", p.display())))
            }
            (None, Some(k)) if !k.is_empty() => (Some(k.into_bytes()), Some("COURTSTAT_HASH_KEY".to_string())),
            _ => (None, None),
        };
        let cache_dir = match (o.no_cache || o.no_output, &o.cache_dir, &file.cache_dir) {
            (true, _, _) => None,
            (false, Some(d), _) => Some(d.clone()),
            (false, None, Some(d)) => Some(rel(d)),
            (false, None, None) => Some(crate::output::lock::beside_output(&out, "cache")),
        };
        Ok(Settings {
            today,
            pipeline: o.pipeline.clone(),
            inputs,
            out,
            period: Period { from, as_of },
            // a province's 代字 names an embedded table, not a file (§3)
            courts: o.courts.clone().or_else(|| {
                file.courts.as_deref().map(|c| if crate::reference::province_table(c).is_some() { PathBuf::from(c.trim()) } else { rel(c) })
            }),
            causes: o.causes.clone().or_else(|| file.causes.as_deref().map(rel)),
            first_enforcement_months: months,
            min_closed: file.min_closed.unwrap_or(10),
            max_bad_row_ratio,
            tiers,
            allow_partial: o.allow_partial,
            limits: crate::ingest::Limits {
                max_record_bytes: file.max_record_bytes.unwrap_or(crate::ingest::Limits::default().max_record_bytes).max(1),
                max_fields: file.max_fields.unwrap_or(crate::ingest::Limits::default().max_fields).max(1),
            },
            wait_for_lock: o.wait_for_lock,
            csv_headers,
            hash_key,
            hash_key_source,
            cache_dir,
            definitions: definitions(file.definitions.unwrap_or_default())?,
            ranking: file.ranking.unwrap_or(true),
            intervals: intervals(file.intervals.unwrap_or_default())?,
            compare: match (file.compare, o.baseline.clone().or_else(|| file.baseline.as_deref().map(rel))) {
                (Some(false), _) => CompareWith::Nothing,
                (_, Some(dir)) => CompareWith::Baseline(dir),
                (_, None) => CompareWith::PreviousYear,
            },
            raw_columns: raw_columns(file.raw_columns.unwrap_or_default())?,
        })
    }

    /// What stage 2 validates rows and files by.
    pub fn rules(&self) -> crate::normalize::Rules {
        crate::normalize::Rules {
            limits: self.limits,
            first_enforcement_months: self.first_enforcement_months,
            max_bad_row_ratio: self.max_bad_row_ratio,
            raw_columns: self.raw_columns.clone(),
        }
    }

    /// What the output stage writes where and how.
    pub fn target(&self) -> crate::output::Target {
        crate::output::Target { out: self.out.clone(), period: self.period, headers: self.csv_headers, settings: self.to_json() }
    }

    /// What stage 5 ranks and tiers by.
    pub fn rank_settings(&self) -> crate::rank::RankSettings {
        crate::rank::RankSettings { min_closed: self.min_closed, tiers: self.tiers, ranking: self.ranking }
    }

    /// How the comparison (§15) counts and ranks the year before: as this run.
    pub fn counting<'a>(&'a self, incomplete: &'a crate::indicators::Incomplete) -> crate::compare::Counting<'a> {
        crate::compare::Counting { period: &self.period, definitions: &self.definitions, ranking: self.rank_settings(), incomplete }
    }

    /// The resolved settings as the manifest records them (no key material).
    pub fn to_json(&self) -> serde_json::Value {
        let t = |k: usize| serde_json::json!({ "excellent": self.tiers[k].excellent, "good": self.tiers[k].good });
        serde_json::json!({
            "pipeline": self.pipeline.as_ref().map(|p| p.display().to_string()),
            "input": self.inputs.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
            "out": self.out.display().to_string(),
            "from": self.period.from.to_string(),
            "as_of": self.period.as_of.to_string(),
            "courts": self.courts.as_ref().map(|p| p.display().to_string()),
            "causes": self.causes.as_ref().map(|p| p.display().to_string()),
            "first_enforcement_months": self.first_enforcement_months,
            "min_closed": self.min_closed,
            "max_bad_row_ratio": self.max_bad_row_ratio,
            "tiers": { "completion_rate": t(0), "contract_completion_rate": t(1), "in_term_rate": t(2) },
            "allow_partial": self.allow_partial,
            "max_record_bytes": self.limits.max_record_bytes,
            "max_fields": self.limits.max_fields,
            "csv_headers": if self.csv_headers == crate::output::labels::HeaderLanguage::Chinese { "zh" } else { "en" },
            "hash_key": self.hash_key_source,
            "cache_dir": self.cache_dir.as_ref().map(|p| p.display().to_string()),
            "definitions": self.definitions.to_json(),
            "raw_columns": self.raw_columns,
            "ranking": self.ranking,
            "intervals": self.intervals.iter().map(|i| (i.column.to_string(), serde_json::json!({ "min": i.min, "max": i.max }))).collect::<serde_json::Map<_, _>>(),
            "compare": match &self.compare {
                CompareWith::Nothing => serde_json::Value::Bool(false),
                CompareWith::PreviousYear => serde_json::json!("previous_year"),
                CompareWith::Baseline(d) => serde_json::json!({ "baseline": d.display().to_string() }),
            },
        })
    }
}

/// `raw_columns` (§5.1): header words of columns §2.1 does not name; a word
/// that names a column of §2.1 (kept anyway) is a mistake worth saying.
fn raw_columns(words: Vec<String>) -> Result<Vec<String>, ConfigError> {
    let mut out = Vec::new();
    for w in &words {
        let word = crate::normalize::redact::raw_column_word(w);
        if word.is_empty() || crate::ingest::header::Column::matching(&word).is_some() {
            return Err(ConfigError::Invalid(format!("raw_columns: {w:?} is not the header word of a column the contract does not name")));
        }
        out.push(word);
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// `[definitions]` checked key by key (§13): a bad value names its key.
fn definitions(f: DefinitionsFile) -> Result<crate::indicators::Definitions, ConfigError> {
    use crate::domain::{ClosureMethod, TypeCode};
    let bad = |key: &str, why: String| ConfigError::Invalid(format!("definitions.{key}: {why}"));
    let mut d = crate::indicators::Definitions::default();
    if let Some(types) = f.first_enforcement_types {
        if types.is_empty() {
            return Err(bad("first_enforcement_types", "must name at least one type code".into()));
        }
        d.first_enforcement_types = types
            .iter()
            .map(|t| {
                TypeCode::new(t.trim())
                    .filter(|_| t.trim().starts_with('执'))
                    .ok_or_else(|| bad("first_enforcement_types", format!("{t:?} is not a type code (执, 执恢, 执保 …)")))
            })
            .collect::<Result<_, _>>()?;
        d.first_enforcement_types.dedup();
    }
    if let Some(c) = f.contract_category {
        if c.trim().is_empty() {
            return Err(bad("contract_category", "must name a category of the causes table".into()));
        }
        d.contract_category = c.trim().to_string();
    }
    if let Some(methods) = f.executed_methods {
        if methods.is_empty() {
            return Err(bad("executed_methods", "must name at least one closure method".into()));
        }
        let six = &ClosureMethod::ALL[..6];
        d.executed_methods = methods
            .iter()
            .map(|w| {
                six.iter().copied().find(|m| m.label() == w.trim()).ok_or_else(|| {
                    bad("executed_methods", format!("{w:?} is not one of {}", six.iter().map(|m| m.label()).collect::<Vec<_>>().join(", ")))
                })
            })
            .collect::<Result<_, _>>()?;
        d.executed_methods.sort_unstable_by_key(|m| *m as u8);
        d.executed_methods.dedup();
    }
    if let Some(m) = f.termination_min_months {
        if !(1..=120).contains(&m) {
            return Err(bad("termination_min_months", format!("{m}: must be between 1 and 120")));
        }
        d.termination_min_months = m;
    }
    if let Some(w) = f.warn_days {
        if w.is_empty() || w.iter().any(|&n| !(1..=3650).contains(&n)) {
            return Err(bad("warn_days", format!("{w:?}: must be whole numbers of days from 1 to 3650, at least one")));
        }
        let mut w: Vec<u32> = w.into_iter().map(|n| n as u32).collect();
        w.sort_unstable();
        w.dedup();
        d.warn_days = w;
    }
    if let Some(r) = f.review_days {
        if !(1..=3650).contains(&r) {
            return Err(bad("review_days", format!("{r}: must be between 1 and 3650")));
        }
        d.review_days = r;
    }
    if let Some(s) = f.stale_days {
        d.stale_days = s;
    }
    Ok(d)
}

/// `[intervals.*]` checked (§14): each names a column of §7, its bounds
/// numbers with `min ≤ max`; in §7's column order.
fn intervals(f: std::collections::BTreeMap<String, IntervalFile>) -> Result<Vec<crate::indicators::Interval>, ConfigError> {
    use crate::indicators::columns::COLUMNS;
    let mut out = Vec::new();
    for (name, b) in &f {
        let Some(column) = COLUMNS.iter().find(|c| c.name == name) else {
            return Err(ConfigError::Invalid(format!("intervals.{name}: not a column of the indicators tables (§7)")));
        };
        let finite = |v: Option<f64>| v.is_none_or(f64::is_finite);
        if (b.min.is_none() && b.max.is_none()) || !finite(b.min) || !finite(b.max) || matches!((b.min, b.max), (Some(lo), Some(hi)) if lo > hi) {
            return Err(ConfigError::Invalid(format!("intervals.{name}: needs min and/or max, numbers with min ≤ max")));
        }
        out.push(crate::indicators::Interval { column: column.name, min: b.min, max: b.max });
    }
    out.sort_by_key(|i| COLUMNS.iter().position(|c| c.name == i.column));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2023, 8, 22).unwrap()
    }

    fn with_file(toml: &str) -> Result<Settings, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("in")).unwrap();
        let p = dir.path().join("p.toml");
        std::fs::write(&p, toml).unwrap();
        let r = Settings::resolve(&Overrides { pipeline: Some(p), ..Default::default() }, None, today());
        drop(dir);
        r
    }

    #[test]
    fn unknown_key_is_an_error_that_names_it() {
        let e = with_file("input = [\"in\"]\nout = \"o\"\nmin_closd = 3\n").unwrap_err();
        assert!(e.to_string().contains("min_closd"), "{e}");
        let e = with_file("input = [\"in\"]\nout = \"o\"\n[tiers.completion_rate]\nexcelent = 0.3\ngood = 0.2\n").unwrap_err();
        assert!(e.to_string().contains("excelent"), "{e}");
    }

    #[test]
    fn relative_paths_are_relative_to_the_pipeline_file_and_defaults_apply() {
        let s = with_file("input = [\"in\"]\nout = \"o\"\nas_of = 2023-08-22\n").unwrap();
        assert!(s.inputs[0].ends_with("in") && s.inputs[0].is_absolute());
        assert_eq!(s.period.from, NaiveDate::from_ymd_opt(2023, 1, 1).unwrap());
        assert_eq!((s.first_enforcement_months, s.min_closed, s.max_bad_row_ratio), (6, 10, 0.10));
    }

    #[test]
    fn from_after_as_of_and_missing_input_folder_are_errors() {
        let e = with_file("input = [\"in\"]\nout = \"o\"\nfrom = \"2023-09-01\"\nas_of = \"2023-08-22\"\n").unwrap_err();
        assert!(e.to_string().contains("after"), "{e}");
        let e = with_file("input = [\"nowhere\"]\nout = \"o\"\n").unwrap_err();
        assert!(e.to_string().contains("nowhere"), "{e}");
    }
}
