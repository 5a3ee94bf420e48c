//! Issue 25, failure 8: the public API called with random shapes, lengths
//! and indices returns an error or a valid result, never a panic or an
//! abort (a panic fails the property; an allocation abort kills the test).

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use quad_vs_grad::curvature::{CurvatureProducts, FisherKind, KfacCurvature, MiniBatched};
use quad_vs_grad::plot;
use quad_vs_grad::prelude::*;
use quad_vs_grad::problem::Parameterisation;
use quad_vs_grad::problem::Plane;

fn vector(len: usize) -> Array1<f64> {
    Array1::from_iter((0..len).map(|i| 0.3 - 0.1 * i as f64))
}

/// A data set whose parts may disagree: `rows` inputs of `cols` columns,
/// `labels` labels.
fn dataset(rows: usize, cols: usize, labels: usize) -> Dataset {
    Dataset {
        x: Array2::from_shape_fn((rows, cols), |(i, j)| ((i + j) % 3) as f64 - 1.0),
        y: Array1::from_iter((0..labels).map(|i| (i % 2) as f64)),
    }
}

/// Network widths: mostly valid (`[2, hidden…, 1]`), sometimes not.
fn widths() -> impl Strategy<Value = Vec<usize>> {
    prop_oneof![
        4 => prop::collection::vec(1usize..4, 0..3).prop_map(|h| {
            let mut w = vec![2];
            w.extend(h);
            w.push(1);
            w
        }),
        1 => prop::collection::vec(0usize..4, 0..5),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn datasets_and_subsets(rows in 0usize..6, cols in 0usize..4, labels in 0usize..6,
                            idx in prop::collection::vec(0usize..12, 0..6)) {
        match Dataset::new(dataset(rows, cols, labels).x, dataset(rows, cols, labels).y) {
            Ok(d) => prop_assert!(d.len() == rows && rows == labels && cols == 2),
            Err(_) => prop_assert!(rows != labels || cols != 2 || rows == 0),
        }
        let d = Dataset::reference().subset(&[0, 1, 2, 3, 4, 5]).unwrap();
        match d.subset(&idx) {
            Ok(s) => {
                prop_assert!(idx.iter().all(|&i| i < 6));
                prop_assert_eq!(s.len(), idx.len());
            }
            Err(_) => prop_assert!(idx.iter().any(|&i| i >= 6)),
        }
    }

    #[test]
    fn problems_from_random_parts(rows in 0usize..5, cols in prop_oneof![4 => Just(2usize), 1 => 1usize..4],
                                  labels in prop_oneof![4 => Just(None), 1 => (0usize..5).prop_map(Some)],
                                  w in widths(), plane in any::<bool>(),
                                  origin in prop_oneof![2 => Just(None), 1 => (0usize..30).prop_map(Some)],
                                  axes in prop::collection::vec(0usize..12, 0..4),
                                  lens in prop::collection::vec(0usize..30, 4)) {
        let Ok(mlp) = Mlp::new(&w) else { return Ok(()); };
        let origin = origin.unwrap_or(mlp.num_params());
        let param = if plane {
            match Plane::coordinate(Array1::zeros(origin), &axes) {
                Ok(p) => Parameterisation::Plane(p),
                Err(_) => return Ok(()),
            }
        } else {
            Parameterisation::Full
        };
        let d_theta = mlp.num_params();
        // the parameterisation on its own, with random lengths
        let _ = param.theta(&vector(lens[0]));
        let _ = param.reduce_vec(vector(lens[1]));
        let _ = param.expand_vec(&vector(lens[2]));
        let labels = labels.unwrap_or(rows);
        let Ok(mut pr) = XorProblem::new(dataset(rows, cols, labels), mlp, param) else {
            return Ok(());
        };
        prop_assert!(rows == labels && rows > 0 && cols == w[0]);
        let dim = pr.dim();
        let good = vector(dim);
        for len in lens.iter().copied().chain([dim]) {
            let p = vector(len);
            let ok = len == dim;
            prop_assert_eq!(pr.theta(&p).map(|t| t.len()).ok(), ok.then_some(d_theta));
            prop_assert_eq!(pr.cost(&p).is_ok(), ok);
            prop_assert_eq!(pr.gradient(&p).map(|g| g.len()).ok(), ok.then_some(dim));
            prop_assert_eq!(pr.hessian(&p).map(|h| h.dim()).ok(), ok.then_some((dim, dim)));
            prop_assert_eq!(pr.hessian_vec(&good, &p).is_ok(), ok);
            prop_assert_eq!(pr.ggn_vec(&p, &good).is_ok(), ok);
            let _ = pr.ggn(&p);
            let _ = pr.kfac_factors(&p, FisherKind::Exact);
            let _ = pr.kfac_factors(&p, FisherKind::Empirical);
        }
        for batch in [vec![], vec![0], vec![rows], vec![0, usize::MAX]] {
            let ok = !batch.is_empty() && batch.iter().all(|&i| i < rows);
            prop_assert_eq!(pr.set_batch(Some(&batch)).is_ok(), ok);
        }
        // a run from a start of the wrong length is refused for its shape
        let t = run(&pr, &vector(dim + 1), &"gd".parse().unwrap(), &RaceConfig { max_iters: 3, ..RaceConfig::default() });
        prop_assert!(matches!(&t.stop, StopReason::Failed(why) if why.contains("start point")), "{:?}", t.stop);
    }

    #[test]
    fn loss_grids_of_any_size(n in prop_oneof![Just(0usize), Just(1), 2usize..12,
                                               Just(4097), Just(100_000), Just(usize::MAX)]) {
        let p = RacePreset::reference();
        let r = plot::path_view(&p.problem, &[], Some(((-1.0, 1.0), (-1.0, 1.0))), n);
        match r {
            Ok((grid, _)) => {
                prop_assert!((2..=plot::MAX_GRID_POINTS).contains(&n));
                prop_assert_eq!(grid.values.dim(), (n, n));
            }
            Err(_) => prop_assert!(!(2..=plot::MAX_GRID_POINTS).contains(&n)),
        }
        let huge = vec![0.0; 5000];
        prop_assert!(p.problem.cost_grid(&huge, &huge).is_err());
    }
}

/// The cases of the issue, one by one, and a check that the property
/// above builds problems often enough to mean something.
#[test]
fn the_issue_s_cases_are_errors() {
    let d = Dataset::reference();
    assert!(d.subset(&[10_000]).is_err());
    let pr = XorProblem::reference();
    assert!(pr.theta(&vector(3)).is_err());
    assert!(pr.parameterisation().theta(&vector(3)).is_err());
    assert!(pr.parameterisation().expand_vec(&vector(3)).is_err());
    assert!(pr.parameterisation().reduce_vec(vector(3)).is_err());
    // mismatched and empty hand-built data sets
    let mlp = Mlp::new(&[2, 2, 1]).unwrap();
    for (rows, labels) in [(4, 3), (0, 0), (3, 4)] {
        let r = XorProblem::new(
            dataset(rows, 2, labels),
            mlp.clone(),
            Parameterisation::Full,
        );
        assert!(r.is_err(), "{rows} rows, {labels} labels");
    }
    let r = plot::path_view(&pr, &[], None, 100_000);
    assert!(r.is_err());
    let t = run(
        &pr,
        &vector(3),
        &"newton".parse().unwrap(),
        &RaceConfig::default(),
    );
    assert!(
        matches!(&t.stop, StopReason::Failed(w) if w.contains("start point")),
        "{:?}",
        t.stop
    );
}

#[test]
fn the_property_builds_problems() {
    // most generated widths make a network, so most cases reach the calls
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut built = 0;
    for _ in 0..200 {
        let w = widths().new_tree(&mut runner).unwrap().current();
        if Mlp::new(&w).is_ok() {
            built += 1;
        }
    }
    assert!(built > 100, "only {built} of 200 widths make a network");
}

#[test]
fn curvature_maps_and_hand_built_kfac_factors_with_wrong_shapes_are_errors() {
    use quad_vs_grad::curvature::{KfacFactors, KfacLayer};
    use quad_vs_grad::Error;
    // the hidden slice: a plane through a 2-2-1 network (9 weights)
    let problem = XorProblem::hidden_slice();
    let param = problem.parameterisation().clone();
    assert!(matches!(param.reduce_mat(Array2::zeros((9, 9))), Ok(m) if m.dim() == (2, 2)));
    assert!(matches!(
        param.reduce_mat(Array2::zeros((8, 8))),
        Err(Error::Shape(_))
    ));
    assert!(matches!(
        param.reduce_mat(Array2::zeros((9, 8))),
        Err(Error::Shape(_))
    ));
    assert!(matches!(param.reduce_jacobian(Array2::zeros((5, 9))), Ok(j) if j.dim() == (5, 2)));
    assert!(matches!(
        param.reduce_jacobian(Array2::zeros((5, 3))),
        Err(Error::Shape(_))
    ));
    let good = problem
        .kfac_factors(&array![-2.5, 1.5], FisherKind::Exact)
        .unwrap();
    assert_eq!(good.dense().unwrap().dim(), (2, 2));
    let mut off = good.clone();
    off.layers[0].offset = 8; // the block no longer fits in 9 weights
    assert!(matches!(off.dense(), Err(Error::Shape(_))));
    let mut ragged = good.clone();
    ragged.layers[0] = KfacLayer {
        offset: 0,
        a: Array2::zeros((3, 2)),
        g: Array2::zeros((2, 2)),
    };
    assert!(matches!(ragged.dense_theta(), Err(Error::Shape(_))));
    let wrong_total = KfacFactors {
        num_params: 7,
        ..good
    };
    assert!(wrong_total.dense().is_err());
}
