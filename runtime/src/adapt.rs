//! Keras's `Normalization.adapt(data)`: a Normalization layer's mean and variance learned
//! from data before training.

use crate::error::{did_you_mean, Error, Result};
use crate::graph::NodeKind;
use crate::network::Network;
use crate::spec::{OpKind, Value};

/// Each feature's mean and (population) variance over `rows` of `features` values, in
/// `f64`.
fn moments(data: &[f32], features: usize) -> (Vec<f64>, Vec<f64>) {
    let rows = (data.len() / features) as f64;
    let mut mean = vec![0.0; features];
    for row in data.chunks_exact(features) {
        mean.iter_mut()
            .zip(row)
            .for_each(|(m, &x)| *m += f64::from(x));
    }
    mean.iter_mut().for_each(|m| *m /= rows);
    let mut variance = vec![0.0; features];
    for row in data.chunks_exact(features) {
        for ((v, &m), &x) in variance.iter_mut().zip(&mean).zip(row) {
            let d = f64::from(x) - m;
            *v += d * d;
        }
    }
    variance.iter_mut().for_each(|v| *v /= rows);
    (mean, variance)
}

/// Sets the mean and variance of `model`'s Normalization layer `layer` to those of `data`,
/// samples of the layer's input flattened one after the other, each feature (the last axis)
/// reduced over the samples and their other axes; its `count` becomes the number of values
/// each feature had. The errors name the layer and say what is wrong.
pub(crate) fn adapt<N: Network>(model: &mut N, layer: &str, data: &[f32]) -> Result<()> {
    let graph = model.graph();
    let error = |reason: String| Error::Model {
        model: graph.name.to_string(),
        reason,
    };
    let Some(node) = graph.layers().find(|node| node.name == layer) else {
        let names = graph.layers().map(|node| &node.name[..]);
        return Err(error(format!(
            "`{layer}` is no layer of the model.{}",
            did_you_mean(layer, names)
        )));
    };
    match &node.kind {
        NodeKind::Op {
            kind: OpKind::Normalization,
            args,
        } if args.get(1) == Some(&Value::None) => {}
        NodeKind::Op {
            kind: OpKind::Normalization,
            ..
        } => {
            return Err(error(format!(
                "layer `{layer}` is given its mean and variance, so it has nothing to adapt"
            )))
        }
        other => {
            return Err(error(format!(
                "layer `{layer}` is a {}; only a Normalization adapts to data",
                other.keras_class_name()
            )))
        }
    }
    let sample: usize = node.shape.iter().product();
    let features = node.shape.last().copied().unwrap_or(1);
    if data.is_empty() || !data.len().is_multiple_of(sample) {
        return Err(error(format!(
            "layer `{layer}` adapts to samples of shape {:?} ({sample} values each), and it is given {} values",
            node.shape,
            data.len()
        )));
    }
    if let Some(index) = data.iter().position(|x| !x.is_finite()) {
        return Err(error(format!(
            "layer `{layer}` is given the value {} at position {index}; it adapts to finite values only",
            data[index]
        )));
    }
    let (mean, variance) = moments(data, features);
    let count = (data.len() / features) as f32;
    model.visit_params_mut(&mut |name, param| {
        if name != layer {
            return;
        }
        match param.name {
            "mean" => copy(param.value, &mean),
            "variance" => copy(param.value, &variance),
            "count" => param.value.fill(count),
            _ => {}
        }
    });
    Ok(())
}

fn copy(into: &mut [f32], from: &[f64]) {
    into.iter_mut().zip(from).for_each(|(v, &x)| *v = x as f32);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_are_the_population_mean_and_variance() {
        // Two features over three rows: (1, 10), (2, 10), (6, 10).
        let (mean, variance) = moments(&[1.0, 10.0, 2.0, 10.0, 6.0, 10.0], 2);
        assert_eq!(mean, [3.0, 10.0]);
        assert_eq!(variance, [(4.0 + 1.0 + 9.0) / 3.0, 0.0]);
    }
}
