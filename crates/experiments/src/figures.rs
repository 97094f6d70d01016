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
use crate::figure_text as words;
use crate::io::write_atomic;
use crate::lang::{Lang, Text};
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

    /// The caption under the figure on the report page in `lang`.
    pub fn caption(self, lang: Lang) -> &'static str {
        self.captions().get(lang)
    }

    /// The caption in both languages.
    pub fn captions(self) -> Text {
        let (en, ko) = match self {
            FigureId::MnistOneLayer => (
                "The 1-layer MNIST network: each of the 784 pixels connects to each of the 10 output neurons.",
                "단일층 MNIST 신경망: 784개 픽셀 하나하나가 10개 출력 뉴런 모두와 연결됩니다.",
            ),
            FigureId::WeightsAnalogy1 => (
                "The connections into the first output neuron, and that neuron as z = b + Σ wᵢxᵢ.",
                "첫 번째 출력 뉴런으로 들어오는 연결과, 그 뉴런이 계산하는 z = b + Σ wᵢxᵢ.",
            ),
            FigureId::WeightsAnalogy2 => (
                "The same sum laid out as images: the pixels x and the weights w multiplied cell by cell.",
                "같은 합을 이미지로 펼친 모습: 픽셀 x와 가중치 w를 칸마다 곱합니다.",
            ),
            FigureId::RolledWeightsMnist0 => (
                "The trained 1-layer network's weights into output neuron 0 as a 28x28 image (low black, high white).",
                "훈련된 단일층 신경망에서 출력 뉴런 0으로 들어가는 가중치를 28x28 이미지로 나타낸 것 (낮으면 검은색, 높으면 흰색).",
            ),
            FigureId::RolledWeightsMnist => (
                "The weights into all 10 output neurons: templates that look like blurry digits.",
                "10개 출력 뉴런 각각의 가중치: 흐릿한 숫자처럼 보이는 템플릿입니다.",
            ),
            FigureId::MnistMistakes => (
                "Mistakes of the 2-layer MNIST network on the test set: two understandable (unsure), two glaring (confident and wrong). Red: predicted class; green: true class.",
                "2층 MNIST 신경망이 테스트 세트에서 틀린 예: 이해할 만한 실수 둘(확신이 낮음), 어이없는 실수 둘(확신하고 틀림). 빨간색은 예측한 클래스, 초록색은 실제 클래스입니다.",
            ),
            FigureId::ConfusionMnist => (
                "Confusion matrix of the 2-layer MNIST network on the held-out 10,000 (rows actual, columns predicted).",
                "검증 세트 10,000개에 대한 2층 MNIST 신경망의 혼동 행렬 (행은 실제, 열은 예측).",
            ),
            FigureId::MnistConfusionSamples => (
                "The most confident sample of every confusion cell; green frames on the diagonal, red off it, blank where a cell is empty.",
                "혼동 행렬의 칸마다 가장 확신도가 높은 샘플: 대각선은 초록 테두리, 나머지는 빨간 테두리, 빈 칸은 해당 샘플이 없는 경우입니다.",
            ),
            FigureId::CifarGrid => (
                "A random sample of CIFAR-10 training images.",
                "무작위로 고른 CIFAR-10 훈련 이미지.",
            ),
            FigureId::RolledWeightsCifar => (
                "The 1-layer CIFAR-10 network's weight templates as colour images.",
                "단일층 CIFAR-10 신경망의 가중치 템플릿을 컬러 이미지로 나타낸 것.",
            ),
            FigureId::ConfusionCifar => (
                "Confusion matrix of the 2-layer CIFAR-10 network on the held-out 10,000.",
                "검증 세트 10,000개에 대한 2층 CIFAR-10 신경망의 혼동 행렬.",
            ),
            FigureId::MnistTwoLayers => (
                "The 2-layer MNIST network: 784 inputs, 10 hidden neurons, 10 outputs.",
                "2층 MNIST 신경망: 입력 784개, 은닉 뉴런 10개, 출력 10개.",
            ),
            FigureId::MnistWeights2Layer => (
                "The 2-layer MNIST network's 10 hidden filters, and for each class the output neuron's weight on each filter (up positive, down negative).",
                "2층 MNIST 신경망의 은닉 필터 10개와, 클래스마다 출력 뉴런이 각 필터에 주는 가중치 (위는 양수, 아래는 음수).",
            ),
        };
        Text::new(en, ko)
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

/// The class names of `o` as `lang`'s reader reads them.
pub fn classes(o: &Outcome, lang: Lang) -> Vec<String> {
    lang.classes(&o.trained.spec.data, &o.analysis.classes)
}

/// The templates of the first layer in a grid of `columns`, labelled with class names when the
/// layer is the output layer, else "filter i".
pub fn templates_grid(o: &Outcome, columns: usize, lang: Lang) -> Figure {
    let tiles = templates(o);
    let labels = if o.analysis.bars.is_none() {
        classes(o, lang)
    } else {
        (1..=tiles.len()).map(|i| words::filter(lang, i)).collect()
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
pub fn confusion(o: &Outcome, lang: Lang) -> Figure {
    let cm = &o.analysis.held_out.confusion;
    let opts = ConfusionOptions {
        title: Some(words::confusion_title(
            lang,
            &o.trained.spec.id,
            o.analysis.held_out.accuracy(),
        )),
        words: words::table_words(lang),
        ..ConfusionOptions::default()
    };
    Figure::Png(counts_table(&cm.to_rows(), &classes(o, lang), &opts))
}

/// The most confident held-out sample of every confusion cell.
pub fn confusion_samples(o: &Outcome, data: &Loaded, lang: Lang) -> Figure {
    let view = data.view(Split::HeldOut);
    let cells: Vec<Option<Raster>> = o
        .analysis
        .held_out
        .tops
        .best_per_cell()
        .iter()
        .map(|s| s.map(|s| sample_raster(&view, s.index)))
        .collect();
    let opts = SamplesOptions {
        words: words::table_words(lang),
        ..SamplesOptions::default()
    };
    Figure::Png(samples_table(&cells, &classes(o, lang), &opts))
}

/// The selected test-set mistakes, each beside the network's class probabilities.
pub fn mistakes(o: &Outcome, data: &Loaded, lang: Lang) -> Figure {
    let view = data.view(Split::Test);
    let bars = BarOptions {
        slot: 16,
        bar_width: 11,
        height: 84,
        ..BarOptions::default()
    };
    let names = classes(o, lang);
    let short: Vec<String> = names.iter().map(|c| c.chars().take(3).collect()).collect();
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
            let text = words::mistake(
                lang,
                m.kind,
                &names[m.label as usize],
                &names[m.predicted as usize],
                f64::from(m.probs[m.predicted as usize]),
            );
            let caption = label(&text, 12.0, palette::INK, 2, palette::BACKGROUND);
            vstack(&[pair, caption], 2, Align::Center, palette::BACKGROUND)
        })
        .collect();
    if panels.is_empty() {
        return Figure::Png(label(
            words::NO_MISTAKES.get(lang),
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
pub fn weights_demo(o: &Outcome, lang: Lang) -> Option<Figure> {
    let bars = o.analysis.bars.as_ref()?;
    let tiles = templates(o);
    let scale = 3u32;
    let tile_w = o.analysis.templates.shape().width as u32 * scale;
    let filters = GridOptions {
        scale,
        gap: 6,
        margin: 0,
        labels: (1..=tiles.len()).map(|i| words::filter(lang, i)).collect(),
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
    for (class, name) in classes(o, lang).iter().enumerate().take(bars.outputs()) {
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
pub fn network_diagram(layers: &[usize], input: Raster, outputs: &[String], lang: Lang) -> Figure {
    let opts = MlpOptions {
        input_image: Some(input),
        output_labels: outputs.to_vec(),
        input_label: words::PIXEL.get(lang).to_string(),
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
pub fn write_chapter(
    run: &Results,
    dir: &Path,
    lang: Lang,
) -> Result<Vec<String>, ExperimentError> {
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
            network_diagram(&widths(o), digit.clone(), &o.analysis.classes, lang),
            FigureId::MnistOneLayer,
        )?;
        let analogy = MlpOptions {
            input_image: Some(digit.clone()),
            emphasis: Some((1, 0)),
            neuron_detail: true,
            output_labels: o.analysis.classes.clone(),
            input_label: words::PIXEL.get(lang).to_string(),
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
        put(templates_grid(o, 5, lang), FigureId::RolledWeightsMnist)?;
    }
    if let Some(o) = run.network(NetworkId::Mnist2Layer) {
        let data = run.data_of(&o.trained.spec);
        put(mistakes(o, data, lang), FigureId::MnistMistakes)?;
        put(confusion(o, lang), FigureId::ConfusionMnist)?;
        put(
            confusion_samples(o, data, lang),
            FigureId::MnistConfusionSamples,
        )?;
        let held = data.view(Split::HeldOut);
        put(
            network_diagram(
                &widths(o),
                sample_raster(&held, 0),
                &o.analysis.classes,
                lang,
            ),
            FigureId::MnistTwoLayers,
        )?;
        if let Some(f) = weights_demo(o, lang) {
            put(f, FigureId::MnistWeights2Layer)?;
        }
    }
    if let Some(o) = run.network(NetworkId::Cifar1Layer) {
        put(
            sample_grid(run.data_of(&o.trained.spec), 60, 9),
            FigureId::CifarGrid,
        )?;
        put(templates_grid(o, 5, lang), FigureId::RolledWeightsCifar)?;
    }
    if let Some(o) = run.network(NetworkId::Cifar2Layer) {
        put(confusion(o, lang), FigureId::ConfusionCifar)?;
    }
    Ok(written)
}

/// Writes the analysis figures of every outcome of an `explore` run into `dir`, their words in
/// `lang`; returns (PNG file, caption in both languages) pairs.
///
/// # Errors
/// IO errors naming the file.
pub fn write_explore(
    run: &Results,
    dir: &Path,
    lang: Lang,
) -> Result<Vec<(String, Text)>, ExperimentError> {
    let mut out = Vec::new();
    for o in &run.outcomes {
        let data = run.data_of(&o.trained.spec);
        let id = &o.trained.spec.id;
        let mut figs: Vec<(Figure, String, Text)> = vec![
            (
                sample_grid(data, 40, 9),
                format!("{id}-samples"),
                Text::new(
                    "A random sample of the training images.",
                    "무작위로 고른 훈련 이미지.",
                ),
            ),
            (
                templates_grid(o, 5, lang),
                format!("{id}-templates"),
                Text::new(
                    "The first layer's weights into each unit, as images.",
                    "첫 층에서 유닛마다 들어가는 가중치를 이미지로 나타낸 것.",
                ),
            ),
            (
                confusion(o, lang),
                format!("{id}-confusion"),
                Text::new(
                    "Confusion matrix on the held-out split.",
                    "검증 세트에 대한 혼동 행렬.",
                ),
            ),
            (
                confusion_samples(o, data, lang),
                format!("{id}-confusion-samples"),
                Text::new(
                    "The most confident held-out sample of every confusion cell.",
                    "혼동 행렬의 칸마다 확신도가 가장 높은 검증 세트 샘플.",
                ),
            ),
            (
                mistakes(o, data, lang),
                format!("{id}-mistakes"),
                Text::new(
                    "Understandable and glaring mistakes on the test set.",
                    "테스트 세트에서 나온 이해할 만한 실수와 어이없는 실수.",
                ),
            ),
        ];
        if let Some(w) = weights_demo(o, lang) {
            figs.push((
                w,
                format!("{id}-weights"),
                Text::new(
                    "Hidden filters and each class's weights on them.",
                    "은닉 필터와, 클래스마다 각 필터에 주는 가중치.",
                ),
            ));
        }
        for (fig, name, caption) in figs {
            write(&fig, dir, &name)?;
            out.push((format!("{name}.png"), caption));
        }
    }
    Ok(out)
}
