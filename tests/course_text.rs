//! The facts the course text states, pinned: the book's introduction
//! (`book/src/introduction.md`) and the notebook `notebooks/00-tour.ipynb`
//! quote these numbers. When a change to the crate moves one of them, this
//! test fails and the prose must be updated with it.

use quad_vs_grad::ndarray_linalg::Solve;
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
fn reference_race_matches_the_introduction() {
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
        ("Newton", 21),
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
    let (newton, ggn) = (by_name(&traces, "Newton"), by_name(&traces, "GGN"));
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
fn curvature_at_the_minimum_matches_the_introduction() {
    let traces = RacePreset::reference().run();
    let problem = XorProblem::reference();
    let p = Array1::from(
        by_name(&traces, "Newton")
            .final_point()
            .expect("a point")
            .to_vec(),
    );
    let eig = eigenvalues(&problem.hessian(&p).expect("Hessian")).expect("eigenvalues");
    // "about 0.08 to 0.1 in every direction", so gradient descent with step 0.8
    // shrinks its distance by 6 to 8% per step.
    assert!(
        eig.iter().all(|&l| (0.075..0.105).contains(&l)),
        "eigenvalues {eig} ({TEXT})"
    );
    assert!(eig.iter().all(|&l| (0.06..0.085).contains(&(0.8 * l))));
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
    let newton_dir = -(&h + &damp).solve(&g).expect("solve");
    let ggn_dir = -(&ggn + &damp).solve(&g).expect("solve");
    assert!(
        g.dot(&newton_dir) > 0.0,
        "the damped Newton direction climbs ({TEXT})"
    );
    assert!(
        g.dot(&ggn_dir) < 0.0,
        "the damped GGN direction descends ({TEXT})"
    );

    let traces = preset.run();
    let newton = by_name(&traces, "Newton");
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
