//! `Generator`: the random number generator of a layer that draws while training (Dropout),
//! whose whole state can be saved and restored, so that training resumed from a file draws
//! what uninterrupted training would have drawn.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Everything that determines a [`Generator`]'s future draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct GeneratorState {
    /// The ChaCha8 key.
    pub seed: [u8; 32],
    /// The ChaCha8 stream (nonce).
    pub stream: u64,
    /// How many 32-bit words have been drawn from the stream.
    pub word_pos: u128,
}

/// A seeded ChaCha8 generator with a saveable position.
///
/// ```
/// use densely::layers::Generator;
///
/// let mut generator = Generator::new(7);
/// let saved = generator.state();
/// let first = generator.uniform();
/// generator.set_state(saved);
/// assert_eq!(generator.uniform(), first);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Generator {
    rng: ChaCha8Rng,
}

impl Generator {
    /// A generator seeded by `seed`.
    pub fn new(seed: u64) -> Self {
        Generator {
            rng: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    /// A value uniform in `[0, 1)`.
    #[inline]
    pub fn uniform(&mut self) -> f32 {
        self.rng.random::<f32>()
    }

    /// A draw from the standard normal distribution.
    #[inline]
    pub fn normal(&mut self) -> f32 {
        self.rng.sample(rand_distr::StandardNormal)
    }

    /// The generator's state, to restore with [`Generator::set_state`].
    pub fn state(&self) -> GeneratorState {
        GeneratorState {
            seed: self.rng.get_seed(),
            stream: self.rng.get_stream(),
            word_pos: self.rng.get_word_pos(),
        }
    }

    /// Puts the generator back in `state`: the following draws are those that followed it.
    pub fn set_state(&mut self, state: GeneratorState) {
        let mut rng = ChaCha8Rng::from_seed(state.seed);
        rng.set_stream(state.stream);
        rng.set_word_pos(state.word_pos);
        self.rng = rng;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_restored_state_continues_the_same_draws() {
        let mut generator = Generator::new(3);
        for _ in 0..37 {
            generator.uniform();
        }
        let state = generator.state();
        let expected: Vec<f32> = (0..100).map(|_| generator.uniform()).collect();
        let mut other = Generator::new(99);
        other.set_state(state);
        let drawn: Vec<f32> = (0..100).map(|_| other.uniform()).collect();
        assert_eq!(drawn, expected);
        assert_eq!(other.state(), generator.state());
    }

    #[test]
    fn the_state_moves_with_every_draw() {
        let mut generator = Generator::new(3);
        let before = generator.state();
        generator.uniform();
        assert_ne!(generator.state(), before);
        assert_eq!(generator.state().word_pos, before.word_pos + 1);
    }

    proptest::proptest! {
        /// Any state a file may hold, however odd, restores without a panic and draws in
        /// `[0, 1)`; a state the generator reached round-trips exactly.
        #[test]
        fn any_state_restores(
            seed in proptest::array::uniform32(proptest::prelude::any::<u8>()),
            stream in proptest::prelude::any::<u64>(),
            word_pos in proptest::prelude::any::<u128>(),
        ) {
            let mut generator = Generator::new(0);
            generator.set_state(GeneratorState { seed, stream, word_pos });
            let value = generator.uniform();
            proptest::prop_assert!((0.0..1.0).contains(&value));
            let state = generator.state();
            let mut other = Generator::new(1);
            other.set_state(state);
            proptest::prop_assert_eq!(other.uniform(), generator.uniform());
        }
    }

    #[test]
    fn draws_are_uniform_in_the_unit_interval() {
        let mut generator = Generator::new(5);
        let draws: Vec<f32> = (0..10_000).map(|_| generator.uniform()).collect();
        assert!(draws.iter().all(|v| (0.0..1.0).contains(v)));
        let mean = draws.iter().sum::<f32>() / draws.len() as f32;
        assert!((mean - 0.5).abs() < 0.02, "mean {mean}");
    }
}
