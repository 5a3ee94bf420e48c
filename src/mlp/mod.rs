//! A multilayer perceptron of any widths `[2, h1, …, 1]` with exact first and
//! second derivatives.
//!
//! # Model
//! For layers `l = 1 … L` with widths `n_0 = 2, n_1, …, n_L = 1`:
//!
//! ```text
//! a_0 = x,   z_l = W_l a_{l-1} + b_l,   a_l = tanh(z_l)  (l < L),   f(x) = z_L   (the logit)
//! ```
//!
//! and the loss is the mean binary cross-entropy computed from the logit,
//!
//! ```text
//! L(θ) = (1/N) Σ_n ℓ(z_n, y_n),   ℓ(z, y) = softplus(z) − y z,   softplus(z) = max(z, 0) + ln(1 + e^{−|z|}),
//! ```
//!
//! which equals `−y ln σ(z) − (1 − y) ln(1 − σ(z))` but stays finite (and
//! exact) for any finite logit, even `|z| = 1000`.
//!
//! # Parameter layout
//! θ stacks the layers in order. Layer `l` is the bias-augmented matrix
//! `Ŵ_l = [W_l | b_l]` (`n_l × (n_{l−1}+1)`) stored **row-major**: for each
//! output unit `i`, its `n_{l−1}` incoming weights, then its bias. With
//! `â = [a; 1]`, the derivative of any scalar `s` with respect to the layer's
//! block is `vec(∂s/∂z_l ⊗ â_{l−1})`, which is why each layer's K-FAC block is
//! `G_l ⊗ A_l` on a contiguous slice of θ (see [`crate::curvature`]).
//! [`Mlp::unpack`] and [`Mlp::pack`] convert between θ and per-layer
//! `(W_l, b_l)` pairs.
//!
//! # Derivatives
//! - gradient: back-propagation;
//! - Hessian-vector products `H v`: Pearlmutter's R-operator (forward pass of
//!   `R{·} = d/dr (·)(θ + r v)|_{r=0}` followed by its backward pass), exact to
//!   round-off, at the cost of about two gradients;
//! - Jacobian-vector products `J v` (R-forward only) and transposed products
//!   `Jᵀ u` (back-propagation of an arbitrary output signal), which make
//!   Gauss–Newton-vector products `G v = Jᵀ Λ J v / N` ([`Mlp::ggn_vec`])
//!   without any matrix;
//! - dense matrices: the GGN and every Fisher variant as one weighted Gram
//!   product `Jᵀ diag(w) J / N` ([`Mlp::jacobian_gram`]), the exact Hessian
//!   as that GGN plus the closed-form residual `Σ_n u_n ∇²z_n` for one hidden
//!   layer, or one Hessian-vector product per parameter for deeper networks
//!   ([`Mlp::hessian`]), and the K-FAC factors in one pass
//!   ([`Mlp::kfac_factors`]).
//!
//! # How they are computed
//! The methods run whole-batch kernels on unit-major buffers (`n_l × N`, one
//! contiguous row of examples per unit), allocated once per call, with
//! vectorisable `tanh`, `exp` and `ln(1 + ·)` of their own (within 3 units in
//! the last place of the platform's `libm`). Layer products are
//! register-blocked sums in a fixed order (with the `tanh` of the forward
//! pass and the `1 − a²` of the backward pass fused in), and the Gram
//! products of the dense matrices and the K-FAC factors are triangles of
//! fixed-order dot products. No result goes through the system BLAS, whose
//! kernels (and so whose last bits) OpenBLAS picks for the CPU: every method
//! gives the same bits on every x86-64 machine, at every
//! [`SimdLevel`](crate::simd::SimdLevel) (forced with `QVG_SIMD`) and at any
//! thread count.
//!
//! The textbook implementations remain in [`mod@reference`], the specification
//! the kernels are tested against (`tests/fast_derivatives.rs`, to `10⁻¹²`).
//!
//! Reference: B. A. Pearlmutter, *Fast exact multiplication by the Hessian*,
//! Neural Computation 6(1), 1994; N. N. Schraudolph, *Fast curvature
//! matrix-vector products for second-order gradient descent*, Neural
//! Computation 14(7), 2002.

mod dense;
mod fastmath;
mod kernels;
mod layout;
mod params;
pub mod reference;

pub use params::{Parameterisation, Plane};

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::data::Dataset;
use crate::error::{Error, Result};
use kernels::{contiguous, Pass};

/// Numerically stable `ln(1 + e^z)`.
pub fn softplus(z: f64) -> f64 {
    z.max(0.0) + (-z.abs()).exp().ln_1p()
}

/// Numerically stable logistic function `σ(z) = 1 / (1 + e^{−z})`.
pub fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// Binary cross-entropy of one example from its logit: `softplus(z) − y z`.
pub fn bce_from_logit(z: f64, y: f64) -> f64 {
    softplus(z) - y * z
}

/// The architecture of a tanh MLP with a single logit output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mlp {
    widths: Vec<usize>,
}

/// Everything the forward pass computes, kept for the backward passes.
///
/// Shapes for a batch of `N` examples: `inputs[l]` is `â_l` without the bias
/// column, i.e. `a_l` (`N × n_l`) for `l = 0 … L−1`; `logits` is `z_L` (`N`).
#[derive(Clone, Debug)]
pub struct ForwardPass {
    /// Activations `a_0 = x, a_1, …, a_{L−1}` (each `N × n_l`).
    pub activations: Vec<Array2<f64>>,
    /// Output logits `z_L` (`N`).
    pub logits: Array1<f64>,
}

/// Per-layer quantities behind K-FAC and the output Jacobian.
#[derive(Clone, Debug)]
pub struct LayerSignals {
    /// Offset of the layer's block `Ŵ_l` in θ.
    pub offset: usize,
    /// Bias-augmented inputs `â_{l−1} = [a_{l−1}, 1]` (`N × (n_{l−1}+1)`).
    pub inputs: Array2<f64>,
    /// Per-example derivatives of the example's own logit with respect to the
    /// layer's pre-activations, `∂z_{L,n}/∂z_{l,n}` (`N × n_l`).
    pub output_grads: Array2<f64>,
}

/// The two Kronecker factors of one layer's K-FAC block, `G ⊗ A` on
/// `θ[offset .. offset + g.nrows() · a.nrows()]` (see [`Mlp::kfac_factors`]).
#[derive(Clone, Debug, PartialEq)]
pub struct KroneckerFactors {
    /// Offset of the layer's block `Ŵ_l` in θ.
    pub offset: usize,
    /// Input factor `A_l = (1/N) Σ_n â_{l−1,n} â_{l−1,n}ᵀ` (`(n_{l−1}+1) × (n_{l−1}+1)`).
    pub a: Array2<f64>,
    /// Output factor `G_l = (1/N) Σ_n w_n g_{l,n} g_{l,n}ᵀ` (`n_l × n_l`),
    /// `g_{l,n} = ∂z_{L,n}/∂z_{l,n}`.
    pub g: Array2<f64>,
}

impl Mlp {
    /// An MLP with the given widths `[2, h1, …, 1]`.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] unless there are at least two widths, the first
    /// is 2, the last is 1 and none is zero.
    pub fn new(widths: &[usize]) -> Result<Self> {
        crate::linalg::blas_single_threaded();
        if widths.len() < 2 {
            return Err(Error::InvalidConfig(
                "an MLP needs at least an input and an output width".into(),
            ));
        }
        if widths[0] != 2 || *widths.last().unwrap_or(&0) != 1 {
            return Err(Error::InvalidConfig(format!(
                "widths must start with 2 and end with 1, got {widths:?}"
            )));
        }
        if widths.contains(&0) {
            return Err(Error::InvalidConfig(format!(
                "widths must be positive, got {widths:?}"
            )));
        }
        Ok(Self {
            widths: widths.to_vec(),
        })
    }

    /// `[2, hidden…, 1]` from the hidden widths alone.
    ///
    /// # Errors
    /// As [`Mlp::new`].
    pub fn with_hidden(hidden: &[usize]) -> Result<Self> {
        let mut w = vec![2];
        w.extend_from_slice(hidden);
        w.push(1);
        Self::new(&w)
    }

    /// The widths `[n_0, …, n_L]`.
    pub fn widths(&self) -> &[usize] {
        &self.widths
    }

    /// Number of layers `L` (weight matrices).
    pub fn num_layers(&self) -> usize {
        self.widths.len() - 1
    }

    /// Offset in θ and shape `(n_l, n_{l−1}+1)` of layer `l` (0-based).
    pub fn layer_block(&self, l: usize) -> (usize, usize, usize) {
        let offset: usize = (0..l)
            .map(|k| self.widths[k + 1] * (self.widths[k] + 1))
            .sum();
        (offset, self.widths[l + 1], self.widths[l] + 1)
    }

    /// Total number of parameters `D = Σ_l n_l (n_{l−1} + 1)`.
    pub fn num_params(&self) -> usize {
        (0..self.num_layers())
            .map(|k| self.widths[k + 1] * (self.widths[k] + 1))
            .sum()
    }

    fn check_len(&self, len: usize, what: &str) -> Result<()> {
        if len != self.num_params() {
            return Err(Error::Shape(format!(
                "{what} has {len} entries, the MLP {:?} has {} parameters",
                self.widths,
                self.num_params()
            )));
        }
        Ok(())
    }

    /// θ (or a direction) has `D` entries and `x` has `n_0` columns.
    fn check(&self, theta: ArrayView1<f64>, x: ArrayView2<f64>) -> Result<()> {
        self.check_len(theta.len(), "θ")?;
        if x.ncols() != self.widths[0] {
            return Err(Error::Shape(format!(
                "inputs have {} columns, expected {}",
                x.ncols(),
                self.widths[0]
            )));
        }
        Ok(())
    }

    /// As [`Mlp::check`], and one label per example.
    fn check_data(&self, theta: ArrayView1<f64>, data: &Dataset) -> Result<()> {
        self.check(theta, data.x.view())?;
        self.check_signal(data.y.view(), data.x.view())
    }

    /// One entry of `u` per example.
    fn check_signal(&self, u: ArrayView1<f64>, x: ArrayView2<f64>) -> Result<()> {
        if u.len() != x.nrows() {
            return Err(Error::Shape(format!(
                "{} per-example values for {} examples",
                u.len(),
                x.nrows()
            )));
        }
        Ok(())
    }

    /// One finite, non-negative weight per example.
    fn check_weights(&self, w: ArrayView1<f64>, x: ArrayView2<f64>) -> Result<()> {
        self.check_signal(w, x)?;
        if w.iter().any(|&w| !(w >= 0.0 && w.is_finite())) {
            return Err(Error::Shape(
                "per-example weights must be finite and non-negative".into(),
            ));
        }
        Ok(())
    }

    /// The forward pass on inputs `x` (`N × 2`).
    ///
    /// # Errors
    /// [`Error::Shape`] if θ or `x` has the wrong size.
    pub fn forward(&self, theta: ArrayView1<f64>, x: ArrayView2<f64>) -> Result<ForwardPass> {
        self.check(theta, x)?;
        let pass = Pass::new(self, &contiguous(&theta), x);
        let n = pass.n;
        let activations = pass
            .acts
            .iter()
            .zip(&self.widths)
            .map(|(a, &units)| Array2::from_shape_fn((n, units), |(e, j)| a[j * n + e]))
            .collect();
        Ok(ForwardPass {
            activations,
            logits: Array1::from(pass.logits.clone()),
        })
    }

    /// Logits `z_L` for inputs `x` (`N × 2`).
    ///
    /// # Errors
    /// [`Error::Shape`] if θ or `x` has the wrong size.
    pub fn logits(&self, theta: ArrayView1<f64>, x: ArrayView2<f64>) -> Result<Array1<f64>> {
        self.check(theta, x)?;
        Ok(Array1::from(
            Pass::new(self, &contiguous(&theta), x).logits.clone(),
        ))
    }

    /// Mean binary cross-entropy `L(θ)` on `data`.
    ///
    /// # Errors
    /// [`Error::Shape`] if θ or the data have the wrong size.
    pub fn loss(&self, theta: ArrayView1<f64>, data: &Dataset) -> Result<f64> {
        self.check_data(theta, data)?;
        let pass = Pass::new(self, &contiguous(&theta), data.x.view());
        let mut probs = vec![0.0; pass.n];
        Ok(pass.loss_and_probs(&contiguous(&data.y), &mut probs))
    }

    /// Gradient `∇L(θ)` by back-propagation of `(σ(z_n) − y_n)/N`.
    ///
    /// # Errors
    /// [`Error::Shape`] if θ or the data have the wrong size.
    pub fn gradient(&self, theta: ArrayView1<f64>, data: &Dataset) -> Result<Array1<f64>> {
        self.check_data(theta, data)?;
        let theta = contiguous(&theta);
        let pass = Pass::new(self, &theta, data.x.view());
        let mut probs = kernels::scratch(pass.n);
        let mut u = kernels::scratch(pass.n);
        pass.loss_and_signal(&contiguous(&data.y), &mut probs, &mut u);
        let grad = pass.backprop(&theta, &u);
        kernels::recycle_all(vec![probs, u]);
        Ok(Array1::from(grad))
    }

    /// Loss and gradient from one forward pass.
    ///
    /// # Errors
    /// [`Error::Shape`] if θ or the data have the wrong size.
    pub fn loss_and_gradient(
        &self,
        theta: ArrayView1<f64>,
        data: &Dataset,
    ) -> Result<(f64, Array1<f64>)> {
        self.check_data(theta, data)?;
        let theta = contiguous(&theta);
        let pass = Pass::new(self, &theta, data.x.view());
        let mut probs = kernels::scratch(pass.n);
        let mut u = kernels::scratch(pass.n);
        let loss = pass.loss_and_signal(&contiguous(&data.y), &mut probs, &mut u);
        let grad = pass.backprop(&theta, &u);
        kernels::recycle_all(vec![probs, u]);
        Ok((loss, Array1::from(grad)))
    }

    /// Jacobian-vector product `J v` (`N`): the directional derivative of every
    /// logit along `v`.
    ///
    /// # Errors
    /// [`Error::Shape`] if θ or `v` has the wrong length.
    pub fn jvp(
        &self,
        theta: ArrayView1<f64>,
        x: ArrayView2<f64>,
        v: ArrayView1<f64>,
    ) -> Result<Array1<f64>> {
        self.check(theta, x)?;
        self.check_len(v.len(), "v")?;
        let theta = contiguous(&theta);
        let pass = Pass::new(self, &theta, x);
        let (r_acts, jv) = pass.r_forward(&theta, &contiguous(&v));
        kernels::recycle_all(r_acts);
        Ok(Array1::from(jv))
    }

    /// Transposed Jacobian product `Jᵀ u = Σ_n u_n ∇_θ z_n` (`D`).
    ///
    /// # Errors
    /// [`Error::Shape`] if θ has the wrong length or `u` not one entry per row of `x`.
    pub fn vjp(
        &self,
        theta: ArrayView1<f64>,
        x: ArrayView2<f64>,
        u: ArrayView1<f64>,
    ) -> Result<Array1<f64>> {
        self.check_signal(u, x)?;
        self.check(theta, x)?;
        let theta = contiguous(&theta);
        let pass = Pass::new(self, &theta, x);
        Ok(Array1::from(pass.backprop(&theta, &contiguous(&u))))
    }

    /// Exact Hessian-vector product `H v = ∇²L(θ) v` by Pearlmutter's R-operator.
    ///
    /// With `δ_l = ∂L/∂z_l` and `R{·}` the directional derivative along `v`:
    ///
    /// ```text
    /// R{δ_L}     = σ'(z) R{z_L} / N
    /// R{∇Ŵ_l}    = R{δ_l}ᵀ â_{l−1} + δ_lᵀ R{â_{l−1}}
    /// R{δ_{l−1}} = (R{δ_l} W_l + δ_l V_l) ⊙ (1 − a²) − 2 (δ_l W_l) ⊙ a ⊙ R{a}
    /// ```
    ///
    /// # Errors
    /// [`Error::Shape`] if θ, `v` or the data have the wrong size.
    pub fn hvp(
        &self,
        theta: ArrayView1<f64>,
        data: &Dataset,
        v: ArrayView1<f64>,
    ) -> Result<Array1<f64>> {
        self.check_data(theta, data)?;
        self.check_len(v.len(), "v")?;
        let theta = contiguous(&theta);
        let pass = Pass::new(self, &theta, data.x.view());
        let probs = pass.probs();
        let y = contiguous(&data.y);
        Ok(Array1::from(pass.hvp(&theta, &contiguous(&v), &y, &probs)))
    }

    /// Gauss–Newton-vector product `G v = Jᵀ Λ J v / N`,
    /// `Λ = diag(σ(z_n)(1 − σ(z_n)))`, matrix-free: one forward pass, one
    /// R-forward pass (`J v`) and one back-propagation.
    ///
    /// # Errors
    /// [`Error::Shape`] if θ, `v` or the data have the wrong size.
    pub fn ggn_vec(
        &self,
        theta: ArrayView1<f64>,
        data: &Dataset,
        v: ArrayView1<f64>,
    ) -> Result<Array1<f64>> {
        self.check_data(theta, data)?;
        self.check_len(v.len(), "v")?;
        let theta = contiguous(&theta);
        let pass = Pass::new(self, &theta, data.x.view());
        let (r_acts, mut u) = pass.r_forward(&theta, &contiguous(&v));
        kernels::recycle_all(r_acts);
        let inv_n = 1.0 / pass.n as f64;
        for (u, s) in u.iter_mut().zip(pass.probs()) {
            *u *= s * (1.0 - s) * inv_n;
        }
        Ok(Array1::from(pass.backprop(&theta, &u)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn layout_and_sizes() {
        let m = Mlp::new(&[2, 8, 8, 1]).unwrap();
        assert_eq!(m.num_params(), 8 * 3 + 8 * 9 + 9);
        assert_eq!(m.layer_block(1), (24, 8, 9));
        assert!(Mlp::new(&[3, 1]).is_err());
        assert!(Mlp::new(&[2, 0, 1]).is_err());
        assert!(Mlp::new(&[2]).is_err());
    }

    #[test]
    fn pack_places_weights_then_bias_per_row() {
        let m = Mlp::new(&[2, 2, 1]).unwrap();
        let t = m
            .pack(&[
                (array![[1.0, 2.0], [3.0, 4.0]], array![5.0, 6.0]),
                (array![[7.0, 8.0]], array![9.0]),
            ])
            .unwrap();
        assert_eq!(t.to_vec(), vec![1., 2., 5., 3., 4., 6., 7., 8., 9.]);
        assert_eq!(m.param_index(1, 0, 2), 8);
    }

    #[test]
    fn softplus_is_stable() {
        assert_eq!(softplus(1000.0), 1000.0);
        assert!(softplus(-1000.0) >= 0.0 && softplus(-1000.0) < 1e-300);
        assert!((softplus(0.0) - 2f64.ln()).abs() < 1e-15);
        assert_eq!(sigmoid(-1000.0), 0.0);
        assert_eq!(sigmoid(1000.0), 1.0);
    }
}
