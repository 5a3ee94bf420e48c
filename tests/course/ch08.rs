//! The numbers chapter 8 (`notebooks/08-non-convexity.ipynb`,
//! "Non-convexity") quotes in its prose, summary and exercise hints, pinned
//! as the notebook prints them. When a change to the crate moves one of
//! them, this test fails and the prose must be updated with it.

use quad_vs_grad::lessons::non_convexity::*;
use quad_vs_grad::linalg::FixedDot;
use quad_vs_grad::prelude::*;

const TEXT: &str = "stated in notebooks/08-non-convexity.ipynb: update the text";

fn f4(v: f64) -> String {
    format!("{v:.4}")
}

fn pct(v: f64) -> String {
    format!("{:.1}", 100.0 * v)
}

fn newton0() -> OptimizerSpec {
    OptimizerSpec::new(OptimizerKind::Newton).damping(0.0)
}

#[test]
fn newton_on_the_cosine_well() {
    let well = CosineWell;
    let cfg = RaceConfig {
        max_iters: 50,
        ..RaceConfig::default()
    };
    assert_eq!(f4(well.local_maximum()), "0.2739", "{TEXT}");
    let runs = cosine_runs(
        &[
            (-0.5, newton0()),
            (0.5, newton0()),
            (0.8, newton0()),
            (0.5, OptimizerSpec::new(OptimizerKind::Gd).lr(0.1)),
            (0.1, newton0()),
        ],
        &cfg,
    );
    let row = |t: &Trace| {
        (
            format!("{:.3}", well.d2f(t.iterates[0][0])),
            f4(t.iterates[1][0]),
            f4(t.final_point().unwrap()[0]),
            f4(t.final_loss()),
            t.steps(),
        )
    };
    let s = |a: &str| a.to_string();
    assert_eq!(
        row(&runs[0]),
        (s("6.283"), s("-0.2500"), s("-0.2739"), s("-0.1786"), 4),
        "{TEXT}"
    );
    assert_eq!(
        row(&runs[1]),
        (s("-6.283"), s("0.2500"), s("0.2739"), s("0.1786"), 4),
        "{TEXT}"
    );
    assert_eq!(
        row(&runs[2]),
        (s("2.695"), s("1.6485"), s("6.0168"), s("6.0084"), 7),
        "{TEXT}"
    );
    // x = 6.0168 is a local maximum of x cos(πx), outside [−1, 2].
    let x = runs[2].final_point().unwrap()[0];
    assert!(well.d2f(x) < 0.0 && well.df(x).abs() < 1e-8 && x > CosineWell::INTERVAL.1);
    assert_eq!(f4(runs[3].final_point().unwrap()[0]), "1.0904", "{TEXT}");
    // Exercise 1: from 0.1, f'' = −2.880, to the maximum in 4 steps.
    assert_eq!(format!("{:.3}", well.d2f(0.1)), "-2.880", "{TEXT}");
    assert_eq!(f4(runs[4].final_point().unwrap()[0]), "0.2739", "{TEXT}");
    assert_eq!(runs[4].steps(), 4, "{TEXT}");
}

#[test]
fn newton_and_saddle_free_newton_on_the_saddle() {
    let cfg = RaceConfig {
        max_iters: 10,
        ..RaceConfig::default()
    };
    let specs = [
        newton0(),
        OptimizerSpec::new(OptimizerKind::SaddleFree).damping(0.0),
        OptimizerSpec::new(OptimizerKind::Gd).lr(0.1),
    ];
    let runs = saddle_runs([1.5, 0.5], &specs, &cfg);
    assert_eq!(
        runs[0].iterates[1],
        vec![0.0, 0.0],
        "Newton lands on the saddle"
    );
    assert_eq!(runs[0].final_point().unwrap(), &[0.0, 0.0]);
    assert_eq!(runs[1].steps(), 10);
    assert_eq!(runs[1].final_point().unwrap(), &[0.0, 512.0], "{TEXT}");
    assert_eq!(
        format!("{:.1}", runs[1].final_loss()),
        "-262144.0",
        "{TEXT}"
    );
    let gd = runs[2].final_point().unwrap();
    assert_eq!(
        (format!("{:.3}", gd[0]), format!("{:.3}", gd[1])),
        ("0.161".into(), "3.096".into()),
        "{TEXT}"
    );
    // Exercise 3: from the x axis saddle-free Newton lands on the saddle too.
    let axis = saddle_runs([1.5, 0.0], &specs[1..2], &cfg);
    assert_eq!(axis[0].iterates[1], vec![0.0, 0.0], "{TEXT}");
    assert_eq!(axis[0].final_point().unwrap(), &[0.0, 0.0]);
}

#[test]
fn the_hidden_slice_race() {
    let preset = RacePreset::hidden_slice();
    let kinds = [
        OptimizerKind::Newton,
        OptimizerKind::SaddleFree,
        OptimizerKind::Ggn,
        OptimizerKind::GgnLm,
        OptimizerKind::TrustRegion,
        OptimizerKind::Bfgs,
    ];
    let traces = RacePreset {
        specs: kinds.iter().map(|&k| OptimizerSpec::new(k)).collect(),
        ..preset.clone()
    }
    .run();
    assert_eq!(f4(traces[0].loss[0]), "1.0671", "{TEXT}");
    assert_eq!(f4(traces[0].loss[1]), "1.8068", "{TEXT}");
    assert_eq!(f4(traces[0].final_loss()), "1.8703", "{TEXT}");
    assert_eq!(traces[0].steps(), 500);
    for t in &traces[1..] {
        assert_eq!(f4(t.final_loss()), "0.0036", "{}: {TEXT}", t.optimizer);
    }
    assert_eq!(traces[1].iterations_to(0.005), Some(14), "{TEXT}");
    assert_eq!(traces[2].iterations_to(0.005), Some(13), "{TEXT}");
    assert_eq!((traces[1].steps(), traces[2].steps()), (500, 500), "{TEXT}");
    let steps: Vec<(usize, String)> = traces[3..]
        .iter()
        .map(|t| (t.steps(), t.stop.short()))
        .collect();
    assert_eq!(
        steps,
        vec![
            (23, "step<tol".to_string()),
            (10, "|g|<tol".to_string()),
            (18, "|g|<tol".to_string())
        ],
        "GGN-LM, trust region, BFGS: {TEXT}"
    );
}

#[test]
fn the_models_at_the_hidden_slice_start() {
    let preset = RacePreset::hidden_slice();
    let (problem, start) = (&preset.problem, &preset.start);
    let m = QuadraticModel::at(problem, start, ModelCurvature::Hessian, 0.1).unwrap();
    assert_eq!(m.shape(), ModelShape::Saddle);
    let mu = m.eigenvalues();
    assert_eq!(
        (f4(mu[0]), f4(mu[1])),
        ("-0.3835".into(), "0.4607".into()),
        "{TEXT}"
    );
    let s = m.stationary_step().unwrap();
    assert_eq!(f4(m.gradient().fdot(s)), "1.6480", "{TEXT}");
    assert_eq!(f4(m.value(s)), "0.8240", "{TEXT}");
    let target = start + s;
    assert_eq!(
        (f4(target[0]), f4(target[1])),
        ("-3.5008".into(), "3.4685".into())
    );
    assert_eq!(f4(problem.cost(&target).unwrap()), "1.8068", "{TEXT}");
    // The trust region: the undamped model, radius 1 then 2, a bowl from step 1.
    let tr = detailed_run(&preset, &OptimizerSpec::new(OptimizerKind::TrustRegion));
    let ov = ModelOverlay::along(
        problem,
        std::slice::from_ref(&tr.trace),
        0,
        ModelCurvature::Hessian,
        0.0,
    )
    .unwrap()
    .with_diagnostics(&tr.diagnostics);
    let (m0, m1) = (ov.model(0).unwrap(), ov.model(1).unwrap());
    assert_eq!(m0.shape(), ModelShape::Saddle);
    assert_eq!(
        (f4(m0.eigenvalues()[0]), f4(m0.eigenvalues()[1])),
        ("-0.4835".into(), "0.3607".into()),
        "{TEXT}"
    );
    assert_eq!((m0.radius(), m1.radius()), (Some(1.0), Some(2.0)), "{TEXT}");
    assert_eq!(m1.shape(), ModelShape::Bowl);
    assert_eq!(
        (f4(m1.eigenvalues()[0]), f4(m1.eigenvalues()[1])),
        ("0.1805".into(), "1.2058".into()),
        "{TEXT}"
    );
    assert_eq!(f4(tr.trace.loss[1]), "0.1978", "{TEXT}");
    // "its first step goes to the boundary of the circle"
    let p1 = Array1::from(tr.trace.iterates[1].clone());
    let step = &p1 - start;
    assert!((step.fdot(&step).sqrt() - 1.0).abs() < 1e-6, "{step}");
    assert!(
        ov.models[1..]
            .iter()
            .all(|m| m.as_ref().is_some_and(|m| m.shape() == ModelShape::Bowl)),
        "a bowl at every later step: {TEXT}"
    );
    // Exercise 2: the GGN model is a bowl whose minimiser is GGN's first step.
    let g = QuadraticModel::at(problem, start, ModelCurvature::Ggn, 0.1).unwrap();
    assert_eq!(g.shape(), ModelShape::Bowl);
    assert_eq!(
        (f4(g.eigenvalues()[0]), f4(g.eigenvalues()[1])),
        ("0.2276".into(), "0.4327".into()),
        "{TEXT}"
    );
    let at = start + g.minimiser().unwrap();
    assert_eq!(
        (f4(at[0]), f4(at[1])),
        ("-0.1836".into(), "-0.9798".into()),
        "{TEXT}"
    );
    assert_eq!(f4(problem.cost(&at).unwrap()), "0.0234", "{TEXT}");
    let ggn = run(
        problem,
        start,
        &OptimizerSpec::new(OptimizerKind::Ggn),
        &preset.cfg,
    );
    let first = &ggn.iterates[1];
    assert!((first[0] - at[0]).abs() < 1e-9 && (first[1] - at[1]).abs() < 1e-9);
}

#[test]
fn the_output_slice_model_fits_near_the_minimum() {
    let preset = RacePreset {
        specs: vec![newton0()],
        ..RacePreset::reference()
    };
    let t = preset.run().remove(0);
    let fit = model_fit(&preset.problem, &t, ModelCurvature::Hessian, 4);
    let e = |v: f64| format!("{v:+.3e}");
    assert_eq!(
        (e(fit[0].predicted), e(fit[0].actual)),
        ("-3.645e-1".into(), "-6.392e-2".into()),
        "{TEXT}"
    );
    assert_eq!(
        (e(fit[3].predicted), e(fit[3].actual)),
        ("-3.901e-4".into(), "-3.907e-4".into()),
        "{TEXT}"
    );
    assert!(fit.iter().all(|f| f.shape == ModelShape::Bowl));
    assert_eq!(t.steps(), 6, "{TEXT}");
    assert_eq!(f4(t.final_loss()), "0.6899", "{TEXT}");
}

#[test]
fn curvature_shares_of_the_fixed_views() {
    let problem = XorProblem::hidden_slice();
    let g = CurvatureGrid::for_problem(&problem, (-3.0, 3.0), (-3.0, 3.0), 81).unwrap();
    let [dome, saddle, bowl] = g.class_shares(0.0);
    assert_eq!(
        (
            pct(bowl),
            pct(saddle),
            pct(dome),
            pct(g.negative_fraction())
        ),
        ("63.0".into(), "31.1".into(), "5.9".into(), "37.0".into()),
        "{TEXT}"
    );
    let w = curvature_grid(&GaussianWells::course(), 121).unwrap();
    let [dome, saddle, bowl] = w.class_shares(0.0);
    assert_eq!(
        (pct(bowl), pct(saddle), pct(dome)),
        ("18.5".into(), "64.0".into(), "17.6".into()),
        "{TEXT}"
    );
    // "more than four times out of five"
    assert!(saddle + dome > 0.8);
}

/// Exercise 4: the eigen-sign map of the classic Rosenbrock function.
#[test]
fn exercise_rosenbrock_is_not_convex() {
    let grid = curvature_grid(&Rosenbrock::classic(), 81).unwrap();
    let [dome, saddle, bowl] = grid.class_shares(0.0);
    assert_eq!(dome, 0.0);
    assert!((saddle - 0.426).abs() < 5e-4, "{saddle}");
    assert!((bowl - 0.574).abs() < 5e-4, "{bowl}");
}
