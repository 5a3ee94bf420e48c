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
//!
//! # Derivatives
//! - gradient: back-propagation;
//! - Hessian-vector products `H v`: Pearlmutter's R-operator (forward pass of
//!   `R{·} = d/dr (·)(θ + r v)|_{r=0}` followed by its backward pass), exact to
//!   round-off, at the cost of about two gradients;
//! - Jacobian-vector products `J v` (R-forward only) and transposed products
//!   `Jᵀ u` (back-propagation of an arbitrary output signal), which make
//!   Gauss–Newton-vector products `G v = Jᵀ Λ J v / N` without any matrix;
//! - the dense Hessian as `D` Hessian-vector products, symmetrised.
//!
//! Reference: B. A. Pearlmutter, *Fast exact multiplication by the Hessian*,
//! Neural Computation 6(1), 1994.

use ndarray::{s, Array1, Array2, ArrayView1, ArrayView2, Axis};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};

use crate::data::Dataset;
use crate::error::{Error, Result};

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

impl Mlp {
    /// An MLP with the given widths `[2, h1, …, 1]`.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] unless there are at least two widths, the first
    /// is 2, the last is 1 and none is zero.
    pub fn new(widths: &[usize]) -> Result<Self> {
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

    /// Seeded Glorot-normal initialisation: weights `N(0, 2/(n_in + n_out))`,
    /// biases zero.
    pub fn init(&self, seed: u64) -> Array1<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut theta = Array1::zeros(self.num_params());
        for l in 0..self.num_layers() {
            let (off, rows, cols) = self.layer_block(l);
            let std = (2.0 / (self.widths[l] + self.widths[l + 1]) as f64).sqrt();
            let normal = Normal::new(0.0, std).expect("positive std");
            for i in 0..rows {
                for j in 0..cols - 1 {
                    theta[off + i * cols + j] = normal.sample(&mut rng);
                }
            }
        }
        theta
    }

    /// Assembles θ from per-layer `(W_l, b_l)` pairs.
    ///
    /// # Errors
    /// [`Error::Shape`] if the number of layers or a shape does not match.
    pub fn pack(&self, layers: &[(Array2<f64>, Array1<f64>)]) -> Result<Array1<f64>> {
        if layers.len() != self.num_layers() {
            return Err(Error::Shape(format!(
                "{} layers given, the MLP has {}",
                layers.len(),
                self.num_layers()
            )));
        }
        let mut theta = Array1::zeros(self.num_params());
        for (l, (w, b)) in layers.iter().enumerate() {
            let (off, rows, cols) = self.layer_block(l);
            if w.dim() != (rows, cols - 1) || b.len() != rows {
                return Err(Error::Shape(format!(
                    "layer {l}: expected W {rows}×{} and b {rows}, got W {:?} and b {}",
                    cols - 1,
                    w.dim(),
                    b.len()
                )));
            }
            for i in 0..rows {
                for j in 0..cols - 1 {
                    theta[off + i * cols + j] = w[[i, j]];
                }
                theta[off + i * cols + cols - 1] = b[i];
            }
        }
        Ok(theta)
    }

    /// Index in θ of weight `W_l[i, j]` (`j < n_{l−1}`) or, with
    /// `j == n_{l−1}`, of bias `b_l[i]`.
    pub fn param_index(&self, l: usize, i: usize, j: usize) -> usize {
        let (off, _, cols) = self.layer_block(l);
        off + i * cols + j
    }

    fn check(&self, theta: ArrayView1<f64>, x: ArrayView2<f64>) -> Result<()> {
        if theta.len() != self.num_params() {
            return Err(Error::Shape(format!(
                "θ has {} entries, the MLP {:?} has {} parameters",
                theta.len(),
                self.widths,
                self.num_params()
            )));
        }
        if x.ncols() != self.widths[0] {
            return Err(Error::Shape(format!(
                "inputs have {} columns, expected {}",
                x.ncols(),
                self.widths[0]
            )));
        }
        Ok(())
    }

    /// `Ŵ_l` as a view `n_l × (n_{l−1}+1)`.
    fn block<'a>(&self, theta: ArrayView1<'a, f64>, l: usize) -> ArrayView2<'a, f64> {
        let (off, rows, cols) = self.layer_block(l);
        theta
            .slice_move(s![off..off + rows * cols])
            .into_shape_with_order((rows, cols))
            .expect("contiguous block")
    }

    /// `z = â Ŵᵀ` for a batch: `a` (`N × n_in`) times the weight part plus the bias row.
    fn affine(a: &Array2<f64>, w_hat: ArrayView2<f64>) -> Array2<f64> {
        let cols = w_hat.ncols();
        let w = w_hat.slice(s![.., ..cols - 1]);
        let b = w_hat.column(cols - 1);
        let mut z = a.dot(&w.t());
        z += &b;
        z
    }

    /// The forward pass on inputs `x` (`N × 2`).
    ///
    /// # Errors
    /// [`Error::Shape`] if θ or `x` has the wrong size.
    pub fn forward(&self, theta: ArrayView1<f64>, x: ArrayView2<f64>) -> Result<ForwardPass> {
        self.check(theta, x)?;
        let mut activations = Vec::with_capacity(self.num_layers());
        let mut a = x.to_owned();
        for l in 0..self.num_layers() {
            let z = Self::affine(&a, self.block(theta, l));
            activations.push(a);
            if l + 1 == self.num_layers() {
                return Ok(ForwardPass {
                    activations,
                    logits: z.column(0).to_owned(),
                });
            }
            a = z.mapv(f64::tanh);
        }
        unreachable!("an MLP has at least one layer")
    }

    /// Logits `z_L` for inputs `x` (`N × 2`).
    ///
    /// # Errors
    /// [`Error::Shape`] if θ or `x` has the wrong size.
    pub fn logits(&self, theta: ArrayView1<f64>, x: ArrayView2<f64>) -> Result<Array1<f64>> {
        Ok(self.forward(theta, x)?.logits)
    }

    /// Mean binary cross-entropy `L(θ)` on `data`.
    ///
    /// # Errors
    /// [`Error::Shape`] if θ has the wrong length.
    pub fn loss(&self, theta: ArrayView1<f64>, data: &Dataset) -> Result<f64> {
        let z = self.logits(theta, data.x.view())?;
        let n = data.len() as f64;
        Ok(z.iter()
            .zip(data.y.iter())
            .map(|(&z, &y)| bce_from_logit(z, y))
            .sum::<f64>()
            / n)
    }

    /// Back-propagates an output signal `u` (`N`, the derivative of some scalar
    /// with respect to each logit) to θ: returns `Jᵀ u = Σ_n u_n ∂z_n/∂θ`.
    fn backprop(&self, theta: ArrayView1<f64>, fp: &ForwardPass, u: &Array1<f64>) -> Array1<f64> {
        let mut grad = Array1::zeros(self.num_params());
        let mut delta = u.clone().insert_axis(Axis(1)); // N × n_L
        for l in (0..self.num_layers()).rev() {
            let a = &fp.activations[l];
            let (off, rows, cols) = self.layer_block(l);
            {
                let mut g = grad
                    .slice_mut(s![off..off + rows * cols])
                    .into_shape_with_order((rows, cols))
                    .expect("contiguous block");
                g.slice_mut(s![.., ..cols - 1]).assign(&delta.t().dot(a));
                g.column_mut(cols - 1).assign(&delta.sum_axis(Axis(0)));
            }
            if l > 0 {
                let w_hat = self.block(theta, l);
                let w = w_hat.slice(s![.., ..cols - 1]);
                let mut d = delta.dot(&w);
                d.zip_mut_with(a, |d, &a| *d *= 1.0 - a * a);
                delta = d;
            }
        }
        grad
    }

    /// Gradient `∇L(θ)` by back-propagation of `(σ(z_n) − y_n)/N`.
    ///
    /// # Errors
    /// [`Error::Shape`] if θ has the wrong length.
    pub fn gradient(&self, theta: ArrayView1<f64>, data: &Dataset) -> Result<Array1<f64>> {
        let fp = self.forward(theta, data.x.view())?;
        let n = data.len() as f64;
        let u = Array1::from_iter(
            fp.logits
                .iter()
                .zip(data.y.iter())
                .map(|(&z, &y)| (sigmoid(z) - y) / n),
        );
        Ok(self.backprop(theta, &fp, &u))
    }

    /// Loss and gradient from one forward pass.
    ///
    /// # Errors
    /// [`Error::Shape`] if θ has the wrong length.
    pub fn loss_and_gradient(
        &self,
        theta: ArrayView1<f64>,
        data: &Dataset,
    ) -> Result<(f64, Array1<f64>)> {
        let fp = self.forward(theta, data.x.view())?;
        let n = data.len() as f64;
        let loss = fp
            .logits
            .iter()
            .zip(data.y.iter())
            .map(|(&z, &y)| bce_from_logit(z, y))
            .sum::<f64>()
            / n;
        let u = Array1::from_iter(
            fp.logits
                .iter()
                .zip(data.y.iter())
                .map(|(&z, &y)| (sigmoid(z) - y) / n),
        );
        Ok((loss, self.backprop(theta, &fp, &u)))
    }

    /// R-forward pass: `R{a_l}` for every layer input and `R{z_L} = J v`.
    fn r_forward(
        &self,
        theta: ArrayView1<f64>,
        v: ArrayView1<f64>,
        fp: &ForwardPass,
    ) -> (Vec<Array2<f64>>, Array1<f64>) {
        let n = fp.logits.len();
        let mut r_acts = Vec::with_capacity(self.num_layers());
        let mut r_a = Array2::<f64>::zeros((n, self.widths[0]));
        for l in 0..self.num_layers() {
            let w_hat = self.block(theta, l);
            let v_hat = self.block(v, l);
            let cols = w_hat.ncols();
            let w = w_hat.slice(s![.., ..cols - 1]);
            // R{z_l} = R{a_{l-1}} Wᵀ + a_{l-1} V_wᵀ + v_b
            let mut r_z = r_a.dot(&w.t());
            r_z += &Self::affine(&fp.activations[l], v_hat);
            r_acts.push(r_a);
            if l + 1 == self.num_layers() {
                return (r_acts, r_z.column(0).to_owned());
            }
            // R{a_l} = (1 − a_l²) ⊙ R{z_l}
            let a_next = &fp.activations[l + 1];
            r_z.zip_mut_with(a_next, |r, &a| *r *= 1.0 - a * a);
            r_a = r_z;
        }
        unreachable!("an MLP has at least one layer")
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
        self.check(v, x)?;
        let fp = self.forward(theta, x)?;
        Ok(self.r_forward(theta, v, &fp).1)
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
        if u.len() != x.nrows() {
            return Err(Error::Shape(format!(
                "u has {} entries for {} examples",
                u.len(),
                x.nrows()
            )));
        }
        let fp = self.forward(theta, x)?;
        Ok(self.backprop(theta, &fp, &u.to_owned()))
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
    /// [`Error::Shape`] if θ or `v` has the wrong length.
    pub fn hvp(
        &self,
        theta: ArrayView1<f64>,
        data: &Dataset,
        v: ArrayView1<f64>,
    ) -> Result<Array1<f64>> {
        self.check(v, data.x.view())?;
        let fp = self.forward(theta, data.x.view())?;
        let (r_acts, r_z) = self.r_forward(theta, v, &fp);
        let n = data.len() as f64;
        let mut delta = Array2::zeros((data.len(), 1));
        let mut r_delta = Array2::zeros((data.len(), 1));
        for i in 0..data.len() {
            let s = sigmoid(fp.logits[i]);
            delta[[i, 0]] = (s - data.y[i]) / n;
            r_delta[[i, 0]] = s * (1.0 - s) * r_z[i] / n;
        }
        let mut hv = Array1::zeros(self.num_params());
        for l in (0..self.num_layers()).rev() {
            let a = &fp.activations[l];
            let r_a = &r_acts[l];
            let (off, rows, cols) = self.layer_block(l);
            {
                let mut g = hv
                    .slice_mut(s![off..off + rows * cols])
                    .into_shape_with_order((rows, cols))
                    .expect("contiguous block");
                let mut gw = r_delta.t().dot(a);
                gw += &delta.t().dot(r_a);
                g.slice_mut(s![.., ..cols - 1]).assign(&gw);
                g.column_mut(cols - 1).assign(&r_delta.sum_axis(Axis(0)));
            }
            if l > 0 {
                let w_hat = self.block(theta, l);
                let v_hat = self.block(v, l);
                let w = w_hat.slice(s![.., ..cols - 1]);
                let vw = v_hat.slice(s![.., ..cols - 1]);
                let dw = delta.dot(&w); // δ_l W_l
                let mut r_new = r_delta.dot(&w);
                r_new += &delta.dot(&vw);
                let mut new_r_delta = Array2::zeros(dw.raw_dim());
                let mut new_delta = Array2::zeros(dw.raw_dim());
                for ((idx, out), &d) in new_r_delta.indexed_iter_mut().zip(dw.iter()) {
                    let av = a[idx];
                    let ra = r_a[idx];
                    *out = r_new[idx] * (1.0 - av * av) - 2.0 * d * av * ra;
                    new_delta[idx] = d * (1.0 - av * av);
                }
                delta = new_delta;
                r_delta = new_r_delta;
            }
        }
        Ok(hv)
    }

    /// Dense Hessian `∇²L(θ)` (`D × D`), from `D` exact Hessian-vector
    /// products, symmetrised as `(H + Hᵀ)/2` to remove round-off asymmetry.
    ///
    /// # Errors
    /// [`Error::Shape`] if θ has the wrong length.
    pub fn hessian(&self, theta: ArrayView1<f64>, data: &Dataset) -> Result<Array2<f64>> {
        let d = self.num_params();
        let mut h = Array2::zeros((d, d));
        let mut e = Array1::zeros(d);
        for j in 0..d {
            e[j] = 1.0;
            h.column_mut(j).assign(&self.hvp(theta, data, e.view())?);
            e[j] = 0.0;
        }
        let ht = h.t().to_owned();
        Ok((h + ht) * 0.5)
    }

    /// Per-layer inputs `â_{l−1}` and per-example output gradients
    /// `∂z_{L,n}/∂z_{l,n}`, the ingredients of the output Jacobian and of K-FAC.
    ///
    /// # Errors
    /// [`Error::Shape`] if θ has the wrong length.
    pub fn layer_signals(
        &self,
        theta: ArrayView1<f64>,
        x: ArrayView2<f64>,
    ) -> Result<(Array1<f64>, Vec<LayerSignals>)> {
        let fp = self.forward(theta, x)?;
        let n = x.nrows();
        let mut out = Vec::with_capacity(self.num_layers());
        let mut delta = Array2::<f64>::ones((n, 1));
        for l in (0..self.num_layers()).rev() {
            let a = &fp.activations[l];
            let (off, _, cols) = self.layer_block(l);
            let mut inputs = Array2::ones((n, cols));
            inputs.slice_mut(s![.., ..cols - 1]).assign(a);
            let next = if l > 0 {
                let w_hat = self.block(theta, l);
                let w = w_hat.slice(s![.., ..cols - 1]);
                let mut d = delta.dot(&w);
                d.zip_mut_with(a, |d, &a| *d *= 1.0 - a * a);
                Some(d)
            } else {
                None
            };
            out.push(LayerSignals {
                offset: off,
                inputs,
                output_grads: delta,
            });
            match next {
                Some(d) => delta = d,
                None => break,
            }
        }
        out.reverse();
        Ok((fp.logits, out))
    }

    /// Output Jacobian `J` (`N × D`): row `n` is `∇_θ z_n`, the gradient of
    /// example `n`'s logit.
    ///
    /// # Errors
    /// [`Error::Shape`] if θ has the wrong length.
    pub fn output_jacobian(
        &self,
        theta: ArrayView1<f64>,
        x: ArrayView2<f64>,
    ) -> Result<Array2<f64>> {
        let (_, layers) = self.layer_signals(theta, x)?;
        let n = x.nrows();
        let mut j = Array2::zeros((n, self.num_params()));
        for sig in &layers {
            let rows = sig.output_grads.ncols();
            let cols = sig.inputs.ncols();
            for e in 0..n {
                for r in 0..rows {
                    let d = sig.output_grads[[e, r]];
                    for c in 0..cols {
                        j[[e, sig.offset + r * cols + c]] = d * sig.inputs[[e, c]];
                    }
                }
            }
        }
        Ok(j)
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
