//! One derivative kernel, called a fixed number of times, for instruction
//! counts under `valgrind --tool=callgrind` (repeatable on a loaded machine,
//! where wall-clock benchmarks are not) and a quick wall time without it.
//!
//! ```sh
//! cargo build --release --example derivative_timing
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/examples/derivative_timing grad 2-32-1 1000
//! ```
//!
//! Kernels: `grad` (loss + gradient through `Mlp::loss_and_gradient`) and
//! `kfac` (the K-FAC factors with the exact Fisher's weights, as
//! `benches/derivatives.rs` calls them); networks `2-8-8-1`, `2-32-1`,
//! `2-128-1`, on the reference data (N = 200). Callgrind's total divided by
//! the call count is the kernel's instructions per call (start-up is about
//! 1 % of a run of 1000 calls; subtract a run with 0 calls to remove it).
//! `QVG_SIMD` forces a dispatch level as in the tests.

use std::time::Instant;

use quad_vs_grad::mlp::sigmoid;
use quad_vs_grad::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: derivative_timing grad|kfac 2-8-8-1|2-32-1|2-128-1 CALLS";
    let (kernel, net, calls) = match &args[1..] {
        [k, n, c] => (k.as_str(), n.as_str(), c.parse::<usize>()?),
        _ => return Err(usage.into()),
    };
    let hidden: Vec<usize> = match net {
        "2-8-8-1" => vec![8, 8],
        "2-32-1" => vec![32],
        "2-128-1" => vec![128],
        _ => return Err(usage.into()),
    };
    let problem = XorProblem::full(Dataset::reference(), &hidden)?;
    let mlp = problem.mlp().clone();
    let theta = mlp.init(1);
    let data = problem.active_data().clone();
    let start = Instant::now();
    let mut check = 0.0;
    for _ in 0..calls {
        check += match kernel {
            "grad" => {
                let (loss, g) = mlp.loss_and_gradient(std::hint::black_box(theta.view()), &data)?;
                loss + g[0]
            }
            "kfac" => {
                let f =
                    mlp.kfac_factors(std::hint::black_box(theta.view()), data.x.view(), |z| {
                        z.mapv(|z| sigmoid(z) * (1.0 - sigmoid(z)))
                    })?;
                f[0].a[[0, 0]] + f[0].g[[0, 0]]
            }
            _ => return Err(usage.into()),
        };
    }
    let us = start.elapsed().as_secs_f64() * 1e6 / calls.max(1) as f64;
    println!("{kernel} {net}: {calls} calls, {us:.2} µs per call (checksum {check:e})");
    Ok(())
}
