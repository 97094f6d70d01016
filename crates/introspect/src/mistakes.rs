//! Choosing "understandable" and "glaring" mistakes by a stated rule: [`select_mistakes`].

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use crate::eval::Predictions;

/// Which side of the chapter's mistakes figure a mistake illustrates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MistakeKind {
    /// The network was unsure, or the true class was a close second: a human could err too.
    Understandable,
    /// The network was confident and the true class was far down its list.
    Glaring,
}

/// The thresholds of the mistake rule; [`MistakeRule::CHAPTER`] holds the values used for the
/// chapter's figure. See [`select_mistakes_with`] for how each is used.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MistakeRule {
    /// A mistake whose top probability is below this is "unsure".
    pub unsure_below: f32,
    /// A true class ranked 2nd with probability at least this share of the top one is a
    /// "close second".
    pub close_second_ratio: f32,
    /// A glaring mistake has a top probability of at least this ...
    pub confident_from: f32,
    /// ... and its true class ranked this far down or further (1 = top).
    pub far_rank: usize,
}

impl MistakeRule {
    /// Unsure below 0.6; close second at half the top probability; glaring from 0.9 with the
    /// true class ranked 3rd or lower.
    pub const CHAPTER: MistakeRule = MistakeRule {
        unsure_below: 0.6,
        close_second_ratio: 0.5,
        confident_from: 0.9,
        far_rank: 3,
    };
}

/// A misclassified sample chosen to illustrate the network's mistakes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mistake {
    /// Index of the sample in the evaluated data.
    pub index: usize,
    /// Its true class.
    pub label: u8,
    /// The class the network predicted.
    pub predicted: u8,
    /// The network's probability for every class.
    pub probs: Vec<f32>,
    /// Where the true class falls when the classes are sorted by probability, descending
    /// (ties to the lower class index); 1 would be the top, so a mistake has 2 or more.
    pub true_rank: usize,
    /// Understandable or glaring.
    pub kind: MistakeKind,
    /// True when the sample satisfies the strict rule for its kind; false for a fallback pick.
    pub strict: bool,
    /// Why it was chosen, in words with the numbers, e.g. for a caption.
    pub reason: String,
}

/// [`select_mistakes_with`] under [`MistakeRule::CHAPTER`].
pub fn select_mistakes(
    predictions: &Predictions,
    n_understandable: usize,
    n_glaring: usize,
) -> Vec<Mistake> {
    select_mistakes_with(
        predictions,
        &MistakeRule::CHAPTER,
        n_understandable,
        n_glaring,
    )
}

/// Picks up to `n_understandable` understandable and `n_glaring` glaring mistakes, by a fixed
/// rule, so that the mistakes figure is chosen by the data and not by hand.
///
/// For a misclassified sample let `top` be the probability of the predicted class, `truth` the
/// probability of the true class, `margin = top - truth`, and `rank` the position of the true
/// class when classes are sorted by probability, descending, ties to the lower class index
/// (the prediction is rank 1, so `rank >= 2`). With the rule `r`:
///
/// 1. **Understandable** (strict): `top < r.unsure_below`, or `rank == 2` and
///    `truth >= r.close_second_ratio * top`. Ordered by smallest `margin`, then by index.
/// 2. **Glaring** (strict): `top >= r.confident_from` and `rank >= r.far_rank`. Ordered by
///    highest `top`, then by index. (Under [`MistakeRule::CHAPTER`] no sample is both.)
/// 3. **Fallback**, so that the figure gets its picks whenever there are enough mistakes: if
///    fewer than `n_understandable` strict ones exist, the rest come from the misclassified
///    samples not yet picked, by smallest `margin` then index; then, if fewer than `n_glaring`
///    strict glaring ones exist, the rest come from the misclassified samples still not picked,
///    by highest `top` then index. Fallback picks have `strict == false` and say so in their
///    reason.
///
/// Within each step, a candidate whose (true class, predicted class) pair is already among the
/// picks is passed over while candidates with a new pair remain, so the figure does not show
/// the same confusion twice (MNIST's test set holds near-duplicate digits by one writer).
///
/// Picks are made in that order (strict understandable, strict glaring, fallback
/// understandable, fallback glaring) and a sample is never picked twice. The result lists the
/// understandable mistakes first (strict, then fallback), then the glaring ones; it has
/// `min(n_understandable + n_glaring, number of mistakes)` entries. Same predictions, same
/// result.
pub fn select_mistakes_with(
    predictions: &Predictions,
    rule: &MistakeRule,
    n_understandable: usize,
    n_glaring: usize,
) -> Vec<Mistake> {
    let candidates: Vec<Candidate> = (0..predictions.len())
        .filter(|&i| predictions.labels()[i] != predictions.predicted()[i])
        .map(|i| Candidate::new(predictions, i))
        .collect();
    let mut picked = Picked {
        sample: vec![false; predictions.len()],
        pairs: Vec::new(),
    };
    let predicted = predictions.predicted();
    let strict_u = pick(
        &candidates,
        predicted,
        &mut picked,
        |c| c.is_understandable(rule),
        by_margin,
        n_understandable,
    );
    let strict_g = pick(
        &candidates,
        predicted,
        &mut picked,
        |c| c.is_glaring(rule),
        by_top,
        n_glaring,
    );
    let fallback_u = pick(
        &candidates,
        predicted,
        &mut picked,
        |_| true,
        by_margin,
        n_understandable - strict_u.len(),
    );
    let fallback_g = pick(
        &candidates,
        predicted,
        &mut picked,
        |_| true,
        by_top,
        n_glaring - strict_g.len(),
    );

    let mut out = Vec::with_capacity(n_understandable + n_glaring);
    for c in strict_u {
        out.push(c.to_mistake(
            predictions,
            MistakeKind::Understandable,
            true,
            c.understandable_reason(rule),
        ));
    }
    for c in fallback_u {
        let reason = format!(
            "fallback, too few unsure mistakes: smallest margin {:.3} between the top \
             probability {:.3} and the true class's {:.3}",
            c.margin(),
            c.top,
            c.truth
        );
        out.push(c.to_mistake(predictions, MistakeKind::Understandable, false, reason));
    }
    for c in strict_g {
        let reason = format!(
            "confident and wrong: top probability {:.3} >= {}, true class {} ranked {} with {:.3}",
            c.top, rule.confident_from, c.label, c.rank, c.truth
        );
        out.push(c.to_mistake(predictions, MistakeKind::Glaring, true, reason));
    }
    for c in fallback_g {
        let reason = format!(
            "fallback, too few confident mistakes: highest top probability {:.3}, true class {} \
             ranked {} with {:.3}",
            c.top, c.label, c.rank, c.truth
        );
        out.push(c.to_mistake(predictions, MistakeKind::Glaring, false, reason));
    }
    out
}

/// What has been picked so far: samples, and the (true, predicted) pairs they show.
struct Picked {
    sample: Vec<bool>,
    pairs: Vec<(u8, u8)>,
}

/// The first `n` candidates not yet picked that pass `filter`, in `order`, preferring pairs not
/// yet shown; marks them picked.
fn pick<'c>(
    candidates: &'c [Candidate],
    predicted: &[u8],
    picked: &mut Picked,
    filter: impl Fn(&Candidate) -> bool,
    order: fn(&Candidate, &Candidate) -> Ordering,
    n: usize,
) -> Vec<&'c Candidate> {
    let mut pool: Vec<&Candidate> = candidates
        .iter()
        .filter(|c| !picked.sample[c.index] && filter(c))
        .collect();
    pool.sort_by(|x, y| order(x, y));
    let pair = |c: &Candidate| (c.label, predicted[c.index]);
    let mut chosen: Vec<&Candidate> = Vec::with_capacity(n);
    for c in &pool {
        if chosen.len() < n && !picked.pairs.contains(&pair(c)) {
            picked.pairs.push(pair(c));
            chosen.push(c);
        }
    }
    for c in &pool {
        if chosen.len() < n && !chosen.iter().any(|k| k.index == c.index) {
            chosen.push(c);
        }
    }
    chosen.sort_by(|x, y| order(x, y));
    for c in &chosen {
        picked.sample[c.index] = true;
    }
    chosen
}

/// Smallest margin first, then lowest index.
fn by_margin(x: &Candidate, y: &Candidate) -> Ordering {
    x.margin()
        .total_cmp(&y.margin())
        .then(x.index.cmp(&y.index))
}

/// Highest top probability first, then lowest index.
fn by_top(x: &Candidate, y: &Candidate) -> Ordering {
    y.top.total_cmp(&x.top).then(x.index.cmp(&y.index))
}

/// The numbers of one misclassified sample that the rule looks at.
struct Candidate {
    index: usize,
    label: u8,
    top: f32,
    truth: f32,
    rank: usize,
}

impl Candidate {
    fn new(p: &Predictions, index: usize) -> Self {
        let row = p.probs().row(index);
        let label = p.labels()[index];
        let l = usize::from(label);
        let truth = row[l];
        let ahead = row
            .iter()
            .enumerate()
            .filter(|&(j, &v)| v > truth || (v == truth && j < l))
            .count();
        Self {
            index,
            label,
            top: p.confidence(index),
            truth,
            rank: ahead + 1,
        }
    }

    fn margin(&self) -> f32 {
        self.top - self.truth
    }

    fn is_unsure(&self, rule: &MistakeRule) -> bool {
        self.top < rule.unsure_below
    }

    fn is_close_second(&self, rule: &MistakeRule) -> bool {
        self.rank == 2 && self.truth >= rule.close_second_ratio * self.top
    }

    fn is_understandable(&self, rule: &MistakeRule) -> bool {
        self.is_unsure(rule) || self.is_close_second(rule)
    }

    fn is_glaring(&self, rule: &MistakeRule) -> bool {
        self.top >= rule.confident_from && self.rank >= rule.far_rank
    }

    fn understandable_reason(&self, rule: &MistakeRule) -> String {
        let mut parts = Vec::new();
        if self.is_unsure(rule) {
            parts.push(format!(
                "unsure: top probability {:.3} < {}",
                self.top, rule.unsure_below
            ));
        }
        if self.is_close_second(rule) {
            parts.push(format!(
                "true class {} a close second: {:.3} >= {} x {:.3}",
                self.label, self.truth, rule.close_second_ratio, self.top
            ));
        }
        parts.join("; ")
    }

    fn to_mistake(
        &self,
        p: &Predictions,
        kind: MistakeKind,
        strict: bool,
        reason: String,
    ) -> Mistake {
        Mistake {
            index: self.index,
            label: self.label,
            predicted: p.predicted()[self.index],
            probs: p.probs().row(self.index).to_vec(),
            true_rank: self.rank,
            kind,
            strict,
            reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use tensor::Matrix;

    fn predictions(rows: &[(&[f32], u8)]) -> Predictions {
        let k = rows[0].0.len();
        let data = rows.iter().flat_map(|(r, _)| r.iter().copied()).collect();
        let labels = rows.iter().map(|(_, l)| *l).collect();
        Predictions::new(Matrix::from_vec(rows.len(), k, data).unwrap(), labels).unwrap()
    }

    /// Expected picks as (index, kind, strict).
    fn check(p: &Predictions, n_u: usize, n_g: usize, expect: &[(usize, MistakeKind, bool)]) {
        let got: Vec<_> = select_mistakes(p, n_u, n_g)
            .iter()
            .map(|m| (m.index, m.kind, m.strict))
            .collect();
        assert_eq!(got, expect);
    }

    use MistakeKind::{Glaring as G, Understandable as U};

    /// Six samples over four classes; the comment on each says which rule it meets, worked
    /// out by hand from the thresholds 0.6 / 0.5 / 0.9 / rank 3.
    fn six() -> Predictions {
        predictions(&[
            (&[0.70, 0.20, 0.05, 0.05], 0), // 0: correct, never picked
            (&[0.55, 0.10, 0.30, 0.05], 1), // 1: unsure (0.55 < 0.6), label ranked 3, margin 0.45
            (&[0.95, 0.01, 0.03, 0.01], 1), // 2: glaring, top 0.95, label 1 ranked 3
            (&[0.62, 0.35, 0.02, 0.01], 1), // 3: close second (0.35 >= 0.5 x 0.62), margin 0.27
            (&[0.05, 0.92, 0.02, 0.01], 3), // 4: glaring, top 0.92, label 3 ranked 4
            (&[0.80, 0.15, 0.05, 0.00], 2), // 5: neither: top 0.8, label 2 ranked 3, margin 0.75
        ])
    }

    #[test]
    fn strict_picks_follow_their_orderings() {
        let p = six();
        // Understandable by margin (3: 0.27 before 1: 0.45), glaring by top (2: 0.95, 4: 0.92).
        check(
            &p,
            2,
            2,
            &[(3, U, true), (1, U, true), (2, G, true), (4, G, true)],
        );
        // One of each: 2 would show the pair (1, 0) again, after 3; 4 shows a new pair.
        check(&p, 1, 1, &[(3, U, true), (4, G, true)]);
        check(&p, 0, 0, &[]);
    }

    #[test]
    fn fallback_fills_from_the_remaining_mistakes() {
        let p = six();
        // A third understandable one: once the strict picks are made, 5 is the only mistake left.
        check(
            &p,
            3,
            2,
            &[
                (3, U, true),
                (1, U, true),
                (5, U, false),
                (2, G, true),
                (4, G, true),
            ],
        );
        // A third glaring one: the same.
        check(
            &p,
            2,
            3,
            &[
                (3, U, true),
                (1, U, true),
                (2, G, true),
                (4, G, true),
                (5, G, false),
            ],
        );
        // No strict glaring pick wanted: fallback understandable takes the smallest margin of
        // 2 (0.94), 4 (0.91) and 5 (0.75).
        check(&p, 3, 0, &[(3, U, true), (1, U, true), (5, U, false)]);
        // More than there are mistakes: every mistake once.
        assert_eq!(select_mistakes(&p, 10, 10).len(), 5);
    }

    #[test]
    fn a_pair_already_shown_waits_for_new_ones() {
        // 0 and 1 are both 1 taken for 0 with nearly the same confidence; 2 is 2 taken for 0.
        let p = predictions(&[
            (&[0.99, 0.005, 0.005], 1),
            (&[0.98, 0.01, 0.01], 1),
            (&[0.95, 0.02, 0.03], 2),
        ]);
        check(&p, 0, 2, &[(0, G, false), (2, G, false)]);
        // With room for all three, the repeated pair comes last in the pass but keeps its order.
        check(&p, 0, 3, &[(0, G, false), (1, G, false), (2, G, false)]);
    }

    #[test]
    fn reasons_carry_the_numbers() {
        let m = select_mistakes(&six(), 2, 1);
        assert_eq!(
            m[0].reason,
            "true class 1 a close second: 0.350 >= 0.5 x 0.620"
        );
        assert_eq!(m[1].reason, "unsure: top probability 0.550 < 0.6");
        // The one glaring pick is 4, not 2: 2's pair (1, 0) is already shown by 3 and 1.
        assert_eq!(
            m[2].reason,
            "confident and wrong: top probability 0.920 >= 0.9, true class 3 ranked 4 with 0.010"
        );
        assert_eq!((m[2].label, m[2].predicted, m[2].true_rank), (3, 1, 4));
        assert_eq!(m[2].probs, vec![0.05, 0.92, 0.02, 0.01]);
    }

    #[test]
    fn ties_go_to_the_lower_index() {
        // Two identical unsure mistakes: index 0 first.
        let p = predictions(&[(&[0.5, 0.3, 0.2], 2), (&[0.5, 0.3, 0.2], 2)]);
        check(&p, 1, 0, &[(0, U, true)]);
    }

    #[test]
    fn rank_counts_equal_probabilities_below_the_label_as_ahead() {
        // Label 2 ties with class 1 (0.2 each): class 1 is ahead, so the true class is 3rd.
        let p = predictions(&[(&[0.6, 0.2, 0.2], 2)]);
        assert_eq!(select_mistakes(&p, 1, 0)[0].true_rank, 3);
    }

    fn any_predictions() -> impl Strategy<Value = Predictions> {
        (2usize..=5, 0usize..80).prop_flat_map(|(k, n)| {
            let probs =
                proptest::collection::vec((0u8..=10).prop_map(|v| f32::from(v) / 10.0), n * k);
            let labels = proptest::collection::vec(0..k as u8, n);
            (probs, labels).prop_map(move |(p, l)| {
                Predictions::new(Matrix::from_vec(n, k, p).unwrap(), l).unwrap()
            })
        })
    }

    proptest! {
        #[test]
        fn picks_are_distinct_mistakes_of_the_asked_number(
            p in any_predictions(), n_u in 0usize..5, n_g in 0usize..5,
        ) {
            let picks = select_mistakes(&p, n_u, n_g);
            let wrong = p.len() - p.correct();
            prop_assert_eq!(picks.len(), (n_u + n_g).min(wrong));
            let mut seen = std::collections::BTreeSet::new();
            for m in &picks {
                prop_assert!(seen.insert(m.index), "sample {} picked twice", m.index);
                prop_assert_ne!(m.label, m.predicted);
                prop_assert!(m.true_rank >= 2);
            }
            let n_under = picks.iter().filter(|m| m.kind == MistakeKind::Understandable).count();
            prop_assert!(n_under <= n_u);
            prop_assert!(picks.len() - n_under <= n_g);
            // Understandable first, strict before fallback within each kind.
            let kinds: Vec<_> = picks.iter().map(|m| (m.kind == MistakeKind::Glaring, !m.strict)).collect();
            prop_assert!(kinds.windows(2).all(|w| w[0] <= w[1]));
            prop_assert_eq!(&select_mistakes(&p, n_u, n_g), &picks);
        }
    }
}
