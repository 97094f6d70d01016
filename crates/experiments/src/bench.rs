//! The speed comparison with numpy and PyTorch (`cargo xtask bench`): the chapter's four
//! networks trained under one protocol (plain SGD, batch 64, inputs u8/255, the training loop
//! timed) by us and by two hand-written Python peers, side by side, with a verdict that is only
//! given when every measurement it judges was made.
//!
//! The protocol is defined once, here ([`Protocol::for_network`]); the peers receive it as JSON
//! and repeat none of its numbers. Their sources are compiled into this crate and written next
//! to the virtual environment they run in, so the binary needs no source tree.

use std::path::{Path, PathBuf};
use std::process::Command;

use datasets::{Feed, InputScaling, Split};
use nn::{Activation, Architecture, Init, Mlp, SgdConfig, TrainConfig, init};
use serde::{Deserialize, Serialize};

use crate::data::{DataDir, predict};
use crate::error::ExperimentError;
use crate::io::write_atomic;
use crate::limits::{Limits, Workload};
use crate::spec::{DataKind, NetworkId};

/// The peers' shared loader and reporter, and the two peers.
const PEERS: [(&str, &str); 3] = [
    ("common.py", include_str!("../peers/common.py")),
    ("numpy_sgd.py", include_str!("../peers/numpy_sgd.py")),
    ("torch_sgd.py", include_str!("../peers/torch_sgd.py")),
];

/// The implementations compared, in table order: ours first, then each peer with its script.
pub const PEER_SCRIPTS: [(&str, &str); 2] =
    [("numpy", "numpy_sgd.py"), ("pytorch", "torch_sgd.py")];

/// The bar: each peer's median epoch divided by ours must reach this.
pub const BARS: [(&str, f64); 2] = [("numpy", 3.0), ("pytorch", 6.0)];

/// The bar against the machine: our median epoch may take at most this many times the epoch's
/// limit (the larger of its compute and bandwidth bounds, [`Workload::limit`]).
pub const LIMIT_BAR: f64 = 3.0;

/// What every run of the speed comparisons shares, dense or convolutional: the network, its data
/// and splits, and plain SGD's settings. The peers read it flattened into the protocol's JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunProtocol {
    /// The network's id (`mnist-1layer`, `cifar-conv`, ...).
    pub network: String,
    /// `mnist` or `cifar10`.
    pub dataset: String,
    /// Output classes.
    pub classes: usize,
    /// Plain SGD step size.
    pub lr: f32,
    /// Mini-batch size.
    pub batch_size: usize,
    /// Epochs timed.
    pub epochs: usize,
    /// Seed of the weight initialisation and the shuffles.
    pub seed: u64,
    /// The training split, as dataset indices `[start, end)`.
    pub train: [usize; 2],
    /// The held-out split the accuracy is measured on.
    pub held_out: [usize; 2],
}

impl RunProtocol {
    /// The run of `network` on the chapter's splits of `data`: batch 64, seed 1.
    pub fn chapter(network: &str, data: &DataKind, lr: f32, epochs: usize) -> RunProtocol {
        let (dataset, train, held_out) = match data {
            DataKind::Cifar10 => (
                "cifar10",
                datasets::cifar10::TRAIN,
                datasets::cifar10::HELD_OUT,
            ),
            _ => ("mnist", datasets::mnist::TRAIN, datasets::mnist::HELD_OUT),
        };
        RunProtocol {
            network: network.to_string(),
            dataset: dataset.to_string(),
            classes: 10,
            lr,
            batch_size: 64,
            epochs,
            seed: 1,
            train: [train.start, train.end],
            held_out: [held_out.start, held_out.end],
        }
    }
}

/// What every implementation trains, for one network: the chapter network's data and shape
/// under the comparison's optimiser (plain SGD, so that every peer computes the same update).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Protocol {
    /// The network, data and optimiser.
    #[serde(flatten)]
    pub run: RunProtocol,
    /// Hidden widths (sigmoid units).
    pub hidden: Vec<usize>,
}

impl Protocol {
    /// The protocol for one chapter network: its data, hidden layers and splits; plain SGD at
    /// 0.1 on MNIST and 0.01 on CIFAR-10 (the largest steps that train stably without
    /// momentum), batch 64, weights U(±1/√fan_in), biases 0.
    pub fn for_network(id: NetworkId, epochs: usize) -> Protocol {
        let spec = id.spec();
        let lr = match spec.data {
            DataKind::Cifar10 => 0.01,
            _ => 0.1,
        };
        Protocol {
            run: RunProtocol::chapter(id.id(), &spec.data, lr, epochs),
            hidden: spec.hidden,
        }
    }
}

/// One implementation's result on one network; the peers print the same fields as one JSON
/// line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchResult {
    /// `ours`, `numpy` or `pytorch`.
    pub r#impl: String,
    /// The chapter network's id.
    pub network: String,
    /// Wall time of each epoch's training loop.
    pub epoch_seconds: Vec<f64>,
    /// Accuracy on the held-out split after the last epoch.
    pub heldout_accuracy: f64,
    /// Peak resident memory of the process, MiB.
    pub peak_rss_mib: f64,
    /// Ours only: this machine's limits, measured in the same process just before the epochs,
    /// on the same thread pool (a shared host's speed drifts between processes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<Limits>,
}

impl BenchResult {
    /// The median epoch time in seconds, `None` when no epoch was timed.
    pub fn median_seconds(&self) -> Option<f64> {
        let mut s: Vec<f64> = self
            .epoch_seconds
            .iter()
            .copied()
            .filter(|t| t.is_finite())
            .collect();
        if s.is_empty() {
            return None;
        }
        s.sort_by(f64::total_cmp);
        Some(s[s.len() / 2])
    }
}

/// Trains one network under `protocol` through the real `nn` API and measures it. Run in a
/// process of its own per network, so that the peak memory is that network's.
///
/// # Errors
/// Missing data, divergence.
pub fn time_ours(protocol: &Protocol, data_dir: &DataDir) -> Result<BenchResult, ExperimentError> {
    // The data follows from the network; `dataset` is there for the peers.
    let id = NetworkId::parse(&protocol.run.network).ok_or_else(|| {
        ExperimentError::Usage(format!("unknown bench network {:?}", protocol.run.network))
    })?;
    let data = data_dir.load(&id.spec().data)?;
    let feed = Feed::new(data.view(Split::Train), &InputScaling::UnitRange);
    let arch = Architecture::classifier(
        feed.view().shape().len(),
        &protocol.hidden,
        Activation::Sigmoid,
        protocol.run.classes,
    );
    let mut model = Mlp::new(arch, Init::UniformFanIn, &mut init::rng(protocol.run.seed));
    // The bandwidth probe's buffer is not the network's memory: Linux resets the peak RSS on
    // writing 5 here, and the peak so far (loading the data) is kept beside it. Elsewhere the
    // peak keeps the buffer, and says so by its size.
    let loading_peak = peak_rss_mib();
    let limits = crate::limits::measure();
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let config = TrainConfig {
        epochs: protocol.run.epochs,
        batch_size: protocol.run.batch_size,
        sgd: SgdConfig {
            lr: protocol.run.lr,
            momentum: 0.0,
            weight_decay: 0.0,
        },
        shuffle_seed: protocol.run.seed,
    };
    let reports = nn::train(&mut model, &config, &feed, &mut |_, _| {}).map_err(|source| {
        ExperimentError::Train {
            id: protocol.run.network.clone(),
            source,
        }
    })?;
    let held = predict(
        &Feed::new(data.view(Split::HeldOut), &InputScaling::UnitRange),
        &model,
    )?;
    Ok(BenchResult {
        r#impl: "ours".into(),
        network: protocol.run.network.clone(),
        epoch_seconds: reports.iter().map(|r| r.seconds).collect(),
        heldout_accuracy: held.correct() as f64 / held.len().max(1) as f64,
        peak_rss_mib: peak_rss_mib().max(loading_peak),
        limits: Some(limits),
    })
}

/// `VmHWM` of this process from `/proc/self/status`, in MiB (0 where unavailable).
pub fn peak_rss_mib() -> f64 {
    status_mib("VmHWM:")
}

/// The field `key` (`VmHWM:`, `RssAnon:`, …) of `/proc/self/status`, given there in KiB, in MiB
/// (0 where unavailable).
pub fn status_mib(key: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

/// Every measurement of a comparison: per network, the results that were obtained, and why the
/// others are missing.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Comparison {
    /// Epochs per implementation and network.
    pub epochs: usize,
    /// This machine's peaks: the best of the measurements before and after the networks ran
    /// and of those beside our epochs.
    pub limits: Option<Limits>,
    /// One row per network, in the chapter's order.
    pub rows: Vec<Row>,
}

/// One network's results.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Row {
    /// The chapter network's id.
    pub network: String,
    /// What one epoch of it must compute and read.
    pub workload: Option<Workload>,
    /// What each implementation that ran measured.
    pub results: Vec<BenchResult>,
    /// Implementations that did not run or gave no timing, with the reason.
    pub missing: Vec<(String, String)>,
}

impl Row {
    fn get(&self, name: &str) -> Option<&BenchResult> {
        self.results.iter().find(|r| r.r#impl == name)
    }

    /// The limits this network is judged against: those measured beside our epochs, else
    /// `fallback` (the run's).
    pub fn limits<'a>(&'a self, fallback: Option<&'a Limits>) -> Option<&'a Limits> {
        self.get("ours")
            .and_then(|r| r.limits.as_ref())
            .or(fallback)
    }

    /// Our median epoch over the epoch's limit, and which bound the limit is, when both are
    /// known; the limits are [`Row::limits`].
    pub fn from_limit(&self, fallback: Option<&Limits>) -> Option<(f64, &'static str)> {
        let ours = self.get("ours")?.median_seconds()?;
        let (limit, which) = self.workload?.limit(self.limits(fallback)?);
        (limit > 0.0).then(|| (ours / limit, which))
    }

    /// A peer's median epoch over ours, when both were measured.
    pub fn ratio(&self, peer: &str) -> Option<f64> {
        let ours = self.get("ours")?.median_seconds()?;
        let theirs = self.get(peer)?.median_seconds()?;
        (ours > 0.0).then(|| theirs / ours)
    }
}

/// The judgement of a comparison against [`BARS`].
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Every ratio was measured and reaches its bar.
    Met,
    /// Every ratio was measured; these (network, peer, ratio) miss their bar.
    NotMet(Vec<(String, String, f64)>),
    /// Some ratio could not be measured: no verdict. Each entry says what is missing.
    NotJudged(Vec<String>),
}

impl Comparison {
    /// Judges every row against every bar. A verdict needs every ratio: one missing
    /// measurement makes the whole comparison [`Verdict::NotJudged`].
    pub fn verdict(&self) -> Verdict {
        let mut missing = Vec::new();
        let mut misses = Vec::new();
        if self.rows.is_empty() {
            missing.push("no network was measured".to_string());
        }
        for (peer, bar) in BARS {
            // Networks without this peer's ratio, and the first reason the run gave.
            let mut unmeasured = Vec::new();
            let mut reason = None;
            for row in &self.rows {
                match row.ratio(peer) {
                    Some(r) if r >= bar => {}
                    Some(r) => misses.push((row.network.clone(), peer.to_string(), r)),
                    None => {
                        unmeasured.push(row.network.as_str());
                        reason = reason.or_else(|| {
                            row.missing
                                .iter()
                                .find(|(n, _)| n == peer)
                                .map(|(_, why)| why)
                        });
                    }
                }
            }
            if unmeasured.is_empty() {
                continue;
            }
            let mut what = format!("no {peer} timing");
            if unmeasured.len() < self.rows.len() {
                what += &format!(" on {}", unmeasured.join(", "));
            }
            if let Some(why) = reason {
                what += &format!(" ({why})");
            }
            missing.push(what);
        }
        if self.limits.is_none() {
            missing.push("the machine's limits were not measured".into());
        }
        for row in &self.rows {
            match row.from_limit(self.limits.as_ref()) {
                Some((r, _)) if r <= LIMIT_BAR => {}
                Some((r, _)) => misses.push((row.network.clone(), "the limit".into(), r)),
                None if self.limits.is_some() => {
                    missing.push(format!("no limit for {}", row.network));
                }
                None => {}
            }
        }
        if !missing.is_empty() {
            Verdict::NotJudged(missing)
        } else if misses.is_empty() {
            Verdict::Met
        } else {
            Verdict::NotMet(misses)
        }
    }

    /// The table: median epoch, held-out accuracy and peak memory of each implementation, the
    /// ratios, and the verdict line.
    pub fn table(&self) -> String {
        let mut s = format!(
            "per epoch (median of {}), held-out accuracy after {} epochs, peak RSS; our kernels: {}\n",
            self.epochs,
            self.epochs,
            tensor::kernel_isa()
        );
        match &self.limits {
            Some(l) => {
                s += &format!(
                    "this machine, {} threads: sgemm {:.1} GFLOP/s, read {:.1} GB/s at best; an epoch's limit is its flops or its pixel bytes over the peaks measured in our process just before its epochs, whichever takes longer\n\n",
                    l.threads, l.sgemm_gflops, l.read_gbps
                )
            }
            None => s += "this machine's limits: not measured\n\n",
        }
        s += &format!(
            "{:<14} {:>22} {:>22} {:>22} {:>9} {:>9} {:>9} {:>9} {:>9}\n",
            "network",
            "ours",
            "numpy",
            "pytorch",
            "vs numpy",
            "vs torch",
            "compute",
            "bandwidth",
            "x limit"
        );
        for row in &self.rows {
            let cell = |name: &str| {
                row.get(name).map_or("-".to_string(), |r| {
                    format!(
                        "{:.1} ms {:.2}% {:.0}M",
                        r.median_seconds().map_or(f64::NAN, |t| 1000.0 * t),
                        100.0 * r.heldout_accuracy,
                        r.peak_rss_mib
                    )
                })
            };
            let ratio = |p: &str| row.ratio(p).map_or("-".into(), |r| format!("{r:.1}x"));
            let bound = |f: fn(&Workload, &Limits) -> f64| match (
                &row.workload,
                row.limits(self.limits.as_ref()),
            ) {
                (Some(w), Some(l)) => format!("{:.1} ms", 1000.0 * f(w, l)),
                _ => "-".into(),
            };
            let from_limit = row
                .from_limit(self.limits.as_ref())
                .map_or("-".into(), |(r, _)| format!("{r:.1}x"));
            s += &format!(
                "{:<14} {:>22} {:>22} {:>22} {:>9} {:>9} {:>9} {:>9} {:>9}\n",
                row.network,
                cell("ours"),
                cell("numpy"),
                cell("pytorch"),
                ratio("numpy"),
                ratio("pytorch"),
                bound(Workload::compute_seconds),
                bound(Workload::bandwidth_seconds),
                from_limit
            );
        }
        let bars = BARS
            .iter()
            .map(|(p, b)| format!(">= {b}x faster than {p}"))
            .collect::<Vec<_>>()
            .join(" and ");
        s += &format!("\nbar: {bars}, within {LIMIT_BAR}x of the limit, per epoch: ");
        s += &match self.verdict() {
            Verdict::Met => "met\n".to_string(),
            Verdict::NotMet(m) => {
                let list: Vec<String> = m
                    .iter()
                    .map(|(n, p, r)| format!("{n} vs {p} {r:.1}x"))
                    .collect();
                format!("NOT met ({})\n", list.join(", "))
            }
            Verdict::NotJudged(why) => format!("not judged ({})\n", why.join("; ")),
        };
        s
    }
}

/// Where the comparison runs: our binary (re-run per network), the Python of the peers'
/// virtual environment, the data.
pub struct BenchSetup {
    /// This binary, run as `BIN bench-epochs --protocol JSON` for each network.
    pub ours: PathBuf,
    /// The peers' Python, or `None` to measure ours only.
    pub python: Option<PathBuf>,
    /// The directory the peer scripts are written to and run from.
    pub peers_dir: PathBuf,
    /// Where the data lives.
    pub data_dir: DataDir,
}

/// Creates (first time only) the virtual environment `dir` with numpy and torch from PyPI and
/// writes the peer scripts into `dir/peers`; returns the venv's Python.
///
/// # Errors
/// [`ExperimentError::Bench`] when `python3 -m venv` or `pip install` fails; IO errors naming
/// the file.
pub fn prepare_peers(dir: &Path) -> Result<PathBuf, ExperimentError> {
    let py = dir.join("bin/python");
    let ready = Command::new(&py)
        .args(["-c", "import numpy, torch"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ready {
        eprintln!(
            "creating {} with numpy and torch (first run only; torch is large)",
            dir.display()
        );
        let ok = Command::new("python3")
            .arg("-m")
            .arg("venv")
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success())
            && Command::new(dir.join("bin/pip"))
                .args(["install", "--quiet", "numpy", "torch"])
                .status()
                .is_ok_and(|s| s.success());
        if !ok {
            return Err(ExperimentError::Bench(format!(
                "could not set up the peers' Python environment in {}",
                dir.display()
            )));
        }
    }
    for (name, text) in PEERS {
        write_atomic(&dir.join("peers").join(name), text.as_bytes())?;
    }
    Ok(py)
}

/// Runs the comparison for `networks`: ours in a child process per network, then each peer.
/// A peer that fails or prints no timing is recorded as missing, so the table still shows
/// what was measured and the verdict says it could not judge.
///
/// # Errors
/// Our own run failing (missing data, divergence) is an error: nothing can be compared.
pub fn compare(
    setup: &BenchSetup,
    networks: &[NetworkId],
    epochs: usize,
    progress: &mut dyn FnMut(&str),
) -> Result<Comparison, ExperimentError> {
    progress("measuring this machine's limits");
    let limits = crate::limits::measure();
    let mut rows = Vec::new();
    for &id in networks {
        let protocol = Protocol::for_network(id, epochs);
        let json = serde_json::to_string(&protocol).map_err(|source| ExperimentError::Json {
            what: "bench protocol".into(),
            source,
        })?;
        // The peers run from their own directory: a relative data path would miss.
        let data = std::path::absolute(&setup.data_dir.0)
            .unwrap_or_else(|_| setup.data_dir.0.clone())
            .display()
            .to_string();
        progress(&format!("{}: ours", protocol.run.network));
        let ours = run_ours(setup, "bench-epochs", &json, &protocol.run.network)?;
        let inputs = match id.spec().data {
            DataKind::Cifar10 => 3072,
            _ => 784,
        };
        let mut widths = protocol.hidden.clone();
        widths.push(protocol.run.classes);
        let mut row = Row {
            network: protocol.run.network.clone(),
            workload: Some(Workload::dense(
                protocol.run.train[1] - protocol.run.train[0],
                inputs,
                &widths,
            )),
            results: vec![ours],
            missing: Vec::new(),
        };
        for (name, script) in PEER_SCRIPTS {
            let Some(py) = &setup.python else {
                row.missing.push((name.into(), "peers skipped".into()));
                continue;
            };
            progress(&format!("{}: {name}", protocol.run.network));
            let out = Command::new(py)
                .current_dir(&setup.peers_dir)
                .env("OMP_NUM_THREADS", "2")
                // Set on some machines to work around old OpenBLAS builds; they force a slow
                // generic kernel on a current numpy, which would make the peer look worse
                // than it is.
                .env_remove("OPENBLAS_CORETYPE")
                .env_remove("OPENBLAS_L2_SIZE")
                .args([script, &json, &data])
                .output();
            match out
                .map_err(|e| e.to_string())
                .and_then(|o| parse_result(&o))
            {
                Ok(r) if r.median_seconds().is_some() => row.results.push(r),
                Ok(_) => row.missing.push((name.into(), "no epoch timed".into())),
                Err(why) => row.missing.push((name.into(), why)),
            }
        }
        rows.push(row);
    }
    // Measured again at the end: a peak is the best the machine showed, and on a shared
    // machine one measurement can fall in a slow moment.
    progress("measuring this machine's limits again");
    let limits = rows
        .iter()
        .filter_map(|r: &Row| r.get("ours").and_then(|o| o.limits))
        .fold(limits.peak_with(&crate::limits::measure()), |a, b| {
            a.peak_with(&b)
        });
    Ok(Comparison {
        epochs,
        limits: Some(limits),
        rows,
    })
}

/// Runs this binary's hidden `subcommand` on one protocol (`json`) in a process of its own, so
/// that its peak memory is that network's, and reads its result line.
///
/// # Errors
/// The binary cannot be started, or it fails or prints no result.
pub(crate) fn run_ours(
    setup: &BenchSetup,
    subcommand: &str,
    json: &str,
    network: &str,
) -> Result<BenchResult, ExperimentError> {
    let data = setup.data_dir.0.display().to_string();
    let out = Command::new(&setup.ours)
        .args([subcommand, "--protocol", json, "--data-dir", &data])
        .output()
        .map_err(|source| ExperimentError::Io {
            path: setup.ours.clone(),
            source,
        })?;
    parse_result(&out).map_err(|why| ExperimentError::Bench(format!("ours on {network}: {why}")))
}

/// The last JSON line of a child's standard output, or why there is none.
pub(crate) fn parse_result(out: &std::process::Output) -> Result<BenchResult, String> {
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let last = err
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        return Err(format!("exited with {}: {last}", out.status));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .ok_or("printed no result line")?;
    serde_json::from_str(line).map_err(|e| format!("unreadable result line: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(name: &str, ms: &[f64]) -> BenchResult {
        BenchResult {
            r#impl: name.into(),
            network: "mnist-1layer".into(),
            epoch_seconds: ms.iter().map(|m| m / 1000.0).collect(),
            heldout_accuracy: 0.9,
            peak_rss_mib: 100.0,
            limits: None,
        }
    }

    fn row(results: Vec<BenchResult>) -> Row {
        Row {
            network: "mnist-1layer".into(),
            // 1 GFLOP at 100 GFLOP/s: a 10 ms limit, which the 10 ms of `fast` is within.
            workload: Some(Workload {
                flops: 1e9,
                bytes: 1e6,
            }),
            results,
            missing: Vec::new(),
        }
    }

    fn check(rows: Vec<Row>, expect: &str) {
        let c = Comparison {
            epochs: 3,
            limits: Some(Limits {
                sgemm_gflops: 100.0,
                read_gbps: 10.0,
                threads: 2,
            }),
            rows,
        };
        let v = match c.verdict() {
            Verdict::Met => "met".to_string(),
            Verdict::NotMet(m) => format!("not met {}", m.len()),
            Verdict::NotJudged(m) => format!("not judged {}", m.len()),
        };
        assert_eq!(v, expect);
        // The table's last line says the same verdict.
        let said = match c.verdict() {
            Verdict::Met => "per epoch: met",
            Verdict::NotMet(_) => "per epoch: NOT met (",
            Verdict::NotJudged(_) => "per epoch: not judged (",
        };
        let table = c.table();
        assert!(table.lines().last().unwrap().contains(said), "{table}");
    }

    #[test]
    fn a_network_is_judged_against_the_limits_beside_its_epochs() {
        // 40 ms against the run's 10 ms limit is 4x; against the 20 GFLOP/s measured beside
        // the epochs (a 50 ms limit) it is within.
        let mut ours = result("ours", &[40.0]);
        let peers = || vec![result("numpy", &[140.0]), result("pytorch", &[240.0])];
        check(
            vec![row([vec![ours.clone()], peers()].concat())],
            "not met 1",
        );
        ours.limits = Some(Limits {
            sgemm_gflops: 20.0,
            read_gbps: 10.0,
            threads: 2,
        });
        let r = row([vec![ours], peers()].concat());
        let (x, bound) = r.from_limit(None).unwrap();
        assert!((x - 0.8).abs() < 1e-9 && bound == "compute", "{x} {bound}");
        check(vec![r], "met");
    }

    #[test]
    fn verdicts_need_every_measurement() {
        let fast = || result("ours", &[10.0, 11.0, 9.0]);
        // numpy 3.5x, torch 6x, at the limit: met.
        check(
            vec![row(vec![
                fast(),
                result("numpy", &[35.0]),
                result("pytorch", &[60.0]),
            ])],
            "met",
        );
        // torch only 4x: not met.
        check(
            vec![row(vec![
                fast(),
                result("numpy", &[35.0]),
                result("pytorch", &[40.0]),
            ])],
            "not met 1",
        );
        // 4x the limit: not met.
        check(
            vec![row(vec![
                result("ours", &[40.0]),
                result("numpy", &[140.0]),
                result("pytorch", &[240.0]),
            ])],
            "not met 1",
        );
        // No peer ran: no verdict, for either bar.
        check(vec![row(vec![fast()])], "not judged 2");
        // A peer without timings counts as not measured.
        check(
            vec![row(vec![
                fast(),
                result("numpy", &[]),
                result("pytorch", &[60.0]),
            ])],
            "not judged 1",
        );
        // Without the machine's limits there is no verdict either.
        let c = Comparison {
            epochs: 3,
            limits: None,
            rows: vec![row(vec![
                fast(),
                result("numpy", &[35.0]),
                result("pytorch", &[60.0]),
            ])],
        };
        assert!(matches!(c.verdict(), Verdict::NotJudged(w) if w.len() == 1));
        // Nothing measured at all.
        check(vec![], "not judged 1");
    }

    #[test]
    fn median_ignores_order() {
        assert_eq!(
            result("ours", &[30.0, 10.0, 20.0]).median_seconds(),
            Some(0.02)
        );
        assert_eq!(result("ours", &[]).median_seconds(), None);
    }

    #[test]
    fn protocols_follow_the_chapter_networks() {
        for id in NetworkId::ALL {
            let p = Protocol::for_network(id, 2);
            assert_eq!(p.run.network, id.id());
            assert_eq!(p.hidden, id.spec().hidden);
            let back: Protocol = serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
            assert_eq!(back, p);
        }
    }
}
