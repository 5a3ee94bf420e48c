//! The drawing kit every figure of the crate uses: text, markers, the
//! layout of a landscape figure, the heatmap, the colour bar, the legend and
//! pixel geometry (clipping, machine-independent snapping).
//!
//! Everything here is crate-internal; figures are the public face.

mod chart;
mod colour_bar;
mod geometry;
mod heatmap;
mod layout;
mod legend;
mod marker;
mod text;

pub(crate) use chart::{book_scale, draw_map_axes, font_scale, titled};
pub(crate) use colour_bar::draw_colour_bar;
pub(crate) use geometry::{
    clip_segment, coincident_dashes, dash_patterns, point_runs, split_sharp_turns,
};
pub use heatmap::HeatmapRender;
pub(crate) use heatmap::{blend_lines, draw_heatmap};
pub(crate) use layout::Layout;
pub(crate) use legend::{
    draw_legend, draw_legend_detail, draw_legend_details, legend_detail, run_summary, LegendKey,
};
pub(crate) use marker::Marker;
pub(crate) use text::{centred_line, fit_text, fsize, note, text, text_width, INK, MUTED};
