//! The wells bake-off of document 002: every optimizer from 500 seeded
//! starts uniform in [−3, 3]² on the course's Gaussian-wells landscape
//! (8 wells, seed 2), printing one line per optimizer.
//!
//! ```text
//! cargo run --release --example bakeoff
//! cargo run --release --example bakeoff -- --starts 100 --seed 1 --optimizers gd,adam,langevin,bfgs
//! ```
//!
//! Every run stops when its step is shorter than 1e-6 or after 1000
//! iterations; first-order contenders named with `--optimizers` run with
//! learning rate 0.1, as in document 002 (`BakeoffConfig`'s default);
//! "reached" counts final iterates within 0.25 of the global minimiser;
//! wall time is the solvers' own (recording excluded).
use std::error::Error;

use quad_vs_grad::landscapes::GaussianWells;
use quad_vs_grad::race::multistart::{
    bakeoff, uniform_starts, wells_contenders, BakeoffConfig, Contender,
};

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |name: &str| -> Option<&str> {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .map(String::as_str)
    };
    let starts: usize = value("--starts").unwrap_or("500").parse()?;
    let seed: u64 = value("--seed").unwrap_or("0").parse()?;
    let contenders: Vec<Contender> = match value("--optimizers") {
        Some(list) => list.split(',').map(str::parse).collect::<Result<_, _>>()?,
        None => wells_contenders(),
    };
    let wells = GaussianWells::course();
    let starts = uniform_starts(starts, 2, (-3.0, 3.0), seed)?;
    let t0 = std::time::Instant::now();
    let result = bakeoff(&wells, &contenders, &starts, &BakeoffConfig::default())?;
    print!("{result}");
    println!(
        "(total {:.1} s including recording)",
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}
