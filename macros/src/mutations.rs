//! The macro never panics: mutated declarations (tokens dropped, swapped, duplicated, numbers
//! replaced by extremes) always expand to tokens, and those tokens are valid Rust items
//! (the model, or its errors and a stand-in). `PROPTEST_CASES=100000 cargo test --release -p
//! densely-macros mutations` runs a longer search.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::str::FromStr;

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use proptest::prelude::*;

/// Declarations that use every layer, option and form of the syntax.
const SEEDS: &[&str] = &[
    "pub struct FashionMlp {
        input image: [28, 28];
        flatten = Flatten;
        hidden1 = Dense(300, relu);
        hidden2 = Dense(100, relu);
        output probs = Dense(10, softmax), loss = sparse_categorical_crossentropy;
    }",
    "pub struct WideAndDeep {
        input wide_input: [5];
        input deep_input: [6], name = \"deep-input\";
        hidden1 = Dense(30, relu, kernel_initializer = he_normal)(deep_input);
        hidden2 = Dense(units = 30, activation = \"relu\", use_bias = false)(hidden1);
        concat = concatenate(wide_input, hidden2);
        output main_output = Dense(1)(concat), loss = mse, weight = 0.9;
        output aux_output = Dense(1)(hidden2), loss = MAE, weight = 0.1, name = \"aux\";
    }",
    "struct Residual {
        input grid: [2, 3, 4, 5];
        flat = Flatten()(grid);
        stem = Dense(8, tanh);
        branch = Dense(8, elu)(stem);
        dropped = Dropout(0.25)(branch);
        sum = add(stem, dropped);
        activated = Activation(sigmoid)(sum);
        output probs = Dense(1, sigmoid)(activated), loss = binary_crossentropy;
    }",
];

/// What replaces a number: the sizes and rates at the edges of every type.
const EXTREMES: &[&str] = &[
    "0",
    "1",
    "-1",
    "0.0",
    "1.0",
    "4294967296",
    "18446744073709551615",
    "18446744073709551616",
    "340282366920938463463374607431768211456",
    "1e309",
    "1e-320",
    "0.99999999999",
];

/// The declaration as flat token texts, each group's delimiters as tokens of their own.
fn flatten(stream: TokenStream, out: &mut Vec<String>) {
    for tree in stream {
        match tree {
            TokenTree::Group(group) => {
                let (open, close) = match group.delimiter() {
                    Delimiter::Parenthesis => ("(", ")"),
                    Delimiter::Brace => ("{", "}"),
                    Delimiter::Bracket => ("[", "]"),
                    Delimiter::None => ("", ""),
                };
                out.push(open.to_owned());
                flatten(group.stream(), out);
                out.push(close.to_owned());
            }
            other => out.push(other.to_string()),
        }
    }
}

#[derive(Clone, Debug)]
enum Mutation {
    Drop(usize),
    Swap(usize, usize),
    Duplicate(usize),
    Extreme(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::Drop),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::Swap(a, b)),
        any::<usize>().prop_map(Mutation::Duplicate),
        (any::<usize>(), 0..EXTREMES.len()).prop_map(|(a, e)| Mutation::Extreme(a, e)),
    ]
}

fn apply(tokens: &mut Vec<String>, mutation: &Mutation) {
    let len = tokens.len();
    match *mutation {
        Mutation::Drop(at) => {
            tokens.remove(at % len);
        }
        Mutation::Swap(a, b) => tokens.swap(a % len, b % len),
        Mutation::Duplicate(at) => {
            let token = tokens[at % len].clone();
            tokens.insert(at % len, token);
        }
        Mutation::Extreme(at, extreme) => {
            // The number nearest after `at`, so that most mutations hit a size or a rate.
            let numbers: Vec<usize> = (0..len)
                .filter(|&i| tokens[i].starts_with(|c: char| c.is_ascii_digit()))
                .collect();
            if let Some(&i) = numbers.iter().find(|&&i| i >= at % len).or(numbers.first()) {
                tokens[i] = EXTREMES[extreme].to_owned();
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn mutated_declarations_always_expand_to_items(
        seed in 0..SEEDS.len(),
        mutations in proptest::collection::vec(mutation(), 1..4),
    ) {
        let mut tokens = Vec::new();
        flatten(TokenStream::from_str(SEEDS[seed]).unwrap(), &mut tokens);
        for m in &mutations {
            if tokens.len() > 1 {
                apply(&mut tokens, m);
            }
        }
        let text = tokens.join(" ");
        // Unbalanced delimiters never reach a macro: rustc's lexer refuses them first.
        let Ok(input) = TokenStream::from_str(&text) else {
            return Ok(());
        };
        let expanded = catch_unwind(AssertUnwindSafe(|| crate::expand(input)));
        let expanded = match expanded {
            Ok(tokens) => tokens,
            Err(_) => panic!("the macro panicked on:\n{text}"),
        };
        prop_assert!(
            syn::parse2::<syn::File>(expanded.clone()).is_ok(),
            "not valid items for:\n{text}\n{expanded}"
        );
    }
}
