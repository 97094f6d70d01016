//! Fetching the official files over HTTP(S): verified against their official checksums, resumed
//! after a cut connection, written atomically, reported through a progress callback.
//!
//! [`RemoteFile`], [`Progress`] and [`missing`] are always here; the fetching itself
//! ([`fetch_verified`], [`fetch_all`]) needs the `download` feature (on by default), which
//! brings the HTTP and TLS stack. Without it, the crate only reads local files.
//!
//! A file is fetched into a partial file beside its destination (`.{name}.{md5}.partial`),
//! which survives a cut connection or a killed process so the next attempt asks only for the
//! rest (HTTP `Range`). The partial becomes the destination by rename only once complete and
//! verified, so a reader never sees a partial file; one that fails verification is removed.
//!
//! Only downloads are checked against the official checksums, which come from the
//! [`RemoteFile`] table and never from the server. Files already present locally are not hashed
//! (a local copy may be re-compressed and still hold the official data); the readers check
//! local files by content instead.

use std::path::{Path, PathBuf};

#[cfg(feature = "download")]
mod fetch;
#[cfg(feature = "download")]
pub use fetch::{fetch_all, fetch_verified};

/// A published file: its name, where it is officially published, and what it must hash to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemoteFile {
    /// The file name, used as the local name and appended to a mirror's base URL.
    pub name: &'static str,
    /// The official URL.
    pub url: &'static str,
    /// The official MD5 of the file, lowercase hex.
    pub md5: &'static str,
    /// For a gzip file, the official MD5 of its decompressed content: a copy re-compressed by
    /// a mirror holds the same data and is accepted by this one.
    pub content_md5: Option<&'static str>,
    /// The official size in bytes: a transfer that grows past it is cut off.
    pub size: u64,
}

impl RemoteFile {
    /// Where this file is under a mirror's `base` URL (the file name appended).
    pub fn url_at(&self, base: &str) -> String {
        if base.ends_with('/') {
            format!("{base}{}", self.name)
        } else {
            format!("{base}/{}", self.name)
        }
    }

    /// The partial file a fetch of this file into `dest` writes to until it is verified. Its
    /// name carries the checksum, so a partial of another version is never resumed.
    pub fn partial_path(&self, dest: &Path) -> PathBuf {
        let dir = dest.parent().unwrap_or(Path::new(""));
        let md5 = self.md5.get(..12).unwrap_or(self.md5);
        dir.join(format!(".{}.{md5}.partial", self.name))
    }
}

/// How a fetch is going, passed to the progress callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Progress<'a> {
    /// A request was answered; the body follows. `resumed_from` bytes were already there.
    Started {
        /// The file being fetched.
        file: &'a str,
        /// The URL it comes from.
        url: &'a str,
        /// The whole file's size, when the server says (else the official size).
        total: u64,
        /// Bytes kept from an earlier, cut transfer.
        resumed_from: u64,
    },
    /// Bytes arrived: `done` of `total` are there.
    Received {
        /// The file being fetched.
        file: &'a str,
        /// Bytes there so far, resumed ones included.
        done: u64,
        /// The whole file's size.
        total: u64,
    },
    /// The transfer was cut after `done` bytes; the fetch asks for the rest.
    Retrying {
        /// The file being fetched.
        file: &'a str,
        /// Bytes kept.
        done: u64,
        /// What went wrong.
        reason: &'a str,
    },
    /// The whole file arrived and matched its official checksum.
    Verified {
        /// The file fetched.
        file: &'a str,
        /// Its size.
        bytes: u64,
        /// Whether it matched by its decompressed content (a re-compressed copy) rather than
        /// byte for byte.
        by_content: bool,
    },
}

/// The files of `files` absent from `dir`: neither the file nor, for `x.gz`, its decompressed
/// `x` is there.
pub fn missing<'f>(dir: &Path, files: &'f [RemoteFile]) -> Vec<&'f RemoteFile> {
    files.iter().filter(|f| !is_present(dir, f.name)).collect()
}

/// Whether `name` (or, for `x.gz`, `x`) exists in `dir`.
pub(crate) fn is_present(dir: &Path, name: &str) -> bool {
    dir.join(name).exists()
        || name
            .strip_suffix(".gz")
            .is_some_and(|raw| dir.join(raw).exists())
}

#[cfg(test)]
mod tests {
    use super::*;

    const F: RemoteFile = RemoteFile {
        name: "a.gz",
        url: "https://example.org/x/a.gz",
        md5: "0123456789abcdef0123456789abcdef",
        content_md5: None,
        size: 10,
    };

    #[test]
    fn mirror_urls_append_the_name_once() {
        assert_eq!(F.url_at("http://m/"), "http://m/a.gz");
        assert_eq!(F.url_at("http://m"), "http://m/a.gz");
        assert_eq!(F.url_at("http://m/data/"), "http://m/data/a.gz");
    }

    #[test]
    fn partial_files_are_hidden_beside_the_destination_and_name_the_version() {
        assert_eq!(
            F.partial_path(Path::new("d/mnist/a.gz")),
            Path::new("d/mnist/.a.gz.0123456789ab.partial")
        );
        let other = RemoteFile {
            md5: "ffff456789abcdef0123456789abcdef",
            ..F
        };
        assert_ne!(
            other.partial_path(Path::new("a.gz")),
            F.partial_path(Path::new("a.gz"))
        );
    }

    #[test]
    fn a_decompressed_copy_counts_as_present() {
        let dir = tempfile::tempdir().unwrap();
        let files = [
            F,
            RemoteFile { name: "b.gz", ..F },
            RemoteFile { name: "c", ..F },
        ];
        std::fs::write(dir.path().join("a"), b"raw").unwrap();
        std::fs::write(dir.path().join("c"), b"raw").unwrap();
        let names: Vec<_> = missing(dir.path(), &files).iter().map(|f| f.name).collect();
        assert_eq!(names, ["b.gz"]);
    }
}
