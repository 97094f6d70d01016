//! `cargo xtask bench`: our training epochs against the numpy and PyTorch peers, side by side in
//! one run, under one protocol (plain SGD, batch 64, inputs u8/255, the training loop timed).
//!
//! The peers live in `xtask/peers/`. They run in a virtual environment under
//! `target/bench-venv`, created on first use with numpy and torch from PyPI (torch takes
//! minutes and gigabytes, which is why CI never runs this).

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde_json::Value;

const NETWORKS: [&str; 4] = [
    "mnist-784-10",
    "mnist-784-10-10",
    "cifar-3072-10",
    "cifar-3072-10-10",
];

/// Median of per-epoch seconds, in ms.
fn median_ms(v: &Value) -> Option<f64> {
    let mut s: Vec<f64> = v
        .get("epoch_seconds")?
        .as_array()?
        .iter()
        .filter_map(Value::as_f64)
        .collect();
    if s.is_empty() {
        return None;
    }
    s.sort_by(f64::total_cmp);
    Some(1000.0 * s[s.len() / 2])
}

fn last_json_line(out: &[u8]) -> Result<Value> {
    let text = String::from_utf8_lossy(out);
    let line = text
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .context("no JSON line in the output")?;
    Ok(serde_json::from_str(line)?)
}

fn venv(root: &Path) -> Result<std::path::PathBuf> {
    let dir = root.join("target/bench-venv");
    let py = dir.join("bin/python");
    let ready = Command::new(&py)
        .args(["-c", "import numpy, torch"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ready {
        eprintln!(
            "creating {} with numpy and torch (first run only; torch is large)",
            dir.display()
        );
        let ok = Command::new("python3")
            .arg("-m")
            .arg("venv")
            .arg(&dir)
            .status()?
            .success()
            && Command::new(dir.join("bin/pip"))
                .args(["install", "--quiet", "numpy", "torch"])
                .status()?
                .success();
        if !ok {
            bail!("could not set up {}", dir.display());
        }
    }
    Ok(py)
}

pub(crate) fn run(root: &Path, args: &[String]) -> Result<std::process::ExitCode> {
    let mut epochs = 10usize;
    let mut peers = true;
    let mut data_dir: Option<String> = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--epochs" => epochs = it.next().context("--epochs needs a value")?.parse()?,
            "--skip-peers" => peers = false,
            "--data-dir" => data_dir = Some(it.next().context("--data-dir needs a value")?.clone()),
            other => bail!("unknown bench option {other:?}"),
        }
    }
    let data_dir = data_dir
        .or_else(|| std::env::var("ML4A_DATA").ok())
        .unwrap_or_else(|| root.join("data").display().to_string());
    let status = crate::cargo()
        .current_dir(root)
        .args(["build", "--quiet", "--release", "-p", "experiments"])
        .status()?;
    if !status.success() {
        bail!("building experiments failed");
    }
    let py = if peers { Some(venv(root)?) } else { None };
    let mut rows = Vec::new();
    for net in NETWORKS {
        let mut results: Vec<(String, Value)> = Vec::new();
        eprintln!("{net}: ours");
        let out = crate::cargo()
            .current_dir(root)
            .args([
                "run",
                "--quiet",
                "--release",
                "-p",
                "experiments",
                "--",
                "bench-epochs",
                "--network",
                net,
                "--epochs",
                &epochs.to_string(),
                "--data-dir",
                &data_dir,
            ])
            .output()?;
        if !out.status.success() {
            bail!(
                "ours failed on {net}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        results.push(("ours".into(), last_json_line(&out.stdout)?));
        if let Some(py) = &py {
            for (name, script) in [("numpy", "numpy_sgd.py"), ("pytorch", "torch_sgd.py")] {
                eprintln!("{net}: {name}");
                let out = Command::new(py)
                    .current_dir(root.join("xtask/peers"))
                    .env("OMP_NUM_THREADS", "2")
                    // Set on some machines to work around old OpenBLAS builds; they force a slow
                    // generic kernel on a current numpy, which would make the peer look worse
                    // than it is.
                    .env_remove("OPENBLAS_CORETYPE")
                    .env_remove("OPENBLAS_L2_SIZE")
                    .args([script, net, &data_dir, &epochs.to_string()])
                    .output()?;
                if !out.status.success() {
                    bail!(
                        "{name} failed on {net}: {}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                }
                results.push((name.into(), last_json_line(&out.stdout)?));
            }
        }
        rows.push((net, results));
    }
    println!(
        "\nper epoch (median of {epochs}), held-out accuracy after {epochs} epochs, peak RSS\n"
    );
    println!(
        "{:<18} {:>22} {:>22} {:>22} {:>9} {:>9}",
        "network", "ours", "numpy", "pytorch", "vs numpy", "vs torch"
    );
    let mut pass = true;
    for (net, results) in &rows {
        let get = |name: &str| results.iter().find(|(n, _)| n == name).map(|(_, v)| v);
        let cell = |name: &str| {
            get(name).map_or("-".to_string(), |v| {
                format!(
                    "{:.1} ms {:.2}% {:.0}M",
                    median_ms(v).unwrap_or(f64::NAN),
                    100.0 * v["heldout_accuracy"].as_f64().unwrap_or(f64::NAN),
                    v["peak_rss_mib"].as_f64().unwrap_or(f64::NAN)
                )
            })
        };
        let ours = get("ours").and_then(median_ms).unwrap_or(f64::NAN);
        let ratio = |name: &str| get(name).and_then(median_ms).map(|t| t / ours);
        let (rn, rt) = (ratio("numpy"), ratio("pytorch"));
        if rn.is_some_and(|r| r < 2.0) || rt.is_some_and(|r| r < 5.0) {
            pass = false;
        }
        let fmt = |r: Option<f64>| r.map_or("-".into(), |r| format!("{r:.1}x"));
        println!(
            "{:<18} {:>22} {:>22} {:>22} {:>9} {:>9}",
            net,
            cell("ours"),
            cell("numpy"),
            cell("pytorch"),
            fmt(rn),
            fmt(rt)
        );
    }
    println!(
        "\nbar: >= 2x faster than numpy and >= 5x faster than PyTorch per epoch: {}",
        if pass { "met" } else { "NOT met" }
    );
    Ok(if pass {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::from(1)
    })
}
