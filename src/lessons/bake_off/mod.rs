//! Chapter 12, the bake-off: whether the wells bake-off's ranking survives
//! other seeds of starts ([`SeedStudy`]), what an optimizer pays to reach a
//! target loss on each axis a user might care about ([`AxisRanking`]), and
//! what the exhaustive alternative, a grid of `N^d` points, costs
//! ([`grid_search`], [`grid_cost_table`]).
//!
//! The bake-off itself is [`crate::race::multistart::bakeoff`]; this module
//! only reads its rows and the traces of a race.
//!
//! ```
//! use quad_vs_grad::lessons::bake_off::*;
//! use quad_vs_grad::prelude::*;
//!
//! // The grid search on the course's wells: 41 × 41 points, spacing 0.15.
//! let g = grid_search(&GaussianWells::course(), 41, (-3.0, 3.0))?;
//! assert_eq!(g.points, 1681);
//! assert!(g.distance_to_global < 0.25);
//! # Ok::<(), quad_vs_grad::Error>(())
//! ```

use std::fmt;
use std::time::Instant;

use ndarray::{Array1, Array2};

use crate::error::{Error, Result};
use crate::landscapes::{GaussianWells, Landscape};
use crate::plot::CurveAxis;
use crate::race::multistart::{uniform_starts, wells_contenders};
use crate::race::RaceProblem;
use crate::trace::Trace;

mod bars;
mod cost;
mod network_starts;
mod summary;

pub use crate::plot::{pca_plane, PcaPlane, PcaProjection};
pub use crate::race::multistart::{bakeoff, run_starts, Bakeoff, BakeoffConfig, Contender};
pub use bars::{bakeoff_figure, bakeoff_svg, draw_bakeoff_bars, BakeoffMetric};
pub use cost::cost_to_target;
pub use network_starts::{network_starts, NetworkRow, StuckEnd};
pub use summary::{bakeoff_summary_figure, draw_bakeoff_summary};

/// The ranks (1 = best) of `values`, the largest best when `descending`;
/// tied values share the mean of their ranks (so Spearman's ρ is defined
/// with ties). NaN ranks last.
pub fn average_ranks(values: &[f64], descending: bool) -> Vec<f64> {
    let key = |v: f64| {
        if v.is_nan() {
            f64::INFINITY
        } else if descending {
            -v
        } else {
            v
        }
    };
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| key(values[a]).total_cmp(&key(values[b])));
    let mut ranks = vec![0.0; values.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && key(values[order[j + 1]]) == key(values[order[i]]) {
            j += 1;
        }
        // positions i..=j (0-based) share the mean rank
        let mean = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            ranks[k] = mean;
        }
        i = j + 1;
    }
    ranks
}

/// Spearman's rank correlation: Pearson's correlation of two rank vectors
/// (from [`average_ranks`]). `1` for the same order, `−1` for the reverse;
/// NaN if the lengths differ, fewer than two entries, or a vector is constant.
pub fn spearman(ranks_a: &[f64], ranks_b: &[f64]) -> f64 {
    let n = ranks_a.len();
    if n != ranks_b.len() || n < 2 {
        return f64::NAN;
    }
    let mean = |r: &[f64]| r.iter().sum::<f64>() / n as f64;
    let (ma, mb) = (mean(ranks_a), mean(ranks_b));
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (a, b) in ranks_a.iter().zip(ranks_b) {
        sab += (a - ma) * (b - mb);
        saa += (a - ma).powi(2);
        sbb += (b - mb).powi(2);
    }
    if saa == 0.0 || sbb == 0.0 {
        return f64::NAN;
    }
    sab / (saa * sbb).sqrt()
}

/// The bake-off repeated on several seeds of starts: per seed, each
/// contender's fraction of starts that reached the global minimum and its
/// rank by that fraction.
#[derive(Clone, Debug, PartialEq)]
pub struct SeedStudy {
    /// The optimizers, in the contenders' order.
    pub optimizers: Vec<String>,
    /// The seeds of the starts.
    pub seeds: Vec<u64>,
    /// `reached[s][c]`: fraction of seed `s`'s starts from which contender
    /// `c` reached the global minimum.
    pub reached: Vec<Vec<f64>>,
    /// `mean_evaluations[s][c]`: mean evaluations per start.
    pub mean_evaluations: Vec<Vec<f64>>,
    /// `ranks[s][c]`: rank of contender `c` by `reached` on seed `s`
    /// (1 = best, ties averaged).
    pub ranks: Vec<Vec<f64>>,
}

impl SeedStudy {
    /// Collects the rows of bake-offs of the same contenders, one per seed.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] if there are no bake-offs, the number of
    /// seeds differs from the number of bake-offs, or their contenders differ.
    pub fn new(seeds: &[u64], bakeoffs: &[Bakeoff]) -> Result<Self> {
        let first = bakeoffs.first().ok_or_else(|| {
            Error::InvalidConfig("a seed study needs at least one bake-off".into())
        })?;
        if seeds.len() != bakeoffs.len() {
            return Err(Error::InvalidConfig(format!(
                "{} seeds for {} bake-offs",
                seeds.len(),
                bakeoffs.len()
            )));
        }
        let optimizers: Vec<String> = first.rows.iter().map(|r| r.optimizer.clone()).collect();
        let mut reached = Vec::new();
        let mut mean_evaluations = Vec::new();
        for b in bakeoffs {
            let names: Vec<&str> = b.rows.iter().map(|r| r.optimizer.as_str()).collect();
            if names != optimizers.iter().map(String::as_str).collect::<Vec<_>>() {
                return Err(Error::InvalidConfig(
                    "the bake-offs of a seed study must have the same contenders".into(),
                ));
            }
            reached.push(b.rows.iter().map(|r| r.reached_global).collect::<Vec<_>>());
            mean_evaluations.push(b.rows.iter().map(|r| r.mean_evaluations).collect());
        }
        let ranks = reached.iter().map(|r| average_ranks(r, true)).collect();
        Ok(Self {
            optimizers,
            seeds: seeds.to_vec(),
            reached,
            mean_evaluations,
            ranks,
        })
    }

    /// Spearman's ρ between the rankings of seeds `a` and `b` (by position
    /// in [`SeedStudy::seeds`]); NaN for an index out of range.
    pub fn rank_correlation(&self, a: usize, b: usize) -> f64 {
        match (self.ranks.get(a), self.ranks.get(b)) {
            (Some(x), Some(y)) => spearman(x, y),
            _ => f64::NAN,
        }
    }

    /// The smallest Spearman ρ over all pairs of seeds (1 for one seed).
    pub fn min_rank_correlation(&self) -> f64 {
        let n = self.seeds.len();
        let mut min = 1.0_f64;
        for a in 0..n {
            for b in a + 1..n {
                min = min.min(self.rank_correlation(a, b));
            }
        }
        min
    }

    /// For each contender, the spread of its reached fraction over the
    /// seeds (largest minus smallest).
    pub fn spread(&self) -> Vec<f64> {
        (0..self.optimizers.len())
            .map(|c| {
                let v = self.reached.iter().map(|r| r[c]);
                let hi = v.clone().fold(f64::NEG_INFINITY, f64::max);
                let lo = v.fold(f64::INFINITY, f64::min);
                hi - lo
            })
            .collect()
    }
}

impl fmt::Display for SeedStudy {
    /// One line per optimizer: per seed, the reached percentage and the
    /// rank; then the spread; then Spearman's ρ of every pair of seeds.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:<20}", "optimizer")?;
        for s in &self.seeds {
            write!(f, " {:>15}", format!("seed {s}: reached"))?;
        }
        writeln!(f, " {:>7}", "spread")?;
        let spread = self.spread();
        for (c, name) in self.optimizers.iter().enumerate() {
            write!(f, "{name:<20}")?;
            for s in 0..self.seeds.len() {
                let cell = format!(
                    "{:.1}% (#{})",
                    100.0 * self.reached[s][c],
                    crate::fmt::rank(self.ranks[s][c])
                );
                write!(f, " {cell:>15}")?;
            }
            writeln!(f, " {:>6.1}%", 100.0 * spread[c])?;
        }
        for a in 0..self.seeds.len() {
            for b in a + 1..self.seeds.len() {
                writeln!(
                    f,
                    "Spearman rho, seed {} vs seed {}: {:.3}",
                    self.seeds[a],
                    self.seeds[b],
                    self.rank_correlation(a, b)
                )?;
            }
        }
        Ok(())
    }
}

/// Runs the bake-off of `contenders` on `problem` once per seed of `n`
/// starts uniform in `range^d` ([`uniform_starts`]), keeping every result.
///
/// # Errors
/// As [`uniform_starts`] and [`bakeoff`].
pub fn seed_bakeoffs<P: RaceProblem + Landscape>(
    problem: &P,
    contenders: &[Contender],
    n: usize,
    range: (f64, f64),
    seeds: &[u64],
    cfg: &BakeoffConfig,
) -> Result<Vec<Bakeoff>> {
    seeds
        .iter()
        .map(|&s| {
            let starts = uniform_starts(n, problem.dim(), range, s)?;
            bakeoff(problem, contenders, &starts, cfg)
        })
        .collect()
}

/// [`seed_bakeoffs`] on the course's landscape ([`GaussianWells::course`])
/// with the contenders of [`wells_contenders`] and starts uniform in
/// `[−3, 3]²`: the bake-offs of chapter 12, one per seed.
///
/// A concrete (non-generic) function: the race is compiled once, with the
/// crate, for the wells. A notebook cell that called the generic
/// [`seed_bakeoffs`] would compile it again, at the notebook's
/// optimisation level, in every cell that does.
///
/// # Errors
/// As [`seed_bakeoffs`].
pub fn course_wells_bakeoffs(n: usize, seeds: &[u64], cfg: &BakeoffConfig) -> Result<Vec<Bakeoff>> {
    seed_bakeoffs(
        &GaussianWells::course(),
        &wells_contenders(),
        n,
        (-3.0, 3.0),
        seeds,
        cfg,
    )
}

/// The axes of [`AxisRanking`], in its columns' order.
pub const RANKING_AXES: [CurveAxis; 3] = [
    CurveAxis::Iteration,
    CurveAxis::Evaluations,
    CurveAxis::WallTime,
];

/// The cost of reaching a target loss for each run of a race, on three
/// axes (iterations, evaluations, wall time), with the rank of each run
/// on each axis (1 = cheapest; runs that never reach it rank last, tied).
#[derive(Clone, Debug, PartialEq)]
pub struct AxisRanking {
    /// The target loss.
    pub target: f64,
    /// The runs' labels.
    pub optimizers: Vec<String>,
    /// `cost[r][a]`: run `r`'s cost on axis [`RANKING_AXES`]`[a]` (NaN if it
    /// never reached the target).
    pub cost: Vec<[f64; 3]>,
    /// `ranks[r][a]`: run `r`'s rank on axis `a`.
    pub ranks: Vec<[f64; 3]>,
}

impl AxisRanking {
    /// Measures every trace against `target`.
    pub fn new(traces: &[Trace], target: f64) -> Self {
        let cost: Vec<[f64; 3]> = traces
            .iter()
            .map(|t| RANKING_AXES.map(|a| cost_to_target(t, target, a).unwrap_or(f64::NAN)))
            .collect();
        let mut ranks = vec![[0.0; 3]; traces.len()];
        for a in 0..3 {
            let col: Vec<f64> = cost.iter().map(|c| c[a]).collect();
            for (r, rank) in average_ranks(&col, false).into_iter().enumerate() {
                ranks[r][a] = rank;
            }
        }
        Self {
            target,
            optimizers: traces.iter().map(|t| t.optimizer.clone()).collect(),
            cost,
            ranks,
        }
    }

    /// The labels ordered by axis `a` of [`RANKING_AXES`], cheapest first
    /// (those that never reached the target last, in race order).
    pub fn order(&self, a: usize) -> Vec<&str> {
        let mut idx: Vec<usize> = (0..self.optimizers.len()).collect();
        idx.sort_by(|&x, &y| self.ranks[x][a].total_cmp(&self.ranks[y][a]));
        idx.iter().map(|&i| self.optimizers[i].as_str()).collect()
    }

    /// The label that is cheapest on axis `a` (if any run reached the target).
    pub fn winner(&self, a: usize) -> Option<&str> {
        let i = (0..self.optimizers.len())
            .filter(|&r| self.cost[r][a].is_finite())
            .min_by(|&x, &y| self.cost[x][a].total_cmp(&self.cost[y][a]))?;
        Some(self.optimizers[i].as_str())
    }
}

impl fmt::Display for AxisRanking {
    /// One line per run: iterations, evaluations and wall time to the
    /// target, each with its rank.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "cost of reaching loss <= {}", self.target)?;
        writeln!(
            f,
            "{:<20} {:>14} {:>14} {:>16}",
            "optimizer", "iterations", "evaluations", "wall time (ms)"
        )?;
        for (r, name) in self.optimizers.iter().enumerate() {
            let cell = |a: usize, decimals: usize| {
                let v = self.cost[r][a];
                if v.is_finite() {
                    format!("{v:.decimals$} (#{})", crate::fmt::rank(self.ranks[r][a]))
                } else {
                    "never".to_string()
                }
            };
            writeln!(
                f,
                "{name:<20} {:>14} {:>14} {:>16}",
                cell(0, 0),
                cell(1, 0),
                cell(2, 2)
            )?;
        }
        Ok(())
    }
}

/// The outcome of [`grid_search`].
#[derive(Clone, Debug, PartialEq)]
pub struct GridSearch {
    /// Points per coordinate `N`.
    pub per_axis: usize,
    /// Points evaluated, `N^d`.
    pub points: usize,
    /// The best grid point.
    pub best_point: Array1<f64>,
    /// Its loss.
    pub best_value: f64,
    /// Its distance from the landscape's global minimiser.
    pub distance_to_global: f64,
    /// Wall time of the evaluations, seconds.
    pub seconds: f64,
}

impl GridSearch {
    /// Seconds per evaluated point.
    pub fn seconds_per_point(&self) -> f64 {
        self.seconds / self.points as f64
    }
}

/// Evaluates the wells on a regular grid of `n` points per coordinate over
/// `range^d` (spacing `(hi − lo)/(n − 1)`), keeping the lowest: the global
/// search that needs no luck and no derivatives, at `n^d` evaluations.
///
/// # Errors
/// [`Error::InvalidConfig`] if `n < 2`, the range is empty or not finite,
/// or `n^d` exceeds 10⁷ points.
pub fn grid_search(wells: &GaussianWells, n: usize, range: (f64, f64)) -> Result<GridSearch> {
    let (lo, hi) = range;
    let d = wells.dim();
    let points = u32::try_from(d)
        .ok()
        .and_then(|d| n.checked_pow(d))
        .filter(|&p| p <= 10_000_000);
    let points = match points {
        Some(p) if n >= 2 && lo.is_finite() && hi.is_finite() && lo < hi => p,
        _ => {
            return Err(Error::InvalidConfig(format!(
                "a grid search needs n >= 2, a finite range lo < hi and at most 1e7 points; got n = {n}, d = {d}, range = {range:?}"
            )))
        }
    };
    let h = (hi - lo) / (n - 1) as f64;
    let grid = Array2::from_shape_fn((points, d), |(k, i)| {
        let j = (k / n.pow(i as u32)) % n;
        lo + h * j as f64
    });
    let t0 = Instant::now();
    let values = wells.costs(&grid)?;
    let seconds = t0.elapsed().as_secs_f64();
    let best = values
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(b.1))
        .map(|(k, _)| k)
        .unwrap_or(0);
    let best_point = grid.row(best).to_owned();
    let distance_to_global = wells
        .global_minimum()
        .map(|m| {
            (&best_point - &m.point)
                .iter()
                .map(|v| v * v)
                .sum::<f64>()
                .sqrt()
        })
        .unwrap_or(f64::NAN);
    Ok(GridSearch {
        per_axis: n,
        points,
        best_value: values[best],
        best_point,
        distance_to_global,
        seconds,
    })
}

/// One row of [`grid_cost_table`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GridCost {
    /// Dimension `d`.
    pub dim: usize,
    /// Grid points `N^d` (as `f64`: it overflows integers quickly).
    pub points: f64,
    /// `N^d ×` seconds per point.
    pub seconds: f64,
}

/// The cost of a grid of `n` points per coordinate in each dimension of
/// `dims`, at `seconds_per_point` (measured by [`grid_search`] in 2-D).
pub fn grid_cost_table(n: usize, dims: &[usize], seconds_per_point: f64) -> Vec<GridCost> {
    dims.iter()
        .map(|&d| {
            let points = (n as f64).powi(d as i32);
            GridCost {
                dim: d,
                points,
                seconds: points * seconds_per_point,
            }
        })
        .collect()
}

/// [`grid_cost_table`] as text: dimension, points, time.
pub fn grid_cost_text(rows: &[GridCost]) -> String {
    let mut s = format!("{:>5} {:>12} {:>22}\n", "d", "points N^d", "time");
    for r in rows {
        s.push_str(&format!(
            "{:>5} {:>12.2e} {:>22}\n",
            r.dim,
            r.points,
            crate::fmt::duration(r.seconds)
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{Counts, StopReason};

    #[test]
    fn ranks_average_ties_and_spearman_is_one_for_the_same_order() {
        assert_eq!(
            average_ranks(&[0.3, 0.1, 0.3, 0.2], true),
            vec![1.5, 4.0, 1.5, 3.0]
        );
        assert_eq!(
            average_ranks(&[3.0, f64::NAN, 1.0], false),
            vec![2.0, 3.0, 1.0]
        );
        let a = average_ranks(&[1.0, 2.0, 3.0, 4.0], false);
        let b = average_ranks(&[10.0, 20.0, 30.0, 40.0], false);
        assert!((spearman(&a, &b) - 1.0).abs() < 1e-15);
        let c = average_ranks(&[4.0, 3.0, 2.0, 1.0], false);
        assert!((spearman(&a, &c) + 1.0).abs() < 1e-15);
        // textbook value: ranks (1,2,3,4,5) vs (2,1,4,3,5): 1 - 6·4/(5·24) = 0.8
        let d = [2.0, 1.0, 4.0, 3.0, 5.0];
        assert!((spearman(&[1.0, 2.0, 3.0, 4.0, 5.0], &d) - 0.8).abs() < 1e-12);
        assert!(spearman(&a, &[1.0]).is_nan());
    }

    fn trace(name: &str, loss: &[f64], evals_per_iter: u64) -> Trace {
        let n = loss.len();
        Trace {
            optimizer: name.into(),
            problem: "p".into(),
            iterates: vec![vec![0.0]; n],
            loss: loss.to_vec(),
            grad_norm: vec![1.0; n],
            counts: (0..n as u64)
                .map(|i| Counts {
                    iterations: i,
                    cost: i * evals_per_iter,
                    ..Counts::default()
                })
                .collect(),
            elapsed_ms: (0..n).map(|i| i as f64).collect(),
            stop: StopReason::MaxIters,
            settings: Default::default(),
        }
    }

    #[test]
    fn axis_ranking_reorders_by_axis() {
        // A: target at iteration 3, 1 evaluation each; B: iteration 1, 10 each; C never.
        let traces = vec![
            trace("A", &[1.0, 0.8, 0.5, 0.1], 1),
            trace("B", &[1.0, 0.1], 10),
            trace("C", &[1.0, 0.9], 1),
        ];
        let r = AxisRanking::new(&traces, 0.2);
        assert_eq!(r.cost[0], [3.0, 3.0, 3.0]);
        assert_eq!(r.cost[1], [1.0, 10.0, 1.0]);
        assert!(r.cost[2][0].is_nan());
        assert_eq!(r.order(0), vec!["B", "A", "C"]);
        assert_eq!(r.order(1), vec!["A", "B", "C"]);
        assert_eq!(r.winner(1), Some("A"));
        assert!(r.to_string().contains("never"));
    }

    #[test]
    fn grid_search_counts_points_and_validates() {
        let w = GaussianWells::course();
        let g = grid_search(&w, 5, (-3.0, 3.0)).unwrap();
        assert_eq!(g.points, 25);
        // every grid value is at least the global minimum
        assert!(g.best_value >= w.global_minimum().unwrap().value - 1e-12);
        assert!(grid_search(&w, 1, (-3.0, 3.0)).is_err());
        assert!(grid_search(&w, 5, (1.0, 1.0)).is_err());
        assert!(grid_search(&w, 10_000, (-3.0, 3.0)).is_err());
        let t = grid_cost_table(10, &[2, 3], 1e-6);
        assert_eq!(t[1].points, 1000.0);
        assert!((t[0].seconds - 1e-4).abs() < 1e-18);
        assert!(grid_cost_text(&t).lines().count() == 3);
    }
}
