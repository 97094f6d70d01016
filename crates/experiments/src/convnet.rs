//! Claim 10 measured: the two convolutional networks of ConvNetJS's demos, trained on the
//! chapter's splits with a model cache keyed by content, and their results beside the dense
//! networks'.
//!
//! `cargo xtask convnet` trains them ([`train`]); `reproduce` never does, it only reads a
//! cache entry when one matches ([`cached`]), so it stays fast.

use std::path::{Path, PathBuf};
use std::time::Instant;

use datasets::{BatchSource, Feed, InputScaling, Loaded, Split};
use introspect::ConfusionMatrix;
use nn::EpochReport;
use nn::conv::{Conv2dSpec, MaxPool2dSpec};
use nn::convnet::{self, Augment, ConvArchitecture, ConvLayer, ConvNet, ConvTrainConfig, Schedule};
use nn::{Init, SgdConfig, init};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::data::Data;
use crate::error::ExperimentError;
use crate::io::{write_atomic, write_json};
use crate::lang::{Lang, Text, esc};
use crate::spec::{DataKind, NetworkId};

/// Bumped whenever training code changes what a spec produces.
const CACHE_VERSION: &str = "ml4a-convnet-v2";

/// Held-out accuracy the convolutional MNIST net must reach (issue 18).
pub const MNIST_TARGET: f64 = 0.985;
/// Held-out accuracy the convolutional CIFAR-10 net must reach (issue 18).
pub const CIFAR_TARGET: f64 = 0.65;

/// The two convolutional networks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ConvNetId {
    /// conv 5x5x8 p2, relu, pool 2, conv 5x5x16 p2, relu, pool 3, dense 10.
    Mnist,
    /// Three of conv 5x5 p2 (16, 20, 20 filters), relu, pool 2; dense 10.
    Cifar,
}

/// Everything that decides one trained convolutional network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConvSpec {
    /// Identifier and file stem: `mnist-conv`, `cifar-conv`.
    pub id: String,
    /// The data.
    pub data: DataKind,
    /// The layers over feature maps (the input shape comes from the data).
    pub layers: Vec<ConvLayer>,
    /// How weights are drawn.
    pub init: Init,
    /// Seed of the initialisation.
    pub init_seed: u64,
    /// How pixels become inputs.
    pub input_scaling: InputScaling,
    /// Optimiser, schedule, augmentation, epochs.
    pub train: ConvTrainConfig,
    /// Held-out accuracy to reach.
    pub target: f64,
    /// The dense chapter network it is compared with.
    pub dense: NetworkId,
}

fn conv(filters: usize) -> ConvLayer {
    ConvLayer::Conv(Conv2dSpec {
        filters,
        kernel: 5,
        stride: 1,
        pad: 2,
    })
}

fn pool(size: usize) -> ConvLayer {
    ConvLayer::MaxPool(MaxPool2dSpec { size, stride: size })
}

impl ConvNetId {
    /// Both, MNIST first.
    pub const ALL: [ConvNetId; 2] = [ConvNetId::Mnist, ConvNetId::Cifar];

    /// The identifier.
    pub fn id(self) -> &'static str {
        match self {
            ConvNetId::Mnist => "mnist-conv",
            ConvNetId::Cifar => "cifar-conv",
        }
    }

    /// Parses an identifier (`mnist-conv`, `cifar-conv`, or `mnist`, `cifar`).
    pub fn parse(s: &str) -> Option<ConvNetId> {
        ConvNetId::ALL
            .into_iter()
            .find(|n| n.id() == s || n.id().trim_end_matches("-conv") == s)
    }

    /// The spec: ConvNetJS's demo architectures; SGD with momentum 0.9 and weight decay 5e-4,
    /// the rate falling linearly to a tenth over the run; random horizontal flips on CIFAR-10
    /// only (a flipped digit is another digit). Random crops are not used: in a run this short
    /// a network this small underfits, and harder inputs would only slow it down.
    pub fn spec(self) -> ConvSpec {
        let sgd = |lr| SgdConfig {
            lr,
            momentum: 0.9,
            weight_decay: 5e-4,
        };
        let schedule = Schedule::Linear {
            final_fraction: 0.1,
        };
        match self {
            ConvNetId::Mnist => ConvSpec {
                id: self.id().into(),
                data: DataKind::Mnist,
                layers: vec![
                    conv(8),
                    ConvLayer::Relu,
                    pool(2),
                    conv(16),
                    ConvLayer::Relu,
                    pool(3),
                ],
                init: Init::HeNormal,
                init_seed: 21,
                input_scaling: InputScaling::UnitRange,
                train: ConvTrainConfig {
                    epochs: 8,
                    batch_size: 64,
                    sgd: sgd(0.02),
                    schedule,
                    augment: Augment::default(),
                    shuffle_seed: 31,
                },
                target: MNIST_TARGET,
                dense: NetworkId::Mnist2Layer,
            },
            ConvNetId::Cifar => ConvSpec {
                id: self.id().into(),
                data: DataKind::Cifar10,
                layers: vec![
                    conv(16),
                    ConvLayer::Relu,
                    pool(2),
                    conv(20),
                    ConvLayer::Relu,
                    pool(2),
                    conv(20),
                    ConvLayer::Relu,
                    pool(2),
                ],
                init: Init::HeNormal,
                init_seed: 22,
                input_scaling: InputScaling::ZeroCentred,
                train: ConvTrainConfig {
                    epochs: 10,
                    batch_size: 64,
                    sgd: sgd(0.02),
                    schedule,
                    augment: Augment {
                        flip: true,
                        crop_pad: 0,
                    },
                    shuffle_seed: 32,
                },
                target: CIFAR_TARGET,
                dense: NetworkId::Cifar2Layer,
            },
        }
    }
}

impl ConvSpec {
    /// The architecture on `data`'s images and classes.
    pub fn architecture(&self, data: &Loaded) -> ConvArchitecture {
        let view = data.view(Split::Train);
        ConvArchitecture {
            input: view.shape(),
            layers: self.layers.clone(),
            classes: view.num_classes(),
        }
    }
}

/// What a trained convolutional network scored, per split and class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConvScores {
    /// Accuracy on the held-out split (the chapter's).
    pub heldout_accuracy: f64,
    /// Accuracy on the official test set.
    pub test_accuracy: f64,
    /// Held-out recall of each class.
    pub heldout_recall: Vec<f64>,
    /// The held-out confusion matrix, rows actual, columns predicted.
    pub heldout_confusion: Vec<Vec<u64>>,
}

/// A trained convolutional network with its history and scores.
#[derive(Debug, Clone)]
pub struct ConvTrained {
    /// What was trained.
    pub spec: ConvSpec,
    /// The weights.
    pub model: ConvNet,
    /// One report per epoch.
    pub epochs: Vec<EpochReport>,
    /// Wall time of training, as measured when it ran.
    pub train_seconds: f64,
    /// Threads of the pool it trained on.
    pub threads: usize,
    /// Scores on the held-out and test splits.
    pub scores: ConvScores,
    /// SHA-256 of spec, cache version and training data.
    pub key: String,
    /// Loaded from the cache rather than trained now.
    pub from_cache: bool,
}

#[derive(Debug, Serialize, Deserialize)]
struct Record {
    key: String,
    spec: ConvSpec,
    epochs: Vec<EpochReport>,
    train_seconds: f64,
    threads: usize,
    scores: ConvScores,
    model_sha256: String,
}

/// The cache key of `spec` on `data`.
pub fn cache_key(spec: &ConvSpec, data: &Data) -> String {
    let mut h = Sha256::new();
    h.update(CACHE_VERSION.as_bytes());
    h.update(serde_json::to_vec(spec).expect("a spec always serialises"));
    h.update(data.train_fingerprint().as_bytes());
    hex::encode(h.finalize())
}

fn entry_dir(cache: &Path, spec: &ConvSpec, key: &str) -> PathBuf {
    cache.join(format!("{}-{}", spec.id, &key[..16]))
}

/// Probabilities of `model` on a split, in batches.
fn predict(
    model: &ConvNet,
    data: &Loaded,
    split: Split,
    scaling: &InputScaling,
) -> Result<introspect::Predictions, ExperimentError> {
    let feed = Feed::new(data.view(split), scaling);
    let classes = model.architecture().classes;
    Ok(introspect::evaluate(feed.labels(), classes, |r| {
        model.predict_proba(feed.rows(r).view(), 250)
    })?)
}

/// Scores `model` on the held-out and test splits.
///
/// # Errors
/// An introspection error for a label outside the classes or a non-finite probability.
pub fn score(
    model: &ConvNet,
    spec: &ConvSpec,
    data: &Loaded,
) -> Result<ConvScores, ExperimentError> {
    let held = ConfusionMatrix::from_predictions(&predict(
        model,
        data,
        Split::HeldOut,
        &spec.input_scaling,
    )?);
    let test =
        ConfusionMatrix::from_predictions(&predict(model, data, Split::Test, &spec.input_scaling)?);
    Ok(ConvScores {
        heldout_accuracy: held.accuracy().unwrap_or(0.0),
        test_accuracy: test.accuracy().unwrap_or(0.0),
        heldout_recall: (0..held.n_classes())
            .map(|c| held.recall(c).unwrap_or(0.0))
            .collect(),
        heldout_confusion: held.to_rows(),
    })
}

/// Trains `spec` on the train split (or loads a matching cache entry), scores it and stores
/// the entry. `on_epoch` sees every epoch of a real run.
///
/// # Errors
/// Divergence, evaluation, IO or checkpoint errors.
pub fn train(
    spec: &ConvSpec,
    data: &Data,
    cache: Option<&Path>,
    fresh: bool,
    on_epoch: &mut dyn FnMut(&EpochReport),
) -> Result<ConvTrained, ExperimentError> {
    let key = cache_key(spec, data);
    if !fresh
        && let Some(c) = cache
        && let Some(t) = load(spec, data, &key, &entry_dir(c, spec, &key))
    {
        return Ok(t);
    }
    let arch = spec.architecture(data);
    let mut model = ConvNet::new(arch, spec.init, &mut init::rng(spec.init_seed))
        .expect("the chapter's convolutional geometries fit their data");
    let feed = Feed::new(data.view(Split::Train), &spec.input_scaling);
    let start = Instant::now();
    let epochs = convnet::train_convnet(&mut model, &spec.train, &feed, &mut |r, _| on_epoch(r))
        .map_err(|source| ExperimentError::Train {
            id: spec.id.clone(),
            source,
        })?;
    let train_seconds = start.elapsed().as_secs_f64();
    let scores = score(&model, spec, data)?;
    let t = ConvTrained {
        spec: spec.clone(),
        model,
        epochs,
        train_seconds,
        threads: rayon::current_num_threads(),
        scores,
        key,
        from_cache: false,
    };
    if let Some(c) = cache {
        store(&t, &entry_dir(c, spec, &t.key))?;
    }
    Ok(t)
}

/// The cached result of `spec` on `data`, when the cache holds one; never trains.
pub fn cached(spec: &ConvSpec, data: &Data, cache: &Path) -> Option<ConvTrained> {
    let key = cache_key(spec, data);
    load(spec, data, &key, &entry_dir(cache, spec, &key))
}

/// Model first, record last: a record on disk means a complete entry.
fn store(t: &ConvTrained, dir: &Path) -> Result<(), ExperimentError> {
    std::fs::create_dir_all(dir).map_err(|source| ExperimentError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let bytes = convnet::to_bytes(&t.model).map_err(|source| ExperimentError::Encode {
        id: t.spec.id.clone(),
        source,
    })?;
    write_atomic(&dir.join("model.ckpt"), &bytes)?;
    export(t, dir)?;
    let record = Record {
        key: t.key.clone(),
        spec: t.spec.clone(),
        epochs: t.epochs.clone(),
        train_seconds: t.train_seconds,
        threads: t.threads,
        scores: t.scores.clone(),
        model_sha256: hex::encode(Sha256::digest(&bytes)),
    };
    write_json(&dir.join("run.json"), &record)
}

/// Writes `t`'s model as `dir/model.safetensors` in the names PyTorch's `nn.Sequential` of the
/// same layers loads (`nn::safetensors::conv_to_bytes`), with its id and dataset.
fn export(t: &ConvTrained, dir: &Path) -> Result<(), ExperimentError> {
    let meta = std::collections::BTreeMap::from([
        (crate::import::ID_KEY.to_string(), t.spec.id.clone()),
        (
            crate::import::DATASET_KEY.to_string(),
            t.spec.data.name().to_string(),
        ),
    ]);
    nn::safetensors::save_conv(
        &t.model,
        &meta,
        &dir.join(crate::training::SAFETENSORS_FILE),
    )?;
    Ok(())
}

fn load(spec: &ConvSpec, data: &Loaded, key: &str, dir: &Path) -> Option<ConvTrained> {
    let record: Record = serde_json::from_slice(&std::fs::read(dir.join("run.json")).ok()?).ok()?;
    if record.key != key || record.spec != *spec {
        return None;
    }
    let bytes = std::fs::read(dir.join("model.ckpt")).ok()?;
    if hex::encode(Sha256::digest(&bytes)) != record.model_sha256 {
        return None;
    }
    let model = convnet::from_bytes(&bytes, Some(&spec.architecture(data))).ok()?;
    let trained = ConvTrained {
        spec: spec.clone(),
        model,
        epochs: record.epochs,
        train_seconds: record.train_seconds,
        threads: record.threads,
        scores: record.scores,
        key: key.to_string(),
        from_cache: true,
    };
    // Entries cached before convolutional nets were exported get their safetensors file now.
    if !dir.join(crate::training::SAFETENSORS_FILE).exists() {
        export(&trained, dir).ok()?;
    }
    Some(trained)
}

/// Claim 10 holds when the convolutional net beats the dense one by at least this much held-out
/// accuracy on both datasets: "improve greatly", read as a margin no tuning of the dense nets
/// could close.
pub const GREAT_IMPROVEMENT: f64 = 0.05;

/// One dataset's line of claim 10: the dense chapter network against the convolutional one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claim10Row {
    /// `MNIST` or `CIFAR-10`.
    pub dataset: String,
    /// The dense network's id.
    pub dense_id: String,
    /// Its held-out accuracy.
    pub dense_heldout_accuracy: f64,
    /// Its held-out recall per class.
    pub dense_heldout_recall: Vec<f64>,
    /// The convolutional network's id.
    pub conv_id: String,
    /// Its architecture, described.
    pub conv_architecture: String,
    /// Its held-out accuracy.
    pub conv_heldout_accuracy: f64,
    /// Its test accuracy.
    pub conv_test_accuracy: f64,
    /// Its held-out recall per class.
    pub conv_heldout_recall: Vec<f64>,
    /// Class names.
    pub classes: Vec<String>,
    /// Held-out accuracy it had to reach.
    pub target: f64,
    /// True when it did.
    pub pass: bool,
    /// Epochs it trained.
    pub epochs: usize,
    /// Wall time of its training.
    pub train_seconds: f64,
    /// Threads it trained on.
    pub threads: usize,
}

/// Claim 10 in `reproduce.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claim10 {
    /// The chapter's words.
    pub claim: String,
    /// One row per dataset whose convolutional net is cached.
    pub rows: Vec<Claim10Row>,
    /// True when both datasets are measured and each conv net beats its dense net by
    /// [`GREAT_IMPROVEMENT`].
    pub holds: bool,
    /// The verdict in words.
    pub verdict: String,
    /// Figures written for it, file names under `figures/`.
    pub figures: Vec<String>,
    /// The chapter's words and the verdict in Korean, for `index.ko.html`.
    #[serde(default)]
    pub ko: Claim10Ko,
}

/// Claim 10's words in Korean.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Claim10Ko {
    /// The claim.
    pub claim: String,
    /// The verdict in words.
    pub verdict: String,
}

/// Claim 10 in the chapter's words, in both languages.
const CLAIM: Text = Text::new(
    "Convolutional networks improve greatly on these numbers, for MNIST and CIFAR-10.",
    "합성곱 신경망은 MNIST와 CIFAR-10 모두에서 이 수치를 크게 넘어선다.",
);

/// A filter's `C x k x k` weights as an image, each filter stretched to the full range.
fn filter_raster(w: &[f32], channels: usize, k: usize) -> render::Raster {
    let (lo, hi) = w
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    let span = if hi > lo { hi - lo } else { 1.0 };
    let unit: Vec<f32> = w.iter().map(|v| (v - lo) / span).collect();
    render::Raster::from_planar_unit(&unit, channels, k, k)
}

/// The first convolution's filters in a grid, enlarged, the title in `lang`.
pub fn filters_figure(t: &ConvTrained, lang: Lang) -> render::Drawing {
    let w = &t.model.layers()[0].weight;
    let channels = t.model.architecture().input.channels;
    let k = ((w.cols() / channels) as f64).sqrt() as usize;
    let tiles: Vec<render::Raster> = (0..w.rows())
        .map(|f| filter_raster(w.row(f), channels, k))
        .collect();
    render::grid::image_grid(
        &tiles,
        &render::grid::GridOptions {
            scale: 12,
            gap: 6,
            title: Some(crate::figure_text::conv_filters(
                lang,
                &t.spec.id,
                tiles.len(),
                k,
                channels == 3,
            )),
            ..render::grid::GridOptions::new(8)
        },
    )
}

/// Claim 10 from the cached convolutional nets that match `run`'s data, with its figures written
/// into `out/figures` with their words in `lang`; `None` when no convolutional net is cached
/// (then `reproduce` says how to train them). Never trains.
///
/// # Errors
/// IO errors writing the figures.
pub fn claim10(
    run: &crate::pipeline::Results,
    cache: &Path,
    out: &Path,
    lang: Lang,
) -> Result<Option<Claim10>, ExperimentError> {
    let mut rows = Vec::new();
    let mut figures = Vec::new();
    let dir = out.join("figures");
    for id in ConvNetId::ALL {
        let spec = id.spec();
        let (Some(data), Some(dense)) = (run.data.get(&spec.data), run.network(spec.dense)) else {
            continue;
        };
        let Some(t) = cached(&spec, data, cache) else {
            continue;
        };
        let held = &dense.analysis.held_out.confusion;
        let stem = format!("conv_filters_{}", spec.data.name());
        write_atomic(
            &dir.join(format!("{stem}.png")),
            &filters_figure(&t, lang).encode_png(),
        )?;
        figures.push(format!("{stem}.png"));
        if spec.data == DataKind::Cifar10 {
            let opts = |title: String| render::confusion::ConfusionOptions {
                title: Some(title),
                cell: 40,
                words: crate::figure_text::table_words(lang),
                ..render::confusion::ConfusionOptions::default()
            };
            let classes = &crate::figures::classes(dense, lang);
            let side = render::compose::hstack(
                &[
                    render::confusion::counts_table(
                        &held.to_rows(),
                        classes,
                        &opts(crate::figure_text::dense_vs_conv(
                            lang,
                            false,
                            &dense.trained.spec.id,
                            dense.analysis.held_out.accuracy(),
                        )),
                    ),
                    render::confusion::counts_table(
                        &t.scores.heldout_confusion,
                        classes,
                        &opts(crate::figure_text::dense_vs_conv(
                            lang,
                            true,
                            &spec.id,
                            t.scores.heldout_accuracy,
                        )),
                    ),
                ],
                24,
                render::compose::Align::Start,
                render::palette::BACKGROUND,
            );
            write_atomic(
                &dir.join("confusion_dense_vs_conv_cifar.png"),
                &side.encode_png(),
            )?;
            figures.push("confusion_dense_vs_conv_cifar.png".into());
        }
        rows.push(Claim10Row {
            dataset: spec.data.display_name().into(),
            dense_id: dense.trained.spec.id.clone(),
            dense_heldout_accuracy: dense.analysis.held_out.accuracy(),
            dense_heldout_recall: (0..held.n_classes())
                .map(|c| held.recall(c).unwrap_or(0.0))
                .collect(),
            conv_id: spec.id.clone(),
            conv_architecture: t.model.architecture().describe(),
            conv_heldout_accuracy: t.scores.heldout_accuracy,
            conv_test_accuracy: t.scores.test_accuracy,
            conv_heldout_recall: t.scores.heldout_recall.clone(),
            classes: dense.analysis.classes.clone(),
            target: spec.target,
            pass: t.scores.heldout_accuracy >= spec.target,
            epochs: t.epochs.len(),
            train_seconds: t.train_seconds,
            threads: t.threads,
        });
    }
    if rows.is_empty() {
        return Ok(None);
    }
    let (holds, verdict) = verdict(&rows);
    Ok(Some(Claim10 {
        claim: CLAIM.en.into(),
        ko: Claim10Ko {
            claim: CLAIM.ko.into(),
            verdict: verdict_in(&rows, Lang::Ko).1,
        },
        rows,
        holds,
        verdict,
        figures,
    }))
}

/// Whether claim 10 holds on `rows`, and the verdict in words: both datasets measured and each
/// convolutional net ahead of its dense one by [`GREAT_IMPROVEMENT`].
pub fn verdict(rows: &[Claim10Row]) -> (bool, String) {
    verdict_in(rows, Lang::En)
}

/// [`verdict`] in `lang`'s words.
pub fn verdict_in(rows: &[Claim10Row], lang: Lang) -> (bool, String) {
    let gains: Vec<String> = rows
        .iter()
        .map(|r| {
            let (d, c) = (
                100.0 * r.dense_heldout_accuracy,
                100.0 * r.conv_heldout_accuracy,
            );
            lang.pick(
                format!("{} {d:.2}% -> {c:.2}% ({:+.1} points)", r.dataset, c - d),
                format!("{} {d:.2}% -> {c:.2}% ({:+.1}점)", r.dataset, c - d),
            )
        })
        .collect();
    let complete = rows.len() == ConvNetId::ALL.len();
    let holds = complete
        && rows
            .iter()
            .all(|r| r.conv_heldout_accuracy - r.dense_heldout_accuracy >= GREAT_IMPROVEMENT);
    let (gains, margin) = (gains.join("; "), 100.0 * GREAT_IMPROVEMENT);
    let words = match (holds, complete, lang) {
        (true, _, Lang::En) => format!("holds: {gains}"),
        (true, _, Lang::Ko) => format!("성립: {gains}"),
        (false, false, Lang::En) => {
            format!("not fully measured (run `cargo xtask convnet`): {gains}")
        }
        (false, false, Lang::Ko) => {
            format!("일부만 측정됨 (`cargo xtask convnet`으로 훈련하세요): {gains}")
        }
        (false, true, Lang::En) => {
            format!("does not hold by a {margin:.0}-point margin: {gains}")
        }
        (false, true, Lang::Ko) => {
            format!("{margin:.0}점 차이 기준으로는 성립하지 않음: {gains}")
        }
    };
    (holds, words)
}

/// Claim 10's section of the report page in `lang`.
pub fn index_section(c: &Claim10, lang: Lang) -> String {
    use std::fmt::Write as _;
    let t = |en: &'static str, ko: &'static str| Text::new(en, ko).get(lang);
    let pct = |x: f64| format!("{:.2}%", 100.0 * x);
    let mut h = String::new();
    let (claim, verdict) = match lang {
        Lang::En => (&c.claim, &c.verdict),
        Lang::Ko => (&c.ko.claim, &c.ko.verdict),
    };
    let _ = writeln!(
        h,
        "<h2>{}</h2>\n<p><i>{}</i> {}: <b>{}</b>. {}</p>",
        t("Claim 10: convolutional networks", "주장 10: 합성곱 신경망"),
        esc(claim),
        t("Verdict", "판정"),
        esc(verdict),
        t(
            "The convolutional nets come from the model cache (<code>cargo xtask convnet</code> trains them; this run did not), the dense ones from this run.",
            "합성곱 신경망은 모델 캐시에서 읽었고(이번 실행이 아니라 <code>cargo xtask convnet</code>이 훈련합니다), 완전 연결 신경망은 이번 실행에서 훈련한 것입니다.",
        ),
    );
    let _ = writeln!(
        h,
        "<table><tr>{}</tr>",
        [
            t("dataset", "데이터셋"),
            t("dense", "완전 연결"),
            t("held-out", "검증 세트"),
            t("convolutional", "합성곱"),
            t("held-out", "검증 세트"),
            t("test", "테스트 세트"),
            t("target", "목표"),
            t("epochs", "에포크"),
            t("train s", "훈련 시간(초)"),
        ]
        .iter()
        .map(|h| format!("<th>{h}</th>"))
        .collect::<String>()
    );
    for r in &c.rows {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}<br><small><code>{}</code></small></td><td class=\"{}\">{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"secs\">{:.0} ({} {})</td></tr>",
            esc(&r.dataset),
            esc(&r.dense_id),
            pct(r.dense_heldout_accuracy),
            esc(&r.conv_id),
            esc(&r.conv_architecture),
            if r.pass { "pass" } else { "fail" },
            pct(r.conv_heldout_accuracy),
            pct(r.conv_test_accuracy),
            pct(r.target),
            r.epochs,
            r.train_seconds,
            r.threads,
            t("threads", "스레드"),
        );
    }
    h.push_str("</table>\n");
    for r in &c.rows {
        let _ = write!(
            h,
            "<table><tr><th>{} {}</th>",
            esc(&r.dataset),
            t("held-out recall", "검증 세트 재현율")
        );
        let data = if r.dataset == DataKind::Cifar10.display_name() {
            DataKind::Cifar10
        } else {
            DataKind::Mnist
        };
        for name in lang.classes(&data, &r.classes) {
            let _ = write!(h, "<th>{}</th>", esc(&name));
        }
        for (label, recall) in [
            (t("dense", "완전 연결"), &r.dense_heldout_recall),
            (t("conv", "합성곱"), &r.conv_heldout_recall),
        ] {
            let _ = write!(h, "</tr>\n<tr><td>{label}</td>");
            for v in recall {
                let _ = write!(h, "<td>{}</td>", pct(*v));
            }
        }
        h.push_str("</tr></table>\n");
    }
    for f in &c.figures {
        let f = esc(f);
        let _ = writeln!(
            h,
            "<figure><a href=\"figures/{f}\"><img src=\"figures/{f}\" alt=\"{f}\"></a>{}</figure>",
            match lang {
                Lang::En => format!("<figcaption><b>{f}</b></figcaption>"),
                Lang::Ko => String::new(),
            }
        );
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(dataset: &str, dense: f64, conv: f64) -> Claim10Row {
        Claim10Row {
            dataset: dataset.into(),
            dense_id: "dense".into(),
            dense_heldout_accuracy: dense,
            dense_heldout_recall: vec![dense; 2],
            conv_id: "conv".into(),
            conv_architecture: "1x2x2-conv-2".into(),
            conv_heldout_accuracy: conv,
            conv_test_accuracy: conv,
            conv_heldout_recall: vec![conv; 2],
            classes: vec!["a".into(), "b<".into()],
            target: 0.5,
            pass: conv >= 0.5,
            epochs: 1,
            train_seconds: 1.0,
            threads: 2,
        }
    }

    #[test]
    fn the_verdict_needs_both_datasets_and_the_margin() {
        let check = |rows: &[Claim10Row], holds: bool, starts: &str| {
            let (h, words) = verdict(rows);
            assert_eq!(h, holds, "{words}");
            assert!(words.starts_with(starts), "{words}");
        };
        check(&[row("MNIST", 0.93, 0.987)], false, "not fully measured");
        check(
            &[row("MNIST", 0.93, 0.987), row("CIFAR-10", 0.38, 0.66)],
            true,
            "holds: MNIST 93.00% -> 98.70% (+5.7 points)",
        );
        check(
            &[row("MNIST", 0.95, 0.987), row("CIFAR-10", 0.38, 0.66)],
            false,
            "does not hold by a 5-point margin",
        );
    }

    #[test]
    fn the_section_escapes_names_and_shows_every_row() {
        let rows = [row("MNIST", 0.93, 0.987), row("CIFAR-10", 0.38, 0.66)];
        let (holds, verdict) = verdict(&rows);
        let html = index_section(
            &Claim10 {
                claim: "c".into(),
                rows: rows.to_vec(),
                holds,
                verdict,
                figures: vec!["conv_filters_mnist.png".into()],
                ko: Claim10Ko::default(),
            },
            Lang::En,
        );
        assert!(html.contains("b&lt;") && !html.contains("b<"), "{html}");
        assert!(html.contains("98.70%") && html.contains("66.00%"));
        assert!(html.contains("figures/conv_filters_mnist.png"));
    }

    #[test]
    fn ids_round_trip_and_specs_are_the_issue_architectures() {
        for n in ConvNetId::ALL {
            assert_eq!(ConvNetId::parse(n.id()), Some(n));
            assert_eq!(n.spec().id, n.id());
        }
        assert_eq!(ConvNetId::parse("cifar"), Some(ConvNetId::Cifar));
        let mnist = ConvArchitecture {
            input: tensor::ImageShape {
                channels: 1,
                height: 28,
                width: 28,
            },
            layers: ConvNetId::Mnist.spec().layers,
            classes: 10,
        };
        assert_eq!(
            mnist.describe(),
            "1x28x28-conv5x5x8p2-relu-pool2-conv5x5x16p2-relu-pool3-10"
        );
        assert_eq!(mnist.flat_len().unwrap(), 4 * 4 * 16);
        let cifar = ConvArchitecture {
            input: tensor::ImageShape {
                channels: 3,
                height: 32,
                width: 32,
            },
            layers: ConvNetId::Cifar.spec().layers,
            classes: 10,
        };
        assert_eq!(cifar.flat_len().unwrap(), 4 * 4 * 20);
    }
}
