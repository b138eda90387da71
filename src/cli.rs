//! Raw command-line flags (the first of two layers; `config` validates them
//! together with the pipeline file).

use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "courtstat", version, about = "Enforcement-case (执行案件) indicators and court rankings from court exports")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read every export under the input folders and publish the indicator tables.
    #[command(after_help = RUN_EXAMPLES)]
    Run(RunArgs),
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
    /// No progress and no summary on stderr
    #[arg(long, short)]
    pub quiet: bool,
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
        }
    }
}
