//! Fuzzing the race (issue 14): every optimizer of the registry, from random
//! starts (extreme finite ones included) with random hyperparameters and
//! budgets, on every kind of problem (the reference slice, the hidden slice,
//! a small full network, and analytic landscapes). Each run must come back
//! with a `Trace` within its budget: never a panic or a hang, at most
//! `max_iters` steps, at most `max_evals` counted evaluations, at most
//! `max_recorded` entries, and within its wall-time budget.
//!
//! 48 cases (`CASES`), each racing all 19 optimizers on one problem.

use std::time::Instant;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestRunner};
use quad_vs_grad::prelude::*;
use quad_vs_grad::race::RaceProblem;

/// Number of cases of [`every_optimizer_returns_a_trace_within_its_budget`].
const CASES: u32 = 48;

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

/// Races every kind on `problem` from `start` under `cfg` and checks each
/// trace against its budget.
fn check_all<P: RaceProblem>(
    problem: &P,
    start: &Array1<f64>,
    cfg: &RaceConfig,
) -> Result<(), TestCaseError> {
    for d in REGISTRY {
        let spec = OptimizerSpec::new(d.kind);
        let t0 = Instant::now();
        let t = run(problem, start, &spec, cfg);
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
        prop_assert_eq!(t.settings.max_evals, cfg.eval_budget());
    }
    Ok(())
}

#[test]
fn every_optimizer_returns_a_trace_within_its_budget() {
    let full = RacePreset::full_network(&[3], 7).unwrap();
    let reference = XorProblem::reference();
    let hidden = XorProblem::hidden_slice();
    let wells = GaussianWells::course();
    let rosenbrock = Rosenbrock::default();
    let saddle = Saddle;
    let mut runner = TestRunner::new(Config {
        cases: CASES,
        failure_persistence: None,
        max_shrink_iters: 20,
        rng_seed: RngSeed::Fixed(
            std::env::var("QVG_FUZZ_SEED")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(14),
        ),
        ..Config::default()
    });
    let strategy = (0usize..6, coordinate(), coordinate(), config());
    runner
        .run(&strategy, |(which, x, y, cfg)| {
            let start = array![x, y];
            match which {
                0 => check_all(&reference, &start, &cfg),
                1 => check_all(&hidden, &start, &cfg),
                2 => {
                    // a small full network: its seeded start, shifted by (x, y)
                    let mut p = full.start.clone();
                    p[0] += x;
                    p[1] += y;
                    check_all(&full.problem, &p, &cfg)
                }
                3 => check_all(&wells, &start, &cfg),
                4 => check_all(&rosenbrock, &start, &cfg),
                _ => check_all(&saddle, &start, &cfg),
            }
        })
        .unwrap();
}
