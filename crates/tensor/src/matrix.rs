//! The owned [`Matrix`] and the borrowed [`MatrixView`].

use std::ops::Range;

use serde::{Deserialize, Serialize};

/// A shape did not match the data it was given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a {rows}x{cols} matrix needs {} values, got {len}", *rows as u128 * *cols as u128)]
pub struct ShapeError {
    /// Rows asked for.
    pub rows: usize,
    /// Columns asked for.
    pub cols: usize,
    /// Values supplied.
    pub len: usize,
}

/// An owned, contiguous, row-major matrix of `f32`.
///
/// Row `i` occupies `as_slice()[i * cols .. (i + 1) * cols]`.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawMatrix")]
pub struct Matrix {
    rows: usize,
    cols: usize,
    data: Vec<f32>,
}

/// The serialised form, checked before it becomes a [`Matrix`], so a corrupt file cannot build
/// a matrix whose shape disagrees with its data.
#[derive(Deserialize)]
struct RawMatrix {
    rows: usize,
    cols: usize,
    data: Vec<f32>,
}

impl TryFrom<RawMatrix> for Matrix {
    type Error = ShapeError;
    fn try_from(r: RawMatrix) -> Result<Self, ShapeError> {
        Matrix::from_vec(r.rows, r.cols, r.data)
    }
}

impl std::fmt::Debug for Matrix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Matrix({}x{})", self.rows, self.cols)
    }
}

impl Matrix {
    /// A `rows x cols` matrix of zeros.
    pub fn zeros(rows: usize, cols: usize) -> Self {
        Self {
            rows,
            cols,
            data: vec![0.0; rows * cols],
        }
    }

    /// Wraps `data` (row-major) as a `rows x cols` matrix.
    ///
    /// # Errors
    /// [`ShapeError`] when `data.len() != rows * cols`.
    pub fn from_vec(rows: usize, cols: usize, data: Vec<f32>) -> Result<Self, ShapeError> {
        if rows.checked_mul(cols) != Some(data.len()) {
            return Err(ShapeError {
                rows,
                cols,
                len: data.len(),
            });
        }
        Ok(Self { rows, cols, data })
    }

    /// Builds a matrix whose entry `(i, j)` is `f(i, j)`.
    pub fn from_fn(rows: usize, cols: usize, mut f: impl FnMut(usize, usize) -> f32) -> Self {
        let mut data = Vec::with_capacity(rows * cols);
        for i in 0..rows {
            for j in 0..cols {
                data.push(f(i, j));
            }
        }
        Self { rows, cols, data }
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// `(rows, cols)`.
    pub fn shape(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }

    /// All values, row-major.
    pub fn as_slice(&self) -> &[f32] {
        &self.data
    }

    /// All values, row-major, mutable.
    pub fn as_mut_slice(&mut self) -> &mut [f32] {
        &mut self.data
    }

    /// Consumes the matrix, returning its row-major values.
    pub fn into_vec(self) -> Vec<f32> {
        self.data
    }

    /// Row `i`.
    ///
    /// # Panics
    /// If `i >= rows`.
    #[track_caller]
    pub fn row(&self, i: usize) -> &[f32] {
        assert!(i < self.rows, "row {i} out of range for {} rows", self.rows);
        &self.data[i * self.cols..(i + 1) * self.cols]
    }

    /// Row `i`, mutable.
    ///
    /// # Panics
    /// If `i >= rows`.
    #[track_caller]
    pub fn row_mut(&mut self, i: usize) -> &mut [f32] {
        assert!(i < self.rows, "row {i} out of range for {} rows", self.rows);
        &mut self.data[i * self.cols..(i + 1) * self.cols]
    }

    /// Entry `(i, j)`.
    ///
    /// # Panics
    /// If the index is out of range.
    #[track_caller]
    pub fn get(&self, i: usize, j: usize) -> f32 {
        assert!(
            i < self.rows && j < self.cols,
            "({i}, {j}) out of range for {}x{}",
            self.rows,
            self.cols
        );
        self.data[i * self.cols + j]
    }

    /// Sets entry `(i, j)`.
    ///
    /// # Panics
    /// If the index is out of range.
    #[track_caller]
    pub fn set(&mut self, i: usize, j: usize, v: f32) {
        assert!(
            i < self.rows && j < self.cols,
            "({i}, {j}) out of range for {}x{}",
            self.rows,
            self.cols
        );
        self.data[i * self.cols + j] = v;
    }

    /// Changes the number of rows, keeping `cols`; new entries are zero. Reuses the allocation
    /// when it shrinks, so a batch buffer can serve a short last batch.
    pub fn resize_rows(&mut self, rows: usize) {
        self.rows = rows;
        self.data.resize(rows * self.cols, 0.0);
    }

    /// A borrowed view of the whole matrix.
    pub fn view(&self) -> MatrixView<'_> {
        MatrixView {
            rows: self.rows,
            cols: self.cols,
            data: &self.data,
        }
    }

    /// A borrowed view of rows `range` (a mini-batch without a copy).
    ///
    /// # Panics
    /// If the range is out of bounds.
    #[track_caller]
    pub fn rows_view(&self, range: Range<usize>) -> MatrixView<'_> {
        self.view().rows_view(range)
    }

    /// The transpose, as a new matrix.
    pub fn transpose(&self) -> Matrix {
        Matrix::from_fn(self.cols, self.rows, |i, j| self.get(j, i))
    }

    /// True when every entry is finite.
    pub fn all_finite(&self) -> bool {
        self.data.iter().all(|v| v.is_finite())
    }
}

/// A borrowed, contiguous range of rows of a row-major `f32` matrix.
#[derive(Clone, Copy, Debug)]
pub struct MatrixView<'a> {
    rows: usize,
    cols: usize,
    data: &'a [f32],
}

impl<'a> MatrixView<'a> {
    /// Views `data` (row-major) as `rows x cols`.
    ///
    /// # Errors
    /// [`ShapeError`] when `data.len() != rows * cols`.
    pub fn new(rows: usize, cols: usize, data: &'a [f32]) -> Result<Self, ShapeError> {
        if rows.checked_mul(cols) != Some(data.len()) {
            return Err(ShapeError {
                rows,
                cols,
                len: data.len(),
            });
        }
        Ok(Self { rows, cols, data })
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// All values, row-major.
    pub fn as_slice(&self) -> &'a [f32] {
        self.data
    }

    /// Row `i`.
    ///
    /// # Panics
    /// If `i >= rows`.
    #[track_caller]
    pub fn row(&self, i: usize) -> &'a [f32] {
        assert!(i < self.rows, "row {i} out of range for {} rows", self.rows);
        &self.data[i * self.cols..(i + 1) * self.cols]
    }

    /// Rows `range` of this view.
    ///
    /// # Panics
    /// If the range is out of bounds.
    #[track_caller]
    pub fn rows_view(&self, range: Range<usize>) -> MatrixView<'a> {
        assert!(
            range.start <= range.end && range.end <= self.rows,
            "rows {range:?} out of range for {} rows",
            self.rows
        );
        MatrixView {
            rows: range.len(),
            cols: self.cols,
            data: &self.data[range.start * self.cols..range.end * self.cols],
        }
    }

    /// Copies the view into an owned matrix.
    pub fn to_matrix(&self) -> Matrix {
        Matrix {
            rows: self.rows,
            cols: self.cols,
            data: self.data.to_vec(),
        }
    }
}

impl<'a> From<&'a Matrix> for MatrixView<'a> {
    fn from(m: &'a Matrix) -> Self {
        m.view()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_vec_checks_length() {
        assert!(Matrix::from_vec(2, 3, vec![0.0; 6]).is_ok());
        let err = Matrix::from_vec(2, 3, vec![0.0; 5]).unwrap_err();
        assert_eq!(err.to_string(), "a 2x3 matrix needs 6 values, got 5");
    }

    #[test]
    fn rows_view_borrows_the_right_rows() {
        let m = Matrix::from_fn(5, 2, |i, j| (i * 10 + j) as f32);
        let v = m.rows_view(1..3);
        assert_eq!(v.rows(), 2);
        assert_eq!(v.row(0), &[10.0, 11.0]);
        assert_eq!(v.rows_view(1..2).row(0), &[20.0, 21.0]);
    }

    #[test]
    fn transpose_swaps_indices() {
        let m = Matrix::from_fn(2, 3, |i, j| (i * 3 + j) as f32);
        let t = m.transpose();
        assert_eq!(t.shape(), (3, 2));
        assert_eq!(t.get(2, 1), 5.0);
    }
}
