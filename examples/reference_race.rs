//! The reference race in a few lines: the code the book's introduction shows
//! (included from this file, so the book cannot drift from code that compiles).
//!
//! ```sh
//! cargo run --release --example reference_race [OUT_DIR]   # default: out/
//! ```
//!
//! Prints the summary table and writes `paths.png` and `journey.gif`, as the
//! main job does with its default flags.

use std::path::PathBuf;

use quad_vs_grad::plot::path_view;
use quad_vs_grad::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "out".into()));
    std::fs::create_dir_all(&out)?;

    // ANCHOR: race
    let preset = RacePreset::reference(); // output-weight slice, start (2, -2)
    let traces = preset.run(); // one Trace per optimizer
    println!("{}", Summary::new(&traces));

    // The loss on a 200 × 200 grid over the region the paths visit.
    let (grid, shown) = path_view(&preset.problem, &traces, None, 200)?;
    paths_figure(&grid, &shown, &PathsStyle::default())?.save(out.join("paths.png"))?;
    journey_animation(&grid, &shown, &AnimationOptions::default())?
        .save(out.join("journey.gif"))?;
    // ANCHOR_END: race
    Ok(())
}
