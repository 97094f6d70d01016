//! The one rule for "is this a CI run?". Tests that skip when their environment is missing (the
//! real data in `datasets/tests/real_data.rs`, the browser in `tests/src/browser.rs`) must fail
//! instead under CI, and must agree on when that is: both call [`under_ci`].
//!
//! It lives here, in the lowest crate both of those tests reach, hidden from the docs: it is
//! test support, not part of the datasets API.

use std::ffi::OsStr;

/// True when the `CI` environment variable says this is a CI run; see [`is_ci_value`].
pub fn under_ci() -> bool {
    is_ci_value(std::env::var_os("CI").as_deref())
}

/// The rule behind [`under_ci`]: `CI` set to anything but the empty string, `0` or `false`
/// (any case). CI services set `CI=true`, and so does `.ci/run`; `CI=` or `CI=false` is how a
/// developer says "not CI" without unsetting it.
pub fn is_ci_value(v: Option<&OsStr>) -> bool {
    v.and_then(OsStr::to_str).map_or(v.is_some(), |s| {
        !(s.is_empty() || s == "0" || s.eq_ignore_ascii_case("false"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ci_values() {
        for (v, ci) in [
            (None, false),
            (Some(""), false),
            (Some("0"), false),
            (Some("false"), false),
            (Some("FALSE"), false),
            (Some("true"), true),
            (Some("1"), true),
            (Some("yes"), true),
        ] {
            assert_eq!(is_ci_value(v.map(OsStr::new)), ci, "{v:?}");
        }
    }
}
