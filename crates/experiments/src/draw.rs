//! `demos/draw.html`: draw a digit and watch the network score it. Built from a run's dense
//! networks of one or two layers, with their exact f32 weights and scaling, and a few held-out
//! images per dataset for the page's "Sample" button.

use datasets::{InputScaling, Split};
use render::html::{DrawDemo, DrawLayer, DrawNet, DrawSamples, DrawScaling, draw_demo};

use crate::pipeline::{Outcome, Results};
use crate::spec::DataKind;

/// Held-out images per dataset the page carries (spread evenly over the split).
pub const SAMPLES: usize = 64;

/// The Korean class names of `data` when its classes are words with Korean names (CIFAR-10's
/// own), else none (digits, and names a user gave, stay as they are).
pub fn classes_ko(data: &DataKind, classes: &[String]) -> Vec<String> {
    use datasets::cifar10::{CLASSES, CLASSES_KO};
    if *data == DataKind::Cifar10 && classes.iter().map(String::as_str).eq(CLASSES) {
        CLASSES_KO.iter().map(|c| c.to_string()).collect()
    } else {
        Vec::new()
    }
}

/// The draw page for `run`, or `None` when no network of it can be shown (none has one or two
/// layers).
pub fn page(run: &Results) -> Option<String> {
    let shown: Vec<&Outcome> = run
        .outcomes
        .iter()
        .filter(|o| o.trained.model.layers().len() <= 2)
        .collect();
    if shown.is_empty() {
        return None;
    }
    let mut samples: Vec<DrawSamples> = Vec::new();
    let networks = shown
        .iter()
        .map(|o| {
            let spec = &o.trained.spec;
            let group = spec.data.display_name().to_string();
            let data = run.data_of(spec);
            let view = data.view(Split::HeldOut);
            let shape = view.shape();
            if !samples.iter().any(|s| s.group == group) {
                let n = view.len();
                let picks: Vec<usize> = (0..SAMPLES.min(n))
                    .map(|k| k * n / SAMPLES.min(n))
                    .collect();
                samples.push(DrawSamples {
                    group: group.clone(),
                    channels: shape.channels,
                    height: shape.height,
                    width: shape.width,
                    // Drawing makes sense for grayscale digits, the way MNIST was made.
                    drawable: spec.data == DataKind::Mnist,
                    pixels: picks.iter().flat_map(|&i| view.image(i).to_vec()).collect(),
                    labels: picks.iter().map(|&i| view.label(i)).collect(),
                    indices: picks.iter().map(|&i| view.dataset_index(i)).collect(),
                });
            }
            let classes = view.classes().to_vec();
            let classes_ko = classes_ko(&spec.data, &classes);
            let arch = o.trained.model.architecture();
            DrawNet {
                id: spec.id.clone(),
                group,
                label: format!(
                    "{} ({})",
                    spec.id,
                    arch.widths()
                        .iter()
                        .map(usize::to_string)
                        .collect::<Vec<_>>()
                        .join(" → ")
                ),
                classes,
                classes_ko,
                layers: o
                    .trained
                    .model
                    .layers()
                    .iter()
                    .zip(&arch.layers)
                    .map(|(l, s)| DrawLayer {
                        inputs: l.inputs(),
                        outputs: l.outputs(),
                        weight: l.weight.as_slice().to_vec(),
                        bias: l.bias.as_slice().to_vec(),
                        activation: s.activation.name().to_string(),
                    })
                    .collect(),
                scaling: scaling(&spec.input_scaling, shape.channels),
            }
        })
        .collect();
    Some(draw_demo(&DrawDemo { networks, samples }))
}

/// `InputScaling` as per-channel mean and deviation in the `x / 255` scale.
fn scaling(s: &InputScaling, channels: usize) -> DrawScaling {
    match s {
        InputScaling::UnitRange => DrawScaling {
            mean: vec![0.0; channels],
            std: vec![1.0; channels],
        },
        InputScaling::ZeroCentred => DrawScaling {
            mean: vec![0.5; channels],
            std: vec![1.0; channels],
        },
        InputScaling::Standardize(st) => DrawScaling {
            mean: st.mean.clone(),
            std: st.std.clone(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scaling_gives_what_the_feed_computes() {
        let stats = datasets::ChannelStats {
            mean: vec![0.1, 0.2, 0.3],
            std: vec![0.5, 0.0, 2.0],
        };
        for s in [
            InputScaling::UnitRange,
            InputScaling::ZeroCentred,
            InputScaling::Standardize(stats),
        ] {
            let d = scaling(&s, 3);
            for c in 0..3 {
                for x in [0u8, 17, 128, 255] {
                    let sd = if d.std[c] > 0.0 { d.std[c] } else { 1.0 };
                    let page = (x as f32 / 255.0 - d.mean[c]) / sd;
                    assert!((page - s.apply(c, x)).abs() < 1e-6, "{s:?} {c} {x}");
                }
            }
        }
    }
}
