//! [`BatchSource`]: labelled rows gathered by index into a reused matrix, and [`ByteRows`]: the
//! same rows read in place as bytes, for the kernels that scale them on the fly. They live here,
//! at the bottom of the graph, so that a dataset reader can implement them and a training loop
//! consume them without either knowing the other.

use std::ops::Range;

use crate::Matrix;

/// Where rows with class labels come from: a dataset view, an in-memory matrix or a generator.
/// Training reads its batches through this trait, and evaluation its rows ([`rows`](Self::rows)).
pub trait BatchSource: Sync {
    /// Number of rows.
    fn len(&self) -> usize;

    /// True when there are no rows.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Values per row.
    fn dim(&self) -> usize;

    /// Writes rows `indices` into `out`, which has exactly `indices.len()` rows and
    /// [`dim`](Self::dim) columns. Called once per batch: it should not allocate.
    fn fill(&self, indices: &[usize], out: &mut Matrix);

    /// The class label of row `index`.
    fn label(&self, index: usize) -> u8;

    /// The same rows as stored bytes with the map to their values, when the source holds bytes.
    /// Training then reads them in place through the u8 kernels ([`crate::ops::gemm_u8_nt`]),
    /// so a batch is never written out as `f32`. `None` (the default) makes training call
    /// [`fill`](Self::fill) instead.
    fn as_bytes(&self) -> Option<&dyn ByteRows> {
        None
    }

    /// Rows `range` as a new matrix (for evaluation, where a batch is made once).
    ///
    /// # Panics
    /// If `range` reaches past [`len`](Self::len).
    fn rows(&self, range: Range<usize>) -> Matrix {
        assert!(
            range.end <= self.len(),
            "rows {range:?} of a source of {} rows",
            self.len()
        );
        let idx: Vec<usize> = range.collect();
        let mut m = Matrix::zeros(idx.len(), self.dim());
        self.fill(&idx, &mut m);
        m
    }
}

/// The map from a stored byte `u` in column `c` to the value a model sees:
/// `scale[c] * u + offset[c]`. Any per-channel scaling of u8 pixels (`u / 255`, centring,
/// standardising) is one.
#[derive(Debug, Clone, PartialEq)]
pub struct Affine {
    scale: Vec<f32>,
    offset: Vec<f32>,
    any_offset: bool,
    uniform: Option<f32>,
}

impl Affine {
    /// The map with these per-column factors and offsets.
    ///
    /// # Panics
    /// If the two lengths differ.
    #[track_caller]
    pub fn new(scale: Vec<f32>, offset: Vec<f32>) -> Self {
        assert_eq!(
            scale.len(),
            offset.len(),
            "Affine: {} factors and {} offsets",
            scale.len(),
            offset.len()
        );
        let any_offset = offset.iter().any(|&o| o != 0.0);
        let uniform = match scale.first() {
            Some(&s) if scale.iter().all(|&t| t == s) => Some(s),
            _ => None,
        };
        Affine {
            scale,
            offset,
            any_offset,
            uniform,
        }
    }

    /// Columns.
    pub fn len(&self) -> usize {
        self.scale.len()
    }

    /// True for a map of no columns.
    pub fn is_empty(&self) -> bool {
        self.scale.is_empty()
    }

    /// The factor of each column.
    pub fn scale(&self) -> &[f32] {
        &self.scale
    }

    /// The offset of each column.
    pub fn offset(&self) -> &[f32] {
        &self.offset
    }

    /// The factor when every column has the same one (`u / 255` has): a product can then be
    /// scaled once at the end instead of column by column.
    pub fn uniform_scale(&self) -> Option<f32> {
        self.uniform
    }

    /// Whether any offset is non-zero (`u / 255` has none, and skips the work offsets cost).
    pub fn has_offset(&self) -> bool {
        self.any_offset
    }

    /// The value of byte `u` in column `c`.
    pub fn apply(&self, c: usize, u: u8) -> f32 {
        self.scale[c].mul_add(u as f32, self.offset[c])
    }
}

/// Rows of bytes readable in place, with the [`Affine`] map to their values: what
/// [`BatchSource::as_bytes`] hands to training.
pub trait ByteRows: Sync {
    /// Row `index`: exactly as many bytes as the map has columns.
    fn byte_row(&self, index: usize) -> &[u8];

    /// How a byte becomes a value, per column.
    fn affine(&self) -> &Affine;
}
