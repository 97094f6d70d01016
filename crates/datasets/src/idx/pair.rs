//! Image and label files paired into a [`Dataset`]: dimensions, counts and labels checked
//! against each other.

use std::path::Path;

use crate::cache::LoadOptions;
use crate::dataset::{Segment, check_classes, check_labels};
use crate::{Dataset, DatasetError, DatasetErrorKind, ImageShape};

use super::file::*;

/// An opened image file and label file, checked against each other.
pub(super) struct Pair {
    pub(super) images: IdxFile,
    pub(super) labels: IdxFile,
    pub(super) shape: ImageShape,
}

impl Pair {
    pub(super) fn open(
        images: &Path,
        labels: &Path,
        opts: &LoadOptions,
    ) -> Result<Pair, DatasetError> {
        Pair::new(IdxFile::open(images, opts)?, IdxFile::open(labels, opts)?)
    }

    pub(super) fn new(images: IdxFile, labels: IdxFile) -> Result<Pair, DatasetError> {
        let shape = match *images.dims() {
            [_, h, w] => ImageShape {
                channels: 1,
                height: h,
                width: w,
            },
            [_, c, h, w] => ImageShape {
                channels: c,
                height: h,
                width: w,
            },
            _ => return Err(bad_dims(&images, "(N, H, W) or (N, C, H, W)")),
        };
        if shape.checked_len().is_none_or(|l| l == 0) {
            return Err(bad_dims(&images, "images of at least one pixel"));
        }
        if labels.dims().len() != 1 {
            return Err(bad_dims(&labels, "(N) labels"));
        }
        let (n_images, n_labels) = (images.dims()[0], labels.dims()[0]);
        if n_images != n_labels {
            return Err(DatasetError::new(
                labels.path(),
                DatasetErrorKind::CountMismatch {
                    images: n_images,
                    labels: n_labels,
                },
            ));
        }
        Ok(Pair {
            images,
            labels,
            shape,
        })
    }

    pub(super) fn max_label(&self) -> Option<u8> {
        self.labels.data().iter().copied().max()
    }

    pub(super) fn into_dataset(self, classes: Vec<String>) -> Result<Dataset, DatasetError> {
        check_labels(self.labels.data(), classes.len())
            .map_err(|k| DatasetError::new(self.labels.path(), k))?;
        let n = self.labels.dims()[0];
        let header_len = self.labels.header().header_len();
        let segment = Segment {
            offset: self.images.header().header_len(),
            stride: self.shape.len(),
            count: n,
            bytes: self.images.bytes,
        };
        Ok(Dataset::from_parts(
            self.shape,
            classes,
            vec![segment],
            self.labels.bytes,
            header_len..header_len + n,
        ))
    }
}

pub(super) fn bad_dims(file: &IdxFile, expected: &'static str) -> DatasetError {
    DatasetError::new(
        file.path(),
        DatasetErrorKind::BadDims {
            expected,
            found: file.dims().to_vec(),
        },
    )
}

/// Class names `"0"`, `"1"`, ... up to the largest label present.
pub(super) fn numbered_classes(max_label: Option<u8>) -> Vec<String> {
    (0..=max_label.unwrap_or(0) as usize)
        .map(|k| k.to_string())
        .collect()
}

/// Loads an image file (IDX u8, dims (N, H, W) or (N, C, H, W)) and its label file (IDX u8,
/// dims (N)) as one dataset. `classes` names the labels; `None` names them `"0"` up to the
/// largest label present.
///
/// # Errors
/// As [`IdxFile::open`] for either file, and a [`DatasetError`] when the dimensions are not
/// images / labels, the counts differ, or a label is not below the class count.
pub fn load_pair(
    images: &Path,
    labels: &Path,
    classes: Option<Vec<String>>,
    opts: &LoadOptions,
) -> Result<Dataset, DatasetError> {
    pair_dataset(
        IdxFile::open(images, opts)?,
        IdxFile::open(labels, opts)?,
        classes,
    )
}

/// [`load_pair`] for files already opened (for example read from memory with
/// [`IdxFile::from_bytes`]).
///
/// # Errors
/// A [`DatasetError`] naming the file at fault when the dimensions are not images / labels,
/// the counts differ, the class names are unusable, or a label is not below the class count.
pub fn pair_dataset(
    images: IdxFile,
    labels: IdxFile,
    classes: Option<Vec<String>>,
) -> Result<Dataset, DatasetError> {
    let pair = Pair::new(images, labels)?;
    let classes = classes.unwrap_or_else(|| numbered_classes(pair.max_label()));
    check_classes(&classes).map_err(|k| DatasetError::new(pair.labels.path(), k))?;
    pair.into_dataset(classes)
}
