//! Figures: formats, sizes, determinism, robustness and the numbers behind
//! them (grids, PCA projection).

use quad_vs_grad::lessons::bake_off::{bakeoff_figure, BakeoffMetric};
use quad_vs_grad::linalg::FixedDot;
use quad_vs_grad::plot::{
    condition_figure, curvature_zoo, eigen_sign_figure, eigen_sign_svg, frame_schedule,
    journey_animation, landscape_colour, loss_curves_figure, path_colour, paths_figure, paths_svg,
    pca_plane, view_bounds, AnimationOptions, CurvatureGrid, CurveAxis, Figure, LossGrid,
    PathsStyle, PlotError,
};
use quad_vs_grad::prelude::*;
use quad_vs_grad::problem::Parameterisation;
use quad_vs_grad::problem::Plane;
use quad_vs_grad::trace::Counts;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A trace through the given points with the problem's true losses.
fn trace(name: &str, problem: &XorProblem, points: &[[f64; 2]], stop: StopReason) -> Trace {
    let n = points.len();
    Trace {
        optimizer: name.into(),
        problem: problem.name().into(),
        iterates: points.iter().map(|p| p.to_vec()).collect(),
        loss: points
            .iter()
            .map(|p| problem.cost(&array![p[0], p[1]]).unwrap_or(f64::NAN))
            .collect(),
        grad_norm: vec![1.0; n],
        counts: (0..n as u64)
            .map(|k| Counts {
                cost: k + 1,
                gradient: k + 1,
                ..Counts::default()
            })
            .collect(),
        elapsed_ms: (0..n).map(|k| 0.1 * k as f64).collect(),
        stop,
        settings: Default::default(),
    }
}

/// Gradient descent on a 2-D problem from (2, −2).
fn gd(problem: &XorProblem, lr: f64, steps: usize) -> Trace {
    let mut p = array![2.0, -2.0];
    let mut pts = vec![[p[0], p[1]]];
    for _ in 0..steps {
        p = &p - &(problem.gradient(&p).unwrap() * lr);
        pts.push([p[0], p[1]]);
    }
    trace(&format!("GD lr {lr}"), problem, &pts, StopReason::MaxIters)
}

fn reference_setup() -> (XorProblem, LossGrid, Vec<Trace>) {
    let problem = XorProblem::reference();
    let traces = vec![
        gd(&problem, 0.8, 60),
        gd(&problem, 4.0, 8),
        trace(
            "Newton-ish",
            &problem,
            &[[2.0, -2.0], [0.9, -0.8], [0.3, 0.0], [0.28, 0.02]],
            StopReason::StepNorm,
        ),
    ];
    let (xr, yr) = view_bounds(&traces, Some(((-3.0, 3.0), (-3.0, 3.0))), 0.05);
    let grid = LossGrid::for_problem(&problem, xr, yr, 200).unwrap();
    (problem, grid, traces)
}

fn decode_png(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let dec = png::Decoder::new(bytes);
    let mut r = dec.read_info().expect("a PNG header");
    let mut buf = vec![0; r.output_buffer_size()];
    let info = r.next_frame(&mut buf).expect("PNG data");
    assert_eq!(info.color_type, png::ColorType::Rgb);
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

/// Pixels of colour `c` at `x ≥ x_from`.
fn count_colour(rgb: &[u8], w: u32, x_from: u32, c: [u8; 3]) -> usize {
    rgb.chunks_exact(3)
        .enumerate()
        .filter(|(i, px)| (*i as u32 % w) >= x_from && px[..] == c[..])
        .count()
}

#[test]
fn loss_grid_matches_the_problem() {
    // Both presets, and a random plane through a deeper network (the plane
    // moves the first layer, two layers follow).
    let deep = XorProblem::full(Dataset::separable(), &[3, 2]).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let k = deep.dim();
    let origin = deep.mlp().init(4);
    let dirs = Array2::from_shape_fn((2, k), |_| rng.random::<f64>() - 0.5);
    let plane = Parameterisation::Plane(Plane {
        origin,
        directions: dirs,
    });
    let deep = XorProblem::new(Dataset::separable(), deep.mlp().clone(), plane).unwrap();
    for problem in [XorProblem::reference(), XorProblem::hidden_slice(), deep] {
        let grid = LossGrid::for_problem(&problem, (-3.0, 2.0), (-1.0, 4.0), 41).unwrap();
        assert_eq!(grid.values.dim(), (41, 41));
        let mut points = vec![(0, 0), (40, 40), (7, 33), (20, 20), (39, 2)];
        points.extend((0..40).map(|_| (rng.random_range(0..41), rng.random_range(0..41))));
        for &(j, i) in &points {
            let p = array![grid.xs[i], grid.ys[j]];
            let exact = problem.cost(&p).unwrap();
            let v = grid.values[[j, i]];
            assert!(
                (v - exact).abs() <= 1e-12 * exact.abs().max(1e-300),
                "{v} vs {exact} at ({j}, {i})"
            );
        }
        assert_eq!(grid.title, problem.name());
        assert_eq!(grid.non_finite_count(), 0);
    }
    let full = XorProblem::full(Dataset::separable(), &[2]).unwrap();
    assert!(matches!(
        LossGrid::for_problem(&full, (-1.0, 1.0), (-1.0, 1.0), 10),
        Err(PlotError::InvalidInput(_))
    ));
}

#[test]
fn pca_plane_reconstructs_planar_iterates() {
    let problem = XorProblem::full(Dataset::separable(), &[2]).unwrap();
    let k = problem.dim();
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let a = problem.mlp().init(1);
    let u = Array1::from_iter((0..k).map(|_| rng.random::<f64>() - 0.5));
    let v = Array1::from_iter((0..k).map(|_| rng.random::<f64>() - 0.5));
    let make = |name: &str, rng: &mut ChaCha8Rng| {
        let pts: Vec<Array1<f64>> = (0..25)
            .map(|_| {
                &a + &(&u * (3.0 * rng.random::<f64>())) + &(&v * (2.0 * rng.random::<f64>() - 1.0))
            })
            .collect();
        Trace {
            optimizer: name.into(),
            problem: problem.name().into(),
            loss: pts.iter().map(|p| problem.cost(p).unwrap()).collect(),
            iterates: pts.iter().map(|p| p.to_vec()).collect(),
            grad_norm: vec![0.0; 25],
            counts: vec![Counts::default(); 25],
            elapsed_ms: vec![0.0; 25],
            stop: StopReason::MaxIters,
            settings: Default::default(),
        }
    };
    let traces = vec![make("a", &mut rng), make("b", &mut rng)];
    let pca = pca_plane(&problem, &traces).unwrap();
    assert!(
        pca.projection.max_residual < 1e-9,
        "{}",
        pca.projection.max_residual
    );
    let e = pca.projection.explained;
    assert!((e[0] + e[1] - 1.0).abs() < 1e-9 && e[0] >= e[1]);
    assert!(pca.problem.name().contains("PC1/PC2 of all iterates"));
    for (orig, proj) in traces.iter().zip(&pca.traces) {
        assert_eq!(proj.iterates.len(), orig.iterates.len());
        for (c, &l) in proj.iterates.iter().zip(&orig.loss) {
            assert_eq!(c.len(), 2);
            let on_plane = pca.problem.cost(&array![c[0], c[1]]).unwrap();
            assert!((on_plane - l).abs() < 1e-9, "{on_plane} vs {l}");
        }
    }
    // The grid on the plane carries the PCA labels and draws.
    let (xr, yr) = view_bounds(&pca.traces, None, 0.1);
    let grid = pca.grid(xr, yr, 30).unwrap();
    assert!(grid.x_label.starts_with("PC1 (") && grid.y_label.starts_with("PC2 ("));
    let fig = paths_figure(&grid, &pca.traces, &PathsStyle::default()).unwrap();
    assert_eq!(decode_png(fig.bytes()).0, 960);
    // The one-call helper takes the PCA route for a 9-D problem.
    let (g2, t2) = quad_vs_grad::plot::path_view(&problem, &traces, None, 20).unwrap();
    assert!(g2.note.contains("principal components"));
    assert_eq!(t2, pca.traces);
    // No finite iterate: nothing to project.
    let bad = Trace {
        iterates: vec![vec![f64::NAN; k]],
        ..traces[0].clone()
    };
    assert!(pca_plane(&problem, &[bad]).is_err());
}

#[test]
fn paths_png_decodes_with_colour_bar_and_legend_and_is_deterministic() {
    let (_, grid, traces) = reference_setup();
    let style = PathsStyle::default();
    let fig = paths_figure(&grid, &traces, &style).unwrap();
    let again = paths_figure(&grid, &traces, &style).unwrap();
    assert_eq!(fig, again, "same inputs must give the same bytes");
    let (w, h, rgb) = decode_png(fig.bytes());
    assert_eq!((w, h), (960, 720));
    assert_eq!((fig.width(), fig.height()), (960, 720));
    // Colour bar: both ends of the colour map appear right of the heatmap.
    let x_bar = (w as f64 * 0.6) as u32;
    assert!(count_colour(&rgb, w, x_bar, landscape_colour(1.0)) >= 16);
    assert!(count_colour(&rgb, w, x_bar, landscape_colour(0.0)) >= 16);
    // Legend: every optimizer's colour appears in the legend column, and
    // no colour of a non-existent one.
    let x_legend = (w as f64 * 0.76) as u32;
    for i in 0..traces.len() {
        assert!(
            count_colour(&rgb, w, x_legend, path_colour(i)) >= 30,
            "legend entry {i} missing"
        );
    }
    assert_eq!(
        count_colour(&rgb, w, x_legend, path_colour(traces.len())),
        0
    );
    let empty = paths_figure(&grid, &[], &style).unwrap();
    let (_, _, rgb0) = decode_png(empty.bytes());
    assert_eq!(count_colour(&rgb0, w, x_legend, path_colour(0)), 0);
    let small =
        LossGrid::for_problem(&XorProblem::reference(), (-3.0, 3.0), (-3.0, 3.0), 40).unwrap();
    let svg = paths_svg(&small, &traces, &style).unwrap();
    assert!(svg.contains("<svg") && svg.contains("Optimizers"));
}

/// Composes every frame of a GIF (respecting transparency) and returns the
/// size, frame count, delays, repeat and the last frame's RGB pixels.
fn decode_gif(bytes: &[u8]) -> (u16, u16, usize, Vec<u16>, gif::Repeat, Vec<u8>) {
    let mut opts = gif::DecodeOptions::new();
    opts.set_color_output(gif::ColorOutput::Indexed);
    let mut d = opts.read_info(bytes).expect("a GIF header");
    let (w, h) = (d.width(), d.height());
    let pal = d.global_palette().expect("a global palette").to_vec();
    let mut canvas = vec![0u8; w as usize * h as usize * 3];
    let mut delays = Vec::new();
    while let Some(f) = d.read_next_frame().expect("frame data") {
        assert!(f.palette.is_none(), "frames use the global palette");
        delays.push(f.delay);
        for y in 0..f.height as usize {
            for x in 0..f.width as usize {
                let i = f.buffer[y * f.width as usize + x];
                if Some(i) == f.transparent {
                    continue;
                }
                let o = ((y + f.top as usize) * w as usize + x + f.left as usize) * 3;
                canvas[o..o + 3].copy_from_slice(&pal[i as usize * 3..i as usize * 3 + 3]);
            }
        }
    }
    (w, h, delays.len(), delays, d.repeat(), canvas)
}

#[test]
fn journey_gif_loops_has_the_scheduled_frames_and_stays_small() {
    let (_, grid, traces) = reference_setup();
    let opts = AnimationOptions::default();
    let anim = journey_animation(&grid, &traces, &opts).unwrap();
    let max_steps = traces.iter().map(Trace::steps).max().unwrap();
    let expected = frame_schedule(max_steps, 120).len();
    assert!(expected <= 120);
    let (w, h, frames, delays, repeat, last) = decode_gif(anim.bytes());
    assert_eq!((w, h), (800, 640));
    assert_eq!((anim.width(), anim.height()), (800, 640));
    assert_eq!(frames, expected);
    assert_eq!(anim.frames(), expected);
    assert_eq!(repeat, gif::Repeat::Infinite);
    assert!(anim.bytes().len() <= 3 * 1024 * 1024);
    assert_eq!(delays[1], 5, "20 fps is 5 hundredths of a second per frame");
    assert!(delays[frames - 1] >= 200, "the last frame is held");
    // The final frame shows every path's colour.
    let count = |c: [u8; 3]| last.chunks_exact(3).filter(|p| p[..] == c[..]).count();
    for i in 0..traces.len() {
        assert!(
            count(path_colour(i)) > 20,
            "path {i} missing in the last frame"
        );
    }
    assert_eq!(anim, journey_animation(&grid, &traces, &opts).unwrap());
}

#[test]
fn journey_gif_respects_the_size_limit() {
    let (_, grid, traces) = reference_setup();
    let opts = AnimationOptions {
        frames: 40,
        ..AnimationOptions::default()
    };
    let full = journey_animation(&grid, &traces, &opts).unwrap();
    let limit = full.bytes().len() * 9 / 10;
    let limited = AnimationOptions {
        max_bytes: limit,
        ..opts.clone()
    };
    let small = journey_animation(&grid, &traces, &limited).unwrap();
    assert!(small.bytes().len() <= limit);
    assert!(small.frames() < full.frames());
    let tiny = AnimationOptions {
        max_bytes: 1000,
        frames: 10,
        ..AnimationOptions::default()
    };
    assert!(matches!(
        journey_animation(&grid, &traces, &tiny),
        Err(PlotError::Encode(_))
    ));
}

#[test]
fn bad_runs_and_bad_grids_never_panic() {
    let problem = XorProblem::reference();
    let nan = f64::NAN;
    let diverged = trace(
        "diverged",
        &problem,
        &[
            [2.0, -2.0],
            [40.0, -90.0],
            [1e150, -1e200],
            [nan, nan],
            [f64::INFINITY, 0.0],
        ],
        StopReason::Diverged("loss is NaN".into()),
    );
    let empty = Trace {
        iterates: vec![],
        loss: vec![],
        grad_norm: vec![],
        counts: vec![],
        elapsed_ms: vec![],
        ..diverged.clone()
    };
    let single = trace("one point", &problem, &[[0.5, 0.5]], StopReason::MaxIters);
    let traces = vec![diverged, empty, single];
    let (xr, yr) = view_bounds(&traces, None, 0.05);
    assert!(xr.1 - xr.0 < 1e3 && yr.1 - yr.0 < 1e3, "{xr:?} {yr:?}");
    // A grid with holes and infinities.
    let grid = LossGrid::from_fn(xr, yr, 60, |x, y| {
        if x > 0.0 && y > 0.0 {
            f64::NAN
        } else if x < -1.0 {
            f64::INFINITY
        } else {
            x * x + y * y
        }
    })
    .unwrap();
    let fig = paths_figure(&grid, &traces, &PathsStyle::default()).unwrap();
    decode_png(fig.bytes());
    let opts = AnimationOptions {
        frames: 6,
        ..AnimationOptions::default()
    };
    let anim = journey_animation(&grid, &traces, &opts).unwrap();
    assert!(anim.frames() >= 2);
    // An all-NaN grid and no traces.
    let nan_grid = LossGrid::from_fn((0.0, 1.0), (0.0, 1.0), 5, |_, _| f64::NAN).unwrap();
    paths_figure(&nan_grid, &[], &PathsStyle::default()).unwrap();
    journey_animation(&nan_grid, &[], &opts).unwrap();
    // Charts with the same bad runs.
    for axis in [
        CurveAxis::Iteration,
        CurveAxis::CostEvals,
        CurveAxis::GradientEvals,
        CurveAxis::Evaluations,
        CurveAxis::WallTime,
    ] {
        loss_curves_figure(&traces, axis, None, 640, 420).unwrap();
    }
    loss_curves_figure(&traces, CurveAxis::Iteration, Some(0.69), 640, 420).unwrap();
    loss_curves_figure(&[], CurveAxis::Iteration, None, 640, 420).unwrap();
    bakeoff_figure(&traces, BakeoffMetric::Both, 900, 400).unwrap();
    bakeoff_figure(&[], BakeoffMetric::FinalLoss, 500, 300).unwrap();
    // Iterates that are not 2-D are an input error, not a panic.
    let three_d = Trace {
        iterates: vec![vec![0.0; 3]],
        ..traces[2].clone()
    };
    assert!(matches!(
        paths_figure(&grid, &[three_d], &PathsStyle::default()),
        Err(PlotError::InvalidInput(_))
    ));
}

#[test]
fn many_optimizers_cycle_colours_and_summarise_the_legend() {
    let problem = XorProblem::reference();
    let traces: Vec<Trace> = (0..16)
        .map(|i| gd(&problem, 0.1 + 0.3 * i as f64, 5 + i))
        .collect();
    let grid = LossGrid::for_problem(&problem, (-3.0, 3.0), (-3.0, 3.0), 50).unwrap();
    let fig = paths_figure(&grid, &traces, &PathsStyle::default()).unwrap();
    decode_png(fig.bytes());
    assert_eq!(path_colour(0), path_colour(10));
    let opts = AnimationOptions {
        frames: 8,
        ..AnimationOptions::default()
    };
    let anim = journey_animation(&grid, &traces, &opts).unwrap();
    assert!(anim.frames() <= 8);
}

#[test]
fn curvature_maps_render() {
    let problem = XorProblem::hidden_slice();
    let cg = CurvatureGrid::for_problem(&problem, (-3.0, 3.0), (-3.0, 3.0), 24).unwrap();
    let t = trace(
        "path",
        &problem,
        &[[1.5, -2.0], [0.5, -0.5], [0.0, 0.0]],
        StopReason::StepNorm,
    );
    for fig in [
        eigen_sign_figure(&cg, std::slice::from_ref(&t), 800, 560).unwrap(),
        condition_figure(&cg, std::slice::from_ref(&t), 800, 560).unwrap(),
        eigen_sign_figure(&cg, &[], 800, 560).unwrap(),
    ] {
        assert_eq!(decode_png(fig.bytes()).0, 800);
    }
    assert!(eigen_sign_svg(&cg, &[], 600, 400).unwrap().contains("<svg"));
}

#[test]
fn evcxr_envelopes_and_atomic_saves() {
    use base64::Engine;
    let fig = Figure::from_png(b"\x89PNG fake".to_vec(), 3, 2);
    let mut out = Vec::new();
    fig.write_evcxr(&mut out).unwrap();
    let s = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = s.lines().collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0], "EVCXR_BEGIN_CONTENT image/png");
    assert_eq!(lines[2], "EVCXR_END_CONTENT");
    assert_eq!(
        base64::engine::general_purpose::STANDARD
            .decode(lines[1])
            .unwrap(),
        fig.bytes()
    );
    let (_, grid, traces) = reference_setup();
    let opts = AnimationOptions {
        frames: 4,
        width: 320,
        height: 256,
        ..AnimationOptions::default()
    };
    let anim = journey_animation(&grid, &traces, &opts).unwrap();
    let mut out = Vec::new();
    anim.write_evcxr(&mut out).unwrap();
    assert!(String::from_utf8(out)
        .unwrap()
        .starts_with("EVCXR_BEGIN_CONTENT image/gif\n"));

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journey.gif");
    anim.save(&path).unwrap();
    anim.save(&path).unwrap(); // overwrite
    assert_eq!(std::fs::read(&path).unwrap(), anim.bytes());
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        names.len(),
        1,
        "no temporary file is left behind: {names:?}"
    );
    assert!(matches!(
        fig.save(dir.path().join("no/such/dir/x.png")),
        Err(PlotError::Io { .. })
    ));
}

/// The figures of the main job do not depend on the last bits of the
/// iterates, which differ between machines (OpenBLAS picks its kernels per
/// CPU, so the race's iterates differ by about 1e-15): perturbing every
/// iterate and loss by up to 1e-12 relative gives the same PNG and GIF bytes.
/// Before the view and the pixel coordinates were snapped, the shared start
/// (2, −2) sat exactly on a half pixel of `paths.png` and this failed.
#[test]
fn figures_ignore_the_last_bits_of_the_iterates() {
    let preset = RacePreset::reference();
    let traces = preset.run();
    let draw = |traces: &[Trace]| {
        let (grid, shown) =
            quad_vs_grad::plot::path_view(&preset.problem, traces, None, 200).unwrap();
        let png = paths_figure(&grid, &shown, &PathsStyle::default()).unwrap();
        let opts = AnimationOptions {
            frames: 30,
            ..AnimationOptions::default()
        };
        let gif = journey_animation(&grid, &shown, &opts).unwrap();
        (png.bytes().to_vec(), gif.bytes().to_vec())
    };
    let (png, gif) = draw(&traces);
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let mut jitter = |v: &mut f64| *v *= 1.0 + 1e-12 * (2.0 * rng.random::<f64>() - 1.0);
    for round in 0..4 {
        let mut shaken = traces.clone();
        for t in &mut shaken {
            t.iterates.iter_mut().flatten().for_each(&mut jitter);
            t.loss.iter_mut().for_each(&mut jitter);
        }
        let (png2, gif2) = draw(&shaken);
        assert!(png == png2, "paths.png changed in round {round}");
        assert!(gif == gif2, "journey.gif changed in round {round}");
    }
}

#[test]
fn damping_dashboard_draws_rejected_diverged_and_empty_runs() {
    use quad_vs_grad::lessons::damping::{
        damping_dashboard_figure, damping_dashboard_svg, DampingHistory, DampingQuantity,
    };
    use quad_vs_grad::race::run_detailed;
    use std::collections::BTreeMap;

    let hidden = RacePreset::hidden_slice();
    let cfg = RaceConfig {
        max_iters: 60,
        ..RaceConfig::default()
    };
    let detailed = |p: &XorProblem, start: &Array1<f64>, spec: OptimizerSpec, cfg: &RaceConfig| {
        let out = run_detailed(p, start, &spec, cfg);
        DampingHistory::new(&out.trace, &out.diagnostics)
    };
    // K-FAC-LM rejects steps near the hidden slice's minimum ("accepted" = 0).
    let kfac = detailed(
        &hidden.problem,
        &hidden.start,
        OptimizerSpec::new(OptimizerKind::KfacLm),
        &cfg,
    );
    assert_eq!(kfac.quantity, DampingQuantity::Lambda);
    assert!(
        kfac.rejected_steps() >= 5,
        "{:?}",
        kfac.rejected_iterations()
    );
    // argmin's trust region reports only its radius: rejected steps are found
    // as unchanged iterates.
    let full = RacePreset::full_network(&[8], 0).unwrap();
    let tr = detailed(
        &full.problem,
        &full.start,
        OptimizerSpec::new(OptimizerKind::TrustRegion),
        &cfg,
    );
    assert_eq!(tr.quantity, DampingQuantity::Radius);
    assert!(tr.rejected_steps() > 0);
    // Hessian-free reports CG iterations.
    let hf = detailed(
        &full.problem,
        &full.start,
        OptimizerSpec::new(OptimizerKind::HessianFreeLm),
        &RaceConfig {
            max_iters: 10,
            ..RaceConfig::default()
        },
    );
    assert!(hf.total_cg_iters() > 10.0);
    // A diverged run (gradient descent, huge step: no damping at all) and a
    // hand-made diverging damped run with ρ = −∞ and a non-finite loss.
    let diverged = detailed(
        &full.problem,
        &full.start,
        OptimizerSpec::new(OptimizerKind::Gd).lr(1e9),
        &cfg,
    );
    assert!(diverged.diverged && diverged.quantity == DampingQuantity::None);
    let mut blown = trace(
        "blown",
        &hidden.problem,
        &[[-2.5, 1.5], [-2.0, 1.0], [f64::NAN, 1.0]],
        StopReason::Diverged("non-finite".into()),
    );
    blown.loss[2] = f64::INFINITY;
    let kv = |pairs: &[(&str, f64)]| -> BTreeMap<String, f64> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    };
    let blown = DampingHistory::new(
        &blown,
        &[
            kv(&[]),
            kv(&[
                ("damping", 1e300),
                ("rho", f64::NEG_INFINITY),
                ("accepted", 1.0),
            ]),
            kv(&[
                ("damping", f64::NAN),
                ("rho", f64::INFINITY),
                ("accepted", 0.0),
            ]),
        ],
    );
    // A run without any diagnostics: only its loss curve.
    let empty_out = run_detailed(
        &hidden.problem,
        &hidden.start,
        &OptimizerSpec::new(OptimizerKind::GgnLm),
        &cfg,
    );
    let empty = DampingHistory::new(&empty_out.trace, &[]);
    assert_eq!(empty.rejected_steps(), 0);
    assert_eq!(empty.final_damping(), None);

    let runs = vec![kfac.clone(), tr, hf, diverged, blown, empty.clone()];
    let fig = damping_dashboard_figure(&runs, "dashboard", 900, 860).unwrap();
    let (w, h, rgb) = decode_png(fig.bytes());
    assert_eq!((w, h), (900, 860));
    let again = damping_dashboard_figure(&runs, "dashboard", 900, 860).unwrap();
    assert!(fig == again, "same runs, same bytes");
    let c = path_colour(0);
    assert!(
        count_colour(&rgb, w, 0, c) > 200,
        "K-FAC-LM's lines are drawn"
    );
    // The rejected steps are drawn: without them the picture changes.
    let mut unmarked = kfac.clone();
    unmarked.rejected = vec![false; unmarked.rejected.len()];
    let plain = damping_dashboard_figure(&[unmarked], "k", 900, 700).unwrap();
    let marked = damping_dashboard_figure(&[kfac], "k", 900, 700).unwrap();
    assert!(plain != marked, "rejected steps leave a mark");
    // Only the loss panel for a run without diagnostics; SVG too.
    assert!(damping_dashboard_figure(std::slice::from_ref(&empty), "e", 600, 300).is_ok());
    let svg = damping_dashboard_svg(&runs, "dashboard", 900, 860).unwrap();
    assert!(svg.contains("rejected") && svg.contains("<svg"));
    // Errors, not panics.
    assert!(matches!(
        damping_dashboard_figure(&[], "none", 900, 600),
        Err(PlotError::InvalidInput(_))
    ));
    assert!(damping_dashboard_figure(&[empty], "zero", 0, 600).is_err());
}

// ---------------------------------------------------------------------------
// The quadratic model overlay (src/plot/quadratic_model/).

mod quadratic_model {
    use super::*;
    use quad_vs_grad::landscapes::Quadratic;
    use quad_vs_grad::plot::{ModelCurvature, ModelOverlay, ModelShape, QuadraticModel};
    use quad_vs_grad::race::{run, OptimizerKind, OptimizerSpec, RaceConfig, RacePreset};

    fn small_style(model: Option<ModelOverlay>) -> PathsStyle {
        PathsStyle {
            width: 480,
            height: 360,
            model,
            ..PathsStyle::default()
        }
    }

    /// `(C + λI) s = −g` within `tol`.
    fn solves(m: &QuadraticModel, s: &Array1<f64>, tol: f64) {
        let a = m.curvature() + &(Array2::<f64>::eye(2) * m.damping());
        let r = a.fdot(s) + m.gradient();
        assert!(r.iter().all(|v| v.abs() < tol), "residual {r}");
    }

    #[test]
    fn newton_model_is_a_saddle_at_the_hidden_slice_start_and_newton_climbs() {
        let preset = RacePreset::hidden_slice();
        let (problem, start) = (&preset.problem, &preset.start);
        let m = QuadraticModel::at(problem, start, ModelCurvature::Hessian, 0.1).unwrap();
        assert_eq!(m.shape(), ModelShape::Saddle);
        assert!(m.minimiser().is_none());
        let mu = m.eigenvalues();
        assert!(mu[0] < 0.0 && mu[1] > 0.0, "{mu}");
        // The stationary step solves the damped system and points uphill:
        // Newton goes to the model's saddle point, and the loss rises there.
        let s = m.stationary_step().unwrap();
        solves(&m, s, 1e-10);
        assert!(m.gradient().fdot(s) > 0.0);
        assert!(m.value(s) > 0.0);
        let target = start + s;
        assert!(problem.cost(&target).unwrap() > problem.cost(start).unwrap());
        // The escape direction: a unit eigenvector of the negative
        // eigenvalue, downhill, along which the model falls without bound.
        let d = m.escape_direction().unwrap();
        assert!((d.fdot(d) - 1.0).abs() < 1e-12);
        let a = m.curvature() + &(Array2::<f64>::eye(2) * 0.1);
        let ad = a.fdot(d) - &(d * mu[0]);
        assert!(ad.iter().all(|v| v.abs() < 1e-10), "{ad}");
        assert!(m.gradient().fdot(d) <= 0.0);
        let along = |t: f64| m.value(&(d * t));
        assert!(along(1.0) < 0.0 && along(10.0) < along(1.0) && along(100.0) < -100.0);
        // The positive-definite curvatures give bowls at the same point.
        for kind in [
            ModelCurvature::SaddleFree,
            ModelCurvature::Ggn,
            ModelCurvature::Kfac,
        ] {
            let m = QuadraticModel::at(problem, start, kind, 0.1).unwrap();
            assert_eq!(m.shape(), ModelShape::Bowl, "{kind:?}");
            let s = m.minimiser().unwrap();
            solves(&m, s, 1e-10);
            assert!(m.gradient().fdot(s) < 0.0, "{kind:?} descends");
            assert!(m.escape_direction().is_none());
        }
        assert!(QuadraticModel::at(problem, start, ModelCurvature::Bfgs, 0.0).is_err());
    }

    #[test]
    fn output_slice_model_is_a_bowl_whose_minimiser_descends() {
        let problem = XorProblem::reference();
        let p = array![2.0, -2.0];
        let m = QuadraticModel::at(&problem, &p, ModelCurvature::Hessian, 0.0).unwrap();
        assert_eq!(m.shape(), ModelShape::Bowl);
        let s = m.minimiser().unwrap();
        solves(&m, s, 1e-12);
        assert_eq!(m.stationary_step(), Some(s));
        // The minimiser is the model's lowest value: any other step is higher.
        let best = m.value(s);
        for dx in [array![0.1, 0.0], array![0.0, -0.1], array![0.07, 0.07]] {
            assert!(m.value(&(s + &dx)) > best);
        }
        assert!(problem.cost(&(&p + s)).unwrap() < problem.cost(&p).unwrap());
        // The caption names the curvature and damping.
        let damped = m.with_damping(0.1).unwrap().with_label("Newton's model");
        assert_eq!(damped.caption(), "Newton's model (Hessian + 0.1 I)");
    }

    #[test]
    fn singular_curvature_has_an_escape_direction_or_a_valley() {
        let c = array![[1.0, 0.0], [0.0, 0.0]];
        let m = QuadraticModel::new(array![0.5, 0.5], array![0.3, -2.0], c.clone(), 0.0).unwrap();
        assert_eq!(m.shape(), ModelShape::Degenerate);
        assert!(m.minimiser().is_none() && m.stationary_step().is_none());
        let d = m.escape_direction().unwrap();
        assert!(d[0].abs() < 1e-12 && (d[1] - 1.0).abs() < 1e-12, "{d}");
        // Damping makes it a bowl.
        let m = m.with_damping(0.5).unwrap();
        assert_eq!(m.shape(), ModelShape::Bowl);
        solves(&m, m.minimiser().unwrap(), 1e-12);
        // Zero curvature and zero gradient: every step is a minimiser.
        let m = QuadraticModel::new(
            array![0.0, 0.0],
            array![0.0, 0.0],
            Array2::zeros((2, 2)),
            0.0,
        )
        .unwrap();
        assert_eq!(m.minimiser().map(|s| s.fdot(s)), Some(0.0));
    }

    #[test]
    fn bfgs_estimate_satisfies_the_secant_equation() {
        let bowl = Quadratic::with_condition(10.0, 0.5).unwrap();
        let start = array![2.0, 1.0];
        let cfg = RaceConfig {
            max_iters: 4,
            tol: 1e-12,
            ..RaceConfig::default()
        };
        let t = run(
            &bowl,
            &start,
            &OptimizerSpec::new(OptimizerKind::Bfgs),
            &cfg,
        );
        assert!(t.steps() >= 2, "{t:?}");
        let ov = ModelOverlay::along(
            &bowl,
            std::slice::from_ref(&t),
            0,
            ModelCurvature::Bfgs,
            0.0,
        )
        .unwrap();
        let m0 = ov.model(0).unwrap();
        assert_eq!(m0.curvature(), &Array2::<f64>::eye(2), "H₀ = I");
        for k in 0..2 {
            let pk = Array1::from(t.iterates[k].clone());
            let pk1 = Array1::from(t.iterates[k + 1].clone());
            let s = &pk1 - &pk;
            let y = bowl.gradient(&pk1).unwrap() - bowl.gradient(&pk).unwrap();
            let b = ov.model(k + 1).unwrap().curvature();
            let r = b.fdot(&s) - &y;
            assert!(
                r.iter().all(|v| v.abs() < 1e-9 * (1.0 + y.fdot(&y).sqrt())),
                "{r}"
            );
        }
        // BFGS's first direction is the model's minimiser direction.
        let s0 = m0.minimiser().unwrap();
        let step = Array1::from(t.iterates[1].clone()) - &start;
        let cos = s0.fdot(&step) / (s0.fdot(s0) * step.fdot(&step)).sqrt();
        assert!((cos - 1.0).abs() < 1e-9, "{cos}");
    }

    #[test]
    fn overlay_figures_decode_have_their_size_and_are_deterministic() {
        let preset = RacePreset::hidden_slice();
        let newton = run(
            &preset.problem,
            &preset.start,
            &OptimizerSpec::new(OptimizerKind::Newton),
            &RaceConfig {
                max_iters: 12,
                ..preset.cfg.clone()
            },
        );
        let traces = vec![newton];
        let grid = LossGrid::for_problem(&preset.problem, (-4.0, 3.0), (-3.0, 4.0), 60).unwrap();
        let ov =
            ModelOverlay::along(&preset.problem, &traces, 0, ModelCurvature::Hessian, 0.1).unwrap();
        assert_eq!(ov.models.len(), traces[0].iterates.len());
        let plain = paths_figure(&grid, &traces, &small_style(None)).unwrap();
        let with = paths_figure(&grid, &traces, &small_style(Some(ov.clone()))).unwrap();
        let (w, h, px) = decode_png(with.bytes());
        assert_eq!((w, h), (480, 360));
        assert_ne!(plain.bytes(), with.bytes());
        assert_eq!(
            with,
            paths_figure(&grid, &traces, &small_style(Some(ov.clone()))).unwrap()
        );
        // The contours are white, which the plain figure has only in halos.
        let (_, _, plain_px) = decode_png(plain.bytes());
        let white = |p: &[u8]| count_colour(p, w, 0, [255, 255, 255]);
        assert!(white(&px) > white(&plain_px) + 200);
        // Another step draws another model.
        let later =
            paths_figure(&grid, &traces, &small_style(Some(ov.clone().at_step(3)))).unwrap();
        assert_ne!(later.bytes(), with.bytes());
        // The animation: decodes, its size, the same bytes twice, small.
        let opts = AnimationOptions {
            width: 480,
            height: 360,
            style: small_style(Some(ov)),
            ..AnimationOptions::default()
        };
        let anim = journey_animation(&grid, &traces, &opts).unwrap();
        let (gw, gh, frames, _, _, _) = decode_gif(anim.bytes());
        assert_eq!((gw, gh), (480, 360));
        assert_eq!(frames, traces[0].steps() + 1);
        assert!(anim.bytes().len() < 500 * 1024);
        assert_eq!(anim, journey_animation(&grid, &traces, &opts).unwrap());
        let off = AnimationOptions {
            style: small_style(None),
            ..opts
        };
        assert_ne!(anim, journey_animation(&grid, &traces, &off).unwrap());
    }

    #[test]
    fn overlay_of_bowl_singular_and_diverged_models_never_panics() {
        let problem = XorProblem::reference();
        let nan = f64::NAN;
        let diverged = trace(
            "diverged",
            &problem,
            &[[2.0, -2.0], [40.0, -90.0], [1e150, -1e200], [nan, nan]],
            StopReason::Diverged("loss is NaN".into()),
        );
        let traces = vec![diverged];
        let grid = LossGrid::for_problem(&problem, (-3.0, 3.0), (-3.0, 3.0), 40).unwrap();
        let ov = ModelOverlay::along(&problem, &traces, 0, ModelCurvature::Hessian, 0.0).unwrap();
        assert!(ov.model(0).is_some_and(|m| m.shape() == ModelShape::Bowl));
        assert!(ov.model(3).is_none(), "no model at a NaN iterate");
        for step in 0..5 {
            let fig = paths_figure(&grid, &traces, &small_style(Some(ov.clone().at_step(step))));
            decode_png(fig.unwrap().bytes());
        }
        let bfgs = ModelOverlay::along(&problem, &traces, 0, ModelCurvature::Bfgs, 0.0).unwrap();
        let opts = AnimationOptions {
            width: 320,
            height: 240,
            style: small_style(Some(bfgs)),
            ..AnimationOptions::default()
        };
        decode_gif(journey_animation(&grid, &traces, &opts).unwrap().bytes());
        // A singular model, and a model centred outside the view.
        for (centre, g) in [([0.5, 0.5], [0.0, 1.0]), ([50.0, -50.0], [1.0, 1.0])] {
            let m = QuadraticModel::new(
                Array1::from(centre.to_vec()),
                Array1::from(g.to_vec()),
                array![[1.0, 0.0], [0.0, 0.0]],
                0.0,
            )
            .unwrap()
            .with_radius(0.5);
            let fig = paths_figure(
                &grid,
                &traces,
                &small_style(Some(ModelOverlay::single(0, 0, m))),
            );
            decode_png(fig.unwrap().bytes());
        }
        // A model at an entry far beyond the trace: nothing to draw, no panic.
        let m =
            QuadraticModel::new(array![0.0, 0.0], array![1.0, 0.0], Array2::eye(2), 0.0).unwrap();
        let far = ModelOverlay::single(0, usize::MAX, m);
        assert!(far.model(usize::MAX).is_some() && far.model(0).is_none());
        decode_png(
            paths_figure(&grid, &traces, &small_style(Some(far)))
                .unwrap()
                .bytes(),
        );
        // An overlay naming a trace the figure does not have is an error.
        assert!(ModelOverlay::along(&problem, &traces, 3, ModelCurvature::Hessian, 0.0).is_err());
        let m =
            QuadraticModel::new(array![0.0, 0.0], array![1.0, 0.0], Array2::eye(2), 0.0).unwrap();
        let bad = small_style(Some(ModelOverlay::single(2, 0, m.clone())));
        assert!(matches!(
            paths_figure(&grid, &traces, &bad),
            Err(PlotError::InvalidInput(_))
        ));
        // A 3-D model cannot be drawn on a 2-D view.
        let m3 = QuadraticModel::new(
            array![0.0, 0.0, 0.0],
            array![1.0, 0.0, 0.0],
            Array2::eye(3),
            0.0,
        )
        .unwrap();
        let bad = small_style(Some(ModelOverlay::single(0, 0, m3)));
        assert!(paths_figure(&grid, &traces, &bad).is_err());
    }
}

#[test]
fn curvature_ellipses_decode_are_deterministic_and_draw_every_shape() {
    use quad_vs_grad::plot::{curvature_ellipses_figure, EllipseStyle, NamedMatrix};
    let zoo = vec![
        NamedMatrix::new("bowl", array![[2.0, 0.6], [0.6, 1.0]]),
        NamedMatrix::new("indefinite", array![[1.0, 0.3], [0.3, -0.5]]),
        NamedMatrix::new("singular", array![[1.0, 1.0], [1.0, 1.0]]),
        NamedMatrix::new("near-singular", array![[1.0, 0.0], [0.0, 1e-14]]),
        NamedMatrix::new("negative", array![[-2.0, 0.0], [0.0, -1.0]]),
        NamedMatrix::new("zero", Array2::zeros((2, 2))),
    ];
    let style = EllipseStyle::default();
    let a = curvature_ellipses_figure(&zoo, &style, 860, 560).unwrap();
    let b = curvature_ellipses_figure(&zoo, &style, 860, 560).unwrap();
    assert_eq!(a.bytes(), b.bytes());
    let (w, h, rgb) = decode_png(a.bytes());
    assert_eq!((w, h), (860, 560));
    // The bowl's colour (the first of the palette, near black) and the
    // second's (blue) are on the picture.
    assert!(count_colour(&rgb, w, 0, [0x00, 0x72, 0xb2]) > 100);
    // The zoo of a 2-D problem draws too, with and without eigen axes.
    let problem = XorProblem::hidden_slice();
    let zoo = curvature_zoo(&problem, &array![1.0, -1.0], 8, 0).unwrap();
    assert_eq!(zoo.len(), 6);
    let style = EllipseStyle {
        eigen_axes: false,
        half_width: Some(5.0),
        ..EllipseStyle::default()
    };
    let fig = curvature_ellipses_figure(&zoo, &style, 700, 460).unwrap();
    assert_eq!((fig.width(), fig.height()), (700, 460));
}

#[test]
fn curvature_ellipses_reject_bad_matrices_without_panicking() {
    use quad_vs_grad::plot::{
        curvature_ellipses_figure, project_curvature, unit_curves, EllipseStyle, NamedMatrix,
    };
    let style = EllipseStyle::default();
    let bad = [
        array![[1.0, 0.5], [0.0, 1.0]],           // not symmetric
        array![[f64::NAN, 0.0], [0.0, 1.0]],      // not finite
        array![[f64::INFINITY, 0.0], [0.0, 1.0]], // not finite
        array![[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], // not 2 × 2
    ];
    for m in bad {
        let zoo = vec![NamedMatrix::new("bad", m.clone())];
        assert!(matches!(
            curvature_ellipses_figure(&zoo, &style, 600, 400),
            Err(PlotError::InvalidInput(_))
        ));
        assert!(unit_curves(&m, 1.0).is_err());
    }
    assert!(curvature_ellipses_figure(&[], &style, 600, 400).is_err());
    let ok = vec![NamedMatrix::new("ok", Array2::eye(2))];
    for hw in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let st = EllipseStyle {
            half_width: Some(hw),
            ..EllipseStyle::default()
        };
        assert!(curvature_ellipses_figure(&ok, &st, 600, 400).is_err());
    }
    assert!(unit_curves(&Array2::eye(2), 0.0).is_err());
    // dependent directions and shapes that do not fit
    let c = Array2::<f64>::eye(3);
    assert!(project_curvature(&c, &array![[1.0, 0.0, 0.0], [2.0, 0.0, 0.0]]).is_err());
    assert!(project_curvature(&c, &array![[1.0, 0.0], [0.0, 1.0]]).is_err());
}

#[test]
fn unit_curves_have_semi_axes_one_over_root_lambda() {
    use quad_vs_grad::plot::{project_curvature, top_eigen_basis, unit_curves, CurveKind};
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    for _ in 0..50 {
        // a random SPD matrix with known eigenvalues and rotation
        let (l1, l2) = (rng.random_range(0.05..5.0), rng.random_range(0.05..5.0));
        let t: f64 = rng.random_range(0.0..std::f64::consts::PI);
        let (s, c) = t.sin_cos();
        let q = array![[c, -s], [s, c]];
        let m = q.fdot(&Array2::from_diag(&array![l1, l2])).fdot(&q.t());
        let m = (&m + &m.t()) * 0.5;
        let u = unit_curves(&m, 100.0).unwrap();
        assert_eq!(u.kind, CurveKind::Ellipse);
        assert!(!u.clipped);
        assert_eq!(u.plus.len(), 1);
        assert!(u.minus.is_empty());
        let radii: Vec<f64> = u.plus[0].iter().map(|&(x, y)| x.hypot(y)).collect();
        let far = radii.iter().copied().fold(0.0, f64::max);
        let near = radii.iter().copied().fold(f64::INFINITY, f64::min);
        let (lo, hi) = (l1.min(l2), l1.max(l2));
        assert!((far - 1.0 / lo.sqrt()).abs() < 1e-9 * far, "{far} {lo}");
        assert!((near - 1.0 / hi.sqrt()).abs() < 1e-9 * near, "{near} {hi}");
        // every point lies on sᵀCs = 1, and the curve is closed
        for &(x, y) in &u.plus[0] {
            let v = array![x, y];
            assert!((v.fdot(&m.fdot(&v)) - 1.0).abs() < 1e-9);
        }
        let (first, last) = (u.plus[0][0], *u.plus[0].last().unwrap());
        assert!((first.0 - last.0).hypot(first.1 - last.1) < 1e-12);
        // the far point lies along the eigenvector of the smaller eigenvalue
        let sa = u.semi_axes();
        assert!((sa[0] - 1.0 / lo.sqrt()).abs() < 1e-9 * sa[0]);
    }
    // indefinite: both levels, each two branches reaching the disk's edge
    let u = unit_curves(&array![[1.0, 0.0], [0.0, -0.25]], 10.0).unwrap();
    assert_eq!(u.kind, CurveKind::Hyperbola);
    assert!(u.clipped);
    assert_eq!((u.plus.len(), u.minus.len()), (2, 2));
    for (pieces, level) in [(&u.plus, 1.0), (&u.minus, -1.0)] {
        for &(x, y) in pieces.iter().flatten() {
            assert!((x * x - 0.25 * y * y - level).abs() < 1e-9);
            assert!(x.hypot(y) <= 10.0 + 1e-9);
        }
    }
    let r = |pieces: &Vec<Vec<(f64, f64)>>| {
        pieces
            .iter()
            .flatten()
            .map(|&(x, y)| x.hypot(y))
            .fold(f64::INFINITY, f64::min)
    };
    assert!((r(&u.plus) - 1.0).abs() < 1e-12); // vertex at 1/√1
    assert!((r(&u.minus) - 2.0).abs() < 1e-12); // vertex at 1/√0.25
                                                // singular: two parallel lines |x| = 1 clipped to the disk
    let u = unit_curves(&array![[1.0, 0.0], [0.0, 0.0]], 5.0).unwrap();
    assert_eq!(u.kind, CurveKind::ParallelLines);
    assert_eq!(u.plus.len(), 2);
    for &(x, y) in u.plus.iter().flatten() {
        assert!((x.abs() - 1.0).abs() < 1e-12 && x.hypot(y) <= 5.0 + 1e-9);
    }
    let ys: Vec<f64> = u.plus[0].iter().map(|p| p.1).collect();
    let span =
        ys.iter().copied().fold(f64::MIN, f64::max) - ys.iter().copied().fold(f64::MAX, f64::min);
    assert!((span - 2.0 * 24f64.sqrt()).abs() < 1e-6, "{span}");
    assert!(u.semi_axes()[0].is_infinite());
    // projection onto the top eigenvectors keeps the top eigenvalues
    let c = Array2::from_diag(&array![0.1, 3.0, 0.5, 2.0]);
    let b = top_eigen_basis(&c).unwrap();
    let p = project_curvature(&c, &b).unwrap();
    let u = unit_curves(&p, 10.0).unwrap();
    assert!((u.eigenvalues[0] - 2.0).abs() < 1e-12 && (u.eigenvalues[1] - 3.0).abs() < 1e-12);
}

#[test]
fn the_zoo_of_the_reference_slice_has_hessian_equal_to_ggn() {
    // The output slice is linear in its parameters: Hessian = GGN = exact
    // Fisher; every Fisher-type matrix is symmetric positive semi-definite.
    let problem = XorProblem::reference();
    for p in [array![2.0, -2.0], array![0.3, 0.0], array![-1.0, 2.5]] {
        let zoo = curvature_zoo(&problem, &p, 16, 3).unwrap();
        let names: Vec<&str> = zoo.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "Hessian",
                "GGN",
                "Fisher (exact)",
                "Fisher (MC, S = 16)",
                "Fisher (empirical)",
                "K-FAC"
            ]
        );
        let diff = (&zoo[0].matrix - &zoo[1].matrix)
            .iter()
            .fold(0.0_f64, |m, v| m.max(v.abs()));
        assert!(diff < 1e-12, "{diff}");
        assert_eq!(zoo[1].matrix, zoo[2].matrix);
        for m in &zoo {
            assert_eq!(m.matrix, m.matrix.t());
            assert!(eigenvalues(&m.matrix).unwrap()[0] >= -1e-12, "{}", m.name);
        }
    }
    assert!(curvature_zoo(&problem, &array![1.0, 2.0, 3.0], 4, 0).is_err());
}

#[test]
fn heat_tables_validate_their_shape_and_render() {
    use quad_vs_grad::lessons::stochasticity::{heat_table_figure, HeatTable};
    let t = HeatTable {
        title: "t".into(),
        row_title: "B".into(),
        column_title: "λ".into(),
        rows: vec!["5".into(), "50".into()],
        columns: vec!["0.1".into(), "1".into(), "10".into()],
        values: ndarray::array![[0.5, f64::NAN, 0.3], [0.2, 0.1, 9.0]],
        labels: vec!["a".into(); 6],
        marked: vec![false, true, false, false, false, false],
        best: vec![Some(2), Some(1)],
        colour_max: Some(0.7),
    };
    let fig = heat_table_figure(&[t.clone(), t.clone(), t.clone()], 2, 600, "three").unwrap();
    assert_eq!(fig.width(), 600);
    // two rows of panels: taller than one
    let one = heat_table_figure(std::slice::from_ref(&t), 2, 600, "one").unwrap();
    assert!(fig.height() > one.height());
    // same inputs, same bytes
    assert_eq!(
        heat_table_figure(std::slice::from_ref(&t), 2, 600, "one")
            .unwrap()
            .bytes(),
        one.bytes()
    );
    let bad = |t: HeatTable| heat_table_figure(&[t], 1, 600, "bad").is_err();
    assert!(bad(HeatTable {
        labels: vec![],
        ..t.clone()
    }));
    assert!(bad(HeatTable {
        best: vec![Some(3), None],
        ..t.clone()
    }));
    assert!(bad(HeatTable {
        rows: vec![],
        ..t.clone()
    }));
    assert!(heat_table_figure(&[], 1, 600, "none").is_err());
    assert!(heat_table_figure(&[t], 0, 600, "no columns").is_err());
}
