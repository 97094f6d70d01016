//! [`IdxFile`]: one IDX file of unsigned bytes, mapped or read whole, checked against its
//! header.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use flate2::read::MultiGzDecoder;

use crate::cache::LoadOptions;
use crate::storage::{self, Bytes};
use crate::{DatasetError, DatasetErrorKind};

use super::{gzip::*, header::*};

/// An IDX file of unsigned bytes, read whole: raw files are mapped (or read, when small), gzip
/// files are expanded once into a cache entry and mapped.
pub struct IdxFile {
    path: PathBuf,
    header: IdxHeader,
    pub(super) bytes: Arc<Bytes>,
}

impl fmt::Debug for IdxFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdxFile")
            .field("path", &self.path)
            .field("header", &self.header)
            .finish()
    }
}

impl IdxFile {
    /// Opens an IDX file of type u8 (code 0x08), raw or gzip.
    ///
    /// # Errors
    /// A [`DatasetError`] naming `path` when the file is missing or a directory, is not IDX,
    /// has another element type, has dimensions that overflow, holds fewer or more bytes than its
    /// header implies, or (gzip) is corrupt or promises more than it can expand to. Nothing sized
    /// by the header is allocated before the header is checked against the file.
    pub fn open(path: &Path, opts: &LoadOptions) -> Result<IdxFile, DatasetError> {
        let (mut file, meta) = storage::open_file(path)?;
        let (header, bytes) = if is_gzip(path, &mut file)? {
            open_gzip(path, file, &meta, opts)?
        } else {
            let bytes = storage::bytes_of(path, file, meta.len())?;
            let header = check_whole(&bytes).map_err(|k| DatasetError::new(path, k))?;
            (header, bytes)
        };
        IdxFile::u8_only(path.to_path_buf(), header, bytes)
    }

    /// Reads an IDX file of type u8 from memory, raw or gzip (told apart by content, as
    /// [`open`](IdxFile::open) does). A gzip stream is expanded into memory, no further than
    /// `opts` and deflate's ratio allow for its size. Errors name no file (`<memory>`).
    ///
    /// # Errors
    /// As [`open`](IdxFile::open), except those about files.
    pub fn from_bytes(bytes: Vec<u8>, opts: &LoadOptions) -> Result<IdxFile, DatasetError> {
        let source = PathBuf::new();
        let (header, bytes) = if bytes.starts_with(&GZIP_MAGIC) {
            let limit = opts.expansion_limit(bytes.len() as u64);
            let mut dec = MultiGzDecoder::new(&bytes[..]);
            let (header, total, head) = gzip_header(&mut dec, limit, &source)?;
            let expanded = expand_into_memory(&mut dec, total, &head, &source)?;
            (header, expanded)
        } else {
            let header = check_whole(&bytes).map_err(DatasetError::memory)?;
            (header, Bytes::Owned(bytes))
        };
        IdxFile::u8_only(source, header, bytes)
    }

    fn u8_only(path: PathBuf, header: IdxHeader, bytes: Bytes) -> Result<IdxFile, DatasetError> {
        if header.elem != IdxType::U8 {
            return Err(DatasetError::new(
                path,
                DatasetErrorKind::UnsupportedIdxType {
                    code: header.elem.code(),
                },
            ));
        }
        Ok(IdxFile {
            path,
            header,
            bytes: Arc::new(bytes),
        })
    }

    /// The path it was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The header.
    pub fn header(&self) -> &IdxHeader {
        &self.header
    }

    /// The dimensions, outermost first.
    pub fn dims(&self) -> &[usize] {
        &self.header.dims
    }

    /// The values, row-major (everything after the header).
    pub fn data(&self) -> &[u8] {
        &self.bytes[self.header.header_len()..]
    }
}
