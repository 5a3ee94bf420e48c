//! The crate's solvers through argmin's `Executor`: exact steps against dense
//! solves, Newton on a quadratic, behaviour on the non-convex slice, and the
//! full network.

use argmin::core::{Error as ArgminError, Executor, IterState, Solver, TerminationReason};
use ndarray::{s, Array1, Array2};
use quad_vs_grad::curvature::abs_sym;
use quad_vs_grad::curvature::{kron, FisherKind, KfacCurvature, KfacFactors};
use quad_vs_grad::linalg::FixedDot;
use quad_vs_grad::linalg::FixedSolve;
use quad_vs_grad::prelude::*;
use quad_vs_grad::race::{run, OptimizerKind, OptimizerSpec, RaceConfig, RacePreset};
use quad_vs_grad::solvers::*;

type St = IterState<Array1<f64>, Array1<f64>, (), (), (), f64>;

/// `½ xᵀAx − bᵀx`: a convex quadratic with minimiser `A⁻¹b`.
#[derive(Clone)]
struct Quadratic {
    a: Array2<f64>,
    b: Array1<f64>,
}

impl CostFunction for Quadratic {
    type Param = Array1<f64>;
    type Output = f64;
    fn cost(&self, x: &Array1<f64>) -> Result<f64, ArgminError> {
        Ok(0.5 * x.fdot(&self.a.fdot(x)) - self.b.fdot(x))
    }
}
impl Gradient for Quadratic {
    type Param = Array1<f64>;
    type Gradient = Array1<f64>;
    fn gradient(&self, x: &Array1<f64>) -> Result<Array1<f64>, ArgminError> {
        Ok(self.a.fdot(x) - &self.b)
    }
}
impl Hessian for Quadratic {
    type Param = Array1<f64>;
    type Hessian = Array2<f64>;
    fn hessian(&self, _x: &Array1<f64>) -> Result<Array2<f64>, ArgminError> {
        Ok(self.a.clone())
    }
}
/// A problem without data: the trait's defaults are all it needs.
impl MiniBatched for Quadratic {}

/// One iteration of `solver` from `p0`: the step `p1 − p0`.
fn one_step<O, S>(problem: O, solver: S, p0: &Array1<f64>) -> Array1<f64>
where
    S: Solver<O, St>,
{
    let res = Executor::new(problem, solver)
        .configure(|s| s.param(p0.clone()).max_iters(1))
        .ctrlc(false)
        .run()
        .expect("one iteration runs");
    assert_eq!(res.state().get_iter(), 1);
    res.state().get_param().expect("an iterate") - p0
}

fn assert_close(a: &Array1<f64>, b: &Array1<f64>, tol: f64, what: &str) {
    let err = (a - b).iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    assert!(
        err <= tol,
        "{what}: max error {err:e}\n  got  {a}\n  want {b}"
    );
}

fn damped(c: &Array2<f64>, lambda: f64) -> Array2<f64> {
    c + &(Array2::<f64>::eye(c.nrows()) * lambda)
}

/// A point of the 2-2-1 network on the separable data, away from any preset.
fn full_problem_and_point() -> (XorProblem, Array1<f64>) {
    let pr = XorProblem::full(Dataset::separable(), &[2]).unwrap();
    let p = pr.mlp().init(11) * 1.5;
    (pr, p)
}

#[test]
fn undamped_newton_solves_a_convex_quadratic_in_one_step() {
    let q = Quadratic {
        a: ndarray::array![[3.0, 1.0, 0.0], [1.0, 4.0, 0.5], [0.0, 0.5, 2.0]],
        b: ndarray::array![1.0, -2.0, 0.5],
    };
    let minimiser = q.a.fsolve(&q.b).unwrap();
    let p0 = ndarray::array![5.0, -3.0, 7.0];
    let step = one_step(q.clone(), DampedNewton::new(), &p0);
    assert_close(&(&p0 + &step), &minimiser, 1e-12, "Newton on a quadratic");
    // with damping it does not get there in one step
    let step = one_step(
        q,
        DampedNewton::new().with_damping(Damping::fixed(1.0).unwrap()),
        &p0,
    );
    assert!((&p0 + &step - &minimiser).iter().any(|v| v.abs() > 1e-3));
}

#[test]
fn damped_newton_step_is_the_dense_damped_solve() {
    let (pr, p) = full_problem_and_point();
    let g = pr.gradient(&p).unwrap();
    let h = pr.hessian(&p).unwrap();
    for lambda in [0.1, 1.0] {
        let want = -damped(&h, lambda).fsolve(&g).unwrap();
        let got = one_step(
            pr.clone(),
            DampedNewton::new().with_damping(Damping::fixed(lambda).unwrap()),
            &p,
        );
        assert_close(&got, &want, 1e-10, "damped Newton");
    }
}

#[test]
fn saddle_free_step_uses_abs_hessian() {
    let pr = XorProblem::hidden_slice();
    let p = ndarray::array![-2.5, 1.5];
    let g = pr.gradient(&p).unwrap();
    let h = pr.hessian(&p).unwrap();
    assert_eq!(
        inertia(&h, 1e-12).unwrap().0,
        1,
        "one negative eigenvalue here"
    );
    let want = -damped(&abs_sym(&h).unwrap(), 0.1).fsolve(&g).unwrap();
    let got = one_step(pr, SaddleFreeNewton::new(), &p);
    assert_close(&got, &want, 1e-10, "saddle-free Newton");
}

#[test]
fn ggn_step_is_the_dense_damped_solve() {
    let (pr, p) = full_problem_and_point();
    let g = pr.gradient(&p).unwrap();
    let ggn = pr.ggn(&p).unwrap();
    for lambda in [0.1, 1e-3] {
        let want = -damped(&ggn, lambda).fsolve(&g).unwrap();
        let solver = GaussNewton::new().with_damping(Damping::fixed(lambda).unwrap());
        let got = one_step(pr.clone(), solver, &p);
        assert_close(&got, &want, 1e-10, "GGN");
        // the adaptive first step proposes the same step with the initial
        // damping, and takes it unless it raises the loss
        let solver = GaussNewton::new().with_damping(Damping::adaptive(lambda).unwrap());
        let got = one_step(pr.clone(), solver, &p);
        let uphill = pr.cost(&(&p + &want)).unwrap() > pr.cost(&p).unwrap();
        if uphill {
            assert!(got.iter().all(|&v| v == 0.0), "rejected step moved: {got}");
        } else {
            assert_close(&got, &want, 1e-10, "GGN-LM");
        }
    }
}

/// The damped K-FAC curvature built by hand from the factors.
fn kfac_dense(f: &KfacFactors, lambda: f64, factored: bool) -> Array2<f64> {
    let d = f.num_params;
    let mut m = Array2::zeros((d, d));
    for l in &f.layers {
        let block = if factored {
            let pi = ((l.a.diag().sum() / l.a.nrows() as f64)
                / (l.g.diag().sum() / l.g.nrows() as f64))
                .sqrt();
            kron(
                &damped(&l.g, lambda.sqrt() / pi),
                &damped(&l.a, pi * lambda.sqrt()),
            )
        } else {
            damped(&kron(&l.g, &l.a), lambda)
        };
        let (o, n) = (l.offset, l.size());
        m.slice_mut(s![o..o + n, o..o + n]).assign(&block);
    }
    m
}

#[test]
fn kfac_steps_are_the_dense_solves_with_their_curvature() {
    let (pr, p) = full_problem_and_point();
    let g = pr.gradient(&p).unwrap();
    let f = pr.kfac_factors(&p, FisherKind::Exact).unwrap();
    for (mode, factored) in [
        (KfacDampingMode::Tikhonov, false),
        (KfacDampingMode::Factored, true),
    ] {
        let want = -kfac_dense(&f, 0.1, factored).fsolve(&g).unwrap();
        let got = one_step(pr.clone(), Kfac::new().with_mode(mode), &p);
        assert_close(&got, &want, 1e-10, &format!("K-FAC {mode:?}"));
    }
}

#[test]
fn kfac_on_the_output_slice_is_the_reference_gamma_a_form() {
    // The reference K-FAC for v: (Γ·A + λI)⁻¹ g with Γ = mean σ(1−σ) and
    // A = mean h hᵀ, h = tanh(W x) the frozen hidden features.
    let pr = XorProblem::reference();
    let p = ndarray::array![2.0, -2.0];
    let x = &pr.data().x;
    let n = x.nrows() as f64;
    let mut a = Array2::<f64>::zeros((2, 2));
    for row in x.rows() {
        let h = ndarray::array![(row[0] + row[1]).tanh(), (row[0] - row[1]).tanh()];
        for i in 0..2 {
            for j in 0..2 {
                a[[i, j]] += h[i] * h[j] / n;
            }
        }
    }
    let gamma = pr.probabilities(&p).unwrap().mapv(|s| s * (1.0 - s)).sum() / n;
    let g = pr.gradient(&p).unwrap();
    let want = -damped(&(a * gamma), 0.1).fsolve(&g).unwrap();
    let got = one_step(
        pr.clone(),
        Kfac::new().with_mode(KfacDampingMode::Tikhonov),
        &p,
    );
    assert_close(&got, &want, 1e-10, "K-FAC on the output slice");
    // and it is what the reference race runs
    let spec = OptimizerSpec::new(OptimizerKind::Kfac);
    let cfg = RaceConfig {
        max_iters: 1,
        ..RaceConfig::default()
    };
    let t = run(&pr, &p, &spec, &cfg);
    let step = Array1::from(t.iterates[1].clone()) - &p;
    assert_close(&step, &want, 1e-10, "race K-FAC");
}

#[test]
fn hessian_free_run_to_convergence_is_the_dense_ggn_solve() {
    let (pr, p) = full_problem_and_point();
    let g = pr.gradient(&p).unwrap();
    let ggn = pr.ggn(&p).unwrap();
    let want = -damped(&ggn, 0.1).fsolve(&g).unwrap();
    let cg = CgSettings {
        max_iters: 200,
        tol: 1e-14,
        progress_eps: None,
    };
    let got = one_step(pr.clone(), HessianFree::new().with_cg(cg).unwrap(), &p);
    assert_close(&got, &want, 1e-10, "Hessian-free (GGN)");
    // on the Hessian with a damping that makes H + λI positive definite
    let h = pr.hessian(&p).unwrap();
    let shift = 0.1 - eigenvalues(&h).unwrap()[0].min(0.0);
    let want = -damped(&h, shift).fsolve(&g).unwrap();
    let solver = HessianFree::new()
        .with_cg(cg)
        .unwrap()
        .with_curvature(HfCurvature::Hessian)
        .with_damping(Damping::fixed(shift).unwrap());
    let got = one_step(pr, solver, &p);
    assert_close(&got, &want, 1e-9, "Hessian-free (Hessian)");
}

#[test]
fn hessian_free_counts_cg_products_and_warm_starts() {
    let (pr, p) = full_problem_and_point();
    let res = Executor::new(pr, HessianFree::new())
        .configure(|s| s.param(p.clone()).max_iters(3).counting(true))
        .ctrlc(false)
        .run()
        .unwrap();
    let counts = res.state().get_func_counts();
    assert_eq!(counts["linear_solve_count"], 3);
    // 9 parameters: at most 9 CG iterations per solve (+1 product for a warm start)
    let products = counts["curvature_count"];
    assert!((3..=3 * 10).contains(&products), "{products}");
}

#[test]
fn hidden_slice_newton_goes_uphill_where_ggn_and_saddle_free_descend() {
    let preset = RacePreset::hidden_slice();
    let (pr, p0) = (&preset.problem, &preset.start);
    let g = pr.gradient(p0).unwrap();
    let h = pr.hessian(p0).unwrap();
    let newton_dir = h.fsolve(&g).unwrap();
    assert!(
        g.fdot(&newton_dir) < 0.0,
        "gᵀH⁻¹g = {}",
        g.fdot(&newton_dir)
    );
    let cfg = RaceConfig {
        max_iters: 1,
        ..RaceConfig::default()
    };
    let first_change = |spec: OptimizerSpec| {
        let t = run(pr, p0, &spec, &cfg);
        assert_eq!(t.steps(), 1, "{}", t.optimizer);
        t.loss[1] - t.loss[0]
    };
    let newton = first_change(OptimizerSpec::new(OptimizerKind::Newton).damping(0.0));
    let ggn = first_change(OptimizerSpec::new(OptimizerKind::Ggn));
    let sfn = first_change(OptimizerSpec::new(OptimizerKind::SaddleFree));
    assert!(newton > 0.0, "undamped Newton changed the loss by {newton}");
    assert!(ggn < 0.0, "GGN changed the loss by {ggn}");
    assert!(sfn < 0.0, "saddle-free Newton changed the loss by {sfn}");
}

#[test]
fn second_order_methods_solve_the_separable_xor_network() {
    // 2-2-1 on the separable XOR, Glorot initialisation with seed 0.
    let preset = RacePreset::full_network(&[2], 0).unwrap();
    let cfg = RaceConfig {
        max_iters: 100,
        ..RaceConfig::default()
    };
    let mut report = Vec::new();
    for name in ["ggn-lm", "kfac", "kfac-lm", "hf", "hf-lm"] {
        let spec: OptimizerSpec = name.parse().unwrap();
        let t = run(&preset.problem, &preset.start, &spec, &cfg);
        let reached = t.iterations_to(0.05);
        assert!(
            reached.is_some_and(|k| k <= 100),
            "{name}: final loss {} after {} steps ({:?})",
            t.final_loss(),
            t.steps(),
            t.stop
        );
        report.push(format!("{name}: {reached:?}"));
    }
    let adam = run(
        &preset.problem,
        &preset.start,
        &OptimizerSpec::new(OptimizerKind::Adam).lr(0.05),
        &cfg,
    );
    report.push(format!("adam: {:?}", adam.iterations_to(0.05)));
    println!("iterations to loss < 0.05: {}", report.join(", "));
}

#[test]
fn lm_damping_is_reported_and_adapts() {
    let preset = RacePreset::full_network(&[2], 0).unwrap();
    let spec: OptimizerSpec = "ggn-lm".parse().unwrap();
    let cfg = RaceConfig {
        max_iters: 20,
        ..RaceConfig::default()
    };
    let out = quad_vs_grad::race::run_detailed(&preset.problem, &preset.start, &spec, &cfg);
    let lambdas: Vec<f64> = out.diagnostics[1..].iter().map(|d| d["damping"]).collect();
    assert_eq!(lambdas[0], 0.1);
    assert!(lambdas.iter().any(|&l| l < 0.1), "{lambdas:?}");
    for (d, w) in out.diagnostics[1..].iter().zip(out.trace.loss.windows(2)) {
        assert!(d.contains_key("rho"));
        // an accepted LM step never raises the loss
        if d["accepted"] == 1.0 {
            assert!(w[1] <= w[0] + 1e-15);
        } else {
            assert_eq!(w[1], w[0]);
        }
    }
}

#[test]
fn non_finite_runs_end_as_diverged_solver_exits() {
    // a quadratic with a huge learning rate overflows to infinity
    let q = Quadratic {
        a: Array2::eye(2) * 10.0,
        b: ndarray::array![1.0, 1.0],
    };
    #[derive(Clone)]
    struct Q(Quadratic);
    impl CostFunction for Q {
        type Param = Array1<f64>;
        type Output = f64;
        fn cost(&self, x: &Array1<f64>) -> Result<f64, ArgminError> {
            self.0.cost(x)
        }
    }
    impl Gradient for Q {
        type Param = Array1<f64>;
        type Gradient = Array1<f64>;
        fn gradient(&self, x: &Array1<f64>) -> Result<Array1<f64>, ArgminError> {
            self.0.gradient(x)
        }
    }
    impl MiniBatched for Q {
        fn num_examples(&self) -> usize {
            0
        }
        fn set_batch(&mut self, _: Option<&[usize]>) -> Result<(), ArgminError> {
            Err(ArgminError::msg("no mini-batches"))
        }
        fn full_batch_cost(&self, x: &Array1<f64>) -> Result<f64, ArgminError> {
            self.0.cost(x)
        }
        fn full_batch_gradient(&self, x: &Array1<f64>) -> Result<Array1<f64>, ArgminError> {
            self.0.gradient(x)
        }
    }
    let res = Executor::new(Q(q), GradientDescent::new(1e100).unwrap())
        .configure(|s| s.param(ndarray::array![1.0, -1.0]).max_iters(100))
        .ctrlc(false)
        .run()
        .unwrap();
    let status = res.state().get_termination_status();
    match status {
        argmin::core::TerminationStatus::Terminated(TerminationReason::SolverExit(s)) => {
            assert!(s.starts_with(DIVERGED_PREFIX), "{s}")
        }
        other => panic!("expected a diverged exit, got {other:?}"),
    }
    assert!(res.state().get_iter() < 100);
}

#[test]
fn target_cost_stops_the_crate_solvers() {
    let preset = RacePreset::full_network(&[2], 0).unwrap();
    let res = Executor::new(preset.problem.clone(), Adam::new(0.05).unwrap())
        .configure(|s| {
            s.param(preset.start.clone())
                .max_iters(500)
                .target_cost(0.1)
        })
        .ctrlc(false)
        .run()
        .unwrap();
    assert!(res.state().get_best_cost() <= 0.1);
    assert!(res.state().get_iter() < 500);
    assert_eq!(
        res.state().get_termination_status(),
        &argmin::core::TerminationStatus::Terminated(TerminationReason::TargetCostReached)
    );
}

#[test]
fn stochastic_solvers_use_mini_batches_and_record_full_batch_loss() {
    let preset = RacePreset::full_network(&[2], 0).unwrap();
    let mut pr = preset.problem.clone();
    // the solver works on a batch; the problem it was given stays intact
    let res = Executor::new(pr.clone(), Kfac::new().with_minibatch(10, 3).unwrap())
        .configure(|s| s.param(preset.start.clone()).max_iters(5))
        .ctrlc(false)
        .run()
        .unwrap();
    let last = res.problem.problem.as_ref().unwrap();
    assert_eq!(last.active_data().len(), 10);
    assert_eq!(pr.active_data().len(), 100);
    // a batch larger than the data is a clean error
    let err = Executor::new(
        pr.clone(),
        Adam::new(0.1).unwrap().with_minibatch(101, 0).unwrap(),
    )
    .configure(|s| s.param(preset.start.clone()).max_iters(5))
    .ctrlc(false)
    .run();
    assert!(err.is_err());
    pr.set_batch(None).unwrap();
}

/// Collects every KV key a solver reports (init and iterations).
#[derive(Clone, Default)]
struct KeyRecorder(std::sync::Arc<std::sync::Mutex<std::collections::BTreeSet<String>>>);

impl argmin::core::observers::Observe<St> for KeyRecorder {
    fn observe_iter(&mut self, _: &St, kv: &argmin::core::KV) -> Result<(), ArgminError> {
        let mut keys = self.0.lock().expect("not poisoned");
        keys.extend(kv.kv.keys().cloned());
        Ok(())
    }
}

/// The keys a solver's documentation lists after "KV entries per iteration:"
/// (each written as `"key"`), up to the end of that sentence.
fn documented_keys(source: &str) -> std::collections::BTreeSet<String> {
    // the doc comments as one line of prose
    let prose = source
        .lines()
        .map(|l| {
            l.trim_start()
                .trim_start_matches("//!")
                .trim_start_matches("///")
                .trim()
        })
        .collect::<Vec<_>>()
        .join(" ");
    let source = prose.as_str();
    let start = source
        .find("KV entries per iteration")
        .expect("the solver documents its KV entries");
    let text = &source[start..];
    let end = text
        .find(". ")
        .or_else(|| text.find(".\n"))
        .expect("a sentence");
    text[..end]
        .split("`\"")
        .skip(1)
        .filter_map(|piece| piece.split("\"`").next())
        .map(str::to_string)
        .collect()
}

fn emitted_keys<S>(
    solver: S,
    problem: XorProblem,
    start: &Array1<f64>,
) -> std::collections::BTreeSet<String>
where
    S: Solver<XorProblem, St>,
{
    let recorder = KeyRecorder::default();
    Executor::new(problem, solver)
        .configure(|s| s.param(start.clone()).max_iters(4))
        .add_observer(
            recorder.clone(),
            argmin::core::observers::ObserverMode::Always,
        )
        .ctrlc(false)
        .run()
        .expect("runs");
    let keys = recorder.0.lock().expect("not poisoned").clone();
    keys
}

#[test]
fn documented_kv_keys_are_the_emitted_ones() {
    let (pr, p) = full_problem_and_point();
    let lm = || Damping::adaptive(0.1).unwrap();
    let cases: Vec<(&str, &str, std::collections::BTreeSet<String>)> = vec![
        (
            "damped Newton",
            include_str!("../src/solvers/damped_newton.rs"),
            emitted_keys(DampedNewton::new().with_damping(lm()), pr.clone(), &p),
        ),
        (
            "saddle-free Newton",
            include_str!("../src/solvers/saddle_free.rs"),
            emitted_keys(SaddleFreeNewton::new().with_damping(lm()), pr.clone(), &p),
        ),
        (
            "Gauss-Newton",
            include_str!("../src/solvers/gauss_newton.rs"),
            emitted_keys(GaussNewton::new().with_damping(lm()), pr.clone(), &p),
        ),
        (
            "K-FAC",
            include_str!("../src/solvers/kfac.rs"),
            emitted_keys(Kfac::new().with_damping(lm()), pr.clone(), &p),
        ),
        (
            "Hessian-free",
            include_str!("../src/solvers/hessian_free.rs"),
            emitted_keys(HessianFree::new().with_damping(lm()), pr.clone(), &p),
        ),
        (
            "adaptive GD",
            include_str!("../src/solvers/adaptive_gd.rs"),
            emitted_keys(AdaptiveGd::new(0.5).unwrap(), pr.clone(), &p),
        ),
    ];
    for (name, source, emitted) in cases {
        assert_eq!(documented_keys(source), emitted, "{name}");
    }
    // The keys every damped method shares are those the shared glue documents.
    let shared = documented_keys(include_str!("../src/solvers/damped.rs"));
    let gn = emitted_keys(GaussNewton::new().with_damping(lm()), pr, &p);
    assert_eq!(shared, gn);
}

/// Damped and saddle-free Newton take Levenberg–Marquardt damping like the
/// curvature methods: `λ` moves, and no accepted step raises the loss.
#[test]
fn newton_family_takes_levenberg_marquardt_damping() {
    let pr = XorProblem::hidden_slice();
    let start = ndarray::array![-2.5, 1.5];
    for adaptive in [true, false] {
        let damping = if adaptive {
            Damping::adaptive(1.0).unwrap()
        } else {
            Damping::fixed(1.0).unwrap()
        };
        for (name, res) in [
            (
                "damped Newton",
                Executor::new(pr.clone(), DampedNewton::new().with_damping(damping))
                    .configure(|s| s.param(start.clone()).max_iters(30))
                    .ctrlc(false)
                    .run()
                    .unwrap()
                    .state()
                    .clone(),
            ),
            (
                "saddle-free Newton",
                Executor::new(pr.clone(), SaddleFreeNewton::new().with_damping(damping))
                    .configure(|s| s.param(start.clone()).max_iters(30))
                    .ctrlc(false)
                    .run()
                    .unwrap()
                    .state()
                    .clone(),
            ),
        ] {
            let f0 = pr.cost(&start).unwrap();
            assert!(res.get_cost() < f0, "{name} (adaptive {adaptive}) descends");
        }
    }
    // with LM damping the trace of costs never rises
    let recorder = CostRecorder::default();
    Executor::new(
        pr.clone(),
        DampedNewton::new().with_damping(Damping::adaptive(1e-3).unwrap()),
    )
    .configure(|s| s.param(start.clone()).max_iters(30))
    .add_observer(
        recorder.clone(),
        argmin::core::observers::ObserverMode::Always,
    )
    .ctrlc(false)
    .run()
    .unwrap();
    let (costs, lambdas) = recorder.0.lock().unwrap().clone();
    assert!(costs.windows(2).all(|w| w[1] <= w[0]), "{costs:?}");
    assert!(
        lambdas.windows(2).any(|w| w[0] != w[1]),
        "λ adapts: {lambdas:?}"
    );
}

/// Records the cost and the damping of every iteration.
#[derive(Clone, Default)]
#[allow(clippy::type_complexity)]
struct CostRecorder(std::sync::Arc<std::sync::Mutex<(Vec<f64>, Vec<f64>)>>);

impl argmin::core::observers::Observe<St> for CostRecorder {
    fn observe_iter(&mut self, state: &St, kv: &argmin::core::KV) -> Result<(), ArgminError> {
        let mut r = self.0.lock().expect("not poisoned");
        r.0.push(state.get_cost());
        if let Some(l) = kv.get("damping").and_then(|v| v.get_float()) {
            r.1.push(l);
        }
        Ok(())
    }
}

#[test]
fn a_curvature_batch_of_every_example_is_the_full_batch_step() {
    // Full-batch gradient; curvature from a separate "batch" holding all N
    // examples (in a shuffled order): the same steps up to rounding.
    let (pr, p) = full_problem_and_point();
    let n = pr.data().len();
    let run = |solver: GaussNewton| {
        Executor::new(pr.clone(), solver)
            .configure(|s| s.param(p.clone()).max_iters(8).counting(true))
            .ctrlc(false)
            .run()
            .unwrap()
    };
    let plain = run(GaussNewton::new());
    let all = run(GaussNewton::new().with_curvature_batch(n, 5).unwrap());
    let a = plain.state().get_param().unwrap();
    assert_close(all.state().get_param().unwrap(), a, 1e-10, "GGN");
    assert_eq!(
        plain.state().get_func_counts(),
        all.state().get_func_counts(),
        "the curvature batch costs no extra evaluation"
    );
    // a small curvature batch changes the steps; the problem is back on the
    // gradient's data (here all of it) after every iteration
    let small = run(GaussNewton::new().with_curvature_batch(5, 5).unwrap());
    assert!((small.state().get_param().unwrap() - a)
        .iter()
        .any(|v| v.abs() > 1e-6));
    assert_eq!(
        small.problem.problem.as_ref().unwrap().active_data().len(),
        n
    );
    assert_eq!(small.solver.curvature_batch().unwrap().batch_size(), 5);
    assert!(GaussNewton::new().with_curvature_batch(0, 1).is_err());
}

#[test]
fn hessian_free_with_martens_curvature_batches_descends() {
    // Martens (2010): full-batch gradient, CG products on a small batch.
    let (pr, p) = full_problem_and_point();
    let solver = HessianFree::new()
        .with_damping(Damping::adaptive(1.0).unwrap())
        .with_curvature_batch(20, 2)
        .unwrap();
    let res = Executor::new(pr.clone(), solver)
        .configure(|s| s.param(p.clone()).max_iters(30))
        .ctrlc(false)
        .run()
        .unwrap();
    let end = res.state().get_param().unwrap();
    let (l0, l1) = (
        pr.full_batch_cost(&p).unwrap(),
        pr.full_batch_cost(end).unwrap(),
    );
    assert!(l1 < 0.5 * l0, "{l0} -> {l1}");
}

#[test]
fn langevin_and_adaptive_gd_have_a_stochastic_mode() {
    let (pr, p) = full_problem_and_point();
    let ends = |seed: u64| {
        let lv = Executor::new(
            pr.clone(),
            LangevinGd::new(0.1, 0.0)
                .unwrap()
                .with_minibatch(7, seed)
                .unwrap(),
        )
        .configure(|s| s.param(p.clone()).max_iters(5))
        .ctrlc(false)
        .run()
        .unwrap();
        assert_eq!(lv.problem.problem.as_ref().unwrap().active_data().len(), 7);
        let ad = Executor::new(
            pr.clone(),
            AdaptiveGd::new(0.5)
                .unwrap()
                .with_minibatch(7, seed)
                .unwrap(),
        )
        .configure(|s| s.param(p.clone()).max_iters(5))
        .ctrlc(false)
        .run()
        .unwrap();
        assert_eq!(ad.problem.problem.as_ref().unwrap().active_data().len(), 7);
        (
            lv.state().get_param().unwrap().clone(),
            ad.state().get_param().unwrap().clone(),
        )
    };
    let (a, b) = (ends(1), ends(2));
    assert_eq!(ends(1), a);
    assert_ne!(a.0, b.0);
    assert_ne!(a.1, b.1);
}

#[test]
fn stochastic_bfgs_on_the_full_batch_is_fixed_step_bfgs() {
    // A convex quadratic: exact pairs, so both variants are the same
    // fixed-step BFGS (step 1), no pair is bad, and they reach A⁻¹b in
    // eight steps (superlinearly; run longer and the pairs of a converged
    // iterate are rounding noise, whose sᵀy can be negative: from step 10
    // on here).
    let a = ndarray::array![[3.0, 1.0], [1.0, 2.0]];
    let b = ndarray::array![1.0, -1.0];
    let q = Quadratic {
        a: a.clone(),
        b: b.clone(),
    };
    let x = a.fsolve(&b).unwrap();
    for (name, solver) in [
        (
            "bfgs",
            StochasticQuasiNewton::bfgs(1.0, PairBatch::Consecutive).map(Either::Left),
        ),
        (
            "obfgs",
            StochasticQuasiNewton::bfgs(1.0, PairBatch::Same).map(Either::Left),
        ),
        (
            "lbfgs",
            StochasticQuasiNewton::lbfgs(1.0, 3, PairBatch::Same).map(Either::Right),
        ),
    ] {
        let end = match solver.unwrap() {
            Either::Left(s) => {
                let r = Executor::new(q.clone(), s)
                    .configure(|st| st.param(ndarray::array![4.0, 4.0]).max_iters(8))
                    .ctrlc(false)
                    .run()
                    .unwrap();
                assert_eq!(r.solver.pair_stats().non_positive, 0);
                assert_eq!(r.solver.pair_stats().extra_gradients, 0, "{name}");
                r.state().get_param().unwrap().clone()
            }
            Either::Right(s) => {
                let r = Executor::new(q.clone(), s)
                    .configure(|st| st.param(ndarray::array![4.0, 4.0]).max_iters(8))
                    .ctrlc(false)
                    .run()
                    .unwrap();
                assert_eq!(r.solver.pair_stats().skipped, 0);
                r.state().get_param().unwrap().clone()
            }
        };
        assert_close(&end, &x, 1e-10, name);
    }
}

enum Either<L, R> {
    Left(L),
    Right(R),
}

/// A line search that records, each time the outer solver starts it, the
/// iterate, its gradient and the search direction it was given, then lets
/// More–Thuente do the work: the history argmin's L-BFGS saw, from outside.
#[derive(Clone)]
struct Recorded<L> {
    inner: L,
    direction: Option<Array1<f64>>,
    seen: Seen,
}

/// Each line search's start: iterate, gradient, search direction.
type Seen = std::sync::Arc<std::sync::Mutex<Vec<(Array1<f64>, Array1<f64>, Array1<f64>)>>>;

type LsState = IterState<Array1<f64>, Array1<f64>, (), (), (), f64>;

impl<L: argmin::solver::linesearch::LineSearch<Array1<f64>, f64>>
    argmin::solver::linesearch::LineSearch<Array1<f64>, f64> for Recorded<L>
{
    fn search_direction(&mut self, direction: Array1<f64>) {
        self.direction = Some(direction.clone());
        self.inner.search_direction(direction);
    }

    fn initial_step_length(&mut self, alpha: f64) -> Result<(), ArgminError> {
        self.inner.initial_step_length(alpha)
    }
}

impl<O, L: Solver<O, LsState>> Solver<O, LsState> for Recorded<L> {
    fn name(&self) -> &str {
        "recorded line search"
    }

    fn init(
        &mut self,
        problem: &mut argmin::core::Problem<O>,
        state: LsState,
    ) -> Result<(LsState, Option<argmin::core::KV>), ArgminError> {
        self.seen.lock().unwrap().push((
            state.get_param().unwrap().clone(),
            state.get_gradient().unwrap().clone(),
            self.direction.clone().unwrap(),
        ));
        self.inner.init(problem, state)
    }

    fn next_iter(
        &mut self,
        problem: &mut argmin::core::Problem<O>,
        state: LsState,
    ) -> Result<(LsState, Option<argmin::core::KV>), ArgminError> {
        self.inner.next_iter(problem, state)
    }

    fn terminate(&mut self, state: &LsState) -> argmin::core::TerminationStatus {
        self.inner.terminate(state)
    }
}

/// The crate's two-loop recursion, fed the curvature pairs argmin's L-BFGS
/// built (the last `m` steps and gradient changes) and its `γ` (the newest
/// pair's `sᵀy / yᵀy`), gives argmin's search direction at every iteration,
/// to 1e-12.
#[test]
fn two_loop_equals_argmins_lbfgs_direction() {
    use argmin::solver::linesearch::MoreThuenteLineSearch;
    use argmin::solver::quasinewton::LBFGS;
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let search = Recorded {
        inner: MoreThuenteLineSearch::new(),
        direction: None,
        seen: seen.clone(),
    };
    let m = 3;
    let lbfgs = LBFGS::new(search, m).with_tolerance_grad(0.0).unwrap();
    let problem = Rosenbrock::chained(4, 100.0).unwrap();
    Executor::new(problem, lbfgs)
        .configure(|s| s.param(array![-1.2, 1.0, -1.2, 1.0]).max_iters(25))
        .run()
        .unwrap();
    let seen = seen.lock().unwrap();
    assert!(seen.len() >= 20, "{} iterations", seen.len());
    let mut worst: f64 = 0.0;
    for k in 0..seen.len() {
        let pairs: Vec<(Array1<f64>, Array1<f64>)> = (k.saturating_sub(m)..k)
            .map(|i| (&seen[i + 1].0 - &seen[i].0, &seen[i + 1].1 - &seen[i].1))
            .collect();
        let gamma = pairs.last().map_or(1.0, |(s, y)| s.fdot(y) / y.fdot(y));
        let (_, g, d) = &seen[k];
        let ours = -two_loop(pairs.iter().map(|(s, y)| (s, y)), g, gamma);
        let err = (&ours - d).mapv(f64::abs).fold(0.0_f64, |a, &b| a.max(b));
        let scale = d.mapv(f64::abs).fold(1.0_f64, |a, &b| a.max(b));
        worst = worst.max(err / scale);
    }
    eprintln!(
        "two-loop against argmin: {worst:e} over {} iterations",
        seen.len()
    );
    assert!(worst < 1e-12, "largest relative difference {worst:e}");
}

/// The crate's [`TrustRegionRule`], driving argmin's own Steihaug subproblem
/// from outside, retraces argmin's `TrustRegion` on the Rosenbrock banana bit
/// for bit: every iterate of 60, rejected steps (iterate unchanged) included.
#[test]
fn trust_region_rule_reproduces_argmins_trust_region() {
    use argmin::solver::trustregion::{Steihaug, TrustRegion, TrustRegionRadius};
    use argmin_math::{ArgminAdd, ArgminDot, ArgminL2Norm, ArgminWeightedDot};
    let problem = Rosenbrock::classic();
    let x0 = ndarray::array![-1.2, 1.0];
    let subproblem = || Steihaug::<Array1<f64>, f64>::new().with_max_iters(30);
    // argmin's run stopped after k iterations is the first k of a longer run.
    let argmins = |k: u64| -> Array1<f64> {
        let res = Executor::new(problem.clone(), TrustRegion::new(subproblem()))
            .configure(|c| c.param(x0.clone()).max_iters(k))
            .run()
            .unwrap();
        res.state.param.unwrap()
    };

    let rule = TrustRegionRule::default();
    let (mut x, mut radius) = (x0.clone(), 1.0);
    let mut f = problem.cost(&x).unwrap();
    let (mut rejected, mut grown, mut shrunk) = (0, 0, 0);
    for k in 1..=60 {
        let g = problem.gradient(&x).unwrap();
        let h = problem.hessian(&x).unwrap();
        let mut sub = subproblem();
        sub.set_radius(radius);
        let res = Executor::new(problem.clone(), sub)
            .configure(|c| c.param(x.clone()).gradient(g.clone()).hessian(h.clone()))
            .ctrlc(false)
            .run()
            .unwrap();
        let p = res.state.param.unwrap();
        let x_new: Array1<f64> = ArgminAdd::add(&p, &x);
        let f_new = problem.cost(&x_new).unwrap();
        // m(p) in argmin's order of operations (through its ndarray backend).
        let pg: f64 = ArgminDot::<Array1<f64>, f64>::dot(&p, &g);
        let php: f64 = ArgminWeightedDot::<Array1<f64>, f64, Array2<f64>>::weighted_dot(&p, &h, &p);
        let model = f + pg + 0.5 * php;
        let rho = (f - f_new) / (f - model);
        let next = rule.next_radius(rho, radius, ArgminL2Norm::<f64>::l2_norm(&p));
        grown += usize::from(next > radius);
        shrunk += usize::from(next < radius);
        radius = next;
        if rule.accepts(rho) {
            (x, f) = (x_new, f_new);
        } else {
            rejected += 1;
        }
        assert_eq!(x, argmins(k), "iteration {k}");
    }
    // The run exercised every branch of the rule, and arrived.
    assert!(
        rejected > 0 && grown > 0 && shrunk > 0,
        "{rejected} {grown} {shrunk}"
    );
    assert!(
        (&x - &ndarray::array![1.0, 1.0]).mapv(f64::abs).sum() < 1e-8,
        "{x}"
    );
}

/// argmin's `Newton` (γ = 1) takes the crate's damped Newton step with
/// `λ = 0`, `p − H⁻¹g`: argmin inverts `H`, the crate solves by Cholesky, so
/// the iterates agree to rounding (1e-12 here) on the reference slice, whose
/// Hessian is positive definite everywhere (logistic regression in `v`).
#[test]
fn argmins_newton_is_damped_newton_at_zero_damping() {
    let problem = XorProblem::reference();
    let start = ndarray::array![2.0, -2.0];
    let cfg = RaceConfig {
        max_iters: 20,
        ..RaceConfig::default()
    };
    let argmin = run(
        &problem,
        &start,
        &OptimizerSpec::new(OptimizerKind::ArgminNewton),
        &cfg,
    );
    let ours = run(
        &problem,
        &start,
        &OptimizerSpec::new(OptimizerKind::Newton).damping(0.0),
        &cfg,
    );
    assert!(argmin.steps() >= 5, "{}", argmin.steps());
    assert_eq!(argmin.steps(), ours.steps());
    for (k, (a, b)) in argmin.iterates.iter().zip(&ours.iterates).enumerate() {
        for (x, y) in a.iter().zip(b) {
            assert!(
                (x - y).abs() <= 1e-12 * (1.0 + x.abs()),
                "iteration {k}: {a:?} vs {b:?}"
            );
        }
    }
}
