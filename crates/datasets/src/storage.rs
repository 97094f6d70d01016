//! Byte storage behind a dataset: owned buffers or read-only memory maps, and opening files.

use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom};
use std::ops::Deref;
use std::path::Path;

use memmap2::Mmap;

use crate::{DatasetError, DatasetErrorKind};

/// Files smaller than this are read into memory: a map costs more than it saves for them.
const MAP_THRESHOLD: u64 = 1 << 20;

/// Bytes that a dataset reads from: owned, or a read-only map of a file.
pub(crate) enum Bytes {
    /// Read into (or built in) memory.
    Owned(Vec<u8>),
    /// A read-only memory map.
    Mapped(Mmap),
}

impl Deref for Bytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Owned(v) => v,
            Bytes::Mapped(m) => m,
        }
    }
}

/// Opens `path` as a regular file, with a typed error for a missing path or a directory.
pub(crate) fn open_file(path: &Path) -> Result<(File, fs::Metadata), DatasetError> {
    let meta = fs::metadata(path).map_err(|e| DatasetError::io(path, e))?;
    if !meta.is_file() {
        return Err(DatasetError::new(path, DatasetErrorKind::NotAFile));
    }
    let file = File::open(path).map_err(|e| DatasetError::io(path, e))?;
    Ok((file, meta))
}

/// The whole content of `path`: mapped when large, read when small.
pub(crate) fn read_or_map(path: &Path) -> Result<Bytes, DatasetError> {
    let (file, meta) = open_file(path)?;
    bytes_of(path, file, meta.len())
}

/// The content of an already opened file of length `len` (read from its start, wherever the
/// handle's position is).
pub(crate) fn bytes_of(path: &Path, mut file: File, len: u64) -> Result<Bytes, DatasetError> {
    if len < MAP_THRESHOLD {
        file.seek(SeekFrom::Start(0))
            .map_err(|e| DatasetError::io(path, e))?;
        // `len` is below 1 MiB here, so this allocation is bounded.
        let mut buf = Vec::with_capacity(len as usize);
        file.read_to_end(&mut buf)
            .map_err(|e| DatasetError::io(path, e))?;
        return Ok(Bytes::Owned(buf));
    }
    // SAFETY: the map is read-only and we never create a mutable view. Another process
    // truncating or rewriting the file while it is mapped could change what we read or fault;
    // dataset files and our own caches are never rewritten in place (caches are replaced by
    // rename, which leaves the mapped inode intact), which is the usual contract for mapped data.
    let map = unsafe { Mmap::map(&file) }.map_err(|e| DatasetError::io(path, e))?;
    Ok(Bytes::Mapped(map))
}

/// Whether `path` is a directory, with typed errors for a missing path or a file.
pub(crate) fn require_dir(path: &Path) -> Result<(), DatasetError> {
    let meta = fs::metadata(path).map_err(|e| DatasetError::io(path, e))?;
    if meta.is_dir() {
        Ok(())
    } else {
        Err(DatasetError::new(path, DatasetErrorKind::NotADirectory))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_files_are_read_large_files_mapped() {
        let dir = tempfile::tempdir().unwrap();
        let small = dir.path().join("s");
        let large = dir.path().join("l");
        fs::write(&small, [7u8; 10]).unwrap();
        let big: Vec<u8> = (0..MAP_THRESHOLD + 5).map(|i| (i % 251) as u8).collect();
        fs::write(&large, &big).unwrap();
        let s = read_or_map(&small).unwrap();
        assert!(matches!(s, Bytes::Owned(_)));
        assert_eq!(&s[..], &[7u8; 10]);
        let l = read_or_map(&large).unwrap();
        assert!(matches!(l, Bytes::Mapped(_)));
        assert_eq!(&l[..], &big[..]);
    }

    #[test]
    fn directory_and_missing_path_are_typed() {
        let dir = tempfile::tempdir().unwrap();
        let e = read_or_map(dir.path()).err().unwrap();
        assert!(matches!(e.kind, DatasetErrorKind::NotAFile), "{e}");
        let e = read_or_map(&dir.path().join("nope")).err().unwrap();
        assert!(matches!(e.kind, DatasetErrorKind::NotFound), "{e}");
        let f = dir.path().join("f");
        fs::write(&f, b"x").unwrap();
        let e = require_dir(&f).err().unwrap();
        assert!(matches!(e.kind, DatasetErrorKind::NotADirectory), "{e}");
    }
}
