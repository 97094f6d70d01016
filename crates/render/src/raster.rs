//! [`Raster`]: an RGB8 canvas with the drawing primitives every figure is built from, the
//! constructors that turn pixel data into pictures, and PNG output.

use std::fmt;
use std::path::Path;

use crate::color::{self, Rgb};
use crate::error::{RenderError, write_atomic};

/// How a line or an outline is drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stroke {
    /// Colour of the line.
    pub color: Rgb,
    /// Width in pixels. Widths below 1 are drawn 1 pixel wide and proportionally fainter.
    pub width: f32,
    /// Opacity in `[0, 1]`; overlapping strokes darken, as ink would.
    pub opacity: f32,
}

impl Stroke {
    /// An opaque stroke.
    pub const fn new(color: Rgb, width: f32) -> Self {
        Stroke {
            color,
            width,
            opacity: 1.0,
        }
    }

    /// The same stroke with another opacity.
    pub const fn with_opacity(self, opacity: f32) -> Self {
        Stroke { opacity, ..self }
    }

    /// Half the drawn width and the alpha of a fully covered pixel.
    fn profile(&self) -> (f32, f32) {
        let w = self.width.max(0.0);
        (w.max(1.0) / 2.0, self.opacity.clamp(0.0, 1.0) * w.min(1.0))
    }
}

/// An axis-aligned rectangle of whole pixels: `x..x + w` by `y..y + h`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rect {
    /// Left edge (first column inside).
    pub x: i32,
    /// Top edge (first row inside).
    pub y: i32,
    /// Width in pixels.
    pub w: u32,
    /// Height in pixels.
    pub h: u32,
}

impl Rect {
    /// A rectangle from its left, top, width and height.
    pub const fn new(x: i32, y: i32, w: u32, h: u32) -> Self {
        Rect { x, y, w, h }
    }

    /// One past the last column.
    pub fn right(&self) -> i32 {
        self.x + self.w as i32
    }

    /// One past the last row.
    pub fn bottom(&self) -> i32 {
        self.y + self.h as i32
    }

    /// Whether the pixel `(x, y)` lies inside.
    pub fn contains(&self, x: i32, y: i32) -> bool {
        x >= self.x && x < self.right() && y >= self.y && y < self.bottom()
    }

    /// The smallest rectangle of whole pixels covering the continuous box
    /// `[x0, x1] x [y0, y1]`.
    pub(crate) fn covering(x0: f32, y0: f32, x1: f32, y1: f32) -> Self {
        let (l, t) = (x0.floor() as i32, y0.floor() as i32);
        let (r, b) = (x1.ceil() as i32, y1.ceil() as i32);
        Rect::new(l, t, (r - l).max(0) as u32, (b - t).max(0) as u32)
    }
}

/// An RGB8 image: `width * height` pixels, row-major, three bytes per pixel.
///
/// Coordinates: `(0, 0)` is the top-left corner, x grows to the right and y downwards.
/// Pixel `(i, j)` covers the unit square `[i, i + 1) x [j, j + 1)`, so its centre is at
/// `(i + 0.5, j + 0.5)`. Integer-rectangle operations (`fill_rect`, `stroke_rect`, `blit`)
/// take whole pixels; anti-aliased shapes (`line`, `circle`, text) take continuous
/// coordinates. Everything drawn outside the canvas is clipped.
///
/// Both dimensions are at least 1, so every raster can be encoded as a PNG.
#[derive(Clone, PartialEq, Eq)]
pub struct Raster {
    width: u32,
    height: u32,
    data: Vec<u8>,
}

impl fmt::Debug for Raster {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The pixels would drown any assertion message.
        f.debug_struct("Raster")
            .field("width", &self.width)
            .field("height", &self.height)
            .finish_non_exhaustive()
    }
}

#[track_caller]
fn pixel_count(width: u32, height: u32) -> usize {
    assert!(
        width > 0 && height > 0,
        "raster dimensions must be at least 1x1, got {width}x{height}"
    );
    width as usize * height as usize
}

#[track_caller]
fn check_len(what: &str, len: usize, expected: usize, width: u32, height: u32) {
    assert!(
        len == expected,
        "{what}: {len} values given for a {width}x{height} image, expected {expected}"
    );
}

#[inline]
fn mix(d: u8, s: u8, a: f32) -> u8 {
    // The result lies in [0, 255], so adding 0.5 and truncating rounds (and avoids a
    // libm call per channel).
    (f32::from(d) + (f32::from(s) - f32::from(d)) * a + 0.5) as u8
}

/// A segment prepared for many distance queries.
struct Segment {
    a: (f32, f32),
    d: (f32, f32),
    inv_len2: f32,
}

impl Segment {
    fn new(a: (f32, f32), b: (f32, f32)) -> Self {
        let d = (b.0 - a.0, b.1 - a.1);
        let len2 = d.0 * d.0 + d.1 * d.1;
        Segment {
            a,
            d,
            inv_len2: if len2 > 0.0 { 1.0 / len2 } else { 0.0 },
        }
    }

    /// Squared distance from `p` to the segment.
    #[inline]
    fn distance2(&self, p: (f32, f32)) -> f32 {
        let (px, py) = (p.0 - self.a.0, p.1 - self.a.1);
        let t = ((px * self.d.0 + py * self.d.1) * self.inv_len2).clamp(0.0, 1.0);
        let (ex, ey) = (self.d.0 * t - px, self.d.1 * t - py);
        ex * ex + ey * ey
    }
}

/// Distance from `p` to the segment `a`–`b` (the tests' plain oracle for [`Segment`]).
#[cfg(test)]
fn segment_distance(p: (f32, f32), a: (f32, f32), b: (f32, f32)) -> f32 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (ex, ey) = (a.0 + t * dx - p.0, a.1 + t * dy - p.1);
    (ex * ex + ey * ey).sqrt()
}

impl Raster {
    /// A canvas filled with `background`.
    ///
    /// # Panics
    /// If `width` or `height` is 0.
    #[track_caller]
    pub fn new(width: u32, height: u32, background: Rgb) -> Self {
        let n = pixel_count(width, height);
        let data = [background.r, background.g, background.b].repeat(n);
        Raster {
            width,
            height,
            data,
        }
    }

    /// Wraps interleaved RGB bytes (`r, g, b, r, g, b, ...`, row-major).
    ///
    /// # Shapes
    /// `data.len() == 3 * width * height`.
    ///
    /// # Panics
    /// If the length does not match, or a dimension is 0.
    #[track_caller]
    pub fn from_rgb_bytes(width: u32, height: u32, data: Vec<u8>) -> Self {
        let n = pixel_count(width, height);
        check_len("Raster::from_rgb_bytes", data.len(), 3 * n, width, height);
        Raster {
            width,
            height,
            data,
        }
    }

    /// A grayscale picture of `values` (row-major), `lo` black and `hi` white, values outside
    /// clamped. Used for digits and weight templates: the brightest weight is white.
    ///
    /// # Shapes
    /// `values.len() == width * height`.
    ///
    /// # Panics
    /// If the length does not match, or a dimension is 0.
    #[track_caller]
    pub fn from_gray(values: &[f32], width: u32, height: u32, lo: f32, hi: f32) -> Self {
        let n = pixel_count(width, height);
        check_len("Raster::from_gray", values.len(), n, width, height);
        let data = values
            .iter()
            .flat_map(|&v| [color::gray_level(v, lo, hi); 3])
            .collect();
        Raster {
            width,
            height,
            data,
        }
    }

    /// A grayscale picture of 8-bit values (0 black, 255 white), e.g. an MNIST digit.
    ///
    /// # Shapes
    /// `values.len() == width * height`.
    ///
    /// # Panics
    /// If the length does not match, or a dimension is 0.
    #[track_caller]
    pub fn from_gray_u8(values: &[u8], width: u32, height: u32) -> Self {
        let n = pixel_count(width, height);
        check_len("Raster::from_gray_u8", values.len(), n, width, height);
        let data = values.iter().flat_map(|&v| [v; 3]).collect();
        Raster {
            width,
            height,
            data,
        }
    }

    /// A colour picture from planar channels `(C, H, W)` with `C = 3`: all the red values,
    /// then all the green, then all the blue (the CIFAR-10 layout).
    ///
    /// # Shapes
    /// `values.len() == 3 * width * height`.
    ///
    /// # Panics
    /// If the length does not match, or a dimension is 0.
    #[track_caller]
    pub fn from_planar_rgb_u8(values: &[u8], width: u32, height: u32) -> Self {
        let n = pixel_count(width, height);
        check_len(
            "Raster::from_planar_rgb_u8",
            values.len(),
            3 * n,
            width,
            height,
        );
        let (r, rest) = values.split_at(n);
        let (g, b) = rest.split_at(n);
        let data = (0..n).flat_map(|i| [r[i], g[i], b[i]]).collect();
        Raster {
            width,
            height,
            data,
        }
    }

    /// A colour picture from planar `(3, H, W)` floats, each channel mapped with `lo` as 0
    /// and `hi` as 255 (one scale for all channels, so hues are preserved). Used for CIFAR
    /// weight templates.
    ///
    /// # Shapes
    /// `values.len() == 3 * width * height`.
    ///
    /// # Panics
    /// If the length does not match, or a dimension is 0.
    #[track_caller]
    pub fn from_planar_rgb_f32(values: &[f32], width: u32, height: u32, lo: f32, hi: f32) -> Self {
        let n = pixel_count(width, height);
        check_len(
            "Raster::from_planar_rgb_f32",
            values.len(),
            3 * n,
            width,
            height,
        );
        let level = |v| color::gray_level(v, lo, hi);
        let data = (0..n)
            .flat_map(|i| {
                [
                    level(values[i]),
                    level(values[n + i]),
                    level(values[2 * n + i]),
                ]
            })
            .collect();
        Raster {
            width,
            height,
            data,
        }
    }

    /// A blue–white–red picture of signed `values` (row-major): `-scale` dark blue, 0 white,
    /// `+scale` dark red (see [`color::diverging`]). Use [`color::max_abs`] for the scale.
    ///
    /// # Shapes
    /// `values.len() == width * height`.
    ///
    /// # Panics
    /// If the length does not match, or a dimension is 0.
    #[track_caller]
    pub fn from_diverging(values: &[f32], width: u32, height: u32, scale: f32) -> Self {
        let n = pixel_count(width, height);
        check_len("Raster::from_diverging", values.len(), n, width, height);
        let data = values
            .iter()
            .flat_map(|&v| {
                let c = color::diverging(v, scale);
                [c.r, c.g, c.b]
            })
            .collect();
        Raster {
            width,
            height,
            data,
        }
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// The interleaved RGB bytes, row-major.
    pub fn as_rgb_bytes(&self) -> &[u8] {
        &self.data
    }

    /// The colour of pixel `(x, y)`.
    ///
    /// # Panics
    /// If `(x, y)` lies outside the raster.
    #[track_caller]
    pub fn pixel(&self, x: u32, y: u32) -> Rgb {
        assert!(
            x < self.width && y < self.height,
            "pixel ({x}, {y}) outside a {}x{} raster",
            self.width,
            self.height
        );
        let i = (y as usize * self.width as usize + x as usize) * 3;
        Rgb::new(self.data[i], self.data[i + 1], self.data[i + 2])
    }

    /// Sets pixel `(x, y)`; outside the raster nothing happens.
    pub fn set_pixel(&mut self, x: i32, y: i32, c: Rgb) {
        self.blend_pixel(x, y, c, 1.0);
    }

    /// Mixes `c` into pixel `(x, y)` with opacity `alpha` (clamped to `[0, 1]`); outside the
    /// raster nothing happens.
    #[inline]
    pub fn blend_pixel(&mut self, x: i32, y: i32, c: Rgb, alpha: f32) {
        let outside = x < 0 || y < 0 || x >= self.width as i32 || y >= self.height as i32;
        if outside || alpha.is_nan() || alpha <= 0.0 {
            return;
        }
        let i = (y as usize * self.width as usize + x as usize) * 3;
        let px = &mut self.data[i..i + 3];
        if alpha >= 1.0 {
            px.copy_from_slice(&[c.r, c.g, c.b]);
        } else {
            px[0] = mix(px[0], c.r, alpha);
            px[1] = mix(px[1], c.g, alpha);
            px[2] = mix(px[2], c.b, alpha);
        }
    }

    /// Fills the whole raster.
    pub fn fill(&mut self, c: Rgb) {
        for px in self.data.chunks_exact_mut(3) {
            px.copy_from_slice(&[c.r, c.g, c.b]);
        }
    }

    /// The part of a rectangle inside the raster, as column and row ranges.
    fn clip(&self, x: i32, y: i32, w: u32, h: u32) -> Option<(usize, usize, usize, usize)> {
        let x0 = i64::from(x).max(0);
        let y0 = i64::from(y).max(0);
        let x1 = (i64::from(x) + i64::from(w)).min(i64::from(self.width));
        let y1 = (i64::from(y) + i64::from(h)).min(i64::from(self.height));
        (x0 < x1 && y0 < y1).then_some((x0 as usize, x1 as usize, y0 as usize, y1 as usize))
    }

    /// Fills the `w x h` rectangle whose top-left pixel is `(x, y)`.
    pub fn fill_rect(&mut self, x: i32, y: i32, w: u32, h: u32, c: Rgb) {
        let Some((x0, x1, y0, y1)) = self.clip(x, y, w, h) else {
            return;
        };
        let stride = self.width as usize * 3;
        for row in y0..y1 {
            let line = &mut self.data[row * stride + x0 * 3..row * stride + x1 * 3];
            for px in line.chunks_exact_mut(3) {
                px.copy_from_slice(&[c.r, c.g, c.b]);
            }
        }
    }

    /// Draws a frame `thickness` pixels thick just inside the `w x h` rectangle at `(x, y)`.
    pub fn stroke_rect(&mut self, x: i32, y: i32, w: u32, h: u32, thickness: u32, c: Rgb) {
        if thickness == 0 {
            return;
        }
        if thickness.saturating_mul(2) >= w.min(h) {
            self.fill_rect(x, y, w, h, c);
            return;
        }
        let t = thickness;
        self.fill_rect(x, y, w, t, c);
        self.fill_rect(x, y + (h - t) as i32, w, t, c);
        self.fill_rect(x, y + t as i32, t, h - 2 * t, c);
        self.fill_rect(x + (w - t) as i32, y + t as i32, t, h - 2 * t, c);
    }

    /// Draws an anti-aliased straight line from `a` to `b` with round ends.
    ///
    /// Each pixel's coverage comes from the distance of its centre to the segment (the
    /// idea behind Xiaolin Wu's lines, extended to any width), and only the pixels within
    /// reach of the segment are visited, so long thin lines cost their length.
    pub fn line(&mut self, a: (f32, f32), b: (f32, f32), stroke: Stroke) {
        let (half, alpha) = stroke.profile();
        if alpha <= 0.0
            || !(a.0.is_finite() && a.1.is_finite() && b.0.is_finite() && b.1.is_finite())
        {
            return;
        }
        let reach = half + 0.5;
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let len = (dx * dx + dy * dy).sqrt();
        let x_major = dx.abs() >= dy.abs();
        // Walk the major axis; on each step the band of pixels within `reach` of the line
        // spans `reach / cos` on the minor axis.
        let (major_a, major_b, minor_a, minor_d, major_d) = if x_major {
            (a.0, b.0, a.1, dy, dx)
        } else {
            (a.1, b.1, a.0, dx, dy)
        };
        let lo = (major_a.min(major_b) - reach).floor() as i32;
        let hi = (major_a.max(major_b) + reach).ceil() as i32;
        // Pixel centres within `reach` of the segment lie within `span` of the (clamped)
        // line on the minor axis; floor/ceil below add the half-pixel slack.
        let span = if major_d.abs() > 1e-6 {
            reach * len / major_d.abs()
        } else {
            reach
        };
        let seg = Segment::new(a, b);
        let reach2 = reach * reach;
        for m in lo..=hi {
            let mc = m as f32 + 0.5;
            let t = if major_d.abs() > 1e-6 {
                ((mc - major_a) / major_d).clamp(0.0, 1.0)
            } else {
                0.0
            };
            let centre = minor_a + t * minor_d;
            for n in (centre - span).floor() as i32..=(centre + span).ceil() as i32 {
                let (px, py) = if x_major { (m, n) } else { (n, m) };
                let d2 = seg.distance2((px as f32 + 0.5, py as f32 + 0.5));
                if d2 < reach2 {
                    let cov = (reach - d2.sqrt()).min(1.0);
                    self.blend_pixel(px, py, stroke.color, cov * alpha);
                }
            }
        }
    }

    /// Draws an anti-aliased open polyline through `points` (joins and ends round). Each
    /// pixel is blended once, so joints do not darken.
    pub fn polyline(&mut self, points: &[(f32, f32)], stroke: Stroke) {
        let (half, alpha) = stroke.profile();
        let finite = points.iter().all(|p| p.0.is_finite() && p.1.is_finite());
        if points.is_empty() || !finite || alpha <= 0.0 {
            return;
        }
        let reach = half + 0.5;
        let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
        for &(x, y) in points {
            x0 = x0.min(x);
            y0 = y0.min(y);
            x1 = x1.max(x);
            y1 = y1.max(y);
        }
        let area = Rect::covering(x0 - reach, y0 - reach, x1 + reach, y1 + reach);
        let Some((cx0, cx1, cy0, cy1)) = self.clip(area.x, area.y, area.w, area.h) else {
            return;
        };
        let segments: Vec<Segment> = if points.len() == 1 {
            vec![Segment::new(points[0], points[0])]
        } else {
            points
                .windows(2)
                .map(|w| Segment::new(w[0], w[1]))
                .collect()
        };
        let reach2 = reach * reach;
        for py in cy0..cy1 {
            let cy = py as f32 + 0.5;
            // Only segments whose vertical extent comes within reach of this row matter.
            let near: Vec<&Segment> = segments
                .iter()
                .filter(|s| {
                    let (y0, y1) = (s.a.1.min(s.a.1 + s.d.1), s.a.1.max(s.a.1 + s.d.1));
                    cy > y0 - reach && cy < y1 + reach
                })
                .collect();
            for px in cx0..cx1 {
                let p = (px as f32 + 0.5, cy);
                let d2 = near.iter().fold(f32::MAX, |m, s| m.min(s.distance2(p)));
                if d2 < reach2 {
                    let cov = (reach - d2.sqrt()).min(1.0);
                    self.blend_pixel(px as i32, py as i32, stroke.color, cov * alpha);
                }
            }
        }
    }

    /// Draws an axis-aligned ellipse centred at `c` with radii `rx`, `ry`: filled with
    /// `fill` if given, then outlined with `stroke` (centred on the outline) if given.
    pub fn ellipse(
        &mut self,
        c: (f32, f32),
        rx: f32,
        ry: f32,
        fill: Option<Rgb>,
        stroke: Option<Stroke>,
    ) {
        let finite = c.0.is_finite() && c.1.is_finite() && rx.is_finite() && ry.is_finite();
        if !(finite && rx > 0.0 && ry > 0.0) {
            return;
        }
        let (half, alpha) = stroke.map_or((0.0, 0.0), |s| s.profile());
        let reach = half + 0.5;
        let area = Rect::covering(
            c.0 - rx - reach,
            c.1 - ry - reach,
            c.0 + rx + reach,
            c.1 + ry + reach,
        );
        let Some((x0, x1, y0, y1)) = self.clip(area.x, area.y, area.w, area.h) else {
            return;
        };
        for py in y0..y1 {
            for px in x0..x1 {
                let (qx, qy) = (px as f32 + 0.5 - c.0, py as f32 + 0.5 - c.1);
                // Signed distance to the ellipse, to first order: (k0 - 1) scaled by the
                // gradient of the implicit function (exact for circles).
                let k0 = ((qx / rx).powi(2) + (qy / ry).powi(2)).sqrt();
                let k1 = ((qx / (rx * rx)).powi(2) + (qy / (ry * ry)).powi(2)).sqrt();
                let d = if k1 > 0.0 {
                    k0 * (k0 - 1.0) / k1
                } else {
                    -rx.min(ry)
                };
                if let Some(f) = fill {
                    let cov = (0.5 - d).clamp(0.0, 1.0);
                    self.blend_pixel(px as i32, py as i32, f, cov);
                }
                if let Some(s) = stroke {
                    let cov = (reach - d.abs()).clamp(0.0, 1.0);
                    self.blend_pixel(px as i32, py as i32, s.color, cov * alpha);
                }
            }
        }
    }

    /// Draws a circle of radius `r` centred at `c` (see [`Raster::ellipse`]).
    pub fn circle(&mut self, c: (f32, f32), r: f32, fill: Option<Rgb>, stroke: Option<Stroke>) {
        self.ellipse(c, r, r, fill, stroke);
    }

    /// Copies `src` with its top-left pixel at `(x, y)`.
    pub fn blit(&mut self, src: &Raster, x: i32, y: i32) {
        self.blit_scaled(src, x, y, 1);
    }

    /// Copies `src` enlarged `k` times by nearest neighbour, top-left at `(x, y)`, without an
    /// intermediate raster.
    pub(crate) fn blit_scaled(&mut self, src: &Raster, x: i32, y: i32, k: u32) {
        let k = k.max(1);
        let Some((x0, x1, y0, y1)) = self.clip(x, y, src.width * k, src.height * k) else {
            return;
        };
        let stride = self.width as usize * 3;
        let ks = k as usize;
        for row in y0..y1 {
            let sy = (row as i64 - i64::from(y)) as usize / ks;
            let src_row = &src.data[sy * src.width as usize * 3..(sy + 1) * src.width as usize * 3];
            let dst = &mut self.data[row * stride + x0 * 3..row * stride + x1 * 3];
            if ks == 1 {
                let sx0 = (x0 as i64 - i64::from(x)) as usize;
                dst.copy_from_slice(&src_row[sx0 * 3..sx0 * 3 + dst.len()]);
                continue;
            }
            for (i, px) in dst.chunks_exact_mut(3).enumerate() {
                let sx = ((x0 + i) as i64 - i64::from(x)) as usize / ks;
                px.copy_from_slice(&src_row[sx * 3..sx * 3 + 3]);
            }
        }
    }

    /// This raster enlarged `k` times, each pixel becoming a `k x k` block: no blur.
    ///
    /// # Panics
    /// If `k` is 0.
    #[track_caller]
    pub fn scaled_nearest(&self, k: u32) -> Raster {
        assert!(
            k > 0,
            "Raster::scaled_nearest: the factor must be at least 1"
        );
        let mut out = Raster::new(self.width * k, self.height * k, Rgb::BLACK);
        out.blit_scaled(self, 0, 0, k);
        out
    }

    /// A copy with a `margin`-pixel border of `background` on every side.
    pub fn padded(&self, margin: u32, background: Rgb) -> Raster {
        let mut out = Raster::new(
            self.width + 2 * margin,
            self.height + 2 * margin,
            background,
        );
        out.blit(self, margin as i32, margin as i32);
        out
    }

    /// The PNG encoding (8-bit RGB). The same pixels always give the same bytes.
    pub fn encode_png(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.data.len() / 4 + 64);
        let mut enc = png::Encoder::new(&mut out, self.width, self.height);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        // Fast deflate: figures are mostly flat colour, which compresses well anyway.
        enc.set_compression(png::Compression::Fast);
        // Writing into a Vec cannot fail, and the header is valid because both dimensions
        // are at least 1 and the data length matches (checked at construction).
        let mut writer = enc
            .write_header()
            .expect("PNG header for a non-empty raster");
        writer
            .write_image_data(&self.data)
            .expect("PNG data into memory");
        writer.finish().expect("PNG end into memory");
        out
    }

    /// Writes the PNG encoding to `path` atomically (temporary file, then rename).
    ///
    /// # Errors
    /// A [`RenderError`] naming `path` if the file cannot be written.
    pub fn write_png(&self, path: impl AsRef<Path>) -> Result<(), RenderError> {
        write_atomic(path, &self.encode_png())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const R: Rgb = Rgb::new(255, 0, 0);

    fn decode(png_bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let dec = png::Decoder::new(std::io::Cursor::new(png_bytes));
        let mut reader = dec.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!(info.color_type, png::ColorType::Rgb);
        buf.truncate(info.buffer_size());
        (info.width, info.height, buf)
    }

    /// The set of pixels that differ from white, as (x, y), row by row.
    fn inked(r: &Raster) -> Vec<(u32, u32)> {
        let mut v = Vec::new();
        for y in 0..r.height() {
            for x in 0..r.width() {
                if r.pixel(x, y) != Rgb::WHITE {
                    v.push((x, y));
                }
            }
        }
        v
    }

    #[test]
    fn fill_rect_clips() {
        let mut r = Raster::new(4, 3, Rgb::WHITE);
        r.fill_rect(-1, 1, 3, 5, R);
        // Columns -1..2 and rows 1..6, clipped to columns 0..2 and rows 1..3.
        assert_eq!(inked(&r), vec![(0, 1), (1, 1), (0, 2), (1, 2)]);
        r.fill_rect(10, 10, 5, 5, R);
        r.fill_rect(0, 0, 0, 3, R);
        assert_eq!(inked(&r).len(), 4);
    }

    #[test]
    fn stroke_rect_is_a_frame() {
        let mut r = Raster::new(6, 6, Rgb::WHITE);
        r.stroke_rect(0, 0, 6, 6, 2, R);
        // A 6x6 frame 2 thick leaves the central 2x2 untouched: 36 - 4 pixels.
        assert_eq!(inked(&r).len(), 32);
        assert_eq!(r.pixel(2, 2), Rgb::WHITE);
        assert_eq!(r.pixel(1, 4), R);
        // Thicker than half the size: solid.
        r.stroke_rect(0, 0, 6, 6, 3, R);
        assert_eq!(inked(&r).len(), 36);
    }

    #[test]
    fn lines_cover_their_path_and_nothing_far() {
        let mut r = Raster::new(20, 20, Rgb::WHITE);
        r.line((2.5, 2.5), (17.5, 12.5), Stroke::new(Rgb::BLACK, 1.0));
        // Both endpoints are pixel centres, so fully covered.
        assert_eq!(r.pixel(2, 2), Rgb::BLACK);
        assert_eq!(r.pixel(17, 12), Rgb::BLACK);
        for (x, y) in inked(&r) {
            let d = segment_distance((x as f32 + 0.5, y as f32 + 0.5), (2.5, 2.5), (17.5, 12.5));
            assert!(d < 1.0, "pixel ({x}, {y}) is {d} from the line");
        }
        // A vertical line: one column fully covered.
        let mut v = Raster::new(5, 5, Rgb::WHITE);
        v.line((2.5, 0.5), (2.5, 4.5), Stroke::new(Rgb::BLACK, 1.0));
        assert_eq!(inked(&v), (0..5).map(|y| (2, y)).collect::<Vec<_>>());
    }

    #[test]
    fn faint_lines_are_lighter() {
        let mut r = Raster::new(10, 3, Rgb::WHITE);
        r.line(
            (0.0, 1.5),
            (10.0, 1.5),
            Stroke::new(Rgb::BLACK, 1.0).with_opacity(0.25),
        );
        // 255 * (1 - 0.25) = 191.25
        assert_eq!(r.pixel(5, 1), Rgb::gray(191));
    }

    #[test]
    fn circles_fill_inside_only() {
        let mut r = Raster::new(21, 21, Rgb::WHITE);
        r.circle(
            (10.5, 10.5),
            6.0,
            Some(R),
            Some(Stroke::new(Rgb::BLACK, 1.0)),
        );
        assert_eq!(r.pixel(10, 10), R);
        assert_eq!(r.pixel(10, 4), Rgb::BLACK); // centre 6 above the middle: on the outline
        assert_eq!(r.pixel(0, 0), Rgb::WHITE);
        assert_eq!(r.pixel(10, 1), Rgb::WHITE);
    }

    #[test]
    fn non_finite_input_draws_nothing() {
        let mut r = Raster::new(8, 8, Rgb::WHITE);
        let s = Stroke::new(Rgb::BLACK, 1.0);
        r.line((f32::NAN, 0.0), (4.0, 4.0), s);
        r.polyline(&[(0.0, 0.0), (f32::INFINITY, 3.0)], s);
        r.circle((f32::NAN, 4.0), 3.0, Some(Rgb::BLACK), Some(s));
        r.circle((4.0, 4.0), f32::NAN, Some(Rgb::BLACK), Some(s));
        r.blend_pixel(1, 1, Rgb::BLACK, f32::NAN);
        assert!(inked(&r).is_empty());
    }

    #[test]
    fn blit_clips_and_copies() {
        let src = Raster::from_gray_u8(&[0, 50, 100, 150], 2, 2);
        let mut dst = Raster::new(3, 3, Rgb::WHITE);
        dst.blit(&src, 2, -1);
        assert_eq!(dst.pixel(2, 0), Rgb::gray(100));
        assert_eq!(dst.pixel(2, 1), Rgb::WHITE);
        assert_eq!(inked(&dst), vec![(2, 0)]);
    }

    #[test]
    fn gray_extremes() {
        let r = Raster::from_gray(&[-0.5, 0.0, 0.25, 2.0], 2, 2, -0.5, 2.0);
        assert_eq!(r.pixel(0, 0), Rgb::BLACK); // lowest weight black
        assert_eq!(r.pixel(1, 1), Rgb::WHITE); // brightest weight white
    }

    #[test]
    fn planar_channels_land_in_place() {
        // 2x1 image: pixel 0 = (1, 3, 5), pixel 1 = (2, 4, 6).
        let r = Raster::from_planar_rgb_u8(&[1, 2, 3, 4, 5, 6], 2, 1);
        assert_eq!(r.as_rgb_bytes(), &[1, 3, 5, 2, 4, 6]);
        let f = Raster::from_planar_rgb_f32(&[0.0, 1.0, 1.0, 0.0, 0.0, 0.0], 2, 1, 0.0, 1.0);
        assert_eq!(f.pixel(0, 0), Rgb::new(0, 255, 0));
        assert_eq!(f.pixel(1, 0), Rgb::new(255, 0, 0));
    }

    #[test]
    fn diverging_signs() {
        let r = Raster::from_diverging(&[-1.0, 0.0, 1.0], 3, 1, 1.0);
        assert_eq!(r.pixel(0, 0), color::palette::NEGATIVE);
        assert_eq!(r.pixel(1, 0), Rgb::WHITE);
        assert_eq!(r.pixel(2, 0), color::palette::POSITIVE);
    }

    #[test]
    #[should_panic(expected = "expected 4")]
    fn wrong_length_panics() {
        Raster::from_gray(&[0.0; 3], 2, 2, 0.0, 1.0);
    }

    #[test]
    fn png_is_deterministic_and_written_atomically() {
        let mut r = Raster::new(7, 5, Rgb::WHITE);
        r.line((0.0, 0.0), (7.0, 5.0), Stroke::new(R, 2.0));
        let a = r.encode_png();
        assert_eq!(&a[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(a, r.clone().encode_png());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.png");
        r.write_png(&path).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), a);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn png_round_trips(w in 1u32..20, h in 1u32..20, seed in any::<u64>()) {
            // Bytes from a small LCG driven by the proptest seed.
            let mut s = seed;
            let data: Vec<u8> = (0..w * h * 3).map(|_| {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                (s >> 56) as u8
            }).collect();
            let r = Raster::from_rgb_bytes(w, h, data.clone());
            let (dw, dh, back) = decode(&r.encode_png());
            prop_assert_eq!((dw, dh), (w, h));
            prop_assert_eq!(back, data);
        }

        #[test]
        fn scaled_nearest_repeats_pixels(w in 1u32..6, h in 1u32..6, k in 1u32..5,
                                         vals in proptest::collection::vec(any::<u8>(), 36)) {
            let src = Raster::from_gray_u8(&vals[..(w * h) as usize], w, h);
            let big = src.scaled_nearest(k);
            prop_assert_eq!((big.width(), big.height()), (w * k, h * k));
            for y in 0..h * k {
                for x in 0..w * k {
                    prop_assert_eq!(big.pixel(x, y), src.pixel(x / k, y / k));
                }
            }
        }

        #[test]
        fn lines_match_a_brute_force_oracle(x0 in -5.0f32..35.0, y0 in -5.0f32..35.0,
                                            x1 in -5.0f32..35.0, y1 in -5.0f32..35.0,
                                            width in 0.3f32..5.0) {
            let stroke = Stroke::new(Rgb::BLACK, width);
            let mut fast = Raster::new(30, 30, Rgb::WHITE);
            fast.line((x0, y0), (x1, y1), stroke);
            // Every pixel, coverage from the plain distance: what `line` must equal.
            let (half, alpha) = stroke.profile();
            let mut slow = Raster::new(30, 30, Rgb::WHITE);
            for y in 0..30 {
                for x in 0..30 {
                    let d = segment_distance((x as f32 + 0.5, y as f32 + 0.5), (x0, y0), (x1, y1));
                    let cov = (half + 0.5 - d).clamp(0.0, 1.0);
                    slow.blend_pixel(x, y, Rgb::BLACK, cov * alpha);
                }
            }
            for (a, b) in fast.as_rgb_bytes().iter().zip(slow.as_rgb_bytes()) {
                // Float rounding of the two distance formulas may move a level by one.
                prop_assert!(a.abs_diff(*b) <= 1, "{a} vs {b}");
            }
        }

        #[test]
        fn prepared_segments_match_the_plain_distance(ax in -20.0f32..20.0, ay in -20.0f32..20.0,
                                                      bx in -20.0f32..20.0, by in -20.0f32..20.0,
                                                      px in -30.0f32..30.0, py in -30.0f32..30.0) {
            let fast = Segment::new((ax, ay), (bx, by)).distance2((px, py)).sqrt();
            let slow = segment_distance((px, py), (ax, ay), (bx, by));
            prop_assert!((fast - slow).abs() < 1e-3 * (1.0 + slow), "{fast} vs {slow}");
        }

        #[test]
        fn gray_is_monotone(a in -10.0f32..10.0, b in -10.0f32..10.0) {
            let (lo, hi) = (-3.0, 4.0);
            if a <= b {
                prop_assert!(color::gray_level(a, lo, hi) <= color::gray_level(b, lo, hi));
            }
        }

        #[test]
        fn lines_stay_near_their_segment(x0 in 0.0f32..30.0, y0 in 0.0f32..30.0,
                                         x1 in 0.0f32..30.0, y1 in 0.0f32..30.0,
                                         width in 0.5f32..4.0) {
            let mut r = Raster::new(30, 30, Rgb::WHITE);
            r.line((x0, y0), (x1, y1), Stroke::new(Rgb::BLACK, width));
            let reach = width.max(1.0) / 2.0 + 0.5;
            for (x, y) in inked(&r) {
                let d = segment_distance((x as f32 + 0.5, y as f32 + 0.5), (x0, y0), (x1, y1));
                prop_assert!(d < reach + 1e-3);
            }
            // The pixel under the midpoint is always inked: its centre is at most 0.71 from
            // the segment, inside the reach of at least 1.
            let (mx, my) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
            let (px, py) = (mx.floor() as u32, my.floor() as u32);
            if px < 30 && py < 30 {
                prop_assert!(r.pixel(px, py) != Rgb::WHITE);
            }
        }
    }
}
