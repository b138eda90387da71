//! The `courtstat` binary: parse arguments, run the library, map errors to
//! exit codes (0 ok, 1 the data failed the run, 2 usage or pipeline file).

use clap::Parser;
use courtstat::cli::{Cli, Command};
use courtstat::messages::{Lang, Msg};
use courtstat::{progress::Progress, Settings};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let lang = courtstat::messages::init(cli.lang.as_deref());
    let args = match cli.command {
        Command::Run(args) => args,
        Command::Validate(v) => return validate(&v, lang),
        Command::Report { out_dir } => return report(&out_dir, lang),
        Command::Gen(g) => return gen(&g, lang),
        Command::Explain(e) => return explain(&e, lang),
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
                    eprintln!("{}", Msg::CacheLine.say(lang, &[&cache.explain()]));
                }
            }
            for w in summary.warnings_in(lang) {
                eprintln!("{}", Msg::Warning.say(lang, &[w]));
            }
            if !args.quiet {
                eprintln!("{}", Msg::Summary.say(lang, &[&summary.line(lang)]));
                eprintln!("{}", Msg::Published.say(lang, &[&courtstat::display_path(&summary.out)]));
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            if args.json {
                println!("{}", serde_json::json!({ "ok": false, "exit_code": e.exit_code(), "error": e.to_string() }));
            }
            eprintln!("{}", Msg::Error.say(lang, &[&e.message(lang)]));
            ExitCode::from(e.exit_code())
        }
    }
}

fn validate(v: &courtstat::cli::ValidateArgs, lang: Lang) -> ExitCode {
    let key = std::env::var("COURTSTAT_HASH_KEY").ok();
    let result = courtstat::config::today()
        .and_then(|today| Settings::resolve(&v.overrides(), key, today))
        .map_err(courtstat::Error::from)
        .and_then(|s| courtstat::validate::validate(&s));
    match result {
        Ok(validation) => {
            print!("{}", courtstat::validate::render(&validation, lang));
            if validation.any_rejected() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("{}", Msg::SubcommandError.say(lang, &[&"validate", &e.message(lang)]));
            ExitCode::from(e.exit_code())
        }
    }
}

fn explain(e: &courtstat::cli::ExplainArgs, lang: Lang) -> ExitCode {
    use courtstat::explain::ExplainError;
    match courtstat::explain::explain(&e.out_dir, &e.unit, &e.indicator, e.part, e.month.as_deref()) {
        Ok((table, _)) => {
            let stdout = std::io::stdout();
            match courtstat::output::csv::write(&table, std::io::BufWriter::new(stdout.lock())) {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => {
                    eprintln!("{}", Msg::SubcommandError.say(lang, &[&"explain", &Msg::WritingCases.say(lang, &[&err])]));
                    ExitCode::from(1)
                }
            }
        }
        Err(err) => {
            eprintln!("{}", Msg::SubcommandError.say(lang, &[&"explain", &err.message(lang)]));
            ExitCode::from(match err {
                ExplainError::Usage(_) => 2,
                ExplainError::NoRun(_) => 1,
            })
        }
    }
}

fn gen(g: &courtstat::cli::GenArgs, lang: Lang) -> ExitCode {
    let result = g.settings().map_err(courtstat::Error::from).and_then(|s| {
        let courts = courtstat::reference::Courts::load(Some(std::path::Path::new(&s.province)))?;
        courtstat::gen::generate(&s, &courts)
            .map_err(|e| courtstat::Error::Output(courtstat::output::OutputError { path: s.out.display().to_string(), message: e.to_string() }))
    });
    match result {
        Ok(s) => {
            eprintln!("{}", Msg::GenDone.say(lang, &[&s.files, &s.rows, &s.bad_rows, &s.bytes, &g.out.display()]));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{}", Msg::SubcommandError.say(lang, &[&"gen", &e.message(lang)]));
            ExitCode::from(e.exit_code())
        }
    }
}

fn report(dir: &std::path::Path, lang: Lang) -> ExitCode {
    match courtstat::output::report::write_for_dir(dir) {
        Ok(path) => {
            eprintln!("{}", Msg::ReportWritten.say(lang, &[&path.display()]));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{}", Msg::SubcommandError.say(lang, &[&"report", &e]));
            ExitCode::from(1)
        }
    }
}
