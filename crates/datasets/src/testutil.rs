//! Writers the tests own: IDX files, CIFAR-10 records, gzip and tar.gz, and a folder layout.

use std::fs;
use std::io::Write;
use std::path::Path;

use flate2::Compression;
use flate2::write::GzEncoder;

use crate::ImageShape;
use crate::idx::{TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS};

/// An IDX u8 file with dimensions `dims` holding `data`.
pub(crate) fn idx_bytes(dims: &[usize], data: &[u8]) -> Vec<u8> {
    assert_eq!(
        dims.iter().product::<usize>(),
        data.len(),
        "test writer misuse"
    );
    let mut out = vec![0, 0, 0x08, dims.len() as u8];
    for &d in dims {
        out.extend((d as u32).to_be_bytes());
    }
    out.extend_from_slice(data);
    out
}

/// `bytes` gzip-compressed.
pub(crate) fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// Writes the four standard IDX files for a train set and a test set (pixels, labels).
pub(crate) fn write_idx_dir(
    dir: &Path,
    shape: ImageShape,
    train: (&[u8], &[u8]),
    test: (&[u8], &[u8]),
    gz: bool,
) {
    let dims = |n: usize| -> Vec<usize> {
        if shape.channels == 1 {
            vec![n, shape.height, shape.width]
        } else {
            vec![n, shape.channels, shape.height, shape.width]
        }
    };
    let files = [
        (TRAIN_IMAGES, idx_bytes(&dims(train.1.len()), train.0)),
        (TRAIN_LABELS, idx_bytes(&[train.1.len()], train.1)),
        (TEST_IMAGES, idx_bytes(&dims(test.1.len()), test.0)),
        (TEST_LABELS, idx_bytes(&[test.1.len()], test.1)),
    ];
    for (name, bytes) in files {
        if gz {
            fs::write(dir.join(format!("{name}.gz")), gzip(&bytes)).unwrap();
        } else {
            fs::write(dir.join(name), bytes).unwrap();
        }
    }
}

/// CIFAR-10 records: for each image, its label byte then its 3072 pixel bytes.
pub(crate) fn cifar_records(labels: &[u8], pixels: &[u8]) -> Vec<u8> {
    assert_eq!(labels.len() * 3072, pixels.len(), "test writer misuse");
    let mut out = Vec::with_capacity(labels.len() * 3073);
    for (l, img) in labels.iter().zip(pixels.chunks_exact(3072)) {
        out.push(*l);
        out.extend_from_slice(img);
    }
    out
}

/// A `.tar.gz` holding `files` under `cifar-10-batches-bin/`.
pub(crate) fn tar_gz(files: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::fast()));
    for (name, bytes) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder
            .append_data(
                &mut header,
                format!("cifar-10-batches-bin/{name}"),
                &bytes[..],
            )
            .unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap()
}
