//! Mini-batch training: seeded shuffling, one optimiser step per batch, a report per epoch.

use std::time::Instant;

use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};
use tensor::{BatchSource, Matrix};

use crate::init;
use crate::mlp::{Mlp, Workspace};
use crate::optim::{Optimizer, Sgd, SgdConfig};

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
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = init::rng(config.shuffle_seed);
    let mut opt = Sgd::new(config.sgd);
    let b = config.batch_size.min(n.max(1));
    let mut ws = Workspace::new(model.architecture(), b);
    // Two input buffers: while one batch trains, the next is filled on another thread. Filling
    // reads rows in shuffled order, so it waits on memory; overlapping hides that wait.
    let mut x = Matrix::zeros(b, data.dim());
    let mut x_next = Matrix::zeros(b, data.dim());
    let mut labels = Vec::with_capacity(b);
    let mut reports = Vec::with_capacity(config.epochs);
    for epoch in 1..=config.epochs {
        let start = Instant::now();
        order.shuffle(&mut rng);
        let batches: Vec<&[usize]> = order.chunks(b).collect();
        // The epoch runs on a pool thread: the joins and parallel products inside then stay on
        // the pool's own deques instead of handing every batch across threads and back.
        let (loss_sum, correct) = rayon::scope(|_| -> Result<(f64, usize), TrainError> {
            let (mut loss_sum, mut correct) = (0.0f64, 0usize);
            if let Some(first) = batches.first() {
                fill(data, first, &mut x);
            }
            for (batch, idx) in batches.iter().enumerate() {
                labels.clear();
                labels.extend(idx.iter().map(|&i| data.label(i)));
                let next = batches.get(batch + 1);
                let (_, stats) = rayon::join(
                    || {
                        if let Some(next) = next {
                            fill(data, next, &mut x_next);
                        }
                    },
                    || model.gradients_into(x.view(), &labels, &mut ws),
                );
                let mean = stats.loss_sum / idx.len().max(1) as f64;
                if !mean.is_finite() || mean > MAX_MEAN_LOSS {
                    let what = if mean.is_finite() {
                        "the mean loss is above 87.3, so the right class gets less probability than an f32 can hold"
                    } else {
                        "the loss is not finite"
                    };
                    return Err(TrainError::Diverged {
                        epoch,
                        batch,
                        what,
                        lr: config.sgd.lr,
                    });
                }
                loss_sum += stats.loss_sum;
                correct += stats.correct;
                opt.step(model.layers_mut(), &ws.grads);
                std::mem::swap(&mut x, &mut x_next);
            }
            Ok((loss_sum, correct))
        })?;
        if !model.all_finite() {
            let batch = n.div_ceil(b).saturating_sub(1);
            return Err(TrainError::Diverged {
                epoch,
                batch,
                what: "a weight is not finite",
                lr: config.sgd.lr,
            });
        }
        let report = EpochReport {
            epoch,
            epochs: config.epochs,
            loss: loss_sum / n.max(1) as f64,
            accuracy: correct as f64 / n.max(1) as f64,
            seconds: start.elapsed().as_secs_f64(),
        };
        on_epoch(&report, model);
        reports.push(report);
    }
    Ok(reports)
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

    #[test]
    fn same_seed_same_bits_on_one_thread_and_four() {
        // Wide enough that the first layer's forward and weight-gradient products (32 x 512 x 16
        // multiply-adds per batch) cross tensor's parallel threshold: a net smaller than that
        // runs every product on one block whatever the pool, and would prove nothing.
        let data = blobs(200, 3, 512, 6);
        let mut cfg = config(3, 0.05);
        cfg.batch_size = 32;
        let run = || {
            let mut m = Mlp::new(
                Architecture::classifier(512, &[16], Activation::Tanh, 3),
                Init::GlorotUniform,
                &mut init::rng(7),
            );
            train(&mut m, &cfg, &data, &mut |_, _| {}).unwrap();
            m
        };
        // Products may run on any thread of the pool (the backward pass is one side of a
        // `join`), so the count of parallel products is summed over all of them.
        let trained = |threads: usize| {
            let pool = rayon_pool(threads);
            let splits = || -> u64 {
                pool.broadcast(|_| tensor::ops::parallel_splits())
                    .iter()
                    .sum()
            };
            let before = splits();
            let m = pool.install(run);
            (param_bits(&m), splits() - before)
        };
        let (one, one_splits) = trained(1);
        let (four, four_splits) = trained(4);
        assert_eq!(one_splits, 0, "one thread never splits a product");
        assert!(
            four_splits > 0,
            "no product took the parallel path on four threads"
        );
        assert_eq!(one, four);
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
