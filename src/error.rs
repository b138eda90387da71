//! The library's typed errors and the exit code each maps to (§10):
//! 1 when the data made the run fail, 2 for a usage or pipeline-file error.

use crate::config::ConfigError;
use crate::ingest::DiscoverError;
use crate::output::OutputError;
use crate::reference::ReferenceError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("reference table {0}")]
    Reference(#[from] ReferenceError),
    #[error(transparent)]
    Discover(#[from] DiscoverError),
    #[error("the output folder {out} lies inside the input folder {input}: the next run would read its own outputs")]
    OutputInsideInput { out: String, input: String },
    #[error("no input file (*.csv, *.tsv) found under {0}")]
    NoInput(String),
    #[error("{}", rejected_message(.0))]
    Rejected(Vec<(String, String)>),
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error(transparent)]
    Lock(#[from] crate::output::lock::LockError),
    #[error(transparent)]
    Baseline(#[from] crate::compare::BaselineError),
}

fn rejected_message(files: &[(String, String)]) -> String {
    let mut s = format!("{} input file(s) rejected; nothing was published (use --allow-partial to go on without them):", files.len());
    for (f, r) in files {
        s.push_str(&format!("\n  {f}: {r}"));
    }
    s
}

impl Error {
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Config(_) | Error::Reference(_) | Error::OutputInsideInput { .. } | Error::Baseline(_) => 2,
            Error::Discover(DiscoverError::MissingFolder(_)) => 2,
            Error::Discover(_) | Error::NoInput(_) | Error::Rejected(_) | Error::Output(_) | Error::Lock(_) => 1,
        }
    }
}
