//! `experiments`: the command line of the chapter. `cargo xtask reproduce | figures | explore`
//! runs this binary in release mode.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{CommandFactory, Parser, Subcommand};
use experiments::fetch::FetchPolicy;
use experiments::pipeline::{self, PipelineOptions, Progress, Results};
use experiments::report::{self, Reproduce};
use experiments::spec::DataKind;
use experiments::training::Trained;
use experiments::{DataDir, ExperimentError, Lang, NetworkId, Spec, bench, figures};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

#[derive(Parser)]
#[command(
    name = "experiments",
    about = "Looking inside neural nets: train the chapter's networks and draw its figures"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Clone)]
struct Common {
    /// Directory holding mnist/ and cifar-10-batches-bin/ (default: $ML4A_DATA, else data/).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Output directory.
    #[arg(long, default_value = "out")]
    out: PathBuf,
    /// Never touch the network: missing data files are an error (also ML4A_OFFLINE=1).
    #[arg(long)]
    offline: bool,
}

/// The language of the words inside the figures (both report pages are always written).
#[derive(clap::Args, Clone, Copy)]
struct LangArg {
    /// Language of the text drawn in the figures, and of the report page to open: en or ko.
    /// Both index.html (English) and index.ko.html (Korean) are written either way.
    #[arg(long = "lang", value_enum, default_value_t = Lang::En)]
    lang: Lang,
}

/// `explore --model`: a model trained elsewhere, looked inside without training.
#[derive(clap::Args, Clone)]
struct ImportArgs {
    /// A dense network saved as safetensors (PyTorch, JAX, Keras, or ours): analysed as it is,
    /// without training.
    #[arg(long)]
    model: Option<PathBuf>,
    /// Class names, comma-separated, or a file with one name a line.
    #[arg(long, requires = "model")]
    labels: Option<String>,
    /// How the model expects its inputs: unit (x/255, the default), centred, MEAN,STD, or
    /// M1,M2,M3/S1,S2,S3 per channel.
    #[arg(long, requires = "model")]
    input_scale: Option<String>,
    /// The hidden layers' activation, when the file does not record it.
    #[arg(long, requires = "model", value_parser = ["relu", "sigmoid", "tanh", "identity"])]
    activation: Option<String>,
    /// The layer names in order (fc1,fc2,fc3), when their names do not tell.
    #[arg(long, requires = "model", value_delimiter = ',')]
    layers: Vec<String>,
    /// The weights are stored inputs x outputs (Flax and Keras kernels).
    #[arg(long, requires = "model")]
    transpose: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Train all four networks afresh, check them against the chapter, write every figure and report.
    Reproduce {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        lang: LangArg,
        /// Only these networks (default: all four).
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,
    },
    /// Write every figure, from cached models when they match, training otherwise.
    Figures {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        lang: LangArg,
    },
    /// Train and look inside a network on any dataset the toolkit reads.
    Explore {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        lang: LangArg,
        /// mnist, cifar10 or idx:DIR (a folder with the four standard IDX files).
        #[arg(long)]
        dataset: String,
        /// Hidden units, 1 to 4096 (none: a 1-layer network).
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..=4096), conflicts_with = "model")]
        hidden: Option<u64>,
        /// Training epochs, 1 to 1000.
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=1000), conflicts_with = "model")]
        epochs: u64,
        #[command(flatten)]
        import: ImportArgs,
    },
    /// Fetch and verify the official files of MNIST and/or CIFAR-10 into the data directory
    /// (the other commands do this by themselves when files are missing).
    Download {
        /// Directory to fill (default: $ML4A_DATA, else data/).
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// mnist, cifar10 or all.
        #[arg(long, default_value = "all")]
        dataset: String,
    },
    /// Held-out MNIST accuracy over hidden widths and depths: does adding layers keep helping?
    Sweep {
        #[command(flatten)]
        common: Common,
        /// Training epochs of every network, 1 to 1000.
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=1000))]
        epochs: u64,
    },
    /// Train the two convolutional networks of claim 10 (cached by content; `reproduce` reads them).
    Convnet {
        #[command(flatten)]
        common: Common,
        /// Only this network: mnist or cifar (default: both).
        #[arg(long)]
        only: Option<String>,
        /// Train even when the cache holds a matching model.
        #[arg(long)]
        fresh: bool,
        /// Override the spec's epochs (a different spec, cached under its own key).
        #[arg(long, hide = true)]
        epochs: Option<usize>,
    },
    /// Our training epochs against the numpy and PyTorch peers, side by side, with a verdict.
    Bench {
        /// Directory holding mnist/ and cifar-10-batches-bin/ (default: $ML4A_DATA, else data/).
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Epochs per implementation and network (the median is compared).
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=1000))]
        epochs: u64,
        /// Measure ours only: the table has no ratios and no verdict.
        #[arg(long)]
        skip_peers: bool,
        /// Never touch the network: missing data files are an error (also ML4A_OFFLINE=1).
        #[arg(long)]
        offline: bool,
        /// The peers' Python environment, created on first use.
        #[arg(long, default_value = "target/bench-venv")]
        venv: PathBuf,
        /// The two convolutional networks of claim 10 against PyTorch instead (default 5 epochs).
        #[arg(long)]
        conv: bool,
        /// Print the whole comparison as JSON on standard output (the table goes to standard
        /// error).
        #[arg(long)]
        json: bool,
        /// The cost curve instead: two epochs of 784-10 on synthetic IDX sets of 60k, 600k and
        /// 2.4M images (about 2 GB, written to a temporary folder and deleted after).
        #[arg(long, conflicts_with_all = ["conv", "skip_peers"])]
        scale: bool,
    },
    /// One size of `bench --scale`, in a process of its own; prints one JSON line.
    #[command(hide = true)]
    BenchScaleOne {
        /// The IDX folder.
        #[arg(long)]
        dir: PathBuf,
    },
    /// One network of the speed comparison, ours only, in a process of its own; prints one
    /// JSON line (run by `bench`).
    #[command(hide = true)]
    BenchEpochs {
        /// Directory holding mnist/ and cifar-10-batches-bin/.
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// The protocol, as JSON (`experiments::bench::Protocol`).
        #[arg(long)]
        protocol: String,
    },
    /// One convolutional network of `bench --conv`, ours only; prints one JSON line.
    #[command(hide = true)]
    BenchConvEpochs {
        /// Directory holding mnist/ and cifar-10-batches-bin/.
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// The protocol, as JSON (`experiments::bench_conv::ConvProtocol`).
        #[arg(long)]
        protocol: String,
    },
}

fn main() -> ExitCode {
    // Ctrl-C or SIGTERM: remove the temporary files of the writes in flight, so the output
    // folder holds whole files only, then exit as an interrupted program does. The handler runs
    // on a thread of its own, not in signal context, so it may take locks.
    let _ = ctrlc::set_handler(|| {
        atomicfile::abandon_all();
        eprintln!("interrupted: every file written so far is whole; run again to finish");
        std::process::exit(130);
    });
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e),
    };
    match dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            eprint!("{}", error_lines(&e));
            // 2 for a request that makes no sense (as clap's own usage errors), 1 for bad data or
            // a failed run.
            let usage = matches!(
                e.downcast_ref::<ExperimentError>(),
                Some(ExperimentError::Usage(_))
            );
            ExitCode::from(if usage { 2 } else { 1 })
        }
    }
}

/// A request that makes no sense: exit status 2.
fn usage<T>(message: String) -> Result<T> {
    Err(ExperimentError::Usage(message).into())
}

/// Help and version go to stdout as clap writes them; a bad invocation becomes one `error:` line
/// and one `hint:` line (clap's own tip when it has one), exit status 2.
fn usage_error(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        let _ = e.print();
        return ExitCode::SUCCESS;
    }
    let text = e.render().to_string();
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let mut what = lines
        .first()
        .copied()
        .unwrap_or("error: invalid arguments")
        .to_string();
    // "the following required arguments were not provided:" names them on the next line, and
    // a value outside a fixed set is followed by "[possible values: en, ko]".
    if let Some(next) = lines.get(1)
        && (what.ends_with(':') || next.starts_with("[possible values"))
    {
        what = format!("{what} {next}");
    }
    let what = what.strip_prefix("error: ").unwrap_or(&what);
    // The command whose help fits: from clap's usage line ("Usage: experiments explore ...").
    let command = lines
        .iter()
        .find_map(|l| l.strip_prefix("Usage: "))
        .map(|u| {
            u.split([' '])
                .take_while(|w| !w.starts_with(['[', '<', '-']))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| {
            // A bad value (`--lang fr`) comes without a usage line: the subcommand is argv's.
            std::env::args()
                .nth(1)
                .filter(|a| Cli::command().find_subcommand(a).is_some())
                .map_or_else(|| "experiments".to_string(), |s| format!("experiments {s}"))
        });
    let hint = lines
        .iter()
        .find_map(|l| l.strip_prefix("tip: "))
        .map_or_else(|| format!("see `{command} --help`"), str::to_string);
    if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        eprintln!("error: a command is needed\nhint: see `{command} --help`");
    } else {
        eprintln!("error: {what}\nhint: {hint}");
    }
    ExitCode::from(2)
}

/// One `error:` line (the error and those of its causes that it does not already say), then at
/// most one `hint:` line.
fn error_lines(e: &anyhow::Error) -> String {
    let mut message = e.to_string();
    for cause in e.chain().skip(1) {
        let text = cause.to_string();
        if !message.contains(&text) {
            message = format!("{message}: {text}");
        }
    }
    let hint = e
        .chain()
        .find_map(|c| c.downcast_ref::<ExperimentError>())
        .and_then(ExperimentError::hint);
    let mut out = format!("error: {}\n", message.replace('\n', " "));
    if let Some(h) = hint {
        out += &format!("hint: {}\n", h.replace('\n', " "));
    }
    out
}

/// The directory the defaults (`data/`, `out/`, `target/bench-venv`) are relative to: where the
/// command runs. `cargo xtask` runs it from the workspace root.
fn working_dir() -> PathBuf {
    std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."))
}

fn options(common: &Common, fresh: bool) -> PipelineOptions {
    PipelineOptions {
        data_dir: DataDir::resolve(common.data_dir.as_deref(), &working_dir()),
        cache_dir: Some(common.out.join("models")),
        fresh,
    }
}

fn dispatch(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Reproduce { common, lang, only } => {
            let lang = lang.lang;
            let ids: Vec<NetworkId> = if only.is_empty() {
                NetworkId::ALL.to_vec()
            } else {
                only.iter()
                    .map(|s| {
                        NetworkId::parse(s).ok_or_else(|| {
                            ExperimentError::Usage(format!(
                                "--only: unknown network {s:?} (mnist-1layer, mnist-2layer, cifar-1layer or cifar-2layer)"
                            ))
                        })
                    })
                    .collect::<Result<_, _>>()?
            };
            let specs: Vec<Spec> = ids.iter().map(|n| n.spec()).collect();
            let opts = options(&common, true);
            fetch_data(&opts.data_dir, &specs, common.offline)?;
            let run = pipeline::train_and_analyse(&specs, &opts, &mut Bars::new())?;
            let r = write_outputs(&run, &common.out, lang)?;
            print!("{}", report::table(&r, report::RunKind::Chapter));
            // The claims are findings: their verdicts never change the exit status.
            print!("{}", experiments::claims::table(&r.claims));
            println!("wrote {}", common.out.join(lang.index_file()).display());
            Ok(if r.all_pass() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Figures { common, lang } => {
            let lang = lang.lang;
            let specs: Vec<Spec> = NetworkId::ALL.iter().map(|n| n.spec()).collect();
            let opts = options(&common, false);
            fetch_data(&opts.data_dir, &specs, common.offline)?;
            let run = pipeline::train_and_analyse(&specs, &opts, &mut Bars::new())?;
            write_outputs(&run, &common.out, lang)?;
            println!("wrote {}", common.out.join("figures").display());
            println!("open {}", common.out.join(lang.index_file()).display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Download { data_dir, dataset } => {
            let dir = DataDir::resolve(data_dir.as_deref(), &working_dir());
            let kinds = match dataset.as_str() {
                "mnist" => vec![DataKind::Mnist],
                "cifar10" => vec![DataKind::Cifar10],
                "all" => vec![DataKind::Mnist, DataKind::Cifar10],
                s => usage(format!(
                    "--dataset must be mnist, cifar10 or all, not {s:?}"
                ))?,
            };
            let policy = FetchPolicy::from_env(false)?;
            let fetched = ensure(&dir, &kinds, &policy)?;
            if fetched.is_empty() {
                println!("nothing to fetch: the data is in {}", dir.0.display());
                return Ok(ExitCode::SUCCESS);
            }
            println!("data ready in {}", dir.0.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Sweep { common, epochs } => {
            let opts = options(&common, false);
            ensure(
                &opts.data_dir,
                &[DataKind::Mnist],
                &FetchPolicy::from_env(common.offline)?,
            )?;
            let points = experiments::sweep::measure(
                &opts.data_dir,
                opts.cache_dir.as_deref(),
                epochs as usize,
                &mut |p| {
                    println!(
                        "{:<12} {:>7} params  held-out {:.2}%  ({:.1} s)",
                        format!("{:?}", p.hidden),
                        p.parameters,
                        100.0 * p.heldout_accuracy,
                        p.train_seconds
                    );
                },
            )?;
            experiments::io::write_json(&common.out.join("sweep.json"), &points)?;
            let png = common.out.join("figures").join("sweep.png");
            experiments::io::write_atomic(
                &png,
                &experiments::sweep::figure(&points, Lang::En).encode_png(),
            )?;
            println!("wrote {}", png.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Convnet {
            common,
            only,
            fresh,
            epochs,
        } => {
            use experiments::convnet::ConvNetId;
            let ids = match only.as_deref() {
                None => ConvNetId::ALL.to_vec(),
                Some(s) => match ConvNetId::parse(s) {
                    Some(id) => vec![id],
                    None => usage(format!("--only must be mnist or cifar, not {s:?}"))?,
                },
            };
            let opts = options(&common, fresh);
            let kinds: Vec<DataKind> = ids.iter().map(|i| i.spec().data).collect();
            ensure(
                &opts.data_dir,
                &kinds,
                &FetchPolicy::from_env(common.offline)?,
            )?;
            for id in ids {
                let mut spec = id.spec();
                if let Some(e) = epochs {
                    spec.train.epochs = e;
                }
                let data = opts.data_dir.load(&spec.data)?;
                let t = experiments::convnet::train(
                    &spec,
                    &data,
                    opts.cache_dir.as_deref(),
                    fresh,
                    &mut |r| {
                        println!(
                            "{} epoch {}/{}: loss {:.4}, train accuracy {:.2}% ({:.1} s)",
                            spec.id,
                            r.epoch,
                            r.epochs,
                            r.loss,
                            100.0 * r.accuracy,
                            r.seconds
                        )
                    },
                )?;
                println!(
                    "{}: held-out {:.2}% (target {:.1}%), test {:.2}%, {} epochs in {:.0} s on {} threads{}",
                    spec.id,
                    100.0 * t.scores.heldout_accuracy,
                    100.0 * spec.target,
                    100.0 * t.scores.test_accuracy,
                    t.epochs.len(),
                    t.train_seconds,
                    t.threads,
                    if t.from_cache { " (cached)" } else { "" }
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            data_dir,
            epochs,
            skip_peers,
            offline,
            venv,
            conv,
            json,
            scale,
        } => {
            if scale {
                return bench_scale(json);
            }
            let data_dir = DataDir::resolve(data_dir.as_deref(), &working_dir());
            // The peers run from their own directory: a relative venv path would not resolve
            // there.
            let venv = std::path::absolute(&venv).context("resolving --venv")?;
            if conv {
                return bench_conv(data_dir, epochs, skip_peers, offline, &venv);
            }
            let specs: Vec<Spec> = NetworkId::ALL.iter().map(|n| n.spec()).collect();
            fetch_data(&data_dir, &specs, offline)?;
            let python = if skip_peers {
                None
            } else {
                Some(bench::prepare_peers(&venv)?)
            };
            let setup = bench::BenchSetup {
                ours: std::env::current_exe().context("finding this binary")?,
                python,
                peers_dir: venv.join("peers"),
                data_dir,
            };
            let cmp = bench::compare(&setup, &NetworkId::ALL, epochs as usize, &mut |m| {
                eprintln!("{m}")
            })?;
            if json {
                eprint!("\n{}", cmp.table());
                println!("{}", serde_json::to_string_pretty(&cmp)?);
            } else {
                print!("\n{}", cmp.table());
            }
            Ok(match cmp.verdict() {
                bench::Verdict::Met => ExitCode::SUCCESS,
                // Measuring ours alone was asked for: there is nothing to judge.
                bench::Verdict::NotJudged(_) if skip_peers => ExitCode::SUCCESS,
                _ => ExitCode::from(1),
            })
        }
        Command::BenchScaleOne { dir } => {
            let r = experiments::scale::time_one(&dir)?;
            println!("{}", serde_json::to_string(&r)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::BenchConvEpochs { data_dir, protocol } => {
            let protocol: experiments::bench_conv::ConvProtocol =
                serde_json::from_str(&protocol)
                    .map_err(|e| ExperimentError::Usage(format!("--protocol: {e}")))?;
            let dir = DataDir::resolve(data_dir.as_deref(), &working_dir());
            let r = experiments::bench_conv::time_ours(&protocol, &dir)?;
            println!("{}", serde_json::to_string(&r)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::BenchEpochs { data_dir, protocol } => {
            let protocol: bench::Protocol = serde_json::from_str(&protocol)
                .map_err(|e| ExperimentError::Usage(format!("--protocol: {e}")))?;
            let dir = DataDir::resolve(data_dir.as_deref(), &working_dir());
            let r = bench::time_ours(&protocol, &dir)?;
            println!("{}", serde_json::to_string(&r)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Explore {
            common,
            lang,
            dataset,
            hidden,
            epochs,
            import,
        } => {
            let data = match dataset.as_str() {
                "mnist" => DataKind::Mnist,
                "cifar10" => DataKind::Cifar10,
                s => match s.strip_prefix("idx:") {
                    Some(dir) => DataKind::Idx(PathBuf::from(dir)),
                    None => usage(format!(
                        "--dataset must be mnist, cifar10 or idx:DIR, not {s:?}"
                    ))?,
                },
            };
            let spec =
                experiments::spec::explore_spec(data, hidden.map(|h| h as usize), epochs as usize);
            let opts = options(&common, false);
            fetch_data(&opts.data_dir, std::slice::from_ref(&spec), common.offline)?;
            let run = match import_request(&import, &spec.data)? {
                Some(req) => experiments::import::analyse_imported(&req, &opts.data_dir)?,
                None => pipeline::train_and_analyse(
                    std::slice::from_ref(&spec),
                    &opts,
                    &mut Bars::new(),
                )?,
            };
            let lang = lang.lang;
            let written =
                experiments::figures::write_explore(&run, &common.out.join("figures"), lang)?;
            report::write_summaries(&run, &common.out)?;
            experiments::demos::write(&run, &common.out)?;
            let r = report::reproduce(&run, run.total_seconds);
            experiments::io::write_json(&common.out.join("explore.json"), &r)?;
            report::write_index(&run, &r, &common.out, &written)?;
            print!("{}", report::table(&r, report::RunKind::Explore));
            println!("wrote {}", common.out.join(lang.index_file()).display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The import `explore --model` asks for, its arguments checked; `None` without `--model`.
fn import_request(
    a: &ImportArgs,
    data: &DataKind,
) -> Result<Option<experiments::import::ImportRequest>> {
    let Some(model) = &a.model else {
        return Ok(None);
    };
    let labels = a
        .labels
        .as_deref()
        .map(experiments::import::parse_labels)
        .transpose()
        .map_err(ExperimentError::Usage)?;
    let input_scaling = a
        .input_scale
        .as_deref()
        .map(experiments::import::parse_input_scale)
        .transpose()
        .map_err(ExperimentError::Usage)?;
    Ok(Some(experiments::import::ImportRequest {
        model: model.clone(),
        data: data.clone(),
        options: nn::safetensors::ImportOptions {
            activation: a.activation.as_deref().and_then(nn::Activation::from_name),
            layers: (!a.layers.is_empty()).then(|| a.layers.clone()),
            transpose: a.transpose,
        },
        input_scaling,
        labels,
    }))
}

/// Fetches the official files `specs` need and `dir` lacks (see [`DataDir::ensure`]),
/// showing progress on stderr.
fn fetch_data(dir: &DataDir, specs: &[Spec], offline_flag: bool) -> Result<()> {
    let policy = FetchPolicy::from_env(offline_flag)?;
    let kinds: Vec<DataKind> = specs.iter().map(|s| s.data.clone()).collect();
    ensure(dir, &kinds, &policy)?;
    Ok(())
}

/// [`DataDir::ensure`] with progress on stderr; the paths fetched.
fn ensure(dir: &DataDir, kinds: &[DataKind], policy: &FetchPolicy) -> Result<Vec<PathBuf>> {
    let mut display = FetchDisplay::new();
    Ok(dir.ensure(kinds, policy, &mut |p| display.show(p))?)
}

/// Fetch progress on stderr: a bar per file on a terminal (bytes, rate, time left), otherwise
/// a few plain lines per file, so logs stay readable.
struct FetchDisplay {
    bar: Option<ProgressBar>,
    terminal: bool,
    /// The next quarter to report in plain lines, and when the transfer started.
    next_quarter: u64,
    started: std::time::Instant,
    resumed_from: u64,
}

impl FetchDisplay {
    fn new() -> Self {
        use std::io::IsTerminal;
        FetchDisplay {
            bar: None,
            terminal: std::io::stderr().is_terminal(),
            next_quarter: 1,
            started: std::time::Instant::now(),
            resumed_from: 0,
        }
    }

    fn show(&mut self, p: datasets::download::Progress<'_>) {
        use datasets::download::Progress as P;
        use indicatif::HumanBytes;
        match p {
            P::Started {
                file,
                url,
                total,
                resumed_from,
            } => {
                self.started = std::time::Instant::now();
                self.resumed_from = resumed_from;
                self.next_quarter = 1 + 4 * resumed_from / total.max(1);
                if resumed_from > 0 {
                    eprintln!(
                        "fetch {file}: resuming at {} of {} from {url}",
                        HumanBytes(resumed_from),
                        HumanBytes(total)
                    );
                } else {
                    eprintln!("fetch {file}: {} from {url}", HumanBytes(total));
                }
                if self.terminal {
                    let bar = ProgressBar::new(total).with_position(resumed_from);
                    bar.set_style(
                        ProgressStyle::with_template(
                            "{msg:>28} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta} left",
                        )
                        .expect("a valid template")
                        .progress_chars("=> "),
                    );
                    bar.set_message(file.to_string());
                    bar.reset_eta();
                    self.bar = Some(bar);
                }
            }
            P::Received { file, done, total } => {
                if let Some(bar) = &self.bar {
                    bar.set_position(done);
                    return;
                }
                // Small files get their start and end lines only.
                if total < 1 << 20 || done >= total || done * 4 < self.next_quarter * total {
                    return;
                }
                let secs = self.started.elapsed().as_secs_f64().max(1e-3);
                let rate = (done - self.resumed_from) as f64 / secs;
                let left = (total - done.min(total)) as f64 / rate.max(1.0);
                eprintln!(
                    "fetch {file}: {}% ({} of {}, {}/s, {:.0} s left)",
                    100 * done / total.max(1),
                    HumanBytes(done),
                    HumanBytes(total),
                    HumanBytes(rate as u64),
                    left
                );
                self.next_quarter = 1 + 4 * done / total.max(1);
            }
            P::Retrying { file, done, reason } => {
                if let Some(bar) = self.bar.take() {
                    bar.abandon();
                }
                eprintln!(
                    "fetch {file}: {reason}; asking for the rest after {}",
                    HumanBytes(done)
                );
            }
            P::Verified {
                file,
                bytes,
                by_content,
            } => {
                if let Some(bar) = self.bar.take() {
                    bar.finish_and_clear();
                }
                let how = if by_content {
                    "its decompressed content matches the official MD5 (a re-compressed copy)"
                } else {
                    "matches the official MD5"
                };
                eprintln!("fetch {file}: {} received, {how}", HumanBytes(bytes));
            }
            _ => {}
        }
    }
}

/// Figures, summaries, `reproduce.json` and `index.html` of a chapter run.
/// `bench --conv`: the claim-10 networks against PyTorch.
/// `bench --scale`: each size written, timed in a child process, and deleted before the next.
fn bench_scale(json: bool) -> Result<ExitCode> {
    use experiments::scale;
    let me = std::env::current_exe().context("finding this binary")?;
    let tmp = tempfile::Builder::new()
        .prefix("ml4a-scale-")
        .tempdir()
        .context("creating a temporary folder")?;
    let mut results = Vec::new();
    for n in scale::SIZES {
        let dir = tmp.path().join(n.to_string());
        eprintln!("scale: writing {n} images to {}", dir.display());
        scale::write_synthetic(&dir, n)?;
        eprintln!("scale: two epochs of 784-10 on {n} images");
        let out = std::process::Command::new(&me)
            .arg("bench-scale-one")
            .arg("--dir")
            .arg(&dir)
            .output()
            .context("running the scale child")?;
        std::fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
        let text = String::from_utf8_lossy(&out.stdout);
        let line = text.lines().rev().find(|l| l.starts_with('{'));
        match (out.status.success(), line) {
            (true, Some(line)) => results.push(serde_json::from_str::<scale::ScaleResult>(line)?),
            _ => anyhow::bail!(
                "the scale run on {n} images failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        }
    }
    let (ok, table) = scale::table(&results);
    if json {
        eprint!("\n{table}");
        println!("{}", serde_json::to_string_pretty(&results)?);
    } else {
        print!("\n{table}");
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn bench_conv(
    data_dir: DataDir,
    epochs: u64,
    skip_peers: bool,
    offline: bool,
    venv: &Path,
) -> Result<ExitCode> {
    use experiments::bench_conv;
    use experiments::convnet::ConvNetId;
    let kinds: Vec<DataKind> = ConvNetId::ALL.iter().map(|i| i.spec().data).collect();
    ensure(&data_dir, &kinds, &FetchPolicy::from_env(offline)?)?;
    let python = if skip_peers {
        None
    } else {
        let py = bench::prepare_peers(venv)?;
        bench_conv::write_peer(&venv.join("peers"))?;
        Some(py)
    };
    let setup = bench::BenchSetup {
        ours: std::env::current_exe().context("finding this binary")?,
        python,
        peers_dir: venv.join("peers"),
        data_dir,
    };
    let rows = bench_conv::compare(&setup, &ConvNetId::ALL, epochs as usize, &mut |m| {
        eprintln!("{m}")
    })?;
    print!("\n{}", bench_conv::table(&rows, epochs as usize));
    experiments::io::write_json(Path::new("target/bench-conv.json"), &rows)?;
    Ok(ExitCode::SUCCESS)
}

fn write_outputs(run: &Results, out: &Path, lang: Lang) -> Result<Reproduce> {
    let start = std::time::Instant::now();
    let timed = |f: &dyn Fn() -> Result<()>| -> Result<f64> {
        let t = std::time::Instant::now();
        f()?;
        Ok(t.elapsed().as_secs_f64())
    };
    // The figures, the summaries, the demos and the claims write separate files from the same
    // finished networks: they run side by side. Each is deterministic on its own, so the bytes
    // do not depend on which finishes first.
    let mut written = Vec::new();
    let mut outcome = None;
    let (left, right) = rayon::join(
        || -> Result<(f64, f64, f64, f64)> {
            let t = std::time::Instant::now();
            written = figures::write_chapter(run, &out.join("figures"), lang)?;
            let f = t.elapsed().as_secs_f64();
            let s = timed(&|| Ok(report::write_summaries(run, out)?))?;
            let t = std::time::Instant::now();
            let sweeps = claim_sweeps(run, &out.join("models"))?;
            let sw = t.elapsed().as_secs_f64();
            let t = std::time::Instant::now();
            let claims = experiments::claims::write_all(run, &sweeps, &out.join("figures"), lang)?;
            let c = t.elapsed().as_secs_f64();
            outcome = Some((sweeps, claims));
            Ok((f, s, sw, c))
        },
        || {
            timed(&|| {
                experiments::demos::write(run, out)
                    .map(drop)
                    .map_err(Into::into)
            })
        },
    );
    let (figures_seconds, summaries_seconds, sweeps_seconds, claims_seconds) = left?;
    let demos_seconds = right?;
    let (sweeps, claims) = outcome.expect("set when the claims branch succeeded");
    eprintln!("claims measured and drawn in {claims_seconds:.1} s");
    let mut phase = std::time::Instant::now();
    let mut lap = || {
        let s = phase.elapsed().as_secs_f64();
        phase = std::time::Instant::now();
        s
    };
    let mut r = report::reproduce(run, 0.0);
    r.claims = claims.claims;
    // Claim 10 only from cached convolutional nets: reproduce never trains them.
    r.claim10 = experiments::convnet::claim10(run, &out.join("models"), out, lang)?;
    match &r.claim10 {
        Some(c) => println!("claim 10: {}", c.verdict),
        None => {
            println!("claim 10: not measured; `cargo xtask convnet` trains the convolutional nets")
        }
    }
    let extra = |l: Lang| experiments::claims::html(&r.claims, &claims.unit_figures, l);
    r.timings = report::Timings {
        networks_seconds: run.total_seconds,
        training_seconds: run
            .outcomes
            .iter()
            .filter(|o| !o.trained.from_cache)
            .map(|o| o.trained.train_seconds)
            .fold(0.0, |a, b| a + b),
        figures_seconds,
        summaries_seconds,
        demos_seconds,
        sweeps_seconds,
        sweeps_from_scratch_seconds: sweeps
            .values()
            .flatten()
            .fold(0.0, |a, p| a + p.train_seconds),
        claims_seconds,
        report_seconds: 0.0,
    };
    // The report states the total, so its own time is measured up to here.
    r.timings.report_seconds = lap();
    r.total_seconds = run.total_seconds + start.elapsed().as_secs_f64();
    report::write_index_with(run, &r, out, &report::chapter_figures(&written), &extra)?;
    experiments::io::write_json(&out.join("reproduce.json"), &r)?;
    Ok(r)
}

/// The width and depth sweep of every chapter dataset in the run (claim 8), cached by content
/// under `cache`; a sweep trained now reports its points on stderr.
fn claim_sweeps(run: &Results, cache: &Path) -> Result<experiments::claims::Sweeps> {
    let mut sweeps = experiments::claims::Sweeps::new();
    for (kind, data) in &run.data {
        if !matches!(kind, DataKind::Mnist | DataKind::Cifar10) {
            continue;
        }
        let epochs = NetworkId::ALL
            .iter()
            .map(|n| n.spec())
            .find(|s| s.data == *kind)
            .map_or(10, |s| s.train.epochs);
        let started = std::time::Instant::now();
        let (points, cached) =
            experiments::sweep::measure_cached(kind, data, Some(cache), epochs, &mut |p| {
                eprintln!(
                    "sweep {}: hidden {:?} held-out {:.2}% ({:.1} s)",
                    kind.name(),
                    p.hidden,
                    100.0 * p.heldout_accuracy,
                    p.train_seconds
                );
            })?;
        if !cached {
            eprintln!(
                "sweep {}: {:.1} s, cached for the next run",
                kind.name(),
                started.elapsed().as_secs_f64()
            );
        }
        sweeps.insert(kind.clone(), points);
    }
    Ok(sweeps)
}

/// One progress bar per network: epoch, loss, accuracy.
struct Bars {
    multi: MultiProgress,
    current: Option<ProgressBar>,
}

impl Bars {
    fn new() -> Self {
        Bars {
            multi: MultiProgress::new(),
            current: None,
        }
    }
}

impl Progress for Bars {
    fn start(&mut self, spec: &Spec) {
        let bar = self.multi.add(ProgressBar::new(spec.train.epochs as u64));
        bar.set_style(
            ProgressStyle::with_template("{prefix:>14} [{bar:30}] epoch {pos}/{len} {msg}")
                .expect("a valid template")
                .progress_chars("=> "),
        );
        bar.set_prefix(spec.id.clone());
        self.current = Some(bar);
    }

    fn epoch(&mut self, _spec: &Spec, r: &nn::EpochReport) {
        if let Some(bar) = &self.current {
            bar.set_position(r.epoch as u64);
            bar.set_message(format!(
                "loss {:.4}  train acc {:.2}%  {:.0} ms/epoch",
                r.loss,
                100.0 * r.accuracy,
                1000.0 * r.seconds
            ));
        }
    }

    fn done(&mut self, spec: &Spec, trained: &Trained, analysis: &experiments::analysis::Analysis) {
        let line = format!(
            "{:>14} held-out {:.2}%  test {:.2}%  ({}; {:.2} s training)",
            spec.id,
            100.0 * analysis.held_out.accuracy(),
            100.0 * analysis.test.accuracy(),
            if trained.from_cache {
                "cached"
            } else {
                "trained"
            },
            trained.train_seconds
        );
        if let Some(bar) = self.current.take() {
            bar.finish();
        }
        let _ = self.multi.println(line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_is_one_line_and_a_hint_another() {
        let io = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "Permission denied");
        let e = anyhow::Error::new(ExperimentError::Io {
            path: PathBuf::from("/out/models"),
            source: io,
        });
        // The cause is part of the message already: not repeated.
        assert_eq!(error_lines(&e), "error: /out/models: Permission denied\n");
        let missing =
            datasets::DatasetError::new("data/mnist", datasets::DatasetErrorKind::NotFound);
        let e = anyhow::Error::new(ExperimentError::Data {
            source: Box::new(missing),
            hint: Some("place them in data/mnist".into()),
        });
        let lines = error_lines(&e);
        assert!(lines.starts_with("error: data/mnist: "), "{lines}");
        assert!(
            lines.ends_with("\nhint: place them in data/mnist\n"),
            "{lines}"
        );
        assert_eq!(lines.lines().count(), 2, "{lines}");
        // A context says something the cause does not: both, on one line.
        let e = anyhow::anyhow!("expected value at line 1").context("reading --protocol");
        assert_eq!(
            error_lines(&e),
            "error: reading --protocol: expected value at line 1\n"
        );
    }
}
