//! The race runner: presets, recorder, counting, stopping, divergence, determinism.

use argmin::core::observers::ObserverMode;
use argmin::core::{Error as ArgminError, Executor};
use ndarray::{Array1, Array2};
use quad_vs_grad::curvature::{CurvatureProducts, FisherKind, KfacCurvature, KfacFactors};
use quad_vs_grad::linalg::FixedDot;
use quad_vs_grad::prelude::*;
use quad_vs_grad::problem::{Parameterisation, Plane};
use quad_vs_grad::race::reference_race;
use quad_vs_grad::race::PathRecorder;
use quad_vs_grad::race::Recordable;
use quad_vs_grad::race::REGISTRY;
use quad_vs_grad::race::{run_detailed, DampingUse, Stochastic};
use quad_vs_grad::solvers::GradientDescent;

fn spec(name: &str) -> OptimizerSpec {
    name.parse().unwrap()
}

fn table(traces: &[Trace]) -> String {
    let mut out = String::from(
        "| optimizer | final loss | steps | stop | cost | grad | hess | curv | solves | ms |\n|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for t in traces {
        let c = t.total_counts();
        out += &format!(
            "| {} | {:.6} | {} | {} | {} | {} | {} | {} | {} | {:.2} |\n",
            t.optimizer,
            t.final_loss(),
            t.steps(),
            t.stop.short(),
            c.cost,
            c.gradient,
            c.hessian,
            c.curvature,
            c.linear_solve,
            t.wall_ms()
        );
    }
    out
}

#[test]
fn reference_race_converges_together() {
    let preset = RacePreset::reference();
    let t0 = std::time::Instant::now();
    let traces = preset.run();
    println!("reference race: {:?}\n{}", t0.elapsed(), table(&traces));
    let labels: Vec<&str> = traces.iter().map(|t| t.optimizer.as_str()).collect();
    assert_eq!(
        labels,
        [
            "GD",
            "Adam",
            "Newton (λ = 0.1)",
            "BFGS",
            "L-BFGS",
            "GGN",
            "K-FAC",
            "SteepestDescent"
        ]
    );
    for t in &traces {
        assert!(!t.diverged(), "{}: {:?}", t.optimizer, t.stop);
        assert!(t.steps() < 500, "{} did not stop", t.optimizer);
        assert_eq!(t.iterates[0], vec![2.0, -2.0]);
        assert!((t.final_loss() - 0.6899).abs() < 1e-3, "{}", t.optimizer);
        assert!(matches!(
            t.stop,
            StopReason::StepNorm | StopReason::GradientNorm
        ));
    }
    // the curvature methods take far fewer steps than the first-order ones
    let steps = |l: &str| traces.iter().find(|t| t.optimizer == l).unwrap().steps();
    for fast in ["Newton (λ = 0.1)", "BFGS", "L-BFGS", "GGN", "K-FAC"] {
        assert!(steps(fast) * 3 < steps("GD"), "{fast} vs GD");
    }
}

#[test]
fn second_order_methods_share_the_minimiser_of_the_reference_slice() {
    let preset = RacePreset::reference();
    let cfg = RaceConfig {
        tol: 1e-10,
        ..RaceConfig::default()
    };
    let names = ["newton", "bfgs", "lbfgs", "ggn", "kfac"];
    let traces: Vec<Trace> = names
        .iter()
        .map(|n| run(&preset.problem, &preset.start, &spec(n), &cfg))
        .collect();
    let reference = traces[0].final_point().unwrap().to_vec();
    let loss = traces[0].final_loss();
    for t in &traces {
        assert!(!t.diverged(), "{}: {:?}", t.optimizer, t.stop);
        let p = t.final_point().unwrap();
        let err = p
            .iter()
            .zip(&reference)
            .fold(0.0_f64, |m, (a, b)| m.max((a - b).abs()));
        assert!(err < 1e-6, "{}: {p:?} vs {reference:?}", t.optimizer);
        assert!((t.final_loss() - loss).abs() < 1e-12, "{}", t.optimizer);
        assert!(t.final_grad_norm() < 1e-6, "{}", t.optimizer);
    }
}

#[test]
fn other_presets_run() {
    let hidden = RacePreset::hidden_slice();
    let traces = hidden.run();
    println!("hidden slice\n{}", table(&traces));
    assert_eq!(traces.len(), 8);
    let full = RacePreset::full_network(&[2], 0).unwrap();
    assert_eq!(full.start.len(), 9);
    let cfg = RaceConfig {
        max_iters: 50,
        ..full.cfg.clone()
    };
    let traces = race(&full.problem, &full.start, &full.specs, &cfg);
    println!("full network (50 steps)\n{}", table(&traces));
    for t in &traces {
        assert!(!t.diverged(), "{}: {:?}", t.optimizer, t.stop);
        assert!(t.final_loss() < t.loss[0], "{}", t.optimizer);
    }
    assert!(RacePreset::full_network(&[0], 0).is_err());
}

#[test]
fn recorder_gives_one_plus_n_entries_and_does_not_count_its_own_work() {
    let preset = RacePreset::reference();
    let n = 7;
    let cfg = RaceConfig {
        max_iters: n,
        tol: 0.0,
        ..RaceConfig::default()
    };
    // GD: one loss and one gradient per iteration plus the start.
    let t = run(&preset.problem, &preset.start, &spec("gd"), &cfg);
    assert_eq!(t.stop, StopReason::MaxIters);
    for v in [
        t.iterates.len(),
        t.loss.len(),
        t.grad_norm.len(),
        t.counts.len(),
        t.elapsed_ms.len(),
    ] {
        assert_eq!(v, n as usize + 1);
    }
    let c = t.total_counts();
    assert_eq!((c.cost, c.gradient, c.hessian), (n + 1, n + 1, 0));
    assert!(t.elapsed_ms.windows(2).all(|w| w[0] <= w[1]));
    // argmin's Newton evaluates no loss: the recorder's losses are not counted.
    let t = run(&preset.problem, &preset.start, &spec("argmin-newton"), &cfg);
    assert_eq!(t.iterates.len(), n as usize + 1);
    let c = t.total_counts();
    assert_eq!(
        (c.cost, c.gradient, c.hessian, c.linear_solve),
        (0, n, n, n)
    );
    assert!(t.loss.iter().all(|l| l.is_finite()));
    // The same run without a recorder counts the same.
    let res = Executor::new(preset.problem.clone(), GradientDescent::new(0.8).unwrap())
        .configure(|s| s.param(preset.start.clone()).max_iters(n).counting(true))
        .ctrlc(false)
        .run()
        .unwrap();
    let direct = res.state().get_func_counts();
    let t = run(&preset.problem, &preset.start, &spec("gd").lr(0.8), &cfg);
    assert_eq!(direct["cost_count"], t.total_counts().cost);
    assert_eq!(direct["gradient_count"], t.total_counts().gradient);
}

#[test]
fn recorder_works_as_a_plain_argmin_observer() {
    let pr = XorProblem::reference();
    let recorder = PathRecorder::new(pr.clone(), 10.0);
    let data = recorder.recording();
    Executor::new(pr, GradientDescent::new(0.5).unwrap())
        .configure(|s| {
            s.param(ndarray::array![2.0, -2.0])
                .max_iters(4)
                .counting(true)
        })
        .add_observer(recorder, ObserverMode::Always)
        .ctrlc(false)
        .run()
        .unwrap();
    let data = data.lock().unwrap();
    assert_eq!(data.iterates.len(), 5);
    assert!(data.termination.is_some());
    assert!(data.diagnostics[1].contains_key("step_norm"));
}

#[test]
fn same_seed_same_trace_in_stochastic_mode() {
    let preset = RacePreset::full_network(&[2], 0).unwrap();
    let names = ["gd", "adam", "ggn-lm", "kfac", "hf"];
    let specs: Vec<OptimizerSpec> = names.iter().map(|n| spec(n)).collect();
    let cfg = |seed| RaceConfig {
        max_iters: 25,
        batch_size: Some(16),
        seed,
        ..RaceConfig::default()
    };
    let strip = |mut ts: Vec<Trace>| {
        for t in &mut ts {
            t.elapsed_ms.clear();
        }
        ts
    };
    let a = strip(race(&preset.problem, &preset.start, &specs, &cfg(5)));
    let b = strip(race(&preset.problem, &preset.start, &specs, &cfg(5)));
    let c = strip(race(&preset.problem, &preset.start, &specs, &cfg(6)));
    assert_eq!(a, b);
    for (x, y) in a.iter().zip(&c) {
        assert_ne!(
            x.iterates, y.iterates,
            "{}: the seed has no effect",
            x.optimizer
        );
    }
    // the recorded loss is the full-batch loss
    for t in &a {
        for (p, l) in t.iterates.iter().zip(&t.loss) {
            let full = preset
                .problem
                .full_batch_cost(&Array1::from(p.clone()))
                .unwrap();
            assert_eq!(full, *l);
        }
    }
    // serialisable (serde_json parses floats to within an ulp unless its
    // `float_roundtrip` feature is on)
    let json = serde_json::to_string(&a[0]).unwrap();
    let back: Trace = serde_json::from_str(&json).unwrap();
    assert_eq!(
        (back.optimizer.as_str(), back.steps()),
        (a[0].optimizer.as_str(), a[0].steps())
    );
    for (x, y) in back
        .iterates
        .iter()
        .flatten()
        .zip(a[0].iterates.iter().flatten())
    {
        assert!((x - y).abs() <= 1e-15 * y.abs().max(1e-300), "{x} vs {y}");
    }
}

#[test]
fn a_diverging_run_is_reported_and_the_race_goes_on() {
    let preset = RacePreset::reference();
    let specs = vec![spec("gd").lr(1e3).label("SGD lr 1e3"), spec("newton")];
    let traces = race(&preset.problem, &preset.start, &specs, &preset.cfg);
    assert!(
        matches!(traces[0].stop, StopReason::Diverged(_)),
        "{:?}",
        traces[0].stop
    );
    assert!(traces[0].steps() >= 1);
    assert_eq!(traces[1].stop, StopReason::StepNorm);
    // a non-finite blow-up is caught as well (a quartic overflows under GD
    // with a large step; the loss limit is out of the way)
    let t = run(
        &Landscape,
        &ndarray::array![3.0, 3.0],
        &spec("gd").lr(1.0),
        &RaceConfig {
            divergence_factor: f64::MAX,
            ..RaceConfig::default()
        },
    );
    assert!(
        matches!(&t.stop, StopReason::Diverged(m) if m.contains("non-finite")),
        "{:?}",
        t.stop
    );
    assert!(t.steps() < 20);
}

#[test]
fn invalid_settings_fail_cleanly() {
    let preset = RacePreset::reference();
    let bad = RaceConfig {
        max_iters: 0,
        ..RaceConfig::default()
    };
    assert!(bad.validate().is_err());
    for cfg in [
        RaceConfig {
            tol: f64::NAN,
            ..RaceConfig::default()
        },
        RaceConfig {
            damping: -1.0,
            ..RaceConfig::default()
        },
        RaceConfig {
            lr: Some(0.0),
            ..RaceConfig::default()
        },
        RaceConfig {
            batch_size: Some(0),
            ..RaceConfig::default()
        },
    ] {
        assert!(cfg.validate().is_err(), "{cfg:?}");
    }
    let t = run(&preset.problem, &preset.start, &spec("gd"), &bad);
    assert!(matches!(t.stop, StopReason::Failed(_)));
    assert_eq!(t.iterates.len(), 1);
    let t = run(
        &preset.problem,
        &preset.start,
        &spec("adam").lr(-1.0),
        &preset.cfg,
    );
    assert!(matches!(t.stop, StopReason::Failed(_)));
    // a batch larger than the data
    let cfg = RaceConfig {
        batch_size: Some(10_000),
        ..RaceConfig::default()
    };
    let t = run(&preset.problem, &preset.start, &spec("sgd"), &cfg);
    assert!(matches!(t.stop, StopReason::Failed(_)), "{:?}", t.stop);
}

#[test]
fn names_parse_and_unknown_names_list_the_valid_ones() {
    for name in OptimizerKind::all_names() {
        let s: OptimizerSpec = name.parse().unwrap();
        assert_eq!(s.kind.cli_name(), name);
    }
    assert_eq!(spec("L-BFGS").kind, OptimizerKind::Lbfgs);
    assert_eq!(spec("SGD").kind, OptimizerKind::Gd);
    let err = "newtonn".parse::<OptimizerSpec>().unwrap_err().to_string();
    assert!(err.contains("newtonn") && err.contains("kfac") && err.contains("trust-region"));
    // a hyperparameter comes from the spec, else the config, else the registry
    let cfg = RaceConfig {
        lr: Some(0.3),
        ..RaceConfig::default()
    };
    assert_eq!(spec("gd").lr(0.7).settings(&cfg).lr, Some(0.7));
    for name in [
        "gd",
        "momentum",
        "nesterov",
        "rmsprop",
        "adam",
        "langevin",
        "adaptive-gd",
    ] {
        assert_eq!(spec(name).settings(&cfg).lr, Some(0.3), "{name}");
    }
    let plain = RaceConfig::default();
    assert_eq!(spec("gd").settings(&plain).lr, Some(0.8));
    assert_eq!(spec("adam").settings(&plain).lr, Some(0.05));
    assert_eq!(spec("rmsprop").settings(&plain).lr, Some(0.01));
    assert_eq!(spec("newton").settings(&cfg).lr, None);
    assert_eq!(spec("newton").settings(&cfg).damping, Some(0.1));
    assert_eq!(
        spec("newton").damping(1.0).settings(&cfg).damping,
        Some(1.0)
    );
    assert_eq!(spec("adam").settings(&cfg).damping, None);
    assert!(spec("ggn-lm").settings(&cfg).adaptive_damping);
    assert!(!spec("ggn").settings(&cfg).adaptive_damping);
    assert_eq!(spec("momentum").settings(&cfg).momentum, Some(0.9));
    assert_eq!(spec("langevin").noise(0.5).settings(&cfg).noise, Some(0.5));
}

/// The README's list of optimizer names is the registry's.
#[test]
fn readme_lists_every_optimizer_of_the_registry() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let start = readme
        .find("Optimizer names: `")
        .expect("the README lists the optimizer names")
        + "Optimizer names: `".len();
    let end = start + readme[start..].find('`').expect("closing backtick");
    let listed: Vec<&str> = readme[start..end].split_whitespace().collect();
    assert_eq!(listed, OptimizerKind::all_names());
    // and the learning-rate defaults it quotes are the registry's
    let defaults: Vec<String> = REGISTRY
        .iter()
        .filter_map(|d| d.lr.map(|lr| format!("{} {lr}", d.cli_name)))
        .collect();
    let quoted = format!("(per optimizer:\n{};", defaults.join(", "));
    assert!(readme.contains(&quoted), "README should say {quoted}");
}

/// Every registry kind records the settings it resolved, on success and on
/// failure alike.
#[test]
fn every_trace_records_its_settings() {
    let preset = RacePreset::reference();
    let cfg = RaceConfig {
        max_iters: 2,
        seed: 9,
        lr: Some(0.2),
        damping: 0.3,
        ..RaceConfig::default()
    };
    for &kind in OptimizerKind::ALL {
        let s = OptimizerSpec::new(kind);
        let t = run(&preset.problem, &preset.start, &s, &cfg);
        assert_eq!(t.settings, s.settings(&cfg), "{kind}");
        assert_eq!(t.settings.kind.as_deref(), Some(kind.cli_name()));
        assert_eq!((t.settings.seed, t.settings.max_iters), (9, 2));
        assert_eq!(t.settings.batch_size, None);
        let d = kind.descriptor();
        assert_eq!(t.settings.lr, d.lr.map(|_| 0.2), "{kind}");
        assert_eq!(t.settings.damping.is_some(), d.damping != DampingUse::None);
    }
    // a run that cannot start records what it would have used
    let t = run(&preset.problem, &preset.start, &spec("adam").lr(-1.0), &cfg);
    assert!(matches!(t.stop, StopReason::Failed(_)));
    assert_eq!(t.settings.lr, Some(-1.0));
    // and the settings survive the JSON round trip
    let json = serde_json::to_string(&t).unwrap();
    let back: Trace = serde_json::from_str(&json).unwrap();
    assert_eq!(back.settings, t.settings);
}

#[test]
fn stochastic_mode_runs_every_kind_or_refuses_it_with_its_reason() {
    let preset = RacePreset::full_network(&[2], 0).unwrap();
    let cfg = RaceConfig {
        max_iters: 3,
        batch_size: Some(8),
        ..RaceConfig::default()
    };
    let mut refused = Vec::new();
    for &kind in OptimizerKind::ALL {
        let s = OptimizerSpec::new(kind);
        let t = run(&preset.problem, &preset.start, &s, &cfg);
        // no mark of the mode in the label; only damped Newton names its damping
        assert_eq!(t.optimizer, s.display_label(&cfg), "no label marks");
        assert!(t.optimizer.starts_with(kind.default_label()));
        match kind.descriptor().stochastic {
            Stochastic::Refused(why) => {
                refused.push(kind.cli_name());
                assert_eq!(t.settings.batch_size, None, "{kind}");
                let StopReason::Failed(msg) = &t.stop else {
                    panic!("{kind} ran in stochastic mode: {:?}", t.stop)
                };
                assert!(
                    msg.contains(&format!("`{kind}` has no stochastic mode")) && msg.contains(why),
                    "{msg}"
                );
                assert_eq!(t.iterates.len(), 1);
                assert!(s.check(&cfg).is_err() && s.check(&RaceConfig::default()).is_ok());
            }
            _ => {
                assert_eq!(t.settings.batch_size, Some(8), "{kind}");
                assert!(
                    !matches!(t.stop, StopReason::Failed(_)),
                    "{kind}: {:?}",
                    t.stop
                );
                // the recorded loss is the full-batch loss of each iterate
                let p = Array1::from(t.iterates.last().unwrap().clone());
                assert_eq!(
                    *t.loss.last().unwrap(),
                    preset.problem.full_batch_cost(&p).unwrap()
                );
            }
        }
    }
    assert_eq!(
        refused,
        ["sd", "argmin-newton", "bfgs", "lbfgs", "trust-region"]
    );
    // the refusals name their reason: line search, Newton's hook, radius
    let why = |n: &str| spec(n).check(&cfg).unwrap_err().to_string();
    assert!(why("sd").contains("line search"));
    assert!(why("bfgs").contains("obfgs") && why("lbfgs").contains("olbfgs"));
    assert!(why("argmin-newton").contains("newton` with --damping 0"));
    assert!(why("trust-region").contains("rho"));
}

#[test]
fn curvature_from_a_separate_batch() {
    let preset = RacePreset::full_network(&[2], 0).unwrap();
    let cfg = RaceConfig {
        max_iters: 20,
        batch_size: Some(50),
        curvature_batch_size: Some(10),
        seed: 3,
        ..RaceConfig::default()
    };
    let same = RaceConfig {
        curvature_batch_size: None,
        ..cfg.clone()
    };
    for &kind in OptimizerKind::ALL {
        let s = OptimizerSpec::new(kind);
        let settings = s.settings(&cfg);
        let curvature = kind.descriptor().stochastic == Stochastic::Curvature;
        assert_eq!(
            settings.curvature_batch_size,
            curvature.then_some(10),
            "{kind}"
        );
        assert_eq!(
            settings.curvature_seed,
            curvature.then_some(4),
            "{kind}: seed + 1"
        );
        if !curvature {
            continue;
        }
        let a = run(&preset.problem, &preset.start, &s, &cfg);
        let b = run(&preset.problem, &preset.start, &s, &cfg);
        let c = run(&preset.problem, &preset.start, &s, &same);
        assert!(
            !a.stop.is_failure() && !c.stop.is_failure(),
            "{kind}: {:?}",
            a.stop
        );
        assert_eq!(a.iterates, b.iterates, "{kind}: seeded");
        assert_ne!(
            a.iterates, c.iterates,
            "{kind}: the curvature batch has an effect"
        );
        // the gradient's batches are the same: same gradient count
        assert_eq!(
            a.total_counts().gradient,
            c.total_counts().gradient,
            "{kind}"
        );
    }
    // its own seed
    let k = spec("ggn");
    let s7 = RaceConfig {
        curvature_seed: Some(7),
        ..cfg.clone()
    };
    assert_eq!(k.settings(&s7).curvature_seed, Some(7));
    assert_ne!(
        run(&preset.problem, &preset.start, &k, &s7).iterates,
        run(&preset.problem, &preset.start, &k, &cfg).iterates
    );
    // zero is refused, larger than the data fails that run cleanly
    let zero = RaceConfig {
        curvature_batch_size: Some(0),
        ..cfg.clone()
    };
    assert!(zero.validate().is_err());
    let huge = RaceConfig {
        curvature_batch_size: Some(1000),
        ..cfg.clone()
    };
    assert!(matches!(
        run(&preset.problem, &preset.start, &k, &huge).stop,
        StopReason::Failed(_)
    ));
}

#[test]
fn every_stochastic_mode_converges_on_the_convex_slice_with_large_batches() {
    // The reference slice is convex (minimum 0.6899): with batches of 150
    // of its 200 examples, and curvature from separate batches of 100, every
    // kind with a stochastic mode ends near the minimum.
    let preset = RacePreset::reference();
    let best = run(
        &preset.problem,
        &preset.start,
        &spec("ggn"),
        &RaceConfig::default(),
    )
    .final_loss();
    assert!((best - 0.6899).abs() < 1e-4, "{best}");
    let cfg = RaceConfig {
        max_iters: 300,
        batch_size: Some(150),
        curvature_batch_size: Some(100),
        tol: 0.0,
        ..RaceConfig::default()
    };
    for &kind in OptimizerKind::ALL {
        if !kind.descriptor().stochastic.is_supported() {
            continue;
        }
        let s = OptimizerSpec::new(kind);
        let t = run(&preset.problem, &preset.start, &s, &cfg);
        assert!(!t.stop.is_failure(), "{kind}: {:?}", t.stop);
        // within 0.02 of where the same kind gets on the full batch (the
        // minimum of each batch loss scatters around the full one) ...
        let full_batch = RaceConfig {
            batch_size: None,
            curvature_batch_size: None,
            ..cfg.clone()
        };
        let full = run(&preset.problem, &preset.start, &s, &full_batch).final_loss();
        assert!(
            (t.final_loss() - full).abs() < 0.02,
            "{kind}: {} vs {full}",
            t.final_loss()
        );
        // ... which is the minimum for all but the slow condition-adaptive GD
        if kind != OptimizerKind::AdaptiveGd {
            assert!(t.final_loss() - best < 0.02, "{kind}: {}", t.final_loss());
        }
    }
}

#[test]
fn same_batch_pairs_fix_stochastic_bfgs() {
    // The full 2-3-1 network on the noisy reference XOR, batches of 10.
    let problem = XorProblem::full(Dataset::reference(), &[3]).unwrap();
    let start = problem.mlp().init(0);
    let cfg = RaceConfig {
        max_iters: 300,
        batch_size: Some(10),
        lr: Some(0.1),
        tol: 0.0,
        ..RaceConfig::default()
    };
    let bad = |name: &str| {
        let out = run_detailed(&problem, &start, &spec(name), &cfg);
        let d = out.diagnostics.last().unwrap();
        let (pairs, bad) = (d["pairs"], d["bad_pairs"]);
        (out.trace, pairs, bad)
    };
    for (naive, fixed) in [("sbfgs", "obfgs"), ("slbfgs", "olbfgs")] {
        let (tn, pn, bn) = bad(naive);
        let (tf, pf, bf) = bad(fixed);
        assert!(
            !tn.diverged() && !tf.diverged(),
            "{:?} {:?}",
            tn.stop,
            tf.stop
        );
        // naive: y mixes two batches, a third or more of the pairs have sᵀy ≤ 0
        assert!(bn >= 0.25 * pn, "{naive}: {bn} of {pn}");
        // same batch: a few percent
        assert!(bf <= 0.05 * pf && 5.0 * bf < bn, "{fixed}: {bf} of {pf}");
        // the fix pays one extra gradient per step, counted
        assert_eq!(tn.total_counts().gradient, 300);
        assert_eq!(tf.total_counts().gradient, 600);
        // and reaches a lower full-batch loss
        assert!(
            tf.final_loss() < tn.final_loss(),
            "{} {}",
            tf.final_loss(),
            tn.final_loss()
        );
    }
}

#[test]
fn trust_region_stops_on_its_gradient_norm() {
    // argmin's trust region has no stopping rule: without the race's gradient
    // stop it used to run out its 500 iterations at |g| ≈ 3e-14.
    let preset = RacePreset::hidden_slice();
    let cfg = RaceConfig::default();
    let t = run(&preset.problem, &preset.start, &spec("trust-region"), &cfg);
    println!(
        "trust region: {} steps, |g| = {:e}",
        t.steps(),
        t.final_grad_norm()
    );
    assert_eq!(t.stop, StopReason::GradientNorm);
    assert!(t.steps() < 50, "{} steps", t.steps());
    assert!(t.final_grad_norm() < cfg.tol);
    assert!(
        (t.final_loss() - 0.003612).abs() < 1e-6,
        "{}",
        t.final_loss()
    );
    // a tolerance of zero leaves the iteration limit as the only stop
    let strict = RaceConfig {
        tol: 0.0,
        max_iters: 60,
        ..RaceConfig::default()
    };
    let t = run(
        &preset.problem,
        &preset.start,
        &spec("trust-region"),
        &strict,
    );
    assert_eq!(t.stop, StopReason::MaxIters);
}

#[test]
fn run_solver_races_a_hand_configured_solver_like_a_kind() {
    let preset = RacePreset::reference();
    let cfg = RaceConfig::default();
    // the same solver, by hand and from the registry: the same path
    let by_hand = run_solver(
        &preset.problem,
        &preset.start,
        "my GD",
        GradientDescent::new(0.8).unwrap(),
        &cfg,
    );
    let kind = run(&preset.problem, &preset.start, &spec("gd"), &cfg);
    assert_eq!(by_hand.optimizer, "my GD");
    assert_eq!(by_hand.iterates, kind.iterates);
    assert_eq!(by_hand.loss, kind.loss);
    assert_eq!(by_hand.counts, kind.counts);
    assert_eq!(by_hand.stop, kind.stop);
    assert_eq!(by_hand.settings.kind, None);
    assert_eq!(by_hand.settings.tol, cfg.tol);
    // a hand-configured Adam differs from the preset one
    let adam = Adam::new(0.05).unwrap().with_betas(0.9, 0.99).unwrap();
    let mine = run_solver(&preset.problem, &preset.start, "Adam 0.99", adam, &cfg);
    let preset_adam = run(&preset.problem, &preset.start, &spec("adam"), &cfg);
    assert_ne!(mine.iterates, preset_adam.iterates);
    assert!(!mine.diverged() && mine.final_loss() < mine.loss[0]);
    // an invalid configuration fails cleanly
    let bad = RaceConfig {
        max_iters: 0,
        ..RaceConfig::default()
    };
    let t = run_solver(
        &preset.problem,
        &preset.start,
        "GD",
        GradientDescent::new(0.8).unwrap(),
        &bad,
    );
    assert!(matches!(t.stop, StopReason::Failed(_)) && t.iterates.len() == 1);
}

/// A learner's own problem: a tilted quadratic bowl with only a loss and a
/// gradient (no Hessian, no curvature traits).
#[derive(Clone)]
struct Bowl;

impl CostFunction for Bowl {
    type Param = Array1<f64>;
    type Output = f64;
    fn cost(&self, x: &Array1<f64>) -> Result<f64, ArgminError> {
        Ok(x[0] * x[0] + 10.0 * x[1] * x[1] + x[0])
    }
}
impl Gradient for Bowl {
    type Param = Array1<f64>;
    type Gradient = Array1<f64>;
    fn gradient(&self, x: &Array1<f64>) -> Result<Array1<f64>, ArgminError> {
        Ok(ndarray::array![2.0 * x[0] + 1.0, 20.0 * x[1]])
    }
}
impl MiniBatched for Bowl {
    fn num_examples(&self) -> usize {
        0
    }
    fn set_batch(&mut self, _: Option<&[usize]>) -> Result<(), ArgminError> {
        Ok(())
    }
    fn full_batch_cost(&self, x: &Array1<f64>) -> Result<f64, ArgminError> {
        self.cost(x)
    }
    fn full_batch_gradient(&self, x: &Array1<f64>) -> Result<Array1<f64>, ArgminError> {
        self.gradient(x)
    }
}
impl Recordable for Bowl {}

#[test]
fn run_solver_takes_a_learners_own_problem_without_curvature() {
    use argmin::solver::linesearch::MoreThuenteLineSearch;
    use argmin::solver::quasinewton::LBFGS;
    let start = ndarray::array![1.0, 1.0];
    let cfg = RaceConfig::default();
    let gd = run_solver(
        &Bowl,
        &start,
        "GD",
        GradientDescent::new(0.04).unwrap(),
        &cfg,
    );
    let lbfgs = LBFGS::new(MoreThuenteLineSearch::new(), 5)
        .with_tolerance_grad(1e-8)
        .unwrap();
    let qn = run_solver(&Bowl, &start, "L-BFGS", lbfgs, &cfg);
    for t in [&gd, &qn] {
        assert_eq!(t.problem, "Bowl");
        assert!(!t.diverged(), "{}: {:?}", t.optimizer, t.stop);
        let p = t.final_point().unwrap();
        assert!((p[0] + 0.5).abs() < 1e-3 && p[1].abs() < 1e-3, "{p:?}");
    }
    assert!(qn.steps() < gd.steps());
}

/// An analytic landscape (no network): `Σ (x_i² − 1)² / 4 + x_0 x_1 / 2`.
#[derive(Clone)]
struct Landscape;

impl CostFunction for Landscape {
    type Param = Array1<f64>;
    type Output = f64;
    fn cost(&self, x: &Array1<f64>) -> Result<f64, ArgminError> {
        Ok(x.iter().map(|v| (v * v - 1.0).powi(2) / 4.0).sum::<f64>() + x[0] * x[1] / 2.0)
    }
}
impl Gradient for Landscape {
    type Param = Array1<f64>;
    type Gradient = Array1<f64>;
    fn gradient(&self, x: &Array1<f64>) -> Result<Array1<f64>, ArgminError> {
        Ok(ndarray::array![
            x[0] * (x[0] * x[0] - 1.0) + x[1] / 2.0,
            x[1] * (x[1] * x[1] - 1.0) + x[0] / 2.0
        ])
    }
}
impl Hessian for Landscape {
    type Param = Array1<f64>;
    type Hessian = Array2<f64>;
    fn hessian(&self, x: &Array1<f64>) -> Result<Array2<f64>, ArgminError> {
        Ok(ndarray::array![
            [3.0 * x[0] * x[0] - 1.0, 0.5],
            [0.5, 3.0 * x[1] * x[1] - 1.0]
        ])
    }
}
impl CurvatureProducts for Landscape {
    fn hessian_vec(&self, x: &Array1<f64>, v: &Array1<f64>) -> Result<Array1<f64>, ArgminError> {
        Ok(self.hessian(x)?.fdot(v))
    }
    fn ggn_vec(&self, _: &Array1<f64>, _: &Array1<f64>) -> Result<Array1<f64>, ArgminError> {
        Err(ArgminError::msg("a landscape has no Gauss-Newton matrix"))
    }
    fn ggn(&self, _: &Array1<f64>) -> Result<Array2<f64>, ArgminError> {
        Err(ArgminError::msg("a landscape has no Gauss-Newton matrix"))
    }
}
impl KfacCurvature for Landscape {
    fn kfac_factors(&self, _: &Array1<f64>, _: FisherKind) -> Result<KfacFactors, ArgminError> {
        Err(ArgminError::msg("K-FAC needs a layered network"))
    }
}
impl MiniBatched for Landscape {
    fn num_examples(&self) -> usize {
        0
    }
    fn set_batch(&mut self, _: Option<&[usize]>) -> Result<(), ArgminError> {
        Err(ArgminError::msg("no mini-batches"))
    }
    fn full_batch_cost(&self, x: &Array1<f64>) -> Result<f64, ArgminError> {
        self.cost(x)
    }
    fn full_batch_gradient(&self, x: &Array1<f64>) -> Result<Array1<f64>, ArgminError> {
        self.gradient(x)
    }
}
impl Recordable for Landscape {}

#[test]
fn landscapes_race_too_and_network_only_methods_fail_cleanly() {
    let start = ndarray::array![1.5, 0.2];
    let names = [
        "gd",
        "momentum",
        "nesterov",
        "rmsprop",
        "adam",
        "newton",
        "saddle-free",
        "sd",
        "argmin-newton",
        "bfgs",
        "lbfgs",
        "trust-region",
        "ggn",
        "kfac",
        "hf",
    ];
    let specs: Vec<OptimizerSpec> = names.iter().map(|n| spec(n)).collect();
    let traces = race(&Landscape, &start, &specs, &RaceConfig::default());
    println!("landscape\n{}", table(&traces));
    for t in &traces {
        assert_eq!(t.problem, "Landscape");
        match t.optimizer.as_str() {
            "GGN" | "K-FAC" | "Hessian-free" => {
                assert!(
                    matches!(&t.stop, StopReason::Failed(m) if m.contains("network") || m.contains("Gauss")),
                    "{}: {:?}",
                    t.optimizer,
                    t.stop
                )
            }
            // undamped Newton heads for the indefinite region's stationary
            // points: whatever it does, it is reported, not a crash
            "Newton (argmin)" => assert!(!matches!(t.stop, StopReason::Failed(_)), "{:?}", t.stop),
            _ => {
                assert!(!t.diverged(), "{}: {:?}", t.optimizer, t.stop);
                assert!(t.final_loss() < t.loss[0], "{}", t.optimizer);
            }
        }
    }
}

#[test]
fn langevin_and_adaptive_gd_are_race_kinds() {
    let l = spec("langevin");
    assert_eq!(
        (l.kind, l.label.as_str()),
        (OptimizerKind::Langevin, "Langevin GD")
    );
    assert_eq!(spec("Langevin_GD").kind, OptimizerKind::Langevin);
    let a = spec("adaptive-gd");
    assert_eq!(
        (a.kind, a.label.as_str()),
        (OptimizerKind::AdaptiveGd, "Adaptive GD (κ)")
    );
    assert_eq!(spec("adaptive").kind, OptimizerKind::AdaptiveGd);
    let cfg = RaceConfig {
        lr: Some(0.3),
        ..RaceConfig::default()
    };
    // the config's lr reaches them, as every first-order method
    assert_eq!(l.settings(&cfg).lr, Some(0.3));
    assert_eq!(a.settings(&cfg).lr, Some(0.3));
    let plain = RaceConfig::default();
    assert_eq!(l.settings(&plain).lr, Some(0.1));
    assert_eq!(l.settings(&plain).noise, Some(0.2));
    assert_eq!(a.settings(&plain).lr, Some(0.1));

    let preset = RacePreset::reference();
    let cfg = |seed| RaceConfig {
        max_iters: 30,
        seed,
        ..RaceConfig::default()
    };
    let go = |s: &OptimizerSpec, seed| {
        let mut t = run(&preset.problem, &preset.start, s, &cfg(seed));
        t.elapsed_ms.clear();
        t
    };
    // Langevin: the noise is seeded by the config's seed; σ = 0 is plain GD.
    let (x, y, z) = (go(&l, 3), go(&l, 3), go(&l, 4));
    assert_eq!(x, y);
    assert_ne!(x.iterates, z.iterates);
    assert_eq!(x.steps(), 30, "the noise keeps it moving: {:?}", x.stop);
    let mut quiet = go(&l.clone().noise(0.0), 3);
    let mut gd = go(&spec("gd").lr(0.1), 3);
    quiet.optimizer.clear();
    gd.optimizer.clear();
    assert_eq!(quiet.iterates, gd.iterates);
    let bad = go(&l.clone().noise(-1.0), 3);
    assert!(matches!(bad.stop, StopReason::Failed(_)), "{:?}", bad.stop);
    // Adaptive GD: descends on the convex slice, one Hessian per step.
    let t = go(&a, 0);
    assert!(!t.stop.is_failure(), "{:?}", t.stop);
    assert!(t.final_loss() < t.loss[0]);
    assert_eq!(t.total_counts().hessian, t.steps() as u64);
}

// ---- budgets, bounded memory (issue 14) ----

#[test]
fn line_search_from_the_edge_of_the_float_range_ends_on_its_budget() {
    // argmin's More–Thuente line search loops forever from here (it has no
    // iteration limit); the budgeted problem ends it.
    let problem = XorProblem::reference();
    let cfg = RaceConfig::default();
    for (start, names) in [
        (array![1e300, -1e300], &["bfgs", "lbfgs", "sd", "gd"][..]),
        (array![1e50, -1e50], &["bfgs"][..]),
    ] {
        for name in names {
            let t0 = std::time::Instant::now();
            let t = run(&problem, &start, &spec(name), &cfg);
            let secs = t0.elapsed().as_secs_f64();
            assert!(secs < 30.0, "{name}: {secs} s");
            assert!(
                !matches!(t.stop, StopReason::Other(_)),
                "{name}: {:?}",
                t.stop
            );
            if *name == "bfgs" {
                assert!(
                    matches!(&t.stop, StopReason::Budget(m) if m.contains("evaluation limit")),
                    "{name}: {:?}",
                    t.stop
                );
            }
        }
    }
}

#[test]
fn budgets_stop_one_run_and_the_others_run_on() {
    let problem = XorProblem::reference();
    let start = array![2.0, -2.0];
    let cfg = RaceConfig {
        max_evals: Some(40),
        ..RaceConfig::default()
    };
    let traces = race(&problem, &start, &[spec("gd"), spec("bfgs")], &cfg);
    // GD makes one loss and one gradient evaluation per step.
    assert_eq!(
        traces[0].stop,
        StopReason::Budget("evaluation limit of 40".into())
    );
    assert_eq!(traces[0].stop.short(), "budget");
    assert!(!traces[0].diverged());
    let c = traces[0].total_counts();
    assert!(c.cost + c.gradient <= 40, "{c:?}");
    assert_eq!(traces[0].settings.max_evals, 40);
    assert_eq!(traces[1].stop, StopReason::GradientNorm);
    // a wall-time budget too short for anything
    let cfg = RaceConfig {
        max_seconds: 1e-9,
        ..RaceConfig::default()
    };
    let t = run(&problem, &start, &spec("adam"), &cfg);
    assert!(
        matches!(&t.stop, StopReason::Budget(m) if m.contains("wall time")),
        "{:?}",
        t.stop
    );
    assert_eq!(t.settings.max_seconds, 1e-9);
    // the defaults never bother the reference race
    let cfg = RaceConfig::default();
    assert_eq!(cfg.eval_budget(), 50_000);
    for t in race(&problem, &start, &reference_race(), &cfg) {
        assert!(!matches!(t.stop, StopReason::Budget(_)), "{}", t.optimizer);
    }
}

#[test]
fn long_runs_are_thinned_keeping_start_last_and_the_full_loss_curve() {
    let problem = XorProblem::reference();
    let start = array![2.0, -2.0];
    let full_cfg = RaceConfig {
        max_iters: 3000,
        tol: 0.0,
        ..RaceConfig::default()
    };
    let thin_cfg = RaceConfig {
        max_recorded: 100,
        ..full_cfg.clone()
    };
    let full = quad_vs_grad::race::run_detailed(&problem, &start, &spec("gd"), &full_cfg);
    let thin = quad_vs_grad::race::run_detailed(&problem, &start, &spec("gd"), &thin_cfg);
    let (f, t) = (&full.trace, &thin.trace);
    assert_eq!(f.stop, StopReason::MaxIters);
    assert_eq!(t.stop, StopReason::MaxIters);
    assert!(!f.is_thinned() && t.is_thinned());
    assert_eq!((f.steps(), t.steps()), (3000, 3000));
    assert_eq!(f.iterates.len(), 3001);
    assert!(
        t.iterates.len() <= 100 && t.iterates.len() > 25,
        "{}",
        t.iterates.len()
    );
    for v in [
        t.loss.len(),
        t.grad_norm.len(),
        t.counts.len(),
        t.elapsed_ms.len(),
    ] {
        assert_eq!(v, t.iterates.len());
    }
    assert_eq!(thin.diagnostics.len(), t.iterates.len());
    // full-resolution loss curve in both
    assert_eq!(thin.loss_curve, full.loss_curve);
    assert_eq!(full.loss_curve, f.loss);
    // start and last kept; every kept entry is the same iterate as the full run's
    assert_eq!(t.iteration(0), 0);
    assert_eq!(t.iteration(t.iterates.len() - 1), 3000);
    let mut last = None;
    for i in 0..t.iterates.len() {
        let k = t.iteration(i);
        assert!(last.map_or(true, |l| k > l), "iterations increase");
        last = Some(k);
        assert_eq!(t.iterates[i], f.iterates[k]);
        assert_eq!(t.loss[i], f.loss[k]);
        // gradient norms are evaluated only for kept entries, the last
        // one (off the stride here) filled in once the run has ended
        assert_eq!(t.grad_norm[i], f.grad_norm[k]);
        // entry_at inverts iteration, and maps the iterations between two
        // kept entries to the earlier one
        assert_eq!(t.entry_at(k), i);
        assert_eq!(t.entry_at(k + 1), i);
        assert_eq!(f.entry_at(k), k);
        assert_eq!(t.counts[i], f.counts[k]);
    }
    assert_eq!(t.entry_at(usize::MAX), t.iterates.len() - 1);
    assert_eq!(f.entry_at(usize::MAX), 3000);
    // strides are powers of two: all but the last entry on one grid
    let stride = t.iteration(1);
    assert!(stride.is_power_of_two() && stride > 1);
    for i in 0..t.iterates.len() - 1 {
        assert_eq!(t.iteration(i), i * stride);
    }
    // the export says which iteration each row is
    let csv = String::from_utf8(quad_vs_grad::report::traces_csv(std::slice::from_ref(t)).unwrap())
        .unwrap();
    assert!(csv.contains(&format!("\nGD,{stride},")), "{}", &csv[..300]);
}

#[test]
fn step_counts_beyond_the_maximum_are_refused() {
    use quad_vs_grad::race::MAX_ITERS;
    let ok = RaceConfig {
        max_iters: MAX_ITERS,
        ..RaceConfig::default()
    };
    assert!(ok.validate().is_ok());
    for bad in [
        RaceConfig {
            max_iters: MAX_ITERS + 1,
            ..RaceConfig::default()
        },
        RaceConfig {
            max_evals: Some(0),
            ..RaceConfig::default()
        },
        RaceConfig {
            max_seconds: 0.0,
            ..RaceConfig::default()
        },
        RaceConfig {
            max_seconds: f64::NAN,
            ..RaceConfig::default()
        },
        RaceConfig {
            max_recorded: 1,
            ..RaceConfig::default()
        },
    ] {
        let e = bad.validate().unwrap_err().to_string();
        assert!(e.lines().count() == 1 && e.len() < 120, "{e}");
        let t = run(
            &XorProblem::reference(),
            &array![2.0, -2.0],
            &spec("gd"),
            &bad,
        );
        assert!(matches!(t.stop, StopReason::Failed(_)));
    }
    let e = RaceConfig {
        tol: -1e300,
        ..RaceConfig::default()
    }
    .validate()
    .unwrap_err()
    .to_string();
    assert!(e.contains("-1e300"), "{e}");
}

/// The one-call front door: names and defaults fill in what the full form
/// spells out, and every mistake is a message, not a panic.
#[test]
fn one_call_race_matches_the_full_form_and_names_its_mistakes() {
    let problem = XorProblem::reference();
    let quick = problem.run("lbfgs").unwrap();
    let full = run(
        &problem,
        &array![2.0, -2.0],
        &OptimizerSpec::new(OptimizerKind::Lbfgs),
        &RaceConfig::default(),
    );
    assert_eq!(quick.iterates, full.iterates);
    assert_eq!(quick.optimizer, "L-BFGS");

    let traces = problem
        .race()
        .with("gd")
        .with_spec(
            OptimizerSpec::new(OptimizerKind::Gd)
                .lr(12.0)
                .label("GD η = 12"),
        )
        .config(RaceConfig {
            max_iters: 50,
            ..RaceConfig::default()
        })
        .run()
        .unwrap();
    assert_eq!(traces.len(), 2);
    assert_eq!(traces[1].optimizer, "GD η = 12");
    assert!(traces[1].steps() < traces[0].steps());

    let unknown = problem.run("newtn").unwrap_err().to_string();
    assert!(
        unknown.contains("unknown optimizer `newtn`") && unknown.contains("newton"),
        "{unknown}"
    );
    let empty = problem.race().run().unwrap_err().to_string();
    assert!(empty.contains("no optimizer"), "{empty}");
    // A plane built by hand has no lesson start until it is given one.
    let (mlp, theta) = XorProblem::xor_solution();
    let plane = Plane::coordinate(theta, &[0, 1]).unwrap();
    let bare = XorProblem::new(Dataset::separable(), mlp, Parameterisation::Plane(plane)).unwrap();
    let no_start = bare.run("gd").unwrap_err().to_string();
    assert!(no_start.contains("no default start"), "{no_start}");
    let from = bare
        .race()
        .with("gd")
        .from(array![0.1, -0.1])
        .run()
        .unwrap();
    assert_eq!(from[0].iterates[0], vec![0.1, -0.1]);
    // Landscapes start where their lesson does.
    let saddle = Saddle.run("newton").unwrap();
    assert_eq!(
        saddle.iterates[0],
        quad_vs_grad::landscapes::Landscape::start(&Saddle).to_vec()
    );
}
