//! Raw command-line flags (the first of two layers; `config` validates them
//! together with the pipeline file).

use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "courtstat", version, about = "Enforcement-case (执行案件) indicators and court rankings from court exports")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Language of the messages: en or zh (default: zh under a zh_* locale
    /// in LC_ALL, LC_MESSAGES or LANG, else en); the files keep theirs
    #[arg(long, global = true, value_name = "en|zh", value_parser = ["en", "zh"])]
    pub lang: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read every export under the input folders and publish the indicator tables.
    #[command(after_help = RUN_EXAMPLES)]
    Run(RunArgs),
    /// Read and check the inputs like `run`, publish nothing, report per file.
    #[command(after_help = crate::validate::USAGE_EXAMPLES)]
    Validate(ValidateArgs),
    /// Rewrite OUT_DIR/report.html from the tables published there.
    #[command(after_help = crate::output::report::USAGE_EXAMPLES)]
    Report {
        /// A published output folder
        out_dir: PathBuf,
    },
    /// List the cases behind one published figure, as CSV on standard output.
    #[command(after_help = crate::explain::USAGE_EXAMPLES)]
    Explain(ExplainArgs),
    /// Write a deterministic synthetic province export (for tests and benches).
    #[command(after_help = crate::gen::USAGE_EXAMPLES)]
    Gen(GenArgs),
}

#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// Pipeline file (TOML); its input folders, reference tables and limits are used
    pub pipeline: Option<PathBuf>,
    /// Input folder (repeatable); replaces the pipeline file's list
    #[arg(long = "input", value_name = "DIR")]
    pub input: Vec<PathBuf>,
    /// Courts reference table (default: the built-in Hebei table)
    #[arg(long, value_name = "FILE")]
    pub courts: Option<PathBuf>,
    /// Causes reference table (default: the built-in table)
    #[arg(long, value_name = "FILE")]
    pub causes: Option<PathBuf>,
}

impl ValidateArgs {
    pub fn overrides(&self) -> crate::config::Overrides {
        crate::config::Overrides {
            pipeline: self.pipeline.clone(),
            input: self.input.clone(),
            courts: self.courts.clone(),
            causes: self.causes.clone(),
            no_output: true,
            ..Default::default()
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// A published output folder
    pub out_dir: PathBuf,
    /// A court code, a city of the courts table, or `province`
    pub unit: String,
    /// A column of the indicator tables (with --month, of indicators_monthly)
    pub indicator: String,
    /// For a ratio: the cases of its numerator (default) or its denominator
    #[arg(long, value_enum)]
    pub part: Option<crate::explain::Part>,
    /// A month of the period (YYYY-MM): the monthly table's figure
    #[arg(long, value_name = "YYYY-MM")]
    pub month: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct GenArgs {
    /// Folder to write the export into (must be empty or absent)
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// About how many data rows to write across all files
    #[arg(long, default_value_t = 10_000)]
    pub rows: u64,
    /// Seed: the same seed and settings give the same bytes
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Mix encodings, header variants, value formats and bad rows
    #[arg(long)]
    pub messy: bool,
    /// Only these cities' courts, comma-separated (default: the whole province)
    #[arg(long, value_delimiter = ',')]
    pub cities: Vec<String>,
    /// Date of the refresh export (the earlier one is 85 days before)
    #[arg(long, value_name = "YYYY-MM-DD", default_value = "2023-08-25")]
    pub export_date: String,
    /// Spread filing dates over this many years (default: the last 540 days)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=30))]
    pub years: Option<u32>,
    /// Write the exports as .xlsx workbooks (title lines, 法标 header, typed cells, a 合计 row)
    #[arg(long)]
    pub workbooks: bool,
    /// The province whose courts export, by its 代字 (冀, 粤, 京, …)
    #[arg(long, default_value = "冀")]
    pub province: String,
}

const RUN_EXAMPLES: &str = "Examples:
  courtstat run pipelines/hebei.toml
  courtstat run pipelines/hebei.toml --as-of 2023-08-22 --out out/0822
  courtstat run --input exports/ --out out/ --from 2023-01-01 --as-of 2023-06-30

Exit codes: 0 success; 1 the data made the run fail (a rejected file, no input
file); 2 a usage or pipeline-file error. Nothing is published unless the run
succeeds.";

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Pipeline file (TOML); relative paths in it are relative to its folder
    pub pipeline: Option<PathBuf>,
    /// Input folder (repeatable); replaces the pipeline file's list
    #[arg(long = "input", value_name = "DIR")]
    pub input: Vec<PathBuf>,
    /// Output folder
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// First day of the period (default: 1 January of the as-of year)
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub from: Option<String>,
    /// The snapshot date (default: today)
    #[arg(long = "as-of", value_name = "YYYY-MM-DD")]
    pub as_of: Option<String>,
    /// Courts reference table (default: the built-in Hebei table)
    #[arg(long, value_name = "FILE")]
    pub courts: Option<PathBuf>,
    /// Causes reference table (default: the built-in table)
    #[arg(long, value_name = "FILE")]
    pub causes: Option<PathBuf>,
    /// Go on without rejected files; affected rows say complete = false
    #[arg(long)]
    pub allow_partial: bool,
    /// Wait for another run on the same output folder instead of failing
    #[arg(long)]
    pub wait: bool,
    /// Words heading the CSV columns: en (default) or zh (Parquet keeps English)
    #[arg(long, value_name = "en|zh", value_parser = ["en", "zh"])]
    pub csv_headers: Option<String>,
    /// Print the run summary as one JSON object on stdout (for schedulers)
    #[arg(long)]
    pub json: bool,
    /// Parse every file afresh, neither reading nor writing the cache
    #[arg(long)]
    pub no_cache: bool,
    /// Folder for the incremental cache (default: .NAME.courtstat.cache beside --out)
    #[arg(long, value_name = "DIR", conflicts_with = "no_cache")]
    pub cache_dir: Option<PathBuf>,
    /// Compare with this earlier run's published folder instead of
    /// recomputing the same period last year (§15)
    #[arg(long, value_name = "DIR")]
    pub baseline: Option<PathBuf>,
    /// No progress and no summary on stderr
    #[arg(long, short)]
    pub quiet: bool,
    /// Also say what the incremental cache did, and why a run parsed every file
    #[arg(long, short, conflicts_with = "quiet")]
    pub verbose: bool,
}

impl RunArgs {
    pub fn overrides(&self) -> crate::config::Overrides {
        crate::config::Overrides {
            pipeline: self.pipeline.clone(),
            input: self.input.clone(),
            out: self.out.clone(),
            from: self.from.clone(),
            as_of: self.as_of.clone(),
            courts: self.courts.clone(),
            causes: self.causes.clone(),
            allow_partial: self.allow_partial,
            wait_for_lock: self.wait,
            csv_headers: self.csv_headers.clone(),
            no_output: false,
            cache_dir: self.cache_dir.clone(),
            no_cache: self.no_cache,
            baseline: self.baseline.clone(),
        }
    }
}

impl GenArgs {
    pub fn settings(&self) -> Result<crate::gen::GenSettings, crate::config::ConfigError> {
        if self.out.exists() && self.out.read_dir().map(|mut d| d.next().is_some()).unwrap_or(true) {
            return Err(crate::config::ConfigError::said(crate::messages::Msg::CfgOutNotEmpty, &[&self.out.display()]));
        }
        if crate::reference::province_table(&self.province).is_none() {
            let marks: Vec<&str> = crate::reference::PROVINCES.iter().map(|p| p.0).collect();
            return Err(crate::config::ConfigError::Invalid(format!("--province {:?}: not one of {}", self.province, marks.join(" "))));
        }
        // a city the courts table does not know would write nothing
        let known = crate::reference::Courts::load(Some(std::path::Path::new(&self.province))).map(|c| c.cities()).unwrap_or_default();
        if let Some(unknown) = self.cities.iter().find(|c| !known.contains(c)) {
            return Err(crate::config::ConfigError::Invalid(format!(
                "--cities: {unknown:?} is not a city of the courts table ({})",
                known.join(", ")
            )));
        }
        Ok(crate::gen::GenSettings {
            out: self.out.clone(),
            rows: self.rows,
            seed: self.seed,
            messy: self.messy,
            cities: self.cities.clone(),
            export_date: crate::config::parse_date(&self.export_date, "--export-date")?,
            years: self.years,
            workbooks: self.workbooks,
            province: self.province.trim().to_string(),
        })
    }
}
