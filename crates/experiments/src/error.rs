//! The one error type of the experiments library.

use std::path::PathBuf;

/// Something an experiment could not do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExperimentError {
    /// A dataset is missing or malformed.
    #[error("{source}")]
    Data {
        /// What the dataset reader found.
        source: Box<datasets::DatasetError>,
        /// Where to put which files, when files are missing; nothing when a file is there but
        /// wrong (the error itself says what is wrong with it).
        hint: Option<String>,
    },
    /// Data files are missing and cannot be fetched: offline (`reason` is `None`) or no server
    /// could be reached (`reason` holds the URL tried and why).
    #[error("{}", no_network_message(reason.as_ref(), files))]
    NoNetwork {
        /// The URL tried and what went wrong, when the network was tried.
        reason: Option<(String, String)>,
        /// Every file still missing.
        files: Vec<MissingFile>,
    },
    /// A safetensors model could not be read or written.
    #[error(transparent)]
    Safetensors(#[from] nn::safetensors::SafetensorsError),
    /// An imported model does not fit the dataset it is to be looked at with.
    #[error("{0}")]
    Mismatch(String),
    /// A checkpoint could not be read or written.
    #[error(transparent)]
    Checkpoint(#[from] nn::checkpoint::CheckpointError),
    /// A trained model could not be encoded as a checkpoint (a parameter is not finite).
    #[error("encoding the trained {id}: {source}")]
    Encode {
        /// The network.
        id: String,
        /// What the encoder refused.
        source: nn::checkpoint::CheckpointErrorKind,
    },
    /// Training diverged or was misconfigured.
    #[error("training {id}: {source}")]
    Train {
        /// The network.
        id: String,
        /// What went wrong.
        source: nn::TrainError,
    },
    /// Evaluation found bad labels or probabilities.
    #[error(transparent)]
    Introspect(#[from] introspect::IntrospectError),
    /// An output file could not be written (its target is left as it was).
    #[error(transparent)]
    Write(#[from] atomicfile::Error),
    /// A file could not be written or read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The speed comparison could not run.
    #[error("bench: {0}")]
    Bench(String),
    /// A request that makes no sense (an unknown name).
    #[error("{0}")]
    Usage(String),
    /// A value could not be serialised.
    #[error("{what}: {source}")]
    Json {
        /// What was being written.
        what: String,
        /// The serde error.
        source: serde_json::Error,
    },
}

/// A data file a command needs and the data directory lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingFile {
    /// Its name.
    pub name: String,
    /// The folder it belongs in.
    pub dir: PathBuf,
    /// Its official URL.
    pub url: String,
    /// Its official size in bytes.
    pub size: u64,
}

/// "offline, and N data files are missing: put A (URL) and B (URL) in DIR; put C (URL) in DIR2"
fn no_network_message(reason: Option<&(String, String)>, files: &[MissingFile]) -> String {
    let mut groups: Vec<(&PathBuf, Vec<String>)> = Vec::new();
    for f in files {
        let item = format!("{} ({})", f.name, f.url);
        match groups.iter_mut().find(|(d, _)| *d == &f.dir) {
            Some((_, items)) => items.push(item),
            None => groups.push((&f.dir, vec![item])),
        }
    }
    let places: Vec<String> = groups
        .iter()
        .map(|(dir, items)| format!("put {} in {}", and_list(items), dir.display()))
        .collect();
    let what = match files.len() {
        1 => "a data file is missing".to_string(),
        n => format!("{n} data files are missing"),
    };
    match reason {
        None => format!("offline, and {what}: {}", places.join("; ")),
        Some((url, why)) => format!(
            "cannot reach {url} ({why}), and {what}: {}",
            places.join("; ")
        ),
    }
}

/// "a", "a and b", "a, b and c".
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

impl ExperimentError {
    /// What to do about the error, when there is a fitting answer (where to put missing
    /// files). The binary prints it on a `hint:` line of its own.
    pub fn hint(&self) -> Option<String> {
        match self {
            ExperimentError::Data { hint, .. } => hint.clone(),
            ExperimentError::NoNetwork { reason, files } => {
                let bytes: u64 = files.iter().map(|f| f.size).sum();
                let size = format!("{:.1} MB", bytes as f64 / 1e6);
                Some(match reason {
                    None => format!(
                        "drop --offline (and {OFFLINE}) to have them fetched and verified ({size}), or point --data-dir / ML4A_DATA at a folder that has them",
                        OFFLINE = crate::fetch::OFFLINE_ENV
                    ),
                    Some(_) => format!(
                        "fetch them ({size}) where there is network, or set {MIRROR} to a mirror you can reach",
                        MIRROR = crate::fetch::MIRROR_ENV
                    ),
                })
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, dir: &str) -> MissingFile {
        MissingFile {
            name: name.into(),
            dir: dir.into(),
            url: format!("https://h/{name}"),
            size: 2_500_000,
        }
    }

    #[test]
    fn missing_files_are_listed_once_grouped_by_folder() {
        let e = ExperimentError::NoNetwork {
            reason: None,
            files: vec![
                file("a.gz", "d/mnist"),
                file("b.gz", "d/mnist"),
                file("b2.gz", "d/mnist"),
                file("c.tar.gz", "d"),
            ],
        };
        assert_eq!(
            e.to_string(),
            "offline, and 4 data files are missing: put a.gz (https://h/a.gz), b.gz (https://h/b.gz) and b2.gz (https://h/b2.gz) in d/mnist; put c.tar.gz (https://h/c.tar.gz) in d"
        );
        assert!(e.hint().unwrap().contains("(10.0 MB)"));
        let e = ExperimentError::NoNetwork {
            reason: Some(("http://m/a.gz".into(), "connection refused".into())),
            files: vec![file("a.gz", "d/mnist")],
        };
        assert_eq!(
            e.to_string(),
            "cannot reach http://m/a.gz (connection refused), and a data file is missing: put a.gz (https://h/a.gz) in d/mnist"
        );
        assert!(e.hint().unwrap().contains("ML4A_MIRROR"));
    }
}
