//! Chapter 5: noise (in progress).
