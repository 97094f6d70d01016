//! The convolutions of the two claim-10 networks at their own shapes (batch 32): our im2col +
//! GEMM passes (`nn::conv`) on all threads against the direct loops of `nn::conv::reference`,
//! the oracle the tests compare them with. Forward is one layer's output; backward is its
//! weight, bias and input gradients.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use nn::conv::{Conv2d, Conv2dSpec, nchw_to_nhwc, reference};
use std::hint::black_box;
use tensor::{ImageShape, Matrix, MatrixView};

const BATCH: usize = 32;

/// (name, input maps, filters) of every convolution in the two networks (5x5, pad 2).
fn cases() -> Vec<(&'static str, ImageShape, usize)> {
    let s = |channels, side| ImageShape {
        channels,
        height: side,
        width: side,
    };
    vec![
        ("mnist_conv1_1x28x28_8", s(1, 28), 8),
        ("mnist_conv2_8x14x14_16", s(8, 14), 16),
        ("cifar_conv1_3x32x32_16", s(3, 32), 16),
        ("cifar_conv2_16x16x16_20", s(16, 16), 20),
        ("cifar_conv3_20x8x8_20", s(20, 8), 20),
    ]
}

fn values(len: usize, salt: usize) -> Vec<f32> {
    (0..len)
        .map(|i| (((i * 7919 + salt * 104_729) % 2003) as f32 / 1001.0) - 1.0)
        .collect()
}

fn conv(c: &mut Criterion) {
    for (name, input, filters) in cases() {
        let spec = Conv2dSpec {
            filters,
            kernel: 5,
            stride: 1,
            pad: 2,
        };
        let layer = Conv2d::new(spec, input).expect("a valid geometry");
        let x = values(BATCH * input.len(), 1);
        let w = values(filters * layer.patch_len(), 2);
        let b = values(filters, 3);
        let dy = values(BATCH * layer.output.len(), 4);
        let mut xm = Matrix::zeros(0, 0);
        nchw_to_nhwc(
            MatrixView::new(BATCH, input.len(), &x).expect("batch rows"),
            input,
            &mut xm,
        );
        let mut dym = Matrix::zeros(0, 0);
        nchw_to_nhwc(
            MatrixView::new(BATCH, layer.output.len(), &dy).expect("batch rows"),
            layer.output,
            &mut dym,
        );
        let weight = Matrix::from_vec(filters, layer.patch_len(), w.clone()).expect("weights");
        let bias = Matrix::from_vec(1, filters, b.clone()).expect("bias");
        let (mut cols, mut out) = (Matrix::zeros(0, 0), Matrix::zeros(0, 0));
        let mut g = c.benchmark_group(name);
        g.sample_size(20);
        g.bench_function(BenchmarkId::new("ours", "forward"), |bch| {
            bch.iter(|| {
                layer.forward_into(black_box(xm.view()), &weight, &bias, &mut cols, &mut out)
            })
        });
        g.bench_function(BenchmarkId::new("naive", "forward"), |bch| {
            bch.iter(|| reference::conv2d(black_box(&x), input, spec, &w, &b))
        });
        layer.forward_into(xm.view(), &weight, &bias, &mut cols, &mut out);
        let (mut dw, mut db) = (
            Matrix::zeros(filters, layer.patch_len()),
            Matrix::zeros(1, filters),
        );
        let (mut dcols, mut dx) = (Matrix::zeros(0, 0), Matrix::zeros(0, 0));
        g.bench_function(BenchmarkId::new("ours", "backward"), |bch| {
            bch.iter(|| {
                layer.backward_into(
                    &cols,
                    black_box(dym.view()),
                    &weight,
                    &mut dw,
                    &mut db,
                    &mut dcols,
                    Some(&mut dx),
                )
            })
        });
        g.bench_function(BenchmarkId::new("naive", "backward"), |bch| {
            bch.iter(|| reference::conv2d_backward(black_box(&x), input, spec, &w, &dy))
        });
        g.finish();
    }
}

criterion_group!(benches, conv);
criterion_main!(benches);
