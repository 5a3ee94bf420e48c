//! Where everything of a landscape figure is, in pixels.

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::geometry::snap_px;

/// Where everything of a landscape figure is, in pixels; shared by the
/// static figure and every animation frame.
#[derive(Clone, Debug)]
pub(crate) struct Layout {
    /// Plot rectangle `[left, right) × [top, bottom)`.
    pub left: i32,
    pub top: i32,
    pub right: i32,
    pub bottom: i32,
    pub x_range: (f64, f64),
    pub y_range: (f64, f64),
    /// Legend: left edge, first entry's top, entry height, entry width.
    pub legend_x: i32,
    pub legend_y: i32,
    pub legend_dy: i32,
    pub legend_w: i32,
    /// Whether the legend has a second (detail) line per entry.
    pub legend_detail: bool,
    /// Number of legend entries drawn (the rest are summarised).
    pub legend_shown: usize,
    /// Centre of the subtitle line (the animation's step counter).
    pub subtitle_at: (i32, i32),
    /// Font scale relative to a 720-pixel-high image.
    pub font_scale: f64,
}

impl Layout {
    /// The plotting rectangle of `chart` in `root`'s pixels, with the
    /// chart's data ranges and no legend.
    pub fn of_chart<DB: DrawingBackend>(
        root: &DrawingArea<DB, Shift>,
        chart: &ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
        font_scale: f64,
    ) -> Self {
        let (xr, yr) = chart.plotting_area().get_pixel_range();
        let (bx, by) = root.get_base_pixel();
        let (x, y) = (chart.x_range(), chart.y_range());
        Self {
            left: xr.start - bx,
            top: yr.start - by,
            right: xr.end - bx,
            bottom: yr.end - by,
            x_range: (x.start, x.end),
            y_range: (y.start, y.end),
            legend_x: 0,
            legend_y: 0,
            legend_dy: 0,
            legend_w: 0,
            legend_detail: false,
            legend_shown: 0,
            subtitle_at: (0, 0),
            font_scale,
        }
    }

    /// Data → pixel (not rounded).
    pub fn to_px(&self, (x, y): (f64, f64)) -> (f64, f64) {
        let (x0, x1) = self.x_range;
        let (y0, y1) = self.y_range;
        let fx = (x - x0) / (x1 - x0);
        let fy = (y - y0) / (y1 - y0);
        (
            self.left as f64 + fx * (self.right - self.left - 1) as f64,
            (self.bottom - 1) as f64 - fy * (self.bottom - self.top - 1) as f64,
        )
    }

    /// Data → pixel, rounded by [`snap_px`] so that the last bits of `p`
    /// (which differ between machines) never move a pixel.
    pub fn px(&self, p: (f64, f64)) -> (i32, i32) {
        let (a, b) = self.to_px(p);
        (snap_px(a), snap_px(b))
    }

    /// Whether `(x, y)` lies in the data ranges of the view.
    pub fn inside(&self, (x, y): (f64, f64)) -> bool {
        x >= self.x_range.0 && x <= self.x_range.1 && y >= self.y_range.0 && y <= self.y_range.1
    }

    /// The rectangle of legend entry `i`'s detail line (for per-frame text).
    pub fn detail_rect(&self, i: usize) -> ((i32, i32), (i32, i32)) {
        let y = self.legend_y + i as i32 * self.legend_dy;
        (
            (self.legend_x + 34, y + self.legend_dy / 2 - 1),
            (self.legend_x + self.legend_w, y + self.legend_dy - 2),
        )
    }
}
