//! XOR data sets and seeded mini-batch sampling.
//!
//! Every data set is an `N × 2` input matrix with a label vector in `{0, 1}`.
//! All randomness comes from an explicitly named generator
//! ([`rand_chacha::ChaCha8Rng`]) seeded by the caller, so the same seed gives
//! bit-identical data on every run, platform and `rand` release.
//!
//! | constructor | what it is |
//! |---|---|
//! | [`Dataset::reference`] | the reference experiment: 200 points, noise 0.2, seed 95 |
//! | [`Dataset::noisy_xor`] | the same recipe with any `N`, noise and seed |
//! | [`Dataset::grid`] | a regular `k × k` grid on `[-1, 1]²`, no noise |
//! | [`Dataset::clusters`] | four tight, cleanly separable clusters around `(±½, ±½)` |

use ndarray::{Array1, Array2};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A binary classification data set: inputs `x` (`N × 2`) and labels `y` (`N`, values 0 or 1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    /// Inputs, one example per row (`N × 2`).
    pub x: Array2<f64>,
    /// Labels in `{0.0, 1.0}`, one per row of `x`.
    pub y: Array1<f64>,
}

/// The XOR label of a point: 1 where the signs of its two coordinates differ.
///
/// A coordinate equal to zero counts as positive.
pub fn xor_label(x1: f64, x2: f64) -> f64 {
    if (x1 < 0.0) != (x2 < 0.0) {
        1.0
    } else {
        0.0
    }
}

/// The environment variable of the rounding-stress run: with `QVG_PERTURB=1`
/// every generated data set ([`Dataset::noisy_xor`], [`Dataset::grid`],
/// [`Dataset::clusters`] and the presets built on them) has the last bit of
/// each input coordinate flipped, a relative change of about `10⁻¹⁶`. A
/// lesson's claim must still hold then (`make reproducibility` runs the
/// course's pins this way); a number that moves is chaotic in the last bits
/// and is quoted as a statistic, not as a single run.
pub const PERTURB_ENV: &str = "QVG_PERTURB";

/// Whether [`PERTURB_ENV`] asks for the last-bit perturbation (read once).
pub fn perturbed() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| {
        std::env::var(PERTURB_ENV).is_ok_and(|v| !v.trim().is_empty() && v.trim() != "0")
    })
}

/// Flips the last mantissa bit of every input when [`perturbed`].
fn perturb_inputs(mut x: Array2<f64>) -> Array2<f64> {
    if perturbed() {
        x.mapv_inplace(|v| f64::from_bits(v.to_bits() ^ 1));
    }
    x
}

impl Dataset {
    /// Builds a data set from inputs and labels, checking shapes and values.
    ///
    /// # Errors
    /// [`Error::InvalidData`] if `x` is not `N × 2`, `y` does not have `N`
    /// entries, `N` is zero, an input is not finite or a label is not 0 or 1.
    pub fn new(x: Array2<f64>, y: Array1<f64>) -> Result<Self> {
        if x.ncols() != 2 {
            return Err(Error::InvalidData(format!(
                "inputs must have 2 columns, got {}",
                x.ncols()
            )));
        }
        if x.nrows() != y.len() {
            return Err(Error::InvalidData(format!(
                "{} input rows but {} labels",
                x.nrows(),
                y.len()
            )));
        }
        if y.is_empty() {
            return Err(Error::InvalidData("the data set is empty".into()));
        }
        if x.iter().any(|v| !v.is_finite()) {
            return Err(Error::InvalidData("an input is not finite".into()));
        }
        if y.iter().any(|&v| v != 0.0 && v != 1.0) {
            return Err(Error::InvalidData("labels must be 0 or 1".into()));
        }
        Ok(Self { x, y })
    }

    /// The reference data of the original experiment: `noisy_xor(200, 0.2, 95)`.
    pub fn reference() -> Self {
        Self::noisy_xor(200, 0.2, 95).expect("reference parameters are valid")
    }

    /// The reference recipe with any size, noise level and seed.
    ///
    /// Draws `n` points uniformly in `[-1, 1]²`, labels each with
    /// [`xor_label`] of its clean position, then adds Gaussian noise
    /// `N(0, noise²)` to both coordinates and clips them to `[-1, 1]`.
    /// Because labels are set before the noise, points near the axes can carry
    /// a label that disagrees with their noisy position (about 15 % of them at
    /// `noise = 0.2`): no model reaches zero loss on this data.
    ///
    /// # Errors
    /// [`Error::InvalidData`] if `n == 0` or `noise` is negative or not finite.
    pub fn noisy_xor(n: usize, noise: f64, seed: u64) -> Result<Self> {
        if n == 0 {
            return Err(Error::InvalidData("n must be at least 1".into()));
        }
        if !(noise.is_finite() && noise >= 0.0) {
            return Err(Error::InvalidData(format!(
                "noise must be a finite number >= 0, got {noise}"
            )));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut x = Array2::zeros((n, 2));
        let mut y = Array1::zeros(n);
        for i in 0..n {
            let a: f64 = rng.random_range(-1.0..=1.0);
            let b: f64 = rng.random_range(-1.0..=1.0);
            x[[i, 0]] = a;
            x[[i, 1]] = b;
            y[i] = xor_label(a, b);
        }
        if noise > 0.0 {
            let normal = Normal::new(0.0, noise).map_err(|e| Error::InvalidData(e.to_string()))?;
            for v in x.iter_mut() {
                *v = (*v + normal.sample(&mut rng)).clamp(-1.0, 1.0);
            }
        }
        Self::new(perturb_inputs(x), y)
    }

    /// A regular `k × k` grid on `[-1, 1]²` with exact XOR labels, no noise.
    ///
    /// With `k` even no point lies on an axis. Row-major order: `x` varies
    /// fastest.
    ///
    /// # Errors
    /// [`Error::InvalidData`] if `k < 2`.
    pub fn grid(k: usize) -> Result<Self> {
        if k < 2 {
            return Err(Error::InvalidData(format!("grid needs k >= 2, got {k}")));
        }
        let n = k * k;
        let mut x = Array2::zeros((n, 2));
        let mut y = Array1::zeros(n);
        let step = 2.0 / (k - 1) as f64;
        for r in 0..k {
            for c in 0..k {
                let i = r * k + c;
                let a = -1.0 + c as f64 * step;
                let b = -1.0 + r as f64 * step;
                x[[i, 0]] = a;
                x[[i, 1]] = b;
                y[i] = xor_label(a, b);
            }
        }
        Self::new(perturb_inputs(x), y)
    }

    /// Four Gaussian clusters of `per_cluster` points around `(±½, ±½)` with
    /// standard deviation `spread`, labelled by quadrant of the centre.
    ///
    /// For `spread` up to about 0.1 the clusters stay well inside their
    /// quadrants, so a 2-2-1 tanh network can fit the data to near-zero loss:
    /// this is the cleanly separable XOR the course uses to show a network
    /// that *solves* XOR. Points are ordered cluster by cluster.
    ///
    /// # Errors
    /// [`Error::InvalidData`] if `per_cluster == 0` or `spread` is negative or
    /// not finite.
    pub fn clusters(per_cluster: usize, spread: f64, seed: u64) -> Result<Self> {
        if per_cluster == 0 {
            return Err(Error::InvalidData("per_cluster must be at least 1".into()));
        }
        if !(spread.is_finite() && spread >= 0.0) {
            return Err(Error::InvalidData(format!(
                "spread must be a finite number >= 0, got {spread}"
            )));
        }
        let centres = [(-0.5, -0.5), (0.5, 0.5), (-0.5, 0.5), (0.5, -0.5)];
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let n = 4 * per_cluster;
        let mut x = Array2::zeros((n, 2));
        let mut y = Array1::zeros(n);
        let normal =
            Normal::new(0.0, spread.max(0.0)).map_err(|e| Error::InvalidData(e.to_string()))?;
        for (c, &(cx, cy)) in centres.iter().enumerate() {
            for k in 0..per_cluster {
                let i = c * per_cluster + k;
                let (dx, dy) = if spread > 0.0 {
                    (normal.sample(&mut rng), normal.sample(&mut rng))
                } else {
                    (0.0, 0.0)
                };
                x[[i, 0]] = cx + dx;
                x[[i, 1]] = cy + dy;
                y[i] = xor_label(cx, cy);
            }
        }
        Self::new(perturb_inputs(x), y)
    }

    /// The separable XOR variant used by the non-convex presets:
    /// `clusters(25, 0.08, 7)` (100 points).
    pub fn separable() -> Self {
        Self::clusters(25, 0.08, 7).expect("valid parameters")
    }

    /// Number of examples `N`.
    pub fn len(&self) -> usize {
        self.y.len()
    }

    /// `true` if the data set has no examples (never, for a validated set).
    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    /// The examples at `indices`, in that order (duplicates allowed).
    ///
    /// # Errors
    /// [`Error::InvalidData`] if an index is `>= self.len()`.
    pub fn subset(&self, indices: &[usize]) -> Result<Self> {
        if let Some(&i) = indices.iter().find(|&&i| i >= self.len()) {
            return Err(Error::InvalidData(format!(
                "index {i} is out of range for a data set of {} examples",
                self.len()
            )));
        }
        let x = self.x.select(ndarray::Axis(0), indices);
        let y = self.y.select(ndarray::Axis(0), indices);
        Ok(Self { x, y })
    }

    /// Fraction of examples whose label disagrees with [`xor_label`] of their
    /// (noisy) position: the part of the data no XOR rule can fit.
    pub fn label_noise_fraction(&self) -> f64 {
        let wrong = (0..self.len())
            .filter(|&i| xor_label(self.x[[i, 0]], self.x[[i, 1]]) != self.y[i])
            .count();
        wrong as f64 / self.len() as f64
    }
}

/// How a [`MiniBatcher`] draws its batches.
///
/// Both draw each batch's `B` indices without repeats; they differ in how
/// consecutive batches relate.
///
/// - [`Sampling::Epochs`] (the default, what training loops do): each epoch is
///   a seeded permutation of `0..n` cut into consecutive batches, so within an
///   epoch every example is used exactly once. The batch gradients' errors
///   then sum to zero over an epoch (`Σ_b (g_b − g) = 0` when `B` divides
///   `n`): the noise of consecutive steps is negatively correlated.
/// - [`Sampling::Independent`]: every batch is a fresh uniform draw of `B`
///   distinct indices, independent of all earlier batches (i.i.d. batches,
///   the model that SGD's convergence theory and its Langevin analogy assume).
///
/// At any single step both give the same distribution of the batch gradient,
/// with per-coordinate variance `s² (n − B) / (B (n − 1))`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Sampling {
    /// Shuffled epochs, without replacement within an epoch (default).
    #[default]
    Epochs,
    /// Independent batches: each a fresh uniform `B`-subset of `0..n`.
    Independent,
}

impl Sampling {
    /// `true` for the default, [`Sampling::Epochs`].
    pub fn is_epochs(&self) -> bool {
        *self == Sampling::Epochs
    }
}

/// Seeded mini-batch sampler: without replacement within an epoch
/// ([`Sampling::Epochs`], the default), or independent batches
/// ([`MiniBatcher::with_sampling`]).
///
/// Each epoch is a fresh seeded permutation of `0..n`, cut into consecutive
/// batches of `batch_size`; a final short remainder is dropped from the epoch
/// only when `batch_size` does not divide `n`, and its indices come first in
/// no later epoch (every epoch is an independent permutation). The sequence
/// of batches is a pure function of `(n, batch_size, seed)`.
#[derive(Clone, Debug)]
pub struct MiniBatcher {
    n: usize,
    batch_size: usize,
    rng: ChaCha8Rng,
    order: Vec<usize>,
    cursor: usize,
    epoch: usize,
    sampling: Sampling,
}

impl MiniBatcher {
    /// A sampler over `n` examples.
    ///
    /// # Errors
    /// [`Error::InvalidData`] if `batch_size` is zero or larger than `n`.
    pub fn new(n: usize, batch_size: usize, seed: u64) -> Result<Self> {
        if batch_size == 0 || batch_size > n {
            return Err(Error::InvalidData(format!(
                "batch size must be in 1..={n}, got {batch_size}"
            )));
        }
        Ok(Self {
            n,
            batch_size,
            rng: ChaCha8Rng::seed_from_u64(seed),
            order: Vec::new(),
            cursor: 0,
            epoch: 0,
            sampling: Sampling::Epochs,
        })
    }

    /// The same sampler drawing its batches the way `sampling` says. With
    /// [`Sampling::Independent`], [`MiniBatcher::epoch`] counts the batches
    /// drawn in units of `n / batch_size` (rounded up).
    pub fn with_sampling(mut self, sampling: Sampling) -> Self {
        self.sampling = sampling;
        self
    }

    /// How this sampler draws its batches.
    pub fn sampling(&self) -> Sampling {
        self.sampling
    }

    /// The batch size.
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// Number of completed or started epochs.
    pub fn epoch(&self) -> usize {
        self.epoch
    }

    /// The next batch of distinct indices in `0..n`.
    pub fn next_batch(&mut self) -> Vec<usize> {
        if self.sampling == Sampling::Independent {
            // A partial Fisher–Yates shuffle of the identity: the first
            // `batch_size` entries are a uniform draw without repeats.
            let mut order: Vec<usize> = (0..self.n).collect();
            let (batch, _) = order.partial_shuffle(&mut self.rng, self.batch_size);
            let batch = batch.to_vec();
            self.cursor += self.batch_size;
            if self.cursor >= self.n || self.epoch == 0 {
                self.cursor %= self.n.max(1);
                self.epoch += 1;
            }
            return batch;
        }
        if self.order.is_empty() || self.cursor + self.batch_size > self.n {
            self.order = (0..self.n).collect();
            self.order.shuffle(&mut self.rng);
            self.cursor = 0;
            self.epoch += 1;
        }
        let batch = self.order[self.cursor..self.cursor + self.batch_size].to_vec();
        self.cursor += self.batch_size;
        batch
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_shape_and_range() {
        let d = Dataset::reference();
        assert_eq!(d.x.dim(), (200, 2));
        assert!(d.x.iter().all(|v| (-1.0..=1.0).contains(v)));
        let frac = d.label_noise_fraction();
        assert!(frac > 0.05 && frac < 0.3, "label noise {frac}");
    }

    #[test]
    fn same_seed_same_bits() {
        let a = Dataset::noisy_xor(50, 0.2, 3).unwrap();
        let b = Dataset::noisy_xor(50, 0.2, 3).unwrap();
        let c = Dataset::noisy_xor(50, 0.2, 4).unwrap();
        assert!(a
            .x
            .iter()
            .zip(b.x.iter())
            .all(|(p, q)| p.to_bits() == q.to_bits()));
        assert_ne!(a, c);
    }

    #[test]
    fn clusters_are_separable() {
        let d = Dataset::separable();
        assert_eq!(d.len(), 100);
        assert_eq!(d.label_noise_fraction(), 0.0);
    }

    #[test]
    fn grid_has_exact_labels() {
        let d = Dataset::grid(4).unwrap();
        assert_eq!(d.len(), 16);
        assert_eq!(d.label_noise_fraction(), 0.0);
        assert!(Dataset::grid(1).is_err());
    }

    #[test]
    fn bad_input_is_rejected() {
        assert!(Dataset::noisy_xor(0, 0.2, 1).is_err());
        assert!(Dataset::noisy_xor(10, -1.0, 1).is_err());
        assert!(Dataset::noisy_xor(10, f64::NAN, 1).is_err());
        assert!(Dataset::new(Array2::zeros((3, 3)), Array1::zeros(3)).is_err());
        assert!(Dataset::new(Array2::zeros((3, 2)), Array1::from(vec![0., 2., 1.])).is_err());
    }

    #[test]
    fn minibatches_cover_each_epoch_once() {
        let mut mb = MiniBatcher::new(10, 5, 1).unwrap();
        let mut seen: Vec<usize> = mb.next_batch();
        seen.extend(mb.next_batch());
        seen.sort_unstable();
        assert_eq!(seen, (0..10).collect::<Vec<_>>());
        assert_eq!(mb.epoch(), 1);
        mb.next_batch();
        assert_eq!(mb.epoch(), 2);
        let mut again = MiniBatcher::new(10, 5, 1).unwrap();
        let mut mb2 = MiniBatcher::new(10, 5, 1).unwrap();
        assert_eq!(again.next_batch(), mb2.next_batch());
        assert!(MiniBatcher::new(10, 0, 1).is_err());
        assert!(MiniBatcher::new(10, 11, 1).is_err());
    }

    #[test]
    fn independent_batches_are_uniform_and_unrelated() {
        let (n, b) = (20, 5);
        let mut mb = MiniBatcher::new(n, b, 7)
            .unwrap()
            .with_sampling(Sampling::Independent);
        assert_eq!(mb.sampling(), Sampling::Independent);
        let mut counts = vec![0usize; n];
        let mut short_epochs = 0;
        for _ in 0..2000 {
            // One "epoch" worth of batches: with epochs it covers 0..n
            // exactly; independent batches almost never do.
            let mut seen = vec![false; n];
            for _ in 0..n / b {
                let batch = mb.next_batch();
                let mut sorted = batch.clone();
                sorted.sort_unstable();
                sorted.dedup();
                assert_eq!(sorted.len(), b, "no repeats within a batch: {batch:?}");
                for &i in &batch {
                    assert!(i < n);
                    counts[i] += 1;
                    seen[i] = true;
                }
            }
            short_epochs += usize::from(seen.iter().any(|s| !s));
        }
        assert!(
            short_epochs > 1900,
            "{short_epochs} of 2000 epochs missed an example"
        );
        // Each index is drawn with probability B/n per batch: 2000 epochs of
        // 4 batches give 2000 expected draws each, standard deviation ≈ 39.
        for (i, &c) in counts.iter().enumerate() {
            assert!((1800..=2200).contains(&c), "index {i} drawn {c} times");
        }
        // Same seed, same batches; different seeds differ.
        let draw = |seed| {
            let mut m = MiniBatcher::new(n, b, seed)
                .unwrap()
                .with_sampling(Sampling::Independent);
            (0..8).map(|_| m.next_batch()).collect::<Vec<_>>()
        };
        assert_eq!(draw(3), draw(3));
        assert_ne!(draw(3), draw(4));
        assert_eq!(
            MiniBatcher::new(n, b, 1).unwrap().sampling(),
            Sampling::Epochs
        );
    }
}
