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
//! | [`xor`] | 1. The XOR problem and the MLP | the frozen features of the output slice, the symmetry bound near `ln 2`, the best loss of the slice |
//! | [`learning_rate`] | 2. Gradient descent and the learning rate | step-size theory from a Hessian, learning-rate sweeps, steps to a tolerance against the condition number, escaping a saddle |
//! | [`scaling`] | 9. The cost of curvature | time per iteration, curvature memory and evaluation counts of eight optimizers on full networks from `D ≈ 10` to `D ≥ 10⁵`, log-log slopes against theory, where Newton's solve overtakes forming `H`, wall time to a target loss |

pub mod learning_rate;
pub mod scaling;
pub mod xor;
