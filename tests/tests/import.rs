//! Models from elsewhere: a network trained and saved by PyTorch (the fixture in
//! `tests/fixtures/pytorch/`, made by the script beside it) gives PyTorch's own logits through
//! our forward pass; `explore --model` runs the whole analysis on it through the real binary;
//! a model we export reads back as the same network.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use datasets::{ChannelStats, InputScaling};
use ml4a_tests::{check_whole, experiments_cmd, files_under, write_cifar, write_mnist};
use nn::safetensors::{ImportOptions, read};
use tensor::Matrix;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/pytorch")
        .join(name)
}

/// The fixture's inputs and PyTorch's logits for them.
fn pytorch_outputs() -> (Vec<u8>, Vec<f32>) {
    let bytes = std::fs::read(fixture("mnist_784_16_10_outputs.safetensors")).unwrap();
    let file = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let images = file.tensor("images").unwrap();
    assert_eq!(images.shape(), [100, 784]);
    let logits = file.tensor("logits").unwrap();
    assert_eq!(logits.shape(), [100, 10]);
    let logits = logits
        .data()
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect();
    (images.data().to_vec(), logits)
}

#[test]
fn our_forward_pass_gives_pytorchs_logits() {
    let opts = ImportOptions {
        activation: Some(nn::Activation::Relu),
        ..Default::default()
    };
    let imported = read(&fixture("mnist_784_16_10.safetensors"), &opts).unwrap();
    assert_eq!(imported.layers, ["0", "2"]);
    assert_eq!(imported.model.architecture().widths(), [784, 16, 10]);
    let (images, expected) = pytorch_outputs();
    // torchvision's MNIST normalisation, as the fixture's script trained with.
    let scaling = InputScaling::Standardize(ChannelStats {
        mean: vec![0.1307],
        std: vec![0.3081],
    });
    let x = Matrix::from_fn(100, 784, |i, j| scaling.apply(0, images[i * 784 + j]));
    let ours = imported.model.forward(x.view());
    let mut worst = 0f32;
    for i in 0..100 {
        let row = &ours.as_slice()[i * 10..i * 10 + 10];
        let theirs = &expected[i * 10..i * 10 + 10];
        for (a, b) in row.iter().zip(theirs) {
            worst = worst.max((a - b).abs());
        }
        let argmax = |r: &[f32]| (0..10).max_by(|&a, &b| r[a].total_cmp(&r[b])).unwrap();
        assert_eq!(argmax(row), argmax(theirs), "image {i}");
    }
    eprintln!("worst logit difference against PyTorch: {worst:e}");
    assert!(worst <= 1e-4, "worst logit difference {worst}");
}

#[test]
fn explore_looks_inside_the_pytorch_model_without_training() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let out = root.path().join("out");
    write_mnist(&data, 120, 60, 3);
    let output = experiments_cmd()
        .args(["explore", "--dataset", "mnist", "--activation", "relu"])
        .args(["--input-scale", "0.1307,0.3081", "--model"])
        .arg(fixture("mnist_784_16_10.safetensors"))
        .arg("--data-dir")
        .arg(&data)
        .arg("--out")
        .arg(&out)
        .env("ML4A_CACHE", root.path().join("cache"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stderr}");
    assert!(stdout.contains("mnist_784_16_10"), "{stdout}");
    let files: Vec<String> = files_under(&out)
        .iter()
        .map(|p| p.strip_prefix(&out).unwrap().display().to_string())
        .collect();
    for want in [
        "index.html",
        "explore.json",
        "demos/confusion.html",
        "demos/weights.html",
        "figures/mnist_784_16_10-templates.png",
        "figures/mnist_784_16_10-confusion.png",
        "figures/mnist_784_16_10-confusion-samples.png",
        "figures/mnist_784_16_10-mistakes.png",
        "figures/mnist_784_16_10-weights.png",
    ] {
        assert!(
            files.iter().any(|f| f == want),
            "{want} missing from {files:?}"
        );
    }
    for f in files_under(&out) {
        check_whole(&f).unwrap();
    }
    assert!(!out.join("models").exists(), "nothing was trained");
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(
        index.contains("demos/confusion.html"),
        "index links the demos"
    );
}

#[test]
fn explore_names_classes_from_labels_and_refuses_a_model_that_does_not_fit() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    write_mnist(&data, 60, 20, 4);
    write_cifar(&data, 12, 6, 5);
    let run = |dataset: &str, extra: &[&str]| {
        experiments_cmd()
            .args([
                "explore",
                "--dataset",
                dataset,
                "--activation",
                "relu",
                "--model",
            ])
            .arg(fixture("mnist_784_16_10.safetensors"))
            .args(extra)
            .arg("--data-dir")
            .arg(&data)
            .arg("--out")
            .arg(root.path().join(format!("out-{dataset}")))
            .env("ML4A_CACHE", root.path().join("cache"))
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    // A 784-input model on 3x32x32 images: both shapes named, exit 1, nothing written.
    let o = run("cifar10", &[]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("takes 784 inputs") && stderr.contains("3072 (3x32x32)"),
        "{stderr}"
    );
    assert!(!root.path().join("out-cifar10").exists());

    let names = "zero,one,two,three,four,five,six,seven,eight,nine";
    let o = run("mnist", &["--labels", names]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let summary = std::fs::read_to_string(root.path().join("out-mnist/explore.json")).unwrap();
    let demo = std::fs::read_to_string(root.path().join("out-mnist/demos/confusion.html")).unwrap();
    assert!(demo.contains("seven"), "the demo uses the names given");
    assert!(!summary.is_empty());

    let o = run("mnist", &["--labels", "a,b,c"]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--labels"), "{stderr}");
}

#[test]
fn a_model_we_export_explores_to_the_same_figures_and_numbers() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    write_mnist(&data, 300, 100, 6);
    let explore = |out: &Path, extra: &[&std::ffi::OsStr]| {
        let o = experiments_cmd()
            .args(["explore", "--dataset", "mnist"])
            .args(extra)
            .arg("--data-dir")
            .arg(&data)
            .arg("--out")
            .arg(out)
            .env("ML4A_CACHE", root.path().join("cache"))
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    let trained = root.path().join("trained");
    explore(
        &trained,
        &[
            "--hidden".as_ref(),
            "10".as_ref(),
            "--epochs".as_ref(),
            "3".as_ref(),
        ],
    );
    let exported: Vec<PathBuf> = files_under(&trained.join("models"))
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n == "model.safetensors"))
        .collect();
    assert_eq!(
        exported.len(),
        1,
        "one model exported beside its checkpoint"
    );
    let imported = root.path().join("imported");
    explore(&imported, &["--model".as_ref(), exported[0].as_os_str()]);

    let figures = |out: &Path| {
        files_under(&out.join("figures"))
            .into_iter()
            .map(|p| {
                (
                    p.file_name().unwrap().to_owned(),
                    std::fs::read(&p).unwrap(),
                )
            })
            .collect::<Vec<_>>()
    };
    let (a, b) = (figures(&trained), figures(&imported));
    assert!(a.len() >= 5, "{} figures", a.len());
    assert_eq!(
        a.iter().map(|(n, _)| n).collect::<Vec<_>>(),
        b.iter().map(|(n, _)| n).collect::<Vec<_>>()
    );
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        assert!(x == y, "{name:?} differs after the round trip");
    }
    let accuracies = |out: &Path| {
        let v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("explore.json")).unwrap()).unwrap();
        let net = &v["experiments"][0];
        (
            net["heldout_accuracy"].clone(),
            net["test_accuracy"].clone(),
        )
    };
    let (t, i) = (accuracies(&trained), accuracies(&imported));
    assert!(t.0.is_number(), "{t:?}");
    assert_eq!(t, i);
}
