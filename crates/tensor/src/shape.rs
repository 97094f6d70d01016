//! The (C, H, W) layout of a row that holds one image: the one shape type that `datasets`
//! (pixels), `nn` (inputs) and `introspect` (weight templates) share.

use serde::{Deserialize, Serialize};

/// The shape of one image stored as a row: `channels` planes of `height x width` values, stored
/// planar (all of channel 0, then all of channel 1, ...), each plane row-major. This is the
/// (C, H, W) layout of CIFAR-10's records (MNIST has one channel), of a network's input row
/// and so of a first-layer weight template. It says how values are laid out, not what they
/// depict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ImageShape {
    /// Colour planes: 1 for grayscale, 3 for RGB.
    pub channels: usize,
    /// Rows of pixels.
    pub height: usize,
    /// Columns of pixels.
    pub width: usize,
}

/// `CxHxW`, such as `1x28x28`.
impl std::fmt::Display for ImageShape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}x{}x{}", self.channels, self.height, self.width)
    }
}

impl ImageShape {
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
