//! Pins every number the prose and the exercises of chapter 11
//! (stochasticity, `notebooks/11-stochasticity.ipynb`) quote, and tests
//! [`batch_damping_sweep`]: its shape, the data budget, the divergence
//! count, the best value per batch size, determinism and validation.

use quad_vs_grad::data::perturbed;
use quad_vs_grad::lessons::stochasticity::*;
use quad_vs_grad::prelude::*;

use ndarray::{array, Array1};

fn network() -> (XorProblem, Array1<f64>) {
    let problem = XorProblem::full(Dataset::reference(), &[3]).unwrap();
    let start = problem.mlp().init(0);
    (problem, start)
}

/// The point of section 1: 10 full-batch GGN steps from the start.
fn p10(problem: &XorProblem, start: &Array1<f64>) -> Array1<f64> {
    let walk = RaceConfig {
        max_iters: 10,
        tol: 0.0,
        ..RaceConfig::default()
    };
    let t = run(
        problem,
        start,
        &OptimizerSpec::new(OptimizerKind::Ggn),
        &walk,
    );
    Array1::from(t.iterates.last().unwrap().clone())
}

fn noise(problem: &XorProblem, p: &Array1<f64>, damping: f64) -> BatchNoise {
    let cfg = NoiseConfig {
        damping,
        batch_sizes: vec![5, 20, 50, 100, 200],
        ..NoiseConfig::default()
    };
    batch_noise(problem, p, &cfg).unwrap()
}

fn f3(v: f64) -> String {
    format!("{v:.3}")
}

#[test]
fn noise_of_gradient_and_curvature() {
    let (problem, start) = network();
    let p = p10(&problem, &start);
    let strong = noise(&problem, &p, 0.1);
    let weak = noise(&problem, &p, 0.01);
    // the 1/B law within 8.2 % at every B < N
    assert_eq!(format!("{:.1}", 100.0 * strong.worst_law_gap()), "8.2");
    assert_eq!(
        (
            format!("{:.4}", strong.full_eig.0),
            format!("{:.4}", strong.full_eig.1)
        ),
        ("-0.0014".into(), "0.8190".into())
    );
    let pct = |b: &BatchNoise| {
        b.rows
            .iter()
            .map(|r| (100.0 * r.indefinite).round() as u32)
            .collect::<Vec<_>>()
    };
    assert_eq!(pct(&strong), vec![54, 3, 0, 0, 0]);
    assert_eq!(pct(&weak), vec![100, 88, 46, 20, 0]);
    let b5 = &strong.rows[0];
    assert_eq!(
        (f3(b5.grad_error.median), f3(b5.grad_error.q90)),
        ("5.050".into(), "8.318".into())
    );
    assert_eq!(
        (f3(b5.eig_min.q10), f3(b5.eig_min.q90)),
        ("-0.218".into(), "-0.029".into())
    );
    let err = |b: &BatchNoise, i: usize| {
        (
            f3(b.rows[i].newton_error.median),
            f3(b.rows[i].newton_error.q90),
        )
    };
    assert_eq!(err(&strong, 1), ("0.920".into(), "1.834".into()));
    assert_eq!(err(&weak, 1), ("2.475".into(), "10.491".into()));
    assert_eq!(err(&strong, 2), ("0.472".into(), "0.710".into()));
    assert_eq!(err(&weak, 2), ("1.139".into(), "4.641".into()));
    // the gradient's noise does not depend on λ
    assert_eq!(strong.rows[1].grad_error, weak.rows[1].grad_error);
    // the damped Gauss–Newton step: no heavy tail, but Ĝ_B has rank ≤ B
    let ggn = |b: &BatchNoise, i: usize| {
        let r = &b.rows[i];
        (
            r.ggn_below_damping.median as usize,
            format!("{:.2}", r.ggn_error.median),
            format!("{:.2}", r.ggn_error.q90),
        )
    };
    assert_eq!(ggn(&strong, 0), (10, "1.65".into(), "2.25".into()));
    assert_eq!(ggn(&weak, 0), (9, "1.14".into(), "1.69".into()));
    // the Newton step's tail beside it (13.73 and 12.79 in the prose)
    assert_eq!(
        (err(&strong, 0).1, err(&weak, 0).1),
        ("13.728".into(), "12.786".into())
    );
    for r in strong.rows.iter().chain(&weak.rows) {
        // at least D − B of the 13 eigenvalues are zero, so below any λ > 0
        assert!(r.ggn_below_damping.min as usize >= 13usize.saturating_sub(r.batch_size));
    }
    // the full G: 10 eigenvalues below 0.1, 7 below 0.01
    assert_eq!(ggn(&strong, 4), (10, "0.00".into(), "0.00".into()));
    assert_eq!(ggn(&weak, 4), (7, "0.00".into(), "0.00".into()));
    assert!(b5.ggn_error.q90 < b5.newton_error.q90 / 5.0);
}

/// The sweep's winners on 10 fresh seeds, compared seed by seed with the
/// best first-order method.
#[test]
fn fresh_seeds_confirm_the_ranking() {
    let (problem, start) = network();
    let s = batch_damping_sweep(&problem, &start, &SweepConfig::reduced()).unwrap();
    let kinds = [OptimizerKind::Ggn, OptimizerKind::Adam, OptimizerKind::Gd];
    let fresh = confirm_best(&problem, &start, &s, &kinds, 3..13).unwrap();
    assert_eq!(fresh.batch_sizes(), vec![5, 10, 20, 50, 100, 200]);
    let mut decided = Vec::new();
    let mut lower = Vec::new();
    for b in fresh.batch_sizes() {
        let first = fresh
            .best_of(&[OptimizerKind::Adam, OptimizerKind::Gd], b)
            .unwrap();
        let d = fresh.paired(OptimizerKind::Ggn, first.kind, b).unwrap();
        assert_eq!(d.seeds, 10);
        decided.push(d.mean < 0.0 && d.mean.abs() > 2.0 * d.se);
        lower.push(d.a_lower);
        if !perturbed() {
            let quoted = [
                (5, "+0.0205 ± 0.0280"),
                (10, "-0.0160 ± 0.0121"),
                (20, "-0.0107 ± 0.0044"),
                (50, "-0.0602 ± 0.0263"),
            ];
            if let Some((_, q)) = quoted.iter().find(|(x, _)| *x == b) {
                assert_eq!(&format!("{:+.4} ± {:.4}", d.mean, d.se), q, "B = {b}");
            }
        }
    }
    // "more than twice its standard error from B = 20 up"; within noise at 5 and 10
    assert_eq!(decided, [false, false, true, true, true, true]);
    if !perturbed() {
        assert_eq!(lower, [6, 9, 9, 9, 9, 10]);
        // the winner's curse: the sweep's winners got worse on fresh seeds
        let mean = |k, b| format!("{:.4}", fresh.get(k, b).unwrap().mean_se().0);
        assert_eq!(mean(OptimizerKind::Ggn, 10), "0.3475");
        assert_eq!(mean(OptimizerKind::Adam, 5), "0.3881");
        assert_eq!(
            fresh
                .best_of(&[OptimizerKind::Adam, OptimizerKind::Gd], 5)
                .unwrap()
                .kind,
            OptimizerKind::Adam
        );
    }
}

#[test]
fn stochastic_bfgs_pairs() {
    let (problem, start) = network();
    let qn = RaceConfig {
        max_iters: 300,
        batch_size: Some(10),
        lr: Some(0.1),
        tol: 0.0,
        ..RaceConfig::default()
    };
    let row = |kind: OptimizerKind| {
        let out = run_detailed(&problem, &start, &OptimizerSpec::new(kind), &qn);
        let d = out.diagnostics.last().cloned().unwrap_or_default();
        (
            d["pairs"] as u64,
            d["bad_pairs"] as u64,
            out.trace.total_counts().gradient,
            format!("{:.4}", out.trace.final_loss()),
        )
    };
    // One seeded run each, and the naive pairs are chaotic in the last
    // bits (a last-bit change of the data moves SL-BFGS's bad pairs by 3
    // and its loss by 0.02), so the text quotes this run's numbers and the
    // claims are pinned: naive pairs are bad about 35–40 % of the time and
    // end above 0.6; same-batch pairs almost never are, cost twice the
    // gradients and end below 0.5.
    let naive = [row(OptimizerKind::Sbfgs), row(OptimizerKind::Slbfgs)];
    let same_batch = [row(OptimizerKind::Obfgs), row(OptimizerKind::Olbfgs)];
    for (pairs, bad, grads, loss) in &naive {
        assert_eq!((*pairs, *grads), (299, 300));
        assert!((95..=130).contains(bad), "{bad} bad pairs");
        assert!(loss.parse::<f64>().unwrap() > 0.6, "{loss}");
    }
    for (pairs, bad, grads, loss) in &same_batch {
        assert_eq!((*pairs, *grads), (300, 600));
        assert!(*bad <= 10, "{bad} bad pairs");
        assert!(loss.parse::<f64>().unwrap() < 0.5, "{loss}");
    }
    // the run the text quotes (not under the rounding-stress run's
    // last-bit perturbation, which checks only the claims)
    if !perturbed() {
        assert_eq!(naive[0], (299, 121, 300, "0.6478".into()));
        assert_eq!(naive[1], (299, 106, 300, "0.6324".into()));
        assert_eq!(same_batch[0], (300, 5, 600, "0.4685".into()));
        assert_eq!(same_batch[1], (300, 5, 600, "0.4694".into()));
    }
}

#[test]
fn kfac_moving_averages() {
    let (problem, start) = network();
    let a = kfac_averaging(&problem, &start, &AveragingConfig::default()).unwrap();
    let cell = |b, d| {
        let r = a.row(b, d).unwrap();
        (r.diverged, format!("{:.4}", r.mean_loss))
    };
    assert_eq!(cell(5, None), (5, "NaN".into()));
    assert_eq!(cell(5, Some(0.5)), (3, "0.7449".into()));
    // averaged, ε = 0.9: no divergence, but above the start (the mean of 5
    // runs moves between 0.88 and 0.94 with the last bits of the data)
    let (diverged, averaged) = cell(5, Some(0.9));
    assert_eq!(diverged, 0);
    assert!(
        averaged.parse::<f64>().unwrap() > a.start_loss + 0.1,
        "{averaged}"
    );
    if !perturbed() {
        assert_eq!(averaged, "0.8835", "the text quotes this run");
    }
    assert_eq!(cell(20, None), (0, "0.4981".into()));
    assert_eq!(cell(50, None), (0, "0.4016".into()));
    assert_eq!(cell(50, Some(0.5)), (0, "0.3682".into()));
    assert!(a.start_loss > 0.74 && a.start_loss < 0.743);
}

fn best_values(s: &BatchSweep, kind: OptimizerKind) -> Vec<String> {
    let m = s.method(kind).unwrap();
    m.batch_sizes
        .iter()
        .map(|&b| match m.best(b) {
            Some(c) => format!("{} {:.4}", quad_vs_grad::fmt::param(c.value), c.median()),
            None => "none".into(),
        })
        .collect()
}

#[test]
fn the_reduced_sweep() {
    let (problem, start) = network();
    let cfg = SweepConfig::reduced();
    let s = batch_damping_sweep(&problem, &start, &cfg).unwrap();
    assert_eq!(format!("{:.4}", s.start_loss), "0.7427");
    // shape: every method, batch size and value once
    assert_eq!(s.methods.len(), 5);
    for (m, spec) in s.methods.iter().zip(&cfg.methods) {
        assert_eq!(m.cells.len(), 6 * spec.values.len());
        for (k, c) in m.cells.iter().enumerate() {
            assert_eq!(c.batch_size, cfg.batch_sizes[k / spec.values.len()]);
            assert_eq!(c.value, spec.values[k % spec.values.len()]);
            assert_eq!(c.runs, 3);
            assert_eq!(c.losses.len() + c.diverged, 3);
            // the data budget: ⌊4000 / B⌋ steps, all taken unless a run diverged
            assert_eq!(c.iterations, (4000 / c.batch_size) as u64);
            assert!(c.iterations as usize * c.batch_size <= 4000);
            assert!(c.max_steps <= c.iterations as usize);
            if c.diverged < c.runs {
                assert_eq!(c.max_steps, c.iterations as usize);
            }
        }
        // the best cell of a row has no divergence and the lowest median
        for &b in &m.batch_sizes {
            if let Some(best) = m.best(b) {
                assert_eq!(best.diverged, 0);
                for j in 0..m.values.len() {
                    let c = m.cell(b, j).unwrap();
                    if c.diverged == 0 {
                        assert!(best.median() <= c.median());
                    }
                }
            }
        }
    }
    let ggn = s.method(OptimizerKind::Ggn).unwrap();
    let kfac = s.method(OptimizerKind::Kfac).unwrap();
    let gd = s.method(OptimizerKind::Gd).unwrap();
    let med = |m: &MethodSweep, b, j| {
        let c = m.cell(b, j).unwrap();
        (c.diverged, format!("{:.4}", c.median()))
    };
    assert_eq!(med(ggn, 5, 3), (3, "NaN".into()));
    assert_eq!(med(kfac, 100, 2), (2, "3.0610".into()));
    assert_eq!(med(kfac, 200, 2), (0, "0.4782".into()));
    // η = 10 at B = 10: 2 of 3 seeds diverge (the third's loss is chaotic)
    assert_eq!(gd.cell(10, 3).unwrap().diverged, 2);
    if !perturbed() {
        assert_eq!(med(gd, 10, 3), (2, "1.5075".into()));
    }
    // divergence counted: GGN with λ ≤ 0.01 at B = 5 diverges on every seed
    for j in 0..3 {
        assert_eq!(ggn.cell(5, j).unwrap().diverged, 3);
    }
    assert_eq!(ggn.cell(50, 2).unwrap().diverged, 2);
    assert_eq!(
        best_values(&s, OptimizerKind::Ggn),
        [
            "1 0.4643",
            "1 0.3391",
            "1 0.3486",
            "0.1 0.3429",
            "0.01 0.3155",
            "0.01 0.3020"
        ]
    );
    assert_eq!(
        best_values(&s, OptimizerKind::Kfac),
        [
            "1 0.4709",
            "1 0.3430",
            "1 0.3511",
            "0.1 0.3645",
            "0.1 0.3486",
            "0.1 0.3473"
        ]
    );
    // on 13 parameters CG solves the GGN system to its tolerance: Hessian-free
    // ends where GGN does
    assert_eq!(
        best_values(&s, OptimizerKind::HessianFree),
        best_values(&s, OptimizerKind::Ggn)
    );
    assert_eq!(
        best_values(&s, OptimizerKind::Adam),
        [
            "0.1 0.3603",
            "0.1 0.4601",
            "0.1 0.3653",
            "0.1 0.3964",
            "1 0.4181",
            "1 0.4303"
        ]
    );
    assert_eq!(
        best_values(&s, OptimizerKind::Gd),
        ["1 0.4813", "1 0.3525", "1 0.3605", "1 0.5375", "1 0.6684", "1 0.6838"]
    );
    // the figure: one panel per method
    let fig = heat_table_figure(&s.heat_tables(), 2, 900, "sweep").unwrap();
    assert_eq!(fig.width(), 900);
    assert!(s.to_html().matches("<tr>").count() == 7);
}

#[test]
fn sweep_is_deterministic_and_validates() {
    let problem = XorProblem::reference();
    let start = array![2.0, -2.0];
    let cfg = SweepConfig {
        methods: vec![
            SweepMethod {
                kind: OptimizerKind::Gd,
                values: vec![0.1, 1e3],
            },
            SweepMethod {
                kind: OptimizerKind::Ggn,
                values: vec![0.1],
            },
        ],
        batch_sizes: vec![7, 200],
        budget: 400,
        seeds: 2,
    };
    let a = batch_damping_sweep(&problem, &start, &cfg).unwrap();
    assert_eq!(
        format!("{a:?}"),
        format!("{:?}", batch_damping_sweep(&problem, &start, &cfg).unwrap())
    );
    let gd = a.method(OptimizerKind::Gd).unwrap();
    assert_eq!(gd.cell(7, 0).unwrap().iterations, 57);
    assert_eq!(gd.cell(200, 0).unwrap().iterations, 2);
    // a learning rate of 1000 diverges on every seed and is never the best
    assert_eq!(gd.cell(7, 1).unwrap().diverged, 2);
    assert_eq!(gd.best(7).unwrap().value, 0.1);
    assert_eq!(a.method(OptimizerKind::Ggn).unwrap().parameter, "λ");
    let bad = |c: SweepConfig| batch_damping_sweep(&problem, &start, &c).is_err();
    assert!(bad(SweepConfig {
        batch_sizes: vec![0],
        ..cfg.clone()
    }));
    assert!(bad(SweepConfig {
        batch_sizes: vec![201],
        ..cfg.clone()
    }));
    assert!(bad(SweepConfig {
        budget: 100,
        ..cfg.clone()
    }));
    assert!(bad(SweepConfig {
        seeds: 0,
        ..cfg.clone()
    }));
    assert!(bad(SweepConfig {
        methods: vec![],
        ..cfg.clone()
    }));
    assert!(bad(SweepConfig {
        methods: vec![SweepMethod {
            kind: OptimizerKind::Bfgs,
            values: vec![1.0]
        }],
        ..cfg.clone()
    }));
    assert!(bad(SweepConfig {
        methods: vec![SweepMethod {
            kind: OptimizerKind::Gd,
            values: vec![f64::NAN]
        }],
        ..cfg.clone()
    }));
    assert!(batch_damping_sweep(&problem, &array![1.0], &cfg).is_err());
}

/// Exercise 2: GGN-LM in the sweep.
#[test]
fn exercise_lm_sweep() {
    let (problem, start) = network();
    let cfg = SweepConfig {
        methods: vec![SweepMethod {
            kind: OptimizerKind::GgnLm,
            values: log_grid(-4, 1, 1),
        }],
        ..SweepConfig::reduced()
    };
    let s = batch_damping_sweep(&problem, &start, &cfg).unwrap();
    let m = &s.methods[0];
    // LM measures its reduction ratio on the batch: with B = 5 every
    // initial λ diverges at least once; at B = 10 most do (which ones is
    // chaotic: a last-bit change of the data moves one); from B = 50 on
    // none does. Small batches are decided by divergence, so their best
    // cells are not quoted; the large batches' are stable.
    let diverging = |b| {
        (0..6)
            .filter(|&j| m.cell(b, j).unwrap().diverged > 0)
            .count()
    };
    assert!(m.best(5).is_none(), "{m}");
    assert_eq!(diverging(5), 6, "{m}");
    assert!(diverging(10) >= 5, "{m}");
    for b in [50, 100, 200] {
        assert_eq!(diverging(b), 0, "{m}");
    }
    assert_eq!(
        best_values(&s, OptimizerKind::GgnLm)[3..],
        ["10 0.3868", "10 0.3151", "0.01 0.2892"]
    );
}

/// Exercise 1: heavy damping, λ = 1, at the point of section 1.
#[test]
fn exercise_heavy_damping_noise() {
    let (problem, start) = network();
    let p = p10(&problem, &start);
    let heavy = noise(&problem, &p, 1.0);
    assert!(heavy.rows.iter().all(|r| r.indefinite == 0.0));
    let r5 = &heavy.rows[0];
    assert_eq!(
        (f3(r5.newton_error.median), f3(r5.newton_error.q90)),
        ("3.513".into(), "5.151".into())
    );
    assert_eq!(
        (f3(r5.grad_error.median), f3(r5.grad_error.q90)),
        ("5.050".into(), "8.318".into())
    );
}

/// The chapter's full grid (`examples/batch_sweep.rs`) gives the reduced
/// grid's best damping per batch size for the curvature methods.
#[test]
fn the_chapter_sweep_agrees_on_the_damping() {
    let (problem, start) = network();
    let mut cfg = SweepConfig::chapter();
    cfg.methods.retain(|m| m.kind.descriptor().lr.is_none());
    assert_eq!(cfg.methods.len(), 3);
    let s = batch_damping_sweep(&problem, &start, &cfg).unwrap();
    let lambdas = |kind| {
        let m = s.method(kind).unwrap();
        m.batch_sizes
            .iter()
            .map(|&b| quad_vs_grad::fmt::param(m.best(b).unwrap().value))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        lambdas(OptimizerKind::Ggn),
        ["1", "1", "1", "0.1", "0.01", "0.01"]
    );
    assert_eq!(
        lambdas(OptimizerKind::HessianFree),
        lambdas(OptimizerKind::Ggn)
    );
    assert_eq!(
        lambdas(OptimizerKind::Kfac),
        ["1", "1", "1", "0.1", "0.1", "0.1"]
    );
}
