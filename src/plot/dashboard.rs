//! The damping dashboard: what an adaptive second-order method did with its
//! damping, one figure of vertically aligned panels sharing the iteration
//! axis.
//!
//! Levenberg–Marquardt damping and trust regions both rest on one number per
//! step, the reduction ratio
//!
//! ```text
//! ρ = (L(p + Δ) − L(p)) / (q(Δ) − q(0))        actual over predicted change
//! ```
//!
//! of the loss `L` and the method's quadratic model `q`. A ratio near 1
//! means the model can be trusted (`λ` shrinks, the radius `Δ` may grow),
//! a small or negative one that it cannot (`λ` grows, the radius shrinks);
//! an uphill step is rejected and the iterate stays put. The panels show,
//! per iteration:
//!
//! 1. the damping `λ` (log scale), or the radius `Δ` for a trust region;
//! 2. `ρ` with the thresholds of the rules drawn as lines: `ρ = 0` (the
//!    crate's Levenberg–Marquardt accepts a step iff the loss does not rise,
//!    i.e. `ρ ≥ 0`), `ρ = 1/4` (below it `λ` grows, the radius shrinks) and
//!    `ρ = 3/4` (above it `λ` shrinks, a radius on the boundary doubles);
//! 3. conjugate-gradient iterations, for Hessian-free;
//! 4. the loss (log scale).
//!
//! Rejected steps are crosses on the `ρ` and loss panels. A panel whose data
//! no run reports is left out.
//!
//! The data come from the solvers' argmin KV entries, which
//! [`run_detailed`](crate::race::run_detailed) returns beside the trace
//! (`RunOutput::diagnostics`); [`DampingHistory::new`] reads them, so this
//! module depends on the trace and a map of numbers, never on the race.

use std::collections::BTreeMap;

use plotters::coord::Shift;
use plotters::element::PathElement;
use plotters::prelude::*;
use plotters::style::RGBAColor;
use serde::{Deserialize, Serialize};

use super::colour::{format_value, path_colour, rgb, tick};
use super::kit::{font_scale, fsize, note, point_runs, text_width, titled, INK, MUTED};
use super::{draw_err, Figure, PlotError, Result, FONT};
use crate::trace::Trace;

/// KV key of the damping `λ` a step used ([`Damped`](crate::solvers::Damped)).
pub const DAMPING_KEY: &str = "damping";
/// KV key of the trust-region radius a step used (argmin's `TrustRegion`).
pub const RADIUS_KEY: &str = "radius";
/// KV key of the reduction ratio `ρ`.
pub const RHO_KEY: &str = "rho";
/// KV key of the accept flag (1 accepted, 0 rejected).
pub const ACCEPTED_KEY: &str = "accepted";
/// KV key of the conjugate-gradient iterations ([`HessianFree`](crate::solvers::HessianFree)).
pub const CG_KEY: &str = "cg_iters";

/// The range of `ρ` the dashboard shows; values outside are drawn at its
/// edge (a non-positive prediction gives `ρ = −∞`).
pub const RHO_RANGE: (f64, f64) = (-1.0, 2.0);

/// What a run's damping panel shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DampingQuantity {
    /// The Levenberg–Marquardt damping `λ` (KV `"damping"`).
    Lambda,
    /// The trust-region radius `Δ` (KV `"radius"`).
    Radius,
    /// Neither was reported.
    None,
}

/// One run's damping history, read from its [`Trace`] and per-entry
/// diagnostics: the input of [`damping_dashboard_figure`].
///
/// Entry `i` of every vector belongs to trace entry `i`; the diagnostics of
/// entry `i > 0` describe the step that led from entry `i − 1` to entry `i`
/// (the `λ` or radius it used, its `ρ`, whether it was accepted). Missing
/// values are NaN.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DampingHistory {
    /// Legend label (the trace's optimizer).
    pub label: String,
    /// The iteration of each entry ([`Trace::iteration`]).
    pub iterations: Vec<usize>,
    /// Full-batch loss of each entry.
    pub loss: Vec<f64>,
    /// `λ` or the radius used by the step to each entry (see [`DampingHistory::quantity`]).
    pub damping: Vec<f64>,
    /// Which quantity [`DampingHistory::damping`] holds.
    pub quantity: DampingQuantity,
    /// Reduction ratio of the step to each entry.
    pub rho: Vec<f64>,
    /// CG iterations of the step to each entry.
    pub cg_iters: Vec<f64>,
    /// `true` where the step to the entry was rejected: the KV `"accepted"`
    /// is 0, or, for a solver that does not report it (argmin's trust
    /// region), the entry follows the previous iteration and its iterate
    /// is bit-for-bit the previous one (the race's convention: a rejected
    /// step leaves the iterate unchanged).
    pub rejected: Vec<bool>,
    /// `true` if the run diverged or failed.
    pub diverged: bool,
    /// The run's iterations ([`Trace::steps`]).
    pub steps: usize,
}

impl DampingHistory {
    /// Reads the history of a run from its trace and per-entry diagnostics
    /// (`RunOutput::diagnostics` of [`run_detailed`](crate::race::run_detailed);
    /// missing or extra diagnostics entries are tolerated).
    ///
    /// In a thinned trace only the kept entries are seen: run with
    /// `RaceConfig::max_recorded` above the iteration limit to count every
    /// rejected step.
    pub fn new(trace: &Trace, diagnostics: &[BTreeMap<String, f64>]) -> Self {
        let n = trace.loss.len();
        let get = |i: usize, key: &str| {
            diagnostics
                .get(i)
                .and_then(|d| d.get(key))
                .copied()
                .unwrap_or(f64::NAN)
        };
        let has = |key: &str| diagnostics.iter().take(n).any(|d| d.contains_key(key));
        let quantity = if has(DAMPING_KEY) {
            DampingQuantity::Lambda
        } else if has(RADIUS_KEY) {
            DampingQuantity::Radius
        } else {
            DampingQuantity::None
        };
        let damping_key = match quantity {
            DampingQuantity::Radius => RADIUS_KEY,
            _ => DAMPING_KEY,
        };
        let iterations: Vec<usize> = (0..n).map(|i| trace.iteration(i)).collect();
        let reports_accept = has(ACCEPTED_KEY);
        let rejected = (0..n)
            .map(|i| {
                if i == 0 {
                    return false;
                }
                if reports_accept {
                    return get(i, ACCEPTED_KEY) == 0.0;
                }
                quantity == DampingQuantity::Radius
                    && iterations[i] == iterations[i - 1] + 1
                    && trace.iterates.get(i).is_some()
                    && trace.iterates.get(i) == trace.iterates.get(i - 1)
            })
            .collect();
        Self {
            label: trace.optimizer.clone(),
            iterations,
            loss: trace.loss.clone(),
            damping: (0..n).map(|i| get(i, damping_key)).collect(),
            quantity,
            rho: (0..n).map(|i| get(i, RHO_KEY)).collect(),
            cg_iters: (0..n).map(|i| get(i, CG_KEY)).collect(),
            rejected,
            diverged: trace.diverged(),
            steps: trace.steps(),
        }
    }

    /// Number of rejected steps seen.
    pub fn rejected_steps(&self) -> usize {
        self.rejected.iter().filter(|&&r| r).count()
    }

    /// The iterations whose step was rejected.
    pub fn rejected_iterations(&self) -> Vec<usize> {
        self.iterations
            .iter()
            .zip(&self.rejected)
            .filter(|(_, &r)| r)
            .map(|(&i, _)| i)
            .collect()
    }

    /// The last finite `λ` (or radius) a step used.
    pub fn final_damping(&self) -> Option<f64> {
        self.damping.iter().rev().copied().find(|v| v.is_finite())
    }

    /// The smallest and largest finite `λ` (or radius) a step used.
    pub fn damping_range(&self) -> Option<(f64, f64)> {
        let finite = self.damping.iter().copied().filter(|v| v.is_finite());
        finite.fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((f64::min(lo, v), f64::max(hi, v))),
        })
    }

    /// The first iteration whose loss is at most `target`, if any.
    pub fn iterations_to(&self, target: f64) -> Option<usize> {
        self.loss
            .iter()
            .position(|&l| l <= target)
            .and_then(|i| self.iterations.get(i).copied())
    }

    /// Total CG iterations over the run (0 without CG).
    pub fn total_cg_iters(&self) -> f64 {
        self.cg_iters
            .iter()
            .filter(|v| v.is_finite())
            .fold(0.0, |a, v| a + v)
    }

    fn any_finite(v: &[f64]) -> bool {
        v.iter().skip(1).any(|x| x.is_finite())
    }
}

/// The panels of the dashboard, top to bottom.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Panel {
    Damping,
    Rho,
    Cg,
    Loss,
}

/// The panels `runs` have data for, in order (the loss panel always).
fn panels(runs: &[DampingHistory]) -> Vec<Panel> {
    let mut out = Vec::new();
    if runs
        .iter()
        .any(|r| r.damping.iter().any(|v| v.is_finite() && *v > 0.0))
    {
        out.push(Panel::Damping);
    }
    if runs.iter().any(|r| DampingHistory::any_finite(&r.rho)) {
        out.push(Panel::Rho);
    }
    if runs.iter().any(|r| DampingHistory::any_finite(&r.cg_iters)) {
        out.push(Panel::Cg);
    }
    out.push(Panel::Loss);
    out
}

impl Panel {
    fn log(self) -> bool {
        matches!(self, Panel::Damping | Panel::Loss)
    }

    fn label(self, runs: &[DampingHistory]) -> String {
        match self {
            Panel::Damping => {
                let lambda = runs.iter().any(|r| r.quantity == DampingQuantity::Lambda);
                let radius = runs.iter().any(|r| r.quantity == DampingQuantity::Radius);
                match (lambda, radius) {
                    (true, true) => "λ or radius Δ".into(),
                    (false, true) => "radius Δ".into(),
                    _ => "damping λ".into(),
                }
            }
            Panel::Rho => "ρ (actual/predicted)".into(),
            Panel::Cg => "CG iterations".into(),
            Panel::Loss => "loss".into(),
        }
    }

    /// The raw values of `run` this panel draws (entry 0, the start, has no
    /// step: only the loss panel draws it).
    fn values(self, run: &DampingHistory) -> Vec<f64> {
        match self {
            Panel::Damping => run.damping.clone(),
            Panel::Rho => run.rho.clone(),
            Panel::Cg => run.cg_iters.clone(),
            Panel::Loss => run.loss.clone(),
        }
    }

    /// The drawn y of a raw value: log10 on log panels, `ρ` clamped to
    /// [`RHO_RANGE`]; `None` if it cannot be drawn.
    fn y(self, v: f64) -> Option<f64> {
        match self {
            _ if v.is_nan() => None,
            Panel::Rho => Some(v.clamp(RHO_RANGE.0, RHO_RANGE.1)),
            _ if !v.is_finite() => None,
            p if p.log() => (v > 0.0).then(|| v.log10()),
            _ => Some(v),
        }
    }

    /// The y range (in drawn units) covering every drawable value.
    fn range(self, runs: &[DampingHistory]) -> (f64, f64) {
        if self == Panel::Rho {
            return RHO_RANGE;
        }
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for r in runs {
            for y in self.values(r).into_iter().filter_map(|v| self.y(v)) {
                (lo, hi) = (lo.min(y), hi.max(y));
            }
        }
        if !(lo.is_finite() && hi.is_finite()) {
            return (0.0, 1.0);
        }
        if self == Panel::Cg {
            return (0.0, (hi * 1.15).max(1.0));
        }
        let pad = if hi - lo < 0.2 { 0.1 } else { 0.06 * (hi - lo) };
        (lo - pad, hi + pad)
    }
}

/// Draws the damping dashboard of `runs` on `root`: a title, a key (one
/// entry per run: colour, label, iterations, rejected steps, final `λ` or
/// radius) and the panels of the module documentation, aligned on one
/// iteration axis, one colour per run (the race's path colours).
///
/// Runs without any damping data (a first-order method, an empty
/// diagnostics list) still get their loss curve; a diverged run is drawn up
/// to its last finite values and marked "diverged" in the key. An empty
/// slice draws empty axes.
///
/// # Errors
/// [`PlotError::Drawing`] if the backend fails.
pub fn draw_damping_dashboard<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    runs: &[DampingHistory],
    title: &str,
) -> Result<()> {
    let s = font_scale(root);
    let subtitle = "crosses: rejected steps (the iterate stays put)";
    let area = titled(root, title, subtitle)?;
    let key_h = draw_key(&area, runs, s)?;
    let area = area.margin(key_h, 0, 0, 0);
    let panels = panels(runs);
    let (_, h) = area.dim_in_pixel();
    let x_axis = (46.0 * s) as u32;
    let each = (h.saturating_sub(x_axis) / panels.len() as u32).max(1);
    let mut breaks = Vec::new();
    for k in 1..panels.len() as u32 {
        breaks.push((k * each) as i32);
    }
    let areas = area.split_by_breakpoints::<i32, i32, _, _>([], breaks);
    let x_hi = runs
        .iter()
        .filter_map(|r| r.iterations.last())
        .max()
        .copied()
        .unwrap_or(0)
        .max(1) as f64;
    let x_range = (-0.02 * x_hi, x_hi * 1.02);
    for (k, (panel, sub)) in panels.iter().zip(&areas).enumerate() {
        draw_panel(sub, *panel, runs, x_range, k + 1 == panels.len(), s)?;
    }
    Ok(())
}

/// The key below the title; returns its height.
fn draw_key<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    runs: &[DampingHistory],
    s: f64,
) -> Result<i32> {
    let (w, _) = area.dim_in_pixel();
    let size = 13.0 * s;
    let row_h = (20.0 * s) as i32;
    let (left, swatch) = ((80.0 * s) as i32, (22.0 * s) as i32);
    let (mut x, mut y) = (left, row_h / 2 + 2);
    for (i, r) in runs.iter().enumerate() {
        let text = key_text(r);
        let tw = text_width(area, &text, size, false) as i32;
        let entry_w = swatch + 6 + tw + (24.0 * s) as i32;
        if x > left && x + entry_w > w as i32 - 10 {
            x = left;
            y += row_h;
        }
        let c = rgb(path_colour(i));
        area.draw(&PathElement::new(
            vec![(x, y), (x + swatch, y)],
            c.stroke_width(3),
        ))
        .map_err(draw_err)?;
        note(area, &text, (x + swatch + 6, y), size, &INK)?;
        x += entry_w;
    }
    Ok(if runs.is_empty() {
        0
    } else {
        y + row_h / 2 + 4
    })
}

/// "GGN-LM: 23 it., 0 rejected, λ 1.5e-4" for the key.
fn key_text(r: &DampingHistory) -> String {
    let mut t = format!("{}: {} it.", r.label, r.steps);
    if r.quantity != DampingQuantity::None || r.rejected_steps() > 0 {
        t += &format!(", {} rejected", r.rejected_steps());
    }
    if let Some(d) = r.final_damping() {
        let name = if r.quantity == DampingQuantity::Radius {
            "Δ"
        } else {
            "λ"
        };
        t += &format!(", last {name} {}", format_value(d));
    }
    if r.diverged {
        t += ", diverged";
    }
    t
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: Panel,
    runs: &[DampingHistory],
    (x0, x1): (f64, f64),
    bottom: bool,
    s: f64,
) -> Result<()> {
    let (y0, y1) = panel.range(runs);
    let mut chart = ChartBuilder::on(area)
        .margin_left((10.0 * s) as i32)
        .margin_right((24.0 * s) as i32)
        .margin_top((6.0 * s) as i32)
        .x_label_area_size(if bottom { (46.0 * s) as i32 } else { 0 })
        .y_label_area_size((78.0 * s) as i32)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(draw_err)?;
    let log = panel.log();
    let y_fmt = move |v: &f64| {
        if log {
            format_value(10f64.powf(*v))
        } else {
            tick(*v, y1 - y0)
        }
    };
    let x_fmt = |v: &f64| tick(*v, x1 - x0);
    let mut mesh = chart.configure_mesh();
    mesh.y_desc(panel.label(runs))
        .axis_desc_style((FONT, fsize(13.0 * s)))
        .label_style((FONT, fsize(11.0 * s)))
        .y_labels(5)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .light_line_style(RGBAColor(0, 0, 0, 0.04))
        .bold_line_style(RGBAColor(0, 0, 0, 0.10))
        .axis_style(INK);
    if bottom {
        mesh.x_desc("iteration");
    } else {
        mesh.x_labels(0);
    }
    mesh.draw().map_err(draw_err)?;
    if panel == Panel::Rho {
        use plotters::style::text_anchor::{HPos, Pos, VPos};
        // (ρ, text, colour, text above the line?)
        let lines = [
            (0.0, "accept: ρ ≥ 0", MUTED, false),
            (0.25, "¼: λ grows below", RGBColor(0xb0, 0x30, 0x30), true),
            (0.75, "¾: λ shrinks above", RGBColor(0x20, 0x80, 0x40), true),
        ];
        for (y, text, colour, above) in lines {
            let dashes = (0..60).step_by(2).map(|i| {
                let t = |k: i32| x0 + (x1 - x0) * k as f64 / 60.0;
                PathElement::new([(t(i), y), (t(i + 1), y)], colour.stroke_width(1))
            });
            chart.draw_series(dashes).map_err(draw_err)?;
            let v = if above { VPos::Bottom } else { VPos::Top };
            chart
                .draw_series(std::iter::once(Text::new(
                    text.to_string(),
                    (x1 - 0.005 * (x1 - x0), y),
                    (FONT, fsize(11.0 * s))
                        .into_font()
                        .color(&colour)
                        .pos(Pos::new(HPos::Right, v)),
                )))
                .map_err(draw_err)?;
        }
    }
    for (i, r) in runs.iter().enumerate() {
        let c = rgb(path_colour(i));
        // Earlier runs are drawn wider, so a run that coincides with a
        // later one (Hessian-free with exact CG on a plane is GGN-LM) still
        // shows beneath it.
        let width = (runs.len() - i).clamp(2, 4) as u32;
        let values = panel.values(r);
        let skip = usize::from(panel != Panel::Loss);
        let points = |only_rejected: bool| {
            r.iterations
                .iter()
                .zip(&values)
                .zip(&r.rejected)
                .enumerate()
                .skip(skip)
                .map(move |(_, ((&x, &v), &rej))| {
                    (!only_rejected || rej)
                        .then(|| panel.y(v).map(|y| (x as f64, y)))
                        .flatten()
                })
        };
        for run in point_runs(points(false)) {
            let dots = run.len() <= 60 && panel != Panel::Loss;
            chart
                .draw_series(std::iter::once(PathElement::new(
                    run.clone(),
                    c.stroke_width(width),
                )))
                .map_err(draw_err)?;
            if dots {
                chart
                    .draw_series(run.iter().map(|&p| Circle::new(p, 2, c.filled())))
                    .map_err(draw_err)?;
            }
        }
        if matches!(panel, Panel::Rho | Panel::Loss) {
            let marks: Vec<(f64, f64)> = points(true).flatten().collect();
            chart
                .draw_series(
                    marks
                        .iter()
                        .map(|&p| Cross::new(p, (5.0 * s) as i32, c.stroke_width(2))),
                )
                .map_err(draw_err)?;
        }
    }
    Ok(())
}

/// The damping dashboard of `runs` as a PNG [`Figure`] (`width × height`
/// pixels; about 900 × 200 per panel reads well).
///
/// ```
/// use quad_vs_grad::plot::{damping_dashboard_figure, DampingHistory};
/// use quad_vs_grad::prelude::*;
/// use quad_vs_grad::race::{run_detailed, OptimizerKind, OptimizerSpec, RaceConfig};
///
/// let preset = RacePreset::hidden_slice();
/// let cfg = RaceConfig { max_iters: 30, ..RaceConfig::default() };
/// let out = run_detailed(&preset.problem, &preset.start,
///     &OptimizerSpec::new(OptimizerKind::GgnLm), &cfg);
/// let run = DampingHistory::new(&out.trace, &out.diagnostics);
/// assert!(run.final_damping().is_some());
/// let fig = damping_dashboard_figure(&[run], "GGN-LM on the hidden slice", 900, 700)?;
/// assert_eq!((fig.width(), fig.height()), (900, 700));
/// # Ok::<(), quad_vs_grad::plot::PlotError>(())
/// ```
///
/// # Errors
/// [`PlotError::InvalidInput`] for an impossible size, or when `runs` is
/// empty; [`PlotError::Drawing`] if drawing fails.
pub fn damping_dashboard_figure(
    runs: &[DampingHistory],
    title: &str,
    width: u32,
    height: u32,
) -> Result<Figure> {
    if runs.is_empty() {
        return Err(PlotError::InvalidInput(
            "the damping dashboard needs at least one run".into(),
        ));
    }
    super::render_png(width, height, |root| {
        draw_damping_dashboard(root, runs, title)
    })
}

/// The damping dashboard as SVG text.
///
/// # Errors
/// As [`damping_dashboard_figure`].
pub fn damping_dashboard_svg(
    runs: &[DampingHistory],
    title: &str,
    width: u32,
    height: u32,
) -> Result<String> {
    if runs.is_empty() {
        return Err(PlotError::InvalidInput(
            "the damping dashboard needs at least one run".into(),
        ));
    }
    super::render_svg(width, height, |root| {
        draw_damping_dashboard(root, runs, title)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{Counts, StopReason};

    fn trace(iterates: Vec<Vec<f64>>, loss: Vec<f64>) -> Trace {
        let counts = (0..loss.len())
            .map(|i| Counts {
                iterations: i as u64,
                ..Counts::default()
            })
            .collect();
        Trace {
            optimizer: "test".into(),
            problem: "p".into(),
            grad_norm: vec![f64::NAN; loss.len()],
            elapsed_ms: vec![0.0; loss.len()],
            iterates,
            loss,
            counts,
            stop: StopReason::MaxIters,
            settings: Default::default(),
        }
    }

    fn kv(pairs: &[(&str, f64)]) -> BTreeMap<String, f64> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn reads_lm_and_trust_region_entries() {
        let t = trace(vec![vec![0.0], vec![1.0], vec![1.0]], vec![1.0, 0.5, 0.5]);
        let lm = DampingHistory::new(
            &t,
            &[
                kv(&[]),
                kv(&[("damping", 0.1), ("rho", 0.9), ("accepted", 1.0)]),
                kv(&[("damping", 0.2), ("rho", -3.0), ("accepted", 0.0)]),
            ],
        );
        assert_eq!(lm.quantity, DampingQuantity::Lambda);
        assert_eq!(lm.rejected, vec![false, false, true]);
        assert_eq!(lm.rejected_iterations(), vec![2]);
        assert_eq!(lm.final_damping(), Some(0.2));
        assert_eq!(lm.damping_range(), Some((0.1, 0.2)));
        // argmin's trust region reports only the radius: a rejected step is
        // an unchanged iterate.
        let tr = DampingHistory::new(
            &t,
            &[kv(&[]), kv(&[("radius", 1.0)]), kv(&[("radius", 2.0)])],
        );
        assert_eq!(tr.quantity, DampingQuantity::Radius);
        assert_eq!(tr.rejected, vec![false, false, true]);
        // no diagnostics at all: nothing rejected, only the loss panel
        let none = DampingHistory::new(&t, &[]);
        assert_eq!(none.quantity, DampingQuantity::None);
        assert_eq!(none.rejected_steps(), 0);
        assert_eq!(panels(&[none]), vec![Panel::Loss]);
        assert_eq!(
            panels(std::slice::from_ref(&lm)),
            vec![Panel::Damping, Panel::Rho, Panel::Loss]
        );
        assert_eq!(key_text(&lm), "test: 2 it., 1 rejected, last λ 0.2");
    }

    #[test]
    fn rho_is_clamped_and_logs_skip_non_positive() {
        assert_eq!(Panel::Rho.y(f64::NEG_INFINITY), Some(RHO_RANGE.0));
        assert_eq!(Panel::Rho.y(f64::NAN), None);
        assert_eq!(Panel::Loss.y(0.0), None);
        assert_eq!(Panel::Damping.y(100.0), Some(2.0));
    }
}
