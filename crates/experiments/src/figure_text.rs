//! Every word drawn inside a figure, in English and Korean: the one place the figures take
//! their text from, so that [`figure_strings_ko`] lists all of it and the glyph test
//! (`tests::every_korean_figure_string_has_glyphs`) checks it against the bundled fonts.
//!
//! Fixed words are [`Text`] constants; sentences with numbers are functions of the language.
//! Numbers, network ids (`mnist-2layer`) and symbols (r, p, k, |r|) stay as they are.

use introspect::MistakeKind;
use render::confusion::TableWords;

use crate::lang::{Lang, Text};

/// Label of a hidden filter, before its number.
pub const FILTER: Text = Text::new("filter", "필터");
/// Label of an input unit of a network diagram, before its number.
pub const PIXEL: Text = Text::new("pixel", "픽셀");
/// A figure with nothing in it.
pub const NOTHING: Text = Text::new("nothing to show", "표시할 내용이 없습니다");
/// The mistakes figure when the network made none.
pub const NO_MISTAKES: Text = Text::new(
    "no mistakes on the test set",
    "테스트 세트에서 틀린 샘플이 없습니다",
);
/// Under a unit's histogram.
pub const ACTIVATION: Text = Text::new("activation", "활성화 값");
/// Between a unit's outgoing weights and its most active images.
pub const WEIGHTS_THEN_MOST: Text = Text::new(
    "weights to each class (above); most active:",
    "클래스별 가중치(위), 가장 강하게 활성화한 이미지:",
);
/// Above a unit's least active images.
pub const LEAST: Text = Text::new("least active:", "가장 약하게 활성화한 이미지:");
/// Claim 2's value axis.
pub const BLUE_AXIS: Text = Text::new(
    "blue - red weight, in template s.d. (the verdict reads the blue bars)",
    "파랑 - 빨강 가중치, 템플릿 표준편차 단위 (판정은 파란 막대로 내림)",
);
/// Claim 2's first series.
pub const BORDER_MINUS_CENTRE: Text = Text::new(
    "border ring (4 px) minus centre (16x16)",
    "테두리 띠(4 px) - 중앙(16x16)",
);
/// Claim 2's second series.
pub const BORDER_ALONE: Text = Text::new("border ring alone", "테두리 띠만");
/// Claim 2's title.
pub const BLUE_TITLE: Text = Text::new(
    "cifar-1layer templates: are airplane and ship blue on the outer edges?",
    "cifar-1layer 템플릿: 비행기와 배의 가장자리는 파란색일까?",
);
/// Claim 3's title.
pub const LOOPS_TITLE: Text = Text::new(
    "mnist-2layer, held-out digits grouped by the class the network predicts",
    "mnist-2layer: 신경망이 예측한 클래스별로 모은 검증 세트의 숫자",
);
/// Claim 3's first panel.
pub const RING_INK: Text = Text::new(
    "ring ink minus centre ink (mean intensity 0..1): a big loop with an empty middle is high",
    "고리 부분 잉크 - 가운데 잉크 (평균 밝기 0..1): 가운데가 빈 큰 고리일수록 높음",
);
/// Claim 3's second panel.
pub const TOTAL_INK: Text = Text::new(
    "total ink (pixels of full intensity)",
    "잉크 총량 (최대 밝기 픽셀 수로 환산)",
);
/// Claim 3's third panel.
pub const STROKE: Text = Text::new(
    "stroke width 2A/P (pixels, threshold 128)",
    "획 굵기 2A/P (픽셀, 임계값 128)",
);
/// Claim 5's title.
pub const RIM_TITLE: Text = Text::new(
    "mnist-2layer: class 0's output weight on each hidden filter against the filter's rim-minus-centre weight",
    "mnist-2layer: 은닉 필터마다 클래스 0의 출력 가중치와 그 필터의 테두리 - 가운데 가중치",
);
/// Claim 5's horizontal axis, right end.
pub const RIM_RIGHT: Text = Text::new(
    "filter: high rim, low centre →",
    "필터: 테두리는 높고 가운데는 낮음 →",
);
/// Claim 5's horizontal axis, left end.
pub const RIM_LEFT: Text = Text::new("← low rim, high centre", "← 테두리는 낮고 가운데는 높음");
/// Claim 5's vertical axis, top.
pub const RIM_UP: Text = Text::new("↑ class 0 favours the filter", "↑ 클래스 0이 선호하는 필터");
/// Claim 5's vertical axis, bottom.
pub const RIM_DOWN: Text = Text::new("↓ class 0 disfavours it", "↓ 클래스 0이 꺼리는 필터");
/// Claim 6's title.
pub const KINDS_TITLE: Text = Text::new(
    "mnist-2layer: clusters of the hidden codes of each class's correctly classified held-out digits (mean image, share)",
    "mnist-2layer: 바르게 분류된 검증 세트 숫자의 은닉층 코드를 클래스마다 군집화 (평균 이미지, 비율)",
);
/// Claim 9's title.
pub const RECALLS_TITLE: Text = Text::new(
    "held-out recall per class (%): mnist-2layer against cifar-2layer, same architecture",
    "클래스별 검증 세트 재현율 (%): 구조가 같은 mnist-2layer와 cifar-2layer",
);

/// The words of a confusion table.
pub fn table_words(lang: Lang) -> TableWords {
    match lang {
        Lang::En => TableWords::default(),
        Lang::Ko => TableWords {
            accuracy: "정확도".into(),
            recall: "재현율".into(),
            precision: "정밀도".into(),
            predicted: "예측".into(),
            actual: "실제".into(),
        },
    }
}

/// "filter 3".
pub fn filter(lang: Lang, number: usize) -> String {
    format!("{} {number}", FILTER.get(lang))
}

/// A confusion table's title.
pub fn confusion_title(lang: Lang, id: &str, accuracy: f64) -> String {
    let pct = 100.0 * accuracy;
    lang.pick(
        format!("{id} on the held-out split: {pct:.2}% correct"),
        format!("{id}, 검증 세트 정확도 {pct:.2}%"),
    )
}

/// The line under one mistake.
pub fn mistake(
    lang: Lang,
    kind: MistakeKind,
    actual: &str,
    predicted: &str,
    confidence: f64,
) -> String {
    let pct = 100.0 * confidence;
    let kind = match kind {
        MistakeKind::Understandable => Text::new("understandable", "이해할 만한 실수"),
        MistakeKind::Glaring => Text::new("glaring", "어이없는 실수"),
    }
    .get(lang);
    lang.pick(
        format!("{kind}: true {actual}, predicted {predicted} ({pct:.0}%)"),
        format!("{kind}: 실제 {actual}, 예측 {predicted} ({pct:.0}%)"),
    )
}

/// A class mean's label with its correlation to the template above it.
pub fn mean_r(lang: Lang, r: f64) -> String {
    lang.pick(format!("mean, r {r:.2}"), format!("평균, r {r:.2}"))
}

/// Claim 1's panel title.
pub fn templates_vs_means_title(lang: Lang, id: &str) -> String {
    lang.pick(
        format!("{id}: each template (top) over its class's mean training image (bottom); r against the centred mean"),
        format!("{id}: 각 템플릿(위)과 그 클래스의 평균 훈련 이미지(아래), r은 중심화한 평균과의 상관"),
    )
}

/// A group of digits by the class predicted for them.
pub fn predicted(lang: Lang, class: &str) -> String {
    lang.pick(format!("pred {class}"), format!("예측 {class}"))
}

/// Claim 4's panel title.
pub fn filters_vs_templates_title(lang: Lang, one: &str, two: &str) -> String {
    lang.pick(
        format!("{one}: templates and their own-class r (top); {two} filters and their best |r| with any class (bottom)"),
        format!("{one}: 템플릿과 자기 클래스와의 r (위), {two}: 필터와 클래스 중 가장 큰 |r| (아래)"),
    )
}

/// Claim 5's statistics line.
pub fn rim_stats(lang: Lang, r: f64, p: f64) -> String {
    lang.pick(
        format!("Pearson r = {r:.2}, one-sided permutation p = {p:.3}; rim: 5-10 px from the middle, centre: < 3 px"),
        format!("피어슨 r = {r:.2}, 단측 순열 검정 p = {p:.3}; 테두리: 중심에서 5-10 px, 가운데: 3 px 미만"),
    )
}

/// One class of claim 6.
pub fn clusters(lang: Lang, name: &str, k: usize, silhouette: f64, large: usize) -> String {
    lang.pick(
        format!("{name}: k={k}, silhouette {silhouette:.2}, {large} >= 10%"),
        format!("{name}: k={k}, 실루엣 {silhouette:.2}, 10% 이상인 군집 {large}개"),
    )
}

/// Claim 7's panel title.
pub fn projection_title(lang: Lang, id: &str, explained: f64) -> String {
    let pct = 100.0 * explained;
    lang.pick(
        format!("{id}: held-out hidden codes, first two principal components ({pct:.0}% of the variance); filled right, ringed wrong"),
        format!("{id}: 검증 세트의 은닉층 코드, 첫 두 주성분 (분산의 {pct:.0}%); 채운 점은 정답, 빈 고리는 오답"),
    )
}

/// The sweep figure's title.
pub fn sweep_title(lang: Lang, dataset: &str) -> String {
    lang.pick(
        format!("{dataset} held-out accuracy by hidden layers (same recipe, same epochs)"),
        format!("은닉층 구성별 {dataset} 검증 세트 정확도 (같은 훈련 방법, 같은 에포크 수)"),
    )
}

/// One architecture of the sweep with its parameter count.
pub fn sweep_row(lang: Lang, arch: &str, parameters: usize) -> String {
    lang.pick(
        format!("{arch}  ({parameters} params)"),
        format!("{arch}  (파라미터 {parameters}개)"),
    )
}

/// The title of a hidden-unit card.
pub fn hidden_unit(lang: Lang, number: usize) -> String {
    lang.pick(
        format!("hidden unit {number}"),
        format!("은닉 유닛 {number}"),
    )
}

/// The hidden-unit figure's heading.
pub fn units_title(lang: Lang, id: &str) -> String {
    lang.pick(
        format!("{id}: what each hidden unit sees (held-out split)"),
        format!("{id}: 은닉 유닛 하나하나가 보는 것 (검증 세트)"),
    )
}

/// Claim 10's confusion panels.
pub fn dense_vs_conv(lang: Lang, conv: bool, id: &str, accuracy: f64) -> String {
    let pct = 100.0 * accuracy;
    match (conv, lang) {
        (false, Lang::En) => format!("dense {id}: {pct:.2}% held-out"),
        (true, Lang::En) => format!("convolutional {id}: {pct:.2}% held-out"),
        (false, Lang::Ko) => format!("완전 연결 {id}: 검증 세트 {pct:.2}%"),
        (true, Lang::Ko) => format!("합성곱 {id}: 검증 세트 {pct:.2}%"),
    }
}

/// Claim 10's filter panels.
pub fn conv_filters(lang: Lang, id: &str, count: usize, k: usize, rgb: bool) -> String {
    let rgb = if rgb { ", RGB" } else { "" };
    lang.pick(
        format!("{id}: the {count} first-layer filters ({k}x{k}{rgb})"),
        format!("{id}: 첫 층의 필터 {count}개 ({k}x{k}{rgb})"),
    )
}

/// Every Korean string the figures draw, with sample numbers in the formatted ones: what the
/// glyph test checks. A new word above belongs here too.
pub fn figure_strings_ko() -> Vec<String> {
    let ko = Lang::Ko;
    let mut all: Vec<String> = [
        FILTER,
        PIXEL,
        NOTHING,
        NO_MISTAKES,
        ACTIVATION,
        WEIGHTS_THEN_MOST,
        LEAST,
        BLUE_AXIS,
        BORDER_MINUS_CENTRE,
        BORDER_ALONE,
        BLUE_TITLE,
        LOOPS_TITLE,
        RING_INK,
        TOTAL_INK,
        STROKE,
        RIM_TITLE,
        RIM_RIGHT,
        RIM_LEFT,
        RIM_UP,
        RIM_DOWN,
        KINDS_TITLE,
        RECALLS_TITLE,
    ]
    .iter()
    .map(|t| t.ko.to_string())
    .collect();
    let w = table_words(ko);
    all.extend([format!("{} 비행기", w.predicted), format!("{} 9", w.actual)]);
    all.extend([w.accuracy, w.recall, w.precision, w.predicted, w.actual]);
    all.extend([
        filter(ko, 10),
        confusion_title(ko, "mnist-2layer", 0.9244),
        mistake(ko, MistakeKind::Understandable, "3", "5", 0.5),
        mistake(ko, MistakeKind::Glaring, "고양이", "개", 0.9),
        mean_r(ko, 0.5),
        templates_vs_means_title(ko, "mnist-1layer"),
        predicted(ko, "0"),
        filters_vs_templates_title(ko, "mnist-1layer", "mnist-2layer"),
        rim_stats(ko, 0.5, 0.01),
        clusters(ko, "0", 3, 0.3, 2),
        projection_title(ko, "mnist-2layer", 0.4),
        sweep_title(ko, "MNIST"),
        sweep_row(ko, "784-10", 7850),
        hidden_unit(ko, 1),
        units_title(ko, "mnist-2layer"),
        dense_vs_conv(ko, false, "cifar-2layer", 0.38),
        dense_vs_conv(ko, true, "cifar-conv", 0.72),
        conv_filters(ko, "cifar-conv", 16, 5, true),
    ]);
    all.extend(datasets::cifar10::CLASSES_KO.iter().map(|c| c.to_string()));
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_korean_figure_string_has_glyphs() {
        // render depends on no crate of ours, so the strings are checked here, where they are
        // written, against the fonts render bundles: no tofu in a Korean figure.
        for s in figure_strings_ko() {
            assert_eq!(render::missing_glyphs(&s), Vec::<char>::new(), "{s:?}");
        }
    }

    #[test]
    fn korean_figure_text_is_korean() {
        // Each fixed word differs between the languages (none was left in English) and the
        // Korean one has Hangul in it.
        for s in figure_strings_ko() {
            let hangul = s.chars().any(|c| ('가'..='힣').contains(&c));
            let digits_only = s.chars().all(|c| !c.is_alphabetic() || c.is_ascii_digit());
            assert!(hangul || digits_only, "{s:?}");
        }
    }
}
