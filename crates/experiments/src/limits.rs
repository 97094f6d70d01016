//! What this machine can do at best, measured in the same run as the comparison it judges: the
//! single-precision product's peak (GFLOP/s) and the memory read bandwidth (GB/s), on every
//! thread. A training epoch cannot take less than its arithmetic over the first, nor less
//! than its pixel bytes over the second; the larger of the two is the epoch's limit.

use std::hint::black_box;
use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tensor::Matrix;
use tensor::ops::{Trans, gemm};

/// The machine's measured peaks.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Limits {
    /// Best of a few 1024³ single-precision products through our `gemm` on every thread
    /// (`matrixmultiply`'s packed kernels in row blocks), GFLOP/s; `bench` keeps the best of a
    /// measurement before and one after its runs.
    pub sgemm_gflops: f64,
    /// Best of a few sums over a 256 MiB buffer on every thread, GB/s.
    pub read_gbps: f64,
    /// Threads both ran on.
    pub threads: usize,
}

/// What one epoch of a dense network must do at least: its multiply-adds and its pixel bytes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Workload {
    /// Floating-point operations of one epoch: forward, weight gradient, and the input gradient
    /// of every layer after the first, two per multiply-add.
    pub flops: f64,
    /// Bytes of input one epoch reads (each u8 pixel once).
    pub bytes: f64,
}

impl Workload {
    /// An epoch over `rows` images of `inputs` u8 pixels through dense layers of `widths`.
    pub fn dense(rows: usize, inputs: usize, widths: &[usize]) -> Workload {
        let mut fan_in = inputs;
        let mut macs = 0.0;
        for (l, &w) in widths.iter().enumerate() {
            let layer = (fan_in * w) as f64;
            // Forward and weight gradient always; the gradient into the layer's input only
            // where there is a layer below to receive it.
            macs += layer * if l == 0 { 2.0 } else { 3.0 };
            fan_in = w;
        }
        Workload {
            flops: 2.0 * macs * rows as f64,
            bytes: (rows * inputs) as f64,
        }
    }

    /// The least time the epoch can take on a machine with `limits`: the larger of the
    /// compute and bandwidth bounds, in seconds, and which one it is.
    pub fn limit(&self, limits: &Limits) -> (f64, &'static str) {
        let compute = self.flops / (limits.sgemm_gflops * 1e9);
        let memory = self.bytes / (limits.read_gbps * 1e9);
        if compute >= memory {
            (compute, "compute")
        } else {
            (memory, "bandwidth")
        }
    }

    /// The compute bound alone, seconds.
    pub fn compute_seconds(&self, limits: &Limits) -> f64 {
        self.flops / (limits.sgemm_gflops * 1e9)
    }

    /// The bandwidth bound alone, seconds.
    pub fn bandwidth_seconds(&self, limits: &Limits) -> f64 {
        self.bytes / (limits.read_gbps * 1e9)
    }
}

impl Limits {
    /// The better of each peak of two measurements on the same threads.
    pub fn peak_with(&self, other: &Limits) -> Limits {
        debug_assert_eq!(self.threads, other.threads, "peaks of different pools");
        Limits {
            sgemm_gflops: self.sgemm_gflops.max(other.sgemm_gflops),
            read_gbps: self.read_gbps.max(other.read_gbps),
            threads: self.threads,
        }
    }
}

/// Measures both peaks on the current rayon pool (a second or two).
pub fn measure() -> Limits {
    Limits {
        sgemm_gflops: sgemm_peak(1024, 5),
        read_gbps: read_bandwidth(256 << 20, 5),
        threads: rayon::current_num_threads(),
    }
}

/// The best of `reps` products of two `n x n` matrices, GFLOP/s.
fn sgemm_peak(n: usize, reps: usize) -> f64 {
    let a = Matrix::from_fn(n, n, |i, j| ((i * 7 + j * 3) % 17) as f32 / 17.0);
    let b = Matrix::from_fn(n, n, |i, j| ((i * 5 + j) % 13) as f32 / 13.0);
    let mut out = Matrix::zeros(n, n);
    // One product first, so the timed ones find the pool awake and the pages mapped.
    gemm(a.view(), Trans::No, b.view(), Trans::No, &mut out);
    let best = (0..reps)
        .map(|_| {
            let t = Instant::now();
            gemm(
                black_box(a.view()),
                Trans::No,
                b.view(),
                Trans::No,
                &mut out,
            );
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min);
    black_box(&out);
    2.0 * (n * n * n) as f64 / best / 1e9
}

/// The best of `reps` parallel sums over `bytes` bytes, GB/s.
fn read_bandwidth(bytes: usize, reps: usize) -> f64 {
    // Written once, so every page is backed before the timed reads.
    let words: Vec<u64> = (0..bytes / 8).map(|i| i as u64).collect();
    let chunk = words
        .len()
        .div_ceil(rayon::current_num_threads() * 4)
        .max(1);
    let best = (0..reps)
        .map(|_| {
            let t = Instant::now();
            let sum: u64 = words
                .par_chunks(chunk)
                .map(|c| {
                    // Four independent sums keep the loads in flight.
                    let mut s = [0u64; 4];
                    for q in c.chunks_exact(4) {
                        for l in 0..4 {
                            s[l] = s[l].wrapping_add(q[l]);
                        }
                    }
                    s.iter().fold(0u64, |a, &b| a.wrapping_add(b))
                })
                .reduce(|| 0, u64::wrapping_add);
            black_box(sum);
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min);
    (words.len() * 8) as f64 / best / 1e9
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dense_epoch_counts_every_product() {
        // 784-10: forward and weight gradient, 2 flops per multiply-add.
        let w = Workload::dense(50_000, 784, &[10]);
        assert_eq!(w.flops, 2.0 * 2.0 * 784.0 * 10.0 * 50_000.0);
        assert_eq!(w.bytes, 784.0 * 50_000.0);
        // 784-10-10: the second layer also passes its gradient down.
        let w2 = Workload::dense(1, 784, &[10, 10]);
        assert_eq!(w2.flops, 2.0 * (2.0 * 7840.0 + 3.0 * 100.0));
    }

    #[test]
    fn the_limit_is_the_larger_bound() {
        let limits = Limits {
            sgemm_gflops: 100.0,
            read_gbps: 10.0,
            threads: 2,
        };
        let w = Workload {
            flops: 1e9,
            bytes: 1e9,
        };
        assert_eq!(w.limit(&limits), (0.1, "bandwidth"));
        let w = Workload {
            flops: 1e11,
            bytes: 1e6,
        };
        assert_eq!(w.limit(&limits).1, "compute");
    }

    #[test]
    fn a_peak_is_the_better_of_two_measurements() {
        let slow = Limits {
            sgemm_gflops: 180.0,
            read_gbps: 40.0,
            threads: 2,
        };
        let fast = Limits {
            sgemm_gflops: 330.0,
            read_gbps: 35.0,
            threads: 2,
        };
        let peak = slow.peak_with(&fast);
        assert_eq!((peak.sgemm_gflops, peak.read_gbps), (330.0, 40.0));
        assert_eq!(peak, fast.peak_with(&slow));
    }

    #[test]
    fn measured_peaks_are_positive_and_finite() {
        let l = Limits {
            sgemm_gflops: sgemm_peak(64, 2),
            read_gbps: read_bandwidth(1 << 20, 2),
            threads: 1,
        };
        assert!(l.sgemm_gflops.is_finite() && l.sgemm_gflops > 0.0);
        assert!(l.read_gbps.is_finite() && l.read_gbps > 0.0);
    }
}
