use quad_vs_grad::prelude::*;
use quad_vs_grad::race::*;

fn table(traces: &[Trace]) {
    for t in traces {
        let c = t.total_counts();
        println!(
            "{:<18} loss {:.6} steps {:>4} stop {:<10} p {:?} cost {} grad {} hess {} curv {} solve {} ms {:.2}",
            t.optimizer, t.final_loss(), t.steps(), t.stop.short(), t.final_point().unwrap(), c.cost, c.gradient, c.hessian, c.curvature, c.linear_solve, t.wall_ms()
        );
        if let StopReason::Failed(m) | StopReason::Diverged(m) = &t.stop { println!("   {m}"); }
    }
}

#[test]
fn explore() {
    let p = RacePreset::reference();
    let t0 = std::time::Instant::now();
    let tr = p.run();
    println!("reference race {:?}", t0.elapsed());
    table(&tr);
    let h = RacePreset::hidden_slice();
    table(&h.run());
    let f = RacePreset::full_network(&[2], 1).unwrap();
    let mut specs = f.specs.clone();
    for k in ["ggn-lm", "kfac-lm", "hf", "hf-lm", "saddle-free", "trust-region", "argmin-newton", "momentum", "nesterov", "rmsprop"] {
        specs.push(k.parse().unwrap());
    }
    table(&race(&f.problem, &f.start, &specs, &f.cfg));
    let sgd = run(&p.problem, &p.start, &OptimizerSpec::new(OptimizerKind::Gd).lr(1e3), &p.cfg);
    table(&[sgd.clone()]);
    println!("{:?}", &sgd.loss[..sgd.loss.len().min(10)]);
}
