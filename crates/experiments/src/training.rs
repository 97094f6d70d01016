//! Training a [`Spec`] on its data, with a model cache keyed by a hash of spec and data.

use std::path::{Path, PathBuf};
use std::time::Instant;

use datasets::{Feed, Loaded, Split};
use nn::{EpochReport, Mlp, checkpoint, init};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::data::Data;
use crate::error::ExperimentError;
use crate::io::write_atomic;
use crate::spec::Spec;

/// Bumped whenever training code changes what a spec produces, so old cache entries are not
/// mistaken for current ones.
const CACHE_VERSION: &str = "ml4a-train-v2";

/// A trained network with its history.
#[derive(Debug, Clone)]
pub struct Trained {
    /// What was trained.
    pub spec: Spec,
    /// The final weights.
    pub model: Mlp,
    /// One report per epoch.
    pub epochs: Vec<EpochReport>,
    /// The weights before training and after each epoch (`1 + epochs` entries), for the
    /// demo that shows how the weights formed.
    pub snapshots: Vec<Mlp>,
    /// Wall time of the training loop (as measured when the model was trained, also when it
    /// now comes from the cache).
    pub train_seconds: f64,
    /// SHA-256 of the final checkpoint's bytes.
    pub model_sha256: String,
    /// The cache key: SHA-256 of the cache version, the spec and the data fingerprint.
    pub key: String,
    /// True when the model was loaded from the cache rather than trained now.
    pub from_cache: bool,
}

/// What the cache stores beside the checkpoints.
#[derive(Debug, Serialize, Deserialize)]
struct RunRecord {
    key: String,
    spec: Spec,
    epochs: Vec<EpochReport>,
    train_seconds: f64,
    model_sha256: String,
}

/// The cache key of `spec` on `data`.
pub fn cache_key(spec: &Spec, data: &Data) -> String {
    let mut h = Sha256::new();
    h.update(CACHE_VERSION.as_bytes());
    h.update(serde_json::to_vec(spec).expect("a spec always serialises"));
    h.update(data.train_fingerprint().as_bytes());
    hex::encode(h.finalize())
}

/// Trains `spec` on the train split of `data`, or loads the result from `cache` when an entry
/// with the same key exists there. `on_epoch` sees every epoch of a real training run.
///
/// # Errors
/// [`ExperimentError::Train`] when training diverges (the error names the epoch and batch);
/// nothing is cached then. Otherwise an IO or checkpoint error from the cache.
pub fn train(
    spec: &Spec,
    data: &Data,
    cache: Option<&Path>,
    on_epoch: &mut dyn FnMut(&EpochReport),
) -> Result<Trained, ExperimentError> {
    let key = cache_key(spec, data);
    let dir = cache.map(|c| entry_dir(c, &spec.id, &key));
    if let Some(t) = dir
        .as_deref()
        .and_then(|d| load_cached(spec, data, &key, d))
    {
        return Ok(t);
    }
    let feed = Feed::new(data.view(Split::Train), &spec.input_scaling);
    let arch = spec.architecture(feed.view().shape().len(), feed.view().num_classes());
    let mut model = Mlp::new(arch, spec.init, &mut init::rng(spec.init_seed));
    let mut snapshots = vec![model.clone()];
    let start = Instant::now();
    let epochs = nn::train(&mut model, &spec.train, &feed, &mut |r, m| {
        snapshots.push(m.clone());
        on_epoch(r);
    })
    .map_err(|source| ExperimentError::Train {
        id: spec.id.clone(),
        source,
    })?;
    let train_seconds = start.elapsed().as_secs_f64();
    let bytes = checkpoint::to_bytes(&model).map_err(|source| ExperimentError::Encode {
        id: spec.id.clone(),
        source,
    })?;
    let model_sha256 = hex::encode(Sha256::digest(&bytes));
    let trained = Trained {
        spec: spec.clone(),
        model,
        epochs,
        snapshots,
        train_seconds,
        model_sha256,
        key,
        from_cache: false,
    };
    if let Some(dir) = &dir {
        store(&trained, dir)?;
    }
    Ok(trained)
}

/// The cache entry of a spec id and key under the cache root.
fn entry_dir(cache: &Path, id: &str, key: &str) -> PathBuf {
    cache.join(format!("{id}-{}", &key[..16]))
}

/// Stores `t` in the cache rooted at `cache`, replacing an entry with the same key.
///
/// # Errors
/// IO or checkpoint errors naming the file.
pub(crate) fn store_in(t: &Trained, cache: &Path) -> Result<(), ExperimentError> {
    store(t, &entry_dir(cache, &t.spec.id, &t.key))
}

fn snapshot_path(dir: &Path, epoch: usize) -> PathBuf {
    dir.join(format!("epoch-{epoch:03}.ckpt"))
}

/// Writes checkpoints first and the record last: a record on disk means a complete entry.
fn store(t: &Trained, dir: &Path) -> Result<(), ExperimentError> {
    std::fs::create_dir_all(dir).map_err(|source| ExperimentError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    for (e, m) in t.snapshots.iter().enumerate() {
        checkpoint::save(m, &snapshot_path(dir, e))?;
    }
    checkpoint::save(&t.model, &dir.join("model.ckpt"))?;
    export(t, dir)?;
    let record = RunRecord {
        key: t.key.clone(),
        spec: t.spec.clone(),
        epochs: t.epochs.clone(),
        train_seconds: t.train_seconds,
        model_sha256: t.model_sha256.clone(),
    };
    let json = serde_json::to_vec_pretty(&record).map_err(|source| ExperimentError::Json {
        what: "run record".into(),
        source,
    })?;
    write_atomic(&dir.join("run.json"), &json)
}

/// The file name of a cache entry's model in safetensors form, beside `model.ckpt`.
pub const SAFETENSORS_FILE: &str = "model.safetensors";

/// Writes `t`'s model as `dir/model.safetensors`, for PyTorch and anyone else
/// (`nn::safetensors`), with what it takes to read it back the same way: its id, dataset and
/// input scaling.
fn export(t: &Trained, dir: &Path) -> Result<(), ExperimentError> {
    let scaling =
        serde_json::to_string(&t.spec.input_scaling).map_err(|source| ExperimentError::Json {
            what: "input scaling".into(),
            source,
        })?;
    let dataset = match &t.spec.data {
        crate::spec::DataKind::Idx(d) => format!("idx:{}", d.display()),
        other => other.name().to_string(),
    };
    let meta = std::collections::BTreeMap::from([
        (crate::import::ID_KEY.to_string(), t.spec.id.clone()),
        (crate::import::DATASET_KEY.to_string(), dataset),
        (crate::import::SCALING_KEY.to_string(), scaling),
    ]);
    nn::safetensors::save(&t.model, &meta, &dir.join(SAFETENSORS_FILE))?;
    Ok(())
}

/// A complete, matching cache entry, or `None` (then the caller trains and overwrites it).
fn load_cached(spec: &Spec, data: &Loaded, key: &str, dir: &Path) -> Option<Trained> {
    let record: RunRecord =
        serde_json::from_slice(&std::fs::read(dir.join("run.json")).ok()?).ok()?;
    if record.key != key || record.spec != *spec {
        return None;
    }
    let view = data.view(Split::Train);
    let arch = spec.architecture(view.shape().len(), view.num_classes());
    let bytes = std::fs::read(dir.join("model.ckpt")).ok()?;
    if hex::encode(Sha256::digest(&bytes)) != record.model_sha256 {
        return None;
    }
    let model = checkpoint::from_bytes(&bytes, Some(&arch)).ok()?;
    let snapshots = (0..=record.epochs.len())
        .map(|e| checkpoint::load(&snapshot_path(dir, e), Some(&arch)).ok())
        .collect::<Option<Vec<_>>>()?;
    let trained = Trained {
        spec: spec.clone(),
        model,
        epochs: record.epochs,
        snapshots,
        train_seconds: record.train_seconds,
        model_sha256: record.model_sha256,
        key: key.to_string(),
        from_cache: true,
    };
    // Entries cached before models were exported get their safetensors file now; one that
    // cannot be written leaves the entry unusable, so the model is trained and stored again.
    if !dir.join(SAFETENSORS_FILE).exists() {
        export(&trained, dir).ok()?;
    }
    Some(trained)
}
