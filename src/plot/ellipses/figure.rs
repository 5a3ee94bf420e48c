//! The figure: [`draw_curvature_ellipses`] on any backend, [`curvature_ellipses_figure`]
//! as a PNG, laid out by [`EllipseStyle`].

use ndarray::Array2;
use plotters::coord::Shift;
use plotters::element::PathElement;
use plotters::prelude::*;
use plotters::style::RGBAColor;

use super::geometry::unit_curves;
use super::projection::NamedMatrix;
use crate::plot::colour::{rgb, tick};
use crate::plot::error::{draw_err, PlotError, Result};
use crate::plot::font::FONT;
use crate::plot::kit::{clip_segment, font_scale, fsize, note, titled, INK, MUTED};
use crate::plot::output::Figure;

/// How [`draw_curvature_ellipses`] lays out its figure.
#[derive(Clone, Debug, PartialEq)]
pub struct EllipseStyle {
    /// Title (default `"Curvature ellipses sᵀCs = 1"`).
    pub title: String,
    /// Subtitle, e.g. the point (default empty).
    pub subtitle: String,
    /// Half-width of the square view around `s = 0`; `None` (default): from
    /// the curves (see [`auto_half_width`]).
    pub half_width: Option<f64>,
    /// Draw each matrix's eigenvector axes, dotted, up to its semi-axes
    /// (default `false`).
    pub eigen_axes: bool,
    /// Axis names (default `"s₁"`, `"s₂"`).
    pub axis_labels: (String, String),
}

impl Default for EllipseStyle {
    fn default() -> Self {
        Self {
            title: "Curvature ellipses sᵀCs = 1".into(),
            subtitle: String::new(),
            half_width: None,
            eigen_axes: false,
            axis_labels: ("s₁".into(), "s₂".into()),
        }
    }
}

/// The automatic half-width of the view: 1.15 times the longest finite
/// semi-axis of all matrices, but at most 6 times the longest of each
/// matrix's shortest semi-axis (so one near-singular matrix does not shrink
/// the others to dots); 1 when no matrix has a finite semi-axis.
///
/// # Errors
/// As [`unit_curves`], for each matrix.
pub fn auto_half_width(matrices: &[NamedMatrix]) -> Result<f64> {
    let mut longest = 0.0_f64;
    let mut shortest = 0.0_f64;
    for m in matrices {
        let u = unit_curves(&m.matrix, 1.0)?;
        let axes: Vec<f64> = u
            .semi_axes()
            .into_iter()
            .filter(|v| v.is_finite())
            .collect();
        if let Some(short) = axes.iter().copied().reduce(f64::min) {
            shortest = shortest.max(short);
        }
        longest = axes.iter().copied().fold(longest, f64::max);
    }
    if longest == 0.0 {
        return Ok(1.0);
    }
    Ok(1.15 * longest.min(6.0 * shortest))
}

/// The colour of the `i`-th matrix: a palette distinct on white, cycled.
fn zoo_colour(i: usize) -> RGBColor {
    const ZOO: [[u8; 3]; 7] = [
        [0x22, 0x22, 0x22], // near black
        [0x00, 0x72, 0xb2], // blue
        [0xe6, 0x9f, 0x00], // orange
        [0x00, 0x9e, 0x73], // green
        [0xcc, 0x79, 0xa7], // purple
        [0xd5, 0x5e, 0x00], // vermillion
        [0x56, 0xb4, 0xe9], // sky blue
    ];
    rgb(ZOO[i % ZOO.len()])
}

/// Line width in pixels of the `i`-th matrix: 2 (at font scale 1), or 6
/// when a later matrix coincides with it (`halo`), so the later one is
/// drawn as a thin line inside a wide band of the earlier one's colour and
/// both stay visible (the GGN and the exact Fisher always coincide here).
fn line_width(halo: bool, s: f64) -> u32 {
    ((if halo { 6.0 } else { 2.0 }) * s).round().max(1.0) as u32
}

/// Whether two matrices are equal up to `1e−9` of their size.
fn coincide(a: &Array2<f64>, b: &Array2<f64>) -> bool {
    let scale = a
        .iter()
        .chain(b.iter())
        .fold(0.0_f64, |m, v| m.max(v.abs()));
    a.dim() == b.dim()
        && a.iter()
            .zip(b.iter())
            .all(|(x, y)| (x - y).abs() <= 1e-9 * scale)
}

/// Splits a polyline into dashes of `on` followed by gaps of `off` (data units).
fn dashes(path: &[(f64, f64)], on: f64, off: f64) -> Vec<Vec<(f64, f64)>> {
    let mut out = Vec::new();
    let mut cur = Vec::new();
    let mut pos = 0.0; // position within the on+off period
    let mut drawing = true;
    for w in path.windows(2) {
        let (mut a, b) = (w[0], w[1]);
        let mut len = (b.0 - a.0).hypot(b.1 - a.1);
        if drawing && cur.is_empty() {
            cur.push(a);
        }
        while len > 0.0 {
            let left = if drawing { on - pos } else { on + off - pos };
            if left >= len {
                pos += len;
                if drawing {
                    cur.push(b);
                }
                break;
            }
            let t = left / len;
            let p = (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1));
            if drawing {
                cur.push(p);
                out.push(std::mem::take(&mut cur));
            } else {
                cur = vec![p];
            }
            drawing = !drawing;
            pos = if drawing { 0.0 } else { on };
            len -= left;
            a = p;
        }
    }
    if cur.len() >= 2 {
        out.push(cur);
    }
    out
}

/// Clips a polyline to the square `[−h, h]²`, splitting it where it leaves.
fn clip_path(path: &[(f64, f64)], h: f64) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut cur: Vec<(f64, f64)> = Vec::new();
    for w in path.windows(2) {
        match clip_segment(w[0], w[1], (-h, h), (-h, h)) {
            Some((a, b)) => {
                if cur.last() != Some(&a) {
                    if cur.len() >= 2 {
                        out.push(std::mem::take(&mut cur));
                    }
                    cur = vec![a];
                }
                cur.push(b);
            }
            None => {
                if cur.len() >= 2 {
                    out.push(std::mem::take(&mut cur));
                }
                cur.clear();
            }
        }
    }
    if cur.len() >= 2 {
        out.push(cur);
    }
    out
}

/// Draws the unit curves of every matrix on any plotters backend: a square
/// view with equal axes on the left, each matrix in its own colour (`+1`
/// solid, `−1` dashed, eigenvector axes dotted when
/// [`EllipseStyle::eigen_axes`]; a matrix equal to an earlier one is drawn
/// thin inside a wide band of the earlier one), and on the right a legend with each name,
/// its eigenvalues and what its curve is (see [`UnitCurves::note`](crate::plot::UnitCurves::note)).
///
/// # Errors
/// [`PlotError::InvalidInput`] if there is no matrix, a matrix is not a
/// finite symmetric 2 × 2 matrix, or the half-width is not positive and
/// finite; [`PlotError::Drawing`] if the backend fails.
pub fn draw_curvature_ellipses<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    matrices: &[NamedMatrix],
    style: &EllipseStyle,
) -> Result<()> {
    if matrices.is_empty() {
        return Err(PlotError::InvalidInput("no matrix to draw".into()));
    }
    let h = match style.half_width {
        Some(h) => h,
        None => auto_half_width(matrices)?,
    };
    if !(h.is_finite() && h > 0.0) {
        return Err(PlotError::InvalidInput(format!(
            "the view half-width must be positive and finite, got {h}"
        )));
    }
    let curves = matrices
        .iter()
        .map(|m| unit_curves(&m.matrix, h * std::f64::consts::SQRT_2 * 1.01))
        .collect::<Result<Vec<_>>>()?;

    let area = titled(root, &style.title, &style.subtitle)?;
    let s = font_scale(root);
    let (w, ht) = area.dim_in_pixel();
    let legend_w = ((w as f64 * 0.36).max(200.0 * s) as u32).min(w / 2);
    let side = (w - legend_w).min(ht);
    let (plot_area, rest) = area.split_horizontally(side);
    let plot_area = plot_area.margin(0, 0, 0, 0);
    let label = (44.0 * s) as u32;
    let margin = (10.0 * s) as u32;
    let square = plot_area.margin(0, (ht - side) as i32, 0, 0);
    let mut chart = ChartBuilder::on(&square)
        .margin(margin)
        .x_label_area_size(label)
        .y_label_area_size(label)
        .build_cartesian_2d(-h..h, -h..h)
        .map_err(draw_err)?;
    chart
        .configure_mesh()
        .x_desc(style.axis_labels.0.as_str())
        .y_desc(style.axis_labels.1.as_str())
        .axis_desc_style((FONT, fsize(14.0 * s)))
        .label_style((FONT, fsize(12.0 * s)))
        .x_label_formatter(&|v| tick(*v, 2.0 * h))
        .y_label_formatter(&|v| tick(*v, 2.0 * h))
        .light_line_style(RGBAColor(0, 0, 0, 0.04))
        .bold_line_style(RGBAColor(0, 0, 0, 0.10))
        .axis_style(INK)
        .draw()
        .map_err(draw_err)?;

    // same[i]: the earlier matrix that matrix i coincides with, if any.
    let same: Vec<Option<usize>> = (0..matrices.len())
        .map(|i| (0..i).find(|&j| coincide(&matrices[j].matrix, &matrices[i].matrix)))
        .collect();
    let halo: Vec<bool> = (0..matrices.len())
        .map(|i| same.contains(&Some(i)))
        .collect();
    let (on, off) = (h / 30.0, h / 45.0);
    for (i, u) in curves.iter().enumerate() {
        let colour = zoo_colour(i);
        let lw = line_width(halo[i], s);
        if style.eigen_axes {
            let axes = u.semi_axes();
            for (k, v) in u.eigenvectors.iter().enumerate() {
                let len = if axes[k].is_finite() {
                    axes[k]
                } else {
                    2.0 * h
                };
                let seg = [(-len * v[0], -len * v[1]), (len * v[0], len * v[1])];
                for piece in clip_path(&seg, h) {
                    for d in dashes(&piece, h / 120.0, h / 80.0) {
                        chart
                            .draw_series(std::iter::once(PathElement::new(
                                d,
                                colour.mix(0.6).stroke_width(1),
                            )))
                            .map_err(draw_err)?;
                    }
                }
            }
        }
        for piece in &u.plus {
            for p in clip_path(piece, h) {
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        p,
                        colour.stroke_width(lw),
                    )))
                    .map_err(draw_err)?;
            }
        }
        for piece in &u.minus {
            for p in clip_path(piece, h) {
                for d in dashes(&p, on, off) {
                    chart
                        .draw_series(std::iter::once(PathElement::new(
                            d,
                            colour.stroke_width(lw),
                        )))
                        .map_err(draw_err)?;
                }
            }
        }
    }

    // The legend: a sample line, the name, the eigenvalues and the note.
    let x0 = (12.0 * s) as i32;
    let mut y = (30.0 * s) as i32;
    let size = 13.0 * s;
    for (i, (m, u)) in matrices.iter().zip(&curves).enumerate() {
        let colour = zoo_colour(i);
        let lw = line_width(halo[i], s);
        let seg = (30.0 * s) as i32;
        rest.draw(&PathElement::new(
            vec![(x0, y), (x0 + seg, y)],
            colour.stroke_width(lw),
        ))
        .map_err(draw_err)?;
        note(&rest, &m.name, (x0 + seg + (8.0 * s) as i32, y), size, &INK)?;
        y += (18.0 * s) as i32;
        let eig = format!(
            "λ = {}, {}",
            crate::fmt::three_digits(u.eigenvalues[0]),
            crate::fmt::three_digits(u.eigenvalues[1])
        );
        note(
            &rest,
            &eig,
            (x0 + seg + (8.0 * s) as i32, y),
            0.85 * size,
            &MUTED,
        )?;
        let mut extra = u.note();
        if let Some(j) = same[i] {
            let also = format!("same as {} (thin line inside)", matrices[j].name);
            extra = if extra.is_empty() {
                also
            } else {
                format!("{also}; {extra}")
            };
        }
        if !extra.is_empty() {
            y += (16.0 * s) as i32;
            note(
                &rest,
                &extra,
                (x0 + seg + (8.0 * s) as i32, y),
                0.85 * size,
                &MUTED,
            )?;
        }
        y += (26.0 * s) as i32;
    }
    Ok(())
}

/// [`draw_curvature_ellipses`] as a PNG [`Figure`] of `width × height`.
///
/// ```
/// use quad_vs_grad::plot::{curvature_ellipses_figure, EllipseStyle, NamedMatrix};
/// use quad_vs_grad::prelude::*;
///
/// let zoo = vec![
///     NamedMatrix::new("bowl", array![[2.0, 0.5], [0.5, 1.0]]),
///     NamedMatrix::new("saddle", array![[1.0, 0.0], [0.0, -0.5]]),
/// ];
/// let fig = curvature_ellipses_figure(&zoo, &EllipseStyle::default(), 860, 560)?;
/// assert_eq!((fig.width(), fig.height()), (860, 560));
/// # Ok::<(), quad_vs_grad::plot::PlotError>(())
/// ```
///
/// # Errors
/// As [`draw_curvature_ellipses`], and [`PlotError::InvalidInput`] for a
/// size out of range.
pub fn curvature_ellipses_figure(
    matrices: &[NamedMatrix],
    style: &EllipseStyle,
    width: u32,
    height: u32,
) -> Result<Figure> {
    crate::plot::render_png(width, height, |root| {
        draw_curvature_ellipses(root, matrices, style)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dashes_cover_about_their_share() {
        let path = vec![(0.0, 0.0), (10.0, 0.0)];
        let d = dashes(&path, 1.0, 1.0);
        assert_eq!(d.len(), 5);
        let total: f64 = d.iter().map(|p| p[p.len() - 1].0 - p[0].0).sum();
        assert!((total - 5.0).abs() < 1e-12);
    }

    #[test]
    fn clip_path_splits_at_the_box() {
        let path = vec![(-3.0, 0.0), (3.0, 0.0), (3.0, 5.0), (0.0, 0.5)];
        let c = clip_path(&path, 1.0);
        assert_eq!(c.len(), 2);
        assert_eq!(c[0], vec![(-1.0, 0.0), (1.0, 0.0)]);
    }
}
