//! Pins every number the prose and the exercises of chapter 10 (the cost of
//! curvature, `notebooks/10-cost-of-curvature.ipynb`) quote. None is a wall
//! time: the chapter quotes arithmetic, memory from the data structures and
//! evaluation counts, which are the same on every machine.

use quad_vs_grad::lessons::cost_of_curvature::*;
use quad_vs_grad::prelude::*;

#[test]
fn dense_hessian_arithmetic() {
    let n = Dataset::separable().len() as f64;
    assert_eq!(n, 100.0);
    let rate = 1e10;
    let row = |d: f64| {
        (
            quad_vs_grad::fmt::bytes(dense_bytes(d)),
            quad_vs_grad::fmt::duration(form_work(d, n) / rate),
            quad_vs_grad::fmt::duration(solve_work(d) / rate),
        )
    };
    let (m, _, _) = row(1e3);
    assert_eq!(m, "8.0 MB");
    assert!(form_work(1e3, n) / rate < 0.1 && solve_work(1e3) / rate < 0.1);
    assert_eq!(
        row(1e6),
        ("8.0 TB".into(), "2.8 h".into(), "193 days".into())
    );
    assert_eq!(
        row(1e9),
        (
            "8.0 EB".into(),
            "317 years".into(),
            "528 million years".into()
        )
    );
}

#[test]
fn memory_slopes() {
    let full = ScalingConfig::full();
    let slope = |k, f: NetworkFamily| memory_slope(k, f, full.widths(f)).unwrap();
    for f in NetworkFamily::ALL {
        assert_eq!(format!("{:.2}", slope(OptimizerKind::Gd, f)), "1.00");
        assert_eq!(format!("{:.2}", slope(OptimizerKind::Lbfgs, f)), "1.00");
        assert_eq!(format!("{:.2}", slope(OptimizerKind::Newton, f)), "2.00");
    }
    assert_eq!(
        format!("{:.2}", slope(OptimizerKind::Kfac, NetworkFamily::Shallow)),
        "1.95"
    );
    assert_eq!(
        format!("{:.2}", slope(OptimizerKind::Kfac, NetworkFamily::Deep)),
        "1.06"
    );
    // the full sweep reaches D ≥ 10⁵ in both families
    for f in NetworkFamily::ALL {
        let top = *full.widths(f).last().unwrap();
        assert!(f.dim(top) >= 100_000, "{f:?}");
    }
}

#[test]
fn newton_crossover_by_the_counts() {
    let d = newton_flop_crossover(Dataset::separable().len());
    assert_eq!(d, 600.0);
    assert_eq!(
        format!("{:.1}", NetworkFamily::Shallow.width_for_dim(d)),
        "149.8"
    );
    assert_eq!(
        format!("{:.1}", NetworkFamily::Deep.width_for_dim(d)),
        "22.1"
    );
    // exercise 1: N = 1000 examples
    let d = newton_flop_crossover(1000);
    assert_eq!(d, 6000.0);
    assert_eq!(
        format!("{:.1}", NetworkFamily::Shallow.width_for_dim(d)),
        "1499.8"
    );
    assert_eq!(
        format!("{:.1}", NetworkFamily::Deep.width_for_dim(d)),
        "75.0"
    );
}

#[test]
fn ledger_of_the_full_network() {
    let rows = ledger(&[8], 0, 0.05).unwrap();
    let row = |name: &str| rows.iter().find(|r| r.optimizer == name).unwrap();
    let per = |name: &str| row(name).per_iteration.unwrap();
    let to = |name: &str| row(name).iterations_to_target;
    assert_eq!(Mlp::with_hidden(&[8]).unwrap().num_params(), 33);
    assert_eq!(to("GD"), Some(183));
    assert_eq!(to("Adam"), Some(37));
    assert_eq!(to("BFGS"), Some(12));
    assert_eq!(to("L-BFGS"), Some(9));
    assert_eq!(to("Newton (λ = 0.1)"), Some(24));
    assert_eq!(to("GGN"), Some(12));
    assert_eq!(to("Hessian-free"), Some(12));
    assert_eq!(to("K-FAC"), Some(11));
    let f2 = |x: f64| format!("{x:.2}");
    assert_eq!(
        (f2(per("GD").cost), f2(per("GD").gradient)),
        ("1.00".into(), "1.00".into())
    );
    assert_eq!(f2(per("BFGS").gradient), "2.00");
    assert_eq!(f2(per("L-BFGS").gradient), "2.42");
    let newton = per("Newton (λ = 0.1)");
    assert_eq!((newton.hessian, newton.linear_solve), (1.0, 1.0));
    let ggn = per("GGN");
    assert_eq!(
        (ggn.curvature, ggn.linear_solve, ggn.hessian),
        (1.0, 1.0, 0.0)
    );
    assert_eq!(f2(per("Hessian-free").curvature), "5.45");
    assert_eq!(per("Hessian-free").hessian, 0.0);
    assert_eq!(f2(per("K-FAC").linear_solve), "4.00");
    assert_eq!(per("K-FAC").curvature, 1.0);
    assert_eq!(quad_vs_grad::fmt::bytes(row("BFGS").state_bytes), "8.7 kB");
    assert_eq!(
        quad_vs_grad::fmt::bytes(row("L-BFGS").state_bytes),
        "5.4 kB"
    );
    assert_eq!(quad_vs_grad::fmt::bytes(row("K-FAC").state_bytes), "1.2 kB");
    // the table prints without wall times: the same text every time
    assert_eq!(
        ledger_table(&rows),
        ledger_table(&ledger(&[8], 0, 0.05).unwrap())
    );
}

#[test]
fn exercise_answers() {
    // 2: the widest 2-h-h-1 whose dense Hessian fits in 24 GiB
    let gib24 = 24.0 * (1u64 << 30) as f64;
    assert_eq!(max_dense_width(NetworkFamily::Deep, gib24), 235);
    assert_eq!(NetworkFamily::Deep.dim(235), 56_401);
    assert!(dense_bytes(NetworkFamily::Deep.dim(236) as f64) > gib24);
    // 3: K-FAC's factors on one wide layer against two narrow ones, both D ≈ 10⁵
    let kfac = |hidden: &[usize]| {
        let mlp = Mlp::with_hidden(hidden).unwrap();
        assert!(mlp.num_params() > 100_000 && mlp.num_params() < 102_000);
        quad_vs_grad::fmt::bytes(curvature_memory(OptimizerKind::Kfac, &mlp, 100).state_bytes)
    };
    assert_eq!(kfac(&[25_000]), "10.0 GB");
    assert_eq!(kfac(&[316, 316]), "3.2 MB");
}

#[test]
fn quick_study_runs_and_reports_honestly() {
    let study = ScalingStudy::run(&ScalingConfig::quick()).unwrap();
    let opts = study.config.optimizers.len();
    assert_eq!(opts, 8);
    let sizes = study.config.shallow_widths.len() + study.config.deep_widths.len();
    assert_eq!(study.points.len(), opts * sizes);
    for p in &study.points {
        match p.provenance {
            Provenance::Measured => {
                assert!(p.memory.peak_bytes <= study.config.budget.bytes);
                assert!(p.seconds_per_iter > 0.0 && p.note.is_empty());
            }
            _ => assert!(!p.note.is_empty()),
        }
    }
    // every optimizer is measured at the smallest size of both families
    for family in NetworkFamily::ALL {
        for spec in &study.config.optimizers {
            let first = study.series(&spec.label, family)[0];
            assert_eq!(first.provenance, Provenance::Measured, "{}", spec.label);
        }
    }
    // the first-order methods fit the 20 ms budget up to width 16 of the
    // deep family at least (whether the widest sizes fit depends on the
    // machine's speed: at QVG_SIMD=portable, with software FMA, they do not)
    for name in ["GD", "Adam"] {
        assert!(study
            .series(name, NetworkFamily::Deep)
            .iter()
            .filter(|p| p.width <= 16)
            .all(|p| p.provenance == Provenance::Measured));
    }
    assert_eq!(study.slopes.len(), 2 * opts);
    assert_eq!(study.targets.len(), 8 * study.config.target_widths.len());
    let fig = study.figure(900, 760).unwrap();
    assert_eq!((fig.width(), fig.height()), (900, 760));
}

/// Exercise 4: CG iterations against κ on a diagonal 100 × 100 system,
/// eigenvalues spread geometrically and evenly.
#[test]
fn exercise_cg_iterations_against_kappa() {
    use ndarray::Array1;
    use quad_vs_grad::solvers::{truncated_cg, CgSettings};
    let n = 100;
    let settings = CgSettings {
        max_iters: 1000,
        tol: 1e-8,
        progress_eps: None,
    };
    let b = Array1::from_elem(n, 1.0);
    let iters = |d: Array1<f64>| {
        truncated_cg(
            |v: &Array1<f64>| Ok(&d * v),
            &b,
            &Array1::zeros(n),
            &settings,
        )
        .unwrap()
        .iters
    };
    let mut geometric = Vec::new();
    let mut even = Vec::new();
    for kappa in [10.0_f64, 100.0, 1000.0, 1e4] {
        geometric.push(iters(Array1::from_shape_fn(n, |i| {
            kappa.powf(i as f64 / (n - 1) as f64)
        })));
        even.push(iters(Array1::from_shape_fn(n, |i| {
            1.0 + (kappa - 1.0) * i as f64 / (n - 1) as f64
        })));
    }
    assert_eq!(geometric, vec![29, 75, 168, 349]);
    assert_eq!(even, vec![28, 55, 63, 67]);
}
