//! The syntax of a `model!` declaration, as plain `syn::Parse` types that keep every token.
//!
//! ```text
//! /// docs and #[attributes]
//! pub struct Name {
//!     input image: [28, 28];
//!     hidden = Dense(300, relu);                  // source: the node just before
//!     joined = concatenate(wide, hidden);         // merges take their sources directly
//!     output probs = Dense(10, softmax)(joined), loss = sparse_categorical_crossentropy, weight = 1.0;
//! }
//! ```

use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::token::{Bracket, Paren};
use syn::{bracketed, parenthesized, Attribute, Expr, Ident, LitInt, Token, Visibility};

/// The whole declaration.
pub struct ModelDecl {
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub ident: Ident,
    pub statements: Vec<Statement>,
}

/// One statement of the body.
pub enum Statement {
    /// `input NAME: [d, ...];`
    Input(InputDecl),
    /// `[output] NAME = LAYER(...)(...) [, option = value]*;`
    Node(NodeDecl),
}

/// `input NAME: [d, ...];`
pub struct InputDecl {
    pub name: Ident,
    pub bracket: Bracket,
    pub dims: Punctuated<LitInt, Token![,]>,
}

/// A layer applied to sources, possibly marked as an output.
pub struct NodeDecl {
    /// The `output` keyword, when present.
    pub output: Option<Ident>,
    pub name: Ident,
    pub call: LayerCall,
    /// `loss = ...`, `weight = ...` after the call.
    pub options: Vec<NamedArg>,
}

/// `Dense(300, relu)(source)`, `Flatten`, `concatenate(a, b)`.
pub struct LayerCall {
    pub layer: Ident,
    /// The parenthesized groups after the layer's name, in order.
    pub groups: Vec<ParenGroup>,
}

/// One parenthesized, comma-separated group.
pub struct ParenGroup {
    pub paren: Paren,
    pub args: Punctuated<Arg, Token![,]>,
}

/// A positional or named argument.
pub enum Arg {
    Positional(Expr),
    Named(NamedArg),
}

/// `name = value`.
pub struct NamedArg {
    pub name: Ident,
    pub value: Expr,
}

impl Parse for ModelDecl {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        input.parse::<Token![struct]>()?;
        let ident = input.parse()?;
        let body;
        syn::braced!(body in input);
        let mut statements = Vec::new();
        while !body.is_empty() {
            statements.push(body.parse()?);
        }
        if !input.is_empty() {
            return Err(input.error("expected nothing after the model's body"));
        }
        Ok(ModelDecl {
            attrs,
            vis,
            ident,
            statements,
        })
    }
}

impl Parse for Statement {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let keyword_follows = input.peek(Ident) && input.peek2(Ident);
        if keyword_follows && input.fork().parse::<Ident>()? == "input" {
            input.parse::<Ident>()?;
            let name = input.parse()?;
            input.parse::<Token![:]>()?;
            let content;
            let bracket = bracketed!(content in input);
            let dims = content.parse_terminated(LitInt::parse, Token![,])?;
            input.parse::<Token![;]>()?;
            return Ok(Statement::Input(InputDecl {
                name,
                bracket,
                dims,
            }));
        }
        let output = if keyword_follows {
            let keyword: Ident = input.parse()?;
            if keyword != "output" {
                return Err(syn::Error::new(
                    keyword.span(),
                    format!("expected `input`, `output` or a node name, found `{keyword}`"),
                ));
            }
            Some(keyword)
        } else {
            None
        };
        let name = input.parse()?;
        input.parse::<Token![=]>()?;
        let call = input.parse()?;
        let mut options = Vec::new();
        while input.parse::<Option<Token![,]>>()?.is_some() {
            options.push(input.parse()?);
        }
        input.parse::<Token![;]>()?;
        Ok(Statement::Node(NodeDecl {
            output,
            name,
            call,
            options,
        }))
    }
}

impl Parse for LayerCall {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let layer = input.parse()?;
        let mut groups = Vec::new();
        while input.peek(Paren) {
            let content;
            let paren = parenthesized!(content in input);
            let args = content.parse_terminated(Arg::parse, Token![,])?;
            groups.push(ParenGroup { paren, args });
        }
        Ok(LayerCall { layer, groups })
    }
}

impl Parse for Arg {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.peek(Ident) && input.peek2(Token![=]) && !input.peek2(Token![==]) {
            Ok(Arg::Named(input.parse()?))
        } else {
            Ok(Arg::Positional(input.parse()?))
        }
    }
}

impl Parse for NamedArg {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let name = input.parse()?;
        input.parse::<Token![=]>()?;
        let value = input.parse()?;
        Ok(NamedArg { name, value })
    }
}

impl Statement {
    /// The name the statement declares.
    pub fn name(&self) -> &Ident {
        match self {
            Statement::Input(input) => &input.name,
            Statement::Node(node) => &node.name,
        }
    }
}
