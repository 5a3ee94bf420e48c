//! Chapter 16: Hessian-vector products and conjugate gradients — the two
//! pieces that make Hessian-free optimization work.
//!
//! # Three ways to get `H v`
//! On a full network ([`HvpPoint`], a `2-h-1` [`Mlp`](crate::mlp::Mlp) on
//! the separable XOR):
//! - **Pearlmutter's R-operator** ([`HvpPoint::r_op`], [`Mlp::hvp`](crate::mlp::Mlp::hvp)):
//!   differentiate the forward and backward passes along `v`; exact to
//!   round-off, about two gradients of work;
//! - **finite differences of gradients** ([`HvpPoint::finite_difference`]):
//!   `[∇L(θ + hv) − ∇L(θ)]/h` (one new gradient, truncation error `O(h)`)
//!   or `[∇L(θ + hv) − ∇L(θ − hv)]/(2h)` (two, `O(h²)`), both with a
//!   rounding error `≈ ε_mach ‖∇L‖ / h`: the U of the appendix chapter
//!   *Checking derivatives*, whose [`StepError`], [`log_steps`],
//!   [`log_log_slope`] and [`best_step`] this module re-exports;
//! - **the dense Hessian** times `v` ([`HvpPoint::dense_hessian`]), `N·D²`
//!   to form and `D²` to store: the reference, affordable only while `D` is
//!   small.
//!
//! [`hvp_accuracy`] measures the errors against the step, [`time_products`]
//! the cost against `D` (log-log slopes with the re-exported
//! [`fit_loglog`] of chapter 10).
//!
//! # Conjugate gradients on the Gauss–Newton system
//! [`GgnCg`] runs the crate's [`truncated_cg`] on `(G + λI) Δ = −∇L`, with
//! Gauss–Newton-vector products as Hessian-free does, and keeps every
//! iterate: the residual (governed by the whole spectrum of `G + λI`, not
//! only its condition number), the step length, the damped model's
//! decrease and the loss's actual change, beside the exact solve.
//!
//! # References
//! - B. A. Pearlmutter, *Fast exact multiplication by the Hessian*, Neural
//!   Computation 6(1), 1994.
//! - J. Martens, *Deep learning via Hessian-free optimization*, ICML 2010.
//! - J. Nocedal and S. J. Wright, *Numerical Optimization*, 2nd ed.,
//!   Springer 2006: §5.1 (CG and its convergence, (5.36)), §7.1 (truncated
//!   Newton), §8.1 (finite differences).
//! - J. R. Shewchuk, *An Introduction to the Conjugate Gradient Method
//!   Without the Agonizing Pain*, 1994.

mod cg;
mod figures;
mod products;

pub use super::checking_derivatives::{best_step, log_log_slope, log_steps, StepError};
pub use super::cost_of_curvature::{fit_loglog, SlopeFit};
pub use crate::solvers::{truncated_cg, CgOutcome, CgSettings, CgStop};
pub use cg::{cg_iterates, diagonal_residuals, geometric_spectrum, CgIterate, GgnCg};
pub use figures::{
    cg_spectrum_figure, hvp_error_chart, hvp_timing_chart, side_by_side, truncation_figure,
};
pub use products::{
    hvp_accuracy, relative_error, textbook_best_step, time_products, unit_directions, Difference,
    HvpAccuracy, HvpMethod, HvpPoint, HvpTimings, TimingRow,
};

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array1};

    #[test]
    fn differences_approach_the_r_operator() {
        let p = HvpPoint::shallow(3, 0).unwrap();
        let v = unit_directions(p.dim(), 1, 5).remove(0);
        let exact = p.r_op(&v).unwrap();
        let dense = p.dense_hessian().unwrap();
        use crate::linalg::FixedDot;
        assert!(relative_error(&dense.fdot(&v), &exact) < 1e-13);
        let c = p.finite_difference(&v, 1e-5, Difference::Central).unwrap();
        let f = p.finite_difference(&v, 1e-7, Difference::Forward).unwrap();
        assert!(relative_error(&c, &exact) < 1e-8);
        assert!(relative_error(&f, &exact) < 1e-5);
        assert!(p.finite_difference(&v, 0.0, Difference::Forward).is_err());
        assert!(p
            .finite_difference(&array![1.0], 1e-5, Difference::Forward)
            .is_err());
    }

    #[test]
    fn cg_iterates_match_a_direct_solve() {
        let d = array![1.0, 2.0, 5.0, 10.0];
        let b = Array1::from_elem(4, 1.0);
        let res = diagonal_residuals(&d, &b, 4).unwrap();
        assert_eq!(res.len(), 5);
        assert_eq!(res[0], 1.0);
        assert!(res[4] < 1e-12, "{res:?}");
        assert!(diagonal_residuals(&d, &array![1.0], 2).is_err());
        let g = geometric_spectrum(1.0, 100.0, 3);
        assert!((g[1] - 10.0).abs() < 1e-12);
    }

    #[test]
    fn cg_steps_grow_and_the_model_falls() {
        let p = HvpPoint::shallow(4, 0).unwrap();
        let cg = GgnCg::run(&p, 1e-3, 17).unwrap();
        // Steihaug's theorem: from zero, CG's steps grow and its model falls
        // (checked up to convergence, where round-off takes over).
        let live = cg
            .iterates
            .iter()
            .take_while(|it| it.residual > 1e-8)
            .count()
            + 1;
        for w in cg.iterates[..live].windows(2) {
            assert!(w[1].step_norm >= w[0].step_norm * (1.0 - 1e-8));
            assert!(w[1].model_change <= w[0].model_change + 1e-15);
        }
        assert!(cg.exact.residual < 1e-10);
        let last = cg.iterates.last().unwrap();
        assert!((last.step_norm - cg.exact.step_norm).abs() < 1e-8);
        assert!(GgnCg::run(&p, -1.0, 3).is_err());
    }

    #[test]
    fn timings_have_every_column() {
        let t = time_products(&[2, 4], 20, 1).unwrap();
        assert_eq!(t.rows.len(), 2);
        assert!(t.rows.iter().all(|r| r.dense.is_some()));
        assert!(t.slope(HvpMethod::ROp, 1).is_some());
        assert!(time_products(&[2], 20, 0).is_err());
        let fig = side_by_side(&hvp_timing_chart(&t), &hvp_timing_chart(&t), 600, 300).unwrap();
        assert_eq!((fig.width(), fig.height()), (600, 300));
    }
}
