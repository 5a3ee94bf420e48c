//! The scaling study of chapter 9: time per iteration, curvature memory and
//! evaluation counts of GD, Adam, L-BFGS, BFGS, Newton, GGN, Hessian-free and
//! K-FAC on full XOR networks from `D ≈ 10` to `D ≥ 10⁵`, the log-log slopes
//! beside the theory, where Newton's solve overtakes forming `H`, and wall
//! time to a target loss.
//!
//! ```text
//! cargo run --release --example scaling [-- --quick] [--csv out.csv] [--figure out.png]
//! ```
//!
//! Dense methods run only while an iteration fits the declared budget
//! (0.5 s and 2 GB; `--quick`: 20 ms and 64 MB); larger sizes are printed
//! as extrapolated, never as measured. Run it on an idle machine: the times
//! are wall times.

use std::error::Error;
use std::time::Instant;

use quad_vs_grad::lessons::cost_of_curvature::{provenance_label, ScalingConfig, ScalingStudy};

fn usage() -> &'static str {
    "usage: scaling [--quick] [--csv PATH] [--figure PATH]"
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut quick = false;
    let (mut csv, mut figure) = (None, None);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--quick" => quick = true,
            "--csv" => csv = Some(args.next().ok_or(usage())?),
            "--figure" => figure = Some(args.next().ok_or(usage())?),
            "-h" | "--help" => {
                println!("{}", usage());
                return Ok(());
            }
            other => return Err(format!("unknown argument `{other}`\n{}", usage()).into()),
        }
    }
    let cfg = if quick {
        ScalingConfig::quick()
    } else {
        ScalingConfig::full()
    };
    println!(
        "budget per iteration: {} and {} (peak memory); {} timed iterations per point (median)",
        quad_vs_grad::fmt::seconds(cfg.budget.seconds_per_iter),
        quad_vs_grad::fmt::bytes(cfg.budget.bytes),
        cfg.repeats
    );
    let t0 = Instant::now();
    let study = ScalingStudy::run_with(&cfg, |p| {
        eprintln!(
            "  {:<13} {:<8} D = {:>7}  {:>10}  {}",
            p.optimizer,
            p.family.label(),
            p.dim,
            quad_vs_grad::fmt::seconds(p.seconds_per_iter),
            provenance_label(p.provenance)
        );
    })?;
    println!("\n{}", study.points_table());
    println!("log-log slopes against D (least squares on measured points only)");
    println!("{}", study.slopes_table());
    println!("{}", study.crossover_text());
    println!("{}", study.targets_table());
    if let Some(path) = csv {
        study.write_csv(&path)?;
        println!("wrote {path}");
    }
    if let Some(path) = figure {
        study.figure(900, 760)?.save(&path)?;
        println!("wrote {path}");
    }
    println!("study took {:.1} s", t0.elapsed().as_secs_f64());
    Ok(())
}
