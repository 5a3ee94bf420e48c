//! The plotting layer's error type.

/// Errors of the plotting layer.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// Drawing on a plotters backend failed.
    #[error("drawing failed: {0}")]
    Drawing(String),
    /// Encoding a PNG or GIF failed.
    #[error("encoding failed: {0}")]
    Encode(String),
    /// The inputs cannot be drawn (wrong dimension, empty grid, …).
    #[error("invalid plot input: {0}")]
    InvalidInput(String),
    /// Evaluating the problem failed.
    #[error(transparent)]
    Problem(#[from] crate::error::Error),
    /// Writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The path involved.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// `Result` of the plotting layer.
pub type Result<T> = std::result::Result<T, PlotError>;

/// Converts any plotters drawing error into [`PlotError::Drawing`].
pub(crate) fn draw_err<E: std::fmt::Display>(e: E) -> PlotError {
    PlotError::Drawing(e.to_string())
}
