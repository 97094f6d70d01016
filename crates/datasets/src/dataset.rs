//! [`Dataset`], its borrowed [`DatasetView`] of an index range, and the chapter's splits.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::storage::Bytes;
use crate::{DatasetError, DatasetErrorKind, ImageShape};

/// Most classes a dataset can have: labels are `u8`.
pub const MAX_CLASSES: usize = 256;

/// A run of images stored at a fixed stride inside one buffer (one file).
///
/// An IDX file is one segment with `stride == image_len`; a CIFAR-10 batch file is one segment
/// with `offset == 1` and `stride == 3073`, so images are read in place, skipping label bytes.
#[derive(Clone)]
pub(crate) struct Segment {
    pub(crate) bytes: Arc<Bytes>,
    /// Byte offset of the first image.
    pub(crate) offset: usize,
    /// Bytes from one image to the next.
    pub(crate) stride: usize,
    /// Images in this segment.
    pub(crate) count: usize,
}

/// A labelled set of u8 images of one [`ImageShape`], laid out (N, C, H, W).
///
/// Pixels stay `u8` and, when read from large files, memory-mapped; cloning a `Dataset` is cheap
/// (it shares the storage). Take views of index ranges with [`Dataset::view`]; the chapter's
/// splits are named by [`Split`] and resolved by [`Loaded::view`].
#[derive(Clone)]
pub struct Dataset {
    shape: ImageShape,
    classes: Arc<[String]>,
    segments: Arc<[Segment]>,
    /// Index of each segment's first image; `starts[k] + segments[k].count == starts[k + 1]`.
    starts: Arc<[usize]>,
    labels: Arc<Bytes>,
    labels_range: Range<usize>,
}

impl fmt::Debug for Dataset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dataset")
            .field("len", &self.len())
            .field("shape", &self.shape)
            .field("classes", &self.classes)
            .finish()
    }
}

impl Dataset {
    /// Builds a dataset from owned pixels, laid out (N, C, H, W), one label per image, and the
    /// class names (label `k` names `classes[k]`).
    ///
    /// # Errors
    /// A [`DatasetError`] (with an empty path) when the shape holds no pixels or its size
    /// overflows ([`DatasetErrorKind::BadDims`]), when
    /// `pixels.len() != labels.len() * shape.len()` ([`DatasetErrorKind::PixelCount`]), when
    /// there are no classes or more than 256 ([`DatasetErrorKind::ClassNames`]), or when a
    /// label is not below the class count ([`DatasetErrorKind::LabelOutOfRange`]).
    pub fn new(
        pixels: Vec<u8>,
        labels: Vec<u8>,
        classes: Vec<String>,
        shape: ImageShape,
    ) -> Result<Dataset, DatasetError> {
        let dims = || vec![labels.len(), shape.channels, shape.height, shape.width];
        let bad = |expected| {
            DatasetError::memory(DatasetErrorKind::BadDims {
                expected,
                found: dims(),
            })
        };
        let image_len = shape
            .checked_len()
            .ok_or_else(|| bad("an image size that fits in memory"))?;
        if image_len == 0 {
            return Err(bad("images of at least one pixel"));
        }
        let expected = labels
            .len()
            .checked_mul(image_len)
            .ok_or_else(|| bad("a total size that fits in memory"))?;
        if expected != pixels.len() {
            return Err(DatasetError::memory(DatasetErrorKind::PixelCount {
                expected,
                got: pixels.len(),
            }));
        }
        check_classes(&classes).map_err(DatasetError::memory)?;
        check_labels(&labels, classes.len()).map_err(DatasetError::memory)?;
        let n = labels.len();
        let image_len = shape.len();
        Ok(Dataset::from_parts(
            shape,
            classes,
            vec![Segment {
                bytes: Arc::new(Bytes::Owned(pixels)),
                offset: 0,
                stride: image_len,
                count: n,
            }],
            Arc::new(Bytes::Owned(labels)),
            0..n,
        ))
    }

    /// Assembles a dataset from validated parts (readers check everything first).
    pub(crate) fn from_parts(
        shape: ImageShape,
        classes: Vec<String>,
        segments: Vec<Segment>,
        labels: Arc<Bytes>,
        labels_range: Range<usize>,
    ) -> Dataset {
        let mut starts = Vec::with_capacity(segments.len());
        let mut total = 0;
        for s in &segments {
            debug_assert!(
                s.count == 0 || s.offset + (s.count - 1) * s.stride + shape.len() <= s.bytes.len()
            );
            starts.push(total);
            total += s.count;
        }
        debug_assert_eq!(total, labels_range.len());
        Dataset {
            shape,
            classes: classes.into(),
            segments: segments.into(),
            starts: starts.into(),
            labels,
            labels_range,
        }
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels_range.len()
    }

    /// True when there are no images.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The shape of every image.
    pub fn shape(&self) -> ImageShape {
        self.shape
    }

    /// Class names; label `k` names `classes()[k]`.
    pub fn classes(&self) -> &[String] {
        &self.classes
    }

    /// The same images and labels under other class names (a model's own names for them).
    ///
    /// # Errors
    /// [`DatasetErrorKind::ClassNames`] for an empty list or more than 256 names,
    /// [`DatasetErrorKind::LabelOutOfRange`] when a label has no name in `classes`.
    pub fn with_classes(mut self, classes: Vec<String>) -> Result<Dataset, DatasetErrorKind> {
        check_classes(&classes)?;
        check_labels(self.all().labels(), classes.len())?;
        self.classes = classes.into();
        Ok(self)
    }

    /// Number of classes; every label is below it.
    pub fn num_classes(&self) -> usize {
        self.classes.len()
    }

    /// All labels, in image order.
    pub fn labels(&self) -> &[u8] {
        &self.labels[self.labels_range.clone()]
    }

    /// Label of image `i`.
    ///
    /// # Panics
    /// If `i >= len()`.
    #[track_caller]
    pub fn label(&self, i: usize) -> u8 {
        self.all().label(i)
    }

    /// Pixels of image `i`, `shape().len()` bytes laid out (C, H, W).
    ///
    /// # Panics
    /// If `i >= len()`.
    #[track_caller]
    pub fn image(&self, i: usize) -> &[u8] {
        self.all().image(i)
    }

    /// A view of every image.
    pub fn all(&self) -> DatasetView<'_> {
        DatasetView {
            ds: self,
            start: 0,
            len: self.len(),
        }
    }

    /// A view of images `range` (indices of the view start at 0).
    ///
    /// # Panics
    /// If the range is reversed or ends past `len()`.
    #[track_caller]
    pub fn view(&self, range: Range<usize>) -> DatasetView<'_> {
        self.all().view(range)
    }

    /// Image `i` of the whole dataset; `i < len()` is checked by the caller.
    fn image_unchecked_range(&self, i: usize) -> &[u8] {
        let k = if self.segments.len() == 1 {
            0
        } else {
            // Index of the last segment starting at or before `i`; empty segments share a
            // start with their successor, so this skips them.
            self.starts.partition_point(|&s| s <= i) - 1
        };
        let seg = &self.segments[k];
        let at = seg.offset + (i - self.starts[k]) * seg.stride;
        &seg.bytes[at..at + self.shape.len()]
    }
}

/// A borrowed, contiguous range of a [`Dataset`]: a split, or any part of one.
///
/// Indices are relative to the view: `view.image(0)` is the first image of the range.
#[derive(Clone, Copy)]
pub struct DatasetView<'a> {
    ds: &'a Dataset,
    start: usize,
    len: usize,
}

impl fmt::Debug for DatasetView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatasetView")
            .field("range", &self.range())
            .field("shape", &self.ds.shape)
            .finish()
    }
}

impl<'a> DatasetView<'a> {
    /// Number of images in the view.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when the view is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The dataset this view borrows from.
    pub fn dataset(&self) -> &'a Dataset {
        self.ds
    }

    /// The indices of the viewed images in the dataset.
    pub fn range(&self) -> Range<usize> {
        self.start..self.start + self.len
    }

    /// The dataset index of the view's image `i`: how a sample index from an evaluation of this
    /// view (a `RankedSample::index`, a mistake's index) is found in the original file.
    ///
    /// # Panics
    /// If `i >= len()`.
    #[track_caller]
    pub fn dataset_index(&self, i: usize) -> usize {
        self.check(i);
        self.start + i
    }

    /// The shape of every image.
    pub fn shape(&self) -> ImageShape {
        self.ds.shape
    }

    /// Class names of the dataset.
    pub fn classes(&self) -> &'a [String] {
        &self.ds.classes
    }

    /// Number of classes of the dataset.
    pub fn num_classes(&self) -> usize {
        self.ds.classes.len()
    }

    /// Labels of the viewed images, in order.
    pub fn labels(&self) -> &'a [u8] {
        &self.ds.labels()[self.range()]
    }

    /// Label of image `i` of the view.
    ///
    /// # Panics
    /// If `i >= len()`.
    #[track_caller]
    pub fn label(&self, i: usize) -> u8 {
        self.check(i);
        self.ds.labels()[self.start + i]
    }

    /// Pixels of image `i` of the view: `shape().len()` bytes laid out (C, H, W).
    ///
    /// # Panics
    /// If `i >= len()`.
    #[track_caller]
    pub fn image(&self, i: usize) -> &'a [u8] {
        self.check(i);
        self.ds.image_unchecked_range(self.start + i)
    }

    /// A sub-view of images `range` of this view.
    ///
    /// # Panics
    /// If the range is reversed or ends past `len()`.
    #[track_caller]
    pub fn view(&self, range: Range<usize>) -> DatasetView<'a> {
        assert!(
            range.start <= range.end && range.end <= self.len,
            "range {range:?} out of bounds for a view of {} images",
            self.len
        );
        DatasetView {
            ds: self.ds,
            start: self.start + range.start,
            len: range.len(),
        }
    }

    /// The viewed images and their labels, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&'a [u8], u8)> + 'a {
        let v = *self;
        (0..v.len).map(move |i| (v.image(i), v.label(i)))
    }

    /// How many viewed images carry each label; the result has `num_classes()` entries.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0usize; self.num_classes()];
        for &l in self.labels() {
            counts[l as usize] += 1;
        }
        counts
    }

    /// Writes the labels of images `indices` (of this view) into `out`, replacing its content.
    /// `out` keeps its allocation, so a reused buffer does not allocate.
    ///
    /// # Panics
    /// If an index is `>= len()`.
    #[track_caller]
    pub fn gather_labels(&self, indices: &[usize], out: &mut Vec<u8>) {
        let labels = self.labels();
        out.clear();
        out.extend(indices.iter().map(|&i| {
            self.check(i);
            labels[i]
        }));
    }

    #[track_caller]
    fn check(&self, i: usize) {
        assert!(
            i < self.len,
            "index {i} out of range for a view of {} images",
            self.len
        );
    }
}

/// A named part of a dataset as the chapter uses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Split {
    /// The part of the training file that networks are trained on (MNIST `0..50_000`,
    /// CIFAR-10 `0..40_000`).
    Train,
    /// The held-out end of the training file, where the chapter measured its numbers (MNIST
    /// `50_000..60_000`, CIFAR-10 `40_000..50_000`).
    HeldOut,
    /// The official test set.
    Test,
}

impl Split {
    /// Every split, in the order train, held-out, test.
    pub const ALL: [Split; 3] = [Split::Train, Split::HeldOut, Split::Test];

    /// A short lowercase name: `train`, `held-out`, `test`.
    pub fn name(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::HeldOut => "held-out",
            Split::Test => "test",
        }
    }
}

impl fmt::Display for Split {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where [`Split::Train`] and [`Split::HeldOut`] lie inside the training [`Dataset`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Splits {
    /// Indices trained on.
    pub train: Range<usize>,
    /// Indices held out for evaluation.
    pub held_out: Range<usize>,
}

impl Splits {
    /// The first `len - held_out` images for training, the last `held_out` held out.
    ///
    /// # Panics
    /// If `held_out > len`.
    #[track_caller]
    pub fn hold_out_last(len: usize, held_out: usize) -> Splits {
        assert!(
            held_out <= len,
            "cannot hold out {held_out} of {len} images"
        );
        Splits {
            train: 0..len - held_out,
            held_out: len - held_out..len,
        }
    }
}

/// A dataset as loaded from disk: the training file, the official test file, and where the
/// chapter's train / held-out splits lie in the training file.
#[derive(Debug, Clone)]
pub struct Loaded {
    train: Dataset,
    test: Dataset,
    splits: Splits,
}

impl Loaded {
    /// Bundles a training set, a test set and the splits of the training set.
    ///
    /// # Panics
    /// If a split range is reversed or ends past `train.len()`, or the two sets have different
    /// image shapes.
    #[track_caller]
    pub fn new(train: Dataset, test: Dataset, splits: Splits) -> Loaded {
        for r in [&splits.train, &splits.held_out] {
            assert!(
                r.start <= r.end && r.end <= train.len(),
                "split {r:?} out of bounds for {} training images",
                train.len()
            );
        }
        assert_eq!(train.shape(), test.shape(), "train and test shapes differ");
        Loaded {
            train,
            test,
            splits,
        }
    }

    /// The whole training file, train and held-out parts together (for the chapter's training
    /// split alone, use [`view`](Loaded::view) with [`Split::Train`]).
    pub fn train_file(&self) -> &Dataset {
        &self.train
    }

    /// The official test set (the same images as [`view`](Loaded::view) with [`Split::Test`]).
    pub fn test_file(&self) -> &Dataset {
        &self.test
    }

    /// Where the train and held-out parts lie in [`Loaded::train_file`].
    pub fn splits(&self) -> &Splits {
        &self.splits
    }

    /// The images of `split`.
    pub fn view(&self, split: Split) -> DatasetView<'_> {
        match split {
            Split::Train => self.train.view(self.splits.train.clone()),
            Split::HeldOut => self.train.view(self.splits.held_out.clone()),
            Split::Test => self.test.all(),
        }
    }

    /// The same data under other class names (see [`Dataset::with_classes`]).
    ///
    /// # Errors
    /// As [`Dataset::with_classes`], for the training or the test set.
    pub fn with_classes(self, classes: Vec<String>) -> Result<Loaded, DatasetErrorKind> {
        Ok(Loaded {
            train: self.train.with_classes(classes.clone())?,
            test: self.test.with_classes(classes)?,
            splits: self.splits,
        })
    }

    /// The training and test sets.
    pub fn into_parts(self) -> (Dataset, Dataset, Splits) {
        (self.train, self.test, self.splits)
    }
}

/// Checks a list of class names: 1 to 256 of them.
pub(crate) fn check_classes(classes: &[String]) -> Result<(), DatasetErrorKind> {
    if classes.is_empty() || classes.len() > MAX_CLASSES {
        return Err(DatasetErrorKind::ClassNames {
            reason: format!("{} names; need 1 to {MAX_CLASSES}", classes.len()),
        });
    }
    Ok(())
}

/// Checks every label against the class count.
pub(crate) fn check_labels(labels: &[u8], classes: usize) -> Result<(), DatasetErrorKind> {
    match labels.iter().position(|&l| l as usize >= classes) {
        Some(index) => Err(DatasetErrorKind::LabelOutOfRange {
            index,
            label: labels[index],
            classes,
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|k| k.to_string()).collect()
    }

    fn shape(c: usize, h: usize, w: usize) -> ImageShape {
        ImageShape {
            channels: c,
            height: h,
            width: w,
        }
    }

    /// `Dataset::new` on the given parts, reduced to the error kind's message or "ok".
    fn check_new(pixels: usize, labels: &[u8], classes: usize, s: ImageShape, expect: &str) {
        let got = match Dataset::new(vec![0; pixels], labels.to_vec(), names(classes), s) {
            Ok(_) => "ok".to_string(),
            Err(e) => e.to_string(),
        };
        assert_eq!(got, expect);
    }

    #[test]
    fn new_validates_its_inputs() {
        check_new(8, &[0, 1], 2, shape(1, 2, 2), "ok");
        check_new(
            7,
            &[0, 1],
            2,
            shape(1, 2, 2),
            "<memory>: 7 pixel bytes where 8 are needed",
        );
        check_new(
            0,
            &[],
            2,
            shape(1, 0, 2),
            "<memory>: dimensions [0, 1, 0, 2] do not fit: expected images of at least one pixel",
        );
        check_new(
            8,
            &[0, 2],
            2,
            shape(1, 2, 2),
            "<memory>: label 2 at index 1 is not below the class count 2",
        );
        check_new(
            8,
            &[0, 0],
            0,
            shape(1, 2, 2),
            "<memory>: bad class names: 0 names; need 1 to 256",
        );
        check_new(
            8,
            &[0, 0],
            257,
            shape(1, 2, 2),
            "<memory>: bad class names: 257 names; need 1 to 256",
        );
        check_new(0, &[], 1, shape(3, 2, 2), "ok");
    }

    #[test]
    fn huge_shapes_are_errors_not_overflows() {
        // The image size itself overflows.
        let e = Dataset::new(vec![], vec![0], names(1), shape(usize::MAX, 2, 1)).unwrap_err();
        assert!(matches!(e.kind, DatasetErrorKind::BadDims { .. }), "{e}");
        // The image size fits but times the label count does not.
        let e = Dataset::new(
            vec![],
            vec![0, 0],
            names(1),
            shape(usize::MAX / 2 + 1, 1, 1),
        )
        .unwrap_err();
        assert!(matches!(e.kind, DatasetErrorKind::BadDims { .. }), "{e}");
    }

    /// A dataset split over several segments, as CIFAR-10's five files are.
    fn segmented(counts: &[usize], s: ImageShape, pad: usize) -> (Dataset, Vec<Vec<u8>>) {
        let mut segments = Vec::new();
        let mut images = Vec::new();
        let mut labels = Vec::new();
        let stride = s.len() + pad;
        for (k, &count) in counts.iter().enumerate() {
            let mut buf = Vec::new();
            for j in 0..count {
                buf.extend(std::iter::repeat_n(0xEE, pad));
                let img: Vec<u8> = (0..s.len()).map(|p| (k * 31 + j * 7 + p) as u8).collect();
                buf.extend(&img);
                images.push(img);
                labels.push((k % 3) as u8);
            }
            segments.push(Segment {
                bytes: Arc::new(Bytes::Owned(buf)),
                offset: pad,
                stride,
                count,
            });
        }
        let n = labels.len();
        let ds = Dataset::from_parts(s, names(3), segments, Arc::new(Bytes::Owned(labels)), 0..n);
        (ds, images)
    }

    proptest! {
        #[test]
        fn segmented_indexing_matches_flat(
            counts in proptest::collection::vec(0usize..5, 1..6),
            pad in 0usize..3,
        ) {
            let s = shape(2, 2, 3);
            let (ds, images) = segmented(&counts, s, pad);
            prop_assert_eq!(ds.len(), images.len());
            for (i, img) in images.iter().enumerate() {
                prop_assert_eq!(ds.image(i), &img[..]);
            }
        }

        #[test]
        fn views_index_relative_to_their_start(
            n in 0usize..20,
            a in 0usize..20,
            b in 0usize..20,
        ) {
            let (lo, hi) = (a.min(b).min(n), a.max(b).min(n));
            let s = shape(1, 1, 2);
            let pixels: Vec<u8> = (0..n * 2).map(|p| p as u8).collect();
            let labels: Vec<u8> = (0..n).map(|i| (i % 4) as u8).collect();
            let ds = Dataset::new(pixels, labels.clone(), names(4), s).unwrap();
            let v = ds.view(lo..hi);
            prop_assert_eq!(v.len(), hi - lo);
            prop_assert_eq!(v.labels(), &labels[lo..hi]);
            for i in 0..v.len() {
                prop_assert_eq!(v.image(i), ds.image(lo + i));
                prop_assert_eq!(v.label(i), labels[lo + i]);
            }
            // Class counts sum to the view length.
            prop_assert_eq!(v.class_counts().iter().sum::<usize>(), v.len());
        }
    }

    #[test]
    fn datasets_can_be_shared_across_threads() {
        fn shared<T: Send + Sync>() {}
        shared::<Dataset>();
        shared::<DatasetView<'_>>();
        shared::<Loaded>();
    }

    #[test]
    fn splits_and_loaded_views() {
        let s = shape(1, 1, 1);
        let train = Dataset::new((0..12).collect(), vec![0; 12], names(1), s).unwrap();
        let test = Dataset::new(vec![9; 3], vec![0; 3], names(1), s).unwrap();
        let loaded = Loaded::new(train, test, Splits::hold_out_last(12, 2));
        assert_eq!(loaded.view(Split::Train).range(), 0..10);
        assert_eq!(loaded.view(Split::HeldOut).range(), 10..12);
        assert_eq!(loaded.view(Split::HeldOut).image(1), &[11]);
        assert_eq!(loaded.view(Split::Test).len(), 3);
        assert_eq!(Split::ALL.map(Split::name), ["train", "held-out", "test"]);
    }

    #[test]
    #[should_panic(expected = "out of range")]
    fn out_of_range_image_panics() {
        let ds = Dataset::new(vec![0; 2], vec![0; 2], names(1), shape(1, 1, 1)).unwrap();
        let _ = ds.view(1..2).image(1);
    }

    #[test]
    fn gather_labels_reuses_the_buffer() {
        let ds = Dataset::new(vec![0; 4], vec![3, 1, 2, 0], names(4), shape(1, 1, 1)).unwrap();
        let mut out = Vec::with_capacity(8);
        ds.all().gather_labels(&[2, 0, 0], &mut out);
        assert_eq!(out, [2, 3, 3]);
        ds.view(1..4).gather_labels(&[2], &mut out);
        assert_eq!(out, [0]);
        assert_eq!(out.capacity(), 8);
    }
}
