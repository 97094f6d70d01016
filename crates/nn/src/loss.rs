//! Softmax cross-entropy, the loss every chapter network is trained with.

use tensor::{Matrix, ops};

/// What one batch's loss pass counted.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct BatchStats {
    /// Sum over rows of `-ln p(label)`.
    pub(crate) loss_sum: f64,
    /// Rows whose largest logit is the label (first of ties).
    pub(crate) correct: usize,
}

/// Mean cross-entropy of `softmax(logits)` against `labels`, and its gradient with respect to
/// the logits: `(softmax(z) - onehot(y)) / rows`.
///
/// # Shapes
/// `logits` is `rows x classes`; `labels` has `rows` entries, each below `classes`.
///
/// # Panics
/// If `labels.len() != logits.rows()` or a label is not below `classes`.
///
/// # Example
/// ```
/// use tensor::Matrix;
/// // Equal logits over 4 classes: loss ln 4, gradient 1/4 everywhere but -3/4 at the label.
/// let z = Matrix::zeros(1, 4);
/// let (loss, dz) = nn::loss::softmax_cross_entropy(&z, &[2]);
/// assert!((loss - 4f32.ln()).abs() < 1e-6);
/// assert_eq!(dz.as_slice(), &[0.25, 0.25, -0.75, 0.25]);
/// ```
#[track_caller]
pub fn softmax_cross_entropy(logits: &Matrix, labels: &[u8]) -> (f32, Matrix) {
    let mut d = Matrix::zeros(logits.rows(), logits.cols());
    let stats = softmax_cross_entropy_into(logits, labels, &mut d, logits.rows());
    (stats.loss_sum as f32 / logits.rows().max(1) as f32, d)
}

#[track_caller]
/// `mean_over` is the row count of the whole batch, which a shard of it divides by too.
pub(crate) fn softmax_cross_entropy_into(
    logits: &Matrix,
    labels: &[u8],
    d: &mut Matrix,
    mean_over: usize,
) -> BatchStats {
    let (rows, classes) = logits.shape();
    assert_eq!(
        labels.len(),
        rows,
        "softmax_cross_entropy: {} labels for {rows} rows",
        labels.len()
    );
    assert_eq!(
        d.shape(),
        logits.shape(),
        "softmax_cross_entropy: gradient buffer shape"
    );
    let inv_rows = 1.0 / mean_over.max(1) as f32;
    let mut stats = BatchStats::default();
    for &y in labels {
        assert!(
            (y as usize) < classes,
            "softmax_cross_entropy: label {y} with {classes} classes"
        );
    }
    if rows == 0 {
        return stats;
    }
    // Three passes over the batch rather than one per row: a row of ten classes is too short
    // to vectorise, but the exponentials of the whole batch in one loop do. Each value sees
    // the same operations in the same order either way.
    let mut maxes = Vec::with_capacity(rows);
    for (z, g) in logits
        .as_slice()
        .chunks_exact(classes)
        .zip(d.as_mut_slice().chunks_exact_mut(classes))
    {
        let max = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        for (gj, &zj) in g.iter_mut().zip(z) {
            *gj = zj - max;
        }
        maxes.push(max);
    }
    for g in d.as_mut_slice() {
        *g = ops::exp(*g);
    }
    for (i, (&label, &max)) in labels.iter().zip(&maxes).enumerate() {
        let z = logits.row(i);
        let y = label as usize;
        let g = d.row_mut(i);
        let sum: f32 = g.iter().sum();
        // -ln softmax(z)_y = ln Σ e^(z_j - max) - (z_y - max), stable for large logits.
        stats.loss_sum += (sum.ln() - (z[y] - max)) as f64;
        stats.correct += usize::from(ops::argmax(z) == y);
        let scale = inv_rows / sum;
        for gj in g.iter_mut() {
            *gj *= scale;
        }
        g[y] -= inv_rows;
    }
    stats
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::{self, Eval, Wrt};
    use proptest::prelude::*;

    fn batch() -> impl Strategy<Value = (Matrix, Vec<u8>)> {
        (1usize..6, 2usize..8).prop_flat_map(|(rows, classes)| {
            (
                proptest::collection::vec(-5.0f32..5.0, rows * classes),
                proptest::collection::vec(0..classes as u8, rows),
            )
                .prop_map(move |(z, y)| (Matrix::from_vec(rows, classes, z).unwrap(), y))
        })
    }

    proptest! {
        /// The gradient of the batch *mean* against a central difference of an f64 reference,
        /// over several rows: a missing or doubled `1 / rows` fails here, not on one row.
        #[test]
        fn batch_mean_gradient_matches_central_difference((logits, y) in batch()) {
            let (rows, classes) = logits.shape();
            let (loss, d) = softmax_cross_entropy(&logits, &y);
            let reference = |z: &[f64]| -> f64 {
                let mut sum = 0.0;
                for (r, &label) in y.iter().enumerate() {
                    let z = &z[r * classes..(r + 1) * classes];
                    let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    sum += max + z.iter().map(|v| (v - max).exp()).sum::<f64>().ln() - z[label as usize];
                }
                sum / rows as f64
            };
            let mut wrt = [Wrt::new("logits", logits.as_slice(), d.as_slice())];
            let at = reference(&wrt[0].values);
            prop_assert!((loss as f64 - at).abs() <= 1e-5 * (1.0 + at), "loss {} vs {}", loss, at);
            let r = gradcheck::check(&mut wrt, |w| Eval { loss: reference(&w[0].values), sides: vec![] }, gradcheck::F32);
            match r {
                Ok(r) => prop_assert_eq!(r.compared, rows * classes),
                Err(m) => prop_assert!(false, "{}", m),
            }
            // Each row's gradient sums to zero: probabilities sum to 1, the one-hot too.
            for i in 0..rows {
                prop_assert!(d.row(i).iter().sum::<f32>().abs() < 1e-6);
            }
        }
    }

    #[test]
    fn confident_and_right_costs_almost_nothing() {
        let z = Matrix::from_vec(1, 3, vec![30.0, 0.0, 0.0]).unwrap();
        let (loss, _) = softmax_cross_entropy(&z, &[0]);
        assert!(loss < 1e-6);
        let (loss, _) = softmax_cross_entropy(&z, &[1]);
        assert!((loss - 30.0).abs() < 1e-4, "{loss}");
    }
}
