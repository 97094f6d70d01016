//! The IDX format (MNIST's): headers of any IDX file, u8 data files, and image + label pairs.
//!
//! An IDX file is a 4-byte magic number (two zero bytes, a type code, the number of
//! dimensions), one big-endian `u32` per dimension, then the values row-major. A file is read
//! raw or gzip-compressed, told apart by content (the gzip magic `1f 8b`), never by name. A
//! gzip file is expanded once into a cache entry (see [`LoadOptions`]) and mapped afterwards;
//! the expansion is bounded by the size the header implies, checked as it goes.
//!
//! [`load_pair_dir`] reads a directory holding the four standard file names
//! ([`TRAIN_IMAGES`], [`TRAIN_LABELS`], [`TEST_IMAGES`], [`TEST_LABELS`], each raw or with
//! `.gz`), so MNIST, Fashion-MNIST, KMNIST or a user's own IDX set load the same way.

use std::fmt;
use std::fs::{self, File};
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use flate2::read::MultiGzDecoder;

use crate::cache::{self, LoadOptions};
use crate::dataset::{Segment, check_classes, check_labels};
use crate::storage::{self, Bytes};
use crate::{Dataset, DatasetError, DatasetErrorKind, ImageShape, Loaded, Splits};

/// Standard name of the training images file.
pub const TRAIN_IMAGES: &str = "train-images-idx3-ubyte";
/// Standard name of the training labels file.
pub const TRAIN_LABELS: &str = "train-labels-idx1-ubyte";
/// Standard name of the test images file.
pub const TEST_IMAGES: &str = "t10k-images-idx3-ubyte";
/// Standard name of the test labels file.
pub const TEST_LABELS: &str = "t10k-labels-idx1-ubyte";

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

    fn checked_file_len(&self) -> Result<u64, DatasetErrorKind> {
        self.file_len()
            .ok_or_else(|| DatasetErrorKind::HeaderOverflow {
                dims: self.dims.clone(),
            })
    }
}

/// Parses the header at the start of `bytes`; `Truncated` when more bytes are needed.
fn parse_header(bytes: &[u8]) -> Result<IdxHeader, DatasetErrorKind> {
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
fn check_whole(bytes: &[u8]) -> Result<IdxHeader, DatasetErrorKind> {
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
fn read_stream_header(
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
fn read_full(r: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
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

/// The first two bytes of every gzip stream.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// True when the file starts with the gzip magic; leaves the file at its start.
fn is_gzip(path: &Path, file: &mut File) -> Result<bool, DatasetError> {
    let mut magic = [0u8; 2];
    let n = read_full(file, &mut magic).map_err(|e| DatasetError::io(path, e))?;
    file.seek(SeekFrom::Start(0))
        .map_err(|e| DatasetError::io(path, e))?;
    Ok(n == 2 && magic == GZIP_MAGIC)
}

/// An IDX file of unsigned bytes, read whole: raw files are mapped (or read, when small), gzip
/// files are expanded once into a cache entry and mapped.
pub struct IdxFile {
    path: PathBuf,
    header: IdxHeader,
    bytes: Arc<Bytes>,
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

/// Expands (or finds the cached expansion of) a gzip IDX file.
fn open_gzip(
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
                    .is_some_and(cache::is_key)
            });
        } else {
            cache::remove_stale(&slot.path, |n| cache::is_keyed(n, &stem));
        }
        return Ok((header, bytes));
    }

    // Nowhere to write: expand into memory.
    let bytes = expand_into_memory(&mut dec, total, &head, path)?;
    Ok((header, bytes))
}

/// Reads the header at the start of a gzip IDX stream and checks the size it implies against
/// `limit`; returns the header, the whole file's size and the header's raw bytes.
fn gzip_header(
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
fn expand_into_memory(
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
fn copy_exact(
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

/// An opened image file and label file, checked against each other.
struct Pair {
    images: IdxFile,
    labels: IdxFile,
    shape: ImageShape,
}

impl Pair {
    fn open(images: &Path, labels: &Path, opts: &LoadOptions) -> Result<Pair, DatasetError> {
        Pair::new(IdxFile::open(images, opts)?, IdxFile::open(labels, opts)?)
    }

    fn new(images: IdxFile, labels: IdxFile) -> Result<Pair, DatasetError> {
        let shape = match *images.dims() {
            [_, h, w] => ImageShape {
                channels: 1,
                height: h,
                width: w,
            },
            [_, c, h, w] => ImageShape {
                channels: c,
                height: h,
                width: w,
            },
            _ => return Err(bad_dims(&images, "(N, H, W) or (N, C, H, W)")),
        };
        if shape.checked_len().is_none_or(|l| l == 0) {
            return Err(bad_dims(&images, "images of at least one pixel"));
        }
        if labels.dims().len() != 1 {
            return Err(bad_dims(&labels, "(N) labels"));
        }
        let (n_images, n_labels) = (images.dims()[0], labels.dims()[0]);
        if n_images != n_labels {
            return Err(DatasetError::new(
                labels.path(),
                DatasetErrorKind::CountMismatch {
                    images: n_images,
                    labels: n_labels,
                },
            ));
        }
        Ok(Pair {
            images,
            labels,
            shape,
        })
    }

    fn max_label(&self) -> Option<u8> {
        self.labels.data().iter().copied().max()
    }

    fn into_dataset(self, classes: Vec<String>) -> Result<Dataset, DatasetError> {
        check_labels(self.labels.data(), classes.len())
            .map_err(|k| DatasetError::new(self.labels.path(), k))?;
        let n = self.labels.dims()[0];
        let header_len = self.labels.header().header_len();
        let segment = Segment {
            offset: self.images.header().header_len(),
            stride: self.shape.len(),
            count: n,
            bytes: self.images.bytes,
        };
        Ok(Dataset::from_parts(
            self.shape,
            classes,
            vec![segment],
            self.labels.bytes,
            header_len..header_len + n,
        ))
    }
}

fn bad_dims(file: &IdxFile, expected: &'static str) -> DatasetError {
    DatasetError::new(
        file.path(),
        DatasetErrorKind::BadDims {
            expected,
            found: file.dims().to_vec(),
        },
    )
}

/// Class names `"0"`, `"1"`, ... up to the largest label present.
fn numbered_classes(max_label: Option<u8>) -> Vec<String> {
    (0..=max_label.unwrap_or(0) as usize)
        .map(|k| k.to_string())
        .collect()
}

/// Loads an image file (IDX u8, dims (N, H, W) or (N, C, H, W)) and its label file (IDX u8,
/// dims (N)) as one dataset. `classes` names the labels; `None` names them `"0"` up to the
/// largest label present.
///
/// # Errors
/// As [`IdxFile::open`] for either file, and a [`DatasetError`] when the dimensions are not
/// images / labels, the counts differ, or a label is not below the class count.
pub fn load_pair(
    images: &Path,
    labels: &Path,
    classes: Option<Vec<String>>,
    opts: &LoadOptions,
) -> Result<Dataset, DatasetError> {
    pair_dataset(
        IdxFile::open(images, opts)?,
        IdxFile::open(labels, opts)?,
        classes,
    )
}

/// [`load_pair`] for files already opened (for example read from memory with
/// [`IdxFile::from_bytes`]).
///
/// # Errors
/// A [`DatasetError`] naming the file at fault when the dimensions are not images / labels,
/// the counts differ, the class names are unusable, or a label is not below the class count.
pub fn pair_dataset(
    images: IdxFile,
    labels: IdxFile,
    classes: Option<Vec<String>>,
) -> Result<Dataset, DatasetError> {
    let pair = Pair::new(images, labels)?;
    let classes = classes.unwrap_or_else(|| numbered_classes(pair.max_label()));
    check_classes(&classes).map_err(|k| DatasetError::new(pair.labels.path(), k))?;
    pair.into_dataset(classes)
}

/// Loads the four standard IDX files of `dir` (each raw or `.gz`): the training set, and the
/// test set as [`Split::Test`](crate::Split::Test). The last sixth of the training set is held
/// out (for MNIST's 60,000 images: `50_000..60_000`, the chapter's split). `classes` names the
/// labels; `None` names them `"0"` up to the largest label in either set.
///
/// # Errors
/// [`DatasetErrorKind::Missing`] (naming every absent file) when files are absent, and as
/// [`load_pair`] for each pair; a [`DatasetErrorKind::ShapeMismatch`] when train and test
/// images differ in shape.
pub fn load_pair_dir(
    dir: &Path,
    classes: Option<Vec<String>>,
    opts: &LoadOptions,
) -> Result<Loaded, DatasetError> {
    load_dir(
        dir,
        classes,
        opts,
        "IDX",
        None,
        "each may be raw or gzip-compressed (with .gz)",
    )
}

/// Resolves `dir/name`, preferring the raw file over `name.gz`.
fn find(dir: &Path, name: &str) -> Option<PathBuf> {
    let raw = dir.join(name);
    if raw.exists() {
        return Some(raw);
    }
    let gz = dir.join(format!("{name}.gz"));
    gz.exists().then_some(gz)
}

/// [`load_pair_dir`] with the dataset's name and hint for a missing-files error, and an
/// optional required image shape.
pub(crate) fn load_dir(
    dir: &Path,
    classes: Option<Vec<String>>,
    opts: &LoadOptions,
    dataset: &'static str,
    shape: Option<ImageShape>,
    hint: &str,
) -> Result<Loaded, DatasetError> {
    let names = [TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS];
    if dir.exists() {
        storage::require_dir(dir)?;
    }
    let found = names.map(|n| find(dir, n));
    let missing: Vec<String> = names
        .iter()
        .zip(&found)
        .filter(|(_, f)| f.is_none())
        .map(|(n, _)| format!("{n}.gz"))
        .collect();
    let [Some(tri), Some(trl), Some(tei), Some(tel)] = found else {
        return Err(DatasetError::new(
            dir,
            DatasetErrorKind::Missing {
                dataset,
                files: missing,
                hint: hint.to_string(),
            },
        ));
    };
    let train = Pair::open(&tri, &trl, opts)?;
    let test = Pair::open(&tei, &tel, opts)?;
    let expected = shape.unwrap_or(train.shape);
    for (pair, path) in [(&train, &tri), (&test, &tei)] {
        if pair.shape != expected {
            return Err(DatasetError::new(
                path,
                DatasetErrorKind::ShapeMismatch {
                    expected,
                    found: pair.shape,
                },
            ));
        }
    }
    let classes =
        classes.unwrap_or_else(|| numbered_classes(train.max_label().max(test.max_label())));
    check_classes(&classes).map_err(|k| DatasetError::new(dir, k))?;
    let train = train.into_dataset(classes.clone())?;
    let test = test.into_dataset(classes)?;
    let splits = Splits::hold_out_last(train.len(), train.len() / 6);
    Ok(Loaded::new(train, test, splits))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{gzip, idx_bytes, write_idx_dir};
    use expect_test::{Expect, expect};
    use proptest::prelude::*;

    /// Writes `bytes` as a file, opens it as u8 IDX, and renders the header or the error kind.
    fn check(bytes: &[u8], expect: Expect) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        fs::write(&p, bytes).unwrap();
        let got = match IdxFile::open(&p, &LoadOptions::default()) {
            Ok(f) => format!("ok {}", f.header()),
            Err(e) => {
                assert_eq!(e.path, p, "error names the file");
                e.kind.to_string()
            }
        };
        expect.assert_eq(&got);
    }

    fn header(code: u8, dims: &[u32]) -> Vec<u8> {
        let mut b = vec![0, 0, code, dims.len() as u8];
        for d in dims {
            b.extend(d.to_be_bytes());
        }
        b
    }

    #[test]
    fn raw_headers_and_bad_inputs() {
        check(
            &idx_bytes(&[2, 3], &[1, 2, 3, 4, 5, 6]),
            expect!["ok u8 [2, 3]"],
        );
        check(&idx_bytes(&[], &[9]), expect!["ok u8 []"]);
        check(&[], expect!["truncated: expected 4 bytes, found 0"]);
        check(&[0, 0, 8], expect!["truncated: expected 4 bytes, found 3"]);
        check(
            &[0, 1, 8, 1, 0, 0, 0, 0],
            expect!["not an IDX file: magic bytes 00 01 08 01"],
        );
        check(
            b"GIF89a",
            expect!["not an IDX file: magic bytes 47 49 46 38"],
        );
        check(
            &[0, 0, 7, 0],
            expect!["IDX type code 0x07 is not supported here (only 0x08, unsigned bytes)"],
        );
        check(
            &header(0x0D, &[1]),
            expect!["truncated: expected 12 bytes, found 8"],
        );
        check(
            &[header(0x0D, &[1]), vec![0; 4]].concat(),
            expect!["IDX type code 0x0d is not supported here (only 0x08, unsigned bytes)"],
        );
        check(
            &[0, 0, 8, 3, 0, 0, 0, 1],
            expect!["truncated: expected 16 bytes, found 8"],
        );
        check(
            &header(8, &[2, 3]),
            expect!["truncated: expected 18 bytes, found 12"],
        );
        check(
            &[idx_bytes(&[2], &[1, 2]), vec![0]].concat(),
            expect!["11 bytes where the header implies 10: trailing data"],
        );
        // Dimensions whose product overflows u64: 2^32-1 cubed times 2^32-1 again.
        check(
            &header(8, &[u32::MAX, u32::MAX, u32::MAX]),
            expect!["IDX dimensions [4294967295, 4294967295, 4294967295] overflow when multiplied"],
        );
        // Promises 60000x28x28 bytes in a 16-byte file: caught without allocating.
        check(
            &header(8, &[60000, 28, 28]),
            expect!["truncated: expected 47040016 bytes, found 16"],
        );
    }

    #[test]
    fn gzip_bad_inputs() {
        let good = idx_bytes(&[2, 2], &[1, 2, 3, 4]);
        check(&gzip(&good), expect!["ok u8 [2, 2]"]);
        check(
            &gzip(&good[..10]),
            expect!["truncated: expected 12 bytes, found 10"],
        );
        check(
            &gzip(&good[..3]),
            expect!["truncated: expected 4 bytes, found 3"],
        );
        check(
            &gzip(&[good.clone(), vec![5]].concat()),
            expect!["17 bytes where the header implies 16: trailing data"],
        );
        check(
            &gzip(b"PK\x03\x04zip"),
            expect!["not an IDX file: magic bytes 50 4b 03 04"],
        );
        // A small gzip whose header promises 47 MB: beyond deflate's ratio for its size.
        check(
            &gzip(&header(8, &[60000, 28, 28])),
            expect!["header promises 47040016 bytes, more than the limit of 38152 for this file"],
        );
        // Corrupt deflate data after a valid start.
        let mut bad = gzip(&idx_bytes(&[64], &[7; 64]));
        let at = bad.len() - 12;
        bad[at] ^= 0xff;
        bad[at - 1] ^= 0xff;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bad.gz");
        fs::write(&p, &bad).unwrap();
        let e = IdxFile::open(&p, &LoadOptions::default()).unwrap_err();
        assert!(
            matches!(
                e.kind,
                DatasetErrorKind::Decompress(_) | DatasetErrorKind::Truncated { .. }
            ),
            "{e}"
        );
        assert!(
            dir.path().read_dir().unwrap().count() == 1,
            "no cache or partial file left"
        );
    }

    #[test]
    fn configured_limit_caps_expansion() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.gz");
        fs::write(&p, gzip(&idx_bytes(&[100], &[0; 100]))).unwrap();
        let opts = LoadOptions::default().with_max_decompressed(50);
        let e = IdxFile::open(&p, &opts).unwrap_err();
        expect!["header promises 108 bytes, more than the limit of 50 for this file"]
            .assert_eq(&e.kind.to_string());
    }

    /// What reading `bytes` gives, from a file and from memory: the header, or the error kind.
    fn both_ways(bytes: &[u8]) -> (String, String) {
        let show = |r: Result<IdxFile, DatasetError>| match r {
            Ok(f) => format!("ok {} {:?}", f.header(), f.data()),
            Err(e) => e.kind.to_string(),
        };
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        fs::write(&p, bytes).unwrap();
        let opts = LoadOptions::default();
        (
            show(IdxFile::open(&p, &opts)),
            show(IdxFile::from_bytes(bytes.to_vec(), &opts)),
        )
    }

    #[test]
    fn from_bytes_reads_raw_and_gzip_and_names_memory() {
        let good = idx_bytes(&[2, 2], &[1, 2, 3, 4]);
        let f = IdxFile::from_bytes(gzip(&good), &LoadOptions::default()).unwrap();
        assert_eq!((f.dims(), f.data()), (&[2, 2][..], &[1, 2, 3, 4][..]));
        let e = IdxFile::from_bytes(good[..7].to_vec(), &LoadOptions::default()).unwrap_err();
        expect!["<memory>: truncated: expected 12 bytes, found 7"].assert_eq(&e.to_string());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Memory and file agree on any input: valid files, gzip streams, cut or mangled ones.
        #[test]
        fn from_bytes_agrees_with_open(
            dims in proptest::collection::vec(0usize..4, 0..3),
            cut in 0usize..40,
            flip in proptest::option::of((0usize..40, any::<u8>())),
            gz: bool,
        ) {
            let n = dims.iter().product::<usize>();
            let mut bytes = idx_bytes(&dims, &vec![7; n]);
            if gz {
                bytes = gzip(&bytes);
            }
            if let Some((at, b)) = flip && at < bytes.len() {
                bytes[at] = b;
            }
            bytes.truncate(bytes.len().saturating_sub(cut % 3 * cut));
            let (file, memory) = both_ways(&bytes);
            prop_assert_eq!(file, memory);
        }
    }

    #[test]
    fn directory_where_file_expected() {
        let dir = tempfile::tempdir().unwrap();
        let e = IdxFile::open(dir.path(), &LoadOptions::default()).unwrap_err();
        assert!(matches!(e.kind, DatasetErrorKind::NotAFile));
    }

    #[test]
    fn read_header_reads_any_type() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("h");
        let mut f32_file = header(0x0D, &[3, 2]);
        f32_file.extend([0u8; 24]);
        fs::write(&p, gzip(&f32_file)).unwrap();
        expect!["f32 [3, 2]"].assert_eq(&read_header(&p).unwrap().to_string());
        fs::write(&p, &f32_file).unwrap();
        expect!["f32 [3, 2]"].assert_eq(&read_header(&p).unwrap().to_string());
        for code in [0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E] {
            let t = IdxType::from_code(code).unwrap();
            assert_eq!(t.code(), code);
        }
    }

    #[test]
    fn gzip_is_cached_beside_a_writable_source_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a-idx1-ubyte.gz");
        fs::write(&p, gzip(&idx_bytes(&[3], &[1, 2, 3]))).unwrap();
        let opts = LoadOptions::default();
        assert_eq!(IdxFile::open(&p, &opts).unwrap().data(), &[1, 2, 3]);
        let entries = || -> Vec<String> {
            let mut v: Vec<_> = fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            v.sort();
            v
        };
        let names = entries();
        assert_eq!(names.len(), 2, "{names:?}");
        let cache = dir.path().join(&names[0]);
        assert!(names[0].starts_with(".a-idx1-ubyte.") && names[0].ends_with(".ml4a-cache"));
        // A corrupt cache entry is not trusted: it is rebuilt from the source.
        fs::write(&cache, &idx_bytes(&[2], &[9, 9])[..9]).unwrap();
        assert_eq!(IdxFile::open(&p, &opts).unwrap().data(), &[1, 2, 3]);
        assert_eq!(fs::read(&cache).unwrap(), idx_bytes(&[3], &[1, 2, 3]));
        // A replaced source gets a new entry and the stale one is removed.
        std::thread::sleep(std::time::Duration::from_millis(20));
        fs::write(&p, gzip(&idx_bytes(&[4], &[4, 3, 2, 1]))).unwrap();
        assert_eq!(IdxFile::open(&p, &opts).unwrap().data(), &[4, 3, 2, 1]);
        let names = entries();
        assert_eq!(names.len(), 2, "{names:?}");
    }

    #[cfg(unix)]
    #[test]
    fn read_only_data_dir_uses_the_cache_dir() {
        use std::os::unix::fs::PermissionsExt;
        let data = tempfile::tempdir().unwrap();
        let cache = tempfile::tempdir().unwrap();
        let p = data.path().join("l.gz");
        fs::write(&p, gzip(&idx_bytes(&[2], &[5, 6]))).unwrap();
        fs::set_permissions(data.path(), fs::Permissions::from_mode(0o555)).unwrap();
        let opts = LoadOptions::default().with_cache_dir(cache.path().join("sub"));
        let f = IdxFile::open(&p, &opts);
        fs::set_permissions(data.path(), fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(f.unwrap().data(), &[5, 6]);
        assert_eq!(
            fs::read_dir(data.path()).unwrap().count(),
            1,
            "data dir untouched"
        );
        let cached: Vec<_> = fs::read_dir(cache.path().join("sub")).unwrap().collect();
        assert_eq!(cached.len(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn nowhere_writable_expands_into_memory() {
        use std::os::unix::fs::PermissionsExt;
        let data = tempfile::tempdir().unwrap();
        let p = data.path().join("l.gz");
        fs::write(&p, gzip(&idx_bytes(&[3], &[7, 8, 9]))).unwrap();
        // A cache dir that cannot be created: its parent is a file.
        let blocker = data.path().join("blocker");
        fs::write(&blocker, b"").unwrap();
        fs::set_permissions(data.path(), fs::Permissions::from_mode(0o555)).unwrap();
        let opts = LoadOptions::default().with_cache_dir(blocker.join("cache"));
        let f = IdxFile::open(&p, &opts);
        fs::set_permissions(data.path(), fs::Permissions::from_mode(0o755)).unwrap();
        let f = f.unwrap();
        assert_eq!(f.data(), &[7, 8, 9]);
        assert!(matches!(*f.bytes, Bytes::Owned(_)));
        assert_eq!(
            fs::read_dir(data.path()).unwrap().count(),
            2,
            "nothing written"
        );
    }

    /// Synthetic train/test sets for round trips.
    /// Channels, height, width, train pixels, train labels, test pixels, test labels, gzip.
    type Sets = (
        usize,
        usize,
        usize,
        Vec<u8>,
        Vec<u8>,
        Vec<u8>,
        Vec<u8>,
        bool,
    );

    fn sets() -> impl Strategy<Value = Sets> {
        (
            1usize..4,
            1usize..5,
            1usize..5,
            0usize..8,
            0usize..4,
            any::<bool>(),
        )
            .prop_flat_map(|(c, h, w, n_train, n_test, gz)| {
                let len = c * h * w;
                (
                    Just(c),
                    Just(h),
                    Just(w),
                    proptest::collection::vec(any::<u8>(), n_train * len),
                    proptest::collection::vec(0u8..10, n_train),
                    proptest::collection::vec(any::<u8>(), n_test * len),
                    proptest::collection::vec(0u8..10, n_test),
                    Just(gz),
                )
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn pair_dir_round_trip((c, h, w, tri, trl, tei, tel, gz) in sets()) {
            let dir = tempfile::tempdir().unwrap();
            let shape = ImageShape { channels: c, height: h, width: w };
            write_idx_dir(dir.path(), shape, (&tri, &trl), (&tei, &tel), gz);
            let classes: Vec<String> = (0..10).map(|k| format!("c{k}")).collect();
            let loaded = load_pair_dir(dir.path(), Some(classes.clone()), &LoadOptions::default()).unwrap();
            for (ds, pixels, labels) in [(loaded.train(), &tri, &trl), (loaded.test(), &tei, &tel)] {
                prop_assert_eq!(ds.shape(), shape);
                prop_assert_eq!(ds.classes(), &classes[..]);
                prop_assert_eq!(ds.labels(), &labels[..]);
                for i in 0..ds.len() {
                    prop_assert_eq!(ds.image(i), &pixels[i * shape.len()..(i + 1) * shape.len()]);
                }
            }
            prop_assert_eq!(loaded.splits(), &Splits::hold_out_last(trl.len(), trl.len() / 6));
            // Loading again (from the cache when gzip) gives the same data.
            let again = load_pair_dir(dir.path(), Some(classes), &LoadOptions::default()).unwrap();
            prop_assert_eq!(again.train().labels(), loaded.train().labels());
        }
    }

    fn check_dir(setup: impl FnOnce(&Path), expect: Expect) {
        let dir = tempfile::tempdir().unwrap();
        setup(dir.path());
        let got = match load_pair_dir(dir.path(), None, &LoadOptions::default()) {
            Ok(l) => format!(
                "ok {} + {}, classes {:?}",
                l.train().len(),
                l.test().len(),
                l.train().classes()
            ),
            Err(e) => {
                let shown = e
                    .path
                    .strip_prefix(dir.path())
                    .unwrap_or(&e.path)
                    .display()
                    .to_string();
                format!("{shown}: {}", e.kind)
            }
        };
        expect.assert_eq(&got);
    }

    fn shape1(h: usize, w: usize) -> ImageShape {
        ImageShape {
            channels: 1,
            height: h,
            width: w,
        }
    }

    #[test]
    fn pair_dir_bad_inputs() {
        let s = shape1(1, 2);
        check_dir(
            |d| write_idx_dir(d, s, (&[0; 4], &[0, 3]), (&[0; 2], &[1]), false),
            expect![[r#"ok 2 + 1, classes ["0", "1", "2", "3"]"#]],
        );
        check_dir(
            |_| {},
            expect![
                ": IDX files missing from this directory: train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz; each may be raw or gzip-compressed (with .gz)"
            ],
        );
        check_dir(
            |d| {
                write_idx_dir(d, s, (&[0; 4], &[0, 3]), (&[0; 2], &[1]), true);
                fs::remove_file(d.join("t10k-labels-idx1-ubyte.gz")).unwrap();
            },
            expect![
                ": IDX files missing from this directory: t10k-labels-idx1-ubyte.gz; each may be raw or gzip-compressed (with .gz)"
            ],
        );
        check_dir(
            |d| {
                write_idx_dir(d, s, (&[0; 4], &[0, 3]), (&[0; 2], &[1]), false);
                fs::write(d.join(TRAIN_LABELS), idx_bytes(&[3], &[0, 0, 0])).unwrap();
            },
            expect!["train-labels-idx1-ubyte: 2 images but 3 labels"],
        );
        check_dir(
            |d| {
                write_idx_dir(d, s, (&[0; 4], &[0, 3]), (&[0; 2], &[1]), false);
                fs::write(d.join(TEST_IMAGES), idx_bytes(&[1, 2, 1], &[0, 0])).unwrap();
            },
            expect![
                "t10k-images-idx3-ubyte: image shape ImageShape { channels: 1, height: 2, width: 1 } differs from ImageShape { channels: 1, height: 1, width: 2 }"
            ],
        );
        check_dir(
            |d| {
                write_idx_dir(d, s, (&[0; 4], &[0, 3]), (&[0; 2], &[1]), false);
                fs::write(d.join(TRAIN_IMAGES), idx_bytes(&[2, 2], &[0; 4])).unwrap();
            },
            expect![
                "train-images-idx3-ubyte: dimensions [2, 2] do not fit: expected (N, H, W) or (N, C, H, W)"
            ],
        );
        check_dir(
            |d| {
                write_idx_dir(d, s, (&[0; 4], &[0, 3]), (&[0; 2], &[1]), false);
                fs::write(d.join(TRAIN_IMAGES), idx_bytes(&[2, 0, 5], &[])).unwrap();
            },
            expect![
                "train-images-idx3-ubyte: dimensions [2, 0, 5] do not fit: expected images of at least one pixel"
            ],
        );
        check_dir(
            |d| {
                write_idx_dir(d, s, (&[0; 4], &[0, 3]), (&[0; 2], &[1]), false);
                fs::write(d.join(TEST_LABELS), idx_bytes(&[1, 1], &[0])).unwrap();
            },
            expect!["t10k-labels-idx1-ubyte: dimensions [1, 1] do not fit: expected (N) labels"],
        );
        check_dir(
            |d| {
                write_idx_dir(d, s, (&[0; 4], &[0, 3]), (&[0; 2], &[1]), false);
                fs::remove_file(d.join(TRAIN_IMAGES)).unwrap();
                fs::create_dir(d.join(TRAIN_IMAGES)).unwrap();
            },
            expect!["train-images-idx3-ubyte: expected a file, found a directory or special file"],
        );
        check_dir(
            |d| {
                write_idx_dir(d, s, (&[0; 4], &[0, 3]), (&[0; 2], &[1]), false);
                fs::write(d.join(TRAIN_IMAGES), &idx_bytes(&[2, 1, 2], &[0; 4])[..18]).unwrap();
            },
            expect!["train-images-idx3-ubyte: truncated: expected 20 bytes, found 18"],
        );
    }

    #[test]
    fn labels_beyond_the_given_classes_are_rejected() {
        let dir = tempfile::tempdir().unwrap();
        write_idx_dir(
            dir.path(),
            shape1(1, 1),
            (&[0, 0, 0], &[0, 1, 2]),
            (&[0], &[0]),
            true,
        );
        let e = load_pair_dir(
            dir.path(),
            Some(vec!["a".into(), "b".into()]),
            &LoadOptions::default(),
        )
        .unwrap_err();
        assert_eq!(e.path, dir.path().join("train-labels-idx1-ubyte.gz"));
        expect!["label 2 at index 2 is not below the class count 2"].assert_eq(&e.kind.to_string());
    }

    #[test]
    fn a_file_given_as_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f");
        fs::write(&f, b"x").unwrap();
        let e = load_pair_dir(&f, None, &LoadOptions::default()).unwrap_err();
        assert!(matches!(e.kind, DatasetErrorKind::NotADirectory), "{e}");
    }
}
