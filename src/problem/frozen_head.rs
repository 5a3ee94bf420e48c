//! The loss and gradient of a plane that moves only the output layer, with
//! the hidden layers evaluated once.
//!
//! On such a plane (the reference output-weight slice
//! [`XorProblem::reference`], or any `k`-direction plane whose directions
//! vanish outside the output layer's weights and bias) the hidden
//! activations `â_n` (with the constant 1 for the bias) do not depend on
//! `p`, and the logit is affine in it:
//!
//! ```text
//! z_n(p) = ŵ(θ₀)·â_n + Σ_j p_j ŵ(d_j)·â_n  =  z0_n + (C p)_n
//! L(p)   = (1/N) Σ_n softplus(z_n) − y_n z_n
//! ∇L(p)  = (1/N) Cᵀ (σ(z) − y)
//! ```
//!
//! So one loss costs `N (k + 1)` multiply-adds, `N` exponentials and one
//! logarithm (the product trick of [`XorProblem::cost_grid`]) instead of a
//! forward pass through the network, and one gradient the same plus a
//! `k × N` product instead of back-propagation. The values are the problem's
//! loss and gradient to rounding (a test checks `1e−12` relative agreement
//! with the general path); [`XorProblem::cost_grid`] uses the same
//! construction for whole grids.
//!
//! Used for the full batch only: a mini-batch takes the general path.

use super::grid_eval::{split_bce, LogSum};
use super::{Parameterisation, XorProblem};

/// The output-layer-only plane's precomputed logit pieces on the full data.
#[derive(Clone, Debug)]
pub(crate) struct FrozenHead {
    /// Number of directions `k`.
    k: usize,
    /// `z0_n`, the logits at `p = 0`.
    z0: Vec<f64>,
    /// `C`, row-major `N × k`: `C[n, j] = ŵ(d_j)·â_n`.
    c: Vec<f64>,
    /// The labels.
    y: Vec<f64>,
}

/// `ŵ·â` for the output row `(off, 1, cols)` of `theta`: the bias is the
/// last entry of the row.
fn logit(off: usize, cols: usize, theta: &[f64], a: &[f64]) -> f64 {
    let w = &theta[off..off + cols];
    let mut z = w[cols - 1];
    for (wi, ai) in w[..cols - 1].iter().zip(a) {
        z += wi * ai;
    }
    z
}

/// `σ(z)`, without overflow for either sign.
#[inline]
fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

impl FrozenHead {
    /// The frozen head of `problem`, or `None` unless it is a plane whose
    /// directions move only the output layer (of width 1).
    pub(crate) fn new(problem: &XorProblem) -> Option<Self> {
        let Parameterisation::Plane(plane) = problem.parameterisation() else {
            return None;
        };
        let mlp = problem.mlp();
        let layers = mlp.num_layers();
        let (off, rows, cols) = mlp.layer_block(layers - 1);
        if rows != 1 {
            return None;
        }
        let moves_hidden = plane
            .directions
            .rows()
            .into_iter()
            .any(|d| d.iter().take(off).any(|&v| v != 0.0));
        if moves_hidden {
            return None;
        }
        let origin = plane.origin.to_vec();
        let dirs: Vec<Vec<f64>> = plane
            .directions
            .rows()
            .into_iter()
            .map(|d| d.to_vec())
            .collect();
        let data = problem.data();
        let k = dirs.len();
        let mut z0 = Vec::with_capacity(data.len());
        let mut c = Vec::with_capacity(data.len() * k);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for row in data.x.rows() {
            a.clear();
            a.extend(row.iter().copied());
            for l in 0..layers - 1 {
                let (o, r, cl) = mlp.layer_block(l);
                b.clear();
                for i in 0..r {
                    b.push(logit(o + i * cl, cl, &origin, &a).tanh());
                }
                std::mem::swap(&mut a, &mut b);
            }
            z0.push(logit(off, cols, &origin, &a));
            c.extend(dirs.iter().map(|d| logit(off, cols, d, &a)));
        }
        Some(Self {
            k,
            z0,
            c,
            y: data.y.to_vec(),
        })
    }

    /// The logits at `p`, one per example, into `z`.
    fn logits(&self, p: &[f64], z: &mut Vec<f64>) {
        z.clear();
        z.extend(
            self.z0
                .iter()
                .zip(self.c.chunks_exact(self.k))
                .map(|(&z0, c)| z0 + c.iter().zip(p).map(|(ci, pi)| ci * pi).sum::<f64>()),
        );
    }

    /// `L(p)` on the full data.
    pub(crate) fn cost(&self, p: &[f64]) -> f64 {
        let mut z = Vec::with_capacity(self.z0.len());
        self.logits(p, &mut z);
        // softplus(z) − y z = [max(z, 0) − y z] + ln(1 + e^{−|z|}), with the
        // logarithms of all examples taken at once (as the cost grid does)
        let mut linear = 0.0;
        let mut logs = LogSum::default();
        for (&z, &y) in z.iter().zip(&self.y) {
            let (lin, e) = split_bce(z, y);
            linear += lin;
            logs.add(e);
        }
        (linear + logs.total()) / self.z0.len() as f64
    }

    /// `∇L(p)` on the full data.
    pub(crate) fn gradient(&self, p: &[f64]) -> Vec<f64> {
        let mut z = Vec::with_capacity(self.z0.len());
        self.logits(p, &mut z);
        let inv_n = 1.0 / self.z0.len() as f64;
        let mut g = vec![0.0; self.k];
        for ((&z, &y), c) in z.iter().zip(&self.y).zip(self.c.chunks_exact(self.k)) {
            let r = (sigmoid(z) - y) * inv_n;
            for (gj, cj) in g.iter_mut().zip(c) {
                *gj += r * cj;
            }
        }
        g
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Dataset;
    use crate::mlp::Mlp;
    use crate::problem::Plane;
    use ndarray::{Array1, Array2};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn rel(a: f64, b: f64) -> f64 {
        (a - b).abs() / a.abs().max(b.abs()).max(1e-300)
    }

    /// The general path: θ(p), then the network's own loss and gradient.
    fn general(problem: &XorProblem, p: &Array1<f64>) -> (f64, Array1<f64>) {
        let theta = problem.theta(p).unwrap();
        let loss = problem.mlp().loss(theta.view(), problem.data()).unwrap();
        let g = problem
            .mlp()
            .gradient(theta.view(), problem.data())
            .unwrap();
        (loss, problem.parameterisation().reduce_vec(g).unwrap())
    }

    #[test]
    fn matches_the_general_path_on_output_planes() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        // the reference slice, and a 3-direction plane through the output
        // layer of a 2-3-2-1 network at a random origin
        let mlp = Mlp::new(&[2, 3, 2, 1]).unwrap();
        let d = mlp.num_params();
        let (off, _, cols) = mlp.layer_block(mlp.num_layers() - 1);
        let origin: Array1<f64> = (0..d).map(|_| rng.random_range(-2.0..2.0)).collect();
        let mut dirs = Array2::zeros((3, d));
        for j in 0..3 {
            for i in off..off + cols {
                dirs[[j, i]] = rng.random_range(-1.0..1.0);
            }
        }
        let plane = Parameterisation::Plane(Plane {
            origin,
            directions: dirs,
        });
        let three = XorProblem::new(Dataset::reference(), mlp, plane).unwrap();
        for problem in [XorProblem::reference(), three] {
            let head = FrozenHead::new(&problem).expect("an output-layer plane");
            let k = problem.dim();
            for _ in 0..40 {
                let p: Array1<f64> = (0..k).map(|_| rng.random_range(-6.0..6.0)).collect();
                let (loss, grad) = general(&problem, &p);
                assert!(rel(head.cost(p.as_slice().unwrap()), loss) < 1e-12);
                let g = head.gradient(p.as_slice().unwrap());
                for (a, b) in g.iter().zip(grad.iter()) {
                    assert!((a - b).abs() <= 1e-12 * b.abs().max(1e-3), "{a} vs {b}");
                }
            }
        }
    }

    #[test]
    fn planes_through_hidden_layers_have_no_frozen_head() {
        assert!(FrozenHead::new(&XorProblem::hidden_slice()).is_none());
        let full = XorProblem::full(Dataset::reference(), &[2]).unwrap();
        assert!(FrozenHead::new(&full).is_none());
    }
}
