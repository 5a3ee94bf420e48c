//! The measured noise of mini-batch gradients at one point, against the
//! prediction from the per-example gradients.

use crate::curvature::MiniBatched;
use crate::data::MiniBatcher;
use crate::error::{Error, Result};
use crate::problem::XorProblem;
use ndarray::Array1;
use serde::{Deserialize, Serialize};

/// The measured noise of mini-batch gradients at one point.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct GradientNoise {
    /// Batch size `B`.
    pub batch_size: usize,
    /// Number of examples `N`.
    pub examples: usize,
    /// Root-mean-square deviation of a batch gradient from the full gradient,
    /// per coordinate, over the draws.
    pub measured: f64,
    /// The same from the per-example gradients:
    /// `√(s² (N − B) / (B (N − 1)))`, `s²` their variance per coordinate.
    pub predicted: f64,
}

/// Measures how far mini-batch gradients of `batch_size` examples scatter
/// around the full gradient at `p`: `draws` batches from a seeded
/// [`MiniBatcher`] (without replacement within an epoch), compared with the
/// prediction from the per-example gradients.
///
/// # Errors
/// [`Error::InvalidConfig`] unless `1 ≤ batch_size ≤ N` and `draws ≥ 1`;
/// evaluation errors of the problem.
pub fn minibatch_gradient_noise(
    problem: &XorProblem,
    p: &Array1<f64>,
    batch_size: usize,
    draws: usize,
    seed: u64,
) -> Result<GradientNoise> {
    let n = problem.data().len();
    if batch_size == 0 || batch_size > n || draws == 0 {
        return Err(Error::InvalidConfig(format!(
            "need 1 ≤ batch size ≤ {n} and at least one draw, got {batch_size} and {draws}"
        )));
    }
    let eval = crate::lessons::checks::config_error;
    let mut work = problem.clone();
    work.set_batch(None).map_err(eval)?;
    let full = work.full_batch_gradient(p).map_err(eval)?;
    let d = full.len() as f64;
    // Per-example gradients: their variance per coordinate.
    let mut s2 = 0.0;
    for i in 0..n {
        work.set_batch(Some(&[i])).map_err(eval)?;
        let g = argmin::core::Gradient::gradient(&work, p).map_err(eval)?;
        s2 += (&g - &full).mapv(|v| v * v).sum();
    }
    let s2 = s2 / ((n - 1).max(1) as f64 * d);
    let predicted =
        (s2 * (n - batch_size) as f64 / (batch_size as f64 * (n - 1).max(1) as f64)).sqrt();
    let mut batcher = MiniBatcher::new(n, batch_size, seed)?;
    let mut sq = 0.0;
    for _ in 0..draws {
        let batch = batcher.next_batch();
        work.set_batch(Some(&batch)).map_err(eval)?;
        let g = argmin::core::Gradient::gradient(&work, p).map_err(eval)?;
        sq += (&g - &full).mapv(|v| v * v).sum();
    }
    Ok(GradientNoise {
        batch_size,
        examples: n,
        measured: (sq / (draws as f64 * d)).sqrt(),
        predicted,
    })
}
