//! densely: Keras's Sequential and Functional APIs for Rust, with every shape checked while the
//! program compiles.
//!
//! A model is declared once with [`model!`]; the macro checks the graph and writes a plain struct
//! with a generated forward and backward pass. The runtime gives it what Keras gives a model.
//!
//! ```
//! use densely::prelude::*;
//!
//! model! {
//!     /// A small classifier.
//!     pub struct Tiny {
//!         input features: [4];
//!         hidden = Dense(8, relu);
//!         output probs = Dense(3, softmax), loss = sparse_categorical_crossentropy;
//!     }
//! }
//!
//! let mut model = Tiny::new();
//! let x = Batch::<Shape1<4>>::from_vec(vec![0.5; 8])?;
//! let probs = model.predict(&x)?;
//! assert_eq!(probs.len(), 2);
//! assert!((probs.sample(0).iter().sum::<f32>() - 1.0).abs() < 1e-5);
//! # Ok::<(), densely::Error>(())
//! ```

#![warn(missing_docs)]

pub mod activation;
mod adapt;
pub mod callbacks;
pub mod csv;
pub mod data;
pub mod datasets;
pub mod dynamic;
pub mod error;
pub mod files;
pub mod graph;
pub mod init;
pub mod inputs;
pub mod inspect;
pub mod interop;
pub mod io;
pub mod layers;
pub mod linalg;
pub mod loss;
pub mod metrics;
pub mod network;
pub mod numpy;
pub mod optimizers;
pub mod plot;
pub mod rules;
pub mod search;
pub mod shape;
pub mod source;
pub mod summary;
pub mod training;
pub mod weights;

pub use data::{Batch, Labels};
pub use densely_macros::model;
/// The description of each layer kind densely describes by data ([`densely_spec`]).
pub use densely_spec as spec;
pub use dynamic::DynamicModel;
pub use error::{Error, NonFinite, Result};
pub use files::load_model;
pub use inspect::Array;
pub use metrics::Metric;
/// The nalgebra crate of [`Batch::as_matrix`] and [`Batch::from_matrix`].
pub use nalgebra;
/// The ndarray crate densely converts batches to and from, for a matching version.
#[cfg(feature = "ndarray")]
pub use ndarray;
pub use network::Network;
pub use shape::{Shape, Shape1, Shape2, Shape3, Shape4};
pub use training::{EvaluateOptions, FitOptions, History, Model};
pub use weights::SampleWeight;

/// Everything a program using densely usually needs.
pub mod prelude {
    pub use crate::callbacks::{
        Callback, CsvLogger, EarlyStopping, LambdaCallback, LearningRateScheduler, ModelCheckpoint,
        ProgbarLogger, ReduceLrOnPlateau, TerminateOnNan,
    };
    pub use crate::data::{Batch, Labels};
    pub use crate::files::Save;
    pub use crate::inspect::Array;
    pub use crate::inspect::Inspect;
    pub use crate::metrics::Metric;
    pub use crate::model;
    pub use crate::network::{Declared, Network};
    pub use crate::optimizers::{Adagrad, Adam, AdamW, Nadam, Optimizer, RmsProp, Sgd};
    pub use crate::plot::{plot_model, PlotOptions};
    pub use crate::shape::{Shape, Shape1, Shape2, Shape3, Shape4};
    pub use crate::training::{EvaluateOptions, FitOptions, History, Logs, Model};
    pub use crate::weights::SampleWeight;

    // The traits once more, unnamed: a struct of the user's called `Model` or `Network`
    // shadows the names above, and their methods stay in scope through these.
    pub use crate::callbacks::Callback as _;
    pub use crate::files::Save as _;
    pub use crate::inspect::Inspect as _;
    pub use crate::network::Declared as _;
    pub use crate::network::Network as _;
    pub use crate::optimizers::Optimizer as _;
    pub use crate::shape::Shape as _;
    pub use crate::training::Model as _;
}
