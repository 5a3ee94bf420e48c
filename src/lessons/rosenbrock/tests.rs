use super::*;
use crate::race::multistart::uniform_starts;

#[test]
fn grid_and_valley() {
    let g = lr_grid();
    assert_eq!(g.len(), 13);
    assert!((g[0] - 1e-4).abs() < 1e-18 && (g[12] - 0.1).abs() < 1e-15);
    let p = valley_profile(&Rosenbrock::classic(), &[0.0, 1.0]).unwrap();
    // at (0, 0) the Hessian is diag(2, 200)
    assert!((p[0].lambda_min - 2.0).abs() < 1e-12 && (p[0].lambda_max - 200.0).abs() < 1e-12);
    assert!((p[1].kappa - 2508.0).abs() < 0.1);
    assert!((p[1].steps_per_efold(1e-3) - 1.0 / (1e-3 * p[1].lambda_min)).abs() < 1e-9);
    assert!(valley_profile(&Rosenbrock::chained(3, 100.0).unwrap(), &[0.0]).is_err());
    assert!(valley_profile(&Rosenbrock::classic(), &[f64::NAN]).is_err());
    assert!(valley_table(&p).contains("2508.0"));
}

#[test]
fn bad_inputs_are_errors() {
    let r = Rosenbrock::classic();
    let cfg = banana_config(10);
    assert!(tune_lr(&r, &r.start(), OptimizerKind::Bfgs, &lr_grid(), &cfg).is_err());
    assert!(tune_lr(&r, &r.start(), OptimizerKind::Gd, &[10.0], &cfg).is_err());
    assert!(banana_race(&array![0.0, 0.0, 0.0], 10).is_err());
    assert!(gd_crawl(1e-3, 10, &[20]).is_err());
    assert!(gd_crawl(1.0, 10, &[5]).is_err(), "diverges");
    let starts = uniform_starts(2, 2, (-2.0, 2.0), 0).unwrap();
    let spec = [OptimizerSpec::new(OptimizerKind::Gd)];
    assert!(many_starts(&r, &spec, &[], &cfg, 1e-4).is_err());
    assert!(many_starts(&r, &spec, &starts, &cfg, 0.0).is_err());
    assert!(dimension_table(&[2], &[OptimizerKind::Gd], 10, f64::NAN).is_err());
    assert!(dimension_table(&[1], &[OptimizerKind::Gd], 10, 1e-4).is_err());
}

#[test]
fn distances_and_counts() {
    let r = Rosenbrock::classic();
    let t = race::run(
        &r,
        &r.start(),
        &OptimizerSpec::new(OptimizerKind::GgnLm),
        &banana_config(100),
    );
    assert!(final_distance(&t, &[1.0, 1.0]) < 1e-10);
    assert!(final_distance(&t, &[1.0]).is_nan());
    let k = iterations_to_distance(&t, &[1.0, 1.0], 1e-4).unwrap();
    assert!(k > 0 && k <= t.steps());
    let c = t.total_counts();
    assert_eq!(
        evaluations(&t),
        c.cost + c.gradient + c.hessian + c.curvature
    );
}

#[test]
fn memory_and_second_minimum() {
    use OptimizerKind as K;
    assert_eq!(curvature_memory(K::Gd, 50), Some(0));
    assert_eq!(curvature_memory(K::Adam, 50), Some(100));
    assert_eq!(curvature_memory(K::Bfgs, 50), Some(2500));
    assert_eq!(curvature_memory(K::Lbfgs, 50), Some(1000));
    assert_eq!(curvature_memory(K::Kfac, 50), None);
    assert!(local_minimum(2).unwrap().is_none());
    let p = local_minimum(5).unwrap().unwrap();
    assert!(p[0] < -0.9 && p[1] > 0.9);
    assert!(local_minimum(1).is_err());
}

#[test]
fn starts_statistics() {
    let row = StartsRow {
        optimizer: "x".into(),
        iterations: vec![Some(4), None, Some(10), Some(6)],
        evaluations: vec![10, 99, 30, 20],
    };
    assert_eq!(row.reached(), 3);
    assert!((row.share() - 0.75).abs() < 1e-15);
    assert_eq!(row.median_iterations(), Some(6.0));
    assert_eq!(row.median_evaluations(), Some(20.0));
    assert_eq!(row.iterations_iqr(), Some((6, 10)));
    assert!(StartsTable(&[row]).to_string().contains("3 / 4"));
}
