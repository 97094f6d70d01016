//! Single-threaded against single-threaded: the products of one training step at the chapter's
//! shapes through our `gemm` (thin kernels where they apply) with rayon held to one thread,
//! `matrixmultiply` on one thread, `nalgebra` (which has no threads) and the naive triple loop.
//! Every operand, transposes included, is prepared outside the timed loops.
//!
//! `kernels_parallel` compares the parallel versions.

use criterion::{BenchmarkId, Criterion, criterion_group};
use ml4a_benches::kernels::{cases, mm};
use std::hint::black_box;
use tensor::Matrix;
use tensor::ops::{Trans, gemm};

fn shapes(c: &mut Criterion) {
    for case in cases() {
        let (a, ta, b, tb) = (&case.a, case.ta, &case.b, case.tb);
        let (m, n) = case.out;
        let mut g = c.benchmark_group(case.name);
        let mut out = Matrix::zeros(m, n);
        g.bench_function(BenchmarkId::new("ours", "gemm-1-thread"), |bch| {
            bch.iter(|| gemm(black_box(a.view()), ta, black_box(b.view()), tb, &mut out))
        });
        g.bench_function(
            BenchmarkId::new("matrixmultiply", "sgemm-1-thread"),
            |bch| bch.iter(|| mm(black_box(a), ta, black_box(b), tb, &mut out)),
        );
        // nalgebra is column-major: the row-major operands are copied in (and the NT case's
        // right operand transposed) once, here, not in the loop.
        let na = nalgebra::DMatrix::from_row_slice(a.rows(), a.cols(), a.as_slice());
        let nb = nalgebra::DMatrix::from_row_slice(b.rows(), b.cols(), b.as_slice());
        let nb_t = nb.transpose();
        let mut nout = nalgebra::DMatrix::<f32>::zeros(m, n);
        g.bench_function(BenchmarkId::new("nalgebra", "gemm"), |bch| {
            bch.iter(|| match (ta, tb) {
                (Trans::No, Trans::Yes) => nout.gemm(1.0, black_box(&na), black_box(&nb_t), 0.0),
                _ => nout.gemm_tr(1.0, black_box(&na), black_box(&nb), 0.0),
            })
        });
        if case.name == "fwd_64x784x10" || case.name == "grad_10x64x784" {
            g.bench_function(BenchmarkId::new("naive", "triple-loop"), |bch| {
                bch.iter(|| tensor::reference::gemm(black_box(a), ta, black_box(b), tb))
            });
        }
        g.finish();
    }
}

/// The first layer on u8 pixels read in place (scaling folded in) against the same product on
/// the pixels already converted to `f32`, at batch 64 and 10 outputs.
fn bytes(c: &mut Criterion) {
    for k in [784, 3072] {
        let pixels: Vec<Vec<u8>> = (0..64)
            .map(|i| (0..k).map(|j| ((i * 31 + j * 17) % 256) as u8).collect())
            .collect();
        let rows: Vec<&[u8]> = pixels.iter().map(Vec::as_slice).collect();
        let x = Matrix::from_fn(64, k, |i, j| pixels[i][j] as f32 / 255.0);
        let w = Matrix::from_fn(10, k, |i, j| ((i * 7 + j) % 13) as f32 / 13.0 - 0.5);
        let d = Matrix::from_fn(64, 10, |i, j| ((i + j * 3) % 11) as f32 / 11.0 - 0.5);
        let scale = vec![1.0 / 255.0; k];
        let mut g = c.benchmark_group(format!("first_layer_64x{k}x10"));
        let mut out = Matrix::zeros(64, 10);
        g.bench_function(BenchmarkId::new("forward", "u8-in-place"), |bch| {
            bch.iter(|| tensor::ops::gemm_u8_nt(black_box(&rows), black_box(w.view()), &mut out))
        });
        g.bench_function(BenchmarkId::new("forward", "f32"), |bch| {
            bch.iter(|| {
                gemm(
                    black_box(x.view()),
                    Trans::No,
                    w.view(),
                    Trans::Yes,
                    &mut out,
                )
            })
        });
        let mut grad = Matrix::zeros(10, k);
        g.bench_function(BenchmarkId::new("weight-gradient", "u8-in-place"), |bch| {
            bch.iter(|| {
                tensor::ops::gemm_u8_tn_scaled(black_box(d.view()), &rows, &scale, &mut grad)
            })
        });
        g.bench_function(BenchmarkId::new("weight-gradient", "f32"), |bch| {
            bch.iter(|| {
                gemm(
                    black_box(d.view()),
                    Trans::Yes,
                    x.view(),
                    Trans::No,
                    &mut grad,
                )
            })
        });
        g.finish();
    }
}

criterion_group!(benches, shapes, bytes);

fn main() {
    // Before any product: our gemm asks rayon how many threads it has, and matrixmultiply (when
    // built with `mm-threading`) reads MATMUL_NUM_THREADS once, at its first call.
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build_global()
        .expect("the global pool is built once, here");
    // SAFETY: the first statement after building the pool, whose one thread reads no
    // environment; nothing else runs yet.
    unsafe { std::env::set_var("MATMUL_NUM_THREADS", "1") };
    benches();
    Criterion::default().configure_from_args().final_summary();
}
