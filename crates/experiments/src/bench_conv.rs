//! The convolutional speed comparison (`cargo xtask bench --conv`): one epoch of each claim-10
//! network, ours against PyTorch, under the dense comparison's protocol (plain SGD, batch 64,
//! inputs u8/255, 2 threads, each implementation in a process of its own, the training loop
//! timed, the median of the epochs compared). The bar: faster than PyTorch on both.

use std::path::PathBuf;
use std::process::Command;

use datasets::{Feed, InputScaling, Split};
use nn::convnet::{self, Augment, ConvArchitecture, ConvLayer, ConvNet, ConvTrainConfig, Schedule};
use nn::{Init, SgdConfig, init};
use serde::{Deserialize, Serialize};

use crate::bench::{BenchResult, BenchSetup, RunProtocol, parse_result, peak_rss_mib, run_ours};
use crate::convnet::ConvNetId;
use crate::data::DataDir;
use crate::error::ExperimentError;
use crate::spec::DataKind;

/// The peer's script name, and its source (written beside the other peers).
pub const PEER: (&str, &str) = ("torch_conv.py", include_str!("../peers/torch_conv.py"));

/// One layer as the peer reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerJson {
    /// `conv`, `relu` or `pool`.
    pub kind: String,
    /// Filters (conv).
    pub filters: usize,
    /// Kernel side (conv).
    pub kernel: usize,
    /// Stride (conv and pool).
    pub stride: usize,
    /// Zero padding (conv).
    pub pad: usize,
    /// Window side (pool).
    pub size: usize,
}

/// What both implementations train for one network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConvProtocol {
    /// The network, data and optimiser, as in the dense comparison.
    #[serde(flatten)]
    pub run: RunProtocol,
    /// Input `[C, H, W]`.
    pub input: [usize; 3],
    /// The feature-map layers.
    pub layers: Vec<LayerJson>,
}

impl ConvProtocol {
    /// The protocol of one claim-10 network: its layers, plain SGD at 0.01, batch 64.
    pub fn for_network(id: ConvNetId, epochs: usize) -> ConvProtocol {
        let spec = id.spec();
        let input = match spec.data {
            DataKind::Cifar10 => [3, 32, 32],
            _ => [1, 28, 28],
        };
        let layers = spec
            .layers
            .iter()
            .map(|l| {
                let mut j = LayerJson {
                    kind: String::new(),
                    filters: 0,
                    kernel: 0,
                    stride: 1,
                    pad: 0,
                    size: 0,
                };
                match l {
                    ConvLayer::Conv(c) => {
                        j.kind = "conv".into();
                        (j.filters, j.kernel, j.stride, j.pad) =
                            (c.filters, c.kernel, c.stride, c.pad);
                    }
                    ConvLayer::Relu => j.kind = "relu".into(),
                    ConvLayer::MaxPool(p) => {
                        j.kind = "pool".into();
                        (j.size, j.stride) = (p.size, p.stride);
                    }
                }
                j
            })
            .collect();
        ConvProtocol {
            run: RunProtocol::chapter(id.id(), &spec.data, 0.01, epochs),
            input,
            layers,
        }
    }
}

/// Trains one network under `protocol` through `nn::convnet` and measures it (run in a process
/// of its own, so the peak memory is this network's).
///
/// # Errors
/// Missing data, divergence.
pub fn time_ours(
    protocol: &ConvProtocol,
    data_dir: &DataDir,
) -> Result<BenchResult, ExperimentError> {
    let id = ConvNetId::parse(&protocol.run.network).ok_or_else(|| {
        ExperimentError::Usage(format!("unknown bench network {:?}", protocol.run.network))
    })?;
    let spec = id.spec();
    let data = data_dir.load(&spec.data)?;
    let feed = Feed::new(data.view(Split::Train), &InputScaling::UnitRange);
    let arch = ConvArchitecture {
        input: feed.view().shape(),
        layers: spec.layers.clone(),
        classes: protocol.run.classes,
    };
    let mut net = ConvNet::new(arch, Init::HeNormal, &mut init::rng(protocol.run.seed))
        .expect("the claim-10 geometries fit their data");
    let config = ConvTrainConfig {
        epochs: protocol.run.epochs,
        batch_size: protocol.run.batch_size,
        sgd: SgdConfig {
            lr: protocol.run.lr,
            momentum: 0.0,
            weight_decay: 0.0,
        },
        schedule: Schedule::Constant,
        augment: Augment::default(),
        shuffle_seed: protocol.run.seed,
    };
    let reports =
        convnet::train_convnet(&mut net, &config, &feed, &mut |_, _| {}).map_err(|source| {
            ExperimentError::Train {
                id: protocol.run.network.clone(),
                source,
            }
        })?;
    let held = Feed::new(data.view(Split::HeldOut), &InputScaling::UnitRange);
    let p = introspect::evaluate(held.labels(), protocol.run.classes, |r| {
        use datasets::BatchSource as _;
        net.predict_proba(held.rows(r).view(), 250)
    })?;
    Ok(BenchResult {
        r#impl: "ours".into(),
        network: protocol.run.network.clone(),
        epoch_seconds: reports.iter().map(|r| r.seconds).collect(),
        heldout_accuracy: p.correct() as f64 / p.len().max(1) as f64,
        peak_rss_mib: peak_rss_mib(),
        limits: None,
    })
}

/// One network's pair of results (PyTorch missing when it failed or was skipped).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConvRow {
    /// Network id.
    pub network: String,
    /// Ours.
    pub ours: BenchResult,
    /// PyTorch's, or why there is none.
    pub pytorch: Result<BenchResult, String>,
}

impl ConvRow {
    /// PyTorch's median epoch over ours: above 1 means we are faster.
    pub fn ratio(&self) -> Option<f64> {
        let torch = self.pytorch.as_ref().ok()?.median_seconds()?;
        Some(torch / self.ours.median_seconds()?)
    }
}

/// Runs ours (as `BIN bench-conv-epochs`) and the PyTorch peer for each network.
///
/// # Errors
/// Our own run failing.
pub fn compare(
    setup: &BenchSetup,
    networks: &[ConvNetId],
    epochs: usize,
    progress: &mut dyn FnMut(&str),
) -> Result<Vec<ConvRow>, ExperimentError> {
    let mut rows = Vec::new();
    let data = setup.data_dir.0.display().to_string();
    for &id in networks {
        let protocol = ConvProtocol::for_network(id, epochs);
        let json = serde_json::to_string(&protocol).map_err(|source| ExperimentError::Json {
            what: "bench protocol".into(),
            source,
        })?;
        progress(&format!("{}: ours", protocol.run.network));
        let ours = run_ours(setup, "bench-conv-epochs", &json, &protocol.run.network)?;
        let pytorch = match &setup.python {
            None => Err("peers skipped".to_string()),
            Some(py) => {
                progress(&format!("{}: pytorch", protocol.run.network));
                Command::new(py)
                    .current_dir(&setup.peers_dir)
                    .env("OMP_NUM_THREADS", "2")
                    .args([PEER.0, &json, &data])
                    .output()
                    .map_err(|e| e.to_string())
                    .and_then(|o| parse_result(&o))
            }
        };
        rows.push(ConvRow {
            network: protocol.run.network,
            ours,
            pytorch,
        });
    }
    Ok(rows)
}

/// The table and the verdict line.
pub fn table(rows: &[ConvRow], epochs: usize) -> String {
    let mut s = format!(
        "per epoch (median of {epochs}), held-out accuracy after {epochs} epochs of plain SGD, peak RSS\n\n{:<12} {:>26} {:>26} {:>9}\n",
        "network", "ours", "pytorch", "vs torch"
    );
    let cell = |r: &BenchResult| {
        format!(
            "{:.2} s {:.2}% {:.0}M",
            r.median_seconds().unwrap_or(f64::NAN),
            100.0 * r.heldout_accuracy,
            r.peak_rss_mib
        )
    };
    for r in rows {
        s += &format!(
            "{:<12} {:>26} {:>26} {:>9}\n",
            r.network,
            cell(&r.ours),
            r.pytorch.as_ref().map_or_else(|e| format!("- ({e})"), cell),
            r.ratio().map_or("-".into(), |x| format!("{x:.2}x"))
        );
    }
    let ratios: Vec<Option<f64>> = rows.iter().map(ConvRow::ratio).collect();
    s += "\nbar: faster than PyTorch per epoch on both networks: ";
    s += if ratios.len() < 2 || ratios.iter().any(Option::is_none) {
        "not judged (a measurement is missing)\n"
    } else if ratios.iter().all(|r| r.is_some_and(|r| r > 1.0)) {
        "met\n"
    } else {
        "NOT met\n"
    };
    s
}

/// Where the peer script is written: beside the dense peers.
pub fn write_peer(peers_dir: &std::path::Path) -> Result<PathBuf, ExperimentError> {
    let path = peers_dir.join(PEER.0);
    crate::io::write_atomic(&path, PEER.1.as_bytes())?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(secs: &[f64]) -> BenchResult {
        BenchResult {
            r#impl: "x".into(),
            network: "n".into(),
            epoch_seconds: secs.to_vec(),
            heldout_accuracy: 0.5,
            peak_rss_mib: 1.0,
            limits: None,
        }
    }

    #[test]
    fn protocols_carry_the_layers_of_the_specs() {
        let p = ConvProtocol::for_network(ConvNetId::Cifar, 5);
        assert_eq!(p.input, [3, 32, 32]);
        let kinds: Vec<&str> = p.layers.iter().map(|l| l.kind.as_str()).collect();
        assert_eq!(kinds, ["conv", "relu", "pool"].repeat(3));
        assert_eq!(
            p.layers
                .iter()
                .map(|l| l.filters)
                .filter(|&f| f > 0)
                .collect::<Vec<_>>(),
            [16, 20, 20]
        );
        assert_eq!((p.run.batch_size, p.run.epochs), (64, 5));
    }

    #[test]
    fn the_bar_is_judged_only_with_every_ratio() {
        let row = |ours: &[f64], torch: Result<&[f64], &str>| ConvRow {
            network: "n".into(),
            ours: result(ours),
            pytorch: torch.map(result).map_err(String::from),
        };
        let met = [row(&[1.0, 2.0, 1.0], Ok(&[2.0])), row(&[1.0], Ok(&[1.5]))];
        assert!(table(&met, 3).ends_with("met\n"));
        assert!(!table(&met, 3).contains("NOT"));
        let slow = [row(&[1.0], Ok(&[2.0])), row(&[2.0], Ok(&[1.0]))];
        assert!(table(&slow, 1).contains("NOT met"));
        let missing = [row(&[1.0], Ok(&[2.0])), row(&[1.0], Err("peers skipped"))];
        assert!(table(&missing, 1).contains("not judged"));
        assert_eq!(met[0].ratio(), Some(2.0));
    }
}
