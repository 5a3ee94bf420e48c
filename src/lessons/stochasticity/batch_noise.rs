//! The noise of mini-batch gradients, Hessians and Newton steps against
//! the batch size: [`batch_noise`], [`exact_subset_variance`].

use crate::linalg::FixedDot;
use std::fmt;

use argmin::core::{Gradient, Hessian};
use ndarray::Array1;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::spread::Spread;
use crate::curvature::{eigenvalues, CurvatureProducts, MiniBatched};
use crate::error::{Error, Result};
use crate::lessons::checks::{check_batch_sizes, config_error};
use crate::problem::XorProblem;
use crate::report::{aligned_row, html_table, show_html, Align};
use crate::solvers::solve_damped;

/// Settings of [`batch_noise`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NoiseConfig {
    /// Batch sizes to measure, each in `1..=N` (empty: [`batch_size_grid`]).
    pub batch_sizes: Vec<usize>,
    /// Seeded batches drawn per batch size (default 200).
    pub draws: usize,
    /// Seed of the batch draws (default 0).
    pub seed: u64,
    /// Damping `λ ≥ 0` of the Newton steps `−(Ĥ + λI)⁻¹ ĝ` (default 0.1,
    /// the race's).
    pub damping: f64,
}

impl Default for NoiseConfig {
    fn default() -> Self {
        Self {
            batch_sizes: Vec::new(),
            draws: 200,
            seed: 0,
            damping: 0.1,
        }
    }
}

/// The batch sizes `1, 2, 5, 10, 20, 50, …` below `n`, then `n`.
///
/// ```
/// use quad_vs_grad::lessons::stochasticity::batch_size_grid;
/// assert_eq!(batch_size_grid(200), vec![1, 2, 5, 10, 20, 50, 100, 200]);
/// assert_eq!(batch_size_grid(1), vec![1]);
/// ```
pub fn batch_size_grid(n: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let mut decade = 1;
    'outer: loop {
        for m in [1, 2, 5] {
            let b = m * decade;
            if b >= n {
                break 'outer;
            }
            out.push(b);
        }
        decade *= 10;
    }
    out.push(n.max(1));
    out
}

/// One batch size's row of [`BatchNoise`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NoiseRow {
    /// Batch size `B`.
    pub batch_size: usize,
    /// Measured `E ‖ĝ_B − g‖²`: the mean over the draws.
    pub grad_variance: f64,
    /// Exact `E ‖ĝ_B − g‖² = (σ²/B)(N − B)/(N − 1)`.
    pub grad_variance_exact: f64,
    /// Relative gradient error `‖ĝ − g‖ / ‖g‖` over the draws.
    pub grad_error: Spread,
    /// Smallest eigenvalue of `Ĥ_B` over the draws.
    pub eig_min: Spread,
    /// Largest eigenvalue of `Ĥ_B` over the draws.
    pub eig_max: Spread,
    /// Fraction of draws with `λ_min(Ĥ_B) < −λ`: the damped Newton system
    /// is indefinite, its step may go uphill.
    pub indefinite: f64,
    /// Relative error of the damped Newton step,
    /// `‖Δ̂ − Δ‖ / ‖Δ‖` with `Δ̂ = −(Ĥ_B + λI)⁻¹ ĝ_B` and
    /// `Δ = −(H + λI)⁻¹ g`, over the draws (`+∞` where `Ĥ_B + λI` is
    /// singular).
    pub newton_error: Spread,
    /// Relative error of the damped Gauss–Newton step (what GGN, K-FAC's
    /// target and Hessian-free run), `‖ŝ − s‖ / ‖s‖` with
    /// `ŝ = −(Ĝ_B + λI)⁻¹ ĝ_B` and `s = −(G + λI)⁻¹ g`, over the draws.
    /// `Ĝ_B + λI` is positive definite for every `λ > 0`: this error is all
    /// noise, never indefiniteness.
    #[serde(default = "Spread::empty")]
    pub ggn_error: Spread,
    /// Number of eigenvalues of `Ĝ_B` below `λ` (directions in which the
    /// damping, not the curvature, sets the step) over the draws. `Ĝ_B`
    /// has rank at most `B` (one rank-one term per example of a
    /// one-output network), so at least `D − B` of them are zero.
    #[serde(default = "Spread::empty")]
    pub ggn_below_damping: Spread,
}

/// The noise of mini-batch gradients, Hessians and Newton steps at one
/// point, for several batch sizes ([`batch_noise`]).
///
/// `Display` gives an aligned table; in an Evcxr notebook the value shows
/// as an HTML table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BatchNoise {
    /// Number of examples `N`.
    pub examples: usize,
    /// Number of parameters.
    pub dim: usize,
    /// `σ² = (1/N) Σ ‖g_i − g‖²`, the per-example gradient variance.
    pub sigma2: f64,
    /// `‖g‖` of the full-batch gradient.
    pub grad_norm: f64,
    /// Smallest and largest eigenvalue of the full-batch Hessian.
    pub full_eig: (f64, f64),
    /// The damping `λ` of the Newton steps.
    pub damping: f64,
    /// Draws per batch size.
    pub draws: usize,
    /// One row per batch size, in the order asked.
    pub rows: Vec<NoiseRow>,
}

impl BatchNoise {
    /// The largest relative gap `|measured / exact − 1|` of the gradient
    /// variance over the rows with `B < N` (the 1/B law's check).
    pub fn worst_law_gap(&self) -> f64 {
        self.rows
            .iter()
            .filter(|r| r.grad_variance_exact > 0.0)
            .map(|r| (r.grad_variance / r.grad_variance_exact - 1.0).abs())
            .fold(0.0, f64::max)
    }

    fn cells(&self) -> Vec<[String; 9]> {
        self.rows
            .iter()
            .map(|r| {
                [
                    r.batch_size.to_string(),
                    format!("{:.3e}", r.grad_variance),
                    format!("{:.3e}", r.grad_variance_exact),
                    format!("{:.3}", r.grad_error.median),
                    format!("{:.3} .. {:.3}", r.eig_min.q10, r.eig_min.q90),
                    format!("{:.3} .. {:.3}", r.eig_max.q10, r.eig_max.q90),
                    format!("{:.0}%", 100.0 * r.indefinite),
                    format!("{:.3}", r.newton_error.median),
                    format!("{:.3}", r.newton_error.q90),
                ]
            })
            .collect()
    }

    /// The table as HTML, for notebooks.
    pub fn to_html(&self) -> String {
        html_table(&HEADERS, &self.cells(), |_| Align::Right)
    }

    /// Shows the table inline in an Evcxr notebook (`text/html`).
    pub fn evcxr_display(&self) {
        show_html(&self.to_html());
    }
}

const HEADERS: [&str; 9] = [
    "B",
    "E|ĝ−g|² measured",
    "exact",
    "|ĝ−g|/|g| median",
    "μmin(Ĥ) 10–90%",
    "μmax(Ĥ) 10–90%",
    "indefinite",
    "Newton step error median",
    "90%",
];

impl fmt::Display for BatchNoise {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "N = {}, {} parameters, {} draws per batch size; σ² = {:.4e}, |g| = {:.4e}, \
             full Hessian eigenvalues {:.4} .. {:.4}, damping {}",
            self.examples,
            self.dim,
            self.draws,
            self.sigma2,
            self.grad_norm,
            self.full_eig.0,
            self.full_eig.1,
            self.damping
        )?;
        let widths = [5, 17, 10, 17, 18, 18, 10, 24, 8];
        writeln!(f, "{} ", aligned_row(&HEADERS, &widths))?;
        for row in self.cells() {
            writeln!(f, "{} ", aligned_row(&row, &widths))?;
        }
        Ok(())
    }
}

/// Measures, at the point `p` of `problem`, for every batch size of `cfg`,
/// the noise of the mini-batch gradient `ĝ_B` (its mean squared deviation
/// over `cfg.draws` seeded batches, against the exact value of the 1/B law
/// with the finite-population factor), the spread of the mini-batch
/// Hessian's extreme eigenvalues, and the relative error of the damped
/// Newton step `−(Ĥ_B + λI)⁻¹ ĝ_B` against the full-batch one.
///
/// Each draw is a uniform subset of `B` distinct examples
/// (`rand::seq::index::sample` on a `ChaCha8Rng` seeded with `cfg.seed`
/// and the batch size): same inputs, same bytes.
///
/// ```
/// use quad_vs_grad::lessons::stochasticity::{batch_noise, NoiseConfig};
/// use quad_vs_grad::prelude::*;
///
/// let problem = XorProblem::reference();
/// let cfg = NoiseConfig { batch_sizes: vec![10, 200], draws: 50, ..NoiseConfig::default() };
/// let noise = batch_noise(&problem, &array![2.0, -2.0], &cfg)?;
/// assert!(noise.rows[1].grad_variance < 1e-25); // B = N: no noise, only rounding
/// assert!(noise.rows[0].grad_variance > 0.0);
/// # Ok::<(), quad_vs_grad::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidConfig`] for a batch size outside `1..=N`, zero draws or
/// a negative or non-finite damping; evaluation and linear-algebra errors
/// at `p` (a wrong length, a singular full-batch `H + λI`).
pub fn batch_noise(problem: &XorProblem, p: &Array1<f64>, cfg: &NoiseConfig) -> Result<BatchNoise> {
    let n = problem.data().len();
    let sizes = if cfg.batch_sizes.is_empty() {
        batch_size_grid(n)
    } else {
        cfg.batch_sizes.clone()
    };
    check_batch_sizes(&sizes, n, "")?;
    if cfg.draws == 0 {
        return Err(Error::InvalidConfig("need at least one draw".into()));
    }
    if !(cfg.damping.is_finite() && cfg.damping >= 0.0) {
        return Err(Error::InvalidConfig(format!(
            "damping must be a finite number >= 0, got {}",
            cfg.damping
        )));
    }
    let mut work = problem.clone();
    work.set_batch(None).map_err(config_error)?;
    let g = work.gradient(p).map_err(config_error)?;
    let h = work.hessian(p).map_err(config_error)?;
    let full_ev = eigenvalues(&h)?;
    let newton = solve_damped(&h, cfg.damping, &g).map_err(config_error)?;
    let newton_norm = newton.fdot(&newton).sqrt();
    let full_ggn = work.ggn(p).map_err(config_error)?;
    let ggn_step = solve_damped(&full_ggn, cfg.damping, &g).map_err(config_error)?;
    let ggn_norm = ggn_step.fdot(&ggn_step).sqrt();
    let grad_norm = g.fdot(&g).sqrt();
    // per-example gradients: σ²
    let mut sigma2 = 0.0;
    for i in 0..n {
        work.set_batch(Some(&[i])).map_err(config_error)?;
        let gi = work.gradient(p).map_err(config_error)?;
        sigma2 += (&gi - &g).mapv(|v| v * v).sum();
    }
    sigma2 /= n as f64;
    let mut rows = Vec::with_capacity(sizes.len());
    for &b in &sizes {
        let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed ^ (b as u64).wrapping_mul(0x9E37_79B9));
        let (mut sq, mut errs, mut mins, mut maxs, mut steps) =
            (0.0, vec![], vec![], vec![], vec![]);
        let mut indefinite = 0usize;
        let (mut ggn_errs, mut ggn_small) = (vec![], vec![]);
        for _ in 0..cfg.draws {
            let mut batch = rand::seq::index::sample(&mut rng, n, b).into_vec();
            batch.sort_unstable();
            work.set_batch(Some(&batch)).map_err(config_error)?;
            let gb = work.gradient(p).map_err(config_error)?;
            let hb = work.hessian(p).map_err(config_error)?;
            let d = &gb - &g;
            let d2 = d.fdot(&d);
            sq += d2;
            errs.push(d2.sqrt() / grad_norm);
            let ev = eigenvalues(&hb)?;
            let (lo, hi) = (ev[0], ev[ev.len() - 1]);
            mins.push(lo);
            maxs.push(hi);
            if lo < -cfg.damping {
                indefinite += 1;
            }
            let err = match solve_damped(&hb, cfg.damping, &gb) {
                Ok(step) => {
                    let e = &step - &newton;
                    e.fdot(&e).sqrt() / newton_norm
                }
                Err(_) => f64::INFINITY,
            };
            steps.push(err);
            let gg = work.ggn(p).map_err(config_error)?;
            let gev = eigenvalues(&gg)?;
            ggn_small.push(gev.iter().filter(|&&v| v < cfg.damping).count() as f64);
            ggn_errs.push(match solve_damped(&gg, cfg.damping, &gb) {
                Ok(step) => {
                    let e = &step - &ggn_step;
                    e.fdot(&e).sqrt() / ggn_norm
                }
                Err(_) => f64::INFINITY,
            });
        }
        let exact = if n > 1 {
            sigma2 / b as f64 * (n - b) as f64 / (n - 1) as f64
        } else {
            0.0
        };
        rows.push(NoiseRow {
            batch_size: b,
            grad_variance: sq / cfg.draws as f64,
            grad_variance_exact: exact,
            grad_error: Spread::of(&errs),
            eig_min: Spread::of(&mins),
            eig_max: Spread::of(&maxs),
            indefinite: indefinite as f64 / cfg.draws as f64,
            newton_error: Spread::of(&steps),
            ggn_error: Spread::of(&ggn_errs),
            ggn_below_damping: Spread::of(&ggn_small),
        });
    }
    Ok(BatchNoise {
        examples: n,
        dim: p.len(),
        sigma2,
        grad_norm,
        full_eig: (full_ev[0], full_ev[full_ev.len() - 1]),
        damping: cfg.damping,
        draws: cfg.draws,
        rows,
    })
}

/// The exact `E ‖ĝ_B − g‖²` by enumerating every subset of `B` of the `N`
/// vectors `per_example` (for tests of the 1/B law on small `N`; the count
/// `C(N, B)` grows fast).
///
/// # Errors
/// [`Error::InvalidConfig`] unless `1 ≤ B ≤ N ≤ 20`.
pub fn exact_subset_variance(per_example: &[Array1<f64>], b: usize) -> Result<f64> {
    let n = per_example.len();
    if b == 0 || b > n || n > 20 {
        return Err(Error::InvalidConfig(format!(
            "need 1 ≤ B ≤ N ≤ 20, got B = {b}, N = {n}"
        )));
    }
    let dim = per_example[0].len();
    let mean = per_example
        .iter()
        .fold(Array1::<f64>::zeros(dim), |acc, v| acc + v)
        / n as f64;
    let (mut total, mut count) = (0.0, 0u64);
    for mask in 0u32..(1u32 << n) {
        if mask.count_ones() as usize != b {
            continue;
        }
        let mut s: Array1<f64> = Array1::zeros(dim);
        for (i, v) in per_example.iter().enumerate() {
            if mask & (1 << i) != 0 {
                s += v;
            }
        }
        let d = s / b as f64 - &mean;
        total += d.fdot(&d);
        count += 1;
    }
    Ok(total / count as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn batch_size_grid_ends_at_n() {
        assert_eq!(batch_size_grid(7), vec![1, 2, 5, 7]);
        assert_eq!(batch_size_grid(10), vec![1, 2, 5, 10]);
    }

    #[test]
    fn finite_population_formula_is_exact() {
        // Six 2-D vectors: enumerate every subset and compare with
        // (σ²/B)(N − B)/(N − 1).
        let v: Vec<Array1<f64>> = vec![
            array![1.0, 0.0],
            array![0.5, -2.0],
            array![-1.5, 0.3],
            array![2.0, 2.0],
            array![0.0, -0.7],
            array![-0.4, 1.1],
        ];
        let n = v.len();
        let mean = v.iter().fold(Array1::<f64>::zeros(2), |a, x| a + x) / n as f64;
        let sigma2 = v
            .iter()
            .map(|x| (x - &mean).mapv(|t| t * t).sum())
            .sum::<f64>()
            / n as f64;
        for b in 1..=n {
            let exact = exact_subset_variance(&v, b).unwrap();
            let formula = sigma2 / b as f64 * (n - b) as f64 / (n - 1) as f64;
            assert!(
                (exact - formula).abs() < 1e-14,
                "B = {b}: {exact} vs {formula}"
            );
            // the plain 1/B law (with replacement) overstates it for B > 1
            if b > 1 {
                assert!(sigma2 / b as f64 > exact);
            }
        }
        assert!(exact_subset_variance(&v, 0).is_err());
    }

    #[test]
    fn validation() {
        let pr = XorProblem::reference();
        let p = array![2.0, -2.0];
        let bad = |cfg: NoiseConfig| batch_noise(&pr, &p, &cfg).is_err();
        assert!(bad(NoiseConfig {
            batch_sizes: vec![0],
            ..NoiseConfig::default()
        }));
        assert!(bad(NoiseConfig {
            batch_sizes: vec![201],
            ..NoiseConfig::default()
        }));
        assert!(bad(NoiseConfig {
            draws: 0,
            ..NoiseConfig::default()
        }));
        assert!(bad(NoiseConfig {
            damping: f64::NAN,
            ..NoiseConfig::default()
        }));
        assert!(batch_noise(&pr, &array![1.0], &NoiseConfig::default()).is_err());
    }

    #[test]
    fn one_over_b_law_on_the_full_network() {
        let pr = XorProblem::full(crate::data::Dataset::reference(), &[3]).unwrap();
        let p = pr.mlp().init(0);
        let cfg = NoiseConfig {
            draws: 1000,
            ..NoiseConfig::default()
        };
        let noise = batch_noise(&pr, &p, &cfg).unwrap();
        assert_eq!(noise.examples, 200);
        assert_eq!(
            noise.rows.iter().map(|r| r.batch_size).collect::<Vec<_>>(),
            batch_size_grid(200)
        );
        // measured E‖ĝ − g‖² within 10 % of (σ²/B)(N − B)/(N − 1) at every B < N
        assert!(noise.worst_law_gap() < 0.1, "{noise}");
        let last = noise.rows.last().unwrap();
        assert_eq!(last.grad_variance_exact, 0.0);
        assert!(last.grad_variance < 1e-24 && last.newton_error.max < 1e-9);
        // B = N: the Hessian's eigenvalues are the full batch's
        assert!((last.eig_min.median - noise.full_eig.0).abs() < 1e-9);
        // the spread of λ_max(Ĥ) narrows as B grows
        let width = |r: &NoiseRow| r.eig_max.q90 - r.eig_max.q10;
        for w in noise.rows.windows(2).take(noise.rows.len() - 2) {
            assert!(width(&w[1]) < width(&w[0]), "{noise}");
        }
        // seeded: the same bytes again
        assert_eq!(batch_noise(&pr, &p, &cfg).unwrap(), noise);
        let other = batch_noise(&pr, &p, &NoiseConfig { seed: 1, ..cfg }).unwrap();
        assert_ne!(other.rows[0].grad_variance, noise.rows[0].grad_variance);
        assert!(noise.to_string().contains("E|ĝ−g|² measured"));
        assert_eq!(
            noise.to_html().matches("<tr>").count(),
            1 + noise.rows.len()
        );
    }
}
