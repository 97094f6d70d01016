//! [`DatasetError`]: every failure caused by data from outside, naming the file and the problem.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use crate::ImageShape;

/// A file (or directory, or in-memory input) could not be used as a dataset.
///
/// `path` names the file that is wrong (for a missing dataset, the directory where its files
/// belong; for [`Dataset::new`](crate::Dataset::new), the empty path, shown as `<memory>`), and
/// `kind` says what is wrong with it. The `Display` form is one line: `PATH: PROBLEM`.
#[derive(Debug)]
#[non_exhaustive]
pub struct DatasetError {
    /// The file or directory at fault.
    pub path: PathBuf,
    /// What is wrong with it.
    pub kind: DatasetErrorKind,
}

impl DatasetError {
    /// An error about `path`.
    pub fn new(path: impl Into<PathBuf>, kind: DatasetErrorKind) -> Self {
        Self {
            path: path.into(),
            kind,
        }
    }

    /// An error about in-memory input (no file involved).
    pub(crate) fn memory(kind: DatasetErrorKind) -> Self {
        Self::new(PathBuf::new(), kind)
    }

    /// Wraps an I/O error, turning "not found" into [`DatasetErrorKind::NotFound`].
    pub(crate) fn io(path: &Path, err: io::Error) -> Self {
        let kind = if err.kind() == io::ErrorKind::NotFound {
            DatasetErrorKind::NotFound
        } else {
            DatasetErrorKind::Io(err)
        };
        Self::new(path, kind)
    }
}

impl fmt::Display for DatasetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.as_os_str().is_empty() {
            write!(f, "<memory>: {}", self.kind)
        } else {
            write!(f, "{}: {}", self.path.display(), self.kind)
        }
    }
}

// The kind's message is already part of `Display`, so the chain stops here rather than
// repeating it; the underlying `io::Error` stays reachable through `kind`.
impl std::error::Error for DatasetError {}

/// What is wrong with the file named by [`DatasetError::path`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DatasetErrorKind {
    /// The path does not exist.
    #[error("not found")]
    NotFound,
    /// A directory (or something else that is not a regular file) where a file is expected.
    #[error("expected a file, found a directory or special file")]
    NotAFile,
    /// A file where a directory is expected.
    #[error("expected a directory, found a file")]
    NotADirectory,
    /// Files a dataset needs are absent from the directory; the message says what to place there.
    #[error("{dataset} files missing from this directory: {}; {hint}", files.join(", "))]
    Missing {
        /// Which dataset ("MNIST", "CIFAR-10", "IDX").
        dataset: &'static str,
        /// The file names that are absent.
        files: Vec<String>,
        /// Which forms are accepted and where the official files come from.
        hint: String,
    },
    /// Reading or writing failed at the operating-system level.
    #[error("I/O error: {0}")]
    Io(#[source] io::Error),
    /// The gzip stream is corrupt (bad deflate data, CRC mismatch).
    #[error("corrupt gzip data: {0}")]
    Decompress(#[source] io::Error),
    /// The first bytes are not an IDX magic number (two zero bytes, a type code, a rank).
    #[error("not an IDX file: magic bytes {}", hex(found))]
    BadMagic {
        /// The first bytes of the (decompressed) file.
        found: Vec<u8>,
    },
    /// An IDX type code other than the known ones, or one whose data this crate does not read.
    #[error("IDX type code 0x{code:02x} is not supported here (only 0x08, unsigned bytes)")]
    UnsupportedIdxType {
        /// The third magic byte.
        code: u8,
    },
    /// The dimensions (of an IDX file, or given to [`Dataset::new`](crate::Dataset::new)) do
    /// not describe what they should.
    #[error("dimensions {found:?} do not fit: expected {expected}")]
    BadDims {
        /// What the reader needs, in words.
        expected: &'static str,
        /// The dimensions in the header.
        found: Vec<usize>,
    },
    /// The product of the IDX dimensions overflows.
    #[error("IDX dimensions {dims:?} overflow when multiplied")]
    HeaderOverflow {
        /// The dimensions in the header.
        dims: Vec<usize>,
    },
    /// The file ends before the bytes its header promises.
    #[error("truncated: expected {expected} bytes, found {got}")]
    Truncated {
        /// Bytes the header implies.
        expected: u64,
        /// Bytes present.
        got: u64,
    },
    /// The file holds more bytes than its header says.
    #[error("{got} bytes where the header implies {expected}: trailing data")]
    TrailingBytes {
        /// Bytes the header implies.
        expected: u64,
        /// Bytes present (for a gzip, at least this many).
        got: u64,
    },
    /// The header of a compressed file promises more bytes than the file can expand to (deflate
    /// cannot expand beyond about 1032:1) or than the configured limit.
    #[error("header promises {claimed} bytes, more than the limit of {limit} for this file")]
    ExpansionLimit {
        /// Bytes the header implies.
        claimed: u64,
        /// The largest believable size.
        limit: u64,
    },
    /// The image file and the label file hold different numbers of items.
    #[error("{images} images but {labels} labels")]
    CountMismatch {
        /// Images in the image file.
        images: usize,
        /// Labels in the label file.
        labels: usize,
    },
    /// A label is not below the number of classes.
    #[error("label {label} at index {index} is not below the class count {classes}")]
    LabelOutOfRange {
        /// Position of the label.
        index: usize,
        /// The label.
        label: u8,
        /// Number of classes.
        classes: usize,
    },
    /// A CIFAR-10 batch file whose length is not a whole number of 3073-byte records.
    #[error("length {len} is not a multiple of the 3073-byte CIFAR-10 record")]
    RecordSize {
        /// The file length.
        len: u64,
    },
    /// The class names are unusable (none, more than 256, or not UTF-8).
    #[error("bad class names: {reason}")]
    ClassNames {
        /// What is wrong.
        reason: String,
    },
    /// Images of another shape than required (train and test differ, or not the dataset's).
    #[error("images of {found} (channels x height x width) where {expected} are needed")]
    ShapeMismatch {
        /// The shape required.
        expected: ImageShape,
        /// The shape found.
        found: ImageShape,
    },
    /// In-memory pixels whose length is not `labels * image size` (or an empty image shape).
    #[error("{got} pixel bytes where {expected} are needed")]
    PixelCount {
        /// `labels.len() * shape.len()`.
        expected: usize,
        /// Bytes supplied.
        got: usize,
    },
    /// A tar archive lacks a member or holds one that cannot be used.
    #[error("archive problem: {reason}")]
    Archive {
        /// What is wrong.
        reason: String,
    },
    /// The server answered with an HTTP error status.
    #[error("GET {url} returned HTTP {status}")]
    Http {
        /// The URL requested.
        url: String,
        /// The status code.
        status: u16,
    },
    /// The transfer started but failed (connection cut, timeout, short body).
    #[error("download of {url} failed: {reason}")]
    Transfer {
        /// The URL requested.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// The server could not be reached at all (no network, DNS failure, refused connection).
    #[error("cannot reach {url}: {reason}")]
    Unreachable {
        /// The URL requested.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// Another process holds the partial file of this download.
    #[error("another process is fetching this file")]
    Busy,
    /// A downloaded file does not match its official checksum (nor, for a gzip file, does its
    /// decompressed content match the official content's).
    #[error("downloaded from {url}, its MD5 is {actual} where the official file's is {expected}")]
    Checksum {
        /// The URL downloaded.
        url: String,
        /// The published MD5 (hex).
        expected: String,
        /// The MD5 of what arrived (hex).
        actual: String,
    },
}

fn hex(bytes: &[u8]) -> String {
    let parts: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::{Expect, expect};

    fn check(err: DatasetError, expect: Expect) {
        expect.assert_eq(&err.to_string());
    }

    #[test]
    fn messages_name_the_file_and_the_problem() {
        check(
            DatasetError::new(
                "d/t.idx",
                DatasetErrorKind::Truncated {
                    expected: 10,
                    got: 4,
                },
            ),
            expect!["d/t.idx: truncated: expected 10 bytes, found 4"],
        );
        check(
            DatasetError::memory(DatasetErrorKind::PixelCount {
                expected: 4,
                got: 3,
            }),
            expect!["<memory>: 3 pixel bytes where 4 are needed"],
        );
        check(
            DatasetError::new(
                "x",
                DatasetErrorKind::BadMagic {
                    found: vec![0x1f, 0x8b, 8, 0],
                },
            ),
            expect!["x: not an IDX file: magic bytes 1f 8b 08 00"],
        );
        check(
            DatasetError::new(
                "data/mnist/a.gz",
                DatasetErrorKind::Checksum {
                    url: "https://h/a.gz".into(),
                    expected: "00ff".into(),
                    actual: "1234".into(),
                },
            ),
            expect![
                "data/mnist/a.gz: downloaded from https://h/a.gz, its MD5 is 1234 where the official file's is 00ff"
            ],
        );
    }

    #[test]
    fn io_not_found_becomes_not_found() {
        let e = DatasetError::io(Path::new("p"), io::Error::from(io::ErrorKind::NotFound));
        assert!(matches!(e.kind, DatasetErrorKind::NotFound));
        let e = DatasetError::io(
            Path::new("p"),
            io::Error::from(io::ErrorKind::PermissionDenied),
        );
        assert!(matches!(e.kind, DatasetErrorKind::Io(_)));
    }
}
