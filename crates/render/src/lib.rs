//! Drawing the chapter's figures from plain data: pixel arrays, count matrices, labels and
//! probabilities in; PNG (and, for the diagrams, SVG) out.
//!
//! The main types are [`Raster`], an RGB8 canvas with anti-aliased drawing primitives,
//! text in a bundled font, and PNG encoding; [`Drawing`], a diagram kept as shapes so that
//! its PNG and SVG agree; and [`Rgb`] with the shared [`palette`]. The building blocks each
//! stand alone and return a [`Raster`] (the diagrams a [`Drawing`]):
//!
//! - [`grid::image_grid`]: tiles in a grid, enlarged without blur, optional labels and title;
//! - [`bars::probability_bars`] and [`bars::signed_bars`]: class probabilities with the
//!   predicted bar red and the true bar green, and signed weights around a zero line;
//! - [`confusion::counts_table`] and [`confusion::samples_table`]: the confusion matrix as
//!   shaded counts with recall, precision and accuracy, and as the top sample per cell;
//! - [`diagram::mlp`], [`diagram::neuron`] and [`diagram::grid_formula`]: the network
//!   diagrams of the chapter;
//! - [`compose`]: stacking finished blocks;
//! - [`html::confusion_demo`] and [`html::weights_demo`]: the interactive demos as
//!   self-contained HTML pages.
//!
//! This crate must not know about networks, datasets or training, and depends on no other
//! crate of the workspace: callers hand it numbers, not models.
//!
//! # Coordinates
//! The origin is the top-left corner, x grows to the right and y downwards, one unit is one
//! pixel; pixel `(i, j)` covers `[i, i + 1) x [j, j + 1)`. SVG output uses the same system
//! (its `viewBox` is the raster size), and text angles are clockwise on screen in both.
//! See [`Raster`] and [`svg`].
//!
//! # Text
//! Labels are drawn in DejaVu Sans, whose bytes come from the `dejavu` crate, rasterised
//! with `ab_glyph`, so a figure is the same on every machine whether or not it has fonts.
//! Bitmaps are cached per thread by glyph, size and quarter-pixel offset.
//!
//! # Determinism
//! Drawing is single-threaded arithmetic on the inputs only, and PNG encoding uses fixed
//! settings: the same data always gives the same bytes.
//!
//! # Example
//! ```
//! use render::Raster;
//! use render::grid::{GridOptions, image_grid};
//!
//! // Four 2x2 grayscale tiles, values in [0, 3].
//! let tiles: Vec<Raster> = (0..4)
//!     .map(|i| Raster::from_gray(&[0.0, i as f32, 3.0, 1.5], 2, 2, 0.0, 3.0))
//!     .collect();
//! let opts = GridOptions { scale: 8, ..GridOptions::new(2) };
//! let grid = image_grid(&tiles, &opts);
//! assert!(grid.width() > 2 * 16 && grid.height() > 2 * 16);
//!
//! let png = grid.encode_png();
//! assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
//! ```

pub mod bars;
mod color;
pub mod compose;
pub mod confusion;
pub mod diagram;
mod error;
pub mod grid;
pub mod html;
mod raster;
mod scene;
pub mod svg;
mod text;

pub use color::{Rgb, diverging, gray_level, max_abs, min_max, palette};
pub use error::{RenderError, RenderErrorKind, write_atomic};
pub use raster::{Raster, Rect, Stroke};
pub use scene::Drawing;
pub use text::{Anchor, HAlign, TextMetrics, TextStyle, VAlign, measure_text};
