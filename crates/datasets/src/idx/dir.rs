//! A folder of the four standard IDX files, found by name (raw or `.gz`) and loaded as
//! train and test sets.

use std::path::{Path, PathBuf};

use crate::cache::LoadOptions;
use crate::dataset::check_classes;
use crate::storage;
use crate::{DatasetError, DatasetErrorKind, ImageShape, Loaded, Splits};

use super::{TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS, pair::*};

/// Loads the four standard IDX files held by `dir` itself (each raw or `.gz`; unlike
/// [`mnist::load`](crate::mnist::load), which looks in `data_dir/mnist/`), with classes named
/// `"0"` up to the largest label and the default [`LoadOptions`]: Fashion-MNIST, KMNIST or your
/// own set in one call.
///
/// # Errors
/// As [`load_with`].
pub fn load(dir: &Path) -> Result<Loaded, DatasetError> {
    load_with(dir, None, &LoadOptions::default())
}

/// Loads the four standard IDX files of `dir` (each raw or `.gz`): the training set, and the
/// test set as [`Split::Test`](crate::Split::Test). The last sixth of the training set is held
/// out (for MNIST's 60,000 images: `50_000..60_000`, the chapter's split). `classes` names the
/// labels; `None` names them `"0"` up to the largest label in either set.
///
/// # Errors
/// [`DatasetErrorKind::Missing`] (naming every absent file) when files are absent, and as
/// [`load_pair`] for each pair; a [`DatasetErrorKind::ShapeMismatch`] when train and test
/// images differ in shape.
pub fn load_with(
    dir: &Path,
    classes: Option<Vec<String>>,
    opts: &LoadOptions,
) -> Result<Loaded, DatasetError> {
    load_dir(
        dir,
        classes,
        opts,
        "IDX",
        None,
        "each may be raw or gzip-compressed (with .gz)",
    )
}

/// Resolves `dir/name`, preferring the raw file over `name.gz`.
pub(super) fn find(dir: &Path, name: &str) -> Option<PathBuf> {
    let raw = dir.join(name);
    if raw.exists() {
        return Some(raw);
    }
    let gz = dir.join(format!("{name}.gz"));
    gz.exists().then_some(gz)
}

/// [`load_with`] with the dataset's name and hint for a missing-files error, and an
/// optional required image shape.
pub(crate) fn load_dir(
    dir: &Path,
    classes: Option<Vec<String>>,
    opts: &LoadOptions,
    dataset: &'static str,
    shape: Option<ImageShape>,
    hint: &str,
) -> Result<Loaded, DatasetError> {
    let names = [TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS];
    if dir.exists() {
        storage::require_dir(dir)?;
    }
    let found = names.map(|n| find(dir, n));
    let missing: Vec<String> = names
        .iter()
        .zip(&found)
        .filter(|(_, f)| f.is_none())
        .map(|(n, _)| format!("{n}.gz"))
        .collect();
    let [Some(tri), Some(trl), Some(tei), Some(tel)] = found else {
        return Err(DatasetError::new(
            dir,
            DatasetErrorKind::Missing {
                dataset,
                files: missing,
                hint: hint.to_string(),
            },
        ));
    };
    let train = Pair::open(&tri, &trl, opts)?;
    let test = Pair::open(&tei, &tel, opts)?;
    let expected = shape.unwrap_or(train.shape);
    for (pair, path) in [(&train, &tri), (&test, &tei)] {
        if pair.shape != expected {
            return Err(DatasetError::new(
                path,
                DatasetErrorKind::ShapeMismatch {
                    expected,
                    found: pair.shape,
                },
            ));
        }
    }
    let classes =
        classes.unwrap_or_else(|| numbered_classes(train.max_label().max(test.max_label())));
    check_classes(&classes).map_err(|k| DatasetError::new(dir, k))?;
    let train = train.into_dataset(classes.clone())?;
    let test = test.into_dataset(classes)?;
    let splits = Splits::hold_out_last(train.len(), train.len() / 6);
    Ok(Loaded::new(train, test, splits))
}
