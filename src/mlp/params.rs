//! How an optimizer's parameter vector `p` maps to the network's weights
//! `θ`: every weight ([`Parameterisation::Full`]) or an affine plane through
//! weight space ([`Parameterisation::Plane`]), the rest frozen.
//!
//! It sits with the network, below the curvature code: K-FAC and the
//! curvature products map their θ-space results to `p` through it without
//! knowing the XOR problem.

use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::linalg::FixedDot;

/// An affine plane (of any dimension `k`) through parameter space.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plane {
    /// The point `θ₀` the plane passes through (also the frozen values).
    pub origin: Array1<f64>,
    /// The directions, one per row (`k × D_θ`).
    pub directions: Array2<f64>,
}

impl Plane {
    /// A plane through `origin` spanned by the coordinate axes `axes`: those
    /// weights move, `θ_{axes[r]} = origin_{axes[r]} + p_r`, the rest stay
    /// frozen at `origin`. With zeros at the free coordinates of `origin`, `p`
    /// is simply the value of the free weights.
    ///
    /// # Errors
    /// [`Error::Shape`] if an axis index is out of range or repeated, or no axis is given.
    pub fn coordinate(origin: Array1<f64>, axes: &[usize]) -> Result<Self> {
        let d = origin.len();
        if axes.is_empty() {
            return Err(Error::Shape("a plane needs at least one axis".into()));
        }
        let mut dirs = Array2::zeros((axes.len(), d));
        for (r, &a) in axes.iter().enumerate() {
            if a >= d || axes[..r].contains(&a) {
                return Err(Error::Shape(format!(
                    "axis {a} is out of range or repeated (θ has {d} entries)"
                )));
            }
            dirs[[r, a]] = 1.0;
        }
        Ok(Self {
            origin,
            directions: dirs,
        })
    }
}

/// How the optimizer's parameter `p` maps to the network's weights `θ`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Parameterisation {
    /// `p = θ`: every weight and bias is trained.
    Full,
    /// `θ = θ₀ + Dᵀ p`: a plane through parameter space, the rest frozen.
    Plane(Plane),
}

impl Parameterisation {
    /// Dimension of `p` for a network with `d_theta` parameters.
    pub fn dim(&self, d_theta: usize) -> usize {
        match self {
            Self::Full => d_theta,
            Self::Plane(pl) => pl.directions.nrows(),
        }
    }

    /// `θ(p)`.
    ///
    /// # Errors
    /// [`Error::Shape`] if `p` does not have one entry per direction of a
    /// plane.
    pub fn theta(&self, p: &Array1<f64>) -> Result<Array1<f64>> {
        match self {
            Self::Full => Ok(p.clone()),
            Self::Plane(pl) => {
                Self::check_len("p", p.len(), pl.directions.nrows())?;
                Ok(&pl.origin + &pl.directions.t().fdot(p))
            }
        }
    }

    /// Maps a θ-space direction or gradient to p-space: `D v` (identity when full).
    ///
    /// # Errors
    /// [`Error::Shape`] if `v` does not have one entry per weight of a plane's network.
    pub fn reduce_vec(&self, v: Array1<f64>) -> Result<Array1<f64>> {
        match self {
            Self::Full => Ok(v),
            Self::Plane(pl) => {
                Self::check_len("a θ-space vector", v.len(), pl.directions.ncols())?;
                Ok(pl.directions.fdot(&v))
            }
        }
    }

    /// Maps a p-space direction to θ-space: `Dᵀ v` (identity when full).
    ///
    /// # Errors
    /// [`Error::Shape`] if `v` does not have one entry per direction of a
    /// plane.
    pub fn expand_vec(&self, v: &Array1<f64>) -> Result<Array1<f64>> {
        match self {
            Self::Full => Ok(v.clone()),
            Self::Plane(pl) => {
                Self::check_len("a p-space vector", v.len(), pl.directions.nrows())?;
                Ok(pl.directions.t().fdot(v))
            }
        }
    }

    fn check_len(what: &str, got: usize, want: usize) -> Result<()> {
        if got == want {
            Ok(())
        } else {
            Err(Error::Shape(format!(
                "{what} has {got} entries, the plane needs {want}"
            )))
        }
    }

    /// Maps a θ-space matrix to p-space: `D M Dᵀ` (identity when full).
    ///
    /// # Errors
    /// [`Error::Shape`] if `m` is not square, or not `D_θ × D_θ` for a plane.
    pub fn reduce_mat(&self, m: Array2<f64>) -> Result<Array2<f64>> {
        if !m.is_square() {
            return Err(Error::Shape(format!(
                "a curvature matrix must be square, got {}×{}",
                m.nrows(),
                m.ncols()
            )));
        }
        match self {
            Self::Full => Ok(m),
            Self::Plane(pl) => {
                Self::check_len("a θ-space matrix's side", m.nrows(), pl.directions.ncols())?;
                Ok(pl.directions.fdot(&m).fdot(&pl.directions.t()))
            }
        }
    }

    /// Maps a θ-space Jacobian (`N × D_θ`) to p-space: `J Dᵀ`.
    ///
    /// # Errors
    /// [`Error::Shape`] if `j` does not have `D_θ` columns for a plane.
    pub fn reduce_jacobian(&self, j: Array2<f64>) -> Result<Array2<f64>> {
        match self {
            Self::Full => Ok(j),
            Self::Plane(pl) => {
                Self::check_len("a Jacobian's row", j.ncols(), pl.directions.ncols())?;
                Ok(j.fdot(&pl.directions.t()))
            }
        }
    }
}
