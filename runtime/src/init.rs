//! Keras's weight initializers, seeded.

use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

/// The standard deviation of a standard normal truncated to ±2, by which Keras divides
/// the target standard deviation so the truncated draws have the intended variance.
const TRUNCATED_NORMAL_STDDEV: f64 = 0.879_625_661_034_239_8;

/// A weight initializer, named as Keras names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Initializer {
    /// All zeros (Keras's default for biases).
    Zeros,
    /// All ones.
    Ones,
    /// U(−limit, limit) with limit = sqrt(6 / (fan_in + fan_out)) (Keras's default for kernels).
    GlorotUniform,
    /// Truncated normal with variance 2 / (fan_in + fan_out).
    GlorotNormal,
    /// U(−limit, limit) with limit = sqrt(6 / fan_in).
    HeUniform,
    /// Truncated normal with variance 2 / fan_in.
    HeNormal,
    /// U(−limit, limit) with limit = sqrt(3 / fan_in).
    LecunUniform,
    /// Truncated normal with variance 1 / fan_in.
    LecunNormal,
}

/// How Keras's `VarianceScaling` draws: the distribution and the target variance.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Draw {
    /// U(−limit, limit).
    Uniform { limit: f64 },
    /// A normal with this standard deviation before truncation, resampled beyond 2 of them.
    TruncatedNormal { stddev: f64 },
}

impl Initializer {
    /// Every initializer, in declaration order.
    pub const ALL: [Initializer; 8] = [
        Self::Zeros,
        Self::Ones,
        Self::GlorotUniform,
        Self::GlorotNormal,
        Self::HeUniform,
        Self::HeNormal,
        Self::LecunUniform,
        Self::LecunNormal,
    ];

    /// Keras's function name: `"glorot_uniform"`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Zeros => "zeros",
            Self::Ones => "ones",
            Self::GlorotUniform => "glorot_uniform",
            Self::GlorotNormal => "glorot_normal",
            Self::HeUniform => "he_uniform",
            Self::HeNormal => "he_normal",
            Self::LecunUniform => "lecun_uniform",
            Self::LecunNormal => "lecun_normal",
        }
    }

    /// Keras's class name: `"GlorotUniform"`.
    pub fn keras_class_name(self) -> &'static str {
        match self {
            Self::Zeros => "Zeros",
            Self::Ones => "Ones",
            Self::GlorotUniform => "GlorotUniform",
            Self::GlorotNormal => "GlorotNormal",
            Self::HeUniform => "HeUniform",
            Self::HeNormal => "HeNormal",
            Self::LecunUniform => "LecunUniform",
            Self::LecunNormal => "LecunNormal",
        }
    }

    /// Parses a snake_case name (`"glorot_uniform"`) or a class name (`"GlorotUniform"`).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|init| init.name() == name || init.keras_class_name() == name)
    }

    /// Fills `values` for a weight with the given fans, as Keras's `VarianceScaling` does.
    pub fn fill<R: Rng + ?Sized>(
        self,
        values: &mut [f32],
        fan_in: usize,
        fan_out: usize,
        rng: &mut R,
    ) {
        match self.draw(fan_in, fan_out) {
            None => values.fill(if self == Self::Ones { 1.0 } else { 0.0 }),
            Some(Draw::Uniform { limit }) => {
                let limit = limit as f32;
                values.fill_with(|| rng.random_range(-limit..limit));
            }
            Some(Draw::TruncatedNormal { stddev }) => {
                values.fill_with(|| (truncated_standard_normal(rng) * stddev) as f32);
            }
        }
    }

    /// The variance-scaling draw for the given fans, or `None` for the constants.
    fn draw(self, fan_in: usize, fan_out: usize) -> Option<Draw> {
        let fan_in = fan_in as f64;
        let fan_avg = (fan_in + fan_out as f64) / 2.0;
        let (scale, n, uniform) = match self {
            Self::Zeros | Self::Ones => return None,
            Self::GlorotUniform => (1.0, fan_avg, true),
            Self::GlorotNormal => (1.0, fan_avg, false),
            Self::HeUniform => (2.0, fan_in, true),
            Self::HeNormal => (2.0, fan_in, false),
            Self::LecunUniform => (1.0, fan_in, true),
            Self::LecunNormal => (1.0, fan_in, false),
        };
        // Keras divides by max(1, n), so empty fans cannot divide by zero.
        let variance = scale / n.max(1.0);
        Some(if uniform {
            Draw::Uniform {
                limit: (3.0 * variance).sqrt(),
            }
        } else {
            Draw::TruncatedNormal {
                stddev: variance.sqrt() / TRUNCATED_NORMAL_STDDEV,
            }
        })
    }
}

/// A standard normal draw, redrawn until it lies within ±2.
fn truncated_standard_normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    loop {
        let x: f64 = StandardNormal.sample(rng);
        if x.abs() <= 2.0 {
            return x;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    const VARIANCE_SCALING: [Initializer; 6] = [
        Initializer::GlorotUniform,
        Initializer::GlorotNormal,
        Initializer::HeUniform,
        Initializer::HeNormal,
        Initializer::LecunUniform,
        Initializer::LecunNormal,
    ];

    fn filled(init: Initializer, len: usize, fan_in: usize, fan_out: usize, seed: u64) -> Vec<f32> {
        let mut values = vec![f32::NAN; len];
        init.fill(
            &mut values,
            fan_in,
            fan_out,
            &mut StdRng::seed_from_u64(seed),
        );
        values
    }

    /// The variance Keras targets: scale / n.
    fn target_variance(init: Initializer, fan_in: usize, fan_out: usize) -> f64 {
        let (fan_in, fan_out) = (fan_in as f64, fan_out as f64);
        match init {
            Initializer::GlorotUniform | Initializer::GlorotNormal => 2.0 / (fan_in + fan_out),
            Initializer::HeUniform | Initializer::HeNormal => 2.0 / fan_in,
            _ => 1.0 / fan_in,
        }
    }

    #[test]
    fn same_seed_same_values() {
        for init in VARIANCE_SCALING {
            let a = filled(init, 64, 8, 8, 42);
            assert_eq!(a, filled(init, 64, 8, 8, 42), "{init:?}");
            assert_ne!(a, filled(init, 64, 8, 8, 43), "{init:?}");
        }
    }

    #[test]
    fn uniform_values_lie_within_the_limit() {
        let (fan_in, fan_out) = (30, 10);
        for init in [
            Initializer::GlorotUniform,
            Initializer::HeUniform,
            Initializer::LecunUniform,
        ] {
            let limit = (3.0 * target_variance(init, fan_in, fan_out)).sqrt() as f32;
            let values = filled(init, 10_000, fan_in, fan_out, 1);
            assert!(values.iter().all(|v| v.abs() <= limit), "{init:?}");
            // The draws spread over the whole range, not a narrower one.
            let max = values.iter().fold(0.0_f32, |m, v| m.max(v.abs()));
            assert!(max > 0.99 * limit, "{init:?}: max {max}, limit {limit}");
        }
    }

    #[test]
    fn variance_matches_keras() {
        let (fan_in, fan_out) = (50, 30);
        for init in VARIANCE_SCALING {
            let values = filled(init, 200_000, fan_in, fan_out, 7);
            let n = values.len() as f64;
            let mean = values.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
            let variance = values
                .iter()
                .map(|&v| (f64::from(v) - mean).powi(2))
                .sum::<f64>()
                / n;
            let target = target_variance(init, fan_in, fan_out);
            assert!(
                (variance / target - 1.0).abs() < 0.05,
                "{init:?}: variance {variance}, target {target}"
            );
            assert!(mean.abs() < 0.01 * target.sqrt(), "{init:?}: mean {mean}");
        }
    }

    #[test]
    fn normals_are_truncated_at_two_stddev() {
        let (fan_in, fan_out) = (20, 40);
        for init in [
            Initializer::GlorotNormal,
            Initializer::HeNormal,
            Initializer::LecunNormal,
        ] {
            let stddev = target_variance(init, fan_in, fan_out).sqrt() / 0.879_625_661_034_239_8;
            let bound = (2.0 * stddev * (1.0 + 1e-6)) as f32;
            let values = filled(init, 100_000, fan_in, fan_out, 3);
            let max = values.iter().fold(0.0_f32, |m, v| m.max(v.abs()));
            assert!(max <= bound, "{init:?}: {max} beyond {bound}");
            assert!(max > 0.99 * bound, "{init:?}: {max} never near {bound}");
        }
    }

    #[test]
    fn constants_are_exact() {
        assert_eq!(filled(Initializer::Zeros, 5, 3, 4, 0), [0.0; 5]);
        assert_eq!(filled(Initializer::Ones, 5, 3, 4, 0), [1.0; 5]);
    }

    #[test]
    fn empty_fans_give_finite_values() {
        for init in VARIANCE_SCALING {
            assert!(filled(init, 16, 0, 0, 5).iter().all(|v| v.is_finite()));
        }
    }

    #[test]
    fn names_round_trip() {
        for init in Initializer::ALL {
            assert_eq!(Initializer::from_name(init.name()), Some(init));
            assert_eq!(Initializer::from_name(init.keras_class_name()), Some(init));
        }
        assert_eq!(Initializer::GlorotUniform.name(), "glorot_uniform");
        assert_eq!(Initializer::HeNormal.keras_class_name(), "HeNormal");
        assert_eq!(Initializer::from_name("glorot"), None);
    }
}
