//! The model itself, [`QuadraticModel`], with its eigen-analysis and
//! shape, [`ModelShape`].

use crate::linalg::FixedDot;
use argmin::core::{Gradient, Hessian};
use ndarray::{Array1, Array2};

use super::curvature::ModelCurvature;
use crate::curvature::{sym_eig, CurvatureProducts, KfacCurvature};
use crate::plot::error::{PlotError, Result};

/// The shape of a quadratic model, from the eigenvalues of `C + λI`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelShape {
    /// Every eigenvalue positive: a unique minimiser.
    Bowl,
    /// Eigenvalues of both signs: unbounded below along a negative-curvature
    /// direction; the stationary point is a saddle point.
    Saddle,
    /// Every eigenvalue negative: the stationary point is a maximum.
    Dome,
    /// A zero eigenvalue (within `1e−12 · max|μ|`) and none negative.
    Degenerate,
}

impl ModelShape {
    /// `"bowl"`, `"saddle"`, `"dome"` or `"degenerate"`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Bowl => "bowl",
            Self::Saddle => "saddle",
            Self::Dome => "dome",
            Self::Degenerate => "degenerate",
        }
    }
}

/// The quadratic model `m(s) = gᵀs + ½ sᵀ(C + λI)s` at an iterate, with its
/// eigen-analysis: shape, minimiser, stationary point and escape direction.
///
/// ```
/// use quad_vs_grad::plot::{ModelShape, QuadraticModel};
/// use quad_vs_grad::prelude::*;
///
/// // The saddle x² − y² at (1, 0.5): g = (2, −1), H = diag(2, −2).
/// let m = QuadraticModel::new(array![1.0, 0.5], array![2.0, -1.0], array![[2.0, 0.0], [0.0, -2.0]], 0.0)?;
/// assert_eq!(m.shape(), ModelShape::Saddle);
/// assert!(m.minimiser().is_none());
/// // Newton's step goes to the saddle point (0, 0) of the model …
/// let s = m.stationary_step().unwrap();
/// assert!((s[0] + 1.0).abs() < 1e-12 && (s[1] + 0.5).abs() < 1e-12);
/// // … while the model runs off to −∞ along ±y, downhill side first.
/// let d = m.escape_direction().unwrap();
/// assert!(d[0].abs() < 1e-12 && (d[1] - 1.0).abs() < 1e-12);
/// # Ok::<(), quad_vs_grad::plot::PlotError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct QuadraticModel {
    pub(super) centre: Array1<f64>,
    pub(super) gradient: Array1<f64>,
    pub(super) curvature: Array2<f64>,
    pub(super) damping: f64,
    pub(super) radius: Option<f64>,
    pub(super) label: String,
    pub(super) kind: Option<ModelCurvature>,
    pub(super) eigenvalues: Array1<f64>,
    pub(super) eigenvectors: Array2<f64>,
    pub(super) shape: ModelShape,
    pub(super) stationary: Option<Array1<f64>>,
    pub(super) minimiser: Option<Array1<f64>>,
    pub(super) escape: Option<Array1<f64>>,
}

/// Relative size below which an eigenvalue of `C + λI` counts as zero.
pub(super) const ZERO_TOL: f64 = 1e-12;

impl QuadraticModel {
    /// The model at `centre` with gradient `gradient`, curvature `curvature`
    /// (`k × k`, symmetrised as `(C + Cᵀ)/2`) and damping `λ = damping`.
    ///
    /// # Errors
    /// [`PlotError::InvalidInput`] for mismatched shapes, an empty model, or
    /// non-finite entries (a diverged iterate has no model).
    pub fn new(
        centre: Array1<f64>,
        gradient: Array1<f64>,
        curvature: Array2<f64>,
        damping: f64,
    ) -> Result<Self> {
        let k = centre.len();
        if k == 0 || gradient.len() != k || curvature.dim() != (k, k) {
            return Err(PlotError::InvalidInput(format!(
                "a quadratic model needs a point, gradient and k × k curvature of one size, got {}, {} and {:?}",
                k,
                gradient.len(),
                curvature.dim()
            )));
        }
        let finite = |v: &f64| v.is_finite();
        if !(centre.iter().all(finite)
            && gradient.iter().all(finite)
            && curvature.iter().all(finite)
            && damping.is_finite())
        {
            return Err(PlotError::InvalidInput(
                "the quadratic model has non-finite entries".into(),
            ));
        }
        let sym = (&curvature + &curvature.t()) * 0.5;
        let mut a = sym.clone();
        for i in 0..k {
            a[[i, i]] += damping;
        }
        let (mu, v) = sym_eig(&a).map_err(|e| PlotError::InvalidInput(e.to_string()))?;
        let scale = mu.iter().fold(0.0_f64, |m, x| m.max(x.abs()));
        let thr = ZERO_TOL * scale;
        let neg = mu.iter().filter(|&&x| x < -thr).count();
        let pos = mu.iter().filter(|&&x| x > thr).count();
        let zero = k - neg - pos;
        let shape = if zero > 0 && neg == 0 {
            ModelShape::Degenerate
        } else if neg == 0 {
            ModelShape::Bowl
        } else if pos == 0 && zero == 0 {
            ModelShape::Dome
        } else {
            ModelShape::Saddle
        };
        // g in the eigenbasis.
        let gamma = v.t().fdot(&gradient);
        let gscale = gradient.iter().fold(0.0_f64, |m, x| m.max(x.abs()));
        // −Σ γ_i/μ_i v_i over the non-zero eigenvalues.
        let pseudo_step = || {
            let mut s = Array1::zeros(k);
            for i in 0..k {
                if mu[i].abs() > thr && scale > 0.0 {
                    s.scaled_add(-gamma[i] / mu[i], &v.column(i));
                }
            }
            s
        };
        let stationary = (zero == 0 && scale > 0.0).then(pseudo_step);
        // A degenerate model is bounded below only if g has no component
        // along its flat directions.
        let flat_free = (0..k)
            .filter(|&i| mu[i].abs() <= thr)
            .all(|i| gamma[i].abs() <= 1e-12 * gscale.max(f64::MIN_POSITIVE));
        let minimiser = match shape {
            ModelShape::Bowl => stationary.clone(),
            ModelShape::Degenerate if flat_free => Some(pseudo_step()),
            _ => None,
        };
        // The direction to −∞: the most negative eigenvalue's eigenvector, or
        // a flat direction along which g pulls; downhill side (gᵀd ≤ 0).
        let escape = if minimiser.is_some() {
            None
        } else {
            let i = if neg > 0 {
                0 // eigenvalues are ascending
            } else {
                (0..k)
                    .filter(|&i| mu[i].abs() <= thr)
                    .max_by(|&a, &b| gamma[a].abs().total_cmp(&gamma[b].abs()))
                    .unwrap_or(0)
            };
            let mut d = v.column(i).to_owned();
            let gd = gamma[i];
            let first = d.iter().copied().find(|x| *x != 0.0).unwrap_or(1.0);
            if gd > 0.0 || (gd == 0.0 && first < 0.0) {
                d.mapv_inplace(|x| -x);
            }
            Some(d)
        };
        Ok(Self {
            centre,
            gradient,
            curvature: sym,
            damping,
            radius: None,
            label: String::new(),
            kind: None,
            eigenvalues: mu,
            eigenvectors: v,
            shape,
            stationary,
            minimiser,
            escape,
        })
    }

    /// The model of `problem` at `p` with curvature `kind` and damping `λ`.
    ///
    /// # Errors
    /// As [`ModelCurvature::at`] and [`QuadraticModel::new`].
    pub fn at<P>(problem: &P, p: &Array1<f64>, kind: ModelCurvature, damping: f64) -> Result<Self>
    where
        P: Gradient<Param = Array1<f64>, Gradient = Array1<f64>>
            + Hessian<Param = Array1<f64>, Hessian = Array2<f64>>
            + CurvatureProducts
            + KfacCurvature,
    {
        let g = problem
            .gradient(p)
            .map_err(|e| PlotError::InvalidInput(format!("the gradient at the iterate: {e}")))?;
        let c = kind.at(problem, p)?;
        Ok(Self::new(p.clone(), g, c, damping)?.with_kind(kind))
    }

    /// Records which curvature the model uses (for its caption).
    pub fn with_kind(mut self, kind: ModelCurvature) -> Self {
        self.kind = Some(kind);
        self
    }

    /// Sets the trust-region radius drawn around the iterate (ignored unless
    /// finite and positive).
    pub fn with_radius(mut self, radius: f64) -> Self {
        self.radius = (radius.is_finite() && radius > 0.0).then_some(radius);
        self
    }

    /// Sets the caption's name of the model, e.g. `"Newton's model"`
    /// (default empty); [`QuadraticModel::caption`] adds the curvature and
    /// damping.
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    /// The same model with another damping `λ` (radius and label kept).
    ///
    /// # Errors
    /// As [`QuadraticModel::new`].
    pub fn with_damping(&self, damping: f64) -> Result<Self> {
        let m = Self::new(
            self.centre.clone(),
            self.gradient.clone(),
            self.curvature.clone(),
            damping,
        )?;
        Ok(Self {
            radius: self.radius,
            label: self.label.clone(),
            kind: self.kind,
            ..m
        })
    }

    /// The iterate `p` the model is centred on.
    pub fn centre(&self) -> &Array1<f64> {
        &self.centre
    }

    /// The gradient `g` at the iterate.
    pub fn gradient(&self) -> &Array1<f64> {
        &self.gradient
    }

    /// The undamped curvature `C` (symmetrised).
    pub fn curvature(&self) -> &Array2<f64> {
        &self.curvature
    }

    /// The damping `λ`.
    pub fn damping(&self) -> f64 {
        self.damping
    }

    /// The trust-region radius, if set.
    pub fn radius(&self) -> Option<f64> {
        self.radius
    }

    /// The caption's name of the model (see [`QuadraticModel::with_label`]).
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The curvature kind, if the model was built from a problem.
    pub fn kind(&self) -> Option<ModelCurvature> {
        self.kind
    }

    /// The name, curvature and damping, e.g. `"Newton's model (Hessian + 0.1 I)"`.
    pub fn caption(&self) -> String {
        let c = self.kind.map_or("C", ModelCurvature::name);
        let desc = if self.damping == 0.0 {
            c.to_string()
        } else {
            format!("{c} + {} I", crate::fmt::compact(self.damping))
        };
        if self.label.is_empty() {
            format!("model ({desc})")
        } else {
            format!("{} ({desc})", self.label)
        }
    }

    /// Eigenvalues `μ_i` of `C + λI`, ascending.
    pub fn eigenvalues(&self) -> &Array1<f64> {
        &self.eigenvalues
    }

    /// Eigenvectors of `C + λI`, one per column, in the order of
    /// [`QuadraticModel::eigenvalues`].
    pub fn eigenvectors(&self) -> &Array2<f64> {
        &self.eigenvectors
    }

    /// The model's shape.
    pub fn shape(&self) -> ModelShape {
        self.shape
    }

    /// The step `s = −(C + λI)⁻¹g` to the model's stationary point (what an
    /// undamped-by-line-search Newton-type method takes), `None` when
    /// `C + λI` is singular.
    pub fn stationary_step(&self) -> Option<&Array1<f64>> {
        self.stationary.as_ref()
    }

    /// The step to the model's minimiser, `None` when it has none (saddle,
    /// dome, or degenerate with `g` along a flat direction). For a
    /// degenerate model the minimum-norm minimiser.
    pub fn minimiser(&self) -> Option<&Array1<f64>> {
        self.minimiser.as_ref()
    }

    /// When the model has no minimum, the unit direction along which it
    /// falls to −∞: the eigenvector of the most negative eigenvalue (or of
    /// the flat direction `g` pulls along), signed so that `gᵀd ≤ 0`.
    pub fn escape_direction(&self) -> Option<&Array1<f64>> {
        self.escape.as_ref()
    }

    /// `m(s) = gᵀs + ½ sᵀ(C + λI)s` (NaN for a step of the wrong length).
    pub fn value(&self, s: &Array1<f64>) -> f64 {
        if s.len() != self.centre.len() {
            return f64::NAN;
        }
        let a = self.curvature.fdot(s) + &(s * self.damping);
        self.gradient.fdot(s) + 0.5 * s.fdot(&a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn bowl_minimiser_solves_the_damped_system() {
        let m = QuadraticModel::new(
            array![0.0, 0.0],
            array![1.0, 2.0],
            array![[2.0, 0.5], [0.5, 1.0]],
            0.5,
        )
        .unwrap();
        assert_eq!(m.shape(), ModelShape::Bowl);
        let s = m.minimiser().unwrap();
        // (C + λI) s = −g
        let a = array![[2.5, 0.5], [0.5, 1.5]];
        let r = a.fdot(s) + array![1.0, 2.0];
        assert!(r.iter().all(|v| v.abs() < 1e-12), "{r}");
        assert!(m.escape_direction().is_none());
    }

    #[test]
    fn dome_and_degenerate() {
        let m =
            QuadraticModel::new(array![0.0, 0.0], array![1.0, 0.0], -Array2::eye(2), 0.0).unwrap();
        assert_eq!(m.shape(), ModelShape::Dome);
        assert!(m.minimiser().is_none());
        // The stationary point of a dome is its maximum: −A⁻¹g = (1, 0).
        let st = m.stationary_step().unwrap();
        assert!((st[0] - 1.0).abs() < 1e-12 && st[1].abs() < 1e-12);
        // Flat along y, g along y: unbounded, runs off along −y.
        let m = QuadraticModel::new(
            array![0.0, 0.0],
            array![0.0, 2.0],
            array![[1.0, 0.0], [0.0, 0.0]],
            0.0,
        )
        .unwrap();
        assert_eq!(m.shape(), ModelShape::Degenerate);
        assert!(m.minimiser().is_none() && m.stationary_step().is_none());
        let d = m.escape_direction().unwrap();
        assert!(d[0].abs() < 1e-12 && (d[1] + 1.0).abs() < 1e-12, "{d}");
        // Flat along y, g along x: a valley of minimisers; min-norm one.
        let m = QuadraticModel::new(
            array![0.0, 0.0],
            array![2.0, 0.0],
            array![[1.0, 0.0], [0.0, 0.0]],
            0.0,
        )
        .unwrap();
        let s = m.minimiser().unwrap();
        assert!((s[0] + 2.0).abs() < 1e-12 && s[1].abs() < 1e-12);
    }

    #[test]
    fn rejects_bad_shapes_and_non_finite() {
        assert!(QuadraticModel::new(array![0.0], array![1.0, 2.0], Array2::eye(2), 0.0).is_err());
        assert!(
            QuadraticModel::new(array![f64::NAN, 0.0], array![1.0, 2.0], Array2::eye(2), 0.0)
                .is_err()
        );
        assert!(QuadraticModel::new(array![], array![], Array2::zeros((0, 0)), 0.0).is_err());
    }
}
