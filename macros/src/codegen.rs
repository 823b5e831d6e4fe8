//! Writes the model struct, its workspace and its `Network` implementation.
//!
//! Runs only on a clean graph. Every pass is straight-line code in graph order: the forward
//! pass in declaration order, the backward pass in reverse, with each gradient buffer written
//! by its first contribution and added to by the others (fan-out), concatenation gradients
//! split back to their sources, and each output's loss scaled by its weight.

use std::collections::HashSet;

use proc_macro2::{Literal, Span, TokenStream};
use quote::{format_ident, quote};
use syn::ext::IdentExt;
use syn::Ident;

use crate::catalog;
use crate::ir::{Kind, LossDecl, Model, Node};

/// The activations whose derivative needs only their output (`Activation::FROM_OUTPUT` in the
/// runtime): a `Dense` layer with one of them keeps no pre-activations.
const FROM_OUTPUT: &[&str] = &["linear", "relu", "sigmoid", "tanh", "softmax"];

/// The code for a clean model.
pub fn generate(model: &Model) -> TokenStream {
    let plan = Plan::new(model);
    let model_struct = plan.model_struct();
    let workspace = plan.workspace();
    let network = plan.network_impl();
    let ident = &model.ident;
    quote! {
        #model_struct

        // In a block of its own, so that no name of the workspace can meet one of the user's.
        const _: () = {
            #workspace
            #network
        };

        impl #ident {
            /// The model with Keras's default initializers, drawn from a generator seeded with
            /// `densely::network::DEFAULT_SEED`; use `Declared::with_seed` for another seed.
            pub fn new() -> Self {
                <Self as ::densely::network::Declared>::with_seed(::densely::network::DEFAULT_SEED)
            }
        }

        impl ::core::default::Default for #ident {
            fn default() -> Self {
                Self::new()
            }
        }
    }
}

/// The facts codegen needs about each node, worked out once.
struct Plan<'a> {
    model: &'a Model,
    /// The node whose buffers each node uses (a `Flatten` uses its source's).
    owner: Vec<usize>,
    /// Whether the loss depends on a parameter at or before the node.
    needs_grad: Vec<bool>,
    /// Whether an output's loss is computed from its logits together with its activation.
    fused: Vec<bool>,
    /// The struct's field for its training state: a name no layer has.
    state: Ident,
}

impl<'a> Plan<'a> {
    fn new(model: &'a Model) -> Self {
        let mut owner = Vec::with_capacity(model.nodes.len());
        let mut needs_grad = Vec::with_capacity(model.nodes.len());
        for (index, node) in model.nodes.iter().enumerate() {
            owner.push(if node.kind.is_view() {
                owner[node.sources[0]]
            } else {
                index
            });
            let has_params = node.params(model) > 0;
            needs_grad.push(has_params || node.sources.iter().any(|&s| needs_grad[s]));
        }
        let fused = model
            .nodes
            .iter()
            .enumerate()
            .map(|(index, node)| {
                let loss = node.output.and_then(|o| model.outputs[o].loss.as_ref());
                let activation = node.activation();
                loss.and_then(LossDecl::fuses_with)
                    .is_some_and(|with| Some(with) == activation)
                    && model.consumers(index).next().is_none()
            })
            .collect();
        let mut state = String::from("__densely");
        while model.nodes.iter().any(|node| node.name.unraw() == state) {
            state.push('_');
        }
        Plan {
            model,
            owner,
            needs_grad,
            fused,
            state: format_ident!("{}", state),
        }
    }

    fn node(&self, index: usize) -> &'a Node {
        &self.model.nodes[index]
    }

    /// Whether a `Dense` node keeps its pre-activations: when a fused loss reads its logits, or
    /// when its activation's derivative needs them. The others compute their output in place
    /// (the runtime checks the activation's `FROM_OUTPUT` at compile time).
    fn keeps_pre(&self, index: usize) -> bool {
        let node = self.node(index);
        matches!(node.kind, Kind::Dense { .. })
            && (self.fused[index]
                || !node
                    .activation()
                    .is_some_and(|name| FROM_OUTPUT.contains(&name)))
    }

    fn buffer(&self, index: usize, suffix: &str) -> Ident {
        format_ident!("{}_{}", self.node(self.owner[index]).name, suffix)
    }

    /// The staged targets of an output node.
    fn target(&self, index: usize) -> Ident {
        format_ident!("{}_target", self.node(index).name)
    }

    fn workspace_ident(&self) -> Ident {
        format_ident!("{}Workspace", self.model.ident)
    }

    fn layers(&self) -> impl Iterator<Item = (usize, &'a Node)> + '_ {
        self.model
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, node)| !matches!(node.kind, Kind::Input))
    }

    fn inputs(&self) -> impl Iterator<Item = (usize, &'a Node)> + '_ {
        self.model
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, node)| matches!(node.kind, Kind::Input))
    }

    fn model_struct(&self) -> TokenStream {
        let Model {
            attrs, vis, ident, ..
        } = self.model;
        let fields = self.layers().map(|(_, node)| {
            let name = &node.name;
            let ty = self.layer_type(node);
            let doc = format!("Layer `{}`: {}.", node.keras_name, self.describe(node));
            quote! { #[doc = #doc] pub #name: #ty }
        });
        let state = &self.state;
        quote! {
            #(#attrs)*
            #vis struct #ident {
                #(#fields,)*
                /// The optimizer, metrics and stop flag of `compile` and `fit`.
                #state: ::densely::training::TrainingState,
            }
        }
    }

    fn describe(&self, node: &Node) -> String {
        let shape = format!("{:?}", node.shape.as_deref().unwrap_or_default());
        match &node.kind {
            Kind::Dense {
                units, activation, ..
            } => format!("Dense({units}, {activation}), output {shape}"),
            Kind::Dropout { rate } => format!("Dropout({rate}), output {shape}"),
            Kind::Activation { activation } => format!("Activation({activation}), output {shape}"),
            Kind::Flatten => format!("Flatten, output {shape}"),
            Kind::Concatenate => format!("concatenate, output {shape}"),
            Kind::Add => format!("add, output {shape}"),
            Kind::Op { kind, .. } => format!("{}, output {shape}", kind.spec().class),
            Kind::Input | Kind::Invalid => shape,
        }
    }

    fn layer_type(&self, node: &Node) -> TokenStream {
        let width = node.width();
        match &node.kind {
            Kind::Dense {
                units, activation, ..
            } => {
                let input = self.node(node.sources[0]).width();
                let activation = activation_type(activation);
                quote! { ::densely::layers::Dense<#input, #units, #activation> }
            }
            Kind::Flatten => {
                let shape = shape_type(
                    self.node(node.sources[0])
                        .shape
                        .as_deref()
                        .unwrap_or_default(),
                );
                quote! { ::densely::layers::Flatten<#shape> }
            }
            Kind::Dropout { .. } => quote! { ::densely::layers::Dropout<#width> },
            Kind::Activation { activation } => {
                let activation = activation_type(activation);
                quote! { ::densely::layers::ActivationLayer<#width, #activation> }
            }
            Kind::Concatenate => quote! { ::densely::layers::Concatenate },
            Kind::Add => quote! { ::densely::layers::Add },
            Kind::Op { .. } => quote! { ::densely::layers::OpLayer },
            Kind::Input | Kind::Invalid => unreachable!("inputs and invalid nodes have no layer"),
        }
    }

    /// The buffers: staged inputs and targets, each layer's output, pre-activation, dropout
    /// mask and gradient, as needed.
    fn workspace(&self) -> TokenStream {
        let vis = &self.model.vis;
        let ident = self.workspace_ident();
        let mut fields = Vec::new();
        let mut reserves = Vec::new();
        for (index, node) in self.model.nodes.iter().enumerate() {
            let width = node.width();
            let mut buffer = |suffix: &str, ty: TokenStream, width: usize| {
                let field = format_ident!("{}_{}", node.name, suffix);
                fields.push(quote! { #field: ::std::vec::Vec<#ty> });
                reserves.push(
                    quote! { ::densely::network::reserve(&mut self.#field, #width * samples); },
                );
            };
            if self.owner[index] == index {
                buffer("out", quote!(::core::primitive::f32), width);
                match node.kind {
                    Kind::Dense { .. } if self.keeps_pre(index) => {
                        buffer("pre", quote!(::core::primitive::f32), width)
                    }
                    Kind::Dropout { .. } => buffer("mask", quote!(::core::primitive::f32), width),
                    _ => {}
                }
                if self.needs_grad[index] {
                    buffer("grad", quote!(::core::primitive::f32), width);
                }
            }
            // Targets belong to the output itself, even when it shares its source's buffers.
            if let Some(output) = node.output {
                let loss = self.model.outputs[output].loss.as_ref().expect("checked");
                let (ty, width) = if loss.sparse() {
                    (quote!(::core::primitive::u32), 1)
                } else {
                    (quote!(::core::primitive::f32), width)
                };
                buffer("target", ty, width);
            }
        }
        let doc = format!(
            "The buffers of `{}`'s passes, reused from batch to batch.",
            self.model.ident
        );
        quote! {
            #[doc = #doc]
            #[derive(::core::clone::Clone, ::core::fmt::Debug, ::core::default::Default)]
            #vis struct #ident {
                #(#fields,)*
            }

            impl #ident {
                /// Grows every buffer to hold `samples` samples.
                fn reserve(&mut self, samples: ::core::primitive::usize) {
                    #(#reserves)*
                }
            }
        }
    }

    fn network_impl(&self) -> TokenStream {
        let ident = &self.model.ident;
        let workspace = self.workspace_ident();
        let input_shapes: Vec<TokenStream> = self
            .inputs()
            .map(|(_, node)| shape_type(node.shape.as_deref().unwrap_or_default()))
            .collect();
        let input_types: Vec<TokenStream> = input_shapes
            .iter()
            .map(|shape| quote! { ::densely::inputs::Input<'a, #shape> })
            .collect();
        let owned_target_types: Vec<TokenStream> = self
            .model
            .outputs
            .iter()
            .map(|output| {
                let units = self.node(output.node).width();
                if output.loss.as_ref().expect("checked").sparse() {
                    quote! { ::densely::Labels<#units> }
                } else {
                    quote! { ::densely::Batch<::densely::Shape1<#units>> }
                }
            })
            .collect();
        let target_types: Vec<TokenStream> = owned_target_types
            .iter()
            .map(|owned| quote! { &'a #owned })
            .collect();
        let prediction_types: Vec<TokenStream> = self
            .model
            .outputs
            .iter()
            .map(|output| {
                let units = self.node(output.node).width();
                quote! { ::densely::Batch<::densely::Shape1<#units>> }
            })
            .collect();
        let inputs_type = tuple_or_single(&input_types);
        let targets_type = tuple_or_single(&target_types);
        let predictions_type = tuple_or_single(&prediction_types);
        let graph = self.graph();
        let with_seed = self.with_seed();
        let input_samples = self.samples_fn(true);
        let target_samples = self.samples_fn(false);
        let stage_inputs = self.stage(true);
        let stage_targets = self.stage(false);
        let forward = self.forward();
        let losses = self.losses(None);
        let backward = self.backward();
        let predictions = self.predictions();
        let access = self.access();
        let visit = self.visit();
        let inputs_of = Self::inputs_of(ident, &input_shapes);
        let owned_targets_of = Self::owned_targets_of(ident, &owned_target_types);
        quote! {
            #inputs_of

            impl<'a> ::densely::network::TargetsOf<'a, #ident> for #targets_type {
                fn into_targets(self) -> <#ident as ::densely::Network>::Targets<'a> {
                    self
                }
            }

            #owned_targets_of

            impl ::densely::Network for #ident {
                type Inputs<'a> = #inputs_type;
                type Targets<'a> = #targets_type;
                type Predictions = #predictions_type;
                type Workspace = #workspace;

                fn graph(&self) -> &::densely::graph::Graph {
                    <Self as ::densely::network::Declared>::GRAPH
                }

                fn new_workspace(&self) -> Self::Workspace {
                    ::core::default::Default::default()
                }

                #input_samples
                #target_samples
                #stage_inputs
                #stage_targets
                #forward

                fn losses(&self, workspace: &Self::Workspace, samples: ::core::primitive::usize, weights: &::densely::weights::BatchWeights, losses: &mut [::core::primitive::f64]) {
                    let _ = (self, weights);
                    #losses
                }

                #backward
                #predictions
                #access
                #visit
            }

            impl ::densely::network::Declared for #ident {
                const GRAPH: &'static ::densely::graph::Graph = &#graph;

                #with_seed
            }
        }
    }

    fn graph(&self) -> TokenStream {
        let name = self.model.ident.to_string();
        let nodes = self.model.nodes.iter().map(|node| {
            let node_name = &node.keras_name;
            let kind = match &node.kind {
                Kind::Input => quote!(Input),
                Kind::Dense {
                    units,
                    activation,
                    use_bias,
                    kernel_initializer,
                    bias_initializer,
                    rules,
                } => {
                    let rules = rules.iter().map(|(argument, rule)| {
                        let kind = format_ident!("{}", format!("{:?}", rule.kind));
                        let args = rule.args.iter().map(value);
                        quote! {
                            (
                                ::std::borrow::Cow::Borrowed(#argument),
                                ::densely::spec::WeightRule {
                                    kind: ::densely::spec::RuleKind::#kind,
                                    args: ::std::borrow::Cow::Borrowed(&[#(#args),*]),
                                },
                            )
                        }
                    });
                    quote! {
                        Dense {
                            units: #units,
                            activation: #activation,
                            use_bias: #use_bias,
                            kernel_initializer: #kernel_initializer,
                            bias_initializer: #bias_initializer,
                            rules: ::densely::spec::WeightRules(::std::borrow::Cow::Borrowed(&[#(#rules),*])),
                        }
                    }
                }
                Kind::Flatten => quote!(Flatten),
                Kind::Dropout { rate } => {
                    let rate = Literal::f32_suffixed(*rate as f32);
                    quote!(Dropout { rate: #rate })
                }
                Kind::Activation { activation } => quote!(Activation { activation: #activation }),
                Kind::Concatenate => quote!(Concatenate),
                Kind::Add => quote!(Add),
                Kind::Op { kind, args } => {
                    let variant = op_kind(*kind);
                    let args = args.iter().map(value);
                    quote! {
                        Op {
                            kind: #variant,
                            args: ::std::borrow::Cow::Borrowed(&[#(#args),*]),
                        }
                    }
                }
                Kind::Invalid => unreachable!("codegen runs on clean graphs"),
            };
            let shape = node.shape.as_deref().unwrap_or_default();
            let sources = &node.sources;
            let params = node.params(self.model);
            quote! {
                ::densely::graph::Node {
                    name: ::std::borrow::Cow::Borrowed(#node_name),
                    kind: ::densely::graph::NodeKind::#kind,
                    shape: ::std::borrow::Cow::Borrowed(&[#(#shape),*]),
                    sources: ::std::borrow::Cow::Borrowed(&[#(#sources),*]),
                    params: #params,
                }
            }
        });
        let outputs = self.model.outputs.iter().map(|output| {
            let node = output.node;
            let loss = loss_value(output.loss.as_ref().expect("checked"));
            let weight = Literal::f32_suffixed(output.weight as f32);
            quote! {
                ::densely::graph::Output {
                    node: #node,
                    loss: ::core::option::Option::Some(#loss),
                    weight: #weight,
                }
            }
        });
        quote! {
            ::densely::graph::Graph {
                name: ::std::borrow::Cow::Borrowed(#name),
                nodes: ::std::borrow::Cow::Borrowed(&[#(#nodes),*]),
                outputs: ::std::borrow::Cow::Borrowed(&[#(#outputs),*]),
                functional: false,
            }
        }
    }

    fn with_seed(&self) -> TokenStream {
        let state = &self.state;
        let fields = self.layers().map(|(index, node)| {
            let name = &node.name;
            let value = match &node.kind {
                Kind::Op { .. } => quote! {
                    ::densely::layers::OpLayer::of_node(&<Self as ::densely::network::Declared>::GRAPH.nodes[#index], &mut rng)
                },
                Kind::Dense {
                    use_bias,
                    kernel_initializer,
                    bias_initializer,
                    ..
                } => {
                    let kernel = initializer(kernel_initializer);
                    let bias = initializer(bias_initializer);
                    quote! { ::densely::layers::Dense::new(#use_bias, #kernel, #bias, &mut rng) }
                }
                Kind::Dropout { rate } => {
                    let rate = Literal::f32_suffixed(*rate as f32);
                    quote! { ::densely::layers::Dropout::new(#rate, ::densely::network::next_seed(&mut rng)) }
                }
                Kind::Flatten => quote! { ::densely::layers::Flatten::new() },
                Kind::Activation { .. } => quote! { ::densely::layers::ActivationLayer::new() },
                Kind::Concatenate => quote! { ::densely::layers::Concatenate },
                Kind::Add => quote! { ::densely::layers::Add },
                Kind::Input | Kind::Invalid => unreachable!("not a layer"),
            };
            quote! { #name: #value }
        });
        let frozen = self
            .layers()
            .filter(|(_, node)| !node.trainable)
            .map(|(_, node)| &node.keras_name);
        // A local the user's names can't reach.
        let training = format_ident!("training", span = Span::mixed_site());
        quote! {
            fn with_seed(seed: ::core::primitive::u64) -> Self {
                #[allow(unused_mut, unused_variables)]
                let mut rng = ::densely::network::seeded_rng(seed);
                #[allow(unused_mut)]
                let mut #training = ::densely::training::TrainingState::default();
                #(#training.set_trainable(#frozen, false);)*
                Self {
                    #(#fields,)*
                    #state: #training,
                }
            }
        }
    }

    /// `input_samples` or `target_samples`: the count of the first part, checked against the rest.
    /// What the inputs take. A single input declares its shape, and the runtime takes a
    /// reference to any samples of it; several take a tuple of such references, or the inputs
    /// as the model reads them.
    fn inputs_of(ident: &Ident, shapes: &[TokenStream]) -> TokenStream {
        if let [shape] = shapes {
            return quote! {
                impl ::densely::inputs::OneInput for #ident {
                    type Shape = #shape;
                    fn wrap(input: ::densely::inputs::Input<'_, #shape>) -> ::densely::inputs::Input<'_, #shape> {
                        input
                    }
                }
            };
        }
        if shapes.is_empty() {
            return TokenStream::new();
        }
        let sources: Vec<Ident> = (0..shapes.len())
            .map(|i| format_ident!("R{}", i, span = Span::mixed_site()))
            .collect();
        let fields = (0..shapes.len()).map(syn::Index::from);
        let fields_owned = (0..shapes.len()).map(syn::Index::from);
        quote! {
            impl<'a, #(#sources: ::densely::inputs::SampleRows<#shapes> + 'a),*> ::densely::network::InputsOf<'a, #ident> for (#(&'a #sources,)*) {
                fn into_inputs(self) -> <#ident as ::densely::Network>::Inputs<'a> {
                    (#(::densely::inputs::Input::new(self.#fields),)*)
                }
            }

            impl<'a, #(#sources: ::densely::inputs::SampleRows<#shapes> + 'a),*> ::densely::network::InputsOf<'a, #ident> for &'a (#(#sources,)*) {
                fn into_inputs(self) -> <#ident as ::densely::Network>::Inputs<'a> {
                    (#(::densely::inputs::Input::new(&self.#fields_owned),)*)
                }
            }

            impl<'a> ::densely::network::InputsOf<'a, #ident> for (#(::densely::inputs::Input<'a, #shapes>,)*) {
                fn into_inputs(self) -> <#ident as ::densely::Network>::Inputs<'a> {
                    self
                }
            }
        }
    }

    /// Several targets also come as a reference to a tuple of them, as a source of batches
    /// holds them.
    fn owned_targets_of(ident: &Ident, owned: &[TokenStream]) -> TokenStream {
        if owned.len() < 2 {
            return TokenStream::new();
        }
        let fields = (0..owned.len()).map(syn::Index::from);
        quote! {
            impl<'a> ::densely::network::TargetsOf<'a, #ident> for &'a (#(#owned,)*) {
                fn into_targets(self) -> <#ident as ::densely::Network>::Targets<'a> {
                    (#(&self.#fields,)*)
                }
            }
        }
    }

    fn samples_fn(&self, inputs: bool) -> TokenStream {
        let (fn_name, arg, what, names): (Ident, Ident, &str, Vec<String>) = if inputs {
            (
                format_ident!("input_samples"),
                format_ident!("inputs"),
                "input",
                self.inputs().map(|(_, n)| n.keras_name.clone()).collect(),
            )
        } else {
            (
                format_ident!("target_samples"),
                format_ident!("targets"),
                "targets of output",
                self.model
                    .outputs
                    .iter()
                    .map(|o| self.node(o.node).keras_name.clone())
                    .collect(),
            )
        };
        let parts: Vec<Ident> = (0..names.len())
            .map(|i| format_ident!("part_{}", i))
            .collect();
        let ty = if inputs {
            quote!(Self::Inputs<'_>)
        } else {
            quote!(Self::Targets<'_>)
        };
        let bind = tuple_or_single(&parts.iter().map(|p| quote!(#p)).collect::<Vec<_>>());
        let first = &parts[0];
        let count = |part: &Ident| {
            if inputs {
                quote!(::densely::inputs::Input::samples(#part))
            } else {
                quote!(::densely::data::Samples::samples(#part))
            }
        };
        let checks = parts.iter().zip(&names).skip(1).map(|(part, name)| {
            let count = count(part);
            quote! {
                ::densely::data::check_samples(#what, #name, samples, #count)?;
            }
        });
        let first = count(first);
        quote! {
            fn #fn_name(#arg: #ty) -> ::densely::Result<::core::primitive::usize> {
                let #bind = #arg;
                let samples = #first;
                #(#checks)*
                ::core::result::Result::Ok(samples)
            }
        }
    }

    fn stage(&self, inputs: bool) -> TokenStream {
        let buffers: Vec<Ident> = if inputs {
            self.inputs().map(|(i, _)| self.buffer(i, "out")).collect()
        } else {
            self.model
                .outputs
                .iter()
                .map(|o| self.target(o.node))
                .collect()
        };
        let parts: Vec<Ident> = (0..buffers.len())
            .map(|i| format_ident!("part_{}", i))
            .collect();
        let bind = tuple_or_single(&parts.iter().map(|p| quote!(#p)).collect::<Vec<_>>());
        let (fn_name, arg, ty) = if inputs {
            (
                format_ident!("stage_inputs"),
                format_ident!("inputs"),
                quote!(Self::Inputs<'_>),
            )
        } else {
            (
                format_ident!("stage_targets"),
                format_ident!("targets"),
                quote!(Self::Targets<'_>),
            )
        };
        if inputs {
            quote! {
                fn #fn_name(workspace: &mut Self::Workspace, #arg: #ty, rows: &[::core::primitive::usize]) -> ::densely::Result<()> {
                    let #bind = #arg;
                    #(::densely::inputs::stage(#parts, rows, &mut workspace.#buffers)?;)*
                    ::core::result::Result::Ok(())
                }
            }
        } else {
            quote! {
                fn #fn_name(workspace: &mut Self::Workspace, #arg: #ty, rows: &[::core::primitive::usize]) -> ::densely::Result<()> {
                    let #bind = #arg;
                    #(::densely::data::stage_rows(#parts, rows, &mut workspace.#buffers);)*
                    ::core::result::Result::Ok(())
                }
            }
        }
    }

    fn forward(&self) -> TokenStream {
        let steps = self.layers().map(|(index, node)| {
            let name = &node.name;
            let out = self.buffer(index, "out");
            let source = |i: usize| self.buffer(node.sources[i], "out");
            match &node.kind {
                Kind::Dense { .. } if self.keeps_pre(index) => {
                    let (x, pre) = (source(0), self.buffer(index, "pre"));
                    quote! { self.#name.forward(&workspace.#x, &mut workspace.#pre, &mut workspace.#out, samples); }
                }
                Kind::Dense { .. } => {
                    let x = source(0);
                    quote! { self.#name.forward_to_output(&workspace.#x, &mut workspace.#out, samples); }
                }
                Kind::Dropout { .. } => {
                    let (x, mask) = (source(0), self.buffer(index, "mask"));
                    quote! { self.#name.forward(&workspace.#x, &mut workspace.#mask, &mut workspace.#out, samples, training); }
                }
                Kind::Activation { .. } => {
                    let x = source(0);
                    quote! { self.#name.forward(&workspace.#x, &mut workspace.#out, samples); }
                }
                Kind::Concatenate => {
                    let parts = node.sources.iter().map(|&s| {
                        let buffer = self.buffer(s, "out");
                        let width = self.node(s).width();
                        quote! { (&workspace.#buffer[..], #width) }
                    });
                    quote! { self.#name.forward(&[#(#parts),*], &mut workspace.#out, samples); }
                }
                Kind::Add => {
                    let parts = node.sources.iter().map(|&s| self.buffer(s, "out"));
                    let width = node.width();
                    quote! { self.#name.forward(&[#(&workspace.#parts[..]),*], &mut workspace.#out, #width * samples); }
                }
                Kind::Op { .. } if node.kind.is_view() => quote! {},
                Kind::Op { kind, .. } => {
                    let parts = node.sources.iter().map(|&s| self.buffer(s, "out"));
                    let width = node.width();
                    let training = if kind.spec().frozen_infers {
                        let (state, text) = (&self.state, &node.keras_name);
                        quote! { training && self.#state.is_trainable(#text) }
                    } else {
                        quote! { training }
                    };
                    quote! { self.#name.forward(&[#(&workspace.#parts[..]),*], &mut workspace.#out, #width, samples, #training); }
                }
                Kind::Flatten => quote! {},
                Kind::Input | Kind::Invalid => unreachable!("not a layer"),
            }
        });
        quote! {
            fn forward(&mut self, workspace: &mut Self::Workspace, samples: ::core::primitive::usize, training: ::core::primitive::bool) {
                let _ = training;
                workspace.reserve(samples);
                #(#steps)*
            }
        }
    }

    /// Each output's mean loss into `losses`; with `written`, also the weighted gradient of each
    /// output into its gradient buffer, written by the buffer's first contribution and added by
    /// the others (two outputs share one through a `Flatten`).
    fn losses(&self, mut written: Option<&mut HashSet<usize>>) -> TokenStream {
        let mut terms = Vec::new();
        for (k, output) in self.model.outputs.iter().enumerate() {
            let index = output.node;
            let node = self.node(index);
            let loss = output.loss.as_ref().expect("checked");
            let units = node.width();
            let y = self.buffer(index, "out");
            let target = self.target(index);
            let target = if loss.sparse() {
                quote!(::densely::network::TargetView::Classes(&workspace.#target[..samples]))
            } else {
                quote!(::densely::network::TargetView::Values(&workspace.#target[..#units * samples]))
            };
            let weight = Literal::f32_suffixed(output.weight as f32);
            let owner = self.owner[index];
            let with_grad = written.is_some() && self.needs_grad[owner];
            let accumulate = with_grad && written.as_mut().is_some_and(|w| !w.insert(owner));
            let grad = self.buffer(index, "grad");
            let value = loss_value(loss);
            let term = if self.fused[index] {
                let z = match node.kind {
                    Kind::Dense { .. } => self.buffer(index, "pre"),
                    _ => self.buffer(node.sources[0], "out"),
                };
                let dz = if with_grad {
                    quote!(::core::option::Option::Some(&mut workspace.#grad[..#units * samples]))
                } else {
                    quote!(::core::option::Option::None)
                };
                quote! {
                    losses[#k] = LOSS.fused(
                        &workspace.#z[..#units * samples],
                        &workspace.#y[..#units * samples],
                        #target,
                        #units,
                        #weight / samples as ::core::primitive::f32,
                        weights.output(#k),
                        #dz,
                    ).expect("a fused loss fuses") / samples as ::core::primitive::f64;
                }
            } else {
                let gradient = with_grad.then(|| {
                    quote! {
                        LOSS.loss_gradient(
                            &workspace.#y[..#units * samples],
                            #target,
                            #units,
                            #weight / samples as ::core::primitive::f32,
                            weights.output(#k),
                            &mut workspace.#grad[..#units * samples],
                            #accumulate,
                        );
                    }
                });
                quote! {
                    losses[#k] = LOSS.mean_loss(
                        &workspace.#y[..#units * samples],
                        #target,
                        #units,
                        samples,
                        weights.output(#k),
                    );
                    #gradient
                }
            };
            terms.push(quote! {
                {
                    const LOSS: ::densely::loss::Loss = #value;
                    #term
                }
            });
        }
        quote! { #(#terms)* }
    }

    fn backward(&self) -> TokenStream {
        let mut written = HashSet::new();
        let output_terms = self.losses(Some(&mut written));
        let mut steps = Vec::new();
        for (index, node) in self.layers().collect::<Vec<_>>().into_iter().rev() {
            if !self.needs_grad[index] || node.kind.is_view() {
                continue;
            }
            let name = &node.name;
            let grad = self.buffer(index, "grad");
            let out = self.buffer(index, "out");
            let mut dx = |source: usize| -> Option<TokenStream> {
                let owner = self.owner[source];
                if !self.needs_grad[owner] {
                    return None;
                }
                let buffer = self.buffer(source, "grad");
                let accumulate = !written.insert(owner);
                Some(quote! { (&mut workspace.#buffer[..], #accumulate) })
            };
            let x = self.buffer(node.sources.first().copied().unwrap_or(index), "out");
            let step = match &node.kind {
                Kind::Dense { .. } => {
                    let dx = match dx(node.sources[0]) {
                        Some(dx) => quote!(::core::option::Option::Some(#dx)),
                        None => quote!(::core::option::Option::None),
                    };
                    if self.fused[index] {
                        quote! { self.#name.backward_from_preactivation(&workspace.#x, &workspace.#grad, #dx, samples); }
                    } else if self.keeps_pre(index) {
                        let pre = self.buffer(index, "pre");
                        quote! { self.#name.backward(&workspace.#x, &workspace.#pre, &workspace.#out, &mut workspace.#grad, #dx, samples); }
                    } else {
                        quote! { self.#name.backward_from_output(&workspace.#x, &workspace.#out, &mut workspace.#grad, #dx, samples); }
                    }
                }
                Kind::Dropout { .. } => {
                    let mask = self.buffer(index, "mask");
                    let dx = dx(node.sources[0])
                        .expect("dropout needs a gradient only if its source does");
                    quote! { self.#name.backward(&workspace.#mask, &mut workspace.#grad, #dx, samples); }
                }
                Kind::Activation { .. } => {
                    let dx = dx(node.sources[0])
                        .expect("an activation needs a gradient only if its source does");
                    if self.fused[index] {
                        let width = node.width();
                        quote! { ::densely::layers::pass_gradient(&workspace.#grad, #dx, #width * samples); }
                    } else {
                        quote! { self.#name.backward(&workspace.#x, &workspace.#out, &mut workspace.#grad, #dx, samples); }
                    }
                }
                Kind::Concatenate => {
                    let width = node.width();
                    let mut offset = 0usize;
                    let mut parts = Vec::new();
                    for &source in &node.sources {
                        let source_width = self.node(source).width();
                        if let Some(dx) = dx(source) {
                            parts.push(quote! {
                                self.#name.backward_to(&workspace.#grad, #width, #offset, #source_width, #dx, samples);
                            });
                        }
                        offset = offset.saturating_add(source_width);
                    }
                    quote! { #(#parts)* }
                }
                Kind::Add => {
                    let width = node.width();
                    let parts: Vec<TokenStream> = node
                        .sources
                        .iter()
                        .filter_map(|&source| dx(source))
                        .map(|dx| quote! { self.#name.backward_to(&workspace.#grad, #dx, #width * samples); })
                        .collect();
                    quote! { #(#parts)* }
                }
                Kind::Op { .. } => {
                    let width = node.width();
                    let sources: Vec<Ident> = node
                        .sources
                        .iter()
                        .map(|&s| self.buffer(s, "out"))
                        .collect();
                    let weighted = matches!(node.kind, Kind::Op { kind, .. } if !kind.spec().weights.is_empty());
                    let params = weighted.then(|| quote! {
                        self.#name.backward_params(&[#(&workspace.#sources[..]),*], &workspace.#grad, #width, samples);
                    });
                    let parts: Vec<TokenStream> = node
                        .sources
                        .iter()
                        .enumerate()
                        .filter_map(|(k, &source)| dx(source).map(|dx| (k, dx)))
                        .map(|(k, dx)| quote! {
                            self.#name.backward_to(#k, &[#(&workspace.#sources[..]),*], &workspace.#out, &workspace.#grad, #dx, #width, samples);
                        })
                        .collect();
                    quote! { #params #(#parts)* }
                }
                Kind::Flatten | Kind::Input | Kind::Invalid => unreachable!("skipped above"),
            };
            steps.push(step);
        }
        quote! {
            fn backward(&mut self, workspace: &mut Self::Workspace, samples: ::core::primitive::usize, weights: &::densely::weights::BatchWeights, losses: &mut [::core::primitive::f64]) {
                let _ = weights;
                #output_terms
                #(#steps)*
            }
        }
    }

    fn predictions(&self) -> TokenStream {
        let batches: Vec<TokenStream> = self
            .model
            .outputs
            .iter()
            .map(|_| {
                quote! {
                    ::densely::Batch::from_vec(outputs.next().unwrap_or_default())
                        .expect("each output's values are whole samples")
                }
            })
            .collect();
        let batches = tuple_or_single(&batches);
        quote! {
            fn predictions_from(
                &self,
                outputs: ::std::vec::Vec<::std::vec::Vec<::core::primitive::f32>>,
            ) -> Self::Predictions {
                let mut outputs = outputs.into_iter();
                #batches
            }
        }
    }

    fn access(&self) -> TokenStream {
        let outputs = self.model.outputs.iter().enumerate().map(|(k, output)| {
            let units = self.node(output.node).width();
            let y = self.buffer(output.node, "out");
            quote! { #k => &workspace.#y[..#units * samples], }
        });
        let targets = self.model.outputs.iter().enumerate().map(|(k, output)| {
            let units = self.node(output.node).width();
            let target = self.target(output.node);
            if output.loss.as_ref().expect("checked").sparse() {
                quote! { #k => ::densely::network::TargetView::Classes(&workspace.#target[..samples]), }
            } else {
                quote! { #k => ::densely::network::TargetView::Values(&workspace.#target[..#units * samples]), }
            }
        });
        quote! {
            fn output(workspace: &Self::Workspace, index: ::core::primitive::usize, samples: ::core::primitive::usize) -> &[::core::primitive::f32] {
                match index {
                    #(#outputs)*
                    _ => &[],
                }
            }

            fn staged_targets(
                workspace: &Self::Workspace,
                index: ::core::primitive::usize,
                samples: ::core::primitive::usize,
            ) -> ::densely::network::TargetView<'_> {
                match index {
                    #(#targets)*
                    _ => ::densely::network::TargetView::Values(&[]),
                }
            }
        }
    }

    fn visit(&self) -> TokenStream {
        let weighted: Vec<(&Ident, String)> = self
            .layers()
            .filter(|(_, node)| node.has_weights(self.model))
            .map(|(_, node)| (&node.name, node.keras_name.clone()))
            .collect();
        let visits = weighted.iter().map(|(name, text)| {
            quote! { ::densely::layers::Layer::visit_params(&self.#name, &mut |param| visit(#text, param)); }
        });
        let visits_mut = weighted.iter().map(|(name, text)| {
            quote! { ::densely::layers::Layer::visit_params_mut(&mut self.#name, &mut |param| visit(#text, param)); }
        });
        let names: Vec<&Ident> = weighted.iter().map(|(name, _)| *name).collect();
        let texts: Vec<&String> = weighted.iter().map(|(_, text)| text).collect();
        // Locals the user's names can't reach: a layer may be called `visit` or `param`.
        let bound: Vec<Ident> = (0..names.len())
            .map(|i| format_ident!("layer_{}", i, span = Span::mixed_site()))
            .collect();
        let state = &self.state;
        let dropout: Vec<(&Ident, String)> = self
            .layers()
            .filter(|(_, node)| matches!(node.kind, Kind::Dropout { .. }))
            .map(|(_, node)| (&node.name, node.keras_name.clone()))
            .collect();
        let generators = dropout.iter().map(|(name, text)| {
            quote! { visit(#text, self.#name.generator()); }
        });
        let generators_mut = dropout.iter().map(|(name, text)| {
            quote! { visit(#text, self.#name.generator_mut()); }
        });
        // The described kinds that draw: their generator is an `Option`.
        let drawing: Vec<(&Ident, String)> = self
            .layers()
            .filter(|(_, node)| matches!(node.kind, Kind::Op { kind, .. } if kind.spec().random))
            .map(|(_, node)| (&node.name, node.keras_name.clone()))
            .collect();
        let generators = generators.chain(drawing.iter().map(|(name, text)| {
            quote! { if let ::core::option::Option::Some(generator) = self.#name.generator() { visit(#text, generator); } }
        }));
        let generators_mut = generators_mut.chain(drawing.iter().map(|(name, text)| {
            quote! { if let ::core::option::Option::Some(generator) = self.#name.generator_mut() { visit(#text, generator); } }
        }));
        quote! {
            fn training_state(&self) -> &::densely::training::TrainingState {
                &self.#state
            }

            fn training_state_mut(&mut self) -> &mut ::densely::training::TrainingState {
                &mut self.#state
            }

            fn apply_gradients(&mut self) -> ::core::result::Result<(), ::densely::NonFinite> {
                let Self { #state: state, #(#names: #bound,)* .. } = self;
                state.apply_gradients(&mut |visit| {
                    let _ = &visit;
                    #(::densely::layers::Layer::visit_params_mut(#bound, &mut |param| visit(#texts, param));)*
                })
            }

            fn visit_params(&self, visit: &mut dyn ::core::ops::FnMut(&::core::primitive::str, ::densely::layers::Param<'_>)) {
                let _ = &visit;
                #(#visits)*
            }

            fn visit_params_mut(&mut self, visit: &mut dyn ::core::ops::FnMut(&::core::primitive::str, ::densely::layers::ParamMut<'_>)) {
                let _ = &visit;
                #(#visits_mut)*
            }

            fn visit_generators(&self, visit: &mut dyn ::core::ops::FnMut(&::core::primitive::str, &::densely::layers::Generator)) {
                let _ = &visit;
                #(#generators)*
            }

            fn visit_generators_mut(&mut self, visit: &mut dyn ::core::ops::FnMut(&::core::primitive::str, &mut ::densely::layers::Generator)) {
                let _ = &visit;
                #(#generators_mut)*
            }
        }
    }
}

fn tuple_or_single(items: &[TokenStream]) -> TokenStream {
    match items {
        [single] => single.clone(),
        _ => quote! { (#(#items),*) },
    }
}

fn shape_type(dims: &[usize]) -> TokenStream {
    let ty = format_ident!("Shape{}", dims.len());
    quote! { ::densely::#ty<#(#dims),*> }
}

fn activation_type(name: &str) -> TokenStream {
    let ty = format_ident!("{}", catalog::activation_type(name).expect("checked"));
    quote! { ::densely::activation::#ty }
}

/// The runtime's `Loss` for a declared loss, as a constant expression.
fn loss_value(loss: &LossDecl) -> TokenStream {
    let variant = format_ident!("{}", format!("{:?}", loss.kind));
    let args = loss.args.iter().map(value);
    quote! {
        ::densely::loss::Loss::declared(::densely::loss::LossKind::#variant, &[#(#args),*])
    }
}

fn op_kind(kind: densely_spec::OpKind) -> TokenStream {
    let variant = format_ident!("{}", format!("{kind:?}"));
    quote! { ::densely::spec::OpKind::#variant }
}

/// An argument's value as the runtime's `densely::spec::Value`.
fn value(value: &densely_spec::Value) -> TokenStream {
    use densely_spec::Value;
    match value {
        Value::None => quote! { ::densely::spec::Value::None },
        Value::Bool(b) => quote! { ::densely::spec::Value::Bool(#b) },
        Value::Float(x) => {
            let x = Literal::f64_suffixed(*x);
            quote! { ::densely::spec::Value::Float(#x) }
        }
        Value::Int(x) => {
            let x = Literal::i64_suffixed(*x);
            quote! { ::densely::spec::Value::Int(#x) }
        }
        Value::Floats(xs) => {
            let xs = xs.iter().map(|&x| Literal::f64_suffixed(x));
            quote! { ::densely::spec::Value::Floats(::std::borrow::Cow::Borrowed(&[#(#xs),*])) }
        }
        Value::Dims(dims) => {
            let dims = dims.iter().map(|d| Literal::i64_suffixed(*d));
            quote! { ::densely::spec::Value::Dims(::std::borrow::Cow::Borrowed(&[#(#dims),*])) }
        }
    }
}

fn initializer(name: &str) -> TokenStream {
    let variant = format_ident!("{}", catalog::initializer_variant(name).expect("checked"));
    quote! { ::densely::init::Initializer::#variant }
}
