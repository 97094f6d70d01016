//! Drawing the two heaviest chapter figures: the 10x10 confusion-samples table of 28x28
//! digits and the 784-10-10 network diagram, to pixels (the SVG description rasterised by
//! resvg), to PNG bytes, and (the diagram) to SVG. The budget for each is well under 100 ms.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use render::Raster;
use render::confusion::{ConfusionOptions, SamplesOptions, counts_table, samples_table};
use render::diagram::{MlpOptions, mlp};

/// A 28x28 "digit": a ring whose radius depends on `k`, anti-aliasing-free.
fn tile(k: usize) -> Raster {
    let r = 6.0 + (k % 5) as f32;
    let px: Vec<u8> = (0..28 * 28)
        .map(|i| {
            let (x, y) = ((i % 28) as f32 - 13.5, (i / 28) as f32 - 13.5);
            let d = (x * x + y * y).sqrt();
            if (d - r).abs() < 2.0 { 255 } else { 0 }
        })
        .collect();
    Raster::from_gray_u8(&px, 28, 28)
}

fn confusion(c: &mut Criterion) {
    let classes: Vec<String> = (0..10).map(|i| i.to_string()).collect();
    // Every cell but a few filled, as in a trained network's table.
    let cells: Vec<Option<Raster>> = (0..100).map(|k| (k % 7 != 3).then(|| tile(k))).collect();
    let opts = SamplesOptions::default();
    c.bench_function("samples_table 10x10 (raster)", |b| {
        b.iter(|| samples_table(black_box(&cells), &classes, &opts).to_raster())
    });
    c.bench_function("samples_table 10x10 (raster + png)", |b| {
        b.iter(|| samples_table(black_box(&cells), &classes, &opts).encode_png())
    });
    let counts: Vec<Vec<u64>> = (0..10)
        .map(|i| {
            (0..10)
                .map(|j| {
                    if i == j {
                        950
                    } else {
                        ((i * 7 + j * 3) % 11) as u64
                    }
                })
                .collect()
        })
        .collect();
    let copts = ConfusionOptions::default();
    c.bench_function("counts_table 10x10 (raster)", |b| {
        b.iter(|| counts_table(black_box(&counts), &classes, &copts).to_raster())
    });
}

fn diagram(c: &mut Criterion) {
    let opts = MlpOptions {
        input_image: Some(tile(3)),
        output_labels: (0..10).map(|i| i.to_string()).collect(),
        ..MlpOptions::default()
    };
    c.bench_function("mlp 784-10-10 (raster)", |b| {
        b.iter(|| mlp(black_box(&[784, 10, 10]), &opts).to_raster())
    });
    c.bench_function("mlp 784-10-10 (raster + png)", |b| {
        b.iter(|| {
            mlp(black_box(&[784, 10, 10]), &opts)
                .to_raster()
                .encode_png()
        })
    });
    c.bench_function("mlp 784-10-10 (svg)", |b| {
        b.iter(|| mlp(black_box(&[784, 10, 10]), &opts).to_svg())
    });
}

criterion_group!(benches, confusion, diagram);
criterion_main!(benches);
