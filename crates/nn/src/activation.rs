//! Element-wise activations, each with its derivative beside it.

use serde::{Deserialize, Serialize};

/// The non-linearity applied after a layer's affine map.
///
/// Each derivative is written in terms of the activation's *output* `y = f(x)`, which is what
/// the backward pass keeps: sigmoid' = y(1 - y), tanh' = 1 - y², relu' = 1 if y > 0 else 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Activation {
    /// `f(x) = x`: the output layer, whose logits go to softmax cross-entropy.
    Identity,
    /// `f(x) = 1 / (1 + e^-x)`.
    Sigmoid,
    /// `f(x) = tanh(x)`.
    Tanh,
    /// `f(x) = max(0, x)`.
    Relu,
}

impl Activation {
    /// `f(x)`.
    #[inline]
    pub fn apply(self, x: f32) -> f32 {
        match self {
            Activation::Identity => x,
            // tensor's exp: the same bits everywhere, and a loop of it vectorises.
            Activation::Sigmoid => 1.0 / (1.0 + tensor::ops::exp(-x)),
            Activation::Tanh => x.tanh(),
            Activation::Relu => x.max(0.0),
        }
    }

    /// `f'(x)` given `y = f(x)`.
    #[inline]
    pub fn derivative_from_output(self, y: f32) -> f32 {
        match self {
            Activation::Identity => 1.0,
            Activation::Sigmoid => y * (1.0 - y),
            Activation::Tanh => 1.0 - y * y,
            Activation::Relu => {
                if y > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
        }
    }

    /// Applies `f` to every value in place.
    pub fn apply_slice(self, xs: &mut [f32]) {
        // One loop per activation, the choice made outside it, so that each loop vectorises.
        match self {
            Activation::Identity => {}
            // The same bits as `apply`, at the processor's full width.
            Activation::Sigmoid => tensor::ops::sigmoid_in_place(xs),
            Activation::Tanh => xs.iter_mut().for_each(|x| *x = x.tanh()),
            Activation::Relu => xs.iter_mut().for_each(|x| *x = x.max(0.0)),
        }
    }

    /// `grad[i] *= f'(x_i)` given the outputs `y`: the chain rule through the activation.
    pub fn backprop_slice(self, y: &[f32], grad: &mut [f32]) {
        if self != Activation::Identity {
            for (g, &y) in grad.iter_mut().zip(y) {
                *g *= self.derivative_from_output(y);
            }
        }
    }

    /// The activation named `name` (as [`name`](Activation::name) writes it), if any.
    pub fn from_name(name: &str) -> Option<Activation> {
        [
            Activation::Identity,
            Activation::Sigmoid,
            Activation::Tanh,
            Activation::Relu,
        ]
        .into_iter()
        .find(|a| a.name() == name.trim().to_ascii_lowercase())
    }

    /// The lower-case name used in specs and reports.
    pub fn name(self) -> &'static str {
        match self {
            Activation::Identity => "identity",
            Activation::Sigmoid => "sigmoid",
            Activation::Tanh => "tanh",
            Activation::Relu => "relu",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::{self, Eval, Wrt};
    use proptest::prelude::*;

    fn all() -> impl Strategy<Value = Activation> {
        prop_oneof![
            Just(Activation::Identity),
            Just(Activation::Sigmoid),
            Just(Activation::Tanh),
            Just(Activation::Relu)
        ]
    }

    fn reference(act: Activation, x: f64) -> f64 {
        match act {
            Activation::Identity => x,
            Activation::Sigmoid => 1.0 / (1.0 + (-x).exp()),
            Activation::Tanh => x.tanh(),
            Activation::Relu => x.max(0.0),
        }
    }

    proptest! {
        /// `backprop_slice` (the chain rule through the activation, from its outputs) against a
        /// central difference of `Σ g ⊙ f(x)` in f64, for an upstream gradient `g`. ReLU inputs
        /// next to zero are skipped by the checker from the inputs' own sides.
        #[test]
        fn backprop_matches_central_difference(
            act in all(),
            xg in proptest::collection::vec((-6.0f32..6.0, -2.0f32..2.0), 1..16),
        ) {
            let (x, g): (Vec<f32>, Vec<f32>) = xg.into_iter().unzip();
            let mut y = x.clone();
            act.apply_slice(&mut y);
            let mut dx = g.clone();
            act.backprop_slice(&y, &mut dx);
            let mut wrt = [Wrt::new("x", &x, &dx)];
            let forward = |w: &[Wrt]| Eval {
                loss: w[0].values.iter().zip(&g).map(|(&x, &g)| g as f64 * reference(act, x)).sum(),
                sides: if act == Activation::Relu { w[0].values.iter().map(|&x| x > 0.0).collect() } else { vec![] },
            };
            match gradcheck::check(&mut wrt, forward, gradcheck::F32) {
                Ok(r) => prop_assert!(r.compared >= gradcheck::min_compared(x.len()), "{:?}", r),
                Err(m) => prop_assert!(false, "{:?}: {}", act, m),
            }
        }
    }

    #[test]
    fn known_values() {
        // sigmoid(0) = 1/2 and sigmoid'(0) = 1/4; tanh'(0) = 1.
        assert_eq!(Activation::Sigmoid.apply(0.0), 0.5);
        assert_eq!(Activation::Sigmoid.derivative_from_output(0.5), 0.25);
        assert_eq!(Activation::Tanh.derivative_from_output(0.0), 1.0);
        assert_eq!(Activation::Relu.apply(-3.0), 0.0);
    }
}
