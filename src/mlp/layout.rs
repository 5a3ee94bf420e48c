//! Parameter layout: per-layer views of θ, packing and initialisation.

use ndarray::{Array1, Array2, ArrayView1};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

use super::Mlp;
use crate::error::{Error, Result};

impl Mlp {
    /// Seeded Glorot-normal initialisation: weights `N(0, 2/(n_in + n_out))`,
    /// biases zero. Same as [`Mlp::init_with_biases`] with `bias_std = 0`.
    pub fn init(&self, seed: u64) -> Array1<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        self.glorot_weights(&mut rng)
    }

    fn glorot_weights(&self, rng: &mut ChaCha8Rng) -> Array1<f64> {
        let mut theta = Array1::zeros(self.num_params());
        for l in 0..self.num_layers() {
            let (off, rows, cols) = self.layer_block(l);
            let std = (2.0 / (self.widths[l] + self.widths[l + 1]) as f64).sqrt();
            let normal = Normal::new(0.0, std).expect("positive std");
            for i in 0..rows {
                for j in 0..cols - 1 {
                    theta[off + i * cols + j] = normal.sample(rng);
                }
            }
        }
        theta
    }

    /// Seeded random initialisation with non-zero biases: θ (`D`) with weights
    /// `W_l[i, j] ~ N(0, 2/(n_{l−1} + n_l))` (Glorot normal, drawn exactly as
    /// [`Mlp::init`] draws them, so `init_with_biases(seed, 0.0) == init(seed)`)
    /// and then every bias `b_l[i] ~ N(0, bias_std²)`, layer by layer, from
    /// the same ChaCha8 stream seeded with `seed`.
    ///
    /// Zero biases put every hidden unit's boundary through the origin, which
    /// for XOR is a special place; non-zero biases give generic starts.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] if `bias_std` is negative or not finite.
    ///
    /// # Example
    /// ```
    /// use quad_vs_grad::mlp::Mlp;
    /// let mlp = Mlp::new(&[2, 4, 1])?;
    /// let theta = mlp.init_with_biases(7, 0.5)?;
    /// let layers = mlp.unpack(theta.view())?;
    /// assert_eq!(layers[0].0.dim(), (4, 2)); // W₁: 4 × 2
    /// assert!(layers[0].1.iter().all(|&b| b != 0.0)); // b₁: 4, non-zero
    /// assert_eq!(mlp.init_with_biases(7, 0.0)?, mlp.init(7));
    /// # Ok::<(), quad_vs_grad::error::Error>(())
    /// ```
    pub fn init_with_biases(&self, seed: u64, bias_std: f64) -> Result<Array1<f64>> {
        if !(bias_std.is_finite() && bias_std >= 0.0) {
            return Err(Error::InvalidConfig(format!(
                "the bias standard deviation must be finite and non-negative, got {bias_std}"
            )));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut theta = self.glorot_weights(&mut rng);
        if bias_std > 0.0 {
            let normal = Normal::new(0.0, bias_std)
                .map_err(|e| Error::InvalidConfig(format!("bias distribution: {e}")))?;
            for l in 0..self.num_layers() {
                let (off, rows, cols) = self.layer_block(l);
                for i in 0..rows {
                    theta[off + i * cols + cols - 1] = normal.sample(&mut rng);
                }
            }
        }
        Ok(theta)
    }

    /// Assembles θ from per-layer `(W_l, b_l)` pairs, `W_l` `n_l × n_{l−1}`
    /// and `b_l` of length `n_l`; the inverse of [`Mlp::unpack`].
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

    /// Splits θ (`D`) into per-layer `(W_l, b_l)` pairs, `l = 1 … L`: `W_l`
    /// is `n_l × n_{l−1}` (row `i` holds unit `i`'s incoming weights) and
    /// `b_l` has length `n_l`. [`Mlp::pack`] reverses it exactly.
    ///
    /// # Errors
    /// [`Error::Shape`] if θ does not have [`Mlp::num_params`] entries.
    pub fn unpack(&self, theta: ArrayView1<f64>) -> Result<Vec<(Array2<f64>, Array1<f64>)>> {
        self.check_len(theta.len(), "θ")?;
        Ok((0..self.num_layers())
            .map(|l| {
                let (off, rows, cols) = self.layer_block(l);
                let w = Array2::from_shape_fn((rows, cols - 1), |(i, j)| theta[off + i * cols + j]);
                let b = Array1::from_shape_fn(rows, |i| theta[off + i * cols + cols - 1]);
                (w, b)
            })
            .collect())
    }

    /// Index in θ of weight `W_l[i, j]` (`j < n_{l−1}`) or, with
    /// `j == n_{l−1}`, of bias `b_l[i]`.
    pub fn param_index(&self, l: usize, i: usize, j: usize) -> usize {
        let (off, _, cols) = self.layer_block(l);
        off + i * cols + j
    }
}
