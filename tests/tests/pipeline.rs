//! The whole chapter pipeline (load, train, evaluate, every figure, summaries, report) on small
//! datasets in the official formats that the test writes itself; and its determinism.

use std::path::Path;

use experiments::pipeline::{self, PipelineOptions, Quiet};
use experiments::{DataDir, Lang, NetworkId, Spec, figures, report};
use ml4a_tests::{write_cifar, write_mnist};

/// The chapter's specs, shortened to a few epochs for the small data.
fn specs() -> Vec<Spec> {
    NetworkId::ALL
        .iter()
        .map(|n| {
            let mut s = n.spec();
            s.train.epochs = 6;
            s
        })
        .collect()
}

fn fixture(dir: &Path) {
    write_mnist(dir, 1200, 300, 1);
    write_cifar(dir, 300, 100, 2);
}

/// Runs everything into `out`; returns reproduce.json's content.
fn run_all(data: &Path, out: &Path) -> report::Reproduce {
    let opts = PipelineOptions {
        data_dir: DataDir(data.to_path_buf()),
        cache_dir: Some(out.join("models")),
        fresh: true,
    };
    let run = pipeline::train_and_analyse(&specs(), &opts, &mut Quiet).expect("the pipeline runs");
    let written =
        figures::write_chapter(&run, &out.join("figures"), Lang::En).expect("figures are written");
    report::write_summaries(&run, out).expect("summaries are written");
    let r = report::reproduce(&run, run.total_seconds);
    report::write_index(&run, &r, out, &report::chapter_figures(&written))
        .expect("the index is written");
    r
}

#[test]
fn whole_pipeline_on_generated_data() {
    let data = tempfile::tempdir().unwrap();
    fixture(data.path());
    let out = tempfile::tempdir().unwrap();
    let r = run_all(data.path(), out.path());

    assert_eq!(r.experiments.len(), 4);
    for e in &r.experiments {
        // The bars are easy to see: every network must do far better than chance (10%); the
        // 2-layer nets squeeze through 10 sigmoid units and learn more slowly.
        let floor = if e.id.ends_with("2layer") { 0.3 } else { 0.5 };
        assert!(
            e.heldout_accuracy > floor,
            "{} reached only {}",
            e.id,
            e.heldout_accuracy
        );
        assert_eq!(e.model_sha256.len(), 64);
    }
    for name in figures::FigureId::ALL.map(|f| f.stem()) {
        let png = std::fs::read(out.path().join("figures").join(format!("{name}.png")))
            .unwrap_or_else(|e| panic!("{name}.png: {e}"));
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{name}.png is a PNG");
    }
    for diagram in [
        "mnist_1layer",
        "weights_analogy_1",
        "weights_analogy_2",
        "mnist_2layers",
    ] {
        let svg =
            std::fs::read_to_string(out.path().join("figures").join(format!("{diagram}.svg")))
                .unwrap();
        assert!(
            svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
            "{diagram}.svg"
        );
    }
    for id in NetworkId::ALL.map(NetworkId::id) {
        let ml4a: serde_json::Value = serde_json::from_slice(
            &std::fs::read(out.path().join("summaries").join(format!("{id}.ml4a.json"))).unwrap(),
        )
        .unwrap();
        let confusion = ml4a["confusion"].as_array().unwrap();
        assert_eq!(confusion.len(), 10);
        let total: u64 = confusion
            .iter()
            .flat_map(|r| r.as_array().unwrap())
            .map(|v| v.as_u64().unwrap())
            .sum();
        assert_eq!(total, ml4a["total"].as_u64().unwrap());
        let ours: serde_json::Value = serde_json::from_slice(
            &std::fs::read(out.path().join("summaries").join(format!("{id}.json"))).unwrap(),
        )
        .unwrap();
        assert_eq!(ours["meta"]["model"], id);
    }
    let index = std::fs::read_to_string(out.path().join("index.html")).unwrap();
    for name in figures::FigureId::ALL.map(|f| f.stem()) {
        assert!(
            index.contains(&format!("figures/{name}.png")),
            "index.html shows {name}"
        );
    }
    // No temporary file is left anywhere in the output.
    let leftovers: Vec<_> = walk(out.path())
        .into_iter()
        .filter(|p| ml4a_tests::is_temporary(p))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn same_bytes_on_one_thread_and_two() {
    let data = tempfile::tempdir().unwrap();
    fixture(data.path());
    let run_in = |threads: usize| {
        let out = tempfile::tempdir().unwrap();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let r = pool.install(|| run_all(data.path(), out.path()));
        let figs: Vec<(String, Vec<u8>)> = figures::FigureId::ALL
            .iter()
            .map(|f| {
                let n = f.stem();
                (
                    n.to_string(),
                    std::fs::read(out.path().join("figures").join(format!("{n}.png"))).unwrap(),
                )
            })
            .collect();
        let summary = std::fs::read(out.path().join("summaries/mnist-2layer.json")).unwrap();
        (
            r.experiments
                .into_iter()
                .map(|e| (e.id, e.model_sha256, e.heldout_accuracy))
                .collect::<Vec<_>>(),
            figs,
            summary,
        )
    };
    let (one, two) = (run_in(1), run_in(2));
    assert_eq!(one.0, two.0, "model hashes and accuracies");
    for ((n, a), (_, b)) in one.1.iter().zip(&two.1) {
        assert!(a == b, "{n}.png differs between 1 and 2 threads");
    }
    assert!(one.2 == two.2, "summaries differ");
}

#[test]
fn cache_returns_the_same_model_without_training() {
    let data = tempfile::tempdir().unwrap();
    fixture(data.path());
    let out = tempfile::tempdir().unwrap();
    let spec = specs().remove(1);
    let mk = |fresh| PipelineOptions {
        data_dir: DataDir(data.path().to_path_buf()),
        cache_dir: Some(out.path().join("models")),
        fresh,
    };
    let first =
        pipeline::train_and_analyse(std::slice::from_ref(&spec), &mk(true), &mut Quiet).unwrap();
    let second =
        pipeline::train_and_analyse(std::slice::from_ref(&spec), &mk(false), &mut Quiet).unwrap();
    let (a, b) = (&first.outcomes[0].trained, &second.outcomes[0].trained);
    assert!(!a.from_cache && b.from_cache);
    assert_eq!(a.model, b.model);
    assert_eq!(a.snapshots, b.snapshots);
    // A different spec misses the cache.
    let mut other = spec.clone();
    other.train.epochs += 1;
    let third =
        pipeline::train_and_analyse(std::slice::from_ref(&other), &mk(false), &mut Quiet).unwrap();
    assert!(!third.outcomes[0].trained.from_cache);
}

#[test]
fn missing_data_says_where_to_put_it() {
    let empty = tempfile::tempdir().unwrap();
    let opts = PipelineOptions {
        data_dir: DataDir(empty.path().to_path_buf()),
        cache_dir: None,
        fresh: true,
    };
    let err = pipeline::train_and_analyse(&specs()[..1], &opts, &mut Quiet)
        .err()
        .expect("no data, no run");
    let msg = err.to_string();
    assert!(
        msg.contains("train-images-idx3-ubyte.gz") && msg.contains("mnist"),
        "{msg}"
    );
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
