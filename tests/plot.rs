//! Figures: formats, sizes, determinism, robustness and the numbers behind
//! them (grids, PCA projection).

use quad_vs_grad::plot::{
    bakeoff_figure, condition_figure, eigen_sign_figure, eigen_sign_svg, frame_schedule,
    journey_animation, landscape_colour, loss_curves_figure, path_colour, paths_figure, paths_svg,
    pca_plane, view_bounds, AnimationOptions, BakeoffMetric, CurvatureGrid, CurveAxis, Figure,
    LossGrid, PathsStyle, PlotError,
};
use quad_vs_grad::prelude::*;
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
    let (g2, t2) = quad_vs_grad::plot::landscape(&problem, &traces, None, 20).unwrap();
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
            quad_vs_grad::plot::landscape(&preset.problem, traces, None, 200).unwrap();
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
fn heat_tables_validate_their_shape_and_render() {
    use quad_vs_grad::plot::{heat_table_figure, HeatTable};
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
