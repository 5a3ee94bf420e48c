//! The data set as a scatter plot: every example at its position, coloured
//! by its label, with the examples whose label disagrees with their quadrant
//! (the label noise of the reference data) ringed.

use plotters::coord::Shift;
use plotters::element::{Circle, PathElement};
use plotters::prelude::*;
use plotters::style::RGBAColor;

use crate::data::{xor_label, Dataset};
use crate::plot::colour::{rgb, tick, OKABE_ITO};
use crate::plot::kit::{book_scale, centred_line, fsize, INK, MUTED};
use crate::plot::{draw_err, ensure_fonts, Figure, Result, FONT};

/// Draws `data` on any plotters backend: label 1 (the signs of `x₁` and `x₂`
/// differ) as filled vermillion circles, label 0 as filled blue squares, each
/// example whose label disagrees with [`xor_label`] of its position ringed in
/// black, the axes `x₁ = 0` and `x₂ = 0` dashed, a legend with the counts,
/// and `title` with a subtitle giving the number of examples and the share
/// of disagreeing labels. The view is `[−1.1, 1.1]²` or larger if the data
/// reach further.
///
/// # Errors
/// [`crate::plot::PlotError::Drawing`] if the backend fails.
pub fn draw_data<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &Dataset,
    title: &str,
) -> Result<()> {
    ensure_fonts();
    root.fill(&WHITE).map_err(draw_err)?;
    let (w, h) = root.dim_in_pixel();
    let s = book_scale(((w as f64 * h as f64).sqrt() / 640.0).clamp(0.6, 2.0), w);
    let n = data.len();
    let disagree: Vec<bool> = (0..n)
        .map(|i| xor_label(data.x[[i, 0]], data.x[[i, 1]]) != data.y[i])
        .collect();
    let wrong = disagree.iter().filter(|&&d| d).count();
    let max_w = (w as i32 - 20).max(10) as u32;
    centred_line(
        root,
        title,
        ((w / 2) as i32, (17.0 * s) as i32),
        18.0 * s,
        &INK,
        true,
        max_w,
    )?;
    let subtitle = format!(
        "{n} examples; {wrong} ({:.1}%) carry a label that disagrees with their quadrant",
        100.0 * wrong as f64 / n.max(1) as f64
    );
    centred_line(
        root,
        &subtitle,
        ((w / 2) as i32, (40.0 * s) as i32),
        13.0 * s,
        &MUTED,
        false,
        max_w,
    )?;
    let area = root.margin((56.0 * s) as i32, 0, 0, 0);

    let reach = data.x.iter().fold(
        1.0_f64,
        |m, v| if v.is_finite() { m.max(v.abs()) } else { m },
    );
    let lim = reach * 1.1;
    let mut chart = ChartBuilder::on(&area)
        .margin((12.0 * s) as i32)
        .x_label_area_size((40.0 * s) as i32)
        .y_label_area_size((48.0 * s) as i32)
        .build_cartesian_2d(-lim..lim, -lim..lim)
        .map_err(draw_err)?;
    chart
        .configure_mesh()
        .x_desc("x₁")
        .y_desc("x₂")
        .axis_desc_style((FONT, fsize(14.0 * s)))
        .label_style((FONT, fsize(12.0 * s)))
        .x_label_formatter(&|v| tick(*v, 2.0 * lim))
        .y_label_formatter(&|v| tick(*v, 2.0 * lim))
        .light_line_style(RGBAColor(0, 0, 0, 0.04))
        .bold_line_style(RGBAColor(0, 0, 0, 0.10))
        .axis_style(INK)
        .draw()
        .map_err(draw_err)?;
    let dash = RGBAColor(0x22, 0x22, 0x22, 0.55);
    for (a, b) in [((-lim, 0.0), (lim, 0.0)), ((0.0, -lim), (0.0, lim))] {
        let k = 40;
        let segs = (0..k).step_by(2).map(move |i| {
            let t0 = i as f64 / k as f64;
            let t1 = (i + 1) as f64 / k as f64;
            let at = |t: f64| (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t);
            PathElement::new(vec![at(t0), at(t1)], dash.stroke_width(1))
        });
        chart.draw_series(segs).map_err(draw_err)?;
    }

    let one = rgb(OKABE_ITO[5]);
    let zero = rgb(OKABE_ITO[4]);
    let r = (4.0 * s).round().max(2.0) as i32;
    let count = |label: f64| (0..n).filter(|&i| data.y[i] == label).count();
    let ones = (0..n).filter(|&i| data.y[i] == 1.0 && data.x.row(i).iter().all(|v| v.is_finite()));
    let zeros = (0..n).filter(|&i| data.y[i] != 1.0 && data.x.row(i).iter().all(|v| v.is_finite()));
    let pt = |i: usize| (data.x[[i, 0]], data.x[[i, 1]]);
    chart
        .draw_series(zeros.map(|i| {
            let (x, y) = pt(i);
            EmptyElement::at((x, y))
                + plotters::element::Rectangle::new([(-r, -r), (r, r)], zero.filled())
        }))
        .map_err(draw_err)?
        .label(format!("label 0 (same signs): {}", count(0.0)))
        .legend(move |(x, y)| {
            plotters::element::Rectangle::new([(x - r, y - r), (x + r, y + r)], zero.filled())
        });
    chart
        .draw_series(ones.map(|i| Circle::new(pt(i), r + 1, one.filled())))
        .map_err(draw_err)?
        .label(format!("label 1 (signs differ): {}", count(1.0)))
        .legend(move |(x, y)| Circle::new((x, y), r + 1, one.filled()));
    let ring = r + (3.0 * s).round().max(2.0) as i32;
    chart
        .draw_series(
            (0..n)
                .filter(|&i| disagree[i])
                .map(|i| Circle::new(pt(i), ring, INK.stroke_width(((1.5 * s) as u32).max(1)))),
        )
        .map_err(draw_err)?
        .label(format!("label disagrees with quadrant: {wrong}"))
        .legend(move |(x, y)| Circle::new((x, y), ring, INK.stroke_width(1)));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.9))
        .border_style(RGBAColor(0, 0, 0, 0.3))
        .label_font((FONT, fsize(12.0 * s)))
        .draw()
        .map_err(draw_err)?;
    Ok(())
}

/// Renders [`draw_data`] to a PNG [`Figure`] of `width × height`.
///
/// ```
/// use quad_vs_grad::lessons::xor_mlp::data_figure;
/// use quad_vs_grad::prelude::*;
///
/// let fig = data_figure(&Dataset::reference(), "The reference data", 640, 640)?;
/// assert_eq!((fig.width(), fig.height()), (640, 640));
/// # Ok::<(), quad_vs_grad::plot::PlotError>(())
/// ```
///
/// # Errors
/// As [`draw_data`], and [`crate::plot::PlotError::InvalidInput`] for a size out of range.
pub fn data_figure(data: &Dataset, title: &str, width: u32, height: u32) -> Result<Figure> {
    crate::plot::render_png(width, height, |root| draw_data(root, data, title))
}
