//! Conjugate gradients on the damped Gauss–Newton system `(G + λI) Δ = −g`
//! of a full network, iteration by iteration: the residual, the spectrum
//! that governs it, and what stopping early does to the step.

use std::fmt;

use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

use super::products::HvpPoint;
use crate::error::{Error, Result};
use crate::linalg::{FixedDot, FixedSolve};
use crate::solvers::{truncated_cg, CgSettings};

/// CG capped at `k` iterations, no other stop: the crate's
/// [`truncated_cg`] with `tol = 0` and no progress test.
fn capped(k: usize) -> CgSettings {
    CgSettings {
        max_iters: k,
        tol: 0.0,
        progress_eps: None,
    }
}

/// The `k`-step CG solutions of `A x = b` from `x = 0`, for `k = 0 …
/// max_iters`, each from the crate's [`truncated_cg`] capped at `k` (so
/// every iterate is exactly the one Hessian-free would use with that cap;
/// the cost is quadratic in `max_iters`, fine for small systems). Each
/// entry is `(x_k, ‖b − A x_k‖, x_kᵀ A x_k)`.
///
/// # Errors
/// Whatever `apply` returns.
pub fn cg_iterates<F>(
    mut apply: F,
    b: &Array1<f64>,
    max_iters: usize,
) -> Result<Vec<(Array1<f64>, f64, f64)>>
where
    F: FnMut(&Array1<f64>) -> Result<Array1<f64>>,
{
    let zero = Array1::zeros(b.len());
    (0..=max_iters)
        .map(|k| {
            let out = truncated_cg(|v| Ok(apply(v)?), b, &zero, &capped(k))?;
            Ok((out.x, out.residual_norm, out.x_a_x))
        })
        .collect()
}

/// The relative residuals `‖b − A x_k‖ / ‖b‖`, `k = 0 … max_iters`, of CG
/// on a diagonal system `diag(d) x = b`.
///
/// # Errors
/// [`Error::Shape`] if `d` and `b` differ in length.
pub fn diagonal_residuals(d: &Array1<f64>, b: &Array1<f64>, max_iters: usize) -> Result<Vec<f64>> {
    if d.len() != b.len() {
        return Err(Error::Shape(format!(
            "diagonal of {} entries, right-hand side of {}",
            d.len(),
            b.len()
        )));
    }
    let nb = b.fdot(b).sqrt();
    Ok(cg_iterates(|v| Ok(d * v), b, max_iters)?
        .into_iter()
        .map(|(_, r, _)| r / nb)
        .collect())
}

/// `n` numbers spread geometrically from `lo` to `hi`.
pub fn geometric_spectrum(lo: f64, hi: f64, n: usize) -> Array1<f64> {
    if n < 2 {
        return Array1::from_elem(n, lo);
    }
    Array1::from_shape_fn(n, |i| lo * (hi / lo).powf(i as f64 / (n - 1) as f64))
}

/// One CG iterate of [`GgnCg`]: the truncated step `Δ_k` and what it does.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CgIterate {
    /// CG iterations `k` (`None` for the exact solve).
    pub k: Option<usize>,
    /// Relative residual `‖b − AΔ_k‖ / ‖b‖`.
    pub residual: f64,
    /// Step length `‖Δ_k‖`.
    pub step_norm: f64,
    /// The damped model's change `gᵀΔ + ½ Δᵀ(G + λI)Δ` (negative: a decrease).
    pub model_change: f64,
    /// The loss's actual change `L(θ + Δ_k) − L(θ)`.
    pub loss_change: f64,
}

/// CG on `(G + λI) Δ = −∇L(θ)` at one point of a full network, with the
/// spectrum of `G + λI` and the exact solve for comparison.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GgnCg {
    /// Number of parameters `D`.
    pub dim: usize,
    /// The damping `λ`.
    pub damping: f64,
    /// The loss `L(θ)`.
    pub loss: f64,
    /// Eigenvalues of `G + λI`, ascending.
    pub spectrum: Vec<f64>,
    /// The iterates `k = 0 … max_iters`.
    pub iterates: Vec<CgIterate>,
    /// The exact solution `Δ* = −(G + λI)⁻¹ g` (the damped Gauss–Newton step).
    pub exact: CgIterate,
}

impl GgnCg {
    /// Runs CG for `k = 0 … max_iters` on the damped GGN system at `point`,
    /// with Gauss–Newton-vector products ([`Mlp::ggn_vec`](crate::mlp::Mlp::ggn_vec),
    /// as Hessian-free multiplies), and forms the dense `G` for its
    /// spectrum and the exact step.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] unless `damping` is finite and `≥ 0`;
    /// [`Error::Linalg`] if `G + λI` is singular.
    pub fn run(point: &HvpPoint, damping: f64, max_iters: usize) -> Result<Self> {
        if !(damping.is_finite() && damping >= 0.0) {
            return Err(Error::InvalidConfig(format!(
                "damping must be finite and ≥ 0, got {damping}"
            )));
        }
        let (mlp, data, theta) = (&point.mlp, &point.data, &point.theta);
        let loss = mlp.loss(theta.view(), data)?;
        let b = -&point.grad;
        let nb = b.fdot(&b).sqrt();
        let mut a: Array2<f64> = mlp.ggn(theta.view(), data)?;
        a.diag_mut().mapv_inplace(|x| x + damping);
        let spectrum = crate::linalg::sym_eig(&a)?.0.to_vec();
        let judge = |k: Option<usize>, x: &Array1<f64>, r: f64, xax: f64| -> Result<CgIterate> {
            let moved = theta + x;
            Ok(CgIterate {
                k,
                residual: r / nb,
                step_norm: x.fdot(x).sqrt(),
                model_change: 0.5 * xax - b.fdot(x),
                loss_change: mlp.loss(moved.view(), data)? - loss,
            })
        };
        let iterates = cg_iterates(
            |v| Ok(mlp.ggn_vec(theta.view(), data, v.view())? + &(v * damping)),
            &b,
            max_iters,
        )?
        .iter()
        .enumerate()
        .map(|(k, (x, r, xax))| judge(Some(k), x, *r, *xax))
        .collect::<Result<Vec<_>>>()?;
        let x = a.fsolve(&b)?;
        let ax = a.fdot(&x);
        let r = &b - &ax;
        let exact = judge(None, &x, r.fdot(&r).sqrt(), x.fdot(&ax))?;
        Ok(Self {
            dim: point.dim(),
            damping,
            loss,
            spectrum,
            iterates,
            exact,
        })
    }

    /// The condition number `λ_max / λ_min` of `G + λI`.
    pub fn condition(&self) -> f64 {
        match (self.spectrum.first(), self.spectrum.last()) {
            (Some(lo), Some(hi)) => hi / lo,
            _ => f64::NAN,
        }
    }

    /// The first `k` with relative residual `≤ tol`.
    pub fn iterations_to(&self, tol: f64) -> Option<usize> {
        self.iterates
            .iter()
            .find(|it| it.residual <= tol)
            .and_then(|it| it.k)
    }

    /// The classical bound's iteration count for a relative error `tol` in
    /// the energy norm: CG's error shrinks at least by `2((√κ − 1)/(√κ + 1))^k`,
    /// so `k = ⌈ln(2/tol) / ln((√κ + 1)/(√κ − 1))⌉` suffice (Nocedal &
    /// Wright, *Numerical Optimization*, (5.36)).
    pub fn bound_iterations(&self, tol: f64) -> f64 {
        let s = self.condition().sqrt();
        ((2.0 / tol).ln() / ((s + 1.0) / (s - 1.0)).ln()).ceil()
    }

    /// Eigenvalues of `G + λI` above `factor · λ`: the directions the data
    /// actually curve (the rest sit in a cluster just above `λ`).
    pub fn eigenvalues_above(&self, factor: f64) -> usize {
        self.spectrum
            .iter()
            .filter(|&&e| e > factor * self.damping)
            .count()
    }

    /// The iterate with the lowest actual loss.
    pub fn best_iterate(&self) -> Option<&CgIterate> {
        self.iterates
            .iter()
            .min_by(|a, b| a.loss_change.total_cmp(&b.loss_change))
    }

    /// The iterate after `k` iterations.
    pub fn iterate(&self, k: usize) -> Option<&CgIterate> {
        self.iterates.get(k)
    }
}

impl fmt::Display for CgIterate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let k = self.k.map_or("exact".to_string(), |k| k.to_string());
        write!(
            f,
            "{k:>5} {:>10.2e} {:>10.3} {:>12.4e} {:>12.4e}",
            self.residual, self.step_norm, self.model_change, self.loss_change
        )
    }
}

impl GgnCg {
    /// The table of the iterates `ks` and the exact solve.
    pub fn table(&self, ks: &[usize]) -> String {
        let mut s = format!(
            "{:>5} {:>10} {:>10} {:>12} {:>12}\n",
            "k", "residual", "‖Δ‖", "model", "actual"
        );
        for it in ks.iter().filter_map(|&k| self.iterate(k)) {
            s += &format!("{it}\n");
        }
        s += &format!("{}", self.exact);
        s
    }
}
