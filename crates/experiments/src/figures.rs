//! Every figure of the chapter, by its name in the chapter, drawn from trained results.
//!
//! Each builder takes an [`Outcome`] (a trained network and what it reveals) and the data it
//! used, so the same figures can be drawn for any dataset (`explore`); [`write_chapter`] maps
//! the chapter's figures onto the chapter's networks.

use std::path::Path;

use datasets::{DatasetView, Loaded, Split};
use introspect::{DisplayScale, Templates};
use render::bars::{BarOptions, probability_bars, signed_bars};
use render::compose::{Align, hstack, label, vstack};
use render::confusion::{ConfusionOptions, SamplesOptions, counts_table, samples_table};
use render::diagram::{FormulaOptions, MlpOptions, grid_formula, mlp};
use render::grid::{GridOptions, image_grid};
use render::{Drawing, Raster, palette};

use crate::error::ExperimentError;
use crate::io::write_atomic;
use crate::pipeline::{Outcome, Results};
use crate::spec::NetworkId;

/// Every figure of the chapter, by the file stem the chapter gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FigureId {
    /// `mnist_1layer`.
    MnistOneLayer,
    /// `weights_analogy_1`.
    WeightsAnalogy1,
    /// `weights_analogy_2`.
    WeightsAnalogy2,
    /// `rolled_weights_mnist_0`.
    RolledWeightsMnist0,
    /// `rolled_weights_mnist`.
    RolledWeightsMnist,
    /// `mnist-mistakes`.
    MnistMistakes,
    /// `confusion_mnist`.
    ConfusionMnist,
    /// `mnist-confusion-samples`.
    MnistConfusionSamples,
    /// `cifar-grid`.
    CifarGrid,
    /// `rolled_weights_cifar`.
    RolledWeightsCifar,
    /// `confusion_cifar`.
    ConfusionCifar,
    /// `mnist_2layers`.
    MnistTwoLayers,
    /// `mnist_weights_2layer`.
    MnistWeights2Layer,
}

impl FigureId {
    /// Every figure, in the chapter's order.
    pub const ALL: [FigureId; 13] = [
        FigureId::MnistOneLayer,
        FigureId::WeightsAnalogy1,
        FigureId::WeightsAnalogy2,
        FigureId::RolledWeightsMnist0,
        FigureId::RolledWeightsMnist,
        FigureId::MnistMistakes,
        FigureId::ConfusionMnist,
        FigureId::MnistConfusionSamples,
        FigureId::CifarGrid,
        FigureId::RolledWeightsCifar,
        FigureId::ConfusionCifar,
        FigureId::MnistTwoLayers,
        FigureId::MnistWeights2Layer,
    ];

    /// The file stem, as the chapter names the figure.
    pub fn stem(self) -> &'static str {
        match self {
            FigureId::MnistOneLayer => "mnist_1layer",
            FigureId::WeightsAnalogy1 => "weights_analogy_1",
            FigureId::WeightsAnalogy2 => "weights_analogy_2",
            FigureId::RolledWeightsMnist0 => "rolled_weights_mnist_0",
            FigureId::RolledWeightsMnist => "rolled_weights_mnist",
            FigureId::MnistMistakes => "mnist-mistakes",
            FigureId::ConfusionMnist => "confusion_mnist",
            FigureId::MnistConfusionSamples => "mnist-confusion-samples",
            FigureId::CifarGrid => "cifar-grid",
            FigureId::RolledWeightsCifar => "rolled_weights_cifar",
            FigureId::ConfusionCifar => "confusion_cifar",
            FigureId::MnistTwoLayers => "mnist_2layers",
            FigureId::MnistWeights2Layer => "mnist_weights_2layer",
        }
    }

    /// The caption under the figure in `index.html`.
    pub fn caption(self) -> &'static str {
        match self {
            FigureId::MnistOneLayer => {
                "The 1-layer MNIST network: each of the 784 pixels connects to each of the 10 output neurons."
            }
            FigureId::WeightsAnalogy1 => {
                "The connections into the first output neuron, and that neuron as z = b + Σ wᵢxᵢ."
            }
            FigureId::WeightsAnalogy2 => {
                "The same sum laid out as images: the pixels x and the weights w multiplied cell by cell."
            }
            FigureId::RolledWeightsMnist0 => {
                "The trained 1-layer network's weights into output neuron 0 as a 28x28 image (low black, high white)."
            }
            FigureId::RolledWeightsMnist => {
                "The weights into all 10 output neurons: templates that look like blurry digits."
            }
            FigureId::MnistMistakes => {
                "Mistakes of the 2-layer MNIST network on the test set: two understandable (unsure), two glaring (confident and wrong). Red: predicted class; green: true class."
            }
            FigureId::ConfusionMnist => {
                "Confusion matrix of the 2-layer MNIST network on the held-out 10,000 (rows actual, columns predicted)."
            }
            FigureId::MnistConfusionSamples => {
                "The most confident sample of every confusion cell; green frames on the diagonal, red off it, blank where a cell is empty."
            }
            FigureId::CifarGrid => "A random sample of CIFAR-10 training images.",
            FigureId::RolledWeightsCifar => {
                "The 1-layer CIFAR-10 network's weight templates as colour images."
            }
            FigureId::ConfusionCifar => {
                "Confusion matrix of the 2-layer CIFAR-10 network on the held-out 10,000."
            }
            FigureId::MnistTwoLayers => {
                "The 2-layer MNIST network: 784 inputs, 10 hidden neurons, 10 outputs."
            }
            FigureId::MnistWeights2Layer => {
                "The 2-layer MNIST network's 10 hidden filters, and for each class the output neuron's weight on each filter (up positive, down negative)."
            }
        }
    }

    /// The network whose results the figure draws.
    pub fn network(self) -> NetworkId {
        match self {
            FigureId::MnistOneLayer => NetworkId::Mnist1Layer,
            FigureId::WeightsAnalogy1 => NetworkId::Mnist1Layer,
            FigureId::WeightsAnalogy2 => NetworkId::Mnist1Layer,
            FigureId::RolledWeightsMnist0 => NetworkId::Mnist1Layer,
            FigureId::RolledWeightsMnist => NetworkId::Mnist1Layer,
            FigureId::MnistMistakes => NetworkId::Mnist2Layer,
            FigureId::ConfusionMnist => NetworkId::Mnist2Layer,
            FigureId::MnistConfusionSamples => NetworkId::Mnist2Layer,
            FigureId::CifarGrid => NetworkId::Cifar1Layer,
            FigureId::RolledWeightsCifar => NetworkId::Cifar1Layer,
            FigureId::ConfusionCifar => NetworkId::Cifar2Layer,
            FigureId::MnistTwoLayers => NetworkId::Mnist2Layer,
            FigureId::MnistWeights2Layer => NetworkId::Mnist2Layer,
        }
    }

    /// The PNG file name.
    pub fn png(self) -> String {
        format!("{}.png", self.stem())
    }
}

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
    Raster::from_planar_u8(view.image(i), s.channels, s.width, s.height)
}

/// Unit `unit`'s weight template as a picture stretched over its own range
/// ([`DisplayScale::PerUnitMinMax`]: lowest weight black, highest white; a colour template
/// with one range for its three channels), as the chapter draws them.
pub fn template_raster(templates: &Templates, unit: usize) -> Raster {
    let s = templates.shape();
    let values = templates.image(unit, DisplayScale::PerUnitMinMax);
    Raster::from_planar_unit(&values, s.channels, s.width, s.height)
}

fn templates(o: &Outcome) -> Vec<Raster> {
    let t = &o.analysis.templates;
    (0..t.len()).map(|u| template_raster(t, u)).collect()
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
    let cells: Vec<Option<Raster>> = o
        .analysis
        .held_out
        .tops
        .best_per_cell()
        .iter()
        .map(|s| s.map(|s| sample_raster(&view, s.index)))
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

/// The width of every stage of the outcome's network (`[784, 10]`).
fn widths(o: &Outcome) -> Vec<usize> {
    o.trained.model.architecture().widths()
}

/// Writes the chapter's figures whose networks are part of `run` into `dir`; returns the file
/// names written.
///
/// # Errors
/// IO errors naming the file.
pub fn write_chapter(run: &Results, dir: &Path) -> Result<Vec<String>, ExperimentError> {
    let mut written = Vec::new();
    let mut put = |fig: Figure, id: FigureId| -> Result<(), ExperimentError> {
        written.extend(write(&fig, dir, id.stem())?);
        Ok(())
    };
    if let Some(o) = run.network(NetworkId::Mnist1Layer) {
        let data = run.data_of(&o.trained.spec);
        let held = data.view(Split::HeldOut);
        // The first held-out 0, so that the formula multiplies a 0 by the template of 0.
        let zero = (0..held.len()).find(|&i| held.label(i) == 0).unwrap_or(0);
        let digit = sample_raster(&held, zero);
        put(
            network_diagram(&widths(o), digit.clone(), &o.analysis.classes),
            FigureId::MnistOneLayer,
        )?;
        let analogy = MlpOptions {
            input_image: Some(digit.clone()),
            emphasis: Some((1, 0)),
            neuron_detail: true,
            output_labels: o.analysis.classes.clone(),
            ..MlpOptions::default()
        };
        put(
            Figure::Diagram(mlp(&widths(o), &analogy)),
            FigureId::WeightsAnalogy1,
        )?;
        let formula = FormulaOptions {
            input_image: Some(digit),
            weight_image: Some(template_raster(&o.analysis.templates, 0)),
            ..FormulaOptions::new(o.analysis.templates.shape().width)
        };
        put(
            Figure::Diagram(grid_formula(&formula)),
            FigureId::WeightsAnalogy2,
        )?;
        put(single_template(o, 0), FigureId::RolledWeightsMnist0)?;
        put(templates_grid(o, 5), FigureId::RolledWeightsMnist)?;
    }
    if let Some(o) = run.network(NetworkId::Mnist2Layer) {
        let data = run.data_of(&o.trained.spec);
        put(mistakes(o, data), FigureId::MnistMistakes)?;
        put(confusion(o), FigureId::ConfusionMnist)?;
        put(confusion_samples(o, data), FigureId::MnistConfusionSamples)?;
        let held = data.view(Split::HeldOut);
        put(
            network_diagram(&widths(o), sample_raster(&held, 0), &o.analysis.classes),
            FigureId::MnistTwoLayers,
        )?;
        if let Some(f) = weights_demo(o) {
            put(f, FigureId::MnistWeights2Layer)?;
        }
    }
    if let Some(o) = run.network(NetworkId::Cifar1Layer) {
        put(
            sample_grid(run.data_of(&o.trained.spec), 60, 9),
            FigureId::CifarGrid,
        )?;
        put(templates_grid(o, 5), FigureId::RolledWeightsCifar)?;
    }
    if let Some(o) = run.network(NetworkId::Cifar2Layer) {
        put(confusion(o), FigureId::ConfusionCifar)?;
    }
    Ok(written)
}

/// Writes the analysis figures of every outcome of an `explore` run into `dir`; returns
/// (PNG file, caption) pairs.
///
/// # Errors
/// IO errors naming the file.
pub fn write_explore(run: &Results, dir: &Path) -> Result<Vec<(String, String)>, ExperimentError> {
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
