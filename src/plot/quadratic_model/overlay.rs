//! The models of one trace of a figure, [`ModelOverlay`].

use std::collections::BTreeMap;

use argmin::core::{Gradient, Hessian};
use ndarray::{Array1, Array2};

use super::bfgs::bfgs_models;
use super::curvature::ModelCurvature;
use super::model::QuadraticModel;
use crate::curvature::{CurvatureProducts, KfacCurvature};
use crate::plot::error::{PlotError, Result};
use crate::trace::Trace;

/// The quadratic models of one trace of a figure, one per trace entry,
/// drawn by [`draw_paths`](crate::plot::draw_paths) (at [`ModelOverlay::step`])
/// and by [`journey_animation`](crate::plot::journey_animation) (at each frame's
/// iterate) when set as [`PathsStyle::model`](crate::plot::PathsStyle::model).
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
