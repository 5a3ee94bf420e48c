//! Lesson 10, stochasticity: batch size × damping (or learning rate) at a
//! fixed data budget.
//!
//! # The experiment
//! For each method (Gauss–Newton, K-FAC, Hessian-free, Adam, SGD), each
//! batch size `B` and each value `v` of its swept hyperparameter (the
//! damping `λ` of the curvature methods, the learning rate `η` of the
//! first-order ones), the method runs from one start on fresh seeded
//! mini-batches for `⌊budget / B⌋` iterations, once per seed of the batch
//! sampler. Every cell therefore touches the same number of examples
//! (`B · ⌊budget / B⌋ ≤ budget`): a small batch buys many noisy steps, a
//! large one few precise ones. Each run records its final full-batch loss,
//! or its divergence ([`StopReason::Diverged`](crate::trace::StopReason::Diverged)).
//!
//! The question the table answers, for each method and batch size: which
//! `λ` (or `η`) gives the lowest median final loss without a diverged run,
//! and does a larger batch allow a smaller damping? (The experiment is the
//! one of the Numerics of ML course of the University of Tübingen, here on
//! the 2-3-1 XOR network.)

use std::fmt;

use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

use super::checks::{check_batch_sizes, config_error};
use super::stochastic::Spread;
use crate::curvature::MiniBatched;
use crate::error::{Error, Result};
use crate::plot::HeatTable;
use crate::problem::XorProblem;
use crate::race::{run, OptimizerKind, OptimizerSpec, RaceConfig};
use crate::report::{aligned_row, html_table, show_html, Align};

/// One method of a sweep: an optimizer kind and the values of its swept
/// hyperparameter (the learning rate for kinds that have one, else the
/// damping `λ`; the initial `λ` for Levenberg–Marquardt kinds).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepMethod {
    /// The optimizer.
    pub kind: OptimizerKind,
    /// The values of its swept hyperparameter, in increasing order.
    pub values: Vec<f64>,
}

impl SweepMethod {
    /// The swept hyperparameter's symbol: `"lr"` for kinds with a learning
    /// rate, `"λ"` for the others.
    pub fn parameter(&self) -> &'static str {
        if self.kind.descriptor().lr.is_some() {
            "lr"
        } else {
            "λ"
        }
    }

    fn spec(&self, v: f64) -> OptimizerSpec {
        let spec = OptimizerSpec::new(self.kind);
        if self.kind.descriptor().lr.is_some() {
            spec.lr(v)
        } else {
            spec.damping(v)
        }
    }
}

/// `10^a, 10^(a+1/k), …, 10^b`: `k` points per decade, rounded to three
/// significant digits (so that `1e-2` prints as `0.01`).
///
/// ```
/// use quad_vs_grad::experiments::sweep::log_grid;
/// assert_eq!(log_grid(-2, 0, 1), vec![0.01, 0.1, 1.0]);
/// assert_eq!(log_grid(-1, 0, 2), vec![0.1, 0.316, 1.0]);
/// ```
pub fn log_grid(a: i32, b: i32, per_decade: u32) -> Vec<f64> {
    let k = per_decade.max(1) as i32;
    (a * k..=b * k)
        .map(|i| {
            let v = 10f64.powf(i as f64 / k as f64);
            let mag = 10f64.powi(v.log10().floor() as i32 - 2);
            (v / mag).round() * mag
        })
        .map(|v| format!("{v:.3e}").parse().unwrap_or(v))
        .collect()
}

/// Settings of [`batch_damping_sweep`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepConfig {
    /// The methods and their grids (default [`SweepConfig::chapter`]'s).
    pub methods: Vec<SweepMethod>,
    /// Batch sizes, each in `1..=min(N, budget)` (default 5, 10, 20, 50,
    /// 100, 200).
    pub batch_sizes: Vec<usize>,
    /// Data budget: examples touched per run; a run with batch size `B`
    /// takes `⌊budget / B⌋` iterations.
    pub budget: usize,
    /// Seeds `0..seeds` of the batch sampler, one run each.
    pub seeds: u64,
}

impl SweepConfig {
    /// The chapter's full sweep: GGN, K-FAC and Hessian-free with
    /// `λ ∈ {10⁻⁴, 10⁻³, …, 10}`, Adam with `η ∈ {10⁻³, …, 1}` and SGD
    /// with `η ∈ {10⁻², …, 10}` at two points per decade, batch sizes
    /// 5 to 200, a budget of 4,000 examples (20 epochs of the 200-example
    /// XOR set), 5 seeds.
    pub fn chapter() -> Self {
        Self {
            methods: vec![
                SweepMethod {
                    kind: OptimizerKind::Ggn,
                    values: log_grid(-4, 1, 1),
                },
                SweepMethod {
                    kind: OptimizerKind::Kfac,
                    values: log_grid(-4, 1, 1),
                },
                SweepMethod {
                    kind: OptimizerKind::HessianFree,
                    values: log_grid(-4, 1, 1),
                },
                SweepMethod {
                    kind: OptimizerKind::Adam,
                    values: log_grid(-3, 0, 2),
                },
                SweepMethod {
                    kind: OptimizerKind::Gd,
                    values: log_grid(-2, 1, 2),
                },
            ],
            batch_sizes: vec![5, 10, 20, 50, 100, 200],
            budget: 4000,
            seeds: 5,
        }
    }

    /// A smaller sweep for the notebook: the same methods and batch sizes,
    /// one point per decade for every method, 3 seeds.
    pub fn reduced() -> Self {
        let mut cfg = Self::chapter();
        for m in &mut cfg.methods {
            m.values = match m.kind.descriptor().lr {
                Some(_) if m.kind == OptimizerKind::Adam => log_grid(-3, 0, 1),
                Some(_) => log_grid(-2, 1, 1),
                None => log_grid(-4, 1, 1),
            };
        }
        cfg.seeds = 3;
        cfg
    }
}

impl Default for SweepConfig {
    fn default() -> Self {
        Self::chapter()
    }
}

/// One cell of a [`MethodSweep`]: one batch size and one value, over the
/// seeds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepCell {
    /// Batch size `B`.
    pub batch_size: usize,
    /// The swept hyperparameter's value.
    pub value: f64,
    /// Iterations per run, `⌊budget / B⌋`.
    pub iterations: u64,
    /// Largest number of iterations a run of this cell actually took
    /// (`≤ iterations`; fewer when runs diverged or stopped on a tiny step).
    pub max_steps: usize,
    /// Runs made (one per seed).
    pub runs: usize,
    /// Runs that diverged (or failed).
    pub diverged: usize,
    /// The final full-batch losses of the runs that did not diverge, in
    /// seed order.
    pub losses: Vec<f64>,
}

impl SweepCell {
    /// Quantiles of [`SweepCell::losses`] (NaN if every run diverged).
    pub fn spread(&self) -> Spread {
        Spread::of(&self.losses)
    }

    /// Median final loss of the runs that did not diverge (NaN if none).
    pub fn median(&self) -> f64 {
        self.spread().median
    }

    /// Fraction of the runs that diverged.
    pub fn divergence_rate(&self) -> f64 {
        if self.runs == 0 {
            0.0
        } else {
            self.diverged as f64 / self.runs as f64
        }
    }
}

/// The sweep of one method: a table of [`SweepCell`]s, rows the batch
/// sizes, columns the values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MethodSweep {
    /// The optimizer.
    pub kind: OptimizerKind,
    /// Its label.
    pub label: String,
    /// The swept hyperparameter (`"λ"` or `"lr"`).
    pub parameter: String,
    /// Batch sizes (rows).
    pub batch_sizes: Vec<usize>,
    /// Values (columns).
    pub values: Vec<f64>,
    /// Cells, row by row: `cells[i * values.len() + j]` is batch size `i`, value `j`.
    pub cells: Vec<SweepCell>,
}

impl MethodSweep {
    /// The cell of batch size `b` and the `j`-th value.
    pub fn cell(&self, b: usize, j: usize) -> Option<&SweepCell> {
        let i = self.batch_sizes.iter().position(|&x| x == b)?;
        if j >= self.values.len() {
            return None;
        }
        self.cells.get(i * self.values.len() + j)
    }

    /// The best cell of batch size `b`: the lowest median final loss among
    /// the cells where no run diverged (the first such value on a tie);
    /// `None` if every value diverged at least once.
    pub fn best(&self, b: usize) -> Option<&SweepCell> {
        (0..self.values.len())
            .filter_map(|j| self.cell(b, j))
            .filter(|c| c.diverged == 0 && c.median().is_finite())
            .fold(None, |best: Option<&SweepCell>, c| match best {
                Some(x) if x.median() <= c.median() => Some(x),
                _ => Some(c),
            })
    }

    /// The table as a [`HeatTable`] for [`heat_table_figure`](crate::plot::heat_table_figure):
    /// colour the median final loss, cells with a diverged run marked, the
    /// best value per batch size outlined.
    pub fn heat_table(&self) -> HeatTable {
        let (r, c) = (self.batch_sizes.len(), self.values.len());
        let mut values = Array2::from_elem((r, c), f64::NAN);
        let mut labels = Vec::with_capacity(r * c);
        let mut marked = Vec::with_capacity(r * c);
        let mut best = vec![None; r];
        for (i, &b) in self.batch_sizes.iter().enumerate() {
            best[i] = self
                .best(b)
                .and_then(|x| self.values.iter().position(|&v| v == x.value));
            for j in 0..c {
                let Some(cell) = self.cells.get(i * c + j) else {
                    labels.push(String::new());
                    marked.push(false);
                    continue;
                };
                values[[i, j]] = cell.median();
                marked.push(cell.diverged > 0);
                labels.push(if cell.diverged == cell.runs {
                    "div".to_string()
                } else if cell.diverged > 0 {
                    format!("{:.2} ({} div)", cell.median(), cell.diverged)
                } else {
                    format!("{:.3}", cell.median())
                });
            }
        }
        HeatTable {
            title: format!("{} ({})", self.label, self.parameter),
            row_title: "B".into(),
            column_title: self.parameter.clone(),
            rows: self.batch_sizes.iter().map(|b| b.to_string()).collect(),
            columns: self.values.iter().map(|v| format_param(*v)).collect(),
            values,
            labels,
            marked,
            best,
            colour_max: None,
        }
    }
}

/// A hyperparameter value as the tables print it (`0.001`, `0.0316`, `10`).
pub fn format_param(v: f64) -> String {
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "0" {
        format!("{v:.0e}")
    } else {
        s.to_string()
    }
}

/// The result of [`batch_damping_sweep`]. `Display` gives the table of the
/// best value per batch size for every method; in an Evcxr notebook the
/// value shows as that table in HTML.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BatchSweep {
    /// Full-batch loss at the start.
    pub start_loss: f64,
    /// Data budget (examples per run).
    pub budget: usize,
    /// Seeds per cell.
    pub seeds: u64,
    /// One sweep per method, in the order asked.
    pub methods: Vec<MethodSweep>,
}

impl BatchSweep {
    /// The sweep of `kind`, if measured.
    pub fn method(&self, kind: OptimizerKind) -> Option<&MethodSweep> {
        self.methods.iter().find(|m| m.kind == kind)
    }

    /// Every method's heat table, for [`heat_table_figure`](crate::plot::heat_table_figure),
    /// the colour scale topped at the start loss (a run that ends above it
    /// made things worse; how much worse is in its label).
    pub fn heat_tables(&self) -> Vec<HeatTable> {
        self.methods
            .iter()
            .map(|m| HeatTable {
                colour_max: Some(self.start_loss),
                ..m.heat_table()
            })
            .collect()
    }

    /// Batch sizes of the first method (every method has the same).
    fn batch_sizes(&self) -> &[usize] {
        self.methods
            .first()
            .map(|m| m.batch_sizes.as_slice())
            .unwrap_or(&[])
    }

    fn best_cells(&self) -> (Vec<String>, Vec<Vec<String>>) {
        let header = std::iter::once("B".to_string())
            .chain(
                self.methods
                    .iter()
                    .map(|m| format!("{} {}", m.label, m.parameter)),
            )
            .collect();
        let rows = self
            .batch_sizes()
            .iter()
            .map(|&b| {
                std::iter::once(b.to_string())
                    .chain(self.methods.iter().map(|m| match m.best(b) {
                        Some(c) => format!("{} → {:.4}", format_param(c.value), c.median()),
                        None => "all diverge".into(),
                    }))
                    .collect()
            })
            .collect();
        (header, rows)
    }

    /// The table of the best value per batch size as HTML, for notebooks.
    pub fn to_html(&self) -> String {
        let (header, rows) = self.best_cells();
        html_table(&header, &rows, |_| Align::Right)
    }

    /// Shows the best-value table inline in an Evcxr notebook (`text/html`).
    pub fn evcxr_display(&self) {
        show_html(&self.to_html());
    }
}

impl fmt::Display for BatchSweep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "best value per batch size (median final loss over {} seeds, no run diverged); \
             budget {} examples, start loss {:.4}",
            self.seeds, self.budget, self.start_loss
        )?;
        let (header, rows) = self.best_cells();
        let mut widths = vec![20; header.len()];
        widths[0] = 5;
        writeln!(f, "{}", aligned_row(&header, &widths))?;
        for row in rows {
            writeln!(f, "{}", aligned_row(&row, &widths))?;
        }
        Ok(())
    }
}

impl fmt::Display for MethodSweep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}: median final loss (diverged runs in brackets), rows B, columns {}",
            self.label, self.parameter
        )?;
        let mut widths = vec![12; self.values.len() + 1];
        widths[0] = 5;
        let header: Vec<String> = std::iter::once("B".to_string())
            .chain(self.values.iter().map(|&v| format_param(v)))
            .collect();
        writeln!(f, "{}", aligned_row(&header, &widths))?;
        for &b in &self.batch_sizes {
            let row: Vec<String> = std::iter::once(b.to_string())
                .chain((0..self.values.len()).map(|j| match self.cell(b, j) {
                    Some(c) if c.diverged == c.runs => "div".to_string(),
                    Some(c) if c.diverged > 0 => format!("{:.4} [{}]", c.median(), c.diverged),
                    Some(c) => format!("{:.4}", c.median()),
                    None => String::new(),
                }))
                .collect();
            writeln!(f, "{}", aligned_row(&row, &widths))?;
        }
        Ok(())
    }
}

/// Runs the batch size × hyperparameter sweep of `cfg` from `start` on
/// `problem` at a fixed data budget (see the [module docs](self)).
///
/// Every run goes through the race ([`run`]: the method's registry
/// solver with its stochastic mode, seeded batches, full-batch losses,
/// divergence as a result) with `max_iters = ⌊budget / B⌋`, no step-norm
/// stop (`tol = 0`) and no wall-time limit, so the result depends on the
/// inputs only: same inputs, same bytes.
///
/// ```
/// use quad_vs_grad::experiments::sweep::{batch_damping_sweep, SweepConfig, SweepMethod};
/// use quad_vs_grad::prelude::*;
///
/// let problem = XorProblem::reference();
/// let cfg = SweepConfig {
///     methods: vec![SweepMethod { kind: OptimizerKind::Gd, values: vec![0.1, 1.0] }],
///     batch_sizes: vec![10, 100],
///     budget: 200,
///     seeds: 2,
/// };
/// let sweep = batch_damping_sweep(&problem, &array![2.0, -2.0], &cfg)?;
/// let gd = &sweep.methods[0];
/// assert_eq!(gd.cell(10, 0).unwrap().iterations, 20);
/// assert_eq!(gd.cell(100, 1).unwrap().iterations, 2);
/// # Ok::<(), quad_vs_grad::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidConfig`] for no methods, batch sizes or seeds, an empty
/// grid, a value that is not finite and `> 0`, a batch size outside
/// `1..=min(N, budget)`, a kind without a stochastic mode, or a start of
/// the wrong length.
pub fn batch_damping_sweep(
    problem: &XorProblem,
    start: &Array1<f64>,
    cfg: &SweepConfig,
) -> Result<BatchSweep> {
    let n = problem.data().len();
    if cfg.methods.is_empty() || cfg.batch_sizes.is_empty() || cfg.seeds == 0 {
        return Err(Error::InvalidConfig(
            "a sweep needs methods, batch sizes and seeds".into(),
        ));
    }
    check_batch_sizes(
        &cfg.batch_sizes,
        n.min(cfg.budget),
        &format!(" (N = {n}, budget {})", cfg.budget),
    )?;
    for m in &cfg.methods {
        if m.values.is_empty() || m.values.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
            return Err(Error::InvalidConfig(format!(
                "{}: the grid must be non-empty, finite and > 0",
                m.kind
            )));
        }
        if !m.kind.descriptor().stochastic.is_supported() {
            return Err(Error::InvalidConfig(format!(
                "{} has no stochastic mode",
                m.kind
            )));
        }
    }
    let start_loss = problem.full_batch_cost(start).map_err(config_error)?;
    let mut methods = Vec::with_capacity(cfg.methods.len());
    for m in &cfg.methods {
        let mut cells = Vec::with_capacity(cfg.batch_sizes.len() * m.values.len());
        for &b in &cfg.batch_sizes {
            let iterations = (cfg.budget / b) as u64;
            for &v in &m.values {
                let spec = m.spec(v);
                let mut losses = Vec::new();
                let (mut diverged, mut max_steps) = (0, 0);
                for seed in 0..cfg.seeds {
                    let race = RaceConfig {
                        max_iters: iterations,
                        tol: 0.0,
                        batch_size: Some(b),
                        seed,
                        max_seconds: f64::INFINITY,
                        ..RaceConfig::default()
                    };
                    let t = run(problem, start, &spec, &race);
                    max_steps = max_steps.max(t.steps());
                    if t.stop.is_failure() || !t.final_loss().is_finite() {
                        diverged += 1;
                    } else {
                        losses.push(t.final_loss());
                    }
                }
                cells.push(SweepCell {
                    batch_size: b,
                    value: v,
                    iterations,
                    max_steps,
                    runs: cfg.seeds as usize,
                    diverged,
                    losses,
                });
            }
        }
        methods.push(MethodSweep {
            kind: m.kind,
            label: m.kind.default_label().to_string(),
            parameter: m.parameter().to_string(),
            batch_sizes: cfg.batch_sizes.clone(),
            values: m.values.clone(),
            cells,
        });
    }
    Ok(BatchSweep {
        start_loss,
        budget: cfg.budget,
        seeds: cfg.seeds,
        methods,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grids_and_formats() {
        assert_eq!(log_grid(-4, 1, 1).len(), 6);
        assert_eq!(log_grid(-3, 0, 2)[1], 0.00316);
        assert_eq!(format_param(0.0001), "0.0001");
        assert_eq!(format_param(10.0), "10");
        assert_eq!(format_param(0.316), "0.316");
        assert_eq!(format_param(1e-6), "1e-6");
    }

    fn cell(value: f64, diverged: usize, losses: Vec<f64>) -> SweepCell {
        SweepCell {
            batch_size: 5,
            value,
            iterations: 10,
            max_steps: 10,
            runs: diverged + losses.len(),
            diverged,
            losses,
        }
    }

    #[test]
    fn best_is_the_lowest_median_without_divergence() {
        let m = MethodSweep {
            kind: OptimizerKind::Ggn,
            label: "GGN".into(),
            parameter: "λ".into(),
            batch_sizes: vec![5],
            values: vec![0.01, 0.1, 1.0, 10.0],
            cells: vec![
                cell(0.01, 1, vec![0.01, 0.02]), // lowest median, but a divergence
                cell(0.1, 0, vec![0.3, 0.2, 0.4]),
                cell(1.0, 0, vec![0.25, 0.1, 0.15]),
                cell(10.0, 0, vec![0.5, 0.6, 0.7]),
            ],
        };
        let best = m.best(5).unwrap();
        assert_eq!((best.value, best.median()), (1.0, 0.15));
        assert!(m.best(7).is_none());
        let t = m.heat_table();
        assert_eq!(t.best, vec![Some(2)]);
        assert_eq!(t.marked, vec![true, false, false, false]);
        assert_eq!(t.values.dim(), (1, 4));
        let all_bad = MethodSweep {
            cells: vec![cell(0.01, 2, vec![]); 4],
            ..m
        };
        assert!(all_bad.best(5).is_none());
        assert_eq!(all_bad.heat_table().labels[0], "div");
    }
}
