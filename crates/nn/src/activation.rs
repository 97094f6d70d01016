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
            Activation::Sigmoid => 1.0 / (1.0 + (-x).exp()),
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
        if self != Activation::Identity {
            xs.iter_mut().for_each(|x| *x = self.apply(*x));
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
    use proptest::prelude::*;

    fn all() -> impl Strategy<Value = Activation> {
        prop_oneof![
            Just(Activation::Identity),
            Just(Activation::Sigmoid),
            Just(Activation::Tanh),
            Just(Activation::Relu)
        ]
    }

    proptest! {
        #[test]
        fn derivative_matches_central_difference(act in all(), x in -6.0f64..6.0) {
            // Relu has no derivative at 0; keep clear of the kink.
            prop_assume!(act != Activation::Relu || x.abs() > 1e-2);
            let h = 1e-3f32;
            let x = x as f32;
            let numeric = (act.apply(x + h) as f64 - act.apply(x - h) as f64) / (2.0 * h as f64);
            let analytic = act.derivative_from_output(act.apply(x)) as f64;
            prop_assert!((numeric - analytic).abs() < 2e-3, "{:?} at {}: {} vs {}", act, x, numeric, analytic);
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
