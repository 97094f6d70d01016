//! Seeded weight initialisation.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal, Uniform};
use serde::{Deserialize, Serialize};
use tensor::Matrix;

/// The random generator every seeded step uses: ChaCha8, whose stream is fixed by its
/// specification, so a seed means the same weights on every platform and version.
pub type Rng = ChaCha8Rng;

/// A generator seeded with `seed`.
pub fn rng(seed: u64) -> Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// How a layer's weights are drawn. Biases always start at zero.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Init {
    /// `U(-1/√fan_in, +1/√fan_in)`: the classic default (and the numpy/PyTorch protocol of our
    /// speed comparison).
    UniformFanIn,
    /// Glorot/Xavier uniform: `U(±√(6 / (fan_in + fan_out)))`, suited to sigmoid and tanh.
    GlorotUniform,
    /// He normal: `N(0, 2 / fan_in)`, suited to relu.
    HeNormal,
    /// All zeros. Right for a network without hidden layers (softmax regression is convex, so
    /// nothing needs breaking symmetry), and it keeps weights that never receive a gradient,
    /// such as MNIST's always-black border pixels, at exactly zero.
    Zeros,
    /// `N(0, std²)`.
    Normal {
        /// Standard deviation.
        std: f32,
    },
}

impl Init {
    /// A `fan_out x fan_in` weight matrix drawn from `rng`, in row-major order.
    pub fn weights(self, fan_in: usize, fan_out: usize, rng: &mut Rng) -> Matrix {
        let fi = fan_in.max(1) as f32;
        let fo = fan_out.max(1) as f32;
        let mut draw_uniform = |limit: f32| {
            let u = Uniform::new_inclusive(-limit, limit).expect("a finite, non-negative limit");
            Matrix::from_fn(fan_out, fan_in, |_, _| u.sample(rng))
        };
        match self {
            Init::UniformFanIn => draw_uniform(1.0 / fi.sqrt()),
            Init::GlorotUniform => draw_uniform((6.0 / (fi + fo)).sqrt()),
            Init::Zeros => Matrix::zeros(fan_out, fan_in),
            Init::HeNormal => {
                let n = Normal::new(0.0, (2.0 / fi).sqrt()).expect("a finite standard deviation");
                Matrix::from_fn(fan_out, fan_in, |_, _| n.sample(rng))
            }
            Init::Normal { std } => {
                let n = Normal::new(0.0, std.abs()).expect("a finite standard deviation");
                Matrix::from_fn(fan_out, fan_in, |_, _| n.sample(rng))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_weights() {
        let a = Init::UniformFanIn.weights(784, 10, &mut rng(7));
        let b = Init::UniformFanIn.weights(784, 10, &mut rng(7));
        let c = Init::UniformFanIn.weights(784, 10, &mut rng(8));
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn uniform_fan_in_respects_its_limit() {
        let w = Init::UniformFanIn.weights(100, 10, &mut rng(1));
        assert!(w.as_slice().iter().all(|x| x.abs() <= 0.1));
        let mean: f32 = w.as_slice().iter().sum::<f32>() / 1000.0;
        assert!(mean.abs() < 0.01, "mean {mean}");
    }
}
