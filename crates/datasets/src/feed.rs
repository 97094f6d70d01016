//! [`Feed`]: a dataset view with its input scaling, as the labelled rows that training and
//! evaluation read ([`tensor::BatchSource`]).

use tensor::{Affine, BatchSource, ByteRows, Matrix};

use crate::{BatchFiller, DatasetView, InputScaling};

/// A view's images as `f32` rows scaled by an [`InputScaling`], with their labels: what
/// `nn::train` trains on and what an evaluation reads, with no copy of the pixels.
///
/// # Example
/// ```
/// use datasets::{Dataset, Feed, ImageShape, InputScaling};
/// use tensor::BatchSource;
///
/// let shape = ImageShape { channels: 1, height: 1, width: 2 };
/// let ds = Dataset::new(vec![0, 255, 51, 0], vec![1, 0], vec!["a".into(), "b".into()], shape)?;
/// let feed = Feed::new(ds.all(), &InputScaling::UnitRange);
/// assert_eq!((feed.len(), feed.dim(), feed.label(0)), (2, 2, 1));
/// assert_eq!(feed.rows(1..2).row(0), &[0.2, 0.0]);
/// # Ok::<(), datasets::DatasetError>(())
/// ```
pub struct Feed<'a> {
    view: DatasetView<'a>,
    filler: BatchFiller,
    affine: Affine,
}

impl<'a> Feed<'a> {
    /// Feeds `view` through `scaling`.
    pub fn new(view: DatasetView<'a>, scaling: &InputScaling) -> Self {
        Feed {
            filler: BatchFiller::new(view.shape(), scaling),
            affine: scaling.affine(view.shape()),
            view,
        }
    }

    /// The view.
    pub fn view(&self) -> &DatasetView<'a> {
        &self.view
    }

    /// Every row's label, in order (for evaluation and confusion matrices).
    pub fn labels(&self) -> &'a [u8] {
        self.view.labels()
    }
}

impl BatchSource for Feed<'_> {
    fn len(&self) -> usize {
        self.view.len()
    }

    fn dim(&self) -> usize {
        self.view.shape().len()
    }

    fn fill(&self, indices: &[usize], out: &mut Matrix) {
        self.filler.fill(&self.view, indices, out);
    }

    fn label(&self, index: usize) -> u8 {
        self.view.label(index)
    }

    fn as_bytes(&self) -> Option<&dyn ByteRows> {
        Some(self)
    }
}

/// Training reads the pixels in place: `scale · x + offset` is the scaling's formula, up to
/// rounding (see [`InputScaling::affine`]).
impl ByteRows for Feed<'_> {
    fn byte_row(&self, index: usize) -> &[u8] {
        self.view.image(index)
    }

    fn affine(&self) -> &Affine {
        &self.affine
    }
}
