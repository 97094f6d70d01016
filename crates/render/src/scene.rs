//! [`Drawing`]: a figure kept as a list of shapes, rendered to a [`Raster`] or to SVG from
//! the same list, so the PNG and the SVG of a diagram always agree.
//!
//! Every building block lays itself out in free coordinates, then [`Drawing::fit`] moves
//! the content so that it sits inside a margin; sizes therefore follow from the content
//! (long labels widen a figure instead of being clipped).

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

/// A figure as a list of shapes, renderable to PNG pixels and to SVG.
///
/// Produced by the diagram builders in [`crate::diagram`]; coordinates follow the
/// [`Raster`] conventions (origin top-left, y down, one unit per pixel).
#[derive(Clone, Debug)]
pub struct Drawing {
    width: u32,
    height: u32,
    background: Rgb,
    items: Vec<Item>,
}

impl Drawing {
    pub(crate) fn new(background: Rgb) -> Self {
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

    pub(crate) fn rect(&mut self, rect: Rect, fill: Option<Rgb>, stroke: Option<(Rgb, u32)>) {
        self.push(Item::Rect { rect, fill, stroke });
    }

    pub(crate) fn line(&mut self, a: (f32, f32), b: (f32, f32), stroke: Stroke) {
        self.push(Item::Line { a, b, stroke });
    }

    pub(crate) fn polyline(&mut self, points: Vec<(f32, f32)>, stroke: Stroke) {
        self.push(Item::Polyline { points, stroke });
    }

    pub(crate) fn circle(
        &mut self,
        c: (f32, f32),
        r: f32,
        fill: Option<Rgb>,
        stroke: Option<Stroke>,
    ) {
        self.push(Item::Circle { c, r, fill, stroke });
    }

    pub(crate) fn text(&mut self, at: (f32, f32), text: impl Into<String>, style: TextStyle) {
        self.push(Item::Text {
            at,
            text: text.into(),
            sub: None,
            style,
        });
    }

    pub(crate) fn text_sub(
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

    pub(crate) fn pixels(&mut self, x: i32, y: i32, cell: u32, image: Raster, grid: Option<Rgb>) {
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
    pub(crate) fn fit(mut self, margin: u32) -> Self {
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

    /// Adds `other`'s shapes moved by `(dx, dy)`.
    pub(crate) fn append(&mut self, other: Drawing, dx: i32, dy: i32) {
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

    /// The figure as pixels.
    pub fn to_raster(&self) -> Raster {
        let mut r = Raster::new(self.width, self.height, self.background);
        for it in &self.items {
            match it {
                Item::Rect { rect, fill, stroke } => {
                    if let Some(f) = fill {
                        r.fill_rect(rect.x, rect.y, rect.w, rect.h, *f);
                    }
                    if let Some((c, t)) = stroke {
                        r.stroke_rect(rect.x, rect.y, rect.w, rect.h, *t, *c);
                    }
                }
                Item::Line { a, b, stroke } => r.line(*a, *b, *stroke),
                Item::Polyline { points, stroke } => r.polyline(points, *stroke),
                Item::Circle {
                    c,
                    r: rad,
                    fill,
                    stroke,
                } => r.circle(*c, *rad, *fill, *stroke),
                Item::Text {
                    at,
                    text,
                    sub,
                    style,
                } => match sub {
                    Some(s) => r.draw_text_sub(at.0, at.1, text, s, style),
                    None => {
                        r.draw_text(at.0, at.1, text, style);
                    }
                },
                Item::Pixels {
                    x,
                    y,
                    cell,
                    image,
                    grid,
                } => {
                    r.blit_scaled(image, *x, *y, *cell);
                    if let Some(g) = grid {
                        draw_pixel_grid(&mut r, *x, *y, *cell, image, *g);
                    }
                }
            }
        }
        r
    }

    /// The figure as an SVG document (see [`crate::svg`] for the conventions).
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

/// One-pixel lines on the first column and row of every enlarged pixel, plus the far
/// border, matching [`Svg::pixels`].
fn draw_pixel_grid(r: &mut Raster, x: i32, y: i32, cell: u32, image: &Raster, g: Rgb) {
    let (w, h) = (image.width() * cell, image.height() * cell);
    for i in 0..=image.width() {
        let gx = x + (i * cell).min(w - 1) as i32;
        r.fill_rect(gx, y, 1, h, g);
    }
    for j in 0..=image.height() {
        let gy = y + (j * cell).min(h - 1) as i32;
        r.fill_rect(x, gy, w, 1, g);
    }
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
}
