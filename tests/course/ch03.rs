//! The numbers chapter 3 (`notebooks/03-momentum.ipynb`, "Momentum and
//! Nesterov") quotes, pinned. When a change to the crate moves one of them,
//! this test fails and the prose must be updated with it.

use quad_vs_grad::lessons::momentum::*;
use quad_vs_grad::prelude::*;
use std::f64::consts::FRAC_PI_6;

const TEXT: &str = "stated in notebooks/03-momentum.ipynb: update the text";

fn bowl() -> Quadratic {
    Quadratic::with_condition(100.0, FRAC_PI_6).expect("valid bowl")
}

fn close(what: &str, got: f64, want: f64, tol: f64) {
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got}, the text says {want} ({TEXT})"
    );
}

#[test]
fn tunings_on_the_bowl() {
    let q = bowl();
    let (lo, hi) = q.eigenvalues();
    close("stability limit", q.stability_limit(), 0.02, 1e-12);
    let gd = gd_tuning(lo, hi).unwrap();
    let hb = polyak_tuning(lo, hi).unwrap();
    let nag = nesterov_tuning(lo, hi).unwrap();
    close("GD rate", gd.rate, 0.9802, 5e-5);
    close("Polyak η⋆", hb.lr, 0.0331, 5e-5);
    close("Polyak β⋆", hb.beta(), 0.669, 5e-4);
    close("Polyak rate", hb.rate, 0.8182, 5e-5);
    close("Nesterov rate", nag.rate, 0.9, 5e-5);
    // Stability of the heavy ball at η⋆: η μmax < 2 (1 + β) ⇔ β > 0.653.
    close("stability edge", hb.lr * hi / 2.0 - 1.0, 0.653, 5e-4);
    // Look-ahead: the steepest direction is removed at η = 1/μmax.
    let b = nag.beta();
    close(
        "heavy ball, steep mode",
        mode_rate(Momentum::HeavyBall(b), nag.lr, hi),
        0.9045,
        5e-5,
    );
    assert_eq!(mode_rate(Momentum::Nesterov(b), nag.lr, hi), 0.0);
}

#[test]
fn comparison_on_the_bowl() {
    let c = compare_on_bowl(&bowl(), 1e-6, 5000).unwrap();
    let want = [(0.9802, 691), (0.8275, 93), (0.9059, 154)];
    for (r, (rate, steps)) in c.results.iter().zip(want) {
        close(
            &format!("{} measured rate", r.trace.optimizer),
            r.measured_rate.unwrap(),
            rate,
            5e-5,
        );
        assert_eq!(r.steps, Some(steps), "{} ({TEXT})", r.trace.optimizer);
    }
    close(
        "GD peak loss",
        peak_loss_ratio(&c.results[0].trace),
        1.0,
        1e-12,
    );
    close(
        "heavy ball peak loss",
        peak_loss_ratio(&c.results[1].trace),
        13.6,
        0.05,
    );
    // Exercise 2: rotating the bowl changes nothing.
    let c0 = compare_on_bowl(&Quadratic::with_condition(100.0, 0.0).unwrap(), 1e-6, 5000).unwrap();
    for (a, b) in c.results.iter().zip(&c0.results) {
        assert_eq!(a.steps, b.steps, "{} ({TEXT})", a.trace.optimizer);
    }
}

#[test]
fn conditioning_table_grows_like_sqrt_kappa() {
    let t = conditioning_table(&[10.0, 100.0, 1000.0], FRAC_PI_6, 1e-6, 20_000).unwrap();
    let want = [(69, 27, 42), (691, 93, 154), (6908, 315, 507)];
    for (row, (gd, hb, nag)) in t.rows.iter().zip(want) {
        let s: Vec<Option<usize>> = row.results.iter().map(|r| r.steps).collect();
        assert_eq!(
            s,
            vec![Some(gd), Some(hb), Some(nag)],
            "κ = {} ({TEXT})",
            row.kappa
        );
    }
}

#[test]
fn momentum_sweep_numbers() {
    let q = bowl();
    let (lo, hi) = q.eigenvalues();
    let hb = polyak_tuning(lo, hi).unwrap();
    let betas = beta_grid(50, 0.98).unwrap();
    let at_polyak = momentum_sweep(&q, hb.lr, &betas, 1e-6, 5000).unwrap();
    let best = at_polyak.best().unwrap();
    close("best β at η⋆", best.beta, 0.68, 1e-9);
    assert_eq!(best.steps, Some(83), "{TEXT}");
    close(
        "smallest stable β",
        at_polyak.smallest_stable_beta().unwrap(),
        0.66,
        1e-9,
    );
    assert!(at_polyak
        .points
        .iter()
        .all(|p| p.diverged == (p.beta < 0.65)));
    assert_eq!(at_polyak.points.last().unwrap().steps, Some(1178), "{TEXT}");

    let at_safe = momentum_sweep(&q, 1.0 / hi, &betas, 1e-6, 5000).unwrap();
    assert_eq!(at_safe.points[0].steps, Some(1341), "{TEXT}");
    let best = at_safe.best().unwrap();
    close("best β at 1/μmax", best.beta, 0.82, 1e-9);
    assert_eq!(best.steps, Some(146), "{TEXT}");
    // Momentum helps for every β up to 0.96.
    let gd_steps = at_safe.points[0].steps.unwrap();
    assert!(at_safe
        .points
        .iter()
        .filter(|p| p.beta > 0.0 && p.beta <= 0.961)
        .all(|p| p.steps.is_some_and(|s| s < gd_steps)));
    // Exercise 3: the flattest direction is critically damped at β = (1 − 1/√κ)² = 0.81.
    let crit = (1.0 - (lo / hi).sqrt()).powi(2);
    close("critical β", crit, 0.81, 1e-12);
    let r = mode_rate(Momentum::HeavyBall(crit), 1.0 / hi, lo);
    close("rate at critical β", r, 0.9, 1e-6);
}

#[test]
fn exercise_1_the_overshoot_grows_like_kappa() {
    let peaks = |kappa: f64| {
        let b = Quadratic::with_condition(kappa, FRAC_PI_6).unwrap();
        let c = compare_on_bowl(&b, 1e-6, 20_000).unwrap();
        let p: Vec<f64> = c
            .results
            .iter()
            .map(|r| peak_loss_ratio(&r.trace))
            .collect();
        p
    };
    let (p100, p1000) = (peaks(100.0), peaks(1000.0));
    close("heavy ball peak loss, κ = 1000", p1000[1], 135.5, 0.05);
    close("Nesterov peak loss, κ = 1000", p1000[2], 1.0, 0.005);
    // "ten times the 13.6 of κ = 100": the rise grows like κ.
    close("ratio of the peaks", p1000[1] / p100[1], 10.0, 0.1);
}

#[test]
fn rate_map_of_the_heavy_ball() {
    let (lo, hi) = bowl().eigenvalues();
    let map = heavy_ball_rate_map(&[lo, hi], 4.4 / hi, 241).unwrap();
    close(
        "share of the plane that converges (%)",
        100.0 * map.converging_fraction(),
        67.4,
        0.05,
    );
    let p = map.polyak;
    close("η⋆ on the map", p.lr, 0.0331, 5e-5);
    close("β⋆ on the map", p.beta(), 0.669, 5e-4);
    close(
        "rate at (η⋆, β⋆)",
        heavy_ball_rate(p.lr, p.beta(), &[lo, hi]),
        0.8182,
        5e-5,
    );
    close(
        "gradient descent on the β = 0 edge",
        map.gd.rate,
        0.9802,
        5e-5,
    );
    // The optimum is where the two critical-damping curves cross.
    close(
        "critical damping of μmin at η⋆",
        critical_damping_beta(p.lr, lo),
        p.beta(),
        1e-12,
    );
    close(
        "critical damping of μmax at η⋆",
        critical_damping_beta(p.lr, hi),
        p.beta(),
        1e-12,
    );
    let (lr, beta, best) = map.best_on_grid();
    assert!(best >= p.rate - 1e-9, "a grid point beats Polyak's optimum");
    close("best grid η", lr, 0.0328, 5e-5);
    close("best grid β", beta, 0.671, 5e-4);
    close("best grid rate", best, 0.8190, 5e-5);
    assert!(
        quad_vs_grad::plot::field_map_figure(&map.chart().unwrap(), 300, 200).is_ok(),
        "the figure draws"
    );
}
