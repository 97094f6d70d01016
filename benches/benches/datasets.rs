//! Loading MNIST cold (gzip expanded into a fresh cache) and warm (cache mapped), and filling the
//! training loop's 64x784 batch. Data comes from `ML4A_DATA`; without it only the batch fill is
//! measured, on synthetic images of the same shape.

use std::fs;
use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use datasets::{
    BatchFiller, Dataset, ImageShape, InputScaling, LoadOptions, Split, cifar10, mnist,
};
use tensor::Matrix;

fn data_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("ML4A_DATA").map(PathBuf::from);
    if dir.is_none() {
        eprintln!("ML4A_DATA is not set: skipping the MNIST load benchmarks");
    }
    dir
}

/// A fresh, writable copy of `src/mnist/` (the .gz files and nothing cached), in a new temp dir.
fn fresh_copy(src: &Path) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let dst = tmp.path().join(mnist::DIR);
    fs::create_dir(&dst).unwrap();
    for entry in fs::read_dir(src.join(mnist::DIR)).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if !name.to_string_lossy().starts_with('.') {
            fs::copy(entry.path(), dst.join(name)).unwrap();
        }
    }
    tmp
}

fn load(c: &mut Criterion) {
    let Some(dir) = data_dir() else { return };
    let mut group = c.benchmark_group("mnist_load");
    group.sample_size(10);
    // Cold: every iteration gets a fresh copy of the archives (made outside the timing), so the
    // load decompresses all four files and writes their cache entries.
    group.bench_function("cold", |b| {
        b.iter_batched(
            || fresh_copy(&dir),
            |copy| {
                let loaded = mnist::load(copy.path()).unwrap();
                (black_box(loaded), copy)
            },
            BatchSize::PerIteration,
        )
    });
    // Warm: the cache entries exist; a load maps them and checks their headers.
    let opts = LoadOptions::default();
    mnist::load_with(&dir, &opts).unwrap();
    group.bench_function("warm", |b| {
        b.iter(|| black_box(mnist::load_with(&dir, &opts).unwrap()))
    });
    group.finish();
}

/// 64 indices spread over `n`, as a shuffled epoch would give.
fn indices(n: usize) -> Vec<usize> {
    (0..64).map(|i| (i * 7919 + 13) % n).collect()
}

fn synthetic(shape: ImageShape, n: usize) -> Dataset {
    let pixels = (0..n * shape.len()).map(|i| (i * 31 % 256) as u8).collect();
    let labels = (0..n).map(|i| (i % 10) as u8).collect();
    Dataset::new(
        pixels,
        labels,
        (0..10).map(|k| k.to_string()).collect(),
        shape,
    )
    .unwrap()
}

fn fill(c: &mut Criterion) {
    let dir = std::env::var_os("ML4A_DATA").map(PathBuf::from);
    let mnist = match &dir {
        Some(d) => mnist::load(d).unwrap().train_file().clone(),
        None => synthetic(datasets::mnist::SHAPE, 60_000),
    };
    let mut group = c.benchmark_group("fill_batch");
    let view = mnist.view(mnist::TRAIN);
    let idx = indices(view.len());
    let mut out = Matrix::zeros(64, 784);
    for (name, norm) in [
        ("64x784_unit_range", InputScaling::UnitRange),
        (
            "64x784_standardize",
            InputScaling::Standardize(view.channel_stats()),
        ),
    ] {
        let filler = BatchFiller::new(view.shape(), &norm);
        group.bench_function(name, |b| {
            b.iter(|| filler.fill(black_box(&view), black_box(&idx), &mut out))
        });
    }
    // CIFAR-10's batch: 3072 values per row, read in place from the mapped records.
    if let Some(Ok(cifar)) = dir.as_deref().map(cifar10::load) {
        let view = cifar.view(Split::Train);
        let idx = indices(view.len());
        let filler = BatchFiller::new(view.shape(), &InputScaling::UnitRange);
        let mut out = Matrix::zeros(64, 3072);
        group.bench_function("64x3072_cifar_unit_range", |b| {
            b.iter(|| filler.fill(black_box(&view), black_box(&idx), &mut out))
        });
    }
    group.finish();
}

criterion_group!(benches, load, fill);
criterion_main!(benches);
