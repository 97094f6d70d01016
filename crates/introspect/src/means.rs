//! Class-mean images ([`ClassMeans`]) and how well each template matches them
//! ([`template_scores`]): the chapter's "the weights look like the average image of the class",
//! as a number.

use serde::{Deserialize, Serialize};
use tensor::MatrixView;

use crate::error::{IntrospectError, IntrospectErrorKind};
use crate::templates::Templates;

/// The mean image of every class, computed in `f64`.
///
/// # Example
/// ```
/// use introspect::ClassMeans;
/// let rows: [(&[u8], u8); 3] = [(&[0, 255], 0), (&[255, 255], 0), (&[51, 0], 1)];
/// let means = ClassMeans::from_u8_rows(2, 2, rows).unwrap();
/// assert_eq!(means.mean(0), Some(&[0.5, 1.0][..]));
/// assert_eq!(means.mean(1), Some(&[0.2, 0.0][..]));
/// assert_eq!(means.mean_f32(1), Some(vec![0.2f32, 0.0]));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ClassMeans {
    n_pixels: usize,
    counts: Vec<u64>,
    /// `n_classes x n_pixels`, row-major.
    means: Vec<f64>,
}

impl ClassMeans {
    /// Means of `u8` pixel rows, scaled to `0..=1` (pixel / 255), the scale the networks see.
    /// `rows` yields `(pixels, label)` (what `datasets::DatasetView::iter` yields), each row
    /// `n_pixels` long in the network's input order.
    ///
    /// Sums are exact (integers), so the result does not depend on the order of the rows.
    ///
    /// # Errors
    /// [`IntrospectError`] naming the first row (counted from 0) whose label is not below
    /// `n_classes` or whose length is not `n_pixels`.
    pub fn from_u8_rows<'a>(
        n_classes: usize,
        n_pixels: usize,
        rows: impl IntoIterator<Item = (&'a [u8], u8)>,
    ) -> Result<Self, IntrospectError> {
        let mut sums = vec![0u64; n_classes * n_pixels];
        let mut counts = vec![0u64; n_classes];
        for (i, (pixels, label)) in rows.into_iter().enumerate() {
            IntrospectError::check_label(i, label, n_classes)?;
            check_len(i, n_pixels, pixels.len())?;
            let c = usize::from(label);
            counts[c] += 1;
            for (s, &p) in sums[c * n_pixels..(c + 1) * n_pixels]
                .iter_mut()
                .zip(pixels)
            {
                *s += u64::from(p);
            }
        }
        let means = finish(n_pixels, &counts, sums.iter().map(|&s| s as f64 / 255.0));
        Ok(Self {
            n_pixels,
            counts,
            means,
        })
    }

    /// Means of the rows of an `f32` matrix (one image per row, values as they are), summed in
    /// `f64` in row order.
    ///
    /// # Errors
    /// [`IntrospectError`] naming the first sample whose label is not below `n_classes`.
    ///
    /// # Panics
    /// If `labels.len() != images.rows()`.
    #[track_caller]
    pub fn from_matrix(
        images: MatrixView<'_>,
        labels: &[u8],
        n_classes: usize,
    ) -> Result<Self, IntrospectError> {
        assert_eq!(
            labels.len(),
            images.rows(),
            "{} labels for {} images",
            labels.len(),
            images.rows()
        );
        let n_pixels = images.cols();
        let mut sums = vec![0f64; n_classes * n_pixels];
        let mut counts = vec![0u64; n_classes];
        for (i, &label) in labels.iter().enumerate() {
            IntrospectError::check_label(i, label, n_classes)?;
            let c = usize::from(label);
            counts[c] += 1;
            for (s, &p) in sums[c * n_pixels..(c + 1) * n_pixels]
                .iter_mut()
                .zip(images.row(i))
            {
                *s += f64::from(p);
            }
        }
        let means = finish(n_pixels, &counts, sums.into_iter());
        Ok(Self {
            n_pixels,
            counts,
            means,
        })
    }

    /// Number of classes.
    pub fn n_classes(&self) -> usize {
        self.counts.len()
    }

    /// Values per image.
    pub fn n_pixels(&self) -> usize {
        self.n_pixels
    }

    /// Number of samples of class `c`.
    ///
    /// # Panics
    /// If `c >= n_classes()`.
    #[track_caller]
    pub fn count(&self, c: usize) -> u64 {
        self.counts[c]
    }

    /// The mean image of class `c`, or `None` if the class had no samples.
    ///
    /// # Panics
    /// If `c >= n_classes()`.
    #[track_caller]
    pub fn mean(&self, c: usize) -> Option<&[f64]> {
        (self.counts[c] > 0).then(|| &self.means[c * self.n_pixels..(c + 1) * self.n_pixels])
    }

    /// [`mean`](Self::mean) as `f32`, the type images and templates have everywhere else (to
    /// draw a mean, or compare it with a template). Means are kept in `f64` because the
    /// correlations of [`template_scores`] are computed in `f64`.
    ///
    /// # Panics
    /// If `c >= n_classes()`.
    #[track_caller]
    pub fn mean_f32(&self, c: usize) -> Option<Vec<f32>> {
        self.mean(c).map(|m| m.iter().map(|&v| v as f32).collect())
    }
}

fn check_len(sample: usize, expected: usize, got: usize) -> Result<(), IntrospectError> {
    if got == expected {
        Ok(())
    } else {
        Err(IntrospectError::new(
            sample,
            IntrospectErrorKind::PixelCount { expected, got },
        ))
    }
}

/// Divides each class's sums by its count (zeros for an empty class).
fn finish(n_pixels: usize, counts: &[u64], sums: impl Iterator<Item = f64>) -> Vec<f64> {
    sums.enumerate()
        .map(|(j, s)| {
            let n = counts[j / n_pixels.max(1)];
            if n > 0 { s / n as f64 } else { 0.0 }
        })
        .collect()
}

/// Pearson correlation of two equally long series, in `-1..=1`. `None` when the series are
/// empty or either is constant (the correlation is undefined then).
///
/// # Panics
/// If the lengths differ.
#[track_caller]
pub fn pearson(a: &[f64], b: &[f64]) -> Option<f64> {
    assert_eq!(
        a.len(),
        b.len(),
        "correlating series of lengths {} and {}",
        a.len(),
        b.len()
    );
    if a.is_empty() {
        return None;
    }
    let n = a.len() as f64;
    let ma = a.iter().sum::<f64>() / n;
    let mb = b.iter().sum::<f64>() / n;
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (&x, &y) in a.iter().zip(b) {
        let (dx, dy) = (x - ma, y - mb);
        sab += dx * dy;
        saa += dx * dx;
        sbb += dy * dy;
    }
    (saa > 0.0 && sbb > 0.0).then(|| (sab / (saa.sqrt() * sbb.sqrt())).clamp(-1.0, 1.0))
}

/// How each template correlates with each class mean; see [`template_scores`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateScores {
    /// `correlations[t][c]`: Pearson correlation between template `t`'s raw weights and the mean
    /// image of class `c`; `None` when undefined (constant template, or class without samples).
    pub correlations: Vec<Vec<Option<f64>>>,
    /// For each template, the class whose mean it correlates with most (ties to the lowest
    /// class); `None` when no correlation is defined.
    pub best_class: Vec<Option<usize>>,
    /// Share of classes `c` whose template `c` correlates best with the mean of class `c`
    /// itself (`best_class[c] == Some(c)`). `None` unless there is one template per class.
    pub own_class_share: Option<f64>,
    /// Mean of the defined `correlations[c][c]`, the diagonal. `None` unless there is one
    /// template per class and at least one diagonal value is defined.
    pub mean_own_correlation: Option<f64>,
}

/// Correlates every template with every class mean.
///
/// For an output layer, template `c` is output unit `c`'s weights, the unit of class `c`; so
/// [`TemplateScores::own_class_share`] is the share of classes whose template "looks like" its
/// own average image more than any other class's. For hidden filters (a 2-layer net's first
/// layer) only the correlation matrix is meaningful.
///
/// # Panics
/// If the templates and the means do not have the same number of pixels.
#[track_caller]
pub fn template_scores(templates: &Templates, means: &ClassMeans) -> TemplateScores {
    assert_eq!(
        templates.shape().len(),
        means.n_pixels(),
        "templates of {} values against class means of {}",
        templates.shape().len(),
        means.n_pixels()
    );
    let correlations: Vec<Vec<Option<f64>>> = (0..templates.len())
        .map(|t| {
            let raw: Vec<f64> = templates.raw(t).iter().map(|&w| f64::from(w)).collect();
            (0..means.n_classes())
                .map(|c| means.mean(c).and_then(|m| pearson(&raw, m)))
                .collect()
        })
        .collect();
    let best_class: Vec<Option<usize>> = correlations
        .iter()
        .map(|row| {
            let mut best: Option<(usize, f64)> = None;
            for (c, r) in row.iter().enumerate() {
                if let Some(r) = *r
                    && best.is_none_or(|(_, b)| r > b)
                {
                    best = Some((c, r));
                }
            }
            best.map(|(c, _)| c)
        })
        .collect();
    let k = means.n_classes();
    let square = templates.len() == k && k > 0;
    let own_class_share = square.then(|| {
        best_class
            .iter()
            .enumerate()
            .filter(|&(c, b)| *b == Some(c))
            .count() as f64
            / k as f64
    });
    let diagonal: Vec<f64> = (0..k.min(templates.len()))
        .filter_map(|c| correlations[c][c])
        .collect();
    let mean_own_correlation = (square && !diagonal.is_empty())
        .then(|| diagonal.iter().sum::<f64>() / diagonal.len() as f64);
    TemplateScores {
        correlations,
        best_class,
        own_class_share,
        mean_own_correlation,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use tensor::ImageShape;
    use tensor::Matrix;

    fn check_pearson(a: &[f64], b: &[f64], expect: Option<f64>) {
        let got = pearson(a, b);
        match (got, expect) {
            (Some(g), Some(e)) => assert!(
                (g - e).abs() < 1e-12,
                "pearson({a:?}, {b:?}) = {g}, expected {e}"
            ),
            _ => assert_eq!(got, expect, "pearson({a:?}, {b:?})"),
        }
    }

    #[test]
    fn pearson_of_known_series() {
        check_pearson(&[1.0, 2.0, 3.0], &[2.0, 4.0, 6.0], Some(1.0));
        check_pearson(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0], Some(-1.0));
        // Centred: a = (-1, 0, 1), b = (1, -2, 1); a·b = 0.
        check_pearson(&[1.0, 2.0, 3.0], &[1.0, -2.0, 1.0], Some(0.0));
        // a = (-1.5, -0.5, 0.5, 1.5), b = (-1, -1, 1, 1): a·b = 4, |a| = sqrt(5), |b| = 2.
        check_pearson(
            &[0.0, 1.0, 2.0, 3.0],
            &[0.0, 0.0, 2.0, 2.0],
            Some(4.0 / (5f64.sqrt() * 2.0)),
        );
        check_pearson(&[1.0, 1.0], &[1.0, 2.0], None);
        check_pearson(&[], &[], None);
    }

    #[test]
    fn class_means_from_u8_rows_and_from_a_matrix_agree() {
        let rows: Vec<(u8, Vec<u8>)> = vec![
            (1, vec![0, 10, 20]),
            (0, vec![255, 0, 0]),
            (1, vec![100, 30, 40]),
            (1, vec![2, 2, 0]),
        ];
        let a =
            ClassMeans::from_u8_rows(3, 3, rows.iter().map(|(l, p)| (p.as_slice(), *l))).unwrap();
        // Class 1: sums (102, 42, 60) over 3 rows = (34, 14, 20), / 255.
        assert_eq!(
            a.mean(1),
            Some(&[34.0 / 255.0, 14.0 / 255.0, 20.0 / 255.0][..])
        );
        assert_eq!(a.mean(0), Some(&[1.0, 0.0, 0.0][..]));
        assert_eq!((a.mean(2), a.count(1)), (None, 3));

        let m = Matrix::from_fn(4, 3, |i, j| f32::from(rows[i].1[j]));
        let labels: Vec<u8> = rows.iter().map(|r| r.0).collect();
        let b = ClassMeans::from_matrix(m.view(), &labels, 3).unwrap();
        // Unscaled: class 1 means (34, 14, 20).
        assert_eq!(b.mean(1), Some(&[34.0, 14.0, 20.0][..]));
    }

    #[test]
    fn class_means_reject_bad_rows() {
        let e = ClassMeans::from_u8_rows(2, 2, [(&[1u8, 2][..], 0), (&[1u8][..], 1)]).unwrap_err();
        assert_eq!(
            (e.sample, e.kind),
            (
                1,
                IntrospectErrorKind::PixelCount {
                    expected: 2,
                    got: 1
                }
            )
        );
        let e = ClassMeans::from_u8_rows(2, 1, [(&[1u8][..], 2)]).unwrap_err();
        assert_eq!(e.sample, 0);
        let e = ClassMeans::from_matrix(Matrix::zeros(1, 2).view(), &[5], 2).unwrap_err();
        assert_eq!(
            e.kind,
            IntrospectErrorKind::LabelOutOfRange {
                label: 5,
                n_classes: 2
            }
        );
    }

    /// Two classes of 1x2x2 images whose means are known, and a 2-unit layer.
    fn scores_for(weight: Vec<f32>) -> TemplateScores {
        let rows: [(&[u8], u8); 4] = [
            (&[255, 0, 0, 0], 0),
            (&[255, 0, 0, 255], 0), // class 0 mean: (1, 0, 0, 0.5)
            (&[0, 255, 255, 0], 1), // class 1 mean: (0, 1, 1, 0)
            (&[0, 255, 255, 0], 1),
        ];
        let means = ClassMeans::from_u8_rows(2, 4, rows).unwrap();
        let shape = ImageShape {
            channels: 1,
            height: 2,
            width: 2,
        };
        template_scores(
            &Templates::from_weight(&Matrix::from_vec(4, 2, weight).unwrap().transpose(), shape),
            &means,
        )
    }

    #[test]
    fn a_template_equal_to_its_class_mean_correlates_one() {
        // Unit 0 = class 0's mean (1, 0, 0, 0.5), unit 1 = class 1's mean times 3 (0, 3, 3, 0).
        let s = scores_for(vec![1.0, 0.0, 0.0, 3.0, 0.0, 3.0, 0.5, 0.0]);
        assert!((s.correlations[0][0].unwrap() - 1.0).abs() < 1e-12);
        assert!((s.correlations[1][1].unwrap() - 1.0).abs() < 1e-12);
        assert_eq!(s.best_class, vec![Some(0), Some(1)]);
        assert_eq!(s.own_class_share, Some(1.0));
        assert!((s.mean_own_correlation.unwrap() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn swapped_templates_score_zero_and_constant_ones_are_undefined() {
        // Unit 0 = class 1's mean, unit 1 = a constant (undefined correlation).
        let s = scores_for(vec![0.0, 2.0, 1.0, 2.0, 1.0, 2.0, 0.0, 2.0]);
        assert_eq!(s.best_class, vec![Some(1), None]);
        assert_eq!(s.correlations[1], vec![None, None]);
        assert_eq!(s.own_class_share, Some(0.0));
        assert_eq!(s.mean_own_correlation, s.correlations[0][0]);
    }

    proptest! {
        #[test]
        fn pearson_is_symmetric_bounded_and_affine_invariant(
            ab in (2usize..40).prop_flat_map(|n| (
                proptest::collection::vec(-10.0f64..10.0, n),
                proptest::collection::vec(-10.0f64..10.0, n),
            )),
            scale in 0.1f64..10.0,
            shift in -10.0f64..10.0,
        ) {
            let (a, b) = ab;
            let r = pearson(&a, &b);
            prop_assert_eq!(r.is_some(), pearson(&b, &a).is_some());
            if let (Some(r), Some(s)) = (r, pearson(&b, &a)) {
                prop_assert!((r - s).abs() < 1e-12);
                prop_assert!((-1.0..=1.0).contains(&r));
                let moved: Vec<f64> = a.iter().map(|x| scale * x + shift).collect();
                if let Some(m) = pearson(&moved, &b) {
                    prop_assert!((m - r).abs() < 1e-9, "{} vs {}", m, r);
                }
            }
        }
    }
}
