//! The crate's error type.

/// Everything that can go wrong in this crate outside argmin's own solvers.
///
/// argmin's traits use [`argmin::core::Error`] (an `anyhow::Error`); every
/// variant here converts into it with `?`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A data set or sampler was given impossible sizes or values.
    #[error("invalid data: {0}")]
    InvalidData(String),
    /// A parameter vector, direction or matrix has the wrong length or shape.
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// A model or problem was configured with impossible values.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
    /// A linear-algebra routine (LAPACK through ndarray-linalg) failed.
    #[error("linear algebra: {0}")]
    Linalg(String),
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The path involved.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// `Result` with this crate's [`enum@Error`].
pub type Result<T> = std::result::Result<T, Error>;
