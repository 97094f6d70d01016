//! Test support: one gradient checker for every layer of this crate.
//!
//! A layer (or a whole network) under test hands the checker the quantities its loss depends on
//! — inputs and parameters alike — with the analytic gradient its f32 backward pass computed,
//! and an f64 reference forward pass. The checker perturbs each value by ±[`STEP`] in f64 and
//! compares the central difference with the analytic value by relative error.
//!
//! It is `#[cfg(test)]` inside `nn` rather than a public or feature-gated module: every layer
//! that will use it (a future `Conv2d`, pooling) lives in this crate's `src/`, so
//! `crate::gradcheck` reaches it from their unit tests without adding API that users could
//! come to depend on, or a feature that must be kept in step.

use std::fmt;

/// The central-difference step. The reference forward pass runs in f64, so the difference
/// carries truncation error `h²·|f'''|/6` (about 1e-10 here) and rounding error
/// `ε64·|L|/h` (about 1e-11): the numeric gradient is exact to far below what f32 can hold, and
/// every disagreement the checker sees is the f32 backward pass's.
pub(crate) const STEP: f64 = 1e-5;

/// How far an analytic gradient may be from the numeric one.
///
/// A value passes when `|analytic - numeric| <= rel * max(|analytic|, |numeric|, floor)`: a
/// relative error, judged against `floor` instead for gradients smaller than it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tolerance {
    /// Relative error allowed.
    pub(crate) rel: f64,
    /// Below this magnitude the error is bounded by `rel * floor` instead: a gradient that is a
    /// sum of O(1) terms cancelling to nearly zero keeps the f32 rounding error of its terms,
    /// which no relative bound can hold.
    pub(crate) floor: f64,
}

/// The tolerance every f32 layer in this crate is checked with.
///
/// Measured on the network check (`mlp.rs`), the f32 backward pass against the f64 reference,
/// 20,000 random cases per setting: relative errors stayed below 3e-5 for gradients above 0.1,
/// and absolute errors below 1e-6 for gradients under 0.01 (the largest seen, 4.3e-7, on a
/// gradient of 1.7e-4: f32 keeps 2⁻²⁴ ≈ 6e-8 of each of the few dozen terms a gradient sums).
/// So `rel` = 1e-4 sits 3x above the worst relative error seen and `rel * floor` = 5e-6 5-10x
/// above the absolute ones; 50,000 cases pass at these values. Every bug in the test of the
/// test (a sign, a factor of the batch size, a transposed matrix) is a relative error of order
/// 1, thousands of times the bound.
pub(crate) const F32: Tolerance = Tolerance {
    rel: 1e-4,
    floor: 5e-2,
};

/// One quantity the loss depends on: an input or a parameter tensor, flattened.
#[derive(Debug, Clone)]
pub(crate) struct Wrt {
    /// A name for messages, such as `input` or `layer1.bias`.
    pub(crate) name: String,
    /// The values at which the gradient is checked: exact f64 copies of the f32 values the
    /// analytic gradient was computed at.
    pub(crate) values: Vec<f64>,
    /// The analytic gradient, one value per entry of `values`.
    pub(crate) analytic: Vec<f64>,
}

impl Wrt {
    /// A quantity from f32 values and their f32 analytic gradient.
    pub(crate) fn new(name: impl Into<String>, values: &[f32], analytic: &[f32]) -> Self {
        assert_eq!(
            values.len(),
            analytic.len(),
            "gradcheck: a gradient per value"
        );
        Wrt {
            name: name.into(),
            values: values.iter().map(|&v| v as f64).collect(),
            analytic: analytic.iter().map(|&v| v as f64).collect(),
        }
    }
}

/// What the reference forward pass returns at one point.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Eval {
    /// The loss, in f64.
    pub(crate) loss: f64,
    /// The side of every kink the pass went through: `true` where a ReLU input is positive.
    /// Empty for a smooth function.
    pub(crate) sides: Vec<bool>,
}

/// How many values were compared and how many were skipped at a kink.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Report {
    /// Values whose analytic gradient was compared.
    pub(crate) compared: usize,
    /// Values skipped because a kink lay within the step.
    pub(crate) skipped: usize,
}

/// The first value whose gradient disagreed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Mismatch {
    /// The [`Wrt::name`] of its quantity.
    pub(crate) name: String,
    /// Its flat index.
    pub(crate) index: usize,
    /// The central difference.
    pub(crate) numeric: f64,
    /// The analytic gradient.
    pub(crate) analytic: f64,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}[{}]: numeric {:.6e}, analytic {:.6e}",
            self.name, self.index, self.numeric, self.analytic
        )
    }
}

/// Checks every analytic gradient in `wrt` against the central difference of `forward`.
///
/// `forward` computes the loss from the current `values` of all of `wrt`. A value is skipped,
/// not compared, when the kink sides at `x - h` or `x + h` differ from those at `x`: a ReLU
/// input then crosses zero inside the difference interval and no difference there approximates
/// the derivative. The decision comes from the pre-activations themselves, never from how far
/// two differences disagree.
///
/// # Errors
/// The first [`Mismatch`] beyond `tol`.
pub(crate) fn check(
    wrt: &mut [Wrt],
    mut forward: impl FnMut(&[Wrt]) -> Eval,
    tol: Tolerance,
) -> Result<Report, Mismatch> {
    let base = forward(wrt).sides;
    let mut report = Report {
        compared: 0,
        skipped: 0,
    };
    for t in 0..wrt.len() {
        for i in 0..wrt[t].values.len() {
            let x = wrt[t].values[i];
            wrt[t].values[i] = x + STEP;
            let up = forward(wrt);
            wrt[t].values[i] = x - STEP;
            let down = forward(wrt);
            wrt[t].values[i] = x;
            if up.sides != base || down.sides != base {
                report.skipped += 1;
                continue;
            }
            let numeric = (up.loss - down.loss) / (2.0 * STEP);
            let analytic = wrt[t].analytic[i];
            let scale = analytic.abs().max(numeric.abs()).max(tol.floor);
            if (analytic - numeric).abs() > tol.rel * scale {
                return Err(Mismatch {
                    name: wrt[t].name.clone(),
                    index: i,
                    numeric,
                    analytic,
                });
            }
            report.compared += 1;
        }
    }
    Ok(report)
}

/// The smallest number of compared values a case of `total` values must reach: skipping at
/// kinks is rare at [`STEP`], so a case where more than a quarter is skipped says the kink test
/// is hiding the comparison, and fails.
pub(crate) fn min_compared(total: usize) -> usize {
    total - total / 4
}

#[cfg(test)]
mod tests {
    use super::*;

    fn relu_sum(w: &[Wrt]) -> Eval {
        let x = &w[0].values;
        Eval {
            loss: x.iter().map(|&v| v.max(0.0)).sum(),
            sides: x.iter().map(|&v| v > 0.0).collect(),
        }
    }

    #[test]
    fn a_kink_inside_the_step_is_skipped_and_counted() {
        // relu at STEP/2: the central difference is 3/4, the derivative 1 — skipped, not failed.
        let mut w = [Wrt::new("x", &[0.5, -0.5], &[1.0, 0.0])];
        w[0].values.push(STEP / 2.0);
        w[0].analytic.push(1.0);
        let r = check(&mut w, relu_sum, F32).unwrap();
        assert_eq!(
            r,
            Report {
                compared: 2,
                skipped: 1
            }
        );
    }

    #[test]
    fn without_the_kink_test_the_same_point_fails() {
        // The same point seen as smooth: the checker would report it, so skipping is what
        // saved it above.
        let mut w = [Wrt::new("x", &[], &[])];
        w[0].values.push(STEP / 2.0);
        w[0].analytic.push(1.0);
        let smooth = |w: &[Wrt]| Eval {
            sides: vec![],
            ..relu_sum(w)
        };
        let m = check(&mut w, smooth, F32).unwrap_err();
        assert_eq!((m.name.as_str(), m.index), ("x", 0));
        assert!((m.numeric - 0.75).abs() < 1e-9, "{m}");
    }

    #[test]
    fn a_wrong_gradient_is_reported_with_its_name_and_index() {
        // L = Σ x², dL/dx = 2x; index 1 is given 2x + 1%.
        let mut w = [Wrt::new("x", &[1.0, -2.0, 0.5], &[2.0, -4.04, 1.0])];
        let square = |w: &[Wrt]| Eval {
            loss: w[0].values.iter().map(|v| v * v).sum(),
            sides: vec![],
        };
        let m = check(&mut w, square, F32).unwrap_err();
        assert_eq!((m.name.as_str(), m.index), ("x", 1));
    }

    #[test]
    fn tiny_gradients_are_judged_against_the_floor() {
        // L = 1e-6·x: an analytic 1.0000005e-6 is 5e-13 off, far inside rel·floor = 5e-6.
        let mut w = [Wrt::new("x", &[3.0], &[1.000_000_5e-6])];
        let lin = |w: &[Wrt]| Eval {
            loss: 1e-6 * w[0].values[0],
            sides: vec![],
        };
        assert_eq!(check(&mut w, lin, F32).unwrap().compared, 1);
        // But 2e-3 against a true 1e-3 is off by 1e-3, beyond rel·floor: caught.
        let mut w = [Wrt::new("x", &[3.0], &[2e-3])];
        let lin = |w: &[Wrt]| Eval {
            loss: 1e-3 * w[0].values[0],
            sides: vec![],
        };
        assert!(check(&mut w, lin, F32).is_err());
    }
}
