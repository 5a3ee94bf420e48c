//! Curvature facts: PSD-ness of the GGN and Fisher variants, GGN = Fisher for
//! sigmoid + cross-entropy, GGN = Hessian where the model is linear in its
//! parameters, and K-FAC exact for one example.

mod common;

use common::*;
use proptest::prelude::*;
use quad_vs_grad::curvature::kron;
use quad_vs_grad::linalg::FixedDot;
use quad_vs_grad::ndarray::{s, Array1, Array2};
use quad_vs_grad::prelude::*;
use quad_vs_grad::problem::Parameterisation;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 200,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn unit_vec() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(0.0..1.0f64, 105)
}

/// Smallest eigenvalue relative to the largest magnitude.
fn min_rel_eig(m: &Array2<f64>) -> f64 {
    let ev = eigenvalues(m).unwrap();
    let scale = ev.iter().fold(1e-300_f64, |a, &b| a.max(b.abs()));
    ev[0] / scale
}

/// The exact Fisher by its definition, independent of the Jacobian code:
/// `(1/N) Σ_n Σ_{ŷ∈{0,1}} P(ŷ) ∇ℓ_n(ŷ) ∇ℓ_n(ŷ)ᵀ`, with the per-example
/// gradients `∇ℓ_n(ŷ)` from back-propagation on one-example data sets.
fn fisher_by_definition(problem: &XorProblem, p: &Array1<f64>) -> Array2<f64> {
    let data = problem.data();
    let k = problem.dim();
    let mut f = Array2::zeros((k, k));
    let probs = problem.probabilities(p).unwrap();
    for n in 0..data.len() {
        for (label, prob) in [(1.0, probs[n]), (0.0, 1.0 - probs[n])] {
            let mut one = data.subset(&[n]).unwrap();
            one.y[0] = label;
            let pr = XorProblem::new(
                one,
                problem.mlp().clone(),
                problem.parameterisation().clone(),
            )
            .unwrap();
            let g = pr.gradient(p).unwrap().insert_axis(ndarray::Axis(1));
            f = f + g.fdot(&g.t()) * prob;
        }
    }
    f / data.len() as f64
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn ggn_and_fishers_are_psd(u in unit_vec()) {
        for (name, problem) in all_problems() {
            let p = point(&problem, &u, 2.0);
            for kind in [
                FisherKind::Exact,
                FisherKind::Empirical,
                FisherKind::MonteCarlo { samples: 1, seed: 9 },
            ] {
                let f = problem.fisher(&p, kind).unwrap();
                let m = min_rel_eig(&f);
                prop_assert!(m > -1e-12, "{name} {kind:?}: min eigenvalue ratio {m:e}");
            }
            let k = problem.kfac_factors(&p, FisherKind::Exact).unwrap().dense().unwrap();
            prop_assert!(min_rel_eig(&k) > -1e-12, "{name}: K-FAC not PSD");
        }
    }

    #[test]
    fn output_slice_ggn_equals_hessian(u in unit_vec()) {
        let problem = XorProblem::reference();
        let p = point(&problem, &u, 4.0);
        let g = problem.ggn(&p).unwrap();
        let h = problem.hessian(&p).unwrap();
        let err = (&g - &h).iter().fold(0.0_f64, |a, b| a.max(b.abs()));
        prop_assert!(err < 1e-12, "GGN − H = {err:e}");
    }
}

#[test]
fn ggn_equals_exact_fisher() {
    for (name, problem) in all_problems() {
        for seed in 0..5 {
            let p = point(&problem, &[0.1 + 0.15 * seed as f64, 0.7, 0.35], 1.5);
            let ggn = problem.ggn(&p).unwrap();
            let fisher = fisher_by_definition(&problem, &p);
            let err = rel_err(ggn.iter(), fisher.iter(), 1e-6);
            assert!(err < 1e-10, "{name}: GGN vs Fisher {err:e}");
            // and the matrix-free product assembles the same matrix
            let k = problem.dim();
            let mut cols = Array2::zeros((k, k));
            for j in 0..k {
                let mut e = Array1::zeros(k);
                e[j] = 1.0;
                cols.column_mut(j).assign(&problem.ggn_vec(&p, &e).unwrap());
            }
            assert!(
                rel_err(cols.iter(), ggn.iter(), 1e-6) < 1e-10,
                "{name}: Gv columns"
            );
        }
    }
}

#[test]
fn hidden_slice_is_not_convex_but_its_ggn_is_psd() {
    let problem = XorProblem::hidden_slice();
    let mut found = None;
    'outer: for i in 0..=30 {
        for j in 0..=30 {
            let p = array![-3.0 + 0.2 * i as f64, -3.0 + 0.2 * j as f64];
            if eigenvalues(&problem.hessian(&p).unwrap()).unwrap()[0] < 0.0 {
                found = Some(p);
                break 'outer;
            }
        }
    }
    let p = found.expect("a point of negative curvature in [-3, 3]²");
    let (neg, _, _) = inertia(&problem.hessian(&p).unwrap(), 1e-12).unwrap();
    assert!(neg >= 1);
    assert!(eigenvalues(&problem.ggn(&p).unwrap()).unwrap()[0] >= -1e-14);
    // while the reference output-weight slice is convex everywhere we look
    let reference = XorProblem::reference();
    for i in 0..=12 {
        for j in 0..=12 {
            let q = array![-6.0 + i as f64, -6.0 + j as f64];
            assert!(eigenvalues(&reference.hessian(&q).unwrap()).unwrap()[0] >= 0.0);
        }
    }
}

#[test]
fn monte_carlo_fisher_is_seeded_and_unbiased() {
    let problem = full_problem(&[2, 2, 1]);
    let p = problem.mlp().init(1) * 3.0; // away from σ ≈ ½, where (σ − y)² ≈ σ(1 − σ)
    let mc = |seed, samples| {
        problem
            .fisher(&p, FisherKind::MonteCarlo { samples, seed })
            .unwrap()
    };
    assert_eq!(mc(3, 1), mc(3, 1));
    assert_ne!(mc(3, 1), mc(4, 1));
    let exact = problem.fisher(&p, FisherKind::Exact).unwrap();
    let err = rel_err(mc(5, 20_000).iter(), exact.iter(), 1e-6);
    assert!(err < 0.02, "MC Fisher with 20k samples off by {err}");
    // The empirical Fisher is a different matrix in general.
    let emp = problem.fisher(&p, FisherKind::Empirical).unwrap();
    assert!(rel_err(emp.iter(), exact.iter(), 1e-6) > 0.05);
}

#[test]
fn kfac_is_exact_for_one_example() {
    for widths in ARCHITECTURES {
        let mlp = Mlp::new(widths).unwrap();
        let data = small_data();
        for n in [0, 5, 17] {
            let one = data.subset(&[n]).unwrap();
            let problem = XorProblem::new(one, mlp.clone(), Parameterisation::Full).unwrap();
            let p = mlp.init(n as u64 + 100);
            for kind in [FisherKind::Exact, FisherKind::Empirical] {
                let exact = problem.fisher(&p, kind).unwrap();
                let factors = problem.kfac_factors(&p, kind).unwrap();
                assert_eq!(factors.layers.len(), mlp.num_layers());
                for layer in &factors.layers {
                    let (o, m) = (layer.offset, layer.size());
                    let block = exact.slice(s![o..o + m, o..o + m]);
                    let approx = kron(&layer.g, &layer.a);
                    let err = rel_err(approx.iter(), block.iter(), 1e-8);
                    assert!(
                        err < 1e-12,
                        "{widths:?} example {n} {kind:?} layer at {o}: {err:e}"
                    );
                }
            }
        }
    }
}

#[test]
fn kfac_on_the_output_slice_is_gamma_times_a() {
    // On the output-weight slice only the output layer moves and it has one
    // unit: K-FAC's p-space matrix is Γ·A restricted to (v1, v2), with
    // Γ = mean λ_n and A = mean h_n h_nᵀ, the reference's form.
    let problem = XorProblem::reference();
    let p = array![2.0, -2.0];
    let factors = problem.kfac_factors(&p, FisherKind::Exact).unwrap();
    let gamma = factors.layers[1].g[[0, 0]];
    let probs = problem.probabilities(&p).unwrap();
    let mean_lambda = probs.mapv(|s| s * (1.0 - s)).mean().unwrap();
    assert!((gamma - mean_lambda).abs() < 1e-15);
    let h = &problem.data().x; // features h = tanh(W x), W = [[1, 1], [1, −1]]
    let mut a = Array2::<f64>::zeros((2, 2));
    for row in h.rows() {
        let f = array![(row[0] + row[1]).tanh(), (row[0] - row[1]).tanh()];
        a = a + f
            .clone()
            .insert_axis(ndarray::Axis(1))
            .fdot(&f.insert_axis(ndarray::Axis(0)));
    }
    a /= problem.data().len() as f64;
    let expected = a * gamma;
    let got = factors.dense().unwrap();
    assert!(rel_err(got.iter(), expected.iter(), 1e-9) < 1e-12);
}

/// A learner's own problem: a least-squares fit `L(x) = ½‖A x − b‖²`, whose
/// Gauss–Newton matrix is `AᵀA`. It implements only what it has.
#[derive(Clone)]
struct LeastSquares {
    a: Array2<f64>,
    b: Array1<f64>,
}

impl CostFunction for LeastSquares {
    type Param = Array1<f64>;
    type Output = f64;
    fn cost(&self, x: &Array1<f64>) -> Result<f64, quad_vs_grad::argmin::core::Error> {
        let r = self.a.fdot(x) - &self.b;
        Ok(0.5 * r.fdot(&r))
    }
}

impl Gradient for LeastSquares {
    type Param = Array1<f64>;
    type Gradient = Array1<f64>;
    fn gradient(&self, x: &Array1<f64>) -> Result<Array1<f64>, quad_vs_grad::argmin::core::Error> {
        Ok(self.a.t().fdot(&(self.a.fdot(x) - &self.b)))
    }
}

impl CurvatureProducts for LeastSquares {
    fn ggn_vec(
        &self,
        _x: &Array1<f64>,
        v: &Array1<f64>,
    ) -> Result<Array1<f64>, quad_vs_grad::argmin::core::Error> {
        Ok(self.a.t().fdot(&self.a.fdot(v)))
    }
}
impl KfacCurvature for LeastSquares {}
impl MiniBatched for LeastSquares {}

#[test]
fn curvature_traits_have_defaults_for_a_learners_problem() {
    let a = quad_vs_grad::ndarray::array![[1.0, 2.0], [0.5, -1.0], [3.0, 0.0]];
    let ls = LeastSquares {
        a: a.clone(),
        b: quad_vs_grad::ndarray::array![1.0, 0.0, -1.0],
    };
    let x = quad_vs_grad::ndarray::array![0.3, -0.2];
    // the dense GGN comes from ggn_vec
    let g = ls.ggn(&x).unwrap();
    assert!((&g - &a.t().fdot(&a)).iter().all(|d| d.abs() < 1e-14));
    // what the problem lacks is an error that says so, and converts with `?`
    let err = ls.hessian_vec(&x, &x).unwrap_err().to_string();
    assert!(
        err.contains("LeastSquares provides no Hessian-vector products"),
        "{err}"
    );
    let err = ls.kfac_factors(&x, FisherKind::Exact).unwrap_err();
    let ours: quad_vs_grad::Error = err.into();
    assert!(ours.to_string().contains("no K-FAC factors"), "{ours}");
    // mini-batching: one full batch
    let mut ls = ls;
    assert_eq!(ls.num_examples(), 0);
    assert!(ls.set_batch(None).is_ok());
    assert!(ls.set_batch(Some(&[0])).is_err());
    assert_eq!(ls.full_batch_cost(&x).unwrap(), ls.cost(&x).unwrap());
    assert_eq!(
        ls.full_batch_gradient(&x).unwrap(),
        ls.gradient(&x).unwrap()
    );
    // and Gauss–Newton runs on it: one undamped step solves a linear least-squares fit
    let res = Executor::new(
        ls.clone(),
        GaussNewton::new().with_damping(Damping::fixed(0.0).unwrap()),
    )
    .configure(|s| s.param(x.clone()).max_iters(1))
    .ctrlc(false)
    .run()
    .unwrap();
    let x1 = res.state().get_param().unwrap().clone();
    assert!(ls.gradient(&x1).unwrap().iter().all(|v| v.abs() < 1e-12));
}

/// A problem without a Gauss–Newton structure reports it through the default.
#[test]
fn missing_ggn_is_an_unsupported_error() {
    #[derive(Clone)]
    struct Bowl;
    impl CurvatureProducts for Bowl {}
    let err = Bowl.ggn(&quad_vs_grad::ndarray::array![1.0]).unwrap_err();
    let ours: quad_vs_grad::Error = err.into();
    assert!(
        matches!(&ours, quad_vs_grad::Error::Unsupported(e) if e.contains("Bowl provides no Gauss–Newton matrix")),
        "{ours:?}"
    );
}
