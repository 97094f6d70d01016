//! Draws every building block of `render` from synthetic data into a folder, one file per
//! chapter figure, to look at: `cargo run -p render --example gallery -- /tmp/gallery`
//! (without an argument it writes into `./gallery`). `render` only encodes; this example
//! writes the bytes, through the workspace's `atomicfile`.
//!
//! The "digits" are glyphs of the bundled font drawn into 28x28 tiles, the "weights" are
//! smooth signed fields around those digits, and the "CIFAR" images are colour gradients
//! with a blob: enough structure to judge spacing, labels and colour maps without any
//! dataset.

use std::error::Error;
use std::path::{Path, PathBuf};

use render::bars::{BarOptions, probability_bars, signed_bars};
use render::compose::{Align, hstack, label, vstack};
use render::confusion::{ConfusionOptions, SamplesOptions, counts_table, samples_table};
use render::diagram::{FormulaOptions, MlpOptions, NeuronOptions, grid_formula, mlp, neuron};
use render::grid::{GridOptions, image_grid};
use render::{Anchor, Drawing, Raster, Rgb, TextStyle, max_abs, min_max, palette};

const CIFAR: [&str; 10] = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
];

/// A tiny deterministic generator (64-bit LCG), so the gallery is the same on every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 40) as f32 / (1u64 << 24) as f32
    }
}

/// A 28x28 "digit": the glyph drawn white on black, shifted and sized a little.
fn digit(d: usize, rng: &mut Lcg) -> Vec<u8> {
    let mut r = Drawing::canvas(28, 28, Rgb::BLACK);
    let size = 21.0 + 4.0 * rng.next();
    let (dx, dy) = (3.0 * rng.next() - 1.5, 3.0 * rng.next() - 1.5);
    let style = TextStyle::new(size, Rgb::WHITE).anchored(Anchor::CENTER);
    r.text((14.0 + dx, 13.0 + dy), d.to_string(), style);
    r.to_raster()
        .as_rgb_bytes()
        .chunks(3)
        .map(|p| p[0])
        .collect()
}

/// A signed 28x28 "template": the blurred digit minus its mean, plus a smooth ripple.
fn template(d: usize, rng: &mut Lcg) -> Vec<f32> {
    let px = digit(d, rng);
    let blurred: Vec<f32> = (0..28 * 28i32)
        .map(|i| {
            let (x, y) = (i % 28, i / 28);
            let mut acc = 0.0;
            let mut n = 0.0;
            for (ox, oy) in (-2..=2).flat_map(|a| (-2..=2).map(move |b| (a, b))) {
                let (sx, sy) = (x + ox, y + oy);
                if (0..28).contains(&sx) && (0..28).contains(&sy) {
                    acc += f32::from(px[(sy * 28 + sx) as usize]) / 255.0;
                    n += 1.0;
                }
            }
            acc / n
        })
        .collect();
    let mean = blurred.iter().sum::<f32>() / blurred.len() as f32;
    let phase = rng.next() * 6.0;
    blurred
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            let (x, y) = ((i % 28) as f32, (i / 28) as f32);
            (b - mean)
                + 0.12 * ((x * 0.5 + phase).sin() * (y * 0.4).cos())
                + 0.05 * (rng.next() - 0.5)
        })
        .collect()
}

/// A planar 3x32x32 "photo": a vertical gradient (sky over ground) with a coloured blob.
fn photo(k: usize, rng: &mut Lcg) -> Vec<u8> {
    let n = 32 * 32;
    let mut v = vec![0u8; 3 * n];
    let sky = [rng.next(), rng.next(), 0.5 + 0.5 * rng.next()];
    let ground = [0.3 * rng.next(), 0.2 + 0.5 * rng.next(), 0.2 * rng.next()];
    let blob = [rng.next(), rng.next(), rng.next()];
    let (cx, cy, rad) = (
        8.0 + 16.0 * rng.next(),
        10.0 + 12.0 * rng.next(),
        5.0 + 4.0 * rng.next(),
    );
    for i in 0..n {
        let (x, y) = ((i % 32) as f32, (i / 32) as f32);
        let t = y / 31.0;
        let inside = ((x - cx).powi(2) + (y - cy).powi(2)).sqrt() < rad + (k % 3) as f32;
        for c in 0..3 {
            let base = sky[c] * (1.0 - t) + ground[c] * t;
            let val = if inside { blob[c] } else { base };
            v[c * n + i] = (val * 255.0).round() as u8;
        }
    }
    v
}

/// Planar 3x32x32 "colour template": smooth signed noise per channel.
fn colour_template(rng: &mut Lcg) -> Vec<f32> {
    let n = 32 * 32;
    let f: Vec<[f32; 3]> = (0..3)
        .map(|_| [rng.next() * 0.5, rng.next() * 0.5, rng.next() * 6.0])
        .collect();
    (0..3 * n)
        .map(|i| {
            let (c, p) = (i / n, i % n);
            let (x, y) = ((p % 32) as f32, (p / 32) as f32);
            let [a, b, ph] = f[c];
            (x * a + ph).sin() * (y * b).cos() + 0.4 * (rng.next() - 0.5)
        })
        .collect()
}

fn save_png(dir: &Path, name: &str, d: &Drawing) -> Result<(), Box<dyn Error>> {
    let path = dir.join(name);
    atomicfile::write(&path, &d.encode_png())?;
    println!("{} ({}x{})", path.display(), d.width(), d.height());
    Ok(())
}

fn save_drawing(dir: &Path, name: &str, d: &Drawing) -> Result<(), Box<dyn Error>> {
    save_png(dir, &format!("{name}.png"), d)?;
    let svg = dir.join(format!("{name}.svg"));
    atomicfile::write(&svg, d.to_svg().as_bytes())?;
    println!("{}", svg.display());
    Ok(())
}

fn main() -> Result<(), Box<dyn Error>> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "gallery".to_string()),
    );
    std::fs::create_dir_all(&dir)?;
    let mut rng = Lcg(42);
    let digits: Vec<Vec<u8>> = (0..10).map(|d| digit(d, &mut rng)).collect();
    let gray = |px: &[u8]| Raster::from_gray_u8(px, 28, 28);
    let class_names: Vec<String> = (0..10).map(|i| i.to_string()).collect();

    // Diagrams (figures 1, 2, 3, 12).
    let input = gray(&digits[6]);
    let one_layer = MlpOptions {
        input_image: Some(input.clone()),
        ..MlpOptions::default()
    };
    save_drawing(&dir, "mnist_1layer", &mlp(&[784, 10], &one_layer))?;
    let two_layers = MlpOptions {
        input_image: Some(gray(&digits[8])),
        output_labels: class_names.clone(),
        ..MlpOptions::default()
    };
    save_drawing(&dir, "mnist_2layers", &mlp(&[784, 10, 10], &two_layers))?;
    let analogy = MlpOptions {
        emphasis: Some((1, 0)),
        neuron_detail: true,
        ..MlpOptions::default()
    };
    save_drawing(&dir, "weights_analogy_1", &mlp(&[784, 10], &analogy))?;
    save_drawing(&dir, "neuron", &neuron(&NeuronOptions::new(784)))?;
    save_drawing(
        &dir,
        "weights_analogy_2",
        &grid_formula(&FormulaOptions::new(28)),
    )?;
    let t0 = template(0, &mut rng);
    let (lo, hi) = min_max(&t0).unwrap_or((0.0, 1.0));
    let with_images = FormulaOptions {
        input_image: Some(gray(&digits[0])),
        weight_image: Some(Raster::from_gray(&t0, 28, 28, lo, hi)),
        ..FormulaOptions::new(28)
    };
    save_drawing(
        &dir,
        "weights_analogy_2_images",
        &grid_formula(&with_images),
    )?;

    // Weight templates (figures 4, 5), gray and diverging.
    let templates: Vec<Vec<f32>> = (0..10).map(|d| template(d, &mut rng)).collect();
    let single = Drawing::image(&Raster::from_gray(&t0, 28, 28, lo, hi), 8);
    save_png(
        &dir,
        "rolled_weights_mnist_0.png",
        &single.padded(8, palette::BACKGROUND),
    )?;
    let gray_tiles: Vec<Raster> = templates
        .iter()
        .map(|t| {
            let (lo, hi) = min_max(t).unwrap_or((0.0, 1.0));
            Raster::from_gray(t, 28, 28, lo, hi)
        })
        .collect();
    let grid = GridOptions {
        scale: 4,
        gap: 6,
        ..GridOptions::new(5)
    };
    save_png(
        &dir,
        "rolled_weights_mnist.png",
        &image_grid(&gray_tiles, &grid),
    )?;
    let div_tiles: Vec<Raster> = templates
        .iter()
        .map(|t| Raster::from_diverging(t, 28, 28, max_abs(t)))
        .collect();
    let labelled = GridOptions {
        labels: class_names.clone(),
        title: Some("weights into each output unit (blue negative, red positive)".into()),
        ..grid.clone()
    };
    save_png(
        &dir,
        "rolled_weights_mnist_diverging.png",
        &image_grid(&div_tiles, &labelled),
    )?;

    // Mistakes (figure 6): digit beside its probability bars.
    let mistakes = [
        (9, 4, [0.0, 0.0, 0.0, 0.0, 0.55, 0.01, 0.0, 0.0, 0.02, 0.42]),
        (8, 5, [0.0, 0.0, 0.0, 0.02, 0.0, 0.9, 0.0, 0.0, 0.08, 0.0]),
        (3, 5, [0.01, 0.0, 0.0, 0.33, 0.0, 0.61, 0.0, 0.0, 0.05, 0.0]),
        (2, 4, [0.0, 0.02, 0.08, 0.0, 0.3, 0.25, 0.2, 0.0, 0.15, 0.0]),
    ];
    let bars = BarOptions {
        slot: 16,
        bar_width: 11,
        height: 84,
        ..BarOptions::default()
    };
    let panels: Vec<Drawing> = mistakes
        .iter()
        .map(|(actual, predicted, probs)| {
            let img = Drawing::image(&gray(&digits[*actual]), 4);
            let chart =
                probability_bars(probs, &class_names, Some(*predicted), Some(*actual), &bars);
            let pair = hstack(&[img, chart], 6, Align::Center, palette::BACKGROUND);
            let caption = label(
                &format!("true {actual}, predicted {predicted}"),
                12.0,
                palette::INK,
                2,
                palette::BACKGROUND,
            );
            vstack(&[pair, caption], 2, Align::Center, palette::BACKGROUND)
        })
        .collect();
    let row =
        hstack(&panels, 28, Align::Start, palette::BACKGROUND).padded(10, palette::BACKGROUND);
    save_png(&dir, "mnist-mistakes.png", &row)?;

    // Confusion counts (figures 7, 11).
    let counts: Vec<Vec<u64>> = (0..10)
        .map(|i| {
            (0..10)
                .map(|j| {
                    let r = rng.next();
                    if i == j {
                        900 + (180.0 * r) as u64
                    } else if r > 0.55 {
                        (40.0 * (r - 0.55).powi(2) * 5.0) as u64
                    } else {
                        0
                    }
                })
                .collect()
        })
        .collect();
    let table = counts_table(&counts, &class_names, &ConfusionOptions::default());
    save_png(&dir, "confusion_mnist.png", &table)?;
    let cifar_counts: Vec<Vec<u64>> = (0..10)
        .map(|i| {
            (0..10)
                .map(|j| {
                    let r = rng.next();
                    if i == j {
                        250 + (300.0 * r) as u64
                    } else {
                        (120.0 * r * r) as u64
                    }
                })
                .collect()
        })
        .collect();
    let cifar_opts = ConfusionOptions {
        title: Some("CIFAR-10 (synthetic counts)".into()),
        ..ConfusionOptions::default()
    };
    save_png(
        &dir,
        "confusion_cifar.png",
        &counts_table(&cifar_counts, &CIFAR, &cifar_opts),
    )?;

    // Top samples per cell (figure 8): empty where the count is zero.
    let cells: Vec<Option<Raster>> = (0..100)
        .map(|c| {
            let (i, j) = (c / 10, c % 10);
            (counts[i][j] > 0).then(|| gray(&digit(i, &mut rng)))
        })
        .collect();
    save_png(
        &dir,
        "mnist-confusion-samples.png",
        &samples_table(&cells, &class_names, &SamplesOptions::default()),
    )?;

    // CIFAR sample grid and colour templates (figures 9, 10).
    let photos: Vec<Raster> = (0..40)
        .map(|k| Raster::from_planar_rgb_u8(&photo(k, &mut rng), 32, 32))
        .collect();
    let photo_grid = GridOptions {
        scale: 2,
        gap: 2,
        ..GridOptions::new(10)
    };
    save_png(&dir, "cifar-grid.png", &image_grid(&photos, &photo_grid))?;
    let colour: Vec<Raster> = (0..10)
        .map(|_| {
            let t = colour_template(&mut rng);
            let s = max_abs(&t);
            Raster::from_planar_rgb_f32(&t, 32, 32, -s, s)
        })
        .collect();
    let colour_grid = GridOptions {
        scale: 4,
        gap: 8,
        labels: CIFAR.iter().map(|s| s.to_string()).collect(),
        ..GridOptions::new(5)
    };
    save_png(
        &dir,
        "rolled_weights_cifar.png",
        &image_grid(&colour, &colour_grid),
    )?;

    // Weights demo (figure 13): filters, then a row of signed bars per class, aligned.
    let filters = GridOptions {
        scale: 3,
        gap: 6,
        margin: 0,
        labels: (1..=10).map(|i| format!("filter {i}")).collect(),
        ..GridOptions::new(10)
    };
    let filter_row = image_grid(&gray_tiles, &filters);
    let row_bars = BarOptions {
        slot: 28 * 3 + 6,
        bar_width: 40,
        height: 60,
        margin: 0,
        ..BarOptions::default()
    };
    let label_w = 70;
    let mut rows = vec![hstack(
        &[Drawing::canvas(label_w, 1, palette::BACKGROUND), filter_row],
        0,
        Align::Start,
        palette::BACKGROUND,
    )];
    for class in 0..10 {
        let w: Vec<f32> = (0..10).map(|_| 2.0 * rng.next() - 1.0).collect();
        let chart = signed_bars(&w, &[] as &[&str], 1.0, &row_bars);
        let name = label(
            &format!("class {class}"),
            12.0,
            palette::INK,
            2,
            palette::BACKGROUND,
        );
        let mut name_cell = Drawing::canvas(label_w, chart.height(), palette::BACKGROUND);
        let name_y = (chart.height() as i32 - name.height() as i32) / 2;
        name_cell.place(name, 0, name_y);
        rows.push(hstack(
            &[name_cell, chart],
            0,
            Align::Start,
            palette::BACKGROUND,
        ));
    }
    let demo = vstack(&rows, 4, Align::Start, palette::BACKGROUND).padded(10, palette::BACKGROUND);
    save_png(&dir, "mnist_weights_demo.png", &demo)?;
    Ok(())
}
