//! In-memory copies of a model's weights, as Keras's `get_weights`/`set_weights`.

use crate::error::{Error, Result};
use crate::network::Network;

/// Every trainable tensor of a model, copied in layer order (Keras's `model.get_weights()`).
///
/// ```
/// use densely::callbacks::WeightSnapshot;
/// use densely::prelude::*;
///
/// model! { struct Net { input x: [2]; output y = Dense(1), loss = mse; } }
///
/// let mut model = Net::new();
/// let before = WeightSnapshot::of(&model);
/// model.visit_params_mut(&mut |_, param| param.value.fill(0.5));
/// before.restore(&mut model)?;
/// assert_eq!(WeightSnapshot::of(&model), before);
/// # Ok::<(), densely::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WeightSnapshot {
    tensors: Vec<Vec<f32>>,
}

impl WeightSnapshot {
    /// A copy of `model`'s weights.
    pub fn of<N: Network>(model: &N) -> Self {
        let mut snapshot = WeightSnapshot::default();
        snapshot.capture(model);
        snapshot
    }

    /// Copies `model`'s weights into this snapshot, reusing its buffers.
    pub fn capture<N: Network>(&mut self, model: &N) {
        let mut index = 0;
        let tensors = &mut self.tensors;
        model.visit_params(&mut |_, param| {
            match tensors.get_mut(index) {
                Some(tensor) => {
                    tensor.clear();
                    tensor.extend_from_slice(param.value);
                }
                None => tensors.push(param.value.to_vec()),
            }
            index += 1;
        });
        tensors.truncate(index);
    }

    /// Writes the copied weights back into `model` (Keras's `model.set_weights`); an error
    /// names the first tensor whose size differs, and then nothing is written.
    pub fn restore<N: Network>(&self, model: &mut N) -> Result<()> {
        let mut mismatch = None;
        let mut index = 0;
        model.visit_params(&mut |layer, param| {
            let held = self.tensors.get(index).map(Vec::len);
            if mismatch.is_none() && held != Some(param.value.len()) {
                mismatch = Some((layer.to_owned(), param.name, param.value.len(), held));
            }
            index += 1;
        });
        if let Some((layer, name, expected, held)) = mismatch {
            return Err(Error::shape(
                format!("weights of layer `{layer}` {name}"),
                format!("{expected} values"),
                held.map_or("no tensor".to_string(), |n| format!("{n} values")),
            ));
        }
        if index != self.tensors.len() {
            return Err(Error::shape(
                "weight snapshot",
                format!("{index} tensors"),
                format!("{} tensors", self.tensors.len()),
            ));
        }
        let mut index = 0;
        model.visit_params_mut(&mut |_, param| {
            param.value.copy_from_slice(&self.tensors[index]);
            index += 1;
        });
        Ok(())
    }

    /// The copied tensors, in layer order, kernel before bias.
    pub fn tensors(&self) -> &[Vec<f32>] {
        &self.tensors
    }
}
