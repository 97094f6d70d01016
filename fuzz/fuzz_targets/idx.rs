//! IDX from memory: one file's header and data, then an image + label pair checked against each
//! other and read through, as training would read it.
#![no_main]

use datasets::idx::{IdxFile, pair_dataset};
use datasets::{BatchFiller, LoadOptions, InputScaling};
use libfuzzer_sys::fuzz_target;
use tensor::Matrix;

fuzz_target!(|data: &[u8]| {
    let opts = LoadOptions::default();
    let _ = IdxFile::from_bytes(data.to_vec(), &opts);

    // The first two bytes say where the image file ends and the label file begins.
    let Some((split, rest)) = data.split_first_chunk::<2>() else {
        return;
    };
    let at = (u16::from_le_bytes(*split) as usize).min(rest.len());
    let (images, labels) = rest.split_at(at);
    let (Ok(images), Ok(labels)) = (
        IdxFile::from_bytes(images.to_vec(), &opts),
        IdxFile::from_bytes(labels.to_vec(), &opts),
    ) else {
        return;
    };
    let Ok(ds) = pair_dataset(images, labels, None) else {
        return;
    };
    let all = ds.all();
    let counts = all.class_counts();
    assert_eq!(counts.iter().sum::<usize>(), ds.len());
    for (image, label) in all.iter() {
        assert_eq!(image.len(), ds.shape().len());
        assert!((label as usize) < ds.num_classes());
    }
    // A batch of every image, when a batch of this width is small enough to build here.
    if ds.shape().len() <= 1 << 12 && !ds.is_empty() {
        let filler = BatchFiller::new(ds.shape(), &InputScaling::UnitRange);
        let idx: Vec<usize> = (0..ds.len()).rev().collect();
        let mut batch = Matrix::zeros(idx.len(), ds.shape().len());
        filler.fill(&all, &idx, &mut batch);
        assert!(batch.as_slice().iter().all(|v| (0.0..=1.0).contains(v)));
    }
});
