//! `cargo xtask`: the project's automation, kept thin (matklad's cargo-xtask pattern).
//!
//! - `reproduce`, `figures`, `explore`, `download`, `sweep`, `convnet` and `bench` run the `experiments`
//!   binary in release mode with the arguments given (see `cargo xtask <task> --help`).
//! - `tidy` checks the source tree's own rules (see [`tidy`]); its checks are also tests.
//!
//! Everything heavy runs in the `experiments` binary, built in release mode: xtask has no path
//! dependencies, so its own debug build never links the training code.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};

mod tidy;

#[derive(Parser)]
#[command(name = "cargo xtask", about = "The ml4a-rs project's tasks")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

/// The tasks that run the `experiments` binary take its arguments as they are.
#[derive(Subcommand)]
enum Task {
    /// Train the chapter's four networks, check them against the chapter, write every figure,
    /// demo and report.
    Reproduce(Forwarded),
    /// Every figure, from cached models where they match.
    Figures(Forwarded),
    /// The same analysis for any dataset the loader reads: --dataset mnist|cifar10|idx:DIR.
    Explore(Forwarded),
    /// Fetch and verify the official archives.
    Download(Forwarded),
    /// Held-out accuracy over hidden widths and depths.
    Sweep(Forwarded),
    /// Train the two convolutional networks of claim 10 (cached; `reproduce` reads them).
    Convnet(Forwarded),
    /// Our training epochs against numpy and PyTorch, side by side.
    Bench(Forwarded),
    /// Check the source tree's rules: crate graph, crate docs, lints, unsafe comments, deps.
    Tidy,
}

#[derive(clap::Args)]
struct Forwarded {
    /// Arguments for `experiments <task>` (`--help` shows them).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.task {
        Task::Reproduce(f) => experiments("reproduce", &f.args),
        Task::Figures(f) => experiments("figures", &f.args),
        Task::Explore(f) => experiments("explore", &f.args),
        Task::Download(f) => experiments("download", &f.args),
        Task::Sweep(f) => experiments("sweep", &f.args),
        Task::Convnet(f) => experiments("convnet", &f.args),
        Task::Bench(f) => experiments("bench", &f.args),
        Task::Tidy => tidy::run(&project_root()),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
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

/// The cargo that runs us, so a `cargo +toolchain xtask` keeps its toolchain.
fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// Runs `experiments TASK ARGS...` in release mode from the project root, passing its exit code
/// through (reproduce exits 1 when a target is missed, 2 for a bad invocation).
fn experiments(task: &str, rest: &[String]) -> Result<ExitCode> {
    let mut cmd = cargo();
    cmd.current_dir(project_root())
        .args(["run", "--quiet", "--release"]);
    // Offline means no network at all: the build does not reach for the registry either.
    let offline_env =
        std::env::var("ML4A_OFFLINE").is_ok_and(|v| matches!(v.trim(), "1" | "true" | "yes"));
    if offline_env || rest.iter().any(|a| a == "--offline") {
        cmd.arg("--offline");
    }
    let status = cmd
        .args([
            "--package",
            "ml4a-experiments",
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
