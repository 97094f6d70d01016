//! The cost curve (`cargo xtask bench --scale`): two epochs of a 784-10 network on synthetic IDX
//! datasets of growing size, read through the memory map. Time per image should stay flat and
//! anonymous memory (the process's own allocations; the mapped file is left out) should barely
//! grow: a dataset larger than memory must train as well as one that fits in the caches.

use std::io::Write;
use std::path::Path;

use datasets::{Feed, InputScaling, Split};
use nn::{Activation, Architecture, Init, Mlp, SgdConfig, TrainConfig, init};
use serde::{Deserialize, Serialize};

use crate::error::ExperimentError;

/// The dataset sizes measured, in images.
pub const SIZES: [usize; 3] = [60_000, 600_000, 2_400_000];

/// The bar on time per image: every size within this fraction of the median size's.
pub const TIME_BAR: f64 = 0.20;

/// The bar on memory: anonymous memory may grow by less than this from the smallest to the
/// largest size, MiB.
pub const MEMORY_BAR_MIB: f64 = 32.0;

/// Test images written beside each training file (the IDX folder needs both sets).
const TEST_IMAGES: usize = 1_000;

/// One size's epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScaleResult {
    /// Images in the training file.
    pub images: usize,
    /// Images the epoch trained on (the training split: the file less its held-out sixth).
    pub trained: usize,
    /// Wall time of the first epoch, which maps every page of the file in.
    pub first_seconds: f64,
    /// Wall time of the second epoch, over pages already mapped: the steady cost the bar
    /// judges.
    pub seconds: f64,
    /// The largest anonymous resident memory (`RssAnon`) seen at the end of an epoch, while
    /// training still holds its buffers, MiB.
    pub rss_anon_mib: f64,
}

impl ScaleResult {
    /// Microseconds per trained image in the second epoch.
    pub fn us_per_image(&self) -> f64 {
        1e6 * self.seconds / self.trained.max(1) as f64
    }

    /// Microseconds per trained image in the first epoch.
    pub fn first_us_per_image(&self) -> f64 {
        1e6 * self.first_seconds / self.trained.max(1) as f64
    }
}

/// Writes an IDX folder of `images` synthetic 28x28 training images (and a small test set)
/// into `dir`, streaming, uncompressed so that loading maps it. Each image is a bar whose
/// position follows its label, over noise: learnable, and cheap to make.
///
/// # Errors
/// IO errors naming the file.
pub fn write_synthetic(dir: &Path, images: usize) -> Result<(), ExperimentError> {
    std::fs::create_dir_all(dir).map_err(|source| ExperimentError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut state = 0x9E37_79B9_7F4A_7C15u64 ^ images as u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for (stem, n) in [("train", images), ("t10k", TEST_IMAGES)] {
        let labels: Vec<u8> = (0..n).map(|_| (next() % 10) as u8).collect();
        let write =
            |name: String,
             header: &[u32],
             body: &mut dyn FnMut(&mut dyn Write) -> std::io::Result<()>| {
                let path = dir.join(name);
                let io = |source| ExperimentError::Io {
                    path: path.clone(),
                    source,
                };
                let file = std::fs::File::create(&path).map_err(io)?;
                let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
                let code = if header.len() == 3 { 3u8 } else { 1 };
                w.write_all(&[0, 0, 0x08, code]).map_err(io)?;
                for d in header {
                    w.write_all(&d.to_be_bytes()).map_err(io)?;
                }
                body(&mut w).map_err(io)?;
                w.flush().map_err(io)
            };
        let mut image = [0u8; 784];
        write(
            format!("{stem}-images-idx3-ubyte"),
            &[n as u32, 28, 28],
            &mut |w| {
                for &l in &labels {
                    let noise = next();
                    for (p, px) in image.iter_mut().enumerate() {
                        let (r, c) = (p / 28, p % 28);
                        let bar = c == 4 + 2 * l as usize && (4..24).contains(&r);
                        *px = if bar {
                            220
                        } else {
                            (noise >> (p % 57)) as u8 & 63
                        };
                    }
                    w.write_all(&image)?;
                }
                Ok(())
            },
        )?;
        write(format!("{stem}-labels-idx1-ubyte"), &[n as u32], &mut |w| {
            w.write_all(&labels)
        })?;
    }
    Ok(())
}

/// Trains two epochs of 784-10 (the chapter's 1-layer MNIST net, plain SGD, batch 64) on the
/// IDX folder `dir` and measures each. Run in a process of its own per size, so that the memory
/// measured is that size's.
///
/// # Errors
/// An unreadable folder; divergence.
pub fn time_one(dir: &Path) -> Result<ScaleResult, ExperimentError> {
    let loaded = datasets::idx::load(dir).map_err(|e| ExperimentError::Data {
        source: Box::new(e),
        hint: None,
    })?;
    let view = loaded.view(Split::Train);
    let feed = Feed::new(view, &InputScaling::UnitRange);
    let arch = Architecture::classifier(784, &[], Activation::Sigmoid, 10);
    let mut model = Mlp::new(arch, Init::UniformFanIn, &mut init::rng(1));
    let config = TrainConfig {
        epochs: 2,
        batch_size: 64,
        sgd: SgdConfig {
            lr: 0.1,
            momentum: 0.0,
            weight_decay: 0.0,
        },
        shuffle_seed: 1,
    };
    let mut anon = 0.0f64;
    let reports = nn::train(&mut model, &config, &feed, &mut |_, _| {
        anon = anon.max(rss_anon_mib());
    })
    .map_err(|source| ExperimentError::Train {
        id: "scale-784-10".into(),
        source,
    })?;
    Ok(ScaleResult {
        images: loaded.train_file().len(),
        trained: view.len(),
        first_seconds: reports[0].seconds,
        seconds: reports[1].seconds,
        rss_anon_mib: anon,
    })
}

/// `RssAnon` of this process from `/proc/self/status`, MiB (0 where unavailable).
pub fn rss_anon_mib() -> f64 {
    crate::bench::status_mib("RssAnon:")
}

/// Whether the curve meets both bars, and the table that says so.
pub fn table(results: &[ScaleResult]) -> (bool, String) {
    let mut s = format!(
        "{:>10} {:>10} {:>11} {:>13} {:>11} {:>13} {:>12}\n",
        "images",
        "trained",
        "epoch 1 s",
        "us/image (1)",
        "epoch 2 s",
        "us/image (2)",
        "RssAnon MiB"
    );
    for r in results {
        s += &format!(
            "{:>10} {:>10} {:>11.3} {:>13.3} {:>11.3} {:>13.3} {:>12.1}\n",
            r.images,
            r.trained,
            r.first_seconds,
            r.first_us_per_image(),
            r.seconds,
            r.us_per_image(),
            r.rss_anon_mib
        );
    }
    let mut per: Vec<f64> = results.iter().map(ScaleResult::us_per_image).collect();
    per.sort_by(f64::total_cmp);
    let median = per.get(per.len() / 2).copied().unwrap_or(f64::NAN);
    let spread = per
        .iter()
        .map(|p| (p - median).abs() / median)
        .fold(0.0f64, f64::max);
    let growth = match (results.first(), results.last()) {
        (Some(a), Some(b)) => b.rss_anon_mib - a.rss_anon_mib,
        _ => f64::NAN,
    };
    let time_ok = results.len() == SIZES.len() && spread <= TIME_BAR;
    let memory_ok = results.len() == SIZES.len() && growth < MEMORY_BAR_MIB;
    s += &format!(
        "\ntime per image in epoch 2: within {:.0}% of the median ({:.1}% at most): {}\n",
        100.0 * TIME_BAR,
        100.0 * spread,
        if time_ok { "met" } else { "NOT met" }
    );
    s += &format!(
        "anonymous memory: grows {growth:.1} MiB from the smallest to the largest, bar < {MEMORY_BAR_MIB} MiB: {}\n",
        if memory_ok { "met" } else { "NOT met" }
    );
    (time_ok && memory_ok, s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_synthetic_set_loads_maps_and_trains() {
        let dir = tempfile::tempdir().unwrap();
        write_synthetic(dir.path(), 6_000).unwrap();
        let r = time_one(dir.path()).unwrap();
        assert_eq!((r.images, r.trained), (6_000, 5_000));
        assert!(
            r.seconds > 0.0 && r.first_seconds > 0.0 && r.rss_anon_mib > 0.0,
            "{r:?}"
        );
    }

    #[test]
    fn the_bars_judge_the_curve() {
        let r = |images, us: f64, mib| ScaleResult {
            images,
            trained: images,
            first_seconds: 2.0 * us * images as f64 / 1e6,
            seconds: us * images as f64 / 1e6,
            rss_anon_mib: mib,
        };
        let flat = [
            r(60_000, 0.5, 10.0),
            r(600_000, 0.52, 20.0),
            r(2_400_000, 0.55, 30.0),
        ];
        assert!(table(&flat).0);
        let slow = [
            r(60_000, 0.5, 10.0),
            r(600_000, 0.52, 20.0),
            r(2_400_000, 0.9, 30.0),
        ];
        assert!(!table(&slow).0);
        let fat = [
            r(60_000, 0.5, 10.0),
            r(600_000, 0.5, 20.0),
            r(2_400_000, 0.5, 50.0),
        ];
        assert!(!table(&fat).0);
    }
}
