//! The memory of each optimizer's curvature state, computed from the data
//! structures it builds, and what it implies for the largest dense network.

use super::loglog::fit_loglog;
use super::model::{NetworkFamily, LBFGS_MEMORY};
use super::results::Memory;
use crate::data::Dataset;
use crate::mlp::Mlp;
use crate::race::OptimizerKind;

/// Bytes of one `f64`.
const F64: f64 = 8.0;

/// `Σ_l (n_{l−1}+1)² + n_l²`: the entries of K-FAC's factors `A_l`, `G_l`.
pub fn kfac_factor_entries(mlp: &Mlp) -> f64 {
    let w = mlp.widths();
    (0..mlp.num_layers())
        .map(|l| ((w[l] + 1).pow(2) + w[l + 1].pow(2)) as f64)
        .sum()
}

/// The memory of `kind`'s curvature state on `mlp` with `n_examples`
/// examples, computed from the data structures it builds (`f64` entries ×
/// 8 bytes, `D` = [`Mlp::num_params`]):
///
/// | kind | state | peak (temporaries of this crate and argmin) |
/// |---|---|---|
/// | GD | `D` (the step) | `D` |
/// | Adam | `2D` (moments) | `3D` |
/// | L-BFGS | `2mD + m` | `2mD + m + 2D` |
/// | BFGS | `D²` (inverse Hessian) | `8D²` (argmin's update builds seven `D × D` temporaries) |
/// | Newton | `D²` | `4D²` (Cholesky copy, factor, its transpose) |
/// | GGN | `D² + ND` (`G` and `J`) | `4D² + 2ND` |
/// | Hessian-free | `6D` (CG's `x, Ax, r, d, Ad` and the warm start) | `7D` |
/// | K-FAC | `Σ_l (n_{l−1}+1)² + n_l²` | twice that (eigenvectors) `+ 3D` |
///
/// The kinds outside the study's eight, by the same reading: the
/// stochastic L-BFGS variants as L-BFGS, the stochastic BFGS variants `D²`
/// (`3D²` at peak, their update is in place), saddle-free Newton, argmin's
/// Newton and trust region and condition-adaptive GD the dense Hessian of
/// Newton, steepest descent `D` (`3D` with its line search's trial point).
/// The match names every kind, so a new optimizer must be given its own
/// entry before the crate compiles.
pub fn curvature_memory(kind: OptimizerKind, mlp: &Mlp, n_examples: usize) -> Memory {
    use OptimizerKind as K;
    let d = mlp.num_params() as f64;
    let n = n_examples as f64;
    let m = LBFGS_MEMORY as f64;
    let (state, peak) = match kind {
        K::Gd | K::Momentum | K::Nesterov | K::Langevin => (d, d),
        // the search direction, and the trial point and its gradient
        K::SteepestDescent => (d, 3.0 * d),
        K::Adam | K::RmsProp => (2.0 * d, 3.0 * d),
        K::Lbfgs | K::Slbfgs | K::Olbfgs => (2.0 * m * d + m, 2.0 * m * d + m + 2.0 * d),
        K::Bfgs => (d * d, 8.0 * d * d),
        // the crate's own update works in place on the inverse estimate
        K::Sbfgs | K::Obfgs => (d * d, 3.0 * d * d),
        // a dense Hessian, its factor or eigenvectors, and their transpose
        K::Newton | K::SaddleFree | K::ArgminNewton | K::TrustRegion | K::AdaptiveGd => {
            (d * d, 4.0 * d * d)
        }
        K::Ggn | K::GgnLm => (d * d + n * d, 4.0 * d * d + 2.0 * n * d),
        K::HessianFree | K::HessianFreeLm => (6.0 * d, 7.0 * d),
        K::Kfac | K::KfacLm => {
            let f = kfac_factor_entries(mlp);
            (f, 2.0 * f + 3.0 * d)
        }
    };
    Memory {
        state_bytes: F64 * state,
        peak_bytes: F64 * peak,
    }
}

/// Bytes of a dense `D × D` f64 matrix, `8 D²`.
pub fn dense_bytes(d: f64) -> f64 {
    F64 * d * d
}

/// The log-log slope of `kind`'s curvature-state bytes against `D` over the
/// widths `widths` of `family`, from [`curvature_memory`] alone (no run).
pub fn memory_slope(kind: OptimizerKind, family: NetworkFamily, widths: &[usize]) -> Option<f64> {
    let pts: Vec<(f64, f64)> = widths
        .iter()
        .filter_map(|&h| {
            let mlp = Mlp::with_hidden(&family.hidden(h)).ok()?;
            let bytes = curvature_memory(kind, &mlp, Dataset::separable().len()).state_bytes;
            Some((mlp.num_params() as f64, bytes))
        })
        .collect();
    fit_loglog(&pts).map(|f| f.slope)
}

/// The largest width `h` of `family` whose dense `D × D` f64 matrix
/// ([`dense_bytes`]) fits in `bytes` (0 if none does).
pub fn max_dense_width(family: NetworkFamily, bytes: f64) -> usize {
    let mut h = 0;
    while dense_bytes(family.dim(h + 1) as f64) <= bytes {
        h += 1;
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::curvature::{CurvatureProducts, FisherKind, KfacCurvature};
    use crate::problem::XorProblem;
    use argmin::core::Hessian;

    #[test]
    fn memory_formulas_match_the_data_structures() {
        let data = Dataset::separable();
        let n = data.len();
        for hidden in [vec![3], vec![4, 5]] {
            let problem = XorProblem::full(data.clone(), &hidden).unwrap();
            let mlp = problem.mlp().clone();
            let d = mlp.num_params();
            let p = mlp.init(1);
            let mem = |k| curvature_memory(k, &mlp, n).state_bytes;
            let h = Hessian::hessian(&problem, &p).unwrap();
            assert_eq!(mem(OptimizerKind::Newton), 8.0 * h.len() as f64);
            let g = CurvatureProducts::ggn(&problem, &p).unwrap();
            let j = problem.output_jacobian(&p).unwrap();
            assert_eq!(mem(OptimizerKind::Ggn), 8.0 * (g.len() + j.len()) as f64);
            let f = KfacCurvature::kfac_factors(&problem, &p, FisherKind::Exact).unwrap();
            let entries: usize = f.layers.iter().map(|l| l.a.len() + l.g.len()).sum();
            assert_eq!(mem(OptimizerKind::Kfac), 8.0 * entries as f64);
            assert_eq!(mem(OptimizerKind::Bfgs), 8.0 * (d * d) as f64);
            assert_eq!(mem(OptimizerKind::Lbfgs), 8.0 * (20 * d + 10) as f64);
            assert_eq!(mem(OptimizerKind::Gd), 8.0 * d as f64);
            assert_eq!(mem(OptimizerKind::Adam), 16.0 * d as f64);
            assert_eq!(mem(OptimizerKind::HessianFree), 48.0 * d as f64);
            for &k in OptimizerKind::ALL {
                let m = curvature_memory(k, &mlp, n);
                assert!(m.peak_bytes >= m.state_bytes, "{k}");
            }
        }
        // by hand: 2-3-1 has D = 13; K-FAC's factors are 3×3, 3×3, 4×4, 1×1
        let mlp = Mlp::with_hidden(&[3]).unwrap();
        let k = curvature_memory(OptimizerKind::Kfac, &mlp, 100);
        assert_eq!(k.state_bytes, 8.0 * 35.0);
        assert_eq!(dense_bytes(1e3), 8e6);
        assert_eq!(dense_bytes(1e9), 8e18);
    }

    #[test]
    fn memory_slopes_are_the_exponents() {
        let slope = |k, f: NetworkFamily| {
            let pts: Vec<(f64, f64)> = [1000, 2000, 4000, 8000]
                .iter()
                .map(|&h| {
                    let mlp = Mlp::with_hidden(&f.hidden(h)).unwrap();
                    (
                        mlp.num_params() as f64,
                        curvature_memory(k, &mlp, 100).state_bytes,
                    )
                })
                .collect();
            fit_loglog(&pts).unwrap().slope
        };
        use OptimizerKind as K;
        for k in [K::Gd, K::Adam, K::Lbfgs, K::HessianFree] {
            assert!((slope(k, NetworkFamily::Deep) - 1.0).abs() < 1e-3);
        }
        for k in [K::Bfgs, K::Newton] {
            assert!((slope(k, NetworkFamily::Shallow) - 2.0).abs() < 1e-3);
        }
        assert!((slope(K::Kfac, NetworkFamily::Shallow) - 2.0).abs() < 0.01);
        assert!((slope(K::Kfac, NetworkFamily::Deep) - 1.0).abs() < 0.01);
    }

    #[test]
    fn dense_width_limits() {
        // 24 GiB: D ≤ 56 755; 2-235-235-1 has D = 56 401, 2-236-236-1 has 56 877
        let gib24 = 24.0 * (1u64 << 30) as f64;
        assert_eq!(max_dense_width(NetworkFamily::Deep, gib24), 235);
        assert_eq!(NetworkFamily::Deep.dim(235), 56_401);
        assert_eq!(
            max_dense_width(NetworkFamily::Shallow, dense_bytes(17.0)),
            4
        );
        assert_eq!(max_dense_width(NetworkFamily::Shallow, 1.0), 0);
        let s = memory_slope(OptimizerKind::Bfgs, NetworkFamily::Deep, &[100, 200, 300]).unwrap();
        assert!((s - 2.0).abs() < 1e-9);
    }
}
