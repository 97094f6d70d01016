//! Parallel against parallel: our `gemm` on a rayon pool of N threads against
//! `matrixmultiply` with its `threading` feature on `MATMUL_NUM_THREADS` = N, N the machine's
//! available parallelism (matrixmultiply caps it at 4). Needs the `mm-threading` feature:
//! `cargo bench -p ml4a-benches --features mm-threading --bench kernels_parallel`.
//!
//! With the feature on, the `matrixmultiply` inside our `gemm` is threaded too: the one shape
//! that reaches it (`fwd_64x784x100`) then nests its threads inside our row blocks. The thin
//! kernels (the other four shapes) are ours alone.

use criterion::{BenchmarkId, Criterion, criterion_group};
use ml4a_benches::kernels::{cases, mm};
use std::hint::black_box;
use tensor::Matrix;
use tensor::ops::gemm;

fn shapes(c: &mut Criterion) {
    let n_threads = rayon::current_num_threads();
    for case in cases() {
        let (a, ta, b, tb) = (&case.a, case.ta, &case.b, case.tb);
        let mut g = c.benchmark_group(format!("{}_parallel", case.name));
        let mut out = Matrix::zeros(case.out.0, case.out.1);
        g.bench_function(
            BenchmarkId::new("ours", format!("gemm-{n_threads}-threads")),
            |bch| bch.iter(|| gemm(black_box(a.view()), ta, black_box(b.view()), tb, &mut out)),
        );
        g.bench_function(
            BenchmarkId::new("matrixmultiply", format!("sgemm-{n_threads}-threads")),
            |bch| bch.iter(|| mm(black_box(a), ta, black_box(b), tb, &mut out)),
        );
        g.finish();
    }
}

criterion_group!(benches, shapes);

fn main() {
    let n = std::thread::available_parallelism().map_or(1, |n| n.get());
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build_global()
        .expect("the global pool is built once, here");
    // SAFETY: before any product, so before matrixmultiply reads it; the pool's threads read
    // no environment.
    unsafe { std::env::set_var("MATMUL_NUM_THREADS", n.to_string()) };
    eprintln!("kernels_parallel: {n} threads for both");
    benches();
    Criterion::default().configure_from_args().final_summary();
}
