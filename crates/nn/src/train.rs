//! Mini-batch training: seeded shuffling, one optimiser step per batch, a report per epoch.

use std::time::Instant;

use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, RwLock};
use tensor::{BatchSource, ByteRows, Matrix};

use crate::init;
use crate::loss::BatchStats;
use crate::mlp::{Input, Mlp, Workspace};
use crate::optim::{Optimizer, Sgd, SgdConfig};
use crate::team::SpinBarrier;

/// The largest mean cross-entropy of a batch that a network still learning can have: `-ln` of
/// the smallest normal `f32` (about 87.3). Above it the probability given to the right class is,
/// on average, below anything `f32` holds. A far too high learning rate can get there with every
/// weight and loss still finite (lr `1e30` scales the weights to about `1e30`), so finiteness
/// alone does not catch it.
pub const MAX_MEAN_LOSS: f64 = 87.336_544_750_553_1;

/// Rows held in a [`Matrix`] with their labels: the simplest [`BatchSource`].
#[derive(Debug, Clone)]
pub struct InMemory {
    /// One sample per row.
    pub x: Matrix,
    /// One label per row.
    pub y: Vec<u8>,
}

impl BatchSource for InMemory {
    fn len(&self) -> usize {
        self.x.rows()
    }

    fn dim(&self) -> usize {
        self.x.cols()
    }

    fn fill(&self, indices: &[usize], out: &mut Matrix) {
        for (r, &i) in indices.iter().enumerate() {
            out.row_mut(r).copy_from_slice(self.x.row(i));
        }
    }

    fn label(&self, index: usize) -> u8 {
        self.y[index]
    }
}

/// Everything that decides a training run besides the data and the initial weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Passes over the data.
    pub epochs: usize,
    /// Rows per optimiser step; the last batch of an epoch may be shorter.
    pub batch_size: usize,
    /// The optimiser.
    pub sgd: SgdConfig,
    /// Seed of the per-epoch shuffle.
    pub shuffle_seed: u64,
}

/// What one epoch did, handed to the per-epoch callback.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EpochReport {
    /// 1-based epoch number.
    pub epoch: usize,
    /// Epochs in the run.
    pub epochs: usize,
    /// Mean training loss over the epoch's batches (each measured before its step).
    pub loss: f64,
    /// Training accuracy over the epoch's batches (each measured before its step).
    pub accuracy: f64,
    /// Wall time of the epoch.
    pub seconds: f64,
}

/// Training stopped because something became non-finite.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum TrainError {
    /// The loss or a weight became NaN or infinite, or a batch's mean loss passed
    /// [`MAX_MEAN_LOSS`].
    #[error(
        "training diverged at epoch {epoch}, batch {batch}: {what}; try a lower learning rate (it was {lr})"
    )]
    Diverged {
        /// 1-based epoch.
        epoch: usize,
        /// 0-based batch within the epoch.
        batch: usize,
        /// What gave it away, in words.
        what: &'static str,
        /// The learning rate in use.
        lr: f32,
    },
    /// The configuration cannot train anything.
    #[error("bad training configuration: {0}")]
    Config(String),
}

/// Fills `out` with rows `idx`, resizing it for a short last batch.
fn fill(data: &dyn BatchSource, idx: &[usize], out: &mut Matrix) {
    if out.rows() != idx.len() {
        out.resize_rows(idx.len());
    }
    data.fill(idx, out);
}

/// Trains `model` on `data`, calling `on_epoch` after every epoch with the report and the model.
///
/// Rows are visited in an order shuffled once per epoch by a generator seeded with
/// `config.shuffle_seed`, so the same model, data and config give the same weights bit for bit,
/// on any number of threads.
///
/// # Errors
/// [`TrainError::Diverged`] as soon as a batch's loss or, at the end of an epoch, a weight is not
/// finite; the model is then left as it was at that point and must not be saved.
/// [`TrainError::Config`] for a zero batch size or a data width that does not match the model.
pub fn train(
    model: &mut Mlp,
    config: &TrainConfig,
    data: &dyn BatchSource,
    on_epoch: &mut dyn FnMut(&EpochReport, &Mlp),
) -> Result<Vec<EpochReport>, TrainError> {
    if config.batch_size == 0 {
        return Err(TrainError::Config("batch size is 0".into()));
    }
    if data.dim() != model.architecture().inputs {
        return Err(TrainError::Config(format!(
            "the data has {} values per row, the network takes {}",
            data.dim(),
            model.architecture().inputs
        )));
    }
    let n = data.len();
    let mut rng = init::rng(config.shuffle_seed);
    let mut opt = Sgd::new(config.sgd);
    let b = config.batch_size.min(n.max(1));
    // A source of bytes is read in place: the first layer's kernels scale the pixels on the
    // fly, so a batch is never written out as f32. Any other source, or a first layer too wide
    // for those thin kernels (a packed product wins there), fills each shard's rows as f32.
    let thin = model
        .architecture()
        .layers
        .first()
        .is_some_and(|l| l.units <= BYTES_MAX_UNITS);
    let bytes = data.as_bytes().filter(|_| thin);
    if let Some(src) = bytes
        && src.affine().len() != data.dim()
    {
        return Err(TrainError::Config(format!(
            "the byte rows map {} columns, the data has {}",
            src.affine().len(),
            data.dim()
        )));
    }
    let shards = shards_for(model.architecture(), b);
    let threads = rayon::current_num_threads().clamp(1, shards);
    let workspaces: Vec<Mutex<Shard>> = (0..shards)
        .map(|_| {
            Mutex::new(Shard {
                ws: Workspace::new(model.architecture(), b.div_ceil(shards)),
                stats: BatchStats::default(),
                next: Vec::with_capacity(b),
                rows: Vec::with_capacity(b),
                labels: Vec::with_capacity(b),
                x: Matrix::zeros(
                    if bytes.is_some() {
                        0
                    } else {
                        b.div_ceil(shards)
                    },
                    data.dim(),
                ),
            })
        })
        .collect();
    let team = Team {
        data,
        bytes,
        batch_size: b,
        threads,
        workspaces: &workspaces,
        lr: config.sgd.lr,
    };
    team.train(model, &mut opt, config, &mut rng, on_epoch)
}

/// The error for a batch whose mean loss shows the run diverged, if it does.
pub(crate) fn check_batch(
    stats: &BatchStats,
    rows: usize,
    epoch: usize,
    batch: usize,
    lr: f32,
) -> Result<(), TrainError> {
    let mean = stats.loss_sum / rows.max(1) as f64;
    if mean.is_finite() && mean <= MAX_MEAN_LOSS {
        return Ok(());
    }
    let what = if mean.is_finite() {
        "the mean loss is above 87.3, so the right class gets less probability than an f32 can hold"
    } else {
        "the loss is not finite"
    };
    Err(TrainError::Diverged {
        epoch,
        batch,
        what,
        lr,
    })
}

/// What an epoch of `rows` rows in `batches` batches did, or the error if a weight stopped
/// being finite during it (`finite` is false).
pub(crate) fn finish_epoch(
    finite: bool,
    (epoch, epochs): (usize, usize),
    (rows, batches): (usize, usize),
    (loss_sum, correct): (f64, usize),
    start: Instant,
    lr: f32,
) -> Result<EpochReport, TrainError> {
    if !finite {
        return Err(TrainError::Diverged {
            epoch,
            batch: batches.saturating_sub(1),
            what: "a weight is not finite",
            lr,
        });
    }
    Ok(EpochReport {
        epoch,
        epochs,
        loss: loss_sum / rows.max(1) as f64,
        accuracy: correct as f64 / rows.max(1) as f64,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// A batch is split into this many shards of consecutive rows when it is large enough: each
/// shard's share of the gradient is computed on a thread of its own, then the shares are added
/// in shard order. The count depends on the batch alone, never on the threads, so the sums are
/// the same on any number of them.
const SHARDS: usize = 2;

/// The widest first layer that reads bytes in place: tensor's thin kernels take outputs up to
/// this wide, and beyond it the packed product on `f32` is faster.
const BYTES_MAX_UNITS: usize = 16;

/// Below this many multiply-adds in the first layer (rows x inputs x units) a batch is one shard:
/// meeting another thread would cost more than the work.
const SHARD_MIN_WORK: usize = 1 << 16;

/// Shards for a batch of `rows` rows of `arch`.
fn shards_for(arch: &crate::Architecture, rows: usize) -> usize {
    let work = rows * arch.inputs * arch.layers.first().map_or(0, |l| l.units);
    if rows >= 2 * SHARDS && work >= SHARD_MIN_WORK {
        SHARDS
    } else {
        1
    }
}

/// Rows `s` of `shards` equal parts of `rows`.
pub(crate) fn shard_range(s: usize, shards: usize, rows: usize) -> std::ops::Range<usize> {
    s * rows / shards..(s + 1) * rows / shards
}

/// Adds a shard's gradients onto another's, layer by layer.
pub(crate) fn add_gradients(into: &mut [crate::mlp::Linear], from: &[crate::mlp::Linear]) {
    for (g, o) in into.iter_mut().zip(from) {
        tensor::ops::add_assign(g.weight.as_mut_slice(), o.weight.as_slice());
        tensor::ops::add_assign(g.bias.as_mut_slice(), o.bias.as_slice());
    }
}

thread_local! {
    static TEAM_BATCHES: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// How many batches trained from this thread so far were split across more than one thread:
/// for tests that compare one thread with many and must show the many did run.
#[doc(hidden)]
pub fn team_batches() -> u64 {
    TEAM_BATCHES.with(std::cell::Cell::get)
}

/// One shard's buffers and what its rows scored.
struct Shard<'d> {
    ws: Workspace,
    stats: BatchStats,
    /// The shard's rows of the next batch, prefetched.
    next: Vec<&'d [u8]>,
    /// The shard's rows as values, when they are not read in place.
    x: Matrix,
    /// The shard's rows in place, when the source's bytes are read directly.
    rows: Vec<&'d [u8]>,
    /// The labels of the shard's rows.
    labels: Vec<u8>,
}

/// A training run's work, shared by the team: the same threads for every epoch, so that the
/// scheduler places them once (a thread started per epoch may land on a busy core, and the two
/// of a team then take turns on it for the whole epoch).
struct Team<'a, 'd> {
    data: &'d dyn BatchSource,
    bytes: Option<&'d dyn ByteRows>,
    batch_size: usize,
    threads: usize,
    workspaces: &'a [Mutex<Shard<'d>>],
    lr: f32,
}

impl<'d> Team<'_, 'd> {
    /// Runs every epoch: the calling thread and `threads - 1` more meet at a spinning barrier
    /// before and after each batch's shards; between, the calling thread adds up the shards and
    /// steps the optimiser, and between epochs it shuffles and reports.
    fn train(
        &self,
        model: &mut Mlp,
        opt: &mut Sgd,
        config: &TrainConfig,
        rng: &mut init::Rng,
        on_epoch: &mut dyn FnMut(&EpochReport, &Mlp),
    ) -> Result<Vec<EpochReport>, TrainError> {
        let n = self.data.len();
        // The visiting order, reshuffled by the calling thread between epochs, while the team
        // waits at the barrier.
        let order = RwLock::new((0..n).collect::<Vec<usize>>());
        // Which batch the team works on: set by the calling thread before the barrier that
        // starts it, which orders the write before every read.
        let batch = AtomicUsize::new(0);
        let model = RwLock::new(model);
        let barrier = SpinBarrier::new(self.threads);
        std::thread::scope(|scope| {
            for t in 1..self.threads {
                let (batch, model, barrier, order) = (&batch, &model, &barrier, &order);
                scope.spawn(move || {
                    let _guard = barrier.abort_on_unwind();
                    tensor::ops::on_this_thread(|| {
                        while barrier.wait() {
                            let index = batch.load(Ordering::Relaxed);
                            let order = order.read().unwrap();
                            self.shards(t, index, &order, &model.read().unwrap());
                            drop(order);
                            if !barrier.wait() {
                                break;
                            }
                        }
                    })
                });
            }
            let _guard = barrier.abort_on_unwind();
            let result = (|| {
                let mut reports = Vec::with_capacity(config.epochs);
                let batches = n.div_ceil(self.batch_size);
                for epoch in 1..=config.epochs {
                    let start = Instant::now();
                    order.write().unwrap().shuffle(rng);
                    let sums = tensor::ops::on_this_thread(|| {
                        self.lead(epoch, batches, &batch, &order, &model, &barrier, opt)
                    })?;
                    // A thread of the team panicked mid-epoch: no report of a partial epoch;
                    // the scope re-raises the panic as it ends.
                    if barrier.is_aborted() {
                        return Ok(reports);
                    }
                    let model = model.read().unwrap();
                    let report = finish_epoch(
                        model.all_finite(),
                        (epoch, config.epochs),
                        (n, batches),
                        sums,
                        start,
                        config.sgd.lr,
                    )?;
                    on_epoch(&report, &model);
                    reports.push(report);
                }
                Ok(reports)
            })();
            // Releases the team from its wait for the next batch.
            barrier.abort();
            result
        })
    }

    /// The calling thread's part of one epoch: prepare each batch, take its shards, add up,
    /// step. Returns the summed loss and the correct count.
    #[allow(clippy::too_many_arguments)]
    fn lead(
        &self,
        epoch: usize,
        batches: usize,
        batch: &AtomicUsize,
        order: &RwLock<Vec<usize>>,
        model: &RwLock<&mut Mlp>,
        barrier: &SpinBarrier,
        opt: &mut Sgd,
    ) -> Result<(f64, usize), TrainError> {
        let (mut loss_sum, mut correct) = (0.0f64, 0usize);
        for index in 0..batches {
            batch.store(index, Ordering::Relaxed);
            // A false wait means a thread of the team panicked; the scope re-raises it.
            if !barrier.wait() {
                break;
            }
            let order = order.read().unwrap();
            let shards = self.shards(0, index, &order, &model.read().unwrap());
            if !barrier.wait() {
                break;
            }
            if self.threads > 1 {
                TEAM_BATCHES.with(|c| c.set(c.get() + 1));
            }
            let mut first = self.workspaces[0].lock().unwrap();
            let first = &mut *first;
            let mut stats = first.stats;
            for other in &self.workspaces[1..shards] {
                let other = other.lock().unwrap();
                stats.loss_sum += other.stats.loss_sum;
                stats.correct += other.stats.correct;
                add_gradients(&mut first.ws.grads, &other.ws.grads);
            }
            let rows = self.rows_of(&order, index).len();
            check_batch(&stats, rows, epoch, index, self.lr)?;
            loss_sum += stats.loss_sum;
            correct += stats.correct;
            opt.step(model.write().unwrap().layers_mut(), &first.ws.grads);
        }
        Ok((loss_sum, correct))
    }

    /// The row indices of batch `index` of `order`, if there is such a batch.
    fn batch_of<'o>(&self, order: &'o [usize], index: usize) -> Option<&'o [usize]> {
        let start = index.checked_mul(self.batch_size)?;
        (start < order.len()).then(|| &order[start..(start + self.batch_size).min(order.len())])
    }

    /// The row indices of batch `index`, which exists.
    fn rows_of<'o>(&self, order: &'o [usize], index: usize) -> &'o [usize] {
        self.batch_of(order, index)
            .expect("the calling thread only hands out batches of this epoch")
    }

    /// Computes thread `t`'s shards of batch `index` of `order`, each gathering its own rows and
    /// labels; returns how many shards the batch has.
    fn shards(&self, t: usize, index: usize, order: &[usize], model: &Mlp) -> usize {
        let idx = self.rows_of(order, index);
        let rows = idx.len();
        let shards = shards_for(model.architecture(), rows);
        for s in (t..shards).step_by(self.threads) {
            let ids = &idx[shard_range(s, shards, rows)];
            let mut shard = self.workspaces[s].lock().unwrap();
            let shard = &mut *shard;
            shard.labels.clear();
            shard.labels.extend(ids.iter().map(|&i| self.data.label(i)));
            let input = match self.bytes {
                Some(src) => {
                    shard.rows.clear();
                    shard.rows.extend(ids.iter().map(|&i| src.byte_row(i)));
                    Input::Bytes {
                        rows: &shard.rows,
                        affine: src.affine(),
                    }
                }
                None => {
                    fill(self.data, ids, &mut shard.x);
                    Input::Values(shard.x.view())
                }
            };
            // This shard's rows of the next batch start their way from memory now.
            if let (Some(src), Some(next)) = (self.bytes, self.batch_of(order, index + 1)) {
                // A short last batch may have fewer shards than this one.
                let next_shards = shards_for(model.architecture(), next.len());
                if s < next_shards {
                    shard.next.clear();
                    let ahead = shard_range(s, next_shards, next.len());
                    shard
                        .next
                        .extend(next[ahead].iter().map(|&i| src.byte_row(i)));
                    tensor::ops::prefetch_rows(&shard.next);
                }
            }
            shard.stats = model.gradients_into(input, &shard.labels, &mut shard.ws, rows);
        }
        shards
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Activation, Architecture, Init};

    /// Two Gaussian blobs per class around distinct corners: linearly separable.
    fn blobs(n: usize, classes: usize, dim: usize, seed: u64) -> InMemory {
        let mut rng = init::rng(seed);
        let noise = Init::Normal { std: 0.3 }.weights(dim, n, &mut rng);
        let y: Vec<u8> = (0..n).map(|i| (i % classes) as u8).collect();
        let x = Matrix::from_fn(n, dim, |i, j| {
            noise.get(i, j)
                + if j % classes == y[i] as usize {
                    2.0
                } else {
                    0.0
                }
        });
        InMemory { x, y }
    }

    fn config(epochs: usize, lr: f32) -> TrainConfig {
        TrainConfig {
            epochs,
            batch_size: 16,
            sgd: SgdConfig {
                lr,
                momentum: 0.9,
                weight_decay: 1e-4,
            },
            shuffle_seed: 3,
        }
    }

    fn net(seed: u64) -> Mlp {
        Mlp::new(
            Architecture::classifier(6, &[5], Activation::Tanh, 3),
            Init::GlorotUniform,
            &mut init::rng(seed),
        )
    }

    #[test]
    fn training_lowers_the_loss_on_separable_data() {
        let data = blobs(300, 3, 6, 1);
        let mut m = net(2);
        let before = m.loss_and_gradients(data.x.view(), &data.y).0;
        let reports = train(&mut m, &config(5, 0.05), &data, &mut |_, _| {}).unwrap();
        let after = m.loss_and_gradients(data.x.view(), &data.y).0;
        assert!(after < before * 0.5, "loss {before} -> {after}");
        assert!(reports.last().unwrap().accuracy > 0.95, "{reports:?}");
    }

    #[test]
    fn one_step_lowers_the_loss() {
        let data = blobs(64, 3, 6, 4);
        let mut m = net(5);
        let (before, g) = m.loss_and_gradients(data.x.view(), &data.y);
        Sgd::new(SgdConfig {
            lr: 0.1,
            momentum: 0.0,
            weight_decay: 0.0,
        })
        .step(m.layers_mut(), &g.layers);
        let after = m.loss_and_gradients(data.x.view(), &data.y).0;
        assert!(after < before, "{before} -> {after}");
    }

    /// Every parameter's bit pattern by name: `==` on floats would take -0.0 for 0.0.
    fn param_bits(m: &Mlp) -> Vec<(String, Vec<u32>)> {
        m.params()
            .into_iter()
            .map(|(name, p)| (name, p.as_slice().iter().map(|v| v.to_bits()).collect()))
            .collect()
    }

    /// Bytes with labels, read in place by training or filled as `f32` when `in_place` is false.
    struct Bytes {
        pixels: Vec<u8>,
        labels: Vec<u8>,
        affine: tensor::Affine,
        in_place: bool,
    }

    impl Bytes {
        /// The blobs, quantised to bytes.
        fn blobs(n: usize, classes: usize, dim: usize, seed: u64, in_place: bool) -> Bytes {
            let b = blobs(n, classes, dim, seed);
            let pixels =
                b.x.as_slice()
                    .iter()
                    .map(|v| ((v + 1.0) * 64.0).clamp(0.0, 255.0) as u8)
                    .collect();
            Bytes {
                pixels,
                labels: b.y,
                affine: tensor::Affine::new(vec![1.0 / 64.0; dim], vec![-1.0; dim]),
                in_place,
            }
        }
    }

    impl BatchSource for Bytes {
        fn len(&self) -> usize {
            self.labels.len()
        }
        fn dim(&self) -> usize {
            self.affine.len()
        }
        fn fill(&self, indices: &[usize], out: &mut Matrix) {
            for (r, &i) in indices.iter().enumerate() {
                for (c, o) in out.row_mut(r).iter_mut().enumerate() {
                    *o = self.affine.apply(c, tensor::ByteRows::byte_row(self, i)[c]);
                }
            }
        }
        fn label(&self, index: usize) -> u8 {
            self.labels[index]
        }
        fn as_bytes(&self) -> Option<&dyn tensor::ByteRows> {
            self.in_place.then_some(self as &dyn tensor::ByteRows)
        }
    }

    impl tensor::ByteRows for Bytes {
        fn byte_row(&self, index: usize) -> &[u8] {
            let d = self.affine.len();
            &self.pixels[index * d..(index + 1) * d]
        }
        fn affine(&self) -> &tensor::Affine {
            &self.affine
        }
    }

    /// Trains a 512-16-3 net on `data` on one thread and on four; asserts the same bits.
    fn same_bits_on_one_thread_and_four(data: &dyn BatchSource) {
        let mut cfg = config(3, 0.05);
        cfg.batch_size = 32;
        let run = || {
            let mut m = Mlp::new(
                Architecture::classifier(512, &[16], Activation::Tanh, 3),
                Init::GlorotUniform,
                &mut init::rng(7),
            );
            train(&mut m, &cfg, data, &mut |_, _| {}).unwrap();
            m
        };
        // The batches split across the team, counted on the thread that trains.
        let trained = |threads: usize| {
            rayon_pool(threads).install(|| {
                let before = team_batches();
                let m = run();
                (param_bits(&m), team_batches() - before)
            })
        };
        let (one, one_split) = trained(1);
        let (four, four_split) = trained(4);
        assert_eq!(one_split, 0, "one thread never splits a batch");
        assert!(four_split > 0, "no batch was split on four threads");
        assert_eq!(one, four);
    }

    #[test]
    fn same_seed_same_bits_on_one_thread_and_four() {
        // Wide enough that a batch (32 x 512 x 16 multiply-adds in the first layer) is split
        // into shards: a net smaller than that trains on one thread whatever the pool, and
        // would prove nothing.
        same_bits_on_one_thread_and_four(&blobs(200, 3, 512, 6));
    }

    #[test]
    fn bytes_read_in_place_give_the_same_bits_on_one_thread_and_four() {
        same_bits_on_one_thread_and_four(&Bytes::blobs(200, 3, 512, 6, true));
        // A last batch of one row is a single shard after batches of two.
        same_bits_on_one_thread_and_four(&Bytes::blobs(193, 3, 512, 6, true));
    }

    #[test]
    fn bytes_read_in_place_train_like_bytes_filled_as_values() {
        let cfg = config(2, 0.05);
        let run = |in_place| {
            let data = Bytes::blobs(300, 3, 6, 1, in_place);
            let mut m = net(2);
            let reports = train(&mut m, &cfg, &data, &mut |_, _| {}).unwrap();
            (m, reports.last().unwrap().accuracy)
        };
        let ((a, acc_a), (b, acc_b)) = (run(true), run(false));
        assert!(
            acc_a > 0.9 && (acc_a - acc_b).abs() < 0.02,
            "{acc_a} vs {acc_b}"
        );
        // Only rounding separates the two: the scale is folded into the weights in place.
        for ((_, p), (_, q)) in a.params().into_iter().zip(b.params()) {
            for (u, v) in p.as_slice().iter().zip(q.as_slice()) {
                assert!((u - v).abs() < 1e-3, "{u} vs {v}");
            }
        }
    }

    fn rayon_pool(n: usize) -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .unwrap()
    }

    #[test]
    fn divergence_is_an_error_naming_epoch_and_batch() {
        let data = blobs(200, 3, 6, 8);
        let mut m = net(9);
        let err = train(&mut m, &config(3, 1e30), &data, &mut |_, _| {}).unwrap_err();
        let TrainError::Diverged { epoch, .. } = err.clone() else {
            panic!("{err}")
        };
        assert_eq!(epoch, 1);
        assert!(err.to_string().contains("lower learning rate"), "{err}");
    }

    #[test]
    fn a_panic_in_the_team_reports_no_epoch() {
        /// Rows whose labels panic on any thread but the calling one: on the team's other
        /// thread, which the calling thread only learns of at the barrier.
        struct Broken(InMemory, std::sync::OnceLock<std::thread::ThreadId>);
        impl BatchSource for Broken {
            fn len(&self) -> usize {
                self.0.len()
            }
            fn dim(&self) -> usize {
                self.0.dim()
            }
            fn fill(&self, indices: &[usize], out: &mut Matrix) {
                self.0.fill(indices, out)
            }
            fn label(&self, index: usize) -> u8 {
                let here = std::thread::current().id();
                assert_eq!(
                    self.1.get(),
                    Some(&here),
                    "a row read off the calling thread"
                );
                self.0.label(index)
            }
        }
        let data = Broken(blobs(200, 3, 512, 12), std::sync::OnceLock::new());
        let mut cfg = config(3, 0.05);
        cfg.batch_size = 32;
        let mut m = Mlp::new(
            Architecture::classifier(512, &[16], Activation::Tanh, 3),
            Init::GlorotUniform,
            &mut init::rng(7),
        );
        let mut reports = 0;
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            rayon_pool(2).install(|| {
                data.1.set(std::thread::current().id()).unwrap();
                train(&mut m, &cfg, &data, &mut |_, _| reports += 1)
            })
        }));
        assert!(outcome.is_err(), "the panic reaches the caller");
        assert_eq!(reports, 0, "an epoch cut short by a panic is not reported");
    }

    #[test]
    fn callback_sees_every_epoch() {
        let data = blobs(50, 3, 6, 10);
        let mut m = net(11);
        let mut seen = Vec::new();
        train(&mut m, &config(4, 0.05), &data, &mut |r, _| {
            seen.push(r.epoch)
        })
        .unwrap();
        assert_eq!(seen, [1, 2, 3, 4]);
    }
}
