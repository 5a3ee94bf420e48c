//! Log-log fits of the measured points: the slopes against the theory, with
//! a note on each deviation, and where Newton's solve overtakes forming `H`.

use std::fmt::Write as _;

use super::loglog::{fit_loglog, upper_range};
use super::model::{form_work, solve_work, theory, NetworkFamily, Provenance};
use super::results::{Crossover, ScalingPoint, ScalingStudy, SlopeRow};
use crate::race::OptimizerKind;

impl ScalingStudy {
    pub(super) fn fit_slopes(&self) -> Vec<SlopeRow> {
        let mut rows = Vec::new();
        for family in NetworkFamily::ALL {
            for spec in &self.config.optimizers {
                let measured: Vec<&ScalingPoint> = self
                    .series(&spec.label, family)
                    .into_iter()
                    .filter(|p| p.provenance == Provenance::Measured)
                    .collect();
                let time: Vec<(f64, f64)> = measured
                    .iter()
                    .map(|p| (p.dim as f64, p.seconds_per_iter))
                    .collect();
                let upper = upper_range(&time);
                let upper_dims: Vec<f64> = upper.iter().map(|p| p.0).collect();
                let model: Vec<(f64, f64)> = measured
                    .iter()
                    .filter(|p| upper_dims.contains(&(p.dim as f64)))
                    .map(|p| (p.dim as f64, p.work.total()))
                    .collect();
                let memory: Vec<(f64, f64)> = measured
                    .iter()
                    .map(|p| (p.dim as f64, p.memory.state_bytes))
                    .collect();
                let mut row = SlopeRow {
                    optimizer: spec.label.clone(),
                    kind: spec.kind,
                    family,
                    measured: measured.len(),
                    time_upper: fit_loglog(&upper),
                    time_all: fit_loglog(&time),
                    theory_range: fit_loglog(&model).map(|f| f.slope),
                    theory_asymptotic: theory(spec.kind, family).1,
                    memory: fit_loglog(&memory),
                    note: String::new(),
                };
                let cg = measured.last().map(|p| p.counts.curvature);
                row.note = deviation_note(&row, cg);
                rows.push(row);
            }
        }
        rows
    }

    pub(super) fn newton_crossover(&self, family: NetworkFamily, n: usize) -> Option<Crossover> {
        let newton = self
            .config
            .optimizers
            .iter()
            .find(|s| s.kind == OptimizerKind::Newton)?;
        let pts: Vec<(f64, f64, f64)> = self
            .series(&newton.label, family)
            .into_iter()
            .filter(|p| p.provenance == Provenance::Measured)
            .filter_map(|p| Some((p.dim as f64, p.form_seconds?, p.solve_seconds?)))
            .filter(|(_, f, s)| *f > 0.0 && *s > 0.0)
            .collect();
        let &(d_top, f_top, s_top) = pts.last()?;
        let form_rate = f_top / form_work(d_top, n as f64);
        let solve_rate = s_top / solve_work(d_top);
        // Measured only if the solve leads at the largest measured size; then
        // the last place where it took the lead (timing noise can make the
        // curves touch earlier).
        let crossing = pts
            .windows(2)
            .rev()
            .take_while(|_| s_top >= f_top)
            .find_map(|w| {
                let (r0, r1) = ((w[0].2 / w[0].1).ln(), (w[1].2 / w[1].1).ln());
                (r0 < 0.0 && r1 >= 0.0).then(|| {
                    let t = -r0 / (r1 - r0);
                    (w[0].0.ln() + t * (w[1].0.ln() - w[0].0.ln())).exp()
                })
            });
        let (dim, provenance) = match crossing {
            Some(d) => (d, Provenance::Measured),
            None => {
                // c_f N D² = c_s (D³/6 + D²)  ⇒  D = 6 (c_f N / c_s − 1)
                let d = 6.0 * (form_rate * n as f64 / solve_rate - 1.0);
                (d.max(1.0), Provenance::Extrapolated)
            }
        };
        Some(Crossover {
            family,
            dim,
            width: family.width_for_dim(dim),
            provenance,
            form_rate,
            solve_rate,
        })
    }
}

/// Where and why a measured time slope departs from the theory.
fn deviation_note(r: &SlopeRow, cg_products: Option<f64>) -> String {
    let (Some(top), Some(model)) = (r.time_upper, r.theory_range) else {
        return "too few measured points to fit a slope".into();
    };
    let gap = top.slope - model;
    let all = r.time_all.map_or(top.slope, |f| f.slope);
    let range = format!(
        "top {} sizes, D = {:.0}–{:.0}",
        top.points, top.x_min, top.x_max
    );
    let mut note = if gap.abs() <= 0.3 {
        format!("agrees with the model's {model:.2} ({range})")
    } else if gap < 0.0 {
        let why = if all < top.slope - 0.15 {
            "fixed per-iteration overhead (argmin's executor, allocations, the line search's \
             bookkeeping) still weighs here: the slope over every point is lower still"
        } else if r.theory_asymptotic >= 2.0 {
            "large dense products run faster per multiply-add than small ones (BLAS blocks \
             them), so time grows slower than the count"
        } else {
            "overhead that does not grow with D"
        };
        format!("flatter than the model's {model:.2} ({range}): {why}")
    } else {
        format!(
            "steeper than the model's {model:.2} ({range}): the working set leaves the caches \
             and the machine is shared, so each multiply-add costs more at large D"
        )
    };
    use OptimizerKind as K;
    match (r.kind, r.family) {
        (K::Bfgs, _) => note.push_str(
            "; argmin's BFGS forms its update with two dense D × D products (D³), where the \
             textbook rank-two update is D²",
        ),
        (K::HessianFree, _) => {
            if let Some(k) = cg_products {
                let _ = write!(
                    note,
                    "; {k:.0} GGN-vector products per iteration at the largest measured size"
                );
            }
        }
        (K::Kfac, NetworkFamily::Shallow) => note.push_str(
            "; one wide layer: its h × h factors make K-FAC's eigendecompositions cubic in D",
        ),
        (K::Kfac, NetworkFamily::Deep) => {
            note.push_str("; at width h the factors are h × h while D ≈ h²: n³ ≈ D^1.5")
        }
        (K::Newton | K::Ggn, _) => note.push_str(
            "; forming (N D²) dominates until D ≈ 6N × (form rate / solve rate), then the D³ \
             solve takes over",
        ),
        _ => {}
    }
    note
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slope_fit_is_exact_on_power_laws() {
        for (a, b) in [(3.0, 1.0), (1e-9, 2.0), (0.5, 3.0), (7.0, 1.5), (2.0, -0.5)] {
            let pts: Vec<(f64, f64)> = [9.0, 33.0, 129.0, 1025.0, 100_001.0]
                .iter()
                .map(|&x: &f64| (x, a * x.powf(b)))
                .collect();
            let f = fit_loglog(&pts).unwrap();
            assert!((f.slope - b).abs() < 1e-12, "{b}: {}", f.slope);
            assert!((f.at(50.0) / (a * 50f64.powf(b)) - 1.0).abs() < 1e-10);
            assert_eq!((f.points, f.x_min, f.x_max), (5, 9.0, 100_001.0));
        }
        // non-positive values are skipped, too few points give None
        let f = fit_loglog(&[(1.0, 2.0), (2.0, 8.0), (3.0, 0.0), (-1.0, 1.0)]).unwrap();
        assert!((f.slope - 2.0).abs() < 1e-12 && f.points == 2);
        assert!(fit_loglog(&[(1.0, 1.0)]).is_none());
        assert!(fit_loglog(&[(2.0, 1.0), (2.0, 3.0)]).is_none());
        // the upper range keeps the largest x
        let pts: Vec<(f64, f64)> = (1..=8).rev().map(|i| (i as f64, 1.0)).collect();
        let up = upper_range(&pts);
        assert_eq!(
            up.iter().map(|p| p.0).collect::<Vec<_>>(),
            [5.0, 6.0, 7.0, 8.0]
        );
        assert_eq!(upper_range(&pts[..2]).len(), 2);
    }
}
