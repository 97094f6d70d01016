//! Optimisers: how gradients move the parameters.

use serde::{Deserialize, Serialize};

use crate::mlp::Linear;

/// Something that updates parameters from their gradients, one step at a time.
pub trait Optimizer {
    /// Moves `params` against `grads` (same shapes, layer by layer).
    fn step(&mut self, params: &mut [Linear], grads: &[Linear]);
}

/// Stochastic gradient descent with optional momentum and L2 weight decay.
///
/// With gradient `g`, weight decay `λ`, momentum `μ` and learning rate `η`, each step is
/// `g' = g + λ·w` (weights only; biases are not decayed), `v = μ·v + g'`, `w = w - η·v`.
/// With `μ = 0` and `λ = 0` this is plain SGD: `w = w - η·g`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SgdConfig {
    /// Learning rate `η`.
    pub lr: f32,
    /// Momentum `μ` (0 for none).
    pub momentum: f32,
    /// L2 weight decay `λ` (0 for none).
    pub weight_decay: f32,
}

/// [`SgdConfig`] with its velocity state.
#[derive(Debug, Clone)]
pub struct Sgd {
    config: SgdConfig,
    velocity: Vec<Linear>,
}

impl Sgd {
    /// An optimiser with no accumulated velocity.
    pub fn new(config: SgdConfig) -> Self {
        Sgd {
            config,
            velocity: Vec::new(),
        }
    }

    /// Changes the learning rate from the next step on, keeping the velocity (for a schedule).
    pub fn set_lr(&mut self, lr: f32) {
        self.config.lr = lr;
    }
}

impl Optimizer for Sgd {
    fn step(&mut self, params: &mut [Linear], grads: &[Linear]) {
        let SgdConfig {
            lr,
            momentum,
            weight_decay,
        } = self.config;
        if momentum != 0.0 && self.velocity.is_empty() {
            self.velocity = params
                .iter()
                .map(|p| Linear::zeros(p.inputs(), p.outputs()))
                .collect();
        }
        for (l, (p, g)) in params.iter_mut().zip(grads).enumerate() {
            let pairs = [
                (&mut p.weight, &g.weight, weight_decay, 0),
                (&mut p.bias, &g.bias, 0.0, 1),
            ];
            for (w, g, decay, which) in pairs {
                let (w, g) = (w.as_mut_slice(), g.as_slice());
                if momentum == 0.0 {
                    tensor::ops::sgd_update(w, g, lr, decay);
                } else {
                    let v = if which == 0 {
                        &mut self.velocity[l].weight
                    } else {
                        &mut self.velocity[l].bias
                    };
                    tensor::ops::momentum_update(w, g, v.as_mut_slice(), lr, momentum, decay);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tensor::Matrix;

    fn layer(w: f32, b: f32) -> Linear {
        Linear {
            weight: Matrix::from_vec(1, 1, vec![w]).unwrap(),
            bias: Matrix::from_vec(1, 1, vec![b]).unwrap(),
        }
    }

    fn check(config: SgdConfig, steps: usize, expect_w: f32, expect_b: f32) {
        let mut p = vec![layer(1.0, 1.0)];
        let g = vec![layer(0.5, 0.5)];
        let mut opt = Sgd::new(config);
        for _ in 0..steps {
            opt.step(&mut p, &g);
        }
        assert!(
            (p[0].weight.get(0, 0) - expect_w).abs() < 1e-6,
            "w = {}",
            p[0].weight.get(0, 0)
        );
        assert!(
            (p[0].bias.get(0, 0) - expect_b).abs() < 1e-6,
            "b = {}",
            p[0].bias.get(0, 0)
        );
    }

    #[test]
    fn plain_sgd_steps_against_the_gradient() {
        // w = 1 - 0.1·0.5 = 0.95.
        check(
            SgdConfig {
                lr: 0.1,
                momentum: 0.0,
                weight_decay: 0.0,
            },
            1,
            0.95,
            0.95,
        );
    }

    #[test]
    fn momentum_accumulates_velocity() {
        // v1 = 0.5, w1 = 0.95; v2 = 0.9·0.5 + 0.5 = 0.95, w2 = 0.95 - 0.095 = 0.855.
        check(
            SgdConfig {
                lr: 0.1,
                momentum: 0.9,
                weight_decay: 0.0,
            },
            2,
            0.855,
            0.855,
        );
    }

    #[test]
    fn weight_decay_shrinks_weights_not_biases() {
        // w = 1 - 0.1·(0.5 + 0.1·1) = 0.94; b = 1 - 0.1·0.5 = 0.95.
        check(
            SgdConfig {
                lr: 0.1,
                momentum: 0.0,
                weight_decay: 0.1,
            },
            1,
            0.94,
            0.95,
        );
    }
}
