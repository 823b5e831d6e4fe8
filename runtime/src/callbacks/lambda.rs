//! `LambdaCallback`: a callback made of closures, as Keras's `LambdaCallback`.

use std::fmt;

use super::Callback;
use crate::error::Result;
use crate::network::Network;
use crate::training::Logs;

/// What a [`LambdaCallback`] closure may return: nothing, or a `Result` whose error ends
/// `fit`.
pub trait HookOutput {
    /// The closure's outcome as a hook's result.
    fn into_result(self) -> Result<()>;
}

impl HookOutput for () {
    fn into_result(self) -> Result<()> {
        Ok(())
    }
}

impl HookOutput for Result<()> {
    fn into_result(self) -> Result<()> {
        self
    }
}

type Hook<'a, N> = Box<dyn FnMut(&mut N, &Logs) -> Result<()> + 'a>;
type Step<'a, N> = Box<dyn FnMut(&mut N, usize, &Logs) -> Result<()> + 'a>;
type EpochLogs<'a, N> = Box<dyn FnMut(&mut N, usize, &mut Logs) -> Result<()> + 'a>;

/// A callback made of closures, one per hook you need (Keras's `LambdaCallback`).
///
/// A closure gets the model, the epoch or batch where the hook has one, and the logs; it
/// returns nothing or a `Result`. Closures may borrow from the caller for the duration of
/// `fit`.
///
/// ```
/// use densely::callbacks::LambdaCallback;
/// use densely::prelude::*;
///
/// model! { struct Net { input x: [2]; output y = Dense(1), loss = mse; } }
///
/// let (x, y) = (Batch::<Shape1<2>>::zeros(8), Batch::<Shape1<1>>::zeros(8));
/// let mut model = Net::new();
/// model.compile(Sgd::default(), []);
/// let mut losses = Vec::new();
/// let mut batches = 0;
/// let callback = LambdaCallback::<Net>::new()
///     .on_epoch_end(|_, epoch, logs| losses.push((epoch, logs.get("loss").unwrap())))
///     .on_train_batch_end(|_, _, _| batches += 1)
///     .on_train_end(|model, _| {
///         // A closure may fail, which ends `fit` with its error.
///         model.visit_params(&mut |_, param| assert!(param.value.iter().all(|v| v.is_finite())));
///         Ok(())
///     });
/// model.fit(&x, &y, FitOptions::default().epochs(3).batch_size(4).verbose(0).callback(callback))?;
/// assert_eq!(losses.len(), 3);
/// assert_eq!(batches, 6);
/// # Ok::<(), densely::Error>(())
/// ```
pub struct LambdaCallback<'a, N: Network> {
    train_begin: Option<Hook<'a, N>>,
    train_end: Option<Hook<'a, N>>,
    epoch_begin: Option<Step<'a, N>>,
    epoch_logs: Option<EpochLogs<'a, N>>,
    epoch_end: Option<Step<'a, N>>,
    train_batch_begin: Option<Step<'a, N>>,
    train_batch_end: Option<Step<'a, N>>,
    test_begin: Option<Hook<'a, N>>,
    test_end: Option<Hook<'a, N>>,
    predict_begin: Option<Hook<'a, N>>,
    predict_end: Option<Hook<'a, N>>,
}

impl<N: Network> Default for LambdaCallback<'_, N> {
    fn default() -> Self {
        LambdaCallback {
            train_begin: None,
            train_end: None,
            epoch_begin: None,
            epoch_logs: None,
            epoch_end: None,
            train_batch_begin: None,
            train_batch_end: None,
            test_begin: None,
            test_end: None,
            predict_begin: None,
            predict_end: None,
        }
    }
}

fn hook<'a, N, R: HookOutput>(mut f: impl FnMut(&mut N, &Logs) -> R + 'a) -> Hook<'a, N> {
    Box::new(move |model, logs| f(model, logs).into_result())
}

fn step<'a, N, R: HookOutput>(mut f: impl FnMut(&mut N, usize, &Logs) -> R + 'a) -> Step<'a, N> {
    Box::new(move |model, index, logs| f(model, index, logs).into_result())
}

impl<'a, N: Network> LambdaCallback<'a, N> {
    /// A callback that does nothing until closures are added.
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs `f(model, logs)` when training starts.
    pub fn on_train_begin<R: HookOutput>(mut self, f: impl FnMut(&mut N, &Logs) -> R + 'a) -> Self {
        self.train_begin = Some(hook(f));
        self
    }

    /// Runs `f(model, last epoch's logs)` when training ends.
    pub fn on_train_end<R: HookOutput>(mut self, f: impl FnMut(&mut N, &Logs) -> R + 'a) -> Self {
        self.train_end = Some(hook(f));
        self
    }

    /// Runs `f(model, epoch, logs)` before each epoch.
    pub fn on_epoch_begin<R: HookOutput>(
        mut self,
        f: impl FnMut(&mut N, usize, &Logs) -> R + 'a,
    ) -> Self {
        self.epoch_begin = Some(step(f));
        self
    }

    /// Runs `f(model, epoch, logs)` after each epoch, before every `on_epoch_end`, with the
    /// logs writable: what it sets there every callback, the progress bar and the `History`
    /// see ([`Callback::update_epoch_logs`]; Keras has no such hook, its logs are a dict).
    pub fn update_epoch_logs<R: HookOutput>(
        mut self,
        mut f: impl FnMut(&mut N, usize, &mut Logs) -> R + 'a,
    ) -> Self {
        self.epoch_logs = Some(Box::new(move |model, epoch, logs| {
            f(model, epoch, logs).into_result()
        }));
        self
    }

    /// Runs `f(model, epoch, logs)` after each epoch.
    pub fn on_epoch_end<R: HookOutput>(
        mut self,
        f: impl FnMut(&mut N, usize, &Logs) -> R + 'a,
    ) -> Self {
        self.epoch_end = Some(step(f));
        self
    }

    /// Runs `f(model, batch, logs)` before each training batch.
    pub fn on_train_batch_begin<R: HookOutput>(
        mut self,
        f: impl FnMut(&mut N, usize, &Logs) -> R + 'a,
    ) -> Self {
        self.train_batch_begin = Some(step(f));
        self
    }

    /// Runs `f(model, batch, logs)` after each training batch.
    pub fn on_train_batch_end<R: HookOutput>(
        mut self,
        f: impl FnMut(&mut N, usize, &Logs) -> R + 'a,
    ) -> Self {
        self.train_batch_end = Some(step(f));
        self
    }

    /// Runs `f(model, logs)` before each validation or `evaluate` pass.
    pub fn on_test_begin<R: HookOutput>(mut self, f: impl FnMut(&mut N, &Logs) -> R + 'a) -> Self {
        self.test_begin = Some(hook(f));
        self
    }

    /// Runs `f(model, logs)` after each validation or `evaluate` pass.
    pub fn on_test_end<R: HookOutput>(mut self, f: impl FnMut(&mut N, &Logs) -> R + 'a) -> Self {
        self.test_end = Some(hook(f));
        self
    }

    /// Runs `f(model, logs)` before `predict`.
    pub fn on_predict_begin<R: HookOutput>(
        mut self,
        f: impl FnMut(&mut N, &Logs) -> R + 'a,
    ) -> Self {
        self.predict_begin = Some(hook(f));
        self
    }

    /// Runs `f(model, logs)` after `predict`.
    pub fn on_predict_end<R: HookOutput>(mut self, f: impl FnMut(&mut N, &Logs) -> R + 'a) -> Self {
        self.predict_end = Some(hook(f));
        self
    }
}

impl<N: Network> fmt::Debug for LambdaCallback<'_, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let set: Vec<&str> = [
            ("on_train_begin", self.train_begin.is_some()),
            ("on_train_end", self.train_end.is_some()),
            ("on_epoch_begin", self.epoch_begin.is_some()),
            ("update_epoch_logs", self.epoch_logs.is_some()),
            ("on_epoch_end", self.epoch_end.is_some()),
            ("on_train_batch_begin", self.train_batch_begin.is_some()),
            ("on_train_batch_end", self.train_batch_end.is_some()),
            ("on_test_begin", self.test_begin.is_some()),
            ("on_test_end", self.test_end.is_some()),
            ("on_predict_begin", self.predict_begin.is_some()),
            ("on_predict_end", self.predict_end.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, set)| set.then_some(name))
        .collect();
        f.debug_struct("LambdaCallback")
            .field("hooks", &set)
            .finish()
    }
}

impl<N: Network> Callback<N> for LambdaCallback<'_, N> {
    fn on_train_begin(&mut self, model: &mut N, logs: &Logs) -> Result<()> {
        self.train_begin.as_mut().map_or(Ok(()), |f| f(model, logs))
    }
    fn on_train_end(&mut self, model: &mut N, logs: &Logs) -> Result<()> {
        self.train_end.as_mut().map_or(Ok(()), |f| f(model, logs))
    }
    fn on_epoch_begin(&mut self, model: &mut N, epoch: usize, logs: &Logs) -> Result<()> {
        self.epoch_begin
            .as_mut()
            .map_or(Ok(()), |f| f(model, epoch, logs))
    }
    fn update_epoch_logs(&mut self, model: &mut N, epoch: usize, logs: &mut Logs) -> Result<()> {
        self.epoch_logs
            .as_mut()
            .map_or(Ok(()), |f| f(model, epoch, logs))
    }
    fn on_epoch_end(&mut self, model: &mut N, epoch: usize, logs: &Logs) -> Result<()> {
        self.epoch_end
            .as_mut()
            .map_or(Ok(()), |f| f(model, epoch, logs))
    }
    fn on_train_batch_begin(&mut self, model: &mut N, batch: usize, logs: &Logs) -> Result<()> {
        self.train_batch_begin
            .as_mut()
            .map_or(Ok(()), |f| f(model, batch, logs))
    }
    fn on_train_batch_end(&mut self, model: &mut N, batch: usize, logs: &Logs) -> Result<()> {
        self.train_batch_end
            .as_mut()
            .map_or(Ok(()), |f| f(model, batch, logs))
    }
    fn on_test_begin(&mut self, model: &mut N, logs: &Logs) -> Result<()> {
        self.test_begin.as_mut().map_or(Ok(()), |f| f(model, logs))
    }
    fn on_test_end(&mut self, model: &mut N, logs: &Logs) -> Result<()> {
        self.test_end.as_mut().map_or(Ok(()), |f| f(model, logs))
    }
    fn on_predict_begin(&mut self, model: &mut N, logs: &Logs) -> Result<()> {
        self.predict_begin
            .as_mut()
            .map_or(Ok(()), |f| f(model, logs))
    }
    fn on_predict_end(&mut self, model: &mut N, logs: &Logs) -> Result<()> {
        self.predict_end.as_mut().map_or(Ok(()), |f| f(model, logs))
    }
}
