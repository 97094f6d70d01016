//! Running a classifier over a split: [`evaluate`] and its result, [`Predictions`].

use std::ops::Range;

use rayon::prelude::*;
use tensor::Matrix;

use crate::error::{IntrospectError, IntrospectErrorKind};

/// What a classifier said about every sample of a split: the full probability vector, the
/// label and the predicted class.
///
/// Sample `i` is the `i`-th sample of the data that was evaluated (add the split's start to get
/// an index into the whole dataset).
///
/// Invariants, checked by [`Predictions::new`]: one label per row of probabilities, every
/// label below the number of classes, every probability finite, and `predicted[i]` the argmax of
/// row `i` with ties going to the lowest class index.
///
/// # Shapes
/// `probs` is `n_samples x n_classes`; `labels` and `predicted` have `n_samples` entries.
#[derive(Debug, Clone, PartialEq)]
pub struct Predictions {
    probs: Matrix,
    labels: Vec<u8>,
    predicted: Vec<u8>,
}

impl Predictions {
    /// Wraps a matrix of class probabilities (one row per sample) and the samples' labels,
    /// computing each sample's predicted class (argmax, ties to the lowest index).
    ///
    /// The rows are meant to be probabilities (a softmax output), but only finiteness is
    /// checked: the ranking functions work on any scores, the thresholds of
    /// [`select_mistakes`](crate::select_mistakes) assume probabilities.
    ///
    /// # Errors
    /// [`IntrospectError`] naming the first sample whose label is not below
    /// `probs.cols()`, or whose probabilities are not all finite.
    ///
    /// # Panics
    /// If `labels.len() != probs.rows()`, or `probs.cols()` is 0 or more than 256 (a class
    /// index must fit in a `u8`).
    #[track_caller]
    pub fn new(probs: Matrix, labels: Vec<u8>) -> Result<Self, IntrospectError> {
        let n_classes = probs.cols();
        check_n_classes(n_classes);
        assert_eq!(
            labels.len(),
            probs.rows(),
            "{} labels for {} rows of probabilities",
            labels.len(),
            probs.rows()
        );
        for (i, &label) in labels.iter().enumerate() {
            IntrospectError::check_label(i, label, n_classes)?;
            let row = probs.row(i);
            if let Some((class, &value)) = row.iter().enumerate().find(|(_, v)| !v.is_finite()) {
                return Err(IntrospectError::new(
                    i,
                    IntrospectErrorKind::NonFiniteProbability { class, value },
                ));
            }
        }
        let predicted = (0..probs.rows())
            .map(|i| argmax(probs.row(i)) as u8)
            .collect();
        Ok(Self {
            probs,
            labels,
            predicted,
        })
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True when no sample was evaluated.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Number of classes (columns of [`probs`](Self::probs)).
    pub fn n_classes(&self) -> usize {
        self.probs.cols()
    }

    /// Class probabilities, one row per sample.
    pub fn probs(&self) -> &Matrix {
        &self.probs
    }

    /// The true label of every sample.
    pub fn labels(&self) -> &[u8] {
        &self.labels
    }

    /// The predicted class of every sample (argmax, ties to the lowest index).
    pub fn predicted(&self) -> &[u8] {
        &self.predicted
    }

    /// The network's confidence in its prediction for sample `i`: the probability of the
    /// predicted class.
    ///
    /// # Panics
    /// If `i >= len()`.
    #[track_caller]
    pub fn confidence(&self, i: usize) -> f32 {
        self.probs.get(i, usize::from(self.predicted[i]))
    }

    /// Number of samples whose prediction equals their label.
    pub fn correct(&self) -> usize {
        self.labels
            .iter()
            .zip(&self.predicted)
            .filter(|(l, p)| l == p)
            .count()
    }
}

/// Runs a classifier over the samples whose labels are `labels` (one per sample), in batches of
/// [`EVAL_BATCH`], and keeps every sample's probabilities, label and predicted class.
///
/// `predict(range)` must return the probability rows of samples `range` (a
/// `range.len() x n_classes` matrix). This is how a model of any kind plugs in: the closure
/// takes the batch of inputs from wherever they live and runs its own forward pass.
///
/// Batches are `0..EVAL_BATCH`, `EVAL_BATCH..2 * EVAL_BATCH`, ... (the last may be short).
/// They run in parallel on the current rayon pool, and their rows are assembled in index order,
/// so the result is the same on any number of threads as long as `predict` itself gives the
/// same rows for the same range. With a `predict` that treats rows independently, the batch
/// size does not change the result either.
///
/// # Errors
/// [`IntrospectError`] when a label is not below `n_classes` (checked before `predict` runs)
/// or a returned probability is not finite.
///
/// # Panics
/// If `n_classes` is 0 or more than 256, or
/// `predict` returns a matrix whose shape is not `range.len() x n_classes`. Also propagates a
/// panic from `predict`.
///
/// # Example
/// ```
/// use introspect::evaluate;
/// use tensor::Matrix;
/// // A "network" that is sure every sample belongs to class (index % 3).
/// let net = |r: std::ops::Range<usize>| {
///     Matrix::from_fn(r.len(), 3, |i, c| if (r.start + i) % 3 == c { 1.0 } else { 0.0 })
/// };
/// let p = evaluate(&[0, 1, 2, 0, 0], 3, net).unwrap();
/// assert_eq!(p.predicted(), &[0, 1, 2, 0, 1]);
/// ```
#[track_caller]
pub fn evaluate<F>(
    labels: &[u8],
    n_classes: usize,
    predict: F,
) -> Result<Predictions, IntrospectError>
where
    F: Fn(Range<usize>) -> Matrix + Sync,
{
    evaluate_in_batches(labels, n_classes, EVAL_BATCH, predict)
}

/// The batch size of [`evaluate`]: large enough that a batch's product is worth a thread,
/// small enough that a batch of CIFAR-10 inputs stays in cache.
pub const EVAL_BATCH: usize = 500;

/// [`evaluate`] with batches of `batch_size` samples.
///
/// # Errors
/// As [`evaluate`].
///
/// # Panics
/// As [`evaluate`], and if `batch_size == 0`.
#[track_caller]
pub fn evaluate_in_batches<F>(
    labels: &[u8],
    n_classes: usize,
    batch_size: usize,
    predict: F,
) -> Result<Predictions, IntrospectError>
where
    F: Fn(Range<usize>) -> Matrix + Sync,
{
    check_n_classes(n_classes);
    assert!(batch_size > 0, "batch_size must be positive");
    let n_samples = labels.len();
    for (i, &label) in labels.iter().enumerate() {
        IntrospectError::check_label(i, label, n_classes)?;
    }

    let batches: Vec<Range<usize>> = (0..n_samples)
        .step_by(batch_size)
        .map(|start| start..(start + batch_size).min(n_samples))
        .collect();
    // `collect` on an indexed parallel iterator keeps the batches in order, whatever thread
    // finished first.
    let outputs: Vec<Matrix> = batches
        .par_iter()
        .map(|range| {
            let m = predict(range.clone());
            assert_eq!(
                m.shape(),
                (range.len(), n_classes),
                "predict({range:?}) returned a {}x{} matrix, expected {}x{n_classes}",
                m.rows(),
                m.cols(),
                range.len()
            );
            m
        })
        .collect();

    let mut data = Vec::with_capacity(n_samples * n_classes);
    for m in &outputs {
        data.extend_from_slice(m.as_slice());
    }
    let probs = Matrix::from_vec(n_samples, n_classes, data)
        .expect("batches cover every sample exactly once");
    Predictions::new(probs, labels.to_vec())
}

/// Index of the largest value, ties to the lowest index; 0 for an empty row.
pub(crate) fn argmax(row: &[f32]) -> usize {
    let mut best = 0;
    for (j, &v) in row.iter().enumerate().skip(1) {
        if v > row[best] {
            best = j;
        }
    }
    best
}

#[track_caller]
fn check_n_classes(n_classes: usize) {
    assert!(
        (1..=256).contains(&n_classes),
        "{n_classes} classes: need between 1 and 256, so that a class index fits in a u8"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn check_argmax(row: &[f32], expect: usize) {
        assert_eq!(argmax(row), expect, "argmax of {row:?}");
    }

    #[test]
    fn argmax_takes_the_first_of_equal_maxima() {
        check_argmax(&[0.1, 0.7, 0.2], 1);
        check_argmax(&[0.4, 0.4, 0.2], 0);
        check_argmax(&[0.2, 0.4, 0.4], 1);
        check_argmax(&[-3.0, -1.0, -2.0], 1);
        check_argmax(&[5.0], 0);
    }

    #[test]
    fn new_computes_predictions_and_confidence() {
        let probs = Matrix::from_vec(3, 2, vec![0.9, 0.1, 0.3, 0.7, 0.5, 0.5]).unwrap();
        let p = Predictions::new(probs, vec![0, 0, 1]).unwrap();
        assert_eq!(p.predicted(), &[0, 1, 0]);
        assert_eq!(p.confidence(1), 0.7);
        assert_eq!(p.correct(), 1);
        assert_eq!((p.len(), p.n_classes()), (3, 2));
    }

    #[test]
    fn new_rejects_bad_labels_and_non_finite_probabilities() {
        let probs = Matrix::from_vec(2, 2, vec![0.9, 0.1, 0.3, 0.7]).unwrap();
        let e = Predictions::new(probs.clone(), vec![0, 2]).unwrap_err();
        assert_eq!(e.sample, 1);
        assert_eq!(
            e.kind,
            IntrospectErrorKind::LabelOutOfRange {
                label: 2,
                n_classes: 2
            }
        );

        let mut bad = probs;
        bad.set(1, 1, f32::NAN);
        let e = Predictions::new(bad, vec![0, 1]).unwrap_err();
        assert_eq!(e.sample, 1);
        assert!(matches!(
            e.kind,
            IntrospectErrorKind::NonFiniteProbability { class: 1, .. }
        ));
    }

    #[test]
    fn evaluate_rejects_a_bad_label_before_running_the_model() {
        let e = evaluate_in_batches(&[0, 3], 3, 1, |_| panic!("must not run")).unwrap_err();
        assert_eq!(e.sample, 1);
    }

    #[test]
    fn evaluate_handles_an_empty_split() {
        let p = evaluate_in_batches(&[], 3, 4, |r| Matrix::zeros(r.len(), 3)).unwrap();
        assert!(p.is_empty());
        assert_eq!(p.n_classes(), 3);
    }

    #[test]
    #[should_panic(expected = "returned a 2x3 matrix, expected 2x4")]
    fn evaluate_panics_on_a_wrong_shape() {
        let _ = evaluate_in_batches(&[0, 1], 4, 2, |r| Matrix::zeros(r.len(), 3));
    }

    /// A model whose output depends only on the row it is given: a row softmax of fixed
    /// scores, so batch size and thread count must not matter.
    fn softmax_model(scores: &Matrix) -> impl Fn(Range<usize>) -> Matrix + Sync + '_ {
        move |r: Range<usize>| {
            let mut out = scores.rows_view(r).to_matrix();
            for i in 0..out.rows() {
                let row = out.row_mut(i);
                let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let mut sum = 0.0;
                for v in row.iter_mut() {
                    *v = (*v - max).exp();
                    sum += *v;
                }
                row.iter_mut().for_each(|v| *v /= sum);
            }
            out
        }
    }

    fn scores_and_labels() -> impl Strategy<Value = (Matrix, Vec<u8>)> {
        (1usize..=10, 0usize..60).prop_flat_map(|(k, n)| {
            (
                proptest::collection::vec(-4.0f32..4.0, n * k),
                proptest::collection::vec(0..k as u8, n),
            )
                .prop_map(move |(v, l)| (Matrix::from_vec(n, k, v).unwrap(), l))
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn evaluation_is_the_same_for_any_batch_size_and_thread_count(
            (scores, labels) in scores_and_labels(),
            b1 in 1usize..70,
            b2 in 1usize..70,
        ) {
            let n = labels.len();
            let k = scores.cols();
            let run = |threads: usize, batch: usize| {
                let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
                pool.install(|| evaluate_in_batches(&labels, k, batch, softmax_model(&scores)).unwrap())
            };
            // Bit patterns of the probabilities, not `==` (which takes -0.0 for 0.0), with the
            // predictions and labels beside them.
            let bits = |p: &Predictions| {
                let probs: Vec<u32> = p.probs().as_slice().iter().map(|v| v.to_bits()).collect();
                (probs, p.predicted().to_vec(), p.labels().to_vec())
            };
            let reference = run(1, b1);
            let want = bits(&reference);
            prop_assert_eq!(bits(&run(4, b1)), want.clone());
            prop_assert_eq!(bits(&run(4, b2)), want.clone());
            prop_assert_eq!(bits(&run(1, b2)), want);
            prop_assert_eq!(reference.labels(), &labels[..]);
            // The prediction is a maximum, and no earlier class reaches it (ties go low).
            for i in 0..n {
                let row = reference.probs().row(i);
                let p = usize::from(reference.predicted()[i]);
                prop_assert!(row.iter().all(|&v| v <= row[p]));
                prop_assert!(row[..p].iter().all(|&v| v < row[p]));
            }
        }
    }
}
