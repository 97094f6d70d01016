//! Putting finished figures together: side by side, one above the other, and text on its
//! own, still as one vector description, for figures made of several blocks (a digit beside its bar chart, a row of filters
//! above rows of bars).

use crate::color::Rgb;
use crate::scene::Drawing;
use crate::text::{Anchor, TextStyle};

/// Where smaller parts sit across the stacking direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    /// Top (in a row) or left (in a column).
    Start,
    /// Centred.
    Center,
    /// Bottom (in a row) or right (in a column).
    End,
}

fn offset(align: Align, space: u32, size: u32) -> i32 {
    match align {
        Align::Start => 0,
        Align::Center => ((space - size) / 2) as i32,
        Align::End => (space - size) as i32,
    }
}

/// `parts` left to right, `gap` pixels apart, on `background`; each part keeps its own
/// background.
///
/// # Panics
/// If `parts` is empty.
#[track_caller]
pub fn hstack(parts: &[Drawing], gap: u32, align: Align, background: Rgb) -> Drawing {
    assert!(!parts.is_empty(), "hstack needs at least one part");
    let height = parts.iter().map(Drawing::height).max().unwrap_or(1);
    let width = parts.iter().map(Drawing::width).sum::<u32>() + gap * (parts.len() as u32 - 1);
    let mut out = Drawing::new(background);
    let mut x = 0;
    for p in parts {
        out.place(p.clone(), x, offset(align, height, p.height()));
        x += (p.width() + gap) as i32;
    }
    out.sized(width, height)
}

/// `parts` top to bottom, `gap` pixels apart, on `background`; each part keeps its own
/// background.
///
/// # Panics
/// If `parts` is empty.
#[track_caller]
pub fn vstack(parts: &[Drawing], gap: u32, align: Align, background: Rgb) -> Drawing {
    assert!(!parts.is_empty(), "vstack needs at least one part");
    let width = parts.iter().map(Drawing::width).max().unwrap_or(1);
    let height = parts.iter().map(Drawing::height).sum::<u32>() + gap * (parts.len() as u32 - 1);
    let mut out = Drawing::new(background);
    let mut y = 0;
    for p in parts {
        out.place(p.clone(), offset(align, width, p.width()), y);
        y += (p.height() + gap) as i32;
    }
    out.sized(width, height)
}

/// A figure holding just `text` (one line, upright) with `padding` pixels around its line
/// box: a caption or a row label to stack beside other blocks.
pub fn label(text: &str, size: f32, color: Rgb, padding: u32, background: Rgb) -> Drawing {
    let mut d = Drawing::new(background);
    let style = TextStyle::new(size, color).anchored(Anchor::TOP_LEFT);
    d.text((0.0, 0.0), text, style);
    d.fit(padding)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stacks_size_and_place_parts() {
        let a = Drawing::new(Rgb::BLACK).sized(3, 2);
        let b = Drawing::new(Rgb::gray(9)).sized(1, 4);
        let h = hstack(&[a.clone(), b.clone()], 2, Align::End, Rgb::WHITE);
        assert_eq!((h.width(), h.height()), (6, 4));
        let h = h.to_raster();
        // 3 + 2 + 1 wide, max(2, 4) high; `a` sits at the bottom.
        assert_eq!((h.width(), h.height()), (6, 4));
        assert_eq!(h.pixel(0, 0), Rgb::WHITE);
        assert_eq!(h.pixel(0, 3), Rgb::BLACK);
        assert_eq!(h.pixel(5, 0), Rgb::gray(9));
        let v = vstack(&[a, b], 1, Align::Center, Rgb::WHITE);
        assert_eq!((v.width(), v.height()), (3, 7));
        let v = v.to_raster();
        assert_eq!(v.pixel(1, 3), Rgb::gray(9));
        assert_eq!(v.pixel(0, 3), Rgb::WHITE);
    }

    #[test]
    fn labels_contain_ink() {
        let r = label("class 3", 13.0, Rgb::BLACK, 2, Rgb::WHITE).to_raster();
        let inked = r.as_rgb_bytes().iter().filter(|&&b| b < 128).count();
        assert!(inked > 20, "{inked}");
    }
}
