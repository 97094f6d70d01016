//! Hand-written kernels for the thin products of small dense networks.
//!
//! A layer with 10 outputs makes products where one side has only 10 rows. General GEMM
//! libraries pack both operands into panels sized for large, square-ish products; for these
//! shapes the packing costs more than the arithmetic. These kernels stream the wide operand
//! once and keep the thin one in L1.
//!
//! Each kernel exists three times: with AVX-512 intrinsics and with AVX2 + FMA intrinsics
//! (the same bits, see `avx512`), the widest chosen once at run time among those the
//! processor has, and as portable Rust otherwise.
//! Every output element is computed by the same sequence of operations whatever tile or
//! thread it falls in, so results do not depend on the tiling or on the thread count.

// Index loops mirror the register tiles they fill; iterators would hide the tile shape.
#![allow(clippy::needless_range_loop)]

/// Lanes of one accumulator: 8 f32 fill one AVX register.
const LANES: usize = 8;

#[inline(always)]
fn mul_add(a: f32, b: f32, acc: f32) -> f32 {
    // Plain multiply then add: `f32::mul_add` without FMA hardware is a slow library call.
    acc + a * b
}

/// Sums the lanes of an accumulator in a fixed pairwise order.
#[inline(always)]
fn reduce(v: [f32; LANES]) -> f32 {
    ((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7]))
}

/// `out[i][j] (+)= dot(a[i], b[j])` for a tile of `RA` rows of `a` and `RB` rows of `b`.
#[inline(always)]
fn dot_tile<const RA: usize, const RB: usize>(a: [&[f32]; RA], b: [&[f32]; RB]) -> [[f32; RB]; RA] {
    let k = a[0].len();
    let body = k / LANES * LANES;
    let mut acc = [[[0.0f32; LANES]; RB]; RA];
    let mut p = 0;
    while p < body {
        for ra in 0..RA {
            let av = &a[ra][p..p + LANES];
            for rb in 0..RB {
                let bv = &b[rb][p..p + LANES];
                for l in 0..LANES {
                    acc[ra][rb][l] = mul_add(av[l], bv[l], acc[ra][rb][l]);
                }
            }
        }
        p += LANES;
    }
    let mut out = [[0.0f32; RB]; RA];
    for ra in 0..RA {
        for rb in 0..RB {
            let mut s = reduce(acc[ra][rb]);
            for q in body..k {
                s = mul_add(a[ra][q], b[rb][q], s);
            }
            out[ra][rb] = s;
        }
    }
    out
}

/// Splits `rows` (row-major, `k` columns) into `N` consecutive row slices starting at `i`.
#[inline(always)]
fn rows_at<const N: usize>(data: &[f32], k: usize, i: usize) -> [&[f32]; N] {
    std::array::from_fn(|r| &data[(i + r) * k..(i + r + 1) * k])
}

/// `out (m x n) (+)= a (m x k) · bᵀ`, with `b` given as `n x k`. Row-major throughout.
#[inline(always)]
fn nt_generic(a: &[f32], b: &[f32], k: usize, out: &mut [f32], n: usize, acc: bool) {
    let m = out.len() / n.max(1);
    let mut i = 0;
    while i < m {
        if i + 2 <= m {
            nt_rows::<2>(a, b, k, out, n, i, acc);
            i += 2;
        } else {
            nt_rows::<1>(a, b, k, out, n, i, acc);
            i += 1;
        }
    }
}

#[inline(always)]
fn nt_rows<const RA: usize>(
    a: &[f32],
    b: &[f32],
    k: usize,
    out: &mut [f32],
    n: usize,
    i: usize,
    acc: bool,
) {
    let ar = rows_at::<RA>(a, k, i);
    let mut j = 0;
    // Five rows of b against two of a keep ten accumulators in registers and need seven loads
    // per ten fused multiply-adds.
    while j < n {
        let left = n - j;
        macro_rules! tile {
            ($rb:literal) => {{
                let t = dot_tile::<RA, $rb>(ar, rows_at::<$rb>(b, k, j));
                for ra in 0..RA {
                    let o = &mut out[(i + ra) * n + j..(i + ra) * n + j + $rb];
                    for rb in 0..$rb {
                        o[rb] = if acc { o[rb] + t[ra][rb] } else { t[ra][rb] };
                    }
                }
                j += $rb;
            }};
        }
        match left {
            5.. => tile!(5),
            4 => tile!(4),
            3 => tile!(3),
            2 => tile!(2),
            _ => tile!(1),
        }
    }
}

/// `out = dᵀ · x[:, cols]`, with `d` given as `m x n` and `x` as `m x k`: the weight gradient
/// of a layer with `n` outputs, for the columns `cols` only. `out` is `n x cols.len()`.
#[inline(always)]
fn tn_generic(
    d: &[f32],
    n: usize,
    x: &[f32],
    k: usize,
    cols: std::ops::Range<usize>,
    out: &mut [f32],
) {
    let m = d.len() / n.max(1);
    let stride = cols.len();
    // Two vectors of columns against up to five outputs: ten accumulators, seven loads per
    // ten multiply-adds, and every column of x read once per five outputs.
    const W: usize = 2 * LANES;
    let mut c = cols.start;
    while c < cols.end {
        let w = (cols.end - c).min(W);
        let mut j = 0;
        while j < n {
            let rj = (n - j).min(5);
            let mut accs = [[0.0f32; W]; 5];
            for i in 0..m {
                let xr = &x[i * k + c..i * k + c + w];
                let dr = &d[i * n + j..i * n + j + rj];
                if w == W {
                    for (q, &dq) in dr.iter().enumerate() {
                        for l in 0..W {
                            accs[q][l] = mul_add(dq, xr[l], accs[q][l]);
                        }
                    }
                } else {
                    for (q, &dq) in dr.iter().enumerate() {
                        for l in 0..w {
                            accs[q][l] = mul_add(dq, xr[l], accs[q][l]);
                        }
                    }
                }
            }
            for q in 0..rj {
                let o0 = (j + q) * stride + (c - cols.start);
                out[o0..o0 + w].copy_from_slice(&accs[q][..w]);
            }
            j += rj;
        }
        c += w;
    }
}

/// `out (m x n) = x · wᵀ` where `x` is `m` rows of `k` bytes and `w` is `n x k`: a first
/// layer's forward pass on u8 pixels, with the pixel scaling already folded into `w`.
#[inline(always)]
fn nt_u8_generic(x: &[&[u8]], w: &[f32], k: usize, out: &mut [f32], n: usize) {
    for (i, row) in x.iter().enumerate() {
        for j in 0..n {
            let wr = &w[j * k..(j + 1) * k];
            let mut acc = [0.0f32; LANES];
            let body = k / LANES * LANES;
            for p in (0..body).step_by(LANES) {
                for l in 0..LANES {
                    acc[l] = mul_add(row[p + l] as f32, wr[p + l], acc[l]);
                }
            }
            let mut s = reduce(acc);
            for q in body..k {
                s = mul_add(row[q] as f32, wr[q], s);
            }
            out[i * n + j] = s;
        }
    }
}

/// `out[j][c'] = scale[c] · Σ_i d[i][j] · x[i][c]` for the columns `c` in `cols` (`c'` counts
/// from `cols.start`): a first layer's weight gradient on u8 pixels. `d` is `m x n`.
#[inline(always)]
fn tn_u8_generic(
    d: &[f32],
    n: usize,
    x: &[&[u8]],
    cols: std::ops::Range<usize>,
    scale: &[f32],
    out: &mut [f32],
) {
    let stride = cols.len();
    for j in 0..n {
        for c in cols.clone() {
            let mut s = 0.0f32;
            for (i, row) in x.iter().enumerate() {
                s = mul_add(d[i * n + j], row[c] as f32, s);
            }
            out[j * stride + (c - cols.start)] = s * scale[c];
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512;

#[cfg(target_arch = "x86_64")]
mod x86 {
    //! The same two kernels with explicit AVX2 + FMA intrinsics: LLVM does not keep the
    //! generic versions' accumulator arrays in registers, and these shapes live or die by that.
    use std::arch::x86_64::*;

    /// Sums the 8 lanes of `v` in a fixed order.
    #[inline(always)]
    pub(super) unsafe fn hsum(v: __m256) -> f32 {
        // SAFETY (whole fn): only called from functions with AVX2 enabled.
        unsafe {
            let lo = _mm256_castps256_ps128(v);
            let hi = _mm256_extractf128_ps::<1>(v);
            let s = _mm_add_ps(lo, hi); // lanes (0+4, 1+5, 2+6, 3+7)
            let s = _mm_add_ps(s, _mm_movehl_ps(s, s)); // (0+4)+(2+6), (1+5)+(3+7)
            let s = _mm_add_ss(s, _mm_shuffle_ps::<1>(s, s));
            _mm_cvtss_f32(s)
        }
    }

    /// What the forward kernel reads its rows of: values, or bytes turned into values in a
    /// register. Both give exact `f32` lanes, so one kernel serves both.
    trait Lanes: Copy {
        /// Eight consecutive elements at `p` as f32 lanes.
        ///
        /// # Safety
        /// Eight elements must be readable at `p`, and AVX2 available.
        unsafe fn load8(p: *const Self) -> __m256;
        /// The first `count` (at most 8) elements at `p`, zeros after them.
        ///
        /// # Safety
        /// `count` elements must be readable at `p`, and AVX2 available.
        unsafe fn load_first8(p: *const Self, count: usize) -> __m256;
        /// One element as f32.
        fn value(self) -> f32;
    }

    impl Lanes for f32 {
        #[inline(always)]
        unsafe fn load8(p: *const f32) -> __m256 {
            // SAFETY: as the trait requires.
            unsafe { _mm256_loadu_ps(p) }
        }
        #[inline(always)]
        unsafe fn load_first8(p: *const f32, count: usize) -> __m256 {
            // SAFETY: as the trait requires; masked lanes are not read.
            unsafe { _mm256_maskload_ps(p, first8(count)) }
        }
        #[inline(always)]
        fn value(self) -> f32 {
            self
        }
    }

    impl Lanes for u8 {
        #[inline(always)]
        unsafe fn load8(p: *const u8) -> __m256 {
            // SAFETY: as the trait requires; every byte is an integer below 2^24, so exact.
            unsafe { _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64(p.cast()))) }
        }
        #[inline(always)]
        unsafe fn load_first8(p: *const u8, count: usize) -> __m256 {
            let mut buf = [0u8; 8];
            // SAFETY: as the trait requires.
            unsafe {
                std::ptr::copy_nonoverlapping(p, buf.as_mut_ptr(), count);
                Self::load8(buf.as_ptr())
            }
        }
        #[inline(always)]
        fn value(self) -> f32 {
            self as f32
        }
    }

    /// Dots of the `RA` rows at `a` with `RB` rows of `w` (starting at `w`), each `k` long.
    #[inline(always)]
    unsafe fn dot_tile<T: Lanes, const RA: usize, const RB: usize>(
        a: [*const T; RA],
        w: *const f32,
        k: usize,
    ) -> [[f32; RB]; RA] {
        // SAFETY (whole fn): the caller guarantees RA rows of k elements, RB rows of k floats
        // at `w`, and AVX2 + FMA.
        unsafe {
            let mut acc = [[_mm256_setzero_ps(); RB]; RA];
            let body = k / 8 * 8;
            let mut p = 0;
            while p < body {
                let av: [__m256; RA] = std::array::from_fn(|r| T::load8(a[r].add(p)));
                for rb in 0..RB {
                    let wv = _mm256_loadu_ps(w.add(rb * k + p));
                    for ra in 0..RA {
                        acc[ra][rb] = _mm256_fmadd_ps(av[ra], wv, acc[ra][rb]);
                    }
                }
                p += 8;
            }
            let mut out = [[0.0f32; RB]; RA];
            for ra in 0..RA {
                for rb in 0..RB {
                    let mut s = hsum(acc[ra][rb]);
                    for q in body..k {
                        s = (*a[ra].add(q)).value().mul_add(*w.add(rb * k + q), s);
                    }
                    out[ra][rb] = s;
                }
            }
            out
        }
    }

    /// Rows `i..i + RA` of the output (`n` wide) from the rows at `a`, added to what is there
    /// when `acc`.
    #[inline(always)]
    unsafe fn nt_rows<T: Lanes, const RA: usize>(
        a: [*const T; RA],
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
                    // SAFETY: the RA rows at `a` hold k elements and rows j..j+$rb of w exist
                    // (the caller's shapes and the loop bounds); AVX2 + FMA are enabled.
                    let t = unsafe { dot_tile::<T, RA, $rb>(a, w.as_ptr().add(j * k), k) };
                    for ra in 0..RA {
                        let o = &mut out[(i + ra) * n + j..(i + ra) * n + j + $rb];
                        for rb in 0..$rb {
                            o[rb] = if acc { o[rb] + t[ra][rb] } else { t[ra][rb] };
                        }
                    }
                    j += $rb;
                }};
            }
            // Five rows of w against two of a: ten accumulators, seven loads per ten FMAs.
            match n - j {
                5.. => tile!(5),
                4 => tile!(4),
                3 => tile!(3),
                2 => tile!(2),
                _ => tile!(1),
            }
        }
    }

    /// # Safety
    /// The processor must support AVX2 and FMA; `a` is `m x k`, `b` is `n x k`, `out` is `m x n`.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn nt(a: &[f32], b: &[f32], k: usize, out: &mut [f32], n: usize, acc: bool) {
        assert!(a.len() * n == out.len() * k && b.len() == n * k);
        let m = out.len() / n.max(1);
        let mut i = 0;
        let row = |r: usize| a[r * k..].as_ptr();
        // SAFETY: the assert above pins the shapes the row tiles read.
        unsafe {
            while i + 2 <= m {
                nt_rows::<f32, 2>([row(i), row(i + 1)], b, k, out, n, i, acc);
                i += 2;
            }
            if i < m {
                nt_rows::<f32, 1>([row(i)], b, k, out, n, i, acc);
            }
        }
    }

    /// `out[j][c'] = scale(c) · Σ_i d[i][j] · x_i[c]` for `c` in `cols`, the rows `x_i` given by
    /// pointer: the weight gradient of a layer with `n` outputs, on values or on bytes.
    ///
    /// # Safety
    /// AVX2 + FMA; `row(i)` for `i < m = d.len() / n` points at a row of at least `cols.end`
    /// elements; `out` is `n x cols.len()`; `scale`, when given, covers `cols`. The rows come
    /// through a function so that no call allocates a list of them.
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
            while c + 16 <= cols.end {
                tn_block::<T, false>(d, n, &row, c, &cols, scale, out);
                c += 16;
            }
            // The last few columns in two masked registers: a narrow layer's gradient is
            // all tail.
            if c < cols.end {
                tn_block::<T, true>(d, n, &row, c, &cols, scale, out);
            }
        }
    }

    /// Columns `c..c + 16` of the weight gradient, five outputs at a time; with `TAIL`, the
    /// columns from `c` to the end of `cols`, fewer than 16, in masked registers.
    ///
    /// # Safety
    /// As [`tn_rows`], with `c` in `cols`.
    #[inline(always)]
    unsafe fn tn_block<T: Lanes, const TAIL: bool>(
        d: &[f32],
        n: usize,
        row: &impl Fn(usize) -> *const T,
        c: usize,
        cols: &std::ops::Range<usize>,
        scale: Option<&[f32]>,
        out: &mut [f32],
    ) {
        let stride = cols.len();
        let dp = d.as_ptr();
        let m = d.len() / n.max(1);
        let width = if TAIL { cols.end - c } else { 16 };
        let (w0, w1) = (width.min(8), width.saturating_sub(8));
        let mut j = 0;
        // SAFETY (whole body): rows 0..m of d and of `row`, columns c..c + width and outputs
        // j..j + rj <= n are in bounds by the caller's contract; masked lanes are neither
        // read nor written.
        unsafe {
            let (m0, m1) = (first8(w0), first8(w1));
            // Sixteen columns against up to five outputs: ten accumulators, seven loads per
            // ten FMAs, every column read (and for bytes converted) once per five outputs.
            while j < n {
                let rj = (n - j).min(5);
                let mut acc = [[_mm256_setzero_ps(); 2]; 5];
                for i in 0..m {
                    let r = row(i);
                    let (x0, x1) = if TAIL {
                        let x1 = if w1 > 0 {
                            T::load_first8(r.add(c + 8), w1)
                        } else {
                            _mm256_setzero_ps()
                        };
                        (T::load_first8(r.add(c), w0), x1)
                    } else {
                        (T::load8(r.add(c)), T::load8(r.add(c + 8)))
                    };
                    for q in 0..5 {
                        if q < rj {
                            let dq = _mm256_broadcast_ss(&*dp.add(i * n + j + q));
                            acc[q][0] = _mm256_fmadd_ps(dq, x0, acc[q][0]);
                            acc[q][1] = _mm256_fmadd_ps(dq, x1, acc[q][1]);
                        }
                    }
                }
                let (s0, s1) = match scale {
                    // `wrapping_add`: past the end when the tail has no second register,
                    // where the empty mask reads nothing.
                    Some(s) if TAIL => (
                        _mm256_maskload_ps(s.as_ptr().add(c), m0),
                        _mm256_maskload_ps(s.as_ptr().wrapping_add(c + 8), m1),
                    ),
                    Some(s) => (
                        _mm256_loadu_ps(s.as_ptr().add(c)),
                        _mm256_loadu_ps(s.as_ptr().add(c + 8)),
                    ),
                    None => (_mm256_set1_ps(1.0), _mm256_set1_ps(1.0)),
                };
                for q in 0..rj {
                    let o = out.as_mut_ptr().add((j + q) * stride + (c - cols.start));
                    // A product with 1.0 is exact: the unscaled sums keep their bits.
                    let (v0, v1) = (_mm256_mul_ps(acc[q][0], s0), _mm256_mul_ps(acc[q][1], s1));
                    if TAIL {
                        _mm256_maskstore_ps(o, m0, v0);
                        // As above: the empty mask writes nothing.
                        _mm256_maskstore_ps(o.wrapping_add(8), m1, v1);
                    } else {
                        _mm256_storeu_ps(o, v0);
                        _mm256_storeu_ps(o.add(8), v1);
                    }
                }
                j += rj;
            }
        }
    }

    /// The mask (for `maskload` and `maskstore`) of a register's first `n` lanes, `n <= 8`.
    #[inline(always)]
    unsafe fn first8(n: usize) -> __m256i {
        // SAFETY: AVX2 is enabled in every caller.
        unsafe {
            let lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
            _mm256_cmpgt_epi32(_mm256_set1_epi32(n as i32), lanes)
        }
    }

    /// # Safety
    /// The processor must support AVX2 and FMA; `d` is `m x n`, `x` is `m x k`, `out` is
    /// `n x cols.len()` and `cols` lies within `0..k`.
    #[target_feature(enable = "avx2,fma")]
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

    /// Hints the processor to bring row `r` into cache: training reads rows in shuffled order,
    /// so each row starts with a miss no hardware prefetcher predicts.
    #[inline(always)]
    pub(super) fn prefetch_row(r: &[u8]) {
        for line in r.chunks(64) {
            // SAFETY: a prefetch is a hint that never faults.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(line.as_ptr().cast()) };
        }
    }

    /// # Safety
    /// The processor must support AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn nt_u8(x: &[&[u8]], w: &[f32], k: usize, out: &mut [f32], n: usize) {
        let m = x.len();
        assert!(out.len() == m * n && w.len() == n * k && x.iter().all(|r| r.len() == k));
        let mut i = 0;
        // SAFETY: the assert above pins the shapes the row tiles read.
        unsafe {
            while i + 2 <= m {
                for r in x[i + 2..m.min(i + 4)].iter() {
                    prefetch_row(r);
                }
                nt_rows::<u8, 2>([x[i].as_ptr(), x[i + 1].as_ptr()], w, k, out, n, i, false);
                i += 2;
            }
            if i < m {
                nt_rows::<u8, 1>([x[i].as_ptr()], w, k, out, n, i, false);
            }
        }
    }

    /// # Safety
    /// The processor must support AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
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

    pub(super) fn has_avx2_fma() -> bool {
        use std::sync::OnceLock;
        static HAS: OnceLock<bool> = OnceLock::new();
        *HAS.get_or_init(|| is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"))
    }
}

/// Whether this processor runs the AVX2 + FMA kernels (detected once).
#[cfg(target_arch = "x86_64")]
pub(crate) fn has_avx2_fma() -> bool {
    x86::has_avx2_fma()
}

/// Whether this processor runs the AVX-512 kernels (detected once).
#[cfg(target_arch = "x86_64")]
pub(crate) fn has_avx512() -> bool {
    avx512::available()
}

/// Which instruction set the kernels run with on this machine.
pub fn kernel_isa() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    if avx512::available() {
        return "avx512+fma";
    }
    #[cfg(target_arch = "x86_64")]
    if x86::has_avx2_fma() {
        return "avx2+fma";
    }
    "portable"
}

/// `out (m x n) (+)= a (m x k) · bᵀ` where `b` is `n x k`; `out` holds whole rows of the result.
pub(crate) fn thin_nt(a: &[f32], b: &[f32], k: usize, out: &mut [f32], n: usize, acc: bool) {
    debug_assert_eq!(a.len(), out.len() / n.max(1) * k);
    debug_assert_eq!(b.len(), n * k);
    #[cfg(target_arch = "x86_64")]
    if avx512::available() {
        // SAFETY: the features were detected on this processor.
        unsafe { avx512::nt(a, b, k, out, n, acc) };
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if x86::has_avx2_fma() {
        // SAFETY: the features were detected on this processor.
        unsafe { x86::nt(a, b, k, out, n, acc) };
        return;
    }
    nt_generic(a, b, k, out, n, acc)
}

/// `out = dᵀ · x[:, cols]` where `d` is `m x n`, `x` is `m x k`, and `out` is `n x cols.len()`.
pub(crate) fn thin_tn(
    d: &[f32],
    n: usize,
    x: &[f32],
    k: usize,
    cols: std::ops::Range<usize>,
    out: &mut [f32],
) {
    debug_assert_eq!(d.len() / n.max(1), x.len() / k.max(1));
    debug_assert_eq!(out.len(), n * cols.len());
    #[cfg(target_arch = "x86_64")]
    if avx512::available() {
        // SAFETY: the features were detected on this processor.
        unsafe { avx512::tn(d, n, x, k, cols, out) };
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if x86::has_avx2_fma() {
        // SAFETY: the features were detected on this processor.
        unsafe { x86::tn(d, n, x, k, cols, out) };
        return;
    }
    tn_generic(d, n, x, k, cols, out)
}

/// `out (m x n) = x · wᵀ` where `x` holds `m` rows of `k` bytes and `w` is `n x k`.
pub(crate) fn thin_nt_u8(x: &[&[u8]], w: &[f32], k: usize, out: &mut [f32], n: usize) {
    debug_assert_eq!(out.len(), x.len() * n);
    #[cfg(target_arch = "x86_64")]
    if avx512::available() {
        // SAFETY: the features were detected on this processor.
        unsafe { avx512::nt_u8(x, w, k, out, n) };
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if x86::has_avx2_fma() {
        // SAFETY: the features were detected on this processor.
        unsafe { x86::nt_u8(x, w, k, out, n) };
        return;
    }
    nt_u8_generic(x, w, k, out, n)
}

/// `out[j][c - cols.start] = scale[c] · Σ_i d[i][j] · x[i][c]`, where `d` is `m x n` and `x`
/// holds `m` rows of `scale.len()` bytes.
pub(crate) fn thin_tn_u8(
    d: &[f32],
    n: usize,
    x: &[&[u8]],
    cols: std::ops::Range<usize>,
    scale: &[f32],
    out: &mut [f32],
) {
    debug_assert_eq!(out.len(), n * cols.len());
    #[cfg(target_arch = "x86_64")]
    if avx512::available() {
        // SAFETY: the features were detected on this processor.
        unsafe { avx512::tn_u8(d, n, x, cols, scale, out) };
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if x86::has_avx2_fma() {
        // SAFETY: the features were detected on this processor.
        unsafe { x86::tn_u8(d, n, x, cols, scale, out) };
        return;
    }
    tn_u8_generic(d, n, x, cols, scale, out)
}

#[cfg(test)]
mod tests {
    //! The portable kernels, which the dispatch skips on an AVX2 machine, against the oracle;
    //! the two vector versions against each other.
    use super::*;
    use crate::ops::Trans;
    use crate::{Matrix, reference};
    use proptest::prelude::*;

    fn filled(rows: usize, cols: usize, seed: u32) -> Matrix {
        Matrix::from_fn(rows, cols, |i, j| {
            ((i as u32 * 31 + j as u32 * 17 + seed) % 97) as f32 / 97.0 - 0.5
        })
    }

    proptest! {
        #[test]
        fn portable_kernels_match_reference(m in 1usize..7, k in 1usize..70, n in 1usize..13, seed in 0u32..50) {
            let a = filled(m, k, seed);
            let b = filled(n, k, seed + 1);
            let mut out = vec![0.0; m * n];
            nt_generic(a.as_slice(), b.as_slice(), k, &mut out, n, false);
            let want = reference::gemm(&a, Trans::No, &b, Trans::Yes);
            prop_assert!(out.iter().zip(want.as_slice()).all(|(x, y)| (x - y).abs() < 1e-4));

            let d = filled(m, n, seed + 2);
            let mut g = vec![0.0; n * k];
            tn_generic(d.as_slice(), n, a.as_slice(), k, 0..k, &mut g);
            let want = reference::gemm(&d, Trans::Yes, &a, Trans::No);
            prop_assert!(g.iter().zip(want.as_slice()).all(|(x, y)| (x - y).abs() < 1e-4));
        }
        #[test]
        fn portable_u8_kernels_match_reference(m in 1usize..7, k in 1usize..70, n in 1usize..13, seed in 0u32..50) {
            let bytes: Vec<Vec<u8>> = (0..m)
                .map(|i| (0..k).map(|c| ((i * 37 + c * 11 + seed as usize) % 256) as u8).collect())
                .collect();
            let rows: Vec<&[u8]> = bytes.iter().map(Vec::as_slice).collect();
            let x = Matrix::from_fn(m, k, |i, c| bytes[i][c] as f32);
            let w = filled(n, k, seed);
            let mut out = vec![0.0; m * n];
            nt_u8_generic(&rows, w.as_slice(), k, &mut out, n);
            let want = reference::gemm(&x, Trans::No, &w, Trans::Yes);
            prop_assert!(out.iter().zip(want.as_slice()).all(|(a, b)| (a - b).abs() <= 1e-4 * b.abs().max(1.0)));

            let d = filled(m, n, seed + 2);
            let scale: Vec<f32> = (0..k).map(|c| 1.0 / (c + 1) as f32).collect();
            let mut g = vec![0.0; n * k];
            tn_u8_generic(d.as_slice(), n, &rows, 0..k, &scale, &mut g);
            let want = reference::gemm(&d, Trans::Yes, &x, Trans::No);
            for j in 0..n {
                for c in 0..k {
                    let (a, b) = (g[j * k + c], want.get(j, c) * scale[c]);
                    prop_assert!((a - b).abs() <= 1e-4 * b.abs().max(1.0), "{a} vs {b}");
                }
            }
        }

        /// Where the processor has both, the AVX-512 kernels give the AVX2 kernels' bits, on
        /// values and on bytes, for every row, column and output tile and every tail.
        #[test]
        #[cfg(target_arch = "x86_64")]
        fn avx512_kernels_give_the_avx2_bits(
            m in 1usize..12, k in 1usize..100, n in 1usize..25, from in 0usize..40,
            acc: bool, seed: u32,
        ) {
            if !avx512::available() {
                return Ok(());
            }
            let cols = from.min(k)..k;
            let bytes: Vec<Vec<u8>> = (0..m)
                .map(|i| (0..k).map(|c| (i * 37 + c * 11 + seed as usize) as u8).collect())
                .collect();
            let rows: Vec<&[u8]> = bytes.iter().map(Vec::as_slice).collect();
            let a = filled(m, k, seed);
            let b = filled(n, k, seed ^ 5);
            let d = filled(m, n, seed ^ 9);
            let scale: Vec<f32> = (0..k).map(|c| 1.0 / (c + 3) as f32).collect();
            let start = filled(m, n, seed ^ 3);
            let (mut x2, mut x5) = (start.as_slice().to_vec(), start.as_slice().to_vec());
            let same = |p: &[f32], q: &[f32]| {
                p.iter().zip(q).all(|(p, q)| p.to_bits() == q.to_bits())
            };
            // SAFETY: both feature sets were detected; the shapes agree.
            unsafe {
                x86::nt(a.as_slice(), b.as_slice(), k, &mut x2, n, acc);
                avx512::nt(a.as_slice(), b.as_slice(), k, &mut x5, n, acc);
            }
            prop_assert!(same(&x2, &x5), "nt");
            // SAFETY: as above.
            unsafe {
                x86::nt_u8(&rows, b.as_slice(), k, &mut x2, n);
                avx512::nt_u8(&rows, b.as_slice(), k, &mut x5, n);
            }
            prop_assert!(same(&x2, &x5), "nt_u8");
            let (mut g2, mut g5) = (vec![0.0; n * cols.len()], vec![1.0; n * cols.len()]);
            // SAFETY: as above.
            unsafe {
                x86::tn(d.as_slice(), n, a.as_slice(), k, cols.clone(), &mut g2);
                avx512::tn(d.as_slice(), n, a.as_slice(), k, cols.clone(), &mut g5);
            }
            prop_assert!(same(&g2, &g5), "tn");
            // SAFETY: as above.
            unsafe {
                x86::tn_u8(d.as_slice(), n, &rows, cols.clone(), &scale, &mut g2);
                avx512::tn_u8(d.as_slice(), n, &rows, cols.clone(), &scale, &mut g5);
            }
            prop_assert!(same(&g2, &g5), "tn_u8");
        }
    }
}
