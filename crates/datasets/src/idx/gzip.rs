//! Gzip-compressed IDX files: told apart by content, expanded once into a cache entry (or
//! into memory), bounded by the size the header implies.

use std::fs::{self, File};
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::Path;

use flate2::read::MultiGzDecoder;

use crate::cache::{self, LoadOptions};
use crate::storage::{self, Bytes};
use crate::{DatasetError, DatasetErrorKind};

use super::header::*;

/// The first two bytes of every gzip stream.
pub(super) const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// True when the file starts with the gzip magic; leaves the file at its start.
pub(super) fn is_gzip(path: &Path, file: &mut File) -> Result<bool, DatasetError> {
    let mut magic = [0u8; 2];
    let n = read_full(file, &mut magic).map_err(|e| DatasetError::io(path, e))?;
    file.seek(SeekFrom::Start(0))
        .map_err(|e| DatasetError::io(path, e))?;
    Ok(n == 2 && magic == GZIP_MAGIC)
}

/// Expands (or finds the cached expansion of) a gzip IDX file.
pub(super) fn open_gzip(
    path: &Path,
    file: File,
    meta: &fs::Metadata,
    opts: &LoadOptions,
) -> Result<(IdxHeader, Bytes), DatasetError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name.strip_suffix(".gz").unwrap_or(&name).to_string();
    let key = cache::source_key(path, meta);
    let beside = format!(".{stem}.{key}.ml4a-cache");
    let slots = cache::slots(path, &key, &stem, Some(beside.clone()), opts);

    // A cache entry is used only when its content passes the same checks as a raw file.
    for slot in &slots {
        if let Ok(bytes) = storage::read_or_map(&slot.path)
            && let Ok(header) = check_whole(&bytes)
        {
            return Ok((header, bytes));
        }
    }

    let limit = opts.expansion_limit(meta.len());
    let mut dec = MultiGzDecoder::new(BufReader::new(file));
    let (header, total, head) = gzip_header(&mut dec, limit, path)?;

    for slot in slots.iter().filter(|s| s.writable()) {
        // Whole or not at all: a reader (or a killed run) never sees half an entry.
        let Ok(mut tmp) = atomicfile::AtomicFile::create(&slot.path) else {
            continue;
        };
        tmp.write_all(&head)
            .map_err(|e| DatasetError::io(&slot.path, e))?;
        copy_exact(&mut dec, &mut tmp, total, &head, path)?;
        let file = tmp
            .commit()
            .map_err(|e| DatasetError::io(&slot.path, e.into()))?;
        // Read through our own handle, before any cleanup: another loader removing this entry
        // as stale cannot take the data from under us.
        let bytes = storage::bytes_of(&slot.path, file, total)?;
        let header = check_whole(&bytes).map_err(|k| DatasetError::new(&slot.path, k))?;
        if slot.beside_source {
            cache::remove_stale(&slot.path, |n| {
                n.strip_prefix(&format!(".{stem}."))
                    .and_then(|r| r.strip_suffix(".ml4a-cache"))
                    .is_some_and(|k| cache::is_stale_for(k, &key))
            });
        } else {
            cache::remove_stale(&slot.path, |n| {
                cache::entry_key(n, &stem).is_some_and(|k| cache::is_stale_for(k, &key))
            });
        }
        return Ok((header, bytes));
    }

    // Nowhere to write: expand into memory.
    let bytes = expand_into_memory(&mut dec, total, &head, path)?;
    Ok((header, bytes))
}

/// Reads the header at the start of a gzip IDX stream and checks the size it implies against
/// `limit`; returns the header, the whole file's size and the header's raw bytes.
pub(super) fn gzip_header(
    dec: &mut dyn Read,
    limit: u64,
    source: &Path,
) -> Result<(IdxHeader, u64, Vec<u8>), DatasetError> {
    let err = |k| DatasetError::new(source, k);
    let (header, head) = read_stream_header(dec, true).map_err(err)?;
    let total = header.checked_file_len().map_err(err)?;
    if total > limit {
        return Err(err(DatasetErrorKind::ExpansionLimit {
            claimed: total,
            limit,
        }));
    }
    Ok((header, total, head))
}

/// Expands the rest of a gzip IDX stream into memory. The buffer grows with the data that
/// actually arrives rather than being sized by the header up front, so a header that lies costs
/// at most one chunk.
pub(super) fn expand_into_memory(
    dec: &mut dyn Read,
    total: u64,
    head: &[u8],
    source: &Path,
) -> Result<Bytes, DatasetError> {
    let mut buf = Vec::with_capacity(head.len().max(total.min(1 << 20) as usize));
    buf.extend_from_slice(head);
    copy_exact(dec, &mut buf, total, head, source)?;
    Ok(Bytes::Owned(buf))
}

/// Copies the rest of an IDX stream after its header into `out`: exactly `total - head.len()`
/// bytes, then checks that the stream ends there (its gzip trailer and CRC included).
pub(super) fn copy_exact(
    dec: &mut dyn Read,
    out: &mut dyn Write,
    total: u64,
    head: &[u8],
    source: &Path,
) -> Result<(), DatasetError> {
    let err = |k| DatasetError::new(source, k);
    let mut remaining = total - head.len() as u64;
    let mut buf = vec![0u8; 1 << 16];
    while remaining > 0 {
        let want = remaining.min(buf.len() as u64) as usize;
        let n =
            read_full(dec, &mut buf[..want]).map_err(|e| err(DatasetErrorKind::Decompress(e)))?;
        if n == 0 {
            return Err(err(DatasetErrorKind::Truncated {
                expected: total,
                got: total - remaining,
            }));
        }
        out.write_all(&buf[..n])
            .map_err(|e| err(DatasetErrorKind::Io(e)))?;
        remaining -= n as u64;
    }
    // One more byte means the stream expands beyond what the header says.
    let n = read_full(dec, &mut buf[..1]).map_err(|e| err(DatasetErrorKind::Decompress(e)))?;
    if n > 0 {
        return Err(err(DatasetErrorKind::TrailingBytes {
            expected: total,
            got: total + 1,
        }));
    }
    Ok(())
}
