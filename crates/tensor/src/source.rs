//! [`BatchSource`]: labelled rows gathered by index into a reused matrix. It lives here, at the
//! bottom of the graph, so that a dataset reader can implement it and a training loop consume
//! it without either knowing the other.

use std::ops::Range;

use crate::Matrix;

/// Where rows with class labels come from: a dataset view, an in-memory matrix or a generator.
/// Training reads its batches through this trait, and evaluation its rows ([`rows`](Self::rows)).
pub trait BatchSource: Sync {
    /// Number of rows.
    fn len(&self) -> usize;

    /// True when there are no rows.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Values per row.
    fn dim(&self) -> usize;

    /// Writes rows `indices` into `out`, which has exactly `indices.len()` rows and
    /// [`dim`](Self::dim) columns. Called once per batch: it should not allocate.
    fn fill(&self, indices: &[usize], out: &mut Matrix);

    /// The class label of row `index`.
    fn label(&self, index: usize) -> u8;

    /// Rows `range` as a new matrix (for evaluation, where a batch is made once).
    ///
    /// # Panics
    /// If `range` reaches past [`len`](Self::len).
    fn rows(&self, range: Range<usize>) -> Matrix {
        assert!(
            range.end <= self.len(),
            "rows {range:?} of a source of {} rows",
            self.len()
        );
        let idx: Vec<usize> = range.collect();
        let mut m = Matrix::zeros(idx.len(), self.dim());
        self.fill(&idx, &mut m);
        m
    }
}
