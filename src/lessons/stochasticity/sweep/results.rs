//! What a sweep measured: [`SweepCell`], [`MethodSweep`], [`BatchSweep`],
//! and their tables (text, HTML, heat tables).

use std::fmt;

use ndarray::Array2;
use serde::{Deserialize, Serialize};

use super::super::heat_table::HeatTable;
use crate::lessons::stochasticity::Spread;
use crate::race::OptimizerKind;
use crate::report::{aligned_row, html_table, show_html, Align};

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

    /// The table as a [`HeatTable`] for [`heat_table_figure`](crate::lessons::stochasticity::heat_table_figure):
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
            columns: self.values.iter().map(|v| crate::fmt::param(*v)).collect(),
            values,
            labels,
            marked,
            best,
            colour_max: None,
        }
    }
}

/// The result of [`batch_damping_sweep`](crate::lessons::stochasticity::batch_damping_sweep). `Display` gives the table of the
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

    /// Every method's heat table, for [`heat_table_figure`](crate::lessons::stochasticity::heat_table_figure),
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
                        Some(c) => format!("{} → {:.4}", crate::fmt::param(c.value), c.median()),
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
            .chain(self.values.iter().map(|&v| crate::fmt::param(v)))
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

#[cfg(test)]
mod tests {
    use super::*;

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
