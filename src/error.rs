//! The crate's error type.

/// Everything that can go wrong in this crate outside argmin's own solvers.
///
/// argmin's traits use [`argmin::core::Error`] (an `anyhow::Error`). The two
/// convert into each other with `?`: this type into argmin's (as any
/// `std::error::Error` does), and argmin's into this one (as
/// [`Error::Argmin`]). So a function, doctest or notebook cell may return
/// either `quad_vs_grad::Result<_>` or `Result<_, argmin::core::Error>` and
/// use `?` on every call of the crate, argmin's traits included.
///
/// ```
/// use quad_vs_grad::prelude::*;
///
/// fn loss_and_condition(p: &Array1<f64>) -> quad_vs_grad::Result<(f64, f64)> {
///     let problem = XorProblem::reference();
///     let loss = problem.cost(p)?; // argmin's error, converted
///     let kappa = condition_number(&problem.hessian(p)?)?; // then the crate's own
///     Ok((loss, kappa))
/// }
/// let (loss, kappa) = loss_and_condition(&array![2.0, -2.0])?;
/// assert!(loss > 0.0 && kappa >= 1.0);
/// # Ok::<(), argmin::core::Error>(())
/// ```
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
    /// A linear-algebra routine of [`crate::linalg`] failed: a singular or
    /// indefinite matrix, or non-finite entries.
    #[error("linear algebra: {0}")]
    Linalg(String),
    /// A problem does not provide what was asked of it (a default method of
    /// the [`crate::curvature`] traits: no GGN, no K-FAC factors, no mini-batches).
    #[error("not supported: {0}")]
    Unsupported(String),
    /// An error raised through argmin (a solver, the executor, or a trait
    /// method of a problem), carried unchanged. (An argmin error that wraps
    /// one of this crate's errors converts back to that error instead.)
    #[error(transparent)]
    Argmin(argmin::core::Error),
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The path involved.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl From<argmin::core::Error> for Error {
    /// Unwraps this crate's own error if that is what argmin carries (so a
    /// round trip through argmin keeps the variant), else wraps it as
    /// [`Error::Argmin`].
    fn from(e: argmin::core::Error) -> Self {
        match e.downcast::<Error>() {
            Ok(ours) => ours,
            Err(other) => Error::Argmin(other),
        }
    }
}

/// `Result` with this crate's [`enum@Error`].
pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_round_trip_through_argmin() {
        let ours = Error::Shape("three entries".into());
        let theirs: argmin::core::Error = ours.into();
        let back: Error = theirs.into();
        assert!(matches!(&back, Error::Shape(s) if s == "three entries"));
        let foreign = argmin::core::Error::msg("from elsewhere");
        let wrapped: Error = foreign.into();
        assert!(matches!(&wrapped, Error::Argmin(_)));
        assert_eq!(wrapped.to_string(), "from elsewhere");
    }
}
