//! Writing output files: always whole, never half. Every output of this crate (figures,
//! summaries, reports, demos, the model cache's records) is written here or, for checkpoints,
//! by [`nn::checkpoint::save`]; both go through the workspace's `atomicfile` crate.

use std::path::Path;

use crate::error::ExperimentError;

/// Writes `bytes` to `path` through [`atomicfile::write`] (a temporary file in the same
/// directory, synced, then renamed), creating the directory first.
///
/// # Errors
/// [`ExperimentError::Io`] when the directory cannot be created, [`ExperimentError::Write`]
/// when the file cannot be written; both name the path.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ExperimentError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| ExperimentError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    atomicfile::write(path, bytes)?;
    Ok(())
}

/// Serialises `value` as pretty JSON into `path`, atomically.
///
/// # Errors
/// As [`write_atomic`], or [`ExperimentError::Json`].
pub fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<(), ExperimentError> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(|source| ExperimentError::Json {
        what: path.display().to_string(),
        source,
    })?;
    bytes.push(b'\n');
    write_atomic(path, &bytes)
}
