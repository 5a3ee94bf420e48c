//! Colours: qualitative palettes for optimizers, the landscape colour map and
//! the value-to-colour scale.

use plotters::style::RGBColor;

/// An opaque 8-bit RGB colour.
pub type Rgb = [u8; 3];

/// Tableau 10 (Tableau's 2016 default qualitative palette), minus its grey.
/// Saturated and mutually distinct; used for optimizer paths.
pub const TABLEAU10: [Rgb; 9] = [
    [0x4e, 0x79, 0xa7], // blue
    [0xe1, 0x57, 0x59], // red
    [0xf2, 0x8e, 0x2b], // orange
    [0x59, 0xa1, 0x4f], // green
    [0xb0, 0x7a, 0xa1], // purple
    [0x9c, 0x75, 0x5f], // brown
    [0xff, 0x9d, 0xa7], // pink
    [0x76, 0xb7, 0xb2], // teal
    [0xed, 0xc9, 0x48], // yellow
];

/// Okabe & Ito's colour-blind-safe palette (2008), without black.
pub const OKABE_ITO: [Rgb; 7] = [
    [0xe6, 0x9f, 0x00], // orange
    [0x56, 0xb4, 0xe9], // sky blue
    [0x00, 0x9e, 0x73], // bluish green
    [0xf0, 0xe4, 0x42], // yellow
    [0x00, 0x72, 0xb2], // blue
    [0xd5, 0x5e, 0x00], // vermillion
    [0xcc, 0x79, 0xa7], // reddish purple
];

/// The colour of the `i`-th optimizer: a palette that reads well on the
/// light landscape (strong, darkish hues first), cycled for more than ten.
pub fn path_colour(i: usize) -> Rgb {
    const PATHS: [Rgb; 10] = [
        [0xd6, 0x27, 0x28], // red
        [0x1f, 0x4e, 0xb4], // blue
        [0xff, 0x7f, 0x0e], // orange
        [0x2c, 0xa0, 0x2c], // green
        [0x94, 0x3f, 0xbd], // purple
        [0x8c, 0x56, 0x4b], // brown
        [0xe3, 0x37, 0xc2], // magenta
        [0x11, 0x11, 0x11], // black
        [0x17, 0xa5, 0xb8], // cyan
        [0x80, 0x80, 0x00], // olive
    ];
    PATHS[i % PATHS.len()]
}

/// Converts to plotters' colour type.
pub(crate) fn rgb(c: Rgb) -> RGBColor {
    RGBColor(c[0], c[1], c[2])
}

/// The 11 samples of matplotlib's *viridis* at `t = 0, 0.1, …, 1`
/// (van der Walt & Smith, 2015), perceptually uniform and colour-blind safe.
const VIRIDIS: [Rgb; 11] = [
    [0x44, 0x01, 0x54],
    [0x48, 0x24, 0x75],
    [0x41, 0x44, 0x87],
    [0x35, 0x5f, 0x8d],
    [0x2a, 0x78, 0x8e],
    [0x21, 0x91, 0x8c],
    [0x22, 0xa8, 0x84],
    [0x44, 0xbf, 0x70],
    [0x7a, 0xd1, 0x51],
    [0xbd, 0xdf, 0x26],
    [0xfd, 0xe7, 0x25],
];

/// How much of white is mixed into the landscape colour map, so that the
/// saturated path colours stand out against it.
const LIGHTEN: f64 = 0.42;

/// The landscape colour at `t ∈ [0, 1]` (clamped; NaN gives the "no value"
/// grey): viridis lightened towards white by a fixed fraction.
pub fn landscape_colour(t: f64) -> Rgb {
    if t.is_nan() {
        return NO_VALUE;
    }
    let t = t.clamp(0.0, 1.0) * (VIRIDIS.len() - 1) as f64;
    let i = (t.floor() as usize).min(VIRIDIS.len() - 2);
    let f = t - i as f64;
    let mut out = [0u8; 3];
    for c in 0..3 {
        let v = VIRIDIS[i][c] as f64 * (1.0 - f) + VIRIDIS[i + 1][c] as f64 * f;
        let v = v * (1.0 - LIGHTEN) + 255.0 * LIGHTEN;
        out[c] = v.round().clamp(0.0, 255.0) as u8;
    }
    out
}

/// Colour of grid cells whose value is not finite.
pub const NO_VALUE: Rgb = [0xbb, 0xbb, 0xbb];

/// Maps values to `[0, 1]` for the colour map.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ColourScale {
    /// `t = (v − lo) / (hi − lo)`.
    Linear {
        /// Value at the bottom of the colour map.
        lo: f64,
        /// Value at the top.
        hi: f64,
    },
    /// `t = (log₁₀ v − log₁₀ lo) / (log₁₀ hi − log₁₀ lo)`, for positive
    /// values spanning orders of magnitude (losses near zero).
    Log {
        /// Value at the bottom (positive).
        lo: f64,
        /// Value at the top (positive).
        hi: f64,
    },
}

impl ColourScale {
    /// A scale for the finite values in `[lo, hi]`: logarithmic when the
    /// values are positive and span more than two orders of magnitude
    /// (a loss landscape with a near-zero valley), linear otherwise.
    /// A degenerate range is widened so that `t` is always defined.
    pub fn auto(lo: f64, hi: f64) -> Self {
        let (lo, hi) = if lo.is_finite() && hi.is_finite() {
            (lo.min(hi), lo.max(hi))
        } else {
            (0.0, 1.0)
        };
        if lo > 0.0 && hi / lo > 100.0 {
            return Self::Log { lo, hi };
        }
        if hi - lo <= f64::EPSILON * hi.abs().max(1.0) {
            let pad = 0.5 * hi.abs().max(1e-3);
            return Self::Linear {
                lo: lo - pad,
                hi: hi + pad,
            };
        }
        Self::Linear { lo, hi }
    }

    /// Position of `v` on the colour map (unclamped; NaN for NaN or for
    /// non-positive values on a log scale).
    pub fn t(&self, v: f64) -> f64 {
        match *self {
            Self::Linear { lo, hi } => (v - lo) / (hi - lo),
            Self::Log { lo, hi } => {
                if v <= 0.0 {
                    f64::NAN
                } else {
                    (v.log10() - lo.log10()) / (hi.log10() - lo.log10())
                }
            }
        }
    }

    /// The value at position `t` (inverse of [`ColourScale::t`]).
    pub fn value(&self, t: f64) -> f64 {
        match *self {
            Self::Linear { lo, hi } => lo + t * (hi - lo),
            Self::Log { lo, hi } => 10f64.powf(lo.log10() + t * (hi.log10() - lo.log10())),
        }
    }

    /// The range `(lo, hi)`.
    pub fn range(&self) -> (f64, f64) {
        match *self {
            Self::Linear { lo, hi } | Self::Log { lo, hi } => (lo, hi),
        }
    }

    /// `true` for [`ColourScale::Log`].
    pub fn is_log(&self) -> bool {
        matches!(self, Self::Log { .. })
    }

    /// About `n` "nice" levels strictly inside the range, for iso-lines and
    /// colour-bar ticks: multiples of 1, 2 or 5 × 10ᵏ on a linear scale;
    /// 1, 2, 5 × 10ᵏ (or all of 1…9 × 10ᵏ when few decades) on a log scale.
    pub fn nice_levels(&self, n: usize) -> Vec<f64> {
        let n = n.max(2);
        let (lo, hi) = self.range();
        match self {
            Self::Linear { .. } => {
                let step = nice_step((hi - lo) / n as f64);
                if step.is_nan() || step <= 0.0 || !step.is_finite() {
                    return Vec::new();
                }
                let first = (lo / step).floor() as i64 + 1;
                let mut out = Vec::new();
                let mut k = first;
                loop {
                    let v = k as f64 * step;
                    if v >= hi || out.len() > 4 * n {
                        break;
                    }
                    if v > lo {
                        // Round away representation noise (0.30000000000000004).
                        out.push((v / step).round() * step);
                    }
                    k += 1;
                }
                out
            }
            Self::Log { .. } => {
                let decades = hi.log10() - lo.log10();
                let mantissas: &[f64] = if decades <= 1.5 {
                    &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]
                } else if decades <= n as f64 / 2.0 {
                    &[1.0, 2.0, 5.0]
                } else {
                    &[1.0]
                };
                let mut out = Vec::new();
                let mut e = lo.log10().floor() as i32;
                while (e as f64) <= hi.log10().ceil() {
                    for m in mantissas {
                        let v = m * 10f64.powi(e);
                        if v > lo && v < hi {
                            out.push(v);
                        }
                    }
                    e += 1;
                }
                out
            }
        }
    }
}

/// The smallest of 1, 2, 2.5, 5 × 10ᵏ that is at least `raw`.
pub(crate) fn nice_step(raw: f64) -> f64 {
    if raw.is_nan() || raw <= 0.0 || !raw.is_finite() {
        return 0.0;
    }
    let e = raw.log10().floor();
    let base = 10f64.powf(e);
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if m * base >= raw * (1.0 - 1e-12) {
            return m * base;
        }
    }
    10.0 * base
}

/// A tick label on an axis spanning `span`: values within `1e-9 · span` of
/// zero are printed as `0` (axis arithmetic leaves `5.6e-17` behind).
pub fn tick(v: f64, span: f64) -> String {
    if v.abs() <= 1e-9 * span.abs() {
        "0".into()
    } else {
        crate::fmt::compact(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_map_endpoints_and_nan() {
        assert_eq!(landscape_colour(f64::NAN), NO_VALUE);
        assert_eq!(landscape_colour(-1.0), landscape_colour(0.0));
        assert_eq!(landscape_colour(2.0), landscape_colour(1.0));
        // Dark end darker than the bright end.
        let d = landscape_colour(0.0).iter().map(|&c| c as u32).sum::<u32>();
        let b = landscape_colour(1.0).iter().map(|&c| c as u32).sum::<u32>();
        assert!(d < b);
    }

    #[test]
    fn auto_scale_switches_to_log_for_wide_positive_ranges() {
        assert!(ColourScale::auto(0.001, 3.0).is_log());
        assert!(!ColourScale::auto(0.68, 3.0).is_log());
        assert!(!ColourScale::auto(-1.0, 3.0).is_log());
        let s = ColourScale::auto(2.0, 2.0);
        let (lo, hi) = s.range();
        assert!(lo < 2.0 && hi > 2.0);
        let s = ColourScale::auto(0.01, 10.0);
        assert!((s.t(0.01)).abs() < 1e-12 && (s.t(10.0) - 1.0).abs() < 1e-12);
        assert!((s.value(s.t(0.3)) - 0.3).abs() < 1e-12);
    }

    #[test]
    fn nice_levels_are_inside_and_round() {
        let s = ColourScale::Linear {
            lo: 0.687,
            hi: 2.93,
        };
        let lv = s.nice_levels(10);
        assert!(lv.len() >= 5 && lv.len() <= 20, "{lv:?}");
        assert!(lv.iter().all(|&v| v > 0.687 && v < 2.93));
        assert!(lv.contains(&1.0), "{lv:?}");
        let s = ColourScale::Log { lo: 0.004, hi: 3.0 };
        let lv = s.nice_levels(10);
        assert!(lv.contains(&0.01) && lv.contains(&1.0), "{lv:?}");
    }

    #[test]
    fn value_labels() {
        assert_eq!(crate::fmt::compact(0.6870123), "0.687");
        assert_eq!(crate::fmt::compact(2.5), "2.5");
        assert_eq!(crate::fmt::compact(1234.0), "1234");
        assert_eq!(crate::fmt::compact(1.0e-5), "1e-5");
        assert_eq!(crate::fmt::compact(0.0), "0");
    }
}
