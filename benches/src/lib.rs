//! Shared fixtures for the criterion benchmarks in `benches/benches/`.
//!
//! The training benchmarks run on synthetic data with the chapter's shapes: u8 pixels scaled by
//! 1/255 on the fly, exactly the work a real dataset costs once it is memory-mapped. The kernel
//! benchmarks share their shapes and a direct `matrixmultiply` call ([`kernels`]).

pub mod kernels;

use nn::BatchSource;
use tensor::{Affine, ByteRows, Matrix};

/// `n` rows of `dim` u8 values with labels, from a fixed xorshift stream.
pub struct SyntheticU8 {
    pixels: Vec<u8>,
    labels: Vec<u8>,
    dim: usize,
    affine: Affine,
}

impl SyntheticU8 {
    /// Rows whose pixels depend weakly on their label, so training has something to learn.
    pub fn new(n: usize, dim: usize, classes: u8, seed: u64) -> Self {
        let mut s = seed | 1;
        let mut next = move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        let labels: Vec<u8> = (0..n).map(|_| (next() % classes as u64) as u8).collect();
        let mut pixels = vec![0u8; n * dim];
        for (i, row) in pixels.chunks_exact_mut(dim).enumerate() {
            let band = labels[i] as usize * dim / classes as usize;
            for (j, p) in row.iter_mut().enumerate() {
                let base = if j >= band && j < band + dim / classes as usize {
                    96
                } else {
                    0
                };
                *p = base + (next() % 160) as u8;
            }
        }
        SyntheticU8 {
            pixels,
            labels,
            dim,
            affine: Affine::new(vec![1.0 / 255.0; dim], vec![0.0; dim]),
        }
    }
}

impl BatchSource for SyntheticU8 {
    fn len(&self) -> usize {
        self.labels.len()
    }

    fn dim(&self) -> usize {
        self.dim
    }

    fn fill(&self, indices: &[usize], out: &mut Matrix) {
        for (r, &i) in indices.iter().enumerate() {
            let src = &self.pixels[i * self.dim..(i + 1) * self.dim];
            for (o, &p) in out.row_mut(r).iter_mut().zip(src) {
                *o = p as f32 * (1.0 / 255.0);
            }
        }
    }

    fn label(&self, index: usize) -> u8 {
        self.labels[index]
    }

    fn as_bytes(&self) -> Option<&dyn ByteRows> {
        Some(self)
    }
}

impl ByteRows for SyntheticU8 {
    fn byte_row(&self, index: usize) -> &[u8] {
        &self.pixels[index * self.dim..(index + 1) * self.dim]
    }

    fn affine(&self) -> &Affine {
        &self.affine
    }
}
