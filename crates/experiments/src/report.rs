//! The reports of a run: `reproduce.json`, the table printed beside the chapter's numbers, the
//! summaries, and `index.html`.

use std::fmt::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::analysis::{ml4a_summary, summary};
use crate::error::ExperimentError;
use crate::figures::FigureId;
use crate::io::{write_atomic, write_json};
use crate::lang::{Lang, Text, esc};
use crate::pipeline::{Outcome, Results};
use crate::spec::{
    CHAPTER_CIFAR_2LAYER, CHAPTER_MNIST_2LAYER, CHAPTER_THREES_AS_FIVES, DataKind, NetworkId,
};

/// One network's line of `reproduce.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExperimentRow {
    /// Network id.
    pub id: String,
    /// Accuracy on the chapter's held-out split.
    pub heldout_accuracy: f64,
    /// Accuracy on the official test set present.
    pub test_accuracy: f64,
    /// The chapter's held-out accuracy, where it gives one.
    pub chapter_accuracy: Option<f64>,
    /// Accepted held-out range.
    pub target: [f64; 2],
    /// True when the held-out accuracy is in range.
    pub pass: bool,
    /// Wall time of the training loop.
    pub train_seconds: f64,
    /// Epochs trained.
    pub epochs: usize,
    /// SHA-256 of the trained model's checkpoint bytes.
    pub model_sha256: String,
    /// Held-out samples of class 3 predicted as 5 (MNIST only; the chapter's net had
    /// [`CHAPTER_THREES_AS_FIVES`]).
    pub threes_as_fives: Option<u64>,
    /// Share of classes whose 1-layer template correlates best with its own class mean.
    pub template_own_class_share: Option<f64>,
    /// Mean correlation between each 1-layer template and its own class mean.
    pub template_mean_own_correlation: Option<f64>,
}

/// `reproduce.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reproduce {
    /// One row per network.
    pub experiments: Vec<ExperimentRow>,
    /// Wall time of the whole run, figures included.
    pub total_seconds: f64,
    /// Every claim of the chapter measured on this run's networks (empty for `explore`).
    #[serde(default)]
    pub claims: Vec<crate::claims::Claim>,
    /// Claim 10, when the convolutional nets are cached (`cargo xtask convnet`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim10: Option<crate::convnet::Claim10>,
    /// Where the run's time went.
    #[serde(default)]
    pub timings: Timings,
}

/// Where a run's wall time went, in seconds, phase by phase. Every key ends in `seconds` so
/// that a comparison of two runs can drop them all.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Timings {
    /// Loading the data, training (or loading from the cache) and evaluating every network.
    pub networks_seconds: f64,
    /// Of which training, summed over the networks trained in this run (0 when all cached).
    pub training_seconds: f64,
    /// The chapter's figures (PNG and SVG).
    pub figures_seconds: f64,
    /// The summaries (`run.json` per network, `summary.json`, `summary.csv`).
    pub summaries_seconds: f64,
    /// The HTML demos.
    pub demos_seconds: f64,
    /// Obtaining the width and depth sweeps (a lookup when cached).
    pub sweeps_seconds: f64,
    /// What the sweeps took to train when they were trained, cached or now: every point's
    /// training time summed.
    pub sweeps_from_scratch_seconds: f64,
    /// Measuring and drawing the claims.
    pub claims_seconds: f64,
    /// Claim 10 from the cached convolutional nets, and the report page.
    pub report_seconds: f64,
}

impl Reproduce {
    /// True when every network met its target.
    pub fn all_pass(&self) -> bool {
        self.experiments.iter().all(|e| e.pass)
    }
}

/// The row of one outcome.
pub fn row(o: &Outcome) -> ExperimentRow {
    let spec = &o.trained.spec;
    let acc = o.analysis.held_out.accuracy();
    let cm = &o.analysis.held_out.confusion;
    let scores = o.analysis.template_scores.as_ref();
    ExperimentRow {
        id: spec.id.clone(),
        heldout_accuracy: acc,
        test_accuracy: o.analysis.test.accuracy(),
        chapter_accuracy: spec.chapter_accuracy,
        target: spec.target,
        pass: spec.passes(acc),
        train_seconds: o.trained.train_seconds,
        epochs: o.trained.epochs.len(),
        model_sha256: o.trained.model_sha256.clone(),
        threes_as_fives: (spec.data == DataKind::Mnist && cm.n_classes() > 5)
            .then(|| cm.count(3, 5)),
        template_own_class_share: scores.and_then(|s| s.own_class_share),
        template_mean_own_correlation: scores.and_then(|s| s.mean_own_correlation),
    }
}

/// The chapter's figures among `written` file names, as (PNG file, caption in both languages)
/// in chapter order.
pub fn chapter_figures(written: &[String]) -> Vec<(String, Text)> {
    FigureId::ALL
        .iter()
        .map(|f| (f.png(), f.captions()))
        .filter(|(file, _)| written.contains(file))
        .collect()
}

/// Builds `reproduce.json`'s content.
pub fn reproduce(run: &Results, total_seconds: f64) -> Reproduce {
    Reproduce {
        experiments: run.outcomes.iter().map(row).collect(),
        total_seconds,
        claims: Vec::new(),
        claim10: None,
        timings: Timings::default(),
    }
}

fn pct(x: f64) -> String {
    format!("{:.2}%", 100.0 * x)
}

/// Which command a table is printed for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunKind {
    /// `reproduce`: the chapter's networks, closed by the chapter's own numbers.
    Chapter,
    /// `explore`: networks of the user's choosing, which the chapter's numbers do not describe.
    Explore,
}

/// The chapter's summary line, from the `CHAPTER_*` constants.
pub fn chapter_line() -> String {
    format!(
        "chapter: {} ({}), {} ({}), {CHAPTER_THREES_AS_FIVES} threes taken for fives",
        pct(CHAPTER_MNIST_2LAYER),
        NetworkId::Mnist2Layer.id(),
        pct(CHAPTER_CIFAR_2LAYER),
        NetworkId::Cifar2Layer.id(),
    )
}

/// The table printed at the end of a run: ours beside the chapter's numbers where the chapter
/// gives them, and the chapter's summary line for a [`RunKind::Chapter`] run only.
pub fn table(r: &Reproduce, kind: RunKind) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<14} {:>10} {:>10} {:>9} {:>15} {:>5} {:>8} {:>7}",
        "network", "held-out", "chapter", "test", "target", "pass", "train s", "3 as 5"
    );
    for e in &r.experiments {
        // A network with no target (explore's `[0, 1]`) is measured, not judged.
        let judged = e.target != [0.0, 1.0];
        let target = if !judged {
            "-".to_string()
        } else if e.target[1] >= 1.0 {
            format!(">= {}", pct(e.target[0]))
        } else {
            format!("{}..{}", pct(e.target[0]), pct(e.target[1]))
        };
        let _ = writeln!(
            s,
            "{:<14} {:>10} {:>10} {:>9} {:>15} {:>5} {:>8.2} {:>7}",
            e.id,
            pct(e.heldout_accuracy),
            e.chapter_accuracy.map_or("-".into(), pct),
            pct(e.test_accuracy),
            target,
            match (judged, e.pass) {
                (false, _) => "-",
                (true, true) => "yes",
                (true, false) => "NO",
            },
            e.train_seconds,
            e.threes_as_fives.map_or("-".into(), |n| n.to_string()),
        );
    }
    if kind == RunKind::Chapter {
        let _ = writeln!(s, "{}", chapter_line());
    }
    let t = &r.timings;
    if t.networks_seconds > 0.0 {
        let _ = writeln!(
            s,
            "total {:.1} s: networks {:.1} (training {:.1}), figures {:.2}, summaries {:.2}, demos {:.2}, sweeps {:.2} ({:.1} from scratch), claims {:.2}, report {:.2}",
            r.total_seconds,
            t.networks_seconds,
            t.training_seconds,
            t.figures_seconds,
            t.summaries_seconds,
            t.demos_seconds,
            t.sweeps_seconds,
            t.sweeps_from_scratch_seconds,
            t.claims_seconds,
            t.report_seconds
        );
    } else {
        let _ = writeln!(s, "total {:.1} s", r.total_seconds);
    }
    s
}

/// Writes `summaries/<id>.json` and `summaries/<id>.ml4a.json` (held-out split) and
/// `summaries/<id>.test.json` for every outcome.
///
/// # Errors
/// IO errors naming the file.
pub fn write_summaries(run: &Results, out: &Path) -> Result<(), ExperimentError> {
    let dir = out.join("summaries");
    for o in &run.outcomes {
        let id = &o.trained.spec.id;
        let classes = &o.analysis.classes;
        write_json(
            &dir.join(format!("{id}.json")),
            &summary(&o.trained, &o.analysis.held_out, classes),
        )?;
        write_json(
            &dir.join(format!("{id}.test.json")),
            &summary(&o.trained, &o.analysis.test, classes),
        )?;
        write_json(
            &dir.join(format!("{id}.ml4a.json")),
            &ml4a_summary(&o.analysis.held_out),
        )?;
    }
    Ok(())
}

/// Writes both report pages, `index.html` (English) and `index.ko.html` (Korean), each
/// linking to the other: the accuracy table, every figure with its caption, the
/// template-vs-class-mean correlations, timings. They link local files only. Every timing sits
/// in an element of class `secs`: they are the only part of a page that differs between two
/// runs of the same specs on the same data.
///
/// # Errors
/// IO errors naming the file.
pub fn write_index(
    run: &Results,
    r: &Reproduce,
    out: &Path,
    figures: &[(String, Text)],
) -> Result<(), ExperimentError> {
    write_index_with(run, r, out, figures, &|_| String::new())
}

/// [`write_index`] with `extra(lang)` HTML (the claims' section) after the figures.
///
/// # Errors
/// IO errors naming the file.
pub fn write_index_with(
    run: &Results,
    r: &Reproduce,
    out: &Path,
    figures: &[(String, Text)],
    extra: &dyn Fn(Lang) -> String,
) -> Result<(), ExperimentError> {
    let demos = out.join("demos").is_dir();
    for lang in Lang::ALL {
        let page = index_page(run, r, figures, &extra(lang), demos, lang);
        write_atomic(&out.join(lang.index_file()), page.as_bytes())?;
    }
    Ok(())
}

/// One report page in `lang`; `demos` when the demo pages were written beside it.
fn index_page(
    run: &Results,
    r: &Reproduce,
    figures: &[(String, Text)],
    extra: &str,
    demos: bool,
    lang: Lang,
) -> String {
    let t = |en: &'static str, ko: &'static str| Text::new(en, ko).get(lang);
    let mut h = String::new();
    let _ = write!(
        h,
        "<!doctype html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{}</title>\n<style>\nbody{{font-family:system-ui,-apple-system,'DejaVu Sans','Noto Sans CJK KR','Noto Sans KR','Malgun Gothic',sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}}\nhtml[lang=ko] body{{word-break:keep-all;line-height:1.6}}\nnav.lang{{float:right}}\ntable{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:.3em .6em;text-align:right}}th{{background:#f4f4f4}}td:first-child,th:first-child{{text-align:left}}\n.fail{{color:#b00;font-weight:bold}}.pass{{color:#070}}figure{{margin:2em 0}}figure img{{max-width:100%;border:1px solid #eee}}figcaption{{color:#444;margin-top:.4em}}\n</style></head><body>\n",
        lang.code(),
        t(
            "Looking inside neural nets: reproduction",
            "신경망의 내부: 재현 결과"
        ),
    );
    // The other page, first thing on the page, in its own language.
    let other = match lang {
        Lang::En => "<a href=\"index.ko.html\" hreflang=\"ko\" lang=\"ko\">한국어</a>",
        Lang::Ko => "<a href=\"index.html\" hreflang=\"en\" lang=\"en\">English</a>",
    };
    let _ = writeln!(h, "<nav class=\"lang\">{other}</nav>");
    let _ = writeln!(
        h,
        "<h1>{}</h1>\n<p>{}</p>",
        t("Looking inside neural nets", "신경망의 내부"),
        t(
            "Every number and figure below comes from networks trained by this run (<code>cargo xtask reproduce</code>).",
            "아래의 수치와 그림은 모두 이번 실행(<code>cargo xtask reproduce</code>)에서 훈련한 신경망에서 나왔습니다."
        ),
    );
    let heads = [
        t("network", "신경망"),
        t("held-out", "검증 세트"),
        t("chapter", "이 장의 수치"),
        t("test", "테스트 세트"),
        t("target", "목표"),
        t("pass", "통과"),
        t("epochs", "에포크"),
        t("train s", "훈련 시간(초)"),
    ];
    let _ = writeln!(
        h,
        "<h2>{}</h2>\n<table><tr>{}</tr>",
        t("Accuracy", "정확도"),
        heads
            .iter()
            .map(|x| format!("<th>{x}</th>"))
            .collect::<String>()
    );
    for e in &r.experiments {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}..{}</td><td class=\"{}\">{}</td><td>{}</td><td class=\"secs\">{:.2}</td></tr>",
            esc(&e.id),
            pct(e.heldout_accuracy),
            e.chapter_accuracy.map_or("-".into(), pct),
            pct(e.test_accuracy),
            pct(e.target[0]),
            pct(e.target[1]),
            if e.pass { "pass" } else { "fail" },
            if e.pass {
                t("yes", "예")
            } else {
                t("no", "아니요")
            },
            e.epochs,
            e.train_seconds
        );
    }
    let _ = writeln!(
        h,
        "</table>\n<p>{} <span class=\"secs\">{:.1}</span>{}</p>",
        t("Total run time", "전체 실행 시간"),
        r.total_seconds,
        t(" s.", "초."),
    );
    for o in &run.outcomes {
        let Some(scores) = &o.analysis.template_scores else {
            continue;
        };
        let best = scores
            .best_class
            .iter()
            .enumerate()
            .filter(|(t, b)| **b == Some(*t))
            .count();
        let n = scores.best_class.len();
        let id = esc(&o.trained.spec.id);
        let text = lang.pick(
            format!("<h2>Templates against class means: {id}</h2>\n<p>Pearson correlation of each output unit's weights (rows) with the mean training image of each class (columns). {best} of {n} templates correlate best with their own class.</p>"),
            format!("<h2>템플릿과 클래스 평균의 비교: {id}</h2>\n<p>출력 유닛마다 가중치(행)와 클래스별 평균 훈련 이미지(열) 사이의 피어슨 상관계수입니다. 템플릿 {n}개 중 {best}개가 자기 클래스와 상관이 가장 높습니다.</p>"),
        );
        let _ = writeln!(h, "{text}\n<table><tr><th></th>");
        let classes = lang.classes(&o.trained.spec.data, &o.analysis.classes);
        for c in &classes {
            let _ = write!(h, "<th>{}</th>", esc(c));
        }
        h.push_str("</tr>\n");
        for (t, row) in scores.correlations.iter().enumerate() {
            let _ = write!(
                h,
                "<tr><td>{}</td>",
                esc(classes.get(t).map_or("?", |s| s.as_str()))
            );
            for (c, v) in row.iter().enumerate() {
                let style = if t == c {
                    " style=\"font-weight:bold\""
                } else {
                    ""
                };
                let _ = write!(
                    h,
                    "<td{style}>{}</td>",
                    v.map_or("-".into(), |v| format!("{v:.2}"))
                );
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</table>\n");
    }
    if let Some(c) = &r.claim10 {
        h.push_str(&crate::convnet::index_section(c, lang));
    }
    let _ = writeln!(h, "<h2>{}</h2>", t("Figures", "그림"));
    if figures.is_empty() {
        let _ = writeln!(
            h,
            "<p>{}</p>",
            t(
                "This run drew none of the chapter's figures.",
                "이번 실행에서는 이 장의 그림을 그리지 않았습니다."
            )
        );
    }
    for (raw, caption) in figures {
        let (file, caption) = (esc(raw), esc(caption.get(lang)));
        let _ = writeln!(
            h,
            "<figure><a href=\"figures/{file}\"><img src=\"figures/{file}\" alt=\"{caption}\"></a><figcaption>{}{caption}</figcaption></figure>",
            crate::claims::file_label(lang, raw),
        );
    }
    h.push_str(extra);
    if demos {
        // The demos choose their language from `?lang=`; the Korean page opens them in Korean.
        let q = lang.pick("", "?lang=ko");
        let _ = writeln!(
            h,
            "<h2>{}</h2><ul><li><a href=\"demos/confusion.html{q}\">{}</a></li><li><a href=\"demos/weights.html{q}\">{}</a></li><li><a href=\"demos/draw.html{q}\">{}</a></li></ul>",
            t("Interactive demos", "인터랙티브 데모"),
            t("Confusion matrices", "혼동 행렬"),
            t("Weights", "가중치"),
            t("Draw a digit", "숫자를 직접 그려 보기"),
        );
    }
    h.push_str("</body></html>\n");
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reproduce_of(ids: &[&str]) -> Reproduce {
        let row = |id: &str| ExperimentRow {
            id: id.into(),
            heldout_accuracy: 0.5,
            test_accuracy: 0.5,
            chapter_accuracy: None,
            target: [0.0, 1.0],
            pass: true,
            train_seconds: 1.0,
            epochs: 1,
            model_sha256: String::new(),
            threes_as_fives: None,
            template_own_class_share: None,
            template_mean_own_correlation: None,
        };
        Reproduce {
            experiments: ids.iter().map(|id| row(id)).collect(),
            total_seconds: 2.0,
            claims: Vec::new(),
            claim10: None,
            timings: Timings::default(),
        }
    }

    #[test]
    fn the_chapter_line_is_built_from_the_constants() {
        let line = chapter_line();
        for part in [
            pct(CHAPTER_MNIST_2LAYER),
            pct(CHAPTER_CIFAR_2LAYER),
            CHAPTER_THREES_AS_FIVES.to_string(),
            NetworkId::Mnist2Layer.id().to_string(),
            NetworkId::Cifar2Layer.id().to_string(),
        ] {
            assert!(line.contains(&part), "{line:?} lacks {part:?}");
        }
    }

    #[test]
    fn only_the_chapter_run_prints_the_chapter_line() {
        let r = reproduce_of(&["mnist-2layer", "explore-mnist-1layer"]);
        let chapter = table(&r, RunKind::Chapter);
        let explore = table(&r, RunKind::Explore);
        assert!(!explore.contains("chapter:"), "{explore}");
        // The chapter run's table is the explore table with the chapter line added.
        let without: Vec<&str> = chapter.lines().filter(|l| *l != chapter_line()).collect();
        assert_eq!(chapter.lines().count(), without.len() + 1, "{chapter}");
        assert_eq!(without, explore.lines().collect::<Vec<_>>());
    }
}
