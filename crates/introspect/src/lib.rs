//! What a trained classifier reveals, as numbers: everything the chapter "Looking inside neural
//! nets" looks at, computed from a network's outputs and weights and a split's labels, with no
//! drawing in it.
//!
//! - [`evaluate`] runs a classifier over a split in parallel, deterministic batches and keeps
//!   every sample's label, predicted class and probability vector: [`Predictions`].
//! - [`ConfusionMatrix`] counts (actual, predicted) pairs, with row and column totals, recall,
//!   precision and accuracy, a mergeable count and a readable [`Display`](std::fmt::Display).
//!   [`TopSamples`] orders the samples of every cell by the network's confidence.
//! - [`select_mistakes`] picks "understandable" and "glaring" mistakes by a stated rule.
//! - [`Templates`] shows a dense layer's incoming weights as images (per-unit or shared,
//!   symmetric scaling); [`OutputBars`] the output layer's weights over hidden units.
//!   [`ClassMeans`] and [`template_scores`] measure how much each template looks like the
//!   average image of its class.
//! - [`Summary`] and [`Ml4aSummary`] serialise the results; the latter in the exact schema of
//!   the original ml4a demo pages.
//! - Building blocks for your own measures: [`pearson`] (the correlation behind
//!   [`template_scores`]) and [`select_mistakes_with`] (the mistake selection with a
//!   [`MistakeRule`] of your own).
//! - Measures for checking what a text claims about a network: image regions ([`Mask`]: border,
//!   centre, disc, annulus) and stroke measures ([`ink`], [`stroke_width`]); clustering
//!   ([`kmeans`], [`silhouette`]), principal components ([`Pca`]), nearest-neighbour accuracy
//!   ([`knn_accuracy`]) and a permutation test of a correlation ([`permutation_p`]).
//!
//! This crate does not know how a model was built or trained: it takes a closure that returns
//! probability rows, weight matrices and label slices, so any model works, not only the
//! workspace's `nn` networks. It knows no dataset or file format, does no IO and draws nothing
//! (drawing is `render`'s job; every output here is plain data).
//!
//! Conventions: class indices are `u8` (at most 256 classes). A dense layer's weight is an
//! `outputs x inputs` [`Matrix`](tensor::Matrix) (see [`Templates`]). Images are planar
//! (C, H, W) ([`ImageShape`]). A ratio with nothing to divide by is `None`, never NaN.
//! Data values that cannot be used (a label out of range, a non-finite probability) are an
//! [`IntrospectError`]; a broken contract between crates (a closure returning the wrong shape)
//! panics, as each `# Panics` section says.
//!
//! # Determinism
//! Parallel work is split by sample index, never by thread, and reassembled in index order;
//! every ordering breaks ties by index. The same inputs give the same results, and the same
//! JSON, on any number of threads.
//!
//! # Example
//! A hand-made "network" that classifies points on a line by the nearest of three centres,
//! evaluated over eight samples:
//! ```
//! use introspect::{ConfusionMatrix, TopSamples, evaluate, select_mistakes};
//! use tensor::Matrix;
//!
//! let xs = [0.2f32, 0.9, 1.2, 1.4, 2.5, 2.8, 1.1, 0.95];
//! let labels = [0u8, 0, 1, 1, 2, 2, 2, 1];
//! // Class c's score is -4 (x - (c + 0.5))^2; a softmax turns scores into probabilities.
//! let network = |range: std::ops::Range<usize>| {
//!     Matrix::from_fn(range.len(), 3, |i, c| {
//!         let score = |c: usize| -4.0 * (xs[range.start + i] - (c as f32 + 0.5)).powi(2);
//!         let total: f32 = (0..3).map(|k| score(k).exp()).sum();
//!         score(c).exp() / total
//!     })
//! };
//! let predictions = evaluate(&labels, 3, network)?;
//! assert_eq!(predictions.predicted(), &[0, 0, 1, 1, 2, 2, 1, 0]);
//!
//! let confusion = ConfusionMatrix::from_predictions(&predictions);
//! println!("{confusion}");
//! assert_eq!(
//!     confusion.to_string(),
//!     "\
//! actual \\ predicted      0      1      2 |  total recall
//!                  0      2      0      0 |      2 100.0%
//!                  1      1      2      0 |      3  66.7%
//!                  2      0      1      2 |      3  66.7%
//!              total      3      3      2 |      8
//!          precision  66.7%  66.7% 100.0% |
//! accuracy 75.0% (6 of 8)
//! "
//! );
//!
//! // The most confident correct 2 is x = 2.8, not x = 2.5 on its centre: confidence grows
//! // with the distance from the rival centre.
//! let tops = TopSamples::from_predictions(&predictions);
//! assert_eq!(tops.top(2, 2, 1)[0].index, 5);
//! // Ask for 2 + 2 mistakes; there are only two. x = 0.95 (a 1 called 0) was a close call
//! // and meets the strict rule; x = 1.1 (a 2 called 1) does not and is a fallback pick.
//! let mistakes = select_mistakes(&predictions, 2, 2);
//! let picked: Vec<(usize, bool)> = mistakes.iter().map(|m| (m.index, m.strict)).collect();
//! assert_eq!(picked, [(7, true), (6, false)]);
//! println!("{}", mistakes[0].reason);
//! # Ok::<(), introspect::IntrospectError>(())
//! ```

mod confusion;
mod error;
mod eval;
mod export;
mod means;
mod mistakes;
mod regions;
mod stats;
mod templates;
mod tops;

pub use confusion::ConfusionMatrix;
pub use error::{IntrospectError, IntrospectErrorKind};
pub use eval::{EVAL_BATCH, Predictions, evaluate, evaluate_in_batches};
pub use export::{Ml4aOptions, Ml4aSummary, Ml4aTop, Summary, SummaryMeta};
pub use means::{ClassMeans, TemplateScores, pearson, template_scores};
pub use mistakes::{Mistake, MistakeKind, MistakeRule, select_mistakes, select_mistakes_with};
pub use regions::{Mask, ink, stroke_width};
pub use stats::{KMeans, Knn, Pca, kmeans, knn_accuracy, permutation_p, silhouette};
pub use templates::{DisplayScale, OutputBars, Templates};
/// The (C, H, W) layout of an image row, shared with the dataset readers.
pub use tensor::ImageShape;
pub use tops::{RankedSample, TopSamples};
