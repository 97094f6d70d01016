//! The real `experiments` binary on bad invocations and bad files, table-driven: each case
//! must end in one `error:` line that names what is wrong, at most one `hint:` line that fits
//! the cause, exit status 2 for a bad invocation and 1 for bad data or a failed run, no panic,
//! and no output written.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use ml4a_tests::{
    cifar_records, experiments_cmd, files_under, gzip, idx_bytes, write_cifar, write_mnist,
};

/// A bad invocation.
const USAGE: i32 = 2;
/// Bad data or a failed run.
const FAILED: i32 = 1;

/// One case: how to lay out the data folder, the arguments (`{data}` and `{out}` are replaced
/// by the case's folders, `{root}` by this test crate's folder, which holds the fixtures), the
/// exit status, what the error line must contain, and
/// whether a hint line is expected.
struct Case {
    name: &'static str,
    setup: fn(&Path),
    args: &'static str,
    status: i32,
    says: &'static str,
    hint: Option<&'static str>,
}

fn nothing(_: &Path) {}

fn mnist(d: &Path) {
    write_mnist(d, 60, 20, 1);
}

fn cifar(d: &Path) {
    write_cifar(d, 12, 6, 2);
}

/// Replaces MNIST's training images with `bytes` (written raw, not gzip).
fn mnist_images(d: &Path, bytes: &[u8]) {
    mnist(d);
    let m = d.join("mnist");
    std::fs::remove_file(m.join("train-images-idx3-ubyte.gz")).unwrap();
    std::fs::write(m.join("train-images-idx3-ubyte"), bytes).unwrap();
}

fn mnist_labels(d: &Path, bytes: &[u8]) {
    mnist(d);
    let m = d.join("mnist");
    std::fs::remove_file(m.join("train-labels-idx1-ubyte.gz")).unwrap();
    std::fs::write(m.join("train-labels-idx1-ubyte"), bytes).unwrap();
}

fn cifar_batch(d: &Path, bytes: &[u8]) {
    cifar(d);
    std::fs::write(d.join("cifar-10-batches-bin/data_batch_2.bin"), bytes).unwrap();
}

const CASES: &[Case] = &[
    // Invocations.
    Case {
        name: "no command",
        setup: nothing,
        args: "",
        status: USAGE,
        says: "a command is needed",
        hint: Some("--help"),
    },
    Case {
        name: "unknown command",
        setup: nothing,
        args: "frobnicate",
        status: USAGE,
        says: "frobnicate",
        hint: Some("--help"),
    },
    Case {
        name: "unknown option",
        setup: nothing,
        args: "reproduce --bogus",
        status: USAGE,
        says: "--bogus",
        hint: Some(""),
    },
    Case {
        name: "explore without a dataset",
        setup: nothing,
        args: "explore --out {out}",
        status: USAGE,
        says: "--dataset",
        hint: Some("explore --help"),
    },
    Case {
        name: "unknown dataset",
        setup: nothing,
        args: "explore --dataset svhn --out {out}",
        status: USAGE,
        says: "\"svhn\"",
        hint: None,
    },
    Case {
        name: "zero hidden units",
        setup: mnist,
        args: "explore --dataset mnist --hidden 0 --data-dir {data} --out {out}",
        status: USAGE,
        says: "'0' for '--hidden",
        hint: Some("--help"),
    },
    Case {
        name: "negative hidden units",
        setup: mnist,
        args: "explore --dataset mnist --hidden -3 --data-dir {data} --out {out}",
        status: USAGE,
        says: "-3",
        hint: Some(""),
    },
    Case {
        name: "hidden units not a number",
        setup: mnist,
        args: "explore --dataset mnist --hidden ten --data-dir {data} --out {out}",
        status: USAGE,
        says: "'ten' for '--hidden",
        hint: Some("--help"),
    },
    Case {
        name: "too many hidden units",
        setup: mnist,
        args: "explore --dataset mnist --hidden 99999999 --data-dir {data} --out {out}",
        status: USAGE,
        says: "1..=4096",
        hint: Some("--help"),
    },
    Case {
        name: "zero epochs",
        setup: mnist,
        args: "explore --dataset mnist --epochs 0 --data-dir {data} --out {out}",
        status: USAGE,
        says: "'0' for '--epochs",
        hint: Some("--help"),
    },
    Case {
        name: "too many epochs",
        setup: mnist,
        args: "explore --dataset mnist --epochs 1001 --data-dir {data} --out {out}",
        status: USAGE,
        says: "1..=1000",
        hint: Some("--help"),
    },
    Case {
        name: "unknown language",
        setup: mnist,
        args: "reproduce --lang fr --data-dir {data} --out {out}",
        status: USAGE,
        says: "invalid value 'fr' for '--lang <LANG>' [possible values: en, ko]",
        hint: Some("reproduce --help"),
    },
    Case {
        name: "language in capitals",
        setup: mnist,
        args: "figures --lang KO --data-dir {data} --out {out}",
        status: USAGE,
        says: "'KO' for '--lang",
        hint: Some("figures --help"),
    },
    Case {
        name: "language without a value",
        setup: mnist,
        args: "explore --dataset mnist --lang --data-dir {data} --out {out}",
        status: USAGE,
        says: "--lang",
        hint: Some("--help"),
    },
    Case {
        name: "sweep with zero epochs",
        setup: mnist,
        args: "sweep --epochs 0 --data-dir {data} --out {out}",
        status: USAGE,
        says: "'0' for '--epochs",
        hint: Some("--help"),
    },
    Case {
        name: "bench with zero epochs",
        setup: mnist,
        args: "bench --epochs 0 --skip-peers --data-dir {data}",
        status: USAGE,
        says: "'0' for '--epochs",
        hint: Some("--help"),
    },
    Case {
        name: "unknown network",
        setup: mnist,
        args: "reproduce --only mnist-3layer --data-dir {data} --out {out}",
        status: USAGE,
        says: "mnist-3layer",
        hint: None,
    },
    Case {
        name: "unknown download set",
        setup: nothing,
        args: "download --dataset svhn --data-dir {data}",
        status: USAGE,
        says: "\"svhn\"",
        hint: None,
    },
    Case {
        name: "malformed protocol",
        setup: mnist,
        args: "bench-epochs --protocol {nope --data-dir {data}",
        status: USAGE,
        says: "--protocol",
        hint: None,
    },
    // Data that is not there.
    Case {
        name: "empty data folder",
        setup: nothing,
        args: "explore --dataset mnist --data-dir {data} --out {out}",
        status: FAILED,
        says: "offline, and 4 data files are missing: put train-images-idx3-ubyte.gz (https://",
        hint: Some("fetched and verified (11.6 MB)"),
    },
    Case {
        name: "data folder does not exist",
        setup: nothing,
        args: "explore --dataset mnist --data-dir {data}/nowhere --out {out}",
        status: FAILED,
        says: "nowhere/mnist",
        hint: Some("fetched and verified"),
    },
    Case {
        name: "data folder is a file",
        setup: |d| std::fs::write(d.join("file"), b"x").unwrap(),
        args: "explore --dataset mnist --data-dir {data}/file --out {out}",
        status: FAILED,
        says: "file: expected a directory",
        hint: Some("must name a folder"),
    },
    Case {
        name: "CIFAR-10 missing",
        setup: mnist,
        args: "explore --dataset cifar10 --data-dir {data} --out {out}",
        status: FAILED,
        says: "put cifar-10-binary.tar.gz (https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz) in",
        hint: Some("(170.1 MB)"),
    },
    Case {
        name: "IDX folder missing files",
        setup: |d| std::fs::create_dir(d.join("fashion")).unwrap(),
        args: "explore --dataset idx:{data}/fashion --out {out}",
        status: FAILED,
        says: "missing",
        hint: Some("train-images-idx3-ubyte"),
    },
    // Data that is there but wrong: the error says what is wrong, and no hint to place files.
    Case {
        name: "truncated images",
        setup: |d| mnist_images(d, &idx_bytes(&[60, 28, 28], &[0; 60 * 784])[..5000]),
        args: "explore --dataset mnist --data-dir {data} --out {out}",
        status: FAILED,
        says: "train-images-idx3-ubyte",
        hint: None,
    },
    Case {
        name: "images with a wrong magic",
        setup: |d| mnist_images(d, b"\x00\x00\x0d\x03rest of a file that is not IDX"),
        args: "explore --dataset mnist --data-dir {data} --out {out}",
        status: FAILED,
        says: "train-images-idx3-ubyte",
        hint: None,
    },
    Case {
        name: "images not 28x28",
        setup: |d| mnist_images(d, &idx_bytes(&[60, 10, 10], &[0; 6000])),
        args: "explore --dataset mnist --data-dir {data} --out {out}",
        status: FAILED,
        says: "train-images-idx3-ubyte",
        hint: None,
    },
    Case {
        name: "labels not images' count",
        setup: |d| mnist_labels(d, &idx_bytes(&[59], &[0; 59])),
        args: "explore --dataset mnist --data-dir {data} --out {out}",
        status: FAILED,
        says: "train-labels-idx1-ubyte",
        hint: None,
    },
    Case {
        name: "label out of range",
        setup: |d| mnist_labels(d, &idx_bytes(&[60], &[12; 60])),
        args: "explore --dataset mnist --data-dir {data} --out {out}",
        status: FAILED,
        says: "12",
        hint: None,
    },
    Case {
        name: "not gzip inside .gz",
        setup: |d| {
            mnist(d);
            std::fs::write(
                d.join("mnist/train-images-idx3-ubyte.gz"),
                [0x1f, 0x8b, 0, 1, 2, 3],
            )
            .unwrap();
        },
        args: "explore --dataset mnist --data-dir {data} --out {out}",
        status: FAILED,
        says: "train-images-idx3-ubyte.gz",
        hint: None,
    },
    Case {
        name: "oversized header",
        setup: |d| {
            mnist(d);
            let mut h = idx_bytes(&[0xffff_ffff, 0xffff_ffff, 0xffff_ffff], &[]);
            h.extend([0; 16]);
            std::fs::write(d.join("mnist/train-images-idx3-ubyte.gz"), gzip(&h)).unwrap();
        },
        args: "explore --dataset mnist --data-dir {data} --out {out}",
        status: FAILED,
        says: "train-images-idx3-ubyte.gz",
        hint: None,
    },
    Case {
        name: "CIFAR batch of a wrong length",
        setup: |d| cifar_batch(d, &[1; 10]),
        args: "explore --dataset cifar10 --data-dir {data} --out {out}",
        status: FAILED,
        says: "data_batch_2.bin",
        hint: None,
    },
    Case {
        name: "CIFAR label of 12",
        setup: |d| cifar_batch(d, &cifar_records(&[12; 12], &vec![0; 12 * 3072])),
        args: "explore --dataset cifar10 --data-dir {data} --out {out}",
        status: FAILED,
        says: "data_batch_2.bin",
        hint: None,
    },
    // Models from elsewhere that cannot be read or do not fit.
    Case {
        name: "model file missing",
        setup: mnist,
        args: "explore --dataset mnist --model {data}/none.safetensors --data-dir {data} --out {out}",
        status: FAILED,
        says: "none.safetensors",
        hint: None,
    },
    Case {
        name: "model file truncated",
        setup: |d| {
            mnist(d);
            let bytes = std::fs::read(pytorch_fixture()).unwrap();
            std::fs::write(d.join("m.safetensors"), &bytes[..bytes.len() / 2]).unwrap();
        },
        args: "explore --dataset mnist --activation relu --model {data}/m.safetensors --data-dir {data} --out {out}",
        status: FAILED,
        says: "m.safetensors: not a valid safetensors file",
        hint: None,
    },
    Case {
        name: "model with a hostile header length",
        setup: |d| {
            mnist(d);
            let mut bytes = u64::MAX.to_le_bytes().to_vec();
            bytes.extend_from_slice(b"{}");
            std::fs::write(d.join("m.safetensors"), bytes).unwrap();
        },
        args: "explore --dataset mnist --model {data}/m.safetensors --data-dir {data} --out {out}",
        status: FAILED,
        says: "more than the 16777216 this reader accepts",
        hint: None,
    },
    Case {
        name: "model without its activation",
        setup: mnist,
        args: "explore --dataset mnist --model {root}/fixtures/pytorch/mnist_784_16_10.safetensors --data-dir {data} --out {out}",
        status: FAILED,
        says: "give --activation",
        hint: None,
    },
    Case {
        name: "model for other images",
        setup: cifar,
        args: "explore --dataset cifar10 --activation relu --model {root}/fixtures/pytorch/mnist_784_16_10.safetensors --data-dir {data} --out {out}",
        status: FAILED,
        says: "takes 784 inputs, and CIFAR-10 images have 3072 (3x32x32)",
        hint: None,
    },
    Case {
        name: "malformed input scale",
        setup: mnist,
        args: "explore --dataset mnist --activation relu --input-scale 0.1,-2 --model {root}/fixtures/pytorch/mnist_784_16_10.safetensors --data-dir {data} --out {out}",
        status: USAGE,
        says: "--input-scale \"0.1,-2\"",
        hint: None,
    },
    Case {
        name: "labels without a model",
        setup: mnist,
        args: "explore --dataset mnist --labels a,b --data-dir {data} --out {out}",
        status: USAGE,
        says: "--model",
        hint: Some("--help"),
    },
    // Outputs that cannot be written: the error names the path.
    Case {
        name: "output is a file",
        setup: |d| {
            mnist(d);
            std::fs::write(d.join("taken"), b"mine").unwrap();
        },
        args: "explore --dataset mnist --epochs 1 --data-dir {data} --out {data}/taken",
        status: FAILED,
        says: "taken",
        hint: None,
    },
    Case {
        name: "output under a file",
        setup: |d| {
            mnist(d);
            std::fs::write(d.join("taken"), b"mine").unwrap();
        },
        args: "explore --dataset mnist --epochs 1 --data-dir {data} --out {data}/taken/out",
        status: FAILED,
        says: "taken",
        hint: None,
    },
];

fn pytorch_fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/pytorch/mnist_784_16_10.safetensors")
}

/// Runs `case`; its exit status and stderr lines when it behaves, what is wrong otherwise.
fn run(case: &Case) -> Result<String, String> {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let out = root.path().join("out");
    std::fs::create_dir(&data).unwrap();
    (case.setup)(&data);
    let before: Vec<(PathBuf, Vec<u8>)> = files_under(&data)
        .into_iter()
        .map(|f| {
            let bytes = std::fs::read(&f).unwrap();
            (f, bytes)
        })
        .collect();
    let args: Vec<String> = case
        .args
        .split_whitespace()
        .map(|a| {
            a.replace("{data}", &data.display().to_string())
                .replace("{out}", &out.display().to_string())
                .replace("{root}", env!("CARGO_MANIFEST_DIR"))
        })
        .collect();
    let output = experiments_cmd()
        .args(&args)
        .env("ML4A_CACHE", root.path().join("cache"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    let fail = |why: &str| Err(format!("{why}\n  args: {args:?}\n  stderr:\n{stderr}"));
    if output.status.code() != Some(case.status) {
        return fail(&format!(
            "exit status {:?}, expected {}",
            output.status.code(),
            case.status
        ));
    }
    if stderr.contains("panicked") || stderr.contains("backtrace") {
        return fail("panicked");
    }
    let Some(error) = lines.first().and_then(|l| l.strip_prefix("error: ")) else {
        return fail("the first line is not an `error:` line");
    };
    if !error.contains(case.says) {
        return fail(&format!("the error line does not say {:?}", case.says));
    }
    match (case.hint, lines.get(1)) {
        (None, None) if lines.len() == 1 => {}
        (Some(h), Some(l)) if lines.len() == 2 && l.starts_with("hint: ") && l.contains(h) => {}
        _ => {
            return fail(&format!(
                "expected {} hint line ({:?})",
                if case.hint.is_some() { "one" } else { "no" },
                case.hint
            ));
        }
    }
    // Nothing written: no output folder content, the data folder exactly as it was.
    if out.exists() && !files_under(&out).is_empty() {
        return fail(&format!("wrote {:?}", files_under(&out)));
    }
    let after = files_under(&data);
    if after.len() != before.len()
        || before
            .iter()
            .any(|(f, b)| std::fs::read(f).ok().as_ref() != Some(b))
    {
        return fail(&format!("the data folder changed: {after:?}"));
    }
    Ok(format!("{} | {}", case.status, lines.join(" / ")))
}

#[test]
fn every_bad_input_ends_in_one_clear_line() {
    assert!(CASES.len() >= 30, "{} cases", CASES.len());
    let mut failures = Vec::new();
    // The table, for `--nocapture`: each case, its exit status and what it printed.
    for c in CASES {
        match run(c) {
            Ok(line) => eprintln!("| {} | {line} |", c.name),
            Err(e) => failures.push(format!("{}: {e}", c.name)),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}
