//! Writing output files: always whole, never half.

use std::path::Path;

use crate::error::ExperimentError;

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename,
/// creating the directory first.
///
/// # Errors
/// [`ExperimentError::Io`] or [`ExperimentError::Render`] naming `path`.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ExperimentError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| ExperimentError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    render::write_atomic(path, bytes)?;
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
