//! A labelled grid of images: digits, weight templates, CIFAR samples.

use crate::color::{Rgb, palette};
use crate::raster::Raster;
use crate::scene::Drawing;
use crate::text::{Anchor, TextStyle, measure_text};

/// How [`image_grid`] lays tiles out.
#[derive(Clone, Debug, PartialEq)]
pub struct GridOptions {
    /// Tiles per row (at least 1).
    pub columns: usize,
    /// Each tile is enlarged this many times by nearest neighbour (no blur); 0 counts as 1.
    pub scale: u32,
    /// Pixels of background between tiles: the thin separator.
    pub gap: u32,
    /// Pixels of background around the whole figure.
    pub margin: u32,
    /// One label per tile, drawn centred under it; empty for no labels.
    pub labels: Vec<String>,
    /// Em size of the labels in pixels.
    pub label_size: f32,
    /// A title centred above the grid.
    pub title: Option<String>,
    /// Em size of the title in pixels.
    pub title_size: f32,
    /// Background and separator colour.
    pub background: Rgb,
}

impl GridOptions {
    /// `columns` tiles per row at their own size, 2-pixel separators, no labels or title,
    /// white background.
    pub fn new(columns: usize) -> Self {
        GridOptions {
            columns,
            scale: 1,
            gap: 2,
            margin: 8,
            labels: Vec::new(),
            label_size: 13.0,
            title: None,
            title_size: 15.0,
            background: palette::BACKGROUND,
        }
    }
}

/// Space between a tile and its label, and between the title and the grid.
const LABEL_GAP: f32 = 4.0;
const TITLE_GAP: f32 = 8.0;

/// Draws `tiles` in rows of `opts.columns`, each enlarged `opts.scale` times and centred in
/// a cell as large as the largest tile (and as wide as the widest label), left to right,
/// top to bottom.
///
/// # Panics
/// If `tiles` is empty, `opts.columns` is 0, or `opts.labels` is neither empty nor one per
/// tile.
#[track_caller]
pub fn image_grid(tiles: &[Raster], opts: &GridOptions) -> Drawing {
    assert!(!tiles.is_empty(), "image_grid: no tiles");
    assert!(opts.columns > 0, "image_grid: columns must be at least 1");
    assert!(
        opts.labels.is_empty() || opts.labels.len() == tiles.len(),
        "image_grid: {} labels for {} tiles",
        opts.labels.len(),
        tiles.len()
    );
    let k = opts.scale.max(1);
    let tile_w = tiles.iter().map(|t| t.width() * k).max().unwrap_or(1);
    let tile_h = tiles.iter().map(|t| t.height() * k).max().unwrap_or(1);
    let label_w = opts
        .labels
        .iter()
        .map(|l| measure_text(l, opts.label_size).width.ceil() as u32 + 4)
        .max()
        .unwrap_or(0);
    let label_h = if opts.labels.is_empty() {
        0.0
    } else {
        LABEL_GAP + measure_text("Ag", opts.label_size).height().ceil()
    };
    let cell_w = tile_w.max(label_w);
    let pitch_x = (cell_w + opts.gap) as i32;
    let pitch_y = (tile_h as f32 + label_h).ceil() as i32 + opts.gap as i32;
    let cols = opts.columns.min(tiles.len());

    let mut d = Drawing::new(opts.background);
    for (i, tile) in tiles.iter().enumerate() {
        let (col, row) = ((i % opts.columns) as i32, (i / opts.columns) as i32);
        let (tw, th) = (tile.width() * k, tile.height() * k);
        let x = col * pitch_x + ((cell_w - tw) / 2) as i32;
        let y = row * pitch_y + ((tile_h - th) / 2) as i32;
        d.pixels(x, y, k, tile.clone(), None);
        if let Some(label) = opts.labels.get(i) {
            let cx = col as f32 * pitch_x as f32 + cell_w as f32 / 2.0;
            let ty = row as f32 * pitch_y as f32 + tile_h as f32 + LABEL_GAP;
            let style = TextStyle::new(opts.label_size, palette::INK).anchored(Anchor::TOP);
            d.text((cx, ty), label.as_str(), style);
        }
    }
    if let Some(title) = &opts.title {
        let grid_w = cols as f32 * pitch_x as f32 - opts.gap as f32;
        let style = TextStyle::new(opts.title_size, palette::INK).anchored(Anchor::BOTTOM);
        d.text((grid_w / 2.0, -TITLE_GAP), title.as_str(), style);
    }
    d.fit(opts.margin)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiles(n: usize) -> Vec<Raster> {
        // Tile i: a 3x2 ramp whose top-left pixel has gray level 10 * i.
        (0..n)
            .map(|i| {
                let base = 10 * i as u8;
                Raster::from_gray_u8(&[base, 200, 255, 0, 100, 50], 3, 2)
            })
            .collect()
    }

    fn count_dark(r: &Raster, x0: u32, y0: u32, x1: u32, y1: u32) -> usize {
        let mut n = 0;
        for y in y0..y1 {
            for x in x0..x1 {
                if r.pixel(x, y).luminance() < 0.6 {
                    n += 1;
                }
            }
        }
        n
    }

    #[test]
    fn sizes_follow_tiles_scale_gap_and_margin() {
        let opts = GridOptions {
            scale: 4,
            gap: 3,
            margin: 5,
            ..GridOptions::new(3)
        };
        let g = image_grid(&tiles(5), &opts).to_raster();
        // 3 columns of 12 px with 2 gaps of 3, 2 rows of 8 px with 1 gap; margin 5 around.
        assert_eq!(
            (g.width(), g.height()),
            (5 + 3 * 12 + 2 * 3 + 5, 5 + 2 * 8 + 3 + 5)
        );
        // Tile 4 (row 1, column 1), its top-left image pixel enlarged to 4x4, no blur.
        let (x0, y0) = (5 + 15, 5 + 11);
        for (dx, dy) in [(0, 0), (3, 3)] {
            assert_eq!(g.pixel(x0 + dx, y0 + dy), Rgb::gray(40));
        }
        assert_eq!(g.pixel(x0 + 4, y0), Rgb::gray(200));
        // Separator between tiles 3 and 4 is background.
        assert_eq!(g.pixel(x0 - 1, y0), Rgb::WHITE);
        // The unused sixth cell is blank.
        assert_eq!(count_dark(&g, 5 + 30, 5 + 11, 5 + 42, 5 + 19), 0);
    }

    #[test]
    fn enlarged_tiles_are_exact_nearest_neighbour_copies() {
        // A 28x28 template with every pixel different from its neighbours: any smoothing
        // would show at the block edges.
        let px: Vec<u8> = (0..28 * 28u32)
            .map(|i| ((i * 97 + i / 28 * 31) % 256) as u8)
            .collect();
        let tile = Raster::from_gray_u8(&px, 28, 28);
        let opts = GridOptions {
            scale: 8,
            margin: 3,
            ..GridOptions::new(1)
        };
        let g = image_grid(std::slice::from_ref(&tile), &opts).to_raster();
        for y in 0..28 * 8 {
            for x in 0..28 * 8 {
                assert_eq!(
                    g.pixel(3 + x, 3 + y),
                    tile.pixel(x / 8, y / 8),
                    "figure pixel ({x}, {y})"
                );
            }
        }
    }

    #[test]
    fn labels_are_drawn_under_their_tiles() {
        let opts = GridOptions {
            scale: 10,
            labels: vec!["airplane".into(), "truck".into()],
            title: Some("Templates".into()),
            ..GridOptions::new(2)
        };
        let g = image_grid(&tiles(2), &opts).to_raster();
        // Ink above the tiles (title), and ink in the band under the tiles (labels).
        let bottom = g.height();
        assert!(count_dark(&g, 0, 0, g.width(), 22) > 20, "no title ink");
        assert!(
            count_dark(&g, 0, bottom - 22, g.width() / 2, bottom) > 20,
            "no first label"
        );
        assert!(
            count_dark(&g, g.width() / 2, bottom - 22, g.width(), bottom) > 20,
            "no second label"
        );
    }

    #[test]
    #[should_panic(expected = "1 labels for 2 tiles")]
    fn label_count_must_match() {
        let opts = GridOptions {
            labels: vec!["a".into()],
            ..GridOptions::new(2)
        };
        image_grid(&tiles(2), &opts);
    }
}
