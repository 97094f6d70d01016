//! Dense networks in and out of the safetensors format (Hugging Face's, which PyTorch, JAX and
//! Keras users save with), so a model trained elsewhere can be looked inside here and ours can
//! be loaded there.
//!
//! **Reading** ([`read`], [`from_bytes`]) takes the layers from the tensor names:
//! `PREFIX.weight` / `PREFIX.bias` (PyTorch) or `PREFIX.kernel` / `PREFIX.bias` (Flax, Keras),
//! with `/` accepted for `.`. The layers are ordered by the number that ends each prefix
//! (`0`, `2`, `4` of an `nn.Sequential`; `fc1`, `fc2`, `fc3`), or as [`ImportOptions::layers`]
//! says when the names do not tell. Weights are `outputs x inputs`, as PyTorch stores them;
//! [`ImportOptions::transpose`] reads `inputs x outputs` kernels. F32, F64, F16 and BF16 are read
//! as f32. The hidden activation comes from [`ImportOptions::activation`], else from the
//! metadata this module writes (`ml4a.activation`).
//!
//! **Writing** ([`to_bytes`], [`save`]) uses `nn.Sequential` names (`0.weight`, `0.bias`,
//! `2.weight`, …: a linear layer at every even index, its activation between), so
//! `load_state_dict` on `nn.Sequential(nn.Linear(784, 10), nn.ReLU(), nn.Linear(10, 10))` takes
//! the file as it is. The metadata records the widths and the activation, plus what the caller
//! adds (dataset, input scaling).
//!
//! Every problem is a [`SafetensorsError`] naming the file and, where one is at fault, the
//! tensor. The header length is checked against [`MAX_HEADER`] and the file before it is
//! parsed, so a hostile header cannot make the reader allocate.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ::safetensors::tensor::{Dtype, SafeTensors, TensorView};
use tensor::{ImageShape, Matrix};

use crate::activation::Activation;
use crate::convnet::{ConvArchitecture, ConvLayer, ConvNet};
use crate::mlp::{Architecture, LayerSpec, Linear, Mlp};

/// The largest header read, in bytes. A dense network's header is a few hundred bytes; even a
/// large language model's stays far below this.
pub const MAX_HEADER: u64 = 16 << 20;

/// The metadata key holding the hidden activation's name.
pub const ACTIVATION_KEY: &str = "ml4a.activation";
/// The metadata key holding the widths, such as `784,10,10`.
pub const WIDTHS_KEY: &str = "ml4a.widths";

/// How to read a file whose names or layout do not say everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// The activation after every hidden layer; `None`: from the file's metadata.
    pub activation: Option<Activation>,
    /// The layer prefixes in order (`["fc1", "fc2"]`); `None`: from the numbers in the names.
    pub layers: Option<Vec<String>>,
    /// Weights are stored `inputs x outputs` (Flax and Keras kernels).
    pub transpose: bool,
}

/// A network read from a file, with the file's metadata.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The network.
    pub model: Mlp,
    /// The layer prefixes, in the order used.
    pub layers: Vec<String>,
    /// The file's metadata (empty when it has none).
    pub metadata: BTreeMap<String, String>,
}

/// A safetensors file could not be read or written.
#[derive(Debug, thiserror::Error)]
#[error("{}: {}{kind}", path.display(), tensor.as_ref().map(|t| format!("tensor {t}: ")).unwrap_or_default())]
pub struct SafetensorsError {
    /// The file.
    pub path: PathBuf,
    /// The tensor at fault, when one is.
    pub tensor: Option<String>,
    /// What is wrong.
    pub kind: SafetensorsErrorKind,
}

/// What is wrong with a safetensors file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SafetensorsErrorKind {
    /// Reading or writing failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// Shorter than its 8-byte header length, or than the header it announces.
    #[error("truncated: {0}")]
    Truncated(String),
    /// The announced header is larger than [`MAX_HEADER`].
    #[error("the header claims {len} bytes, more than the {MAX_HEADER} this reader accepts")]
    HeaderTooLarge {
        /// The announced length.
        len: u64,
    },
    /// The header or the tensor offsets do not parse or agree.
    #[error("not a valid safetensors file: {0}")]
    Format(String),
    /// No weight tensors at all.
    #[error("holds no layer weights (no tensor named PREFIX.weight or PREFIX.kernel)")]
    NoLayers,
    /// A tensor that is neither a weight nor a bias of a dense layer.
    #[error("not the weight or bias of a dense layer; only dense networks are read")]
    NotDense,
    /// The layer order cannot be told from the names.
    #[error("cannot tell the order of layers {}: name them in order with --layers", .0.join(", "))]
    LayerOrder(Vec<String>),
    /// A layer named in [`ImportOptions::layers`] has no weight in the file.
    #[error("no tensor {0}.weight or {0}.kernel in the file")]
    UnknownLayer(String),
    /// A weight not named in [`ImportOptions::layers`].
    #[error("is not among the layers given")]
    UnlistedLayer,
    /// A layer without its bias.
    #[error("has no bias tensor (expected {0})")]
    MissingBias(String),
    /// A weight that is not 2-D, or a bias that is not 1-D of the layer's width.
    #[error("shape {found:?}, expected {expected}")]
    Shape {
        /// What was expected, in words.
        expected: String,
        /// The shape found.
        found: Vec<usize>,
    },
    /// A layer whose inputs are not the previous layer's outputs.
    #[error("takes {found} inputs, but the layer before gives {expected}{}", if *.transposed { "" } else { " (if the file stores inputs x outputs, use --transpose)" })]
    Chain {
        /// The previous layer's outputs.
        expected: usize,
        /// This layer's inputs.
        found: usize,
        /// Whether the weights were read transposed.
        transposed: bool,
    },
    /// A dtype other than F32, F64, F16 and BF16.
    #[error("dtype {0} cannot be read (F32, F64, F16 and BF16 can)")]
    Dtype(String),
    /// A NaN or infinite value.
    #[error("holds a value that is not finite")]
    NotFinite,
    /// The network has hidden layers and neither the options nor the metadata say their
    /// activation.
    #[error(
        "the hidden activation is not recorded in the file: give --activation relu|sigmoid|tanh|identity"
    )]
    NeedActivation,
    /// The metadata names an activation this crate does not have.
    #[error("metadata {ACTIVATION_KEY} is {0:?}, not relu, sigmoid, tanh or identity")]
    BadActivation(String),
    /// The file could not be encoded.
    #[error("encoding failed: {0}")]
    Encode(String),
}

impl SafetensorsErrorKind {
    fn at(self, tensor: impl Into<String>) -> (Option<String>, SafetensorsErrorKind) {
        (Some(tensor.into()), self)
    }
}

type Fault = (Option<String>, SafetensorsErrorKind);

fn whole(kind: SafetensorsErrorKind) -> Fault {
    (None, kind)
}

/// Reads the dense network in `path`.
///
/// # Errors
/// [`SafetensorsError`] naming the file (and the tensor at fault): unreadable, truncated, a
/// header too large or malformed, a layer order the names do not tell, a missing bias, shapes
/// that do not chain, a dtype that cannot be read, a value that is not finite, an activation
/// nobody gave.
pub fn read(path: &Path, opts: &ImportOptions) -> Result<Imported, SafetensorsError> {
    let fail = |(tensor, kind): Fault| SafetensorsError {
        path: path.to_path_buf(),
        tensor,
        kind,
    };
    let bytes = std::fs::read(path).map_err(|e| fail(whole(e.into())))?;
    from_bytes(&bytes, opts).map_err(fail)
}

/// The tensors and metadata of `bytes`, after the checks that keep a hostile header from
/// costing anything: its length against [`MAX_HEADER`] and against the bytes that follow.
fn parse(bytes: &[u8]) -> Result<(SafeTensors<'_>, BTreeMap<String, String>), Fault> {
    let Some(len) = bytes.get(..8) else {
        return Err(whole(SafetensorsErrorKind::Truncated(format!(
            "{} bytes, fewer than the 8 of the header length",
            bytes.len()
        ))));
    };
    let header = u64::from_le_bytes(len.try_into().expect("8 bytes"));
    if header > MAX_HEADER {
        return Err(whole(SafetensorsErrorKind::HeaderTooLarge { len: header }));
    }
    if header > (bytes.len() - 8) as u64 {
        return Err(whole(SafetensorsErrorKind::Truncated(format!(
            "the header claims {header} bytes and {} follow",
            bytes.len() - 8
        ))));
    }
    let format =
        |e: ::safetensors::SafeTensorError| whole(SafetensorsErrorKind::Format(e.to_string()));
    let (_, meta) = SafeTensors::read_metadata(bytes).map_err(format)?;
    let metadata: BTreeMap<String, String> = meta
        .metadata()
        .as_ref()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    let file = SafeTensors::deserialize(bytes).map_err(format)?;
    Ok((file, metadata))
}

/// [`read`] on bytes in memory; the error names the tensor at fault, if one is.
///
/// # Errors
/// As [`read`].
pub fn from_bytes(bytes: &[u8], opts: &ImportOptions) -> Result<Imported, Fault> {
    let (file, metadata) = parse(bytes)?;
    let prefixes = layer_prefixes(&file, opts)?;
    let mut layers = Vec::with_capacity(prefixes.len());
    let mut previous: Option<usize> = None;
    for prefix in &prefixes {
        let (wname, w) = find(&file, prefix, &["weight", "kernel"])
            .ok_or_else(|| whole(SafetensorsErrorKind::UnknownLayer(prefix.clone())))?;
        let shape = w.shape().to_vec();
        if shape.len() != 2 {
            return Err(SafetensorsErrorKind::Shape {
                expected: "a 2-D weight".into(),
                found: shape,
            }
            .at(wname));
        }
        let values = to_f32(&w).map_err(|k| k.at(wname.clone()))?;
        let (outputs, inputs) = if opts.transpose {
            (shape[1], shape[0])
        } else {
            (shape[0], shape[1])
        };
        let stored = Matrix::from_vec(shape[0], shape[1], values)
            .map_err(|e| SafetensorsErrorKind::Format(e.to_string()).at(wname.clone()))?;
        let weight = if opts.transpose {
            stored.transpose()
        } else {
            stored
        };
        if let Some(expected) = previous
            && expected != inputs
        {
            return Err(SafetensorsErrorKind::Chain {
                expected,
                found: inputs,
                transposed: opts.transpose,
            }
            .at(wname));
        }
        let (bname, b) = find(&file, prefix, &["bias"]).ok_or_else(|| {
            SafetensorsErrorKind::MissingBias(format!("{prefix}.bias")).at(wname.clone())
        })?;
        let bshape = b.shape().to_vec();
        if bshape.iter().product::<usize>() != outputs || bshape.len() > 2 || bshape.is_empty() {
            return Err(SafetensorsErrorKind::Shape {
                expected: if !opts.transpose && bshape.iter().product::<usize>() == inputs {
                    format!(
                        "a bias of {outputs} values (if the file stores inputs x outputs, use --transpose)"
                    )
                } else {
                    format!("a bias of {outputs} values")
                },
                found: bshape,
            }
            .at(bname));
        }
        let bias = Matrix::from_vec(1, outputs, to_f32(&b).map_err(|k| k.at(bname.clone()))?)
            .map_err(|e| SafetensorsErrorKind::Format(e.to_string()).at(bname.clone()))?;
        layers.push(Linear { weight, bias });
        previous = Some(outputs);
    }

    let activation = match opts.activation {
        Some(a) => a,
        None => match metadata.get(ACTIVATION_KEY) {
            Some(name) => Activation::from_name(name)
                .ok_or_else(|| whole(SafetensorsErrorKind::BadActivation(name.clone())))?,
            None if layers.len() > 1 => return Err(whole(SafetensorsErrorKind::NeedActivation)),
            // One layer: no hidden activation to know.
            None => Activation::Identity,
        },
    };
    let n = layers.len();
    let arch = Architecture {
        inputs: layers[0].inputs(),
        layers: layers
            .iter()
            .enumerate()
            .map(|(i, l)| LayerSpec {
                units: l.outputs(),
                activation: if i + 1 == n {
                    Activation::Identity
                } else {
                    activation
                },
            })
            .collect(),
    };
    let model = Mlp::from_layers(arch, layers).expect("shapes checked layer by layer above");
    Ok(Imported {
        model,
        layers: prefixes,
        metadata,
    })
}

/// A tensor `PREFIX.SUFFIX` or `PREFIX/SUFFIX` for the first suffix present.
fn find<'a>(
    file: &'a SafeTensors<'a>,
    prefix: &str,
    suffixes: &[&str],
) -> Option<(String, TensorView<'a>)> {
    suffixes.iter().find_map(|s| {
        [format!("{prefix}.{s}"), format!("{prefix}/{s}")]
            .into_iter()
            .find_map(|name| file.tensor(&name).ok().map(|t| (name, t)))
    })
}

/// `(prefix, suffix)` of a tensor name, split at its last `.` or `/`.
fn split_name(name: &str) -> Option<(&str, &str)> {
    let at = name.rfind(['.', '/'])?;
    Some((&name[..at], &name[at + 1..]))
}

/// The layer prefixes in order: as given, or by the number ending each prefix.
fn layer_prefixes(file: &SafeTensors<'_>, opts: &ImportOptions) -> Result<Vec<String>, Fault> {
    let mut names = file.names();
    names.sort();
    let mut found: Vec<String> = Vec::new();
    for name in &names {
        match split_name(name) {
            Some((prefix, "weight" | "kernel")) => found.push(prefix.to_string()),
            Some((_, "bias")) => {}
            _ => return Err(SafetensorsErrorKind::NotDense.at(name.to_string())),
        }
    }
    // A bias whose layer has no weight is not part of a dense network either.
    for name in &names {
        if let Some((prefix, "bias")) = split_name(name)
            && !found.iter().any(|p| p == prefix)
        {
            return Err(SafetensorsErrorKind::NotDense.at(name.to_string()));
        }
    }
    if found.is_empty() {
        return Err(whole(SafetensorsErrorKind::NoLayers));
    }
    if let Some(given) = &opts.layers {
        for p in &found {
            if !given.contains(p) {
                let (name, _) = find(file, p, &["weight", "kernel"]).expect("found above");
                return Err(SafetensorsErrorKind::UnlistedLayer.at(name));
            }
        }
        return Ok(given.clone());
    }
    let keyed: Option<Vec<(String, u64)>> = found
        .iter()
        .map(|p| {
            let stem = p.trim_end_matches(|c: char| c.is_ascii_digit());
            let digits = &p[stem.len()..];
            digits.parse().ok().map(|k| (stem.to_string(), k))
        })
        .collect();
    let ordered = keyed.filter(|k| {
        let mut keys: Vec<u64> = k.iter().map(|(_, n)| *n).collect();
        keys.sort_unstable();
        keys.dedup();
        keys.len() == k.len() && k.iter().all(|(s, _)| *s == k[0].0)
    });
    match ordered {
        Some(keys) => {
            let mut by_key: Vec<(u64, String)> = keys
                .into_iter()
                .zip(&found)
                .map(|((_, k), p)| (k, p.clone()))
                .collect();
            by_key.sort();
            Ok(by_key.into_iter().map(|(_, p)| p).collect())
        }
        None if found.len() == 1 => Ok(found),
        None => Err(whole(SafetensorsErrorKind::LayerOrder(found))),
    }
}

/// A tensor's values as f32 (little-endian, as the format stores them).
fn to_f32(t: &TensorView<'_>) -> Result<Vec<f32>, SafetensorsErrorKind> {
    let data = t.data();
    let values: Vec<f32> = match t.dtype() {
        Dtype::F32 => data
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
            .collect(),
        Dtype::F64 => data
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")) as f32)
            .collect(),
        Dtype::F16 => data
            .chunks_exact(2)
            .map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32())
            .collect(),
        Dtype::BF16 => data
            .chunks_exact(2)
            .map(|c| half::bf16::from_le_bytes([c[0], c[1]]).to_f32())
            .collect(),
        other => return Err(SafetensorsErrorKind::Dtype(format!("{other:?}"))),
    };
    if values.iter().any(|v| !v.is_finite()) {
        return Err(SafetensorsErrorKind::NotFinite);
    }
    Ok(values)
}

/// `model` as safetensors bytes: `nn.Sequential` names, F32, with `metadata` plus the widths and
/// the hidden activation ([`WIDTHS_KEY`], [`ACTIVATION_KEY`]) and `format: pt`.
///
/// # Errors
/// [`SafetensorsErrorKind::NotFinite`] for a model with a NaN or infinite parameter (never
/// written); [`SafetensorsErrorKind::Encode`] if encoding fails.
pub fn to_bytes(
    model: &Mlp,
    metadata: &BTreeMap<String, String>,
) -> Result<Vec<u8>, SafetensorsErrorKind> {
    if !model.all_finite() {
        return Err(SafetensorsErrorKind::NotFinite);
    }
    let arch = model.architecture();
    let hidden = arch
        .layers
        .first()
        .filter(|_| arch.layers.len() > 1)
        .map_or(Activation::Identity, |l| l.activation);
    let mut info = pt_metadata(metadata);
    info.insert(ACTIVATION_KEY.into(), hidden.name().into());
    info.insert(
        WIDTHS_KEY.into(),
        arch.widths()
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(","),
    );
    let bytes: Vec<(String, Vec<usize>, Vec<u8>)> = model
        .layers()
        .iter()
        .enumerate()
        .flat_map(|(i, l)| {
            let le = |m: &Matrix| m.as_slice().iter().flat_map(|v| v.to_le_bytes()).collect();
            [
                (
                    format!("{}.weight", 2 * i),
                    vec![l.outputs(), l.inputs()],
                    le(&l.weight),
                ),
                (format!("{}.bias", 2 * i), vec![l.outputs()], le(&l.bias)),
            ]
        })
        .collect();
    encode(&bytes, info)
}

/// `metadata` with `format: pt`, which PyTorch's loaders expect.
fn pt_metadata(metadata: &BTreeMap<String, String>) -> std::collections::HashMap<String, String> {
    let mut info: std::collections::HashMap<String, String> = metadata
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    info.insert("format".into(), "pt".into());
    info
}

/// F32 tensors `(name, shape, little-endian bytes)` and `info` as a safetensors file, its header
/// keys sorted.
fn encode(
    tensors: &[(String, Vec<usize>, Vec<u8>)],
    info: std::collections::HashMap<String, String>,
) -> Result<Vec<u8>, SafetensorsErrorKind> {
    let views: Vec<(String, TensorView<'_>)> = tensors
        .iter()
        .map(|(name, shape, data)| {
            TensorView::new(Dtype::F32, shape.clone(), data)
                .map(|v| (name.clone(), v))
                .map_err(|e| SafetensorsErrorKind::Encode(e.to_string()))
        })
        .collect::<Result<_, _>>()?;
    let bytes = ::safetensors::serialize(views, Some(info))
        .map_err(|e| SafetensorsErrorKind::Encode(e.to_string()))?;
    canonical_header(&bytes)
}

/// `bytes` with its JSON header rewritten with sorted keys. The `safetensors` crate takes the
/// metadata as a `HashMap` and writes it in that map's (random) order; the same model must give
/// the same bytes on every run.
fn canonical_header(bytes: &[u8]) -> Result<Vec<u8>, SafetensorsErrorKind> {
    let encode = |e: String| SafetensorsErrorKind::Encode(e);
    let n = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")) as usize;
    // serde_json's map is ordered by key.
    let header: serde_json::Value =
        serde_json::from_slice(&bytes[8..8 + n]).map_err(|e| encode(e.to_string()))?;
    let mut text = serde_json::to_string(&header).map_err(|e| encode(e.to_string()))?;
    // The data starts at a multiple of 8, as the format's writers align it.
    while (8 + text.len()) % 8 != 0 {
        text.push(' ');
    }
    let mut out = Vec::with_capacity(8 + text.len() + bytes.len() - 8 - n);
    out.extend_from_slice(&(text.len() as u64).to_le_bytes());
    out.extend_from_slice(text.as_bytes());
    out.extend_from_slice(&bytes[8 + n..]);
    Ok(out)
}

/// Writes `model` to `path` as safetensors ([`to_bytes`]), atomically.
///
/// # Errors
/// [`SafetensorsError`] naming `path`.
pub fn save(
    model: &Mlp,
    metadata: &BTreeMap<String, String>,
    path: &Path,
) -> Result<(), SafetensorsError> {
    write_file(path, to_bytes(model, metadata))
}

/// Writes encoded bytes to `path` atomically, or the encoding's error, naming `path`.
fn write_file(
    path: &Path,
    bytes: Result<Vec<u8>, SafetensorsErrorKind>,
) -> Result<(), SafetensorsError> {
    let fail = |kind| SafetensorsError {
        path: path.to_path_buf(),
        tensor: None,
        kind,
    };
    let bytes = bytes.map_err(fail)?;
    atomicfile::write(path, &bytes).map_err(|e| fail(std::io::Error::from(e).into()))
}

/// A convolutional network as safetensors bytes, named as the `nn.Sequential` that PyTorch
/// builds from the same layers (each conv, ReLU and pool one module, then `nn.Flatten()`, then
/// `nn.Linear`): `I.weight` of shape `[F, C, k, k]` and `I.bias` `[F]` for a convolution at
/// index `I`, and the dense layer's weight with its inputs in PyTorch's flatten order (channel,
/// row, column; ours keeps channels innermost). PyTorch's `load_state_dict` takes it as it is.
///
/// # Errors
/// As [`to_bytes`].
pub fn conv_to_bytes(
    net: &ConvNet,
    metadata: &BTreeMap<String, String>,
) -> Result<Vec<u8>, SafetensorsErrorKind> {
    if !net.all_finite() {
        return Err(SafetensorsErrorKind::NotFinite);
    }
    let arch = net.architecture();
    let last = *arch
        .shapes()
        .map_err(|e| SafetensorsErrorKind::Encode(e.to_string()))?
        .last()
        .unwrap_or(&arch.input);
    let mut info = pt_metadata(metadata);
    info.insert(CONV_KEY.into(), arch.describe());
    let le = |v: &[f32]| -> Vec<u8> { v.iter().flat_map(|x| x.to_le_bytes()).collect() };
    let mut tensors: Vec<(String, Vec<usize>, Vec<u8>)> = Vec::new();
    let mut params = net.layers().iter();
    for (i, layer) in arch.layers.iter().enumerate() {
        if let ConvLayer::Conv(c) = layer {
            let p = params.next().expect("a parameter layer per convolution");
            let inputs = p.weight.cols() / (c.kernel * c.kernel);
            let shape = vec![c.filters, inputs, c.kernel, c.kernel];
            tensors.push((format!("{i}.weight"), shape, le(p.weight.as_slice())));
            tensors.push((format!("{i}.bias"), vec![c.filters], le(p.bias.as_slice())));
        }
    }
    let dense = params.next().expect("the dense layer's parameters");
    let index = arch.layers.len() + 1;
    let weight = hwc_to_chw(&dense.weight, last);
    tensors.push((
        format!("{index}.weight"),
        vec![dense.outputs(), dense.inputs()],
        le(weight.as_slice()),
    ));
    tensors.push((
        format!("{index}.bias"),
        vec![dense.outputs()],
        le(dense.bias.as_slice()),
    ));
    encode(&tensors, info)
}

/// Reads a network written by [`conv_to_bytes`] for architecture `arch`, checking every
/// tensor's shape against it.
///
/// # Errors
/// [`SafetensorsErrorKind::UnknownLayer`] for a missing tensor, [`SafetensorsErrorKind::Shape`]
/// naming the tensor whose shape differs, and the errors of [`from_bytes`] for a file that is
/// not safetensors.
pub fn conv_from_bytes(bytes: &[u8], arch: &ConvArchitecture) -> Result<ConvNet, Fault> {
    let (file, _) = parse(bytes)?;
    let shapes = arch
        .shapes()
        .map_err(|e| whole(SafetensorsErrorKind::Format(e.to_string())))?;
    let tensor = |name: String, shape: Vec<usize>| -> Result<Vec<f32>, Fault> {
        let t = file
            .tensor(&name)
            .map_err(|_| SafetensorsErrorKind::UnknownLayer(name.clone()).at(name.clone()))?;
        if t.shape() != shape.as_slice() {
            return Err(SafetensorsErrorKind::Shape {
                expected: format!("{shape:?}"),
                found: t.shape().to_vec(),
            }
            .at(name));
        }
        to_f32(&t).map_err(|k| k.at(name))
    };
    let matrix =
        |rows, cols, v: Vec<f32>| Matrix::from_vec(rows, cols, v).expect("the shape was checked");
    let mut params = Vec::new();
    let mut channels = arch.input.channels;
    for (i, layer) in arch.layers.iter().enumerate() {
        if let ConvLayer::Conv(c) = layer {
            let w = tensor(
                format!("{i}.weight"),
                vec![c.filters, channels, c.kernel, c.kernel],
            )?;
            let b = tensor(format!("{i}.bias"), vec![c.filters])?;
            params.push(Linear {
                weight: matrix(c.filters, channels * c.kernel * c.kernel, w),
                bias: matrix(1, c.filters, b),
            });
        }
        channels = shapes[i].channels;
    }
    let last = *shapes.last().unwrap_or(&arch.input);
    let index = arch.layers.len() + 1;
    let w = tensor(format!("{index}.weight"), vec![arch.classes, last.len()])?;
    let b = tensor(format!("{index}.bias"), vec![arch.classes])?;
    params.push(Linear {
        weight: chw_to_hwc(&matrix(arch.classes, last.len(), w), last),
        bias: matrix(1, arch.classes, b),
    });
    ConvNet::from_params(arch.clone(), params)
        .map_err(|e| whole(SafetensorsErrorKind::Format(e.to_string())))
}

/// The metadata key holding a convolutional network's layers in words.
pub const CONV_KEY: &str = "ml4a.conv";

/// A dense weight whose inputs are maps of `shape` flattened with channels innermost, with its
/// inputs reordered channel first (PyTorch's flatten of N, C, H, W).
fn hwc_to_chw(w: &Matrix, shape: ImageShape) -> Matrix {
    let (c, plane) = (shape.channels, shape.plane_len());
    Matrix::from_fn(w.rows(), w.cols(), |o, j| {
        let (ch, p) = (j / plane, j % plane);
        w.get(o, p * c + ch)
    })
}

/// The inverse of [`hwc_to_chw`].
fn chw_to_hwc(w: &Matrix, shape: ImageShape) -> Matrix {
    let (c, plane) = (shape.channels, shape.plane_len());
    Matrix::from_fn(w.rows(), w.cols(), |o, j| {
        let (p, ch) = (j / c, j % c);
        w.get(o, ch * plane + p)
    })
}

/// Writes `net` to `path` as safetensors ([`conv_to_bytes`]), atomically.
///
/// # Errors
/// [`SafetensorsError`] naming `path`.
pub fn save_conv(
    net: &ConvNet,
    metadata: &BTreeMap<String, String>,
    path: &Path,
) -> Result<(), SafetensorsError> {
    write_file(path, conv_to_bytes(net, metadata))
}

/// Reads `path`, written by [`save_conv`], as a network of architecture `arch`.
///
/// # Errors
/// [`SafetensorsError`] naming `path` and the tensor at fault.
pub fn read_conv(path: &Path, arch: &ConvArchitecture) -> Result<ConvNet, SafetensorsError> {
    let fail = |(tensor, kind): Fault| SafetensorsError {
        path: path.to_path_buf(),
        tensor,
        kind,
    };
    let bytes = std::fs::read(path).map_err(|e| fail(whole(e.into())))?;
    conv_from_bytes(&bytes, arch).map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Init, init};
    use proptest::prelude::*;

    fn net(hidden: &[usize], activation: Activation) -> Mlp {
        Mlp::new(
            Architecture::classifier(6, hidden, activation, 3),
            Init::GlorotUniform,
            &mut init::rng(3),
        )
    }

    /// A file of `tensors` (name, dtype, shape, little-endian bytes) and `metadata`.
    fn file(tensors: &[(&str, Dtype, Vec<usize>, Vec<u8>)], metadata: &[(&str, &str)]) -> Vec<u8> {
        let views: Vec<(String, TensorView<'_>)> = tensors
            .iter()
            .map(|(n, d, s, b)| (n.to_string(), TensorView::new(*d, s.clone(), b).unwrap()))
            .collect();
        let info = (!metadata.is_empty()).then(|| {
            metadata
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        });
        ::safetensors::serialize(views, info).unwrap()
    }

    fn f32s(n: usize, seed: f32) -> Vec<u8> {
        (0..n)
            .flat_map(|i| ((i as f32 * 0.37 + seed).sin()).to_le_bytes())
            .collect()
    }

    fn dense(
        name: &str,
        outputs: usize,
        inputs: usize,
    ) -> [(String, Dtype, Vec<usize>, Vec<u8>); 2] {
        [
            (
                format!("{name}.weight"),
                Dtype::F32,
                vec![outputs, inputs],
                f32s(outputs * inputs, 1.0),
            ),
            (
                format!("{name}.bias"),
                Dtype::F32,
                vec![outputs],
                f32s(outputs, 2.0),
            ),
        ]
    }

    fn owned(
        t: &[(String, Dtype, Vec<usize>, Vec<u8>)],
    ) -> Vec<(&str, Dtype, Vec<usize>, Vec<u8>)> {
        t.iter()
            .map(|(n, d, s, b)| (n.as_str(), *d, s.clone(), b.clone()))
            .collect()
    }

    fn kind(r: Result<Imported, Fault>) -> (Option<String>, String) {
        let (t, k) = r.expect_err("the file is refused");
        (t, k.to_string())
    }

    #[test]
    fn what_we_write_reads_back_identically() {
        for (hidden, act) in [
            (&[][..], Activation::Identity),
            (&[4][..], Activation::Relu),
            (&[5, 4][..], Activation::Sigmoid),
        ] {
            let m = net(hidden, act);
            let meta = BTreeMap::from([("ml4a.dataset".to_string(), "mnist".to_string())]);
            let bytes = to_bytes(&m, &meta).unwrap();
            let back = from_bytes(&bytes, &ImportOptions::default()).unwrap();
            assert_eq!(back.model.architecture(), m.architecture());
            assert_eq!(back.model.layers(), m.layers());
            assert_eq!(back.metadata["ml4a.dataset"], "mnist");
            assert_eq!(back.metadata["format"], "pt");
            let names: Vec<String> = (0..m.layers().len()).map(|i| (2 * i).to_string()).collect();
            assert_eq!(back.layers, names);
        }
    }

    #[test]
    fn the_same_model_gives_the_same_bytes() {
        let m = net(&[4], Activation::Relu);
        let meta: BTreeMap<String, String> = (0..8)
            .map(|i| (format!("key{i}"), format!("value {i}")))
            .collect();
        let first = to_bytes(&m, &meta).unwrap();
        for _ in 0..5 {
            assert_eq!(to_bytes(&m, &meta).unwrap(), first);
        }
        let back = from_bytes(&first, &ImportOptions::default()).unwrap();
        assert_eq!(back.model.layers(), m.layers());
        assert_eq!(back.metadata["key7"], "value 7");
    }

    #[test]
    fn sequential_indices_order_numerically_and_named_layers_by_their_number() {
        // 0, 2, 10: a string sort would put 10 before 2.
        let mut t = Vec::new();
        t.extend(dense("0", 5, 6));
        t.extend(dense("2", 4, 5));
        t.extend(dense("10", 3, 4));
        let opts = ImportOptions {
            activation: Some(Activation::Tanh),
            ..Default::default()
        };
        let m = from_bytes(&file(&owned(&t), &[]), &opts).unwrap();
        assert_eq!(m.layers, ["0", "2", "10"]);
        assert_eq!(m.model.architecture().widths(), [6, 5, 4, 3]);
        assert_eq!(
            m.model.architecture().layers[0].activation,
            Activation::Tanh
        );

        let mut t = Vec::new();
        t.extend(dense("model.fc2", 3, 5));
        t.extend(dense("model.fc1", 5, 6));
        let m = from_bytes(
            &file(&owned(&t), &[("ml4a.activation", "relu")]),
            &ImportOptions::default(),
        )
        .unwrap();
        assert_eq!(m.layers, ["model.fc1", "model.fc2"]);
        assert_eq!(
            m.model.architecture().layers[0].activation,
            Activation::Relu
        );
    }

    #[test]
    fn names_that_do_not_order_need_layers() {
        let mut t = Vec::new();
        t.extend(dense("hidden", 5, 6));
        t.extend(dense("out", 3, 5));
        let bytes = file(&owned(&t), &[]);
        let opts = ImportOptions {
            activation: Some(Activation::Relu),
            ..Default::default()
        };
        let (_, msg) = kind(from_bytes(&bytes, &opts));
        assert!(
            msg.contains("hidden, out") && msg.contains("--layers"),
            "{msg}"
        );
        let given = ImportOptions {
            layers: Some(vec!["hidden".into(), "out".into()]),
            ..opts.clone()
        };
        assert_eq!(
            from_bytes(&bytes, &given)
                .unwrap()
                .model
                .architecture()
                .widths(),
            [6, 5, 3]
        );
        let partial = ImportOptions {
            layers: Some(vec!["hidden".into()]),
            ..opts.clone()
        };
        assert_eq!(
            kind(from_bytes(&bytes, &partial)).0.as_deref(),
            Some("out.weight")
        );
        let unknown = ImportOptions {
            layers: Some(vec!["hidden".into(), "out".into(), "fc9".into()]),
            ..opts
        };
        assert!(kind(from_bytes(&bytes, &unknown)).1.contains("fc9.weight"));
    }

    #[test]
    fn transposed_kernels_read_as_pytorch_weights() {
        let m = net(&[4], Activation::Relu);
        let t: Vec<(String, Dtype, Vec<usize>, Vec<u8>)> = m
            .layers()
            .iter()
            .enumerate()
            .flat_map(|(i, l)| {
                let le = |x: &Matrix| {
                    x.as_slice()
                        .iter()
                        .flat_map(|v| v.to_le_bytes())
                        .collect::<Vec<u8>>()
                };
                [
                    (
                        format!("dense_{i}/kernel"),
                        Dtype::F32,
                        vec![l.inputs(), l.outputs()],
                        le(&l.weight.transpose()),
                    ),
                    (
                        format!("dense_{i}/bias"),
                        Dtype::F32,
                        vec![l.outputs()],
                        le(&l.bias),
                    ),
                ]
            })
            .collect();
        let bytes = file(&owned(&t), &[]);
        let opts = ImportOptions {
            activation: Some(Activation::Relu),
            transpose: true,
            ..Default::default()
        };
        let back = from_bytes(&bytes, &opts).unwrap();
        assert_eq!(back.model.layers(), m.layers());
        // Read without --transpose, the shapes do not chain, and the error says what to try.
        let (t, msg) = kind(from_bytes(
            &bytes,
            &ImportOptions {
                transpose: false,
                ..opts
            },
        ));
        assert_eq!(t.as_deref(), Some("dense_0/bias"));
        assert!(msg.contains("--transpose"), "{msg}");
    }

    #[test]
    fn half_and_double_precision_read_as_f32() {
        let values = [0.5f32, -1.25, 2.0, 0.0, 3.5, -0.75];
        let as_f64: Vec<u8> = values
            .iter()
            .flat_map(|v| f64::from(*v).to_le_bytes())
            .collect();
        let as_f16: Vec<u8> = values
            .iter()
            .flat_map(|v| half::f16::from_f32(*v).to_le_bytes())
            .collect();
        let as_bf16: Vec<u8> = values
            .iter()
            .flat_map(|v| half::bf16::from_f32(*v).to_le_bytes())
            .collect();
        for (dtype, data) in [
            (Dtype::F64, as_f64),
            (Dtype::F16, as_f16),
            (Dtype::BF16, as_bf16),
        ] {
            let bias: Vec<u8> = match dtype {
                Dtype::F64 => [1.0f64, 2.0].iter().flat_map(|v| v.to_le_bytes()).collect(),
                Dtype::F16 => [1.0f32, 2.0]
                    .iter()
                    .flat_map(|v| half::f16::from_f32(*v).to_le_bytes())
                    .collect(),
                _ => [1.0f32, 2.0]
                    .iter()
                    .flat_map(|v| half::bf16::from_f32(*v).to_le_bytes())
                    .collect(),
            };
            let bytes = file(
                &[
                    ("0.weight", dtype, vec![2, 3], data),
                    ("0.bias", dtype, vec![2], bias),
                ],
                &[],
            );
            let m = from_bytes(&bytes, &ImportOptions::default()).unwrap().model;
            assert_eq!(m.layers()[0].weight.as_slice(), values, "{dtype:?}");
            assert_eq!(m.layers()[0].bias.as_slice(), [1.0, 2.0], "{dtype:?}");
        }
    }

    #[test]
    fn bad_files_name_the_tensor_at_fault() {
        let opts = ImportOptions {
            activation: Some(Activation::Relu),
            ..Default::default()
        };
        // 784 -> 10, then 20 -> 10.
        let mut t = Vec::new();
        t.extend(dense("0", 10, 784));
        t.extend(dense("2", 10, 20));
        let (tensor, msg) = kind(from_bytes(&file(&owned(&t), &[]), &opts));
        assert_eq!(tensor.as_deref(), Some("2.weight"));
        assert!(
            msg.contains("takes 20 inputs, but the layer before gives 10"),
            "{msg}"
        );

        let (tensor, msg) = kind(from_bytes(
            &file(&owned(&dense("0", 3, 6)[..1]), &[]),
            &opts,
        ));
        assert_eq!(tensor.as_deref(), Some("0.weight"));
        assert!(msg.contains("no bias") && msg.contains("0.bias"), "{msg}");

        let mut t = dense("0", 3, 6).to_vec();
        t[1].2 = vec![4];
        t[1].3 = f32s(4, 0.0);
        assert_eq!(
            kind(from_bytes(&file(&owned(&t), &[]), &opts)).0.as_deref(),
            Some("0.bias")
        );

        let ints = file(
            &[
                ("0.weight", Dtype::I32, vec![2, 2], vec![0; 16]),
                ("0.bias", Dtype::F32, vec![2], f32s(2, 0.0)),
            ],
            &[],
        );
        let (tensor, msg) = kind(from_bytes(&ints, &opts));
        assert_eq!(tensor.as_deref(), Some("0.weight"));
        assert!(msg.contains("I32"), "{msg}");

        let mut t = dense("0", 3, 6).to_vec();
        t[0].3[4..8].copy_from_slice(&f32::NAN.to_le_bytes());
        assert!(
            kind(from_bytes(&file(&owned(&t), &[]), &opts))
                .1
                .contains("not finite")
        );

        let mut t = dense("0", 3, 6).to_vec();
        t.push(("0.running_mean".into(), Dtype::F32, vec![3], f32s(3, 0.0)));
        assert_eq!(
            kind(from_bytes(&file(&owned(&t), &[]), &opts)).0.as_deref(),
            Some("0.running_mean")
        );

        let mut t = Vec::new();
        t.extend(dense("0", 5, 6));
        t.extend(dense("2", 3, 5));
        let (_, msg) = kind(from_bytes(
            &file(&owned(&t), &[]),
            &ImportOptions::default(),
        ));
        assert!(msg.contains("--activation"), "{msg}");
        let (_, msg) = kind(from_bytes(
            &file(&owned(&t), &[("ml4a.activation", "swish")]),
            &ImportOptions::default(),
        ));
        assert!(msg.contains("swish"), "{msg}");
    }

    #[test]
    fn truncated_and_hostile_headers_are_refused_before_parsing() {
        let good = to_bytes(&net(&[4], Activation::Relu), &BTreeMap::new()).unwrap();
        for cut in [0, 5, 8, 20, good.len() - 1] {
            let r = from_bytes(&good[..cut], &ImportOptions::default());
            assert!(r.is_err(), "cut at {cut}");
        }
        let mut huge = (u64::MAX).to_le_bytes().to_vec();
        huge.extend_from_slice(b"{}");
        assert!(
            kind(from_bytes(&huge, &ImportOptions::default()))
                .1
                .contains("more than")
        );
        let mut lying = 1000u64.to_le_bytes().to_vec();
        lying.extend_from_slice(b"{}");
        assert!(
            kind(from_bytes(&lying, &ImportOptions::default()))
                .1
                .contains("truncated")
        );
    }

    proptest! {
        #[test]
        fn any_bytes_are_read_or_refused_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = from_bytes(&bytes, &ImportOptions::default());
        }

        #[test]
        fn round_trip_for_any_widths(inputs in 1usize..20, hidden in proptest::collection::vec(1usize..12, 0..3), classes in 1usize..8, seed in 0u64..100) {
            let m = Mlp::new(Architecture::classifier(inputs, &hidden, Activation::Sigmoid, classes), Init::GlorotUniform, &mut init::rng(seed));
            let back = from_bytes(&to_bytes(&m, &BTreeMap::new()).unwrap(), &ImportOptions::default()).unwrap();
            prop_assert_eq!(back.model.layers(), m.layers());
            prop_assert_eq!(back.model.architecture(), m.architecture());
        }
    }

    fn conv_net(filters: usize, seed: u64) -> ConvNet {
        use crate::conv::{Conv2dSpec, MaxPool2dSpec};
        let arch = ConvArchitecture {
            input: ImageShape {
                channels: 2,
                height: 6,
                width: 6,
            },
            layers: vec![
                ConvLayer::Conv(Conv2dSpec {
                    filters,
                    kernel: 3,
                    stride: 1,
                    pad: 1,
                }),
                ConvLayer::Relu,
                ConvLayer::MaxPool(MaxPool2dSpec { size: 2, stride: 2 }),
                ConvLayer::Conv(Conv2dSpec {
                    filters: 4,
                    kernel: 3,
                    stride: 1,
                    pad: 1,
                }),
            ],
            classes: 5,
        };
        ConvNet::new(arch, Init::HeNormal, &mut init::rng(seed)).unwrap()
    }

    #[test]
    fn a_conv_net_round_trips_bit_for_bit_in_pytorch_names() {
        let net = conv_net(3, 1);
        let bytes = conv_to_bytes(&net, &BTreeMap::new()).unwrap();
        assert_eq!(bytes, conv_to_bytes(&net, &BTreeMap::new()).unwrap());
        let (file, meta) = parse(&bytes).unwrap();
        // nn.Sequential: conv 0, relu 1, pool 2, conv 3, flatten 4, linear 5.
        let mut names: Vec<(String, Vec<usize>)> = file
            .tensors()
            .into_iter()
            .map(|(n, t)| (n, t.shape().to_vec()))
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                ("0.bias".to_string(), vec![3]),
                ("0.weight".into(), vec![3, 2, 3, 3]),
                ("3.bias".into(), vec![4]),
                ("3.weight".into(), vec![4, 3, 3, 3]),
                ("5.bias".into(), vec![5]),
                ("5.weight".into(), vec![5, 36]),
            ]
        );
        assert_eq!(meta.get(CONV_KEY), Some(&net.architecture().describe()));
        let back = conv_from_bytes(&bytes, net.architecture()).unwrap();
        let bits = |n: &ConvNet| -> Vec<Vec<u32>> {
            n.params()
                .iter()
                .map(|(_, m)| m.as_slice().iter().map(|v| v.to_bits()).collect())
                .collect()
        };
        assert_eq!(bits(&back), bits(&net));
    }

    #[test]
    fn the_dense_inputs_are_reordered_channel_first() {
        // Two channels of a 1x2 map: ours (p0c0, p0c1, p1c0, p1c1), PyTorch's (c0p0, c0p1, c1p0, c1p1).
        let shape = ImageShape {
            channels: 2,
            height: 1,
            width: 2,
        };
        let ours = Matrix::from_vec(1, 4, vec![1.0, 2.0, 3.0, 4.0]).unwrap();
        let theirs = hwc_to_chw(&ours, shape);
        assert_eq!(theirs.as_slice(), &[1.0, 3.0, 2.0, 4.0]);
        assert_eq!(chw_to_hwc(&theirs, shape), ours);
    }

    #[test]
    fn a_conv_file_for_another_architecture_names_the_tensor() {
        let bytes = conv_to_bytes(&conv_net(3, 1), &BTreeMap::new()).unwrap();
        let other = conv_net(5, 1);
        let (tensor, kind) = conv_from_bytes(&bytes, other.architecture()).unwrap_err();
        assert_eq!(tensor.as_deref(), Some("0.weight"));
        assert!(
            matches!(kind, SafetensorsErrorKind::Shape { ref found, .. } if found == &[3, 2, 3, 3]),
            "{kind}"
        );
        // Truncated: the reader's own checks, before any tensor.
        let (tensor, _) = conv_from_bytes(&bytes[..20], other.architecture()).unwrap_err();
        assert_eq!(tensor, None);
    }
}
