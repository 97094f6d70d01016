//! The chapter's claims end to end on small generated data in the official formats: every
//! claim measured with a verdict and a figure, the sweeps cached by content, the hidden-unit
//! cards drawn, `reproduce.json` and `index.html` carrying them, and the same numbers twice.

use std::path::Path;

use experiments::claims::{self, Sweeps};
use experiments::pipeline::{self, PipelineOptions, Quiet, Results};
use experiments::spec::DataKind;
use experiments::{DataDir, Lang, NetworkId, report, sweep};
use ml4a_tests::{write_cifar, write_mnist};

fn run(data: &Path, out: &Path) -> Results {
    let specs: Vec<_> = NetworkId::ALL
        .iter()
        .map(|n| {
            let mut s = n.spec();
            s.train.epochs = 6;
            s
        })
        .collect();
    let opts = PipelineOptions {
        data_dir: DataDir(data.to_path_buf()),
        cache_dir: Some(out.join("models")),
        fresh: false,
    };
    pipeline::train_and_analyse(&specs, &opts, &mut Quiet).expect("the pipeline runs")
}

fn sweeps(run: &Results, cache: &Path) -> (Sweeps, Vec<bool>) {
    let mut out = Sweeps::new();
    let mut cached = Vec::new();
    for kind in [DataKind::Mnist, DataKind::Cifar10] {
        let (points, hit) =
            sweep::measure_cached(&kind, &run.data[&kind], Some(cache), 2, &mut |_| {})
                .expect("the sweep runs");
        assert_eq!(points.len(), sweep::HIDDEN.len());
        cached.push(hit);
        out.insert(kind, points);
    }
    (out, cached)
}

#[test]
fn every_claim_is_measured_drawn_and_reported() {
    let data = tempfile::tempdir().unwrap();
    write_mnist(data.path(), 1500, 200, 3);
    write_cifar(data.path(), 300, 100, 4);
    let out = tempfile::tempdir().unwrap();
    let r = run(data.path(), out.path());

    let cache = out.path().join("models");
    let (first, hits) = sweeps(&r, &cache);
    assert_eq!(hits, [false, false], "nothing was cached yet");
    let (again, hits) = sweeps(&r, &cache);
    assert_eq!(hits, [true, true], "the second sweep comes from the cache");
    for (a, b) in first.values().zip(again.values()) {
        let acc =
            |p: &[sweep::SweepPoint]| p.iter().map(|x| x.heldout_accuracy).collect::<Vec<_>>();
        // JSON keeps a float to within its last bit.
        for (x, y) in acc(a).iter().zip(acc(b)) {
            assert!((x - y).abs() < 1e-12, "{x} vs {y}");
        }
    }

    let figures = out.path().join("figures");
    let written =
        claims::write_all(&r, &first, &figures, Lang::En).expect("the claims are measured");
    let ids: Vec<u32> = written.claims.iter().map(|c| c.id).collect();
    assert_eq!(ids, (1..=9).collect::<Vec<_>>());
    for c in &written.claims {
        assert!(!c.statement.is_empty() && !c.measure.is_empty() && !c.summary.is_empty());
        // Every claim is written in Korean too, beside its English.
        for lang in Lang::ALL {
            assert!(
                !c.statement(lang).is_empty()
                    && !c.measure(lang).is_empty()
                    && !c.summary(lang).is_empty(),
                "claim {} in {lang:?}",
                c.id
            );
        }
        assert_ne!(c.ko.statement, c.statement, "claim {}", c.id);
        assert!(c.values.is_object(), "claim {} values: {}", c.id, c.values);
        let png = std::fs::read(figures.join(&c.figure))
            .unwrap_or_else(|e| panic!("claim {}: {}: {e}", c.id, c.figure));
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{}", c.figure);
    }
    for file in [
        "hidden_units_mnist.png",
        "hidden_units_cifar.png",
        "templates_vs_means.png",
    ] {
        assert!(figures.join(file).is_file(), "{file}");
    }
    assert_eq!(written.unit_figures.len(), 2);

    // The generated digits are a bright bar at a row that depends on the class: a 1-layer
    // net's templates are those bars, so each matches its own class mean best.
    let c1 = &written.claims[0];
    let share = c1.values["mnist-1layer"]["own_class_share"]
        .as_f64()
        .unwrap();
    assert!(share >= 0.8, "{}", c1.values);
    // Claim 9 compares the accuracies the networks reached; it must agree with them.
    let gap = written.claims[8].values["gap"].as_f64().unwrap();
    let acc = |id: NetworkId| r.network(id).unwrap().analysis.held_out.accuracy();
    assert!((gap - (acc(NetworkId::Mnist2Layer) - acc(NetworkId::Cifar2Layer))).abs() < 1e-3);

    // reproduce.json carries the claims and reads back; index.html has a section per claim.
    let mut rep = report::reproduce(&r, r.total_seconds);
    rep.claims = written.claims.clone();
    let json = serde_json::to_string(&rep).unwrap();
    let back: report::Reproduce = serde_json::from_str(&json).unwrap();
    // Values hold floats that JSON keeps to within their last bit: compare the rest exactly.
    let key = |c: &claims::Claim| (c.id, c.verdict, c.figure.clone(), c.summary.clone());
    assert_eq!(
        back.claims.iter().map(key).collect::<Vec<_>>(),
        written.claims.iter().map(key).collect::<Vec<_>>()
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    for c in v["claims"].as_array().unwrap() {
        for key in ["id", "statement", "measure", "values", "verdict", "figure"] {
            assert!(c.get(key).is_some(), "{key} missing in {c}");
        }
        assert!(["holds", "partly", "fails"].contains(&c["verdict"].as_str().unwrap()));
    }
    let extra = |l: Lang| claims::html(&written.claims, &written.unit_figures, l);
    report::write_index_with(&r, &rep, out.path(), &[], &extra).unwrap();
    for lang in Lang::ALL {
        let html = std::fs::read_to_string(out.path().join(lang.index_file())).unwrap();
        for c in &written.claims {
            assert!(
                html.contains(&format!("id=\"claim-{}\"", c.id)),
                "claim {}",
                c.id
            );
            assert!(html.contains(&format!("figures/{}", c.figure)));
            assert!(
                html.contains(&lang_esc(c.statement(lang))),
                "claim {}",
                c.id
            );
        }
    }
    let table = claims::table(&written.claims);
    assert_eq!(table.lines().count(), 10, "{table}");

    // Same data, same seeds: the same numbers and verdicts again.
    let second = claims::write_all(&r, &first, &figures, Lang::En).unwrap();
    assert_eq!(second.claims, written.claims);
}

/// `&`, `<`, `>` and `"` escaped as the report pages escape text.
fn lang_esc(s: &str) -> String {
    experiments::lang::esc(s)
}
