//! The XOR problem and the MLP (chapter 1): the output-weight slice seen as
//! logistic regression on frozen features, and why its loss stays near `ln 2`.
//!
//! # The symmetry bound
//! On the output-weight slice the logit is `z(x) = v·h(x)` with
//! `h(x) = tanh(Wx)`, `W = [[1, 1], [1, −1]]` and no biases: `tanh` is odd,
//! so `z(−x) = −z(x)`. The XOR label is even, `y(−x) = y(x)`. Writing the
//! cross-entropy from the logit as
//!
//! ```text
//! ℓ(z, y) = log(1 + e^z) − y z = ln 2 + ln cosh(z/2) + (½ − y) z
//! ```
//!
//! a point and its mirror image (same label, logits `z` and `−z`) cost
//! `2 ln 2 + 2 ln cosh(z/2) ≥ 2 ln 2` together, whatever `v` is. On a data set
//! made of mirror pairs ([`mirrored`]) every `v` has loss `≥ ln 2`, with
//! equality at `v = 0`. On a sample that is only nearly symmetric,
//!
//! ```text
//! L(v) = ln 2 + (1/N) Σ ln cosh(z_i/2) − v·m,     m = (1/N) Σ (y_i − ½) h(x_i)
//! ```
//!
//! the first sum is `≥ 0` and even in `v`, so only the *asymmetry* `m` of the
//! sample (zero for mirror pairs) can pull the loss below `ln 2`. Since
//! `ln cosh u ≤ u²/2`, `L(v) ≤ ln 2 − v·m + vᵀCv/8` with `C = (1/N) Σ h hᵀ`,
//! whose minimum `ln 2 − 2 mᵀC⁻¹m` ([`SymmetryBound::quadratic_estimate`])
//! is a loss the slice is guaranteed to reach; the true minimum
//! ([`best_loss`]) is below it by the quartic terms only.

use crate::linalg::FixedDot;
use ndarray::{concatenate, Array1, Array2, Axis};
use serde::{Deserialize, Serialize};

use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::plot::{FieldLine, FieldLineShape, FieldMap, FieldMark, LossGrid};
use crate::problem::XorProblem;
use crate::race::{run, OptimizerKind, OptimizerSpec, RaceConfig};

mod figures;

pub use crate::mlp::bce_from_logit;
pub use figures::{data_figure, draw_data};

/// The data set together with the mirror image `−x` of every point, with the
/// same label: exactly symmetric under `x → −x` (`2N` points). XOR labels are
/// even, so the mirror images are correctly labelled XOR points too.
pub fn mirrored(data: &Dataset) -> Dataset {
    let x = concatenate![Axis(0), data.x, data.x.mapv(|v| -v)];
    let y = concatenate![Axis(0), data.y, data.y];
    Dataset { x, y }
}

/// The activations of the last hidden layer on every example of the
/// problem's data at the point `p` (`N × width`): the features the output
/// layer sees. On the output-weight slice they do not depend on `p`.
///
/// # Errors
/// [`Error::Shape`] if `p` has the wrong length, [`Error::InvalidConfig`]
/// for a network without a hidden layer.
pub fn hidden_features(problem: &XorProblem, p: &Array1<f64>) -> Result<Array2<f64>> {
    if p.len() != problem.dim() {
        return Err(Error::Shape(format!(
            "point has {} entries, the problem has dimension {}",
            p.len(),
            problem.dim()
        )));
    }
    let theta = problem.theta(p)?;
    let pass = problem
        .mlp()
        .forward(theta.view(), problem.data().x.view())?;
    if pass.activations.len() < 2 {
        return Err(Error::InvalidConfig(
            "the network has no hidden layer".into(),
        ));
    }
    Ok(pass.activations[pass.activations.len() - 1].clone())
}

/// The quantities of the symmetry bound (see the module documentation) for a
/// problem whose logit is `v·h(x)`, linear in the parameters with frozen
/// features (the output-weight slice).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SymmetryBound {
    /// `m = (1/N) Σ (y_i − ½) h(x_i)`: zero for a mirror-symmetric data set.
    pub asymmetry: Array1<f64>,
    /// `C = (1/N) Σ h(x_i) h(x_i)ᵀ`.
    pub feature_moment: Array2<f64>,
    /// `ln 2 − 2 mᵀ C⁻¹ m`: the minimum of the quadratic upper bound of the
    /// loss, reached at `v = 4 C⁻¹ m`.
    pub quadratic_estimate: f64,
    /// `4 C⁻¹ m`, where the quadratic bound is lowest.
    pub estimate_point: Array1<f64>,
}

/// The symmetry bound of the output-weight slice `problem` (any data set).
///
/// # Errors
/// As [`hidden_features`]; [`Error::Linalg`] if `C` is singular.
pub fn symmetry_bound(problem: &XorProblem) -> Result<SymmetryBound> {
    let p0 = Array1::zeros(problem.dim());
    let h = hidden_features(problem, &p0)?;
    let n = h.nrows() as f64;
    let w = problem.data().y.mapv(|y| y - 0.5);
    let asymmetry = h.t().fdot(&w) / n;
    let feature_moment = h.t().fdot(&h) / n;
    let cinv_m = crate::linalg::solve(&feature_moment, &asymmetry)?;
    Ok(SymmetryBound {
        quadratic_estimate: std::f64::consts::LN_2 - 2.0 * asymmetry.fdot(&cinv_m),
        estimate_point: 4.0 * &cinv_m,
        asymmetry,
        feature_moment,
    })
}

/// The minimum of a convex problem, found by undamped Newton from `start`
/// (step tolerance `1e-12`, at most 100 steps): `(v*, L(v*))`.
///
/// # Errors
/// [`Error::InvalidConfig`] if Newton diverges or fails (for example on a
/// problem that is not convex, or whose minimum is at infinity).
pub fn best_loss(problem: &XorProblem, start: &Array1<f64>) -> Result<(Array1<f64>, f64)> {
    let cfg = RaceConfig {
        max_iters: 100,
        tol: 1e-12,
        ..RaceConfig::default()
    };
    let spec = OptimizerSpec::new(OptimizerKind::Newton).damping(0.0);
    let t = run(problem, start, &spec, &cfg);
    match (&t.stop, t.final_point()) {
        (stop, Some(p)) if !stop.is_failure() => Ok((Array1::from(p.to_vec()), t.final_loss())),
        (stop, _) => Err(Error::InvalidConfig(format!(
            "Newton did not find a minimum: {stop:?}"
        ))),
    }
}

/// The loss over a 2-D slice of `problem` (the output-weight slice, say) on
/// `[−half_width, half_width]²` with equal units on both axes, the level
/// `L = ln 2` highlighted, `v = 0` (the all-zero output: `p = ½` for every
/// point, loss `ln 2`) and the slice's minimum `v*` ([`best_loss`] from 0)
/// marked: on the output-weight slice, nested convex loops around a
/// minimum just below `ln 2`.
///
/// # Errors
/// As [`LossGrid::for_problem`] (a slice that is not 2-D, `n < 2`) and
/// [`best_loss`].
pub fn slice_floor_map(problem: &XorProblem, half_width: f64, n: usize) -> Result<FieldMap> {
    let r = (-half_width, half_width);
    let grid =
        LossGrid::for_problem(problem, r, r, n).map_err(|e| Error::InvalidConfig(e.to_string()))?;
    let (v, loss) = best_loss(problem, &Array1::zeros(2))?;
    let ln2 = std::f64::consts::LN_2;
    let mut map = FieldMap::new(grid, "The loss over the output-weight slice", "loss");
    map.equal_aspect = true;
    map.lines = vec![FieldLine {
        label: "loss = ln 2 (chance level)".into(),
        colour: 1,
        shape: FieldLineShape::Level(ln2),
    }];
    map.marks = vec![
        FieldMark {
            label: format!("v = 0: p = ½, loss {ln2:.4}"),
            point: (0.0, 0.0),
            colour: 0,
        },
        FieldMark {
            label: format!("minimum v*: loss {loss:.4}"),
            point: (v[0], v[1]),
            colour: 3,
        },
    ];
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use argmin::core::CostFunction;
    use std::f64::consts::LN_2;

    #[test]
    fn mirrored_data_cannot_go_below_ln2() {
        let data = mirrored(&Dataset::reference());
        assert_eq!(data.len(), 400);
        let problem = XorProblem::output_slice(data);
        let b = symmetry_bound(&problem).unwrap();
        assert!(b.asymmetry.iter().all(|m| m.abs() < 1e-15));
        let (v, l) = best_loss(&problem, &ndarray::array![2.0, -2.0]).unwrap();
        assert!((l - LN_2).abs() < 1e-12 && v.iter().all(|x| x.abs() < 1e-6));
        for p in [[1.0, 1.0], [-3.0, 0.5], [0.2, 0.0]] {
            assert!(problem.cost(&Array1::from(p.to_vec())).unwrap() >= LN_2);
        }
    }

    #[test]
    fn quadratic_estimate_is_reached_and_bounds_the_minimum() {
        let problem = XorProblem::reference();
        let b = symmetry_bound(&problem).unwrap();
        let (_, best) = best_loss(&problem, &Array1::zeros(2)).unwrap();
        // L ≤ quadratic bound everywhere, so L(estimate point) ≤ estimate, and L* ≤ both.
        let at = problem.cost(&b.estimate_point).unwrap();
        assert!(at <= b.quadratic_estimate + 1e-15);
        assert!(best <= at + 1e-15 && b.quadratic_estimate < LN_2);
    }

    #[test]
    fn features_have_one_row_per_example() {
        let problem = XorProblem::reference();
        let h = hidden_features(&problem, &Array1::zeros(2)).unwrap();
        assert_eq!(h.dim(), (200, 2));
        let x = &problem.data().x;
        assert!((h[[0, 0]] - (x[[0, 0]] + x[[0, 1]]).tanh()).abs() < 1e-15);
        assert!((h[[0, 1]] - (x[[0, 0]] - x[[0, 1]]).tanh()).abs() < 1e-15);
        assert!(hidden_features(&problem, &Array1::zeros(3)).is_err());
    }
}
