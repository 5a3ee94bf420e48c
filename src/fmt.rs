//! Numbers as text: every formatter the crate's tables, messages, legends
//! and figure labels use, in one place, so one kind of number always reads
//! the same way.
//!
//! | function | for | examples |
//! |---|---|---|
//! | [`number`] | messages and labels: the shortest exact form | `0.8`, `-1e300`, `2.5e-7` |
//! | [`decimals`] | table columns: fixed decimals, scientific when far from 1 | `0.689869`, `1.150e-5` |
//! | [`sci`] | table columns of small quantities | `1.15e-5` |
//! | [`compact`] | axis ticks and colour bars: up to 4 significant digits | `0.0316`, `1e-5` |
//! | [`three_digits`] | eigenvalues in legends: 3 significant digits | `0.0803`, `1.23e4` |
//! | [`loss`] | a loss in a legend: 4 decimals | `0.6899`, `3.20e-5` |
//! | [`param`] | a hyperparameter in a table | `0.001`, `10`, `1e-5` |
//! | [`rank`] | a rank that may be a tie | `3`, `3.5` |
//! | [`seconds`] | a wall time | `12.0 µs`, `1.23 ms`, `4.50 s` |
//! | [`duration`] | a long duration for people | `3.5 min`, `12 days`, `3 million years` |
//! | [`bytes`] | a memory size, decimal units | `8.0 MB`, `2.0 GB` |

/// A number for a message or a label, never longer than one short line:
/// plain (`0.8`, `-2`, `1000`) for `1e-4 ≤ |v| < 1e6` and zero, scientific
/// otherwise (`1e300`, `-2.5e-7`); `NaN`, `inf`, `-inf` as Rust prints them.
///
/// ```
/// use quad_vs_grad::fmt::number;
/// assert_eq!(number(0.8), "0.8");
/// assert_eq!(number(-1e300), "-1e300");
/// assert_eq!(number(f64::MAX), "1.7976931348623157e308");
/// assert_eq!(number(2.5e-7), "2.5e-7");
/// ```
pub fn number(v: f64) -> String {
    if !v.is_finite() || v == 0.0 || (1e-4..1e6).contains(&v.abs()) {
        format!("{v}")
    } else {
        format!("{v:e}")
    }
}

/// `v` with `decimals` decimals when `1e-3 ≤ |v| < 1e6` (or zero), else
/// scientific with 3 decimals; non-finite values as Rust prints them.
///
/// ```
/// use quad_vs_grad::fmt::decimals;
/// assert_eq!(decimals(0.68986912, 6), "0.689869");
/// assert_eq!(decimals(1.15e-5, 6), "1.150e-5");
/// ```
pub fn decimals(v: f64, decimals: usize) -> String {
    if v.is_finite() && v != 0.0 && !(1e-3..1e6).contains(&v.abs()) {
        format!("{v:.3e}")
    } else if v.is_finite() {
        format!("{v:.decimals$}")
    } else {
        format!("{v}")
    }
}

/// Scientific with 2 decimals (`1.15e-5`); non-finite values as Rust
/// prints them.
pub fn sci(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.2e}")
    } else {
        format!("{v}")
    }
}

/// A compact label for a value: up to 4 significant digits, scientific
/// notation outside `[1e-3, 1e5)`.
///
/// ```
/// use quad_vs_grad::fmt::compact;
/// assert_eq!(compact(0.031623), "0.03162");
/// assert_eq!(compact(1e-5), "1e-5");
/// assert_eq!(compact(250.0), "250");
/// ```
pub fn compact(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    if !v.is_finite() {
        return format!("{v}");
    }
    let a = v.abs();
    if !(1e-3..1e5).contains(&a) {
        let s = format!("{v:.1e}");
        return s.replace(".0e", "e");
    }
    let digits = (3 - a.log10().floor() as i32).clamp(0, 6) as usize;
    let s = format!("{v:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Three significant digits (`0.0803`, `12.3`), scientific outside
/// `[1e-3, 1e4)`; `0` for zero.
pub fn three_digits(v: f64) -> String {
    if v == 0.0 {
        "0".into()
    } else if (1e-3..1e4).contains(&v.abs()) {
        let digits = (2 - v.abs().log10().floor() as i32).max(0) as usize;
        format!("{v:.digits$}")
    } else {
        format!("{v:.2e}")
    }
}

/// A loss with 4 decimals, or 3 significant digits when tiny (`3.20e-5`).
pub fn loss(v: f64) -> String {
    if v.is_finite() && v.abs() < 1e-3 && v != 0.0 {
        format!("{v:.2e}")
    } else {
        format!("{v:.4}")
    }
}

/// A hyperparameter value as the tables print it (`0.001`, `0.0316`, `10`).
///
/// ```
/// use quad_vs_grad::fmt::param;
/// assert_eq!(param(0.001), "0.001");
/// assert_eq!(param(10.0), "10");
/// assert_eq!(param(1e-5), "1e-5");
/// ```
pub fn param(v: f64) -> String {
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "0" {
        format!("{v:.0e}")
    } else {
        s.to_string()
    }
}

/// A rank as `3` or `3.5` (a tie).
pub fn rank(r: f64) -> String {
    if r.fract() == 0.0 {
        format!("{r:.0}")
    } else {
        format!("{r:.1}")
    }
}

/// `1.23 ms`, `4.50 s`, `12.0 µs`; `-` for NaN.
pub fn seconds(s: f64) -> String {
    if !s.is_finite() {
        "-".into()
    } else if s >= 1.0 {
        format!("{s:.2} s")
    } else if s >= 1e-3 {
        format!("{:.2} ms", s * 1e3)
    } else {
        format!("{:.1} µs", s * 1e6)
    }
}

/// A duration for people: seconds as [`seconds`], then `min`, `h`, `days`,
/// `years`, `million years`.
pub fn duration(s: f64) -> String {
    const YEAR: f64 = 365.25 * 86_400.0;
    if !s.is_finite() || s < 60.0 {
        seconds(s)
    } else if s < 3_600.0 {
        format!("{:.1} min", s / 60.0)
    } else if s < 86_400.0 {
        format!("{:.1} h", s / 3_600.0)
    } else if s < YEAR {
        format!("{:.0} days", s / 86_400.0)
    } else if s < 1e6 * YEAR {
        format!("{:.0} years", s / YEAR)
    } else {
        format!("{:.0} million years", s / YEAR / 1e6)
    }
}

/// `8.0 MB`, `8.0 TB`, `8.0 EB` (decimal units); `-` for NaN.
///
/// ```
/// use quad_vs_grad::fmt::bytes;
/// assert_eq!(bytes(64.03e6), "64.0 MB");
/// assert_eq!(bytes(512.0), "512 B");
/// ```
pub fn bytes(b: f64) -> String {
    if !b.is_finite() {
        return "-".into();
    }
    const UNITS: [&str; 7] = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
    let mut v = b;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < UNITS.len() {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{v:.0} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting() {
        assert_eq!(bytes(8e6), "8.0 MB");
        assert_eq!(bytes(8e18), "8.0 EB");
        assert_eq!(bytes(512.0), "512 B");
        assert_eq!(seconds(2.5), "2.50 s");
        assert_eq!(seconds(0.0123), "12.30 ms");
        assert_eq!(seconds(1.5e-5), "15.0 µs");
        assert_eq!(seconds(f64::NAN), "-");
        assert_eq!(duration(1e4), "2.8 h");
        assert_eq!(duration(90.0), "1.5 min");
        assert_eq!(duration(1e10), "317 years");
        assert_eq!(duration(1.7e16), "539 million years");
    }
}
