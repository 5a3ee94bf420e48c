//! BFGS and L-BFGS on mini-batches with a fixed step: the naive version,
//! whose curvature pairs mix two batches, and the standard fix, oBFGS /
//! oLBFGS (Schraudolph, Yu & Günter 2007), which forms both gradients of a
//! pair on the same batch.

use crate::linalg::FixedDot;
use std::collections::VecDeque;

use argmin::core::{CostFunction, Error, Gradient, KvValue, Problem, Solver, State, KV};
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

use super::common::{
    all_finite, check_positive, diverged, finish_iter, init_state, next_batch, take_param,
    BatchSampling, BatchSchedule, VecState,
};
use crate::curvature::MiniBatched;

/// Which gradients a curvature pair `(s_k, y_k)` of a stochastic
/// quasi-Newton method compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PairBatch {
    /// The naive mini-batch BFGS: the gradients of two consecutive
    /// iterations, each on its own batch,
    /// `y_k = ĝ(p_{k+1}; B_{k+1}) − ĝ(p_k; B_k)`. The difference then holds
    /// the sampling noise `ĝ_{B_{k+1}} − ĝ_{B_k}`, whose size does not shrink
    /// with the step: as steps get short, `y_k` is mostly noise and `s_kᵀy_k`
    /// is often negative, so the pair is skipped or corrupts the inverse
    /// Hessian. No extra work.
    Consecutive,
    /// oBFGS / oLBFGS: both gradients on the batch `B_k` of the step,
    /// `y_k = ĝ(p_{k+1}; B_k) − ĝ(p_k; B_k)`, a secant of one fixed function,
    /// the batch loss `L_{B_k}` (positive `s_kᵀy_k` wherever it is convex).
    /// Costs one extra gradient per iteration (counted under
    /// `gradient_count`).
    Same,
}

/// What the curvature pairs of a run looked like.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairStats {
    /// Pairs formed.
    pub pairs: u64,
    /// Pairs with `sᵀy ≤ 0` (before the model-trust term `λ s` is added):
    /// curvature that says "the loss is concave along the step", which BFGS
    /// cannot take (its inverse Hessian would stop being positive definite).
    pub non_positive: u64,
    /// Pairs skipped (not used to update the inverse Hessian): those with
    /// `sᵀy ≤ ε ‖s‖ ‖y‖` (`ε` = [`SKIP_EPSILON`]) after `y ← y + λ s`.
    pub skipped: u64,
    /// Gradients evaluated only to form pairs (oBFGS's second gradient).
    pub extra_gradients: u64,
}

/// The relative threshold `ε` below which a pair is skipped:
/// `sᵀy ≤ ε ‖s‖ ‖y‖` (Nocedal & Wright §6.1 skip nearly-zero curvature).
pub const SKIP_EPSILON: f64 = 1e-8;

/// An approximation `H ≈ ∇²L⁻¹` built from curvature pairs: the pure
/// arithmetic of a quasi-Newton method.
pub trait InverseHessian: Clone + std::fmt::Debug {
    /// `"BFGS"` or `"L-BFGS"`.
    fn name(&self) -> &'static str;
    /// Forgets every pair.
    fn reset(&mut self);
    /// `H g`.
    fn apply(&self, g: &Array1<f64>) -> Array1<f64>;
    /// Takes the pair `(s, y)`; the caller guarantees `sᵀy > 0`.
    fn update(&mut self, s: &Array1<f64>, y: &Array1<f64>);
}

/// The dense BFGS inverse Hessian:
///
/// ```text
/// H₀ = I;  before the first update H ← (sᵀy / yᵀy) I   (Nocedal & Wright eq. 6.20)
/// H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ,   ρ = 1 / (sᵀy)
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DenseInverse {
    h: Option<Array2<f64>>,
}

impl DenseInverse {
    /// The current matrix (`None` before the first pair: the identity).
    pub fn matrix(&self) -> Option<&Array2<f64>> {
        self.h.as_ref()
    }
}

impl InverseHessian for DenseInverse {
    fn name(&self) -> &'static str {
        "BFGS"
    }

    fn reset(&mut self) {
        self.h = None;
    }

    fn apply(&self, g: &Array1<f64>) -> Array1<f64> {
        match &self.h {
            Some(h) => h.fdot(g),
            None => g.clone(),
        }
    }

    // ANCHOR: bfgs_update
    fn update(&mut self, s: &Array1<f64>, y: &Array1<f64>) {
        let sy = s.fdot(y);
        let rho = 1.0 / sy;
        let h = self
            .h
            .take()
            .unwrap_or_else(|| Array2::eye(s.len()) * (sy / y.fdot(y)));
        let hy = h.fdot(y);
        let yhy = y.fdot(&hy);
        let n = s.len();
        let mut out = h;
        let c = rho * rho * yhy + rho;
        for i in 0..n {
            for j in 0..n {
                out[[i, j]] += -rho * (hy[i] * s[j] + s[i] * hy[j]) + c * s[i] * s[j];
            }
        }
        self.h = Some(out);
    }
    // ANCHOR_END: bfgs_update
}

/// The L-BFGS two-loop recursion (Nocedal & Wright, *Numerical
/// Optimization*, 2nd ed., Algorithm 7.4): `H g` for the inverse-Hessian
/// estimate that the curvature pairs `(s_i, y_i)` (oldest first) build from
/// `H₀ = γ I`, in `O(m D)` work and without forming any matrix. The search
/// direction is `−H g`.
///
/// ```text
/// q ← g
/// for i = newest … oldest:   ρ_i = 1/(s_iᵀy_i),  α_i = ρ_i s_iᵀq,  q ← q − α_i y_i
/// r ← γ q
/// for i = oldest … newest:   β = ρ_i y_iᵀr,  r ← r + (α_i − β) s_i
/// return r
/// ```
///
/// With `γ = s_mᵀy_m / y_mᵀy_m` of the newest pair (N&W eq. 7.20) this is
/// the direction argmin's `LBFGS` takes (a test checks it on the same
/// history); [`LimitedInverse`] uses the mean of that ratio over its pairs.
pub fn two_loop<'a>(
    pairs: impl DoubleEndedIterator<Item = (&'a Array1<f64>, &'a Array1<f64>)> + Clone,
    g: &Array1<f64>,
    gamma: f64,
) -> Array1<f64> {
    // ANCHOR: two_loop
    let mut q = g.clone();
    let mut alphas = Vec::new();
    for (s, y) in pairs.clone().rev() {
        let rho = 1.0 / s.fdot(y);
        let a = rho * s.fdot(&q);
        q.scaled_add(-a, y);
        alphas.push((rho, a));
    }
    let mut r = q * gamma;
    for ((s, y), (rho, a)) in pairs.zip(alphas.into_iter().rev()) {
        let b = rho * y.fdot(&r);
        r.scaled_add(a - b, s);
    }
    r
    // ANCHOR_END: two_loop
}

/// The L-BFGS inverse Hessian: the last `memory` pairs, applied by the
/// two-loop recursion (Nocedal & Wright, Algorithm 7.4) with `H₀ = γ I`,
/// `γ` the mean of `sᵢᵀyᵢ / yᵢᵀyᵢ` over the pairs held: oLBFGS's choice
/// (Schraudolph, Yu & Günter 2007), steadier under noise than Nocedal &
/// Wright's newest pair alone (eq. 7.20), which it equals with one pair.
#[derive(Clone, Debug, PartialEq)]
pub struct LimitedInverse {
    memory: usize,
    pairs: VecDeque<(Array1<f64>, Array1<f64>, f64)>,
}

impl LimitedInverse {
    /// Keeps the last `memory` pairs (at least 1).
    pub fn new(memory: usize) -> Self {
        Self {
            memory: memory.max(1),
            pairs: VecDeque::new(),
        }
    }

    /// Pairs held.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// `true` before the first pair.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }
}

impl InverseHessian for LimitedInverse {
    fn name(&self) -> &'static str {
        "L-BFGS"
    }

    fn reset(&mut self) {
        self.pairs.clear();
    }

    fn apply(&self, g: &Array1<f64>) -> Array1<f64> {
        let gamma = if self.pairs.is_empty() {
            1.0
        } else {
            let sum: f64 = self
                .pairs
                .iter()
                .map(|(s, y, _)| s.fdot(y) / y.fdot(y))
                .sum();
            sum / self.pairs.len() as f64
        };
        two_loop(self.pairs.iter().map(|(s, y, _)| (s, y)), g, gamma)
    }

    fn update(&mut self, s: &Array1<f64>, y: &Array1<f64>) {
        if self.pairs.len() == self.memory {
            self.pairs.pop_front();
        }
        self.pairs
            .push_back((s.clone(), y.clone(), 1.0 / s.fdot(y)));
    }
}

/// # Stochastic quasi-Newton with a fixed step (naive, oBFGS, oLBFGS)
///
/// BFGS or L-BFGS ([`InverseHessian`]) without a line search, for
/// mini-batches, with learning rate `η`:
///
/// ```text
/// p_{k+1} = p_k − η H_k ĝ(p_k; B_k)
/// s_k = p_{k+1} − p_k,   y_k = (see PairBatch) + λ s_k
/// H_{k+1} = BFGS(H_k, s_k, y_k)  if s_kᵀy_k > ε ‖s_k‖ ‖y_k‖, else H_k (pair skipped)
/// ```
///
/// [`PairBatch::Consecutive`] is the naive version (`y_k` from two
/// batches); [`PairBatch::Same`] is oBFGS / oLBFGS (`y_k` from one batch,
/// one extra gradient per iteration). A line search is left out on
/// purpose: on a fresh batch every iteration its sufficient-decrease test
/// compares losses of different functions. `λ ≥ 0`
/// ([`StochasticQuasiNewton::with_regularization`], default 0) is oBFGS's
/// model-trust term, which keeps `sᵀy ≥ λ‖s‖² > 0`. Left out from
/// Schraudolph et al.: the decaying gain `η_t = τ/(τ + t) η₀` and the `c`
/// scaling of the step (here constant `η`).
///
/// In full-batch mode both variants are fixed-step BFGS with exact pairs
/// `y_k = g_{k+1} − g_k` (the gradient at the new point is evaluated
/// anyway; no extra gradient). The pair statistics ([`PairStats`]) are kept
/// in the solver ([`StochasticQuasiNewton::pair_stats`]) and reported per
/// iteration as KV entries: `"sy"` (`s_kᵀy_k`, NaN when no pair was formed),
/// `"pair_skipped"`, the running totals `"pairs"`, `"bad_pairs"` (`sᵀy ≤ 0`)
/// and `"skipped_pairs"`, and `"step_norm"`.
///
/// ## Requirements on the optimization problem
/// `CostFunction`, `Gradient` on `Array1<f64>` (cost `f64`), and
/// [`MiniBatched`] (only used in stochastic mode).
///
/// ## Reference
/// N. N. Schraudolph, J. Yu and S. Günter, *A stochastic quasi-Newton method
/// for online convex optimization*, AISTATS 2007 (oBFGS, oLBFGS);
/// J. Nocedal and S. J. Wright, *Numerical Optimization*, 2nd ed., 2006,
/// §6.1 and §7.2; R. H. Byrd, S. L. Hansen, J. Nocedal and Y. Singer, *A
/// stochastic quasi-Newton method for large-scale optimization*, SIAM J.
/// Optim. 26(2), 2016 (why the naive pairs fail).
#[derive(Clone, Debug)]
pub struct StochasticQuasiNewton<M> {
    lr: f64,
    inverse: M,
    pair_batch: PairBatch,
    regularization: f64,
    batches: Option<BatchSchedule>,
    stats: PairStats,
    previous: Option<(Array1<f64>, Array1<f64>)>,
}

/// Fixed-step BFGS on mini-batches ([`StochasticQuasiNewton`] with a dense
/// inverse Hessian).
pub type StochasticBfgs = StochasticQuasiNewton<DenseInverse>;

/// Fixed-step L-BFGS on mini-batches ([`StochasticQuasiNewton`] with the
/// two-loop recursion).
pub type StochasticLbfgs = StochasticQuasiNewton<LimitedInverse>;

impl StochasticQuasiNewton<DenseInverse> {
    /// Fixed-step BFGS with learning rate `lr`, pairs `pair_batch`, full
    /// batch.
    ///
    /// # Errors
    /// `InvalidParameter` unless `lr` is finite and > 0.
    pub fn bfgs(lr: f64, pair_batch: PairBatch) -> Result<Self, Error> {
        Self::from_inverse(DenseInverse::default(), lr, pair_batch)
    }
}

impl StochasticQuasiNewton<LimitedInverse> {
    /// Fixed-step L-BFGS with learning rate `lr`, `memory` pairs (at least
    /// 1), pairs `pair_batch`, full batch.
    ///
    /// # Errors
    /// `InvalidParameter` unless `lr` is finite and > 0 and `memory ≥ 1`.
    pub fn lbfgs(lr: f64, memory: usize, pair_batch: PairBatch) -> Result<Self, Error> {
        if memory == 0 {
            return Err(argmin::core::ArgminError::InvalidParameter {
                text: "`StochasticLbfgs`: memory must be at least 1".into(),
            }
            .into());
        }
        Self::from_inverse(LimitedInverse::new(memory), lr, pair_batch)
    }
}

impl<M: InverseHessian> StochasticQuasiNewton<M> {
    /// A fixed-step quasi-Newton method on any [`InverseHessian`].
    ///
    /// # Errors
    /// `InvalidParameter` unless `lr` is finite and > 0.
    pub fn from_inverse(inverse: M, lr: f64, pair_batch: PairBatch) -> Result<Self, Error> {
        check_positive("StochasticQuasiNewton", "learning rate", lr, false)?;
        Ok(Self {
            lr,
            inverse,
            pair_batch,
            regularization: 0.0,
            batches: None,
            stats: PairStats::default(),
            previous: None,
        })
    }

    /// Stochastic mode: a fresh seeded mini-batch of `batch_size` examples
    /// at every iteration. Default: full batch.
    ///
    /// # Errors
    /// `InvalidParameter` if `batch_size` is zero.
    pub fn with_minibatch(mut self, batch_size: usize, seed: u64) -> Result<Self, Error> {
        self.batches = Some(BatchSchedule::new(batch_size, seed)?);
        Ok(self)
    }

    /// oBFGS's model-trust term `λ ≥ 0`: `y ← y + λ s` (default 0).
    ///
    /// # Errors
    /// `InvalidParameter` unless `λ` is finite and ≥ 0.
    pub fn with_regularization(mut self, lambda: f64) -> Result<Self, Error> {
        self.regularization = check_positive("StochasticQuasiNewton", "lambda", lambda, true)?;
        Ok(self)
    }

    /// The learning rate.
    pub fn lr(&self) -> f64 {
        self.lr
    }

    /// Which gradients a pair compares.
    pub fn pair_batch(&self) -> PairBatch {
        self.pair_batch
    }

    /// The pairs of the run so far.
    pub fn pair_stats(&self) -> PairStats {
        self.stats
    }

    /// The inverse-Hessian approximation.
    pub fn inverse(&self) -> &M {
        &self.inverse
    }

    /// Takes the pair `(s, y)` (plus `λ s`): updates the inverse Hessian or
    /// skips it; returns `(sᵀy, skipped)`.
    fn take_pair(&mut self, s: &Array1<f64>, y: Array1<f64>) -> (f64, bool) {
        let raw = s.fdot(&y);
        self.stats.pairs += 1;
        if raw <= 0.0 || !raw.is_finite() {
            self.stats.non_positive += 1;
        }
        let mut y = y;
        if self.regularization > 0.0 {
            y.scaled_add(self.regularization, s);
        }
        let sy = s.fdot(&y);
        let scale = s.fdot(s).sqrt() * y.fdot(&y).sqrt();
        let skip = !(sy.is_finite() && sy > SKIP_EPSILON * scale && sy > 0.0);
        if skip {
            self.stats.skipped += 1;
        } else {
            self.inverse.update(s, &y);
        }
        (sy, skip)
    }
}

impl<O, M> Solver<O, VecState> for StochasticQuasiNewton<M>
where
    O: CostFunction<Param = Array1<f64>, Output = f64>
        + Gradient<Param = Array1<f64>, Gradient = Array1<f64>>
        + MiniBatched,
    M: InverseHessian,
{
    fn name(&self) -> &str {
        self.inverse.name()
    }

    fn init(
        &mut self,
        problem: &mut Problem<O>,
        state: VecState,
    ) -> Result<(VecState, Option<KV>), Error> {
        self.inverse.reset();
        self.stats = PairStats::default();
        self.previous = None;
        let name = self.inverse.name();
        Ok((init_state(problem, state, &mut self.batches, name)?, None))
    }

    fn next_iter(
        &mut self,
        problem: &mut Problem<O>,
        mut state: VecState,
    ) -> Result<(VecState, Option<KV>), Error> {
        let param = take_param(&mut state, self.inverse.name())?;
        let stochastic = next_batch(&mut self.batches, problem)?;
        let grad = match state.take_gradient() {
            Some(g) if !stochastic => g,
            _ => problem.gradient(&param)?,
        };
        if !all_finite(&grad) {
            return Ok((
                state
                    .param(param)
                    .terminate_with(diverged("non-finite gradient")),
                None,
            ));
        }
        // ANCHOR: obfgs_pairs
        // The naive pair (and the exact one in full-batch mode): the
        // previous iterate and gradient against this iteration's.
        let same = stochastic && self.pair_batch == PairBatch::Same;
        let mut pair = None;
        if !same {
            if let Some((p0, g0)) = self.previous.take() {
                let s = &param - &p0;
                pair = Some(self.take_pair(&s, &grad - &g0));
            }
        }
        let step = self.inverse.apply(&grad) * (-self.lr);
        let step_norm = step.fdot(&step).sqrt();
        let next = &param + &step;
        if same && all_finite(&next) {
            // oBFGS: the second gradient of the pair on the same batch B_k.
            let g1 = problem.gradient(&next)?;
            self.stats.extra_gradients += 1;
            if all_finite(&g1) {
                pair = Some(self.take_pair(&step, g1 - &grad));
            }
        } else {
            self.previous = Some((param, grad));
        }
        // ANCHOR_END: obfgs_pairs
        let (sy, skipped) = pair.unwrap_or((f64::NAN, false));
        let mut kv = argmin::kv!(
            "sy" => sy;
            "pair_skipped" => skipped;
            "step_norm" => step_norm;
        );
        kv.insert("pairs", KvValue::Uint(self.stats.pairs));
        kv.insert("bad_pairs", KvValue::Uint(self.stats.non_positive));
        kv.insert("skipped_pairs", KvValue::Uint(self.stats.skipped));
        let state = finish_iter(problem, state, next, None, stochastic)?;
        Ok((state, Some(kv)))
    }
}

impl<M> BatchSampling for StochasticQuasiNewton<M> {
    fn batch_schedule_mut(&mut self) -> Option<&mut BatchSchedule> {
        self.batches.as_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn dense_update_satisfies_the_secant_equation() {
        let mut h = DenseInverse::default();
        let (s, y) = (array![1.0, 0.5], array![2.0, 0.3]);
        h.update(&s, &y);
        let hy = h.apply(&y);
        assert!((&hy - &s).iter().all(|v| v.abs() < 1e-14), "{hy}");
        let (s2, y2) = (array![-0.2, 1.0], array![0.1, 3.0]);
        h.update(&s2, &y2);
        assert!((h.apply(&y2) - &s2).iter().all(|v| v.abs() < 1e-14));
        let m = h.matrix().unwrap();
        assert!((m[[0, 1]] - m[[1, 0]]).abs() < 1e-15);
    }

    #[test]
    fn two_loop_equals_dense_bfgs_with_the_same_start() {
        // With memory ≥ pairs and one pair, both start from (sᵀy/yᵀy) I.
        let (s, y) = (array![1.0, 0.5, -0.3], array![2.0, 0.3, -0.1]);
        let mut d = DenseInverse::default();
        let mut l = LimitedInverse::new(5);
        d.update(&s, &y);
        l.update(&s, &y);
        let g = array![0.3, -1.0, 2.0];
        let (a, b) = (d.apply(&g), l.apply(&g));
        assert!((&a - &b).iter().all(|v| v.abs() < 1e-13), "{a} {b}");
        assert_eq!(LimitedInverse::new(0).memory, 1);
    }

    #[test]
    fn bad_pairs_are_counted_and_skipped() {
        let mut qn = StochasticBfgs::bfgs(0.1, PairBatch::Consecutive).unwrap();
        let (sy, skipped) = qn.take_pair(&array![1.0, 0.0], array![-1.0, 0.0]);
        assert!(skipped && sy == -1.0);
        let (_, skipped) = qn.take_pair(&array![1.0, 0.0], array![1.0, 0.0]);
        assert!(!skipped);
        assert_eq!(
            qn.pair_stats(),
            PairStats {
                pairs: 2,
                non_positive: 1,
                skipped: 1,
                extra_gradients: 0
            }
        );
        // λ s makes the same bad pair acceptable: y + 2 s = (1, 0).
        let mut reg = StochasticBfgs::bfgs(0.1, PairBatch::Same)
            .unwrap()
            .with_regularization(2.0)
            .unwrap();
        assert!(!reg.take_pair(&array![1.0, 0.0], array![-1.0, 0.0]).1);
        assert!(StochasticBfgs::bfgs(0.0, PairBatch::Same).is_err());
        assert!(StochasticLbfgs::lbfgs(0.1, 0, PairBatch::Same).is_err());
        assert!(reg.with_regularization(-1.0).is_err());
    }
}
