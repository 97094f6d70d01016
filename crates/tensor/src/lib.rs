//! Row-major `f32` matrices and the few kernels that training a small dense network needs.
//!
//! [`Matrix`] owns its values; [`MatrixView`] borrows a contiguous range of rows, which is how a
//! mini-batch is taken without a copy. The kernels in [`ops`] are the products in the transposed
//! combinations that forward and backward passes use, a row-broadcast add, a row softmax and an
//! argmax.
//!
//! This crate knows nothing of layers, files, datasets, images or randomness. It does no IO.
//!
//! # Determinism
//! Every parallel kernel splits its work into chunks whose size is fixed by the shapes, never by
//! the number of threads, and reduces partial results in a fixed order. The same inputs give the
//! same bits on one thread or many.
//!
//! # Example
//! ```
//! use tensor::Matrix;
//! let m = Matrix::from_fn(4, 3, |i, j| (i * 3 + j) as f32);
//! let batch = m.rows_view(1..3);
//! assert_eq!(batch.row(0), &[3.0, 4.0, 5.0]);
//! ```

mod matrix;

pub use matrix::{Matrix, MatrixView, ShapeError};
