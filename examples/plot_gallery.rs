//! Renders every figure of the plot module on small hand-made runs, for a
//! visual check: `cargo run --example plot_gallery [out_dir]`.
//!
//! The runs are plain gradient descent and damped Newton written inline
//! (the crate's optimizers live elsewhere); one of them diverges on purpose.

use quad_vs_grad::lessons::bake_off::bakeoff_figure;
use quad_vs_grad::lessons::bake_off::BakeoffMetric;
use quad_vs_grad::linalg::FixedDot;
use quad_vs_grad::plot::*;
use quad_vs_grad::prelude::*;
use quad_vs_grad::trace::Counts;

fn run(
    name: &str,
    problem: &XorProblem,
    start: [f64; 2],
    steps: usize,
    mut step: impl FnMut(&Array1<f64>) -> Option<Array1<f64>>,
) -> Trace {
    let mut p = array![start[0], start[1]];
    let mut t = Trace {
        optimizer: name.into(),
        problem: problem.name().into(),
        iterates: vec![],
        loss: vec![],
        grad_norm: vec![],
        counts: vec![],
        elapsed_ms: vec![],
        stop: StopReason::MaxIters,
        settings: Default::default(),
    };
    for k in 0..=steps {
        let l = problem.cost(&p).unwrap_or(f64::NAN);
        t.iterates.push(p.to_vec());
        t.loss.push(l);
        t.grad_norm.push(
            problem
                .gradient(&p)
                .map(|g| g.fdot(&g).sqrt())
                .unwrap_or(f64::NAN),
        );
        t.counts.push(Counts {
            cost: k as u64 + 1,
            gradient: k as u64 + 1,
            hessian: k as u64,
            ..Counts::default()
        });
        t.elapsed_ms.push(0.05 * k as f64);
        if !l.is_finite() || p.iter().any(|v| v.abs() > 1e6) {
            t.stop = StopReason::Diverged("non-finite loss".into());
            break;
        }
        if k == steps {
            break;
        }
        match step(&p) {
            Some(n) => p = n,
            None => {
                t.stop = StopReason::StepNorm;
                break;
            }
        }
    }
    t
}

fn newton(
    problem: &XorProblem,
    damping: f64,
) -> impl FnMut(&Array1<f64>) -> Option<Array1<f64>> + '_ {
    move |p| {
        let g = problem.gradient(p).ok()?;
        let h = problem.hessian(p).ok()? + Array2::<f64>::eye(2) * damping;
        let det = h[[0, 0]] * h[[1, 1]] - h[[0, 1]] * h[[1, 0]];
        let s = array![
            (h[[1, 1]] * g[0] - h[[0, 1]] * g[1]) / det,
            (-h[[1, 0]] * g[0] + h[[0, 0]] * g[1]) / det
        ];
        if s.fdot(&s).sqrt() < 1e-6 {
            return None;
        }
        Some(p - &s)
    }
}

fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args().nth(1).unwrap_or_else(|| ".".into());
    let problem = XorProblem::hidden_slice();
    let start = [1.6, -2.2];
    let traces = vec![
        run("Gradient descent (lr 1)", &problem, start, 300, |p| {
            Some(p - &problem.gradient(p).ok()?)
        }),
        run(
            "Newton (no damping)",
            &problem,
            start,
            40,
            newton(&problem, 0.0),
        ),
        run(
            "Newton (damping 0.1)",
            &problem,
            start,
            40,
            newton(&problem, 0.1),
        ),
        run("Gradient descent (lr 60)", &problem, start, 40, |p| {
            Some(p - &(problem.gradient(p).ok()? * 60.0))
        }),
    ];
    let (xr, yr) = view_bounds(&traces, Some(((-3.0, 3.0), (-3.0, 3.0))), 0.04);
    let grid = LossGrid::for_problem(&problem, xr, yr, 200)?
        .with_labels("p1 = W1[0,0] − 2.5", "p2 = W1[0,1] − 2.5");
    paths_figure(&grid, &traces, &PathsStyle::default())?
        .save(format!("{out}/gallery_paths.png"))?;
    std::fs::write(
        format!("{out}/gallery_paths.svg"),
        paths_svg(
            &LossGrid::for_problem(&problem, xr, yr, 90)?,
            &traces,
            &PathsStyle::default(),
        )?,
    )?;
    journey_animation(&grid, &traces, &AnimationOptions::default())?
        .save(format!("{out}/gallery_journey.gif"))?;
    let cg = CurvatureGrid::for_problem(&problem, xr, yr, 90)?.with_labels("p1", "p2");
    eigen_sign_figure(&cg, &traces, 900, 640)?.save(format!("{out}/gallery_eigen.png"))?;
    condition_figure(&cg, &traces[..2], 900, 640)?.save(format!("{out}/gallery_condition.png"))?;
    loss_curves_figure(&traces, CurveAxis::Iteration, None, 900, 560)?
        .save(format!("{out}/gallery_curves.png"))?;
    loss_curves_figure(&traces, CurveAxis::WallTime, Some(0.0), 900, 560)?
        .save(format!("{out}/gallery_curves_time.png"))?;
    bakeoff_figure(&traces, BakeoffMetric::Both, 1000, 420)?
        .save(format!("{out}/gallery_bakeoff.png"))?;

    // A full network, drawn on the plane of its iterates' principal components.
    let full = XorProblem::full(Dataset::separable(), &[2])?;
    let theta0 = full.mlp().init(7);
    let k = theta0.len();
    let gd = |p: &Array1<f64>| Some(p - &(full.gradient(p).ok()? * 0.5));
    let mut t = run("Gradient descent (lr 0.5)", &full, [0.0, 0.0], 0, |_| None);
    // Re-run from the real start (the helper takes 2-D starts).
    t.iterates.clear();
    t.loss.clear();
    let mut p = theta0.clone();
    for _ in 0..400 {
        t.iterates.push(p.to_vec());
        t.loss.push(full.cost(&p)?);
        p = gd(&p).unwrap_or(p);
    }
    t.grad_norm = vec![0.0; t.loss.len()];
    t.counts = vec![Counts::default(); t.loss.len()];
    t.elapsed_ms = vec![0.0; t.loss.len()];
    t.stop = StopReason::MaxIters;
    assert_eq!(t.iterates[0].len(), k);
    let pca = pca_plane(&full, &[t])?;
    let (xr, yr) = view_bounds(&pca.traces, None, 0.25);
    let g = pca.grid(xr, yr, 200)?;
    paths_figure(&g, &pca.traces, &PathsStyle::default())?
        .save(format!("{out}/gallery_pca.png"))?;
    println!("written to {out}");
    Ok(())
}
