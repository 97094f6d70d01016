//! Hand-written kernels for the thin products of small dense networks.
//!
//! A layer with 10 outputs makes products where one side has only 10 rows. General GEMM
//! libraries pack both operands into panels sized for large, square-ish products; for these
//! shapes the packing costs more than the arithmetic. These kernels stream the wide operand
//! once and keep the thin one in L1.
//!
//! Both kernels are written once, generically over [`MulAdd`], and compiled twice: with
//! AVX2 + FMA where the processor has them (chosen once at run time) and portably otherwise.
//! Every output element is computed by the same sequence of operations whatever tile or
//! thread it falls in, so results do not depend on the tiling or on the thread count.

/// Lanes of one accumulator: 8 f32 fill one AVX register.
const LANES: usize = 8;

/// How an accumulator absorbs a product: fused (one rounding) or plain (two).
trait MulAdd {
    fn mul_add(a: f32, b: f32, acc: f32) -> f32;
}

struct Fused;
struct Plain;

impl MulAdd for Fused {
    #[inline(always)]
    fn mul_add(a: f32, b: f32, acc: f32) -> f32 {
        a.mul_add(b, acc)
    }
}

impl MulAdd for Plain {
    #[inline(always)]
    fn mul_add(a: f32, b: f32, acc: f32) -> f32 {
        acc + a * b
    }
}

/// Sums the lanes of an accumulator in a fixed pairwise order.
#[inline(always)]
fn reduce(v: [f32; LANES]) -> f32 {
    ((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7]))
}

/// `out[i][j] (+)= dot(a[i], b[j])` for a tile of `RA` rows of `a` and `RB` rows of `b`.
#[inline(always)]
fn dot_tile<M: MulAdd, const RA: usize, const RB: usize>(
    a: [&[f32]; RA],
    b: [&[f32]; RB],
) -> [[f32; RB]; RA] {
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
                    acc[ra][rb][l] = M::mul_add(av[l], bv[l], acc[ra][rb][l]);
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
                s = M::mul_add(a[ra][q], b[rb][q], s);
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
fn nt_generic<M: MulAdd>(a: &[f32], b: &[f32], k: usize, out: &mut [f32], n: usize, acc: bool) {
    let m = out.len() / n.max(1);
    let mut i = 0;
    while i < m {
        if i + 2 <= m {
            nt_rows::<M, 2>(a, b, k, out, n, i, acc);
            i += 2;
        } else {
            nt_rows::<M, 1>(a, b, k, out, n, i, acc);
            i += 1;
        }
    }
}

#[inline(always)]
fn nt_rows<M: MulAdd, const RA: usize>(
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
                let t = dot_tile::<M, RA, $rb>(ar, rows_at::<$rb>(b, k, j));
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
fn tn_generic<M: MulAdd>(
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
                            accs[q][l] = M::mul_add(dq, xr[l], accs[q][l]);
                        }
                    }
                } else {
                    for (q, &dq) in dr.iter().enumerate() {
                        for l in 0..w {
                            accs[q][l] = M::mul_add(dq, xr[l], accs[q][l]);
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

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::*;

    /// # Safety
    /// The processor must support AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn nt(a: &[f32], b: &[f32], k: usize, out: &mut [f32], n: usize, acc: bool) {
        nt_generic::<Fused>(a, b, k, out, n, acc)
    }

    /// # Safety
    /// The processor must support AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn tn(
        d: &[f32],
        n: usize,
        x: &[f32],
        k: usize,
        cols: std::ops::Range<usize>,
        out: &mut [f32],
    ) {
        tn_generic::<Fused>(d, n, x, k, cols, out)
    }

    pub(super) fn has_avx2_fma() -> bool {
        use std::sync::OnceLock;
        static HAS: OnceLock<bool> = OnceLock::new();
        *HAS.get_or_init(|| is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"))
    }
}

/// Which instruction set the kernels run with on this machine.
pub fn kernel_isa() -> &'static str {
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
    if x86::has_avx2_fma() {
        // SAFETY: the features were detected on this processor.
        unsafe { x86::nt(a, b, k, out, n, acc) };
        return;
    }
    nt_generic::<Plain>(a, b, k, out, n, acc)
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
    if x86::has_avx2_fma() {
        // SAFETY: the features were detected on this processor.
        unsafe { x86::tn(d, n, x, k, cols, out) };
        return;
    }
    tn_generic::<Plain>(d, n, x, k, cols, out)
}
