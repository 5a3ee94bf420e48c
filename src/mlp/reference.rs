//! The straightforward derivatives: the specification the fast kernels are
//! tested against.
//!
//! Each function is the textbook algorithm on example-major `ndarray`
//! matrices (`N × n_l`), with the platform's `tanh`, `exp` and `ln_1p`, one
//! ndarray product per step and no reuse between calls: back-propagation,
//! Pearlmutter's R-operator, the output Jacobian from per-layer signals, the
//! dense Hessian as one Hessian-vector product per parameter, the GGN as
//! `Jᵀ Λ J / N` from the dense Jacobian, and K-FAC factors from the layer
//! signals. They are slow (about 5–20× the kernels behind [`Mlp`]'s methods,
//! see `benches/derivatives.rs`) and kept public so that anyone can check the
//! fast path against them (`tests/fast_derivatives.rs` does, to `10⁻¹²`).
//!
//! Every function takes the same arguments as the [`Mlp`] method of the same
//! name and returns the same shapes.

use crate::linalg::FixedDot;
use ndarray::{s, Array1, Array2, ArrayView1, ArrayView2, Axis};

use super::{bce_from_logit, sigmoid, ForwardPass, KroneckerFactors, LayerSignals, Mlp};
use crate::data::Dataset;
use crate::error::Result;

/// `Ŵ_l` as a view `n_l × (n_{l−1}+1)`.
fn block<'a>(mlp: &Mlp, theta: ArrayView1<'a, f64>, l: usize) -> ArrayView2<'a, f64> {
    let (off, rows, cols) = mlp.layer_block(l);
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
    let mut z = a.fdot(&w.t());
    z += &b;
    z
}

/// The forward pass on inputs `x` (`N × 2`).
///
/// # Errors
/// [`crate::error::Error::Shape`] if θ or `x` has the wrong size.
pub fn forward(mlp: &Mlp, theta: ArrayView1<f64>, x: ArrayView2<f64>) -> Result<ForwardPass> {
    mlp.check(theta, x)?;
    let mut activations = Vec::with_capacity(mlp.num_layers());
    let mut a = x.to_owned();
    for l in 0..mlp.num_layers() {
        let z = affine(&a, block(mlp, theta, l));
        activations.push(a);
        if l + 1 == mlp.num_layers() {
            return Ok(ForwardPass {
                activations,
                logits: z.column(0).to_owned(),
            });
        }
        a = z.mapv(f64::tanh);
    }
    unreachable!("an MLP has at least one layer")
}

/// Mean binary cross-entropy `L(θ)` on `data`.
///
/// # Errors
/// [`crate::error::Error::Shape`] if θ or the data have the wrong size.
pub fn loss(mlp: &Mlp, theta: ArrayView1<f64>, data: &Dataset) -> Result<f64> {
    mlp.check_data(theta, data)?;
    let z = forward(mlp, theta, data.x.view())?.logits;
    let n = data.len() as f64;
    Ok(z.iter()
        .zip(data.y.iter())
        .map(|(&z, &y)| bce_from_logit(z, y))
        .sum::<f64>()
        / n)
}

/// `Jᵀ u = Σ_n u_n ∂z_n/∂θ` by back-propagation.
fn backprop(mlp: &Mlp, theta: ArrayView1<f64>, fp: &ForwardPass, u: &Array1<f64>) -> Array1<f64> {
    let mut grad = Array1::zeros(mlp.num_params());
    let mut delta = u.clone().insert_axis(Axis(1)); // N × n_L
    for l in (0..mlp.num_layers()).rev() {
        let a = &fp.activations[l];
        let (off, rows, cols) = mlp.layer_block(l);
        {
            let mut g = grad
                .slice_mut(s![off..off + rows * cols])
                .into_shape_with_order((rows, cols))
                .expect("contiguous block");
            g.slice_mut(s![.., ..cols - 1]).assign(&delta.t().fdot(a));
            g.column_mut(cols - 1).assign(&delta.sum_axis(Axis(0)));
        }
        if l > 0 {
            let w_hat = block(mlp, theta, l);
            let w = w_hat.slice(s![.., ..cols - 1]);
            let mut d = delta.fdot(&w);
            d.zip_mut_with(a, |d, &a| *d *= 1.0 - a * a);
            delta = d;
        }
    }
    grad
}

/// Loss and gradient `∇L(θ)`, by back-propagation of `(σ(z_n) − y_n)/N`.
///
/// # Errors
/// [`crate::error::Error::Shape`] if θ or the data have the wrong size.
pub fn loss_and_gradient(
    mlp: &Mlp,
    theta: ArrayView1<f64>,
    data: &Dataset,
) -> Result<(f64, Array1<f64>)> {
    mlp.check_data(theta, data)?;
    let fp = forward(mlp, theta, data.x.view())?;
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
    Ok((loss, backprop(mlp, theta, &fp, &u)))
}

/// R-forward pass: `R{a_l}` for every layer input and `R{z_L} = J v`.
fn r_forward(
    mlp: &Mlp,
    theta: ArrayView1<f64>,
    v: ArrayView1<f64>,
    fp: &ForwardPass,
) -> (Vec<Array2<f64>>, Array1<f64>) {
    let n = fp.logits.len();
    let mut r_acts = Vec::with_capacity(mlp.num_layers());
    let mut r_a = Array2::<f64>::zeros((n, mlp.widths()[0]));
    for l in 0..mlp.num_layers() {
        let w_hat = block(mlp, theta, l);
        let v_hat = block(mlp, v, l);
        let cols = w_hat.ncols();
        let w = w_hat.slice(s![.., ..cols - 1]);
        // R{z_l} = R{a_{l-1}} Wᵀ + a_{l-1} V_wᵀ + v_b
        let mut r_z = r_a.fdot(&w.t());
        r_z += &affine(&fp.activations[l], v_hat);
        r_acts.push(r_a);
        if l + 1 == mlp.num_layers() {
            return (r_acts, r_z.column(0).to_owned());
        }
        // R{a_l} = (1 − a_l²) ⊙ R{z_l}
        let a_next = &fp.activations[l + 1];
        r_z.zip_mut_with(a_next, |r, &a| *r *= 1.0 - a * a);
        r_a = r_z;
    }
    unreachable!("an MLP has at least one layer")
}

/// Jacobian-vector product `J v` (`N`).
///
/// # Errors
/// [`crate::error::Error::Shape`] if θ, `x` or `v` has the wrong size.
pub fn jvp(
    mlp: &Mlp,
    theta: ArrayView1<f64>,
    x: ArrayView2<f64>,
    v: ArrayView1<f64>,
) -> Result<Array1<f64>> {
    mlp.check(v, x)?;
    let fp = forward(mlp, theta, x)?;
    Ok(r_forward(mlp, theta, v, &fp).1)
}

/// Transposed Jacobian product `Jᵀ u` (`D`).
///
/// # Errors
/// [`crate::error::Error::Shape`] if θ, `x` or `u` has the wrong size.
pub fn vjp(
    mlp: &Mlp,
    theta: ArrayView1<f64>,
    x: ArrayView2<f64>,
    u: ArrayView1<f64>,
) -> Result<Array1<f64>> {
    mlp.check_signal(u, x)?;
    let fp = forward(mlp, theta, x)?;
    Ok(backprop(mlp, theta, &fp, &u.to_owned()))
}

/// Exact Hessian-vector product `H v` by Pearlmutter's R-operator.
///
/// # Errors
/// [`crate::error::Error::Shape`] if θ, `v` or the data have the wrong size.
pub fn hvp(
    mlp: &Mlp,
    theta: ArrayView1<f64>,
    data: &Dataset,
    v: ArrayView1<f64>,
) -> Result<Array1<f64>> {
    mlp.check_data(theta, data)?;
    mlp.check(v, data.x.view())?;
    let fp = forward(mlp, theta, data.x.view())?;
    let (r_acts, r_z) = r_forward(mlp, theta, v, &fp);
    let n = data.len() as f64;
    let mut delta = Array2::zeros((data.len(), 1));
    let mut r_delta = Array2::zeros((data.len(), 1));
    for i in 0..data.len() {
        let s = sigmoid(fp.logits[i]);
        delta[[i, 0]] = (s - data.y[i]) / n;
        r_delta[[i, 0]] = s * (1.0 - s) * r_z[i] / n;
    }
    let mut hv = Array1::zeros(mlp.num_params());
    for l in (0..mlp.num_layers()).rev() {
        let a = &fp.activations[l];
        let r_a = &r_acts[l];
        let (off, rows, cols) = mlp.layer_block(l);
        {
            let mut g = hv
                .slice_mut(s![off..off + rows * cols])
                .into_shape_with_order((rows, cols))
                .expect("contiguous block");
            let mut gw = r_delta.t().fdot(a);
            gw += &delta.t().fdot(r_a);
            g.slice_mut(s![.., ..cols - 1]).assign(&gw);
            g.column_mut(cols - 1).assign(&r_delta.sum_axis(Axis(0)));
        }
        if l > 0 {
            let w_hat = block(mlp, theta, l);
            let v_hat = block(mlp, v, l);
            let w = w_hat.slice(s![.., ..cols - 1]);
            let vw = v_hat.slice(s![.., ..cols - 1]);
            let dw = delta.fdot(&w); // δ_l W_l
            let mut r_new = r_delta.fdot(&w);
            r_new += &delta.fdot(&vw);
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

/// Dense Hessian from `D` Hessian-vector products, symmetrised `(H + Hᵀ)/2`.
///
/// # Errors
/// [`crate::error::Error::Shape`] if θ or the data have the wrong size.
pub fn hessian(mlp: &Mlp, theta: ArrayView1<f64>, data: &Dataset) -> Result<Array2<f64>> {
    let d = mlp.num_params();
    let mut h = Array2::zeros((d, d));
    let mut e = Array1::zeros(d);
    for j in 0..d {
        e[j] = 1.0;
        h.column_mut(j).assign(&hvp(mlp, theta, data, e.view())?);
        e[j] = 0.0;
    }
    let ht = h.t().to_owned();
    Ok((h + ht) * 0.5)
}

/// Per-layer inputs `â_{l−1}` and per-example output gradients `∂z_{L,n}/∂z_{l,n}`.
///
/// # Errors
/// [`crate::error::Error::Shape`] if θ or `x` has the wrong size.
pub fn layer_signals(
    mlp: &Mlp,
    theta: ArrayView1<f64>,
    x: ArrayView2<f64>,
) -> Result<(Array1<f64>, Vec<LayerSignals>)> {
    let fp = forward(mlp, theta, x)?;
    let n = x.nrows();
    let mut out = Vec::with_capacity(mlp.num_layers());
    let mut delta = Array2::<f64>::ones((n, 1));
    for l in (0..mlp.num_layers()).rev() {
        let a = &fp.activations[l];
        let (off, _, cols) = mlp.layer_block(l);
        let mut inputs = Array2::ones((n, cols));
        inputs.slice_mut(s![.., ..cols - 1]).assign(a);
        let next = if l > 0 {
            let w_hat = block(mlp, theta, l);
            let w = w_hat.slice(s![.., ..cols - 1]);
            let mut d = delta.fdot(&w);
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

/// Output Jacobian `J` (`N × D`), entry by entry from the layer signals.
///
/// # Errors
/// [`crate::error::Error::Shape`] if θ or `x` has the wrong size.
pub fn output_jacobian(
    mlp: &Mlp,
    theta: ArrayView1<f64>,
    x: ArrayView2<f64>,
) -> Result<Array2<f64>> {
    let (_, layers) = layer_signals(mlp, theta, x)?;
    let n = x.nrows();
    let mut j = Array2::zeros((n, mlp.num_params()));
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

/// `Jᵀ diag(w) J / N` from the dense Jacobian, symmetrised; `weights` maps the logits to `w`.
///
/// # Errors
/// [`crate::error::Error::Shape`] if θ, `x` or `w` has the wrong size.
pub fn jacobian_gram(
    mlp: &Mlp,
    theta: ArrayView1<f64>,
    x: ArrayView2<f64>,
    weights: impl FnOnce(ArrayView1<f64>) -> Array1<f64>,
) -> Result<Array2<f64>> {
    let w = weights(forward(mlp, theta, x)?.logits.view());
    mlp.check_signal(w.view(), x)?;
    let j = output_jacobian(mlp, theta, x)?;
    let wj = &j * &w.insert_axis(Axis(1));
    let g = j.t().fdot(&wj) / x.nrows() as f64;
    let gt = g.t().to_owned();
    Ok((g + gt) * 0.5)
}

/// The GGN `Jᵀ Λ J / N`, `Λ = diag(σ(z_n)(1 − σ(z_n)))`.
///
/// # Errors
/// [`crate::error::Error::Shape`] if θ or the data have the wrong size.
pub fn ggn(mlp: &Mlp, theta: ArrayView1<f64>, data: &Dataset) -> Result<Array2<f64>> {
    mlp.check_data(theta, data)?;
    jacobian_gram(mlp, theta, data.x.view(), |z| {
        z.mapv(|z| sigmoid(z) * (1.0 - sigmoid(z)))
    })
}

/// GGN-vector product as `Jᵀ (Λ (J v)) / N` from [`jvp`] and [`vjp`].
///
/// # Errors
/// [`crate::error::Error::Shape`] if θ, `v` or the data have the wrong size.
pub fn ggn_vec(
    mlp: &Mlp,
    theta: ArrayView1<f64>,
    data: &Dataset,
    v: ArrayView1<f64>,
) -> Result<Array1<f64>> {
    mlp.check_data(theta, data)?;
    let x = data.x.view();
    let jv = jvp(mlp, theta, x, v)?;
    let z = forward(mlp, theta, x)?.logits;
    let n = data.len() as f64;
    let u = Array1::from_iter(z.iter().zip(jv.iter()).map(|(&z, &jv)| {
        let s = sigmoid(z);
        s * (1.0 - s) * jv / n
    }));
    vjp(mlp, theta, x, u.view())
}

/// K-FAC factors `A_l = Âᵀ Â / N`, `G_l = (s ⊙ g_l)ᵀ (s ⊙ g_l) / N`, `s_n = √w_n`.
///
/// # Errors
/// [`crate::error::Error::Shape`] if θ, `x` or `w` has the wrong size, or a
/// weight is negative.
pub fn kfac_factors(
    mlp: &Mlp,
    theta: ArrayView1<f64>,
    x: ArrayView2<f64>,
    weights: impl FnOnce(ArrayView1<f64>) -> Array1<f64>,
) -> Result<Vec<KroneckerFactors>> {
    let (z, signals) = layer_signals(mlp, theta, x)?;
    let w = weights(z.view());
    mlp.check_weights(w.view(), x)?;
    let scale = w.mapv(f64::sqrt).insert_axis(Axis(1));
    let n = x.nrows() as f64;
    Ok(signals
        .into_iter()
        .map(|sig| {
            let a = sig.inputs.t().fdot(&sig.inputs) / n;
            let gs = &sig.output_grads * &scale;
            let g = gs.t().fdot(&gs) / n;
            KroneckerFactors {
                offset: sig.offset,
                a,
                g,
            }
        })
        .collect())
}
