//! Wall time to a target loss on the `2-h-1` networks, each run's iteration
//! limit set from the study's predicted time per iteration.

use super::memory::curvature_memory;
use super::model::{iteration_work, NetworkFamily, Provenance};
use super::results::{ScalingStudy, TargetRun};
use crate::data::Dataset;
use crate::error::Result;
use crate::mlp::Mlp;
use crate::problem::XorProblem;
use crate::race::{run, RaceConfig};

impl ScalingStudy {
    pub(super) fn time_to_target(&self, data: &Dataset) -> Result<Vec<TargetRun>> {
        let cfg = &self.config;
        let mut out = Vec::new();
        for &h in &cfg.target_widths {
            let problem = XorProblem::full(data.clone(), &[h])?;
            let mlp = problem.mlp().clone();
            let start = mlp.init(cfg.seed);
            for spec in &cfg.optimizers {
                let per_iter =
                    self.predict_seconds(&spec.label, NetworkFamily::Shallow, &mlp, data.len());
                let memory = curvature_memory(spec.kind, &mlp, data.len());
                let iters = (cfg.target_cap_seconds / per_iter).floor().min(500.0);
                let mut run_out = TargetRun {
                    optimizer: spec.label.clone(),
                    width: h,
                    dim: mlp.num_params(),
                    max_iters: 0,
                    iterations: None,
                    seconds: None,
                    final_loss: f64::NAN,
                    stop: String::new(),
                };
                if memory.peak_bytes > cfg.budget.bytes || iters.is_nan() || iters < 1.0 {
                    run_out.stop = format!(
                        "not run: one iteration exceeds the cap ({})",
                        crate::fmt::seconds(per_iter)
                    );
                    out.push(run_out);
                    continue;
                }
                let race_cfg = RaceConfig {
                    max_iters: iters as u64,
                    // the study keeps its own memory budget (`Budget::bytes`)
                    max_dense_bytes: u64::MAX,
                    ..RaceConfig::default()
                };
                let trace = run(&problem, &start, spec, &race_cfg);
                run_out.max_iters = race_cfg.max_iters;
                run_out.iterations = trace.iterations_to(cfg.target_loss);
                run_out.seconds = run_out
                    .iterations
                    .and_then(|k| trace.elapsed_ms.get(k))
                    .map(|ms| ms * 1e-3);
                run_out.final_loss = trace.final_loss();
                run_out.stop = trace.stop.short();
                out.push(run_out);
            }
        }
        Ok(out)
    }

    /// Predicted seconds per iteration of an optimizer on `mlp`: the measured
    /// point at that size if there is one, else the calibrated model of the
    /// nearest measured size of `family`.
    fn predict_seconds(&self, optimizer: &str, family: NetworkFamily, mlp: &Mlp, n: usize) -> f64 {
        let series = self.series(optimizer, family);
        if let Some(p) = series
            .iter()
            .find(|p| p.dim == mlp.num_params() && p.provenance == Provenance::Measured)
        {
            return p.seconds_per_iter;
        }
        let nearest = series
            .iter()
            .filter(|p| p.provenance == Provenance::Measured)
            .min_by(|a, b| {
                let da = (a.dim as f64 / mlp.num_params() as f64).ln().abs();
                let db = (b.dim as f64 / mlp.num_params() as f64).ln().abs();
                da.total_cmp(&db)
            });
        match nearest {
            Some(p) => {
                let w = iteration_work(p.kind, mlp, n, &p.counts).total();
                p.seconds_per_iter / p.work.total() * w
            }
            None => f64::INFINITY,
        }
    }
}
