//! Shared fixtures for the cross-crate tests: small datasets in the official on-disk formats,
//! written by the tests themselves, so the real readers and the whole pipeline run in seconds.

use std::io::Write;
use std::path::Path;

/// A tiny deterministic generator (xorshift64*), so fixtures are the same on every run.
pub struct Xorshift(pub u64);

impl Xorshift {
    /// The next value in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

/// An IDX file: magic (u8 data, `dims.len()` dimensions), big-endian dimensions, then `data`.
pub fn idx_bytes(dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut out = vec![0, 0, 0x08, dims.len() as u8];
    for d in dims {
        out.extend_from_slice(&d.to_be_bytes());
    }
    out.extend_from_slice(data);
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).expect("writing to memory");
    e.finish().expect("writing to memory")
}

/// Images of `side x side` pixels, `channels` planes, whose class shows as a bright bar at a
/// class-dependent row plus noise: learnable, but not perfectly.
pub fn synthetic_images(
    n: usize,
    side: usize,
    channels: usize,
    rng: &mut Xorshift,
) -> (Vec<u8>, Vec<u8>) {
    let labels: Vec<u8> = (0..n).map(|_| rng.below(10) as u8).collect();
    let mut pixels = Vec::with_capacity(n * channels * side * side);
    for &l in &labels {
        let row = 2 + l as usize * (side - 4) / 10;
        for c in 0..channels {
            for y in 0..side {
                for x in 0..side {
                    let bar = (y == row || y == row + 1)
                        && x > 3
                        && x < side - 3
                        && (c + l as usize) % 3 != 0
                        || channels == 1 && y == row;
                    let v = if bar {
                        140 + rng.below(116)
                    } else {
                        rng.below(90)
                    };
                    pixels.push(v as u8);
                }
            }
        }
    }
    (pixels, labels)
}

/// Writes an MNIST-format folder `dir/mnist/` (gzip IDX, 28x28) with `train` and `test` images.
pub fn write_mnist(dir: &Path, train: usize, test: usize, seed: u64) {
    let d = dir.join("mnist");
    std::fs::create_dir_all(&d).expect("creating the fixture folder");
    let mut rng = Xorshift(seed | 1);
    for (stem, n) in [("train", train), ("t10k", test)] {
        let (px, lb) = synthetic_images(n, 28, 1, &mut rng);
        let img = idx_bytes(&[n as u32, 28, 28], &px);
        let lab = idx_bytes(&[n as u32], &lb);
        std::fs::write(d.join(format!("{stem}-images-idx3-ubyte.gz")), gzip(&img))
            .expect("writing a fixture");
        std::fs::write(d.join(format!("{stem}-labels-idx1-ubyte.gz")), gzip(&lab))
            .expect("writing a fixture");
    }
}

/// Writes a CIFAR-10-format folder `dir/cifar-10-batches-bin/`: five training batches of
/// `per_batch` records, a test batch of `test` records, and the class names.
pub fn write_cifar(dir: &Path, per_batch: usize, test: usize, seed: u64) {
    let d = dir.join("cifar-10-batches-bin");
    std::fs::create_dir_all(&d).expect("creating the fixture folder");
    let mut rng = Xorshift(seed | 1);
    let mut batch = |name: &str, n: usize| {
        let (px, lb) = synthetic_images(n, 32, 3, &mut rng);
        let mut out = Vec::with_capacity(n * 3073);
        for (i, l) in lb.iter().enumerate() {
            out.push(*l);
            out.extend_from_slice(&px[i * 3072..(i + 1) * 3072]);
        }
        std::fs::write(d.join(name), out).expect("writing a fixture");
    };
    for i in 1..=5 {
        batch(&format!("data_batch_{i}.bin"), per_batch);
    }
    batch("test_batch.bin", test);
    let names = "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n";
    std::fs::write(d.join("batches.meta.txt"), names).expect("writing a fixture");
}
