//! The products of one training step at the chapter's shapes: our `gemm` (thin kernels where
//! they apply) against `matrixmultiply`, `nalgebra` and the naive triple loop.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use tensor::Matrix;
use tensor::ops::{Trans, gemm};

fn filled(rows: usize, cols: usize) -> Matrix {
    Matrix::from_fn(rows, cols, |i, j| {
        ((i * 31 + j * 17) % 255) as f32 / 255.0 - 0.5
    })
}

/// `out = op(a) · op(b)` through matrixmultiply directly, no row splitting.
fn mm(a: &Matrix, ta: Trans, b: &Matrix, tb: Trans, out: &mut Matrix) {
    let (m, k) = if ta == Trans::No {
        a.shape()
    } else {
        (a.cols(), a.rows())
    };
    let n = out.cols();
    let (rsa, csa) = if ta == Trans::No {
        (a.cols() as isize, 1)
    } else {
        (1, a.cols() as isize)
    };
    let (rsb, csb) = if tb == Trans::No {
        (b.cols() as isize, 1)
    } else {
        (1, b.cols() as isize)
    };
    // SAFETY: strides describe the checked shapes of a, b and out.
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            1.0,
            a.as_slice().as_ptr(),
            rsa,
            csa,
            b.as_slice().as_ptr(),
            rsb,
            csb,
            0.0,
            out.as_mut_slice().as_mut_ptr(),
            n as isize,
            1,
        )
    }
}

fn shapes(c: &mut Criterion) {
    // (name, a, ta, b, tb, out): forward x·Wᵀ and weight gradient dᵀ·x at batch 64.
    let cases = [
        (
            "fwd_64x784x10",
            filled(64, 784),
            Trans::No,
            filled(10, 784),
            Trans::Yes,
            (64, 10),
        ),
        (
            "grad_10x64x784",
            filled(64, 10),
            Trans::Yes,
            filled(64, 784),
            Trans::No,
            (10, 784),
        ),
        (
            "fwd_64x3072x10",
            filled(64, 3072),
            Trans::No,
            filled(10, 3072),
            Trans::Yes,
            (64, 10),
        ),
        (
            "grad_10x64x3072",
            filled(64, 10),
            Trans::Yes,
            filled(64, 3072),
            Trans::No,
            (10, 3072),
        ),
        (
            "fwd_64x784x100",
            filled(64, 784),
            Trans::No,
            filled(100, 784),
            Trans::Yes,
            (64, 100),
        ),
    ];
    for (name, a, ta, b, tb, (m, n)) in &cases {
        let mut g = c.benchmark_group(*name);
        let mut out = Matrix::zeros(*m, *n);
        g.bench_function(BenchmarkId::new("ours", "gemm"), |bch| {
            bch.iter(|| gemm(black_box(a.view()), *ta, black_box(b.view()), *tb, &mut out))
        });
        g.bench_function(BenchmarkId::new("matrixmultiply", "sgemm"), |bch| {
            bch.iter(|| mm(black_box(a), *ta, black_box(b), *tb, &mut out))
        });
        let na = nalgebra::DMatrix::from_row_slice(a.rows(), a.cols(), a.as_slice());
        let nb = nalgebra::DMatrix::from_row_slice(b.rows(), b.cols(), b.as_slice());
        let mut nout = nalgebra::DMatrix::<f32>::zeros(*m, *n);
        g.bench_function(BenchmarkId::new("nalgebra", "gemm"), |bch| {
            bch.iter(|| match (ta, tb) {
                (Trans::No, Trans::Yes) => nout.gemm(1.0, &na, &nb.transpose(), 0.0),
                _ => nout.gemm_tr(1.0, &na, &nb, 0.0),
            })
        });
        if *name == "fwd_64x784x10" || *name == "grad_10x64x784" {
            g.bench_function(BenchmarkId::new("naive", "triple-loop"), |bch| {
                bch.iter(|| tensor::reference::gemm(black_box(a), *ta, black_box(b), *tb))
            });
        }
        g.finish();
    }
}

criterion_group!(benches, shapes);
criterion_main!(benches);
