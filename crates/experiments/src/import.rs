//! Models trained elsewhere: a safetensors file read into a network ([`nn::safetensors`]),
//! checked against the dataset it is to be looked at with, and analysed exactly as a network
//! trained here, giving the same [`Results`] (so every figure, demo and summary follows).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use datasets::{ChannelStats, InputScaling};
use nn::safetensors::{ImportOptions, Imported};
use sha2::{Digest, Sha256};

use crate::analysis::analyse;
use crate::data::DataDir;
use crate::error::ExperimentError;
use crate::pipeline::{Outcome, Results};
use crate::spec::{DataKind, Spec};
use crate::training::Trained;

/// Metadata key of the network id (`mnist-2layer`), written by our export.
pub const ID_KEY: &str = "ml4a.id";
/// Metadata key of the dataset (`mnist`, `cifar10`, `idx:DIR`), written by our export.
pub const DATASET_KEY: &str = "ml4a.dataset";
/// Metadata key of the input scaling (JSON of [`InputScaling`]), written by our export.
pub const SCALING_KEY: &str = "ml4a.input_scaling";

/// What to look inside: a model file, the dataset, and what the file may not say.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    /// The safetensors file.
    pub model: PathBuf,
    /// The dataset to evaluate it on.
    pub data: DataKind,
    /// Layer order, transposition and activation, when the file does not tell.
    pub options: ImportOptions,
    /// How the model expects its inputs; `None`: from the file's metadata, else `x / 255`.
    pub input_scaling: Option<InputScaling>,
    /// Class names to use instead of the dataset's.
    pub labels: Option<Vec<String>>,
}

/// Reads the model of `req`, checks it against its dataset and analyses it on the held-out and
/// test splits, as [`crate::pipeline::train_and_analyse`] does after training.
///
/// # Errors
/// The model file's error (naming the file and tensor), the dataset's, or
/// [`ExperimentError::Mismatch`] when the model's inputs or outputs do not fit the dataset
/// (naming both shapes).
pub fn analyse_imported(
    req: &ImportRequest,
    data_dir: &DataDir,
) -> Result<Results, ExperimentError> {
    let start = Instant::now();
    let imported = nn::safetensors::read(&req.model, &req.options)?;
    let mut loaded = data_dir.load(&req.data)?;
    if let Some(labels) = &req.labels {
        loaded = loaded
            .into_loaded()
            .with_classes(labels.clone())
            .map_err(|e| ExperimentError::Usage(format!("--labels: {e}")))?
            .into();
    }
    let view = loaded.view(datasets::Split::Test);
    let shape = view.shape();
    let classes = view.classes().len();
    let arch = imported.model.architecture().clone();
    let file = req.model.display();
    if arch.inputs != shape.len() {
        return Err(ExperimentError::Mismatch(format!(
            "{file}: the model takes {} inputs, and {} images have {} ({}x{}x{})",
            arch.inputs,
            req.data.display_name(),
            shape.len(),
            shape.channels,
            shape.height,
            shape.width
        )));
    }
    if arch.outputs() != classes {
        return Err(ExperimentError::Mismatch(format!(
            "{file}: the model has {} outputs, and {} has {classes} classes (give --labels with {} names if the dataset's labels fit)",
            arch.outputs(),
            req.data.display_name(),
            arch.outputs()
        )));
    }
    let input_scaling = broadcast_scaling(
        match &req.input_scaling {
            Some(s) => s.clone(),
            None => scaling_from_metadata(&imported, &req.model)?,
        },
        shape.channels,
    );
    if let InputScaling::Standardize(stats) = &input_scaling
        && (stats.mean.len() != shape.channels || stats.std.len() != shape.channels)
    {
        return Err(ExperimentError::Mismatch(format!(
            "--input-scale gives {} means and {} standard deviations, and {} images have {} channels",
            stats.mean.len(),
            stats.std.len(),
            req.data.display_name(),
            shape.channels
        )));
    }
    let spec = imported_spec(req, &imported, input_scaling);
    let bytes = std::fs::read(&req.model).map_err(|source| ExperimentError::Io {
        path: req.model.clone(),
        source,
    })?;
    let trained = Trained {
        spec,
        model: imported.model.clone(),
        epochs: Vec::new(),
        snapshots: vec![imported.model],
        train_seconds: 0.0,
        model_sha256: hex::encode(Sha256::digest(&bytes)),
        key: String::new(),
        from_cache: false,
    };
    let analysis = analyse(&trained, &loaded)?;
    Ok(Results {
        outcomes: vec![Outcome { trained, analysis }],
        data: BTreeMap::from([(req.data.clone(), loaded)]),
        total_seconds: start.elapsed().as_secs_f64(),
    })
}

fn scaling_from_metadata(
    imported: &Imported,
    path: &Path,
) -> Result<InputScaling, ExperimentError> {
    match imported.metadata.get(SCALING_KEY) {
        None => Ok(InputScaling::UnitRange),
        Some(json) => serde_json::from_str(json).map_err(|e| {
            ExperimentError::Mismatch(format!(
                "{}: metadata {SCALING_KEY} does not parse ({e}); give --input-scale",
                path.display()
            ))
        }),
    }
}

/// The spec an imported model is reported under: its id (from the metadata, else the file
/// name), its shape, and no training and no target.
fn imported_spec(req: &ImportRequest, imported: &Imported, input_scaling: InputScaling) -> Spec {
    let arch = imported.model.architecture();
    let stem = req
        .model
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "model".into());
    let id = imported
        .metadata
        .get(ID_KEY)
        .cloned()
        .unwrap_or(stem)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut spec = crate::spec::explore_spec(
        req.data.clone(),
        arch.layers
            .first()
            .filter(|_| arch.layers.len() > 1)
            .map(|l| l.units),
        1,
    );
    spec.id = id;
    spec.hidden = arch.layers[..arch.layers.len() - 1]
        .iter()
        .map(|l| l.units)
        .collect();
    spec.hidden_activation = arch
        .layers
        .first()
        .filter(|_| arch.layers.len() > 1)
        .map_or(spec.hidden_activation, |l| l.activation);
    spec.input_scaling = input_scaling;
    spec.train.epochs = 0;
    spec
}

/// `--input-scale`: `unit` (`x / 255`), `centred` (`x / 255 - 0.5`), `MEAN,STD` for every
/// channel (torchvision's MNIST normalisation is `0.1307,0.3081`), or `M1,M2,M3/S1,S2,S3` per
/// channel; means and deviations in the `x / 255` scale.
///
/// # Errors
/// A message naming the value and the forms accepted.
pub fn parse_input_scale(s: &str) -> Result<InputScaling, String> {
    let bad = || {
        format!(
            "--input-scale {s:?}: expected unit, centred, MEAN,STD or M1,M2,M3/S1,S2,S3 (numbers in the x/255 scale, deviations > 0)"
        )
    };
    let numbers = |t: &str| -> Result<Vec<f32>, String> {
        t.split(',')
            .map(|v| v.trim().parse::<f32>().ok().filter(|x| x.is_finite()))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(bad)
    };
    let stats = match s.trim() {
        "unit" => return Ok(InputScaling::UnitRange),
        "centred" | "centered" => return Ok(InputScaling::ZeroCentred),
        t => match t.split_once('/') {
            Some((m, d)) => ChannelStats {
                mean: numbers(m)?,
                std: numbers(d)?,
            },
            None => match numbers(t)?.as_slice() {
                &[m, d] => ChannelStats {
                    mean: vec![m],
                    std: vec![d],
                },
                _ => return Err(bad()),
            },
        },
    };
    if stats.mean.len() != stats.std.len() || stats.std.iter().any(|d| *d <= 0.0) {
        return Err(bad());
    }
    Ok(InputScaling::Standardize(stats))
}

/// Stretches a one-channel `MEAN,STD` over `channels` channels (a grey normalisation applied to
/// every colour plane).
pub fn broadcast_scaling(s: InputScaling, channels: usize) -> InputScaling {
    match s {
        InputScaling::Standardize(st) if st.mean.len() == 1 && channels > 1 => {
            InputScaling::Standardize(ChannelStats {
                mean: vec![st.mean[0]; channels],
                std: vec![st.std[0]; channels],
            })
        }
        other => other,
    }
}

/// `--labels`: names separated by commas, or a file with one name a line (blank lines
/// skipped) when the value names a file.
///
/// # Errors
/// A message naming the file that cannot be read, or saying the list is empty.
pub fn parse_labels(s: &str) -> Result<Vec<String>, String> {
    let path = Path::new(s);
    let names: Vec<String> = if path.is_file() {
        std::fs::read_to_string(path)
            .map_err(|e| format!("--labels {}: {e}", path.display()))?
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()
    } else {
        s.split(',').map(|n| n.trim().to_string()).collect()
    };
    if names.is_empty() || names.iter().any(String::is_empty) {
        return Err(format!("--labels {s:?}: a name is empty"));
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_scales_parse() {
        assert_eq!(parse_input_scale("unit"), Ok(InputScaling::UnitRange));
        assert_eq!(parse_input_scale("centred"), Ok(InputScaling::ZeroCentred));
        assert_eq!(
            parse_input_scale("0.1307,0.3081"),
            Ok(InputScaling::Standardize(ChannelStats {
                mean: vec![0.1307],
                std: vec![0.3081]
            }))
        );
        let per = parse_input_scale("0.49,0.48,0.45/0.25,0.24,0.26").unwrap();
        assert!(
            matches!(&per, InputScaling::Standardize(s) if s.mean.len() == 3 && s.std[2] == 0.26)
        );
        for bad in ["", "0.5", "0.1,0", "1,2,3", "a,b", "0.1,0.2/0.3", "nan,1"] {
            assert!(parse_input_scale(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            broadcast_scaling(parse_input_scale("0.5,0.25").unwrap(), 3),
            parse_input_scale("0.5,0.5,0.5/0.25,0.25,0.25").unwrap()
        );
    }

    #[test]
    fn labels_come_from_a_list_or_a_file() {
        assert_eq!(parse_labels("cat, dog").unwrap(), ["cat", "dog"]);
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("names.txt");
        std::fs::write(&f, "T-shirt/top\nTrouser\n\n").unwrap();
        assert_eq!(
            parse_labels(f.to_str().unwrap()).unwrap(),
            ["T-shirt/top", "Trouser"]
        );
        assert!(parse_labels("a,,b").is_err());
    }
}
