//! Times the reference-like figure generation: the 200 × 200 loss grid,
//! `paths.png` and `journey.gif`, with hand-rolled runs of gradient descent,
//! Adam and damped Newton standing in for the race.
//!
//! `cargo run --release --example plot_timing [out_dir]`

use std::time::Instant;

use quad_vs_grad::plot::{
    journey_animation, paths_figure, view_bounds, AnimationOptions, LossGrid, PathsStyle,
};
use quad_vs_grad::prelude::*;

fn record(
    name: &str,
    problem: &XorProblem,
    mut step: impl FnMut(&Array1<f64>, usize) -> Array1<f64>,
    steps: usize,
) -> Trace {
    let mut p = array![2.0, -2.0];
    let t0 = Instant::now();
    let mut tr = Trace {
        optimizer: name.into(),
        problem: problem.name().into(),
        iterates: vec![],
        loss: vec![],
        grad_norm: vec![],
        counts: vec![],
        elapsed_ms: vec![],
        stop: StopReason::MaxIters,
    };
    for k in 0..=steps {
        let l = problem.full_loss(&p).unwrap();
        let g = problem.full_grad(&p).unwrap();
        tr.iterates.push(p.to_vec());
        tr.loss.push(l);
        tr.grad_norm.push(g.dot(&g).sqrt());
        tr.counts.push(Counts {
            cost: k as u64 + 1,
            gradient: k as u64 + 1,
            ..Counts::default()
        });
        tr.elapsed_ms.push(t0.elapsed().as_secs_f64() * 1e3);
        if k == steps {
            break;
        }
        let next = step(&p, k);
        if (&next - &p).dot(&(&next - &p)).sqrt() < 1e-5 {
            tr.stop = StopReason::StepNorm;
            p = next;
            let l = problem.full_loss(&p).unwrap();
            tr.iterates.push(p.to_vec());
            tr.loss.push(l);
            tr.grad_norm.push(0.0);
            tr.counts.push(Counts::default());
            tr.elapsed_ms.push(t0.elapsed().as_secs_f64() * 1e3);
            break;
        }
        p = next;
    }
    tr
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args().nth(1).unwrap_or_else(|| ".".into());
    let problem = XorProblem::reference();
    let t = Instant::now();
    let sgd = record(
        "SGD (lr 0.8)",
        &problem,
        |p, _| p - &(problem.grad(p).unwrap() * 0.8),
        500,
    );
    let (mut m, mut v) = (Array1::<f64>::zeros(2), Array1::<f64>::zeros(2));
    let adam = record(
        "Adam (lr 0.05)",
        &problem,
        |p, k| {
            let g = problem.grad(p).unwrap();
            m = &m * 0.9 + &g * 0.1;
            v = &v * 0.999 + &(&g * &g) * 0.001;
            let mh = &m / (1.0 - 0.9f64.powi(k as i32 + 1));
            let vh = &v / (1.0 - 0.999f64.powi(k as i32 + 1));
            p - &(mh / (vh.mapv(f64::sqrt) + 1e-8) * 0.05)
        },
        500,
    );
    let newton = record(
        "Newton (damping 0.1)",
        &problem,
        |p, _| {
            let g = problem.grad(p).unwrap();
            let h = problem.hess(p).unwrap() + Array2::<f64>::eye(2) * 0.1;
            let det = h[[0, 0]] * h[[1, 1]] - h[[0, 1]] * h[[1, 0]];
            let s0 = (h[[1, 1]] * g[0] - h[[0, 1]] * g[1]) / det;
            let s1 = (-h[[1, 0]] * g[0] + h[[0, 0]] * g[1]) / det;
            p - &array![s0, s1]
        },
        500,
    );
    let traces = vec![sgd, adam, newton];
    let t_race = t.elapsed();

    // Each stage is timed `REPEATS` times; the minimum is the least
    // disturbed by other processes.
    const REPEATS: usize = 5;
    let best = |f: &mut dyn FnMut()| {
        (0..REPEATS)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64() * 1e3
            })
            .fold(f64::INFINITY, f64::min)
    };
    let (xr, yr) = view_bounds(&traces, Some(((-3.0, 3.0), (-3.0, 3.0))), 0.05);
    let mut grid = None;
    let t_grid = best(&mut || {
        grid = Some(
            LossGrid::for_problem(&problem, xr, yr, 200)
                .expect("grid")
                .with_labels("v1 (output weight 1)", "v2 (output weight 2)"),
        )
    });
    let grid = grid.expect("grid");
    let mut fig = None;
    let t_png = best(&mut || {
        fig = Some(paths_figure(&grid, &traces, &PathsStyle::default()).expect("png"))
    });
    let fig = fig.expect("png");
    fig.save(format!("{out}/paths.png"))?;
    let mut anim = None;
    let t_gif = best(&mut || {
        anim = Some(journey_animation(&grid, &traces, &AnimationOptions::default()).expect("gif"))
    });
    let anim = anim.expect("gif");
    anim.save(format!("{out}/journey.gif"))?;

    println!("best of {REPEATS} runs each (release build recommended):");
    println!("race (hand-rolled):  {:8.1} ms", t_race.as_secs_f64() * 1e3);
    println!("grid 200x200:        {t_grid:8.1} ms");
    println!(
        "paths.png:           {t_png:8.1} ms  ({} bytes, {}x{})",
        fig.bytes().len(),
        fig.width(),
        fig.height()
    );
    println!(
        "journey.gif:         {t_gif:8.1} ms  ({} bytes, {} frames, {}x{})",
        anim.bytes().len(),
        anim.frames(),
        anim.width(),
        anim.height()
    );
    println!(
        "total:               {:8.1} ms",
        t_race.as_secs_f64() * 1e3 + t_grid + t_png + t_gif
    );
    Ok(())
}
