//! The numbers chapter 17 (`notebooks/17-adaptive-gd.ipynb`,
//! "Condition-number-adaptive gradient descent") quotes, pinned. Every
//! count here is a deterministic function of the seeds (the crate's own
//! arithmetic, no BLAS), so the pins are exact or to the printed digits.

use quad_vs_grad::lessons::adaptive_gd::*;
use quad_vs_grad::prelude::*;

const TEXT: &str = "stated in notebooks/17-adaptive-gd.ipynb: update the text";

fn close(what: &str, got: f64, want: f64, tol: f64) {
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got}, the text says {want} ({TEXT})"
    );
}

/// `(arrived %, at a minimum %, median steps)` as the chapter prints them.
fn row(s: &Starts) -> (i64, i64, f64) {
    (
        (100.0 * s.arrived_fraction()).round() as i64,
        (100.0 * s.minimum_fraction()).round() as i64,
        s.median_arrival(),
    )
}

fn pct(x: f64) -> f64 {
    100.0 * x
}

fn cfg() -> StartsConfig {
    StartsConfig {
        max_iters: 500,
        ..StartsConfig::default()
    }
}

#[test]
fn bowls_and_exercise_1() {
    let t = scaled_bowls(&[10.0, 100.0], &[0.01, 1.0, 100.0], 0.1, 1e-3, 700).unwrap();
    // (κ, c, κ rule, λmax rule, sum rule, GD best); None = not within the limit.
    let want = [
        (10.0, 0.01, None, 63, 35),
        (10.0, 1.0, Some(653), 63, 35),
        (10.0, 100.0, None, 63, 35),
        (100.0, 0.01, None, 653, 346),
        (100.0, 1.0, None, 653, 346),
        (100.0, 100.0, None, 653, 346),
    ];
    for (k, c, kr, lm, sum) in want {
        let r = t.row(k, c).unwrap();
        assert_eq!(
            r.steps,
            vec![kr, Some(lm), Some(sum), Some(sum)],
            "κ = {k}, c = {c} ({TEXT})"
        );
        assert_eq!(r.diverged[0], c == 100.0, "κ = {k}, c = {c} ({TEXT})");
    }
    close(
        "best κ-rule rate, smallest",
        t.row(10.0, 100.0).unwrap().kappa_best,
        0.018,
        5e-4,
    );
    close(
        "best κ-rule rate, largest",
        t.row(100.0, 0.01).unwrap().kappa_best,
        198.02,
        5e-3,
    );
    // Exercise 1.
    let steps = |lr: f64| {
        let r = scaled_bowls(&[100.0], &[0.5], lr, 1e-3, 1000).unwrap().rows[0].clone();
        (
            r.kappa_limit,
            r.steps[0],
            r.diverged[0],
            r.steps[1],
            r.steps[3],
        )
    };
    assert_eq!(
        steps(3.9),
        (4.0, Some(334), false, Some(653), Some(346)),
        "{TEXT}"
    );
    assert_eq!(steps(4.0).1, None, "{TEXT}");
    assert!(!steps(4.0).2, "{TEXT}");
    assert!(steps(4.1).2, "{TEXT}");
}

#[test]
fn wells() {
    let wells = GaussianWells::course();
    let global = wells.global_minimum().unwrap();
    close("global minimum", global.value, -0.2907, 5e-5);
    let starts = uniform_starts(100, 2, (-3.0, 3.0), 0).unwrap();
    let cfg = cfg();
    let gd = lr_sweep(&wells, Method::Gd, &[0.3, 1.0, 3.0, 10.0], &starts, &cfg).unwrap();
    let want = [
        (80, 77, 98.0),
        (86, 83, 35.0),
        (100, 97, 13.0),
        (11, 6, 73.0),
    ];
    for (s, w) in gd.runs.iter().zip(want) {
        assert_eq!(row(s), w, "GD η = {} ({TEXT})", s.lr);
    }
    assert_eq!(gd.best().lr, 3.0, "{TEXT}");
    close(
        "GD η = 3 median loss",
        gd.best().median_final_loss(),
        -0.2476,
        5e-5,
    );
    let kappa = lr_sweep(
        &wells,
        Method::KAPPA,
        &[0.1, 1.0, 10.0, 100.0],
        &starts,
        &cfg,
    )
    .unwrap();
    let want = [
        (12, 9, 294.0, -0.1441),
        (14, 11, 29.0, -0.1752),
        (6, 3, 114.0, -0.1873),
        (89, 5, 15.0, -0.0000),
    ];
    for (s, (a, m, st, loss)) in kappa.runs.iter().zip(want) {
        assert_eq!(row(s), (a, m, st), "κ rule η = {} ({TEXT})", s.lr);
        close("κ-rule median loss", s.median_final_loss(), loss, 5e-5);
    }
    assert_eq!(kappa.best().lr, 1.0, "{TEXT}");
    let lmax = run_starts(
        &wells,
        Method::Adaptive(StepScale::LambdaMax),
        1.0,
        &starts,
        &cfg,
    )
    .unwrap();
    let sum = run_starts(
        &wells,
        Method::Adaptive(StepScale::SumAbs),
        2.0,
        &starts,
        &cfg,
    )
    .unwrap();
    assert_eq!(row(&lmax), (100, 97, 7.0), "{TEXT}");
    assert_eq!(row(&sum), (100, 95, 6.0), "{TEXT}");
    for (s, want) in [
        (gd.best(), 33),
        (&kappa.runs[0], 3),
        (kappa.best(), 4),
        (&lmax, 30),
        (&sum, 32),
    ] {
        let got = (100.0 * s.reached_fraction(&global.point, 0.25)).round() as i64;
        assert_eq!(got, want, "{} η = {} ({TEXT})", s.method.name(), s.lr);
    }

    // Why it stops.
    let slow = kappa.runs[0].curvature_stats();
    close(
        "κ 0.1: starts indefinite",
        pct(slow.starts_indefinite),
        82.0,
        0.05,
    );
    close(
        "κ 0.1: steps indefinite",
        pct(slow.steps_indefinite),
        85.3,
        0.05,
    );
    close("κ 0.1: bowl rate", slow.median_rate[0], 0.569, 5e-4);
    close("κ 0.1: saddle rate", slow.median_rate[1], 0.0217, 5e-5);
    close("κ 0.1: dome rate", slow.median_rate[2], 0.129, 5e-4);
    assert_eq!(slow.entered_bowl, 0.0, "{TEXT}");
    close("κ 0.1: stuck", pct(slow.stuck_high_kappa), 41.0, 0.05);
    close("κ 0.1: short step", pct(slow.short_step), 36.0, 0.05);
    let best = kappa.best().curvature_stats();
    close("κ 1: entered", pct(best.entered_bowl), 13.4, 0.05);
    assert_eq!(best.median_rate[1], 0.0, "{TEXT}");
    close("κ 1: stuck", pct(best.stuck_high_kappa), 58.0, 0.05);
    close("κ 1: short step", pct(best.short_step), 59.0, 0.05);
    let g = gd.runs[0].curvature_stats();
    close(
        "GD 0.3: steps indefinite",
        pct(g.steps_indefinite),
        41.1,
        0.05,
    );
    close("GD 0.3: entered", pct(g.entered_bowl), 90.2, 0.05);
    let stuck = kappa.runs[0]
        .runs
        .iter()
        .filter(|r| r.arrived.is_none() && r.conditions.last().is_some_and(|&k| k > 1e3))
        .count();
    assert_eq!(stuck, 41, "{TEXT}");
    // The geometric fall of the step along the first three stuck runs.
    let firsts: Vec<f64> = kappa.runs[0]
        .runs
        .iter()
        .filter(|r| r.arrived.is_none() && r.conditions.last().is_some_and(|&k| k > 1e3))
        .take(3)
        .map(|r| r.rates.last().unwrap() / 0.1)
        .collect();
    assert!(
        firsts.iter().all(|&v| (1e-13..2e-4).contains(&v)),
        "{firsts:?} ({TEXT})"
    );

    // The first run that arrives keeps a step of about three quarters of its η.
    let free = kappa.runs[0]
        .runs
        .iter()
        .find(|r| r.arrived.is_some())
        .unwrap();
    let lo = free
        .rates
        .iter()
        .fold(f64::INFINITY, |a, &b| a.min(b / 0.1));
    let hi = free.rates.iter().fold(0.0_f64, |a, &b| a.max(b / 0.1));
    assert!(lo > 0.6 && hi < 0.8, "{lo} .. {hi} ({TEXT})");

    // The cost, counted.
    let c = kappa.runs[0].runs[0].trace.total_counts();
    assert_eq!(
        (c.iterations, c.gradient, c.hessian, c.linear_solve),
        (500, 501, 500, 500),
        "{TEXT}"
    );
    let c = gd.best().runs[0].trace.total_counts();
    assert_eq!(
        (c.iterations, c.gradient, c.hessian, c.linear_solve),
        (7, 8, 0, 0),
        "{TEXT}"
    );

    // Exercise 2.
    let l = lmax.curvature_stats();
    close("λmax: entered", pct(l.entered_bowl), 96.3, 0.05);
    assert_eq!(l.stuck_high_kappa, 0.0, "{TEXT}");
    close("λmax: bowl rate", l.median_rate[0], 2.78, 5e-3);
    close("λmax: saddle rate", l.median_rate[1], 4.11, 5e-3);
    close("λmax: dome rate", l.median_rate[2], 31.1, 0.05);
}

#[test]
fn xor_slices_and_exercise_3() {
    let cfg = cfg();
    let reference = XorProblem::reference();
    let ref_starts = uniform_starts(30, 2, (-4.0, 4.0), 0).unwrap();
    let a = lr_sweep(
        &reference,
        Method::Gd,
        &[3.0, 10.0, 30.0],
        &ref_starts,
        &cfg,
    )
    .unwrap();
    let b = lr_sweep(
        &reference,
        Method::KAPPA,
        &[3.0, 10.0, 30.0],
        &ref_starts,
        &cfg,
    )
    .unwrap();
    assert_eq!((a.best().lr, b.best().lr), (10.0, 10.0), "{TEXT}");
    assert_eq!(row(a.best()), (100, 100, 5.0), "{TEXT}");
    assert_eq!(row(b.best()), (100, 100, 8.0), "{TEXT}");
    close("reference loss", a.best().median_final_loss(), 0.6899, 5e-5);
    close(
        "reference loss κ",
        b.best().median_final_loss(),
        0.6899,
        5e-5,
    );
    close(
        "reference κ rate",
        b.best().curvature_stats().median_rate[0],
        0.809,
        5e-4,
    );

    let hidden = XorProblem::hidden_slice();
    let hid_starts = uniform_starts(30, 2, (-3.0, 3.0), 0).unwrap();
    let a = lr_sweep(&hidden, Method::Gd, &[3.0, 10.0, 30.0], &hid_starts, &cfg).unwrap();
    let b = lr_sweep(
        &hidden,
        Method::KAPPA,
        &[10.0, 30.0, 100.0, 300.0],
        &hid_starts,
        &cfg,
    )
    .unwrap();
    assert_eq!((a.best().lr, b.best().lr), (30.0, 300.0), "{TEXT}");
    assert_eq!(row(a.best()), (83, 70, 118.0), "{TEXT}");
    assert_eq!(row(b.best()), (63, 60, 72.0), "{TEXT}");
    assert_eq!(row(&b.runs[0]).1, 3, "{TEXT}");
    assert_eq!(row(&b.runs[1]).1, 3, "{TEXT}");
    close("hidden loss", a.best().median_final_loss(), 0.0036, 5e-5);
    close("hidden loss κ", b.best().median_final_loss(), 0.0036, 5e-5);
    let g = a.best().curvature_stats();
    let k = b.best().curvature_stats();
    close(
        "hidden starts indefinite",
        pct(g.starts_indefinite),
        20.0,
        0.05,
    );
    close("hidden GD entered", pct(g.entered_bowl), 33.3, 0.05);
    close("hidden κ entered", pct(k.entered_bowl), 50.0, 0.05);
    assert_eq!(g.stuck_high_kappa, 0.0, "{TEXT}");
    close("hidden κ stuck", pct(k.stuck_high_kappa), 16.7, 0.05);
    close("hidden κ bowl rate", k.median_rate[0], 2.12e-2, 5e-5);
    close("hidden κ saddle rate", k.median_rate[1], 2.86e-4, 5e-7);
    close("hidden κ dome rate", k.median_rate[2], 5.24e-8, 5e-10);
}
