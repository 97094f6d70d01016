//! The thin kernels of the parent module again with AVX-512: sixteen lanes to an instruction
//! instead of eight, and the same bits as the AVX2 versions, so that a model trained on one
//! processor is the model trained on another.
//!
//! No sum is reordered to get there. A forward dot product keeps the AVX2 kernel's eight
//! partial sums, and one 512-bit register holds the eight of two rows side by side, against
//! the weights broadcast into both halves. A weight-gradient column is summed down the rows,
//! as before; a register just holds sixteen columns instead of eight.

// Index loops mirror the register tiles they fill; iterators would hide the tile shape. The
// tile functions take each shape as its own argument, like the AVX2 ones, and all inline.
#![allow(clippy::needless_range_loop, clippy::too_many_arguments)]

use std::arch::x86_64::*;

use super::x86::{hsum, prefetch_row};

/// Whether this processor runs these kernels (AVX2 and FMA as well, for the shared tails).
pub(super) fn available() -> bool {
    use std::sync::OnceLock;
    static HAS: OnceLock<bool> = OnceLock::new();
    *HAS.get_or_init(|| is_x86_feature_detected!("avx512f") && super::x86::has_avx2_fma())
}

/// The mask of a register's first `n` lanes (all of them from 16 on).
#[inline(always)]
fn first(n: usize) -> __mmask16 {
    if n >= 16 { !0 } else { (1u16 << n) - 1 }
}

/// What the kernels read their rows of: values, or bytes turned into values in a register.
trait Lanes: Copy {
    /// Eight elements at `a` in the low half of a register and eight at `b` in the high half.
    ///
    /// # Safety
    /// Eight elements readable at each pointer; AVX-512F available.
    unsafe fn load8x2(a: *const Self, b: *const Self) -> __m512;
    /// Sixteen consecutive elements at `p`.
    ///
    /// # Safety
    /// Sixteen elements readable at `p`; AVX-512F available.
    unsafe fn load16(p: *const Self) -> __m512;
    /// The first `count` (below 16) elements at `p`, zeros after them.
    ///
    /// # Safety
    /// `count` elements readable at `p`; AVX-512F available.
    unsafe fn load_first(p: *const Self, count: usize) -> __m512;
    /// One element as f32.
    fn value(self) -> f32;
}

impl Lanes for f32 {
    #[inline(always)]
    unsafe fn load8x2(a: *const f32, b: *const f32) -> __m512 {
        // SAFETY: as the trait requires.
        unsafe {
            let lo = _mm512_castps_pd(_mm512_castps256_ps512(_mm256_loadu_ps(a)));
            let hi = _mm256_castps_pd(_mm256_loadu_ps(b));
            _mm512_castpd_ps(_mm512_insertf64x4::<1>(lo, hi))
        }
    }
    #[inline(always)]
    unsafe fn load16(p: *const f32) -> __m512 {
        // SAFETY: as the trait requires.
        unsafe { _mm512_loadu_ps(p) }
    }
    #[inline(always)]
    unsafe fn load_first(p: *const f32, count: usize) -> __m512 {
        // SAFETY: as the trait requires; masked lanes are not read.
        unsafe { _mm512_maskz_loadu_ps(first(count), p) }
    }
    #[inline(always)]
    fn value(self) -> f32 {
        self
    }
}

impl Lanes for u8 {
    #[inline(always)]
    unsafe fn load8x2(a: *const u8, b: *const u8) -> __m512 {
        // SAFETY: as the trait requires; every byte is an integer below 2^24, so exact.
        unsafe {
            let v = _mm_unpacklo_epi64(_mm_loadl_epi64(a.cast()), _mm_loadl_epi64(b.cast()));
            _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(v))
        }
    }
    #[inline(always)]
    unsafe fn load16(p: *const u8) -> __m512 {
        // SAFETY: as the trait requires.
        unsafe { _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128(p.cast()))) }
    }
    #[inline(always)]
    unsafe fn load_first(p: *const u8, count: usize) -> __m512 {
        let mut buf = [0u8; 16];
        // SAFETY: as the trait requires.
        unsafe {
            std::ptr::copy_nonoverlapping(p, buf.as_mut_ptr(), count);
            Self::load16(buf.as_ptr())
        }
    }
    #[inline(always)]
    fn value(self) -> f32 {
        self as f32
    }
}

/// Dots of `RP` pairs of rows (each `k` long, one pair to a register) with `RB` rows of `w`.
/// `out[rp][h][rb]` is row `h` of pair `rp` against row `rb`.
#[inline(always)]
unsafe fn dot_tile<T: Lanes, const RP: usize, const RB: usize>(
    a: [[*const T; 2]; RP],
    w: *const f32,
    k: usize,
) -> [[[f32; RB]; 2]; RP] {
    // SAFETY (whole fn): the caller guarantees 2·RP rows of k elements, RB rows of k floats at
    // `w`, and AVX-512F + FMA.
    unsafe {
        let mut acc = [[_mm512_setzero_ps(); RB]; RP];
        let body = k / 8 * 8;
        let mut p = 0;
        while p < body {
            let av: [__m512; RP] =
                std::array::from_fn(|r| T::load8x2(a[r][0].add(p), a[r][1].add(p)));
            for rb in 0..RB {
                let w8 = _mm256_castps_pd(_mm256_loadu_ps(w.add(rb * k + p)));
                let wv = _mm512_castpd_ps(_mm512_broadcast_f64x4(w8));
                for rp in 0..RP {
                    acc[rp][rb] = _mm512_fmadd_ps(av[rp], wv, acc[rp][rb]);
                }
            }
            p += 8;
        }
        let mut out = [[[0.0f32; RB]; 2]; RP];
        for rp in 0..RP {
            for rb in 0..RB {
                let v = _mm512_castps_pd(acc[rp][rb]);
                let halves = [
                    _mm256_castpd_ps(_mm512_castpd512_pd256(v)),
                    _mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(v)),
                ];
                for (h, half) in halves.into_iter().enumerate() {
                    // The AVX2 kernel's reduction and tail, operation for operation.
                    let mut s = hsum(half);
                    for q in body..k {
                        s = (*a[rp][h].add(q)).value().mul_add(*w.add(rb * k + q), s);
                    }
                    out[rp][h][rb] = s;
                }
            }
        }
        out
    }
}

/// The output rows of the pairs at `a` (`n` wide), starting at row `i`; `rows` of them are
/// written (a last pair may hold one row twice), added to what is there when `acc`.
#[inline(always)]
unsafe fn nt_rows<T: Lanes, const RP: usize>(
    a: [[*const T; 2]; RP],
    rows: usize,
    w: &[f32],
    k: usize,
    out: &mut [f32],
    n: usize,
    i: usize,
    acc: bool,
) {
    let mut j = 0;
    while j < n {
        macro_rules! tile {
            ($rb:literal) => {{
                // SAFETY: the rows at `a` hold k elements and rows j..j+$rb of w exist (the
                // caller's shapes and the loop bounds); AVX-512F + FMA are enabled.
                let t = unsafe { dot_tile::<T, RP, $rb>(a, w.as_ptr().add(j * k), k) };
                for r in 0..rows {
                    let o = &mut out[(i + r) * n + j..(i + r) * n + j + $rb];
                    let t = &t[r / 2][r % 2];
                    for rb in 0..$rb {
                        o[rb] = if acc { o[rb] + t[rb] } else { t[rb] };
                    }
                }
                j += $rb;
            }};
        }
        // Ten outputs against four rows: twenty accumulators of the 32 registers, fourteen
        // loads per twenty multiply-adds.
        match n - j {
            10.. => tile!(10),
            5..=9 => tile!(5),
            4 => tile!(4),
            3 => tile!(3),
            2 => tile!(2),
            _ => tile!(1),
        }
    }
}

/// Every row of the output from the rows `row(0..m)`, four at a time, then two, then one.
#[inline(always)]
unsafe fn nt_all<T: Lanes>(
    m: usize,
    row: impl Fn(usize) -> *const T,
    w: &[f32],
    k: usize,
    out: &mut [f32],
    n: usize,
    acc: bool,
    prefetch: impl Fn(usize),
) {
    let mut i = 0;
    // SAFETY (whole fn): the caller guarantees m rows of k elements behind `row`, w of n x k
    // and out of m x n; AVX-512F + FMA.
    unsafe {
        while i + 4 <= m {
            prefetch(i + 4);
            let a = [[row(i), row(i + 1)], [row(i + 2), row(i + 3)]];
            nt_rows::<T, 2>(a, 4, w, k, out, n, i, acc);
            i += 4;
        }
        if i + 2 <= m {
            nt_rows::<T, 1>([[row(i), row(i + 1)]], 2, w, k, out, n, i, acc);
            i += 2;
        }
        if i < m {
            // The last row paired with itself; the copy's sums are dropped.
            nt_rows::<T, 1>([[row(i), row(i)]], 1, w, k, out, n, i, acc);
        }
    }
}

/// # Safety
/// The processor must support AVX-512F, AVX2 and FMA; `a` is `m x k`, `b` is `n x k`, `out`
/// is `m x n`.
#[target_feature(enable = "avx512f,avx2,fma")]
pub(super) unsafe fn nt(a: &[f32], b: &[f32], k: usize, out: &mut [f32], n: usize, acc: bool) {
    assert!(a.len() * n == out.len() * k && b.len() == n * k);
    let m = out.len() / n.max(1);
    let ap = a.as_ptr();
    // SAFETY: the assert above pins the shapes the row tiles read.
    unsafe { nt_all(m, |r| ap.add(r * k), b, k, out, n, acc, |_| {}) }
}

/// # Safety
/// The processor must support AVX-512F, AVX2 and FMA; every row of `x` is `k` bytes, `w` is
/// `n x k` and `out` is `x.len() x n`.
#[target_feature(enable = "avx512f,avx2,fma")]
pub(super) unsafe fn nt_u8(x: &[&[u8]], w: &[f32], k: usize, out: &mut [f32], n: usize) {
    let m = x.len();
    assert!(out.len() == m * n && w.len() == n * k && x.iter().all(|r| r.len() == k));
    // The next tile's rows start their way from memory while this one computes.
    let prefetch = |i: usize| {
        x[i.min(m)..m.min(i + 4)]
            .iter()
            .for_each(|r| prefetch_row(r))
    };
    // SAFETY: the assert above pins the shapes the row tiles read.
    unsafe { nt_all(m, |r| x[r].as_ptr(), w, k, out, n, false, prefetch) }
}

/// `out[j][c'] = scale(c) · Σ_i d[i][j] · x_i[c]` for `c` in `cols`, as the AVX2 `tn_rows`.
///
/// # Safety
/// AVX-512F + FMA; `row(i)` for `i < m = d.len() / n` points at a row of at least `cols.end`
/// elements; `out` is `n x cols.len()`; `scale`, when given, covers `cols`.
#[inline(always)]
unsafe fn tn_rows<T: Lanes>(
    d: &[f32],
    n: usize,
    row: impl Fn(usize) -> *const T,
    cols: std::ops::Range<usize>,
    scale: Option<&[f32]>,
    out: &mut [f32],
) {
    let mut c = cols.start;
    // SAFETY: the blocks stay within `cols` and the caller's contract covers the rest.
    unsafe {
        while c + 32 <= cols.end {
            tn_block::<T, 2, false>(d, n, &row, c, cols.start, cols.len(), scale, out);
            c += 32;
        }
        if c + 16 <= cols.end {
            tn_block::<T, 1, false>(d, n, &row, c, cols.start, cols.len(), scale, out);
            c += 16;
        }
        // The last few columns in one masked register: a narrow layer's gradient is all tail.
        if c < cols.end {
            tn_block::<T, 1, true>(d, n, &row, c, cols.start, cols.len(), scale, out);
        }
    }
}

/// Columns `c..c + 16 V` of the weight gradient, ten outputs at a time; with `TAIL`, one
/// register of the columns from `c` to the end of `cols`, fewer than 16.
#[inline(always)]
unsafe fn tn_block<T: Lanes, const V: usize, const TAIL: bool>(
    d: &[f32],
    n: usize,
    row: &impl Fn(usize) -> *const T,
    c: usize,
    first_col: usize,
    stride: usize,
    scale: Option<&[f32]>,
    out: &mut [f32],
) {
    const RJ: usize = 10;
    let dp = d.as_ptr();
    let m = d.len() / n.max(1);
    let width = if TAIL { first_col + stride - c } else { 16 * V };
    let mask = first(width);
    let mut j = 0;
    while j < n {
        let rj = (n - j).min(RJ);
        // SAFETY: rows 0..m of d and of `row`, columns c..c + width and outputs j..j + rj are
        // in bounds by the caller's contract; masked lanes are neither read nor written.
        unsafe {
            let mut acc = [[_mm512_setzero_ps(); V]; RJ];
            for i in 0..m {
                let r = row(i);
                let x: [__m512; V] = std::array::from_fn(|v| {
                    if TAIL {
                        T::load_first(r.add(c), width)
                    } else {
                        T::load16(r.add(c + 16 * v))
                    }
                });
                for q in 0..RJ {
                    if q < rj {
                        let dq = _mm512_set1_ps(*dp.add(i * n + j + q));
                        for v in 0..V {
                            acc[q][v] = _mm512_fmadd_ps(dq, x[v], acc[q][v]);
                        }
                    }
                }
            }
            for v in 0..V {
                let s = match scale {
                    Some(s) => _mm512_maskz_loadu_ps(mask, s.as_ptr().add(c + 16 * v)),
                    None => _mm512_set1_ps(1.0),
                };
                for q in 0..rj {
                    let o = out
                        .as_mut_ptr()
                        .add((j + q) * stride + (c - first_col) + 16 * v);
                    // A product with 1.0 is exact: the unscaled sums keep their bits.
                    _mm512_mask_storeu_ps(o, mask, _mm512_mul_ps(acc[q][v], s));
                }
            }
        }
        j += rj;
    }
}

/// # Safety
/// The processor must support AVX-512F, AVX2 and FMA; `d` is `m x n`, `x` is `m x k`, `out`
/// is `n x cols.len()` and `cols` lies within `0..k`.
#[target_feature(enable = "avx512f,avx2,fma")]
pub(super) unsafe fn tn(
    d: &[f32],
    n: usize,
    x: &[f32],
    k: usize,
    cols: std::ops::Range<usize>,
    out: &mut [f32],
) {
    let m = d.len() / n.max(1);
    assert!(x.len() == m * k && cols.end <= k && out.len() == n * cols.len());
    let xp = x.as_ptr();
    // SAFETY: the assert above pins the shapes `tn_rows` reads.
    unsafe { tn_rows(d, n, |i| xp.add(i * k), cols, None, out) }
}

/// # Safety
/// The processor must support AVX-512F, AVX2 and FMA; `d` is `x.len() x n`, every row of `x`
/// is `scale.len()` bytes, `cols` lies within them and `out` is `n x cols.len()`.
#[target_feature(enable = "avx512f,avx2,fma")]
pub(super) unsafe fn tn_u8(
    d: &[f32],
    n: usize,
    x: &[&[u8]],
    cols: std::ops::Range<usize>,
    scale: &[f32],
    out: &mut [f32],
) {
    let m = x.len();
    let k = scale.len();
    assert!(
        d.len() == m * n
            && cols.end <= k
            && out.len() == n * cols.len()
            && x.iter().all(|r| r.len() == k)
    );
    // SAFETY: the assert above pins the shapes `tn_rows` reads.
    unsafe { tn_rows(d, n, |i| x[i].as_ptr(), cols, Some(scale), out) }
}
