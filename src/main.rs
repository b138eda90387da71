//! The `courtstat` binary: parse arguments, run the library, map errors to
//! exit codes (0 ok, 1 the data failed the run, 2 usage or pipeline file).

use clap::Parser;
use courtstat::cli::{Cli, Command};
use courtstat::{progress::Progress, Settings};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = match Cli::parse().command {
        Command::Run(args) => args,
        Command::Validate(v) => return validate(&v),
        Command::Report { out_dir } => return report(&out_dir),
        Command::Gen(g) => return gen(&g),
        Command::Explain(e) => return explain(&e),
    };
    let key = std::env::var("COURTSTAT_HASH_KEY").ok();
    let result = courtstat::config::today()
        .and_then(|today| Settings::resolve(&args.overrides(), key, today))
        .map_err(courtstat::Error::from)
        .and_then(|settings| courtstat::run(&settings, &Progress::new(args.quiet)));
    match result {
        Ok(summary) => {
            if args.json {
                println!("{}", serde_json::json!({ "ok": true, "exit_code": 0, "summary": summary }));
            }
            if args.verbose {
                if let Some(cache) = &summary.cache {
                    eprintln!("courtstat: cache: {}", cache.explain());
                }
            }
            for w in &summary.run_warnings {
                eprintln!("courtstat: warning: {w}");
            }
            if !args.quiet {
                eprintln!("courtstat: {summary}");
                eprintln!("courtstat: tables published in {}", courtstat::display_path(&summary.out));
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            if args.json {
                println!("{}", serde_json::json!({ "ok": false, "exit_code": e.exit_code(), "error": e.to_string() }));
            }
            eprintln!("courtstat: error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

fn validate(v: &courtstat::cli::ValidateArgs) -> ExitCode {
    let key = std::env::var("COURTSTAT_HASH_KEY").ok();
    let result = courtstat::config::today()
        .and_then(|today| Settings::resolve(&v.overrides(), key, today))
        .map_err(courtstat::Error::from)
        .and_then(|s| courtstat::validate::validate(&s));
    match result {
        Ok(validation) => {
            print!("{}", courtstat::validate::render(&validation));
            if validation.any_rejected() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("courtstat validate: error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

fn explain(e: &courtstat::cli::ExplainArgs) -> ExitCode {
    use courtstat::explain::ExplainError;
    match courtstat::explain::explain(&e.out_dir, &e.unit, &e.indicator, e.part, e.month.as_deref()) {
        Ok((table, _)) => {
            let stdout = std::io::stdout();
            match courtstat::output::csv::write(&table, std::io::BufWriter::new(stdout.lock())) {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => {
                    eprintln!("courtstat explain: error: writing the cases: {err}");
                    ExitCode::from(1)
                }
            }
        }
        Err(err) => {
            eprintln!("courtstat explain: error: {err}");
            ExitCode::from(match err {
                ExplainError::Usage(_) => 2,
                ExplainError::NoRun(_) => 1,
            })
        }
    }
}

fn gen(g: &courtstat::cli::GenArgs) -> ExitCode {
    let result = g.settings().map_err(courtstat::Error::from).and_then(|s| {
        let courts = courtstat::reference::Courts::load(Some(std::path::Path::new(&s.province)))?;
        courtstat::gen::generate(&s, &courts)
            .map_err(|e| courtstat::Error::Output(courtstat::output::OutputError { path: s.out.display().to_string(), message: e.to_string() }))
    });
    match result {
        Ok(s) => {
            eprintln!("courtstat gen: {} files, {} rows ({} spoiled), {} bytes in {}", s.files, s.rows, s.bad_rows, s.bytes, g.out.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("courtstat gen: error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

fn report(dir: &std::path::Path) -> ExitCode {
    match courtstat::output::report::write_for_dir(dir) {
        Ok(path) => {
            eprintln!("courtstat report: wrote {}", path.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("courtstat report: error: {e}");
            ExitCode::from(1)
        }
    }
}
