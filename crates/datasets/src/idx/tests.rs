//! Tests of the IDX readers: headers, truncation, gzip, pairs and folders.

use std::fs;
use std::path::Path;

use super::{dir::*, file::*, header::*, *};
use crate::cache::LoadOptions;
use crate::storage::Bytes;
use crate::testutil::{gzip, idx_bytes, write_idx_dir};
use crate::{DatasetError, DatasetErrorKind, ImageShape, Splits};
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
    let opts = LoadOptions::default().with_cache_beside_source(true);
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
        let loaded = load_with(dir.path(), Some(classes.clone()), &LoadOptions::default()).unwrap();
        for (ds, pixels, labels) in [(loaded.train_file(), &tri, &trl), (loaded.test_file(), &tei, &tel)] {
            prop_assert_eq!(ds.shape(), shape);
            prop_assert_eq!(ds.classes(), &classes[..]);
            prop_assert_eq!(ds.labels(), &labels[..]);
            for i in 0..ds.len() {
                prop_assert_eq!(ds.image(i), &pixels[i * shape.len()..(i + 1) * shape.len()]);
            }
        }
        prop_assert_eq!(loaded.splits(), &Splits::hold_out_last(trl.len(), trl.len() / 6));
        // Loading again (from the cache when gzip) gives the same data.
        let again = load_with(dir.path(), Some(classes), &LoadOptions::default()).unwrap();
        prop_assert_eq!(again.train_file().labels(), loaded.train_file().labels());
    }
}

fn check_dir(setup: impl FnOnce(&Path), expect: Expect) {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    let got = match load_with(dir.path(), None, &LoadOptions::default()) {
        Ok(l) => format!(
            "ok {} + {}, classes {:?}",
            l.train_file().len(),
            l.test_file().len(),
            l.train_file().classes()
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
            "t10k-images-idx3-ubyte: images of 1x2x1 (channels x height x width) where 1x1x2 are needed"
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
    let e = load_with(
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
    let e = load_with(&f, None, &LoadOptions::default()).unwrap_err();
    assert!(matches!(e.kind, DatasetErrorKind::NotADirectory), "{e}");
}
