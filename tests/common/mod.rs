//! Shared helpers of the integration tests: problems under test and
//! finite-difference references.
#![allow(dead_code)]

use quad_vs_grad::linalg::FixedDot;
use quad_vs_grad::prelude::*;
use quad_vs_grad::problem::Parameterisation;
use quad_vs_grad::problem::Plane;

/// The architectures every derivative property is checked on.
pub const ARCHITECTURES: [&[usize]; 2] = [&[2, 2, 1], &[2, 8, 8, 1]];

/// A small noisy XOR set, so 200 cases per property stay fast.
pub fn small_data() -> Dataset {
    Dataset::noisy_xor(24, 0.2, 11).unwrap()
}

/// The full-parameter problem of an architecture on `small_data()`.
pub fn full_problem(widths: &[usize]) -> XorProblem {
    XorProblem::new(
        small_data(),
        Mlp::new(widths).unwrap(),
        Parameterisation::Full,
    )
    .unwrap()
}

/// A 2-D plane through a seeded origin along two seeded random directions.
pub fn sliced_problem(widths: &[usize], seed: u64) -> XorProblem {
    let mlp = Mlp::new(widths).unwrap();
    let d = mlp.num_params();
    let origin = mlp.init(seed);
    let a = mlp.init(seed + 1);
    let b = mlp.init(seed + 2);
    let mut dirs = Array2::zeros((2, d));
    dirs.row_mut(0).assign(&(&a / a.fdot(&a).sqrt()));
    dirs.row_mut(1).assign(&(&b / b.fdot(&b).sqrt()));
    let plane = Plane {
        origin,
        directions: dirs,
    };
    XorProblem::new(small_data(), mlp, Parameterisation::Plane(plane)).unwrap()
}

/// Every problem the properties run on: each architecture full and sliced,
/// plus the two named presets.
pub fn all_problems() -> Vec<(String, XorProblem)> {
    let mut v = Vec::new();
    for w in ARCHITECTURES {
        v.push((format!("full {w:?}"), full_problem(w)));
        v.push((format!("plane {w:?}"), sliced_problem(w, 3)));
    }
    v.push(("reference slice".into(), XorProblem::reference()));
    v.push(("hidden slice".into(), XorProblem::hidden_slice()));
    v
}

/// Maps unit-interval coordinates `u ∈ [0, 1]^k` to a point of the problem's
/// parameter space in `[-scale, scale]^k`.
pub fn point(problem: &XorProblem, u: &[f64], scale: f64) -> Array1<f64> {
    Array1::from_iter(
        (0..problem.dim()).map(|i| (2.0 * u[i % u.len()] - 1.0) * scale * (1.0 + 0.01 * i as f64)),
    )
}

/// Central-difference gradient, step `h`.
pub fn fd_gradient(problem: &XorProblem, p: &Array1<f64>, h: f64) -> Array1<f64> {
    let mut g = Array1::zeros(p.len());
    let mut q = p.clone();
    for i in 0..p.len() {
        q[i] = p[i] + h;
        let fp = problem.cost(&q).unwrap();
        q[i] = p[i] - h;
        let fm = problem.cost(&q).unwrap();
        q[i] = p[i];
        g[i] = (fp - fm) / (2.0 * h);
    }
    g
}

/// Hessian from central differences of the exact gradient, step `h`.
pub fn fd_hessian(problem: &XorProblem, p: &Array1<f64>, h: f64) -> Array2<f64> {
    let k = p.len();
    let mut m = Array2::zeros((k, k));
    let mut q = p.clone();
    for j in 0..k {
        q[j] = p[j] + h;
        let gp = problem.gradient(&q).unwrap();
        q[j] = p[j] - h;
        let gm = problem.gradient(&q).unwrap();
        q[j] = p[j];
        m.column_mut(j).assign(&((gp - gm) / (2.0 * h)));
    }
    m
}

/// `‖a − b‖ / max(‖a‖, ‖b‖, floor)`: relative error with an absolute floor
/// for quantities that happen to be near zero.
pub fn rel_err<'a>(
    a: impl IntoIterator<Item = &'a f64> + Clone,
    b: impl IntoIterator<Item = &'a f64> + Clone,
    floor: f64,
) -> f64 {
    let diff: f64 = a
        .clone()
        .into_iter()
        .zip(b.clone())
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f64>()
        .sqrt();
    let na: f64 = a.into_iter().map(|x| x * x).sum::<f64>().sqrt();
    let nb: f64 = b.into_iter().map(|x| x * x).sum::<f64>().sqrt();
    diff / na.max(nb).max(floor)
}
