//! [`IntrospectError`]: a data value that the analysis cannot use.

/// A value in the data (a label, a probability, a pixel row) that the analysis cannot use,
/// with the index of the sample that holds it.
///
/// Only data-dependent problems are errors. A broken contract between crates (a closure that
/// returns the wrong number of rows, two confusion matrices of different sizes) panics, as the
/// `# Panics` section of each function says.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("sample {sample}: {kind}")]
pub struct IntrospectError {
    /// Index of the offending sample, counted from the start of the data passed in.
    pub sample: usize,
    /// What is wrong with it.
    pub kind: IntrospectErrorKind,
}

/// What is wrong with a sample; see [`IntrospectError`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum IntrospectErrorKind {
    /// The label is not a valid class index.
    #[error("label {label} is not below the number of classes, {n_classes}")]
    LabelOutOfRange {
        /// The label found.
        label: u8,
        /// The number of classes it had to be below.
        n_classes: usize,
    },
    /// A predicted probability is NaN or infinite (a diverged model, for instance).
    #[error("the probability of class {class} is {value}, not a finite number")]
    NonFiniteProbability {
        /// Class whose probability is not finite.
        class: usize,
        /// The value found.
        value: f32,
    },
    /// A measure needs more samples than it was given (`sample` is then the count given).
    #[error("{got} samples where at least {needed} are needed")]
    TooFewSamples {
        /// Samples the measure needs.
        needed: usize,
        /// Samples given.
        got: usize,
    },
    /// A value of a point (an activation, a pixel) is NaN or infinite.
    #[error("value {value} in column {column} is not a finite number")]
    NonFiniteValue {
        /// Column of the value.
        column: usize,
        /// The value found.
        value: f32,
    },
    /// A pixel row does not hold the expected number of values.
    #[error("{got} pixel values where {expected} were expected")]
    PixelCount {
        /// Pixels per image that the caller declared.
        expected: usize,
        /// Pixels found in this row.
        got: usize,
    },
}

impl IntrospectError {
    pub(crate) fn new(sample: usize, kind: IntrospectErrorKind) -> Self {
        Self { sample, kind }
    }

    /// Checks a label against the class count.
    pub(crate) fn check_label(sample: usize, label: u8, n_classes: usize) -> Result<(), Self> {
        if usize::from(label) < n_classes {
            Ok(())
        } else {
            Err(Self::new(
                sample,
                IntrospectErrorKind::LabelOutOfRange { label, n_classes },
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_sample_and_the_problem() {
        let e = IntrospectError::check_label(7, 12, 10).unwrap_err();
        assert_eq!(
            e.to_string(),
            "sample 7: label 12 is not below the number of classes, 10"
        );
        let e = IntrospectError::new(
            3,
            IntrospectErrorKind::PixelCount {
                expected: 784,
                got: 783,
            },
        );
        assert_eq!(
            e.to_string(),
            "sample 3: 783 pixel values where 784 were expected"
        );
        assert!(IntrospectError::check_label(0, 9, 10).is_ok());
    }
}
