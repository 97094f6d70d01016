//! [`Raster`]: an RGB8 pixel buffer for the pictures a figure shows (digits, CIFAR samples,
//! weight templates) and for a rasterised figure, with the constructors that turn pixel
//! data into pictures and PNG encoding; plus the geometry types the figure builders use.
//!
//! Nothing here draws: shapes and text are described as SVG and rasterised by resvg.

use std::fmt;

use crate::color::{self, Rgb};

/// How a line or an outline is drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stroke {
    /// Colour of the line.
    pub color: Rgb,
    /// Width in pixels (SVG `stroke-width`); thin strokes come out anti-aliased and faint.
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
}
/// An RGB8 image: `width * height` pixels, row-major, three bytes per pixel.
///
/// Coordinates: `(0, 0)` is the top-left corner, x grows to the right and y downwards.
/// Pixel `(i, j)` covers the unit square `[i, i + 1) x [j, j + 1)`, so its centre is at
/// `(i + 0.5, j + 0.5)`: the same system as a figure's SVG user units.
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

    /// A picture of one image stored planar as the dataset readers and weight templates store
    /// it: `channels` planes (1: gray, 3: RGB) of `height x width` bytes, 0 black, 255 full.
    /// Sizes are `usize`, as they come from an image shape.
    ///
    /// # Shapes
    /// `values.len() == channels * width * height`.
    ///
    /// # Panics
    /// If `channels` is not 1 or 3, a dimension is 0 or does not fit in `u32`, or the length
    /// does not match.
    #[track_caller]
    pub fn from_planar_u8(values: &[u8], channels: usize, width: usize, height: usize) -> Self {
        let (w, h) = dims("Raster::from_planar_u8", width, height);
        match channels {
            1 => Raster::from_gray_u8(values, w, h),
            3 => Raster::from_planar_rgb_u8(values, w, h),
            c => panic!("Raster::from_planar_u8: {c} channels (1 or 3 can be shown)"),
        }
    }

    /// [`from_planar_u8`](Self::from_planar_u8) for values in `0..=1` (clamped), such as a
    /// template scaled for display.
    ///
    /// # Shapes
    /// `values.len() == channels * width * height`.
    ///
    /// # Panics
    /// As [`from_planar_u8`](Self::from_planar_u8).
    #[track_caller]
    pub fn from_planar_unit(values: &[f32], channels: usize, width: usize, height: usize) -> Self {
        let (w, h) = dims("Raster::from_planar_unit", width, height);
        match channels {
            1 => Raster::from_gray(values, w, h, 0.0, 1.0),
            3 => Raster::from_planar_rgb_f32(values, w, h, 0.0, 1.0),
            c => panic!("Raster::from_planar_unit: {c} channels (1 or 3 can be shown)"),
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

    /// Copies `src` with its top-left pixel at `(x, y)`, clipped to this raster: packing
    /// tiles into a sprite sheet, nothing more.
    pub fn blit(&mut self, src: &Raster, x: i32, y: i32) {
        let stride = self.width as usize * 3;
        for sy in 0..src.height {
            let dy = i64::from(y) + i64::from(sy);
            if dy < 0 || dy >= i64::from(self.height) {
                continue;
            }
            let x0 = i64::from(x).max(0);
            let x1 = (i64::from(x) + i64::from(src.width)).min(i64::from(self.width));
            if x0 >= x1 {
                return;
            }
            let sx0 = (x0 - i64::from(x)) as usize;
            let n = (x1 - x0) as usize * 3;
            let s0 = (sy as usize * src.width as usize + sx0) * 3;
            let d0 = dy as usize * stride + x0 as usize * 3;
            self.data[d0..d0 + n].copy_from_slice(&src.data[s0..s0 + n]);
        }
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
}

/// `usize` image sizes as raster sizes.
#[track_caller]
fn dims(what: &str, width: usize, height: usize) -> (u32, u32) {
    match (u32::try_from(width), u32::try_from(height)) {
        (Ok(w), Ok(h)) => (w, h),
        _ => panic!("{what}: {width}x{height} does not fit a raster"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn decode(png_bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let dec = png::Decoder::new(std::io::Cursor::new(png_bytes));
        let mut reader = dec.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!(info.color_type, png::ColorType::Rgb);
        buf.truncate(info.buffer_size());
        (info.width, info.height, buf)
    }

    #[test]
    fn blit_clips_and_copies() {
        let src = Raster::from_gray_u8(&[0, 50, 100, 150], 2, 2);
        let mut dst = Raster::new(3, 3, Rgb::WHITE);
        dst.blit(&src, 2, -1);
        assert_eq!(dst.pixel(2, 0), Rgb::gray(100));
        assert_eq!(dst.pixel(2, 1), Rgb::WHITE);
        assert_eq!(dst.pixel(1, 0), Rgb::WHITE);
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
        fn gray_is_monotone(a in -10.0f32..10.0, b in -10.0f32..10.0) {
            let (lo, hi) = (-3.0, 4.0);
            if a <= b {
                prop_assert!(color::gray_level(a, lo, hi) <= color::gray_level(b, lo, hi));
            }
        }
    }
}
