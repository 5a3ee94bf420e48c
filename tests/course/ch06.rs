//! Pins every number the prose and the exercises of chapter 6 (Newton and
//! the curvature zoo, `notebooks/06-newton-zoo.ipynb`) quote. None depends
//! on timing; all are computed as the notebook computes them.

use quad_vs_grad::experiments::newton::*;
use quad_vs_grad::plot::{curvature_zoo, top_eigen_basis, NamedMatrix};
use quad_vs_grad::prelude::*;
use quad_vs_grad::race::OptimizerKind;

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

/// Relative Frobenius distance of zoo member `i` from the GGN (member 1).
fn rel(zoo: &[NamedMatrix], i: usize) -> f64 {
    let n = |m: &Array2<f64>| m.mapv(|v| v * v).sum().sqrt();
    n(&(&zoo[i].matrix - &zoo[1].matrix)) / n(&zoo[1].matrix)
}

fn eig(m: &NamedMatrix) -> Array1<f64> {
    eigenvalues(&m.matrix).unwrap()
}

#[test]
fn the_zoo_on_the_hidden_slice() {
    let hidden = XorProblem::hidden_slice();
    let zoo = curvature_zoo(&hidden, &array![-2.5, 1.5], 4, 0).unwrap();
    let h = eig(&zoo[0]);
    assert_eq!((f(h[0], 3), f(h[1], 3)), ("-0.483".into(), "0.361".into()));
    assert_eq!(zoo[1].matrix, zoo[2].matrix); // GGN = exact Fisher
    assert!(eig(&zoo[1])[0] > 0.0);
    assert_eq!(f(100.0 * rel(&zoo, 3), 0), "28");
    assert_eq!(f(rel(&zoo, 4), 1), "7.5");
    assert_eq!(f(eig(&zoo[4])[1], 2), "2.84");
    assert_eq!(f(eig(&zoo[1])[1], 3), "0.333");
    let k = eig(&zoo[5]);
    assert_eq!((f(k[0], 3), f(k[1], 3)), ("0.266".into(), "0.281".into()));

    let p1 = array![1.0, -1.0];
    let zoo1 = curvature_zoo(&hidden, &p1, 4, 0).unwrap();
    assert!(hidden.cost(&p1).unwrap() < 0.04);
    assert!(eig(&zoo1[0])[0] > 0.0);
    assert_eq!(f(100.0 * rel(&zoo1, 0), 1), "1.5");
    let cond = |m: &NamedMatrix| {
        let v = eig(m);
        v[1] / v[0]
    };
    assert_eq!(f(cond(&zoo1[1]), 0), "63");
    assert_eq!(f(cond(&zoo1[0]), 0), "44");
    assert_eq!(f(eig(&zoo1[4])[1], 3), "0.211");
    assert_eq!(f(eig(&zoo1[1])[1], 3), "0.611");
}

#[test]
fn the_zoo_of_the_full_network() {
    let full = RacePreset::full_network(&[8], 0).unwrap();
    let zoo = curvature_zoo(&full.problem, &full.start, 4, 0).unwrap();
    assert_eq!(full.start.len(), 33);
    assert_eq!(f(eig(&zoo[0])[0], 3), "-0.163");
    for m in &zoo[1..5] {
        assert!(eig(m)[0].abs() < 1e-15, "{}", m.name);
    }
    let basis = top_eigen_basis(&zoo[1].matrix).unwrap();
    let pz: Vec<NamedMatrix> = zoo.iter().map(|m| m.project(&basis).unwrap()).collect();
    let (k, g) = (eig(&pz[5]), eig(&pz[1]));
    assert_eq!(
        [f(k[0], 3), f(k[1], 3), f(g[0], 3), f(g[1], 3)],
        ["0.076", "0.270", "0.171", "0.525"]
    );
    for i in 0..2 {
        let wider = (g[i] / k[i]).sqrt();
        assert!((1.35..1.55).contains(&wider), "{wider}");
    }
    assert_eq!(f(100.0 * rel(&pz, 0), 0), "8");
    for m in &pz {
        assert!(eig(m)[0] > 0.0, "{}", m.name);
    }
}

#[test]
fn monte_carlo_fisher_error_falls_like_one_over_root_s() {
    let full = RacePreset::full_network(&[8], 0).unwrap();
    let mc =
        mc_fisher_convergence(&full.problem, &full.start, &[1, 4, 16, 64, 256, 1024], 20).unwrap();
    assert_eq!(f(100.0 * mc[0].rel_error, 1), "9.6");
    assert_eq!(f(100.0 * mc[5].rel_error, 2), "0.31");
    for r in &mc {
        assert!((0.09..0.11).contains(&r.scaled), "{r:?}");
    }
    // near the fit of the hidden slice
    let hidden = XorProblem::hidden_slice();
    let origin = array![0.0, 0.0];
    let g0 = hidden.ggn(&origin).unwrap();
    let err = |s| {
        let f = hidden
            .fisher(
                &origin,
                FisherKind::MonteCarlo {
                    samples: s,
                    seed: 0,
                },
            )
            .unwrap();
        (&f - &g0).mapv(|v| v * v).sum().sqrt() / g0.mapv(|v| v * v).sum().sqrt()
    };
    assert_eq!(f(err(4), 3), "0.982");
    assert_eq!(f(err(256), 3), "0.336");
    // exercise 2
    let ex = mc_fisher_convergence(&hidden, &origin, &[4, 16, 64, 256, 1024], 10).unwrap();
    let within: Vec<usize> = ex
        .iter()
        .filter(|r| r.rel_error < 0.1)
        .map(|r| r.samples)
        .collect();
    assert_eq!(within, [1024]);
    assert_eq!(f(100.0 * ex[4].rel_error, 0), "7");
    assert_eq!(f(100.0 * ex[3].rel_error, 0), "16");
    for r in &ex {
        assert!((2.2..2.9).contains(&r.scaled), "{r:?}");
    }
}

#[test]
fn the_empirical_fisher_vanishes_near_a_fit() {
    let full = RacePreset::full_network(&[8], 0).unwrap();
    let lm_cfg = RaceConfig {
        max_iters: 50,
        ..RaceConfig::default()
    };
    let lm = run(
        &full.problem,
        &full.start,
        &OptimizerSpec::new(OptimizerKind::GgnLm),
        &lm_cfg,
    );
    let rows = fisher_along(&full.problem, &lm, &[0, 2, 5, 10, 20]).unwrap();
    assert_eq!(f(rows[0].ratio, 2), "1.35");
    assert_eq!(e(rows[3].loss, 1), "4.4e-3");
    assert_eq!(f(100.0 * rows[3].ratio, 2), "0.68");
    assert_eq!(rows[4].iteration, 20);
    assert_eq!(e(rows[4].loss, 1), "3.0e-5");
    assert_eq!(e(rows[4].ratio, 1), "9.4e-5");
    assert!(rows.iter().all(|r| r.cosine > 0.92));
    assert!(rows[2..].iter().all(|r| r.cosine > 0.95));
    assert!(rows.windows(2).skip(1).all(|w| w[1].ratio < w[0].ratio));
}

#[test]
fn bfgs_and_lbfgs() {
    let bowl = Quadratic::with_condition(10.0, 0.5).unwrap();
    let rows = bfgs_on_quadratic(&bowl, &array![2.0, -1.0], 3).unwrap();
    assert_eq!(rows.len(), 3); // stops at the minimum after two steps
    assert_eq!(f(100.0 * rows[0].inverse_error, 0), "90");
    assert!(rows[2].inverse_error < 1e-14 && rows[2].loss < 1e-20);

    let full = RacePreset::full_network(&[8], 0).unwrap();
    let qcfg = RaceConfig {
        max_iters: 500,
        tol: 1e-8,
        ..RaceConfig::default()
    };
    let runs = lbfgs_memory_runs(&full.problem, &full.start, &[1, 3, 10, 30], &qcfg);
    let to4: Vec<usize> = runs
        .iter()
        .map(|t| t.iterations_to(1e-4).unwrap())
        .collect();
    assert_eq!(to4, [15, 18, 10, 10]);
    let bfgs = run(
        &full.problem,
        &full.start,
        &OptimizerSpec::new(OptimizerKind::Bfgs),
        &qcfg,
    );
    assert_eq!(bfgs.iterations_to(1e-4), Some(21));
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
