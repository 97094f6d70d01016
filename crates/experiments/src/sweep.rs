//! Checking a claim of the chapter rather than believing it: "adding more layers stops
//! improving accuracy quickly". Trains the chapter's MNIST recipe over a range of hidden widths
//! and depths and reports each network's held-out accuracy. [`measure_cached`] does the same
//! on MNIST or CIFAR-10 for `reproduce`'s claims, with the results cached by content.

use std::path::Path;

use datasets::Split;
use render::{Anchor, Drawing, Rect, TextStyle, palette};
use serde::{Deserialize, Serialize};

use crate::analysis::analyse;
use crate::data::{Data, DataDir};
use crate::error::ExperimentError;
use crate::lang::Lang;
use crate::spec::{DataKind, NetworkId, Spec};
use crate::training::train;
use sha2::{Digest, Sha256};

/// The hidden layers tried: none, one of growing width, two.
pub const HIDDEN: [&[usize]; 8] = [
    &[],
    &[10],
    &[20],
    &[50],
    &[100],
    &[10, 10],
    &[50, 50],
    &[100, 100],
];

/// One network of the sweep.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SweepPoint {
    /// Hidden widths (empty: no hidden layer).
    pub hidden: Vec<usize>,
    /// Weights and biases.
    pub parameters: usize,
    /// Held-out accuracy.
    pub heldout_accuracy: f64,
    /// Wall time of training.
    pub train_seconds: f64,
}

/// The spec of one sweep point: the chapter's 2-layer MNIST recipe with other hidden layers
/// (the 1-layer recipe, with zero initialisation, when there are none).
pub fn spec(hidden: &[usize], epochs: usize) -> Spec {
    let base = if hidden.is_empty() {
        NetworkId::Mnist1Layer
    } else {
        NetworkId::Mnist2Layer
    }
    .spec();
    let name: Vec<String> = hidden.iter().map(usize::to_string).collect();
    let mut s = Spec {
        id: format!(
            "sweep-784-{}10",
            name.iter().map(|n| format!("{n}-")).collect::<String>()
        ),
        hidden: hidden.to_vec(),
        ..base
    };
    s.train.epochs = epochs;
    s
}

/// The spec of one sweep point on `data`: [`spec`] for MNIST; for CIFAR-10 the chapter's
/// 2-layer CIFAR-10 recipe with other hidden layers (the 1-layer recipe when there are none).
pub fn spec_on(data: &DataKind, hidden: &[usize], epochs: usize) -> Spec {
    if *data != DataKind::Cifar10 {
        return spec(hidden, epochs);
    }
    let base = if hidden.is_empty() {
        NetworkId::Cifar1Layer
    } else {
        NetworkId::Cifar2Layer
    }
    .spec();
    let name: String = hidden.iter().map(|n| format!("{n}-")).collect();
    let mut s = Spec {
        id: format!("sweep-3072-{name}10"),
        hidden: hidden.to_vec(),
        ..base
    };
    s.train.epochs = epochs;
    s
}

/// Bumped whenever the sweep's measurement changes, so old cached results are not reused.
const SWEEP_CACHE_VERSION: &str = "ml4a-sweep-v2";

/// The sweep of [`HIDDEN`] on `data` (MNIST or CIFAR-10, by [`spec_on`]), read from
/// `cache/sweep-<data>-<key>.json` when a run with the same specs on the same training data
/// (same SHA-256 fingerprint) was measured before, else trained (models not cached: only the
/// points are) and stored there. Returns the points and whether they came from the cache.
///
/// # Errors
/// Divergence, IO.
pub fn measure_cached(
    kind: &DataKind,
    data: &Data,
    cache: Option<&Path>,
    epochs: usize,
    on_point: &mut dyn FnMut(&SweepPoint),
) -> Result<(Vec<SweepPoint>, bool), ExperimentError> {
    let specs: Vec<Spec> = HIDDEN.iter().map(|h| spec_on(kind, h, epochs)).collect();
    let mut h = Sha256::new();
    h.update(SWEEP_CACHE_VERSION.as_bytes());
    for s in &specs {
        h.update(serde_json::to_vec(s).expect("a spec always serialises"));
    }
    h.update(data.train_fingerprint().as_bytes());
    let key = hex::encode(h.finalize());
    let file = cache.map(|c| c.join(format!("sweep-{}-{}.json", kind.name(), &key[..16])));
    if let Some(f) = &file
        && let Ok(bytes) = std::fs::read(f)
        && let Ok(points) = serde_json::from_slice::<Vec<SweepPoint>>(&bytes)
        && points.len() == specs.len()
    {
        return Ok((points, true));
    }
    let inputs = data.view(Split::Train).shape().len();
    let classes = data.view(Split::Train).num_classes();
    let mut out = Vec::new();
    for s in &specs {
        let t = train(s, data, None, &mut |_| {})?;
        let a = analyse(&t, data)?;
        let arch = s.architecture(inputs, classes);
        let p = SweepPoint {
            hidden: s.hidden.clone(),
            parameters: (0..arch.layers.len())
                .map(|l| arch.layers[l].units * (arch.fan_in(l) + 1))
                .sum(),
            heldout_accuracy: a.held_out.accuracy(),
            train_seconds: t.train_seconds,
        };
        on_point(&p);
        out.push(p);
    }
    if let Some(f) = &file {
        crate::io::write_json(f, &out)?;
    }
    Ok((out, false))
}

/// Trains every point of [`HIDDEN`] on MNIST (cached under `cache`) and evaluates it.
///
/// # Errors
/// Missing data, divergence, IO.
pub fn measure(
    data_dir: &DataDir,
    cache: Option<&std::path::Path>,
    epochs: usize,
    on_point: &mut dyn FnMut(&SweepPoint),
) -> Result<Vec<SweepPoint>, ExperimentError> {
    let data = data_dir.load(&crate::spec::DataKind::Mnist)?;
    let inputs = data.view(Split::Train).shape().len();
    let mut out = Vec::new();
    for hidden in HIDDEN {
        let s = spec(hidden, epochs);
        let t = train(&s, &data, cache, &mut |_| {})?;
        let a = analyse(&t, &data)?;
        let arch = s.architecture(inputs, 10);
        let parameters = (0..arch.layers.len())
            .map(|l| arch.layers[l].units * (arch.fan_in(l) + 1))
            .sum();
        let p = SweepPoint {
            hidden: hidden.to_vec(),
            parameters,
            heldout_accuracy: a.held_out.accuracy(),
            train_seconds: t.train_seconds,
        };
        on_point(&p);
        out.push(p);
    }
    Ok(out)
}

/// Horizontal bars of held-out accuracy, one per network, on an axis from the lowest accuracy
/// minus a margin to 100%, so that differences of a point are visible; each bar is labelled
/// with its architecture, parameter count and accuracy.
pub fn figure(points: &[SweepPoint], lang: Lang) -> Drawing {
    figure_for(points, "MNIST", 784, lang)
}

/// [`figure`] for a sweep on any data: `dataset` names it in the title, `inputs` starts each
/// architecture's label; the words in `lang`.
pub fn figure_for(points: &[SweepPoint], dataset: &str, inputs: usize, lang: Lang) -> Drawing {
    let (label_w, bar_w, row_h, top) = (230u32, 360u32, 26u32, 40u32);
    let lo = points
        .iter()
        .map(|p| p.heldout_accuracy)
        .fold(1.0f64, f64::min);
    let lo = ((lo - 0.02) * 50.0).floor() / 50.0; // down to a multiple of 2%
    let mut r = Drawing::canvas(
        label_w + bar_w + 80,
        top + row_h * points.len() as u32 + 30,
        palette::BACKGROUND,
    );
    let title = TextStyle::new(14.0, palette::INK).anchored(Anchor::TOP_LEFT);
    r.text(
        (8.0, 8.0),
        crate::figure_text::sweep_title(lang, dataset),
        title,
    );
    let text = TextStyle::new(12.0, palette::INK).anchored(Anchor::LEFT);
    let muted = TextStyle::new(11.0, palette::MUTED).anchored(Anchor::CENTER);
    for (i, p) in points.iter().enumerate() {
        let y = top + i as u32 * row_h;
        let arch = std::iter::once(inputs.to_string())
            .chain(p.hidden.iter().map(usize::to_string))
            .chain(std::iter::once("10".into()))
            .collect::<Vec<_>>()
            .join("-");
        r.text(
            (8.0, (y + row_h / 2) as f32),
            crate::figure_text::sweep_row(lang, &arch, p.parameters),
            text,
        );
        let frac = ((p.heldout_accuracy - lo) / (1.0 - lo)).clamp(0.0, 1.0);
        let w = (frac * bar_w as f64).round() as u32;
        let color = if p.hidden.is_empty() {
            palette::BAR
        } else {
            palette::CORRECT
        };
        r.rect(
            Rect::new(label_w as i32, (y + 4) as i32, w.max(1), row_h - 8),
            Some(color),
            None,
        );
        r.text(
            ((label_w + w + 6) as f32, (y + row_h / 2) as f32),
            format!("{:.2}%", 100.0 * p.heldout_accuracy),
            text,
        );
    }
    let axis_y = top + row_h * points.len() as u32 + 4;
    r.rect(
        Rect::new(label_w as i32, axis_y as i32, bar_w, 1),
        Some(palette::INK),
        None,
    );
    for (frac, v) in [(0.0, lo), (1.0, 1.0)] {
        r.text(
            (label_w as f32 + frac * bar_w as f32, (axis_y + 12) as f32),
            format!("{:.0}%", 100.0 * v),
            muted,
        );
    }
    r.padded(6, palette::BACKGROUND)
}
