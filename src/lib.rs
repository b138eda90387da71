//! courtstat: enforcement-case exports of a province's courts in, the
//! indicators and rankings the province ranks its courts by out.
//!
//! This file is the pipeline in stage order and nothing else:
//! ingest → normalize → dedup → indicators → rank → output. Each stage takes
//! typed input, returns typed output and says what it dropped and why. The
//! incremental layer stands at one place: it may hand over what stages 1–3
//! would return, and otherwise they run.

pub mod cli;
pub mod clock;
pub mod compare;
pub mod config;
pub mod decimal;
pub mod dedup;
pub mod domain;
pub mod error;
pub mod explain;
pub mod gen;
pub mod incremental;
pub mod indicators;
pub mod ingest;
pub mod labels;
pub(crate) mod memory;
pub mod messages;
pub mod normalize;
pub mod number_order;
pub mod output;
pub mod progress;
pub mod rank;
pub mod reference;
pub mod run_warnings;
mod summary;
pub mod text;
pub mod validate;
pub mod watchlist;

pub use config::Settings;
pub use error::Error;
pub use summary::{display_path, RunSummary};

use clock::Clock;
use dedup::Deduplicated;
use incremental::Incremental;
use normalize::{parties::PartyHasher, RowContext};
use reference::{Causes, Courts};

/// Runs the whole job and publishes its outputs, or publishes nothing.
pub fn run(settings: &Settings, progress: &progress::Progress) -> Result<RunSummary, Error> {
    let mut clock = Clock::default();
    memory::return_large_frees_to_the_os();
    let courts = Courts::load(settings.courts.as_deref())?;
    let causes = load_causes(settings)?;
    check_out_not_inside_inputs(settings)?;
    let _lock = output::lock::acquire(&settings.out, settings.wait_for_lock)?;
    let inputs = discover_inputs(settings)?;
    progress.start_reading(inputs.files.len(), inputs.files.iter().map(|f| f.size).sum());
    let hasher = PartyHasher::new(settings.hash_key.clone());
    let ctx = RowContext::new(settings.rules(), &courts, &causes, &hasher);
    let done = |f: &ingest::InputFile| progress.file_done(f.size);
    let memo = Incremental::open(settings, &ctx);

    // 1–3. read and validate every file, keep one version of each case —
    // or what the last run's state says they would return
    let recalled = clock.time("recall", || memo.as_ref().and_then(|m| m.recall(&inputs, &ctx, &done).ok()));
    let mut found = match recalled {
        Some(found) => found,
        None => gather(&inputs, &ctx, &done, &mut clock),
    };
    normalize::settle_workbooks(found.files.iter_mut());
    refuse_rejected(&found, settings.allow_partial)?;
    if let Some(m) = &memo {
        clock.time("remember", || m.remember(&found));
    }

    // 4. the figures of every court, city and the province
    progress.stage(messages::Msg::ProgressIndicators);
    let incomplete = indicators::Incomplete::of(&found.files, &courts);
    let figures = clock.time("indicators", || indicators::compute(&found.cases, &courts, &settings.period, &settings.definitions, &incomplete));
    let warnings = run_warnings::of(&figures, &courts, &settings.period, &settings.definitions, settings.today);

    // 5. ranks and tiers; reference intervals (达标)
    let ranks = clock.time("rank", || rank::rank(&figures, &courts, &settings.rank_settings()));
    let assessment = clock.time("assess", || indicators::assessment::assess(&figures, &courts, &settings.intervals));

    // the watch lists (§11) and the same period last year (§15), side by side
    let (lists, comparison) = clock.time("watchlist_compare", || {
        rayon::join(
            || watchlist::lists(&found.cases, &courts, &settings.period, &settings.definitions),
            || compare::compare(&settings.compare, &settings.counting(&incomplete), &found.cases, &courts, &figures, &ranks),
        )
    });
    let comparison = comparison?;

    // 6. every table, the report and the manifest, published at once
    progress.stage(messages::Msg::ProgressWriting);
    let target = settings.target();
    let findings = output::Findings {
        target: &target,
        courts: &courts,
        found: &found,
        figures: &figures,
        warnings: &warnings,
        lists: &lists,
        ranks: &ranks,
        assessment: (!settings.intervals.is_empty()).then_some(assessment.as_slice()),
        comparison: comparison.as_ref(),
        definitions: &settings.definitions,
        ignored: &inputs.ignored,
        with_parties: hasher.has_key(),
    };
    let cache_report = || memo.as_ref().map(|m| serde_json::to_value(m.finish()).unwrap_or_default());
    let manifest = output::publish(findings, memo.as_ref().and_then(Incremental::chunks), &cache_report, &mut clock)?;
    progress.finish();
    let summary = RunSummary::of(&manifest, settings, memo.as_ref().map(Incremental::report));
    free_in_background((found, figures, lists, manifest));
    Ok(summary)
}

/// Stages 1–3 the cold way: every file read and validated, the accepted
/// files' rows merged in input order, one version of each case kept.
fn gather(inputs: &ingest::Discovery, ctx: &RowContext, done: &(dyn Fn(&ingest::InputFile) + Sync), clock: &mut Clock) -> Deduplicated {
    let positions: Vec<u32> = (0..inputs.files.len() as u32).collect();
    let parsed = clock.time("ingest_normalize", || normalize::parse_all(&inputs.files, &positions, ctx, done));
    let validated = clock.time("merge", || normalize::merge(parsed));
    clock.time("dedup", || dedup::dedup(validated, ctx.courts))
}

/// §5.2: a rejected file fails the run unless `--allow-partial`.
fn refuse_rejected(found: &Deduplicated, allow_partial: bool) -> Result<(), Error> {
    let rejected = normalize::Validated::rejected(&found.files);
    if rejected.is_empty() || allow_partial {
        Ok(())
    } else {
        Err(Error::Rejected(rejected))
    }
}

/// Drops the run's bulk on a thread of its own: with the tables published,
/// freeing millions of cases and unmapping their memory (25-30 ms on the
/// bench) need not hold up the caller, and a process that exits next
/// skips it. Without a thread to spare it is dropped here.
fn free_in_background<T: Send + 'static>(bulk: T) {
    let _ = std::thread::Builder::new().name("courtstat-free".into()).spawn(move || drop(bulk));
}

/// The causes table, 涉合同类 counting the category the definitions name.
pub(crate) fn load_causes(settings: &Settings) -> Result<Causes, Error> {
    let causes = Causes::load(settings.causes.as_deref())?;
    Ok(causes.counting_as_contract(&settings.definitions.contract_category).map_err(config::ConfigError::Invalid)?)
}

/// The export files under the input folders; none at all fails the run.
pub(crate) fn discover_inputs(settings: &Settings) -> Result<ingest::Discovery, Error> {
    let discovery = ingest::discover(&settings.inputs)?;
    if discovery.files.is_empty() {
        let folders: Vec<String> = settings.inputs.iter().map(|p| p.display().to_string()).collect();
        return Err(Error::NoInput(folders.join(", ")));
    }
    Ok(discovery)
}

fn check_out_not_inside_inputs(s: &Settings) -> Result<(), Error> {
    let abs = |p: &std::path::Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let out = abs(&s.out);
    let out = out.parent().and_then(|p| p.canonicalize().ok()).map(|p| p.join(out.file_name().unwrap_or_default())).unwrap_or(out);
    for input in &s.inputs {
        let input = input.canonicalize().unwrap_or_else(|_| abs(input));
        if out.starts_with(&input) {
            return Err(Error::OutputInsideInput { out: s.out.display().to_string(), input: input.display().to_string() });
        }
    }
    Ok(())
}
