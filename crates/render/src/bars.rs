//! Bar charts: a network's class probabilities (predicted bar red, true bar green), and
//! signed weights drawn up and down from a zero line.

use crate::color::{Rgb, max_abs, palette};
use crate::raster::Rect;
use crate::scene::Drawing;
use crate::text::{Anchor, TextStyle, measure_text};

/// How a bar chart is laid out.
#[derive(Clone, Debug, PartialEq)]
pub struct BarOptions {
    /// Horizontal pitch of the bars in pixels: match a grid's tile pitch to line bars up
    /// under tiles.
    pub slot: u32,
    /// Width of each bar in pixels (at most `slot`).
    pub bar_width: u32,
    /// Height of the plot area in pixels: 0..1 for probabilities, -scale..scale for signed
    /// values.
    pub height: u32,
    /// Em size of the bar labels and tick labels.
    pub label_size: f32,
    /// A title centred above the chart.
    pub title: Option<String>,
    /// Em size of the title.
    pub title_size: f32,
    /// Pixels of background around the chart.
    pub margin: u32,
    /// Background colour.
    pub background: Rgb,
}

impl Default for BarOptions {
    /// 22-pixel slots with 14-pixel bars, a 110-pixel plot, 12-pixel labels.
    fn default() -> Self {
        BarOptions {
            slot: 22,
            bar_width: 14,
            height: 110,
            label_size: 12.0,
            title: None,
            title_size: 14.0,
            margin: 8,
            background: palette::BACKGROUND,
        }
    }
}

const LABEL_GAP: f32 = 4.0;

/// Labels under the bars, centred, or slanted when the widest does not fit its slot.
fn bar_labels<S: AsRef<str>>(d: &mut Drawing, labels: &[S], y: f32, opts: &BarOptions) {
    let widest = labels
        .iter()
        .map(|l| measure_text(l.as_ref(), opts.label_size).width)
        .fold(0.0, f32::max);
    let slanted = widest > opts.slot as f32 - 2.0;
    for (i, l) in labels.iter().enumerate() {
        let cx = (i as f32 + 0.5) * opts.slot as f32;
        let base = TextStyle::new(opts.label_size, palette::INK);
        let style = if slanted {
            // The text ends under its bar and rises to the left.
            base.anchored(Anchor::RIGHT).rotated(-45.0)
        } else {
            base.anchored(Anchor::TOP)
        };
        let y = if slanted { y + 2.0 } else { y };
        d.text((cx, y), l.as_ref(), style);
    }
}

fn title(d: &mut Drawing, plot_w: f32, top: f32, opts: &BarOptions) {
    if let Some(t) = &opts.title {
        let style = TextStyle::new(opts.title_size, palette::INK).anchored(Anchor::BOTTOM);
        d.text((plot_w / 2.0, top - 8.0), t.as_str(), style);
    }
}

#[track_caller]
fn check_inputs(what: &str, n: usize, labels: usize) {
    assert!(n > 0, "{what}: no values");
    assert!(
        labels == 0 || labels == n,
        "{what}: {labels} labels for {n} values"
    );
}

fn bar_x(i: usize, opts: &BarOptions) -> i32 {
    let bw = opts.bar_width.min(opts.slot);
    (i as u32 * opts.slot + (opts.slot - bw) / 2) as i32
}

/// A vertical bar per class showing `probs` on a fixed 0..1 scale (so a confident bar is
/// full height), light rules at 0.5 and 1, the class `labels` under the bars. The
/// `actual` class's bar is green; the `predicted` class's bar is red when it differs from
/// the actual one (green when they agree); the others are gray.
///
/// # Panics
/// If `probs` is empty, or `labels` is neither empty nor one per value.
#[track_caller]
pub fn probability_bars<S: AsRef<str>>(
    probs: &[f32],
    labels: &[S],
    predicted: Option<usize>,
    actual: Option<usize>,
    opts: &BarOptions,
) -> Drawing {
    check_inputs("probability_bars", probs.len(), labels.len());
    let n = probs.len();
    let (w, h) = (n as u32 * opts.slot, opts.height);
    let mut d = Drawing::new(opts.background);
    for (frac, text) in [(0.5, "0.5"), (1.0, "1")] {
        let y = h as i32 - (frac * h as f32).round() as i32;
        d.rect(Rect::new(0, y, w, 1), Some(palette::RULE), None);
        let style = TextStyle::new(opts.label_size * 0.85, palette::MUTED).anchored(Anchor::RIGHT);
        d.text((-4.0, y as f32 + 0.5), text, style);
    }
    let bw = opts.bar_width.min(opts.slot);
    for (i, &p) in probs.iter().enumerate() {
        let color = if actual == Some(i) {
            palette::CORRECT
        } else if predicted == Some(i) {
            palette::WRONG
        } else {
            palette::BAR
        };
        let p = if p.is_nan() { 0.0 } else { p.clamp(0.0, 1.0) };
        let bh = (p * h as f32).round() as u32;
        if bh > 0 {
            d.rect(
                Rect::new(bar_x(i, opts), (h - bh) as i32, bw, bh),
                Some(color),
                None,
            );
        }
    }
    d.rect(Rect::new(0, h as i32, w, 1), Some(palette::INK), None);
    bar_labels(&mut d, labels, h as f32 + 1.0 + LABEL_GAP, opts);
    title(&mut d, w as f32, 0.0, opts);
    d.fit(opts.margin)
}

/// A bar per value drawn up (positive, red) or down (negative, blue) from a zero line, on
/// a symmetric scale where `scale` reaches the edge of the plot. A `scale <= 0` means "the
/// largest magnitude in `values`". Labels go under the plot.
///
/// # Panics
/// If `values` is empty, or `labels` is neither empty nor one per value.
#[track_caller]
pub fn signed_bars<S: AsRef<str>>(
    values: &[f32],
    labels: &[S],
    scale: f32,
    opts: &BarOptions,
) -> Drawing {
    check_inputs("signed_bars", values.len(), labels.len());
    let n = values.len();
    let scale = if scale > 0.0 { scale } else { max_abs(values) };
    let scale = if scale > 0.0 { scale } else { 1.0 };
    let w = n as u32 * opts.slot;
    let half = (opts.height / 2).max(1);
    let zero = half as i32;
    let mut d = Drawing::new(opts.background);
    let bw = opts.bar_width.min(opts.slot);
    for (i, &v) in values.iter().enumerate() {
        let v = if v.is_nan() { 0.0 } else { v };
        let bh = ((v.abs() / scale).min(1.0) * half as f32).round() as u32;
        if bh == 0 {
            continue;
        }
        let (y, color) = if v > 0.0 {
            (zero - bh as i32, palette::POSITIVE)
        } else {
            (zero + 1, palette::NEGATIVE)
        };
        d.rect(Rect::new(bar_x(i, opts), y, bw, bh), Some(color), None);
    }
    d.rect(Rect::new(0, zero, w, 1), Some(palette::INK), None);
    // Keep the full plot height even when every bar is short, so rows of charts line up.
    d.rect(Rect::new(0, 0, 1, 2 * half + 1), None, None);
    bar_labels(&mut d, labels, (2 * half + 1) as f32 + LABEL_GAP, opts);
    title(&mut d, w as f32, 0.0, opts);
    d.fit(opts.margin)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Raster;

    /// Colour at the middle of bar `i`, `dy` pixels above the baseline `base_y`.
    fn bar_pixel(r: &Raster, i: u32, base_y: u32, dy: i32, opts: &BarOptions, left: u32) -> Rgb {
        let x = left + i * opts.slot + opts.slot / 2;
        r.pixel(x, (base_y as i32 - dy) as u32)
    }

    /// The row of the chart's horizontal rule in INK (baseline or zero line), scanning the
    /// column at `x`.
    fn ink_row(r: &Raster, x: u32) -> u32 {
        (0..r.height())
            .find(|&y| r.pixel(x, y) == palette::INK)
            .unwrap()
    }

    #[test]
    fn predicted_red_true_green_others_gray() {
        let opts = BarOptions::default();
        let probs = [0.05, 0.6, 0.0, 0.3, 0.05];
        let labels = ["0", "1", "2", "3", "4"];
        let r = probability_bars(&probs, &labels, Some(1), Some(3), &opts).to_raster();
        // The plot starts after the margin and the (muted) tick labels: its left edge is
        // the first column holding the baseline's ink; the baseline row is under bar 2.
        let left = (0..r.width())
            .find(|&x| (0..r.height()).any(|y| r.pixel(x, y) == palette::INK))
            .unwrap();
        let base = ink_row(&r, left + 2 * opts.slot + opts.slot / 2);
        assert_eq!(bar_pixel(&r, 1, base, 2, &opts, left), palette::WRONG);
        assert_eq!(bar_pixel(&r, 3, base, 2, &opts, left), palette::CORRECT);
        assert_eq!(bar_pixel(&r, 0, base, 2, &opts, left), palette::BAR);
        // Heights: 0.6 of 110 = 66 pixels, so row 66 above the baseline is red, 67 not.
        assert_eq!(bar_pixel(&r, 1, base, 66, &opts, left), palette::WRONG);
        assert_ne!(bar_pixel(&r, 1, base, 67, &opts, left), palette::WRONG);
        // Labels drawn under the baseline.
        let dark = (base + 3..r.height())
            .flat_map(|y| (0..r.width()).map(move |x| (x, y)))
            .filter(|&(x, y)| r.pixel(x, y).luminance() < 0.5)
            .count();
        assert!(dark > 10, "{dark}");
    }

    #[test]
    fn correct_prediction_is_green() {
        let opts = BarOptions::default();
        let r = probability_bars(&[0.1, 0.9], &[] as &[&str], Some(1), Some(1), &opts).to_raster();
        let greens = r
            .as_rgb_bytes()
            .chunks(3)
            .filter(|p| *p == [40, 160, 70])
            .count();
        let reds = r
            .as_rgb_bytes()
            .chunks(3)
            .filter(|p| *p == [215, 48, 39])
            .count();
        assert!(greens > 0 && reds == 0);
    }

    #[test]
    fn signed_bars_go_up_and_down() {
        let opts = BarOptions::default();
        let r = signed_bars(&[1.0, -0.5, 0.0], &["a", "b", "c"], 0.0, &opts).to_raster();
        let left = opts.margin;
        let zero = ink_row(&r, left + 2 * opts.slot + opts.slot / 2);
        let half = (opts.height / 2) as i32;
        // Value 1 at scale 1 reaches the top; -0.5 reaches halfway down.
        assert_eq!(bar_pixel(&r, 0, zero, half, &opts, left), palette::POSITIVE);
        assert_eq!(
            bar_pixel(&r, 1, zero, -half / 2, &opts, left),
            palette::NEGATIVE
        );
        assert_ne!(
            bar_pixel(&r, 1, zero, -half / 2 - 2, &opts, left),
            palette::NEGATIVE
        );
        assert_ne!(bar_pixel(&r, 0, zero, -3, &opts, left), palette::POSITIVE);
    }

    #[test]
    #[should_panic(expected = "2 labels for 3 values")]
    fn label_count_must_match() {
        signed_bars(&[1.0, 2.0, 3.0], &["a", "b"], 1.0, &BarOptions::default());
    }
}
