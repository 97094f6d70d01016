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

impl ExperimentError {
    /// What to do about the error, when there is a fitting answer (where to put missing
    /// files). The binary prints it on a `hint:` line of its own.
    pub fn hint(&self) -> Option<&str> {
        match self {
            ExperimentError::Data { hint, .. } => hint.as_deref(),
            _ => None,
        }
    }
}
