//! Hessian-free optimization: truncated conjugate gradient on
//! curvature-vector products, Gauss–Newton-vector products by default
//! (Martens 2010).

use crate::linalg::FixedDot;
use argmin::core::{Error, Problem};
use ndarray::Array1;
use serde::{Deserialize, Serialize};

use super::common::{add_count, check_positive, check_unit, CURVATURE_COUNT, LINEAR_SOLVE_COUNT};
use super::damped::{Damped, DampedRule, ProposedStep};
use super::damping::Damping;
use crate::curvature::CurvatureProducts;

/// Why a conjugate-gradient run stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CgStop {
    /// `‖r‖ ≤ tol · ‖b‖`.
    Converged,
    /// The iteration cap was reached.
    MaxIters,
    /// A direction of non-positive curvature `dᵀAd ≤ 0` was met (possible
    /// only with an indefinite operator, e.g. the undamped Hessian).
    NegativeCurvature,
    /// Martens' relative-progress test on the quadratic fired.
    Progress,
}

/// The result of [`truncated_cg`].
#[derive(Clone, Debug, PartialEq)]
pub struct CgOutcome {
    /// The approximate solution `x ≈ A⁻¹ b`.
    pub x: Array1<f64>,
    /// CG iterations taken.
    pub iters: usize,
    /// Operator applications (`iters`, plus one for a non-zero start).
    pub products: usize,
    /// `xᵀAx`, from CG's own quantities (no extra product).
    pub x_a_x: f64,
    /// Final residual norm `‖b − Ax‖`.
    pub residual_norm: f64,
    /// Why it stopped.
    pub stop: CgStop,
}

/// Settings of [`truncated_cg`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct CgSettings {
    /// Iteration cap (Martens caps at 250; tiny networks need far fewer).
    pub max_iters: usize,
    /// Relative residual tolerance `‖r‖ ≤ tol·‖b‖`.
    pub tol: f64,
    /// Martens' progress test: stop at iteration `i` when
    /// `i > k`, `φ_i < 0` and `(φ_i − φ_{i−k}) / φ_i < k·ε`, `k = max(10, i/10)`,
    /// where `φ(x) = ½xᵀAx − bᵀx`; `None` turns it off. Martens uses `ε = 5e-4`.
    pub progress_eps: Option<f64>,
}

impl Default for CgSettings {
    fn default() -> Self {
        Self {
            max_iters: 250,
            tol: 1e-10,
            progress_eps: Some(5e-4),
        }
    }
}

/// Truncated (linear) conjugate gradient for `A x = b` with a symmetric
/// operator `A` given only by its products, started at `x0`:
///
/// ```text
/// r₀ = b − A x₀, d₀ = r₀;   α_i = r_iᵀr_i / d_iᵀA d_i,
/// x_{i+1} = x_i + α_i d_i,  r_{i+1} = r_i − α_i A d_i,
/// β_i = r_{i+1}ᵀr_{i+1} / r_iᵀr_i,  d_{i+1} = r_{i+1} + β_i d_i
/// ```
///
/// stopping on the residual tolerance, the iteration cap, a direction of
/// non-positive curvature (returning the current `x`, or `b` scaled to the
/// Cauchy length if that happens at once), or Martens' progress test.
///
/// # Errors
/// Whatever `apply` returns, and a shape error if `x0` and `b` differ in length.
pub fn truncated_cg<F>(
    mut apply: F,
    b: &Array1<f64>,
    x0: &Array1<f64>,
    settings: &CgSettings,
) -> Result<CgOutcome, Error>
where
    F: FnMut(&Array1<f64>) -> Result<Array1<f64>, Error>,
{
    if x0.len() != b.len() {
        return Err(crate::Error::Shape(format!(
            "CG start has {} entries, right-hand side {}",
            x0.len(),
            b.len()
        ))
        .into());
    }
    let mut products = 0;
    let mut x = x0.clone();
    // A x is tracked alongside x, so that xᵀAx and φ(x) need no extra product.
    let mut ax = if x.iter().all(|&v| v == 0.0) {
        Array1::zeros(b.len())
    } else {
        products += 1;
        apply(&x)?
    };
    let mut r = b - &ax;
    let mut d = r.clone();
    let mut rr = r.fdot(&r);
    let b_norm = b.fdot(b).sqrt();
    let threshold = settings.tol * b_norm;
    let mut phis: Vec<f64> = vec![0.5 * x.fdot(&ax) - b.fdot(&x)];
    let mut stop = CgStop::MaxIters;
    let mut iters = 0;
    if rr.sqrt() <= threshold {
        stop = CgStop::Converged;
    } else {
        // ANCHOR: cg_loop
        while iters < settings.max_iters {
            let ad = apply(&d)?;
            products += 1;
            let curv = d.fdot(&ad);
            if curv <= 0.0 || !curv.is_finite() {
                if iters == 0 && x.iter().all(|&v| v == 0.0) {
                    // From a zero start d₀ = b: fall back to the direction of
                    // steepest descent of φ itself.
                    x = d.clone();
                    ax = ad;
                }
                stop = CgStop::NegativeCurvature;
                break;
            }
            let alpha = rr / curv;
            x.scaled_add(alpha, &d);
            ax.scaled_add(alpha, &ad);
            r.scaled_add(-alpha, &ad);
            iters += 1;
            let rr_new = r.fdot(&r);
            if rr_new.sqrt() <= threshold {
                stop = CgStop::Converged;
                break;
            }
            if let Some(eps) = settings.progress_eps {
                let phi = 0.5 * x.fdot(&ax) - b.fdot(&x);
                phis.push(phi);
                let k = 10.max(iters / 10);
                if iters > k && phi < 0.0 {
                    let old = phis[iters - k];
                    if (phi - old) / phi < k as f64 * eps {
                        stop = CgStop::Progress;
                        break;
                    }
                }
            }
            let beta = rr_new / rr;
            rr = rr_new;
            d = &r + &(&d * beta);
        }
        // ANCHOR_END: cg_loop
    }
    let residual_norm = r.fdot(&r).sqrt();
    Ok(CgOutcome {
        x_a_x: x.fdot(&ax),
        x,
        iters,
        products,
        residual_norm,
        stop,
    })
}

/// Which curvature Hessian-free multiplies by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum HfCurvature {
    /// The generalised Gauss–Newton matrix (positive semi-definite; Martens' choice).
    Ggn,
    /// The Hessian (CG may then meet negative curvature and stop early).
    Hessian,
}

/// What Hessian-free carries besides [`truncated_cg`]: which curvature it
/// multiplies by, the CG settings, and the previous step that warm-starts
/// CG. The [`DampedRule`] of [`HessianFree`].
#[derive(Clone, Debug)]
pub struct HessianFreeRule {
    curvature: HfCurvature,
    cg: CgSettings,
    warm_decay: f64,
    previous: Option<Array1<f64>>,
}

impl Default for HessianFreeRule {
    fn default() -> Self {
        Self {
            curvature: HfCurvature::Ggn,
            cg: CgSettings::default(),
            warm_decay: 0.95,
            previous: None,
        }
    }
}

impl HessianFreeRule {
    /// The curvature CG multiplies by.
    pub fn curvature(&self) -> HfCurvature {
        self.curvature
    }

    /// The CG settings.
    pub fn cg(&self) -> &CgSettings {
        &self.cg
    }

    /// The warm-start decay.
    pub fn warm_decay(&self) -> f64 {
        self.warm_decay
    }
}

/// Runs [`truncated_cg`] on `(C + λI) Δ = −g` from the decayed previous
/// step: one curvature-vector product per CG iteration (plus one for a warm
/// start) under `curvature_count`, one `linear_solve_count` for the run.
/// The model curvature `ΔᵀCΔ = ΔᵀAΔ − λ‖Δ‖²` comes from CG's own quantities.
impl<O: CurvatureProducts> DampedRule<O> for HessianFreeRule {
    fn name(&self) -> &'static str {
        "Hessian-free"
    }

    fn reset(&mut self) {
        self.previous = None;
    }

    fn propose(
        &mut self,
        problem: &mut Problem<O>,
        param: &Array1<f64>,
        grad: &Array1<f64>,
        damping: f64,
        _need_model: bool,
    ) -> Result<ProposedStep, Error> {
        let (curvature, decay) = (self.curvature, self.warm_decay);
        let x0 = match self.previous.take() {
            Some(prev) if prev.len() == grad.len() && decay > 0.0 => prev * decay,
            _ => Array1::zeros(grad.len()),
        };
        let b = -grad;
        let mut products = 0u64;
        let outcome = truncated_cg(
            |v| {
                products += 1;
                let cv = match curvature {
                    HfCurvature::Ggn => problem.problem(CURVATURE_COUNT, |p| p.ggn_vec(param, v)),
                    HfCurvature::Hessian => {
                        problem.problem(CURVATURE_COUNT, |p| p.hessian_vec(param, v))
                    }
                }?;
                Ok(cv + &(v * damping))
            },
            &b,
            &x0,
            &self.cg,
        )?;
        add_count(problem, LINEAR_SOLVE_COUNT, 1);
        if !outcome.x.iter().all(|v| v.is_finite()) || !outcome.x_a_x.is_finite() {
            return Ok(ProposedStep::diverged(
                "non-finite curvature-vector product",
            ));
        }
        let model_curvature = outcome.x_a_x - damping * outcome.x.fdot(&outcome.x);
        self.previous = Some(outcome.x.clone());
        Ok(ProposedStep::new(
            outcome.x,
            Some(model_curvature),
            argmin::kv!(
                "cg_iters" => outcome.iters as u64;
                "cg_products" => products;
                "cg_residual" => outcome.residual_norm;
            ),
        ))
    }
}

/// # Hessian-free optimization (truncated Newton on curvature-vector products)
///
/// Each iteration approximately minimises the damped quadratic model
/// `q(Δ) = gᵀΔ + ½ Δᵀ(C + λI)Δ` by running [`truncated_cg`] on
///
/// ```text
/// (C + λ I) Δ = −∇L(p_k),      p_{k+1} = p_k + Δ
/// ```
///
/// using only products `C v` (one R-forward and one backward pass each),
/// never the matrix. Despite the name, `C` is by default the Gauss–Newton
/// matrix, as in Martens (2010): CG runs on Gauss–Newton-vector products
/// `G v`, which are positive semi-definite; [`HfCurvature::Hessian`] runs it
/// on Hessian-vector products instead. CG is warm started from the previous
/// step scaled by a decay (0.95 in Martens 2010), capped in iterations and
/// stopped by the residual or Martens' progress test. With
/// [`Damping::adaptive`], `λ` follows the Levenberg–Marquardt rule using `ρ`
/// from the undamped model, evaluated from CG's own quantities
/// (`ΔᵀCΔ = ΔᵀAΔ − λ‖Δ‖²`, no extra product); uphill steps are rejected
/// ([`Damped`] gives the iteration). Counts per iteration: one
/// curvature-vector product per CG iteration (plus one for a warm start)
/// under `curvature_count`, one linear solve (the CG run), the loss at the
/// trial point and the gradient at the accepted one. KV entries per
/// iteration: `"cg_iters"`, `"cg_products"`, `"cg_residual"`, `"damping"`,
/// `"rho"`, `"accepted"`, `"step_norm"`, `"predicted_decrease"`.
///
/// Left out from Martens 2010: CG backtracking over intermediate iterates
/// and the structural damping of recurrent networks.
///
/// ## Requirements on the optimization problem
/// `CostFunction`, `Gradient` on `Array1<f64>` (cost `f64`),
/// [`CurvatureProducts`] (`ggn_vec`, or `hessian_vec` with
/// [`HfCurvature::Hessian`]), and [`MiniBatched`](crate::curvature::MiniBatched)
/// (only in stochastic mode; gradient and products then share one batch,
/// whereas Martens uses a smaller batch for the products).
///
/// ## Hyperparameters
/// - damping: fixed `λ = 0.1` by default ([`Damping::DEFAULT`]), or
///   [`Damping::adaptive`], through [`Damped::with_damping`];
/// - curvature: default [`HfCurvature::Ggn`];
/// - CG settings: default cap 250, residual tolerance 1e-10, progress test `ε = 5e-4`
///   ([`CgSettings`]);
/// - warm-start decay in `[0, 1)`: default 0.95 (0 starts CG from zero);
/// - mini-batch size and seed: full batch by default.
///
/// ## Reference
/// J. Martens, *Deep learning via Hessian-free optimization*, ICML 2010;
/// J. Nocedal and S. J. Wright, *Numerical Optimization*, 2nd ed., §7.1.
pub type HessianFree = Damped<HessianFreeRule>;

impl Default for Damped<HessianFreeRule> {
    fn default() -> Self {
        Self::from_rule(HessianFreeRule::default(), Damping::DEFAULT)
    }
}

impl Damped<HessianFreeRule> {
    /// Hessian-free with fixed damping 0.1 on the GGN, default CG settings, warm start 0.95.
    pub fn new() -> Self {
        Self::default()
    }

    /// The curvature (default [`HfCurvature::Ggn`]).
    pub fn with_curvature(mut self, curvature: HfCurvature) -> Self {
        self.rule_mut().curvature = curvature;
        self
    }

    /// CG settings (default [`CgSettings::default`]).
    ///
    /// # Errors
    /// `InvalidParameter` if the cap is zero, the tolerance is negative or not
    /// finite, or the progress `ε` is not finite and > 0.
    pub fn with_cg(mut self, cg: CgSettings) -> Result<Self, Error> {
        if cg.max_iters == 0 {
            return Err(argmin::core::ArgminError::InvalidParameter {
                text: "`HessianFree`: CG needs at least one iteration".into(),
            }
            .into());
        }
        check_positive("HessianFree", "CG tolerance", cg.tol, true)?;
        if let Some(e) = cg.progress_eps {
            check_positive("HessianFree", "progress epsilon", e, false)?;
        }
        self.rule_mut().cg = cg;
        Ok(self)
    }

    /// Warm-start decay in `[0, 1)` (default 0.95; 0 starts CG from zero).
    ///
    /// # Errors
    /// `InvalidParameter` unless `decay ∈ [0, 1)`.
    pub fn with_warm_start(mut self, decay: f64) -> Result<Self, Error> {
        self.rule_mut().warm_decay = check_unit("HessianFree", "warm-start decay", decay)?;
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array2};

    fn spd() -> Array2<f64> {
        array![
            [4.0, 1.0, 0.5, 0.0],
            [1.0, 3.0, 0.2, 0.1],
            [0.5, 0.2, 2.0, 0.3],
            [0.0, 0.1, 0.3, 1.0]
        ]
    }

    #[test]
    fn cg_solves_spd_system_in_n_steps() {
        let a = spd();
        let b = array![1.0, -2.0, 0.5, 3.0];
        let settings = CgSettings {
            max_iters: 50,
            tol: 1e-14,
            progress_eps: None,
        };
        let out = truncated_cg(|v| Ok(a.fdot(v)), &b, &Array1::zeros(4), &settings).unwrap();
        let exact = crate::linalg::solve(&a, &b).unwrap();
        assert!((&out.x - &exact).iter().all(|v| v.abs() < 1e-12));
        assert!(out.iters <= 5, "{}", out.iters);
        assert_eq!(out.stop, CgStop::Converged);
        assert!((out.x_a_x - exact.fdot(&a.fdot(&exact))).abs() < 1e-12);
        // warm start at the solution: one product, no iteration
        let warm = truncated_cg(|v| Ok(a.fdot(v)), &b, &exact, &settings).unwrap();
        assert_eq!((warm.iters, warm.products), (0, 1));
    }

    #[test]
    fn cg_cap_and_negative_curvature() {
        let a = spd();
        let b = array![1.0, -2.0, 0.5, 3.0];
        let capped = CgSettings {
            max_iters: 2,
            tol: 0.0,
            progress_eps: None,
        };
        let out = truncated_cg(|v| Ok(a.fdot(v)), &b, &Array1::zeros(4), &capped).unwrap();
        assert_eq!((out.iters, out.stop), (2, CgStop::MaxIters));
        let indefinite = array![[1.0, 0.0], [0.0, -1.0]];
        let out = truncated_cg(
            |v| Ok(indefinite.fdot(v)),
            &array![0.0, 1.0],
            &Array1::zeros(2),
            &CgSettings::default(),
        )
        .unwrap();
        assert_eq!(out.stop, CgStop::NegativeCurvature);
        assert!(out.x.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn validation() {
        let bad = CgSettings {
            max_iters: 0,
            ..CgSettings::default()
        };
        assert!(HessianFree::new().with_cg(bad).is_err());
        assert!(HessianFree::new().with_warm_start(1.0).is_err());
    }
}
