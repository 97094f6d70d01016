//! The real `experiments` binary on small generated data: a run interrupted part-way (Ctrl-C, or
//! `kill -9`) leaves only whole files and the next run finishes the job; and two runs, on one
//! thread and on four, write the same bytes except for timings.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use experiments::figures::FigureId;
use ml4a_tests::{
    check_whole, experiments_cmd, files_under, is_temporary, write_cifar, write_mnist,
};

/// Small data in the official formats: training 4 networks and the two sweeps for the chapter's
/// 10 epochs on it takes seconds, and the test runs the binary five times.
fn fixture(dir: &Path) {
    write_mnist(dir, 300, 100, 1);
    write_cifar(dir, 40, 30, 2);
}

fn figures_cmd(data: &Path, out: &Path, threads: Option<usize>) -> Command {
    let mut cmd = experiments_cmd();
    cmd.arg("figures")
        .arg("--data-dir")
        .arg(data)
        .arg("--out")
        .arg(out)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    match threads {
        Some(n) => cmd.env("RAYON_NUM_THREADS", n.to_string()),
        None => cmd.env_remove("RAYON_NUM_THREADS"),
    };
    cmd
}

fn finish(cmd: &mut Command) {
    let out = cmd.output().expect("running experiments");
    assert!(
        out.status.success(),
        "experiments failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Waits until `ready(out)` holds, then sends `signal`; returns how the child ended.
fn interrupt(
    mut child: Child,
    out: &Path,
    ready: impl Fn(&Path) -> bool,
    signal: &str,
) -> ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !ready(out) {
        if let Some(status) = child.try_wait().expect("polling the child") {
            panic!("the run ended ({status}) before it could be interrupted");
        }
        assert!(Instant::now() < deadline, "the run never got there");
        std::thread::sleep(Duration::from_millis(2));
    }
    let pid = child.id().to_string();
    let sent = Command::new("kill")
        .args([&format!("-{signal}"), &pid])
        .status()
        .expect("running kill");
    assert!(sent.success());
    child.wait().expect("waiting for the child")
}

/// Every output file under `out`; panics on a file that is not whole. With `allow_temporaries`,
/// temporaries of atomic writes (what `kill -9` leaves) are skipped, otherwise they fail too.
fn whole_outputs(out: &Path, allow_temporaries: bool) -> Vec<PathBuf> {
    let mut outputs = Vec::new();
    for f in files_under(out) {
        if is_temporary(&f) {
            assert!(allow_temporaries, "temporary file left: {}", f.display());
            continue;
        }
        check_whole(&f).unwrap_or_else(|e| panic!("{e}"));
        outputs.push(f);
    }
    outputs
}

/// What a finished run must have written.
fn assert_complete(out: &Path) {
    let files = whole_outputs(out, false);
    for f in FigureId::ALL {
        let png = out.join("figures").join(f.png());
        assert!(files.contains(&png), "{} missing", f.png());
    }
    for f in [
        "reproduce.json",
        "index.html",
        "index.ko.html",
        "summaries/mnist-2layer.json",
    ] {
        assert!(files.contains(&out.join(f)), "{f} missing");
    }
}

fn count(dir: &Path, ext: &str) -> usize {
    std::fs::read_dir(dir).map_or(0, |d| {
        d.flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == ext))
            .count()
    })
}

fn checkpoints(out: &Path) -> usize {
    std::fs::read_dir(out.join("models"))
        .map_or(0, |d| d.flatten().map(|e| count(&e.path(), "ckpt")).sum())
}

#[cfg(unix)]
#[test]
fn interrupted_runs_leave_whole_files_and_the_next_run_finishes() {
    use std::os::unix::process::ExitStatusExt;
    let data = tempfile::tempdir().unwrap();
    fixture(data.path());

    // Ctrl-C while the model cache is being written: the handler removes the temporaries.
    let out = tempfile::tempdir().unwrap();
    let child = figures_cmd(data.path(), out.path(), None).spawn().unwrap();
    let status = interrupt(child, out.path(), |o| checkpoints(o) >= 3, "INT");
    assert_eq!(status.code(), Some(130), "{status}");
    assert!(!whole_outputs(out.path(), false).is_empty());
    finish(&mut figures_cmd(data.path(), out.path(), None));
    assert_complete(out.path());

    // kill -9 while figures are being written: temporaries may be left, never a torn output;
    // the next run removes them.
    let out = tempfile::tempdir().unwrap();
    let child = figures_cmd(data.path(), out.path(), None).spawn().unwrap();
    let status = interrupt(
        child,
        out.path(),
        |o| count(&o.join("figures"), "png") >= 3,
        "KILL",
    );
    assert_eq!(status.signal(), Some(9), "{status}");
    whole_outputs(out.path(), true);
    finish(&mut figures_cmd(data.path(), out.path(), None));
    assert_complete(out.path());
}

/// `reproduce.json`, the cache's `run.json` and the demos' data carry wall times: every key
/// that names seconds is dropped before comparing.
fn without_timings(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            map.retain(|k, _| !k.contains("seconds"));
            map.values_mut().for_each(without_timings);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(without_timings),
        _ => {}
    }
}

/// `index.html` marks every timing with `class="secs"`; their content is blanked.
fn html_without_timings(html: &str) -> String {
    let marker = "class=\"secs\">";
    let mut out = String::new();
    let mut rest = html;
    while let Some(at) = rest.find(marker) {
        let (head, tail) = rest.split_at(at + marker.len());
        out.push_str(head);
        rest = &tail[tail.find('<').unwrap_or(tail.len())..];
    }
    out.push_str(rest);
    out
}

#[test]
fn one_thread_and_four_threads_write_the_same_bytes() {
    let data = tempfile::tempdir().unwrap();
    fixture(data.path());
    // An explicit four, not "unset": unset is one thread on a one-core machine, and the test
    // would compare one thread with itself. The chapter's products (64 x 784 x 10 at a batch)
    // are above tensor's parallel threshold, so four threads split them.
    let (one, four) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    finish(&mut figures_cmd(data.path(), one.path(), Some(1)));
    finish(&mut figures_cmd(data.path(), four.path(), Some(4)));

    let rel = |root: &Path| -> Vec<PathBuf> {
        files_under(root)
            .into_iter()
            .map(|p| p.strip_prefix(root).unwrap().to_path_buf())
            .collect()
    };
    let files = rel(one.path());
    assert_eq!(files, rel(four.path()), "the same files");
    assert!(files.len() > FigureId::ALL.len(), "{files:?}");
    let mut timed = 0;
    for f in &files {
        let (a, b) = (
            std::fs::read(one.path().join(f)).unwrap(),
            std::fs::read(four.path().join(f)).unwrap(),
        );
        if a == b {
            continue;
        }
        // Only timings may differ, and only in the files that report them.
        timed += 1;
        match f.extension().and_then(|e| e.to_str()) {
            Some("json") => {
                let parse = |b: &[u8]| {
                    let mut v: serde_json::Value = serde_json::from_slice(b).unwrap();
                    without_timings(&mut v);
                    v
                };
                assert_eq!(
                    parse(&a),
                    parse(&b),
                    "{} differs beyond timings",
                    f.display()
                );
            }
            Some("html") => {
                let text = |b: &[u8]| html_without_timings(&String::from_utf8_lossy(b));
                assert!(
                    text(&a) == text(&b),
                    "{} differs beyond timings",
                    f.display()
                );
            }
            _ => panic!("{} differs between 1 thread and 4", f.display()),
        }
    }
    // reproduce.json's full-precision wall times always differ: the masking above was used.
    assert!(timed >= 1, "timings were compared in {timed} files");
}

/// `--lang ko` is accepted, draws the figures' words in Korean (the same files, other pixels)
/// and, like an English run, writes both report pages linked to each other; the command names
/// the Korean page as the one to open.
#[test]
fn lang_ko_draws_korean_figures_and_both_pages() {
    let data = tempfile::tempdir().unwrap();
    fixture(data.path());
    let (en, ko) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    finish(&mut figures_cmd(data.path(), en.path(), Some(2)));
    let out = figures_cmd(data.path(), ko.path(), Some(2))
        .args(["--lang", "ko"])
        .stdout(Stdio::piped())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let open = ko.path().join("index.ko.html").display().to_string();
    assert!(
        stdout.lines().any(|l| l == format!("open {open}")),
        "{stdout}"
    );
    assert_complete(ko.path());
    for root in [en.path(), ko.path()] {
        let read = |f: &str| std::fs::read_to_string(root.join(f)).unwrap();
        let (english, korean) = (read("index.html"), read("index.ko.html"));
        assert!(english.contains("<html lang=\"en\">") && korean.contains("<html lang=\"ko\">"));
        assert!(
            english.contains("href=\"index.ko.html\""),
            "English links to Korean"
        );
        assert!(
            korean.contains("href=\"index.html\""),
            "Korean links to English"
        );
        assert!(korean.contains("혼동 행렬"), "the Korean page is in Korean");
    }
    // The same figure files; the ones with words differ, the pictures without words do not.
    let fig = |root: &Path, f: FigureId| std::fs::read(root.join("figures").join(f.png())).unwrap();
    assert_ne!(
        fig(en.path(), FigureId::ConfusionMnist),
        fig(ko.path(), FigureId::ConfusionMnist)
    );
    assert_eq!(
        fig(en.path(), FigureId::CifarGrid),
        fig(ko.path(), FigureId::CifarGrid)
    );
}
