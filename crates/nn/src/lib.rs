//! Dense networks small enough to read in an afternoon: layers, softmax cross-entropy, SGD, a
//! deterministic mini-batch training loop and checkpoints.
//!
//! An [`Mlp`] is a stack of [`Linear`] layers, each followed by an [`Activation`]; its shape is an
//! [`Architecture`]. [`train`] runs seeded, shuffled mini-batch SGD ([`SgdConfig`]) over any
//! [`BatchSource`] and reports each epoch to a callback (the CLI turns it into a progress bar).
//! [`Mlp::params`] lists parameters by name in a fixed order for introspection, and
//! [`checkpoint`] saves and loads them; [`safetensors`] reads dense networks saved by PyTorch,
//! JAX or Keras and writes ours so they load there.
//!
//! [`convnet::ConvNet`] stacks [`conv`] layers (convolution, ReLU, max-pooling over N·H·W x C
//! feature maps, their windows read in place by `tensor`'s narrow kernels) under one dense
//! layer of logits;
//! [`convnet::train_convnet`] trains it with a learning-rate schedule and seeded augmentation.
//!
//! Every gradient is checked against central finite differences in the tests.
//!
//! This crate knows no dataset or image, and no file format other than its own checkpoint and
//! safetensors.
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
//! use nn::{Activation, Architecture, Init, InMemory, Mlp, SgdConfig, TrainConfig, init, train};
//! use tensor::Matrix;
//!
//! // Two classes: is the first value larger than the second?
//! let x = Matrix::from_fn(200, 2, |i, j| ((i * 7 + j * 13) % 17) as f32 / 17.0);
//! let y = (0..200).map(|i| u8::from(x.get(i, 0) > x.get(i, 1))).collect();
//! let data = InMemory { x, y };
//!
//! let arch = Architecture::classifier(2, &[8], Activation::Tanh, 2);
//! let mut net = Mlp::new(arch, Init::GlorotUniform, &mut init::rng(42));
//! let config = TrainConfig {
//!     epochs: 30,
//!     batch_size: 20,
//!     sgd: SgdConfig { lr: 0.5, momentum: 0.9, weight_decay: 0.0 },
//!     shuffle_seed: 1,
//! };
//! let reports = train(&mut net, &config, &data, &mut |_report, _net| {}).unwrap();
//! assert!(reports.last().unwrap().accuracy > 0.9);
//! ```

pub mod activation;
pub mod checkpoint;
pub mod conv;
pub mod convnet;
#[cfg(test)]
mod gradcheck;
pub mod init;
pub mod loss;
mod mlp;
pub mod optim;
pub mod safetensors;
mod team;
mod train;

pub use activation::Activation;
pub use init::Init;
pub use mlp::{Architecture, Gradients, LayerSpec, Linear, Mlp, Trace};
pub use optim::{Optimizer, Sgd, SgdConfig};
/// Where training rows come from; defined in `tensor` so that `datasets` implements it.
pub use tensor::BatchSource;
#[doc(hidden)]
pub use train::team_batches;
pub use train::{EpochReport, InMemory, MAX_MEAN_LOSS, TrainConfig, TrainError, train};
