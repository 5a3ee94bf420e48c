//! The cost model of one iteration: the network families, the evaluation
//! counts per iteration, the multiply-adds they cost, the theory's exponents,
//! and the budget that decides whether a point is run.

use serde::{Deserialize, Serialize};

use crate::mlp::Mlp;
use crate::race::OptimizerKind;
use crate::trace::Trace;

/// Number of `(s, y)` pairs argmin's L-BFGS keeps in the race (`m`).
pub const LBFGS_MEMORY: usize = 10;

/// A family of full networks of growing width `h`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum NetworkFamily {
    /// One hidden layer, `2-h-1`: `D = 4h + 1`.
    Shallow,
    /// Two hidden layers, `2-h-h-1`: `D = h² + 5h + 1`.
    Deep,
}

impl NetworkFamily {
    /// Both families.
    pub const ALL: [NetworkFamily; 2] = [NetworkFamily::Shallow, NetworkFamily::Deep];

    /// The hidden widths at width `h`.
    pub fn hidden(self, h: usize) -> Vec<usize> {
        match self {
            Self::Shallow => vec![h],
            Self::Deep => vec![h, h],
        }
    }

    /// The number of parameters `D` at width `h`.
    pub fn dim(self, h: usize) -> usize {
        match self {
            Self::Shallow => 4 * h + 1,
            Self::Deep => h * h + 5 * h + 1,
        }
    }

    /// The (real) width at which the family has `d` parameters, the inverse
    /// of [`NetworkFamily::dim`].
    pub fn width_for_dim(self, d: f64) -> f64 {
        match self {
            Self::Shallow => (d - 1.0) / 4.0,
            Self::Deep => (-5.0 + (21.0 + 4.0 * d).max(0.0).sqrt()) / 2.0,
        }
    }

    /// `"2-h-1"` or `"2-h-h-1"`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Shallow => "2-h-1",
            Self::Deep => "2-h-h-1",
        }
    }
}

/// The declared budget of one iteration: a point predicted to exceed it is
/// not run.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Budget {
    /// Longest predicted time of one iteration, in seconds.
    pub seconds_per_iter: f64,
    /// Largest predicted peak memory of the curvature state, in bytes.
    pub bytes: f64,
}

impl Default for Budget {
    /// 0.5 s per iteration and 2 GB: the sweep then finishes in about two
    /// minutes on a 2-core machine.
    fn default() -> Self {
        Self {
            seconds_per_iter: 0.5,
            bytes: 2e9,
        }
    }
}

/// What the study does with a point.
#[derive(Clone, Debug, PartialEq)]
pub enum Decision {
    /// Run and measure it.
    Run,
    /// Do not run it; report the model's prediction, for the reason given.
    Extrapolate(String),
}

/// Decides whether a point fits the budget. `smaller_over` says whether a
/// smaller network of the same family and optimizer was already over budget
/// (then this one is too, whatever the prediction).
pub fn decide(
    budget: &Budget,
    predicted_seconds: f64,
    peak_bytes: f64,
    smaller_over: bool,
) -> Decision {
    if smaller_over {
        Decision::Extrapolate("a smaller network was already over budget".into())
    } else if peak_bytes.is_nan() || peak_bytes > budget.bytes {
        Decision::Extrapolate(format!(
            "memory: peak {} > budget {}",
            crate::fmt::bytes(peak_bytes),
            crate::fmt::bytes(budget.bytes)
        ))
    } else if predicted_seconds.is_nan() || predicted_seconds > budget.seconds_per_iter {
        Decision::Extrapolate(format!(
            "time: predicted {} per iteration > budget {}",
            crate::fmt::seconds(predicted_seconds),
            crate::fmt::seconds(budget.seconds_per_iter)
        ))
    } else {
        Decision::Run
    }
}

/// Where a point's time comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provenance {
    /// Run and timed.
    Measured,
    /// Not run (over budget); the time is the calibrated cost model's.
    Extrapolated,
    /// Run, but the solver stopped before two timed iterations.
    Failed,
}

/// Evaluations per iteration, averaged over iterations `2 … k` of a trace
/// (iteration 1 also carries the evaluations of the solver's `init`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PerIteration {
    /// Loss evaluations.
    pub cost: f64,
    /// Gradient evaluations.
    pub gradient: f64,
    /// Dense Hessians.
    pub hessian: f64,
    /// Curvature-vector products, dense GGNs or K-FAC factor sets.
    pub curvature: f64,
    /// Linear solves (factorisations, eigendecompositions, CG runs).
    pub linear_solve: f64,
}

/// The evaluation counts per iteration of a run, from [`Trace::counts`]:
/// `(counts[k] − counts[1]) / (k − 1)` with `k` the last iterate; `None`
/// for a run of fewer than two iterations.
pub fn per_iteration(trace: &Trace) -> Option<PerIteration> {
    let k = trace.counts.len().checked_sub(1)?;
    if k < 2 {
        return None;
    }
    let (a, b) = (trace.counts[1], trace.counts[k]);
    let per = |x: u64, y: u64| y.saturating_sub(x) as f64 / (k - 1) as f64;
    Some(PerIteration {
        cost: per(a.cost, b.cost),
        gradient: per(a.gradient, b.gradient),
        hessian: per(a.hessian, b.hessian),
        curvature: per(a.curvature, b.curvature),
        linear_solve: per(a.linear_solve, b.linear_solve),
    })
}

/// The cost model of one iteration, in multiply-adds, split in the parts the
/// study reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Work {
    /// Forming the curvature: the dense Hessian or GGN, K-FAC's factors.
    pub form: f64,
    /// Solving with it: a dense factorisation, K-FAC's factor
    /// eigendecompositions, BFGS's dense update.
    pub solve: f64,
    /// Everything else: losses, gradients, curvature-vector products, vector updates.
    pub other: f64,
}

impl Work {
    /// `form + solve + other`.
    pub fn total(&self) -> f64 {
        self.form + self.solve + self.other
    }
}

/// Multiply-adds of forming a dense Hessian or GGN as a Gram product over the
/// batch, `N D²` (the crate's implementations differ from it by a constant).
pub fn form_work(d: f64, n: f64) -> f64 {
    n * d * d
}

/// Multiply-adds of a dense Cholesky solve, `D³/6 + D²` (factorisation plus
/// two triangular solves); `D³/3` flops.
pub fn solve_work(d: f64) -> f64 {
    d * d * d / 6.0 + d * d
}

/// The width `D` at which a Cholesky solve (`D³/6` multiply-adds) overtakes
/// forming `H` as a Gram product (`N D²`) when both run at the same speed:
/// `D* = 6N` (the `D²` of the triangular solves neglected).
pub fn newton_flop_crossover(n_examples: usize) -> f64 {
    6.0 * n_examples as f64
}

/// The cost model of one iteration of `kind` on `mlp` with `n` examples and
/// the evaluation counts `c` per iteration (multiply-adds; a loss is `N D`, a
/// gradient `3 N D`, a curvature-vector product `7 N D`).
pub fn iteration_work(kind: OptimizerKind, mlp: &Mlp, n: usize, c: &PerIteration) -> Work {
    use OptimizerKind as K;
    let d = mlp.num_params() as f64;
    let n = n as f64;
    let evals = c.cost * n * d + c.gradient * 3.0 * n * d;
    let w = mlp.widths();
    let layers = mlp.num_layers();
    match kind {
        K::Newton | K::SaddleFree | K::ArgminNewton | K::TrustRegion | K::AdaptiveGd => Work {
            form: c.hessian * form_work(d, n),
            solve: c.linear_solve * solve_work(d),
            other: evals + d,
        },
        K::Ggn | K::GgnLm => Work {
            form: c.curvature * (form_work(d, n) + 3.0 * n * d),
            solve: c.linear_solve * solve_work(d),
            other: evals + d,
        },
        K::Bfgs => Work {
            form: 0.0,
            solve: 2.0 * d * d * d + 3.0 * d * d,
            other: evals + d * d,
        },
        // the crate's own dense update: two products of a D × D matrix and a vector
        K::Sbfgs | K::Obfgs => Work {
            form: 0.0,
            solve: 0.0,
            other: evals + 4.0 * d * d,
        },
        K::Lbfgs | K::Slbfgs | K::Olbfgs => Work {
            other: evals + 4.0 * LBFGS_MEMORY as f64 * d,
            ..Work::default()
        },
        K::HessianFree | K::HessianFreeLm => Work {
            other: evals + c.curvature * (7.0 * n * d + 5.0 * d),
            ..Work::default()
        },
        K::Kfac | K::KfacLm => {
            let (mut factors, mut eig) = (0.0, 0.0);
            for l in 0..layers {
                let (a, g) = ((w[l] + 1) as f64, w[l + 1] as f64);
                factors += n * (a * a + g * g);
                // two symmetric eigendecompositions (≈ 4n³ each) and the
                // preconditioning G⁻¹ V A⁻¹ (four products of g × a by a or g)
                eig += 4.0 * (a * a * a + g * g * g) + 2.0 * (g * g * a + g * a * a);
            }
            let solves = (c.linear_solve / (2.0 * layers as f64)).max(0.0);
            Work {
                form: c.curvature * (factors + 2.0 * n * d),
                solve: solves * eig,
                other: evals + d,
            }
        }
        K::Adam | K::RmsProp => Work {
            other: evals + 5.0 * d,
            ..Work::default()
        },
        K::Gd | K::Momentum | K::Nesterov | K::Langevin | K::SteepestDescent => Work {
            other: evals + d,
            ..Work::default()
        },
    }
}

/// The evaluation counts assumed before a kind's first measurement.
pub(super) fn nominal_counts(kind: OptimizerKind, mlp: &Mlp) -> PerIteration {
    use OptimizerKind as K;
    let layers = mlp.num_layers() as f64;
    let base = PerIteration {
        cost: 1.0,
        gradient: 1.0,
        ..PerIteration::default()
    };
    match kind {
        K::Newton => PerIteration {
            hessian: 1.0,
            linear_solve: 1.0,
            ..base
        },
        K::Ggn => PerIteration {
            curvature: 1.0,
            linear_solve: 1.0,
            ..base
        },
        K::HessianFree => PerIteration {
            curvature: 20.0,
            linear_solve: 1.0,
            ..base
        },
        K::Kfac => PerIteration {
            curvature: 1.0,
            linear_solve: 2.0 * layers,
            ..base
        },
        // The kinds outside the study, by what each evaluates per iteration
        // (named, so that a new kind must choose).
        K::SaddleFree | K::ArgminNewton | K::TrustRegion | K::AdaptiveGd => PerIteration {
            hessian: 1.0,
            linear_solve: 1.0,
            ..base
        },
        K::GgnLm => PerIteration {
            curvature: 1.0,
            linear_solve: 1.0,
            ..base
        },
        K::HessianFreeLm => PerIteration {
            curvature: 20.0,
            linear_solve: 1.0,
            ..base
        },
        K::KfacLm => PerIteration {
            curvature: 1.0,
            linear_solve: 2.0 * layers,
            ..base
        },
        K::Gd
        | K::Momentum
        | K::Nesterov
        | K::RmsProp
        | K::Adam
        | K::SteepestDescent
        | K::Bfgs
        | K::Lbfgs
        | K::Langevin
        | K::Sbfgs
        | K::Obfgs
        | K::Slbfgs
        | K::Olbfgs => base,
    }
}

/// The theory of a kind, as printed beside the measured slopes:
/// (time per iteration, its asymptotic exponent in `D` on `family`, memory).
pub fn theory(kind: OptimizerKind, family: NetworkFamily) -> (&'static str, f64, &'static str) {
    use OptimizerKind as K;
    match (kind, family) {
        (K::Gd | K::Momentum | K::Nesterov | K::Langevin | K::SteepestDescent, _) => {
            ("N·D", 1.0, "D")
        }
        (K::Adam | K::RmsProp, _) => ("N·D", 1.0, "2D"),
        (K::Lbfgs | K::Slbfgs | K::Olbfgs, _) => ("N·D + 4mD", 1.0, "2mD"),
        (K::Bfgs, _) => ("N·D + 2D³ (argmin's dense update)", 3.0, "D²"),
        (K::Sbfgs | K::Obfgs, _) => ("N·D + 4D²", 2.0, "D²"),
        (K::Newton | K::SaddleFree | K::ArgminNewton | K::TrustRegion | K::AdaptiveGd, _) => {
            ("form N·D² + solve D³/6", 3.0, "D²")
        }
        (K::Ggn | K::GgnLm, _) => ("form N·D² + solve D³/6", 3.0, "D²"),
        (K::HessianFree | K::HessianFreeLm, _) => ("CG steps × N·D", 1.0, "6D"),
        (K::Kfac | K::KfacLm, NetworkFamily::Shallow) => {
            ("Σ(N n² + n³), n ≈ D/4", 3.0, "Σ n² ≈ D²/8")
        }
        (K::Kfac | K::KfacLm, NetworkFamily::Deep) => ("Σ(N n² + n³), n ≈ √D", 1.5, "Σ n² ≈ 4D"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{Counts, StopReason};

    #[test]
    fn families_and_their_inverse() {
        for h in [1, 2, 7, 100, 25_000] {
            for f in NetworkFamily::ALL {
                let mlp = Mlp::with_hidden(&f.hidden(h)).unwrap();
                assert_eq!(mlp.num_params(), f.dim(h));
                assert!((f.width_for_dim(f.dim(h) as f64) - h as f64).abs() < 1e-9);
            }
        }
    }

    #[test]
    fn over_budget_is_extrapolated() {
        let b = Budget {
            seconds_per_iter: 1.0,
            bytes: 1e6,
        };
        assert_eq!(decide(&b, 0.5, 1e5, false), Decision::Run);
        assert_eq!(decide(&b, 1.0, 1e6, false), Decision::Run);
        for (t, m, over) in [
            (1.5, 1e5, false),
            (0.5, 2e6, false),
            (0.1, 1e3, true),
            (f64::NAN, 1e3, false),
            (0.1, f64::INFINITY, false),
        ] {
            assert!(
                matches!(decide(&b, t, m, over), Decision::Extrapolate(_)),
                "{t} {m} {over}"
            );
        }
    }

    #[test]
    fn counts_per_iteration_skip_the_init() {
        let c = |cost, gradient, hessian| Counts {
            cost,
            gradient,
            hessian,
            curvature: 0,
            linear_solve: hessian,
            ..Default::default()
        };
        let trace = Trace {
            optimizer: "x".into(),
            problem: "p".into(),
            iterates: vec![vec![0.0]; 4],
            loss: vec![1.0; 4],
            grad_norm: vec![1.0; 4],
            counts: vec![c(0, 0, 0), c(2, 2, 1), c(3, 3, 2), c(4, 4, 3)],
            elapsed_ms: vec![0.0, 1.0, 2.0, 3.0],
            stop: StopReason::MaxIters,
            settings: Default::default(),
        };
        let per = per_iteration(&trace).unwrap();
        assert_eq!((per.cost, per.gradient, per.hessian), (1.0, 1.0, 1.0));
        let short = Trace {
            counts: trace.counts[..2].to_vec(),
            ..trace
        };
        assert!(per_iteration(&short).is_none());
    }

    #[test]
    fn work_model_exponents() {
        use OptimizerKind as K;
        let w = |k, h: usize, f: NetworkFamily| {
            let mlp = Mlp::with_hidden(&f.hidden(h)).unwrap();
            iteration_work(k, &mlp, 100, &nominal_counts(k, &mlp))
        };
        let d = |h: usize, f: NetworkFamily| f.dim(h) as f64;
        // Newton: forming N D², solving D³/6 + D²
        let n = w(K::Newton, 1000, NetworkFamily::Shallow);
        assert_eq!(n.form, 100.0 * d(1000, NetworkFamily::Shallow).powi(2));
        // doubling h doubles GD's work, multiplies BFGS's by about 8
        let r = w(K::Gd, 2000, NetworkFamily::Shallow).total()
            / w(K::Gd, 1000, NetworkFamily::Shallow).total();
        assert!((r - 2.0).abs() < 0.01);
        let r = w(K::Bfgs, 2000, NetworkFamily::Shallow).total()
            / w(K::Bfgs, 1000, NetworkFamily::Shallow).total();
        assert!((r - 8.0).abs() < 0.1);
        assert_eq!(newton_flop_crossover(100), 600.0);
        assert!(
            (solve_work(600.0) - form_work(600.0, 100.0)).abs() / form_work(600.0, 100.0) < 0.011
        );
    }
}
