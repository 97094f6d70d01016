//! Regions of an image plane ([`Mask`]: a border ring, a centre square, a disc, an annulus) and
//! simple measures of drawn strokes ([`ink`], [`stroke_width`]): the vocabulary of claims such as
//! "blue on the outer edges" or "a big loop with an empty middle", as numbers.
//!
//! Every mask lives on one `width x height` plane; a planar (C, H, W) image is measured one
//! channel at a time.

/// A set of pixels of one `width x height` plane.
///
/// # Example
/// ```
/// use introspect::Mask;
/// let rim = Mask::border(4, 4, 1);
/// assert_eq!(rim.count(), 12);
/// let plane = [1.0f32, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0];
/// assert_eq!(rim.mean(&plane), Some(1.0));
/// assert_eq!(rim.complement().mean(&plane), Some(0.0));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mask {
    width: usize,
    height: usize,
    cells: Vec<bool>,
}

impl Mask {
    /// The pixels for which `inside(x, y)` holds.
    pub fn from_fn(width: usize, height: usize, inside: impl Fn(usize, usize) -> bool) -> Self {
        let cells = (0..height)
            .flat_map(|y| (0..width).map(move |x| (x, y)))
            .map(|(x, y)| inside(x, y))
            .collect();
        Mask {
            width,
            height,
            cells,
        }
    }

    /// The pixels less than `thickness` pixels from an edge of the plane.
    pub fn border(width: usize, height: usize, thickness: usize) -> Self {
        Self::from_fn(width, height, |x, y| {
            x < thickness || y < thickness || x + thickness >= width || y + thickness >= height
        })
    }

    /// The centred `side x side` square (offset down and right by half a pixel when the parity
    /// of `side` and the plane's differ).
    pub fn centre_square(width: usize, height: usize, side: usize) -> Self {
        let (x0, y0) = (
            width.saturating_sub(side) / 2,
            height.saturating_sub(side) / 2,
        );
        Self::from_fn(width, height, |x, y| {
            x >= x0 && x < x0 + side && y >= y0 && y < y0 + side
        })
    }

    /// The pixels whose centre lies at a distance `d` with `inner <= d < outer` from the centre
    /// of the plane (pixel centres at `x + 0.5`, the plane's centre at `width / 2`).
    pub fn annulus(width: usize, height: usize, inner: f64, outer: f64) -> Self {
        let (cx, cy) = (width as f64 / 2.0, height as f64 / 2.0);
        Self::from_fn(width, height, |x, y| {
            let d = (x as f64 + 0.5 - cx).hypot(y as f64 + 0.5 - cy);
            d >= inner && d < outer
        })
    }

    /// The pixels less than `radius` from the centre of the plane.
    pub fn disc(width: usize, height: usize, radius: f64) -> Self {
        Self::annulus(width, height, 0.0, radius)
    }

    /// Every pixel not in this mask.
    pub fn complement(&self) -> Self {
        Mask {
            width: self.width,
            height: self.height,
            cells: self.cells.iter().map(|c| !c).collect(),
        }
    }

    /// Width and height of the plane.
    pub fn size(&self) -> (usize, usize) {
        (self.width, self.height)
    }

    /// Whether pixel `(x, y)` is in the mask.
    ///
    /// # Panics
    /// If `(x, y)` lies outside the plane.
    #[track_caller]
    pub fn contains(&self, x: usize, y: usize) -> bool {
        assert!(
            x < self.width && y < self.height,
            "pixel ({x}, {y}) outside the plane"
        );
        self.cells[y * self.width + x]
    }

    /// How many pixels the mask holds.
    pub fn count(&self) -> usize {
        self.cells.iter().filter(|&&c| c).count()
    }

    /// Mean of `plane` (row-major, `width x height` values) over the mask; `None` for an empty
    /// mask.
    ///
    /// # Panics
    /// If `plane` does not hold `width x height` values.
    #[track_caller]
    pub fn mean<T: Copy + Into<f64>>(&self, plane: &[T]) -> Option<f64> {
        assert_eq!(
            plane.len(),
            self.cells.len(),
            "a plane of {} values for a {}x{} mask",
            plane.len(),
            self.width,
            self.height
        );
        let n = self.count();
        (n > 0).then(|| {
            plane
                .iter()
                .zip(&self.cells)
                .filter(|(_, c)| **c)
                .map(|(&v, _)| v.into())
                .sum::<f64>()
                / n as f64
        })
    }
}

/// Total ink of a grayscale plane in pixel units: the sum of `value / 255`, so a fully black
/// (255) pixel counts 1.
pub fn ink(plane: &[u8]) -> f64 {
    plane.iter().map(|&v| f64::from(v)).sum::<f64>() / 255.0
}

/// The mean width of the strokes of a grayscale plane, in pixels: `2 A / P`, where `A` is the
/// number of pixels at or above `threshold` and `P` the number of edges between such a pixel
/// and a pixel below it (or the plane's border), counted in the four directions.
///
/// Why `2 A / P`: a stroke of width `w` and length `L >> w` covers `A = w L` pixels and has
/// `P ≈ 2 L` boundary edges, so `2 A / P ≈ w`, whatever the stroke's shape; a solid disc of
/// radius `r` gives about `r`. `None` when no pixel reaches the threshold.
///
/// # Panics
/// If `plane` does not hold `width x height` values.
#[track_caller]
pub fn stroke_width(plane: &[u8], width: usize, height: usize, threshold: u8) -> Option<f64> {
    assert_eq!(
        plane.len(),
        width * height,
        "a plane of {} values for {width}x{height}",
        plane.len()
    );
    let on = |x: isize, y: isize| {
        x >= 0
            && y >= 0
            && (x as usize) < width
            && (y as usize) < height
            && plane[y as usize * width + x as usize] >= threshold
    };
    let (mut area, mut perimeter) = (0usize, 0usize);
    for y in 0..height as isize {
        for x in 0..width as isize {
            if on(x, y) {
                area += 1;
                perimeter += [(-1, 0), (1, 0), (0, -1), (0, 1)]
                    .iter()
                    .filter(|(dx, dy)| !on(x + dx, y + dy))
                    .count();
            }
        }
    }
    (area > 0).then(|| 2.0 * area as f64 / perimeter as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn masks_count_what_their_geometry_says() {
        // A 1-pixel border of an 8x8 plane: 64 - 36 pixels.
        assert_eq!(Mask::border(8, 8, 1).count(), 28);
        assert_eq!(Mask::centre_square(8, 8, 4).count(), 16);
        assert!(Mask::centre_square(8, 8, 4).contains(2, 2));
        assert!(!Mask::centre_square(8, 8, 4).contains(1, 2));
        // The 4 pixels around the centre of an even plane are at distance sqrt(0.5).
        assert_eq!(Mask::disc(8, 8, 0.8).count(), 4);
        assert_eq!(Mask::annulus(8, 8, 0.8, 100.0).count(), 60);
    }

    #[test]
    fn a_stroke_measures_its_width() {
        // A vertical bar 3 wide and 20 long in a 28x28 plane: 2 * 60 / (2 * 20 + 2 * 3).
        let plane: Vec<u8> = (0..28 * 28)
            .map(|i| {
                if (12..15).contains(&(i % 28)) && (4..24).contains(&(i / 28)) {
                    255
                } else {
                    0
                }
            })
            .collect();
        let w = stroke_width(&plane, 28, 28, 128).unwrap();
        assert!((w - 120.0 / 46.0).abs() < 1e-12, "{w}");
        assert!((ink(&plane) - 60.0).abs() < 1e-12);
        assert_eq!(stroke_width(&[0; 4], 2, 2, 1), None);
    }

    proptest! {
        #[test]
        fn a_mask_and_its_complement_split_the_plane(
            w in 1usize..12, h in 1usize..12, t in 0usize..6,
            values in proptest::collection::vec(-5.0f32..5.0, 144),
        ) {
            let m = Mask::border(w, h, t);
            let c = m.complement();
            prop_assert_eq!(m.count() + c.count(), w * h);
            let plane = &values[..w * h];
            let total: f64 = plane.iter().map(|&v| f64::from(v)).sum();
            let parts = m.mean(plane).unwrap_or(0.0) * m.count() as f64
                + c.mean(plane).unwrap_or(0.0) * c.count() as f64;
            prop_assert!((total - parts).abs() < 1e-6 * (1.0 + total.abs()));
        }

        #[test]
        fn a_stroke_width_is_at_least_half_a_pixel(
            bits in proptest::collection::vec(any::<bool>(), 64),
        ) {
            let plane: Vec<u8> = bits.iter().map(|&b| if b { 200 } else { 0 }).collect();
            if let Some(w) = stroke_width(&plane, 8, 8, 128) {
                // Each pixel has at most 4 boundary edges: 2A / P >= 2A / 4A.
                prop_assert!(w >= 0.5);
            }
        }
    }
}
