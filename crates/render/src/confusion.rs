//! The confusion matrix in its two views: counts shaded by their share of the row (with
//! recall, precision and accuracy), and the top sample of every cell.
//!
//! Rows are the actual class and columns the predicted class throughout: `counts[i][j]` is
//! how many samples of class `i` were predicted as `j`.

use crate::color::{Rgb, palette};
use crate::raster::{Raster, Rect};
use crate::scene::Drawing;
use crate::text::{Anchor, TextStyle, measure_text};

/// Layout of [`counts_table`].
#[derive(Clone, Debug, PartialEq)]
pub struct ConfusionOptions {
    /// Side of a square cell in pixels.
    pub cell: u32,
    /// Em size of the numbers and headers.
    pub font_size: f32,
    /// A title above the table.
    pub title: Option<String>,
    /// Pixels of background around the figure.
    pub margin: u32,
    /// The table's own words, in the reader's language.
    pub words: TableWords,
}

impl Default for ConfusionOptions {
    /// 44-pixel cells, 12-pixel text, no title, English words.
    fn default() -> Self {
        ConfusionOptions {
            cell: 44,
            font_size: 12.0,
            title: None,
            margin: 10,
            words: TableWords::default(),
        }
    }
}

/// The words [`counts_table`] draws around the counts: the caller picks the language.
#[derive(Clone, Debug, PartialEq)]
pub struct TableWords {
    /// Under the overall score.
    pub accuracy: String,
    /// Above the column of per-class recalls.
    pub recall: String,
    /// Beside the row of per-class precisions.
    pub precision: String,
    /// The columns' axis title.
    pub predicted: String,
    /// The rows' axis title.
    pub actual: String,
}

impl Default for TableWords {
    /// English: accuracy, recall, precision, predicted, actual.
    fn default() -> Self {
        TableWords {
            accuracy: "accuracy".into(),
            recall: "recall".into(),
            precision: "precision".into(),
            predicted: "predicted".into(),
            actual: "actual".into(),
        }
    }
}

/// Layout of [`samples_table`].
#[derive(Clone, Debug, PartialEq)]
pub struct SamplesOptions {
    /// Each sample is enlarged this many times by nearest neighbour; 0 counts as 1.
    pub scale: u32,
    /// Thickness of the green (diagonal) or red (off-diagonal) frame.
    pub frame: u32,
    /// Pixels between neighbouring cells.
    pub gap: u32,
    /// Em size of the row and column labels.
    pub font_size: f32,
    /// A title above the table.
    pub title: Option<String>,
    /// Pixels of background around the figure.
    pub margin: u32,
    /// The words before each class name: columns read "`predicted` c", rows "`actual` c"
    /// (only those two of the [`TableWords`] are used).
    pub words: TableWords,
}

impl Default for SamplesOptions {
    /// Samples doubled, 3-pixel frames, 7-pixel gaps, 13-pixel labels, no title, English
    /// words.
    fn default() -> Self {
        SamplesOptions {
            scale: 2,
            frame: 3,
            gap: 7,
            font_size: 13.0,
            title: None,
            margin: 10,
            words: TableWords::default(),
        }
    }
}

/// Faint lines between sample cells: enough to follow a row across empty cells.
const GUIDE: Rgb = Rgb::new(232, 232, 232);
/// Space between headers and the cells they name.
const HEADER_GAP: f32 = 6.0;

/// Column headers whose bottoms sit at `y`: centred when the widest fits its column,
/// otherwise slanted up to the right from the column centre.
fn column_headers(
    d: &mut Drawing,
    labels: &[String],
    centres: &[f32],
    y: f32,
    slot: f32,
    size: f32,
) {
    let widest = labels
        .iter()
        .map(|l| measure_text(l, size).width)
        .fold(0.0, f32::max);
    let slanted = widest > slot - 4.0;
    for (l, &cx) in labels.iter().zip(centres) {
        let base = TextStyle::new(size, palette::INK);
        if slanted {
            // The line box reaches about a third of its height below the anchor once
            // rotated; lift it clear of the cells.
            let lift = 0.4 * measure_text(l, size).height();
            let style = base.anchored(Anchor::LEFT).rotated(-45.0);
            d.text((cx - 2.0, y - lift), l.as_str(), style);
        } else {
            d.text((cx, y), l.as_str(), base.anchored(Anchor::BOTTOM));
        }
    }
}

/// Row headers ending `HEADER_GAP` left of `x`, centred on each row.
fn row_headers(d: &mut Drawing, labels: &[String], centres: &[f32], x: f32, size: f32) {
    for (l, &cy) in labels.iter().zip(centres) {
        let style = TextStyle::new(size, palette::INK).anchored(Anchor::RIGHT);
        d.text((x - HEADER_GAP, cy), l.as_str(), style);
    }
}

fn title(d: &mut Drawing, text: &Option<String>, cx: f32, size: f32) {
    if let Some(t) = text {
        let top = d.bounds()[1];
        let style = TextStyle::new(size, palette::INK).anchored(Anchor::BOTTOM);
        d.text((cx, top - 8.0), t.as_str(), style);
    }
}

fn percent(v: f32) -> String {
    if v.is_finite() {
        format!("{:.0}%", v * 100.0)
    } else {
        // An empty row or column has no recall or precision.
        "–".to_string()
    }
}

/// The colour of a count cell: green on the diagonal, red off it, deeper as the cell holds
/// more of its row. The square root makes the few-percent confusions visible.
fn count_shade(diagonal: bool, share: f32) -> Rgb {
    let hue = if diagonal {
        palette::CORRECT
    } else {
        palette::WRONG
    };
    let t = if share.is_finite() {
        share.max(0.0).sqrt()
    } else {
        0.0
    };
    Rgb::WHITE.lerp(hue, t)
}

fn ink_on(fill: Rgb) -> Rgb {
    if fill.luminance() < 0.55 {
        Rgb::WHITE
    } else {
        palette::INK
    }
}

/// The counts view: an `n x n` table of `counts` (rows actual, columns predicted), each
/// cell shaded by its share of the row, green on the diagonal and red off it; a recall
/// column, a precision row and the overall accuracy; class names as row and column headers
/// under the axis titles "actual" and "predicted".
///
/// # Shapes
/// `counts` has `classes.len()` rows of `classes.len()` values.
///
/// # Panics
/// If `classes` is empty or `counts` is not `n x n` for `n = classes.len()`.
#[track_caller]
pub fn counts_table<R: AsRef<[u64]>, S: AsRef<str>>(
    counts: &[R],
    classes: &[S],
    opts: &ConfusionOptions,
) -> Drawing {
    let n = classes.len();
    assert!(n > 0, "counts_table: no classes");
    assert!(
        counts.len() == n && counts.iter().all(|r| r.as_ref().len() == n),
        "counts_table: counts must be {n}x{n} for {n} classes"
    );
    let cell = opts.cell.max(8);
    let c = cell as f32;
    let rows: Vec<&[u64]> = counts.iter().map(AsRef::as_ref).collect();
    let row_sum: Vec<u64> = rows.iter().map(|r| r.iter().sum()).collect();
    let col_sum: Vec<u64> = (0..n).map(|j| rows.iter().map(|r| r[j]).sum()).collect();
    let total: u64 = row_sum.iter().sum();
    let correct: u64 = (0..n).map(|i| rows[i][i]).sum();

    let mut d = Drawing::new(palette::BACKGROUND);
    let side = n as u32 * cell;
    d.rect(
        Rect::new(0, 0, side + 1, side + 1),
        Some(palette::RULE),
        None,
    );
    let text = |d: &mut Drawing, cx: f32, cy: f32, s: String, fill: Rgb, muted: bool| {
        let color = if muted { palette::MUTED } else { ink_on(fill) };
        let style = TextStyle::new(opts.font_size, color).anchored(Anchor::CENTER);
        d.text((cx, cy), s, style);
    };
    let shaded = |d: &mut Drawing, x: i32, y: i32, fill: Rgb| {
        d.rect(
            Rect::new(x + 1, y + 1, cell - 1, cell - 1),
            Some(fill),
            None,
        );
    };
    for (i, row) in rows.iter().enumerate() {
        for (j, &v) in row.iter().enumerate() {
            let share = if row_sum[i] > 0 {
                v as f32 / row_sum[i] as f32
            } else {
                0.0
            };
            let fill = count_shade(i == j, share);
            let (x, y) = (j as i32 * cell as i32, i as i32 * cell as i32);
            shaded(&mut d, x, y, fill);
            let centre = (x as f32 + 0.5 + c / 2.0, y as f32 + 0.5 + c / 2.0);
            text(&mut d, centre.0, centre.1, v.to_string(), fill, v == 0);
        }
    }

    // Recall column and precision row, set apart by a gap; accuracy in their corner.
    let gap = (cell / 6).max(4) as i32;
    let extra = side as i32 + gap;
    let score = |d: &mut Drawing, x: i32, y: i32, v: f32| {
        let fill = Rgb::WHITE.lerp(palette::CORRECT, if v.is_finite() { v } else { 0.0 });
        d.rect(
            Rect::new(x, y, cell + 1, cell + 1),
            Some(palette::RULE),
            None,
        );
        shaded(d, x, y, fill);
        text(
            d,
            x as f32 + 0.5 + c / 2.0,
            y as f32 + 0.5 + c / 2.0,
            percent(v),
            fill,
            false,
        );
    };
    let ratio = |a: u64, b: u64| if b > 0 { a as f32 / b as f32 } else { f32::NAN };
    for i in 0..n {
        score(
            &mut d,
            extra,
            i as i32 * cell as i32,
            ratio(rows[i][i], row_sum[i]),
        );
        score(
            &mut d,
            i as i32 * cell as i32,
            extra,
            ratio(rows[i][i], col_sum[i]),
        );
    }
    score(&mut d, extra, extra, ratio(correct, total));
    let below = TextStyle::new(opts.font_size, palette::INK).anchored(Anchor::TOP);
    let acc_x = extra as f32 + 0.5 + c / 2.0;
    d.text(
        (acc_x, (extra + cell as i32) as f32 + 5.0),
        &opts.words.accuracy,
        below,
    );

    // Headers: class names, then "recall" and "precision" beside their own cells.
    let names: Vec<String> = classes.iter().map(|s| s.as_ref().to_string()).collect();
    let mut col_labels = names.clone();
    col_labels.push(opts.words.recall.clone());
    let mut centres: Vec<f32> = (0..n).map(|j| j as f32 * c + 0.5 + c / 2.0).collect();
    centres.push(acc_x);
    column_headers(
        &mut d,
        &col_labels,
        &centres,
        -HEADER_GAP,
        c,
        opts.font_size,
    );
    let mut row_labels = names;
    row_labels.push(opts.words.precision.clone());
    let mut middles: Vec<f32> = (0..n).map(|i| i as f32 * c + 0.5 + c / 2.0).collect();
    middles.push(extra as f32 + 0.5 + c / 2.0);
    row_headers(&mut d, &row_labels, &middles, 0.0, opts.font_size);

    // Axis titles outside the headers: "predicted" above everything, "actual" beside the
    // class names (not the wider "precision" under them).
    let b = d.bounds();
    let widest_class = row_labels[..n]
        .iter()
        .map(|l| measure_text(l, opts.font_size).width)
        .fold(0.0, f32::max);
    let axis = TextStyle::new(opts.font_size + 1.0, palette::INK);
    d.text(
        (side as f32 / 2.0, b[1] - HEADER_GAP),
        &opts.words.predicted,
        axis.anchored(Anchor::BOTTOM),
    );
    d.text(
        (-2.0 * HEADER_GAP - widest_class - 4.0, side as f32 / 2.0),
        &opts.words.actual,
        axis.anchored(Anchor::BOTTOM).rotated(-90.0),
    );
    title(&mut d, &opts.title, side as f32 / 2.0, opts.font_size + 3.0);
    d.fit(opts.margin)
}

/// The samples view: the top sample of every cell (`cells[i * n + j]` for actual `i`,
/// predicted `j`), enlarged without blur inside a green frame on the diagonal and a red
/// frame off it; an empty cell (`None`) is left blank. Rows are labelled "actual i" and
/// columns "predicted j" with the class names.
///
/// # Shapes
/// `cells.len() == classes.len()²`, row-major.
///
/// # Panics
/// If `classes` is empty or the number of cells does not match.
#[track_caller]
pub fn samples_table<S: AsRef<str>>(
    cells: &[Option<Raster>],
    classes: &[S],
    opts: &SamplesOptions,
) -> Drawing {
    let n = classes.len();
    assert!(n > 0, "samples_table: no classes");
    assert!(
        cells.len() == n * n,
        "samples_table: {} cells for {n} classes, expected {}",
        cells.len(),
        n * n
    );
    let k = opts.scale.max(1);
    let tile_w = cells
        .iter()
        .flatten()
        .map(|t| t.width() * k)
        .max()
        .unwrap_or(28 * k);
    let tile_h = cells
        .iter()
        .flatten()
        .map(|t| t.height() * k)
        .max()
        .unwrap_or(28 * k);
    let (box_w, box_h) = (tile_w + 2 * opts.frame, tile_h + 2 * opts.frame);
    let (pitch_x, pitch_y) = (box_w + opts.gap, box_h + opts.gap);

    let mut d = Drawing::new(palette::BACKGROUND);
    // One-pixel guides run through the middle of the gaps (exactly, for odd gaps).
    let half_gap = (opts.gap / 2) as i32;
    let (table_w, table_h) = (n as u32 * pitch_x, n as u32 * pitch_y);
    if opts.gap >= 2 {
        for i in 0..=n as i32 {
            let y = i * pitch_y as i32 - half_gap - 1;
            d.rect(
                Rect::new(-half_gap - 1, y, table_w + 1, 1),
                Some(GUIDE),
                None,
            );
            let x = i * pitch_x as i32 - half_gap - 1;
            d.rect(
                Rect::new(x, -half_gap - 1, 1, table_h + 1),
                Some(GUIDE),
                None,
            );
            // (For gap 7: guide at -4, three blank pixels on either side of it.)
        }
    }
    for i in 0..n {
        for j in 0..n {
            let Some(tile) = &cells[i * n + j] else {
                continue;
            };
            let (x, y) = ((j as u32 * pitch_x) as i32, (i as u32 * pitch_y) as i32);
            let color = if i == j {
                palette::CORRECT
            } else {
                palette::WRONG
            };
            let (tw, th) = (tile.width() * k, tile.height() * k);
            let (tx, ty) = (
                x + (opts.frame + (tile_w - tw) / 2) as i32,
                y + (opts.frame + (tile_h - th) / 2) as i32,
            );
            d.pixels(tx, ty, k, tile.clone(), None);
            d.rect(
                Rect::new(x, y, box_w, box_h),
                None,
                Some((color, opts.frame)),
            );
        }
    }
    let names: Vec<&str> = classes.iter().map(AsRef::as_ref).collect();
    let w = &opts.words;
    let cols: Vec<String> = names
        .iter()
        .map(|c| format!("{} {c}", w.predicted))
        .collect();
    let rows: Vec<String> = names.iter().map(|c| format!("{} {c}", w.actual)).collect();
    let col_centres: Vec<f32> = (0..n)
        .map(|j| j as f32 * pitch_x as f32 + box_w as f32 / 2.0)
        .collect();
    let row_centres: Vec<f32> = (0..n)
        .map(|i| i as f32 * pitch_y as f32 + box_h as f32 / 2.0)
        .collect();
    let edge = -(half_gap as f32) - 1.0;
    column_headers(
        &mut d,
        &cols,
        &col_centres,
        edge - 2.0,
        pitch_x as f32,
        opts.font_size,
    );
    row_headers(&mut d, &rows, &row_centres, edge, opts.font_size);
    title(
        &mut d,
        &opts.title,
        table_w as f32 / 2.0,
        opts.font_size + 2.0,
    );
    d.fit(opts.margin)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Finds the top-left of the first pixel of `color` scanning rows, then columns.
    fn find(r: &Raster, color: Rgb) -> Option<(u32, u32)> {
        (0..r.height())
            .flat_map(|y| (0..r.width()).map(move |x| (x, y)))
            .find(|&(x, y)| r.pixel(x, y) == color)
    }

    fn dark_in(r: &Raster, x0: u32, y0: u32, x1: u32, y1: u32) -> usize {
        (y0..y1)
            .flat_map(|y| (x0..x1).map(move |x| (x, y)))
            .filter(|&(x, y)| r.pixel(x, y).luminance() < 0.5)
            .count()
    }

    fn digit_tile(v: u8) -> Raster {
        Raster::from_gray_u8(&[v; 28 * 28], 28, 28)
    }

    #[test]
    fn samples_frames_green_on_diagonal_red_off_blank_when_empty() {
        let n = 3;
        // Cells: diagonal filled, (0, 1) filled, everything else empty.
        let cells: Vec<Option<Raster>> = (0..n * n)
            .map(|c| (c % (n + 1) == 0 || c == 1).then(|| digit_tile(0)))
            .collect();
        let opts = SamplesOptions::default();
        let r = samples_table(&cells, &["0", "1", "2"], &opts).to_raster();
        // The first green pixel is the top-left corner of cell (0, 0)'s frame.
        let (x0, y0) = find(&r, palette::CORRECT).unwrap();
        let box_side = 28 * 2 + 2 * opts.frame;
        let pitch = box_side + opts.gap;
        let at =
            |i: u32, j: u32, dx: u32, dy: u32| r.pixel(x0 + j * pitch + dx, y0 + i * pitch + dy);
        // Diagonal frames green, (0, 1) red; frame pixels on all four sides.
        for (i, j, want) in [
            (0, 0, palette::CORRECT),
            (1, 1, palette::CORRECT),
            (2, 2, palette::CORRECT),
            (0, 1, palette::WRONG),
        ] {
            assert_eq!(at(i, j, 0, 0), want, "cell ({i}, {j}) top-left");
            assert_eq!(
                at(i, j, box_side - 1, box_side - 1),
                want,
                "cell ({i}, {j}) bottom-right"
            );
            assert_eq!(at(i, j, box_side / 2, 1), want, "cell ({i}, {j}) top edge");
            // Inside the frame: the (black) sample.
            assert_eq!(at(i, j, box_side / 2, box_side / 2), Rgb::BLACK);
        }
        // Empty cells are blank: every pixel of their box is background.
        for (i, j) in [(1, 0), (2, 0), (0, 2), (2, 1)] {
            for dy in 0..box_side {
                for dx in 0..box_side {
                    assert_eq!(
                        at(i, j, dx, dy),
                        Rgb::WHITE,
                        "cell ({i}, {j}) at ({dx}, {dy})"
                    );
                }
            }
        }
        // Row labels left of the first column, column labels above the first row.
        assert!(dark_in(&r, 0, y0, x0, y0 + box_side) > 20, "no 'actual 0'");
        assert!(dark_in(&r, x0, 0, x0 + pitch, y0) > 20, "no 'predicted 0'");
    }

    #[test]
    fn samples_table_size_for_ten_classes() {
        let cells: Vec<Option<Raster>> = (0..100).map(|_| Some(digit_tile(255))).collect();
        let classes: Vec<String> = (0..10).map(|i| i.to_string()).collect();
        let r = samples_table(&cells, &classes, &SamplesOptions::default()).to_raster();
        // At least the 10x10 boxes of 62 pixels with 7-pixel gaps.
        assert!(r.width() >= 10 * 69 && r.height() >= 10 * 69, "{r:?}");
        assert!(
            r.width() < 10 * 69 + 250 && r.height() < 10 * 69 + 250,
            "{r:?}"
        );
    }

    #[test]
    fn counts_shade_green_diagonal_red_off_and_print_numbers() {
        let counts = vec![vec![90u64, 10, 0], vec![5, 95, 0], vec![0, 30, 70]];
        let opts = ConfusionOptions::default();
        let r = counts_table(&counts, &["cat", "dog", "frog"], &opts).to_raster();
        // The grid's RULE frame starts at the table's top-left: the first run of RULE
        // longer than any text stroke.
        let (x0, y0) = (0..r.height())
            .flat_map(|y| (0..r.width() - 30).map(move |x| (x, y)))
            .find(|&(x, y)| (x..x + 30).all(|px| r.pixel(px, y) == palette::RULE))
            .unwrap();
        let c = opts.cell;
        let centre_fill = |i: u32, j: u32| r.pixel(x0 + j * c + 3, y0 + i * c + 3);
        let d = centre_fill(0, 0);
        assert!(d.g > d.r && d.g > d.b, "diagonal {d:?}");
        let off = centre_fill(2, 1);
        assert!(off.r > off.g && off.r > off.b, "off-diagonal {off:?}");
        assert_eq!(centre_fill(0, 2), Rgb::WHITE, "zero count");
        // Larger share, deeper shade.
        assert!(centre_fill(2, 1).g < centre_fill(0, 1).g);
        // Each cell has its number drawn in it: pixels that differ from the cell's fill.
        for (i, j) in [(0, 0), (0, 2), (2, 1)] {
            let (x, y) = (x0 + j * c, y0 + i * c);
            let fill = centre_fill(i, j);
            let inked = (y + 2..y + c - 2)
                .flat_map(|py| (x + 2..x + c - 2).map(move |px| (px, py)))
                .filter(|&(px, py)| r.pixel(px, py) != fill)
                .count();
            assert!(inked > 5, "cell ({i}, {j}): {inked} text pixels");
        }
        // Recall column to the right: 90% for "cat" is deep green.
        let recall = r.pixel(x0 + 3 * c + c / 6 + 3, y0 + 3);
        assert!(recall.g > recall.r, "{recall:?}");
    }

    #[test]
    fn percentages() {
        assert_eq!(percent(0.9128), "91%");
        assert_eq!(percent(f32::NAN), "–");
    }

    #[test]
    #[should_panic(expected = "counts must be 2x2")]
    fn counts_must_be_square() {
        counts_table(
            &[vec![1u64, 2], vec![3]],
            &["a", "b"],
            &ConfusionOptions::default(),
        );
    }
}
