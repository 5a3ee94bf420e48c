//! The numbers chapter 5 (`notebooks/05-noise.ipynb`, "Noise as a tool")
//! quotes, pinned. When a change to the crate moves one of them, this test
//! fails and the prose must be updated with it.

use quad_vs_grad::lessons::noise::*;
use quad_vs_grad::prelude::*;

const TEXT: &str = "stated in notebooks/05-noise.ipynb: update the text";

fn close(what: &str, got: f64, want: f64, tol: f64) {
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got}, the text says {want} ({TEXT})"
    );
}

/// (reached %, stopped, outside) of a summary.
fn row(s: &MultiStartSummary) -> (i64, usize, usize) {
    (
        (100.0 * s.reached_global).round() as i64,
        s.stopped,
        s.left_domain,
    )
}

#[test]
fn cosine_well_study() {
    let well = CosineWell;
    let [global, local] = well.local_minima();
    close("global x", global.point[0], 1.0904, 5e-5);
    close("global f", global.value, -1.0467, 5e-5);
    close("local x", local.point[0], -0.2739, 5e-5);
    close("watershed", well.local_maximum(), 0.2739, 5e-5);
    close(
        "barrier",
        well.f(well.local_maximum()) - local.value,
        0.36,
        5e-3,
    );
    let starts = uniform_starts(60, 1, (-1.0, 2.0), 0).unwrap();
    let cfg = StudyConfig {
        max_iters: 500,
        ..StudyConfig::default()
    };
    let contenders = [
        NoisyGd::plain(0.05),
        NoisyGd::constant(0.05, 2.0),
        NoisyGd::constant(0.05, 4.0),
        NoisyGd::annealed(0.05, 4.0, 100.0, 1.0),
        NoisyGd::constant(0.05, 1.0),
        NoisyGd::constant(0.05, 3.0),
    ];
    let s = noise_study(&well, &contenders, &starts, &cfg).unwrap();
    let rows: Vec<_> = s.summaries.iter().map(row).collect();
    assert_eq!(
        rows,
        vec![
            (68, 60, 0),
            (77, 0, 0),
            (50, 0, 11),
            (75, 1, 2),
            (63, 0, 0),
            (70, 1, 2)
        ],
        "{TEXT}"
    );
    // Gradient descent reaches the global minimum exactly from the starts right of the watershed.
    let right = starts
        .iter()
        .filter(|x| x[0] > well.local_maximum())
        .count();
    assert_eq!(right, 41, "{TEXT}");
    close("GD last step", s.summaries[0].mean_last_step, 6.8e-7, 5e-8);
    close("ν = 2 last step", s.summaries[1].mean_last_step, 0.10, 5e-3);
    close("ν = 4 last step", s.summaries[2].mean_last_step, 0.21, 5e-3);
    close(
        "annealed last step",
        s.summaries[3].mean_last_step,
        0.036,
        5e-4,
    );
    assert!(s.summaries[1].mean_last_step / s.summaries[0].mean_last_step > 1e5);
}

#[test]
fn wells_study() {
    let wells = GaussianWells::course();
    let starts = uniform_starts(30, 2, (-3.0, 3.0), 0).unwrap();
    let cfg = StudyConfig {
        max_iters: 300,
        ..StudyConfig::default()
    };
    let s = noise_study(
        &wells,
        &[
            NoisyGd::plain(0.1),
            NoisyGd::constant(0.1, 0.2),
            NoisyGd::constant(0.1, 0.5),
        ],
        &starts,
        &cfg,
    )
    .unwrap();
    let rows: Vec<_> = s.summaries.iter().map(row).collect();
    assert_eq!(rows, vec![(20, 4, 0), (17, 0, 1), (10, 0, 2)], "{TEXT}");
    // the counts behind the shares, and their 95 % Wilson intervals: 30
    // starts cannot tell 6 from 3 successes apart
    let hits: Vec<usize> = s
        .summaries
        .iter()
        .map(|x| (x.reached_global * 30.0).round() as usize)
        .collect();
    assert_eq!(hits, [6, 5, 3], "{TEXT}");
    let wilson = |k: usize| {
        let (n, z) = (30.0, 1.96_f64);
        let p = k as f64 / n;
        let centre = (p + z * z / (2.0 * n)) / (1.0 + z * z / n);
        let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / (1.0 + z * z / n);
        format!(
            "{:.1}–{:.1}",
            100.0 * (centre - half),
            100.0 * (centre + half)
        )
    };
    assert_eq!(wilson(6), "9.5–37.3", "{TEXT}");
    assert_eq!(wilson(3), "3.5–25.6", "{TEXT}");
}

#[test]
fn minibatch_noise_and_sgd_against_langevin() {
    let xor = XorProblem::reference();
    let start = array![2.0, -2.0];
    let gd = run(
        &xor,
        &start,
        &OptimizerSpec::new(OptimizerKind::Gd).lr(0.8),
        &RaceConfig {
            max_iters: 2000,
            tol: 1e-9,
            ..RaceConfig::default()
        },
    );
    let p = Array1::from(gd.final_point().unwrap().to_vec());
    close("minimum v1", p[0], 0.2705, 5e-5);
    close("minimum v2", p[1], 0.0050, 5e-5);
    close("minimum loss", gd.final_loss(), 0.689869, 5e-7);
    let n10 = minibatch_gradient_noise(&xor, &p, 10, 200, 0).unwrap();
    close("B = 10 measured", n10.measured, 0.0902, 5e-5);
    close("B = 10 predicted", n10.predicted, 0.0922, 5e-5);
    let n50 = minibatch_gradient_noise(&xor, &p, 50, 200, 0).unwrap();
    close("B = 50 measured", n50.measured, 0.0372, 5e-5);
    close("B = 50 predicted", n50.predicted, 0.0366, 5e-5);
    // Exercise 2.
    let n25 = minibatch_gradient_noise(&xor, &p, 25, 200, 0).unwrap();
    let n100 = minibatch_gradient_noise(&xor, &p, 100, 200, 0).unwrap();
    close("B = 25 measured", n25.measured, 0.0560, 5e-5);
    close("B = 100 measured", n100.measured, 0.0222, 5e-5);
    close("ratio", n25.measured / n100.measured, 2.52, 5e-3);
    close(
        "predicted ratio",
        n25.predicted / n100.predicted,
        7f64.sqrt(),
        1e-9,
    );

    // The three ways of adding noise of that size.
    let study = sampling_study(&xor, &start, 0.8, 10, 300, 40).unwrap();
    close("ν", study.sigma, 0.0902, 5e-5);
    close("μ1", study.eigenvalues[0], 0.0797, 5e-5);
    close("μ2", study.eigenvalues[1], 0.0983, 5e-5);
    close("κ", study.eigenvalues[1] / study.eigenvalues[0], 1.23, 5e-3);
    close("prediction", study.predicted, 3.38e-3, 5e-6);
    let arm = |label: &str| study.arm(label).expect("an arm").clone();
    let (epochs, independent, langevin) = (
        arm("SGD, shuffled epochs"),
        arm("SGD, independent batches"),
        arm("Langevin, same ν"),
    );
    close("epochs", epochs.stationary, 1.36e-3, 5e-6);
    close("independent", independent.stationary, 3.32e-3, 5e-6);
    close("Langevin", langevin.stationary, 3.47e-3, 5e-6);
    close("epochs at 300", epochs.last, 6.2e-4, 5e-6);
    close(
        "ratio",
        independent.stationary / epochs.stationary,
        2.4,
        0.05,
    );
    // "within one or two standard errors of each other and of the formula"
    let se = independent.stationary_se.hypot(langevin.stationary_se);
    assert!((independent.stationary - langevin.stationary).abs() < 2.0 * se);
    for a in [&independent, &langevin] {
        assert!(
            (a.stationary - study.predicted).abs() < 2.0 * a.stationary_se,
            "{}",
            a.label
        );
    }
    // The saw-tooth: the epochs arm is lowest at the ends of epochs.
    let ends: f64 = (12..=15).map(|e| epochs.curve[20 * e]).sum::<f64>() / 4.0;
    let mids: f64 = (12..15).map(|e| epochs.curve[20 * e + 10]).sum::<f64>() / 3.0;
    assert!(ends < 0.5 * mids, "ends {ends}, middles {mids}");
}

#[test]
fn exercise_3_fewer_batches_per_epoch_cancel_sooner() {
    let xor = XorProblem::reference();
    let study = sampling_study(&xor, &array![2.0, -2.0], 0.8, 50, 300, 40).unwrap();
    close("ν", study.sigma, 0.0372, 5e-5);
    close("prediction", study.predicted, 5.75e-4, 5e-7);
    let level = |label: &str| study.arm(label).expect("an arm").stationary;
    close(
        "independent",
        level("SGD, independent batches"),
        5.74e-4,
        5e-7,
    );
    close("Langevin", level("Langevin, same ν"), 5.89e-4, 5e-7);
    close("epochs", level("SGD, shuffled epochs"), 6.4e-5, 5e-7);
    close(
        "ratio",
        level("SGD, independent batches") / level("SGD, shuffled epochs"),
        8.9,
        0.05,
    );
}
