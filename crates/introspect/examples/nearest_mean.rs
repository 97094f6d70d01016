//! Looks inside a classifier that is not a neural network: nearest class mean on three
//! overlapping clusters of points, generated here. `cargo run -p ml4a-introspect --example
//! nearest_mean`.

use introspect::{ConfusionMatrix, TopSamples, evaluate, select_mistakes};
use tensor::Matrix;

fn main() -> Result<(), introspect::IntrospectError> {
    // 300 points on a line, class c centred on 2c, with a deterministic spread of +-1.6 so
    // that neighbours overlap.
    let n = 300;
    let labels: Vec<u8> = (0..n).map(|i| (i % 3) as u8).collect();
    let xs: Vec<f32> = (0..n)
        .map(|i| 2.0 * (i % 3) as f32 + 1.6 * (((i * 37) % 101) as f32 / 50.0 - 1.0))
        .collect();
    let means: Vec<f32> = (0..3)
        .map(|c| {
            let of_c: Vec<f32> = (0..n).filter(|&i| labels[i] == c).map(|i| xs[i]).collect();
            of_c.iter().sum::<f32>() / of_c.len() as f32
        })
        .collect();
    // The "model": a softmax over minus the squared distance to each mean.
    let model = |range: std::ops::Range<usize>| {
        Matrix::from_fn(range.len(), 3, |i, c| {
            let x = xs[range.start + i];
            let score = |k: usize| (-(x - means[k]).powi(2)).exp();
            score(c) / (0..3).map(score).sum::<f32>()
        })
    };
    let predictions = evaluate(&labels, 3, model)?;
    println!("{}", ConfusionMatrix::from_predictions(&predictions));
    let tops = TopSamples::from_predictions(&predictions);
    for (cell, best) in tops.best_per_cell().iter().enumerate() {
        if let Some(s) = best {
            println!(
                "cell (actual {}, predicted {}): most confident x = {:.2} ({:.0}%)",
                cell / 3,
                cell % 3,
                xs[s.index],
                100.0 * s.prob
            );
        }
    }
    for m in select_mistakes(&predictions, 1, 1) {
        println!("mistake at x = {:.2}: {}", xs[m.index], m.reason);
    }
    Ok(())
}
