//! A kernel for products whose output is narrow, at most [`MAX_WIDTH`] values a row, and whose
//! left side is tall: a convolution's forward pass, with one row per output pixel of a batch
//! and one column per filter.
//!
//! A general GEMM packs both operands; here the tall one (the window rows) would be copied in
//! full to be read once per 20 filters, which costs about what the arithmetic does. This
//! kernel reads it in place instead, broadcasting one of its values at a time against the
//! filters held in registers, `MAX_WIDTH / 8` AVX vectors of them.
//!
//! As in `kernels`, it exists with AVX2 + FMA and in portable Rust, and every output value
//! comes from the same sequence of operations whatever tile or thread computes it: one
//! multiply-add per term (fused with AVX2), in the order of the summed index.

// Index loops mirror the register tiles they fill.
#![allow(clippy::needless_range_loop)]

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

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

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
}
