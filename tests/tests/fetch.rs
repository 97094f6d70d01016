//! Data on first use, against a mirror on 127.0.0.1 that the tests start.
//!
//! Two levels, one code path ([`experiments::DataDir::ensure`]):
//! - the library with a catalog of small files the tests make themselves, so the checksums are
//!   theirs: a fresh folder is filled and the pipeline runs on it, a cut transfer resumes, a
//!   partial file left by a killed run is resumed (or discarded when it is stale), a wrong file
//!   is rejected and removed, a dead server and `offline` give the one offline error;
//! - the real binary, whose catalog is the official one and cannot be replaced: served the
//!   real MNIST files (from `ML4A_DATA`), it fills a fresh folder and explores it; served files
//!   that are not the official ones, it rejects them whatever the mirror says.

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use datasets::download::{Progress, RemoteFile};
use experiments::fetch::{Catalog, FetchPolicy};
use experiments::pipeline::{self, PipelineOptions, Quiet};
use experiments::spec::{DataKind, explore_spec};
use experiments::{DataDir, ExperimentError};
use ml4a_tests::mirror::{Logged, Mirror, Serve, dead_url};
use ml4a_tests::{experiments_cmd, files_under, write_mnist};

/// The four MNIST files of a small generated set: (name, bytes).
fn small_mnist() -> Vec<(String, Vec<u8>)> {
    let dir = tempfile::tempdir().unwrap();
    write_mnist(dir.path(), 600, 200, 7);
    datasets::mnist::FILES
        .iter()
        .map(|f| {
            let bytes = std::fs::read(dir.path().join("mnist").join(f.name)).unwrap();
            (f.name.to_string(), bytes)
        })
        .collect()
}

fn md5_hex(bytes: &[u8]) -> &'static str {
    use md5::{Digest, Md5};
    Box::leak(hex::encode(Md5::digest(bytes)).into_boxed_str())
}

/// A catalog whose MNIST files are `files`, with their checksums and sizes; "official" URLs
/// that are never contacted (the tests always name a mirror or go offline).
fn catalog_of(files: &[(String, Vec<u8>)]) -> Catalog {
    Catalog {
        mnist: files
            .iter()
            .map(|(name, bytes)| {
                let name: &'static str = Box::leak(name.clone().into_boxed_str());
                RemoteFile {
                    name,
                    url: Box::leak(format!("https://official.invalid/{name}").into_boxed_str()),
                    md5: md5_hex(bytes),
                    content_md5: None,
                    size: bytes.len() as u64,
                }
            })
            .collect(),
        cifar10: Vec::new(),
    }
}

fn policy(catalog: Catalog, mirror: Option<&str>, offline: bool) -> FetchPolicy {
    FetchPolicy {
        offline,
        mirror: mirror.map(str::to_string),
        catalog,
    }
}

/// Runs `ensure` for MNIST, collecting the progress events as text.
fn ensure(dir: &Path, p: &FetchPolicy) -> (Result<Vec<PathBuf>, ExperimentError>, Vec<String>) {
    let mut events = Vec::new();
    let r = DataDir(dir.to_path_buf()).ensure(&[DataKind::Mnist], p, &mut |e| {
        events.push(match e {
            Progress::Started {
                file, resumed_from, ..
            } => format!("start {file} {resumed_from}"),
            Progress::Retrying { file, done, .. } => format!("retry {file} {done}"),
            Progress::Verified { file, .. } => format!("verified {file}"),
            _ => String::new(),
        });
    });
    events.retain(|e| !e.is_empty());
    (r, events)
}

fn names_under(dir: &Path) -> Vec<String> {
    if !dir.exists() {
        return Vec::new();
    }
    files_under(dir)
        .iter()
        .map(|p| p.strip_prefix(dir).unwrap().display().to_string())
        .collect()
}

#[test]
fn a_fresh_folder_is_filled_and_the_pipeline_runs_on_it() {
    let files = small_mnist();
    let mirror = Mirror::whole(&files);
    let data = tempfile::tempdir().unwrap();
    let p = policy(catalog_of(&files), Some(mirror.url()), false);
    let (r, events) = ensure(data.path(), &p);
    let fetched = r.expect("the fetch succeeds");
    assert_eq!(fetched.len(), 4);
    for (name, bytes) in &files {
        assert_eq!(
            &std::fs::read(data.path().join("mnist").join(name)).unwrap(),
            bytes
        );
        assert!(events.contains(&format!("verified {name}")), "{events:?}");
    }
    let mut present = names_under(data.path());
    present.sort();
    let mut expected: Vec<String> = files.iter().map(|(n, _)| format!("mnist/{n}")).collect();
    expected.sort();
    assert_eq!(present, expected, "no partial or temporary file is left");

    // Everything is there now: a second call fetches nothing.
    let before = mirror.requests().len();
    assert!(ensure(data.path(), &p).0.unwrap().is_empty());
    assert_eq!(mirror.requests().len(), before);

    let opts = PipelineOptions {
        data_dir: DataDir(data.path().to_path_buf()),
        cache_dir: None,
        fresh: true,
    };
    let spec = explore_spec(DataKind::Mnist, None, 2);
    let run = pipeline::train_and_analyse(std::slice::from_ref(&spec), &opts, &mut Quiet)
        .expect("the pipeline runs on the fetched data");
    let acc = run.outcomes[0].analysis.held_out.accuracy();
    assert!(acc > 0.5, "held-out accuracy {acc} on learnable data");
}

#[test]
fn a_cut_transfer_resumes_where_it_stopped() {
    let files = small_mnist();
    let (big, bytes) = files.iter().max_by_key(|(_, b)| b.len()).cloned().unwrap();
    let half = bytes.len() / 2;
    let mirror = Mirror::start(
        files
            .iter()
            .map(|(n, b)| {
                let serve = if *n == big {
                    Serve::CutOnce {
                        bytes: b.clone(),
                        after: half,
                    }
                } else {
                    Serve::Whole(b.clone())
                };
                (n.clone(), serve)
            })
            .collect(),
    );
    let data = tempfile::tempdir().unwrap();
    let (r, events) = ensure(
        data.path(),
        &policy(catalog_of(&files), Some(mirror.url()), false),
    );
    r.expect("the fetch succeeds after resuming");
    assert_eq!(
        std::fs::read(data.path().join("mnist").join(&big)).unwrap(),
        bytes
    );
    let asked: Vec<Logged> = mirror
        .requests()
        .into_iter()
        .filter(|l| l.path == big)
        .collect();
    assert_eq!(
        asked,
        [
            Logged {
                path: big.clone(),
                range_start: None
            },
            Logged {
                path: big.clone(),
                range_start: Some(half as u64)
            }
        ],
        "the second request asks for the rest only"
    );
    assert!(
        events.contains(&format!("retry {big} {half}")),
        "{events:?}"
    );
    let total: usize = files.iter().map(|(_, b)| b.len()).sum();
    assert_eq!(mirror.body_bytes(), total as u64, "no byte is sent twice");
}

#[test]
fn a_partial_file_left_by_a_killed_run_is_resumed_or_discarded() {
    let files = small_mnist();
    let catalog = catalog_of(&files);
    let mirror = Mirror::whole(&files);
    let (name, bytes) = &files[0];
    let file = catalog.mnist[0];
    let data = tempfile::tempdir().unwrap();
    let dest = data.path().join("mnist").join(name);
    std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
    let third = bytes.len() / 3;

    // The first third of the right file: only the rest is asked for.
    std::fs::write(file.partial_path(&dest), &bytes[..third]).unwrap();
    let (r, _) = ensure(
        data.path(),
        &policy(catalog.clone(), Some(mirror.url()), false),
    );
    r.unwrap();
    assert_eq!(&std::fs::read(&dest).unwrap(), bytes);
    let first: Vec<_> = mirror
        .requests()
        .into_iter()
        .filter(|l| l.path == *name)
        .collect();
    assert_eq!(first[0].range_start, Some(third as u64));
    assert_eq!(first.len(), 1);

    // A third of something else (a file since changed, a disk error): the resumed result does
    // not verify, so it is discarded and the file fetched whole, never used as it was.
    std::fs::remove_file(&dest).unwrap();
    std::fs::write(file.partial_path(&dest), vec![0xAB; third]).unwrap();
    let (r, _) = ensure(data.path(), &policy(catalog, Some(mirror.url()), false));
    r.unwrap();
    assert_eq!(&std::fs::read(&dest).unwrap(), bytes);
    let asked: Vec<Option<u64>> = mirror
        .requests()
        .into_iter()
        .filter(|l| l.path == *name)
        .skip(1)
        .map(|l| l.range_start)
        .collect();
    assert_eq!(asked, [Some(third as u64), None]);
    assert!(!file.partial_path(&dest).exists());
}

#[test]
fn a_file_that_does_not_match_is_rejected_and_removed() {
    let files = small_mnist();
    let catalog = catalog_of(&files);
    let (bad_name, good) = &files[1];
    let mut wrong = good.clone();
    let mid = wrong.len() / 2;
    wrong[mid] ^= 0x40;
    let mirror = Mirror::start(
        files
            .iter()
            .map(|(n, b)| {
                let bytes = if n == bad_name {
                    wrong.clone()
                } else {
                    b.clone()
                };
                (n.clone(), Serve::Whole(bytes))
            })
            .collect(),
    );
    let data = tempfile::tempdir().unwrap();
    let (r, _) = ensure(
        data.path(),
        &policy(catalog.clone(), Some(mirror.url()), false),
    );
    let e = r.unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains(bad_name), "{msg}");
    assert!(
        msg.contains(catalog.mnist[1].md5),
        "names the expected MD5: {msg}"
    );
    assert!(msg.contains(md5_hex(&wrong)), "names the actual MD5: {msg}");
    assert!(e.hint().unwrap().contains("ML4A_MIRROR"), "{:?}", e.hint());
    // The files before it were fetched and verified; the wrong one left nothing behind.
    assert_eq!(names_under(data.path()), [format!("mnist/{}", files[0].0)]);
}

#[test]
fn a_dead_server_and_offline_give_one_error_naming_every_file() {
    let files = small_mnist();
    let catalog = catalog_of(&files);
    let data = tempfile::tempdir().unwrap();
    // One file is already there: it is not listed.
    std::fs::create_dir_all(data.path().join("mnist")).unwrap();
    std::fs::write(data.path().join("mnist").join(&files[3].0), &files[3].1).unwrap();

    let dead = dead_url();
    let (r, _) = ensure(data.path(), &policy(catalog.clone(), Some(&dead), false));
    let down = r.unwrap_err();
    let (r, _) = ensure(data.path(), &policy(catalog, None, true));
    let offline = r.unwrap_err();
    for (e, start) in [
        (&down, format!("cannot reach {dead}")),
        (&offline, "offline".into()),
    ] {
        let msg = e.to_string();
        assert!(msg.starts_with(&start), "{msg}");
        assert!(msg.contains("3 data files are missing"), "{msg}");
        for (name, _) in &files[..3] {
            let listed = format!("{name} (https://official.invalid/{name})");
            assert_eq!(
                msg.matches(&listed).count(),
                1,
                "{name} once, with its official URL: {msg}"
            );
        }
        assert!(!msg.contains(&files[3].0), "{msg}");
        assert!(
            msg.contains(&data.path().join("mnist").display().to_string()),
            "{msg}"
        );
        assert!(matches!(e, ExperimentError::NoNetwork { .. }));
    }
    assert_eq!(names_under(data.path()), [format!("mnist/{}", files[3].0)]);
}

/// The real MNIST files, when `ML4A_DATA` holds them (required under CI).
fn real_mnist() -> Option<PathBuf> {
    let dir = std::env::var_os("ML4A_DATA")
        .filter(|v| !v.is_empty())
        .map(|d| PathBuf::from(d).join("mnist"));
    let ok = dir.as_ref().is_some_and(|d| {
        datasets::mnist::FILES
            .iter()
            .all(|f| d.join(f.name).exists())
    });
    if !ok {
        assert!(
            !datasets::ci::under_ci(),
            "CI must have the MNIST files under ML4A_DATA for the real-data fetch test"
        );
        eprintln!("skipped: set ML4A_DATA to a folder with mnist/ to run this test");
        return None;
    }
    dir
}

fn run_binary(args: &[&str], mirror: &str) -> Output {
    experiments_cmd()
        .args(args)
        .env_remove("ML4A_OFFLINE")
        .env("ML4A_MIRROR", mirror)
        .stdin(Stdio::null())
        .output()
        .expect("running experiments")
}

#[test]
fn the_binary_fetches_the_official_files_from_a_mirror_and_explores_them() {
    let Some(real) = real_mnist() else { return };
    let files: Vec<(String, Vec<u8>)> = datasets::mnist::FILES
        .iter()
        .map(|f| {
            (
                f.name.to_string(),
                std::fs::read(real.join(f.name)).unwrap(),
            )
        })
        .collect();
    // The training images arrive in two parts, as over a flaky line.
    let mirror = Mirror::start(
        files
            .iter()
            .map(|(n, b)| {
                let serve = if n.starts_with("train-images") {
                    Serve::CutOnce {
                        bytes: b.clone(),
                        after: b.len() / 2,
                    }
                } else {
                    Serve::Whole(b.clone())
                };
                (n.clone(), serve)
            })
            .collect(),
    );
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let out = root.path().join("out");
    let d = data.display().to_string();
    let o = out.display().to_string();
    let output = run_binary(
        &[
            "explore",
            "--dataset",
            "mnist",
            "--epochs",
            "1",
            "--data-dir",
            &d,
            "--out",
            &o,
        ],
        mirror.url(),
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stderr}");
    for (name, bytes) in &files {
        assert_eq!(
            &std::fs::read(data.join("mnist").join(name)).unwrap(),
            bytes
        );
        assert!(stderr.contains(&format!("fetch {name}: ")), "{stderr}");
    }
    assert!(stderr.contains("asking for the rest"), "{stderr}");
    assert!(stdout.contains("held-out"), "{stdout}");
    assert!(out.join("index.html").exists());
}

#[test]
fn the_binary_trusts_only_the_official_checksums() {
    // Well-formed MNIST files, but not the official ones: whatever the mirror serves, the
    // shipped catalog rejects them.
    let files = small_mnist();
    let mirror = Mirror::whole(&files);
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let d = data.display().to_string();
    let o = root.path().join("out").display().to_string();
    let output = run_binary(
        &[
            "explore",
            "--dataset",
            "mnist",
            "--data-dir",
            &d,
            "--out",
            &o,
        ],
        mirror.url(),
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.starts_with("fetch "))
        .collect();
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(lines.len(), 2, "one error and one hint: {stderr}");
    let official = datasets::mnist::FILES[0];
    assert!(lines[0].starts_with("error: "), "{stderr}");
    assert!(lines[0].contains(official.name), "{stderr}");
    assert!(lines[0].contains(official.md5), "{stderr}");
    assert!(lines[0].contains(md5_hex(&files[0].1)), "{stderr}");
    assert!(
        lines[1].starts_with("hint: ") && lines[1].contains("ML4A_MIRROR"),
        "{stderr}"
    );
    assert!(
        names_under(&data).is_empty(),
        "nothing left: {:?}",
        names_under(&data)
    );
    assert!(!root.path().join("out").exists());
}

#[test]
fn the_binary_offline_or_without_a_server_names_what_to_fetch() {
    let root = tempfile::tempdir().unwrap();
    let d = root.path().join("data").display().to_string();
    let o = root.path().join("out").display().to_string();
    let mirror = Mirror::start(Vec::new());
    let offline = experiments_cmd()
        .args(["reproduce", "--offline", "--data-dir", &d, "--out", &o])
        .env_remove("ML4A_OFFLINE")
        .env("ML4A_MIRROR", mirror.url())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(mirror.requests().is_empty(), "offline never connects");
    let down = run_binary(&["reproduce", "--data-dir", &d, "--out", &o], &dead_url());
    for (output, start, hint) in [
        (
            &offline,
            "error: offline, and 5 data files are missing: put ",
            "drop --offline",
        ),
        (
            &down,
            "error: cannot reach http://127.0.0.1:",
            "ML4A_MIRROR",
        ),
    ] {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert_eq!(lines.len(), 2, "{stderr}");
        assert!(lines[0].starts_with(start), "{stderr}");
        for f in datasets::mnist::FILES
            .iter()
            .chain([&datasets::cifar10::ARCHIVE_FILE])
        {
            assert!(
                lines[0].contains(&format!("{} ({})", f.name, f.url)),
                "{stderr}"
            );
        }
        assert!(
            lines[1].starts_with("hint: ") && lines[1].contains(hint),
            "{stderr}"
        );
        assert!(
            lines[1].contains("181.6 MB"),
            "the size to download: {stderr}"
        );
    }
    assert!(
        !root.path().join("data").exists() || names_under(&root.path().join("data")).is_empty()
    );
    assert!(!root.path().join("out").exists());
}

#[test]
fn bad_fetch_settings_are_usage_errors() {
    for (var, value, says) in [
        ("ML4A_OFFLINE", "maybe", "ML4A_OFFLINE must be 1 or 0"),
        ("ML4A_MIRROR", "ftp://host/", "ML4A_MIRROR must be an http"),
    ] {
        let root = tempfile::tempdir().unwrap();
        let d = root.path().display().to_string();
        let output = experiments_cmd()
            .args(["explore", "--dataset", "mnist", "--data-dir", &d])
            .env(var, value)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.starts_with("error: ") && stderr.contains(says),
            "{stderr}"
        );
    }
}
