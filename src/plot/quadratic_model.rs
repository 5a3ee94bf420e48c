//! The local quadratic model a second-order method minimises, drawn over the
//! loss landscape: [`QuadraticModel`], [`ModelOverlay`].
//!
//! At the iterate `p` a second-order method replaces the loss by
//!
//! ```text
//! m(s) = gᵀs + ½ sᵀ(C + λI)s,    g = ∇L(p),
//! ```
//!
//! for its curvature `C` ([`ModelCurvature`]: the Hessian, saddle-free
//! `|H|`, the GGN, K-FAC, or BFGS's estimate) and damping `λ`, and steps to
//! the model's stationary point `s = −(C + λI)⁻¹g`. Whether that step is
//! any good depends on the model's shape ([`ModelShape`]), read off the
//! eigenvalues `μ_i` of `A = C + λI`:
//!
//! - all `μ_i > 0`: a **bowl** with the unique minimiser `s*`;
//! - some `μ_i < 0 < μ_j`: a **saddle**, unbounded below along the
//!   eigenvector of the most negative `μ`; Newton's step goes to the saddle's
//!   stationary point, which need not be downhill at all;
//! - all `μ_i < 0`: a **dome**, whose stationary point is its maximum;
//! - some `μ_i = 0` (within `1e−12 · max|μ|`): **degenerate**; no minimum
//!   unless `g` is orthogonal to the flat directions.
//!
//! The figure ([`ModelOverlay`], an option of
//! [`PathsStyle::model`](super::PathsStyle::model) and therefore of the
//! journey animation's [`AnimationOptions::style`](super::AnimationOptions))
//! draws the model's contours as thin dashed white lines over the loss
//! heatmap, an arrow from the iterate to the stationary point with a marker
//! there (a white dot for a minimiser, a ring for a saddle point or maximum),
//! an arrow along the direction the model runs off to when it has no
//! minimum, and the trust-region radius as a circle where the method has
//! one. A caption in the plot's top-left corner names the model, its shape
//! and the eigenvalues of `C + λI`.
//!
//! References: J. Nocedal and S. J. Wright, *Numerical Optimization*, 2nd
//! ed., Springer 2006, ch. 4 (trust regions and the model), ch. 6 (BFGS);
//! Y. N. Dauphin et al., *Identifying and attacking the saddle point problem
//! in high-dimensional non-convex optimization*, NeurIPS 2014.

use std::collections::BTreeMap;

use argmin::core::{Gradient, Hessian};
use ndarray::{Array1, Array2};
use plotters::coord::Shift;
use plotters::element::{Circle, PathElement, Rectangle};
use plotters::prelude::*;

use super::colour::{path_colour, rgb};
use super::kit::{clip_segment, fsize, note, text_width, Layout, INK};
use super::{draw_err, PlotError, Result};
use crate::curvature::{abs_sym, sym_eig, CurvatureProducts, FisherKind, KfacCurvature};
use crate::trace::Trace;

/// Which curvature `C` the model `m(s) = gᵀs + ½ sᵀ(C + λI)s` uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelCurvature {
    /// The exact Hessian `H` (Newton, argmin's Newton, the trust region).
    Hessian,
    /// `|H| = U|Λ|Uᵀ` (saddle-free Newton, Dauphin et al. 2014).
    SaddleFree,
    /// The generalised Gauss–Newton matrix `G` (GGN, GGN-LM, Hessian-free).
    Ggn,
    /// K-FAC's `blockdiag(G_l ⊗ A_l)` (exact-Fisher factors) in the
    /// optimizer's space, the Tikhonov-damped form of the `kfac` kind.
    Kfac,
    /// BFGS's Hessian estimate `B_k = H_k⁻¹`, rebuilt from the iterates'
    /// gradient differences (needs the whole trace: see [`ModelOverlay::along`]).
    Bfgs,
}

impl ModelCurvature {
    /// A short name for captions: `"Hessian"`, `"|H|"`, `"GGN"`, `"K-FAC"`, `"BFGS B"`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Hessian => "Hessian",
            Self::SaddleFree => "|H|",
            Self::Ggn => "GGN",
            Self::Kfac => "K-FAC",
            Self::Bfgs => "BFGS B",
        }
    }

    /// The curvature at one point `p` of `problem` (every kind but
    /// [`ModelCurvature::Bfgs`], which depends on the path).
    ///
    /// # Errors
    /// [`PlotError::InvalidInput`] for [`ModelCurvature::Bfgs`], or if the
    /// problem cannot provide the matrix (no GGN or K-FAC structure, wrong
    /// dimension, non-finite entries).
    pub fn at<P>(self, problem: &P, p: &Array1<f64>) -> Result<Array2<f64>>
    where
        P: Hessian<Param = Array1<f64>, Hessian = Array2<f64>> + CurvatureProducts + KfacCurvature,
    {
        let fail = |e: &dyn std::fmt::Display| {
            PlotError::InvalidInput(format!("the {} at the iterate: {e}", self.name()))
        };
        match self {
            Self::Hessian => problem.hessian(p).map_err(|e| fail(&e)),
            Self::SaddleFree => {
                let h = problem.hessian(p).map_err(|e| fail(&e))?;
                abs_sym(&h).map_err(|e| fail(&e))
            }
            Self::Ggn => problem.ggn(p).map_err(|e| fail(&e)),
            Self::Kfac => problem
                .kfac_factors(p, FisherKind::Exact)
                .map(|f| f.dense())
                .map_err(|e| fail(&e)),
            Self::Bfgs => Err(PlotError::InvalidInput(
                "BFGS's estimate depends on the path: build the model with ModelOverlay::along"
                    .into(),
            )),
        }
    }
}

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
    centre: Array1<f64>,
    gradient: Array1<f64>,
    curvature: Array2<f64>,
    damping: f64,
    radius: Option<f64>,
    label: String,
    kind: Option<ModelCurvature>,
    eigenvalues: Array1<f64>,
    eigenvectors: Array2<f64>,
    shape: ModelShape,
    stationary: Option<Array1<f64>>,
    minimiser: Option<Array1<f64>>,
    escape: Option<Array1<f64>>,
}

/// Relative size below which an eigenvalue of `C + λI` counts as zero.
const ZERO_TOL: f64 = 1e-12;

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
        let gamma = v.t().dot(&gradient);
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
            format!("{c} + {} I", super::format_value(self.damping))
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
        let a = self.curvature.dot(s) + &(s * self.damping);
        self.gradient.dot(s) + 0.5 * s.dot(&a)
    }
}

/// The quadratic models of one trace of a figure, one per trace entry,
/// drawn by [`draw_paths`](super::draw_paths) (at [`ModelOverlay::step`])
/// and by [`journey_animation`](super::journey_animation) (at each frame's
/// iterate) when set as [`PathsStyle::model`](super::PathsStyle::model).
#[derive(Clone, Debug, PartialEq)]
pub struct ModelOverlay {
    /// Index of the trace (in the list given to the figure) the models belong to.
    pub trace: usize,
    /// One model per entry of that trace from entry `first` on (`None`
    /// where there is none: a non-finite iterate, or curvature the problem
    /// cannot give).
    pub models: Vec<Option<QuadraticModel>>,
    /// The trace entry of `models[0]` (0 for [`ModelOverlay::along`]).
    pub first: usize,
    /// The iteration whose model the static figure draws (default 0, the
    /// start); the animation draws each frame's own.
    pub step: usize,
    /// About how many model contours to draw (default 10).
    pub levels: usize,
}

impl ModelOverlay {
    /// One model: the overlay of trace `trace` with `model` at trace entry
    /// `entry`, shown by the static figure (the iteration of that entry in a
    /// trace that was not thinned) and by the animation's frames there.
    pub fn single(trace: usize, entry: usize, model: QuadraticModel) -> Self {
        Self {
            trace,
            models: vec![Some(model)],
            first: entry,
            step: entry,
            levels: 10,
        }
    }

    /// The models of `traces[trace]` at every entry, with curvature `kind`
    /// evaluated on `problem` and a fixed damping `λ` (see
    /// [`ModelOverlay::with_diagnostics`] for adaptive damping and trust
    /// radii).
    ///
    /// For [`ModelCurvature::Bfgs`] the estimate is rebuilt as argmin's BFGS
    /// builds it: `H₀ = I` (the race's start), then after each step
    /// `s_k = p_{k+1} − p_k`, `y_k = ∇L(p_{k+1}) − ∇L(p_k)`, `ρ = 1/(y_kᵀs_k)`,
    /// `H_{k+1} = (I − ρ s_k y_kᵀ) H_k (I − ρ y_k s_kᵀ) + ρ s_k s_kᵀ`, and the
    /// model at `p_k` uses `B_k = H_k⁻¹`. A pair with `y_kᵀs_k` not positive
    /// and finite leaves `H` unchanged (argmin would carry on with an
    /// indefinite or non-finite matrix). BFGS's actual step is the model's
    /// minimiser scaled by its line search. A thinned trace has lost the
    /// pairs: it is refused for BFGS.
    ///
    /// An entry whose model cannot be built (a non-finite iterate of a
    /// diverged run, a failing evaluation) gets `None`; the figure then
    /// draws no model for that step.
    ///
    /// # Errors
    /// [`PlotError::InvalidInput`] if `trace` is out of range, or for BFGS
    /// on a thinned trace.
    pub fn along<P>(
        problem: &P,
        traces: &[Trace],
        trace: usize,
        kind: ModelCurvature,
        damping: f64,
    ) -> Result<Self>
    where
        P: Gradient<Param = Array1<f64>, Gradient = Array1<f64>>
            + Hessian<Param = Array1<f64>, Hessian = Array2<f64>>
            + CurvatureProducts
            + KfacCurvature,
    {
        let t = traces.get(trace).ok_or_else(|| {
            PlotError::InvalidInput(format!(
                "trace {trace} of a figure with {} traces",
                traces.len()
            ))
        })?;
        let points: Vec<Array1<f64>> = t.iterates.iter().map(|p| Array1::from(p.clone())).collect();
        let models = if kind == ModelCurvature::Bfgs {
            if t.is_thinned() {
                return Err(PlotError::InvalidInput(format!(
                    "trace '{}' was thinned: BFGS's estimate needs every iterate",
                    t.optimizer
                )));
            }
            bfgs_models(problem, &points, damping)
        } else {
            points
                .iter()
                .map(|p| QuadraticModel::at(problem, p, kind, damping).ok())
                .collect()
        };
        let label = format!("{}'s model", t.optimizer);
        let models = models
            .into_iter()
            .map(|m| m.map(|m| m.with_label(label.clone())))
            .collect();
        Ok(Self {
            trace,
            models,
            first: 0,
            step: 0,
            levels: 10,
        })
    }

    /// Takes each model's damping (`"damping"`) and trust-region radius
    /// (`"radius"`) from a run's per-entry KV diagnostics (the race's
    /// `RunOutput::diagnostics`): entry `k + 1` holds the values the solver
    /// used for the step from iterate `k`, so they belong to model `k`. A
    /// model without a next entry keeps its values.
    pub fn with_diagnostics(mut self, diagnostics: &[BTreeMap<String, f64>]) -> Self {
        let first = self.first;
        for (k, slot) in self.models.iter_mut().enumerate() {
            let next = first.checked_add(k + 1).and_then(|e| diagnostics.get(e));
            let (Some(m), Some(d)) = (slot.as_ref(), next) else {
                continue;
            };
            let mut next = m.clone();
            if let Some(&lambda) = d.get("damping") {
                if let Ok(n) = next.with_damping(lambda) {
                    next = n;
                }
            }
            if let Some(&r) = d.get("radius") {
                next = next.with_radius(r);
            }
            *slot = Some(next);
        }
        self
    }

    /// Sets the iteration the static figure shows.
    pub fn at_step(mut self, step: usize) -> Self {
        self.step = step;
        self
    }

    /// The model at entry `entry`, if any.
    pub fn model(&self, entry: usize) -> Option<&QuadraticModel> {
        let k = entry.checked_sub(self.first)?;
        self.models.get(k).and_then(Option::as_ref)
    }
}

fn bfgs_models<P>(problem: &P, points: &[Array1<f64>], damping: f64) -> Vec<Option<QuadraticModel>>
where
    P: Gradient<Param = Array1<f64>, Gradient = Array1<f64>>,
{
    let grads: Vec<Option<Array1<f64>>> = points
        .iter()
        .map(|p| {
            problem
                .gradient(p)
                .ok()
                .filter(|g| g.iter().all(|v| v.is_finite()))
        })
        .collect();
    let n = points.first().map_or(0, Array1::len);
    let mut h = Array2::<f64>::eye(n);
    let mut out = Vec::with_capacity(points.len());
    for k in 0..points.len() {
        let model = grads[k].as_ref().and_then(|g| {
            let b = spd_inverse(&h)?;
            QuadraticModel::new(points[k].clone(), g.clone(), b, damping)
                .ok()
                .map(|m| m.with_kind(ModelCurvature::Bfgs))
        });
        out.push(model);
        if let (Some(g0), Some(Some(g1))) = (grads[k].as_ref(), grads.get(k + 1)) {
            let s = &points[k + 1] - &points[k];
            let y = g1 - g0;
            let ys = y.dot(&s);
            if ys.is_finite() && ys > 0.0 {
                let rho = 1.0 / ys;
                let e = Array2::<f64>::eye(n);
                let sy = outer(&s, &y) * rho;
                let left = &e - &sy;
                let right = &e - &sy.t();
                h = left.dot(&h).dot(&right) + outer(&s, &s) * rho;
            }
        }
    }
    out
}

fn outer(a: &Array1<f64>, b: &Array1<f64>) -> Array2<f64> {
    Array2::from_shape_fn((a.len(), b.len()), |(i, j)| a[i] * b[j])
}

/// `M⁻¹` of a symmetric positive definite `M` by its eigen-decomposition;
/// `None` if it is not (numerically) positive definite.
fn spd_inverse(m: &Array2<f64>) -> Option<Array2<f64>> {
    let sym = (m + &m.t()) * 0.5;
    let (mu, v) = sym_eig(&sym).ok()?;
    let top = mu.iter().fold(0.0_f64, |a, x| a.max(x.abs()));
    if mu.iter().any(|&x| x <= ZERO_TOL * top) {
        return None;
    }
    let scaled = &v * &mu.mapv(|x| 1.0 / x);
    Some(scaled.dot(&v.t()))
}

/// Colour of the model's contours and arrows.
const MODEL_INK: RGBColor = RGBColor(255, 255, 255);

/// The two layers of the drawn model: contours under the paths, marks
/// (trust circle, arrows, markers, caption) over them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ModelLayer {
    Contours,
    Marks,
}

/// Draws one layer of the model of a 2-D problem over the plot rectangle of
/// `l`: the contours (dashed: the segments in every other 2 × 2 block of
/// marching-squares cells), or the trust circle, the arrow to the
/// stationary point with its marker, the escape arrow and a caption.
pub(crate) fn draw_model<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    l: &Layout,
    model: &QuadraticModel,
    levels: usize,
    (colour_index, iteration): (usize, usize),
    layer: ModelLayer,
) -> Result<()> {
    if model.centre.len() != 2 {
        return Err(PlotError::InvalidInput(format!(
            "the model overlay needs a 2-D problem, the model has dimension {}",
            model.centre.len()
        )));
    }
    let c = (model.centre[0], model.centre[1]);
    let (x0, x1) = l.x_range;
    let (y0, y1) = l.y_range;
    if layer == ModelLayer::Marks {
        return draw_marks(root, l, model, colour_index, iteration);
    }
    // Contours on a grid of about 4-pixel cells over the view.
    let nx = (((l.right - l.left) as f64 / 4.0).round() as usize).clamp(8, 600);
    let ny = (((l.bottom - l.top) as f64 / 4.0).round() as usize).clamp(8, 600);
    let xs: Vec<f64> = (0..=nx)
        .map(|i| x0 + (x1 - x0) * i as f64 / nx as f64)
        .collect();
    let ys: Vec<f64> = (0..=ny)
        .map(|j| y0 + (y1 - y0) * j as f64 / ny as f64)
        .collect();
    let mut fv = Vec::with_capacity(xs.len() * ys.len());
    for &y in &ys {
        for &x in &xs {
            fv.push(model.value(&ndarray::array![x - c.0, y - c.1]));
        }
    }
    let anchor = model.stationary.as_ref().map_or(0.0, |st| model.value(st));
    let spread = fv.iter().fold(0.0_f64, |m, v| m.max((v - anchor).abs()));
    let n = levels.max(1) as f64;
    if spread > 0.0 && spread.is_finite() && levels > 0 {
        // Levels anchor ± Δ k²: evenly spaced rings in a bowl, evenly
        // spaced hyperbolas in a saddle (k = 0 draws its asymptotes).
        let delta = spread / (n * n);
        let mut lvls = Vec::new();
        let k_max = (n.ceil() as i64) + 1;
        for k in 0..=k_max {
            let off = delta * (k * k) as f64;
            if k == 0 {
                if model.shape == ModelShape::Saddle {
                    lvls.push(anchor);
                }
                continue;
            }
            lvls.push(anchor + off);
            lvls.push(anchor - off);
        }
        let (dx, dy) = ((x1 - x0) / nx as f64, (y1 - y0) / ny as f64);
        for lv in lvls {
            for seg in super::contour::march(&xs, &ys, &fv, lv) {
                let mx = 0.5 * (seg[0].0 + seg[1].0);
                let my = 0.5 * (seg[0].1 + seg[1].1);
                let ci = ((mx - x0) / dx).floor() as i64;
                let cj = ((my - y0) / dy).floor() as i64;
                if (ci.div_euclid(2) + cj.div_euclid(2)).rem_euclid(2) == 1 {
                    continue; // the gaps of the dashes
                }
                let (a, b) = (l.px(seg[0]), l.px(seg[1]));
                if a != b {
                    root.draw(&PathElement::new(vec![a, b], MODEL_INK.stroke_width(1)))
                        .map_err(draw_err)?;
                }
            }
        }
    }
    Ok(())
}

fn draw_marks<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    l: &Layout,
    model: &QuadraticModel,
    colour_index: usize,
    iteration: usize,
) -> Result<()> {
    let s = l.font_scale;
    let c = (model.centre[0], model.centre[1]);
    let (x0, x1) = l.x_range;
    let (y0, y1) = l.y_range;
    let path_ink = rgb(path_colour(colour_index));
    // Trust-region circle.
    if let Some(r) = model.radius {
        let pts: Vec<(f64, f64)> = (0..=96)
            .map(|k| std::f64::consts::TAU * k as f64 / 96.0)
            .map(|a| (c.0 + r * a.cos(), c.1 + r * a.sin()))
            .collect();
        for w in pts.windows(2) {
            if let Some((a, b)) = clip_segment(w[0], w[1], l.x_range, l.y_range) {
                let (pa, pb) = (l.px(a), l.px(b));
                for (col, wd) in [(MODEL_INK, 4), (path_ink, 2)] {
                    root.draw(&PathElement::new(vec![pa, pb], col.stroke_width(wd)))
                        .map_err(draw_err)?;
                }
            }
        }
    }
    // Arrow to the stationary point, marker there.
    if let Some(st) = model.stationary.as_ref() {
        let target = (c.0 + st[0], c.1 + st[1]);
        arrow(root, l, c, target, s)?;
        if l.inside(target) {
            let at = l.px(target);
            let r = (7.0 * s) as i32;
            if model.minimiser.is_some() {
                root.draw(&Circle::new(at, r, INK.filled()))
                    .map_err(draw_err)?;
                root.draw(&Circle::new(at, r - 2, MODEL_INK.filled()))
                    .map_err(draw_err)?;
            } else {
                root.draw(&Circle::new(at, r, INK.stroke_width(5)))
                    .map_err(draw_err)?;
                root.draw(&Circle::new(at, r, MODEL_INK.stroke_width(2)))
                    .map_err(draw_err)?;
            }
        }
    }
    // Escape arrow: a fifth of the view's smaller span, or the trust radius.
    if let Some(d) = model.escape.as_ref() {
        let len = model.radius.unwrap_or(0.2 * (x1 - x0).min(y1 - y0));
        let tip = (c.0 + len * d[0], c.1 + len * d[1]);
        arrow(root, l, c, tip, s)?;
        if l.inside(tip) {
            let at = l.px(tip);
            let msg = "to −∞";
            let size = 13.0 * s;
            let tw = text_width(root, msg, size, false) as i32;
            let right = d[0] >= 0.0;
            let x = if right {
                at.0 + (6.0 * s) as i32
            } else {
                at.0 - (6.0 * s) as i32 - tw
            };
            let x = x.clamp(l.left + 2, (l.right - tw - 2).max(l.left + 2));
            label_box(root, msg, (x, at.1), size, tw)?;
        }
    }
    // Caption.
    let mu = &model.eigenvalues;
    let eig: Vec<String> = mu.iter().map(|&v| super::format_value(v)).collect();
    let msg = format!(
        "{} at step {iteration}: {} (eigenvalues {})",
        model.caption(),
        model.shape.name(),
        eig.join(", ")
    );
    let size = 12.0 * s;
    let max_w = (l.right - l.left - (12.0 * s) as i32).max(10);
    let msg = super::kit::fit_text(root, &msg, size, false, max_w as u32);
    let tw = text_width(root, &msg, size, false) as i32;
    let at = (l.left + (6.0 * s) as i32, l.top + (13.0 * s) as i32);
    label_box(root, &msg, at, size, tw)?;
    let key = if model.minimiser.is_some() {
        "dashed: model contours · arrow: step to its minimum (●)"
    } else if model.stationary.is_some() {
        "dashed: model contours · arrow: step to its stationary point (○)"
    } else {
        "dashed: model contours · no stationary point"
    };
    let key = super::kit::fit_text(root, key, size, false, max_w as u32);
    let tw = text_width(root, &key, size, false) as i32;
    let at = (at.0, at.1 + (fsize(size) * 1.5) as i32 + 2);
    label_box(root, &key, at, size, tw)?;
    Ok(())
}

/// A line of text on a white box, left edge at `at.0`, centred on `at.1`.
fn label_box<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    msg: &str,
    at: (i32, i32),
    size: f64,
    tw: i32,
) -> Result<()> {
    let h = (fsize(size) * 0.75) as i32 + 2;
    root.draw(&Rectangle::new(
        [(at.0 - 4, at.1 - h), (at.0 + tw + 4, at.1 + h)],
        WHITE.filled(),
    ))
    .map_err(draw_err)?;
    note(root, msg, at, size, &INK)
}

/// An arrow from `a` to `b` (data coordinates), white on a dark halo,
/// clipped to the view; the head only if `b` is in view.
fn arrow<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    l: &Layout,
    a: (f64, f64),
    b: (f64, f64),
    s: f64,
) -> Result<()> {
    let Some((ca, cb)) = clip_segment(a, b, l.x_range, l.y_range) else {
        return Ok(());
    };
    let (pa, pb) = (l.to_px(ca), l.to_px(cb));
    let (dx, dy) = (pb.0 - pa.0, pb.1 - pa.1);
    let len = dx.hypot(dy);
    if len < 1.0 {
        return Ok(());
    }
    let mut lines = vec![vec![l.px(ca), l.px(cb)]];
    if l.inside(b) {
        let head = (9.0 * s).min(0.6 * len);
        let (ux, uy) = (dx / len, dy / len);
        for sign in [1.0, -1.0] {
            let (hx, hy) = (
                pb.0 - head * (ux * 0.866 - sign * uy * 0.5),
                pb.1 - head * (uy * 0.866 + sign * ux * 0.5),
            );
            lines.push(vec![l.px(cb), (hx.round() as i32, hy.round() as i32)]);
        }
    }
    for (col, wd) in [(INK, 5), (MODEL_INK, 2)] {
        for pl in &lines {
            root.draw(&PathElement::new(pl.clone(), col.stroke_width(wd)))
                .map_err(draw_err)?;
        }
    }
    Ok(())
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
        let r = a.dot(s) + array![1.0, 2.0];
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
