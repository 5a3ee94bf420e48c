//! Property tests: the analytic gradient and Hessian of every landscape and
//! of the XOR problem agree with central finite differences at random
//! points, and the check itself catches a wrong derivative.

use proptest::prelude::*;
use quad_vs_grad::argmin::core::Error as ArgminError;
use quad_vs_grad::gradcheck::{check_gradient, check_hessian, DEFAULT_STEP};
use quad_vs_grad::prelude::*;

/// Gradient and Hessian tolerance of the mixed error of `gradcheck`.
const TOL: f64 = 1e-6;

/// Maps `u ∈ [0, 1]^k` into the landscape's domain.
fn in_domain<L: Landscape>(l: &L, u: &[f64]) -> Array1<f64> {
    Array1::from_iter(
        l.domain()
            .iter()
            .enumerate()
            .map(|(i, &(lo, hi))| lo + (hi - lo) * u[i % u.len()]),
    )
}

fn assert_derivatives<P>(name: &str, problem: &P, p: &Array1<f64>) -> Result<(), TestCaseError>
where
    P: CostFunction<Param = Array1<f64>, Output = f64>
        + Gradient<Param = Array1<f64>, Gradient = Array1<f64>>
        + Hessian<Param = Array1<f64>, Hessian = Array2<f64>>,
{
    let g =
        check_gradient(problem, p, DEFAULT_STEP).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert!(g.passes(TOL), "{name} at {p}: gradient {g:?}");
    let h =
        check_hessian(problem, p, DEFAULT_STEP).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert!(h.passes(TOL), "{name} at {p}: Hessian {h:?}");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn gaussian_wells(dim in 1usize..5, wells in 1usize..10, seed in 0u64..1000,
                      u in prop::collection::vec(0.0..1.0f64, 4)) {
        let l = GaussianWells::random(dim, wells, seed).unwrap();
        assert_derivatives("wells", &l, &in_domain(&l, &u))?;
    }

    #[test]
    fn toys(u in prop::collection::vec(0.0..1.0f64, 2), c in 0.1..2.0f64) {
        assert_derivatives("x cos(πx)", &CosineWell, &in_domain(&CosineWell, &u))?;
        assert_derivatives("saddle", &Saddle, &in_domain(&Saddle, &u))?;
        assert_derivatives("tanh", &TanhSlope, &in_domain(&TanhSlope, &u))?;
        let cosh = CoshValley::new(c).unwrap();
        assert_derivatives("cosh", &cosh, &in_domain(&cosh, &u))?;
    }

    #[test]
    fn rosenbrock(dim in 2usize..7, b in 1.0..200.0f64, a in -2.0..2.0f64,
                  u in prop::collection::vec(0.0..1.0f64, 6)) {
        let r = Rosenbrock::chained(dim, b).unwrap();
        assert_derivatives("chained Rosenbrock", &r, &in_domain(&r, &u))?;
        let r = Rosenbrock::new(a, b).unwrap();
        let p = in_domain(&r, &u);
        assert_derivatives("Rosenbrock", &r, &p)?;
        // Its Gauss–Newton matrix is 2 JᵀJ: PSD, and equal to the Hessian
        // minus the residual-curvature term −4 b (y − x²) e₀e₀ᵀ.
        let g = r.gauss_newton(&p).unwrap();
        let h = r.hessian(&p).unwrap();
        let corr = -4.0 * b * (p[1] - p[0] * p[0]);
        prop_assert!((h[[0, 0]] - g[[0, 0]] - corr).abs() <= 1e-9 * h[[0, 0]].abs().max(1.0));
        prop_assert!((h[[0, 1]] - g[[0, 1]]).abs() < 1e-9 && (h[[1, 1]] - g[[1, 1]]).abs() < 1e-9);
        prop_assert!(eigenvalues(&g).unwrap().iter().all(|&l| l >= -1e-9));
    }

    #[test]
    fn xor_problems(u in prop::collection::vec(0.0..1.0f64, 9)) {
        let point = |k: usize, scale: f64| Array1::from_iter((0..k).map(|i| (2.0 * u[i] - 1.0) * scale));
        let reference = XorProblem::reference();
        assert_derivatives("reference slice", &reference, &point(2, 3.0))?;
        let hidden = XorProblem::hidden_slice();
        assert_derivatives("hidden slice", &hidden, &point(2, 3.0))?;
        let full = XorProblem::full(Dataset::noisy_xor(24, 0.2, 11).unwrap(), &[2]).unwrap();
        assert_derivatives("full 2-2-1", &full, &point(9, 2.0))?;
    }
}

/// A wells landscape whose gradient is 1% too large along the first axis.
#[derive(Clone)]
struct SkewedWells(GaussianWells);

impl CostFunction for SkewedWells {
    type Param = Array1<f64>;
    type Output = f64;
    fn cost(&self, p: &Array1<f64>) -> Result<f64, ArgminError> {
        self.0.cost(p)
    }
}

impl Gradient for SkewedWells {
    type Param = Array1<f64>;
    type Gradient = Array1<f64>;
    fn gradient(&self, p: &Array1<f64>) -> Result<Array1<f64>, ArgminError> {
        let mut g = self.0.gradient(p)?;
        g[0] *= 1.01;
        Ok(g)
    }
}

#[test]
fn the_check_catches_a_one_percent_error() {
    let w = SkewedWells(GaussianWells::course());
    // A point on a well's slope, where the gradient is of order 0.1.
    let m = w.0.global_minimum().unwrap();
    let p = &m.point + &array![0.3, 0.2];
    let honest = check_gradient(&w.0, &p, DEFAULT_STEP).unwrap();
    assert!(honest.passes(1e-8), "{honest:?}");
    let skewed = check_gradient(&w, &p, DEFAULT_STEP).unwrap();
    assert!(honest.analytic[0].abs() > 0.05);
    assert!(!skewed.passes(1e-4), "{skewed:?}");
    assert!((skewed.max_abs_err - 0.01 * honest.analytic[0].abs()).abs() < 1e-8);
}

#[test]
fn wrong_lengths_are_errors_not_panics() {
    let r = Rosenbrock::classic();
    assert!(check_gradient(&r, &array![1.0], DEFAULT_STEP).is_err());
    assert!(check_hessian(&r, &array![1.0, 2.0, 3.0], DEFAULT_STEP).is_err());
    assert!(check_gradient(&r, &array![1.0, 2.0], f64::NAN).is_err());
}
