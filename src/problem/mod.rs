//! The XOR problem: data + MLP + a parameterisation, as an argmin problem.
//!
//! [`XorProblem`] implements argmin's [`CostFunction`](argmin::core::CostFunction),
//! [`Gradient`](argmin::core::Gradient) and [`Hessian`](argmin::core::Hessian)
//! on `Array1<f64>` / `Array2<f64>`, plus the crate's curvature traits
//! ([`CurvatureProducts`](crate::curvature::CurvatureProducts),
//! [`KfacCurvature`](crate::curvature::KfacCurvature),
//! [`MiniBatched`](crate::curvature::MiniBatched)). Every quantity has one
//! name, the trait's: `cost`, `gradient`, `hessian`, `hessian_vec`, `ggn_vec`,
//! `ggn`, `kfac_factors`, `set_batch`, `full_batch_cost`,
//! `full_batch_gradient`; bring the traits into scope with
//! `use quad_vs_grad::prelude::*`. The methods without a trait
//! ([`XorProblem::fisher`], [`XorProblem::output_jacobian`],
//! [`XorProblem::probabilities`]) sit beside them in this module's
//! `curvature.rs`, and return the crate's [`Result`]; both error types
//! convert into each other with `?`.
//!
//! # Parameterisations
//! The optimizer sees a parameter `p ∈ ℝᵏ`. With [`Parameterisation::Full`],
//! `p = θ`. With [`Parameterisation::Plane`] the network weights are
//!
//! ```text
//! θ(p) = θ₀ + Dᵀ p,        D ∈ ℝ^{k × D_θ}  (the rows of D are the plane's directions)
//! ```
//!
//! and every other weight stays frozen at `θ₀`. By the chain rule
//! `∇_p L = D ∇_θ L`, `∇²_p L = D ∇²_θ L Dᵀ`, the output Jacobian is
//! `J_p = J_θ Dᵀ`, and so the Gauss–Newton matrix is `G_p = D G_θ Dᵀ`. With
//! coordinate axes as directions this is just "train these weights, freeze the
//! rest".
//!
//! # Presets
//! - [`XorProblem::reference`]: the output-weight slice of the reference
//!   experiment, that of the Quad_vs_Grad program
//!   (<https://github.com/Stochastic-Batman/Quad_vs_Grad>, PyTorch, whose
//!   `paths.png` and `journey.gif` this crate reproduces); it is logistic
//!   regression on frozen features, hence convex;
//! - [`XorProblem::hidden_slice`]: two hidden weights of a 2-2-1 network that
//!   solves the separable XOR, where the loss is non-convex;
//! - [`XorProblem::full`]: every weight and bias of any architecture.

use ndarray::{array, Array1};
use serde::{Deserialize, Serialize};

use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::mlp::Mlp;

pub use crate::mlp::{Parameterisation, Plane};

mod curvature;

mod grid_eval;
pub use grid_eval::MAX_GRID_CELLS;

mod frozen_head;
use frozen_head::FrozenHead;
use std::sync::{Arc, OnceLock};

/// The XOR classification problem as an optimization problem in `p`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct XorProblem {
    data: Dataset,
    mlp: Mlp,
    param: Parameterisation,
    /// The active mini-batch (a subset of `data`), or `None` for the full batch.
    batch: Option<Dataset>,
    name: String,
    axis_labels: Vec<String>,
    /// The start of the problem's lesson, used when a race is given none
    /// ([`Recordable::default_start`](crate::curvature::Recordable::default_start)).
    #[serde(skip)]
    start: Option<Array1<f64>>,
    /// The full-batch fast path of an output-layer-only plane, built on
    /// first use (see `frozen_head.rs`); `None` inside for other problems.
    #[serde(skip)]
    head: OnceLock<Option<Arc<FrozenHead>>>,
}

impl XorProblem {
    /// A problem from its parts.
    ///
    /// # Errors
    /// [`Error::Shape`] if a plane's origin or directions do not have the
    /// network's number of parameters, or the inputs not the network's
    /// input width; [`Error::InvalidData`] for an empty data set or one
    /// with more inputs than labels or the other way round.
    pub fn new(data: Dataset, mlp: Mlp, param: Parameterisation) -> Result<Self> {
        // a hand-built data set (its fields are public) is checked as
        // `Dataset::new` checks one
        if data.x.nrows() != data.y.len() || data.y.is_empty() {
            return Err(Error::InvalidData(format!(
                "the data set has {} input rows and {} labels; it needs as many of each, at least one",
                data.x.nrows(),
                data.y.len()
            )));
        }
        let inputs = mlp.widths().first().copied().unwrap_or(0);
        if data.x.ncols() != inputs {
            return Err(Error::Shape(format!(
                "the data set has {} input columns, the network {inputs} inputs",
                data.x.ncols()
            )));
        }
        if let Parameterisation::Plane(pl) = &param {
            let d = mlp.num_params();
            if pl.origin.len() != d || pl.directions.ncols() != d {
                return Err(Error::Shape(format!(
                    "plane has origin of {} and directions of {} entries; the network has {d} parameters",
                    pl.origin.len(),
                    pl.directions.ncols()
                )));
            }
            if pl.directions.nrows() == 0 {
                return Err(Error::Shape("a plane needs at least one direction".into()));
            }
        }
        let name = format!("XOR MLP {:?}", mlp.widths());
        let k = param.dim(mlp.num_params());
        Ok(Self {
            data,
            mlp,
            param,
            batch: None,
            name,
            axis_labels: (1..=k).map(|i| format!("p{i}")).collect(),
            start: None,
            head: OnceLock::new(),
        })
    }

    /// Sets a display name (used in figure titles).
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Sets the start point a race uses when it is given none (for example
    /// [`Raceable::run`](crate::race::Raceable::run)).
    pub fn with_start(mut self, start: Array1<f64>) -> Self {
        self.start = Some(start);
        self
    }

    /// The start point a race uses when it is given none: `(2, −2)` on the
    /// output-weight slice, `(−2.5, 1.5)` on the hidden-weight slice, the
    /// seeded initialisation [`Mlp::init`]`(0)` on a full network.
    pub fn start(&self) -> Option<&Array1<f64>> {
        self.start.as_ref()
    }

    /// The display name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Names the coordinates of `p` (figure axes); `p1, p2, …` by default.
    ///
    /// # Errors
    /// [`Error::Shape`] unless there is one label per coordinate.
    pub fn with_axis_labels<S: Into<String>>(
        mut self,
        labels: impl IntoIterator<Item = S>,
    ) -> Result<Self> {
        let labels: Vec<String> = labels.into_iter().map(Into::into).collect();
        if labels.len() != self.dim() {
            return Err(Error::Shape(format!(
                "{} axis labels for a problem of dimension {}",
                labels.len(),
                self.dim()
            )));
        }
        self.axis_labels = labels;
        Ok(self)
    }

    /// The names of the coordinates of `p`.
    pub fn axis_labels(&self) -> &[String] {
        &self.axis_labels
    }

    /// The output-weight slice of the reference experiment (the Quad_vs_Grad
    /// program's, see the [module docs](self)).
    ///
    /// Data: [`Dataset::reference`]. Network 2-2-1 with the hidden layer frozen
    /// at `W = [[1, 1], [1, −1]]`, `b = 0`, tanh; the output is `σ(v·h)` with no
    /// bias (frozen at 0); `p = (v₁, v₂)`. The loss is logistic regression on
    /// fixed features, hence convex, and its GGN equals its Hessian.
    pub fn reference() -> Self {
        Self::output_slice(Dataset::reference())
    }

    /// The output-weight slice of [`XorProblem::reference`] on any data.
    pub fn output_slice(data: Dataset) -> Self {
        let mlp = Mlp::new(&[2, 2, 1]).expect("valid widths");
        let theta0 = mlp
            .pack(&[
                (array![[1.0, 1.0], [1.0, -1.0]], array![0.0, 0.0]),
                (array![[0.0, 0.0]], array![0.0]),
            ])
            .expect("valid shapes");
        let axes = [mlp.param_index(1, 0, 0), mlp.param_index(1, 0, 1)];
        let plane = Plane::coordinate(theta0, &axes).expect("valid axes");
        Self::new(data, mlp, Parameterisation::Plane(plane))
            .expect("valid plane")
            .with_name("output-weight slice (v1, v2), hidden layer frozen")
            .with_start(array![2.0, -2.0])
            .with_axis_labels(["v1", "v2"])
            .expect("two labels")
    }

    /// A 2-2-1 tanh network that solves the separable XOR
    /// ([`Dataset::separable`]) with loss below 0.01.
    ///
    /// Both hidden units look at `s = x₁ + x₂`, which is about 0 for class 1
    /// (signs differ) and about ±1 for class 0:
    /// `h₁ = tanh(2.5 s + 1.25)`, `h₂ = tanh(2.5 s − 1.25)`. Their difference
    /// is a bump around `s = 0` (`2 tanh 1.25 ≈ 1.697` there,
    /// `tanh 3.75 − tanh 1.25 ≈ 0.151` at `|s| = 1`), and the
    /// read-out `z = 8 h₁ − 8 h₂ − 6` turns the bump into the XOR decision.
    pub fn xor_solution() -> (Mlp, Array1<f64>) {
        let mlp = Mlp::new(&[2, 2, 1]).expect("valid widths");
        let theta = mlp
            .pack(&[
                (array![[2.5, 2.5], [2.5, 2.5]], array![1.25, -1.25]),
                (array![[8.0, -8.0]], array![-6.0]),
            ])
            .expect("valid shapes");
        (mlp, theta)
    }

    /// A genuinely non-convex 2-D slice through hidden weights.
    ///
    /// The network and data are those of [`XorProblem::xor_solution`] on
    /// [`Dataset::separable`]; `p` displaces the two input weights of the first
    /// hidden unit, `(W₁[0,0], W₁[0,1]) = (2.5 + p₁, 2.5 + p₂)`, every other
    /// weight frozen. At the origin `p = 0` the network solves XOR (loss about
    /// 0.005); in `[−3, 3]²` about a third of the points have a Hessian with a
    /// negative eigenvalue, where Newton's direction can point uphill.
    pub fn hidden_slice() -> Self {
        let (mlp, theta) = Self::xor_solution();
        let axes = [mlp.param_index(0, 0, 0), mlp.param_index(0, 0, 1)];
        let plane = Plane::coordinate(theta, &axes).expect("valid axes");
        Self::new(Dataset::separable(), mlp, Parameterisation::Plane(plane))
            .expect("valid plane")
            .with_name("hidden-weight slice (W1[0,0], W1[0,1]) of a 2-2-1 net, separable XOR")
            .with_start(array![-2.5, 1.5])
            .with_axis_labels(["ΔW1[0,0]", "ΔW1[0,1]"])
            .expect("two labels")
    }

    /// Every weight and bias of an MLP with the given hidden widths.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for an empty or zero width.
    pub fn full(data: Dataset, hidden: &[usize]) -> Result<Self> {
        let mlp = Mlp::with_hidden(hidden)?;
        let name = format!("full network {:?}", mlp.widths());
        let start = mlp.init(0);
        Ok(Self::new(data, mlp, Parameterisation::Full)?
            .with_name(name)
            .with_start(start))
    }

    /// The full data set.
    pub fn data(&self) -> &Dataset {
        &self.data
    }

    /// The data the derivatives currently use: the mini-batch if set, else the full set.
    pub fn active_data(&self) -> &Dataset {
        self.batch.as_ref().unwrap_or(&self.data)
    }

    /// The network architecture.
    pub fn mlp(&self) -> &Mlp {
        &self.mlp
    }

    /// The parameterisation.
    pub fn parameterisation(&self) -> &Parameterisation {
        &self.param
    }

    /// Dimension `k` of the optimizer's parameter `p`.
    pub fn dim(&self) -> usize {
        self.param.dim(self.mlp.num_params())
    }

    /// `θ(p)`, the full weight vector.
    ///
    /// # Errors
    /// [`Error::Shape`] if `p` does not have [`XorProblem::dim`] entries.
    pub fn theta(&self, p: &Array1<f64>) -> Result<Array1<f64>> {
        self.check_p(p)?;
        self.param.theta(p)
    }

    /// The output-layer-only plane's fast path, when this problem has one
    /// and the full batch is meant (`full`, or no mini-batch active).
    fn frozen_head(&self, full: bool) -> Option<&FrozenHead> {
        if !full && self.batch.is_some() {
            return None;
        }
        self.head
            .get_or_init(|| FrozenHead::new(self).map(Arc::new))
            .as_deref()
    }

    /// `Err(Shape)` unless `p` (or a direction in p-space) has the problem's dimension.
    fn check_p(&self, p: &Array1<f64>) -> Result<()> {
        if p.len() != self.dim() {
            return Err(Error::Shape(format!(
                "parameter has {} entries, the problem has dimension {}",
                p.len(),
                self.dim()
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argmin::core::CostFunction;

    #[test]
    fn reference_slice_maps_to_output_weights() {
        let pr = XorProblem::reference();
        assert_eq!(pr.dim(), 2);
        let th = pr.theta(&array![2.0, -2.0]).unwrap();
        assert!(pr.theta(&array![2.0]).is_err());
        assert_eq!(th.to_vec(), vec![1., 1., 0., 1., -1., 0., 2., -2., 0.]);
        let l = pr.cost(&array![0.0, 0.0]).unwrap();
        assert!((l - 2f64.ln()).abs() < 1e-14);
    }

    #[test]
    fn hidden_slice_solves_xor() {
        let pr = XorProblem::hidden_slice();
        let l = pr.cost(&array![0.0, 0.0]).unwrap();
        assert!(l < 0.01, "loss at the solution {l}");
    }

    /// The numbers in the doc of [`XorProblem::xor_solution`]: the bump
    /// `h₁ − h₂` as a function of `s = x₁ + x₂`.
    #[test]
    fn xor_solution_bump_values() {
        let (mlp, theta) = XorProblem::xor_solution();
        let bump = |s: f64| {
            let x = ndarray::array![[s / 2.0, s / 2.0]];
            let fwd = mlp.forward(theta.view(), x.view()).unwrap();
            let h = &fwd.activations[1];
            h[[0, 0]] - h[[0, 1]]
        };
        assert!((bump(0.0) - 1.697).abs() < 5e-4, "{}", bump(0.0));
        assert!((bump(1.0) - 0.151).abs() < 5e-4, "{}", bump(1.0));
        assert!((bump(-1.0) - 0.151).abs() < 5e-4, "{}", bump(-1.0));
    }

    #[test]
    fn wrong_length_is_an_error() {
        let pr = XorProblem::reference();
        assert!(pr.cost(&array![1.0]).is_err());
        assert!(pr.cost(&array![1.0, 2.0, 3.0]).is_err());
    }
}
