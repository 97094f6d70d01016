//! CIFAR-10, binary version: `DATA_DIR/cifar-10-batches-bin/` (or the official
//! `DATA_DIR/cifar-10-binary.tar.gz`), the chapter's splits, and the download.
//!
//! A batch file is a sequence of 3073-byte records: one label byte, then 3072 pixel bytes
//! (1024 red, 1024 green, 1024 blue, each plane 32x32 row-major), which is already the (C, H, W)
//! layout of a [`Dataset`] image. Batch files are mapped and images read in place; only the
//! label bytes are copied out. The training set is `data_batch_1.bin` .. `data_batch_5.bin` in
//! that order (50,000 images officially), the test set `test_batch.bin`, class names come from
//! `batches.meta.txt`. Any whole number of records per file is accepted.

use std::fs::{self, File};
use std::io::{self, BufReader, Read, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use flate2::read::MultiGzDecoder;

use crate::cache::{self, LoadOptions};
use crate::dataset::{Segment, check_classes, check_labels};
#[cfg(feature = "download")]
use crate::download::Progress;
use crate::download::{self, RemoteFile};
use crate::storage::{self, Bytes};
use crate::{Dataset, DatasetError, DatasetErrorKind, ImageShape, Loaded, Splits};

/// The extracted folder's name under a data directory.
pub const FOLDER: &str = "cifar-10-batches-bin";
/// The official archive's name under a data directory.
pub const ARCHIVE: &str = "cifar-10-binary.tar.gz";
/// Where the official archive is published.
pub const BASE_URL: &str = "https://www.cs.toronto.edu/~kriz/";
/// The official archive and its official MD5.
pub const ARCHIVE_FILE: RemoteFile = RemoteFile {
    name: ARCHIVE,
    url: "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",
    md5: "c32a1d4ab5d03f1284b67883e8d87530",
    // A re-packed archive would differ in its tar headers too: only the official bytes count.
    content_md5: None,
    size: 170_052_171,
};

/// The shape of every CIFAR-10 image: 3 colour planes of 32x32.
pub const SHAPE: ImageShape = ImageShape {
    channels: 3,
    height: 32,
    width: 32,
};
/// Bytes per record: one label byte and 3x32x32 pixels.
pub const RECORD_LEN: usize = 1 + 3 * 32 * 32;
/// The training batch files, in the order their images are numbered.
pub const TRAIN_FILES: [&str; 5] = [
    "data_batch_1.bin",
    "data_batch_2.bin",
    "data_batch_3.bin",
    "data_batch_4.bin",
    "data_batch_5.bin",
];
/// The test batch file.
pub const TEST_FILE: &str = "test_batch.bin";

/// CIFAR-10's class names as `batches.meta.txt` lists them, in label order.
pub const CLASSES: [&str; 10] = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
];

/// The Korean names of [`CLASSES`], in the same order (the words Korean texts on CIFAR-10 use).
pub const CLASSES_KO: [&str; 10] = [
    "비행기",
    "자동차",
    "새",
    "고양이",
    "사슴",
    "개",
    "개구리",
    "말",
    "배",
    "트럭",
];
/// The class names file: one name per line.
pub const META_FILE: &str = "batches.meta.txt";

/// Training indices the chapter trains on (`data_batch_1..4`).
pub const TRAIN: Range<usize> = 0..40_000;
/// Training indices the chapter evaluates on (`data_batch_5`; its 37.00% was measured here).
pub const HELD_OUT: Range<usize> = 40_000..50_000;

/// Every file the folder must hold.
const MEMBERS: [&str; 7] = [
    META_FILE,
    TRAIN_FILES[0],
    TRAIN_FILES[1],
    TRAIN_FILES[2],
    TRAIN_FILES[3],
    TRAIN_FILES[4],
    TEST_FILE,
];

/// Loads CIFAR-10 from `data_dir` with default options. See [`load_with`].
///
/// # Errors
/// As [`load_with`].
pub fn load(data_dir: &Path) -> Result<Loaded, DatasetError> {
    load_with(data_dir, &LoadOptions::default())
}

/// Loads CIFAR-10 from `data_dir/cifar-10-batches-bin/`, or else from
/// `data_dir/cifar-10-binary.tar.gz` (extracted once, atomically: into `data_dir` when it is
/// writable, else into `opts.cache_dir`, or the system temp directory when that is unset). The
/// held-out split is `data_batch_5.bin`: with the official files, [`TRAIN`] and [`HELD_OUT`].
///
/// # Errors
/// [`DatasetErrorKind::Missing`] when neither is present or the folder lacks files (the cue to
/// offer [`download()`]); for a batch file, [`DatasetErrorKind::RecordSize`] when its length is not
/// a multiple of 3073 and [`DatasetErrorKind::LabelOutOfRange`] for a label not below the class
/// count; [`DatasetErrorKind::ClassNames`] for an unusable `batches.meta.txt`;
/// [`DatasetErrorKind::Archive`] or [`DatasetErrorKind::ExpansionLimit`] for a bad archive.
pub fn load_with(data_dir: &Path, opts: &LoadOptions) -> Result<Loaded, DatasetError> {
    let folder = data_dir.join(FOLDER);
    if folder.exists() {
        return load_folder(&folder);
    }
    let archive = data_dir.join(ARCHIVE);
    if archive.exists() {
        return match extract(&archive, opts)? {
            Extracted::Folder(folder) => load_folder(&folder),
            Extracted::Memory(members) => assemble(members),
        };
    }
    Err(DatasetError::new(
        data_dir,
        DatasetErrorKind::Missing {
            dataset: "CIFAR-10",
            files: vec![format!("{FOLDER}/ or {ARCHIVE}")],
            hint: format!("the official archive is {BASE_URL}{ARCHIVE}"),
        },
    ))
}

/// Loads an extracted CIFAR-10 binary folder (`data_batch_1..5.bin`, `test_batch.bin`,
/// `batches.meta.txt`).
///
/// # Errors
/// As [`load_with`].
pub fn load_folder(folder: &Path) -> Result<Loaded, DatasetError> {
    storage::require_dir(folder)?;
    let missing: Vec<String> = MEMBERS
        .iter()
        .filter(|m| !folder.join(m).exists())
        .map(|m| m.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(DatasetError::new(
            folder,
            DatasetErrorKind::Missing {
                dataset: "CIFAR-10",
                files: missing,
                hint: format!("this folder is what {BASE_URL}{ARCHIVE} extracts to"),
            },
        ));
    }
    let mut members = Vec::with_capacity(MEMBERS.len());
    for m in MEMBERS {
        let path = folder.join(m);
        let bytes = storage::read_or_map(&path)?;
        members.push((path, bytes));
    }
    assemble(members)
}

/// CIFAR-10 from bytes in memory: the content of `batches.meta.txt`, of `data_batch_1..5.bin`
/// in order, and of `test_batch.bin`. Errors name the member (`data_batch_3.bin`, ...).
///
/// # Errors
/// As [`load_folder`], for the content of the files.
pub fn from_bytes(meta: &[u8], train: [Vec<u8>; 5], test: Vec<u8>) -> Result<Loaded, DatasetError> {
    let mut members = Vec::with_capacity(MEMBERS.len());
    members.push((PathBuf::from(META_FILE), Bytes::Owned(meta.to_vec())));
    for (name, bytes) in TRAIN_FILES.iter().zip(train) {
        members.push((PathBuf::from(name), Bytes::Owned(bytes)));
    }
    members.push((PathBuf::from(TEST_FILE), Bytes::Owned(test)));
    assemble(members)
}

/// CIFAR-10 from the bytes of the official `.tar.gz` archive (or any tar.gz holding the same
/// members, in any folder), extracted into memory, no further than `opts` and deflate's ratio
/// allow for the archive's size. Errors about the archive name no file (`<memory>`).
///
/// # Errors
/// [`DatasetErrorKind::Archive`] for a corrupt or incomplete archive,
/// [`DatasetErrorKind::ExpansionLimit`] when its members claim more than the limit, and as
/// [`from_bytes`] for their content.
pub fn from_archive_bytes(archive: &[u8], opts: &LoadOptions) -> Result<Loaded, DatasetError> {
    let limit = opts.expansion_limit(archive.len() as u64);
    assemble(extract_to_memory(Path::new(""), archive, limit)?)
}

/// Builds train and test sets from the members, in [`MEMBERS`] order.
fn assemble(members: Vec<(PathBuf, Bytes)>) -> Result<Loaded, DatasetError> {
    let mut members = members.into_iter();
    let (meta_path, meta) = members.next().expect("MEMBERS order");
    let classes = parse_meta(&meta).map_err(|k| DatasetError::new(&meta_path, k))?;
    let mut batches = Vec::with_capacity(6);
    for (path, bytes) in members {
        batches.push(batch(&path, bytes, classes.len())?);
    }
    let test = batches.pop().expect("MEMBERS order");
    let held_out = batches.last().map_or(0, |b| b.0.count);
    let train = dataset(batches, classes.clone());
    let test = dataset(vec![test], classes);
    let splits = Splits::hold_out_last(train.len(), held_out);
    Ok(Loaded::new(train, test, splits))
}

/// Class names: the non-empty lines of `batches.meta.txt`, trimmed.
fn parse_meta(bytes: &[u8]) -> Result<Vec<String>, DatasetErrorKind> {
    let text = std::str::from_utf8(bytes).map_err(|e| DatasetErrorKind::ClassNames {
        reason: format!("not UTF-8 ({e})"),
    })?;
    let names: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    check_classes(&names)?;
    Ok(names)
}

/// One batch file as a segment plus its labels, checked.
fn batch(path: &Path, bytes: Bytes, classes: usize) -> Result<(Segment, Vec<u8>), DatasetError> {
    let len = bytes.len();
    if !len.is_multiple_of(RECORD_LEN) {
        return Err(DatasetError::new(
            path,
            DatasetErrorKind::RecordSize { len: len as u64 },
        ));
    }
    let labels: Vec<u8> = bytes.chunks_exact(RECORD_LEN).map(|r| r[0]).collect();
    check_labels(&labels, classes).map_err(|k| DatasetError::new(path, k))?;
    let segment = Segment {
        count: labels.len(),
        bytes: Arc::new(bytes),
        offset: 1,
        stride: RECORD_LEN,
    };
    Ok((segment, labels))
}

fn dataset(batches: Vec<(Segment, Vec<u8>)>, classes: Vec<String>) -> Dataset {
    let labels: Vec<u8> = batches.iter().flat_map(|b| b.1.iter().copied()).collect();
    let n = labels.len();
    let segments = batches.into_iter().map(|b| b.0).collect();
    Dataset::from_parts(
        SHAPE,
        classes,
        segments,
        Arc::new(Bytes::Owned(labels)),
        0..n,
    )
}

/// The official archive, unless `data_dir` holds it or the folder it extracts to.
pub fn missing(data_dir: &Path) -> Vec<&'static RemoteFile> {
    if data_dir.join(FOLDER).exists() {
        return Vec::new();
    }
    download::missing(data_dir, std::slice::from_ref(&ARCHIVE_FILE))
}

#[cfg(feature = "download")]
/// Downloads the official archive into `data_dir` (unless it or the folder it extracts to is
/// already there), from its official URL or from `mirror` (a base URL holding the same file
/// name), verifying its official MD5; [`load`] then extracts it.
///
/// # Errors
/// As [`download::fetch_verified`].
pub fn download(
    data_dir: &Path,
    mirror: Option<&str>,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<(), DatasetError> {
    for file in missing(data_dir) {
        let url = mirror.map_or_else(|| file.url.to_string(), |m| file.url_at(m));
        download::fetch_verified(&url, file, &data_dir.join(file.name), progress)?;
    }
    Ok(())
}

/// Where an archive was extracted to.
enum Extracted {
    /// A folder with every member.
    Folder(PathBuf),
    /// In memory, when no directory was writable; in [`MEMBERS`] order.
    Memory(Vec<(PathBuf, Bytes)>),
}

/// Finds or makes the extraction of `archive`.
fn extract(archive: &Path, opts: &LoadOptions) -> Result<Extracted, DatasetError> {
    let (_, meta) = storage::open_file(archive)?;
    let key = cache::source_key(archive, &meta);
    let slots = cache::slots(archive, &key, FOLDER, None, opts);
    for slot in &slots {
        if looks_complete(&slot.path) {
            return Ok(Extracted::Folder(slot.path.clone()));
        }
    }
    let limit = opts.expansion_limit(meta.len());
    for slot in slots.iter().filter(|s| s.writable()) {
        // Filled under a temporary name and renamed whole: a reader (or a killed run) never
        // sees half an extraction.
        let Ok(tmp) = atomicfile::AtomicDir::create(&slot.path) else {
            continue;
        };
        let (file, _) = storage::open_file(archive)?;
        unpack(archive, file, limit, &mut |name, entry| {
            let path = tmp.path().join(name);
            let mut out = File::create(&path).map_err(|e| DatasetError::io(&path, e))?;
            copy_member(archive, entry, &mut out)?;
            out.sync_all().map_err(|e| DatasetError::io(&path, e))
        })?;
        check_members(archive, |m| tmp.path().join(m).exists())?;
        // An incomplete entry under our keyed name is ours to replace.
        if !slot.beside_source && slot.path.exists() {
            let _ = fs::remove_dir_all(&slot.path);
        }
        if let Err(e) = tmp.commit() {
            // Another process may have finished the same extraction first.
            if looks_complete(&slot.path) {
                return Ok(Extracted::Folder(slot.path.clone()));
            }
            return Err(DatasetError::io(&slot.path, e.into()));
        }
        if !slot.beside_source {
            cache::remove_stale(&slot.path, |n| {
                cache::entry_key(n, FOLDER).is_some_and(|k| cache::is_stale_for(k, &key))
            });
        }
        return Ok(Extracted::Folder(slot.path.clone()));
    }
    // Nowhere to write: keep the members in memory (bounded by `limit`).
    let (file, _) = storage::open_file(archive)?;
    Ok(Extracted::Memory(extract_to_memory(archive, file, limit)?))
}

/// The members of a tar.gz stream, read into memory, in [`MEMBERS`] order; `archive` names
/// the source in errors.
fn extract_to_memory(
    archive: &Path,
    stream: impl Read,
    limit: u64,
) -> Result<Vec<(PathBuf, Bytes)>, DatasetError> {
    let mut found: Vec<Option<Vec<u8>>> = vec![None; MEMBERS.len()];
    unpack(archive, stream, limit, &mut |name, entry| {
        let mut buf = Vec::new();
        copy_member(archive, entry, &mut buf)?;
        let k = MEMBERS
            .iter()
            .position(|m| *m == name)
            .expect("unpack yields members only");
        found[k] = Some(buf);
        Ok(())
    })?;
    check_members(archive, |m| {
        found[MEMBERS.iter().position(|x| *x == m).expect("member")].is_some()
    })?;
    Ok(MEMBERS
        .iter()
        .zip(found)
        .map(|(m, b)| (archive.join(m), Bytes::Owned(b.expect("checked above"))))
        .collect())
}

/// Whether `folder` holds every member, with batch lengths that are whole records: an
/// extraction we may reuse (its content is checked again when loaded).
fn looks_complete(folder: &Path) -> bool {
    MEMBERS.iter().all(|m| {
        fs::metadata(folder.join(m))
            .is_ok_and(|md| md.is_file() && (*m == META_FILE || md.len() % RECORD_LEN as u64 == 0))
    })
}

fn check_members(archive: &Path, present: impl Fn(&str) -> bool) -> Result<(), DatasetError> {
    match MEMBERS.iter().find(|m| !present(m)) {
        Some(m) => Err(DatasetError::new(
            archive,
            DatasetErrorKind::Archive {
                reason: format!("no {FOLDER}/{m} in the archive"),
            },
        )),
        None => Ok(()),
    }
}

fn copy_member(
    archive: &Path,
    entry: &mut dyn Read,
    out: &mut dyn Write,
) -> Result<(), DatasetError> {
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = match entry.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(archive_err(archive, e)),
        };
        out.write_all(&buf[..n])
            .map_err(|e| DatasetError::new(archive, DatasetErrorKind::Io(e)))?;
    }
}

fn archive_err(archive: &Path, e: io::Error) -> DatasetError {
    DatasetError::new(
        archive,
        DatasetErrorKind::Archive {
            reason: e.to_string(),
        },
    )
}

/// Streams the members of the tar.gz `stream` (regular files whose name is one of [`MEMBERS`],
/// in any folder) to `sink`, refusing to expand past `limit` bytes in all; `archive` names the
/// source in errors.
fn unpack(
    archive: &Path,
    stream: impl Read,
    limit: u64,
    sink: &mut dyn FnMut(&str, &mut dyn Read) -> Result<(), DatasetError>,
) -> Result<(), DatasetError> {
    // Members are bounded by their tar headers below; this backstop also bounds what is not a
    // member (tar headers, padding, other files), with room for them.
    let stream = Limited {
        inner: MultiGzDecoder::new(BufReader::new(stream)),
        remaining: limit.saturating_mul(2).saturating_add(1 << 20),
    };
    let mut tar = tar::Archive::new(stream);
    let mut claimed = 0u64;
    for entry in tar.entries().map_err(|e| archive_err(archive, e))? {
        let mut entry = entry.map_err(|e| archive_err(archive, e))?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path = entry.path().map_err(|e| archive_err(archive, e))?;
        let Some(name) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| MEMBERS.iter().find(|m| **m == n))
        else {
            continue;
        };
        // The tar header's size is checked before any byte of the member is copied.
        claimed = claimed.saturating_add(entry.size());
        if claimed > limit {
            return Err(DatasetError::new(
                archive,
                DatasetErrorKind::ExpansionLimit { claimed, limit },
            ));
        }
        sink(name, &mut entry)?;
    }
    // The tar reader stops at the end-of-archive blocks, before the gzip trailer: read on to the
    // end of the stream, so its CRC and length are checked and a damaged or cut archive is
    // refused rather than half-trusted. `Limited` bounds what this reads.
    io::copy(&mut tar.into_inner(), &mut io::sink()).map_err(|e| archive_err(archive, e))?;
    Ok(())
}

/// A reader that fails, with a message saying so, once it has given `remaining` bytes.
struct Limited<R> {
    inner: R,
    remaining: u64,
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.remaining == 0 {
            return Err(io::Error::other("archive expands beyond the size limit"));
        }
        let want = buf
            .len()
            .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.remaining -= n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Split;
    use crate::testutil::{cifar_records, tar_gz};
    use proptest::prelude::*;

    const META: &[u8] = b"airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n";

    /// Random batches: six (labels, pixels) pairs of a few records each.
    fn batches() -> impl Strategy<Value = Vec<(Vec<u8>, Vec<u8>)>> {
        proptest::collection::vec(
            (0usize..3).prop_flat_map(|n| {
                (
                    proptest::collection::vec(0u8..10, n),
                    proptest::collection::vec(any::<u8>(), n * 3072),
                )
            }),
            6,
        )
    }

    fn member_files(b: &[(Vec<u8>, Vec<u8>)]) -> Vec<(&'static str, Vec<u8>)> {
        let mut files = vec![(META_FILE, META.to_vec())];
        for (k, (labels, pixels)) in b.iter().enumerate() {
            let name = if k < 5 { TRAIN_FILES[k] } else { TEST_FILE };
            files.push((name, cifar_records(labels, pixels)));
        }
        files
    }

    fn write_folder(dir: &Path, files: &[(&str, Vec<u8>)]) {
        let folder = dir.join(FOLDER);
        fs::create_dir_all(&folder).unwrap();
        for (name, bytes) in files {
            fs::write(folder.join(name), bytes).unwrap();
        }
    }

    fn assert_matches(loaded: &Loaded, b: &[(Vec<u8>, Vec<u8>)]) -> Result<(), TestCaseError> {
        let train_labels: Vec<u8> = b[..5].iter().flat_map(|x| x.0.clone()).collect();
        let train_pixels: Vec<u8> = b[..5].iter().flat_map(|x| x.1.clone()).collect();
        prop_assert_eq!(loaded.train_file().labels(), &train_labels[..]);
        for i in 0..loaded.train_file().len() {
            prop_assert_eq!(
                loaded.train_file().image(i),
                &train_pixels[i * 3072..(i + 1) * 3072]
            );
        }
        prop_assert_eq!(loaded.test_file().labels(), &b[5].0[..]);
        for i in 0..loaded.test_file().len() {
            prop_assert_eq!(
                loaded.test_file().image(i),
                &b[5].1[i * 3072..(i + 1) * 3072]
            );
        }
        prop_assert_eq!(loaded.view(Split::HeldOut).len(), b[4].0.len());
        prop_assert_eq!(loaded.train_file().classes()[9].as_str(), "truck");
        prop_assert_eq!(loaded.train_file().shape(), SHAPE);
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn folder_round_trip(b in batches()) {
            let dir = tempfile::tempdir().unwrap();
            write_folder(dir.path(), &member_files(&b));
            assert_matches(&load(dir.path()).unwrap(), &b)?;
        }

        #[test]
        fn archive_round_trip(b in batches()) {
            let dir = tempfile::tempdir().unwrap();
            let cache = tempfile::tempdir().unwrap();
            fs::write(dir.path().join(ARCHIVE), tar_gz(&member_files(&b))).unwrap();
            let names = |d: &Path| {
                let mut v: Vec<_> = fs::read_dir(d).unwrap().map(|e| e.unwrap().file_name()).collect();
                v.sort();
                v
            };
            // By default extracted into the cache directory; the data folder is left as it was.
            let in_cache = LoadOptions::default().with_cache_dir(cache.path());
            assert_matches(&load_with(dir.path(), &in_cache).unwrap(), &b)?;
            prop_assert_eq!(names(dir.path()), vec![std::ffi::OsString::from(ARCHIVE)]);
            prop_assert_eq!(names(cache.path()).len(), 1);
            assert_matches(&load_with(dir.path(), &in_cache).unwrap(), &b)?;
            // Asked to, extracted beside the archive, atomically: the folder and nothing else.
            assert_matches(&load_with(dir.path(), &beside()).unwrap(), &b)?;
            prop_assert_eq!(names(dir.path()), vec![std::ffi::OsString::from(FOLDER), ARCHIVE.into()]);
            assert_matches(&load_with(dir.path(), &beside()).unwrap(), &b)?;
            // And from memory, without touching the disk.
            let archive = tar_gz(&member_files(&b));
            assert_matches(&from_archive_bytes(&archive, &LoadOptions::default()).unwrap(), &b)?;
            let files = member_files(&b);
            let train: [Vec<u8>; 5] = std::array::from_fn(|k| files[k + 1].1.clone());
            assert_matches(&from_bytes(&files[0].1, train, files[6].1.clone()).unwrap(), &b)?;
        }
    }

    /// Options that extract an archive beside it, so errors name paths inside the test's folder.
    fn beside() -> LoadOptions {
        LoadOptions::default().with_cache_beside_source(true)
    }

    fn check(setup: impl FnOnce(&Path), expect: expect_test::Expect) {
        let dir = tempfile::tempdir().unwrap();
        setup(dir.path());
        let got = match load_with(dir.path(), &beside()) {
            Ok(l) => format!("ok {} + {}", l.train_file().len(), l.test_file().len()),
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

    fn good() -> Vec<(&'static str, Vec<u8>)> {
        let one = cifar_records(&[3], &[7; 3072]);
        let mut files = vec![(META_FILE, META.to_vec())];
        files.extend(TRAIN_FILES.iter().map(|n| (*n, one.clone())));
        files.push((TEST_FILE, one));
        files
    }

    fn with(name: &str, bytes: Vec<u8>) -> Vec<(&'static str, Vec<u8>)> {
        good()
            .into_iter()
            .map(|(n, b)| {
                if n == name {
                    (n, bytes.clone())
                } else {
                    (n, b)
                }
            })
            .collect()
    }

    #[test]
    fn bad_inputs() {
        check(
            |d| write_folder(d, &good()),
            expect_test::expect!["ok 5 + 1"],
        );
        check(
            |_| {},
            expect_test::expect![
                ": CIFAR-10 files missing from this directory: cifar-10-batches-bin/ or cifar-10-binary.tar.gz; the official archive is https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
            ],
        );
        check(
            |d| write_folder(d, &with(TRAIN_FILES[2], vec![0; 3074])),
            expect_test::expect![
                "cifar-10-batches-bin/data_batch_3.bin: length 3074 is not a multiple of the 3073-byte CIFAR-10 record"
            ],
        );
        check(
            |d| write_folder(d, &with(TRAIN_FILES[0], vec![0; 3072])),
            expect_test::expect![
                "cifar-10-batches-bin/data_batch_1.bin: length 3072 is not a multiple of the 3073-byte CIFAR-10 record"
            ],
        );
        check(
            |d| write_folder(d, &with(TEST_FILE, cifar_records(&[0, 10], &[0; 6144]))),
            expect_test::expect![
                "cifar-10-batches-bin/test_batch.bin: label 10 at index 1 is not below the class count 10"
            ],
        );
        check(
            |d| write_folder(d, &with(META_FILE, b"\n\n".to_vec())),
            expect_test::expect![
                "cifar-10-batches-bin/batches.meta.txt: bad class names: 0 names; need 1 to 256"
            ],
        );
        check(
            |d| write_folder(d, &with(META_FILE, vec![0xff, 0xfe])),
            expect_test::expect![
                "cifar-10-batches-bin/batches.meta.txt: bad class names: not UTF-8 (invalid utf-8 sequence of 1 bytes from index 0)"
            ],
        );
        check(
            |d| {
                write_folder(d, &good());
                fs::remove_file(d.join(FOLDER).join(TRAIN_FILES[4])).unwrap();
                fs::remove_file(d.join(FOLDER).join(META_FILE)).unwrap();
            },
            expect_test::expect![
                "cifar-10-batches-bin: CIFAR-10 files missing from this directory: batches.meta.txt, data_batch_5.bin; this folder is what https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz extracts to"
            ],
        );
        check(
            |d| {
                write_folder(d, &good());
                fs::remove_file(d.join(FOLDER).join(TEST_FILE)).unwrap();
                fs::create_dir(d.join(FOLDER).join(TEST_FILE)).unwrap();
            },
            expect_test::expect![
                "cifar-10-batches-bin/test_batch.bin: expected a file, found a directory or special file"
            ],
        );
        check(
            |d| fs::write(d.join(FOLDER), b"x").unwrap(),
            expect_test::expect!["cifar-10-batches-bin: expected a directory, found a file"],
        );
    }

    #[test]
    fn bad_archives() {
        let mut files = good();
        files.remove(3);
        check(
            |d| fs::write(d.join(ARCHIVE), tar_gz(&files)).unwrap(),
            expect_test::expect![
                "cifar-10-binary.tar.gz: archive problem: no cifar-10-batches-bin/data_batch_3.bin in the archive"
            ],
        );
        check(
            |d| fs::write(d.join(ARCHIVE), b"not gzip at all").unwrap(),
            expect_test::expect!["cifar-10-binary.tar.gz: archive problem: invalid gzip header"],
        );
        let whole = tar_gz(&good());
        check(
            |d| fs::write(d.join(ARCHIVE), &whole[..whole.len() / 2]).unwrap(),
            expect_test::expect![
                "cifar-10-binary.tar.gz: archive problem: incomplete deflate stream"
            ],
        );
        check(
            |d| fs::write(d.join(ARCHIVE), tar_gz(&with(TRAIN_FILES[1], vec![1; 10]))).unwrap(),
            expect_test::expect![
                "cifar-10-batches-bin/data_batch_2.bin: length 10 is not a multiple of the 3073-byte CIFAR-10 record"
            ],
        );
        // Nothing half-extracted is left behind by the failures above.
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(ARCHIVE), &whole[..whole.len() / 2]).unwrap();
        assert!(load_with(dir.path(), &beside()).is_err());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn archive_members_are_bounded_by_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(ARCHIVE), tar_gz(&good())).unwrap();
        let opts = LoadOptions::default().with_max_decompressed(10_000);
        let e = load_with(dir.path(), &opts).unwrap_err();
        assert!(
            matches!(
                e.kind,
                DatasetErrorKind::ExpansionLimit { limit: 10_000, .. }
            ),
            "{e}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn read_only_data_dir_extracts_into_the_cache_dir() {
        use std::os::unix::fs::PermissionsExt;
        let data = tempfile::tempdir().unwrap();
        let cache = tempfile::tempdir().unwrap();
        fs::write(data.path().join(ARCHIVE), tar_gz(&good())).unwrap();
        fs::set_permissions(data.path(), fs::Permissions::from_mode(0o555)).unwrap();
        let opts = LoadOptions::default().with_cache_dir(cache.path());
        let first = load_with(data.path(), &opts);
        let second = load_with(data.path(), &opts);
        fs::set_permissions(data.path(), fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(first.unwrap().train_file().len(), 5);
        assert_eq!(second.unwrap().test_file().len(), 1);
        assert_eq!(
            fs::read_dir(data.path()).unwrap().count(),
            1,
            "data dir untouched"
        );
        let entries: Vec<_> = fs::read_dir(cache.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(entries.len(), 1, "{entries:?}");
        assert!(
            entries[0]
                .to_string_lossy()
                .starts_with("cifar-10-batches-bin.")
        );
    }

    #[cfg(unix)]
    #[test]
    fn nowhere_writable_extracts_into_memory() {
        use std::os::unix::fs::PermissionsExt;
        let data = tempfile::tempdir().unwrap();
        fs::write(data.path().join(ARCHIVE), tar_gz(&good())).unwrap();
        let blocker = data.path().join("blocker");
        fs::write(&blocker, b"").unwrap();
        fs::set_permissions(data.path(), fs::Permissions::from_mode(0o555)).unwrap();
        let opts = LoadOptions::default().with_cache_dir(blocker.join("cache"));
        let loaded = load_with(data.path(), &opts);
        fs::set_permissions(data.path(), fs::Permissions::from_mode(0o755)).unwrap();
        let loaded = loaded.unwrap();
        assert_eq!(loaded.train_file().len(), 5);
        assert_eq!(loaded.train_file().image(4), &[7; 3072][..]);
        assert_eq!(loaded.test_file().label(0), 3);
        assert_eq!(
            fs::read_dir(data.path()).unwrap().count(),
            2,
            "nothing written"
        );
    }

    #[test]
    fn split_constants_match_official_counts() {
        let s = Splits::hold_out_last(50_000, 10_000);
        assert_eq!((s.train, s.held_out), (TRAIN, HELD_OUT));
    }
}
