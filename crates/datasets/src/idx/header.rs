//! IDX headers: the element type and dimensions at the start of every IDX file, read from
//! bytes, streams or files (raw or gzip).

use std::fmt;
use std::io::{BufReader, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;

use crate::storage;
use crate::{DatasetError, DatasetErrorKind};

use super::gzip::*;

/// The element type of an IDX file (its third magic byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IdxType {
    /// 0x08: unsigned byte.
    U8,
    /// 0x09: signed byte.
    I8,
    /// 0x0B: big-endian `i16`.
    I16,
    /// 0x0C: big-endian `i32`.
    I32,
    /// 0x0D: big-endian `f32`.
    F32,
    /// 0x0E: big-endian `f64`.
    F64,
}

impl IdxType {
    /// The type for a type code, if it is one of the six IDX defines.
    pub fn from_code(code: u8) -> Option<IdxType> {
        Some(match code {
            0x08 => IdxType::U8,
            0x09 => IdxType::I8,
            0x0B => IdxType::I16,
            0x0C => IdxType::I32,
            0x0D => IdxType::F32,
            0x0E => IdxType::F64,
            _ => return None,
        })
    }

    /// The type code.
    pub fn code(self) -> u8 {
        match self {
            IdxType::U8 => 0x08,
            IdxType::I8 => 0x09,
            IdxType::I16 => 0x0B,
            IdxType::I32 => 0x0C,
            IdxType::F32 => 0x0D,
            IdxType::F64 => 0x0E,
        }
    }

    /// Bytes per value.
    pub fn size(self) -> usize {
        match self {
            IdxType::U8 | IdxType::I8 => 1,
            IdxType::I16 => 2,
            IdxType::I32 | IdxType::F32 => 4,
            IdxType::F64 => 8,
        }
    }

    fn name(self) -> &'static str {
        match self {
            IdxType::U8 => "u8",
            IdxType::I8 => "i8",
            IdxType::I16 => "i16",
            IdxType::I32 => "i32",
            IdxType::F32 => "f32",
            IdxType::F64 => "f64",
        }
    }
}

/// The header of an IDX file: element type and dimensions.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdxHeader {
    /// The element type.
    pub elem: IdxType,
    /// The dimensions, outermost first (MNIST images: `[60000, 28, 28]`).
    pub dims: Vec<usize>,
}

impl fmt::Display for IdxHeader {
    /// `u8 [60000, 28, 28]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {:?}", self.elem.name(), self.dims)
    }
}

impl IdxHeader {
    /// Bytes taken by the header: 4 + 4 per dimension.
    pub fn header_len(&self) -> usize {
        4 + 4 * self.dims.len()
    }

    /// Bytes the whole file must have (header and data), or `None` on overflow.
    pub fn file_len(&self) -> Option<u64> {
        let mut n = self.elem.size() as u64;
        for &d in &self.dims {
            n = n.checked_mul(d as u64)?;
        }
        n.checked_add(self.header_len() as u64)
    }

    pub(super) fn checked_file_len(&self) -> Result<u64, DatasetErrorKind> {
        self.file_len()
            .ok_or_else(|| DatasetErrorKind::HeaderOverflow {
                dims: self.dims.clone(),
            })
    }
}

/// Parses the header at the start of `bytes`; `Truncated` when more bytes are needed.
pub(super) fn parse_header(bytes: &[u8]) -> Result<IdxHeader, DatasetErrorKind> {
    if bytes.len() < 4 {
        return Err(DatasetErrorKind::Truncated {
            expected: 4,
            got: bytes.len() as u64,
        });
    }
    if bytes[0] != 0 || bytes[1] != 0 {
        return Err(DatasetErrorKind::BadMagic {
            found: bytes[..4].to_vec(),
        });
    }
    let elem = IdxType::from_code(bytes[2])
        .ok_or(DatasetErrorKind::UnsupportedIdxType { code: bytes[2] })?;
    let rank = bytes[3] as usize;
    let header_len = 4 + 4 * rank;
    if bytes.len() < header_len {
        return Err(DatasetErrorKind::Truncated {
            expected: header_len as u64,
            got: bytes.len() as u64,
        });
    }
    let dims = bytes[4..header_len]
        .chunks_exact(4)
        .map(|d| u32::from_be_bytes([d[0], d[1], d[2], d[3]]) as usize)
        .collect();
    Ok(IdxHeader { elem, dims })
}

/// Parses and checks a whole IDX file in memory: its length must be exactly what the header
/// implies.
pub(super) fn check_whole(bytes: &[u8]) -> Result<IdxHeader, DatasetErrorKind> {
    let header = parse_header(bytes)?;
    let expected = header.checked_file_len()?;
    let got = bytes.len() as u64;
    if got < expected {
        return Err(DatasetErrorKind::Truncated { expected, got });
    }
    if got > expected {
        return Err(DatasetErrorKind::TrailingBytes { expected, got });
    }
    Ok(header)
}

/// Reads the header of any IDX file (any element type, raw or gzip), without reading its data
/// or checking its length.
///
/// # Errors
/// A [`DatasetError`] naming `path` when it cannot be read, is not IDX, or ends inside the
/// header.
pub fn read_header(path: &Path) -> Result<IdxHeader, DatasetError> {
    let (mut file, _) = storage::open_file(path)?;
    let gz = is_gzip(path, &mut file)?;
    let mut reader: Box<dyn Read> = if gz {
        Box::new(MultiGzDecoder::new(BufReader::new(file)))
    } else {
        Box::new(BufReader::new(file))
    };
    read_stream_header(&mut reader, gz)
        .map(|(h, _)| h)
        .map_err(|k| DatasetError::new(path, k))
}

/// Reads an IDX header from a stream, returning it with its raw bytes.
pub(super) fn read_stream_header(
    r: &mut dyn Read,
    gz: bool,
) -> Result<(IdxHeader, Vec<u8>), DatasetErrorKind> {
    let read_err = |e| {
        if gz {
            DatasetErrorKind::Decompress(e)
        } else {
            DatasetErrorKind::Io(e)
        }
    };
    let mut head = vec![0u8; 4];
    let got = read_full(r, &mut head).map_err(read_err)?;
    head.truncate(got);
    if got < 4 {
        return Err(parse_header(&head).expect_err("short header"));
    }
    let rank = head[3] as usize;
    head.resize(4 + 4 * rank, 0);
    let got = 4 + read_full(r, &mut head[4..]).map_err(read_err)?;
    head.truncate(got);
    let header = parse_header(&head)?;
    Ok((header, head))
}

/// Reads until `buf` is full or the stream ends; returns the bytes read.
pub(super) fn read_full(r: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}
