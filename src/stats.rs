//! Small summary statistics the lessons share: the median of a sample and
//! the median wall time of repeated calls.

use std::time::Instant;

/// The median of `values`: the middle value after sorting (by
/// `f64::total_cmp`), the mean of the two middle values for an even count,
/// NaN for an empty sample.
pub fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => 0.5 * (v[n / 2 - 1] + v[n / 2]),
    }
}

/// The median wall time, in seconds, of `repeats` calls of `f` (its result
/// kept from the optimiser by `black_box`); NaN when `repeats` is 0.
pub fn median_seconds<T>(repeats: usize, mut f: impl FnMut() -> T) -> f64 {
    let times: Vec<f64> = (0..repeats)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(f());
            t.elapsed().as_secs_f64()
        })
        .collect();
    median(&times)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_of_odd_even_and_empty_samples() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(median(&[]).is_nan());
        assert!(median_seconds(3, || 1 + 1) >= 0.0);
        assert!(median_seconds(0, || ()).is_nan());
    }
}
