//! Measures over a set of points (the rows of a [`Matrix`], such as a hidden layer's
//! activations or raw pixels): k-means clustering ([`kmeans`]) and its [`silhouette`],
//! principal components ([`Pca`]), k-nearest-neighbour accuracy ([`knn_accuracy`]) and a
//! permutation test of a correlation ([`permutation_p`]).
//!
//! Everything is deterministic: randomness comes from a ChaCha8 generator seeded by the caller,
//! parallel work is split by row and reassembled in order, and ties go to the lowest index. The
//! same inputs give the same bits on any number of threads.

use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use tensor::Matrix;
use tensor::ops::{Trans, gemm};

use crate::error::{IntrospectError, IntrospectErrorKind};
use crate::means::pearson;

/// Checks that there are at least `needed` rows and that every value is finite.
fn check_points(points: &Matrix, needed: usize) -> Result<(), IntrospectError> {
    if points.rows() < needed {
        return Err(IntrospectError::new(
            points.rows(),
            IntrospectErrorKind::TooFewSamples {
                needed,
                got: points.rows(),
            },
        ));
    }
    for i in 0..points.rows() {
        if let Some((column, &value)) = points
            .row(i)
            .iter()
            .enumerate()
            .find(|(_, v)| !v.is_finite())
        {
            return Err(IntrospectError::new(
                i,
                IntrospectErrorKind::NonFiniteValue { column, value },
            ));
        }
    }
    Ok(())
}

fn dist2(a: &[f32], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(&x, &c)| (f64::from(x) - c).powi(2))
        .sum()
}

/// The index and squared distance of the centre nearest to `p` (ties to the lowest index).
fn nearest(p: &[f32], centres: &[Vec<f64>]) -> (usize, f64) {
    let mut best = (0, f64::INFINITY);
    for (c, centre) in centres.iter().enumerate() {
        let d = dist2(p, centre);
        if d < best.1 {
            best = (c, d);
        }
    }
    best
}

/// A k-means partition of a set of points; see [`kmeans`].
#[derive(Debug, Clone, PartialEq)]
pub struct KMeans {
    /// `k` centres, each as long as a point.
    pub centres: Vec<Vec<f64>>,
    /// For every point, the index of its nearest centre (ties to the lowest index).
    pub assignments: Vec<usize>,
    /// Points assigned to each centre.
    pub sizes: Vec<usize>,
    /// Sum of the squared distances of the points to their centres.
    pub inertia: f64,
}

/// Partitions the rows of `points` into `k` clusters by Lloyd's algorithm from a k-means++
/// start (Arthur and Vassilvitskii, 2007), keeping the best of `restarts` starts (lowest
/// inertia). Each run stops when no assignment changes or after 100 rounds; the assignments
/// returned are always those of the nearest final centre.
///
/// A centre left without points keeps its position (so `sizes` may hold a 0).
///
/// # Errors
/// [`IntrospectErrorKind::TooFewSamples`] when there are fewer than `k` points,
/// [`IntrospectErrorKind::NonFiniteValue`] for a NaN or infinite value.
///
/// # Panics
/// If `k` or `restarts` is 0.
///
/// # Example
/// ```
/// use introspect::kmeans;
/// use tensor::Matrix;
/// let points = Matrix::from_vec(4, 1, vec![0.0, 0.2, 5.0, 5.2]).unwrap();
/// let km = kmeans(&points, 2, 3, 7).unwrap();
/// assert_eq!(km.sizes, [2, 2]);
/// assert_eq!(km.assignments[0], km.assignments[1]);
/// assert_ne!(km.assignments[0], km.assignments[2]);
/// ```
#[track_caller]
pub fn kmeans(
    points: &Matrix,
    k: usize,
    restarts: usize,
    seed: u64,
) -> Result<KMeans, IntrospectError> {
    assert!(
        k > 0 && restarts > 0,
        "kmeans: k and restarts must be positive"
    );
    check_points(points, k)?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut best: Option<KMeans> = None;
    for _ in 0..restarts {
        let run = lloyd(points, plus_plus(points, k, &mut rng));
        if best.as_ref().is_none_or(|b| run.inertia < b.inertia) {
            best = Some(run);
        }
    }
    Ok(best.expect("at least one restart"))
}

/// k-means++ seeding: the first centre uniformly, each next one with probability proportional
/// to the squared distance to the nearest centre chosen so far.
fn plus_plus(points: &Matrix, k: usize, rng: &mut ChaCha8Rng) -> Vec<Vec<f64>> {
    let n = points.rows();
    let row = |i: usize| {
        points
            .row(i)
            .iter()
            .map(|&v| f64::from(v))
            .collect::<Vec<f64>>()
    };
    let mut centres = vec![row(rng.random_range(0..n))];
    let mut d2: Vec<f64> = (0..n).map(|i| dist2(points.row(i), &centres[0])).collect();
    while centres.len() < k {
        let total: f64 = d2.iter().sum();
        let next = if total > 0.0 {
            let mut t = rng.random::<f64>() * total;
            let mut pick = n - 1;
            for (i, &d) in d2.iter().enumerate() {
                if t < d {
                    pick = i;
                    break;
                }
                t -= d;
            }
            pick
        } else {
            // Every point sits on a centre already: any point will do.
            rng.random_range(0..n)
        };
        centres.push(row(next));
        let c = centres.last().expect("just pushed");
        for (i, d) in d2.iter_mut().enumerate() {
            *d = d.min(dist2(points.row(i), c));
        }
    }
    centres
}

fn lloyd(points: &Matrix, mut centres: Vec<Vec<f64>>) -> KMeans {
    let (n, dim, k) = (points.rows(), points.cols(), centres.len());
    let assign = |centres: &[Vec<f64>]| -> Vec<(usize, f64)> {
        (0..n)
            .into_par_iter()
            .map(|i| nearest(points.row(i), centres))
            .collect()
    };
    let mut nearest_of = assign(&centres);
    for _ in 0..100 {
        let mut sums = vec![vec![0.0f64; dim]; k];
        let mut counts = vec![0usize; k];
        for (i, &(c, _)) in nearest_of.iter().enumerate() {
            counts[c] += 1;
            for (s, &v) in sums[c].iter_mut().zip(points.row(i)) {
                *s += f64::from(v);
            }
        }
        for c in 0..k {
            if counts[c] > 0 {
                centres[c] = sums[c].iter().map(|s| s / counts[c] as f64).collect();
            }
        }
        let next = assign(&centres);
        let changed = next.iter().zip(&nearest_of).any(|(a, b)| a.0 != b.0);
        nearest_of = next;
        if !changed {
            break;
        }
    }
    let mut sizes = vec![0usize; k];
    for &(c, _) in &nearest_of {
        sizes[c] += 1;
    }
    KMeans {
        centres,
        inertia: nearest_of.iter().map(|&(_, d)| d).sum(),
        assignments: nearest_of.into_iter().map(|(c, _)| c).collect(),
        sizes,
    }
}

/// The mean silhouette of a partition (Rousseeuw, 1987): for each point, `(b - a) / max(a, b)`
/// with `a` its mean distance to the other points of its cluster and `b` the smallest mean
/// distance to the points of another cluster; a point alone in its cluster scores 0. In
/// `-1..=1`; near 1 the clusters are compact and apart, near 0 they overlap.
///
/// `None` when fewer than two clusters are non-empty.
///
/// # Panics
/// If `assignments` does not hold one cluster below `k` per row.
#[track_caller]
pub fn silhouette(points: &Matrix, assignments: &[usize], k: usize) -> Option<f64> {
    assert_eq!(assignments.len(), points.rows(), "one assignment per point");
    assert!(
        assignments.iter().all(|&c| c < k),
        "an assignment is not below k = {k}"
    );
    let mut sizes = vec![0usize; k];
    for &c in assignments {
        sizes[c] += 1;
    }
    if sizes.iter().filter(|&&s| s > 0).count() < 2 {
        return None;
    }
    let n = points.rows();
    let scores: Vec<f64> = (0..n)
        .into_par_iter()
        .map(|i| {
            let mut sums = vec![0.0f64; k];
            let p = points.row(i);
            for j in 0..n {
                let d: f64 = p
                    .iter()
                    .zip(points.row(j))
                    .map(|(&x, &y)| f64::from(x - y).powi(2))
                    .sum::<f64>()
                    .sqrt();
                sums[assignments[j]] += d;
            }
            let own = assignments[i];
            if sizes[own] < 2 {
                return 0.0;
            }
            let a = sums[own] / (sizes[own] - 1) as f64;
            let b = (0..k)
                .filter(|&c| c != own && sizes[c] > 0)
                .map(|c| sums[c] / sizes[c] as f64)
                .fold(f64::INFINITY, f64::min);
            let m = a.max(b);
            if m > 0.0 { (b - a) / m } else { 0.0 }
        })
        .collect();
    Some(scores.iter().sum::<f64>() / n as f64)
}

/// Principal components of a set of points: the eigenvectors of their covariance matrix with
/// the largest eigenvalues, by nalgebra's symmetric eigendecomposition.
#[derive(Debug, Clone, PartialEq)]
pub struct Pca {
    /// The mean point, subtracted before projecting.
    pub mean: Vec<f64>,
    /// One unit-length component per row, by decreasing variance; each component's sign is
    /// fixed so that its largest-magnitude coordinate is positive.
    pub components: Vec<Vec<f64>>,
    /// The variance along each component (its eigenvalue).
    pub variances: Vec<f64>,
    /// Total variance of the points (the covariance's trace).
    pub total_variance: f64,
}

impl Pca {
    /// The first `components` principal components of the rows of `points` (covariance with
    /// divisor `n - 1`).
    ///
    /// # Errors
    /// [`IntrospectErrorKind::TooFewSamples`] with fewer than 2 points,
    /// [`IntrospectErrorKind::NonFiniteValue`] for a NaN or infinite value.
    ///
    /// # Panics
    /// If `components` is 0 or more than the points' dimension.
    ///
    /// # Example
    /// ```
    /// use introspect::Pca;
    /// use tensor::Matrix;
    /// // Points on the line y = 2x: one component carries all the variance.
    /// let points = Matrix::from_vec(3, 2, vec![0.0, 0.0, 1.0, 2.0, 2.0, 4.0]).unwrap();
    /// let pca = Pca::fit(&points, 1).unwrap();
    /// assert!((pca.components[0][1] / pca.components[0][0] - 2.0).abs() < 1e-9);
    /// assert!((pca.variances[0] - pca.total_variance).abs() < 1e-9);
    /// ```
    #[track_caller]
    pub fn fit(points: &Matrix, components: usize) -> Result<Pca, IntrospectError> {
        let (n, d) = points.shape();
        assert!(
            components > 0 && components <= d,
            "Pca: {components} components of {d}-dimensional points"
        );
        check_points(points, 2)?;
        let mean: Vec<f64> = (0..d)
            .map(|j| (0..n).map(|i| f64::from(points.get(i, j))).sum::<f64>() / n as f64)
            .collect();
        let centred =
            nalgebra::DMatrix::<f64>::from_fn(n, d, |i, j| f64::from(points.get(i, j)) - mean[j]);
        let cov = (centred.transpose() * &centred) / (n - 1) as f64;
        let total_variance = cov.trace();
        let eig = nalgebra::SymmetricEigen::new(cov);
        let mut order: Vec<usize> = (0..d).collect();
        // Decreasing variance; equal variances keep nalgebra's order (ties by index).
        order.sort_by(|&a, &b| {
            eig.eigenvalues[b]
                .total_cmp(&eig.eigenvalues[a])
                .then(a.cmp(&b))
        });
        let mut comps = Vec::with_capacity(components);
        let mut variances = Vec::with_capacity(components);
        for &c in order.iter().take(components) {
            let mut v: Vec<f64> = eig.eigenvectors.column(c).iter().copied().collect();
            let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
            let lead = v
                .iter()
                .copied()
                .fold(0.0f64, |m, x| if x.abs() > m.abs() { x } else { m });
            let sign = if lead < 0.0 { -1.0 } else { 1.0 };
            v.iter_mut().for_each(|x| *x *= sign / norm);
            comps.push(v);
            variances.push(eig.eigenvalues[c].max(0.0));
        }
        Ok(Pca {
            mean,
            components: comps,
            variances,
            total_variance,
        })
    }

    /// The coordinates of each row of `points` along the components: `rows x components`.
    ///
    /// # Panics
    /// If the points do not have the dimension the components were fitted on.
    #[track_caller]
    pub fn project(&self, points: &Matrix) -> Vec<Vec<f64>> {
        assert_eq!(
            points.cols(),
            self.mean.len(),
            "projecting points of another dimension"
        );
        (0..points.rows())
            .map(|i| {
                let p = points.row(i);
                self.components
                    .iter()
                    .map(|c| {
                        p.iter()
                            .zip(&self.mean)
                            .zip(c)
                            .map(|((&x, m), w)| (f64::from(x) - m) * w)
                            .sum()
                    })
                    .collect()
            })
            .collect()
    }

    /// Share of the total variance the fitted components carry, in `0..=1` (`None` when the
    /// points do not vary).
    pub fn explained(&self) -> Option<f64> {
        (self.total_variance > 0.0)
            .then(|| self.variances.iter().sum::<f64>() / self.total_variance)
    }
}

/// The result of [`knn_accuracy`].
#[derive(Debug, Clone, PartialEq)]
pub struct Knn {
    /// The class voted for each query.
    pub predicted: Vec<u8>,
    /// Share of queries whose vote is their label.
    pub accuracy: f64,
}

/// Classifies each query row by a majority vote of its `k` nearest reference rows (Euclidean
/// distance; ties in distance to the lower reference index, ties in the vote to the class of
/// the nearest neighbour among the tied classes), and scores the votes against `query_labels`.
///
/// Distances come from one matrix product per block of queries (`|q|² + |r|² - 2 q·r`), so
/// thousands of queries against thousands of references in hundreds of dimensions take a
/// fraction of a second.
///
/// # Errors
/// [`IntrospectErrorKind::TooFewSamples`] with fewer than `k` references or no query;
/// [`IntrospectErrorKind::NonFiniteValue`] for a NaN or infinite value (in the references).
///
/// # Panics
/// If `k` is 0, the label slices do not match their matrices, or the dimensions differ.
///
/// # Example
/// ```
/// use introspect::knn_accuracy;
/// use tensor::Matrix;
/// let refs = Matrix::from_vec(4, 1, vec![0.0, 0.1, 1.0, 1.1]).unwrap();
/// let queries = Matrix::from_vec(2, 1, vec![0.05, 0.9]).unwrap();
/// let knn = knn_accuracy(&refs, &[0, 0, 1, 1], &queries, &[0, 0], 3).unwrap();
/// assert_eq!(knn.predicted, [0, 1]);
/// assert_eq!(knn.accuracy, 0.5);
/// ```
#[track_caller]
pub fn knn_accuracy(
    references: &Matrix,
    reference_labels: &[u8],
    queries: &Matrix,
    query_labels: &[u8],
    k: usize,
) -> Result<Knn, IntrospectError> {
    assert!(k > 0, "knn: k must be positive");
    assert_eq!(
        references.rows(),
        reference_labels.len(),
        "one label per reference"
    );
    assert_eq!(queries.rows(), query_labels.len(), "one label per query");
    assert_eq!(
        references.cols(),
        queries.cols(),
        "references and queries of different dimensions"
    );
    check_points(references, k)?;
    check_points(queries, 1)?;
    let norms = |m: &Matrix| -> Vec<f32> {
        (0..m.rows())
            .map(|i| m.row(i).iter().map(|v| v * v).sum())
            .collect()
    };
    let (rn, qn) = (norms(references), norms(queries));
    const BLOCK: usize = 256;
    let blocks: Vec<usize> = (0..queries.rows()).step_by(BLOCK).collect();
    let n_classes = usize::from(*reference_labels.iter().max().unwrap_or(&0)) + 1;
    let predicted: Vec<u8> = blocks
        .par_iter()
        .flat_map_iter(|&start| {
            let end = (start + BLOCK).min(queries.rows());
            let mut dots = Matrix::zeros(end - start, references.rows());
            gemm(
                queries.rows_view(start..end),
                Trans::No,
                references.view(),
                Trans::Yes,
                &mut dots,
            );
            (start..end)
                .map(|q| {
                    let row = dots.row(q - start);
                    let mut d: Vec<(f32, usize)> = row
                        .iter()
                        .enumerate()
                        .map(|(r, &dot)| (qn[q] + rn[r] - 2.0 * dot, r))
                        .collect();
                    let by = |a: &(f32, usize), b: &(f32, usize)| {
                        a.0.total_cmp(&b.0).then(a.1.cmp(&b.1))
                    };
                    d.select_nth_unstable_by(k - 1, by);
                    let mut near = d[..k].to_vec();
                    near.sort_by(by);
                    let mut votes = vec![0usize; n_classes];
                    for &(_, r) in &near {
                        votes[usize::from(reference_labels[r])] += 1;
                    }
                    let top = *votes.iter().max().expect("some class");
                    // The nearest neighbour whose class has the top count.
                    near.iter()
                        .map(|&(_, r)| reference_labels[r])
                        .find(|&c| votes[usize::from(c)] == top)
                        .expect("a class with the top count")
                })
                .collect::<Vec<u8>>()
        })
        .collect();
    let right = predicted
        .iter()
        .zip(query_labels)
        .filter(|(p, l)| p == l)
        .count();
    Ok(Knn {
        accuracy: right as f64 / predicted.len() as f64,
        predicted,
    })
}

/// One-sided permutation test of a positive correlation: the share of `rounds` seeded shuffles
/// of `y` whose Pearson correlation with `x` is at least the observed one, counted as
/// `(1 + hits) / (1 + rounds)` so that it is never 0. `None` when the correlation is undefined
/// (a constant series, fewer than 2 values).
///
/// # Panics
/// If the lengths differ.
#[track_caller]
pub fn permutation_p(x: &[f64], y: &[f64], rounds: usize, seed: u64) -> Option<f64> {
    let observed = pearson(x, y)?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut shuffled = y.to_vec();
    let mut hits = 0usize;
    for _ in 0..rounds {
        shuffled.shuffle(&mut rng);
        // A shuffle ties the observed value when it reproduces it up to rounding.
        if pearson(x, &shuffled).is_some_and(|r| r >= observed - 1e-12) {
            hits += 1;
        }
    }
    Some((1 + hits) as f64 / (1 + rounds) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn matrix(rows: usize, cols: usize, values: &[f32]) -> Matrix {
        Matrix::from_vec(rows, cols, values[..rows * cols].to_vec()).unwrap()
    }

    #[test]
    fn kmeans_finds_well_separated_blobs() {
        // Three blobs of 5 points around 0, 10 and 20 on both axes.
        let pts: Vec<f32> = (0..15)
            .flat_map(|i| {
                let c = 10.0 * (i / 5) as f32;
                [c + 0.1 * (i % 5) as f32, c - 0.1 * (i % 5) as f32]
            })
            .collect();
        let km = kmeans(&matrix(15, 2, &pts), 3, 2, 1).unwrap();
        let mut sizes = km.sizes.clone();
        sizes.sort();
        assert_eq!(sizes, [5, 5, 5]);
        let s = silhouette(&matrix(15, 2, &pts), &km.assignments, 3).unwrap();
        assert!(s > 0.9, "{s}");
    }

    #[test]
    fn too_few_or_broken_points_are_errors() {
        let m = matrix(2, 1, &[0.0, 1.0]);
        let e = kmeans(&m, 3, 1, 0).unwrap_err();
        assert_eq!(
            e.kind,
            IntrospectErrorKind::TooFewSamples { needed: 3, got: 2 }
        );
        let m = matrix(2, 2, &[0.0, 1.0, f32::NAN, 0.0]);
        let e = Pca::fit(&m, 1).unwrap_err();
        assert_eq!(e.sample, 1);
        assert!(matches!(
            e.kind,
            IntrospectErrorKind::NonFiniteValue { column: 0, .. }
        ));
    }

    #[test]
    fn a_planted_correlation_is_significant_and_noise_is_not() {
        let x: Vec<f64> = (0..10).map(f64::from).collect();
        let y: Vec<f64> = x.iter().map(|v| 2.0 * v + 1.0).collect();
        // Only the identity ordering reaches r = 1: p is 1 / (1 + rounds) but for chance hits.
        assert!(permutation_p(&x, &y, 2000, 3).unwrap() < 0.01);
        let flipped: Vec<f64> = y.iter().rev().copied().collect();
        assert!(permutation_p(&x, &flipped, 2000, 3).unwrap() > 0.99);
    }

    #[test]
    fn knn_against_a_direct_search() {
        let refs = Matrix::from_fn(40, 3, |i, j| ((i * 7 + j * 3) % 11) as f32);
        let labels: Vec<u8> = (0..40).map(|i| (i % 3) as u8).collect();
        let queries = Matrix::from_fn(9, 3, |i, j| ((i * 5 + j) % 9) as f32 + 0.3);
        let knn = knn_accuracy(&refs, &labels, &queries, &[0; 9], 1).unwrap();
        for q in 0..9 {
            let d = |r: usize| -> f32 {
                (0..3)
                    .map(|j| (queries.get(q, j) - refs.get(r, j)).powi(2))
                    .sum()
            };
            let best = (0..40)
                .min_by(|&a, &b| d(a).total_cmp(&d(b)).then(a.cmp(&b)))
                .unwrap();
            assert_eq!(knn.predicted[q], labels[best], "query {q}");
        }
    }

    #[test]
    fn one_thread_and_four_give_the_same_bits() {
        let points = Matrix::from_fn(600, 12, |i, j| ((i * 31 + j * 17) % 23) as f32 / 7.0);
        let labels: Vec<u8> = (0..600).map(|i| (i % 5) as u8).collect();
        let run = || {
            let km = kmeans(&points, 4, 2, 9).unwrap();
            let s = silhouette(&points, &km.assignments, 4).unwrap();
            let knn = knn_accuracy(
                &points,
                &labels,
                &points.rows_view(0..300).to_matrix(),
                &labels[..300],
                3,
            )
            .unwrap();
            let pca = Pca::fit(&points, 3).unwrap();
            (km, s.to_bits(), knn, pca)
        };
        let on = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(run)
        };
        assert_eq!(on(1), on(4));
    }

    proptest! {
        #[test]
        fn kmeans_assigns_every_point_to_its_nearest_centre(
            values in proptest::collection::vec(-10.0f32..10.0, 60),
            k in 1usize..5, seed in 0u64..1000,
        ) {
            let m = matrix(20, 3, &values);
            let km = kmeans(&m, k, 2, seed).unwrap();
            for i in 0..20 {
                let d = dist2(m.row(i), &km.centres[km.assignments[i]]);
                for c in &km.centres {
                    prop_assert!(d <= dist2(m.row(i), c) + 1e-9);
                }
            }
            prop_assert_eq!(km.sizes.iter().sum::<usize>(), 20);
            prop_assert_eq!(&km, &kmeans(&m, k, 2, seed).unwrap());
        }

        #[test]
        fn pca_components_are_orthonormal_and_ordered(
            values in proptest::collection::vec(-10.0f32..10.0, 48),
        ) {
            let m = matrix(12, 4, &values);
            let pca = Pca::fit(&m, 4).unwrap();
            for a in 0..4 {
                for b in 0..4 {
                    let dot: f64 = pca.components[a].iter().zip(&pca.components[b]).map(|(x, y)| x * y).sum();
                    let want = if a == b { 1.0 } else { 0.0 };
                    prop_assert!((dot - want).abs() < 1e-8, "{} {} {}", a, b, dot);
                }
            }
            prop_assert!(pca.variances.windows(2).all(|w| w[0] >= w[1]));
            // All components together carry all the variance.
            prop_assert!((pca.explained().unwrap() - 1.0).abs() < 1e-8);
        }

        #[test]
        fn silhouettes_lie_between_minus_one_and_one(
            values in proptest::collection::vec(-10.0f32..10.0, 30),
            assignments in proptest::collection::vec(0usize..3, 15),
        ) {
            if let Some(s) = silhouette(&matrix(15, 2, &values), &assignments, 3) {
                prop_assert!((-1.0..=1.0).contains(&s));
            }
        }
    }
}
