//! The IDX format (MNIST's): headers of any IDX file, u8 data files, and image + label pairs.
//!
//! An IDX file is a 4-byte magic number (two zero bytes, a type code, the number of
//! dimensions), one big-endian `u32` per dimension, then the values row-major. A file is read
//! raw or gzip-compressed, told apart by content (the gzip magic `1f 8b`), never by name. A
//! gzip file is expanded once into a cache entry (see [`LoadOptions`](crate::LoadOptions)) and mapped afterwards;
//! the expansion is bounded by the size the header implies, checked as it goes.
//!
//! [`load_with`] reads a directory holding the four standard file names
//! ([`TRAIN_IMAGES`], [`TRAIN_LABELS`], [`TEST_IMAGES`], [`TEST_LABELS`], each raw or with
//! `.gz`), so MNIST, Fashion-MNIST, KMNIST or a user's own IDX set load the same way.

mod dir;
mod file;
mod gzip;
mod header;
mod pair;
#[cfg(test)]
mod tests;

pub(crate) use dir::load_dir;
pub use dir::{load, load_with};
pub use file::IdxFile;
pub use header::{IdxHeader, IdxType, read_header};
pub use pair::{load_pair, pair_dataset};

/// Standard name of the training images file.
pub const TRAIN_IMAGES: &str = "train-images-idx3-ubyte";
/// Standard name of the training labels file.
pub const TRAIN_LABELS: &str = "train-labels-idx1-ubyte";
/// Standard name of the test images file.
pub const TEST_IMAGES: &str = "t10k-images-idx3-ubyte";
/// Standard name of the test labels file.
pub const TEST_LABELS: &str = "t10k-labels-idx1-ubyte";
