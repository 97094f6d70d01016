//! [`ConfusionMatrix`]: counts of (actual, predicted) pairs, with recall, precision and accuracy.

use std::fmt;

use crate::error::IntrospectError;
use crate::eval::Predictions;

/// Counts of (actual label, predicted class) pairs: rows are actual labels, columns are
/// predictions, so the diagonal holds the correct answers.
///
/// Totals, recall, precision and accuracy are computed from the counts. Where a ratio has no
/// samples to divide by (a class that never occurs, or is never predicted, or no samples at
/// all) it is `None` rather than NaN or a made-up 0.
///
/// Two matrices over disjoint parts of a split [`merge`](Self::merge) into the matrix of the
/// whole, so counting can be split across threads.
///
/// # Example
/// ```
/// use introspect::ConfusionMatrix;
/// let cm = ConfusionMatrix::from_pairs(2, [(0, 0), (0, 1), (1, 1)]).unwrap();
/// assert_eq!(cm.count(0, 1), 1);
/// assert_eq!(cm.recall(0), Some(0.5));
/// assert_eq!(cm.accuracy(), Some(2.0 / 3.0));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfusionMatrix {
    n_classes: usize,
    /// Row-major `n_classes x n_classes`.
    counts: Vec<u64>,
}

impl ConfusionMatrix {
    /// An all-zero matrix for `n_classes` classes.
    pub fn new(n_classes: usize) -> Self {
        Self {
            n_classes,
            counts: vec![0; n_classes * n_classes],
        }
    }

    /// Counts every sample of `predictions`.
    pub fn from_predictions(predictions: &Predictions) -> Self {
        let mut cm = Self::new(predictions.n_classes());
        for (&a, &p) in predictions.labels().iter().zip(predictions.predicted()) {
            // Predictions guarantees both are below n_classes.
            cm.counts[usize::from(a) * cm.n_classes + usize::from(p)] += 1;
        }
        cm
    }

    /// Counts `(actual, predicted)` pairs.
    ///
    /// # Errors
    /// [`IntrospectError`] for the first pair (counted from 0) whose actual label or
    /// prediction is not below `n_classes`.
    pub fn from_pairs(
        n_classes: usize,
        pairs: impl IntoIterator<Item = (u8, u8)>,
    ) -> Result<Self, IntrospectError> {
        let mut cm = Self::new(n_classes);
        for (i, (a, p)) in pairs.into_iter().enumerate() {
            IntrospectError::check_label(i, a, n_classes)?;
            IntrospectError::check_label(i, p, n_classes)?;
            cm.counts[usize::from(a) * n_classes + usize::from(p)] += 1;
        }
        Ok(cm)
    }

    /// Adds the counts of `other`, a matrix over other samples of the same classes.
    ///
    /// # Panics
    /// If the two matrices have different numbers of classes.
    #[track_caller]
    pub fn merge(&mut self, other: &ConfusionMatrix) {
        assert_eq!(
            self.n_classes, other.n_classes,
            "cannot merge a {0}-class confusion matrix into a {1}-class one",
            other.n_classes, self.n_classes
        );
        for (c, o) in self.counts.iter_mut().zip(&other.counts) {
            *c += o;
        }
    }

    /// Number of classes.
    pub fn n_classes(&self) -> usize {
        self.n_classes
    }

    /// Samples of class `actual` predicted as `predicted`.
    ///
    /// # Panics
    /// If either index is not below [`n_classes`](Self::n_classes).
    #[track_caller]
    pub fn count(&self, actual: usize, predicted: usize) -> u64 {
        self.row(actual)[predicted]
    }

    /// Row `actual`: how the samples of that class were predicted.
    ///
    /// # Panics
    /// If `actual` is not below [`n_classes`](Self::n_classes).
    #[track_caller]
    pub fn row(&self, actual: usize) -> &[u64] {
        assert!(
            actual < self.n_classes,
            "class {actual} out of range for {} classes",
            self.n_classes
        );
        &self.counts[actual * self.n_classes..(actual + 1) * self.n_classes]
    }

    /// Row totals: how many samples of each class there are.
    pub fn actuals(&self) -> Vec<u64> {
        (0..self.n_classes)
            .map(|a| self.row(a).iter().sum())
            .collect()
    }

    /// Column totals: how many times each class was predicted.
    pub fn predictions(&self) -> Vec<u64> {
        let mut totals = vec![0; self.n_classes];
        for a in 0..self.n_classes {
            for (t, c) in totals.iter_mut().zip(self.row(a)) {
                *t += c;
            }
        }
        totals
    }

    /// Number of samples counted.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Number of correct predictions (the diagonal).
    pub fn correct(&self) -> u64 {
        (0..self.n_classes).map(|c| self.count(c, c)).sum()
    }

    /// Recall of class `c`: the share of its samples predicted as `c`. `None` when the class
    /// has no samples.
    ///
    /// # Panics
    /// If `c` is not below [`n_classes`](Self::n_classes).
    #[track_caller]
    pub fn recall(&self, c: usize) -> Option<f64> {
        ratio(self.count(c, c), self.row(c).iter().sum())
    }

    /// Precision of class `c`: the share of predictions of `c` that were right. `None` when
    /// `c` was never predicted.
    ///
    /// # Panics
    /// If `c` is not below [`n_classes`](Self::n_classes).
    #[track_caller]
    pub fn precision(&self, c: usize) -> Option<f64> {
        let predicted = (0..self.n_classes).map(|a| self.count(a, c)).sum();
        ratio(self.count(c, c), predicted)
    }

    /// Share of all samples predicted correctly. `None` when there are no samples.
    pub fn accuracy(&self) -> Option<f64> {
        ratio(self.correct(), self.total())
    }

    /// The counts as one vector per actual class, the layout of the JSON exports.
    pub fn to_rows(&self) -> Vec<Vec<u64>> {
        (0..self.n_classes).map(|a| self.row(a).to_vec()).collect()
    }
}

fn ratio(num: u64, den: u64) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

fn percent(r: Option<f64>) -> String {
    match r {
        Some(r) => format!("{:.1}%", 100.0 * r),
        None => "-".to_owned(),
    }
}

/// A plain-text table: one row per actual class with its total and recall, then the column
/// totals, the precision of each predicted class, and the accuracy. A ratio without samples
/// prints as `-`.
impl fmt::Display for ConfusionMatrix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const CORNER: &str = "actual \\ predicted";
        let n = self.n_classes;
        let actuals = self.actuals();
        let predictions = self.predictions();
        let biggest = actuals
            .iter()
            .chain(&predictions)
            .max()
            .copied()
            .unwrap_or(0);
        // Wide enough for the largest total, "100.0%" and the class index.
        let w = biggest
            .to_string()
            .len()
            .max("100.0%".len())
            .max(n.to_string().len());
        let lw = CORNER.len();

        write!(f, "{CORNER}")?;
        for p in 0..n {
            write!(f, " {p:>w$}")?;
        }
        writeln!(f, " | {:>w$} {:>w$}", "total", "recall")?;
        for (a, total) in actuals.iter().enumerate() {
            write!(f, "{a:>lw$}")?;
            for c in self.row(a) {
                write!(f, " {c:>w$}")?;
            }
            writeln!(f, " | {total:>w$} {:>w$}", percent(self.recall(a)))?;
        }
        write!(f, "{:>lw$}", "total")?;
        for t in &predictions {
            write!(f, " {t:>w$}")?;
        }
        writeln!(f, " | {:>w$}", self.total())?;
        write!(f, "{:>lw$}", "precision")?;
        for p in 0..n {
            write!(f, " {:>w$}", percent(self.precision(p)))?;
        }
        writeln!(f, " |")?;
        writeln!(
            f,
            "accuracy {} ({} of {})",
            percent(self.accuracy()),
            self.correct(),
            self.total()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::expect;
    use proptest::prelude::*;

    /// Ten samples over three classes, counted by hand:
    /// actual 0 -> predicted 0,0,0,1 ; actual 1 -> 1,1,2 ; actual 2 -> 2,0,2.
    fn ten() -> ConfusionMatrix {
        let pairs = [
            (0, 0),
            (0, 0),
            (0, 0),
            (0, 1),
            (1, 1),
            (1, 1),
            (1, 2),
            (2, 2),
            (2, 0),
            (2, 2),
        ];
        ConfusionMatrix::from_pairs(3, pairs).unwrap()
    }

    #[test]
    fn counts_totals_and_ratios_of_a_hand_counted_list() {
        let cm = ten();
        assert_eq!(
            cm.to_rows(),
            vec![vec![3, 1, 0], vec![0, 2, 1], vec![1, 0, 2]]
        );
        assert_eq!(cm.actuals(), vec![4, 3, 3]);
        assert_eq!(cm.predictions(), vec![4, 3, 3]);
        assert_eq!((cm.correct(), cm.total()), (7, 10));
        // recall = diagonal / row total: 3/4, 2/3, 2/3; precision = diagonal / column total:
        // 3/4, 2/3, 2/3; accuracy = 7/10.
        assert_eq!(cm.recall(0), Some(0.75));
        assert_eq!(cm.recall(1), Some(2.0 / 3.0));
        assert_eq!(cm.precision(2), Some(2.0 / 3.0));
        assert_eq!(cm.accuracy(), Some(0.7));
    }

    #[test]
    fn ratios_without_samples_are_none() {
        // Class 2 never occurs and is never predicted.
        let cm = ConfusionMatrix::from_pairs(3, [(0, 0), (1, 0)]).unwrap();
        assert_eq!(cm.recall(2), None);
        assert_eq!(cm.precision(2), None);
        assert_eq!(cm.precision(1), None);
        assert_eq!(cm.recall(1), Some(0.0));
        assert_eq!(ConfusionMatrix::new(4).accuracy(), None);
    }

    #[test]
    fn from_pairs_names_the_bad_pair() {
        let e = ConfusionMatrix::from_pairs(3, [(0, 0), (1, 3)]).unwrap_err();
        assert_eq!(e.sample, 1);
    }

    #[test]
    fn from_predictions_counts_label_against_argmax() {
        // Rows' argmax: 1, 0, 1.
        let probs = tensor::Matrix::from_vec(3, 2, vec![0.2, 0.8, 0.6, 0.4, 0.1, 0.9]).unwrap();
        let p = Predictions::new(probs, vec![1, 1, 0]).unwrap();
        let cm = ConfusionMatrix::from_predictions(&p);
        assert_eq!(cm.to_rows(), vec![vec![0, 1], vec![1, 1]]);
    }

    #[test]
    fn display_of_the_hand_counted_list() {
        expect![[r#"
            actual \ predicted      0      1      2 |  total recall
                             0      3      1      0 |      4  75.0%
                             1      0      2      1 |      3  66.7%
                             2      1      0      2 |      3  66.7%
                         total      4      3      3 |     10
                     precision  75.0%  66.7%  66.7% |
            accuracy 70.0% (7 of 10)
        "#]]
        .assert_eq(&ten().to_string());
    }

    #[test]
    fn display_marks_missing_ratios() {
        let cm = ConfusionMatrix::from_pairs(2, [(0, 0)]).unwrap();
        expect![[r#"
            actual \ predicted      0      1 |  total recall
                             0      1      0 |      1 100.0%
                             1      0      0 |      0      -
                         total      1      0 |      1
                     precision 100.0%      - |
            accuracy 100.0% (1 of 1)
        "#]]
        .assert_eq(&cm.to_string());
    }

    fn pairs() -> impl Strategy<Value = (usize, Vec<(u8, u8)>)> {
        (1usize..=12).prop_flat_map(|k| {
            let class = 0..k as u8;
            (
                Just(k),
                proptest::collection::vec((class.clone(), class), 0..200),
            )
        })
    }

    proptest! {
        #[test]
        fn counts_add_up((k, pairs) in pairs()) {
            let cm = ConfusionMatrix::from_pairs(k, pairs.iter().copied()).unwrap();
            prop_assert_eq!(cm.total(), pairs.len() as u64);
            // Row sums are the actual labels' counts, column sums the predictions' counts.
            for c in 0..k {
                let actual = pairs.iter().filter(|(a, _)| usize::from(*a) == c).count() as u64;
                let predicted = pairs.iter().filter(|(_, p)| usize::from(*p) == c).count() as u64;
                prop_assert_eq!(cm.row(c).iter().sum::<u64>(), actual);
                prop_assert_eq!(cm.actuals()[c], actual);
                prop_assert_eq!(cm.predictions()[c], predicted);
            }
            let correct = pairs.iter().filter(|(a, p)| a == p).count() as u64;
            prop_assert_eq!(cm.correct(), correct);
        }

        #[test]
        fn merging_two_halves_gives_the_whole((k, pairs) in pairs(), cut in 0.0f64..=1.0) {
            let at = (cut * pairs.len() as f64) as usize;
            let whole = ConfusionMatrix::from_pairs(k, pairs.iter().copied()).unwrap();
            let mut first = ConfusionMatrix::from_pairs(k, pairs[..at].iter().copied()).unwrap();
            let second = ConfusionMatrix::from_pairs(k, pairs[at..].iter().copied()).unwrap();
            first.merge(&second);
            prop_assert_eq!(first, whole);
        }
    }
}
