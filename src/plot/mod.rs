//! Figures: the loss landscape with optimizer paths (`paths.png`), its
//! animation (`journey.gif`), loss curves, bake-off bars, curvature maps and
//! the curvature ellipses of the curvature zoo.
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
//! - **One loss.** [`LossGrid::for_problem`] takes its values from
//!   [`XorProblem::cost_grid`](crate::problem::XorProblem::cost_grid), the
//!   problem's own loss organised for many points; pictures never carry a
//!   forward pass of their own.
//! - **Robust.** Non-finite grid values are drawn in a neutral grey, diverged
//!   or non-finite iterates are cut out of a path and everything is clipped
//!   to the view, so a bad run never breaks a figure.
//!
//! # Same bytes on every machine
//! The race's iterates are not bit-identical across machines: the MLP's
//! forward pass (matrix products above ndarray's BLAS cut-off) and the
//! Newton-family solves run on OpenBLAS, which picks its kernels per CPU
//! (`OPENBLAS_CORETYPE=Haswell` against `SkylakeX` on one machine changes
//! iterates by up to about 1e−14). Figures must not show it. Before this was
//! handled, 940 pixels of `paths.png` changed between such machines: with 5 %
//! margins the shared start (2, −2) of the reference race lands exactly on
//! a half pixel, so the iterates' last bits decided on which side every path
//! began. Two snaps make the figures independent of those bits:
//!
//! - [`view_bounds`] rounds the view to about a millionth of its span, so
//!   the grid drawn over it, its colour scale and every pixel mapping are
//!   the same on every machine (the grid itself, [`XorProblem::cost_grid`](crate::problem::XorProblem::cost_grid),
//!   uses no BLAS and gives the same values for the same view);
//! - every drawn point of a path or marker is rounded to a pixel through a
//!   lattice of 1/64 pixel (two-stage rounding): a half-pixel tie, which
//!   geometry produces, is decided the same way whatever the last bits,
//!   and the fragile points move to odd multiples of 1/128 pixel, which it
//!   does not produce.
//!
//! A test perturbs every iterate and loss of the reference race by up to
//! 1e−12 relative and requires identical PNG and GIF bytes; the CLI's
//! figures of the output-weight and the hidden-weight slices are identical
//! under every `OPENBLAS_CORETYPE` tried (Prescott, Nehalem, Sandybridge,
//! Haswell, Zen, SkylakeX). What may still differ between machines:
//!
//! - the numbers of an export (`traces.json`, `traces.csv`): iterates and
//!   losses in their last digits, wall times always;
//! - figures of races whose dynamics amplify rounding. On the full network
//!   (`--problem full`, drawn on the PCA plane of its iterates) L-BFGS's
//!   iterates differ by about 1e−5 after 40 steps between Haswell and
//!   SkylakeX kernels, so the plane and the grid over it differ, and
//!   `paths.png` differed in 7 heatmap pixels by one colour unit. Only
//!   keeping BLAS out of the race itself would remove that;
//! - in principle a view or pixel whose exact value falls within the last
//!   bits of a lattice half-step, which nothing in the construction favours.
//!
//! So up-to-date checks may compare the main job's figure bytes exactly;
//! exports must be compared without their timing columns and at a
//! tolerance.
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
//! On the reference problem (release build, `examples/main_job_timing.rs`;
//! about 0.2 s of CPU time for the whole CLI run, spread over the 2 cores of
//! this machine class): the 200 × 200 loss grid of the output-weight slice
//! factorises its exponentials into a factor per column and a factor per row,
//! so a grid point costs a few multiply-adds per example (no `exp`), and shares
//! its rows among the cores; the 120-frame `journey.gif` (under 0.25 MB) draws
//! the landscape once and splits its frames into one contiguous chunk per
//! core. Each frame restores and redraws only what moves (the paths, the step
//! counter, the legend lines whose text changed), quantises to a fixed
//! palette, stores only its changed rectangle and is LZW-compressed by the
//! crate's own encoder (the `gif` crate's bytes, about 5 times faster), all on
//! its chunk's thread; the CLI draws `paths.png` meanwhile on a thread of its
//! own. Drawing the paths (plotters filling the polygons of wide lines) is the
//! largest remaining cost.
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
pub(crate) mod colour;
mod contour;
mod curvature_grid;
mod curvature_maps;
pub mod ellipses;
mod error;
mod field_map;
mod font;
mod gif_frames;
mod gif_lzw;
mod grid;
pub(crate) mod kit;
pub mod landscape_figures;
mod loss_curves;
pub(crate) mod output;
mod paths;
mod pca;
pub mod quadratic_model;
mod series;
mod view;

pub use animation::{frame_schedule, journey_animation, AnimationOptions};
pub use colour::{landscape_colour, path_colour, ColourScale, Rgb, NO_VALUE, OKABE_ITO, TABLEAU10};
pub use contour::contour_segments;
pub use curvature_grid::CurvatureGrid;
pub use curvature_maps::{
    condition_figure, condition_svg, draw_condition_map, draw_eigen_sign_map, eigen_sign_figure,
    eigen_sign_svg,
};
pub use ellipses::{
    auto_half_width, curvature_ellipses_figure, curvature_zoo, draw_curvature_ellipses,
    project_curvature, top_eigen_basis, unit_curves, CurveKind, EllipseStyle, NamedMatrix,
    UnitCurves,
};
pub(crate) use error::draw_err;
pub use error::{PlotError, Result};
pub use field_map::{
    draw_field_map, field_map_figure, FieldLine, FieldLineShape, FieldMap, FieldMark,
    CEILING_COLOUR,
};
pub use font::{ensure_fonts, FONT};
pub use grid::{LossGrid, MAX_GRID_POINTS};
pub use kit::HeatmapRender;
pub use loss_curves::{
    draw_loss_curves, loss_curves_figure, loss_curves_svg, CurveAxis, LOG_AXIS_SPREAD,
};
pub use output::{render_png, render_svg, Animation, Figure};
pub use paths::{draw_paths, paths_figure, paths_svg, PathsStyle};
pub use pca::{path_view, pca_plane, PcaPlane, PcaProjection};
pub use quadratic_model::{ModelCurvature, ModelOverlay, ModelShape, QuadraticModel};
pub use series::{
    draw_series_chart, series_figure, LegendCorner, Series, SeriesChart, SeriesStyle,
    VerticalMarker,
};
pub use view::view_bounds;
