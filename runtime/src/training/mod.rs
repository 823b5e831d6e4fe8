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

mod epochs;
mod history;
mod logs;
mod options;
mod progress;
mod state;
mod tally;

pub use history::{History, Params};
pub use logs::Logs;
pub use options::{EvaluateOptions, FitOptions};
pub use progress::{ProgressBar, Verbosity};
pub use state::TrainingState;
pub(crate) use tally::LogPlan;

use crate::data::check_samples;
use crate::error::{Error, NonFinite, Result};
use crate::graph::Graph;
use crate::metrics::Metric;
use crate::network::{InputsOf, Network, TargetsOf};
use crate::optimizers::Optimizer;
use crate::source::BatchSource;
use crate::weights::{BatchWeights, DataWeights};
pub(crate) use epochs::pass_seed;
use epochs::{Epochs, Passes, Rows, Source, Step};

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

    /// Keras's `fit` on a `PyDataset` or a `tf.data` pipeline: trains on the batches of
    /// `source` (see [`crate::source`]), each epoch a pass over it or, with
    /// `steps_per_epoch`, that many batches. `validation_data` or `validation_source` validate
    /// after each epoch (`validation_steps` batches of it, or all); `batch_size`,
    /// `validation_split`, `shuffle` and the weights concern samples in memory and are the
    /// source's own business here.
    fn fit_source(
        &mut self,
        mut source: impl BatchSource<Self>,
        options: FitOptions<'_, Self>,
    ) -> Result<History> {
        fit_source(self, &mut source, options)
    }

    /// Keras's `evaluate` on a source of batches: a pass over it, or its first `steps`
    /// batches.
    fn evaluate_source(
        &mut self,
        mut source: impl BatchSource<Self>,
        steps: Option<usize>,
    ) -> Result<Logs> {
        check_steps("steps", steps)?;
        let plan = LogPlan::new(self.graph(), self.training_state().metrics());
        let mut logs = plan.logs("");
        let mut workspace = self.new_workspace();
        let mut evaluation = Evaluation::new(&plan, self.graph().outputs.len());
        let mut data = Source::new(&mut source, self.graph().clone());
        evaluation.run(&plan, self, &mut workspace, &mut data, steps)?;
        plan.write(&evaluation.tally, &mut logs, 0);
        Ok(logs)
    }

    /// Keras's `predict` on a source of batches (their targets are not read): the predictions
    /// of a pass over it, or of its first `steps` batches, in order.
    fn predict_source(
        &mut self,
        mut source: impl BatchSource<Self>,
        steps: Option<usize>,
    ) -> Result<Self::Predictions> {
        check_steps("steps", steps)?;
        let outputs = self.graph().outputs.len();
        let mut values: Vec<Vec<f32>> = vec![Vec::new(); outputs];
        let mut workspace = self.new_workspace();
        let mut weights = BatchWeights::default();
        let mut data = Source::new(&mut source, self.graph().clone());
        let mut epochs = Epochs::new(&mut data, None, 0);
        epochs.start()?;
        for step in 0..steps.unwrap_or(usize::MAX) {
            let samples = match epochs.next(step, &mut workspace, &mut weights)? {
                Step::Batch(samples) => samples,
                Step::End | Step::EndEarly => break,
            };
            self.forward(&mut workspace, samples, false);
            for (k, values) in values.iter_mut().enumerate() {
                values.extend_from_slice(Self::output(&workspace, k, samples));
            }
        }
        Ok(self.predictions_from(values))
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
        self.check_data(inputs, Some(targets))?;
        let samples = checked_samples::<Self>("x", inputs, targets)?;
        let weights = DataWeights::from_samples(
            self.graph(),
            "sample_weight",
            &options.sample_weight,
            samples,
        )?;
        let plan = LogPlan::new(self.graph(), self.training_state().metrics());
        let mut logs = plan.logs("");
        let mut data = Rows::<Self>::new(
            (inputs, targets, weights),
            (0..samples).collect(),
            options.batch_size,
            None,
        );
        let mut workspace = self.new_workspace();
        let mut evaluation = Evaluation::new(&plan, self.graph().outputs.len());
        evaluation.run(&plan, self, &mut workspace, &mut data, None)?;
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
    fn new(plan: &LogPlan, outputs: usize) -> Self {
        Evaluation {
            tally: plan.tally(outputs),
            losses: vec![0.0; outputs],
            weights: BatchWeights::default(),
        }
    }

    /// Evaluates a pass over `data`, or its first `steps` batches.
    fn run<N: Network>(
        &mut self,
        plan: &LogPlan,
        model: &mut N,
        workspace: &mut N::Workspace,
        data: &mut dyn Passes<N>,
        steps: Option<usize>,
    ) -> Result<()> {
        self.tally.clear();
        let mut epochs = Epochs::new(data, None, 0);
        epochs.start()?;
        for step in 0..steps.unwrap_or(usize::MAX) {
            let samples = match epochs.next(step, workspace, &mut self.weights)? {
                Step::Batch(samples) => samples,
                Step::End | Step::EndEarly => break,
            };
            model.forward(workspace, samples, false);
            model.losses(workspace, samples, &self.weights, &mut self.losses);
            let loss = model.total_loss(&self.losses);
            plan.record(
                model,
                &mut self.tally,
                workspace,
                samples,
                &self.losses,
                loss,
            );
        }
        Ok(())
    }
}

/// A number of batches, when given, is at least 1.
fn check_steps(argument: &'static str, steps: Option<usize>) -> Result<()> {
    steps.map_or(Ok(()), |steps| check_batch_size(argument, steps))
}

/// A size or a count is at least 1.
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

/// Where a step went wrong, when one did.
struct Divergence {
    cause: NonFinite,
    epoch: usize,
    batch: usize,
}

/// What Keras warns when data runs out before `steps_per_epoch` batches.
const RAN_OUT: &str = "Your input ran out of data before `steps_per_epoch` batches; the epoch \
                       ends early and the next starts a new pass. Make sure that your source \
                       can generate at least `steps_per_epoch` batches a pass.";

/// Checks what every `fit` needs before it starts: a compiled model and sensible sizes.
fn check_fit<N: Network>(model: &N, options: &FitOptions<'_, N>) -> Result<usize> {
    if model.training_state().optimizer().is_none() {
        return Err(Error::Argument {
            argument: "optimizer",
            reason: "the model is not compiled: call compile(optimizer, metrics) first".into(),
        });
    }
    check_batch_size("batch_size", options.batch_size)?;
    let validation_batch_size = options.validation_batch_size.unwrap_or(options.batch_size);
    check_batch_size("validation_batch_size", validation_batch_size)?;
    check_steps("steps_per_epoch", options.steps_per_epoch)?;
    check_steps("validation_steps", options.validation_steps)?;
    if let Some((inputs, targets)) = options.validation_data {
        model.check_data(inputs, Some(targets))?;
    }
    Ok(validation_batch_size)
}

/// `fit` on data that can be read sample by sample.
fn fit<N: Network>(
    model: &mut N,
    inputs: N::Inputs<'_>,
    targets: N::Targets<'_>,
    mut options: FitOptions<'_, N>,
) -> Result<History> {
    let validation_batch_size = check_fit(model, &options)?;
    model.check_data(inputs, Some(targets))?;
    let samples = checked_samples::<N>("x", inputs, targets)?;
    let given = given_validation(model.graph(), &mut options, validation_batch_size)?;
    let (train_rows, held_out) = if given.is_some() {
        ((0..samples).collect(), Vec::new())
    } else {
        split_rows(samples, options.validation_split)?
    };
    // The held-out samples keep their sample weights; class weights weigh training alone.
    let sample_weights = DataWeights::from_samples(
        model.graph(),
        "sample_weight",
        &options.sample_weight,
        samples,
    )?;
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
        DataWeights::from_classes(model, &options.class_weight, targets, samples)?
    };
    let shuffle = options.shuffle.then_some(options.seed);
    let mut training = Rows::<N>::new(
        (inputs, targets, train_weights),
        train_rows,
        options.batch_size,
        shuffle,
    );
    let mut validation = match given {
        Some(given) => Some(given),
        None if held_out.is_empty() => None,
        None => Some(Validation::HeldOut(Rows::<N>::new(
            (inputs, targets, sample_weights),
            held_out,
            validation_batch_size,
            None,
        ))),
    };
    let validation = validation.as_mut().map(|v| v as &mut dyn Passes<N>);
    train(model, &mut training, validation, options)
}

/// `fit` on a source of batches.
fn fit_source<N: Network>(
    model: &mut N,
    source: &mut dyn BatchSource<N>,
    mut options: FitOptions<'_, N>,
) -> Result<History> {
    let validation_batch_size = check_fit(model, &options)?;
    let unsupported = [
        (
            "validation_split",
            options.validation_split != 0.0,
            "hold out validation data in a source of its own (validation_source)",
        ),
        (
            "sample_weight",
            !options.sample_weight.is_empty(),
            "a source hands each batch's weights over with stage.put_weighted",
        ),
        (
            "class_weight",
            !options.class_weight.is_empty(),
            "a source hands each batch's weights over with stage.put_weighted",
        ),
    ];
    if let Some((argument, _, instead)) = unsupported.iter().find(|(_, given, _)| *given) {
        return Err(Error::Argument {
            argument,
            reason: format!("applies to samples in memory, not to a source of batches: {instead}"),
        });
    }
    let mut validation = given_validation(model.graph(), &mut options, validation_batch_size)?;
    let validation = validation.as_mut().map(|v| v as &mut dyn Passes<N>);
    let mut training = Source::new(source, model.graph().clone());
    train(model, &mut training, validation, options)
}

/// The validation data `fit` was given, `validation_data` with its weights or
/// `validation_source`, checked; `None` if neither.
fn given_validation<'i, 't, 'v, N: Network>(
    graph: &Graph,
    options: &mut FitOptions<'v, N>,
    batch_size: usize,
) -> Result<Option<Validation<'i, 't, 'v, N>>> {
    match (options.validation_data, options.validation_source.take()) {
        (Some(_), Some(_)) => Err(Error::Argument {
            argument: "validation_source",
            reason: "can't be given together with validation_data: choose one".into(),
        }),
        (Some((inputs, targets)), None) => {
            let samples = checked_samples::<N>("validation_data", inputs, targets)?;
            let weights = DataWeights::from_samples(
                graph,
                "validation_sample_weight",
                &options.validation_sample_weight,
                samples,
            )?;
            let rows = (0..samples).collect();
            Ok(Some(Validation::Data(Rows::<N>::new(
                (inputs, targets, weights),
                rows,
                batch_size,
                None,
            ))))
        }
        (None, _) if !options.validation_sample_weight.is_empty() => Err(Error::Argument {
            argument: "validation_sample_weight",
            reason: "weighs the samples of validation_data, and none is given".into(),
        }),
        (None, Some(source)) => Ok(Some(Validation::Source(Source::boxed(
            source,
            graph.clone(),
        )))),
        (None, None) => Ok(None),
    }
}

/// What `fit` validates on: `validation_data`, a `validation_source`, or the samples
/// `validation_split` held out of the training data (`'i` and `'t` its lifetimes).
enum Validation<'i, 't, 'v, N: Network> {
    Data(Rows<'v, 'v, 'v, N>),
    Source(Source<'v, N>),
    HeldOut(Rows<'i, 't, 'v, N>),
}

impl<N: Network> Passes<N> for Validation<'_, '_, '_, N> {
    fn batches(&self) -> Option<usize> {
        match self {
            Validation::Data(rows) => rows.batches(),
            Validation::HeldOut(rows) => rows.batches(),
            Validation::Source(source) => source.batches(),
        }
    }

    fn rewind(&mut self, pass: usize) -> Result<()> {
        match self {
            Validation::Data(rows) => rows.rewind(pass),
            Validation::HeldOut(rows) => rows.rewind(pass),
            Validation::Source(source) => source.rewind(pass),
        }
    }

    fn next(
        &mut self,
        workspace: &mut N::Workspace,
        weights: &mut BatchWeights,
    ) -> Result<Option<usize>> {
        match self {
            Validation::Data(rows) => rows.next(workspace, weights),
            Validation::HeldOut(rows) => rows.next(workspace, weights),
            Validation::Source(source) => source.next(workspace, weights),
        }
    }
}

/// The epochs of `fit`: training on `training`, validating on `validation` after each.
fn train<N: Network>(
    model: &mut N,
    training: &mut (dyn Passes<N> + '_),
    validation: Option<&mut (dyn Passes<N> + '_)>,
    mut options: FitOptions<'_, N>,
) -> Result<History> {
    let mut epochs = Epochs::new(training, options.steps_per_epoch, options.initial_epoch);
    let mut validation = validation.map(|passes| (passes, options.validation_steps));
    // A source tells its length once a pass is under way.
    epochs.start()?;
    let mut started = true;
    let mut history = History::new(Params {
        verbose: options.verbosity.level(),
        epochs: options.epochs,
        steps: epochs.steps(),
    });
    let plan = LogPlan::new(model.graph(), model.training_state().metrics());
    // What batches report: the training metrics alone, as Keras's batch logs and live bar.
    let mut logs = plan.logs("");
    // What an epoch's end reports: the training metrics, then the validation ones.
    let mut end_logs = logs.clone();
    if validation.is_some() {
        for name in plan.logs("val_").names() {
            end_logs.set(name, f64::NAN);
        }
    }
    let outputs = model.graph().outputs.len();
    let mut tally = plan.tally(outputs);
    let mut losses = vec![0.0; outputs];
    let mut evaluation = Evaluation::new(&plan, outputs);
    let mut workspace = model.new_workspace();
    let mut batch_weights = BatchWeights::default();
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
        if !std::mem::take(&mut started) {
            epochs.start()?;
        }
        let mut bar =
            ProgressBar::start_epoch(options.verbosity, epoch, options.epochs, epochs.steps());
        tally.clear();
        let mut step = 0;
        loop {
            let samples = match epochs.next(step, &mut workspace, &mut batch_weights)? {
                Step::Batch(samples) => samples,
                Step::End => break,
                Step::EndEarly => {
                    bar.abandon();
                    eprintln!("warning: {RAN_OUT}");
                    break;
                }
            };
            for callback in callbacks.iter_mut() {
                callback.on_train_batch_begin(model, step, &logs)?;
            }
            model.forward(&mut workspace, samples, true);
            model.backward(&mut workspace, samples, &batch_weights, &mut losses);
            model.add_penalty_gradients();
            // The loss of the weights the step started from, as Keras reports it.
            let loss = model.total_loss(&losses);
            let refused = if loss.is_finite() {
                let refused = model.apply_gradients().err();
                if refused.is_none() {
                    model.apply_constraints();
                }
                refused
            } else {
                Some(NonFinite::Loss(loss))
            };
            plan.record(model, &mut tally, &workspace, samples, &losses, loss);
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
            step += 1;
            if stop {
                break;
            }
        }
        plan.write(&tally, &mut end_logs, 0);
        if let Some((passes, steps)) = validation.as_mut() {
            for callback in callbacks.iter_mut() {
                callback.on_test_begin(model, &end_logs)?;
            }
            evaluation.run(&plan, model, &mut workspace, &mut **passes, *steps)?;
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
        bar.finish_after(step, &epoch_logs);
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
