//! Chapter 19: generalization — does the optimizer that fits the training
//! data best, or the one that ends in the flattest minimum, also do best on
//! data it has not seen?
//!
//! The training set is small and noisy (the reference recipe,
//! [`Dataset::noisy_xor`](crate::data::Dataset::noisy_xor), about 15 % of
//! its labels disagree with their noisy position), so a network can fit
//! part of the noise; the test set is a large draw of the same recipe, so
//! its mean loss estimates the expected loss `E[ℓ(x, y; θ)]` well (4000
//! points: a standard error of about 0.01 on a loss near 0.4).
//! [`generalization_study`] trains `2-h-1` networks of a few widths with
//! several optimizers from the same seeded starts on the same training sets
//! and records, at each end point `θ*`:
//!
//! - the training loss `L_train(θ*)` and test loss `L_test(θ*)` (mean
//!   binary cross-entropy), their gap `L_test − L_train`, and the accuracies;
//! - the sharpness `λ_max(∇²L_train(θ*))`, the largest Hessian eigenvalue.
//!
//! [`GeneralizationStudy::spearman_by_seed`] turns two metrics into one
//! Spearman rank correlation per seed (over that seed's widths ×
//! optimizers), and [`Spread`] summarises those by median and quartiles, so
//! that a statement rests on the spread over seeds rather than on one run.
//!
//! Sharpness is not invariant under reparameterisation: for a `tanh` layer
//! followed by a linear one, rescaling can change `λ_max` without changing
//! the function (Dinh et al. 2017), so a relation between `λ_max` and the
//! gap, or its absence, is a fact about these networks and this
//! parameterisation, not a law.
//!
//! # References
//! - N. S. Keskar, D. Mudigere, J. Nocedal, M. Smelyanskiy, P. T. P. Tang,
//!   *On Large-Batch Training for Deep Learning: Generalization Gap and
//!   Sharp Minima*, ICLR 2017.
//! - L. Dinh, R. Pascanu, S. Bengio, Y. Bengio, *Sharp Minima Can
//!   Generalize For Deep Nets*, ICML 2017.
//! - A. C. Wilson, R. Roelofs, M. Stern, N. Srebro, B. Recht, *The Marginal
//!   Value of Adaptive Gradient Methods in Machine Learning*, NeurIPS 2017.
//! - C. Spearman, *The proof and measurement of association between two
//!   things*, American Journal of Psychology 15 (1904).

mod figures;
mod study;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use super::bake_off::{average_ranks, spearman};
pub use figures::{gap_sharpness_figure, train_test_figure};
pub use study::{
    accuracy, generalization_study, loss_standard_error, GeneralizationStudy, Metric, StudyConfig,
    StudyRun,
};

/// Median and quartiles of a sample (NaN entries left out).
///
/// Quartiles interpolate linearly between order statistics (the rule of
/// R's default `quantile`, type 7): the `q`-quantile of sorted `x₀ … x_{n−1}`
/// is `x_⌊h⌋ + (h − ⌊h⌋)(x_{⌊h⌋+1} − x_⌊h⌋)` with `h = q(n − 1)`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    /// Finite entries counted.
    pub n: usize,
    /// Smallest.
    pub min: f64,
    /// First quartile.
    pub q1: f64,
    /// Median.
    pub median: f64,
    /// Third quartile.
    pub q3: f64,
    /// Largest.
    pub max: f64,
}

impl Spread {
    /// The spread of `values` (NaN left out; all NaN when none is left).
    pub fn of(values: &[f64]) -> Self {
        let mut v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
        v.sort_by(f64::total_cmp);
        let q = |p: f64| {
            if v.is_empty() {
                return f64::NAN;
            }
            let h = p * (v.len() - 1) as f64;
            let lo = h.floor() as usize;
            let hi = (lo + 1).min(v.len() - 1);
            v[lo] + (h - lo as f64) * (v[hi] - v[lo])
        };
        Self {
            n: v.len(),
            min: q(0.0),
            q1: q(0.25),
            median: q(0.5),
            q3: q(0.75),
            max: q(1.0),
        }
    }

    /// The interquartile range `q3 − q1`.
    pub fn iqr(&self) -> f64 {
        self.q3 - self.q1
    }
}

impl fmt::Display for Spread {
    /// `median [q1, q3] (min … max)` with three decimals.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:>7.3} [{:>6.3}, {:>6.3}] ({:>6.3} … {:>6.3})",
            self.median, self.q1, self.q3, self.min, self.max
        )
    }
}

/// One optimizer at one width, over the seeds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OptimizerSummary {
    /// The optimizer's label.
    pub optimizer: String,
    /// Hidden width.
    pub width: usize,
    /// Training loss over the seeds.
    pub train_loss: Spread,
    /// Test loss over the seeds.
    pub test_loss: Spread,
    /// Test accuracy over the seeds.
    pub test_accuracy: Spread,
    /// `λ_max` over the seeds.
    pub lambda_max: Spread,
}

/// How the optimizer with the lowest training loss fared on the test set,
/// over the (seed, width) cells of a study.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WinnerAgreement {
    /// Cells (seed × width).
    pub cells: usize,
    /// Cells where the lowest training loss also had the lowest test loss.
    pub same: usize,
    /// Cells where it had the highest test loss of all optimizers.
    pub worst: usize,
}

impl GeneralizationStudy {
    fn runs_where(&self, keep: impl Fn(&StudyRun) -> bool) -> Vec<&StudyRun> {
        self.runs.iter().filter(|r| keep(r)).collect()
    }

    /// Spearman's rank correlation between metrics `a` and `b`, one value
    /// per seed (in [`StudyConfig::seeds`] order), over that seed's runs
    /// (every width and optimizer). Ties share their mean rank; NaN where
    /// a metric is constant over the seed's runs.
    pub fn spearman_by_seed(&self, a: Metric, b: Metric) -> Vec<f64> {
        self.config
            .seeds
            .iter()
            .map(|&s| self.spearman_of(&self.runs_where(|r| r.seed == s), a, b))
            .collect()
    }

    /// The same over the runs of one width only: one value per seed, over
    /// that seed's optimizers at `width`.
    pub fn spearman_by_seed_at(&self, width: usize, a: Metric, b: Metric) -> Vec<f64> {
        self.config
            .seeds
            .iter()
            .map(|&s| self.spearman_of(&self.runs_where(|r| r.seed == s && r.width == width), a, b))
            .collect()
    }

    /// Spearman's rank correlation between `a` and `b` over every run of the
    /// study pooled (seeds, widths and optimizers together).
    pub fn spearman_pooled(&self, a: Metric, b: Metric) -> f64 {
        self.spearman_of(&self.runs_where(|_| true), a, b)
    }

    fn spearman_of(&self, runs: &[&StudyRun], a: Metric, b: Metric) -> f64 {
        let va: Vec<f64> = runs.iter().map(|r| r.metric(a)).collect();
        let vb: Vec<f64> = runs.iter().map(|r| r.metric(b)).collect();
        spearman(&average_ranks(&va, false), &average_ranks(&vb, false))
    }

    /// Spearman's rank correlation between `a` and `b` over the runs of one
    /// optimizer (index into [`GeneralizationStudy::optimizers`]), every
    /// seed and width pooled.
    pub fn spearman_for_optimizer(&self, optimizer: usize, a: Metric, b: Metric) -> f64 {
        self.spearman_of(&self.runs_where(|r| r.optimizer_index == optimizer), a, b)
    }

    /// The same study without the runs of one optimizer (index into
    /// [`GeneralizationStudy::optimizers`]), the others renumbered: a
    /// question asked of the remaining optimizers without running them again.
    pub fn without_optimizer(&self, optimizer: usize) -> Self {
        let mut out = self.clone();
        if optimizer >= self.optimizers.len() {
            return out;
        }
        out.optimizers.remove(optimizer);
        out.config.specs.remove(optimizer);
        out.runs.retain(|r| r.optimizer_index != optimizer);
        for r in &mut out.runs {
            if r.optimizer_index > optimizer {
                r.optimizer_index -= 1;
            }
        }
        out
    }

    /// Per optimizer (in [`GeneralizationStudy::optimizers`] order), the
    /// spread of `metric` over all its runs (seeds and widths pooled).
    pub fn pooled(&self, metric: Metric) -> Vec<Spread> {
        (0..self.optimizers.len())
            .map(|i| {
                let v: Vec<f64> = self
                    .runs_where(|r| r.optimizer_index == i)
                    .iter()
                    .map(|r| r.metric(metric))
                    .collect();
                Spread::of(&v)
            })
            .collect()
    }

    /// Per optimizer, how many of its runs end with a test loss above
    /// `ln 2`, the loss of the network that predicts ½ everywhere.
    pub fn worse_than_chance(&self) -> Vec<usize> {
        (0..self.optimizers.len())
            .map(|i| {
                self.runs_where(|r| r.optimizer_index == i && r.test_loss > std::f64::consts::LN_2)
                    .len()
            })
            .collect()
    }

    /// Per optimizer and width, the spread of the metrics over the seeds,
    /// width outermost.
    pub fn summaries(&self) -> Vec<OptimizerSummary> {
        let mut out = Vec::new();
        for &w in &self.config.widths {
            for (i, name) in self.optimizers.iter().enumerate() {
                let runs = self.runs_where(|r| r.width == w && r.optimizer_index == i);
                let sp =
                    |m: Metric| Spread::of(&runs.iter().map(|r| r.metric(m)).collect::<Vec<_>>());
                out.push(OptimizerSummary {
                    optimizer: name.clone(),
                    width: w,
                    train_loss: sp(Metric::TrainLoss),
                    test_loss: sp(Metric::TestLoss),
                    test_accuracy: sp(Metric::TestAccuracy),
                    lambda_max: sp(Metric::LambdaMax),
                });
            }
        }
        out
    }

    /// In each (seed, width) cell, whether the optimizer with the lowest
    /// training loss also had the lowest test loss (or the highest).
    pub fn winner_agreement(&self) -> WinnerAgreement {
        let mut agreement = WinnerAgreement {
            cells: 0,
            same: 0,
            worst: 0,
        };
        for &s in &self.config.seeds {
            for &w in &self.config.widths {
                let cell = self.runs_where(|r| r.seed == s && r.width == w);
                let by = |m: Metric, max: bool| {
                    cell.iter()
                        .map(|r| (r.optimizer_index, r.metric(m)))
                        .reduce(|a, b| {
                            let better = if max { b.1 > a.1 } else { b.1 < a.1 };
                            if better {
                                b
                            } else {
                                a
                            }
                        })
                        .map(|(i, _)| i)
                };
                let Some(best_train) = by(Metric::TrainLoss, false) else {
                    continue;
                };
                agreement.cells += 1;
                if by(Metric::TestLoss, false) == Some(best_train) {
                    agreement.same += 1;
                }
                if by(Metric::TestLoss, true) == Some(best_train) {
                    agreement.worst += 1;
                }
            }
        }
        agreement
    }

    /// How many times each optimizer (in [`GeneralizationStudy::optimizers`]
    /// order) had the lowest value of `metric` in a (seed, width) cell.
    pub fn wins(&self, metric: Metric) -> Vec<usize> {
        let mut wins = vec![0; self.optimizers.len()];
        for &s in &self.config.seeds {
            for &w in &self.config.widths {
                let best = self
                    .runs_where(|r| r.seed == s && r.width == w)
                    .into_iter()
                    .map(|r| (r.optimizer_index, r.metric(metric)))
                    .reduce(|a, b| if b.1 < a.1 { b } else { a });
                if let Some((i, _)) = best {
                    wins[i] += 1;
                }
            }
        }
        wins
    }
}

impl fmt::Display for GeneralizationStudy {
    /// The per-optimizer table: medians over the seeds, with the
    /// interquartile range of the test loss.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:>2} {:<10} {:>10} {:>10} {:>14} {:>9} {:>9}",
            "h", "optimizer", "train loss", "test loss", "test loss IQR", "test acc", "λmax"
        )?;
        for s in self.summaries() {
            writeln!(
                f,
                "{:>2} {:<10} {:>10.3} {:>10.3} {:>14.3} {:>8.1}% {:>9.3}",
                s.width,
                s.optimizer,
                s.train_loss.median,
                s.test_loss.median,
                s.test_loss.iqr(),
                100.0 * s.test_accuracy.median,
                s.lambda_max.median
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::race::{OptimizerKind, OptimizerSpec};

    #[test]
    fn spread_interpolates_quartiles_and_skips_nan() {
        let s = Spread::of(&[4.0, 1.0, f64::NAN, 3.0, 2.0]);
        assert_eq!(s.n, 4);
        assert_eq!((s.min, s.max), (1.0, 4.0));
        assert_eq!(s.median, 2.5);
        assert_eq!((s.q1, s.q3), (1.75, 3.25));
        assert_eq!(s.iqr(), 1.5);
        assert!(Spread::of(&[f64::NAN]).median.is_nan());
    }

    fn small() -> StudyConfig {
        let mut c = StudyConfig::chapter();
        c.n_test = 200;
        c.widths = vec![2, 3];
        c.seeds = vec![0, 1];
        c.race.max_iters = 20;
        c.specs = vec![
            OptimizerSpec::new(OptimizerKind::Gd),
            OptimizerSpec::new(OptimizerKind::GgnLm),
        ];
        c
    }

    #[test]
    fn study_measures_every_run() {
        let st = generalization_study(&small()).unwrap();
        assert_eq!(st.runs.len(), 8);
        for r in &st.runs {
            assert_eq!(st.optimizers, ["GD", "GGN-LM"]);
            assert!(r.train_loss.is_finite() && r.test_loss.is_finite());
            assert!((0.0..=1.0).contains(&r.test_accuracy));
            assert!(r.lambda_max.is_finite());
        }
        // The same problem and start give the same train loss as a fresh evaluation.
        let rho = st.spearman_by_seed(Metric::TrainLoss, Metric::TrainLoss);
        assert_eq!(rho, vec![1.0, 1.0]);
        let a = st.winner_agreement();
        assert_eq!(a.cells, 4);
        assert!(a.same <= 4 && a.worst <= 4);
        assert_eq!(st.wins(Metric::TrainLoss).iter().sum::<usize>(), 4);
        assert_eq!(st.summaries().len(), 4);
        assert!(st.to_string().lines().count() == 5);
        let gd = st.without_optimizer(1);
        assert_eq!(gd.optimizers, ["GD"]);
        assert_eq!(gd.runs.len(), 4);
        assert!(gd
            .runs
            .iter()
            .all(|r| r.optimizer_index == 0 && r.optimizer == "GD"));
        assert_eq!(st.without_optimizer(5), st);
        assert_eq!(st.pooled(Metric::TestLoss).len(), 2);
        assert_eq!(st.worse_than_chance().len(), 2);
        assert!(st.runs.iter().all(|r| r.test_loss_se > 0.0));
    }

    #[test]
    fn bad_configs_are_errors() {
        let mut c = small();
        c.seeds.clear();
        assert!(generalization_study(&c).is_err());
        let mut c = small();
        c.n_train = 0;
        assert!(generalization_study(&c).is_err());
    }
}
