//! Chapter 15's figure: `φ(α)` and `φ'(α)` along one direction, the
//! Armijo and curvature sets shaded, the steps the line searches pick.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::profile::{LineProfile, Pick};
use crate::plot::colour::{path_colour, rgb};
use crate::plot::draw_err as de;
use crate::plot::kit::INK;
use crate::plot::landscape_figures::{legend, line_chart};
use crate::plot::output::render_png;
use crate::plot::{Figure, PlotError, Result};

const ARMIJO: RGBColor = RGBColor(0x2c, 0xa0, 0x2c);
const CURVATURE: RGBColor = RGBColor(0x1f, 0x4e, 0xb4);
/// The legend's colour for the overlap of the two shades.
const BOTH: RGBColor = RGBColor(0x26, 0x77, 0x70);

fn range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
            (l.min(v), h.max(v))
        });
    if lo.is_finite() && hi > lo {
        let pad = 0.06 * (hi - lo);
        (lo - pad, hi + pad)
    } else {
        (lo - 1.0, lo + 1.0)
    }
}

/// Draws two panels over the same `α` axis: above, `φ(α)` with the Armijo
/// line `φ(0) + c₁ α φ'(0)` and the step each line search picked (one
/// marker each); below, `φ'(α)` with the curvature threshold `c₂ φ'(0)`.
/// The Armijo set is shaded green and the curvature set blue in both panels,
/// so the acceptable steps (the Wolfe set) are where both shades overlap.
///
/// # Errors
/// [`PlotError::InvalidInput`] for an empty profile; [`PlotError::Drawing`]
/// if the backend fails.
pub fn draw_line_profile<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    profile: &LineProfile,
    picks: &[Pick],
    title: &str,
) -> Result<()> {
    let n = profile.alphas.len();
    if n < 2 || profile.phi.len() != n || profile.dphi.len() != n {
        return Err(PlotError::InvalidInput(
            "the profile has fewer than 2 samples".into(),
        ));
    }
    let a_max = profile.alphas[n - 1];
    let (phi0, slope0) = (profile.phi0(), profile.slope0());
    let (top, bottom) = root.split_vertically(root.dim_in_pixel().1 * 58 / 100);
    let shade = |chart: &mut ChartContext<
        '_,
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
                 (lo, hi): (f64, f64),
                 labelled: bool|
     -> Result<()> {
        for (set, colour, name) in [
            (
                &profile.armijo,
                ARMIJO,
                format!("Armijo holds (c₁ = {})", profile.c1),
            ),
            (
                &profile.curvature,
                CURVATURE,
                format!("curvature holds (c₂ = {})", profile.c2),
            ),
        ] {
            let s =
                chart
                    .draw_series(set.iter().map(|&(a, b)| {
                        Rectangle::new([(a, lo), (b, hi)], colour.mix(0.13).filled())
                    }))
                    .map_err(de)?;
            if labelled {
                s.label(name).legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 14, y + 5)], colour.mix(0.3).filled())
                });
            }
        }
        if labelled {
            chart
                .draw_series(std::iter::empty::<Rectangle<(f64, f64)>>())
                .map_err(de)?
                .label("both: the Wolfe set")
                .legend(|(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 14, y + 5)], BOTH.mix(0.45).filled())
                });
        }
        Ok(())
    };

    // φ and the Armijo line.
    let (lo, hi) = range(profile.phi.iter().copied());
    let mut chart = line_chart(&top, title, 0.0..a_max, lo..hi, ("", "φ(α) = f(x + α d)"))?;
    shade(&mut chart, (lo, hi), true)?;
    let curve: Vec<(f64, f64)> = profile
        .alphas
        .iter()
        .copied()
        .zip(profile.phi.iter().copied())
        .collect();
    chart
        .draw_series(LineSeries::new(curve, INK.stroke_width(2)))
        .map_err(de)?
        .label("φ(α)")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], INK.stroke_width(2)));
    let armijo_line: Vec<(f64, f64)> = [0.0, a_max]
        .iter()
        .map(|&a| (a, phi0 + profile.c1 * a * slope0))
        .collect();
    chart
        .draw_series(DashedLineSeries::new(
            armijo_line,
            6,
            4,
            ARMIJO.stroke_width(2),
        ))
        .map_err(de)?
        .label("φ(0) + c₁ α φ'(0)")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], ARMIJO.stroke_width(2)));
    let phi_at = |a: f64| {
        let i = profile.alphas.partition_point(|&x| x < a).min(n - 1);
        profile.phi[i]
    };
    for (k, p) in picks.iter().enumerate() {
        let c = rgb(path_colour(k));
        let pt = (p.alpha, phi_at(p.alpha));
        if !(p.alpha.is_finite() && (0.0..=a_max).contains(&p.alpha)) {
            continue;
        }
        let label = format!(
            "{}: α = {:.3} ({} f + {} ∇f)",
            p.line_search.label(),
            p.alpha,
            p.cost_evals,
            p.gradient_evals
        );
        macro_rules! mark {
            ($shape:expr) => {{
                let shape = $shape;
                chart
                    .draw_series(std::iter::once(EmptyElement::at(pt) + shape(c)))
                    .map_err(de)?
                    .label(label)
                    .legend(move |(x, y)| EmptyElement::at((x + 7, y)) + shape(c));
            }};
        }
        match k % 3 {
            0 => mark!(|c: RGBColor| Circle::new((0, 0), 6, c.filled())),
            1 => mark!(|c: RGBColor| TriangleMarker::new((0, 0), 8, c.filled())),
            _ => mark!(|c: RGBColor| Cross::new((0, 0), 6, c.stroke_width(3))),
        }
    }
    legend(&mut chart, SeriesLabelPosition::UpperRight)?;

    // φ' and the curvature threshold.
    let (lo, hi) = range(profile.dphi.iter().copied().chain([0.0]));
    let mut chart = line_chart(&bottom, "", 0.0..a_max, lo..hi, ("step length α", "φ'(α)"))?;
    shade(&mut chart, (lo, hi), false)?;
    let curve: Vec<(f64, f64)> = profile
        .alphas
        .iter()
        .copied()
        .zip(profile.dphi.iter().copied())
        .collect();
    chart
        .draw_series(LineSeries::new(curve, INK.stroke_width(2)))
        .map_err(de)?
        .label("φ'(α)")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], INK.stroke_width(2)));
    chart
        .draw_series(DashedLineSeries::new(
            vec![(0.0, profile.c2 * slope0), (a_max, profile.c2 * slope0)],
            6,
            4,
            CURVATURE.stroke_width(2),
        ))
        .map_err(de)?
        .label("c₂ φ'(0)")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], CURVATURE.stroke_width(2)));
    chart
        .draw_series(LineSeries::new(
            vec![(0.0, 0.0), (a_max, 0.0)],
            RGBColor(0x99, 0x99, 0x99),
        ))
        .map_err(de)?;
    legend(&mut chart, SeriesLabelPosition::LowerRight)
}

/// PNG of [`draw_line_profile`], `width × height` pixels.
///
/// # Errors
/// As [`draw_line_profile`].
pub fn line_profile_figure(
    profile: &LineProfile,
    picks: &[Pick],
    title: &str,
    width: u32,
    height: u32,
) -> Result<Figure> {
    render_png(width, height, |root| {
        draw_line_profile(root, profile, picks, title)
    })
}
