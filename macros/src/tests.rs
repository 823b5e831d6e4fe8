//! Expansion snapshots: what the macro writes for the book's two models.

use quote::quote;

fn expand_pretty(input: proc_macro2::TokenStream) -> String {
    let expanded = crate::expand(input);
    let file = syn::parse2::<syn::File>(expanded).expect("the expansion is valid Rust");
    prettyplease::unparse(&file)
}

#[test]
fn fashion_mlp_expansion() {
    insta::assert_snapshot!(expand_pretty(quote! {
        /// The Fashion-MNIST classifier of the book.
        pub struct FashionMlp {
            input image: [28, 28];
            flatten = Flatten;
            hidden1 = Dense(300, relu);
            hidden2 = Dense(100, relu);
            output probs = Dense(10, softmax), loss = sparse_categorical_crossentropy;
        }
    }));
}

#[test]
fn wide_and_deep_expansion() {
    insta::assert_snapshot!(expand_pretty(quote! {
        /// Wide & Deep: two inputs, a concatenation, a main and an auxiliary output.
        pub struct WideAndDeep {
            input wide_input: [5];
            input deep_input: [6];
            hidden1 = Dense(30, relu)(deep_input);
            hidden2 = Dense(30, relu)(hidden1);
            concat = concatenate(wide_input, hidden2);
            output main_output = Dense(1)(concat), loss = mse, weight = 0.9;
            output aux_output = Dense(1)(hidden2), loss = mse, weight = 0.1;
        }
    }));
}

#[test]
fn errors_are_all_reported_and_the_model_still_exists() {
    let expanded = crate::expand(quote! {
        pub struct Broken {
            input x: [3];
            a = Dens(4);
            b = Dense(0)(x);
            output c = Dense(2, rleu)(b), loss = mse, weight = -1.0;
        }
    })
    .to_string();
    assert_eq!(expanded.matches("compile_error").count(), 5, "{expanded}");
    assert!(expanded.contains("`a` reaches no output"), "{expanded}");
    assert!(expanded.contains("did you mean `Dense`"), "{expanded}");
    assert!(expanded.contains("did you mean `relu`"), "{expanded}");
    // The repaired model, so that code using it adds no errors.
    assert!(
        expanded.contains("impl :: densely :: Network for Broken"),
        "{expanded}"
    );
}

/// A chain of `layers` dense layers, as a declaration.
fn deep_chain(layers: usize) -> proc_macro2::TokenStream {
    let hidden = (0..layers - 1).map(|i| {
        let name = quote::format_ident!("hidden{}", i);
        quote! { #name = Dense(32, relu); }
    });
    quote! {
        pub struct Deep {
            input x: [16];
            #(#hidden)*
            output y = Dense(4, softmax), loss = sparse_categorical_crossentropy;
        }
    }
}

/// The expansion time of 50- and 200-layer models, printed (run with `--ignored --nocapture`
/// in release); linear growth keeps the second about four times the first.
#[test]
#[ignore = "a measurement: prints figures"]
fn expansion_time() {
    for layers in [50, 200] {
        let declaration = deep_chain(layers);
        let start = std::time::Instant::now();
        let rounds = 20;
        let mut size = 0;
        for _ in 0..rounds {
            size = crate::expand(declaration.clone()).into_iter().count();
        }
        let each = start.elapsed() / rounds;
        println!("{layers} layers: {each:?} per expansion ({size} top-level tokens)");
    }
}
