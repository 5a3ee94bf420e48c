//! What each landscape teaches, asserted: Newton's fast local convergence on
//! cosh, the vanishing gradient of tanh, the saddle of x² − y², the minima of
//! x·cos(πx) and of the Gaussian wells.

use quad_vs_grad::argmin::solver::newton::Newton;
use quad_vs_grad::linalg::FixedDot;
use quad_vs_grad::prelude::*;

/// Runs the crate's plain gradient descent `p ← p − η ∇L(p)` for `steps`
/// iterations and returns the final iterate.
fn gradient_descent<L: Landscape + MiniBatched>(
    problem: L,
    start: Array1<f64>,
    lr: f64,
    steps: u64,
) -> Array1<f64> {
    let solver = GradientDescent::new(lr).unwrap();
    let res = Executor::new(problem, solver)
        .configure(|s| s.param(start).max_iters(steps))
        .run()
        .unwrap();
    res.state().get_param().unwrap().clone()
}

/// One undamped Newton step `x ← x − f'(x)/f''(x)` of argmin's `Newton`.
fn newton_step(problem: CoshValley, x: f64) -> f64 {
    let res = Executor::new(problem, Newton::<f64>::new())
        .configure(|s| s.param(array![x]).max_iters(1))
        .run()
        .unwrap();
    res.state().get_param().unwrap()[0]
}

#[test]
fn newton_on_cosh_converges_faster_than_linearly() {
    let problem = CoshValley::default(); // c = 0.5, start x = 10
    let c = problem.c;
    let mut xs = vec![problem.start()[0]];
    while xs.len() < 30 && xs[xs.len() - 1] != 0.0 {
        let x = xs[xs.len() - 1];
        xs.push(newton_step(problem, x));
    }
    let errors: Vec<f64> = xs.iter().map(|x| x.abs()).collect();
    // Far away tanh(cx) ≈ 1: Newton moves by 1/c = 2 per step.
    assert!((xs[0] - xs[1] - 1.0 / c).abs() < 1e-3, "{xs:?}");
    // The error falls monotonically and reaches machine zero within 12 steps.
    assert!(errors.windows(2).all(|w| w[1] < w[0]), "{errors:?}");
    let done = errors.iter().position(|&e| e < 1e-15).expect("converged");
    assert!(done <= 12, "{errors:?}");
    // Quadratic convergence: e_{k+1} / e_k² stays bounded (here by c²/3 · e_k < 0.05,
    // cubic in fact, because f'''(0) = 0) over the last steps, once e_k < 1.
    let tail: Vec<f64> = errors
        .windows(2)
        .filter(|w| w[0] < 1.0 && w[0] > 1e-100)
        .map(|w| w[1] / (w[0] * w[0]))
        .collect();
    assert!(tail.len() >= 3, "{errors:?}");
    assert!(tail.iter().all(|&r| r <= 0.1), "ratios {tail:?}");
    // The sharp statement: e_{k+1} = e_k − tanh(c e_k)/c ≤ c² e_k³ / 3 once e_k < 1.
    for w in errors.windows(2).filter(|w| w[0] < 1.0) {
        assert!(w[1] <= c * c * w[0].powi(3) / 3.0, "{w:?}");
    }
    // ... whereas gradient descent needs a step small enough for the steep
    // start (f''(10) = c² cosh 5 ≈ 18.6, so η = 0.1), and then contracts only
    // linearly, by 1 − η c² = 0.975 per step, near the minimum.
    let gd = gradient_descent(problem, problem.start(), 0.1, 12);
    assert!(gd[0].is_finite() && gd[0].abs() > 1e-1, "{gd}");
}

#[test]
fn gradient_descent_barely_moves_on_tanh_from_four() {
    let problem = TanhSlope;
    let g0 = problem.gradient(&array![4.0]).unwrap()[0];
    assert!((g0 - 1.34e-3).abs() < 1e-5, "f'(4) = {g0}");
    // 100 steps of size η = 1 move x by at most 100 · f'(x_k) ≤ 100 · f'(3.8) ≈ 0.2
    // (the gradient only grows as x decreases); stated bound: |Δx| < 0.2,
    // and the loss falls by less than 3e-4 out of the 2 it could lose.
    let x = gradient_descent(problem, array![4.0], 1.0, 100)[0];
    assert!(x < 4.0 && 4.0 - x < 0.2, "x_100 = {x}");
    let drop = problem.f(4.0) - problem.f(x);
    assert!(drop > 0.0 && drop < 3e-4, "loss drop {drop}");
}

#[test]
fn saddle_attracts_the_x_axis_and_repels_everything_else() {
    let problem = Saddle;
    // On the x axis: (x, 0) → ((1 − 2η)^k x, 0), converging to the saddle.
    let on_axis = gradient_descent(problem, array![1.5, 0.0], 0.1, 200);
    assert!(on_axis[0].abs() < 1e-15 && on_axis[1] == 0.0, "{on_axis}");
    let g = problem.gradient(&on_axis).unwrap();
    assert!(g.fdot(&g).sqrt() < 1e-14);
    // ... which is not a minimum: one negative, one positive eigenvalue.
    assert_eq!(
        inertia(&problem.hessian(&on_axis).unwrap(), 1e-12).unwrap(),
        (1, 0, 1)
    );
    // Off the axis by 1e-6: y grows like 1.2^k, and the iterate escapes.
    let off_axis = gradient_descent(problem, array![1.5, 1e-6], 0.1, 100);
    assert!(off_axis[1].abs() > 10.0, "{off_axis}");
    assert!(problem.cost(&off_axis).unwrap() < -100.0);
}

#[test]
fn cosine_well_traps_gradient_descent_left_of_the_watershed() {
    let f = CosineWell;
    let [global, local] = f.local_minima();
    let watershed = f.local_maximum();
    let left = gradient_descent(f, f.start(), 0.05, 400)[0];
    assert!((left - local.point[0]).abs() < 1e-8, "{left}");
    let right = gradient_descent(f, array![watershed + 0.05], 0.05, 400)[0];
    assert!((right - global.point[0]).abs() < 1e-8, "{right}");
    assert_eq!(f.global_minimum().unwrap(), global);
}

/// One well beyond its width: concave along the radius only, so in two
/// dimensions its Hessian is indefinite (not concave), in one it is concave.
#[test]
fn one_well_beyond_its_width_is_a_saddle_shape_in_two_dimensions() {
    let sigma = 0.8;
    let well = GaussianWells::new(array![[0.0, 0.0]], array![sigma], array![1.0]).unwrap();
    let eig = |x: f64| {
        let h = well.hessian(&array![x, 0.0]).unwrap();
        // Axis-aligned radius: the Hessian is diagonal, radial entry first.
        assert!(h[[0, 1]].abs() < 1e-15);
        (h[[0, 0]], h[[1, 1]])
    };
    for (r, both_positive) in [(0.5 * sigma, true), (1.5 * sigma, false)] {
        let w = (-r * r / (2.0 * sigma * sigma)).exp();
        let (radial, across) = eig(r);
        let want_radial = w / (sigma * sigma) * (1.0 - r * r / (sigma * sigma));
        assert!(
            (radial - want_radial).abs() < 1e-14,
            "{radial} vs {want_radial}"
        );
        assert!((across - w / (sigma * sigma)).abs() < 1e-14);
        assert!(across > 0.0);
        assert_eq!(radial > 0.0, both_positive, "r = {r}");
    }
    // 1.5 σ out: radial curvature −1.25 w/σ², across +w/σ², so indefinite.
    let (radial, across) = eig(1.5 * sigma);
    assert!((radial / across + 1.25).abs() < 1e-12);
    let line = GaussianWells::new(array![[0.0]], array![sigma], array![1.0]).unwrap();
    assert!(line.hessian(&array![1.5 * sigma]).unwrap()[[0, 0]] < 0.0);
}

#[test]
fn wells_global_minimum_beats_a_dense_grid() {
    for seed in 0..4 {
        let w = GaussianWells::random(2, 8, seed).unwrap();
        let best = w.global_minimum().unwrap();
        let n = 301;
        let pts = Array2::from_shape_fn((n * n, 2), |(k, i)| {
            let j = if i == 0 { k % n } else { k / n };
            -3.5 + 7.0 * j as f64 / (n - 1) as f64
        });
        let grid_min = w.costs(&pts).unwrap().fold(f64::INFINITY, |a, &b| a.min(b));
        assert!(
            best.value <= grid_min,
            "seed {seed}: {} > {grid_min}",
            best.value
        );
        assert!(best.value > grid_min - 1e-2, "grid too coarse to confirm");
        for m in w.local_minima() {
            let g = w.gradient(&m.point).unwrap();
            assert!(g.fdot(&g).sqrt() < 1e-8);
            assert_eq!(inertia(&w.hessian(&m.point).unwrap(), 1e-12).unwrap().2, 2);
            // Every stationary point lies in the convex hull of the centres.
            for i in 0..2 {
                let c = w.centres().column(i);
                let (lo, hi) = c
                    .iter()
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                        (a.min(v), b.max(v))
                    });
                assert!(m.point[i] >= lo && m.point[i] <= hi);
            }
        }
    }
}

#[test]
fn wells_in_five_dimensions_and_batches() {
    let w = GaussianWells::random(5, 12, 42).unwrap();
    let best = w.global_minimum().unwrap();
    assert_eq!(best.point.len(), 5);
    // Local minima are sorted, distinct, and no lower than the global one.
    let mins = w.local_minima();
    assert!(mins.windows(2).all(|p| p[0].value <= p[1].value));
    // Batched evaluation of many points equals point-by-point evaluation.
    let pts = Array2::from_shape_fn((50, 5), |(k, i)| ((k * 7 + i * 3) % 13) as f64 / 2.0 - 3.0);
    let costs = w.costs(&pts).unwrap();
    let hess = w.hessians(&pts).unwrap();
    for k in 0..50 {
        let p = pts.row(k).to_owned();
        assert_eq!(costs[k], w.cost(&p).unwrap());
        assert_eq!(hess.index_axis(ndarray::Axis(0), k), w.hessian(&p).unwrap());
        assert!(costs[k] >= best.value);
    }
}

#[test]
fn rosenbrock_newton_follows_the_valley() {
    // Undamped Newton reaches the minimum of the classic Rosenbrock from
    // (−1.2, 1) in a handful of steps; its Hessian there has κ ≈ 2508.
    let r = Rosenbrock::classic();
    let res = Executor::new(r.clone(), Newton::<f64>::new())
        .configure(|s| s.param(r.start()).max_iters(10))
        .run()
        .unwrap();
    let x = res.state().get_param().unwrap();
    let m = r.global_minimum().unwrap();
    assert!((x - &m.point).iter().all(|d| d.abs() < 1e-10), "{x}");
    let k = condition_number(&r.hessian(&m.point).unwrap()).unwrap();
    assert!((k - 2508.0).abs() < 1.0);
}

#[test]
fn landscapes_run_through_the_crate_traits() {
    // The race runner needs these for every problem.
    fn takes<P: CurvatureProducts + MiniBatched + KfacCurvature + Landscape>(p: &P) -> String {
        p.name()
    }
    assert!(takes(&GaussianWells::course()).contains("Gaussian wells"));
    assert!(takes(&Rosenbrock::classic()).contains("Rosenbrock"));
    let r = Rosenbrock::classic();
    let p = array![0.3, -0.4];
    let v = array![1.0, 2.0];
    let gv = r.ggn_vec(&p, &v).unwrap();
    assert!((gv - r.ggn(&p).unwrap().fdot(&v))
        .iter()
        .all(|d| d.abs() < 1e-12));
    let hv = r.hessian_vec(&p, &v).unwrap();
    assert!((hv - r.hessian(&p).unwrap().fdot(&v))
        .iter()
        .all(|d| d.abs() < 1e-12));
    let w = GaussianWells::course();
    let err = w.ggn_vec(&array![0.0, 0.0], &v).unwrap_err().to_string();
    assert!(err.contains("no Gauss–Newton structure"), "{err}");
    let err = w
        .kfac_factors(&array![0.0, 0.0], FisherKind::Exact)
        .unwrap_err()
        .to_string();
    assert!(err.contains("K-FAC"), "{err}");
}

mod batched {
    use quad_vs_grad::prelude::*;
    use quad_vs_grad::race::multistart::{
        bakeoff, run_starts, uniform_starts, wells_contenders, BakeoffConfig,
    };

    fn small_config() -> BakeoffConfig {
        let mut cfg = BakeoffConfig::default();
        cfg.race.max_iters = 200;
        cfg
    }

    /// A trace without its wall times, which are the only non-deterministic part.
    fn timeless(t: &Trace) -> Trace {
        let mut t = t.clone();
        t.elapsed_ms.iter_mut().for_each(|v| *v = 0.0);
        t
    }

    #[test]
    fn wells_bakeoff_is_deterministic_and_finite_or_flagged() {
        let wells = GaussianWells::course();
        let starts = uniform_starts(16, 2, (-3.0, 3.0), 3).unwrap();
        let cfg = small_config();
        let a = bakeoff(&wells, &wells_contenders(), &starts, &cfg).unwrap();
        let b = bakeoff(&wells, &wells_contenders(), &starts, &cfg).unwrap();
        assert_eq!(a.rows.len(), wells_contenders().len());
        for (ta, tb) in a.traces.iter().flatten().zip(b.traces.iter().flatten()) {
            assert_eq!(
                timeless(ta),
                timeless(tb),
                "{} is not deterministic",
                ta.optimizer
            );
        }
        for (ra, rb) in a.rows.iter().zip(&b.rows) {
            assert_eq!(ra.mean_final_loss.to_bits(), rb.mean_final_loss.to_bits());
            assert_eq!(ra.reached_global, rb.reached_global);
            assert_eq!(
                (ra.mean_iterations, ra.mean_evaluations),
                (rb.mean_iterations, rb.mean_evaluations)
            );
        }
        for t in a.traces.iter().flatten() {
            let finite = t.loss.iter().all(|l| l.is_finite());
            assert!(
                finite || t.stop.is_failure(),
                "{}: non-finite loss not flagged ({:?})",
                t.optimizer,
                t.stop
            );
            assert_eq!(t.loss.len(), t.iterates.len());
        }
        let global = wells.global_minimum().unwrap();
        for r in &a.rows {
            assert_eq!(r.runs, 16);
            assert!((0.0..=1.0).contains(&r.reached_global), "{r:?}");
            assert!(r.mean_final_loss >= global.value - 1e-12, "{r:?}");
        }
        // The lesson of the many-dimensions notebook, for these seeded starts: on a
        // non-convex landscape undamped-ish Newton is drawn to saddles and
        // maxima, while BFGS (positive-definite model, line search) is not.
        let row = |name: &str| a.rows.iter().find(|r| r.optimizer == name).unwrap();
        assert!(
            row("BFGS").reached_global > row("Newton").reached_global,
            "{a}"
        );
        assert!(
            row("Newton").mean_final_loss > row("BFGS").mean_final_loss,
            "{a}"
        );
        // A different seed gives different starts, hence different numbers.
        let other = uniform_starts(16, 2, (-3.0, 3.0), 4).unwrap();
        let c = bakeoff(&wells, &wells_contenders()[..1], &other, &cfg).unwrap();
        assert_ne!(c.rows[0].mean_final_loss, a.rows[0].mean_final_loss);
    }

    #[test]
    fn a_batch_run_is_a_race_run_with_the_start_seed() {
        use quad_vs_grad::race::multistart::{run_start, start_seed};
        let wells = GaussianWells::course();
        let start = array![0.5, -1.0];
        let cfg = small_config().race;
        for name in ["langevin", "adaptive-gd", "newton"] {
            let spec: OptimizerSpec = name.parse().unwrap();
            let mut a = run_start(&wells, &spec, &start, 3, &cfg);
            let seeded = RaceConfig {
                seed: start_seed(cfg.seed, 3),
                ..cfg.clone()
            };
            let mut b = quad_vs_grad::race::run(&wells, &start, &spec, &seeded);
            a.elapsed_ms.clear();
            b.elapsed_ms.clear();
            assert_eq!(a, b, "{name}");
        }
    }

    #[test]
    fn batches_keep_every_trace_and_reject_bad_input() {
        let wells = GaussianWells::course();
        let starts = uniform_starts(5, 2, (-3.0, 3.0), 9).unwrap();
        let cfg = small_config();
        let traces = run_starts(
            &wells,
            &OptimizerSpec::new(OptimizerKind::Langevin).noise(0.2),
            &starts,
            &cfg.race,
        );
        assert_eq!(traces.len(), 5);
        for (t, s) in traces.iter().zip(&starts) {
            assert_eq!(t.iterates[0], s.to_vec());
            assert_eq!(
                t.steps(),
                200,
                "noise keeps Langevin GD moving to the iteration limit"
            );
        }
        // Different starts draw different noise: no two paths share their first step.
        let first: Vec<f64> = traces
            .iter()
            .map(|t| t.iterates[1][0] - t.iterates[0][0])
            .collect();
        assert!(first.windows(2).all(|w| w[0] != w[1]));
        // A contender that cannot be built fails cleanly, without a panic.
        let bad = run_starts(
            &wells,
            &OptimizerSpec::new(OptimizerKind::Langevin).lr(-1.0),
            &starts[..1],
            &cfg.race,
        );
        assert!(matches!(bad[0].stop, StopReason::Failed(_)));
        // Network-only methods report a clear failure on a landscape.
        let kfac = run_starts(
            &wells,
            &OptimizerSpec::new(OptimizerKind::Kfac),
            &starts[..1],
            &cfg.race,
        );
        assert!(kfac[0].stop.is_failure(), "{:?}", kfac[0].stop);
        assert!(bakeoff(&wells, &wells_contenders(), &[], &cfg).is_err());
        assert!(bakeoff(&wells, &wells_contenders(), &[array![0.0]], &cfg).is_err());
    }
    #[test]
    fn figures_render_deterministically() {
        use quad_vs_grad::lessons::bake_off::bakeoff_summary_figure;
        use quad_vs_grad::lessons::noise::{batch_losses_figure, batch_paths_figure};
        use quad_vs_grad::lessons::non_convexity::toy_1d_figure;
        use quad_vs_grad::plot::landscape_figures::{curvature_grid, loss_grid};
        use quad_vs_grad::race::multistart::run_start;
        let wells = GaussianWells::course();
        let global = wells.global_minimum();
        let starts = uniform_starts(6, 2, (-3.0, 3.0), 1).unwrap();
        let cfg = small_config();
        let traces = run_starts(
            &wells,
            &OptimizerSpec::new(OptimizerKind::Gd),
            &starts,
            &cfg.race,
        );
        let grid = loss_grid(&wells, 40).unwrap();
        let paths =
            || batch_paths_figure(&grid, &traces, global.as_ref(), 0.25, "GD", (320, 300)).unwrap();
        let (a, b) = (paths(), paths());
        assert!(a.bytes().starts_with(b"\x89PNG"));
        assert_eq!(a.bytes(), b.bytes());
        let losses =
            batch_losses_figure(&traces, global.as_ref().map(|g| g.value), "GD", (320, 240))
                .unwrap();
        assert_eq!((losses.width(), losses.height()), (320, 240));
        // One contender is enough for the bars.
        let one = bakeoff(&wells, &wells_contenders()[..1], &starts, &cfg).unwrap();
        assert!(bakeoff_summary_figure(&one, (600, 240)).is_ok());
        let toy = run_start(
            &CosineWell,
            &OptimizerSpec::new(OptimizerKind::Gd),
            &array![-0.8],
            0,
            &cfg.race,
        );
        assert!(toy_1d_figure(&CosineWell, &[toy], (320, 240)).is_ok());
        // Wrong dimensions are errors, not panics.
        assert!(toy_1d_figure(&wells, &[], (320, 240)).is_err());
        assert!(curvature_grid(&CosineWell, 10).is_err());
        assert!(loss_grid(&TanhSlope, 10).is_err());
    }
}
