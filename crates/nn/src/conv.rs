//! Convolution and max-pooling over feature maps: shape arithmetic, forward and backward passes.
//!
//! # Layout
//! Inside a network a batch of feature maps is one [`Matrix`] of `N·H·W` rows and `C` columns:
//! row `(n·H + y)·W + x` holds the `C` channel values of pixel `(y, x)` of sample `n` (NHWC).
//! A window is ordered kernel row, kernel column, channel, so each of its kernel rows is one
//! contiguous run of `k·C` values of the maps. Filters are stored as PyTorch orders them
//! (channel, kernel row, kernel column) and reordered for the products.
//!
//! With at most 24 filters (both chapter networks) a layer keeps a zero-padded copy of its
//! input and its products read every window from there in place
//! ([`tensor::ops::gemm_rows_nt`], [`tensor::ops::gemm_lines_tn_add`]): no window is copied
//! out. The input gradient of a stride-1 layer is then a convolution of its own, of the
//! output gradient padded by `k − 1 − pad` with the filters flipped and their channels and
//! filters swapped. Otherwise [`im2col`] copies every window into a row, one `gemm` gives the
//! outputs, two more the gradients, and [`col2im`] adds the window gradients back onto their
//! pixels.
//!
//! Datasets hand images over planar (N, C, H, W); [`nchw_to_nhwc`] converts a batch once, on
//! entry.
//!
//! # Determinism
//! `tensor`'s products are deterministic on any thread count. The in-place forward pass, the
//! copies and pooling run in parallel over samples, each sample writing only its own rows; the
//! in-place weight gradient in parallel over kernel rows, each summing over all samples in
//! order. Every sum runs in a fixed order: the same bits on one thread or many.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tensor::ops::{self, Trans};
use tensor::{ImageShape, Matrix, MatrixView};

/// A window geometry that cannot produce an output.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConvError {
    /// The kernel (or pooling window) size is zero.
    #[error("{layer}: the window size is 0")]
    ZeroSize {
        /// `conv` or `pool`.
        layer: &'static str,
    },
    /// The stride is zero.
    #[error("{layer}: the stride is 0")]
    ZeroStride {
        /// `conv` or `pool`.
        layer: &'static str,
    },
    /// The padding is more than half the kernel: some windows would hold padding only.
    #[error("conv: padding {pad} is more than half the kernel size {kernel}")]
    PadTooLarge {
        /// Zero padding on each side.
        pad: usize,
        /// Kernel size.
        kernel: usize,
    },
    /// The (padded) input is smaller than the window.
    #[error("{layer}: a {window}x{window} window does not fit in a padded input of {input}")]
    InputTooSmall {
        /// `conv` or `pool`.
        layer: &'static str,
        /// Window size.
        window: usize,
        /// Padded input extent along the failing axis.
        input: usize,
    },
    /// The input has a different number of channels than the layer expects.
    #[error("conv: the input has {got} channels, the layer takes {expected}")]
    Channels {
        /// The layer's input channels.
        expected: usize,
        /// The input's channels.
        got: usize,
    },
    /// A layer list that ends in something other than feature maps, or is otherwise unusable.
    #[error("{0}")]
    Stack(String),
}

/// Output extent along one axis of a window of `window` sliding by `stride` over `input` values
/// padded by `pad` on each side: `(input + 2·pad - window) / stride + 1`, windows that would run
/// past the end dropped (as PyTorch does).
///
/// # Errors
/// [`ConvError`] for a zero window or stride, a padding above `window / 2` or a padded input
/// smaller than the window.
///
/// # Example
/// ```
/// assert_eq!(nn::conv::output_extent("conv", 28, 5, 1, 2), Ok(28));
/// assert_eq!(nn::conv::output_extent("pool", 14, 3, 3, 0), Ok(4));
/// assert!(nn::conv::output_extent("conv", 3, 5, 1, 0).is_err());
/// ```
pub fn output_extent(
    layer: &'static str,
    input: usize,
    window: usize,
    stride: usize,
    pad: usize,
) -> Result<usize, ConvError> {
    if window == 0 {
        return Err(ConvError::ZeroSize { layer });
    }
    if stride == 0 {
        return Err(ConvError::ZeroStride { layer });
    }
    if pad > window / 2 {
        return Err(ConvError::PadTooLarge {
            pad,
            kernel: window,
        });
    }
    let padded = input + 2 * pad;
    if padded < window {
        return Err(ConvError::InputTooSmall {
            layer,
            window,
            input: padded,
        });
    }
    Ok((padded - window) / stride + 1)
}

/// The shape of a 2-D convolution: square kernels, the same stride and zero padding on both
/// axes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Conv2dSpec {
    /// Output channels (filters).
    pub filters: usize,
    /// Kernel side.
    pub kernel: usize,
    /// Step between windows.
    pub stride: usize,
    /// Zeros added on each side.
    pub pad: usize,
}

impl Conv2dSpec {
    /// The output shape for an input of shape `input`.
    ///
    /// # Errors
    /// As [`output_extent`], on either axis.
    pub fn output(&self, input: ImageShape) -> Result<ImageShape, ConvError> {
        Ok(ImageShape {
            channels: self.filters,
            height: output_extent("conv", input.height, self.kernel, self.stride, self.pad)?,
            width: output_extent("conv", input.width, self.kernel, self.stride, self.pad)?,
        })
    }
}

/// The shape of a 2-D max-pooling: square windows, no padding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MaxPool2dSpec {
    /// Window side.
    pub size: usize,
    /// Step between windows.
    pub stride: usize,
}

impl MaxPool2dSpec {
    /// The output shape for an input of shape `input` (channels unchanged).
    ///
    /// # Errors
    /// As [`output_extent`], on either axis.
    pub fn output(&self, input: ImageShape) -> Result<ImageShape, ConvError> {
        Ok(ImageShape {
            channels: input.channels,
            height: output_extent("pool", input.height, self.size, self.stride, 0)?,
            width: output_extent("pool", input.width, self.size, self.stride, 0)?,
        })
    }
}

/// A convolution bound to its input shape: everything the passes index with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conv2d {
    /// The layer's shape.
    pub spec: Conv2dSpec,
    /// Input maps.
    pub input: ImageShape,
    /// Output maps.
    pub output: ImageShape,
}

impl Conv2d {
    /// The layer on inputs of shape `input`.
    ///
    /// # Errors
    /// As [`Conv2dSpec::output`].
    pub fn new(spec: Conv2dSpec, input: ImageShape) -> Result<Self, ConvError> {
        Ok(Conv2d {
            spec,
            input,
            output: spec.output(input)?,
        })
    }

    /// Values per window row of [`im2col`]: `C·k·k`, the width of a filter.
    pub fn patch_len(&self) -> usize {
        self.input.channels * self.spec.kernel * self.spec.kernel
    }

    /// Whether the passes read the windows in place from a zero-padded copy of the input
    /// instead of copying them out into window rows ([`im2col`]): whenever the filters fit
    /// the narrow kernels' outputs, which both chapter networks' do.
    fn in_place(&self) -> bool {
        self.spec.filters <= ops::NarrowFilters::MAX_ROWS
    }

    /// `out = windows(x) · weightᵀ + bias`, keeping in `cols` what the backward pass reads
    /// the windows from: the input zero-padded (`N·(H+2p)·(W+2p) x C`), or, for more filters
    /// than the narrow kernels take, the window rows of [`im2col`].
    ///
    /// # Shapes
    /// `x` is `N·H·W x C` (NHWC), `weight` is `F x C·k·k` (each filter ordered channel, kernel
    /// row, kernel column, as PyTorch orders it), `bias` `1 x F`; `out` becomes
    /// `N·OH·OW x F` (resized, as `cols` is).
    ///
    /// # Panics
    /// If the shapes disagree with the layer.
    #[track_caller]
    pub fn forward_into(
        &self,
        x: MatrixView<'_>,
        weight: &Matrix,
        bias: &Matrix,
        cols: &mut Matrix,
        out: &mut Matrix,
    ) {
        let w = self.filters_in_window_order(weight);
        if !self.in_place() {
            im2col(self, x, cols);
            resize(out, cols.rows(), self.spec.filters);
            ops::gemm(cols.view(), Trans::No, w.view(), Trans::Yes, out);
            ops::add_row_broadcast(out, bias.as_slice());
            return;
        }
        let (i, o, s) = (self.input, self.output, self.spec);
        let (k, ch, f) = (s.kernel, i.channels, s.filters);
        assert!(
            w.shape() == (f, self.patch_len()) && bias.as_slice().len() == f,
            "Conv2d::forward_into: weight is {}x{} and bias {} long, expected {f}x{} and {f}",
            weight.rows(),
            weight.cols(),
            bias.as_slice().len(),
            self.patch_len()
        );
        let filters = ops::NarrowFilters::new(w.view()).expect("in_place: the filters fit");
        let n = pad_maps(x, i, s.pad, cols);
        let (hp, wp) = (i.height + 2 * s.pad, i.width + 2 * s.pad);
        let layout = ops::RowLayout {
            step: s.stride * ch,
            runs: k,
            run_step: wp * ch,
            run_len: k * ch,
        };
        resize(out, n * o.height * o.width, f);
        let bias = bias.as_slice();
        out.as_mut_slice()
            .par_chunks_mut((o.height * o.width * f).max(1))
            .zip(cols.as_slice().par_chunks((hp * wp * ch).max(1)))
            .for_each(|(dst, pad)| {
                for (oy, row) in dst.chunks_exact_mut(o.width * f).enumerate() {
                    ops::gemm_rows_nt(&pad[oy * s.stride * wp * ch..], layout, &filters, row);
                    for px in row.chunks_exact_mut(f) {
                        for (v, b) in px.iter_mut().zip(bias) {
                            *v += b;
                        }
                    }
                }
            });
    }

    /// Parameter gradients `dW = dyᵀ · windows`, `db = Σ_rows dy`, and, when `dx` is given,
    /// the input gradient (using `dcols` as scratch). `cols` is what [`Conv2d::forward_into`]
    /// left there; `dweight` comes out ordered as `weight` is.
    ///
    /// # Panics
    /// If the shapes disagree with the layer.
    #[track_caller]
    #[allow(clippy::too_many_arguments)]
    pub fn backward_into(
        &self,
        cols: &Matrix,
        dy: MatrixView<'_>,
        weight: &Matrix,
        dweight: &mut Matrix,
        dbias: &mut Matrix,
        dcols: &mut Matrix,
        dx: Option<&mut Matrix>,
    ) {
        let dw = if self.in_place() {
            self.weight_gradient_in_place(cols, dy)
        } else {
            let mut dw = Matrix::zeros(dweight.rows(), dweight.cols());
            ops::gemm(dy, Trans::Yes, cols.view(), Trans::No, &mut dw);
            dw
        };
        self.filters_in_pytorch_order(&dw, dweight);
        ops::sum_rows_into(dy, dbias.as_mut_slice());
        if let Some(dx) = dx
            && !self.input_gradient_direct(dy, weight, dcols, dx)
        {
            resize(dcols, dy.rows(), self.patch_len());
            let w = self.filters_in_window_order(weight);
            ops::gemm(dy, Trans::No, w.view(), Trans::No, dcols);
            col2im(self, dcols, dx);
        }
    }

    /// `dyᵀ · windows` in window order, the windows read from the padded input `padded` one
    /// kernel row at a time, sample by sample: each value summed over the batch's output
    /// pixels in order.
    #[track_caller]
    fn weight_gradient_in_place(&self, padded: &Matrix, dy: MatrixView<'_>) -> Matrix {
        let (i, o, s) = (self.input, self.output, self.spec);
        let (k, ch, f) = (s.kernel, i.channels, s.filters);
        let (hp, wp) = (i.height + 2 * s.pad, i.width + 2 * s.pad);
        let out_plane = o.height * o.width;
        assert!(
            dy.cols() == f
                && out_plane > 0
                && dy.rows().is_multiple_of(out_plane)
                && padded.shape() == (dy.rows() / out_plane * hp * wp, ch),
            "Conv2d::backward_into: dy is {}x{} and the kept input {}x{}, expected N*{out_plane} \
             x {f} and N*{} x {ch}",
            dy.rows(),
            dy.cols(),
            padded.rows(),
            padded.cols(),
            hp * wp
        );
        let run = k * ch;
        let lines = ops::LineLayout {
            per_line: o.width,
            line_step: s.stride * wp * ch,
            step: s.stride * ch,
        };
        // One block per kernel row: its columns of every filter are one run of the input. The
        // blocks are independent sums, computed in parallel: the same bits on any threads.
        let mut blocks = vec![0.0f32; k * f * run];
        let (dys, pads) = (dy.as_slice(), padded.as_slice());
        blocks
            .par_chunks_mut(f * run)
            .enumerate()
            .for_each(|(ky, block)| {
                for sample in 0..dy.rows() / out_plane {
                    let d = &dys[sample * out_plane * f..][..out_plane * f];
                    let d = MatrixView::new(out_plane, f, d).expect("a sample's rows");
                    let pad = &pads[(sample * hp + ky) * wp * ch..];
                    ops::gemm_lines_tn_add(d, pad, lines, run, block);
                }
            });
        let mut dw = Matrix::zeros(f, self.patch_len());
        for (ky, block) in blocks.chunks_exact(f * run).enumerate() {
            for (fi, values) in block.chunks_exact(run).enumerate() {
                dw.row_mut(fi)[ky * run..(ky + 1) * run].copy_from_slice(values);
            }
        }
        dw
    }

    /// The input gradient of a stride-1 layer computed as a convolution of its own, without
    /// window rows: `dy` zero-padded by `k - 1 - pad` on each side (into `padded`), its windows
    /// read in place by [`ops::gemm_rows_nt`] against the filters flipped in both directions,
    /// channels and filters swapped. Returns false, touching nothing, for a layer it does not
    /// cover: a stride above 1, padding of a kernel's side or more, a single input channel, or
    /// more input channels than the narrow kernels' outputs.
    fn input_gradient_direct(
        &self,
        dy: MatrixView<'_>,
        weight: &Matrix,
        padded: &mut Matrix,
        dx: &mut Matrix,
    ) -> bool {
        let (i, o, s) = (self.input, self.output, self.spec);
        let (k, ch, f) = (s.kernel, i.channels, s.filters);
        // One input channel would fill one lane of each register: the product into window
        // rows is faster there (criterion, MNIST's first layer: 1.4-1.6 ms against 1.8).
        if s.stride != 1
            || s.pad >= k
            || !(2..=ops::NarrowFilters::MAX_ROWS).contains(&ch)
            || weight.shape() != (f, self.patch_len())
        {
            return false;
        }
        // b[c][(ky, kx, f)] = w[f][c][k-1-ky][k-1-kx]: the transposed convolution's filters.
        let mut b = Matrix::zeros(ch, k * k * f);
        for fi in 0..f {
            let w = weight.row(fi);
            for c in 0..ch {
                let row = b.row_mut(c);
                for ky in 0..k {
                    for kx in 0..k {
                        row[(ky * k + kx) * f + fi] = w[(c * k + (k - 1 - ky)) * k + (k - 1 - kx)];
                    }
                }
            }
        }
        let filters = ops::NarrowFilters::new(b.view()).expect("checked: the channels fit");
        let q = k - 1 - s.pad;
        let (hp, wp) = (o.height + 2 * q, o.width + 2 * q);
        debug_assert_eq!((hp - k + 1, wp - k + 1), (i.height, i.width));
        let n = pad_maps(dy, o, q, padded);
        let layout = ops::RowLayout {
            step: f,
            runs: k,
            run_step: wp * f,
            run_len: k * f,
        };
        resize(dx, n * i.height * i.width, ch);
        let row_len = i.width * ch;
        dx.as_mut_slice()
            .par_chunks_mut(i.height * row_len)
            .zip(padded.as_slice().par_chunks(hp * wp * f))
            .for_each(|(dst, pad)| {
                for (y, out) in dst.chunks_exact_mut(row_len).enumerate() {
                    ops::gemm_rows_nt(&pad[y * wp * f..], layout, &filters, out);
                }
            });
        true
    }

    /// Calls `f(pytorch, window)` for every value of a filter: its index in PyTorch's order
    /// (channel, kernel row, kernel column) and in [`im2col`]'s (kernel row, kernel column,
    /// channel).
    fn for_each_filter_index(&self, mut f: impl FnMut(usize, usize)) {
        let (k, ch) = (self.spec.kernel, self.input.channels);
        for c in 0..ch {
            for ky in 0..k {
                for kx in 0..k {
                    f((c * k + ky) * k + kx, (ky * k + kx) * ch + c);
                }
            }
        }
    }

    /// `weight` (filters in PyTorch's order) with each filter in [`im2col`]'s order.
    fn filters_in_window_order(&self, weight: &Matrix) -> Matrix {
        if weight.cols() != self.patch_len() {
            // The product's shape check names the mismatch.
            return weight.clone();
        }
        let mut w = Matrix::zeros(weight.rows(), weight.cols());
        for f in 0..weight.rows() {
            let (src, dst) = (weight.row(f), w.row_mut(f));
            self.for_each_filter_index(|p, q| dst[q] = src[p]);
        }
        w
    }

    /// The inverse of [`Conv2d::filters_in_window_order`], written into `out`.
    fn filters_in_pytorch_order(&self, w: &Matrix, out: &mut Matrix) {
        for f in 0..w.rows() {
            let (src, dst) = (w.row(f), out.row_mut(f));
            self.for_each_filter_index(|p, q| dst[p] = src[q]);
        }
    }
}

/// Copies every window of the NHWC batch `x` into a row of `cols` (resized to
/// `N·OH·OW x C·k·k`), zeros where the window covers padding. A row is ordered kernel row,
/// kernel column, channel: each kernel row of a window is then one run of `k·C` values of `x`,
/// copied whole (the layer's passes reorder the filters to match).
///
/// # Panics
/// If `x` is not `N·H·W x C` for the layer's input.
#[track_caller]
pub fn im2col(layer: &Conv2d, x: MatrixView<'_>, cols: &mut Matrix) {
    let (i, o, s) = (layer.input, layer.output, layer.spec);
    let plane = i.height * i.width;
    assert!(
        x.cols() == i.channels && plane > 0 && x.rows().is_multiple_of(plane),
        "im2col: input is {}x{}, expected N*{plane} x {}",
        x.rows(),
        x.cols(),
        i.channels
    );
    let n = x.rows() / plane;
    let (k, ch, patch) = (s.kernel, i.channels, layer.patch_len());
    let out_plane = o.height * o.width;
    resize(cols, n * out_plane, patch);
    let xs = x.as_slice();
    cols.as_mut_slice()
        .par_chunks_mut((out_plane * patch).max(1))
        .enumerate()
        .for_each(|(sample, block)| {
            let src = &xs[sample * plane * ch..(sample + 1) * plane * ch];
            for (w, row) in block.chunks_exact_mut(patch).enumerate() {
                let (oy, ox) = (w / o.width, w % o.width);
                for_each_run(layer, oy, ox, |ky, kx, len, at| {
                    let dst = &mut row[(ky * k + kx) * ch..][..len * ch];
                    match at {
                        Some(p) => dst.copy_from_slice(&src[p * ch..][..len * ch]),
                        None => dst.fill(0.0),
                    }
                });
            }
        });
}

/// Visits window `(oy, ox)` of `layer` as runs along kernel rows: `f(ky, kx, len, at)` covers
/// kernel positions `kx..kx + len` of row `ky`, read from input pixels `at..at + len` (pixel
/// index `y·W + x` within a sample), or padding when `at` is `None`. Runs come in window order.
#[inline]
fn for_each_run(
    layer: &Conv2d,
    oy: usize,
    ox: usize,
    mut f: impl FnMut(usize, usize, usize, Option<usize>),
) {
    let (i, s) = (layer.input, layer.spec);
    let k = s.kernel;
    // Kernel columns kx0..kx1 fall inside the input; the rest is padding.
    let x0 = (ox * s.stride) as isize - s.pad as isize;
    let kx0 = (-x0).clamp(0, k as isize) as usize;
    let kx1 = (i.width as isize - x0).clamp(kx0 as isize, k as isize) as usize;
    for ky in 0..k {
        let y = (oy * s.stride + ky) as isize - s.pad as isize;
        if y < 0 || y >= i.height as isize {
            f(ky, 0, k, None);
            continue;
        }
        if kx0 > 0 {
            f(ky, 0, kx0, None);
        }
        if kx1 > kx0 {
            let at = y as usize * i.width + (x0 + kx0 as isize) as usize;
            f(ky, kx0, kx1 - kx0, Some(at));
        }
        if kx1 < k {
            f(ky, kx1, k - kx1, None);
        }
    }
}

/// The adjoint of [`im2col`]: adds each window row of `dcols` back onto the pixels it was
/// copied from, overwriting `dx` (resized to `N·H·W x C`). Windows are visited in output order
/// within each sample, so every pixel's sum has one fixed order.
///
/// # Panics
/// If `dcols` is not `N·OH·OW x C·k·k` for the layer.
#[track_caller]
pub fn col2im(layer: &Conv2d, dcols: &Matrix, dx: &mut Matrix) {
    let (i, o, s) = (layer.input, layer.output, layer.spec);
    let (k, ch, patch) = (s.kernel, i.channels, layer.patch_len());
    let out_plane = o.height * o.width;
    assert!(
        dcols.cols() == patch && out_plane > 0 && dcols.rows().is_multiple_of(out_plane),
        "col2im: window rows are {}x{}, expected N*{out_plane} x {patch}",
        dcols.rows(),
        dcols.cols()
    );
    let n = dcols.rows() / out_plane;
    let plane = i.height * i.width;
    resize(dx, n * plane, ch);
    let src = dcols.as_slice();
    dx.as_mut_slice()
        .par_chunks_mut((plane * ch).max(1))
        .enumerate()
        .for_each(|(sample, dst)| {
            dst.fill(0.0);
            let block = &src[sample * out_plane * patch..(sample + 1) * out_plane * patch];
            for (w, row) in block.chunks_exact(patch).enumerate() {
                let (oy, ox) = (w / o.width, w % o.width);
                for_each_run(layer, oy, ox, |ky, kx, len, at| {
                    if let Some(p) = at {
                        let from = &row[(ky * k + kx) * ch..][..len * ch];
                        for (d, v) in dst[p * ch..][..len * ch].iter_mut().zip(from) {
                            *d += v;
                        }
                    }
                });
            }
        });
}

/// A max-pooling bound to its input shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaxPool2d {
    /// The layer's shape.
    pub spec: MaxPool2dSpec,
    /// Input maps.
    pub input: ImageShape,
    /// Output maps.
    pub output: ImageShape,
}

impl MaxPool2d {
    /// The layer on inputs of shape `input`.
    ///
    /// # Errors
    /// As [`MaxPool2dSpec::output`].
    pub fn new(spec: MaxPool2dSpec, input: ImageShape) -> Result<Self, ConvError> {
        Ok(MaxPool2d {
            spec,
            input,
            output: spec.output(input)?,
        })
    }

    /// The maximum of each window and channel into `out` (`N·OH·OW x C`), and in `argmax` the
    /// flat index into `x` it came from (the first, in window order, among equal values).
    ///
    /// # Panics
    /// If `x` is not `N·H·W x C` for the layer's input.
    #[track_caller]
    pub fn forward_into(&self, x: MatrixView<'_>, out: &mut Matrix, argmax: &mut Vec<u32>) {
        let (i, o, s) = (self.input, self.output, self.spec);
        let (c, plane, out_plane) = (i.channels, i.height * i.width, o.height * o.width);
        assert!(
            x.cols() == c && plane > 0 && x.rows().is_multiple_of(plane),
            "max-pool: input is {}x{}, expected N*{plane} x {c}",
            x.rows(),
            x.cols()
        );
        assert!(
            x.as_slice().len() <= u32::MAX as usize,
            "max-pool: batch too large"
        );
        let n = x.rows() / plane;
        resize(out, n * out_plane, c);
        argmax.resize(n * out_plane * c, 0);
        let xs = x.as_slice();
        out.as_mut_slice()
            .par_chunks_mut((out_plane * c).max(1))
            .zip(argmax.par_chunks_mut((out_plane * c).max(1)))
            .enumerate()
            .for_each(|(sample, (dst, arg))| {
                let base = sample * plane;
                for oy in 0..o.height {
                    for ox in 0..o.width {
                        let at = (oy * o.width + ox) * c;
                        for ch in 0..c {
                            let mut best = f32::NEG_INFINITY;
                            let mut best_at =
                                (base + (oy * s.stride) * i.width + ox * s.stride) * c + ch;
                            for wy in 0..s.size {
                                for wx in 0..s.size {
                                    let p = (base
                                        + (oy * s.stride + wy) * i.width
                                        + ox * s.stride
                                        + wx)
                                        * c
                                        + ch;
                                    // Strict: the first maximum wins, and NaN never replaces.
                                    if xs[p] > best {
                                        best = xs[p];
                                        best_at = p;
                                    }
                                }
                            }
                            dst[at + ch] = best;
                            arg[at + ch] = best_at as u32;
                        }
                    }
                }
            });
    }

    /// Routes each output gradient to the input its maximum came from, overwriting `dx`
    /// (`N·H·W x C`). Overlapping windows add, in output order.
    ///
    /// # Panics
    /// If `dy` and `argmax` disagree with the layer.
    #[track_caller]
    pub fn backward_into(&self, dy: MatrixView<'_>, argmax: &[u32], dx: &mut Matrix) {
        let (c, plane, out_plane) = (
            self.input.channels,
            self.input.height * self.input.width,
            self.output.height * self.output.width,
        );
        assert!(
            dy.cols() == c
                && dy.rows().is_multiple_of(out_plane.max(1))
                && argmax.len() == dy.rows() * c,
            "max-pool backward: gradient is {}x{}, {} indices",
            dy.rows(),
            dy.cols(),
            argmax.len()
        );
        let n = dy.rows() / out_plane.max(1);
        resize(dx, n * plane, c);
        let g = dy.as_slice();
        dx.as_mut_slice()
            .par_chunks_mut((plane * c).max(1))
            .enumerate()
            .for_each(|(sample, dst)| {
                dst.fill(0.0);
                let offset = sample * plane * c;
                let range = sample * out_plane * c..(sample + 1) * out_plane * c;
                for (&a, &v) in argmax[range.clone()].iter().zip(&g[range]) {
                    dst[a as usize - offset] += v;
                }
            });
    }
}

/// `x = max(x, 0)` in place, on feature maps or any matrix.
pub fn relu_in_place(x: &mut [f32]) {
    for v in x {
        *v = v.max(0.0);
    }
}

/// Zeroes the gradient where the ReLU's output `y` was not positive.
///
/// # Panics
/// If the lengths differ.
#[track_caller]
pub fn relu_backward(y: &[f32], grad: &mut [f32]) {
    assert_eq!(y.len(), grad.len(), "relu_backward: lengths differ");
    for (g, &y) in grad.iter_mut().zip(y) {
        if y <= 0.0 {
            *g = 0.0;
        }
    }
}

/// Converts a batch of planar rows (`N x C·H·W`, as datasets hand them over) into NHWC feature
/// maps (`N·H·W x C`), resizing `out`.
///
/// # Panics
/// If `x.cols() != shape.len()`.
#[track_caller]
pub fn nchw_to_nhwc(x: MatrixView<'_>, shape: ImageShape, out: &mut Matrix) {
    assert_eq!(
        x.cols(),
        shape.len(),
        "nchw_to_nhwc: rows of {} for images of {shape}",
        x.cols()
    );
    let (c, plane) = (shape.channels, shape.plane_len());
    resize(out, x.rows() * plane, c);
    let xs = x.as_slice();
    out.as_mut_slice()
        .par_chunks_mut((plane * c).max(1))
        .enumerate()
        .for_each(|(n, dst)| {
            let src = &xs[n * plane * c..(n + 1) * plane * c];
            for ch in 0..c {
                for p in 0..plane {
                    dst[p * c + ch] = src[ch * plane + p];
                }
            }
        });
}

/// Copies the NHWC maps `x` (of `shape`) into `out` with `pad` zeros around each sample's
/// maps, `N·(H+2pad)·(W+2pad) x C` (resized); returns `N`. Every value of `out` is written.
///
/// # Panics
/// If `x` is not `N·H·W x C` for `shape`.
#[track_caller]
fn pad_maps(x: MatrixView<'_>, shape: ImageShape, pad: usize, out: &mut Matrix) -> usize {
    let (h, w, c) = (shape.height, shape.width, shape.channels);
    let plane = h * w;
    assert!(
        x.cols() == c && plane > 0 && x.rows().is_multiple_of(plane),
        "pad_maps: maps are {}x{}, expected N*{plane} x {c}",
        x.rows(),
        x.cols()
    );
    let n = x.rows() / plane;
    let (hp, wp) = (h + 2 * pad, w + 2 * pad);
    resize(out, n * hp * wp, c);
    out.as_mut_slice()
        .par_chunks_mut(hp * wp * c)
        .zip(x.as_slice().par_chunks(plane * c))
        .for_each(|(dst, src)| {
            dst[..pad * wp * c].fill(0.0);
            dst[(pad + h) * wp * c..].fill(0.0);
            for (y, from) in src.chunks_exact(w * c).enumerate() {
                let row = &mut dst[(pad + y) * wp * c..(pad + y + 1) * wp * c];
                row[..pad * c].fill(0.0);
                row[pad * c..(pad + w) * c].copy_from_slice(from);
                row[(pad + w) * c..].fill(0.0);
            }
        });
    n
}

/// Resizes `m` to `rows x cols`, reusing its allocation when the width already matches.
fn resize(m: &mut Matrix, rows: usize, cols: usize) {
    if m.cols() == cols {
        if m.rows() != rows {
            m.resize_rows(rows);
        }
    } else {
        *m = Matrix::zeros(rows, cols);
    }
}

/// Slow, obviously correct versions of the passes, on planar (N, C, H, W) data: the oracle of
/// the tests and the baseline of the benches.
pub mod reference {
    use tensor::ImageShape;

    use super::Conv2dSpec;

    /// Direct convolution: `y[n][f][oy][ox] = b[f] + Σ_{c,ky,kx} w[f][c][ky][kx] ·
    /// x[n][c][oy·s + ky - p][ox·s + kx - p]`, zero outside. `x` is `N·C·H·W`, `w` is
    /// `F·C·k·k`; returns `N·F·OH·OW`.
    ///
    /// # Panics
    /// If the geometry is invalid or the lengths disagree.
    pub fn conv2d(
        x: &[f32],
        input: ImageShape,
        spec: Conv2dSpec,
        w: &[f32],
        b: &[f32],
    ) -> Vec<f32> {
        let o = spec
            .output(input)
            .expect("reference conv2d: a valid geometry");
        let (c, k, f) = (input.channels, spec.kernel, spec.filters);
        let n = x.len() / input.len();
        assert_eq!(w.len(), f * c * k * k, "reference conv2d: weight length");
        let mut y = vec![0.0; n * o.len()];
        for s in 0..n {
            for fi in 0..f {
                for oy in 0..o.height {
                    for ox in 0..o.width {
                        let mut acc = b[fi];
                        for ci in 0..c {
                            for ky in 0..k {
                                for kx in 0..k {
                                    let yy = (oy * spec.stride + ky) as isize - spec.pad as isize;
                                    let xx = (ox * spec.stride + kx) as isize - spec.pad as isize;
                                    if yy < 0
                                        || xx < 0
                                        || yy >= input.height as isize
                                        || xx >= input.width as isize
                                    {
                                        continue;
                                    }
                                    acc += w[((fi * c + ci) * k + ky) * k + kx]
                                        * x[s * input.len()
                                            + (ci * input.height + yy as usize) * input.width
                                            + xx as usize];
                                }
                            }
                        }
                        y[s * o.len() + (fi * o.height + oy) * o.width + ox] = acc;
                    }
                }
            }
        }
        y
    }

    /// The gradients of `Σ dy · conv2d(x)` with respect to `x`, `w` and `b`, by the same loops.
    pub fn conv2d_backward(
        x: &[f32],
        input: ImageShape,
        spec: Conv2dSpec,
        w: &[f32],
        dy: &[f32],
    ) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
        let o = spec
            .output(input)
            .expect("reference conv2d: a valid geometry");
        let (c, k, f) = (input.channels, spec.kernel, spec.filters);
        let n = x.len() / input.len();
        let (mut dx, mut dw, mut db) = (vec![0.0; x.len()], vec![0.0; w.len()], vec![0.0; f]);
        for s in 0..n {
            for fi in 0..f {
                for oy in 0..o.height {
                    for ox in 0..o.width {
                        let g = dy[s * o.len() + (fi * o.height + oy) * o.width + ox];
                        db[fi] += g;
                        for ci in 0..c {
                            for ky in 0..k {
                                for kx in 0..k {
                                    let yy = (oy * spec.stride + ky) as isize - spec.pad as isize;
                                    let xx = (ox * spec.stride + kx) as isize - spec.pad as isize;
                                    if yy < 0
                                        || xx < 0
                                        || yy >= input.height as isize
                                        || xx >= input.width as isize
                                    {
                                        continue;
                                    }
                                    let xi = s * input.len()
                                        + (ci * input.height + yy as usize) * input.width
                                        + xx as usize;
                                    let wi = ((fi * c + ci) * k + ky) * k + kx;
                                    dw[wi] += g * x[xi];
                                    dx[xi] += g * w[wi];
                                }
                            }
                        }
                    }
                }
            }
        }
        (dx, dw, db)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::{self, Eval, Wrt};
    use proptest::prelude::*;

    /// A random geometry that is valid, with a small batch.
    fn case() -> impl Strategy<Value = (usize, ImageShape, Conv2dSpec, u64)> {
        (
            1usize..4,
            1usize..4,
            1usize..9,
            1usize..9,
            1usize..5,
            1usize..6,
            1usize..4,
        )
            .prop_flat_map(|(n, c, h, w, f, k, stride)| {
                (Just((n, c, h, w, f, k, stride)), 0..=k / 2, any::<u64>())
            })
            .prop_filter_map("window fits", |((n, c, h, w, f, k, stride), pad, seed)| {
                let input = ImageShape {
                    channels: c,
                    height: h,
                    width: w,
                };
                let spec = Conv2dSpec {
                    filters: f,
                    kernel: k,
                    stride,
                    pad,
                };
                spec.output(input).ok().map(|_| (n, input, spec, seed))
            })
    }

    /// Deterministic values in about [-1, 1] from a seed.
    fn values(len: usize, seed: u64) -> Vec<f32> {
        let mut s = seed | 1;
        (0..len)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
            })
            .collect()
    }

    /// NHWC `N·H·W x C` back to planar `N·C·H·W`.
    fn to_nchw(m: &Matrix, shape: ImageShape) -> Vec<f32> {
        let (c, plane) = (shape.channels, shape.plane_len());
        let n = m.rows() / plane;
        let mut out = vec![0.0; n * c * plane];
        for s in 0..n {
            for p in 0..plane {
                for ch in 0..c {
                    out[(s * c + ch) * plane + p] = m.get(s * plane + p, ch);
                }
            }
        }
        out
    }

    fn nhwc(x: &[f32], n: usize, shape: ImageShape) -> Matrix {
        let mut out = Matrix::zeros(0, 0);
        nchw_to_nhwc(MatrixView::new(n, shape.len(), x).unwrap(), shape, &mut out);
        out
    }

    fn close(a: &[f32], b: &[f32]) -> Result<(), TestCaseError> {
        prop_assert_eq!(a.len(), b.len());
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            prop_assert!(
                (x - y).abs() <= 1e-4 * (1.0 + x.abs().max(y.abs())),
                "[{}]: {} vs {}",
                i,
                x,
                y
            );
        }
        Ok(())
    }

    /// Runs the passes of `layer` on planar `x`: (output NCHW, dx, dw, db).
    fn passes(
        layer: &Conv2d,
        n: usize,
        x: &[f32],
        w: &[f32],
        b: &[f32],
        dy_nchw: &[f32],
    ) -> (Vec<f32>, Vec<f32>, Vec<f32>, Vec<f32>) {
        let (f, patch) = (layer.spec.filters, layer.patch_len());
        let weight = Matrix::from_vec(f, patch, w.to_vec()).unwrap();
        let bias = Matrix::from_vec(1, f, b.to_vec()).unwrap();
        let (mut cols, mut out) = (
            Matrix::zeros(0, 0),
            Matrix::zeros(n * layer.output.plane_len(), f),
        );
        layer.forward_into(
            nhwc(x, n, layer.input).view(),
            &weight,
            &bias,
            &mut cols,
            &mut out,
        );
        let dy = nhwc(dy_nchw, n, layer.output);
        let (mut dw, mut db) = (Matrix::zeros(f, patch), Matrix::zeros(1, f));
        let (mut dcols, mut dx) = (Matrix::zeros(0, 0), Matrix::zeros(0, 0));
        layer.backward_into(
            &cols,
            dy.view(),
            &weight,
            &mut dw,
            &mut db,
            &mut dcols,
            Some(&mut dx),
        );
        (
            to_nchw(&out, layer.output),
            to_nchw(&dx, layer.input),
            dw.into_vec(),
            db.into_vec(),
        )
    }

    /// The passes of `layer` on a batch of `n` drawn from `seed`, against the direct loops.
    fn matches_reference(layer: &Conv2d, n: usize, seed: u64) -> Result<(), TestCaseError> {
        let (input, spec) = (layer.input, layer.spec);
        let x = values(n * input.len(), seed);
        let w = values(spec.filters * layer.patch_len(), seed ^ 1);
        let b = values(spec.filters, seed ^ 2);
        let dy = values(n * layer.output.len(), seed ^ 3);
        let (y, dx, dw, db) = passes(layer, n, &x, &w, &b, &dy);
        close(&y, &reference::conv2d(&x, input, spec, &w, &b))?;
        let (rdx, rdw, rdb) = reference::conv2d_backward(&x, input, spec, &w, &dy);
        close(&dx, &rdx)?;
        close(&dw, &rdw)?;
        close(&db, &rdb)
    }

    /// `Σ r · conv(x)` in f64 by direct loops: the gradcheck's reference forward.
    fn conv_loss64(n: usize, input: ImageShape, spec: Conv2dSpec, w: &[Wrt], r: &[f32]) -> f64 {
        let o = spec.output(input).unwrap();
        let (x, wt, b) = (&w[0].values, &w[1].values, &w[2].values);
        let (c, k) = (input.channels, spec.kernel);
        let mut loss = 0.0;
        for s in 0..n {
            for fi in 0..spec.filters {
                for oy in 0..o.height {
                    for ox in 0..o.width {
                        let mut acc = b[fi];
                        for ci in 0..c {
                            for ky in 0..k {
                                for kx in 0..k {
                                    let yy = (oy * spec.stride + ky) as isize - spec.pad as isize;
                                    let xx = (ox * spec.stride + kx) as isize - spec.pad as isize;
                                    if yy >= 0
                                        && xx >= 0
                                        && yy < input.height as isize
                                        && xx < input.width as isize
                                    {
                                        acc += wt[((fi * c + ci) * k + ky) * k + kx]
                                            * x[s * input.len()
                                                + (ci * input.height + yy as usize) * input.width
                                                + xx as usize];
                                    }
                                }
                            }
                        }
                        loss += r[s * o.len() + (fi * o.height + oy) * o.width + ox] as f64 * acc;
                    }
                }
            }
        }
        loss
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// The in-place passes (at most 24 filters) agree with the direct loops, forward and
        /// backward.
        #[test]
        fn passes_match_the_direct_reference((n, input, spec, seed) in case()) {
            let layer = Conv2d::new(spec, input).unwrap();
            prop_assert!(layer.in_place());
            matches_reference(&layer, n, seed)?;
        }

        /// More filters than the narrow kernels take: the window rows of `im2col` and `gemm`.
        #[test]
        fn wide_layers_match_the_direct_reference(
            (n, input, spec, seed) in case(), filters in 25usize..40,
        ) {
            let spec = Conv2dSpec { filters, ..spec };
            let layer = Conv2d::new(spec, input).unwrap();
            prop_assert!(!layer.in_place());
            matches_reference(&layer, n, seed)?;
        }

        /// The backward pass agrees with central differences of an f64 forward pass, for the
        /// input, the weights and the bias.
        #[test]
        fn conv_gradients_match_central_differences((n, input, spec, seed) in case()) {
            let layer = Conv2d::new(spec, input).unwrap();
            let x = values(n * input.len(), seed);
            let w = values(spec.filters * layer.patch_len(), seed ^ 1);
            let b = values(spec.filters, seed ^ 2);
            let r = values(n * layer.output.len(), seed ^ 3);
            // dL/dy = r for L = Σ r·y.
            let (_, dx, dw, db) = passes(&layer, n, &x, &w, &b, &r);
            let mut wrt = [Wrt::new("input", &x, &dx), Wrt::new("weight", &w, &dw), Wrt::new("bias", &b, &db)];
            let report = gradcheck::check(
                &mut wrt,
                |w| Eval { loss: conv_loss64(n, input, spec, w, &r), sides: vec![] },
                gradcheck::F32,
            ).map_err(|m| TestCaseError::fail(m.to_string()))?;
            prop_assert_eq!(report.skipped, 0);
        }

        /// Max-pooling routes each gradient to its window's maximum: central differences of an
        /// f64 pooling agree, skipping points where the maximum changes within the step.
        #[test]
        fn pool_gradients_match_central_differences(
            n in 1usize..3, c in 1usize..4, h in 1usize..9, w in 1usize..9,
            size in 1usize..4, stride in 1usize..4, seed in any::<u64>(),
        ) {
            let input = ImageShape { channels: c, height: h, width: w };
            let spec = MaxPool2dSpec { size, stride };
            let Ok(pool) = MaxPool2d::new(spec, input) else { return Ok(()) };
            let o = pool.output;
            let x = values(n * input.len(), seed);
            let r = values(n * o.len(), seed ^ 5);
            let (mut out, mut arg, mut dx) = (Matrix::zeros(0, 0), Vec::new(), Matrix::zeros(0, 0));
            pool.forward_into(nhwc(&x, n, input).view(), &mut out, &mut arg);
            pool.backward_into(nhwc(&r, n, o).view(), &arg, &mut dx);
            let dx = to_nchw(&dx, input);
            let mut wrt = [Wrt::new("input", &x, &dx)];
            let forward = |w: &[Wrt]| {
                let x = &w[0].values;
                let (mut loss, mut sides) = (0.0, Vec::new());
                for s in 0..n { for ch in 0..c { for oy in 0..o.height { for ox in 0..o.width {
                    let at = |wy: usize, wx: usize| s * input.len() + (ch * h + oy * stride + wy) * w_(input) + ox * stride + wx;
                    let mut best = (f64::NEG_INFINITY, 0);
                    for wy in 0..size { for wx in 0..size {
                        let v = x[at(wy, wx)];
                        if v > best.0 { best = (v, wy * size + wx); }
                    }}
                    sides.extend((0..size * size).map(|i| i == best.1));
                    loss += r[s * o.len() + (ch * o.height + oy) * o.width + ox] as f64 * best.0;
                }}}}
                Eval { loss, sides }
            };
            let report = gradcheck::check(&mut wrt, forward, gradcheck::F32)
                .map_err(|m| TestCaseError::fail(m.to_string()))?;
            prop_assert!(report.compared >= gradcheck::min_compared(x.len()), "{:?}", report);
        }

        /// Every valid geometry has the output extent of the formula, whose last window ends
        /// inside the padded input and one more would not fit; every invalid one is an error.
        #[test]
        fn output_extent_is_the_largest_count_of_fitting_windows(
            input in 0usize..40, window in 0usize..12, stride in 0usize..6, pad in 0usize..8,
        ) {
            let valid = window > 0 && stride > 0 && pad <= window / 2 && input + 2 * pad >= window;
            match output_extent("conv", input, window, stride, pad) {
                Ok(out) => {
                    prop_assert!(valid);
                    let padded = input + 2 * pad;
                    prop_assert!(out >= 1);
                    prop_assert!((out - 1) * stride + window <= padded);
                    prop_assert!(out * stride + window > padded);
                }
                Err(e) => {
                    prop_assert!(!valid, "{}", e);
                    prop_assert!(!e.to_string().is_empty());
                }
            }
        }
    }

    fn w_(s: ImageShape) -> usize {
        s.width
    }

    #[test]
    fn invalid_geometries_name_the_problem() {
        let check = |r: Result<usize, ConvError>, expect: &str| {
            let msg = r.unwrap_err().to_string();
            assert!(msg.contains(expect), "{msg}");
        };
        check(output_extent("conv", 28, 0, 1, 0), "window size is 0");
        check(output_extent("pool", 28, 2, 0, 0), "stride is 0");
        check(
            output_extent("conv", 28, 5, 1, 3),
            "padding 3 is more than half",
        );
        check(
            output_extent("conv", 2, 5, 1, 1),
            "does not fit in a padded input of 4",
        );
    }

    #[test]
    fn the_chapter_shapes() {
        let mnist = ImageShape {
            channels: 1,
            height: 28,
            width: 28,
        };
        let c = Conv2dSpec {
            filters: 8,
            kernel: 5,
            stride: 1,
            pad: 2,
        };
        assert_eq!(
            c.output(mnist).unwrap(),
            ImageShape {
                channels: 8,
                ..mnist
            }
        );
        let p3 = MaxPool2dSpec { size: 3, stride: 3 };
        let m = ImageShape {
            channels: 16,
            height: 14,
            width: 14,
        };
        assert_eq!(
            p3.output(m).unwrap(),
            ImageShape {
                channels: 16,
                height: 4,
                width: 4
            }
        );
    }
}
