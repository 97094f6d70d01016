//! A sequential convolutional classifier: convolutions, ReLUs and max-pools over feature maps,
//! flattened into one dense layer of logits; its seeded training loop with augmentation; and
//! its checkpoint.

use std::time::Instant;

use rand::RngExt as _;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};
use tensor::ops;
use tensor::{BatchSource, ImageShape, Matrix, MatrixView};

use crate::checkpoint::CheckpointErrorKind;
use crate::conv::{
    Conv2d, Conv2dSpec, ConvError, MaxPool2d, MaxPool2dSpec, nchw_to_nhwc, relu_backward,
    relu_in_place,
};
use crate::init::{self, Init, Rng};
use crate::loss;
use crate::mlp::Linear;
use crate::optim::{Optimizer, Sgd, SgdConfig};
use crate::train::{self, EpochReport, TrainError};

/// One layer of a [`ConvArchitecture`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ConvLayer {
    /// A convolution.
    Conv(Conv2dSpec),
    /// `max(x, 0)` on every value.
    Relu,
    /// A max-pooling.
    MaxPool(MaxPool2dSpec),
}

/// The shape of a [`ConvNet`]: input images, the feature-map layers in order, then a dense
/// layer from the flattened last maps to `classes` logits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ConvArchitecture {
    /// The input images (planar rows, as datasets hand them over).
    pub input: ImageShape,
    /// The layers over feature maps, first to last.
    pub layers: Vec<ConvLayer>,
    /// Logits of the dense output layer.
    pub classes: usize,
}

/// A layer bound to its input shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Conv(Conv2d),
    Relu(ImageShape),
    Pool(MaxPool2d),
}

impl Stage {
    fn output(&self) -> ImageShape {
        match self {
            Stage::Conv(c) => c.output,
            Stage::Relu(s) => *s,
            Stage::Pool(p) => p.output,
        }
    }
}

impl ConvArchitecture {
    /// The shape after every layer, first to last.
    ///
    /// # Errors
    /// The first layer whose geometry does not fit its input, or a zero class count.
    pub fn shapes(&self) -> Result<Vec<ImageShape>, ConvError> {
        Ok(self.stages()?.iter().map(Stage::output).collect())
    }

    fn stages(&self) -> Result<Vec<Stage>, ConvError> {
        if self.classes == 0 {
            return Err(ConvError::Stack(
                "a classifier needs at least one class".into(),
            ));
        }
        let mut shape = self.input;
        let mut out = Vec::with_capacity(self.layers.len());
        for (l, layer) in self.layers.iter().enumerate() {
            let stage = match *layer {
                ConvLayer::Conv(spec) => Stage::Conv(Conv2d::new(spec, shape)?),
                ConvLayer::Relu => Stage::Relu(shape),
                ConvLayer::MaxPool(spec) => Stage::Pool(MaxPool2d::new(spec, shape)?),
            };
            shape = stage.output();
            if shape.is_empty() {
                return Err(ConvError::Stack(format!("layer {l} produces no values")));
            }
            out.push(stage);
        }
        Ok(out)
    }

    /// Values per flattened last feature map: the dense layer's input width.
    ///
    /// # Errors
    /// As [`ConvArchitecture::shapes`].
    pub fn flat_len(&self) -> Result<usize, ConvError> {
        Ok(self.shapes()?.last().unwrap_or(&self.input).len())
    }

    /// A short description such as `1x28x28-conv5x5x8p2-relu-pool2-…-10`.
    pub fn describe(&self) -> String {
        let mut s = self.input.to_string();
        for l in &self.layers {
            s.push('-');
            match l {
                ConvLayer::Conv(c) => {
                    s.push_str(&format!("conv{k}x{k}x{}", c.filters, k = c.kernel));
                    if c.stride != 1 {
                        s.push_str(&format!("s{}", c.stride));
                    }
                    if c.pad != 0 {
                        s.push_str(&format!("p{}", c.pad));
                    }
                }
                ConvLayer::Relu => s.push_str("relu"),
                ConvLayer::MaxPool(p) => {
                    s.push_str(&format!("pool{}", p.size));
                    if p.stride != p.size {
                        s.push_str(&format!("s{}", p.stride));
                    }
                }
            }
        }
        s.push_str(&format!("-{}", self.classes));
        s
    }
}

/// A convolutional classifier: [`ConvArchitecture`] plus parameters.
///
/// Parameters are [`Linear`]s, one per convolution (weight `F x C·k·k`, each row a filter laid
/// out (C, k, k) as in PyTorch) and one for the dense output layer (weight `classes x H·W·C`,
/// its input the last maps flattened pixel by pixel, channels innermost), so [`Sgd`] moves them
/// like a dense network's.
///
/// # Example
/// ```
/// use nn::conv::{Conv2dSpec, MaxPool2dSpec};
/// use nn::convnet::{ConvArchitecture, ConvLayer, ConvNet};
/// use nn::{Init, init};
/// use tensor::{ImageShape, Matrix};
///
/// let arch = ConvArchitecture {
///     input: ImageShape { channels: 1, height: 8, width: 8 },
///     layers: vec![
///         ConvLayer::Conv(Conv2dSpec { filters: 4, kernel: 3, stride: 1, pad: 1 }),
///         ConvLayer::Relu,
///         ConvLayer::MaxPool(MaxPool2dSpec { size: 2, stride: 2 }),
///     ],
///     classes: 3,
/// };
/// let net = ConvNet::new(arch, Init::HeNormal, &mut init::rng(1)).unwrap();
/// let logits = net.forward(Matrix::zeros(5, 64).view());
/// assert_eq!(logits.shape(), (5, 3));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ConvNet {
    arch: ConvArchitecture,
    stages: Vec<Stage>,
    params: Vec<Linear>,
}

impl ConvNet {
    /// A network with weights drawn by `init` (fan-in `C·k·k` for a convolution) layer by layer
    /// from `rng`, biases zero.
    ///
    /// # Errors
    /// As [`ConvArchitecture::shapes`].
    pub fn new(arch: ConvArchitecture, init: Init, rng: &mut Rng) -> Result<Self, ConvError> {
        let stages = arch.stages()?;
        let mut params = Vec::new();
        for s in &stages {
            if let Stage::Conv(c) = s {
                params.push(Linear {
                    weight: init.weights(c.patch_len(), c.spec.filters, rng),
                    bias: Matrix::zeros(1, c.spec.filters),
                });
            }
        }
        let flat = stages.last().map_or(arch.input, Stage::output).len();
        params.push(Linear {
            weight: init.weights(flat, arch.classes, rng),
            bias: Matrix::zeros(1, arch.classes),
        });
        Ok(ConvNet {
            arch,
            stages,
            params,
        })
    }

    /// Rebuilds a network from parameters, checking every shape against `arch`.
    ///
    /// # Errors
    /// As [`ConvArchitecture::shapes`], or [`ConvError::Stack`] naming the first parameter whose
    /// shape does not match.
    pub fn from_params(arch: ConvArchitecture, params: Vec<Linear>) -> Result<Self, ConvError> {
        let template = ConvNet::new(arch, Init::Zeros, &mut init::rng(0))?;
        if params.len() != template.params.len() {
            return Err(ConvError::Stack(format!(
                "{} parameter layers for an architecture of {}",
                params.len(),
                template.params.len()
            )));
        }
        for (l, (got, want)) in params.iter().zip(&template.params).enumerate() {
            if got.weight.shape() != want.weight.shape() || got.bias.shape() != want.bias.shape() {
                return Err(ConvError::Stack(format!(
                    "parameter layer {l} is {:?} + {:?}, the architecture needs {:?} + {:?}",
                    got.weight.shape(),
                    got.bias.shape(),
                    want.weight.shape(),
                    want.bias.shape()
                )));
            }
        }
        Ok(ConvNet { params, ..template })
    }

    /// The architecture.
    pub fn architecture(&self) -> &ConvArchitecture {
        &self.arch
    }

    /// Parameters: each convolution's in order, then the dense output layer's.
    pub fn layers(&self) -> &[Linear] {
        &self.params
    }

    /// Parameters, mutable (for optimisers and tests).
    pub fn layers_mut(&mut self) -> &mut [Linear] {
        &mut self.params
    }

    /// Every parameter by name, in a fixed order: `conv0.weight`, `conv0.bias`, …, `dense.weight`,
    /// `dense.bias`.
    pub fn params(&self) -> Vec<(String, &Matrix)> {
        let last = self.params.len() - 1;
        let mut out = Vec::new();
        for (l, p) in self.params.iter().enumerate() {
            let name = if l == last {
                "dense".to_string()
            } else {
                format!("conv{l}")
            };
            out.push((format!("{name}.weight"), &p.weight));
            out.push((format!("{name}.bias"), &p.bias));
        }
        out
    }

    /// True when every parameter is finite.
    pub fn all_finite(&self) -> bool {
        self.params
            .iter()
            .all(|p| p.weight.all_finite() && p.bias.all_finite())
    }

    /// The logits for the planar image rows of `x`.
    ///
    /// # Panics
    /// If `x.cols()` is not the input image's length.
    #[track_caller]
    pub fn forward(&self, x: MatrixView<'_>) -> Matrix {
        let mut ws = Workspace::new(self);
        self.forward_ws(x, &mut ws);
        ws.logits
    }

    /// Class probabilities for the rows of `x`, computed `batch` rows at a time so memory stays
    /// bounded on a whole split.
    ///
    /// # Panics
    /// If `x.cols()` is not the input image's length.
    #[track_caller]
    pub fn predict_proba(&self, x: MatrixView<'_>, batch: usize) -> Matrix {
        let mut out = Matrix::zeros(x.rows(), self.arch.classes);
        let mut ws = Workspace::new(self);
        let batch = batch.max(1);
        for start in (0..x.rows()).step_by(batch) {
            let end = (start + batch).min(x.rows());
            self.forward_ws(x.rows_view(start..end), &mut ws);
            ops::softmax_rows(&mut ws.logits);
            for r in start..end {
                out.row_mut(r).copy_from_slice(ws.logits.row(r - start));
            }
        }
        out
    }

    #[track_caller]
    fn forward_ws(&self, x: MatrixView<'_>, ws: &mut Workspace) {
        assert_eq!(
            x.cols(),
            self.arch.input.len(),
            "ConvNet: rows of {} values, the network takes images of {}",
            x.cols(),
            self.arch.input
        );
        nchw_to_nhwc(x, self.arch.input, &mut ws.input);
        let mut p = 0;
        for (s, stage) in self.stages.iter().enumerate() {
            let (before, rest) = ws.acts.split_at_mut(s);
            let prev = if s == 0 { &ws.input } else { &before[s - 1] };
            let out = &mut rest[0];
            match stage {
                Stage::Conv(c) => {
                    let w = &self.params[p];
                    c.forward_into(prev.view(), &w.weight, &w.bias, &mut ws.cols[s], out);
                    p += 1;
                }
                Stage::Relu(_) => {
                    if out.shape() != prev.shape() {
                        *out = Matrix::zeros(prev.rows(), prev.cols());
                    }
                    out.as_mut_slice().copy_from_slice(prev.as_slice());
                    relu_in_place(out.as_mut_slice());
                }
                Stage::Pool(pool) => pool.forward_into(prev.view(), out, &mut ws.argmax[s]),
            }
        }
        let last = ws.acts.last().unwrap_or(&ws.input);
        let flat = flat_view(last, x.rows());
        let head = self.params.last().expect("a dense output layer");
        if ws.logits.shape() != (x.rows(), self.arch.classes) {
            ws.logits = Matrix::zeros(x.rows(), self.arch.classes);
        }
        head.forward_into(flat, &mut ws.logits);
    }

    /// Mean softmax cross-entropy over the rows of `x` and the gradients of every parameter
    /// (shaped like [`ConvNet::layers`]).
    ///
    /// # Panics
    /// If `labels.len() != x.rows()`, a label is not below `classes`, or `x` has the wrong width.
    #[track_caller]
    pub fn loss_and_gradients(&self, x: MatrixView<'_>, labels: &[u8]) -> (f32, Vec<Linear>) {
        let mut ws = Workspace::new(self);
        let stats = self.gradients_into(x, labels, &mut ws, x.rows());
        (stats.loss_sum as f32 / x.rows().max(1) as f32, ws.grads)
    }

    /// The gradients of a batch split into `shards.len()` shards of consecutive rows, each on a
    /// thread of its own with its own buffers, added up in shard order into `shards[0]`. The
    /// sums depend on the shard count alone, never on the threads.
    #[track_caller]
    fn sharded_gradients_into(
        &self,
        x: MatrixView<'_>,
        labels: &[u8],
        shards: &mut [Workspace],
    ) -> loss::BatchStats {
        use rayon::prelude::*;
        let rows = x.rows();
        let count = shards.len();
        // With a thread per shard or fewer, each shard's products stay on its thread: a shard
        // is as much work as a thread can take, and splitting further only adds fork-joins.
        let alone = rayon::current_num_threads() <= count;
        let stats: Vec<loss::BatchStats> = shards
            .par_iter_mut()
            .enumerate()
            .map(|(s, ws)| {
                let r = train::shard_range(s, count, rows);
                let run = move || self.gradients_into(x.rows_view(r.clone()), &labels[r], ws, rows);
                if alone {
                    ops::on_this_thread(run)
                } else {
                    run()
                }
            })
            .collect();
        let (first, others) = shards.split_first_mut().expect("at least one shard");
        for other in others.iter() {
            train::add_gradients(&mut first.grads, &other.grads);
        }
        stats
            .iter()
            .fold(loss::BatchStats::default(), |a, b| loss::BatchStats {
                loss_sum: a.loss_sum + b.loss_sum,
                correct: a.correct + b.correct,
            })
    }

    /// The gradients of the rows of `x`, a shard of a batch of `batch_rows` rows: the loss is
    /// averaged over the whole batch, so the shards' gradients add up to the batch's.
    #[track_caller]
    fn gradients_into(
        &self,
        x: MatrixView<'_>,
        labels: &[u8],
        ws: &mut Workspace,
        batch_rows: usize,
    ) -> loss::BatchStats {
        let n = x.rows();
        self.forward_ws(x, ws);
        if ws.dlogits.shape() != ws.logits.shape() {
            ws.dlogits = Matrix::zeros(n, self.arch.classes);
        }
        let stats =
            loss::softmax_cross_entropy_into(&ws.logits, labels, &mut ws.dlogits, batch_rows);
        let head = self.params.len() - 1;
        let last = ws.acts.last().unwrap_or(&ws.input);
        self.params[head].backward_params_into(
            flat_view(last, n),
            ws.dlogits.view(),
            &mut ws.grads[head],
        );
        let stages = self.stages.len();
        if stages == 0 {
            return stats;
        }
        // The gradient with respect to the last maps, flat; the same values read as maps.
        let flat_len = self.params[head].inputs();
        if ws.deltas[stages - 1].shape() != (n, flat_len) {
            ws.deltas[stages - 1] = Matrix::zeros(n, flat_len);
        }
        self.params[head].backward_input_into(ws.dlogits.view(), &mut ws.deltas[stages - 1]);
        let mut p = head;
        for s in (0..stages).rev() {
            let (below, at) = ws.deltas.split_at_mut(s);
            let dy_m = &mut at[0];
            let maps = self.stages[s].output();
            fn dy_view(m: &Matrix, rows: usize, cols: usize) -> MatrixView<'_> {
                MatrixView::new(rows, cols, m.as_slice()).expect("a delta holds the stage's maps")
            }
            let (rows, cols) = (n * maps.plane_len(), maps.channels);
            match &self.stages[s] {
                Stage::Relu(_) => {
                    relu_backward(ws.acts[s].as_slice(), dy_m.as_mut_slice());
                    if s > 0 {
                        std::mem::swap(dy_m, &mut below[s - 1]);
                    }
                }
                Stage::Pool(pool) => {
                    if s > 0 {
                        pool.backward_into(
                            dy_view(dy_m, rows, cols),
                            &ws.argmax[s],
                            &mut below[s - 1],
                        );
                    }
                }
                Stage::Conv(c) => {
                    p -= 1;
                    let w = &self.params[p];
                    let g = &mut ws.grads[p];
                    let dx = if s > 0 { Some(&mut below[s - 1]) } else { None };
                    c.backward_into(
                        &ws.cols[s],
                        dy_view(dy_m, rows, cols),
                        &w.weight,
                        &mut g.weight,
                        &mut g.bias,
                        &mut ws.dcols,
                        dx,
                    );
                }
            }
        }
        stats
    }
}

/// The NHWC maps of `n` samples read as `n` flat rows.
fn flat_view(maps: &Matrix, n: usize) -> MatrixView<'_> {
    MatrixView::new(n, maps.as_slice().len() / n.max(1), maps.as_slice())
        .expect("maps hold whole samples")
}

/// Buffers reused across steps.
#[derive(Debug)]
struct Workspace {
    input: Matrix,
    acts: Vec<Matrix>,
    cols: Vec<Matrix>,
    argmax: Vec<Vec<u32>>,
    deltas: Vec<Matrix>,
    dcols: Matrix,
    logits: Matrix,
    dlogits: Matrix,
    grads: Vec<Linear>,
}

impl Workspace {
    fn new(net: &ConvNet) -> Self {
        let s = net.stages.len();
        let empty = || (0..s).map(|_| Matrix::zeros(0, 0)).collect::<Vec<_>>();
        Workspace {
            input: Matrix::zeros(0, 0),
            acts: empty(),
            cols: empty(),
            argmax: vec![Vec::new(); s],
            deltas: empty(),
            dcols: Matrix::zeros(0, 0),
            logits: Matrix::zeros(0, 0),
            dlogits: Matrix::zeros(0, 0),
            grads: net
                .params
                .iter()
                .map(|p| Linear::zeros(p.inputs(), p.outputs()))
                .collect(),
        }
    }
}

/// Seeded data augmentation on image rows, applied to each training batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Augment {
    /// Mirror each image left to right with probability 1/2.
    pub flip: bool,
    /// Shift each image by up to this many pixels on each axis, filling with zeros: a random
    /// crop of the image padded by this much (0 for none).
    pub crop_pad: usize,
}

impl Augment {
    /// Applies the augmentation to every planar image row of `x`, drawing from `rng` in row
    /// order.
    ///
    /// # Panics
    /// If `x.cols() != shape.len()`.
    #[track_caller]
    pub fn apply(&self, x: &mut Matrix, shape: ImageShape, rng: &mut Rng) {
        assert_eq!(x.cols(), shape.len(), "Augment: rows for images of {shape}");
        if !self.flip && self.crop_pad == 0 {
            return;
        }
        let (h, w) = (shape.height as isize, shape.width as isize);
        let pad = self.crop_pad as isize;
        let mut buf = vec![0.0; shape.len()];
        for r in 0..x.rows() {
            let flip = self.flip && rng.random_bool(0.5);
            let (dy, dx) = if pad > 0 {
                let p = pad as i64;
                (
                    rng.random_range(-p..=p) as isize,
                    rng.random_range(-p..=p) as isize,
                )
            } else {
                (0, 0)
            };
            let row = x.row_mut(r);
            for c in 0..shape.channels {
                let plane = &row[c * shape.plane_len()..(c + 1) * shape.plane_len()];
                let dst = &mut buf[c * shape.plane_len()..(c + 1) * shape.plane_len()];
                for y in 0..h {
                    for xx in 0..w {
                        let sx = if flip { w - 1 - xx } else { xx } + dx;
                        let sy = y + dy;
                        dst[(y * w + xx) as usize] = if sy < 0 || sy >= h || sx < 0 || sx >= w {
                            0.0
                        } else {
                            plane[(sy * w + sx) as usize]
                        };
                    }
                }
            }
            row.copy_from_slice(&buf);
        }
    }
}

/// How the learning rate moves over a run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Schedule {
    /// The configured rate throughout.
    Constant,
    /// Falls linearly, batch by batch, from the configured rate to `final_fraction` of it at the
    /// end of the last epoch.
    Linear {
        /// The rate at the end as a fraction of the start.
        final_fraction: f32,
    },
}

/// A training batch is split into this many shards of consecutive rows (when it has at least two
/// rows per shard), each computed on a thread of its own: one fork-join per step instead of one
/// per product, and the pooling, ReLUs and copies run in parallel too. A constant, so the
/// gradients' sums are the same on any number of threads.
const SHARDS: usize = 2;

/// Everything that decides a convolutional training run besides the data and initial weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConvTrainConfig {
    /// Passes over the data.
    pub epochs: usize,
    /// Rows per optimiser step; the last batch of an epoch may be shorter.
    pub batch_size: usize,
    /// The optimiser (its `lr` is the starting rate).
    pub sgd: SgdConfig,
    /// How the rate changes.
    pub schedule: Schedule,
    /// Augmentation of training batches.
    pub augment: Augment,
    /// Seed of the shuffle and of the augmentation.
    pub shuffle_seed: u64,
}

/// Trains `net` on `data`, calling `on_epoch` after each epoch.
///
/// The shuffle and the augmentation draw from generators seeded by `config.shuffle_seed`, and
/// every pass is deterministic, so the same network, data and config give the same weights bit
/// for bit on any number of threads.
///
/// # Errors
/// [`TrainError::Diverged`] when a loss or weight stops being finite (the network must then not
/// be saved); [`TrainError::Config`] for a zero batch size or data of another width.
pub fn train_convnet(
    net: &mut ConvNet,
    config: &ConvTrainConfig,
    data: &dyn BatchSource,
    on_epoch: &mut dyn FnMut(&EpochReport, &ConvNet),
) -> Result<Vec<EpochReport>, TrainError> {
    if config.batch_size == 0 {
        return Err(TrainError::Config("batch size is 0".into()));
    }
    let shape = net.arch.input;
    if data.dim() != shape.len() {
        return Err(TrainError::Config(format!(
            "the data has {} values per row, the network takes images of {shape}",
            data.dim()
        )));
    }
    let n = data.len();
    let b = config.batch_size.min(n.max(1));
    let mut order: Vec<usize> = (0..n).collect();
    let mut shuffle = init::rng(config.shuffle_seed);
    // A separate stream, so turning augmentation on does not change the visiting order.
    let mut aug_rng = init::rng(config.shuffle_seed ^ 0x5eed_a06d);
    let mut opt = Sgd::new(config.sgd);
    let mut shards: Vec<Workspace> = (0..SHARDS).map(|_| Workspace::new(net)).collect();
    let mut x = Matrix::zeros(b, data.dim());
    let mut labels = Vec::with_capacity(b);
    let steps_per_epoch = n.div_ceil(b);
    let total_steps = (steps_per_epoch * config.epochs).max(1);
    let mut step = 0usize;
    let mut reports = Vec::with_capacity(config.epochs);
    for epoch in 1..=config.epochs {
        let start = Instant::now();
        order.shuffle(&mut shuffle);
        let (mut loss_sum, mut correct) = (0.0f64, 0usize);
        for (batch, idx) in order.chunks(b).enumerate() {
            if x.rows() != idx.len() {
                x.resize_rows(idx.len());
            }
            data.fill(idx, &mut x);
            config.augment.apply(&mut x, shape, &mut aug_rng);
            labels.clear();
            labels.extend(idx.iter().map(|&i| data.label(i)));
            let count = if idx.len() >= 2 * SHARDS { SHARDS } else { 1 };
            let stats = net.sharded_gradients_into(x.view(), &labels, &mut shards[..count]);
            let lr = match config.schedule {
                Schedule::Constant => config.sgd.lr,
                Schedule::Linear { final_fraction } => {
                    let t = step as f32 / total_steps as f32;
                    config.sgd.lr * (1.0 - t * (1.0 - final_fraction))
                }
            };
            train::check_batch(&stats, idx.len(), epoch, batch, lr)?;
            loss_sum += stats.loss_sum;
            correct += stats.correct;
            opt.set_lr(lr);
            opt.step(&mut net.params, &shards[0].grads);
            step += 1;
        }
        let report = train::finish_epoch(
            net.all_finite(),
            (epoch, config.epochs),
            (n, steps_per_epoch),
            (loss_sum, correct),
            start,
            config.sgd.lr,
        )?;
        on_epoch(&report, net);
        reports.push(report);
    }
    Ok(reports)
}

const MAGIC: &[u8; 8] = b"ML4ACNv\0";
/// The convolutional checkpoint format version this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// The bytes of a convolutional checkpoint: magic `ML4ACNv\0`, version (u32 LE), then the
/// architecture and the parameters, bincode.
///
/// # Errors
/// [`CheckpointErrorKind::NotFinite`] for a non-finite parameter.
pub fn to_bytes(net: &ConvNet) -> Result<Vec<u8>, CheckpointErrorKind> {
    if !net.all_finite() {
        return Err(CheckpointErrorKind::NotFinite);
    }
    let cfg = bincode::config::standard();
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    let body = bincode::serde::encode_to_vec((&net.arch, &net.params), cfg)
        .map_err(|e| CheckpointErrorKind::Corrupt(e.to_string()))?;
    out.extend_from_slice(&body);
    Ok(out)
}

/// Reads a convolutional checkpoint, checking every parameter's shape against its architecture
/// and, when given, the architecture against `expected`.
///
/// # Errors
/// A [`CheckpointErrorKind`] saying what is wrong.
pub fn from_bytes(
    bytes: &[u8],
    expected: Option<&ConvArchitecture>,
) -> Result<ConvNet, CheckpointErrorKind> {
    if bytes.len() < 12 || &bytes[..8] != MAGIC {
        return Err(CheckpointErrorKind::BadMagic);
    }
    let version = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
    if version != FORMAT_VERSION {
        return Err(CheckpointErrorKind::Version { found: version });
    }
    // Bounded: bincode refuses a length prefix larger than the bytes left.
    let cfg = bincode::config::standard().with_limit::<{ 1 << 30 }>();
    let ((arch, params), _): ((ConvArchitecture, Vec<Linear>), usize) =
        bincode::serde::decode_from_slice(&bytes[12..], cfg)
            .map_err(|e| CheckpointErrorKind::Corrupt(e.to_string()))?;
    if let Some(want) = expected
        && *want != arch
    {
        return Err(CheckpointErrorKind::Architecture {
            expected: want.describe(),
            found: arch.describe(),
        });
    }
    let net = ConvNet::from_params(arch, params)
        .map_err(|e| CheckpointErrorKind::Corrupt(e.to_string()))?;
    if !net.all_finite() {
        return Err(CheckpointErrorKind::NotFinite);
    }
    Ok(net)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::{self, Eval, Wrt};
    use crate::train::InMemory;

    fn small_arch() -> ConvArchitecture {
        ConvArchitecture {
            input: ImageShape {
                channels: 3,
                height: 12,
                width: 12,
            },
            layers: vec![
                ConvLayer::Conv(Conv2dSpec {
                    filters: 8,
                    kernel: 5,
                    stride: 1,
                    pad: 2,
                }),
                ConvLayer::Relu,
                ConvLayer::MaxPool(MaxPool2dSpec { size: 2, stride: 2 }),
                ConvLayer::Conv(Conv2dSpec {
                    filters: 20,
                    kernel: 3,
                    stride: 1,
                    pad: 1,
                }),
                ConvLayer::Relu,
                ConvLayer::MaxPool(MaxPool2dSpec { size: 3, stride: 3 }),
            ],
            classes: 3,
        }
    }

    /// Images whose class is the colour plane that is brightest.
    fn data(n: usize, seed: u64) -> InMemory {
        let mut rng = init::rng(seed);
        let noise = Init::Normal { std: 0.5 }.weights(432, n, &mut rng);
        let y: Vec<u8> = (0..n).map(|i| (i % 3) as u8).collect();
        let x = Matrix::from_fn(n, 432, |i, j| {
            noise.get(i, j) + if j / 144 == y[i] as usize { 1.0 } else { 0.0 }
        });
        InMemory { x, y }
    }

    fn config(epochs: usize) -> ConvTrainConfig {
        ConvTrainConfig {
            epochs,
            batch_size: 32,
            sgd: SgdConfig {
                lr: 0.02,
                momentum: 0.9,
                weight_decay: 1e-4,
            },
            schedule: Schedule::Linear {
                final_fraction: 0.1,
            },
            augment: Augment {
                flip: true,
                crop_pad: 2,
            },
            shuffle_seed: 3,
        }
    }

    #[test]
    fn shapes_and_description() {
        let a = small_arch();
        assert_eq!(a.flat_len().unwrap(), 2 * 2 * 20);
        assert_eq!(
            a.describe(),
            "3x12x12-conv5x5x8p2-relu-pool2-conv3x3x20p1-relu-pool3-3"
        );
        let mut bad = small_arch();
        bad.layers
            .push(ConvLayer::MaxPool(MaxPool2dSpec { size: 3, stride: 1 }));
        assert!(
            bad.shapes()
                .unwrap_err()
                .to_string()
                .contains("does not fit")
        );
    }

    #[test]
    fn training_learns_and_is_bit_identical_on_one_two_and_four_threads() {
        let d = data(256, 1);
        let run = || {
            let mut net = ConvNet::new(small_arch(), Init::HeNormal, &mut init::rng(2)).unwrap();
            let reports = train_convnet(&mut net, &config(3), &d, &mut |_, _| {}).unwrap();
            (net, reports)
        };
        let on = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let (net, reports) = pool.install(run);
            let bits: Vec<Vec<u32>> = net
                .layers()
                .iter()
                .flat_map(|l| [&l.weight, &l.bias])
                .map(|m| m.as_slice().iter().map(|v| v.to_bits()).collect())
                .collect();
            (bits, reports)
        };
        // One thread: the shards one after the other. Two: a shard per thread, each pass on
        // it. Four: the shards' per-sample copies and products spread over the spare threads.
        let (one, reports) = on(1);
        let (two, _) = on(2);
        let (four, _) = on(4);
        assert_eq!(one, two);
        assert_eq!(one, four);
        assert!(
            reports.last().unwrap().accuracy > 0.9,
            "{:?}",
            reports.last()
        );
    }

    #[test]
    fn shards_add_up_to_the_whole_batch() {
        let d = data(37, 3);
        let net = ConvNet::new(small_arch(), Init::HeNormal, &mut init::rng(4)).unwrap();
        let mut x = Matrix::zeros(37, d.dim());
        let idx: Vec<usize> = (0..37).collect();
        d.fill(&idx, &mut x);
        let labels: Vec<u8> = idx.iter().map(|&i| d.label(i)).collect();
        let (loss, whole) = net.loss_and_gradients(x.view(), &labels);
        let mut shards: Vec<Workspace> = (0..SHARDS).map(|_| Workspace::new(&net)).collect();
        let stats = net.sharded_gradients_into(x.view(), &labels, &mut shards);
        assert!((stats.loss_sum as f32 / 37.0 - loss).abs() < 1e-5);
        for (a, b) in whole.iter().zip(&shards[0].grads) {
            for (a, b) in [(&a.weight, &b.weight), (&a.bias, &b.bias)] {
                for (a, b) in a.as_slice().iter().zip(b.as_slice()) {
                    assert!((a - b).abs() <= 1e-5 * (1.0 + a.abs()), "{a} against {b}");
                }
            }
        }
    }

    /// The network's loss in f64 by direct loops on planar maps, for the gradient check: conv,
    /// ReLU and max-pool as their definitions say, the flatten pixel by pixel with channels
    /// innermost, softmax cross-entropy averaged over the batch.
    fn reference_loss(arch: &ConvArchitecture, x: &[f64], y: &[u8], w: &[Wrt]) -> Eval {
        let n = y.len();
        let mut sides = Vec::new();
        let mut maps: Vec<f64> = x.to_vec();
        let mut shape = arch.input;
        let mut p = 0;
        for layer in &arch.layers {
            match *layer {
                ConvLayer::Conv(spec) => {
                    let o = spec.output(shape).unwrap();
                    let (wt, b) = (&w[2 * p].values, &w[2 * p + 1].values);
                    let k = spec.kernel;
                    let mut out = vec![0.0; n * o.len()];
                    for s in 0..n {
                        for f in 0..spec.filters {
                            for oy in 0..o.height {
                                for ox in 0..o.width {
                                    let mut acc = b[f];
                                    for c in 0..shape.channels {
                                        for ky in 0..k {
                                            for kx in 0..k {
                                                let yy = (oy * spec.stride + ky) as isize
                                                    - spec.pad as isize;
                                                let xx = (ox * spec.stride + kx) as isize
                                                    - spec.pad as isize;
                                                if yy >= 0
                                                    && xx >= 0
                                                    && (yy as usize) < shape.height
                                                    && (xx as usize) < shape.width
                                                {
                                                    acc += wt[((f * shape.channels + c) * k + ky)
                                                        * k
                                                        + kx]
                                                        * maps[s * shape.len()
                                                            + (c * shape.height + yy as usize)
                                                                * shape.width
                                                            + xx as usize];
                                                }
                                            }
                                        }
                                    }
                                    out[s * o.len() + (f * o.height + oy) * o.width + ox] = acc;
                                }
                            }
                        }
                    }
                    maps = out;
                    shape = o;
                    p += 1;
                }
                ConvLayer::Relu => {
                    sides.extend(maps.iter().map(|&v| v > 0.0));
                    maps.iter_mut().for_each(|v| *v = v.max(0.0));
                }
                ConvLayer::MaxPool(spec) => {
                    let o = spec.output(shape).unwrap();
                    let mut out = vec![0.0; n * o.len()];
                    for s in 0..n {
                        for c in 0..shape.channels {
                            for oy in 0..o.height {
                                for ox in 0..o.width {
                                    let mut best = (f64::NEG_INFINITY, 0);
                                    for wy in 0..spec.size {
                                        for wx in 0..spec.size {
                                            let v = maps[s * shape.len()
                                                + (c * shape.height + oy * spec.stride + wy)
                                                    * shape.width
                                                + ox * spec.stride
                                                + wx];
                                            if v > best.0 {
                                                best = (v, wy * spec.size + wx);
                                            }
                                        }
                                    }
                                    sides.extend((0..spec.size * spec.size).map(|i| i == best.1));
                                    out[s * o.len() + (c * o.height + oy) * o.width + ox] = best.0;
                                }
                            }
                        }
                    }
                    maps = out;
                    shape = o;
                }
            }
        }
        let (dw, db) = (&w[2 * p].values, &w[2 * p + 1].values);
        let flat = shape.len();
        let mut loss = 0.0;
        for s in 0..n {
            // Pixel-major, channels innermost: the order of the NHWC rows the dense layer reads.
            let v: Vec<f64> = (0..flat)
                .map(|i| {
                    let (pix, c) = (i / shape.channels, i % shape.channels);
                    maps[s * flat + c * shape.plane_len() + pix]
                })
                .collect();
            let z: Vec<f64> = (0..arch.classes)
                .map(|j| db[j] + (0..flat).map(|i| dw[j * flat + i] * v[i]).sum::<f64>())
                .collect();
            let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let lse = z.iter().map(|v| (v - max).exp()).sum::<f64>().ln() + max;
            loss += lse - z[y[s] as usize];
        }
        Eval {
            loss: loss / n as f64,
            sides,
        }
    }

    #[test]
    fn network_gradients_match_central_differences() {
        let arch = ConvArchitecture {
            input: ImageShape {
                channels: 2,
                height: 7,
                width: 6,
            },
            layers: vec![
                ConvLayer::Conv(Conv2dSpec {
                    filters: 3,
                    kernel: 3,
                    stride: 1,
                    pad: 1,
                }),
                ConvLayer::Relu,
                ConvLayer::MaxPool(MaxPool2dSpec { size: 2, stride: 2 }),
                ConvLayer::Conv(Conv2dSpec {
                    filters: 4,
                    kernel: 3,
                    stride: 2,
                    pad: 1,
                }),
                ConvLayer::Relu,
            ],
            classes: 3,
        };
        for seed in 0..4 {
            let net = ConvNet::new(arch.clone(), Init::HeNormal, &mut init::rng(seed)).unwrap();
            let x =
                Init::Normal { std: 1.0 }.weights(arch.input.len(), 3, &mut init::rng(seed + 10));
            let y = [0u8, 2, 1];
            let (_, grads) = net.loss_and_gradients(x.view(), &y);
            let mut wrt: Vec<Wrt> = net
                .params()
                .into_iter()
                .zip(grads.iter().flat_map(|g| [&g.weight, &g.bias]))
                .map(|((name, p), g)| Wrt::new(name, p.as_slice(), g.as_slice()))
                .collect();
            let xs: Vec<f64> = x.as_slice().iter().map(|&v| v as f64).collect();
            let total: usize = wrt.iter().map(|w| w.values.len()).sum();
            let report = gradcheck::check(
                &mut wrt,
                |w| reference_loss(&arch, &xs, &y, w),
                gradcheck::F32,
            )
            .unwrap_or_else(|m| panic!("seed {seed}: {m}"));
            assert!(
                report.compared >= gradcheck::min_compared(total),
                "{report:?}"
            );
        }
    }

    #[test]
    fn one_step_lowers_the_loss() {
        let d = data(64, 4);
        let mut net = ConvNet::new(small_arch(), Init::HeNormal, &mut init::rng(5)).unwrap();
        let (before, g) = net.loss_and_gradients(d.x.view(), &d.y);
        let mut opt = Sgd::new(SgdConfig {
            lr: 0.01,
            momentum: 0.0,
            weight_decay: 0.0,
        });
        opt.step(net.layers_mut(), &g);
        let after = net.loss_and_gradients(d.x.view(), &d.y).0;
        assert!(after < before, "{before} -> {after}");
    }

    #[test]
    fn checkpoints_round_trip_and_check_shapes() {
        let net = ConvNet::new(small_arch(), Init::HeNormal, &mut init::rng(6)).unwrap();
        let bytes = to_bytes(&net).unwrap();
        assert_eq!(from_bytes(&bytes, Some(&small_arch())).unwrap(), net);
        let mut other = small_arch();
        other.classes = 4;
        assert!(matches!(
            from_bytes(&bytes, Some(&other)),
            Err(CheckpointErrorKind::Architecture { .. })
        ));
        let mut params = net.layers().to_vec();
        params[1].weight = Matrix::zeros(20, 8 * 9 + 1);
        let err = ConvNet::from_params(small_arch(), params).unwrap_err();
        assert!(err.to_string().contains("parameter layer 1"), "{err}");
        assert!(matches!(
            from_bytes(&bytes[..bytes.len() / 2], None),
            Err(CheckpointErrorKind::Corrupt(_))
        ));
        assert!(matches!(
            from_bytes(b"ML4ANNv\0xxxx", None),
            Err(CheckpointErrorKind::BadMagic)
        ));
    }

    #[test]
    fn augmentation_flips_and_shifts_with_zeros() {
        let shape = ImageShape {
            channels: 1,
            height: 1,
            width: 4,
        };
        let flip = Augment {
            flip: true,
            crop_pad: 0,
        };
        let mut x = Matrix::from_fn(64, 4, |_, j| j as f32);
        flip.apply(&mut x, shape, &mut init::rng(1));
        let flipped = (0..64)
            .filter(|&r| x.row(r) == [3.0, 2.0, 1.0, 0.0])
            .count();
        let kept = (0..64)
            .filter(|&r| x.row(r) == [0.0, 1.0, 2.0, 3.0])
            .count();
        assert_eq!(flipped + kept, 64);
        assert!(flipped > 16 && kept > 16, "{flipped} flipped");
        let shift = Augment {
            flip: false,
            crop_pad: 1,
        };
        let mut x = Matrix::from_fn(64, 4, |_, j| j as f32 + 1.0);
        shift.apply(&mut x, shape, &mut init::rng(2));
        // One row high: a vertical shift moves the whole image out, leaving zeros.
        for r in 0..64 {
            let row = x.row(r);
            assert!(
                [
                    [1.0, 2.0, 3.0, 4.0],
                    [2.0, 3.0, 4.0, 0.0],
                    [0.0, 1.0, 2.0, 3.0],
                    [0.0; 4]
                ]
                .iter()
                .any(|want| row == want),
                "{row:?}"
            );
        }
    }
}
