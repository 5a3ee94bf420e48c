//! Which instruction set the crate's own kernels run on, and the switch that
//! forces one.
//!
//! The derivative kernels of [`crate::mlp`] and the dense linear algebra of
//! [`crate::linalg`] are compiled three times on
//! x86-64 (SSE2, AVX2 + FMA, AVX-512F + FMA) and run the widest build the CPU
//! supports. Every build performs the same IEEE operations in the same order,
//! so all three give the same bits; only the speed differs. To check that
//! claim on one machine, force a level with the environment variable
//! [`SIMD_ENV`] (`QVG_SIMD=portable|avx2|avx512|auto`), read once, at the
//! first kernel call:
//!
//! ```sh
//! QVG_SIMD=portable cargo test --test course   # the course pins on the SSE2 build
//! QVG_SIMD=avx2 cargo run --release             # the main job on the AVX2 build
//! ```
//!
//! A level the CPU lacks is never run: the widest supported level below it
//! runs instead, and a one-line note goes to standard error. Within a
//! program, [`with_simd_level`] forces a level for one closure on the current
//! thread (the tests use it to compare whole gradients level against level).

/// Compiles a kernel for SSE2 (any x86-64), AVX2 + FMA and AVX-512F + FMA,
/// and runs the build of [`simd_level`]: the widest the CPU supports, unless
/// [`SIMD_ENV`] or [`with_simd_level`] forces a narrower one. Every sum has a
/// fixed order (element-wise updates, sixteen interleaved accumulators) and
/// every fused multiply-add is written as one (`f64::mul_add`, rounded once
/// as IEEE 754 requires: the FMA instruction in the wide builds, the C
/// library's `fma` in the portable one), while Rust never fuses `a * b + c`
/// on its own; so the three builds give identical bits. `$portable` is the
/// SSE2 build (slow on a CPU without FMA, where `fma` is emulated, but exact).
macro_rules! multiversioned {
    ($(#[$attr:meta])* fn $name:ident / $portable:ident ($($arg:ident : $ty:ty),* $(,)?) $body:block) => {
        multiversioned! { $(#[$attr])* fn $name / $portable ($($arg: $ty),*) -> () $body }
    };
    ($(#[$attr:meta])* fn $name:ident / $portable:ident ($($arg:ident : $ty:ty),* $(,)?) -> $ret:ty $body:block) => {
        $(#[$attr])*
        pub(crate) fn $name($($arg: $ty),*) -> $ret {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,fma")]
                unsafe fn wide512($($arg: $ty),*) -> $ret {
                    $portable($($arg),*)
                }
                #[target_feature(enable = "avx2,fma")]
                unsafe fn wide256($($arg: $ty),*) -> $ret {
                    $portable($($arg),*)
                }
                match $crate::simd::simd_level() {
                    // SAFETY: `simd_level` returns only levels the CPU supports.
                    $crate::simd::SimdLevel::Avx512 => return unsafe { wide512($($arg),*) },
                    // SAFETY: as above.
                    $crate::simd::SimdLevel::Avx2 => return unsafe { wide256($($arg),*) },
                    $crate::simd::SimdLevel::Portable => {}
                }
            }
            $portable($($arg),*)
        }

        /// The portable (SSE2) build of the kernel of the same name.
        #[inline(always)]
        pub(crate) fn $portable($($arg: $ty),*) -> $ret $body
    };
}

use std::cell::Cell;
use std::fmt;
use std::sync::OnceLock;

/// The environment variable that forces the kernels' instruction set.
pub const SIMD_ENV: &str = "QVG_SIMD";

/// An instruction-set level of the crate's kernels, narrowest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SimdLevel {
    /// Baseline x86-64 (SSE2), or any other architecture: fused multiply-adds
    /// through the C library's exact `fma`.
    Portable,
    /// AVX2 with FMA instructions (x86-64).
    Avx2,
    /// AVX-512F with FMA instructions (x86-64).
    Avx512,
}

impl SimdLevel {
    /// Every level, narrowest first.
    pub const ALL: [SimdLevel; 3] = [SimdLevel::Portable, SimdLevel::Avx2, SimdLevel::Avx512];

    /// The name [`SIMD_ENV`] takes for this level.
    pub fn name(self) -> &'static str {
        match self {
            SimdLevel::Portable => "portable",
            SimdLevel::Avx2 => "avx2",
            SimdLevel::Avx512 => "avx512",
        }
    }

    /// Parses a level name (`portable`, `avx2`, `avx512`; case-insensitive).
    pub fn parse(name: &str) -> Option<SimdLevel> {
        SimdLevel::ALL
            .into_iter()
            .find(|l| l.name().eq_ignore_ascii_case(name.trim()))
    }

    /// Whether this CPU can run the level.
    pub fn supported(self) -> bool {
        match self {
            SimdLevel::Portable => true,
            #[cfg(target_arch = "x86_64")]
            SimdLevel::Avx2 => {
                std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
            }
            #[cfg(target_arch = "x86_64")]
            SimdLevel::Avx512 => {
                std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("fma")
            }
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }

    /// The widest level this CPU supports.
    pub fn detected() -> SimdLevel {
        SimdLevel::ALL
            .into_iter()
            .rev()
            .find(|l| l.supported())
            .unwrap_or(SimdLevel::Portable)
    }

    /// The widest supported level no wider than `self`.
    pub fn clamped(self) -> SimdLevel {
        SimdLevel::ALL
            .into_iter()
            .rev()
            .find(|&l| l <= self && l.supported())
            .unwrap_or(SimdLevel::Portable)
    }
}

impl fmt::Display for SimdLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The level chosen for the process: [`SIMD_ENV`] if set (clamped to what the
/// CPU has), else the widest supported.
fn process_level() -> SimdLevel {
    static LEVEL: OnceLock<SimdLevel> = OnceLock::new();
    *LEVEL.get_or_init(|| {
        let detected = SimdLevel::detected();
        let Ok(raw) = std::env::var(SIMD_ENV) else {
            return detected;
        };
        if raw.trim().is_empty() || raw.trim().eq_ignore_ascii_case("auto") {
            return detected;
        }
        match SimdLevel::parse(&raw) {
            Some(want) => {
                let got = want.clamped();
                if got != want {
                    eprintln!(
                        "quad-vs-grad: {SIMD_ENV}={raw}: this CPU lacks {want}; running the {got} kernels"
                    );
                }
                got
            }
            None => {
                eprintln!(
                    "quad-vs-grad: {SIMD_ENV}={raw} is not a level (portable, avx2, avx512, auto); \
                     running the {detected} kernels"
                );
                detected
            }
        }
    })
}

thread_local! {
    static FORCED: Cell<Option<SimdLevel>> = const { Cell::new(None) };
}

/// The level the kernels run on now, on this thread.
pub fn simd_level() -> SimdLevel {
    FORCED
        .try_with(Cell::get)
        .ok()
        .flatten()
        .unwrap_or_else(process_level)
}

/// Runs `f` with the kernels forced to `level` on this thread (clamped to what
/// the CPU supports; the level actually used is returned beside `f`'s value).
/// The previous setting is restored afterwards, also when `f` panics.
///
/// ```
/// use quad_vs_grad::simd::{with_simd_level, SimdLevel};
/// use quad_vs_grad::prelude::*;
///
/// let problem = XorProblem::reference();
/// let p = array![2.0, -2.0];
/// let (portable, _) = with_simd_level(SimdLevel::Portable, || problem.gradient(&p).unwrap());
/// let (widest, _) = with_simd_level(SimdLevel::Avx512, || problem.gradient(&p).unwrap());
/// assert_eq!(portable, widest); // the same bits
/// ```
pub fn with_simd_level<T>(level: SimdLevel, f: impl FnOnce() -> T) -> (T, SimdLevel) {
    struct Restore(Option<SimdLevel>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let _ = FORCED.try_with(|c| c.set(self.0));
        }
    }
    let used = level.clamped();
    let _restore = Restore(FORCED.with(|c| c.replace(Some(used))));
    (f(), used)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_clamping_never_exceeds_the_cpu() {
        for l in SimdLevel::ALL {
            assert_eq!(SimdLevel::parse(l.name()), Some(l));
            assert!(l.clamped() <= l && l.clamped().supported());
        }
        assert_eq!(SimdLevel::parse(" AVX2 "), Some(SimdLevel::Avx2));
        assert_eq!(SimdLevel::parse("sse9"), None);
        assert!(SimdLevel::Portable.supported());
    }

    #[test]
    fn forcing_is_scoped_to_the_closure() {
        let before = simd_level();
        let (inner, used) = with_simd_level(SimdLevel::Portable, simd_level);
        assert_eq!((inner, used), (SimdLevel::Portable, SimdLevel::Portable));
        assert_eq!(simd_level(), before);
    }
}
