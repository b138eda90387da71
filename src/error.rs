//! The library's typed errors and the exit code each maps to (§10):
//! 1 when the data made the run fail, 2 for a usage or pipeline-file error.

use crate::config::ConfigError;
use crate::ingest::DiscoverError;
use crate::messages::{Lang, Msg};
use crate::normalize::RejectedFile;
use crate::output::OutputError;
use crate::reference::ReferenceError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{}", self.message(Lang::En))]
    Reference(#[from] ReferenceError),
    #[error(transparent)]
    Discover(#[from] DiscoverError),
    #[error("{}", self.message(Lang::En))]
    OutputInsideInput { out: String, input: String },
    #[error("{}", self.message(Lang::En))]
    NoInput(String),
    #[error("{}", self.message(Lang::En))]
    Rejected(Vec<RejectedFile>),
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error(transparent)]
    Lock(#[from] crate::output::lock::LockError),
    #[error(transparent)]
    Baseline(#[from] crate::compare::BaselineError),
}

impl Error {
    /// The error as the person on call reads it, in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        match self {
            Error::Config(e) => e.message(lang),
            Error::Reference(e) => Msg::ErrReference.say(lang, &[e]),
            Error::Discover(e) => e.message(lang),
            Error::OutputInsideInput { out, input } => Msg::ErrOutputInsideInput.say(lang, &[out, input]),
            Error::NoInput(dir) => Msg::ErrNoInput.say(lang, &[dir]),
            Error::Rejected(files) => {
                let mut s = Msg::ErrRejected.say(lang, &[&files.len()]);
                for f in files {
                    let why = if lang == Lang::Zh { &f.why_zh } else { &f.why };
                    s.push_str(&format!("\n  {}{}{why}", f.file, if lang == Lang::Zh { "：" } else { ": " }));
                }
                s
            }
            Error::Output(e) => e.message(lang),
            Error::Lock(e) => e.message(lang),
            Error::Baseline(e) => e.message(lang),
        }
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Config(_) | Error::Reference(_) | Error::OutputInsideInput { .. } | Error::Baseline(_) => 2,
            Error::Discover(DiscoverError::MissingFolder(_)) => 2,
            Error::Discover(_) | Error::NoInput(_) | Error::Rejected(_) | Error::Output(_) | Error::Lock(_) => 1,
        }
    }
}
