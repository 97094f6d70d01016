//! What each hidden unit sees: a card per hidden unit of a 2-layer network with its filter,
//! its outgoing weights to each class, the held-out images that activate it most and least,
//! and the histogram of its activation over the held-out split.

use datasets::DatasetView;
use render::bars::{BarOptions, signed_bars};
use render::compose::{Align, hstack, label, vstack};
use render::grid::{GridOptions, image_grid};
use render::{Drawing, Raster, Rect, palette};
use tensor::Matrix;

use crate::figure_text as words;
use crate::figures::{sample_raster, template_raster};
use crate::lang::Lang;
use crate::pipeline::Outcome;

/// Images shown per card for the most and for the least activating samples.
pub const EXTREMES: usize = 8;
/// Bins of the activation histogram (over the activation's observed range).
pub const BINS: usize = 20;

/// One hidden unit, measured.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitCard {
    /// The unit's index.
    pub unit: usize,
    /// The held-out samples activating it most, strongest first (ties to the lower index).
    pub top: Vec<usize>,
    /// The held-out samples activating it least, weakest first.
    pub bottom: Vec<usize>,
    /// Counts of the activations in [`BINS`] equal bins over `range`.
    pub histogram: Vec<usize>,
    /// Lowest and highest activation.
    pub range: (f32, f32),
}

/// The cards of every column of `codes` (held-out samples x hidden units).
pub fn cards(codes: &Matrix) -> Vec<UnitCard> {
    (0..codes.cols())
        .map(|u| {
            let a: Vec<f32> = (0..codes.rows()).map(|i| codes.get(i, u)).collect();
            let mut order: Vec<usize> = (0..a.len()).collect();
            order.sort_by(|&x, &y| a[y].total_cmp(&a[x]).then(x.cmp(&y)));
            let top = order.iter().take(EXTREMES).copied().collect();
            let mut low: Vec<usize> = (0..a.len()).collect();
            low.sort_by(|&x, &y| a[x].total_cmp(&a[y]).then(x.cmp(&y)));
            let bottom = low.iter().take(EXTREMES).copied().collect();
            let lo = a.iter().copied().fold(f32::INFINITY, f32::min);
            let hi = a.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let mut histogram = vec![0usize; BINS];
            let span = (hi - lo).max(f32::MIN_POSITIVE);
            for &v in &a {
                let b = (((v - lo) / span) * BINS as f32) as usize;
                histogram[b.min(BINS - 1)] += 1;
            }
            UnitCard {
                unit: u,
                top,
                bottom,
                histogram,
                range: (lo, hi),
            }
        })
        .collect()
}

fn histogram(card: &UnitCard, width: u32, height: u32, lang: Lang) -> Drawing {
    let mut d = Drawing::canvas(width, height + 16, palette::BACKGROUND);
    let max = card.histogram.iter().copied().max().unwrap_or(1).max(1) as f32;
    let bw = width as f32 / BINS as f32;
    for (b, &n) in card.histogram.iter().enumerate() {
        let h = (n as f32 / max * height as f32).round() as u32;
        if h > 0 {
            d.rect(
                Rect::new(
                    (b as f32 * bw) as i32,
                    (height - h) as i32,
                    (bw - 1.0).max(1.0) as u32,
                    h,
                ),
                Some(palette::BAR),
                None,
            );
        }
    }
    d.rect(
        Rect::new(0, height as i32, width, 1),
        Some(palette::INK),
        None,
    );
    let style = render::TextStyle::new(10.0, palette::MUTED);
    d.text(
        (0.0, height as f32 + 3.0),
        format!("{:.2}", card.range.0),
        style.anchored(render::Anchor::TOP_LEFT),
    );
    d.text(
        (width as f32, height as f32 + 3.0),
        format!("{:.2}", card.range.1),
        style.anchored(render::Anchor::TOP_RIGHT),
    );
    d.text(
        (width as f32 / 2.0, height as f32 + 3.0),
        words::ACTIVATION.get(lang),
        style.anchored(render::Anchor::TOP),
    );
    d
}

/// The figure of all cards of a 2-layer outcome, 5 cards per row; `None` for a 1-layer one.
pub fn figure(o: &Outcome, view: &DatasetView<'_>, codes: &Matrix, lang: Lang) -> Option<Drawing> {
    let bars = o.analysis.bars.as_ref()?;
    let t = &o.analysis.templates;
    let short: Vec<String> = crate::figures::classes(o, lang)
        .iter()
        .map(|c| c.chars().take(3).collect())
        .collect();
    let small = |idx: &[usize]| {
        let tiles: Vec<Raster> = idx.iter().map(|&i| sample_raster(view, i)).collect();
        image_grid(
            &tiles,
            &GridOptions {
                scale: 1,
                gap: 1,
                margin: 0,
                ..GridOptions::new(EXTREMES)
            },
        )
    };
    let drawn: Vec<Drawing> = cards(codes)
        .iter()
        .map(|card| {
            let u = card.unit;
            let filter = Drawing::image(&template_raster(t, u), 3);
            let weights: Vec<f32> = (0..bars.outputs()).map(|c| bars.row(c)[u]).collect();
            let chart = signed_bars(
                &weights,
                &short,
                bars.scale(),
                &BarOptions {
                    slot: 17,
                    bar_width: 11,
                    height: 70,
                    label_size: 9.0,
                    margin: 2,
                    ..BarOptions::default()
                },
            );
            let head = hstack(&[filter, chart], 6, Align::Center, palette::BACKGROUND);
            let caption = |s: &str| label(s, 11.0, palette::MUTED, 1, palette::BACKGROUND);
            let w = small(&card.top).width().max(160);
            vstack(
                &[
                    label(
                        &words::hidden_unit(lang, u + 1),
                        13.0,
                        palette::INK,
                        2,
                        palette::BACKGROUND,
                    ),
                    head,
                    caption(words::WEIGHTS_THEN_MOST.get(lang)),
                    small(&card.top),
                    caption(words::LEAST.get(lang)),
                    small(&card.bottom),
                    histogram(card, w, 40, lang),
                ],
                3,
                Align::Start,
                palette::BACKGROUND,
            )
            .padded(6, palette::BACKGROUND)
        })
        .collect();
    let rows: Vec<Drawing> = drawn
        .chunks(5)
        .map(|c| hstack(c, 18, Align::Start, palette::BACKGROUND))
        .collect();
    let heading = label(
        &words::units_title(lang, &o.trained.spec.id),
        15.0,
        palette::INK,
        4,
        palette::BACKGROUND,
    );
    let mut all = vec![heading];
    all.extend(rows);
    Some(vstack(&all, 14, Align::Start, palette::BACKGROUND).padded(10, palette::BACKGROUND))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cards_rank_and_count_activations() {
        // 12 samples, one unit: activations 0, 1, ..., 11 with a tie at the top.
        let mut v: Vec<f32> = (0..12).map(|i| i as f32).collect();
        v[3] = 11.0;
        let codes = Matrix::from_vec(12, 1, v).unwrap();
        let c = &cards(&codes)[0];
        assert_eq!(c.top[..3], [3, 11, 10]);
        assert_eq!(c.bottom[..3], [0, 1, 2]);
        assert_eq!(c.histogram.iter().sum::<usize>(), 12);
        assert_eq!(c.range, (0.0, 11.0));
        // The top value lands in the last bin, the lowest in the first.
        assert_eq!(c.histogram[BINS - 1], 2);
        assert_eq!(c.histogram[0], 1);
    }
}
