//! The `model!` macro of densely.
//!
//! It works in four steps, each a module: `parse` reads the declaration into syntax that
//! keeps every token's span, `lower` resolves it into a graph (`ir`) while collecting
//! errors, `check` applies the rules that span the whole graph, and `codegen` writes the
//! struct and its passes. Every error of a declaration is reported at once, each under the
//! tokens that caused it; `repair` then makes the graph whole, so that the struct still
//! exists, with its API, and code using it adds no errors of its own.

mod catalog;
mod check;
mod codegen;
mod ctxt;
mod ir;
mod lower;
mod parse;
mod repair;
mod values;

use proc_macro::TokenStream;

/// Declares a model: its inputs, layers and outputs, with every shape checked at compile time.
///
/// See the `densely` crate for the syntax and what the generated struct offers.
#[proc_macro]
pub fn model(input: TokenStream) -> TokenStream {
    expand(input.into()).into()
}

/// The macro as a function of token streams, so tests can call it.
fn expand(input: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    let declaration: parse::ModelDecl = match syn::parse2(input) {
        Ok(declaration) => declaration,
        Err(error) => return error.to_compile_error(),
    };
    let mut ctxt = ctxt::Ctxt::default();
    for error in &declaration.errors {
        ctxt.push(error.clone());
    }
    let mut model = lower::lower(&declaration, &mut ctxt);
    check::check(&model, &mut ctxt);
    match ctxt.finish() {
        Ok(()) => codegen::generate(&model),
        Err(errors) => {
            repair::repair(&mut model);
            let model = codegen::generate(&model);
            quote::quote! { #errors #model }
        }
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod mutations;
