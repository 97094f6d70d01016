//! [`TopSamples`]: the samples of every confusion cell, most confident first.

use serde::{Deserialize, Serialize};

use crate::eval::Predictions;

/// One sample of a confusion cell and the network's confidence in its prediction.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RankedSample {
    /// Index of the sample among the evaluated samples (0 is the first row `evaluate` saw, not
    /// the first image of a dataset file; a dataset view maps it back, e.g.
    /// `datasets::DatasetView::dataset_index`).
    pub index: usize,
    /// Probability the network gave to the class it predicted.
    pub prob: f32,
}

/// For every (actual, predicted) cell of the confusion matrix, all its samples ordered by the
/// network's confidence in the prediction (the probability of the predicted class),
/// descending, ties broken by sample index ascending.
///
/// The whole ordered list of each cell is kept; [`top`](Self::top) takes its first `k`. A
/// cell's length equals the corresponding [`ConfusionMatrix`](crate::ConfusionMatrix) count.
///
/// # Example
/// ```
/// use introspect::{Predictions, TopSamples};
/// use tensor::Matrix;
/// let probs = Matrix::from_vec(3, 2, vec![0.6, 0.4, 0.9, 0.1, 0.2, 0.8]).unwrap();
/// let tops = TopSamples::from_predictions(&Predictions::new(probs, vec![0, 0, 0]).unwrap());
/// let best: Vec<usize> = tops.cell(0, 0).iter().map(|s| s.index).collect();
/// assert_eq!(best, [1, 0]); // 0.9 before 0.6
/// assert_eq!(tops.top(0, 1, 5).len(), 1);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct TopSamples {
    n_classes: usize,
    /// Row-major `n_classes x n_classes` cells.
    cells: Vec<Vec<RankedSample>>,
}

impl TopSamples {
    /// The most confident sample of every cell, row-major (actual, then predicted), `None`
    /// where a cell is empty: the layout of a table of top samples.
    pub fn best_per_cell(&self) -> Vec<Option<RankedSample>> {
        let k = self.n_classes();
        (0..k * k)
            .map(|c| self.top(c / k, c % k, 1).first().copied())
            .collect()
    }

    /// Sorts every sample of `predictions` into its cell.
    pub fn from_predictions(predictions: &Predictions) -> Self {
        let k = predictions.n_classes();
        let mut cells = vec![Vec::new(); k * k];
        for (i, (&a, &p)) in predictions
            .labels()
            .iter()
            .zip(predictions.predicted())
            .enumerate()
        {
            let sample = RankedSample {
                index: i,
                prob: predictions.confidence(i),
            };
            cells[usize::from(a) * k + usize::from(p)].push(sample);
        }
        for cell in &mut cells {
            // Probabilities are finite (Predictions checks), so total_cmp is the usual order.
            cell.sort_by(|x, y| y.prob.total_cmp(&x.prob).then(x.index.cmp(&y.index)));
        }
        Self {
            n_classes: k,
            cells,
        }
    }

    /// Number of classes.
    pub fn n_classes(&self) -> usize {
        self.n_classes
    }

    /// All samples of class `actual` predicted as `predicted`, most confident first.
    ///
    /// # Panics
    /// If either index is not below [`n_classes`](Self::n_classes).
    #[track_caller]
    pub fn cell(&self, actual: usize, predicted: usize) -> &[RankedSample] {
        assert!(
            actual < self.n_classes && predicted < self.n_classes,
            "cell ({actual}, {predicted}) out of range for {} classes",
            self.n_classes
        );
        &self.cells[actual * self.n_classes + predicted]
    }

    /// The `k` most confident samples of a cell (fewer if the cell is smaller).
    ///
    /// # Panics
    /// If either index is not below [`n_classes`](Self::n_classes).
    #[track_caller]
    pub fn top(&self, actual: usize, predicted: usize, k: usize) -> &[RankedSample] {
        let cell = self.cell(actual, predicted);
        &cell[..k.min(cell.len())]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn best_per_cell_is_row_major_with_empty_cells_none() {
        // Labels 0, 0, 1; predictions 0 (p 0.6), 0 (p 0.9), 0 (p 0.7): cell (0, 0) holds
        // samples 1 then 0, cell (1, 0) sample 2, cells (0, 1) and (1, 1) nothing.
        let probs = tensor::Matrix::from_vec(3, 2, vec![0.6, 0.4, 0.9, 0.1, 0.7, 0.3]).unwrap();
        let p = Predictions::new(probs, vec![0, 0, 1]).unwrap();
        let best: Vec<Option<usize>> = TopSamples::from_predictions(&p)
            .best_per_cell()
            .iter()
            .map(|s| s.map(|s| s.index))
            .collect();
        assert_eq!(best, [Some(1), None, Some(2), None]);
    }
    use crate::ConfusionMatrix;
    use proptest::prelude::*;
    use tensor::Matrix;

    fn check(probs: &[f32], labels: &[u8], cell: (usize, usize), expect: &[usize]) {
        let k = probs.len() / labels.len();
        let m = Matrix::from_vec(labels.len(), k, probs.to_vec()).unwrap();
        let tops = TopSamples::from_predictions(&Predictions::new(m, labels.to_vec()).unwrap());
        let got: Vec<usize> = tops.cell(cell.0, cell.1).iter().map(|s| s.index).collect();
        assert_eq!(got, expect, "cell {cell:?}");
    }

    #[test]
    fn cells_are_ordered_by_confidence_then_index() {
        // Four samples of class 1 predicted as 1 with confidences 0.7, 0.9, 0.7, 0.6.
        let probs = [0.3, 0.7, 0.1, 0.9, 0.3, 0.7, 0.4, 0.6];
        check(&probs, &[1, 1, 1, 1], (1, 1), &[1, 0, 2, 3]);
        check(&probs, &[1, 1, 1, 1], (0, 1), &[]);
        // Samples 0 and 3 are 0s predicted as 1; 3 has the lower confidence.
        check(&probs, &[0, 1, 1, 0], (0, 1), &[0, 3]);
    }

    #[test]
    fn top_takes_a_prefix() {
        let probs = Matrix::from_vec(3, 1, vec![1.0, 1.0, 1.0]).unwrap();
        let tops = TopSamples::from_predictions(&Predictions::new(probs, vec![0, 0, 0]).unwrap());
        assert_eq!(tops.top(0, 0, 2).len(), 2);
        assert_eq!(tops.top(0, 0, 9).len(), 3);
        assert_eq!(tops.top(0, 0, 0).len(), 0);
    }

    fn predictions() -> impl Strategy<Value = Predictions> {
        (1usize..=6, 0usize..120).prop_flat_map(|(k, n)| {
            // Coarse values so that ties are common.
            let probs = proptest::collection::vec((0u8..5).prop_map(|v| f32::from(v) / 4.0), n * k);
            let labels = proptest::collection::vec(0..k as u8, n);
            (probs, labels).prop_map(move |(p, l)| {
                Predictions::new(Matrix::from_vec(n, k, p).unwrap(), l).unwrap()
            })
        })
    }

    proptest! {
        #[test]
        fn cells_are_sorted_and_match_the_confusion_counts(p in predictions()) {
            let tops = TopSamples::from_predictions(&p);
            let cm = ConfusionMatrix::from_predictions(&p);
            let k = p.n_classes();
            let mut seen = 0;
            for a in 0..k {
                for q in 0..k {
                    let cell = tops.cell(a, q);
                    prop_assert_eq!(cell.len() as u64, cm.count(a, q));
                    seen += cell.len();
                    for s in cell {
                        prop_assert_eq!(usize::from(p.labels()[s.index]), a);
                        prop_assert_eq!(usize::from(p.predicted()[s.index]), q);
                        prop_assert_eq!(s.prob, p.confidence(s.index));
                    }
                    for w in cell.windows(2) {
                        let ordered = w[0].prob > w[1].prob
                            || (w[0].prob == w[1].prob && w[0].index < w[1].index);
                        prop_assert!(ordered, "{:?} before {:?}", w[0], w[1]);
                    }
                }
            }
            prop_assert_eq!(seen, p.len());
        }
    }
}
