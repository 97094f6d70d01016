//! Row-major `f32` matrices and the few kernels that training a small dense network needs.
//!
//! [`Matrix`] owns its values; [`MatrixView`] borrows a contiguous range of rows, which is how a
//! mini-batch is taken without a copy. [`ops`] holds the products in the transposed
//! combinations that forward and backward passes use ([`ops::gemm`]), a row-broadcast add, a
//! row softmax, an argmax, and the element-wise loops of a training step ([`ops::exp`],
//! [`ops::sigmoid_in_place`], [`ops::sgd_update`], …). [`reference`](mod@reference) keeps slow,
//! obviously correct versions as oracles.
//!
//! The products whose output has at most 16 columns (a forward pass into 10 units) or rows (the
//! weight gradient of 10 units) run on hand-written kernels, compiled for AVX-512 or AVX2 + FMA
//! when the processor has them (the two give the same bits), and so do those with a thousand rows or more and up to 24 columns (a
//! convolution's window rows times its filters), and a product with a right operand of at most
//! 1024 values runs row by row in registers; the rest go to `matrixmultiply`. `benches/benches/kernels.rs` measures
//! them on one thread against `matrixmultiply`, `nalgebra` and the naive loop on one thread;
//! `kernels_parallel.rs` measures them on all threads against threaded `matrixmultiply`.
//!
//! Two small types are the seams between the crates above: [`ImageShape`], the (C, H, W) layout
//! of a row that holds an image, and [`BatchSource`], labelled rows gathered by index (a dataset
//! view implements it, the training loop reads it).
//!
//! This crate knows nothing of layers, files, datasets or randomness, and nothing of what an
//! image depicts. It does no IO.
//!
//! # Determinism
//! Parallel kernels split their output into disjoint blocks and no sum crosses a block, so the
//! same inputs give the same bits on one thread or many. The AVX-512 and AVX2 versions of a
//! kernel do the same operations in the same order, so they agree bit for bit too; the
//! portable versions may differ from them in the last bits.
//!
//! # Debug builds
//! Training in an unoptimised build runs about 50 times slower. This workspace optimises its
//! hot crates in debug builds too, but that setting does not reach a crate that depends on
//! them; copy it into your own `Cargo.toml`:
//! ```toml
//! [profile.dev.package.ml4a-tensor]
//! opt-level = 3
//! [profile.dev.package.ml4a-nn]
//! opt-level = 3
//! [profile.dev.package.ml4a-datasets]
//! opt-level = 3
//! [profile.dev.package.matrixmultiply]
//! opt-level = 3
//! ```
//!
//! # Example
//! ```
//! use tensor::{Matrix, ops};
//! let x = Matrix::from_fn(4, 3, |i, j| (i * 3 + j) as f32);
//! let batch = x.rows_view(1..3); // rows 1 and 2, no copy
//! let w = Matrix::from_vec(3, 1, vec![1.0, 0.0, -1.0]).unwrap();
//! let y = ops::matmul(batch, w.view());
//! assert_eq!(y.as_slice(), &[-2.0, -2.0]);
//! ```

mod kernels;
mod matrix;
mod narrow;
pub mod ops;
pub mod reference;
mod shape;
mod source;

pub use kernels::kernel_isa;
pub use matrix::{Matrix, MatrixView, ShapeError};
pub use shape::ImageShape;
pub use source::{Affine, BatchSource, ByteRows};
