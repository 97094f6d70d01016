//! The chapter's four networks as named, serialisable specifications.

use datasets::InputScaling;
use nn::{Activation, Architecture, Init, SgdConfig, TrainConfig};
use serde::{Deserialize, Serialize};

/// Which data a network trains on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum DataKind {
    /// MNIST: `DIR/mnist/`.
    Mnist,
    /// CIFAR-10: `DIR/cifar-10-batches-bin/` or `DIR/cifar-10-binary.tar.gz`.
    Cifar10,
    /// Any IDX pair with the four standard file names, in this folder.
    Idx(std::path::PathBuf),
}

impl DataKind {
    /// A short name: `mnist`, `cifar10`, `idx`.
    pub fn name(&self) -> &'static str {
        match self {
            DataKind::Mnist => "mnist",
            DataKind::Cifar10 => "cifar10",
            DataKind::Idx(_) => "idx",
        }
    }

    /// How the dataset is named on pages and figures: `MNIST`, `CIFAR-10`, `IDX`.
    pub fn display_name(&self) -> &'static str {
        match self {
            DataKind::Mnist => "MNIST",
            DataKind::Cifar10 => "CIFAR-10",
            DataKind::Idx(_) => "IDX",
        }
    }
}

/// Everything that decides one trained network: data, shape, initialisation, optimiser and the
/// chapter's number to compare against. The same spec and data give the same weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spec {
    /// Identifier, also the file stem of its outputs: `mnist-1layer`, ...
    pub id: String,
    /// The data.
    pub data: DataKind,
    /// Widths of the hidden layers (empty: no hidden layer).
    pub hidden: Vec<usize>,
    /// Activation of the hidden layers.
    pub hidden_activation: Activation,
    /// How weights are drawn.
    pub init: Init,
    /// Seed of the weight initialisation.
    pub init_seed: u64,
    /// How pixels become inputs. Serialised under its earlier name, so the cache keys (a hash
    /// of the serialised spec) of models trained before the rename stay valid.
    #[serde(rename = "normalization")]
    pub input_scaling: InputScaling,
    /// Epochs, batch size, optimiser and shuffle seed.
    pub train: TrainConfig,
    /// The chapter's accuracy on the held-out split, where it gives one.
    pub chapter_accuracy: Option<f64>,
    /// The accepted range of held-out accuracy, `[lo, hi]`.
    pub target: [f64; 2],
}

impl Spec {
    /// The network's architecture for inputs of `inputs` values and `classes` classes.
    pub fn architecture(&self, inputs: usize, classes: usize) -> Architecture {
        Architecture::classifier(inputs, &self.hidden, self.hidden_activation, classes)
    }

    /// True when `accuracy` lies in the target range.
    pub fn passes(&self, accuracy: f64) -> bool {
        accuracy >= self.target[0] && accuracy <= self.target[1]
    }
}

/// The four networks of the chapter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum NetworkId {
    /// 784 -> 10 on MNIST.
    Mnist1Layer,
    /// 784 -> 10 hidden -> 10 on MNIST.
    Mnist2Layer,
    /// 3072 -> 10 on CIFAR-10.
    Cifar1Layer,
    /// 3072 -> 10 hidden -> 10 on CIFAR-10.
    Cifar2Layer,
}

/// The chapter's 2-layer MNIST network scored 9,128 / 10,000 on the held-out split.
pub const CHAPTER_MNIST_2LAYER: f64 = 0.9128;
/// The chapter's 2-layer CIFAR-10 network scored 3,700 / 10,000 on the held-out split.
pub const CHAPTER_CIFAR_2LAYER: f64 = 0.37;
/// The chapter's confusion matrix had 71 actual 3s predicted as 5 (2-layer MNIST net).
pub const CHAPTER_THREES_AS_FIVES: u64 = 71;
/// MNIST networks must reach this held-out accuracy.
pub const MNIST_TARGET: [f64; 2] = [0.89, 1.0];
/// CIFAR-10 networks must land in this range: the chapter's point is that a plain net stays far
/// below MNIST.
pub const CIFAR_TARGET: [f64; 2] = [0.33, 0.41];

impl NetworkId {
    /// All four, in the chapter's order.
    pub const ALL: [NetworkId; 4] = [
        NetworkId::Mnist1Layer,
        NetworkId::Mnist2Layer,
        NetworkId::Cifar1Layer,
        NetworkId::Cifar2Layer,
    ];

    /// The identifier: `mnist-1layer`, `mnist-2layer`, `cifar-1layer`, `cifar-2layer`.
    pub fn id(self) -> &'static str {
        match self {
            NetworkId::Mnist1Layer => "mnist-1layer",
            NetworkId::Mnist2Layer => "mnist-2layer",
            NetworkId::Cifar1Layer => "cifar-1layer",
            NetworkId::Cifar2Layer => "cifar-2layer",
        }
    }

    /// Parses an identifier.
    pub fn parse(s: &str) -> Option<NetworkId> {
        NetworkId::ALL.into_iter().find(|n| n.id() == s)
    }

    /// The hyperparameters, chosen once and kept fixed: they are not tuned on the held-out split
    /// the results are reported on beyond choosing a learning rate that trains stably.
    pub fn spec(self) -> Spec {
        let sgd = |lr| SgdConfig {
            lr,
            momentum: 0.9,
            weight_decay: 0.0,
        };
        let train = |epochs, lr, seed| TrainConfig {
            epochs,
            batch_size: 64,
            sgd: sgd(lr),
            shuffle_seed: seed,
        };
        match self {
            NetworkId::Mnist1Layer => Spec {
                id: self.id().into(),
                data: DataKind::Mnist,
                hidden: vec![],
                hidden_activation: Activation::Sigmoid,
                init: Init::Zeros,
                init_seed: 1,
                input_scaling: InputScaling::UnitRange,
                train: train(10, 0.01, 11),
                chapter_accuracy: None,
                target: MNIST_TARGET,
            },
            NetworkId::Mnist2Layer => Spec {
                id: self.id().into(),
                data: DataKind::Mnist,
                hidden: vec![10],
                hidden_activation: Activation::Sigmoid,
                init: Init::UniformFanIn,
                init_seed: 2,
                input_scaling: InputScaling::UnitRange,
                train: train(10, 0.05, 12),
                chapter_accuracy: Some(CHAPTER_MNIST_2LAYER),
                target: MNIST_TARGET,
            },
            NetworkId::Cifar1Layer => Spec {
                id: self.id().into(),
                data: DataKind::Cifar10,
                hidden: vec![],
                hidden_activation: Activation::Sigmoid,
                init: Init::Zeros,
                init_seed: 3,
                input_scaling: InputScaling::ZeroCentred,
                train: train(10, 0.0005, 13),
                chapter_accuracy: None,
                target: CIFAR_TARGET,
            },
            NetworkId::Cifar2Layer => Spec {
                id: self.id().into(),
                data: DataKind::Cifar10,
                hidden: vec![10],
                hidden_activation: Activation::Sigmoid,
                init: Init::UniformFanIn,
                init_seed: 4,
                input_scaling: InputScaling::ZeroCentred,
                train: train(10, 0.005, 14),
                chapter_accuracy: Some(CHAPTER_CIFAR_2LAYER),
                target: CIFAR_TARGET,
            },
        }
    }
}

/// A network for `cargo xtask explore`: the chapter's recipe (1 layer, or `hidden` sigmoid units
/// then the outputs) on any dataset, with no accuracy target.
pub fn explore_spec(data: DataKind, hidden: Option<usize>, epochs: usize) -> Spec {
    let colour = data == DataKind::Cifar10;
    let base = match (colour, hidden.is_some()) {
        (false, false) => NetworkId::Mnist1Layer,
        (false, true) => NetworkId::Mnist2Layer,
        (true, false) => NetworkId::Cifar1Layer,
        (true, true) => NetworkId::Cifar2Layer,
    }
    .spec();
    let id = match hidden {
        Some(h) => format!("explore-{}-{h}hidden", data.name()),
        None => format!("explore-{}-1layer", data.name()),
    };
    Spec {
        id,
        data,
        hidden: hidden.into_iter().collect(),
        train: TrainConfig {
            epochs,
            ..base.train
        },
        chapter_accuracy: None,
        target: [0.0, 1.0],
        ..base
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        for n in NetworkId::ALL {
            assert_eq!(NetworkId::parse(n.id()), Some(n));
            assert_eq!(n.spec().id, n.id());
        }
        assert_eq!(NetworkId::parse("mnist-3layer"), None);
    }

    #[test]
    fn targets_are_the_chapters() {
        // The chapter's own results pass their targets.
        assert!(NetworkId::Mnist2Layer.spec().passes(CHAPTER_MNIST_2LAYER));
        assert!(!NetworkId::Mnist1Layer.spec().passes(0.88));
        assert!(NetworkId::Cifar2Layer.spec().passes(CHAPTER_CIFAR_2LAYER));
        assert!(!NetworkId::Cifar1Layer.spec().passes(0.42));
    }
}
