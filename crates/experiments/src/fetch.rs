//! Data on first use: before a command reads a dataset, the official files missing from the
//! data directory are fetched (from their official URLs or a mirror), each verified against
//! its official checksum, or, offline, named in one error with where each goes.
//!
//! The checksums come from a [`Catalog`]. The binary only ever uses [`Catalog::official`]:
//! a mirror (`ML4A_MIRROR`) changes where files come from, never what they must hash to. Tests
//! build their own catalog for data they make themselves.

use std::path::{Path, PathBuf};

use datasets::download::{self, Progress, RemoteFile};
use datasets::{DatasetError, DatasetErrorKind};

use crate::data::DataDir;
use crate::error::{ExperimentError, MissingFile};
use crate::spec::DataKind;

/// The environment variable that forbids network access when set to `1`.
pub const OFFLINE_ENV: &str = "ML4A_OFFLINE";
/// The environment variable that names a mirror: a base URL holding the official file names.
pub const MIRROR_ENV: &str = "ML4A_MIRROR";

/// The files each dataset is made of, with their official checksums.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    /// MNIST's files, fetched into `DATA/mnist/`.
    pub mnist: Vec<RemoteFile>,
    /// CIFAR-10's archive, fetched into `DATA/` unless `DATA/cifar-10-batches-bin/` exists.
    pub cifar10: Vec<RemoteFile>,
}

impl Catalog {
    /// The official files and checksums.
    pub fn official() -> Catalog {
        Catalog {
            mnist: datasets::mnist::FILES.to_vec(),
            cifar10: vec![datasets::cifar10::ARCHIVE_FILE],
        }
    }
}

/// Whether and from where missing files may be fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchPolicy {
    /// Never touch the network: missing files are an error.
    pub offline: bool,
    /// A base URL to fetch from instead of the official URLs.
    pub mirror: Option<String>,
    /// What the files must hash to.
    pub catalog: Catalog,
}

impl FetchPolicy {
    /// The official catalog, offline when `offline_flag` is set or [`OFFLINE_ENV`] is `1`, from
    /// the mirror [`MIRROR_ENV`] names, if any.
    ///
    /// # Errors
    /// [`ExperimentError::Usage`] for a value of either variable that means nothing.
    pub fn from_env(offline_flag: bool) -> Result<FetchPolicy, ExperimentError> {
        let var = |name: &str| {
            std::env::var(name)
                .ok()
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let offline = match var(OFFLINE_ENV).as_deref() {
            None | Some("0") | Some("false") | Some("no") => offline_flag,
            Some("1") | Some("true") | Some("yes") => true,
            Some(v) => {
                return Err(ExperimentError::Usage(format!(
                    "{OFFLINE_ENV} must be 1 or 0, not {v:?}"
                )));
            }
        };
        let mirror = var(MIRROR_ENV);
        if let Some(m) = &mirror
            && !(m.starts_with("http://") || m.starts_with("https://"))
        {
            return Err(ExperimentError::Usage(format!(
                "{MIRROR_ENV} must be an http:// or https:// URL, not {m:?}"
            )));
        }
        Ok(FetchPolicy {
            offline,
            mirror,
            catalog: Catalog::official(),
        })
    }
}

impl DataDir {
    /// The catalog's files that `kinds` need and this directory lacks, with the folder each
    /// belongs in. An `idx:` dataset is the user's own and needs nothing.
    pub fn missing(&self, kinds: &[DataKind], catalog: &Catalog) -> Vec<(RemoteFile, PathBuf)> {
        let mut out: Vec<(RemoteFile, PathBuf)> = Vec::new();
        let mut seen = Vec::new();
        for kind in kinds {
            if seen.contains(&kind) {
                continue;
            }
            seen.push(kind);
            let (dir, files) = match kind {
                DataKind::Mnist => (self.0.join(datasets::mnist::DIR), &catalog.mnist),
                DataKind::Cifar10 if self.0.join(datasets::cifar10::FOLDER).exists() => continue,
                DataKind::Cifar10 => (self.0.clone(), &catalog.cifar10),
                DataKind::Idx(_) => continue,
            };
            for f in download::missing(&dir, files) {
                out.push((*f, dir.clone()));
            }
        }
        out
    }

    /// Fetches every file `kinds` need and this directory lacks, as `policy` allows, reporting
    /// to `progress`; returns the paths fetched. Run before reading, so a command either has
    /// all its data or stops before doing any work.
    ///
    /// # Errors
    /// [`ExperimentError::NoNetwork`] when files are missing and the policy is offline or no
    /// server can be reached (naming every missing file, its folder and its official URL);
    /// [`ExperimentError::Data`] when a fetch fails otherwise (a checksum mismatch, an HTTP
    /// error, a transfer that keeps being cut), naming the file.
    pub fn ensure(
        &self,
        kinds: &[DataKind],
        policy: &FetchPolicy,
        progress: &mut dyn FnMut(Progress<'_>),
    ) -> Result<Vec<PathBuf>, ExperimentError> {
        if self.0.exists() && !self.0.is_dir() {
            return Err(ExperimentError::Data {
                source: Box::new(DatasetError::new(&self.0, DatasetErrorKind::NotADirectory)),
                hint: Some(format!(
                    "--data-dir / {} must name a folder",
                    crate::data::DATA_ENV
                )),
            });
        }
        let missing = self.missing(kinds, &policy.catalog);
        let listed = |from: usize| -> Vec<MissingFile> {
            missing[from..]
                .iter()
                .map(|(f, dir)| MissingFile {
                    name: f.name.to_string(),
                    dir: dir.clone(),
                    url: f.url.to_string(),
                    size: f.size,
                })
                .collect()
        };
        if missing.is_empty() {
            return Ok(Vec::new());
        }
        if policy.offline {
            return Err(ExperimentError::NoNetwork {
                reason: None,
                files: listed(0),
            });
        }
        let mut fetched = Vec::new();
        for (i, (file, dir)) in missing.iter().enumerate() {
            let url = policy
                .mirror
                .as_deref()
                .map_or_else(|| file.url.to_string(), |m| file.url_at(m));
            let dest = dir.join(file.name);
            match download::fetch_verified(&url, file, &dest, progress) {
                Ok(()) => fetched.push(dest),
                Err(DatasetError {
                    kind: DatasetErrorKind::Unreachable { url, reason },
                    ..
                }) => {
                    return Err(ExperimentError::NoNetwork {
                        reason: Some((url, reason)),
                        files: listed(i),
                    });
                }
                Err(e) => {
                    let hint = fetch_hint(&e, file, dir, policy.mirror.is_some());
                    return Err(ExperimentError::Data {
                        source: Box::new(e),
                        hint: Some(hint),
                    });
                }
            }
        }
        Ok(fetched)
    }
}

/// What to do when fetching `file` into `dir` failed with `e`.
fn fetch_hint(e: &DatasetError, file: &RemoteFile, dir: &Path, mirror: bool) -> String {
    match &e.kind {
        DatasetErrorKind::Checksum { .. } if mirror => format!(
            "the mirror ({MIRROR_ENV}) does not hold the official {}: fix or unset it, or fetch {} by hand into {}",
            file.name,
            file.url,
            dir.display()
        ),
        DatasetErrorKind::Checksum { .. } => format!(
            "the download was damaged or the file has changed upstream: run again, or fetch {} by hand into {}",
            file.url,
            dir.display()
        ),
        DatasetErrorKind::Http { .. } if mirror => format!(
            "the mirror ({MIRROR_ENV}) must hold {} under its base URL; or fetch {} by hand into {}",
            file.name,
            file.url,
            dir.display()
        ),
        DatasetErrorKind::Transfer { .. } => {
            "run again: the fetch resumes where it stopped".to_string()
        }
        DatasetErrorKind::Busy => {
            "another run is fetching it into the same folder: wait for it to finish".to_string()
        }
        _ => format!("fetch {} by hand into {}", file.url, dir.display()),
    }
}
