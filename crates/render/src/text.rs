//! Text: the bundled DejaVu Sans font, measurement, and anti-aliased drawing (at any angle)
//! with a small per-thread glyph cache.
//!
//! Sizes are em sizes in pixels, like CSS and SVG `font-size`, so a label measured here has
//! the same size in the PNG and in the SVG of a diagram.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::OnceLock;

use ab_glyph::{Font, FontRef, GlyphId, PxScale, ScaleFont, point};

use crate::color::Rgb;
use crate::raster::{Raster, Rect};

/// The SVG `font-family` list: the font the PNGs use first, then look-alikes.
pub(crate) const FONT_FAMILY: &str =
    "'DejaVu Sans', 'Bitstream Vera Sans', Verdana, 'Helvetica Neue', Arial, sans-serif";

/// A subscript's size relative to its base text.
pub(crate) const SUB_SCALE: f32 = 0.68;
/// How far a subscript's baseline sits below the base baseline, relative to the base size.
pub(crate) const SUB_DROP: f32 = 0.24;

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
        FontRef::try_from_slice(dejavu::sans::regular())
            .expect("the DejaVu Sans bytes bundled by the `dejavu` crate parse")
    })
}

/// ab_glyph scales by line height (ascent - descent); convert from an em size.
fn px_scale(size: f32) -> PxScale {
    let f = font();
    let upem = f.units_per_em().unwrap_or(2048.0);
    PxScale::from(size * f.height_unscaled() / upem)
}

/// Measures `text` at em size `size` pixels.
pub fn measure_text(text: &str, size: f32) -> TextMetrics {
    let f = font();
    let sf = f.as_scaled(px_scale(size));
    let mut width = 0.0;
    let mut prev: Option<GlyphId> = None;
    for ch in text.chars() {
        let id = f.glyph_id(ch);
        if let Some(p) = prev {
            width += sf.kern(p, id);
        }
        width += sf.h_advance(id);
        prev = Some(id);
    }
    TextMetrics {
        width,
        ascent: sf.ascent(),
        descent: -sf.descent(),
    }
}

/// One rasterised glyph: coverage in `[0, 1]`, placed relative to the pen position on the
/// baseline.
struct GlyphBitmap {
    left: i32,
    top: i32,
    width: usize,
    height: usize,
    coverage: Vec<f32>,
}

/// Glyph id, size in 1/64 px, horizontal sub-pixel offset in quarter pixels.
type GlyphKey = (u16, u32, u8);

/// Quarter-pixel horizontal positions: kerned labels keep even spacing while the cache
/// stays at four bitmaps per glyph and size.
const SUBPIXEL_STEPS: f32 = 4.0;
/// The cache is dropped when it grows past this many bitmaps (labels use a few dozen).
const CACHE_LIMIT: usize = 8192;

thread_local! {
    // Per thread, so drawing needs no lock; only looked up, never iterated, so its order
    // never reaches an output.
    static GLYPHS: RefCell<HashMap<GlyphKey, Rc<GlyphBitmap>>> = RefCell::new(HashMap::new());
}

fn glyph_bitmap(id: GlyphId, size_q: u32, sub: u8) -> Rc<GlyphBitmap> {
    GLYPHS.with(|cache| {
        let key = (id.0, size_q, sub);
        if let Some(g) = cache.borrow().get(&key) {
            return Rc::clone(g);
        }
        let size = size_q as f32 / 64.0;
        let glyph =
            id.with_scale_and_position(px_scale(size), point(f32::from(sub) / SUBPIXEL_STEPS, 0.0));
        let bitmap = match font().outline_glyph(glyph) {
            Some(outlined) => {
                let b = outlined.px_bounds();
                let (width, height) = (b.width() as usize, b.height() as usize);
                let mut coverage = vec![0.0; width * height];
                outlined.draw(|x, y, c| {
                    if let Some(v) = coverage.get_mut(y as usize * width + x as usize) {
                        *v = c.min(1.0);
                    }
                });
                GlyphBitmap {
                    left: b.min.x as i32,
                    top: b.min.y as i32,
                    width,
                    height,
                    coverage,
                }
            }
            // A space or a glyph without outline: nothing to draw.
            None => GlyphBitmap {
                left: 0,
                top: 0,
                width: 0,
                height: 0,
                coverage: Vec::new(),
            },
        };
        let bitmap = Rc::new(bitmap);
        let mut cache = cache.borrow_mut();
        if cache.len() >= CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(key, Rc::clone(&bitmap));
        bitmap
    })
}

/// The coverage of a laid-out line of text. Mask pixel `(u, v)` is at `(left + u, top + v)`
/// relative to the integer pen start on the baseline.
struct Mask {
    left: i32,
    top: i32,
    width: usize,
    height: usize,
    coverage: Vec<f32>,
}

/// Lays `text` out with the pen starting `frac_x` (in `[0, 1)`) pixels right of an integer
/// position, and collects the glyph coverage.
fn text_mask(text: &str, size: f32, frac_x: f32) -> Mask {
    let f = font();
    let sf = f.as_scaled(px_scale(size));
    let size_q = (size * 64.0).round().max(1.0) as u32;
    let mut pen = frac_x;
    let mut prev: Option<GlyphId> = None;
    let mut placed = Vec::with_capacity(text.len());
    for ch in text.chars() {
        let id = f.glyph_id(ch);
        if let Some(p) = prev {
            pen += sf.kern(p, id);
        }
        let mut ix = pen.floor();
        let mut q = ((pen - ix) * SUBPIXEL_STEPS).round();
        if q >= SUBPIXEL_STEPS {
            ix += 1.0;
            q = 0.0;
        }
        let g = glyph_bitmap(id, size_q, q as u8);
        if g.width > 0 && g.height > 0 {
            placed.push((ix as i32, g));
        }
        pen += sf.h_advance(id);
        prev = Some(id);
    }
    let (mut x0, mut y0, mut x1, mut y1) = (i32::MAX, i32::MAX, i32::MIN, i32::MIN);
    for (ix, g) in &placed {
        x0 = x0.min(ix + g.left);
        y0 = y0.min(g.top);
        x1 = x1.max(ix + g.left + g.width as i32);
        y1 = y1.max(g.top + g.height as i32);
    }
    if placed.is_empty() {
        return Mask {
            left: 0,
            top: 0,
            width: 0,
            height: 0,
            coverage: Vec::new(),
        };
    }
    let (width, height) = ((x1 - x0) as usize, (y1 - y0) as usize);
    let mut coverage = vec![0.0f32; width * height];
    for (ix, g) in &placed {
        let ox = (ix + g.left - x0) as usize;
        let oy = (g.top - y0) as usize;
        for gy in 0..g.height {
            let dst = &mut coverage[(oy + gy) * width + ox..(oy + gy) * width + ox + g.width];
            let src = &g.coverage[gy * g.width..(gy + 1) * g.width];
            for (d, s) in dst.iter_mut().zip(src) {
                *d = (*d + s).min(1.0);
            }
        }
    }
    Mask {
        left: x0,
        top: y0,
        width,
        height,
        coverage,
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

impl Raster {
    /// Draws one line of `text` with its anchor point at `(x, y)`, anti-aliased, in the
    /// bundled DejaVu Sans. Returns the pixels the text may have touched (its line box,
    /// rotated, joined with the ink).
    pub fn draw_text(&mut self, x: f32, y: f32, text: &str, style: &TextStyle) -> Rect {
        let m = measure_text(text, style.size);
        let (ax, ay) = anchor_offset(&m, style.anchor);
        let b = text_bounds(text, (x, y), style);
        let line_box = Rect::covering(b[0], b[1], b[2], b[3]);
        if style.angle == 0.0 {
            // Upright: snap the baseline to a pixel row for crisp stems, keep the
            // horizontal sub-pixel position.
            let pen_x = x - ax;
            let ix = pen_x.floor();
            let base = (y - ay).round() as i32;
            let mask = text_mask(text, style.size, pen_x - ix);
            let (ox, oy) = (ix as i32 + mask.left, base + mask.top);
            for v in 0..mask.height {
                for u in 0..mask.width {
                    let c = mask.coverage[v * mask.width + u];
                    if c > 0.0 {
                        self.blend_pixel(ox + u as i32, oy + v as i32, style.color, c);
                    }
                }
            }
            if mask.width == 0 {
                return line_box;
            }
            let ink = Rect::new(ox, oy, mask.width as u32, mask.height as u32);
            return union(line_box, ink);
        }
        self.draw_rotated(x, y, text, style, (ax, ay));
        // Resampling can spill half a pixel past the rotated line box.
        Rect::new(
            line_box.x - 1,
            line_box.y - 1,
            line_box.w + 2,
            line_box.h + 2,
        )
    }

    /// Rotated text: rasterise at twice the size, then resample each target pixel at 2x2
    /// points through the inverse rotation (bilinear), which keeps edges smooth.
    fn draw_rotated(&mut self, x: f32, y: f32, text: &str, style: &TextStyle, anchor: (f32, f32)) {
        const SS: f32 = 2.0;
        let mask = text_mask(text, style.size * SS, 0.0);
        if mask.width == 0 {
            return;
        }
        let (s, c) = style.angle.to_radians().sin_cos();
        let to_device = |lx: f32, ly: f32| {
            let (dx, dy) = (lx - anchor.0, ly - anchor.1);
            (x + c * dx - s * dy, y + s * dx + c * dy)
        };
        let (l, t) = (mask.left as f32 / SS, mask.top as f32 / SS);
        let (r, b) = (l + mask.width as f32 / SS, t + mask.height as f32 / SS);
        let mut bb = [f32::MAX, f32::MAX, f32::MIN, f32::MIN];
        for (lx, ly) in [(l, t), (r, t), (l, b), (r, b)] {
            let (px, py) = to_device(lx, ly);
            bb = [bb[0].min(px), bb[1].min(py), bb[2].max(px), bb[3].max(py)];
        }
        let area = Rect::covering(bb[0] - 1.0, bb[1] - 1.0, bb[2] + 1.0, bb[3] + 1.0);
        let (mw, mh) = (mask.width as i32, mask.height as i32);
        let sample = |u: f32, v: f32| -> f32 {
            // Outside the mask (with a one-pixel apron for interpolation) there is no ink.
            if u <= -1.0 || v <= -1.0 || u >= mw as f32 || v >= mh as f32 {
                return 0.0;
            }
            // u, v > -1 here, so truncating u + 1 floors it without a libm call.
            let (i0, j0) = ((u + 1.0) as i32 - 1, (v + 1.0) as i32 - 1);
            let (fu, fv) = (u - i0 as f32, v - j0 as f32);
            let at = |i: i32, j: i32| -> f32 {
                if i < 0 || j < 0 || i >= mw || j >= mh {
                    0.0
                } else {
                    mask.coverage[(j * mw + i) as usize]
                }
            };
            let top = at(i0, j0) * (1.0 - fu) + at(i0 + 1, j0) * fu;
            let bottom = at(i0, j0 + 1) * (1.0 - fu) + at(i0 + 1, j0 + 1) * fu;
            top * (1.0 - fv) + bottom * fv
        };
        for py in area.y..area.bottom() {
            for px in area.x..area.right() {
                let mut acc = 0.0;
                for (sx, sy) in [(0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75)] {
                    let (dx, dy) = (px as f32 + sx - x, py as f32 + sy - y);
                    let lx = c * dx + s * dy + anchor.0;
                    let ly = -s * dx + c * dy + anchor.1;
                    // Mask pixel centres sit at half-integers.
                    acc += sample(
                        lx * SS - mask.left as f32 - 0.5,
                        ly * SS - mask.top as f32 - 0.5,
                    );
                }
                let cov = acc / 4.0;
                if cov > 1.0 / 512.0 {
                    self.blend_pixel(px, py, style.color, cov);
                }
            }
        }
    }

    /// Draws `base` followed by a smaller, lowered `sub` (as in x₇₈₄), upright, anchored
    /// as one piece.
    pub(crate) fn draw_text_sub(
        &mut self,
        x: f32,
        y: f32,
        base: &str,
        sub: &str,
        style: &TextStyle,
    ) {
        let (m, base_w) = subscript_layout(base, sub, style.size);
        let (ax, ay) = anchor_offset(&m, style.anchor);
        let (px, py) = (x - ax, y - ay);
        let upright = TextStyle {
            anchor: Anchor::new(HAlign::Left, VAlign::Baseline),
            angle: 0.0,
            ..*style
        };
        self.draw_text(px, py, base, &upright);
        let sub_style = TextStyle {
            size: style.size * SUB_SCALE,
            ..upright
        };
        self.draw_text(px + base_w, py + style.size * SUB_DROP, sub, &sub_style);
    }
}

fn union(a: Rect, b: Rect) -> Rect {
    let (x0, y0) = (a.x.min(b.x), a.y.min(b.y));
    let (x1, y1) = (a.right().max(b.right()), a.bottom().max(b.bottom()));
    Rect::new(x0, y0, (x1 - x0) as u32, (y1 - y0) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bounding box of the non-white pixels.
    fn ink_box(r: &Raster) -> Option<Rect> {
        let mut b: Option<Rect> = None;
        for y in 0..r.height() {
            for x in 0..r.width() {
                if r.pixel(x, y) != Rgb::WHITE {
                    let p = Rect::new(x as i32, y as i32, 1, 1);
                    b = Some(b.map_or(p, |q| union(q, p)));
                }
            }
        }
        b
    }

    fn inside(inner: Rect, outer: Rect) -> bool {
        inner.x >= outer.x
            && inner.y >= outer.y
            && inner.right() <= outer.right()
            && inner.bottom() <= outer.bottom()
    }

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

    fn check_anchor(anchor: Anchor, expect_centre: (f32, f32)) {
        let mut r = Raster::new(200, 80, Rgb::WHITE);
        let style = TextStyle::new(16.0, Rgb::BLACK).anchored(anchor);
        let drawn = r.draw_text(100.0, 40.0, "Hanoi", &style);
        let ink = ink_box(&r).expect("text drew something");
        assert!(inside(ink, drawn), "ink {ink:?} outside {drawn:?}");
        let centre = (
            (ink.x + ink.right()) as f32 / 2.0,
            (ink.y + ink.bottom()) as f32 / 2.0,
        );
        let w = measure_text("Hanoi", 16.0).width;
        let want = (100.0 + expect_centre.0 * w, 40.0 + expect_centre.1 * 16.0);
        assert!(
            (centre.0 - want.0).abs() < 3.0 && (centre.1 - want.1).abs() < 6.0,
            "{anchor:?}: ink centre {centre:?}, expected about {want:?}"
        );
    }

    #[test]
    fn anchors_place_the_text() {
        // Expected ink centres relative to the anchor, in text widths (x) and em sizes (y);
        // capitals sit about 0.36 em above the baseline.
        check_anchor(Anchor::CENTER, (0.0, -0.05));
        check_anchor(Anchor::TOP_LEFT, (0.5, 0.55));
        check_anchor(Anchor::BOTTOM_RIGHT, (-0.5, -0.6));
        check_anchor(Anchor::new(HAlign::Left, VAlign::Baseline), (0.5, -0.36));
    }

    #[test]
    fn rotated_text_stays_in_its_box() {
        for angle in [-90.0, -45.0, 30.0] {
            let mut r = Raster::new(160, 160, Rgb::WHITE);
            let style = TextStyle::new(14.0, Rgb::BLACK)
                .anchored(Anchor::CENTER)
                .rotated(angle);
            let drawn = r.draw_text(80.0, 80.0, "predicted 7", &style);
            let ink = ink_box(&r).expect("text drew something");
            assert!(inside(ink, drawn), "{angle}: ink {ink:?} outside {drawn:?}");
            assert!(ink.w > 10 && ink.h > 10, "{angle}: {ink:?}");
        }
        // -90 degrees: a vertical label, taller than wide.
        let mut r = Raster::new(60, 160, Rgb::WHITE);
        let style = TextStyle::new(14.0, Rgb::BLACK)
            .anchored(Anchor::CENTER)
            .rotated(-90.0);
        r.draw_text(30.0, 80.0, "actual", &style);
        let ink = ink_box(&r).unwrap();
        assert!(ink.h > 2 * ink.w, "{ink:?}");
    }

    #[test]
    fn drawing_is_deterministic_and_cached_glyphs_match() {
        let draw = || {
            let mut r = Raster::new(120, 30, Rgb::WHITE);
            r.draw_text(3.3, 4.0, "pixel 784 ⋮ ∘", &TextStyle::new(13.0, Rgb::BLACK));
            r
        };
        // The second call uses cached bitmaps; another thread starts with an empty cache.
        let first = draw();
        assert_eq!(first, draw());
        assert_eq!(first, std::thread::spawn(draw).join().unwrap());
    }

    #[test]
    fn subscripts_sit_right_and_below() {
        let mut r = Raster::new(80, 40, Rgb::WHITE);
        let style = TextStyle::new(20.0, Rgb::BLACK).anchored(Anchor::LEFT);
        r.draw_text_sub(5.0, 20.0, "x", "784", &style);
        let ink = ink_box(&r).unwrap();
        let (m, base_w) = subscript_layout("x", "784", 20.0);
        assert!(ink.right() as f32 > 5.0 + base_w + 5.0, "{ink:?}");
        assert!(ink.right() as f32 <= 5.0 + m.width + 2.0, "{ink:?}");
    }
}
