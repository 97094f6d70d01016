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

/// The SVG `font-family` list: the bundled font first, then look-alikes for viewers of
/// the SVG files that lack it.
pub(crate) const FONT_FAMILY: &str =
    "'DejaVu Sans', 'Bitstream Vera Sans', Verdana, 'Helvetica Neue', Arial, sans-serif";

/// The family resvg falls back to for `sans-serif` and for characters the first font
/// lacks.
const DEFAULT_FAMILY: &str = "DejaVu Sans";

/// A subscript's size relative to its base text.
pub(crate) const SUB_SCALE: f32 = 0.68;
/// How far a subscript's baseline sits below the base baseline, relative to the base size.
pub(crate) const SUB_DROP: f32 = 0.24;

/// Every font the rasteriser may use, bundled in the binary. The first one is also the one
/// layout measures with. A Hangul-capable OFL font would be appended here (usvg falls back
/// through the database for characters DejaVu Sans lacks).
fn bundled_fonts() -> [&'static [u8]; 1] {
    [dejavu::sans::regular()]
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

fn font() -> &'static FontRef<'static> {
    static FONT: OnceLock<FontRef<'static>> = OnceLock::new();
    FONT.get_or_init(|| {
        FontRef::new(bundled_fonts()[0])
            .expect("the DejaVu Sans bytes bundled by the `dejavu` crate parse")
    })
}

thread_local! {
    // Shaping tables parsed once per thread (usvg shapes with the same engine and default
    // features, kerning included).
    static SHAPER_DATA: harfrust::ShaperData = harfrust::ShaperData::new(shaping_font());
}

fn shaping_font() -> &'static harfrust::FontRef<'static> {
    static FONT: OnceLock<harfrust::FontRef<'static>> = OnceLock::new();
    FONT.get_or_init(|| {
        harfrust::FontRef::new(bundled_fonts()[0])
            .expect("the DejaVu Sans bytes bundled by the `dejavu` crate parse")
    })
}

/// Measures `text` at em size `size` pixels in the bundled font: its advance width as
/// shaped by harfrust (the shaper usvg draws with, so kerning included) and the font's
/// line box.
pub fn measure_text(text: &str, size: f32) -> TextMetrics {
    let m = font().metrics(Size::new(size), LocationRef::default());
    let units = if text.is_empty() {
        0
    } else {
        SHAPER_DATA.with(|data| {
            let shaper = data.shaper(shaping_font()).build();
            let mut buffer = harfrust::UnicodeBuffer::new();
            buffer.push_str(text);
            buffer.guess_segment_properties();
            let out = shaper.shape(buffer, harfrust::ShapeOptions::new());
            out.glyph_positions()
                .iter()
                .map(|p| p.x_advance)
                .sum::<i32>()
        })
    };
    TextMetrics {
        width: units as f32 * size / f32::from(m.units_per_em),
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
        assert!(
            db.faces()
                .all(|f| f.families.iter().any(|(n, _)| n == DEFAULT_FAMILY))
        );
    }
}
