//! Filling `f32` batch matrices from u8 images: [`InputScaling`], [`ChannelStats`] and the
//! table-driven [`BatchFiller`].

use serde::{Deserialize, Serialize};
use tensor::{Affine, Matrix};

use crate::{DatasetView, ImageShape};

/// How a u8 pixel `x` becomes the `f32` a network sees.
///
/// Every variant is defined by an `f32` formula, evaluated once per channel and byte value
/// when a [`BatchFiller`] is built; [`InputScaling::apply`] is that formula.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub enum InputScaling {
    /// `x / 255`, in `[0, 1]`: the chapter's choice.
    #[default]
    UnitRange,
    /// `x / 255 - 0.5`, in `[-0.5, 0.5]`.
    ZeroCentred,
    /// `(x / 255 - mean[c]) / std[c]` for channel `c`, with statistics in the `x / 255` scale
    /// (see [`DatasetView::channel_stats`]). A channel whose `std` is 0 is only centred.
    Standardize(ChannelStats),
}

impl InputScaling {
    /// The value of pixel byte `x` in channel `channel`.
    ///
    /// # Panics
    /// For [`InputScaling::Standardize`], if `channel` has no statistics.
    #[track_caller]
    pub fn apply(&self, channel: usize, x: u8) -> f32 {
        let unit = x as f32 / 255.0;
        match self {
            InputScaling::UnitRange => unit,
            InputScaling::ZeroCentred => unit - 0.5,
            InputScaling::Standardize(stats) => {
                let std = stats.std[channel];
                let std = if std > 0.0 { std } else { 1.0 };
                (unit - stats.mean[channel]) / std
            }
        }
    }
}

impl InputScaling {
    /// The scaling as a multiply-add per value, `scale · x + offset`, expanded to every column
    /// of an image of `shape`: what the u8 training kernels apply. It equals
    /// [`apply`](Self::apply) up to rounding (a division by 255 becomes a product with 1/255),
    /// within a few units in the last place.
    ///
    /// # Panics
    /// For [`InputScaling::Standardize`], if the statistics are not for `shape.channels`
    /// channels.
    #[track_caller]
    pub fn affine(&self, shape: ImageShape) -> Affine {
        let (mean, std) = self.mean_std(shape.channels);
        let plane = shape.plane_len();
        let mut scale = Vec::with_capacity(shape.len());
        let mut offset = Vec::with_capacity(shape.len());
        for (m, s) in mean.iter().zip(&std) {
            scale.extend(std::iter::repeat_n(1.0 / (255.0 * s), plane));
            offset.extend(std::iter::repeat_n(-m / s, plane));
        }
        Affine::new(scale, offset)
    }

    /// Per-channel mean and divisor (a zero deviation divides by 1).
    #[track_caller]
    fn mean_std(&self, channels: usize) -> (Vec<f32>, Vec<f32>) {
        match self {
            InputScaling::UnitRange => (vec![0.0; channels], vec![1.0; channels]),
            InputScaling::ZeroCentred => (vec![0.5; channels], vec![1.0; channels]),
            InputScaling::Standardize(stats) => {
                assert!(
                    stats.mean.len() == channels && stats.std.len() == channels,
                    "statistics for {} / {} channels, images have {channels}",
                    stats.mean.len(),
                    stats.std.len(),
                );
                let std = stats
                    .std
                    .iter()
                    .map(|&s| if s > 0.0 { s } else { 1.0 })
                    .collect();
                (stats.mean.clone(), std)
            }
        }
    }
}

/// Per-channel mean and (population) standard deviation of pixel values in the `x / 255`
/// scale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelStats {
    /// Mean of each channel.
    pub mean: Vec<f32>,
    /// Standard deviation of each channel.
    pub std: Vec<f32>,
}

impl DatasetView<'_> {
    /// The mean and standard deviation of each channel over every pixel of the view, for
    /// [`InputScaling::Standardize`]. Exact: it counts a histogram of byte values per channel,
    /// then sums in `f64` in a fixed order. An empty view gives zeros.
    pub fn channel_stats(&self) -> ChannelStats {
        let shape = self.shape();
        let plane = shape.plane_len();
        let mut hist = vec![[0u64; 256]; shape.channels];
        for (image, _) in self.iter() {
            for (h, pixels) in hist.iter_mut().zip(image.chunks_exact(plane)) {
                for &p in pixels {
                    h[p as usize] += 1;
                }
            }
        }
        let mut mean = Vec::with_capacity(shape.channels);
        let mut std = Vec::with_capacity(shape.channels);
        for h in &hist {
            let n: u64 = h.iter().sum();
            if n == 0 {
                mean.push(0.0);
                std.push(0.0);
                continue;
            }
            let n = n as f64;
            let m = h
                .iter()
                .enumerate()
                .map(|(v, &c)| c as f64 * (v as f64 / 255.0))
                .sum::<f64>()
                / n;
            let var = h
                .iter()
                .enumerate()
                .map(|(v, &c)| c as f64 * (v as f64 / 255.0 - m).powi(2))
                .sum::<f64>()
                / n;
            mean.push(m as f32);
            std.push(var.sqrt() as f32);
        }
        ChannelStats { mean, std }
    }
}

/// Fills batch matrices (one image per row, `C*H*W` columns) from a dataset view.
///
/// Built once before training; [`BatchFiller::fill`] then does no allocation as long as the
/// output matrix has room for the batch (a matrix of the largest batch size, reused).
///
/// # How values are computed
/// A 256-entry lookup table per channel, built from [`InputScaling::apply`], defines every
/// value. A lookup costs about a cycle per value, though, and each normalisation is at most two
/// divisions, which vectorise; IEEE division is correctly rounded, so computing the formula with
/// vector instructions gives the table's values bit for bit. The filler therefore computes
/// [`InputScaling::UnitRange`] and [`InputScaling::ZeroCentred`] (one division) directly,
/// [`InputScaling::Standardize`] (two) directly when the CPU has AVX2, and looks the values up
/// in the table otherwise: whichever is faster, always the same bits.
#[derive(Clone)]
pub struct BatchFiller {
    shape: ImageShape,
    /// `lut[c][x]` is the value of byte `x` in channel `c`.
    lut: Box<[[f32; 256]]>,
    /// Per channel, `value = (x / 255 - mean[c]) / std[c]`, with `std` 0 replaced by 1.
    mean: Box<[f32]>,
    std: Box<[f32]>,
    /// True for UnitRange and ZeroCentred: `std` is 1 and one division suffices.
    single_division: bool,
    /// Whether AVX2 code may run (detected once, at construction).
    avx2: bool,
}

impl std::fmt::Debug for BatchFiller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchFiller")
            .field("shape", &self.shape)
            .field("mean", &self.mean)
            .field("std", &self.std)
            .finish()
    }
}

impl BatchFiller {
    /// A filler for images of `shape`, normalised by `norm`.
    ///
    /// # Panics
    /// If `norm` is [`InputScaling::Standardize`] with statistics for a different number of
    /// channels than `shape.channels`.
    #[track_caller]
    pub fn new(shape: ImageShape, norm: &InputScaling) -> BatchFiller {
        let channels = shape.channels;
        let (mean, std) = norm.mean_std(channels);
        let single_division = !matches!(norm, InputScaling::Standardize(_));
        let lut = (0..channels)
            .map(|c| std::array::from_fn(|x| norm.apply(c, x as u8)))
            .collect();
        #[cfg(target_arch = "x86_64")]
        let avx2 = std::arch::is_x86_feature_detected!("avx2");
        #[cfg(not(target_arch = "x86_64"))]
        let avx2 = false;
        BatchFiller {
            shape,
            lut,
            mean: mean.into(),
            std: std.into(),
            single_division,
            avx2,
        }
    }

    /// The image shape this filler expects.
    pub fn shape(&self) -> ImageShape {
        self.shape
    }

    /// Writes images `indices` of `view` into the rows of `out`, normalised; `out` is resized to
    /// `indices.len()` rows (reusing its allocation when it has room).
    ///
    /// # Shapes
    /// `out`: any rows x `shape.len()` in, `indices.len()` x `shape.len()` out.
    ///
    /// # Panics
    /// If `out.cols() != shape.len()`, the view's image shape differs from the filler's, or an
    /// index is `>= view.len()`.
    #[track_caller]
    pub fn fill(&self, view: &DatasetView<'_>, indices: &[usize], out: &mut Matrix) {
        let image_len = self.shape.len();
        assert_eq!(
            view.shape(),
            self.shape,
            "view shape differs from the filler's"
        );
        assert_eq!(
            out.cols(),
            image_len,
            "batch matrix has {} columns, images have {image_len} values",
            out.cols()
        );
        for &i in indices {
            assert!(
                i < view.len(),
                "index {i} out of range for a view of {} images",
                view.len()
            );
        }
        out.resize_rows(indices.len());
        let data = out.as_mut_slice();
        match (self.single_division, self.avx2) {
            // SAFETY: `avx2` comes from runtime feature detection in `new`.
            #[cfg(target_arch = "x86_64")]
            (true, true) => unsafe { fill_one_division_avx2(self, view, indices, data) },
            // SAFETY: as above.
            #[cfg(target_arch = "x86_64")]
            (false, true) => unsafe { fill_two_divisions_avx2(self, view, indices, data) },
            (true, _) => fill_formula::<false>(self, view, indices, data),
            (false, _) => self.fill_table(view, indices, data),
        }
    }

    /// The reference path: one table lookup per value.
    fn fill_table(&self, view: &DatasetView<'_>, indices: &[usize], data: &mut [f32]) {
        let plane = self.shape.plane_len();
        for (row, &i) in data.chunks_exact_mut(self.shape.len()).zip(indices) {
            let planes = row
                .chunks_exact_mut(plane)
                .zip(view.image(i).chunks_exact(plane));
            for ((dst, src), lut) in planes.zip(self.lut.iter()) {
                for (d, &s) in dst.iter_mut().zip(src) {
                    *d = lut[s as usize];
                }
            }
        }
    }
}

/// How many rows ahead [`fill_formula`] asks for the image it will read. Training visits rows in
/// shuffled order, so each image starts with a cache miss that no hardware prefetcher predicts;
/// asking two images ahead overlaps those misses with the conversion of the current one.
const PREFETCH_ROWS: usize = 2;

/// Hints the processor to bring `bytes` into cache; a no-op off x86-64.
#[inline(always)]
fn prefetch(bytes: &[u8]) {
    #[cfg(target_arch = "x86_64")]
    for line in bytes.chunks(64) {
        // SAFETY: prefetching is a hint that never faults; SSE is part of x86-64.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                line.as_ptr().cast(),
            );
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = bytes;
}

/// The formula of [`InputScaling::apply`], `(x / 255 - mean) / std` per channel, written so
/// that it vectorises; `TWO` false skips the division by `std` (which is then 1, and dividing by
/// 1 is exact, so the bits are the same).
#[inline(always)]
fn fill_formula<const TWO: bool>(
    f: &BatchFiller,
    view: &DatasetView<'_>,
    indices: &[usize],
    data: &mut [f32],
) {
    let plane = f.shape.plane_len();
    for (r, (row, &i)) in data
        .chunks_exact_mut(f.shape.len())
        .zip(indices)
        .enumerate()
    {
        if let Some(&ahead) = indices.get(r + PREFETCH_ROWS) {
            prefetch(view.image(ahead));
        }
        let planes = row
            .chunks_exact_mut(plane)
            .zip(view.image(i).chunks_exact(plane));
        for ((dst, src), (&m, &s)) in planes.zip(f.mean.iter().zip(f.std.iter())) {
            for (d, &x) in dst.iter_mut().zip(src) {
                let centred = x as f32 / 255.0 - m;
                *d = if TWO { centred / s } else { centred };
            }
        }
    }
}

/// [`fill_formula`] with one division, compiled for AVX2 (8 lanes instead of 4).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn fill_one_division_avx2(
    f: &BatchFiller,
    view: &DatasetView<'_>,
    idx: &[usize],
    data: &mut [f32],
) {
    fill_formula::<false>(f, view, idx, data);
}

/// [`fill_formula`] with two divisions, compiled for AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn fill_two_divisions_avx2(
    f: &BatchFiller,
    view: &DatasetView<'_>,
    idx: &[usize],
    data: &mut [f32],
) {
    fill_formula::<true>(f, view, idx, data);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Dataset;
    use proptest::prelude::*;

    fn shape(c: usize, h: usize, w: usize) -> ImageShape {
        ImageShape {
            channels: c,
            height: h,
            width: w,
        }
    }

    fn check(norm: InputScaling, x: u8, expect: f32) {
        assert_eq!(norm.apply(0, x), expect, "{norm:?} at {x}");
    }

    #[test]
    fn formulas() {
        // Values computed by hand from the documented formulas.
        check(InputScaling::UnitRange, 0, 0.0);
        check(InputScaling::UnitRange, 255, 1.0);
        check(InputScaling::UnitRange, 51, 0.2);
        check(InputScaling::ZeroCentred, 0, -0.5);
        check(InputScaling::ZeroCentred, 255, 0.5);
        let st = |m, s| {
            InputScaling::Standardize(ChannelStats {
                mean: vec![m],
                std: vec![s],
            })
        };
        check(st(0.2, 0.5), 51, 0.0);
        check(st(0.0, 0.5), 255, 2.0);
        check(st(1.0, 0.0), 255, 0.0); // std 0: only centred
    }

    fn dataset(c: usize, pixels: Vec<u8>) -> Dataset {
        let s = shape(c, 2, 3);
        let n = pixels.len() / s.len();
        Dataset::new(pixels, vec![0; n], vec!["a".into()], s).unwrap()
    }

    fn norms() -> impl Strategy<Value = InputScaling> {
        prop_oneof![
            Just(InputScaling::UnitRange),
            Just(InputScaling::ZeroCentred),
            (
                proptest::collection::vec(0.0f32..1.0, 2),
                proptest::collection::vec(0.0f32..1.0, 2)
            )
                .prop_map(|(mean, std)| InputScaling::Standardize(ChannelStats { mean, std })),
        ]
    }

    proptest! {
        #[test]
        fn the_affine_form_is_the_formula_up_to_rounding(norm in norms()) {
            let s = shape(2, 2, 3);
            let affine = norm.affine(s);
            prop_assert_eq!(affine.len(), s.len());
            for c in 0..s.len() {
                for u in 0..=255u8 {
                    let (want, got) = (norm.apply(c / s.plane_len(), u), affine.apply(c, u));
                    // Rounding is relative to the terms, which may nearly cancel.
                    let terms = (affine.scale()[c] * u as f32).abs().max(affine.offset()[c].abs());
                    prop_assert!((got - want).abs() <= 4.0 * f32::EPSILON * terms.max(1.0), "{got} vs {want}");
                }
            }
        }

        #[test]
        fn fill_matches_the_formula(
            pixels in proptest::collection::vec(any::<u8>(), 2 * 6 * 5),
            indices in proptest::collection::vec(0usize..5, 0..9),
            norm in norms(),
            start_rows in 0usize..12,
        ) {
            let ds = dataset(2, pixels);
            let filler = BatchFiller::new(ds.shape(), &norm);
            let mut out = Matrix::zeros(start_rows, 12);
            filler.fill(&ds.all(), &indices, &mut out);
            prop_assert_eq!(out.rows(), indices.len());
            // Every path gives the same bits: the table, the formula, the formula with AVX2.
            let no_avx2 = BatchFiller { avx2: false, ..filler.clone() };
            let mut table = Matrix::zeros(indices.len(), 12);
            no_avx2.fill_table(&ds.all(), &indices, table.as_mut_slice());
            let mut scalar = Matrix::zeros(1, 12);
            no_avx2.fill(&ds.all(), &indices, &mut scalar);
            let bits = |m: &Matrix| m.as_slice().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            for other in [&table, &scalar] {
                prop_assert_eq!(other.shape(), out.shape());
                prop_assert_eq!(bits(other), bits(&out));
            }
            for (r, &i) in indices.iter().enumerate() {
                for p in 0..12 {
                    // Slow oracle: the formula per pixel; the plane index is p / (H*W).
                    let want = norm.apply(p / 6, ds.image(i)[p]);
                    prop_assert_eq!(out.get(r, p).to_bits(), want.to_bits());
                }
            }
        }

        #[test]
        fn stats_match_a_direct_computation(
            pixels in proptest::collection::vec(any::<u8>(), 2 * 6..2 * 6 * 6),
        ) {
            let n = pixels.len() / 12;
            let ds = dataset(2, pixels[..n * 12].to_vec());
            let stats = ds.all().channel_stats();
            for c in 0..2 {
                // Slow oracle: two passes over the channel's values.
                let vals: Vec<f64> = (0..n)
                    .flat_map(|i| ds.image(i)[c * 6..(c + 1) * 6].to_vec())
                    .map(|x| x as f64 / 255.0)
                    .collect();
                let m = vals.iter().sum::<f64>() / vals.len() as f64;
                let v = vals.iter().map(|x| (x - m).powi(2)).sum::<f64>() / vals.len() as f64;
                prop_assert!((stats.mean[c] as f64 - m).abs() < 1e-6);
                prop_assert!((stats.std[c] as f64 - v.sqrt()).abs() < 1e-6);
            }
        }
    }

    #[test]
    fn standardized_batch_has_zero_mean_unit_std() {
        let pixels: Vec<u8> = (0..6 * 40).map(|i| ((i * 37) % 256) as u8).collect();
        let ds = dataset(1, pixels);
        let norm = InputScaling::Standardize(ds.all().channel_stats());
        let filler = BatchFiller::new(ds.shape(), &norm);
        let mut out = Matrix::zeros(0, 6);
        let all: Vec<usize> = (0..ds.len()).collect();
        filler.fill(&ds.all(), &all, &mut out);
        let v = out.as_slice();
        let m = v.iter().map(|&x| x as f64).sum::<f64>() / v.len() as f64;
        let s = (v.iter().map(|&x| (x as f64 - m).powi(2)).sum::<f64>() / v.len() as f64).sqrt();
        assert!(
            m.abs() < 1e-5 && (s - 1.0).abs() < 1e-5,
            "mean {m}, std {s}"
        );
    }

    #[test]
    fn empty_view_stats_are_zero() {
        let ds = dataset(2, vec![]);
        assert_eq!(
            ds.all().channel_stats(),
            ChannelStats {
                mean: vec![0.0; 2],
                std: vec![0.0; 2]
            }
        );
    }

    #[test]
    #[should_panic(expected = "columns")]
    fn wrong_width_panics() {
        let ds = dataset(1, vec![0; 6]);
        BatchFiller::new(ds.shape(), &InputScaling::UnitRange).fill(
            &ds.all(),
            &[0],
            &mut Matrix::zeros(1, 5),
        );
    }

    #[test]
    #[should_panic(expected = "channels")]
    fn stats_for_wrong_channel_count_panic() {
        let stats = ChannelStats {
            mean: vec![0.0],
            std: vec![1.0],
        };
        BatchFiller::new(shape(3, 1, 1), &InputScaling::Standardize(stats));
    }
}
