//! Trains a 784-32-10 network on MNIST's training split, straight from a dataset view:
//! `cargo run --release -p ml4a-nn --example train_mnist -- DATA_DIR` (default `$ML4A_DATA`,
//! else `data/`; the folder holds `mnist/`).

use std::path::PathBuf;

use datasets::{BatchSource, Feed, InputScaling, Split};
use nn::{Activation, Architecture, Init, Mlp, SgdConfig, TrainConfig, init};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir: PathBuf = std::env::args_os()
        .nth(1)
        .or_else(|| std::env::var_os("ML4A_DATA"))
        .unwrap_or_else(|| "data".into())
        .into();
    let data = datasets::mnist::load(&dir)?;
    let train = Feed::new(data.view(Split::Train), &InputScaling::UnitRange);
    let arch = Architecture::classifier(train.dim(), &[32], Activation::Sigmoid, 10);
    let mut model = Mlp::new(arch, Init::UniformFanIn, &mut init::rng(1));
    let sgd = SgdConfig {
        lr: 0.05,
        momentum: 0.9,
        weight_decay: 0.0,
    };
    let config = TrainConfig {
        epochs: 3,
        batch_size: 64,
        sgd,
        shuffle_seed: 1,
    };
    nn::train(&mut model, &config, &train, &mut |r, _| {
        println!(
            "epoch {}: loss {:.4}, train accuracy {:.2}%",
            r.epoch,
            r.loss,
            100.0 * r.accuracy
        )
    })?;
    // Held-out accuracy, by hand: the argmax of each row against its label.
    let held = Feed::new(data.view(Split::HeldOut), &InputScaling::UnitRange);
    let probs = model.predict_proba(held.rows(0..held.len()).view());
    let correct = (0..held.len())
        .filter(|&i| {
            let row = probs.row(i);
            let best = (0..row.len()).max_by(|&a, &b| row[a].total_cmp(&row[b]));
            best == Some(usize::from(held.label(i)))
        })
        .count();
    println!(
        "held-out accuracy: {:.2}%",
        100.0 * correct as f64 / held.len() as f64
    );
    Ok(())
}
