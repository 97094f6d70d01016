//! [`LoadOptions`] and where decompressed copies of compressed data are kept.
//!
//! A compressed source is expanded once into a cache entry and mapped from then on. Entries live
//! in the caller's [`LoadOptions::cache_dir`] or, when none is set, in the platform's cache
//! directory ([`default_cache_dir`]: `~/.cache/ml4a-rs` on Linux, `~/Library/Caches/ml4a-rs` on
//! macOS, `%LOCALAPPDATA%\ml4a-rs` on Windows; the temporary directory where there is none).
//! Nothing is written next to the data unless the caller asks for it
//! ([`LoadOptions::with_cache_beside_source`]); then that place comes first, and is skipped when
//! its directory has no write bits (being root does not make a read-only data directory ours to
//! write in).
//! Entry names carry a hash of the source's path, size and modification time, so a replaced
//! source is never served a stale entry; readers still validate every entry's content before
//! using it. When no place is writable, the data is expanded into memory.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use md5::{Digest, Md5};

/// Deflate expands at most about 1032:1; a header promising more than this many bytes per
/// compressed byte is lying.
pub(crate) const DEFLATE_MAX_RATIO: u64 = 1032;

/// Options for the readers. `LoadOptions::default()` is right for most callers.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LoadOptions {
    /// Where to keep decompressed copies. `None` uses [`default_cache_dir`].
    pub cache_dir: Option<PathBuf>,
    /// Keep decompressed copies next to their source when its directory is writable (hidden
    /// `.NAME.KEY.ml4a-cache` files; CIFAR-10's archive is extracted to its usual folder).
    /// Off by default: the loader does not write into a data folder unasked.
    pub beside_source: bool,
    /// The most bytes a compressed file may expand to (default 8 GiB), on top of the bound that
    /// deflate's maximum ratio puts on it.
    pub max_decompressed: u64,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            cache_dir: None,
            beside_source: false,
            max_decompressed: 8 << 30,
        }
    }
}

impl LoadOptions {
    /// These options with decompressed copies kept in `dir`.
    pub fn with_cache_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cache_dir = Some(dir.into());
        self
    }

    /// These options with decompressed copies kept next to their source when that is writable
    /// (and in the cache directory otherwise).
    pub fn with_cache_beside_source(mut self, beside: bool) -> Self {
        self.beside_source = beside;
        self
    }

    /// These options with compressed files limited to expanding to `bytes` bytes.
    pub fn with_max_decompressed(mut self, bytes: u64) -> Self {
        self.max_decompressed = bytes;
        self
    }

    /// The most bytes a compressed file of `compressed` bytes may expand to.
    pub(crate) fn expansion_limit(&self, compressed: u64) -> u64 {
        compressed
            .saturating_mul(DEFLATE_MAX_RATIO)
            .saturating_add(4096)
            .min(self.max_decompressed)
    }
}

/// A place where a cache entry for one source may live.
#[derive(Debug, Clone)]
pub(crate) struct Slot {
    /// The directory holding the entry (created on demand for the non-data slots).
    pub(crate) dir: PathBuf,
    /// The entry's path.
    pub(crate) path: PathBuf,
    /// True for the slot beside the source.
    pub(crate) beside_source: bool,
}

impl Slot {
    /// Whether we may write here: the source's directory only when it has write bits (root can
    /// write anywhere, but a data directory laid out read-only must stay untouched); the others
    /// when they can be created.
    pub(crate) fn writable(&self) -> bool {
        if self.beside_source {
            fs::metadata(&self.dir).is_ok_and(|m| m.is_dir() && !m.permissions().readonly())
        } else {
            fs::create_dir_all(&self.dir).is_ok()
        }
    }
}

/// A 16-hex-digit key of a source: 8 digits for its canonical path, then 8 for its path, size
/// and modification time. An entry is current when the whole key matches; an entry of an older
/// version of the same file shares the first half (see [`is_stale_for`]), while the entries of
/// other files with the same name (another copy of MNIST, another test's data) do not, so
/// cleaning up never removes what another loader is using.
pub(crate) fn source_key(source: &Path, meta: &fs::Metadata) -> String {
    let canonical = fs::canonicalize(source).unwrap_or_else(|_| source.to_path_buf());
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    let path = canonical.as_os_str().as_encoded_bytes();
    let mut version = Md5::new();
    version.update(path);
    version.update([0]);
    version.update(meta.len().to_le_bytes());
    version.update(mtime.to_le_bytes());
    format!(
        "{}{}",
        hex::encode(&Md5::digest(path)[..4]),
        hex::encode(&version.finalize()[..4])
    )
}

/// Whether the entry key `other` belongs to an older version of the source whose current key
/// is `current`: the same path half, another version half.
pub(crate) fn is_stale_for(other: &str, current: &str) -> bool {
    is_key(other) && other != current && other[..8] == current[..8]
}

/// The slots for a cache entry named `name` of `source`, in lookup order.
///
/// `beside` is the entry's file name next to the source; `None` when the entry beside the source
/// is not keyed (CIFAR-10's extracted folder, which is simply the data's canonical layout).
pub(crate) fn slots(
    source: &Path,
    key: &str,
    name: &str,
    beside: Option<String>,
    opts: &LoadOptions,
) -> Vec<Slot> {
    let mut out = Vec::with_capacity(2);
    if opts.beside_source {
        let parent = match source.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let beside = beside.unwrap_or_else(|| name.to_string());
        out.push(Slot {
            path: parent.join(beside),
            dir: parent,
            beside_source: true,
        });
    }
    let dir = match &opts.cache_dir {
        Some(dir) => dir.clone(),
        None => default_cache_dir(),
    };
    out.push(Slot {
        path: dir.join(format!("{name}.{key}")),
        dir,
        beside_source: false,
    });
    out
}

/// Where decompressed copies go when [`LoadOptions::cache_dir`] is not set: `ml4a-rs` in the
/// platform's per-user cache directory (found by the `dirs` crate), else in the temporary
/// directory.
pub fn default_cache_dir() -> PathBuf {
    dirs::cache_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("ml4a-rs")
}

/// Whether `s` looks like a [`source_key`].
pub(crate) fn is_key(s: &str) -> bool {
    s.len() == 16
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Whether `entry` is named `{name}.{key}`, as cache-directory entries are.
#[cfg(test)]
pub(crate) fn is_keyed(entry: &str, name: &str) -> bool {
    entry_key(entry, name).is_some_and(is_key)
}

/// The key of a cache-directory entry named `{name}.{key}`.
pub(crate) fn entry_key<'a>(entry: &'a str, name: &str) -> Option<&'a str> {
    entry.strip_prefix(name).and_then(|r| r.strip_prefix('.'))
}

/// Best effort: removes the siblings of the entry `keep` that `is_entry` recognises as entries
/// of an older version of the same source (see [`is_stale_for`]), so caches do not pile up. A
/// process still mapping a removed entry keeps its data: unlinking does not touch a mapped
/// file's content.
pub(crate) fn remove_stale(keep: &Path, is_entry: impl Fn(&str) -> bool) {
    let (Some(dir), Some(keep_name)) = (keep.parent(), keep.file_name()) else {
        return;
    };
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if name == keep_name || !is_entry(&name.to_string_lossy()) {
            continue;
        }
        let path = entry.path();
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            let _ = fs::remove_dir_all(path);
        } else {
            let _ = fs::remove_file(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(unix)]
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn key_changes_with_size_and_is_stable() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a.gz");
        fs::write(&f, b"abc").unwrap();
        let k1 = source_key(&f, &fs::metadata(&f).unwrap());
        assert_eq!(k1, source_key(&f, &fs::metadata(&f).unwrap()));
        assert_eq!(k1.len(), 16);
        fs::write(&f, b"abcd").unwrap();
        assert_ne!(k1, source_key(&f, &fs::metadata(&f).unwrap()));
    }

    #[test]
    fn slot_order_and_names() {
        let paths = |opts: &LoadOptions| -> Vec<PathBuf> {
            let s = slots(
                Path::new("/d/x.gz"),
                "k",
                "x",
                Some(".x.k.ml4a-cache".into()),
                opts,
            );
            assert!(s.last().is_some_and(|s| !s.beside_source));
            assert_eq!(s[0].beside_source, opts.beside_source);
            s.iter().map(|s| s.path.clone()).collect()
        };
        // By default only the cache directory: nothing is written next to the data.
        let default = default_cache_dir().join("x.k");
        assert_eq!(
            paths(&LoadOptions::default()),
            std::slice::from_ref(&default)
        );
        let with_dir = LoadOptions::default().with_cache_dir("/c");
        assert_eq!(paths(&with_dir), [Path::new("/c/x.k")]);
        // Asked for, beside the source first.
        let beside = with_dir.clone().with_cache_beside_source(true);
        assert_eq!(
            paths(&beside),
            [Path::new("/d/.x.k.ml4a-cache"), Path::new("/c/x.k")]
        );
        assert!(default.ends_with("ml4a-rs/x.k"));
    }

    #[cfg(unix)]
    #[test]
    fn a_directory_without_write_bits_is_not_writable_even_for_root() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        fs::create_dir(&data).unwrap();
        let beside = LoadOptions::default().with_cache_beside_source(true);
        let slot = || slots(&data.join("f.gz"), "k", "f", None, &beside)[0].clone();
        assert!(slot().writable());
        fs::set_permissions(&data, fs::Permissions::from_mode(0o555)).unwrap();
        assert!(!slot().writable());
        fs::set_permissions(&data, fs::Permissions::from_mode(0o755)).unwrap();
    }

    #[test]
    fn stale_entries_are_recognised_and_removed() {
        assert!(is_keyed("x.0123456789abcdef", "x"));
        assert!(!is_keyed("x.0123456789abcde", "x"));
        assert!(!is_keyed("x.0123456789abcdeF", "x"));
        assert!(!is_keyed("xy.0123456789abcdef", "x"));
        assert!(!is_keyed("x.0123456789abcdef.tmp", "x"));
        let dir = tempfile::tempdir().unwrap();
        // Same path half, older version: stale. Another path half: another file's entry, kept.
        for n in [
            "x.0123456789abcdef",
            "x.01234567fedcba98",
            "x.fedcba9876543210",
            "x.notakey",
            "y.0123456789abcdef",
        ] {
            fs::write(dir.path().join(n), b"").unwrap();
        }
        fs::create_dir(dir.path().join("x.0123456711111111")).unwrap();
        let current = "0123456789abcdef";
        remove_stale(&dir.path().join("x.0123456789abcdef"), |n| {
            entry_key(n, "x").is_some_and(|k| is_stale_for(k, current))
        });
        let mut left: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                "x.0123456789abcdef",
                "x.fedcba9876543210",
                "x.notakey",
                "y.0123456789abcdef"
            ]
        );
    }

    #[test]
    fn expansion_limit_is_the_smaller_bound() {
        let o = LoadOptions::default();
        assert_eq!(o.expansion_limit(10), 10 * 1032 + 4096);
        assert_eq!(o.expansion_limit(u64::MAX), 8 << 30);
    }
}
