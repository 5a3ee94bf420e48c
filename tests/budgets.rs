//! Issue 25, failures 1–4: budgets that bind inside the expensive calls,
//! a whole-run limit, dense curvature refused up front when it cannot fit,
//! honest ledgers for budget-stopped runs, and stop reasons from the race's
//! own vocabulary.

use quad_vs_grad::race::REGISTRY;
use std::time::Instant;

use quad_vs_grad::prelude::*;

/// A run that converges and then keeps searching (`tol = 0`, a million
/// steps) is stopped by its budget.
fn endless(cfg: RaceConfig) -> RaceConfig {
    RaceConfig {
        max_iters: 1_000_000,
        tol: 0.0,
        ..cfg
    }
}

#[test]
fn dense_curvature_that_cannot_fit_is_refused_with_its_size_and_the_limit() {
    // 2-64-64-64-64-1: 12,737 parameters, a 1.2 GB dense matrix
    let preset = RacePreset::full_network(&[64, 64, 64, 64], 0).unwrap();
    assert_eq!(preset.start.len(), 12_737);
    // the matrix-free kinds run (two steps are enough to tell)
    let cfg = RaceConfig {
        max_iters: 2,
        ..RaceConfig::default()
    };
    for d in REGISTRY {
        let t0 = Instant::now();
        let t = run(
            &preset.problem,
            &preset.start,
            &OptimizerSpec::new(d.kind),
            &cfg,
        );
        let refused = matches!(&t.stop, StopReason::Failed(why) if why.contains("12737 × 12737") && why.contains("64 MB"));
        assert_eq!(refused, d.dense, "{}: {:?}", d.cli_name, t.stop);
        if d.dense {
            assert_eq!(t.steps(), 0);
            assert!(t0.elapsed().as_secs_f64() < 1.0, "{}", d.cli_name);
        }
    }
    // the limit is the configuration's
    let small = RaceConfig {
        max_dense_bytes: 1 << 10,
        ..RaceConfig::default()
    };
    let reference = RacePreset::reference();
    let newton = OptimizerSpec::new(OptimizerKind::Newton);
    assert!(run(&reference.problem, &reference.start, &newton, &cfg).steps() > 0);
    let hidden = RacePreset::full_network(&[16], 0).unwrap();
    assert!(matches!(
        run(&hidden.problem, &hidden.start, &newton, &small).stop,
        StopReason::Failed(_)
    ));
}

#[test]
fn an_evaluation_limit_hit_inside_a_line_search_is_counted() {
    let p = RacePreset::reference();
    let max_evals = 4_000;
    for kind in [OptimizerKind::Bfgs, OptimizerKind::Lbfgs] {
        let cfg = endless(RaceConfig {
            max_evals: Some(max_evals),
            ..RaceConfig::default()
        });
        let t = run(&p.problem, &p.start, &OptimizerSpec::new(kind), &cfg);
        assert_eq!(
            t.stop,
            StopReason::Budget(format!("evaluation limit of {max_evals}")),
            "{kind:?}"
        );
        let c = t.total_counts();
        let counted = c.cost + c.gradient + c.hessian + c.curvature;
        // every allowed evaluation is in the ledger (the refused one is not)
        assert_eq!(counted, max_evals, "{kind:?}: {c:?}");
    }
}

#[test]
fn a_wall_time_limit_hit_inside_a_line_search_is_the_race_s_own_reason() {
    let p = RacePreset::reference();
    for kind in [OptimizerKind::Bfgs, OptimizerKind::Lbfgs] {
        let cfg = endless(RaceConfig {
            max_evals: Some(u64::MAX),
            max_seconds: 0.3,
            ..RaceConfig::default()
        });
        let t0 = Instant::now();
        let t = run(&p.problem, &p.start, &OptimizerSpec::new(kind), &cfg);
        let secs = t0.elapsed().as_secs_f64();
        assert_eq!(
            t.stop,
            StopReason::Budget("wall time limit of 0.3 s".into()),
            "{kind:?}"
        );
        // the time in the table is the time spent, line search included
        let ms = *t.elapsed_ms.last().unwrap();
        assert!(
            ms > 0.9 * 300.0 && ms <= secs * 1e3,
            "{kind:?}: {ms} ms of {secs} s"
        );
        let c = t.total_counts();
        assert!(c.cost + c.gradient > 1_000, "{kind:?}: {c:?}");
    }
}

#[test]
fn a_whole_race_stops_at_its_total_limit() {
    let p = RacePreset::reference();
    let cfg = endless(RaceConfig {
        max_evals: Some(u64::MAX),
        max_seconds: 0.4,
        max_total_seconds: Some(1.0),
        ..RaceConfig::default()
    });
    let specs: Vec<OptimizerSpec> = ["bfgs", "lbfgs", "sd", "bfgs", "lbfgs"]
        .iter()
        .map(|n| n.parse().unwrap())
        .collect();
    let t0 = Instant::now();
    let traces = race(&p.problem, &p.start, &specs, &cfg);
    let secs = t0.elapsed().as_secs_f64();
    assert!(secs < 1.1 + 0.2, "{secs} s");
    let reasons: Vec<String> = traces
        .iter()
        .map(|t| match &t.stop {
            StopReason::Budget(why) => why.clone(),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(reasons[0], "wall time limit of 0.4 s", "{reasons:?}");
    assert_eq!(reasons[1], "wall time limit of 0.4 s", "{reasons:?}");
    for why in &reasons[2..] {
        assert_eq!(why, "whole-run time limit of 1 s", "{reasons:?}");
    }
    // a run that never started holds its start only
    assert_eq!(traces[4].steps(), 0);
    let bad = RaceConfig {
        max_total_seconds: Some(0.0),
        ..RaceConfig::default()
    };
    assert!(bad.validate().is_err());
}

#[test]
fn a_dense_hessian_run_stops_near_its_wall_time_limit() {
    // 2-24-24-1 (697 parameters): each dense Hessian takes a noticeable
    // share of the budget, and is never interrupted once started; the
    // prediction from the last one stops the run before the limit.
    let preset = RacePreset::full_network(&[24, 24], 0).unwrap();
    let max_seconds = 1.0;
    let cfg = endless(RaceConfig {
        max_evals: Some(u64::MAX),
        max_seconds,
        ..RaceConfig::default()
    });
    for kind in [OptimizerKind::SaddleFree, OptimizerKind::Ggn] {
        let spec = OptimizerSpec::new(kind).damping(1.0);
        let t0 = Instant::now();
        let t = run(&preset.problem, &preset.start, &spec, &cfg);
        let secs = t0.elapsed().as_secs_f64();
        assert!(
            matches!(&t.stop, StopReason::Budget(_)),
            "{kind:?}: {:?} after {secs} s",
            t.stop
        );
        assert!(secs < max_seconds * 1.1, "{kind:?}: {secs} s");
        let c = t.total_counts();
        assert!(c.hessian + c.curvature >= 1, "{kind:?}: {c:?}");
        // the time in the ledger is the time spent
        let ms = *t.elapsed_ms.last().unwrap();
        assert!(
            ms <= secs * 1e3 && ms > 0.5 * max_seconds * 1e3,
            "{kind:?}: {ms} ms"
        );
    }
}
