//! The draw-your-own-digit page: the reader draws (or picks a held-out sample), the page
//! preprocesses the drawing as MNIST's digits were, and runs the network's forward pass in the
//! page, showing how each output neuron's score z = b + Σ w·x comes about.
//!
//! The weights travel as base64 of their little-endian f32 bytes, so the page computes with
//! exactly the numbers the Rust model holds; pixels travel as base64 of their bytes.

use base64::Engine as _;
use serde::{Serialize, Serializer};

use super::{escape, page, to_json};

const DRAW_JS: &str = include_str!("draw.js");

/// One dense layer: `outputs x inputs` weights, row-major (row `j` feeds unit `j`), and biases.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DrawLayer {
    /// Inputs of the layer.
    pub inputs: usize,
    /// Units of the layer.
    pub outputs: usize,
    /// `outputs * inputs` weights, row-major.
    #[serde(serialize_with = "f32_base64")]
    pub weight: Vec<f32>,
    /// `outputs` biases.
    #[serde(serialize_with = "f32_base64")]
    pub bias: Vec<f32>,
    /// The activation after the layer: `identity`, `sigmoid`, `tanh` or `relu`.
    pub activation: String,
}

/// How a pixel byte `x` of channel `c` becomes an input: `(x / 255 - mean[c]) / std[c]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DrawScaling {
    /// Per channel.
    pub mean: Vec<f32>,
    /// Per channel.
    pub std: Vec<f32>,
}

/// A network the page can run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DrawNet {
    /// Identifier (e.g. `mnist-1layer`).
    pub id: String,
    /// The group the dataset switch selects (e.g. `MNIST`), also naming its samples.
    pub group: String,
    /// Menu label.
    pub label: String,
    /// Class names, in English.
    pub classes: Vec<String>,
    /// Class names in Korean, when they are words (empty: the English ones are used).
    pub classes_ko: Vec<String>,
    /// The layers, first to last.
    pub layers: Vec<DrawLayer>,
    /// How pixels become inputs.
    pub scaling: DrawScaling,
}

/// Held-out images the "Sample" button picks from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DrawSamples {
    /// The group (e.g. `MNIST`).
    pub group: String,
    /// Colour planes.
    pub channels: usize,
    /// Rows.
    pub height: usize,
    /// Columns.
    pub width: usize,
    /// Whether the reader may draw (grayscale digits) or only pick samples.
    pub drawable: bool,
    /// `n * channels * height * width` pixel bytes, planar per image.
    #[serde(serialize_with = "bytes_base64")]
    pub pixels: Vec<u8>,
    /// `n` labels.
    pub labels: Vec<u8>,
    /// Each image's index in its split, for the caption.
    pub indices: Vec<usize>,
}

/// The page's data.
#[derive(Debug, Clone, PartialEq)]
pub struct DrawDemo {
    /// The networks, grouped by dataset in order of first appearance.
    pub networks: Vec<DrawNet>,
    /// One set of samples per group.
    pub samples: Vec<DrawSamples>,
}

fn f32_base64<S: Serializer>(v: &[f32], s: S) -> Result<S::Ok, S::Error> {
    let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
    s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
}

fn bytes_base64<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(v))
}

/// The draw page as one HTML file, in English and Korean (the page's switch, or `?lang=ko`).
///
/// # Panics
/// If a network's layers do not chain, a weight or bias array has the wrong length, the scaling
/// does not have one mean and one deviation per channel, or a group has no samples.
#[track_caller]
pub fn draw_demo(demo: &DrawDemo) -> String {
    for n in &demo.networks {
        let s = demo
            .samples
            .iter()
            .find(|s| s.group == n.group)
            .unwrap_or_else(|| panic!("{}: no samples for group {}", n.id, n.group));
        let len = s.channels * s.height * s.width;
        assert_eq!(n.layers[0].inputs, len, "{}: inputs", n.id);
        for w in n.layers.windows(2) {
            assert_eq!(w[0].outputs, w[1].inputs, "{}: layers do not chain", n.id);
        }
        for l in &n.layers {
            assert_eq!(l.weight.len(), l.inputs * l.outputs, "{}: weights", n.id);
            assert_eq!(l.bias.len(), l.outputs, "{}: biases", n.id);
        }
        assert_eq!(n.layers.last().map(|l| l.outputs), Some(n.classes.len()));
        assert!(n.scaling.mean.len() == s.channels && n.scaling.std.len() == s.channels);
    }
    for s in &demo.samples {
        let len = s.channels * s.height * s.width;
        assert!(!s.labels.is_empty(), "{}: no samples", s.group);
        assert_eq!(s.pixels.len(), s.labels.len() * len, "{}: pixels", s.group);
        assert_eq!(s.indices.len(), s.labels.len(), "{}: indices", s.group);
    }
    #[derive(Serialize)]
    struct Data<'a> {
        networks: &'a [DrawNet],
        samples: &'a [DrawSamples],
    }
    let json = to_json(&Data {
        networks: &demo.networks,
        samples: &demo.samples,
    });
    let body = format!(
        r#"<div class="controls">
<fieldset class="switch" id="dataset"><legend data-t="dataset">Dataset</legend></fieldset>
<label class="menu"><span data-t="network">Network</span> <select id="net"></select></label>
<button type="button" id="sample" data-t="sample">Sample</button>
<button type="button" id="clear" data-t="clear">Clear</button>
<fieldset class="switch" id="lang"><legend data-t="language">Language</legend>
<input type="radio" name="lang" id="lang-en" value="en" checked><label for="lang-en">English</label>
<input type="radio" name="lang" id="lang-ko" value="ko"><label for="lang-ko">한국어</label>
</fieldset>
</div>
<div class="draw">
<div class="pad"><canvas id="pad" width="280" height="280" aria-describedby="pad-hint"></canvas>
<p class="hint" id="pad-hint"></p></div>
<div class="seen"><h2 data-t="seen">What the network sees</h2><canvas id="input" width="28" height="28"></canvas>
<p class="hint" id="input-note"></p></div>
<div class="result"><h2 data-t="verdict">Its answer</h2><p id="verdict" aria-live="polite"></p><div id="probs"></div></div>
</div>
<section id="hidden-view"></section>
<section id="classes-view"></section>
<noscript>{}</noscript>"#,
        escape("This page needs JavaScript to run the network.")
    );
    page(
        "Draw a digit",
        "Draw a digit and watch the network score it.",
        "",
        &body,
        &json,
        DRAW_JS,
    )
}
