//! Loads whatever the data directory holds (MNIST, CIFAR-10, Fashion-MNIST in IDX form) and
//! fills one batch from each: `cargo run -p ml4a-datasets --example load -- DATA_DIR`.
//!
//! The directory defaults to `$ML4A_DATA`, else `data/`. Fashion-MNIST is looked for in
//! `DATA_DIR/fashion-mnist/` (its four IDX files under their standard names).

use std::path::PathBuf;

use datasets::{BatchSource, DatasetError, Feed, InputScaling, Loaded, Split, cifar10, idx, mnist};

fn main() {
    let dir: PathBuf = std::env::args_os()
        .nth(1)
        .or_else(|| std::env::var_os("ML4A_DATA"))
        .unwrap_or_else(|| "data".into())
        .into();
    let sets: [(&str, Result<Loaded, DatasetError>); 3] = [
        ("MNIST", mnist::load(&dir)),
        ("CIFAR-10", cifar10::load(&dir)),
        ("Fashion-MNIST", idx::load(&dir.join("fashion-mnist"))),
    ];
    for (name, loaded) in sets {
        match loaded {
            Ok(data) => describe(name, &data),
            // A missing set is normal here; the error names the file and says what to do.
            Err(e) => println!("{name}: not loaded: {e}"),
        }
    }
}

fn describe(name: &str, data: &Loaded) {
    let train = data.view(Split::Train);
    let s = train.shape();
    println!(
        "{name}: {} training, {} held-out, {} test images of {}x{}x{}; classes {:?}",
        train.len(),
        data.view(Split::HeldOut).len(),
        data.view(Split::Test).len(),
        s.channels,
        s.height,
        s.width,
        train.classes()
    );
    // The first 64 training images as f32 rows in [0, 1], labels beside them.
    let feed = Feed::new(train, &InputScaling::UnitRange);
    let batch = feed.rows(0..64.min(feed.len()));
    let mean = batch.as_slice().iter().sum::<f32>() / batch.as_slice().len().max(1) as f32;
    let labels: Vec<u8> = (0..batch.rows()).map(|i| feed.label(i)).take(10).collect();
    println!(
        "  a batch of {} x {}: mean value {mean:.3}, first labels {labels:?}",
        batch.rows(),
        batch.cols()
    );
}
