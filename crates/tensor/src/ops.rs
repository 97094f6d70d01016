//! The operations a forward and backward pass need.
//!
//! # Determinism
//! The products split their output into disjoint blocks of rows or columns and no sum ever
//! crosses a block boundary: every output element is computed by the same sequence of
//! operations whichever block or thread it lands in. That is why the block count may follow
//! the number of threads without changing a single bit of the result.

use std::cell::Cell;

use rayon::prelude::*;

use crate::{Matrix, MatrixView};
use crate::{kernels, narrow};

pub use crate::narrow::{LineLayout, RowLayout};

/// Whether an operand of [`gemm`] is used as stored or transposed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trans {
    /// Use the operand as stored.
    No,
    /// Use the operand's transpose.
    Yes,
}

/// Outputs at most this wide (or tall) take the hand-written thin kernels.
const THIN: usize = 16;

/// A product with at least this many rows and at most this many summed terms per value is
/// tall: the window rows of a convolution, not a mini-batch of a dense layer.
const TALL_ROWS: usize = 1024;

/// Reductions longer than this (rows summed over in `aᵀ · b`) are a convolution's weight
/// gradient, not a dense layer's over a mini-batch.
const TALL: usize = 4096;

/// Elements of a right operand small enough that `a · b` is faster row by row than packed.
const SMALL_B: usize = 1024;

/// Below this many multiply-adds a product runs on the calling thread: waking a second
/// thread costs more than it saves.
const PARALLEL_MIN_WORK: usize = 1 << 17;

thread_local! {
    static SPLITS: Cell<u64> = const { Cell::new(0) };
    static ONE_BLOCK: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` with every product it makes computed on the calling thread, in one block: for a
/// caller that splits the work across threads itself (training splits each batch into shards).
/// The results are the same bits either way.
pub fn on_this_thread<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            ONE_BLOCK.with(|b| b.set(self.0));
        }
    }
    let _restore = Restore(ONE_BLOCK.with(|b| b.replace(true)));
    f()
}

/// A public element-wise function whose body (an inlined function of the same arguments) is
/// compiled three times: for AVX-512, for AVX2, and for the baseline, the widest the processor
/// has chosen at each call. Only the instructions change, not the operations (Rust never fuses
/// a multiply and an add by itself), so every version gives the same bits.
macro_rules! widest {
    ($(#[$m:meta])* pub fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $body:block) => {
        $(#[$m])*
        pub fn $name($($arg: $ty),*) {
            #[inline(always)]
            fn body($($arg: $ty),*) $body
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx2,fma")]
                fn avx512($($arg: $ty),*) {
                    body($($arg),*)
                }
                #[target_feature(enable = "avx2,fma")]
                fn avx2($($arg: $ty),*) {
                    body($($arg),*)
                }
                if kernels::has_avx512() {
                    // SAFETY: the features were detected on this processor.
                    return unsafe { avx512($($arg),*) };
                }
                if kernels::has_avx2_fma() {
                    // SAFETY: as above.
                    return unsafe { avx2($($arg),*) };
                }
            }
            body($($arg),*)
        }
    };
}

widest! {
    /// `x = 1 / (1 + e^-x)` in place, with [`exp`]: the same bits as one value at a time.
    pub fn sigmoid_in_place(xs: &mut [f32]) {
        for x in xs.iter_mut() {
            *x = 1.0 / (1.0 + exp(-*x));
        }
    }
}

widest! {
    /// `dst += src`, element by element (gradients of a batch's shards summed).
    ///
    /// # Panics
    /// If the lengths differ.
    pub fn add_assign(dst: &mut [f32], src: &[f32]) {
        assert_eq!(dst.len(), src.len(), "add_assign: {} += {}", dst.len(), src.len());
        for (d, s) in dst.iter_mut().zip(src) {
            *d += s;
        }
    }
}

widest! {
    /// `w -= lr · (g + decay · w)`, element by element: a plain gradient step with L2 decay.
    ///
    /// # Panics
    /// If the lengths differ.
    pub fn sgd_update(w: &mut [f32], g: &[f32], lr: f32, decay: f32) {
        assert_eq!(w.len(), g.len(), "sgd_update: {} weights, {} gradients", w.len(), g.len());
        for (w, &g) in w.iter_mut().zip(g) {
            *w -= lr * (g + decay * *w);
        }
    }
}

widest! {
    /// `v = momentum · v + g + decay · w`, then `w -= lr · v`, element by element: a step with
    /// momentum and L2 decay.
    ///
    /// # Panics
    /// If the lengths differ.
    pub fn momentum_update(w: &mut [f32], g: &[f32], v: &mut [f32], lr: f32, momentum: f32, decay: f32) {
        assert!(
            w.len() == g.len() && w.len() == v.len(),
            "momentum_update: {} weights, {} gradients, {} velocities",
            w.len(),
            g.len(),
            v.len()
        );
        for ((w, &g), v) in w.iter_mut().zip(g).zip(v.iter_mut()) {
            *v = momentum * *v + g + decay * *w;
            *w -= lr * *v;
        }
    }
}

/// How many products called from this thread so far were split into more than one block: took
/// the parallel path. For tests that compare one thread with many and must show the many did
/// run in parallel, which small shapes never do.
#[doc(hidden)]
pub fn parallel_splits() -> u64 {
    SPLITS.with(Cell::get)
}

/// How many blocks to split `work` multiply-adds over `units` rows or columns into.
fn blocks(work: usize, units: usize) -> usize {
    let n = if work < PARALLEL_MIN_WORK || ONE_BLOCK.with(Cell::get) {
        1
    } else {
        rayon::current_num_threads().clamp(1, units.max(1))
    };
    if n > 1 {
        SPLITS.with(|s| s.set(s.get() + 1));
    }
    n
}

/// `out = op(a) · op(b)`, overwriting `out`.
///
/// # Shapes
/// `op(a)` is `m x k`, `op(b)` is `k x n`, `out` must be `m x n`.
///
/// # Panics
/// If the shapes do not agree.
///
/// # Example
/// ```
/// use tensor::{Matrix, ops::{gemm, Trans}};
/// let x = Matrix::from_fn(2, 3, |i, j| (i + j) as f32); // 2 x 3
/// let w = Matrix::from_fn(4, 3, |i, j| (i * j) as f32); // 4 x 3, one row per output
/// let mut out = Matrix::zeros(2, 4);
/// gemm(x.view(), Trans::No, w.view(), Trans::Yes, &mut out); // x · wᵀ
/// assert_eq!(out.row(1), &[0.0, 8.0, 16.0, 24.0]);
/// ```
#[track_caller]
pub fn gemm(a: MatrixView<'_>, ta: Trans, b: MatrixView<'_>, tb: Trans, out: &mut Matrix) {
    let (m, ka) = match ta {
        Trans::No => (a.rows(), a.cols()),
        Trans::Yes => (a.cols(), a.rows()),
    };
    let (kb, n) = match tb {
        Trans::No => (b.rows(), b.cols()),
        Trans::Yes => (b.cols(), b.rows()),
    };
    assert!(
        ka == kb && out.shape() == (m, n),
        "gemm: op(a) is {m}x{ka}, op(b) is {kb}x{n}, out is {}x{}",
        out.rows(),
        out.cols()
    );
    let k = ka;
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        out.as_mut_slice().fill(0.0);
        return;
    }
    match (ta, tb) {
        // A convolution's forward pass: one row per output pixel, one column per filter.
        (Trans::No, Trans::Yes) if n <= narrow::MAX_WIDTH && m >= TALL_ROWS && k <= TALL_ROWS => {
            nt_narrow(a, b, out)
        }
        // Its weight gradient, summed over every pixel.
        (Trans::Yes, Trans::No) if m <= narrow::MAX_WIDTH && k > TALL => tn_narrow(a, b, out),
        (Trans::No, Trans::Yes) if n <= THIN => nt_thin(a, b, out),
        (Trans::Yes, Trans::No) if m <= THIN => tn_thin(a, b, out),
        // A hidden layer's input gradient: too small for packing to pay.
        (Trans::No, Trans::No) if k * n <= SMALL_B => nn_small(a, b, out),
        _ => general(a, ta, b, tb, out, m, k, n),
    }
}

/// `a · b` for a right operand small enough to stay in L1 whole: each output row is a sum of
/// rows of `b` scaled by the row of `a`, in order, eight columns at a time in registers.
fn nn_small(a: MatrixView<'_>, b: MatrixView<'_>, out: &mut Matrix) {
    const W: usize = 8;
    let (k, n) = (b.rows(), b.cols());
    let (a, b) = (a.as_slice(), b.as_slice());
    for (o, ar) in out
        .as_mut_slice()
        .chunks_exact_mut(n)
        .zip(a.chunks_exact(k))
    {
        let mut c = 0;
        while c + W <= n {
            let mut acc = [0.0f32; W];
            for (&x, br) in ar.iter().zip(b.chunks_exact(n)) {
                for (s, &bv) in acc.iter_mut().zip(&br[c..c + W]) {
                    *s += x * bv;
                }
            }
            o[c..c + W].copy_from_slice(&acc);
            c += W;
        }
        for (c, o) in o.iter_mut().enumerate().skip(c) {
            let mut s = 0.0f32;
            for (&x, br) in ar.iter().zip(b.chunks_exact(n)) {
                s += x * br[c];
            }
            *o = s;
        }
    }
}

/// `a · bᵀ` for a tall `a` and a narrow output: `b` transposed once, rows split across threads.
fn nt_narrow(a: MatrixView<'_>, b: MatrixView<'_>, out: &mut Matrix) {
    let (m, k, n) = (a.rows(), a.cols(), b.rows());
    let filters = NarrowFilters::new(b).expect("gemm takes this arm for narrow outputs only");
    let a = a.as_slice();
    row_blocks(m, n, blocks(m * n * k, m), out.as_mut_slice(), |rows, o| {
        narrow::nt(&a[rows.start * k..rows.end * k], k, &filters.bt, n, o)
    });
}

/// The right operand of a product into a narrow output, `b` of [`gemm_rows_nt`]: at most
/// [`NarrowFilters::MAX_ROWS`] rows (a convolution's filters), rearranged once for many
/// products.
#[derive(Debug, Clone, PartialEq)]
pub struct NarrowFilters {
    /// `b` transposed: `k` rows of `n` values, each padded with zeros to whole registers.
    bt: Vec<f32>,
    n: usize,
    k: usize,
}

impl NarrowFilters {
    /// The most rows (output columns) the narrow kernels take.
    pub const MAX_ROWS: usize = narrow::MAX_WIDTH;

    /// `b` (`n x k`) rearranged; `None` when it has no rows, no columns or more than
    /// [`NarrowFilters::MAX_ROWS`] rows.
    pub fn new(b: MatrixView<'_>) -> Option<NarrowFilters> {
        let (n, k) = (b.rows(), b.cols());
        if n == 0 || k == 0 || n > Self::MAX_ROWS {
            return None;
        }
        let w = narrow::padded(n);
        let mut bt = vec![0.0f32; k * w];
        for (j, row) in b.as_slice().chunks_exact(k).enumerate() {
            for (p, &v) in row.iter().enumerate() {
                bt[p * w + j] = v;
            }
        }
        Some(NarrowFilters { bt, n, k })
    }

    /// Rows of `b`: values per output row.
    pub fn rows(&self) -> usize {
        self.n
    }

    /// Columns of `b`: terms per output value.
    pub fn cols(&self) -> usize {
        self.k
    }
}

/// `out = A · bᵀ` on this thread, where the `out.len() / b.rows()` rows of `A` are read in
/// place from `a` as `layout` lays them out: for a convolution, the windows of a padded image
/// without copying them out first (im2col). Each value is a fused multiply-add per term in
/// the order of the terms, whichever tile computes it.
///
/// # Panics
/// If `layout` does not give rows of `b.cols()` values, `out` does not hold whole rows, or
/// `a` is too short for them.
#[track_caller]
pub fn gemm_rows_nt(a: &[f32], layout: RowLayout, b: &NarrowFilters, out: &mut [f32]) {
    let m = out.len() / b.n;
    assert!(
        layout.k() == b.k && out.len() == m * b.n && a.len() >= layout.extent(m),
        "gemm_rows_nt: {m} rows of {} values from {} values, b is {}x{}, out holds {}",
        layout.k(),
        a.len(),
        b.n,
        b.k,
        out.len()
    );
    if m > 0 {
        narrow::nt_rows(a, layout, &b.bt, b.n, out);
    }
}

/// `out += dᵀ · X` on this thread, `X` being `d.rows()` rows of `width` values read in place
/// from `x` as `lines` lays them out: for a convolution, its weight gradient over the windows
/// of a padded image (one kernel row at a time), without copying them out first. `out` is
/// `d.cols() x width`. Each value gets one fused multiply-add per row in row order, so calls
/// over consecutive rows add up to the same bits as one call.
///
/// # Panics
/// If `d` has more than [`NarrowFilters::MAX_ROWS`] columns, `out` is not `d.cols() x width`,
/// or `x` is too short for the rows.
#[track_caller]
pub fn gemm_lines_tn_add(
    d: MatrixView<'_>,
    x: &[f32],
    lines: LineLayout,
    width: usize,
    out: &mut [f32],
) {
    let (m, n) = (d.rows(), d.cols());
    assert!(
        n <= NarrowFilters::MAX_ROWS
            && out.len() == n * width
            && lines.per_line > 0
            && (m == 0 || lines.start(m - 1).saturating_add(width) <= x.len()),
        "gemm_lines_tn_add: d is {m}x{n}, {m} rows of {width} values from {} values, out holds {}",
        x.len(),
        out.len()
    );
    if m > 0 && n > 0 {
        narrow::tn_lines(d.as_slice(), n, x, lines, 0..width, out);
    }
}

/// `aᵀ · b` summed over many rows into a narrow output (`a.cols()` rows), columns of `b` split
/// across threads.
fn tn_narrow(a: MatrixView<'_>, b: MatrixView<'_>, out: &mut Matrix) {
    let (rows, n, k) = (a.rows(), a.cols(), b.cols());
    let nblocks = blocks(rows * n * k, k.div_ceil(16));
    let (d, x) = (a.as_slice(), b.as_slice());
    column_blocks(n, k, nblocks, out.as_mut_slice(), |cols, block| {
        narrow::tn(d, n, x, k, cols, block)
    });
}

/// `a · bᵀ` with few outputs: rows of the output are independent dot products.
fn nt_thin(a: MatrixView<'_>, b: MatrixView<'_>, out: &mut Matrix) {
    let (m, k, n) = (a.rows(), a.cols(), b.rows());
    let (a, b) = (a.as_slice(), b.as_slice());
    row_blocks(m, n, blocks(m * n * k, m), out.as_mut_slice(), |rows, o| {
        kernels::thin_nt(&a[rows.start * k..rows.end * k], b, k, o, n, false)
    });
}

/// `aᵀ · b` with few outputs (a weight gradient): split over the columns of `b`.
fn tn_thin(a: MatrixView<'_>, b: MatrixView<'_>, out: &mut Matrix) {
    let (n, k) = (a.cols(), b.cols());
    let m = a.rows();
    let nblocks = blocks(m * n * k, k.div_ceil(64));
    let (a, b) = (a.as_slice(), b.as_slice());
    column_blocks(n, k, nblocks, out.as_mut_slice(), |cols, block| {
        kernels::thin_tn(a, n, b, k, cols, block)
    });
}

/// Asks the processor to bring `rows` towards its caches, without waiting for them: a training
/// loop calls it for the next batch's rows, which it reads in shuffled order from a dataset far
/// larger than the caches, so that their misses overlap the current batch's work. A hint only:
/// it never faults and changes no result; a no-op off x86-64.
pub fn prefetch_rows(rows: &[&[u8]]) {
    #[cfg(target_arch = "x86_64")]
    for row in rows {
        for line in row.chunks(64) {
            // SAFETY: a prefetch never faults, whatever the address; SSE is part of x86-64.
            unsafe {
                std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T1 }>(
                    line.as_ptr().cast(),
                )
            };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = rows;
}

/// `out = x · wᵀ` for `x` given as rows of bytes (each `w.cols()` long) and `w` as `n x k`:
/// a first layer's forward pass on u8 pixels read in place, with the pixel scaling folded into
/// `w` beforehand. Every product is exact in `f32` (a byte is an integer), so this is the same
/// product as on the bytes converted to `f32`, up to the order of the sums.
///
/// # Panics
/// If a row is not `w.cols()` long or `out` is not `x.len() x w.rows()`.
#[track_caller]
pub fn gemm_u8_nt(x: &[&[u8]], w: MatrixView<'_>, out: &mut Matrix) {
    let (m, k, n) = (x.len(), w.cols(), w.rows());
    assert!(
        out.shape() == (m, n) && x.iter().all(|r| r.len() == k),
        "gemm_u8_nt: {m} byte rows for a {n}x{k} w, out is {}x{}",
        out.rows(),
        out.cols()
    );
    if m == 0 || n == 0 {
        return;
    }
    let w = w.as_slice();
    row_blocks(m, n, blocks(m * n * k, m), out.as_mut_slice(), |rows, o| {
        kernels::thin_nt_u8(&x[rows], w, k, o, n)
    });
}

/// `out[j][c] = scale[c] · Σ_i d[i][j] · x[i][c]`: a first layer's weight gradient on u8 pixels
/// read in place, `dᵀ · x` with each column of the result scaled. `d` is `m x n`, `x` holds `m`
/// rows of `scale.len()` bytes, `out` is `n x scale.len()`.
///
/// # Panics
/// If the shapes disagree.
#[track_caller]
pub fn gemm_u8_tn_scaled(d: MatrixView<'_>, x: &[&[u8]], scale: &[f32], out: &mut Matrix) {
    let (m, n, k) = (d.rows(), d.cols(), scale.len());
    assert!(
        x.len() == m && out.shape() == (n, k) && x.iter().all(|r| r.len() == k),
        "gemm_u8_tn_scaled: d is {m}x{n}, {} byte rows, {k} factors, out is {}x{}",
        x.len(),
        out.rows(),
        out.cols()
    );
    if n == 0 || k == 0 {
        return;
    }
    let nblocks = blocks(m * n * k, k.div_ceil(64));
    let d = d.as_slice();
    column_blocks(n, k, nblocks, out.as_mut_slice(), |cols, block| {
        kernels::thin_tn_u8(d, n, x, cols, scale, block)
    });
}

/// Fills the `m x n` matrix `out` in `nblocks` blocks of whole rows computed in parallel (one
/// block: on this thread): `block(rows, values)` writes the rows `rows`, `values` being their
/// part of `out`.
fn row_blocks(
    m: usize,
    n: usize,
    nblocks: usize,
    out: &mut [f32],
    block: impl Fn(std::ops::Range<usize>, &mut [f32]) + Sync,
) {
    if nblocks <= 1 {
        block(0..m, out);
        return;
    }
    let rows_per = m.div_ceil(nblocks);
    out.par_chunks_mut(rows_per * n)
        .enumerate()
        .for_each(|(c, o)| block(c * rows_per..c * rows_per + o.len() / n, o));
}

/// Fills the `n x k` matrix `out` in `nblocks` blocks of columns computed in parallel (one
/// block: in place, on this thread):
/// `block(cols, values)` writes the `n x cols.len()` values of columns `cols`. Blocks are
/// multiples of 16 columns, so a kernel's full-width path covers all but the last.
fn column_blocks(
    n: usize,
    k: usize,
    nblocks: usize,
    out: &mut [f32],
    block: impl Fn(std::ops::Range<usize>, &mut [f32]) + Sync,
) {
    if nblocks <= 1 {
        block(0..k, out);
        return;
    }
    let cols_per = k.div_ceil(nblocks).div_ceil(16) * 16;
    let parts: Vec<(usize, Vec<f32>)> = (0..k.div_ceil(cols_per))
        .into_par_iter()
        .map(|c| {
            let cols = c * cols_per..((c + 1) * cols_per).min(k);
            let mut values = vec![0.0; n * cols.len()];
            block(cols.clone(), &mut values);
            (cols.start, values)
        })
        .collect();
    for (c0, values) in parts {
        let w = values.len() / n;
        for j in 0..n {
            out[j * k + c0..j * k + c0 + w].copy_from_slice(&values[j * w..(j + 1) * w]);
        }
    }
}

/// Any other product, through `matrixmultiply`, split into row blocks of the output.
#[allow(clippy::too_many_arguments)]
fn general(
    a: MatrixView<'_>,
    ta: Trans,
    b: MatrixView<'_>,
    tb: Trans,
    out: &mut Matrix,
    m: usize,
    k: usize,
    n: usize,
) {
    // Strides of op(a) and op(b) as (row stride, column stride) in elements.
    let (rsa, csa) = match ta {
        Trans::No => (a.cols() as isize, 1),
        Trans::Yes => (1, a.cols() as isize),
    };
    let (rsb, csb) = match tb {
        Trans::No => (b.cols() as isize, 1),
        Trans::Yes => (1, b.cols() as isize),
    };
    let (a, b) = (a.as_slice(), b.as_slice());
    if m < n {
        // Few rows (a convolution's weight gradient: filters x window values): split the
        // columns, so that each thread packs only its own part of the larger operand.
        let nblocks = blocks(m * n * k, n.div_ceil(16));
        let run = |cols: std::ops::Range<usize>, o: &mut [f32]| {
            let width = cols.len();
            // SAFETY: op(b) columns `cols` and the `m x width` block `o` are in bounds for
            // the strides above, which describe exactly the shapes checked by `gemm`.
            unsafe {
                matrixmultiply::sgemm(
                    m,
                    k,
                    width,
                    1.0,
                    a.as_ptr(),
                    rsa,
                    csa,
                    b.as_ptr().offset(cols.start as isize * csb),
                    rsb,
                    csb,
                    0.0,
                    o.as_mut_ptr(),
                    width as isize,
                    1,
                )
            }
        };
        column_blocks(m, n, nblocks, out.as_mut_slice(), run);
        return;
    }
    let nblocks = blocks(m * n * k, m);
    let run = |r0: usize, o: &mut [f32]| {
        let rows = o.len() / n;
        // SAFETY: op(a) rows r0..r0+rows, op(b) and `o` are in bounds for the strides above,
        // which describe exactly the shapes checked by `gemm`.
        unsafe {
            matrixmultiply::sgemm(
                rows,
                k,
                n,
                1.0,
                a.as_ptr().offset(r0 as isize * rsa),
                rsa,
                csa,
                b.as_ptr(),
                rsb,
                csb,
                0.0,
                o.as_mut_ptr(),
                n as isize,
                1,
            )
        }
    };
    row_blocks(m, n, nblocks, out.as_mut_slice(), |rows, o| {
        run(rows.start, o)
    });
}

/// `a · b` as a new matrix.
///
/// # Panics
/// If `a.cols() != b.rows()`.
#[track_caller]
pub fn matmul(a: MatrixView<'_>, b: MatrixView<'_>) -> Matrix {
    let mut out = Matrix::zeros(a.rows(), b.cols());
    gemm(a, Trans::No, b, Trans::No, &mut out);
    out
}

/// Adds `row` to every row of `m` (a bias).
///
/// # Panics
/// If `row.len() != m.cols()`.
#[track_caller]
pub fn add_row_broadcast(m: &mut Matrix, row: &[f32]) {
    assert_eq!(
        row.len(),
        m.cols(),
        "add_row_broadcast: row of {} for {} columns",
        row.len(),
        m.cols()
    );
    if row.is_empty() {
        return;
    }
    for r in m.as_mut_slice().chunks_exact_mut(row.len()) {
        for (x, b) in r.iter_mut().zip(row) {
            *x += b;
        }
    }
}

/// Sums the rows of `m` into `out` (a bias gradient), in row order.
///
/// # Panics
/// If `out.len() != m.cols()`.
#[track_caller]
pub fn sum_rows_into(m: MatrixView<'_>, out: &mut [f32]) {
    assert_eq!(
        out.len(),
        m.cols(),
        "sum_rows_into: out of {} for {} columns",
        out.len(),
        m.cols()
    );
    out.fill(0.0);
    for i in 0..m.rows() {
        for (o, x) in out.iter_mut().zip(m.row(i)) {
            *o += x;
        }
    }
}

/// `e^x`, to within 2 units in the last place, from plain `f32` arithmetic: the same bits on
/// every processor and with every C library, so that a softmax or a sigmoid trained on one
/// machine is the one trained on another. It has no branch on the value, so a loop of it
/// vectorises, where the C library's `expf` is a call per element.
///
/// Results too small to be normal numbers (`x` below about -87.34) are 0; `x` above about
/// 88.72 gives infinity; NaN gives NaN.
///
/// # Example
/// ```
/// let e = tensor::ops::exp(1.0);
/// assert!((e - std::f32::consts::E).abs() <= 2.0 * f32::EPSILON * e);
/// assert_eq!(tensor::ops::exp(0.0), 1.0);
/// ```
#[inline]
pub fn exp(x: f32) -> f32 {
    // e^x = 2^n · e^r with n = round(x / ln 2) and |r| <= ln 2 / 2.
    // Adding 1.5 · 2^23 rounds a float below 2^22 to an integer, held in the low mantissa bits.
    const SHIFTER: f32 = 12_582_912.0;
    // ln 2 in two parts; the first has 15 significant bits, so n times it is exact.
    const LN2_HI: f32 = f32::from_bits(0x3f31_7200);
    const LN2_LO: f32 = (std::f64::consts::LN_2 - LN2_HI as f64) as f32;
    const HI: f32 = 88.722_83; // ln of the largest f32
    // Just above ln of the smallest normal f32 (-87.336544...), so e^LO is normal.
    const LO: f32 = f32::from_bits(0xc2ae_ac4f);
    let xc = x.clamp(LO, HI);
    let t = xc * std::f32::consts::LOG2_E + SHIFTER;
    let n = t - SHIFTER;
    let r = (xc - n * LN2_HI) - n * LN2_LO;
    // Taylor to r^7: the first term left out is below 2^-27 on |r| <= ln 2 / 2.
    let mut p = 1.0 / 5040.0;
    for c in [
        1.0 / 720.0,
        1.0 / 120.0,
        1.0 / 24.0,
        1.0 / 6.0,
        0.5,
        1.0,
        1.0,
    ] {
        p = p * r + c;
    }
    // 2^n in two factors, so n = 128 and n = -126 both stay within the exponent range.
    let n = (t.to_bits() as i32).wrapping_sub(SHIFTER.to_bits() as i32);
    let half = n >> 1;
    let pow2 = |e: i32| f32::from_bits((e.wrapping_add(127) as u32) << 23);
    let e = p * pow2(half) * pow2(n - half);
    if x > HI {
        f32::INFINITY
    } else if x < LO {
        0.0
    } else {
        e
    }
}

/// Replaces every row of `m` by its softmax. Subtracts the row maximum first, so large
/// logits do not overflow; every row of the result sums to 1 up to rounding.
pub fn softmax_rows(m: &mut Matrix) {
    let cols = m.cols();
    if cols == 0 {
        return;
    }
    for r in m.as_mut_slice().chunks_exact_mut(cols) {
        let max = r.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        // The exponentials first, in a loop of their own, so that it vectorises.
        for x in r.iter_mut() {
            *x = exp(*x - max);
        }
        let sum: f32 = r.iter().sum();
        let inv = 1.0 / sum;
        for x in r.iter_mut() {
            *x *= inv;
        }
    }
}

/// Index of the largest value of `row`; the first one on ties, 0 for an empty row. NaN is
/// never chosen over a number.
pub fn argmax(row: &[f32]) -> usize {
    let mut best = 0;
    for (i, &x) in row.iter().enumerate() {
        if x > row[best] || row[best].is_nan() && !x.is_nan() {
            best = i;
        }
    }
    best
}

/// [`argmax`] of every row.
pub fn argmax_rows(m: MatrixView<'_>) -> Vec<usize> {
    (0..m.rows()).map(|i| argmax(m.row(i))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference;
    use proptest::prelude::*;

    fn matrix(rows: usize, cols: usize, seed: u32) -> Matrix {
        // A cheap deterministic fill; proptest supplies the seed.
        let mut s = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
        Matrix::from_fn(rows, cols, |_, _| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            (s % 2001) as f32 / 1000.0 - 1.0
        })
    }

    fn close(a: &Matrix, b: &Matrix, k: usize) -> bool {
        let tol = 1e-5 * (k as f32).max(1.0);
        a.shape() == b.shape()
            && a.as_slice()
                .iter()
                .zip(b.as_slice())
                .all(|(x, y)| (x - y).abs() <= tol)
    }

    fn check_gemm(m: usize, k: usize, n: usize, ta: Trans, tb: Trans, seed: u32) {
        let a = match ta {
            Trans::No => matrix(m, k, seed),
            Trans::Yes => matrix(k, m, seed),
        };
        let b = match tb {
            Trans::No => matrix(k, n, seed ^ 7),
            Trans::Yes => matrix(n, k, seed ^ 7),
        };
        let mut fast = Matrix::from_fn(m, n, |_, _| f32::NAN); // overwritten, never read
        gemm(a.view(), ta, b.view(), tb, &mut fast);
        let slow = reference::gemm(&a, ta, &b, tb);
        assert!(close(&fast, &slow, k), "{m}x{k}x{n} {ta:?} {tb:?}");
    }

    #[test]
    fn gemm_matches_reference_on_chapter_shapes() {
        // Forward, weight gradient and input gradient of 784->10->10 and 3072->10 at batch 64.
        check_gemm(64, 784, 10, Trans::No, Trans::Yes, 1);
        check_gemm(10, 64, 784, Trans::Yes, Trans::No, 2);
        check_gemm(64, 10, 10, Trans::No, Trans::No, 3);
        check_gemm(64, 100, 10, Trans::No, Trans::No, 3);
        check_gemm(64, 10, 100, Trans::No, Trans::No, 3);
        check_gemm(64, 3072, 10, Trans::No, Trans::Yes, 4);
        check_gemm(10, 64, 3072, Trans::Yes, Trans::No, 5);
        check_gemm(64, 784, 100, Trans::No, Trans::Yes, 6);
        check_gemm(100, 64, 784, Trans::Yes, Trans::No, 7);
        // A convolution's weight gradient (filters x window values, summed over every pixel of
        // a batch: the tall path, split by columns) and its input gradient.
        check_gemm(16, 5000, 75, Trans::Yes, Trans::No, 8);
        check_gemm(20, 5000, 400, Trans::Yes, Trans::No, 9);
        check_gemm(5000, 20, 400, Trans::No, Trans::No, 10);
        // Its forward pass (window rows times filters: the narrow kernel).
        check_gemm(5000, 75, 16, Trans::No, Trans::Yes, 11);
        check_gemm(5000, 400, 20, Trans::No, Trans::Yes, 12);
        // Wider than the narrow kernels: matrixmultiply, split by columns.
        check_gemm(30, 5000, 200, Trans::Yes, Trans::No, 13);
    }

    proptest! {
        /// The wide copies of the element-wise updates give the bits of the plain loops.
        #[test]
        fn element_wise_updates_give_the_plain_bits(
            wgv in proptest::collection::vec((-2.0f32..2.0, -2.0f32..2.0, -2.0f32..2.0), 0..100),
            lr in 0.0f32..1.0, momentum in 0.0f32..1.0, decay in 0.0f32..0.1,
        ) {
            let bits = |x: &[f32]| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            let w: Vec<f32> = wgv.iter().map(|t| t.0).collect();
            let g: Vec<f32> = wgv.iter().map(|t| t.1).collect();
            let v: Vec<f32> = wgv.iter().map(|t| t.2).collect();

            let mut sum = w.clone();
            add_assign(&mut sum, &g);
            let want: Vec<f32> = w.iter().zip(&g).map(|(w, g)| w + g).collect();
            prop_assert_eq!(bits(&sum), bits(&want));

            let mut plain = w.clone();
            sgd_update(&mut plain, &g, lr, decay);
            let want: Vec<f32> = w.iter().zip(&g).map(|(&w, &g)| w - lr * (g + decay * w)).collect();
            prop_assert_eq!(bits(&plain), bits(&want));

            let (mut mw, mut mv) = (w.clone(), v.clone());
            momentum_update(&mut mw, &g, &mut mv, lr, momentum, decay);
            let want_v: Vec<f32> = (0..w.len()).map(|i| momentum * v[i] + g[i] + decay * w[i]).collect();
            let want_w: Vec<f32> = (0..w.len()).map(|i| w[i] - lr * want_v[i]).collect();
            prop_assert_eq!(bits(&mv), bits(&want_v));
            prop_assert_eq!(bits(&mw), bits(&want_w));
        }
    }

    /// Every float from about -87.3 to 88.7 in steps small enough to meet every binade, and
    /// the edges: within 2 ulp of the f64 exponential, saturating beyond.
    #[test]
    fn exp_is_within_two_ulp() {
        let mut worst = 0.0f64;
        let mut x = -87.33f32;
        while x < 88.72 {
            let want = (x as f64).exp();
            let got = exp(x) as f64;
            let ulp = (want as f32).next_up() as f64 - want as f32 as f64;
            worst = worst.max((got - want).abs() / ulp);
            x += 0.000_97;
        }
        assert!(worst <= 2.0, "{worst} ulp");
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(-100.0), 0.0);
        assert_eq!(exp(89.0), f32::INFINITY);
        assert_eq!(exp(f32::INFINITY), f32::INFINITY);
        assert_eq!(exp(f32::NEG_INFINITY), 0.0);
        assert!(exp(f32::NAN).is_nan());
        assert!(exp(88.72).is_finite());
        // The edges of the range: normal, and finite.
        assert!(exp(f32::from_bits(0xc2ae_ac4f)).is_normal());
        assert!(exp(f32::from_bits(0xc2ae_ac50)) == 0.0);
        assert!(exp(88.722_83).is_finite() && exp(88.722_84) == f32::INFINITY);
    }

    #[test]
    fn empty_inner_dimension_gives_zeros() {
        check_gemm(3, 0, 4, Trans::No, Trans::Yes, 1);
        check_gemm(3, 0, 4, Trans::Yes, Trans::No, 1);
    }

    fn trans() -> impl Strategy<Value = Trans> {
        prop_oneof![Just(Trans::No), Just(Trans::Yes)]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn gemm_matches_reference(m in 1usize..40, k in 0usize..70, n in 1usize..40, ta in trans(), tb in trans(), seed: u32) {
            check_gemm(m, k, n, ta, tb, seed);
        }

        #[test]
        #[test]
        fn narrow_kernels_match_reference_at_edges(
            m in 1024usize..1030,
            k in 1usize..40,
            n in 1usize..=24,
            seed: u32,
        ) {
            // Forward (rows x filters) and weight gradient (summed over 4097+ rows).
            check_gemm(m, k, n, Trans::No, Trans::Yes, seed);
            check_gemm(n, m + 3073, k, Trans::Yes, Trans::No, seed);
        }

        #[test]
        fn thin_kernels_match_reference_at_edges(m in 1usize..9, k in 1usize..200, n in 1usize..17, seed: u32) {
            check_gemm(m, k, n, Trans::No, Trans::Yes, seed);
            check_gemm(n, m, k, Trans::Yes, Trans::No, seed);
        }

        #[test]
        fn softmax_rows_sum_to_one(rows in 1usize..8, cols in 1usize..12, seed: u32, scale in 0.1f32..100.0) {
            let mut m = matrix(rows, cols, seed);
            m.as_mut_slice().iter_mut().for_each(|x| *x *= scale);
            let before = argmax_rows(m.view());
            softmax_rows(&mut m);
            for i in 0..rows {
                let s: f32 = m.row(i).iter().sum();
                prop_assert!((s - 1.0).abs() < 1e-5, "row {} sums to {}", i, s);
                prop_assert!(m.row(i).iter().all(|&p| (0.0..=1.0).contains(&p)));
            }
            prop_assert_eq!(argmax_rows(m.view()), before);
        }
    }

    fn byte_rows(m: usize, k: usize, seed: u32) -> Vec<Vec<u8>> {
        (0..m)
            .map(|i| {
                (0..k)
                    .map(|c| ((i as u32 * 37 + c as u32 * 11 + seed) % 256) as u8)
                    .collect()
            })
            .collect()
    }

    proptest! {
        #[test]
        fn u8_products_match_the_f32_products(m in 1usize..40, k in 1usize..300, n in 1usize..20, seed: u32) {
            let bytes = byte_rows(m, k, seed);
            let rows: Vec<&[u8]> = bytes.iter().map(Vec::as_slice).collect();
            let x = Matrix::from_fn(m, k, |i, c| bytes[i][c] as f32);
            let w = matrix(n, k, seed);
            let mut out = Matrix::zeros(m, n);
            gemm_u8_nt(&rows, w.view(), &mut out);
            let want = reference::gemm(&x, Trans::No, &w, Trans::Yes);
            prop_assert!(close(&out, &want, k * 255));

            let d = matrix(m, n, seed.wrapping_add(1));
            let scale: Vec<f32> = (0..k).map(|c| 1.0 / (c % 7 + 1) as f32).collect();
            let mut g = Matrix::zeros(n, k);
            gemm_u8_tn_scaled(d.view(), &rows, &scale, &mut g);
            let mut want = reference::gemm(&d, Trans::Yes, &x, Trans::No);
            for j in 0..n {
                for (c, v) in want.row_mut(j).iter_mut().enumerate() {
                    *v *= scale[c];
                }
            }
            prop_assert!(close(&g, &want, m * 255));
        }
    }

    fn bits(m: &Matrix) -> Vec<u32> {
        m.as_slice().iter().map(|v| v.to_bits()).collect()
    }

    #[test]
    fn same_bits_on_one_thread_and_many() {
        let a = matrix(256, 3072, 11);
        let w = matrix(10, 3072, 12);
        let d = matrix(256, 10, 13);
        let h = matrix(300, 3072, 14);
        let bytes = byte_rows(256, 3072, 15);
        let rows: Vec<&[u8]> = bytes.iter().map(Vec::as_slice).collect();
        let scale = vec![1.0 / 255.0; 3072];
        // A convolution's weight gradient: 20 filters, 300 window values, 5000 pixels.
        let c = matrix(5000, 20, 16);
        let e = matrix(5000, 300, 17);
        // Each product, and how many of them took the parallel path on this pool.
        let run = || {
            let before = parallel_splits();
            let mut f = Matrix::zeros(256, 10);
            gemm(a.view(), Trans::No, w.view(), Trans::Yes, &mut f);
            let mut g = Matrix::zeros(10, 3072);
            gemm(d.view(), Trans::Yes, a.view(), Trans::No, &mut g);
            let mut big = Matrix::zeros(256, 300);
            gemm(a.view(), Trans::No, h.view(), Trans::Yes, &mut big);
            let mut fu = Matrix::zeros(256, 10);
            gemm_u8_nt(&rows, w.view(), &mut fu);
            let mut gu = Matrix::zeros(10, 3072);
            gemm_u8_tn_scaled(d.view(), &rows, &scale, &mut gu);
            let mut tall = Matrix::zeros(20, 300);
            gemm(c.view(), Trans::Yes, e.view(), Trans::No, &mut tall);
            let mut narrow = Matrix::zeros(5000, 20);
            gemm(e.view(), Trans::No, tall.view(), Trans::Yes, &mut narrow);
            let products = [
                bits(&f),
                bits(&g),
                bits(&big),
                bits(&fu),
                bits(&gu),
                bits(&tall),
                bits(&narrow),
            ];
            (products, parallel_splits() - before)
        };
        let pool = |n| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .unwrap()
        };
        let (one, one_splits) = pool(1).install(run);
        let (four, four_splits) = pool(4).install(run);
        assert_eq!(one_splits, 0, "one thread never splits");
        assert_eq!(
            four_splits, 7,
            "all seven products ran in parallel on four threads"
        );
        // Bit patterns, not `==`: -0.0 == 0.0 and NaN != NaN would hide or invent differences.
        let names = [
            "forward",
            "weight gradient",
            "general product",
            "u8 forward",
            "u8 weight gradient",
            "tall weight gradient",
            "narrow forward",
        ];
        for (what, (x, y)) in names.iter().zip(one.iter().zip(&four)) {
            assert!(x == y, "{what} differs between 1 and 4 threads");
        }
    }

    #[test]
    fn softmax_survives_huge_logits() {
        let mut m = Matrix::from_vec(1, 3, vec![1000.0, 0.0, -1000.0]).unwrap();
        softmax_rows(&mut m);
        assert_eq!(m.row(0), &[1.0, 0.0, 0.0]);
    }

    #[test]
    fn argmax_takes_first_of_ties_and_skips_nan() {
        assert_eq!(argmax(&[1.0, 3.0, 3.0]), 1);
        assert_eq!(argmax(&[f32::NAN, 0.5, 0.2]), 1);
        assert_eq!(argmax(&[]), 0);
    }

    #[test]
    fn bias_helpers() {
        let mut m = Matrix::zeros(3, 2);
        add_row_broadcast(&mut m, &[1.0, 2.0]);
        let mut s = [9.0; 2];
        sum_rows_into(m.view(), &mut s);
        assert_eq!(s, [3.0, 6.0]);
    }
}
