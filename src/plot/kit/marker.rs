//! Marker shapes that tell optimizers apart besides colour.

use plotters::coord::Shift;
use plotters::element::Polygon;
use plotters::prelude::*;

use crate::plot::error::{draw_err, Result};

/// The marker shapes that tell optimizers apart besides colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Marker {
    Circle,
    Square,
    TriangleUp,
    Diamond,
    TriangleDown,
    Pentagon,
}

impl Marker {
    pub(crate) fn nth(i: usize) -> Self {
        const ALL: [Marker; 6] = [
            Marker::Circle,
            Marker::Square,
            Marker::TriangleUp,
            Marker::Diamond,
            Marker::TriangleDown,
            Marker::Pentagon,
        ];
        ALL[i % ALL.len()]
    }

    fn polygon(self, (cx, cy): (i32, i32), r: f64) -> Vec<(i32, i32)> {
        let pts: Vec<(f64, f64)> = match self {
            Marker::Circle => (0..16)
                .map(|k| std::f64::consts::TAU * k as f64 / 16.0)
                .map(|a| (r * a.cos(), r * a.sin()))
                .collect(),
            Marker::Square => {
                let s = r * 0.85;
                vec![(-s, -s), (s, -s), (s, s), (-s, s)]
            }
            Marker::TriangleUp => vec![(0.0, -1.2 * r), (1.1 * r, 0.75 * r), (-1.1 * r, 0.75 * r)],
            Marker::TriangleDown => {
                vec![(0.0, 1.2 * r), (1.1 * r, -0.75 * r), (-1.1 * r, -0.75 * r)]
            }
            Marker::Diamond => vec![(0.0, -1.25 * r), (r, 0.0), (0.0, 1.25 * r), (-r, 0.0)],
            Marker::Pentagon => (0..5)
                .map(|k| -std::f64::consts::FRAC_PI_2 + std::f64::consts::TAU * k as f64 / 5.0)
                .map(|a| (1.1 * r * a.cos(), 1.1 * r * a.sin()))
                .collect(),
        };
        pts.into_iter()
            .map(|(x, y)| (cx + x.round() as i32, cy + y.round() as i32))
            .collect()
    }

    /// A filled marker with a white rim.
    pub(crate) fn draw<DB: DrawingBackend>(
        self,
        area: &DrawingArea<DB, Shift>,
        at: (i32, i32),
        r: f64,
        colour: &RGBColor,
    ) -> Result<()> {
        area.draw(&Polygon::new(self.polygon(at, r + 1.6), WHITE.filled()))
            .map_err(draw_err)?;
        area.draw(&Polygon::new(self.polygon(at, r), colour.filled()))
            .map_err(draw_err)
    }
}
