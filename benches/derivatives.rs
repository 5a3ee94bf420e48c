//! Cost of the exact derivatives on the reference data (N = 200): loss +
//! gradient, Hessian-vector product, GGN-vector product, dense Hessian, dense
//! GGN and K-FAC factors, for the reference slice (k = 2) and full 2-8-8-1,
//! 2-32-1 and 2-128-1 networks.
//!
//! Two layers are measured: the problem's API (`XorProblem`, what the solvers
//! call) and the network's own methods (`Mlp`, on θ directly).
//!
//! `cargo bench --bench derivatives` (all), or a filter such as
//! `cargo bench --bench derivatives -- "2-32-1"`.

use std::time::Duration;

use criterion::{black_box, criterion_group, criterion_main, BenchmarkGroup, Criterion};
use quad_vs_grad::mlp::sigmoid;
use quad_vs_grad::prelude::*;

fn problems() -> Vec<(&'static str, XorProblem, Array1<f64>)> {
    let full = |hidden: &[usize]| {
        let pr = XorProblem::full(Dataset::reference(), hidden).expect("valid");
        let p = pr.mlp().init(1);
        (pr, p)
    };
    let (p881, t881) = full(&[8, 8]);
    let (p32, t32) = full(&[32]);
    let (p128, t128) = full(&[128]);
    vec![
        (
            "reference slice",
            XorProblem::reference(),
            array![2.0, -2.0],
        ),
        ("full 2-8-8-1", p881, t881),
        ("full 2-32-1", p32, t32),
        ("full 2-128-1", p128, t128),
    ]
}

fn configure(g: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>, slow: bool) {
    g.warm_up_time(Duration::from_millis(300));
    g.measurement_time(Duration::from_millis(if slow { 3000 } else { 1200 }));
    g.sample_size(if slow { 10 } else { 30 });
}

fn bench(c: &mut Criterion) {
    for (name, problem, p) in problems() {
        let v = Array1::from_iter((0..p.len()).map(|i| 0.3 - 0.01 * (i % 7) as f64));
        let mlp = problem.mlp().clone();
        let theta = problem.theta(&p).unwrap();
        let vt = Array1::from_iter((0..theta.len()).map(|i| 0.3 - 0.01 * (i % 7) as f64));
        let data = problem.active_data().clone();

        let mut g = c.benchmark_group(format!("{name} / problem"));
        configure(&mut g, false);
        g.bench_function("loss", |b| b.iter(|| problem.cost(black_box(&p))));
        g.bench_function("gradient", |b| b.iter(|| problem.gradient(black_box(&p))));
        g.bench_function("Hessian-vector", |b| {
            b.iter(|| problem.hessian_vec(black_box(&p), black_box(&v)))
        });
        g.bench_function("GGN-vector", |b| {
            b.iter(|| problem.ggn_vec(black_box(&p), black_box(&v)))
        });
        g.bench_function("K-FAC factors", |b| {
            b.iter(|| problem.kfac_factors(black_box(&p), FisherKind::Exact))
        });
        g.finish();
        let mut g = c.benchmark_group(format!("{name} / problem"));
        configure(&mut g, name.contains("128"));
        g.bench_function("dense Hessian", |b| {
            b.iter(|| problem.hessian(black_box(&p)))
        });
        g.bench_function("dense GGN", |b| b.iter(|| problem.ggn(black_box(&p))));
        g.finish();

        let mut g = c.benchmark_group(format!("{name} / mlp"));
        configure(&mut g, false);
        g.bench_function("loss+gradient", |b| {
            b.iter(|| mlp.loss_and_gradient(black_box(theta.view()), &data))
        });
        g.bench_function("gradient", |b| {
            b.iter(|| mlp.gradient(black_box(theta.view()), &data))
        });
        g.bench_function("Hessian-vector", |b| {
            b.iter(|| mlp.hvp(black_box(theta.view()), &data, black_box(vt.view())))
        });
        g.bench_function("GGN-vector", |b| {
            b.iter(|| mlp.ggn_vec(black_box(theta.view()), &data, black_box(vt.view())))
        });
        g.bench_function("K-FAC factors", |b| {
            b.iter(|| {
                mlp.kfac_factors(black_box(theta.view()), data.x.view(), |z| {
                    z.mapv(|z| sigmoid(z) * (1.0 - sigmoid(z)))
                })
            })
        });
        g.finish();
        let mut g = c.benchmark_group(format!("{name} / mlp"));
        configure(&mut g, name.contains("128"));
        g.bench_function("dense Hessian", |b| {
            b.iter(|| mlp.hessian(black_box(theta.view()), &data))
        });
        g.bench_function("dense GGN", |b| {
            b.iter(|| mlp.ggn(black_box(theta.view()), &data))
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
