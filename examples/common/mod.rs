//! What the examples share: the command line around each of them ([`cli`]) and the tabular
//! regression data of `wide_deep`, `multi_output` and `callbacks` ([`diabetes`]).

#![allow(dead_code)]

pub mod cli;
pub mod diabetes;
