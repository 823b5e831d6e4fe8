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

use syn::parse::{discouraged::Speculative, Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::token::{Bracket, Paren};
use syn::{bracketed, parenthesized, Attribute, Expr, Ident, Token, Visibility};

/// The whole declaration.
pub struct ModelDecl {
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub ident: Ident,
    pub statements: Vec<Statement>,
    /// The statements that could not be parsed: each is skipped to its `;`, so that one
    /// mistake of syntax doesn't hide the rest of the declaration.
    pub errors: Vec<syn::Error>,
}

/// One statement of the body.
pub enum Statement {
    /// `input NAME: [d, ...];`
    Input(InputDecl),
    /// `[output] NAME = LAYER(...)(...) [, option = value]*;`
    Node(NodeDecl),
    /// A statement whose syntax is wrong (the error is recorded), by the name it declares.
    Broken {
        name: Ident,
        input: bool,
        output: Option<Ident>,
    },
}

/// `input NAME: [d, ...] [, name = "..."];`
pub struct InputDecl {
    pub name: Ident,
    pub bracket: Bracket,
    /// The sizes as written: lowering checks each is a positive integer literal.
    pub dims: Punctuated<Expr, Token![,]>,
    /// `name = "..."` after the shape.
    pub options: Vec<NamedArg>,
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
        if input.peek(Token![<]) {
            return Err(input.error(
                "a `model!` struct takes no generic parameters: its shapes are fixed by the declaration",
            ));
        }
        let body;
        syn::braced!(body in input);
        let mut statements = Vec::new();
        let mut errors = Vec::new();
        while !body.is_empty() {
            let fork = body.fork();
            match fork.parse::<Statement>() {
                Ok(statement) => {
                    body.advance_to(&fork);
                    statements.push(statement);
                }
                Err(error) => {
                    errors.push(error);
                    statements.extend(broken_statement(&body.fork()));
                    skip_statement(&body)?;
                }
            }
        }
        if !input.is_empty() {
            return Err(input.error("expected nothing after the model's body"));
        }
        Ok(ModelDecl {
            attrs,
            vis,
            ident,
            statements,
            errors,
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
            let dims = content.parse_terminated(Expr::parse, Token![,])?;
            let mut options = Vec::new();
            while let Some(comma) = input.parse::<Option<Token![,]>>()? {
                not_a_statement_after(comma, input)?;
                options.push(input.parse()?);
            }
            input.parse::<Token![;]>()?;
            return Ok(Statement::Input(InputDecl {
                name,
                bracket,
                dims,
                options,
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
            if input.peek(Token![:]) || (input.peek(Ident) && input.peek2(Ident)) {
                return Err(syn::Error::new(
                    keyword.span(),
                    "an input can't be an output: mark the layer that computes the result, like `output y = Dense(1)(x), loss = mse;`",
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
        while let Some(comma) = input.parse::<Option<Token![,]>>()? {
            not_a_statement_after(comma, input)?;
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

impl LayerCall {
    /// Whether it is a merge (`concatenate`, `add`, `multiply`, ...), which takes its
    /// sources in its first parentheses.
    pub fn is_merge(&self) -> bool {
        let name = self.layer.to_string();
        name == "concatenate"
            || name == "add"
            || densely_spec::OpKind::from_dsl(&name).is_some_and(|kind| kind.spec().is_merge())
    }
}

impl Statement {
    /// The name the statement declares.
    pub fn name(&self) -> &Ident {
        match self {
            Statement::Input(input) => &input.name,
            Statement::Node(node) => &node.name,
            Statement::Broken { name, .. } => name,
        }
    }
}

/// The options after a comma are `loss`, `weight` or `name`; a comma followed by another
/// statement (`hidden = Dense(...), out = ...`) is a separator written wrong.
fn not_a_statement_after(comma: Token![,], input: ParseStream) -> syn::Result<()> {
    if input.peek(Ident) && (input.peek2(Ident) || layer_statement_follows(input)) {
        return Err(syn::Error::new(
            comma.span,
            "statements end with `;`, not `,`: write `;` here",
        ));
    }
    Ok(())
}

/// `name = Layer(...)` or `name = Flatten` follows, rather than an option's value.
fn layer_statement_follows(input: ParseStream) -> bool {
    let fork = input.fork();
    let (Ok(name), Ok(_), Ok(value)) = (
        fork.parse::<Ident>(),
        fork.parse::<Token![=]>(),
        fork.parse::<Ident>(),
    ) else {
        return false;
    };
    !crate::catalog::OPTIONS.contains(&name.to_string().as_str())
        && (fork.peek(Paren) || crate::catalog::layer_names().any(|layer| value == layer))
}

/// What a statement that failed to parse declares, when its start says so, so that the
/// statements reading it don't report it unknown.
fn broken_statement(input: ParseStream) -> Option<Statement> {
    let first: Ident = input.parse().ok()?;
    if input.peek(Ident) && (first == "input" || first == "output") {
        let name: Ident = input.parse().ok()?;
        let input_keyword = first == "input";
        return Some(Statement::Broken {
            name,
            input: input_keyword,
            output: (!input_keyword).then_some(first),
        });
    }
    input.peek(Token![=]).then_some(Statement::Broken {
        name: first,
        input: false,
        output: None,
    })
}

/// Skips the tokens up to and including the next `;` of the body, or the `,` written in its
/// place before the next statement.
fn skip_statement(input: ParseStream) -> syn::Result<()> {
    while !input.is_empty() {
        if input.parse::<Option<Token![;]>>()?.is_some() {
            return Ok(());
        }
        if let Some(comma) = input.parse::<Option<Token![,]>>()? {
            if not_a_statement_after(comma, input).is_err() {
                return Ok(());
            }
            continue;
        }
        input.parse::<proc_macro2::TokenTree>()?;
    }
    Ok(())
}
