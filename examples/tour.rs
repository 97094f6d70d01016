//! The toolkit in one sitting: load MNIST, train a 784-32-10 network, evaluate it, draw its
//! confusion matrix and first-layer templates, save it, load it back and check it predicts the
//! same. `cargo run --release -p ml4a-examples --example tour -- DATA_DIR` (writes `out/tour/`).
use datasets::{BatchSource, Feed, InputScaling::UnitRange, Split};
use introspect::{ConfusionMatrix, DisplayScale, Templates, evaluate};
use nn::{Activation, Architecture, Init, Mlp, SgdConfig, TrainConfig, checkpoint, init};
use render::{Raster, confusion::counts_table, grid::GridOptions, grid::image_grid};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data_dir = std::env::args().nth(1).unwrap_or("data".into());
    let out = std::path::Path::new("out/tour");
    std::fs::create_dir_all(out)?;

    // Load, and train on the chapter's training split.
    let data = datasets::mnist::load(data_dir.as_ref())?;
    let train = Feed::new(data.view(Split::Train), &UnitRange);
    let held_out = Feed::new(data.view(Split::HeldOut), &UnitRange);
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
        println!("epoch {}: {:.4}", r.epoch, r.loss)
    })?;

    // Evaluate on the held-out split: any model plugs in as a closure over row ranges.
    let predict = |m: &Mlp| {
        evaluate(held_out.labels(), 10, |r| {
            m.predict_proba(held_out.rows(r).view())
        })
    };
    let predictions = predict(&model)?;
    let confusion = ConfusionMatrix::from_predictions(&predictions);
    println!("{confusion}");

    // Draw the confusion table, and what each hidden unit's weights look like.
    let (rows, classes) = (confusion.to_rows(), train.view().classes());
    atomicfile::write(
        out.join("confusion.png"),
        &counts_table(&rows, classes, &Default::default()).encode_png(),
    )?;
    let templates = Templates::from_weight(&model.layers()[0].weight, train.view().shape());
    let tile =
        |u| Raster::from_planar_unit(&templates.image(u, DisplayScale::PerUnitMinMax), 1, 28, 28);
    let grid = image_grid(
        &(0..templates.len()).map(tile).collect::<Vec<_>>(),
        &GridOptions::new(8),
    );
    atomicfile::write(out.join("templates.png"), &grid.encode_png())?;

    // Save, load back, and check the copy predicts exactly the same.
    checkpoint::save(&model, &out.join("model.ckpt"))?;
    let back = checkpoint::load(&out.join("model.ckpt"), Some(model.architecture()))?;
    assert_eq!(predict(&back)?.predicted(), predictions.predicted());
    let accuracy = 100.0 * confusion.accuracy().unwrap_or(0.0);
    println!("held-out accuracy {accuracy:.2}%; wrote {}", out.display());
    Ok(())
}
