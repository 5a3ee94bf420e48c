//! A plain x–y chart of a few labelled series: measured points, predicted
//! curves, runs that failed, and vertical markers. The course's sweeps
//! (steps to tolerance against the momentum, effective step sizes against
//! the iteration) are drawn with it.

use plotters::coord::ranged1d::ValueFormatter;
use plotters::coord::Shift;
use plotters::prelude::*;
use serde::{Deserialize, Serialize};

use super::colour::path_colour;
use super::colour::rgb;
use super::error::{draw_err, PlotError, Result};
use super::font::FONT;
use super::kit::{font_scale, fsize, INK};
use super::output::Figure;

/// How a [`Series`] is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SeriesStyle {
    /// A line through the points (a prediction).
    Line,
    /// A dot at each point (a measurement).
    Markers,
    /// Both.
    LineAndMarkers,
}

/// One labelled series of a [`SeriesChart`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// Legend text.
    pub label: String,
    /// The points `(x, y)`; non-finite points (and non-positive `y` on a log
    /// axis) break the line and are not drawn.
    pub points: Vec<(f64, f64)>,
    /// x positions where the run failed or diverged: drawn as crosses along
    /// the top edge of the chart, in the series' colour.
    pub failed: Vec<f64>,
    /// Line, markers or both.
    pub style: SeriesStyle,
    /// Index into the path palette ([`super::path_colour`]), so that a
    /// measurement and its prediction can share a colour.
    pub colour: usize,
}

impl Series {
    /// A series of `points` drawn in `style` with palette colour `colour`.
    pub fn new(
        label: impl Into<String>,
        points: Vec<(f64, f64)>,
        style: SeriesStyle,
        colour: usize,
    ) -> Self {
        Self {
            label: label.into(),
            points,
            failed: Vec::new(),
            style,
            colour,
        }
    }

    /// The same series with failed runs at the x positions `failed`.
    pub fn with_failed(mut self, failed: Vec<f64>) -> Self {
        self.failed = failed;
        self
    }
}

/// Where a chart's legend goes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum LegendCorner {
    /// Upper right (the default).
    #[default]
    UpperRight,
    /// Upper left.
    UpperLeft,
    /// Lower left.
    LowerLeft,
    /// Lower right.
    LowerRight,
}

/// A vertical dashed line at `x` with a label (an optimum, a limit).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VerticalMarker {
    /// Where.
    pub x: f64,
    /// What (written next to the line, at the top).
    pub label: String,
}

/// The data of an x–y chart: title, axis names, scale, series and markers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeriesChart {
    /// Title above the chart.
    pub title: String,
    /// Name of the x axis.
    pub x_label: String,
    /// Name of the y axis.
    pub y_label: String,
    /// Logarithmic y axis.
    pub log_y: bool,
    /// The series, drawn in order.
    pub series: Vec<Series>,
    /// Vertical markers.
    pub markers: Vec<VerticalMarker>,
    /// Where the legend goes.
    #[serde(default)]
    pub legend: LegendCorner,
}

impl SeriesChart {
    /// An empty chart with a title and axis names (linear y axis).
    pub fn new(
        title: impl Into<String>,
        x_label: impl Into<String>,
        y_label: impl Into<String>,
    ) -> Self {
        Self {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            log_y: false,
            series: Vec::new(),
            markers: Vec::new(),
            legend: LegendCorner::UpperRight,
        }
    }

    /// The same chart with its legend in `corner`.
    pub fn legend_at(mut self, corner: LegendCorner) -> Self {
        self.legend = corner;
        self
    }

    /// The same chart with a logarithmic y axis.
    pub fn log_y(mut self) -> Self {
        self.log_y = true;
        self
    }

    /// Adds a series.
    pub fn with_series(mut self, series: Series) -> Self {
        self.series.push(series);
        self
    }

    /// Adds a vertical marker.
    pub fn with_marker(mut self, x: f64, label: impl Into<String>) -> Self {
        self.markers.push(VerticalMarker {
            x,
            label: label.into(),
        });
        self
    }

    fn drawable(&self, (_, y): (f64, f64)) -> bool {
        y.is_finite() && (!self.log_y || y > 0.0)
    }

    /// The x and y ranges covering every drawable point, failure and marker.
    fn ranges(&self) -> ((f64, f64), (f64, f64)) {
        let (mut x0, mut x1) = (f64::INFINITY, f64::NEG_INFINITY);
        let (mut y0, mut y1) = (f64::INFINITY, f64::NEG_INFINITY);
        for s in &self.series {
            for &(x, y) in s.points.iter().filter(|p| p.0.is_finite()) {
                if self.drawable((x, y)) {
                    (x0, x1) = (x0.min(x), x1.max(x));
                    (y0, y1) = (y0.min(y), y1.max(y));
                }
            }
            for &x in s.failed.iter().filter(|x| x.is_finite()) {
                (x0, x1) = (x0.min(x), x1.max(x));
            }
        }
        for m in self.markers.iter().filter(|m| m.x.is_finite()) {
            (x0, x1) = (x0.min(m.x), x1.max(m.x));
        }
        if !(x0.is_finite() && x1.is_finite()) {
            (x0, x1) = (0.0, 1.0);
        }
        if x1 <= x0 {
            (x0, x1) = (x0 - 0.5, x1 + 0.5);
        }
        let px = 0.03 * (x1 - x0);
        if !(y0.is_finite() && y1.is_finite()) {
            (y0, y1) = if self.log_y { (0.1, 1.0) } else { (0.0, 1.0) };
        }
        let (y0, y1) = if self.log_y {
            let r = if y1 / y0 < 1.5 { 1.3 } else { 1.6 };
            (y0 / r, y1 * r)
        } else {
            let py = 0.06 * (y1 - y0).max(1e-12);
            (y0 - py, y1 + py)
        };
        ((x0 - px, x1 + px), (y0, y1))
    }
}

/// Draws `chart` on `root`.
///
/// # Errors
/// [`PlotError::Drawing`] if the backend fails.
pub fn draw_series_chart<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &SeriesChart,
) -> Result<()> {
    root.fill(&WHITE).map_err(draw_err)?;
    let fs = font_scale(root);
    let ((x0, x1), (y0, y1)) = chart.ranges();
    let builder = |root| {
        let mut b = ChartBuilder::on(root);
        b.caption(chart.title.as_str(), (FONT, fsize(20.0 * fs)))
            .margin((14.0 * fs) as i32)
            .x_label_area_size((44.0 * fs) as i32)
            .y_label_area_size((70.0 * fs) as i32);
        b
    };
    if chart.log_y {
        let mut c = builder(root)
            .build_cartesian_2d(x0..x1, (y0..y1).log_scale())
            .map_err(draw_err)?;
        mesh(&mut c, chart, fs)?;
        draw_body(&mut c, chart, y1, fs)
    } else {
        let mut c = builder(root)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(draw_err)?;
        mesh(&mut c, chart, fs)?;
        draw_body(&mut c, chart, y1, fs)
    }
}

fn mesh<'a, DB, X, Y>(
    c: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    chart: &SeriesChart,
    fs: f64,
) -> Result<()>
where
    DB: DrawingBackend + 'a,
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    c.configure_mesh()
        .x_desc(chart.x_label.as_str())
        .y_desc(chart.y_label.as_str())
        .axis_desc_style((FONT, fsize(14.0 * fs)))
        .label_style((FONT, fsize(13.0 * fs)))
        .x_label_formatter(&|v| tick(*v))
        .y_label_formatter(&|v| tick(*v))
        .light_line_style(RGBAColor(0, 0, 0, 0.05))
        .bold_line_style(RGBAColor(0, 0, 0, 0.12))
        .axis_style(INK)
        .draw()
        .map_err(draw_err)
}

/// A tick label: whole numbers without decimals, others as [`crate::fmt::compact`]
/// (a tick at `1e−10` on a log axis is not the whole number 0).
fn tick(v: f64) -> String {
    let whole = v == 0.0 || (v.abs() >= 1.0 && (v - v.round()).abs() < 1e-9 * v.abs());
    if v.abs() < 1e6 && whole {
        format!("{v:.0}")
    } else {
        crate::fmt::compact(v)
    }
}

fn draw_body<'a, DB, X, Y>(
    c: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    chart: &SeriesChart,
    top: f64,
    fs: f64,
) -> Result<()>
where
    DB: DrawingBackend + 'a,
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    let (_, y_range) = chart.ranges();
    for m in chart.markers.iter().filter(|m| m.x.is_finite()) {
        let grey = RGBColor(0x66, 0x66, 0x66);
        let n = 24;
        let dashes = (0..n).step_by(2).map(|i| {
            let t = |k: usize| {
                let f = k as f64 / n as f64;
                if chart.log_y {
                    (y_range.0.ln() + f * (y_range.1.ln() - y_range.0.ln())).exp()
                } else {
                    y_range.0 + f * (y_range.1 - y_range.0)
                }
            };
            PathElement::new([(m.x, t(i)), (m.x, t(i + 1))], grey.stroke_width(2))
        });
        c.draw_series(dashes).map_err(draw_err)?;
        c.draw_series(std::iter::once(Text::new(
            m.label.clone(),
            (m.x, top),
            (FONT, fsize(13.0 * fs)).into_font().color(&INK),
        )))
        .map_err(draw_err)?;
    }
    for s in &chart.series {
        let colour = rgb(path_colour(s.colour));
        let ok = |p: &&(f64, f64)| p.0.is_finite() && chart.drawable(**p);
        let line = matches!(s.style, SeriesStyle::Line | SeriesStyle::LineAndMarkers);
        let dots = matches!(s.style, SeriesStyle::Markers | SeriesStyle::LineAndMarkers);
        let mut labelled = false;
        if line {
            // Break the line at undrawable points.
            let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
            for p in &s.points {
                if ok(&p) {
                    if let Some(r) = runs.last_mut() {
                        r.push(*p);
                    }
                } else if runs.last().is_some_and(|r| !r.is_empty()) {
                    runs.push(Vec::new());
                }
            }
            for r in runs.into_iter().filter(|r| !r.is_empty()) {
                let drawn = c
                    .draw_series(LineSeries::new(r, colour.stroke_width(2)))
                    .map_err(draw_err)?;
                if !labelled {
                    drawn.label(s.label.clone()).legend(move |(x, y)| {
                        PathElement::new([(x, y), (x + 20, y)], colour.stroke_width(2))
                    });
                    labelled = true;
                }
            }
        }
        if dots {
            let drawn = c
                .draw_series(
                    s.points
                        .iter()
                        .filter(ok)
                        .map(|&p| Circle::new(p, 4, colour.filled())),
                )
                .map_err(draw_err)?;
            if !labelled {
                drawn
                    .label(s.label.clone())
                    .legend(move |(x, y)| Circle::new((x + 10, y), 4, colour.filled()));
            }
        }
        if !s.failed.is_empty() {
            let drawn = c
                .draw_series(
                    s.failed
                        .iter()
                        .filter(|x| x.is_finite())
                        .map(|&x| Cross::new((x, top), 5, colour.stroke_width(2))),
                )
                .map_err(draw_err)?;
            let text = format!("{}: diverged", s.label);
            drawn
                .label(text)
                .legend(move |(x, y)| Cross::new((x + 10, y), 5, colour.stroke_width(2)));
        }
    }
    c.configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(0xcc, 0xcc, 0xcc))
        .label_font((FONT, fsize(13.0 * fs)))
        .position(match chart.legend {
            LegendCorner::UpperRight => SeriesLabelPosition::UpperRight,
            LegendCorner::UpperLeft => SeriesLabelPosition::UpperLeft,
            LegendCorner::LowerLeft => SeriesLabelPosition::LowerLeft,
            LegendCorner::LowerRight => SeriesLabelPosition::LowerRight,
        })
        .draw()
        .map_err(draw_err)
}

/// PNG of [`draw_series_chart`], `width × height` pixels.
///
/// # Errors
/// [`PlotError::InvalidInput`] for an impossible size; [`PlotError::Drawing`]
/// if drawing fails.
pub fn series_figure(chart: &SeriesChart, width: u32, height: u32) -> Result<Figure> {
    if chart.series.is_empty() {
        return Err(PlotError::InvalidInput(format!(
            "the chart `{}` has no series to draw",
            chart.title
        )));
    }
    super::render_png(width, height, |root| draw_series_chart(root, chart))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart() -> SeriesChart {
        SeriesChart::new("steps against β", "β", "steps")
            .log_y()
            .with_series(
                Series::new(
                    "measured",
                    vec![(0.1, 100.0), (0.5, 40.0), (0.9, f64::NAN)],
                    SeriesStyle::Markers,
                    1,
                )
                .with_failed(vec![0.0]),
            )
            .with_series(Series::new(
                "predicted",
                vec![(0.1, 90.0), (0.5, 35.0), (0.9, 0.0)],
                SeriesStyle::Line,
                1,
            ))
            .with_marker(0.5, "β*")
    }

    #[test]
    fn small_ticks_are_not_rounded_to_zero() {
        assert_eq!(tick(1e-10), "1e-10");
        assert_eq!(tick(0.0), "0");
        assert_eq!(tick(3.0), "3");
        assert_eq!(tick(-12.0), "-12");
        assert_eq!(tick(0.5), "0.5");
    }

    #[test]
    fn ranges_cover_points_failures_and_markers() {
        let ((x0, x1), (y0, y1)) = chart().ranges();
        assert!(x0 < 0.0 && x1 > 0.5, "{x0} {x1}");
        // Log axis: the NaN and the 0 are left out, 35..100 is padded.
        assert!(y0 > 0.0 && y0 < 35.0 && y1 > 100.0, "{y0} {y1}");
    }

    #[test]
    fn draws_deterministic_png() {
        let a = series_figure(&chart(), 640, 400).unwrap();
        let b = series_figure(&chart(), 640, 400).unwrap();
        assert!(a.bytes().starts_with(b"\x89PNG"));
        assert_eq!(a, b);
        let linear = SeriesChart {
            log_y: false,
            ..chart()
        };
        assert!(series_figure(&linear, 640, 400).is_ok());
        assert!(series_figure(&SeriesChart::new("empty", "x", "y"), 640, 400).is_err());
    }
}
