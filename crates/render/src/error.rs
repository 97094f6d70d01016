//! The crate's one error type, and the atomic file write that is its only source.
//!
//! Writing goes through the workspace's `atomicfile` crate, like every other file we write.

use std::io;
use std::path::{Path, PathBuf};

/// A figure could not be written to `path`.
///
/// Drawing itself never fails; only writing a finished PNG or SVG to disk does.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {}: {kind}", path.display())]
#[non_exhaustive]
pub struct RenderError {
    /// The file we were asked to write.
    pub path: PathBuf,
    /// What went wrong.
    pub kind: RenderErrorKind,
}

/// What went wrong while writing a file (see [`RenderError`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RenderErrorKind {
    /// No temporary file could be created in the target's directory (it is missing or
    /// not writable).
    #[error("cannot create a temporary file in its directory: {0}")]
    CreateTemp(io::Error),
    /// Writing the bytes into the temporary file failed (for example, the disk is full).
    #[error("writing the temporary file failed: {0}")]
    Write(io::Error),
    /// The finished temporary file could not be renamed onto the target.
    #[error("cannot move the finished file into place: {0}")]
    Persist(io::Error),
}

/// Writes `bytes` to `path` atomically (through [`atomicfile::write`]: a temporary file in the
/// same directory, synced, then renamed into place), so an interrupted run never leaves a
/// half-written figure.
///
/// # Errors
/// A [`RenderError`] naming `path` if the directory is missing or not writable, the write
/// fails, or the rename fails.
pub fn write_atomic(path: impl AsRef<Path>, bytes: &[u8]) -> Result<(), RenderError> {
    atomicfile::write(path.as_ref(), bytes).map_err(RenderError::from)
}

impl From<atomicfile::Error> for RenderError {
    fn from(e: atomicfile::Error) -> Self {
        let kind = match e.kind {
            atomicfile::ErrorKind::CreateTemp(io) => RenderErrorKind::CreateTemp(io),
            atomicfile::ErrorKind::Write(io) => RenderErrorKind::Write(io),
            atomicfile::ErrorKind::Persist(io) => RenderErrorKind::Persist(io),
            // The process is being interrupted: the file was not moved into place.
            other => RenderErrorKind::Persist(io::Error::new(
                io::ErrorKind::Interrupted,
                other.to_string(),
            )),
        };
        RenderError { path: e.path, kind }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        write_atomic(&path, b"first").unwrap();
        write_atomic(&path, b"second").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        // Only the target is left behind: the temporary file was renamed, not copied.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn missing_directory_names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no/such/dir/fig.png");
        let err = write_atomic(&path, b"x").unwrap_err();
        assert_eq!(err.path, path);
        assert!(matches!(err.kind, RenderErrorKind::CreateTemp(_)));
        assert!(err.to_string().contains("fig.png"), "{err}");
    }
}
