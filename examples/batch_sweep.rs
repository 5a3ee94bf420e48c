//! Chapter 10's batch size × damping sweep at a fixed data budget, in full
//! (the notebook runs `SweepConfig::reduced`):
//!
//! ```text
//! cargo run --release --example batch_sweep            # the chapter's sweep
//! cargo run --release --example batch_sweep -- reduced # the notebook's grid
//! cargo run --release --example batch_sweep -- chapter out.png  # and its figure
//! ```
//!
//! Prints every method's table (median final loss, diverged runs) and the
//! best value per batch size, and the wall time.

use std::error::Error;
use std::time::Instant;

use quad_vs_grad::data::Dataset;
use quad_vs_grad::lessons::stochasticity::heat_table_figure;
use quad_vs_grad::lessons::stochasticity::{batch_damping_sweep, SweepConfig};
use quad_vs_grad::problem::XorProblem;

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cfg = match args.first().map(String::as_str) {
        None | Some("chapter") => SweepConfig::chapter(),
        Some("reduced") => SweepConfig::reduced(),
        Some(other) => return Err(format!("unknown grid `{other}` (chapter or reduced)").into()),
    };
    let problem = XorProblem::full(Dataset::reference(), &[3])?;
    let start = problem.mlp().init(0);
    let t0 = Instant::now();
    let sweep = batch_damping_sweep(&problem, &start, &cfg)?;
    let secs = t0.elapsed().as_secs_f64();
    for m in &sweep.methods {
        println!("{m}");
    }
    println!("{sweep}");
    println!("wall time {secs:.1} s");
    if let Some(path) = args.get(1) {
        heat_table_figure(
            &sweep.heat_tables(),
            2,
            900,
            "batch size × damping at a fixed data budget",
        )?
        .save(path)?;
        println!("wrote {path}");
    }
    Ok(())
}
