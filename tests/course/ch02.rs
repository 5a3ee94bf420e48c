//! Chapter 2, "Gradient descent and the learning rate"
//! (`notebooks/02-gradient-descent.ipynb`): the numbers its prose and
//! exercises quote, and its small-multiples figure.

use quad_vs_grad::lessons::gradient_descent::*;
use quad_vs_grad::prelude::*;

const TEXT: &str = "stated in notebooks/02-gradient-descent.ipynb: update the text";

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

fn reference_theory() -> (RacePreset, GdTheory, f64) {
    let preset = RacePreset::reference();
    let (v, l) = best_loss(&preset.problem, &preset.start).unwrap();
    let th = GdTheory::at(&preset.problem, &v).unwrap();
    (preset, th, l)
}

#[test]
fn the_theory_on_the_reference_slice_matches_the_chapter() {
    let (_, th, _) = reference_theory();
    assert!(close(th.mu_min, 0.0797, 5e-5) && close(th.mu_max, 0.0983, 5e-5));
    assert!(close(th.condition_number(), 1.234, 5e-4), "({TEXT})");
    assert!(close(th.stability_limit(), 20.34, 5e-3), "({TEXT})");
    assert!(close(th.best_step(), 11.24, 5e-3), "({TEXT})");
    assert!(close(th.best_contraction(), 0.105, 5e-4), "({TEXT})");
    // "removes about 90% of the error at every step"; "fourteen times smaller"
    assert!((0.88..0.92).contains(&(1.0 - th.best_contraction())));
    assert!(close(th.best_step() / 0.8, 14.0, 0.1));
    for (lr, a, b) in [
        (0.8, 0.936, 0.921),
        (11.24, 0.104, -0.105),
        (19.0, -0.514, -0.868),
        (21.0, -0.673, -1.065),
    ] {
        let (x, y) = th.error_factors(lr);
        assert!(
            close(x, a, 5e-4) && close(y, b, 5e-4),
            "η = {lr}: {x} {y} ({TEXT})"
        );
    }
}

#[test]
fn the_sweep_matches_the_chapter() {
    let (preset, _, _) = reference_theory();
    let lrs = [0.8, 5.0, 11.24, 19.0, 21.0, 1000.0];
    let sweep = gd_sweep(&preset.problem, &preset.start, &lrs, &preset.cfg);
    let steps: Vec<usize> = sweep.iter().map(|t| t.steps()).collect();
    assert_eq!(steps, vec![153, 25, 8, 77, 500, 1], "({TEXT})");
    for t in &sweep[..4] {
        assert_eq!(t.stop, StopReason::StepNorm, "{} ({TEXT})", t.optimizer);
        assert!(close(t.final_loss(), 0.689869, 5e-7));
    }
    assert_eq!(sweep[4].stop, StopReason::MaxIters, "η = 21 ({TEXT})");
    assert!(close(sweep[4].final_loss(), 0.7158, 5e-5), "({TEXT})");
    assert!(sweep[5].diverged(), "η = 1000 ({TEXT})");
    assert_eq!(run_status(&sweep[5]), "DIVERGED at step 1");
    let p = sweep[5].final_point().unwrap();
    assert!(
        close(p[0], -91.0, 0.5) && close(p[1], 120.0, 0.5),
        "{p:?} ({TEXT})"
    );
    assert!(close(sweep[5].final_loss(), 38.7, 0.05), "({TEXT})");
}

#[test]
fn the_conditioning_study_matches_the_chapter() {
    let rows = conditioning_study(&[1.0, 10.0, 100.0, 1000.0], 0.5, 1e-6).unwrap();
    let gd: Vec<Option<usize>> = rows.iter().map(|r| r.gd_steps).collect();
    assert_eq!(
        gd,
        vec![Some(1), Some(69), Some(691), Some(6908)],
        "({TEXT})"
    );
    for r in &rows {
        assert_eq!(r.gd_steps, Some(r.predicted_steps), "κ = {}", r.kappa);
        assert!(
            close(r.measured_factor, r.predicted_factor, 5e-7),
            "six decimals ({TEXT})"
        );
        assert_eq!(r.newton_steps, Some(1), "({TEXT})");
        // "L-BFGS ... needs 3 steps at every κ above 1 (one on the round bowl)"
        let want = if r.kappa == 1.0 { 1 } else { 3 };
        assert_eq!(r.lbfgs_steps, Some(want), "κ = {} ({TEXT})", r.kappa);
    }
}

#[test]
fn the_saddle_matches_the_chapter() {
    let runs = saddle_escape(0.1, &[0.0, 1e-3, 1e-8], 120).unwrap();
    assert_eq!(runs[0].escape_step, None, "({TEXT})");
    assert_eq!(runs[1].escape_step, Some(38), "({TEXT})");
    assert_eq!(runs[2].escape_step, Some(102), "({TEXT})");
    assert_eq!(runs[1].predicted_escape, Some(38));
    assert_eq!(runs[2].predicted_escape, Some(102));
}

#[test]
fn exercise_1_steps_at_the_race_step() {
    let (_, th, _) = reference_theory();
    assert_eq!(th.steps_to_shrink(0.8, 1e-6), Some(210));
    assert_eq!(th.steps_to_shrink(th.best_step(), 1e-6), Some(7));
}

#[test]
fn exercise_2_rotation_does_not_matter() {
    for angle in [0.0, 1.2] {
        let rows = conditioning_study(&[100.0], angle, 1e-6).unwrap();
        assert_eq!(rows[0].gd_steps, Some(691), "angle {angle}");
    }
}

#[test]
fn exercise_3_escape_from_1e_minus_12() {
    let runs = saddle_escape(0.1, &[1e-12, 1.5e-12, 1.7e-12], 200).unwrap();
    let steps: Vec<Option<usize>> = runs.iter().map(|r| r.escape_step).collect();
    assert_eq!(steps, [Some(152), Some(150), Some(149)], "({TEXT})");
    // 150 steps or more while |y0| < 1.2^-149 ≈ 1.6e-12.
    assert_eq!(format!("{:.1e}", 1.2f64.powi(-149)), "1.6e-12");
}

#[test]
fn small_multiples_figure_decodes_is_sized_and_deterministic() {
    let (preset, _, _) = reference_theory();
    let sweep = gd_sweep(
        &preset.problem,
        &preset.start,
        &[0.8, 11.24, 1000.0],
        &preset.cfg,
    );
    let grid = LossGrid::for_problem(&preset.problem, (-3.0, 3.0), (-3.0, 3.0), 40).unwrap();
    let a = small_multiples_figure(&grid, &sweep, 2, (300, 240), "sweep").unwrap();
    let b = small_multiples_figure(&grid, &sweep, 2, (300, 240), "sweep").unwrap();
    assert_eq!(a.bytes(), b.bytes(), "same inputs, same bytes");
    let dec = png::Decoder::new(a.bytes());
    let reader = dec.read_info().expect("a PNG");
    // Two columns, two rows (three panels), plus the title band.
    assert_eq!((reader.info().width, reader.info().height), (600, 520));
    assert!(small_multiples_figure(&grid, &[], 2, (300, 240), "x").is_err());
    assert!(small_multiples_figure(&grid, &sweep, 0, (300, 240), "x").is_err());
    let one = small_multiples_figure(&grid, &sweep[..1], 3, (300, 240), "x").unwrap();
    assert_eq!(one.width(), 300);
}

/// Section "Gradient descent from scratch": the notebook's `MyGd` (the same
/// code) races through `run_solver` to the crate's `gd` iterates, bit for
/// bit, in the same 153 steps.
#[test]
fn gradient_descent_from_scratch_matches_the_crates() {
    #[derive(Clone)]
    struct MyGd {
        lr: f64,
        grad_tol: f64,
    }

    impl<O> Solver<O, SolverState<()>> for MyGd
    where
        O: CostFunction<Param = Array1<f64>, Output = f64>
            + Gradient<Param = Array1<f64>, Gradient = Array1<f64>>,
    {
        fn name(&self) -> &str {
            "my gradient descent"
        }

        fn init(
            &mut self,
            problem: &mut Problem<O>,
            state: SolverState<()>,
        ) -> Result<(SolverState<()>, Option<KV>), ArgminError> {
            let p = state
                .get_param()
                .ok_or_else(|| ArgminError::msg("no start point"))?
                .clone();
            let (cost, grad) = (problem.cost(&p)?, problem.gradient(&p)?);
            Ok((state.param(p).cost(cost).gradient(grad), None))
        }

        fn next_iter(
            &mut self,
            problem: &mut Problem<O>,
            mut state: SolverState<()>,
        ) -> Result<(SolverState<()>, Option<KV>), ArgminError> {
            let p = state
                .take_param()
                .ok_or_else(|| ArgminError::msg("no parameter"))?;
            let g = state
                .take_gradient()
                .ok_or_else(|| ArgminError::msg("no gradient"))?;
            let next = &p - &(&g * self.lr);
            let (cost, grad) = (problem.cost(&next)?, problem.gradient(&next)?);
            Ok((state.param(next).cost(cost).gradient(grad), None))
        }

        fn terminate(&mut self, state: &SolverState<()>) -> TerminationStatus {
            match state.get_gradient() {
                Some(g) if g.fdot(g).sqrt() < self.grad_tol => {
                    TerminationStatus::Terminated(TerminationReason::SolverConverged)
                }
                _ => TerminationStatus::NotTerminated,
            }
        }
    }

    let preset = RacePreset::reference();
    let mine = run_solver(
        &preset.problem,
        &preset.start,
        "my GD (η = 0.8)",
        MyGd {
            lr: 0.8,
            grad_tol: 1e-8,
        },
        &preset.cfg,
    );
    let theirs = preset.problem.run("gd").unwrap();
    assert_eq!(mine.iterates, theirs.iterates);
    assert_eq!(mine.steps(), 153);
    assert_eq!(mine.stop, theirs.stop);
    assert_eq!(mine.counts.last(), theirs.counts.last());
}
