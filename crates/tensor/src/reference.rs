//! Slow, obviously correct versions of the kernels, kept as oracles for tests and as the
//! baseline in benchmarks. Sums run in `f64` in plain index order.

use crate::Matrix;
use crate::ops::Trans;

/// `op(a) · op(b)` by the textbook triple loop.
///
/// # Panics
/// If the inner dimensions differ.
#[track_caller]
pub fn gemm(a: &Matrix, ta: Trans, b: &Matrix, tb: Trans) -> Matrix {
    let at = |i: usize, p: usize| match ta {
        Trans::No => a.get(i, p),
        Trans::Yes => a.get(p, i),
    };
    let bt = |p: usize, j: usize| match tb {
        Trans::No => b.get(p, j),
        Trans::Yes => b.get(j, p),
    };
    let (m, k) = match ta {
        Trans::No => a.shape(),
        Trans::Yes => (a.cols(), a.rows()),
    };
    let (kb, n) = match tb {
        Trans::No => b.shape(),
        Trans::Yes => (b.cols(), b.rows()),
    };
    assert_eq!(k, kb, "reference::gemm: inner dimensions {k} and {kb}");
    Matrix::from_fn(m, n, |i, j| {
        (0..k)
            .map(|p| at(i, p) as f64 * bt(p, j) as f64)
            .sum::<f64>() as f32
    })
}
