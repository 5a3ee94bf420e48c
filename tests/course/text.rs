//! The facts the course's opening states, pinned: the notebook
//! `notebooks/00-tour.ipynb` (the tour, which carries the race) and the
//! book's introduction (`book/src/introduction.md`, which quotes the
//! ill-conditioned bowl) quote these numbers. When a change to the crate
//! moves one of them, this test fails and the prose must be updated with
//! it. The README's "What the main job shows" quotes the same numbers.

use quad_vs_grad::lessons::gradient_descent::{conditioning_study, gd_sweep, GdTheory};
use quad_vs_grad::lessons::xor_mlp::best_loss;
use quad_vs_grad::linalg::FixedDot;
use quad_vs_grad::linalg::FixedSolve;
use quad_vs_grad::prelude::*;

const TEXT: &str =
    "stated in book/src/introduction.md and notebooks/00-tour.ipynb: update the text";

fn by_name<'a>(traces: &'a [Trace], name: &str) -> &'a Trace {
    traces
        .iter()
        .find(|t| t.optimizer == name)
        .unwrap_or_else(|| panic!("no optimizer named {name} in the race"))
}

#[test]
fn reference_race_matches_the_tour() {
    let traces = RacePreset::reference().run();
    // Every optimizer reaches the same minimum, v* ≈ (0.27, 0.005), loss ≈ 0.690 < ln 2.
    for t in &traces {
        assert!(!t.stop.is_failure(), "{}: {:?}", t.optimizer, t.stop);
        assert!(
            (t.final_loss() - 0.690).abs() < 5e-4,
            "{}: loss {} ({TEXT})",
            t.optimizer,
            t.final_loss()
        );
        assert!(t.final_loss() < std::f64::consts::LN_2);
        let p = t.final_point().expect("a final point");
        assert!(
            (p[0] - 0.27).abs() < 0.01 && p[1].abs() < 0.01,
            "{}: v* = {p:?} ({TEXT})",
            t.optimizer
        );
    }
    // Step counts quoted in the text.
    for (name, steps) in [
        ("GD", 153),
        ("Adam", 146),
        ("Newton (λ = 0.1)", 21),
        ("GGN", 21),
        ("K-FAC", 22),
        ("BFGS", 9),
        ("L-BFGS", 6),
    ] {
        assert_eq!(
            by_name(&traces, name).steps(),
            steps,
            "{name}: steps ({TEXT})"
        );
    }
    // Newton and Gauss–Newton coincide on this slice, step for step.
    let (newton, ggn) = (
        by_name(&traces, "Newton (λ = 0.1)"),
        by_name(&traces, "GGN"),
    );
    for (a, b) in newton.iterates.iter().zip(&ggn.iterates) {
        assert!(
            a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-9),
            "Newton and GGN paths differ ({TEXT})"
        );
    }
    // After a first step along the gradient, the quasi-Newton methods' second
    // step overshoots to the far side of the minimum (v1 < 0).
    for name in ["BFGS", "L-BFGS"] {
        let it = &by_name(&traces, name).iterates;
        assert!(it[2][0] < 0.0, "{name}: second step ({TEXT})");
    }
}

#[test]
fn curvature_at_the_minimum_matches_the_tour() {
    let traces = RacePreset::reference().run();
    let problem = XorProblem::reference();
    let p = Array1::from(
        by_name(&traces, "Newton (λ = 0.1)")
            .final_point()
            .expect("a point")
            .to_vec(),
    );
    let eig = eigenvalues(&problem.hessian(&p).expect("Hessian")).expect("eigenvalues");
    // The tour prints 0.0797 and 0.0983: about 0.08 to 0.1 in every direction,
    // so gradient descent with step 0.8 shrinks its distance by 6 to 8% per step.
    assert!(
        eig.iter().all(|&l| (0.075..0.105).contains(&l)),
        "eigenvalues {eig} ({TEXT})"
    );
    assert!(eig.iter().all(|&l| (0.06..0.085).contains(&(0.8 * l))));
}

#[test]
fn reference_bowl_is_nearly_round_and_the_race_measures_the_learning_rate() {
    // The tour and README: "eigenvalues 0.080 and 0.098, κ ≈ 1.23,
    // best fixed step ≈ 11.2, stability limit ≈ 20; per-step factor 0.94 at
    // η = 0.8, 0.10 at the best step; GD needs 8 steps at η = 11.24 and 6 at
    // η = 12, as few as L-BFGS".
    let preset = RacePreset::reference();
    let (v_star, _) = best_loss(&preset.problem, &preset.start).expect("minimum");
    let th = GdTheory::at(&preset.problem, &v_star).expect("theory");
    assert!(
        (th.mu_min - 0.080).abs() < 5e-4 && (th.mu_max - 0.098).abs() < 5e-4,
        "eigenvalues {th:?} ({TEXT})"
    );
    assert!(
        (th.condition_number() - 1.23).abs() < 0.005,
        "κ {} ({TEXT})",
        th.condition_number()
    );
    assert!(
        (th.best_step() - 11.24).abs() < 0.005,
        "best step {} ({TEXT})",
        th.best_step()
    );
    assert!(
        (th.stability_limit() - 20.3).abs() < 0.05,
        "limit {} ({TEXT})",
        th.stability_limit()
    );
    assert!((th.contraction(0.8) - 0.94).abs() < 0.005, "({TEXT})");
    assert!(
        (th.contraction(th.best_step()) - 0.10).abs() < 0.005,
        "({TEXT})"
    );
    assert!(
        (th.best_step() / 0.8 - 14.0).abs() < 0.1,
        "14 times ({TEXT})"
    );

    let sweep = gd_sweep(
        &preset.problem,
        &preset.start,
        &[0.8, 11.24, 12.0, 21.0],
        &preset.cfg,
    );
    let steps: Vec<usize> = sweep.iter().map(|t| t.steps()).collect();
    assert_eq!(
        steps[..3],
        [153, 8, 6],
        "GD steps at 0.8, 11.24, 12 ({TEXT})"
    );
    // "above 2/μ_max ≈ 20 it stops converging"
    assert_eq!(sweep[3].stop, StopReason::MaxIters, "GD at 21 ({TEXT})");
    assert!(sweep[3].final_loss() > 0.7, "GD at 21 ({TEXT})");
    let sweep = &sweep[..3];
    let traces = preset.run();
    assert_eq!(by_name(&traces, "L-BFGS").steps(), 6, "({TEXT})");
    for t in sweep {
        assert!((t.final_loss() - 0.690).abs() < 5e-4, "({TEXT})");
    }
}

#[test]
fn ill_conditioned_bowl_numbers_match_the_introduction() {
    // The introduction, quoting chapter 2:
    // "κ = 1000: gradient descent at its best step needs 6908 steps to cut its
    // distance to the minimum a million-fold, undamped Newton 1, L-BFGS 3."
    let rows = conditioning_study(&[1000.0], 0.5, 1e-6).expect("study");
    assert_eq!(rows[0].gd_steps, Some(6908), "({TEXT})");
    assert_eq!(rows[0].newton_steps, Some(1), "({TEXT})");
    assert_eq!(rows[0].lbfgs_steps, Some(3), "({TEXT})");
}

#[test]
fn hidden_slice_race_matches_the_tour() {
    let preset = RacePreset::hidden_slice();
    let p0 = &preset.start;
    let problem = &preset.problem;
    let l0 = problem.cost(p0).expect("loss");
    let g = problem.gradient(p0).expect("gradient");
    let h = problem.hessian(p0).expect("Hessian");
    let ggn = problem.ggn(p0).expect("GGN");
    let (neg, _, pos) = inertia(&h, 1e-12).expect("inertia");
    assert_eq!(
        (neg, pos),
        (1, 1),
        "the Hessian at the start is indefinite ({TEXT})"
    );
    let damp = Array2::<f64>::eye(2) * preset.cfg.damping;
    let newton_dir = -(&h + &damp).fsolve(&g).expect("solve");
    let ggn_dir = -(&ggn + &damp).fsolve(&g).expect("solve");
    assert!(
        g.fdot(&newton_dir) > 0.0,
        "the damped Newton direction climbs ({TEXT})"
    );
    assert!(
        g.fdot(&ggn_dir) < 0.0,
        "the damped GGN direction descends ({TEXT})"
    );

    let traces = preset.run();
    let newton = by_name(&traces, "Newton (λ = 0.1)");
    assert!(
        newton.final_loss() > l0,
        "Newton ends above its start ({TEXT})"
    );
    for name in ["GGN", "K-FAC", "BFGS", "L-BFGS", "GD", "Adam"] {
        assert!(
            by_name(&traces, name).final_loss() < 0.01,
            "{name} reaches the valley ({TEXT})"
        );
    }
    for name in ["GGN", "K-FAC"] {
        assert_eq!(
            by_name(&traces, name).stop,
            StopReason::MaxIters,
            "{name} crawls ({TEXT})"
        );
    }
    let fastest = traces.iter().min_by_key(|t| t.steps()).expect("traces");
    assert_eq!(
        fastest.optimizer, "L-BFGS",
        "L-BFGS finishes first ({TEXT})"
    );
    assert_eq!(by_name(&traces, "L-BFGS").steps(), 17, "({TEXT})");
    assert_eq!(by_name(&traces, "BFGS").steps(), 18, "({TEXT})");
}
