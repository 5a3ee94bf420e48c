//! Curvature matrices and products: Hessian, generalised Gauss–Newton,
//! Fisher (exact, Monte-Carlo, empirical), K-FAC factors, and spectra.
//!
//! This module holds what is generic: the traits a problem implements to
//! serve the second-order solvers ([`CurvatureProducts`], [`KfacCurvature`],
//! [`MiniBatched`], each with defaults so a problem implements only what it
//! has) and matrix helpers ([`kron`], [`sym_eig`], [`eigenvalues`],
//! [`condition_number`], [`inertia`], [`abs_sym`]). The XOR problem's
//! implementations live beside the problem, in [`crate::problem`].
//!
//! For the mean loss `L(θ) = (1/N) Σ_n ℓ(z_n, y_n)` with logits `z_n = f(x_n; θ)`
//! and output Jacobian `J` (`N × D`):
//!
//! ```text
//! Hessian        H = (1/N) Σ_n [ ℓ''(z_n) ∇z_n ∇z_nᵀ + ℓ'(z_n) ∇²z_n ]
//! GGN            G = (1/N) Σ_n λ_n ∇z_n ∇z_nᵀ = Jᵀ Λ J / N,   λ_n = ℓ''(z_n) = σ(z_n)(1 − σ(z_n))
//! Fisher         F = (1/N) Σ_n E_{ŷ ~ Bern(σ(z_n))}[(σ(z_n) − ŷ)²] ∇z_n ∇z_nᵀ = G   (exactly, for sigmoid + cross-entropy)
//! MC Fisher      F̂ = (1/N) Σ_n (1/S) Σ_s (σ(z_n) − ŷ_{n,s})² ∇z_n ∇z_nᵀ,   ŷ_{n,s} ~ Bern(σ(z_n)) sampled with a seed
//! empirical      F_emp = (1/N) Σ_n (σ(z_n) − y_n)² ∇z_n ∇z_nᵀ   (uses the data labels: not a curvature in general)
//! ```
//!
//! The GGN drops the second term of the Hessian, the one that carries the
//! network's own curvature, so it is positive semi-definite everywhere; where
//! the model is linear in its parameters (the output-weight slice) the two
//! are equal.
//!
//! # K-FAC
//! For layer `l` with bias-augmented inputs `â_{l−1,n}` and per-example
//! back-propagated output signals `g_{l,n} = s_n ∂z_n/∂z_l` (where `s_n² = λ_n`
//! for the exact Fisher/GGN, `(σ − ŷ)²` for Monte-Carlo, `(σ − y)²` for the
//! empirical variant), the layer's curvature block in the layout of
//! [`crate::mlp`] is
//!
//! ```text
//! C_l = (1/N) Σ_n (g_{l,n} g_{l,n}ᵀ) ⊗ (â_{l−1,n} â_{l−1,n}ᵀ)  ≈  G_l ⊗ A_l,
//! A_l = (1/N) Σ_n â_{l−1,n} â_{l−1,n}ᵀ,     G_l = (1/N) Σ_n g_{l,n} g_{l,n}ᵀ,
//! ```
//!
//! exact when `N = 1`. (Martens & Grosse write `A ⊗ G` for column-major
//! `vec`; our row-major blocks give `G ⊗ A`.)
//!
//! Reference: J. Martens and R. Grosse, *Optimizing Neural Networks with
//! Kronecker-factored Approximate Curvature*, ICML 2015; N. N. Schraudolph,
//! *Fast curvature matrix-vector products for second-order gradient descent*,
//! Neural Computation 14(7), 2002.

use crate::linalg::FixedDot;
use argmin::core::{CostFunction, Error as ArgminError, Gradient};
use ndarray::{s, Array1, Array2};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::mlp::Parameterisation;

/// Which Fisher (or Fisher-like) matrix to form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FisherKind {
    /// The true Fisher, expectation over the model's own labels (equals the GGN here).
    Exact,
    /// Monte-Carlo estimate with `samples` labels per example drawn from the model, seeded.
    MonteCarlo {
        /// Labels drawn per example.
        samples: usize,
        /// Seed of the label sampler.
        seed: u64,
    },
    /// The empirical Fisher: squared per-example gradients at the data labels.
    Empirical,
}

/// The error of a curvature trait method that a problem does not provide.
fn unsupported<T: ?Sized>(what: &str) -> ArgminError {
    Error::Unsupported(format!(
        "{} provides no {what}",
        std::any::type_name::<T>()
            .rsplit("::")
            .next()
            .unwrap_or("this problem")
    ))
    .into()
}

/// Curvature products an optimizer can ask of a problem, in the optimizer's
/// parameter space `p`. Every method is exact (no finite differences).
///
/// Every method has a default: `hessian_vec` and `ggn_vec` return an
/// [`Error::Unsupported`] ("this problem provides no …"), and `ggn` assembles
/// the dense matrix column by column from `ggn_vec` (`k` products,
/// symmetrised). A problem implements what it has, for example only
/// `ggn_vec`; a solver that needs a missing product stops with that error.
pub trait CurvatureProducts {
    /// Hessian-vector product `H v`.
    ///
    /// # Errors
    /// If `p` or `v` has the wrong length; by default, always
    /// ([`Error::Unsupported`]).
    fn hessian_vec(
        &self,
        p: &Array1<f64>,
        v: &Array1<f64>,
    ) -> std::result::Result<Array1<f64>, ArgminError> {
        let _ = (p, v);
        Err(unsupported::<Self>("Hessian-vector products"))
    }

    /// Generalised Gauss–Newton-vector product `G v`.
    ///
    /// # Errors
    /// If `p` or `v` has the wrong length; by default, always
    /// ([`Error::Unsupported`]: the problem has no Gauss–Newton structure).
    fn ggn_vec(
        &self,
        p: &Array1<f64>,
        v: &Array1<f64>,
    ) -> std::result::Result<Array1<f64>, ArgminError> {
        let _ = (p, v);
        Err(unsupported::<Self>("Gauss–Newton matrix"))
    }

    /// The dense generalised Gauss–Newton matrix `G` (`k × k`, `k = p.len()`);
    /// by default `(M + Mᵀ)/2` with columns `M e_j = ggn_vec(p, e_j)`.
    ///
    /// # Errors
    /// If `p` has the wrong length, or whatever `ggn_vec` returns.
    fn ggn(&self, p: &Array1<f64>) -> std::result::Result<Array2<f64>, ArgminError> {
        let k = p.len();
        let mut m = Array2::zeros((k, k));
        let mut e = Array1::zeros(k);
        for j in 0..k {
            e[j] = 1.0;
            m.column_mut(j).assign(&self.ggn_vec(p, &e)?);
            e[j] = 0.0;
        }
        let mt = m.t().to_owned();
        Ok((m + mt) * 0.5)
    }
}

/// A problem that can switch between its full data set and a mini-batch.
///
/// Every method has a default that describes a problem without data (one
/// full batch): `num_examples() = 0`, `set_batch(None)` succeeds and
/// `set_batch(Some(_))` is an [`Error::Unsupported`], and the full-batch
/// cost and gradient are `cost` and `gradient`. A learner's own full-batch
/// problem therefore needs one line, `impl MiniBatched for MyProblem {}`,
/// to run with every solver of the crate (stochastic mode then reports that
/// error).
pub trait MiniBatched:
    CostFunction<Param = Array1<f64>, Output = f64>
    + Gradient<Param = Array1<f64>, Gradient = Array1<f64>>
{
    /// Number of examples in the full data set (default 0: no data).
    fn num_examples(&self) -> usize {
        0
    }

    /// Restricts evaluations to `indices`, or back to the full batch with `None`.
    ///
    /// # Errors
    /// If an index is out of range or the batch is empty; by default, for
    /// any `Some` ([`Error::Unsupported`]).
    fn set_batch(&mut self, indices: Option<&[usize]>) -> std::result::Result<(), ArgminError> {
        match indices {
            None => Ok(()),
            Some(_) => Err(unsupported::<Self>("mini-batches (it has no data)")),
        }
    }

    /// Loss on the full data set, whatever the active batch (default: `cost`).
    ///
    /// # Errors
    /// If `p` has the wrong length.
    fn full_batch_cost(&self, p: &Array1<f64>) -> std::result::Result<f64, ArgminError> {
        self.cost(p)
    }

    /// Gradient on the full data set, whatever the active batch (default: `gradient`).
    ///
    /// # Errors
    /// If `p` has the wrong length.
    fn full_batch_gradient(
        &self,
        p: &Array1<f64>,
    ) -> std::result::Result<Array1<f64>, ArgminError> {
        self.gradient(p)
    }
}

/// A problem whose runs the race can record: what the [`PathRecorder`](crate::race::PathRecorder)
/// needs, and nothing about curvature.
///
/// The recorder evaluates the full-batch loss and gradient of each iterate
/// ([`MiniBatched::full_batch_cost`], [`MiniBatched::full_batch_gradient`]) on
/// its own clone of the problem. A learner's own problem implements argmin's
/// `CostFunction` / `Gradient` (and whatever its solver needs), plus
/// [`MiniBatched`] and this trait (an empty `impl` keeps the type's name as
/// the display name); [`run_solver`](crate::race::run_solver) then races any argmin solver on it.
pub trait Recordable: MiniBatched + Clone + 'static {
    /// The display name written into [`Trace::problem`](crate::trace::Trace::problem); by default the
    /// type's name.
    fn race_name(&self) -> String {
        std::any::type_name::<Self>()
            .rsplit("::")
            .next()
            .unwrap_or("problem")
            .to_string()
    }

    /// Where a race starts when it is given no start point (the lesson's
    /// start of a landscape, the reference start of an XOR slice); by
    /// default none, and [`Raceable`](crate::race::Raceable) then asks for one.
    fn default_start(&self) -> Option<Array1<f64>> {
        None
    }
}

/// A problem that provides per-layer K-FAC factors.
///
/// The default method returns an [`Error::Unsupported`] ("provides no K-FAC
/// factors"): a problem without network layers implements it with `{}`.
pub trait KfacCurvature {
    /// The K-FAC factors at `p` on the active batch.
    ///
    /// # Errors
    /// If `p` has the wrong length; by default, always.
    fn kfac_factors(
        &self,
        p: &Array1<f64>,
        kind: FisherKind,
    ) -> std::result::Result<KfacFactors, ArgminError> {
        let _ = (p, kind);
        Err(unsupported::<Self>(
            "K-FAC factors (it has no network layers)",
        ))
    }
}

/// The Kronecker factors of one layer: its curvature block is `g ⊗ a` on
/// `θ[offset .. offset + g.nrows() * a.nrows()]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KfacLayer {
    /// Offset of the layer's block in θ.
    pub offset: usize,
    /// Input factor `A_l` (`(n_{l−1}+1) × (n_{l−1}+1)`), symmetric PSD.
    pub a: Array2<f64>,
    /// Output-gradient factor `G_l` (`n_l × n_l`), symmetric PSD.
    pub g: Array2<f64>,
}

impl KfacLayer {
    /// Size of the layer's block, `n_l (n_{l−1}+1)`.
    pub fn size(&self) -> usize {
        self.a.nrows() * self.g.nrows()
    }
}

/// K-FAC factors of every layer, plus how θ maps to the optimizer's `p`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KfacFactors {
    /// One entry per layer, in order.
    pub layers: Vec<KfacLayer>,
    /// The parameterisation the factors are used in.
    pub param: Parameterisation,
    /// Total number of network parameters `D_θ`.
    pub num_params: usize,
}

impl KfacFactors {
    /// The block-diagonal K-FAC matrix `blockdiag(G_l ⊗ A_l)` in θ-space (`D_θ × D_θ`).
    ///
    /// # Errors
    /// [`Error::Shape`] if a layer's factors are not square or its block
    /// does not fit in `num_params` (hand-built factors).
    pub fn dense_theta(&self) -> Result<Array2<f64>> {
        for (l, layer) in self.layers.iter().enumerate() {
            if !layer.a.is_square() || !layer.g.is_square() {
                return Err(Error::Shape(format!(
                    "layer {l}'s K-FAC factors are not square"
                )));
            }
            if layer
                .offset
                .checked_add(layer.size())
                .map_or(true, |end| end > self.num_params)
            {
                return Err(Error::Shape(format!(
                    "layer {l}'s block ({} entries from {}) does not fit in {} parameters",
                    layer.size(),
                    layer.offset,
                    self.num_params
                )));
            }
        }
        let mut m = Array2::zeros((self.num_params, self.num_params));
        for layer in &self.layers {
            let k = kron(&layer.g, &layer.a);
            let (o, n) = (layer.offset, layer.size());
            m.slice_mut(s![o..o + n, o..o + n]).assign(&k);
        }
        Ok(m)
    }

    /// The K-FAC curvature in the optimizer's space, `D blockdiag(G_l ⊗ A_l) Dᵀ`.
    ///
    /// # Errors
    /// As [`KfacFactors::dense_theta`], or [`Error::Shape`] if `num_params`
    /// does not match the parameterisation.
    pub fn dense(&self) -> Result<Array2<f64>> {
        self.param.reduce_mat(self.dense_theta()?)
    }
}

/// Kronecker product `a ⊗ b`.
pub fn kron(a: &Array2<f64>, b: &Array2<f64>) -> Array2<f64> {
    let (ar, ac) = a.dim();
    let (br, bc) = b.dim();
    let mut out = Array2::zeros((ar * br, ac * bc));
    for i in 0..ar {
        for j in 0..ac {
            out.slice_mut(s![i * br..(i + 1) * br, j * bc..(j + 1) * bc])
                .assign(&(b * a[[i, j]]));
        }
    }
    out
}

/// Eigenvalues (ascending) and eigenvectors (columns) of a symmetric matrix
/// ([`crate::linalg::sym_eig`]: the same bits on every machine; each
/// eigenvector's largest entry in magnitude is positive).
///
/// # Errors
/// [`Error::Linalg`] on non-finite entries, [`Error::Shape`] if not square.
pub fn sym_eig(m: &Array2<f64>) -> Result<(Array1<f64>, Array2<f64>)> {
    crate::linalg::sym_eig(m)
}

/// Eigenvalues (ascending) of a symmetric matrix.
///
/// # Errors
/// [`Error::Linalg`] on non-finite entries.
pub fn eigenvalues(m: &Array2<f64>) -> Result<Array1<f64>> {
    Ok(sym_eig(m)?.0)
}

/// Spectral condition number `|λ|_max / |λ|_min` of a symmetric matrix
/// (`+∞` when singular).
///
/// # Errors
/// [`Error::Linalg`] on non-finite entries.
pub fn condition_number(m: &Array2<f64>) -> Result<f64> {
    let ev = eigenvalues(m)?;
    let max = ev.iter().fold(0.0_f64, |a, &b| a.max(b.abs()));
    let min = ev.iter().fold(f64::INFINITY, |a, &b| a.min(b.abs()));
    Ok(if min == 0.0 { f64::INFINITY } else { max / min })
}

/// Counts of negative, zero (|λ| ≤ `tol`·max|λ|) and positive eigenvalues:
/// the inertia that tells a minimum from a saddle.
///
/// # Errors
/// [`Error::Linalg`] on non-finite entries.
pub fn inertia(m: &Array2<f64>, tol: f64) -> Result<(usize, usize, usize)> {
    let ev = eigenvalues(m)?;
    let scale = ev.iter().fold(0.0_f64, |a, &b| a.max(b.abs()));
    let thr = tol * scale;
    let neg = ev.iter().filter(|&&v| v < -thr).count();
    let pos = ev.iter().filter(|&&v| v > thr).count();
    Ok((neg, ev.len() - neg - pos, pos))
}

/// `|M| = U |Λ| Uᵀ`: the symmetric matrix with the eigenvectors of `m` and
/// the absolute values of its eigenvalues (saddle-free Newton's curvature).
///
/// # Errors
/// [`Error::Linalg`] on non-finite entries.
pub fn abs_sym(m: &Array2<f64>) -> Result<Array2<f64>> {
    let (ev, u) = sym_eig(m)?;
    let scaled = &u * &ev.mapv(f64::abs);
    Ok(scaled.fdot(&u.t()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn kron_matches_definition() {
        let a = array![[1.0, 2.0], [3.0, 4.0]];
        let b = array![[0.0, 5.0], [6.0, 7.0]];
        let k = kron(&a, &b);
        assert_eq!(k[[0, 1]], 5.0);
        assert_eq!(k[[3, 2]], 4.0 * 6.0);
        assert_eq!(k[[2, 1]], 3.0 * 5.0);
    }

    #[test]
    fn condition_and_inertia() {
        let m = array![[4.0, 0.0], [0.0, -1.0]];
        assert_eq!(condition_number(&m).unwrap(), 4.0);
        assert_eq!(inertia(&m, 1e-12).unwrap(), (1, 0, 1));
        let a = abs_sym(&m).unwrap();
        assert!((a[[1, 1]] - 1.0).abs() < 1e-12);
        assert!(condition_number(&array![[1.0, 0.0], [0.0, 0.0]])
            .unwrap()
            .is_infinite());
        assert!(eigenvalues(&array![[f64::NAN]]).is_err());
    }
}
