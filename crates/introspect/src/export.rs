//! Serialisable summaries of an evaluation: our own [`Summary`] and [`Ml4aSummary`], the exact
//! schema the original ml4a demo pages read. No file IO here: serialise with `serde_json`.

use serde::{Deserialize, Serialize};

use crate::confusion::ConfusionMatrix;
use crate::mistakes::Mistake;
use crate::tops::{RankedSample, TopSamples};

/// Where a summary's numbers come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummaryMeta {
    /// Dataset name, e.g. `"mnist"`.
    pub dataset: String,
    /// Split name, e.g. `"train[50000..60000]"`.
    pub split: String,
    /// Model id, e.g. `"mnist-2layer"`.
    pub model: String,
    /// Seed the model was trained with.
    pub seed: u64,
    /// Dataset index of sample 0 of the evaluated data. Sample indices in the summary count
    /// from the start of the evaluated data; add this to index the whole dataset.
    pub first_index: usize,
    /// Class names, in class order (may be empty).
    pub classes: Vec<String>,
}

/// Everything an evaluation shows, with its metadata: the confusion matrix with its totals and
/// ratios, the most confident samples of every cell, and the chosen mistakes.
///
/// Ratios without samples are `null` in JSON. `tops[a][p]` is the cell of actual `a` predicted
/// as `p`, most confident first, at most `max_tops` long.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Where the numbers come from.
    pub meta: SummaryMeta,
    /// Number of classes.
    pub n_classes: usize,
    /// Samples evaluated.
    pub total: u64,
    /// Samples predicted correctly.
    pub correct: u64,
    /// `correct / total`; `None` for an empty split.
    pub accuracy: Option<f64>,
    /// Counts, rows = actual, columns = predicted.
    pub confusion: Vec<Vec<u64>>,
    /// Samples per actual class (row totals).
    pub actuals: Vec<u64>,
    /// Predictions per class (column totals).
    pub predictions: Vec<u64>,
    /// Recall per class; `None` for a class without samples.
    pub recall: Vec<Option<f64>>,
    /// Precision per class; `None` for a class never predicted.
    pub precision: Vec<Option<f64>>,
    /// The cap applied to each cell of `tops`.
    pub max_tops: usize,
    /// The most confident samples of every cell, `tops[actual][predicted]`.
    pub tops: Vec<Vec<Vec<RankedSample>>>,
    /// Mistakes chosen by [`select_mistakes`](crate::select_mistakes).
    pub mistakes: Vec<Mistake>,
}

impl Summary {
    /// Gathers a summary, keeping at most `max_tops` samples per cell (`usize::MAX` keeps all).
    ///
    /// # Panics
    /// If `confusion` and `tops` have different numbers of classes.
    #[track_caller]
    pub fn new(
        meta: SummaryMeta,
        confusion: &ConfusionMatrix,
        tops: &TopSamples,
        mistakes: Vec<Mistake>,
        max_tops: usize,
    ) -> Self {
        let k = check_classes(confusion, tops);
        Self {
            meta,
            n_classes: k,
            total: confusion.total(),
            correct: confusion.correct(),
            accuracy: confusion.accuracy(),
            confusion: confusion.to_rows(),
            actuals: confusion.actuals(),
            predictions: confusion.predictions(),
            recall: (0..k).map(|c| confusion.recall(c)).collect(),
            precision: (0..k).map(|c| confusion.precision(c)).collect(),
            max_tops,
            tops: cells(tops, |a, p| tops.top(a, p, max_tops).to_vec()),
            mistakes,
        }
    }
}

/// One sample in an ml4a `tops` cell.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Ml4aTop {
    /// Index of the sample in the whole dataset (the original pages load the image by it).
    pub idx: usize,
    /// Probability of the predicted class.
    pub prob: f32,
}

/// Options of [`Ml4aSummary::new`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ml4aOptions {
    /// At most this many samples per `tops` cell (`usize::MAX` keeps all, as the original
    /// files do; a few dozen keep a file small and are all the pages show).
    pub max_tops: usize,
    /// Added to every sample index: the dataset index of the first evaluated sample, e.g.
    /// 50 000 for the chapter's MNIST split. The original pages index samples in the whole
    /// dataset (their MNIST summaries list samples 50 000..59 999).
    pub index_offset: usize,
}

/// The summary schema of the original ml4a confusion-matrix demo pages
/// (`mnist_summary_2layers.json`, `cifar10_summary_2layers.json`), field for field, so those
/// pages load our summaries unchanged:
///
/// ```json
/// {"confusion": [[954, 0, ...], ...], "tops": [[[{"idx": 58457, "prob": 0.99}, ...], ...], ...],
///  "actuals": [991, ...], "predictions": [1000, ...], "correct": 9128, "total": 10000}
/// ```
///
/// `confusion[a][p]` counts actual `a` predicted as `p`; `tops[a][p]` lists that cell's samples,
/// most confident first; `actuals` and `predictions` are the row and column totals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ml4aSummary {
    /// `n x n` counts, rows = actual, columns = predicted.
    pub confusion: Vec<Vec<u64>>,
    /// `tops[actual][predicted]`: samples of the cell, most confident first.
    pub tops: Vec<Vec<Vec<Ml4aTop>>>,
    /// Samples per actual class.
    pub actuals: Vec<u64>,
    /// Predictions per class.
    pub predictions: Vec<u64>,
    /// Correct predictions.
    pub correct: u64,
    /// Samples evaluated.
    pub total: u64,
}

impl Ml4aSummary {
    /// Builds the ml4a summary of an evaluation.
    ///
    /// # Panics
    /// If `confusion` and `tops` have different numbers of classes.
    #[track_caller]
    pub fn new(confusion: &ConfusionMatrix, tops: &TopSamples, options: Ml4aOptions) -> Self {
        check_classes(confusion, tops);
        Self {
            confusion: confusion.to_rows(),
            tops: cells(tops, |a, p| {
                tops.top(a, p, options.max_tops)
                    .iter()
                    .map(|s| Ml4aTop {
                        idx: s.index + options.index_offset,
                        prob: s.prob,
                    })
                    .collect()
            }),
            actuals: confusion.actuals(),
            predictions: confusion.predictions(),
            correct: confusion.correct(),
            total: confusion.total(),
        }
    }
}

#[track_caller]
fn check_classes(confusion: &ConfusionMatrix, tops: &TopSamples) -> usize {
    assert_eq!(
        confusion.n_classes(),
        tops.n_classes(),
        "a {}-class confusion matrix with {}-class top samples",
        confusion.n_classes(),
        tops.n_classes()
    );
    confusion.n_classes()
}

/// `f(actual, predicted)` for every cell, as nested vectors.
fn cells<T>(tops: &TopSamples, f: impl Fn(usize, usize) -> T) -> Vec<Vec<T>> {
    let k = tops.n_classes();
    (0..k).map(|a| (0..k).map(|p| f(a, p)).collect()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Predictions, select_mistakes};
    use serde_json::Value;
    use tensor::Matrix;

    /// Six samples over three classes; predicted (argmax) = 0, 0, 1, 1, 2, 0.
    fn predictions() -> Predictions {
        let probs = vec![
            0.9, 0.05, 0.05, // 0: actual 0, predicted 0 (0.9)
            0.6, 0.3, 0.1, //   1: actual 0, predicted 0 (0.6)
            0.2, 0.7, 0.1, //   2: actual 0, predicted 1 (0.7)
            0.1, 0.8, 0.1, //   3: actual 1, predicted 1 (0.8)
            0.3, 0.3, 0.4, //   4: actual 2, predicted 2 (0.4)
            0.95, 0.0, 0.05, // 5: actual 2, predicted 0 (0.95)
        ];
        Predictions::new(
            Matrix::from_vec(6, 3, probs).unwrap(),
            vec![0, 0, 0, 1, 2, 2],
        )
        .unwrap()
    }

    fn ml4a(max_tops: usize) -> Value {
        let p = predictions();
        let cm = ConfusionMatrix::from_predictions(&p);
        let tops = TopSamples::from_predictions(&p);
        let s = Ml4aSummary::new(
            &cm,
            &tops,
            Ml4aOptions {
                max_tops,
                index_offset: 50_000,
            },
        );
        serde_json::to_value(&s).unwrap()
    }

    #[test]
    fn ml4a_export_has_the_original_schema_field_by_field() {
        let v = ml4a(1);
        let obj = v.as_object().unwrap();
        // Compared as sets: serde_json's map order depends on its features.
        let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "actuals",
                "confusion",
                "correct",
                "predictions",
                "tops",
                "total"
            ]
        );

        // confusion: 3 arrays of 3 integers, rows = actual (counted from the table above).
        assert_eq!(
            v["confusion"],
            serde_json::json!([[2, 1, 0], [0, 1, 0], [1, 0, 1]])
        );
        assert_eq!(v["actuals"], serde_json::json!([3, 1, 2]));
        assert_eq!(v["predictions"], serde_json::json!([3, 2, 1]));
        assert_eq!(v["correct"], serde_json::json!(4));
        assert_eq!(v["total"], serde_json::json!(6));

        // tops: 3 x 3 arrays of {idx, prob}, capped at 1, idx offset into the dataset.
        let tops = v["tops"].as_array().unwrap();
        assert_eq!(tops.len(), 3);
        for (a, row) in tops.iter().enumerate() {
            let row = row.as_array().unwrap();
            assert_eq!(row.len(), 3);
            for (p, cell) in row.iter().enumerate() {
                let cell = cell.as_array().unwrap();
                let count = v["confusion"][a][p].as_u64().unwrap();
                assert_eq!(cell.len() as u64, count.min(1), "cell ({a}, {p})");
                for top in cell {
                    let top = top.as_object().unwrap();
                    let mut keys: Vec<&str> = top.keys().map(String::as_str).collect();
                    keys.sort_unstable();
                    assert_eq!(keys, ["idx", "prob"]);
                    assert!(top["idx"].is_u64());
                    assert!(top["prob"].is_f64());
                }
            }
        }
        // The (0, 0) cell keeps its most confident sample, 0 (0.9 beats 0.6), as 50 000.
        assert_eq!(v["tops"][0][0][0]["idx"], serde_json::json!(50_000));
        assert_eq!(v["tops"][0][0][0]["prob"].as_f64().unwrap() as f32, 0.9);
        assert_eq!(v["tops"][2][0][0]["idx"], serde_json::json!(50_005));
    }

    #[test]
    fn ml4a_export_uncapped_keeps_every_sample_in_order() {
        let v = ml4a(usize::MAX);
        let idx: Vec<u64> = v["tops"][0][0]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["idx"].as_u64().unwrap())
            .collect();
        assert_eq!(idx, [50_000, 50_001]);
    }

    #[test]
    fn ml4a_export_writes_fields_in_the_original_order_and_reads_the_original_format() {
        let p = predictions();
        let s = Ml4aSummary::new(
            &ConfusionMatrix::from_predictions(&p),
            &TopSamples::from_predictions(&p),
            Ml4aOptions {
                max_tops: 0,
                index_offset: 0,
            },
        );
        // Field order as in the original files.
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            r#"{"confusion":[[2,1,0],[0,1,0],[1,0,1]],"tops":[[[],[],[]],[[],[],[]],[[],[],[]]],"actuals":[3,1,2],"predictions":[3,2,1],"correct":4,"total":6}"#
        );
        // A file in the original format (written here by hand, f64 probabilities) parses.
        let original = r#"{"confusion":[[1,0],[1,0]],"tops":[[[{"idx":50001,"prob":0.9933060018692901}],[]],[[{"idx":50000,"prob":0.5}],[]]],"actuals":[1,1],"predictions":[2,0],"correct":1,"total":2}"#;
        let parsed: Ml4aSummary = serde_json::from_str(original).unwrap();
        assert_eq!(parsed.tops[0][0][0].idx, 50_001);
        assert_eq!(parsed.predictions, [2, 0]);
    }

    #[test]
    fn summary_carries_metadata_ratios_and_mistakes_and_round_trips() {
        let p = predictions();
        let meta = SummaryMeta {
            dataset: "toy".into(),
            split: "all".into(),
            model: "hand-made".into(),
            seed: 7,
            first_index: 0,
            classes: vec!["a".into(), "b".into(), "c".into()],
        };
        let s = Summary::new(
            meta,
            &ConfusionMatrix::from_predictions(&p),
            &TopSamples::from_predictions(&p),
            select_mistakes(&p, 1, 1),
            1,
        );
        // 4 of 6 correct; class 1 recall 1/1; class 2 precision 1/1, class 0 precision 2/3.
        assert_eq!(s.accuracy, Some(4.0 / 6.0));
        assert_eq!(s.recall[1], Some(1.0));
        assert_eq!(s.precision[0], Some(2.0 / 3.0));
        assert_eq!(s.tops[0][0].len(), 1);
        assert_eq!(s.mistakes.len(), 2);
        let json = serde_json::to_string(&s).unwrap();
        let back: Summary = serde_json::from_str(&json).unwrap();
        assert_eq!(back, s);
        let v: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["meta"]["model"], "hand-made");
        assert_eq!(v["meta"]["seed"], 7);
    }

    #[test]
    fn an_empty_class_exports_null_ratios() {
        let p = Predictions::new(Matrix::from_vec(1, 2, vec![1.0, 0.0]).unwrap(), vec![0]).unwrap();
        let meta = SummaryMeta {
            dataset: String::new(),
            split: String::new(),
            model: String::new(),
            seed: 0,
            first_index: 0,
            classes: vec![],
        };
        let s = Summary::new(
            meta,
            &ConfusionMatrix::from_predictions(&p),
            &TopSamples::from_predictions(&p),
            vec![],
            3,
        );
        let v = serde_json::to_value(&s).unwrap();
        assert_eq!(v["recall"], serde_json::json!([1.0, null]));
        assert_eq!(v["precision"], serde_json::json!([1.0, null]));
    }
}
