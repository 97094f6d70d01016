//! Checking a claim of the chapter rather than believing it: "adding more layers stops
//! improving accuracy quickly". Trains the chapter's MNIST recipe over a range of hidden widths
//! and depths and reports each network's held-out accuracy.

use datasets::Split;
use render::{Anchor, Drawing, Rect, TextStyle, palette};
use serde::{Deserialize, Serialize};

use crate::analysis::analyse;
use crate::data::DataDir;
use crate::error::ExperimentError;
use crate::spec::{NetworkId, Spec};
use crate::training::train;

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
pub fn figure(points: &[SweepPoint]) -> Drawing {
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
        "MNIST held-out accuracy by hidden layers (same recipe, same epochs)",
        title,
    );
    let text = TextStyle::new(12.0, palette::INK).anchored(Anchor::LEFT);
    let muted = TextStyle::new(11.0, palette::MUTED).anchored(Anchor::CENTER);
    for (i, p) in points.iter().enumerate() {
        let y = top + i as u32 * row_h;
        let arch = std::iter::once("784".to_string())
            .chain(p.hidden.iter().map(usize::to_string))
            .chain(std::iter::once("10".into()))
            .collect::<Vec<_>>()
            .join("-");
        r.text(
            (8.0, (y + row_h / 2) as f32),
            format!("{arch}  ({} params)", p.parameters),
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
