//! Chapter 1, "The XOR problem and the MLP" (`notebooks/01-xor-mlp.ipynb`):
//! the numbers its prose and exercises quote, and its new figure.

use quad_vs_grad::lessons::xor_mlp::*;
use quad_vs_grad::linalg::FixedDot;
use quad_vs_grad::prelude::*;
use std::f64::consts::LN_2;

const TEXT: &str = "stated in notebooks/01-xor-mlp.ipynb: update the text";

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

#[test]
fn the_data_match_the_chapter() {
    let data = Dataset::reference();
    let ones = data.y.iter().filter(|&&y| y == 1.0).count();
    assert_eq!((data.len(), ones), (200, 93), "({TEXT})");
    assert!(close(data.label_noise_fraction(), 0.145, 1e-9), "({TEXT})");
    let sep = Dataset::separable();
    assert_eq!(sep.len(), 100, "({TEXT})");
    assert_eq!(sep.label_noise_fraction(), 0.0, "({TEXT})");
    assert_eq!(Mlp::new(&[2, 2, 1]).unwrap().num_params(), 9);
}

#[test]
fn cross_entropy_through_p_overflows_and_from_the_logit_does_not() {
    let naive = |z: f64| -(1.0 - 1.0 / (1.0 + (-z).exp())).ln();
    assert!(close(naive(5.0), 5.0067, 5e-5) && close(bce_from_logit(5.0, 0.0), 5.0067, 5e-5));
    for z in [40.0, 800.0] {
        assert!(naive(z).is_infinite(), "z = {z} ({TEXT})");
        assert!(close(bce_from_logit(z, 0.0), z, 1e-12), "z = {z} ({TEXT})");
    }
}

#[test]
fn the_three_problems_match_the_chapter() {
    let reference = XorProblem::reference();
    let hidden = XorProblem::hidden_slice();
    let full = XorProblem::full(Dataset::separable(), &[2]).unwrap();
    assert!(
        close(reference.cost(&array![2.0, -2.0]).unwrap(), 0.9229, 5e-5),
        "({TEXT})"
    );
    assert!(
        close(hidden.cost(&array![0.0, 0.0]).unwrap(), 0.0052, 5e-5),
        "({TEXT})"
    );
    assert!(
        close(full.cost(&full.mlp().init(0)).unwrap(), 0.7013, 5e-5),
        "({TEXT})"
    );
    assert_eq!((reference.dim(), hidden.dim(), full.dim()), (2, 2, 9));
}

#[test]
fn the_output_slice_is_convex_and_the_hidden_slice_is_not() {
    let reference = XorProblem::reference();
    for (p, lo, hi) in [
        ([2.0, -2.0], 0.0318, 0.0784),
        ([0.0, 0.0], 0.0803, 0.0991),
        ([-3.0, 3.0], 0.0158, 0.0648),
    ] {
        let ev = eigenvalues(&reference.hessian(&array![p[0], p[1]]).unwrap()).unwrap();
        assert!(
            close(ev[0], lo, 5e-5) && close(ev[1], hi, 5e-5),
            "{p:?}: {ev} ({TEXT})"
        );
    }
    let signs = CurvatureGrid::for_problem(&reference, (-3.0, 3.0), (-3.0, 3.0), 60).unwrap();
    assert_eq!(signs.negative_fraction(), 0.0, "({TEXT})");
    let ev = eigenvalues(
        &XorProblem::hidden_slice()
            .hessian(&array![-2.5, 1.5])
            .unwrap(),
    )
    .unwrap();
    assert!(
        close(ev[0], -0.4835, 5e-5) && close(ev[1], 0.3607, 5e-5),
        "{ev} ({TEXT})"
    );
}

#[test]
fn the_symmetry_bound_matches_the_chapter() {
    let reference = XorProblem::reference();
    let (v, l) = best_loss(&reference, &array![0.0, 0.0]).unwrap();
    assert!(close(l, 0.689869, 5e-7), "best loss {l} ({TEXT})");
    assert!(
        close(v[0], 0.2705, 5e-5) && close(v[1], 0.0050, 5e-5),
        "v* {v} ({TEXT})"
    );
    assert!(close(LN_2 - l, 0.0033, 5e-5), "gap ({TEXT})");
    let b = symmetry_bound(&reference).unwrap();
    assert!(close(b.asymmetry[0], 0.0242, 5e-5) && close(b.asymmetry[1], 0.0030, 5e-5));
    assert!(close(b.quadratic_estimate, 0.689875, 5e-7), "({TEXT})");
    // "the quadratic bound ... reaches within 1e-5 of it"
    assert!(
        b.quadratic_estimate >= l && b.quadratic_estimate - l < 1e-5,
        "({TEXT})"
    );
    let mirror = XorProblem::output_slice(mirrored(reference.data()));
    let (vm, lm) = best_loss(&mirror, &array![2.0, -2.0]).unwrap();
    assert_eq!(mirror.data().len(), 400);
    assert!(
        close(lm, LN_2, 1e-12) && vm.iter().all(|x| x.abs() < 1e-9),
        "({TEXT})"
    );
    let clean = XorProblem::output_slice(Dataset::separable());
    let (_, lc) = best_loss(&clean, &array![0.0, 0.0]).unwrap();
    assert!(close(lc, 0.693080, 5e-7), "separable {lc} ({TEXT})");
}

#[test]
fn the_full_network_solves_xor_from_one_seed_of_four() {
    let full = XorProblem::full(Dataset::separable(), &[2]).unwrap();
    let got: Vec<(usize, f64)> = (0..4)
        .map(|seed| {
            let t = run(
                &full,
                &full.mlp().init(seed),
                &OptimizerSpec::new(OptimizerKind::Lbfgs),
                &RaceConfig::default(),
            );
            (t.steps(), t.final_loss())
        })
        .collect();
    let steps: Vec<usize> = got.iter().map(|g| g.0).collect();
    assert_eq!(steps, vec![39, 22, 19, 26], "({TEXT})");
    assert!(got[2].1 < 1e-4, "seed 2 solves it ({TEXT})");
    for (i, want) in [(0, 0.3466), (1, 0.4774), (3, 0.3466)] {
        assert!(
            close(got[i].1, want, 5e-5),
            "seed {i}: {} ({TEXT})",
            got[i].1
        );
    }
}

#[test]
fn gradient_checks_pass_on_all_three_problems() {
    let full = XorProblem::full(Dataset::separable(), &[2]).unwrap();
    let theta0 = full.mlp().init(0);
    let r = check_gradient(&XorProblem::reference(), &array![2.0, -2.0], DEFAULT_STEP).unwrap();
    assert!(r.max_rel_err < 1e-8);
    assert!(close(r.analytic[0], 0.09268928, 5e-9) && close(r.analytic[1], -0.12227224, 5e-9));
    let h = check_gradient(
        &XorProblem::hidden_slice(),
        &array![-2.5, 1.5],
        DEFAULT_STEP,
    )
    .unwrap();
    assert!(h.max_rel_err < 1e-8);
    let f = check_gradient(&full, &theta0, DEFAULT_STEP).unwrap();
    assert!(f.max_rel_err < 1e-8 && f.analytic.len() == 9);
}

#[test]
fn exercise_1_the_gap_shrinks_with_the_sample() {
    let big = XorProblem::output_slice(Dataset::noisy_xor(20000, 0.2, 95).unwrap());
    let (_, l) = best_loss(&big, &array![0.0, 0.0]).unwrap();
    let gap = LN_2 - l;
    assert_eq!(format!("{gap:.1e}"), "3.3e-5", "({TEXT})");
    let (_, l_ref) = best_loss(&XorProblem::reference(), &array![0.0, 0.0]).unwrap();
    let ratio = (LN_2 - l_ref) / gap;
    assert!(
        ratio > 95.0 && ratio < 105.0,
        "{ratio}: a hundred times smaller ({TEXT})"
    );
    let m = symmetry_bound(&big).unwrap().asymmetry;
    assert_eq!(
        format!("({:.4}, {:.4})", m[0], m[1]),
        "(-0.0013, 0.0020)",
        "({TEXT})"
    );
    let small = symmetry_bound(&XorProblem::reference()).unwrap().asymmetry;
    assert!(m.fdot(&m) < small.fdot(&small) / 10.0);
}

#[test]
fn exercise_2_gradient_check_steps() {
    let p = XorProblem::reference();
    let err = |h: f64| {
        check_gradient(&p, &array![2.0, -2.0], h)
            .unwrap()
            .max_rel_err
    };
    let (coarse, good, fine) = (err(1e-1), err(1e-5), err(1e-12));
    // Truncation is smooth arithmetic: the printed digits. The two
    // rounding-dominated errors within a factor of 2 of the quoted ones.
    assert_eq!(format!("{coarse:.1e}"), "1.1e-4", "h = 0.1 ({TEXT})");
    assert!(
        fine > 4.2e-5 / 2.0 && fine < 4.2e-5 * 2.0,
        "h = 1e-12: {fine:e} ({TEXT})"
    );
    assert!(
        good > 6.3e-12 / 2.0 && good < 6.3e-12 * 2.0,
        "h = 1e-5: {good:e} ({TEXT})"
    );
}

#[test]
fn exercise_3_separable_output_slice_is_flatter_and_rounder() {
    let eig = |p: &XorProblem| {
        let (v, _) = best_loss(p, &array![0.0, 0.0]).unwrap();
        let ev = eigenvalues(&p.hessian(&v).unwrap()).unwrap();
        (
            format!("{:.4} {:.4}", ev[0], ev[1]),
            format!("{:.2}", ev[1] / ev[0]),
        )
    };
    let clean = XorProblem::output_slice(Dataset::separable());
    assert_eq!(
        eig(&clean),
        ("0.0716 0.0756".into(), "1.06".into()),
        "({TEXT})"
    );
    let reference = XorProblem::reference();
    assert_eq!(
        eig(&reference),
        ("0.0797 0.0983".into(), "1.23".into()),
        "({TEXT})"
    );
    // Near v = 0 the Hessian is about C/4, and C about ½ tanh²(1) I on the separable data.
    let c = symmetry_bound(&clean).unwrap().feature_moment;
    let half_tanh2 = 0.5 * 1f64.tanh().powi(2);
    assert_eq!(
        format!("{:.2} {:.3}", half_tanh2, half_tanh2 / 4.0),
        "0.29 0.073"
    );
    assert!(
        (c[[0, 0]] - half_tanh2).abs() < 0.02 && (c[[1, 1]] - half_tanh2).abs() < 0.02,
        "{c}"
    );
    assert!(c[[0, 1]].abs() < 0.02, "{c}");
}

#[test]
fn data_figure_decodes_is_sized_and_deterministic() {
    let data = Dataset::reference();
    let a = data_figure(&data, "Noisy XOR", 640, 600).unwrap();
    let b = data_figure(&data, "Noisy XOR", 640, 600).unwrap();
    assert_eq!(a.bytes(), b.bytes(), "same data, same bytes");
    let dec = png::Decoder::new(a.bytes());
    let mut reader = dec.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("a frame");
    assert_eq!((info.width, info.height), (640, 600));
    // Both label colours appear (vermillion for 1, blue for 0).
    let px: Vec<&[u8]> = buf[..info.buffer_size()].chunks(3).collect();
    assert!(px.iter().any(|p| p == &[0xd5, 0x5e, 0x00]));
    assert!(px.iter().any(|p| p == &[0x00, 0x72, 0xb2]));
    let other = data_figure(&Dataset::separable(), "Noisy XOR", 640, 600).unwrap();
    assert_ne!(a.bytes(), other.bytes());
    assert!(data_figure(&data, "x", 0, 10).is_err());
}

#[test]
fn the_output_slice_floor_figure() {
    use quad_vs_grad::lessons::xor_mlp::slice_floor_map;
    use quad_vs_grad::plot::{FieldLineShape, LossGrid};
    let map = slice_floor_map(&XorProblem::reference(), 2.0, 201).unwrap();
    assert!(map.equal_aspect);
    assert_eq!(map.lines[0].shape, FieldLineShape::Level(LN_2));
    assert_eq!(map.marks[0].point, (0.0, 0.0));
    let (v1, v2) = map.marks[1].point;
    assert!(
        close(v1, 0.2705, 5e-5) && close(v2, 0.0050, 5e-5),
        "v* ({TEXT})"
    );
    // The grid's lowest value is the minimum's loss, 0.6899 to 4 decimals,
    // and v = 0 lies on the level ln 2.
    let (lo, _) = map.grid.finite_range().unwrap();
    assert!(close(lo, 0.6899, 5e-5), "lowest grid value {lo} ({TEXT})");
    let g: &LossGrid = &map.grid;
    assert!(close(g.interpolate(0.0, 0.0), LN_2, 1e-12));
    assert!(field_map_figure(&map, 300, 220).is_ok());
}
