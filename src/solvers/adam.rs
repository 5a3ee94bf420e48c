//! Adam: momentum plus RMSprop scaling, with bias correction.

use argmin::core::Error;
use ndarray::Array1;
use serde::{Deserialize, Serialize};

use super::common::{check_positive, check_unit};
use super::first_order::{FirstOrder, UpdateRule};

/// The arithmetic of Adam, with PyTorch's conventions: with learning rate
/// `η = lr`, decays `β₁ = beta1`, `β₂ = beta2` and `ε = eps` (`m_0 = v_0 = 0`,
/// operations elementwise, `k = 1, 2, …`):
///
/// ```text
/// m_k = β₁ m_{k−1} + (1 − β₁) g_k
/// v_k = β₂ v_{k−1} + (1 − β₂) g_k²
/// Δ_k = −(η / (1 − β₁ᵏ)) · m_k / (√v_k / √(1 − β₂ᵏ) + ε)
/// ```
///
/// that is `−η m̂_k / (√v̂_k + ε)` with the bias-corrected moments
/// `m̂ = m/(1 − β₁ᵏ)`, `v̂ = v/(1 − β₂ᵏ)`, computed in PyTorch's order. `ε` is
/// added outside the square root (TensorFlow's "epsilon hat" differs by a
/// factor `√(1 − β₂ᵏ)`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdamRule {
    /// Learning rate `η` (> 0).
    pub lr: f64,
    /// First-moment decay `β₁ ∈ [0, 1)`.
    pub beta1: f64,
    /// Second-moment decay `β₂ ∈ [0, 1)`.
    pub beta2: f64,
    /// `ε` (> 0) in the denominator.
    pub eps: f64,
}

/// The memory of [`AdamRule`].
#[derive(Clone, Debug, PartialEq)]
pub struct AdamState {
    /// First moment `m_k`.
    pub m: Array1<f64>,
    /// Second moment `v_k`.
    pub v: Array1<f64>,
    /// Steps taken `k`.
    pub count: u64,
}

impl UpdateRule for AdamRule {
    type State = AdamState;

    fn name(&self) -> &'static str {
        "Adam"
    }

    fn init(&self, dim: usize) -> AdamState {
        AdamState {
            m: Array1::zeros(dim),
            v: Array1::zeros(dim),
            count: 0,
        }
    }

    // ANCHOR: adam_update
    fn update(&self, grad: &Array1<f64>, state: &mut AdamState) -> Array1<f64> {
        state.count += 1;
        let k = i32::try_from(state.count).unwrap_or(i32::MAX);
        state.m = &state.m * self.beta1 + &(grad * (1.0 - self.beta1));
        state.v = &state.v * self.beta2 + &(grad * grad * (1.0 - self.beta2));
        let bc1 = 1.0 - self.beta1.powi(k);
        let bc2 = 1.0 - self.beta2.powi(k);
        let step_size = self.lr / bc1;
        let sqrt_bc2 = bc2.sqrt();
        let denom = state.v.mapv(|v| v.sqrt() / sqrt_bc2 + self.eps);
        -(&state.m / &denom) * step_size
    }
    // ANCHOR_END: adam_update
}

/// # Adam
///
/// Adaptive moment estimation: heavy-ball-like averaging of the gradient
/// (first moment) divided by the root of an average of its square (second
/// moment), both corrected for their zero start. Its first steps have length
/// about `η` per coordinate whatever the gradient's scale. The update rule is
/// [`AdamRule`]:
///
/// ```text
/// m_k = β₁ m_{k−1} + (1 − β₁) g_k,   v_k = β₂ v_{k−1} + (1 − β₂) g_k²
/// p_{k+1} = p_k − η m̂_k / (√v̂_k + ε),   m̂_k = m_k/(1 − β₁ᵏ),  v̂_k = v_k/(1 − β₂ᵏ)
/// ```
///
/// ## Requirements on the optimization problem
/// `CostFunction` and `Gradient` on `Array1<f64>` (cost `f64`), and
/// [`crate::curvature::MiniBatched`] (only used in stochastic mode).
///
/// ## Hyperparameters
/// - learning rate `η` (required, > 0; the reference race uses 0.05);
/// - `β₁ = 0.9`, `β₂ = 0.999`, `ε = 1e-8` (the paper's and PyTorch's defaults;
///   [`Adam::with_betas`], [`Adam::with_eps`]);
/// - mini-batch size and seed: full batch by default.
///
/// ## Reference
/// D. P. Kingma and J. Ba, *Adam: A Method for Stochastic Optimization*, ICLR 2015.
pub type Adam = FirstOrder<AdamRule>;

impl FirstOrder<AdamRule> {
    /// Adam with learning rate `lr` and the default `β₁ = 0.9`, `β₂ = 0.999`, `ε = 1e-8`.
    ///
    /// # Errors
    /// `InvalidParameter` unless `lr` is finite and > 0.
    pub fn new(lr: f64) -> Result<Self, Error> {
        let lr = check_positive("Adam", "learning rate", lr, false)?;
        Ok(Self::from_rule(AdamRule {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
        }))
    }

    /// Moment decays `β₁, β₂ ∈ [0, 1)` (defaults 0.9 and 0.999).
    ///
    /// # Errors
    /// `InvalidParameter` unless both lie in `[0, 1)`.
    pub fn with_betas(mut self, beta1: f64, beta2: f64) -> Result<Self, Error> {
        let b1 = check_unit("Adam", "beta1", beta1)?;
        let b2 = check_unit("Adam", "beta2", beta2)?;
        self.rule_mut().beta1 = b1;
        self.rule_mut().beta2 = b2;
        Ok(self)
    }

    /// `ε > 0` added to the root (default 1e-8).
    ///
    /// # Errors
    /// `InvalidParameter` unless `eps` is finite and > 0.
    pub fn with_eps(mut self, eps: f64) -> Result<Self, Error> {
        self.rule_mut().eps = check_positive("Adam", "eps", eps, false)?;
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn first_three_steps_by_hand() {
        // η = 0.1, β₁ = 0.9, β₂ = 0.999, ε = 1e-8; gradients 1, −2, 0.5 (1-D).
        let rule = AdamRule {
            lr: 0.1,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
        };
        let mut s = rule.init(1);
        // k = 1: m = 0.1, v = 0.001; m̂ = 1, v̂ = 1: Δ = −0.1·1/(1 + 1e-8)
        let d1 = rule.update(&array![1.0], &mut s)[0];
        assert!((d1 + 0.1 / (1.0 + 1e-8)).abs() < 1e-15, "{d1}");
        // k = 2: m = 0.09 − 0.2 = −0.11, v = 0.000999 + 0.004 = 0.004999
        //   m̂ = −0.11/0.19, v̂ = 0.004999/0.001999
        let d2 = rule.update(&array![-2.0], &mut s)[0];
        let expect2 = -0.1 * (-0.11 / 0.19) / ((0.004999f64 / 0.001999).sqrt() + 1e-8);
        assert!((d2 - expect2).abs() < 1e-14, "{d2} vs {expect2}");
        // k = 3: m = −0.099 + 0.05 = −0.049, v = 0.004994001 + 0.00025 = 0.005244001
        //   m̂ = −0.049/0.271, v̂ = 0.005244001/0.002997001
        let d3 = rule.update(&array![0.5], &mut s)[0];
        let expect3 = -0.1 * (-0.049 / 0.271) / ((0.005244001f64 / 0.002997001).sqrt() + 1e-8);
        assert!((d3 - expect3).abs() < 1e-14, "{d3} vs {expect3}");
        assert_eq!(s.count, 3);
    }

    #[test]
    fn first_step_has_length_lr_per_coordinate() {
        let rule = AdamRule {
            lr: 0.05,
            beta1: 0.9,
            beta2: 0.999,
            eps: 0.0,
        };
        let mut s = rule.init(2);
        let d = rule.update(&array![1e-3, -40.0], &mut s);
        assert!((d[0] + 0.05).abs() < 1e-14 && (d[1] - 0.05).abs() < 1e-14);
    }

    #[test]
    fn defaults_and_validation() {
        let a = Adam::new(0.05).unwrap();
        assert_eq!(
            (a.rule().beta1, a.rule().beta2, a.rule().eps),
            (0.9, 0.999, 1e-8)
        );
        assert!(Adam::new(0.0).is_err());
        assert!(Adam::new(0.1).unwrap().with_betas(0.9, 1.0).is_err());
        assert!(Adam::new(0.1).unwrap().with_eps(-1.0).is_err());
    }
}
