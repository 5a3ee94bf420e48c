//! A fingerprint of the crate's arithmetic: every registered optimizer raced
//! on the reference slice, the hidden slice and three full networks (one with
//! two hidden layers 16 wide, where the layer products and Gram matrices are
//! widest), full-batch and on mini-batches, plus the dense curvature matrices
//! and their spectra. Each run is hashed bit for bit (FNV-1a over every
//! iterate, loss, gradient norm, count and the stop reason), one line each,
//! then one digest of everything.
//!
//! The same bits on every machine means the same output whatever the CPU, the
//! forced SIMD level and OpenBLAS's thread count and kernels;
//! `scripts/reproducibility.sh` (part of `make test`) runs this under each of
//! them and compares:
//!
//! ```sh
//! cargo run --example fingerprint
//! QVG_SIMD=portable OPENBLAS_NUM_THREADS=3 cargo run --example fingerprint
//! ```

use quad_vs_grad::prelude::*;
use quad_vs_grad::race::Stochastic;
use quad_vs_grad::race::REGISTRY;

/// FNV-1a, 64 bits.
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    fn bytes(&mut self, b: &[u8]) {
        for &x in b {
            self.0 ^= u64::from(x);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
    fn f64s<'a>(&mut self, xs: impl IntoIterator<Item = &'a f64>) {
        for x in xs {
            self.bytes(&x.to_bits().to_le_bytes());
        }
    }
}

fn trace_digest(t: &Trace) -> u64 {
    let mut h = Fnv::new();
    for p in &t.iterates {
        h.f64s(p);
    }
    h.f64s(&t.loss);
    h.f64s(&t.grad_norm);
    h.bytes(format!("{:?}", t.counts.last()).as_bytes());
    h.bytes(format!("{:?}", t.stop).as_bytes());
    h.0
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut all = Fnv::new();
    let mut line = |name: &str, digest: u64| {
        println!("{name:<48} {digest:016x}");
        all.bytes(&digest.to_le_bytes());
    };
    let presets = [
        ("reference", RacePreset::reference(), 200),
        ("hidden-slice", RacePreset::hidden_slice(), 200),
        ("2-8-1", RacePreset::full_network(&[8], 0)?, 60),
        ("2-4-4-1", RacePreset::full_network(&[4, 4], 1)?, 60),
        ("2-16-16-1", RacePreset::full_network(&[16, 16], 2)?, 12),
    ];
    for (name, preset, iters) in &presets {
        let (problem, start) = (&preset.problem, &preset.start);
        for batch in [None, Some(10)] {
            let cfg = RaceConfig {
                max_iters: *iters,
                batch_size: batch,
                max_seconds: f64::INFINITY,
                ..RaceConfig::default()
            };
            for kind in OptimizerKind::ALL {
                let d = &REGISTRY[*kind as usize];
                if batch.is_some() && matches!(d.stochastic, Stochastic::Refused(_)) {
                    continue;
                }
                let trace = run(problem, start, &OptimizerSpec::new(*kind), &cfg);
                let mode = if batch.is_some() { "B=10" } else { "full" };
                line(
                    &format!("{name} {mode} {}", d.cli_name),
                    trace_digest(&trace),
                );
            }
        }
        // the dense matrices at the start, and their spectra
        let mut h = Fnv::new();
        let hess = problem.hessian(start)?;
        let ggn = problem.ggn(start)?;
        h.f64s(hess.iter());
        h.f64s(ggn.iter());
        let (ev, vecs) = quad_vs_grad::linalg::sym_eig(&hess)?;
        h.f64s(ev.iter());
        h.f64s(vecs.iter());
        line(&format!("{name} curvature"), h.0);
    }
    println!("fingerprint {:016x}", all.0);
    Ok(())
}
