//! The course's pinned numbers: one module per lesson (`notebooks/NN-*.ipynb`
//! and its generated chapter `book/src/NN-*.md`), each checking the numbers
//! its prose and exercises quote, so a change to the crate that changes a
//! lesson's story fails here. One test binary for all lessons (each test
//! binary links the whole crate; CI machines have little disk).
//!
//! A new lesson adds `chNN.rs` beside this file and one `mod chNN;` line.

mod ch00;
mod ch01;
mod ch02;
mod ch03;
mod ch04;
mod ch05;
mod ch06;
mod ch07;
mod ch08;
mod ch09;
mod ch10;
mod ch11;
mod ch12;
mod ch13;
mod ch14;
mod ch15;
mod ch16;
mod ch17;
mod ch18;
mod ch19;
mod text;
