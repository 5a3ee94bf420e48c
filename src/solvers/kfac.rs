//! K-FAC: Kronecker-factored approximate curvature (Martens & Grosse 2015).

use crate::linalg::FixedDot;
use argmin::core::{Error, Problem};
use ndarray::{s, Array1, Array2};
use serde::{Deserialize, Serialize};

use super::common::{add_count, check_unit, solve_damped, CURVATURE_COUNT, LINEAR_SOLVE_COUNT};
use super::damped::{Damped, DampedRule, ProposedStep};
use super::damping::Damping;
use crate::curvature::{
    kron, sym_eig, CurvatureProducts, FisherKind, KfacCurvature, KfacFactors, KfacLayer,
};
use crate::mlp::Parameterisation;

/// How the damping `λ` enters K-FAC's curvature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum KfacDampingMode {
    /// Plain Tikhonov: each layer's block is `G ⊗ A + λI`, inverted exactly
    /// from the eigendecompositions `G = U_G Λ_G U_Gᵀ`, `A = U_A Λ_A U_Aᵀ`:
    /// `(G⊗A + λI)⁻¹ = (U_G⊗U_A) diag(1/(λ_G,i λ_A,j + λ)) (U_G⊗U_A)ᵀ`.
    /// On the output-weight slice this is the `Γ·A + λI` of the Quad_vs_Grad
    /// program ([`crate::problem`] cites it).
    Tikhonov,
    /// Factored Tikhonov (Martens & Grosse §6.3): each block is replaced by
    /// `(G + (√λ/π) I) ⊗ (A + π√λ I)` with
    /// `π = √((tr A / dim A) / (tr G / dim G))`, so the inverse stays a
    /// Kronecker product of two small inverses.
    Factored,
}

/// The arithmetic of a K-FAC step from given factors and damping `λ`:
/// `Δ = −C_λ⁻¹ g` with the damped Kronecker-factored curvature `C_λ` of
/// [`KfacDampingMode`].
///
/// With [`Parameterisation::Full`] each layer is preconditioned on its own
/// (block-diagonal K-FAC): writing the layer's gradient block as the
/// `n_l × (n_{l−1}+1)` matrix `V` (row-major, as in [`crate::mlp`]),
/// `(G⊗A)⁻¹ vec(V) = vec(G⁻¹ V A⁻¹)`. On a plane `θ = θ₀ + Dᵀp` (here `k` is
/// small) the damped block-diagonal matrix is formed in θ-space, reduced to
/// `D C_λ Dᵀ` (plus `λI` in the Tikhonov mode) and solved densely.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct KfacStep {
    /// How the damping enters.
    pub mode: KfacDampingMode,
}

/// `π` of factored Tikhonov damping (1 when a factor has zero trace).
pub fn pi_correction(layer: &KfacLayer) -> f64 {
    let ta = layer.a.diag().sum() / layer.a.nrows() as f64;
    let tg = layer.g.diag().sum() / layer.g.nrows() as f64;
    if ta > 0.0 && tg > 0.0 && ta.is_finite() && tg.is_finite() {
        (ta / tg).sqrt()
    } else {
        1.0
    }
}

fn add_diag(m: &Array2<f64>, d: f64) -> Array2<f64> {
    let mut out = m.clone();
    for i in 0..out.nrows() {
        out[[i, i]] += d;
    }
    out
}

fn inverse_spd(m: &Array2<f64>) -> Result<Array2<f64>, Error> {
    let (ev, u) = sym_eig(m)?;
    if ev.iter().any(|&e| e <= 0.0) {
        return Err(crate::Error::Linalg(
            "K-FAC: a damped factor is not positive definite (use a damping > 0)".into(),
        )
        .into());
    }
    let scaled = &u / &ev;
    Ok(scaled.fdot(&u.t()))
}

impl KfacStep {
    /// The damped factors of one layer in factored mode: `(G + (√λ/π)I, A + π√λ I)`.
    pub fn factored_layer(&self, layer: &KfacLayer, damping: f64) -> (Array2<f64>, Array2<f64>) {
        let pi = pi_correction(layer);
        let r = damping.sqrt();
        (add_diag(&layer.g, r / pi), add_diag(&layer.a, r * pi))
    }

    /// The damped curvature `C_λ` in θ-space (`D_θ × D_θ`, block diagonal);
    /// for tests and figures, the step never forms it for full networks.
    pub fn dense_theta(&self, factors: &KfacFactors, damping: f64) -> Array2<f64> {
        let mut m = Array2::zeros((factors.num_params, factors.num_params));
        for layer in &factors.layers {
            let block = match self.mode {
                KfacDampingMode::Tikhonov => add_diag(&kron(&layer.g, &layer.a), damping),
                KfacDampingMode::Factored => {
                    let (g, a) = self.factored_layer(layer, damping);
                    kron(&g, &a)
                }
            };
            let (o, n) = (layer.offset, layer.size());
            m.slice_mut(s![o..o + n, o..o + n]).assign(&block);
        }
        m
    }

    /// The step `−C_λ⁻¹ g` (in the optimizer's space) and the number of
    /// linear solves (factor inverses or dense solves) it took.
    ///
    /// # Errors
    /// If a damped factor is singular or not finite, or `grad` has the wrong length.
    pub fn step(
        &self,
        factors: &KfacFactors,
        grad: &Array1<f64>,
        damping: f64,
    ) -> Result<(Array1<f64>, u64), Error> {
        match &factors.param {
            Parameterisation::Full => {
                if grad.len() != factors.num_params {
                    return Err(crate::Error::Shape(format!(
                        "gradient has {} entries, the network {}",
                        grad.len(),
                        factors.num_params
                    ))
                    .into());
                }
                let mut out = Array1::zeros(grad.len());
                for layer in &factors.layers {
                    let (rows, cols) = (layer.g.nrows(), layer.a.nrows());
                    let o = layer.offset;
                    let v = grad
                        .slice(s![o..o + rows * cols])
                        .to_owned()
                        .into_shape_with_order((rows, cols))
                        .map_err(|e| crate::Error::Shape(e.to_string()))?;
                    // ANCHOR: kfac_step
                    let pv = match self.mode {
                        KfacDampingMode::Tikhonov => {
                            let (eg, ug) = sym_eig(&layer.g)?;
                            let (ea, ua) = sym_eig(&layer.a)?;
                            let mut w = ug.t().fdot(&v).fdot(&ua);
                            for i in 0..rows {
                                for j in 0..cols {
                                    let d = eg[i] * ea[j] + damping;
                                    if d <= 0.0 {
                                        return Err(crate::Error::Linalg(
                                            "K-FAC: G⊗A + λI is singular (use a damping > 0)"
                                                .into(),
                                        )
                                        .into());
                                    }
                                    w[[i, j]] /= d;
                                }
                            }
                            ug.fdot(&w).fdot(&ua.t())
                        }
                        KfacDampingMode::Factored => {
                            let (g, a) = self.factored_layer(layer, damping);
                            inverse_spd(&g)?.fdot(&v).fdot(&inverse_spd(&a)?)
                        }
                    };
                    // ANCHOR_END: kfac_step
                    out.slice_mut(s![o..o + rows * cols])
                        .assign(&Array1::from_iter(pv.iter().copied()));
                }
                Ok((-out, 2 * factors.layers.len() as u64))
            }
            Parameterisation::Plane(_) => {
                let (c, extra) = match self.mode {
                    KfacDampingMode::Tikhonov => (factors.dense()?, damping),
                    KfacDampingMode::Factored => (
                        factors
                            .param
                            .reduce_mat(self.dense_theta(factors, damping))?,
                        0.0,
                    ),
                };
                Ok((-solve_damped(&c, extra, grad)?, 1))
            }
        }
    }
}

/// What K-FAC carries besides the pure [`KfacStep`]: which Fisher the
/// factors estimate, the moving averages of the factors, and the iteration
/// count (which offsets a Monte-Carlo seed). The [`DampedRule`] of [`Kfac`].
#[derive(Clone, Debug)]
pub struct KfacRule {
    /// The step arithmetic (damping mode).
    pub step: KfacStep,
    fisher: FisherKind,
    ema: Option<f64>,
    averaged: Option<KfacFactors>,
    iter: u64,
}

impl Default for KfacRule {
    fn default() -> Self {
        Self {
            step: KfacStep {
                mode: KfacDampingMode::Factored,
            },
            fisher: FisherKind::Exact,
            ema: None,
            averaged: None,
            iter: 0,
        }
    }
}

impl KfacRule {
    /// Which Fisher the factors estimate.
    pub fn fisher(&self) -> FisherKind {
        self.fisher
    }

    /// The moving-average decay `ε`, if the factors are averaged.
    pub fn ema(&self) -> Option<f64> {
        self.ema
    }

    /// Blends fresh factors into the running averages (or returns them as they are).
    fn average(&mut self, fresh: KfacFactors) -> KfacFactors {
        let Some(decay) = self.ema else {
            return fresh;
        };
        let blended = match self.averaged.take() {
            Some(mut avg) if avg.layers.len() == fresh.layers.len() => {
                for (a, f) in avg.layers.iter_mut().zip(&fresh.layers) {
                    a.a = &a.a * decay + &(&f.a * (1.0 - decay));
                    a.g = &a.g * decay + &(&f.g * (1.0 - decay));
                }
                avg
            }
            _ => fresh,
        };
        self.averaged = Some(blended.clone());
        blended
    }
}

/// Computes the factors (one `curvature_count`), averages them, solves
/// (two factor eigendecompositions per layer, or one dense solve on a plane,
/// under `linear_solve_count`), and for adaptive damping the exact GGN model
/// curvature `ΔᵀGΔ` (one GGN-vector product, one more `curvature_count`).
impl<O: KfacCurvature + CurvatureProducts> DampedRule<O> for KfacRule {
    fn name(&self) -> &'static str {
        "K-FAC"
    }

    fn reset(&mut self) {
        self.averaged = None;
        self.iter = 0;
    }

    fn propose(
        &mut self,
        problem: &mut Problem<O>,
        param: &Array1<f64>,
        grad: &Array1<f64>,
        damping: f64,
        need_model: bool,
    ) -> Result<ProposedStep, Error> {
        let fisher = match self.fisher {
            FisherKind::MonteCarlo { samples, seed } => FisherKind::MonteCarlo {
                samples,
                seed: seed.wrapping_add(self.iter),
            },
            other => other,
        };
        self.iter += 1;
        let fresh = problem.problem(CURVATURE_COUNT, |p| p.kfac_factors(param, fisher))?;
        let factors = self.average(fresh);
        let finite = factors
            .layers
            .iter()
            .all(|l| l.a.iter().chain(l.g.iter()).all(|v| v.is_finite()));
        if !finite {
            return Ok(ProposedStep::diverged("non-finite K-FAC factors"));
        }
        let (step, solves) = self.step.step(&factors, grad, damping)?;
        add_count(problem, LINEAR_SOLVE_COUNT, solves);
        let model_curvature = if need_model {
            let gs = problem.problem(CURVATURE_COUNT, |p| p.ggn_vec(param, &step))?;
            Some(step.fdot(&gs))
        } else {
            None
        };
        let pi = factors.layers.first().map_or(1.0, pi_correction);
        Ok(ProposedStep::new(
            step,
            model_curvature,
            argmin::kv!("pi" => pi;),
        ))
    }
}

/// # K-FAC (Kronecker-factored approximate curvature)
///
/// Natural-gradient descent with the Fisher (here equal to the GGN)
/// approximated, per layer `l`, by a Kronecker product of two small matrices:
/// the second moment of the layer's bias-augmented inputs `A_l = E[â âᵀ]` and
/// that of its back-propagated output signals `G_l = E[g gᵀ]`
/// ([`crate::curvature`] gives the exact definitions):
///
/// ```text
/// F ≈ blockdiag_l (G_l ⊗ A_l),     p_{k+1} = p_k − C_λ⁻¹ ∇L(p_k)
/// ```
///
/// where `C_λ` is the damped approximation of [`KfacDampingMode`]
/// (`G⊗A + λI` inverted exactly, or factored Tikhonov with the π
/// correction). Inverting `G_l ⊗ A_l` costs two small inverses instead of one
/// of the layer's full size. Options: exponential moving averages of the
/// factors (`A ← εA + (1−ε)A_new`, likewise `G`), and
/// [`Damping::adaptive`] Levenberg–Marquardt adaptation of `λ`, where the
/// reduction ratio uses the exact GGN quadratic model `gᵀΔ + ½ΔᵀGΔ` (one
/// GGN-vector product) and uphill steps are rejected ([`Damped`] gives the
/// iteration). Each iteration computes the factors once (counted as one
/// curvature evaluation), two factor eigendecompositions per layer (or one
/// dense solve on a plane; counted as linear solves), the loss at the trial
/// point and the gradient at the accepted one. KV entries per iteration:
/// `"pi"` (the first layer's π), `"damping"`, `"rho"`, `"accepted"`,
/// `"step_norm"`, `"predicted_decrease"` (only with adaptive damping, where
/// the model curvature is computed). Pure arithmetic: [`KfacStep`].
///
/// Left out from Martens & Grosse: the re-scaling of the update and the
/// momentum computed from the exact quadratic model (§7), and the
/// block-tridiagonal inverse.
///
/// ## Requirements on the optimization problem
/// `CostFunction`, `Gradient` on `Array1<f64>` (cost `f64`),
/// [`KfacCurvature`] (layer factors), [`CurvatureProducts::ggn_vec`] (only
/// with adaptive damping), and [`MiniBatched`](crate::curvature::MiniBatched)
/// (only in stochastic mode, where the factors come from each fresh batch).
///
/// ## Hyperparameters
/// - damping: fixed `λ = 0.1` by default ([`Damping::DEFAULT`]), or
///   [`Damping::adaptive`], through [`Damped::with_damping`];
/// - damping mode: default [`KfacDampingMode::Factored`];
/// - Fisher kind used for the factors: default [`FisherKind::Exact`];
/// - moving-average decay `ε ∈ [0, 1)`: default none (fresh factors every
///   iteration); Martens & Grosse use up to 0.95;
/// - mini-batch size and seed: full batch by default.
///
/// ## Reference
/// J. Martens and R. Grosse, *Optimizing Neural Networks with
/// Kronecker-factored Approximate Curvature*, ICML 2015.
pub type Kfac = Damped<KfacRule>;

impl Default for Damped<KfacRule> {
    fn default() -> Self {
        Self::from_rule(KfacRule::default(), Damping::DEFAULT)
    }
}

impl Damped<KfacRule> {
    /// K-FAC with fixed damping 0.1, factored Tikhonov, exact Fisher, no averaging, full batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// How the damping enters (default [`KfacDampingMode::Factored`]).
    pub fn with_mode(mut self, mode: KfacDampingMode) -> Self {
        self.rule_mut().step.mode = mode;
        self
    }

    /// Which Fisher the factors estimate (default [`FisherKind::Exact`]).
    /// A Monte-Carlo seed is offset by the iteration number.
    pub fn with_fisher(mut self, fisher: FisherKind) -> Self {
        self.rule_mut().fisher = fisher;
        self
    }

    /// Exponential moving averages of the factors with decay `ε ∈ [0, 1)`
    /// (default: none).
    ///
    /// # Errors
    /// `InvalidParameter` unless `decay ∈ [0, 1)`.
    pub fn with_ema(mut self, decay: f64) -> Result<Self, Error> {
        self.rule_mut().ema = Some(check_unit("Kfac", "moving-average decay", decay)?);
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn layer(offset: usize) -> KfacLayer {
        KfacLayer {
            offset,
            a: array![[2.0, 0.3, 0.1], [0.3, 1.0, 0.2], [0.1, 0.2, 1.0]],
            g: array![[0.5, 0.1], [0.1, 0.2]],
        }
    }

    fn factors() -> KfacFactors {
        let last = KfacLayer {
            offset: 6,
            a: array![[1.0, 0.2, 0.0], [0.2, 0.7, 0.1], [0.0, 0.1, 1.0]],
            g: array![[0.15]],
        };
        KfacFactors {
            layers: vec![layer(0), last],
            param: Parameterisation::Full,
            num_params: 9,
        }
    }

    #[test]
    fn step_equals_dense_solve_in_both_modes() {
        let f = factors();
        let g = Array1::from_iter((0..9).map(|i| (i as f64 * 0.7).sin()));
        for mode in [KfacDampingMode::Tikhonov, KfacDampingMode::Factored] {
            let rule = KfacStep { mode };
            let (s, solves) = rule.step(&f, &g, 0.05).unwrap();
            assert_eq!(solves, 4);
            let r = rule.dense_theta(&f, 0.05).fdot(&s) + &g;
            assert!(r.iter().all(|v| v.abs() < 1e-12), "{mode:?}: {r}");
        }
    }

    #[test]
    fn pi_balances_traces() {
        let l = layer(0);
        let pi = pi_correction(&l);
        assert!((pi * pi - (4.0 / 3.0) / (0.7 / 2.0)).abs() < 1e-12);
    }

    #[test]
    fn moving_average_blends_factors() {
        let mut k = Kfac::new().with_ema(0.75).unwrap().rule().clone();
        let f1 = factors();
        let mut f2 = factors();
        f2.layers[0].a *= 3.0;
        f2.layers[1].g *= 5.0;
        assert_eq!(k.average(f1.clone()), f1);
        let avg = k.average(f2);
        let want_a = &f1.layers[0].a * 0.75 + &(&f1.layers[0].a * 3.0 * 0.25);
        let want_g = &f1.layers[1].g * 0.75 + &(&f1.layers[1].g * 5.0 * 0.25);
        assert!((&avg.layers[0].a - &want_a).iter().all(|v| v.abs() < 1e-15));
        assert!((&avg.layers[1].g - &want_g).iter().all(|v| v.abs() < 1e-15));
        // without averaging the fresh factors pass through
        let mut plain = KfacRule::default();
        let f3 = factors();
        assert_eq!(plain.average(f3.clone()), f3);
    }

    #[test]
    fn validation() {
        assert!(Kfac::new().with_ema(1.0).is_err());
        assert!(Kfac::new().with_minibatch(0, 3).is_err());
        assert_eq!(Kfac::new().damping(), &Damping::fixed(0.1).unwrap());
        assert_eq!(Kfac::new().with_ema(0.5).unwrap().rule().ema(), Some(0.5));
    }
}
