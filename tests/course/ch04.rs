//! The numbers chapter 4 (`notebooks/04-adam.ipynb`, "RMSprop and Adam")
//! quotes, pinned. When a change to the crate moves one of them, this test
//! fails and the prose must be updated with it.

use quad_vs_grad::lessons::adam::*;
use quad_vs_grad::prelude::*;
use quad_vs_grad::solvers::{AdamRule, UpdateRule};

const TEXT: &str = "stated in notebooks/04-adam.ipynb: update the text";

fn close(what: &str, got: f64, want: f64, tol: f64) {
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got}, the text says {want} ({TEXT})"
    );
}

#[test]
fn diagonal_rescaling_and_rotated_bowls() {
    for (deg, want) in [(0.0, 1.0), (15.0, 26.5), (30.0, 75.5), (45.0, 100.0)] {
        let b = Quadratic::with_condition(100.0, f64::to_radians(deg)).unwrap();
        close(
            &format!("κ after diag. at {deg}°"),
            diagonal_condition(&b),
            want,
            0.05,
        );
    }
    let r = rotated_bowls(&[10.0, 100.0, 1000.0], &[0.0, 45.0], 0.1, 1e-3, 4000).unwrap();
    let want = [
        (10.0, 0.0, 69, 35),
        (10.0, 45.0, 140, 35),
        (100.0, 0.0, 69, 346),
        (100.0, 45.0, 526, 346),
        (1000.0, 0.0, 69, 3454),
        (1000.0, 45.0, 2155, 3454),
    ];
    for (k, deg, adam, gd) in want {
        let row = r.row(k, deg).unwrap();
        assert_eq!(
            (row.adam_steps, row.gd_steps),
            (Some(adam), Some(gd)),
            "κ = {k}, {deg}° ({TEXT})"
        );
    }
    // Exercise 1.
    let r = rotated_bowls(&[100.0], &[15.0, 30.0], 0.1, 1e-3, 4000).unwrap();
    assert_eq!(r.rows[0].adam_steps, Some(298), "{TEXT}");
    assert_eq!(r.rows[1].adam_steps, Some(475), "{TEXT}");
}

fn tanh_race() -> Vec<Trace> {
    let cfg = RaceConfig {
        max_iters: 1000,
        tol: 1e-15,
        ..RaceConfig::default()
    };
    let specs = [
        OptimizerSpec::new(OptimizerKind::Gd).lr(0.1),
        OptimizerSpec::new(OptimizerKind::Gd).lr(1.0),
        OptimizerSpec::new(OptimizerKind::Gd).lr(2.5),
        OptimizerSpec::new(OptimizerKind::Adam).lr(0.1),
        OptimizerSpec::new(OptimizerKind::RmsProp).lr(0.01),
    ];
    race(&TanhSlope, &TanhSlope.start(), &specs, &cfg)
}

#[test]
fn first_steps_and_bias_correction() {
    let g = TanhSlope.gradient(&TanhSlope.start()).unwrap()[0];
    close("f'(4)", g, 1.34e-3, 5e-6);
    let traces = tanh_race();
    let by_hand = -0.1 * g / (g.abs() + 1e-8);
    let adam_first = first_step(&traces[3]).unwrap()[0];
    assert!(
        (adam_first - by_hand).abs() < 1e-15,
        "{adam_first} vs {by_hand}"
    );
    close("Adam first step", adam_first, -0.09999925, 5e-9);
    let uncorrected = -0.1 * 0.1 * g / (0.001f64.sqrt() * g.abs() + 1e-8);
    close("uncorrected / η", uncorrected / -0.1, 3.16, 5e-3);
    let rms_first = first_step(&traces[4]).unwrap()[0];
    close("RMSprop first step", rms_first, -0.09999, 5e-6);
    // Exercise 2: the uncorrected ratio (1 − 0.9ᵏ)/√(1 − 0.999ᵏ).
    let ratio = |k: i32| (1.0 - 0.9f64.powi(k)) / (1.0 - 0.999f64.powi(k)).sqrt();
    let (k_best, best) =
        (1..=100)
            .map(|k| (k, ratio(k)))
            .fold((0, 0.0), |a, b| if b.1 > a.1 { b } else { a });
    assert_eq!(k_best, 12, "{TEXT}");
    close("largest uncorrected ratio", best, 6.57, 5e-3);
    let rule = AdamRule {
        lr: 0.1,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
    };
    let mut s = rule.init(1);
    for _ in 0..100 {
        let d = rule.update(&array![0.5], &mut s)[0];
        assert!((d + 0.1 * 0.5 / (0.5 + 1e-8)).abs() < 1e-12, "{d}");
    }
}

#[test]
fn vanishing_gradient_race() {
    let traces = tanh_race();
    let (curv, limit) = max_curvature_1d(&TanhSlope).unwrap();
    close("max |f''|", curv, 0.7698, 5e-5);
    close("stability limit", limit, 2.598, 5e-4);
    let crossings: Vec<Option<usize>> = traces.iter().map(|t| iterations_to_x(t, 0.0)).collect();
    assert_eq!(
        crossings,
        vec![None, Some(378), Some(153), Some(36), Some(105)],
        "{TEXT}"
    );
    close(
        "GD 0.1 after 1000 steps",
        traces[0].final_point().unwrap()[0],
        3.84,
        5e-3,
    );
    close("GD 2.5 final loss", traces[2].final_loss(), -0.9999, 5e-5);
    close("Adam final loss", traces[3].final_loss(), -0.9997, 5e-5);
    assert!(traces[2].final_loss() < traces[3].final_loss());
    let adam = &traces[3];
    let eff = effective_lr(adam);
    close("Adam effective step at start", eff[0], 74.57, 5e-3);
    close("Adam effective step at crossing", eff[36], 0.139, 5e-4);
    let steps = step_lengths(adam);
    let (k, s) = steps
        .iter()
        .copied()
        .enumerate()
        .fold((0, 0.0), |a, (k, s)| if s > a.1 { (k, s) } else { a });
    assert_eq!(k, 39, "{TEXT}");
    close("Adam longest step", s, 0.1417, 5e-5);
    // Exercise 3: ∫₀⁴ cosh² = 2 + sinh(8)/4 ≈ 374.6; η = 0.5 crosses at 753.
    close("integral", 2.0 + 8f64.sinh() / 4.0, 374.6, 0.05);
    let cfg = RaceConfig {
        max_iters: 1000,
        tol: 1e-15,
        ..RaceConfig::default()
    };
    let t = run(
        &TanhSlope,
        &TanhSlope.start(),
        &OptimizerSpec::new(OptimizerKind::Gd).lr(0.5),
        &cfg,
    );
    assert_eq!(iterations_to_x(&t, 0.0), Some(753), "{TEXT}");
}

/// Exercise 4: RMSprop with a fixed step hovers at `η/√2` from the minimum.
#[test]
fn exercise_rmsprop_hovers() {
    let lr = 0.01;
    let cfg = RaceConfig {
        max_iters: 3000,
        tol: 0.0,
        ..RaceConfig::default()
    };
    let rmsprop = OptimizerSpec::new(OptimizerKind::RmsProp).lr(lr);
    for (deg, lo, hi) in [(0.0, 0.00686, 0.00729), (45.0, 0.00706, 0.00708)] {
        let bowl = Quadratic::with_condition(100.0, f64::to_radians(deg)).unwrap();
        let trace = run(&bowl, &bowl.start(), &rmsprop, &cfg);
        assert_eq!(trace.steps(), 3000, "{TEXT}");
        let d = distances(&trace, &[0.0, 0.0]);
        let last = &d[d.len() - 500..];
        let min = last.iter().copied().fold(f64::INFINITY, f64::min);
        let max = last.iter().copied().fold(0.0, f64::max);
        close(&format!("{deg}°: smallest distance"), min, lo, 5e-6);
        close(&format!("{deg}°: largest distance"), max, hi, 5e-6);
    }
    close("η/√2", lr / 2f64.sqrt(), 0.00707, 5e-6);
}
