//! Pins every number the prose, the decision guide and the exercises of
//! chapter 13 (the verdict, `notebooks/13-verdict.ipynb`) quote. None
//! depends on timing; all are computed as the notebook computes them.

use quad_vs_grad::prelude::*;

const TEXT: &str = "stated in notebooks/13-verdict.ipynb: update the text";

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Starts reached, median iterations to loss 0.01, runs diverged.
fn starts(spec: &OptimizerSpec) -> (usize, f64, usize) {
    let cfg = RaceConfig {
        max_iters: 500,
        ..RaceConfig::default()
    };
    let (mut its, mut diverged) = (vec![], 0);
    for seed in 0..8 {
        let p = RacePreset::full_network(&[8], seed).unwrap();
        let t = run(&p.problem, &p.start, spec, &cfg);
        diverged += t.diverged() as usize;
        if let Some(k) = t.iterations_to(0.01) {
            its.push(k as f64);
        }
    }
    (its.len(), median(its), diverged)
}

#[test]
fn eight_starts_show_all_three_answers() {
    let s = |k| starts(&OptimizerSpec::new(k));
    assert_eq!(s(OptimizerKind::GgnLm), (8, 9.0, 0), "{TEXT}");
    assert_eq!(s(OptimizerKind::KfacLm), (8, 10.0, 0), "{TEXT}");
    assert_eq!(s(OptimizerKind::Lbfgs), (8, 11.0, 0), "{TEXT}");
    assert_eq!(s(OptimizerKind::Adam), (8, 43.5, 0), "{TEXT}");
    let newton = s(OptimizerKind::Newton);
    assert_eq!((newton.0, newton.2), (4, 3), "{TEXT}");
    let safe = starts(&OptimizerSpec::new(OptimizerKind::Newton).damping(1.0));
    assert_eq!(safe, (8, 219.0, 0), "{TEXT}");
    assert_eq!(s(OptimizerKind::SaddleFree), (8, 28.0, 0), "{TEXT}");
}

#[test]
fn newton_with_damping_three_tenths() {
    let r = starts(&OptimizerSpec::new(OptimizerKind::Newton).damping(0.3));
    assert_eq!(r, (8, 66.0, 0), "{TEXT}");
}

#[test]
fn the_dense_matrix_passes_64_mb_at_width_724() {
    let mb = |n: usize| {
        let d = RacePreset::full_network(&[n], 0).unwrap().start.len() as f64;
        (d, 8.0 * d * d / (1024.0 * 1024.0))
    };
    let (d, size) = mb(724);
    assert_eq!((d, format!("{size:.2}")), (2897.0, "64.03".to_string()));
    let (d, size) = mb(723);
    assert_eq!((d, format!("{size:.2}")), (2893.0, "63.85".to_string()));
    assert_eq!(format!("{:.1}", mb(4096).1), "2048.3");
    assert_eq!(format!("{:.2e}", 16385.0f64.powi(3) / 3.0), "1.47e12");
}
