//! Self-contained interactive pages: the chapter's confusion-matrix demo, its weights demo and a
//! page to draw a digit and watch the network score it ([`draw_demo`]), each a
//! single HTML file holding its data, its images and its script, so that it works opened from
//! disk with no network and no server.
//!
//! Callers hand over plain data: counts, class names, probabilities, signed weights, and the
//! pictures as [`SpriteSheet`]s (equally sized tiles packed into one PNG, embedded as base64 and
//! shown through CSS background offsets). [`confusion_demo`] and [`weights_demo`] return the
//! page as a `String`; writing it is the caller's job. The script and style are hand-written
//! (no framework), kept beside this file and embedded with `include_str!`.
//!
//! # Page contract
//! The pages' element ids and data attributes are stable, so that a browser test can drive
//! them: `#net` (network menu), `input[name=view]` (`numbers` / `samples`), `#matrix` (the
//! table; cells are `td.cell[data-a][data-p]`), `#accuracy`, `#panel` with `#panel-title`,
//! `#panel-note` and `figure.sample[data-index][data-prob]`; `input[name=dataset]`, `#epoch`
//! (the slider), `#epoch-value`, `section.net[data-id]` with `.unit .tile` and `.bar`.

use std::fmt::Write as _;

use base64::Engine as _;
use serde::ser::SerializeTuple;
use serde::{Serialize, Serializer};

use crate::Raster;
use crate::color::palette;

mod draw;
pub use draw::{DrawDemo, DrawLayer, DrawNet, DrawSamples, DrawScaling, draw_demo};

const CSS: &str = include_str!("demo.css");
const CONFUSION_JS: &str = include_str!("confusion.js");
const WEIGHTS_JS: &str = include_str!("weights.js");

/// Equally sized tiles packed row by row into one PNG, `columns` per row; tile `t` sits at
/// column `t % columns`, row `t / columns`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpriteSheet {
    tile_width: u32,
    tile_height: u32,
    columns: u32,
    rows: u32,
    tiles: u32,
    #[serde(skip)]
    png: Vec<u8>,
}

impl SpriteSheet {
    /// Packs `tiles`, each `tile_width x tile_height`, into a sheet about as wide as it is tall,
    /// encoded as PNG (grayscale when every tile is gray). No tiles give a sheet of one blank
    /// pixel.
    ///
    /// # Panics
    /// If a tile has another size, a tile dimension is 0, or there are more than `u32::MAX`
    /// tiles.
    #[track_caller]
    pub fn pack(tile_width: u32, tile_height: u32, tiles: &[Raster]) -> SpriteSheet {
        assert!(
            tile_width > 0 && tile_height > 0,
            "sprite tiles must be at least 1x1"
        );
        let n = u32::try_from(tiles.len()).expect("at most u32::MAX tiles");
        if n == 0 {
            return SpriteSheet {
                tile_width,
                tile_height,
                columns: 1,
                rows: 0,
                tiles: 0,
                png: encode_sheet(&Raster::new(1, 1, palette::BACKGROUND)),
            };
        }
        // About square in pixels, so neither side grows past what browsers decode quickly.
        let ratio = f64::from(tile_height) / f64::from(tile_width);
        let columns = ((f64::from(n) * ratio).sqrt().ceil() as u32).clamp(1, n);
        let rows = n.div_ceil(columns);
        let mut sheet = Raster::new(
            columns * tile_width,
            rows * tile_height,
            palette::BACKGROUND,
        );
        for (t, tile) in tiles.iter().enumerate() {
            assert!(
                tile.width() == tile_width && tile.height() == tile_height,
                "sprite tile {t} is {}x{}, not {tile_width}x{tile_height}",
                tile.width(),
                tile.height()
            );
            let t = t as u32;
            sheet.blit(
                tile,
                ((t % columns) * tile_width) as i32,
                ((t / columns) * tile_height) as i32,
            );
        }
        SpriteSheet {
            tile_width,
            tile_height,
            columns,
            rows,
            tiles: n,
            png: encode_sheet(&sheet),
        }
    }

    /// Number of tiles.
    pub fn tiles(&self) -> u32 {
        self.tiles
    }

    /// Width and height of one tile.
    pub fn tile_size(&self) -> (u32, u32) {
        (self.tile_width, self.tile_height)
    }

    /// Tiles per row of the sheet.
    pub fn columns(&self) -> u32 {
        self.columns
    }

    /// The encoded PNG.
    pub fn png(&self) -> &[u8] {
        &self.png
    }

    /// Bytes the sheet adds to a page: its PNG as base64.
    pub fn embedded_len(&self) -> usize {
        self.png.len().div_ceil(3) * 4
    }
}

/// The PNG of a sheet: like [`Raster::encode_png`], but one channel when every pixel is gray
/// and the balanced deflate setting (`High` made the demos take 1.7 s instead of 1.05 s on the
/// chapter run, for pages 0.1% smaller).
/// Both roughly halve a sheet of digits (measured on the chapter's MNIST sheet: 829 kB with
/// `encode_png`, 276 kB this way; a CIFAR-10 sheet shrinks by 7%).
fn encode_sheet(sheet: &Raster) -> Vec<u8> {
    let rgb = sheet.as_rgb_bytes();
    let gray = rgb.chunks_exact(3).all(|p| p[0] == p[1] && p[1] == p[2]);
    let (color, data) = if gray {
        (
            png::ColorType::Grayscale,
            rgb.chunks_exact(3).map(|p| p[0]).collect(),
        )
    } else {
        (png::ColorType::Rgb, rgb.to_vec())
    };
    let mut out = Vec::with_capacity(data.len() / 3 + 64);
    let mut enc = png::Encoder::new(&mut out, sheet.width(), sheet.height());
    enc.set_color(color);
    enc.set_depth(png::BitDepth::Eight);
    // Deflate level 1, not the default 6: photographs (CIFAR-10) barely compress at any level,
    // and level 1 encodes 4x faster for sheets 2-12% larger (the chapter's confusion page keeps
    // the same samples per cell under its size budget).
    enc.set_deflate_compression(png::DeflateCompression::Level(1));
    // Into memory, with a valid header (a raster is at least 1x1) and matching data length.
    let mut writer = enc
        .write_header()
        .expect("PNG header for a non-empty sheet");
    writer
        .write_image_data(&data)
        .expect("PNG data into memory");
    writer.finish().expect("PNG end into memory");
    out
}

/// One sample shown in a confusion cell: where it is in the dataset, where its picture is in
/// the sheet, and the network's confidence in its prediction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CellSample {
    /// Index of the sample in its dataset (shown, and used by tests to identify it).
    pub index: usize,
    /// Its tile in the network's [`SpriteSheet`].
    pub tile: u32,
    /// Probability of the predicted class, in `0..=1`.
    pub prob: f32,
}

/// Serialised as `[index, tile, prob]`: thousands of samples stay compact.
impl Serialize for CellSample {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut t = s.serialize_tuple(3)?;
        t.serialize_element(&self.index)?;
        t.serialize_element(&self.tile)?;
        t.serialize_element(&self.prob)?;
        t.end()
    }
}

/// One network of the confusion demo: its counts and the most confident samples of each cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConfusionNet {
    /// Identifier, the value of its entry in the network menu (e.g. `mnist-2layer`).
    pub id: String,
    /// The menu's text (e.g. `MNIST, 2 layers (784 → 10 → 10)`).
    pub label: String,
    /// What was evaluated (e.g. `held-out split: training images 50,000..59,999`).
    pub split: String,
    /// The same in Korean.
    pub split_ko: String,
    /// Index of its sheet in [`ConfusionDemo::sheets`].
    pub sheet: usize,
    /// Class names, in class order.
    pub classes: Vec<String>,
    /// Class names in Korean, when they are words (empty: [`classes`](Self::classes) serve).
    pub classes_ko: Vec<String>,
    /// `counts[actual][predicted]`.
    pub counts: Vec<Vec<u64>>,
    /// The most samples a cell lists: a cell with more shows its `shown` most confident.
    pub shown: usize,
    /// `tops[actual][predicted]`: the cell's `min(count, shown)` most confident samples, most
    /// confident first.
    pub tops: Vec<Vec<Vec<CellSample>>>,
}

/// The confusion-matrix demo: a menu of networks, each network's table (counts shaded by row
/// share, recall, precision, accuracy) in a numbers view and a top-samples view, and a panel
/// listing the samples of the hovered or focused cell.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfusionDemo {
    /// Page title and heading.
    pub title: String,
    /// A paragraph under the heading (plain text).
    pub intro: String,
    /// The title in Korean (the page's language switch, or `?lang=ko`).
    pub title_ko: String,
    /// The paragraph in Korean.
    pub intro_ko: String,
    /// Sample pictures, usually one sheet per dataset, shared by its networks.
    pub sheets: Vec<SpriteSheet>,
    /// The networks, in menu order; the first is shown first.
    pub networks: Vec<ConfusionNet>,
}

/// A piece of text a page shows, in English and Korean (the page's language switch picks one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Text {
    /// English.
    pub en: String,
    /// Korean.
    pub ko: String,
}

impl Text {
    /// `en` in English, `ko` in Korean.
    pub fn new(en: impl Into<String>, ko: impl Into<String>) -> Text {
        Text {
            en: en.into(),
            ko: ko.into(),
        }
    }

    /// The same words in both languages (a digit, a name, an id).
    pub fn same(s: impl Into<String>) -> Text {
        let s = s.into();
        Text {
            en: s.clone(),
            ko: s,
        }
    }
}

/// One training snapshot of a [`WeightsNet`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeightsSnapshot {
    /// 0 for the weights before training, else the epoch just finished.
    pub epoch: usize,
    /// Shown instead of the epoch's statistics (for weights that have no training history,
    /// such as a model read from a file).
    pub label: Option<Text>,
    /// Mean training loss of that epoch (`None` before training).
    pub loss: Option<f64>,
    /// Training accuracy of that epoch, `0..=1` (`None` before training).
    pub accuracy: Option<f64>,
    /// A remark shown after the statistics (e.g. why every picture is plain gray).
    pub note: Option<Text>,
    /// `bars[class][unit]`: each output's signed weight on each unit of the first layer (empty
    /// for a network without a hidden layer). Rounded to 3 significant digits in the page.
    #[serde(serialize_with = "rounded_rows")]
    pub bars: Vec<Vec<f32>>,
}

/// One network of the weights demo: its first layer's units as pictures at every snapshot, and
/// for a 2-layer net the output layer's weights over those units as bars.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeightsNet {
    /// Identifier (e.g. `mnist-2layer`).
    pub id: String,
    /// The group the dataset switch selects (e.g. `MNIST`).
    pub group: String,
    /// Heading of the network's section.
    pub label: Text,
    /// One caption per unit: class names for a 1-layer net, `filter 1`... for a hidden layer.
    pub units: Vec<Text>,
    /// Names of the rows of bars (empty without bars).
    pub classes: Vec<Text>,
    /// Tile `s * units.len() + u` is unit `u` at snapshot `s`.
    pub sheet: SpriteSheet,
    /// Snapshots in training order, the first usually before training.
    pub snapshots: Vec<WeightsSnapshot>,
    /// What each hidden unit sees, for a network with a hidden layer (else empty).
    pub cards: Vec<UnitCard>,
}

/// One hidden unit of a trained network: the held-out images that activate it most and least
/// (as tiles of its [`WeightsNet::sheet`], after the snapshot tiles) and the histogram of its
/// activation over the held-out split.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitCard {
    /// Tiles of the most activating images, strongest first.
    pub top: Vec<u32>,
    /// Tiles of the least activating images, weakest first.
    pub bottom: Vec<u32>,
    /// Counts in equal bins over `range`.
    pub histogram: Vec<usize>,
    /// Lowest and highest activation.
    pub range: [f32; 2],
}

/// The weights demo: a dataset switch, and for each network of the chosen dataset its
/// templates (and bars), with a slider over the training snapshots.
#[derive(Debug, Clone, PartialEq)]
pub struct WeightsDemo {
    /// Page title and heading.
    pub title: Text,
    /// A paragraph under the heading (plain text).
    pub intro: Text,
    /// The networks; the switch offers their groups in order of first appearance.
    pub networks: Vec<WeightsNet>,
}

/// The confusion demo as one HTML page.
///
/// # Panics
/// If a network's data is inconsistent: `counts` or `tops` not `classes.len()` square, a cell
/// listing more samples than its count or than `shown`, a sheet or tile index out of range, or
/// a probability outside `0..=1`.
#[track_caller]
pub fn confusion_demo(demo: &ConfusionDemo) -> String {
    for net in &demo.networks {
        check_confusion(net, &demo.sheets);
    }
    #[derive(Serialize)]
    struct Pages<'a> {
        en: [&'a str; 2],
        ko: [&'a str; 2],
    }
    #[derive(Serialize)]
    struct Data<'a> {
        sheets: &'a [SpriteSheet],
        networks: &'a [ConfusionNet],
        page: Pages<'a>,
    }
    let json = to_json(&Data {
        sheets: &demo.sheets,
        networks: &demo.networks,
        page: Pages {
            en: [&demo.title, &demo.intro],
            ko: [&demo.title_ko, &demo.intro_ko],
        },
    });
    let body = r#"<div class="controls">
<label class="menu"><span data-t="network">Network</span> <select id="net"></select></label>
<fieldset class="switch" id="view"><legend data-t="view">View</legend>
<input type="radio" name="view" id="view-numbers" value="numbers" checked><label for="view-numbers" data-t="numbers">Numbers</label>
<input type="radio" name="view" id="view-samples" value="samples"><label for="view-samples" data-t="samples">Top samples</label>
</fieldset>
<fieldset class="switch" id="lang"><legend data-t="language">Language</legend>
<input type="radio" name="lang" id="lang-en" value="en" checked><label for="lang-en">English</label>
<input type="radio" name="lang" id="lang-ko" value="ko"><label for="lang-ko">한국어</label>
</fieldset>
</div>
<p id="accuracy" class="accuracy"></p>
<div class="confusion">
<div class="matrix-wrap"><table id="matrix" role="grid"></table>
<p class="hint" id="hint"></p></div>
<aside id="panel" aria-live="polite"><h2 id="panel-title"></h2><p id="panel-note"></p><div id="panel-samples" class="samples"></div></aside>
</div>"#;
    page(
        &demo.title,
        &demo.intro,
        &sheet_css(&demo.sheets),
        body,
        &json,
        CONFUSION_JS,
    )
}

/// The weights demo as one HTML page.
///
/// # Panics
/// If a network's sheet does not hold `snapshots.len() * units.len()` tiles, or its bars are
/// neither empty in every snapshot nor `classes.len() x units.len()`.
#[track_caller]
pub fn weights_demo(demo: &WeightsDemo) -> String {
    for net in &demo.networks {
        check_weights(net);
    }
    let sheets: Vec<SpriteSheet> = demo.networks.iter().map(|n| n.sheet.clone()).collect();
    #[derive(Serialize)]
    struct Data<'a> {
        networks: &'a [WeightsNet],
        title: &'a Text,
        intro: &'a Text,
    }
    let json = to_json(&Data {
        networks: &demo.networks,
        title: &demo.title,
        intro: &demo.intro,
    });
    let body = r#"<div class="controls">
<fieldset class="switch" id="dataset"><legend data-t="dataset">Dataset</legend></fieldset>
<div class="epochs"><label for="epoch"><span data-t="epoch">Epoch</span> <output id="epoch-value" for="epoch">0</output> <span data-t="of">of</span> <span id="epoch-max">0</span></label>
<input type="range" id="epoch" min="0" max="0" step="1" value="0">
<button type="button" id="play">Play</button></div>
<fieldset class="switch" id="lang"><legend data-t="language">Language</legend>
<input type="radio" name="lang" id="lang-en" value="en" checked><label for="lang-en">English</label>
<input type="radio" name="lang" id="lang-ko" value="ko"><label for="lang-ko">한국어</label>
</fieldset>
</div>
<div id="nets"></div>"#;
    page(
        &demo.title.en,
        &demo.intro.en,
        &sheet_css(&sheets),
        body,
        &json,
        WEIGHTS_JS,
    )
}

#[track_caller]
fn check_confusion(net: &ConfusionNet, sheets: &[SpriteSheet]) {
    let k = net.classes.len();
    let id = &net.id;
    assert!(
        net.sheet < sheets.len(),
        "{id}: sheet {} of {}",
        net.sheet,
        sheets.len()
    );
    let tiles = sheets[net.sheet].tiles;
    assert!(
        net.counts.len() == k && net.counts.iter().all(|r| r.len() == k),
        "{id}: counts must be {k} x {k}"
    );
    assert!(
        net.tops.len() == k && net.tops.iter().all(|r| r.len() == k),
        "{id}: tops must be {k} x {k}"
    );
    for (a, row) in net.tops.iter().enumerate() {
        for (p, cell) in row.iter().enumerate() {
            assert!(
                cell.len() as u64 <= net.counts[a][p] && cell.len() <= net.shown,
                "{id}: cell ({a}, {p}) lists {} samples for a count of {} (shown {})",
                cell.len(),
                net.counts[a][p],
                net.shown
            );
            for s in cell {
                assert!(
                    s.tile < tiles,
                    "{id}: tile {} of a sheet of {tiles}",
                    s.tile
                );
                assert!(
                    (0.0..=1.0).contains(&s.prob),
                    "{id}: probability {} outside 0..=1",
                    s.prob
                );
            }
        }
    }
}

#[track_caller]
fn check_weights(net: &WeightsNet) {
    let units = net.units.len();
    assert!(
        net.sheet.tiles as usize >= net.snapshots.len() * units,
        "{}: the sheet must hold one tile per snapshot and unit",
        net.id
    );
    assert!(
        net.cards.is_empty() || net.cards.len() == units,
        "{}: one card per unit",
        net.id
    );
    for c in &net.cards {
        assert!(
            c.top.iter().chain(&c.bottom).all(|&t| t < net.sheet.tiles),
            "{}: a card's tile is outside the sheet",
            net.id
        );
    }
    for s in &net.snapshots {
        let ok = s.bars.is_empty()
            || (s.bars.len() == net.classes.len() && s.bars.iter().all(|r| r.len() == units));
        assert!(
            ok,
            "{}: the bars of epoch {} must be {} x {units}",
            net.id,
            s.epoch,
            net.classes.len()
        );
    }
}

/// `x` rounded to `digits` significant digits (0 and non-finite values unchanged).
fn round_significant(x: f32, digits: i32) -> f32 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let x = f64::from(x);
    let scale = 10f64.powi(digits - 1 - x.abs().log10().floor() as i32);
    ((x * scale).round() / scale) as f32
}

fn rounded_rows<S: Serializer>(rows: &[Vec<f32>], s: S) -> Result<S::Ok, S::Error> {
    let rounded: Vec<Vec<f32>> = rows
        .iter()
        .map(|r| r.iter().map(|&v| round_significant(v, 3)).collect())
        .collect();
    rounded.serialize(s)
}

/// JSON for a `<script type="application/json">` block: `<` is escaped so that no string can
/// close the element or open a comment.
fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value)
        .expect("plain data always serialises")
        .replace('<', "\\u003c")
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One CSS class per sheet (`.s0`, `.s1`, ...) carrying its PNG, so each image is decoded once
/// however many tiles show it.
fn sheet_css(sheets: &[SpriteSheet]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut css = String::new();
    for (i, s) in sheets.iter().enumerate() {
        let _ = writeln!(
            css,
            ".s{i}{{background-image:url(data:image/png;base64,{})}}",
            b64.encode(&s.png)
        );
    }
    css
}

fn page(title: &str, intro: &str, sheets: &str, body: &str, json: &str, script: &str) -> String {
    let colours = [
        ("correct", palette::CORRECT),
        ("wrong", palette::WRONG),
        ("positive", palette::POSITIVE),
        ("negative", palette::NEGATIVE),
        ("ink", palette::INK),
        ("muted", palette::MUTED),
        ("rule", palette::RULE),
    ];
    let mut vars = String::from(":root{");
    for (name, c) in colours {
        let _ = write!(vars, "--{name}:{};", c.hex());
    }
    vars.push('}');
    let title = escape(title);
    let intro = escape(intro);
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<title>{title}</title>\n<link rel=\"icon\" href=\"data:,\">\n\
<style>\n{vars}\n{CSS}\n{sheets}</style>\n</head><body>\n\
<header><h1>{title}</h1><p class=\"intro\">{intro}</p></header>\n<main>\n{body}\n</main>\n\
<script type=\"application/json\" id=\"demo-data\">{json}</script>\n\
<script>\n{script}\n</script>\n</body></html>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Rgb;
    use proptest::prelude::*;

    fn tile(v: u8) -> Raster {
        Raster::new(2, 3, Rgb::gray(v))
    }

    /// Width, height and pixels as RGB, whatever the PNG's colour type.
    fn decode(png_bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let dec = png::Decoder::new(std::io::Cursor::new(png_bytes));
        let mut reader = dec.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        buf.truncate(info.buffer_size());
        let rgb = match info.color_type {
            png::ColorType::Rgb => buf,
            png::ColorType::Grayscale => buf.iter().flat_map(|&v| [v; 3]).collect(),
            other => panic!("unexpected colour type {other:?}"),
        };
        (info.width, info.height, rgb)
    }

    /// The JSON block of a page, parsed.
    fn data_of(page: &str) -> serde_json::Value {
        let start = page.find("id=\"demo-data\">").unwrap() + "id=\"demo-data\">".len();
        let end = start + page[start..].find("</script>").unwrap();
        serde_json::from_str(&page[start..end]).unwrap()
    }

    fn net(counts: Vec<Vec<u64>>, tops: Vec<Vec<Vec<CellSample>>>) -> ConfusionNet {
        ConfusionNet {
            id: "n".into(),
            label: "N <1>".into(),
            split: "held-out".into(),
            split_ko: "검증".into(),
            sheet: 0,
            classes: vec!["a".into(), "b".into()],
            classes_ko: Vec::new(),
            counts,
            shown: 2,
            tops,
        }
    }

    fn sample(index: usize, tile: u32, prob: f32) -> CellSample {
        CellSample { index, tile, prob }
    }

    fn demo(net: ConfusionNet) -> ConfusionDemo {
        ConfusionDemo {
            title: "Confusion & co".into(),
            intro: "x".into(),
            title_ko: "오차 행렬".into(),
            intro_ko: "x".into(),
            sheets: vec![SpriteSheet::pack(2, 3, &[tile(0), tile(9)])],
            networks: vec![net],
        }
    }

    fn check_round(x: f32, expect: f32) {
        assert_eq!(round_significant(x, 3), expect, "{x}");
    }

    #[test]
    fn rounds_to_three_significant_digits() {
        check_round(0.0, 0.0);
        check_round(1.23456, 1.23);
        check_round(-0.0012345, -0.00123);
        check_round(98765.0, 98800.0);
        check_round(0.9996, 1.0);
    }

    /// A gray sheet is stored with one channel, a colour one with three; both decode to the
    /// tiles' pixels.
    #[test]
    fn sheets_keep_their_pixels_in_one_or_three_channels() {
        let gray = SpriteSheet::pack(2, 3, &[tile(7), tile(200)]);
        let colour = SpriteSheet::pack(2, 3, &[tile(7), Raster::new(2, 3, Rgb::new(1, 2, 3))]);
        let info = |p: &[u8]| {
            png::Decoder::new(std::io::Cursor::new(p.to_vec()))
                .read_info()
                .unwrap()
                .info()
                .color_type
        };
        assert_eq!(info(gray.png()), png::ColorType::Grayscale);
        assert_eq!(info(colour.png()), png::ColorType::Rgb);
        let (_, _, px) = decode(colour.png());
        assert_eq!(&px[6..9], &[1, 2, 3]); // tile 1 starts at x = 2
        let (_, _, px) = decode(gray.png());
        assert_eq!(&px[6..9], &[200, 200, 200]);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]
        /// Every tile lands where `columns` says, and the sheet holds nothing else.
        #[test]
        fn pack_places_every_tile(n in 0usize..40, w in 1u32..5, h in 1u32..5, colour: bool) {
            let fill = |i: usize| {
                let v = i as u8 + 1;
                if colour { Rgb::new(v, 0, 255 - v) } else { Rgb::gray(v) }
            };
            let tiles: Vec<Raster> = (0..n).map(|i| Raster::new(w, h, fill(i))).collect();
            let sheet = SpriteSheet::pack(w, h, &tiles);
            prop_assert_eq!(sheet.tiles() as usize, n);
            let (sw, sh, px) = decode(sheet.png());
            if n == 0 {
                prop_assert_eq!((sw, sh), (1, 1));
                return Ok(());
            }
            prop_assert_eq!(sw, sheet.columns() * w);
            prop_assert!(sh / h * sheet.columns() >= n as u32);
            prop_assert!((sh / h - 1) * sheet.columns() < n as u32, "no empty last row");
            for (i, _) in tiles.iter().enumerate() {
                let i = i as u32;
                let x = (i % sheet.columns()) * w + w - 1;
                let y = (i / sheet.columns()) * h + h - 1;
                let at = 3 * (y * sw + x) as usize;
                let c = fill(i as usize);
                prop_assert_eq!(&px[at..at + 3], &[c.r, c.g, c.b]);
            }
            prop_assert_eq!(sheet.embedded_len() % 4, 0);
        }
    }

    #[test]
    fn confusion_page_embeds_data_and_escapes_text() {
        let n = net(
            vec![vec![1, 2], vec![0, 3]],
            vec![
                vec![vec![sample(7, 0, 0.5)], vec![sample(3, 1, 0.75)]],
                vec![vec![], vec![sample(4, 0, 1.0)]],
            ],
        );
        let html = confusion_demo(&demo(n));
        assert!(html.starts_with("<!doctype html>"));
        assert!(html.contains("<title>Confusion &amp; co</title>"));
        assert!(html.contains(".s0{background-image:url(data:image/png;base64,iVBORw0KGgo"));
        // Nothing is fetched: no external script, style or image.
        assert!(!html.contains("src=\"http") && !html.contains("href=\"http"));
        let data = data_of(&html);
        let net = &data["networks"][0];
        assert_eq!(net["counts"], serde_json::json!([[1, 2], [0, 3]]));
        assert_eq!(net["tops"][0][1], serde_json::json!([[3, 1, 0.75]]));
        // "<" in a label is escaped inside the JSON block and parses back unchanged.
        assert_eq!(net["label"], "N <1>");
        assert!(!html.contains("N <1>"));
        assert_eq!(data["sheets"][0]["tiles"], 2);
    }

    #[test]
    #[should_panic(expected = "cell (0, 1) lists 2 samples for a count of 1")]
    fn confusion_rejects_more_samples_than_the_count() {
        let n = net(
            vec![vec![1, 1], vec![0, 0]],
            vec![
                vec![vec![], vec![sample(1, 0, 0.5), sample(2, 1, 0.4)]],
                vec![vec![], vec![]],
            ],
        );
        confusion_demo(&demo(n));
    }

    #[test]
    #[should_panic(expected = "tile 5 of a sheet of 2")]
    fn confusion_rejects_a_tile_outside_the_sheet() {
        let n = net(
            vec![vec![1, 0], vec![0, 0]],
            vec![vec![vec![sample(1, 5, 0.5)], vec![]], vec![vec![], vec![]]],
        );
        confusion_demo(&demo(n));
    }

    fn weights_net(bars: Vec<Vec<f32>>) -> WeightsNet {
        WeightsNet {
            id: "w".into(),
            group: "G".into(),
            label: Text::same("two units"),
            units: vec![Text::same("filter 1"), Text::same("filter 2")],
            classes: vec![Text::same("a")],
            sheet: SpriteSheet::pack(2, 3, &[tile(1), tile(2), tile(3), tile(4)]),
            snapshots: (0..2)
                .map(|e| WeightsSnapshot {
                    epoch: e,
                    label: None,
                    loss: (e > 0).then_some(0.5),
                    accuracy: (e > 0).then_some(0.9),
                    note: None,
                    bars: bars.clone(),
                })
                .collect(),
            cards: Vec::new(),
        }
    }

    #[test]
    fn weights_page_rounds_bars() {
        let html = weights_demo(&WeightsDemo {
            title: Text::same("Weights"),
            intro: Text::same("y"),
            networks: vec![weights_net(vec![vec![0.123456, -2.34567]])],
        });
        let data = data_of(&html);
        let snaps = &data["networks"][0]["snapshots"];
        assert_eq!(snaps[1]["bars"], serde_json::json!([[0.123, -2.35]]));
        assert_eq!(snaps[0]["loss"], serde_json::Value::Null);
        assert!(html.contains(".s0{background-image"));
    }

    #[test]
    #[should_panic(expected = "the bars of epoch 0 must be 1 x 2")]
    fn weights_rejects_ragged_bars() {
        weights_demo(&WeightsDemo {
            title: Text::same("Weights"),
            intro: Text::same("y"),
            networks: vec![weights_net(vec![vec![1.0]])],
        });
    }
}
