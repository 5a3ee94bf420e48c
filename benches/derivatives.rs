//! Cost of the exact derivatives: loss + gradient, Hessian-vector product,
//! GGN-vector product, dense Hessian, dense GGN, K-FAC factors, for the
//! reference slice (k = 2) and full 2-2-1 / 2-8-8-1 networks on the
//! reference data (N = 200).
//!
//! `cargo bench --bench derivatives`

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use quad_vs_grad::prelude::*;

fn problems() -> Vec<(&'static str, XorProblem, Array1<f64>)> {
    let reference = XorProblem::reference();
    let full221 = XorProblem::full(Dataset::reference(), &[2]).expect("valid");
    let full881 = XorProblem::full(Dataset::reference(), &[8, 8]).expect("valid");
    let p221 = full221.mlp().init(1);
    let p881 = full881.mlp().init(1);
    vec![
        ("reference slice", reference, array![2.0, -2.0]),
        ("full 2-2-1", full221, p221),
        ("full 2-8-8-1", full881, p881),
    ]
}

fn bench(c: &mut Criterion) {
    for (name, problem, p) in problems() {
        let v = Array1::from_elem(p.len(), 0.3);
        let mut g = c.benchmark_group(name);
        g.bench_function("loss", |b| b.iter(|| problem.cost(black_box(&p))));
        g.bench_function("gradient", |b| b.iter(|| problem.gradient(black_box(&p))));
        g.bench_function("Hessian-vector", |b| {
            b.iter(|| problem.hessian_vec(black_box(&p), black_box(&v)))
        });
        g.bench_function("GGN-vector", |b| {
            b.iter(|| problem.ggn_vec(black_box(&p), black_box(&v)))
        });
        g.bench_function("dense Hessian", |b| {
            b.iter(|| problem.hessian(black_box(&p)))
        });
        g.bench_function("dense GGN", |b| b.iter(|| problem.ggn(black_box(&p))));
        g.bench_function("K-FAC factors", |b| {
            b.iter(|| problem.kfac_factors(black_box(&p), FisherKind::Exact))
        });
        g.finish();
    }
}

fn surface(c: &mut Criterion) {
    let mut g = c.benchmark_group("loss surface 200x200");
    g.sample_size(10);
    for (name, problem) in [
        ("reference slice", XorProblem::reference()),
        ("hidden slice", XorProblem::hidden_slice()),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| LossGrid::for_problem(black_box(&problem), (-4.0, 4.0), (-4.0, 4.0), 200))
        });
    }
    g.finish();
}

criterion_group!(benches, bench, surface);
criterion_main!(benches);
