//! Times the main job stage by stage, exactly as the CLI runs it: the
//! reference race, the 200 × 200 loss grid, `paths.png` and `journey.gif`
//! (rendered in memory, not written), each alone and then both at once as
//! the CLI draws them (`paths.png` on its own thread while `journey.gif`
//! spreads its frames over the cores). Each stage runs `REPEATS` times; the
//! minimum and the median are printed, with the output sizes. The last line
//! adds race, grid and the two figures at once: the CLI's work without
//! process start-up and file writing (time that with
//! `/usr/bin/time -f %e target/release/quad-vs-grad -q`).
//!
//! `cargo run --release --example main_job_timing`

use std::time::Instant;

use quad_vs_grad::plot::{self, AnimationOptions, PathsStyle};
use quad_vs_grad::prelude::*;

const REPEATS: usize = 7;

fn time<T>(mut f: impl FnMut() -> T) -> (T, f64, f64) {
    let mut ms = Vec::with_capacity(REPEATS);
    let mut out = None;
    for _ in 0..REPEATS {
        let t = Instant::now();
        out = Some(f());
        ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    ms.sort_by(f64::total_cmp);
    (out.expect("REPEATS > 0"), ms[0], ms[REPEATS / 2])
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let preset = RacePreset::reference();
    let (traces, race_min, race_med) = time(|| preset.run());
    let ((grid, shown), grid_min, grid_med) =
        time(|| plot::path_view(&preset.problem, &traces, None, 200).expect("2-D problem"));
    let (png, png_min, png_med) =
        time(|| plot::paths_figure(&grid, &shown, &PathsStyle::default()).expect("drawable"));
    let (gif, gif_min, gif_med) = time(|| {
        plot::journey_animation(&grid, &shown, &AnimationOptions::default()).expect("drawable")
    });
    let (_, both_min, both_med) = time(|| {
        std::thread::scope(|scope| {
            let png = scope.spawn(|| {
                plot::paths_figure(&grid, &shown, &PathsStyle::default()).expect("drawable")
            });
            let gif = plot::journey_animation(&grid, &shown, &AnimationOptions::default())
                .expect("drawable");
            (png.join().expect("no panic"), gif)
        })
    });
    println!("stage            min ms   median ms   output");
    println!(
        "reference race {race_min:>8.1} {race_med:>11.1}   {} traces",
        traces.len()
    );
    println!("loss grid      {grid_min:>8.1} {grid_med:>11.1}   200 × 200");
    println!(
        "paths.png      {png_min:>8.1} {png_med:>11.1}   {}×{}, {} KB",
        png.width(),
        png.height(),
        png.bytes().len() / 1024
    );
    println!(
        "journey.gif    {gif_min:>8.1} {gif_med:>11.1}   {}×{}, {} frames, {} KB",
        gif.width(),
        gif.height(),
        gif.frames(),
        gif.bytes().len() / 1024
    );
    println!("png ‖ gif       {both_min:>8.1} {both_med:>11.1}   both figures at once, as the CLI");
    println!(
        "total (CLI)    {:>8.1} {:>11.1}   race + grid + both figures at once",
        race_min + grid_min + both_min,
        race_med + grid_med + both_med
    );
    Ok(())
}
