//! Chapter 4: adaptive first-order methods (in progress).
