//! (being written)

mod shape;
pub use shape::ImageShape;
