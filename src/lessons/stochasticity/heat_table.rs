//! Heat tables: a table of numbers whose cells are coloured by value, with
//! marked (e.g. diverged) cells and one outlined cell per row (the row's
//! best), several tables side by side on one colour scale. Lesson 10 draws
//! its batch size × damping sweep with it.

use ndarray::Array2;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use crate::plot::colour::{landscape_colour, rgb};
use crate::plot::kit::{centred_line, fit_text, text, INK, MUTED};
use crate::plot::{draw_err, ensure_fonts, render_png, ColourScale, Figure, PlotError, Result};

/// One table of a heat-table figure: `rows × columns` values, each drawn
/// as a cell coloured by its value (NaN: grey) with its label as text.
#[derive(Clone, Debug, PartialEq)]
pub struct HeatTable {
    /// Panel title.
    pub title: String,
    /// Title of the row labels (left of them).
    pub row_title: String,
    /// Title of the column labels (below them).
    pub column_title: String,
    /// Row labels, top to bottom.
    pub rows: Vec<String>,
    /// Column labels, left to right.
    pub columns: Vec<String>,
    /// Values, `rows × columns`; they decide the colours.
    pub values: Array2<f64>,
    /// Cell texts, row by row (`rows · columns` of them).
    pub labels: Vec<String>,
    /// Marked cells, row by row: hatched with a red cross (e.g. a diverged run).
    pub marked: Vec<bool>,
    /// Per row, the column outlined as the row's best (`None`: no best).
    pub best: Vec<Option<usize>>,
    /// Top of the colour scale: larger values get the top colour, so that
    /// one outlier does not wash out the others (`None`: the largest value).
    pub colour_max: Option<f64>,
}

impl HeatTable {
    fn check(&self) -> Result<()> {
        let (r, c) = (self.rows.len(), self.columns.len());
        if r == 0 || c == 0 {
            return Err(PlotError::InvalidInput(format!(
                "heat table `{}` is empty",
                self.title
            )));
        }
        if self.values.dim() != (r, c)
            || self.labels.len() != r * c
            || self.marked.len() != r * c
            || self.best.len() != r
            || self.best.iter().flatten().any(|&j| j >= c)
        {
            return Err(PlotError::InvalidInput(format!(
                "heat table `{}`: values, labels, marks and bests must match {r} rows × {c} columns",
                self.title
            )));
        }
        Ok(())
    }
}

/// Draws `tables` in a grid of `cols` panels per row under `title`, all on
/// one colour scale ([`ColourScale::auto`] from the smallest finite value
/// to the largest, or to the smallest [`HeatTable::colour_max`] if lower: a
/// log scale when they span more than two decades), with a caption line
/// explaining the marks and the colour range.
///
/// # Errors
/// [`PlotError::InvalidInput`] for no tables, `cols == 0` or a table whose
/// parts do not match its shape; drawing errors.
pub fn draw_heat_tables<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    tables: &[HeatTable],
    cols: usize,
    title: &str,
) -> Result<()> {
    if tables.is_empty() || cols == 0 {
        return Err(PlotError::InvalidInput(
            "a heat-table figure needs at least one table and one column".into(),
        ));
    }
    for t in tables {
        t.check()?;
    }
    ensure_fonts();
    root.fill(&WHITE).map_err(draw_err)?;
    let finite = tables
        .iter()
        .flat_map(|t| t.values.iter().copied())
        .filter(|v| v.is_finite());
    let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    let cap = tables
        .iter()
        .filter_map(|t| t.colour_max)
        .filter(|v| v.is_finite())
        .fold(f64::INFINITY, f64::min);
    let hi = if cap > lo { hi.min(cap) } else { hi };
    let scale = ColourScale::auto(lo, hi);
    let (w, h) = root.dim_in_pixel();
    centred_line(root, title, ((w / 2) as i32, 14), 16.0, &INK, true, w - 20)?;
    let caption = format!(
        "colour: value ({} scale, {} dark .. {} and above light); crossed: a run diverged; \
         outlined: best of the row",
        if scale.is_log() { "log" } else { "linear" },
        crate::fmt::compact(scale.range().0),
        crate::fmt::compact(scale.range().1)
    );
    centred_line(
        root,
        &caption,
        ((w / 2) as i32, h as i32 - 11),
        12.0,
        &MUTED,
        false,
        w - 20,
    )?;
    let body = root.margin(30, 24, 4, 4);
    let cols = cols.min(tables.len());
    let n_rows = tables.len().div_ceil(cols);
    let panels = body.split_evenly((n_rows, cols));
    for (panel, table) in panels.iter().zip(tables) {
        draw_one(panel, table, &scale)?;
    }
    Ok(())
}

fn draw_one<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    t: &HeatTable,
    scale: &ColourScale,
) -> Result<()> {
    let (w, h) = area.dim_in_pixel();
    let (r, c) = (t.rows.len(), t.columns.len());
    let (left, top, bottom, right) = (40i32, 22i32, 30i32, 8i32);
    centred_line(
        area,
        &t.title,
        ((w / 2) as i32, 10),
        14.0,
        &INK,
        true,
        w.saturating_sub(8).max(10),
    )?;
    let cw = ((w as i32 - left - right).max(c as i32) / c as i32).max(1);
    let ch = ((h as i32 - top - bottom).max(r as i32) / r as i32).max(1);
    let font = (ch as f64 * 0.42).clamp(8.0, 12.0);
    for i in 0..r {
        let y0 = top + i as i32 * ch;
        text(
            area,
            &t.rows[i],
            (left - 6, y0 + ch / 2),
            12.0,
            &INK,
            HPos::Right,
            VPos::Center,
            false,
        )?;
        for j in 0..c {
            let x0 = left + j as i32 * cw;
            let v = t.values[[i, j]];
            let fill = landscape_colour(scale.t(v));
            area.draw(&Rectangle::new(
                [(x0, y0), (x0 + cw, y0 + ch)],
                rgb(fill).filled(),
            ))
            .map_err(draw_err)?;
            area.draw(&Rectangle::new(
                [(x0, y0), (x0 + cw, y0 + ch)],
                WHITE.stroke_width(1),
            ))
            .map_err(draw_err)?;
            let k = i * c + j;
            if t.marked[k] {
                let red = RGBColor(0xc0, 0x20, 0x20);
                for (a, b) in [
                    ((x0 + 2, y0 + 2), (x0 + cw - 2, y0 + ch - 2)),
                    ((x0 + 2, y0 + ch - 2), (x0 + cw - 2, y0 + 2)),
                ] {
                    area.draw(&PathElement::new(vec![a, b], red.mix(0.35).stroke_width(2)))
                        .map_err(draw_err)?;
                }
            }
            let label = fit_text(area, &t.labels[k], font, false, (cw - 4).max(1) as u32);
            text(
                area,
                &label,
                (x0 + cw / 2, y0 + ch / 2),
                font,
                &INK,
                HPos::Center,
                VPos::Center,
                false,
            )?;
        }
        if let Some(j) = t.best[i] {
            let x0 = left + j as i32 * cw;
            area.draw(&Rectangle::new(
                [(x0 + 1, y0 + 1), (x0 + cw - 1, y0 + ch - 1)],
                INK.stroke_width(3),
            ))
            .map_err(draw_err)?;
        }
    }
    let yb = top + r as i32 * ch;
    for (j, col) in t.columns.iter().enumerate() {
        text(
            area,
            col,
            (left + j as i32 * cw + cw / 2, yb + 8),
            11.0,
            &INK,
            HPos::Center,
            VPos::Center,
            false,
        )?;
    }
    text(
        area,
        &t.column_title,
        (left + c as i32 * cw / 2, yb + 22),
        12.0,
        &MUTED,
        HPos::Center,
        VPos::Center,
        false,
    )?;
    text(
        area,
        &t.row_title,
        (left - 6, top - 8),
        12.0,
        &MUTED,
        HPos::Right,
        VPos::Center,
        false,
    )?;
    Ok(())
}

/// [`draw_heat_tables`] as a PNG [`Figure`] of `width` pixels, the height
/// following from the number of panel rows (about 38 px per table row).
///
/// ```
/// use ndarray::array;
/// use quad_vs_grad::lessons::stochasticity::{heat_table_figure, HeatTable};
/// let t = HeatTable {
///     title: "GD".into(),
///     row_title: "B".into(),
///     column_title: "lr".into(),
///     rows: vec!["5".into(), "50".into()],
///     columns: vec!["0.1".into(), "1".into()],
///     values: array![[0.5, f64::NAN], [0.2, 0.1]],
///     labels: vec!["0.5".into(), "div".into(), "0.2".into(), "0.1".into()],
///     marked: vec![false, true, false, false],
///     best: vec![Some(0), Some(1)],
///     colour_max: None,
/// };
/// let fig = heat_table_figure(&[t], 1, 400, "sweep")?;
/// assert_eq!(fig.width(), 400);
/// # Ok::<(), quad_vs_grad::plot::PlotError>(())
/// ```
///
/// # Errors
/// Those of [`draw_heat_tables`]; a width below 100 pixels.
pub fn heat_table_figure(
    tables: &[HeatTable],
    cols: usize,
    width: u32,
    title: &str,
) -> Result<Figure> {
    if width < 100 || cols == 0 || tables.is_empty() {
        return Err(PlotError::InvalidInput(
            "a heat-table figure needs a width of at least 100 px, tables and columns".into(),
        ));
    }
    let cols = cols.min(tables.len());
    let n_rows = tables.len().div_ceil(cols);
    let per_panel = tables.iter().map(|t| t.rows.len()).max().unwrap_or(1) as u32 * 30 + 56;
    let height = 58 + n_rows as u32 * per_panel;
    render_png(width, height, |root| {
        draw_heat_tables(root, tables, cols, title)
    })
}
