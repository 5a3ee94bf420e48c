//! The measurements behind the course's lessons, one file per topic.
//!
//! A lesson (an Evcxr notebook under `notebooks/`) calls these helpers and
//! prints or draws what they return; every number the lesson's prose quotes
//! is then pinned by a test in `tests/course_NN.rs`. Keeping the loops here,
//! compiled and tested with the crate, keeps the notebooks short, fast and
//! impossible to drift from the library.
//!
//! | module | lesson | what it measures |
//! |---|---|---|
//! | [`scaling`] | 9. The cost of curvature | time per iteration, curvature memory and evaluation counts of eight optimizers on full networks from `D ≈ 10` to `D ≥ 10⁵`, log-log slopes against theory, where Newton's solve overtakes forming `H`, wall time to a target loss |

pub mod scaling;
