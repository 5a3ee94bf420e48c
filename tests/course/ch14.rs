//! Appendix A, "Checking derivatives" (`notebooks/14-checking-derivatives.ipynb`):
//! the numbers its prose and exercises quote.

use quad_vs_grad::lessons::checking_derivatives::*;
use quad_vs_grad::prelude::*;

const EPS: f64 = f64::EPSILON;

fn round1(v: f64) -> String {
    format!("{v:.1e}")
}

#[test]
fn section_1_cosh_draws_the_u() {
    let cosh = CoshValley::new(1.0).unwrap();
    let hs = log_steps(-12.0, -1.0, 23);
    let sweep = step_sweep(&cosh, &[array![1.0]], &hs).unwrap();
    let best = best_step(&sweep).unwrap();
    assert_eq!(format!("{:.0e}", best.h), "1e-5");
    assert_eq!(round1(best.error), "2.3e-11");
    assert_eq!(format!("{:.2}", log_log_slope(&sweep, 1e-4, 1e-1)), "2.00");
    assert_eq!(
        format!("{:.2}", log_log_slope(&sweep, 1e-12, 1e-7)),
        "-0.97"
    );
    // the predicted best step (3 ε cosh 1 / sinh 1)^(1/3)
    let h_star = (3.0 * EPS * 1f64.cosh() / 1f64.sinh()).cbrt();
    assert_eq!(round1(h_star), "9.6e-6");
    assert_eq!(DEFAULT_STEP, 1e-5);
}

#[test]
fn section_2_network_sweep_and_the_bug() {
    let net = XorProblem::full(Dataset::reference(), &[4, 4]).unwrap();
    let k = net.mlp().num_params();
    assert_eq!(k, 37);
    let points = uniform_starts(5, k, (-2.0, 2.0), 3).unwrap();
    let hs = log_steps(-12.0, -1.0, 23);
    let correct = step_sweep(&net, &points, &hs).unwrap();
    let best = best_step(&correct).unwrap();
    assert_eq!(format!("{:.0e}", best.h), "1e-5");
    // round-off at the best step: a few times 1e-11 (2.4e-11 here, 2.7e-11
    // after a last-bit change of the data)
    assert!(best.error > 1e-11 && best.error < 5e-11, "{:e}", best.error);
    if !quad_vs_grad::data::perturbed() {
        assert_eq!(round1(best.error), "2.4e-11", "the text quotes this run");
    }
    assert!((log_log_slope(&correct, 1e-4, 1e-1) - 2.0).abs() < 0.05);
    assert!((log_log_slope(&correct, 1e-12, 1e-7) + 1.0).abs() < 0.1);
    let (a, b) = error_model(&correct).unwrap();
    assert_eq!(round1(b), "1.9e-16");
    assert!((b / EPS - 1.0).abs() < 0.2, "b = {b:e} is within 20 % of ε");
    assert!(a > 0.0);
    let buggy = step_sweep(
        &Miswired::new(net, GradientBug::Sign { index: 0 }),
        &points,
        &hs,
    )
    .unwrap();
    // flat: the error moves by less than a factor 2 over eleven decades of h
    let lo = buggy.iter().map(|s| s.error).fold(f64::INFINITY, f64::min);
    let hi = buggy.iter().map(|s| s.error).fold(0.0, f64::max);
    assert!(hi / lo < 2.0 && lo > 1e-3, "{lo:e} {hi:e}");
}

#[test]
fn section_3_every_problem() {
    let report = check_every_problem(5, DEFAULT_STEP, 1).unwrap();
    let (g, h) = report.worst();
    assert!(g < 1e-9 && h < 1e-9, "{g:e} {h:e}");
    assert_eq!(round1(g), "7.0e-10");
    let worst = report
        .rows
        .iter()
        .max_by(|a, b| a.gradient_err.total_cmp(&b.gradient_err))
        .unwrap();
    assert_eq!(worst.problem, "Rosenbrock (d = 5, b = 100)");
    // every Hessian symmetric, the wells' to rounding
    for r in &report.rows {
        if r.problem.starts_with("Gaussian wells") {
            assert!(r.asymmetry > 0.0 && r.asymmetry < 1e-15, "{}", r.asymmetry);
        } else {
            assert_eq!(r.asymmetry, 0.0, "{}", r.problem);
        }
    }
}

#[test]
fn section_4_bugs_entry_by_entry() {
    let slice = XorProblem::reference();
    let p = array![0.3, -0.4];
    let g = slice.gradient(&p).unwrap();
    assert_eq!(format!("{:.2e}", g[0]), "-1.39e-3");
    let errs = |bug| {
        let c = check_gradient(&Miswired::new(slice.clone(), bug), &p, DEFAULT_STEP).unwrap();
        entry_errors(&c.analytic, &c.fd)
    };
    let e = errs(GradientBug::Sign { index: 0 });
    assert_eq!(round1(e[0]), "2.8e-3");
    assert!(e[1] < 1e-10);
    let floor = e[1];
    let e = errs(GradientBug::Scaled {
        index: 0,
        factor: 1.0 + 1e-6,
    });
    assert!(e[0] / floor > 30.0, "{} {}", e[0], floor);
    let e = errs(GradientBug::Scaled {
        index: 0,
        factor: 1.0 + 1e-8,
    });
    // of the size of rounding (the U's floor, a few times 1e-11)
    assert!(e[0] < 5e-11, "{} {}", e[0], floor);
}

#[test]
fn exercise_1_cosh_4x() {
    let cosh = CoshValley::new(4.0).unwrap();
    let h_star = (3.0 * EPS * 4f64.cosh() / (64.0 * 4f64.sinh())).cbrt();
    assert_eq!(round1(h_star), "2.2e-6");
    let hs = log_steps(-12.0, -1.0, 23);
    let points: Vec<_> = [0.8, 0.9, 1.0, 1.1, 1.2]
        .iter()
        .map(|&x| array![x])
        .collect();
    let best = best_step(&step_sweep(&cosh, &points, &hs).unwrap()).unwrap();
    assert_eq!(round1(best.h), "3.2e-6", "{best:?}");
    assert_eq!(round1(best.error), "2.6e-11");
    // at the single point x = 1 the rounding errors cancel by luck at h = 1e-7
    let lucky = best_step(&step_sweep(&cosh, &[array![1.0]], &hs).unwrap()).unwrap();
    assert_eq!(format!("{:.0e}", lucky.h), "1e-7");
    assert!(lucky.error < 1e-12, "{lucky:?}");
}

#[test]
fn exercise_2_hessian_steps() {
    let p = XorProblem::hidden_slice();
    let at = array![0.5, 0.5];
    let e: Vec<f64> = [1e-3, 1e-5, 1e-8]
        .iter()
        .map(|&h| check_hessian(&p, &at, h).unwrap().max_rel_err)
        .collect();
    assert!(e[1] < e[0] && e[1] < e[2], "{e:?}");
    // Truncation (h = 1e-3) to the printed digits; the two errors where
    // rounding counts within a factor of 2 of the quoted ones.
    assert_eq!(round1(e[0]), "2.5e-9", "{e:?}");
    assert!(e[1] > 1.0e-12 / 2.0 && e[1] < 1.0e-12 * 2.0, "{e:?}");
    assert!(e[2] > 5.4e-10 / 2.0 && e[2] < 5.4e-10 * 2.0, "{e:?}");
}

/// Exercise 3's problem, with the bug of the exercise.
struct Exercise3 {
    buggy: bool,
}

impl CostFunction for Exercise3 {
    type Param = Array1<f64>;
    type Output = f64;
    fn cost(&self, p: &Array1<f64>) -> Result<f64, ArgminError> {
        Ok(p[0] * p[0] * p[1] + p[1].sin())
    }
}

impl Gradient for Exercise3 {
    type Param = Array1<f64>;
    type Gradient = Array1<f64>;
    fn gradient(&self, p: &Array1<f64>) -> Result<Array1<f64>, ArgminError> {
        let dx = if self.buggy { 1.0 } else { 2.0 } * p[0] * p[1];
        Ok(array![dx, p[0] * p[0] + p[1].cos()])
    }
}

#[test]
fn exercise_3_the_bug_hides_on_the_axes() {
    let p = array![0.4, 0.7];
    assert!(
        check_gradient(&Exercise3 { buggy: false }, &p, DEFAULT_STEP)
            .unwrap()
            .passes(1e-9)
    );
    let c = check_gradient(&Exercise3 { buggy: true }, &p, DEFAULT_STEP).unwrap();
    assert!((c.max_abs_err - 0.4 * 0.7).abs() < 1e-8);
    assert_eq!(format!("{:.2}", c.max_abs_err), "0.28");
    for q in [array![0.0, 0.7], array![0.4, 0.0]] {
        assert!(check_gradient(&Exercise3 { buggy: true }, &q, DEFAULT_STEP)
            .unwrap()
            .passes(1e-9));
    }
}
