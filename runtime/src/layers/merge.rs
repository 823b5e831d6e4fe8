//! The merges: `concatenate` and `add`.

use super::activation::add_or_copy;
use super::{Layer, Param, ParamMut};

/// Joins rank-1 sources along their last axis, sample by sample.
#[derive(Clone, Copy, Debug, Default)]
pub struct Concatenate;

impl Concatenate {
    /// Writes each sample of `y` (`width` values) as the samples of `sources` one after another;
    /// each source is `(values, width)`.
    pub fn forward(&self, sources: &[(&[f32], usize)], y: &mut [f32], samples: usize) {
        let width: usize = sources.iter().map(|(_, w)| w).sum();
        let mut offset = 0;
        for &(values, w) in sources {
            self.forward_part(values, w, y, width, offset, samples);
            offset += w;
        }
    }

    /// Writes one source (`w` values per sample) at `offset` within each sample of `y`
    /// (`width` values per sample): [`forward`](Self::forward) one source at a time.
    pub fn forward_part(
        &self,
        values: &[f32],
        w: usize,
        y: &mut [f32],
        width: usize,
        offset: usize,
        samples: usize,
    ) {
        for (sample, out) in y[..width * samples].chunks_exact_mut(width).enumerate() {
            out[offset..offset + w].copy_from_slice(&values[sample * w..(sample + 1) * w]);
        }
    }

    /// Splits `grad` back to the source at `offset` (of width `w`) within each sample, writing or
    /// adding to `dx`.
    #[allow(clippy::too_many_arguments)]
    pub fn backward_to(
        &self,
        grad: &[f32],
        width: usize,
        offset: usize,
        w: usize,
        dx: (&mut [f32], bool),
        samples: usize,
    ) {
        let (dx, accumulate) = dx;
        for (sample, g) in grad[..width * samples].chunks_exact(width).enumerate() {
            add_or_copy(
                &g[offset..offset + w],
                &mut dx[sample * w..(sample + 1) * w],
                accumulate,
            );
        }
    }
}

impl Layer for Concatenate {
    fn visit_params(&self, _visit: &mut dyn FnMut(Param<'_>)) {}
    fn visit_params_mut(&mut self, _visit: &mut dyn FnMut(ParamMut<'_>)) {}
}

/// Sums sources of equal shape.
#[derive(Clone, Copy, Debug, Default)]
pub struct Add;

impl Add {
    /// `y = Σ sources`, over `len` values.
    pub fn forward(&self, sources: &[&[f32]], y: &mut [f32], len: usize) {
        for (index, source) in sources.iter().enumerate() {
            self.forward_part(source, y, len, index > 0);
        }
    }

    /// Writes (the first source) or adds (`accumulate`, the others) one source to `y`, over
    /// `len` values: [`forward`](Self::forward) one source at a time.
    pub fn forward_part(&self, source: &[f32], y: &mut [f32], len: usize, accumulate: bool) {
        add_or_copy(&source[..len], &mut y[..len], accumulate);
    }

    /// Passes `grad` to one source: writes or adds it to `dx`.
    pub fn backward_to(&self, grad: &[f32], dx: (&mut [f32], bool), len: usize) {
        add_or_copy(&grad[..len], &mut dx.0[..len], dx.1);
    }
}

impl Layer for Add {
    fn visit_params(&self, _visit: &mut dyn FnMut(Param<'_>)) {}
    fn visit_params_mut(&mut self, _visit: &mut dyn FnMut(ParamMut<'_>)) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concatenate_interleaves_samples_and_splits_gradients_back() {
        let a = [1.0, 2.0, 3.0, 4.0]; // 2 samples of 2
        let b = [5.0, 6.0]; // 2 samples of 1
        let mut y = [0.0; 6];
        Concatenate.forward(&[(&a, 2), (&b, 1)], &mut y, 2);
        assert_eq!(y, [1.0, 2.0, 5.0, 3.0, 4.0, 6.0]);
        let mut db = [100.0, 100.0];
        Concatenate.backward_to(&y, 3, 2, 1, (&mut db, true), 2);
        assert_eq!(db, [105.0, 106.0]);
        let mut da = [0.0; 4];
        Concatenate.backward_to(&y, 3, 0, 2, (&mut da, false), 2);
        assert_eq!(da, a);
    }

    #[test]
    fn add_sums_and_copies_gradients() {
        let mut y = [0.0; 2];
        Add.forward(&[&[1.0, 2.0], &[10.0, 20.0], &[100.0, 200.0]], &mut y, 2);
        assert_eq!(y, [111.0, 222.0]);
        let mut dx = [1.0, 1.0];
        Add.backward_to(&[3.0, 4.0], (&mut dx, true), 2);
        assert_eq!(dx, [4.0, 5.0]);
    }
}
