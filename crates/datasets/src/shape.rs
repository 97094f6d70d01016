//! The shape of one image in a [`Dataset`](crate::Dataset).

use serde::{Deserialize, Serialize};

/// The shape of one image: `channels` planes of `height x width` pixels, stored planar
/// (all of channel 0, then all of channel 1, ...), each plane row-major. This is the
/// (C, H, W) layout of CIFAR-10's records; MNIST has one channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ImageShape {
    /// Colour planes: 1 for grayscale, 3 for RGB.
    pub channels: usize,
    /// Rows of pixels.
    pub height: usize,
    /// Columns of pixels.
    pub width: usize,
}

impl ImageShape {
    /// MNIST's 1x28x28.
    pub const MNIST: ImageShape = ImageShape {
        channels: 1,
        height: 28,
        width: 28,
    };
    /// CIFAR-10's 3x32x32.
    pub const CIFAR10: ImageShape = ImageShape {
        channels: 3,
        height: 32,
        width: 32,
    };

    /// Values per image: `channels * height * width`.
    ///
    /// # Panics
    /// In debug builds, if the product overflows; shapes read from files are checked with
    /// [`ImageShape::checked_len`] first.
    pub fn len(&self) -> usize {
        self.channels * self.height * self.width
    }

    /// Values per image, or `None` if the product overflows `usize`.
    pub fn checked_len(&self) -> Option<usize> {
        self.channels
            .checked_mul(self.height)?
            .checked_mul(self.width)
    }

    /// Values per colour plane: `height * width`.
    pub fn plane_len(&self) -> usize {
        self.height * self.width
    }

    /// True when the shape holds no pixels.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
