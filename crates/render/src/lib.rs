//! Drawing the chapter's figures from plain data: pixel arrays, count matrices, labels and
//! probabilities in; SVG and PNG bytes out.
//!
//! Every figure is described once, as an SVG document: [`Drawing`] keeps it as shapes,
//! [`Drawing::to_svg`] writes the document, and [`Drawing::encode_png`] is that same
//! document rasterised by resvg (usvg parses it and lays the text out, tiny-skia draws), so
//! the PNG and the SVG agree by construction. [`Raster`] is an RGB8 pixel buffer for the
//! pictures a figure shows (digits, CIFAR samples, weight templates) and for rasterised
//! figures; [`Rgb`] and the shared [`palette`] are the colours. The building blocks each
//! stand alone and return a [`Drawing`]:
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
//!   self-contained HTML pages (the default `html` feature; without it the crate builds no
//!   JSON code).
//!
//! This crate must not know about networks, datasets or training, and depends on no other
//! crate of the workspace: callers hand it numbers, not models. It never touches files
//! either: it returns bytes (`Vec<u8>` PNGs, `String` SVGs and pages) and the caller writes
//! them.
//!
//! # Coordinates
//! The origin is the top-left corner, x grows to the right and y downwards, one SVG user
//! unit is one PNG pixel (the `viewBox` is the figure size); pixel `(i, j)` covers
//! `[i, i + 1) x [j, j + 1)`, so whole-pixel rectangles come out crisp. Text angles are
//! clockwise on screen.
//!
//! # Pixel images
//! A picture inside a figure is embedded in the SVG as a PNG at its native size and
//! enlarged by nearest neighbour (`image-rendering: optimizeSpeed`, and `pixelated` for
//! browsers), so a 28x28 template stays crisp at any scale.
//!
//! # Text
//! Labels are set in DejaVu Sans, whose bytes come from the `dejavu` crate, and Korean in a
//! Hangul subset of Noto Sans CJK KR bundled in `fonts/` (SIL OFL 1.1); both are loaded into
//! resvg's font database from memory and system fonts never are, so a figure is the same on
//! every machine whether or not it has fonts. Layout measures text with the advance widths
//! of the font each character is drawn in and DejaVu's line box ([`measure_text`]);
//! [`missing_glyphs`] names the characters neither font has. The vertical [`Anchor`]
//! becomes an explicit baseline, the horizontal one `text-anchor`.
//!
//! # Determinism
//! Rasterisation is single-threaded arithmetic on the document only (no system fonts, no
//! files, no clock), and PNG encoding uses fixed settings: the same figure always gives
//! the same bytes, on any thread.
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
//! // One description, two encodings.
//! let svg = grid.to_svg();
//! assert!(svg.starts_with("<svg") && svg.contains("<image"));
//! let png = grid.encode_png();
//! assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
//! assert_eq!(grid.to_raster().width(), grid.width());
//! ```

pub mod bars;
mod color;
pub mod compose;
pub mod confusion;
pub mod diagram;
pub mod grid;
#[cfg(feature = "html")]
pub mod html;
mod raster;
mod scene;
mod svg;
mod text;

pub use color::{Rgb, diverging, gray_level, max_abs, min_max, palette};
pub use raster::{Raster, Rect, Stroke};
pub use scene::Drawing;
pub use text::{Anchor, HAlign, TextMetrics, TextStyle, VAlign, measure_text, missing_glyphs};
