//! Weight templates: a dense layer's incoming weights seen as images ([`Templates`]), and the
//! output layer's weights over hidden units as signed bars ([`OutputBars`]).
//!
//! # Weight convention
//! A dense layer's weight is a [`Matrix`] of shape `(outputs, inputs)`: `weight.get(u, i)` is
//! the weight from input `i` to unit `u` (the convention of the workspace's `nn` crate and of
//! PyTorch, where the forward pass is `x · Wᵀ + b`). So unit `u`'s incoming weights are row `u`.

use serde::{Deserialize, Serialize};
use tensor::{ImageShape, Matrix};

/// How to map a template's signed weights to `0..=1` for display (not to be confused with how
/// pixels are scaled into a network's inputs, which is the caller's business).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DisplayScale {
    /// Each unit on its own: its smallest weight maps to 0, its largest to 1. Shows every
    /// template's pattern at full contrast; brightness cannot be compared across units. A unit
    /// whose weights are all equal maps to 0.5 everywhere.
    PerUnitMinMax,
    /// One scale for all units, symmetric around zero: `w / (2 * s) + 0.5`, where `s` is the
    /// largest `|w|` over all units ([`Templates::shared_scale`]). So 0.5 is a zero weight,
    /// 0 the most negative weight of the layer or its mirror, 1 the most positive or its
    /// mirror, and units can be compared. All 0.5 when every weight is zero.
    SharedSymmetric,
}

/// Every unit's incoming weights of a dense layer whose inputs are an image, as images.
///
/// # Weight convention
/// A dense layer's weight is a [`Matrix`] of shape `(outputs, inputs)`: `weight.get(u, i)` is
/// the weight from input `i` to unit `u` (the convention of the workspace's `nn` crate, where
/// the forward pass is `x · Wᵀ + b`). So unit `u`'s template is row `u`, and a template's
/// values come in the order of the inputs: the planar image order of [`ImageShape`].
///
/// # Example
/// ```
/// use introspect::{DisplayScale, ImageShape, Templates};
/// use tensor::Matrix;
/// // 4 inputs (a 2x2 grayscale image) into 1 unit.
/// let w = Matrix::from_vec(1, 4, vec![-2.0, 0.0, 1.0, 2.0]).unwrap();
/// let t = Templates::from_weight(&w, ImageShape { channels: 1, height: 2, width: 2 });
/// assert_eq!(t.image(0, DisplayScale::PerUnitMinMax), [0.0, 0.5, 0.75, 1.0]);
/// assert_eq!(t.image(0, DisplayScale::SharedSymmetric), [0.0, 0.5, 0.75, 1.0]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Templates {
    shape: ImageShape,
    /// `units x shape.len()`: unit `u`'s template is row `u` (the weight matrix transposed).
    values: Matrix,
    scale: f32,
}

impl Templates {
    /// The templates of a layer with weight `weight` (`units x inputs`, see the
    /// [weight convention](Templates#weight-convention)) whose inputs are images of `shape`.
    ///
    /// Weights are expected to be finite; a NaN weight stays NaN in every image.
    ///
    /// # Panics
    /// If `weight.cols() != shape.len()`.
    #[track_caller]
    pub fn from_weight(weight: &Matrix, shape: ImageShape) -> Self {
        assert_eq!(
            weight.cols(),
            shape.len(),
            "a weight with {} inputs cannot be seen as {}x{}x{} images",
            weight.cols(),
            shape.channels,
            shape.height,
            shape.width
        );
        let values = weight.clone();
        let scale = max_abs(values.as_slice());
        Self {
            shape,
            values,
            scale,
        }
    }

    /// The image shape of every template.
    pub fn shape(&self) -> ImageShape {
        self.shape
    }

    /// Number of units (templates).
    pub fn len(&self) -> usize {
        self.values.rows()
    }

    /// True when the layer has no units.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Unit `unit`'s raw, signed weights in image order.
    ///
    /// # Panics
    /// If `unit >= len()`.
    #[track_caller]
    pub fn raw(&self, unit: usize) -> &[f32] {
        self.values.row(unit)
    }

    /// The largest `|w|` over all units: the scale of [`DisplayScale::SharedSymmetric`].
    pub fn shared_scale(&self) -> f32 {
        self.scale
    }

    /// Unit `unit`'s template mapped to `0..=1` by `norm`, in image order.
    ///
    /// # Panics
    /// If `unit >= len()`.
    #[track_caller]
    pub fn image(&self, unit: usize, norm: DisplayScale) -> Vec<f32> {
        let raw = self.raw(unit);
        match norm {
            DisplayScale::PerUnitMinMax => {
                let lo = raw.iter().copied().fold(f32::INFINITY, f32::min);
                let hi = raw.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                if hi > lo {
                    raw.iter().map(|&w| (w - lo) / (hi - lo)).collect()
                } else {
                    raw.iter()
                        .map(|&w| if w.is_nan() { w } else { 0.5 })
                        .collect()
                }
            }
            DisplayScale::SharedSymmetric => {
                symmetric(raw, self.scale).map(|v| v * 0.5 + 0.5).collect()
            }
        }
    }

    /// Every unit's template under `norm`, in unit order.
    pub fn images(&self, norm: DisplayScale) -> Vec<Vec<f32>> {
        (0..self.len()).map(|u| self.image(u, norm)).collect()
    }
}

/// The weights of each output unit over the hidden units of a 2-layer net: the bars under the
/// filters in the chapter's weights demo (up positive, down negative).
///
/// # Example
/// ```
/// use introspect::OutputBars;
/// use tensor::Matrix;
/// // 2 hidden units into 3 outputs: weight is outputs x hidden.
/// let w = Matrix::from_vec(3, 2, vec![1.0, 2.0, -4.0, 0.5, 0.0, -1.0]).unwrap();
/// let bars = OutputBars::from_weight(&w);
/// assert_eq!(bars.row(1), &[-4.0, 0.5]); // output 1 over hidden 0 and 1
/// assert_eq!(bars.scale(), 4.0);
/// assert_eq!(bars.scaled(1), [-1.0, 0.125]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct OutputBars {
    /// `outputs x hidden`.
    values: Matrix,
    scale: f32,
}

impl OutputBars {
    /// The bars of an output layer with weight `weight` (`outputs x hidden`, the
    /// [weight convention](Templates#weight-convention) of [`Templates`]).
    pub fn from_weight(weight: &Matrix) -> Self {
        let values = weight.clone();
        let scale = max_abs(values.as_slice());
        Self { values, scale }
    }

    /// Number of output units (rows of bars).
    pub fn outputs(&self) -> usize {
        self.values.rows()
    }

    /// Number of hidden units (bars per row).
    pub fn hidden(&self) -> usize {
        self.values.cols()
    }

    /// The signed weights, `outputs x hidden`: entry `(o, h)` is the weight from hidden unit `h`
    /// into output `o`.
    pub fn values(&self) -> &Matrix {
        &self.values
    }

    /// Output `output`'s signed weights over the hidden units.
    ///
    /// # Panics
    /// If `output >= outputs()`.
    #[track_caller]
    pub fn row(&self, output: usize) -> &[f32] {
        self.values.row(output)
    }

    /// The largest `|w|` over all outputs: one scale shared by every row, so bars can be
    /// compared across classes.
    pub fn scale(&self) -> f32 {
        self.scale
    }

    /// Output `output`'s weights divided by [`scale`](Self::scale): in `-1..=1`, signed, 0 for a
    /// zero weight (all 0 when every weight is zero).
    ///
    /// # Panics
    /// If `output >= outputs()`.
    #[track_caller]
    pub fn scaled(&self, output: usize) -> Vec<f32> {
        symmetric(self.row(output), self.scale).collect()
    }
}

/// Largest absolute value, ignoring NaN; 0 for an empty slice.
fn max_abs(values: &[f32]) -> f32 {
    values.iter().fold(0.0, |m: f32, v| m.max(v.abs()))
}

/// `w / scale` in `-1..=1`; all zero when `scale` is 0 (every weight was zero).
fn symmetric(raw: &[f32], scale: f32) -> impl Iterator<Item = f32> + '_ {
    raw.iter()
        .map(move |&w| if scale > 0.0 { w / scale } else { w })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const GRAY_2X2: ImageShape = ImageShape {
        channels: 1,
        height: 2,
        width: 2,
    };

    #[test]
    fn templates_are_the_columns_of_the_weight_in_image_order() {
        // Input i to unit u has weight 10 * u + i, so unit u's template is [10u, 10u+1, ...].
        let w = Matrix::from_fn(4, 3, |i, u| (10 * u + i) as f32);
        let t = Templates::from_weight(&w.transpose(), GRAY_2X2);
        assert_eq!(t.len(), 3);
        assert_eq!(t.raw(0), &[0.0, 1.0, 2.0, 3.0]);
        assert_eq!(t.raw(2), &[20.0, 21.0, 22.0, 23.0]);
        assert_eq!(t.shared_scale(), 23.0);
    }

    #[test]
    fn colour_templates_are_planar() {
        // A (2, 1, 2) image: inputs 0,1 are channel 0, inputs 2,3 channel 1.
        let shape = ImageShape {
            channels: 2,
            height: 1,
            width: 2,
        };
        let w = Matrix::from_vec(4, 1, vec![1.0, 2.0, 3.0, 4.0]).unwrap();
        assert_eq!(
            Templates::from_weight(&w.transpose(), shape).raw(0),
            &[1.0, 2.0, 3.0, 4.0]
        );
    }

    fn check(weights: &[f32], units: usize, norm: DisplayScale, expect: &[&[f32]]) {
        let w = Matrix::from_vec(4, units, weights.to_vec()).unwrap();
        let got = Templates::from_weight(&w.transpose(), GRAY_2X2).images(norm);
        assert_eq!(got, expect, "{norm:?} of {weights:?}");
    }

    #[test]
    fn display_scales_of_known_weights() {
        use DisplayScale::{PerUnitMinMax as MinMax, SharedSymmetric as Sym};
        // Two units, weights as (input, unit) rows: unit 0 = [-1, 0, 1, 4], unit 1 = [0.5; 4].
        let w = [-1.0, 0.5, 0.0, 0.5, 1.0, 0.5, 4.0, 0.5];
        // Min-max of unit 0: (w + 1) / 5; a constant unit is all 0.5.
        check(&w, 2, MinMax, &[&[0.0, 0.2, 0.4, 1.0], &[0.5; 4]]);
        // Shared scale 4: w / 8 + 0.5.
        check(&w, 2, Sym, &[&[0.375, 0.5, 0.625, 1.0], &[0.5625; 4]]);
        // All-zero weights: everything is "zero weight", 0.5.
        check(&[0.0; 4], 1, Sym, &[&[0.5; 4]]);
        check(&[0.0; 4], 1, MinMax, &[&[0.5; 4]]);
    }

    #[test]
    #[should_panic(expected = "a weight with 5 inputs cannot be seen as 1x2x2 images")]
    fn a_weight_of_the_wrong_height_panics() {
        let _ = Templates::from_weight(&Matrix::zeros(1, 5), GRAY_2X2);
    }

    #[test]
    fn output_bars_are_outputs_by_hidden_with_a_shared_scale() {
        // Hidden h into output o has weight (h + 1) * (o as f32 - 1): outputs 0, 1, 2 get
        // -(h+1), 0, (h+1); the largest |w| is 3 (h = 2).
        let w = Matrix::from_fn(3, 3, |h, o| (h + 1) as f32 * (o as f32 - 1.0));
        let bars = OutputBars::from_weight(&w.transpose());
        assert_eq!((bars.outputs(), bars.hidden()), (3, 3));
        assert_eq!(bars.row(0), &[-1.0, -2.0, -3.0]);
        assert_eq!(bars.scaled(2), [1.0 / 3.0, 2.0 / 3.0, 1.0]);
        assert_eq!(bars.scaled(1), [0.0; 3]);
        assert_eq!(bars.values().get(2, 1), 2.0);
    }

    proptest! {
        #[test]
        fn normalised_images_stay_in_unit_range(
            (units, w) in (1usize..5).prop_flat_map(|u| (Just(u), proptest::collection::vec(-5.0f32..5.0, 4 * u))),
        ) {
            let t = Templates::from_weight(&Matrix::from_vec(4, units, w).unwrap().transpose(), GRAY_2X2);
            for norm in [DisplayScale::PerUnitMinMax, DisplayScale::SharedSymmetric] {
                for img in t.images(norm) {
                    prop_assert!(img.iter().all(|v| (0.0..=1.0).contains(v)), "{norm:?}: {img:?}");
                }
            }
            // The shared scale reaches 0 or 1 somewhere, unless all weights are zero.
            let sym = t.images(DisplayScale::SharedSymmetric).concat();
            prop_assert!(t.shared_scale() == 0.0 || sym.iter().any(|&v| v == 0.0 || v == 1.0));
        }
    }
}
