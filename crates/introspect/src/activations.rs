//! [`Activations`]: what every layer of a network computed for one sample, for the demos.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// The values of every layer of a network for one sample: the input, each hidden layer's
/// output (after its activation function), and the output (class probabilities).
///
/// This crate does not run networks; the caller's trace function fills `layers`, in order from
/// input to output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Activations {
    /// Index of the sample in the evaluated data.
    pub index: usize,
    /// `layers[0]` is the input, the last entry the output, hidden layers in between.
    pub layers: Vec<Vec<f32>>,
}

impl Activations {
    /// Traces the samples `indices` with `trace(index) -> layers`, in parallel, and returns
    /// them in the order of `indices`.
    ///
    /// # Example
    /// ```
    /// use introspect::Activations;
    /// // A "network" whose single hidden unit is the input doubled.
    /// let trace = |i: usize| vec![vec![i as f32], vec![2.0 * i as f32], vec![0.5, 0.5]];
    /// let acts = Activations::capture(&[3, 1], trace);
    /// assert_eq!(acts[0].hidden(), &[vec![6.0]]);
    /// assert_eq!(acts[1].index, 1);
    /// ```
    pub fn capture<F>(indices: &[usize], trace: F) -> Vec<Activations>
    where
        F: Fn(usize) -> Vec<Vec<f32>> + Sync,
    {
        indices
            .par_iter()
            .map(|&index| Activations {
                index,
                layers: trace(index),
            })
            .collect()
    }

    /// The input layer (empty if there are no layers).
    pub fn input(&self) -> &[f32] {
        self.layers.first().map_or(&[], Vec::as_slice)
    }

    /// The output layer (empty if there are no layers).
    pub fn output(&self) -> &[f32] {
        self.layers.last().map_or(&[], Vec::as_slice)
    }

    /// The hidden layers: every layer but the first and the last.
    pub fn hidden(&self) -> &[Vec<f32>] {
        match self.layers.len() {
            0..=2 => &[],
            n => &self.layers[1..n - 1],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(layers: Vec<Vec<f32>>, expect: (&[f32], usize, &[f32])) {
        let a = Activations { index: 0, layers };
        assert_eq!((a.input(), a.hidden().len(), a.output()), expect);
    }

    #[test]
    fn layers_split_into_input_hidden_output() {
        check(vec![], (&[], 0, &[]));
        check(vec![vec![1.0]], (&[1.0], 0, &[1.0]));
        check(vec![vec![1.0], vec![0.2, 0.8]], (&[1.0], 0, &[0.2, 0.8]));
        check(
            vec![vec![1.0], vec![5.0], vec![6.0], vec![1.0, 0.0]],
            (&[1.0], 2, &[1.0, 0.0]),
        );
    }

    #[test]
    fn capture_keeps_order_on_any_pool() {
        let indices: Vec<usize> = (0..50).rev().collect();
        let trace = |i: usize| vec![vec![i as f32; 3], vec![(i * i) as f32]];
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let four = rayon::ThreadPoolBuilder::new()
            .num_threads(4)
            .build()
            .unwrap();
        let a = one.install(|| Activations::capture(&indices, trace));
        let b = four.install(|| Activations::capture(&indices, trace));
        // Bit patterns, not `==`, which takes -0.0 for 0.0.
        let bits = |xs: &[Activations]| -> Vec<(usize, Vec<Vec<u32>>)> {
            xs.iter()
                .map(|x| {
                    let layers = x.layers.iter();
                    (
                        x.index,
                        layers
                            .map(|l| l.iter().map(|v| v.to_bits()).collect())
                            .collect(),
                    )
                })
                .collect()
        };
        assert_eq!(bits(&a), bits(&b));
        assert_eq!(a.iter().map(|x| x.index).collect::<Vec<_>>(), indices);
        assert_eq!(a[0].output(), &[49.0 * 49.0]);
    }

    #[test]
    fn serialises_as_plain_arrays() {
        let a = Activations {
            index: 7,
            layers: vec![vec![0.5], vec![1.0, 0.0]],
        };
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(json, r#"{"index":7,"layers":[[0.5],[1.0,0.0]]}"#);
        assert_eq!(serde_json::from_str::<Activations>(&json).unwrap(), a);
    }
}
