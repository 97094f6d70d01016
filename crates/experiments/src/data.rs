//! Where the data lives and how a dataset view feeds training and evaluation.

use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use datasets::{BatchSource, DatasetErrorKind, DatasetView, Feed, Loaded};
use nn::Mlp;
use sha2::{Digest, Sha256};

use crate::error::ExperimentError;
use crate::spec::DataKind;

/// The environment variable that names the data directory.
pub const DATA_ENV: &str = "ML4A_DATA";

/// The directory that holds `mnist/` and `cifar-10-batches-bin/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDir(pub PathBuf);

impl DataDir {
    /// `explicit` (a `--data-dir` flag) if given, else `$ML4A_DATA`, else `data/` under
    /// `project_root`.
    pub fn resolve(explicit: Option<&Path>, project_root: &Path) -> DataDir {
        if let Some(p) = explicit {
            return DataDir(p.to_path_buf());
        }
        match std::env::var_os(DATA_ENV) {
            Some(v) if !v.is_empty() => DataDir(PathBuf::from(v)),
            _ => DataDir(project_root.join("data")),
        }
    }

    /// Loads `kind` from this directory.
    ///
    /// # Errors
    /// The dataset's error, naming the file, when it is missing or malformed.
    pub fn load(&self, kind: &DataKind) -> Result<Data, ExperimentError> {
        let opts = load_options();
        let loaded = match kind {
            DataKind::Mnist => datasets::mnist::load_with(&self.0, &opts),
            DataKind::Cifar10 => datasets::cifar10::load_with(&self.0, &opts),
            DataKind::Idx(dir) => datasets::idx::load_with(dir, None, &opts),
        };
        loaded.map(Data::new).map_err(|e| {
            // Only a missing file is fixed by placing files; a damaged one is described by the
            // error itself.
            let missing = matches!(
                e.kind,
                DatasetErrorKind::NotFound
                    | DatasetErrorKind::NotADirectory
                    | DatasetErrorKind::Missing { .. }
            );
            ExperimentError::Data {
                hint: missing.then(|| missing_hint(kind, &self.0)),
                source: Box::new(e),
            }
        })
    }
}

/// The environment variable that names where decompressed copies of compressed data go
/// (default: [`datasets::default_cache_dir`], the platform's cache directory).
pub const CACHE_ENV: &str = "ML4A_CACHE";

/// The readers' options: the cache directory from [`CACHE_ENV`] when it is set.
fn load_options() -> datasets::LoadOptions {
    let opts = datasets::LoadOptions::default();
    match std::env::var_os(CACHE_ENV) {
        Some(dir) if !dir.is_empty() => opts.with_cache_dir(PathBuf::from(dir)),
        _ => opts,
    }
}

/// What to do when a dataset is missing: where to put which files.
fn missing_hint(kind: &DataKind, dir: &Path) -> String {
    match kind {
        DataKind::Mnist => format!(
            "place train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz in {}, or point --data-dir / {DATA_ENV} elsewhere",
            dir.join("mnist").display()
        ),
        DataKind::Cifar10 => format!(
            "place cifar-10-binary.tar.gz in {} or extract it there (giving {}), or point --data-dir / {DATA_ENV} elsewhere",
            dir.display(),
            dir.join("cifar-10-batches-bin").display()
        ),
        DataKind::Idx(d) => format!(
            "{} must hold train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (each optionally .gz)",
            d.display()
        ),
    }
}

/// Class probabilities of `model` for every row of `feed`, evaluated in parallel batches.
///
/// # Errors
/// An introspection error when a label is outside the model's classes or a probability is not
/// finite.
pub fn predict(feed: &Feed<'_>, model: &Mlp) -> Result<introspect::Predictions, ExperimentError> {
    let classes = model.architecture().outputs();
    let p = introspect::evaluate(feed.labels(), classes, |r| {
        model.predict_proba(feed.rows(r).view())
    })?;
    Ok(p)
}

/// A loaded dataset with the [`fingerprint`] of its train split, computed once on first use:
/// every cache key of a run (networks, sweeps, convolutional nets) hashes the same pixels,
/// and hashing CIFAR-10's 138 MB each time cost more than the rest of a cached run's lookups.
#[derive(Debug)]
pub struct Data {
    loaded: Loaded,
    train_fingerprint: OnceLock<String>,
}

impl Data {
    /// Wraps `loaded`; nothing is hashed until [`Data::train_fingerprint`] is asked for.
    pub fn new(loaded: Loaded) -> Data {
        Data {
            loaded,
            train_fingerprint: OnceLock::new(),
        }
    }

    /// The [`fingerprint`] of the train split.
    pub fn train_fingerprint(&self) -> &str {
        self.train_fingerprint
            .get_or_init(|| fingerprint(&self.loaded.view(datasets::Split::Train)))
    }

    /// The dataset.
    pub fn loaded(&self) -> &Loaded {
        &self.loaded
    }

    /// The dataset, unwrapped (to change it: a changed dataset is wrapped anew).
    pub fn into_loaded(self) -> Loaded {
        self.loaded
    }
}

impl From<Loaded> for Data {
    fn from(loaded: Loaded) -> Data {
        Data::new(loaded)
    }
}

impl Deref for Data {
    type Target = Loaded;

    fn deref(&self) -> &Loaded {
        &self.loaded
    }
}

/// A SHA-256 of a view's pixels, labels and class names: what "the same data" means for the
/// model cache, whatever file format it was read from.
pub fn fingerprint(view: &DatasetView<'_>) -> String {
    let mut h = Sha256::new();
    let s = view.shape();
    h.update(format!("{}x{}x{} n={}", s.channels, s.height, s.width, view.len()).as_bytes());
    for (image, label) in view.iter() {
        h.update(image);
        h.update([label]);
    }
    for c in view.classes() {
        h.update(c.as_bytes());
        h.update([0]);
    }
    hex::encode(h.finalize())
}
