//! Learning rates that make training blow up: the run stops with an error that names where and
//! suggests a lower learning rate, and nothing is cached.

use std::path::Path;

use experiments::pipeline::{self, PipelineOptions, Quiet};
use experiments::{DataDir, ExperimentError, NetworkId, Spec};
use ml4a_tests::{files_under, write_mnist};
use nn::TrainError;

/// Runs `spec` on the data in `data` (cached and fresh), checks that nothing is cached, and
/// returns both errors.
fn failures(spec: &Spec, data: &Path) -> Vec<ExperimentError> {
    let mut errors = Vec::new();
    for fresh in [false, true] {
        let out = tempfile::tempdir().unwrap();
        let models = out.path().join("models");
        let opts = PipelineOptions {
            data_dir: DataDir(data.to_path_buf()),
            cache_dir: Some(models.clone()),
            fresh,
        };
        let err = pipeline::train_and_analyse(std::slice::from_ref(spec), &opts, &mut Quiet)
            .err()
            .unwrap_or_else(|| panic!("lr {} trained", spec.train.sgd.lr));
        let cached = if models.exists() {
            files_under(&models)
        } else {
            Vec::new()
        };
        assert!(cached.is_empty(), "cached after divergence: {cached:?}");
        errors.push(err);
    }
    errors
}

#[test]
fn overflowing_weights_name_epoch_and_batch() {
    let data = tempfile::tempdir().unwrap();
    write_mnist(data.path(), 600, 100, 3);
    let mut spec = NetworkId::Mnist2Layer.spec();
    // Large enough that the first steps overflow f32.
    spec.train.sgd.lr = 1e38;
    for err in failures(&spec, data.path()) {
        let msg = err.to_string();
        match &err {
            ExperimentError::Train {
                id,
                source:
                    TrainError::Diverged {
                        epoch, batch, lr, ..
                    },
            } => {
                assert_eq!(id, "mnist-2layer");
                assert_eq!(*lr, 1e38);
                // 600 images hold 500 training images: 8 batches of 64 per epoch.
                assert!(*epoch >= 1 && *epoch <= spec.train.epochs, "{msg}");
                assert!(*batch < 8, "{msg}");
                assert!(
                    msg.contains(&format!("epoch {epoch}, batch {batch}"))
                        && msg.contains("lower learning rate"),
                    "{msg}"
                );
            }
            other => panic!("expected a divergence, got {other}"),
        }
    }
}

#[test]
fn finite_but_absurd_losses_are_refused_too() {
    // With lr 1e30 nothing overflows: the weights grow to about 1e30 and the mean loss to about
    // 1e30 per image. The loss bound of `nn::train` still stops it, naming the batch.
    let data = tempfile::tempdir().unwrap();
    write_mnist(data.path(), 600, 100, 3);
    let mut spec = NetworkId::Mnist2Layer.spec();
    spec.train.sgd.lr = 1e30;
    for err in failures(&spec, data.path()) {
        let msg = err.to_string();
        match &err {
            ExperimentError::Train {
                id,
                source:
                    TrainError::Diverged {
                        epoch, batch, lr, ..
                    },
            } => {
                assert_eq!(id, "mnist-2layer");
                assert_eq!(*lr, 1e30);
                assert_eq!(*epoch, 1, "{msg}");
                assert!(*batch < 8, "{msg}");
                assert!(
                    msg.contains("87.3") && msg.contains("lower learning rate"),
                    "{msg}"
                );
            }
            other => panic!("expected a divergence, got {other}"),
        }
    }
    // The chapter's own learning rate trains without tripping the bound.
    spec.train.sgd.lr = NetworkId::Mnist2Layer.spec().train.sgd.lr;
    spec.train.epochs = 2;
    let opts = PipelineOptions {
        data_dir: DataDir(data.path().to_path_buf()),
        cache_dir: None,
        fresh: true,
    };
    assert!(pipeline::train_and_analyse(&[spec], &opts, &mut Quiet).is_ok());
}
