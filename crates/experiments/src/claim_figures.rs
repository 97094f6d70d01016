//! The figures of [`crate::claims`]: one per claim, drawn from the numbers the claim measured
//! with `render`'s building blocks (image grids, stacks, labels, shapes and text).

use datasets::DatasetView;
use render::compose::{Align, hstack, label, vstack};
use render::grid::{GridOptions, image_grid};
use render::{Anchor, Drawing, Raster, Rect, Rgb, Stroke, TextStyle, palette};

use crate::claims::{ClassClusters, Context};
use crate::figure_text as words;
use crate::figures::{sample_raster, template_raster};
use crate::lang::Lang;
use crate::pipeline::Outcome;

/// Ten distinguishable class colours (the common "category10" hues).
pub const CLASS_COLOURS: [Rgb; 10] = [
    Rgb::new(31, 119, 180),
    Rgb::new(255, 127, 14),
    Rgb::new(44, 160, 44),
    Rgb::new(214, 39, 40),
    Rgb::new(148, 103, 189),
    Rgb::new(140, 86, 75),
    Rgb::new(227, 119, 194),
    Rgb::new(127, 127, 127),
    Rgb::new(188, 189, 34),
    Rgb::new(23, 190, 207),
];

fn class_colour(c: usize) -> Rgb {
    CLASS_COLOURS[c % CLASS_COLOURS.len()]
}

/// Panels one under the other, with a margin.
pub fn stack(panels: Vec<Drawing>, lang: Lang) -> Drawing {
    if panels.is_empty() {
        return label(
            words::NOTHING.get(lang),
            14.0,
            palette::INK,
            10,
            palette::BACKGROUND,
        );
    }
    vstack(&panels, 24, Align::Start, palette::BACKGROUND).padded(10, palette::BACKGROUND)
}

fn title(text: &str) -> Drawing {
    label(text, 15.0, palette::INK, 4, palette::BACKGROUND)
}

fn mean_raster(values: &[f32], o: &Outcome) -> Raster {
    let s = o.analysis.templates.shape();
    Raster::from_planar_unit(values, s.channels, s.width, s.height)
}

/// Template tiles at about 90 pixels: 28x28 and 32x32 images both enlarged 3 times.
fn tile_scale(_: &Outcome) -> u32 {
    3
}

/// A series of a bar chart.
pub struct Series<'a> {
    /// Legend entry.
    pub name: &'a str,
    /// Bar colour.
    pub colour: Rgb,
    /// One value per category.
    pub values: &'a [f64],
}

/// A vertical bar chart of one or more series over `labels`, from a zero line (negative values
/// go down), each bar with its value printed by `fmt`; `emphasis` categories get bold labels
/// marked with a star.
pub fn value_bars(
    heading: &str,
    labels: &[String],
    series: &[Series<'_>],
    emphasis: &[usize],
    fmt: &dyn Fn(f64) -> String,
) -> Drawing {
    let (slot_w, bar_w, plot_h, left, top) = (74.0f32, 22.0f32, 150.0f32, 10.0f32, 50.0f32);
    // Wide enough for a value label above each bar: 40 px alone, 30 px in pairs.
    let bar_w = if series.len() <= 1 {
        40.0
    } else {
        (bar_w * 3.0 / series.len() as f32).min(30.0)
    };
    let all: Vec<f64> = series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .filter(|v| v.is_finite())
        .collect();
    let hi = all.iter().copied().fold(0.0f64, f64::max);
    let lo = all.iter().copied().fold(0.0f64, f64::min);
    let span = (hi - lo).max(1e-12);
    let zero_y = top + (hi / span) as f32 * plot_h;
    let n = labels.len();
    let width = left as u32 * 2 + (slot_w * n as f32) as u32;
    let height = (top + plot_h + 56.0) as u32 + if series.len() > 1 { 20 } else { 0 };
    let mut d = Drawing::canvas(width.max(420), height, palette::BACKGROUND);
    d.text(
        (left, 6.0),
        heading,
        TextStyle::new(14.0, palette::INK).anchored(Anchor::TOP_LEFT),
    );
    let small = TextStyle::new(10.0, palette::INK);
    for (i, l) in labels.iter().enumerate() {
        let x0 = left + i as f32 * slot_w;
        for (k, s) in series.iter().enumerate() {
            let v = s.values.get(i).copied().unwrap_or(f64::NAN);
            if !v.is_finite() {
                continue;
            }
            let x = x0 + (slot_w - bar_w * series.len() as f32) / 2.0 + k as f32 * bar_w;
            let h = (v.abs() / span) as f32 * plot_h;
            let y = if v >= 0.0 { zero_y - h } else { zero_y };
            d.rect(
                Rect::new(
                    x.round() as i32,
                    y.round() as i32,
                    (bar_w - 2.0).max(1.0) as u32,
                    h.round().max(1.0) as u32,
                ),
                Some(s.colour),
                None,
            );
            let (ty, anchor) = if v >= 0.0 {
                (y - 2.0, Anchor::BOTTOM)
            } else {
                (y + h + 2.0, Anchor::TOP)
            };
            d.text((x + bar_w / 2.0 - 1.0, ty), fmt(v), small.anchored(anchor));
        }
        let strong = emphasis.contains(&i);
        let text = if strong {
            format!("★ {l}")
        } else {
            l.clone()
        };
        let colour = if strong { palette::WRONG } else { palette::INK };
        d.text(
            (x0 + slot_w / 2.0, top + plot_h + 20.0),
            text,
            TextStyle::new(11.0, colour).anchored(Anchor::TOP),
        );
    }
    d.line(
        (left, zero_y),
        (left + slot_w * n as f32, zero_y),
        Stroke::new(palette::INK, 1.0),
    );
    if series.len() > 1 {
        let mut x = left;
        let y = top + plot_h + 42.0;
        for s in series {
            d.rect(Rect::new(x as i32, y as i32, 12, 12), Some(s.colour), None);
            d.text(
                (x + 16.0, y + 6.0),
                s.name,
                TextStyle::new(11.0, palette::INK).anchored(Anchor::LEFT),
            );
            x += 30.0 + render::measure_text(s.name, 11.0).width;
        }
    }
    d
}

/// Claim 1: each 1-layer template over its class's mean image, with the correlation.
pub fn templates_vs_means(cx: &Context<'_>, o: &Outcome, own: &[f64]) -> Drawing {
    let t = &o.analysis.templates;
    let n = t.len();
    let mut tiles: Vec<Raster> = (0..n).map(|u| template_raster(t, u)).collect();
    tiles.extend((0..n).map(|c| mean_raster(&cx.mean_image(o, c), o)));
    let lang = cx.lang();
    let mut labels: Vec<String> = classes_in(lang, o).into_iter().take(n).collect();
    labels.extend(own.iter().map(|&r| words::mean_r(lang, r)));
    let grid = image_grid(
        &tiles,
        &GridOptions {
            scale: tile_scale(o),
            gap: 8,
            labels,
            label_size: 12.0,
            ..GridOptions::new(n)
        },
    );
    vstack(
        &[
            title(&words::templates_vs_means_title(lang, &o.trained.spec.id)),
            grid,
        ],
        2,
        Align::Start,
        palette::BACKGROUND,
    )
}

/// Claim 2: border-minus-centre blue-minus-red of each CIFAR-10 template, with the templates.
pub fn blue_edges(
    lang: Lang,
    o: &Outcome,
    values: &[f64],
    border: &[f64],
    highlight: &[usize],
) -> Drawing {
    let t = &o.analysis.templates;
    let classes = classes_in(lang, o);
    let tiles: Vec<Raster> = (0..t.len()).map(|u| template_raster(t, u)).collect();
    let grid = image_grid(
        &tiles,
        &GridOptions {
            scale: 2,
            gap: 0,
            margin: 0,
            labels: classes.clone(),
            label_size: 11.0,
            ..GridOptions::new(tiles.len())
        },
    );
    let bars = value_bars(
        words::BLUE_AXIS.get(lang),
        &classes,
        &[
            Series {
                name: words::BORDER_MINUS_CENTRE.get(lang),
                colour: palette::NEGATIVE,
                values,
            },
            Series {
                name: words::BORDER_ALONE.get(lang),
                colour: palette::BAR,
                values: border,
            },
        ],
        highlight,
        &|v| format!("{v:+.2}"),
    );
    stack(vec![title(words::BLUE_TITLE.get(lang)), grid, bars], lang)
}

/// Claim 3: loopness, ink and stroke width per predicted class.
pub fn loops_and_lines(lang: Lang, classes: &[String], by_pred: &[[f64; 3]]) -> Drawing {
    let col = |f: usize| by_pred.iter().map(|m| m[f]).collect::<Vec<f64>>();
    let labels: Vec<String> = classes.iter().map(|c| words::predicted(lang, c)).collect();
    let (l, i, w) = (col(0), col(1), col(2));
    let panels = vec![
        title(words::LOOPS_TITLE.get(lang)),
        value_bars(
            words::RING_INK.get(lang),
            &labels,
            &[Series {
                name: "",
                colour: palette::CORRECT,
                values: &l,
            }],
            &[0],
            &|v| format!("{v:.2}"),
        ),
        value_bars(
            words::TOTAL_INK.get(lang),
            &labels,
            &[Series {
                name: "",
                colour: palette::BAR,
                values: &i,
            }],
            &[1],
            &|v| format!("{v:.0}"),
        ),
        value_bars(
            words::STROKE.get(lang),
            &labels,
            &[Series {
                name: "",
                colour: palette::NEGATIVE,
                values: &w,
            }],
            &[1],
            &|v| format!("{v:.2}"),
        ),
    ];
    stack(panels, lang)
}

/// Claim 4: the 1-layer templates with their own-class r, the 2-layer filters with their best |r|.
pub fn filters_vs_templates(
    lang: Lang,
    o1: &Outcome,
    own: &[f64],
    o2: &Outcome,
    best_of: &[(usize, f64)],
) -> Drawing {
    let row = |o: &Outcome, labels: Vec<String>| {
        let t = &o.analysis.templates;
        let tiles: Vec<Raster> = (0..t.len()).map(|u| template_raster(t, u)).collect();
        image_grid(
            &tiles,
            &GridOptions {
                scale: tile_scale(o),
                gap: 8,
                labels,
                label_size: 12.0,
                ..GridOptions::new(tiles.len())
            },
        )
    };
    let c1 = &classes_in(lang, o1);
    let l1 = own
        .iter()
        .enumerate()
        .map(|(c, r)| format!("{}: r {r:.2}", short(&c1[c])))
        .collect();
    let l2 = best_of
        .iter()
        .enumerate()
        .map(|(f, (c, r))| format!("f{}: {} |r| {r:.2}", f + 1, short(&c1[*c])))
        .collect();
    vstack(
        &[
            title(&words::filters_vs_templates_title(
                lang,
                &o1.trained.spec.id,
                &o2.trained.spec.id,
            )),
            row(o1, l1),
            row(o2, l2),
        ],
        4,
        Align::Start,
        palette::BACKGROUND,
    )
}

fn short(name: &str) -> String {
    name.chars().take(5).collect()
}

/// The class names of `o` as `lang`'s reader reads them (CIFAR-10's in Korean for Korean).
pub fn classes_in(lang: Lang, o: &Outcome) -> Vec<String> {
    crate::figures::classes(o, lang)
}

/// Claim 5: each filter placed at (rim minus centre, class 0's weight on it).
pub fn rim_weights(
    lang: Lang,
    o: &Outcome,
    rim: &[f64],
    out0: &[f64],
    r: Option<f64>,
    p: Option<f64>,
) -> Drawing {
    let (w, h, m) = (780.0f32, 560.0f32, 70.0f32);
    let mut d = Drawing::canvas(w as u32, h as u32, palette::BACKGROUND);
    let range = |v: &[f64]| {
        let a = v.iter().fold(0.0f64, |m, x| m.max(x.abs())).max(1e-9) * 1.1;
        (-a, a)
    };
    let ((x0, x1), (y0, y1)) = (range(rim), range(out0));
    let px = |x: f64| m + ((x - x0) / (x1 - x0)) as f32 * (w - 2.0 * m);
    let py = |y: f64| h - m - ((y - y0) / (y1 - y0)) as f32 * (h - 2.0 * m - 30.0);
    let axis = Stroke::new(palette::MUTED, 1.0);
    d.line((px(0.0), m), (px(0.0), h - m + 20.0), axis);
    d.line((m - 20.0, py(0.0)), (w - m + 20.0, py(0.0)), axis);
    d.text(
        (10.0, 8.0),
        words::RIM_TITLE.get(lang),
        TextStyle::new(13.0, palette::INK).anchored(Anchor::TOP_LEFT),
    );
    d.text(
        (10.0, 28.0),
        words::rim_stats(lang, r.unwrap_or(f64::NAN), p.unwrap_or(f64::NAN)),
        TextStyle::new(12.0, palette::MUTED).anchored(Anchor::TOP_LEFT),
    );
    let muted = TextStyle::new(11.0, palette::MUTED);
    d.text(
        (w - 10.0, py(0.0) - 8.0),
        words::RIM_RIGHT.get(lang),
        muted.anchored(Anchor::BOTTOM_RIGHT),
    );
    d.text(
        (10.0, py(0.0) - 8.0),
        words::RIM_LEFT.get(lang),
        muted.anchored(Anchor::BOTTOM_LEFT),
    );
    d.text(
        (px(0.0) + 6.0, m - 4.0),
        words::RIM_UP.get(lang),
        muted.anchored(Anchor::LEFT),
    );
    d.text(
        (px(0.0) + 6.0, h - m + 16.0),
        words::RIM_DOWN.get(lang),
        muted.anchored(Anchor::LEFT),
    );
    let t = &o.analysis.templates;
    for f in 0..rim.len() {
        let img = template_raster(t, f);
        let (cx, cy) = (px(rim[f]), py(out0[f]));
        let (tw, th) = (img.width() as i32, img.height() as i32);
        let (x, y) = (cx as i32 - tw / 2, cy as i32 - th / 2);
        d.place(Drawing::image(&img, 1), x, y);
        d.rect(
            Rect::new(x - 1, y - 1, tw as u32 + 2, th as u32 + 2),
            None,
            Some((palette::EDGE, 1)),
        );
        // Labels to the right, where a neighbour's thumbnail rarely lies.
        d.text(
            ((x + tw + 3) as f32, cy),
            format!("f{}", f + 1),
            TextStyle::new(11.0, palette::INK).anchored(Anchor::LEFT),
        );
    }
    d
}

/// Claim 6: for each class, its clusters' mean images with their shares.
pub fn kinds_of_digits(lang: Lang, o: &Outcome, classes: &[ClassClusters]) -> Drawing {
    let mut rows = vec![title(words::KINDS_TITLE.get(lang))];
    let names = classes_in(lang, o);
    for c in classes {
        let tiles: Vec<Raster> = c.mean_images.iter().map(|m| mean_raster(m, o)).collect();
        let labels = c
            .shares
            .iter()
            .map(|s| format!("{:.0}%", 100.0 * s))
            .collect();
        let grid = image_grid(
            &tiles,
            &GridOptions {
                scale: 2,
                gap: 6,
                margin: 0,
                labels,
                label_size: 11.0,
                ..GridOptions::new(tiles.len())
            },
        );
        let text = words::clusters(lang, &names[c.class], c.k, c.silhouette, c.substantial);
        let mut cell = Drawing::canvas(240, grid.height(), palette::BACKGROUND);
        let l = label(&text, 12.0, palette::INK, 2, palette::BACKGROUND);
        let y = (grid.height() as i32 - l.height() as i32) / 2;
        cell.place(l, 0, y);
        rows.push(hstack(&[cell, grid], 0, Align::Start, palette::BACKGROUND));
    }
    stack(rows, lang)
}

/// Claim 7: the held-out hidden codes on their first two principal components, coloured by
/// actual class, filled when right, ringed when wrong, with thumbnails of some samples.
pub fn projection(
    lang: Lang,
    o: &Outcome,
    view: &DatasetView<'_>,
    xy: &[Vec<f64>],
    explained: f64,
) -> Drawing {
    let (w, h, m, legend) = (760.0f32, 560.0f32, 30.0f32, 130.0f32);
    let mut d = Drawing::canvas((w + legend) as u32, h as u32, palette::BACKGROUND);
    let ext = |k: usize| {
        let lo = xy.iter().map(|p| p[k]).fold(f64::INFINITY, f64::min);
        let hi = xy.iter().map(|p| p[k]).fold(f64::NEG_INFINITY, f64::max);
        (lo, (hi - lo).max(1e-9))
    };
    let ((xl, xs), (yl, ys)) = (ext(0), ext(1));
    let px = |p: &[f64]| {
        (
            m + ((p[0] - xl) / xs) as f32 * (w - 2.0 * m),
            h - m - ((p[1] - yl) / ys) as f32 * (h - 2.0 * m - 20.0),
        )
    };
    d.text(
        (m, 6.0),
        words::projection_title(lang, &o.trained.spec.id, explained),
        TextStyle::new(12.0, palette::INK).anchored(Anchor::TOP_LEFT),
    );
    let preds = o.analysis.held_out.predictions.predicted();
    let shown = xy.len().min(2000);
    for (i, p) in xy.iter().enumerate().take(shown) {
        let c = usize::from(view.label(i));
        let at = px(p);
        if preds[i] == view.label(i) {
            d.circle(at, 2.0, Some(class_colour(c)), None);
        } else {
            d.circle(at, 3.0, None, Some(Stroke::new(class_colour(c), 1.2)));
        }
    }
    // Thumbnails: every 40th of the first 1,200 samples, so they spread over the cloud.
    for i in (0..shown.min(1200)).step_by(40) {
        let img = sample_raster(view, i);
        let (x, y) = px(&xy[i]);
        let c = usize::from(view.label(i));
        let (tw, th) = (img.width() as i32, img.height() as i32);
        d.place(
            Drawing::image(&img, 1),
            x as i32 - tw / 2,
            y as i32 - th / 2,
        );
        d.rect(
            Rect::new(
                x as i32 - tw / 2 - 1,
                y as i32 - th / 2 - 1,
                tw as u32 + 2,
                th as u32 + 2,
            ),
            None,
            Some((class_colour(c), 2)),
        );
    }
    for (c, name) in classes_in(lang, o).iter().enumerate() {
        let y = 40.0 + c as f32 * 20.0;
        d.circle((w + 10.0, y), 5.0, Some(class_colour(c)), None);
        d.text(
            (w + 20.0, y),
            name.as_str(),
            TextStyle::new(12.0, palette::INK).anchored(Anchor::LEFT),
        );
    }
    d
}

/// Claim 9: per-class recall of the two 2-layer networks, side by side.
pub fn recalls(lang: Lang, mnist: &[String], rm: &[f64], cifar: &[String], rc: &[f64]) -> Drawing {
    let labels: Vec<String> = (0..rm.len().max(rc.len()))
        .map(|i| {
            format!(
                "{}/{}",
                mnist.get(i).map_or("-", String::as_str),
                cifar.get(i).map_or("-".into(), |c| short(c))
            )
        })
        .collect();
    let pm: Vec<f64> = rm.iter().map(|x| 100.0 * x).collect();
    let pc: Vec<f64> = rc.iter().map(|x| 100.0 * x).collect();
    let chart = value_bars(
        words::RECALLS_TITLE.get(lang),
        &labels,
        &[
            Series {
                name: "MNIST",
                colour: palette::CORRECT,
                values: &pm,
            },
            Series {
                name: "CIFAR-10",
                colour: palette::WRONG,
                values: &pc,
            },
        ],
        &[],
        &|v| format!("{v:.0}"),
    );
    stack(vec![chart], lang)
}
