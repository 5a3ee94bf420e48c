//! `quad-vs-grad`: race first- and second-order optimizers on the XOR MLP,
//! print a summary, and draw `paths.png` and `journey.gif`.
//!
//! A thin command line over the library: parse and validate the flags, run
//! the race, render the figures in memory, then write the files all or
//! nothing ([`commit_all`]): a failure or a kill leaves either every output
//! of the run or none, and the next run completes or discards what a killed
//! one left ([`recover`](quad_vs_grad::outputs::recover)).
//! Bad input exits with code 2 and a one-line message naming the flag,
//! before any work is done and without leaving files behind; any later
//! failure exits with 2 as well (no path exits with 1). Every optimizer run
//! has a budget (`--max-evals`, `--max-seconds`), the whole race one more
//! (`--max-total-seconds`), and dense curvature that would not fit the
//! memory limit is refused up front, so no run can hang or exhaust memory.
//!
//! The flags and their help texts are in `quad-vs-grad/args.rs`, their
//! validation into a plan in `quad-vs-grad/plan.rs`; the run is here.

use std::process::ExitCode;
use std::time::Instant;

use clap::FromArgMatches;
use quad_vs_grad::outputs::commit_all;
use quad_vs_grad::plot::{self, AnimationOptions, PathsStyle};
use quad_vs_grad::prelude::*;
use quad_vs_grad::race::{self, OptimizerSpec};
use quad_vs_grad::report::{dataset_csv, traces_csv, traces_json, Summary};

/// `println!` that ignores a closed stdout (`quad-vs-grad | head`) instead of panicking.
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($t)*);
    }};
}

// The binary's root sits beside its folder (`src/bin/quad-vs-grad/`), where
// a crate root would look for its modules in `src/bin/` itself.
#[path = "quad-vs-grad/args.rs"]
mod args;
#[path = "quad-vs-grad/plan.rs"]
mod plan;
#[path = "quad-vs-grad/selection.rs"]
mod selection;

use args::{command, Args};
use plan::{plan, Plan, Usage};

fn run(plan: Plan) -> Result<(), String> {
    let t0 = Instant::now();
    let problem = &plan.preset.problem;
    let traces = race::race(problem, &plan.start, &plan.specs, &plan.cfg);
    let race_ms = t0.elapsed().as_secs_f64() * 1e3;
    if !plan.quiet {
        say!("{}", problem.name());
        say!(
            "start {}, {} steps max, step tolerance {:e}",
            fmt_point(&plan.start),
            plan.cfg.max_iters,
            plan.cfg.tol
        );
        if let Some(b) = plan.cfg.batch_size {
            let names = |v: &[OptimizerSpec]| {
                v.iter()
                    .map(|s| s.label.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            say!(
                "stochastic mode: mini-batches of {b} (seed {}) for every optimizer; loss is full-batch",
                plan.cfg.seed
            );
            if !plan.left_out.is_empty() {
                say!(
                    "left out of the default race (no stochastic mode): {}",
                    names(&plan.left_out)
                );
            }
        }
        for (spec, why) in &plan.too_big {
            say!("left out of the default race: {} ({why})", spec.label);
        }
        if let Some(c) = plan.cfg.curvature_batch_size {
            say!(
                "curvature from separate batches of {c} (seed {}) for the damped optimizers",
                plan.cfg.curvature_seed()
            );
        }
        say!("");
        say!("{}", Summary::new(&traces).to_string().trim_end());
        say!("");
    }

    let t1 = Instant::now();
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    if plan.figures {
        let (grid, shown) = plot::path_view(problem, &traces, None, 200)
            .map_err(|e| format!("evaluating the loss landscape failed: {e}"))?;
        // paths.png is drawn on its own thread while journey.gif renders
        // (which spreads its frames over the cores): the two share only the
        // grid and the traces, and each has the same bytes either way.
        let (paths, journey) = std::thread::scope(|scope| {
            let paths = scope.spawn(|| plot::paths_figure(&grid, &shown, &PathsStyle::default()));
            let journey = plot::journey_animation(
                &grid,
                &shown,
                &AnimationOptions {
                    frames: plan.frames,
                    fps: plan.fps as f64,
                    progress: !plan.quiet,
                    ..AnimationOptions::default()
                },
            );
            let paths = paths.join().unwrap_or_else(|_| {
                Err(plot::PlotError::Drawing(
                    "the drawing thread panicked".into(),
                ))
            });
            (paths, journey)
        });
        let paths = paths.map_err(|e| format!("drawing paths.png failed: {e}"))?;
        let journey = journey.map_err(|e| format!("drawing journey.gif failed: {e}"))?;
        files.push(("paths.png".to_string(), paths.into_bytes()));
        files.push(("journey.gif".to_string(), journey.into_bytes()));
    }
    if plan.export {
        files.push((
            "traces.csv".to_string(),
            traces_csv(&traces).map_err(|e| e.to_string())?,
        ));
        files.push((
            "traces.json".to_string(),
            traces_json(&traces).map_err(|e| e.to_string())?,
        ));
        files.push((
            "data.csv".to_string(),
            dataset_csv(problem.data()).map_err(|e| e.to_string())?,
        ));
    }
    let draw_ms = t1.elapsed().as_secs_f64() * 1e3;
    // every output appears, complete, or none does
    commit_all(&plan.out_dir, &files).map_err(|e| e.to_string())?;
    if !plan.quiet {
        for (name, bytes) in &files {
            say!(
                "wrote {} ({} KB)",
                plan.out_dir.join(name).display(),
                bytes.len().div_ceil(1024)
            );
        }
        say!(
            "race {race_ms:.0} ms, figures {draw_ms:.0} ms, total {:.0} ms",
            t0.elapsed().as_secs_f64() * 1e3
        );
    }
    Ok(())
}

fn fmt_point(p: &Array1<f64>) -> String {
    let parts: Vec<String> = p.iter().map(|&v| quad_vs_grad::fmt::number(v)).collect();
    format!("({})", parts.join(", "))
}

fn main() -> ExitCode {
    let parsed = command()
        .try_get_matches()
        .and_then(|m| Args::from_arg_matches(&m));
    let args = match parsed {
        Ok(a) => a,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                e.exit();
            }
            // One line naming the flag, as for every other bad input.
            let text = e.render().to_string();
            let line: Vec<&str> = text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more"))
                .collect();
            eprintln!("{} (see --help)", line.join(" "));
            return ExitCode::from(2);
        }
    };
    let plan = match plan(args) {
        Ok(p) => p,
        Err(Usage(msg)) => {
            eprintln!("error: {msg}");
            return ExitCode::from(2);
        }
    };
    // Every failure exits with 2, on one line (input is validated first,
    // so this is a drawing or writing failure; nothing was written).
    let code = match run(plan) {
        Ok(()) => 0,
        Err(msg) => {
            eprintln!("error: {}", msg.lines().next().unwrap_or("unknown failure"));
            2
        }
    };
    if race::abandoned_runs() > 0 {
        // A run stopped at its time limit is still inside a factorisation
        // on a background thread; OpenBLAS's exit handler would wait for
        // it. Every output is written and synced: end now.
        use std::io::Write as _;
        let _ = std::io::stdout().flush();
        let _ = std::io::stderr().flush();
        // SAFETY: `_exit` ends the process without running exit handlers;
        // nothing is left to flush or clean up.
        unsafe { libc::_exit(code) }
    }
    ExitCode::from(code as u8)
}
