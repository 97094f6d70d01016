//! Where the data lives and how a dataset view feeds training and evaluation.

use std::ops::Range;
use std::path::{Path, PathBuf};

use datasets::{BatchFiller, DatasetView, InputScaling, Loaded};
use nn::{BatchSource, Mlp};
use sha2::{Digest, Sha256};
use tensor::Matrix;

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
    pub fn load(&self, kind: &DataKind) -> Result<Loaded, ExperimentError> {
        let loaded = match kind {
            DataKind::Mnist => datasets::mnist::load(&self.0),
            DataKind::Cifar10 => datasets::cifar10::load(&self.0),
            DataKind::Idx(dir) => {
                datasets::idx::load_pair_dir(dir, None, &datasets::LoadOptions::default())
            }
        };
        loaded.map_err(|e| ExperimentError::Data {
            source: Box::new(e),
            hint: missing_hint(kind, &self.0),
        })
    }
}

/// What to do when a dataset is missing: where to put which files.
fn missing_hint(kind: &DataKind, dir: &Path) -> String {
    match kind {
        DataKind::Mnist => format!(
            "place train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz in {}, or run `cargo xtask download` with network access (or point --data-dir / {DATA_ENV} elsewhere)",
            dir.join("mnist").display()
        ),
        DataKind::Cifar10 => format!(
            "place cifar-10-binary.tar.gz in {} or extract it there (giving {}), or run `cargo xtask download` with network access (or point --data-dir / {DATA_ENV} elsewhere)",
            dir.display(),
            dir.join("cifar-10-batches-bin").display()
        ),
        DataKind::Idx(d) => format!(
            "{} must hold train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (each optionally .gz)",
            d.display()
        ),
    }
}

/// A dataset view with its normalisation: a [`BatchSource`] for training and the input of
/// evaluation.
pub struct Feed<'a> {
    view: DatasetView<'a>,
    filler: BatchFiller,
}

impl<'a> Feed<'a> {
    /// Feeds `view` through `norm`.
    pub fn new(view: DatasetView<'a>, norm: &InputScaling) -> Self {
        Feed {
            filler: BatchFiller::new(view.shape(), norm),
            view,
        }
    }

    /// The view.
    pub fn view(&self) -> &DatasetView<'a> {
        &self.view
    }

    /// The rows `range` of the view as a normalised matrix.
    pub fn rows(&self, range: Range<usize>) -> Matrix {
        let idx: Vec<usize> = range.collect();
        let mut m = Matrix::zeros(idx.len(), self.view.shape().len());
        self.filler.fill(&self.view, &idx, &mut m);
        m
    }

    /// Class probabilities of `model` for every row of the view, evaluated in parallel
    /// batches.
    ///
    /// # Errors
    /// An introspection error when a label is outside the model's classes or a probability is
    /// not finite.
    pub fn predict(&self, model: &Mlp) -> Result<introspect::Predictions, ExperimentError> {
        let classes = model.architecture().outputs();
        let p = introspect::evaluate(self.view.len(), 500, classes, self.view.labels(), |r| {
            model.predict_proba(self.rows(r).view())
        })?;
        Ok(p)
    }
}

impl BatchSource for Feed<'_> {
    fn len(&self) -> usize {
        self.view.len()
    }

    fn dim(&self) -> usize {
        self.view.shape().len()
    }

    fn fill(&self, indices: &[usize], out: &mut Matrix) {
        self.filler.fill(&self.view, indices, out);
    }

    fn label(&self, index: usize) -> u8 {
        self.view.label(index)
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
