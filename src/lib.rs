//! The examples and cross-crate tests of densely live in `examples/` and `tests/`; this crate
//! hosts them, and checks that the README's code compiles and runs.
#![doc = include_str!("../README.md")]
