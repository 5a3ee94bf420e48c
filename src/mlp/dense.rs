//! Dense curvature matrices from whole-batch kernels: the output Jacobian,
//! weighted Gram matrices `Jᵀ diag(w) J` (GGN, Fisher), the exact Hessian and
//! the K-FAC factors.
//!
//! # The exact Hessian
//! For the mean loss with per-example weights `λ_n = σ_n(1 − σ_n)` and
//! `u_n = (σ_n − y_n)/N`,
//!
//! ```text
//! H = Jᵀ diag(λ/N) J  +  Σ_n u_n ∇²z_n        (Gauss–Newton part + residual)
//! ```
//!
//! The first term is one Gram product over the batch (`D² N / 2` fixed-order
//! multiply-adds, the upper triangle only). With one hidden layer `z = w₂ᵀ tanh(Ŵ₁ x̂) + b₂`, the
//! residual is sparse and has a closed form (`φ = tanh`, `φ' = 1 − a²`,
//! `φ'' = −2 a φ'`):
//!
//! ```text
//! ∂²z/∂Ŵ₁[i,m] ∂Ŵ₁[i,m'] = w₂ᵢ φ''(z₁ᵢ) x̂_m x̂_m'      (one (n₀+1)² block per hidden unit)
//! ∂²z/∂Ŵ₁[i,m] ∂w₂ᵢ      = φ'(z₁ᵢ) x̂_m               (one row per hidden unit)
//! ```
//!
//! so the Hessian costs about one GGN. Deeper networks take one exact
//! Hessian-vector product per parameter (Pearlmutter's R-operator), all
//! sharing one forward pass.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};

use super::kernels::{
    buffer, contiguous, dot, gram_triangle, recycle, recycle_all, scratch, sum, Pass,
};
use super::{KroneckerFactors, LayerSignals, Mlp};
use crate::data::Dataset;
use crate::error::Result;

impl Mlp {
    /// Dense Hessian `∇²L(θ)` (`D × D`), exactly symmetric.
    ///
    /// The Gauss–Newton part `Jᵀ Λ J / N` is one Gram product; for a network
    /// with at most one hidden layer the residual `Σ_n u_n ∇²z_n`,
    /// `u_n = (σ(z_n) − y_n)/N`, is added in closed form; deeper networks
    /// take one Hessian-vector product per parameter instead, symmetrised as
    /// `(H + Hᵀ)/2`.
    ///
    /// # Errors
    /// [`Error::Shape`](crate::error::Error::Shape) if θ or the data have the wrong size.
    pub fn hessian(&self, theta: ArrayView1<f64>, data: &Dataset) -> Result<Array2<f64>> {
        self.check_data(theta, data)?;
        let theta = contiguous(&theta);
        let pass = Pass::new(self, &theta, data.x.view());
        Ok(exact_hessian(&pass, &theta, &contiguous(&data.y)))
    }

    /// Dense generalised Gauss–Newton matrix `G = Jᵀ Λ J / N` (`D × D`),
    /// `Λ = diag(σ(z_n)(1 − σ(z_n)))`, exactly symmetric and PSD. It equals
    /// the true Fisher for sigmoid + cross-entropy.
    ///
    /// # Errors
    /// [`Error::Shape`](crate::error::Error::Shape) if θ or the data have the wrong size.
    pub fn ggn(&self, theta: ArrayView1<f64>, data: &Dataset) -> Result<Array2<f64>> {
        self.check_data(theta, data)?;
        let theta = contiguous(&theta);
        let pass = Pass::new(self, &theta, data.x.view());
        let lambda: Vec<f64> = pass.probs().iter().map(|&s| s * (1.0 - s)).collect();
        Ok(self.gram_from_pass(&pass, &theta, &lambda))
    }

    /// Weighted Gram matrix of the output Jacobian,
    /// `(1/N) Jᵀ diag(w) J = (1/N) Σ_n w_n ∇_θ z_n ∇_θ z_nᵀ` (`D × D`, exactly
    /// symmetric): the GGN with `w_n = σ_n(1 − σ_n)`, the empirical Fisher
    /// with `w_n = (σ_n − y_n)²`, a Monte-Carlo Fisher with sampled weights.
    ///
    /// `weights` receives the logits `z` (`N`) of the same forward pass and
    /// returns `w` (`N`), so that weights depending on `σ(z_n)` cost no second
    /// pass; fixed weights are `|_| w`.
    ///
    /// # Errors
    /// [`Error::Shape`](crate::error::Error::Shape) if θ or `x` has the wrong size or `w` is not one entry
    /// per example.
    ///
    /// # Example
    /// ```
    /// use quad_vs_grad::{data::Dataset, mlp::{sigmoid, Mlp}};
    /// let data = Dataset::reference();
    /// let mlp = Mlp::new(&[2, 4, 1])?;
    /// let theta = mlp.init(1);
    /// // the empirical Fisher, w_n = (σ(z_n) − y_n)²
    /// let y = data.y.clone();
    /// let f = mlp.jacobian_gram(theta.view(), data.x.view(), |z| {
    ///     ndarray::Zip::from(&z).and(&y).map_collect(|&z, &y| (sigmoid(z) - y).powi(2))
    /// })?;
    /// assert_eq!(f.dim(), (17, 17));
    /// # Ok::<(), quad_vs_grad::error::Error>(())
    /// ```
    pub fn jacobian_gram(
        &self,
        theta: ArrayView1<f64>,
        x: ArrayView2<f64>,
        weights: impl FnOnce(ArrayView1<f64>) -> Array1<f64>,
    ) -> Result<Array2<f64>> {
        self.check(theta, x)?;
        let theta = contiguous(&theta);
        let pass = Pass::new(self, &theta, x);
        let w = weights(ArrayView1::from(&pass.logits[..]));
        self.check_signal(w.view(), x)?;
        Ok(self.gram_from_pass(&pass, &theta, &contiguous(&w)))
    }

    fn gram_from_pass(&self, pass: &Pass, theta: &[f64], w: &[f64]) -> Array2<f64> {
        let n = pass.n;
        let signals = pass.output_signals(theta);
        let jt = jacobian_t(pass, &signals);
        recycle_all(signals);
        let inv_n = 1.0 / n as f64;
        let w: Vec<f64> = w.iter().map(|&w| w * inv_n).collect();
        let g = weighted_gram(&jt, self.num_params(), n, &w);
        recycle(jt);
        g
    }

    /// Per-layer inputs `â_{l−1}` and per-example output gradients
    /// `∂z_{L,n}/∂z_{l,n}`, the ingredients of the output Jacobian and of K-FAC.
    ///
    /// # Errors
    /// [`Error::Shape`](crate::error::Error::Shape) if θ has the wrong length.
    pub fn layer_signals(
        &self,
        theta: ArrayView1<f64>,
        x: ArrayView2<f64>,
    ) -> Result<(Array1<f64>, Vec<LayerSignals>)> {
        self.check(theta, x)?;
        let theta = contiguous(&theta);
        let pass = Pass::new(self, &theta, x);
        let n = pass.n;
        let signals = pass.output_signals(&theta);
        let layers = pass
            .blocks
            .iter()
            .zip(&signals)
            .enumerate()
            .map(|(l, (b, g))| {
                let a = &pass.acts[l];
                let k = b.fan_in();
                LayerSignals {
                    offset: b.off,
                    inputs: Array2::from_shape_fn((n, b.cols), |(e, m)| {
                        if m < k {
                            a[m * n + e]
                        } else {
                            1.0
                        }
                    }),
                    output_grads: Array2::from_shape_fn((n, b.rows), |(e, i)| g[i * n + e]),
                }
            })
            .collect();
        Ok((Array1::from(pass.logits.clone()), layers))
    }

    /// Output Jacobian `J` (`N × D`): row `n` is `∇_θ z_n`, the gradient of
    /// example `n`'s logit.
    ///
    /// # Errors
    /// [`Error::Shape`](crate::error::Error::Shape) if θ has the wrong length.
    pub fn output_jacobian(
        &self,
        theta: ArrayView1<f64>,
        x: ArrayView2<f64>,
    ) -> Result<Array2<f64>> {
        self.check(theta, x)?;
        let theta = contiguous(&theta);
        let pass = Pass::new(self, &theta, x);
        let n = pass.n;
        let signals = pass.output_signals(&theta);
        let jt = jacobian_t(&pass, &signals);
        recycle_all(signals);
        let d = self.num_params();
        Ok(Array2::from_shape_vec((d, n), jt)
            .expect("D × N")
            .reversed_axes()
            .as_standard_layout()
            .into_owned())
    }

    /// K-FAC factors of every layer in one pass over the data: for layer `l`,
    ///
    /// ```text
    /// A_l = (1/N) Σ_n â_{l−1,n} â_{l−1,n}ᵀ,     G_l = (1/N) Σ_n w_n g_{l,n} g_{l,n}ᵀ,
    /// ```
    ///
    /// with `g_{l,n} = ∂z_{L,n}/∂z_{l,n}` and per-example weights `w` (`N`):
    /// `σ_n(1 − σ_n)` for the exact Fisher (= GGN), `(σ_n − y_n)²` for the
    /// empirical one. `weights` receives the logits `z` (`N`) of the same
    /// forward pass and returns `w`; fixed weights are `|_| w`. The layer's
    /// curvature block is approximated by `G_l ⊗ A_l` (exact for `N = 1`).
    /// Martens & Grosse, ICML 2015.
    ///
    /// # Errors
    /// [`Error::Shape`](crate::error::Error::Shape) if θ or `x` has the wrong size, or `w` is not one
    /// finite, non-negative weight per example.
    pub fn kfac_factors(
        &self,
        theta: ArrayView1<f64>,
        x: ArrayView2<f64>,
        weights: impl FnOnce(ArrayView1<f64>) -> Array1<f64>,
    ) -> Result<Vec<KroneckerFactors>> {
        self.check(theta, x)?;
        let theta = contiguous(&theta);
        let pass = Pass::new(self, &theta, x);
        let w = weights(ArrayView1::from(&pass.logits[..]));
        self.check_weights(w.view(), x)?;
        let n = pass.n;
        let signals = pass.output_signals(&theta);
        let inv_n = 1.0 / n as f64;
        let w: Vec<f64> = w.iter().map(|&w| w * inv_n).collect();
        let uniform = vec![inv_n; n];
        let mut a_hat = buffer(0);
        let factors = pass
            .blocks
            .iter()
            .zip(&signals)
            .enumerate()
            .map(|(l, (b, g))| {
                let k = b.fan_in();
                let a = if k >= INPUT_FACTOR_DIRECT_MIN {
                    // the Gram of the activations and their sums,
                    // without copying them
                    input_factor(&pass.acts[l], k, n)
                } else {
                    // the triangle of dot products of `[a; 1]`, as before
                    a_hat.clear();
                    a_hat.extend_from_slice(&pass.acts[l][..k * n]);
                    a_hat.resize(b.cols * n, 1.0);
                    weighted_gram(&a_hat, b.cols, n, &uniform)
                };
                KroneckerFactors {
                    offset: b.off,
                    a,
                    g: weighted_gram(g, b.rows, n, &w),
                }
            })
            .collect();
        recycle_all(signals);
        recycle(a_hat);
        Ok(factors)
    }
}

/// From this many rows on, the K-FAC input factor is the Gram of the
/// activations plus their sums (no copy of the activations); below, the Gram
/// of the bias-augmented copy, whose bits the course's pins were made with.
const INPUT_FACTOR_DIRECT_MIN: usize = 16;

/// `Σ_n w_n a_{·n} a_{·n}ᵀ` for `a` (`rows × N`, row-major): an exactly
/// symmetric `rows × rows` matrix, only its upper triangle computed.
pub(crate) fn weighted_gram(a: &[f64], rows: usize, n: usize, w: &[f64]) -> Array2<f64> {
    let mut b = scratch(rows * n); // overwritten in full
    for (out, row) in b.chunks_exact_mut(n).zip(a.chunks_exact(n)) {
        for ((o, &x), &w) in out.iter_mut().zip(row).zip(w) {
            *o = x * w;
        }
    }
    let mut g = Array2::zeros((rows, rows));
    gram_into(a, &b, rows, n, 1.0, &mut g);
    recycle(b);
    g
}

/// `K-FAC`'s input factor `Â = (1/N) Σ_n â_n â_nᵀ` (`(k+1) × (k+1)`) of the
/// activations `a` (`k × N`, row-major) with the bias entry `â = [a; 1]`,
/// without copying `a`: the Gram block `a aᵀ / N`, the bias column `a 1 / N`
/// and the corner `1`.
pub(crate) fn input_factor(a: &[f64], k: usize, n: usize) -> Array2<f64> {
    let inv_n = 1.0 / n as f64;
    let mut f = Array2::zeros((k + 1, k + 1));
    gram_into(a, a, k, n, inv_n, &mut f);
    for j in 0..k {
        let v = sum(&a[j * n..(j + 1) * n]) * inv_n;
        f[[j, k]] = v;
        f[[k, j]] = v;
    }
    f[[k, k]] = 1.0;
    f
}

/// `g[..rows, ..rows] ← alpha · a bᵀ` for `a`, `b` (`rows × N`, row-major)
/// whose product is known to be symmetric (`b` a row-wise weighting of `a`):
/// only the upper triangle is computed, then mirrored, so that `g` is exactly
/// symmetric. `g` is a standard-layout matrix of at least `rows` rows and
/// columns, written in place.
fn gram_into(a: &[f64], b: &[f64], rows: usize, n: usize, alpha: f64, g: &mut Array2<f64>) {
    let ld = g.ncols();
    let g = g
        .as_slice_mut()
        .expect("a freshly allocated matrix is in standard layout");
    gram_triangle(a, b, rows, n, alpha, g, ld);
}

/// `Jᵀ` (`D × N`, row-major) from the per-layer output signals
/// `g_l = ∂z_L/∂z_l` (`n_l × N`): row `(l, i, m)` is `g_l[i] ⊙ â_{l−1}[m]`.
pub(crate) fn jacobian_t(pass: &Pass, signals: &[Vec<f64>]) -> Vec<f64> {
    let n = pass.n;
    let d_total = pass.blocks.last().map_or(0, |b| b.off + b.size());
    let mut jt = buffer(d_total * n);
    for (l, b) in pass.blocks.iter().enumerate() {
        let a = &pass.acts[l];
        let k = b.fan_in();
        for i in 0..b.rows {
            let gi = &signals[l][i * n..(i + 1) * n];
            for m in 0..b.cols {
                let row = b.off + i * b.cols + m;
                let out = &mut jt[row * n..(row + 1) * n];
                if m < k {
                    for ((o, &g), &x) in out.iter_mut().zip(gi).zip(&a[m * n..(m + 1) * n]) {
                        *o = g * x;
                    }
                } else {
                    out.copy_from_slice(gi);
                }
            }
        }
    }
    jt
}

/// The exact dense Hessian, `D × D`, exactly symmetric.
pub(crate) fn exact_hessian(pass: &Pass, theta: &[f64], y: &[f64]) -> Array2<f64> {
    let n = pass.n;
    let inv_n = 1.0 / n as f64;
    let probs = pass.probs();
    let u: Vec<f64> = probs
        .iter()
        .zip(y)
        .map(|(&s, &y)| (s - y) * inv_n)
        .collect();
    let d_total = pass.blocks.last().map_or(0, |b| b.off + b.size());
    if pass.blocks.len() > 2 {
        let mut h = Array2::zeros((d_total, d_total));
        let mut e = vec![0.0; d_total];
        for j in 0..d_total {
            e[j] = 1.0;
            let col = pass.hvp(theta, &e, y, &probs);
            e[j] = 0.0;
            for (i, v) in col.into_iter().enumerate() {
                h[[i, j]] = v;
            }
        }
        let ht = h.t().to_owned();
        return (h + ht) * 0.5;
    }
    let lambda: Vec<f64> = probs.iter().map(|&s| s * (1.0 - s) * inv_n).collect();
    let signals = pass.output_signals(theta);
    let jt = jacobian_t(pass, &signals);
    recycle_all(signals);
    let mut h = weighted_gram(&jt, d_total, n, &lambda);
    recycle(jt);
    if pass.blocks.len() == 2 {
        add_one_hidden_layer_residual(pass, theta, &u, &mut h);
    }
    h
}

/// Adds `Σ_n u_n ∇²z_n` of a one-hidden-layer network (see the module docs),
/// symmetrically.
fn add_one_hidden_layer_residual(pass: &Pass, theta: &[f64], u: &[f64], h: &mut Array2<f64>) {
    let n = pass.n;
    let (b1, b2) = (pass.blocks[0], pass.blocks[1]);
    let (x, a) = (&pass.acts[0], &pass.acts[1]);
    let k = b1.fan_in();
    let mut c = vec![0.0; n];
    let mut cross = vec![0.0; n];
    let mut xm = vec![0.0; n];
    for i in 0..b1.rows {
        let w2 = theta[b2.off + i];
        let ai = &a[i * n..(i + 1) * n];
        for e in 0..n {
            let dphi = 1.0 - ai[e] * ai[e];
            cross[e] = u[e] * dphi;
            c[e] = -2.0 * w2 * u[e] * ai[e] * dphi;
        }
        let w2_index = b2.off + i;
        for m in 0..b1.cols {
            let p = b1.off + i * b1.cols + m;
            // x̂_m: an input row, or the bias's constant 1
            if m < k {
                xm.copy_from_slice(&x[m * n..(m + 1) * n]);
            } else {
                xm.fill(1.0);
            }
            let v = dot(&cross, &xm);
            h[[p, w2_index]] += v;
            h[[w2_index, p]] += v;
            for e in 0..n {
                xm[e] *= c[e];
            }
            for m2 in m..b1.cols {
                let q = b1.off + i * b1.cols + m2;
                let v = if m2 < k {
                    dot(&xm, &x[m2 * n..(m2 + 1) * n])
                } else {
                    super::kernels::sum(&xm)
                };
                h[[p, q]] += v;
                if q != p {
                    h[[q, p]] += v;
                }
            }
        }
    }
}
