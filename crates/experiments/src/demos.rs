//! The chapter's interactive demos, built from a run: `demos/confusion.html` (every
//! network's confusion matrix on its held-out split, with the most confident samples of each
//! cell), `demos/weights.html` (the first layer's weights, and the output weights over a
//! hidden layer, at every training snapshot) and `demos/draw.html` (draw a digit and watch the
//! network score it, see [`crate::draw`]).
//!
//! Both pages are single files that work opened from disk: [`render::html`] draws them from the
//! plain data built here, with the sample pictures in one sprite sheet per dataset.
//!
//! # Size
//! Each page is kept under [`PAGE_BUDGET`] bytes by a stated rule, applied until it fits:
//! - confusion page: every cell lists its [`SUMMARY_TOPS`] most confident samples; while the
//!   page is too big, the dataset whose sheet is largest lists fewer per cell (its cap shrinks
//!   by the share of the excess its sheet would have to shed, at least by one);
//! - weights page: every snapshot is shown; while the page is too big, each network keeps fewer
//!   snapshots, evenly spread and always including the first and the last; down to two, the
//!   hidden units' cards then show fewer of their most and least activating images.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use datasets::{DatasetView, Split};
use introspect::{OutputBars, Templates};
use render::Raster;
use render::html::{
    CellSample, ConfusionDemo, ConfusionNet, SpriteSheet, Text, WeightsDemo, WeightsNet,
    WeightsSnapshot, confusion_demo, weights_demo,
};

use crate::analysis::SUMMARY_TOPS;
use crate::error::ExperimentError;
use crate::figures::{sample_raster, template_raster};
use crate::io::write_atomic;
use crate::pipeline::{Outcome, Results};
use crate::spec::DataKind;

/// The largest page, in bytes, that the demos write (the limit is 3 MB).
pub const PAGE_BUDGET: usize = 2_900_000;

/// A written demo page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// Where it was written.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: usize,
}

/// Writes `out/demos/confusion.html`, `out/demos/weights.html` and `out/demos/draw.html`
/// (atomically), the first two under
/// [`PAGE_BUDGET`] by the rules of the [module docs](self).
///
/// # Errors
/// IO errors naming the file.
pub fn write(run: &Results, out: &Path) -> Result<Vec<Page>, ExperimentError> {
    let dir = out.join("demos");
    // Built side by side: most of their time is compressing picture sheets, and each page is
    // the same whichever finishes first.
    let ((confusion, weights), draw) = rayon::join(
        || {
            rayon::join(
                || confusion_page(run, PAGE_BUDGET),
                || weights_page(run, PAGE_BUDGET),
            )
        },
        || crate::draw::page(run),
    );
    let mut pages = vec![("confusion.html", confusion), ("weights.html", weights)];
    if let Some(draw) = draw {
        pages.push(("draw.html", draw));
    }
    let mut written = Vec::new();
    for (name, html) in pages {
        let path = dir.join(name);
        write_atomic(&path, html.as_bytes())?;
        written.push(Page {
            path,
            bytes: html.len(),
        });
    }
    Ok(written)
}

/// The confusion demo page, its per-cell caps shrunk until it fits in `budget` bytes (or every
/// cap is 1).
pub fn confusion_page(run: &Results, budget: usize) -> String {
    let groups = dataset_groups(run);
    let mut caps = vec![SUMMARY_TOPS; groups.len()];
    loop {
        let demo = confusion_data(run, &groups, &caps);
        let html = confusion_demo(&demo);
        if html.len() <= budget {
            return html;
        }
        let Some((g, sheet)) = demo
            .sheets
            .iter()
            .enumerate()
            .filter(|(g, _)| caps[*g] > 1)
            .max_by_key(|(g, s)| (s.embedded_len(), std::cmp::Reverse(*g)))
        else {
            return html;
        };
        let excess = html.len() - budget;
        let cut = (caps[g] * excess).div_ceil(sheet.embedded_len().max(1));
        caps[g] -= cut.clamp(1, caps[g] - 1);
    }
}

/// The networks of each dataset, by dataset name, in order of first appearance.
fn dataset_groups(run: &Results) -> Vec<(&DataKind, Vec<&Outcome>)> {
    let mut groups: Vec<(&DataKind, Vec<&Outcome>)> = Vec::new();
    for o in &run.outcomes {
        let data = &o.trained.spec.data;
        match groups.iter_mut().find(|(d, _)| *d == data) {
            Some((_, list)) => list.push(o),
            None => groups.push((data, vec![o])),
        }
    }
    groups
}

/// The demo's data with at most `caps[g]` samples per cell for the networks of group `g`.
fn confusion_data(
    run: &Results,
    groups: &[(&DataKind, Vec<&Outcome>)],
    caps: &[usize],
) -> ConfusionDemo {
    let mut sheets = Vec::new();
    let mut networks = Vec::new();
    for ((_, outcomes), &cap) in groups.iter().zip(caps) {
        let sheet_index = sheets.len();
        // Every sample any network of the dataset shows, once, by held-out index: tile numbers
        // follow the order of the samples in the split, so the sheet is deterministic.
        let mut tiles: BTreeMap<usize, u32> = BTreeMap::new();
        for o in outcomes {
            let tops = &o.analysis.held_out.tops;
            let k = tops.n_classes();
            for a in 0..k {
                for p in 0..k {
                    tiles.extend(tops.top(a, p, cap).iter().map(|s| (s.index, 0)));
                }
            }
        }
        for (t, tile) in tiles.values_mut().enumerate() {
            *tile = t as u32;
        }
        let data = run.data_of(&outcomes[0].trained.spec);
        let view = data.view(Split::HeldOut);
        let s = view.shape();
        let rasters: Vec<Raster> = tiles.keys().map(|&i| sample_raster(&view, i)).collect();
        sheets.push(SpriteSheet::pack(s.width as u32, s.height as u32, &rasters));
        for o in outcomes {
            networks.push(confusion_net(o, &view, sheet_index, cap, &tiles));
        }
    }
    ConfusionDemo {
        title: "Confusion matrices".into(),
        intro: "How each network classifies the samples it never trained on: \
                rows are the actual class, columns the class the network predicted. Each cell \
                counts the samples, shaded by its share of the row (green on the diagonal, \
                where the network is right). Hover over or focus a cell to see the samples the \
                network was most confident about in that cell."
            .into(),
        title_ko: "오차 행렬".into(),
        intro_ko: "각 신경망이 훈련 중에 보지 못한 샘플을 어떻게 분류하는지 보여 줍니다. 행은 \
                   실제 클래스, 열은 신경망이 예측한 클래스입니다. 각 칸에는 샘플 수가 적혀 있고, \
                   그 수가 행에서 차지하는 비율만큼 색이 짙어집니다(신경망이 맞힌 대각선은 \
                   초록색). 칸에 마우스를 올리거나 포커스를 두면, 그 칸에서 신경망이 가장 \
                   확신한 샘플들이 나타납니다."
            .into(),
        sheets,
        networks,
    }
}

fn confusion_net(
    o: &Outcome,
    view: &DatasetView<'_>,
    sheet: usize,
    cap: usize,
    tiles: &BTreeMap<usize, u32>,
) -> ConfusionNet {
    let ev = &o.analysis.held_out;
    let k = ev.tops.n_classes();
    let tops = (0..k)
        .map(|a| {
            (0..k)
                .map(|p| {
                    ev.tops
                        .top(a, p, cap)
                        .iter()
                        .map(|s| CellSample {
                            index: ev.first_index + s.index,
                            tile: tiles[&s.index],
                            prob: s.prob,
                        })
                        .collect()
                })
                .collect()
        })
        .collect();
    let n = ev.predictions.len();
    ConfusionNet {
        id: o.trained.spec.id.clone(),
        label: format!("{} ({})", o.trained.spec.id, layers(o)),
        split: if n == 0 {
            "held-out split (empty)".into()
        } else {
            format!(
                "held-out split: {} training images, {}..{}",
                thousands(n),
                thousands(view.range().start),
                thousands(view.range().end - 1)
            )
        },
        split_ko: if n == 0 {
            "검증 세트 (비어 있음)".into()
        } else {
            format!(
                "검증 세트: 훈련 이미지 {}장, {}..{}",
                thousands(n),
                thousands(view.range().start),
                thousands(view.range().end - 1)
            )
        },
        sheet,
        classes: o.analysis.classes.clone(),
        classes_ko: crate::draw::classes_ko(&o.trained.spec.data, &o.analysis.classes),
        counts: ev.confusion.to_rows(),
        shown: cap,
        tops,
    }
}

/// `784 → 10 → 10`: the network's layer widths.
fn layers(o: &Outcome) -> String {
    o.trained
        .model
        .architecture()
        .widths()
        .iter()
        .map(|w| w.to_string())
        .collect::<Vec<_>>()
        .join(" → ")
}

/// `50,000`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The weights demo page: every snapshot, or fewer (evenly spread) until it fits in `budget`
/// bytes.
pub fn weights_page(run: &Results, budget: usize) -> String {
    let most = run
        .outcomes
        .iter()
        .map(|o| o.trained.snapshots.len())
        .max()
        .unwrap_or(0);
    let mut keep = most;
    let mut pictures = crate::units::EXTREMES;
    loop {
        let html = weights_demo(&weights_data(run, keep, pictures));
        if html.len() <= budget || (keep <= 2 && pictures == 0) {
            return html;
        }
        if keep > 2 {
            keep = (keep * budget / html.len()).clamp(2, keep - 1);
        } else {
            pictures -= 1;
        }
    }
}

/// The demo's data with at most `keep` snapshots per network.
fn weights_data(run: &Results, keep: usize, pictures: usize) -> WeightsDemo {
    WeightsDemo {
        title: Text::new("How the weights form", "가중치가 만들어지는 과정"),
        intro: if run.outcomes.iter().any(|o| o.trained.snapshots.len() > 1) {
            Text::new(
                "The weights of the first layer drawn as images, one per neuron, from before \
                 training to its end (each image stretched from its lowest weight, black, to its \
                 highest, white). Without a hidden layer each output neuron's \
                 weights look like a template of its class; with 10 hidden neurons the first \
                 layer learns 10 filters, and the bars show how strongly each class's output \
                 neuron weighs each filter. Move the slider to watch them form.",
                "첫 번째 층의 가중치를 뉴런마다 한 장의 이미지로, 훈련 전부터 훈련이 끝날 때까지 \
                 보여 줍니다(각 이미지는 가장 작은 가중치를 검은색, 가장 큰 가중치를 흰색으로 \
                 늘려 그립니다). 은닉층이 없으면 각 출력 뉴런의 가중치는 그 클래스의 템플릿처럼 \
                 보입니다. 은닉 뉴런이 10개 있으면 첫 번째 층은 필터 10개를 배우고, 막대는 각 \
                 클래스의 출력 뉴런이 각 필터에 얼마나 큰 가중치를 두는지 보여 줍니다. 슬라이더를 \
                 움직여 가중치가 만들어지는 모습을 보세요.",
            )
        } else {
            Text::new(
                "The weights of the first layer drawn as images, one per neuron (each image \
                 stretched from its lowest weight, black, to its highest, white). Without a hidden \
                 layer each output neuron's weights are a template of what it looks for; with a \
                 hidden layer the first layer holds filters, and the bars show how strongly each \
                 class's output neuron weighs each filter.",
                "첫 번째 층의 가중치를 뉴런마다 한 장의 이미지로 보여 줍니다(각 이미지는 가장 작은 \
                 가중치를 검은색, 가장 큰 가중치를 흰색으로 늘려 그립니다). 은닉층이 없으면 각 출력 \
                 뉴런의 가중치는 그 뉴런이 찾는 모양의 템플릿입니다. 은닉층이 있으면 첫 번째 층은 \
                 필터를 담고, 막대는 각 클래스의 출력 뉴런이 각 필터에 얼마나 큰 가중치를 두는지 \
                 보여 줍니다.",
            )
        },
        networks: run
            .outcomes
            .iter()
            .map(|o| weights_net(o, run.data_of(&o.trained.spec), keep, pictures))
            .collect(),
    }
}

/// The class names of `o` in both languages (CIFAR-10's in Korean; digits and names a user gave
/// as they are).
fn class_texts(o: &Outcome) -> Vec<Text> {
    let ko = crate::draw::classes_ko(&o.trained.spec.data, &o.analysis.classes);
    o.analysis
        .classes
        .iter()
        .enumerate()
        .map(|(i, c)| Text::new(c.clone(), ko.get(i).cloned().unwrap_or_else(|| c.clone())))
        .collect()
}

/// `keep` indices spread evenly over `0..n`, always with the first and the last (all of them
/// when `keep >= n`).
fn spread(n: usize, keep: usize) -> Vec<usize> {
    if keep >= n || n <= 2 {
        return (0..n).collect();
    }
    let keep = keep.max(2);
    (0..keep)
        .map(|i| (i * (n - 1) + (keep - 1) / 2) / (keep - 1))
        .collect()
}

fn weights_net(o: &Outcome, data: &datasets::Loaded, keep: usize, pictures: usize) -> WeightsNet {
    let t = &o.trained;
    let shape = o.analysis.templates.shape();
    let two_layers = t.model.layers().len() == 2;
    let classes = class_texts(o);
    let units: Vec<Text> = if t.model.layers().len() == 1 {
        classes.clone()
    } else {
        (1..=o.analysis.templates.len())
            .map(|i| Text::new(format!("filter {i}"), format!("필터 {i}")))
            .collect()
    };
    let mut tiles = Vec::new();
    let mut snapshots = Vec::new();
    for e in spread(t.snapshots.len(), keep) {
        let m = &t.snapshots[e];
        let layers = m.layers();
        let templates = Templates::from_weight(&layers[0].weight, shape);
        tiles.extend((0..templates.len()).map(|u| template_raster(&templates, u)));
        let report = e.checked_sub(1).and_then(|i| t.epochs.get(i));
        let bars = if two_layers {
            let b = OutputBars::from_weight(&layers[1].weight);
            (0..b.outputs()).map(|c| b.row(c).to_vec()).collect()
        } else {
            Vec::new()
        };
        let zero = layers[0].weight.as_slice().iter().all(|&w| w == 0.0);
        // A model read from a file has its final weights only, and no epochs to report.
        let imported = t.epochs.is_empty() && t.spec.train.epochs == 0;
        snapshots.push(WeightsSnapshot {
            epoch: e,
            label: imported.then(|| {
                Text::new(
                    "The weights as read from the model file.",
                    "모델 파일에서 읽은 가중치입니다.",
                )
            }),
            loss: report.map(|r| r.loss),
            accuracy: report.map(|r| r.accuracy),
            note: zero.then(|| {
                Text::new(
                    "Every weight is zero, so every picture is plain gray.",
                    "모든 가중치가 0이라 모든 그림이 단색 회색입니다.",
                )
            }),
            bars,
        });
    }
    let what = if two_layers {
        Text::new(
            "the hidden layer's filters, and each class's weights on them",
            "은닉층의 필터와, 그 필터에 대한 각 클래스의 가중치",
        )
    } else if t.model.layers().len() == 1 {
        Text::new(
            "the weights into each output neuron",
            "각 출력 뉴런으로 들어가는 가중치",
        )
    } else {
        Text::new("the first hidden layer's filters", "첫 번째 은닉층의 필터")
    };
    // What each hidden unit of the trained network sees: its extreme held-out images join the
    // sheet after the snapshots' tiles.
    let mut cards = Vec::new();
    if two_layers {
        let view = data.view(datasets::Split::HeldOut);
        let feed = datasets::Feed::new(view, &t.spec.input_scaling);
        let codes = crate::claims::hidden_codes(&t.model, &feed, 0..view.len());
        for c in crate::units::cards(&codes) {
            let mut tile_of = |i: usize| {
                tiles.push(sample_raster(&view, i));
                (tiles.len() - 1) as u32
            };
            let top = c.top.iter().take(pictures).map(|&i| tile_of(i)).collect();
            let bottom = c
                .bottom
                .iter()
                .take(pictures)
                .map(|&i| tile_of(i))
                .collect();
            cards.push(render::html::UnitCard {
                top,
                bottom,
                histogram: c.histogram,
                range: [c.range.0, c.range.1],
            });
        }
    }
    WeightsNet {
        id: t.spec.id.clone(),
        group: t.spec.data.display_name().to_string(),
        label: Text::new(
            format!("{} ({}): {}", t.spec.id, layers(o), what.en),
            format!("{} ({}): {}", t.spec.id, layers(o), what.ko),
        ),
        units,
        classes: if two_layers { classes } else { Vec::new() },
        sheet: SpriteSheet::pack(shape.width as u32, shape.height as u32, &tiles),
        snapshots,
        cards,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_spread(n: usize, keep: usize, expect: &[usize]) {
        assert_eq!(spread(n, keep), expect, "spread({n}, {keep})");
    }

    #[test]
    fn spread_keeps_the_ends_and_spaces_evenly() {
        check_spread(0, 5, &[]);
        check_spread(3, 5, &[0, 1, 2]);
        check_spread(11, 11, &(0..11).collect::<Vec<_>>());
        check_spread(11, 2, &[0, 10]);
        check_spread(11, 3, &[0, 5, 10]);
        check_spread(11, 6, &[0, 2, 4, 6, 8, 10]);
        check_spread(101, 5, &[0, 25, 50, 75, 100]);
    }

    fn check_thousands(n: usize, expect: &str) {
        assert_eq!(thousands(n), expect);
    }

    #[test]
    fn thousands_groups_digits() {
        check_thousands(0, "0");
        check_thousands(999, "999");
        check_thousands(1000, "1,000");
        check_thousands(59_999, "59,999");
        check_thousands(1_234_567, "1,234,567");
    }
}
