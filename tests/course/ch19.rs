//! The numbers chapter 19 (`notebooks/19-generalization.ipynb`,
//! "Generalization") quotes, pinned. When a change to the crate moves one
//! of them, this test fails and the prose must be updated with it.
//!
//! The counts and medians are statistics over eight seeds; the floats are
//! pinned to the decimals the chapter prints.

use std::sync::OnceLock;

use quad_vs_grad::lessons::generalization::*;

const TEXT: &str = "stated in notebooks/19-generalization.ipynb: update the text";

fn close(what: &str, got: f64, want: f64, tol: f64) {
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got}, the text says {want} ({TEXT})"
    );
}

fn spread(what: &str, got: Spread, want: [f64; 5]) {
    let names = ["min", "q1", "median", "q3", "max"];
    let vals = [got.min, got.q1, got.median, got.q3, got.max];
    for ((n, g), w) in names.iter().zip(vals).zip(want) {
        close(&format!("{what} {n}"), g, w, 5e-4);
    }
}

fn study() -> &'static GeneralizationStudy {
    static S: OnceLock<GeneralizationStudy> = OnceLock::new();
    S.get_or_init(|| generalization_study(&StudyConfig::chapter()).unwrap())
}

fn summary(st: &GeneralizationStudy, width: usize, optimizer: &str) -> OptimizerSummary {
    st.summaries()
        .into_iter()
        .find(|s| s.width == width && s.optimizer == optimizer)
        .unwrap()
}

#[test]
fn the_data() {
    let cfg = StudyConfig::chapter();
    assert_eq!(
        (cfg.n_train, cfg.n_test, cfg.race.max_iters),
        (40, 4000, 300)
    );
    let noise: Vec<f64> = cfg
        .seeds
        .iter()
        .map(|&s| cfg.training_set(s).unwrap().label_noise_fraction())
        .collect();
    spread(
        "training label noise",
        Spread::of(&noise),
        [0.075, 0.144, 0.162, 0.213, 0.275],
    );
    let test = cfg.test_set().unwrap();
    close(
        "test label noise (%)",
        100.0 * test.label_noise_fraction(),
        14.8,
        0.05,
    );
    close(
        "best test accuracy (%)",
        100.0
            * study()
                .runs
                .iter()
                .map(|r| r.test_accuracy)
                .fold(0.0, f64::max),
        84.0,
        0.05,
    );
}

#[test]
fn the_table() {
    let st = study();
    assert_eq!(st.runs.len(), 96, "{TEXT}");
    assert_eq!(
        st.optimizers,
        ["GD", "Adam", "GGN-LM", "K-FAC-LM"],
        "{TEXT}"
    );
    assert_eq!(
        st.runs.iter().filter(|r| r.iterations == 300).count(),
        96,
        "{TEXT}"
    );
    // Medians quoted in the prose.
    close(
        "GGN-LM train h=8",
        summary(st, 8, "GGN-LM").train_loss.median,
        0.000,
        5e-4,
    );
    close(
        "GGN-LM test h=8",
        summary(st, 8, "GGN-LM").test_loss.median,
        7.393,
        5e-4,
    );
    close(
        "GD train h=8",
        summary(st, 8, "GD").train_loss.median,
        0.247,
        5e-4,
    );
    close(
        "GD test h=8",
        summary(st, 8, "GD").test_loss.median,
        0.430,
        5e-4,
    );
    // Orders the prose states at every width.
    for h in [2, 4, 8] {
        let rows: Vec<OptimizerSummary> = st
            .summaries()
            .into_iter()
            .filter(|s| s.width == h)
            .collect();
        let by = |f: &dyn Fn(&OptimizerSummary) -> f64, max: bool| {
            let mut best = &rows[0];
            for r in &rows {
                if (max && f(r) > f(best)) || (!max && f(r) < f(best)) {
                    best = r;
                }
            }
            best.optimizer.clone()
        };
        assert_eq!(
            by(&|s| s.train_loss.median, false),
            "GGN-LM",
            "h = {h} ({TEXT})"
        );
        assert_eq!(
            by(&|s| s.test_loss.median, true),
            "GGN-LM",
            "h = {h} ({TEXT})"
        );
        assert_eq!(by(&|s| s.train_loss.median, true), "GD", "h = {h} ({TEXT})");
        assert_eq!(by(&|s| s.test_loss.median, false), "GD", "h = {h} ({TEXT})");
    }
    for h in [4, 8] {
        assert!(
            summary(st, h, "Adam").test_loss.median < summary(st, h, "K-FAC-LM").test_loss.median
        );
    }
    // Test losses and their standard errors.
    let loss = st.pooled(Metric::TestLoss);
    let se = st.pooled(Metric::TestLossSe);
    close("GD se median", se[0].median, 0.010, 5e-4);
    close("Adam se median", se[1].median, 0.026, 5e-4);
    close("GGN-LM se median", se[2].median, 0.288, 5e-4);
    close("GGN-LM lowest test loss", loss[2].min, 1.635, 5e-4);
    close("GD highest test loss", loss[0].max, 0.889, 5e-4);
    close("Adam highest test loss", loss[1].max, 1.624, 5e-4);
}

#[test]
fn lowest_training_loss_against_lowest_test_loss() {
    let st = study();
    let a = st.winner_agreement();
    assert_eq!((a.cells, a.same, a.worst), (24, 0, 23), "{TEXT}");
    assert_eq!(st.wins(Metric::TrainLoss), [0, 1, 23, 0], "{TEXT}");
    assert_eq!(st.wins(Metric::TestLoss), [22, 2, 0, 0], "{TEXT}");
    let rho = st.spearman_by_seed(Metric::TrainLoss, Metric::TestLoss);
    assert!(rho.iter().all(|&r| r < 0.0), "{rho:?} ({TEXT})");
    spread(
        "r_S(train, test)",
        Spread::of(&rho),
        [-0.734, -0.643, -0.591, -0.505, -0.343],
    );
    for h in [2, 4, 8] {
        let at = Spread::of(&st.spearman_by_seed_at(h, Metric::TrainLoss, Metric::TestLoss));
        assert_eq!(at.median, -1.0, "h = {h} ({TEXT})");
    }
    assert_eq!(st.worse_than_chance(), [4, 17, 24, 14], "{TEXT}");
    let train = st.pooled(Metric::TrainAccuracy);
    let test = st.pooled(Metric::TestAccuracy);
    for (i, (tr, te)) in [(86.25, 77.8), (86.25, 76.2), (98.8, 74.4), (92.5, 76.0)]
        .into_iter()
        .enumerate()
    {
        close("train accuracy (%)", 100.0 * train[i].median, tr, 0.05);
        close("test accuracy (%)", 100.0 * test[i].median, te, 0.05);
    }
}

#[test]
fn sharpness_against_gap() {
    let st = study();
    let rho = st.spearman_by_seed(Metric::LambdaMax, Metric::Gap);
    spread(
        "r_S(λmax, gap)",
        Spread::of(&rho),
        [-0.671, -0.517, -0.346, 0.031, 0.392],
    );
    let rest = st.without_optimizer(2);
    assert_eq!(rest.optimizers, ["GD", "Adam", "K-FAC-LM"]);
    let rho = rest.spearman_by_seed(Metric::LambdaMax, Metric::Gap);
    spread(
        "without GGN-LM",
        Spread::of(&rho),
        [-0.433, -0.042, 0.217, 0.554, 0.767],
    );
    for (i, want) in [0.106, -0.199, -0.015, -0.066].into_iter().enumerate() {
        close(
            "within-optimizer r_S(λmax, gap)",
            st.spearman_for_optimizer(i, Metric::LambdaMax, Metric::Gap),
            want,
            5e-4,
        );
    }
    close(
        "GGN-LM r_S(λmax, train loss)",
        st.spearman_for_optimizer(2, Metric::LambdaMax, Metric::TrainLoss),
        0.912,
        5e-4,
    );
    let fitted: Vec<&StudyRun> = st.runs.iter().filter(|r| r.train_loss < 1e-6).collect();
    assert_eq!(fitted.len(), 12, "{TEXT}");
    assert!(fitted.iter().all(|r| r.optimizer_index == 2));
    assert!(
        fitted.iter().all(|r| r.train_loss < 1e-8),
        "the figure's left cluster"
    );
    let top = fitted.iter().map(|r| r.lambda_max).fold(0.0, f64::max);
    close(
        "largest λmax of the fitted runs (×1e5)",
        1e5 * top,
        2.2,
        0.05,
    );
    // The figures' titles.
    close(
        "pooled r_S(λmax, gap)",
        st.spearman_pooled(Metric::LambdaMax, Metric::Gap),
        -0.33,
        0.005,
    );
    assert_eq!(st.runs.iter().filter(|r| r.gap() <= 0.0).count(), 2);
    assert_eq!(st.worse_than_chance()[0], 4, "GD: most points below ln 2");
}

#[test]
fn exercise_1_a_longer_budget() {
    let mut c = StudyConfig::chapter();
    c.race.max_iters = 3000;
    c.specs.truncate(2);
    let st = generalization_study(&c).unwrap();
    close(
        "GD train h=8",
        summary(&st, 8, "GD").train_loss.median,
        0.066,
        5e-4,
    );
    close(
        "GD test h=8",
        summary(&st, 8, "GD").test_loss.median,
        1.281,
        5e-4,
    );
    close(
        "Adam train h=8",
        summary(&st, 8, "Adam").train_loss.median,
        0.000,
        5e-4,
    );
    close(
        "Adam test h=8",
        summary(&st, 8, "Adam").test_loss.median,
        2.934,
        5e-4,
    );
    assert_eq!(st.wins(Metric::TestLoss), [21, 3], "{TEXT}");
    assert_eq!(st.winner_agreement().worst, 22, "{TEXT}");
}

#[test]
fn exercise_2_ten_times_the_data() {
    let mut c = StudyConfig::chapter();
    c.n_train = 400;
    let st = generalization_study(&c).unwrap();
    let rho = st.spearman_by_seed(Metric::TrainLoss, Metric::TestLoss);
    spread(
        "r_S(train, test), n = 400",
        Spread::of(&rho),
        [-0.021, 0.142, 0.175, 0.376, 0.462],
    );
    let a = st.winner_agreement();
    assert_eq!((a.same, a.worst), (4, 17), "{TEXT}");
    let gap = st.pooled(Metric::Gap);
    close("GD gap", gap[0].median, 0.019, 5e-4);
    close("GGN-LM gap", gap[2].median, 0.071, 5e-4);
    let chapter = study().pooled(Metric::Gap);
    close("GD gap, chapter", chapter[0].median, 0.120, 5e-4);
    close("GGN-LM gap, chapter", chapter[2].median, 7.602, 5e-4);
    let accs: Vec<f64> = st
        .summaries()
        .iter()
        .filter(|s| s.width >= 4)
        .map(|s| 100.0 * s.test_accuracy.median)
        .collect();
    close(
        "lowest",
        accs.iter().copied().fold(f64::INFINITY, f64::min),
        82.6,
        0.05,
    );
    close(
        "highest",
        accs.iter().copied().fold(0.0, f64::max),
        84.9,
        0.05,
    );
}
