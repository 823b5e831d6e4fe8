//! `History` as a callback.

use super::Callback;
use crate::error::Result;
use crate::network::Network;
use crate::training::{History, Logs, Params};

/// `History` is a callback too (Keras's `keras.callbacks.History`): it records the
/// parameters of `fit` and every epoch's logs, with the values callbacks added
/// ([`Callback::update_epoch_logs`]).
///
/// Unlike Keras's, which forgets its epochs (but not its values) at each `fit`, it keeps
/// adding: one `History` passed to several `fit` calls (a training resumed with
/// `initial_epoch`) holds the whole training.
///
/// ```
/// use densely::prelude::*;
///
/// model! { struct Net { input x: [2]; output y = Dense(1), loss = mse; } }
///
/// let (x, y) = (Batch::<Shape1<2>>::zeros(8), Batch::<Shape1<1>>::zeros(8));
/// let mut model = Net::new();
/// model.compile(Sgd::default(), []);
/// let mut history = History::default();
/// model.fit(&x, &y, FitOptions::default().epochs(2).verbose(0).callback(&mut history))?;
/// model.fit(&x, &y, FitOptions::default().epochs(5).initial_epoch(2).verbose(0).callback(&mut history))?;
/// assert_eq!(history.epoch, [0, 1, 2, 3, 4]);
/// assert_eq!(history.history["loss"].len(), 5);
/// assert_eq!(history.params.epochs, 5);
/// # Ok::<(), densely::Error>(())
/// ```
impl<N: Network> Callback<N> for History {
    fn set_params(&mut self, params: &Params) {
        self.params = params.clone();
    }

    fn on_epoch_end(&mut self, _model: &mut N, epoch: usize, logs: &Logs) -> Result<()> {
        self.record(epoch, logs);
        Ok(())
    }
}
