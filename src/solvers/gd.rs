//! Gradient descent with a fixed step, heavy-ball momentum or Nesterov momentum.

use argmin::core::Error;
use ndarray::Array1;
use serde::{Deserialize, Serialize};

use super::common::{check_positive, check_unit};
use super::first_order::{FirstOrder, UpdateRule};

/// Which momentum, if any, gradient descent uses.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Momentum {
    /// Plain gradient descent: `s_k = −η g_k`.
    None,
    /// Polyak's heavy ball with coefficient `β ∈ [0, 1)`.
    HeavyBall(f64),
    /// Nesterov's accelerated gradient with coefficient `β ∈ [0, 1)`.
    Nesterov(f64),
}

/// The arithmetic of gradient descent (PyTorch's `SGD` conventions, no
/// dampening, no weight decay).
///
/// With learning rate `η = lr`, momentum `β` and velocity `w` (`w_0 = 0`):
///
/// ```text
/// none:       s_k = −η g_k
/// heavy ball: w_k = β w_{k−1} + g_k,   s_k = −η w_k
/// Nesterov:   w_k = β w_{k−1} + g_k,   s_k = −η (g_k + β w_k)
/// ```
///
/// For a constant `η` the heavy-ball form equals Polyak's
/// `v_k = β v_{k−1} − η g_k, p_{k+1} = p_k + v_k` with `v = −η w`, and the
/// Nesterov form is Sutskever et al.'s look-ahead method rewritten so that the
/// gradient is taken at the current iterate (as PyTorch does).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sgd {
    /// Learning rate `η` (> 0).
    pub lr: f64,
    /// Momentum variant.
    pub momentum: Momentum,
}

/// The memory of [`Sgd`].
#[derive(Clone, Debug, PartialEq)]
pub struct SgdState {
    /// Velocity `w_k` (zero before the first step).
    pub velocity: Array1<f64>,
    /// Steps taken.
    pub count: u64,
}

impl UpdateRule for Sgd {
    type State = SgdState;

    fn name(&self) -> &'static str {
        match self.momentum {
            Momentum::None => "Gradient descent",
            Momentum::HeavyBall(_) => "Gradient descent with momentum",
            Momentum::Nesterov(_) => "Nesterov accelerated gradient",
        }
    }

    fn init(&self, dim: usize) -> SgdState {
        SgdState {
            velocity: Array1::zeros(dim),
            count: 0,
        }
    }

    // ANCHOR: sgd_update
    fn update(&self, grad: &Array1<f64>, state: &mut SgdState) -> Array1<f64> {
        state.count += 1;
        match self.momentum {
            Momentum::None => grad * (-self.lr),
            Momentum::HeavyBall(beta) => {
                state.velocity = &state.velocity * beta + grad;
                &state.velocity * (-self.lr)
            }
            Momentum::Nesterov(beta) => {
                state.velocity = &state.velocity * beta + grad;
                (grad + &(&state.velocity * beta)) * (-self.lr)
            }
        }
    }
    // ANCHOR_END: sgd_update
}

/// # Gradient descent (fixed step, optional heavy-ball or Nesterov momentum)
///
/// The simplest optimizer: follow the negative gradient with a fixed
/// learning rate, optionally with a velocity that accumulates past gradients.
/// The update rule is [`Sgd`]:
///
/// ```text
/// p_{k+1} = p_k − η g_k                                      (plain)
/// w_k = β w_{k−1} + g_k,  p_{k+1} = p_k − η w_k              (heavy ball)
/// w_k = β w_{k−1} + g_k,  p_{k+1} = p_k − η (g_k + β w_k)    (Nesterov)
/// ```
///
/// With [`FirstOrder::with_minibatch`] it is stochastic gradient descent: `g_k`
/// is the gradient of a fresh seeded mini-batch.
///
/// ## Requirements on the optimization problem
/// `CostFunction` and `Gradient` on `Array1<f64>` (cost `f64`), and
/// [`crate::curvature::MiniBatched`] (only used in stochastic mode).
///
/// ## Hyperparameters
/// - learning rate `η` (required, > 0);
/// - momentum `β ∈ [0, 1)`: none by default ([`GradientDescent::with_momentum`],
///   [`GradientDescent::with_nesterov`]);
/// - mini-batch size and seed: full batch by default.
///
/// ## Reference
/// B. T. Polyak, *Some methods of speeding up the convergence of iteration
/// methods*, USSR Comput. Math. Math. Phys. 4(5), 1964; Y. Nesterov, *A method
/// for solving the convex programming problem with convergence rate O(1/k²)*,
/// Soviet Math. Dokl. 27, 1983; I. Sutskever, J. Martens, G. Dahl, G. Hinton,
/// *On the importance of initialization and momentum in deep learning*, ICML 2013.
pub type GradientDescent = FirstOrder<Sgd>;

impl FirstOrder<Sgd> {
    /// Plain gradient descent with learning rate `lr`.
    ///
    /// # Errors
    /// `InvalidParameter` unless `lr` is finite and > 0.
    pub fn new(lr: f64) -> Result<Self, Error> {
        let lr = check_positive("GradientDescent", "learning rate", lr, false)?;
        Ok(Self::from_rule(Sgd {
            lr,
            momentum: Momentum::None,
        }))
    }

    /// Heavy-ball momentum with coefficient `beta ∈ [0, 1)` (default: none).
    ///
    /// # Errors
    /// `InvalidParameter` unless `beta ∈ [0, 1)`.
    pub fn with_momentum(self, beta: f64) -> Result<Self, Error> {
        let beta = check_unit("GradientDescent", "momentum", beta)?;
        let mut this = self;
        this.rule_mut().momentum = Momentum::HeavyBall(beta);
        Ok(this)
    }

    /// Nesterov momentum with coefficient `beta ∈ [0, 1)` (default: none).
    ///
    /// # Errors
    /// `InvalidParameter` unless `beta ∈ [0, 1)`.
    pub fn with_nesterov(self, beta: f64) -> Result<Self, Error> {
        let beta = check_unit("GradientDescent", "momentum", beta)?;
        let mut this = self;
        this.rule_mut().momentum = Momentum::Nesterov(beta);
        Ok(this)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn close(a: &Array1<f64>, b: &[f64]) {
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() < 1e-15, "{a} vs {b:?}");
        }
    }

    #[test]
    fn plain_step() {
        let rule = Sgd {
            lr: 0.5,
            momentum: Momentum::None,
        };
        let mut s = rule.init(2);
        close(&rule.update(&array![2.0, -4.0], &mut s), &[-1.0, 2.0]);
    }

    #[test]
    fn heavy_ball_by_hand() {
        // η = 0.1, β = 0.9, gradients 1, 2, 3 (1-D):
        // w1 = 1, s1 = −0.1; w2 = 0.9 + 2 = 2.9, s2 = −0.29; w3 = 2.61 + 3 = 5.61, s3 = −0.561
        let rule = Sgd {
            lr: 0.1,
            momentum: Momentum::HeavyBall(0.9),
        };
        let mut s = rule.init(1);
        close(&rule.update(&array![1.0], &mut s), &[-0.1]);
        close(&rule.update(&array![2.0], &mut s), &[-0.29]);
        close(&rule.update(&array![3.0], &mut s), &[-0.561]);
        assert_eq!(s.count, 3);
    }

    #[test]
    fn nesterov_by_hand() {
        // η = 0.1, β = 0.9, gradients 1, 2:
        // w1 = 1, s1 = −0.1 (1 + 0.9) = −0.19; w2 = 2.9, s2 = −0.1 (2 + 2.61) = −0.461
        let rule = Sgd {
            lr: 0.1,
            momentum: Momentum::Nesterov(0.9),
        };
        let mut s = rule.init(1);
        close(&rule.update(&array![1.0], &mut s), &[-0.19]);
        close(&rule.update(&array![2.0], &mut s), &[-0.461]);
    }

    #[test]
    fn validation() {
        assert!(GradientDescent::new(0.0).is_err());
        assert!(GradientDescent::new(f64::INFINITY).is_err());
        assert!(GradientDescent::new(0.1)
            .unwrap()
            .with_momentum(1.0)
            .is_err());
        assert!(GradientDescent::new(0.1)
            .unwrap()
            .with_nesterov(-0.1)
            .is_err());
        let gd = GradientDescent::new(0.1)
            .unwrap()
            .with_nesterov(0.5)
            .unwrap();
        assert_eq!(gd.rule().momentum, Momentum::Nesterov(0.5));
    }
}
