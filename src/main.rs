//! The `courtstat` binary: parse arguments, run the library, map errors to
//! exit codes (0 ok, 1 the data failed the run, 2 usage or pipeline file).

use clap::Parser;
use courtstat::cli::{Cli, Command};
use courtstat::{progress::Progress, Settings};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let Command::Run(args) = cli.command;
    let today = chrono::Local::now().date_naive();
    let key = std::env::var("COURTSTAT_HASH_KEY").ok();
    let result = Settings::resolve(&args.overrides(), key, today)
        .map_err(courtstat::Error::from)
        .and_then(|settings| courtstat::run(&settings, &Progress::new(args.quiet)));
    match result {
        Ok(summary) => {
            if !args.quiet {
                eprintln!("courtstat: {summary}");
                eprintln!("courtstat: tables published in {}", summary.out.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("courtstat: error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
