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
//! As in `kernels`, each exists with AVX2 + FMA and in portable Rust, and every output value
//! comes from the same sequence of operations whatever tile or thread computes it: one
//! multiply-add per term (fused with AVX2), in the order of the summed index.

// Index loops mirror the register tiles they fill.
#![allow(clippy::needless_range_loop)]

use std::ops::Range;

/// The widest output row these kernels take.
pub(crate) const MAX_WIDTH: usize = 24;

/// Lanes in one AVX register.
const LANES: usize = 8;

/// Width `n` rounded up to whole registers.
pub(crate) fn padded(n: usize) -> usize {
    n.div_ceil(LANES) * LANES
}

/// `out (m x n) = a (m x k) · b`, where `bt` holds `b` as `k` rows of `padded(n)` values (zero
/// past `n`). `out` holds whole rows.
pub(crate) fn nt(a: &[f32], k: usize, bt: &[f32], n: usize, out: &mut [f32]) {
    let w = padded(n);
    assert!(
        n > 0 && n <= MAX_WIDTH && bt.len() == k * w && a.len() * n == out.len() * k,
        "narrow::nt: shapes"
    );
    #[cfg(target_arch = "x86_64")]
    if crate::kernels::has_avx2_fma() {
        // SAFETY: the features were detected; the assert pins the shapes.
        unsafe {
            match w / LANES {
                1 => x86::nt::<1>(a, k, bt, n, out),
                2 => x86::nt::<2>(a, k, bt, n, out),
                _ => x86::nt::<3>(a, k, bt, n, out),
            }
        }
        return;
    }
    let m = out.len() / n;
    for i in 0..m {
        let mut acc = [0.0f32; MAX_WIDTH];
        for p in 0..k {
            let x = a[i * k + p];
            for j in 0..n {
                acc[j] += x * bt[p * w + j];
            }
        }
        out[i * n..(i + 1) * n].copy_from_slice(&acc[..n]);
    }
}

/// Rows of the tall operand summed per pass of the weight-gradient kernel: a block that stays
/// in the level-2 cache while every output row reads it.
const ROW_BLOCK: usize = 128;

/// `out (n x cols.len()) = dᵀ · x[:, cols]`, `x` being `r x k` and `d` `r x n`: each value a
/// sum over the `r` rows, in order (a convolution's weight gradient, filters by window values).
pub(crate) fn tn(d: &[f32], n: usize, x: &[f32], k: usize, cols: Range<usize>, out: &mut [f32]) {
    let rows = d.len() / n.max(1);
    assert!(
        n > 0
            && n <= MAX_WIDTH
            && x.len() == rows * k
            && cols.end <= k
            && out.len() == n * cols.len(),
        "narrow::tn: shapes"
    );
    out.fill(0.0);
    for r0 in (0..rows).step_by(ROW_BLOCK) {
        let block = r0..(r0 + ROW_BLOCK).min(rows);
        #[cfg(target_arch = "x86_64")]
        if crate::kernels::has_avx2_fma() {
            // SAFETY: the features were detected; the assert pins the shapes.
            unsafe { x86::tn(d, n, x, k, block, cols.clone(), out) };
            continue;
        }
        let width = cols.len();
        for r in block {
            for j in 0..n {
                let dj = d[r * n + j];
                for (c, col) in cols.clone().enumerate() {
                    out[j * width + c] += dj * x[r * k + col];
                }
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;
    use std::ops::Range;

    use super::LANES;

    /// # Safety
    /// AVX2 + FMA; shapes as `super::nt` asserts, with `V` registers per row of `bt`.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn nt<const V: usize>(
        a: &[f32],
        k: usize,
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
                    nt_tile::<3, V>(a, k, bt, n, out, i);
                    i += 3;
                }
            }
            // Eight rows when one register holds a filter row: enough independent sums to
            // cover the multiply-add's latency.
            if V == 1 {
                while i + 8 <= m {
                    nt_tile::<8, V>(a, k, bt, n, out, i);
                    i += 8;
                }
            }
            while i + 4 <= m {
                nt_tile::<4, V>(a, k, bt, n, out, i);
                i += 4;
            }
            while i < m {
                nt_tile::<1, V>(a, k, bt, n, out, i);
                i += 1;
            }
        }
    }

    /// Output rows `i..i + R`: `R x V` accumulators, `R` broadcasts and `V` loads per term.
    #[inline(always)]
    unsafe fn nt_tile<const R: usize, const V: usize>(
        a: &[f32],
        k: usize,
        bt: &[f32],
        n: usize,
        out: &mut [f32],
        i: usize,
    ) {
        let w = V * LANES;
        // SAFETY: the caller's bounds.
        unsafe {
            let (ap, bp) = (a.as_ptr().add(i * k), bt.as_ptr());
            let mut acc = [[_mm256_setzero_ps(); V]; R];
            for p in 0..k {
                // Loops, not closures: a closure would not inherit the target features.
                let mut b = [_mm256_setzero_ps(); V];
                for v in 0..V {
                    b[v] = _mm256_loadu_ps(bp.add(p * w + v * LANES));
                }
                for r in 0..R {
                    let x = _mm256_broadcast_ss(&*ap.add(r * k + p));
                    for v in 0..V {
                        acc[r][v] = _mm256_fmadd_ps(x, b[v], acc[r][v]);
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
        k: usize,
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
        k: usize,
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
            for r in rows {
                let xv = _mm256_maskload_ps(x.as_ptr().add(r * k + c), mask);
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
        k: usize,
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
            for r in rows {
                let mut xv = [_mm256_setzero_ps(); V];
                for v in 0..V {
                    xv[v] = _mm256_loadu_ps(x.as_ptr().add(r * k + c + v * LANES));
                }
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
