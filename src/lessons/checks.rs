//! Configuration checks and error conversions the experiments share.

use crate::error::{Error, Result};

/// Checks that every batch size is in `1..=max`; `note` follows the range
/// in the message (for example `" (N = 100, budget 200)"`).
///
/// # Errors
/// [`Error::InvalidConfig`] naming the first batch size out of range.
pub(crate) fn check_batch_sizes(sizes: &[usize], max: usize, note: &str) -> Result<()> {
    match sizes.iter().find(|&&b| b == 0 || b > max) {
        Some(b) => Err(Error::InvalidConfig(format!(
            "batch sizes must be in 1..={max}{note}, got {b}"
        ))),
        None => Ok(()),
    }
}

/// An argmin error met while setting up an experiment (a solver setter, an
/// evaluation at the start) as the crate's [`Error::InvalidConfig`].
pub(crate) fn config_error(e: argmin::core::Error) -> Error {
    Error::InvalidConfig(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_sizes_out_of_range_are_named() {
        assert!(check_batch_sizes(&[1, 5, 10], 10, "").is_ok());
        let e = check_batch_sizes(&[3, 0, 11], 10, " (N = 10)").unwrap_err();
        assert_eq!(
            e.to_string(),
            Error::InvalidConfig("batch sizes must be in 1..=10 (N = 10), got 0".into())
                .to_string()
        );
        assert!(check_batch_sizes(&[11], 10, "").is_err());
    }
}
