//! Labelled image sets for the chapter's networks: MNIST, CIFAR-10 and any IDX pair, read from
//! their official on-disk formats, split the way the chapter splits them, and turned into `f32`
//! batches without copying the pixels anywhere else.
//!
//! # The pieces
//!
//! - [`Dataset`]: u8 pixels laid out (N, C, H, W) with an [`ImageShape`], one u8 label per image
//!   and the class names. Pixels stay u8 and, when they come from large files, stay
//!   memory-mapped; a clone shares them. [`Dataset::new`] builds one from owned bytes.
//! - [`DatasetView`]: a borrowed index range of a dataset (`len`, `label(i)`, `image(i)`,
//!   `labels()`, `class_counts`, `channel_stats`). [`Split`] names the chapter's ranges and
//!   [`Loaded::view`] resolves them: MNIST trains on [`mnist::TRAIN`] (`0..50_000`) and is
//!   measured on [`mnist::HELD_OUT`] (`50_000..60_000`); CIFAR-10 on [`cifar10::TRAIN`]
//!   (`0..40_000`) and [`cifar10::HELD_OUT`] (`40_000..50_000`); [`Split::Test`] is the official
//!   test set.
//! - [`BatchFiller`]: fills a reused [`tensor::Matrix`] (one image per row, `C*H*W` columns)
//!   from a list of indices, with a [`InputScaling`] (`x/255` by default, as in the chapter;
//!   zero-centred; or per-channel standardisation from [`DatasetView::channel_stats`]). Values
//!   are those of a 256-entry lookup table per channel, computed with vector instructions where
//!   that is faster and gives the same bits. It does not allocate per batch.
//! - Readers, each taking an explicit directory: [`mnist::load`] (`DIR/mnist/`),
//!   [`cifar10::load`] (`DIR/cifar-10-batches-bin/` or `DIR/cifar-10-binary.tar.gz`) and
//!   [`idx::load_with`] (the four standard IDX names, for Fashion-MNIST, KMNIST or your own
//!   set), all returning [`Loaded`] (train, test, splits). [`idx::IdxFile`] and
//!   [`idx::read_header`] read single IDX files. Compressed input is detected by content,
//!   expanded once into a validated cache entry and mapped afterwards (see [`LoadOptions`]).
//!   The same checks run on bytes in memory: [`idx::IdxFile::from_bytes`] with
//!   [`idx::pair_dataset`], [`cifar10::from_bytes`] and [`cifar10::from_archive_bytes`] (what
//!   the fuzz targets in `fuzz/` call).
//! - [`download`]: fetches the official files ([`mnist::download`], [`cifar10::download`];
//!   [`mnist::missing`] and [`cifar10::missing`] say which are absent) from their official
//!   URLs or a mirror, with a progress callback, resuming cut transfers and verifying each file
//!   against its official checksum before it is renamed into place. Every file this crate
//!   writes (downloads, cache entries, extracted archives) is whole or absent: downloads by
//!   that rename, the rest through the `atomicfile` crate.
//!
//! Every problem with outside data is a [`DatasetError`] naming the file and saying what is
//! wrong ([`DatasetErrorKind`]); nothing sized by an untrusted header is allocated before the
//! header is checked against the file. Misusing the API (an index out of range, a batch matrix
//! of the wrong width) panics, as documented on each method.
//!
//! # What this crate does not know
//!
//! Networks, training, rendering, and where data lives: there is no default data path. The
//! caller (the `experiments` crate: `--data-dir`, `ML4A_DATA`, else `data/`) decides.
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
//!
//! ```
//! use datasets::{BatchFiller, Dataset, ImageShape, InputScaling};
//! use tensor::Matrix;
//!
//! // Three 1x2x2 images with labels 0, 1, 1.
//! let shape = ImageShape { channels: 1, height: 2, width: 2 };
//! let pixels = vec![0, 0, 0, 0, 255, 255, 255, 255, 0, 51, 102, 255];
//! let classes = vec!["dark".to_string(), "light".to_string()];
//! let ds = Dataset::new(pixels, vec![0, 1, 1], classes, shape)?;
//!
//! let tail = ds.view(1..3);
//! assert_eq!(tail.labels(), &[1, 1]);
//! assert_eq!(tail.image(1), &[0, 51, 102, 255]);
//! assert_eq!(ds.all().class_counts(), vec![1, 2]);
//!
//! // A batch of images 2 and 0, scaled to [0, 1]; the matrix is reused across batches.
//! let filler = BatchFiller::new(shape, &InputScaling::UnitRange);
//! let mut batch = Matrix::zeros(2, shape.len());
//! filler.fill(&ds.all(), &[2, 0], &mut batch);
//! assert_eq!(batch.row(0), &[0.0, 0.2, 0.4, 1.0]);
//! assert_eq!(batch.row(1), &[0.0; 4]);
//! # Ok::<(), datasets::DatasetError>(())
//! ```

mod batch;
mod cache;
#[doc(hidden)]
pub mod ci;
pub mod cifar10;
mod dataset;
pub mod download;
mod error;
mod feed;
pub mod idx;
pub mod mnist;
mod storage;
#[cfg(test)]
mod testutil;

pub use batch::{BatchFiller, ChannelStats, InputScaling};
pub use cache::{LoadOptions, default_cache_dir};
pub use dataset::{Dataset, DatasetView, Loaded, MAX_CLASSES, Split, Splits};
pub use error::{DatasetError, DatasetErrorKind};
pub use feed::Feed;
pub use tensor::BatchSource;
pub use tensor::ImageShape;
