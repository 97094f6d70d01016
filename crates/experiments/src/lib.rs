//! The ml4a chapter "Looking inside neural nets" as code: its four networks, their training,
//! every figure and the reports that compare our numbers with the chapter's.
//!
//! - [`spec`]: the networks as named, serialisable [`Spec`]s ([`NetworkId`]), with the chapter's
//!   numbers and targets beside them.
//! - [`data`]: where data lives ([`DataDir`]: `--data-dir`, else `ML4A_DATA`, else `data/`) and
//!   [`data::predict`], a model's probabilities over a [`datasets::Feed`].
//! - [`fetch`]: data on first use, the official files a command needs fetched and verified
//!   before it starts ([`DataDir::ensure`]), or named in one error when offline.
//! - [`training`]: training with a model cache keyed by a hash of spec and data
//!   ([`training::train`]).
//! - [`analysis`]: evaluation on the held-out and test splits, templates, mistakes.
//! - [`pipeline`]: all of the above for a list of specs ([`pipeline::train_and_analyse`],
//!   giving [`pipeline::Results`]).
//! - [`figures`] and [`report`]: the chapter's figures by name, `reproduce.json`, summaries and
//!   the two report pages, `index.html` and `index.ko.html`; [`lang`] the reader's language
//!   ([`Lang`]) and [`figure_text`] every word drawn inside a figure, in both languages.
//! - [`import`]: a model trained elsewhere (safetensors) analysed like one trained here
//!   ([`import::analyse_imported`]).
//! - [`convnet`]: claim 10, the two convolutional networks of ConvNetJS's demos, trained by
//!   `cargo xtask convnet` and read from the cache by `reproduce`.
//! - [`sweep`]: a claim of the chapter checked, accuracy against hidden width and depth.
//! - [`claims`]: every claim of the chapter measured on the run's networks, with a verdict
//!   ([`claims::measure`]) and its figure ([`claim_figures`]); [`units`]: a card per hidden unit
//!   (filter, outgoing weights, most and least activating images, activation histogram).
//!
//! This is the only crate that knows where data lives. The binary (`src/main.rs`) parses the
//! command line and draws progress bars; everything else is here, so tests drive the same code.
//!
//! # Example
//! ```
//! use experiments::{NetworkId, spec::CHAPTER_MNIST_2LAYER};
//! let spec = NetworkId::Mnist2Layer.spec();
//! assert_eq!(spec.hidden, [10]);
//! assert_eq!(spec.chapter_accuracy, Some(CHAPTER_MNIST_2LAYER));
//! ```

pub mod analysis;
pub mod bench;
pub mod bench_conv;
pub mod claim_figures;
pub mod claims;
pub mod convnet;
pub mod data;
pub mod demos;
pub mod draw;
mod error;
pub mod fetch;
pub mod figure_text;
pub mod figures;
pub mod import;
pub mod io;
pub mod lang;
pub mod limits;
pub mod pipeline;
pub mod report;
pub mod scale;
pub mod spec;
pub mod sweep;
pub mod training;
pub mod units;

pub use data::DataDir;
pub use error::ExperimentError;
pub use lang::Lang;
pub use spec::{NetworkId, Spec};
