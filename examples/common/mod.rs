//! What the examples share: the command line around each of them ([`cli`]), the tabular
//! regression data of `wide_deep`, `multi_output` and `callbacks` ([`diabetes`]), and the
//! book's classifier for the examples that only train it ([`book`]).

#![allow(dead_code)]

pub mod book;
pub mod cli;
pub mod diabetes;
