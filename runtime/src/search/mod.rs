//! Hyperparameter search, as the book does next: a randomized search over a [`Space`] the
//! user describes, each trial's model built by the user's function (typically a
//! [`DynamicModel`](crate::DynamicModel) whose layers the hyperparameters choose), trained
//! with early stopping on validation data; the best model, its hyperparameters and a table
//! of every trial come back. scikit-learn's `RandomizedSearchCV` on a Keras model, with a
//! validation set instead of cross-validation.
//!
//! ```
//! use densely::dynamic::{dense, Sequential};
//! use densely::prelude::*;
//! use densely::search::{RandomSearch, Space};
//!
//! let x = Batch::<Shape1<3>>::from_fn(64, |i, j| ((i * 3 + j) % 5) as f32 / 5.0);
//! let y = Batch::<Shape1<1>>::from_fn(64, |i, _| x.sample(i).iter().sum());
//! let space = Space::new()
//!     .integer("n_hidden", 0, 2)
//!     .integer("n_neurons", 4, 16)
//!     .log_uniform("learning_rate", 3e-4, 3e-2);
//! let result = RandomSearch::new(space).trials(3).epochs(5).verbose(false).run(
//!     |params| {
//!         let mut model = Sequential::new("regressor").input("x", &[3]);
//!         for _ in 0..params.count("n_hidden")? {
//!             model = model.add(dense(params.count("n_neurons")?).activation("relu"));
//!         }
//!         let mut model = model.add(dense(1)).loss("mse").build_with_seed(params.seed())?;
//!         model.compile(Sgd::new(params.real("learning_rate")? as f32), []);
//!         Ok(model)
//!     },
//!     (&x, &y),
//!     (&x, &y),
//! )?;
//! assert_eq!(result.trials().len(), 3);
//! println!("{}", result.table());
//! assert!(result.best_score() <= result.trials()[0].score.unwrap());
//! # Ok::<(), densely::Error>(())
//! ```

mod report;
mod space;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Instant;

use rand::SeedableRng;

pub use report::{SearchResult, Trial};
pub use space::{Distribution, Params, Space, Value};

use crate::callbacks::EarlyStopping;
use crate::error::{Error, Result};
use crate::network::{next_seed, InputsOf, Network, TargetsOf};
use crate::training::{FitOptions, Model};

/// A randomized search: `trials` draws from the space, each trained for up to `epochs`
/// epochs with early stopping, ranked by the early stopping's monitored value (`val_loss`
/// by default). Seeded: the same seed draws the same hyperparameters, weights and shuffles.
#[derive(Clone, Debug)]
pub struct RandomSearch {
    space: Space,
    trials: usize,
    seed: u64,
    epochs: usize,
    batch_size: usize,
    early_stopping: EarlyStopping,
    verbose: bool,
}

impl RandomSearch {
    /// A search of `space` with scikit-learn's and the book's settings: 10 trials, seed 42,
    /// up to 100 epochs of batch 32, early stopping after 10 epochs without a better
    /// `val_loss`, rolled back to the best epoch; a progress line per trial.
    pub fn new(space: Space) -> Self {
        RandomSearch {
            space,
            trials: 10,
            seed: 42,
            epochs: 100,
            batch_size: 32,
            early_stopping: EarlyStopping::new().patience(10).restore_best_weights(true),
            verbose: true,
        }
    }

    /// The number of trials (scikit-learn's `n_iter`).
    pub fn trials(mut self, trials: usize) -> Self {
        self.trials = trials;
        self
    }

    /// The seed of the draws, of each trial's weights ([`Params::seed`]) and shuffles.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The most epochs a trial trains.
    pub fn epochs(mut self, epochs: usize) -> Self {
        self.epochs = epochs;
        self
    }

    /// The batch size of every trial.
    pub fn batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size;
        self
    }

    /// The early stopping each trial trains with; its monitored value ranks the trials (use
    /// `restore_best_weights(true)` so the best model is the one that scored).
    pub fn early_stopping(mut self, early_stopping: EarlyStopping) -> Self {
        self.early_stopping = early_stopping;
        self
    }

    /// Whether to print a line per trial.
    pub fn verbose(mut self, verbose: bool) -> Self {
        self.verbose = verbose;
        self
    }

    /// Runs the search: for each trial, draws the hyperparameters, builds and compiles a
    /// model with `build`, and trains it on `data` with `validation` as validation data.
    ///
    /// A trial whose training diverges (a NaN or an infinity) is kept in the table without a
    /// score, and the search goes on; any other error (from `build`, or data that doesn't
    /// fit the model) ends it.
    pub fn run<'d, N, F>(
        &self,
        mut build: F,
        data: (impl InputsOf<'d, N>, impl TargetsOf<'d, N>),
        validation: (impl InputsOf<'d, N>, impl TargetsOf<'d, N>),
    ) -> Result<SearchResult<N>>
    where
        N: Network,
        F: FnMut(&Params) -> Result<N>,
    {
        self.space.check()?;
        if self.trials == 0 {
            return Err(Error::Argument {
                argument: "trials",
                reason: "must be at least 1".into(),
            });
        }
        let (x, y) = (data.0.into_inputs(), data.1.into_targets());
        let (x_valid, y_valid) = (validation.0.into_inputs(), validation.1.into_targets());
        let mut rng = rand::rngs::StdRng::seed_from_u64(self.seed);
        let mut result = SearchResult::new(self.early_stopping.monitored());
        for index in 0..self.trials {
            let params = self.space.draw(&mut rng);
            let params = params.with_seed(next_seed(&mut rng));
            let started = Instant::now();
            let mut model = build(&params)?;
            let early_stopping = Rc::new(RefCell::new(self.early_stopping.clone()));
            let options = FitOptions::default()
                .epochs(self.epochs)
                .batch_size(self.batch_size)
                .validation_data(x_valid, y_valid)
                .seed(params.seed())
                .verbose(0)
                .callback(Rc::clone(&early_stopping));
            let outcome = model.fit(x, y, options);
            let seconds = started.elapsed().as_secs_f64();
            let stopping = early_stopping.borrow();
            let trial = match outcome {
                Ok(history) => Trial {
                    index,
                    params,
                    score: stopping.best(),
                    epochs: history.epoch.len(),
                    seconds,
                    failure: None,
                },
                Err(error @ Error::NonFinite { .. }) => Trial {
                    index,
                    params,
                    score: None,
                    epochs: match &error {
                        Error::NonFinite { epoch, .. } => epoch + 1,
                        _ => 0,
                    },
                    seconds,
                    failure: Some(error.to_string()),
                },
                Err(error) => return Err(error),
            };
            let maximize = stopping.maximizes().unwrap_or(false);
            drop(stopping);
            let best = result.record(trial, model, maximize);
            if self.verbose {
                println!("{}", result.progress_line(index, self.trials, best));
            }
        }
        result.finish()
    }
}
