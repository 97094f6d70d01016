//! One training epoch of each chapter network through the real `nn` API (plain SGD, batch 64),
//! on synthetic u8 data of the chapter's shapes: 50,000 MNIST-sized rows and 40,000 CIFAR-sized.

use criterion::{Criterion, criterion_group, criterion_main};
use ml4a_benches::SyntheticU8;
use nn::{Activation, Architecture, Init, Mlp, SgdConfig, TrainConfig, init, train};

fn epoch(c: &mut Criterion) {
    let mnist = SyntheticU8::new(50_000, 784, 10, 1);
    let cifar = SyntheticU8::new(40_000, 3072, 10, 2);
    let config = TrainConfig {
        epochs: 1,
        batch_size: 64,
        sgd: SgdConfig {
            lr: 0.01,
            momentum: 0.0,
            weight_decay: 0.0,
        },
        shuffle_seed: 1,
    };
    let mut g = c.benchmark_group("epoch");
    g.sample_size(10);
    for (name, data, hidden) in [
        ("mnist_784-10", &mnist, &[][..]),
        ("mnist_784-10-10", &mnist, &[10][..]),
        ("cifar_3072-10", &cifar, &[][..]),
        ("cifar_3072-10-10", &cifar, &[10][..]),
    ] {
        let arch =
            Architecture::classifier(nn::BatchSource::dim(data), hidden, Activation::Sigmoid, 10);
        let mut net = Mlp::new(arch, Init::UniformFanIn, &mut init::rng(1));
        g.bench_function(name, |b| {
            b.iter(|| train(&mut net, &config, data, &mut |_, _| {}).unwrap())
        });
    }
    g.finish();
}

criterion_group!(benches, epoch);
criterion_main!(benches);
