//! `cargo xtask`: the project's automation, kept thin (matklad's cargo-xtask pattern).
//!
//! - `cargo xtask reproduce [--data-dir DIR] [--out DIR]`: train the chapter's four networks,
//!   check them against the chapter, write every figure, summary and report.
//! - `cargo xtask figures [--data-dir DIR] [--out DIR]`: every figure, from cached models.
//! - `cargo xtask explore --dataset mnist|cifar10|idx:DIR [--hidden N] [--out DIR]`.
//! - `cargo xtask download [--data-dir DIR]`: fetch and verify the official archives.
//! - `cargo xtask sweep [--epochs N]`: MNIST accuracy over hidden widths and depths.
//! - `cargo xtask bench`: our training epochs against numpy and PyTorch, side by side.
//!
//! Everything heavy runs in the `experiments` binary, built in release mode: xtask has no path
//! dependencies, so its own debug build never links the training code.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context, Result, bail};

mod bench;

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("xtask: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// The workspace root: xtask's manifest sits one level below it.
fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives inside the workspace")
        .to_path_buf()
}

fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

fn run() -> Result<ExitCode> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((task, rest)) = args.split_first() else {
        print_help();
        return Ok(ExitCode::from(2));
    };
    match task.as_str() {
        "reproduce" | "figures" | "explore" | "download" | "sweep" => experiments(task, rest),
        "bench" => bench::run(&project_root(), rest),
        "help" | "--help" | "-h" => {
            print_help();
            Ok(ExitCode::SUCCESS)
        }
        other => bail!("unknown task {other:?}; try `cargo xtask help`"),
    }
}

/// Runs `experiments TASK ARGS...` in release mode from the project root, passing its exit code
/// through (reproduce exits 1 when a target is missed).
fn experiments(task: &str, rest: &[String]) -> Result<ExitCode> {
    let status = cargo()
        .current_dir(project_root())
        .args([
            "run",
            "--quiet",
            "--release",
            "--package",
            "experiments",
            "--bin",
            "experiments",
            "--",
        ])
        .arg(task)
        .args(rest)
        .status()
        .context("running cargo")?;
    Ok(match status.code() {
        Some(0) => ExitCode::SUCCESS,
        Some(c) => ExitCode::from(c.clamp(1, 255) as u8),
        None => bail!("experiments was killed by a signal"),
    })
}

fn print_help() {
    eprintln!(
        "cargo xtask <task>\n\n  reproduce [--data-dir DIR] [--out DIR] [--only ID,..]  train the chapter's networks, write figures and reports\n  figures   [--data-dir DIR] [--out DIR]                every figure, from cached models where they match\n  explore   --dataset mnist|cifar10|idx:DIR [--hidden N] [--epochs N] [--out DIR]\n  download  [--data-dir DIR] [--dataset mnist|cifar10]  fetch and verify the official archives\n  sweep     [--data-dir DIR] [--out DIR] [--epochs N]   MNIST accuracy over hidden widths and depths\n  bench     [--epochs N] [--skip-peers]                 our epochs against numpy and PyTorch"
    );
}
