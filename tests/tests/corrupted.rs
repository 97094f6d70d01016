//! Every kind of bad input file, read by the real readers: each gives its typed error kind (we
//! match on the enum, not on messages), and memory stays bounded. A counting allocator measures
//! the peak bytes allocated on the reading thread; headers that claim billions of images must
//! not make the reader allocate for them before checking them against the file.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::Write;
use std::path::{Path, PathBuf};

use datasets::idx::{self, IdxFile};
use datasets::{DatasetError, DatasetErrorKind as K, LoadOptions, cifar10, mnist};
use ml4a_tests::{
    CIFAR_META, Xorshift, cifar_members, cifar_records, cifar_tar_gz, gzip, idx_bytes,
    synthetic_images, write_mnist,
};
use nn::checkpoint::{self, CheckpointErrorKind as C};
use nn::{Activation, Architecture, Init, Mlp, init};

/// Counts the bytes live on each thread, and the peak.
struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn track(delta: isize) {
    // `try_with`: allocations made while a thread shuts down are not counted.
    let _ = LIVE.try_with(|live| {
        let now = live.get() + delta;
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

// SAFETY: every call is forwarded to the system allocator unchanged; only counters move.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged; the caller upholds `GlobalAlloc::alloc`'s contract.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            track(layout.size() as isize);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged, as in `alloc`.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            track(layout.size() as isize);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from this allocator, which is the system's, with this layout.
        unsafe { System.dealloc(ptr, layout) };
        track(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as in `dealloc`; the caller upholds `realloc`'s size contract.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            track(new_size as isize - layout.size() as isize);
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// The most any bad input may make a reader allocate.
const LIMIT: isize = 64 << 20;

/// Runs `f` and returns its result with the peak bytes it had allocated at once on this thread.
fn peak_during<T>(f: impl FnOnce() -> T) -> (T, isize) {
    let start = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(start));
    let out = f();
    (out, PEAK.with(Cell::get) - start)
}

/// Runs a reader that must fail; checks its memory and returns the error.
fn must_fail<T, E: std::fmt::Display>(what: &str, read: impl FnOnce() -> Result<T, E>) -> E {
    let (result, peak) = peak_during(read);
    assert!(peak < LIMIT, "{what}: peak allocation {peak} bytes");
    match result {
        Ok(_) => panic!("{what}: accepted"),
        Err(e) => e,
    }
}

// ---------------------------------------------------------------- IDX

/// Writes `bytes` as a file in `dir` and opens it as an IDX u8 file; the error must name it.
fn idx_error(bytes: &[u8]) -> K {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("train-images-idx3-ubyte");
    std::fs::write(&path, bytes).unwrap();
    let e = must_fail("idx", || IdxFile::open(&path, &LoadOptions::default()));
    assert_eq!(e.path, path, "the error names the file");
    // The same bytes from memory fail the same way.
    let m = must_fail("idx in memory", || {
        IdxFile::from_bytes(bytes.to_vec(), &LoadOptions::default())
    });
    assert_eq!(m.kind.to_string(), e.kind.to_string());
    e.kind
}

fn header(dims: &[u32]) -> Vec<u8> {
    idx_bytes(dims, &[])
}

fn small_images() -> Vec<u8> {
    let (px, _) = synthetic_images(10, 28, 1, &mut Xorshift(5));
    idx_bytes(&[10, 28, 28], &px)
}

#[test]
fn idx_truncated_at_several_offsets() {
    let good = small_images();
    let len = good.len() as u64;
    for cut in [0usize, 1, 3] {
        let k = idx_error(&good[..cut]);
        assert!(
            matches!(k, K::Truncated { expected: 4, got } if got == cut as u64),
            "{cut}: {k}"
        );
    }
    for cut in [4usize, 9, 15] {
        let k = idx_error(&good[..cut]);
        assert!(
            matches!(k, K::Truncated { expected: 16, got } if got == cut as u64),
            "{cut}: {k}"
        );
    }
    for cut in [16usize, 17, 800, good.len() - 1] {
        let k = idx_error(&good[..cut]);
        assert!(
            matches!(k, K::Truncated { expected, got } if expected == len && got == cut as u64),
            "{cut}: {k}"
        );
    }
    // A gzip stream cut short: the deflate data ends early, or the IDX data does.
    let gz = gzip(&good);
    for cut in [10, gz.len() / 2, gz.len() - 4] {
        let k = idx_error(&gz[..cut]);
        assert!(
            matches!(k, K::Decompress(_) | K::Truncated { .. }),
            "{cut}: {k}"
        );
    }
}

#[test]
fn idx_wrong_magic_and_type() {
    assert!(matches!(idx_error(b"GIF89a....."), K::BadMagic { .. }));
    assert!(matches!(
        idx_error(&[0, 1, 8, 1, 0, 0, 0, 0]),
        K::BadMagic { .. }
    ));
    // A PNG, whole: not an IDX file.
    assert!(matches!(
        idx_error(b"\x89PNG\r\n\x1a\n"),
        K::BadMagic { .. }
    ));
    assert!(matches!(
        idx_error(&[0, 0, 0x07, 1, 0, 0, 0, 0]),
        K::UnsupportedIdxType { code: 7 }
    ));
    let mut f32_file = header(&[1]);
    f32_file[2] = 0x0D;
    f32_file.extend([0; 4]);
    assert!(matches!(
        idx_error(&f32_file),
        K::UnsupportedIdxType { code: 0x0D }
    ));
}

#[test]
fn idx_dimensions_whose_product_overflows() {
    for dims in [&[u32::MAX; 3][..], &[u32::MAX; 4], &[65536; 4]] {
        let k = idx_error(&header(dims));
        assert!(
            matches!(&k, K::HeaderOverflow { dims: d } if d.len() == dims.len()),
            "{k}"
        );
        assert!(matches!(
            idx_error(&gzip(&header(dims))),
            K::HeaderOverflow { .. }
        ));
    }
}

#[test]
fn idx_headers_promising_more_than_the_file_holds() {
    // 2^32 - 1 images of 28x28 (the most an IDX header can count), in a 16-byte file.
    let k = idx_error(&header(&[u32::MAX, 28, 28]));
    assert!(
        matches!(k, K::Truncated { expected, got: 16 } if expected == u32::MAX as u64 * 784 + 16),
        "{k}"
    );
    // The same promise, gzip-compressed: refused by deflate's ratio before anything expands.
    let k = idx_error(&gzip(&header(&[u32::MAX, 28, 28])));
    assert!(matches!(k, K::ExpansionLimit { .. }), "{k}");
    // 2^32 - 1 labels promised, a few present.
    let mut labels = header(&[u32::MAX]);
    labels.extend([1, 2, 3]);
    assert!(matches!(idx_error(&labels), K::Truncated { got: 11, .. }));
}

#[test]
fn gzip_expanding_far_beyond_its_header() {
    // The header promises 10 images; the stream goes on with 200 MiB of zeros, which compress
    // to a few hundred KiB. Reading stops one byte past the promise.
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(&small_images()).unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..200 {
        enc.write_all(&zeros).unwrap();
    }
    let bomb = enc.finish().unwrap();
    assert!(bomb.len() < 1 << 20);
    let k = idx_error(&bomb);
    assert!(matches!(k, K::TrailingBytes { .. }), "{k}");
}

/// Writes an MNIST folder, lets `spoil` change it, and loads it; returns the error.
fn mnist_error(spoil: impl FnOnce(&Path)) -> DatasetError {
    let dir = tempfile::tempdir().unwrap();
    write_mnist(dir.path(), 30, 10, 4);
    spoil(&dir.path().join("mnist"));
    must_fail("mnist", || mnist::load(dir.path()))
}

#[test]
fn image_and_label_counts_that_differ() {
    let e = mnist_error(|d| {
        std::fs::write(
            d.join("t10k-labels-idx1-ubyte.gz"),
            gzip(&idx_bytes(&[9], &[1; 9])),
        )
        .unwrap();
    });
    assert!(
        matches!(
            e.kind,
            K::CountMismatch {
                images: 10,
                labels: 9
            }
        ),
        "{e}"
    );
    assert!(e.path.ends_with("mnist/t10k-labels-idx1-ubyte.gz"), "{e}");
}

#[test]
fn labels_out_of_range() {
    let e = mnist_error(|d| {
        let mut labels = vec![3; 30];
        labels[17] = 10;
        std::fs::write(
            d.join("train-labels-idx1-ubyte.gz"),
            gzip(&idx_bytes(&[30], &labels)),
        )
        .unwrap();
    });
    assert!(
        matches!(
            e.kind,
            K::LabelOutOfRange {
                index: 17,
                label: 10,
                classes: 10
            }
        ),
        "{e}"
    );
    let e = must_fail("cifar labels", || {
        let mut members = cifar_members(1, 1, &mut Xorshift(9));
        members[6].1[0] = 200;
        cifar10::from_bytes(
            CIFAR_META.as_bytes(),
            std::array::from_fn(|k| members[k + 1].1.clone()),
            members[6].1.clone(),
        )
    });
    assert!(
        matches!(e.kind, K::LabelOutOfRange { label: 200, .. }),
        "{e}"
    );
    assert_eq!(e.path, Path::new("test_batch.bin"));
}

#[test]
fn empty_files_and_directories_where_files_belong() {
    assert!(matches!(
        idx_error(b""),
        K::Truncated {
            expected: 4,
            got: 0
        }
    ));
    let e = mnist_error(|d| {
        std::fs::write(d.join("train-labels-idx1-ubyte.gz"), b"").unwrap();
    });
    assert!(matches!(e.kind, K::Truncated { got: 0, .. }), "{e}");
    let e = mnist_error(|d| {
        let f = d.join("train-images-idx3-ubyte.gz");
        std::fs::remove_file(&f).unwrap();
        std::fs::create_dir(&f).unwrap();
    });
    assert!(matches!(e.kind, K::NotAFile), "{e}");
    let e = mnist_error(|d| {
        std::fs::remove_dir_all(d).unwrap();
        std::fs::write(d, b"not a folder").unwrap();
    });
    assert!(matches!(e.kind, K::NotADirectory), "{e}");

    // CIFAR-10: an empty class-name file, a batch that is a directory, an empty archive.
    let e = cifar_folder_error(|d| std::fs::write(d.join("batches.meta.txt"), b"").unwrap());
    assert!(matches!(e.kind, K::ClassNames { .. }), "{e}");
    let e = cifar_folder_error(|d| {
        std::fs::remove_file(d.join("data_batch_2.bin")).unwrap();
        std::fs::create_dir(d.join("data_batch_2.bin")).unwrap();
    });
    assert!(matches!(e.kind, K::NotAFile), "{e}");
    assert!(matches!(archive_error(b"").kind, K::Archive { .. }));
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(cifar10::ARCHIVE)).unwrap();
    let e = must_fail("archive dir", || cifar10::load(dir.path()));
    assert!(matches!(e.kind, K::NotAFile), "{e}");
}

// ---------------------------------------------------------------- CIFAR-10

/// Writes a small CIFAR-10 folder, lets `spoil` change it, and loads it; returns the error.
fn cifar_folder_error(spoil: impl FnOnce(&Path)) -> DatasetError {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join(cifar10::FOLDER);
    std::fs::create_dir(&folder).unwrap();
    for (name, bytes) in cifar_members(2, 1, &mut Xorshift(3)) {
        std::fs::write(folder.join(name), bytes).unwrap();
    }
    spoil(&folder);
    must_fail("cifar folder", || cifar10::load(dir.path()))
}

/// Writes `archive` as the official archive's name and loads it, then the same from memory;
/// returns the error from the file.
fn archive_error(archive: &[u8]) -> DatasetError {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(cifar10::ARCHIVE), archive).unwrap();
    let e = must_fail("archive", || cifar10::load(dir.path()));
    let m = must_fail("archive in memory", || {
        cifar10::from_archive_bytes(archive, &LoadOptions::default())
    });
    assert_eq!(
        std::mem::discriminant(&m.kind),
        std::mem::discriminant(&e.kind),
        "{m} / {e}"
    );
    // Nothing half-extracted is left beside the archive.
    let left: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(left, [dir.path().join(cifar10::ARCHIVE)]);
    e
}

#[test]
fn cifar_batches_cut_short() {
    for cut in [1usize, 3072, 3074, 5000] {
        let e = cifar_folder_error(|d| {
            let b = std::fs::read(d.join("data_batch_4.bin")).unwrap();
            std::fs::write(d.join("data_batch_4.bin"), &b[..b.len() - cut]).unwrap();
        });
        assert!(matches!(e.kind, K::RecordSize { .. }), "{cut}: {e}");
        assert!(e.path.ends_with("data_batch_4.bin"));
    }
}

#[test]
fn cifar_archives_cut_short_or_wrong() {
    let whole = cifar_tar_gz(&cifar_members(2, 1, &mut Xorshift(8)));
    for cut in [0usize, 5, 100, whole.len() / 2, whole.len() - 10] {
        let e = archive_error(&whole[..cut]);
        assert!(matches!(e.kind, K::Archive { .. }), "{cut}: {e}");
    }
    // Wrong magic: a zip file's first bytes.
    assert!(matches!(
        archive_error(b"PK\x03\x04 not a tar.gz").kind,
        K::Archive { .. }
    ));
    // A member missing.
    let mut members = cifar_members(1, 1, &mut Xorshift(8));
    members.remove(2);
    assert!(matches!(
        archive_error(&cifar_tar_gz(&members)).kind,
        K::Archive { .. }
    ));
}

#[test]
fn cifar_archive_member_claiming_more_than_exists() {
    // A tar header that claims an 8 GiB member, in an archive of a few hundred bytes: refused by
    // the expansion limit before a byte of it is read.
    let mut tar = Vec::new();
    let mut h = tar::Header::new_gnu();
    h.set_path("cifar-10-batches-bin/data_batch_1.bin").unwrap();
    h.set_size(8 << 30);
    h.set_mode(0o644);
    h.set_cksum();
    tar.extend_from_slice(h.as_bytes());
    tar.extend(cifar_records(&[1], &[0; 3072]));
    let e = archive_error(&gzip(&tar));
    assert!(
        matches!(e.kind, K::ExpansionLimit { claimed, .. } if claimed == 8 << 30),
        "{e}"
    );
}

// ---------------------------------------------------------------- checkpoints

fn net(hidden: &[usize]) -> Mlp {
    Mlp::new(
        Architecture::classifier(784, hidden, Activation::Sigmoid, 10),
        Init::UniformFanIn,
        &mut init::rng(1),
    )
}

/// Reads `bytes` as a checkpoint file expecting `arch`; returns the error kind.
fn checkpoint_error(bytes: &[u8], arch: Option<&Architecture>) -> C {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.ckpt");
    std::fs::write(&path, bytes).unwrap();
    let e = must_fail("checkpoint", || checkpoint::load(&path, arch));
    assert_eq!(e.path, path);
    e.kind
}

/// A version-1 checkpoint header followed by an architecture block of `arch` bytes and `rest`.
fn raw_checkpoint(arch: &[u8], rest: &[u8]) -> Vec<u8> {
    let mut b = b"ML4ANNv\0".to_vec();
    b.extend(1u32.to_le_bytes());
    b.extend((arch.len() as u64).to_le_bytes());
    b.extend_from_slice(arch);
    b.extend_from_slice(rest);
    b
}

/// A bincode (standard configuration) varint: values from 2^32 take a 253 tag and 8 bytes.
fn varint(v: u64) -> Vec<u8> {
    match v {
        0..=250 => vec![v as u8],
        251..=0xffff => [vec![251], (v as u16).to_le_bytes().to_vec()].concat(),
        0x1_0000..=0xffff_ffff => [vec![252], (v as u32).to_le_bytes().to_vec()].concat(),
        _ => [vec![253], v.to_le_bytes().to_vec()].concat(),
    }
}

#[test]
fn checkpoints_cut_short_or_wrong() {
    let good = checkpoint::to_bytes(&net(&[10])).unwrap();
    for cut in [0usize, 4, 8, 19, 20, 30, good.len() / 2, good.len() - 1] {
        let k = checkpoint_error(&good[..cut], None);
        assert!(matches!(k, C::Truncated(_) | C::Corrupt(_)), "{cut}: {k}");
    }
    assert!(matches!(
        checkpoint_error(b"\x89PNG\r\n\x1a\n and more", None),
        C::BadMagic
    ));
    let mut v2 = good.clone();
    v2[8..12].copy_from_slice(&2u32.to_le_bytes());
    assert!(matches!(
        checkpoint_error(&v2, None),
        C::Version { found: 2 }
    ));
    // Another architecture: a 3-layer net where the 2-layer one is expected.
    let other = checkpoint::to_bytes(&net(&[10, 10])).unwrap();
    let k = checkpoint_error(&other, Some(net(&[10]).architecture()));
    assert!(
        matches!(&k, C::Architecture { found, .. } if found.contains("784-10")),
        "{k}"
    );
    // A directory where the checkpoint should be.
    let dir = tempfile::tempdir().unwrap();
    let e = must_fail("checkpoint dir", || checkpoint::load(dir.path(), None));
    assert!(
        matches!(&e.kind, C::Io(io) if io.kind() == std::io::ErrorKind::IsADirectory),
        "{e}"
    );
}

#[test]
fn checkpoints_promising_more_than_they_hold() {
    // Architecture: 2^32 inputs, one layer of 2^32 units (variant 0, identity): 2^64 parameters
    // that the 8 bytes after the block cannot hold.
    let arch = [varint(1 << 32), varint(1), varint(1 << 32), varint(0)].concat();
    let k = checkpoint_error(&raw_checkpoint(&arch, &[0; 8]), None);
    assert!(matches!(k, C::Truncated(_)), "{k}");
    // Dimensions whose product overflows u64.
    let arch = [varint(u64::MAX), varint(1), varint(u64::MAX), varint(0)].concat();
    let k = checkpoint_error(&raw_checkpoint(&arch, &[]), None);
    assert!(matches!(k, C::Truncated(_)), "{k}");
    // A layer list that claims 2^32 layers in a few bytes.
    let arch = [varint(4), varint(1 << 32), varint(3), varint(0)].concat();
    let k = checkpoint_error(&raw_checkpoint(&arch, &[]), None);
    assert!(matches!(k, C::Corrupt(_)), "{k}");
    // An architecture block longer than the file.
    let mut huge = checkpoint::to_bytes(&net(&[])).unwrap();
    huge[12..20].copy_from_slice(&(1u64 << 40).to_le_bytes());
    assert!(matches!(checkpoint_error(&huge, None), C::Truncated(_)));
    // A small valid architecture whose parameter list claims 2^32 matrices.
    let arch = [varint(2), varint(1), varint(2), varint(0)].concat();
    let k = checkpoint_error(
        &raw_checkpoint(&arch, &[varint(1 << 32), vec![0; 40]].concat()),
        None,
    );
    assert!(matches!(k, C::Corrupt(_)), "{k}");
}

#[test]
fn the_memory_check_can_fail() {
    // The counting allocator sees a 64 MiB allocation: the bound above is a real measurement.
    let ((), peak) = peak_during(|| drop(std::hint::black_box(vec![1u8; 1 << 26])));
    assert!(peak >= LIMIT, "{peak}");
}

#[test]
fn a_good_pair_reads_within_the_bound() {
    // The opposite case: the same code path accepts good files, using memory for them only.
    let (px, lb) = synthetic_images(50, 28, 1, &mut Xorshift(2));
    let (images, labels) = (idx_bytes(&[50, 28, 28], &px), idx_bytes(&[50], &lb));
    let (ds, peak) = peak_during(|| {
        idx::pair_dataset(
            IdxFile::from_bytes(gzip(&images), &LoadOptions::default()).unwrap(),
            IdxFile::from_bytes(labels, &LoadOptions::default()).unwrap(),
            None,
        )
    });
    let ds = ds.unwrap();
    assert_eq!(ds.len(), 50);
    assert!(peak < 1 << 20, "{peak}");
}
