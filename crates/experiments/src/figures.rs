//! Every figure of the chapter, by its name in the chapter, drawn from trained results.
//!
//! Each builder takes an [`Outcome`] (a trained network and what it reveals) and the data it
//! used, so the same figures can be drawn for any dataset (`explore`); [`write_chapter`] maps
//! the chapter's figures onto the chapter's networks.

use std::path::Path;

use datasets::{DatasetView, Loaded, Split};
use render::bars::{BarOptions, probability_bars, signed_bars};
use render::compose::{Align, hstack, label, vstack};
use render::confusion::{ConfusionOptions, SamplesOptions, counts_table, samples_table};
use render::diagram::{FormulaOptions, MlpOptions, grid_formula, mlp};
use render::grid::{GridOptions, image_grid};
use render::{Drawing, Raster, min_max, palette};

use crate::error::ExperimentError;
use crate::io::write_atomic;
use crate::pipeline::{ChapterRun, Outcome};

/// Every figure's file stem and caption, in the chapter's order.
pub const CATALOG: [(&str, &str); 13] = [
    (
        "mnist_1layer",
        "The 1-layer MNIST network: each of the 784 pixels connects to each of the 10 output neurons.",
    ),
    (
        "weights_analogy_1",
        "The connections into the first output neuron, and that neuron as z = b + Σ wᵢxᵢ.",
    ),
    (
        "weights_analogy_2",
        "The same sum laid out as images: the pixels x and the weights w multiplied cell by cell.",
    ),
    (
        "rolled_weights_mnist_0",
        "The trained 1-layer network's weights into output neuron 0 as a 28x28 image (low black, high white).",
    ),
    (
        "rolled_weights_mnist",
        "The weights into all 10 output neurons: templates that look like blurry digits.",
    ),
    (
        "mnist-mistakes",
        "Mistakes of the 2-layer MNIST network on the test set: two understandable (unsure), two glaring (confident and wrong). Red: predicted class; green: true class.",
    ),
    (
        "confusion_mnist",
        "Confusion matrix of the 2-layer MNIST network on the held-out 10,000 (rows actual, columns predicted).",
    ),
    (
        "mnist-confusion-samples",
        "The most confident sample of every confusion cell; green frames on the diagonal, red off it, blank where a cell is empty.",
    ),
    ("cifar-grid", "A random sample of CIFAR-10 training images."),
    (
        "rolled_weights_cifar",
        "The 1-layer CIFAR-10 network's weight templates as colour images.",
    ),
    (
        "confusion_cifar",
        "Confusion matrix of the 2-layer CIFAR-10 network on the held-out 10,000.",
    ),
    (
        "mnist_2layers",
        "The 2-layer MNIST network: 784 inputs, 10 hidden neurons, 10 outputs.",
    ),
    (
        "mnist_weights_2layer",
        "The 2-layer MNIST network's 10 hidden filters, and for each class the output neuron's weight on each filter (up positive, down negative).",
    ),
];

/// A finished figure (every one is a vector description rasterised by `render`): written as
/// a PNG, and diagrams also as SVG.
pub enum Figure {
    /// PNG only.
    Png(Drawing),
    /// PNG and SVG.
    Diagram(Drawing),
}

/// Writes `figure` as `dir/name.png` (and `dir/name.svg` for a diagram); returns the file names.
///
/// # Errors
/// IO errors naming the file.
pub fn write(figure: &Figure, dir: &Path, name: &str) -> Result<Vec<String>, ExperimentError> {
    let png = format!("{name}.png");
    match figure {
        Figure::Png(d) => {
            write_atomic(&dir.join(&png), &d.encode_png())?;
            Ok(vec![png])
        }
        Figure::Diagram(d) => {
            write_atomic(&dir.join(&png), &d.encode_png())?;
            let svg = format!("{name}.svg");
            write_atomic(&dir.join(&svg), d.to_svg().as_bytes())?;
            Ok(vec![png, svg])
        }
    }
}

/// Image `i` of `view` as a raster (grayscale or planar RGB).
pub fn sample_raster(view: &DatasetView<'_>, i: usize) -> Raster {
    let s = view.shape();
    if s.channels == 3 {
        Raster::from_planar_rgb_u8(view.image(i), s.width as u32, s.height as u32)
    } else {
        Raster::from_gray_u8(
            &view.image(i)[..s.width * s.height],
            s.width as u32,
            s.height as u32,
        )
    }
}

/// A weight template as a raster, stretched over its own min..max (the chapter's look: low
/// black, high white; colour templates per channel value).
fn template_raster(values: &[f32], channels: usize, width: usize, height: usize) -> Raster {
    let (lo, hi) = min_max(values).unwrap_or((0.0, 1.0));
    if channels == 3 {
        Raster::from_planar_rgb_f32(values, width as u32, height as u32, lo, hi)
    } else {
        Raster::from_gray(
            &values[..width * height],
            width as u32,
            height as u32,
            lo,
            hi,
        )
    }
}

fn templates(o: &Outcome) -> Vec<Raster> {
    let t = &o.analysis.templates;
    let s = t.shape();
    (0..t.len())
        .map(|u| template_raster(t.raw(u), s.channels, s.width, s.height))
        .collect()
}

/// The templates of the first layer in a grid of `columns`, labelled with class names when the
/// layer is the output layer, else "filter i".
pub fn templates_grid(o: &Outcome, columns: usize) -> Figure {
    let tiles = templates(o);
    let labels = if o.analysis.bars.is_none() {
        o.analysis.classes.clone()
    } else {
        (1..=tiles.len()).map(|i| format!("filter {i}")).collect()
    };
    let scale = if o.analysis.templates.shape().width <= 28 {
        4
    } else {
        3
    };
    Figure::Png(image_grid(
        &tiles,
        &GridOptions {
            scale,
            gap: 8,
            labels,
            ..GridOptions::new(columns)
        },
    ))
}

/// One unit's template, enlarged.
pub fn single_template(o: &Outcome, unit: usize) -> Figure {
    let tiles = templates(o);
    Figure::Png(Drawing::image(&tiles[unit], 8).padded(8, palette::BACKGROUND))
}

/// The confusion counts of the held-out split, shaded by row share, with recall, precision and
/// accuracy.
pub fn confusion(o: &Outcome) -> Figure {
    let cm = &o.analysis.held_out.confusion;
    let opts = ConfusionOptions {
        title: Some(format!(
            "{} on the held-out split: {:.2}% correct",
            o.trained.spec.id,
            100.0 * o.analysis.held_out.accuracy()
        )),
        ..ConfusionOptions::default()
    };
    Figure::Png(counts_table(&cm.to_rows(), &o.analysis.classes, &opts))
}

/// The most confident held-out sample of every confusion cell.
pub fn confusion_samples(o: &Outcome, data: &Loaded) -> Figure {
    let view = data.view(Split::HeldOut);
    let k = o.analysis.classes.len();
    let cells: Vec<Option<Raster>> = (0..k * k)
        .map(|c| {
            o.analysis
                .held_out
                .tops
                .top(c / k, c % k, 1)
                .first()
                .map(|s| sample_raster(&view, s.index))
        })
        .collect();
    Figure::Png(samples_table(
        &cells,
        &o.analysis.classes,
        &SamplesOptions::default(),
    ))
}

/// The selected test-set mistakes, each beside the network's class probabilities.
pub fn mistakes(o: &Outcome, data: &Loaded) -> Figure {
    let view = data.view(Split::Test);
    let bars = BarOptions {
        slot: 16,
        bar_width: 11,
        height: 84,
        ..BarOptions::default()
    };
    let short: Vec<String> = o
        .analysis
        .classes
        .iter()
        .map(|c| c.chars().take(3).collect())
        .collect();
    let panels: Vec<Drawing> = o
        .analysis
        .test
        .mistakes
        .iter()
        .map(|m| {
            let img = Drawing::image(&sample_raster(&view, m.index), 4);
            let chart = probability_bars(
                &m.probs,
                &short,
                Some(m.predicted as usize),
                Some(m.label as usize),
                &bars,
            );
            let pair = hstack(&[img, chart], 6, Align::Center, palette::BACKGROUND);
            let kind = format!("{:?}", m.kind).to_lowercase();
            let text = format!(
                "{kind}: true {}, predicted {} ({:.0}%)",
                o.analysis.classes[m.label as usize],
                o.analysis.classes[m.predicted as usize],
                100.0 * m.probs[m.predicted as usize]
            );
            let caption = label(&text, 12.0, palette::INK, 2, palette::BACKGROUND);
            vstack(&[pair, caption], 2, Align::Center, palette::BACKGROUND)
        })
        .collect();
    if panels.is_empty() {
        return Figure::Png(label(
            "no mistakes on the test set",
            14.0,
            palette::INK,
            10,
            palette::BACKGROUND,
        ));
    }
    Figure::Png(
        hstack(&panels, 28, Align::Start, palette::BACKGROUND).padded(10, palette::BACKGROUND),
    )
}

/// A seeded random sample of `n` training images, 10 per row.
pub fn sample_grid(data: &Loaded, n: usize, seed: u64) -> Figure {
    let view = data.view(Split::Train);
    let picks = pick(view.len(), n, seed);
    let tiles: Vec<Raster> = picks.iter().map(|&i| sample_raster(&view, i)).collect();
    Figure::Png(image_grid(
        &tiles,
        &GridOptions {
            scale: 2,
            gap: 2,
            ..GridOptions::new(10)
        },
    ))
}

/// `n` distinct indices below `len`, drawn by a seeded generator.
fn pick(len: usize, n: usize, seed: u64) -> Vec<usize> {
    use rand::seq::index::sample;
    sample(&mut nn::init::rng(seed), len, n.min(len)).into_vec()
}

/// The weights demo of a 2-layer net: its hidden filters, and under them one row of bars per
/// class with the output neuron's weight on each filter.
pub fn weights_demo(o: &Outcome) -> Option<Figure> {
    let bars = o.analysis.bars.as_ref()?;
    let tiles = templates(o);
    let scale = 3u32;
    let tile_w = o.analysis.templates.shape().width as u32 * scale;
    let filters = GridOptions {
        scale,
        gap: 6,
        margin: 0,
        labels: (1..=tiles.len()).map(|i| format!("filter {i}")).collect(),
        ..GridOptions::new(tiles.len())
    };
    let filter_row = image_grid(&tiles, &filters);
    let row_bars = BarOptions {
        slot: tile_w + 6,
        bar_width: 40,
        height: 60,
        margin: 0,
        ..BarOptions::default()
    };
    let label_w = 90;
    let mut rows = vec![hstack(
        &[Drawing::canvas(label_w, 1, palette::BACKGROUND), filter_row],
        0,
        Align::Start,
        palette::BACKGROUND,
    )];
    for (class, name) in o.analysis.classes.iter().enumerate().take(bars.outputs()) {
        let chart = signed_bars(bars.row(class), &[] as &[&str], bars.scale(), &row_bars);
        let text = label(name, 12.0, palette::INK, 2, palette::BACKGROUND);
        let mut cell = Drawing::canvas(label_w, chart.height(), palette::BACKGROUND);
        let text_y = (chart.height() as i32 - text.height() as i32) / 2;
        cell.place(text, 0, text_y);
        rows.push(hstack(&[cell, chart], 0, Align::Start, palette::BACKGROUND));
    }
    Some(Figure::Png(
        vstack(&rows, 4, Align::Start, palette::BACKGROUND).padded(10, palette::BACKGROUND),
    ))
}

/// A network diagram for `layers` (e.g. `[784, 10]`), with an input image.
pub fn network_diagram(layers: &[usize], input: Raster, outputs: &[String]) -> Figure {
    let opts = MlpOptions {
        input_image: Some(input),
        output_labels: outputs.to_vec(),
        ..MlpOptions::default()
    };
    Figure::Diagram(mlp(layers, &opts))
}

/// Writes the chapter's figures whose networks are part of `run` into `dir`; returns the file
/// names written.
///
/// # Errors
/// IO errors naming the file.
pub fn write_chapter(run: &ChapterRun, dir: &Path) -> Result<Vec<String>, ExperimentError> {
    let mut written = Vec::new();
    let mut put = |fig: Figure, name: &str| -> Result<(), ExperimentError> {
        written.extend(write(&fig, dir, name)?);
        Ok(())
    };
    let digits: Vec<String> = (0..10).map(|i| i.to_string()).collect();
    if let Some(o) = run.get("mnist-1layer") {
        let data = run.data_of(&o.trained.spec);
        let held = data.view(Split::HeldOut);
        // The first held-out 0, so that the formula multiplies a 0 by the template of 0.
        let zero = (0..held.len()).find(|&i| held.label(i) == 0).unwrap_or(0);
        let digit = sample_raster(&held, zero);
        put(
            network_diagram(&[784, 10], digit.clone(), &digits),
            "mnist_1layer",
        )?;
        let analogy = MlpOptions {
            input_image: Some(digit.clone()),
            emphasis: Some((1, 0)),
            neuron_detail: true,
            output_labels: digits.clone(),
            ..MlpOptions::default()
        };
        put(
            Figure::Diagram(mlp(&[784, 10], &analogy)),
            "weights_analogy_1",
        )?;
        let t = o.analysis.templates.raw(0);
        let formula = FormulaOptions {
            input_image: Some(digit),
            weight_image: Some(template_raster(t, 1, 28, 28)),
            ..FormulaOptions::new(28)
        };
        put(Figure::Diagram(grid_formula(&formula)), "weights_analogy_2")?;
        put(single_template(o, 0), "rolled_weights_mnist_0")?;
        put(templates_grid(o, 5), "rolled_weights_mnist")?;
    }
    if let Some(o) = run.get("mnist-2layer") {
        let data = run.data_of(&o.trained.spec);
        put(mistakes(o, data), "mnist-mistakes")?;
        put(confusion(o), "confusion_mnist")?;
        put(confusion_samples(o, data), "mnist-confusion-samples")?;
        let held = data.view(Split::HeldOut);
        put(
            network_diagram(&[784, 10, 10], sample_raster(&held, 0), &digits),
            "mnist_2layers",
        )?;
        if let Some(f) = weights_demo(o) {
            put(f, "mnist_weights_2layer")?;
        }
    }
    if let Some(o) = run.get("cifar-1layer") {
        put(
            sample_grid(run.data_of(&o.trained.spec), 60, 9),
            "cifar-grid",
        )?;
        put(templates_grid(o, 5), "rolled_weights_cifar")?;
    }
    if let Some(o) = run.get("cifar-2layer") {
        put(confusion(o), "confusion_cifar")?;
    }
    Ok(written)
}

/// Writes the analysis figures of every outcome of an `explore` run into `dir`; returns
/// (PNG file, caption) pairs.
///
/// # Errors
/// IO errors naming the file.
pub fn write_explore(
    run: &ChapterRun,
    dir: &Path,
) -> Result<Vec<(String, String)>, ExperimentError> {
    let mut out = Vec::new();
    for o in &run.outcomes {
        let data = run.data_of(&o.trained.spec);
        let id = &o.trained.spec.id;
        let mut figs: Vec<(Figure, String, String)> = vec![
            (
                sample_grid(data, 40, 9),
                format!("{id}-samples"),
                "A random sample of the training images.".into(),
            ),
            (
                templates_grid(o, 5),
                format!("{id}-templates"),
                "The first layer's weights into each unit, as images.".into(),
            ),
            (
                confusion(o),
                format!("{id}-confusion"),
                "Confusion matrix on the held-out split.".into(),
            ),
            (
                confusion_samples(o, data),
                format!("{id}-confusion-samples"),
                "The most confident held-out sample of every confusion cell.".into(),
            ),
            (
                mistakes(o, data),
                format!("{id}-mistakes"),
                "Understandable and glaring mistakes on the test set.".into(),
            ),
        ];
        if let Some(w) = weights_demo(o) {
            figs.push((
                w,
                format!("{id}-weights"),
                "Hidden filters and each class's weights on them.".into(),
            ));
        }
        for (fig, name, caption) in figs {
            write(&fig, dir, &name)?;
            out.push((format!("{name}.png"), caption));
        }
    }
    Ok(out)
}
