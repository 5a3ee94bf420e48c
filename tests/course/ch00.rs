//! Chapter 0, "A tour of quad-vs-grad" (`notebooks/00-tour.ipynb`): the
//! numbers its exercises and their hints quote.

use quad_vs_grad::lessons::tour::*;
use quad_vs_grad::linalg::FixedDot;
use quad_vs_grad::linalg::FixedSolve;
use quad_vs_grad::prelude::*;

const TEXT: &str = "stated in notebooks/00-tour.ipynb: update the text";

fn steps_of(traces: &[Trace], name: &str) -> usize {
    traces
        .iter()
        .find(|t| t.optimizer == name)
        .unwrap_or_else(|| panic!("{name} is in the race"))
        .steps()
}

/// Exercise 1: another start on the reference slice. Gradient descent's count
/// grows with the logarithm of the distance, as its per-step factor predicts.
#[test]
fn exercise_1_a_farther_start() {
    let near = RacePreset::reference();
    let mut far = RacePreset::reference();
    far.start = array![-3.0, 3.0];
    let (v, _) = best_loss(&near.problem, &near.start).unwrap();
    let dist = |p: &Array1<f64>| (p - &v).mapv(|x| x * x).sum().sqrt();
    let (d_near, d_far) = (dist(&near.start), dist(&far.start));
    assert!(
        (d_near - 2.65).abs() < 5e-3 && (d_far - 4.43).abs() < 5e-3,
        "{d_near} {d_far} ({TEXT})"
    );

    let (a, b) = (near.run(), far.run());
    let expect = [
        ("GD", 153, 162),
        ("Adam", 146, 215),
        ("Newton (λ = 0.1)", 21, 22),
        ("BFGS", 9, 10),
        ("L-BFGS", 6, 6),
    ];
    for (name, n_near, n_far) in expect {
        assert_eq!(
            (steps_of(&a, name), steps_of(&b, name)),
            (n_near, n_far),
            "{name} ({TEXT})"
        );
    }
    // The hint's prediction: ln(d_far / d_near) / ln(1 / 0.936) ≈ 8 more steps.
    let theory = GdTheory::at(&near.problem, &v).unwrap();
    let factor = theory.contraction(0.8);
    assert!((factor - 0.936).abs() < 5e-4, "{factor} ({TEXT})");
    let extra = (d_far / d_near).ln() / (1.0 / factor).ln();
    assert!((extra - 8.0).abs() < 0.5, "{extra} ({TEXT})");
    let observed = steps_of(&b, "GD") as f64 - steps_of(&a, "GD") as f64;
    assert!((observed - extra).abs() < 1.5, "{observed} vs {extra}");
}

/// Exercise 2: more damping for Newton on the hidden slice. Just above
/// −μ_min the direction goes downhill but the step is enormous.
#[test]
fn exercise_2_damping_newton_on_the_hidden_slice() {
    let mut hidden = RacePreset::hidden_slice();
    let p0 = hidden.start.clone();
    let g0 = hidden.problem.gradient(&p0).unwrap();
    let h0 = hidden.problem.hessian(&p0).unwrap();
    let mu_min = eigenvalues(&h0).unwrap()[0];
    assert!((mu_min + 0.483).abs() < 5e-4, "{mu_min} ({TEXT})");
    let loss0 = hidden.problem.cost(&p0).unwrap();
    assert!((loss0 - 1.067).abs() < 5e-4);

    // (λ, slope g·d, |d|, loss after one step, final loss after 500 steps)
    let expect = [
        (0.5, -41.1, 49.9, 3.643, 1.840),
        (1.0, -1.35, 1.60, 0.0336, 0.00395),
    ];
    for (lambda, slope, len, first, last) in expect {
        let d = -(&h0 + &(Array2::<f64>::eye(2) * lambda))
            .fsolve(&g0)
            .unwrap();
        let (s, l) = (g0.fdot(&d), d.fdot(&d).sqrt());
        assert!(
            (s - slope).abs() < 0.05 * slope.abs(),
            "λ = {lambda}: slope {s} ({TEXT})"
        );
        assert!(
            (l - len).abs() < 0.01 * len,
            "λ = {lambda}: |d| {l} ({TEXT})"
        );
        hidden.cfg.damping = lambda;
        let traces = hidden.run();
        let newton = traces
            .iter()
            .find(|t| t.optimizer.starts_with("Newton (λ = "))
            .unwrap();
        assert_eq!(newton.steps(), 500);
        assert!(
            (newton.loss[1] - first).abs() < 0.002 * first,
            "λ = {lambda}: {} ({TEXT})",
            newton.loss[1]
        );
        assert!(
            (newton.final_loss() - last).abs() < 0.002 * last,
            "λ = {lambda}: {} ({TEXT})",
            newton.final_loss()
        );
    }
    // The solution's loss the other methods reach (the hint compares with it).
    let bfgs = hidden
        .run()
        .into_iter()
        .find(|t| t.optimizer == "BFGS")
        .unwrap();
    assert!((bfgs.final_loss() - 0.00361).abs() < 5e-6, "({TEXT})");
}

/// The eigen-sign map of the hidden slice: 84 % of the view that the race's
/// paths need, which chapter 7 quotes beside its own 37 % on [-3, 3]²
/// (the share is a property of the box).
#[test]
fn the_eigen_sign_share_names_its_box() {
    let hidden = RacePreset::hidden_slice();
    let traces = hidden.run();
    let (grid, _) = quad_vs_grad::plot::path_view(
        &hidden.problem,
        &traces,
        Some(((-3.0, 3.0), (-3.0, 3.0))),
        200,
    )
    .unwrap();
    let signs =
        CurvatureGrid::for_problem(&hidden.problem, grid.x_range(), grid.y_range(), 120).unwrap();
    assert_eq!(format!("{:.0}", 100.0 * signs.negative_fraction()), "84");
    let ((x0, x1), (y0, y1)) = (grid.x_range(), grid.y_range());
    assert_eq!(
        format!("[{x0:.1}, {x1:.1}] × [{y0:.1}, {y1:.1}]"),
        "[-8.9, 3.6] × [-3.7, 12.0]"
    );
}
