//! The wells bake-off of document 002: every optimizer from 500 seeded starts
//! on the course's Gaussian-wells landscape.
//!
//! ```text
//! cargo run --release --example bakeoff [-- --starts 500 --seed 0]
//! ```
use std::error::Error;

use quad_vs_grad::landscapes::batch::{bakeoff, uniform_starts, wells_contenders, BakeoffConfig};
use quad_vs_grad::landscapes::GaussianWells;

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str, default: u64| -> Result<u64, Box<dyn Error>> {
        match args.iter().position(|a| a == name) {
            Some(i) => Ok(args
                .get(i + 1)
                .ok_or(format!("{name} needs a value"))?
                .parse()?),
            None => Ok(default),
        }
    };
    let n = arg("--starts", 500)? as usize;
    let seed = arg("--seed", 0)?;
    let wells = GaussianWells::course();
    let starts = uniform_starts(n, 2, (-3.0, 3.0), seed)?;
    let t0 = std::time::Instant::now();
    let result = bakeoff(
        &wells,
        &wells_contenders(),
        &starts,
        &BakeoffConfig::default(),
    )?;
    print!("{result}");
    println!(
        "(total {:.1} s including recording)",
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}
