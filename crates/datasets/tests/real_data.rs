//! Loads the real MNIST and CIFAR-10 files from `ML4A_DATA`.
//!
//! Skipped, with a message, when `ML4A_DATA` is unset outside CI; under CI (the rule of
//! `datasets::ci::under_ci`, shared with the browser tests) a missing directory, a missing
//! file or a file of another size fails instead: CI must check what these tests claim.

use std::path::PathBuf;

use datasets::ci::under_ci;
use datasets::{BatchFiller, InputScaling, LoadOptions, Split, cifar10, mnist};
use md5::{Digest, Md5};
use tensor::Matrix;

/// Says why a check is skipped; panics instead under CI.
fn skip(why: &str) {
    assert!(
        !under_ci(),
        "CI is set, and {why}: the real-data checks must run in CI"
    );
    eprintln!("skipping: {why}");
}

fn data_dir() -> Option<PathBuf> {
    match std::env::var_os("ML4A_DATA") {
        Some(dir) => Some(PathBuf::from(dir)),
        None => {
            skip("ML4A_DATA is not set");
            None
        }
    }
}

#[test]
fn mnist_loads_with_the_known_counts() {
    let Some(dir) = data_dir() else { return };
    let loaded = mnist::load(&dir).unwrap();
    assert_eq!(loaded.train_file().len(), 60_000);
    assert_eq!(loaded.test_file().len(), 10_000);
    assert_eq!(loaded.view(Split::Train).range(), mnist::TRAIN);
    assert_eq!(loaded.view(Split::HeldOut).range(), mnist::HELD_OUT);

    // Published MNIST training-set label counts (digits 0..9).
    let known = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949];
    assert_eq!(loaded.train_file().all().class_counts(), known);
    let test = loaded.test_file().all().class_counts();
    assert_eq!(test.iter().sum::<usize>(), 10_000);
    assert!(test.iter().all(|&c| c > 0), "{test:?}");
    let held = loaded.view(Split::HeldOut).class_counts();
    assert_eq!(held.iter().sum::<usize>(), 10_000);
    // The first training labels are the well-known 5 0 4 1 9 2 1 3 1 4.
    assert_eq!(
        &loaded.train_file().labels()[..10],
        &[5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    );

    // Widely quoted MNIST training-set statistics: mean 0.1307, std 0.3081 (x / 255 scale).
    let stats = loaded.train_file().all().channel_stats();
    assert!((stats.mean[0] - 0.1307).abs() < 5e-4, "{stats:?}");
    assert!((stats.std[0] - 0.3081).abs() < 5e-4, "{stats:?}");

    // A batch from the held-out split equals its images / 255.
    let view = loaded.view(Split::HeldOut);
    let filler = BatchFiller::new(view.shape(), &InputScaling::UnitRange);
    let mut batch = Matrix::zeros(64, 784);
    let idx: Vec<usize> = (0..64).map(|i| i * 151).collect();
    filler.fill(&view, &idx, &mut batch);
    for (r, &i) in idx.iter().enumerate() {
        let want: Vec<f32> = view.image(i).iter().map(|&p| p as f32 / 255.0).collect();
        assert_eq!(batch.row(r), &want[..]);
    }

    // A second load (from the cache) sees the same data.
    let again = mnist::load_with(&dir, &LoadOptions::default()).unwrap();
    assert_eq!(
        again.train_file().image(59_999),
        loaded.train_file().image(59_999)
    );
}

#[test]
fn mnist_label_archives_match_the_official_md5() {
    // The shared data's README states its label files are byte-identical to the official ones;
    // this checks our recorded checksums against them (local image files are re-compressed, so
    // they are checked by content above, never by MD5).
    let Some(dir) = data_dir() else { return };
    for file in [&mnist::FILES[1], &mnist::FILES[3]] {
        let path = dir.join(mnist::DIR).join(file.name);
        if !path.exists() {
            skip(&format!(
                "{} is not there; its checksum is not checked",
                path.display()
            ));
            continue;
        }
        let got: String = Md5::digest(std::fs::read(&path).unwrap())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(got, file.md5, "{}", path.display());
    }
}

#[test]
fn cifar10_loads_with_the_known_counts() {
    let Some(dir) = data_dir() else { return };
    let loaded = cifar10::load(&dir).unwrap();
    assert_eq!(loaded.train_file().len(), 50_000);
    // The shared data holds the first 1,000 test images; the official archive holds 10,000.
    let n_test = loaded.test_file().len();
    assert!(n_test == 1_000 || n_test == 10_000, "{n_test}");
    assert_eq!(loaded.view(Split::Train).range(), cifar10::TRAIN);
    assert_eq!(loaded.view(Split::HeldOut).range(), cifar10::HELD_OUT);
    // Official class names, in label order: what batches.meta.txt holds is the crate's list.
    assert_eq!(loaded.train_file().classes(), cifar10::CLASSES);
    // The CIFAR-10 training set has exactly 5,000 images per class.
    assert_eq!(loaded.train_file().all().class_counts(), [5000; 10]);
    let test = loaded.test_file().all().class_counts();
    assert_eq!(test.iter().sum::<usize>(), n_test);
    assert!(test.iter().all(|&c| c > 0), "{test:?}");
    // data_batch_5 alone (the held-out split) is close to balanced but not exactly.
    assert_eq!(
        loaded
            .view(Split::HeldOut)
            .class_counts()
            .iter()
            .sum::<usize>(),
        10_000
    );

    // Widely quoted CIFAR-10 training-set channel statistics (x / 255 scale).
    let stats = loaded.train_file().all().channel_stats();
    for (c, (m, s)) in [(0.4914, 0.2470), (0.4822, 0.2435), (0.4465, 0.2616)]
        .into_iter()
        .enumerate()
    {
        assert!((stats.mean[c] - m).abs() < 5e-4, "{stats:?}");
        assert!((stats.std[c] - s).abs() < 5e-4, "{stats:?}");
    }

    // Images of the last file are read in place from their records.
    let image = loaded.train_file().image(49_999);
    assert_eq!(image.len(), 3072);
    let path = dir.join(cifar10::FOLDER).join("data_batch_5.bin");
    match std::fs::read(&path) {
        Ok(raw) if raw.len() == 10_000 * cifar10::RECORD_LEN => {
            let last = &raw[9_999 * cifar10::RECORD_LEN..];
            assert_eq!(last[0], loaded.train_file().label(49_999));
            assert_eq!(&last[1..], image);
        }
        // The archive form (`cifar-10-binary.tar.gz`) has no loose record file to compare.
        Ok(raw) => skip(&format!(
            "{} has {} bytes, not 10,000 records",
            path.display(),
            raw.len()
        )),
        Err(e) => skip(&format!(
            "{} unreadable ({e}); records not compared",
            path.display()
        )),
    }
}
