//! Kernels for a convolution's products: its forward pass, tall (one row per output pixel of a
//! batch) into a narrow output (one column per filter, at most [`MAX_WIDTH`]), and its weight
//! gradient, a sum over all those rows.
//!
//! A general GEMM packs both operands; here the tall one (the window rows) would be copied in
//! full to be read once per 20 filters, which costs about what the arithmetic does. These
//! kernels read it in place instead: the forward pass broadcasts one of its values at a time
//! against the filters held in registers; the weight gradient sums blocks of rows small enough
//! to stay in cache, broadcasting the output gradients against runs of window values.
//!
//! As in `kernels`, each exists with AVX2 + FMA and in portable Rust, and here also with
//! AVX-512, whose registers hold twice the lanes and which has twice the registers. Every
//! output value comes from the same sequence of operations whatever tile, thread or vector
//! width computes it: one multiply-add per term (fused with AVX2 and AVX-512), in the order of
//! the summed index. So AVX2 and AVX-512 machines give the same bits.

// Index loops mirror the register tiles they fill.
#![allow(clippy::needless_range_loop)]

use std::ops::Range;

// Whether this processor runs the AVX-512 versions: one detection for the crate.
#[cfg(target_arch = "x86_64")]
use crate::kernels::has_avx512;

/// The widest output row these kernels take.
pub(crate) const MAX_WIDTH: usize = 24;

/// Lanes in one AVX register.
const LANES: usize = 8;

/// Width `n` rounded up to whole registers.
pub(crate) fn padded(n: usize) -> usize {
    n.div_ceil(LANES) * LANES
}

/// Where the rows of a tall operand lie in the slice a product reads them from: row `i` is
/// `runs` runs of `run_len` values, run `s` starting at `i·step + s·run_step`. A plain matrix
/// is one run per row; the windows of a padded image, read in place, are one run per kernel
/// row, and consecutive windows overlap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowLayout {
    /// From one row's start to the next.
    pub step: usize,
    /// Runs per row.
    pub runs: usize,
    /// From one run's start to the next within a row.
    pub run_step: usize,
    /// Values per run.
    pub run_len: usize,
}

impl RowLayout {
    /// The rows of a plain matrix `k` wide.
    pub fn dense(k: usize) -> RowLayout {
        RowLayout {
            step: k,
            runs: 1,
            run_step: 0,
            run_len: k,
        }
    }

    /// Values per row: the length of the sums.
    pub fn k(&self) -> usize {
        self.runs * self.run_len
    }

    /// How long a slice holding `m` rows must be (0 for none; saturating, so an impossible
    /// layout is simply too long for any slice).
    pub fn extent(&self, m: usize) -> usize {
        if m == 0 || self.runs == 0 {
            return 0;
        }
        (m - 1)
            .saturating_mul(self.step)
            .saturating_add((self.runs - 1).saturating_mul(self.run_step))
            .saturating_add(self.run_len)
    }
}

/// `out (m x n) = a (m x k) · b`, where `bt` holds `b` as `k` rows of `padded(n)` values (zero
/// past `n`). `out` holds whole rows.
pub(crate) fn nt(a: &[f32], k: usize, bt: &[f32], n: usize, out: &mut [f32]) {
    assert!(n > 0 && a.len() * n == out.len() * k, "narrow::nt: shapes");
    let m = out.len() / n;
    if m > 0 && k > 0 {
        nt_rows(a, RowLayout::dense(k), bt, n, out);
    }
}

/// As [`nt`], with the `out.len() / n` rows of `a` laid out as `rows` says.
pub(crate) fn nt_rows(a: &[f32], rows: RowLayout, bt: &[f32], n: usize, out: &mut [f32]) {
    let w = padded(n);
    let k = rows.k();
    assert!(
        n > 0
            && n <= MAX_WIDTH
            && k > 0
            && rows.run_len > 0
            && bt.len() == k * w
            && out.len().is_multiple_of(n)
            && a.len() >= rows.extent(out.len() / n),
        "narrow::nt: shapes"
    );
    #[cfg(target_arch = "x86_64")]
    if n > LANES && has_avx512() {
        // SAFETY: the feature was detected; the assert pins the shapes.
        unsafe {
            if n <= x512::LANES {
                x512::nt::<1>(a, rows, bt, n, out)
            } else {
                x512::nt::<2>(a, rows, bt, n, out)
            }
        }
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if crate::kernels::has_avx2_fma() {
        // SAFETY: the features were detected; the assert pins the shapes.
        unsafe {
            match w / LANES {
                1 => x86::nt::<1>(a, rows, bt, n, out),
                2 => x86::nt::<2>(a, rows, bt, n, out),
                _ => x86::nt::<3>(a, rows, bt, n, out),
            }
        }
        return;
    }
    let m = out.len() / n;
    for i in 0..m {
        let mut acc = [0.0f32; MAX_WIDTH];
        for s in 0..rows.runs {
            let run = &a[i * rows.step + s * rows.run_step..][..rows.run_len];
            for (q, &x) in run.iter().enumerate() {
                let b = &bt[(s * rows.run_len + q) * w..][..n];
                for j in 0..n {
                    acc[j] += x * b[j];
                }
            }
        }
        out[i * n..(i + 1) * n].copy_from_slice(&acc[..n]);
    }
}

/// Rows of the tall operand summed per pass of the weight-gradient kernel: a block that stays
/// in the level-2 cache while every output row reads it.
const ROW_BLOCK: usize = 128;

/// Where the rows of the summed operand of the weight-gradient kernel lie: in lines of
/// `per_line` rows, `step` apart, the lines `line_step` apart; each row's values are
/// consecutive from its start. A plain matrix is one line; the windows of a padded image,
/// read in place, are a line per output row (for one kernel row).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineLayout {
    /// Rows per line.
    pub per_line: usize,
    /// From one line's first row to the next's.
    pub line_step: usize,
    /// From one row's start to the next within a line.
    pub step: usize,
}

impl LineLayout {
    /// The rows of a plain matrix `k` wide.
    pub fn dense(k: usize) -> LineLayout {
        LineLayout {
            per_line: usize::MAX,
            line_step: 0,
            step: k,
        }
    }

    /// Where row `r` starts (saturating, like [`RowLayout::extent`]).
    pub fn start(&self, r: usize) -> usize {
        let per = self.per_line.max(1);
        (r / per)
            .saturating_mul(self.line_step)
            .saturating_add((r % per).saturating_mul(self.step))
    }
}

/// A row's start, moved along in row order without a division per row.
#[derive(Clone, Copy)]
struct Walk {
    at: usize,
    line: usize,
    left: usize,
    layout: LineLayout,
}

impl Walk {
    fn new(layout: LineLayout, r: usize) -> Walk {
        let pos = r % layout.per_line;
        let line = layout.start(r - pos);
        Walk {
            at: line + pos * layout.step,
            line,
            left: layout.per_line - pos,
            layout,
        }
    }

    #[inline(always)]
    fn advance(&mut self) {
        self.left -= 1;
        if self.left == 0 {
            self.line += self.layout.line_step;
            self.at = self.line;
            self.left = self.layout.per_line;
        } else {
            self.at += self.layout.step;
        }
    }
}

/// `out (n x cols.len()) = dᵀ · x[:, cols]`, `x` being `r x k` and `d` `r x n`: each value a
/// sum over the `r` rows, in order (a convolution's weight gradient, filters by window values).
pub(crate) fn tn(d: &[f32], n: usize, x: &[f32], k: usize, cols: Range<usize>, out: &mut [f32]) {
    let rows = d.len() / n.max(1);
    assert!(x.len() == rows * k && cols.end <= k, "narrow::tn: shapes");
    out.fill(0.0);
    tn_lines(d, n, x, LineLayout::dense(k), cols, out);
}

/// Adds `dᵀ · x[:, cols]` onto `out` (`n x cols.len()`), the `d.len() / n` rows of `x` laid
/// out as `lines` says: each value gets one multiply-add per row, in row order, so sums split
/// across calls over consecutive rows come out the same as one call.
pub(crate) fn tn_lines(
    d: &[f32],
    n: usize,
    x: &[f32],
    lines: LineLayout,
    cols: Range<usize>,
    out: &mut [f32],
) {
    let rows = d.len() / n.max(1);
    assert!(
        n > 0
            && n <= MAX_WIDTH
            && d.len() == rows * n
            && lines.per_line > 0
            && cols.start <= cols.end
            && (rows == 0 || lines.start(rows - 1).saturating_add(cols.end) <= x.len())
            && out.len() == n * cols.len(),
        "narrow::tn: shapes"
    );
    if cols.is_empty() {
        return;
    }
    for r0 in (0..rows).step_by(ROW_BLOCK) {
        let block = r0..(r0 + ROW_BLOCK).min(rows);
        #[cfg(target_arch = "x86_64")]
        if has_avx512() {
            // SAFETY: the feature was detected; the assert pins the shapes.
            unsafe { x512::tn(d, n, x, lines, block, cols.clone(), out) };
            continue;
        }
        #[cfg(target_arch = "x86_64")]
        if crate::kernels::has_avx2_fma() {
            // SAFETY: the features were detected; the assert pins the shapes.
            unsafe { x86::tn(d, n, x, lines, block, cols.clone(), out) };
            continue;
        }
        let width = cols.len();
        let mut walk = Walk::new(lines, block.start);
        for r in block {
            for j in 0..n {
                let dj = d[r * n + j];
                for (c, col) in cols.clone().enumerate() {
                    out[j * width + c] += dj * x[walk.at + col];
                }
            }
            walk.advance();
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;
    use std::ops::Range;

    use super::{LANES, LineLayout, RowLayout, Walk};

    /// # Safety
    /// AVX2 + FMA; shapes as `super::nt_rows` asserts, with `V` registers per row of `bt`.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn nt<const V: usize>(
        a: &[f32],
        rows: RowLayout,
        bt: &[f32],
        n: usize,
        out: &mut [f32],
    ) {
        let m = out.len() / n;
        let mut i = 0;
        // SAFETY: rows i..i+R < m of `a` and `out`, and k rows of `bt`, are in bounds.
        unsafe {
            // Three rows when three registers hold a filter row: 9 accumulators, 3 filter
            // values and a broadcast stay clear of the 16 registers' limit.
            if V == 3 {
                while i + 3 <= m {
                    nt_tile::<3, V>(a, rows, bt, n, out, i);
                    i += 3;
                }
            }
            // Eight rows when one register holds a filter row: enough independent sums to
            // cover the multiply-add's latency.
            if V == 1 {
                while i + 8 <= m {
                    nt_tile::<8, V>(a, rows, bt, n, out, i);
                    i += 8;
                }
            }
            // Smaller tiles for what is left (an image row of windows is often not a whole
            // number of tiles); each output gets the same operations whichever tile holds it.
            while i + 4 <= m {
                nt_tile::<4, V>(a, rows, bt, n, out, i);
                i += 4;
            }
            while i + 2 <= m {
                nt_tile::<2, V>(a, rows, bt, n, out, i);
                i += 2;
            }
            while i < m {
                nt_tile::<1, V>(a, rows, bt, n, out, i);
                i += 1;
            }
        }
    }

    /// Output rows `i..i + R`: `R x V` accumulators, `R` broadcasts and `V` loads per term.
    #[inline(always)]
    unsafe fn nt_tile<const R: usize, const V: usize>(
        a: &[f32],
        rows: RowLayout,
        bt: &[f32],
        n: usize,
        out: &mut [f32],
        i: usize,
    ) {
        let w = V * LANES;
        // SAFETY: the caller's bounds.
        unsafe {
            let (ap, bp) = (a.as_ptr().add(i * rows.step), bt.as_ptr());
            let mut acc = [[_mm256_setzero_ps(); V]; R];
            for s in 0..rows.runs {
                let (rp, bs) = (ap.add(s * rows.run_step), bp.add(s * rows.run_len * w));
                for p in 0..rows.run_len {
                    // Loops, not closures: a closure would not inherit the target features.
                    let mut b = [_mm256_setzero_ps(); V];
                    for v in 0..V {
                        b[v] = _mm256_loadu_ps(bs.add(p * w + v * LANES));
                    }
                    for r in 0..R {
                        let x = _mm256_broadcast_ss(&*rp.add(r * rows.step + p));
                        for v in 0..V {
                            acc[r][v] = _mm256_fmadd_ps(x, b[v], acc[r][v]);
                        }
                    }
                }
            }
            let mut row = [0.0f32; 3 * LANES];
            for r in 0..R {
                for v in 0..V {
                    _mm256_storeu_ps(row.as_mut_ptr().add(v * LANES), acc[r][v]);
                }
                out[(i + r) * n..(i + r + 1) * n].copy_from_slice(&row[..n]);
            }
        }
    }

    /// Adds rows `rows` of `dᵀ · x[:, cols]` onto `out` (`n x cols.len()`).
    ///
    /// # Safety
    /// AVX2 + FMA; shapes as `super::tn` asserts.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn tn(
        d: &[f32],
        n: usize,
        x: &[f32],
        k: LineLayout,
        rows: Range<usize>,
        cols: Range<usize>,
        out: &mut [f32],
    ) {
        let width = cols.len();
        let mut c = cols.start;
        // SAFETY: columns c..c + 8V <= cols.end of rows `rows`, and outputs j..j + 4 <= n, are
        // in bounds by the caller's assert.
        unsafe {
            while c + 3 * LANES <= cols.end {
                for j in (0..n).step_by(4) {
                    tn_tile::<3>(d, n, x, k, rows.clone(), c, j, out, width, c - cols.start);
                }
                c += 3 * LANES;
            }
            while c + LANES <= cols.end {
                for j in (0..n).step_by(4) {
                    tn_tile::<1>(d, n, x, k, rows.clone(), c, j, out, width, c - cols.start);
                }
                c += LANES;
            }
            // The last few columns: one register, masked to them. Which columns these are
            // depends on `k` only (blocks start at multiples of 16), and each value still gets
            // the same fused operations in row order.
            if c < cols.end {
                let lanes = cols.end - c;
                let mask = _mm256_cmpgt_epi32(
                    _mm256_set1_epi32(lanes as i32),
                    _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
                );
                for j in (0..n).step_by(4) {
                    tn_tail(
                        d,
                        n,
                        x,
                        k,
                        rows.clone(),
                        c,
                        j,
                        out,
                        width,
                        c - cols.start,
                        mask,
                    );
                }
            }
        }
    }

    /// As `tn_tile::<1>`, for the fewer than 8 columns that `mask` selects.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    unsafe fn tn_tail(
        d: &[f32],
        n: usize,
        x: &[f32],
        k: LineLayout,
        rows: Range<usize>,
        c: usize,
        j: usize,
        out: &mut [f32],
        width: usize,
        at: usize,
        mask: __m256i,
    ) {
        let rj = (n - j).min(4);
        // SAFETY: the caller's bounds; masked-off lanes are neither read nor written.
        unsafe {
            let op = out.as_mut_ptr();
            let mut acc = [_mm256_setzero_ps(); 4];
            for q in 0..rj {
                acc[q] = _mm256_maskload_ps(op.add((j + q) * width + at), mask);
            }
            let mut walk = Walk::new(k, rows.start);
            for r in rows {
                let xv = _mm256_maskload_ps(x.as_ptr().add(walk.at + c), mask);
                walk.advance();
                for q in 0..4 {
                    if q < rj {
                        let dq = _mm256_broadcast_ss(&*d.as_ptr().add(r * n + j + q));
                        acc[q] = _mm256_fmadd_ps(dq, xv, acc[q]);
                    }
                }
            }
            for q in 0..rj {
                _mm256_maskstore_ps(op.add((j + q) * width + at), mask, acc[q]);
            }
        }
    }

    /// Outputs `j..j + 4` (fewer at the end) by columns `c..c + 8V`: `4 x V` accumulators, `V`
    /// loads and 4 broadcasts per row.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    unsafe fn tn_tile<const V: usize>(
        d: &[f32],
        n: usize,
        x: &[f32],
        k: LineLayout,
        rows: Range<usize>,
        c: usize,
        j: usize,
        out: &mut [f32],
        width: usize,
        at: usize,
    ) {
        let rj = (n - j).min(4);
        // SAFETY: the caller's bounds.
        unsafe {
            let op = out.as_mut_ptr();
            let mut acc = [[_mm256_setzero_ps(); V]; 4];
            for q in 0..rj {
                for v in 0..V {
                    acc[q][v] = _mm256_loadu_ps(op.add((j + q) * width + at + v * LANES));
                }
            }
            let mut walk = Walk::new(k, rows.start);
            for r in rows {
                let mut xv = [_mm256_setzero_ps(); V];
                for v in 0..V {
                    xv[v] = _mm256_loadu_ps(x.as_ptr().add(walk.at + c + v * LANES));
                }
                walk.advance();
                for q in 0..4 {
                    if q < rj {
                        let dq = _mm256_broadcast_ss(&*d.as_ptr().add(r * n + j + q));
                        for v in 0..V {
                            acc[q][v] = _mm256_fmadd_ps(dq, xv[v], acc[q][v]);
                        }
                    }
                }
            }
            for q in 0..rj {
                for v in 0..V {
                    _mm256_storeu_ps(op.add((j + q) * width + at + v * LANES), acc[q][v]);
                }
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x512 {
    use std::arch::x86_64::*;
    use std::ops::Range;

    use super::{LineLayout, RowLayout, Walk};

    /// Lanes in one AVX-512 register.
    pub(super) const LANES: usize = 16;

    /// The mask of a register's first `n` lanes (all of them from 16 on).
    fn first(n: usize) -> __mmask16 {
        if n >= LANES { !0 } else { (1u16 << n) - 1 }
    }

    /// # Safety
    /// AVX-512F; shapes as `super::nt_rows` asserts, with `16 (V - 1) < n <= 16 V`.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn nt<const V: usize>(
        a: &[f32],
        rows: RowLayout,
        bt: &[f32],
        n: usize,
        out: &mut [f32],
    ) {
        let w = super::padded(n);
        // The rows of `bt` are `w` long and the rows of `out` `n`: the last register of each
        // is masked to them, and masked lanes are neither read nor written.
        let (mut load, mut store) = ([0; V], [0; V]);
        for v in 0..V {
            load[v] = first(w.saturating_sub(v * LANES));
            store[v] = first(n.saturating_sub(v * LANES));
        }
        let masks = (load, store);
        let m = out.len() / n;
        let mut i = 0;
        // SAFETY: rows i..i+R < m of `a` and `out`, and k rows of `bt`, are in bounds.
        unsafe {
            // 12 or 16 accumulators: enough independent sums to cover the multiply-add's
            // latency on two pipes, with the filters' registers well inside the 32.
            if V == 1 {
                while i + 12 <= m {
                    nt_tile::<12, V>(a, rows, bt, (n, w), out, i, masks);
                    i += 12;
                }
            }
            while i + 8 <= m {
                nt_tile::<8, V>(a, rows, bt, (n, w), out, i, masks);
                i += 8;
            }
            // Smaller tiles for what is left, as in the AVX2 version.
            while i + 4 <= m {
                nt_tile::<4, V>(a, rows, bt, (n, w), out, i, masks);
                i += 4;
            }
            while i + 2 <= m {
                nt_tile::<2, V>(a, rows, bt, (n, w), out, i, masks);
                i += 2;
            }
            while i < m {
                nt_tile::<1, V>(a, rows, bt, (n, w), out, i, masks);
                i += 1;
            }
        }
    }

    /// Output rows `i..i + R`: `R x V` accumulators, `R` broadcasts and `V` loads per term.
    #[inline(always)]
    unsafe fn nt_tile<const R: usize, const V: usize>(
        a: &[f32],
        rows: RowLayout,
        bt: &[f32],
        (n, w): (usize, usize),
        out: &mut [f32],
        i: usize,
        (load, store): ([__mmask16; V], [__mmask16; V]),
    ) {
        // SAFETY: the caller's bounds; masked lanes stay untouched.
        unsafe {
            let (ap, bp, op) = (a.as_ptr().add(i * rows.step), bt.as_ptr(), out.as_mut_ptr());
            let mut acc = [[_mm512_setzero_ps(); V]; R];
            for s in 0..rows.runs {
                let (rp, bs) = (ap.add(s * rows.run_step), bp.add(s * rows.run_len * w));
                for p in 0..rows.run_len {
                    let mut b = [_mm512_setzero_ps(); V];
                    for v in 0..V {
                        b[v] = _mm512_maskz_loadu_ps(load[v], bs.add(p * w + v * LANES));
                    }
                    for r in 0..R {
                        let x = _mm512_set1_ps(*rp.add(r * rows.step + p));
                        for v in 0..V {
                            acc[r][v] = _mm512_fmadd_ps(x, b[v], acc[r][v]);
                        }
                    }
                }
            }
            for r in 0..R {
                for v in 0..V {
                    _mm512_mask_storeu_ps(op.add((i + r) * n + v * LANES), store[v], acc[r][v]);
                }
            }
        }
    }

    /// Outputs summed per tile of the weight gradient: 8 x 3 accumulators, 3 window values
    /// and a broadcast fit the 32 registers.
    const OUTPUTS: usize = 8;

    /// Adds rows `rows` of `dᵀ · x[:, cols]` onto `out` (`n x cols.len()`).
    ///
    /// # Safety
    /// AVX-512F; shapes as `super::tn` asserts.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn tn(
        d: &[f32],
        n: usize,
        x: &[f32],
        k: LineLayout,
        rows: Range<usize>,
        cols: Range<usize>,
        out: &mut [f32],
    ) {
        let width = cols.len();
        let mut c = cols.start;
        // SAFETY: columns c.. of rows `rows` up to cols.end, and outputs j..j + 8 <= n, are in
        // bounds by the caller's assert; the mask keeps the last register inside cols.end.
        unsafe {
            while c + 3 * LANES <= cols.end {
                for j in (0..n).step_by(OUTPUTS) {
                    let at = (c, c - cols.start, width);
                    tn_tile::<3>(d, n, x, k, rows.clone(), j, at, out, !0);
                }
                c += 3 * LANES;
            }
            // One register at a time; the last one masked to the columns left, which depend
            // on `k` and the column split only, so each value gets the same operations.
            while c < cols.end {
                let mask = first(cols.end - c);
                for j in (0..n).step_by(OUTPUTS) {
                    let at = (c, c - cols.start, width);
                    tn_tile::<1>(d, n, x, k, rows.clone(), j, at, out, mask);
                }
                c += LANES;
            }
        }
    }

    /// Outputs `j..j + 8` (fewer at the end) by the `16 V` columns from `c` (the last register
    /// masked by `last`), at column `at` of rows `width` long in `out`.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    unsafe fn tn_tile<const V: usize>(
        d: &[f32],
        n: usize,
        x: &[f32],
        k: LineLayout,
        rows: Range<usize>,
        j: usize,
        (c, at, width): (usize, usize, usize),
        out: &mut [f32],
        last: __mmask16,
    ) {
        let rj = (n - j).min(OUTPUTS);
        let mut mask = [!0; V];
        mask[V - 1] = last;
        // SAFETY: the caller's bounds; masked lanes are neither read nor written.
        unsafe {
            let op = out.as_mut_ptr();
            let mut acc = [[_mm512_setzero_ps(); V]; OUTPUTS];
            for q in 0..rj {
                for v in 0..V {
                    let o = op.add((j + q) * width + at + v * LANES);
                    acc[q][v] = _mm512_maskz_loadu_ps(mask[v], o);
                }
            }
            let mut walk = Walk::new(k, rows.start);
            for r in rows {
                let mut xv = [_mm512_setzero_ps(); V];
                for v in 0..V {
                    let xp = x.as_ptr().add(walk.at + c + v * LANES);
                    xv[v] = _mm512_maskz_loadu_ps(mask[v], xp);
                }
                walk.advance();
                for q in 0..OUTPUTS {
                    if q < rj {
                        let dq = _mm512_set1_ps(*d.as_ptr().add(r * n + j + q));
                        for v in 0..V {
                            acc[q][v] = _mm512_fmadd_ps(dq, xv[v], acc[q][v]);
                        }
                    }
                }
            }
            for q in 0..rj {
                for v in 0..V {
                    let o = op.add((j + q) * width + at + v * LANES);
                    _mm512_mask_storeu_ps(o, mask[v], acc[q][v]);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn values(len: usize, seed: u32) -> Vec<f32> {
        let mut s = seed.wrapping_mul(2_654_435_761) | 1;
        (0..len)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                (s % 2001) as f32 / 1000.0 - 1.0
            })
            .collect()
    }

    /// `b` (`k x n`) as `nt` takes it: rows padded with zeros to whole AVX registers.
    fn padded_rows(b: &[f32], k: usize, n: usize) -> Vec<f32> {
        let w = padded(n);
        let mut bt = vec![0.0; k * w];
        for p in 0..k {
            bt[p * w..p * w + n].copy_from_slice(&b[p * n..(p + 1) * n]);
        }
        bt
    }

    fn bits(v: &[f32]) -> Vec<u32> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    fn close(got: &[f32], want: &[f64], terms: usize) -> bool {
        got.iter()
            .zip(want)
            .all(|(&g, &w)| (g as f64 - w).abs() <= 1e-6 * terms as f64 * (1.0 + w.abs()))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// The forward kernel: right against f64 sums, and where both vector widths run, the
        /// AVX-512 and AVX2 versions give the same bits.
        #[test]
        fn forward_is_right_and_the_same_bits_at_both_widths(
            m in 1usize..60, k in 1usize..90, n in 1usize..=MAX_WIDTH, seed: u32,
        ) {
            let (a, b) = (values(m * k, seed), values(k * n, seed ^ 7));
            let bt = padded_rows(&b, k, n);
            let mut out = vec![f32::NAN; m * n];
            nt(&a, k, &bt, n, &mut out);
            let want: Vec<f64> = (0..m * n)
                .map(|o| (0..k).map(|p| a[o / n * k + p] as f64 * b[p * n + o % n] as f64).sum())
                .collect();
            prop_assert!(close(&out, &want, k));
            #[cfg(target_arch = "x86_64")]
            if has_avx512() && n > LANES {
                let mut narrow = vec![f32::NAN; m * n];
                // SAFETY: both feature sets were detected; the shapes are those `nt` checked.
                unsafe {
                    if n <= 2 * LANES {
                        x86::nt::<2>(&a, RowLayout::dense(k), &bt, n, &mut narrow)
                    } else {
                        x86::nt::<3>(&a, RowLayout::dense(k), &bt, n, &mut narrow)
                    }
                }
                let mut wide = vec![f32::NAN; m * n];
                // SAFETY: as above.
                unsafe {
                    if n <= x512::LANES {
                        x512::nt::<1>(&a, RowLayout::dense(k), &bt, n, &mut wide)
                    } else {
                        x512::nt::<2>(&a, RowLayout::dense(k), &bt, n, &mut wide)
                    }
                }
                prop_assert_eq!(bits(&narrow), bits(&wide));
            }
        }

        /// Rows read in place through a layout (overlapping windows, runs with gaps) give the
        /// same bits as the same rows copied out into a plain matrix.
        #[test]
        fn rows_laid_out_in_place_match_rows_copied_out(
            m in 1usize..40, runs in 1usize..5, run_len in 1usize..30, n in 1usize..=MAX_WIDTH,
            step in 1usize..40, gap in 0usize..50, seed: u32,
        ) {
            let rows = RowLayout { step, runs, run_step: run_len + gap, run_len };
            let k = rows.k();
            let a = values(rows.extent(m), seed);
            let dense: Vec<f32> = (0..m)
                .flat_map(|i| {
                    let a = &a;
                    (0..runs).flat_map(move |s| {
                        a[i * step + s * rows.run_step..][..run_len].iter().copied()
                    })
                })
                .collect();
            let bt = padded_rows(&values(k * n, seed ^ 5), k, n);
            let (mut laid, mut copied) = (vec![f32::NAN; m * n], vec![f32::NAN; m * n]);
            nt_rows(&a, rows, &bt, n, &mut laid);
            nt(&dense, k, &bt, n, &mut copied);
            prop_assert_eq!(bits(&laid), bits(&copied));
        }

        /// Likewise for the weight gradient's rows in lines, summed in two calls over
        /// consecutive rows against one call on the rows copied out.
        #[test]
        fn lines_laid_out_in_place_match_rows_copied_out(
            rows in 1usize..300, per_line in 1usize..20, k in 1usize..70, extra in 0usize..30,
            n in 1usize..=MAX_WIDTH, split in 0usize..300, seed: u32,
        ) {
            let lines = LineLayout { per_line, line_step: per_line * k + extra, step: k };
            let x = values(lines.start(rows - 1) + k, seed);
            let dense: Vec<f32> =
                (0..rows).flat_map(|r| x[lines.start(r)..][..k].iter().copied()).collect();
            let d = values(rows * n, seed ^ 9);
            let split = split.min(rows);
            let mut laid = vec![0.0; n * k];
            tn_lines(&d[..split * n], n, &x, lines, 0..k, &mut laid);
            // The rest as a plain matrix. Past 128 rows the kernel starts a second row block,
            // often inside a line: the walk to a row's start must get that right.
            let tail = &dense[split * k..];
            tn_lines(&d[split * n..], n, tail, LineLayout::dense(k), 0..k, &mut laid);
            let mut copied = vec![f32::NAN; n * k];
            tn(&d, n, &dense, k, 0..k, &mut copied);
            prop_assert_eq!(bits(&laid), bits(&copied));
        }

        /// The weight-gradient kernel over a column range, both widths likewise; the columns
        /// reach past three AVX-512 registers so every tile and mask is taken.
        #[test]
        fn weight_gradient_is_right_and_the_same_bits_at_both_widths(
            rows in 1usize..300, k in 1usize..120, n in 1usize..=MAX_WIDTH,
            from in 0usize..30, seed: u32,
        ) {
            let (d, x) = (values(rows * n, seed), values(rows * k, seed ^ 3));
            let cols = from.min(k - 1)..k;
            let width = cols.len();
            let mut out = vec![f32::NAN; n * width];
            tn(&d, n, &x, k, cols.clone(), &mut out);
            let want: Vec<f64> = (0..n * width)
                .map(|o| {
                    let (j, c) = (o / width, cols.start + o % width);
                    (0..rows).map(|r| d[r * n + j] as f64 * x[r * k + c] as f64).sum()
                })
                .collect();
            prop_assert!(close(&out, &want, rows));
            #[cfg(target_arch = "x86_64")]
            if has_avx512() {
                let mut narrow = vec![0.0; n * width];
                let mut wide = vec![0.0; n * width];
                // Row blocks only split where the sums stop and resume: one call for all rows
                // gives the same bits. SAFETY: both feature sets were detected.
                unsafe {
                    x86::tn(&d, n, &x, LineLayout::dense(k), 0..rows, cols.clone(), &mut narrow);
                    x512::tn(&d, n, &x, LineLayout::dense(k), 0..rows, cols.clone(), &mut wide);
                }
                prop_assert_eq!(bits(&narrow), bits(&wide));
                prop_assert_eq!(bits(&out), bits(&wide));
            }
        }
    }
}
