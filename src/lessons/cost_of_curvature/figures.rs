//! The scaling figure: cost per iteration against the number of parameters,
//! log-log, one line per optimizer, the theory dashed, extrapolated points
//! hollow.
//!
//! The figure takes plain series ([`ScalingPanel`] of [`ScalingSeries`]),
//! so it draws any measurement, not only the crate's study
//! (`crate::lessons::cost_of_curvature::ScalingStudy::panels` builds them).

use plotters::coord::Shift;
use plotters::element::{DashedPathElement, PathElement};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::RGBAColor;

use crate::plot::colour::{path_colour, rgb};
use crate::plot::kit::{book_scale, centred_line, fsize, note, text_width, INK, MUTED};
use crate::plot::{draw_err, ensure_fonts, Figure, Result, FONT};

/// One point of a series.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScalingMark {
    /// The number of parameters `D` (drawn on a log axis).
    pub x: f64,
    /// The cost (seconds, bytes, …; drawn on a log axis).
    pub y: f64,
    /// `true`: measured (filled marker, joined by a solid line);
    /// `false`: extrapolated (hollow marker, never joined).
    pub measured: bool,
}

/// One optimizer's points and its theory curve.
#[derive(Clone, Debug, PartialEq)]
pub struct ScalingSeries {
    /// The legend label.
    pub label: String,
    /// Its points, in increasing `x`.
    pub marks: Vec<ScalingMark>,
    /// The theory curve, drawn dashed in the series' colour (may be empty).
    pub theory: Vec<(f64, f64)>,
}

/// One log-log panel.
#[derive(Clone, Debug, PartialEq)]
pub struct ScalingPanel {
    /// The panel's title.
    pub title: String,
    /// What the vertical axis measures (its unit).
    pub y_label: String,
    /// A horizontal budget line, drawn dotted grey.
    pub budget: Option<f64>,
    /// One series per optimizer; series `i` of every panel gets colour `i`.
    pub series: Vec<ScalingSeries>,
}

fn font_scale<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>) -> f64 {
    let (w, h) = root.dim_in_pixel();
    book_scale(
        ((w as f64 * h as f64).sqrt() / (900.0f64 * 760.0).sqrt()).clamp(0.7, 2.0),
        w,
    )
}

/// A log range covering `values` with a margin; `(1, 10)` if none is positive.
fn log_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite() && *v > 0.0)
        .fold((f64::INFINITY, 0.0_f64), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if !(lo.is_finite() && hi > 0.0) {
        return (1.0, 10.0);
    }
    let (lo, hi) = if hi / lo < 10.0 {
        let mid = (lo * hi).sqrt();
        (mid / 4.0, mid * 4.0)
    } else {
        (lo, hi)
    };
    (lo / 1.6, hi * 1.6)
}

fn ok(v: f64) -> bool {
    v.is_finite() && v > 0.0
}

/// Draws one panel onto `area`.
fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: &ScalingPanel,
    s: f64,
) -> Result<()> {
    let xs = panel.series.iter().flat_map(|sr| {
        sr.marks
            .iter()
            .map(|m| m.x)
            .chain(sr.theory.iter().map(|t| t.0))
    });
    let (x_lo, x_hi) = log_range(xs);
    let ys = panel.series.iter().flat_map(|sr| {
        sr.marks
            .iter()
            .map(|m| m.y)
            .chain(sr.theory.iter().map(|t| t.1))
    });
    let (y_lo, y_hi) = log_range(ys.chain(panel.budget));
    let mut chart = ChartBuilder::on(area)
        .caption(
            &panel.title,
            (FONT, fsize(14.0 * s)).into_font().color(&INK),
        )
        .margin((8.0 * s) as i32)
        .x_label_area_size((34.0 * s) as i32)
        .y_label_area_size((58.0 * s) as i32)
        .build_cartesian_2d((x_lo..x_hi).log_scale(), (y_lo..y_hi).log_scale())
        .map_err(draw_err)?;
    chart
        .configure_mesh()
        .x_desc("D (parameters)")
        .y_desc(panel.y_label.as_str())
        .axis_desc_style((FONT, fsize(12.0 * s)))
        .label_style((FONT, fsize(11.0 * s)))
        .x_label_formatter(&|v| crate::fmt::compact(*v))
        .y_label_formatter(&|v| crate::fmt::compact(*v))
        .light_line_style(RGBAColor(0, 0, 0, 0.04))
        .bold_line_style(RGBAColor(0, 0, 0, 0.10))
        .axis_style(INK)
        .draw()
        .map_err(draw_err)?;
    let clip = |(x, y): (f64, f64)| (x.clamp(x_lo, x_hi), y.clamp(y_lo, y_hi));
    if let Some(b) = panel.budget.filter(|b| ok(*b)) {
        let grey = RGBColor(0x88, 0x88, 0x88);
        chart
            .draw_series(std::iter::once(DashedPathElement::new(
                vec![(x_lo, b), (x_hi, b)],
                2,
                4,
                grey.stroke_width(1),
            )))
            .map_err(draw_err)?;
        let style = TextStyle::from((FONT, fsize(10.0 * s)).into_font())
            .color(&MUTED)
            .pos(Pos::new(HPos::Left, VPos::Bottom));
        chart
            .draw_series(std::iter::once(Text::new(
                "budget".to_string(),
                (x_lo * 1.15, b),
                style,
            )))
            .map_err(draw_err)?;
    }
    let r = (4.0 * s).round().max(2.0) as i32;
    for (i, sr) in panel.series.iter().enumerate() {
        let c = rgb(path_colour(i));
        let theory: Vec<(f64, f64)> = sr
            .theory
            .iter()
            .copied()
            .filter(|&(x, y)| ok(x) && ok(y))
            .map(clip)
            .collect();
        if theory.len() >= 2 {
            chart
                .draw_series(std::iter::once(DashedPathElement::new(
                    theory,
                    (6.0 * s) as i32,
                    (4.0 * s) as i32,
                    c.mix(0.75).stroke_width(1),
                )))
                .map_err(draw_err)?;
        }
        // Solid line through consecutive measured points only.
        let mut run: Vec<(f64, f64)> = Vec::new();
        let mut runs = Vec::new();
        for m in &sr.marks {
            if m.measured && ok(m.x) && ok(m.y) {
                run.push(clip((m.x, m.y)));
            } else if !run.is_empty() {
                runs.push(std::mem::take(&mut run));
            }
        }
        runs.push(run);
        for r in runs.into_iter().filter(|r| r.len() >= 2) {
            chart
                .draw_series(std::iter::once(PathElement::new(r, c.stroke_width(2))))
                .map_err(draw_err)?;
        }
        for m in sr.marks.iter().filter(|m| ok(m.x) && ok(m.y)) {
            let style = if m.measured {
                c.filled()
            } else {
                c.stroke_width(2)
            };
            let at = clip((m.x, m.y));
            if m.measured {
                chart
                    .draw_series(std::iter::once(Circle::new(at, r, style)))
                    .map_err(draw_err)?;
            } else {
                chart
                    .draw_series(std::iter::once(Circle::new(at, r, WHITE.filled())))
                    .map_err(draw_err)?;
                chart
                    .draw_series(std::iter::once(Circle::new(at, r, style)))
                    .map_err(draw_err)?;
            }
        }
    }
    Ok(())
}

/// Draws the scaling figure: a title, the panels two per row, and one
/// legend for all of them (series colours by the first panel's labels,
/// then the key: filled = measured, hollow = extrapolated, dashed = theory,
/// dotted grey = budget). Non-positive or non-finite values are left out;
/// an empty panel draws empty axes.
///
/// # Errors
/// [`PlotError::Drawing`](crate::plot::PlotError::Drawing) if the backend fails.
pub fn draw_scaling<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    panels: &[ScalingPanel],
) -> Result<()> {
    ensure_fonts();
    root.fill(&WHITE).map_err(draw_err)?;
    let s = font_scale(root);
    let (w, h) = root.dim_in_pixel();
    let max_w = (w as i32 - 20).max(10) as u32;
    centred_line(
        root,
        title,
        (w as i32 / 2, (16.0 * s) as i32),
        16.0 * s,
        &INK,
        true,
        max_w,
    )?;
    // Legend: wrap the entries over as many lines as needed.
    let labels: Vec<String> = panels
        .first()
        .map(|p| p.series.iter().map(|sr| sr.label.clone()).collect())
        .unwrap_or_default();
    let size = 12.0 * s;
    let key = [
        "filled: measured",
        "hollow: extrapolated",
        "dashed: cost model",
    ];
    let mut entries: Vec<(Option<usize>, String)> = labels
        .iter()
        .enumerate()
        .map(|(i, l)| (Some(i), l.clone()))
        .collect();
    entries.extend(key.iter().map(|k| (None, (*k).to_string())));
    let line_h = (20.0 * s) as i32;
    let swatch = (22.0 * s) as i32;
    let mut lines: Vec<Vec<(Option<usize>, String, i32)>> = vec![Vec::new()];
    let mut x = 10;
    for (i, label) in entries {
        let ew = swatch * i.map_or(0, |_| 1) + text_width(root, &label, size, false) as i32 + 18;
        if x + ew > w as i32 - 10 && x > 10 {
            lines.push(Vec::new());
            x = 10;
        }
        if let Some(line) = lines.last_mut() {
            line.push((i, label, x));
        }
        x += ew;
    }
    let legend_h = line_h * lines.len() as i32 + (8.0 * s) as i32;
    let top = (32.0 * s) as i32;
    for (k, line) in lines.iter().enumerate() {
        let y = h as i32 - legend_h + (4.0 * s) as i32 + line_h * k as i32 + line_h / 2;
        for (i, label, x) in line {
            let mut tx = *x;
            if let Some(i) = i {
                let c = rgb(path_colour(*i));
                root.draw(&PathElement::new(
                    vec![(tx, y), (tx + swatch - 6, y)],
                    c.stroke_width(3),
                ))
                .map_err(draw_err)?;
                tx += swatch;
            }
            note(root, label, (tx, y), size, &INK)?;
        }
    }
    let body = root.margin(top, legend_h, 0, 0);
    let cols = if panels.len() > 1 { 2 } else { 1 };
    let rows = panels.len().div_ceil(cols).max(1);
    let cells = body.split_evenly((rows, cols));
    for (panel, cell) in panels.iter().zip(cells.iter()) {
        draw_panel(cell, panel, s)?;
    }
    Ok(())
}

/// The scaling figure as a PNG [`Figure`] (`width × height`).
///
/// # Errors
/// As [`draw_scaling`], or [`PlotError::InvalidInput`](crate::plot::PlotError::InvalidInput) for a zero size.
pub fn scaling_figure(
    title: &str,
    panels: &[ScalingPanel],
    width: u32,
    height: u32,
) -> Result<Figure> {
    crate::plot::render_png(width, height, |root| draw_scaling(root, title, panels))
}

/// The scaling figure as SVG text.
///
/// # Errors
/// As [`scaling_figure`].
pub fn scaling_svg(
    title: &str,
    panels: &[ScalingPanel],
    width: u32,
    height: u32,
) -> Result<String> {
    crate::plot::render_svg(width, height, |root| draw_scaling(root, title, panels))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn panels() -> Vec<ScalingPanel> {
        let series = |k: f64, label: &str| ScalingSeries {
            label: label.into(),
            marks: [9.0, 100.0, 1e3, 1e4, 1e5]
                .iter()
                .map(|&x: &f64| ScalingMark {
                    x,
                    y: 1e-7 * x.powf(k),
                    measured: x <= 1e3,
                })
                .collect(),
            theory: [9.0, 1e5]
                .iter()
                .map(|&x: &f64| (x, 1e-7 * x.powf(k)))
                .collect(),
        };
        (0..4)
            .map(|i| ScalingPanel {
                title: format!("panel {i}"),
                y_label: "seconds".into(),
                budget: Some(0.5),
                series: vec![
                    series(1.0, "GD"),
                    series(2.0, "Newton"),
                    series(3.0, "BFGS"),
                ],
            })
            .collect()
    }

    #[test]
    fn figure_decodes_with_its_size_and_is_deterministic() {
        let a = scaling_figure("scaling", &panels(), 900, 760).unwrap();
        assert_eq!((a.width(), a.height()), (900, 760));
        let decoder = png::Decoder::new(std::io::Cursor::new(a.bytes().to_vec()));
        let reader = decoder.read_info().unwrap();
        assert_eq!((reader.info().width, reader.info().height), (900, 760));
        let b = scaling_figure("scaling", &panels(), 900, 760).unwrap();
        assert_eq!(a.bytes(), b.bytes());
        // the series change the picture
        let mut other = panels();
        other[0].series.pop();
        let c = scaling_figure("scaling", &other, 900, 760).unwrap();
        assert_ne!(a.bytes(), c.bytes());
    }

    #[test]
    fn bad_values_and_empty_input_still_draw() {
        let mut p = panels();
        p[1].series[0].marks[0].y = f64::NAN;
        p[1].series[1].marks[1].y = 0.0;
        p[2].series[0].marks[0].y = -1.0;
        p[3].series.clear();
        assert!(scaling_figure("t", &p, 640, 480).is_ok());
        assert!(scaling_figure("t", &[], 320, 200).is_ok());
        assert!(scaling_figure("t", &p, 0, 200).is_err());
        let svg = scaling_svg("t", &panels(), 900, 760).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("Newton"));
    }
}
