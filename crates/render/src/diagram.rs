//! The chapter's diagrams, each a [`Drawing`] (PNG and SVG from one description): a dense
//! network with its input image and labelled input column ([`mlp`]), a single neuron
//! `z = b + Σ wᵢxᵢ` ([`neuron`]), and the same sum laid out as two grids ([`grid_formula`]).
//!
//! Large layers are elided: only a few units are drawn, then "⋮" and the last unit, so a
//! 784-unit input costs a dozen circles and labels, not 784.

use crate::color::{Rgb, palette};
use crate::raster::{Raster, Rect, Stroke};
use crate::scene::Drawing;
use crate::text::{Anchor, TextStyle, measure_text, subscript_layout};

/// What [`mlp`] draws besides the layers.
#[derive(Clone, Debug, PartialEq)]
pub struct MlpOptions {
    /// The input image, drawn as a pixel grid with a brace to the input column.
    pub input_image: Option<Raster>,
    /// Pixels per image pixel in that grid.
    pub image_cell: u32,
    /// Input units drawn when the input layer is larger: the first `shown_inputs - 1`,
    /// an ellipsis, and the last.
    pub shown_inputs: usize,
    /// The same limit for the other layers (a layer of 10 is drawn in full).
    pub shown_units: usize,
    /// Input labels read "`input_label` 1" .. "`input_label` n"; empty for no labels.
    pub input_label: String,
    /// Labels beside the output units (e.g. "0" .. "9"); empty for none.
    pub output_labels: Vec<String>,
    /// `(layer, unit)`: the connections into this unit are drawn dark and all others
    /// faded. Layer 0 is the input, so `(1, 0)` is the first unit after it.
    pub emphasis: Option<(usize, usize)>,
    /// Draw a single neuron with its inputs and weights beside the network.
    pub neuron_detail: bool,
    /// Em size of the labels.
    pub font_size: f32,
    /// Horizontal distance between layer columns.
    pub layer_gap: f32,
    /// Pixels of background around the figure.
    pub margin: u32,
}

impl Default for MlpOptions {
    /// No image, 12 input units shown, labels "pixel i", no output labels, no emphasis.
    fn default() -> Self {
        MlpOptions {
            input_image: None,
            image_cell: 5,
            shown_inputs: 12,
            shown_units: 12,
            input_label: "pixel".to_string(),
            output_labels: Vec::new(),
            emphasis: None,
            neuron_detail: false,
            font_size: 13.0,
            layer_gap: 230.0,
            margin: 12,
        }
    }
}

/// What [`neuron`] draws.
#[derive(Clone, Debug, PartialEq)]
pub struct NeuronOptions {
    /// Number of inputs of the neuron (784 for an MNIST pixel).
    pub inputs: usize,
    /// Inputs drawn: the first `shown - 1`, an ellipsis, and the last.
    pub shown: usize,
    /// Symbol of the inputs (x₁ ..).
    pub input_symbol: String,
    /// Symbol of the weights (w₁ ..).
    pub weight_symbol: String,
    /// Symbol of the output.
    pub output_symbol: String,
    /// Em size of the symbols.
    pub font_size: f32,
    /// Pixels of background around the figure.
    pub margin: u32,
}

impl NeuronOptions {
    /// The chapter's neuron: inputs x, weights w, output z, six inputs drawn.
    pub fn new(inputs: usize) -> Self {
        NeuronOptions {
            inputs,
            shown: 6,
            input_symbol: "x".to_string(),
            weight_symbol: "w".to_string(),
            output_symbol: "z".to_string(),
            font_size: 17.0,
            margin: 12,
        }
    }
}

/// What [`grid_formula`] draws.
#[derive(Clone, Debug, PartialEq)]
pub struct FormulaOptions {
    /// Side of the square grids (28 for MNIST: 784 inputs).
    pub side: usize,
    /// When given, the input grid shows this image (enlarged, with grid lines) instead of
    /// symbols; corner labels still name x₁ .. xₙ.
    pub input_image: Option<Raster>,
    /// The same for the weight grid.
    pub weight_image: Option<Raster>,
    /// Pixels per image pixel.
    pub image_cell: u32,
    /// Symbol of the inputs.
    pub input_symbol: String,
    /// Symbol of the weights.
    pub weight_symbol: String,
    /// Symbol of the output.
    pub output_symbol: String,
    /// Em size of the symbols.
    pub font_size: f32,
    /// Pixels of background around the figure.
    pub margin: u32,
}

impl FormulaOptions {
    /// Symbolic `side x side` grids of x and w, output z.
    pub fn new(side: usize) -> Self {
        FormulaOptions {
            side,
            input_image: None,
            weight_image: None,
            image_cell: 6,
            input_symbol: "x".to_string(),
            weight_symbol: "w".to_string(),
            output_symbol: "z".to_string(),
            font_size: 17.0,
            margin: 12,
        }
    }
}

/// A position in a drawn column: a unit (by its index in the layer) or the ellipsis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Slot {
    Unit(usize),
    Ellipsis,
}

/// The slots of a layer of `n` units when at most `shown` are drawn.
fn slots(n: usize, shown: usize) -> Vec<Slot> {
    let shown = shown.max(2);
    if n <= shown {
        (0..n).map(Slot::Unit).collect()
    } else {
        let mut v: Vec<Slot> = (0..shown - 1).map(Slot::Unit).collect();
        v.push(Slot::Ellipsis);
        v.push(Slot::Unit(n - 1));
        v
    }
}

const NEURON_STROKE: Stroke = Stroke::new(palette::EDGE, 1.3);
/// Lines between the enlarged pixels of an input image: visible on black and on white.
const PIXEL_GRID: Rgb = Rgb::gray(105);

/// Three dots centred at `c`, along `dir` (a unit vector), `spacing` apart.
fn dots(d: &mut Drawing, c: (f32, f32), dir: (f32, f32), spacing: f32, r: f32) {
    for k in [-1.0, 0.0, 1.0] {
        let p = (c.0 + dir.0 * spacing * k, c.1 + dir.1 * spacing * k);
        d.circle(p, r, Some(palette::INK), None);
    }
}

/// A quadratic Bézier from `a` to `b` with control `c`, flattened.
fn quad(points: &mut Vec<(f32, f32)>, a: (f32, f32), c: (f32, f32), b: (f32, f32)) {
    const STEPS: usize = 12;
    for s in 1..=STEPS {
        let t = s as f32 / STEPS as f32;
        let u = 1.0 - t;
        points.push((
            u * u * a.0 + 2.0 * u * t * c.0 + t * t * b.0,
            u * u * a.1 + 2.0 * u * t * c.1 + t * t * b.1,
        ));
    }
}

/// A curly brace "{" from `top` to `bottom`, its point at `x_tip` and its ends at `x_end`.
fn brace(x_tip: f32, x_end: f32, top: f32, bottom: f32) -> Vec<(f32, f32)> {
    let xm = (x_tip + x_end) / 2.0;
    let mid = (top + bottom) / 2.0;
    let q = ((bottom - top) / 10.0).min(x_end - x_tip);
    let mut p = vec![(x_end, top)];
    quad(&mut p, (x_end, top), (xm, top), (xm, top + q));
    p.push((xm, mid - q));
    quad(&mut p, (xm, mid - q), (xm, mid), (x_tip, mid));
    quad(&mut p, (x_tip, mid), (xm, mid), (xm, mid + q));
    p.push((xm, bottom - q));
    quad(&mut p, (xm, bottom - q), (xm, bottom), (x_end, bottom));
    p
}

/// A small arrow from `a` to `b` (horizontal), head at `b`.
fn arrow(d: &mut Drawing, a: (f32, f32), b: (f32, f32)) {
    let s = Stroke::new(palette::INK, 1.0);
    d.line(a, b, s);
    d.line((b.0 - 5.0, b.1 - 3.5), b, s);
    d.line((b.0 - 5.0, b.1 + 3.5), b, s);
}

/// Radius of the input units and of the other units.
const INPUT_R: f32 = 7.0;
const UNIT_R: f32 = 15.0;

/// A dense network with `layers[0]` inputs and the given layer sizes, as in the chapter's
/// `mnist_1layer.png` / `mnist_2layers.png`: the input image (optional) with a brace to a
/// column of labelled input units ("pixel 1" .. "pixel 784", elided), every drawn unit
/// connected to every unit of the next layer. With `emphasis` the connections into one
/// unit stand out (`weights_analogy_1.png`), and `neuron_detail` adds [`neuron`] beside.
///
/// # Panics
/// If `layers` has fewer than two entries or a layer is empty.
#[track_caller]
pub fn mlp(layers: &[usize], opts: &MlpOptions) -> Drawing {
    assert!(
        layers.len() >= 2,
        "diagram::mlp needs at least an input and an output layer"
    );
    assert!(
        layers.iter().all(|&n| n > 0),
        "diagram::mlp: empty layer in {layers:?}"
    );
    let columns: Vec<Vec<Slot>> = layers
        .iter()
        .enumerate()
        .map(|(l, &n)| {
            slots(
                n,
                if l == 0 {
                    opts.shown_inputs
                } else {
                    opts.shown_units
                },
            )
        })
        .collect();
    let height = columns
        .iter()
        .enumerate()
        .map(|(l, c)| {
            c.len() as f32
                * if l == 0 {
                    2.0 * INPUT_R + 13.0
                } else {
                    2.0 * UNIT_R + 10.0
                }
        })
        .fold(0.0, f32::max);
    let centre_y = |l: usize, k: usize| (k as f32 + 0.5) * height / columns[l].len() as f32;

    let mut d = Drawing::new(palette::BACKGROUND);
    let mut x = 0.0;
    let label_style = TextStyle::new(opts.font_size, palette::INK);
    if let Some(img) = &opts.input_image {
        let cell = opts.image_cell.max(1);
        let ih = img.height() * cell;
        let iy = ((height - ih as f32) / 2.0).round() as i32;
        d.pixels(0, iy, cell, img.clone(), Some(PIXEL_GRID));
        x += (img.width() * cell) as f32 + 14.0;
        let top = centre_y(0, 0) - INPUT_R;
        let bottom = centre_y(0, columns[0].len() - 1) + INPUT_R;
        d.polyline(
            brace(x, x + 22.0, top, bottom),
            Stroke::new(palette::INK, 2.0),
        );
        x += 22.0 + 10.0;
    }
    let input_name = |u: usize| format!("{} {}", opts.input_label, u + 1);
    let label_w = if opts.input_label.is_empty() {
        0.0
    } else {
        columns[0]
            .iter()
            .filter_map(|s| match s {
                Slot::Unit(u) => Some(measure_text(&input_name(*u), opts.font_size).width),
                Slot::Ellipsis => None,
            })
            .fold(0.0, f32::max)
    };
    let arrow_x = x + label_w + 4.0;
    let x_in = if opts.input_label.is_empty() {
        x + INPUT_R
    } else {
        arrow_x + 22.0 + INPUT_R
    };
    let col_x = |l: usize| x_in + l as f32 * opts.layer_gap;
    let radius = |l: usize| if l == 0 { INPUT_R } else { UNIT_R };

    // Connections first, so the unit circles cover their ends; emphasised ones last.
    let normal = Stroke::new(palette::EDGE, 0.9).with_opacity(0.4);
    let faded = Stroke::new(palette::EDGE, 0.9).with_opacity(0.13);
    let strong = Stroke::new(palette::INK, 1.4);
    let mut emphasised = Vec::new();
    for l in 1..columns.len() {
        for (k, to) in columns[l].iter().enumerate() {
            let Slot::Unit(u) = *to else { continue };
            let hit = opts.emphasis == Some((l, u));
            for (kf, from) in columns[l - 1].iter().enumerate() {
                if *from == Slot::Ellipsis {
                    continue;
                }
                let a = (col_x(l - 1), centre_y(l - 1, kf));
                let b = (col_x(l), centre_y(l, k));
                if hit {
                    emphasised.push((a, b));
                } else if opts.emphasis.is_some() {
                    d.line(a, b, faded);
                } else {
                    d.line(a, b, normal);
                }
            }
        }
    }
    for (a, b) in emphasised {
        d.line(a, b, strong);
    }

    for (l, col) in columns.iter().enumerate() {
        for (k, slot) in col.iter().enumerate() {
            let c = (col_x(l), centre_y(l, k));
            match *slot {
                Slot::Unit(u) => {
                    d.circle(c, radius(l), Some(Rgb::WHITE), Some(NEURON_STROKE));
                    if l == 0 && !opts.input_label.is_empty() {
                        d.text(
                            (arrow_x - 4.0, c.1),
                            input_name(u),
                            label_style.anchored(Anchor::RIGHT),
                        );
                        arrow(&mut d, (arrow_x, c.1), (c.0 - INPUT_R - 3.0, c.1));
                    }
                    let output_label = opts.output_labels.get(u).filter(|_| l == columns.len() - 1);
                    if let Some(text) = output_label {
                        let at = (c.0 + UNIT_R + 8.0, c.1);
                        d.text(at, text.as_str(), label_style.anchored(Anchor::LEFT));
                    }
                }
                Slot::Ellipsis => {
                    let r = if l == 0 { 2.0 } else { 2.5 };
                    dots(&mut d, c, (0.0, 1.0), height / col.len() as f32 / 3.5, r);
                }
            }
        }
    }

    if opts.neuron_detail {
        let detail = neuron_parts(&NeuronOptions::new(layers[0]));
        let (main, side) = (d.bounds(), detail.bounds());
        let dx = (main[2] + 70.0 - side[0]).round() as i32;
        let dy = ((main[1] + main[3]) / 2.0 - (side[1] + side[3]) / 2.0).round() as i32;
        d.append(detail, dx, dy);
    }
    d.fit(opts.margin)
}

fn neuron_parts(opts: &NeuronOptions) -> Drawing {
    const R_IN: f32 = 20.0;
    const R_OUT: f32 = 44.0;
    const PITCH: f32 = 52.0;
    let col = slots(opts.inputs.max(1), opts.shown);
    let mut d = Drawing::new(palette::BACKGROUND);
    let fs = opts.font_size;
    let z = (260.0, (col.len() as f32 - 1.0) * PITCH / 2.0);
    let symbol = TextStyle::new(fs, palette::INK).anchored(Anchor::CENTER);
    for (k, slot) in col.iter().enumerate() {
        let c = (0.0, k as f32 * PITCH);
        let Slot::Unit(u) = *slot else {
            dots(&mut d, c, (0.0, 1.0), 7.0, 2.2);
            continue;
        };
        let (dx, dy) = (z.0 - c.0, z.1 - c.1);
        let len = (dx * dx + dy * dy).sqrt();
        let dir = (dx / len, dy / len);
        let a = (c.0 + dir.0 * R_IN, c.1 + dir.1 * R_IN);
        let b = (z.0 - dir.0 * R_OUT, z.1 - dir.1 * R_OUT);
        d.line(a, b, Stroke::new(palette::EDGE, 1.1));
        d.circle(c, R_IN, Some(Rgb::WHITE), Some(NEURON_STROKE));
        let index = (u + 1).to_string();
        // Shrink long symbols (x₇₈₄) to keep clear of the circle.
        let width = subscript_layout(&opts.input_symbol, &index, fs).0.width;
        let fit = TextStyle {
            size: fs * ((2.0 * R_IN - 9.0) / width).min(1.0),
            ..symbol
        };
        // Optical centring: the subscript hangs below, so lift the pair slightly.
        d.text_sub(
            (c.0, c.1 - 1.0),
            opts.input_symbol.as_str(),
            index.as_str(),
            fit,
        );
        // The weight sits above its line, a third of the way along, where neighbouring
        // lines are still far apart.
        let t = 0.34;
        let p = (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t);
        let normal = (dir.1, -dir.0);
        // Lift the label's box clear of the line: half its extent across the line.
        let (m, _) = subscript_layout(&opts.weight_symbol, &index, fs * 0.9);
        let lift = 3.0 + normal.0.abs() * m.width / 2.0 + normal.1.abs() * m.height() / 2.0;
        let at = (p.0 + normal.0 * lift, p.1 + normal.1 * lift);
        let w_style = TextStyle::new(fs * 0.9, palette::INK).anchored(Anchor::CENTER);
        d.text_sub(at, opts.weight_symbol.as_str(), index.as_str(), w_style);
    }
    d.circle(z, R_OUT, Some(Rgb::WHITE), Some(NEURON_STROKE));
    let z_style = TextStyle::new(fs * 1.6, palette::INK).anchored(Anchor::CENTER);
    d.text(z, opts.output_symbol.as_str(), z_style);
    d
}

/// One neuron as in the right half of `weights_analogy_1.png`: the inputs x₁ .. xₙ in
/// circles (elided), each connected to the output z, each connection labelled with its
/// weight w₁ .. wₙ.
pub fn neuron(opts: &NeuronOptions) -> Drawing {
    neuron_parts(opts).fit(opts.margin)
}

/// One of the two grids of [`grid_formula`], centred vertically on y = 0, left edge at 0.
fn formula_grid(symbol: &str, image: Option<&Raster>, opts: &FormulaOptions) -> Drawing {
    let side = opts.side.max(1);
    let n = side * side;
    let fs = opts.font_size;
    let mut d = Drawing::new(palette::BACKGROUND);
    let frame = Some((palette::MUTED, 1));
    let style = TextStyle::new(fs, palette::INK);
    if let Some(img) = image {
        // The image itself, with the four corner inputs named just outside it.
        let cell = opts.image_cell.max(1);
        let (iw, ih) = (img.width() * cell, img.height() * cell);
        let small = TextStyle::new(fs * 0.85, palette::INK);
        let lh = subscript_layout(symbol, &n.to_string(), small.size)
            .0
            .height();
        let pad = 12.0;
        let top = pad + lh + 4.0;
        let (ix, iy) = (pad as i32, top as i32);
        d.pixels(ix, iy, cell, img.clone(), Some(PIXEL_GRID));
        let (l, r) = (ix as f32, (ix + iw as i32) as f32);
        let (t, b) = (iy as f32, (iy + ih as i32) as f32);
        let corners = [
            ((l, t - 3.0), Anchor::BOTTOM_LEFT, 1),
            ((r, t - 3.0), Anchor::BOTTOM_RIGHT, side),
            ((l, b + 3.0), Anchor::TOP_LEFT, n - side + 1),
            ((r, b + 3.0), Anchor::TOP_RIGHT, n),
        ];
        for (at, anchor, index) in corners {
            d.text_sub(at, symbol, index.to_string(), small.anchored(anchor));
        }
        let box_h = (b + 3.0 + lh + pad).ceil() as u32;
        d.rect(Rect::new(0, 0, iw + 2 * pad as u32, box_h), None, frame);
        let shift = -(box_h as i32) / 2;
        let mut out = Drawing::new(palette::BACKGROUND);
        out.append(d, 0, shift);
        return out;
    }
    // Symbols: the first three and the last of the first three rows and the last row,
    // with ellipses where rows and columns are skipped.
    let picks: Vec<Option<usize>> = if side <= 4 {
        (0..side).map(Some).collect()
    } else {
        vec![Some(0), Some(1), Some(2), None, Some(side - 1)]
    };
    let widest = subscript_layout(symbol, &n.to_string(), fs).0.width;
    let (pitch_x, pitch_y) = ((widest + 18.0).round(), (fs * 2.3).round());
    let pad = 14.0;
    let cx = |k: usize| pad + widest / 2.0 + k as f32 * pitch_x;
    let cy = |k: usize| pad + fs * 0.6 + k as f32 * pitch_y;
    let last = picks.len() - 1;
    for (ri, row) in picks.iter().enumerate() {
        for (ci, col) in picks.iter().enumerate() {
            let at = (cx(ci), cy(ri));
            match (row, col) {
                (Some(r), Some(c)) => {
                    let index = (r * side + c + 1).to_string();
                    d.text_sub(at, symbol, index, style.anchored(Anchor::CENTER));
                }
                // The skipped columns, shown once in the first row.
                (Some(_), None) if ri == 0 => dots(&mut d, at, (1.0, 0.0), 6.0, 1.4),
                // The skipped rows, shown under the first column and on the diagonal.
                (None, Some(_)) if ci == 0 => dots(&mut d, at, (0.0, 1.0), 6.0, 1.4),
                (None, None) => dots(&mut d, at, (0.707, 0.707), 6.0, 1.4),
                _ => {}
            }
        }
    }
    let w = (cx(last) + widest / 2.0 + pad).ceil() as u32;
    let h = (cy(last) + fs * 0.6 + pad).ceil() as u32;
    d.rect(Rect::new(0, 0, w, h), None, frame);
    let mut out = Drawing::new(palette::BACKGROUND);
    out.append(d, 0, -(h as i32) / 2);
    out
}

/// The formula `z = b + Σ wᵢxᵢ` seen as grids, as in `weights_analogy_2.png`: the inputs
/// laid out as a `side x side` grid, "∘", the weights laid out the same way, "=", z. With
/// images, the grids show an actual digit and weight template.
pub fn grid_formula(opts: &FormulaOptions) -> Drawing {
    let xs = formula_grid(&opts.input_symbol, opts.input_image.as_ref(), opts);
    let ws = formula_grid(&opts.weight_symbol, opts.weight_image.as_ref(), opts);
    let mut d = Drawing::new(palette::BACKGROUND);
    let gap = 44.0;
    let xb = xs.bounds();
    d.append(xs, 0, 0);
    let ring_x = xb[2] + gap / 2.0;
    d.circle(
        (ring_x, 0.0),
        5.0,
        None,
        Some(Stroke::new(palette::INK, 1.6)),
    );
    let wx = (xb[2] + gap).round() as i32;
    let wb = ws.bounds();
    d.append(ws, wx, 0);
    let eq_x = wx as f32 + (wb[2] - wb[0]) + gap / 2.0;
    let bar = Stroke::new(palette::INK, 2.0);
    for y in [-4.0, 4.0] {
        d.line((eq_x - 9.0, y), (eq_x + 9.0, y), bar);
    }
    let r = 40.0;
    let zc = (eq_x + gap / 2.0 + r, 0.0);
    d.circle(zc, r, Some(Rgb::WHITE), Some(NEURON_STROKE));
    let z_style = TextStyle::new(opts.font_size * 1.6, palette::INK).anchored(Anchor::CENTER);
    d.text(zc, opts.output_symbol.as_str(), z_style);
    d.fit(opts.margin)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::svg::tags_balanced;

    fn digit() -> Raster {
        // A diagonal stroke on black, 28x28.
        let v: Vec<u8> = (0..28 * 28)
            .map(|i| if (i / 28) == (i % 28) { 255 } else { 0 })
            .collect();
        Raster::from_gray_u8(&v, 28, 28)
    }

    /// Non-background pixels inside the line box of the label `text`.
    fn ink_under_label(d: &Drawing, r: &Raster, text: &str) -> usize {
        let b = d
            .text_bounds(text)
            .unwrap_or_else(|| panic!("no label {text:?}"));
        let (l, t) = (b[0].floor() as i32, b[1].floor() as i32);
        let area = Rect::new(
            l,
            t,
            (b[2].ceil() as i32 - l) as u32,
            (b[3].ceil() as i32 - t) as u32,
        );
        (area.y.max(0)..area.bottom().min(r.height() as i32))
            .flat_map(|y| (area.x.max(0)..area.right().min(r.width() as i32)).map(move |x| (x, y)))
            .filter(|&(x, y)| r.pixel(x as u32, y as u32) != Rgb::WHITE)
            .count()
    }

    fn check_svg(svg: &str, needles: &[&str]) {
        assert!(svg.starts_with("<svg"), "{}", &svg[..40]);
        assert!(tags_balanced(svg), "unbalanced SVG");
        for n in needles {
            assert!(svg.contains(n), "SVG lacks {n:?}");
        }
    }

    #[test]
    fn slots_elide_large_layers() {
        assert_eq!(
            slots(3, 12),
            vec![Slot::Unit(0), Slot::Unit(1), Slot::Unit(2)]
        );
        assert_eq!(
            slots(784, 4),
            vec![
                Slot::Unit(0),
                Slot::Unit(1),
                Slot::Unit(2),
                Slot::Ellipsis,
                Slot::Unit(783)
            ]
        );
    }

    #[test]
    fn mlp_draws_labels_units_and_connections() {
        let opts = MlpOptions {
            input_image: Some(digit()),
            output_labels: (0..10).map(|i| i.to_string()).collect(),
            ..MlpOptions::default()
        };
        let d = mlp(&[784, 10, 10], &opts);
        let r = d.to_raster();
        assert_eq!((r.width(), r.height()), (d.width(), d.height()));
        for label in ["pixel 1", "pixel 11", "pixel 784", "0", "9"] {
            assert!(
                ink_under_label(&d, &r, label) > 10,
                "label {label:?} not drawn"
            );
        }
        let svg = d.to_svg();
        check_svg(&svg, &[">pixel 1<", ">pixel 784<", ">9<", "<polyline"]);
        assert!(!svg.contains(">pixel 12<"), "pixel 12 should be elided");
        // 12 input units + 10 + 10 units, plus 3 ellipsis dots.
        assert_eq!(svg.matches("<circle").count(), 12 + 10 + 10 + 3);
        // Connections: 12 x 10 + 10 x 10 lines, plus 3 per input arrow.
        assert_eq!(svg.matches("<line").count(), 120 + 100 + 3 * 12);
    }

    #[test]
    fn same_options_same_bytes() {
        let opts = MlpOptions {
            input_image: Some(digit()),
            neuron_detail: true,
            ..MlpOptions::default()
        };
        let a = mlp(&[784, 10, 10], &opts);
        let b = mlp(&[784, 10, 10], &opts);
        assert_eq!(a.to_raster().encode_png(), b.to_raster().encode_png());
        assert_eq!(a.to_svg(), b.to_svg());
    }

    #[test]
    fn emphasis_darkens_one_units_inputs() {
        let opts = MlpOptions {
            emphasis: Some((1, 0)),
            input_label: String::new(),
            ..MlpOptions::default()
        };
        let svg = mlp(&[784, 10], &opts).to_svg();
        // 12 strong lines into unit 0 (opaque), 12 x 9 faded ones.
        assert_eq!(
            svg.matches(r##"stroke="#222222" stroke-width="1.4""##)
                .count(),
            12
        );
        assert_eq!(svg.matches(r#"stroke-opacity="0.13""#).count(), 12 * 9);
    }

    #[test]
    fn neuron_detail_adds_symbols() {
        let opts = MlpOptions {
            emphasis: Some((1, 0)),
            neuron_detail: true,
            ..MlpOptions::default()
        };
        let d = mlp(&[784, 10], &opts);
        let svg = d.to_svg();
        check_svg(&svg, &[">784</tspan>", ">z<", ">x<tspan", ">w<tspan"]);
        let r = d.to_raster();
        assert!(ink_under_label(&d, &r, "z") > 10);
    }

    #[test]
    fn grid_formula_symbolic_and_with_images() {
        let d = grid_formula(&FormulaOptions::new(28));
        let svg = d.to_svg();
        check_svg(
            &svg,
            &[
                ">757</tspan>",
                ">784</tspan>",
                ">28</tspan>",
                ">56</tspan>",
                ">z<",
            ],
        );
        assert!(!svg.contains(">4</tspan>"), "x4 should be elided");
        let r = d.to_raster();
        assert!(ink_under_label(&d, &r, "z") > 10);

        let weights: Vec<f32> = (0..784).map(|i| (i % 28) as f32).collect();
        let opts = FormulaOptions {
            input_image: Some(digit()),
            weight_image: Some(Raster::from_gray(&weights, 28, 28, 0.0, 27.0)),
            ..FormulaOptions::new(28)
        };
        let d = grid_formula(&opts);
        let r = d.to_raster();
        // Weight column 13 maps to gray 13 / 27 * 255 = 122.8, so 123: its 28 enlarged
        // pixels, each 5x5 inside the grid lines (the last 5x4, as the far border takes a
        // row), appear in the figure unblurred (anti-aliased text may add a few pixels of
        // the same gray).
        let grays = r
            .as_rgb_bytes()
            .chunks(3)
            .filter(|p| *p == [123, 123, 123])
            .count();
        assert!(
            (28 * 5 * 5 - 5..28 * 5 * 5 + 100).contains(&grays),
            "{grays}"
        );
        check_svg(
            &d.to_svg(),
            &[">784</tspan>", ">757</tspan>", "image-rendering:pixelated"],
        );
    }
}
