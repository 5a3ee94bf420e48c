//! The study's results for people: text tables, CSV, the log-log figure,
//! and the formatting of seconds, durations and bytes.

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use super::figures::{scaling_figure, ScalingMark, ScalingPanel, ScalingSeries};
use super::model::{theory, NetworkFamily, Provenance};
use super::results::ScalingStudy;
use crate::error::{Error, Result};
use crate::plot::{self, Figure};

impl ScalingStudy {
    /// The points as a text table (one line per point).
    pub fn points_table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{:<13} {:<8} {:>6} {:>8} {:>12} {:>10} {:>10} {:>10}  {:<12} counts/iter (loss grad hess curv solve)",
            "optimizer", "family", "h", "D", "s/iter", "form s", "solve s", "state", "provenance"
        );
        for p in &self.points {
            let opt = |v: Option<f64>| v.map_or("-".to_string(), crate::fmt::seconds);
            let c = &p.counts;
            let _ = writeln!(
                s,
                "{:<13} {:<8} {:>6} {:>8} {:>12} {:>10} {:>10} {:>10}  {:<12} {:.1} {:.1} {:.1} {:.1} {:.1}{}",
                p.optimizer,
                p.family.label(),
                p.width,
                p.dim,
                crate::fmt::seconds(p.seconds_per_iter),
                opt(p.form_seconds),
                opt(p.solve_seconds),
                crate::fmt::bytes(p.memory.state_bytes),
                provenance_label(p.provenance),
                c.cost,
                c.gradient,
                c.hessian,
                c.curvature,
                c.linear_solve,
                if p.note.is_empty() { String::new() } else { format!("  ({})", p.note) }
            );
        }
        s
    }

    /// The slopes beside the theory, with a note for each deviation.
    pub fn slopes_table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{:<13} {:<8} {:>4}  {:>9} {:>9} {:>9} {:>6}  {:>7}  theory (time; memory)",
            "optimizer", "family", "pts", "time, top", "time, all", "model", "asym", "memory"
        );
        let f = |v: Option<f64>| v.map_or("-".to_string(), |x| format!("{x:.2}"));
        for r in &self.slopes {
            let (t, _, m) = theory(r.kind, r.family);
            let _ = writeln!(
                s,
                "{:<13} {:<8} {:>4}  {:>9} {:>9} {:>9} {:>6.1}  {:>7}  {t}; {m}",
                r.optimizer,
                r.family.label(),
                r.measured,
                f(r.time_upper.map(|x| x.slope)),
                f(r.time_all.map(|x| x.slope)),
                f(r.theory_range),
                r.theory_asymptotic,
                f(r.memory.map(|x| x.slope)),
            );
            let _ = writeln!(s, "{:<13}   → {}", "", r.note);
        }
        s
    }

    /// Newton's crossovers as text.
    pub fn crossover_text(&self) -> String {
        let mut s = String::new();
        for c in &self.crossovers {
            let _ = writeln!(
                s,
                "Newton, {}: the solve overtakes forming H at D ≈ {:.0} (h ≈ {:.0}), {}; \
                 forming runs at {:.2} ns and the solve at {:.2} ns per multiply-add",
                c.family.label(),
                c.dim,
                c.width,
                match c.provenance {
                    Provenance::Measured => "measured (between two measured sizes)",
                    _ => "extrapolated from the calibrated models",
                },
                c.form_rate * 1e9,
                c.solve_rate * 1e9,
            );
        }
        s
    }

    /// Time to the target loss as a text table.
    pub fn targets_table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "time to loss {} on 2-h-1 (cap {} per run)",
            self.config.target_loss,
            crate::fmt::seconds(self.config.target_cap_seconds)
        );
        let _ = writeln!(
            s,
            "{:<13} {:>5} {:>7} {:>10} {:>11} {:>10}  stop",
            "optimizer", "h", "D", "iters", "seconds", "final loss"
        );
        for t in &self.targets {
            let _ = writeln!(
                s,
                "{:<13} {:>5} {:>7} {:>10} {:>11} {:>10.4}  {}",
                t.optimizer,
                t.width,
                t.dim,
                t.iterations.map_or("-".into(), |k| k.to_string()),
                t.seconds.map_or("-".into(), crate::fmt::seconds),
                t.final_loss,
                t.stop
            );
        }
        s
    }

    /// The points as CSV (one row per point; extrapolated rows say so in
    /// `provenance`).
    ///
    /// # Errors
    /// [`Error::InvalidData`] if serialisation fails.
    pub fn to_csv(&self) -> Result<String> {
        #[derive(Serialize)]
        struct Row<'a> {
            optimizer: &'a str,
            family: &'a str,
            width: usize,
            dim: usize,
            provenance: &'a str,
            seconds_per_iter: f64,
            form_seconds: Option<f64>,
            solve_seconds: Option<f64>,
            state_bytes: f64,
            peak_bytes: f64,
            cost_per_iter: f64,
            gradient_per_iter: f64,
            hessian_per_iter: f64,
            curvature_per_iter: f64,
            solves_per_iter: f64,
            model_work: f64,
            note: &'a str,
        }
        let mut w = csv::Writer::from_writer(Vec::new());
        for p in &self.points {
            let c = &p.counts;
            w.serialize(Row {
                optimizer: &p.optimizer,
                family: p.family.label(),
                width: p.width,
                dim: p.dim,
                provenance: provenance_label(p.provenance),
                seconds_per_iter: p.seconds_per_iter,
                form_seconds: p.form_seconds,
                solve_seconds: p.solve_seconds,
                state_bytes: p.memory.state_bytes,
                peak_bytes: p.memory.peak_bytes,
                cost_per_iter: c.cost,
                gradient_per_iter: c.gradient,
                hessian_per_iter: c.hessian,
                curvature_per_iter: c.curvature,
                solves_per_iter: c.linear_solve,
                model_work: p.work.total(),
                note: &p.note,
            })
            .map_err(|e| Error::InvalidData(e.to_string()))?;
        }
        let bytes = w
            .into_inner()
            .map_err(|e| Error::InvalidData(e.to_string()))?;
        String::from_utf8(bytes).map_err(|e| Error::InvalidData(e.to_string()))
    }

    /// Writes [`ScalingStudy::to_csv`] to `path` atomically.
    ///
    /// # Errors
    /// As [`ScalingStudy::to_csv`], or [`Error::Io`].
    pub fn write_csv(&self, path: impl AsRef<Path>) -> Result<()> {
        crate::report::write_atomic(path.as_ref(), self.to_csv()?.as_bytes())
    }

    /// The figure's four panels: time per iteration (theory dashed, the
    /// model through the largest measured size) and curvature memory, for
    /// each family; extrapolated points hollow.
    pub fn panels(&self) -> Vec<ScalingPanel> {
        let mut panels = Vec::new();
        for time in [true, false] {
            for family in NetworkFamily::ALL {
                let mut series = Vec::new();
                for spec in &self.config.optimizers {
                    let pts = self.series(&spec.label, family);
                    let marks: Vec<ScalingMark> = pts
                        .iter()
                        .filter(|p| p.provenance != Provenance::Failed)
                        .map(|p| ScalingMark {
                            x: p.dim as f64,
                            y: if time {
                                p.seconds_per_iter
                            } else {
                                p.memory.state_bytes
                            },
                            measured: p.provenance == Provenance::Measured,
                        })
                        .collect();
                    let theory_line = if time {
                        // The cost model, scaled through the largest measured point.
                        let top = pts
                            .iter()
                            .rev()
                            .find(|p| p.provenance == Provenance::Measured);
                        top.map(|t| {
                            let rate = t.seconds_per_iter / t.work.total();
                            pts.iter()
                                .map(|p| (p.dim as f64, rate * p.work.total()))
                                .collect()
                        })
                        .unwrap_or_default()
                    } else {
                        Vec::new()
                    };
                    series.push(ScalingSeries {
                        label: spec.label.clone(),
                        marks,
                        theory: theory_line,
                    });
                }
                panels.push(ScalingPanel {
                    title: format!(
                        "{}, {}",
                        if time {
                            "time per iteration"
                        } else {
                            "curvature memory"
                        },
                        family.label()
                    ),
                    y_label: if time { "seconds" } else { "bytes" }.into(),
                    budget: Some(if time {
                        self.config.budget.seconds_per_iter
                    } else {
                        self.config.budget.bytes
                    }),
                    series,
                });
            }
        }
        panels
    }

    /// The study's log-log figure as a PNG (see [`ScalingStudy::panels`]).
    ///
    /// # Errors
    /// As [`scaling_figure`].
    pub fn figure(&self, width: u32, height: u32) -> plot::Result<Figure> {
        scaling_figure(
            "The cost of curvature: per iteration, against the number of parameters D",
            &self.panels(),
            width,
            height,
        )
    }
}

/// `"measured"`, `"extrapolated"` or `"failed"`.
pub fn provenance_label(p: Provenance) -> &'static str {
    match p {
        Provenance::Measured => "measured",
        Provenance::Extrapolated => "extrapolated",
        Provenance::Failed => "failed",
    }
}
