//! The forward pass of a batch and the passes built on it: loss, σ and the
//! output signal, back-propagation, the R-operator forward pass and
//! Hessian-vector products.

use super::products::*;
use super::*;

/// The forward pass of a batch, unit-major.
pub(crate) struct Pass {
    /// Number of examples `N`.
    pub n: usize,
    /// Layer geometry.
    pub blocks: Vec<Block>,
    /// `acts[l]` is `a_l` (`n_l × N`) for `l = 0 … L−1`; `a_0 = xᵀ`.
    pub acts: Vec<Vec<f64>>,
    /// Output logits `z_L` (`N`).
    pub logits: Vec<f64>,
}

impl Drop for Pass {
    fn drop(&mut self) {
        recycle_all(std::mem::take(&mut self.acts));
    }
}

impl Pass {
    /// Runs the network on `x` (`N × 2`); θ must have the network's length
    /// (checked by the caller).
    pub fn new(mlp: &Mlp, theta: &[f64], x: ArrayView2<f64>) -> Self {
        let n = x.nrows();
        let blocks = blocks(mlp);
        let mut acts = Vec::with_capacity(blocks.len());
        let mut a0 = scratch(x.ncols() * n);
        for (e, row) in x.rows().into_iter().enumerate() {
            for (j, &v) in row.iter().enumerate() {
                a0[j * n + e] = v;
            }
        }
        acts.push(a0);
        let mut logits = vec![0.0; n];
        let last = blocks.len() - 1;
        for (l, &b) in blocks.iter().enumerate() {
            let w_hat = b.of(theta);
            if l == last {
                layer_product(b, w_hat, &acts[l], n, &mut logits, true, false);
            } else {
                let mut a = scratch(b.rows * n);
                layer_forward_tanh(b, w_hat, &acts[l], n, &mut a);
                acts.push(a);
            }
        }
        Self {
            n,
            blocks,
            acts,
            logits,
        }
    }

    /// Mean loss, and per-example `σ(z_n)` written into `probs`.
    pub fn loss_and_probs(&self, y: &[f64], probs: &mut [f64]) -> f64 {
        self.loss_and_signal(y, probs, &mut [])
    }

    /// Mean loss, per-example `σ(z_n)` into `probs` and, unless `signal` is
    /// empty, the gradient's output signal `(σ(z_n) − y_n)/N` into `signal`.
    pub fn loss_and_signal(&self, y: &[f64], probs: &mut [f64], signal: &mut [f64]) -> f64 {
        let mut terms = scratch(self.n);
        let inv_n = 1.0 / self.n as f64;
        loss_terms(&self.logits, y, inv_n, &mut terms, probs, signal);
        let loss = sum(&terms) / self.n as f64;
        recycle(terms);
        loss
    }

    /// Per-example `σ(z_n)`.
    pub fn probs(&self) -> Vec<f64> {
        let mut p = vec![0.0; self.n];
        sigmoids(&self.logits, &mut p);
        p
    }

    /// Back-propagates the output signal `u` (`N`): returns `Jᵀ u` (`D`).
    pub fn backprop(&self, theta: &[f64], u: &[f64]) -> Vec<f64> {
        self.backprop_with(theta, u, true, None)
    }

    /// Each layer's output signal `g_l = ∂z_L/∂z_l` (`n_l × N`), without the gradient.
    pub fn output_signals(&self, theta: &[f64]) -> Vec<Vec<f64>> {
        let mut signals = Vec::with_capacity(self.blocks.len());
        self.backprop_with(theta, &vec![1.0; self.n], false, Some(&mut signals));
        signals
    }

    /// Back-propagation of `u`: `Jᵀ u` if `with_grad` (else an empty vector),
    /// and each layer's `∂(Σ u z)/∂z_l` (`n_l × N`) into `signals` if given.
    fn backprop_with(
        &self,
        theta: &[f64],
        u: &[f64],
        with_grad: bool,
        mut signals: Option<&mut Vec<Vec<f64>>>,
    ) -> Vec<f64> {
        let n = self.n;
        let d_total = self.blocks.last().map_or(0, |b| b.off + b.size());
        let mut grad = vec![0.0; if with_grad { d_total } else { 0 }];
        let mut delta = scratch(u.len());
        delta.copy_from_slice(u);
        for l in (0..self.blocks.len()).rev() {
            let b = self.blocks[l];
            if with_grad {
                outer_accumulate(b, &delta, &self.acts[l], n, b.of_mut(&mut grad), true);
            }
            // overwritten in full: a pooled buffer needs no zeroing
            let mut next = scratch(if l > 0 { b.fan_in() * n } else { 0 });
            if l > 0 {
                layer_backward_tanh(b, b.of(theta), &delta, &self.acts[l], n, &mut next);
            }
            match signals.as_deref_mut() {
                Some(s) => s.push(std::mem::replace(&mut delta, next)),
                None => recycle(std::mem::replace(&mut delta, next)),
            }
        }
        if let Some(s) = signals {
            s.reverse();
        }
        recycle(delta);
        grad
    }

    /// R-forward pass along `v`: `R{a_l}` for `l = 1 … L−1` (index `l`,
    /// entry 0 unused and empty) and `R{z_L} = J v` (`N`).
    pub fn r_forward(&self, theta: &[f64], v: &[f64]) -> (Vec<Vec<f64>>, Vec<f64>) {
        let n = self.n;
        let last = self.blocks.len() - 1;
        let mut r_acts: Vec<Vec<f64>> = vec![Vec::new()];
        let mut jv = vec![0.0; n];
        for (l, &b) in self.blocks.iter().enumerate() {
            let out_len = b.rows * n;
            let mut r_z = if l == last {
                std::mem::take(&mut jv)
            } else {
                scratch(out_len) // overwritten in full
            };
            // R{z_l} = V̂_l â_{l−1} + W_l R{a_{l−1}}
            layer_product(b, b.of(v), &self.acts[l], n, &mut r_z, true, false);
            if l > 0 {
                layer_product(b, b.of(theta), &r_acts[l], n, &mut r_z, false, true);
            }
            if l == last {
                jv = r_z;
            } else {
                for (r, &a) in r_z.iter_mut().zip(&self.acts[l + 1]) {
                    *r *= 1.0 - a * a;
                }
                r_acts.push(r_z);
            }
        }
        (r_acts, jv)
    }

    /// Exact `H v` for the mean cross-entropy with labels `y` (Pearlmutter).
    pub fn hvp(&self, theta: &[f64], v: &[f64], y: &[f64], probs: &[f64]) -> Vec<f64> {
        let n = self.n;
        let inv_n = 1.0 / n as f64;
        let (r_acts, r_z) = self.r_forward(theta, v);
        // Pooled buffers long enough for every layer (the kernels read and
        // write prefixes only), so none is zeroed or grown.
        let max_len = self
            .blocks
            .iter()
            .map(|b| b.fan_in() * n)
            .fold(n, usize::max);
        let (mut delta, mut r_delta) = (scratch(max_len), scratch(max_len));
        for e in 0..n {
            let s = probs[e];
            delta[e] = (s - y[e]) * inv_n;
            r_delta[e] = s * (1.0 - s) * r_z[e] * inv_n;
        }
        let d_total = self.blocks.last().map_or(0, |b| b.off + b.size());
        let mut hv = vec![0.0; d_total];
        let (mut dw, mut r_new) = (scratch(max_len), scratch(max_len));
        for l in (0..self.blocks.len()).rev() {
            let b = self.blocks[l];
            let g = b.of_mut(&mut hv);
            outer_accumulate(b, &r_delta, &self.acts[l], n, g, true);
            if l > 0 {
                outer_accumulate(b, &delta, &r_acts[l], n, g, false);
                let len = b.fan_in() * n;
                layer_product_t(b, b.of(theta), &delta, n, &mut dw, false);
                layer_product_t(b, b.of(theta), &r_delta, n, &mut r_new, false);
                layer_product_t(b, b.of(v), &delta, n, &mut r_new, true);
                let a = &self.acts[l];
                let ra = &r_acts[l];
                for e in 0..len {
                    let s = 1.0 - a[e] * a[e];
                    r_delta[e] = r_new[e] * s - 2.0 * dw[e] * a[e] * ra[e];
                    delta[e] = dw[e] * s;
                }
            }
        }
        recycle_all(vec![delta, r_delta, dw, r_new]);
        recycle_all(r_acts);
        hv
    }
}
