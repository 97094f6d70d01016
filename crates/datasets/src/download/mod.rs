//! Fetching the official archives over HTTP(S): verified by MD5 as they stream in, written
//! atomically, reported through a progress callback.
//!
//! [`RemoteFile`] and [`Progress`] are always here; the fetching itself ([`fetch_verified`],
//! [`fetch_all`]) needs the `download` feature (on by default), which brings the HTTP and TLS
//! stack. Without it, the crate only reads local files.
//!
//! Only downloads are checked against the official checksums. Files already present locally are
//! never hashed against them (a local copy may be re-compressed and still hold the official
//! data); the readers check local files by content instead.

#[cfg(feature = "download")]
mod fetch;
#[cfg(feature = "download")]
pub use fetch::{fetch_all, fetch_verified};

/// A file published at a base URL, with its official MD5 (lowercase hex).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemoteFile {
    /// The file name, appended to the base URL and used as the local name.
    pub name: &'static str,
    /// The official MD5 checksum, hex.
    pub md5: &'static str,
}

/// How far a download has got, passed to the progress callback after every chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress<'a> {
    /// The file being fetched.
    pub file: &'a str,
    /// Bytes received so far.
    pub done: u64,
    /// Bytes expected, when the server says.
    pub total: Option<u64>,
}
