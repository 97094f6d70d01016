//! Colours, the figures' palette, and the maps from numbers to colours.

/// An 8-bit sRGB colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rgb {
    /// Red.
    pub r: u8,
    /// Green.
    pub g: u8,
    /// Blue.
    pub b: u8,
}

impl Rgb {
    /// Pure white.
    pub const WHITE: Rgb = Rgb::new(255, 255, 255);
    /// Pure black.
    pub const BLACK: Rgb = Rgb::new(0, 0, 0);

    /// A colour from its three channels.
    pub const fn new(r: u8, g: u8, b: u8) -> Self {
        Rgb { r, g, b }
    }

    /// A gray with all three channels equal to `v`.
    pub const fn gray(v: u8) -> Self {
        Rgb { r: v, g: v, b: v }
    }

    /// The colour a fraction `t` of the way from `self` to `to`; `t` is clamped to `[0, 1]`
    /// and NaN counts as 0.
    pub fn lerp(self, to: Rgb, t: f32) -> Rgb {
        let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
        let mix = |a: u8, b: u8| (f32::from(a) + (f32::from(b) - f32::from(a)) * t).round() as u8;
        Rgb::new(mix(self.r, to.r), mix(self.g, to.g), mix(self.b, to.b))
    }

    /// `#rrggbb`, as SVG and HTML want it.
    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.r, self.g, self.b)
    }

    /// Rough perceived brightness in `[0, 1]` (Rec. 709 weights on the sRGB values), used to
    /// pick dark or light text over a shaded cell.
    pub fn luminance(self) -> f32 {
        (0.2126 * f32::from(self.r) + 0.7152 * f32::from(self.g) + 0.0722 * f32::from(self.b))
            / 255.0
    }
}

/// The colours every figure shares, so that "correct" is the same green everywhere.
pub mod palette {
    use super::Rgb;

    /// Figure background.
    pub const BACKGROUND: Rgb = Rgb::WHITE;
    /// Text and outlines.
    pub const INK: Rgb = Rgb::new(34, 34, 34);
    /// Secondary text (zero counts, tick labels).
    pub const MUTED: Rgb = Rgb::new(128, 128, 128);
    /// Faint rules and grid lines.
    pub const RULE: Rgb = Rgb::new(215, 215, 215);
    /// Bars that are neither predicted nor true.
    pub const BAR: Rgb = Rgb::new(178, 178, 178);
    /// The true class, the diagonal of a confusion table, a correct sample.
    pub const CORRECT: Rgb = Rgb::new(40, 160, 70);
    /// The predicted class of a mistake, the off-diagonal of a confusion table.
    pub const WRONG: Rgb = Rgb::new(215, 48, 39);
    /// The negative end of the diverging map.
    pub const NEGATIVE: Rgb = Rgb::new(33, 102, 172);
    /// The positive end of the diverging map.
    pub const POSITIVE: Rgb = Rgb::new(178, 24, 43);
    /// Connections and outlines in diagrams.
    pub const EDGE: Rgb = Rgb::new(51, 51, 51);
}

/// The gray level of `v` on a scale where `lo` is black and `hi` is white; values outside
/// are clamped. A degenerate scale (`hi <= lo`) gives mid-gray, and NaN gives black.
pub fn gray_level(v: f32, lo: f32, hi: f32) -> u8 {
    // `hi > lo` is false for NaN bounds too, which then also fall back to mid-gray.
    #[allow(clippy::neg_cmp_op_on_partial_ord)]
    if !(hi > lo) {
        return 128;
    }
    // `as u8` saturates, and maps NaN to 0.
    (((v - lo) / (hi - lo)).clamp(0.0, 1.0) * 255.0).round() as u8
}

/// The diverging blue–white–red colour of `v` on a symmetric scale: `-scale` is dark blue,
/// 0 is white, `+scale` is dark red; values outside are clamped. A scale `<= 0` (or NaN)
/// gives white for everything.
pub fn diverging(v: f32, scale: f32) -> Rgb {
    #[allow(clippy::neg_cmp_op_on_partial_ord)]
    if !(scale > 0.0) || v.is_nan() {
        return Rgb::WHITE;
    }
    // Two stops per side (from the ColorBrewer RdBu scheme) keep the middle light and the
    // ends saturated, so small weights read as "about zero".
    const NEG_MID: Rgb = Rgb::new(103, 169, 207);
    const POS_MID: Rgb = Rgb::new(239, 138, 98);
    let t = (v / scale).clamp(-1.0, 1.0);
    let (mid, end, a) = if t < 0.0 {
        (NEG_MID, palette::NEGATIVE, -t)
    } else {
        (POS_MID, palette::POSITIVE, t)
    };
    if a <= 0.5 {
        Rgb::WHITE.lerp(mid, a * 2.0)
    } else {
        mid.lerp(end, (a - 0.5) * 2.0)
    }
}

/// The smallest and largest finite values, or `None` if there are none.
pub fn min_max(values: &[f32]) -> Option<(f32, f32)> {
    values
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
}

/// The largest finite magnitude, 0 for an empty slice: the natural scale for
/// [`diverging`].
pub fn max_abs(values: &[f32]) -> f32 {
    values
        .iter()
        .filter(|v| v.is_finite())
        .fold(0.0f32, |m, v| m.max(v.abs()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_gray(v: f32, lo: f32, hi: f32, expect: u8) {
        assert_eq!(gray_level(v, lo, hi), expect, "gray_level({v}, {lo}, {hi})");
    }

    #[test]
    fn gray_levels() {
        check_gray(0.0, 0.0, 1.0, 0);
        check_gray(1.0, 0.0, 1.0, 255);
        check_gray(0.5, 0.0, 1.0, 128); // 127.5 rounds up
        check_gray(-3.0, -1.0, 1.0, 0);
        check_gray(9.0, -1.0, 1.0, 255);
        check_gray(f32::NAN, 0.0, 1.0, 0);
        check_gray(0.3, 1.0, 1.0, 128);
    }

    #[test]
    fn diverging_ends_and_middle() {
        assert_eq!(diverging(0.0, 1.0), Rgb::WHITE);
        assert_eq!(diverging(-2.0, 1.0), palette::NEGATIVE);
        assert_eq!(diverging(1.0, 1.0), palette::POSITIVE);
        assert_eq!(diverging(0.5, 0.0), Rgb::WHITE);
        let neg = diverging(-0.3, 1.0);
        let pos = diverging(0.3, 1.0);
        assert!(neg.b > neg.r && pos.r > pos.b, "{neg:?} {pos:?}");
    }

    #[test]
    fn ranges_skip_non_finite() {
        assert_eq!(
            min_max(&[3.0, f32::NAN, -1.0, f32::INFINITY]),
            Some((-1.0, 3.0))
        );
        assert_eq!(min_max(&[]), None);
        assert_eq!(max_abs(&[0.5, -2.0, f32::NEG_INFINITY]), 2.0);
    }

    #[test]
    fn lerp_and_hex() {
        assert_eq!(Rgb::BLACK.lerp(Rgb::WHITE, 0.5), Rgb::gray(128));
        assert_eq!(Rgb::BLACK.lerp(Rgb::WHITE, 7.0), Rgb::WHITE);
        assert_eq!(Rgb::new(255, 16, 0).hex(), "#ff1000");
    }
}
