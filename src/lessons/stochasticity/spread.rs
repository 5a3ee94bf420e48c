//! Quantiles of a sample, [`Spread`], as the tables report them.

use serde::{Deserialize, Serialize};

/// Quantiles of a sample: minimum, 10 %, median, 90 %, maximum
/// (nearest-rank on the sorted sample; NaN for an empty one).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    /// Smallest value.
    pub min: f64,
    /// 10 % quantile.
    pub q10: f64,
    /// Median.
    pub median: f64,
    /// 90 % quantile.
    pub q90: f64,
    /// Largest value.
    pub max: f64,
}

impl Spread {
    /// All quantiles NaN: the spread of no sample (the default of fields
    /// read from records written before they existed).
    pub fn empty() -> Self {
        Self::of(&[])
    }

    /// The quantiles of `values` (NaNs sort last).
    pub fn of(values: &[f64]) -> Self {
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        let at = |q: f64| {
            if v.is_empty() {
                f64::NAN
            } else {
                v[((q * (v.len() - 1) as f64).round() as usize).min(v.len() - 1)]
            }
        };
        Self {
            min: at(0.0),
            q10: at(0.1),
            median: at(0.5),
            q90: at(0.9),
            max: at(1.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_quantiles() {
        let s = Spread::of(&[3.0, 1.0, 2.0, 5.0, 4.0]);
        assert_eq!((s.min, s.median, s.max), (1.0, 3.0, 5.0));
        assert!(Spread::of(&[]).median.is_nan());
    }
}
