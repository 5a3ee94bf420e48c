//! The numbers chapter 18 (`notebooks/18-rosenbrock.ipynb`, "Rosenbrock's
//! banana") quotes, pinned. When a change to the crate moves one of them,
//! this test fails and the prose must be updated with it. Counts of
//! argmin's solvers (BFGS, L-BFGS, Newton, trust region, steepest descent)
//! go through OpenBLAS and are pinned with a little slack.

use quad_vs_grad::lessons::rosenbrock::*;
use quad_vs_grad::prelude::*;
use OptimizerKind as K;

const TEXT: &str = "stated in notebooks/18-rosenbrock.ipynb: update the text";

fn close(what: &str, got: f64, want: f64, tol: f64) {
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got}, the text says {want} ({TEXT})"
    );
}

fn near(what: &str, got: usize, want: usize, slack: usize) {
    assert!(
        got.abs_diff(want) <= slack,
        "{what}: got {got}, the text says {want} ({TEXT})"
    );
}

#[test]
fn the_valley() {
    let banana = Rosenbrock::classic();
    close(
        "f at the start",
        banana.cost(&banana.start()).unwrap(),
        24.2,
        1e-12,
    );
    let p = valley_profile(&banana, &[-1.2, -0.5, 0.0, 0.5, 1.0]).unwrap();
    close("κ at the start's end", p[0].kappa, 4581.3, 0.05);
    close("κ at t = 0", p[2].kappa, 100.0, 1e-9);
    close("κ at the minimum", p[4].kappa, 2508.0, 0.05);
    close("2/λmax at t = −1.2", p[0].gd_limit, 1.477e-3, 5e-7);
    close("2/λmax at the minimum", p[4].gd_limit, 1.997e-3, 5e-7);
    close("λmin at the minimum", p[4].lambda_min, 0.3994, 5e-5);
    // the heavy ball's limit 2(1 + β)/λmax
    close("momentum limit", 2.0 * 1.9 / p[4].lambda_max, 3.8e-3, 5e-5);
}

#[test]
fn the_race_and_the_crawl() {
    let race = banana_race(&Rosenbrock::classic().start(), 2000).unwrap();
    let row = |k: K| race.row(k).unwrap();
    let its = |k: K| row(k).trace.steps();
    // our own solvers: exact
    assert_eq!(its(K::GgnLm), 29, "{TEXT}");
    assert_eq!(its(K::Newton), 21, "{TEXT}");
    assert_eq!(its(K::Momentum), 1260, "{TEXT}");
    close("momentum lr", row(K::Momentum).lr.unwrap(), 3.16e-3, 5e-6);
    close("Adam lr", row(K::Adam).lr.unwrap(), 0.1, 1e-12);
    assert!(row(K::Adam).distance < 2e-8, "{TEXT}");
    close("GD lr", row(K::Gd).lr.unwrap(), 1.78e-3, 5e-6);
    close("GD distance", row(K::Gd).distance, 0.25, 0.005);
    close("RMSprop distance", row(K::RmsProp).distance, 0.11, 0.005);
    close(
        "adaptive GD distance",
        row(K::AdaptiveGd).distance,
        2.01,
        0.005,
    );
    for k in [K::Sbfgs, K::Obfgs, K::Slbfgs, K::Olbfgs] {
        assert!((1205..=1457).contains(&its(k)), "{k}: {} ({TEXT})", its(k));
    }
    let refused: Vec<K> = race.refused.iter().map(|(k, _)| *k).collect();
    assert_eq!(refused, vec![K::Kfac, K::KfacLm], "{TEXT}");
    // undamped Newton's second step climbs to f ≈ 1412 (our Newton with λ = 0)
    let newton = run(
        &Rosenbrock::classic(),
        &Rosenbrock::classic().start(),
        &OptimizerSpec::new(K::Newton).damping(0.0),
        &banana_config(50),
    );
    close("Newton's second loss", newton.loss[2], 1412.0, 0.5);
    assert!(newton.final_loss() < 1e-20, "{TEXT}");
    assert_eq!(
        row(K::ArgminNewton).trace.total_counts().hessian,
        7,
        "{TEXT}"
    );
    // argmin's solvers: with slack
    near("argmin Newton", its(K::ArgminNewton), 7, 1);
    near("trust region", its(K::TrustRegion), 25, 2);
    near("BFGS", its(K::Bfgs), 33, 2);
    near(
        "BFGS evals",
        evaluations(&row(K::Bfgs).trace) as usize,
        125,
        6,
    );
    near("L-BFGS", its(K::Lbfgs), 38, 2);
    close(
        "steepest descent distance",
        row(K::SteepestDescent).distance,
        0.029,
        0.002,
    );
    near(
        "steepest descent loss evals",
        row(K::SteepestDescent).trace.total_counts().cost as usize,
        6034,
        60,
    );
    for k in [
        K::ArgminNewton,
        K::TrustRegion,
        K::Bfgs,
        K::Lbfgs,
        K::GgnLm,
        K::Newton,
    ] {
        assert!(row(k).distance <= 1e-10, "{k} ({TEXT})");
    }

    let crawl = gd_crawl(row(K::Gd).lr.unwrap(), 10_000, &[100, 1000, 2000, 10_000]).unwrap();
    close("crawl at 2000", crawl.distances[2].1, 0.25, 0.005);
    close("crawl at 10000", crawl.distances[3].1, 7.45e-4, 5e-7);
    close("measured e-fold", crawl.measured_efold, 1402.0, 0.5);
    close("predicted e-fold", crawl.predicted_efold, 1408.0, 0.5);
    // Exercise 3.
    let half = gd_crawl(1e-3, 10_000, &[10_000]).unwrap();
    close(
        "measured e-fold, η = 1e-3",
        half.measured_efold,
        2427.0,
        0.5,
    );
    close(
        "predicted e-fold, η = 1e-3",
        half.predicted_efold,
        2504.0,
        0.5,
    );
    close("distance, η = 1e-3", half.distances[0].1, 0.0171, 5e-5);
}

#[test]
fn many_starts_rank_the_same() {
    let race = banana_race(&Rosenbrock::classic().start(), 2000).unwrap();
    let kinds = [
        K::Gd,
        K::Momentum,
        K::Adam,
        K::Newton,
        K::Bfgs,
        K::Lbfgs,
        K::TrustRegion,
        K::GgnLm,
        K::HessianFreeLm,
    ];
    let specs: Vec<OptimizerSpec> = kinds
        .iter()
        .map(|&k| {
            let spec = OptimizerSpec::new(k);
            match race.row(k).and_then(|r| r.lr) {
                Some(lr) => spec.lr(lr),
                None => spec,
            }
        })
        .collect();
    let starts = uniform_starts(20, 2, (-2.0, 2.0), 0).unwrap();
    let rows = many_starts(
        &Rosenbrock::classic(),
        &specs,
        &starts,
        &banana_config(2000),
        1e-4,
    )
    .unwrap();
    let reached: Vec<usize> = rows.iter().map(StartsRow::reached).collect();
    assert_eq!(reached, vec![0, 3, 6, 20, 20, 20, 20, 20, 20], "{TEXT}");
    let med = |i: usize| rows[i].median_iterations().unwrap();
    close("Newton median", med(3), 9.5, 0.0);
    close("GGN-LM median", med(7), 5.0, 0.0);
    close("HF-LM median", med(8), 5.0, 0.0);
    for r in &rows[3..] {
        let (lo, hi) = r.iterations_iqr().unwrap();
        assert!(
            lo >= 5 && hi <= 29,
            "{}: IQR {lo}–{hi} ({TEXT})",
            r.optimizer
        );
    }
    close("trust region median", med(6), 11.5, 0.5);
    close("BFGS median", med(4), 19.5, 0.5);
    close("L-BFGS median", med(5), 21.5, 0.5);
}

#[test]
fn more_dimensions() {
    assert!(local_minimum(3).unwrap().is_none(), "{TEXT}");
    for (d, f) in [
        (4, None),
        (5, Some(3.9308)),
        (7, None),
        (10, None),
        (50, None),
    ] {
        let p = local_minimum(d)
            .unwrap()
            .unwrap_or_else(|| panic!("d = {d}: {TEXT}"));
        let v = Rosenbrock::chained(d, 100.0).unwrap().cost(&p).unwrap();
        assert!(v < 4.0, "d = {d}: f = {v} ({TEXT})");
        if let Some(f) = f {
            close("f at the 5-D second minimum", v, f, 5e-5);
        }
    }
    // Exercise 2.
    let p = local_minimum(5).unwrap().unwrap();
    let h = Rosenbrock::chained(5, 100.0).unwrap().hessian(&p).unwrap();
    let ev = eigenvalues(&h).unwrap();
    close("smallest eigenvalue", ev[0], 0.5954, 5e-5);
    close("largest eigenvalue", ev[4], 1437.2, 0.05);
    close("condition", ev[4] / ev[0], 2414.0, 0.5);
    for (i, want) in [-0.962, 0.936, 0.881, 0.778, 0.605].into_iter().enumerate() {
        close(&format!("x{}", i + 1), p[i], want, 5e-4);
    }

    let kinds = [
        K::Gd,
        K::Momentum,
        K::Adam,
        K::Newton,
        K::Bfgs,
        K::Lbfgs,
        K::TrustRegion,
        K::GgnLm,
        K::HessianFreeLm,
    ];
    let rows = dimension_table(&[2, 5, 50], &kinds, 2000, 1e-4).unwrap();
    let at = |d: usize, k: K| rows.iter().find(|r| r.dim == d && r.kind == k).unwrap();
    for k in &kinds[3..] {
        assert_eq!(at(2, *k).reached, Reached::Global, "{k} ({TEXT})");
        for d in [5, 50] {
            assert_eq!(at(d, *k).reached, Reached::Local, "{k} in {d}-D ({TEXT})");
        }
    }
    for k in &kinds[..3] {
        assert!(
            matches!(at(5, *k).reached, Reached::Neither(_)),
            "{k} ({TEXT})"
        );
    }
    assert_eq!(at(50, K::Gd).reached, Reached::Local, "{TEXT}");
    assert_eq!(at(50, K::Gd).iterations, 84, "{TEXT}");
    assert_eq!(at(50, K::Momentum).iterations, 392, "{TEXT}");
    match at(50, K::Adam).reached {
        Reached::Neither(d) => close("Adam in 50-D, distance", d, 1.99, 0.005),
        other => panic!("Adam in 50-D: {other} ({TEXT})"),
    }
    let newton: Vec<usize> = [2, 5, 50]
        .iter()
        .map(|&d| at(d, K::Newton).iterations)
        .collect();
    assert_eq!(newton, vec![21, 19, 6], "{TEXT}");
    let lm: Vec<usize> = [2, 5, 50]
        .iter()
        .map(|&d| at(d, K::GgnLm).iterations)
        .collect();
    assert_eq!(lm, vec![29, 21, 12], "{TEXT}");
    assert_eq!(at(5, K::TrustRegion).iterations, 2000, "{TEXT}");
    let lbfgs: Vec<usize> = [2, 5, 50]
        .iter()
        .map(|&d| at(d, K::Lbfgs).iterations)
        .collect();
    for (got, want) in lbfgs.into_iter().zip([38, 32, 32]) {
        near("L-BFGS by dimension", got, want, 2);
    }
    near("BFGS in 50-D", at(50, K::Bfgs).iterations, 60, 3);
    let hf: Vec<usize> = [2, 50]
        .iter()
        .map(|&d| at(d, K::HessianFreeLm).iterations)
        .collect();
    assert_eq!(hf, vec![29, 60], "{TEXT}");
    assert_eq!(at(50, K::Bfgs).memory, Some(2500));
    assert_eq!(at(50, K::Lbfgs).memory, Some(1000));
    assert_eq!(at(50, K::HessianFreeLm).memory, Some(200));
}

#[test]
fn exercise_1_a_shallower_valley() {
    let p = valley_profile(&Rosenbrock::new(1.0, 10.0).unwrap(), &[1.0]).unwrap();
    close("λmin, b = 10", p[0].lambda_min, 0.3937, 5e-5);
    close("λmax, b = 10", p[0].lambda_max, 101.6, 0.05);
    close("κ, b = 10", p[0].kappa, 258.1, 0.05);
    close("limit, b = 10", p[0].gd_limit, 0.0197, 5e-5);
    close("e-fold, b = 10", p[0].steps_per_efold(1e-2), 254.0, 0.5);
    let q = valley_profile(&Rosenbrock::classic(), &[1.0]).unwrap();
    close("e-fold, b = 100", q[0].steps_per_efold(1e-3), 2504.0, 0.5);
}
