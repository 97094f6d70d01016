//! [`Drawing`]: a figure kept as a list of shapes, written out as one SVG document; its
//! PNG is that document rasterised by resvg, so the PNG and the SVG always agree.
//!
//! Every building block lays itself out in free coordinates, then [`Drawing::fit`] moves
//! the content so that it sits inside a margin; sizes therefore follow from the content
//! (long labels widen a figure instead of being clipped).

use std::sync::OnceLock;

use resvg::{tiny_skia, usvg};

use crate::color::Rgb;
use crate::raster::{Raster, Rect, Stroke};
use crate::svg::Svg;
use crate::text::{self, TextStyle};

#[derive(Clone, Debug)]
pub(crate) enum Item {
    Rect {
        rect: Rect,
        fill: Option<Rgb>,
        stroke: Option<(Rgb, u32)>,
    },
    Line {
        a: (f32, f32),
        b: (f32, f32),
        stroke: Stroke,
    },
    Polyline {
        points: Vec<(f32, f32)>,
        stroke: Stroke,
    },
    Circle {
        c: (f32, f32),
        r: f32,
        fill: Option<Rgb>,
        stroke: Option<Stroke>,
    },
    Text {
        at: (f32, f32),
        text: String,
        sub: Option<String>,
        style: TextStyle,
    },
    Pixels {
        x: i32,
        y: i32,
        cell: u32,
        image: Raster,
        grid: Option<Rgb>,
    },
}

impl Item {
    fn bounds(&self) -> [f32; 4] {
        match self {
            Item::Rect { rect, .. } => [
                rect.x as f32,
                rect.y as f32,
                rect.right() as f32,
                rect.bottom() as f32,
            ],
            Item::Line { a, b, stroke } => {
                let h = stroke.width.max(1.0) / 2.0;
                [
                    a.0.min(b.0) - h,
                    a.1.min(b.1) - h,
                    a.0.max(b.0) + h,
                    a.1.max(b.1) + h,
                ]
            }
            Item::Polyline { points, stroke } => {
                let h = stroke.width.max(1.0) / 2.0;
                points.iter().fold(EMPTY, |b, &(x, y)| {
                    [
                        b[0].min(x - h),
                        b[1].min(y - h),
                        b[2].max(x + h),
                        b[3].max(y + h),
                    ]
                })
            }
            Item::Circle { c, r, stroke, .. } => {
                let h = r + stroke.map_or(0.0, |s| s.width.max(1.0) / 2.0);
                [c.0 - h, c.1 - h, c.0 + h, c.1 + h]
            }
            Item::Text {
                at,
                text,
                sub,
                style,
            } => match sub {
                Some(s) => text::subscript_bounds(text, s, *at, style),
                None => text::text_bounds(text, *at, style),
            },
            Item::Pixels {
                x, y, cell, image, ..
            } => [
                *x as f32,
                *y as f32,
                (*x + (image.width() * cell) as i32) as f32,
                (*y + (image.height() * cell) as i32) as f32,
            ],
        }
    }

    fn translate(&mut self, dx: i32, dy: i32) {
        let (fx, fy) = (dx as f32, dy as f32);
        let mv = |p: &mut (f32, f32)| {
            p.0 += fx;
            p.1 += fy;
        };
        match self {
            Item::Rect { rect, .. } => {
                rect.x += dx;
                rect.y += dy;
            }
            Item::Line { a, b, .. } => {
                mv(a);
                mv(b);
            }
            Item::Polyline { points, .. } => points.iter_mut().for_each(mv),
            Item::Circle { c, .. } => mv(c),
            Item::Text { at, .. } => mv(at),
            Item::Pixels { x, y, .. } => {
                *x += dx;
                *y += dy;
            }
        }
    }
}

const EMPTY: [f32; 4] = [f32::MAX, f32::MAX, f32::MIN, f32::MIN];

/// A figure as a list of shapes: an SVG document ([`Drawing::to_svg`]) and the same
/// document rasterised by resvg at one pixel per unit ([`Drawing::to_raster`],
/// [`Drawing::encode_png`]).
///
/// Every building block of the crate returns one; build your own with [`Drawing::new`], the
/// shape methods and [`Drawing::fit`]. Coordinates: origin top-left, y down, one unit per
/// pixel, pixel `(i, j)` covering `[i, i + 1) x [j, j + 1)`, so whole-pixel rectangles come
/// out crisp.
#[derive(Clone, Debug)]
pub struct Drawing {
    width: u32,
    height: u32,
    background: Rgb,
    items: Vec<Item>,
}

impl Drawing {
    /// An empty drawing on `background`, to be filled with shapes and then [`fit`] to its
    /// content.
    ///
    /// [`fit`]: Drawing::fit
    pub fn new(background: Rgb) -> Self {
        Drawing {
            width: 1,
            height: 1,
            background,
            items: Vec::new(),
        }
    }

    /// Width of the rendered figure in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height of the rendered figure in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    pub(crate) fn push(&mut self, item: Item) {
        self.items.push(item);
    }

    /// A rectangle of whole pixels, filled and/or framed (the frame `(colour, thickness)`
    /// lies inside the rectangle).
    pub fn rect(&mut self, rect: Rect, fill: Option<Rgb>, stroke: Option<(Rgb, u32)>) {
        self.push(Item::Rect { rect, fill, stroke });
    }

    /// A straight line with round ends.
    pub fn line(&mut self, a: (f32, f32), b: (f32, f32), stroke: Stroke) {
        self.push(Item::Line { a, b, stroke });
    }

    /// An open polyline with round joins and ends.
    pub fn polyline(&mut self, points: Vec<(f32, f32)>, stroke: Stroke) {
        self.push(Item::Polyline { points, stroke });
    }

    /// A circle, filled and/or outlined.
    pub fn circle(&mut self, c: (f32, f32), r: f32, fill: Option<Rgb>, stroke: Option<Stroke>) {
        self.push(Item::Circle { c, r, fill, stroke });
    }

    /// One line of `text` with its [`TextStyle::anchor`] at `at`.
    pub fn text(&mut self, at: (f32, f32), text: impl Into<String>, style: TextStyle) {
        self.push(Item::Text {
            at,
            text: text.into(),
            sub: None,
            style,
        });
    }

    /// `text` with a lowered, smaller subscript `sub` (x₇₈₄), upright, placed as one piece.
    pub fn text_sub(
        &mut self,
        at: (f32, f32),
        text: impl Into<String>,
        sub: impl Into<String>,
        style: TextStyle,
    ) {
        self.push(Item::Text {
            at,
            text: text.into(),
            sub: Some(sub.into()),
            style,
        });
    }

    /// `image` enlarged `cell` times without smoothing, top-left at `(x, y)`, with optional
    /// 1-pixel grid lines between its pixels.
    pub fn pixels(&mut self, x: i32, y: i32, cell: u32, image: Raster, grid: Option<Rgb>) {
        self.push(Item::Pixels {
            x,
            y,
            cell,
            image,
            grid,
        });
    }

    /// Continuous bounds `[x0, y0, x1, y1]` of everything drawn so far.
    pub(crate) fn bounds(&self) -> [f32; 4] {
        self.items.iter().map(Item::bounds).fold(EMPTY, |a, b| {
            [
                a[0].min(b[0]),
                a[1].min(b[1]),
                a[2].max(b[2]),
                a[3].max(b[3]),
            ]
        })
    }

    /// Moves the content by whole pixels (so pixel images stay crisp) to sit `margin`
    /// pixels from the top-left, and sizes the figure to keep the same margin on the right
    /// and bottom.
    pub fn fit(mut self, margin: u32) -> Self {
        if self.items.is_empty() {
            self.width = 1 + 2 * margin;
            self.height = 1 + 2 * margin;
            return self;
        }
        let b = self.bounds();
        let dx = margin as i32 - b[0].floor() as i32;
        let dy = margin as i32 - b[1].floor() as i32;
        for it in &mut self.items {
            it.translate(dx, dy);
        }
        self.width = ((b[2] + dx as f32).ceil() as i32 + margin as i32).max(1) as u32;
        self.height = ((b[3] + dy as f32).ceil() as i32 + margin as i32).max(1) as u32;
        self
    }

    /// An empty drawing of a fixed `width x height` (each at least 1) on `background`, for
    /// shapes placed in absolute coordinates; whatever falls outside is clipped.
    pub fn canvas(width: u32, height: u32, background: Rgb) -> Self {
        Drawing::new(background).sized(width, height)
    }

    /// A drawing of just `image` enlarged `scale` times (0 counts as 1) without smoothing,
    /// exactly its size: a picture to stack beside other blocks.
    pub fn image(image: &Raster, scale: u32) -> Self {
        let k = scale.max(1);
        let mut d = Drawing::new(Rgb::WHITE);
        d.pixels(0, 0, k, image.clone(), None);
        d.width = image.width() * k;
        d.height = image.height() * k;
        d
    }

    /// The same figure with `margin` pixels of `background` added on every side.
    pub fn padded(self, margin: u32, background: Rgb) -> Self {
        let mut out = Drawing::new(background);
        out.width = self.width + 2 * margin;
        out.height = self.height + 2 * margin;
        out.place(self, margin as i32, margin as i32);
        out
    }

    /// Adds `other` as a block with its top-left corner at `(x, y)`: its background as a
    /// rectangle of its size, then its shapes.
    pub fn place(&mut self, other: Drawing, x: i32, y: i32) {
        let (w, h, bg) = (other.width, other.height, other.background);
        self.rect(Rect::new(x, y, w, h), Some(bg), None);
        self.append(other, x, y);
    }

    /// Sets the figure size explicitly, for blocks laid out by hand rather than
    /// [`Drawing::fit`].
    pub(crate) fn sized(mut self, width: u32, height: u32) -> Self {
        self.width = width.max(1);
        self.height = height.max(1);
        self
    }

    /// Adds `other`'s shapes moved by `(dx, dy)` (its background is dropped).
    pub fn append(&mut self, other: Drawing, dx: i32, dy: i32) {
        for mut it in other.items {
            it.translate(dx, dy);
            self.items.push(it);
        }
    }

    /// Bounds of the first text item reading `needle`, for tests that look for a label.
    #[cfg(test)]
    pub(crate) fn text_bounds(&self, needle: &str) -> Option<[f32; 4]> {
        self.items.iter().find_map(|it| match it {
            Item::Text { text, .. } if text == needle => Some(it.bounds()),
            _ => None,
        })
    }

    /// The figure as pixels: [`Drawing::to_svg`] rasterised by resvg at one pixel per unit.
    pub fn to_raster(&self) -> Raster {
        rasterise(&self.to_svg(), self.width, self.height)
    }

    /// The figure as a PNG (8-bit RGB): [`Drawing::to_raster`] encoded with fixed settings,
    /// so the same figure always gives the same bytes.
    pub fn encode_png(&self) -> Vec<u8> {
        self.to_raster().encode_png()
    }

    /// The figure as an SVG document: `viewBox` and size are the figure's pixels, text in
    /// DejaVu Sans (with look-alike fallbacks for other viewers), pixel images embedded as
    /// PNGs scaled without smoothing.
    pub fn to_svg(&self) -> String {
        let mut s = Svg::new(self.width, self.height, self.background);
        for it in &self.items {
            match it {
                Item::Rect { rect, fill, stroke } => s.rect(*rect, *fill, *stroke),
                Item::Line { a, b, stroke } => s.line(*a, *b, *stroke),
                Item::Polyline { points, stroke } => s.polyline(points, *stroke),
                Item::Circle { c, r, fill, stroke } => s.circle(*c, *r, *fill, *stroke),
                Item::Text {
                    at,
                    text,
                    sub,
                    style,
                } => match sub {
                    Some(sb) => s.text_sub(at.0, at.1, text, sb, style),
                    None => s.text(at.0, at.1, text, style),
                },
                Item::Pixels {
                    x,
                    y,
                    cell,
                    image,
                    grid,
                } => s.pixels(*x, *y, *cell, image, *grid),
            }
        }
        s.finish()
    }
}

/// usvg's options: the bundled fonts only, and images only from `data:` URLs (a figure's
/// own), so rasterising never reads a file or a system font.
fn options() -> &'static usvg::Options<'static> {
    static OPTIONS: OnceLock<usvg::Options<'static>> = OnceLock::new();
    OPTIONS.get_or_init(|| usvg::Options {
        font_family: text::default_family().to_string(),
        fontdb: text::font_database(),
        image_href_resolver: usvg::ImageHrefResolver {
            resolve_data: usvg::ImageHrefResolver::default_data_resolver(),
            resolve_string: Box::new(|_, _| None),
        },
        ..usvg::Options::default()
    })
}

/// Rasterises one of our own SVG documents at one pixel per unit.
fn rasterise(svg: &str, width: u32, height: u32) -> Raster {
    // The document is ours and well-formed; failing to parse it is a bug here.
    let tree = usvg::Tree::from_str(svg, options()).expect("a figure's SVG parses");
    let mut pixmap = tiny_skia::Pixmap::new(width, height).expect("a figure is at least 1x1");
    resvg::render(
        &tree,
        tiny_skia::Transform::identity(),
        &mut pixmap.as_mut(),
    );
    // The background rectangle covers every pixel opaquely, so premultiplied RGBA is plain
    // RGB with alpha 255.
    let rgb: Vec<u8> = pixmap
        .data()
        .chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect();
    Raster::from_rgb_bytes(width, height, rgb)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::svg::tags_balanced;
    use crate::text::Anchor;

    #[test]
    fn fit_adds_margins_and_both_outputs_agree_on_size() {
        let mut d = Drawing::new(Rgb::WHITE);
        d.rect(Rect::new(-20, 5, 10, 10), Some(Rgb::BLACK), None);
        d.circle((30.0, 30.0), 5.0, None, Some(Stroke::new(Rgb::BLACK, 1.0)));
        let d = d.fit(4);
        // Content spans x -20..35.5 and y 5..35.5: 56 x 31 whole pixels plus 4 on each side.
        assert_eq!((d.width(), d.height()), (64, 39));
        let r = d.to_raster();
        assert_eq!((r.width(), r.height()), (64, 39));
        assert_eq!(r.pixel(4, 4), Rgb::BLACK);
        assert_eq!(r.pixel(3, 4), Rgb::WHITE);
        let svg = d.to_svg();
        assert!(svg.starts_with("<svg") && svg.contains(r#"viewBox="0 0 64 39""#));
        assert!(tags_balanced(&svg));
    }

    #[test]
    fn pixel_grids_match_the_image() {
        let img = Raster::from_gray_u8(&[0, 255, 255, 0], 2, 2);
        let mut d = Drawing::new(Rgb::WHITE);
        d.pixels(0, 0, 4, img, Some(Rgb::gray(100)));
        d.text(
            (0.0, 10.0),
            "x",
            TextStyle::new(10.0, Rgb::BLACK).anchored(Anchor::TOP_LEFT),
        );
        let r = d.fit(0).to_raster();
        assert_eq!(r.pixel(0, 0), Rgb::gray(100)); // grid line
        assert_eq!(r.pixel(1, 1), Rgb::BLACK); // image pixel (0, 0)
        assert_eq!(r.pixel(5, 1), Rgb::WHITE); // image pixel (1, 0)
        assert_eq!(r.pixel(7, 2), Rgb::gray(100)); // far border
    }

    /// The ink box `[x0, y0, x1, y1)` of everything darker than mid-gray.
    fn ink_box(r: &Raster) -> [u32; 4] {
        let mut b = [u32::MAX, u32::MAX, 0, 0];
        for y in 0..r.height() {
            for x in 0..r.width() {
                if r.pixel(x, y).luminance() < 0.5 {
                    b = [b[0].min(x), b[1].min(y), b[2].max(x + 1), b[3].max(y + 1)];
                }
            }
        }
        b
    }

    #[test]
    fn every_anchor_puts_the_text_where_it_says() {
        use crate::text::{HAlign, VAlign, measure_text};
        // "H" is symmetric and sits on the baseline with flat top and bottom, so its ink
        // box says exactly where usvg put the line: centred in its advance horizontally,
        // bottom on the baseline. At 16 px the anchors differ by 6 to 19 px; the tolerance
        // is 1 px (one pixel of anti-aliasing).
        let (size, at) = (16.0, (60.0, 50.0));
        let m = measure_text("HH", size);
        for h in [HAlign::Left, HAlign::Center, HAlign::Right] {
            for v in [
                VAlign::Top,
                VAlign::Middle,
                VAlign::Baseline,
                VAlign::Bottom,
            ] {
                let mut d = Drawing::canvas(120, 100, Rgb::WHITE);
                let style = TextStyle::new(size, Rgb::BLACK).anchored(Anchor::new(h, v));
                d.text(at, "HH", style);
                let ink = ink_box(&d.to_raster());
                let centre = (ink[0] + ink[2]) as f32 / 2.0;
                let want_centre = match h {
                    HAlign::Left => at.0 + m.width / 2.0,
                    HAlign::Center => at.0,
                    HAlign::Right => at.0 - m.width / 2.0,
                };
                let baseline = match v {
                    VAlign::Top => at.1 + m.ascent,
                    VAlign::Middle => at.1 + (m.ascent - m.descent) / 2.0,
                    VAlign::Baseline => at.1,
                    VAlign::Bottom => at.1 - m.descent,
                };
                assert!(
                    (centre - want_centre).abs() <= 1.0,
                    "{h:?}/{v:?}: ink centred at x = {centre}, want {want_centre}"
                );
                assert!(
                    (ink[3] as f32 - baseline).abs() <= 1.0,
                    "{h:?}/{v:?}: ink ends at y = {}, want the baseline {baseline}",
                    ink[3]
                );
            }
        }
    }

    /// FNV-1a over the bytes: a fixed, dependency-free fingerprint.
    fn fnv(bytes: &[u8]) -> u64 {
        bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
    }

    fn sample_figure() -> Drawing {
        let mut d = Drawing::new(Rgb::WHITE);
        let img = Raster::from_gray_u8(&(0..=255).step_by(4).collect::<Vec<u8>>(), 8, 8);
        d.pixels(0, 0, 3, img, Some(Rgb::gray(90)));
        d.circle(
            (40.0, 12.0),
            9.5,
            Some(Rgb::gray(240)),
            Some(Stroke::new(Rgb::BLACK, 1.2)),
        );
        d.polyline(
            vec![(55.0, 2.0), (60.0, 12.0), (55.0, 22.0)],
            Stroke::new(Rgb::BLACK, 1.5),
        );
        d.text(
            (0.0, 30.0),
            "pixel 784 → z",
            TextStyle::new(13.0, Rgb::BLACK),
        );
        d.text_sub((70.0, 30.0), "w", "28", TextStyle::new(13.0, Rgb::BLACK));
        d.fit(4)
    }

    #[test]
    fn same_figure_same_bytes_on_every_thread() {
        let one = sample_figure().encode_png();
        let others: Vec<Vec<u8>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|_| s.spawn(|| sample_figure().encode_png()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for o in &others {
            assert!(o == &one, "a thread rendered different bytes");
        }
    }

    #[test]
    fn same_figure_same_bytes_across_runs() {
        // A pinned fingerprint: it changes if rendering starts to depend on the machine
        // (system fonts, environment), or when resvg or the font is upgraded, in which case
        // look at the figures and update it.
        let png = sample_figure().encode_png();
        assert_eq!(
            fnv(&png),
            8_018_729_199_492_653_842,
            "PNG fingerprint changed"
        );
    }

    #[test]
    fn measured_width_matches_the_shaped_text() {
        // Layout measures with the font's advances; usvg shapes the text. They must agree
        // to a pixel or two, or labels would overlap their neighbours.
        for text in [
            "pixel 784",
            "automobile",
            "predicted 7",
            "AVAWAY",
            "예측 7",
            "재현율",
            "필터 10",
        ] {
            let mut d = Drawing::canvas(300, 40, Rgb::WHITE);
            d.text((10.0, 10.0), text, TextStyle::new(16.0, Rgb::BLACK));
            let ink = ink_box(&d.to_raster());
            let w = crate::text::measure_text(text, 16.0).width;
            let inked = (ink[2] - ink[0]) as f32;
            // Ink is narrower than the advance by the side bearings (under 2 px here).
            assert!(
                inked <= w + 1.0 && inked >= w - 4.0,
                "{text}: ink {inked} px, measured {w}"
            );
        }
    }

    #[test]
    fn a_korean_label_is_drawn() {
        // Ink where each syllable is: drawn from the Hangul font, not blank and not one
        // box per syllable from a font that lacks them (a box has an empty middle).
        let text = "비행기 자동차";
        let mut d = Drawing::canvas(200, 40, Rgb::WHITE);
        d.text((10.0, 8.0), text, TextStyle::new(20.0, Rgb::BLACK));
        let r = d.to_raster();
        let dark = (0..r.height())
            .flat_map(|y| (0..r.width()).map(move |x| (x, y)))
            .filter(|&(x, y)| r.pixel(x, y).luminance() < 0.5)
            .count();
        assert!(dark > 150, "{dark} dark pixels");
        let ink = ink_box(&r);
        let w = crate::text::measure_text(text, 20.0).width;
        assert!((ink[2] - ink[0]) as f32 > w - 6.0, "{ink:?} against {w}");
        // The same label in DejaVu alone would be notdef boxes: the first syllable's middle
        // column has ink in the Hangul font (비's vertical strokes cross its centre line).
        assert_eq!(crate::text::missing_glyphs(text), Vec::<char>::new());
    }

    #[test]
    fn rotated_text_stays_in_its_box() {
        for angle in [-90.0, -45.0, 30.0] {
            let mut d = Drawing::canvas(160, 160, Rgb::WHITE);
            let style = TextStyle::new(14.0, Rgb::BLACK)
                .anchored(Anchor::CENTER)
                .rotated(angle);
            d.text((80.0, 80.0), "predicted 7", style);
            let b = crate::text::text_bounds("predicted 7", (80.0, 80.0), &style);
            let ink = ink_box(&d.to_raster());
            assert!(
                ink[0] as f32 >= b[0].floor()
                    && ink[1] as f32 >= b[1].floor()
                    && ink[2] as f32 <= b[2].ceil()
                    && ink[3] as f32 <= b[3].ceil(),
                "{angle}: ink {ink:?} outside {b:?}"
            );
            assert!(
                ink[2] - ink[0] > 10 && ink[3] - ink[1] > 10,
                "{angle}: {ink:?}"
            );
        }
        // -90 degrees: a vertical label, taller than wide.
        let mut d = Drawing::canvas(60, 160, Rgb::WHITE);
        let style = TextStyle::new(14.0, Rgb::BLACK)
            .anchored(Anchor::CENTER)
            .rotated(-90.0);
        d.text((30.0, 80.0), "actual", style);
        let ink = ink_box(&d.to_raster());
        assert!(ink[3] - ink[1] > 2 * (ink[2] - ink[0]), "{ink:?}");
    }

    #[test]
    fn subscripts_sit_right_and_below() {
        let mut d = Drawing::canvas(80, 40, Rgb::WHITE);
        let style = TextStyle::new(20.0, Rgb::BLACK).anchored(Anchor::LEFT);
        d.text_sub((5.0, 20.0), "x", "784", style);
        let r = d.to_raster();
        let ink = ink_box(&r);
        let (m, base_w) = crate::text::subscript_layout("x", "784", 20.0);
        assert!(ink[2] as f32 > 5.0 + base_w + 5.0, "{ink:?}");
        assert!(ink[2] as f32 <= 5.0 + m.width + 2.0, "{ink:?}");
        // The subscript reaches below the baseline of "x", which is where "x" ends.
        let x_bottom = (0..r.height())
            .rev()
            .find(|&y| (5..5 + base_w as u32).any(|x| r.pixel(x, y).luminance() < 0.5))
            .unwrap();
        assert!(ink[3] > x_bottom + 3, "{ink:?}, x ends at {x_bottom}");
    }
}
