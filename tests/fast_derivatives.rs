//! The fast derivative kernels behind `Mlp`'s methods against the
//! straightforward implementations in `quad_vs_grad::mlp::reference`, to
//! `10⁻¹²` relative, on random networks of several architectures (including
//! layers wide enough to take the GEMM path and `D` large enough for the
//! blocked Gram product), random data sets (down to one example), random
//! parameters and directions. Also: bit-identical repeats, exact symmetry,
//! error paths, and the parameter (un)packing and initialisation helpers.

use ndarray::{Array1, Array2};
use proptest::prelude::*;
use quad_vs_grad::data::Dataset;
use quad_vs_grad::linalg::FixedDot;
use quad_vs_grad::mlp::{reference, sigmoid, Mlp};

const TOL: f64 = 1e-12;

/// Architectures: logistic regression, one hidden layer (narrow, and wide
/// enough for the blocked Gram product), two and three hidden layers, and a
/// hidden-to-hidden layer of at least 16 on both sides (the GEMM path), one
/// exactly at that threshold, and a narrow layer feeding a wide one (the
/// register-blocked small products with many rows, then a 40-wide fan-in).
const ARCHITECTURES: [&[usize]; 9] = [
    &[2, 1],
    &[2, 3, 1],
    &[2, 32, 1],
    &[2, 100, 1],
    &[2, 4, 3, 1],
    &[2, 3, 2, 2, 1],
    &[2, 20, 17, 1],
    &[2, 16, 16, 1],
    &[2, 5, 40, 1],
];

/// `‖a − b‖∞ / ‖b‖∞` (absolute where `b` is exactly zero).
fn rel(a: impl IntoIterator<Item = f64>, b: impl IntoIterator<Item = f64>) -> f64 {
    let (mut num, mut den) = (0.0_f64, 0.0_f64);
    let mut count = (0, 0);
    let b: Vec<f64> = b.into_iter().collect();
    for (x, y) in a.into_iter().zip(&b) {
        count.0 += 1;
        num = num.max((x - y).abs());
        den = den.max(y.abs());
    }
    count.1 = b.len();
    assert_eq!(count.0, count.1, "lengths differ");
    if den == 0.0 {
        num
    } else {
        num / den
    }
}

/// A deterministic pseudo-random stream in `[−1, 1]` from a proptest seed.
struct Stream(u64);

impl Stream {
    fn next(&mut self) -> f64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }
    fn vec(&mut self, len: usize, scale: f64) -> Array1<f64> {
        Array1::from_iter((0..len).map(|_| scale * self.next()))
    }
}

struct Case {
    mlp: Mlp,
    theta: Array1<f64>,
    v: Array1<f64>,
    data: Dataset,
    weights: Array1<f64>,
}

fn case(arch: usize, n: usize, seed: u64, scale: f64) -> Case {
    let mlp = Mlp::new(ARCHITECTURES[arch]).unwrap();
    let mut s = Stream(seed);
    let d = mlp.num_params();
    let theta = s.vec(d, scale);
    let v = s.vec(d, 1.0);
    let x = Array2::from_shape_fn((n, 2), |_| 2.0 * s.next());
    let y = Array1::from_iter((0..n).map(|_| if s.next() > 0.0 { 1.0 } else { 0.0 }));
    let weights = s.vec(n, 1.0).mapv(f64::abs);
    Case {
        mlp,
        theta,
        v,
        data: Dataset { x, y },
        weights,
    }
}

fn check_all(c: &Case) -> Result<(), TestCaseError> {
    let (m, t, v, data) = (&c.mlp, c.theta.view(), c.v.view(), &c.data);
    let x = data.x.view();
    let arch = m.widths();

    let fp = m.forward(t, x).unwrap();
    let fr = reference::forward(m, t, x).unwrap();
    prop_assert!(
        rel(fp.logits.iter().copied(), fr.logits.iter().copied()) < TOL,
        "{arch:?} logits"
    );
    for (a, b) in fp.activations.iter().zip(&fr.activations) {
        prop_assert_eq!(a.dim(), b.dim());
        prop_assert!(
            rel(a.iter().copied(), b.iter().copied()) < TOL,
            "{arch:?} activations"
        );
    }

    let (l_fast, g_fast) = m.loss_and_gradient(t, data).unwrap();
    let (l_ref, g_ref) = reference::loss_and_gradient(m, t, data).unwrap();
    prop_assert!(
        ((l_fast - l_ref) / l_ref).abs() < TOL,
        "{arch:?} loss {l_fast} vs {l_ref}"
    );
    prop_assert_eq!(m.loss(t, data).unwrap(), l_fast);
    prop_assert!(((reference::loss(m, t, data).unwrap() - l_ref) / l_ref).abs() < TOL);
    prop_assert!(
        rel(g_fast.iter().copied(), g_ref.iter().copied()) < TOL,
        "{arch:?} gradient"
    );
    prop_assert_eq!(m.gradient(t, data).unwrap(), g_fast);

    let err = rel(
        m.hvp(t, data, v).unwrap(),
        reference::hvp(m, t, data, v).unwrap(),
    );
    prop_assert!(err < TOL, "{arch:?} Hv {err:e}");
    let err = rel(m.jvp(t, x, v).unwrap(), reference::jvp(m, t, x, v).unwrap());
    prop_assert!(err < TOL, "{arch:?} Jv {err:e}");
    let u = c.weights.view();
    let err = rel(m.vjp(t, x, u).unwrap(), reference::vjp(m, t, x, u).unwrap());
    prop_assert!(err < TOL, "{arch:?} Jᵀu {err:e}");
    let err = rel(
        m.ggn_vec(t, data, v).unwrap(),
        reference::ggn_vec(m, t, data, v).unwrap(),
    );
    prop_assert!(err < TOL, "{arch:?} Gv {err:e}");

    let h = m.hessian(t, data).unwrap();
    let err = rel(h.iter().copied(), reference::hessian(m, t, data).unwrap());
    prop_assert!(err < TOL, "{arch:?} dense Hessian {err:e}");
    prop_assert!(h == h.t(), "{arch:?} Hessian not exactly symmetric");
    let err = rel(h.fdot(&c.v), m.hvp(t, data, v).unwrap());
    prop_assert!(err < 1e-11, "{arch:?} H·v against Hv {err:e}");

    let g = m.ggn(t, data).unwrap();
    let err = rel(g.iter().copied(), reference::ggn(m, t, data).unwrap());
    prop_assert!(err < TOL, "{arch:?} dense GGN {err:e}");
    prop_assert!(g == g.t(), "{arch:?} GGN not exactly symmetric");
    let err = rel(g.fdot(&c.v), m.ggn_vec(t, data, v).unwrap());
    prop_assert!(err < 1e-11, "{arch:?} G·v against Gv {err:e}");

    // the weights see the logits of the same pass
    let lambda = |z: ndarray::ArrayView1<f64>| z.mapv(|z| sigmoid(z) * (1.0 - sigmoid(z)));
    let err = rel(m.jacobian_gram(t, x, lambda).unwrap(), g.iter().copied());
    prop_assert!(err < TOL, "{arch:?} Gram with GGN weights {err:e}");
    let f = m.jacobian_gram(t, x, |_| c.weights.clone()).unwrap();
    let err = rel(
        f.iter().copied(),
        reference::jacobian_gram(m, t, x, |_| c.weights.clone()).unwrap(),
    );
    prop_assert!(err < TOL, "{arch:?} weighted Gram {err:e}");
    prop_assert!(f == f.t());

    let j = m.output_jacobian(t, x).unwrap();
    let err = rel(
        j.iter().copied(),
        reference::output_jacobian(m, t, x).unwrap(),
    );
    prop_assert!(err < TOL, "{arch:?} Jacobian {err:e}");

    let (z_fast, s_fast) = m.layer_signals(t, x).unwrap();
    let (z_ref, s_ref) = reference::layer_signals(m, t, x).unwrap();
    prop_assert!(rel(z_fast, z_ref) < TOL);
    prop_assert_eq!(s_fast.len(), s_ref.len());
    for (a, b) in s_fast.iter().zip(&s_ref) {
        prop_assert_eq!(a.offset, b.offset);
        prop_assert!(rel(a.inputs.iter().copied(), b.inputs.iter().copied()) < TOL);
        prop_assert!(
            rel(
                a.output_grads.iter().copied(),
                b.output_grads.iter().copied()
            ) < TOL
        );
    }

    let k_fast = m.kfac_factors(t, x, |_| c.weights.clone()).unwrap();
    let k_ref = reference::kfac_factors(m, t, x, |_| c.weights.clone()).unwrap();
    prop_assert_eq!(k_fast.len(), m.num_layers());
    for (a, b) in k_fast.iter().zip(&k_ref) {
        prop_assert_eq!(a.offset, b.offset);
        prop_assert!(
            rel(a.a.iter().copied(), b.a.iter().copied()) < TOL,
            "{arch:?} K-FAC A"
        );
        prop_assert!(
            rel(a.g.iter().copied(), b.g.iter().copied()) < TOL,
            "{arch:?} K-FAC G"
        );
        prop_assert!(a.a == a.a.t() && a.g == a.g.t());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn fast_kernels_match_the_reference(
        arch in 0..ARCHITECTURES.len(),
        n in prop_oneof![Just(1usize), 2usize..40],
        seed in any::<u64>(),
        scale in 0.3f64..3.0,
    ) {
        check_all(&case(arch, n, seed, scale))?;
    }
}

#[test]
fn every_architecture_at_the_reference_size() {
    for arch in 0..ARCHITECTURES.len() {
        check_all(&case(arch, 200, 42 + arch as u64, 1.5)).unwrap();
    }
}

#[test]
fn saturated_units_and_huge_logits_agree_with_the_reference() {
    // tanh saturates at ±1 and |z| reaches thousands: softplus, σ and the
    // vectorised tanh must stay exact there.
    for arch in [1, 4] {
        let mut c = case(arch, 30, 7, 1.0);
        c.theta *= 400.0;
        check_all(&c).unwrap();
        let l = c.mlp.loss(c.theta.view(), &c.data).unwrap();
        assert!(l.is_finite() && l > 1.0, "loss {l}");
    }
}

#[test]
fn repeated_calls_give_identical_bits() {
    for arch in 0..ARCHITECTURES.len() {
        let c = case(arch, 200, 5, 1.0);
        let (m, t, data) = (&c.mlp, c.theta.view(), &c.data);
        assert_eq!(
            m.loss_and_gradient(t, data).unwrap(),
            m.loss_and_gradient(t, data).unwrap()
        );
        assert_eq!(
            m.hvp(t, data, c.v.view()).unwrap(),
            m.hvp(t, data, c.v.view()).unwrap()
        );
        assert_eq!(m.hessian(t, data).unwrap(), m.hessian(t, data).unwrap());
        assert_eq!(m.ggn(t, data).unwrap(), m.ggn(t, data).unwrap());
        let x = data.x.view();
        let w = c.weights.view();
        assert_eq!(
            m.kfac_factors(t, x, |_| w.to_owned()).unwrap(),
            m.kfac_factors(t, x, |_| w.to_owned()).unwrap()
        );
    }
}

#[test]
fn non_finite_parameters_give_non_finite_results_not_panics() {
    let c = case(2, 50, 3, 1.0);
    let mut theta = c.theta.clone();
    theta[0] = f64::NAN;
    let l = c.mlp.loss(theta.view(), &c.data).unwrap();
    assert!(l.is_nan());
    let g = c.mlp.gradient(theta.view(), &c.data).unwrap();
    assert!(g.iter().any(|v| v.is_nan()));
    // An infinite output bias makes every logit infinite: the loss is not finite.
    let mut theta = c.theta.clone();
    let last = theta.len() - 1;
    theta[last] = f64::INFINITY;
    assert!(!c.mlp.loss(theta.view(), &c.data).unwrap().is_finite());
}

#[test]
fn wrong_sizes_are_errors() {
    let c = case(2, 10, 1, 1.0);
    let m = &c.mlp;
    let t = c.theta.view();
    let short = Array1::zeros(3);
    assert!(m.hvp(t, &c.data, short.view()).is_err());
    assert!(m.ggn_vec(t, &c.data, short.view()).is_err());
    assert!(m.jvp(t, c.data.x.view(), short.view()).is_err());
    assert!(m.gradient(short.view(), &c.data).is_err());
    let bad = Dataset {
        x: c.data.x.clone(),
        y: Array1::zeros(3),
    };
    assert!(m.loss(t, &bad).is_err());
    assert!(m.hessian(t, &bad).is_err());
    assert!(m.ggn(t, &bad).is_err());
    let x = c.data.x.view();
    assert!(m.jacobian_gram(t, x, |_| short.clone()).is_err());
    let mut negative = c.weights.clone();
    negative[0] = -1.0;
    assert!(m.kfac_factors(t, x, |_| negative.clone()).is_err());
    assert!(m.unpack(short.view()).is_err());
}

#[test]
fn unpack_and_pack_are_inverse() {
    let m = Mlp::new(&[2, 5, 3, 1]).unwrap();
    let theta = m.init_with_biases(9, 0.7).unwrap();
    let layers = m.unpack(theta.view()).unwrap();
    let shapes: Vec<_> = layers.iter().map(|(w, b)| (w.dim(), b.len())).collect();
    assert_eq!(shapes, vec![((5, 2), 5), ((3, 5), 3), ((1, 3), 1)]);
    assert_eq!(m.pack(&layers).unwrap(), theta);
    // W_l[i, j] and b_l[i] sit where `param_index` says
    assert_eq!(layers[1].0[[2, 4]], theta[m.param_index(1, 2, 4)]);
    assert_eq!(layers[1].1[2], theta[m.param_index(1, 2, 5)]);
}

#[test]
fn init_with_biases_is_seeded_and_keeps_the_glorot_weights() {
    let m = Mlp::new(&[2, 64, 64, 1]).unwrap();
    let a = m.init_with_biases(3, 0.5).unwrap();
    assert_eq!(a, m.init_with_biases(3, 0.5).unwrap());
    assert_ne!(a, m.init_with_biases(4, 0.5).unwrap());
    assert_eq!(m.init_with_biases(3, 0.0).unwrap(), m.init(3));
    let layers = m.unpack(a.view()).unwrap();
    let plain = m.unpack(m.init(3).view()).unwrap();
    let mut biases = Vec::new();
    for ((w, b), (w0, b0)) in layers.iter().zip(&plain) {
        assert_eq!(w, w0, "weights are drawn as by init");
        assert!(b0.iter().all(|&v| v == 0.0));
        assert!(b.iter().all(|&v| v != 0.0));
        biases.extend(b.iter().copied());
    }
    let n = biases.len() as f64;
    let mean = biases.iter().sum::<f64>() / n;
    let std = (biases.iter().map(|b| (b - mean).powi(2)).sum::<f64>() / n).sqrt();
    assert!(
        mean.abs() < 0.15 && (std - 0.5).abs() < 0.1,
        "mean {mean}, std {std}"
    );
    assert!(m.init_with_biases(1, -1.0).is_err());
    assert!(m.init_with_biases(1, f64::NAN).is_err());
}
