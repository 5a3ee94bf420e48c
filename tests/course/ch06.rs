//! Pins every number the prose and the exercises of chapter 6 (Newton's
//! method, `notebooks/06-newton.ipynb`) quote. None depends on timing; all
//! are computed as the notebook computes them.

use quad_vs_grad::landscapes::Minimum;
use quad_vs_grad::lessons::newton::*;
use quad_vs_grad::prelude::*;

fn f(x: f64, d: usize) -> String {
    format!("{x:.d$}")
}

fn e(x: f64, d: usize) -> String {
    format!("{x:.d$e}")
}

fn reference_min() -> (XorProblem, Array1<f64>, Minimum) {
    let problem = XorProblem::reference();
    let start = array![2.0, -2.0];
    let min = newton_minimum(&problem, &start, 50).unwrap();
    (problem, start, min)
}

fn cfg() -> RaceConfig {
    RaceConfig {
        tol: 1e-14,
        max_iters: 60,
        ..RaceConfig::default()
    }
}

#[test]
fn newton_converges_quadratically_on_the_reference_slice() {
    let (problem, start, min) = reference_min();
    let newton = run(
        &problem,
        &start,
        &OptimizerSpec::new(OptimizerKind::ArgminNewton),
        &cfg(),
    );
    let rows = convergence_table(&newton, &min);
    assert_eq!(f(rows[0].distance, 1), "2.6");
    // three steps to within 0.1, then the digits double
    let first = rows.iter().position(|r| r.distance < 0.1).unwrap();
    assert_eq!(first, 3);
    let d: Vec<String> = rows[3..6].iter().map(|r| e(r.distance, 1)).collect();
    assert_eq!(d, ["9.9e-2", "2.3e-4", "1.9e-9"]);
    // then machine precision: x* is itself Newton's limit, to rounding
    assert!(rows.last().unwrap().distance < 1e-15);
    let worst = rows
        .iter()
        .filter_map(|r| r.quadratic_ratio)
        .fold(0.0, f64::max);
    assert!(worst < 0.31, "{worst}");
    // gradient descent and damped Newton are still far after 60 iterations
    assert_eq!(OptimizerKind::Gd.descriptor().lr, Some(0.8));
    let gd = run(
        &problem,
        &start,
        &OptimizerSpec::new(OptimizerKind::Gd),
        &cfg(),
    );
    assert!(gd.final_loss() - min.value > 1e-8);
}

#[test]
fn newton_creeps_on_cosh_then_converges() {
    let cosh = CoshValley::default();
    let t = run(
        &cosh,
        &cosh.start(),
        &OptimizerSpec::new(OptimizerKind::ArgminNewton),
        &cfg(),
    );
    let xs: Vec<f64> = t.iterates.iter().map(|x| x[0]).collect();
    let shown: Vec<String> = xs[1..5].iter().map(|&x| f(x, 1)).collect();
    assert_eq!(shown, ["8.0", "6.0", "4.0", "2.1"]);
    assert_eq!(f(xs[5], 2), "0.53");
    assert_eq!(f(xs[6], 3), "0.012");
    assert_eq!(e(xs[7], 1), "1.4e-7");
    assert_eq!(e(xs[8], 1), "1.9e-22");
    assert_eq!(xs[9], 0.0);
    // never overshoots
    assert!(xs.iter().all(|&x| x >= 0.0));
    assert_eq!(f(0.25 * 5f64.cosh(), 1), "18.6");
}

#[test]
fn damping_costs_a_linear_rate() {
    let (problem, start, min) = reference_min();
    let mu = eigenvalues(&problem.hessian(&min.point).unwrap()).unwrap();
    assert_eq!(f(mu[0], 4), "0.0797");
    let rows = damping_cost(
        &problem,
        &start,
        &min,
        &[0.0, 1e-3, 1e-2, 0.1, 1.0, 0.03],
        1e-10,
        500,
    )
    .unwrap();
    let iters: Vec<usize> = rows.iter().map(|r| r.iterations.unwrap()).collect();
    assert_eq!(iters, [6, 8, 12, 41, 316, 18]);
    assert_eq!(RaceConfig::default().damping, 0.1);
    for r in &rows[1..] {
        assert_eq!(
            f(r.predicted_rate, 4),
            f(r.measured_rate.unwrap(), 4),
            "λ = {}",
            r.damping
        );
    }
    assert_eq!(f(rows[5].predicted_rate, 4), "0.2735");
}

#[test]
fn log_cosh_exercise() {
    let step = |x: f64| x - (2.0 * x).sinh() / 2.0;
    let a = step(0.5);
    assert_eq!(f(a, 3), "-0.088");
    assert_eq!(e(step(a), 1), "4.5e-4");
    assert_eq!(e(step(step(a)), 0), "-6e-11");
    let b = step(1.5);
    assert_eq!(f(b, 2), "-3.51");
    assert_eq!(f(step(b), 0), "276");
}
