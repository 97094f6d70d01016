//! The SVG writer every figure is described with; its PNG is this document rasterised by
//! resvg (see [`crate::Drawing`]), so the two cannot disagree.
//!
//! Coordinates: the origin is the top-left corner, y grows downwards, and one user unit is
//! one PNG pixel (the `viewBox` is the figure size). Text positions use the bundled font's
//! metrics for the vertical anchor (an explicit baseline) and `text-anchor` for the
//! horizontal one, with a `font-family` list that starts with DejaVu Sans and falls back to
//! look-alikes for other viewers. Pixel images are embedded PNGs at native size, scaled
//! without smoothing.

use std::fmt::Write as _;

use base64::Engine as _;

use crate::color::Rgb;
use crate::raster::{Raster, Rect, Stroke};
use crate::text::{self, FONT_FAMILY, HAlign, SUB_DROP, SUB_SCALE, TextStyle};

/// An SVG document being written. Elements appear in the order they are added (later ones
/// paint over earlier ones).
#[derive(Clone, Debug)]
pub(crate) struct Svg {
    width: u32,
    height: u32,
    body: String,
}

/// Escapes `&`, `<`, `>`, `"` and `'` for use in text and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// A number with at most two decimals and no trailing zeros: compact, and stable across
/// runs.
fn num(v: f32) -> String {
    let s = format!("{:.2}", v);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" || s.is_empty() {
        "0".to_string()
    } else {
        s.to_string()
    }
}

fn stroke_attrs(s: &Stroke) -> String {
    let mut a = format!(
        r#" stroke="{}" stroke-width="{}""#,
        s.color.hex(),
        num(s.width)
    );
    if s.opacity < 1.0 {
        let _ = write!(a, r#" stroke-opacity="{}""#, num(s.opacity.max(0.0)));
    }
    a
}

fn fill_attr(fill: Option<Rgb>) -> String {
    match fill {
        Some(c) => format!(r#" fill="{}""#, c.hex()),
        None => r#" fill="none""#.to_string(),
    }
}

fn text_anchor(h: HAlign) -> &'static str {
    match h {
        HAlign::Left => "start",
        HAlign::Center => "middle",
        HAlign::Right => "end",
    }
}

impl Svg {
    /// An empty `width x height` document with a `background` rectangle.
    pub(crate) fn new(width: u32, height: u32, background: Rgb) -> Self {
        let mut svg = Svg {
            width,
            height,
            body: String::new(),
        };
        svg.rect(Rect::new(0, 0, width, height), Some(background), None);
        svg
    }

    /// A rectangle of whole pixels; the stroke `(colour, thickness)` lies just inside it, so
    /// a frame never grows the rectangle.
    pub(crate) fn rect(&mut self, r: Rect, fill: Option<Rgb>, stroke: Option<(Rgb, u32)>) {
        let (x, y, w, h) = (r.x as f32, r.y as f32, r.w as f32, r.h as f32);
        match stroke {
            Some((c, t)) if t > 0 => {
                let t = t as f32;
                let _ = writeln!(
                    self.body,
                    r#"<rect x="{}" y="{}" width="{}" height="{}"{} stroke="{}" stroke-width="{}"/>"#,
                    num(x + t / 2.0),
                    num(y + t / 2.0),
                    num((w - t).max(0.0)),
                    num((h - t).max(0.0)),
                    fill_attr(fill),
                    c.hex(),
                    num(t)
                );
            }
            _ => {
                let _ = writeln!(
                    self.body,
                    r#"<rect x="{}" y="{}" width="{}" height="{}"{}/>"#,
                    num(x),
                    num(y),
                    num(w),
                    num(h),
                    fill_attr(fill)
                );
            }
        }
    }

    /// A straight line with round ends.
    pub(crate) fn line(&mut self, a: (f32, f32), b: (f32, f32), stroke: Stroke) {
        let _ = writeln!(
            self.body,
            r#"<line x1="{}" y1="{}" x2="{}" y2="{}"{} stroke-linecap="round"/>"#,
            num(a.0),
            num(a.1),
            num(b.0),
            num(b.1),
            stroke_attrs(&stroke)
        );
    }

    /// An open polyline with round joins and ends.
    pub(crate) fn polyline(&mut self, points: &[(f32, f32)], stroke: Stroke) {
        let pts: Vec<String> = points
            .iter()
            .map(|&(x, y)| format!("{},{}", num(x), num(y)))
            .collect();
        let _ = writeln!(
            self.body,
            r#"<polyline points="{}" fill="none"{} stroke-linecap="round" stroke-linejoin="round"/>"#,
            pts.join(" "),
            stroke_attrs(&stroke)
        );
    }

    /// A circle, filled and/or outlined.
    pub(crate) fn circle(
        &mut self,
        c: (f32, f32),
        r: f32,
        fill: Option<Rgb>,
        stroke: Option<Stroke>,
    ) {
        let _ = writeln!(
            self.body,
            r#"<circle cx="{}" cy="{}" r="{}"{}{}/>"#,
            num(c.0),
            num(c.1),
            num(r),
            fill_attr(fill),
            stroke.map(|s| stroke_attrs(&s)).unwrap_or_default()
        );
    }

    /// One line of text with its anchor point at `(x, y)` (see [`TextStyle`]).
    pub(crate) fn text(&mut self, x: f32, y: f32, content: &str, style: &TextStyle) {
        let dy = text::baseline_offset(content, style);
        let common = format!(
            r#"font-family="{FONT_FAMILY}" font-size="{}" fill="{}" text-anchor="{}""#,
            num(style.size),
            style.color.hex(),
            text_anchor(style.anchor.h)
        );
        if style.angle == 0.0 {
            let _ = writeln!(
                self.body,
                r#"<text x="{}" y="{}" {common}>{}</text>"#,
                num(x),
                num(y + dy),
                escape(content)
            );
        } else {
            let _ = writeln!(
                self.body,
                r#"<text transform="translate({} {}) rotate({})" x="0" y="{}" {common}>{}</text>"#,
                num(x),
                num(y),
                num(style.angle),
                num(dy),
                escape(content)
            );
        }
    }

    /// `base` with a lowered, smaller `sub` (x₇₈₄), upright, placed as one piece.
    pub(crate) fn text_sub(&mut self, x: f32, y: f32, base: &str, sub: &str, style: &TextStyle) {
        let (m, _) = text::subscript_layout(base, sub, style.size);
        let b = text::subscript_bounds(base, sub, (x, y), style);
        // Left edge and baseline of the combined text, so `start` anchoring is exact.
        let (left, baseline) = (b[0], b[1] + m.ascent);
        let _ = writeln!(
            self.body,
            r#"<text x="{}" y="{}" font-family="{FONT_FAMILY}" font-size="{}" fill="{}">{}<tspan dy="{}" font-size="{}">{}</tspan></text>"#,
            num(left),
            num(baseline),
            num(style.size),
            style.color.hex(),
            escape(base),
            num(style.size * SUB_DROP),
            num(style.size * SUB_SCALE),
            escape(sub)
        );
    }

    /// A pixel image enlarged `cell` times, top-left at `(x, y)`: the image as an embedded
    /// PNG at native size, scaled by nearest neighbour (`optimizeSpeed` for SVG 1.1 and
    /// resvg, `pixelated` for browsers, which otherwise smooth it), with optional 1-pixel
    /// grid lines between image pixels.
    pub(crate) fn pixels(&mut self, x: i32, y: i32, cell: u32, image: &Raster, grid: Option<Rgb>) {
        let cell = cell.max(1);
        let (w, h) = (image.width() * cell, image.height() * cell);
        let data = base64::engine::general_purpose::STANDARD.encode(image.encode_png());
        let _ = writeln!(
            self.body,
            r#"<image x="{x}" y="{y}" width="{w}" height="{h}" preserveAspectRatio="none" image-rendering="optimizeSpeed" style="image-rendering:pixelated" href="data:image/png;base64,{data}"/>"#
        );
        if let Some(g) = grid {
            let mut d = String::new();
            for i in 0..=image.width() {
                let gx = x as f32 + (i * cell).min(w - 1) as f32 + 0.5;
                let _ = write!(d, "M{} {}v{}", num(gx), y, h);
            }
            for j in 0..=image.height() {
                let gy = y as f32 + (j * cell).min(h - 1) as f32 + 0.5;
                let _ = write!(d, "M{} {}h{}", x, num(gy), w);
            }
            let _ = writeln!(
                self.body,
                r#"<path d="{d}" fill="none" stroke="{}" stroke-width="1"/>"#,
                g.hex()
            );
        }
    }

    /// The finished document.
    pub(crate) fn finish(self) -> String {
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\">\n{}</svg>\n",
            self.body,
            w = self.width,
            h = self.height
        )
    }
}

/// Test helper: whether every opening tag has its closing tag, in order (self-closing tags
/// count as both). Enough to catch a forgotten `</g>` or `</text>`.
#[cfg(test)]
pub(crate) fn tags_balanced(svg: &str) -> bool {
    let mut stack: Vec<&str> = Vec::new();
    let mut rest = svg;
    while let Some(start) = rest.find('<') {
        let Some(len) = rest[start..].find('>') else {
            return false;
        };
        let tag = &rest[start + 1..start + len];
        rest = &rest[start + len + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            if stack.pop() != Some(name.trim()) {
                return false;
            }
        } else if !tag.ends_with('/') && !tag.starts_with('?') && !tag.starts_with('!') {
            let name = tag.split_whitespace().next().unwrap_or("");
            stack.push(name);
        }
    }
    stack.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::Anchor;

    fn check_num(v: f32, expect: &str) {
        assert_eq!(num(v), expect, "num({v})");
    }

    #[test]
    fn numbers_are_compact() {
        check_num(3.0, "3");
        check_num(2.5, "2.5");
        check_num(1.234, "1.23");
        check_num(-0.001, "0");
        check_num(-12.10, "-12.1");
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape(r#"a<b & "c">'"#),
            "a&lt;b &amp; &quot;c&quot;&gt;&apos;"
        );
    }

    #[test]
    fn balanced_checker_catches_mistakes() {
        assert!(tags_balanced("<svg><g><rect/></g><text>a</text></svg>"));
        assert!(!tags_balanced("<svg><g></svg>"));
        assert!(!tags_balanced("<svg><text>a</svg></text>"));
    }

    #[test]
    fn document_has_every_element() {
        let mut s = Svg::new(100, 50, Rgb::WHITE);
        s.line(
            (0.0, 0.0),
            (10.0, 10.0),
            Stroke::new(Rgb::BLACK, 1.0).with_opacity(0.5),
        );
        s.circle(
            (20.0, 20.0),
            5.0,
            Some(Rgb::WHITE),
            Some(Stroke::new(Rgb::BLACK, 1.0)),
        );
        s.text(
            50.0,
            25.0,
            "a < b",
            &TextStyle::new(12.0, Rgb::BLACK).anchored(Anchor::CENTER),
        );
        s.text_sub(5.0, 40.0, "x", "784", &TextStyle::new(12.0, Rgb::BLACK));
        s.pixels(
            60,
            5,
            3,
            &Raster::from_gray_u8(&[0, 255, 255, 0], 2, 2),
            Some(Rgb::gray(128)),
        );
        let doc = s.finish();
        assert!(doc.starts_with("<svg"));
        assert!(doc.trim_end().ends_with("</svg>"));
        assert!(tags_balanced(&doc), "{doc}");
        for needle in [
            "<line",
            "stroke-opacity=\"0.5\"",
            "<circle",
            "a &lt; b",
            ">784</tspan>",
            "text-anchor=\"middle\"",
        ] {
            assert!(doc.contains(needle), "missing {needle}: {doc}");
        }
        // The 2x2 image is one embedded PNG, enlarged to 6x6 without smoothing.
        assert_eq!(doc.matches("<image").count(), 1);
        assert!(doc.contains(r#"width="6" height="6""#), "{doc}");
        assert!(doc.contains("image-rendering:pixelated"), "{doc}");
    }
}
