//! Training, as Keras does it: `compile`, `fit`, `evaluate`, with `History` and the progress
//! bar.
//!
//! ```
//! use densely::prelude::*;
//!
//! model! {
//!     struct Xor {
//!         input x: [2];
//!         hidden = Dense(8, tanh);
//!         output y = Dense(1, sigmoid), loss = binary_crossentropy;
//!     }
//! }
//!
//! let x = Batch::<Shape1<2>>::from_vec(vec![0., 0., 0., 1., 1., 0., 1., 1.])?;
//! let y = Batch::<Shape1<1>>::from_vec(vec![0., 1., 1., 0.])?;
//! let mut model = Xor::new();
//! model.compile(Adam::new(0.05), [Metric::Accuracy]);
//! let history = model.fit(&x, &y, FitOptions::default().epochs(300).batch_size(4).verbose(0))?;
//! assert_eq!(history.params.epochs, 300);
//! assert_eq!(history.keys(), ["accuracy", "loss"]);
//! assert!(history.history["loss"][299] < history.history["loss"][0]);
//! let logs = model.evaluate(&x, &y)?;
//! assert_eq!(logs.get("accuracy"), Some(1.0));
//! # Ok::<(), densely::Error>(())
//! ```

mod history;
mod logs;
mod options;
mod progress;
mod state;
mod tally;

use rand::seq::SliceRandom;
use rand::SeedableRng;

pub use history::{History, Params};
pub use logs::Logs;
pub use options::{EvaluateOptions, FitOptions};
pub use progress::{ProgressBar, Verbosity};
pub use state::TrainingState;
pub(crate) use tally::LogPlan;

use crate::data::check_samples;
use crate::error::{Error, NonFinite, Result};
use crate::metrics::Metric;
use crate::network::{InputsOf, Network, TargetsOf};
use crate::optimizers::Optimizer;
use crate::weights::{BatchWeights, DataWeights};

/// Keras's model methods for every `model!` struct: `compile`, `fit`, `evaluate`.
pub trait Model: Network {
    /// Sets the optimizer and the metrics; compiling again starts from fresh optimizer state,
    /// as in Keras. The losses and their weights come from the declaration.
    fn compile(
        &mut self,
        optimizer: impl Optimizer + 'static,
        metrics: impl IntoIterator<Item = Metric>,
    ) {
        self.training_state_mut()
            .compile(Box::new(optimizer), metrics.into_iter().collect());
    }

    /// The optimizer given to `compile`.
    fn optimizer(&self) -> Option<&dyn Optimizer> {
        self.training_state().optimizer()
    }

    /// The optimizer, writable (a callback may change its learning rate).
    fn optimizer_mut(&mut self) -> Option<&mut (dyn Optimizer + 'static)> {
        self.training_state_mut().optimizer_mut()
    }

    /// Asks `fit` to stop after the current batch or epoch (Keras's
    /// `model.stop_training = True`).
    fn stop_training(&mut self) {
        self.training_state_mut().set_stop_training(true);
    }

    /// Trains on `inputs` and `targets` as Keras's `fit` does, and returns the `History`.
    ///
    /// Every argument is checked before the first update: an error names the one that is
    /// wrong.
    ///
    /// A step whose loss, gradients or updated weights would not be finite is never applied.
    /// If a callback then asks to stop (as [`TerminateOnNan`](crate::callbacks::TerminateOnNan)
    /// does on a NaN loss), the epoch ends and `fit` returns its History as Keras does.
    /// Otherwise training stops with [`Error::NonFinite`]: the weights are those before the
    /// failed step, every callback's `on_train_end` has run (restoring best weights, closing
    /// CSV files), and [`Error::history`] gives the epochs that finished.
    fn fit<'i, 't>(
        &mut self,
        inputs: impl InputsOf<'i, Self>,
        targets: impl TargetsOf<'t, Self>,
        options: FitOptions<'_, Self>,
    ) -> Result<History> {
        fit(self, inputs.into_inputs(), targets.into_targets(), options)
    }

    /// Keras's `evaluate` with its batch size of 32: the loss (and per-output losses) and
    /// the compiled metrics, by name.
    fn evaluate<'i, 't>(
        &mut self,
        inputs: impl InputsOf<'i, Self>,
        targets: impl TargetsOf<'t, Self>,
    ) -> Result<Logs> {
        self.evaluate_batched(inputs, targets, 32)
    }

    /// `evaluate` with another batch size.
    fn evaluate_batched<'i, 't>(
        &mut self,
        inputs: impl InputsOf<'i, Self>,
        targets: impl TargetsOf<'t, Self>,
        batch_size: usize,
    ) -> Result<Logs> {
        self.evaluate_with(
            inputs,
            targets,
            EvaluateOptions::default().batch_size(batch_size),
        )
    }

    /// `evaluate` with Keras's other arguments: the batch size and sample weights.
    fn evaluate_with<'i, 't>(
        &mut self,
        inputs: impl InputsOf<'i, Self>,
        targets: impl TargetsOf<'t, Self>,
        options: EvaluateOptions<'_>,
    ) -> Result<Logs> {
        let (inputs, targets) = (inputs.into_inputs(), targets.into_targets());
        check_batch_size("batch_size", options.batch_size)?;
        let samples = checked_samples::<Self>("x", inputs, targets)?;
        let weights =
            DataWeights::from_samples::<Self>("sample_weight", &options.sample_weight, samples)?;
        let plan = LogPlan::new::<Self>(self.training_state().metrics());
        let mut logs = plan.logs("");
        let rows: Vec<usize> = (0..samples).collect();
        let mut workspace = Self::Workspace::default();
        let mut evaluation = Evaluation::new::<Self>(&plan);
        evaluation.run(
            &plan,
            self,
            &mut workspace,
            (inputs, targets, &weights),
            &rows,
            options.batch_size,
        )?;
        plan.write(&evaluation.tally, &mut logs, 0);
        Ok(logs)
    }
}

impl<N: Network> Model for N {}

/// A validation or evaluation pass: batched forward passes without dropout, tallied.
struct Evaluation {
    tally: tally::Tally,
    losses: Vec<f64>,
    weights: BatchWeights,
}

impl Evaluation {
    fn new<N: Network>(plan: &LogPlan) -> Self {
        let outputs = N::GRAPH.outputs.len();
        Evaluation {
            tally: plan.tally(outputs),
            losses: vec![0.0; outputs],
            weights: BatchWeights::default(),
        }
    }

    /// Evaluates the samples `rows` of `data`, `batch_size` at a time.
    fn run<N: Network>(
        &mut self,
        plan: &LogPlan,
        model: &mut N,
        workspace: &mut N::Workspace,
        (inputs, targets, weights): (N::Inputs<'_>, N::Targets<'_>, &DataWeights<'_>),
        rows: &[usize],
        batch_size: usize,
    ) -> Result<()> {
        self.tally.clear();
        for batch in rows.chunks(batch_size) {
            N::stage_inputs(workspace, inputs, batch)?;
            N::stage_targets(workspace, targets, batch);
            weights.stage(&mut self.weights, batch);
            model.forward(workspace, batch.len(), false);
            model.losses(workspace, batch.len(), &self.weights, &mut self.losses);
            plan.record::<N>(&mut self.tally, workspace, batch.len(), &self.losses);
        }
        Ok(())
    }
}

fn check_batch_size(argument: &'static str, batch_size: usize) -> Result<()> {
    if batch_size == 0 {
        return Err(Error::Argument {
            argument,
            reason: "must be at least 1".into(),
        });
    }
    Ok(())
}

/// The number of samples, checked to be positive and the same in inputs and targets.
fn checked_samples<N: Network>(
    what: &'static str,
    inputs: N::Inputs<'_>,
    targets: N::Targets<'_>,
) -> Result<usize> {
    let samples = N::input_samples(inputs)?;
    let target_samples = N::target_samples(targets)?;
    if samples == 0 {
        return Err(Error::Argument {
            argument: what,
            reason: "holds no samples".into(),
        });
    }
    check_samples("targets", what, samples, target_samples)?;
    Ok(samples)
}

/// Which rows train and which validate, exactly as Keras 3 splits
/// (`train_validation_split`): the first `floor(samples * (1 - validation_split))` train,
/// computed in double precision, and the rest validate, taken before shuffling. A split
/// that leaves either part empty is refused, as Keras refuses it.
fn split_rows(samples: usize, validation_split: f64) -> Result<(Vec<usize>, Vec<usize>)> {
    if !(0.0..1.0).contains(&validation_split) {
        return Err(Error::Argument {
            argument: "validation_split",
            reason: format!("must be in [0, 1), got {validation_split}"),
        });
    }
    if validation_split == 0.0 {
        return Ok(((0..samples).collect(), Vec::new()));
    }
    let train = (samples as f64 * (1.0 - validation_split)).floor() as usize;
    if train == 0 || train == samples {
        return Err(Error::Argument {
            argument: "validation_split",
            reason: format!(
                "{validation_split} of {samples} samples leaves {} to train on and {} to \
                 validate; either part must hold at least one sample: give more data or \
                 another validation_split",
                train,
                samples - train
            ),
        });
    }
    Ok(((0..train).collect(), (train..samples).collect()))
}

/// Where validation data comes from.
enum Validation<'v, N: Network> {
    None,
    /// The last samples of the training data: these rows.
    Split(Vec<usize>),
    /// `validation_data` and its weights, with all its rows.
    Data(N::Inputs<'v>, N::Targets<'v>, DataWeights<'v>, Vec<usize>),
}

/// Where a step went wrong, when one did.
struct Divergence {
    cause: NonFinite,
    epoch: usize,
    batch: usize,
}

fn fit<N: Network>(
    model: &mut N,
    inputs: N::Inputs<'_>,
    targets: N::Targets<'_>,
    mut options: FitOptions<'_, N>,
) -> Result<History> {
    if model.training_state().optimizer().is_none() {
        return Err(Error::Argument {
            argument: "optimizer",
            reason: "the model is not compiled: call compile(optimizer, metrics) first".into(),
        });
    }
    check_batch_size("batch_size", options.batch_size)?;
    let validation_batch_size = options.validation_batch_size.unwrap_or(options.batch_size);
    check_batch_size("validation_batch_size", validation_batch_size)?;
    let samples = checked_samples::<N>("x", inputs, targets)?;
    let (train_rows, split_rows) = match options.validation_data {
        Some(_) => ((0..samples).collect(), Vec::new()),
        None => split_rows(samples, options.validation_split)?,
    };
    let validation = match options.validation_data {
        Some((inputs, targets)) => {
            let samples = checked_samples::<N>("validation_data", inputs, targets)?;
            let weights = DataWeights::from_samples::<N>(
                "validation_sample_weight",
                &options.validation_sample_weight,
                samples,
            )?;
            Validation::<N>::Data(inputs, targets, weights, (0..samples).collect())
        }
        None if !options.validation_sample_weight.is_empty() => {
            return Err(Error::Argument {
                argument: "validation_sample_weight",
                reason: "weighs the samples of validation_data, and none is given".into(),
            })
        }
        None if split_rows.is_empty() => Validation::None,
        None => Validation::Split(split_rows),
    };
    // The held-out samples keep their sample weights; class weights weigh training alone.
    let sample_weights =
        DataWeights::from_samples::<N>("sample_weight", &options.sample_weight, samples)?;
    let train_weights = if options.class_weight.is_empty() {
        sample_weights.clone()
    } else if !options.sample_weight.is_empty() {
        return Err(Error::Argument {
            argument: "class_weight",
            reason: "can't be given together with sample_weight, as in Keras: multiply the \
                     class weights into the sample weights instead"
                .into(),
        });
    } else {
        DataWeights::from_classes::<N>(&options.class_weight, targets, samples)?
    };
    let mut batch_weights = BatchWeights::default();

    let steps = train_rows.len().div_ceil(options.batch_size);
    let mut history = History::new(Params {
        verbose: options.verbosity.level(),
        epochs: options.epochs,
        steps,
    });
    let plan = LogPlan::new::<N>(model.training_state().metrics());
    // What batches report: the training metrics alone, as Keras's batch logs and live bar.
    let mut logs = plan.logs("");
    // What an epoch's end reports: the training metrics, then the validation ones.
    let mut end_logs = logs.clone();
    if !matches!(validation, Validation::None) {
        for name in plan.logs("val_").names() {
            end_logs.set(name, f64::NAN);
        }
    }
    let outputs = N::GRAPH.outputs.len();
    let mut tally = plan.tally(outputs);
    let mut losses = vec![0.0; outputs];
    let mut evaluation = Evaluation::new::<N>(&plan);
    let mut workspace = N::Workspace::default();
    let mut order = train_rows.clone();
    let callbacks = &mut options.callbacks;
    // The logs of an epoch's end: a copy that callbacks may add to (`update_epoch_logs`).
    let mut epoch_logs = end_logs.clone();
    let mut diverged = None;

    model.training_state_mut().set_stop_training(false);
    for callback in callbacks.iter_mut() {
        callback.set_params(&history.params);
    }
    for callback in callbacks.iter_mut() {
        callback.on_train_begin(model, &logs)?;
    }
    'epochs: for epoch in options.initial_epoch..options.epochs {
        for callback in callbacks.iter_mut() {
            callback.on_epoch_begin(model, epoch, &logs)?;
        }
        let mut bar = ProgressBar::start_epoch(options.verbosity, epoch, options.epochs, steps);
        order.copy_from_slice(&train_rows);
        if options.shuffle {
            let mut rng = rand::rngs::StdRng::seed_from_u64(epoch_seed(options.seed, epoch));
            order.shuffle(&mut rng);
        }
        tally.clear();
        for (step, batch) in order.chunks(options.batch_size).enumerate() {
            for callback in callbacks.iter_mut() {
                callback.on_train_batch_begin(model, step, &logs)?;
            }
            N::stage_inputs(&mut workspace, inputs, batch)?;
            N::stage_targets(&mut workspace, targets, batch);
            train_weights.stage(&mut batch_weights, batch);
            model.forward(&mut workspace, batch.len(), true);
            model.backward(&mut workspace, batch.len(), &batch_weights, &mut losses);
            let loss = N::total_loss(&losses);
            let refused = if loss.is_finite() {
                model.apply_gradients().err()
            } else {
                Some(NonFinite::Loss(loss))
            };
            plan.record::<N>(&mut tally, &workspace, batch.len(), &losses);
            plan.write(&tally, &mut logs, 0);
            bar.update(step, &logs);
            for callback in callbacks.iter_mut() {
                callback.on_train_batch_end(model, step, &logs)?;
            }
            let stop = model.training_state().stop_requested();
            if let Some(cause) = refused.filter(|_| !stop) {
                bar.abandon();
                diverged = Some(Divergence {
                    cause,
                    epoch,
                    batch: step,
                });
                break 'epochs;
            }
            if stop {
                break;
            }
        }
        plan.write(&tally, &mut end_logs, 0);
        if !matches!(validation, Validation::None) {
            for callback in callbacks.iter_mut() {
                callback.on_test_begin(model, &end_logs)?;
            }
            let batch_size = validation_batch_size;
            match &validation {
                Validation::Data(inputs, targets, weights, rows) => evaluation.run(
                    &plan,
                    model,
                    &mut workspace,
                    (*inputs, *targets, weights),
                    rows,
                    batch_size,
                )?,
                Validation::Split(rows) => evaluation.run(
                    &plan,
                    model,
                    &mut workspace,
                    (inputs, targets, &sample_weights),
                    rows,
                    batch_size,
                )?,
                Validation::None => {}
            }
            plan.write(&evaluation.tally, &mut end_logs, plan.len());
            for callback in callbacks.iter_mut() {
                callback.on_test_end(model, &end_logs)?;
            }
        }
        epoch_logs.clone_from(&end_logs);
        for callback in callbacks.iter_mut() {
            callback.update_epoch_logs(model, epoch, &mut epoch_logs)?;
        }
        for callback in callbacks.iter_mut() {
            callback.on_epoch_end(model, epoch, &epoch_logs)?;
        }
        bar.finish(&epoch_logs);
        history.record(epoch, &epoch_logs);
        if model.training_state().stop_requested() {
            break;
        }
    }
    for callback in callbacks.iter_mut() {
        callback.on_train_end(model, &epoch_logs)?;
    }
    match diverged {
        None => Ok(history),
        Some(Divergence {
            cause,
            epoch,
            batch,
        }) => Err(Error::NonFinite {
            weight: weight_named_by(model, cause),
            cause,
            epoch,
            batch,
            history: Some(Box::new(history)),
        }),
    }
}

/// `layer/kernel` for a cause that concerns one trainable tensor.
fn weight_named_by<N: Network>(model: &N, cause: NonFinite) -> Option<String> {
    let (NonFinite::Gradient { tensor } | NonFinite::Update { tensor }) = cause else {
        return None;
    };
    let mut index = 0;
    let mut name = None;
    model.visit_params(&mut |layer, param| {
        if index == tensor {
            name = Some(format!("{layer}/{}", param.name));
        }
        index += 1;
    });
    name
}

/// The seed of one epoch's shuffle: a function of the fit's seed and the epoch alone.
fn epoch_seed(seed: u64, epoch: usize) -> u64 {
    seed ^ (epoch as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_split_takes_the_last_samples() {
        let (train, valid) = split_rows(10, 0.2).unwrap();
        assert_eq!(train, (0..8).collect::<Vec<_>>());
        assert_eq!(valid, vec![8, 9]);
        // Keras rounds the training part down: 0.25 of 10 leaves 7 to train on.
        assert_eq!(split_rows(10, 0.25).unwrap().1, vec![7, 8, 9]);
        assert_eq!(split_rows(10, 0.05).unwrap().1, vec![9]);
        assert!(split_rows(10, 0.0).unwrap().1.is_empty());
        // 10 * (1 - 0.9) is 0.9999999999999998 in double precision: nothing would train.
        let error = split_rows(10, 0.9).unwrap_err().to_string();
        assert!(error.contains("leaves 0 to train on"), "{error}");
    }

    /// Keras's own `train_validation_split` on 540 sizes and fractions
    /// (`tools/keras_validation_split.py`).
    #[test]
    fn validation_split_is_keras_split_for_every_size_and_fraction() {
        let fixture: serde_json::Value = serde_json::from_str(include_str!(
            "../../../tests/fixtures/keras_validation_split.json"
        ))
        .unwrap();
        let cases = fixture["cases"].as_array().unwrap();
        assert_eq!(cases.len(), 540);
        for case in cases {
            let samples = case["samples"].as_u64().unwrap() as usize;
            let fraction = case["validation_split"].as_f64().unwrap();
            let split = split_rows(samples, fraction);
            match case["train"].as_u64() {
                Some(train) => {
                    let (rows, held_out) = split.unwrap();
                    assert_eq!(
                        (rows.len(), held_out.len()),
                        (train as usize, samples - train as usize),
                        "{case}"
                    );
                    assert_eq!(held_out.first(), Some(&(train as usize)));
                }
                None => assert!(split.is_err(), "Keras refuses {case}"),
            }
        }
    }

    #[test]
    fn validation_split_outside_the_unit_interval_is_refused() {
        for bad in [1.0, -0.1, 1.5, f64::NAN] {
            let err = split_rows(10, bad).unwrap_err().to_string();
            assert!(err.contains("validation_split"), "{err}");
        }
    }
}
