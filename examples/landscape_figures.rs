//! Writes the figures of the landscapes lessons as PNG files:
//!
//! ```text
//! cargo run --release --example landscape_figures [-- OUT_DIR]
//! ```
//!
//! (default `OUT_DIR`: `target/figures/landscapes`).
use std::error::Error;
use std::path::PathBuf;

use quad_vs_grad::landscapes::{CoshValley, CosineWell, GaussianWells, Landscape, TanhSlope};
use quad_vs_grad::lessons::bake_off::bakeoff_summary_figure;
use quad_vs_grad::lessons::noise::{batch_losses_figure, batch_paths_figure};
use quad_vs_grad::lessons::non_convexity::toy_1d_figure;
use quad_vs_grad::plot::landscape_figures::{curvature_grid, loss_grid};
use quad_vs_grad::plot::{condition_figure, eigen_sign_figure};
use quad_vs_grad::prelude::*;
use quad_vs_grad::race::multistart::{
    bakeoff, default_starts, run_start, run_starts, wells_contenders, BakeoffConfig, Contender,
};

fn main() -> Result<(), Box<dyn Error>> {
    let out = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "target/figures/landscapes".into()),
    );
    std::fs::create_dir_all(&out)?;
    let save = |fig: quad_vs_grad::plot::Figure, name: &str| -> Result<(), Box<dyn Error>> {
        let path = out.join(name);
        fig.save(&path)?;
        println!("wrote {}", path.display());
        Ok(())
    };

    // Gaussian wells: 100 seeded starts per optimizer, every trace kept.
    let wells = GaussianWells::course();
    let global = wells.global_minimum();
    let cfg = BakeoffConfig::default();
    let starts = default_starts();
    let grid = loss_grid(&wells, 160)?;
    for (contender, file) in [
        (OptimizerSpec::new(OptimizerKind::Gd).lr(0.1), "wells_gd"),
        (
            OptimizerSpec::new(OptimizerKind::Langevin),
            "wells_langevin",
        ),
        (
            OptimizerSpec::new(OptimizerKind::Newton).damping(1e-3),
            "wells_newton",
        ),
        (OptimizerSpec::new(OptimizerKind::Bfgs), "wells_bfgs"),
    ] {
        let traces = run_starts(&wells, &contender, &starts, &cfg.race);
        let title = format!("{}: {} starts", contender.label, starts.len());
        save(
            batch_paths_figure(
                &grid,
                &traces,
                global.as_ref(),
                cfg.success_radius,
                &title,
                (760, 720),
            )?,
            &format!("{file}_paths.png"),
        )?;
        save(
            batch_losses_figure(
                &traces,
                global.as_ref().map(|g| g.value),
                &title,
                (900, 560),
            )?,
            &format!("{file}_loss.png"),
        )?;
    }
    let curv = curvature_grid(&wells, 120)?;
    save(
        eigen_sign_figure(&curv, &[], 900, 720)?,
        "wells_eigen_signs.png",
    )?;
    save(
        condition_figure(&curv, &[], 900, 720)?,
        "wells_condition.png",
    )?;
    let result = bakeoff(&wells, &wells_contenders(), &starts, &cfg)?;
    save(
        bakeoff_summary_figure(&result, (1500, 620))?,
        "wells_bakeoff.png",
    )?;

    // The 1-D toys with the iterates of several optimizers.
    let race_cfg = RaceConfig {
        max_iters: 100,
        tol: 1e-10,
        ..RaceConfig::default()
    };
    let runs = |l: &dyn Fn(&Contender, &Array1<f64>) -> Trace, list: &[(Contender, f64)]| {
        list.iter()
            .map(|(c, x)| l(c, &array![*x]))
            .collect::<Vec<_>>()
    };
    let cosine = CosineWell;
    let gd = |lr: f64, label: &str| OptimizerSpec::new(OptimizerKind::Gd).lr(lr).label(label);
    let traces = runs(
        &|c, x| run_start(&cosine, c, x, 0, &race_cfg),
        &[
            (gd(0.05, "GD from −0.8"), -0.8),
            (gd(0.05, "GD from 0.4"), 0.4),
            (OptimizerSpec::new(OptimizerKind::Adam).lr(0.1), -0.8),
            (OptimizerSpec::new(OptimizerKind::ArgminNewton), -0.8),
        ],
    );
    save(
        toy_1d_figure(&cosine, &traces, (900, 560))?,
        "toy_cosine.png",
    )?;
    let tanh = TanhSlope;
    let traces = runs(
        &|c, x| run_start(&tanh, c, x, 0, &race_cfg),
        &[
            (gd(1.0, "GD (η = 1)"), 4.0),
            (OptimizerSpec::new(OptimizerKind::Adam).lr(0.1), 4.0),
        ],
    );
    save(toy_1d_figure(&tanh, &traces, (900, 560))?, "toy_tanh.png")?;
    let cosh = CoshValley::default();
    let traces = runs(
        &|c, x| run_start(&cosh, c, x, 0, &race_cfg),
        &[
            (OptimizerSpec::new(OptimizerKind::ArgminNewton), 10.0),
            (gd(0.1, "GD (η = 0.1)"), 10.0),
        ],
    );
    save(toy_1d_figure(&cosh, &traces, (900, 560))?, "toy_cosh.png")?;
    Ok(())
}
