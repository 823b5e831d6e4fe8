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
fn errors_are_all_reported_with_a_stub() {
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
    assert!(expanded.contains("pub struct Broken { }"), "{expanded}");
}
