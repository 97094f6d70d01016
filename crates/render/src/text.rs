//! Text: the bundled fonts, measurement for layout, and where a line of text sits relative
//! to its anchor. Drawing is resvg's (usvg shapes the text, tiny-skia fills the glyphs).
//!
//! Sizes are em sizes in pixels, like CSS and SVG `font-size`. Measurement reads advance
//! widths and the line box from the font itself, so layout needs no rasterisation; the
//! vertical anchor is turned into an explicit baseline here, and the horizontal one into
//! `text-anchor`, which usvg resolves on the shaped text.

use std::sync::{Arc, OnceLock};

use resvg::usvg::fontdb;
use skrifa::instance::{LocationRef, Size};
use skrifa::{FontRef, MetadataProvider};

use crate::color::Rgb;

/// The SVG `font-family` list: the bundled fonts first (Latin, then Hangul), then
/// look-alikes for viewers of the SVG files that lack them.
pub(crate) const FONT_FAMILY: &str = "'DejaVu Sans', 'Noto Sans CJK KR', 'Bitstream Vera Sans', Verdana, 'Helvetica Neue', Arial, 'Noto Sans KR', 'Malgun Gothic', sans-serif";

/// The family resvg falls back to for `sans-serif` and for characters the first font
/// lacks.
const DEFAULT_FAMILY: &str = "DejaVu Sans";

/// A subscript's size relative to its base text.
pub(crate) const SUB_SCALE: f32 = 0.68;
/// How far a subscript's baseline sits below the base baseline, relative to the base size.
pub(crate) const SUB_DROP: f32 = 0.24;

/// Hangul: a subset of Noto Sans CJK KR Regular (SIL OFL 1.1, `fonts/OFL.txt`): the 2,350
/// syllables of KS X 1001, the jamo, ASCII and some punctuation, made by
/// `fonts/make_subset.py`.
const HANGUL_FONT: &[u8] = include_bytes!("../fonts/NotoSansKR-subset.otf");

/// The family name inside [`HANGUL_FONT`].
#[cfg(test)]
const HANGUL_FAMILY: &str = "Noto Sans CJK KR";

/// Every font the rasteriser may use, bundled in the binary, in the order a character is
/// looked up: DejaVu Sans for everything it covers (so Latin figures are what they were), the
/// Hangul font for the rest (usvg falls back through the database for characters the first
/// font lacks, and [`measure_text`] does the same).
fn bundled_fonts() -> [&'static [u8]; 2] {
    [dejavu::sans::regular(), HANGUL_FONT]
}

/// The font database handed to usvg: the bundled fonts only, never the system's, so every
/// machine renders the same pixels.
pub(crate) fn font_database() -> Arc<fontdb::Database> {
    static DB: OnceLock<Arc<fontdb::Database>> = OnceLock::new();
    Arc::clone(DB.get_or_init(|| {
        let mut db = fontdb::Database::new();
        for data in bundled_fonts() {
            db.load_font_data(data.to_vec());
        }
        db.set_sans_serif_family(DEFAULT_FAMILY);
        Arc::new(db)
    }))
}

/// The family usvg uses where a figure names none.
pub(crate) const fn default_family() -> &'static str {
    DEFAULT_FAMILY
}

/// Horizontal placement of text relative to its anchor point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HAlign {
    /// The text starts at the anchor.
    Left,
    /// The text is centred on the anchor.
    Center,
    /// The text ends at the anchor.
    Right,
}

/// Vertical placement of text relative to its anchor point. The line box spans the font's
/// ascent above the baseline and its descent below, whatever the letters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VAlign {
    /// The top of the line box is at the anchor.
    Top,
    /// The middle of the line box is at the anchor.
    Middle,
    /// The baseline is at the anchor.
    Baseline,
    /// The bottom of the line box is at the anchor.
    Bottom,
}

/// Which point of a line of text sits at the coordinates it is drawn at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Anchor {
    /// Horizontal placement.
    pub h: HAlign,
    /// Vertical placement.
    pub v: VAlign,
}

impl Anchor {
    /// The top-left corner of the line box.
    pub const TOP_LEFT: Anchor = Anchor::new(HAlign::Left, VAlign::Top);
    /// The middle of the top edge.
    pub const TOP: Anchor = Anchor::new(HAlign::Center, VAlign::Top);
    /// The top-right corner.
    pub const TOP_RIGHT: Anchor = Anchor::new(HAlign::Right, VAlign::Top);
    /// The middle of the left edge.
    pub const LEFT: Anchor = Anchor::new(HAlign::Left, VAlign::Middle);
    /// The centre of the line box.
    pub const CENTER: Anchor = Anchor::new(HAlign::Center, VAlign::Middle);
    /// The middle of the right edge.
    pub const RIGHT: Anchor = Anchor::new(HAlign::Right, VAlign::Middle);
    /// The bottom-left corner.
    pub const BOTTOM_LEFT: Anchor = Anchor::new(HAlign::Left, VAlign::Bottom);
    /// The middle of the bottom edge.
    pub const BOTTOM: Anchor = Anchor::new(HAlign::Center, VAlign::Bottom);
    /// The bottom-right corner.
    pub const BOTTOM_RIGHT: Anchor = Anchor::new(HAlign::Right, VAlign::Bottom);

    /// An anchor from its two placements.
    pub const fn new(h: HAlign, v: VAlign) -> Self {
        Anchor { h, v }
    }
}

/// How a line of text is drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TextStyle {
    /// Em size in pixels (as CSS `font-size`).
    pub size: f32,
    /// Text colour.
    pub color: Rgb,
    /// Which point of the text sits at the given coordinates.
    pub anchor: Anchor,
    /// Rotation about the anchor point in degrees, clockwise on screen (y points down, as
    /// in SVG): -90 reads bottom to top.
    pub angle: f32,
}

impl TextStyle {
    /// Upright text anchored at its top-left corner.
    pub const fn new(size: f32, color: Rgb) -> Self {
        TextStyle {
            size,
            color,
            anchor: Anchor::TOP_LEFT,
            angle: 0.0,
        }
    }

    /// The same style with another anchor.
    pub const fn anchored(self, anchor: Anchor) -> Self {
        TextStyle { anchor, ..self }
    }

    /// The same style rotated by `degrees` (clockwise on screen).
    pub const fn rotated(self, degrees: f32) -> Self {
        TextStyle {
            angle: degrees,
            ..self
        }
    }
}

/// The size of a line of text.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TextMetrics {
    /// Advance width: where the next character would start.
    pub width: f32,
    /// Height of the line box above the baseline.
    pub ascent: f32,
    /// Depth of the line box below the baseline (positive).
    pub descent: f32,
}

impl TextMetrics {
    /// Height of the line box.
    pub fn height(&self) -> f32 {
        self.ascent + self.descent
    }
}

/// The bundled fonts parsed for metrics and character maps, in lookup order.
fn fonts() -> &'static [FontRef<'static>; 2] {
    static FONTS: OnceLock<[FontRef<'static>; 2]> = OnceLock::new();
    FONTS.get_or_init(|| {
        bundled_fonts().map(|data| FontRef::new(data).expect("the bundled font bytes parse"))
    })
}

fn shaping_fonts() -> &'static [harfrust::FontRef<'static>; 2] {
    static FONTS: OnceLock<[harfrust::FontRef<'static>; 2]> = OnceLock::new();
    FONTS.get_or_init(|| {
        bundled_fonts()
            .map(|data| harfrust::FontRef::new(data).expect("the bundled font bytes parse"))
    })
}

thread_local! {
    // Shaping tables parsed once per thread (usvg shapes with the same engine and default
    // features, kerning included).
    static SHAPER_DATA: [harfrust::ShaperData; 2] =
        [0, 1].map(|i| harfrust::ShaperData::new(&shaping_fonts()[i]));
}

/// The first bundled font that maps `c`, as usvg picks it: DejaVu Sans when it has the
/// character, else the Hangul font; `None` when neither does (it would be drawn as tofu).
fn font_for(c: char) -> Option<usize> {
    fonts().iter().position(|f| f.charmap().map(c).is_some())
}

/// The characters of `text` that no bundled font has a glyph for (each once, in order of
/// appearance): what would be drawn as an empty box. Line breaks and tabs are not drawn and
/// are not reported.
pub fn missing_glyphs(text: &str) -> Vec<char> {
    let mut missing = Vec::new();
    for c in text.chars() {
        if !c.is_control() && font_for(c).is_none() && !missing.contains(&c) {
            missing.push(c);
        }
    }
    missing
}

/// Advance of `run` shaped in bundled font `font`, in that font's units.
fn shaped_units(font: usize, run: &str) -> i32 {
    SHAPER_DATA.with(|data| {
        let shaper = data[font].shaper(&shaping_fonts()[font]).build();
        let mut buffer = harfrust::UnicodeBuffer::new();
        buffer.push_str(run);
        buffer.guess_segment_properties();
        let out = shaper.shape(buffer, harfrust::ShapeOptions::new());
        out.glyph_positions()
            .iter()
            .map(|p| p.x_advance)
            .sum::<i32>()
    })
}

/// Measures `text` at em size `size` pixels in the bundled fonts: its advance width as
/// shaped by harfrust (the shaper usvg draws with, so kerning included) in the fonts usvg
/// draws it with, and DejaVu Sans's line box (so mixed and Latin text share one line height).
///
/// usvg shapes a text in DejaVu Sans; when a character is missing, it shapes the whole text
/// again in the Hangul font and keeps that shaping if it has every character (Korean labels
/// with digits and ASCII are drawn wholly in the Hangul font), else it replaces only the
/// missing glyphs. This follows the same rule.
pub fn measure_text(text: &str, size: f32) -> TextMetrics {
    let [latin, hangul] = fonts();
    let m = latin.metrics(Size::new(size), LocationRef::default());
    let in_font = |f: &FontRef<'_>, c: char| c.is_control() || f.charmap().map(c).is_some();
    let units_per_em = |font: usize| {
        f32::from(
            fonts()[font]
                .metrics(Size::unscaled(), LocationRef::default())
                .units_per_em,
        )
    };
    let scaled =
        |font: usize, run: &str| shaped_units(font, run) as f32 * size / units_per_em(font);
    let width = if text.is_empty() {
        0.0
    } else if text.chars().all(|c| in_font(latin, c)) {
        scaled(0, text)
    } else if text.chars().all(|c| in_font(hangul, c)) {
        scaled(1, text)
    } else {
        // Runs of characters by the font whose glyph is used; a character no font has is
        // DejaVu's .notdef, as usvg leaves it.
        let mut width = 0.0;
        let mut start = 0;
        let mut current = 0;
        for (i, c) in text.char_indices() {
            let f = font_for(c).unwrap_or(0);
            if i > 0 && f != current {
                width += scaled(current, &text[start..i]);
                start = i;
            }
            current = f;
        }
        width + scaled(current, &text[start..])
    };
    TextMetrics {
        width,
        ascent: m.ascent,
        descent: -m.descent,
    }
}

/// Where the anchor point sits relative to the pen start on the baseline.
fn anchor_offset(m: &TextMetrics, a: Anchor) -> (f32, f32) {
    let ax = match a.h {
        HAlign::Left => 0.0,
        HAlign::Center => m.width / 2.0,
        HAlign::Right => m.width,
    };
    let ay = match a.v {
        VAlign::Top => -m.ascent,
        VAlign::Middle => (m.descent - m.ascent) / 2.0,
        VAlign::Baseline => 0.0,
        VAlign::Bottom => m.descent,
    };
    (ax, ay)
}

/// The baseline offset from the anchor, along the text's own vertical axis: what SVG needs
/// as `y` once translated to the anchor.
pub(crate) fn baseline_offset(text: &str, style: &TextStyle) -> f32 {
    let m = measure_text(text, style.size);
    -anchor_offset(&m, style.anchor).1
}

/// The continuous bounds `[x0, y0, x1, y1]` of the (rotated) line box of `text` drawn at
/// `at` with `style`; used to lay figures out before drawing them.
pub(crate) fn text_bounds(text: &str, at: (f32, f32), style: &TextStyle) -> [f32; 4] {
    let m = measure_text(text, style.size);
    let (ax, ay) = anchor_offset(&m, style.anchor);
    let (s, c) = style.angle.to_radians().sin_cos();
    let mut b = [f32::MAX, f32::MAX, f32::MIN, f32::MIN];
    for (lx, ly) in [
        (0.0, -m.ascent),
        (m.width, -m.ascent),
        (0.0, m.descent),
        (m.width, m.descent),
    ] {
        let (dx, dy) = (lx - ax, ly - ay);
        let (x, y) = (at.0 + c * dx - s * dy, at.1 + s * dx + c * dy);
        b = [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)];
    }
    b
}

/// Bounds of a base text with a subscript, as [`text_bounds`] (subscripts are upright).
pub(crate) fn subscript_layout(base: &str, sub: &str, size: f32) -> (TextMetrics, f32) {
    let mb = measure_text(base, size);
    let ms = measure_text(sub, size * SUB_SCALE);
    let combined = TextMetrics {
        width: mb.width + ms.width,
        ascent: mb.ascent,
        descent: mb.descent.max(size * SUB_DROP + ms.descent),
    };
    (combined, mb.width)
}

pub(crate) fn subscript_bounds(
    base: &str,
    sub: &str,
    at: (f32, f32),
    style: &TextStyle,
) -> [f32; 4] {
    let (m, _) = subscript_layout(base, sub, style.size);
    let (ax, ay) = anchor_offset(&m, style.anchor);
    let (x0, y0) = (at.0 - ax, at.1 - ay);
    [x0, y0 - m.ascent, x0 + m.width, y0 + m.descent]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measurement_grows_with_text() {
        let a = measure_text("pixel 1", 13.0);
        let b = measure_text("pixel 784", 13.0);
        assert!(b.width > a.width && a.width > 0.0);
        assert_eq!(measure_text("", 13.0).width, 0.0);
        // DejaVu Sans: ascent + descent is about 1.16 em (its hhea metrics).
        let h = a.height() / 13.0;
        assert!((1.1..1.25).contains(&h), "{h}");
        // Twice the size, twice the width.
        let c = measure_text("pixel 1", 26.0);
        assert!((c.width / a.width - 2.0).abs() < 1e-3);
    }

    #[test]
    fn the_database_holds_only_the_bundled_fonts() {
        let db = font_database();
        assert_eq!(db.len(), bundled_fonts().len());
        for family in [DEFAULT_FAMILY, HANGUL_FAMILY] {
            assert!(
                db.faces()
                    .any(|f| f.families.iter().any(|(n, _)| n == family)),
                "{family}"
            );
        }
    }

    #[test]
    fn every_common_hangul_syllable_has_a_glyph() {
        // KS X 1001's 2,350 syllables are what `fonts/make_subset.py` keeps; this checks the
        // committed file against the script's promise on a sample of them, plus the jamo.
        for s in [
            "가각간갇갈감갑값",
            "힁히힉힌힐힘힙힛힝",
            "ㄱㄴㄷㄹㅁㅂㅅㅇㅈㅊㅋㅌㅍㅎㅏㅓㅗㅜㅡㅣ",
        ] {
            assert_eq!(missing_glyphs(s), Vec::<char>::new(), "{s}");
        }
        // Characters of neither font are reported, once each.
        assert_eq!(missing_glyphs("ok 漢\u{E000}漢\n"), vec!['漢', '\u{E000}']);
    }

    #[test]
    fn hangul_is_measured_in_the_hangul_font() {
        // A Hangul syllable is about one em wide in Noto Sans CJK; DejaVu's .notdef box is
        // narrower, so this fails if measurement does not fall back as drawing does.
        let one = measure_text("가", 20.0).width;
        assert!((18.0..=21.0).contains(&one), "{one}");
        // Korean with ASCII is drawn (and measured) wholly in the Hangul font, whose digits
        // are narrower than DejaVu's.
        let mixed = measure_text("필터 10", 20.0).width;
        let dejavu_digits = measure_text("필터", 20.0).width + measure_text(" 10", 20.0).width;
        assert!(mixed < dejavu_digits - 1.0, "{mixed} {dejavu_digits}");
        // The line box is the Latin one, so mixed and Latin lines have the same height.
        assert_eq!(
            measure_text("정확도", 13.0).height(),
            measure_text("pixel", 13.0).height()
        );
    }
}
