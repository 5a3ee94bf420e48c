//! Pins every number the prose and the exercises of chapter 7 (the
//! curvature zoo, `notebooks/07-curvature-zoo.ipynb`) quote. None depends
//! on timing; all are computed as the notebook computes them.

use quad_vs_grad::lessons::curvature_zoo::*;
use quad_vs_grad::prelude::*;

fn f(x: f64, d: usize) -> String {
    format!("{x:.d$}")
}

fn e(x: f64, d: usize) -> String {
    format!("{x:.d$e}")
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
fn bfgs_terminates_whatever_the_condition_number() {
    // Exercise 2: the κ = 1000 bowl ends in two steps, as the κ = 10 one.
    let bowl = Quadratic::with_condition(1000.0, 0.5).unwrap();
    let rows = bfgs_on_quadratic(&bowl, &array![2.0, -1.0], 3).unwrap();
    assert_eq!(e(rows[0].loss, 3), "1.687e3");
    assert_eq!(e(rows[2].loss, 1), "8.5e-30");
    assert_eq!(e(rows[2].inverse_error, 1), "9.0e-15");
    assert!(rows[1].loss > 1e-3, "not at the minimum after one step");
}

/// Exercise 3: a pair with `sᵀy < 0` makes the BFGS estimate indefinite.
#[test]
fn exercise_bfgs_bad_pair() {
    use quad_vs_grad::solvers::{DenseInverse, InverseHessian};
    let mut h = DenseInverse::default();
    h.update(&array![1.0, 0.0], &array![2.0, 0.3]);
    let good = eigenvalues(h.matrix().unwrap()).unwrap();
    assert!(
        (good[0] - 0.426).abs() < 5e-4 && (good[1] - 0.574).abs() < 5e-4,
        "{good}"
    );
    h.update(&array![0.0, 1.0], &array![0.5, -1.0]);
    let bad = eigenvalues(h.matrix().unwrap()).unwrap();
    assert!(
        (bad[0] + 0.918).abs() < 5e-4 && (bad[1] - 0.557).abs() < 5e-4,
        "{bad}"
    );
}
