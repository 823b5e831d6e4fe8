//! `Dropout`: inverted dropout while training, the identity otherwise.

use super::activation::add_or_copy;
use super::{Generator, Layer, Param, ParamMut};

/// Drops each of `N` values with probability `rate` while training and scales the kept ones by
/// `1 / (1 - rate)`, as Keras does; passes values through unchanged at inference. The math is
/// [`DropoutCore`]'s.
#[derive(Clone, Debug)]
pub struct Dropout<const N: usize> {
    core: DropoutCore,
}

/// Dropout over any number of values, as [`Dropout`] and a model built at run time use it.
#[derive(Clone, Debug)]
pub struct DropoutCore {
    rate: f32,
    generator: Generator,
}

impl DropoutCore {
    /// Dropout of `rate` of its inputs, drawing its masks from a generator seeded by `seed`.
    pub fn new(rate: f32, seed: u64) -> Self {
        DropoutCore {
            rate,
            generator: Generator::new(seed),
        }
    }

    /// The generator the masks are drawn from.
    pub fn generator(&self) -> &Generator {
        &self.generator
    }

    /// The generator, writable (to restore its state from a file).
    pub fn generator_mut(&mut self) -> &mut Generator {
        &mut self.generator
    }

    /// The fraction of values dropped while training.
    pub fn rate(&self) -> f32 {
        self.rate
    }

    /// `y = x * mask` over `len` values, drawing a fresh mask of kept (`1 / (1 - rate)`) and
    /// dropped (0) values when `training`; `y = x` otherwise (and the mask is all ones).
    pub fn forward(
        &mut self,
        x: &[f32],
        mask: &mut [f32],
        y: &mut [f32],
        len: usize,
        training: bool,
    ) {
        let (x, mask, y) = (&x[..len], &mut mask[..len], &mut y[..len]);
        if training && self.rate > 0.0 {
            let keep = 1.0 / (1.0 - self.rate);
            for m in mask.iter_mut() {
                *m = if self.generator.uniform() < self.rate {
                    0.0
                } else {
                    keep
                };
            }
        } else {
            mask.fill(1.0);
        }
        y.iter_mut()
            .zip(x.iter().zip(mask.iter()))
            .for_each(|(y, (x, m))| *y = x * m);
    }

    /// Writes or adds `grad * mask` to `dx`, over `len` values.
    pub fn backward(&self, mask: &[f32], grad: &mut [f32], dx: (&mut [f32], bool), len: usize) {
        grad[..len]
            .iter_mut()
            .zip(&mask[..len])
            .for_each(|(g, m)| *g *= m);
        add_or_copy(&grad[..len], &mut dx.0[..len], dx.1);
    }
}

impl<const N: usize> Dropout<N> {
    /// A layer dropping `rate` of its inputs, drawing its masks from a generator seeded by `seed`.
    pub fn new(rate: f32, seed: u64) -> Self {
        Dropout {
            core: DropoutCore::new(rate, seed),
        }
    }

    /// The generator the masks are drawn from.
    pub fn generator(&self) -> &Generator {
        self.core.generator()
    }

    /// The generator, writable (to restore its state from a file).
    pub fn generator_mut(&mut self) -> &mut Generator {
        self.core.generator_mut()
    }

    /// The fraction of values dropped while training.
    pub fn rate(&self) -> f32 {
        self.core.rate()
    }

    /// `y = x * mask` over `samples` samples (see [`DropoutCore::forward`]).
    pub fn forward(
        &mut self,
        x: &[f32],
        mask: &mut [f32],
        y: &mut [f32],
        samples: usize,
        training: bool,
    ) {
        self.core.forward(x, mask, y, N * samples, training);
    }

    /// Writes or adds `grad * mask` to `dx`.
    pub fn backward(&self, mask: &[f32], grad: &mut [f32], dx: (&mut [f32], bool), samples: usize) {
        self.core.backward(mask, grad, dx, N * samples);
    }
}

impl<const N: usize> Layer for Dropout<N> {
    fn visit_params(&self, _visit: &mut dyn FnMut(Param<'_>)) {}
    fn visit_params_mut(&mut self, _visit: &mut dyn FnMut(ParamMut<'_>)) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn training_drops_about_rate_and_scales_the_rest() {
        let mut layer = Dropout::<1000>::new(0.25, 7);
        let x = vec![2.0; 1000];
        let (mut mask, mut y) = (vec![0.0; 1000], vec![0.0; 1000]);
        layer.forward(&x, &mut mask, &mut y, 1, true);
        let dropped = y.iter().filter(|&&v| v == 0.0).count();
        assert!((200..300).contains(&dropped), "dropped {dropped}");
        assert!(y.iter().all(|&v| v == 0.0 || (v - 2.0 / 0.75).abs() < 1e-6));
    }

    #[test]
    fn inference_is_the_identity() {
        let mut layer = Dropout::<4>::new(0.5, 7);
        let x = [1.0, 2.0, 3.0, 4.0];
        let (mut mask, mut y) = ([0.0; 4], [0.0; 4]);
        layer.forward(&x, &mut mask, &mut y, 1, false);
        assert_eq!(y, x);
    }

    #[test]
    fn the_same_seed_draws_the_same_masks() {
        let draw = |seed| {
            let mut layer = Dropout::<64>::new(0.5, seed);
            let (mut mask, mut y) = (vec![0.0; 64], vec![0.0; 64]);
            layer.forward(&[1.0; 64], &mut mask, &mut y, 1, true);
            mask
        };
        assert_eq!(draw(3), draw(3));
        assert_ne!(draw(3), draw(4));
    }

    #[test]
    fn backward_passes_gradients_through_the_mask() {
        let layer = Dropout::<3>::new(0.5, 0);
        let mask = [2.0, 0.0, 2.0];
        let mut grad = [1.0, 1.0, 3.0];
        let mut dx = [10.0, 10.0, 10.0];
        layer.backward(&mask, &mut grad, (&mut dx, true), 1);
        assert_eq!(dx, [12.0, 10.0, 16.0]);
    }
}
