//! MNIST: the four IDX files under `DATA_DIR/mnist/`, the chapter's splits, and the download.

use std::ops::Range;
use std::path::Path;

#[cfg(feature = "download")]
use crate::download::Progress;
use crate::download::{self, RemoteFile};
use crate::{DatasetError, ImageShape, LoadOptions, Loaded, idx};

/// The folder under a data directory that holds MNIST.
pub const DIR: &str = "mnist";

/// Training indices the chapter trains on.
pub const TRAIN: Range<usize> = 0..50_000;
/// Training indices the chapter evaluates on (its 91.28% was measured here).
pub const HELD_OUT: Range<usize> = 50_000..60_000;

/// The shape of every MNIST image: one 28x28 plane.
pub const SHAPE: ImageShape = ImageShape {
    channels: 1,
    height: 28,
    width: 28,
};

/// Class names: the digits.
pub const CLASSES: [&str; 10] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

/// Where the official files are published: the copy PyTorch's torchvision downloads from, as
/// the original site (yann.lecun.com) often refuses downloads.
pub const BASE_URL: &str = "https://ossci-datasets.s3.amazonaws.com/mnist/";

/// The four official files: their official MD5s (of the `.gz` files, and of their
/// decompressed content, as published with the dataset's common loaders) and sizes.
pub const FILES: [RemoteFile; 4] = [
    RemoteFile {
        name: "train-images-idx3-ubyte.gz",
        url: "https://ossci-datasets.s3.amazonaws.com/mnist/train-images-idx3-ubyte.gz",
        md5: "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        content_md5: Some("6bbc9ace898e44ae57da46a324031adb"),
        size: 9_912_422,
    },
    RemoteFile {
        name: "train-labels-idx1-ubyte.gz",
        url: "https://ossci-datasets.s3.amazonaws.com/mnist/train-labels-idx1-ubyte.gz",
        md5: "d53e105ee54ea40749a09fcbcd1e9432",
        content_md5: Some("a25bea736e30d166cdddb491f175f624"),
        size: 28_881,
    },
    RemoteFile {
        name: "t10k-images-idx3-ubyte.gz",
        url: "https://ossci-datasets.s3.amazonaws.com/mnist/t10k-images-idx3-ubyte.gz",
        md5: "9fb629c4189551a2d022fa330f9573f3",
        content_md5: Some("2646ac647ad5339dbf082846283269ea"),
        size: 1_648_877,
    },
    RemoteFile {
        name: "t10k-labels-idx1-ubyte.gz",
        url: "https://ossci-datasets.s3.amazonaws.com/mnist/t10k-labels-idx1-ubyte.gz",
        md5: "ec29112dd5afa0611ce80d1b7f02629c",
        content_md5: Some("27ae3e4e09519cfbb04c329615203637"),
        size: 4_542,
    },
];

/// Loads MNIST from `data_dir/mnist/` with default options. See [`load_with`].
///
/// # Errors
/// As [`load_with`].
pub fn load(data_dir: &Path) -> Result<Loaded, DatasetError> {
    load_with(data_dir, &LoadOptions::default())
}

/// Loads MNIST from `data_dir/mnist/`: the four standard IDX files, each raw or gzip. Images
/// must be 1x28x28; classes are the digits. With the official 60,000 training images the splits
/// are [`TRAIN`] and [`HELD_OUT`] (in general the last sixth is held out).
///
/// # Errors
/// [`DatasetErrorKind::Missing`](crate::DatasetErrorKind::Missing) when files are absent (its
/// message names them and the directory: the cue to offer [`download()`]), a
/// [`DatasetErrorKind::ShapeMismatch`](crate::DatasetErrorKind::ShapeMismatch) for images that
/// are not 28x28, and every error of [`idx::load_with`].
pub fn load_with(data_dir: &Path, opts: &LoadOptions) -> Result<Loaded, DatasetError> {
    let classes = CLASSES.iter().map(|c| c.to_string()).collect();
    let hint = format!("the files may be gzip or raw; official copies: {BASE_URL}");
    idx::load_dir(
        &data_dir.join(DIR),
        Some(classes),
        opts,
        "MNIST",
        Some(SHAPE),
        &hint,
    )
}

/// The official files missing from `data_dir/mnist/` (a decompressed copy counts as present).
pub fn missing(data_dir: &Path) -> Vec<&'static RemoteFile> {
    download::missing(&data_dir.join(DIR), &FILES)
}

#[cfg(feature = "download")]
/// Downloads the official files missing from `data_dir/mnist/`, from their official URLs or
/// from `mirror` (a base URL holding the same file names), verifying each against its official
/// checksum.
///
/// # Errors
/// As [`download::fetch_all`].
pub fn download(
    data_dir: &Path,
    mirror: Option<&str>,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<(), DatasetError> {
    download::fetch_all(&FILES, &data_dir.join(DIR), mirror, progress)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::write_idx_dir;
    use crate::{DatasetErrorKind, Split};
    use std::fs;

    #[test]
    fn loads_a_small_mnist_shaped_set() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join(DIR)).unwrap();
        let n = 12;
        let pixels: Vec<u8> = (0..n * 784).map(|i| (i % 256) as u8).collect();
        let labels: Vec<u8> = (0..n as u8).map(|i| i % 10).collect();
        write_idx_dir(
            &dir.path().join(DIR),
            SHAPE,
            (&pixels, &labels),
            (&pixels[..784], &labels[..1]),
            true,
        );
        let loaded = load(dir.path()).unwrap();
        assert_eq!(loaded.train_file().classes(), CLASSES);
        assert_eq!(loaded.view(Split::Train).len(), 10);
        assert_eq!(loaded.view(Split::HeldOut).labels(), &[0, 1]);
        assert_eq!(loaded.view(Split::Test).image(0), &pixels[..784]);
    }

    #[test]
    fn rejects_other_shapes_and_labels() {
        let dir = tempfile::tempdir().unwrap();
        let m = dir.path().join(DIR);
        fs::create_dir(&m).unwrap();
        let s = ImageShape {
            channels: 1,
            height: 2,
            width: 2,
        };
        write_idx_dir(&m, s, (&[0; 4], &[1]), (&[0; 4], &[2]), false);
        let e = load(dir.path()).unwrap_err();
        assert!(
            matches!(e.kind, DatasetErrorKind::ShapeMismatch { .. }),
            "{e}"
        );
        write_idx_dir(&m, SHAPE, (&[0; 784], &[10]), (&[0; 784], &[2]), false);
        let e = load(dir.path()).unwrap_err();
        assert!(
            matches!(e.kind, DatasetErrorKind::LabelOutOfRange { label: 10, .. }),
            "{e}"
        );
    }

    #[test]
    fn missing_mnist_says_what_to_place_where() {
        let dir = tempfile::tempdir().unwrap();
        let e = load(dir.path()).unwrap_err();
        assert_eq!(e.path, dir.path().join("mnist"));
        let msg = e.kind.to_string();
        expect_test::expect!["MNIST files missing from this directory: train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz; the files may be gzip or raw; official copies: https://ossci-datasets.s3.amazonaws.com/mnist/"].assert_eq(&msg);
    }

    #[test]
    fn split_constants_are_what_the_generic_rule_gives() {
        let s = crate::Splits::hold_out_last(60_000, 60_000 / 6);
        assert_eq!((s.train, s.held_out), (TRAIN, HELD_OUT));
    }
}
