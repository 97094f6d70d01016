//! Our side of the speed comparison with numpy and PyTorch (`cargo xtask bench`): the chapter's
//! networks trained under the peers' protocol, plain SGD, batch 64, inputs u8/255, through the
//! real `nn` API.

use datasets::{InputScaling, Split};
use nn::{Activation, Architecture, Init, Mlp, SgdConfig, TrainConfig, init};
use serde::{Deserialize, Serialize};

use crate::data::{DataDir, Feed};
use crate::error::ExperimentError;
use crate::spec::DataKind;

/// The networks of the comparison: name, data, hidden widths, learning rate (the peers use the
/// same numbers, in `xtask/peers/common.py`).
pub const NETWORKS: [(&str, DataKind, &[usize], f32); 4] = [
    ("mnist-784-10", DataKind::Mnist, &[], 0.1),
    ("mnist-784-10-10", DataKind::Mnist, &[10], 0.1),
    ("cifar-3072-10", DataKind::Cifar10, &[], 0.01),
    ("cifar-3072-10-10", DataKind::Cifar10, &[10], 0.01),
];

/// One implementation's result on one network; the peers print the same fields.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BenchResult {
    /// `ours`, `numpy` or `pytorch`.
    pub r#impl: String,
    /// Network name from [`NETWORKS`].
    pub network: String,
    /// Wall time of each epoch's training loop.
    pub epoch_seconds: Vec<f64>,
    /// Accuracy on the held-out split after the last epoch.
    pub heldout_accuracy: f64,
    /// Peak resident memory of the process, MiB.
    pub peak_rss_mib: f64,
}

/// Trains `network` for `epochs` under the protocol and measures it.
///
/// # Errors
/// Unknown network names, missing data, divergence.
pub fn run(
    network: &str,
    data_dir: &DataDir,
    epochs: usize,
) -> Result<BenchResult, ExperimentError> {
    let Some((name, kind, hidden, lr)) = NETWORKS.iter().find(|n| n.0 == network) else {
        return Err(ExperimentError::Usage(format!(
            "unknown bench network {network:?}"
        )));
    };
    let data = data_dir.load(kind)?;
    let feed = Feed::new(data.view(Split::Train), &InputScaling::UnitRange);
    let arch = Architecture::classifier(feed.view().shape().len(), hidden, Activation::Sigmoid, 10);
    let mut model = Mlp::new(arch, Init::UniformFanIn, &mut init::rng(1));
    let config = TrainConfig {
        epochs,
        batch_size: 64,
        sgd: SgdConfig {
            lr: *lr,
            momentum: 0.0,
            weight_decay: 0.0,
        },
        shuffle_seed: 1,
    };
    let reports = nn::train(&mut model, &config, &feed, &mut |_, _| {}).map_err(|source| {
        ExperimentError::Train {
            id: name.to_string(),
            source,
        }
    })?;
    let held = Feed::new(data.view(Split::HeldOut), &InputScaling::UnitRange).predict(&model)?;
    Ok(BenchResult {
        r#impl: "ours".into(),
        network: name.to_string(),
        epoch_seconds: reports.iter().map(|r| r.seconds).collect(),
        heldout_accuracy: held.correct() as f64 / held.len().max(1) as f64,
        peak_rss_mib: peak_rss_mib(),
    })
}

/// `VmHWM` of this process from `/proc/self/status`, in MiB (0 where unavailable).
pub fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}
