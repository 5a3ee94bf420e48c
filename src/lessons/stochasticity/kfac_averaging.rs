//! K-FAC on mini-batches with and without moving averages of its factors:
//! [`kfac_averaging`].

use std::fmt;

use ndarray::Array1;
use serde::{Deserialize, Serialize};

use crate::curvature::MiniBatched;
use crate::error::{Error, Result};
use crate::lessons::checks::{check_batch_sizes, config_error};
use crate::problem::XorProblem;
use crate::report::{aligned_row, html_table, show_html, Align};

/// Settings of [`kfac_averaging`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AveragingConfig {
    /// Mini-batch sizes (default 5, 20, 50).
    pub batch_sizes: Vec<usize>,
    /// Moving-average decays `ε` of the factors; `None` is fresh factors
    /// every iteration (default none, 0.5, 0.9, 0.95).
    pub decays: Vec<Option<f64>>,
    /// Seeds `0..seeds` of the batch sampler, one run each (default 5).
    pub seeds: u64,
    /// Iterations per run (default 200).
    pub max_iters: u64,
    /// Fixed damping `λ` (default 0.01: with the race's 0.1 the damping
    /// hides the curvature noise and averaging changes little).
    pub damping: f64,
}

impl Default for AveragingConfig {
    fn default() -> Self {
        Self {
            batch_sizes: vec![5, 20, 50],
            decays: vec![None, Some(0.5), Some(0.9), Some(0.95)],
            seeds: 5,
            max_iters: 200,
            damping: 0.01,
        }
    }
}

/// One cell of [`KfacAveraging`]: K-FAC with one batch size and one decay,
/// over the seeds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AveragingRow {
    /// Batch size.
    pub batch_size: usize,
    /// Moving-average decay (`None`: fresh factors).
    pub decay: Option<f64>,
    /// Runs made (one per seed).
    pub runs: usize,
    /// Runs that diverged (or failed).
    pub diverged: usize,
    /// Mean final full-batch loss of the other runs (NaN if none).
    pub mean_loss: f64,
    /// Standard deviation of those final losses (0 for one run).
    pub std_loss: f64,
}

/// K-FAC's moving averages of its factors against fresh factors, on
/// mini-batches ([`kfac_averaging`]). `Display` gives an aligned table; in
/// an Evcxr notebook the value shows as an HTML table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KfacAveraging {
    /// Full-batch loss at the start.
    pub start_loss: f64,
    /// One row per (batch size, decay), batch sizes outermost.
    pub rows: Vec<AveragingRow>,
}

impl KfacAveraging {
    /// The row of `batch_size` and `decay`, if measured.
    pub fn row(&self, batch_size: usize, decay: Option<f64>) -> Option<&AveragingRow> {
        self.rows
            .iter()
            .find(|r| r.batch_size == batch_size && r.decay == decay)
    }

    fn cells(&self) -> Vec<[String; 5]> {
        self.rows
            .iter()
            .map(|r| {
                [
                    r.batch_size.to_string(),
                    r.decay.map_or("none".into(), |d| d.to_string()),
                    format!("{:.4}", r.mean_loss),
                    format!("{:.4}", r.std_loss),
                    format!("{} of {}", r.diverged, r.runs),
                ]
            })
            .collect()
    }

    /// The table as HTML, for notebooks.
    pub fn to_html(&self) -> String {
        html_table(&AVERAGING_HEADERS, &self.cells(), |_| Align::Right)
    }

    /// Shows the table inline in an Evcxr notebook (`text/html`).
    pub fn evcxr_display(&self) {
        show_html(&self.to_html());
    }
}

const AVERAGING_HEADERS: [&str; 5] = ["B", "decay", "mean final loss", "std", "diverged"];

impl fmt::Display for KfacAveraging {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "start loss {:.4}", self.start_loss)?;
        let widths = [5, 6, 16, 8, 10];
        writeln!(f, "{} ", aligned_row(&AVERAGING_HEADERS, &widths))?;
        for row in self.cells() {
            writeln!(f, "{} ", aligned_row(&row, &widths))?;
        }
        Ok(())
    }
}

/// Runs K-FAC ([`Kfac`](crate::solvers::Kfac), factored Tikhonov damping,
/// fixed `λ`) on mini-batches from `start`, for every batch size and
/// moving-average decay of `cfg`, once per seed, through the race's
/// recorder ([`run_solver`](crate::race::run_solver): full-batch losses,
/// budgets, divergence as a result), and tabulates the final full-batch
/// losses and divergences.
///
/// Averaging `A ← εA + (1−ε)A_B` (likewise `G`) pools the factors of about
/// `1/(1−ε)` recent batches, so the curvature estimate is less noisy than
/// one batch's, at the price of lagging behind the iterate (Martens &
/// Grosse 2015, §5).
///
/// # Errors
/// [`Error::InvalidConfig`] for an empty list, a batch size outside
/// `1..=N`, a decay outside `[0, 1)`, zero seeds or iterations, or a
/// damping that is not finite and `> 0`.
pub fn kfac_averaging(
    problem: &XorProblem,
    start: &Array1<f64>,
    cfg: &AveragingConfig,
) -> Result<KfacAveraging> {
    use crate::race::{run_solver, RaceConfig};
    use crate::solvers::{Damping, Kfac};
    let n = problem.data().len();
    if cfg.batch_sizes.is_empty() || cfg.decays.is_empty() || cfg.seeds == 0 || cfg.max_iters == 0 {
        return Err(Error::InvalidConfig(
            "need batch sizes, decays, seeds and iterations".into(),
        ));
    }
    check_batch_sizes(&cfg.batch_sizes, n, "")?;
    if let Some(d) = cfg
        .decays
        .iter()
        .flatten()
        .find(|d| !(0.0..1.0).contains(*d))
    {
        return Err(Error::InvalidConfig(format!(
            "decays must be in [0, 1), got {d}"
        )));
    }
    if !(cfg.damping.is_finite() && cfg.damping > 0.0) {
        return Err(Error::InvalidConfig(format!(
            "damping must be a finite number > 0, got {}",
            cfg.damping
        )));
    }
    let damping = Damping::fixed(cfg.damping).map_err(config_error)?;
    let start_loss = problem.full_batch_cost(start).map_err(config_error)?;
    let mut rows = Vec::new();
    for &b in &cfg.batch_sizes {
        for &decay in &cfg.decays {
            let mut losses = Vec::new();
            let mut diverged = 0;
            for seed in 0..cfg.seeds {
                let mut solver = Kfac::new()
                    .with_damping(damping)
                    .with_minibatch(b, seed)
                    .map_err(config_error)?;
                if let Some(d) = decay {
                    solver = solver.with_ema(d).map_err(config_error)?;
                }
                let race = RaceConfig {
                    max_iters: cfg.max_iters,
                    tol: 0.0,
                    seed,
                    ..RaceConfig::default()
                };
                let t = run_solver(problem, start, "K-FAC", solver, &race);
                if t.stop.is_failure() || !t.final_loss().is_finite() {
                    diverged += 1;
                } else {
                    losses.push(t.final_loss());
                }
            }
            let k = losses.len() as f64;
            let mean = losses.iter().sum::<f64>() / k;
            let std = if losses.len() > 1 {
                (losses.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / (k - 1.0)).sqrt()
            } else {
                0.0
            };
            rows.push(AveragingRow {
                batch_size: b,
                decay,
                runs: cfg.seeds as usize,
                diverged,
                mean_loss: mean,
                std_loss: std,
            });
        }
    }
    Ok(KfacAveraging { start_loss, rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moving_averages_keep_small_batch_kfac_from_diverging() {
        let pr = XorProblem::full(crate::data::Dataset::reference(), &[3]).unwrap();
        let p = pr.mlp().init(0);
        let cfg = AveragingConfig {
            batch_sizes: vec![5, 50],
            decays: vec![None, Some(0.9)],
            ..AveragingConfig::default()
        };
        let a = kfac_averaging(&pr, &p, &cfg).unwrap();
        assert_eq!(a.rows.len(), 4);
        // λ = 0.01, batches of 5: fresh factors diverge on every seed,
        // factors averaged with ε = 0.9 on none
        let (fresh, avg) = (a.row(5, None).unwrap(), a.row(5, Some(0.9)).unwrap());
        assert_eq!((fresh.diverged, avg.diverged), (5, 0), "{a}");
        assert!(fresh.mean_loss.is_nan() && avg.mean_loss.is_finite());
        // batches of 50: both descend from the start on every seed
        for d in [None, Some(0.9)] {
            let r = a.row(50, d).unwrap();
            assert_eq!(r.diverged, 0, "{a}");
            assert!(r.mean_loss < 0.7 * a.start_loss, "{a}");
        }
        // seeded (compared as text: a NaN mean is not equal to itself)
        let again = kfac_averaging(&pr, &p, &cfg).unwrap();
        assert_eq!(format!("{again:?}"), format!("{a:?}"));
        assert!(a.to_string().contains("5 of 5"));
        assert_eq!(a.to_html().matches("<tr>").count(), 5);
        let bad = |c: AveragingConfig| kfac_averaging(&pr, &p, &c).is_err();
        assert!(bad(AveragingConfig {
            decays: vec![Some(1.0)],
            ..cfg.clone()
        }));
        assert!(bad(AveragingConfig {
            batch_sizes: vec![0],
            ..cfg.clone()
        }));
        assert!(bad(AveragingConfig {
            damping: 0.0,
            ..cfg.clone()
        }));
        assert!(bad(AveragingConfig { seeds: 0, ..cfg }));
    }
}
