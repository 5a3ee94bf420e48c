//! RMSprop: gradient descent scaled by a running root-mean-square of gradients.

use argmin::core::Error;
use ndarray::Array1;
use serde::{Deserialize, Serialize};

use super::common::{check_positive, check_unit};
use super::first_order::{FirstOrder, UpdateRule};

/// The arithmetic of RMSprop (PyTorch's `RMSprop` conventions, not centred,
/// no momentum): with learning rate `η = lr`, decay `α = alpha` and
/// `ε = eps` (`s_0 = 0`, squares and roots elementwise),
///
/// ```text
/// s_k = α s_{k−1} + (1 − α) g_k²
/// Δ_k = −η g_k / (√s_k + ε)
/// ```
///
/// `ε` is added outside the square root, as in PyTorch (TensorFlow adds it
/// inside).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct RmsPropRule {
    /// Learning rate `η` (> 0).
    pub lr: f64,
    /// Decay of the squared-gradient average `α ∈ [0, 1)`.
    pub alpha: f64,
    /// `ε` (> 0) in the denominator.
    pub eps: f64,
}

/// The memory of [`RmsPropRule`].
#[derive(Clone, Debug, PartialEq)]
pub struct RmsPropState {
    /// Running average of squared gradients `s_k`.
    pub square_avg: Array1<f64>,
    /// Steps taken.
    pub count: u64,
}

impl UpdateRule for RmsPropRule {
    type State = RmsPropState;

    fn name(&self) -> &'static str {
        "RMSprop"
    }

    fn init(&self, dim: usize) -> RmsPropState {
        RmsPropState {
            square_avg: Array1::zeros(dim),
            count: 0,
        }
    }

    // ANCHOR: rmsprop_update
    fn update(&self, grad: &Array1<f64>, state: &mut RmsPropState) -> Array1<f64> {
        state.count += 1;
        state.square_avg = &state.square_avg * self.alpha + &(grad * grad * (1.0 - self.alpha));
        let denom = state.square_avg.mapv(|s| s.sqrt() + self.eps);
        -(grad / &denom) * self.lr
    }
    // ANCHOR_END: rmsprop_update
}

/// # RMSprop
///
/// Gradient descent with a per-coordinate step size: each coordinate is
/// divided by the root of a running mean of its squared gradients, so steep
/// and flat directions move at similar speeds (a diagonal, gradient-based
/// stand-in for curvature). The update rule is [`RmsPropRule`]:
///
/// ```text
/// s_k = α s_{k−1} + (1 − α) g_k²,     p_{k+1} = p_k − η g_k / (√s_k + ε)
/// ```
///
/// ## Requirements on the optimization problem
/// `CostFunction` and `Gradient` on `Array1<f64>` (cost `f64`), and
/// [`crate::curvature::MiniBatched`] (only used in stochastic mode).
///
/// ## Hyperparameters
/// - learning rate `η` (required, > 0);
/// - `α = 0.99`, `ε = 1e-8` (PyTorch's defaults; [`RmsProp::with_alpha`], [`RmsProp::with_eps`]);
/// - mini-batch size and seed: full batch by default.
///
/// ## Reference
/// T. Tieleman and G. Hinton, *Lecture 6.5 — RMSprop: divide the gradient by a
/// running average of its recent magnitude*, COURSERA: Neural Networks for
/// Machine Learning, 2012.
pub type RmsProp = FirstOrder<RmsPropRule>;

impl FirstOrder<RmsPropRule> {
    /// RMSprop with learning rate `lr`, `α = 0.99`, `ε = 1e-8`.
    ///
    /// # Errors
    /// `InvalidParameter` unless `lr` is finite and > 0.
    pub fn new(lr: f64) -> Result<Self, Error> {
        let lr = check_positive("RmsProp", "learning rate", lr, false)?;
        Ok(Self::from_rule(RmsPropRule {
            lr,
            alpha: 0.99,
            eps: 1e-8,
        }))
    }

    /// Decay `α ∈ [0, 1)` of the squared-gradient average (default 0.99).
    ///
    /// # Errors
    /// `InvalidParameter` unless `alpha ∈ [0, 1)`.
    pub fn with_alpha(mut self, alpha: f64) -> Result<Self, Error> {
        self.rule_mut().alpha = check_unit("RmsProp", "alpha", alpha)?;
        Ok(self)
    }

    /// `ε > 0` added to the root (default 1e-8).
    ///
    /// # Errors
    /// `InvalidParameter` unless `eps` is finite and > 0.
    pub fn with_eps(mut self, eps: f64) -> Result<Self, Error> {
        self.rule_mut().eps = check_positive("RmsProp", "eps", eps, false)?;
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn two_steps_by_hand() {
        // η = 0.01, α = 0.9, ε = 1e-8, gradients 2 then 1 (1-D):
        // s1 = 0.1·4 = 0.4,          Δ1 = −0.01·2/(√0.4 + 1e-8)
        // s2 = 0.9·0.4 + 0.1·1 = 0.46, Δ2 = −0.01·1/(√0.46 + 1e-8)
        let rule = RmsPropRule {
            lr: 0.01,
            alpha: 0.9,
            eps: 1e-8,
        };
        let mut s = rule.init(1);
        let d1 = rule.update(&array![2.0], &mut s)[0];
        assert!((d1 + 0.02 / (0.4f64.sqrt() + 1e-8)).abs() < 1e-16);
        let d2 = rule.update(&array![1.0], &mut s)[0];
        assert!((s.square_avg[0] - 0.46).abs() < 1e-15);
        assert!((d2 + 0.01 / (0.46f64.sqrt() + 1e-8)).abs() < 1e-16);
    }

    #[test]
    fn defaults_and_validation() {
        let r = RmsProp::new(0.01).unwrap();
        assert_eq!((r.rule().alpha, r.rule().eps), (0.99, 1e-8));
        assert!(RmsProp::new(-1.0).is_err());
        assert!(RmsProp::new(0.1).unwrap().with_alpha(1.0).is_err());
        assert!(RmsProp::new(0.1).unwrap().with_eps(0.0).is_err());
    }
}
