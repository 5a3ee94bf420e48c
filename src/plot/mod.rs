//! Figures: the loss landscape with optimizer paths (`paths.png`), its
//! animation (`journey.gif`), loss curves, bake-off bars and curvature maps.
//!
//! # Design
//! - **Data first.** A figure takes precomputed data — a [`LossGrid`] (the
//!   loss on a regular grid over a 2-D slice), a [`CurvatureGrid`] (Hessian
//!   eigenvalues on a grid), and [`Trace`](crate::trace::Trace)s — and never
//!   runs an optimizer. Grids are evaluated once and reused by every figure
//!   and every animation frame.
//! - **Generic drawing.** Every `draw_*` function draws onto a plotters
//!   [`DrawingArea`](plotters::drawing::DrawingArea) of any backend, so one
//!   function feeds PNG, SVG, GIF frames and inline notebook output.
//! - **Thin outputs.** `*_figure` functions render to an in-memory RGB
//!   buffer and encode PNG bytes ([`Figure`]); [`journey_animation`] encodes
//!   an animated GIF ([`Animation`]); `*_svg` functions return SVG text.
//!   Both values display inline in Evcxr (`evcxr_display`) and save atomically.
//! - **Reproducible.** Text is drawn with the embedded DejaVu Sans font
//!   (registered once as the family `"sans-serif"`, see [`ensure_fonts`]),
//!   so a figure has the same bytes on a machine without any system font;
//!   the PNG and GIF encoders are deterministic: same inputs, same bytes.
//! - **Robust.** Non-finite grid values are drawn in a neutral grey, diverged
//!   or non-finite iterates are cut out of a path and everything is clipped
//!   to the view, so a bad run never breaks a figure.
//!
//! # The main job's two files
//! ```no_run
//! use quad_vs_grad::plot::{
//!     journey_animation, paths_figure, view_bounds, AnimationOptions, LossGrid, PathsStyle,
//! };
//! # use quad_vs_grad::prelude::*;
//! # let problem = XorProblem::reference();
//! # let traces: Vec<Trace> = Vec::new();
//! // `traces`: one Trace per optimizer, on a 2-D problem (or projected, see pca_plane).
//! let (xr, yr) = view_bounds(&traces, Some(((-3.0, 3.0), (-3.0, 3.0))), 0.05);
//! let grid = LossGrid::for_problem(&problem, xr, yr, 200)?.with_labels("v1", "v2");
//! paths_figure(&grid, &traces, &PathsStyle::default())?.save("paths.png")?;
//! let opts = AnimationOptions { progress: true, ..AnimationOptions::default() };
//! journey_animation(&grid, &traces, &opts)?.save("journey.gif")?;
//! # Ok::<(), quad_vs_grad::plot::PlotError>(())
//! ```
//!
//! # Performance
//! On the reference problem (release build, one core of a loaded 2-core
//! machine, `examples/main_job_timing.rs`): the 200 × 200 loss grid about 90 ms,
//! `paths.png` about 10 ms, the 120-frame `journey.gif` about 150 ms and
//! under 0.2 MB. The grid is cheap because layers the slice does not move are
//! evaluated once; the GIF because the landscape is drawn once, the palette is
//! fixed and every frame stores only its changed rectangle.
//!
//! # In a notebook
//! ```
//! use quad_vs_grad::prelude::*;
//! use quad_vs_grad::plot::{paths_figure, LossGrid, PathsStyle};
//!
//! let problem = XorProblem::reference();
//! let grid = LossGrid::for_problem(&problem, (-3.0, 3.0), (-3.0, 3.0), 60)?;
//! let fig = paths_figure(&grid, &[], &PathsStyle::default())?;
//! assert_eq!((fig.width(), fig.height()), (960, 720));
//! assert!(fig.bytes().starts_with(b"\x89PNG"));
//! fig.evcxr_display(); // shown inline by Evcxr; plain text elsewhere
//! # Ok::<(), quad_vs_grad::plot::PlotError>(())
//! ```

mod animation;
mod charts;
mod colour;
mod grid;
mod landscape;
mod output;
mod pca;
mod series;

pub use animation::{frame_schedule, journey_animation, AnimationOptions};
pub use charts::{
    bakeoff_figure, bakeoff_svg, condition_figure, condition_svg, draw_bakeoff_bars,
    draw_condition_map, draw_eigen_sign_map, draw_loss_curves, eigen_sign_figure, eigen_sign_svg,
    loss_curves_figure, loss_curves_svg, BakeoffMetric, CurveAxis,
};
pub use colour::{
    format_value, landscape_colour, path_colour, ColourScale, Rgb, NO_VALUE, OKABE_ITO, TABLEAU10,
};
pub use grid::{contour_segments, view_bounds, CurvatureGrid, LossGrid};
pub use landscape::{draw_paths, paths_figure, paths_svg, HeatmapRender, PathsStyle};
pub use output::{render_png, render_svg, Animation, Figure};
pub use pca::{landscape, pca_plane, PcaPlane, PcaProjection};
pub use series::{
    draw_series_chart, series_figure, LegendCorner, Series, SeriesChart, SeriesStyle,
    VerticalMarker,
};
// Drawing helpers shared with the landscapes lessons' figures.
pub(crate) use colour::rgb;
pub(crate) use landscape::{point_runs, INK};

use std::sync::Once;

/// Errors of the plotting layer.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// Drawing on a plotters backend failed.
    #[error("drawing failed: {0}")]
    Drawing(String),
    /// Encoding a PNG or GIF failed.
    #[error("encoding failed: {0}")]
    Encode(String),
    /// The inputs cannot be drawn (wrong dimension, empty grid, …).
    #[error("invalid plot input: {0}")]
    InvalidInput(String),
    /// Evaluating the problem failed.
    #[error(transparent)]
    Problem(#[from] crate::error::Error),
    /// Writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The path involved.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// `Result` of the plotting layer.
pub type Result<T> = std::result::Result<T, PlotError>;

/// Converts any plotters drawing error into [`PlotError::Drawing`].
pub(crate) fn draw_err<E: std::fmt::Display>(e: E) -> PlotError {
    PlotError::Drawing(e.to_string())
}

/// The font family every figure uses; [`ensure_fonts`] binds it to the
/// embedded DejaVu Sans.
pub const FONT: &str = "sans-serif";

static FONTS: Once = Once::new();

/// Registers the embedded DejaVu Sans (regular, bold, oblique) as the font
/// family [`FONT`] (`"sans-serif"`) with plotters, once per process.
///
/// Every figure function calls this; call it yourself only before drawing on
/// a backend with your own code.
pub fn ensure_fonts() {
    use plotters::style::{register_font, FontStyle};
    FONTS.call_once(|| {
        // The bytes are DejaVu's own TTF files compiled into the binary, so
        // parsing cannot fail; if it ever did, text would be missing rather
        // than the program aborting.
        let _ = register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
        let _ = register_font(FONT, FontStyle::Bold, dejavu::sans::bold());
        let _ = register_font(FONT, FontStyle::Oblique, dejavu::sans::oblique());
        let _ = register_font(FONT, FontStyle::Italic, dejavu::sans::oblique());
    });
}
