//! Fuzzing the race (issues 14 and 25): every optimizer of the registry,
//! from random starts (extreme finite ones included) with random
//! hyperparameters and budgets, on every kind of problem (the reference
//! slice, the hidden slice, a small full network, and analytic landscapes).
//! Each run must come back with a `Trace` within its budget: never a panic
//! or a hang, at most `max_iters` steps, at most `max_evals` counted
//! evaluations, at most `max_recorded` entries, and within its wall-time
//! budget. And each run must have the outcome [`expect`] predicts for its
//! case: refused with a stated reason, or at least one step taken (or
//! either, where the case is extreme). A runner that does nothing fails
//! the suite ([`a_runner_that_does_nothing_fails_the_oracle`]).
//!
//! 192 cases (`CASES`), each racing all 24 optimizers of the registry on one
//! problem.

use quad_vs_grad::linalg::FixedDot;
use quad_vs_grad::race::REGISTRY;
use std::cell::RefCell;
use std::time::Instant;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestRunner};
use quad_vs_grad::prelude::*;
use quad_vs_grad::race::{DampingUse, Descriptor, OptimizerFamily, RaceProblem};

/// Number of cases of [`every_optimizer_returns_a_trace_within_its_budget`].
const CASES: u32 = 192;

/// The wall-time budget of each run, in seconds.
const MAX_SECONDS: f64 = 1.0;

/// A coordinate: mostly moderate, sometimes at the edge of the float range.
fn coordinate() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => -4.0f64..4.0,
        1 => prop::sample::select(vec![
            0.0, 1e6, -1e6, 1e50, -1e50, 1e300, -1e300, f64::MAX, f64::MIN, 5e-324,
        ]),
    ]
}

/// A positive hyperparameter spanning many decades.
fn positive() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => (-6.0f64..3.0).prop_map(|e| 10f64.powf(e)),
        1 => prop::sample::select(vec![1e-300, 1e6, 1e12, 1e300]),
    ]
}

fn config() -> impl Strategy<Value = RaceConfig> {
    (
        1u64..120,
        prop_oneof![Just(0.0), Just(1e-5), positive()],
        prop::option::of(1u64..3000),
        2usize..40,
        prop::option::of(positive()),
        prop_oneof![Just(0.0), positive()],
        prop::option::weighted(0.3, 1usize..12),
        any::<u64>(),
    )
        .prop_map(
            |(max_iters, tol, max_evals, max_recorded, lr, damping, batch_size, seed)| RaceConfig {
                max_iters,
                tol,
                max_evals,
                max_seconds: MAX_SECONDS,
                max_recorded,
                lr,
                damping,
                batch_size,
                seed,
                ..RaceConfig::default()
            },
        )
}

/// The problems of the fuzz, by index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Which {
    Reference,
    Hidden,
    Full,
    Wells,
    Rosenbrock,
    Saddle,
}

impl Which {
    fn landscape(self) -> bool {
        matches!(self, Self::Wells | Self::Rosenbrock | Self::Saddle)
    }

    /// Has a Gauss–Newton matrix (a network, or Rosenbrock's least squares).
    fn has_ggn(self) -> bool {
        !matches!(self, Self::Wells | Self::Saddle)
    }
}

/// The runs without their expected outcome, and how many runs had each
/// expectation (refused, a step, either).
#[derive(Default)]
struct Tally {
    wrong: Vec<String>,
    seen: [usize; 3],
}

/// What a run must come to.
#[derive(Clone, Debug, PartialEq)]
enum Expect {
    /// Refused before its first step, with a reason containing this text.
    Refused(&'static str),
    /// At least one step taken, and not failed (but undamped curvature,
    /// λ = 0, may turn singular after the first step: then a failure
    /// after at least one step is allowed).
    Step,
    /// Either (an extreme case: a start at 1e300, a budget of a few
    /// evaluations, a learning rate of 1e300).
    Any,
}

/// The outcome `kind` must have on `which` from `start` under `cfg`, each
/// rule with its reason.
fn expect(
    d: &Descriptor,
    which: Which,
    start: &Array1<f64>,
    grad_norm: f64,
    cfg: &RaceConfig,
) -> Expect {
    use OptimizerKind as K;
    let kfac = matches!(d.kind, K::Kfac | K::KfacLm);
    let ggn = matches!(
        d.kind,
        K::Ggn | K::GgnLm | K::HessianFree | K::HessianFreeLm
    );
    let lm = d.damping == DampingUse::LevenbergMarquardt;
    if cfg.batch_size.is_some() && !d.stochastic.is_supported() {
        return Expect::Refused("has no stochastic mode");
    }
    if lm && cfg.damping == 0.0 {
        // Levenberg–Marquardt adapts λ by factors: it needs λ > 0
        return Expect::Refused("damping");
    }
    let moderate = |v: f64| v.abs() <= 4.0;
    let moderate_start = start.iter().all(|&v| moderate(v));
    // (from an extreme start the loss may be non-finite before the missing
    // batch or curvature is asked for: then the run is reported as diverged)
    if which.landscape() && cfg.batch_size.is_some() && moderate_start {
        // a landscape has no examples to draw batches from
        return Expect::Refused("no examples to draw mini-batches from");
    }
    if which.landscape() && kfac && moderate_start {
        return Expect::Refused("K-FAC needs network layers");
    }
    if !which.has_ggn() && ggn && moderate_start {
        return Expect::Refused("");
    }
    if which == Which::Saddle
        && matches!(
            d.family,
            OptimizerFamily::LineSearch | OptimizerFamily::QuasiNewton
        )
    {
        // the saddle is unbounded below: a line search along a descent
        // direction never ends, and the budget stops the first one
        return Expect::Any;
    }
    if d.gradient_stop && (grad_norm.is_nan() || grad_norm < cfg.tol) {
        // converged at the start (‖g₀‖ < tol): nothing to step
        return Expect::Any;
    }
    let sane = |v: f64| (1e-6..=1e3).contains(&v);
    let extreme = !moderate_start
        || cfg.max_evals.is_some_and(|e| e < 100)
        || cfg.lr.is_some_and(|lr| !sane(lr))
        || !(cfg.damping == 0.0 || sane(cfg.damping));
    if extreme {
        Expect::Any
    } else {
        Expect::Step
    }
}

/// Whether a run that took steps may then fail with `why`, each allowance
/// with its reason.
fn failure_after_steps_allowed(d: &Descriptor, cfg: &RaceConfig, why: &str) -> bool {
    let singular = why.contains("singular") || why.contains("LAPACK");
    // undamped curvature (λ = 0, or argmin's Newton, which has no damping)
    // can turn singular where the loss flattens
    let undamped = cfg.damping == 0.0 || d.kind == OptimizerKind::ArgminNewton;
    // argmin's BFGS keeps no safeguard on its inverse-Hessian estimate: in a
    // curved valley it can stop being positive definite, and its line
    // search then refuses the direction
    let bfgs = d.kind == OptimizerKind::Bfgs && why.contains("descent direction");
    (undamped && singular) || bfgs
}

/// Races every kind on `problem` from `start` under `cfg` and checks each
/// trace against its budget and its expected outcome; with `mutant`, every
/// run fails at once without running (the mutation the oracle must catch).
fn check_all<P: RaceProblem>(
    problem: &P,
    which: Which,
    start: &Array1<f64>,
    cfg: &RaceConfig,
    mutant: bool,
    wrong: &RefCell<Tally>,
) -> Result<(), TestCaseError> {
    let grad_norm = problem
        .gradient(start)
        .map(|g| g.fdot(&g).sqrt())
        .unwrap_or(f64::NAN);
    for d in REGISTRY {
        let spec = OptimizerSpec::new(d.kind);
        let t0 = Instant::now();
        let t = if mutant {
            let nothing = RaceConfig {
                max_iters: 0,
                ..cfg.clone()
            };
            run(problem, start, &spec, &nothing)
        } else {
            run(problem, start, &spec, cfg)
        };
        let secs = t0.elapsed().as_secs_f64();
        let what = format!("{} from {start} with {cfg:?}: {:?}", d.cli_name, t.stop);
        // the wall-time budget, plus the last evaluation, recording and slack
        prop_assert!(secs < MAX_SECONDS + 5.0, "{what}: {secs} s");
        prop_assert!(!t.iterates.is_empty(), "{what}");
        prop_assert_eq!(&t.iterates[0], &start.to_vec(), "{}", &what);
        prop_assert!(
            t.steps() as u64 <= cfg.max_iters,
            "{what}: {} steps",
            t.steps()
        );
        prop_assert!(t.iterates.len() <= cfg.max_recorded, "{what}");
        let n = t.iterates.len();
        for v in [
            t.loss.len(),
            t.grad_norm.len(),
            t.counts.len(),
            t.elapsed_ms.len(),
        ] {
            prop_assert_eq!(v, n, "{}", &what);
        }
        let c = t.total_counts();
        prop_assert!(
            c.cost + c.gradient + c.hessian <= cfg.eval_budget(),
            "{what}: {c:?}"
        );
        prop_assert!(
            !matches!(&t.stop, StopReason::Other(s) if s == "running"),
            "{what}"
        );
        if let StopReason::Budget(why) = &t.stop {
            prop_assert!(
                why.contains("evaluation limit") || why.contains("wall time"),
                "{what}"
            );
        }
        if !mutant {
            prop_assert_eq!(t.settings.max_evals, cfg.eval_budget());
        }
        let expected = expect(d, which, start, grad_norm, cfg);
        wrong.borrow_mut().seen[match expected {
            Expect::Refused(_) => 0,
            Expect::Step => 1,
            Expect::Any => 2,
        }] += 1;
        let verdict = match expected {
            Expect::Refused(why) => (t.steps() == 0
                && matches!(&t.stop, StopReason::Failed(w) if w.contains(why)))
            .then_some(())
            .ok_or(format!("must be refused ({why:?})")),
            Expect::Step => (t.steps() >= 1
                && match &t.stop {
                    StopReason::Failed(why) => failure_after_steps_allowed(d, cfg, why),
                    _ => true,
                })
            .then_some(())
            .ok_or(format!("must take a step ({} steps)", t.steps())),
            Expect::Any => Ok(()),
        };
        if let Err(why) = verdict {
            wrong
                .borrow_mut()
                .wrong
                .push(format!("{what} on {which:?}: {why}"));
        }
    }
    Ok(())
}

/// Runs the fuzz (`cases` cases); with `mutant`, on a runner that does
/// nothing.
fn fuzz(cases: u32, mutant: bool) -> Result<(), String> {
    let full = RacePreset::full_network(&[3], 7).unwrap();
    let reference = XorProblem::reference();
    let hidden = XorProblem::hidden_slice();
    let wells = GaussianWells::course();
    let rosenbrock = Rosenbrock::default();
    let saddle = Saddle;
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: if mutant { 0 } else { 20 },
        rng_seed: RngSeed::Fixed(
            std::env::var("QVG_FUZZ_SEED")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(14),
        ),
        ..Config::default()
    });
    let strategy = (0usize..6, coordinate(), coordinate(), config());
    let wrong = RefCell::new(Tally::default());
    let w = &wrong;
    runner
        .run(&strategy, |(which, x, y, cfg)| {
            let start = array![x, y];
            let m = mutant;
            match which {
                0 => check_all(&reference, Which::Reference, &start, &cfg, m, w),
                1 => check_all(&hidden, Which::Hidden, &start, &cfg, m, w),
                2 => {
                    // a small full network: its seeded start, shifted by (x, y)
                    let mut p = full.start.clone();
                    p[0] += x;
                    p[1] += y;
                    check_all(&full.problem, Which::Full, &p, &cfg, m, w)
                }
                3 => check_all(&wells, Which::Wells, &start, &cfg, m, w),
                4 => check_all(&rosenbrock, Which::Rosenbrock, &start, &cfg, m, w),
                _ => check_all(&saddle, Which::Saddle, &start, &cfg, m, w),
            }
        })
        .map_err(|e| e.to_string())?;
    let Tally { wrong, seen } = wrong.into_inner();
    eprintln!(
        "fuzz_race: expected refused {}, a step {}, either {}",
        seen[0], seen[1], seen[2]
    );
    // the generator reaches every expectation, most runs with a firm one
    if seen[0] < cases as usize || seen[1] < 4 * cases as usize {
        return Err(format!("too few firm expectations: {seen:?}"));
    }
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} runs without their expected outcome:\n{}",
            wrong.len(),
            wrong.join("\n")
        ))
    }
}

#[test]
fn every_optimizer_returns_a_trace_within_its_budget_with_its_expected_outcome() {
    assert_eq!(REGISTRY.len(), 24, "update the count in this file's docs");
    if let Err(e) = fuzz(CASES, false) {
        panic!("{e}");
    }
}

/// The mutation check: where every run fails at once without running, the
/// oracle must fail the suite (a failed run holding only its start meets
/// every budget assertion, so only the expected outcomes can catch it).
#[test]
fn a_runner_that_does_nothing_fails_the_oracle() {
    let err = fuzz(8, true).expect_err("the oracle passed a runner that does nothing");
    assert!(err.contains("must take a step"), "{err}");
    // and the real runner passes the same cases
    if let Err(e) = fuzz(8, false) {
        panic!("{e}");
    }
}
