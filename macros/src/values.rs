//! The values written in a declaration: names, sizes, numbers and booleans read from
//! expressions, each with what to say when the expression isn't one.

use quote::ToTokens;
use syn::{Expr, Ident, Lit, UnOp};

/// The identifier an expression is, if it is one.
pub fn ident_of(expr: &Expr) -> Option<&Ident> {
    match expr {
        Expr::Path(path) if path.qself.is_none() => path.path.get_ident(),
        _ => None,
    }
}

/// `relu` or `"relu"`.
pub fn name_value(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Lit(lit) => match &lit.lit {
            Lit::Str(text) => Some(text.value()),
            _ => None,
        },
        _ => ident_of(expr).map(Ident::to_string),
    }
}

/// A size as written (a dimension, a number of units): an integer literal that fits `usize`,
/// or the message that says what to write instead.
pub fn size_value(expr: &Expr, what: &str) -> Result<usize, String> {
    let written = expr.to_token_stream().to_string().replace(' ', "");
    match expr {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Int(int), ..
        }) => int.base10_parse().map_err(|_| {
            format!("`{written}` is too large for {what}: sizes must fit in `usize`")
        }),
        Expr::Lit(syn::ExprLit {
            lit: Lit::Float(float),
            ..
        }) => {
            let whole = float.base10_digits().trim_end_matches(".0");
            Err(format!(
                "{what} is a whole number: write `{whole}`, not `{written}`"
            ))
        }
        Expr::Unary(unary) if matches!(unary.op, UnOp::Neg(_)) => Err(format!(
            "`{written}` is negative; {what} counts values, so it is at least 1{}",
            if what == "a dimension" {
                " (the batch dimension, Keras's `None` or `-1`, is left out)"
            } else {
                ""
            }
        )),
        Expr::Path(path) if path.path.is_ident("None") => Err(
            "`None` is Keras's batch dimension, which a shape leaves out: give the shape of one sample, like `[28, 28]`"
                .to_owned(),
        ),
        Expr::Path(_) => Err(format!(
            "`{written}` is a name, not a number: `model!` checks shapes before Rust evaluates constants, so write {what} as a number, like `300`"
        )),
        _ => Err(format!("expected {what}, a whole number like `300`")),
    }
}

/// The number of values in a shape, when it fits `usize`.
pub fn checked_product(dims: &[usize]) -> Option<usize> {
    dims.iter()
        .try_fold(1usize, |product, &d| product.checked_mul(d))
}

/// A numeric literal, possibly negated, or arithmetic on such literals (`1.0 / 255.0`, as
/// Keras's `Rescaling(1./255)` is written).
pub fn float_value(expr: &Expr) -> Option<f64> {
    match expr {
        Expr::Binary(binary) => {
            let (left, right) = (float_value(&binary.left)?, float_value(&binary.right)?);
            let value = match binary.op {
                syn::BinOp::Add(_) => left + right,
                syn::BinOp::Sub(_) => left - right,
                syn::BinOp::Mul(_) => left * right,
                syn::BinOp::Div(_) => left / right,
                _ => return None,
            };
            value.is_finite().then_some(value)
        }
        Expr::Lit(lit) => match &lit.lit {
            Lit::Int(int) => int.base10_parse().ok(),
            Lit::Float(float) => float.base10_parse().ok(),
            _ => None,
        },
        Expr::Unary(unary) if matches!(unary.op, UnOp::Neg(_)) => {
            float_value(&unary.expr).map(|v| -v)
        }
        Expr::Paren(paren) => float_value(&paren.expr),
        _ => None,
    }
}

pub fn bool_value(expr: &Expr) -> Option<bool> {
    match expr {
        Expr::Lit(lit) => match &lit.lit {
            Lit::Bool(value) => Some(value.value),
            _ => None,
        },
        _ => None,
    }
}
